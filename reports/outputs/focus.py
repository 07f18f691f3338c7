"""The month's cost rows as a FOCUS 1.2 cost-and-usage dataset (CSV) and its schema metadata.

FOCUS (the FinOps Open Cost and Usage Specification) is the format FinOps tools read every
provider's spend in. One row per Line Item of the Report, in the same order; nothing is
recomputed: the costs are the rows' exact amounts, the quantities the usage join the Report
holds, the cost centers and splits the allocation's.

Format (fixed, so checksums are stable and the FinOps Foundation's validator passes it):

* UTF-8 without a byte-order mark, comma-separated, one header row, fields quoted only when
  needed, records ending ``\\r\\n`` (as the journal CSV).
* A null is an empty unquoted field. No column is ever written as an empty string: FOCUS
  forbids empty strings for missing values, so an empty value from the source is a null.
* Costs are the row's cents / 100 as an exact decimal string, never a float and never rounded,
  with at least two decimals (a column that looks like whole numbers is read as integers).
* Date-times are UTC in full, ``2026-10-01T00:00:00Z``.
* FOCUS columns come first (alphabetically), then the ``x_`` custom columns.

Formula-inert text: a FOCUS file is data for FinOps tools, not a spreadsheet, and a quote in
front of a name changes the data those tools group by. But the same file is opened in Excel
often enough (it is a CSV in a finance folder), and a name like ``=HYPERLINK(...)`` must not
run there. Names are written as they are except a text field that begins with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return, which gets a ``'`` in front, as in the journal CSV:
only such names change, they stay recognisable, and FinOps tools key on the IDs (which never
begin that way). Numbers are never prefixed (a negative cost stays ``-1.25``), and JSON
fields begin with ``{``.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator

from reports import __version__
from reports.core.money import fraction_to_decimal
from reports.core.months import rfc3339
from reports.core.report import LineItem, Report

FOCUS_VERSION = "1.2"
PROVIDER = "Anthropic"  # provider = publisher = invoice issuer: SaaS bought from its maker
SERVICE_NAME = "Claude API"
SERVICE_CATEGORY = "AI and Machine Learning"
SERVICE_SUBCATEGORY = "Generative AI"
USAGE = "Usage"
USAGE_BASED = "Usage-Based"
# The legacy cost report writes the Default workspace as null; it is still a workspace (a sub
# account), so it gets an ID of its own that no real workspace ID (wrkspc_…) can equal.
DEFAULT_WORKSPACE_ID = "default"
# When the schema of this file was defined: fixed, so a re-render writes the same bytes.
SCHEMA_CREATED = "2026-12-02T00:00:00Z"

# What the dataset claims of the provider, for the validator's applicability criteria: account
# and workspace names, workspaces as sub accounts, the cost center as a tag, consumed quantities.
# Not claimed: a public price list / unit pricing (the cost report carries no unit prices, so
# ListUnitPrice, SkuPriceId and SkuMeter cannot be filled), regions, commitments, resources.
APPLICABILITY_CRITERIA = ("ACCOUNT_NAMING_SUPPORTED", "SUB_ACCOUNT_SUPPORTED", "TAGGING_SUPPORTED",
                          "USAGE_MEASUREMENT_SUPPORTED")

TOKENS = "Tokens"
REQUESTS = "Requests"
# Pricing units are the price list's: dollars per million tokens, per thousand web searches.
TOKEN_PRICE_BLOCK = 6  # 1000000 Tokens
SEARCH_PRICE_BLOCK = 3  # 1000 Requests
TOKEN_PRICING_UNIT = f"{10 ** TOKEN_PRICE_BLOCK} {TOKENS}"
SEARCH_PRICING_UNIT = f"{10 ** SEARCH_PRICE_BLOCK} {REQUESTS}"

_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TWO_PLACES = Decimal("0.01")
_ONE_PLACE = Decimal("0.1")

STRING, DECIMAL, DATETIME, JSON = "STRING", "DECIMAL", "DATETIME", "JSON"

# (column, FOCUS data type); the FOCUS columns, then ours
FOCUS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("BilledCost", DECIMAL),
    ("BillingAccountId", STRING),
    ("BillingAccountName", STRING),
    ("BillingCurrency", STRING),
    ("BillingPeriodEnd", DATETIME),
    ("BillingPeriodStart", DATETIME),
    ("ChargeCategory", STRING),
    ("ChargeClass", STRING),
    ("ChargeDescription", STRING),
    ("ChargeFrequency", STRING),
    ("ChargePeriodEnd", DATETIME),
    ("ChargePeriodStart", DATETIME),
    # Always null (the Claude API has no commitment discounts). Written because the validator's
    # ConsumedQuantity rules read it: without the column five of them fail.
    ("CommitmentDiscountStatus", STRING),
    ("ConsumedQuantity", DECIMAL),
    ("ConsumedUnit", STRING),
    ("ContractedCost", DECIMAL),
    ("EffectiveCost", DECIMAL),
    ("InvoiceId", STRING),
    ("InvoiceIssuerName", STRING),
    ("ListCost", DECIMAL),
    ("PricingQuantity", DECIMAL),
    ("PricingUnit", STRING),
    ("ProviderName", STRING),
    ("PublisherName", STRING),
    ("ServiceCategory", STRING),
    ("ServiceName", STRING),
    ("ServiceSubcategory", STRING),
    ("SkuId", STRING),
    ("SubAccountId", STRING),
    ("SubAccountName", STRING),
    ("Tags", JSON),
)
CUSTOM_COLUMNS: tuple[tuple[str, str], ...] = (
    ("x_CostCenter", STRING),  # the owner: a cost center code, or a shared rule's label
    ("x_CostCenterName", STRING),  # null for a shared rule
    ("x_CostCenterSplit", JSON),  # a shared rule's realized shares this month, {code: share}
    ("x_WorkspaceId", STRING),  # as the API sent it (null: the legacy Default workspace)
    ("x_ApiKeyId", STRING),  # analytics source
    ("x_ApiKeyName", STRING),
    ("x_Actor", STRING),
    ("x_CostType", STRING),
    ("x_Model", STRING),
    ("x_TokenType", STRING),
    ("x_ServiceTier", STRING),
    ("x_ContextWindow", STRING),
    ("x_AmountCents", DECIMAL),  # the API's amount, exactly as sent
    ("x_Restatement", STRING),  # R1, R2, … in a restatement's file; null in the month's own
)
COLUMNS = FOCUS_COLUMNS + CUSTOM_COLUMNS
HEADER = tuple(name for name, _ in COLUMNS)


def _text(value: str | None) -> str | None:
    """Text as written: null for a missing or empty value, formula triggers made inert."""
    if not value:
        return None
    return "'" + value if value.startswith(_FORMULA_TRIGGERS) else value


def _json(value: dict[str, str]) -> str:
    # Keys in a fixed order and no spaces: the same dataset gives the same bytes; UTF-8 as is.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def money(value: Decimal) -> str:
    """An exact amount with at least two decimals (``15.00``, ``0.0012345``); never rounded."""
    if value.as_tuple().exponent > -2:  # type: ignore[operator]  # finite amounts only
        value = value.quantize(_TWO_PLACES)  # only adds zeros: the value is unchanged
    if not value:
        value = abs(value)  # no "-0.00"
    return format(value, "f")


def quantity(count: int, block: int) -> str:
    """``count`` in units of 10**block, exactly: 1234 tokens are ``0.001234`` of 1000000 Tokens."""
    return format(Decimal(count).scaleb(-block), "f")


def share(value: Fraction) -> str:
    """A split share as a decimal: exact when it has a finite expansion, else to 15 places."""
    try:
        return format(fraction_to_decimal(value), "f")
    except ValueError:  # a proportional share such as 1/3
        return format((Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("1e-15")), "f")


def sku_id(item: LineItem) -> str | None:
    """The product: the model and token type (``claude-sonnet-4-5/output_tokens``), or the cost type."""
    if item.token_type is not None:
        return f"{item.model}/{item.token_type}" if item.model else item.token_type
    return item.cost_type


def charge_description(item: LineItem) -> str | None:
    """The cost report's description; the analytics source has none, so it is put together."""
    if item.description:
        return item.description
    what = " ".join(part for part in (item.model, item.token_type or item.cost_type) if part)
    qualifiers = ", ".join(part for part in (item.service_tier, item.context_window) if part)
    return f"{what} ({qualifiers})" if what and qualifiers else (what or None)


