"""The month through the Usage and Cost Analytics API, over real loopback HTTP, end to end.

Every journal debit of the analytics demo must equal a hand calculation from the simulator's
own rows and the YAML, done here without the product's code; faults the client recovers from
give identical results; bad rows and refused months fail with the right status and message.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import openpyxl
import pytest
import yaml

from conftest import FAST_RETRY, MONTH, offline_options, simulator
from reports.errors import ApiError, DataError
from reports.pipeline import RunOptions, demo_config_path, run
from reports.simulator import DEMO_DEFAULT_WORKSPACE, analytics_cost_rows, demo_organization
from reports.simulator.faults import Faults, RowFault
from reports.simulator.server import DEMO_API_KEY
from runcheck import (
    assert_manifest_matches,
    assert_nothing_published,
    assert_one_error_line,
    reference_sheets,
    sheets,
)

pytestmark = pytest.mark.slow  # whole months with the analytics source

CONFIG = demo_config_path("analytics")
JOURNAL = "journal-2026-10.csv"
WORKBOOK = "chargeback-2026-10.xlsx"


def options(server, output, *, pdf: bool = False, **overrides) -> RunOptions:
    """A run with the analytics source (without the PDF unless the test reads it, as ``conftest.run_options``)."""
    return RunOptions(month=MONTH, output_dir=output, config_path=CONFIG, base_url=server.base_url,
                      api_key=DEMO_API_KEY, retry=FAST_RETRY, source="analytics", pdf=pdf, **overrides)


@pytest.fixture(scope="module")
def analytics_run(tmp_path_factory, demo_server):
    return run(options(demo_server, tmp_path_factory.mktemp("analytics")))


def journal_debits(folder) -> dict[str, Decimal]:
    """Each cost center's debit (summed over its accounts: the demo sends products to their own accounts)."""
    rows = csv.DictReader(io.StringIO((folder / JOURNAL).read_text(encoding="utf-8")))
    debits: dict[str, Decimal] = {}
    for row in rows:
        if row["Debit"]:
            debits[row["Cost Center"]] = debits.get(row["Cost Center"], Decimal(0)) + Decimal(row["Debit"])
    return debits


# ---------------------------------------------------------------- an independent hand calculation


