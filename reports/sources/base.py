"""What every source gives the run: its queries for a month, and its pages read into records.

A source is one module (``cost_report`` for the legacy Admin API report, ``analytics`` for
the Usage and Cost Analytics API). Both run on the same client, snapshot, manifest, seal and
restatement machinery: the fetch only needs their ``Query`` list, and the core only sees the
``MonthData`` they read back from a snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from reports.core.aggregate import CostSums, UsageSums
from reports.core.months import Month
from reports.core.records import CostRow, Directory
from reports.core.report import Check

REPORT = "report"  # pages follow next_page until has_more is false
ANALYTICS_PAGES = "analytics_pages"  # the same, but has_more may be null: then next_page decides
LIST = "list"  # pages follow last_id until has_more is false

# The cost types this tool knows how to report; any other is included as reported, with a warning.
KNOWN_COST_TYPES = frozenset({"tokens", "web_search", "code_execution", "session_usage"})


@dataclass(frozen=True)
class Query:
    name: str  # file prefix and snapshot key, e.g. cost_report-2026-10
    endpoint: str  # path under /v1/organizations/
    params: dict[str, Any]
    kind: str = REPORT
    required: bool = True
    headers: Mapping[str, str] = field(default_factory=dict)  # e.g. a beta header


@dataclass(frozen=True)
class MonthData:
    """A month read from a snapshot: this month's cost rows, the prior month's sums, the names."""

    cost_rows: Sequence[CostRow]  # this month, in API order: the Line Items
    prior_cost: CostSums | None  # None when the prior month could not be had
    usage: UsageSums | None  # None when this month's usage could not be had
    prior_usage_available: bool
    directory: Directory
    days_with_data: set[date] | None = None  # days the API returned a bucket for (bucketed sources)
    unknown_cost_types: tuple[str, ...] = ()
    daily_cents: dict[date, Decimal] | None = None  # spend by day from a query that gives it
    prior_daily_cents: dict[date, Decimal] | None = None
    checks: tuple[Check, ...] = ()  # the source's own reconciliation checks
    notes: tuple[str, ...] = ()  # what a reader should know about this source's figures
    data_refreshed_at: datetime | None = None


class Source(Protocol):
    """One API's way of reporting a month."""

    name: str  # the config's `source:` value

    def queries(self, month: Month) -> list[Query]:
        """Every query the month needs, the prior month's included."""
        ...

    def read(self, snapshot: Any, month: Month) -> MonthData:
        """Read a complete snapshot of ``queries(month)`` into records (DataError on bad rows)."""
        ...
