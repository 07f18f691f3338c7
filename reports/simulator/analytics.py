"""The simulator's Usage and Cost Analytics API: ``/v1/organizations/analytics/{cost,usage}``.

Follows analytics-api.md §1. The organization's per-day analytics items (attribution.py) are
filtered, grouped, ranked and paged here. Parameter rules, each refused with a 400
``invalid_request_error`` in the API's error shape:

- every documented parameter is known; any other is refused ("unknown parameter"); arrays
  use the bracket form (``group_by[]=``, as the SDK sends it), scalars may appear only once;
- ``starting_at`` is required, RFC 3339 with an offset, not before 2026-01-01T00:00:00Z, not
  older than 365 days and not in the future by the server's clock; ``ending_at`` is exclusive,
  after ``starting_at``, required with ``time_bucket_width``, and defaults to the earlier of
  now and ``starting_at`` + 31 days; the range is at most 31 days;
- ``time_bucket_width``: ``1d`` is served; ``1h`` and ``1m`` are valid values that the
  simulator refuses ("serves only 1d"); with ``1d`` both bounds must be UTC midnights (how
  the API buckets a range that is not is UNCONFIRMED);
- ``limit`` 1..1000 (default 20) counts rows of the grouping without ``cost_type`` and
  ``token_type``; their fan-out rows ride along with their row, so ``data`` can be longer;
- ``group_by[]``: the 22 (cost) / 20 (usage) values, each at most once, at most 5 besides
  ``cost_type``/``token_type``; ``claude_tag_user_id`` not with ``rbac_group_id``;
- ``order_by``/``order`` as documented; ties are broken by the group's JSON, then by actor;
- filters served: ``workspace_ids[]``, ``api_key_ids[]`` (an empty entry matches usage no key
  authenticated), ``actor_ids[]``, ``actor_types[]``, ``models[]``, ``service_tiers[]``,
  ``context_windows[]``, ``inference_geos[]``, ``speeds[]``, ``products[]`` and
  ``exclude_deleted_users`` (requires ``group_by[]=actor``). Known but **not supported by the
  simulator** (400 saying so): ``rbac_group_ids[]``, ``user_profile_ids[]``, ``agent_ids[]``,
  ``deployment_ids[]``, ``environment_ids[]``, ``session_ids[]``, ``organization_ids[]``,
  ``slack_channel_ids[]``, ``claude_tag_categories[]``, ``claude_tag_user_ids[]``;
- ``page``: an opaque cursor bound to every other parameter; with other parameters it is
  refused ("cursor does not match current query parameters").

Data: the simulator generates whole UTC days. A day counts when it lies inside the range (the
bounds floored to the hour) and ended by ``data_refreshed_at`` (the clock floored to the
hour); a partial day counts nothing. Without a bucket there is one period per query: every row
carries the floored bounds. The dimensions the organization does not model (Managed Agents
IDs, RBAC groups, Claude Tag, user profiles, organization) read null when grouped; a null
``actor`` also has a null ``actor_type``.

Faults: the transport faults and ``only`` work as on the legacy endpoints (names
``analytics_cost``, ``analytics_usage``); ``empty``, ``no_usage`` (usage endpoint),
``missing_days`` and ``months`` act on days; a ``RowFault`` names the row at ``index`` of a
page (fan-out rows counted), when that row's ``starting_at`` falls on ``day`` (``None``: every
page; without a bucket every row starts on the range's first day); ``repeat_cursor`` answers
``has_more`` true and the second page's cursor forever; ``extra_fields`` adds unknown keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from reports.core.months import rfc3339
from reports.simulator.attribution import (
    ACTOR_TYPES,
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
    analytics_day_totals,
)
from reports.simulator.faults import Faults
from reports.simulator.organization import Organization, format_units

BETA = "analytics-usage-cost-2026-08-24"
COST_PATH = "/v1/organizations/analytics/cost"
USAGE_PATH = "/v1/organizations/analytics/usage"
FLOOR = datetime(2026, 1, 1, tzinfo=UTC)
LOOKBACK = timedelta(days=365)
MAX_RANGE = timedelta(days=31)
ONE_DAY = timedelta(days=1)

COST_GROUP_BY = (
    "actor", "actor_type", "agent_id", "api_key_id", "claude_tag_category", "claude_tag_user_id",
    "context_window", "cost_type", "deployment_id", "environment_id", "inference_geo", "model",
    "organization_id", "product", "rbac_group_id", "service_tier", "session_id", "slack_channel_id",
    "speed", "token_type", "user_profile_id", "workspace_id",
)
FAN_OUT = ("cost_type", "token_type")
USAGE_GROUP_BY = tuple(name for name in COST_GROUP_BY if name not in FAN_OUT)
MAX_GROUPS = 5
# group dimension -> position in an item's dims (attribution.DIMS); absent: not modelled (null)
_POSITIONS = {"workspace_id": 0, "api_key_id": 1, "actor": 2, "model": 3, "service_tier": 4,
              "context_window": 5, "inference_geo": 6, "speed": 7, "product": 8}

SCALARS = ("starting_at", "ending_at", "time_bucket_width", "limit", "page", "order_by", "order",
           "exclude_deleted_users")
FILTERS = {  # array filter -> (item position or "actor", allowed values or None)
    "workspace_ids": (0, None),
    "api_key_ids": (1, None),
    "actor_ids": ("actor_id", None),
    "actor_types": ("actor_type", ACTOR_TYPES),
    "models": (3, None),
    "service_tiers": (4, ("batch", "flex", "flex_discount", "priority", "priority_on_demand", "standard")),
    "context_windows": (5, ("0-200k", "200k-1M")),
    "inference_geos": (6, ("global", "us", "not_available")),
    "speeds": (7, ("fast", "standard")),
    "products": (8, ("chat", "chat_cowork_unified", "claude_code", "claude_console", "claude_design",
                     "claude_in_chrome", "claude_tag", "cowork", "managed_agents_api", "message_batches_api",
                     "messages_api", "office_agent")),
}
UNSUPPORTED_FILTERS = ("rbac_group_ids", "user_profile_ids", "agent_ids", "deployment_ids", "environment_ids",
                       "session_ids", "organization_ids", "slack_channel_ids", "claude_tag_categories",
                       "claude_tag_user_ids")
ARRAYS = ("group_by", *FILTERS, *UNSUPPORTED_FILTERS)
COST_ORDER_BY = ("amount", "list_amount", "time")
USAGE_ORDER_BY = ("output_tokens", "requests", "time", "total_tokens", "uncached_input_tokens")


class BadRequest(Exception):
    """A refused query; the server answers 400 invalid_request_error with this message."""


@dataclass(frozen=True)
class Query:
    """A validated analytics query."""

    cost: bool
    start: datetime  # floored to the hour (no bucket) or a UTC midnight (1d)
    end: datetime
    bucket: bool  # time_bucket_width=1d
    groups: tuple[str, ...]  # without cost_type/token_type
    by_cost_type: bool
    by_token_type: bool
    limit: int
    page: str | None
    order_by: str
    descending: bool
    filters: tuple[tuple[Any, frozenset], ...]
    exclude_deleted: bool
    fingerprint: str


def _parse_time(name: str, text: str) -> datetime:
    try:
        if "T" not in text.upper():
            raise ValueError(text)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{name}: invalid RFC 3339 timestamp {text!r}") from None
    if moment.tzinfo is None:
        raise BadRequest(f"{name}: must be timezone-aware RFC 3339 (for example 2026-10-01T00:00:00Z)")
    return moment.astimezone(UTC)


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def parse_query(path: str, query: dict[str, list[str]], now: datetime) -> Query:
    """Validate an analytics query string (``parse_qs`` output) against analytics-api.md §1.2."""
    cost = path == COST_PATH
    for name, values in query.items():
        base = name[:-2] if name.endswith("[]") else name
        if name.endswith("[]") and base in ARRAYS:
            continue
        if name in SCALARS:
            if len(values) > 1:
                raise BadRequest(f"{name}: given more than once")
            continue
        hint = f" (use {name}[]=...)" if name in ARRAYS else ""
        raise BadRequest(f"unknown parameter {name!r}{hint}")
    for name in UNSUPPORTED_FILTERS:
        if query.get(name + "[]"):
            raise BadRequest(f"{name}[]: this filter is not supported by the simulator")

    def one(name: str) -> str | None:
        values = query.get(name)
        return values[0] if values else None

    start_text = one("starting_at")
    if not start_text:
        raise BadRequest("starting_at: Field required")
    start = _parse_time("starting_at", start_text)
    if start < FLOOR:
        raise BadRequest("starting_at: must be no earlier than 2026-01-01T00:00:00Z")
    if start < now - LOOKBACK:
        raise BadRequest("starting_at: must be within the last 365 days")
    if start > now:
        raise BadRequest("starting_at: must not be in the future")
    width = one("time_bucket_width")
    if width is not None and width not in ("1d", "1h", "1m"):
        raise BadRequest(f"time_bucket_width: must be one of 1d, 1h, 1m, got {width!r}")
    if width in ("1h", "1m"):
        raise BadRequest(f"time_bucket_width {width!r} is not supported by the simulator; it serves only '1d'")
    end_text = one("ending_at")
    if end_text:
        end = _parse_time("ending_at", end_text)
        if end <= start:
            raise BadRequest("ending_at: must be after starting_at")
    elif width:
        raise BadRequest("ending_at: required when time_bucket_width is set")
    else:
        end = min(now, start + MAX_RANGE)
    if end - start > MAX_RANGE:
        raise BadRequest("ending_at: the range may span at most 31 days")
    bucket = width == "1d"
    if bucket:
        for name, moment in (("starting_at", start), ("ending_at", end)):
            if moment != moment.replace(hour=0, minute=0, second=0, microsecond=0):
                raise BadRequest(f"{name}: with time_bucket_width=1d the simulator needs a UTC midnight")
    else:
        start, end = _hour(start), _hour(end)

    limit_text = one("limit")
    limit = 20
    if limit_text is not None:
        try:
            limit = int(limit_text)
        except ValueError:
            raise BadRequest("limit: Input should be a valid integer") from None
        if not 1 <= limit <= 1000:
            raise BadRequest(f"limit: must be between 1 and 1000, got {limit}")

    allowed = COST_GROUP_BY if cost else USAGE_GROUP_BY
    requested = query.get("group_by[]", [])
    for group in requested:
        if group not in allowed:
            raise BadRequest(f"group_by[]: {group!r} is not one of {', '.join(allowed)}")
        if requested.count(group) > 1:
            raise BadRequest(f"group_by[]: {group!r} is listed more than once")
    groups = tuple(g for g in allowed if g in requested and g not in FAN_OUT)
    if len(groups) > MAX_GROUPS:
        extra = " besides cost_type and token_type" if cost else ""
        raise BadRequest(f"group_by[]: at most {MAX_GROUPS} dimensions{extra}, got {len(groups)}")
    if "claude_tag_user_id" in groups and "rbac_group_id" in groups:
        raise BadRequest("group_by[]: claude_tag_user_id cannot be combined with rbac_group_id")

    order_by = one("order_by") or ("amount" if cost else "total_tokens")
    choices = COST_ORDER_BY if cost else USAGE_ORDER_BY
    if order_by not in choices:
        raise BadRequest(f"order_by: must be one of {', '.join(choices)}, got {order_by!r}")
    order = one("order") or "desc"
    if order not in ("asc", "desc"):
        raise BadRequest(f"order: must be asc or desc, got {order!r}")

    flag = one("exclude_deleted_users")
    exclude_deleted = False
    if flag is not None:
        if flag.lower() not in ("true", "false"):
            raise BadRequest("exclude_deleted_users: Input should be a valid boolean")
        exclude_deleted = flag.lower() == "true"
        if exclude_deleted and "actor" not in groups:
            raise BadRequest("exclude_deleted_users: requires group_by[]=actor")

    filters = []
    for name, (position, permitted) in FILTERS.items():
        wanted = query.get(name + "[]")
        if not wanted:
            continue
        if permitted is not None:
            for value in wanted:
                if value not in permitted:
                    raise BadRequest(f"{name}[]: {value!r} is not one of {', '.join(permitted)}")
        chosen: set[str | None] = set(wanted)
        if name == "api_key_ids" and "" in chosen:
            chosen.discard("")
            chosen.add(None)  # the empty entry: usage that no API key authenticated
        if name == "inference_geos" and "not_available" in chosen:
            chosen.add(None)
        filters.append((position, frozenset(chosen)))

    canonical = json.dumps(
        [path, sorted((name, sorted(values)) for name, values in query.items() if name != "page")],
        separators=(",", ":"),
    )
    fingerprint = hashlib.sha256(canonical.encode()).hexdigest()[:20]
    return Query(cost, start, end, bucket, groups, cost and "cost_type" in requested,
                 cost and "token_type" in requested, limit, one("page"), order_by, order == "desc",
                 tuple(filters), exclude_deleted, fingerprint)


# ---------------------------------------------------------------- cursors


def cursor(fingerprint: str, offset: int) -> str:
    """``page_`` + base64 of the query's fingerprint and the next row's offset (opaque)."""
    return "page_" + base64.urlsafe_b64encode(f"{fingerprint}:{offset}".encode()).decode().rstrip("=")


def parse_cursor(token: str, fingerprint: str) -> int:
    try:
        if not token.startswith("page_"):
            raise ValueError(token)
        raw = token[5:]
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        bound, _, offset = text.partition(":")
        number = int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest("page: invalid page token") from None
    if bound != fingerprint:
        raise BadRequest("page: cursor does not match current query parameters")
    if number < 0:
        raise BadRequest("page: invalid page token")
    return number


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


@dataclass
class _Result:
    """Every row of a query, ranked: [(json of each row of the group, row count)], and meta."""

    groups: list[list[str]]
    starts: list[date]  # each group's period start day (for row faults)


class AnalyticsService:
    """Answers the two analytics endpoints for one organization; caches ranked results."""

    def __init__(self, organization: Organization, faults: Faults):
        self.organization = organization
        self.faults = faults
        self._cache: OrderedDict[tuple, _Result] = OrderedDict()
        self._lock = threading.Lock()

    # ------------------------------------------------------------ entry point

    def answer(self, path: str, query: dict[str, list[str]], now: datetime) -> bytes:
        q = parse_query(path, query, now)
        refreshed = _hour(now)
        offset = parse_cursor(q.page, q.fingerprint) if q.page else 0
        key = (q.fingerprint, refreshed, id(self.organization))
        with self._lock:
            result = self._cache.get(key)
            if result is not None:
                self._cache.move_to_end(key)
        if result is None:
            result = self._compute(q, refreshed)
            with self._lock:
                self._cache[key] = result
                while len(self._cache) > 8:
                    self._cache.popitem(last=False)
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
        org = self.organization
        days = self._days(q, refreshed)
        fast = q.cost and not (q.groups or q.filters or q.by_cost_type or q.by_token_type)
        if q.bucket and fast:
            # daily totals: straight from the legacy rows, without building every item
            periods = []
            for d in days:
                totals = analytics_day_totals(org, d)
                items = [((None,) * D_COST_TYPE + ("tokens",), totals)] if totals else []
                periods.append((datetime(d.year, d.month, d.day, tzinfo=UTC), items))
        elif q.bucket:
            periods = [(datetime(d.year, d.month, d.day, tzinfo=UTC), org.analytics_day(d)) for d in days]
        else:
            periods = [(q.start, org.analytics_period(tuple(days)))] if days else []
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

    def _group(self, q: Query, items: list) -> dict[tuple, dict[str, list[int]]]:
        """Items filtered and summed per group key, each split by cost type."""
        actors = self.organization.actors
        positions = []
        for name in q.groups:
            if name == "actor_type":
                positions.append(-1)
            elif name in _POSITIONS:
                positions.append(_POSITIONS[name])
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
        actors = self.organization.actors
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
            else:
                row["cost"]["currency"] = "EUR"
            out[index] = json.dumps(row, separators=(",", ":"))
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
    from reports.core.months import Month

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
    result = service._compute(q, _hour(clock))
    return [json.loads(row) for group in result.groups for row in group]


def analytics_cost_rows(organization: Organization, month: Any, group_by: list[str] | tuple[str, ...] = (),
                        **params: Any) -> list[dict]:
    """The month's analytics cost rows (see ``analytics_rows``)."""
    return analytics_rows(organization, month, group_by, **params)


def analytics_usage_rows(organization: Organization, month: Any, group_by: list[str] | tuple[str, ...] = (),
                         **params: Any) -> list[dict]:
    """The month's analytics usage rows (see ``analytics_rows``)."""
    return analytics_rows(organization, month, group_by, usage=True, **params)
