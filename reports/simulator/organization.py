"""A simulated organization: its directory, and deterministic per-day usage and cost for any month.

Usage is generated per day x workspace x API key x model x service tier x context window;
cost rows are derived from those tokens times list prices (Priority Tier excluded), so the
usage and cost reports tell the same story. Amounts are kept as integers in units of
1e-7 cent (``UNITS_PER_CENT``, see ``catalog.py``) so sums are exact and formatting is cheap.
The analytics view of the same spend, split by who spent it, is ``attribution.py``'s.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from reports.core.months import Month
from reports.simulator.catalog import (
    CODE_EXECUTION,
    CODE_EXECUTION_UNITS_PER_SECOND,
    SONNET_4_5,
    TOKEN_TYPES,
    WEB_SEARCH,
    WEB_SEARCH_UNITS,
    ApiKeyInfo,
    CostDescription,
    FederatedIdentity,
    RbacGroupInfo,
    RbacMembership,
    ServiceAccountInfo,
    SessionSpend,
    Stream,
    UserInfo,
    WorkspaceProfile,
    fake_id,
    token_description,
    units_to_cents,
)
from reports.simulator.memo import Memo

ANCHOR = Month(2026, 10)  # the month the demo's trends are calibrated around


# A cost item: (workspace_id, description index, amount in units)
CostItem = tuple
# A usage item: (workspace_id, api_key_id, model, service_tier, context_window,
#                uncached, cache_1h, cache_5m, cache_read, output, web_searches)
UsageItem = tuple


@dataclass
class DayData:
    cost: list[CostItem]
    usage: list[UsageItem]


@dataclass
class Organization:
    """A simulated organization; generates any day's usage and cost deterministically."""

    name: str
    profiles: tuple[WorkspaceProfile, ...]
    api_keys: tuple[ApiKeyInfo, ...]
    seed: int = 0
    revision: int = 0  # >0: late-arriving spend restates some past days (see _late_usage)
    org_growth: float = 0.09  # per month, around the anchor month
    volume_scale: float = 1.0  # multiplies every workspace's daily_mtok
    late_workspace: str | None = None  # workspace that receives late-arriving usage
    late_key: str | None = None
    cache_days: int = 64
    # --- who spends, for the analytics view (attribution.py); none of it changes the legacy reports
    default_workspace_id: str | None = None  # the Default workspace's real ID (analytics, scope)
    users: tuple[UserInfo, ...] = ()  # deleted users included (they are not listed)
    service_accounts: tuple[ServiceAccountInfo, ...] = ()
    federated: tuple[FederatedIdentity, ...] = ()
    # (legacy workspace_id, api key id or None) -> how its usage splits among actors; absent:
    # the key's principal, else the key itself (api_actor); console usage: no identity
    attributions: dict = field(default_factory=dict, repr=False)
    # legacy workspace_id -> (api key id, actor ref) that runs its code execution; absent: the
    # workspace's first key
    code_execution_owners: dict = field(default_factory=dict, repr=False)
    sessions: tuple[SessionSpend, ...] = ()  # Managed Agents session time (analytics only)
    # RBAC groups (analytics-api.md §3.5): served only by a Claude Enterprise organization; others get a 400
    enterprise: bool = False
    rbac_groups: tuple[RbacGroupInfo, ...] = ()
    rbac_memberships: tuple[RbacMembership, ...] = ()
    list_price_factors: dict = field(default_factory=dict, repr=False)  # model -> list/amount x 100
    descriptions: list[CostDescription] = field(default_factory=list, repr=False)
    _description_index: dict[CostDescription, int] = field(default_factory=dict, repr=False)
    _cache: Memo[DayData] = field(default_factory=Memo, repr=False)
    _texts: Memo[str] = field(default_factory=Memo, repr=False)  # see day_text
    _price_cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.default_workspace_id is None:
            self.default_workspace_id = fake_id("wrkspc_", "default-workspace:" + self.name)
        self._profile_by_id = {profile.id: profile for profile in self.profiles}
        self._key_by_id = {key.id: key for key in self.api_keys}
        for profile in self.profiles:
            for stream in profile.streams:
                if stream.tier == "priority":
                    continue
                for token_type in stream.token_types:
                    self._description(
                        token_description(stream.model, token_type, stream.tier, stream.context_window)
                    )
            if any(s.web_searches_per_mtok for s in profile.streams):
                self._description(WEB_SEARCH)
            if profile.code_execution_seconds:
                self._description(CODE_EXECUTION)
        if self.late_workspace is not None:
            # registered up front so a later revision only changes amounts and rows, and
            # the description table never changes while requests are being served
            for tier, _scale in self._LATE_STREAMS:
                for token_type in ("uncached_input_tokens", "output_tokens"):
                    self._description(token_description(SONNET_4_5, token_type, tier, "0-200k"))

    # ------------------------------------------------------------ directory

    def profile(self, workspace_id: str | None) -> WorkspaceProfile | None:
        """The workspace (None: the Default workspace), if the organization has it."""
        return self._profile_by_id.get(workspace_id)

    def api_key(self, key_id: str) -> ApiKeyInfo | None:
        return self._key_by_id.get(key_id)

    def description_index(self, spec: CostDescription) -> int | None:
        """The index of a cost description in ``descriptions`` (what cost items carry), if it is billed."""
        return self._description_index.get(spec)

    def listed_users(self) -> list[UserInfo]:
        """Users as the users listing returns them: deleted users are gone."""
        return [user for user in self.users if not user.deleted]

    def groups_on(self, user_id: str | None, day: date) -> tuple[str, ...]:
        """The RBAC groups a user belonged to on a UTC day (what the analytics API attributes by)."""
        if user_id is None or not self.rbac_memberships:
            return ()
        index = self.__dict__.get("_memberships_by_user")
        if index is None:
            index = {}
            for membership in self.rbac_memberships:
                index.setdefault(membership.user_id, []).append(membership)
            self.__dict__["_memberships_by_user"] = index
        return tuple(dict.fromkeys(m.group_id for m in index.get(user_id, ()) if m.on(day)))

    def membership_stretches(self, days: list[date]) -> list[tuple[date, ...]]:
        """``days`` (ascending) cut where any RBAC membership begins or ends: on every day of a stretch each
        user is in the same groups (a cut falling on a day missing from ``days`` still cuts)."""
        changes = self.__dict__.get("_membership_changes")
        if changes is None:
            changes = sorted({day for m in self.rbac_memberships for day in (m.since, m.until) if day is not None})
            self.__dict__["_membership_changes"] = changes
        stretches: dict[int, list[date]] = {}
        for day in days:
            stretches.setdefault(bisect_right(changes, day), []).append(day)
        return [tuple(stretch) for stretch in stretches.values()]

    def current_members(self, group_id: str) -> list[RbacMembership]:
        """A group's members as the members listing shows them: current memberships only."""
        return [m for m in self.rbac_memberships if m.group_id == group_id and m.until is None]

    @property
    def workspaces(self) -> list[WorkspaceProfile]:
        """Listed workspaces (the Default workspace is never listed)."""
        return [p for p in self.profiles if p.id is not None]

    def with_revision(self, revision: int) -> Organization:
        return self.replaced(revision=revision)

    def replaced(self, **changes) -> Organization:
        """A copy with ``changes`` (dataclass fields), and caches of its own: nothing made for this one is served."""
        return replace(self, **changes, _cache=Memo(), _texts=Memo(), _price_cache={})

    # ------------------------------------------------------------ generation

    def _description(self, spec: CostDescription) -> int:
        index = self._description_index.get(spec)
        if index is None:
            index = len(self.descriptions)
            self.descriptions.append(spec)
            self._description_index[spec] = index
        return index

    def _prices(self, stream: Stream) -> list[tuple[int, int, int]]:
        """[(position in the usage tuple, unit price, description index)] for a stream."""
        key = (stream.model.id, stream.tier, stream.context_window, stream.token_types)
        found = self._price_cache.get(key)
        if found is None:
            positions = {
                "uncached_input_tokens": 0,
                "cache_creation.ephemeral_1h_input_tokens": 1,
                "cache_creation.ephemeral_5m_input_tokens": 2,
                "cache_read_input_tokens": 3,
                "output_tokens": 4,
            }
            found = [
                (
                    positions[token_type],
                    stream.model.unit_price(token_type, stream.tier, stream.context_window),
                    self._description_index[
                        token_description(stream.model, token_type, stream.tier, stream.context_window)
                    ],
                )
                for token_type in TOKEN_TYPES
                if token_type in stream.token_types
            ]
            self._price_cache[key] = found
        return found

    def _trend(self, day: date, growth: float) -> float:
        months = (day - ANCHOR.first_day).days / 30.44 - 0.5
        factor = 1.0 + (self.org_growth + growth) * months
        return min(4.0, max(0.15, factor))

    def day(self, day: date) -> DayData:
        """Full-grain cost and usage items for one UTC day (cached, thread-safe, each day made once)."""
        return self._cache.get(day, lambda: self._generate(day), self.cache_days)

    def day_text(self, key: tuple, make: Callable[[], str]) -> str:
        """A day's rows as a page's JSON text, made once per organization and ``key`` (the same text for every
        server and run that asks, so tests sharing an organization share the work); thread-safe, and twice as
        many kept as the organization keeps days (two endpoints' texts of each day)."""
        return self._texts.get(key, make, 2 * self.cache_days)

    def _generate(self, day: date) -> DayData:
        cost: list[CostItem] = []
        usage: list[UsageItem] = []
        weekend = day.weekday() >= 5
        day_text = day.isoformat()
        web_index = self._description_index.get(WEB_SEARCH)
        code_index = self._description_index.get(CODE_EXECUTION)
        for profile in self.profiles:
            if not profile.active_on(day):
                continue
            rng = random.Random(f"{self.seed}|{day_text}|{profile.id}")
            rand = rng.random
            volume = profile.daily_mtok * 1e6 * self.volume_scale * self._trend(day, profile.growth)
            if weekend:
                volume *= profile.weekend
            volume *= 1.0 + profile.noise * (2 * rand() - 1)
            u_mix, w5_mix, w1_mix, r_mix = profile.input_mix
            out_ratio = profile.output_ratio
            workspace_id = profile.id
            web_searches_total = 0
            for stream in profile.streams:
                stream_volume = volume * stream.weight
                sums = [0, 0, 0, 0, 0]
                uses = stream.token_types
                has = (
                    "uncached_input_tokens" in uses,
                    "cache_creation.ephemeral_1h_input_tokens" in uses,
                    "cache_creation.ephemeral_5m_input_tokens" in uses,
                    "cache_read_input_tokens" in uses,
                    "output_tokens" in uses,
                )
                for key_id, share in profile.keys:
                    kv = stream_volume * share * (0.75 + 0.5 * rand())
                    if kv < 1:
                        continue
                    jitter = 0.9 + 0.2 * rand()
                    uncached = int(kv * u_mix * jitter) + 1 if has[0] else 0
                    cache_1h = int(kv * w1_mix * (2 - jitter)) + 1 if has[1] and w1_mix else 0
                    cache_5m = int(kv * w5_mix * jitter) + 1 if has[2] and w5_mix else 0
                    cache_read = int(kv * r_mix * (2 - jitter)) + 1 if has[3] and r_mix else 0
                    output = int(kv * out_ratio * (0.8 + 0.4 * rand())) + 1 if has[4] else 0
                    searches = (
                        int(kv / 1e6 * stream.web_searches_per_mtok * jitter)
                        if stream.web_searches_per_mtok
                        else 0
                    )
                    usage.append(
                        (
                            workspace_id,
                            key_id,
                            stream.model.id,
                            stream.tier,
                            stream.context_window,
                            uncached,
                            cache_1h,
                            cache_5m,
                            cache_read,
                            output,
                            searches,
                        )
                    )
                    sums[0] += uncached
                    sums[1] += cache_1h
                    sums[2] += cache_5m
                    sums[3] += cache_read
                    sums[4] += output
                    if stream.tier != "priority":
                        web_searches_total += searches
                if stream.tier == "priority":
                    continue  # billed outside the cost report
                for position, price, index in self._prices(stream):
                    tokens = sums[position]
                    if tokens:
                        cost.append((workspace_id, index, tokens * price))
            if web_searches_total and web_index is not None:
                cost.append((workspace_id, web_index, web_searches_total * WEB_SEARCH_UNITS))
            if profile.code_execution_seconds and code_index is not None:
                seconds = profile.code_execution_seconds * (profile.weekend if weekend else 1.0)
                seconds *= 0.6 + 0.8 * rand()
                cost.append(
                    (workspace_id, code_index, int(seconds) * CODE_EXECUTION_UNITS_PER_SECOND + 1)
                )
        if self.revision and self.late_workspace is not None:
            self._late_usage(day, cost, usage)
        return DayData(cost, usage)

    _LATE_STREAMS = (("standard", 1.0), ("batch", 3.0))

    def _late_usage(self, day: date, cost: list[CostItem], usage: list[UsageItem]) -> None:
        """Revision N adds late-arriving usage on days 5, 19 and the month's last day.

        The late tokens arrive on a dedicated key (new usage rows); they raise the amount
        of an existing standard-tier cost row and add new batch-tier cost rows - a
        restatement of a month already reported.
        """
        last = Month(day.year, day.month).last_day.day
        if day.day not in (5, 19, last):
            return
        for tier, scale in self._LATE_STREAMS:
            tokens = int((2_500_000 * self.revision + 17 * day.day) * scale)
            output = int((400_000 * self.revision + 3 * day.day) * scale)
            usage.append(
                (self.late_workspace, self.late_key, SONNET_4_5.id, tier, "0-200k",
                 tokens, 0, 0, 0, output, 0)
            )
            for token_type, count in (("uncached_input_tokens", tokens), ("output_tokens", output)):
                index = self._description_index[
                    token_description(SONNET_4_5, token_type, tier, "0-200k")
                ]
                units = count * SONNET_4_5.unit_price(token_type, tier, "0-200k") + 1
                for position, item in enumerate(cost):
                    if item[0] == self.late_workspace and item[1] == index:
                        cost[position] = (item[0], index, item[2] + units)
                        break
                else:
                    cost.append((self.late_workspace, index, units))


def expected_cost_by_workspace(org: Organization, month: Month | str) -> dict[str | None, Decimal]:
    """Exact cents per workspace (None = Default workspace) over a month, as the API bills it."""
    if isinstance(month, str):
        month = Month.parse(month)
    totals: dict[str | None, int] = {}
    for day in month.days:
        for workspace_id, _index, units in org.day(day).cost:
            totals[workspace_id] = totals.get(workspace_id, 0) + units
    return {workspace_id: units_to_cents(units) for workspace_id, units in totals.items()}


def expected_total_cents(org: Organization, month: Month | str) -> Decimal:
    """The month's exact total in cents."""
    return sum(expected_cost_by_workspace(org, month).values(), Decimal(0))
