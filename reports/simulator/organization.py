"""Simulated organizations: deterministic per-day usage and cost for any month.

Usage is generated per day x workspace x API key x model x service tier x context window;
cost rows are derived from those tokens times list prices (Priority Tier excluded), so the
usage and cost reports tell the same story. Amounts are kept as integers in units of
1e-7 cent (``UNITS_PER_CENT``) so sums are exact and formatting is cheap.
"""

from __future__ import annotations

import hashlib
import random
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from threading import Lock

from reports.core.months import Month
from reports.simulator.attribution import (
    Attribution,
    FederatedIdentity,
    ServiceAccountInfo,
    SessionSpend,
    UserInfo,
    analytics_items,
    build_actors,
)

# Every amount is an integer number of 1e-7 cents: list prices in $/MTok become integers
# (including batch halves of cache writes), and amounts carry fractional cents.
UNITS_PER_CENT = 10_000_000
UNIT_SCALE = -7  # Decimal(units).scaleb(UNIT_SCALE) is the amount in cents

TOKEN_TYPES = (
    "uncached_input_tokens",
    "cache_creation.ephemeral_5m_input_tokens",
    "cache_creation.ephemeral_1h_input_tokens",
    "cache_read_input_tokens",
    "output_tokens",
)
_TOKEN_LABELS = {
    "uncached_input_tokens": "Input Tokens",
    "cache_creation.ephemeral_5m_input_tokens": "Input Tokens, Cache Write",
    "cache_creation.ephemeral_1h_input_tokens": "Input Tokens, Cache Write (1h)",
    "cache_read_input_tokens": "Input Tokens, Cache Hit",
    "output_tokens": "Output Tokens",
}
# Multipliers of the base input price, per token type (output handled separately).
_INPUT_MULTIPLIERS = {
    "uncached_input_tokens": Decimal("1"),
    "cache_creation.ephemeral_5m_input_tokens": Decimal("1.25"),
    "cache_creation.ephemeral_1h_input_tokens": Decimal("2"),
    "cache_read_input_tokens": Decimal("0.1"),
}
WEB_SEARCH_UNITS = 1 * UNITS_PER_CENT  # $10 per 1,000 searches = 1 cent each
CODE_EXECUTION_UNITS_PER_SECOND = 13_889  # ~$0.05 per container-hour

ANCHOR = Month(2026, 10)  # the month the demo's trends are calibrated around


@dataclass(frozen=True)
class Model:
    id: str
    display: str
    input_per_mtok: Decimal  # USD per million tokens, standard tier, 0-200k
    output_per_mtok: Decimal
    long_input_per_mtok: Decimal | None = None  # 200k-1M context pricing, if offered
    long_output_per_mtok: Decimal | None = None

    def unit_price(self, token_type: str, tier: str, context_window: str) -> int:
        """Price of one token in 1e-7 cent units."""
        long = context_window == "200k-1M"
        if token_type == "output_tokens":
            base = self.long_output_per_mtok if long else self.output_per_mtok
            multiplier = Decimal(1)
        else:
            base = self.long_input_per_mtok if long else self.input_per_mtok
            multiplier = _INPUT_MULTIPLIERS[token_type]
        assert base is not None, f"{self.id} has no {context_window} pricing"
        if tier == "batch":
            multiplier /= 2
        # $X per 1e6 tokens = X*100 cents / 1e6 = X * 1e-4 cents = X * 1000 units
        units = base * multiplier * 1000
        assert units == units.to_integral_value(), (self.id, token_type, tier)
        return int(units)


OPUS_4_6 = Model("claude-opus-4-6", "Claude Opus 4.6", Decimal(5), Decimal(25))
SONNET_4_5 = Model(
    "claude-sonnet-4-5", "Claude Sonnet 4.5", Decimal(3), Decimal(15), Decimal(6), Decimal("22.5")
)
HAIKU_4_5 = Model("claude-haiku-4-5", "Claude Haiku 4.5", Decimal(1), Decimal(5))
SONNET_4 = Model("claude-sonnet-4-20250514", "Claude Sonnet 4", Decimal(3), Decimal(15))
MODELS = (OPUS_4_6, SONNET_4_5, HAIKU_4_5, SONNET_4)


