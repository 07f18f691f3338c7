"""The contract, not our simulator: a run against a separately written Admin API server.

This small server follows admin-api.md on its own terms (its own cursor format, two buckets
a page, list endpoints paged two items at a time whatever limit is asked, its own IDs and
amounts), and the test computes every journal debit by hand from its rows.
"""

from __future__ import annotations

import csv
import json
import threading
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.slow  # a whole month against another server, through the command line

KEY = "sk-ant-admin01-other-server-0123456789"
# (day of October 2026, workspace, description, amount in cents); the prior month has one row
ROWS = [
    (3, "ws_alpha", "Claude Opus 4.6 Usage - Output Tokens", "100000.3333333"),
    (3, None, "Claude Haiku 4.5 Usage - Input Tokens", "2500.5"),
    (9, "ws_beta", "Web Search Usage", "733.3333333"),
    (9, "ws_shared", "Claude Sonnet 4.5 Usage - Input Tokens", "1000.0050"),
    (17, "ws_gamma", "Code Execution Usage", "12.3456789"),
    (30, "ws_alpha", "Claude Opus 4.6 Usage - Input Tokens", "45000"),
    (31, "ws_orphan", "Claude Sonnet 4.5 Usage - Output Tokens", "999.9999"),
]
PRIOR = [(15, "ws_alpha", "Claude Opus 4.6 Usage - Output Tokens", "80000")]
WORKSPACES = [("ws_alpha", "Alpha"), ("ws_beta", "Beta"), ("ws_gamma", "Gamma"), ("ws_shared", "Shared Tools"),
              ("ws_orphan", "Orphan")]
CONFIG = """organization: Other Co
journal: {credit_account: "2100", expense_account: "6000", memo: "AI {month}"}
cost_centers:
  - {code: A, name: Alpha Team, workspaces: [ws_alpha], budget: 1000}
  - {code: B, name: Beta Team, workspaces: [ws_beta, ws_gamma]}
  - {code: Z, name: Unassigned}
default_workspace: B
unallocated: Z
shared:
  - {workspace: ws_shared, split: {A: 33.3, B: 66.7}}
"""


def buckets(year: int, month: int, rows) -> list[dict]:
    start = date(year, month, 1)
    days = []
    while start.month == month:
        results = [{"currency": "USD", "amount": amount, "workspace_id": ws, "description": text,
                    "cost_type": "tokens", "context_window": None, "model": None, "service_tier": "standard",
                    "token_type": None}
                   for day, ws, text, amount in rows if day == start.day]
        end = start + timedelta(days=1)
        days.append({"starting_at": f"{start}T00:00:00Z", "ending_at": f"{end}T00:00:00Z", "results": results})
        start = end
    return days


class OtherAdminApi(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802
        if self.headers.get("x-api-key") != KEY:
            return self.reply(401, {"type": "error", "error": {"type": "authentication_error", "message": "no"}})
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        endpoint = url.path.removeprefix("/v1/organizations/")
        if endpoint in ("cost_report", "usage_report/messages"):
            start = datetime.fromisoformat(query["starting_at"][0].replace("Z", "+00:00"))
            rows = ROWS if start.month == 10 else PRIOR
            data = buckets(start.year, start.month, rows if endpoint == "cost_report" else [])
            if endpoint == "usage_report/messages":
                for bucket in data:
                    bucket["results"] = []
            offset = int(query.get("page", ["cursor:0"])[0].split(":")[1])
            page = data[offset:offset + 2]
            more = offset + 2 < len(data)
            cursor = f"cursor:{offset + 2}" if more else None
            return self.reply(200, {"data": page, "has_more": more, "next_page": cursor})
        if endpoint in ("workspaces", "api_keys"):
            items = [{"id": ws, "type": "workspace", "name": name, "archived_at": None} for ws, name in WORKSPACES]
            if endpoint == "api_keys":
                items = []
            after = query.get("after_id", [None])[0]
            start = 0 if after is None else [i["id"] for i in items].index(after) + 1
            page = items[start:start + 2]
            return self.reply(200, {"data": page, "has_more": start + 2 < len(items),
                                    "first_id": page[0]["id"] if page else None,
                                    "last_id": page[-1]["id"] if page else None})
        return self.reply(404, {"type": "error", "error": {"type": "not_found_error", "message": endpoint}})

    def reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def other_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), OtherAdminApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def expected_debits() -> dict[str, Decimal]:
    """By hand: A owns alpha, B owns beta, gamma and Default, shared split 33.3/66.7, Z the orphan."""
    cents = {ws: Decimal(0) for ws in ("ws_alpha", "ws_beta", "ws_gamma", "ws_shared", "ws_orphan", None)}
    for _, ws, _, amount in ROWS:
        cents[ws] += Decimal(amount)
    exact = {
        "A": (cents["ws_alpha"] + cents["ws_shared"] * Decimal("0.333")) / 100,
        "B": (cents["ws_beta"] + cents["ws_gamma"] + cents[None] + cents["ws_shared"] * Decimal("0.667")) / 100,
        "Z": cents["ws_orphan"] / 100,
    }
    total = (sum(cents.values()) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    floored = {code: value.quantize(Decimal("0.01"), rounding="ROUND_FLOOR") for code, value in exact.items()}
    missing = int((total - sum(floored.values())) * 100)
    for code in sorted(exact, key=lambda c: -(exact[c] - floored[c]))[:missing]:
        floored[code] += Decimal("0.01")
    return floored


def test_a_run_against_another_server_books_what_a_hand_calculation_says(cli, tmp_path: Path, other_server):
    config = tmp_path / "chargeback.yaml"
    config.write_text(CONFIG)
    done = cli("run", "--month", "2026-10", "--config", str(config), "--output", str(tmp_path / "out"),
               env={"ANTHROPIC_ADMIN_API_KEY": KEY, "ANTHROPIC_ADMIN_BASE_URL": other_server}, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with (tmp_path / "out" / "2026-10" / "journal-2026-10.csv").open(encoding="utf-8", newline="") as handle:
        journal = list(csv.DictReader(handle))
    debits = {row["Cost Center"]: Decimal(row["Debit"]) for row in journal if row["Debit"]}
    assert debits == expected_debits()
    [credit] = [row for row in journal if row["Credit"]]
    assert Decimal(credit["Credit"]) == sum(debits.values()) and credit["Account"] == "2100"
    assert {row["Memo"] for row in journal} == {"AI 2026-10"}
    manifest = json.loads((tmp_path / "out" / "2026-10" / "manifest.json").read_text())
    cost_pages = [p for p in manifest["raw_pages"] if p["query"] == "cost_report-2026-10"]
    assert len(cost_pages) == 16  # 31 days at two buckets a page: every page followed
    assert "Orphan" in done.stdout  # the unmapped workspace is named in the summary
