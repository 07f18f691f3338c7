"""The simulator's Usage and Cost Analytics API: ``/v1/organizations/analytics/{cost,usage}``.

Follows analytics-api.md §1. A query, checked by ``analytics_query.py``, is answered from the
organization's per-day analytics items (``attribution.py``): filtered, grouped, ranked and paged
here.

Data: the simulator generates whole UTC days. A day counts when it lies inside the range (the
bounds floored to the hour) and ended by ``data_refreshed_at`` (the clock floored to the
hour); a partial day counts nothing. Without a bucket there is one period per query: every row
carries the floored bounds. The dimensions the organization does not model (Managed Agents
IDs, Claude Tag, user profiles, organization) read null when grouped; a null ``actor`` also has
a null ``actor_type``. ``rbac_group_id`` is any-membership, day by day: a user's usage counts in
every group the user belonged to on its (UTC) day, so group rows overlap; the null group is usage
of users in no group that day and of every identity that is not a user.

Faults: the transport faults and ``only`` work as on the legacy endpoints (names
``analytics_cost``, ``analytics_usage``); ``empty``, ``no_usage`` (usage endpoint),
``missing_days`` and ``months`` act on days; a ``RowFault`` names the row at ``index`` of a
page (fan-out rows counted), when that row's ``starting_at`` falls on ``day`` (``None``: every
page; without a bucket every row starts on the range's first day); ``repeat_cursor`` answers
``has_more`` true and the second page's cursor forever; ``extra_fields`` adds unknown keys.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from reports.core.months import Month, rfc3339
from reports.simulator.analytics_query import (
    COST_GROUP_BY,
    COST_PATH,
    FAN_OUT,
    ONE_DAY,
    POSITIONS,
    USAGE_GROUP_BY,
    USAGE_PATH,
    BadRequest,
    Query,
    cursor,
    floor_hour,
    parse_cursor,
    parse_query,
)
from reports.simulator.attribution import (
    D_ACTOR,
    D_COST_TYPE,
    LIST_PER_UNIT,
    M_AMOUNT,
    M_LIST,
    M_LIST_OTHER,
    M_OTHER,
    M_REQUESTS,
    M_SEARCHES,
    TOKEN_ORDER,
    AnalyticsView,
)
from reports.simulator.catalog import format_units
from reports.simulator.faults import Faults
from reports.simulator.memo import Memo
from reports.simulator.organization import Organization

# ---------------------------------------------------------------- formatting


def format_list(units: int) -> str:
    """A list amount (1e-9-cent units) as a decimal string of cents, no trailing zeros."""
    scale = 10_000_000 * LIST_PER_UNIT
    whole, fraction = divmod(units, scale)
    if not fraction:
        return str(whole)
    return f"{whole}.{fraction:09d}".rstrip("0")


_dumps_cache: dict[Any, str] = {}


def _j(value: Any) -> str:
    text = _dumps_cache.get(value)
    if text is None:
        text = json.dumps(value)
        if len(_dumps_cache) < 200_000:
            _dumps_cache[value] = text
    return text


# A run with groups asks up to 11 queries (this month's and the prior month's): all of them are kept, so a
# second run of the same month is answered from memory (with 8, least-recently-used evicted every one).
RESULTS_KEPT = 16


@dataclass
class _Result:
    """Every row of a query, ranked: [(json of each row of the group, row count)], and meta."""

    groups: list[list[str]]
    starts: list[date]  # each group's period start day (for row faults)


class AnalyticsService:
    """Answers the two analytics endpoints for one organization; caches ranked results."""

    def __init__(self, organization: Organization, faults: Faults):
        self.organization = organization
        # One view per organization, whatever the server: its items depend on the organization alone, and the
        # servers of one organization (a test suite starts many) then share the days and months it has built.
        view = organization.__dict__.get("_analytics_view")
        if view is None:
            view = organization.__dict__.setdefault("_analytics_view", AnalyticsView(organization))
        self.view = view
        self.faults = faults
        self._results: Memo[_Result] = Memo()

    # ------------------------------------------------------------ entry point

    def answer(self, path: str, query: dict[str, list[str]], now: datetime) -> bytes:
        q = parse_query(path, query, now)
        refreshed = floor_hour(now)
        offset = parse_cursor(q.page, q.fingerprint) if q.page else 0
        key = (q.fingerprint, refreshed, id(self.organization))
        result = self._results.get(key, lambda: self._compute(q, refreshed), RESULTS_KEPT)
        total = len(result.groups)
        if offset > total:
            raise BadRequest("page: invalid page token")
        per_page = q.limit
        if self.faults.max_rows_per_page:  # a page may hold fewer rows than asked; clients must follow next_page
            per_page = max(1, min(per_page, self.faults.max_rows_per_page))
        end = offset + per_page
        chosen = result.groups[offset:end]
        has_more = end < total
        next_page = cursor(q.fingerprint, end) if has_more else None
        if self.faults.repeat_cursor:
            has_more, next_page = True, cursor(q.fingerprint, min(per_page, total))
        rows = [row for group in chosen for row in group]
        rows = self._row_faults(q, rows, result.starts[offset:end], [len(g) for g in chosen])
        envelope = (
            '{"data":[' + ",".join(rows) + '],"has_more":' + ("true" if has_more else "false")
            + ',"next_page":' + (json.dumps(next_page) if next_page else "null")
            + ',"data_refreshed_at":"' + rfc3339(refreshed) + '"'
        )
        if self.faults.extra_fields:
            envelope += ',"x_simulator_envelope_note":{"unknown":true}'
        return (envelope + "}").encode()

    # ------------------------------------------------------------ the ranked rows

    def _days(self, q: Query, refreshed: datetime) -> list[date]:
        faults = self.faults
        first = q.start.replace(hour=0) + (ONE_DAY if q.start.hour else timedelta(0))
        days = []
        moment = first
        while moment + ONE_DAY <= q.end and moment + ONE_DAY <= refreshed:
            day = moment.date()
            moment += ONE_DAY
            if day.isoformat() in faults.missing_days:
                continue
            if (faults.empty or (faults.no_usage and not q.cost)) and faults.in_month(day):
                continue
            days.append(day)
        return days

    def _compute(self, q: Query, refreshed: datetime) -> _Result:
        days = self._days(q, refreshed)
        fast = q.cost and not (q.groups or q.filters or q.by_cost_type or q.by_token_type)
        if q.bucket and fast:
            # daily totals: straight from the legacy rows, without building every item
            periods = []
            for d in days:
                totals = self.view.day_totals(d)
                items = [((None,) * D_COST_TYPE + ("tokens",), totals)] if totals else []
                periods.append((datetime(d.year, d.month, d.day, tzinfo=UTC), items))
        elif "rbac_group_id" in q.groups and q.bucket:
            # membership is per (UTC) day: each day's items are attributed on their own
            periods = [(datetime(d.year, d.month, d.day, tzinfo=UTC), self._with_groups(self.view.day(d), d))
                       for d in days]
        elif "rbac_group_id" in q.groups:
            # The same, summed: membership changes on few days, so each stretch of days with unchanged
            # membership is attributed once, over its items summed (a period's items are the exact sum of its
            # days'); day by day, a 1,500-user month took the simulator 10 s.
            items = [item for stretch in self.organization.membership_stretches(days)
                     for item in self._with_groups(self.view.period(stretch), stretch[0])]
            periods = [(q.start, items)] if days else []
        elif q.bucket:
            periods = [(datetime(d.year, d.month, d.day, tzinfo=UTC), self.view.day(d)) for d in days]
        else:
            periods = [(q.start, self.view.period(tuple(days)))] if days else []
        ranked: list[tuple] = []
        layout = self._layout(q)
        for start, items in periods:
            end = start + ONE_DAY if q.bucket else q.end
            head = '{"starting_at":"' + rfc3339(start) + '","ending_at":"' + rfc3339(end) + '","group":'
            for group_key, parts in self._group(q, items).items():
                entry = self._rows(q, layout, head, start, group_key, parts)
                if entry is not None:
                    ranked.append(entry)
        ranked.sort(key=lambda entry: entry[0])
        return _Result([entry[1] for entry in ranked], [entry[2] for entry in ranked])

    def _with_groups(self, items: list, day: date) -> list:
        """A day's items with the RBAC group appended to their dims, any-membership (analytics-api.md §1.4): a
        user's item once for each group the user belonged to that day; else once with a null group."""
        actors = self.view.actors
        org = self.organization
        out = []
        for dims, metrics in items:
            index = dims[D_ACTOR]
            actor = actors[index] if index is not None else None
            groups = org.groups_on(actor.filter_id, day) if actor is not None and actor.type == "user_actor" else ()
            for group in groups or (None,):
                out.append((dims + (group,), metrics))
        return out

    def _group(self, q: Query, items: list) -> dict[tuple, dict[str, list[int]]]:
        """Items filtered and summed per group key, each split by cost type."""
        actors = self.view.actors
        positions = []
        for name in q.groups:
            if name == "actor_type":
                positions.append(-1)
            elif name in POSITIONS:
                positions.append(POSITIONS[name])
        filters = q.filters
        exclude = q.exclude_deleted
        out: dict[tuple, dict[str, list[int]]] = {}
        for dims, metrics in items:
            if filters or exclude:
                actor = actors[dims[D_ACTOR]] if dims[D_ACTOR] is not None else None
                if exclude and actor is not None and actor.deleted:
                    continue
                keep = True
                for position, allowed in filters:
                    if position == "actor_id":
                        value = actor.filter_id if actor else None
                        if value is None or value not in allowed:
                            keep = False
                    elif position == "actor_type":
                        if actor is None or actor.type not in allowed:
                            keep = False
                    elif dims[position] not in allowed:
                        keep = False
                    if not keep:
                        break
                if not keep:
                    continue
            key = tuple(
                dims[p] if p >= 0 else (actors[dims[D_ACTOR]].type if dims[D_ACTOR] is not None else None)
                for p in positions
            )
            parts = out.get(key)
            if parts is None:
                parts = out[key] = {}
            cost_type = dims[D_COST_TYPE]
            found = parts.get(cost_type)
            if found is None:
                parts[cost_type] = [metrics]
            else:
                found.append(metrics)
        # column sums in C: a day's or a month's items can number hundreds of thousands
        return {key: {cost_type: [sum(column) for column in zip(*lists, strict=True)]
                      for cost_type, lists in parts.items()}
                for key, parts in out.items()}

    def _layout(self, q: Query) -> tuple[str, list[str], int | None, int | None]:
        """The group JSON of a query as a %-format: every dimension null except the grouped ones,
        which are ``%s`` slots in output order; and where cost_type and token_type sit among them."""
        names = COST_GROUP_BY if q.cost else USAGE_GROUP_BY
        fields, slots = [], []
        for name in names:
            if name in q.groups or name in FAN_OUT:
                fields.append('"' + name + '":%s')
                slots.append(name)
            else:
                fields.append('"' + name + '":null')
        if self.faults.extra_fields:
            fields.append('"x_simulator_group_note":"unknown group field"')
        text = "{" + ",".join(fields).replace("%", "%%").replace("%%s", "%s") + "}"
        cost_slot = slots.index("cost_type") if "cost_type" in slots else None
        token_slot = slots.index("token_type") if "token_type" in slots else None
        return text, slots, cost_slot, token_slot

    def _group_values(self, q: Query, layout: tuple, key: tuple) -> list[str]:
        actors = self.view.actors
        values = dict(zip(q.groups, key, strict=True))
        out = []
        for name in layout[1]:
            if name == "actor":
                index = values["actor"]
                out.append(actors[index].json if index is not None else "null")
            else:
                out.append(_j(values.get(name)))
        return out

    def _group_json(self, layout: tuple, values: list[str], cost_type: str | None, token_type: str | None) -> str:
        if layout[2] is not None:
            values[layout[2]] = _j(cost_type)
            values[layout[3]] = _j(token_type)
        return layout[0] % tuple(values)

    def _rows(self, q: Query, layout: tuple, head: str, start: datetime, key: tuple,
              parts: dict[str, list[int]]) -> tuple | None:
        """(sort key, rendered rows, period start) for one group, or None when it has nothing."""
        extra = self.faults.extra_fields
        tail = ',"x_simulator_row_note":"unknown row field"}' if extra else "}"
        total = [sum(values) for values in zip(*parts.values(), strict=True)]
        amount = sum(total[M_AMOUNT:M_OTHER + 1])
        list_amount = sum(total[M_LIST:M_LIST_OTHER + 1])
        tokens = sum(total[0:5])
        rows: list[str] = []
        values = self._group_values(q, layout, key)
        if q.cost:
            if not any(total[M_AMOUNT:M_LIST_OTHER + 1]) and not total[M_REQUESTS]:
                return None

            def cost_json(units: int, listed: int, requests: int | None) -> str:
                text = ('{"amount":"' + format_units(units) + '","currency":"USD","list_amount":"'
                        + format_list(listed) + '","requests":' + ("null" if requests is None else str(requests)))
                return text + (',"x_simulator_cost_note":"unknown cost field"}' if extra else "}")

            if not (q.by_cost_type or q.by_token_type):
                rows.append(head + self._group_json(layout, values, None, None) + ',"cost":'
                            + cost_json(amount, list_amount, total[M_REQUESTS]) + tail)
            else:
                fan: list[tuple[int, str, str | None, str | None, int]] = []
                other_units = other_list = 0
                for cost_type, metrics in parts.items():
                    if cost_type == "tokens" and q.by_token_type:
                        for i, token_type in enumerate(TOKEN_ORDER):
                            if metrics[M_AMOUNT + i]:
                                fan.append((metrics[M_AMOUNT + i], "tokens", "tokens", token_type,
                                            metrics[M_LIST + i]))
                    elif cost_type != "tokens" and not q.by_cost_type:
                        other_units += metrics[M_OTHER]
                        other_list += metrics[M_LIST_OTHER]
                    else:
                        units = sum(metrics[M_AMOUNT:M_OTHER + 1])
                        if units:
                            fan.append((units, cost_type, cost_type, None, sum(metrics[M_LIST:M_LIST_OTHER + 1])))
                if other_units:
                    # token_type without cost_type: the non-token cost as one combined row (UNCONFIRMED)
                    fan.append((other_units, "~", None, None, other_list))
                fan.sort(key=lambda f: (-f[0], f[1], f[3] or ""))
                for units, _name, row_type, row_token, listed in fan:
                    rows.append(head + self._group_json(layout, values, row_type, row_token) + ',"cost":'
                                + cost_json(units, listed, None) + tail)
            metric = {"amount": amount, "list_amount": list_amount, "time": amount}[q.order_by]
        else:
            if not tokens and not total[M_SEARCHES] and not total[M_REQUESTS]:
                return None
            usage = ('{"cache_creation":{"ephemeral_1h_input_tokens":' + str(total[1])
                     + ',"ephemeral_5m_input_tokens":' + str(total[2]) + '},"cache_read_input_tokens":'
                     + str(total[3]) + ',"output_tokens":' + str(total[4]) + ',"requests":'
                     + str(total[M_REQUESTS]) + ',"server_tool_use":{"web_search_requests":'
                     + str(total[M_SEARCHES]) + '},"total_tokens":' + str(tokens)
                     + ',"uncached_input_tokens":' + str(total[0]))
            usage += ',"x_simulator_usage_note":"unknown usage field"}' if extra else "}"
            rows.append(head + self._group_json(layout, values, None, None) + ',"usage":' + usage + tail)
            metric = {"total_tokens": tokens, "time": tokens, "output_tokens": total[4],
                      "requests": total[M_REQUESTS], "uncached_input_tokens": total[0]}[q.order_by]
        # ties: the group's JSON, then the actor index (distinct null actors render alike)
        actor = key[q.groups.index("actor")] if "actor" in q.groups else None
        tie = (rows[0], -1 if actor is None else actor)
        stamp = start.timestamp()
        sign = -1 if q.descending else 1
        if q.order_by == "time" and q.bucket:
            order = (sign * stamp, -metric, tie)
        else:
            order = (sign * metric, stamp, tie)
        return order, rows, start.date()

    # ------------------------------------------------------------ faults

    def _row_faults(self, q: Query, rows: list[str], starts: list[date], sizes: list[int]) -> list[str]:
        faults = self.faults
        wanted = [(faults.malformed_amount, "malformed"), (faults.missing_amount, "missing"),
                  (faults.unknown_cost_type, "cost_type"), (faults.non_usd_currency, "currency")]
        if faults.patch is not None and faults.patch.applies_to("analytics_cost"):
            wanted.append((faults.patch.at, "patch"))
        present = [(fault, kind) for fault, kind in wanted if fault is not None]
        if not q.cost or not present or not rows:
            return rows
        days = [start for start, size in zip(starts, sizes, strict=True) for _ in range(size)]
        out = list(rows)
        for fault, kind in present:
            index = fault.index
            if index >= len(out) or not fault.matches(days[index]) or not faults.in_month(days[index]):
                continue
            row = json.loads(out[index])
            if kind == "malformed":
                row["cost"]["amount"] = "12.3.4"
            elif kind == "missing":
                row["cost"].pop("amount", None)
            elif kind == "cost_type":
                row["group"]["cost_type"] = "session_usage_v9"
            elif kind == "currency":
                row["cost"]["currency"] = "EUR"
            else:
                faults.patch.apply(row)  # type: ignore[union-attr]
            out[index] = json.dumps(row, separators=(",", ":"))
            if kind == "patch":
                out[index] = faults.patch.splice(out[index])  # type: ignore[union-attr]
        return out


