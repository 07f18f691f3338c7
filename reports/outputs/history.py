"""Reading the output folder for the History: what each month posted, trusted only once its seal or manifest verifies.

A closed month is its seal's totals plus each ``restatements/R<n>/`` adjustment (from that
folder's own manifest); a month run but not closed is its manifest's totals; a month with no
folder is a gap. A folder whose seal or manifest does not verify is reported by name, never used.
Every run verifies through the hash chain (outputs/verify.py); ``every_file`` re-hashes every
file, raw pages included, for the commands that vouch for the whole folder.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

from reports.core.history import CLOSED, NOT_CLOSED, Adjustment, History, Posted, Unreadable, window
from reports.core.money import ZERO, round_cents
from reports.core.months import Month
from reports.errors import DataError, UsageError
from reports.outputs.atomic import write_atomic
from reports.outputs.inert import csv_field
from reports.outputs.invoice_folder import recorded_trueups
from reports.outputs.manifest import Manifest
from reports.outputs.manifest_totals import LedgerTotals, Totals
from reports.outputs.names import MANIFEST
from reports.outputs.seal import RESTATEMENTS, Seal, read_seal, verify_seal
from reports.outputs.verify import changed_files, listing


def verify_listed(folder: Path, manifest: Manifest, *, every_file: bool) -> None:
    """Fail naming the files that are missing or differ from the SHA-256 the manifest records
    (only the journals are hashed without ``every_file``)."""
    changed = changed_files(folder, {entry.file: entry.sha256 for entry in manifest.files}, every_file=every_file)
    if changed:
        raise DataError(f"files of {folder} differ from its {MANIFEST} or are missing: {listing(changed)}")


def posted_of_totals(month: Month, totals: Totals, status: str) -> Posted:
    """A run's journal as recorded in its totals: per cost center in the ledger's currency and in USD."""
    ledger_totals = totals.ledger or LedgerTotals.usd(totals)
    usd = dict(totals.cost_center_totals)
    ledger = {code: ledger_totals.cost_center_totals.get(code, ZERO) for code in usd}
    ledger.update({code: amount for code, amount in ledger_totals.cost_center_totals.items() if code not in ledger})
    return Posted(month, status, ledger_totals.currency, ledger_totals.rate, ledger, usd, totals.cost_center_names)


def restatement_folders(month_folder: Path) -> list[tuple[int, Path]]:
    """``restatements/R<n>/`` folders of a month, R1 first."""
    root = month_folder / RESTATEMENTS
    if not root.is_dir():
        return []
    found = [(int(path.name[1:]), path) for path in root.glob("R*") if path.name[1:].isdigit() and path.is_dir()]
    return sorted(found)


def _difference(after: Mapping[str, Decimal], before: Mapping[str, Decimal]) -> dict[str, Decimal]:
    return {code: after.get(code, ZERO) - before.get(code, ZERO) for code in dict.fromkeys([*after, *before])}


def _legacy_adjustment(label: str, sealed: Totals, restated: Totals) -> Adjustment:
    """The adjustment of a restatement written before manifests recorded it.

    Those restatements journalled the restated totals minus the sealed ones (whatever came
    before), so that difference is exactly what their adjustment journal posted.
    """
    sealed_posted = posted_of_totals(Month(2000, 1), sealed, CLOSED)
    restated_posted = posted_of_totals(Month(2000, 1), restated, CLOSED)
    return Adjustment(label, restated_posted.currency, _difference(restated_posted.ledger, sealed_posted.ledger),
                      _difference(restated_posted.usd, sealed_posted.usd), dict(restated.cost_center_names))


def posted_for_closed(month_folder: Path, month: Month, seal: Seal, *, every_file: bool) -> Posted:
    """What a closed month's books hold: the sealed journal plus every restatement's adjustment so far.

    Each restatement folder must have a readable manifest whose files verify (every file, or
    its journals); DataError names the folder otherwise (what was posted cannot be known from it).
    """
    posted = posted_of_totals(month, seal.totals, CLOSED)
    for number, folder in restatement_folders(month_folder):
        label = f"R{number}"
        try:
            manifest = Manifest.read(folder, month)
        except UsageError:
            raise DataError(f"{folder} has no {MANIFEST}: what restatement {label} posted cannot be known") from None
        verify_listed(folder, manifest, every_file=every_file)
        adjustment = manifest.totals.adjustment or _legacy_adjustment(label, seal.totals, manifest.totals)
        if adjustment.currency != posted.currency:
            raise DataError(f"{folder}: restatement {label} is in {adjustment.currency}, but {month} was closed "
                            f"with its journal in {posted.currency}")
        posted = posted.plus(Adjustment(label, adjustment.currency, adjustment.ledger, adjustment.usd,
                                        adjustment.names))
    return posted


def read_month(output_dir: Path, month: Month, *, every_file: bool = False,
               trueups: bool = True) -> Posted | Unreadable | None:
    """One month as posted, Unreadable (naming the folder and why), or None when it was never run.

    With ``trueups`` the invoice true-ups recorded for the month count like adjustments (the History
    and the year to date); without, it is the usage journal and its restatements only.
    """
    folder = output_dir / str(month)
    if not folder.is_dir():
        return None
    try:
        seal = read_seal(folder)
        if seal is not None:
            verify_seal(folder, seal, every_file=every_file)
            posted = posted_for_closed(folder, month, seal, every_file=every_file)
        else:
            if not (folder / MANIFEST).is_file():
                if not any(folder.iterdir()):
                    return None
                return Unreadable(month, f"{folder} has files but no {MANIFEST}: it is not a published run")
            manifest = Manifest.read(folder, month)
            verify_listed(folder, manifest, every_file=every_file)
            posted = posted_of_totals(month, manifest.totals, NOT_CLOSED)
        return with_trueups(folder, posted, every_file=every_file) if trueups else posted
    except DataError as exc:
        return Unreadable(month, _reason(exc, folder))
    except OSError as exc:
        return Unreadable(month, f"{folder} cannot be read: {exc.strerror or exc}")


def with_trueups(month_folder: Path, posted: Posted, *, every_file: bool = False) -> Posted:
    """``posted`` plus every invoice true-up recorded in the month folder (each verified), T1 first."""
    for recorded in recorded_trueups(month_folder, posted.month, every_file=every_file):
        if recorded.adjustment.currency != posted.currency:
            raise DataError(f"{recorded.folder}: true-up T{recorded.number} is in {recorded.adjustment.currency}, "
                            f"but {posted.month} was posted in {posted.currency}")
        posted = posted.trued_up(recorded.adjustment)
    return posted


def _reason(exc: DataError, folder: Path) -> str:
    text = str(exc).replace("; restore them from your records before restating", "")
    return text if str(folder) in text else f"{folder}: {text}"


def read_history(output_dir: Path, month: Month, *, every_file: bool = False) -> dict[Month, Posted | Unreadable]:
    """The eleven months before ``month`` as posted (gaps left out); the reported month is the caller's."""
    found: dict[Month, Posted | Unreadable] = {}
    for earlier in window(month)[:-1]:
        item = read_month(output_dir, earlier, every_file=every_file)
        if item is not None:
            found[earlier] = item
    return found


