"""The month-end run: the one procedure that does I/O and hands plain data to the pure core.

config -> fetch (or the saved snapshot) -> normalize -> allocate/aggregate -> render ->
manifest -> publish. Nothing is published unless every step succeeded.
"""

from __future__ import annotations

import logging
import secrets
import shutil
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from reports import __version__
from reports.config import load_settings
from reports.core.aggregate import build_report
from reports.core.checks import Status
from reports.core.history import History, Posted, Unreadable, build_history
from reports.core.journal import ledger_for
from reports.core.journal_entry import Ledger
from reports.core.money_text import money_text
from reports.core.months import Month
from reports.core.posting import adjustment_of, posted_of_report
from reports.core.replaced import Replaced, compare, unreadable
from reports.core.report import Report, RunInfo
from reports.core.restate import build_restatement
from reports.core.settings import ANALYTICS, Settings
from reports.errors import DataError, SealedMonthError, UsageError
from reports.outputs import folder as output_folder
from reports.outputs import names
from reports.outputs.folder import sha256_file
from reports.outputs.history import posted_for_closed, read_history, with_trueups
from reports.outputs.manifest import FileEntry, Manifest, build_manifest
from reports.outputs.manifest_totals import LedgerTotals
from reports.outputs.replaced import KeptRun, keep_replaced
from reports.outputs.seal import RESTATEMENTS, Seal, next_restatement_number, read_seal, verify_seal
from reports.resources import config_dir, config_to_read, demo_config_path  # noqa: F401 - callers take the demo path from here
from reports.sources.base import Source
from reports.sources.client import RetryPolicy
from reports.sources.fetch import fetch_month
from reports.sources.registry import source_for
from reports.sources.snapshot import Snapshot, SnapshotWriter

log = logging.getLogger("reports.pipeline")


@dataclass(frozen=True)
class RunOptions:
    month: Month
    output_dir: Path
    config_path: Path | None = None  # None: the shipped demo mapping with demo, else resources.DEFAULT_CONFIG
    demo: bool = False
    offline: bool = False
    base_url: str | None = None
    api_key: str | None = None
    retry: RetryPolicy | None = None
    restate: bool = False  # re-run a sealed month beside its sealed outputs
    source: str | None = None  # `run --source`: overrides the config's source
    pdf: bool = True  # False: no executive summary (a backfilled month whose summary nobody will read)
    posting_date: date | None = None  # a restatement's adjustment journal date; None: the run date (UTC)


@dataclass(frozen=True)
class RunResult:
    report: Report
    folder: Path
    files: list[Path]
    requests_made: int | None
    bytes_received: int | None
    no_change: str | None = None  # a restatement that changes no debit: what it is unchanged since; nothing written


def load_run_settings(options: RunOptions) -> tuple[Settings, Path]:
    path = config_to_read(options.config_path, demo=options.demo, source=options.source)
    return load_settings(path, source=options.source), path


