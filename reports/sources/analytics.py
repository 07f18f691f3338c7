"""The Usage and Cost Analytics API source (beta): cost and usage by workspace, API key and actor.

Its queries for a month and what it makes of their pages (the rows themselves are read in
``analytics_pages``; analytics-api.md beside the SPEC has the facts, its "Traps" shaped both):

* the month's cost and usage come as **one row per combination over the whole month** (no
  time bucket): cost grouped by workspace, API key, actor, model and product (the API allows
  five dimensions besides ``cost_type`` and ``token_type``), so a month of thousands of keys
  and users stays a few hundred thousand rows instead of thirty times that; the daily chart
  comes from a second, ungrouped query with ``time_bucket_width=1d``, and the two totals must
  agree to the cent;
* usage is read twice: by service tier (the Usage sheet, Priority Tier tokens, tokens per payer)
  and by product (each cost row's quantity: the cost rows carry a product, not a tier);
* ``amount`` is after discounts and before credits, ``list_amount`` the list price; both are
  fractional cents, parsed exactly;
* rows with a null model, a null actor, repeated all-null group keys and ``session_usage``
  cost are real money: each is kept as its own line item and summed, never overwritten;
* the Default workspace has a real ID here (found as the workspace the listing returns only
  with ``include_default``); a null workspace is usage outside any workspace;
* the legacy cost report's total for the same month is read too, for a cross-check.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from reports.core.checks import Check, Figure, FigureKind, Status
from reports.core.groups import GroupSettings
from reports.core.money import ZERO, cents_to_dollars
from reports.core.money_text import money_text
from reports.core.month_data import MonthData
from reports.core.months import Month, rfc3339
from reports.core.report import SourceProfile
from reports.core.settings import ANALYTICS
from reports.core.sums import sum_costs, sum_usage
from reports.errors import DataError, UsageError
from reports.sources.analytics_groups import (
    configured_groups,
    group_data,
    group_note,
    group_queries,
    member_queries,
)
from reports.sources.analytics_pages import cost_rows, daily_cents, directory, usage_rows
from reports.sources.base import ANALYTICS_PAGES, LIST, REPORT, Query
from reports.sources.cost_report import cost_rows as legacy_cost_rows

BETA = "analytics-usage-cost-2026-08-24"
API_VERSION = "2026-10-21"  # what the official SDK 2.10.0 sends
HEADERS = {"anthropic-beta": BETA, "anthropic-version": API_VERSION}
FLOOR = datetime(2026, 1, 1, tzinfo=UTC)  # "no earlier than 2026-01-01T00:00:00Z"
LOOKBACK = timedelta(days=365)  # "within the last 365 days"
PAGE_ROWS = 1000  # the API's maximum rows per page

COST_ENDPOINT = "analytics/cost"
USAGE_ENDPOINT = "analytics/usage"
# At most five dimensions besides cost_type/token_type: the rules need workspace, key and
# actor; model is what finance asks about next, and product decides the expense account
# (config products:). Service tier moved out of the cost query to make room for product: the
# usage query keeps it (Priority Tier tokens stay exact, the Usage sheet keeps its tiers), and
# a second usage query by product gives each cost row its quantity. context_window is left out
# (its Line Items column stays empty, as Service Tier now does; a note says why).
DIMENSIONS = ["workspace_id", "api_key_id", "actor", "model", "product"]
COST_GROUPS = DIMENSIONS + ["cost_type", "token_type"]
USAGE_TIER_GROUPS = ["workspace_id", "api_key_id", "actor", "model", "service_tier"]
# The prior month is only compared (per cost center, model and cost type), never listed row by
# row: the SPEC's grouping (workspace, key, actor, model, cost and token type) without the
# service tier, which the comparison does not need, is fewer rows to read.
PRIOR_GROUPS = ["workspace_id", "api_key_id", "actor", "model", "cost_type", "token_type"]


def cost_query(month: Month) -> str:
    return f"analytics_cost-{month}"


def daily_query(month: Month) -> str:
    return f"analytics_cost_daily-{month}"


def usage_query(month: Month) -> str:
    return f"analytics_usage-{month}"


def usage_product_query(month: Month) -> str:
    return f"analytics_usage_product-{month}"


def legacy_total_query(month: Month) -> str:
    return f"cost_report_total-{month}"


def reachable(month: Month) -> bool:
    """Whether the analytics API has the month at all (its data starts on 2026-01-01)."""
    return month.start >= FLOOR


def check_lookback(month: Month, now: datetime) -> None:
    """Refuse, before any request, a month the API would refuse (exit 2 with what to do instead)."""
    if not reachable(month):
        raise UsageError(f"{month} is before 2026-01-01, where the Usage and Cost Analytics API's data starts; "
                         "report it with source: cost_report")
    oldest = now - LOOKBACK
    prior = month.prior()
    if month.start < oldest or (reachable(prior) and prior.start < oldest):
        raise UsageError(f"the Usage and Cost Analytics API serves only the last 365 days (from {oldest:%Y-%m-%d}); "
                         f"{month} and its prior month cannot both be read: report it with source: cost_report")


def _window(month: Month) -> dict[str, Any]:
    return {"starting_at": rfc3339(month.start), "ending_at": rfc3339(month.end)}


def month_queries(month: Month) -> list[Query]:
    prior = month.prior()

    def cost(m: Month, groups: list[str]) -> list[Query]:
        return [
            Query(cost_query(m), COST_ENDPOINT, {**_window(m), "group_by[]": groups, "limit": PAGE_ROWS},
                  ANALYTICS_PAGES, True, HEADERS),
            # the daily spend for the chart: no grouping, one row per day with spend
            Query(daily_query(m), COST_ENDPOINT, {**_window(m), "time_bucket_width": "1d", "limit": PAGE_ROWS},
                  ANALYTICS_PAGES, True, HEADERS),
        ]

    queries = cost(month, COST_GROUPS)
    queries.append(Query(usage_query(month), USAGE_ENDPOINT, {**_window(month), "group_by[]": USAGE_TIER_GROUPS,
                                                              "limit": PAGE_ROWS}, ANALYTICS_PAGES, True, HEADERS))
    # the same usage by product: the cost rows' grain, for each Line Item's (and FOCUS row's) quantity
    queries.append(Query(usage_product_query(month), USAGE_ENDPOINT, {**_window(month), "group_by[]": DIMENSIONS,
                                                                      "limit": PAGE_ROWS}, ANALYTICS_PAGES, True,
                         HEADERS))
    if reachable(prior):  # a January 2026 has no prior month in this API
        queries += cost(prior, PRIOR_GROUPS)
        queries.append(Query(usage_query(prior), USAGE_ENDPOINT, {**_window(prior), "group_by[]": USAGE_TIER_GROUPS,
                                                                  "limit": PAGE_ROWS}, ANALYTICS_PAGES, False,
                             HEADERS))
    queries += [
        # the legacy report's total, only to cross-check the two APIs (optional)
        Query(legacy_total_query(month), "cost_report",
              {**_window(month), "bucket_width": "1d", "limit": 31}, REPORT, required=False),
        Query("workspaces", "workspaces", {"include_archived": "true", "limit": 1000}, LIST),
        Query("workspaces_with_default", "workspaces",
              {"include_archived": "true", "include_default": "true", "limit": 1000}, LIST),
        Query("api_keys", "api_keys", {"limit": 1000}, LIST),
        Query("users", "users", {"limit": 1000}, LIST),
    ]
    return queries


# Rows by workspace, API key and actor over the whole month (no time bucket), with data_refreshed_at;
# whatever Priority Tier cost it reports is in the amounts.
PROFILE = SourceProfile(ANALYTICS, "Usage and Cost Analytics API", attribution=True, whole_month_rows=True,
                        refreshed_at=True, priority_tier_included=True)


class AnalyticsSource:
    """``source: analytics``; with ``groups`` (the config's RBAC group rules) it reads the groups as well."""

    name = ANALYTICS

    def __init__(self, groups: GroupSettings | None = None):
        self.groups = groups

    def queries(self, month: Month) -> list[Query]:
        queries = month_queries(month)
        if self.groups is not None:
            prior = month.prior() if reachable(month.prior()) else None
            queries += group_queries(month, prior, PAGE_ROWS, HEADERS, COST_ENDPOINT)
        return queries

    def follow_up(self, month: Month, pages: Any) -> list[Query]:
        """Each configured group's members: the groups' IDs are known once their list is read."""
        if self.groups is None:
            return []
        return member_queries(configured_groups(self.groups, pages), PAGE_ROWS)

    def read(self, snapshot: Any, month: Month) -> MonthData:
        prior = month.prior()
        names = directory(snapshot.pages("workspaces"), snapshot.pages("workspaces_with_default"),
                          snapshot.pages("api_keys"), snapshot.pages("users"))
        unknown: set[str] = set()
        refreshed: list[datetime] = []
        current = tuple(cost_rows(snapshot.pages(cost_query(month)), month, names, unknown, refreshed))
        daily = daily_cents(snapshot.pages(daily_query(month)), month, refreshed)
        usage = sum_usage(usage_rows(snapshot.pages(usage_query(month)), month, names, refreshed),
                          joined=usage_rows(snapshot.pages(usage_product_query(month)), month, names, refreshed))
        prior_cost = prior_daily = None
        prior_usage_available = False
        if reachable(prior):
            prior_cost = sum_costs(cost_rows(snapshot.pages(cost_query(prior)), prior, names, unknown, []))
            prior_daily = daily_cents(snapshot.pages(daily_query(prior)), prior, [])
            prior_usage_available = usage_query(prior) not in snapshot.unavailable
        total = sum((row.amount_cents for row in current), ZERO)
        checks = [_daily_check(total, daily)]
        notes = list(analytics_notes(min(refreshed) if refreshed else None))
        legacy, unreadable = _legacy_total(snapshot, month)
        if legacy is not None:
            checks.append(_legacy_check(total, legacy))
        else:
            notes.append(f"The legacy cost report's total for {month} could not be read{unreadable}, so the two "
                         "APIs were not cross-checked.")
        if not reachable(prior):
            notes.append(f"The analytics API has no data before 2026-01-01, so {prior} is not compared.")
        if self.groups is not None:
            notes.append(group_note(self.groups))
        return MonthData(
            profile=PROFILE, cost_rows=current, prior_cost=prior_cost, usage=usage,
            prior_usage_available=prior_usage_available,
            directory=names, unknown_cost_types=tuple(sorted(unknown)), daily_cents=daily,
            prior_daily_cents=prior_daily, checks=tuple(checks), notes=tuple(notes),
            data_refreshed_at=min(refreshed) if refreshed else None,
            groups=group_data(self.groups, snapshot.pages, month, prior if reachable(prior) else None)
            if self.groups is not None else None,
        )


def _legacy_total(snapshot: Any, month: Month) -> tuple[Decimal | None, str]:
    """The legacy report's total in cents, or None and why not: a cross-check that cannot be read is a note.

    The month is charged back from the analytics pages alone, so a legacy page that is missing or
    malformed must not stop it (SPEC: the cross-check is a note when it cannot be read).
    """
    if not snapshot.has(legacy_total_query(month)):
        return None, ""
    try:
        return sum((row.amount_cents for row in legacy_cost_rows(
            snapshot.pages(legacy_total_query(month)), month)), ZERO), ""
    except DataError as exc:
        return None, f" ({exc})"


def analytics_notes(refreshed_at: datetime | None) -> tuple[str, ...]:
    freshness = (f"The API says its data was refreshed at {refreshed_at:%Y-%m-%d %H:%M:%S} UTC (data_refreshed_at). "
                 if refreshed_at else "")
    return (
        "Amounts come from the Usage and Cost Analytics API (beta) in cents and are exact: amount is after "
        "negotiated discounts and before credits, list_amount is the list price. Rounding to the cent happens "
        "once, for the journal and the summary (largest remainder, half-up month total).",
        f"{freshness}Values can still be revised as late events arrive (for up to 30 days, as Anthropic says of "
        "its analytics reports); run --restate later to take them in.",
        "Each row is attributed to its user or service account, else the directory file, else the user's RBAC "
        "group (those two where configured), else its API key, else its workspace, else the Default workspace's "
        "owner, else the unallocated cost center.",
        "Context window and service tier are not in the month's cost grouping (the API allows five dimensions "
        "besides cost and token type; workspace, API key, actor, model and product are used), so those Line Items "
        "columns are empty; the Usage sheet and the Priority Tier tokens come from usage grouped by service tier.",
        "Service accounts are shown by ID: their names can be listed only with an OAuth token, not an Admin key.",
    )


def _daily_check(total: Decimal, daily: dict[date, Decimal]) -> Check:
    days = sum(daily.values(), ZERO)
    return Check("Daily spend adds up to the month's cost rows (cents)", Figure(total, FigureKind.CENTS),
                 Figure(days, FigureKind.CENTS), Status.PASS
                 if days == total else Status.FAIL, "the daily chart's query against the month's grouped query"
                 if days == total else "the API's two answers differ (data refreshed between them?): run again")


def _legacy_check(total: Decimal, legacy: Decimal) -> Check:
    def exact(amount: Decimal) -> Figure:
        return Figure(amount, FigureKind.EXACT)

    analytics_usd, legacy_usd = cents_to_dollars(total), cents_to_dollars(legacy)
    if total == legacy:
        return Check("Legacy cost report total agrees (cross-check)", exact(legacy_usd), exact(analytics_usd),
                     Status.PASS)
    return Check("Legacy cost report total agrees (cross-check)", exact(legacy_usd), exact(analytics_usd), Status.WARN,
                 f"the analytics API reports {money_text(analytics_usd)} and the legacy cost report "
                 f"{money_text(legacy_usd)} ({money_text(analytics_usd - legacy_usd, signed=True)}); the legacy "
                 "report leaves out Priority Tier and Managed Agents session cost, and either may hold late data "
                 "the other does not yet")