@dataclass(frozen=True)
class CostDescription:
    """The dimension fields of one cost row, as grouping by description yields them."""

    description: str
    cost_type: str
    model: str | None = None
    token_type: str | None = None
    service_tier: str | None = None
    context_window: str | None = None
    inference_geo: str | None = None


def token_description(model: Model, token_type: str, tier: str, context_window: str) -> CostDescription:
    qualifier = ""
    if tier == "batch":
        qualifier += " Batch"
    if context_window == "200k-1M":
        qualifier += " Long Context"
    text = f"{model.display}{qualifier} Usage - {_TOKEN_LABELS[token_type]}"
    return CostDescription(text, "tokens", model.id, token_type, tier, context_window, "global")


WEB_SEARCH = CostDescription("Web Search Usage", "web_search")
CODE_EXECUTION = CostDescription("Code Execution Usage", "code_execution")


@dataclass(frozen=True)
class Stream:
    """A workspace's traffic on one model x service tier x context window."""

    model: Model
    tier: str = "standard"  # standard | batch | priority
    context_window: str = "0-200k"
    weight: float = 1.0  # share of the workspace's daily input tokens
    web_searches_per_mtok: float = 0.0
    token_types: tuple[str, ...] = TOKEN_TYPES  # which token types it uses


@dataclass(frozen=True)
class ApiKeyInfo:
    id: str
    name: str
    workspace_id: str | None
    created_at: str
    status: str = "active"
    created_by: str = "user_01DemoAdminUser000000000"
    partial_key_hint: str | None = None
    # the principal the key acts as (analytics: its usage is attributed to it), e.g.
    # ("service_account_actor", "svac_...") or ("user_actor", "user_..."); None: the key itself
    principal: tuple[str, str] | None = None


@dataclass(frozen=True)
class WorkspaceProfile:
    """One workspace (or the Default workspace, id None) and how it spends."""

    id: str | None
    name: str
    created_at: datetime
    archived_at: datetime | None = None
    display_color: str = "#6C5BB9"
    daily_mtok: float = 1.0  # million input tokens per weekday at the anchor month
    streams: tuple[Stream, ...] = ()
    keys: tuple[tuple[str | None, float], ...] = ((None, 1.0),)  # (api key id or None, share)
    # share of input per token type: uncached, cache write 5m, cache write 1h, cache read
    input_mix: tuple[float, float, float, float] = (0.40, 0.06, 0.02, 0.52)
    output_ratio: float = 0.12  # output tokens per input token
    code_execution_seconds: float = 0.0  # per weekday
    growth: float = 0.0  # extra growth per month (fraction), on top of the org's
    weekend: float = 0.45  # weekend volume relative to weekdays
    noise: float = 0.12

    def active_on(self, day: date) -> bool:
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        if start + timedelta(days=1) <= self.created_at:
            return False
        return self.archived_at is None or start < self.archived_at


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
    # --- the analytics view (attribution.py); none of it changes the legacy reports
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
    list_price_factors: dict = field(default_factory=dict, repr=False)  # model -> list/amount x 100
    descriptions: list[CostDescription] = field(default_factory=list, repr=False)
    _description_index: dict[CostDescription, int] = field(default_factory=dict, repr=False)
    _cache: OrderedDict[date, DayData] = field(default_factory=OrderedDict, repr=False)
    _lock: Lock = field(default_factory=Lock, repr=False)
    _price_cache: dict = field(default_factory=dict, repr=False)
    _analytics_cache: OrderedDict[date, list] = field(default_factory=OrderedDict, init=False, repr=False)
    _period_cache: OrderedDict[tuple, list] = field(default_factory=OrderedDict, init=False, repr=False)
    _stream_plans: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._init_analytics()
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

    # ------------------------------------------------------------ analytics view

    def _init_analytics(self) -> None:
        if self.default_workspace_id is None:
            self.default_workspace_id = _fake_id("wrkspc_", "default-workspace:" + self.name)
        self._profile_by_id = {profile.id: profile for profile in self.profiles}
        self._key_by_id = {key.id: key for key in self.api_keys}
        self.actors, self._actor_index = build_actors(self)
        self._plans: dict = {}
        for (workspace_id, key_id), shares in self.attributions.items():
            self._plans[(workspace_id, key_id)] = self._plan(shares)

    def _plan(self, shares) -> tuple:
        actors = tuple(self._actor_index[s.actor] if s.actor is not None else None for s in shares)
        weights = tuple(s.weight for s in shares)
        return actors, weights, sum(weights), tuple(s.product for s in shares)

    def _default_plan(self, key_id: str | None) -> tuple:
        plan = self._plans.get((None, key_id, "default"))
        if plan is None:
            key = self._key_by_id.get(key_id) if key_id else None
            ref = key.principal[1] if key is not None and key.principal else key_id
            plan = self._plans[(None, key_id, "default")] = self._plan((Attribution(ref),))
        return plan

    def _first_key(self, workspace_id: str | None) -> tuple[str | None, str | None]:
        profile = self._profile_by_id.get(workspace_id)
        for key_id, share in (profile.keys if profile else ()):
            if key_id is not None and share > 0:
                key = self._key_by_id.get(key_id)
                return key_id, key.principal[1] if key is not None and key.principal else key_id
        return None, None

    def analytics_day(self, day: date) -> list:
        """The day's analytics items (see attribution.py), cached and thread-safe."""
        with self._lock:
            cached = self._analytics_cache.get(day)
            if cached is not None:
                self._analytics_cache.move_to_end(day)
                return cached
        items = analytics_items(self, (day,))
        with self._lock:
            self._analytics_cache[day] = items
            while len(self._analytics_cache) > self.cache_days:
                self._analytics_cache.popitem(last=False)
        return items

    def analytics_period(self, days: tuple[date, ...]) -> list:
        """Items of several whole days summed per dimension combination (cached, 4 ranges)."""
        with self._lock:
            cached = self._period_cache.get(days)
            if cached is not None:
                self._period_cache.move_to_end(days)
                return cached
        items = analytics_items(self, days)
        with self._lock:
            self._period_cache[days] = items
            while len(self._period_cache) > 4:
                self._period_cache.popitem(last=False)
        return items

    def listed_users(self) -> list[UserInfo]:
        """Users as the users listing returns them: deleted users are gone."""
        return [user for user in self.users if not user.deleted]

    # ------------------------------------------------------------ directory

    @property
    def workspaces(self) -> list[WorkspaceProfile]:
        """Listed workspaces (the Default workspace is never listed)."""
        return [p for p in self.profiles if p.id is not None]

    def with_revision(self, revision: int) -> Organization:
        return replace(self, revision=revision, _cache=OrderedDict(), _lock=Lock(), _price_cache={})

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
        """Full-grain cost and usage items for one UTC day (cached, thread-safe)."""
        with self._lock:
            cached = self._cache.get(day)
            if cached is not None:
                self._cache.move_to_end(day)
                return cached
        data = self._generate(day)
        with self._lock:
            self._cache[day] = data
            while len(self._cache) > self.cache_days:
                self._cache.popitem(last=False)
        return data

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


