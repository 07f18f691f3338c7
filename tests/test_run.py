"""The month-end run end to end over real loopback HTTP, read back as accounting would."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from datetime import UTC
from decimal import Decimal
from fractions import Fraction

import openpyxl
import pytest
import yaml

from conftest import MONTH, cli_environment, offline_options, run_cli, run_options, simulator
from reports.errors import DataError
from reports.pipeline import demo_config_path, run
from reports.simulator.demo import demo_organization
from reports.simulator.faults import Faults, RowFault
from reports.simulator.organization import expected_cost_by_workspace
from reports.simulator.server import DEMO_API_KEY
from runcheck import reference_sheets, sheets

pytestmark = pytest.mark.slow  # every test runs or reads a whole month end to end


def independent_exact(month) -> tuple[dict[str, Fraction], Fraction]:
    """Each cost center's exact USD allocation and the exact month total, from the simulator's data and the raw YAML."""
    config = yaml.safe_load(demo_config_path().read_text())
    cents = expected_cost_by_workspace(demo_organization(), month)
    dollars = {ws: Fraction(amount) / 100 for ws, amount in cents.items()}
    owner = {ws: c["code"] for c in config["cost_centers"] for ws in c.get("workspaces") or []}
    exact = {c["code"]: Fraction(0) for c in config["cost_centers"]}
    rules = {r["workspace"]: r["split"] for r in config.get("shared") or []}
    for ws, amount in dollars.items():
        if ws is None:
            exact[config["default_workspace"]] += amount
        elif ws in owner:
            exact[owner[ws]] += amount
        elif ws not in rules:
            exact[config["unallocated"]] += amount
    direct_weights = {code: value for code, value in exact.items() if code != config["unallocated"]}
    for ws, amount in dollars.items():
        if ws in rules:
            split = rules[ws]
            if split == "proportional":
                total_weight = sum(direct_weights.values())
                for code, weight in direct_weights.items():
                    exact[code] += amount * weight / total_weight
            else:
                for code, pct in split.items():
                    exact[code] += amount * Fraction(str(pct)) / 100
    return exact, sum(dollars.values())


def independent_debits(month) -> dict[str, Decimal]:
    """Each cost center's journal debit, computed from the simulator's own data and the raw YAML."""
    exact, total = independent_exact(month)
    total_cents = int((total * 100 + Fraction(1, 2)) // 1)  # half-up, amounts are positive
    floors = {code: int((value * 100) // 1) for code, value in exact.items()}
    order = sorted(exact, key=lambda code: -(exact[code] * 100 - floors[code]))  # ties: config order
    for code in order[: total_cents - sum(floors.values())]:
        floors[code] += 1
    return {code: Decimal(cents) / 100 for code, cents in floors.items() if cents}


def sheet_rows(workbook, name):
    rows = list(workbook[name].iter_rows(values_only=True))
    return rows


SUMMARY_TOTALS = ("Budgeted", "Without a budget", "Total")  # the Summary's rows after the cost centers


def table(workbook, name, first_header):
    """Rows of a sheet's table as dicts, starting at the row whose first cell is ``first_header``."""
    rows = sheet_rows(workbook, name)
    start = next(i for i, row in enumerate(rows) if row and row[0] == first_header)
    header = rows[start]
    # strict=False: a sheet's rows are as wide as the sheet's widest table, the header as wide as its own
    return [dict(zip(header, row, strict=False)) for row in rows[start + 1:] if any(v is not None for v in row)]


@pytest.fixture(scope="module")
def good_workbook(good_run):
    """The shared run's workbook, loaded once (a whole load costs seconds): the tests only read it."""
    return openpyxl.load_workbook(good_run.folder / "chargeback-2026-10.xlsx")


