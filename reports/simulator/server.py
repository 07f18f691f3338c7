"""A real HTTP server on loopback that speaks the Admin API: authentication, routing, transport faults.

Used by ``chargeback run --demo``, ``chargeback serve-demo`` and the tests. It serves a
simulated ``Organization`` (see ``organization.py``) and can inject ``Faults``. The endpoints
live beside it: the legacy reports in ``legacy_reports.py``, the listings in ``listings.py``,
the Usage and Cost Analytics API in ``analytics.py``; this module routes to them.

Auth: ``x-api-key`` or ``Authorization: Bearer`` (the official SDK sends the latter) on every
endpoint; ``anthropic-version`` must be present, any value (the SDK sends ``2026-10-21``).
"""

from __future__ import annotations

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
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from reports.simulator import analytics, analytics_query, legacy_reports, listings
from reports.simulator.catalog import base58
from reports.simulator.demo import demo_organization
from reports.simulator.faults import SERVER_ERROR_TYPES, Faults
from reports.simulator.organization import Organization
from reports.simulator.params import Refusal, bad_request

DEMO_API_KEY = "sk-ant-admin01-demo-simulator-key"  # clearly fake; only this simulator accepts it

ANALYTICS_COST_PATH = analytics_query.COST_PATH
ANALYTICS_USAGE_PATH = analytics_query.USAGE_PATH


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


def _request_id() -> str:
    return "req_01" + base58(int.from_bytes(os.urandom(17), "big"))


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
        self.legacy = legacy_reports.LegacyReports(organization, self.faults)
        self.listings = listings.Listings(organization, self.faults)
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
        except Refusal as failure:
            status = failure.status
            headers = failure.headers
            error: dict[str, Any] = {"type": failure.error_type, "message": failure.message}
            if failure.error_code is not None:
                error["details"] = {"error_code": failure.error_code}
            body = json.dumps({"type": "error", "error": error, "request_id": request_id},
                              separators=(",", ":")).encode()
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
            raise Refusal(401, "authentication_error", "invalid x-api-key")
        if not handler.headers.get("anthropic-version"):
            raise bad_request("anthropic-version: header is required")
        route = {
            legacy_reports.COST_PATH: self.legacy.cost_report,
            legacy_reports.USAGE_PATH: self.legacy.usage_report,
            listings.WORKSPACES_PATH: self.listings.workspaces,
            listings.API_KEYS_PATH: self.listings.api_keys,
            listings.USERS_PATH: self.listings.users,
            listings.SERVICE_ACCOUNTS_PATH: self.listings.service_accounts,
            listings.ME_PATH: self.listings.me,
            ANALYTICS_COST_PATH: lambda query: self._analytics(path, query),
            ANALYTICS_USAGE_PATH: lambda query: self._analytics(path, query),
            listings.RBAC_GROUPS_PATH: self.listings.rbac_groups,
        }.get(path)
        if route is None and path.startswith(listings.RBAC_GROUPS_PATH + "/") and path.endswith("/members"):
            group_id = path[len(listings.RBAC_GROUPS_PATH) + 1:-len("/members")]
            route = lambda query: self.listings.rbac_group_members(group_id, query)  # noqa: E731
        if route is None:
            raise Refusal(404, "not_found_error", "Not found")
        if method != "GET":
            raise Refusal(405, "invalid_request_error", f"Method {method} is not allowed")
        if path in (ANALYTICS_COST_PATH, ANALYTICS_USAGE_PATH):
            betas = {value.strip() for value in (handler.headers.get("anthropic-beta") or "").split(",")}
            if analytics_query.BETA not in betas:
                raise bad_request(f"anthropic-beta: this endpoint is in beta; send '{analytics_query.BETA}'")
        faults = self.faults
        if faults.slow_response_seconds > 0:
            if faults.slow_responses <= 0 or faults.take("slow_response", faults.slow_responses, path) is not None:
                time.sleep(faults.slow_response_seconds)
        if faults.take("rate_limit", faults.rate_limit, path) is not None:
            raise Refusal(429, "rate_limit_error", "Rate limited",
                           {"retry-after": faults.retry_after})
        ordinal = faults.take("server_errors", len(faults.server_errors), path)
        if ordinal is not None:
            status = faults.server_errors[ordinal]
            error_type, message = SERVER_ERROR_TYPES.get(status, ("api_error", "Internal server error"))
            extra = {"retry-after": faults.retry_after} if status in (503, 529) else {}
            raise Refusal(status, error_type, message, extra)
        body = route(query)
        mode = None
        if faults.take("drop_connection", faults.drop_connection, path) is not None:
            mode = "drop"
        elif faults.take("truncated_json", faults.truncated_json, path) is not None:
            mode = "truncate"
        return 200, body, {}, mode

    # ------------------------------------------------------------ analytics (analytics.py)

    def _analytics(self, path: str, query: dict[str, list[str]]) -> bytes:
        try:
            return self.analytics.answer(path, query, self.now())
        except analytics_query.BadRequest as refused:
            raise bad_request(str(refused)) from None


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
          f"'{server.base_url}{legacy_reports.COST_PATH}?starting_at=2026-10-01T00:00:00Z"
          f"&ending_at=2026-11-01T00:00:00Z&limit=31&group_by[]=workspace_id'", flush=True)
    print("Usage and Cost Analytics API (beta):", flush=True)
    print(f"  curl -s -H 'x-api-key: {DEMO_API_KEY}' -H 'anthropic-version: 2026-10-21' "
          f"-H 'anthropic-beta: {analytics_query.BETA}' "
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
