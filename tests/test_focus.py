"""The FOCUS 1.2 export: read back with ``csv`` and checked against the Report and the raw pages.

What the FinOps Foundation's validator checks is in test_focus_validator.py; this file covers
what it skips (date-time and numeric formats, units, ``x_`` prefixes, nulls) and what only the
project can know (every row is its Line Item or a shared one's part, the sum is the source's, the
usage join is exact). How FinOps tools' queries read it against the journal: test_focus_use_cases.py.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from dataclasses import replace
from datetime import UTC, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import MONTH, offline_options
from factories import PLATFORM_WS, SHARED_LABEL, sample_report
from reports.core.months import rfc3339
from reports.core.restatement import Restatement
from reports.outputs.focus import (
    CUSTOM_COLUMNS,
    DEFAULT_WORKSPACE_ID,
    FOCUS_COLUMNS,
    HEADER,
    focus_rows,
    focus_schema,
    split_exactly,
    write_focus_csv,
)
from reports.pipeline import run
from reports.simulator.catalog import MODELS, UNITS_PER_CENT, WEB_SEARCH_UNITS
from reports.sources.analytics import PROFILE as ANALYTICS_PROFILE
from runcheck import assert_manifest_matches

FOCUS_FILE = "focus-2026-10.csv"
SCHEMA_FILE = "focus-2026-10.schema.json"
DATE_TIME = re.compile(r"^\d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-5]\dZ$")  # FOCUS DateTimeFormat, in full
# FOCUS NumericFormat: an optional minus, digits, an optional fraction; no exponent, symbol or separator
DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
# FOCUS UnitFormat for counts: a unit, or a whole-number block of it ("1000000 Tokens")
UNIT = re.compile(r"^([1-9]\d* )?(Tokens|Requests)$")
DECIMAL_COLUMNS = [name for name, kind in FOCUS_COLUMNS if kind == "DECIMAL"]
COSTS = ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost")
QUANTITIES = ("ConsumedQuantity", "ConsumedUnit", "PricingQuantity", "PricingUnit")


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def by_line_item(rows: list[dict[str, str]]) -> list[list[dict[str, str]]]:
    """The rows of each Line Item, in order: one row, or a shared one's parts (one x_SourceRowId)."""
    groups: list[list[dict[str, str]]] = []
    for row in rows:
        if groups and groups[-1][0]["x_SourceRowId"] == row["x_SourceRowId"]:
            groups[-1].append(row)
        else:
            groups.append([row])
    assert [group[0]["x_SourceRowId"] for group in groups] == [str(number) for number in range(1, len(groups) + 1)]
    return groups


def total(rows, column: str = "BilledCost") -> Decimal:
    return sum((Decimal(row[column]) for row in rows if row[column]), Decimal(0))


def written(report, tmp_path: Path) -> Path:
    path = tmp_path / FOCUS_FILE
    write_focus_csv(report, path)
    return path


@pytest.fixture(scope="module")
def demo_rows(good_run):
    return read(good_run.folder / FOCUS_FILE)


def test_each_line_item_is_one_row_or_its_shared_parts_in_order_adding_up_exactly(good_run, demo_rows):
    items = list(good_run.report.line_items)
    splits = good_run.report.splits
    groups = by_line_item(demo_rows)
    assert len(groups) == len(items) > 1000 and len(demo_rows) > len(items)
    for parts, item in zip(groups, items, strict=True):
        assert total(parts) == item.amount  # exactly, not rounded
        for row in parts:
            assert row["x_AmountCents"] == format(item.amount_cents, "f")  # the whole row's, as the API sent it
            for column in COSTS:  # the cost report has no separate list or contracted price
                assert row[column] == row["BilledCost"]
            assert row["ChargePeriodStart"] == f"{item.day.isoformat()}T00:00:00Z"
            assert row["x_WorkspaceId"] == (item.workspace_id or "")
        split = splits.get(item.cost_center)
        if split is None:
            assert len(parts) == 1 and parts[0]["x_CostCenter"] == item.cost_center
            assert parts[0]["x_AllocationShare"] == parts[0]["x_CostCenterSplit"] == ""
        else:  # one row per receiving cost center, in the split's order, each within a unit of its exact share
            assert [row["x_CostCenter"] for row in parts] == [code for code, share in split if share]
            for row, (_, share) in zip(parts, [entry for entry in split if entry[1]], strict=True):
                assert abs(Fraction(Decimal(row["BilledCost"])) - Fraction(item.amount) * share) < Fraction(1, 10 ** 14)


