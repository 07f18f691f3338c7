"""Frozen records of normalized API data: who spent (attribution), cost and usage rows, names for IDs.

Amounts named ``*_cents`` are exact Decimal cents as the API sent them; every other amount
is Decimal US dollars. Every source (the legacy cost report, the analytics API) reads its
pages into these records, so allocation and the outputs do not know which API a row came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

DEFAULT_WORKSPACE_NAME = "Default workspace"
NO_WORKSPACE_NAME = "No workspace"  # analytics usage outside any workspace (e.g. Claude Enterprise seats)
NO_API_KEY_NAME = "Console / Workbench"

# Actor kinds (the analytics API's actor types, without the "_actor" suffix)
USER = "user"
SERVICE_ACCOUNT = "service_account"
API_KEY = "api_key"
FEDERATED = "federated"


@dataclass(frozen=True, slots=True)
class Actor:
    """The identity a row's usage is attributed to (analytics source only)."""

    kind: str  # USER | SERVICE_ACCOUNT | API_KEY | FEDERATED
    id: str | None  # user_…, svac_…, apikey_…, or a federated subject (may be None)
    email: str | None = None  # users: the email the row carries
    name: str | None = None
    deleted: bool = False

    @property
    def label(self) -> str:
        """How the outputs name it: a user's email, else a name, else the ID."""
        return self.email or self.name or self.id or f"unnamed {self.kind.replace('_', ' ')}"


@dataclass(frozen=True, slots=True)
class Attribution:
    """Who a cost row belongs to, as far as the source can say.

    The legacy cost report knows only the workspace (``None`` is the Default workspace
    there); the analytics API adds the API key that authenticated the request and the actor
    (user, service account, …). Rows with the same attribution are the same payer.
    """

    workspace_id: str | None
    default_workspace: bool = False  # the organization's Default workspace
    api_key_id: str | None = None
    actor: Actor | None = None
    _hash: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        # Every cost row is summed by its payer: hash the four fields once, not per row.
        object.__setattr__(self, "_hash", hash((self.workspace_id, self.default_workspace, self.api_key_id,
                                                self.actor)))

    def __hash__(self) -> int:
        return self._hash


@dataclass(frozen=True, slots=True, kw_only=True)  # by keyword: eight of its fields are str | None
class CostRow:
    """One cost result row the API returned (legacy: day x workspace x description)."""

    day: date
    attribution: Attribution
    description: str | None
    cost_type: str | None
    model: str | None
    token_type: str | None
    service_tier: str | None
    context_window: str | None
    amount_cents: Decimal
    list_amount_cents: Decimal | None = None  # analytics: the list price before discounts
    product: str | None = None  # analytics: the product surface (claude_code, messages_api, …); legacy: none

    @property
    def workspace_id(self) -> str | None:
        return self.attribution.workspace_id


# The cost reports' token_type values, and the usage counter each one is billed on.
TOKEN_TYPE_FIELDS = {
    "uncached_input_tokens": "uncached_input",
    "cache_creation.ephemeral_5m_input_tokens": "cache_write_5m",
    "cache_creation.ephemeral_1h_input_tokens": "cache_write_1h",
    "cache_read_input_tokens": "cache_read",
    "output_tokens": "output",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenCounts:
    uncached_input: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    cache_read: int = 0
    output: int = 0
    web_searches: int = 0

    @classmethod
    def of(cls, counts: Sequence[int]) -> TokenCounts:
        """Counts in field order (uncached input … web searches), as the usage sums keep them."""
        (uncached_input, cache_write_5m, cache_write_1h, cache_read, output, web_searches) = counts
        return cls(uncached_input=uncached_input, cache_write_5m=cache_write_5m, cache_write_1h=cache_write_1h,
                   cache_read=cache_read, output=output, web_searches=web_searches)

    def __add__(self, other: TokenCounts) -> TokenCounts:
        return TokenCounts(
            uncached_input=self.uncached_input + other.uncached_input,
            cache_write_5m=self.cache_write_5m + other.cache_write_5m,
            cache_write_1h=self.cache_write_1h + other.cache_write_1h,
            cache_read=self.cache_read + other.cache_read,
            output=self.output + other.output,
            web_searches=self.web_searches + other.web_searches,
        )

    def of_type(self, token_type: str | None) -> int | None:
        """The count of one of the API's token types (a cost row's ``token_type``); None for any other."""
        field_name = TOKEN_TYPE_FIELDS.get(token_type) if token_type is not None else None
        return None if field_name is None else getattr(self, field_name)

    @property
    def input_total(self) -> int:
        return self.uncached_input + self.cache_write_5m + self.cache_write_1h + self.cache_read

    @property
    def cache_hit_rate(self) -> Decimal | None:
        """Cache reads as a fraction of all input tokens; None when there was no input."""
        if self.input_total == 0:
            return None
        return Decimal(self.cache_read) / Decimal(self.input_total)


@dataclass(frozen=True, slots=True, kw_only=True)
class UsageRow:
    """One usage result row (legacy: day x workspace x key x model x tier x window)."""

    day: date
    attribution: Attribution
    model: str | None
    service_tier: str | None
    context_window: str | None
    tokens: TokenCounts
    product: str | None = None  # analytics: the product surface, when the query groups by it

    @property
    def workspace_id(self) -> str | None:
        return self.attribution.workspace_id

    @property
    def api_key_id(self) -> str | None:  # None for Console/Workbench traffic
        return self.attribution.api_key_id


@dataclass(frozen=True, slots=True)
class Workspace:
    id: str
    name: str
    archived_at: str | None = None


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    name: str
    workspace_id: str | None = None


@dataclass(frozen=True, slots=True)
class User:
    id: str
    email: str | None
    name: str | None = None


@dataclass(frozen=True)
class Directory:
    """Names for IDs, from the workspaces, api_keys and users listings."""

    workspaces: dict[str, Workspace] = field(default_factory=dict)
    api_keys: dict[str, ApiKey] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    # The legacy reports write the Default workspace as null; the analytics API gives it a
    # real ID and uses null for usage outside any workspace.
    null_workspace_is_default: bool = True
    default_workspace_id: str | None = None

    def is_default(self, workspace_id: str | None) -> bool:
        if workspace_id is None:
            return self.null_workspace_is_default
        return workspace_id == self.default_workspace_id

    def workspace_name(self, workspace_id: str | None) -> str:
        if self.is_default(workspace_id):
            return DEFAULT_WORKSPACE_NAME
        if workspace_id is None:
            return NO_WORKSPACE_NAME
        found = self.workspaces.get(workspace_id)
        return found.name if found else workspace_id

    def api_key_name(self, api_key_id: str | None) -> str:
        if api_key_id is None:
            return NO_API_KEY_NAME
        found = self.api_keys.get(api_key_id)
        return found.name if found else api_key_id

    def actor_label(self, actor: Actor | None) -> str:
        """A user by email (from the row, else the users listing); a service account or key by its ID."""
        if actor is None:
            return ""
        if actor.kind == USER and not actor.email and actor.id in self.users:
            return self.users[actor.id].email or self.users[actor.id].name or actor.label
        if actor.kind in (SERVICE_ACCOUNT, API_KEY) and actor.id is not None:
            return actor.id
        return actor.label
