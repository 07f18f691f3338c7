"""``chargeback invoice``: record an invoice for a run month, walk to it and write its true-up, all or nothing.

The one procedure that does the I/O: read the invoice file and what the month posted (its
journal, restatements and earlier true-ups, each verified against its manifest), hand plain
data to the pure core (core/invoice.py, core/trueup.py), then write the invoice's folder in a
staging folder and rename it into ``<month>/invoices/<number>/``, beside the month's outputs.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from reports import __version__
from reports.config import load_settings
from reports.config.invoice_file import read_invoice
from reports.core.history import Posted, Unreadable
from reports.core.invoice import Walk, build_walk
from reports.core.journal import ledger_for
from reports.core.money import round_cents
from reports.core.months import Month, rfc3339
from reports.core.purchase import is_purchase
from reports.core.settings import Settings
from reports.core.trueup import TrueUp, build_trueup
from reports.errors import DataError, UsageError
from reports.outputs import folder as output_folder
from reports.outputs import invoice_folder as names
from reports.outputs.history import read_month, restatement_folders
from reports.outputs.manifest import Manifest
from reports.outputs.names import MANIFEST
from reports.purchasing import PurchaseResult, record_purchase
from reports.resources import config_to_read

STAGING = ".staging-"


@dataclass(frozen=True)
class InvoiceOptions:
    month: Month
    file: Path
    output_dir: Path
    config_path: Path | None = None
    demo: bool = False  # read with the demo mapping
    posting_date: date | None = None  # the true-up's date; None: the invoice date
    pdf: bool = True  # False: no one-page PDF (tests that do not read it)


@dataclass(frozen=True)
class InvoiceResult:
    folder: Path
    files: list[Path]
    walk: Walk
    trueup: TrueUp


def record_invoice(options: InvoiceOptions, *,
                   now: Callable[[], datetime] | None = None) -> InvoiceResult | PurchaseResult:
    """Record the invoice (or prepaid credit purchase) and publish its folder, or raise and write nothing."""
    clock = now or (lambda: datetime.now(UTC))
    month = options.month
    config_path = config_to_read(options.config_path, demo=options.demo)
    settings = load_settings(config_path)
    ledger = ledger_for(settings, month)
    invoice, given = read_invoice(options.file)  # the file is checked before anything is read or written
    if is_purchase(invoice, settings):
        return record_purchase(settings, invoice, given, month=month, output_dir=options.output_dir,
                               config_file=str(config_path), generated_at=clock().replace(microsecond=0))
    posting_date = options.posting_date or invoice.day
    if posting_date < month.last_day:
        raise UsageError(f"the true-up would post on {posting_date}, before the end of {month}: it posts in an open "
                         f"period, on or after {month.last_day} (pass --posting-date YYYY-MM-DD)")
    output_dir = options.output_dir
    month_folder = output_dir / str(month)
    with output_folder.month_lock(output_dir, month), output_folder.writing_to(output_dir):
        output_folder.recover(output_dir, month)
        manifest = Manifest.read(month_folder, month)  # UsageError: the month was never run
        root = month_folder / names.INVOICES
        target = root / invoice.number
        if target.exists():
            raise UsageError(f"invoice {invoice.number} is already recorded for {month} in {target}; an invoice "
                             f"number is recorded once (a corrected invoice has its own number)")
        for stale in root.glob(f"{STAGING}*") if root.is_dir() else ():
            shutil.rmtree(stale, ignore_errors=True)  # an interrupted earlier recording
        usage = _posted(output_dir, month)
        posted = usage
        recorded = names.recorded_trueups(month_folder, month)
        for earlier in recorded:
            posted = posted.plus(earlier.adjustment)
        list_price, priority_tier = _list_price(month_folder, month, manifest.source)
        walk = build_walk(invoice, charged=usage.total_usd, list_price=list_price,
                          tolerance=settings.billing.tolerance, priority_tier_included=priority_tier,
                          restated=bool(usage.restatements))
        trueup = build_trueup(invoice, settings, ledger, month=month,
                              number=max((item.number for item in recorded), default=0) + 1,
                              weights=usage.usd, posted=posted, day=posting_date)
        staging = root / f"{STAGING}{invoice.number}-{secrets.token_hex(4)}"
        generated_at = clock().replace(microsecond=0)
        try:
            staging.mkdir(parents=True)
            files = _write(staging, month, given, walk, trueup, settings)
            files += _write_focus(staging, month_folder, month, trueup, usage, settings)
            if options.pdf:
                from reports.outputs.invoice_pdf import write_invoice_pdf

                write_invoice_pdf(walk, trueup, staging / names.pdf_name(month), month=month,
                                  organization=settings.organization, tool_version=__version__,
                                  generated_at=generated_at, paper=settings.pdf.paper)
                files.insert(2, names.pdf_name(month))
            names.write_manifest(staging, month=month, trueup=trueup, files=files,
                                 generated_at=rfc3339(generated_at), tool_version=__version__,
                                 config_file=str(config_path), config_sha256=settings.sha256)
            folder = output_folder.publish_beside(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return InvoiceResult(folder, [folder / name for name in [*files, MANIFEST]], walk, trueup)


def _posted(output_dir: Path, month: Month) -> Posted:
    """What the month's journal and its restatements posted (every file verified)."""
    item = read_month(output_dir, month, every_file=True, trueups=False)
    if item is None:
        raise UsageError(f"{month} has not been run: run `chargeback run --month {month}` first")
    if isinstance(item, Unreadable):
        raise DataError(f"what {month} posted cannot be known: {item.reason}")
    return item


