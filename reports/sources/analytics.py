"""The Usage and Cost Analytics API source (beta): cost and usage by workspace, API key and actor.

Its queries for a month, and its snapshot pages read into records (analytics-api.md beside
the SPEC has the facts; its "Traps" shaped what is done here):

* the month's cost and usage come as **one row per combination over the whole month** (no
  time bucket): grouped by workspace, API key, actor, model and service tier (the API allows
  five dimensions besides ``cost_type`` and ``token_type``), so a month of thousands of keys
  and users stays a few hundred thousand rows instead of thirty times that; the daily chart
  comes from a second, ungrouped query with ``time_bucket_width=1d``, and the two totals must
  agree to the cent;
* ``amount`` is after discounts and before credits, ``list_amount`` the list price; both are
  fractional cents, parsed exactly;
* rows with a null model, a null actor, repeated all-null group keys and ``session_usage``
  cost are real money: each is kept as its own line item and summed, never overwritten;
* the Default workspace has a real ID here (found as the workspace the listing returns only
  with ``include_default``); a null workspace is usage outside any workspace;
* the legacy cost report's total for the same month is read too, for a cross-check.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from reports.core.checks import Check, Figure, FigureKind, Status
from reports.core.money import ZERO, AmountError, cents_to_dollars, parse_cost_cents
from reports.core.money_text import money_text
from reports.core.month_data import MonthData
from reports.core.months import Month, parse_rfc3339, rfc3339
from reports.core.records import (
    API_KEY,
    FEDERATED,
    SERVICE_ACCOUNT,
    USER,
    Actor,
    Attribution,
    CostRow,
    Directory,
    TokenCounts,
    UsageRow,
)
from reports.core.report import SourceProfile
from reports.core.settings import ANALYTICS
from reports.core.sums import sum_costs, sum_usage
from reports.errors import DataError, UsageError
from reports.sources import pages as listing
from reports.sources.base import ANALYTICS_PAGES, KNOWN_COST_TYPES, LIST, REPORT, Query
from reports.sources.cost_report import cost_rows as legacy_cost_rows
from reports.sources.pages import RawPage, Where, count, shown, text_or_null

BETA = "analytics-usage-cost-2026-08-24"
API_VERSION = "2026-10-21"  # what the official SDK 2.10.0 sends
HEADERS = {"anthropic-beta": BETA, "anthropic-version": API_VERSION}
FLOOR = datetime(2026, 1, 1, tzinfo=UTC)  # "no earlier than 2026-01-01T00:00:00Z"
LOOKBACK = timedelta(days=365)  # "within the last 365 days"
PAGE_ROWS = 1000  # the API's maximum rows per page

COST_ENDPOINT = "analytics/cost"
USAGE_ENDPOINT = "analytics/usage"
# At most five dimensions besides cost_type/token_type: the rules need workspace, key and
# actor; model and service tier are what finance asks about next. context_window is left out
# (its Line Items column stays empty; a note says why).
DIMENSIONS = ["workspace_id", "api_key_id", "actor", "model", "service_tier"]
COST_GROUPS = DIMENSIONS + ["cost_type", "token_type"]
# The prior month is only compared (per cost center, model and cost type), never listed row by
# row: the SPEC's grouping (workspace, key, actor, model, cost and token type) without the
# service tier, which the comparison does not need, is fewer rows to read.
PRIOR_GROUPS = ["workspace_id", "api_key_id", "actor", "model", "cost_type", "token_type"]
_ACTOR_KINDS = {"user_actor": USER, "service_account_actor": SERVICE_ACCOUNT, "api_actor": API_KEY,
                "federated_actor": FEDERATED}


def cost_query(month: Month) -> str:
    return f"analytics_cost-{month}"


def daily_query(month: Month) -> str:
    return f"analytics_cost_daily-{month}"


def usage_query(month: Month) -> str:
    return f"analytics_usage-{month}"


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
    queries.append(Query(usage_query(month), USAGE_ENDPOINT, {**_window(month), "group_by[]": DIMENSIONS,
                                                              "limit": PAGE_ROWS}, ANALYTICS_PAGES, True, HEADERS))
    if reachable(prior):  # a January 2026 has no prior month in this API
        queries += cost(prior, PRIOR_GROUPS)
        queries.append(Query(usage_query(prior), USAGE_ENDPOINT, {**_window(prior), "group_by[]": DIMENSIONS,
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
    """``source: analytics``."""

    name = ANALYTICS

    def queries(self, month: Month) -> list[Query]:
        return month_queries(month)

    def read(self, snapshot: Any, month: Month) -> MonthData:
        prior = month.prior()
        names = directory(snapshot.pages("workspaces"), snapshot.pages("workspaces_with_default"),
                          snapshot.pages("api_keys"), snapshot.pages("users"))
        unknown: set[str] = set()
        refreshed: list[datetime] = []
        current = tuple(cost_rows(snapshot.pages(cost_query(month)), month, names, unknown, refreshed))
        daily = daily_cents(snapshot.pages(daily_query(month)), month, refreshed)
        usage = sum_usage(usage_rows(snapshot.pages(usage_query(month)), month, names, refreshed))
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
        return MonthData(
            profile=PROFILE, cost_rows=current, prior_cost=prior_cost, usage=usage,
            prior_usage_available=prior_usage_available,
            directory=names, unknown_cost_types=tuple(sorted(unknown)), daily_cents=daily,
            prior_daily_cents=prior_daily, checks=tuple(checks), notes=tuple(notes),
            data_refreshed_at=min(refreshed) if refreshed else None,
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
        "Each row is attributed to its user or service account, else its API key, else its workspace, else the "
        "Default workspace's owner, else the unallocated cost center.",
        "Context window is not in the month's grouping (the API allows five dimensions besides cost and token "
        "type; workspace, API key, actor, model and service tier are used), so that Line Items column is empty.",
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


# ---------------------------------------------------------------- reading pages


def directory(workspace_pages: Iterable[RawPage], with_default_pages: Iterable[RawPage],
              api_key_pages: Iterable[RawPage], user_pages: Iterable[RawPage]) -> Directory:
    """Names for IDs; the Default workspace is the one listed only with ``include_default``."""
    listed = listing.workspaces(workspace_pages)
    everything = listing.workspaces(with_default_pages)
    extra = sorted(set(everything) - set(listed))
    return Directory(workspaces={**everything}, api_keys=listing.api_keys(api_key_pages),
                     users=listing.users(user_pages), null_workspace_is_default=False,
                     default_workspace_id=extra[0] if len(extra) == 1 else None)


class _Periods:
    """Each distinct (starting_at, ending_at) checked once: a month's rows repeat the same few."""

    def __init__(self, month: Month):
        self.month = month
        self.known: dict[tuple, date] = {}

    def day(self, row: dict, where: Where, index: int) -> date:
        """The row's first day; fails unless its period lies in the month."""
        key = (row.get("starting_at"), row.get("ending_at"))
        if type(key[0]) is not str or type(key[1]) is not str:
            raise where.error(f"the row's starting_at/ending_at ({shown(key[0])}, {shown(key[1])}) is not an "
                              "RFC 3339 period", row=index)
        found = self.known.get(key)
        if found is not None:
            return found
        label = key[0]
        try:
            start, end = parse_rfc3339(key[0]), parse_rfc3339(key[1])
        except (TypeError, ValueError, AttributeError):
            raise where.error(f"the row's starting_at/ending_at {label!r} is not an RFC 3339 period",
                              row=index) from None
        month = self.month
        if not (month.start <= start < month.end and start < end <= month.end):
            raise where.error(f"the row's period {label} to {rfc3339(end)} lies outside {month} "
                              "(the API returned data for another period)", row=index)
        found = self.known[key] = start.date()
        return found


