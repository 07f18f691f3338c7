"""Closing a month: the seal that records the month's outputs so they cannot change silently."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from reports.core.checks import Status
from reports.core.config_checks import UNALLOCATED_SHARE, unallocated_percent
from reports.core.money_text import money_text
from reports.core.months import Month, rfc3339
from reports.errors import DataError, SealedMonthError, UnallocatedShareError
from reports.outputs.atomic import write_atomic
from reports.outputs.folder import sha256_file
from reports.outputs.invoice_folder import INVOICES, sealable_files
from reports.outputs.json_values import read_json_values
from reports.outputs.manifest import Manifest
from reports.outputs.manifest_totals import Totals
from reports.outputs.names import MANIFEST
from reports.outputs.verify import changed_files, listing

SEAL = "seal.json"
RESTATEMENTS = "restatements"


@dataclass(frozen=True)
class Seal:
    month: str
    sealed_at: str
    run_id: str
    files: dict[str, str]  # file -> sha256, the manifest and every file it lists
    totals: Totals  # the manifest's totals at sealing

    @property
    def cost_center_totals(self) -> dict[str, Decimal]:
        return self.totals.cost_center_totals

    @property
    def cost_center_names(self) -> dict[str, str]:
        return self.totals.cost_center_names

    @property
    def total(self) -> Decimal:
        return self.totals.total

    def to_json(self) -> dict:
        return {"month": self.month, "sealed_at": self.sealed_at, "run_id": self.run_id, "files": self.files,
                "totals": self.totals.to_json()}


def read_seal(folder: Path) -> Seal | None:
    path = folder / SEAL
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = data["files"]
        if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
            raise TypeError("files is not a mapping of file to SHA-256")
        return Seal(str(data["month"]), str(data["sealed_at"]), str(data["run_id"]), dict(files),
                    Totals.from_json(data["totals"], read_json_values(str(path))))
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{path} is not a readable seal ({exc}); restore it from your records") from None


def close_month(output_dir: Path, month: Month, now: datetime, *, accept_unallocated: bool = False) -> Seal:
    """Seal the month's published outputs: record the manifest's hashes after checking them.

    A month whose run warned that too much of it is unallocated is refused (UsageError) unless
    ``accept_unallocated``: closed books are not where a mapping mistake should be found.
    """
    folder = output_dir / str(month)
    existing = read_seal(folder)
    if existing is not None:
        raise SealedMonthError(f"{month} was already closed on {existing.sealed_at} (run {existing.run_id})")
    manifest = Manifest.read(folder, month)
    if manifest.reconciliation.get(UNALLOCATED_SHARE) == Status.WARN and not accept_unallocated:
        totals = manifest.totals
        share = (f"{unallocated_percent(totals.unallocated, totals.total)}% of its spend "
                 f"({money_text(totals.unallocated)} of {money_text(totals.total)})")
        raise UnallocatedShareError(
            f"{month} was not closed: {share} is unallocated, above unallocated_warn_percent; map those IDs "
            "(`chargeback org` lists them) and run the month again, or pass --accept-unallocated to close it "
            "as it is", share)
    files = {MANIFEST: sha256_file(folder / MANIFEST)}
    for entry in manifest.files:
        files[entry.file] = entry.sha256
    files.update(sealable_files(folder))  # the invoices recorded while the month was open are closed with it
    seal = Seal(str(month), rfc3339(now), manifest.run_id, files, manifest.totals)
    verify_seal(folder, seal)
    write_atomic(folder / SEAL, (json.dumps(seal.to_json(), indent=2) + "\n").encode("utf-8"))
    return seal


def verify_seal(folder: Path, seal: Seal, *, every_file: bool = True) -> None:
    """Fail if a sealed file is missing or changed, or if the seal and the manifest it seals disagree.

    Without ``every_file`` the files are checked through the hash chain (outputs/verify.py): the
    manifest and the journals are hashed, the raw pages and other outputs only have to exist.
    """
    # a seal that does not record its manifest's SHA-256 has no chain: only every file can vouch
    every_file = every_file or MANIFEST not in seal.files
    changed = changed_files(folder, seal.files, every_file=every_file)
    if changed:
        raise DataError(f"the sealed outputs of {seal.month} in {folder} were changed or removed after sealing: "
                        f"{listing(changed)}; restore them from your records before restating")
    if MANIFEST in seal.files:
        _check_agrees(folder, seal)


def _check_agrees(folder: Path, seal: Seal) -> None:
    """The seal's list of files and its totals are the sealed manifest's: the History reads the totals from the seal."""
    try:
        month = Month.parse(seal.month)
    except ValueError as exc:
        raise DataError(f"{folder / SEAL} is not a readable seal ({exc}); restore it from your records") from None
    manifest = Manifest.read(folder, month)
    listed = {entry.file: entry.sha256 for entry in manifest.files}
    sealed = {name: digest for name, digest in seal.files.items()
              if name != MANIFEST and not name.startswith(f"{INVOICES}/")}  # the invoices have their own manifests
    agreement = (("the files", listed == sealed), ("the totals", manifest.totals == seal.totals))
    differs = [what for what, agrees in agreement if not agrees]
    if differs:
        raise DataError(f"{folder / SEAL} does not agree with the {MANIFEST} it seals ({' and '.join(differs)} "
                        "differ); restore them from your records before restating")


def next_restatement_number(folder: Path) -> int:
    existing = folder / RESTATEMENTS
    numbers = [int(p.name[1:]) for p in existing.glob("R*") if p.name[1:].isdigit()] if existing.is_dir() else []
    return max(numbers, default=0) + 1
