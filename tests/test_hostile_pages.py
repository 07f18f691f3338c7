"""Hostile answers from the API, served over real loopback HTTP to both sources.

What an independent robustness check found crashing (a traceback, exit 1) or hanging: an amount
of ``1e400``, a body nested thousands of levels deep, a lone UTF-16 surrogate in a name, an
object where an ID belongs, a megabyte-long name, a negative amount, a malformed legacy
cross-check. Each is now the contract's outcome: exit 4 and one ``error:`` line naming the page
file and row, the pages kept in ``failed/`` and the month's previous outputs untouched; or, for
text that is merely odd, a run that succeeds and says what it mended.
"""

from __future__ import annotations

import csv
import io
import subprocess
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from conftest import FAST_RETRY, MONTH, simulator
from reports.errors import DataError
from reports.pipeline import RunOptions, demo_config_path, run
from reports.simulator.demo import demo_organization
from reports.simulator.faults import Faults, RowFault, RowPatch
from reports.simulator.server import DEMO_API_KEY
from runcheck import assert_nothing_published, run_info_text, sheets, tree_hashes

pytestmark = pytest.mark.slow  # whole months over the simulator

LEGACY, ANALYTICS = "cost_report", "analytics"
COST_PATH = {LEGACY: ("amount",), ANALYTICS: ("cost", "amount")}
COST_PAGE = {LEGACY: "cost_report page raw/cost_report-2026-10-p001.json",
             ANALYTICS: "analytics/cost page raw/analytics_cost-2026-10-p001.json"}
DEEP = "[" * 5000 + "]" * 5000
# The row the patch lands on: the third row of the month's first day (its first page).
AT = RowFault(day="2026-10-01", index=2)


def options(server, output: Path, source: str, **overrides) -> RunOptions:
    config = demo_config_path("analytics") if source == ANALYTICS else demo_config_path()
    return RunOptions(month=MONTH, output_dir=output, config_path=config, base_url=server.base_url,
                      api_key=DEMO_API_KEY, retry=FAST_RETRY, source=source, **overrides)


def patched(path: tuple[str, ...], raw: str, endpoints=None, at: RowFault = AT) -> Faults:
    return Faults(patch=RowPatch(path, raw, at, endpoints), months=["2026-10"])


def renamed_organization(names: dict[str, str]):
    """The demo organization with some workspaces renamed (the listing endpoints serve the new names)."""
    org = demo_organization()
    profiles = tuple(replace(p, name=names.get(p.name, p.name)) for p in org.profiles)
    return org.replaced(profiles=profiles)


@pytest.fixture(scope="module")
def good_runs(tmp_path_factory, demo_server):
    """A good run of the month per source, copied into each test's folder to be run over."""
    return {source: run(options(demo_server, tmp_path_factory.mktemp(source), source, pdf=False)).folder.parent
            for source in (LEGACY, ANALYTICS)}


def refused(tmp_path: Path, good_runs, source: str, faults: Faults) -> str:
    """Run the month over a copy of a good run: exit 4, its previous outputs byte-identical, the page kept
    under failed/; the message. (Into an empty folder nothing is published: once per source, below.)"""
    import shutil

    output = tmp_path / "out"
    shutil.copytree(good_runs[source], output)
    before = tree_hashes(output)
    with simulator(faults) as server, pytest.raises(DataError) as caught:
        run(options(server, output, source, pdf=False))
    message = str(caught.value)
    assert caught.value.exit_status == 4
    assert "\n" not in message and len(message) < 600, message  # one line, whatever the value's size
    assert {name: digest for name, digest in tree_hashes(output).items() if not name.startswith("failed/")} == before
    kept = [name for name in tree_hashes(output) if name.startswith("failed/")]
    assert any(name.endswith(COST_PAGE[source].rsplit("/", 1)[1]) for name in kept), kept
    return message


@pytest.mark.parametrize("source", [LEGACY, ANALYTICS])
def test_a_refused_page_publishes_nothing_into_an_empty_folder(tmp_path, source):
    """Every refusal above stops at the same point, before anything is written: one of them shows it."""
    with simulator(patched(COST_PATH[source], '"NaN"')) as server, pytest.raises(DataError) as caught:
        run(options(server, tmp_path / "empty", source, pdf=False))
    assert caught.value.exit_status == 4 and "amount 'NaN' is not a finite number" in str(caught.value)
    assert_nothing_published(tmp_path / "empty")