def _rows(page: RawPage, endpoint: str, periods: _Periods,
          refreshed: list[datetime]) -> Iterator[tuple[Where, str, int, dict, date]]:
    """(where, label, index, row, day) for every row of a page whose period lies in the month."""
    where = Where(endpoint, page.file)
    if not page.is_object:
        raise where.error("the response has no 'data' list")
    for index, row in enumerate(page.items(), start=1):
        if type(row) is not dict:
            raise where.error("the row is not an object", row=index)
        day = periods.day(row, where, index)
        yield where, row["starting_at"], index, row, day
    if not page.has_data_list():
        raise where.error("the response has no 'data' list")
    stamp = page.get("data_refreshed_at")
    if isinstance(stamp, str):
        try:
            refreshed.append(parse_rfc3339(stamp))
        except ValueError:
            raise where.error(f"data_refreshed_at {shown(stamp)} is not an RFC 3339 time") from None


def _group(row: dict, where: Where, label: str, index: int) -> dict:
    group = row.get("group")
    if not isinstance(group, dict):
        raise where.error("the row has no 'group' object", label, index)
    return group


def _actor(group: dict, where: Where, label: str, index: int, known: dict) -> Actor | None:
    actor = group.get("actor")
    if actor is None:
        return None  # usage with no attributable identity: its own payer, summed with its kind
    if type(actor) is dict:
        # the same identity comes back on many rows: read it once
        key: Any = tuple(actor.items())
        try:
            found = known.get(key)
        except TypeError:  # a nested value (a federated identity's provider): a slower key
            try:
                key = json.dumps(actor, sort_keys=True, default=str)
            except (ValueError, RecursionError):
                raise where.error(f"actor {shown(actor)} is not one of the API's actor shapes", label, index) from None
            found = known.get(key)
        if found is None:
            found = known[key] = _read_actor(actor, where, label, index)
        return found
    raise where.error(f"actor {shown(actor)} is not one of the API's actor shapes", label, index)


