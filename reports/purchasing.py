"""``chargeback invoice`` for a prepaid credit purchase: its journal (Dr prepaid / Cr payable) and the credits' expiry.

Called by ``reports.invoicing`` when ``billing.mode`` is ``prepaid`` and the file bills no usage
(see core/purchase.py). It writes ``<month>/invoices/<number>/`` whole or not at all, beside the
month's outputs like any invoice: the file as given, ``journal-purchase-<YYYY-MM>.csv``, its
configured layouts, ``focus-<YYYY-MM>.csv`` (FOCUS 1.2's prepaid ``Purchase`` row, example B1)
with its schema, and ``manifest.json`` (kind ``purchase``, with the expiry date). A purchase moves
nothing to cost centers, so it is not a true-up and History does not count it.
"""

from __future__ import annotations

import json
import secrets
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from reports import __version__
from reports.core.invoice import Invoice
from reports.core.journal import ledger_for
from reports.core.journal_entry import Journal
from reports.core.months import Month, rfc3339
from reports.core.purchase import expires_on, purchase_journal
from reports.core.settings import Settings
from reports.errors import UsageError
from reports.outputs import folder as output_folder
from reports.outputs import invoice_folder as names
from reports.outputs.folder import sha256_file
from reports.outputs.manifest import Manifest
from reports.outputs.names import MANIFEST

PURCHASE = "purchase"  # the manifest's ``kind``: an invoice folder that is a credit purchase, not a true-up


def purchase_stem(month: Month) -> str:
    return f"journal-purchase-{month}"


@dataclass(frozen=True)
class PurchaseResult:
    folder: Path
    files: list[Path]
    invoice: Invoice
    journal: Journal
    expires: date


def is_purchase_folder(manifest: dict[str, Any]) -> bool:
    return manifest.get("kind") == PURCHASE


def record_purchase(settings: Settings, invoice: Invoice, given: bytes, *, month: Month, output_dir: Path,
                    config_file: str, generated_at: datetime) -> PurchaseResult:
    """Record the purchase and publish its folder, or raise a ChargebackError and write nothing."""
    from reports.outputs import names as month_names
    from reports.outputs.focus import _text, focus_schema
    from reports.outputs.focus_invoice import purchase_focus_bytes
    from reports.outputs.journals import layout_files
    from reports.outputs.journals.generic import journal_csv_bytes

    ledger = ledger_for(settings, month)
    month_folder = output_dir / str(month)
    with output_folder.month_lock(output_dir, month), output_folder.writing_to(output_dir):
        output_folder.recover(output_dir, month)
        Manifest.read(month_folder, month)  # UsageError: the month was never run
        root = month_folder / names.INVOICES
        target = root / invoice.number
        if target.exists():
            raise UsageError(f"invoice {invoice.number} is already recorded for {month} in {target}; an invoice "
                             f"number is recorded once (a corrected invoice has its own number)")
        earlier = sum(1 for path in root.glob(f"*/{MANIFEST}") if is_purchase_folder(_json(path))) \
            if root.is_dir() else 0
        journal = purchase_journal(invoice, settings, ledger, month=month, number=earlier + 1)
        stem = purchase_stem(month)
        files = [(names.INVOICE_FILE, given), (f"{stem}.csv", journal_csv_bytes(journal)),
                 *layout_files(journal, settings, stem)]
        focus = month_names.focus_name(month)
        files += [(focus, purchase_focus_bytes(invoice, month, _text(settings.organization))),
                  (month_names.focus_schema_name(month),
                   (json.dumps(focus_schema(focus), indent=2) + "\n").encode("utf-8"))]
        staging = root / f".staging-{invoice.number}-{secrets.token_hex(4)}"
        try:
            staging.mkdir(parents=True)
            for name, data in files:
                (staging / name).write_bytes(data)
            expires = expires_on(invoice.day)
            manifest = {
                "format": names.FORMAT, "kind": PURCHASE, "month": str(month),
                "invoice": {"number": invoice.number, "issuer": invoice.issuer, "date": invoice.day.isoformat(),
                            "currency": invoice.currency, "total": str(invoice.total)},
                "purchase": {"journal_id": journal.journal_id, "amount": str(invoice.total),
                             "prepaid_account": settings.billing.prepaid_account,
                             "payable_account": settings.billing.payable_account, "expires": expires.isoformat()},
                "generated_at": rfc3339(generated_at), "tool_version": __version__, "config_file": config_file,
                "config_sha256": settings.sha256,
                "outputs": [{"file": name, "sha256": sha256_file(staging / name)} for name, _ in files],
            }
            (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
            folder = output_folder.publish_beside(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return PurchaseResult(folder, [folder / name for name, _ in files] + [folder / MANIFEST], invoice, journal,
                          expires)


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