@dataclass(frozen=True)
class _Quantities:
    consumed: str | None
    consumed_unit: str | None
    pricing: str | None
    pricing_unit: str | None


_NO_QUANTITY = _Quantities(None, None, None, None)


def quantities(item: LineItem) -> _Quantities:
    """Consumed and pricing quantity and unit from the usage join; all null where it gives none.

    Code execution is billed by container time, which the usage report does not give: its rows
    have no quantity rather than an invented one (FOCUS wants one on every Usage row).
    """
    count = item.usage_quantity
    if count is None:
        return _NO_QUANTITY
    # ".0": a whole count is still a decimal (a column of integers fails the validator's type rule)
    consumed = format(Decimal(count).quantize(_ONE_PLACE), "f")
    if item.token_type is not None:
        return _Quantities(consumed, TOKENS, quantity(count, TOKEN_PRICE_BLOCK), TOKEN_PRICING_UNIT)
    if item.cost_type == "web_search":
        return _Quantities(consumed, REQUESTS, quantity(count, SEARCH_PRICE_BLOCK), SEARCH_PRICING_UNIT)
    return _NO_QUANTITY


class _Rows:
    """Builds the CSV rows of a Report, caching what repeats across hundreds of thousands of rows."""

    def __init__(self, report: Report):
        month = report.month
        self.report = report
        self.billing = (rfc3339(month.end), rfc3339(month.start))
        # The analytics source reads the month as one row per combination (no time bucket), so its
        # rows are charged over the whole month; the legacy cost report's rows are one day each.
        self.monthly = report.data_source == "analytics"
        self.legacy = report.data_source != "analytics"
        self.names = {line.code: line.name for line in report.cost_centers}
        self.account = _text(report.organization)
        self.restatement = report.restatement.label if report.restatement is not None else None
        self._days: dict[date, tuple[str, str]] = {}
        self._owners: dict[str, tuple[str | None, str | None, str | None, str | None]] = {}
        self._texts: dict[str | None, str | None] = {}

    def period(self, day: date) -> tuple[str, str]:
        """(ChargePeriodEnd, ChargePeriodStart) of a row's day."""
        found = self._days.get(day)
        if found is None:
            if self.monthly:
                found = self.billing
            else:
                start = datetime.combine(day, time(0), tzinfo=timezone.utc)
                found = (rfc3339(start + timedelta(days=1)), rfc3339(start))
            self._days[day] = found
        return found

    def owner(self, label: str) -> tuple[str | None, str | None, str | None, str | None]:
        """(Tags, x_CostCenter, x_CostCenterName, x_CostCenterSplit) of an owner label."""
        found = self._owners.get(label)
        if found is None:
            split = self.report.splits.get(label)
            split_json = _json({code: share(value) for code, value in split}) if split is not None else None
            found = (_json({"CostCenter": label}), _text(label),
                     _text(self.names.get(label)) if split is None else None, split_json)
            self._owners[label] = found
        return found

    def text(self, value: str | None) -> str | None:
        found = self._texts.get(value, False)
        if found is False:
            found = self._texts[value] = _text(value)
        return found  # type: ignore[return-value]

    def sub_account(self, item: LineItem) -> tuple[str | None, str | None]:
        workspace = item.workspace_id
        if workspace is None:
            if not self.legacy:
                return None, None  # analytics: usage outside any workspace, not a sub account
            workspace = DEFAULT_WORKSPACE_ID
        return self.text(workspace), self.text(item.workspace_name) or self.text(workspace)

    def __call__(self, item: LineItem) -> list[Any]:
        text = self.text
        billed = money(item.amount)
        listed = billed if item.list_amount_cents is None else money(item.list_amount_cents.scaleb(-2))
        period_end, period_start = self.period(item.day)
        tags, center, center_name, split = self.owner(item.cost_center)
        sub_id, sub_name = self.sub_account(item)
        q = quantities(item)
        return [
            billed, self.account, self.account, "USD", self.billing[0], self.billing[1],
            USAGE, None, text(charge_description(item)), USAGE_BASED, period_end, period_start,
            None, q.consumed, q.consumed_unit, billed, billed, None, PROVIDER, listed,
            q.pricing, q.pricing_unit, PROVIDER, PROVIDER, SERVICE_CATEGORY, SERVICE_NAME, SERVICE_SUBCATEGORY,
            text(sku_id(item)), sub_id, sub_name, tags,
            center, center_name, split, text(item.workspace_id), text(item.api_key_id), text(item.api_key_name),
            text(item.actor), text(item.cost_type), text(item.model), text(item.token_type),
            text(item.service_tier), text(item.context_window), format(item.amount_cents, "f"), self.restatement,
        ]


