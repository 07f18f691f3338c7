"""`chargeback run`: a month's outputs, and the summary it prints."""

from __future__ import annotations

import argparse

from reports.commands.common import api_key, base_url, check_month, now
from reports.commands.email import send
from reports.core.checks import Status
from reports.core.money_text import money_text
from reports.core.months import Month
from reports.errors import UsageError


def handle(args: argparse.Namespace) -> int:
    from reports.pipeline import RunOptions, run

    month = args.month or Month.last_complete(now())
    check_month(month)
    options = RunOptions(
        month=month, output_dir=args.output, config_path=args.config,
        demo=args.demo, offline=args.offline,
        base_url=base_url(args),
        api_key=None if (args.demo or args.offline) else api_key(args),
        restate=args.restate, source=args.source, posting_date=args.posting_date,
    )
    if args.posting_date is not None and not args.restate:
        raise UsageError("--posting-date dates a restatement's adjustment journal: use it with --restate")
    if args.restate and args.email:
        raise UsageError("--email sends the sealed month's summary; send a restatement by hand after review")
    if not args.demo and not args.offline:
        from reports.sources.client import validate_base_url

        validate_base_url(options.base_url or "")
    result = run(options, now=now)
    if result.no_change is not None:
        print(f"chargeback {month}: no change since {result.no_change}; nothing written, nothing to post")
        return 0
    _print_run_summary(result)
    if args.email:
        send(args, result.report.month, force=False, dry_run=False)
    return 0


def _print_run_summary(result) -> None:
    report = result.report
    demo = " (DEMO)" if report.run_info.demo else ""
    recon = report.reconciliation
    warns = sum(1 for check in recon.checks if check.status == Status.WARN)
    print(f"chargeback {report.month}{demo}: {report.organization}")
    change = ""
    if report.prior_total is not None:
        ratio = f", {report.change_ratio:+.1%}" if report.change_ratio is not None else ""
        change = (f"  ({money_text(report.change, signed=True)}{ratio} vs {report.month.prior().label}: "
                  f"{money_text(report.prior_total)})")
    print(f"  total          {money_text(report.total)}{change}")
    journal = report.journal
    print(f"  cost centers   {sum(1 for line in report.cost_centers if line.total)} with spend of "
          f"{len(report.cost_centers)}; journal {len(journal.lines)} lines, "
          f"debits = credits = {money_text(recon.journal_debits)}")
    if not journal.ledger.is_usd:
        print(f"  ledger         {money_text(journal.debits, journal.ledger.currency)} at {journal.ledger.rate} "
              f"{journal.ledger.currency} per USD; debits = credits in {journal.ledger.currency}")
    print(f"  line items     {recon.line_item_count:,}")
    if recon.unmapped:
        names = list(dict.fromkeys(item.name for item in recon.unmapped))
        amount = sum(item.amount for item in recon.unmapped)
        print(f"  unmapped       {money_text(amount)} in {len(names)} workspace(s) taken by {report.unallocated_code}: "
              f"{', '.join(names)}")
    _print_unallocated(report)
    print(f"  reconciliation {'PASS' if recon.passed else 'FAIL'} ({len(recon.checks)} checks, {warns} warnings)")
    if report.restatement is not None:
        restated = report.restatement
        print(f"  restatement    {restated.label} of the sealed run {restated.sealed_run_id}: "
              f"{money_text(restated.difference, signed=True)} over "
              f"{sum(1 for line in restated.lines if line.difference)} cost center(s); "
              f"post only the adjustment journal, dated {restated.adjustment_journal.day}")
    if report.run_info.replaces is not None:
        replaced = report.run_info.replaces
        print(f"  replaces run {replaced.run_id}: {replaced.text}")
        print(f"  kept           {result.folder / replaced.folder} (the replaced run's manifest and journals)")
    if result.requests_made is not None:
        print(f"  API requests   {result.requests_made}")
    print(f"  folder         {result.folder}")
    for path in result.files:
        print(f"  wrote          {path}")


def _print_unallocated(report) -> None:
    """The month's unallocated amount and share, and the warnings about the config (unallocated share, unknown IDs)."""
    from reports.core.config_checks import UNALLOCATED_SHARE, UNKNOWN_IDS, unallocated_percent
    from reports.core.people_checks import DIRECTORY_COVERAGE

    if report.unallocated_code is not None:
        print(f"  unallocated    {money_text(report.unallocated_total)} "
              f"({unallocated_percent(report.unallocated_total, report.total)}%) on {report.unallocated_code}")
    for check in report.reconciliation.checks:
        if check.status == Status.WARN and check.name == UNALLOCATED_SHARE:
            print(f"  WARN           {check.name} {check.actual} (expected {check.expected}): {check.detail}")
        elif check.status == Status.WARN and check.name == UNKNOWN_IDS:
            print(f"  WARN           {check.actual} unknown configured ID(s): {check.detail}")
        elif check.name == DIRECTORY_COVERAGE:
            print(f"  directory      {check.actual} users with spend placed by the config or the directory"
                  + (f"; WARN {check.detail}" if check.status == Status.WARN else ""))
