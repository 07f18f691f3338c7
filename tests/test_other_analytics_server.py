"""The contract, not our simulator: `source: analytics` against a separately written analytics server.

This file does not use the product's simulator. Its server follows analytics-api.md on its own
terms: its own organization and IDs, its own cursor format, at most three rows a page whatever
`limit` says, list endpoints two items a page, every group key present and `null` unless grouped,
cost_type/token_type fan-out, distinct unrenderable identities as separate null-actor rows, the
Default workspace's real `wrkspc_` ID (listed only with `include_default=true`), and the checks the
API makes (beta header, auth, `group_by[]` cap, `limit` range, 31-day window, the 2026-01-01 floor,
cursors bound to their query). The product is run as a new user runs it (`check-config`, then
`run` through the CLI), and every journal debit is compared with a hand calculation written from
SPEC.md's attribution and money rules.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import threading
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
import yaml

from conftest import run_cli

KEY = "sk-ant-admin01-other-analytics-Q7x9-0123456789abcdef"
BETA = "analytics-usage-cost-2026-08-24"
REFRESHED = "2026-12-01T23:47:12Z"
MONTH = "2026-10"
COST = "/v1/organizations/analytics/cost"
USAGE = "/v1/organizations/analytics/usage"
ROWS_PER_PAGE = 3        # whatever `limit` says
ITEMS_PER_LIST_PAGE = 2  # whatever `limit` says
FLOOR = datetime(2026, 1, 1, tzinfo=UTC)

# ------------------------------------------------------------------ the organization

WS_DEFAULT = "wrkspc_0QdfltHome"   # the Default workspace: a real ID, listed only with include_default
WS_RESEARCH = "wrkspc_0QresLab01"
WS_OPS = "wrkspc_0QopsFloor1"
WS_ARCHIVE = "wrkspc_0QarcOld001"  # archived mid-month, listed only with include_archived
WS_SHARED = "wrkspc_0QshrLab001"
WS_ORPHAN = "wrkspc_0QorfSand01"   # in no rule

WORKSPACES = [  # (id, name, archived_at, is_default)
    (WS_DEFAULT, "Default", None, True),
    (WS_RESEARCH, "Research", None, False),
    (WS_OPS, "Operations", None, False),
    (WS_ARCHIVE, "Old Archive", "2026-10-15T12:00:00Z", False),
    (WS_SHARED, "Shared Lab", None, False),
    (WS_ORPHAN, "Orphan Sandbox", None, False),
]

K_OPS = "apikey_0QopsPipe"
K_APPS = "apikey_0QappsProd"     # the Applications team's key, also used by a Research user
K_TEAM = "apikey_0QteamShare"    # shared between teams, split proportionally
K_STRAY = "apikey_0QstrayTest"   # in no rule, in a workspace in no rule
K_ORG = "apikey_0QorgBound"      # organization-scoped, principal-bound to the service account
K_DEFAULT = "apikey_0QdfltKey"   # in the Default workspace, in no rule
K_LAB = "apikey_0QlabKey01"      # in the shared workspace, in no rule
K_MKT = "apikey_0QmktPromo"      # Marketing's key: only a fully discounted row

API_KEYS = [  # (id, name, workspace or None for an organization scope, status, principal)
    (K_OPS, "ops-pipeline", WS_OPS, "active", None),
    (K_APPS, "apps-prod", WS_OPS, "active", None),
    (K_TEAM, "team-shared", WS_RESEARCH, "active", None),
    (K_STRAY, "stray-test", WS_ORPHAN, "archived", None),
    (K_ORG, "org-bound-bot", None, "active",
     {"type": "service_account_actor", "service_account_id": "svac_0QbotNightly"}),
    (K_DEFAULT, "default-key", WS_DEFAULT, "active", None),
    (K_LAB, "lab-key", WS_SHARED, "active", None),
    (K_MKT, "marketing-promo", WS_OPS, "active", None),
]

USERS = [  # (id, email, name, listed) -- erin was removed from the organization: not in the listing
    ("user_0QadaByron", "ada@other.example", "Ada Byron", True),
    ("user_0QbobSmith", "bob@other.example", "Bob Smith", True),
    ("user_0QcarolKing", "carol@other.example", "Carol King", True),
    ("user_0QdaveNoRule", "dave@other.example", "Dave Jones", True),
    ("user_0QerinGone", "erin@other.example", "Erin Gone", False),
]
SVAC = "svac_0QbotNightly"


def user(uid: str) -> dict:
    [(i, email, name, listed)] = [u for u in USERS if u[0] == uid]
    return {"type": "user_actor", "user_id": i, "email_address": email, "name": name, "deleted": not listed}


def api_actor(key: str) -> dict:
    return {"type": "api_actor", "api_key_id": key}


SA = {"type": "service_account_actor", "service_account_id": SVAC}
FED_AWS = {"type": "federated_actor", "subject": "arn:aws:iam::111122223333:role/nightly-batch",
           "provider": {"type": "aws", "account_id": "111122223333",
                        "signed_principal": "arn:aws:sts::111122223333:assumed-role/nightly-batch"}}
FED_GCP = {"type": "federated_actor", "subject": "serviceAccount:etl@proj.iam.gserviceaccount.com",
           "provider": {"type": "gcp", "project_number": "998877665544"}}

OPUS, SONNET, HAIKU = "claude-opus-5-5", "claude-sonnet-5", "claude-haiku-5"
UNC, OUT, CREAD = "uncached_input_tokens", "output_tokens", "cache_read_input_tokens"
C1H, C5M = "cache_creation.ephemeral_1h_input_tokens", "cache_creation.ephemeral_5m_input_tokens"


@dataclass(frozen=True)
class Activity:
    """Spend of one identity on one day: its cost components and its tokens.

    ``owner`` is the hand attribution (a cost center code, or ``split:<rule>``), written by reading
    SPEC.md's precedence; ``test_the_hand_attribution_follows_the_spec_precedence`` re-derives it.
    """

    month: int
    day: int
    workspace: str | None
    key: str | None
    actor: dict | None
    model: str | None
    tier: str | None
    costs: tuple  # ((cost_type, token_type, amount, list_amount), ...) in cents, as the API writes them
    owner: str
    tokens: dict = field(default_factory=dict)
    web_searches: int = 0
    requests: int = 1
    ident: str = ""  # a null actor's hidden identity: distinct identities read null, each its own row
    product: str | None = "messages_api"


def tok(token_type: str, amount: str, list_amount: str | None = None) -> tuple:
    return ("tokens", token_type, amount, list_amount or amount)


ACTIVITIES = [
    # --- October 2026
    Activity(10, 1, WS_ORPHAN, None, FED_GCP, SONNET, "standard", (tok(UNC, "10.01"),), "UNA",
             {UNC: 3300}),  # federated actor, no key, unmapped workspace; day 1 also tests a Sept window
    Activity(10, 2, WS_RESEARCH, K_TEAM, api_actor(K_TEAM), OPUS, "standard",
             (tok(UNC, "41234.5678901", "51543.2098626"), tok(OUT, "98765.4321", "123456.790125"),
              tok(CREAD, "10.0000005", "12.5"), ("web_search", None, "1000", "1000")), "split:team",
             {UNC: 2_749_000, OUT: 1_316_872, CREAD: 66_000}, web_searches=100, requests=480),
    Activity(10, 5, WS_OPS, K_APPS, user("user_0QadaByron"), SONNET, "standard",
             (tok(UNC, "2500.5"), tok(OUT, "12000.25", "15000")), "RSC",
             {UNC: 833_500, OUT: 800_016}, requests=61),  # a user on a team's API key
    Activity(10, 7, WS_OPS, K_APPS, api_actor(K_APPS), SONNET, "batch",
             (tok(OUT, "33333.3333333", "66666.6666666"),), "APP", {OUT: 4_444_444}, requests=900),
    Activity(10, 9, WS_OPS, K_OPS, SA, HAIKU, "standard",
             (tok(UNC, "777.777", "800"), tok(C5M, "123.456", "130")), "RSC",
             {UNC: 777_777, C5M: 98_765}, requests=33),  # a service account on another team's key
    Activity(10, 11, WS_OPS, None, FED_AWS, OPUS, "standard", (tok(OUT, "5000.0001"),), "OPS",
             {OUT: 66_667}, requests=12),  # federated: no rule for it, so its workspace
    Activity(10, 13, WS_DEFAULT, None, user("user_0QcarolKing"), SONNET, "standard",
             (tok(UNC, "4321.1234", "4800"),), "APP", {UNC: 1_440_374}, requests=40,
             product="claude_code"),  # her own login, in the Default workspace; config spells her email in capitals
    Activity(10, 14, WS_RESEARCH, K_OPS, None, HAIKU, "standard", (tok(OUT, "1500.125", "1600"),), "OPS",
             {OUT: 300_025}, requests=7, ident="unrenderable-1"),
    Activity(10, 20, WS_RESEARCH, K_OPS, None, HAIKU, "standard", (tok(OUT, "2600.0625", "2700"),), "OPS",
             {OUT: 520_012}, requests=9, ident="unrenderable-2"),  # same group keys as the row above
    Activity(10, 15, WS_RESEARCH, K_TEAM, user("user_0QbobSmith"), OPUS, "standard",
             (tok(UNC, "6000", "7500"),), "OPS", {UNC: 400_000}, requests=20),  # a user on the shared key
    Activity(10, 16, WS_SHARED, K_LAB, api_actor(K_LAB), SONNET, "standard",
             (tok(UNC, "9999.9999", "11111.111"), tok(OUT, "10000.0001", "11111.1112")), "split:lab",
             {UNC: 3_333_333, OUT: 666_667}, requests=150),
    Activity(10, 18, WS_ARCHIVE, None, None, None, None, (("code_execution", None, "88.8888888", "88.8888888"),),
             "OPS", requests=14, ident="sandbox", product=None),  # model null; an archived workspace
    Activity(10, 19, WS_DEFAULT, K_DEFAULT, api_actor(K_DEFAULT), None, None,
             (("session_usage", None, "1234.5678", "1234.5678"),), "PLT", requests=3,
             product="managed_agents_api"),  # Managed Agents session time, model null
    Activity(10, 21, WS_DEFAULT, K_DEFAULT, api_actor(K_DEFAULT), HAIKU, "priority",
             (tok(OUT, "3000.3"),), "PLT", {OUT: 600_060}, requests=44),  # Priority Tier: not in cost_report
    Activity(10, 22, None, None, user("user_0QdaveNoRule"), OPUS, None, (tok(OUT, "4444.4444"),), "UNA",
             {OUT: 59_259}, requests=5, product="chat"),  # outside any workspace, a user in no rule
    Activity(10, 23, None, K_ORG, SA, SONNET, "standard", (tok(UNC, "321.0987", "400"),), "RSC",
             {UNC: 107_033}, requests=8),  # outside any workspace, by its service account
    Activity(10, 24, None, K_ORG, api_actor(K_ORG), SONNET, "standard", (tok(OUT, "65.4321", "70"),), "UNA",
             {OUT: 4_362}, requests=2),  # outside any workspace, a key in no rule: not the Default workspace
    Activity(10, 25, WS_ORPHAN, K_STRAY, api_actor(K_STRAY), HAIKU, "standard", (tok(UNC, "199.9999", "250"),),
             "UNA", {UNC: 199_999}, requests=4),  # an unmapped key
    Activity(10, 26, None, None, user("user_0QerinGone"), OPUS, None, (tok(OUT, "2000.0049", "2500"),), "LEG",
             {OUT: 26_667}, requests=6, product="chat"),  # a removed user: only the row knows her email
    Activity(10, 27, WS_OPS, K_MKT, api_actor(K_MKT), HAIKU, "standard", (tok(UNC, "0", "250.5"),), "MKT",
             {UNC: 250_500}, requests=10),  # fully discounted: Marketing has no spend
    Activity(10, 28, WS_OPS, K_OPS, api_actor(K_OPS), OPUS, "flex",
             (tok(C1H, "15000.015"), tok(CREAD, "0.0004", "0.0005")), "OPS", {C1H: 1_000_001, CREAD: 8},
             requests=70),
    Activity(10, 31, WS_RESEARCH, None, user("user_0QadaByron"), OPUS, "standard",
             (tok(OUT, "25000.5", "31250.625"),), "RSC", {OUT: 333_340}, requests=90,
             product="claude_code"),  # her own login, no API key
    # --- September 2026 (the prior month)
    Activity(9, 3, WS_RESEARCH, K_TEAM, api_actor(K_TEAM), OPUS, "standard", (tok(OUT, "50000", "60000"),),
             "split:team", {OUT: 666_667}, requests=100),
    Activity(9, 10, WS_OPS, K_OPS, api_actor(K_OPS), HAIKU, "standard", (tok(UNC, "20000.125"),), "OPS",
             {UNC: 20_000_125}, requests=300),
    Activity(9, 20, WS_DEFAULT, K_DEFAULT, api_actor(K_DEFAULT), SONNET, "standard", (tok(OUT, "7000.5"),),
             "PLT", {OUT: 466_700}, requests=50),
    Activity(9, 30, WS_RESEARCH, None, user("user_0QadaByron"), OPUS, "standard", (tok(OUT, "12345.678"),),
             "RSC", {OUT: 164_609}, requests=20),
    Activity(9, 15, WS_ORPHAN, K_STRAY, api_actor(K_STRAY), HAIKU, "standard", (tok(UNC, "99.99"),), "UNA",
             {UNC: 99_990}, requests=3),
]

CONFIG = f"""\
organization: Other Analytics Co
source: analytics
journal:
  credit_account: "2100"
  expense_account: "6000"
  memo: "Other analytics {{month}}"
