"""Frozen records of normalized API data: cost and usage rows, token counts, names for IDs.

Amounts named ``*_cents`` are exact Decimal cents as the API sent them; every other amount
is Decimal US dollars.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

DEFAULT_WORKSPACE_NAME = "Default workspace"


@dataclass(frozen=True, slots=True)
class CostRow:
    """One cost_report result row (day x workspace x description)."""

    day: date
    workspace_id: str | None  # None is the Default workspace
    description: str | None
    cost_type: str | None
    model: str | None
    token_type: str | None
    service_tier: str | None
    context_window: str | None
    amount_cents: Decimal


@dataclass(frozen=True, slots=True)
class TokenCounts:
    uncached_input: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    cache_read: int = 0
    output: int = 0
    web_searches: int = 0

    def __add__(self, other: "TokenCounts") -> "TokenCounts":
        return TokenCounts(
            self.uncached_input + other.uncached_input,
            self.cache_write_5m + other.cache_write_5m,
            self.cache_write_1h + other.cache_write_1h,
            self.cache_read + other.cache_read,
            self.output + other.output,
            self.web_searches + other.web_searches,
        )

    @property
    def input_total(self) -> int:
        return self.uncached_input + self.cache_write_5m + self.cache_write_1h + self.cache_read

    @property
    def cache_hit_rate(self) -> Decimal | None:
        """Cache reads as a fraction of all input tokens; None when there was no input."""
        if self.input_total == 0:
            return None
        return Decimal(self.cache_read) / Decimal(self.input_total)


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One usage_report/messages result row (day x workspace x key x model x tier x window)."""

    day: date
    workspace_id: str | None
    api_key_id: str | None  # None for Console/Workbench traffic
    model: str | None
    service_tier: str | None
    context_window: str | None
    tokens: TokenCounts


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


@dataclass(frozen=True)
class Directory:
    """Names for IDs, from the workspaces and api_keys listings."""

    workspaces: dict[str, Workspace] = field(default_factory=dict)
    api_keys: dict[str, ApiKey] = field(default_factory=dict)

    def workspace_name(self, workspace_id: str | None) -> str:
        if workspace_id is None:
            return DEFAULT_WORKSPACE_NAME
        found = self.workspaces.get(workspace_id)
        return found.name if found else workspace_id

    def api_key_name(self, api_key_id: str | None) -> str:
        if api_key_id is None:
            return "Console / Workbench"
        found = self.api_keys.get(api_key_id)
        return found.name if found else api_key_id
