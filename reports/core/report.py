"""The Report: every number the outputs show, computed once in ``aggregate``.

Amounts are Decimal US dollars unless named ``*_cents`` (exact API cents). Rounded amounts
(to the cent) are named as such or live in the journal and summary lines; exact amounts are
never rounded in place.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import overload

from reports.core.budget import AgainstBudget, against_budget
from reports.core.history import History
from reports.core.money_text import amount_text
from reports.core.months import Month
from reports.core.prior import PriorMonth
from reports.core.records import Attribution, CostRow, TokenCounts
from reports.core.replaced import Replaced
from reports.core.settings import SourceName


@dataclass(frozen=True, slots=True)
class CostCenterLine:
    """A Summary row. ``total`` is the journal debit; direct + shared == total."""

    code: str
    name: str
    owner: str | None
    expense_account: str
    direct: Decimal  # rounded half-up to the cent
    shared: Decimal  # total - direct
    total: Decimal  # rounded by largest remainder; the journal debit
    exact_total: Decimal  # exact allocated dollars (may carry many decimals)
    budget: Decimal | None
    variance: Decimal | None  # total - budget; positive is over budget
    share_of_total: Decimal | None  # fraction of the month's total, None when total is 0
    prior_total: Decimal | None  # None when the prior month is unknown
    change: Decimal | None  # total - prior_total
    list_price: Decimal | None = None  # analytics: the list price of what it was charged, to the cent
    # (largest remainder to the rounded list total); None when the source gives no list price

    @property
    def discount(self) -> Decimal | None:
        """List price minus what was charged (both to the cent), when the source gives list prices."""
        return None if self.list_price is None else self.list_price - self.total


@dataclass(frozen=True, slots=True)
class WorkspaceLine:
    workspace_id: str | None
    name: str
    cost_center: str  # code, "Shared (ENG-100 70%, SUP-200 30%)", or unallocated code
    amount: Decimal  # exact dollars this month
    prior_amount: Decimal  # exact dollars in the prior month (0 when none)
    tokens: TokenCounts
    archived: bool = False
    unmapped: bool = False

    @property
    def cache_hit_rate(self) -> Decimal | None:
        return self.tokens.cache_hit_rate


@dataclass(frozen=True, slots=True)
class PayerLine:
    """An API Keys or Users sheet row: one API key, or one actor (user, service account…)."""

    id: str | None
    name: str
    email: str | None  # users
    workspace: str | None  # API keys: the workspace the key belongs to (its name)
    cost_center: str  # the owner its spend went to; several joined by ", " when it was split by rules
    amount: Decimal  # exact dollars this month
    tokens: TokenCounts
    kind: str = ""  # actors: user | service_account | federated | api_key


@dataclass(frozen=True, slots=True)
class LineItem:
    """A Line Items row: exactly one per API cost row."""

    day: date
    workspace_id: str | None
    workspace_name: str
    cost_center: str
    description: str | None
    cost_type: str | None
    model: str | None
    token_type: str | None
    service_tier: str | None
    context_window: str | None
    amount_cents: Decimal
    amount: Decimal  # exact dollars
    api_key_id: str | None = None
    api_key_name: str = ""
    actor: str = ""  # the user's email, or the service account / key / identity it is attributed to
    list_amount_cents: Decimal | None = None  # analytics only
    # What the usage report says was consumed for this row (same day, payer, model, service tier
    # and context window): tokens of the row's token type, or web search requests; None where it
    # says nothing (code execution, usage not available, no matching usage row).
    usage_quantity: int | None = None


# Service tiers whose spend the legacy cost report leaves out (billed separately).
PRIORITY_TIERS = frozenset({"priority", "priority_on_demand"})


@dataclass(frozen=True)
class UsageJoin:
    """The usage report summed to the cost rows' grain, so each cost row can be given its quantity.

    ``tokens`` is keyed by (day, payer, model, service tier, context window), the payer as the
    cost rows name it (the legacy cost report names only the workspace, so its usage is summed
    over API keys). ``web_searches`` is keyed by (day, payer) over the tiers the cost report
    bills, for web search cost rows, which carry no model.
    """

    tokens: Mapping[tuple, TokenCounts]
    web_searches: Mapping[tuple, int]

    def quantity(self, row: CostRow) -> int | None:
        """Tokens of the row's token type, or web search requests; None when the usage has none."""
        if row.token_type is not None:
            found = self.tokens.get((row.day, row.attribution, row.model, row.service_tier, row.context_window))
            return None if found is None else found.of_type(row.token_type)
        if row.cost_type == "web_search":
            if row.model is None:
                return self.web_searches.get((row.day, row.attribution))
            found = self.tokens.get((row.day, row.attribution, row.model, row.service_tier, row.context_window))
            return None if found is None else found.web_searches
        return None  # code execution, session usage, unknown cost types: the usage report has no quantity


