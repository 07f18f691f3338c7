"""The Admin API client: one session factory, pagination, retries, typed errors.

Every page is handed to the caller as received (bytes) so it can be snapshotted before it
is interpreted. The API key is only ever placed in a request header; it is scrubbed from
any text that could reach a message.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import requests

from reports import __version__
from reports.errors import ApiError, ApiRefused, AuthenticationError, UsageError
from reports.hosts import is_loopback
from reports.sources import network
from reports.sources.pages import scan_page

log = logging.getLogger("reports.sources.client")

API_VERSION = "2023-06-01"
DEFAULT_BASE_URL = "https://api.anthropic.com"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 529})
# Parsing holds the GIL, so parallel queries gain nothing by parsing at once; one at a time
# keeps a single large page's objects in memory instead of one per query.
_PARSING = threading.Lock()
# No page of results is this large (a month's 465,000 cost rows are about 160 MB on one page):
# a body beyond it is not a page, and reading it on would only fill the disk or the memory.
MAX_PAGE_BYTES = 2 << 30
USER_AGENT = f"chargeback/{__version__} (+month-end chargeback reports)"


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # total tries of one request
    backoff_base: float = 0.5  # seconds, doubled each retry
    backoff_cap: float = 30.0  # no single wait is longer than this
    retry_after_cap: float = 120.0  # a server asking for more than this is treated as down
    timeout: tuple[float, float] = (10.0, 60.0)  # connect, read


@dataclass(frozen=True)
class Page:
    """One response page: its bytes as received (in memory, or spooled to a file), its pagination
    envelope, and provenance.

    The parsed results are not kept: a month's page can hold hundreds of thousands of rows,
    and the source module reads them from the snapshot one page at a time anyway. With a
    spool, the body goes to disk as it arrives and is never held in memory whole.
    """

    endpoint: str
    number: int  # 1-based within its query
    params: dict[str, Any]
    body: bytes | None  # None when spooled
    has_more: bool
    cursor: str | None  # next_page (reports) or last_id (lists)
    request_id: str | None
    fetched_at: float  # epoch seconds
    sha256: str = ""
    spooled: Path | None = None  # the file holding the body, to be moved into the snapshot

    def read_bytes(self) -> bytes:
        return self.body if self.body is not None else self.spooled.read_bytes()  # type: ignore[union-attr]


# A spool hands out an open, new file for one response body (or raises to say: stop).
Spool = Callable[[], IO[bytes]]


@dataclass
class FetchStats:
    requests: int = 0
    retries: int = 0
    bytes_received: int = 0
    waits: list[float] = field(default_factory=list)


def validate_base_url(url: str) -> str:
    """Accept https anywhere, plain http only for loopback hosts; return it without trailing slash."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UsageError(f"base URL {url!r} must look like https://api.anthropic.com")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise UsageError(f"base URL {url!r} uses plain http; only https is allowed except for loopback hosts")
    return url.rstrip("/")


def make_session(api_key: str) -> requests.Session:
    """A session with the headers every Admin API call needs. TLS verification stays on."""
    session = requests.Session()
    session.headers.update({
        "x-api-key": api_key,
        "anthropic-version": API_VERSION,
        "user-agent": USER_AGENT,
        "accept": "application/json",
    })
    session.verify = True
    session.trust_env = False  # never route the admin key through a proxy picked up from the environment
    return session