def _read_actor(actor: dict, where: Where, label: str, index: int) -> Actor:
    if type(actor.get("type")) is not str or actor["type"] not in _ACTOR_KINDS:
        raise where.error(f"actor {shown(actor)} is not one of the API's actor shapes", label, index)
    kind = _ACTOR_KINDS[actor["type"]]
    if kind == USER:
        return Actor(USER, _required_text(actor, "user_id", where, label, index),
                     email=text_or_null(actor, "email_address", where, label, index),
                     name=text_or_null(actor, "name", where, label, index), deleted=actor.get("deleted") is True)
    if kind == SERVICE_ACCOUNT:
        return Actor(SERVICE_ACCOUNT, _required_text(actor, "service_account_id", where, label, index))
    if kind == API_KEY:
        return Actor(API_KEY, _required_text(actor, "api_key_id", where, label, index))
    provider = actor.get("provider")
    kind = provider["type"] if isinstance(provider, dict) and isinstance(provider.get("type"), str) else "federated"
    subject = text_or_null(actor, "subject", where, label, index)
    return Actor(FEDERATED, subject, name=f"{kind} identity {subject or '(no subject)'}")


def _required_text(mapping: dict, key: str, where: Where, label: str, index: int) -> str:
    value = mapping.get(key)
    if not isinstance(value, str) or not value:
        raise where.error(f"the actor has no text {key!r}", label, index)
    return value


class _Payers:
    """One Attribution object per distinct payer, shared by all its rows (memory, and speed)."""

    def __init__(self, names: Directory):
        self.names = names
        self.known: dict[tuple, Attribution] = {}
        self.actors: dict[tuple, Actor] = {}

    def of(self, group: dict, where: Where, label: str, index: int) -> Attribution:
        actor = _actor(group, where, label, index, self.actors)
        # text or null, checked before either is used as a key (an object there is not hashable)
        workspace = text_or_null(group, "workspace_id", where, label, index)
        key = text_or_null(group, "api_key_id", where, label, index)
        found = self.known.get((workspace, key, actor))
        if found is None:
            found = self.known[(workspace, key, actor)] = Attribution(
                workspace, default_workspace=workspace is not None and workspace == self.names.default_workspace_id,
                api_key_id=key, actor=actor)
        return found


_COST_FIELDS = ("cost_type", "model", "token_type", "service_tier", "context_window")


