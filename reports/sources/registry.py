"""The sources by the config's ``source:`` name."""

from __future__ import annotations

from reports.core.settings import ANALYTICS, COST_REPORT, Settings
from reports.sources.base import Source


def source_for(name: str, settings: Settings | None = None) -> Source:
    """The source by name; ``settings`` adds what the config asks it to read besides the month (RBAC groups)."""
    if name == COST_REPORT:
        from reports.sources.cost_report import CostReportSource

        return CostReportSource()
    if name == ANALYTICS:
        from reports.sources.analytics import AnalyticsSource

        return AnalyticsSource(settings.groups if settings is not None else None)
    raise ValueError(f"unknown source {name!r}")
