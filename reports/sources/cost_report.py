"""Raw API pages to typed records. The only place raw dicts are read; pure (no I/O).

Every problem names the page file, the bucket and the row, so the user can open the raw
snapshot and see it. Nothing is guessed: a malformed amount is an error, never a zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable, Iterator

from reports.errors import DataError
from reports.core.records import ApiKey, CostRow, Directory, TokenCounts, UsageRow, Workspace
from reports.core.money import AmountError, parse_cents
from reports.core.months import Month, parse_rfc3339

KNOWN_COST_TYPES = frozenset({"tokens", "web_search", "code_execution", "session_usage"})
_COST_DIMENSIONS = ("workspace_id", "description", "cost_type", "model", "token_type",
                    "service_tier", "context_window")
_USAGE_DIMENSIONS = ("workspace_id", "api_key_id", "model", "service_tier", "context_window")


@dataclass(frozen=True)
class RawPage:
    """One API page as received: where it is stored, and its parsed JSON."""

    file: str  # e.g. raw/cost_report-2026-10-p001.json
    body: Any


class _Where:
    def __init__(self, endpoint: str, page: str):
        self.endpoint = endpoint
        self.page = page

    def error(self, message: str, bucket: str | None = None, row: int | None = None) -> DataError:
        parts = [f"{self.endpoint} page {self.page}"]
        if bucket is not None:
            parts.append(f"bucket {bucket}")
        if row is not None:
            parts.append(f"row {row}")
        return DataError(f"{', '.join(parts)}: {message}")


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

    def bucket(self, day: date, first_on_page: bool, where: "_Where", label: str) -> set[tuple]:
        """The group keys already returned for ``day`` (empty for a new day); fails on a repeated day."""
        if day not in self.seen:
            self.seen.add(day)
            return set()
        if first_on_page and day == self.open_day:
            return self.open_keys
        raise where.error(f"bucket {label} was already returned on an earlier page; summing it twice would double count")

    def page_ended(self, day: date | None, keys: set[tuple]) -> None:
        self.open_day, self.open_keys = day, keys


def _buckets(page: RawPage, endpoint: str, month: Month, days: _Days) -> Iterator[tuple[_Where, str, date, list, set]]:
    where = _Where(endpoint, page.file)
    body = page.body
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise where.error("the response has no 'data' list")
    if not isinstance(body.get("has_more"), bool):
        raise where.error("the response has no boolean 'has_more'")
    last_day, keys = None, set()
    for position, bucket in enumerate(body["data"]):
        if not isinstance(bucket, dict):
            raise where.error("a bucket is not an object")
        label = str(bucket.get("starting_at"))
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
    days.page_ended(last_day, keys)


def _once(keys: set[tuple], key: tuple, where: "_Where", label: str, index: int) -> None:
    """A group key comes once per day; a second row for it would be counted twice."""
    if key in keys:
        raise where.error("the row repeats a group key already returned for this day "
                          f"({', '.join('null' if value is None else value for value in key)}); summing it twice "
                          "would double count", label, index)
    keys.add(key)


def _dimension(row: dict, key: str, where: _Where, label: str, index: int) -> str | None:
    value = row.get(key)
    if value is not None and not isinstance(value, str):
        raise where.error(f"{key} must be text or null, got {value!r}", label, index)
    return value


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
    for page in pages:
        for where, label, day, results, keys in _buckets(page, "cost_report", month, days):
            for index, row in enumerate(results, start=1):
                if not isinstance(row, dict):
                    raise where.error("the row is not an object", label, index)
                if "amount" not in row:
                    raise where.error("the row has no 'amount'", label, index)
                try:
                    amount = parse_cents(row["amount"])
                except AmountError as exc:
                    raise where.error(str(exc), label, index) from None
                currency = row.get("currency")
                if currency != "USD":
                    raise where.error(f"currency is {currency!r}; only USD amounts can be summed", label, index)
                values = [_dimension(row, key, where, label, index) for key in _COST_DIMENSIONS]
                values = [None if value is None else shared.setdefault(value, value) for value in values]
                _once(keys, tuple(values), where, label, index)
                cost_type = values[2]
                if cost_type is not None and cost_type not in KNOWN_COST_TYPES and unknown_cost_types is not None:
                    unknown_cost_types.add(cost_type)
                yield CostRow(day, *values, amount)  # fields in _COST_DIMENSIONS order


def _count(row: dict, path: tuple[str, ...], where: _Where, label: str, index: int) -> int:
    value: Any = row
    for key in path:
        if not isinstance(value, dict) or key not in value:
            raise where.error(f"the row has no '{'.'.join(path)}'", label, index)
        value = value[key]
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or value != int(value) or value < 0:
        raise where.error(f"{'.'.join(path)} must be a whole number of tokens, got {value!r}", label, index)
    return int(value)


def usage_rows(pages: Iterable[RawPage], month: Month) -> Iterator[UsageRow]:
    """Every usage_report/messages result row of the month, in API order."""
    days = _Days(set())
    for page in pages:
        for where, label, day, results, keys in _buckets(page, "usage_report/messages", month, days):
            for index, row in enumerate(results, start=1):
                if not isinstance(row, dict):
                    raise where.error("the row is not an object", label, index)
                tokens = TokenCounts(
                    uncached_input=_count(row, ("uncached_input_tokens",), where, label, index),
                    cache_write_5m=_count(row, ("cache_creation", "ephemeral_5m_input_tokens"), where, label, index),
                    cache_write_1h=_count(row, ("cache_creation", "ephemeral_1h_input_tokens"), where, label, index),
                    cache_read=_count(row, ("cache_read_input_tokens",), where, label, index),
                    output=_count(row, ("output_tokens",), where, label, index),
                    web_searches=_web_searches(row, where, label, index),
                )
                values = {key: _dimension(row, key, where, label, index) for key in _USAGE_DIMENSIONS}
                _once(keys, tuple(values.values()), where, label, index)
                yield UsageRow(day=day, tokens=tokens, **values)


def _web_searches(row: dict, where: _Where, label: str, index: int) -> int:
    # server_tool_use is documented as required; an older response without it had no searches.
    if row.get("server_tool_use") is None:
        return 0
    return _count(row, ("server_tool_use", "web_search_requests"), where, label, index)


def directory(workspace_pages: Iterable[RawPage], api_key_pages: Iterable[RawPage]) -> Directory:
    """Names for workspace and API key IDs from the list endpoints."""
    workspaces: dict[str, Workspace] = {}
    for page in workspace_pages:
        for item in _list_items(page, "workspaces"):
            workspaces[item["id"]] = Workspace(
                id=item["id"], name=str(item.get("name") or item["id"]), archived_at=item.get("archived_at"))
    keys: dict[str, ApiKey] = {}
    for page in api_key_pages:
        for item in _list_items(page, "api_keys"):
            keys[item["id"]] = ApiKey(
                id=item["id"], name=str(item.get("name") or item["id"]), workspace_id=item.get("workspace_id"))
    return Directory(workspaces=workspaces, api_keys=keys)


def _list_items(page: RawPage, endpoint: str) -> Iterator[dict]:
    where = _Where(endpoint, page.file)
    body = page.body
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise where.error("the response has no 'data' list")
    for index, item in enumerate(body["data"], start=1):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise where.error("an item has no text 'id'", row=index)
        yield item
