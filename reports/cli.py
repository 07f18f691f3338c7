"""The command line: parse, set up logging, dispatch to a command of reports/commands, map errors to exit statuses."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import re
import signal
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import NoReturn

from reports import __version__
from reports.commands import backfill, check_config, close, email, history, invoice, org, run, serve_demo
from reports.commands.common import BASE_URL_ENV, DEFAULT_OUTPUT, KEY_ENV
from reports.core.months import Month
from reports.core.settings import SOURCES
from reports.errors import ChargebackError
from reports.resources import DEFAULT_CONFIG
from reports.sources.client import DEFAULT_BASE_URL

log = logging.getLogger("reports")


EXAMPLES = {
    "run": "examples:\n  chargeback run                      # last complete month\n"
           "  chargeback run --month 2026-10 --email\n  chargeback run --demo\n"
           "  chargeback run --demo --source analytics   # by API key and user\n"
           "  chargeback run --offline --month 2026-10",
    "serve-demo": "example:\n  chargeback serve-demo --port 8765",
    "check-config": "examples:\n  chargeback check-config --config config/chargeback.yaml\n"
                    "  chargeback check-config --month 2026-10 --output /srv/chargeback",
    "close": "examples:\n  chargeback close --month 2026-10\n"
             "  chargeback close --month 2026-10 --accept-unallocated   # sealed despite the unallocated WARN\n"
             "  chargeback close --demo --month 2026-10\n"
             "  chargeback run --month 2026-10 --restate   # later, for late data\n"
             "  chargeback run --month 2026-10 --restate --posting-date 2026-12-01",
    "email": "examples:\n  chargeback email --month 2026-10\n  chargeback email --month 2026-10 --dry-run",
    "history": "examples:\n  chargeback history --month 2026-10\n  chargeback history --csv history-2026-10.csv\n"
               "  chargeback history --month 2026-10 --verify   # re-hash every file of the twelve month folders\n"
               "  chargeback history --demo            # the demo's output folder, with the demo mapping",
    "org": "examples:\n  chargeback org                        # last month's spend, mapped by config/chargeback.yaml\n"
           "  chargeback org --month 2026-10 --yaml   # a config skeleton: every unmapped ID in place\n"
           "  chargeback org --demo\n"
           "  chargeback org --base-url http://127.0.0.1:8765   # against `chargeback serve-demo`",
    "invoice": "examples:\n  chargeback invoice --month 2026-10 --file invoice-2026-10.yaml\n"
               "  chargeback invoice --month 2026-10 --file invoice-2026-10.yaml --posting-date 2026-11-30",
    "backfill": "examples:\n  chargeback backfill --from 2026-01 --to 2026-09\n"
                "  chargeback backfill --demo --from 2025-11 --to 2026-09 --close --no-pdf\n"
                "  chargeback backfill --from 2026-05 --to 2026-07 --close --accept-unallocated",
}


# Each command's handler, by name: a command is a module of reports/commands with handle(args) -> exit status.
HANDLERS = {"run": run.handle, "close": close.handle, "invoice": invoice.handle, "history": history.handle,
            "backfill": backfill.handle, "org": org.handle, "serve-demo": serve_demo.handle,
            "check-config": check_config.handle, "email": email.handle}


def _day(text: str) -> date:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):  # fromisoformat alone also takes 20261201
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{text!r} is not a date of the form YYYY-MM-DD (for example 2026-12-01)")


def _month(text: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad command line is one ``error:`` line like every other failure."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="chargeback",
        description="Month-end chargeback reports for Claude API spend: workbook, journal CSV, PDF summary.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Start with `chargeback run --demo`; exit status 0 done, 2 bad usage or config, "
               "3 API or network failure, 4 data that cannot be trusted.",
    )
    parser.add_argument("--version", action="version", version=f"chargeback {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text, epilog=EXAMPLES.get(name),
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        return sub

    def common(sub: argparse.ArgumentParser, *, network: bool = False) -> None:
        """The SPEC's common options, with the same meaning and defaults on every command."""
        sub.add_argument("--config", type=Path, help=f"YAML configuration (default {DEFAULT_CONFIG})")
        sub.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                         help=f"output folder (default {DEFAULT_OUTPUT})")
        sub.add_argument("--month", type=_month, help="YYYY-MM (default: the last complete month, UTC)")
        if network:
            sub.add_argument("--base-url", help=f"Admin API base URL (default ${BASE_URL_ENV} or {DEFAULT_BASE_URL})")

    run = command("run", "Fetch the month, allocate it to cost centers, write workbook, PDF, journal CSV and manifest.")
    common(run, network=True)
    run.add_argument("--api-key-file", type=Path, help=f"read the Admin API key from this file instead of ${KEY_ENV}")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--demo", action="store_true", help="use the built-in simulated organization (no key needed)")
    mode.add_argument("--offline", action="store_true",
                      help="re-render from the saved snapshot in <output>/<month>/raw/")
    run.add_argument("--source", choices=SOURCES,
                     help="which API to read: the legacy cost report (by workspace) or the Usage and Cost "
                          "Analytics API (by workspace, API key and user); default: the config's source")
    run.add_argument("--email", action="store_true", help="email the PDF after a successful run")
    run.add_argument("--restate", action="store_true",
                     help="re-run a closed month: write a restatement with an adjustment journal beside the "
                          "sealed outputs")
    run.add_argument("--posting-date", type=_day, metavar="YYYY-MM-DD",
                     help="with --restate: the date the adjustment journal posts on, in an open period "
                          "(default: today, UTC)")

    close = command("close", "Close (seal) a month: record its outputs' hashes so a later run cannot rewrite them.")
    common(close)
    close.add_argument("--demo", action="store_true", help="close a month run with --demo (the demo mapping)")
    close.add_argument("--accept-unallocated", action="store_true",
                       help="close even though the month's unallocated share is above unallocated_warn_percent")

    serve = command("serve-demo", "Serve the simulated Admin API on loopback for trying clients by hand.")
    serve.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default 8765; 0 picks one)")
    serve.add_argument("--late-data", type=int, default=0, metavar="N",
                       help="add late-arriving spend to past days (revision N), to try --restate")

    check = command("check-config", "Validate the YAML configuration and list every problem; with --output, "
                                    "check that the output folder can be written.")
    common(check)

    history = command("history", "Print the History table: the twelve months ending with --month as posted "
                                 "(closed, restated, not closed or gap), then the fiscal year to date against budget.")
    common(history)
    history.add_argument("--csv", type=Path, metavar="PATH", help="also write the table as CSV to PATH")
    history.add_argument("--demo", action="store_true", help="read with the demo mapping (no config needed)")
    history.add_argument("--verify", action="store_true",
                         help="check every file of each month folder against its seal or manifest, raw pages "
                              "included (slow at scale; without it the seal, the manifest and the journals are "
                              "checked); exit 4 when a folder does not verify")

    backfill = command("backfill", "Run each month from --from to --to that was never run, in order; a month "
                                   "already run or closed is left alone. Stops at the first month that fails.")
    backfill.add_argument("--from", dest="first", type=_month, required=True, metavar="YYYY-MM",
                          help="the first month to backfill")
    backfill.add_argument("--to", dest="last", type=_month, metavar="YYYY-MM",
                          help="the last month (default: the last complete month, UTC)")
    backfill.add_argument("--config", type=Path, help=f"YAML configuration (default {DEFAULT_CONFIG})")
    backfill.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                          help=f"output folder (default {DEFAULT_OUTPUT})")
    backfill.add_argument("--base-url", help=f"Admin API base URL (default ${BASE_URL_ENV} or {DEFAULT_BASE_URL})")
    backfill.add_argument("--api-key-file", type=Path,
                          help=f"read the Admin API key from this file instead of ${KEY_ENV}")
    backfill.add_argument("--demo", action="store_true", help="backfill the built-in simulated organization")
    backfill.add_argument("--source", choices=SOURCES, help="which API to read (as for run)")
    backfill.add_argument("--close", action="store_true",
                          help="close each month after its run (for months whose journals are already posted)")
    backfill.add_argument("--accept-unallocated", action="store_true",
                          help="with --close: close months whose unallocated share is above "
                               "unallocated_warn_percent too (otherwise the backfill stops at the first)")
    backfill.add_argument("--no-pdf", action="store_true",
                          help="write each month without its PDF summary (quicker; workbook, journals and "
                               "manifest are complete)")

    org = command("org", "List the organization's workspaces (archived and the Default one included), API keys, "
                         "users and service accounts with their IDs, the cost center the config gives each (or "
                         "unmapped) and its spend in the month: what you build the mapping from.")
    org.add_argument("--month", type=_month,
                     help="YYYY-MM whose spend is shown (default: the last complete month, UTC)")
    org.add_argument("--yaml", action="store_true",
                     help="print a config skeleton instead: the current mapping with every unmapped ID in place")
    org.add_argument("--config", type=Path, help=f"YAML configuration (default {DEFAULT_CONFIG}, if it exists)")
    org.add_argument("--demo", action="store_true", help="the built-in simulated organization (no key needed)")
    org.add_argument("--base-url", help=f"Admin API base URL (default ${BASE_URL_ENV} or {DEFAULT_BASE_URL})")
    org.add_argument("--api-key-file", type=Path, help=f"read the Admin API key from this file instead of ${KEY_ENV}")
    invoice = command("invoice", "Record the month's invoice: the walk from the usage report to its total and the "
                                 "true-up journal to cost centers, in <month>/invoices/<number>/.")
    common(invoice)
    invoice.add_argument("--file", type=Path, required=True, metavar="INVOICE.yaml",
                         help="the invoice as YAML (number, issuer, date, currency, usage, credits, tax, other, "
                              "total; see the README)")
    invoice.add_argument("--posting-date", type=_day, metavar="YYYY-MM-DD",
                         help="the date the true-up journal posts on (default: the invoice date)")
    invoice.add_argument("--demo", action="store_true", help="read with the demo mapping (no config needed)")

    email = command("email", "Send the month's executive summary PDF to the configured recipients.")
    common(email)
    email.add_argument("--force", action="store_true", help="send again even if this month was already sent")
    email.add_argument("--dry-run", action="store_true", help="write the .eml file instead of sending")
    return parser


class Terminated(BaseException):
    """SIGTERM arrived: unwind like Ctrl-C so the staging folder is removed and nothing is published."""


# A run holds hundreds of thousands of small long-lived objects (the month's rows) and makes
# few reference cycles; at the default threshold (700) the collector walks them over and
# over: 11% of a 465,000-row offline run, measured. Collect far less often instead.
COLLECTOR_THRESHOLDS = (100_000, 50, 100)


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging()
    signal.signal(signal.SIGTERM, _on_sigterm)
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
    try:
        status = HANDLERS[args.command](args)
        sys.stdout.flush()  # inside the try: a closed pipe is reported here, not at exit
        return status
    except ChargebackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_status
    except BrokenPipeError:
        # The reader of stdout went away (`chargeback run | head`): the work is done and
        # published; say nothing more and do not let Python complain at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        # A file the command needed could not be read or written and no closer layer named it.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, Terminated) as exc:
        if args.command == "backfill":  # the months finished before the interruption are published
            print("error: interrupted; the month in progress was not published, the months before it are",
                  file=sys.stderr)
        else:
            print("error: interrupted; nothing was published, the previous outputs are unchanged", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130


def _setup_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO if sys.stderr.isatty() else logging.ERROR)
    log.propagate = False