cost_centers:
  - code: RSC
    name: Research
    budget: 5000
    workspaces: [{WS_RESEARCH}]
    users: [ada@other.example]
    service_accounts: [{SVAC}]
  - code: OPS
    name: Operations
    expense_account: "6011"
    workspaces: [{WS_OPS}, {WS_ARCHIVE}]
    api_keys: [{K_OPS}]
    users: [user_0QbobSmith]
  - code: APP
    name: Applications
    api_keys: [{K_APPS}]
    users: [Carol@Other.Example]
  - code: PLT
    name: Platform
  - code: LEG
    name: Legal
    users: [erin@other.example]
  - code: MKT
    name: Marketing
    api_keys: [{K_MKT}]
  - code: UNA
    name: Unallocated
default_workspace: PLT
unallocated: UNA
shared:
  - workspace: {WS_SHARED}
    split: {{RSC: 33.3, OPS: 66.7}}
  - api_key: {K_TEAM}
    split: proportional
"""
SHARED_RULES = {"lab": ("workspace", WS_SHARED), "team": ("api_key", K_TEAM)}

# ------------------------------------------------------------------ the server

COST_GROUPS = ["actor", "actor_type", "agent_id", "api_key_id", "claude_tag_category", "claude_tag_user_id",
               "context_window", "cost_type", "deployment_id", "environment_id", "inference_geo", "model",
               "organization_id", "product", "rbac_group_id", "service_tier", "session_id", "slack_channel_id",
               "speed", "token_type", "user_profile_id", "workspace_id"]
USAGE_GROUPS = [g for g in COST_GROUPS if g not in ("cost_type", "token_type")]
FAN_OUT = {"cost_type", "token_type"}
KNOWN_PARAMS = {"starting_at", "ending_at", "time_bucket_width", "group_by[]", "limit", "page", "order_by", "order"}
COST_ORDER = {"amount", "list_amount", "time"}
USAGE_ORDER = {"output_tokens", "requests", "time", "total_tokens", "uncached_input_tokens"}


class Refused(Exception):
    def __init__(self, status: int, kind: str, message: str):
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


def _limit(one: dict[str, str]) -> int:
    """The page size a query asked for (1 to 1000, default 20), or the API's 400."""
    try:
        limit = int(one.get("limit", "20"))
    except ValueError:
        raise Refused(400, "invalid_request_error", "limit: not an integer") from None
    if not 1 <= limit <= 1000:
        raise Refused(400, "invalid_request_error", "limit: must be between 1 and 1000")
    return limit