class AdminClient:
    """Fetches Admin API pages. One instance per thread (requests sessions are not shared)."""

    def __init__(self, base_url: str, api_key: str, *, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep, stats: FetchStats | None = None,
                 spool: Spool | None = None):
        self._spool = spool
        self.base_url = validate_base_url(base_url)
        self._key = api_key
        self._session = make_session(api_key)
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self.stats = stats or FetchStats()

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ pagination

    def report_pages(self, endpoint: str, params: dict[str, Any], *, headers: Mapping[str, str] | None = None,
                     optional_has_more: bool = False) -> Iterator[Page]:
        """Every page of a report endpoint, following ``next_page`` until ``has_more`` is false.

        ``optional_has_more``: the analytics API types ``has_more`` as optional; a page without
        it goes on while it hands out a ``next_page``, as the official SDK does.
        """
        seen: set[str] = set()
        page_token: str | None = None
        number = 0
        while True:
            number += 1
            query = dict(params)
            if page_token is not None:
                query["page"] = page_token
            page = self._get(endpoint, query, number, cursor_key="next_page", headers=headers,
                             optional_has_more=optional_has_more)
            has_more, page_token = page.has_more, page.cursor
            yield page
            del page  # a month's page can be large: never hold it while fetching the next
            if not has_more:
                return
            if not isinstance(page_token, str) or not page_token:
                raise ApiError(f"{endpoint} page {number} says has_more but gives no next_page cursor; "
                               "stopping rather than returning a partial month")
            if page_token in seen:
                raise ApiError(f"{endpoint} page {number} repeated an earlier next_page cursor {page_token!r}; "
                               "stopping rather than looping or returning a partial month")
            seen.add(page_token)

    def list_pages(self, endpoint: str, params: dict[str, Any], *,
                   headers: Mapping[str, str] | None = None) -> Iterator[Page]:
        """Every page of a list endpoint (workspaces, api_keys), following ``last_id``."""
        seen: set[str] = set()
        after: str | None = None
        number = 0
        while True:
            number += 1
            query = dict(params)
            if after is not None:
                query["after_id"] = after
            page = self._get(endpoint, query, number, cursor_key="last_id", headers=headers)
            has_more, after = page.has_more, page.cursor
            yield page
            del page
            if not has_more:
                return
            if not isinstance(after, str) or not after or after in seen:
                raise ApiError(f"{endpoint} page {number} says has_more but its last_id does not advance")
            seen.add(after)

    # ------------------------------------------------------------ one request, with retries

    def _get(self, endpoint: str, params: dict[str, Any], number: int, *, cursor_key: str,
             headers: Mapping[str, str] | None = None, optional_has_more: bool = False) -> Page:
        url = f"{self.base_url}/v1/organizations/{endpoint}"
        policy = self.retry
        last_problem = ""
        unreachable: tuple[str, str] | None = None  # (what happened, what to check) when no HTTP answer came
        started = time.monotonic()
        for attempt in range(1, policy.attempts + 1):
            wait: float | None = None
            self.stats.requests += 1
            spooled: Path | None = None
            try:
                response = self._session.get(url, params=params, headers=headers, timeout=policy.timeout,
                                             stream=True)
                with response:
                    if response.status_code == 200 and self._spool is not None:
                        spooled, digest, size = self._receive(response)  # a short body raises here
                        body = b""
                    else:
                        body = _bounded_body(response)  # a short body raises here
                        digest, size = hashlib.sha256(body).hexdigest(), len(body)
            except requests.RequestException as exc:
                unreachable = network.describe(exc, self.base_url, policy.timeout[0])
                last_problem = (unreachable[0] if unreachable is not None else
                                f"network error ({type(exc).__name__}: {self._scrub(str(exc))[:200]})")
            else:
                unreachable = None
                self.stats.bytes_received += size
                request_id = response.headers.get("request-id")
                status = response.status_code
                if status == 200:
                    try:
                        with _PARSING:  # read through only to prove the body whole, an element at a time
                            envelope = _envelope(spooled.read_bytes() if spooled else body)
                        _require_shape(endpoint, number, envelope, optional_has_more)
                        cursor = envelope.get(cursor_key)
                        has_more = envelope["has_more"] if envelope.get("has_more") is not None else bool(cursor)
                        return Page(endpoint, number, dict(params), None if spooled else body, has_more, cursor,
                                    request_id, time.time(), digest, spooled)
                    except (ValueError, UnicodeDecodeError):
                        last_problem = "the response body was not complete JSON (truncated?)"
                    except ApiError:
                        _discard(spooled)
                        raise
                    _discard(spooled)
                elif status in (401, 403):
                    raise AuthenticationError(
                        f"the Admin API refused the key ({status} {self._error_text(body)}); check "
                        "ANTHROPIC_ADMIN_API_KEY: it must be an Admin key (sk-ant-admin01-…) of this organization")
                elif status in RETRY_STATUSES:
                    last_problem = f"HTTP {status} {self._error_text(body)}"
                    wait = _retry_after(response.headers.get("retry-after"))
                    if wait is not None and wait > policy.retry_after_cap:
                        raise ApiError(f"{endpoint}: the API asked to retry after {wait:.0f} s; try again later")
                else:
                    refused = ApiRefused if 400 <= status < 500 else ApiError
                    raise refused(f"{endpoint} answered HTTP {status}: {self._error_text(body)}"
                                   f"{f' (request-id {request_id})' if request_id else ''}")
            if attempt == policy.attempts:
                break
            if wait is None:  # no retry-after: capped exponential backoff with jitter
                wait = min(policy.backoff_cap, policy.backoff_base * (2 ** (attempt - 1)))
                wait *= 0.5 + random.random() / 2  # so parallel clients do not retry in step
            self.stats.retries += 1
            self.stats.waits.append(wait)
            log.info("%s page %d: %s; retrying in %.1f s (attempt %d of %d)",
                     endpoint, number, last_problem, wait, attempt + 1, policy.attempts)
            self._sleep(wait)
        if unreachable is not None:
            what, check = unreachable
            raise ApiError(f"cannot reach the Admin API at {self.base_url}: {self._scrub(what)} "
                           f"({policy.attempts} attempts over {time.monotonic() - started:.0f} s); check "
                           f"{self._scrub(check)}")
        raise ApiError(f"{endpoint} page {number} failed after {policy.attempts} attempts: {last_problem}")

    def _receive(self, response: requests.Response) -> tuple[Path, str, int]:
        """Write the body to a spool file as it arrives: (file, SHA-256, size)."""
        assert self._spool is not None
        handle = self._spool()
        path = Path(handle.name)
        digest = hashlib.sha256()
        size = 0
        try:
            with handle:
                for chunk in response.iter_content(chunk_size=1 << 20):
                    size += len(chunk)
                    if size > MAX_PAGE_BYTES:
                        raise _too_large(response)
                    handle.write(chunk)
                    digest.update(chunk)
        except BaseException:
            _discard(path)
            raise
        return path, digest.hexdigest(), size

    def _error_text(self, body: bytes) -> str:
        try:
            parsed = json.loads(body)
            error = parsed.get("error", {}) if isinstance(parsed, dict) else {}
            text = f"{error.get('type', 'error')}: {error.get('message', '')}".strip(": ")
        except (ValueError, AttributeError):
            text = body[:200].decode("utf-8", "replace")
        return self._scrub(text)

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "[redacted]") if self._key else text