def _list_price(month_folder: Path, month: Month, source_name: str) -> tuple[Decimal | None, bool]:
    """The month's usage at list price (None when the source gives none) and whether it includes Priority Tier.

    Read from the latest data the month was reported from: its last restatement's pages, else the run's.
    """
    from reports.sources.registry import source_for
    from reports.sources.snapshot import Snapshot

    restated = restatement_folders(month_folder)
    folder = restated[-1][1] if restated else month_folder
    data = source_for(source_name).read(Snapshot(folder), month)
    listed = [row.list_amount_cents for row in data.cost_rows if row.list_amount_cents is not None]
    if not listed or len(listed) != len(data.cost_rows):
        return None, data.profile.priority_tier_included
    return round_cents(sum(listed, Decimal(0)).scaleb(-2)), data.profile.priority_tier_included


def _write(folder: Path, month: Month, given: bytes, walk: Walk, trueup: TrueUp, settings: Settings) -> list[str]:
    """The invoice as given, the workbook, the true-up journal and its layouts; their names in order."""
    from reports.outputs.invoice_workbook import write_invoice_workbook
    from reports.outputs.journals import layout_files
    from reports.outputs.journals.generic import write_journal_csv

    (folder / names.INVOICE_FILE).write_bytes(given)
    write_invoice_workbook(walk, trueup, folder / names.workbook_name(month))
    write_journal_csv(trueup.journal, folder / names.trueup_name(month))
    files = [names.INVOICE_FILE, names.workbook_name(month), names.trueup_name(month)]
    for name, data in layout_files(trueup.journal, settings, names.trueup_stem(month)):
        (folder / name).write_bytes(data)
        files.append(name)
    return files


def _write_focus(folder: Path, month_folder: Path, month: Month, trueup: TrueUp, usage: Posted,
                 settings: Settings) -> list[str]:
    """The month's FOCUS file (its latest restatement's, if restated) with the invoice applied, and its schema."""
    from reports.outputs import names as month_names
    from reports.outputs.focus import write_focus_schema
    from reports.outputs.focus_invoice import write_invoice_focus

    restated = restatement_folders(month_folder)
    base = (restated[-1][1] if restated else month_folder) / month_names.focus_name(month)
    centers = {**usage.names, **{center.code: center.name for center in settings.cost_centers}}
    write_invoice_focus(base, folder / month_names.focus_name(month), trueup, usage.usd, month, centers,
                        prepaid=settings.billing.mode == "prepaid")
    write_focus_schema(folder / month_names.focus_schema_name(month), month_names.focus_name(month))
    return [month_names.focus_name(month), month_names.focus_schema_name(month)]
