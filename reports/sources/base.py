"""What every source gives the run: its queries for a month, and its pages read into records.

A source is one module (``cost_report`` for the legacy Admin API report, ``analytics`` for
the Usage and Cost Analytics API). Both run on the same client, snapshot, manifest, seal and
restatement machinery: the fetch only needs their ``Query`` list, and the core only sees the
core's ``MonthData`` they read back from a snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from reports.core.month_data import MonthData
from reports.core.months import Month
from reports.core.settings import SourceName

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
    refused: str = ""  # what a refusal (a 4xx) of this query means, said instead of the bare HTTP error


class Source(Protocol):
    """One API's way of reporting a month."""

    name: SourceName  # the config's `source:` value

    def queries(self, month: Month) -> list[Query]:
        """Every query the month needs, the prior month's included."""
        ...

    def follow_up(self, month: Month, pages: Any) -> list[Query]:
        """The queries that depend on pages of ``queries(month)`` (``pages(query)`` reads them): a second phase."""
        ...

    def read(self, snapshot: Any, month: Month) -> MonthData:
        """Read a complete snapshot of ``queries(month)`` and ``follow_up`` into records (DataError on bad rows)."""
        ...
