"""The one atomic write: the old file or the whole new one, never a part, and no temporary left behind."""

import os
import stat

import pytest

from reports.outputs.atomic import replacing, write_atomic


def test_a_write_replaces_the_file_whole_with_the_permissions_of_any_output(tmp_path):
    path = tmp_path / "seal.json"
    path.write_bytes(b"old")
    write_atomic(path, b"new contents")
    assert path.read_bytes() == b"new contents"
    assert os.listdir(tmp_path) == ["seal.json"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # not tempfile's owner-only 0600


def test_a_failure_part_way_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "email-sent.json"
    path.write_bytes(b"the record as it was")
    with pytest.raises(RuntimeError):
        with replacing(path) as stream:
            stream.write(b"half a rec")
            raise RuntimeError("disk full, say")
    assert path.read_bytes() == b"the record as it was"
    assert os.listdir(tmp_path) == ["email-sent.json"]


def test_the_temporary_file_is_in_the_same_folder_so_the_rename_is_atomic(tmp_path):
    path = tmp_path / "history.csv"
    with replacing(path) as stream:
        [temporary] = [name for name in os.listdir(tmp_path)]
        assert temporary.startswith(".history.csv.") and not path.exists()
        stream.write(b"a,b\n")
    assert path.read_bytes() == b"a,b\n" and os.listdir(tmp_path) == ["history.csv"]
