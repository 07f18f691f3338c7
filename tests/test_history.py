"""History from the closed books, end to end over loopback HTTP, and its table maths on plain values.

The expected figures are read from the journal CSVs that were posted (the sealed journal and each
restatement's adjustment journal), never from the run's own History.
"""

from __future__ import annotations

import csv
import json
import subprocess
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from conftest import MONTH, run_cli, run_options, simulator
from reports.core.history import (
    CLOSED,
    GAP,
    NOT_CLOSED,
    RESTATED,
    Posted,
    Unreadable,
    build_history,
    fiscal_months,
)
from reports.core.months import Month
from reports.core.settings import CostCenter, Settings
from reports.email.compose import headline_from_manifest, render_bodies
from reports.outputs.manifest import Manifest
from reports.outputs.seal import close_month
from reports.pipeline import demo_config_path, run
from reports.simulator.demo import demo_organization
from reports.simulator.server import DEMO_API_KEY
from runcheck import assert_one_error_line, fails_for_month, scripted, tree_hashes

CLOSED_AT = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
TAMPERED = Month(2026, 4)
MISSING = Month(2026, 5)
CLOSED_MONTHS = (Month(2026, 6), Month(2026, 8))
RESTATED_MONTH = Month(2026, 7)
OPEN_MONTH = Month(2026, 9)
WINDOW = [MONTH.plus(-back) for back in range(11, -1, -1)]


def _money(text: str) -> Decimal:
    return Decimal(text) if text else Decimal(0)


def journal_by_center(path: Path) -> dict[str, Decimal]:
    """Each cost center's signed amount in a posted journal CSV (debits positive)."""
    with path.open(newline="", encoding="utf-8") as handle:
        amounts: dict[str, Decimal] = {}
        for row in csv.DictReader(handle):
            if row["Cost Center"]:
                code = row["Cost Center"]
                amounts[code] = amounts.get(code, Decimal(0)) + _money(row["Debit"]) - _money(row["Credit"])
    return amounts


def _plus(*journals: dict[str, Decimal]) -> dict[str, Decimal]:
    total: dict[str, Decimal] = {}
    for journal in journals:
        for code, value in journal.items():
            total[code] = total.get(code, Decimal(0)) + value
    return total


@pytest.fixture(scope="module")
def year(tmp_path_factory, demo_server):
    """Run and close three months, restate one, leave one unclosed, one missing, one tampered; then report 2026-10."""
    output = tmp_path_factory.mktemp("history")
    for month in (TAMPERED, *CLOSED_MONTHS, RESTATED_MONTH, OPEN_MONTH):
        run(run_options(demo_server, output, month=month, pdf=False))
        if month != OPEN_MONTH:
            close_month(output, month, CLOSED_AT)
    with simulator(organization=demo_organization(revision=1)) as late:
        restated = run(run_options(late, output, month=RESTATED_MONTH, restate=True, pdf=False))
    journal = output / str(TAMPERED) / f"journal-{TAMPERED}.csv"
    journal.write_bytes(journal.read_bytes().replace(b",", b";", 1))  # a sealed file changed after closing
    reported = run(run_options(demo_server, output, pdf=True))  # its PDF is read
    posted = {}
    for month in (*CLOSED_MONTHS, OPEN_MONTH, MONTH):
        posted[month] = journal_by_center(output / str(month) / f"journal-{month}.csv")
    posted[RESTATED_MONTH] = _plus(journal_by_center(output / str(RESTATED_MONTH) / f"journal-{RESTATED_MONTH}.csv"),
                                   journal_by_center(restated.folder / f"journal-adjustment-{RESTATED_MONTH}-R1.csv"))
    return output, reported, posted


def history_sheet(folder: Path) -> list[tuple]:
    workbook = openpyxl.load_workbook(folder / f"chargeback-{MONTH}.xlsx", read_only=True)
    try:
        rows = [tuple(row) for row in workbook["History"].iter_rows(values_only=True)]
    finally:
        workbook.close()
    width = len(rows[0])  # read-only mode leaves trailing empty cells out: pad them back as empty
    return [row + (None,) * (width - len(row)) for row in rows]