class LineItems(Sequence[LineItem]):
    """The Line Items of a month, made on demand from its cost rows: one per row, API order.

    A large month has hundreds of thousands of rows; holding a LineItem for each beside its
    CostRow would double the memory for no information (the names and owners are per
    payer). Reads like a tuple of LineItem; equal to a tuple with the same items.
    """

    __slots__ = ("_rows", "_names", "_owners", "_usage")

    def __init__(self, rows: Sequence[CostRow], names: Mapping[Attribution, tuple[str, str, str]],
                 owners: Mapping[Attribution, str], usage: UsageJoin | None = None):
        self._rows = rows
        self._names = dict(names)  # payer -> (workspace name, API key name, actor label)
        self._owners = dict(owners)
        self._usage = usage  # None when the month's usage could not be had

    def _item(self, row: CostRow) -> LineItem:
        payer = row.attribution
        workspace, key, actor = self._names[payer]
        return LineItem(row.day, payer.workspace_id, workspace, self._owners[payer], row.description,
                        row.cost_type, row.model, row.token_type, row.service_tier, row.context_window,
                        row.amount_cents, row.amount_cents.scaleb(-2), payer.api_key_id,
                        key if payer.api_key_id is not None else "", actor, row.list_amount_cents,
                        None if self._usage is None else self._usage.quantity(row))

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> LineItem: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[LineItem, ...]: ...

    def __getitem__(self, index: int | slice) -> LineItem | tuple[LineItem, ...]:
        if isinstance(index, slice):
            return tuple(self._item(row) for row in self._rows[index])
        return self._item(self._rows[index])

    def __iter__(self) -> Iterator[LineItem]:
        item = self._item
        for row in self._rows:
            yield item(row)

    def amounts_cents(self) -> Iterator[Decimal]:
        for row in self._rows:
            yield row.amount_cents

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"LineItems({len(self)} items)"


@dataclass(frozen=True, slots=True)
class UsageLine:
    """A Usage row: tokens per workspace x API key x model x service tier for the month."""

    workspace_id: str | None
    workspace_name: str
    api_key_id: str | None
    api_key_name: str
    model: str | None
    service_tier: str | None
    tokens: TokenCounts


@dataclass(frozen=True, slots=True)
class JournalLine:
    """One line of a journal. ``debit``/``credit`` are in the ledger's currency, rounded to the cent.

    Exactly one side of each pair is set. ``debit_usd``/``credit_usd`` are the same line in
    USD (equal to ``debit``/``credit`` when the ledger is in USD).
    """

    journal_id: str
    day: date
    period: str
    account: str
    cost_center: str | None  # None on the balancing (credit) line
    cost_center_name: str | None
    debit: Decimal | None
    credit: Decimal | None
    memo: str
    external_id: str
    debit_usd: Decimal | None
    credit_usd: Decimal | None

    @property
    def amount(self) -> Decimal:
        """Signed, in the ledger's currency: a debit is positive, a credit negative."""
        return self.debit if self.debit is not None else -(self.credit or Decimal(0))

    @property
    def amount_usd(self) -> Decimal:
        """Signed, in USD: a debit is positive, a credit negative."""
        return self.debit_usd if self.debit_usd is not None else -(self.credit_usd or Decimal(0))