def test_billed_cost_adds_up_to_the_raw_pages_exactly(good_run, demo_rows):
    # The source total from the API's own pages, independently of the Report.
    source_cents = Decimal(0)
    for page in sorted((good_run.folder / "raw").glob("cost_report-2026-10-p*.json")):
        for bucket in json.loads(page.read_text())["data"]:
            source_cents += sum((Decimal(result["amount"]) for result in bucket["results"]), Decimal(0))
    total = sum((Decimal(row["BilledCost"]) for row in demo_rows), Decimal(0))
    assert total == source_cents.scaleb(-2) == good_run.report.reconciliation.source_total
    assert total != good_run.report.total  # the exact figure, not the rounded one (they differ here)


def test_dates_are_full_utc_date_times_for_the_day_and_the_month(demo_rows):
    for row in demo_rows:
        for column in ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd"):
            assert DATE_TIME.match(row[column]), (column, row[column])
        start = row["ChargePeriodStart"]
        day = MONTH.first_day.fromisoformat(start[:10])
        assert row["ChargePeriodEnd"] == f"{(day + timedelta(days=1)).isoformat()}T00:00:00Z"
        assert (row["BillingPeriodStart"], row["BillingPeriodEnd"]) == (rfc3339(MONTH.start), rfc3339(MONTH.end))
        assert row["BillingPeriodStart"] <= start < row["BillingPeriodEnd"]


def test_numbers_follow_the_numeric_format_and_look_decimal(demo_rows):
    for row in demo_rows:
        for column in DECIMAL_COLUMNS:
            if row[column]:
                assert DECIMAL.match(row[column]), (column, row[column])
                assert "." in row[column], (column, row[column])  # whole numbers would read as integers
        for column in COSTS:
            assert len(row[column].split(".")[1]) >= 2  # at least cents, however many digits after


def test_units_and_quantities_are_the_usage_reports_tokens_and_searches(good_run, demo_rows):
    # A shared row's parts split its quantities as its cost (FOCUS 1.3's split cost allocation: summable
    # metrics add up to the origin charge), so a cost per token over any grouping stays right.
    kinds = set()
    for parts, item in zip(by_line_item(demo_rows), good_run.report.line_items, strict=True):
        row = parts[0]
        if item.cost_type == "tokens":
            kinds.add("tokens")
            assert (row["ConsumedUnit"], row["PricingUnit"]) == ("Tokens", "1000000 Tokens")
            assert total(parts, "ConsumedQuantity") == item.usage_quantity
            assert total(parts, "PricingQuantity") * 1_000_000 == item.usage_quantity
        elif item.cost_type == "web_search":
            kinds.add("web_search")
            assert (row["ConsumedUnit"], row["PricingUnit"]) == ("Requests", "1000 Requests")
            assert total(parts, "PricingQuantity") * 1000 == total(parts, "ConsumedQuantity") == item.usage_quantity
        else:
            kinds.add(item.cost_type)
        for part in parts:
            assert (part["ConsumedUnit"], part["PricingUnit"]) == (row["ConsumedUnit"], row["PricingUnit"])
            if part["ConsumedQuantity"] and part["BilledCost"] != "0.00":  # the same price per token in every part
                assert abs(Decimal(part["BilledCost"]) / Decimal(part["ConsumedQuantity"])
                           - item.amount / item.usage_quantity) < Decimal("1e-12")
        for column in ("ConsumedUnit", "PricingUnit"):
            assert not row[column] or UNIT.match(row[column]), row[column]
    assert kinds == {"tokens", "web_search", "code_execution"}


