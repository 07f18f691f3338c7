"""Faults the simulator can inject: rate limits, 5xx, broken bodies, bad rows, odd cursors.

All are off by default. Counted faults ("the first N requests") share thread-safe
counters and, through ``only``, can be limited to some endpoints, e.g.
``Faults(rate_limit=2, only={"rate_limit": {"cost_report"}})``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date

# Endpoint names accepted in ``Faults.only`` (full paths are accepted too).
ENDPOINTS = {
    "cost_report": "/v1/organizations/cost_report",
    "usage_report": "/v1/organizations/usage_report/messages",
    "workspaces": "/v1/organizations/workspaces",
    "api_keys": "/v1/organizations/api_keys",
    "users": "/v1/organizations/users",
    "analytics_cost": "/v1/organizations/analytics/cost",
    "analytics_usage": "/v1/organizations/analytics/usage",
}
_PATH_TO_NAME = {path: name for name, path in ENDPOINTS.items()}

# Status -> error type for ``server_errors``.
SERVER_ERROR_TYPES = {
    500: ("api_error", "Internal server error"),
    502: ("api_error", "Bad gateway"),
    503: ("api_error", "Service unavailable"),
    504: ("timeout_error", "Request timeout"),
    529: ("overloaded_error", "Overloaded"),
}


@dataclass(frozen=True)
class RowFault:
    """Cost result row ``index`` (0-based, in response order) of the bucket starting on
    ``day``; ``day=None`` means that row of every bucket.

    On the analytics cost endpoint: row ``index`` of a page's ``data`` (fan-out rows count),
    when that row starts on ``day``; without a time bucket every row starts on the range's
    first day."""

    day: date | str | None = None
    index: int = 0

    def matches(self, bucket_day: date) -> bool:
        if self.day is None:
            return True
        wanted = self.day if isinstance(self.day, date) else date.fromisoformat(self.day)
        return wanted == bucket_day


@dataclass(frozen=True)
class RowPatch:
    """One field of one cost row set to raw JSON text: any value a malformed page can hold.

    ``path`` is the field in the row (``("amount",)`` on the cost report, ``("cost", "amount")``
    or ``("group", "workspace_id")`` on the analytics cost endpoint); ``raw`` is put there as
    is: ``'"1e400"'``, ``'{"a":1}'``, ``'"\\ud800"'`` (a lone surrogate), or a value nested
    thousands of levels deep, which no JSON encoder would write. ``endpoints`` limits it to
    some endpoints (``cost_report``, ``analytics_cost``); None is both.
    """

    path: tuple[str, ...]
    raw: str
    at: RowFault = RowFault()
    endpoints: Collection[str] | None = None

    def applies_to(self, endpoint: str) -> bool:
        return self.endpoints is None or endpoint in self.endpoints

    def apply(self, row: dict) -> None:
        """Mark the field in ``row``; ``splice`` puts the raw text there once the row is JSON."""
        node = row
        for key in self.path[:-1]:
            node = node.setdefault(key, {})
        node[self.path[-1]] = _PLACEHOLDER

    def splice(self, text: str) -> str:
        return text.replace(_PLACEHOLDER_JSON, self.raw)


_PLACEHOLDER = "\x00patched by the simulator\x00"
_PLACEHOLDER_JSON = json.dumps(_PLACEHOLDER)


@dataclass
class Faults:
    # --- counted transport faults: the first N matching requests
    rate_limit: int = 0  # answer 429 rate_limit_error
    retry_after: str = "0"  # the retry-after header value sent with 429 (and 529/503)
    server_errors: tuple[int, ...] = ()  # statuses for the first len() requests, in order
    drop_connection: int = 0  # full Content-Length, half the body, then close the socket
    truncated_json: int = 0  # 200 with a syntactically truncated body (its own length)
    slow_response_seconds: float = 0.0  # sleep before answering ...
    slow_responses: int = 1  # ... the first N requests (0 = every request)
    # --- pagination
    max_buckets_per_page: int | None = None  # cap buckets per page below ``limit``
    max_rows_per_page: int | None = None  # analytics: cap rows (groups) per page below ``limit``
    repeat_cursor: bool = False  # has_more true and the same next_page forever
    split_last_bucket: bool = False  # each page's last bucket goes on at the start of the next page
    repeat_continued_row: bool = False  # ... and the continuation repeats the row before it (a duplicate)
    # --- content (cost rows)
    malformed_amount: RowFault | None = None  # amount "12.3.4"
    missing_amount: RowFault | None = None  # "amount" key absent
    unknown_cost_type: RowFault | None = None  # cost_type "session_usage_v9"
    non_usd_currency: RowFault | None = None  # currency "EUR"
    patch: RowPatch | None = None  # any field of a cost row set to any JSON text
    extra_fields: bool = False  # unknown keys in rows and envelopes (clients must ignore)
    # --- data
    empty: bool = False  # no cost and no usage at all
    missing_days: Collection[str] = ()  # YYYY-MM-DD days whose bucket the reports leave out
    no_usage: bool = False  # cost rows but no usage rows
    months: Collection[str] | None = None  # limit empty/no_usage/row faults to these YYYY-MM
    # --- scope: fault name -> endpoint names (or paths) it applies to; absent = all
    only: Mapping[str, Collection[str]] = field(default_factory=dict)

    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _counts: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------ helpers for the server

    def applies(self, fault: str, path: str) -> bool:
        scope = self.only.get(fault)
        if scope is None:
            return True
        name = _PATH_TO_NAME.get(path, path)
        return name in scope or path in scope

    def take(self, fault: str, limit: int, path: str) -> int | None:
        """Count one use of a counted fault; return its 0-based ordinal if it fires."""
        if limit <= 0 or not self.applies(fault, path):
            return None
        with self._lock:
            used = self._counts.get(fault, 0)
            if used >= limit:
                return None
            self._counts[fault] = used + 1
            return used

    def in_month(self, bucket_day: date) -> bool:
        return self.months is None or f"{bucket_day:%Y-%m}" in self.months

    def fired(self, fault: str) -> int:
        """How many times a counted fault has fired so far (for tests)."""
        with self._lock:
            return self._counts.get(fault, 0)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
