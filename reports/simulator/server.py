"""A real HTTP server on loopback that speaks the Admin API usage, cost and listing endpoints.

Used by ``chargeback run --demo``, ``chargeback serve-demo`` and the tests. It serves a
simulated ``Organization`` (see ``organization.py``) and can inject ``Faults``. The Usage
and Cost Analytics endpoints live in ``analytics.py``; this module routes them.

Auth: ``x-api-key`` or ``Authorization: Bearer`` (the official SDK sends the latter) on every
endpoint; ``anthropic-version`` must be present, any value (the SDK sends ``2026-10-21``).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from reports.core.months import rfc3339
from reports.simulator import analytics
from reports.simulator.faults import SERVER_ERROR_TYPES, Faults
from reports.simulator.organization import Organization, format_units

DEMO_API_KEY = "sk-ant-admin01-demo-simulator-key"  # clearly fake; only this simulator accepts it

COST_PATH = "/v1/organizations/cost_report"
USAGE_PATH = "/v1/organizations/usage_report/messages"
WORKSPACES_PATH = "/v1/organizations/workspaces"
API_KEYS_PATH = "/v1/organizations/api_keys"
ME_PATH = "/v1/organizations/me"
USERS_PATH = "/v1/organizations/users"
SERVICE_ACCOUNTS_PATH = "/v1/organizations/service_accounts"
ANALYTICS_COST_PATH = analytics.COST_PATH
ANALYTICS_USAGE_PATH = analytics.USAGE_PATH
USER_ROLES = ("user", "developer", "billing", "admin", "claude_code_user")

COST_GROUPS = ("workspace_id", "description")
USAGE_GROUPS = ("api_key_id", "workspace_id", "model", "service_tier", "context_window")
USAGE_LIMITS = {"1d": (7, 31), "1h": (24, 168), "1m": (60, 1440)}
ONE_DAY = timedelta(days=1)
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


@dataclass(frozen=True)
class RequestRecord:
    """One request the simulator answered (the key is never recorded)."""

    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    bytes_sent: int = 0  # response body length
    started: float = 0.0  # time.monotonic() when the request was read
    finished: float = 0.0  # time.monotonic() when the response body was built


# A usage row, fields in the documented order; the key tuple is
# (workspace_id, api_key_id, model, service_tier, context_window).
_USAGE_ROW = (
    '{"uncached_input_tokens":%d,"cache_creation":{"ephemeral_1h_input_tokens":%d,'
    '"ephemeral_5m_input_tokens":%d},"cache_read_input_tokens":%d,"output_tokens":%d,'
    '"server_tool_use":{"web_search_requests":%d},"workspace_id":%s,"api_key_id":%s,'
    '"model":%s,"service_tier":%s,"context_window":%s,"inference_geo":null}'
)


@dataclass(frozen=True)
class _Window:
    starts: list[datetime]  # bucket starts on this page
    following: datetime | None  # where the next page starts, None on the last page
    first: datetime  # the window's first bucket start
    offset: int = 0  # > 0: the first bucket continues from this row (split_last_bucket)


class _Failure(Exception):
    def __init__(self, status: int, error_type: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.headers = headers or {}


def _bad_request(message: str) -> _Failure:
    return _Failure(400, "invalid_request_error", message)


def _request_id() -> str:
    number = int.from_bytes(os.urandom(17), "big")
    chars = []
    for _ in range(22):
        number, rest = divmod(number, 58)
        chars.append(_B58[rest])
    return "req_01" + "".join(chars)


def page_token(moment: datetime, offset: int = 0) -> str:
    """``page_`` + base64 of the next bucket's RFC 3339 start (opaque to clients).

    ``offset`` > 0 (only with ``Faults.split_last_bucket``) continues that bucket at its row
    ``offset``.
    """
    text = rfc3339(moment) + (f"#{offset}" if offset else "")
    return "page_" + base64.urlsafe_b64encode(text.encode()).decode()


def _parse_page_token(token: str) -> tuple[datetime, int]:
    if not token.startswith("page_"):
        raise _bad_request("page: invalid page token")
    raw = token[5:].replace("+", "-").replace("/", "_")
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        moment, _, offset = text.partition("#")
        return _parse_time(moment), int(offset or 0)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _bad_request("page: invalid page token") from None


def _parse_time(text: str) -> datetime:
    if "T" not in text:
        raise ValueError(text)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(text)
    return moment.astimezone(UTC)


def _day_floor(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _many(query: dict[str, list[str]], name: str) -> list[str]:
    return query.get(name + "[]", []) + query.get(name, [])


def _int_param(query: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    text = _one(query, name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise _bad_request(f"{name}: Input should be a valid integer") from None
    if not low <= value <= high:
        raise _bad_request(f"{name}: must be between {low} and {high}, got {value}")
    return value


class SimulatorServer:
    """The simulated Admin API on a loopback port; a context manager.

    ``with SimulatorServer(demo_organization()) as sim: ...`` serves at ``sim.base_url``
    until the block ends. ``sim.requests`` records every request answered.
    """

    def __init__(
        self,
        organization: Organization,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Faults | None = None,
        api_key: str = DEMO_API_KEY,
        log: Callable[[str], None] | None = None,
        now: datetime | Callable[[], datetime] | None = None,
    ):
        """``now``: the clock the analytics endpoints judge ranges and freshness by (a fixed
        datetime or a callable); default the real UTC time."""
        self.organization = organization
        if now is None:
            self._now: Callable[[], datetime] = lambda: datetime.now(UTC)
        elif isinstance(now, datetime):
            fixed = now.astimezone(UTC)
            self._now = lambda: fixed
        else:
            self._now = now
        self.host = host
        self.port = port
        self.faults = faults or Faults()
        self._api_key = api_key.encode()
        self._log = log
        self.requests: list[RequestRecord] = []
        self._requests_lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self.base_url = ""
        self.analytics = analytics.AnalyticsService(organization, self.faults)

    def now(self) -> datetime:
        """The simulator's clock (UTC)."""
        return self._now().astimezone(UTC)

    # ------------------------------------------------------------ lifecycle

    def start(self) -> SimulatorServer:
        if self._httpd is not None:
            return self
        handler = type("_BoundHandler", (_Handler,), {"simulator": self})
        httpd = ThreadingHTTPServer((self.host, self.port), handler)
        httpd.daemon_threads = True
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self.base_url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
            name=f"chargeback-simulator:{self.port}", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        with self._requests_lock:  # end idle keep-alive connections too
            open_connections, self._connections = list(self._connections), set()
        for connection in open_connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _record(self, record: RequestRecord) -> None:
        with self._requests_lock:
            self.requests.append(record)
        if self._log is not None:
            self._log(f"{record.method} {record.path} -> {record.status}")

    # ------------------------------------------------------------ request handling

    def _handle(self, handler: _Handler, method: str) -> None:
        started = time.monotonic()
        request_id = _request_id()
        split = urlsplit(handler.path)
        path = split.path.rstrip("/") or "/"
        query = parse_qs(split.query, keep_blank_values=True)
        body_mode = None
        headers: dict[str, str] = {}
        try:
            status, body, headers, body_mode = self._dispatch(handler, method, path, query)
        except _Failure as failure:
            status = failure.status
            headers = failure.headers
            body = json.dumps(
                {"type": "error",
                 "error": {"type": failure.error_type, "message": failure.message},
                 "request_id": request_id},
                separators=(",", ":"),
            ).encode()
        except Exception as exc:  # a bug in the simulator: answer like the API would
            status = 500
            body = json.dumps(
                {"type": "error", "error": {"type": "api_error", "message": "Internal server error"},
                 "request_id": request_id}
            ).encode()
            print(f"simulator: internal error: {exc!r}", file=sys.stderr)
        self._record(RequestRecord(method, path, query, status, len(body), started, time.monotonic()))
        _send(handler, status, body, request_id, headers, body_mode)

    def _dispatch(
        self, handler: _Handler, method: str, path: str, query: dict[str, list[str]]
    ) -> tuple[int, bytes, dict[str, str], str | None]:
        supplied = handler.headers.get("x-api-key")
        bearer = handler.headers.get("authorization") or ""
        if not supplied and bearer[:7].lower() == "bearer ":
            supplied = bearer[7:].strip()
        if not supplied or not hmac.compare_digest(supplied.encode(), self._api_key):
            raise _Failure(401, "authentication_error", "invalid x-api-key")
        if not handler.headers.get("anthropic-version"):
            raise _bad_request("anthropic-version: header is required")
        route = {
            COST_PATH: self._cost_report,
            USAGE_PATH: self._usage_report,
            WORKSPACES_PATH: self._workspaces,
            API_KEYS_PATH: self._api_keys,
            USERS_PATH: self._users,
            SERVICE_ACCOUNTS_PATH: self._service_accounts,
            ME_PATH: self._me,
            ANALYTICS_COST_PATH: lambda query: self._analytics(path, query),
            ANALYTICS_USAGE_PATH: lambda query: self._analytics(path, query),
        }.get(path)
        if route is None:
            raise _Failure(404, "not_found_error", "Not found")
        if method != "GET":
            raise _Failure(405, "invalid_request_error", f"Method {method} is not allowed")
        if path in (ANALYTICS_COST_PATH, ANALYTICS_USAGE_PATH):
            betas = {value.strip() for value in (handler.headers.get("anthropic-beta") or "").split(",")}
            if analytics.BETA not in betas:
                raise _bad_request(f"anthropic-beta: this endpoint is in beta; send '{analytics.BETA}'")
        faults = self.faults
        if faults.slow_response_seconds > 0:
            if faults.slow_responses <= 0 or faults.take("slow_response", faults.slow_responses, path) is not None:
                time.sleep(faults.slow_response_seconds)
        if faults.take("rate_limit", faults.rate_limit, path) is not None:
            raise _Failure(429, "rate_limit_error", "Rate limited",
                           {"retry-after": faults.retry_after})
        ordinal = faults.take("server_errors", len(faults.server_errors), path)
        if ordinal is not None:
            status = faults.server_errors[ordinal]
            error_type, message = SERVER_ERROR_TYPES.get(status, ("api_error", "Internal server error"))
            extra = {"retry-after": faults.retry_after} if status in (503, 529) else {}
            raise _Failure(status, error_type, message, extra)
        body = route(query)
        mode = None
        if faults.take("drop_connection", faults.drop_connection, path) is not None:
            mode = "drop"
        elif faults.take("truncated_json", faults.truncated_json, path) is not None:
            mode = "truncate"
        return 200, body, {}, mode

    # ------------------------------------------------------------ time buckets

    def _window(self, query: dict[str, list[str]], limit: int) -> _Window:
        """The buckets of this page, where the next page starts, and the window's first start."""
        start_text = _one(query, "starting_at")
        if not start_text:
            raise _bad_request("starting_at: Field required")
        try:
            start = _parse_time(start_text)
        except ValueError:
            raise _bad_request(f"starting_at: invalid RFC 3339 timestamp {start_text!r}") from None
        end_text = _one(query, "ending_at")
        if end_text:
            try:
                end = _parse_time(end_text)
            except ValueError:
                raise _bad_request(f"ending_at: invalid RFC 3339 timestamp {end_text!r}") from None
            if end <= start:
                raise _bad_request("ending_at must be after starting_at")
        else:
            end = _day_floor(datetime.now(UTC)) + ONE_DAY
        first = _day_floor(start)
        page = _one(query, "page")
        cursor, offset = first, 0
        if page:
            cursor, offset = _parse_page_token(page)
            if cursor != _day_floor(cursor) or cursor < first or cursor >= end:
                raise _bad_request("page: invalid page token")
        per_page = limit
        if self.faults.max_buckets_per_page:
            per_page = max(1, min(per_page, self.faults.max_buckets_per_page))
        starts: list[datetime] = []
        moment = cursor
        while len(starts) < per_page and moment + ONE_DAY <= end:
            starts.append(moment)
            moment += ONE_DAY
        following = moment if moment + ONE_DAY <= end else None
        if self.faults.repeat_cursor:
            # a client that follows next_page never gets past this token
            repeated = first + ONE_DAY * per_page
            following = repeated if repeated + ONE_DAY <= end else first
        return _Window(starts, following, first, offset)

    def _page(self, window: _Window, results: Callable[[date], str]) -> bytes:
        extra = self.faults.extra_fields
        starts, following, next_offset = window.starts, window.following, 0
        split = self.faults.split_last_bucket
        parts = []
        for position, moment in enumerate(starts):
            if moment.date().isoformat() in self.faults.missing_days:
                continue  # the page still covers the day; its bucket is simply not there
            rows = results(moment.date())
            if split:
                # The last bucket of a page goes on at the start of the next page, as the API
                # might do with a day of more rows than a page holds (unconfirmed).
                listed = json.loads(rows)
                continued = position == 0 and window.offset > 0
                if continued:
                    back = 1 if self.faults.repeat_continued_row else 0  # a true duplicate
                    listed = listed[window.offset - back:]
                elif position == len(starts) - 1 and len(listed) >= 2:
                    next_offset = len(listed) // 2
                    following = moment
                    listed = listed[:next_offset]
                rows = json.dumps(listed, separators=(",", ":"))
            bucket = (f'{{"starting_at":"{rfc3339(moment)}","ending_at":"{rfc3339(moment + ONE_DAY)}",'
                      f'"results":{rows}')
            if extra:
                bucket += ',"x_simulator_bucket_note":"unknown bucket field"'
            parts.append(bucket + "}")
        has_more = following is not None
        next_page = json.dumps(page_token(following, next_offset)) if following is not None else "null"
        envelope = f'{{"data":[{",".join(parts)}],"has_more":{"true" if has_more else "false"},"next_page":{next_page}'
        if extra:
            envelope += ',"x_simulator_envelope_note":{"unknown":true}'
        return (envelope + "}").encode()

    # ------------------------------------------------------------ cost_report

    def _cost_report(self, query: dict[str, list[str]]) -> bytes:
        width = _one(query, "bucket_width") or "1d"
        if width != "1d":
            raise _bad_request(f"bucket_width: cost_report supports only '1d', got {width!r}")
        limit = _int_param(query, "limit", 7, 1, 31)
        groups = _many(query, "group_by")
        for group in groups:
            if group not in COST_GROUPS:
                raise _bad_request(
                    f"group_by: {group!r} is not one of {', '.join(COST_GROUPS)}")
        by_workspace = "workspace_id" in groups
        by_description = "description" in groups
        window = self._window(query, limit)
        org = self.organization
        faults = self.faults
        descriptions = org.descriptions
        fmt = format_units

        plain = not (faults.extra_fields or faults.malformed_amount or faults.missing_amount
                     or faults.unknown_cost_type or faults.non_usd_currency)
        tails = [
            "," + json.dumps({
                "description": d.description, "cost_type": d.cost_type,
                "context_window": d.context_window, "model": d.model,
                "service_tier": d.service_tier, "token_type": d.token_type,
                "inference_geo": d.inference_geo,
            }, separators=(",", ":"))[1:]
            for d in descriptions
        ]
        workspace_json: dict[str | None, str] = {}

        def results(day: date) -> str:
            if faults.empty and faults.in_month(day):
                return "[]"
            items = org.day(day).cost
            if by_workspace and by_description and plain:
                # the month-end request: one row per item, formatted without dicts (fast)
                parts: list[str] = []
                append = parts.append
                for workspace_id, index, units in items:
                    ws = workspace_json.get(workspace_id)
                    if ws is None:
                        ws = workspace_json[workspace_id] = json.dumps(workspace_id)
                    append('{"currency":"USD","amount":"' + fmt(units) + '","workspace_id":'
                           + ws + tails[index])
                return "[" + ",".join(parts) + "]"
            def described(workspace_id: str | None, index: int, units: int) -> dict[str, Any]:
                d = descriptions[index]
                return {
                    "currency": "USD", "amount": fmt(units), "workspace_id": workspace_id,
                    "description": d.description, "cost_type": d.cost_type,
                    "context_window": d.context_window, "model": d.model,
                    "service_tier": d.service_tier, "token_type": d.token_type,
                    "inference_geo": d.inference_geo,
                }

            rows: list[dict[str, Any]] = []
            if by_workspace and by_description:
                rows = [described(workspace_id, index, units) for workspace_id, index, units in items]
            elif by_description:
                sums: dict[int, int] = {}
                for _workspace_id, index, units in items:
                    sums[index] = sums.get(index, 0) + units
                rows = [described(None, index, units) for index, units in sums.items()]
            else:
                totals: dict[Any, int] = {}
                for workspace_id, _index, units in items:
                    key = workspace_id if by_workspace else 0
                    totals[key] = totals.get(key, 0) + units
                for key, units in totals.items():
                    rows.append({
                        "currency": "USD", "amount": fmt(units),
                        "workspace_id": key if by_workspace else None,
                        "description": None, "cost_type": None, "context_window": None,
                        "model": None, "service_tier": None, "token_type": None,
                        "inference_geo": None,
                    })
            self._row_faults(day, rows)
            return json.dumps(rows, separators=(",", ":"))

        return self._page(window, results)

    def _row_faults(self, day: date, rows: list[dict[str, Any]]) -> None:
        faults = self.faults
        if faults.extra_fields:
            for row in rows:
                row["x_simulator_row_note"] = "unknown row field"
        if not rows or not faults.in_month(day):
            return
        for fault, change in (
            (faults.malformed_amount, lambda row: row.__setitem__("amount", "12.3.4")),
            (faults.missing_amount, lambda row: row.pop("amount", None)),
            (faults.unknown_cost_type, lambda row: row.__setitem__("cost_type", "session_usage_v9")),
            (faults.non_usd_currency, lambda row: row.__setitem__("currency", "EUR")),
        ):
            if fault is not None and fault.matches(day) and fault.index < len(rows):
                change(rows[fault.index])

    # ------------------------------------------------------------ usage_report/messages

    def _usage_report(self, query: dict[str, list[str]]) -> bytes:
        width = _one(query, "bucket_width") or "1d"
        if width not in USAGE_LIMITS:
            raise _bad_request(f"bucket_width: must be one of 1d, 1h, 1m, got {width!r}")
        if width != "1d":
            raise _bad_request(f"bucket_width {width!r} is not supported by the simulator (use '1d')")
        default, maximum = USAGE_LIMITS[width]
        limit = _int_param(query, "limit", default, 1, maximum)
        groups = _many(query, "group_by")
        for group in groups:
            if group not in USAGE_GROUPS:
                raise _bad_request(f"group_by: {group!r} is not one of {', '.join(USAGE_GROUPS)}")
        # item layout: (workspace_id, api_key_id, model, service_tier, context_window, ...)
        positions = {"workspace_id": 0, "api_key_id": 1, "model": 2, "service_tier": 3,
                     "context_window": 4}
        filters: list[tuple[int, frozenset[str]]] = []
        for name, position in (("workspace_ids", 0), ("api_key_ids", 1), ("models", 2),
                               ("service_tiers", 3), ("context_window", 4)):
            wanted = _many(query, name)
            if wanted:
                filters.append((position, frozenset(wanted)))
        grouped = [name in groups for name in positions]  # in item order
        window = self._window(query, limit)
        org = self.organization
        faults = self.faults
        extra = faults.extra_fields
        value_json: dict[str | None, str] = {}

        def results(day: date) -> str:
            if (faults.empty or faults.no_usage) and faults.in_month(day):
                return "[]"
            sums: dict[tuple, list[int]] = {}
            for item in org.day(day).usage:
                if filters and not all(item[p] in allowed for p, allowed in filters):
                    continue
                key = (
                    item[0] if grouped[0] else None,
                    item[1] if grouped[1] else None,
                    item[2] if grouped[2] else None,
                    item[3] if grouped[3] else None,
                    item[4] if grouped[4] else None,
                )
                found = sums.get(key)
                if found is None:
                    sums[key] = list(item[5:])
                else:
                    for i in range(6):
                        found[i] += item[5 + i]
            if not extra:
                parts = []
                for key, t in sums.items():
                    names = []
                    for value in key:
                        text = value_json.get(value)
                        if text is None:
                            text = value_json[value] = json.dumps(value)
                        names.append(text)
                    parts.append(_USAGE_ROW % (*t, *names))
                return "[" + ",".join(parts) + "]"
            rows = []
            for (workspace_id, api_key_id, model, tier, window), t in sums.items():
                row = {
                    "uncached_input_tokens": t[0],
                    "cache_creation": {"ephemeral_1h_input_tokens": t[1],
                                       "ephemeral_5m_input_tokens": t[2]},
                    "cache_read_input_tokens": t[3],
                    "output_tokens": t[4],
                    "server_tool_use": {"web_search_requests": t[5]},
                    "workspace_id": workspace_id, "api_key_id": api_key_id, "model": model,
                    "service_tier": tier, "context_window": window, "inference_geo": None,
                }
                if extra:
                    row["x_simulator_row_note"] = "unknown row field"
                rows.append(row)
            return json.dumps(rows, separators=(",", ":"))

        return self._page(window, results)

    # ------------------------------------------------------------ listings

    def _listing(self, query: dict[str, list[str]], items: list[dict[str, Any]]) -> bytes:
        limit = _int_param(query, "limit", 20, 1, 1000)
        before, after = _one(query, "before_id"), _one(query, "after_id")
        if before and after:
            raise _bad_request("before_id and after_id cannot both be set")
        ids = [item["id"] for item in items]
        if after:
            if after not in ids:
                raise _bad_request(f"after_id: {after!r} was not found")
            lo = ids.index(after) + 1
            page = items[lo:lo + limit]
            has_more = lo + limit < len(items)
        elif before:
            if before not in ids:
                raise _bad_request(f"before_id: {before!r} was not found")
            hi = ids.index(before)
            lo = max(0, hi - limit)
            page = items[lo:hi]
            has_more = lo > 0
        else:
            page = items[:limit]
            has_more = limit < len(items)
        payload: dict[str, Any] = {
            "data": page,
            "first_id": page[0]["id"] if page else None,
            "has_more": has_more,
            "last_id": page[-1]["id"] if page else None,
        }
        if self.faults.extra_fields:
            payload["x_simulator_envelope_note"] = {"unknown": True}
            payload["data"] = [dict(item, x_simulator_item_note="unknown") for item in page]
        return json.dumps(payload, separators=(",", ":")).encode()

    def _workspaces(self, query: dict[str, list[str]]) -> bytes:
        flag = (_one(query, "include_archived") or "false").lower()
        if flag not in ("true", "false", "1", "0"):
            raise _bad_request("include_archived: Input should be a valid boolean")
        include_archived = flag in ("true", "1")
        default_flag = (_one(query, "include_default") or "false").lower()
        if default_flag not in ("true", "false", "1", "0"):
            raise _bad_request("include_default: Input should be a valid boolean")
        org = self.organization
        profiles = sorted(org.workspaces, key=lambda p: (p.created_at, p.id))
        default = next((p for p in org.profiles if p.id is None), None)
        if default_flag in ("true", "1") and default is not None:
            # the Default workspace: its real ID, named "Default", listed only when asked
            profiles = sorted(profiles + [default], key=lambda p: (p.created_at, p.id or ""))
        default_id = org.default_workspace_id
        assert default_id is not None  # the organization names its Default workspace when it is built
        items = [
            {"id": p.id or default_id, "type": "workspace",
             "name": p.name if p.id else "Default", "created_at": rfc3339(p.created_at),
             "archived_at": rfc3339(p.archived_at) if p.archived_at else None,
             "display_color": p.display_color,
             # fields of the 2.10.0 Workspace model (additive: the legacy source ignores them)
             "tags": {}, "compartment_id": "cmpt_" + (p.id or default_id)[7:],
             "data_residency": {"allowed_inference_geos": "unrestricted", "default_inference_geo": "global",
                                "workspace_geo": "us"},
             "external_key_id": None, "user_profile_id": None}
            for p in profiles
            if include_archived or p.archived_at is None
        ]
        return self._listing(query, items)

    def _api_keys(self, query: dict[str, list[str]]) -> bytes:
        status = _one(query, "status")
        if status is not None and status not in ("active", "inactive", "archived"):
            raise _bad_request("status: must be one of active, inactive, archived")
        workspace = _one(query, "workspace_id")
        default_id = self.organization.default_workspace_id
        items = [
            {"id": k.id, "type": "api_key", "name": k.name, "created_at": k.created_at,
             "created_by": {"id": k.created_by, "type": "user"},
             "partial_key_hint": k.partial_key_hint, "status": k.status,
             # legacy: null for the Default workspace; the legacy source reads it
             "workspace_id": k.workspace_id,
             # 2.10.0: the real ID, also for the Default workspace
             "scope": {"type": "workspace", "workspace_id": k.workspace_id or default_id},
             "principal": ({"type": k.principal[0],
                            ("service_account_id" if k.principal[0] == "service_account_actor" else "user_id"):
                            k.principal[1]} if k.principal else None),
             "expires_at": None}
            for k in self.organization.api_keys
            if (status is None or k.status == status)
            and (workspace is None or k.workspace_id == workspace
                 or (workspace == default_id and k.workspace_id is None))
        ]
        return self._listing(query, items)

    # ------------------------------------------------------------ analytics (analytics.py)

    def _analytics(self, path: str, query: dict[str, list[str]]) -> bytes:
        try:
            return self.analytics.answer(path, query, self.now())
        except analytics.BadRequest as refused:
            raise _bad_request(str(refused)) from None

    def _users(self, query: dict[str, list[str]]) -> bytes:
        email = _one(query, "email")
        roles = _many(query, "roles")
        for role in roles:
            if role not in USER_ROLES:
                raise _bad_request(f"roles: {role!r} is not one of {', '.join(USER_ROLES)}")
        users = sorted(self.organization.listed_users(), key=lambda u: (u.added_at, u.id))
        items = [
            {"id": u.id, "type": "user", "email": u.email, "name": u.name, "role": u.role,
             "added_at": u.added_at}
            for u in users
            if (email is None or u.email.lower() == email.lower()) and (not roles or u.role in roles)
        ]
        return self._listing(query, items)

    def _service_accounts(self, query: dict[str, list[str]]) -> bytes:
        # analytics-api.md §3.4: only an OAuth token with org:admin may list them
        raise _Failure(403, "permission_error",
                       "Service accounts require an OAuth access token with the org:admin scope; "
                       "Admin API keys are not accepted")

    def _me(self, query: dict[str, list[str]]) -> bytes:
        return json.dumps({"id": "11111111-2222-4333-8444-555555555555", "type": "organization",
                           "name": self.organization.name}).encode()