def units_to_cents(units: int) -> Decimal:
    return Decimal(units).scaleb(UNIT_SCALE)


def format_units(units: int) -> str:
    """Cents as the API writes them: a decimal string, fractional cents, no trailing zeros."""
    whole, fraction = divmod(units, UNITS_PER_CENT)
    if not fraction:
        return str(whole)
    return f"{whole}.{fraction:07d}".rstrip("0")


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


# ---------------------------------------------------------------- identifiers

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _fake_id(prefix: str, text: str) -> str:
    number = int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")
    chars = []
    for _ in range(22):
        number, rest = divmod(number, 58)
        chars.append(_B58[rest])
    return prefix + "01" + "".join(chars)


def workspace_id_for(name: str) -> str:
    return _fake_id("wrkspc_", "demo-workspace:" + name)


def api_key_id_for(name: str) -> str:
    return _fake_id("apikey_", "demo-key:" + name)


def _hint(key_id: str) -> str:
    tail = key_id[-7:]
    return f"sk-ant-api03-{tail[:3]}...{tail[3:]}"


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# ---------------------------------------------------------------- the demo organization

# (workspace name, cost center in config/demo.yaml) - kept here so tests can check the map.
DEMO_WORKSPACES: tuple[tuple[str, str], ...] = (
    ("Platform API", "ENG-100"),
    ("Developer Productivity", "ENG-100"),
    ("Support Copilot", "SUP-200"),
    ("Ticket Triage", "SUP-200"),
    ("Legacy Chatbot", "SUP-200"),  # archived on 2026-10-20, spend before that
    ("Analytics Notebooks", "DAT-300"),
    ("Forecasting Research", "DAT-300"),
    ("Campaign Content", "MKT-400"),
    ("Contract Review", "LEG-500"),
    ("Sales Assistant", "SAL-600"),  # growing fast
    ("Knowledge Base", "shared fixed"),
    ("Evaluation Harness", "shared proportional"),
    ("Hackathon Sandbox", "unmapped"),  # deliberately left out of config/demo.yaml
)
DEMO_UNMAPPED_WORKSPACE = "Hackathon Sandbox"
DEMO_ARCHIVED_WORKSPACE = "Legacy Chatbot"
DEMO_ORGANIZATION_NAME = "Acme Corp (demo)"

