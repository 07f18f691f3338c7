"""An invoice's folder ``<month>/invoices/<number>/``: its file names, its manifest, and the true-ups already recorded.

The folder sits beside the month's outputs (a closed month's seal is never touched); its
``manifest.json`` lists every file with its SHA-256 and what its true-up posted per cost center,
so the next invoice for the month (and the History) knows what the books hold.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports.core.history import Adjustment
from reports.core.months import Month
from reports.core.posting import adjustment_of
from reports.core.trueup import TrueUp
from reports.errors import DataError
from reports.outputs.folder import sha256_file
from reports.outputs.json_values import read_json_values
from reports.outputs.manifest_totals import adjustment_from_json, adjustment_json
from reports.outputs.names import MANIFEST
from reports.outputs.verify import changed_files, listing

INVOICES = "invoices"
INVOICE_FILE = "invoice.yaml"
FORMAT = 1


def workbook_name(month: Month) -> str:
    return f"invoice-{month}.xlsx"


def pdf_name(month: Month) -> str:
    return f"invoice-{month}.pdf"


def trueup_stem(month: Month) -> str:
    return f"journal-trueup-{month}"


def trueup_name(month: Month) -> str:
    return f"{trueup_stem(month)}.csv"


@dataclass(frozen=True)
class RecordedTrueUp:
    """An invoice already recorded for the month: its number, its true-up's number and what it posted."""

    invoice: str
    number: int
    adjustment: Adjustment
    folder: Path


def write_manifest(folder: Path, *, month: Month, trueup: TrueUp, files: Iterable[str], generated_at: str,
                   tool_version: str, config_file: str, config_sha256: str) -> None:
    """``manifest.json`` of the invoice folder: every file's SHA-256 and what the true-up posts."""
    invoice = trueup.invoice
    data: dict[str, Any] = {
        "format": FORMAT,
        "month": str(month),
        "invoice": {"number": invoice.number, "issuer": invoice.issuer, "date": invoice.day.isoformat(),
                    "currency": invoice.currency, "total": str(invoice.total)},
        "trueup": {"label": trueup.label, "journal_id": trueup.journal.journal_id,
                   "posting_date": trueup.journal.day.isoformat(), "charged_back": str(trueup.charged_back),
                   "excluded": str(trueup.excluded), "policies": dict(trueup.policies)},
        "generated_at": generated_at,
        "tool_version": tool_version,
        "config_file": config_file,
        "config_sha256": config_sha256,
        "outputs": [{"file": name, "sha256": sha256_file(folder / name)} for name in files],
        "adjustment": adjustment_json(adjustment_of(trueup.label, trueup.journal)),
    }
    (folder / MANIFEST).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def recorded_trueups(month_folder: Path, month: Month, *, every_file: bool = True) -> list[RecordedTrueUp]:
    """The invoices recorded for the month, T1 first; DataError naming a folder that does not verify."""
    root = month_folder / INVOICES
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(path for path in root.iterdir() if path.is_dir() and not path.name.startswith(".")):
        path = folder / MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise DataError(f"{path}: cannot read the invoice's manifest ({exc}): what its true-up posted "
                            "cannot be known") from None
        where = read_json_values(str(path))
        top = where.mapping(data, "the manifest")
        purchase = top.get("kind") == "purchase"  # a prepaid credit purchase (reports/purchasing.py): no true-up
        outputs = {item["file"]: item["sha256"] for item in where.list(top.get("outputs"), "outputs")
                   if isinstance(item, dict) and isinstance(item.get("file"), str)}
        changed = changed_files(folder, outputs, every_file=every_file)
        if changed:
            raise DataError(f"files of {folder} differ from its {MANIFEST} or are missing: {listing(changed)}")
        if purchase:
            continue
        adjustment = adjustment_from_json(top.get("adjustment"), where)
        label = adjustment.label
        if not (label.startswith("T") and label[1:].isdigit()):
            raise DataError(f"{path}: adjustment.label must be T<n>, got {label!r}")
        invoice = where.text(where.mapping(top.get("invoice"), "invoice").get("number"), "invoice.number")
        found.append(RecordedTrueUp(invoice, int(label[1:]), adjustment, folder))
    return sorted(found, key=lambda item: item.number)


def sealable_files(month_folder: Path) -> dict[str, str]:
    """Every recorded invoice's files and manifest, relative to the month folder, for ``close`` to seal.

    Each invoice folder is checked against its manifest first (DataError naming what changed):
    a tampered true-up is never sealed.
    """
    root = month_folder / INVOICES
    if not root.is_dir():
        return {}
    files: dict[str, str] = {}
    for folder in sorted(path for path in root.iterdir() if path.is_dir() and not path.name.startswith(".")):
        path = folder / MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise DataError(f"{path}: cannot read the invoice's manifest ({exc}); restore it before closing") from None
        where = read_json_values(str(path))
        outputs = {item["file"]: item["sha256"]
                   for item in where.list(where.mapping(data, "the manifest").get("outputs"), "outputs")
                   if isinstance(item, dict) and isinstance(item.get("file"), str)
                   and isinstance(item.get("sha256"), str)}
        changed = changed_files(folder, outputs, every_file=True)
        if changed:
            raise DataError(f"files of {folder} differ from its {MANIFEST} or are missing: {listing(changed)}; "
                            "restore them before closing")
        prefix = f"{INVOICES}/{folder.name}/"
        files[prefix + MANIFEST] = sha256_file(path)
        files.update({prefix + name: digest for name, digest in outputs.items()})
    return files