def new_run_id(month: Month, now: datetime) -> str:
    return f"{month}-{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def run(options: RunOptions, *, now: Callable[[], datetime] | None = None) -> RunResult:
    """Produce and publish the month's outputs, or raise a ChargebackError and publish nothing."""
    clock = now or (lambda: datetime.now(UTC))
    settings, config_path = load_run_settings(options)  # validated before any network call
    ledger = ledger_for(settings, options.month)  # a month without its exchange rate stops here too
    if not options.offline and not options.demo and not options.api_key:
        raise UsageError("no Admin API key: set ANTHROPIC_ADMIN_API_KEY or pass --api-key-file PATH "
                         "(or try --demo)")
    generated_at = clock().replace(microsecond=0)
    if settings.source == ANALYTICS and not options.offline:
        from reports.sources.analytics import check_lookback

        check_lookback(options.month, generated_at)  # before any request: the API would refuse it
    run_id = new_run_id(options.month, generated_at)
    posting_date = options.posting_date or generated_at.date()  # default: the run date (UTC)
    if options.restate and posting_date < options.month.last_day:
        raise UsageError(f"--posting-date {posting_date} is before the end of {options.month}: an adjustment "
                         f"posts in an open period, on or after {options.month.last_day}")
    options = replace(options, posting_date=posting_date)
    output_dir = options.output_dir
    with output_folder.month_lock(output_dir, options.month), output_folder.writing_to(output_dir):
        output_folder.recover(output_dir, options.month)
        sealed = _sealed_state(options)
        if sealed is not None:
            _check_sealed_ledger(sealed.seal, ledger, options.month)
        staging = output_dir / output_folder.staging_name(options.month, run_id)
        try:
            staging.mkdir(parents=True)
            result = _produce(options, settings, config_path, staging, run_id, generated_at, sealed)
            if result.no_change is not None:
                shutil.rmtree(staging, ignore_errors=True)  # nothing to post: nothing is written
                return RunResult(result.report, output_dir / str(options.month), [], result.requests_made,
                                 result.bytes_received, no_change=result.no_change)
            if sealed is None:
                folder = output_folder.publish(staging, output_dir, options.month)
            else:
                folder = output_folder.publish_beside(staging, output_dir / str(options.month) / RESTATEMENTS
                                                      / f"R{sealed.number}")
        except DataError as exc:
            try:
                kept = output_folder.keep_failed_pages(staging, output_dir, options.month, run_id)
            except OSError:
                shutil.rmtree(staging, ignore_errors=True)
                raise exc from None  # the data problem is the news; the pages could not be kept
            if kept is None:
                raise
            raise DataError(f"{exc} (the pages as received are kept in {kept})") from None
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    files = [folder / name for name in result.files]
    return RunResult(result.report, folder, files, result.requests_made, result.bytes_received)


def _check_sealed_ledger(seal: Seal, ledger: Ledger, month: Month) -> None:
    """A restatement posts at the rate the sealed journal was posted at; a changed currency or rate is refused."""
    sealed = seal.totals.ledger or LedgerTotals.usd(seal.totals)
    if (sealed.currency, sealed.rate) != (ledger.currency, ledger.rate):
        raise UsageError(
            f"{month} was closed with its journal in {sealed.currency} at {sealed.rate} per USD, but the configuration "
            f"now says {ledger.currency} at {ledger.rate}: a closed month's currency and rate cannot change; restore "
            f"journal.currency and journal.exchange_rates for {month} to restate it")


@dataclass(frozen=True)
class _Sealed:
    """A closed month being restated: its seal, the next restatement's number, and what is posted so far."""

    seal: Seal
    number: int
    posted: Posted  # the sealed journal plus every earlier restatement's adjustment
    latest: str  # what the books hold now, in words: the sealed run, or the latest restatement


def _sealed_state(options: RunOptions) -> _Sealed | None:
    """The closed month's seal, next restatement number and posted figures, or None for an open month."""
    folder = options.output_dir / str(options.month)
    seal = read_seal(folder)
    if seal is None:
        if options.restate:
            raise UsageError(f"--restate is for closed months; {options.month} has not been closed "
                             f"(run `chargeback run --month {options.month}` without --restate)")
        return None
    if not options.restate:
        raise SealedMonthError(
            f"{options.month} was closed on {seal.sealed_at} (run {seal.run_id}); a new run would rewrite "
            f"closed books. Use --restate to write a restatement beside the sealed outputs")
    verify_seal(folder, seal, every_file=True)  # the closed books are about to be restated: check them all
    posted = posted_for_closed(folder, options.month, seal, every_file=True)
    latest = f"the sealed run {seal.run_id} (closed {seal.sealed_at})"
    if posted.restatements:
        label = posted.restatements[-1]
        manifest = Manifest.read(folder / RESTATEMENTS / label, options.month)  # read and verified just above
        latest = f"{label} (run {manifest.run_id}, {manifest.generated_at})"
    return _Sealed(seal, next_restatement_number(folder), posted, latest)


@dataclass
class _Produced:
    report: Report
    files: list[str]
    requests_made: int | None
    bytes_received: int | None
    no_change: str | None = None