_COLORS = ("#6C5BB9", "#D97757", "#2E7D6B", "#3B6FB6", "#B8860B", "#8E44AD", "#C0392B")


def demo_organization(revision: int = 0, seed: int = 2026) -> Organization:
    """Acme Corp (demo): 13 listed workspaces plus the Default workspace, 8 cost centers."""
    keys: list[ApiKeyInfo] = []

    def key_set(workspace: str | None, slug: str, specs: Iterable[tuple[str, float]],
                created: str, console: float = 0.0, status: str = "active") -> tuple:
        workspace_id = workspace_id_for(workspace) if workspace else None
        out: list[tuple[str | None, float]] = []
        for suffix, share in specs:
            name = f"{slug}-{suffix}"
            key_id = api_key_id_for(name)
            keys.append(
                ApiKeyInfo(key_id, name, workspace_id, created, status, partial_key_hint=_hint(key_id))
            )
            out.append((key_id, share))
        if console:
            out.append((None, console))
        return tuple(out)

    def ws(name: str, created: str, color: int, **kwargs) -> WorkspaceProfile:
        return WorkspaceProfile(
            id=workspace_id_for(name), name=name, created_at=_utc(created),
            display_color=_COLORS[color % len(_COLORS)], **kwargs,
        )

    profiles = (
        WorkspaceProfile(
            id=None, name="Default workspace", created_at=_utc("2024-03-01T00:00:00Z"),
            daily_mtok=2.2,
            streams=(Stream(SONNET_4_5, weight=0.7), Stream(HAIKU_4_5, weight=0.3)),
            keys=key_set(None, "default", [("legacy-integration", 0.6), ("ops-scripts", 0.3)],
                         "2024-03-04T10:12:40Z", console=0.1),
            input_mix=(0.55, 0.05, 0.0, 0.40),
        ),
        ws("Platform API", "2024-05-14T09:30:00Z", 0, daily_mtok=16.0,
           streams=(Stream(SONNET_4_5, weight=0.55), Stream(OPUS_4_6, weight=0.15),
                    Stream(HAIKU_4_5, weight=0.20), Stream(SONNET_4_5, "batch", weight=0.06),
                    Stream(OPUS_4_6, "priority", weight=0.04)),
           keys=key_set("Platform API", "platform-api", [("prod", 0.72), ("staging", 0.18), ("ci", 0.07)],
                        "2024-05-14T10:02:11Z", console=0.03),
           input_mix=(0.30, 0.07, 0.03, 0.60), weekend=0.6),
        ws("Developer Productivity", "2025-02-03T15:00:00Z", 1, daily_mtok=9.0,
           streams=(Stream(OPUS_4_6, weight=0.35), Stream(SONNET_4_5, weight=0.65)),
           keys=key_set("Developer Productivity", "devprod", [("claude-code", 0.8), ("review-bot", 0.15)],
                        "2025-02-03T15:20:00Z", console=0.05),
           input_mix=(0.12, 0.10, 0.04, 0.74), output_ratio=0.08, code_execution_seconds=5200,
           weekend=0.25),
        ws("Support Copilot", "2024-08-21T12:00:00Z", 2, daily_mtok=11.0,
           streams=(Stream(SONNET_4_5, weight=0.8), Stream(HAIKU_4_5, weight=0.15),
                    Stream(SONNET_4_5, "priority", weight=0.05)),
           keys=key_set("Support Copilot", "support-copilot", [("prod", 0.85), ("eu-prod", 0.12)],
                        "2024-08-21T12:30:00Z", console=0.03)
           + key_set("Support Copilot", "support-copilot", [("backfill", 0.0)], "2026-09-01T08:00:00Z"),
           weekend=0.7),
        ws("Ticket Triage", "2024-11-05T08:00:00Z", 3, daily_mtok=14.0,
           streams=(Stream(HAIKU_4_5, "batch", weight=0.6), Stream(SONNET_4_5, "batch", weight=0.3),
                    Stream(HAIKU_4_5, weight=0.1)),
           keys=key_set("Ticket Triage", "triage", [("nightly-batch", 0.9), ("realtime", 0.1)],
                        "2024-11-05T08:45:00Z"),
           input_mix=(0.70, 0.05, 0.0, 0.25), output_ratio=0.05, weekend=0.9),
        ws("Legacy Chatbot", "2024-01-10T10:00:00Z", 4, archived_at=_utc("2026-10-20T17:42:11Z"),
           daily_mtok=6.5, growth=-0.30,
           streams=(Stream(SONNET_4, weight=0.9), Stream(HAIKU_4_5, weight=0.1)),
           keys=key_set("Legacy Chatbot", "legacy-chatbot", [("prod", 1.0)], "2024-01-10T10:30:00Z",
                        status="archived"),
           input_mix=(0.75, 0.05, 0.0, 0.20), output_ratio=0.2, weekend=0.8),
        ws("Analytics Notebooks", "2024-09-02T13:00:00Z", 5, daily_mtok=3.5,
           streams=(Stream(SONNET_4_5, weight=0.6), Stream(OPUS_4_6, weight=0.4)),
           keys=key_set("Analytics Notebooks", "analytics", [("jupyter", 0.6), ("dbt-docs", 0.2)],
                        "2024-09-02T13:10:00Z", console=0.2),
           code_execution_seconds=9000, weekend=0.2),
        ws("Forecasting Research", "2025-06-16T09:00:00Z", 6, daily_mtok=2.2,
           streams=(Stream(SONNET_4_5, context_window="200k-1M", weight=0.55),
                    Stream(SONNET_4_5, weight=0.25), Stream(OPUS_4_6, "batch", weight=0.2)),
           keys=key_set("Forecasting Research", "forecasting", [("research", 0.7), ("batch-eval", 0.25)],
                        "2025-06-16T09:05:00Z", console=0.05),
           input_mix=(0.50, 0.05, 0.10, 0.35), weekend=0.3),
        ws("Campaign Content", "2025-01-20T11:00:00Z", 0, daily_mtok=2.6,
           streams=(Stream(SONNET_4_5, weight=0.7, web_searches_per_mtok=45),
                    Stream(HAIKU_4_5, weight=0.3, web_searches_per_mtok=20)),
           keys=key_set("Campaign Content", "marketing", [("content-gen", 0.7), ("seo-tools", 0.25)],
                        "2025-01-20T11:10:00Z", console=0.05),
           input_mix=(0.65, 0.05, 0.0, 0.30), output_ratio=0.35, weekend=0.3),
        ws("Contract Review", "2025-03-11T14:00:00Z", 1, daily_mtok=3.2,
           streams=(Stream(OPUS_4_6, weight=0.5), Stream(SONNET_4_5, "batch", weight=0.5)),
           keys=key_set("Contract Review", "legal", [("contract-review", 0.85), ("clause-search", 0.1)],
                        "2025-03-11T14:40:00Z", console=0.05),
           input_mix=(0.45, 0.05, 0.10, 0.40), output_ratio=0.06, weekend=0.15),
        ws("Sales Assistant", "2026-05-04T09:00:00Z", 2, daily_mtok=7.5, growth=0.38,
           streams=(Stream(SONNET_4_5, weight=0.75, web_searches_per_mtok=12),
                    Stream(HAIKU_4_5, weight=0.25)),
           keys=key_set("Sales Assistant", "sales", [("crm-assistant", 0.7), ("email-drafts", 0.3)],
                        "2026-05-04T09:30:00Z"),
           input_mix=(0.35, 0.08, 0.02, 0.55), output_ratio=0.18, weekend=0.2),
        ws("Knowledge Base", "2024-06-03T10:00:00Z", 3, daily_mtok=5.0,
           streams=(Stream(HAIKU_4_5, weight=0.6), Stream(SONNET_4_5, weight=0.4)),
           keys=key_set("Knowledge Base", "kb", [("indexer", 0.4), ("search-api", 0.6)],
                        "2024-06-03T10:20:00Z"),
           input_mix=(0.25, 0.05, 0.05, 0.65), output_ratio=0.05, weekend=0.5),
        ws("Evaluation Harness", "2025-04-07T16:00:00Z", 4, daily_mtok=2.0,
           streams=(Stream(OPUS_4_6, "batch", weight=0.5), Stream(SONNET_4_5, "batch", weight=0.3),
                    Stream(HAIKU_4_5, "batch", weight=0.2)),
           keys=key_set("Evaluation Harness", "evals", [("nightly", 0.8), ("adhoc", 0.2)],
                        "2025-04-07T16:10:00Z"),
           input_mix=(0.40, 0.10, 0.0, 0.50), weekend=1.0),
        ws("Hackathon Sandbox", "2026-09-28T09:00:00Z", 5, daily_mtok=1.1,
           streams=(Stream(OPUS_4_6, weight=0.5), Stream(SONNET_4_5, weight=0.5)),
           keys=key_set("Hackathon Sandbox", "hackathon", [("team-a", 0.5), ("team-b", 0.4)],
                        "2026-09-28T09:15:00Z", console=0.1),
           input_mix=(0.60, 0.05, 0.0, 0.35), output_ratio=0.2, weekend=0.9),
    )
    keys = [replace(key, principal=("service_account_actor", DEMO_SERVICE_ACCOUNT))
            if key.name == "default-ops-scripts" else key for key in keys]
    return Organization(
        name=DEMO_ORGANIZATION_NAME,
        profiles=profiles,
        api_keys=tuple(keys),
        seed=seed,
        revision=revision,
        late_workspace=workspace_id_for("Support Copilot"),
        late_key=api_key_id_for("support-copilot-backfill"),
        volume_scale=6.5,  # puts October 2026 at about $43k
        **_demo_analytics(),
    )


