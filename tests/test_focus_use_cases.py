"""The FinOps Foundation's FOCUS use-case queries on our FOCUS file give the books' figures.

FinOps tools read a FOCUS file with SQL like the use-case library's (focus.finops.org/use-cases):
cost by tag ("Update budgets for each application", here by the ``CostCenter`` tag), cost by
sub account ("Compare billed cost per subaccount to budget") and cost by service ("Verify
accuracy of services charges across providers"). Run as written (only the tag lookup is spelled
in each engine's JSON function) on months with fixed and proportional shared workspaces (the
cost report demo) and a shared key (the analytics demo): each cost center's tag total is its
journal debit within a cent, each workspace's total its Line Items' exactly, and the service
total the source total exactly.

Two engines: SQLite in process (its SUM replaced by an exact decimal one, so a cent's difference
is the allocation's and never a float's), and DuckDB with typed DECIMAL columns, as FinOps tools
load the file, from the FOCUS validator's environment (slow; skipped, saying why, where that
environment cannot be built).
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

import focus_check
from conftest import FAST_RETRY, MONTH
from reports.core.months import rfc3339
from reports.outputs.focus import FOCUS_COLUMNS, HEADER
from reports.pipeline import RunOptions, demo_config_path, run
from reports.simulator.server import DEMO_API_KEY

pytestmark = pytest.mark.slow  # whole months

CENT = Decimal("0.01")
FOCUS_FILE = "focus-2026-10.csv"
JOURNAL = "journal-2026-10.csv"
TAG = "{tag}"  # where each engine spells the tag lookup, Tags["CostCenter"] in the library's pseudo-SQL

# The library's queries, as published for FOCUS 1.2 (parameters as "?")
BY_TAG = (
    f"SELECT ProviderName, BillingPeriodStart, BillingPeriodEnd, {TAG} AS CostCenter, SUM(BilledCost) AS "
    f"TotalBilledCost FROM focus_data WHERE BillingPeriodStart >= ? AND BillingPeriodEnd < ? GROUP BY ProviderName, "
    f"BillingPeriodStart, BillingPeriodEnd, {TAG}")
BY_SUB_ACCOUNT = (
    "SELECT ProviderName, SubAccountId, SubAccountName, SUM(BilledCost) AS TotalBilledCost FROM focus_data WHERE "
    "ChargeCategory = 'Usage' AND ChargePeriodStart >= ? and ChargePeriodEnd <= ? AND ProviderName = ? AND "
    "SubAccountId = ? GROUP BY ProviderName, SubAccountId, SubAccountName")
BY_SERVICE = (
    "SELECT ProviderName, BillingAccountId, BillingAccountName, BillingCurrency, ServiceName, SUM(BilledCost) AS "
    "TotalBilledCost FROM focus_data WHERE BillingPeriodStart >= ? AND BillingPeriodEnd < ? GROUP BY ProviderName, "
    "BillingAccountName, BillingAccountId, BillingCurrency, ServiceName")
TAG_LOOKUP = {"sqlite": "json_extract(Tags, '$.CostCenter')", "duckdb": "json_extract_string(Tags, '$.CostCenter')"}

# The month, with an end bound past the billing period's exclusive end (the queries compare with "<")
PERIOD = (rfc3339(MONTH.start), "2026-11-02T00:00:00Z")


@pytest.fixture(scope="module")
def analytics_run(tmp_path_factory, demo_server):
    """The analytics demo: a key shared 50/50 and a workspace shared proportionally."""
    options = RunOptions(month=MONTH, output_dir=tmp_path_factory.mktemp("analytics-focus"),
                         config_path=demo_config_path("analytics"), base_url=demo_server.base_url,
                         api_key=DEMO_API_KEY, retry=FAST_RETRY, source="analytics", pdf=False)
    return run(options)


@pytest.fixture(params=["cost_report", "analytics"])
def month(request):
    """A month's run folder and Report, from either source; both have fixed and proportional splits."""
    result = request.getfixturevalue("good_run" if request.param == "cost_report" else "analytics_run")
    labels = set(result.report.splits)  # the configs this test is about: one fixed split, one proportional
    assert len(labels) == 2 and "Shared (proportional)" in labels
    (fixed,) = labels - {"Shared (proportional)"}
    keys = {item.api_key_id for item in result.report.line_items if item.cost_center == fixed}
    assert len(keys) == (1 if request.param == "analytics" else 1) and (None in keys) != (request.param == "analytics")
    return result


def journal_debits(folder: Path) -> dict[str, Decimal]:
    """The posted journal's debit per cost center (USD: the demo ledgers are in USD)."""
    rows = csv.DictReader(io.StringIO((folder / JOURNAL).read_text(encoding="utf-8")))
    debits: dict[str, Decimal] = {}
    for row in rows:  # summed over a cost center's accounts (the analytics demo sends products to their own)
        if row["Debit"]:
            debits[row["Cost Center"]] = debits.get(row["Cost Center"], Decimal(0)) + Decimal(row["Debit"])
    return debits


class ExactSum:
    """SUM over decimal text, exactly (SQLite's own adds floats)."""

    def __init__(self) -> None:
        self.total: Decimal | None = None

    def step(self, value: str | None) -> None:
        if value is not None:
            self.total = (self.total or Decimal(0)) + Decimal(value)

    def finalize(self) -> str | None:
        return None if self.total is None else str(self.total)


