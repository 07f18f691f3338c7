"""The month's cost rows as a FOCUS 1.2 cost-and-usage dataset (CSV) and its schema metadata.

FOCUS (the FinOps Open Cost and Usage Specification) is the format FinOps tools read every
provider's spend in. One row per Line Item of the Report, in the same order; nothing is
recomputed: the costs are the rows' exact amounts, the quantities the usage join the Report
holds, the cost centers and splits the allocation's.

A Line Item of a shared workspace or key is written once per receiving cost center, in the
split's order, so that grouping by the ``CostCenter`` tag (how FinOps tools allocate) gives each
cost center's journal debit: its costs and quantities are divided in the shares the journal
used (the allocation's ``splits``), rounded by largest remainder to ``SPLIT_PLACES`` so the parts
add up exactly to the row, as FOCUS 1.3's split cost allocation asks of summable metrics; every
other column is the row's own. ``x_SourceRowId`` names the Line Item, ``x_AllocationShare`` the share.

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

import functools
import hashlib
import json
import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from reports import __version__
from reports.core.line_items import LineItem
from reports.core.money import MIN_EXPONENT, apportion, fraction_to_decimal
from reports.core.months import rfc3339
from reports.core.report import Report
from reports.outputs.inert import csv_field

FOCUS_VERSION = "1.2"
PROVIDER = "Anthropic"  # provider = publisher = invoice issuer: SaaS bought from its maker
SERVICE_NAME = "Claude API"
# FOCUS 1.2's ServiceName is "an offering that can be purchased from a provider": the analytics API's
# product names it (analytics-api.md §1.4). The API's own surfaces (messages_api, message_batches_api),
# "other" and rows without a product are the Claude API; every name maps to the one ServiceCategory.
SERVICE_NAMES = {
    "chat": "Claude", "chat_cowork_unified": "Claude", "claude_code": "Claude Code",
    "claude_console": "Claude Console", "claude_design": "Claude Design", "claude_in_chrome": "Claude in Chrome",
    "claude_tag": "Claude in Slack", "cowork": "Claude Cowork", "managed_agents_api": "Claude Managed Agents",
    "office_agent": "Claude for Office",
}
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

_TWO_PLACES = Decimal("0.01")
# A shared row's parts are exact to this many decimal places (dollars, tokens, requests): a
# trillionth of a cent, the finest amount the API sends. The parts add up to the row exactly, and a
# cost center's sum is its exact allocation to far below a cent (its journal debit within a cent).
SPLIT_PLACES = 2 - MIN_EXPONENT

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
    ("x_CostCenter", STRING),  # the cost center the row is charged to (a shared row's part: the receiving one)
    ("x_CostCenterName", STRING),
    ("x_CostCenterSplit", JSON),  # a shared rule's realized shares this month, {code: share}; null when not shared
    ("x_AllocationShare", DECIMAL),  # this part's share of its Line Item; null when not shared
    ("x_WorkspaceId", STRING),  # as the API sent it (null: the legacy Default workspace)
    ("x_ApiKeyId", STRING),  # analytics source
    ("x_ApiKeyName", STRING),
    ("x_Actor", STRING),
    ("x_CostType", STRING),
    ("x_Model", STRING),
    ("x_TokenType", STRING),
    ("x_ServiceTier", STRING),
    ("x_ContextWindow", STRING),
    ("x_Product", STRING),  # the analytics API's product (claude_code, messages_api, …); null when none
    ("x_SourceRowId", STRING),  # the Line Item's number (1 = the first, API order); a shared row's parts share it
    ("x_AmountCents", DECIMAL),  # the API's amount, exactly as sent (the whole row's, on each part too)
    ("x_Restatement", STRING),  # R1, R2, … in a restatement's file; null in the month's own
)
COLUMNS = FOCUS_COLUMNS + CUSTOM_COLUMNS
HEADER = tuple(name for name, _ in COLUMNS)


def _text(value: str | None) -> str | None:
    """Text as written: null for a missing or empty value, formula triggers made inert."""
    if not value:
        return None
    return csv_field(value)


def _json(value: dict[str, str]) -> str:
    # Keys in a fixed order and no spaces: the same dataset gives the same bytes; UTF-8 as is.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def money(value: Decimal) -> str:
    """An exact amount with at least two decimals (``15.00``, ``0.0012345``); never rounded."""
    text = format(value, "f")
    dot = text.find(".")
    if dot < 0 or len(text) - dot < 3:  # e.g. cents given as "1.5E+3": $15 must still read as a decimal
        text = format(value.quantize(_TWO_PLACES), "f")  # quantize only adds zeros here
    if text[0] == "-" and not value:
        text = text[1:]  # no "-0.00"
    return text


def quantity(count: int, block: int) -> str:
    """``count`` in units of 10**block, exactly: 1234 tokens are ``0.001234`` of 1000000 Tokens."""
    if count < 0:
        return format(Decimal(count).scaleb(-block), "f")
    whole, part = divmod(count, 10 ** block)  # integer arithmetic: exact, and fast on 465,000 rows
    return f"{whole}.{part:0{block}d}"


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


def service_name(product: str | None) -> str:
    """FOCUS ServiceName of a row's product (``Claude Code``), else the Claude API."""
    return SERVICE_NAMES.get(product, SERVICE_NAME) if product is not None else SERVICE_NAME


