"""`chargeback history`: the twelve months as posted, and `--verify`'s verdict."""

from __future__ import annotations

import argparse
from pathlib import Path

from reports.commands.common import now
from reports.core.months import Month
from reports.resources import config_to_read


def handle(args: argparse.Namespace) -> int:
    from reports.config import load_settings
    from reports.core.history import build_history
    from reports.outputs import history as output_history
    from reports.outputs.folder import writing_to

    month = args.month or Month.last_complete(now())
    settings = load_settings(config_to_read(args.config, demo=args.demo))
    posted = output_history.read_all(args.output, month, every_file=args.verify)
    history = build_history(month, posted, settings)
    rows = output_history.table(history)
    widths = [max(len(row[index]) for row in rows) for index in range(len(rows[0]))]
    currency = "" if history.table_currency in (None, "USD") else f" ({history.table_currency})"
    print(f"History of {month} in {args.output}: the twelve months as posted, fiscal year from "
          f"{history.fiscal_start.label}{currency}")
    for number, row in enumerate(rows):
        if number == len(history.rows) + 1:
            print("  " + "  ".join("-" * width for width in widths))
        print("  " + "  ".join(cell.ljust(width) if index < 2 else cell.rjust(width)
                               for index, (cell, width) in enumerate(zip(row, widths, strict=True))))
    for note in output_history.notes(history):
        print(f"  note: {note}")
    if args.csv is not None:
        with writing_to(args.csv.parent if str(args.csv.parent) else Path(".")):
            output_history.write_csv(history, args.csv)
        print(f"  wrote {args.csv}")
    if args.verify:
        _verdict(posted)
    return 0


def _verdict(posted: dict) -> None:
    """`history --verify`: a line for folders that verify; DataError (exit 4) naming those that do not."""
    from reports.core.history import Unreadable
    from reports.errors import DataError

    failed = sorted(str(month) for month, item in posted.items() if isinstance(item, Unreadable))
    if failed:
        raise DataError(f"{len(failed)} of {len(posted)} month folder(s) do not verify: {', '.join(failed)} "
                        "(each is named in a note above)")
    print(f"  verified: every file of the {len(posted)} month folder(s) matches its seal or manifest")