def _produce(options: RunOptions, settings: Settings, config_path: Path, staging: Path, run_id: str,
             generated_at: datetime, sealed: _Sealed | None) -> _Produced:
    month = options.month
    source = source_for(settings.source, settings)
    requests_made = bytes_received = None
    if options.offline:
        source_folder = options.output_dir / str(month)
        recorded = Snapshot(source_folder).source  # fails clearly when there is no snapshot
        if recorded != source.name:
            raise UsageError(f"the snapshot of {month} in {source_folder / 'raw'} was fetched from source {recorded}, "
                             f"not {source.name}: re-render it with --source {recorded}, or run the month online")
        _check_index_is_the_recorded_one(source_folder, month)
        shutil.copytree(source_folder / "raw", staging / "raw")
        how = "offline"
    else:
        with ExitStack() as stack:
            base_url, api_key = options.base_url, options.api_key
            if options.demo:
                from reports.simulator.demo import demo_organization
                from reports.simulator.server import DEMO_API_KEY, SimulatorServer

                simulator = stack.enter_context(SimulatorServer(demo_organization()))
                base_url, api_key = simulator.base_url, DEMO_API_KEY
            assert base_url and api_key
            fetched = fetch_month(source.queries(month), SnapshotWriter(staging, source.name), base_url=base_url,
                                  api_key=api_key, retry=options.retry,
                                  follow_up=lambda pages: source.follow_up(month, pages))
            requests_made, bytes_received = fetched.stats.requests, fetched.stats.bytes_received
        how = "demo" if options.demo else "api"

    snapshot = Snapshot(staging)
    directory_notes: tuple[str, ...] = ()
    if settings.directory is not None and (options.offline or sealed is not None):
        # the month's people as the run read them, not the file as it is today
        settings, directory_notes = _month_directory(settings, options.output_dir / str(month), month)
    # A re-render from the snapshot or a restatement re-derives the books from what is on disk:
    # it vouches for every file of the months it reads. A month-end run checks the hash chain.
    earlier = read_history(options.output_dir, month, every_file=options.offline or options.restate)
    prior_posted = earlier.get(month.prior())  # the comparisons use the prior month as its books hold it
    log.info("%s: reading %d pages and allocating…", month, len(snapshot.records))
    report = _report_from_snapshot(snapshot, source, settings, month, RunInfo(
        run_id=run_id, generated_at=generated_at, tool_version=__version__, source=how,
        config_sha256=settings.sha256, demo=options.demo, data_fetched_at=snapshot.fetched_at,
        notes=(("DEMO: a simulated organization; these are not real charges.",) if options.demo else ())
        + directory_notes,
        directory_file=settings.directory.file if settings.directory else None,
        directory_sha256=settings.directory.sha256 if settings.directory else None,
    ), prior_posted if isinstance(prior_posted, Posted) else None)
    if sealed is not None:
        report = _with_restatement(report, settings, sealed, options.posting_date or generated_at.date())
    report = replace(report, history=_history(earlier, report, settings, sealed, output_dir=options.output_dir,
                                              every_file=options.offline or options.restate))
    if not report.reconciliation.passed:
        failed = [check.name for check in report.reconciliation.checks if check.status == Status.FAIL]
        raise DataError(f"reconciliation failed for {month}: {'; '.join(failed)}; nothing was published")
    if sealed is not None and report.restatement is not None and not report.restatement.adjustment_journal.lines:
        return _Produced(report, [], requests_made, bytes_received, no_change=sealed.latest)  # nothing to post
    # an open month run again: the run it replaces is kept (replaced/<run id>/) and the change recorded
    kept = None if sealed is not None else keep_replaced(options.output_dir / str(month), staging, month)
    if kept is not None:
        report = replace(report, run_info=replace(report.run_info, replaces=_replaces(kept, report)))
    log.info("%s: %s line items allocated to %d cost centers; writing the outputs…", month,
             f"{report.reconciliation.line_item_count:,}", len(report.cost_centers))
    files = _render(report, settings, staging, pdf=options.pdf)
    if settings.directory is not None:  # kept with the month (and so in the manifest and under the seal)
        (staging / names.DIRECTORY_COPY).write_bytes(settings.directory.data)
        files.append(names.DIRECTORY_COPY)
    raw = [FileEntry(record.file, record.sha256, record.query, record.request_id) for record in snapshot.records]
    raw.append(FileEntry(snapshot.index_file, sha256_file(staging / snapshot.index_file)))
    build_manifest(staging, report, raw, files + list(kept.files if kept is not None else ()),
                   config_file=str(config_path), requests_made=requests_made).write(staging)
    log.info("%s: wrote %s (%d files hashed)", month, names.MANIFEST, len(raw) + len(files))
    return _Produced(report, files + [names.MANIFEST], requests_made, bytes_received)