EXPECTED_STATUS = {TAMPERED: GAP, MISSING: GAP, CLOSED_MONTHS[0]: CLOSED, RESTATED_MONTH: RESTATED,
                   CLOSED_MONTHS[1]: CLOSED, OPEN_MONTH: NOT_CLOSED, MONTH: NOT_CLOSED}


@pytest.mark.slow
def test_the_history_sheet_shows_each_months_posted_total_status_and_gap(year):
    output, reported, posted = year
    rows = history_sheet(reported.folder)
    codes = [line.code for line in reported.report.cost_centers]
    # each cost center's column is headed by its code and its name
    centers = reported.report.cost_centers
    assert rows[0] == ("Month", "Status", "Total", *(f"{line.code} {line.name}" for line in centers))
    months = rows[1:13]
    assert [row[0] for row in months] == [str(month) for month in WINDOW]
    for row in months:
        month = Month.parse(row[0])
        assert row[1] == EXPECTED_STATUS.get(month, GAP), month
        if month in posted:
            assert Decimal(str(row[2])).quantize(Decimal("0.01")) == sum(posted[month].values()), month
            for code, cell in zip(codes, row[3:], strict=True):
                expected = posted[month].get(code, Decimal(0))
                assert Decimal(str(cell)).quantize(Decimal("0.01")) == expected, (month, code)
        else:  # a gap is empty, never 0
            assert row[2:] == (None,) * (len(codes) + 1), month
    # the restatement changed the month: the sheet holds the sealed journal plus R1, not the seal alone
    sealed = journal_by_center(output / str(RESTATED_MONTH) / f"journal-{RESTATED_MONTH}.csv")
    assert posted[RESTATED_MONTH] != sealed


@pytest.mark.slow
def test_year_to_date_is_the_sum_of_the_posted_journals_against_budget_to_date(year):
    _, reported, posted = year
    rows = {row[0]: row for row in history_sheet(reported.folder) if row[0]}
    codes = [line.code for line in reported.report.cost_centers]
    fiscal = [month for month in posted if month.year == 2026]  # fiscal_year_start 1: January to October
    ytd = rows["Year to Date"]
    assert Decimal(str(ytd[2])).quantize(Decimal("0.01")) == sum(sum(posted[m].values()) for m in fiscal)
    budgets = {line.code: line.budget for line in reported.report.cost_centers}
    for index, code in enumerate(codes, 3):
        expected = sum(posted[m].get(code, Decimal(0)) for m in fiscal)
        assert Decimal(str(ytd[index])).quantize(Decimal("0.01")) == expected, code
        budget = rows["Budget to Date"][index]
        if budgets[code] is None:
            assert budget is None and rows["Variance"][index] is None
        else:  # the five posted months, not the ten of the fiscal year so far
            assert Decimal(str(budget)) == budgets[code] * len(fiscal)
            assert Decimal(str(rows["Variance"][index])).quantize(Decimal("0.01")) == expected - budgets[code] * 5
    # the Total column subtracts on its face: all spend against the sum of the budgets
    total_budget = sum(budget * len(fiscal) for budget in budgets.values() if budget is not None)
    assert Decimal(str(rows["Budget to Date"][2])) == total_budget
    assert Decimal(str(rows["Variance"][2])) == Decimal(str(ytd[2])) - total_budget
    assert len(fiscal) == 5
    assert ytd[1] == rows["Budget to Date"][1] == rows["Variance"][1] == "5 of 10 months posted"