@pytest.mark.parametrize("source", [LEGACY, ANALYTICS])
@pytest.mark.parametrize("raw, says", [
    ('"1e400"', "amount '1e400' is outside any sane range"),
    ('"1e-400"', "amount '1e-400' is outside any sane range"),
    ('"-150"', "amount '-150' is negative; a usage cost is never below zero"),
    ('"NaN"', "amount 'NaN' is not a finite number"),
    ("NaN", "amount must be a decimal string, got number NaN"),
    ("12.5", "amount must be a decimal string, got number 12.5"),
    ('"1,234.50"', "amount '1,234.50' is not a decimal number"),
    ("null", "amount must be a decimal string, got null"),
    ('{"value": "1"}', "amount must be a decimal string, got object {'value': '1'}"),
    ('"' + "9" * 5000 + '"', "is outside any sane range"),
], ids=["1e400", "1e-400", "negative", "NaN-text", "NaN-literal", "number", "commas", "null", "object", "5000-digits"])
def test_an_amount_that_is_no_sane_cost_is_exit_4_naming_page_and_row(tmp_path, good_runs, source, raw, says):
    message = refused(tmp_path, good_runs, source, patched(COST_PATH[source], raw))
    assert message.startswith(COST_PAGE[source]), message
    assert "row 3: " in message and says in message, message


@pytest.mark.parametrize("source", [LEGACY, ANALYTICS])
def test_a_row_nested_thousands_of_levels_deep_is_exit_4_naming_page_and_item(tmp_path, good_runs, source):
    message = refused(tmp_path, good_runs, source, patched(COST_PATH[source], DEEP))
    page = COST_PAGE[source].split(" page ")[1]
    # a legacy page's data items are day buckets, the analytics page's are rows
    item = 1 if source == LEGACY else 3
    assert f"page {page}, data item {item}: nested too deeply to be a row of results" in message, message


@pytest.mark.parametrize("field, raw, says", [
    ("workspace_id", '{"id": "wrkspc_x"}', "workspace_id must be text or null, got {'id': 'wrkspc_x'}"),
    ("workspace_id", "[1, 2]", "workspace_id must be text or null, got [1, 2]"),
    ("api_key_id", "42", "api_key_id must be text or null, got 42"),
    ("actor", '{"type": ["user_actor"]}', "is not one of the API's actor shapes"),
    ("model", "true", "model must be text or null, got True"),
])
def test_an_analytics_group_value_of_the_wrong_type_is_exit_4_naming_the_field(tmp_path, good_runs, field, raw,
                                                                                says):
    message = refused(tmp_path, good_runs, ANALYTICS, patched(("group", field), raw))
    assert message.startswith(COST_PAGE[ANALYTICS]) and "row 3: " in message and says in message, message


def test_an_analytics_period_of_the_wrong_type_is_exit_4(tmp_path, good_runs):
    message = refused(tmp_path, good_runs, ANALYTICS, patched(("starting_at",), '{"at": 1}'))
    assert "row 3: the row's starting_at/ending_at" in message and "is not an RFC 3339 period" in message, message


def test_a_legacy_currency_of_the_wrong_type_is_exit_4(tmp_path, good_runs):
    message = refused(tmp_path, good_runs, LEGACY, patched(("currency",), '["USD"]'))
    assert "row 3: currency is ['USD']; only USD amounts can be summed" in message, message


def test_an_unreadable_legacy_cross_check_is_a_note_not_a_stop(tmp_path):
    """The analytics month is charged back from its own pages; the legacy total only cross-checks it."""
    # the cross-check asks for the month's total without grouping: one row a day
    faults = patched(("amount",), "NaN", endpoints=("cost_report",), at=RowFault(day="2026-10-01", index=0))
    with simulator(faults) as server:
        result = run(options(server, tmp_path / "out", ANALYTICS, pdf=False))
    info = run_info_text(result.folder)
    assert "The legacy cost report's total for 2026-10 could not be read (cost_report page " in info
    assert "row 1: amount must be a decimal string, got number NaN), so the two APIs were not cross-checked" in info
    reconciliation = sheets(result.folder / "chargeback-2026-10.xlsx", "Reconciliation")["Reconciliation"]
    checks = [row[0] for row in reconciliation if row]
    assert "Legacy cost report total agrees (cross-check)" not in checks