@dataclass(frozen=True, slots=True)
class Ledger:
    """The currency the books are kept in and the month's locked rate (units of it per 1 USD)."""

    currency: str = "USD"
    rate: Decimal = Decimal(1)

    @property
    def is_usd(self) -> bool:
        return self.currency == "USD"


@dataclass(frozen=True)
class Journal:
    """A journal entry: its header and its lines; debits equal credits in the ledger and in USD.

    ``balancing_account`` is the account of the line without a cost center (the credit
    account), which every entry split from this one also gets.
    """

    journal_id: str
    day: date
    period: str
    memo: str
    ledger: Ledger
    balancing_account: str
    lines: tuple[JournalLine, ...]
    reverses_on: date | None = None  # an accrual reversed that day (NetSuite's Reversal Date); None if not

    @property
    def debits(self) -> Decimal:
        return sum((line.debit for line in self.lines if line.debit is not None), Decimal(0))

    @property
    def credits(self) -> Decimal:
        return sum((line.credit for line in self.lines if line.credit is not None), Decimal(0))

    @property
    def debits_usd(self) -> Decimal:
        return sum((line.debit_usd for line in self.lines if line.debit_usd is not None), Decimal(0))

    @property
    def credits_usd(self) -> Decimal:
        return sum((line.credit_usd for line in self.lines if line.credit_usd is not None), Decimal(0))

    def by_cost_center(self) -> dict[str, Decimal]:
        """Each cost center's signed amount in the ledger's currency (cost centers with a line only)."""
        amounts: dict[str, Decimal] = {}
        for line in self.lines:
            if line.cost_center is not None:
                amounts[line.cost_center] = amounts.get(line.cost_center, Decimal(0)) + line.amount
        return amounts


class Status(StrEnum):
    """A reconciliation check's outcome, written as its value (the sheet, the manifest, the email)."""

    PASS = "PASS"
    FAIL = "FAIL"
    WARN = "WARN"  # shown loudly, but not a disagreement between totals: the month is still published


class FigureKind(StrEnum):
    """How a check's amount is read: to the cent, in exact API cents, or in exact dollars."""

    MONEY = "money"  # to the cent, with thousands separators: 1,234.50
    CENTS = "cents"  # exact API cents
    EXACT = "exact"  # exact dollars, every digit carried


@dataclass(frozen=True, slots=True)
class Figure:
    """An amount a check compares: a number for the workbook, the text every other reader has always shown."""

    value: Decimal
    kind: FigureKind = FigureKind.MONEY
    currency: str = "USD"  # of a MONEY amount (a check on a ledger in another currency)

    def __str__(self) -> str:
        return amount_text(self.value) if self.kind == FigureKind.MONEY else f"{self.value}"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    expected: str | Figure  # a Figure where it is an amount, so that the workbook writes a number
    actual: str | Figure
    status: Status
    detail: str = ""


@dataclass(frozen=True, slots=True)
class UnmappedWorkspace:
    """Spend no rule matched, taken by the unallocated cost center (a workspace; or, with the
    analytics source, a workspace x API key x actor)."""

    workspace_id: str
    name: str
    amount: Decimal  # exact dollars
    taken_by: str  # the unallocated cost center's code
    api_key: str = ""  # analytics: the key's name (or ID), if any
    actor: str = ""  # analytics: the actor's label, if any


