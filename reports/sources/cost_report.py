"""The legacy Admin API source: cost_report by workspace and description, usage_report/messages.

Its queries for a month, and its snapshot pages read into records. The cost report knows only
the workspace that spent (``workspace_id`` null is the Default workspace), so every row's
attribution is its workspace. Pure reading: no I/O beyond the snapshot it is handed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from reports.core.money import AmountError, parse_cost_cents
from reports.core.month_data import MonthData
from reports.core.months import Month, parse_rfc3339, rfc3339
from reports.core.records import Attribution, CostRow, Directory, TokenCounts, UsageRow
from reports.core.report import SourceProfile
from reports.core.settings import COST_REPORT
from reports.core.sums import sum_costs, sum_usage
from reports.sources import pages as listing
from reports.sources.base import KNOWN_COST_TYPES, LIST, REPORT, Query
from reports.sources.pages import RawPage, Where, count, shown, texts_or_null

_COST_DIMENSIONS = ("workspace_id", "description", "cost_type", "model", "token_type",
                    "service_tier", "context_window")
_USAGE_DIMENSIONS = ("workspace_id", "api_key_id", "model", "service_tier", "context_window")

COST = "cost_report"
USAGE = "usage_report/messages"
COST_GROUPS = ["workspace_id", "description"]
# The SPEC's grouping (all the Usage sheet shows) plus context_window: a cost row is priced per
# context window, so only at this grain do its tokens join exactly (the FOCUS export's quantities).
USAGE_GROUPS = ["workspace_id", "api_key_id", "model", "service_tier", "context_window"]


def cost_query(month: Month) -> str:
    return f"cost_report-{month}"


def usage_query(month: Month) -> str:
    return f"usage_report_messages-{month}"


def month_queries(month: Month) -> list[Query]:
    """The month and its prior month: cost (required), usage (the prior month's optional), names."""
    def window(m: Month) -> dict[str, Any]:
        return {"starting_at": rfc3339(m.start), "ending_at": rfc3339(m.end), "bucket_width": "1d", "limit": 31}

    prior = month.prior()
    return [
        Query(cost_query(month), COST, {**window(month), "group_by[]": COST_GROUPS}, REPORT),
        Query(usage_query(month), USAGE, {**window(month), "group_by[]": USAGE_GROUPS}, REPORT),
        Query(cost_query(prior), COST, {**window(prior), "group_by[]": COST_GROUPS}, REPORT),
        Query(usage_query(prior), USAGE, {**window(prior), "group_by[]": USAGE_GROUPS}, REPORT, required=False),
        Query("workspaces", "workspaces", {"include_archived": "true", "limit": 1000}, LIST),
        Query("api_keys", "api_keys", {"limit": 1000}, LIST),
    ]


# Rows by workspace and day: no API key or actor, no refresh time, and Priority Tier spend billed elsewhere.
PROFILE = SourceProfile(COST_REPORT, "Admin API cost report", attribution=False, whole_month_rows=False,
                        refreshed_at=False, priority_tier_included=False)


class CostReportSource:
    """``source: cost_report`` (the default)."""

    name = COST_REPORT

    def queries(self, month: Month) -> list[Query]:
        return month_queries(month)

    def follow_up(self, month: Month, pages: Any) -> list[Query]:
        return []  # every query of the cost report is known up front

    def read(self, snapshot: Any, month: Month) -> MonthData:
        prior = month.prior()
        names = directory(snapshot.pages("workspaces"), snapshot.pages("api_keys"))
        unknown: set[str] = set()
        days: set[date] = set()
        current_cost = tuple(cost_rows(snapshot.pages(cost_query(month)), month, unknown, days))
        # Only this month's cost rows are kept (they are the line items); the prior month's rows
        # and the usage rows are summed as they are read, so memory holds sums, not rows.
        prior_cost = sum_costs(cost_rows(snapshot.pages(cost_query(prior)), prior, unknown))
        usage = sum_usage(usage_rows(snapshot.pages(usage_query(month)), month))
        # The prior month's usage is optional and shown nowhere: it is kept in raw/, and only
        # whether it could be fetched is reported, so it is not read here.
        return MonthData(
            profile=PROFILE, cost_rows=current_cost, prior_cost=prior_cost, usage=usage,
            prior_usage_available=usage_query(prior) not in snapshot.unavailable,
            directory=names, days_with_data=days, unknown_cost_types=tuple(sorted(unknown)),
            notes=legacy_notes(usage.total("priority")),
        )


def legacy_notes(priority: TokenCounts) -> tuple[str, ...]:
    """What a reader of a month from the legacy cost report should know (Run Info, PDF)."""
    priority_total = priority.input_total + priority.output
    return (
        "Priority Tier spend is not in the cost report: it is billed separately and is not in these totals. "
        f"Priority Tier usage this month: {priority_total:,} tokens "
        f"({priority.input_total:,} input, {priority.output:,} output).",
        "Amounts come from the Admin API cost report in cents and are exact; rounding to the cent happens once, "
        "for the journal and the summary (largest remainder, half-up month total).",
        "Data freshness: usage and cost data usually appear within 5 minutes of use; a run soon after month end "
        "may miss the last minutes of the month.",
    )


class _Days:
    """The days a report has returned so far, for telling a continued bucket from a repeated one.

    Whether the cost report ever splits one day's results across two pages is unconfirmed
    (admin-api.md 1.1). A day that comes back as the first bucket of the next page is taken as
    the rest of the previous page's last bucket, as long as it brings group keys not seen for
    that day; a day seen anywhere else, or a group key repeated, would be counted twice.
    """

    def __init__(self, seen: set[date]):
        self.seen = seen
        self.open_day: date | None = None  # the last bucket of the previous page, which may continue
        self.open_keys: set[tuple] = set()

    def bucket(self, day: date, first_on_page: bool, where: Where, label: str) -> set[tuple]:
        """The group keys already returned for ``day`` (empty for a new day); fails on a repeated day."""
        if day not in self.seen:
            self.seen.add(day)
            return set()
        if first_on_page and day == self.open_day:
            return self.open_keys
        raise where.error(f"bucket {label} was already returned on an earlier page; "
                          "summing it twice would double count")

    def page_ended(self, day: date | None, keys: set[tuple]) -> None:
        self.open_day, self.open_keys = day, keys


def _buckets(page: RawPage, endpoint: str, month: Month, days: _Days) -> Iterator[tuple[Where, str, date, list, set]]:
    where = Where(endpoint, page.file)
    if not page.is_object:
        raise where.error("the response has no 'data' list")
    last_day, keys = None, set()
    for position, bucket in enumerate(page.items()):
        if not isinstance(bucket, dict):
            raise where.error("a bucket is not an object")
        label = bucket.get("starting_at")
        label = label if type(label) is str and len(label) <= 40 else shown(label)
        try:
            start: datetime = parse_rfc3339(bucket["starting_at"])
        except (KeyError, TypeError, ValueError):
            raise where.error(f"bucket starting_at {label!r} is not an RFC 3339 time") from None
        day = start.date()
        if not month.start <= start < month.end:
            raise where.error(f"bucket {label} lies outside {month} (the API returned data for another period)")
        keys = days.bucket(day, position == 0, where, label)
        results = bucket.get("results")
        if not isinstance(results, list):
            raise where.error("the bucket has no 'results' list", label)
        yield where, label, day, results, keys
        last_day = day
    if not page.has_data_list():
        raise where.error("the response has no 'data' list")
    if not isinstance(page.get("has_more"), bool):
        raise where.error("the response has no boolean 'has_more'")
    days.page_ended(last_day, keys)


def _once(keys: set[tuple], key: tuple, where: Where, label: str, index: int) -> None:
    """A group key comes once per day; a second row for it would be counted twice."""
    if key in keys:
        raise where.error("the row repeats a group key already returned for this day "
                          f"({', '.join('null' if value is None else value for value in key)}); summing it twice "
                          "would double count", label, index)
    keys.add(key)


def cost_rows(pages: Iterable[RawPage], month: Month, unknown_cost_types: set[str] | None = None,
              days_seen: set[date] | None = None) -> Iterator[CostRow]:
    """Every cost_report result row of the month, in API order; fails on any malformed row.

    Unknown cost types are kept (their money is real) and collected in ``unknown_cost_types``
    so the report can say so; the days the API returned a bucket for go into ``days_seen``.
    """
    days = _Days(days_seen if days_seen is not None else set())
    # One string object per distinct workspace/description/model...: a month repeats a few
    # hundred of them across hundreds of thousands of rows.
    shared: dict[str, str] = {}
    payers: dict[str | None, Attribution] = {}
    for page in pages:
        for where, label, day, results, keys in _buckets(page, "cost_report", month, days):
            for index, row in enumerate(results, start=1):
                if not isinstance(row, dict):
                    raise where.error("the row is not an object", label, index)
                if "amount" not in row:
                    raise where.error("the row has no 'amount'", label, index)
                try:
                    amount = parse_cost_cents(row["amount"])
                except AmountError as exc:
                    raise where.error(str(exc), label, index) from None
                currency = row.get("currency")
                if currency != "USD":
                    raise where.error(f"currency is {shown(currency)}; only USD amounts can be summed", label, index)
                values = texts_or_null(row, _COST_DIMENSIONS, where, label, index, shared)
                _once(keys, tuple(values), where, label, index)
                cost_type = values[2]
                if cost_type is not None and cost_type not in KNOWN_COST_TYPES and unknown_cost_types is not None:
                    unknown_cost_types.add(cost_type)
                payer = payers.get(values[0])
                if payer is None:
                    payer = payers[values[0]] = _payer(values[0], None)
                _, description, _, model, token_type, tier, window = values  # _COST_DIMENSIONS order
                yield CostRow(day=day, attribution=payer, description=description, cost_type=cost_type, model=model,
                              token_type=token_type, service_tier=tier, context_window=window, amount_cents=amount)


def usage_rows(pages: Iterable[RawPage], month: Month) -> Iterator[UsageRow]:
    """Every usage_report/messages result row of the month, in API order."""
    days = _Days(set())
    payers: dict[tuple, Attribution] = {}
    for page in pages:
        for where, label, day, results, keys in _buckets(page, "usage_report/messages", month, days):
            for index, row in enumerate(results, start=1):
                if not isinstance(row, dict):
                    raise where.error("the row is not an object", label, index)
                tokens = TokenCounts(
                    uncached_input=count(row, ("uncached_input_tokens",), where, label, index),
                    cache_write_5m=count(row, ("cache_creation", "ephemeral_5m_input_tokens"), where, label, index),
                    cache_write_1h=count(row, ("cache_creation", "ephemeral_1h_input_tokens"), where, label, index),
                    cache_read=count(row, ("cache_read_input_tokens",), where, label, index),
                    output=count(row, ("output_tokens",), where, label, index),
                    web_searches=_web_searches(row, where, label, index),
                )
                values = texts_or_null(row, _USAGE_DIMENSIONS, where, label, index)
                _once(keys, tuple(values), where, label, index)
                payer = payers.get((values[0], values[1]))
                if payer is None:
                    payer = payers[(values[0], values[1])] = _payer(values[0], values[1])
                _, _, model, tier, window = values  # _USAGE_DIMENSIONS order
                yield UsageRow(day=day, attribution=payer, model=model, service_tier=tier, context_window=window,
                               tokens=tokens)


def _web_searches(row: dict, where: Where, label: str, index: int) -> int:
    # server_tool_use is documented as required; an older response without it had no searches.
    if row.get("server_tool_use") is None:
        return 0
    return count(row, ("server_tool_use", "web_search_requests"), where, label, index)


def _payer(workspace_id: str | None, api_key_id: str | None) -> Attribution:
    # In the legacy reports a null workspace is the Default workspace.
    return Attribution(workspace_id, default_workspace=workspace_id is None, api_key_id=api_key_id)


def directory(workspace_pages: Iterable[RawPage], api_key_pages: Iterable[RawPage]) -> Directory:
    """Names for workspace and API key IDs from the list endpoints."""
    return Directory(workspaces=listing.workspaces(workspace_pages), api_keys=listing.api_keys(api_key_pages))
