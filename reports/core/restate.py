"""Restating a sealed month: per cost center differences and their adjustment journal. Pure."""

from __future__ import annotations

from decimal import Decimal
from typing import Mapping

from reports.core.report import JournalLine, Report, Restatement, RestatementLine
from reports.core.money import ZERO
from reports.core.settings import Settings


def build_restatement(report: Report, settings: Settings, *, number: int, sealed_run_id: str, sealed_at: str,
                      sealed_totals: Mapping[str, Decimal], sealed_names: Mapping[str, str],
                      sealed_total: Decimal) -> Restatement:
    """Compare the new totals with the sealed ones and journal only the differences.

    A positive difference debits the cost center's expense account, a negative one credits
    it; one line on the credit account balances the entry. External IDs carry the
    restatement number, so they never collide with the original journal's.
    """
    month = report.month
    label = f"R{number}"
    new_totals = {line.code: line.total for line in report.cost_centers}
    names = {**sealed_names, **{line.code: line.name for line in report.cost_centers}}
    codes = [line.code for line in report.cost_centers] + [code for code in sealed_totals if code not in new_totals]
    lines = tuple(RestatementLine(code, names.get(code, code), sealed_totals.get(code, ZERO), new_totals.get(code, ZERO))
                  for code in codes)
    memo = f"{settings.journal.memo.format(month=str(month))} restatement {label}"
    common = dict(journal_id=f"CB-{month}-{label}", day=month.last_day, period=str(month), memo=memo)
    adjustment = []
    for line in lines:
        if line.difference == 0:
            continue
        account = (settings.expense_account_for(line.code)
                   if any(center.code == line.code for center in settings.cost_centers)
                   else settings.journal.expense_account)
        debit, credit = (line.difference, None) if line.difference > 0 else (None, -line.difference)
        adjustment.append(JournalLine(account=account, cost_center=line.code, cost_center_name=line.name,
                                      debit=debit, credit=credit, external_id=f"CB-{month}-{label}-{line.code}",
                                      **common))
    net = sum((line.difference for line in lines), ZERO)
    if adjustment and net != 0:
        debit, credit = (None, net) if net > 0 else (-net, None)
        adjustment.append(JournalLine(account=settings.journal.credit_account, cost_center=None,
                                      cost_center_name=None, debit=debit, credit=credit,
                                      external_id=f"CB-{month}-{label}-CREDIT", **common))
    return Restatement(number=number, sealed_run_id=sealed_run_id, sealed_at=sealed_at, sealed_total=sealed_total,
                       lines=lines, adjustment_journal=tuple(adjustment))