# ---------------------------------------------------------------- the demo's analytics story


def user_id_for(email: str) -> str:
    return _fake_id("user_", "demo-user:" + email)


DEMO_ADMIN_USER = "user_01DemoAdminUser000000000"  # created every demo key
DEMO_SERVICE_ACCOUNT = _fake_id("svac_", "demo-service-account:nightly-etl")
DEMO_DEFAULT_WORKSPACE = workspace_id_for("Default")  # the Default workspace's real ID
DEMO_DISCOUNTED_MODEL = "claude-opus-4-6"  # negotiated: 20% off list, so list = amount x 1.25
DEMO_FEDERATED_ROLE = "arn:aws:iam::123456789012:role/platform-deployer"
# (email, name, role, added_at, deleted); the deleted user is no longer listed
DEMO_USERS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("alex.morgan@acme.example", "Alex Morgan", "admin", "2024-03-01T09:00:00Z", False),
    ("casey.nguyen@acme.example", "Casey Nguyen", "billing", "2024-03-05T09:00:00Z", False),
    ("priya.raman@acme.example", "Priya Raman", "developer", "2025-02-03T15:30:00Z", False),
    ("marco.bianchi@acme.example", "Marco Bianchi", "claude_code_user", "2025-06-16T09:30:00Z", False),
    ("jordan.lee@acme.example", "Jordan Lee", "claude_code_user", "2025-02-10T10:00:00Z", True),
    ("sofia.alvarez@acme.example", "Sofia Alvarez", "developer", "2026-05-04T10:00:00Z", False),
    ("dana.kim@acme.example", "Dana Kim", "developer", "2024-09-02T13:30:00Z", False),
    ("evan.wright@acme.example", "Evan Wright", "user", "2024-09-09T09:00:00Z", False),
    ("lena.fischer@acme.example", "Lena Fischer", "user", "2024-08-21T12:45:00Z", False),
    ("olivia.chen@acme.example", "Olivia Chen", "user", "2025-01-20T11:30:00Z", False),
    ("ravi.patel@acme.example", "Ravi Patel", "developer", "2025-03-11T15:00:00Z", False),
    ("tom.becker@acme.example", "Tom Becker", "developer", "2026-09-28T09:30:00Z", False),
)