def parse_time(value: str, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Refused(400, "invalid_request_error", f"{name}: not an RFC 3339 timestamp") from None
    if parsed.tzinfo is None:
        raise Refused(400, "invalid_request_error", f"{name}: must be timezone-aware")
    return parsed.astimezone(UTC)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def plain(value: Decimal) -> str:
    return format(value, "f")


def dimensions(act: Activity) -> dict:
    """The activity's value of every group key (actor as the API renders it)."""
    token_row = act.model is not None
    values = {g: None for g in COST_GROUPS}
    values.update({
        "actor": act.actor, "actor_type": act.actor["type"] if act.actor else None, "api_key_id": act.key,
        "context_window": "0-200k" if token_row else None, "inference_geo": "global" if token_row else None,
        "model": act.model, "product": act.product, "service_tier": act.tier,
        "speed": "standard" if token_row else None,
        "workspace_id": act.workspace,
    })
    return values


def in_month(act: Activity, start: datetime, end: datetime) -> bool:
    moment = datetime(2026, act.month, act.day, tzinfo=UTC)
    return start <= moment < end


class AnalyticsOrg:
    """State of one server: the activities, what was asked and what was answered."""

    def __init__(self, activities=ACTIVITIES, bad_amount: tuple[int, int] | None = None):
        self.activities = activities
        self.bad_amount = bad_amount  # (page number from 1, row index from 0) of the October grouped cost query
        self.requests: list[dict] = []
        self.pages: dict[tuple, dict] = {}  # (path, params without page, cursor) -> the page served
        self.lock = threading.Lock()

    # -- analytics endpoints

    def analytics(self, path: str, query: dict[str, list[str]], headers) -> dict:
        cost = path == COST
        betas = [b.strip() for b in (headers.get("anthropic-beta") or "").split(",")]
        if BETA not in betas:
            raise Refused(400, "invalid_request_error",
                          f"this endpoint requires the beta header 'anthropic-beta: {BETA}'")
        unknown = set(query) - KNOWN_PARAMS
        if unknown:
            raise Refused(400, "invalid_request_error", f"unknown or unsupported parameters: {sorted(unknown)}")
        for name, values in query.items():
            if name != "group_by[]" and len(values) > 1:
                raise Refused(400, "invalid_request_error", f"{name}: given {len(values)} times")
        one = {k: v[0] for k, v in query.items() if k != "group_by[]"}
        if "starting_at" not in one:
            raise Refused(400, "invalid_request_error", "starting_at: field required")
        start = parse_time(one["starting_at"], "starting_at")
        now = datetime.now(UTC)
        if start < FLOOR:
            raise Refused(400, "invalid_request_error", "starting_at: must be no earlier than 2026-01-01T00:00:00Z")
        if start < now - timedelta(days=365):
            raise Refused(400, "invalid_request_error", "starting_at: must be within the last 365 days")
        width = one.get("time_bucket_width")
        if width not in (None, "1d", "1h", "1m"):
            raise Refused(400, "invalid_request_error", f"time_bucket_width: {width!r} is not one of 1d, 1h, 1m")
        if width in ("1h", "1m"):
            raise Refused(400, "invalid_request_error", "this test server answers only 1d buckets")
        if "ending_at" in one:
            end = parse_time(one["ending_at"], "ending_at")
        elif width:
            raise Refused(400, "invalid_request_error", "ending_at: required when time_bucket_width is set")
        else:
            end = min(now, start + timedelta(days=31))
        if end <= start or end - start > timedelta(days=31):
            raise Refused(400, "invalid_request_error", "the range must be positive and span at most 31 days")
        allowed = COST_GROUPS if cost else USAGE_GROUPS
        groups = query.get("group_by[]", [])
        bad = [g for g in groups if g not in allowed]
        if bad:
            raise Refused(400, "invalid_request_error", f"group_by[]: {bad} not allowed here")
        if len(set(groups)) != len(groups):
            raise Refused(400, "invalid_request_error", "group_by[]: a value is repeated")
        if len([g for g in groups if g not in FAN_OUT]) > 5:
            raise Refused(400, "invalid_request_error",
                          "group_by[]: at most 5 values" + (", not counting cost_type and token_type" if cost else ""))
        limit = _limit(one)
        order_by = one.get("order_by", "amount" if cost else "total_tokens")
        if order_by not in (COST_ORDER if cost else USAGE_ORDER):
            raise Refused(400, "invalid_request_error", f"order_by: {order_by!r} not allowed")
        order = one.get("order", "desc")
        if order not in ("asc", "desc"):
            raise Refused(400, "invalid_request_error", f"order: {order!r} not allowed")

        rows = self.cost_rows(start, end, width, groups) if cost else self.usage_rows(start, end, width, groups)
        metric = {"time": "amount" if cost else "total_tokens"}.get(order_by, order_by)

        def rank(row):
            value = row["cost"][metric] if cost else row["usage"][metric]
            value = Decimal(value) if value is not None else Decimal(-1)
            return value if order == "asc" else -value

        rows.sort(key=lambda r: json.dumps(r, sort_keys=True))
        rows.sort(key=rank)
        if order_by == "time" and width:
            rows.sort(key=lambda r: r["starting_at"], reverse=order == "desc")

        params = {k: v for k, v in query.items() if k != "page"}
        binding = hashlib.sha256(json.dumps([path, sorted(params.items())]).encode()).hexdigest()[:12]
        cursor = one.get("page")
        offset = 0
        if cursor is not None:
            match = re.fullmatch(r"oq\.([0-9a-f]{12})\.(\d+)\.end", cursor)
            if not match:
                raise Refused(400, "invalid_request_error", "page: not a cursor this API issued")
            if match.group(1) != binding:
                raise Refused(400, "invalid_request_error", "page: cursor does not match current query parameters")
            offset = int(match.group(2))
        size = min(limit, ROWS_PER_PAGE)
        page = rows[offset:offset + size]
        more = offset + size < len(rows)
        page_number = offset // size + 1
        if (cost and self.bad_amount and self.bad_amount[0] == page_number and start.month == 10
                and "actor" in groups and not width):
            page = json.loads(json.dumps(page))
            page[self.bad_amount[1]]["cost"]["amount"] = "12.3.4"
        body = {"data": page, "has_more": more, "next_page": f"oq.{binding}.{offset + size}.end" if more else None,
                "data_refreshed_at": REFRESHED}
        with self.lock:
            self.pages[(path, json.dumps(sorted(params.items())), cursor)] = {
                "path": path, "page": page_number, "rows": page, "start": start, "end": end, "width": width,
                "groups": groups}
        return body

    def bucket_of(self, act: Activity, start: datetime, end: datetime, width: str | None) -> tuple[str, str]:
        if width == "1d":
            day = datetime(2026, act.month, act.day, tzinfo=UTC)
            return stamp(day), stamp(day + timedelta(days=1))
        floor = lambda m: m.replace(minute=0, second=0, microsecond=0)  # noqa: E731 - whole hours without a bucket
        return stamp(floor(start)), stamp(floor(end))

    def group_key(self, act: Activity, groups, extra: dict) -> tuple[dict, str]:
        values = dimensions(act)
        shown = {g: (values[g] if g in groups else None) for g in COST_GROUPS}
        shown.update(extra)
        hidden = act.ident if ("actor" in groups and act.actor is None) else ""
        return shown, json.dumps(shown, sort_keys=True) + "|" + hidden

    def cost_rows(self, start, end, width, groups) -> list[dict]:
        sums: dict[tuple, dict] = {}
        fan = FAN_OUT & set(groups)
        for act in self.activities:
            if not in_month(act, start, end):
                continue
            bounds = self.bucket_of(act, start, end, width)
            parts = []
            if fan:
                for cost_type, token_type, amount, list_amount in act.costs:
                    extra = {"cost_type": cost_type, "token_type": token_type if "token_type" in fan else None}
                    parts.append((extra, amount, list_amount, None))
            else:
                parts.append(({}, plain(sum(Decimal(c[2]) for c in act.costs)),
                              plain(sum(Decimal(c[3]) for c in act.costs)), act.requests))
            for extra, amount, list_amount, requests in parts:
                shown, key = self.group_key(act, groups, extra)
                row = sums.setdefault((bounds, key), {"starting_at": bounds[0], "ending_at": bounds[1], "group": shown,
                                                      "amount": Decimal(0), "list": Decimal(0), "requests": None})
                row["amount"] += Decimal(amount)
                row["list"] += Decimal(list_amount)
                if requests is not None:
                    row["requests"] = (row["requests"] or 0) + requests
        return [{"starting_at": r["starting_at"], "ending_at": r["ending_at"], "group": r["group"],
                 "cost": {"amount": plain(r["amount"]), "list_amount": plain(r["list"]), "currency": "USD",
                          "requests": r["requests"]}} for r in sums.values()]

    def usage_rows(self, start, end, width, groups) -> list[dict]:
        sums: dict[tuple, dict] = {}
        for act in self.activities:
            if not in_month(act, start, end) or (not act.tokens and not act.web_searches):
                continue
            bounds = self.bucket_of(act, start, end, width)
            shown, key = self.group_key(act, groups, {})
            for g in FAN_OUT:
                del shown[g]
            row = sums.setdefault((bounds, key), {"starting_at": bounds[0], "ending_at": bounds[1], "group": shown,
                                                  "tokens": Counter(), "web": 0, "requests": 0})
            row["tokens"].update(act.tokens)
            row["web"] += act.web_searches
            row["requests"] += act.requests
        out = []
        for r in sums.values():
            t = r["tokens"]
            out.append({"starting_at": r["starting_at"], "ending_at": r["ending_at"], "group": r["group"], "usage": {
                "uncached_input_tokens": t[UNC], "cache_read_input_tokens": t[CREAD],
                "cache_creation": {"ephemeral_1h_input_tokens": t[C1H], "ephemeral_5m_input_tokens": t[C5M]},
                "output_tokens": t[OUT], "total_tokens": sum(t.values()),
                "server_tool_use": {"web_search_requests": r["web"]}, "requests": r["requests"]}})
        return out

    # -- listings

    def listing(self, endpoint: str, query: dict[str, list[str]]) -> dict:
        one = {k: v[-1] for k, v in query.items()}
        limit = _limit(one)
        if endpoint == "workspaces":
            flags = {name: one.get(name, "false") for name in ("include_default", "include_archived")}
            if any(v not in ("true", "false") for v in flags.values()):
                raise Refused(400, "invalid_request_error", "include_default/include_archived: true or false")
            ids = set(query.get("ids[]", []))
            items = [{"id": i, "type": "workspace", "name": name, "created_at": "2025-03-01T09:00:00Z",
                      "archived_at": archived, "display_color": "#4a7bd0", "tags": {},
                      "data_residency": {"allowed_inference_geos": "unrestricted", "default_inference_geo": "global",
                                         "workspace_geo": "us"},
                      "compartment_id": None, "external_key_id": None, "user_profile_id": None}
                     for i, name, archived, default in WORKSPACES
                     if (not default or flags["include_default"] == "true")
                     and (archived is None or flags["include_archived"] == "true") and (not ids or i in ids)]
        elif endpoint == "api_keys":
            items = [{"id": i, "type": "api_key", "name": name, "created_at": "2025-06-01T10:00:00Z",
                      "expires_at": None, "partial_key_hint": f"sk-ant-api03-...{i[-4:]}", "status": status,
                      "created_by": {"id": "user_0QadaByron", "type": "user"}, "principal": principal,
                      "scope": {"type": "workspace", "workspace_id": ws} if ws else {"type": "organization"}}
                     for i, name, ws, status, principal in API_KEYS
                     if one.get("status") in (None, status) and one.get("workspace_id") in (None, ws)]
        else:  # users
            items = [{"id": i, "type": "user", "email": email, "name": name, "role": "developer",
                      "added_at": "2025-02-01T08:00:00Z"}
                     for i, email, name, listed in USERS if listed and one.get("email") in (None, email)]
        ids = [item["id"] for item in items]
        if "after_id" in one:
            if one["after_id"] not in ids:
                raise Refused(400, "invalid_request_error", "after_id: unknown")
            first = ids.index(one["after_id"]) + 1
        elif "before_id" in one:
            raise Refused(400, "invalid_request_error", "this test server pages forward only")
        else:
            first = 0
        size = min(limit, ITEMS_PER_LIST_PAGE)
        page = items[first:first + size]
        return {"data": page, "has_more": first + size < len(items),
                "first_id": page[0]["id"] if page else None, "last_id": page[-1]["id"] if page else None}

    def legacy_cost_report(self, query: dict[str, list[str]]) -> dict:
        """The legacy report: daily buckets, the Default workspace as null, no Priority Tier, no usage
        outside a workspace (it is a Claude Console report)."""
        one = {k: v[-1] for k, v in query.items() if k != "group_by[]"}
        start = parse_time(one["starting_at"], "starting_at")
        end = parse_time(one["ending_at"], "ending_at") if "ending_at" in one else start + timedelta(days=31)
        limit = int(one.get("limit", "7"))
        if not 1 <= limit <= 31:
            raise Refused(400, "invalid_request_error", "limit: must be between 1 and 31")
        groups = set(query.get("group_by[]", []))
        if groups - {"workspace_id", "description"}:
            raise Refused(400, "invalid_request_error", "group_by[]: workspace_id and description only")
        buckets = []
        day = start
        while day < end:
            results: dict[tuple, Decimal] = defaultdict(Decimal)
            for act in self.activities:
                if (in_month(act, day, day + timedelta(days=1)) and act.workspace is not None
                        and act.tier != "priority"):
                    ws = None if act.workspace == WS_DEFAULT else act.workspace
                    for cost_type, token_type, amount, _ in act.costs:
                        text = f"{act.model} Usage - {token_type}" if token_type else f"{cost_type} Usage"
                        key = (ws if "workspace_id" in groups else None, text if "description" in groups else None)
                        results[key] += Decimal(amount)
            buckets.append({"starting_at": stamp(day), "ending_at": stamp(day + timedelta(days=1)), "results": [
                {"currency": "USD", "amount": plain(amount), "workspace_id": ws, "description": text,
                 "cost_type": None, "context_window": None, "model": None, "service_tier": None, "token_type": None}
                for (ws, text), amount in results.items()]})
            day += timedelta(days=1)
        offset = int(one.get("page", "lg-0").removeprefix("lg-"))
        size = min(limit, 7)
        page = buckets[offset:offset + size]
        more = offset + size < len(buckets)
        return {"data": page, "has_more": more, "next_page": f"lg-{offset + size}" if more else None}


def make_handler(org: AnalyticsOrg):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            url = urlsplit(self.path)
            query = parse_qs(url.query, keep_blank_values=True)
            auth = ("x-api-key" if self.headers.get("x-api-key") == KEY
                    else "bearer" if self.headers.get("authorization") == f"Bearer {KEY}" else None)
            record = {"path": url.path, "query": query, "beta": self.headers.get("anthropic-beta"),
                      "version": self.headers.get("anthropic-version"), "auth": auth, "status": None}
            with org.lock:
                org.requests.append(record)
            try:
                if auth is None:
                    raise Refused(401, "authentication_error", "invalid x-api-key")
                if not self.headers.get("anthropic-version"):
                    raise Refused(400, "invalid_request_error", "anthropic-version: header is required")
                endpoint = url.path.removeprefix("/v1/organizations/")
                if url.path in (COST, USAGE):
                    body = org.analytics(url.path, query, self.headers)
                elif endpoint in ("workspaces", "api_keys", "users"):
                    body = org.listing(endpoint, query)
                elif endpoint == "cost_report":
                    body = org.legacy_cost_report(query)
                elif endpoint == "service_accounts":
                    raise Refused(403, "permission_error",
                                  "requires an OAuth access token with the org:admin scope; "
                                  "Admin API keys are not accepted")
                elif endpoint == "me":
                    body = {"id": "org_0QotherAnalytics", "name": "Other Analytics Co", "type": "organization"}
                else:
                    raise Refused(404, "not_found_error", f"no such endpoint: {url.path}")
                record["status"] = 200
                self.reply(200, body)
            except Refused as refused:
                record["status"] = refused.status
                self.reply(refused.status, {
                    "type": "error", "error": {"type": refused.kind, "message": refused.message},
                    "request_id": f"req_0Qother{len(org.requests):04d}"})

        def reply(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.send_header("request-id", f"req_0Qother{len(org.requests):04d}")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    return Handler


class Served:
    def __init__(self, org: AnalyticsOrg):
        self.org = org
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(org))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


# ------------------------------------------------------------------ the hand calculation (from SPEC.md)

CFG = yaml.safe_load(CONFIG)
CODES = [cc["code"] for cc in CFG["cost_centers"]]
CENT = Decimal("0.01")


def spec_owner(act: Activity) -> str:
    """SPEC.md: user or service account (the row's actor), then API key, then workspace, then
    `default_workspace` for the Default workspace, then `unallocated`; a shared rule counts at
    the level of what it names; a null workspace is not the Default workspace."""
    by_user, by_svac, by_key, by_ws = {}, {}, {}, {}
    for cc in CFG["cost_centers"]:
        for u in cc.get("users", []):
            by_user[u.lower()] = cc["code"]
        for s in cc.get("service_accounts", []):
            by_svac[s] = cc["code"]
        for k in cc.get("api_keys", []):
            by_key[k] = cc["code"]
        for w in cc.get("workspaces", []):
            by_ws[w] = cc["code"]
    for name, (kind, target) in SHARED_RULES.items():
        (by_key if kind == "api_key" else by_ws)[target] = f"split:{name}"
    actor = act.actor or {}
    if actor.get("type") == "user_actor":
        for handle in (actor["user_id"], actor.get("email_address")):
            if handle and handle.lower() in by_user:
                return by_user[handle.lower()]
    if actor.get("type") == "service_account_actor" and actor["service_account_id"] in by_svac:
        return by_svac[actor["service_account_id"]]
    if act.key in by_key:
        return by_key[act.key]
    if act.workspace in by_ws:
        return by_ws[act.workspace]
    if act.workspace == WS_DEFAULT:
        return CFG["default_workspace"]
    return CFG["unallocated"]


def cents_of(act: Activity) -> Fraction:
    return sum((Fraction(Decimal(c[2])) for c in act.costs), Fraction(0))


def direct_spend(month: int) -> dict[str, Fraction]:
    """Exact dollars each cost center's own rules brought (users, service accounts, keys, workspaces,
    the Default workspace for its owner; the unallocated cost center's unmatched spend)."""
    direct = {code: Fraction(0) for code in CODES}
    for act in ACTIVITIES:
        if act.month == month and not act.owner.startswith("split:"):
            direct[act.owner] += cents_of(act) / 100
    return direct


def exact_allocation(month: int) -> dict[str, Fraction]:
    """Exact dollars per cost center: direct spend, then the fixed split, then the proportional one
    weighted by every cost center's direct spend (the unallocated cost center carries no weight)."""
    direct = {code: Fraction(0) for code in CODES}
    shared = defaultdict(Fraction)
    for act in ACTIVITIES:
        if act.month == month:
            if act.owner.startswith("split:"):
                shared[act.owner] += cents_of(act) / 100
            else:
                direct[act.owner] += cents_of(act) / 100
    total = dict(direct)
    fixed = {"RSC": Fraction(333, 1000), "OPS": Fraction(667, 1000)}
    for code, share in fixed.items():
        total[code] += shared["split:lab"] * share
    weights = {code: value for code, value in direct.items() if code != CFG["unallocated"]}
    for code, weight in weights.items():
        total[code] += shared["split:team"] * weight / sum(weights.values())
    assert sum(total.values()) == sum(cents_of(a) for a in ACTIVITIES if a.month == month) / 100
    return total


def to_decimal(value: Fraction, rounding) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(CENT, rounding)


def rounded(month: int) -> dict[str, Decimal]:
    """Largest remainder to the month's total rounded half up; ties to the cost center listed first."""
    exact = exact_allocation(month)
    month_total = sum(cents_of(a) for a in ACTIVITIES if a.month == month) / 100
    target = to_decimal(month_total, ROUND_HALF_UP)
    floors = {code: Decimal(int(v * 100 // 1)) / 100 for code, v in exact.items()}
    missing = int((target - sum(floors.values())) / CENT)
    remainders = {code: exact[code] - Fraction(floors[code]) for code in exact}
    for code in sorted(CODES, key=lambda c: (-remainders[c], CODES.index(c)))[:missing]:
        floors[code] += CENT
    assert sum(floors.values()) == target
    return floors


def month_total(month: int) -> Decimal:
    return to_decimal(sum(cents_of(a) for a in ACTIVITIES if a.month == month) / 100, ROUND_HALF_UP)


def expected_debits() -> dict[str, Decimal]:
    return {code: amount for code, amount in rounded(10).items() if amount != 0}


# ------------------------------------------------------------------ reading the outputs

def sheet_rows(workbook: Path, name: str) -> list[tuple]:
    book = openpyxl.load_workbook(workbook, read_only=True)
    try:
        return [tuple(row) for row in book[name].iter_rows(values_only=True)]
    finally:
        book.close()


def table(rows: list[tuple], first_header: str) -> tuple[list[str], list[dict]]:
    """The rows under the header row that begins with ``first_header``, as dicts, up to a blank row."""
    start = next(i for i, row in enumerate(rows) if row and row[0] == first_header)
    header = [str(h) if h is not None else "" for h in rows[start]]
    out = []
    for row in rows[start + 1:]:
        if not row or all(v is None for v in row):
            break
        out.append(dict(zip(header, row, strict=False)))  # rows may be wider than this table's header
    return header, out


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP) if value not in (None, "") else Decimal(0)


def cell_texts(xlsx: Path, sheet_name: str) -> list[list[str]]:
    """The sheet's cells as the file stores them (numbers as written, not as floats)."""
    book = openpyxl.load_workbook(xlsx, read_only=True)
    try:
        index = book.sheetnames.index(sheet_name) + 1
    finally:
        book.close()
    with zipfile.ZipFile(xlsx) as archive:
        names = archive.namelist()
        shared = []
        if "xl/sharedStrings.xml" in names:
            shared = [re.sub(r"<[^>]+>", "", si) for si in
                      re.findall(r"<si>(.*?)</si>", archive.read("xl/sharedStrings.xml").decode(), re.S)]
        xml = archive.read(f"xl/worksheets/sheet{index}.xml").decode()
    rows = []
    for row in re.findall(r"<row[^>]*>(.*?)</row>", xml, re.S):
        cells: dict[int, str] = {}
        for attrs, body in re.findall(r"<c([^>]*?)(?:/>|>(.*?)</c>)", row, re.S):
            letters = re.search(r'r="([A-Z]+)\d+"', attrs).group(1)
            column = 0
            for letter in letters:
                column = column * 26 + ord(letter) - 64
            value = re.search(r"<v>(.*?)</v>", body or "")
            inline = re.search(r"<t[^>]*>(.*?)</t>", body or "", re.S)
            if 't="s"' in attrs and value:
                cells[column] = shared[int(value.group(1))]
            elif value:
                cells[column] = value.group(1)
            elif inline:
                cells[column] = inline.group(1)
        rows.append([cells.get(i, "") for i in range(1, max(cells, default=0) + 1)])
    return rows


# ------------------------------------------------------------------ the runs

def run_against(tmp_path: Path, org: AnalyticsOrg, config_text: str = CONFIG):
    config = tmp_path / "chargeback.yaml"
    config.write_text(config_text)
    output = tmp_path / "out"
    checked = run_cli("check-config", "--config", str(config), "--month", MONTH, "--output", str(output),
                      cwd=tmp_path)
    with Served(org) as served:
        done = run_cli("run", "--month", MONTH, "--config", str(config), "--output", str(output),
                       "--base-url", served.url, env={"ANTHROPIC_ADMIN_API_KEY": KEY}, cwd=tmp_path)
    return checked, done, output


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("other-analytics")
    org = AnalyticsOrg()
    checked, done, output = run_against(tmp_path, org)
    return {"org": org, "checked": checked, "done": done, "folder": output / MONTH}


def served_rows(org: AnalyticsOrg, path: str, month: int, *, daily: bool = False, grouped: bool = True) -> list:
    """Every row the server answered for that query (each page once, retries or not)."""
    return [row for page in org.pages.values()
            if page["path"] == path and page["start"].month == month and bool(page["width"]) == daily
            and (("actor" in page["groups"]) if grouped else not page["groups"])
            for row in page["rows"]]


def analytics_requests(org: AnalyticsOrg) -> list[dict]:
    return [r for r in org.requests if r["path"] in (COST, USAGE)]


# ------------------------------------------------------------------ the tests

def test_the_hand_attribution_follows_the_spec_precedence():
    for act in ACTIVITIES:
        assert spec_owner(act) == act.owner, act
    # the organization holds every trap the brief lists
    octo = [a for a in ACTIVITIES if a.month == 10]
    nulls = [a for a in octo if a.actor is None and a.model is not None]
    assert len(nulls) == 2 and len({(a.workspace, a.key, a.model, a.tier) for a in nulls}) == 1
    assert {c[0] for a in octo for c in a.costs} == {"tokens", "web_search", "code_execution", "session_usage"}
    assert any(c[2] != c[3] for a in octo for c in a.costs)
    assert sum(1 for a in octo if a.workspace is None) >= 3


@pytest.mark.slow
def test_the_cli_runs_like_a_new_user_runs_it(good):
    checked, done = good["checked"], good["done"]
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.strip(), "no summary on stdout"
    total = month_total(10)
    assert f"{total:,.2f}" in done.stdout or f"{total:.2f}" in done.stdout, done.stdout


@pytest.mark.slow
def test_every_journal_debit_matches_the_hand_calculation(good):
    assert good["done"].returncode == 0, good["done"].stderr
    with (good["folder"] / f"journal-{MONTH}.csv").open(encoding="utf-8", newline="") as handle:
        journal = list(csv.DictReader(handle))
    debits = {row["Cost Center"]: Decimal(row["Debit"]) for row in journal if row["Debit"]}
    assert debits == expected_debits()
    assert all(re.fullmatch(r"\d+\.\d\d", row["Debit"] or row["Credit"]) for row in journal)
    [credit] = [row for row in journal if row["Credit"]]
    assert Decimal(credit["Credit"]) == sum(debits.values()) == month_total(10)
    assert credit["Account"] == "2100" and credit["Cost Center"] == "" and credit["External ID"] == "CB-2026-10-CREDIT"
    accounts = {row["Cost Center"]: row["Account"] for row in journal if row["Debit"]}
    assert accounts == {code: "6011" if code == "OPS" else "6000" for code in debits}
    for row in journal:
        assert row["Journal ID"] == "CB-2026-10" and row["Date"] == "2026-10-31" and row["Period"] == MONTH
        assert row["Memo"] == "Other analytics 2026-10"
        if row["Debit"]:
            assert row["External ID"] == f"CB-2026-10-{row['Cost Center']}"
    assert "MKT" not in debits  # its only row was fully discounted: no spend, no line


@pytest.mark.slow
def test_the_summary_has_every_cost_center_and_the_prior_month(good):
    rows = sheet_rows(good["folder"] / f"chargeback-{MONTH}.xlsx", "Summary")
    header, body = table(rows, "Cost Center")
    by_code = {row["Cost Center"]: row for row in body}
    assert set(CODES) <= set(by_code)
    current, prior = rounded(10), rounded(9)
    for code in CODES:
        assert money(by_code[code]["Total"]) == current[code], code
        assert money(by_code[code]["Prior Month"]) == prior[code], code
        assert money(by_code[code]["Direct"]) + money(by_code[code]["Shared"]) == current[code], code
    direct = direct_spend(10)
    for code in CODES:
        assert money(by_code[code]["Direct"]) == to_decimal(direct[code], ROUND_HALF_UP), code
    assert money(by_code["Total"]["Total"]) == month_total(10)
    assert money(by_code["RSC"]["Variance"]) == current["RSC"] - 5000
    assert {"List Price", "Discount"} <= set(header)
    list_total = sum(Fraction(Decimal(c[3])) for a in ACTIVITIES if a.month == 10 for c in a.costs) / 100
    assert abs(money(by_code["Total"]["List Price"]) - to_decimal(list_total, ROUND_HALF_UP)) <= CENT


@pytest.mark.slow
def test_line_items_hold_one_row_per_cost_row_served(good):
    org = good["org"]
    served = served_rows(org, COST, 10)
    assert served, "the product never asked for the grouped month"
    xlsx = good["folder"] / f"chargeback-{MONTH}.xlsx"
    header, items = table(sheet_rows(xlsx, "Line Items"), "Date")
    items = [row for row in items if row.get("Date") not in ("Total", None)]
    assert len(items) == len(served)
    for column in ("API Key ID", "API Key", "Actor", "Cost Center", "Cost Type", "Model", "Token Type",
                   "Amount (cents)", "List Amount (cents)", "Amount (USD)"):
        assert column in header, column
    # exact amounts, as the file stores them
    texts = cell_texts(xlsx, "Line Items")
    head = next(i for i, row in enumerate(texts) if row and row[0] == "Date")
    at, lt = texts[head].index("Amount (cents)"), texts[head].index("List Amount (cents)")
    stored = Counter((Decimal(r[at]), Decimal(r[lt])) for r in texts[head + 1:head + 1 + len(items)])
    assert stored == Counter((Decimal(r["cost"]["amount"]), Decimal(r["cost"]["list_amount"])) for r in served)
    # each row's cost center is the hand attribution (amounts are unique in this organization)
    owners = {Decimal(c[2]): a.owner for a in ACTIVITIES if a.month == 10 for c in a.costs}
    assert len(owners) == sum(len(a.costs) for a in ACTIVITIES if a.month == 10)
    ct = texts[head].index("Cost Center")
    for r in texts[head + 1:head + 1 + len(items)]:
        owner = owners[Decimal(r[at])]
        if owner.startswith("split:"):
            assert r[ct].startswith("Shared"), (r, owner)
        else:
            assert r[ct] == owner, (r, owner)
    # the two rows with identical group keys (distinct unrenderable identities) are both there
    null_actor = [r for r in served if r["group"]["actor"] is None and r["group"]["model"] == HAIKU]
    assert len(null_actor) == 2
    pages = {p["page"] for p in org.pages.values() if any(r in p["rows"] for r in null_actor)
             and p["start"].month == 10}
    assert len(pages) == 2, "the two null-actor rows should come on different pages"


@pytest.mark.slow
def test_api_keys_and_users_sheets_add_up(good):
    xlsx = good["folder"] / f"chargeback-{MONTH}.xlsx"
    for name, first in (("API Keys", "API Key ID"), ("Users", "User")):
        header, body = table(sheet_rows(xlsx, name), first)
        totals = [row for row in body if row[first] == "Total"]
        assert len(totals) == 1, (name, body)
        rows = [row for row in body if row[first] != "Total"]
        assert sum(Decimal(str(r["Amount (USD)"] or 0)) for r in rows).quantize(CENT, ROUND_HALF_UP) == \
            money(totals[0]["Amount (USD)"]), name


@pytest.mark.slow
def test_api_keys_and_users_sheets_attribute_what_the_rows_say(good):
    """Per key: every row the key authenticated, whoever it is attributed to; per user or service
    account: every row attributed to it, whichever key (or none) authenticated it."""
    xlsx = good["folder"] / f"chargeback-{MONTH}.xlsx"
    octo = [a for a in ACTIVITIES if a.month == 10]
    _, keys = table(sheet_rows(xlsx, "API Keys"), "API Key ID")
    by_key = {row["API Key ID"]: row for row in keys if row["API Key ID"] != "Total"}
    for key, name, *_ in API_KEYS:
        mine = [a for a in octo if a.key == key]
        if not mine:
            assert key not in by_key
            continue
        assert money(by_key[key]["Amount (USD)"]) == to_decimal(sum(cents_of(a) for a in mine) / 100,
                                                                ROUND_HALF_UP), key
        assert by_key[key]["API Key"] == name
        assert by_key[key]["Output"] == sum(a.tokens.get(OUT, 0) for a in mine), key
        assert by_key[key]["Uncached Input"] == sum(a.tokens.get(UNC, 0) for a in mine), key
    _, people = table(sheet_rows(xlsx, "Users"), "User")
    by_email = {row["Email"]: row for row in people if row["Email"]}
    for uid, email, _name, _listed in USERS:
        mine = [a for a in octo if a.actor and a.actor.get("user_id") == uid]
        assert money(by_email[email]["Amount (USD)"]) == to_decimal(sum(cents_of(a) for a in mine) / 100,
                                                                     ROUND_HALF_UP), email
        assert by_email[email]["Output"] == sum(a.tokens.get(OUT, 0) for a in mine), email
        owners = {a.owner for a in mine}
        assert by_email[email]["Cost Center"] == owners.pop(), email
    [bot] = [row for row in people if SVAC in (row.get("User"), row.get("ID"))]
    mine = [a for a in octo if a.actor == SA]
    assert money(bot["Amount (USD)"]) == to_decimal(sum(cents_of(a) for a in mine) / 100, ROUND_HALF_UP)
    assert bot["Cost Center"] == "RSC"


@pytest.mark.slow
def test_the_requests_are_what_the_api_accepts(good):
    org = good["org"]
    refused = [(r["path"], r["status"], r["query"]) for r in org.requests
               if r["status"] != 200 and r["path"] != "/v1/organizations/service_accounts"]
    assert not refused
    analytic = analytics_requests(org)
    assert analytic
    for r in analytic:
        assert BETA in [b.strip() for b in r["beta"].split(",")], r
        assert r["version"], r
        limit = int(r["query"].get("limit", ["20"])[0])
        assert 1 <= limit <= 1000
        start = parse_time(r["query"]["starting_at"][0], "starting_at")
        end = parse_time(r["query"]["ending_at"][0], "ending_at")
        assert (start, end) in {(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)),
                                (datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC))}, r
        assert start >= FLOOR
        groups = r["query"].get("group_by[]", [])
        assert len([g for g in groups if g not in FAN_OUT]) <= 5
    october = [r for r in analytic if r["path"] == COST and "actor" in r["query"].get("group_by[]", [])
               and r["query"]["starting_at"][0].startswith("2026-10")]
    assert october
    for r in october:
        needed = {"workspace_id", "api_key_id", "actor", "model", "cost_type", "token_type"}
        assert needed <= set(r["query"]["group_by[]"])
    months = {(r["path"], r["query"]["starting_at"][0][:7]) for r in analytic}
    assert {(COST, "2026-10"), (USAGE, "2026-10"), (COST, "2026-09")} <= months
    listed = {r["path"].removeprefix("/v1/organizations/"): r for r in org.requests}
    assert {"workspaces", "api_keys", "users"} <= set(listed)
    workspace_asks = [r["query"] for r in org.requests if r["path"] == "/v1/organizations/workspaces"]
    assert any(q.get("include_default") == ["true"] and q.get("include_archived") == ["true"] for q in workspace_asks)


@pytest.mark.slow
def test_both_months_are_grouped_at_least_as_the_spec_says(good):
    # SPEC: grouped by at least workspace_id, api_key_id, actor, model, plus cost_type and token_type,
    # "the same for the prior month"
    wanted = {"workspace_id", "api_key_id", "actor", "model", "cost_type", "token_type"}
    groupings = {(r["query"]["starting_at"][0][:7], tuple(r["query"].get("group_by[]", [])))
                 for r in analytics_requests(good["org"]) if r["path"] == COST and r["query"].get("group_by[]")}
    months = {month for month, _ in groupings}
    assert months == {"2026-09", "2026-10"}, groupings
    for month, grouping in groupings:
        assert wanted <= set(grouping), (month, grouping)


@pytest.mark.slow
def test_the_daily_query_agrees_with_the_month(good):
    org = good["org"]
    daily = served_rows(org, COST, 10, daily=True, grouped=False)
    assert daily, "README: the daily chart comes from a second, daily query"
    days = Counter(r["starting_at"][:10] for r in daily)
    assert all(n == 1 for n in days.values()) and len(days) == len({a.day for a in ACTIVITIES if a.month == 10})
    assert sum(Decimal(r["cost"]["amount"]) for r in daily) == sum(
        Decimal(c[2]) for a in ACTIVITIES if a.month == 10 for c in a.costs)


@pytest.mark.slow
def test_manifest_lists_every_file_and_the_freshness(good):
    folder = good["folder"]
    manifest = json.loads((folder / "manifest.json").read_text())
    listed = {e["file"]: e["sha256"] for e in manifest["raw_pages"] + manifest["outputs"]}
    present = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()} - {"manifest.json"}
    assert present == set(listed), (present ^ set(listed))
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    # SPEC's `source` field: the product writes `source: api` (api/demo/offline) and the API it read as
    # `data_source`; either way the manifest must say the month came from the analytics API
    assert "analytics" in (manifest.get("source"), manifest.get("data_source")), manifest.get("source")
    assert "2026-12-01T23:47:12" in json.dumps(manifest)
    run_info = " ".join(str(v) for row in sheet_rows(folder / f"chargeback-{MONTH}.xlsx", "Run Info")
                        for v in row if v is not None)
    assert "2026-12-01" in run_info and "23:47" in run_info
    # every analytics page the server answered is kept in raw/, once
    kept = [p for p in manifest["raw_pages"] if p["file"].startswith("raw/analytics")]
    assert len(kept) == len(good["org"].pages)


