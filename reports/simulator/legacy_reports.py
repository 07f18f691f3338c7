"""The legacy Admin API reports of the simulator: ``cost_report`` and ``usage_report/messages``.

Both answer daily buckets of the organization's generated days, paged by an opaque time
cursor (``page_token``); ``Faults`` change amounts, rows, buckets and pages as a misbehaving
API might. The month-end request (cost grouped by workspace and description, no row fault)
is formatted without building dicts: it is the simulator's hot path.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from reports.core.months import rfc3339
from reports.simulator.catalog import format_units
from reports.simulator.faults import Faults
from reports.simulator.organization import Organization
from reports.simulator.params import bad_request, int_param, many, one, parse_time

COST_PATH = "/v1/organizations/cost_report"
USAGE_PATH = "/v1/organizations/usage_report/messages"
COST_GROUPS = ("workspace_id", "description")
USAGE_GROUPS = ("api_key_id", "workspace_id", "model", "service_tier", "context_window")
USAGE_LIMITS = {"1d": (7, 31), "1h": (24, 168), "1m": (60, 1440)}
ONE_DAY = timedelta(days=1)


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


def page_token(moment: datetime, offset: int = 0) -> str:
    """``page_`` + base64 of the next bucket's RFC 3339 start (opaque to clients).

    ``offset`` > 0 (only with ``Faults.split_last_bucket``) continues that bucket at its row
    ``offset``.
    """
    text = rfc3339(moment) + (f"#{offset}" if offset else "")
    return "page_" + base64.urlsafe_b64encode(text.encode()).decode()


def _parse_page_token(token: str) -> tuple[datetime, int]:
    if not token.startswith("page_"):
        raise bad_request("page: invalid page token")
    raw = token[5:].replace("+", "-").replace("/", "_")
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        moment, _, offset = text.partition("#")
        return parse_time(moment), int(offset or 0)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad_request("page: invalid page token") from None


def _day_floor(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


class LegacyReports:
    """Answers the two legacy report endpoints for one organization, with the server's faults."""

    def __init__(self, organization: Organization, faults: Faults):
        self.organization = organization
        self.faults = faults

    # ------------------------------------------------------------ time buckets

    def _window(self, query: dict[str, list[str]], limit: int) -> _Window:
        """The buckets of this page, where the next page starts, and the window's first start."""
        start_text = one(query, "starting_at")
        if not start_text:
            raise bad_request("starting_at: Field required")
        try:
            start = parse_time(start_text)
        except ValueError:
            raise bad_request(f"starting_at: invalid RFC 3339 timestamp {start_text!r}") from None
        end_text = one(query, "ending_at")
        if end_text:
            try:
                end = parse_time(end_text)
            except ValueError:
                raise bad_request(f"ending_at: invalid RFC 3339 timestamp {end_text!r}") from None
            if end <= start:
                raise bad_request("ending_at must be after starting_at")
        else:
            end = _day_floor(datetime.now(UTC)) + ONE_DAY
        first = _day_floor(start)
        page = one(query, "page")
        cursor, offset = first, 0
        if page:
            cursor, offset = _parse_page_token(page)
            if cursor != _day_floor(cursor) or cursor < first or cursor >= end:
                raise bad_request("page: invalid page token")
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

    def cost_report(self, query: dict[str, list[str]]) -> bytes:
        width = one(query, "bucket_width") or "1d"
        if width != "1d":
            raise bad_request(f"bucket_width: cost_report supports only '1d', got {width!r}")
        limit = int_param(query, "limit", 7, 1, 31)
        groups = many(query, "group_by")
        for group in groups:
            if group not in COST_GROUPS:
                raise bad_request(
                    f"group_by: {group!r} is not one of {', '.join(COST_GROUPS)}")
        by_workspace = "workspace_id" in groups
        by_description = "description" in groups
        window = self._window(query, limit)
        org = self.organization
        faults = self.faults
        descriptions = org.descriptions
        fmt = format_units

        plain = not (faults.extra_fields or faults.malformed_amount or faults.missing_amount
                     or faults.unknown_cost_type or faults.non_usd_currency or faults.patch)
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

        def full_grain(day: date) -> str:
            # the month-end request: one row per item, formatted without dicts (fast)
            parts: list[str] = []
            append = parts.append
            for workspace_id, index, units in org.day(day).cost:
                ws = workspace_json.get(workspace_id)
                if ws is None:
                    ws = workspace_json[workspace_id] = json.dumps(workspace_id)
                append('{"currency":"USD","amount":"' + fmt(units) + '","workspace_id":'
                       + ws + tails[index])
            return "[" + ",".join(parts) + "]"

        def results(day: date) -> str:
            if faults.empty and faults.in_month(day):
                return "[]"
            if by_workspace and by_description and plain:
                return org.day_text(("cost_report", day), lambda: full_grain(day))
            items = org.day(day).cost
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
            text = json.dumps(rows, separators=(",", ":"))
            return faults.patch.splice(text) if faults.patch else text

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
            (faults.patch.at if faults.patch and faults.patch.applies_to("cost_report") else None,
             lambda row: faults.patch.apply(row)),  # type: ignore[union-attr]
        ):
            if fault is not None and fault.matches(day) and fault.index < len(rows):
                change(rows[fault.index])

    # ------------------------------------------------------------ usage_report/messages

    def usage_report(self, query: dict[str, list[str]]) -> bytes:
        width = one(query, "bucket_width") or "1d"
        if width not in USAGE_LIMITS:
            raise bad_request(f"bucket_width: must be one of 1d, 1h, 1m, got {width!r}")
        if width != "1d":
            raise bad_request(f"bucket_width {width!r} is not supported by the simulator (use '1d')")
        default, maximum = USAGE_LIMITS[width]
        limit = int_param(query, "limit", default, 1, maximum)
        groups = many(query, "group_by")
        for group in groups:
            if group not in USAGE_GROUPS:
                raise bad_request(f"group_by: {group!r} is not one of {', '.join(USAGE_GROUPS)}")
        # item layout: (workspace_id, api_key_id, model, service_tier, context_window, ...)
        positions = {"workspace_id": 0, "api_key_id": 1, "model": 2, "service_tier": 3,
                     "context_window": 4}
        filters: list[tuple[int, frozenset[str]]] = []
        for name, position in (("workspace_ids", 0), ("api_key_ids", 1), ("models", 2),
                               ("service_tiers", 3), ("context_window", 4)):
            wanted = many(query, name)
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
            if not extra:
                return org.day_text(("usage_report", day, tuple(grouped), tuple(filters)), lambda: rows_of(day))
            return rows_of(day)

        def rows_of(day: date) -> str:
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