def cost_rows(pages: Iterable[RawPage], month: Month, names: Directory, unknown_cost_types: set[str],
              refreshed: list[datetime]) -> Iterator[CostRow]:
    """Every analytics cost row of the month, in API order; fails on any malformed row."""
    payers = _Payers(names)
    periods = _Periods(month)
    shared: dict[str, str] = {}
    for page in pages:
        for where, label, index, row, day in _rows(page, "analytics/cost", periods, refreshed):
            group, cost = row.get("group"), row.get("cost")
            if type(group) is not dict:
                raise where.error("the row has no 'group' object", label, index)
            if type(cost) is not dict:
                raise where.error("the row has no 'cost' object", label, index)
            amount = _cost(cost, "amount", where, label, index)
            list_amount = _cost(cost, "list_amount", where, label, index)
            if cost.get("currency") != "USD":
                raise where.error(f"currency is {shown(cost.get('currency'))}; only USD amounts can be summed",
                                  label, index)
            values = []
            for field in _COST_FIELDS:
                value = group.get(field)
                if value is not None:
                    if type(value) is not str:
                        raise where.error(f"{field} must be text or null, got {shown(value)}", label, index)
                    value = shared.setdefault(value, value)
                values.append(value)
            if values[0] is not None and values[0] not in KNOWN_COST_TYPES:
                unknown_cost_types.add(values[0])
            cost_type, model, token_type, tier, window = values  # _COST_FIELDS order
            yield CostRow(day=day, attribution=payers.of(group, where, label, index), description=None,
                          cost_type=cost_type, model=model, token_type=token_type, service_tier=tier,
                          context_window=window, amount_cents=amount, list_amount_cents=list_amount)


def _cost(cost: dict, field: str, where: Where, label: str, index: int) -> Decimal:
    """``cost.<field>`` in cents, exact; an error naming the field unless it is a sane cost."""
    if field not in cost:
        raise where.error(f"the row has no 'cost.{field}'", label, index)
    try:
        return parse_cost_cents(cost[field])
    except AmountError as exc:  # its message begins "amount …": name the field it was read from
        raise where.error(field + str(exc).removeprefix("amount"), label, index) from None


def daily_cents(pages: Iterable[RawPage], month: Month, refreshed: list[datetime]) -> dict[date, Decimal]:
    """Spend per UTC day from the ungrouped daily query (days without spend have no row)."""
    by_day: dict[date, Decimal] = {}
    periods = _Periods(month)
    for page in pages:
        for where, label, index, row, day in _rows(page, "analytics/cost", periods, refreshed):
            cost = row.get("cost")
            if not isinstance(cost, dict):
                raise where.error("the row has no 'cost' object", label, index)
            amount = _cost(cost, "amount", where, label, index)
            by_day[day] = by_day.get(day, ZERO) + amount
    return by_day


def usage_rows(pages: Iterable[RawPage], month: Month, names: Directory,
               refreshed: list[datetime]) -> Iterator[UsageRow]:
    """Every analytics usage row of the month (tokens per payer x model x service tier)."""
    payers = _Payers(names)
    periods = _Periods(month)
    for page in pages:
        for where, label, index, row, day in _rows(page, "analytics/usage", periods, refreshed):
            group = _group(row, where, label, index)
            usage = row.get("usage")
            if not isinstance(usage, dict):
                raise where.error("the row has no 'usage' object", label, index)
            searches = 0
            if usage.get("server_tool_use") is not None:
                searches = count(usage, ("server_tool_use", "web_search_requests"), where, label, index)
            tokens = TokenCounts(
                uncached_input=count(usage, ("uncached_input_tokens",), where, label, index),
                cache_write_5m=count(usage, ("cache_creation", "ephemeral_5m_input_tokens"), where, label, index),
                cache_write_1h=count(usage, ("cache_creation", "ephemeral_1h_input_tokens"), where, label, index),
                cache_read=count(usage, ("cache_read_input_tokens",), where, label, index),
                output=count(usage, ("output_tokens",), where, label, index),
                web_searches=searches,
            )
            payer = payers.of(group, where, label, index)
            yield UsageRow(day=day, attribution=payer, model=text_or_null(group, "model", where, label, index),
                           service_tier=text_or_null(group, "service_tier", where, label, index),
                           context_window=text_or_null(group, "context_window", where, label, index), tokens=tokens)
