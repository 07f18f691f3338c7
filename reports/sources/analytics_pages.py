"""The analytics API's snapshot pages read into records: cost rows, daily spend, usage rows and names.

Every malformed row fails naming its page and row; the traps it keeps to are in ``analytics``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from reports.core.money import ZERO, AmountError, parse_cost_cents
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
from reports.sources import pages as listing
from reports.sources.base import KNOWN_COST_TYPES
from reports.sources.pages import RawPage, Where, count, shown, text_or_null

_ACTOR_KINDS = {"user_actor": USER, "service_account_actor": SERVICE_ACCOUNT, "api_actor": API_KEY,
                "federated_actor": FEDERATED}


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


_COST_FIELDS = ("cost_type", "model", "token_type", "service_tier", "context_window", "product")


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
            cost_type, model, token_type, tier, window, product = values  # _COST_FIELDS order
            yield CostRow(day=day, attribution=payers.of(group, where, label, index), description=None,
                          cost_type=cost_type, model=model, token_type=token_type, service_tier=tier,
                          context_window=window, amount_cents=amount, list_amount_cents=list_amount,
                          product=product)


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
                           context_window=text_or_null(group, "context_window", where, label, index), tokens=tokens,
                           product=text_or_null(group, "product", where, label, index))