def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, request_id: str,
          headers: dict[str, str], mode: str | None) -> None:
    declared = len(body)
    if mode == "truncate":
        body = body[: max(1, len(body) // 2)]
        declared = len(body)
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("request-id", request_id)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(declared))
        handler.end_headers()
        if mode == "drop":
            handler.wfile.write(body[: max(1, len(body) // 2)])
            handler.wfile.flush()
            handler.close_connection = True
            try:
                handler.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        handler.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        handler.close_connection = True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so a requests.Session reuses connections
    server_version = "chargeback-simulator"
    sys_version = ""
    timeout = 60  # idle keep-alive connections end after a minute
    disable_nagle_algorithm = True  # headers and body go out at once (no 40 ms delayed-ACK stall)
    simulator: SimulatorServer

    def setup(self) -> None:
        super().setup()
        with self.simulator._requests_lock:
            self.simulator._connections.add(self.connection)

    def finish(self) -> None:
        with self.simulator._requests_lock:
            self.simulator._connections.discard(self.connection)
        super().finish()

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self.simulator._handle(self, "GET")

    def _other(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.simulator._handle(self, self.command)

    do_POST = do_PUT = do_PATCH = do_DELETE = _other  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # requests are recorded (without headers) by SimulatorServer


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve_forever(port: int, host: str = "127.0.0.1", organization: Organization | None = None) -> None:
    """Serve the demo organization until Ctrl-C (``chargeback serve-demo``)."""
    from reports.simulator.organization import demo_organization

    org = organization or demo_organization()
    if threading.current_thread() is threading.main_thread():
        # Ctrl-C and SIGTERM stop cleanly even when started from a script that ignored SIGINT
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _raise_interrupt)
    server = SimulatorServer(org, host=host, port=port,
                             log=lambda line: print(line, file=sys.stderr, flush=True))
    server.start()
    print(f"Simulated Admin API for {org.name}: {server.base_url}", flush=True)
    print(f"API key (demo only): {DEMO_API_KEY}", flush=True)
    print("Example:", flush=True)
    print(f"  curl -s -H 'x-api-key: {DEMO_API_KEY}' -H 'anthropic-version: 2023-06-01' "
          f"'{server.base_url}{COST_PATH}?starting_at=2026-10-01T00:00:00Z"
          f"&ending_at=2026-11-01T00:00:00Z&limit=31&group_by[]=workspace_id'", flush=True)
    print("Usage and Cost Analytics API (beta):", flush=True)
    print(f"  curl -s -H 'x-api-key: {DEMO_API_KEY}' -H 'anthropic-version: 2026-10-21' "
          f"-H 'anthropic-beta: {analytics.BETA}' "
          f"'{server.base_url}{ANALYTICS_COST_PATH}?starting_at=2026-10-01T00:00:00Z"
          f"&ending_at=2026-11-01T00:00:00Z&group_by[]=workspace_id&group_by[]=api_key_id"
          f"&group_by[]=actor&group_by[]=cost_type&limit=100'", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("stopping", file=sys.stderr, flush=True)
    finally:
        server.stop()
