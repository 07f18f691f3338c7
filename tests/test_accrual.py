"""Accrual reversal (`billing.mode: invoiced`, `journal.reverse_accrual`): NetSuite's Reversal Date, the other
layouts' reversing journals, each balanced and dated the 1st of the next month; the config refusals."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from conftest import MONTH, run_options
from reports.config.schema import parse_settings
from reports.core.settings import LAYOUTS
from reports.errors import ConfigError
from reports.pipeline import demo_config_path, run

FIRST = date(2026, 11, 1)


def accrual_config(folder: Path, **billing: str) -> Path:
    config = yaml.safe_load(demo_config_path().read_text())
    config["journal"].update(layouts=list(LAYOUTS), reverse_accrual=True,
                             netsuite={"date_format": "MM/DD/YYYY"})
    config["billing"] = {"mode": "invoiced", **billing}
    path = folder / "chargeback.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.slow  # runs a whole month, starts hledger
def test_a_reversed_accrual_has_netsuites_reversal_date_and_every_other_layouts_reversing_file(tmp_path, demo_server):
    from reports.config import load_settings
    from test_hledger import balances, split_balances
    from test_invoice_run import by_center, rows
    from test_journal_layouts import check_layouts

    config = accrual_config(tmp_path)
    month = run(run_options(demo_server, tmp_path / "out", config=config))
    folder = month.folder
    # NetSuite reverses the entry itself: every line carries the entry's Reversal Date, the 1st of the next month
    netsuite = rows(folder / "journal-2026-10-netsuite.csv")
    assert {row["Reversal Date"] for row in netsuite} == {"11/01/2026"}
    assert {row["Date"] for row in netsuite} == {"10/31/2026"}
    # the others get a separate reversing journal: the generic one and each layout but NetSuite's
    others = [layout for layout in LAYOUTS if layout != "netsuite"]
    stem = "journal-2026-10-reversal"
    reversal = folder / f"{stem}.csv"
    expected = {f"{stem}.csv", *(f"{stem}-{layout.replace('_', '-')}.csv" for layout in others)}
    assert {p.name for p in folder.glob(f"{stem}*.csv")} == expected
    manifest = json.loads((folder / "manifest.json").read_text())
    assert expected <= {entry["file"] for entry in manifest["outputs"]}  # listed, so sealed at close
    # debits and credits swapped, dated and filed in the next month, IDs that never meet the month's
    month_rows, reversed_rows = rows(folder / "journal-2026-10.csv"), rows(reversal)
    assert by_center(reversal) == {code: -amount for code, amount in by_center(folder / "journal-2026-10.csv").items()}
    assert [(r["Account"], r["Debit"], r["Credit"]) for r in reversed_rows] == [
        (r["Account"], r["Credit"], r["Debit"]) for r in month_rows]
    assert {(r["Journal ID"], r["Date"], r["Period"]) for r in reversed_rows} == {("CB-2026-10-REV", "2026-11-01",
                                                                                    "2026-11")}
    assert not {r["External ID"] for r in reversed_rows} & {r["External ID"] for r in month_rows}
    assert all("reversal" in r["Memo"] for r in reversed_rows)
    # each layout's reversing file balances, says what the generic one says, dated the 1st
    settings = load_settings(config)
    settings = replace(settings, journal=replace(settings.journal, layouts=tuple(others)))
    files = {p.name: p.read_bytes() for p in folder.glob(f"{stem}-*.csv")}
    check_layouts(files, settings, stem, reversal.read_bytes(), day=FIRST)

    # a real ledger: the month and its reversal imported together leave every account at zero
    engine = shutil.which("hledger")
    if engine is None:
        pytest.skip("hledger is not installed: apt-get install -y hledger, or `make system-deps`")
    both = tmp_path / "month-and-reversal.csv"
    both.write_text((folder / "journal-2026-10.csv").read_text(encoding="utf-8")
                    + "".join(reversal.read_text(encoding="utf-8").splitlines(keepends=True)[1:]), encoding="utf-8")
    accounts, centers, checks = split_balances(balances(engine, both))
    assert set(checks) == {"CB-2026-10", "CB-2026-10-REV"} and set(checks.values()) == {Decimal(0)}
    assert set(accounts.values()) == {Decimal(0)} and set(centers.values()) == {Decimal(0)}
    assert datetime.strptime(netsuite[0]["Reversal Date"], "%m/%d/%Y").date() == FIRST


def config_text(journal: str = "", billing: str = "") -> bytes:
    return (f"""organization: Acme
cost_centers:
  - {{code: ENG, name: Engineering, workspaces: [w1]}}
journal:
  credit_account: "2150"
{journal}{billing}""").encode()


@pytest.mark.parametrize(("journal", "billing", "named"), [
    ("  reverse_accrual: yes please\n", "", "chargeback.yaml:6: journal.reverse_accrual: must be true or false"),
    ("  reverse_accrual: true\n", "billing:\n  mode: prepaid\n  prepaid_account: '1350'\n  payable_account: '2000'\n",
     "chargeback.yaml:6: journal.reverse_accrual: reverses an accrual, which only billing.mode invoiced posts"),
    ("", "billing:\n  mode: prepaid\n  payable_account: '2000'\n",
     "chargeback.yaml:7: billing.prepaid_account: is required by billing.mode prepaid"),
    ("", "billing:\n  mode: prepaid\n  prepaid_account: '1350'\n",
     "chargeback.yaml:7: billing.payable_account: is required by billing.mode prepaid"),
    ("  layouts: [quickbooks]\n  account_names: {'2150': Clearing, '6420': Usage, '2000': Payable}\n",
     "billing:\n  mode: prepaid\n  prepaid_account: '1350'\n  payable_account: '2000'\n",
     "chargeback.yaml:10: journal.account_names: no name for account 1350 (billing.prepaid_account)"),
])
def test_billing_modes_refuse_what_they_cannot_post_naming_file_line_and_key(journal, billing, named):
    with pytest.raises(ConfigError) as caught:
        parse_settings(config_text(journal, billing), "chargeback.yaml")
    assert any(problem.startswith(named) for problem in caught.value.problems), caught.value.problems


def test_the_reversal_is_the_month_reversed_on_the_first_of_the_next_month():
    from reports.core.accrual import reversal_journal
    from reports.core.journal import Posting, entry
    from reports.core.journal_entry import Ledger

    december = replace(MONTH, month=12)
    journal = entry("CB-2026-12", december.last_day, "2026-12", "Claude API chargeback 2026-12", Ledger(), "2150",
                    [Posting("ENG", "Engineering", "6420", Decimal("10.01"), Decimal("10.01"), "CB-2026-12-ENG"),
                     Posting("SUP", "Support", "6420", Decimal("-0.02"), Decimal("-0.02"), "CB-2026-12-SUP")])
    reversed_ = reversal_journal(journal, december)
    assert (reversed_.journal_id, reversed_.day, reversed_.period) == ("CB-2026-12-REV", date(2027, 1, 1), "2027-01")
    assert reversed_.by_cost_center() == {"ENG": Decimal("-10.01"), "SUP": Decimal("0.02")}
    assert reversed_.debits == reversed_.credits == journal.debits
    assert [line.external_id for line in reversed_.lines] == ["CB-2026-12-REV-ENG", "CB-2026-12-REV-SUP",
                                                              "CB-2026-12-REV-CREDIT"]
