"""The simulated Usage and Cost Analytics API over real loopback HTTP: rules, pages, invariants, faults."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests

from reports.core.months import Month
from reports.simulator import (
    DEMO_API_KEY,
    DEMO_DEFAULT_WORKSPACE,
    DEMO_DISCOUNTED_MODEL,
    DEMO_SERVICE_ACCOUNT,
    Faults,
    RowFault,
    SimulatorServer,
    analytics_cost_rows,
    api_key_id_for,
    demo_organization,
    user_id_for,
    workspace_id_for,
)
from reports.simulator.attribution import M_AMOUNT, M_OTHER, M_REQUESTS, AnalyticsView

COST = "/v1/organizations/analytics/cost"
USAGE = "/v1/organizations/analytics/usage"
LEGACY_COST = "/v1/organizations/cost_report"
LEGACY_USAGE = "/v1/organizations/usage_report/messages"
BETA = "analytics-usage-cost-2026-08-24"
HEADERS = {"x-api-key": DEMO_API_KEY, "anthropic-version": "2026-10-21", "anthropic-beta": BETA}
NOW = datetime(2026, 12, 2, 6, 30, tzinfo=UTC)  # the simulator's clock in these tests
OCTOBER = {"starting_at": "2026-10-01T00:00:00Z", "ending_at": "2026-11-01T00:00:00Z"}
PRODUCT_GROUPS = ["workspace_id", "api_key_id", "actor", "model", "service_tier"]


@pytest.fixture(scope="module")
def org():
    return demo_organization()


@pytest.fixture(scope="module")
def sim(org):
    with SimulatorServer(org, now=NOW) as server:
        yield server


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:
        session.headers.update(HEADERS)
        yield session


def get(http, server, path, **params):
    return http.get(server.base_url + path, params=params, timeout=30)


def every_page(http, server, path, **params):
    """All pages of one query: (pages, rows)."""
    pages, rows, page = [], [], None
    while True:
        response = get(http, server, path, **params, **({"page": page} if page else {}))
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body)
        rows += body["data"]
        if not body["has_more"]:
            assert body["next_page"] is None
            return pages, rows
        assert len(pages) < 500
        page = body["next_page"]


def refused(response, message, status=400, error_type="invalid_request_error"):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"type", "error", "request_id"} and body["type"] == "error"
    assert body["error"]["type"] == error_type and body["request_id"].startswith("req_")
    assert message in body["error"]["message"], body["error"]["message"]


def cents(rows, field="amount") -> Decimal:
    return sum((Decimal(r["cost"][field]) for r in rows), Decimal(0))


# ---------------------------------------------------------------- shapes


def test_cost_row_and_envelope_shapes(sim, http):
    body = get(http, sim, COST, **OCTOBER, **{"group_by[]": ["workspace_id", "actor"]}, limit=5).json()
    assert set(body) == {"data", "has_more", "next_page", "data_refreshed_at"}
    assert body["data_refreshed_at"] == "2026-12-02T06:00:00Z" and body["has_more"] is True
    row = body["data"][0]
    assert set(row) == {"starting_at", "ending_at", "group", "cost"}
    assert (row["starting_at"], row["ending_at"]) == ("2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z")
    assert len(row["group"]) == 22 and row["group"]["model"] is None and row["group"]["cost_type"] is None
    assert set(row["cost"]) == {"amount", "list_amount", "currency", "requests"}
    assert row["cost"]["currency"] == "USD" and isinstance(row["cost"]["requests"], int)
    assert Decimal(row["cost"]["list_amount"]) >= Decimal(row["cost"]["amount"]) > 0
    amounts = [Decimal(r["cost"]["amount"]) for r in body["data"]]
    assert amounts == sorted(amounts, reverse=True)  # order_by amount, desc by default


def test_usage_row_shape_and_totals_equal_the_legacy_usage(sim, http):
    _pages, rows = every_page(http, sim, USAGE, **OCTOBER, **{"group_by[]": ["workspace_id"]}, limit=1000)
    assert all(len(r["group"]) == 20 and "cost_type" not in r["group"] for r in rows)
    usage = rows[0]["usage"]
    assert set(usage) == {"uncached_input_tokens", "cache_read_input_tokens", "cache_creation", "output_tokens",
                          "total_tokens", "server_tool_use", "requests"}
    _pages, legacy = every_page(http, sim, LEGACY_USAGE, **OCTOBER, limit=31, **{"group_by[]": ["workspace_id"]})
    expected: Counter = Counter()
    for bucket in legacy:
        for r in bucket["results"]:
            ws = r["workspace_id"] or DEMO_DEFAULT_WORKSPACE
            expected[ws] += (r["uncached_input_tokens"] + r["cache_read_input_tokens"] + r["output_tokens"]
                             + sum(r["cache_creation"].values()))
    assert {r["group"]["workspace_id"]: r["usage"]["total_tokens"] for r in rows} == dict(expected)
    totals = [r["usage"]["total_tokens"] for r in rows]
    assert totals == sorted(totals, reverse=True)


# ---------------------------------------------------------------- parameter rules

RULES = [
    (COST, {"foo": "1", **OCTOBER}, "unknown parameter 'foo'"),
    (COST, {"group_by": "model", **OCTOBER}, "unknown parameter 'group_by'"),
    (COST, {"bucket_width": "1d", **OCTOBER}, "unknown parameter 'bucket_width'"),
    (COST, {}, "starting_at: Field required"),
    (COST, {"starting_at": "2025-12-31T00:00:00Z", "ending_at": "2026-01-15T00:00:00Z"}, "2026-01-01"),
    (COST, {"starting_at": "2026-10-01T00:00:00"}, "timezone-aware"),
    (COST, {"starting_at": "2026-10-01"}, "invalid RFC 3339"),
    (COST, {"starting_at": "2026-12-03T00:00:00Z"}, "future"),
    (COST, {"starting_at": "2026-10-01T00:00:00Z", "ending_at": "2026-11-01T01:00:00Z"}, "at most 31 days"),
    (COST, {"starting_at": "2026-10-05T00:00:00Z", "ending_at": "2026-10-05T00:00:00Z"}, "after starting_at"),
    (COST, {"starting_at": "2026-10-01T00:00:00Z", "time_bucket_width": "1d"}, "required when time_bucket_width"),
    (COST, {**OCTOBER, "time_bucket_width": "1h"}, "serves only '1d'"),
    (USAGE, {**OCTOBER, "time_bucket_width": "1m"}, "serves only '1d'"),
    (COST, {**OCTOBER, "time_bucket_width": "1w"}, "must be one of 1d, 1h, 1m"),
    (COST, {"starting_at": "2026-10-01T05:00:00Z", "ending_at": "2026-10-03T00:00:00Z", "time_bucket_width": "1d"},
     "UTC midnight"),
    (COST, {**OCTOBER, "limit": "0"}, "between 1 and 1000"),
    (COST, {**OCTOBER, "limit": "1001"}, "between 1 and 1000"),
    (USAGE, {**OCTOBER, "limit": "ten"}, "valid integer"),
    (COST, {**OCTOBER, "limit": ["5", "6"]}, "more than once"),
    (COST, {**OCTOBER, "group_by[]": "description"}, "'description' is not one of"),
    (USAGE, {**OCTOBER, "group_by[]": "cost_type"}, "'cost_type' is not one of"),
    (COST, {**OCTOBER, "group_by[]": ["model", "model"]}, "more than once"),
    (COST, {**OCTOBER, "group_by[]": PRODUCT_GROUPS + ["product"]}, "at most 5"),
    (USAGE, {**OCTOBER, "group_by[]": PRODUCT_GROUPS + ["speed"]}, "at most 5"),
    (COST, {**OCTOBER, "group_by[]": ["claude_tag_user_id", "rbac_group_id"]}, "cannot be combined"),
    (COST, {**OCTOBER, "order_by": "total_tokens"}, "order_by: must be one of amount, list_amount, time"),
    (USAGE, {**OCTOBER, "order_by": "amount"}, "order_by: must be one of"),
    (COST, {**OCTOBER, "order": "up"}, "asc or desc"),
    (COST, {**OCTOBER, "actor_types[]": "robot"}, "'robot' is not one of"),
    (COST, {**OCTOBER, "service_tiers[]": "gold"}, "'gold' is not one of"),
    (COST, {**OCTOBER, "rbac_group_ids[]": "rbac_group_01x"}, "not supported by the simulator"),
    (USAGE, {**OCTOBER, "session_ids[]": "sesn_01x"}, "not supported by the simulator"),
    (COST, {**OCTOBER, "exclude_deleted_users": "true"}, "requires group_by[]=actor"),
    (COST, {**OCTOBER, "exclude_deleted_users": "maybe", "group_by[]": "actor"}, "valid boolean"),
    (COST, {**OCTOBER, "page": "garbage"}, "invalid page token"),
]


@pytest.mark.parametrize(("path", "params", "message"), RULES, ids=[m for _p, _q, m in RULES])
def test_refused_queries_answer_the_api_error_shape(sim, http, path, params, message):
    refused(get(http, sim, path, **params), message)


def test_the_five_group_cap_does_not_count_fan_out_and_365_days_use_the_clock(org, http):
    with SimulatorServer(org, now=NOW) as server:
        ok = get(http, server, COST, **OCTOBER, **{"group_by[]": PRODUCT_GROUPS + ["cost_type", "token_type"]})
        assert ok.status_code == 200, ok.text
    with SimulatorServer(org, now=datetime(2027, 11, 15, tzinfo=UTC)) as later:
        refused(get(http, later, COST, **OCTOBER), "within the last 365 days")


def test_beta_header_auth_and_version(sim):
    url = sim.base_url + COST
    refused(requests.get(url, params=OCTOBER, timeout=10,
                         headers={"x-api-key": DEMO_API_KEY, "anthropic-version": "2026-10-21"}), "anthropic-beta")
    listed = {"authorization": f"Bearer {DEMO_API_KEY}", "anthropic-version": "2099-01-01",
              "anthropic-beta": f"some-other-beta-2026-01-01,{BETA}"}
    assert requests.get(url, params=OCTOBER, headers=listed, timeout=10).status_code == 200
    refused(requests.get(url, params=OCTOBER, timeout=10, headers={**listed, "authorization": "Bearer nope"}),
            "invalid", 401, "authentication_error")
    refused(requests.get(url, params=OCTOBER, timeout=10,
                         headers={"authorization": f"Bearer {DEMO_API_KEY}", "anthropic-beta": BETA}),
            "anthropic-version")
    # the legacy endpoints take the Bearer form too
    legacy = requests.get(sim.base_url + LEGACY_COST, params=OCTOBER, timeout=10,
                          headers={"authorization": f"Bearer {DEMO_API_KEY}", "anthropic-version": "2023-06-01"})
    assert legacy.status_code == 200


# ---------------------------------------------------------------- pagination


def test_small_pages_lose_and_repeat_nothing_and_the_cursor_is_bound(sim, http):
    groups = {"group_by[]": ["api_key_id", "actor", "model"]}
    pages, rows = every_page(http, sim, COST, **OCTOBER, **groups, limit=3)
    assert len(pages) > 20 and all(len(p["data"]) == 3 for p in pages[:-1])
    _one, single = every_page(http, sim, COST, **OCTOBER, **groups, limit=1000)
    assert rows == single and len(_one) == 1
    keys = [(r["group"]["api_key_id"], str(r["group"]["actor"]), r["group"]["model"]) for r in rows]
    repeated = [key for key, count in Counter(keys).items() if count > 1]
    assert all(key[1] == "None" for key in repeated)  # only distinct null identities repeat a key
    cursor = pages[0]["next_page"]
    refused(get(http, sim, COST, **OCTOBER, **groups, limit=4, page=cursor), "cursor does not match")
    refused(get(http, sim, COST, **OCTOBER, **{"group_by[]": ["model"]}, limit=3, page=cursor),
            "cursor does not match")
    refused(get(http, sim, USAGE, **OCTOBER, **groups, limit=3, page=cursor), "cursor does not match")
    again = get(http, sim, COST, **OCTOBER, **{"group_by[]": ["model", "actor", "api_key_id"]}, limit=3,
                page=cursor)
    assert again.status_code == 200  # the order of group_by[] values is not a different query


def test_fan_out_rows_ride_along_beyond_limit_with_null_requests(sim, http):
    groups = {"group_by[]": ["workspace_id", "cost_type", "token_type"]}
    pages, rows = every_page(http, sim, COST, **OCTOBER, **groups, limit=2)
    assert len(pages) == 7  # 14 workspaces (13 listed + Default), 2 per page
    assert all(len({r["group"]["workspace_id"] for r in p["data"]}) == 2 for p in pages)
    assert max(len(p["data"]) for p in pages) > 2
    assert all(r["cost"]["requests"] is None for r in rows)
    kinds = {(r["group"]["cost_type"], r["group"]["token_type"] is None) for r in rows}
    assert kinds == {("tokens", False), ("web_search", True), ("code_execution", True), ("session_usage", True)}
    _p, plain = every_page(http, sim, COST, **OCTOBER, **{"group_by[]": ["workspace_id"]}, limit=1000)
    assert cents(rows) == cents(plain) and cents(rows, "list_amount") == cents(plain, "list_amount")
    # token_type alone: per-token-type rows plus one combined non-token row per group (cost_type null)
    _p, by_token = every_page(http, sim, COST, **OCTOBER, **{"group_by[]": ["token_type"]}, limit=1000)
    assert {r["group"]["cost_type"] for r in by_token} == {"tokens", None} and cents(by_token) == cents(plain)


def test_null_actors_are_separate_rows_and_the_deleted_user_keeps_its_email(sim, http):
    _p, rows = every_page(http, sim, COST, **OCTOBER, **{"group_by[]": ["actor", "actor_type"]}, limit=1000)
    nulls = [r for r in rows if r["group"]["actor"] is None]
    assert len(nulls) == 2 and all(r["group"]["actor_type"] is None for r in nulls)
    assert nulls[0]["group"] == nulls[1]["group"] and nulls[0]["cost"] != nulls[1]["cost"]
    actors = [r["group"]["actor"] for r in rows if r["group"]["actor"]]
    assert {a["type"] for a in actors} == {"user_actor", "service_account_actor", "federated_actor", "api_actor"}
    assert all(r["group"]["actor_type"] == r["group"]["actor"]["type"] for r in rows if r["group"]["actor"])
    deleted = [a for a in actors if a["type"] == "user_actor" and a["deleted"]]
    assert deleted == [{"type": "user_actor", "user_id": user_id_for("jordan.lee@acme.example"),
                        "email_address": "jordan.lee@acme.example", "name": "Deleted User", "deleted": True}]
    assert {"type": "service_account_actor", "service_account_id": DEMO_SERVICE_ACCOUNT} in actors
    _p, kept = every_page(http, sim, COST, **OCTOBER, **{"group_by[]": ["actor"]}, exclude_deleted_users="true",
                          limit=1000)
    assert len(kept) == len(rows) - 1
    users = get(http, sim, "/v1/organizations/users", limit=100).json()
    assert "jordan.lee@acme.example" not in {u["email"] for u in users["data"]}
    assert {u["role"] for u in users["data"]} == {"admin", "billing", "developer", "claude_code_user", "user"}


def test_filters(sim, http):
    def total(**params):
        return cents(every_page(http, sim, COST, **OCTOBER, limit=1000, **params)[1])

    everything = total()
    search_key = api_key_id_for("kb-search-api")
    by_key = total(**{"api_key_ids[]": search_key})
    as_key = total(**{"actor_ids[]": search_key})
    sofia = total(**{"actor_ids[]": user_id_for("sofia.alvarez@acme.example")})
    assert by_key == as_key + sofia and sofia > 0  # api_key_ids[] matches the user's share too
    keyless = total(**{"api_key_ids[]": ""})
    assert 0 < keyless < everything
    assert total(**{"api_key_ids[]": ["", search_key]}) == keyless + by_key
    kinds = [total(**{"actor_types[]": kind})
             for kind in ("user_actor", "service_account_actor", "federated_actor", "api_actor")]
    _p, nulls = every_page(http, sim, COST, **OCTOBER, limit=1000, **{"group_by[]": "actor"})
    assert sum(kinds) + cents([r for r in nulls if r["group"]["actor"] is None]) == everything
    default = total(**{"workspace_ids[]": DEMO_DEFAULT_WORKSPACE})
    assert default > 0
    opus = every_page(http, sim, COST, **OCTOBER, limit=1000, **{"models[]": DEMO_DISCOUNTED_MODEL})[1]
    assert cents(opus, "list_amount") == cents(opus) * Decimal("1.25")
    priority = total(**{"service_tiers[]": "priority"})
    assert priority > 0
    assert total(**{"inference_geos[]": "not_available"}) + total(**{"inference_geos[]": "global"}) == everything


def test_time_buckets_and_order_by_time(sim, http):
    daily = every_page(http, sim, COST, **OCTOBER, time_bucket_width="1d", limit=1000)[1]
    assert len(daily) == 31 and all(r["group"]["workspace_id"] is None for r in daily)
    by_time = every_page(http, sim, COST, **OCTOBER, time_bucket_width="1d", order_by="time", limit=1000)[1]
    assert [r["starting_at"] for r in by_time] == [f"2026-10-{d:02d}T00:00:00Z" for d in range(31, 0, -1)]
    ascending = every_page(http, sim, COST, **OCTOBER, time_bucket_width="1d", order_by="time", order="asc",
                           limit=1000)[1]
    assert ascending == by_time[::-1]
    whole = every_page(http, sim, COST, **OCTOBER, limit=1000)[1]
    assert len(whole) == 1 and cents(daily) == cents(whole)
    assert sum(r["cost"]["requests"] for r in daily) == whole[0]["cost"]["requests"]
    # the grouped daily rows add up to the ungrouped ones, day by day
    grouped = every_page(http, sim, COST, **OCTOBER, time_bucket_width="1d", limit=1000,
                         **{"group_by[]": ["workspace_id", "actor"]})[1]
    per_day: Counter = Counter()
    for r in grouped:
        per_day[r["starting_at"]] += Decimal(r["cost"]["amount"])
    assert per_day == Counter({r["starting_at"]: Decimal(r["cost"]["amount"]) for r in daily})


def test_ranges_floor_to_the_hour_and_count_whole_refreshed_days(org, sim, http):
    row = get(http, sim, COST, starting_at="2026-11-20T10:45:00+02:00").json()["data"][0]
    # 08:45Z floors to 08:00Z; the end defaults to now (06:30Z on 12-02), floored too
    assert (row["starting_at"], row["ending_at"]) == ("2026-11-20T08:00:00Z", "2026-12-02T06:00:00Z")
    days = Month(2026, 11).days[20:] + Month(2026, 12).days[:1]  # Nov 21 to Dec 1: whole days only
    view = AnalyticsView(org)
    expected = sum(sum(m[M_AMOUNT:M_OTHER + 1]) for day in days for _d, m in view.day(day))
    assert Decimal(row["cost"]["amount"]) * 10_000_000 == expected


def test_day_totals_shortcut_equals_the_items(org):
    view = AnalyticsView(org)
    for day in Month(2026, 10).days[:10]:
        totals = view.day_totals(day)
        items = view.items((day,))
        assert totals[M_OTHER] == sum(sum(m[M_AMOUNT:M_OTHER + 1]) for _d, m in items)
        assert totals[M_REQUESTS] == sum(m[M_REQUESTS] for _d, m in items)


# ---------------------------------------------------------------- the invariants


def test_legacy_reports_are_byte_identical_to_before_the_analytics_api():
    expected = {
        "cost_report": "014f408af03291ea841d1180974c78bb841a16570f5a0289d0912098b95559f4",
        "messages": "8651a4b1a20d101f8b8a26504cb57e6590fa884becbb4c568ea10b95c2a2df46",
    }
    legacy = {"x-api-key": DEMO_API_KEY, "anthropic-version": "2023-06-01"}
    with SimulatorServer(demo_organization()) as server:
        for path, groups in ((LEGACY_COST, ["workspace_id", "description"]),
                             (LEGACY_USAGE, ["workspace_id", "api_key_id", "model", "service_tier",
                                             "context_window"])):
            digest = hashlib.sha256()
            response = requests.get(server.base_url + path, headers=legacy, timeout=30,
                                    params={**OCTOBER, "limit": 31, "group_by[]": groups})
            digest.update(response.content)
            assert response.json()["has_more"] is False
            assert digest.hexdigest() == expected[path.rsplit("/", 1)[1]]


@pytest.mark.parametrize("revision", [0, 2])
def test_analytics_sums_equal_the_legacy_rows_per_day_workspace_and_description(http, revision):
    org = demo_organization(revision=revision)
    legacy_headers = {"x-api-key": DEMO_API_KEY, "anthropic-version": "2023-06-01"}
    with SimulatorServer(org, now=NOW) as server:
        legacy = requests.get(server.base_url + LEGACY_COST, headers=legacy_headers, timeout=30,
                              params={**OCTOBER, "limit": 31, "group_by[]": ["workspace_id", "description"]}).json()
        groups = ["workspace_id", "model", "service_tier", "context_window", "cost_type", "token_type"]
        rows = every_page(http, server, COST, **OCTOBER, time_bucket_width="1d", limit=1000,
                          **{"group_by[]": groups})[1]
    fields = ("cost_type", "model", "token_type", "service_tier", "context_window")
    expected: Counter = Counter()
    for bucket in legacy["data"]:
        for r in bucket["results"]:
            key = (bucket["starting_at"], r["workspace_id"] or DEMO_DEFAULT_WORKSPACE, *(r[f] for f in fields))
            expected[key] += Decimal(r["amount"])
    got: Counter = Counter()
    extras: Counter = Counter()
    for r in rows:
        g = r["group"]
        if g["service_tier"] == "priority" or g["cost_type"] == "session_usage":
            extras[g["service_tier"] or g["cost_type"]] += Decimal(r["cost"]["amount"])
            continue
        got[(r["starting_at"], g["workspace_id"], *(g[f] for f in fields))] += Decimal(r["cost"]["amount"])
    assert got == expected
    assert set(extras) == {"priority", "session_usage"} and all(v > 0 for v in extras.values())


def test_expectation_helper_matches_what_is_served(org, sim, http):
    groups = PRODUCT_GROUPS + ["cost_type", "token_type"]
    served = every_page(http, sim, COST, **OCTOBER, limit=1000, **{"group_by[]": groups})[1]
    assert analytics_cost_rows(org, "2026-10", groups, now=NOW) == served


def test_listings_name_the_default_workspace_and_key_scopes(org, sim, http):
    plain = get(http, sim, "/v1/organizations/workspaces", limit=100, include_archived="true").json()["data"]
    assert DEMO_DEFAULT_WORKSPACE not in {w["id"] for w in plain}
    every = get(http, sim, "/v1/organizations/workspaces", limit=100, include_archived="true",
                include_default="true").json()["data"]
    assert [w for w in every if w["id"] == DEMO_DEFAULT_WORKSPACE][0]["name"] == "Default"
    keys = get(http, sim, "/v1/organizations/api_keys", limit=1000).json()["data"]
    default_keys = [k for k in keys if k["workspace_id"] is None]
    assert default_keys and all(k["scope"] == {"type": "workspace", "workspace_id": DEMO_DEFAULT_WORKSPACE}
                                for k in default_keys)
    ops = [k for k in keys if k["name"] == "default-ops-scripts"][0]
    assert ops["principal"] == {"type": "service_account_actor", "service_account_id": DEMO_SERVICE_ACCOUNT}
    assert all(k["scope"]["workspace_id"] == k["workspace_id"] for k in keys if k["workspace_id"])
    refused(get(http, sim, "/v1/organizations/service_accounts"), "org:admin", 403, "permission_error")
    assert workspace_id_for("Platform API") in {w["id"] for w in plain}


# ---------------------------------------------------------------- faults


def test_transport_faults_target_the_analytics_endpoints(org, http):
    faults = Faults(rate_limit=1, server_errors=(529,), truncated_json=1, retry_after="2",
                    only={"rate_limit": {"analytics_cost"}, "server_errors": {"analytics_usage"},
                          "truncated_json": {"analytics_cost"}})
    with SimulatorServer(org, faults=faults, now=NOW) as server:
        assert get(http, server, USAGE, **OCTOBER).status_code == 529
        response = get(http, server, COST, **OCTOBER)
        refused(response, "Rate limited", 429, "rate_limit_error")
        assert response.headers["retry-after"] == "2"
        broken = get(http, server, COST, **OCTOBER)
        with pytest.raises(ValueError):
            broken.json()
        assert get(http, server, COST, **OCTOBER).status_code == 200
        assert get(http, server, USAGE, **OCTOBER).status_code == 200


def test_row_faults_extra_fields_empty_and_repeat_cursor(org, http):
    faults = Faults(malformed_amount=RowFault(None, 1), non_usd_currency=RowFault("2026-10-01", 0),
                    unknown_cost_type=RowFault("2026-10-02", 2))
    groups = {"group_by[]": ["workspace_id", "cost_type"]}
    with SimulatorServer(org, faults=faults, now=NOW) as server:
        rows = get(http, server, COST, **OCTOBER, **groups).json()["data"]
        assert rows[1]["cost"]["amount"] == "12.3.4" and rows[0]["cost"]["currency"] == "EUR"
        assert all(r["group"]["cost_type"] != "session_usage_v9" for r in rows)  # the range starts on the 1st
        daily = get(http, server, COST, **OCTOBER, **groups, time_bucket_width="1d", order_by="time",
                    order="asc").json()["data"]
        assert daily[2]["group"]["cost_type"] != "session_usage_v9"  # row 2 of the page starts on the 1st
    with SimulatorServer(org, faults=Faults(extra_fields=True, repeat_cursor=True), now=NOW) as server:
        first = get(http, server, COST, **OCTOBER, **groups, limit=2).json()
        second = get(http, server, COST, **OCTOBER, **groups, limit=2, page=first["next_page"]).json()
        assert first["has_more"] and second["has_more"] and first["next_page"] == second["next_page"]
        assert "x_simulator_envelope_note" in first
        row = first["data"][0]
        assert {"x_simulator_row_note"} <= set(row) and "x_simulator_group_note" in row["group"]
        assert "x_simulator_cost_note" in row["cost"]
    with SimulatorServer(org, faults=Faults(empty=True, months={"2026-10"}), now=NOW) as server:
        body = get(http, server, COST, **OCTOBER).json()
        assert body["data"] == [] and body["has_more"] is False and body["next_page"] is None
        assert get(http, server, COST, starting_at="2026-09-01T00:00:00Z",
                   ending_at="2026-10-01T00:00:00Z").json()["data"]
    with SimulatorServer(org, faults=Faults(no_usage=True), now=NOW) as server:
        assert get(http, server, USAGE, **OCTOBER).json()["data"] == []
        assert get(http, server, COST, **OCTOBER).json()["data"]