# ---------------------------------------------------------------- expectations without HTTP


def analytics_rows(organization: Organization, month: Any, group_by: list[str] | tuple[str, ...] = (), *,
                   usage: bool = False, now: datetime | None = None, **params: Any) -> list[dict]:
    """Every row the analytics endpoint returns for a whole month, ranked as served.

    For tests that compute expectations by hand: ``analytics_rows(org, "2026-10",
    ["workspace_id", "api_key_id", "actor", "cost_type"])``. ``params`` adds query parameters
    (arrays as lists, e.g. ``models=["claude-opus-4-6"]``). ``now`` defaults to the day after
    the month, so the whole month is refreshed.
    """
    if isinstance(month, str):
        month = Month.parse(month)
    query: dict[str, list[str]] = {
        "starting_at": [rfc3339(month.start)], "ending_at": [rfc3339(month.end)], "limit": ["1000"],
    }
    if group_by:
        query["group_by[]"] = list(group_by)
    for name, value in params.items():
        if isinstance(value, (list, tuple)):
            query[name + "[]"] = [str(v) for v in value]
        else:
            query[name] = [str(value)]
    clock = now or month.end + ONE_DAY
    service = AnalyticsService(organization, Faults())
    path = USAGE_PATH if usage else COST_PATH
    q = parse_query(path, query, clock)
    result = service._compute(q, floor_hour(clock))
    return [json.loads(row) for group in result.groups for row in group]


def analytics_cost_rows(organization: Organization, month: Any, group_by: list[str] | tuple[str, ...] = (),
                        **params: Any) -> list[dict]:
    """The month's analytics cost rows (see ``analytics_rows``)."""
    return analytics_rows(organization, month, group_by, **params)


def analytics_usage_rows(organization: Organization, month: Any, group_by: list[str] | tuple[str, ...] = (),
                         **params: Any) -> list[dict]:
    """The month's analytics usage rows (see ``analytics_rows``)."""
    return analytics_rows(organization, month, group_by, usage=True, **params)