@dataclass(frozen=True)
class Reconciliation:
    source_total_cents: Decimal  # exact sum of every API amount
    source_total: Decimal  # exact dollars
    allocated_total: Decimal  # exact dollars, sum of every cost center's allocation
    rounded_total: Decimal  # source_total rounded half-up to the cent
    journal_debits: Decimal
    journal_credits: Decimal
    rounding_difference: Decimal  # rounded_total - source_total
    line_item_count: int
    unmapped: tuple[UnmappedWorkspace, ...]
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(check.status != Status.FAIL for check in self.checks)


@dataclass(frozen=True, slots=True)
class Amount:
    """A labelled amount for breakdowns and charts (exact dollars)."""

    label: str
    amount: Decimal
    prior_amount: Decimal | None = None

    @property
    def change(self) -> Decimal | None:
        return None if self.prior_amount is None else self.amount - self.prior_amount


@dataclass(frozen=True, slots=True)
class DailySpend:
    day: date
    amount: Decimal  # exact dollars


@dataclass(frozen=True)
class Drivers:
    """What explains the month: breakdowns computed once, for the PDF and the email."""

    daily: tuple[DailySpend, ...]
    prior_daily: tuple[DailySpend, ...]  # empty when the prior month is unknown
    by_model: tuple[Amount, ...]  # sorted by amount, descending; "(no model)" for non-token
    by_cost_type: tuple[Amount, ...]  # tokens, web_search, code_execution, ...
    token_mix: TokenCounts  # all usage this month (all tiers)
    priority_tokens: TokenCounts  # usage billed outside the cost report
    top_workspaces: tuple[Amount, ...]  # top by spend, with prior month
    # workspaces with the largest |change|, then "N other workspaces", then the prior month's late data
    # (when compared with its books): together they add up to the month's change
    movers: tuple[Amount, ...]


@dataclass(frozen=True)
class SourceProfile:
    """What a source's figures carry, as the source tells it: outputs ask the Report, not which API it was."""

    name: SourceName
    title: str  # how the outputs name the API, e.g. "Admin API cost report"
    attribution: bool  # rows name the API key and actor that spent, not only the workspace
    whole_month_rows: bool  # rows have no day of their own: each is charged over the whole month
    refreshed_at: bool  # the API says when its data was last refreshed (data_refreshed_at)
    priority_tier_included: bool  # the amounts include Priority Tier spend (the legacy cost report leaves it out)


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    generated_at: datetime
    tool_version: str
    source: str  # "api", "demo", or "offline": how the pages were had
    config_sha256: str
    demo: bool
    data_fetched_at: datetime | None
    notes: tuple[str, ...]
    data_source: SourceName = SourceName.COST_REPORT  # which API the month was read from
    data_refreshed_at: datetime | None = None  # analytics: the API's data_refreshed_at
    replaces: Replaced | None = None  # a re-run of an open month: the run it replaces and what changed


@dataclass(frozen=True, slots=True)
class RestatementLine:
    """One cost center's posted and restated journal debit (USD).

    ``posted`` is what the books hold before this restatement: the sealed journal plus the
    adjustments of every earlier restatement (for R1, the sealed journal).
    """

    code: str
    name: str
    posted: Decimal
    restated: Decimal

    @property
    def difference(self) -> Decimal:
        return self.restated - self.posted


@dataclass(frozen=True)
class Restatement:
    """A sealed month re-run: what changed per cost center, and the journal of the changes."""

    number: int  # 1 for the first restatement of the month
    sealed_run_id: str
    sealed_at: str  # UTC, as recorded in the seal
    sealed_total: Decimal  # the sealed journal's total
    lines: tuple[RestatementLine, ...]
    adjustment_journal: Journal  # only the differences from what is posted; no lines when nothing changed
    posted_total: Decimal | None = None  # before this restatement (sealed + earlier adjustments); None: sealed_total
    earlier: tuple[str, ...] = ()  # labels of the restatements already posted, R1 first

    @property
    def label(self) -> str:
        return f"R{self.number}"

    @property
    def restated_total(self) -> Decimal:
        return sum((line.restated for line in self.lines), Decimal("0"))

    @property
    def posted_before(self) -> Decimal:
        """What the books held for the month before this restatement."""
        return self.sealed_total if self.posted_total is None else self.posted_total

    @property
    def difference(self) -> Decimal:
        """Restated minus posted: the adjustment journal's net debit in USD."""
        return self.restated_total - self.posted_before