def _demo_analytics() -> dict:
    """Who spends in the demo, for the analytics API; the legacy reports are unaffected.

    - Default workspace: its real ID; ``default-ops-scripts`` acts as the nightly-ETL service
      account; its console usage comes from two identities the server cannot render (null).
    - Platform API: console usage is a federated AWS role; the prod key also runs Managed
      Agents sessions (``session_usage``, analytics only); Opus priority spend appears here.
    - Developer Productivity: Claude Code users under their own Console login (no key):
      Priya, Marco and Jordan, who has been removed since (deleted user, email kept).
    - Knowledge Base: two teams, each with its own key (indexer, search-api); Sofia (Sales)
      works on the search-api key - a user on a team's key.
    - Campaign Content: ``marketing-seo-tools`` is the key to split 50/50 with Sales.
    - other workspaces' console usage: their own users; Hackathon Sandbox's (Tom) stays unmapped.
    """
    users = tuple(
        UserInfo(DEMO_ADMIN_USER if role == "admin" else user_id_for(email), email, name, role, added, deleted)
        for email, name, role, added, deleted in DEMO_USERS
    )
    uid = {user.email.split("@")[0]: user.id for user in users}
    ws = workspace_id_for
    key = api_key_id_for
    attributions = {
        (None, None): (Attribution("null:1", 3, "claude_console"), Attribution("null:2", 2, "claude_console")),
        (ws("Platform API"), None): (Attribution("fed:platform-deployer", 1),),
        (ws("Developer Productivity"), None): (
            Attribution(uid["priya.raman"], 5, "claude_code"), Attribution(uid["marco.bianchi"], 3, "claude_code"),
            Attribution(uid["jordan.lee"], 2, "claude_code")),
        (ws("Knowledge Base"), key("kb-search-api")): (
            Attribution(key("kb-search-api"), 3), Attribution(uid["sofia.alvarez"], 1)),
        (ws("Analytics Notebooks"), None): (
            Attribution(uid["dana.kim"], 3, "claude_console"), Attribution(uid["evan.wright"], 2, "claude_console")),
        (ws("Forecasting Research"), None): (Attribution(uid["dana.kim"], 1, "claude_console"),),
        (ws("Support Copilot"), None): (Attribution(uid["lena.fischer"], 1, "claude_console"),),
        (ws("Campaign Content"), None): (Attribution(uid["olivia.chen"], 1, "claude_console"),),
        (ws("Contract Review"), None): (Attribution(uid["ravi.patel"], 1, "claude_console"),),
        (ws("Hackathon Sandbox"), None): (Attribution(uid["tom.becker"], 1, "claude_console"),),
    }
    return {
        "default_workspace_id": DEMO_DEFAULT_WORKSPACE,
        "users": users,
        "service_accounts": (ServiceAccountInfo(DEMO_SERVICE_ACCOUNT, "nightly-etl"),),
        "federated": (FederatedIdentity(
            "platform-deployer",
            (("type", "aws"), ("account_id", "123456789012"), ("signed_principal", DEMO_FEDERATED_ROLE)),
            DEMO_FEDERATED_ROLE),),
        "attributions": attributions,
        "sessions": (SessionSpend(ws("Platform API"), key("platform-api-prod"), key("platform-api-prod"), 180_000),),
        "list_price_factors": {DEMO_DISCOUNTED_MODEL: 125},
    }