def _replaces(kept: KeptRun, report: Report) -> Replaced:
    """The change from the replaced run: each cost center's journal debit (USD), as the two manifests record it."""
    if kept.totals is None:
        return unreadable(kept.run_id)
    total, centers = kept.totals
    return compare(kept.run_id, kept.generated_at, centers, total,
                   {line.code: line.total for line in report.cost_centers}, report.total)


def _with_restatement(report: Report, settings: Settings, sealed: _Sealed, posting_date: date) -> Report:
    seal = sealed.seal
    restatement = build_restatement(report, settings, number=sealed.number, sealed_run_id=seal.run_id,
                                    sealed_at=seal.sealed_at, sealed_total=seal.total, posted=sealed.posted,
                                    posting_date=posting_date)
    posted = ""
    if restatement.earlier:
        posted = (f", posted so far (sealed plus {', '.join(restatement.earlier)}) "
                  f"{money_text(restatement.posted_before)}")
    note = (f"Restatement {restatement.label} of {report.month}, closed on {seal.sealed_at} (run {seal.run_id}): "
            f"sealed total {money_text(seal.total)}{posted}, restated {money_text(restatement.restated_total)}, "
            f"difference {money_text(restatement.difference, signed=True)}. Post only the adjustment journal, "
            f"dated {posting_date}.")
    run_info = replace(report.run_info, notes=report.run_info.notes + (note,))
    return replace(report, restatement=restatement, run_info=run_info)


def _history(earlier: Mapping[Month, Posted | Unreadable], report: Report, settings: Settings,
             sealed: _Sealed | None, *, output_dir: Path, every_file: bool) -> History:
    """The trailing twelve months as posted: the month folders before this one (``earlier``), and this run itself."""
    if sealed is None:
        current = posted_of_report(report)
    else:
        assert report.restatement is not None
        current = sealed.posted.plus(adjustment_of(report.restatement.label, report.restatement.adjustment_journal))
    current = with_trueups(output_dir / str(report.month), current, every_file=every_file)  # invoices recorded
    posted = {**earlier, report.month: current}
    return build_history(report.month, posted, settings)


def _month_directory(settings: Settings, folder: Path, month: Month) -> tuple[Settings, tuple[str, ...]]:
    """The settings with the directory file the month's run kept (``directory.csv``), and a note when the
    configured file differs today; the configured file itself for a month run before it had one."""
    from reports.config.directory_file import reread_people

    assert settings.directory is not None
    kept_path = folder / names.DIRECTORY_COPY
    if not kept_path.is_file():
        return settings, ()
    recorded = Manifest.read(folder, month).directory_sha256 if (folder / names.MANIFEST).is_file() else None
    if recorded is not None and sha256_file(kept_path) != recorded:
        raise DataError(f"{kept_path} does not match the directory SHA-256 in {names.MANIFEST}: the month's copy "
                        "of the directory file was changed after the run; restore it or re-run the month online")
    kept = reread_people(settings.directory, kept_path, {center.code for center in settings.cost_centers},
                         settings.source_path)
    notes: tuple[str, ...] = ()
    if kept.sha256 != settings.directory.sha256:
        notes = (f"People are placed by the directory file {month}'s run kept ({names.DIRECTORY_COPY}, SHA-256 "
                 f"{kept.sha256[:12]}…), not by {settings.directory.file} as it is now (SHA-256 "
                 f"{settings.directory.sha256[:12]}…).",)
    return replace(settings, directory=replace(kept, file=settings.directory.file)), notes