@dataclass(frozen=True)
class Report:
    month: Month
    organization: str
    total: Decimal  # the month's total rounded half-up to the cent (= journal debits)
    prior_total: Decimal | None  # prior month's rounded total
    cost_centers: tuple[CostCenterLine, ...]  # every configured cost center, config order
    workspaces: tuple[WorkspaceLine, ...]  # by amount descending
    line_items: Sequence[LineItem]  # API order (day, then as returned); a LineItems or a tuple
    usage: tuple[UsageLine, ...]
    journal: Journal  # debits in cost center order, then the credit; in the ledger's currency
    reconciliation: Reconciliation
    drivers: Drivers
    run_info: RunInfo
    profile: SourceProfile  # what the source's figures carry (attribution columns, payers, …)
    usage_available: bool = True
    null_workspace_is_default: bool = True  # a row without a workspace is the Default workspace, else none
    unallocated_code: str | None = None  # the cost center that takes unmapped spend, if any
    restatement: Restatement | None = None  # set when a sealed month is re-run with --restate
    api_keys: tuple[PayerLine, ...] = ()  # analytics: spend per API key, by amount descending
    users: tuple[PayerLine, ...] = ()  # analytics: spend per user / service account / identity
    attributed_by: tuple[Amount, ...] = ()  # exact dollars by the level of rule that matched, most specific first
    splits: Mapping[str, tuple[tuple[str, Fraction], ...]] = field(default_factory=dict)  # shared label -> shares
    history: History | None = None  # the trailing twelve months as posted (set by the pipeline)
    prior: PriorMonth | None = None  # what prior_total is: the prior month as posted, or as fetched

    @property
    def data_source(self) -> SourceName:
        return self.run_info.data_source

    @property
    def has_attribution_columns(self) -> bool:
        """Line items and unmapped spend name the API key and actor, not only the workspace."""
        return self.profile.attribution

    @property
    def has_payers(self) -> bool:
        """Spend per API key and per user is shown (the API Keys and Users sheets, the PDF's who spent)."""
        return self.profile.attribution

    @property
    def rows_span_month(self) -> bool:
        """Each line item is charged over the whole month, not over its own day."""
        return self.profile.whole_month_rows

    @property
    def has_refresh_time(self) -> bool:
        """The API said when its data was refreshed (``run_info.data_refreshed_at``, None if it did not say)."""
        return self.profile.refreshed_at

    @property
    def priority_tier_included(self) -> bool:
        """The amounts include Priority Tier spend."""
        return self.profile.priority_tier_included

    @property
    def source_title(self) -> str:
        return self.profile.title

    @property
    def has_list_prices(self) -> bool:
        return any(line.list_price is not None for line in self.cost_centers)

    @property
    def against_budget(self) -> AgainstBudget:
        """The month against budget: budgeted cost centers, those without a budget, and the total."""
        return against_budget((line.total, line.budget) for line in self.cost_centers)

    @property
    def unallocated_total(self) -> Decimal:
        """Rounded spend on the unallocated cost center (0 when there is none)."""
        for line in self.cost_centers:
            if line.code == self.unallocated_code:
                return line.total
        return Decimal("0")

    @property
    def change(self) -> Decimal | None:
        return None if self.prior_total is None else self.total - self.prior_total

    @property
    def change_ratio(self) -> Decimal | None:
        """Month-over-month change as a fraction of the prior total (None if prior is 0)."""
        if self.prior_total is None or self.prior_total == 0:
            return None
        return (self.total - self.prior_total) / self.prior_total