# ---------------------------------------------------------------- synthetic organizations


def synthetic_organization(
    workspaces: int,
    descriptions_per_workspace: int = 30,
    api_keys_per_workspace: int = 3,
    seed: int = 0,
    revision: int = 0,
) -> Organization:
    """A large organization for benchmarks: every workspace bills exactly
    ``descriptions_per_workspace`` cost rows per day (up to 32: 6 model x tier streams x 5
    token types, web search, code execution) and has ``api_keys_per_workspace`` keys."""
    streams_catalog = [
        Stream(SONNET_4_5, "standard"), Stream(HAIKU_4_5, "standard"), Stream(OPUS_4_6, "standard"),
        Stream(SONNET_4_5, "batch"), Stream(HAIKU_4_5, "batch"), Stream(OPUS_4_6, "batch"),
    ]
    max_descriptions = len(streams_catalog) * len(TOKEN_TYPES) + 2
    if not 1 <= descriptions_per_workspace <= max_descriptions:
        raise ValueError(f"descriptions_per_workspace must be 1..{max_descriptions}")
    if workspaces < 1 or api_keys_per_workspace < 1:
        raise ValueError("workspaces and api_keys_per_workspace must be at least 1")
    remaining = descriptions_per_workspace
    streams: list[Stream] = []
    for stream in streams_catalog:
        if remaining <= 0:
            break
        take = min(len(TOKEN_TYPES), remaining)
        streams.append(replace(stream, token_types=TOKEN_TYPES[:take], weight=1.0))
        remaining -= take
    web = remaining >= 1
    code = remaining >= 2
    if web:
        streams[0] = replace(streams[0], web_searches_per_mtok=30.0)
    total_weight = len(streams)
    streams = [replace(s, weight=1.0 / total_weight) for s in streams]
    keys: list[ApiKeyInfo] = []
    profiles: list[WorkspaceProfile] = []
    created = _utc("2024-01-01T00:00:00Z")
    for number in range(workspaces):
        workspace_id = f"wrkspc_01SYNTH{number:016d}"
        key_shares = []
        for k in range(api_keys_per_workspace):
            key_id = f"apikey_01SYNTH{number:010d}K{k:05d}"
            keys.append(
                ApiKeyInfo(key_id, f"ws{number}-key{k}", workspace_id, "2024-01-02T00:00:00Z",
                           partial_key_hint=_hint(key_id))
            )
            key_shares.append((key_id, 1.0 / api_keys_per_workspace))
        profiles.append(
            WorkspaceProfile(
                id=workspace_id, name=f"Synthetic workspace {number:05d}", created_at=created,
                display_color=_COLORS[number % len(_COLORS)],
                daily_mtok=0.5 + (number % 17) * 0.25, streams=tuple(streams),
                keys=tuple(key_shares), code_execution_seconds=600.0 if code else 0.0,
                weekend=0.6,
            )
        )
    return Organization(
        name=f"Synthetic org ({workspaces} workspaces)",
        profiles=tuple(profiles),
        api_keys=tuple(keys),
        seed=seed,
        revision=revision,
        late_workspace=profiles[0].id,
        late_key="apikey_01SYNTH0000000000LATE000",
        cache_days=4,
    )


