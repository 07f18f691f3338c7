"""Products to their own accounts (config ``products:``): the config, the journal's lines and IDs, every layout.

The month runs over real loopback HTTP against the simulator, whose rows carry products
(claude_code, messages_api, claude_console, message_batches_api, managed_agents_api and null).
Every debit, per cost center and account, in USD and in the ledger's currency, is checked
against a plain-loop hand calculation from the simulator's raw rows and the raw YAML, written
here without the product's code.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from conftest import MONTH
from reports.config.schema import parse_settings
from reports.core.accrual import reversal_journal
from reports.core.drivers import NO_PRODUCT
from reports.core.journal import month_journal, split
from reports.core.journal_entry import Ledger
from reports.core.months import Month
from reports.core.settings import CostCenter, JournalSettings, Settings
from reports.errors import ConfigError
from reports.pipeline import RunOptions, demo_config_path, run
from reports.simulator import DEMO_DEFAULT_WORKSPACE, analytics_cost_rows, demo_organization
from reports.simulator.server import DEMO_API_KEY
from runcheck import sheets
from test_journal_layouts import check_layouts

CONFIG = demo_config_path("analytics")
RATE = Decimal("0.9210")
LAYOUTS = "[netsuite, xero, quickbooks, business_central, intacct]"

BASE = b"""organization: Acme
source: analytics
journal: {credit_account: "2150", expense_account: "6420"}
cost_centers:
  - code: ENG-100
    name: Platform Engineering
    expense_account: "6421"
    products:
      claude_code: {expense_account: "6431"}
  - code: FIN-999
    name: Unallocated
unallocated: FIN-999
products:
  claude_code: {expense_account: "6430"}
  messages_api: {expense_account: "5100"}
