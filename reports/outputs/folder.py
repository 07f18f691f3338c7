"""The month's output folder: staging, the lock, the manifest, and the all-or-nothing publish.

A run writes everything into a staging folder beside the month's folder and renames it into
place only when every file is written, so readers see the old outputs or the new ones, never
half of either.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reports.core.months import Month
from reports.errors import LockError, OutputError
from reports.outputs.atomic import fsync_folder

# Files a run does not produce but must carry over from the previous outputs of the month.
KEPT_RECORDS = ("email-sent.json", "seal.json")
# Folders likewise: the runs a re-run replaced (the pipeline puts them in the staging folder first,
# so that its manifest lists them; a publish without them still loses none).
KEPT_FOLDERS = ("replaced", "invoices")  # invoices: recorded with `chargeback invoice`, never re-made by a run


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def describe_os_error(exc: OSError, output_dir: Path) -> str:
    """One line for a failed write: which folder, which file, and why (in the system's words)."""
    reason = exc.strerror or type(exc).__name__
    if exc.filename is None:
        return f"cannot write to the output folder {output_dir}: {reason}"
    path = Path(exc.filename)
    if path == output_dir:
        return f"cannot create or write the output folder {output_dir}: {reason}"
    if not path.is_relative_to(output_dir):
        return f"cannot create or write the output folder {output_dir}: {path}: {reason}"
    parts = path.relative_to(output_dir).parts
    if parts[0].startswith(".staging-") and len(parts) > 1:
        # the run's private staging folder is gone by now: name the output as the user knows it
        month = parts[0][len(".staging-"):][:7]
        return f"cannot write {Path(*parts[1:])} of {month} in the output folder {output_dir}: {reason}"
    return f"cannot write {path} in the output folder {output_dir}: {reason}"


@contextmanager
def writing_to(output_dir: Path) -> Iterator[None]:
    """Turn an OSError while writing outputs into one OutputError that names the folder."""
    try:
        yield
    except OSError as exc:
        raise OutputError(describe_os_error(exc, output_dir)) from None


def check_writable(output_dir: Path) -> None:
    """Create the output folder if needed and prove a file can be written in it (then remove it)."""
    with writing_to(output_dir):
        output_dir.mkdir(parents=True, exist_ok=True)
        probe = output_dir / f".write-check-{os.getpid()}"
        try:
            with probe.open("wb") as handle:
                handle.write(b"chargeback")
                handle.flush()
                os.fsync(handle.fileno())
        finally:
            probe.unlink(missing_ok=True)


@contextmanager
def month_lock(output_dir: Path, month: Month) -> Iterator[None]:
    """Hold an exclusive lock for the month so two runs cannot interleave their outputs."""
    with writing_to(output_dir):
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
    # The pages keep their raw/ folder, so the page file an error names (raw/…json) is found as
    # written, relative to the kept folder.
    target = output_dir / "failed" / f"{month}-{run_id}"
    target.mkdir(parents=True, exist_ok=True)
    os.replace(raw, target / "raw")
    shutil.rmtree(staging, ignore_errors=True)
    return target


def publish(staging: Path, output_dir: Path, month: Month) -> Path:
    """Move the staging folder into place as ``<output>/<month>``, keeping send/seal records and replaced runs."""
    final = output_dir / str(month)
    previous = output_dir / f".previous-{month}"
    if final.exists():
        for name in KEPT_RECORDS:
            if (final / name).exists() and not (staging / name).exists():
                shutil.copy2(final / name, staging / name)
        for name in KEPT_FOLDERS:
            if (final / name).is_dir() and not (staging / name).exists():
                shutil.copytree(final / name, staging / name)
    _fsync_tree(staging)
    # No SIGTERM/SIGINT between the two renames: the month folder is never missing.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    try:
        if final.exists():
            os.replace(final, previous)
        try:
            os.replace(staging, final)
        except OSError:
            if previous.exists() and not final.exists():
                os.replace(previous, final)  # put the previous outputs back at once
            raise
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    fsync_folder(output_dir)  # the renames themselves survive a crash, as a replaced file's does
    shutil.rmtree(previous, ignore_errors=True)
    return final


def publish_beside(staging: Path, target: Path) -> Path:
    """Move a restatement's staging folder to its own new folder; never over sealed outputs."""
    if target.exists():
        raise FileExistsError(f"{target} already exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    _fsync_tree(staging)
    os.replace(staging, target)
    fsync_folder(target.parent)
    return target


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