def hand_calculation(config: dict, rows: list[dict]) -> dict[str, Decimal]:
    """Each cost center's debit from the raw rows and the raw YAML, by SPEC.md's rules alone."""
    codes = [center["code"] for center in config["cost_centers"]]

    def owner(row) -> str | tuple:
        group = row["group"]
        actor, key, workspace = group["actor"] or {}, group["api_key_id"], group["workspace_id"]
        for center in config["cost_centers"]:
            if actor.get("type") == "user_actor":
                wanted = {entry.lower() for entry in center.get("users", [])}
                if actor["user_id"].lower() in wanted or (actor.get("email_address") or "").lower() in wanted:
                    return center["code"]
            if actor.get("type") == "service_account_actor" and actor["service_account_id"] in center.get(
                    "service_accounts", []):
                return center["code"]
        for rule in config.get("shared", []):
            if rule.get("api_key") == key and key is not None:
                return ("split", rule["split"])
        for center in config["cost_centers"]:
            if key is not None and key in center.get("api_keys", []):
                return center["code"]
        for rule in config.get("shared", []):
            if rule.get("workspace") == workspace and workspace is not None:
                return ("split", rule["split"])
        for center in config["cost_centers"]:
            if workspace in center.get("workspaces", []):
                return center["code"]
        if workspace == DEMO_DEFAULT_WORKSPACE:
            return config["default_workspace"]
        return config["unallocated"]

    direct = {code: Fraction(0) for code in codes}
    shared: list[tuple[object, Fraction]] = []
    total_cents = Decimal(0)
    for row in rows:
        cents = Decimal(row["cost"]["amount"])
        total_cents += cents
        dollars = Fraction(cents) / 100
        found = owner(row)
        if isinstance(found, tuple):
            shared.append((found[1], dollars))
        else:
            direct[found] += dollars
    exact = dict(direct)
    weights = {code: amount for code, amount in direct.items() if code != config["unallocated"]}
    for split, dollars in shared:
        if split == "proportional":
            for code, weight in weights.items():
                exact[code] += dollars * weight / sum(weights.values())
        else:
            for code, pct in split.items():
                exact[code] += dollars * Fraction(str(pct)) / 100
    rounded_total = (total_cents / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    # largest remainder, ties to the first listed
    floors = {code: (value * 100).numerator // (value * 100).denominator for code, value in exact.items()}
    missing = int(rounded_total * 100) - sum(floors.values())
    for code in sorted(codes, key=lambda code: -(exact[code] * 100 - floors[code]))[:missing]:
        floors[code] += 1
    return {code: Decimal(cents) / 100 for code, cents in floors.items() if cents}


def test_every_debit_equals_a_hand_calculation_from_the_simulators_rows_and_the_yaml(analytics_run):
    config = yaml.safe_load(CONFIG.read_text())
    rows = analytics_cost_rows(demo_organization(), "2026-10", ["workspace_id", "api_key_id", "actor"])
    expected = hand_calculation(config, rows)
    assert journal_debits(analytics_run.folder) == expected
    assert analytics_run.report.total == sum(expected.values())


def test_every_rule_level_brought_spend_and_the_levels_add_up_to_the_total(analytics_run):
    report = analytics_run.report
    levels = {amount.label: amount.amount for amount in report.attributed_by}
    assert set(levels) == {"user", "service account", "directory", "RBAC group", "API key", "workspace",
                           "Default workspace owner", "unallocated"}
    assert sum(levels.values()) == report.reconciliation.source_total


def test_the_workbook_shows_keys_users_list_prices_and_the_cross_check(analytics_run):
    book = reference_sheets(analytics_run.folder / WORKBOOK)
    header = next(row for row in book["Line Items"] if row and row[0] == "Date")
    assert header == ("Date", "Workspace ID", "Workspace", "API Key ID", "API Key", "Actor", "Cost Center",
                      "Cost Type", "Model", "Token Type", "Service Tier", "Context Window", "Product", "Amount (cents)",
                      "List Amount (cents)", "Amount (USD)")
    assert len(book["Line Items"]) - 1 == analytics_run.report.reconciliation.line_item_count
    for sheet, first in (("API Keys", "API Key ID"), ("Users", "User")):
        rows = book[sheet]
        assert rows[0][0] == first
        total = next(row for row in rows if row[0] == "Total")
        amount_column = rows[0].index("Amount (USD)")
        listed = sum(Decimal(str(row[amount_column])) for row in rows[1:] if row[0] != "Total")
        assert abs(Decimal(str(total[amount_column])) - listed) < Decimal("0.000001")
    summary = book["Summary"]
    header = next(row for row in summary if row and row[0] == "Cost Center")
    assert header[-2:] == ("List Price", "Discount")
    total_row = next(row for row in summary if row and row[0] == "Total")
    assert total_row[header.index("List Price")] - total_row[header.index("Total")] == pytest.approx(
        total_row[header.index("Discount")])
    recon = " ".join(str(v) for row in book["Reconciliation"] for v in row if v is not None)
    assert "Legacy cost report total agrees (cross-check)" in recon and "WARN" in recon
    assert "Daily spend adds up to the month's cost rows" in recon
    run_info = " ".join(str(v) for row in book["Run Info"] for v in row if v is not None)
    assert "Data Refreshed At" in run_info and "Usage and Cost Analytics API" in run_info


def test_the_manifest_records_the_source_and_data_refreshed_at(analytics_run):
    manifest = assert_manifest_matches(analytics_run.folder)
    queries = {page["query"] for page in manifest["raw_pages"]}
    assert {"analytics_cost-2026-10", "analytics_cost_daily-2026-10", "analytics_usage-2026-10",
            "analytics_cost-2026-09", "users", "workspaces_with_default", "cost_report_total-2026-10"} <= queries
    assert manifest["source"] == "analytics" and manifest["fetched"] == "api" and manifest["data_refreshed_at"]
    index = json.loads((analytics_run.folder / "raw" / "index.json").read_text())
    assert index["source"] == "analytics"


def test_an_offline_rerender_is_byte_identical(analytics_run, tmp_path):
    import shutil

    output = tmp_path / "out"
    shutil.copytree(analytics_run.folder, output / "2026-10")
    again = run(offline_options(output, config=CONFIG, source="analytics"))
    for name in (JOURNAL, "journal-2026-10-netsuite.csv", "journal-2026-10-xero.csv"):
        if (analytics_run.folder / name).exists():
            assert (again.folder / name).read_bytes() == (analytics_run.folder / name).read_bytes(), name
    old, new = reference_sheets(analytics_run.folder / WORKBOOK), sheets(again.folder / WORKBOOK)
    for name in old:
        if name != "Run Info":
            assert new[name] == old[name], name
    # the snapshot was fetched from the analytics API: the legacy parser may not read it
    with pytest.raises(Exception, match="was fetched from source analytics"):
        run(offline_options(output))


# ---------------------------------------------------------------- faults over loopback

@pytest.mark.parametrize("faults", [
    Faults(rate_limit=3, retry_after="0", only={"rate_limit": {"analytics_cost", "analytics_usage"}}),
    Faults(server_errors=(500, 503, 529), retry_after="0", only={"server_errors": {"analytics_cost"}}),
    Faults(drop_connection=2, only={"drop_connection": {"analytics_cost", "analytics_usage"}}),
    Faults(truncated_json=2, only={"truncated_json": {"analytics_cost"}}),
    Faults(max_rows_per_page=4),  # more than 20 pages of each grouped query
], ids=["429", "5xx", "dropped", "truncated", "many-pages"])
def test_recovered_faults_give_the_same_journal_and_workbook(tmp_path, analytics_run, faults):
    with simulator(faults) as server:
        result = run(options(server, tmp_path))
        grouped = [r for r in server.requests if r.path.endswith("/analytics/") is False and "group_by[]" in r.query
                   and r.status == 200]
    assert (result.folder / JOURNAL).read_bytes() == (analytics_run.folder / JOURNAL).read_bytes()
    old, new = reference_sheets(analytics_run.folder / WORKBOOK), sheets(result.folder / WORKBOOK)
    for name in ("Summary", "Line Items", "API Keys", "Users", "Journal"):
        if faults.max_rows_per_page:  # paging changes the rows' order, not the sums
            assert sorted(map(str, new[name])) == sorted(map(str, old[name])), name
        else:
            assert new[name] == old[name], name
    if faults.max_rows_per_page:
        pages: dict[tuple, int] = {}
        for request in grouped:
            key = (request.path.rsplit("/", 1)[-1], request.query["starting_at"][0])
            pages[key] = pages.get(key, 0) + 1
        # cost and usage, this month and the prior month: each came in more than 20 pages
        assert len(pages) == 4 and min(pages.values()) > 20, pages
    assert_manifest_matches(result.folder)


def test_a_malformed_amount_is_exit_4_naming_the_page_and_row(cli, tmp_path):
    faults = Faults(malformed_amount=RowFault(index=3), only={"malformed_amount": {"analytics_cost"}},
                    months=["2026-10"])
    with simulator(faults) as server:
        done = cli("run", "--month", "2026-10", "--source", "analytics", "--config", str(CONFIG),
                   "--output", str(tmp_path), "--base-url", server.base_url,
                   env={"ANTHROPIC_ADMIN_API_KEY": DEMO_API_KEY})
    assert done.returncode == 4
    assert_one_error_line(done.stderr, "analytics/cost page raw/analytics_cost-2026-10-p001.json", "row 4",
                          "12.3.4")
    assert_nothing_published(tmp_path)


def test_the_analytics_api_failing_for_good_is_exit_3_naming_the_query(tmp_path):
    faults = Faults(server_errors=(503,) * 100, retry_after="0", only={"server_errors": {"analytics_usage"}})
    with simulator(faults) as server, pytest.raises(ApiError) as caught:
        run(options(server, tmp_path))
    assert "(fetching analytics_usage-2026-" in str(caught.value)
    assert_nothing_published(tmp_path)


@pytest.mark.parametrize("month, message", [
    ("2025-12", "2025-12 is before 2026-01-01, where the Usage and Cost Analytics API's data starts"),
])
def test_a_month_the_api_cannot_serve_is_refused_before_any_request(cli, tmp_path, month, message):
    done = cli("run", "--demo", "--source", "analytics", "--month", month, "--output", str(tmp_path))
    assert done.returncode == 2
    assert_one_error_line(done.stderr, message, "source: cost_report")
    assert not (tmp_path / month).exists()


def test_the_demo_with_the_analytics_source_needs_no_key_or_config(cli, tmp_path):
    done = cli("run", "--demo", "--source", "analytics", "--month", "2026-10", "--output", str(tmp_path / "o"),
               cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "o" / "2026-10"
    assert {"API Keys", "Users"} <= set(openpyxl.load_workbook(folder / WORKBOOK, read_only=True).sheetnames)


def test_unmatched_spend_without_unallocated_names_workspaces_keys_and_users(tmp_path, demo_server):
    config = yaml.safe_load(CONFIG.read_text())
    del config["unallocated"]
    config["directory"]["file"] = str(CONFIG.parent / config["directory"]["file"])  # the copy is elsewhere
    path = tmp_path / "no-unallocated.yaml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(DataError) as caught:
        run(replace(options(demo_server, tmp_path / "out"), config_path=path))
    message = str(caught.value)
    assert caught.value.exit_status == 4
    assert "Hackathon Sandbox" in message and "hackathon-team-a" in message and "tom.becker@acme.example" in message