def charge_description(item: LineItem) -> str | None:
    """The cost report's description; the analytics source has none, so it is put together (with the product)."""
    if item.description:
        return item.description
    what = " ".join(part for part in (item.model, item.token_type or item.cost_type) if part)
    qualifiers = ", ".join(part for part in (item.service_tier, item.context_window, item.product) if part)
    return f"{what} ({qualifiers})" if what and qualifiers else (what or None)


_NO_QUANTITY: tuple[str | None, str | None, str | None, str | None] = (None, None, None, None)
Quantities = tuple[str | None, str | None, str | None, str | None]


def _decimal(value: Decimal) -> str:
    """A split part as a decimal without trailing zeros, and with a point (``493.6``, ``500.0``)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text + ".0" if "." not in text else text


def quantities(item: LineItem, count: int | Decimal | None = None) -> Quantities:
    """(ConsumedQuantity, ConsumedUnit, PricingQuantity, PricingUnit) from the usage join; null where none.

    ``count`` is a shared row's part of the quantity (a decimal), else the row's whole count is used.
    Code execution is billed by container time, which the usage report does not give: its rows
    have no quantity rather than an invented one (FOCUS wants one on every Usage row).
    """
    if count is None:
        count = item.usage_quantity
        if count is None:
            return _NO_QUANTITY
    if item.token_type is not None:
        unit, pricing_unit, block = TOKENS, TOKEN_PRICING_UNIT, TOKEN_PRICE_BLOCK
    elif item.cost_type == "web_search":
        unit, pricing_unit, block = REQUESTS, SEARCH_PRICING_UNIT, SEARCH_PRICE_BLOCK
    else:
        return _NO_QUANTITY
    if isinstance(count, int):  # a whole count is still a decimal: a column of integers fails the type rule
        return f"{count}.0", unit, quantity(count, block), pricing_unit
    return _decimal(count), unit, _decimal(count.scaleb(-block)), pricing_unit


@functools.lru_cache(maxsize=64)
def _weights(split: tuple[tuple[str, Fraction], ...]) -> tuple[tuple[int, ...], int]:
    """The split's shares over one common denominator: (numerators, denominator)."""
    denominator = math.lcm(*(share.denominator for _, share in split))
    return tuple(share.numerator * (denominator // share.denominator) for _, share in split), denominator


def split_exactly(value: Decimal | int, split: tuple[tuple[str, Fraction], ...]) -> list[Decimal]:
    """``value`` divided in the split's shares, in its order: each part rounded by largest remainder
    (``apportion``, the journal's rounding) to SPLIT_PLACES, or to the value's own places if finer,
    so the parts add up to ``value`` exactly."""
    value = Decimal(value)
    places = max(SPLIT_PLACES, -int(value.as_tuple().exponent))
    units = int(value.scaleb(places))  # exact: the value has no more places than that
    numerators, denominator = _weights(split)
    return [Decimal(part).scaleb(-places)
            for part in apportion(units, [units * numerator for numerator in numerators], denominator)]


def _cost(value: Decimal) -> str:
    """A split part of a cost: exact, without trailing zeros, with at least two decimals (``0.40``)."""
    text = _decimal(value)
    return text + "0" if len(text) - text.index(".") == 2 else text


def _field(value: str | None) -> str:
    """One CSV field as ``csv.QUOTE_MINIMAL`` writes it (tests hold the two to the same bytes)."""
    if value is None:
        return ""
    if "," in value or '"' in value or "\r" in value or "\n" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


# One FOCUS row of a Line Item (the whole of it, or one cost center's part of a shared one):
# BilledCost (also EffectiveCost and ContractedCost), ListCost, the quantities, and the payer's
# fields (values and CSV) from SubAccountId to x_Actor.
Piece = tuple[str, str, Quantities, tuple[tuple, str]]


class _Rows:
    """The values of each row, from pieces computed once per payer, per cost description and per day.

    A month has hundreds of thousands of rows but a few thousand payers and descriptions: only
    the amounts and quantities are formatted per row. ``values`` gives a row's fields (None for
    null); ``line`` the same row as CSV text, from the same pieces already escaped.
    """

    def __init__(self, report: Report):
        month = report.month
        self.report = report
        # The analytics source reads the month as one row per combination (no time bucket), so its
        # rows are charged over the whole month; the legacy cost report's rows are one day each.
        self.whole_month = report.rows_span_month
        # The analytics source gives the Default workspace a real ID, and a null workspace means none at all.
        self.null_is_no_workspace = not report.null_workspace_is_default
        self.names = {line.code: line.name for line in report.cost_centers}
        account = _text(report.organization)
        self.billing = (rfc3339(month.end), rfc3339(month.start))
        self.restatement = report.restatement.label if report.restatement is not None else None
        # BillingAccountId … ChargeClass, after BilledCost
        self.head = (account, account, "USD", *self.billing, USAGE, None)
        self.head_text = ",".join(map(_field, self.head))
        self._days: dict[date, tuple[tuple[str, str], str]] = {}
        self._payers: dict[tuple, tuple[tuple, str]] = {}
        self._kinds: dict[tuple, tuple[tuple, str, str, str, str]] = {}

    def period(self, day: date) -> tuple[tuple[str, str], str]:
        """(ChargePeriodEnd, ChargePeriodStart) of a row's day, and as CSV."""
        found = self._days.get(day)
        if found is None:
            if self.whole_month:
                values = self.billing
            else:
                start = datetime.combine(day, time(0), tzinfo=UTC)
                values = (rfc3339(start + timedelta(days=1)), rfc3339(start))
            found = self._days[day] = (values, ",".join(values))
        return found

    def payer(self, item: LineItem, code: str, share_of: Fraction | None = None) -> tuple[tuple, str]:
        """SubAccountId, SubAccountName, Tags and x_CostCenter … x_Actor of the row's payer charged to
        ``code`` (with ``share_of`` the Line Item when it is a shared row's part), and as CSV."""
        key = (item.workspace_id, item.workspace_name, item.api_key_id, item.api_key_name, item.actor,
               item.cost_center, code)
        found = self._payers.get(key)
        if found is None:
            split = self.report.splits.get(item.cost_center)
            workspace = item.workspace_id
            if workspace is None and self.null_is_no_workspace:
                sub_id = sub_name = None  # analytics: usage outside any workspace, not a sub account
            else:
                sub_id = _text(workspace if workspace is not None else DEFAULT_WORKSPACE_ID)
                sub_name = _text(item.workspace_name) or sub_id
            values = (
                sub_id, sub_name, _json({"CostCenter": code}), _text(code), _text(self.names.get(code)),
                _json({name: share(value) for name, value in split}) if split is not None else None,
                share(share_of) if share_of is not None else None,
                _text(workspace), _text(item.api_key_id), _text(item.api_key_name), _text(item.actor),
            )
            found = self._payers[key] = (values, ",".join(map(_field, values)))
        return found

    def kind(self, item: LineItem) -> tuple[tuple, str, str, str, str]:
        """(ChargeDescription, SkuId, x_CostType … x_Product, ProviderName … ServiceSubcategory) of the row's
        cost description and product, and as CSV: the description, the SKU, the x_ columns and the service."""
        key = (item.description, item.cost_type, item.model, item.token_type, item.service_tier,
               item.context_window, item.product)
        found = self._kinds.get(key)
        if found is None:
            values = (_text(charge_description(item)), _text(sku_id(item)), _text(item.cost_type),
                      _text(item.model), _text(item.token_type), _text(item.service_tier),
                      _text(item.context_window), _text(item.product))
            # ProviderName … ServiceSubcategory, after PricingUnit: the service is the row's product
            service = (PROVIDER, PROVIDER, SERVICE_CATEGORY, service_name(item.product), SERVICE_SUBCATEGORY)
            found = self._kinds[key] = ((*values, service), _field(values[0]), _field(values[1]),
                                        ",".join(map(_field, values[2:])), ",".join(map(_field, service)))
        return found

    def pieces(self, item: LineItem) -> list[Piece]:
        """The Line Item's FOCUS rows: itself, or one part per receiving cost center when it is shared."""
        split = self.report.splits.get(item.cost_center)
        if split is None:
            billed = money(item.amount)
            listed = billed if item.list_amount_cents is None else money(item.list_amount_cents.scaleb(-2))
            return [(billed, listed, quantities(item), self.payer(item, item.cost_center))]
        amounts = split_exactly(item.amount, split)
        lists = amounts if item.list_amount_cents is None else split_exactly(item.list_amount_cents.scaleb(-2), split)
        counts = None if item.usage_quantity is None else split_exactly(item.usage_quantity, split)
        pieces: list[Piece] = []
        for index, (code, part) in enumerate(split):
            if not part:
                continue  # a cost center with no share gets nothing, in the journal as here
            billed = _cost(amounts[index])
            listed = billed if lists is amounts else _cost(lists[index])
            consumed = quantities(item, counts[index]) if counts is not None else _NO_QUANTITY
            pieces.append((billed, listed, consumed, self.payer(item, code, part)))
        return pieces

    def values(self, item: LineItem, number: int) -> Iterator[list[Any]]:
        """The fields of the Line Item's rows in HEADER order, None for null; ``number`` is its x_SourceRowId."""
        kind = self.kind(item)[0]
        period = self.period(item.day)[0]
        source = (str(number), format(item.amount_cents, "f"), self.restatement)
        for billed, listed, (consumed, consumed_unit, pricing, pricing_unit), payer in self.pieces(item):
            yield [
                billed, *self.head, kind[0], USAGE_BASED, *period, None, consumed, consumed_unit,
                billed, billed, None, PROVIDER, listed, pricing, pricing_unit, *kind[-1], kind[1],
                *payer[0], *kind[2:-1], *source,
            ]

    def lines(self, item: LineItem, number: int) -> str:
        """The same rows as CSV records; numbers and units never need quoting."""
        _, description, sku, dimensions, service = self.kind(item)
        period = self.period(item.day)[1]
        source = f"{number},{format(item.amount_cents, 'f')},{self.restatement or ''}\r\n"
        return "".join(
            f"{billed},{self.head_text},{description},{USAGE_BASED},{period},,"
            f"{consumed or ''},{consumed_unit or ''},{billed},{billed},,{PROVIDER},{listed},{pricing or ''},"
            f"{pricing_unit or ''},{service},{sku},{payer[1]},{dimensions},{source}"
            for billed, listed, (consumed, consumed_unit, pricing, pricing_unit), payer in self.pieces(item))


def focus_rows(report: Report) -> Iterator[list[Any]]:
    """The dataset's rows (None for null): per Line Item, in their order, the item or its shared parts."""
    rows = _Rows(report)
    for number, item in enumerate(report.line_items, 1):
        yield from rows.values(item, number)


def write_focus_csv(report: Report, path: Path) -> None:
    """Write the FOCUS dataset to exactly ``path``, streaming: one Line Item in memory at a time.

    The records are the ``csv`` module's (QUOTE_MINIMAL, ``\r\n``) for ``focus_rows``, put together
    from pieces escaped once: the csv module formatting 45 fields a row took as long as the rest.
    """
    rows = _Rows(report)
    lines = rows.lines
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(HEADER) + "\r\n")
        handle.writelines(lines(item, number) for number, item in enumerate(report.line_items, 1))


def focus_schema(data_file: str) -> dict[str, Any]:
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


def write_focus_schema(path: Path, data_file: str) -> None:
    """Write the schema metadata of the dataset in ``data_file`` to ``path`` (the same bytes every run)."""
    Path(path).write_text(json.dumps(focus_schema(data_file), indent=2) + "\n", encoding="utf-8")
