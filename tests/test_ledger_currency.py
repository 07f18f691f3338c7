"""Books kept in EUR: the demo month run end to end with a locked rate, and read back as accounting would.

Expected figures are computed here from the simulator's own data, the raw YAML and the rate
(``test_run.independent_exact``), never taken from the run itself.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from conftest import MONTH, run_options, simulator
from reports.core.money_text import money_text
from reports.errors import ConfigError, UsageError
from reports.outputs.pdf import render_pdf_bytes
from reports.outputs.seal import close_month
from reports.pipeline import demo_config_path, run
from reports.simulator.demo import demo_organization
from reports.simulator.server import DEMO_API_KEY
from test_run import SUMMARY_TOTALS, independent_debits, independent_exact, table

RATE = Decimal("0.9210")
GENERIC_HEADER = ["Journal ID", "Date", "Period", "Account", "Cost Center", "Cost Center Name", "Debit", "Credit",
                  "Memo", "External ID", "Currency", "Exchange Rate", "Debit (USD)", "Credit (USD)"]


def eur_config(folder: Path, rates: str = '{2026-09: "0.9180", 2026-10: "0.9210"}') -> Path:
    text = demo_config_path().read_text(encoding="utf-8")
    text = text.replace('  memo: "Claude API chargeback {month}"\n',
                        f'  memo: "Claude API chargeback {{month}}"\n  currency: EUR\n  exchange_rates: {rates}\n')
    path = folder / "chargeback-eur.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def rows(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def money(text: str | None) -> Decimal:
    return Decimal(text) if text else Decimal(0)


@pytest.fixture(scope="module")
def eur_run(tmp_path_factory, demo_server):
    folder = tmp_path_factory.mktemp("eur")
    return run(run_options(demo_server, folder / "output", config=eur_config(folder), pdf=True))  # its PDF is read


@pytest.mark.slow
def test_the_eur_journal_balances_to_the_cent_and_equals_the_exact_usd_total_times_the_rate(eur_run):
    journal = rows(eur_run.folder / "journal-2026-10.csv")
    with (eur_run.folder / "journal-2026-10.csv").open(newline="", encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == GENERIC_HEADER
    exact, total = independent_exact(MONTH)
    debits = sum(money(row["Debit"]) for row in journal)
    credits = sum(money(row["Credit"]) for row in journal)
    assert debits == credits
    scaled = total * Fraction(RATE) * 100  # half-up of a positive amount, in cents
    assert debits == Decimal((scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator)) / 100
    for row in journal:
        assert (row["Currency"], row["Exchange Rate"]) == ("EUR", "0.9210")
        if row["Cost Center"]:
            share = exact[row["Cost Center"]] * Fraction(RATE)
            assert abs(Fraction(money(row["Debit"])) - share) < Fraction(1, 100), row["Cost Center"]


@pytest.mark.slow
def test_the_usd_columns_keep_the_usd_journal(eur_run):
    journal = rows(eur_run.folder / "journal-2026-10.csv")
    usd = independent_debits(MONTH)
    assert {row["Cost Center"]: money(row["Debit (USD)"]) for row in journal if row["Cost Center"]} == usd
    assert money(journal[-1]["Credit (USD)"]) == sum(usd.values())
    assert eur_run.report.total == sum(usd.values())  # the USD report itself is unchanged


@pytest.mark.slow
def test_the_workbook_shows_both_currencies_and_the_rate(eur_run):
    workbook = openpyxl.load_workbook(eur_run.folder / "chargeback-2026-10.xlsx")
    summary = {row[0]: row[1] for row in workbook["Summary"].iter_rows(values_only=True) if row and row[0]}
    journal = rows(eur_run.folder / "journal-2026-10.csv")
    eur_total = sum(money(row["Debit"]) for row in journal)
    assert Decimal(str(summary["Grand Total (EUR)"])) == eur_total
    assert Decimal(str(summary["Exchange Rate (EUR per USD)"])) == RATE
    assert Decimal(str(summary["Grand Total (USD)"])) == eur_run.report.total
    lines = table(workbook, "Summary", "Cost Center")
    by_center = {row["Cost Center"]: row for row in lines}
    eur = {row["Cost Center"]: money(row["Debit"]) for row in journal if row["Cost Center"]}
    for code, row in by_center.items():
        if code not in SUMMARY_TOTALS:
            assert Decimal(str(row["Total (EUR)"])) == eur.get(code, 0)
    assert Decimal(str(by_center["Total"]["Total (EUR)"])) == eur_total
    sheet = table(workbook, "Journal", "Journal ID")
    assert list(sheet[0]) == GENERIC_HEADER
    assert [Decimal(str(row["Debit"])) if row["Debit"] is not None else None for row in sheet] == [
        money(row["Debit"]) if row["Debit"] else None for row in journal]
    info = {row[0]: row[1] for row in workbook["Run Info"].iter_rows(values_only=True) if row[0] != "Note"}
    assert info["Ledger Currency"] == "EUR" and info["Exchange Rate"].startswith("0.9210 EUR per 1 USD for 2026-10")
    checks = {row["Check"]: row["Status"] for row in table(workbook, "Reconciliation", "Check")}
    eur_checks = {name: status for name, status in checks.items() if "EUR" in name}
    assert len(eur_checks) == 3 and set(eur_checks.values()) == {"PASS"}


@pytest.mark.slow
def test_the_manifest_records_the_rate_and_the_ledger_amounts(eur_run):
    manifest = json.loads((eur_run.folder / "manifest.json").read_text())
    ledger = manifest["totals"]["ledger"]
    journal = rows(eur_run.folder / "journal-2026-10.csv")
    assert (ledger["currency"], ledger["exchange_rate"]) == ("EUR", "0.9210")
    assert Decimal(ledger["total"]) == sum(money(row["Credit"]) for row in journal)
    assert {code: Decimal(v) for code, v in ledger["cost_centers"].items()} == {
        row["Cost Center"]: money(row["Debit"]) for row in journal if row["Cost Center"]}
    assert manifest["totals"]["currency"] == "USD" and Decimal(manifest["totals"]["total"]) == eur_run.report.total


@pytest.mark.slow
def test_every_layout_is_in_the_ledgers_currency(eur_run):
    netsuite = rows(eur_run.folder / "journal-2026-10-netsuite.csv")
    xero = rows(eur_run.folder / "journal-2026-10-xero.csv")
    journal = rows(eur_run.folder / "journal-2026-10.csv")
    assert {row["Currency"] for row in netsuite} == {"EUR"}
    assert [money(row["Journal Entry -Line: Debit"]) for row in netsuite] == [money(row["Debit"]) for row in journal]
    assert [Decimal(row["*Amount"]) for row in xero] == [money(r["Debit"]) - money(r["Credit"]) for r in journal]


@pytest.mark.slow
def test_the_pdf_shows_the_ledger_total_beside_the_usd_total_on_at_most_3_pages(eur_run):
    from test_pdf import MAX_PAGES, _pages_text

    pdf = eur_run.folder / "executive-summary-2026-10.pdf"
    pages = _pages_text(pdf)
    assert len(pages) <= MAX_PAGES
    first = " ".join(pages[0].split())
    eur_total = sum(money(row["Credit"]) for row in rows(eur_run.folder / "journal-2026-10.csv"))
    assert f"${eur_run.report.total:,.2f}" in first and f"EUR {eur_total:,.2f}" in first
    assert "0.9210 EUR per USD" in first
    eur_eng = next(money(row["Debit"]) for row in rows(eur_run.folder / "journal-2026-10.csv")
                   if row["Cost Center"] == "ENG-100")
    assert f"EUR {eur_eng:,.2f}" in first  # per cost center too
    # the DEMO banner is the tightest first page: the EUR column and lines must still leave three pages
    demo = dataclasses.replace(eur_run.report, run_info=dataclasses.replace(eur_run.report.run_info, demo=True))
    assert len(PdfReader(io.BytesIO(render_pdf_bytes(demo))).pages) <= MAX_PAGES


def test_the_ledger_total_reads_the_same_in_the_pdf_the_workbook_and_on_stdout(eur_run, capsys):
    from reports.commands.run import _print_run_summary
    from test_pdf import _pages_text

    eur_total = sum(money(row["Credit"]) for row in rows(eur_run.folder / "journal-2026-10.csv"))
    expected = money_text(eur_total, "EUR")
    assert expected == f"EUR {eur_total:,.2f}"  # the code where the dollar sign stands, as the README shows
    assert expected in " ".join(_pages_text(eur_run.folder / "executive-summary-2026-10.pdf")[0].split())
    workbook = openpyxl.load_workbook(eur_run.folder / "chargeback-2026-10.xlsx", read_only=True)
    info = {row[0]: row[1] for row in workbook["Run Info"].iter_rows(values_only=True) if row[0] != "Note"}
    assert f"journal total {expected} = USD" in info["Exchange Rate"]
    _print_run_summary(eur_run)
    assert f"ledger         {expected} at 0.9210" in capsys.readouterr().out


def test_a_month_without_a_rate_is_exit_2_naming_the_month_before_any_request(cli, tmp_path, demo_server):
    config = eur_config(tmp_path, rates='{2026-10: "0.9210"}')
    seen = len(demo_server.requests)
    done = cli("run", "--month", "2026-09", "--config", str(config), "--output", str(tmp_path / "out"),
               "--base-url", demo_server.base_url, env={"ANTHROPIC_ADMIN_API_KEY": DEMO_API_KEY})
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    assert "journal.exchange_rates: no rate for 2026-09" in done.stderr
    assert len(demo_server.requests) == seen and not (tmp_path / "out" / "2026-09").exists()
    checked = cli("check-config", "--config", str(config), "--month", "2026-09", "--output", str(tmp_path))
    assert checked.returncode == 2 and "no rate for 2026-09" in checked.stderr
    fine = cli("check-config", "--config", str(config), "--month", "2026-10", "--output", str(tmp_path))
    assert fine.returncode == 0 and "rate 0.9210 EUR per USD" in fine.stdout


def test_a_rate_that_is_not_a_positive_decimal_is_a_config_error(cli, tmp_path):
    for rate in ('"-0.92"', '"0"', '"ninety"'):
        config = eur_config(tmp_path, rates=f"{{2026-10: {rate}}}")
        done = cli("check-config", "--config", str(config), "--output", str(tmp_path))
        assert done.returncode == 2 and "journal.exchange_rates.2026-10:" in done.stderr, (rate, done.stderr)


@pytest.mark.slow
def test_a_restatement_journals_the_eur_differences_at_the_sealed_rate(tmp_path, demo_server):
    config = eur_config(tmp_path)
    output = tmp_path / "out"
    sealed = run(run_options(demo_server, output, config=config))
    close_month(output, MONTH, datetime(2026, 11, 5, 9, 0, tzinfo=UTC))
    with simulator(organization=demo_organization(revision=1)) as late:
        restated = run(run_options(late, output, config=config, restate=True))
    before = {row["Cost Center"]: money(row["Debit"]) for row in rows(sealed.folder / "journal-2026-10.csv")}
    after = {row["Cost Center"]: money(row["Debit"]) for row in rows(restated.folder / "journal-2026-10.csv")}
    adjustment = rows(restated.folder / "journal-adjustment-2026-10-R1.csv")
    moved = {row["Cost Center"]: money(row["Debit"]) - money(row["Credit"]) for row in adjustment if row["Cost Center"]}
    assert moved  # the late data changed something
    for code in set(before) | set(after):
        # the sealed EUR journal plus the adjustment is exactly the restated EUR journal
        assert before.get(code, 0) + moved.get(code, 0) == after.get(code, 0), code
    assert sum(money(r["Debit"]) for r in adjustment) == sum(money(r["Credit"]) for r in adjustment)
    assert {row["Currency"] for row in adjustment} == {"EUR"}
    assert {row["Exchange Rate"] for row in adjustment} == {"0.9210"}

    # a closed month's rate cannot change: refused before any request
    changed = eur_config(tmp_path, rates='{2026-10: "0.9300"}')
    seen = len(demo_server.requests)
    with pytest.raises(UsageError, match="closed with its journal in EUR at 0.9210 per USD"):
        run(run_options(demo_server, output, config=changed, restate=True))
    assert len(demo_server.requests) == seen


def test_usd_needs_no_rate_and_keeps_the_contract_columns(good_run):
    from reports.config import parse_settings

    with (good_run.folder / "journal-2026-10.csv").open(newline="", encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == GENERIC_HEADER[:10]
    # rates without a currency are a mistake worth naming: the journal would silently stay in USD
    with_rates = demo_config_path().read_bytes().replace(
        b'  memo: "Claude API chargeback {month}"\n',
        b'  memo: "Claude API chargeback {month}"\n  exchange_rates: {2026-10: "0.92"}\n')
    with pytest.raises(ConfigError, match="rates are given but journal.currency is USD"):
        parse_settings(with_rates, "demo.yaml")