def _too_large(response: requests.Response) -> ApiError:
    endpoint = urlsplit(response.url).path.rsplit("/organizations/", 1)[-1]
    return ApiError(f"{endpoint} sent a body of more than {MAX_PAGE_BYTES:,} bytes, larger than any page of "
                    "results; stopping rather than filling the disk")


def _bounded_body(response: requests.Response) -> bytes:
    """The whole body of a response that is not spooled (an error's, or in tests), up to MAX_PAGE_BYTES."""
    chunks, size = [], 0
    for chunk in response.iter_content(chunk_size=1 << 20):
        size += len(chunk)
        if size > MAX_PAGE_BYTES:
            raise _too_large(response)
        chunks.append(chunk)
    return b"".join(chunks)


def _discard(path: Path | None) -> None:
    if path is not None:
        path.unlink(missing_ok=True)


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP date; fall back to our own backoff
    return max(0.0, seconds)


def _envelope(body: bytes) -> dict[str, Any]:  # noqa: D401
    """The page's top-level fields (``data`` as an empty list); ValueError unless it is whole JSON.

    A month's page can be 160 MB: parsed whole it would take several times that in memory,
    so it is walked an element at a time and nothing of the elements is kept.
    """
    text = body.decode("utf-8")
    fields: dict[str, Any] = {}
    for key, value in scan_page(text):
        if key != "item":
            fields[key] = [] if key == "data" else value
    return fields


def _require_shape(endpoint: str, number: int, data: Any, optional_has_more: bool = False) -> None:
    flags = (bool, type(None)) if optional_has_more else bool
    if (not isinstance(data, dict) or not isinstance(data.get("data"), list)
            or not isinstance(data.get("has_more"), flags)):
        raise ApiError(f"{endpoint} page {number} is not a page of results (no data list / has_more flag)")