def test_the_usage_join_gives_the_tokens_each_cost_row_was_priced_on(good_run):
    # The simulator bills tokens x list price: every joined quantity must price to the row's amount.
    prices = {model.id: model for model in MODELS}
    joined = 0
    for item in good_run.report.line_items:
        if item.cost_type == "tokens":
            price = prices[item.model].unit_price(item.token_type, item.service_tier, item.context_window)
            units = item.amount_cents * UNITS_PER_CENT
        elif item.cost_type == "web_search":
            price, units = WEB_SEARCH_UNITS, item.amount_cents * UNITS_PER_CENT
        else:
            continue
        assert item.usage_quantity is not None and item.usage_quantity * price == units, item
        joined += 1
    assert joined > 1000
    assert {item.context_window for item in good_run.report.line_items} >= {"0-200k", "200k-1M"}


def test_code_execution_rows_have_no_quantity_rather_than_an_invented_one(good_run, demo_rows):
    rows = [row for row in demo_rows if row["x_CostType"] == "code_execution"]
    assert rows
    for row in rows:
        assert all(row[column] == "" for column in QUANTITIES), row
        assert row["ChargeCategory"] == "Usage" and row["SkuId"] == "code_execution"


def test_columns_are_focus_then_x_prefixed_custom_columns(good_run):
    header = (good_run.folder / FOCUS_FILE).read_bytes().decode("utf-8").split("\r\n", 1)[0].split(",")
    assert tuple(header) == HEADER
    focus = [name for name, _ in FOCUS_COLUMNS]
    assert header[:len(focus)] == focus == sorted(focus)
    for name in header[len(focus):]:
        assert name.startswith("x_") and re.match(r"^x_[A-Z][A-Za-z]+$", name), name
    for name in focus:
        assert re.match(r"^[A-Z][A-Za-z]+$", name), name  # PascalCase, alphanumeric
    assert {name for name, _ in CUSTOM_COLUMNS}.isdisjoint(focus)


def test_nulls_are_unquoted_empty_fields_never_empty_strings(good_run, demo_rows):
    text = (good_run.folder / FOCUS_FILE).read_bytes().decode("utf-8")
    assert not re.search(r'(^|,)""(,|\r\n)', text, re.MULTILINE)  # no quoted empty string anywhere
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    for row in demo_rows:
        for column in ("ChargeClass", "InvoiceId", "CommitmentDiscountStatus", "x_ApiKeyId", "x_ApiKeyName",
                       "x_Actor", "x_Restatement"):
            assert row[column] == "", column
        assert row["SubAccountId"] and row["SubAccountName"]  # every cost row is a workspace's
        assert row["x_CostCenter"] and row["x_CostCenterName"] and row["x_SourceRowId"]  # every row: one cost center
        assert bool(row["x_AllocationShare"]) == bool(row["x_CostCenterSplit"])


def test_the_default_workspace_is_a_sub_account_and_tags_carry_the_cost_center(good_run, demo_rows):
    default = [row for row in demo_rows if row["x_WorkspaceId"] == ""]
    assert default
    assert {(row["SubAccountId"], row["SubAccountName"]) for row in default} == {
        (DEFAULT_WORKSPACE_ID, "Default workspace")}
    for row in demo_rows:
        assert json.loads(row["Tags"]) == {"CostCenter": row["x_CostCenter"]}
        assert row["SubAccountId"] in (row["x_WorkspaceId"], DEFAULT_WORKSPACE_ID)


def test_shared_workspaces_parts_carry_the_months_realized_split_and_their_share(good_run, demo_rows):
    splits = good_run.report.splits
    names = {line.code: line.name for line in good_run.report.cost_centers}
    shared = [row for row in demo_rows if row["x_CostCenterSplit"]]
    by_rule = {row["x_CostCenterSplit"] for row in shared}
    assert len(by_rule) == len(splits) == 2  # fixed and proportional
    for row in shared:
        written_split = json.loads(row["x_CostCenterSplit"])
        exact = next(dict(split) for split in splits.values() if list(dict(split)) == list(written_split))
        for code, text in written_split.items():
            assert abs(Fraction(Decimal(text)) - exact[code]) < Fraction(1, 10 ** 15)
        assert row["x_AllocationShare"] == written_split[row["x_CostCenter"]]
        assert row["x_CostCenterName"] == names[row["x_CostCenter"]]
        assert json.loads(row["Tags"]) == {"CostCenter": row["x_CostCenter"]}  # a cost center, never a rule's label
    fixed = {row["x_CostCenter"]: row["x_AllocationShare"] for row in shared if "0.35" in row["x_CostCenterSplit"]}
    assert fixed == {"ENG-100": "0.4", "SUP-200": "0.35", "SAL-600": "0.25"}


