"""Write one file whole or not at all: the one "write beside, then rename" of the package."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


@contextmanager
def replacing(path: Path) -> Iterator[BinaryIO]:
    """A stream that becomes ``path`` when the block ends without an exception.

    The bytes go to a temporary file in the same folder (a rename is atomic only within one
    file system), which is fsynced, renamed over ``path`` and then the folder is fsynced, so
    after a crash a reader finds the old file or the new one, never a part. On any failure the
    temporary file is removed and ``path`` is left as it was. The file gets the permissions of
    any other output (the umask's), not the owner-only mode of ``tempfile``.
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    fsync_folder(path.parent)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` as :func:`replacing` does."""
    with replacing(path) as stream:
        stream.write(data)


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable: the folder's entry list is data too."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