@pytest.mark.slow
def test_a_tampered_sealed_month_is_named_and_left_out(year):
    output, reported, _ = year
    notes = [row[1] for row in history_sheet(reported.folder) if row[0] == "Note"]
    named = [note for note in notes if str(TAMPERED) in note and f"journal-{TAMPERED}.csv" in note]
    assert named and str(output / str(TAMPERED)) in named[0], notes
    assert reported.report.history.row(TAMPERED).status == GAP
    # -layout keeps the text as printed: plain pdftotext drops a hyphen that ends a line, as if soft
    text = subprocess.run(["pdftotext", "-layout", str(reported.folder / f"executive-summary-{MONTH}.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    compact = "".join(text.split())  # a long path may wrap at any of its hyphens or slashes
    assert "Leftoutasagap" in compact and str(output / str(TAMPERED)) in compact
    assert f"journal-{TAMPERED}.csv" in compact


@pytest.mark.slow
def test_the_pdf_shows_the_months_their_status_and_the_projection_with_its_method(year):
    _, reported, posted = year
    pdf = reported.folder / f"executive-summary-{MONTH}.pdf"
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Pages:           3\n" in pages, pages
    text = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    words = text.split()
    for month, journal in posted.items():
        assert f"{sum(journal.values()):,.2f}" in words, month
    # the trend starts at the first month with books (the tampered one, left out as a gap): the months
    # before it were never run and are not drawn; each gap after it is, in its band and under it
    drawn = WINDOW[WINDOW.index(TAMPERED):]
    gaps = [month for month in drawn if month not in posted]
    assert gaps == [TAMPERED, MISSING]
    assert words.count("gap") == 2 * len(gaps) + 1  # and once in the legend
    assert "Nov" not in words and "Mar" not in words and "Apr" in words
    assert "closed" in words and "restated" in words
    first = " ".join(subprocess.run(["pdftotext", "-l", "1", str(pdf), "-"], capture_output=True, text=True,
                                    check=True).stdout.split())
    history = reported.report.history
    months = len([m for m in posted if m.year == 2026])
    assert history.posted_year_months == months == 5
    ytd = sum(sum(posted[m].values()) for m in posted if m.year == 2026)
    projected = (ytd * 12 / months).quantize(Decimal("0.01"))
    assert (f"Projection, not a forecast: year to date ${ytd:,.2f} over {months} months posted, × 12 ÷ {months} = "
            f"${projected:,.2f} for the full fiscal year January 2026 – December 2026 at the current run rate") in first
    assert "YEAR TO DATE" in first and f"${ytd:,.2f}" in first


@pytest.mark.slow
def test_the_email_quotes_the_year_to_date_from_the_manifest(year):
    _, reported, posted = year
    manifest = Manifest.read(reported.folder, MONTH)
    ytd = sum(sum(posted[m].values()) for m in posted if m.year == 2026)
    assert manifest.totals.year_to_date.total == ytd
    text, html = render_bodies(headline_from_manifest(manifest, MONTH), ["summary.pdf"], workbook=False)
    assert f"Year to date, January 2026 to October 2026: ${ytd:,.2f} (5 of 10 months posted, 2 not closed)" in text
    assert f"${ytd:,.2f}" in html


@pytest.mark.slow
def test_history_prints_the_same_table_and_writes_it_as_csv(cli, year, tmp_path):
    output, reported, _ = year
    target = tmp_path / "history.csv"
    done = cli("history", "--month", str(MONTH), "--output", str(output), "--config", str(demo_config_path()),
               "--csv", str(target))
    assert done.returncode == 0 and done.stderr == "", done.stderr
    with target.open(newline="", encoding="utf-8") as handle:
        table = list(csv.reader(handle))
    sheet = [row for row in history_sheet(reported.folder) if row[0] and row[0] != "Note"]
    assert len(table) == len(sheet) == 16
    names = {f"{line.code} {line.name}": line.code for line in reported.report.cost_centers}
    assert table[0] == [names.get(cell, cell) for cell in sheet[0]]  # the sheet names each code beside it
    for printed, cells in zip(table[1:], sheet[1:], strict=True):
        assert printed[:2] == [str(cells[0]), str(cells[1])]
        assert printed[2:] == ["" if cell is None else f"{Decimal(str(cell)):.2f}" for cell in cells[2:]]
    for row in table[1:13]:
        assert row[0] in done.stdout and row[1] in done.stdout
    assert "Projection, not a forecast" in done.stdout and str(output / str(TAMPERED)) in done.stdout


@pytest.mark.slow
def test_a_restatement_manifest_without_its_adjustment_reads_as_restated_minus_sealed(year, tmp_path):
    # restatements written before manifests recorded their adjustment journalled against the seal
    import shutil

    from reports.outputs.history import read_month

    output, _, posted = year
    copy = tmp_path / "out"
    shutil.copytree(output / str(RESTATED_MONTH), copy / str(RESTATED_MONTH))
    manifest_path = copy / str(RESTATED_MONTH) / "restatements" / "R1" / "manifest.json"
    data = json.loads(manifest_path.read_text())
    del data["totals"]["adjustment"]
    manifest_path.write_text(json.dumps(data))
    item = read_month(copy, RESTATED_MONTH)
    assert isinstance(item, Posted) and item.status == RESTATED and item.restatements == ("R1",)
    assert {code: value for code, value in item.ledger.items() if value} == {
        code: value for code, value in posted[RESTATED_MONTH].items() if value}


# ---------------------------------------------------------------- verifying the past: the hash chain, or every file


def _copy_months(output: Path, target: Path, months) -> Path:
    import shutil

    for month in months:
        shutil.copytree(output / str(month), target / str(month))
    return target


def _a_raw_page(folder: Path) -> Path:
    return next(path for path in sorted((folder / "raw").glob("*.json")) if path.name != "index.json")


def test_a_run_reads_history_through_the_hash_chain_without_hashing_raw_pages(year, monkeypatch):
    from reports.outputs import verify
    from reports.outputs.history import read_history

    output, reported, _ = year
    hashed: list[Path] = []
    real = verify.sha256_file

    def recording(path: Path) -> str:
        hashed.append(path)
        return real(path)

    monkeypatch.setattr(verify, "sha256_file", recording)
    chain = read_history(output, MONTH)
    assert {month: GAP if isinstance(item, Unreadable) else item.status for month, item in chain.items()} == {
        month: status for month, status in EXPECTED_STATUS.items() if month != MONTH and month != MISSING}
    names = {path.name for path in hashed}
    assert not any("raw" in path.parts for path in hashed), hashed
    assert "manifest.json" in names and f"journal-{CLOSED_MONTHS[0]}.csv" in names
    assert f"journal-adjustment-{RESTATED_MONTH}-R1.csv" in names
    hashed.clear()
    every = read_history(output, MONTH, every_file=True)
    assert any("raw" in path.parts for path in hashed)
    assert every == chain  # the same figures, only checked harder
    # the run itself read its history the same way: the sheet shows what the chain reads
    assert reported.report.history.row(CLOSED_MONTHS[0]).total == chain[CLOSED_MONTHS[0]].total


def test_a_tampered_raw_page_is_caught_by_history_verify(year, tmp_path):
    output, _, _ = year
    copy = _copy_months(output, tmp_path / "out", [month for month in EXPECTED_STATUS if month != TAMPERED
                                                   and month != MISSING])
    args = ("history", "--month", str(MONTH), "--output", str(copy), "--config", str(demo_config_path()))
    clean = run_cli(*args, "--verify")
    assert clean.returncode == 0 and clean.stderr == "", clean.stderr
    assert "verified: every file of the 5 month folder(s) matches its seal or manifest" in clean.stdout
    page = _a_raw_page(copy / str(CLOSED_MONTHS[0]))
    page.write_bytes(page.read_bytes().replace(b"0", b"1", 1))  # one digit of a sealed API page
    caught = run_cli(*args, "--verify")
    assert caught.returncode == 4
    assert_one_error_line(caught.stderr, f"1 of 5 month folder(s) do not verify: {CLOSED_MONTHS[0]}")
    relative = str(page.relative_to(copy / str(CLOSED_MONTHS[0])))
    assert any(str(copy / str(CLOSED_MONTHS[0])) in line and relative in line and "note:" in line
               for line in caught.stdout.splitlines()), caught.stdout
    row = next(line.split() for line in caught.stdout.splitlines() if line.split()[:1] == [str(CLOSED_MONTHS[0])])
    assert row[1] == GAP
    # without --verify the page is not re-hashed: the month reads from its seal, manifest and journal
    quick = run_cli(*args)
    assert quick.returncode == 0 and relative not in quick.stdout
    row = next(line.split() for line in quick.stdout.splitlines() if line.split()[:1] == [str(CLOSED_MONTHS[0])])
    assert row[1] == CLOSED


def test_the_chain_names_a_changed_journal_a_missing_page_and_a_seal_that_disagrees(year, tmp_path):
    from reports.outputs.history import read_month

    output, _, _ = year
    copy = _copy_months(output, tmp_path / "out", (OPEN_MONTH, RESTATED_MONTH, CLOSED_MONTHS[0], CLOSED_MONTHS[1]))
    journal = copy / str(OPEN_MONTH) / f"journal-{OPEN_MONTH}-netsuite.csv"  # an import layout is posted too
    journal.write_bytes(journal.read_bytes() + b"\n")
    item = read_month(copy, OPEN_MONTH)
    assert isinstance(item, Unreadable) and journal.name in item.reason and str(copy / str(OPEN_MONTH)) in item.reason

    adjustment = copy / str(RESTATED_MONTH) / "restatements" / "R1" / f"journal-adjustment-{RESTATED_MONTH}-R1.csv"
    adjustment.write_bytes(adjustment.read_bytes().replace(b",", b";", 1))
    item = read_month(copy, RESTATED_MONTH)
    assert isinstance(item, Unreadable) and adjustment.name in item.reason and "R1" in item.reason

    _a_raw_page(copy / str(CLOSED_MONTHS[0])).unlink()  # a missing file is seen without hashing anything
    item = read_month(copy, CLOSED_MONTHS[0])
    assert isinstance(item, Unreadable) and "changed or removed after sealing: raw/" in item.reason

    seal_path = copy / str(CLOSED_MONTHS[1]) / "seal.json"
    seal = json.loads(seal_path.read_text())
    seal["totals"]["total"] = str(Decimal(seal["totals"]["total"]) + 1)  # the seal no longer says what was sealed
    seal_path.write_text(json.dumps(seal))
    item = read_month(copy, CLOSED_MONTHS[1])
    assert isinstance(item, Unreadable), item
    assert f"{seal_path} does not agree with the manifest.json it seals (the totals differ)" in item.reason


# ---------------------------------------------------------------- backfill


@pytest.mark.slow
def test_backfill_runs_only_the_missing_months_and_never_touches_a_closed_one(cli, tmp_path, demo_server):
    output = tmp_path / "out"
    run(run_options(demo_server, output, month=Month(2026, 8), pdf=False))
    close_month(output, Month(2026, 8), CLOSED_AT)
    sealed = tree_hashes(output / "2026-08")
    done = cli("backfill", "--from", "2026-07", "--to", "2026-09", "--output", str(output), "--config",
               str(demo_config_path()), "--base-url", demo_server.base_url, "--no-pdf",
               env={"ANTHROPIC_ADMIN_API_KEY": DEMO_API_KEY})
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # progress only on a terminal
    lines = done.stdout.splitlines()
    assert lines[0] == "backfill 2026-07 to 2026-09: 2 month(s) run, 1 left alone"
    assert any(line.split()[:3] == ["left", "alone", "2026-08"] and line.endswith("closed") for line in lines)
    assert tree_hashes(output / "2026-08") == sealed
    for month in ("2026-07", "2026-09"):
        assert (output / month / "manifest.json").is_file() and not (output / month / "seal.json").exists()
        assert not (output / month / f"executive-summary-{month}.pdf").exists()
    again = cli("backfill", "--from", "2026-07", "--to", "2026-09", "--output", str(output), "--config",
                str(demo_config_path()), "--base-url", demo_server.base_url,
                env={"ANTHROPIC_ADMIN_API_KEY": DEMO_API_KEY})
    assert again.returncode == 0
    assert again.stdout.startswith("backfill 2026-07 to 2026-09: 0 month(s) run, 3 left alone")


@pytest.mark.slow
def test_backfill_lets_go_of_each_months_report_before_running_the_next(tmp_path, demo_server, monkeypatch):
    # a year's backfill at scale holds one month's rows at a time, not twelve
    import weakref

    from reports import backfill as backfill_module

    held: list[weakref.ref] = []
    real_run = backfill_module.run

    def watched(options, **kwargs):
        assert all(ref() is None for ref in held), f"a month before {options.month} is still held"
        result = real_run(options, **kwargs)
        held.append(weakref.ref(result))
        return result

    monkeypatch.setattr(backfill_module, "run", watched)
    output = tmp_path / "out"
    done = backfill_module.backfill(run_options(demo_server, output, pdf=False), Month(2026, 8), Month(2026, 10),
                                    now=lambda: CLOSED_AT)
    assert len(held) == 3 and all(ref() is None for ref in held)
    for item in done.ran:  # what the summary prints is what was published
        manifest = Manifest.read(output / str(item.month), item.month)
        assert item.total == manifest.totals.total and item.folder == output / str(item.month)


@pytest.mark.slow
def test_a_failing_month_stops_the_backfill_and_keeps_the_months_before_it(cli, tmp_path):
    output = tmp_path / "out"
    hook = fails_for_month("/v1/organizations/cost_report", "2026-08", status=400,
                           error=("invalid_request_error", "starting_at is out of range"))
    with scripted(hook) as server:
        done = cli("backfill", "--from", "2026-07", "--to", "2026-09", "--output", str(output), "--config",
                   str(demo_config_path()), "--base-url", server.base_url, "--no-pdf",
                   env={"ANTHROPIC_ADMIN_API_KEY": DEMO_API_KEY})
    assert done.returncode == 3
    assert_one_error_line(done.stderr, "backfill stopped at 2026-08", "run before it are kept (2026-07)")
    assert done.stdout == ""
    assert (output / "2026-07" / "manifest.json").is_file()
    assert not (output / "2026-08").exists() and not (output / "2026-09").exists()


def test_backfill_refuses_a_range_backwards(cli, tmp_path):
    done = cli("backfill", "--demo", "--from", "2026-09", "--to", "2026-07", "--output", str(tmp_path))
    assert done.returncode == 2
    assert_one_error_line(done.stderr, "--from 2026-09 is after --to 2026-07")


# ---------------------------------------------------------------- the table maths, on plain values


def _settings(fiscal_year_start: int = 1, **budgets) -> Settings:
    centers = (CostCenter("A", "Alpha", budget=Decimal("100")), CostCenter("B", "Beta", annual_budget=Decimal("1000")),
               CostCenter("C", "Gamma"))
    return Settings("Org", centers, fiscal_year_start=fiscal_year_start, **budgets)


def _posted(month: Month, status: str = CLOSED, currency: str = "USD", **amounts: str) -> Posted:
    values = {code: Decimal(value) for code, value in amounts.items()}
    return Posted(month, status, currency, Decimal(1), values, values)


def test_fiscal_years_start_in_the_configured_month():
    assert fiscal_months(Month(2026, 10), 1)[0] == Month(2026, 1) and len(fiscal_months(Month(2026, 10), 1)) == 10
    assert fiscal_months(Month(2026, 2), 4)[0] == Month(2025, 4) and len(fiscal_months(Month(2026, 2), 4)) == 11
    assert fiscal_months(Month(2026, 4), 4) == (Month(2026, 4),)


def test_year_to_date_and_budget_to_date_count_the_same_posted_months_and_an_annual_budget_prorates():
    month = Month(2026, 6)
    posted = {Month(2026, 4): _posted(Month(2026, 4), A="10.00", B="5.00", C="1.00"),
              Month(2026, 5): Unreadable(Month(2026, 5), "out/2026-05: the seal does not verify"),
              month: _posted(month, NOT_CLOSED, A="20.00", B="7.50", C="0.00"),
              Month(2026, 2): _posted(Month(2026, 2), A="99.00", B="0", C="0")}  # before the fiscal year (April)
    history = build_history(month, posted, _settings(fiscal_year_start=4))
    assert [row.month for row in history.year_rows] == [Month(2026, 4), Month(2026, 5), Month(2026, 6)]
    assert history.row(Month(2026, 5)).status == GAP and history.row(Month(2026, 5)).total is None
    assert history.row(Month(2026, 3)).total is None and history.row(Month(2026, 2)).total == Decimal("99.00")
    assert history.year_to_date == Decimal("43.50")
    # the gap (2026-05) counts in neither: two posted months of budget against two of spend
    assert history.posted_year_months == 2 and history.months_posted == "2 of 3 months posted"
    lines = {line.code: line for line in history.lines}
    assert lines["A"].budget_to_date == Decimal("200") and lines["A"].variance == Decimal("-170.00")
    assert lines["B"].budget_to_date == Decimal("166.67")  # 1000 × 2 ÷ 12, half-up to the cent
    assert lines["C"].budget_to_date is None and lines["C"].variance is None
    assert lines["B"].variance == Decimal("12.50") - Decimal("166.67")
    # the Total column: all spend (C has no budget) against the sum of the budgets, and nothing else
    assert history.budget_to_date == Decimal("366.67")
    assert history.variance == history.year_to_date - history.budget_to_date == Decimal("-323.17")
    # two posted months make no run rate
    assert history.projection is None
    assert history.projection_text == "No run-rate projection from fewer than 3 posted months."
    three = build_history(month, {**posted, Month(2026, 5): _posted(Month(2026, 5), A="1.00", B="1.00")},
                          _settings(fiscal_year_start=4))
    assert three.projection.months == 3 and three.projection.projected == Decimal("182.00")  # 45.50 × 12 ÷ 3
    assert "× 12 ÷ 3 = $182.00" in three.projection_text
    assert three.budget_to_date == Decimal("300") + Decimal("250.00")
    assert any("out/2026-05: the seal does not verify" in note for note in history.notes)


def test_months_posted_in_different_currencies_are_not_added_up():
    month = Month(2026, 3)
    posted = {Month(2026, 1): _posted(Month(2026, 1), A="10.00"),
              month: _posted(month, currency="EUR", A="9.00")}
    history = build_history(month, posted, _settings())
    assert history.currency is None and history.year_to_date is None and history.projection is None
    assert all(line.year_to_date is None and line.budget_to_date is None for line in history.lines)
    assert history.row(month).total == Decimal("9.00") and history.row(month).currency == "EUR"
    assert any("different currencies" in note and "EUR: 2026-03" in note for note in history.notes)
    one_currency = build_history(month, {month: _posted(month, currency="EUR", A="9.00")}, _settings())
    assert one_currency.year_to_date == Decimal("9.00") and one_currency.budget_to_date is None
    assert any("Budgets are planned in USD" in note for note in one_currency.notes)


def test_a_cost_center_no_longer_configured_keeps_its_posted_column():
    month = Month(2026, 2)
    history = build_history(month, {month: _posted(month, A="1.00", OLD="4.00")}, _settings())
    assert history.codes == ("A", "B", "C", "OLD")
    assert history.row(month).amount("OLD") == Decimal("4.00") and history.row(month).amount("B") is None


def test_the_config_takes_a_fiscal_year_start_and_annual_budgets_and_refuses_bad_ones():
    from reports.config.schema import parse_settings
    from reports.errors import ConfigError

    base = ("organization: Org\nfiscal_year_start: {start}\ncost_centers:\n"
            "  - {{code: A, name: Alpha, budget: 100, annual_budget: {annual}}}\n")
    settings = parse_settings(base.format(start=4, annual="1200.50").encode(), "c.yaml")
    assert settings.fiscal_year_start == 4 and settings.cost_centers[0].annual_budget == Decimal("1200.50")
    plain = parse_settings(b"organization: Org\ncost_centers: [{code: A, name: Alpha}]\n", "c.yaml")
    assert plain.fiscal_year_start == 1
    with pytest.raises(ConfigError) as caught:
        parse_settings(base.format(start=13, annual="-5").encode(), "c.yaml")
    problems = caught.value.problems
    assert any(p.startswith("c.yaml:2: fiscal_year_start") and "1 to 12" in p for p in problems), problems
    assert any("cost_centers[0].annual_budget" in p and "negative" in p for p in problems), problems
