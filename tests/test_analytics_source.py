"""The analytics source's pages to records: every row is money, nothing is merged away or guessed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reports.core.checks import Figure, FigureKind
from reports.core.months import Month
from reports.core.records import API_KEY, FEDERATED, SERVICE_ACCOUNT, USER
from reports.errors import DataError
from reports.sources.analytics import _daily_check, _legacy_check
from reports.sources.analytics_pages import cost_rows, daily_cents, directory, usage_rows
from reports.sources.pages import RawPage

MONTH = Month(2026, 10)
START, END = "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z"
GROUP_KEYS = ("actor", "actor_type", "agent_id", "api_key_id", "claude_tag_category", "claude_tag_user_id",
              "context_window", "cost_type", "deployment_id", "environment_id", "inference_geo", "model",
              "organization_id", "product", "rbac_group_id", "service_tier", "session_id", "slack_channel_id",
              "speed", "token_type", "user_profile_id", "workspace_id")


def cost_row(amount="1000.5", list_amount=None, start=START, end=END, **group):
    return {"starting_at": start, "ending_at": end, "group": {key: group.get(key) for key in GROUP_KEYS},
            "cost": {"amount": amount, "list_amount": list_amount or amount, "currency": "USD", "requests": None}}


def page(*rows, file="raw/analytics_cost-2026-10-p001.json", refreshed="2026-11-01T04:00:00Z"):
    return RawPage(file, {"data": list(rows), "has_more": False, "next_page": None, "data_refreshed_at": refreshed})


def listing(*items, endpoint_items=None):
    return RawPage("raw/x.json", {"data": list(items), "has_more": False, "first_id": None, "last_id": None})


NAMES = directory(
    [listing({"id": "wrkspc_A", "name": "Alpha"})],
    [listing({"id": "wrkspc_A", "name": "Alpha"}, {"id": "wrkspc_DEF", "name": "Default"})],
    [listing({"id": "apikey_K", "name": "team-key", "scope": {"type": "workspace", "workspace_id": "wrkspc_A"}})],
    [listing({"id": "user_U", "email": "uma@acme.example", "name": "Uma", "type": "user"})],
)
USER_ACTOR = {"type": "user_actor", "user_id": "user_U", "email_address": "uma@acme.example", "name": "Uma",
              "deleted": False}


def read(*pages):
    unknown: set[str] = set()
    refreshed: list = []
    return list(cost_rows(pages, MONTH, NAMES, unknown, refreshed)), unknown, refreshed


def test_the_default_workspace_is_the_one_listed_only_with_include_default():
    assert NAMES.default_workspace_id == "wrkspc_DEF" and not NAMES.null_workspace_is_default
    assert NAMES.workspace_name("wrkspc_DEF") == "Default workspace"
    assert NAMES.workspace_name(None) == "No workspace"
    assert NAMES.api_keys["apikey_K"].workspace_id == "wrkspc_A"  # from scope


def test_every_actor_shape_becomes_an_attribution():
    rows, _, refreshed = read(page(
        cost_row(workspace_id="wrkspc_A", api_key_id="apikey_K", actor=USER_ACTOR, actor_type="user_actor",
                 model="claude-sonnet-4-5", cost_type="tokens", token_type="output_tokens", service_tier="standard"),
        cost_row(workspace_id="wrkspc_DEF", api_key_id="apikey_K",
                 actor={"type": "service_account_actor", "service_account_id": "svac_S"}),
        cost_row(workspace_id="wrkspc_A", api_key_id="apikey_K", actor={"type": "api_actor", "api_key_id": "apikey_K"}),
        cost_row(workspace_id=None, actor={"type": "federated_actor", "subject": "arn:aws:iam::1:role/x",
                                           "provider": {"type": "aws", "account_id": "1", "signed_principal": "p"}}),
    ))
    kinds = [(row.attribution.actor.kind, row.attribution.actor.id) for row in rows]
    assert kinds == [(USER, "user_U"), (SERVICE_ACCOUNT, "svac_S"), (API_KEY, "apikey_K"),
                     (FEDERATED, "arn:aws:iam::1:role/x")]
    assert rows[0].attribution.actor.email == "uma@acme.example"
    assert [row.attribution.default_workspace for row in rows] == [False, True, False, False]
    assert rows[0].day == date(2026, 10, 1) and rows[0].token_type == "output_tokens"
    assert refreshed and refreshed[0].isoformat() == "2026-11-01T04:00:00+00:00"


def test_null_actors_null_models_and_session_usage_are_kept_and_summed_not_overwritten():
    twin = cost_row("0.0000001", workspace_id="wrkspc_A", model=None, cost_type="tokens")
    rows, unknown, _ = read(page(
        twin, dict(twin),  # distinct identities the server cannot render: the same all-null group key, twice
        cost_row("250", workspace_id="wrkspc_A", cost_type="session_usage"),
        cost_row("3.5", workspace_id="wrkspc_A", cost_type="code_execution"),
    ))
    assert len(rows) == 4
    assert rows[0].attribution == rows[1].attribution  # one payer: its two rows add up
    assert sum(row.amount_cents for row in rows) == Decimal("253.5000002")
    assert unknown == set()


def test_list_amounts_are_exact_and_a_new_cost_type_is_kept_and_named():
    rows, unknown, _ = read(page(cost_row("80.0000004", "100.0000005", workspace_id="wrkspc_A",
                                          cost_type="inference_v2")))
    assert rows[0].amount_cents == Decimal("80.0000004") and rows[0].list_amount_cents == Decimal("100.0000005")
    assert unknown == {"inference_v2"}


@pytest.mark.parametrize("row, message", [
    (cost_row("12.3.4"), "row 2: amount '12.3.4' is not a decimal number"),
    ({**cost_row(), "cost": {"amount": "1", "currency": "USD"}}, "row 2: the row has no 'cost.list_amount'"),
    ({**cost_row(), "cost": {"amount": "1", "list_amount": "1", "currency": "EUR"}}, "row 2: currency is 'EUR'"),
    (cost_row(start="2026-09-30T00:00:00Z", end="2026-10-01T00:00:00Z"), "row 2: the row's period"),
    ({**cost_row(), "group": None}, "row 2: the row has no 'group' object"),
    (cost_row(actor={"type": "robot_actor"}), "row 2: actor {'type': 'robot_actor'} is not one of"),
    (cost_row(actor={"type": "user_actor", "deleted": False}), "row 2: the actor has no text 'user_id'"),
])
def test_a_bad_row_is_refused_naming_the_page_and_the_row(row, message):
    with pytest.raises(DataError) as caught:
        read(page(cost_row(), row))
    assert str(caught.value).startswith("analytics/cost page raw/analytics_cost-2026-10-p001.json")
    assert message in str(caught.value)


def test_usage_rows_read_tokens_per_payer():
    usage = {"uncached_input_tokens": 10, "cache_read_input_tokens": 5, "output_tokens": 6, "total_tokens": 28,
             "cache_creation": {"ephemeral_1h_input_tokens": 3, "ephemeral_5m_input_tokens": 4},
             "server_tool_use": {"web_search_requests": 2}, "requests": 9}
    group = {key: None for key in GROUP_KEYS if key not in ("cost_type", "token_type")}
    body = {"data": [{"starting_at": START, "ending_at": END, "usage": usage,
                      "group": {**group, "workspace_id": "wrkspc_A", "actor": USER_ACTOR, "model": "m"}}],
            "has_more": None, "next_page": None, "data_refreshed_at": None}
    [row] = usage_rows([RawPage("raw/u.json", body)], MONTH, NAMES, [])
    assert (row.tokens.uncached_input, row.tokens.cache_write_1h, row.tokens.cache_write_5m, row.tokens.cache_read,
            row.tokens.output, row.tokens.web_searches) == (10, 3, 4, 5, 6, 2)
    assert row.attribution.actor.id == "user_U" and row.model == "m"


def test_the_daily_query_must_add_up_to_the_month():
    days = daily_cents([page(cost_row("100", start="2026-10-01T00:00:00Z", end="2026-10-02T00:00:00Z"),
                             cost_row("0.5", start="2026-10-31T00:00:00Z", end="2026-11-01T00:00:00Z"))],
                       MONTH, [])
    assert days == {date(2026, 10, 1): Decimal("100"), date(2026, 10, 31): Decimal("0.5")}
    assert _daily_check(Decimal("100.5"), days).status == "PASS"
    check = _daily_check(Decimal("100.6"), days)
    assert check.status == "FAIL" and check.actual == Figure(Decimal("100.5"), FigureKind.CENTS)
    assert str(check.actual) == "100.5"  # what the PDF shows


def test_the_legacy_cross_check_warns_with_both_totals():
    assert _legacy_check(Decimal("4200000"), Decimal("4200000")).status == "PASS"
    check = _legacy_check(Decimal("4300000"), Decimal("4200000"))
    assert check.status == "WARN"
    assert "$43,000.00" in check.detail and "$42,000.00" in check.detail and "(+$1,000.00)" in check.detail