def read_all(output_dir: Path, month: Month, *, every_file: bool = False) -> dict[Month, Posted | Unreadable]:
    """The twelve months ending with ``month`` as posted, the reported month read from its folder too."""
    found = read_history(output_dir, month, every_file=every_file)
    item = read_month(output_dir, month, every_file=every_file)
    if item is not None:
        found[month] = item
    return found


def table(history: History) -> list[list[str]]:
    """The History sheet as rows of text (header first; amounts as plain numbers with two decimals, gaps empty)."""
    def amount(value: Decimal | None) -> str:
        return "" if value is None else f"{round_cents(value):.2f}"

    codes = list(history.codes)
    rows = [["Month", "Status", "Total", *codes]]
    for row in history.rows:
        rows.append([str(row.month), row.status, amount(row.total), *(amount(row.amount(code)) for code in codes)])
    lines = {line.code: line for line in history.lines}
    span = history.months_posted  # the year block's Status: how many of the fiscal year's months it counts
    rows.append(["Year to Date", span, amount(history.year_to_date),
                 *(amount(lines[code].year_to_date) for code in codes)])
    rows.append(["Budget to Date", span, amount(history.budget_to_date),
                 *(amount(lines[code].budget_to_date) for code in codes)])
    rows.append(["Variance", span, amount(history.variance), *(amount(lines[code].variance) for code in codes)])
    return rows


def notes(history: History) -> list[str]:
    """What the table's figures are, as the sheet's notes say it."""
    shown = [] if history.projection_text is None else [history.projection_text]
    currency = history.table_currency
    if currency not in (None, "USD"):
        shown.insert(0, f"Amounts are the posted journals in {currency}, the ledger's currency.")
    return shown + list(history.notes)


def write_csv(history: History, path: Path) -> None:
    """The table as CSV (UTF-8, a header row, amounts with two decimals), written whole or not at all."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in table(history):
        writer.writerow([_inert(cell) for cell in row])
    write_atomic(path, buffer.getvalue().encode("utf-8"))


def _inert(cell: str) -> str:
    # A cost center code is configuration text: never let a spreadsheet read it as a formula.
    # (Amounts are plain numbers and may be negative, so only non-numeric text is quoted.)
    return cell if _is_number(cell) else csv_field(cell)


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True
