"""Arithmetic that holds on its face: every Variance is the Total beside it minus the Budget beside it,
and every total is the sum of its parts, as a reader finds them on the PDF's first page, the Summary and
History sheets, `chargeback history` and the email body; and a first month reads as one month.

The figures are read back from what the run wrote (pdftotext, openpyxl, the rendered email), never
taken from the Report. The demo configuration has cost centers without a budget (LEG-500, FIN-999).
"""

from __future__ import annotations

import re
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from conftest import MONTH, run_options
from reports.core.months import Month
from reports.email.compose import headline_from_manifest, render_bodies
from reports.outputs.manifest import Manifest
from reports.outputs.pdf import build_view_model
from reports.pipeline import demo_config_path, run

MONEY = re.compile(r"[+-]?\$[\d,]+\.\d{2}|—")
EARLIER = (Month(2026, 7), Month(2026, 9))  # 2026-08 is never run: a gap inside the year


def money(text: str) -> Decimal | None:
    """``-$1,234.50`` -> Decimal("-1234.50"); the PDF's ``—`` (no figure) -> None."""
    if text == "—":
        return None
    return Decimal(text.replace("$", "").replace(",", ""))


def pdf_text(pdf: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


def sheet_rows(workbook: Path, name: str) -> list[tuple]:
    book = openpyxl.load_workbook(workbook, read_only=True)
    try:
        rows = [tuple(row) for row in book[name].iter_rows(values_only=True)]
    finally:
        book.close()
    width = max(len(row) for row in rows)  # read-only mode leaves trailing empty cells out: pad them back
    return [row + (None,) * (width - len(row)) for row in rows]


def number(cell) -> Decimal | None:
    return None if cell is None else Decimal(str(cell))


def assert_parts(rows: dict[str, tuple[Decimal, Decimal | None, Decimal | None]],
                 codes: list[str], where: str) -> None:
    """``rows``: label -> (total, budget, variance) for each cost center and for Budgeted,
    Without a budget and Total: each variance subtracts, each total adds up."""
    for label, (total, budget, variance) in rows.items():
        if budget is None:
            assert variance is None, (where, label)
        else:
            assert variance == total - budget, (where, label, total, budget, variance)
    budgeted = [code for code in codes if rows[code][1] is not None]
    unbudgeted = [code for code in codes if rows[code][1] is None]
    assert budgeted and unbudgeted, where  # the config has both kinds: the test means something
    assert rows["Budgeted"][0] == sum(rows[code][0] for code in budgeted), where
    assert rows["Budgeted"][1] == sum(rows[code][1] for code in budgeted), where
    assert rows["Without a budget"][0] == sum(rows[code][0] for code in unbudgeted), where
    assert rows["Without a budget"][1] is None, where
    assert rows["Total"][0] == rows["Budgeted"][0] + rows["Without a budget"][0] == sum(
        rows[code][0] for code in codes), where
    assert rows["Total"][1] == rows["Budgeted"][1], where


@pytest.fixture(scope="module")
def year(tmp_path_factory, demo_server):
    """2026-07 and 2026-09 run, 2026-08 never, then October with its PDF: three of ten months posted."""
    output = tmp_path_factory.mktemp("face")
    for month in EARLIER:
        run(run_options(demo_server, output, month=month))
    return run(run_options(demo_server, output, pdf=True))


@pytest.mark.slow
def test_the_pdfs_first_page_subtracts_and_adds_up_on_its_face(year):
    text = pdf_text(year.folder / f"executive-summary-{MONTH}.pdf", 1)
    codes = [line.code for line in year.report.cost_centers]
    rows: dict[str, tuple] = {}
    prior_change = {}
    for line in text.splitlines():
        words = line.split()
        if not words:
            continue
        label = next((name for name in ("Budgeted", "Without a budget", "Total") if line.strip().startswith(name)
                      and MONEY.search(line)), None)
        figures = [money(found) for found in MONEY.findall(line)]
        if words[0] in codes:  # spend, budget, variance, prior month, change
            assert len(figures) == 5, line
            rows[words[0]] = tuple(figures[:3])
            prior_change[words[0]] = figures[3:]
        elif label == "Without a budget":
            assert len(figures) == 1, line  # spend only
            rows[label] = (figures[0], None, None)
        elif label is not None:
            rows[label] = tuple(figures[:3])
            if label == "Total":
                prior_change[label] = figures[3:]
    assert set(rows) == {*codes, "Budgeted", "Without a budget", "Total"}, text
    assert_parts(rows, codes, "PDF page 1")
    for label, (prior, change) in prior_change.items():
        assert change == rows[label][0] - prior, label
    assert sum(prior_change[code][0] for code in codes) == prior_change["Total"][0]
    # the footnote that explained a partial variance is gone: there is none to explain
    flat = " ".join(text.split())
    assert "budgeted cost centers only" not in flat
    # the year: year to date, budget to date for the same months, and their difference
    found = re.search(r"Year to date (\$[\d,]+\.\d\d) \((\d+) of (\d+) months posted[^)]*\); budget to date for "
                      r"those (\d+) months (\$[\d,]+\.\d\d) \(today's budgets\); variance ([+-]?\$[\d,]+\.\d\d)\.",
                      flat)
    assert found, flat
    ytd, posted, months, same, budget, variance = found.groups()
    assert (posted, months, same) == ("3", "10", "3")
    assert money(variance) == money(ytd) - money(budget)
    assert money(budget) == 3 * rows["Budgeted"][1]  # the demo's budgets are monthly
    assert "Projection, not a forecast" in flat and "× 12 ÷ 3" in flat


@pytest.mark.slow
def test_the_summary_sheet_subtracts_and_adds_up_on_its_face(year):
    rows = sheet_rows(year.folder / f"chargeback-{MONTH}.xlsx", "Summary")
    header = next(index for index, row in enumerate(rows) if row and row[0] == "Cost Center")
    assert rows[header][4:7] == ("Total", "Budget", "Variance")
    codes = [line.code for line in year.report.cost_centers]
    table = rows[header + 1:]
    assert [row[0] for row in table] == [*codes, "Budgeted", "Without a budget", "Total"]
    by_label = {row[0]: row for row in table}
    for code in codes:  # direct + shared = total
        row = by_label[code]
        assert number(row[2]) + number(row[3]) == number(row[4]), code
    assert_parts({label: (number(row[4]), number(row[5]), number(row[6])) for label, row in by_label.items()},
                 codes, "Summary")
    assert by_label["Without a budget"][5:7] == (None, None)


@pytest.mark.slow
def test_the_history_year_block_counts_the_same_months_and_subtracts(year, cli):
    rows = sheet_rows(year.folder / f"chargeback-{MONTH}.xlsx", "History")
    header, months = rows[0], rows[1:13]
    codes = [cell.split(" ", 1)[0] for cell in header[3:]]  # headed "ENG-100 Platform Engineering"
    block = {row[0]: row for row in rows[13:16]}
    assert list(block) == ["Year to Date", "Budget to Date", "Variance"]
    assert {row[1] for row in block.values()} == {"3 of 10 months posted"}
    in_year = [row for row in months if row[0].startswith("2026") and row[1] != "gap"]
    assert [row[0] for row in in_year] == [*map(str, EARLIER), str(MONTH)]
    for row in months:  # each month's total is its cost centers
        if row[2] is not None:
            assert number(row[2]) == sum(number(cell) or 0 for cell in row[3:]), row[0]
    ytd, budget, variance = block["Year to Date"], block["Budget to Date"], block["Variance"]
    for column in range(2, 3 + len(codes)):  # the Total column and every cost center's
        assert number(ytd[column]) == sum(number(row[column]) or 0 for row in in_year), column
        if budget[column] is None:
            assert variance[column] is None
        else:
            assert number(variance[column]) == number(ytd[column]) - number(budget[column]), column
    budgets = {line.code: line.budget for line in year.report.cost_centers}
    for index, code in enumerate(codes, 3):  # budget to date for the three posted months, not ten
        assert number(budget[index]) == (None if budgets[code] is None else budgets[code] * 3), code
    assert number(budget[2]) == sum(number(cell) for cell in budget[3:] if cell is not None)
    # `chargeback history` prints the same block
    done = cli("history", "--month", str(MONTH), "--output", str(year.folder.parent),
               "--config", str(demo_config_path()))
    assert done.returncode == 0, done.stderr
    for row in (ytd, budget, variance):
        line = next(text for text in done.stdout.splitlines() if text.strip().startswith(row[0]))
        cells = line.strip()[len(row[0]):].split()
        assert cells[:6] == ["3", "of", "10", "months", "posted", f"{number(row[2]):.2f}"], line


@pytest.mark.slow
def test_the_email_body_subtracts_and_adds_up_on_its_face(year):
    manifest = Manifest.read(year.folder, MONTH)
    text, html = render_bodies(headline_from_manifest(manifest, MONTH), ["summary.pdf"], workbook=False)
    figures = {}
    for line in text.splitlines():
        found = re.fullmatch(r"  (Budgeted|Without a budget|Total): (\$[\d,]+\.\d\d)"
                             r"(?:, budget (\$[\d,]+\.\d\d), variance ([+-]?\$[\d,]+\.\d\d))?", line)
        if found:
            label, total, budget, variance = found.groups()
            figures[label] = tuple(None if value is None else money(value) for value in (total, budget, variance))
    assert list(figures) == ["Budgeted", "Without a budget", "Total"], text
    for total, budget, variance in figures.values():
        assert budget is None or variance == total - budget
    assert figures["Total"][0] == figures["Budgeted"][0] + figures["Without a budget"][0]
    assert figures["Total"][1] == figures["Budgeted"][1] and figures["Without a budget"][1] is None
    spend = money(re.search(r"Total spend: (\$[\d,]+\.\d\d)", text).group(1))
    assert spend == figures["Total"][0]
    # the top cost centers and the others add up to the total; each one's variance subtracts
    parts = []
    for line in text.splitlines():
        found = re.fullmatch(r"  [A-Z]+-\d+ .+?: (\$[\d,]+\.\d\d) \([\d.]+% of total\)"
                             r"(?:, budget (\$[\d,]+\.\d\d), variance ([+-]?\$[\d,]+\.\d\d))?", line)
        if found:
            total, budget, variance = (None if value is None else money(value) for value in found.groups())
            parts.append(total)
            assert budget is None or variance == total - budget, line
        others = re.fullmatch(r"  \d+ other cost centers?: (\$[\d,]+\.\d\d)", line)
        if others:
            parts.append(money(others.group(1)))
    assert sum(parts) == spend
    year_line = re.search(r"Year to date, .*?: (\$[\d,]+\.\d\d) \(3 of 10 months posted, 3 not closed\); "
                          r"budget to date for those 3 months (\$[\d,]+\.\d\d) \(variance ([+-]?\$[\d,]+\.\d\d)\)",
                          text)
    assert year_line, text
    ytd, budget, variance = map(money, year_line.groups())
    assert variance == ytd - budget
    for label in ("Budgeted", "Without a budget"):
        assert label in html


@pytest.mark.slow
def test_a_first_month_reads_as_one_month(tmp_path, demo_server):
    done = run(run_options(demo_server, tmp_path, pdf=True))
    history = done.report.history
    budgets = sum(line.budget for line in done.report.cost_centers if line.budget is not None)
    # the History sheet: one of ten months, budget to date for that one month, no projection
    rows = sheet_rows(done.folder / f"chargeback-{MONTH}.xlsx", "History")
    block = {row[0]: row for row in rows[13:16]}
    assert {row[1] for row in block.values()} == {"1 of 10 months posted"}
    assert number(block["Budget to Date"][2]) == budgets
    assert number(block["Variance"][2]) == number(block["Year to Date"][2]) - budgets == done.report.total - budgets
    notes = [row[1] for row in rows if row[0] == "Note"]
    assert "No run-rate projection from fewer than 3 posted months." in notes
    assert not any("Projection, not a forecast" in note for note in notes)
    # the PDF's first page says the same, and projects nothing
    pdf = done.folder / f"executive-summary-{MONTH}.pdf"
    first = " ".join(pdf_text(pdf, 1).split())
    assert (f"Year to date ${done.report.total:,.2f} (1 of 10 months posted, 1 not closed); budget to date for that "
            f"month ${budgets:,.2f} (today's budgets); variance ${done.report.total - budgets:+,.2f}".replace(
                "$+", "+$").replace("$-", "-$")) in first, first
    assert "No run-rate projection from fewer than 3 posted months." in first
    assert "Projection, not a forecast" not in first
    # the trend starts at the month: one column, no gap drawn for the eleven months never run
    trend = build_view_model(done.report)["trend"]
    assert [month.label for month in trend.chart.months] == ["Oct \u201926"]
    assert not any(month.gap for month in trend.chart.months)
    second = pdf_text(pdf, 2).split()
    assert "gap" not in second and "Nov" not in second and f"{done.report.total:,.2f}" in second
    # the manifest and the email carry the same year
    manifest = Manifest.read(done.folder, MONTH)
    year = manifest.totals.year_to_date
    assert (year.posted_months, year.months, year.budget) == (1, 10, budgets)
    text, _ = render_bodies(headline_from_manifest(manifest, MONTH), ["summary.pdf"], workbook=False)
    assert "(1 of 10 months posted, 1 not closed); budget to date for that month" in text
    assert "No run-rate projection" in text and "Projection, not a forecast" not in text
    assert history.projection is None


@pytest.mark.slow
def test_the_trend_starts_at_the_first_month_with_books_and_keeps_the_gaps_after_it(year):
    trend = build_view_model(year.report)["trend"]
    assert [month.gap for month in trend.chart.months] == [False, True, False, False]  # Jul, Aug (gap), Sep, Oct
    # the columns keep a twelve-month width: four months take the left third of the plot
    chart = trend.chart
    assert chart.band_width == pytest.approx((chart.plot_right - chart.plot_left) / 12, abs=0.01)
    words = pdf_text(year.folder / f"executive-summary-{MONTH}.pdf", 2).split()
    assert words.count("gap") == 3  # in August's hatched band, under it, and in the legend