@pytest.mark.slow
def test_reconciliation_warns_with_both_totals_against_the_legacy_report(good):
    rows = sheet_rows(good["folder"] / f"chargeback-{MONTH}.xlsx", "Reconciliation")
    legacy = to_decimal(sum(Fraction(Decimal(c[2])) for a in ACTIVITIES if a.month == 10 and a.workspace
                            and a.tier != "priority" for c in a.costs) / 100, ROUND_HALF_UP)
    analytics = month_total(10)
    assert legacy != analytics

    def mentions(row, amount: Decimal) -> bool:
        text = " ".join(str(v) for v in row if v is not None).replace(",", "").replace("$", "")
        numbers = [money(v) for v in row if isinstance(v, (int, float))]
        return f"{amount:.2f}" in text or amount in numbers

    warned = [row for row in rows if any(v == "WARN" for v in row) and mentions(row, legacy)]
    assert warned, rows
    assert mentions(warned[0], analytics) or any(mentions(row, analytics) for row in rows)
    assert all("FAIL" not in [v for v in row] for row in rows), rows


@pytest.mark.slow
def test_reconciliation_does_not_call_spend_outside_any_workspace_the_default_workspace(good):
    """SPEC: 'A row whose workspace_id is null (usage outside any workspace ...) is not the Default
    workspace'. The Default workspace here has its own ID and an owner; its spend is not unmapped."""
    rows = sheet_rows(good["folder"] / f"chargeback-{MONTH}.xlsx", "Reconciliation")
    texts = [" ".join(str(v) for v in row if v is not None) for row in rows]
    unmapped = [t for t in texts if "Unmapped workspace" in t]
    assert any(WS_ORPHAN in t for t in unmapped), unmapped
    wrong = [t for t in unmapped if "Default" in t]
    assert not wrong, wrong


