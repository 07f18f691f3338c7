"""The prior month from the books: Prior Month, Change, the headline and the movers use what was posted."""

from __future__ import annotations

import csv
import subprocess
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from conftest import MONTH, run_options, simulator
from reports.core.checks import Figure, Status
from reports.core.history import CLOSED, NOT_CLOSED, Posted
from reports.core.prior import PriorBasis, PriorMonth
from reports.core.prior_compare import PRIOR_CHECK, prior_checks
from reports.outputs.seal import close_month
from reports.pipeline import run
from reports.simulator.demo import demo_organization
from tests.factories import sample_report

NEXT = MONTH.plus(1)
CENT = Decimal("0.01")


def journal_debits(path: Path) -> dict[str, Decimal]:
    """Each cost center's debit in a journal CSV, read as an accountant's import would."""
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["Cost Center"]: Decimal(row["Debit"]) for row in csv.DictReader(handle) if row["Cost Center"]}


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


# ---------------------------------------------------------------- pure


def _prior(status: str, posted: str, fetched: str | None) -> PriorMonth:
    return PriorMonth(MONTH, PriorBasis.POSTED, Decimal(posted), {"A": Decimal(posted)}, status,
                      None if fetched is None else Decimal(fetched))


def test_the_check_warns_with_both_figures_the_difference_and_the_command():
    (check,) = prior_checks(_prior(CLOSED, "42953.81", "43055.07"))
    assert check.name == PRIOR_CHECK and check.status == Status.WARN
    assert check.expected == Figure(Decimal("42953.81")) and check.actual == Figure(Decimal("43055.07"))
    assert "$42,953.81" in check.detail and "$43,055.07" in check.detail and "+$101.26" in check.detail
    assert f"chargeback run --month {MONTH} --restate" in check.detail


def test_a_month_not_closed_is_corrected_by_running_it_again_not_by_a_restatement():
    (check,) = prior_checks(_prior(NOT_CLOSED, "100.00", "90.00"))
    assert check.status == Status.WARN and "-$10.00" in check.detail
    assert f"`chargeback run --month {MONTH}`" in check.detail and "--restate" not in check.detail


def test_books_that_agree_with_the_api_pass_and_a_prior_month_without_books_is_not_checked():
    (check,) = prior_checks(_prior(CLOSED, "100.00", "100.00"))
    assert check.status == Status.PASS
    assert prior_checks(_prior(CLOSED, "100.00", None)) == ()  # the API's figure could not be had
    fetched = PriorMonth(MONTH, PriorBasis.FETCHED, Decimal("5"), {}, fetched_total=Decimal("5"))
    assert prior_checks(fetched) == () and prior_checks(None) == ()


def test_build_report_compares_with_the_books_when_given_them():
    fresh = sample_report()
    assert fresh.prior is not None and fresh.prior.basis == PriorBasis.FETCHED
    # the books hold a prior month that differs from the API's by a dollar on the first cost center
    first = fresh.cost_centers[0].code
    usd = {line.code: line.prior_total for line in fresh.cost_centers if line.prior_total is not None}
    usd[first] -= Decimal("1.00")
    posted = Posted(MONTH.prior(), CLOSED, "USD", Decimal(1), dict(usd), dict(usd))
    report = sample_report(prior_posted=posted)  # the same month, built again with the books
    assert report.prior_total == fresh.prior_total - 1 == sum(usd.values())
    assert report.change == report.total - report.prior_total
    line = next(line for line in report.cost_centers if line.code == first)
    assert line.prior_total == usd[first] and line.change == line.total - usd[first]
    warn = next(check for check in report.reconciliation.checks if check.name == PRIOR_CHECK)
    assert warn.status == Status.WARN and "+$1.00" in warn.detail
    # the movers, the rest of the workspaces and the late data add up to the change shown
    assert abs(sum(mover.change for mover in report.drivers.movers) - report.change) < CENT / 2
    assert report.drivers.movers[-1].change.quantize(CENT) == Decimal("1.00")  # exact dollars, shown to the cent
    assert report.prior is not None and report.prior.basis == PriorBasis.POSTED


def test_a_cost_center_the_books_had_and_the_config_no_longer_has_is_named():
    fresh = sample_report()
    usd = {line.code: line.prior_total for line in fresh.cost_centers if line.prior_total is not None}
    usd["OLD-1"] = Decimal("12.34")  # posted then, since removed from the configuration
    report = sample_report(prior_posted=Posted(MONTH.prior(), CLOSED, "USD", Decimal(1), dict(usd), dict(usd)))
    assert report.prior_total == sum(usd.values())  # the books' total, all of it
    assert any("OLD-1 $12.34" in note and "no longer configured" in note for note in report.run_info.notes)


def test_a_prior_month_without_books_is_compared_as_fetched_and_not_checked():
    report = sample_report(prior_posted=None)
    assert report.prior is not None and report.prior.basis == PriorBasis.FETCHED
    assert not any(check.name == PRIOR_CHECK for check in report.reconciliation.checks)


