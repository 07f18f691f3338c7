"""The simulated Admin API over real loopback HTTP: shapes, pagination, grouping, faults."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import requests
import yaml

from reports.simulator import (
    DEMO_API_KEY,
    DEMO_ARCHIVED_WORKSPACE,
    DEMO_UNMAPPED_WORKSPACE,
    Faults,
    RowFault,
    SimulatorServer,
    demo_organization,
    expected_cost_by_workspace,
    expected_total_cents,
    synthetic_organization,
    workspace_id_for,
)

COST = "/v1/organizations/cost_report"
USAGE = "/v1/organizations/usage_report/messages"
WORKSPACES = "/v1/organizations/workspaces"
API_KEYS = "/v1/organizations/api_keys"
HEADERS = {"x-api-key": DEMO_API_KEY, "anthropic-version": "2023-06-01"}
OCTOBER = {"starting_at": "2026-10-01T00:00:00Z", "ending_at": "2026-11-01T00:00:00Z"}
DEMO_YAML = Path(__file__).resolve().parent.parent / "config" / "demo.yaml"


@pytest.fixture(scope="module")
def org():
    return demo_organization()


@pytest.fixture(scope="module")
def sim(org):
    with SimulatorServer(org) as server:
        yield server


@pytest.fixture(scope="module")
def session():
    with requests.Session() as http:
        http.headers.update(HEADERS)
        yield http


def get(http, server, path, **params):
    return http.get(server.base_url + path, params=params, timeout=10)


def fetch_all(http, server, path, **params):
    """Every page; returns (pages, buckets)."""
    pages, buckets, page = [], [], None
    while True:
        query = dict(params, **({"page": page} if page else {}))
        response = get(http, server, path, **query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body)
        buckets.extend(body["data"])
        if not body["has_more"]:
            assert body["next_page"] is None
            return pages, buckets
        assert len(pages) < 100
        page = body["next_page"]


def total(buckets) -> Decimal:
    return sum((Decimal(r["amount"]) for b in buckets for r in b["results"]), Decimal(0))


def months_cost(http, server, *groups, **extra):
    _pages, buckets = fetch_all(http, server, COST, **OCTOBER, limit=31,
                                **{"group_by[]": list(groups)}, **extra)
    return buckets


# ---------------------------------------------------------------- pagination


def test_default_limit_pages_cover_every_bucket_once_and_match_one_big_page(sim, session):
    groups = {"group_by[]": ["workspace_id", "description"]}
    pages, buckets = fetch_all(session, sim, COST, **OCTOBER, **groups)  # default limit 7
    assert [len(p["data"]) for p in pages] == [7, 7, 7, 7, 3]
    starts = [b["starting_at"] for b in buckets]
    assert starts == [f"2026-10-{d:02d}T00:00:00Z" for d in range(1, 32)]
    assert buckets[-1]["ending_at"] == "2026-11-01T00:00:00Z"
    single = get(session, sim, COST, **OCTOBER, limit=31, **groups).json()
    assert single["has_more"] is False and single["next_page"] is None
    assert single["data"] == buckets
    assert pages[0]["next_page"].startswith("page_")


def test_max_buckets_per_page_forces_a_page_per_day(org, session):
    with SimulatorServer(org, faults=Faults(max_buckets_per_page=1)) as server:
        pages, buckets = fetch_all(session, server, USAGE, **OCTOBER, limit=31,
                                   **{"group_by[]": ["workspace_id"]})
    assert len(pages) == 31 and all(len(p["data"]) == 1 for p in pages)
    assert len({b["starting_at"] for b in buckets}) == 31


def test_repeat_cursor_returns_the_same_token_forever(org, session):
    with SimulatorServer(org, faults=Faults(repeat_cursor=True)) as server:
        first = get(session, server, COST, **OCTOBER, limit=7).json()
        second = get(session, server, COST, **OCTOBER, limit=7, page=first["next_page"]).json()
        third = get(session, server, COST, **OCTOBER, limit=7, page=second["next_page"]).json()
    assert first["has_more"] and second["has_more"] and third["has_more"]
    assert first["next_page"] == second["next_page"] == third["next_page"]


# ---------------------------------------------------------------- cost report


def test_group_by_subsets_sum_to_the_same_exact_total(org, sim, session):
    expected = expected_total_cents(org, "2026-10")
    assert Decimal(2_000_000) <= expected <= Decimal(8_000_000)  # $20k-$80k
    full = months_cost(session, sim, "workspace_id", "description")
    by_workspace = months_cost(session, sim, "workspace_id")
    by_description = months_cost(session, sim, "description")
    ungrouped = months_cost(session, sim)
    for buckets in (full, by_workspace, by_description, ungrouped):
        assert total(buckets) == expected
    assert all(len(b["results"]) == 1 for b in ungrouped)
    per_workspace: Counter = Counter()
    for bucket in by_workspace:
        for row in bucket["results"]:
            assert row["description"] is None and row["model"] is None
            per_workspace[row["workspace_id"]] += Decimal(row["amount"])
    assert dict(per_workspace) == expected_cost_by_workspace(org, "2026-10")
    # the description rows of a workspace add up exactly to its workspace-only row
    day_full = Counter()
    for row in full[4]["results"]:
        day_full[row["workspace_id"]] += Decimal(row["amount"])
    assert day_full == Counter({r["workspace_id"]: Decimal(r["amount"]) for r in by_workspace[4]["results"]})


def test_cost_rows_have_every_key_cents_strings_and_no_priority(sim, session):
    buckets = months_cost(session, sim, "workspace_id", "description")
    rows = [r for b in buckets for r in b["results"]]
    keys = {"currency", "amount", "workspace_id", "description", "cost_type", "context_window",
            "model", "service_tier", "token_type", "inference_geo"}
    assert all(set(r) == keys for r in rows)
    assert {r["currency"] for r in rows} == {"USD"}
    assert all(isinstance(r["amount"], str) for r in rows)
    assert sum(1 for r in rows if "." in r["amount"] and len(r["amount"].split(".")[1]) >= 3) > len(rows) / 2
    assert {r["service_tier"] for r in rows} == {"standard", "batch", None}
    assert {r["cost_type"] for r in rows} == {"tokens", "web_search", "code_execution"}
    assert {r["context_window"] for r in rows} == {"0-200k", "200k-1M", None}
    assert any(r["workspace_id"] is None for r in rows)  # the Default workspace
    descriptions = {r["description"] for r in rows}
    assert {"Claude Sonnet 4.5 Usage - Input Tokens", "Claude Sonnet 4.5 Usage - Output Tokens",
            "Claude Sonnet 4.5 Usage - Input Tokens, Cache Write",
            "Claude Sonnet 4.5 Usage - Input Tokens, Cache Hit",
            "Web Search Usage", "Code Execution Usage"} <= descriptions
    for row in rows:
        if row["cost_type"] == "tokens":
            assert row["model"] and row["token_type"] and row["service_tier"] in ("standard", "batch")
        else:
            assert row["model"] is None and row["token_type"] is None
    # one row per day x workspace x description
    for bucket in buckets:
        pairs = [(r["workspace_id"], r["description"]) for r in bucket["results"]]
        assert len(pairs) == len(set(pairs))


def test_archived_workspace_had_spend_and_unmapped_workspace_has_spend(org):
    by_workspace = expected_cost_by_workspace(org, "2026-10")
    archived = workspace_id_for(DEMO_ARCHIVED_WORKSPACE)
    assert by_workspace[archived] > 0
    assert by_workspace[workspace_id_for(DEMO_UNMAPPED_WORKSPACE)] > 0
    assert by_workspace[None] > 0
    # no spend after the archive date
    assert all(item[0] != archived for item in org.day(date(2026, 10, 25)).cost)
    prior = expected_total_cents(org, "2026-09")
    growth = expected_total_cents(org, "2026-10") / prior - 1
    assert Decimal("0.05") <= growth <= Decimal("0.15")


def test_web_search_cost_matches_usage(sim, session):
    day = {"starting_at": "2026-10-07T00:00:00Z", "ending_at": "2026-10-08T00:00:00Z"}
    cost = get(session, sim, COST, **day, **{"group_by[]": ["workspace_id", "description"]}).json()
    usage = get(session, sim, USAGE, **day, **{"group_by[]": ["workspace_id", "service_tier"]}).json()
    billed = {r["workspace_id"]: Decimal(r["amount"]) for r in cost["data"][0]["results"]
              if r["cost_type"] == "web_search"}
    searches: Counter = Counter()
    for row in usage["data"][0]["results"]:
        if row["service_tier"] != "priority":
            searches[row["workspace_id"]] += row["server_tool_use"]["web_search_requests"]
    assert billed and billed == {ws: Decimal(n) for ws, n in searches.items() if n}


def test_token_cost_is_usage_times_list_price(sim, session):
    from reports.simulator.catalog import MODELS, UNITS_PER_CENT

    prices = {model.id: model for model in MODELS}
    day = {"starting_at": "2026-10-13T00:00:00Z", "ending_at": "2026-10-14T00:00:00Z"}
    cost = get(session, sim, COST, **day, **{"group_by[]": ["workspace_id", "description"]}).json()
    usage = get(session, sim, USAGE, **day, **{"group_by[]": [
        "workspace_id", "model", "service_tier", "context_window"]}).json()
    billed: Counter = Counter()
    for row in cost["data"][0]["results"]:
        if row["cost_type"] == "tokens":
            billed[(row["workspace_id"], row["model"], row["service_tier"])] += Decimal(row["amount"])
    priced: Counter = Counter()
    for row in usage["data"][0]["results"]:
        if row["service_tier"] == "priority":
            continue
        model, tier, window = prices[row["model"]], row["service_tier"], row["context_window"]
        counts = {
            "uncached_input_tokens": row["uncached_input_tokens"],
            "cache_creation.ephemeral_5m_input_tokens": row["cache_creation"]["ephemeral_5m_input_tokens"],
            "cache_creation.ephemeral_1h_input_tokens": row["cache_creation"]["ephemeral_1h_input_tokens"],
            "cache_read_input_tokens": row["cache_read_input_tokens"],
            "output_tokens": row["output_tokens"],
        }
        units = sum(n * model.unit_price(t, tier, window) for t, n in counts.items())
        priced[(row["workspace_id"], row["model"], tier)] += Decimal(units) / UNITS_PER_CENT
    assert billed == +priced


# ---------------------------------------------------------------- usage report


def test_usage_rows_shape_priority_console_and_grouping(org, sim, session):
    groups = ["workspace_id", "api_key_id", "model", "service_tier", "context_window"]
    full = get(session, sim, USAGE, **OCTOBER, limit=31, **{"group_by[]": groups}).json()
    rows = [r for b in full["data"] for r in b["results"]]
    assert len(full["data"]) == 31
    assert "priority" in {r["service_tier"] for r in rows}
    assert any(r["api_key_id"] is None for r in rows)  # Console traffic
    assert any(r["workspace_id"] is None for r in rows)
    sample = rows[0]
    assert set(sample["cache_creation"]) == {"ephemeral_1h_input_tokens", "ephemeral_5m_input_tokens"}
    assert set(sample["server_tool_use"]) == {"web_search_requests"}
    for bucket in full["data"]:  # one row per combination of the grouped dimensions
        grains = [(r["workspace_id"], r["api_key_id"], r["model"], r["service_tier"],
                   r["context_window"]) for r in bucket["results"]]
        assert len(grains) == len(set(grains))
    keys_per_workspace = Counter(
        ws for ws, _key in {(r["workspace_id"], r["api_key_id"]) for r in rows if r["api_key_id"]})
    assert sum(1 for count in keys_per_workspace.values() if count >= 2) >= 10

    def token_sum(results):
        return sum(r["uncached_input_tokens"] + r["cache_creation"]["ephemeral_1h_input_tokens"]
                   + r["cache_creation"]["ephemeral_5m_input_tokens"] + r["cache_read_input_tokens"]
                   + r["output_tokens"] for r in results)

    by_model = get(session, sim, USAGE, **OCTOBER, limit=31, **{"group_by[]": ["model"]}).json()
    ungrouped = get(session, sim, USAGE, **OCTOBER, limit=31).json()
    for index in (0, 13, 30):
        expected = token_sum(full["data"][index]["results"])
        assert token_sum(by_model["data"][index]["results"]) == expected
        assert token_sum(ungrouped["data"][index]["results"]) == expected
        assert len(ungrouped["data"][index]["results"]) == 1
        assert all(r["workspace_id"] is None and r["model"] is None
                   for r in ungrouped["data"][index]["results"])
    keyed = get(session, sim, USAGE, **OCTOBER, limit=31,
                **{"group_by[]": ["service_tier"], "service_tiers[]": ["priority"]}).json()
    assert {r["service_tier"] for b in keyed["data"] for r in b["results"]} == {"priority"}


# ---------------------------------------------------------------- listings


def test_workspaces_listing_archived_only_when_asked_and_paging(org, sim, session):
    archived = workspace_id_for(DEMO_ARCHIVED_WORKSPACE)
    active = get(session, sim, WORKSPACES, limit=100).json()
    every = get(session, sim, WORKSPACES, limit=100, include_archived="true").json()
    assert archived not in {w["id"] for w in active["data"]}
    assert archived in {w["id"] for w in every["data"]}
    assert len(every["data"]) == len(org.workspaces) == 13
    assert all(w["type"] == "workspace" and w["id"].startswith("wrkspc_") for w in every["data"])
    # the legacy fields, plus those of the 2.10.0 Workspace model (test_simulator_sdk.py)
    assert all(set(w) == {"id", "type", "name", "created_at", "archived_at", "display_color", "tags",
                          "compartment_id", "data_residency", "external_key_id", "user_profile_id"}
               for w in every["data"])
    assert {w["archived_at"] is not None for w in every["data"]} == {True, False}
    seen, after = [], None
    while True:
        params = {"limit": 5, "include_archived": "true", **({"after_id": after} if after else {})}
        page = get(session, sim, WORKSPACES, **params).json()
        seen += [w["id"] for w in page["data"]]
        if not page["has_more"]:
            break
        after = page["last_id"]
    assert seen == [w["id"] for w in every["data"]]
    back = get(session, sim, WORKSPACES, limit=5, include_archived="true", before_id=seen[7]).json()
    assert [w["id"] for w in back["data"]] == seen[2:7] and back["has_more"] is True
    assert get(session, sim, WORKSPACES).json()["first_id"] == active["data"][0]["id"]


def test_api_keys_listing(org, sim, session):
    body = get(session, sim, API_KEYS, limit=1000).json()
    keys = body["data"]
    assert len(keys) == len(org.api_keys) and body["has_more"] is False
    assert all(k["type"] == "api_key" and k["id"].startswith("apikey_") for k in keys)
    assert any(k["workspace_id"] is None for k in keys)  # Default workspace keys
    assert {k["status"] for k in keys} >= {"active", "archived"}
    per_workspace = Counter(k["workspace_id"] for k in keys)
    assert all(count >= 1 for count in per_workspace.values())
    assert sum(1 for count in per_workspace.values() if count >= 2) >= 10
    assert get(session, sim, API_KEYS, status="archived").json()["data"]
    assert get(session, sim, API_KEYS, limit=2).json()["has_more"] is True


# ---------------------------------------------------------------- errors


def _assert_error(response, status, error_type):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["type"] == "error" and body["error"]["type"] == error_type
    assert body["error"]["message"]
    assert body["request_id"].startswith("req_")
    assert response.headers["request-id"] == body["request_id"]


def test_bad_or_missing_key_is_401_and_never_echoed(sim):
    secret = "sk-ant-admin01-this-is-a-wrong-key-XYZZY"
    response = requests.get(sim.base_url + COST, params=OCTOBER, timeout=10,
                            headers={"x-api-key": secret, "anthropic-version": "2023-06-01"})
    _assert_error(response, 401, "authentication_error")
    assert "XYZZY" not in response.text and "XYZZY" not in str(response.headers)
    assert DEMO_API_KEY not in response.text
    missing = requests.get(sim.base_url + COST, params=OCTOBER, timeout=10,
                           headers={"anthropic-version": "2023-06-01"})
    _assert_error(missing, 401, "authentication_error")
    assert all("XYZZY" not in repr(record) for record in sim.requests)


@pytest.mark.parametrize(
    "path, params",
    [
        (COST, {}),  # starting_at missing
        (COST, {"starting_at": "yesterday"}),
        (COST, {**OCTOBER, "limit": "0"}),
        (COST, {**OCTOBER, "limit": "32"}),
        (COST, {**OCTOBER, "limit": "many"}),
        (COST, {**OCTOBER, "bucket_width": "1h"}),
        (COST, {**OCTOBER, "group_by[]": "model"}),
        (COST, {"starting_at": "2026-10-05T00:00:00Z", "ending_at": "2026-10-05T00:00:00Z"}),
        (COST, {**OCTOBER, "page": "page_bm90LWEtZGF0ZQ=="}),
        (COST, {**OCTOBER, "page": "garbage"}),
        (USAGE, {**OCTOBER, "bucket_width": "1h"}),
        (USAGE, {**OCTOBER, "bucket_width": "1w"}),
        (USAGE, {**OCTOBER, "group_by[]": "description"}),
        (USAGE, {**OCTOBER, "limit": "32"}),
        (WORKSPACES, {"limit": "1001"}),
        (WORKSPACES, {"include_archived": "maybe"}),
        (API_KEYS, {"after_id": "apikey_01nope"}),
    ],
)
def test_invalid_requests_are_400(sim, session, path, params):
    _assert_error(get(session, sim, path, **params), 400, "invalid_request_error")


def test_usage_1h_says_not_supported(sim, session):
    response = get(session, sim, USAGE, **OCTOBER, bucket_width="1h")
    assert "not supported by the simulator" in response.json()["error"]["message"]


def test_missing_version_header_unknown_path_and_request_ids(sim):
    response = requests.get(sim.base_url + COST, params=OCTOBER, timeout=10,
                            headers={"x-api-key": DEMO_API_KEY})
    _assert_error(response, 400, "invalid_request_error")
    _assert_error(requests.get(sim.base_url + "/v1/organizations/nope", headers=HEADERS, timeout=10),
                  404, "not_found_error")
    ok = requests.get(sim.base_url + WORKSPACES, headers=HEADERS, timeout=10)
    assert ok.headers["request-id"].startswith("req_")
    assert ok.headers["Content-Length"] == str(len(ok.content))


# ---------------------------------------------------------------- faults


def test_rate_limit_carries_retry_after_and_can_target_one_endpoint(org, session):
    faults = Faults(rate_limit=2, retry_after="1", only={"rate_limit": {"cost_report"}})
    with SimulatorServer(org, faults=faults) as server:
        assert get(session, server, WORKSPACES).status_code == 200
        for _ in range(2):
            response = get(session, server, COST, **OCTOBER)
            _assert_error(response, 429, "rate_limit_error")
            assert response.headers["retry-after"] == "1"
        assert get(session, server, COST, **OCTOBER).status_code == 200
        assert [r.status for r in server.requests] == [200, 429, 429, 200]
    assert faults.fired("rate_limit") == 2


def test_server_errors_in_order_then_success(org, session):
    with SimulatorServer(org, faults=Faults(server_errors=(500, 529, 503))) as server:
        _assert_error(get(session, server, COST, **OCTOBER), 500, "api_error")
        _assert_error(get(session, server, COST, **OCTOBER), 529, "overloaded_error")
        assert get(session, server, COST, **OCTOBER).status_code == 503
        assert get(session, server, COST, **OCTOBER).status_code == 200


def test_drop_connection_and_truncated_json(org):
    with SimulatorServer(org, faults=Faults(drop_connection=1)) as server:
        with requests.Session() as http:
            http.headers.update(HEADERS)
            with pytest.raises(requests.exceptions.RequestException):
                get(http, server, COST, **OCTOBER).json()
            assert get(http, server, COST, **OCTOBER).status_code == 200
    with SimulatorServer(org, faults=Faults(truncated_json=1)) as server:
        with requests.Session() as http:
            http.headers.update(HEADERS)
            response = get(http, server, COST, **OCTOBER)
            assert response.status_code == 200
            with pytest.raises(ValueError):
                json.loads(response.text)
            assert get(http, server, COST, **OCTOBER).json()["data"]


def test_slow_response(org, session, monkeypatch):
    import time
    from types import SimpleNamespace

    from reports.simulator import server as server_module

    # Which answers were held back is recorded, not timed: a busy machine can make any answer slow.
    held: list[float] = []

    def sleep(seconds: float) -> None:
        held.append(seconds)
        time.sleep(seconds)

    monkeypatch.setattr(server_module, "time", SimpleNamespace(sleep=sleep, monotonic=time.monotonic))
    with SimulatorServer(org, faults=Faults(slow_response_seconds=0.3, slow_responses=1)) as server:
        started = time.monotonic()
        assert get(session, server, WORKSPACES).status_code == 200
        assert time.monotonic() - started >= 0.3  # a lower bound: the answer waited for the sleep
        assert held == [0.3]
        assert get(session, server, WORKSPACES).status_code == 200
        assert held == [0.3]  # only the first request was slowed


def test_row_faults_and_extra_fields(org, session):
    faults = Faults(
        malformed_amount=RowFault("2026-10-03", 2), missing_amount=RowFault("2026-10-04", 0),
        unknown_cost_type=RowFault("2026-10-05", 1), non_usd_currency=RowFault("2026-10-06", 3),
        extra_fields=True,
    )
    with SimulatorServer(org, faults=faults) as server:
        body = get(session, server, COST, **OCTOBER, limit=31,
                   **{"group_by[]": ["workspace_id", "description"]}).json()
        listing = get(session, server, WORKSPACES).json()
    data = body["data"]
    assert data[2]["results"][2]["amount"] == "12.3.4"
    assert "amount" not in data[3]["results"][0]
    assert data[4]["results"][1]["cost_type"] == "session_usage_v9"
    assert data[5]["results"][3]["currency"] == "EUR"
    assert all(r["currency"] == "USD" for b in data[6:] for r in b["results"])
    assert any(key.startswith("x_") for key in body)
    assert any(key.startswith("x_") for key in data[0]["results"][0])
    assert any(key.startswith("x_") for key in listing)


def test_empty_and_no_usage(org, session):
    with SimulatorServer(org, faults=Faults(empty=True, months={"2026-10"})) as server:
        cost = get(session, server, COST, **OCTOBER, limit=31).json()
        assert len(cost["data"]) == 31 and all(b["results"] == [] for b in cost["data"])
        usage = get(session, server, USAGE, **OCTOBER, limit=31).json()
        assert all(b["results"] == [] for b in usage["data"])
        september = get(session, server, COST, starting_at="2026-09-01T00:00:00Z",
                        ending_at="2026-10-01T00:00:00Z", limit=31).json()
        assert all(b["results"] for b in september["data"])
    with SimulatorServer(org, faults=Faults(no_usage=True)) as server:
        assert all(b["results"] for b in get(session, server, COST, **OCTOBER, limit=31).json()["data"])
        assert all(b["results"] == [] for b in get(session, server, USAGE, **OCTOBER, limit=31).json()["data"])


def test_servers_of_one_organization_share_its_pages_but_each_keeps_its_own_faults(session):
    """demo_organization() is one object per process, whose days' page text every server shares: a server
    with faults still serves them after a plain one has served the same days, and a plain one after it."""
    org = demo_organization()
    assert demo_organization() is org and demo_organization(revision=1) is not org
    full_grain = {**OCTOBER, "limit": 31, "group_by[]": ["workspace_id", "description"]}
    usage_grain = {**OCTOBER, "limit": 31, "group_by[]": ["workspace_id", "api_key_id", "model"]}
    with SimulatorServer(org) as plain:
        before = (get(session, plain, COST, **full_grain).content, get(session, plain, USAGE, **usage_grain).content)
    faults = Faults(unknown_cost_type=RowFault("2026-10-05", 1), extra_fields=True, no_usage=True)
    with SimulatorServer(org, faults=faults) as faulted:
        cost = get(session, faulted, COST, **full_grain).json()["data"]
        usage = get(session, faulted, USAGE, **usage_grain).json()["data"]
    assert cost[4]["results"][1]["cost_type"] == "session_usage_v9"
    assert all("x_simulator_row_note" in row for bucket in cost for row in bucket["results"])
    assert all(bucket["results"] == [] for bucket in usage)
    with SimulatorServer(org) as again:
        after = (get(session, again, COST, **full_grain).content, get(session, again, USAGE, **usage_grain).content)
    assert after == before and b"session_usage_v9" not in after[0]
    assert json.loads(before[1])["data"][0]["results"]  # the plain usage days are not the faulted server's


# ---------------------------------------------------------------- organizations and config


def test_demo_config_maps_every_workspace_except_the_one_left_out(org):
    config = yaml.safe_load(DEMO_YAML.read_text())
    codes = [c["code"] for c in config["cost_centers"]]
    assert len(codes) == len(set(codes)) >= 6
    assert config["unallocated"] in codes and config["default_workspace"] in codes
    mapped = [w for c in config["cost_centers"] for w in c.get("workspaces", [])]
    shared = [s["workspace"] for s in config["shared"]]
    assert len(mapped + shared) == len(set(mapped + shared))
    listed = {w.id for w in org.workspaces}
    assert set(mapped + shared) <= listed
    assert listed - set(mapped + shared) == {workspace_id_for(DEMO_UNMAPPED_WORKSPACE)}
    splits = [s["split"] for s in config["shared"]]
    assert "proportional" in splits
    assert any(isinstance(s, dict) and sum(s.values()) == 100 for s in splits)
    assert sum(1 for c in config["cost_centers"] if c.get("budget")) >= 4


def test_generation_is_deterministic_and_revision_restates(org):
    again = demo_organization()
    day = date(2026, 9, 19)
    assert again.day(day).cost == org.day(day).cost and again.day(day).usage == org.day(day).usage
    revised = demo_organization(revision=1)
    before = expected_cost_by_workspace(org, "2026-09")
    after = expected_cost_by_workspace(revised, "2026-09")
    changed = {ws for ws in before if after[ws] != before[ws]}
    assert changed == {workspace_id_for("Support Copilot")} and after[next(iter(changed))] > before[next(iter(changed))]
    assert revised.day(date(2026, 9, 18)).cost == org.day(date(2026, 9, 18)).cost
    assert len(revised.day(day).cost) > len(org.day(day).cost)


def test_synthetic_organization_shape():
    synthetic = synthetic_organization(4, descriptions_per_workspace=30, api_keys_per_workspace=3)
    one_day = synthetic.day(date(2026, 10, 1))
    assert len(one_day.cost) == 4 * 30
    assert len(one_day.usage) == 4 * 3 * 6
    assert len({(c[0], c[1]) for c in one_day.cost}) == len(one_day.cost)
    assert len(synthetic.workspaces) == 4 and len(synthetic.api_keys) == 12
    with SimulatorServer(synthetic) as server, requests.Session() as http:
        http.headers.update(HEADERS)
        body = get(http, server, COST, **OCTOBER, limit=31,
                   **{"group_by[]": ["workspace_id", "description"]}).json()
    assert sum(len(b["results"]) for b in body["data"]) == 4 * 30 * 31
    assert total(body["data"]) == expected_total_cents(synthetic, "2026-10")


def test_keep_alive_serves_several_requests_on_one_connection(sim):
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=10)
    ports = set()
    for _ in range(3):
        connection.request("GET", WORKSPACES, headers=HEADERS)
        response = connection.getresponse()
        assert response.status == 200 and response.version == 11
        response.read()
        ports.add(connection.sock.getsockname()[1])
    connection.close()
    assert len(ports) == 1
