"""Helpers for the fault, durability and security tests: compare runs, hash folders, check manifests."""

from __future__ import annotations

import functools
import hashlib
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from xml.etree import ElementTree

import openpyxl

from conftest import PROJECT, cli_environment
from reports.simulator.demo import demo_organization
from reports.simulator.params import Refusal
from reports.simulator.server import SimulatorServer

JOURNAL = "journal-2026-10.csv"
WORKBOOK = "chargeback-2026-10.xlsx"
PDF = "executive-summary-2026-10.pdf"


def sheet_names(path: Path) -> list[str]:
    """The workbook's sheet names in order (read-only: no sheet is read)."""
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def sheets(path: Path, *only: str) -> dict[str, list[tuple]]:
    """Every sheet's cell values, row by row; with names, only those sheets (a large month's Line Items
    take seconds to read, and a test of its Run Info need not wait for them)."""
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in workbook.worksheets
                if not only or ws.title in only}
    finally:
        workbook.close()


STYLES = "xl/styles.xml"  # beside the sheets in ``sheet_xml``: number formats decide a value's type


def sheet_xml(path: Path) -> dict[str, bytes]:
    """Each sheet's XML by sheet name, in the workbook's order, and the styles under ``STYLES``."""
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    relation = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    with zipfile.ZipFile(path) as archive:
        targets = {rel.get("Id"): rel.get("Target", "")
                   for rel in ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))}
        parts = {}
        for sheet in ElementTree.fromstring(archive.read("xl/workbook.xml")).iter(f"{main}sheet"):
            target = targets[sheet.get(relation)]
            parts[sheet.get("name")] = archive.read(target[1:] if target.startswith("/") else f"xl/{target}")
        parts[STYLES] = archive.read(STYLES)
    return parts


def reference_sheets(path: Path) -> dict[str, list[tuple]]:
    """``sheets`` of a workbook many tests compare against (the shared fault-free run's), read once per
    process while the file is unchanged: each read costs about a second of CPU, the comparison none."""
    stat = path.stat()
    return {name: list(rows) for name, rows in _sheets_of_version(path, stat.st_mtime_ns, stat.st_size).items()}


@functools.lru_cache(maxsize=4)
def _sheets_of_version(path: Path, mtime_ns: int, size: int) -> dict[str, list[tuple]]:
    return sheets(path)


def run_info_text(folder: Path) -> str:
    return "\n".join(" ".join(str(v) for v in row if v is not None)
                     for row in sheets(folder / WORKBOOK, "Run Info")["Run Info"])


def assert_same_results(folder: Path, good_folder: Path, *, raw_too: bool = False) -> None:
    """The journal CSV is byte-identical and every workbook sheet but Run Info has the same values."""
    assert (folder / JOURNAL).read_bytes() == (good_folder / JOURNAL).read_bytes()
    new_xml, old_xml = sheet_xml(folder / WORKBOOK), sheet_xml(good_folder / WORKBOOK)
    assert list(new_xml) == list(old_xml) and {"Summary", "Line Items", "Journal"} <= set(old_xml)
    # A sheet whose XML (and the styles that type its values) is byte-identical has the same values: only
    # the others are read back and compared value by value (reading a month's workbook costs about a second).
    differing = [name for name in old_xml if name not in ("Run Info", STYLES) and
                 (new_xml[name] != old_xml[name] or new_xml[STYLES] != old_xml[STYLES])]
    if differing:
        new, old = sheets(folder / WORKBOOK), reference_sheets(good_folder / WORKBOOK)
        for name in differing:
            assert new[name] == old[name], f"sheet {name} differs from the fault-free run"
    new_manifest = json.loads((folder / "manifest.json").read_text())
    old_manifest = json.loads((good_folder / "manifest.json").read_text())
    assert new_manifest["totals"] == old_manifest["totals"]
    if raw_too:  # every page byte-identical to the fault-free run's (index.json has times and request ids)
        assert raw_files(folder) == raw_files(good_folder)


def raw_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "raw").iterdir()) if p.name != "index.json"}


def tree_hashes(root: Path, *, skip_locks: bool = True) -> dict[str, str]:
    """SHA-256 of every file under ``root`` (relative path -> hex)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not (skip_locks and p.name.endswith(".lock"))
    }


def assert_manifest_matches(folder: Path) -> dict:
    """Every raw page and output listed in the manifest exists with its recorded SHA-256."""
    manifest = json.loads((folder / "manifest.json").read_text())
    for entry in manifest["raw_pages"] + manifest["outputs"]:
        assert hashlib.sha256((folder / entry["file"]).read_bytes()).hexdigest() == entry["sha256"], entry["file"]
    listed = {e["file"] for e in manifest["raw_pages"] + manifest["outputs"]} | {"manifest.json"}
    present = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert present <= listed | {"email-sent.json", "seal.json"}, present - listed
    return manifest


def assert_nothing_published(output: Path, month: str = "2026-10") -> None:
    assert not (output / month).exists(), f"{output / month} was published by a failed run"
    assert not list(output.glob(f".staging-{month}-*")), "a staging folder was left behind"
    assert not list(output.glob(f".previous-{month}")), "a .previous folder was left behind"


def cli_env(key: str) -> dict[str, str]:
    return {"ANTHROPIC_ADMIN_API_KEY": key}


def popen_cli(*args: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.Popen:
    """Start ``python -m reports`` as a user would, in a clean environment, without waiting."""
    return subprocess.Popen([sys.executable, "-m", "reports", *args], env=cli_environment(env), cwd=PROJECT,
                            **kwargs)


def assert_one_error_line(stderr: str, *needles: str) -> str:
    """stderr is exactly one line ``error: ...`` (no traceback) containing every needle."""
    assert "Traceback" not in stderr, stderr
    assert stderr.startswith("error: ") and stderr.endswith("\n") and stderr.count("\n") == 1, stderr
    for needle in needles:
        assert needle in stderr, (needle, stderr)
    return stderr


class ScriptedSimulator(SimulatorServer):
    """The simulator with a hook that may answer a request with an error before the normal route.

    ``hook(path, query)`` returns ``(status, error_type, message)`` to fail that request, or None.
    """

    def __init__(self, hook: Callable[[str, dict[str, list[str]]], tuple[int, str, str] | None], **kwargs):
        kwargs.setdefault("organization", demo_organization())
        organization = kwargs.pop("organization")
        super().__init__(organization, **kwargs)
        self.hook = hook

    def _dispatch(self, handler, method, path, query):
        answer = self.hook(path, query)
        if answer is not None:
            raise Refusal(*answer)
        return super()._dispatch(handler, method, path, query)


def fails_for_month(endpoint_path: str, month_prefix: str, status: int = 503,
                    error: tuple[str, str] = ("api_error", "Service unavailable")):
    """A hook failing every request to ``endpoint_path`` whose ``starting_at`` begins with ``month_prefix``."""

    def hook(path: str, query: dict[str, list[str]]):
        if path == endpoint_path and (query.get("starting_at") or [""])[0].startswith(month_prefix):
            return status, *error
        return None

    return hook


@contextmanager
def scripted(hook, **kwargs) -> Iterator[ScriptedSimulator]:
    with ScriptedSimulator(hook, **kwargs) as server:
        yield server