def test_run_writes_every_output_with_a_manifest(good_run):
    folder = good_run.folder
    names = {p.name for p in folder.iterdir()}
    assert {"chargeback-2026-10.xlsx", "executive-summary-2026-10.pdf", "journal-2026-10.csv",
            "manifest.json", "raw"} <= names
    manifest = json.loads((folder / "manifest.json").read_text())
    for key in ("run_id", "month", "tool_version", "source", "generated_at", "config_sha256", "raw_pages",
                "outputs", "totals"):
        assert key in manifest
    for entry in manifest["raw_pages"] + manifest["outputs"]:
        assert hashlib.sha256((folder / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
    assert manifest["config_sha256"] == hashlib.sha256(demo_config_path().read_bytes()).hexdigest()
    queries = {page["query"] for page in manifest["raw_pages"]}
    assert queries == {"cost_report-2026-10", "cost_report-2026-09", "usage_report_messages-2026-10",
                       "usage_report_messages-2026-09", "workspaces", "api_keys", None}
    # every file the run wrote is listed with its hash, the snapshot's index included
    listed = {entry["file"] for entry in manifest["raw_pages"] + manifest["outputs"]} | {"manifest.json"}
    assert listed == {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert "raw/index.json" in listed
    assert not list(folder.parent.glob(".staging-*"))


def test_journal_debits_match_an_independent_calculation(good_workbook):
    workbook = good_workbook
    journal = table(workbook, "Journal", "Journal ID")
    debits = {row["Cost Center"]: Decimal(str(row["Debit"])) for row in journal if row["Debit"] is not None}
    credits = [Decimal(str(row["Credit"])) for row in journal if row["Credit"] is not None]
    expected = independent_debits(MONTH)
    assert debits == expected
    total_cents = sum(expected_cost_by_workspace(demo_organization(), MONTH).values())
    rounded = (total_cents / 100).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert sum(debits.values()) == credits[0] == rounded
    assert len(credits) == 1


def test_line_items_are_every_api_row_and_add_up_to_the_cent(good_run, good_workbook):
    workbook = good_workbook
    items = table(workbook, "Line Items", "Date")
    raw_rows = 0
    for page in json.loads((good_run.folder / "manifest.json").read_text())["raw_pages"]:
        if page["query"] == "cost_report-2026-10":
            body = json.loads((good_run.folder / page["file"]).read_text())
            raw_rows += sum(len(bucket["results"]) for bucket in body["data"])
    assert len(items) == raw_rows == good_run.report.reconciliation.line_item_count
    defaults = [row for row in items if row["Workspace"] == "Default workspace"]
    assert defaults and all(row["Workspace ID"] in (None, "") for row in defaults)
    total_cents = sum(expected_cost_by_workspace(demo_organization(), MONTH).values())
    assert good_run.report.reconciliation.source_total_cents == total_cents


def test_no_cell_is_a_formula_and_amounts_are_numbers(good_workbook):
    workbook = good_workbook
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
    summary = table(workbook, "Summary", "Cost Center")
    for row in summary:
        assert isinstance(row["Total"], (int, float))
    assert summary[-1]["Cost Center"] == "Total"


def test_summary_rows_add_up_and_match_the_journal(good_workbook):
    workbook = good_workbook
    summary = [row for row in table(workbook, "Summary", "Cost Center") if row["Cost Center"] not in SUMMARY_TOTALS]
    journal = {row["Cost Center"]: row["Debit"] for row in table(workbook, "Journal", "Journal ID") if row["Debit"]}
    config = yaml.safe_load(demo_config_path().read_text())
    assert [row["Cost Center"] for row in summary] == [c["code"] for c in config["cost_centers"]]
    for row in summary:
        total = Decimal(str(row["Total"]))
        assert Decimal(str(row["Direct"])) + Decimal(str(row["Shared"])) == total
        assert Decimal(str(journal.get(row["Cost Center"], 0))) == total


def test_reconciliation_sheet_passes_and_warns_about_the_unmapped_workspace(good_workbook):
    workbook = good_workbook
    text = [str(v) for row in sheet_rows(workbook, "Reconciliation") for v in row if v is not None]
    assert "FAIL" not in text
    assert "PASS" in text and "WARN" in text
    assert any("Hackathon Sandbox" in t for t in text)


def test_run_info_marks_demo_and_priority_tier(tmp_path, demo_server):
    result = run(run_options(demo_server, tmp_path, demo=True))
    run_info = sheets(result.folder / "chargeback-2026-10.xlsx", "Run Info")["Run Info"]
    text = " ".join(str(v) for row in run_info for v in row if v is not None)
    assert "DEMO" in text and "Priority Tier" in text and result.report.run_info.run_id in text


def test_offline_rebuilds_identical_journal_and_workbook_values(tmp_path, good_run):
    output = tmp_path / "out"
    shutil.copytree(good_run.folder, output / "2026-10")
    before_csv = (output / "2026-10" / "journal-2026-10.csv").read_bytes()
    result = run(offline_options(output))
    assert (result.folder / "journal-2026-10.csv").read_bytes() == before_csv
    old = reference_sheets(good_run.folder / "chargeback-2026-10.xlsx")
    new = sheets(result.folder / "chargeback-2026-10.xlsx")
    assert list(new) == list(old)
    for name in old:
        if name == "Run Info":
            continue
        assert new[name] == old[name], name
    assert result.report.run_info.source == "offline"


@pytest.mark.parametrize("faults", [
    Faults(max_buckets_per_page=1),
    Faults(rate_limit=5, retry_after="0"),  # under the 6 attempts even if one query draws all
    Faults(server_errors=(500, 502, 503, 529)),
], ids=["31-pages", "429-storm", "5xx"])
def test_faults_that_recover_give_the_same_journal(tmp_path, good_run, faults):
    with simulator(faults) as server:
        result = run(run_options(server, tmp_path))
    journal = "journal-2026-10.csv"
    assert (result.folder / journal).read_bytes() == (good_run.folder / journal).read_bytes()


def test_malformed_amount_stops_the_run_naming_page_and_row(tmp_path):
    with simulator(Faults(malformed_amount=RowFault(day="2026-10-07", index=2), months=["2026-10"])) as server:
        with pytest.raises(DataError) as caught:
            run(run_options(server, tmp_path))
    message = str(caught.value)
    assert "cost_report page raw/cost_report-2026-10-p001.json" in message
    assert "bucket 2026-10-07" in message and "row 3" in message and "12.3.4" in message
    assert not (tmp_path / "2026-10").exists()
    assert not list(tmp_path.glob(".staging-*"))


def test_unmapped_spend_without_unallocated_is_exit_4_naming_the_workspace(tmp_path, demo_server):
    config = yaml.safe_load(demo_config_path().read_text())
    del config["unallocated"]
    path = tmp_path / "no-unallocated.yaml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(DataError) as caught:
        run(run_options(demo_server, tmp_path / "out", config=path))
    assert "Hackathon Sandbox" in str(caught.value)
    assert caught.value.exit_status == 4


def test_a_failed_run_leaves_the_previous_outputs_untouched(tmp_path, good_run):
    output = tmp_path / "out"
    shutil.copytree(good_run.folder, output / "2026-10")
    month = output / "2026-10"
    before = {p.relative_to(month): p.read_bytes() for p in month.rglob("*") if p.is_file()}
    with simulator(Faults(non_usd_currency=RowFault(day="2026-10-03", index=0), months=["2026-10"])) as server:
        with pytest.raises(DataError, match="EUR") as caught:
            run(run_options(server, output))
    after = {p.relative_to(month): p.read_bytes() for p in month.rglob("*") if p.is_file()}
    assert after == before
    # the untrustworthy pages are kept apart for inspection, where the message says
    kept = next((output / "failed").iterdir())
    assert f"the pages as received are kept in {kept}" in str(caught.value)
    assert b'"EUR"' in (kept / "raw" / "cost_report-2026-10-p001.json").read_bytes()  # where the error says


def test_wrong_key_exits_3_with_one_line_and_no_outputs(cli, tmp_path, demo_server):
    secret = "sk-ant-admin01-wrong-key-0123456789abcdefghij"
    done = cli("run", "--month", "2026-10", "--config", str(demo_config_path()), "--output", str(tmp_path),
               "--base-url", demo_server.base_url, env={"ANTHROPIC_ADMIN_API_KEY": secret})
    assert done.returncode == 3
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr and secret not in done.stderr + done.stdout
    assert not (tmp_path / "2026-10").exists()


def test_bad_config_exits_2_before_any_request(cli, tmp_path, demo_server):
    bad = tmp_path / "bad.yaml"
    bad.write_text("organization: X\ncost_centers:\n  - code: A\n    name: A\nunallocated: B\n")
    seen = len(demo_server.requests)
    done = cli("run", "--config", str(bad), "--output", str(tmp_path), "--base-url", demo_server.base_url,
               env={"ANTHROPIC_ADMIN_API_KEY": DEMO_API_KEY})
    assert done.returncode == 2
    assert "bad.yaml:5: unallocated: names cost center B" in done.stderr
    assert len(demo_server.requests) == seen


def test_demo_command_needs_no_key_or_config(tmp_path):
    done = run_cli("run", "--demo", "--month", "2026-10", "--output", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "DEMO" in done.stdout and "journal" in done.stdout
    assert (tmp_path / "out" / "2026-10" / "executive-summary-2026-10.pdf").is_file()


def test_a_day_without_a_bucket_is_a_visible_warning_not_a_failure(tmp_path, good_run):
    with simulator(Faults(missing_days={"2026-10-05"})) as server:
        result = run(run_options(server, tmp_path))
    check = next(c for c in result.report.reconciliation.checks if c.name == "Every day of the month was returned")
    assert check.status == "WARN" and "2026-10-05" in check.detail and check.actual == "30 days"
    assert result.report.reconciliation.passed
    day = good_run.report.drivers.daily[4]
    assert day.day.isoformat() == "2026-10-05" and day.amount > 0
    assert result.report.reconciliation.source_total == good_run.report.reconciliation.source_total - day.amount


def test_the_pdf_shows_the_workbooks_numbers_on_at_most_3_inked_pages(good_run, good_workbook, tmp_path):
    from test_pdf import MAX_PAGES, _money, _pages_text, _png_size_and_dark_rows, _signed_money

    pdf = good_run.folder / "executive-summary-2026-10.pdf"
    text = "\n".join(_pages_text(pdf))
    workbook = good_workbook
    summary = table(workbook, "Summary", "Cost Center")
    for row in summary:
        total = Decimal(str(row["Total"])).quantize(Decimal("0.01"))
        assert _money(total) in text, row["Cost Center"]
        if row["Change"] is not None:  # the Budgeted and Without a budget rows have none
            assert _signed_money(Decimal(str(row["Change"])).quantize(Decimal("0.01"))) in text, row["Cost Center"]
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(tmp_path / "page")], check=True)
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert 1 <= len(pngs) <= MAX_PAGES
    for png in pngs:
        _, height, ink = _png_size_and_dark_rows(png.read_bytes())
        assert len([y for y in ink if 0.12 * height < y < 0.88 * height]) > height * 0.05, f"{png.name} is blank"


def test_a_month_that_has_not_ended_is_refused(cli, tmp_path):
    from datetime import datetime

    from reports.core.months import Month

    current = Month.last_complete(datetime.now(UTC)).next()
    done = cli("run", "--demo", "--month", str(current), "--output", str(tmp_path))
    assert done.returncode == 2 and f"{current} has not ended yet (UTC)" in done.stderr
    assert not (tmp_path / str(current)).exists()


def test_the_default_month_is_the_last_complete_utc_month_whatever_the_time_zone(cli, tmp_path):
    import os
    import time
    from datetime import datetime

    from reports.core.months import Month

    expected = Month.last_complete(datetime.now(UTC))
    # in this process (no PDF): the local time zone is what the test sets, so tzset() before and after
    before = os.environ.get("TZ")
    try:
        os.environ["TZ"] = "Pacific/Kiritimati"  # UTC+14
        time.tzset()
        done = cli("run", "--demo", "--output", str(tmp_path))
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()
    assert done.returncode == 0, done.stderr
    assert (tmp_path / str(expected) / f"journal-{expected}.csv").is_file()


def test_a_closed_stdout_pipe_is_not_a_traceback(tmp_path):
    import sys

    command = (f"{sys.executable} -m reports run --demo --month 2026-10 --output {tmp_path} | head -1")
    done = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300, env=cli_environment())
    assert done.stdout.startswith("chargeback 2026-10 (DEMO)")
    assert "Traceback" not in done.stderr and done.stderr == ""
    assert (tmp_path / "2026-10" / "journal-2026-10.csv").is_file()
