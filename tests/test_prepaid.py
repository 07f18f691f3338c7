"""Prepaid mode (`billing.mode: prepaid`): usage draws down the prepaid asset; a credit purchase debits it, credits
the payable, and says when its credits expire; a later invoice's true-up still works beside it."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from conftest import MONTH, run_options
from reports.core.purchase import expires_on
from reports.core.settings import LAYOUTS
from reports.invoicing import InvoiceOptions, record_invoice
from reports.pipeline import demo_config_path, run

PREPAID = {"mode": "prepaid", "prepaid_account": "1350", "payable_account": "2000"}


def prepaid_config(folder: Path) -> Path:
    config = yaml.safe_load(demo_config_path().read_text())
    config["journal"]["layouts"] = list(LAYOUTS)
    config["journal"].setdefault("account_names", {}).update(
        {"1350": "Prepaid API credits", "2000": "Accounts payable", "6420": "API usage", "6421": "API usage R&D",
         "2150": "Accrued API usage"})
    config["billing"] = dict(PREPAID)
    path = folder / "chargeback.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def purchase_file(folder: Path) -> Path:
    path = folder / "receipt.yaml"
    path.write_text("number: RCPT-2026-10-7\nissuer: Anthropic, PBC\ndate: 2026-10-15\ncurrency: USD\nusage: 0.00\n"
                    "tax:\n  - {description: VAT 20%, amount: 1000.00}\n"
                    "other:\n  - {description: Claude API usage credits, amount: 5000.00}\ntotal: 6000.00\n")
    return path


def test_credits_expire_one_year_after_purchase():
    assert expires_on(date(2026, 10, 15)) == date(2027, 10, 15)
    assert expires_on(date(2028, 2, 29)) == date(2029, 2, 28)


@pytest.mark.slow  # runs a whole month, starts hledger
def test_usage_draws_down_the_prepaid_asset_and_a_purchase_fills_it(tmp_path, demo_server, cli):
    import shutil

    from reports.config import load_settings
    from test_hledger import balances, split_balances
    from test_invoice_run import by_center, invoice_file, rows
    from test_journal_layouts import check_layouts

    config = prepaid_config(tmp_path)
    month = run(run_options(demo_server, tmp_path / "out", config=config))
    usage = rows(month.folder / "journal-2026-10.csv")
    credit = [row for row in usage if not row["Cost Center"]]
    assert [(row["Account"], Decimal(row["Credit"])) for row in credit] == [("1350", month.report.total)]

    done = cli("invoice", "--month", "2026-10", "--file", str(purchase_file(tmp_path)), "--config", str(config),
               "--output", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "credit purchase RCPT-2026-10-7 recorded for 2026-10: $6,000.00, credits expire 2027-10-15" in done.stdout
    folder = month.folder / "invoices" / "RCPT-2026-10-7"
    purchase = folder / "journal-purchase-2026-10.csv"
    lines = rows(purchase)
    assert [(r["Journal ID"], r["Date"], r["Account"], r["Debit"], r["Credit"]) for r in lines] == [
        ("CB-2026-10-P1", "2026-10-15", "1350", "6000.00", ""), ("CB-2026-10-P1", "2026-10-15", "2000", "", "6000.00")]
    assert all("RCPT-2026-10-7" in r["Memo"] and "expire 2027-10-15" in r["Memo"] for r in lines)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kind"] == "purchase" and manifest["purchase"]["expires"] == "2027-10-15"
    assert {entry["file"] for entry in manifest["outputs"]} == {p.name for p in folder.iterdir()} - {"manifest.json"}
    files = {p.name: p.read_bytes() for p in folder.glob("journal-purchase-2026-10-*.csv")}
    check_layouts(files, load_settings(config), "journal-purchase-2026-10", purchase.read_bytes(),
                  day=date(2026, 10, 15))

    # an invoice after the purchase (its promotional credit, VAT and seats) trues up against the prepaid asset
    result = record_invoice(InvoiceOptions(MONTH, invoice_file(tmp_path, month.report.total), tmp_path / "out",
                                           config_path=config, pdf=False))
    trueup = rows(result.folder / "journal-trueup-2026-10.csv")
    assert {row["Account"] for row in trueup if not row["Cost Center"]} == {"1350"}
    assert trueup[0]["Journal ID"] == "CB-2026-10-T1"
    assert by_center(result.folder / "journal-trueup-2026-10.csv")

    # a real ledger: the prepaid asset holds the purchase less the month's usage drawn from it
    engine = shutil.which("hledger")
    if engine is None:
        pytest.skip("hledger is not installed: apt-get install -y hledger, or `make system-deps`")
    both = tmp_path / "month-and-purchase.csv"
    both.write_text((month.folder / "journal-2026-10.csv").read_text(encoding="utf-8")
                    + "".join(purchase.read_text(encoding="utf-8").splitlines(keepends=True)[1:]), encoding="utf-8")
    accounts, _, checks = split_balances(balances(engine, both))
    assert set(checks.values()) == {Decimal(0)}
    assert accounts["1350"] == Decimal("6000.00") - month.report.total and accounts["2000"] == Decimal("-6000.00")