def sqlite_answers(path: Path, queries: list[tuple[str, tuple]]) -> list[list[tuple]]:
    """Each query's rows over the file loaded as text into SQLite (nulls as NULL)."""
    db = sqlite3.connect(":memory:")
    db.create_aggregate("SUM", 1, ExactSum)  # an application function overrides the built-in of that name
    db.execute(f"CREATE TABLE focus_data ({', '.join(f'{name} TEXT' for name in HEADER)})")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        assert tuple(next(reader)) == HEADER
        db.executemany(f"INSERT INTO focus_data VALUES ({', '.join('?' * len(HEADER))})",
                       ([field or None for field in record] for record in reader))
    return [[tuple(row) for row in db.execute(query.replace(TAG, TAG_LOOKUP["sqlite"]), params)]
            for query, params in queries]


DUCKDB_SCRIPT = r"""
import json, sys
import duckdb
path, queries = sys.argv[1], json.loads(sys.stdin.read())
db = duckdb.connect()
types = json.loads(sys.argv[2])
literal = "'" + path.replace("'", "''") + "'"  # a view's definition takes no parameters
db.execute("CREATE VIEW focus_data AS SELECT * FROM read_csv(" + literal + ", header=true, columns="
           + json.dumps(types).replace('"', "'") + ")")
out = [[[str(value) if value is not None else None for value in row] for row in db.execute(query, params).fetchall()]
       for query, params in queries]
print(json.dumps(out))
"""
# FOCUS data types as DuckDB types: exact decimals (the file's costs have at most 14 places)
DUCKDB_TYPES = {"DECIMAL": "DECIMAL(38,14)", "DATETIME": "VARCHAR", "STRING": "VARCHAR", "JSON": "VARCHAR"}


def duckdb_answers(path: Path, queries: list[tuple[str, tuple]]) -> list[list[tuple]]:
    """Each query's rows from DuckDB (the FOCUS validator's own engine), the columns typed as FOCUS types them."""
    try:
        validator = focus_check.ensure_validator()
    except focus_check.BuildError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"the FOCUS validator's environment (with DuckDB) could not be built in CI: {exc}")
        pytest.skip(f"no DuckDB here: the FOCUS validator's environment cannot be built ({exc})")
    types = {name: DUCKDB_TYPES[kind] for name, kind in FOCUS_COLUMNS}
    types.update({name: "VARCHAR" for name in HEADER if name not in types})
    done = subprocess.run([str(validator.python), "-c", DUCKDB_SCRIPT, str(path.resolve()), json.dumps(types)],
                          input=json.dumps([(query.replace(TAG, TAG_LOOKUP["duckdb"]), list(params))
                                            for query, params in queries]),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return [[tuple(row) for row in answer] for answer in json.loads(done.stdout)]


def line_item_totals(report) -> dict[str | None, Decimal]:
    """Each sub account's exact spend from the Line Items (the Default workspace as the file names it)."""
    totals: dict[str | None, Decimal] = defaultdict(Decimal)
    for item in report.line_items:
        if item.workspace_id is None and not report.null_workspace_is_default:
            continue  # analytics usage outside any workspace: no sub account
        totals[item.workspace_id or "default"] += item.amount
    return dict(totals)


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_the_use_case_queries_give_each_journal_debit_and_each_workspaces_spend(month, engine):
    report, path = month.report, month.folder / FOCUS_FILE
    workspaces = line_item_totals(report)
    queries = [(BY_TAG, PERIOD), (BY_SERVICE, PERIOD)] + [
        (BY_SUB_ACCOUNT, (PERIOD[0], PERIOD[1], "Anthropic", workspace)) for workspace in workspaces]
    answers = (sqlite_answers if engine == "sqlite" else duckdb_answers)(path, queries)
    by_tag, by_service, *by_sub_account = answers

    # Cost by the CostCenter tag: one row per cost center with a debit, each within a cent of it
    debits = journal_debits(month.folder)
    tagged = {row[3]: Decimal(row[4]) for row in by_tag}
    assert len(tagged) == len(by_tag) and set(tagged) == set(debits), (sorted(tagged), sorted(debits))
    for code, debit in debits.items():
        assert abs(tagged[code] - debit) <= CENT, (code, tagged[code], debit)
    assert debits == {line.code: line.total for line in report.cost_centers if line.total}
    # … and together the source total exactly: the split moved cost between tags, never made or lost any
    source = report.reconciliation.source_total
    assert sum(tagged.values(), Decimal(0)) == source
    # by service: the Claude API, and with the analytics source each product's own offering (ServiceName)
    assert sum((Decimal(row[5]) for row in by_service), Decimal(0)) == source
    services = {row[4]: Decimal(row[5]) for row in by_service}
    expected = {"Claude API"} if report.drivers.by_product == () else {
        "Claude API", "Claude", "Claude Code", "Claude Console", "Claude Managed Agents"}
    assert set(services) == expected, services
    if report.drivers.by_product:  # Claude Code is exactly the claude_code product's spend
        code = next(amount.amount for amount in report.drivers.by_product if amount.label == "claude_code")
        assert services["Claude Code"] == code

    # Cost by sub account: every workspace's exact spend, shared or not
    for (workspace, spend), rows in zip(workspaces.items(), by_sub_account, strict=True):
        assert len(rows) == 1 and rows[0][1] == workspace and Decimal(rows[0][3]) == spend, (workspace, rows)
