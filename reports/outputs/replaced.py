"""Keeping the run a re-run of an open month replaces: its manifest and journals under ``replaced/<run id>/``.

A month that is not closed can be run again (late data, a corrected config); the new outputs
replace the old ones whole. So that nothing posted or sent is lost, the new run carries the
month's ``replaced/`` folder over and adds the replaced run's ``manifest.json`` and journal
CSVs to it, in its staging folder, before its own manifest lists them with their SHA-256.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from reports.core.months import Month
from reports.core.replaced import REPLACED
from reports.errors import DataError
from reports.outputs.folder import sha256_file
from reports.outputs.manifest import Manifest
from reports.outputs.names import DIRECTORY_COPY, MANIFEST, is_journal

# A run id as a run writes it; anything else (an edited manifest) is not used as a folder name.
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@dataclass(frozen=True)
class KeptRun:
    """The replaced run as kept: its id (the folder's name), what its manifest said, and every kept file."""

    run_id: str
    generated_at: str | None
    totals: tuple[Decimal, dict[str, Decimal]] | None  # (total, per cost center); None: unreadable manifest
    files: tuple[str, ...]  # every file under replaced/ (earlier replaced runs too), relative to the month folder


def keep_replaced(month_folder: Path, staging: Path, month: Month) -> KeptRun | None:
    """Copy ``month_folder``'s replaced runs and its current run (manifest, journals) into ``staging``.

    None when the month has no published run to replace (no ``manifest.json``).
    """
    manifest_path = month_folder / MANIFEST
    if not manifest_path.is_file():
        return None
    try:
        manifest: Manifest | None = Manifest.read(month_folder, month)
    except DataError:
        manifest = None  # kept all the same: nothing is lost because it cannot be read
    if manifest is not None and _RUN_ID.fullmatch(manifest.run_id):
        run_id = manifest.run_id
    else:
        manifest, run_id = None, f"unreadable-{sha256_file(manifest_path)[:12]}"
    target = staging / REPLACED
    if (month_folder / REPLACED).is_dir():
        shutil.copytree(month_folder / REPLACED, target, dirs_exist_ok=True)
    kept = target / run_id
    kept.mkdir(parents=True, exist_ok=True)
    for path in sorted(month_folder.iterdir()):
        if path.is_file() and (path.name in (MANIFEST, DIRECTORY_COPY) or is_journal(path.name)):
            shutil.copy2(path, kept / path.name)
    files = tuple(sorted(str(path.relative_to(staging)) for path in target.rglob("*") if path.is_file()))
    totals = None if manifest is None else (manifest.totals.total, manifest.totals.cost_center_totals)
    return KeptRun(run_id, None if manifest is None else manifest.generated_at, totals, files)
