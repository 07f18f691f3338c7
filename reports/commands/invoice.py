"""`chargeback invoice`: record the month's invoice, its walk and true-up journal."""

from __future__ import annotations

import argparse

from reports.commands.common import now
from reports.core.money_text import money_text
from reports.core.months import Month


def handle(args: argparse.Namespace) -> int:
    from reports.invoicing import InvoiceOptions, record_invoice
    from reports.purchasing import PurchaseResult

    month = args.month or Month.last_complete(now())
    result = record_invoice(InvoiceOptions(month=month, file=args.file, output_dir=args.output,
                                           config_path=args.config, demo=args.demo, posting_date=args.posting_date))
    if isinstance(result, PurchaseResult):
        journal = result.journal
        print(f"credit purchase {result.invoice.number} recorded for {month}: {money_text(result.invoice.total)}, "
              f"credits expire {result.expires}")
        print(f"  {journal.journal_id} dated {journal.day}: debit {journal.lines[0].account} (prepaid), credit "
              f"{journal.lines[1].account} (payable); {len(result.files)} files in {result.folder}")
        return 0
    trueup = result.trueup
    print(f"invoice {trueup.invoice.number} recorded for {month}: total {money_text(trueup.invoice.total)}, "
          f"charged back {money_text(trueup.charged_back)}, excluded {money_text(trueup.excluded)}")
    for check in result.walk.checks:
        print(f"  {check.status} {check.name}: {check.detail or check.actual}")
    journal = trueup.journal
    print(f"  true-up {journal.journal_id} dated {journal.day}: {money_text(trueup.change_usd, signed=True)} "
          f"to cost centers; {len(result.files)} files in {result.folder}")
    return 0
