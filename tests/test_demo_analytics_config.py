"""config/demo-analytics.yaml names only what the demo organization has, and every rule kind matches spend."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from reports.simulator import DEMO_DEFAULT_WORKSPACE, analytics_cost_rows, demo_organization

CONFIG = Path(__file__).resolve().parent.parent / "config" / "demo-analytics.yaml"


@pytest.fixture(scope="module")
def config():
    return yaml.safe_load(CONFIG.read_text())


@pytest.fixture(scope="module")
def org():
    return demo_organization()


def owner_of(config, row) -> tuple[str, str]:
    """(rule kind, owner) of one cost row by SPEC.md's precedence; an independent reading of the rules."""
    group = row["group"]
    actor, key, workspace = group["actor"] or {}, group["api_key_id"], group["workspace_id"]
    for center in config["cost_centers"]:
        users = set(center.get("users", []))
        if actor.get("type") == "user_actor" and ({actor["user_id"], actor["email_address"]} & users):
            return "users", center["code"]
        accounts = center.get("service_accounts", [])
        if actor.get("type") == "service_account_actor" and actor["service_account_id"] in accounts:
            return "service_accounts", center["code"]
    for rule in config["shared"]:
        if "api_key" in rule and rule["api_key"] == key:
            return "shared api_key", "shared:" + key
    for center in config["cost_centers"]:
        if key in center.get("api_keys", []):
            return "api_keys", center["code"]
    for rule in config["shared"]:
        if "workspace" in rule and rule["workspace"] == workspace:
            return "shared workspace", "shared:" + workspace
    for center in config["cost_centers"]:
        if workspace in center.get("workspaces", []):
            return "workspaces", center["code"]
    if workspace == DEMO_DEFAULT_WORKSPACE:
        return "default_workspace", config["default_workspace"]
    return "unallocated", config["unallocated"]


def test_every_id_the_config_names_exists_in_the_demo_organization(config, org):
    assert config["source"] == "analytics"
    workspaces = {p.id for p in org.workspaces}
    keys = {k.id for k in org.api_keys}
    users = {u.id for u in org.users} | {u.email for u in org.users}
    accounts = {a.id for a in org.service_accounts}
    codes = {c["code"] for c in config["cost_centers"]}
    for center in config["cost_centers"]:
        assert set(center.get("workspaces", [])) <= workspaces
        assert set(center.get("api_keys", [])) <= keys
        assert set(center.get("users", [])) <= users
        assert set(center.get("service_accounts", [])) <= accounts
    for rule in config["shared"]:
        assert rule.get("workspace") in workspaces or rule.get("api_key") in keys
        assert rule["split"] == "proportional" or (set(rule["split"]) <= codes and sum(rule["split"].values()) == 100)
    assert {config["default_workspace"], config["unallocated"]} <= codes
    named = [i for c in config["cost_centers"] for kind in ("workspaces", "api_keys", "users", "service_accounts")
             for i in c.get(kind, [])] + [r.get("workspace") or r.get("api_key") for r in config["shared"]]
    assert len(named) == len(set(named))  # nothing listed twice


def test_every_rule_kind_matches_spend_and_nothing_is_counted_twice(config, org):
    rows = analytics_cost_rows(org, "2026-10", ["workspace_id", "api_key_id", "actor"])
    by_kind: Counter = Counter()
    by_owner: Counter = Counter()
    for row in rows:
        kind, owner = owner_of(config, row)
        by_kind[kind] += Decimal(row["cost"]["amount"])
        by_owner[owner] += Decimal(row["cost"]["amount"])
    assert set(by_kind) == {"users", "service_accounts", "shared api_key", "api_keys", "shared workspace",
                            "workspaces", "default_workspace", "unallocated"}
    assert all(amount > 0 for amount in by_kind.values())
    total = sum((Decimal(r["cost"]["amount"]) for r in rows), Decimal(0))
    assert sum(by_owner.values(), Decimal(0)) == total == sum(by_kind.values(), Decimal(0))
    # the deleted user is matched by the email the rows keep
    deleted = [r for r in rows if (r["group"]["actor"] or {}).get("deleted")]
    assert deleted and owner_of(config, deleted[0]) == ("users", "SUP-200")
