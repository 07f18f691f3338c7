"""The raw snapshot is the month's evidence: sealed with the rest, and read back only when whole."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import offline_options, run_options, simulator
from reports.errors import DataError
from reports.pipeline import demo_config_path, run
from reports.simulator.faults import Faults
from reports.sources.snapshot import Snapshot
from runcheck import assert_one_error_line

pytestmark = pytest.mark.slow  # a whole paged month, closed and re-rendered

QUERY = "cost_report-2026-10"


@pytest.fixture(scope="module")
def paged(tmp_path_factory):
    """A run whose cost report came in five pages (seven days a page)."""
    output = tmp_path_factory.mktemp("paged")
    with simulator(Faults(max_buckets_per_page=7)) as server:
        result = run(run_options(server, output))
    pages = [p for p in json.loads((result.folder / "raw" / "index.json").read_text())["pages"] if p["query"] == QUERY]
    assert len(pages) == 5
    return result


def copy_of(result, tmp_path: Path) -> Path:
    import shutil

    output = tmp_path / "out"
    shutil.copytree(result.folder, output / "2026-10")
    return output


def drop_page(month_folder: Path, number: int, query: str = QUERY) -> None:
    """Edit raw/index.json as someone might: remove one page of a query from it."""
    path = month_folder / "raw" / "index.json"
    index = json.loads(path.read_text())
    index["pages"] = [p for p in index["pages"] if not (p["query"] == query and p["number"] == number)]
    path.write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")


def test_the_index_is_in_the_manifest_and_the_seal(cli, paged, tmp_path):
    output = copy_of(paged, tmp_path)
    manifest = json.loads((output / "2026-10" / "manifest.json").read_text())
    assert "raw/index.json" in {entry["file"] for entry in manifest["raw_pages"]}
    done = cli("close", "--month", "2026-10", "--output", str(output))
    assert done.returncode == 0, done.stderr
    assert "raw/index.json" in json.loads((output / "2026-10" / "seal.json").read_text())["files"]


def test_an_edited_index_fails_close(cli, paged, tmp_path):
    output = copy_of(paged, tmp_path)
    drop_page(output / "2026-10", 3)
    done = cli("close", "--month", "2026-10", "--output", str(output))
    assert done.returncode == 4
    assert_one_error_line(done.stderr, "were changed or removed after sealing: raw/index.json")
    assert not (output / "2026-10" / "seal.json").exists()


def test_an_index_edited_after_closing_fails_the_seal_check_of_a_restatement(cli, paged, tmp_path, demo_server):
    output = copy_of(paged, tmp_path)
    assert cli("close", "--month", "2026-10", "--output", str(output)).returncode == 0
    drop_page(output / "2026-10", 5)
    with pytest.raises(DataError, match="raw/index.json"):
        run(replace(run_options(demo_server, output), restate=True))


def test_an_edited_index_fails_an_offline_rerender(cli, paged, tmp_path):
    output = copy_of(paged, tmp_path)
    drop_page(output / "2026-10", 3)
    done = cli("run", "--offline", "--month", "2026-10", "--config", str(demo_config_path()),
               "--output", str(output))
    assert done.returncode == 4
    assert_one_error_line(done.stderr, "raw/index.json does not match the SHA-256 in manifest.json")


@pytest.mark.parametrize("dropped, message", [
    (3, "lists pages [1, 2, 4, 5] of cost_report-2026-10, not pages 1 to 4: a page is missing"),
    (5, "the snapshot of cost_report-2026-10 ends at raw/cost_report-2026-10-p004.json, which says more pages"),
    (1, "lists pages [2, 3, 4, 5] of cost_report-2026-10, not pages 1 to 4"),
])
def test_a_snapshot_whose_pages_are_not_one_chain_is_refused(paged, tmp_path, dropped, message):
    # without the manifest to compare with, the chain itself shows what is missing
    output = copy_of(paged, tmp_path)
    folder = output / "2026-10"
    drop_page(folder, dropped)
    with pytest.raises(DataError, match=message.replace("[", r"\[").replace("]", r"\]")):
        list(Snapshot(folder).pages(QUERY))


def test_a_page_asked_with_the_wrong_cursor_is_refused(paged, tmp_path):
    output = copy_of(paged, tmp_path)
    folder = output / "2026-10"
    path = folder / "raw" / "index.json"
    index = json.loads(path.read_text())
    pages = {p["number"]: p for p in index["pages"] if p["query"] == QUERY}
    pages[3]["params"]["page"] = pages[2]["params"]["page"]  # page 3 claims page 2's cursor
    path.write_text(json.dumps(index))
    with pytest.raises(DataError, match="p003.json does not follow the page before it"):
        list(Snapshot(folder).pages(QUERY))


def test_a_query_missing_from_the_index_is_refused_not_read_as_empty(paged, tmp_path):
    output = copy_of(paged, tmp_path)
    folder = output / "2026-10"
    path = folder / "raw" / "index.json"
    index = json.loads(path.read_text())
    index["pages"] = [p for p in index["pages"] if p["query"] != "usage_report_messages-2026-10"]
    path.write_text(json.dumps(index))
    (folder / "manifest.json").unlink()  # so only the snapshot itself can tell
    with pytest.raises(DataError, match="has no pages for usage_report_messages-2026-10"):
        run(offline_options(output))