@pytest.mark.slow
def test_a_malformed_amount_stops_the_run_naming_the_page_and_row(tmp_path):
    org = AnalyticsOrg(bad_amount=(2, 1))
    checked, done, output = run_against(tmp_path, org)
    assert checked.returncode == 0
    assert done.returncode == 4, (done.returncode, done.stderr)
    err = done.stderr
    assert "Traceback" not in err and err.startswith("error: ") and err.count("\n") == 1, err
    assert "12.3.4" in err and "amount" in err, err
    assert not (output / MONTH).exists()
    # the page: the second page of the October grouped cost query, kept for inspection
    failed = list((output / "failed").glob(f"{MONTH}-*"))
    assert len(failed) == 1, failed
    holding = [p for p in failed[0].rglob("*.json") if "12.3.4" in p.read_text()]
    assert len(holding) == 1, holding
    assert holding[0].name in err, err  # the page file (analytics_cost-2026-10-p002.json)
    assert "p002" in holding[0].name
    assert re.search(r"\brow 2\b", err), err  # the second row of that page, counted from 1
    assert str(failed[0]) in err, err  # and where the pages are kept


@pytest.mark.slow
def test_the_beta_header_went_on_every_analytics_request(good):
    analytic = analytics_requests(good["org"])
    assert analytic and all(BETA in (r["beta"] or "") for r in analytic)
    assert all(r["auth"] for r in good["org"].requests)