# ---------------------------------------------------------------- over the simulator


@pytest.fixture(scope="module")
def late_month(tmp_path_factory):
    """October closed as the API first reported it; November run after late data changed October."""
    output = tmp_path_factory.mktemp("prior")
    with simulator() as server:
        closed = run(run_options(server, output))
    close_month(output, MONTH, datetime(2026, 11, 5, 9, 0, tzinfo=UTC))
    with simulator(organization=demo_organization(revision=1)) as late:
        after = run(run_options(late, output, month=NEXT, pdf=True))
        refetched = run(run_options(late, tmp_path_factory.mktemp("refetch")))  # October as the API has it now
    return output, closed, after, refetched


@pytest.mark.slow
def test_prior_month_change_and_headline_use_the_posted_figure(late_month):
    output, closed, after, refetched = late_month
    books = journal_debits(output / str(MONTH) / f"journal-{MONTH}.csv")
    posted = sum(books.values())
    assert refetched.report.total != posted, "the late data should change October"
    report = after.report
    assert report.prior_total == posted and report.change == report.total - posted
    assert report.history is not None and report.history.row(MONTH).total == posted  # History's figure

    sheet = openpyxl.load_workbook(after.folder / f"chargeback-{NEXT}.xlsx")["Summary"]
    rows = list(sheet.iter_rows(values_only=True))
    assert next(row[1] for row in rows if row[0] == "Prior Month (USD)") == pytest.approx(float(posted))
    header = rows.index(next(row for row in rows if row[0] == "Cost Center"))
    columns = rows[header]
    for row in rows[header + 1:]:
        if row[0] in (None, "Budgeted", "Without a budget"):
            continue  # the budget lines have no prior month of their own
        values = dict(zip(columns, row, strict=False))
        if row[0] == "Total":
            assert money(values["Prior Month"]) == posted and money(values["Change"]) == report.change
            break
        assert money(values["Prior Month"]) == books.get(row[0], Decimal(0)), row[0]
        assert money(values["Change"]) == money(values["Total"]) - money(values["Prior Month"]), row[0]

    pdf = after.folder / f"executive-summary-{NEXT}.pdf"
    text = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    flat = " ".join(text.split())
    direction = "down" if report.change < 0 else "up"
    assert f"{direction} ${abs(report.change):,.2f}" in flat and f"from ${posted:,.2f} in {MONTH.label}" in flat
    late = refetched.report.total - posted
    assert f"{MONTH.label} as posted (closed): ${posted:,.2f}" in flat
    assert f"${refetched.report.total:,.2f}" in flat and f"{'+' if late > 0 else '-'}${abs(late):,.2f}" in flat
    assert f"chargeback run --month {MONTH} --restate" in flat


@pytest.mark.slow
def test_the_reconciliation_warns_with_both_figures_as_numbers(late_month):
    output, _, after, refetched = late_month
    posted = sum(journal_debits(output / str(MONTH) / f"journal-{MONTH}.csv").values())
    fetched = refetched.report.total
    check = next(check for check in after.report.reconciliation.checks if check.name == "Prior month as posted")
    assert check.status == Status.WARN
    assert f"${posted:,.2f}" in check.detail and f"${fetched:,.2f}" in check.detail
    assert f"${abs(fetched - posted):,.2f}" in check.detail and "--restate" in check.detail

    sheet = openpyxl.load_workbook(after.folder / f"chargeback-{NEXT}.xlsx")["Reconciliation"]
    row = next(row for row in sheet.iter_rows() if row[0].value == "Prior month as posted")
    assert row[1].value == pytest.approx(float(posted)) and row[2].value == pytest.approx(float(fetched))
    assert row[1].number_format == row[2].number_format == "#,##0.00" and row[3].value == "WARN"


@pytest.mark.slow
def test_the_movers_add_up_to_the_change_shown_with_the_late_data_as_a_row(late_month):
    output, _, after, refetched = late_month
    report = after.report
    movers = report.drivers.movers
    assert abs(sum(mover.change for mover in movers) - report.change) < CENT / 2
    late = movers[-1]
    assert MONTH.label in late.label and late.change.quantize(CENT) == refetched.report.total - report.prior_total
    labels = [mover.label for mover in movers]
    assert not any(label.startswith("Model:") for label in labels)  # one cut of the spend: no double counting


@pytest.mark.slow
def test_once_restated_the_books_agree_and_nothing_warns(late_month, tmp_path):
    import shutil

    output, _, _, refetched = late_month
    copy = tmp_path / "out"
    shutil.copytree(output, copy)
    with simulator(organization=demo_organization(revision=1)) as late:
        run(run_options(late, copy, restate=True))
        again = run(run_options(late, copy, month=NEXT))
    assert again.report.prior_total == refetched.report.total  # the sealed journal plus R1's adjustment
    check = next(check for check in again.report.reconciliation.checks if check.name == "Prior month as posted")
    assert check.status == Status.PASS