"""


def problems_of(text: bytes) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, "chargeback.yaml")
    return caught.value.problems


# ---------------------------------------------------------------- the config


def test_a_products_account_is_the_cost_centers_override_then_the_list_then_its_own():
    settings = parse_settings(BASE, "chargeback.yaml")
    assert settings.has_product_accounts
    assert settings.account_for("ENG-100", "claude_code") == "6431"  # its own override
    assert settings.account_for("FIN-999", "claude_code") == "6430"  # the top-level list
    assert settings.account_for("ENG-100", "messages_api") == "5100"
    assert settings.account_for("ENG-100", "chat") == "6421"  # not listed: the cost center's account
    assert settings.account_for("ENG-100", None) == "6421"  # no product: likewise
    assert settings.account_for("FIN-999", "other") == "6420"  # ... or the journal's default
    assert set(settings.posted_accounts()) >= {"6430", "6431", "5100"}


def test_without_products_there_are_no_product_accounts():
    settings = parse_settings(BASE.split(b"products:\n  claude_code: {expense_account: \"6430\"}")[0]
                              .replace(b"    products:\n      claude_code: {expense_account: \"6431\"}\n", b""),
                              "chargeback.yaml")
    assert not settings.has_product_accounts and settings.products == ()


def test_bad_products_are_config_errors_with_line_and_key():
    problems = problems_of(BASE.replace(b"  messages_api: {expense_account: \"5100\"}",
                                        b"  claude-tag: {expense_account: \"5100\"}\n  chat: {}\n"
                                        b"  cowork: {account: \"6440\"}")
                           .replace(b"      claude_code: {expense_account: \"6431\"}", b"      claude_code: 6431"))
    text = "\n".join(problems)
    assert 'chargeback.yaml:9: cost_centers[0].products.claude_code: must be a mapping' in text
    assert "chargeback.yaml:15: products.claude-tag: 'claude-tag' is not a product name" in text
    assert "(the API writes claude_tag)" in text
    assert "chargeback.yaml:16: products.chat.expense_account: is required" in text
    assert "chargeback.yaml:17: products.cowork.account: unknown key" in text
    assert "chargeback.yaml:17: products.cowork.expense_account: is required" in text


def test_quickbooks_needs_a_name_for_every_product_account():
    text = BASE.replace(b'journal: {credit_account: "2150", expense_account: "6420"}',
                        b'journal: {credit_account: "2150", expense_account: "6420", layouts: [quickbooks],\n'
                        b'          account_names: {"6420": A, "6421": B, "2150": C, "6430": D}}')
    problems = "\n".join(problems_of(text))
    assert "no name for account 6431" in problems and "no name for account 5100" in problems
    assert "no name for account 6430" not in problems


# ---------------------------------------------------------------- the journal's lines and IDs (core)


def _two_centers() -> tuple[Settings, dict[str, dict[str, Fraction]]]:
    settings = Settings(organization="Acme", cost_centers=(CostCenter("ENG-100", "Eng", expense_account="6421"),
                                                           CostCenter("SUP-200", "Support")),
                        journal=JournalSettings(), products=(("claude_code", "6430"), ("messages_api", "5100")))
    accounts = {"ENG-100": {"6430": Fraction(1001, 300), "5100": Fraction(2, 3), "6421": Fraction(1, 7)},
                "SUP-200": {"5100": Fraction(5, 3)}}
    return settings, accounts


def test_a_cost_centers_accounts_add_up_to_its_cents_and_ids_are_unique_in_the_month_reversal_and_parts():
    settings, accounts = _two_centers()
    exact = {code: sum(parts.values(), Fraction(0)) for code, parts in accounts.items()}
    total = sum(exact.values(), Fraction(0))
    # by hand: 4.14619… and 1.66666… to a total of 5.81 (5.81286… half up): SUP-200 has the larger remainder
    usd = {"ENG-100": Decimal("4.14"), "SUP-200": Decimal("1.67")}
    month = Month(2026, 10)
    for ledger in (Ledger(), Ledger("EUR", RATE)):
        # × 0.921: 3.81864… and 1.535 to 5.35 (5.35364…): ENG-100 has the larger remainder
        eur = {"ENG-100": Decimal("3.82"), "SUP-200": Decimal("1.53")}
        journal = month_journal(month, settings, ledger, exact=exact, usd=usd, exact_total=total,
                                usd_total=Decimal("5.81"), accounts=accounts)
        ids = [line.external_id for line in journal.lines]
        assert len(ids) == len(set(ids)) == 5
        assert "CB-2026-10-ENG-100-6430" in ids and "CB-2026-10-SUP-200-5100" in ids
        assert journal.debits == journal.credits and journal.debits_usd == journal.credits_usd == Decimal("5.81")
        assert journal.by_cost_center() == (usd if ledger.is_usd else eur)
        for line in journal.lines[:-1]:  # each account within a cent of its exact share
            share = accounts[line.cost_center][line.account] * (1 if ledger.is_usd else Fraction(RATE))
            assert abs(Fraction(line.debit) - share) < Fraction(1, 100)
        reversed_ = reversal_journal(journal, month)
        rev_ids = [line.external_id for line in reversed_.lines]
        assert len(set(rev_ids)) == len(rev_ids) and not set(rev_ids) & set(ids)
        assert reversed_.debits == journal.credits and "CB-2026-10-REV-ENG-100-6430" in rev_ids
        parts = split(journal, 3)
        part_ids = [line.external_id for part in parts for line in part.lines]
        assert len(set(part_ids)) == len(part_ids)
        assert all(part.debits == part.credits for part in parts)


# ---------------------------------------------------------------- the month over the simulator


def hand_accounts(config: dict, rows: list[dict]) -> dict[tuple[str, str | None], Fraction]:
    """Exact USD per (cost center, product) from the raw rows and the raw YAML, by SPEC.md's rules alone."""
    centers = config["cost_centers"]

    def owner(group: dict) -> str | tuple:
        actor, key, workspace = group["actor"] or {}, group["api_key_id"], group["workspace_id"]
        for center in centers:
            if actor.get("type") == "user_actor":
                wanted = {entry.lower() for entry in center.get("users", [])}
                if actor["user_id"].lower() in wanted or (actor.get("email_address") or "").lower() in wanted:
                    return center["code"]
            if actor.get("type") == "service_account_actor" and actor["service_account_id"] in center.get(
                    "service_accounts", []):
                return center["code"]
        for rule in config.get("shared", []):
            if key is not None and rule.get("api_key") == key:
                return ("split", rule["split"])
        for center in centers:
            if key is not None and key in center.get("api_keys", []):
                return center["code"]
        for rule in config.get("shared", []):
            if workspace is not None and rule.get("workspace") == workspace:
                return ("split", rule["split"])
        for center in centers:
            if workspace in center.get("workspaces", []):
                return center["code"]
        return config["default_workspace"] if workspace == DEMO_DEFAULT_WORKSPACE else config["unallocated"]

    exact: dict[tuple[str, str | None], Fraction] = defaultdict(Fraction)
    direct: dict[str, Fraction] = defaultdict(Fraction)
    shared = []
    for row in rows:
        dollars = Fraction(Decimal(row["cost"]["amount"])) / 100
        found = owner(row["group"])
        if isinstance(found, tuple):
            shared.append((found[1], row["group"]["product"], dollars))
        else:
            exact[(found, row["group"]["product"])] += dollars
            direct[found] += dollars
    weights = {code: amount for code, amount in direct.items() if code != config["unallocated"]}
    for split_, product, dollars in shared:
        shares = ({code: weight / sum(weights.values()) for code, weight in weights.items()}
                  if split_ == "proportional" else {code: Fraction(str(pct)) / 100 for code, pct in split_.items()})
        for code, share in shares.items():
            exact[(code, product)] += dollars * share
    return exact


