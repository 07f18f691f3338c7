"""Which recorded files of a month folder are missing or changed: every file hashed, or the hash chain's only.

The chain: ``seal.json`` records the SHA-256 of ``manifest.json``, and the manifest records
every other file's. Checking the chain hashes the manifest (it vouches for the rest) and the
journals (the figures that were posted), and only asks that the other files exist: at the
benchmark's 500 workspaces a month's raw pages are half a gigabyte, and the History reads
eleven months on every run. Commands that read or vouch for the files themselves hash them
all: ``close``, ``run --restate``, ``run --offline`` and ``history --verify``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from reports.outputs.folder import sha256_file
from reports.outputs.names import MANIFEST, is_journal


def hashed_along_the_chain(file: str) -> bool:
    """A file the chain check hashes: the manifest, or a journal; a sealed invoice's (``invoices/<n>/``) too."""
    if file.startswith("invoices/") and file.count("/") == 2:
        file = file.rsplit("/", 1)[1]
    return file == MANIFEST or is_journal(file)


def changed_files(folder: Path, recorded: Mapping[str, str], *, every_file: bool) -> list[str]:
    """The recorded files (path relative to ``folder`` -> SHA-256) that are missing or differ, sorted.

    Every file must exist; ``every_file`` hashes each of them, otherwise only the chain's are hashed.
    """
    changed = []
    for file, digest in recorded.items():
        path = folder / file
        if not path.is_file() or ((every_file or hashed_along_the_chain(file)) and sha256_file(path) != digest):
            changed.append(file)
    return sorted(changed)


def listing(files: list[str]) -> str:
    """The first five files named, then an ellipsis."""
    return f"{', '.join(files[:5])}{' …' if len(files) > 5 else ''}"