def test_the_export_and_its_schema_are_listed_in_the_manifest(good_run):
    manifest = assert_manifest_matches(good_run.folder)
    assert {FOCUS_FILE, SCHEMA_FILE} <= {entry["file"] for entry in manifest["outputs"]}
    schema = json.loads((good_run.folder / SCHEMA_FILE).read_text())
    assert schema["FocusVersion"] == "1.2" and DATE_TIME.match(schema["CreationDate"])
    assert [column["ColumnName"] for column in schema["ColumnDefinition"]] == list(HEADER)
    assert schema == focus_schema(FOCUS_FILE)


def test_the_export_is_byte_identical_on_an_offline_re_render(tmp_path, good_run):
    output = tmp_path / "out"
    shutil.copytree(good_run.folder, output / "2026-10")
    before = {name: (output / "2026-10" / name).read_bytes() for name in (FOCUS_FILE, SCHEMA_FILE)}
    result = run(offline_options(output))
    assert result.report.run_info.run_id != good_run.report.run_info.run_id
    for name, data in before.items():
        assert (result.folder / name).read_bytes() == data, name


HOSTILE = '=HYPERLINK("http://evil.example","click")\r\n<img src=x onerror=alert(1)>, "quoted"'


def test_a_hostile_workspace_name_stays_inert_text(tmp_path):
    report = sample_report(workspace_name=HOSTILE, organization="@Acme, \"SàRL\"")
    path = written(report, tmp_path)
    with path.open(encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    assert records[0] == list(HEADER)
    assert all(len(record) == len(HEADER) for record in records)
    rows = [dict(zip(HEADER, record, strict=True)) for record in records[1:]]
    assert len(by_line_item(rows)) == len(report.line_items)  # the newline did not make rows
    hostile = [row for row in rows if row["x_WorkspaceId"] == PLATFORM_WS]
    # the same text, inert: quote-prefixed, its line break a space (no control character reaches the file)
    assert hostile and {row["SubAccountName"] for row in hostile} == {"'" + HOSTILE.replace("\r\n", " ")}
    assert {row["BillingAccountName"] for row in rows} == {"'@Acme, \"SàRL\""}
    for row in rows:
        for column, value in row.items():
            if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
                assert column in DECIMAL_COLUMNS or column == "x_AmountCents", (column, value)


def csv_module_bytes(report) -> bytes:
    """The file as the csv module writes ``focus_rows`` (QUOTE_MINIMAL, CRLF): the writer's reference."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(HEADER)
    writer.writerows(focus_rows(report))
    return buffer.getvalue().encode("utf-8")


@pytest.mark.parametrize("make", [
    lambda: sample_report(workspace_name=HOSTILE + ' Zürich, "x"', organization='@Acme, "SàRL"'),
    lambda: _analytics_report(),
    lambda: replace(sample_report(), restatement=Restatement(2, "run", "2026-11-05T09:00:00Z", Decimal(0), (), ()),
                    splits={SHARED_LABEL: (("ENG-100", Fraction(1, 3)), ("SUP-200", Fraction(2, 3)))}),
], ids=["hostile", "analytics", "restated-thirds"])
def test_the_file_is_what_the_csv_module_writes_of_the_rows(tmp_path, make):
    report = make()
    assert written(report, tmp_path).read_bytes() == csv_module_bytes(report)


def test_the_demo_file_is_what_the_csv_module_writes_of_the_rows(good_run):
    assert (good_run.folder / FOCUS_FILE).read_bytes() == csv_module_bytes(good_run.report)


def test_negative_and_whole_amounts_stay_exact_decimals(tmp_path):
    report = sample_report()
    items = list(report.line_items)
    items[0] = items[0]._replace(amount_cents=Decimal("-1250"), amount=Decimal("-1250").scaleb(-2))
    items[1] = items[1]._replace(amount_cents=Decimal("1.5E+3"), amount=Decimal("1.5E+3").scaleb(-2))
    items[2] = items[2]._replace(amount_cents=Decimal("0.0000001"), amount=Decimal("0.0000001").scaleb(-2))
    rows = read(written(replace(report, line_items=tuple(items)), tmp_path))
    assert [row["BilledCost"] for row in rows[:3]] == ["-12.50", "15.00", "0.000000001"]


def _analytics_report():
    """A hand-built Report as the analytics source gives it: keys, actors, list prices, a keyless row."""
    report = sample_report()
    items = []
    for index, item in enumerate(report.line_items):
        items.append(item._replace(api_key_id=f"apikey_01K{index % 3}", api_key_name=f"key {index % 3}",
                             actor=f"user{index % 2}@acme.example",
                             list_amount_cents=item.amount_cents * Decimal("1.25"),
                             usage_quantity=1000 + index if item.cost_type == "tokens" else None))
    items.append(items[-1]._replace(workspace_id=None, workspace_name="No workspace", api_key_id=None,
                         api_key_name="", actor="user0@acme.example"))
    return replace(report, line_items=tuple(items), profile=ANALYTICS_PROFILE, null_workspace_is_default=False,
                   run_info=replace(report.run_info, data_source=ANALYTICS_PROFILE.name))


def test_with_the_analytics_source_keys_actors_and_list_prices_fill_x_columns(tmp_path):
    report = _analytics_report()
    rows = read(written(report, tmp_path))
    groups = by_line_item(rows)
    assert len(groups) == len(report.line_items) < len(rows)  # the shared rows are split
    for parts, item in zip(groups, report.line_items, strict=True):
        assert total(parts, "ListCost") == item.list_amount_cents.scaleb(-2) != total(parts)
        assert total(parts) == item.amount
        for row in parts:
            assert (row["x_ApiKeyId"], row["x_ApiKeyName"], row["x_Actor"]) == (
                item.api_key_id or "", item.api_key_name, item.actor)
            assert row["ContractedCost"] == row["EffectiveCost"] == row["BilledCost"]
            # one row per combination over the whole month: charged over the billing period
            assert (row["ChargePeriodStart"], row["ChargePeriodEnd"]) == (rfc3339(MONTH.start), rfc3339(MONTH.end))
    keyless = rows[-1]
    assert keyless["SubAccountId"] == keyless["SubAccountName"] == keyless["x_WorkspaceId"] == ""  # no workspace
    assert keyless["x_ApiKeyId"] == "" and keyless["x_Actor"] == "user0@acme.example"


def test_the_writer_streams_rows_to_the_file_as_it_reads_line_items(tmp_path):
    # Rows reach the file while the Line Items are still being read: no list of all rows is built first.
    report = sample_report(line_item_count=3000)
    path = tmp_path / FOCUS_FILE
    sizes = {}

    class Watched(tuple):
        def __iter__(self):
            for index, item in enumerate(tuple.__iter__(self)):
                if index in (0, 2000):
                    sizes[index] = path.stat().st_size if path.exists() else 0
                yield item

    write_focus_csv(replace(report, line_items=Watched(report.line_items)), path)
    assert sizes[0] < 1000 < 200_000 < sizes[2000]  # ~600 bytes a row: most of 2000 rows already on disk
    assert len(by_line_item(read(path))) == 3000


@pytest.mark.slow
def test_restating_writes_the_whole_month_again_beside_the_sealed_file(tmp_path, demo_month):
    from datetime import datetime

    from conftest import run_options, simulator
    from reports.outputs.seal import close_month
    from reports.simulator.demo import demo_organization

    original = demo_month(tmp_path)
    seal = close_month(tmp_path, MONTH, datetime(2026, 11, 5, 9, 0, tzinfo=UTC))
    assert FOCUS_FILE in seal.files and SCHEMA_FILE in seal.files  # sealed like the other outputs
    sealed = (original.folder / FOCUS_FILE).read_bytes()
    with simulator(organization=demo_organization(revision=1)) as late:
        restated = run(run_options(late, tmp_path, restate=True))
    assert restated.folder == tmp_path / "2026-10" / "restatements" / "R1"
    assert (original.folder / FOCUS_FILE).read_bytes() == sealed
    rows = read(restated.folder / FOCUS_FILE)
    assert len(by_line_item(rows)) == len(restated.report.line_items) > len(original.report.line_items)
    assert {row["x_Restatement"] for row in rows} == {"R1"}
    assert {row["ChargeClass"] for row in rows} == {""}  # a replacement of the month, not correction deltas
    total = sum((Decimal(row["BilledCost"]) for row in rows), Decimal(0))
    assert total == restated.report.reconciliation.source_total > original.report.reconciliation.source_total
    assert_manifest_matches(restated.folder)
    assert FOCUS_FILE in {entry["file"] for entry in json.loads((restated.folder / "manifest.json").read_text())[
        "outputs"]}


def test_shares_that_have_no_finite_decimal_are_given_to_15_places_and_parts_still_add_up(tmp_path):
    report = sample_report()
    thirds = {SHARED_LABEL: (("ENG-100", Fraction(1, 3)), ("SUP-200", Fraction(2, 3)))}
    rows = read(written(replace(report, splits=thirds), tmp_path))
    shared = [row for row in rows if row["x_CostCenterSplit"]]
    assert {row["x_CostCenterSplit"] for row in shared} == {
        '{"ENG-100":"0.333333333333333","SUP-200":"0.666666666666667"}'}
    assert {(row["x_CostCenter"], row["x_AllocationShare"]) for row in shared} == {
        ("ENG-100", "0.333333333333333"), ("SUP-200", "0.666666666666667")}
    items = [item for item in report.line_items if item.cost_center == SHARED_LABEL]
    groups = [parts for parts in by_line_item(rows) if parts[0]["x_CostCenterSplit"]]
    assert len(groups) == len(items) > 0
    for parts, item in zip(groups, items, strict=True):
        assert total(parts) == item.amount  # a third of an amount has no finite decimal; the parts still add up
        third = Fraction(item.amount) / 3
        assert abs(Fraction(Decimal(parts[0]["BilledCost"])) - third) < Fraction(1, 10 ** 14)


def test_a_shared_rows_parts_are_exact_to_14_places_and_whole_parts_stay_decimals(tmp_path):
    report = sample_report()
    items = list(report.line_items)
    index = next(i for i, item in enumerate(items) if item.cost_center == SHARED_LABEL)
    # 70% / 30% of $10.00 and of 1,000 tokens are whole: still written as decimals (a column of
    # integers fails the validator); a trillionth of a cent splits to 14 places, adding up exactly.
    items[index] = items[index]._replace(amount_cents=Decimal("1000"), amount=Decimal("10.00"), cost_type="tokens",
                           token_type="output_tokens", usage_quantity=1000)
    items.insert(index + 1, items[index]._replace(amount_cents=Decimal("1E-12"), amount=Decimal("1E-14"),
                                    usage_quantity=1))
    rows = read(written(replace(report, line_items=tuple(items)), tmp_path))
    whole, tiny = (parts for parts in by_line_item(rows) if parts[0]["x_SourceRowId"] in (str(index + 1),
                                                                                         str(index + 2)))
    assert [(row["BilledCost"], row["ConsumedQuantity"], row["PricingQuantity"]) for row in whole] == [
        ("7.00", "700.0", "0.0007"), ("3.00", "300.0", "0.0003")]
    assert [(row["BilledCost"], row["ConsumedQuantity"]) for row in tiny] == [
        ("0.00000000000001", "0.7"), ("0.00", "0.3")]


@settings(derandomize=True, max_examples=300)  # the same examples every run
@given(st.decimals(min_value=Decimal("-1E+12"), max_value=Decimal("1E+12"), places=14, allow_nan=False),
       st.lists(st.integers(min_value=1, max_value=10 ** 9), min_size=1, max_size=9))
def test_a_split_adds_up_exactly_and_each_part_is_its_share_to_14_places(value, weights):
    split = tuple((f"CC{index}", Fraction(weight, sum(weights))) for index, weight in enumerate(weights))
    parts = split_exactly(value, split)
    assert sum(parts, Decimal(0)) == value
    for part, (_, share) in zip(parts, split, strict=True):
        assert abs(Fraction(part) - Fraction(value) * share) < Fraction(1, 10 ** 14)