def account_of(config: dict, code: str, product: str | None) -> str:
    center = next(center for center in config["cost_centers"] if center["code"] == code)
    for listed in (center.get("products") or {}, config.get("products") or {}):
        if product in listed:
            return str(listed[product]["expense_account"])
    return str(center.get("expense_account") or config["journal"]["expense_account"])


def rounded(exact: dict, target: Decimal) -> dict:
    """Largest remainder to ``target`` (in cents), ties to the first listed."""
    cents = {key: (value * 100).numerator // (value * 100).denominator for key, value in exact.items()}
    missing = int(target * 100) - sum(cents.values())
    for key in sorted(exact, key=lambda key: -(exact[key] * 100 - cents[key]))[:missing]:
        cents[key] += 1
    return {key: Decimal(value) / 100 for key, value in cents.items()}


def half_up(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def expected_lines(config: dict, rows: list[dict], rate: Fraction) -> dict[tuple[str, str], Decimal]:
    """Each (cost center, account) debit: cost centers rounded to the month, then accounts to their cost center."""
    by_product = hand_accounts(config, rows)
    codes = [center["code"] for center in config["cost_centers"]]
    by_account: dict[str, dict[str, Fraction]] = {code: defaultdict(Fraction) for code in codes}
    for (code, product), dollars in by_product.items():
        by_account[code][account_of(config, code, product)] += dollars * rate
    centers = {code: sum(by_account[code].values(), Fraction(0)) for code in codes}
    total = sum(Fraction(Decimal(row["cost"]["amount"])) / 100 for row in rows) * rate
    center_cents = rounded(centers, half_up(total))
    lines = {}
    for code in codes:
        parts = dict(sorted(by_account[code].items()))
        for account, amount in rounded(parts, center_cents[code]).items():
            if amount:
                lines[(code, account)] = amount
    return lines


def config_with(text: str, folder: Path, *, currency: bool) -> Path:
    text = text.replace("  layouts: [netsuite, xero]\n", f"  layouts: {LAYOUTS}\n  intacct: {{journal: GJ}}\n")
    if currency:
        text = text.replace('  memo: "Claude API chargeback {month}"\n', '  memo: "Claude API chargeback {month}"\n'
                            f'  currency: EUR\n  exchange_rates: {{2026-09: "0.9180", 2026-10: "{RATE}"}}\n')
    path = folder / "chargeback.yaml"
    path.write_text(text, encoding="utf-8")
    copy_people_file(folder)
    return path


def copy_people_file(folder: Path) -> None:
    """The demo config names its directory file relative to itself: the copy needs it beside it."""
    shutil.copy(CONFIG.parent / "demo-people.csv", folder / "demo-people.csv")


def options(server, folder: Path, config: Path, *, pdf: bool = False) -> RunOptions:
    return RunOptions(month=MONTH, output_dir=folder / "output", config_path=config, base_url=server.base_url,
                      api_key=DEMO_API_KEY, source="analytics", pdf=pdf)


def journal_rows(folder: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO((folder / "journal-2026-10.csv").read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def raw_rows():
    return analytics_cost_rows(demo_organization(), "2026-10", ["workspace_id", "api_key_id", "actor", "product"])


@pytest.fixture(scope="module")
def eur_products(tmp_path_factory, demo_server):
    folder = tmp_path_factory.mktemp("products-eur")
    config = config_with(CONFIG.read_text(encoding="utf-8"), folder, currency=True)
    return config, run(options(demo_server, folder, config, pdf=True))  # its PDF is read


def hand_by_product(rows: list[dict]) -> dict[str | None, Decimal]:
    """Exact USD per product, from the raw rows."""
    found: dict[str | None, Decimal] = defaultdict(Decimal)
    for row in rows:
        found[row["group"]["product"]] += Decimal(row["cost"]["amount"]) / 100
    return dict(found)


@pytest.mark.slow
def test_every_debit_per_cost_center_and_account_equals_a_hand_calculation_in_the_ledger_and_in_usd(eur_products,
                                                                                                     raw_rows):
    config_path, result = eur_products
    config = yaml.safe_load(config_path.read_text())
    assert config["products"] and len(config["products"]) == 3  # the demo's three products with accounts
    rows = journal_rows(result.folder)
    debits = {(row["Cost Center"], row["Account"]): Decimal(row["Debit"]) for row in rows if row["Debit"]}
    usd = {(row["Cost Center"], row["Account"]): Decimal(row["Debit (USD)"]) for row in rows if row["Debit"]}
    assert debits == expected_lines(config, raw_rows, Fraction(RATE))
    assert usd == expected_lines(config, raw_rows, Fraction(1))
    # each product account is in the journal, and unlisted products stayed on the cost centers' own accounts
    accounts = {account for _, account in debits}
    assert {"6430", "6431", "5100", "6440", "6421", "6425", "6420"} <= accounts
    ids = [row["External ID"] for row in rows]
    assert len(ids) == len(set(ids))
    assert {row["External ID"] for row in rows if row["Debit"]} == {f"CB-2026-10-{code}-{account}"
                                                                   for code, account in debits}
    # totals reconcile: the journal to the month, in both currencies; the report's checks all pass
    report = result.report
    assert sum(usd.values()) == report.total == sum(Decimal(row["Credit (USD)"] or 0) for row in rows)
    assert sum(debits.values()) == sum(Decimal(row["Credit"] or 0) for row in rows)
    assert report.journal.by_cost_center() == {code: sum((amount for (c, _), amount in debits.items() if c == code),
                                                         Decimal(0)) for code, _ in debits}
    assert all(check.status.name != "FAIL" for check in report.reconciliation.checks)


@pytest.mark.slow
def test_product_accounts_are_in_every_layout_balanced_and_equal_to_the_generic_journal(eur_products):
    config_path, result = eur_products
    from reports.config import load_settings

    settings = load_settings(config_path)
    folder = result.folder
    files = {path.name: path.read_bytes() for path in folder.glob("journal-2026-10-*.csv")}
    assert len(files) == 5
    entries = check_layouts(files, settings, "journal-2026-10", (folder / "journal-2026-10.csv").read_bytes())
    for layout, found in entries.items():
        accounts = {account for entry in found for account, _, _ in entry.lines}
        assert {"6430", "6431", "5100", "6440"} <= accounts, layout


@pytest.mark.slow
def test_without_products_the_journal_is_one_line_per_cost_center_as_before(tmp_path, demo_server, raw_rows):
    text = CONFIG.read_text(encoding="utf-8")
    start, end = text.index("products:\n"), text.index("cost_centers:\n")
    text = text[:start] + text[end:]
    text = text.replace("    products:                         # a cost center's own account for a product beats "
                        "the list above\n      claude_code: {expense_account: \"6431\"}\n", "")
    assert "products:" not in text
    config_path = tmp_path / "chargeback.yaml"
    config_path.write_text(text, encoding="utf-8")
    copy_people_file(tmp_path)
    result = run(options(demo_server, tmp_path, config_path))
    config = yaml.safe_load(text)
    # the journal as it was before products: one debit per cost center on its account, then the credit,
    # written here with csv from a hand calculation (every product's spend on the cost center's account)
    lines = expected_lines(config, raw_rows, Fraction(1))
    names = {center["code"]: center["name"] for center in config["cost_centers"]}
    memo, day = "Claude API chargeback 2026-10", date(2026, 10, 31)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["Journal ID", "Date", "Period", "Account", "Cost Center", "Cost Center Name", "Debit", "Credit",
                     "Memo", "External ID"])
    for (code, account), amount in lines.items():
        writer.writerow(["CB-2026-10", day.isoformat(), "2026-10", account, code, names[code], f"{amount:.2f}", "",
                         memo, f"CB-2026-10-{code}"])
    writer.writerow(["CB-2026-10", day.isoformat(), "2026-10", "2150", "", "", "", f"{sum(lines.values()):.2f}",
                     memo, "CB-2026-10-CREDIT"])
    assert (result.folder / "journal-2026-10.csv").read_bytes() == buffer.getvalue().encode("utf-8")


@pytest.mark.slow
def test_the_summary_pdf_line_items_and_focus_show_spend_by_product(eur_products, raw_rows):
    _, result = eur_products
    folder = result.folder
    expected = hand_by_product(raw_rows)
    assert {"claude_code", "messages_api", "claude_console", "chat", "other", None} <= set(expected)
    # Summary: a By product table, exact amounts, adding up to the month
    summary = sheets(folder / "chargeback-2026-10.xlsx", "Summary")["Summary"]
    start = next(index for index, row in enumerate(summary) if row and row[0] == "By product")
    assert summary[start + 1][:4] == ("Product", None, "Amount (USD)", "Share")
    table = {}
    for row in summary[start + 2:]:
        if row[0] == "Total":
            assert Decimal(str(row[2])) == sum(expected.values())
            break
        table[row[0]] = Decimal(str(row[2]))
    assert table == {(product or NO_PRODUCT): amount for product, amount in expected.items()}
    # Line Items: a Product column, the rows' own product
    items = sheets(folder / "chargeback-2026-10.xlsx")["Line Items"]
    header = items[next(index for index, row in enumerate(items) if row and row[0] == "Date")]
    column = header.index("Product")
    by_item: dict[str | None, Decimal] = defaultdict(Decimal)
    for row in items[1:]:
        if row and row[0] not in ("Date", "Total") and row[column + 1] is not None:
            by_item[row[column]] += Decimal(str(row[column + 1])) / 100
    assert dict(by_item) == expected
    # the PDF: a Spend by product table
    text = subprocess.run(["pdftotext", "-layout", str(folder / "executive-summary-2026-10.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "Spend by product" in text and "claude_code" in text and "claude_console" in text
    # FOCUS: x_Product, and ServiceName the product's offering; BilledCost by product is each product's spend
    with (folder / "focus-2026-10.csv").open(encoding="utf-8", newline="") as handle:
        focus = list(csv.DictReader(handle))
    billed: dict[str | None, Decimal] = defaultdict(Decimal)
    for row in focus:
        product = row["x_Product"] or None
        billed[product] += Decimal(row["BilledCost"])
        assert row["ServiceName"] == {"claude_code": "Claude Code", "claude_console": "Claude Console",
                                      "chat": "Claude", "managed_agents_api": "Claude Managed Agents"}.get(
                                          product, "Claude API")
        if product is not None and row["ChargeDescription"]:
            assert row["ChargeDescription"].endswith(f"({product})"), row["ChargeDescription"]
    assert dict(billed) == expected