@pytest.mark.parametrize("source", [LEGACY, ANALYTICS])
def test_text_that_is_not_unicode_is_shown_with_a_replacement_and_warned(tmp_path, source):
    """A lone surrogate in a workspace name: the same outcome in both sources, never a traceback."""
    org = renamed_organization({"Platform API": "Platform \ud800 API", "Support Copilot": "nul\x00 esc\x1b"})
    with simulator(organization=org) as server:
        result = run(options(server, tmp_path / "out", source))
    book = sheets(result.folder / "chargeback-2026-10.xlsx", "Workspaces", "Reconciliation")
    names = {row[1] for row in book["Workspaces"][1:]}
    assert "Platform \ufffd API" in names and "nul\ufffd esc\ufffd" in names
    reconciliation = book["Reconciliation"]
    warned = [row for row in reconciliation if row and row[0] == "Text from the API is valid Unicode"]
    assert warned and warned[0][3] == "WARN", reconciliation
    assert "raw/workspaces-p001.json" in warned[0][4]
    # no control character reaches a CSV raw
    for name in ("focus-2026-10.csv", "journal-2026-10.csv"):
        text = (result.folder / name).read_text(encoding="utf-8")
        assert not any(ord(char) < 32 and char not in "\r\n" for char in text), name
        assert not any("\ud800" <= char <= "\udfff" for char in text), name
    focus = list(csv.DictReader(io.StringIO((result.folder / "focus-2026-10.csv").read_text(encoding="utf-8"))))
    assert {"Platform \ufffd API", "nul\ufffd esc\ufffd"} <= {row["SubAccountName"] for row in focus}
    pdf_text = _pdf_text(result.folder / "executive-summary-2026-10.pdf")
    assert "Text from the API is valid Unicode" in pdf_text


def test_a_megabyte_long_name_is_laid_out_clipped_and_kept_whole_in_the_csv(tmp_path):
    """A 1 MB workspace name once kept the PDF renderer busy for minutes; the PDF shows it cut."""
    long_name = "Platform " + "x" * 1_000_000
    org = renamed_organization({"Platform API": long_name})
    with simulator(organization=org) as server:
        result = run(options(server, tmp_path / "out", ANALYTICS))
    pdf_text = _pdf_text(result.folder / "executive-summary-2026-10.pdf")
    compact = "".join(pdf_text.split())  # the PDF wraps the name over lines
    assert "Platformxxxx" in compact and "x" * 200 not in compact
    csv.field_size_limit(2_000_000)  # Python's reader stops at 128 KB a field by default
    focus = list(csv.DictReader(io.StringIO((result.folder / "focus-2026-10.csv").read_text(encoding="utf-8"))))
    assert long_name in {row["SubAccountName"] for row in focus}  # whole in the CSV
    workbook = openpyxl.load_workbook(result.folder / "chargeback-2026-10.xlsx", read_only=True)
    names = [row[1] for row in workbook["Workspaces"].iter_rows(min_row=2, values_only=True)]
    cut = [name for name in names if name and name.startswith("Platform xxx")]
    assert cut and len(cut[0]) == 32_767 and cut[0].endswith("\u2026")  # Excel's limit for one cell


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_a_body_larger_than_any_page_is_exit_3_and_leaves_nothing(tmp_path, monkeypatch):
    """A server that sends without end: the client stops at a bound instead of filling the disk."""
    from reports.errors import ApiError
    from reports.sources import client

    monkeypatch.setattr(client, "MAX_PAGE_BYTES", 50_000)  # the demo's cost pages are larger than this
    with simulator() as server, pytest.raises(ApiError) as caught:
        run(options(server, tmp_path / "out", LEGACY, pdf=False))
    assert caught.value.exit_status == 3
    assert "cost_report sent a body of more than" in str(caught.value), caught.value
    assert "larger than any page of results" in str(caught.value)
    assert_nothing_published(tmp_path / "out")
    assert not list((tmp_path / "out").glob(".staging-*"))