def focus_rows(report: Report) -> Iterator[list[Any]]:
    """The dataset's rows (None for null), one per Line Item, in the Line Items' order."""
    row = _Rows(report)
    for item in report.line_items:
        yield row(item)


def write_focus_csv(report: Report, path: Path) -> None:
    """Write the FOCUS dataset to exactly ``path``, streaming: one row in memory at a time."""
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(HEADER)
        writer.writerows(focus_rows(report))


def focus_schema(report: Report, data_file: str) -> dict[str, Any]:
    """The FOCUS schema metadata of the dataset: its columns and types, the FOCUS version."""
    columns = [{"ColumnName": name, "DataType": kind, **({"StringEncoding": "UTF-8"} if kind == STRING else {})}
               for name, kind in COLUMNS]
    # The schema's ID names its structure (the columns and the FOCUS version), not the run.
    schema_id = hashlib.sha256(json.dumps([FOCUS_VERSION, columns]).encode()).hexdigest()[:32]
    return {
        "SchemaId": schema_id,
        "FocusVersion": FOCUS_VERSION,
        "CreationDate": SCHEMA_CREATED,
        "DataGenerator": "chargeback",
        "DataGeneratorVersion": __version__,
        "DataFile": data_file,
        "ColumnDefinition": columns,
    }


def write_focus_schema(report: Report, path: Path, data_file: str) -> None:
    Path(path).write_text(json.dumps(focus_schema(report, data_file), indent=2) + "\n", encoding="utf-8")
