"""The sources by the config's ``source:`` name."""

from __future__ import annotations

from reports.core.settings import ANALYTICS, COST_REPORT
from reports.sources.base import Source


def source_for(name: str) -> Source:
    if name == COST_REPORT:
        from reports.sources.cost_report import CostReportSource

        return CostReportSource()
    if name == ANALYTICS:
        from reports.sources.analytics import AnalyticsSource

        return AnalyticsSource()
    raise ValueError(f"unknown source {name!r}")