def test_this_server_speaks_the_api_as_the_official_sdk_reads_it():
    """The server itself against the official client: Bearer auth, bracket arrays, its cursor, the beta header."""
    anthropic = pytest.importorskip("anthropic")
    org = AnalyticsOrg()
    with Served(org) as served:
        client = anthropic.Anthropic(api_key=KEY, base_url=served.url, max_retries=0)
        rows = list(client.beta.organization.analytics.cost.list(
            starting_at="2026-10-01T00:00:00Z", ending_at="2026-11-01T00:00:00Z",
            group_by=["workspace_id", "api_key_id", "actor", "model", "service_tier", "cost_type", "token_type"],
            limit=1000))
        usage = list(client.beta.organization.analytics.usage.list(
            starting_at="2026-10-01T00:00:00Z", ending_at="2026-11-01T00:00:00Z", group_by=["actor"], limit=5))
        spaces = list(client.beta.organization.workspaces.list(include_default=True, include_archived=True))
    assert sum(Decimal(r.cost.amount) for r in rows) == sum(Decimal(c[2]) for a in ACTIVITIES if a.month == 10
                                                            for c in a.costs)
    assert len([r for r in rows if r.group.actor is None and r.group.model == HAIKU]) == 2
    assert sum(u.usage.total_tokens for u in usage) == sum(sum(a.tokens.values()) for a in ACTIVITIES if a.month == 10)
    assert {w.id for w in spaces} == {w[0] for w in WORKSPACES}
    assert all(r["auth"] == "bearer" and r["status"] == 200 for r in org.requests)
    assert len([r for r in org.requests if r["path"] == COST]) > 3  # three rows a page


