"""The simulator's catalog: price units, models and prices, cost descriptions, the parts of an organization.

Everything here is plain data shared by the legacy generator (``organization.py``), the
analytics view (``attribution.py``) and the organizations built from it (``demo.py``,
``synthetic.py``); it imports nothing else of the simulator. Amounts are integers in units
of 1e-7 cent (``UNITS_PER_CENT``) so sums are exact and formatting is cheap.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

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


# ---------------------------------------------------------------- who spends (the analytics view)


@dataclass(frozen=True)
class UserInfo:
    """A Console user; a deleted one is no longer listed but keeps its email in analytics rows."""

    id: str
    email: str
    name: str
    role: str = "developer"
    added_at: str = "2025-01-06T09:00:00Z"
    deleted: bool = False


@dataclass(frozen=True)
class ServiceAccountInfo:
    """A service account (``svac_``); an Admin key cannot list its name (analytics-api.md §3.4)."""

    id: str
    name: str


@dataclass(frozen=True)
class RbacGroupInfo:
    """An RBAC group of a Claude Enterprise organization (names are not unique, as in the API)."""

    id: str  # rbac_group_…
    name: str
    source_type: str = "direct"  # direct | scim
    created_at: str = "2025-01-06T09:00:00Z"


@dataclass(frozen=True)
class RbacMembership:
    """A user in a group from ``since`` (inclusive) until ``until`` (exclusive) UTC days; None: open.

    The analytics API attributes usage by membership on the day it happened; the members
    listing shows only the current members (those without an ``until``).
    """

    user_id: str
    group_id: str
    since: date | None = None
    until: date | None = None

    def on(self, day: date) -> bool:
        return (self.since is None or self.since <= day) and (self.until is None or day < self.until)


@dataclass(frozen=True)
class FederatedIdentity:
    """A workload-identity-federated caller, named ``fed:<ref>`` in attribution plans."""

    ref: str
    provider: tuple[tuple[str, str], ...]  # e.g. (("type", "aws"), ("account_id", ...), ...)
    subject: str | None = None


@dataclass(frozen=True)
class Attribution:
    """One share of a (workspace, key) usage stream: who it is attributed to, by integer weight.

    ``actor`` is a ``user_``/``svac_``/``apikey_`` ID, ``fed:<ref>``, ``null:<n>`` (a distinct
    identity the server cannot render: its own row, reading null) or None (no identity).
    """

    actor: str | None
    weight: int = 1
    product: str | None = None  # None: messages_api (message_batches_api on the batch tier)


@dataclass(frozen=True)
class SessionSpend:
    """Managed Agents session time billed to a workspace key every active day (analytics only)."""

    workspace_id: str | None
    api_key_id: str | None
    actor: str | None
    seconds_per_day: int


# ---------------------------------------------------------------- amounts and identifiers


def units_to_cents(units: int) -> Decimal:
    return Decimal(units).scaleb(UNIT_SCALE)


def format_units(units: int) -> str:
    """Cents as the API writes them: a decimal string, fractional cents, no trailing zeros."""
    whole, fraction = divmod(units, UNITS_PER_CENT)
    if not fraction:
        return str(whole)
    return f"{whole}.{fraction:07d}".rstrip("0")


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58(number: int, length: int = 22) -> str:
    """The low ``length`` base-58 digits of ``number``, least significant first (the API's ID alphabet)."""
    chars = []
    for _ in range(length):
        number, rest = divmod(number, 58)
        chars.append(_B58[rest])
    return "".join(chars)


def fake_id(prefix: str, text: str) -> str:
    """An ID of the API's shape (``prefix`` + ``01`` + 22 base-58 characters), derived from ``text``."""
    return prefix + "01" + base58(int.from_bytes(hashlib.sha256(text.encode()).digest(), "big"))


def key_hint(key_id: str) -> str:
    """The ``partial_key_hint`` the API lists for a key."""
    tail = key_id[-7:]
    return f"sk-ant-api03-{tail[:3]}...{tail[3:]}"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


COLORS = ("#6C5BB9", "#D97757", "#2E7D6B", "#3B6FB6", "#B8860B", "#8E44AD", "#C0392B")  # workspace display colors
