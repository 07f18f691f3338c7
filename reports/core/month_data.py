"""A month as a source gives it to the core: its rows, the prior month's sums, the names. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from reports.core.checks import Check
from reports.core.groups import GroupData
from reports.core.records import CostRow, Directory
from reports.core.report import SourceProfile
from reports.core.sums import CostSums, UsageSums


@dataclass(frozen=True)
class MonthData:
    """A month as a source gives it to the core: this month's cost rows, the prior month's sums, the names."""

    profile: SourceProfile  # what the source's figures carry
    cost_rows: Sequence[CostRow]  # this month, in API order: the Line Items
    prior_cost: CostSums | None  # None when the prior month could not be had
    usage: UsageSums | None  # None when this month's usage could not be had
    prior_usage_available: bool  # only whether it could be had is reported; it is shown nowhere
    directory: Directory
    days_with_data: set[date] | None = None  # days the API returned a bucket for (bucketed sources)
    unknown_cost_types: tuple[str, ...] = ()
    daily_cents: dict[date, Decimal] | None = None  # spend by day from a query that gives it
    prior_daily_cents: dict[date, Decimal] | None = None
    checks: tuple[Check, ...] = ()  # the source's own reconciliation checks
    notes: tuple[str, ...] = ()  # what a reader should know about this source's figures
    data_refreshed_at: datetime | None = None
    groups: GroupData | None = None  # the RBAC groups read (only when groups: is configured)
