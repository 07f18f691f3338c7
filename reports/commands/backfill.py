"""`chargeback backfill`: every month never run, in order."""

from __future__ import annotations

import argparse

from reports.commands.common import api_key, base_url, check_month, now
from reports.core.money_text import money_text
from reports.core.months import Month


def handle(args: argparse.Namespace) -> int:
    from reports.backfill import backfill
    from reports.core.config_checks import unallocated_percent
    from reports.pipeline import RunOptions

    last = args.last or Month.last_complete(now())
    check_month(last)
    options = RunOptions(
        month=last, output_dir=args.output, config_path=args.config,
        demo=args.demo, base_url=base_url(args),
        api_key=None if args.demo else api_key(args), source=args.source, pdf=not args.no_pdf,
    )
    if not args.demo:
        from reports.sources.client import validate_base_url

        validate_base_url(options.base_url or "")
    result = backfill(options, args.first, last, close=args.close, accept_unallocated=args.accept_unallocated,
                      now=now)
    demo = " (DEMO)" if args.demo else ""
    print(f"backfill {result.first} to {result.last}{demo}: {len(result.ran)} month(s) run"
          f"{', each closed' if args.close and result.ran else ''}, {len(result.left_alone)} left alone")
    for item in result.months:
        if item.total is not None:
            unallocated = "" if item.unallocated is None else (
                f"  unallocated {money_text(item.unallocated)} ({unallocated_percent(item.unallocated, item.total)}%"
                f"{', WARN: above unallocated_warn_percent' if item.unallocated_warned else ''})")
            print(f"  ran            {item.month}  {money_text(item.total)}{unallocated}  {item.folder}"
                  f"{'  (closed)' if item.closed_now else ''}")
        else:
            print(f"  left alone     {item.month}  {item.outcome}")
    return 0