def _check_index_is_the_recorded_one(folder: Path, month: Month) -> None:
    """An offline re-render reads the snapshot the run recorded, not an edited index."""
    if not (folder / names.MANIFEST).is_file():
        return  # a folder without a manifest was never published; the chain check still applies
    entry = next((item for item in Manifest.read(folder, month).raw_pages if item.file == Snapshot.index_file), None)
    if entry is not None and sha256_file(folder / Snapshot.index_file) != entry.sha256:
        raise DataError(f"{folder / Snapshot.index_file} does not match the SHA-256 in {names.MANIFEST}: the "
                        "snapshot's index was changed after the run; restore it or re-run the month online")


def _report_from_snapshot(snapshot: Snapshot, source: Source, settings: Settings, month: Month,
                          run_info: RunInfo, prior_posted: Posted | None = None) -> Report:
    queries = source.queries(month)
    snapshot.require((query.name, query.required) for query in queries)
    snapshot.require((query.name, query.required) for query in source.follow_up(month, snapshot.pages))
    data = source.read(snapshot, month)
    # the snapshot's own checks (text that was not valid Unicode) join the source's
    return build_report(month, settings, replace(data, checks=data.checks + snapshot.text_checks()), run_info,
                        prior_posted=prior_posted, books_read=True)


def _render(report: Report, settings: Settings, folder: Path, *, pdf: bool = True) -> list[str]:
    from reports.outputs.pdf import start_pdf

    month = report.month
    # The PDF renders in a second process meanwhile: it needs only the finished HTML, and on
    # two cores the run then takes about as long as its other outputs alone.
    pending = start_pdf(report, folder / names.pdf_name(month), paper=settings.pdf.paper) if pdf else None
    try:
        files = _write_tables(report, settings, folder)
        if pending is not None:
            log.info("%s: waiting for the PDF…", month)
            pending.finish()
            files.insert(1, names.pdf_name(month))
            log.info("%s: wrote %s", month, names.pdf_name(month))
    finally:
        if pending is not None:
            pending.cancel()
    return files


def _write_tables(report: Report, settings: Settings, folder: Path) -> list[str]:
    """The workbook, the journals and the FOCUS file; their names in the manifest's order (the PDF goes second)."""
    from reports.outputs.focus import write_focus_csv, write_focus_schema
    from reports.outputs.journals import layout_files
    from reports.outputs.journals.generic import write_journal_csv
    from reports.outputs.reversal_files import write_reversal
    from reports.outputs.workbook import write_workbook

    month = report.month
    write_workbook(report, folder / names.workbook_name(month))
    log.info("%s: wrote %s (%s line items)", month, names.workbook_name(month),
             f"{report.reconciliation.line_item_count:,}")
    write_journal_csv(report.journal, folder / names.journal_name(month))
    files = [names.workbook_name(month), names.journal_name(month)]
    # A restatement's folder gets its own FOCUS file: the whole month again (see outputs/focus.py)
    write_focus_csv(report, folder / names.focus_name(month))
    write_focus_schema(folder / names.focus_schema_name(month), names.focus_name(month))
    files += [names.focus_name(month), names.focus_schema_name(month)]
    log.info("%s: wrote %s and %s", month, names.journal_name(month), names.focus_name(month))
    # The import layouts are of what is to be posted: the month's journal, or for a
    # restatement only its adjustment journal (the sealed journal is already posted).
    journal, stem = report.journal, names.journal_stem(month)
    if report.restatement is not None:
        label = report.restatement.label
        write_journal_csv(report.restatement.adjustment_journal, folder / names.adjustment_journal_name(month, label))
        files.append(names.adjustment_journal_name(month, label))
        journal, stem = report.restatement.adjustment_journal, names.adjustment_journal_stem(month, label)
    for name, data in layout_files(journal, settings, stem):
        (folder / name).write_bytes(data)
        files.append(name)
    files += write_reversal(report, settings, folder)
    if settings.journal.layouts:
        log.info("%s: wrote the journal (%d lines) in %d import layout(s): %s", month, len(journal.lines),
                 len(settings.journal.layouts), ", ".join(settings.journal.layouts))
    return files
