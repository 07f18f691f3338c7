"""RBAC groups: the config's rules, one owner per user from plain values, and the simulator's group endpoints.

The month end to end is in ``test_groups_run.py``; here each piece on its own: ``groups:`` and
``group_precedence:`` refused with file, line and key; the membership rule and the two ways a
user in several groups is decided; the simulator's listings (PageCursor pages, Enterprise
only) and its ``rbac_group_id`` grouping (any-membership, day by day).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import requests

from reports.config import parse_settings
from reports.core.groups import GroupRule, GroupSettings, RbacGroup, owners, resolve_groups
from reports.errors import ConfigError
from reports.simulator import DEMO_API_KEY, SimulatorServer, analytics_cost_rows, demo_organization
from reports.simulator.catalog import RbacMembership
from reports.simulator.demo import DEMO_GROUP_JOINED, DEMO_GROUPS, demo_group_id
from reports.simulator.synthetic import synthetic_analytics_organization

CONFIG = b"""organization: Acme
source: analytics
cost_centers:
  - code: ENG-100
    name: Engineering
  - code: DAT-300
    name: Data
groups:
  rbac_group_01AAA: ENG-100
  Data Science: DAT-300
group_precedence: [Data Science, rbac_group_01AAA]
"""


def problems_of(text: bytes, **kwargs) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, "chargeback.yaml", **kwargs)
    return caught.value.problems


# ---------------------------------------------------------------- config


def test_groups_and_their_precedence_load():
    groups = parse_settings(CONFIG, "chargeback.yaml").groups
    assert groups is not None
    assert [(rule.key, rule.code, rule.line, rule.by_id) for rule in groups.rules] == [
        ("rbac_group_01AAA", "ENG-100", 9, True), ("Data Science", "DAT-300", 10, False)]
    assert groups.precedence == ("Data Science", "rbac_group_01AAA") and not groups.max_spend
    spend = parse_settings(CONFIG.replace(b"[Data Science, rbac_group_01AAA]", b"max_spend"), "c.yaml").groups
    assert spend is not None and spend.max_spend and spend.describe().startswith("max_spend")
    assert parse_settings(CONFIG.split(b"groups:")[0], "c.yaml").groups is None


@pytest.mark.parametrize("old, new, expected", [
    (b"  Data Science: DAT-300\n", b"  Data Science: OPS-1\n",
     "chargeback.yaml:10: groups.Data Science: names cost center OPS-1, which is not defined under cost_centers"),
    (b"group_precedence: [Data Science, rbac_group_01AAA]\n", b"",
     "chargeback.yaml:9: group_precedence: is required with two or more groups"),
    (b"[Data Science, rbac_group_01AAA]", b"[Data Science]",
     "chargeback.yaml:11: group_precedence: does not list rbac_group_01AAA"),
    (b"[Data Science, rbac_group_01AAA]", b"[Data Science, rbac_group_01AAA, Ops]",
     "chargeback.yaml:11: group_precedence: Ops is not a key under groups:"),
    (b"[Data Science, rbac_group_01AAA]", b"most_spend",
     "chargeback.yaml:11: group_precedence: must be a list of the configured groups, or max_spend"),
    (b"source: analytics\n", b"",
     "chargeback.yaml:8: groups: RBAC groups need source: analytics"),
])
def test_group_problems_name_file_line_and_key(old, new, expected):
    assert old in CONFIG
    problems = problems_of(CONFIG.replace(old, new))
    assert any(problem.startswith(expected) for problem in problems), problems


def test_group_precedence_without_groups_is_refused():
    text = CONFIG.split(b"groups:")[0] + b"group_precedence: max_spend\n"
    assert problems_of(text) == ["chargeback.yaml:8: group_precedence: needs groups: (it orders the configured groups)"]


# ---------------------------------------------------------------- names to IDs


LISTED = (RbacGroup("rbac_group_01AAA", "Platform"), RbacGroup("rbac_group_01BBB", "Data Science"),
          RbacGroup("rbac_group_01CCC", "Engineering"), RbacGroup("rbac_group_01DDD", "Engineering"))


def settings_for(*rules: tuple[str, str], precedence: tuple[str, ...] | None = None) -> GroupSettings:
    return GroupSettings(tuple(GroupRule(key, code, line) for line, (key, code) in enumerate(rules, start=5)),
                         tuple(key for key, _ in rules) if precedence is None else precedence or None,
                         source_path="c.yaml")


def test_a_name_several_groups_share_is_refused_naming_their_ids():
    with pytest.raises(ConfigError) as caught:
        resolve_groups(settings_for(("Engineering", "ENG-100")), LISTED)
    assert caught.value.problems == [
        "c.yaml:5: groups.Engineering: 2 RBAC groups have this name (rbac_group_01CCC, rbac_group_01DDD); the API "
        "does not keep names unique: name the group by its ID"]


def test_an_unknown_id_or_name_and_a_group_named_twice_are_refused():
    with pytest.raises(ConfigError) as caught:
        resolve_groups(settings_for(("rbac_group_01ZZZ", "A"), ("Finance", "B"), ("Data Science", "C"),
                                    ("rbac_group_01BBB", "D")), LISTED)
    assert caught.value.problems == [
        "c.yaml:5: groups.rbac_group_01ZZZ: the organization has no RBAC group with this ID",
        "c.yaml:6: groups.Finance: the organization has no RBAC group with this name",
        "c.yaml:8: groups.rbac_group_01BBB: is the same RBAC group (rbac_group_01BBB) as groups.Data Science on "
        "line 7"]


# ---------------------------------------------------------------- one owner per user


def test_precedence_max_spend_ties_and_the_current_list_for_users_the_api_put_in_no_configured_group():
    groups_by_precedence = settings_for(("Platform", "ENG-100"), ("rbac_group_01BBB", "DAT-300"),
                                        precedence=("rbac_group_01BBB", "Platform"))
    found = resolve_groups(groups_by_precedence, LISTED)
    spent = {
        "user_both_equal": {"rbac_group_01AAA": Decimal(70), "rbac_group_01BBB": Decimal(70)},  # a tie
        "user_more_in_platform": {"rbac_group_01AAA": Decimal(90), "rbac_group_01BBB": Decimal(20)},
        "user_only_data": {"rbac_group_01BBB": Decimal(5)},
        "user_unconfigured_group": {"rbac_group_01CCC": Decimal(40)},
    }
    # spent in no configured group: the current member lists decide; listed but spent elsewhere: the API does
    members = {"rbac_group_01AAA": ("user_unconfigured_group", "user_only_data", "user_new"), "rbac_group_01BBB": ()}
    by_precedence = owners(groups_by_precedence, found, spent, members)
    assert by_precedence.group_of == {
        "user_both_equal": "rbac_group_01BBB", "user_more_in_platform": "rbac_group_01BBB",
        "user_only_data": "rbac_group_01BBB", "user_unconfigured_group": "rbac_group_01AAA",
        "user_new": "rbac_group_01AAA"}
    assert by_precedence.code_of["user_more_in_platform"] == "DAT-300"
    by_spend = owners(replace(groups_by_precedence, precedence=None), found, spent, members)
    # a tie goes to the group listed first under groups: (Platform), not to the first in a precedence
    assert by_spend.group_of["user_both_equal"] == "rbac_group_01AAA"
    assert by_spend.group_of["user_more_in_platform"] == "rbac_group_01AAA"
    assert by_spend.group_of["user_only_data"] == "rbac_group_01BBB"


# ---------------------------------------------------------------- the simulator


NOW = datetime(2026, 12, 2, 6, 30, tzinfo=UTC)
HEADERS = {"x-api-key": DEMO_API_KEY, "anthropic-version": "2026-10-21",
           "anthropic-beta": "analytics-usage-cost-2026-08-24"}


def every_page(session, url: str, **params) -> tuple[int, list[dict]]:
    pages, rows, page = 0, [], None
    while True:
        response = session.get(url, params={**params, **({"page": page} if page else {})}, timeout=30)
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        rows += body["data"]
        if not body["has_more"]:
            assert body["next_page"] is None
            return pages, rows
        page = body["next_page"]


def test_the_group_listings_page_by_cursor_and_show_current_members_only():
    org = demo_organization()
    with SimulatorServer(org, now=NOW) as sim, requests.Session() as session:
        session.headers.update(HEADERS)
        pages, groups = every_page(session, sim.base_url + "/v1/organizations/rbac_groups", limit=2)
        assert pages == 4 and [group["name"] for group in groups] == [name for name, _ in DEMO_GROUPS]
        assert {group["type"] for group in groups} == {"rbac_group"}
        pages, members = every_page(session, f"{sim.base_url}/v1/organizations/rbac_groups/{demo_group_id(0)}/members",
                                    limit=1)
        assert pages == 3 and {m["type"] for m in members} == {"rbac_group_member"}
        assert {m["email"] for m in members} == {"dana.kim@acme.example", "evan.wright@acme.example",
                                                 "priya.raman@acme.example"}
        unknown = session.get(sim.base_url + "/v1/organizations/rbac_groups/rbac_group_01NONE/members", timeout=30)
        assert unknown.status_code == 404
    with SimulatorServer(replace(org, enterprise=False), now=NOW) as console, requests.Session() as session:
        session.headers.update(HEADERS)
        refused = session.get(console.base_url + "/v1/organizations/rbac_groups", timeout=30)
        body = refused.json()
        assert refused.status_code == 400 and body["type"] == "error"
        assert body["error"]["type"] == "invalid_request_error"
        assert body["error"]["details"]["error_code"] == "organization_type_not_supported"
        assert "Claude Enterprise organizations only" in body["error"]["message"]


def test_rbac_group_id_is_any_membership_day_by_day_and_the_null_row_is_everyone_else():
    org = demo_organization()
    by_group = analytics_cost_rows(org, "2026-10", ["actor", "rbac_group_id"])
    by_actor = analytics_cost_rows(org, "2026-10", ["actor"])
    total = sum(Decimal(row["cost"]["amount"]) for row in by_actor)
    grouped = sum(Decimal(row["cost"]["amount"]) for row in by_group)
    assert grouped > total  # Dana and Priya are in two groups: their spend counts in each
    spent = {(row["group"]["actor"] or {}).get("user_id"): Decimal(row["cost"]["amount"]) for row in by_actor
             if row["group"]["actor"] and row["group"]["actor"]["type"] == "user_actor"}
    rows = {(row["group"]["actor"]["user_id"], row["group"]["rbac_group_id"]): Decimal(row["cost"]["amount"])
            for row in by_group if row["group"]["actor"] and row["group"]["actor"]["type"] == "user_actor"}
    dana = next(user.id for user in org.users if user.email.startswith("dana.kim"))
    evan = next(user.id for user in org.users if user.email.startswith("evan.wright"))
    # in two groups all month: the full spend in each, and no null row
    assert rows[(dana, demo_group_id(0))] == rows[(dana, demo_group_id(3))] == spent[dana]
    assert (dana, None) not in rows
    # joined mid-month: the days before in the null row, the days after in the group; together the whole month
    assert rows[(evan, demo_group_id(0))] + rows[(evan, None)] == spent[evan]
    joined = [day for day in org.rbac_memberships if day.user_id == evan]
    assert joined and joined[0].since == DEMO_GROUP_JOINED
    before = analytics_cost_rows(org, "2026-10", ["actor"], actor_ids=[evan],
                                 ending_at="2026-10-16T00:00:00Z")
    assert rows[(evan, None)] == sum(Decimal(row["cost"]["amount"]) for row in before)
    # without the grouping nothing changes: the same total with or without groups in the organization
    plain = replace(org, rbac_memberships=())
    assert analytics_cost_rows(plain, "2026-10") == analytics_cost_rows(org, "2026-10")


def test_a_membership_counts_from_its_first_day_until_the_day_it_ends():
    membership = RbacMembership("user_1", "rbac_group_1", since=date(2026, 10, 16), until=date(2026, 10, 20))
    assert [membership.on(date(2026, 10, d)) for d in (15, 16, 19, 20)] == [False, True, True, False]


def test_a_months_rbac_grouping_is_the_sum_of_its_days_each_attributed_by_that_days_membership():
    """The simulator attributes a month's stretches of unchanged membership at once: the same rows as the
    month's days attributed one by one (users joined on the 16th and left on the 10th)."""
    org = synthetic_analytics_organization(workspaces=6, api_keys=60, users=60, groups=5)
    assert {m.since for m in org.rbac_memberships} | {m.until for m in org.rbac_memberships} > {None}
    month = analytics_cost_rows(org, "2026-10", ["actor", "rbac_group_id"])
    daily = analytics_cost_rows(org, "2026-10", ["actor", "rbac_group_id"], time_bucket_width="1d")
    summed: dict[tuple, Decimal] = {}
    for row in daily:
        key = (json.dumps(row["group"]["actor"], sort_keys=True), row["group"]["rbac_group_id"])
        summed[key] = summed.get(key, Decimal(0)) + Decimal(row["cost"]["amount"])
    assert len({row["starting_at"] for row in daily}) == 31
    assert {(json.dumps(row["group"]["actor"], sort_keys=True), row["group"]["rbac_group_id"]):
            Decimal(row["cost"]["amount"]) for row in month} == summed
