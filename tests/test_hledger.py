"""A real double-entry engine reads our journals: hledger imports the generic journal CSV as it is.

hledger (Debian's package) reads the CSV through a rules file: each row posts its amount to
``gl:<account>:<cost center>`` (the credit line to ``gl:<account>``) against a check account
``check:<Journal ID>``, which nets to zero exactly when every entry balances. Its balances
per account and per cost center must equal the workbook's Summary and Journal, read back
with openpyxl. The test runs wherever hledger is installed and is required in CI.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from reports.outputs.journals.generic import journal_csv_bytes
from test_run import SUMMARY_TOTALS, table
from tests.factories import wide_month

pytestmark = pytest.mark.slow  # starts hledger

HLEDGER = shutil.which("hledger")


@pytest.fixture(scope="module")
def hledger() -> str:
    if HLEDGER is None:
        if os.environ.get("CI"):
            pytest.fail("hledger is required in CI: apt-get install -y hledger (.ci/run installs it)")
        pytest.skip("hledger is not installed: apt-get install -y hledger, or `make system-deps`")
    return HLEDGER


def rules_for(journal_csv: Path, *, usd: bool = False) -> Path:
    """A rules file for the journal CSV's own header; ``usd`` posts its USD columns instead of the ledger's."""
    with journal_csv.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    fields = [name.lower().replace(" (usd)", "_usd").replace(" ", "_") for name in header]
    currency = "USD"
    if "currency" in fields:
        with journal_csv.open(newline="", encoding="utf-8") as handle:
            currency = "USD" if usd else next(csv.DictReader(handle))["Currency"]
    debit, credit = ("debit_usd", "credit_usd") if usd else ("debit", "credit")
    path = journal_csv.with_name(journal_csv.name + (".usd" if usd else "") + ".rules")
    path.write_text("\n".join([
        "skip 1",
        "fields " + ", ".join(fields),
        "date-format %Y-%m-%d",
        f"currency {currency}",
        "description %journal_id %memo",
        "code %external_id",
        "account1 gl:%account:%cost_center",
        f"amount-in %{debit}",
        f"amount-out %{credit}",
        "account2 check:%journal_id",
        "if %cost_center ^$",
        " account1 gl:%account",
        "",
    ]), encoding="utf-8")
    return path


def balances(hledger: str, journal_csv: Path, *, usd: bool = False) -> dict[str, tuple[str, Decimal]]:
    """hledger's balance per account: account -> (commodity, amount); zero balances included."""
    done = subprocess.run([hledger, "-f", str(journal_csv), "--rules-file", str(rules_for(journal_csv, usd=usd)),
                           "balance", "--flat", "--empty", "--no-total", "--commodity-column", "-O", "csv"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr  # hledger accepted every row
    found = {}
    for row in csv.DictReader(done.stdout.splitlines()):
        found[row["account"]] = (row["commodity"], Decimal(row["balance"]))
    return found


def split_balances(found: dict[str, tuple[str, Decimal]]):
    """(per GL account, per cost center, per check account) from hledger's balances."""
    accounts: dict[str, Decimal] = defaultdict(Decimal)
    centers: dict[str, Decimal] = defaultdict(Decimal)
    checks = {}
    for name, (_, amount) in found.items():
        kind, *parts = name.split(":")
        if kind == "check":
            checks[parts[0]] = amount
            continue
        accounts[parts[0]] += amount
        if len(parts) == 2:
            centers[parts[1]] += amount
    return dict(accounts), dict(centers), checks


def workbook_figures(path: Path, total_column: str = "Total") -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """The workbook's Summary totals per cost center and its Journal's net per account (debit - credit)."""
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        summary = {row["Cost Center"]: Decimal(str(row[total_column]))
                   for row in table(workbook, "Summary", "Cost Center") if row["Cost Center"] not in SUMMARY_TOTALS}
        accounts: dict[str, Decimal] = defaultdict(Decimal)
        for row in table(workbook, "Journal", "Journal ID"):
            accounts[row["Account"]] += Decimal(str(row["Debit"] or 0)) - Decimal(str(row["Credit"] or 0))
    finally:
        workbook.close()
    return summary, dict(accounts)


def assert_matches_workbook(found, workbook: Path, *, total_column: str = "Total", currency: str = "USD"):
    accounts, centers, checks = split_balances(found)
    summary, journal_accounts = workbook_figures(workbook, total_column)
    assert checks and set(checks.values()) == {Decimal(0)}  # every entry balances
    assert {commodity for commodity, _ in found.values() if commodity} == {currency}
    assert {code: total for code, total in summary.items() if total} == centers
    assert {account: net for account, net in journal_accounts.items()} == accounts
    assert sum(accounts.values()) == 0


def test_hledger_imports_the_demo_journal_and_its_balances_are_the_workbooks(hledger, good_run, tmp_path):
    journal = tmp_path / "journal-2026-10.csv"
    shutil.copy(good_run.folder / "journal-2026-10.csv", journal)
    found = balances(hledger, journal)
    assert_matches_workbook(found, good_run.folder / "chargeback-2026-10.xlsx")
    credit = good_run.report.journal.balancing_account
    assert found[f"gl:{credit}"] == ("USD", -good_run.report.total)


def test_hledger_reads_an_eur_journal_in_eur_and_its_usd_columns_in_usd(hledger, tmp_path, demo_server):
    from conftest import run_options
    from reports.pipeline import run
    from test_ledger_currency import eur_config

    result = run(run_options(demo_server, tmp_path / "out", config=eur_config(tmp_path)))
    journal = tmp_path / "journal-2026-10.csv"
    shutil.copy(result.folder / "journal-2026-10.csv", journal)
    workbook = result.folder / "chargeback-2026-10.xlsx"
    assert_matches_workbook(balances(hledger, journal), workbook, total_column="Total (EUR)", currency="EUR")
    usd_accounts, usd_centers, usd_checks = split_balances(balances(hledger, journal, usd=True))
    summary, _ = workbook_figures(workbook, "Total")
    assert set(usd_checks.values()) == {Decimal(0)}
    assert {code: total for code, total in summary.items() if total} == usd_centers
    assert usd_accounts[result.report.journal.balancing_account] == -result.report.total


def test_hledger_imports_a_month_of_350_cost_centers(hledger, tmp_path):
    settings, journal = wide_month(350)
    path = tmp_path / "journal-2026-10.csv"
    path.write_bytes(journal_csv_bytes(journal))
    accounts, centers, checks = split_balances(balances(hledger, path))
    assert checks == {"CB-2026-10": Decimal(0)}
    assert centers == {line.cost_center: line.debit for line in journal.lines if line.cost_center}
    assert accounts["2150"] == -journal.credits


def test_hledger_would_catch_an_entry_that_does_not_balance(hledger, good_run, tmp_path):
    # the check account is a real test: with a cent taken off the credit line, the debits are a
    # cent over and the check account, which takes the other side of every line, is a cent under
    text = (good_run.folder / "journal-2026-10.csv").read_text(encoding="utf-8")
    total = f"{good_run.report.total:.2f}"
    broken = tmp_path / "journal-2026-10.csv"
    short = f"{good_run.report.total - Decimal('0.01'):.2f}"
    broken.write_text(text.replace(f",,{total},", f",,{short},"), encoding="utf-8")
    _, _, checks = split_balances(balances(hledger, broken))
    assert checks == {"CB-2026-10": Decimal("-0.01")}


def test_hledger_imports_month_and_trueup_and_the_clearing_account_holds_the_invoice(hledger, tmp_path, demo_month):
    # the month's journal and the invoice's true-up, imported together: every entry balances, and the
    # clearing account both credit holds the invoice less its excluded parts, which the supplier
    # invoice (debiting it by that amount) then clears to zero
    from conftest import MONTH
    from reports.invoicing import InvoiceOptions, record_invoice
    from reports.pipeline import demo_config_path
    from test_invoice_run import invoice_file

    month = demo_month(tmp_path / "out")
    result = record_invoice(InvoiceOptions(MONTH, invoice_file(tmp_path, month.report.total + Decimal("1.23")),
                                           tmp_path / "out", config_path=demo_config_path(), pdf=False))
    both = tmp_path / "month-and-trueup.csv"
    trueup = (result.folder / "journal-trueup-2026-10.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    both.write_text((month.folder / "journal-2026-10.csv").read_text(encoding="utf-8") + "".join(trueup[1:]),
                    encoding="utf-8")
    accounts, centers, checks = split_balances(balances(hledger, both))
    assert set(checks) == {"CB-2026-10", "CB-2026-10-T1"} and set(checks.values()) == {Decimal(0)}
    clearing = month.report.journal.balancing_account
    assert accounts[clearing] == -result.trueup.charged_back
    assert result.trueup.charged_back + result.trueup.excluded == result.trueup.invoice.total
    assert centers == {line.code: line.target_usd for line in result.trueup.lines if line.target_usd}
