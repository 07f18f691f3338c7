"""The month's output folder: staging, the lock, the manifest, and the all-or-nothing publish.

A run writes everything into a staging folder beside the month's folder and renames it into
place only when every file is written, so readers see the old outputs or the new ones, never
half of either.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from reports.errors import LockError
from reports.models import Report
from reports.months import Month
from reports.snapshot import PageRecord

# Files a run does not produce but must carry over from the previous outputs of the month.
KEPT_RECORDS = ("email-sent.json", "seal.json")


def workbook_name(month: Month) -> str:
    return f"chargeback-{month}.xlsx"


def pdf_name(month: Month) -> str:
    return f"executive-summary-{month}.pdf"


def journal_name(month: Month) -> str:
    return f"journal-{month}.csv"


def adjustment_journal_name(month: Month, label: str) -> str:
    return f"journal-adjustment-{month}-{label}.csv"


MANIFEST = "manifest.json"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def month_lock(output_dir: Path, month: Month) -> Iterator[None]:
    """Hold an exclusive lock for the month so two runs cannot interleave their outputs."""
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / f".{month}.lock"
    handle = path.open("a+")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockError(f"another chargeback run for {month} is in progress (lock {path}); "
                            "wait for it to finish") from None
        yield
    finally:
        handle.close()


def recover(output_dir: Path, month: Month) -> None:
    """Finish or undo a publish that was interrupted between its two renames."""
    final = output_dir / str(month)
    previous = output_dir / f".previous-{month}"
    if previous.exists():
        if final.exists():
            shutil.rmtree(previous, ignore_errors=True)
        else:
            os.replace(previous, final)
    for stale in output_dir.glob(f".staging-{month}-*"):
        shutil.rmtree(stale, ignore_errors=True)


def staging_name(month: Month, run_id: str) -> str:
    return f".staging-{month}-{run_id}"


def keep_failed_pages(staging: Path, output_dir: Path, month: Month, run_id: str) -> Path | None:
    """After untrustworthy data, keep the raw pages (only) for inspection; drop the rest."""
    raw = staging / "raw"
    if not raw.is_dir():
        shutil.rmtree(staging, ignore_errors=True)
        return None
    target = output_dir / "failed" / f"{month}-{run_id}"
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(raw, target)
    shutil.rmtree(staging, ignore_errors=True)
    return target


def publish(staging: Path, output_dir: Path, month: Month) -> Path:
    """Move the staging folder into place as ``<output>/<month>``, keeping send/seal records."""
    final = output_dir / str(month)
    previous = output_dir / f".previous-{month}"
    if final.exists():
        for name in KEPT_RECORDS:
            if (final / name).exists() and not (staging / name).exists():
                shutil.copy2(final / name, staging / name)
    _fsync_tree(staging)
    # No SIGTERM/SIGINT between the two renames: the month folder is never missing.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    try:
        if final.exists():
            os.replace(final, previous)
        os.replace(staging, final)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    shutil.rmtree(previous, ignore_errors=True)
    return final


def publish_beside(staging: Path, target: Path) -> Path:
    """Move a restatement's staging folder to its own new folder; never over sealed outputs."""
    if target.exists():
        raise FileExistsError(f"{target} already exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    _fsync_tree(staging)
    os.replace(staging, target)
    return target


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())


def write_manifest(folder: Path, report: Report, raw_pages: list[PageRecord], outputs: list[str],
                   *, config_file: str, requests_made: int | None) -> Path:
    """Write manifest.json: provenance, totals and a SHA-256 for every raw page and output."""
    info = report.run_info
    manifest = {
        "run_id": info.run_id,
        "month": str(report.month),
        "tool_version": info.tool_version,
        "source": info.source,
        "demo": info.demo,
        "organization": report.organization,
        "generated_at": info.generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data_fetched_at": info.data_fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ") if info.data_fetched_at else None,
        "config_file": config_file,
        "config_sha256": info.config_sha256,
        "requests_made": requests_made,
        "raw_pages": [
            {"file": page.file, "sha256": page.sha256, "query": page.query, "request_id": page.request_id}
            for page in raw_pages
        ],
        "outputs": [{"file": name, "sha256": sha256_file(folder / name)} for name in outputs],
        "totals": totals_of(report),
        "reconciliation": {check.name: check.status for check in report.reconciliation.checks
                           if check.status != "WARN"} | {"unmapped_workspaces": len(report.reconciliation.unmapped)},
    }
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def totals_of(report: Report) -> dict:
    """The headline numbers as decimal strings (read back by ``chargeback email``)."""
    return {
        "currency": "USD",
        "source_total_cents": str(report.reconciliation.source_total_cents),
        "source_total": str(report.reconciliation.source_total),
        "total": str(report.total),
        "prior_month": str(report.month.prior()),
        "prior_total": _text(report.prior_total),
        "change": _text(report.change),
        "change_ratio": _text(report.change_ratio),
        "line_items": report.reconciliation.line_item_count,
        "unallocated": str(report.unallocated_total),
        "cost_centers": [
            {"code": line.code, "name": line.name, "total": str(line.total), "budget": _text(line.budget),
             "variance": _text(line.variance), "prior_total": _text(line.prior_total), "change": _text(line.change)}
            for line in report.cost_centers
        ],
    }
