"""The command line: parse, set up logging, call the library, map errors to exit statuses."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import re
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NoReturn

from reports import __version__
from reports.core.money_text import money_text
from reports.core.months import Month
from reports.core.report import Status
from reports.core.settings import ANALYTICS, SOURCES
from reports.errors import ChargebackError, UsageError
from reports.resources import DEFAULT_CONFIG, config_to_read
from reports.sources.client import DEFAULT_BASE_URL

log = logging.getLogger("reports")

KEY_ENV = "ANTHROPIC_ADMIN_API_KEY"
BASE_URL_ENV = "ANTHROPIC_ADMIN_BASE_URL"
DEFAULT_OUTPUT = Path("output")

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


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging()
    signal.signal(signal.SIGTERM, _on_sigterm)
    # A run holds hundreds of thousands of small long-lived objects (the month's rows) and makes
    # few reference cycles; at the default threshold (700) the collector walks them over and
    # over: 11% of a 465,000-row offline run, measured. Collect far less often instead.
    gc.set_threshold(100_000, 50, 100)
    try:
        handler = {"run": _run, "serve-demo": _serve_demo, "check-config": _check_config, "email": _email,
                   "close": _close, "history": _history, "backfill": _backfill, "org": _org,
                   "invoice": _invoice}
        status = handler[args.command](args)
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


def _now() -> datetime:
    return datetime.now(UTC)


def _api_key(args: argparse.Namespace) -> str | None:
    if args.api_key_file is not None:
        try:
            key = args.api_key_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"cannot read --api-key-file {args.api_key_file}: {exc.strerror}") from None
        if not key:
            raise UsageError(f"--api-key-file {args.api_key_file} is empty")
        return key
    return os.environ.get(KEY_ENV, "").strip() or None


def _check_month(month: Month) -> None:
    latest = Month.last_complete(_now())
    if month > latest:
        raise UsageError(f"{month} has not ended yet (UTC): its report would be incomplete; "
                         f"the last complete month is {latest}")


def _run(args: argparse.Namespace) -> int:
    from reports.pipeline import RunOptions, run

    month = args.month or Month.last_complete(_now())
    _check_month(month)
    options = RunOptions(
        month=month, output_dir=args.output, config_path=args.config,
        demo=args.demo, offline=args.offline,
        base_url=args.base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL,
        api_key=None if (args.demo or args.offline) else _api_key(args),
        restate=args.restate, source=args.source, posting_date=args.posting_date,
    )
    if args.posting_date is not None and not args.restate:
        raise UsageError("--posting-date dates a restatement's adjustment journal: use it with --restate")
    if args.restate and args.email:
        raise UsageError("--email sends the sealed month's summary; send a restatement by hand after review")
    if not args.demo and not args.offline:
        from reports.sources.client import validate_base_url

        validate_base_url(options.base_url or "")
    result = run(options, now=_now)
    if result.no_change is not None:
        print(f"chargeback {month}: no change since {result.no_change}; nothing written, nothing to post")
        return 0
    _print_run_summary(result)
    if args.email:
        _send(args, result.report.month, force=False, dry_run=False)
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

    if report.unallocated_code is not None:
        print(f"  unallocated    {money_text(report.unallocated_total)} "
              f"({unallocated_percent(report.unallocated_total, report.total)}%) on {report.unallocated_code}")
    for check in report.reconciliation.checks:
        if check.status == Status.WARN and check.name == UNALLOCATED_SHARE:
            print(f"  WARN           {check.name} {check.actual} (expected {check.expected}): {check.detail}")
        elif check.status == Status.WARN and check.name == UNKNOWN_IDS:
            print(f"  WARN           {check.actual} unknown configured ID(s): {check.detail}")


def _close(args: argparse.Namespace) -> int:
    from reports.outputs.folder import month_lock, writing_to
    from reports.outputs.manifest import Manifest
    from reports.outputs.seal import close_month

    month = args.month or Month.last_complete(_now())
    settings = _optional_settings(args)
    with month_lock(args.output, month), writing_to(args.output):
        seal = close_month(args.output, month, _now(), accept_unallocated=args.accept_unallocated)
    print(f"closed {month}: run {seal.run_id}, total {money_text(seal.total)}, {len(seal.files)} files sealed "
          f"in {args.output / str(month) / 'seal.json'}")
    if settings is not None:
        manifest = Manifest.read(args.output / str(month), month)
        if manifest.config_sha256 != settings.sha256:
            print(f"note: {month} was run with another configuration than {settings.source_path} "
                  f"(SHA-256 {manifest.config_sha256[:12]}…); the seal records the outputs as they are")
    return 0


def _invoice(args: argparse.Namespace) -> int:
    from reports.invoicing import InvoiceOptions, record_invoice
    from reports.purchasing import PurchaseResult

    month = args.month or Month.last_complete(_now())
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


def _history(args: argparse.Namespace) -> int:
    from reports.config import load_settings
    from reports.core.history import build_history
    from reports.outputs import history as output_history
    from reports.outputs.folder import writing_to

    month = args.month or Month.last_complete(_now())
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


def _backfill(args: argparse.Namespace) -> int:
    from reports.backfill import backfill
    from reports.core.config_checks import unallocated_percent
    from reports.pipeline import RunOptions

    last = args.last or Month.last_complete(_now())
    _check_month(last)
    options = RunOptions(
        month=last, output_dir=args.output, config_path=args.config,
        demo=args.demo, base_url=args.base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL,
        api_key=None if args.demo else _api_key(args), source=args.source, pdf=not args.no_pdf,
    )
    if not args.demo:
        from reports.sources.client import validate_base_url

        validate_base_url(options.base_url or "")
    result = backfill(options, args.first, last, close=args.close, accept_unallocated=args.accept_unallocated,
                      now=_now)
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


def _optional_settings(args: argparse.Namespace):
    """The config named by --config (or the demo mapping with --demo), or the default one if it exists
    (a command that can do without)."""
    from reports.config import load_settings

    if args.config is not None or getattr(args, "demo", False):
        return load_settings(config_to_read(args.config, demo=getattr(args, "demo", False)))
    return load_settings(DEFAULT_CONFIG) if DEFAULT_CONFIG.is_file() else None


def _org(args: argparse.Namespace) -> int:
    from reports.org import OrgOptions, fetch_organization
    from reports.outputs import org_text

    month = args.month or Month.last_complete(_now())
    _check_month(month)
    settings = _optional_settings(args)
    base_url = args.base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    if not args.demo:
        from reports.sources.client import validate_base_url

        validate_base_url(base_url)
    result = fetch_organization(OrgOptions(month=month, settings=settings, demo=args.demo, base_url=base_url,
                                           api_key=None if args.demo else _api_key(args)))
    if args.yaml:
        sys.stdout.write(org_text.skeleton(result.organization, month, settings))
    else:
        for line in org_text.table(result.organization, month, config=settings.source_path if settings else None,
                                   unlisted=result.unlisted):
            print(line)
    return 0


def _serve_demo(args: argparse.Namespace) -> int:
    from reports.simulator.demo import demo_organization
    from reports.simulator.server import serve_forever

    try:
        serve_forever(args.port, organization=demo_organization(revision=args.late_data))
    except OSError as exc:
        raise UsageError(f"cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}; try another --port") from None
    return 0


def _check_config(args: argparse.Namespace) -> int:
    from reports.config import load_settings
    from reports.outputs.folder import check_writable

    config = config_to_read(args.config)
    settings = load_settings(config)
    centers = settings.cost_centers
    workspaces = sum(len(center.workspaces) for center in centers) + sum(1 for r in settings.shared if r.workspace)
    rules = f"{workspaces} workspaces mapped"
    if settings.source == ANALYTICS:
        keys = sum(len(center.api_keys) for center in centers) + sum(1 for r in settings.shared if r.api_key)
        people = sum(len(center.users) + len(center.service_accounts) for center in centers)
        rules += f", {keys} API keys, {people} users and service accounts"
    # every check runs before anything is printed: OK is said only when all of them passed
    lines = [f"{config}: OK — {settings.organization} (source {settings.source}): {len(centers)} cost centers, "
             f"{rules}, {len(settings.shared)} shared"]
    journal = settings.journal
    layouts = ", ".join(journal.layouts) or "none (only the generic journal CSV)"
    lines.append(f"  journal layouts: {layouts}; ledger currency {journal.currency}")
    if args.month is not None:
        from reports.core.journal import ledger_for

        _check_month(args.month)
        if settings.source == ANALYTICS:
            from reports.sources.analytics import check_lookback

            check_lookback(args.month, _now())
        ledger = ledger_for(settings, args.month)  # ConfigError naming the month when it has no rate
        rate = "" if ledger.is_usd else f"; rate {ledger.rate} {ledger.currency} per USD"
        lines.append(f"  month {args.month}: OK — it has ended and can be reported{rate}")
    check_writable(args.output)
    lines.append(f"  output folder {args.output}: OK — writable")
    print("\n".join(lines))
    return 0


def _email(args: argparse.Namespace) -> int:
    month = args.month or Month.last_complete(_now())
    _send(args, month, force=args.force, dry_run=args.dry_run)
    return 0


def _send(args: argparse.Namespace, month: Month, *, force: bool, dry_run: bool) -> None:
    from reports.config import load_settings
    from reports.email.send import send_month_summary
    from reports.outputs.folder import writing_to

    config = config_to_read(args.config, demo=getattr(args, "demo", False), source=getattr(args, "source", None))
    settings = load_settings(config)
    if settings.email is None:
        raise UsageError(f"{config} has no email: section; add one to send the summary")
    with writing_to(args.output):
        outcome = send_month_summary(settings.email, args.output / str(month), month, force=force, dry_run=dry_run)
    print(f"email {month}: {outcome.summary()}")