def synthetic_analytics_organization(
    workspaces: int = 300,
    api_keys: int = 3000,
    users: int = 1500,
    seed: int = 0,
    revision: int = 0,
) -> Organization:
    """A large organization for the analytics benchmark, every day active.

    ``api_keys / workspaces`` keys per workspace, each workspace billing 17 cost rows a day
    (3 model x tier streams x 5 token types, web search, code execution). Odd-numbered keys
    are shared by the key itself (2/3) and one user (1/3), so with 3,000 keys each of 1,500
    users spends on one key; the first key of every tenth workspace acts as a service
    account; 1% of the users have been deleted (not listed, still in analytics rows).
    """
    if workspaces < 1 or api_keys < workspaces or api_keys % workspaces:
        raise ValueError("api_keys must be a positive multiple of workspaces")
    per_workspace = api_keys // workspaces
    base = synthetic_organization(workspaces, descriptions_per_workspace=17,
                                  api_keys_per_workspace=per_workspace, seed=seed, revision=revision)
    roles = ("developer", "user", "claude_code_user", "developer", "billing")
    people = tuple(
        UserInfo(f"user_01SYNTH{n:016d}", f"user{n:05d}@synthetic.example", f"Synthetic User {n:05d}",
                 roles[n % len(roles)], "2025-01-06T09:00:00Z", deleted=n % 100 == 99)
        for n in range(users)
    )
    accounts = tuple(ServiceAccountInfo(f"svac_01SYNTH{n:016d}", f"etl-{n:03d}")
                     for n in range(0, workspaces, 10))
    attributions: dict = {}
    shared = 0
    for profile in base.profiles:
        assert profile.id is not None  # a synthetic organization's workspaces all have IDs
        number = int(profile.id[len("wrkspc_01SYNTH"):])
        for position, (key_id, _share) in enumerate(profile.keys):
            if position == 0 and number % 10 == 0:
                attributions[(profile.id, key_id)] = (Attribution(f"svac_01SYNTH{number:016d}"),)
            elif position % 2 == 1 and users:
                user = people[shared % users]
                shared += 1
                attributions[(profile.id, key_id)] = (Attribution(key_id, 2), Attribution(user.id, 1))
    return replace(
        base,
        name=f"Synthetic analytics org ({workspaces} workspaces, {api_keys} keys, {users} users)",
        users=people,
        service_accounts=accounts,
        attributions=attributions,
        list_price_factors={OPUS_4_6.id: 125},
        cache_days=40,
        _cache=OrderedDict(),
        _lock=Lock(),
    )