# A second, tiny organization where the largest remainder's tie rule decides a cent: three cost
# centers with exact shares $1.005, $1.005 and $1.005000001; the month is $3.015000001, so $3.02:
# two cents are missing after flooring. The largest remainder (BET, by a ten-millionth of a cent)
# gets one; ZED and ALF tie exactly, and the tie goes to the one listed first (ZED), not to the
# alphabetically first or the one the API returned first.
TIE_ACTIVITIES = [
    Activity(10, 4, WS_OPS, K_OPS, api_actor(K_OPS), HAIKU, "standard", (tok(OUT, "100.5"),), "ALF",
             {OUT: 20_100}),
    Activity(10, 6, WS_OPS, K_OPS, user("user_0QadaByron"), HAIKU, "standard", (tok(OUT, "100.5"),), "ZED",
             {OUT: 20_100}),
    Activity(10, 8, WS_RESEARCH, None, FED_AWS, HAIKU, "standard", (tok(UNC, "100.5000001"),), "BET",
             {UNC: 100_500}),
    Activity(9, 8, WS_RESEARCH, None, FED_AWS, HAIKU, "standard", (tok(UNC, "700"),), "BET", {UNC: 700_000}),
]
TIE_CONFIG = f"""\
organization: Tie Co
source: analytics
journal: {{credit_account: "2100", expense_account: "6000", memo: "Tie {{month}}"}}
cost_centers:
  - {{code: ZED, name: Zed, users: [ada@other.example]}}
  - {{code: ALF, name: Alf, api_keys: [{K_OPS}]}}
  - {{code: BET, name: Bet, workspaces: [{WS_RESEARCH}]}}
  - {{code: UNA, name: Unallocated}}
default_workspace: ALF
unallocated: UNA
"""


@pytest.mark.slow
def test_a_tie_in_the_largest_remainder_goes_to_the_cost_center_listed_first(tmp_path):
    org = AnalyticsOrg(activities=TIE_ACTIVITIES)
    checked, done, output = run_against(tmp_path, org, TIE_CONFIG)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert done.returncode == 0, done.stderr
    with (output / MONTH / f"journal-{MONTH}.csv").open(encoding="utf-8", newline="") as handle:
        debits = {row["Cost Center"]: Decimal(row["Debit"]) for row in csv.DictReader(handle) if row["Debit"]}
    assert debits == {"ZED": Decimal("1.01"), "ALF": Decimal("1.00"), "BET": Decimal("1.01")}
