"""`chargeback invoice` end to end over the simulator: the invoice's folder, its true-up in every layout, refusals."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
import yaml

from conftest import MONTH, run_options, simulator
from reports.core.money import round_cents
from reports.core.settings import LAYOUTS
from reports.invoicing import InvoiceOptions, record_invoice
from reports.outputs.seal import close_month, read_seal, verify_seal
from reports.pipeline import demo_config_path, run
from reports.simulator.demo import demo_organization

pytestmark = pytest.mark.slow  # runs whole months

INVOICE_DAY = date(2026, 11, 3)


def config_for(folder: Path, *, source: str | None = None, billing: dict | None = None,
               eur: bool = False) -> Path:
    """The demo mapping with every import layout, the given billing: and optionally an EUR ledger."""
    config = yaml.safe_load(demo_config_path(source).read_text())
    config["journal"]["layouts"] = list(LAYOUTS)
    if "directory" in config:  # the copy is written elsewhere: name the shipped people file by its full path
        config["directory"]["file"] = str(demo_config_path(source).parent / config["directory"]["file"])
    if eur:
        config["journal"].update(currency="EUR", exchange_rates={"2026-09": "0.9180", "2026-10": "0.9210"})
    if billing is not None:
        config["billing"] = billing
    path = folder / "chargeback.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def invoice_file(folder: Path, usage: Decimal, *, number: str = "INV-2026-10-0042", tax: str = "6603.41",
                 total_off: Decimal = Decimal(0)) -> Path:
    """An invoice whose usage is ``usage``: a promotional credit, VAT and a seat line."""
    credit, seats = Decimal("-500.00"), Decimal("1200.00")
    total = usage + credit + Decimal(tax) + seats + total_off
    path = folder / f"{number}.yaml"
    path.write_text(f"number: {number}\nissuer: Anthropic, PBC\ndate: {INVOICE_DAY}\ncurrency: USD\n"
                    f"usage: {usage}\ncredits:\n"
                    f"  - {{kind: promotional, description: Startup credit, amount: {credit}}}\n"
                    f"tax:\n  - {{description: VAT 20%, amount: {tax}}}\n"
                    f"other:\n  - {{description: Claude Enterprise seats, amount: {seats}}}\ntotal: {total}\n")
    return path


def rows(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def money(text: str | None) -> Decimal:
    return Decimal(text) if text else Decimal(0)


def by_center(path: Path, debit: str = "Debit", credit: str = "Credit") -> dict[str, Decimal]:
    found: dict[str, Decimal] = {}
    for row in rows(path):
        if row["Cost Center"]:
            found[row["Cost Center"]] = found.get(row["Cost Center"], Decimal(0)) + money(row[debit]) - money(
                row[credit])
    return found


def added(*journals: dict[str, Decimal]) -> dict[str, Decimal]:
    total: dict[str, Decimal] = {}
    for journal in journals:
        for code, value in journal.items():
            total[code] = total.get(code, Decimal(0)) + value
    return total


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("source", ["cost_report", "analytics"])
def test_an_invoice_trues_up_the_month_to_the_cent_in_every_layout(tmp_path, demo_server, source):
    from reports.config import load_settings
    from test_journal_layouts import check_layouts

    config = config_for(tmp_path, source=source)
    month = run(run_options(demo_server, tmp_path / "out", config=config))
    total = month.report.total
    given = invoice_file(tmp_path, total + Decimal("0.37"))
    result = record_invoice(InvoiceOptions(MONTH, given, tmp_path / "out", config_path=config, pdf=True))
    folder = tmp_path / "out" / "2026-10" / "invoices" / "INV-2026-10-0042"
    assert result.folder == folder
    layouts = [f"journal-trueup-2026-10-{layout.replace('_', '-')}.csv" for layout in LAYOUTS]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["invoice.yaml", "invoice-2026-10.xlsx", "invoice-2026-10.pdf", "journal-trueup-2026-10.csv",
         "manifest.json", "focus-2026-10.csv", "focus-2026-10.schema.json", *layouts])
    assert (folder / "invoice.yaml").read_bytes() == given.read_bytes()  # the file as given
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {entry["file"]: entry["sha256"] for entry in manifest["outputs"]} == {
        name: sha for name, sha in digests(folder).items() if name != "manifest.json"}

    # month + true-up = the invoice less the excluded seats, per cost center and in total
    trueup = folder / "journal-trueup-2026-10.csv"
    after = added(by_center(month.folder / "journal-2026-10.csv"), by_center(trueup))
    invoice = result.trueup.invoice
    assert sum(after.values()) == invoice.total - Decimal("1200.00") == result.trueup.charged_back
    assert after == {line.code: line.target_usd for line in result.trueup.lines}
    generic = rows(trueup)
    assert {(row["Journal ID"], row["Date"], row["Period"]) for row in generic} == {
        ("CB-2026-10-T1", "2026-11-03", "2026-11")}
    assert all("INV-2026-10-0042" in row["Memo"] for row in generic)
    assert not {row["External ID"] for row in generic} & {row["External ID"] for row in
                                                          rows(month.folder / "journal-2026-10.csv")}
    files = {p.name: p.read_bytes() for p in folder.glob("journal-trueup-*.csv")}
    check_layouts(files, load_settings(config), "journal-trueup-2026-10", trueup.read_bytes(), day=INVOICE_DAY)

    # the walk: numbers with a money format, each step adding up, the checks named
    sheet = openpyxl.load_workbook(folder / "invoice-2026-10.xlsx")
    assert sheet.sheetnames == ["Invoice Walk", "True-up Journal"]
    walk = {row[0].value: row[1] for row in sheet["Invoice Walk"].iter_rows() if row[0].value and len(row) > 1}
    steps = {label: Decimal(str(walk[label].value)) for label in (
        "Usage at list price", "Discount", "Usage charged (API)", "Usage on invoice", "Difference", "Credits", "Tax",
        "Other", "Invoice total")}
    assert all(walk[label].number_format == "#,##0.00" for label in steps)
    assert steps["Usage at list price"] + steps["Discount"] == steps["Usage charged (API)"] == total
    assert steps["Usage charged (API)"] + steps["Difference"] == steps["Usage on invoice"]
    assert steps["Difference"] == Decimal("0.37")
    assert (steps["Usage on invoice"] + steps["Credits"] + steps["Tax"] + steps["Other"]
            == steps["Invoice total"] == invoice.total)
    if source == "analytics":  # the analytics source gives list prices: the demo's negotiated discount shows
        assert steps["Discount"] < 0
    else:
        assert steps["Discount"] == 0
    status = {row[0].value: row[3].value for row in sheet["Invoice Walk"].iter_rows() if len(row) > 3}
    assert status["Invoice adds up"] == "PASS" and status["Usage within tolerance"] == "PASS"
    # the one-page PDF shows the same walk and the true-up per cost center
    text = subprocess.run(["pdftotext", "-layout", str(folder / "invoice-2026-10.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert text.count("\f") == 1  # one page
    assert "Usage on invoice" in text and "True-up T1 per cost center" in text
    assert f"${invoice.total:,.2f}" in text and f"${result.trueup.charged_back:,.2f}" in text
    journal_sheet = list(sheet["True-up Journal"].iter_rows(values_only=True))
    assert journal_sheet[0] == tuple(generic[0].keys()) and len(journal_sheet) == len(generic) + 1


@pytest.mark.parametrize(("billing", "expect"), [
    ({"credits": "pro_rata", "tax": "pro_rata", "other": "pro_rata"}, "all pro rata"),
    ({"credits": "SUP-200", "tax": "FIN-999", "other": "ENG-100"}, "central"),
    ({"credits": "exclude", "tax": "exclude", "other": "exclude"}, "all excluded"),
])
def test_each_policy_puts_each_part_where_it_says(tmp_path, demo_server, billing, expect):
    config = config_for(tmp_path, billing=billing)
    month = run(run_options(demo_server, tmp_path / "out", config=config))
    result = record_invoice(InvoiceOptions(MONTH, invoice_file(tmp_path, month.report.total), tmp_path / "out",
                                           config_path=config, pdf=False))
    trueup, invoice = result.trueup, result.trueup.invoice
    change = by_center(result.folder / "journal-trueup-2026-10.csv")
    parts = {part: invoice.part(part) for part in ("credits", "tax", "other")}
    if expect == "all excluded":  # the invoice's usage equals the posted usage: nothing moves
        assert trueup.excluded == sum(parts.values()) and change == {}
        assert not result.trueup.journal.lines
    elif expect == "central":  # usage matches, so each named cost center gets exactly its parts
        assert change == {"SUP-200": parts["credits"], "FIN-999": parts["tax"], "ENG-100": parts["other"]}
    else:
        weights = {line.code: line.total for line in month.report.cost_centers}
        extra = Fraction(sum(parts.values()))
        for code, amount in change.items():
            assert abs(Fraction(amount) - extra * Fraction(weights[code]) / Fraction(month.report.total)) < Fraction(
                1, 100)
        assert sum(change.values()) == sum(parts.values())


def test_in_eur_month_and_trueup_add_up_to_the_invoice_at_the_months_rate(tmp_path, demo_server):
    config = config_for(tmp_path, eur=True)
    month = run(run_options(demo_server, tmp_path / "out", config=config))
    result = record_invoice(InvoiceOptions(MONTH, invoice_file(tmp_path, month.report.total + Decimal("12.34")),
                                           tmp_path / "out", config_path=config, pdf=False))
    trueup = result.folder / "journal-trueup-2026-10.csv"
    assert {row["Currency"] for row in rows(trueup)} == {"EUR"}
    for debit, credit, target in (("Debit", "Credit", round_cents(Fraction(result.trueup.charged_back)
                                                                  * Fraction("0.9210"))),
                                  ("Debit (USD)", "Credit (USD)", result.trueup.charged_back)):
        lines = rows(trueup)
        assert sum(money(r[debit]) for r in lines) == sum(money(r[credit]) for r in lines)
        after = added(by_center(month.folder / "journal-2026-10.csv", debit, credit), by_center(trueup, debit, credit))
        assert sum(after.values()) == target, debit


def test_a_bad_invoice_is_refused_naming_the_field_and_nothing_is_written(cli, tmp_path, demo_month):
    demo_month(tmp_path / "out")
    before = digests(tmp_path / "out")
    bad = invoice_file(tmp_path, Decimal("100.00"), total_off=Decimal("0.01"))
    done = cli("invoice", "--month", "2026-10", "--file", str(bad), "--output", str(tmp_path / "out"), "--config",
               str(demo_config_path()))
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {bad}:12: total: ") and done.stderr.count("\n") == 1
    assert digests(tmp_path / "out") == before and not (tmp_path / "out" / "2026-10" / "invoices").exists()
    early = cli("invoice", "--month", "2026-10", "--file", str(invoice_file(tmp_path, Decimal("1.00"))),
                "--output", str(tmp_path / "out"), "--config", str(demo_config_path()), "--posting-date", "2026-10-30")
    assert early.returncode == 2 and "before the end of 2026-10" in early.stderr
    assert digests(tmp_path / "out") == before
    never = cli("invoice", "--month", "2026-09", "--file", str(invoice_file(tmp_path, Decimal("1.00"))),
                "--output", str(tmp_path / "out"), "--config", str(demo_config_path()))
    assert never.returncode == 2 and "run `chargeback run --month 2026-09` first" in never.stderr


def test_an_invoice_for_a_closed_month_goes_beside_the_seal_and_a_number_is_recorded_once(cli, tmp_path,
                                                                                          demo_month):
    output = tmp_path / "out"
    month = demo_month(output)
    close_month(output, MONTH, datetime(2026, 11, 5, 9, 0, tzinfo=UTC))
    sealed = digests(output / "2026-10")
    given = invoice_file(tmp_path, month.report.total)
    args = ("invoice", "--month", "2026-10", "--file", str(given), "--output", str(output), "--config",
            str(demo_config_path()), "--posting-date", "2026-11-30")
    done = cli(*args)
    assert done.returncode == 0, done.stderr
    assert "invoice INV-2026-10-0042 recorded for 2026-10" in done.stdout and "CB-2026-10-T1" in done.stdout
    now = digests(output / "2026-10")
    assert {name: sha for name, sha in now.items() if not name.startswith("invoices/")} == sealed
    folder = output / "2026-10" / "invoices" / "INV-2026-10-0042"
    verify_seal(output / "2026-10", read_seal(output / "2026-10"))  # the seal still verifies, every file
    assert {row["Date"] for row in rows(folder / "journal-trueup-2026-10.csv")} == {"2026-11-30"}
    again = cli(*args)
    assert again.returncode == 2 and "INV-2026-10-0042 is already recorded" in again.stderr
    assert digests(output / "2026-10") == now
    # a second invoice (its own number) trues up against what the first already posted
    second = record_invoice(InvoiceOptions(MONTH, invoice_file(tmp_path, month.report.total, number="INV-2",
                                                               tax="6600.00"), output,
                                           config_path=demo_config_path(), pdf=False))
    assert second.trueup.label == "T2" and second.trueup.journal.journal_id == "CB-2026-10-T2"
    after = added(by_center(output / "2026-10" / "journal-2026-10.csv"),
                  by_center(folder / "journal-trueup-2026-10.csv"),
                  by_center(second.folder / "journal-trueup-2026-10.csv"))
    assert after == {line.code: line.target_usd for line in second.trueup.lines}
    assert sum(after.values()) == second.trueup.charged_back


def test_a_restated_month_trues_up_from_the_restated_books(tmp_path, demo_month):
    output = tmp_path / "out"
    month = demo_month(output)
    close_month(output, MONTH, datetime(2026, 11, 5, 9, 0, tzinfo=UTC))
    with simulator(organization=demo_organization(revision=1)) as late:
        restated = run(run_options(late, output, restate=True))
    result = record_invoice(InvoiceOptions(MONTH, invoice_file(tmp_path, restated.report.total), output,
                                           config_path=demo_config_path(), posting_date=date(2026, 12, 1), pdf=False))
    after = added(by_center(month.folder / "journal-2026-10.csv"),
                  by_center(restated.folder / "journal-adjustment-2026-10-R1.csv"),
                  by_center(result.folder / "journal-trueup-2026-10.csv"))
    assert after == {line.code: line.target_usd for line in result.trueup.lines}
    assert result.walk.amount("Usage charged (API)") == restated.report.total
    assert result.walk.amount("Difference") == 0


def test_a_rerun_of_an_open_month_keeps_its_invoices(tmp_path, demo_server, demo_month):
    output = tmp_path / "out"
    month = demo_month(output)
    record_invoice(InvoiceOptions(MONTH, invoice_file(tmp_path, month.report.total), output,
                                  config_path=demo_config_path(), pdf=False))
    kept = digests(output / "2026-10" / "invoices")
    run(run_options(demo_server, output))
    assert digests(output / "2026-10" / "invoices") == kept


def test_history_and_the_year_to_date_count_a_trueup_like_an_adjustment(cli, tmp_path, demo_server, demo_month):
    output = tmp_path / "out"
    month = demo_month(output)
    result = record_invoice(InvoiceOptions(MONTH, invoice_file(tmp_path, month.report.total + Decimal("3.00")),
                                           output, config_path=demo_config_path(), pdf=False))
    done = cli("history", "--month", "2026-10", "--output", str(output), "--config", str(demo_config_path()),
               "--csv", str(tmp_path / "history.csv"))
    assert done.returncode == 0, done.stderr
    table = {row["Month"]: row for row in rows(tmp_path / "history.csv")}
    assert Decimal(table["2026-10"]["Total"]) == result.trueup.charged_back
    assert table["2026-10"]["Status"] == "not closed"
    for line in result.trueup.lines:
        assert Decimal(table["2026-10"][line.code]) == line.target_usd
    assert "includes its invoice true-up T1" in done.stdout
    # the next month's run counts it in its year to date
    november = run(run_options(demo_server, output, month=MONTH.next()))
    row = november.report.history.row(MONTH)
    assert row.total == result.trueup.charged_back and row.trueups == ("T1",)
    # November compares usage with October's usage as posted; the true-up is neither late data nor usage
    assert november.report.prior_total == month.report.total
    assert november.report.change == november.report.total - month.report.total
    assert november.report.prior is not None and november.report.prior.trued_up == row.total - month.report.total
    check = next(check for check in november.report.reconciliation.checks if check.name == "Prior month as posted")
    assert check.status == "PASS", check.detail


def test_a_restatement_after_an_invoice_leaves_its_trueup_alone_and_counts_it(tmp_path, demo_month):
    # the restatement journals the usage change only (never reverses the true-up), and its History
    # row is the month as the books hold it: sealed journal + T1 + R1
    output = tmp_path / "out"
    month = demo_month(output)
    close_month(output, MONTH, datetime(2026, 11, 5, 9, 0, tzinfo=UTC))
    invoiced = record_invoice(InvoiceOptions(MONTH, invoice_file(tmp_path, month.report.total), output,
                                             config_path=demo_config_path(), pdf=False))
    with simulator(organization=demo_organization(revision=1)) as late:
        restated = run(run_options(late, output, restate=True))
    usage_change = {line.code: line.difference for line in restated.report.restatement.lines if line.difference}
    assert by_center(restated.folder / "journal-adjustment-2026-10-R1.csv") == usage_change
    books = added(by_center(month.folder / "journal-2026-10.csv"),
                  by_center(invoiced.folder / "journal-trueup-2026-10.csv"),
                  by_center(restated.folder / "journal-adjustment-2026-10-R1.csv"))
    row = restated.report.history.row(MONTH)
    assert row.total == sum(books.values()) and row.trueups == ("T1",) and row.restatements == ("R1",)
