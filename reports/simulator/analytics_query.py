"""The Usage and Cost Analytics API's query: every parameter rule, and the cursor bound to the query.

Follows analytics-api.md §1.2. Each rule broken is a ``BadRequest``, which the server answers
with a 400 ``invalid_request_error`` in the API's error shape:

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
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from reports.simulator.attribution import ACTOR_TYPES

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
POSITIONS = {"workspace_id": 0, "api_key_id": 1, "actor": 2, "model": 3, "service_tier": 4,
              "context_window": 5, "inference_geo": 6, "speed": 7, "product": 8,
              "rbac_group_id": 10}  # not in an item's dims: appended per day by analytics.py (any-membership)

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


def floor_hour(moment: datetime) -> datetime:
    """The hour ``moment`` falls in (ranges and ``data_refreshed_at`` are floored to it)."""
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
        start, end = floor_hour(start), floor_hour(end)

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
