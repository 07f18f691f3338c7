"""The Report: every number the outputs show, computed once in ``aggregate``.

Amounts are Decimal US dollars unless named ``*_cents`` (exact API cents). Rounded amounts
(to the cent) are named as such or live in the journal and summary lines; exact amounts are
never rounded in place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from reports.core.budget import AgainstBudget, against_budget
from reports.core.checks import Reconciliation
from reports.core.groups import GroupsView
from reports.core.history import History
from reports.core.journal_entry import Journal
from reports.core.line_items import LineItem
from reports.core.months import Month
from reports.core.prior import PriorMonth
from reports.core.records import TokenCounts
from reports.core.replaced import Replaced
from reports.core.restatement import Restatement
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
    # the analytics API's product (claude_code, messages_api, …; NO_PRODUCT for rows without one), sorted by
    # amount; empty when the source reports no products (the legacy cost report)
    by_product: tuple[Amount, ...] = ()


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
    directory_file: str | None = None  # ``directory:``: the people file the allocation used, and its SHA-256
    directory_sha256: str | None = None


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
    groups: GroupsView | None = None  # the Groups sheet (analytics with groups: configured)

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
