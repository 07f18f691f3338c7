"""RBAC groups, one owner per user, over the simulator (real loopback HTTP), end to end.

A Claude Enterprise organization whose groups overlap (a third of its users are in two or more;
some joined or left a group mid-month): every journal debit equals a hand calculation written
here from the simulator's own rows, the YAML and SPEC.md's rules alone; the Groups sheet's
Allocated column adds up to the organization's total while its Attributed column exceeds it;
precedence and max_spend each decide as documented, ties included; a name two groups share is
refused; a non-Enterprise organization's refusal is one clear error and nothing is published.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
import yaml

from conftest import MONTH, PATIENT_RETRY
from reports.errors import ApiError, ConfigError
from reports.pipeline import RunOptions, run
from reports.simulator.analytics import analytics_cost_rows as simulated_cost_rows
from reports.simulator.server import DEMO_API_KEY, SimulatorServer
from reports.simulator.synthetic import synthetic_analytics_organization
from runcheck import assert_manifest_matches, assert_nothing_published, assert_one_error_line, sheets

pytestmark = pytest.mark.slow  # whole months of a 150-user organization

GROUPS_HEADERS = ["Group ID", "Group", "Cost Center", "Members", "Attributed (USD)", "Allocated (USD)"]


@pytest.fixture(scope="module")
def org():
    return synthetic_analytics_organization(workspaces=30, api_keys=300, users=150, groups=8)


@pytest.fixture(scope="module")
def server(org):
    with SimulatorServer(org) as served:
        yield served


def group_id(org, name: str) -> str:
    return next(group.id for group in org.rbac_groups if group.name == name)


def config_of(org, *, precedence) -> dict:
    """Seven of the eight groups (by name and by ID, listed out of their order), two explicit users, every
    workspace, an unallocated cost center; of the two groups named "Shared Services", one is configured (by ID)."""
    groups = {"Team 05": "SUP-200", group_id(org, "Team 01"): "ENG-100", "Team 03": "DAT-300",
              group_id(org, "Team 00"): "ENG-100", "Team 02": "MKT-400", "Team 04": "DAT-300",
              org.rbac_groups[6].id: "SUP-200"}  # one of the two named "Shared Services": by ID
    return {
        "organization": org.name, "source": "analytics",
        "cost_centers": [
            {"code": "ENG-100", "name": "Engineering", "users": [org.users[0].email]},
            {"code": "DAT-300", "name": "Data", "users": [org.users[4].id]},
            {"code": "SUP-200", "name": "Support"},
            {"code": "MKT-400", "name": "Marketing"},
            {"code": "PLT-700", "name": "Platform", "workspaces": [profile.id for profile in org.workspaces]},
            {"code": "FIN-999", "name": "Unallocated"},
        ],
        "unallocated": "FIN-999",
        "groups": groups,
        "group_precedence": precedence if precedence == "max_spend" else [
            "Team 02", "Team 04", group_id(org, "Team 00"), org.rbac_groups[6].id, "Team 05",
            group_id(org, "Team 01"), "Team 03"],
    }


_ROWS: dict[tuple, tuple[object, list[dict]]] = {}


def cost_rows(org, *group_by: str) -> list[dict]:
    """The simulator's own cost rows for the month, grouped by ``group_by``: the hand calculations read the
    same rows many times, and computing them for 150 users takes half a second."""
    key = (id(org), group_by)
    if key not in _ROWS:  # the organization is kept with its rows, so its id is never another's
        _ROWS[key] = (org, simulated_cost_rows(org, MONTH, list(group_by)))
    return _ROWS[key][1]


def write_config(tmp_path, config: dict):
    path = tmp_path / "chargeback.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def run_month(server, tmp_path, config: dict):
    return run(RunOptions(month=MONTH, output_dir=tmp_path / "out", config_path=write_config(tmp_path, config),
                          base_url=server.base_url, api_key=DEMO_API_KEY, retry=PATIENT_RETRY, pdf=False))


# ---------------------------------------------------------------- an independent hand calculation


def owners_by_hand(org, config: dict) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(user ID -> its one group's ID, user ID -> its configured groups for the month) by SPEC.md's rule."""
    ids = {}
    for key in config["groups"]:
        ids[key] = key if key.startswith("rbac_group_") else group_id(org, key)
    configured = list(ids.values())  # in the order of groups:
    spent: dict[str, dict[str, Decimal]] = {}
    for row in cost_rows(org, "actor", "rbac_group_id"):
        actor, group = row["group"]["actor"], row["group"]["rbac_group_id"]
        if group in configured and actor and actor["type"] == "user_actor":
            spent.setdefault(actor["user_id"], {}).setdefault(group, Decimal(0))
            spent[actor["user_id"]][group] += Decimal(row["cost"]["amount"])
    current: dict[str, list[str]] = {}
    for membership in org.rbac_memberships:
        if membership.until is None and membership.group_id in configured:
            current.setdefault(membership.user_id, []).append(membership.group_id)
    chosen, candidates_of = {}, {}
    for user in set(spent) | set(current):
        candidates = list(spent.get(user, {})) or current[user]
        candidates_of[user] = candidates
        if config["group_precedence"] == "max_spend":
            best = None
            for group in configured:  # in the order of groups:, so a tie goes to the first listed
                if group in candidates and (best is None or spent.get(user, {}).get(group, 0)
                                            > spent.get(user, {}).get(best, 0)):
                    best = group
        else:
            best = next(ids[key] for key in config["group_precedence"] if ids[key] in candidates)
        chosen[user] = best
    return chosen, candidates_of


def debits_by_hand(org, config: dict) -> tuple[dict[str, Decimal], dict[str, Fraction], Fraction]:
    """(each cost center's debit, each group's allocated dollars, the month's exact total)."""
    codes = [center["code"] for center in config["cost_centers"]]
    group_code = {key if key.startswith("rbac_group_") else group_id(org, key): code
                  for key, code in config["groups"].items()}
    chosen, _ = owners_by_hand(org, config)
    exact = {code: Fraction(0) for code in codes}
    by_group = {group: Fraction(0) for group in group_code}
    total = Fraction(0)
    for row in cost_rows(org, "workspace_id", "api_key_id", "actor"):
        dollars = Fraction(row["cost"]["amount"]) / 100
        total += dollars
        actor = row["group"]["actor"] or {}
        owner = None
        for center in config["cost_centers"]:
            named = center.get("users", [])
            if actor.get("type") == "user_actor" and (actor["user_id"] in named or actor["email_address"] in named):
                owner = center["code"]
        if owner is None and actor.get("type") == "user_actor" and actor["user_id"] in chosen:
            owner = group_code[chosen[actor["user_id"]]]
            by_group[chosen[actor["user_id"]]] += dollars
        if owner is None:
            for center in config["cost_centers"]:
                if row["group"]["workspace_id"] in center.get("workspaces", []):
                    owner = center["code"]
        exact[owner or config["unallocated"]] += dollars
    rounded = (Decimal(total.numerator) / Decimal(total.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    floors = {code: (value * 100).numerator // (value * 100).denominator for code, value in exact.items()}
    missing = int(rounded * 100) - sum(floors.values())
    for code in sorted(codes, key=lambda code: -(exact[code] * 100 - floors[code]))[:missing]:
        floors[code] += 1
    return {code: Decimal(cents) / 100 for code, cents in floors.items() if cents}, by_group, total


def journal_debits(folder) -> dict[str, Decimal]:
    rows = csv.DictReader(io.StringIO((folder / "journal-2026-10.csv").read_text(encoding="utf-8")))
    return {row["Cost Center"]: Decimal(row["Debit"]) for row in rows if row["Debit"]}


def groups_sheet(folder) -> list[tuple]:
    return sheets(folder / "chargeback-2026-10.xlsx", "Groups")["Groups"]


# ---------------------------------------------------------------- the runs


@pytest.fixture(scope="module")
def by_precedence(server, org, tmp_path_factory):
    config = config_of(org, precedence="list")
    return config, run_month(server, tmp_path_factory.mktemp("precedence"), config)


@pytest.fixture(scope="module")
def by_max_spend(server, org, tmp_path_factory):
    config = config_of(org, precedence="max_spend")
    return config, run_month(server, tmp_path_factory.mktemp("max_spend"), config)


def test_a_third_of_the_users_are_in_two_or_more_groups(org):
    groups_of: dict[str, set[str]] = {}
    for membership in org.rbac_memberships:
        groups_of.setdefault(membership.user_id, set()).add(membership.group_id)
    several = sum(1 for groups in groups_of.values() if len(groups) >= 2)
    assert several * 3 >= len(org.users) and len(groups_of) == len(org.users)


@pytest.mark.parametrize("which", ["by_precedence", "by_max_spend"])
def test_every_debit_equals_a_hand_calculation(which, org, request):
    config, result = request.getfixturevalue(which)
    expected, _, _ = debits_by_hand(org, config)
    assert journal_debits(result.folder) == expected
    assert result.report.total == sum(expected.values())
    assert_manifest_matches(result.folder)


@pytest.mark.parametrize("which", ["by_precedence", "by_max_spend"])
def test_the_groups_sheet_allocates_each_dollar_once_while_the_attribution_overlaps(which, org, request):
    config, result = request.getfixturevalue(which)
    _, by_group, total = debits_by_hand(org, config)
    rows = groups_sheet(result.folder)
    assert list(rows[0]) == GROUPS_HEADERS
    body = rows[1:1 + len(config["groups"])]
    attributed: dict[str, Decimal] = {}
    for row in cost_rows(org, "actor", "rbac_group_id"):
        group = row["group"]["rbac_group_id"]
        attributed[group] = attributed.get(group, Decimal(0)) + Decimal(row["cost"]["amount"]) / 100
    view = result.report.groups
    # exact, in the report every surface shows (the sheet's cells are the same figures as numbers)
    assert [line.group_id for line in view.lines] == [row[0] for row in body]
    for line, row in zip(view.lines, body, strict=True):
        assert line.attributed == attributed[line.group_id]  # as the API attributes it
        assert Fraction(line.allocated) == by_group[line.group_id]  # each dollar once, by the hand rule
        assert row[4] == pytest.approx(float(line.attributed)) and row[5] == pytest.approx(float(line.allocated))
        assert row[3] == sum(1 for m in org.rbac_memberships if m.group_id == line.group_id and m.until is None)
    other, totals = rows[1 + len(config["groups"])], rows[2 + len(config["groups"])]
    assert totals[0] == "Total" and totals[5] == pytest.approx(float(view.organization_total))
    assert other[5] == pytest.approx(float(view.other))
    assert view.allocated_total == view.organization_total == Decimal(total.numerator) / Decimal(total.denominator)
    assert sum(line.allocated for line in view.lines) + view.other == view.organization_total
    assert view.attributed_total > view.organization_total  # the overlap: a third of the users count twice
    assert view.overlap == view.attributed_total - view.allocated_by_groups > 0
    proof = next(row for row in rows if len(row) > 1 and row[1] == "Proof: allocated total = organization total")
    assert proof[2] == "PASS" and proof[5] == 0
    check = next(c for c in result.report.reconciliation.checks if c.name.startswith("RBAC groups"))
    assert check.status == "PASS"
    decided = next(row for row in rows if len(row) > 1 and row[1] == "Decided by")[2]
    assert decided.startswith("max_spend" if which == "by_max_spend" else "group_precedence")


def test_precedence_sends_a_user_in_several_groups_to_the_first_listed(org, by_precedence):
    config, result = by_precedence
    chosen, candidates = owners_by_hand(org, config)
    several = [user for user, groups in candidates.items() if len(groups) > 1]
    assert several
    order = {key if key.startswith("rbac_group_") else group_id(org, key): n
             for n, key in enumerate(config["group_precedence"])}
    for user in several:
        assert chosen[user] == min(candidates[user], key=order.__getitem__)
    # the Users sheet says where each went: a user in several groups, on the first listed group's cost center
    code = {key if key.startswith("rbac_group_") else group_id(org, key): c for key, c in config["groups"].items()}
    explicit = {org.users[0].id, org.users[4].id}
    users = {line.id: line.cost_center for line in result.report.users}
    for user in several:
        if user not in explicit and user in users:
            assert users[user] == code[chosen[user]], user


def test_max_spend_sends_a_user_to_the_group_with_most_of_their_spend_and_a_tie_to_the_first_listed(
        org, by_max_spend):
    config, result = by_max_spend
    chosen, candidates = owners_by_hand(org, config)
    spent: dict[str, dict[str, Decimal]] = {}
    for row in cost_rows(org, "actor", "rbac_group_id"):
        actor = row["group"]["actor"]
        if actor and actor["type"] == "user_actor" and row["group"]["rbac_group_id"]:
            spent.setdefault(actor["user_id"], {})[row["group"]["rbac_group_id"]] = Decimal(row["cost"]["amount"])
    listed = [key if key.startswith("rbac_group_") else group_id(org, key) for key in config["groups"]]
    ties = by_spend = overriding = 0
    for user, groups in candidates.items():
        if len(groups) < 2:
            continue
        amounts = [spent[user][group] for group in groups]
        if len(set(amounts)) == 1:  # in both all month: the same full spend in each, a tie
            ties += 1
            assert chosen[user] == min(groups, key=listed.index)
        else:  # joined or left one mid-month: the group with more of the user's spend
            by_spend += 1
            assert spent[user][chosen[user]] == max(amounts)
            overriding += chosen[user] != min(groups, key=listed.index)  # not the first listed: spend decided
    assert ties and by_spend and overriding, (ties, by_spend, overriding)
    code = {key if key.startswith("rbac_group_") else group_id(org, key): c for key, c in config["groups"].items()}
    explicit = {org.users[0].id, org.users[4].id}
    for line in result.report.users:
        if line.id in chosen and line.id not in explicit:
            assert line.cost_center == code[chosen[line.id]], line.id


def test_a_name_two_groups_share_is_refused_naming_both(cli, server, org, tmp_path):
    config = config_of(org, precedence="max_spend")
    config["groups"]["Shared Services"] = "ENG-100"
    path = write_config(tmp_path, config)
    done = cli("run", "--month", "2026-10", "--config", str(path), "--output", str(tmp_path / "out"),
               "--base-url", server.base_url, env={"ANTHROPIC_ADMIN_API_KEY": DEMO_API_KEY})
    assert done.returncode == ConfigError.exit_status
    shared = [group.id for group in org.rbac_groups if group.name == "Shared Services"]
    assert len(shared) == 2
    assert "groups.Shared Services" in done.stderr and all(group in done.stderr for group in shared)
    assert "Traceback" not in done.stderr
    assert_nothing_published(tmp_path / "out")


def test_a_non_enterprise_organization_refusing_groups_is_one_clear_error_and_nothing_is_published(cli, tmp_path):
    org = synthetic_analytics_organization(workspaces=6, api_keys=60, users=30, groups=8)  # small: two whole runs
    config = config_of(org, precedence="max_spend")
    with SimulatorServer(replace(org, enterprise=False)) as console_org:
        done = cli("run", "--month", "2026-10", "--config", str(write_config(tmp_path, config)),
                   "--output", str(tmp_path / "out"), "--base-url", console_org.base_url,
                   env={"ANTHROPIC_ADMIN_API_KEY": DEMO_API_KEY})
        refused = [r for r in console_org.requests if r.path.endswith("/rbac_groups")]
        assert done.returncode == ApiError.exit_status
        assert_one_error_line(done.stderr, "Claude Enterprise organizations only", "remove groups:", "HTTP 400")
        assert refused and all(r.status == 400 for r in refused)
        assert_nothing_published(tmp_path / "out")
        # without groups: the same organization's month runs as before, and never asks for groups
        del config["groups"], config["group_precedence"]
        console_org.requests.clear()
        done = cli("run", "--month", "2026-10", "--config", str(write_config(tmp_path, config)),
                   "--output", str(tmp_path / "plain"), "--base-url", console_org.base_url,
                   env={"ANTHROPIC_ADMIN_API_KEY": DEMO_API_KEY})
        assert done.returncode == 0, done.stderr
        assert not any("rbac_group" in r.path or "rbac_group_id" in str(r.query) for r in console_org.requests)
    assert "Groups" not in sheets(tmp_path / "plain" / "2026-10" / "chargeback-2026-10.xlsx", "Groups")


def test_the_groups_pages_are_in_the_snapshot_and_an_offline_re_render_decides_the_same(org, by_precedence, tmp_path):
    config, result = by_precedence
    manifest = assert_manifest_matches(result.folder)
    recorded = {entry["file"] for entry in manifest["raw_pages"]}
    listed = sorted(path.name for path in (result.folder / "raw").iterdir())
    assert "rbac_groups-p001.json" in listed
    assert "analytics_cost_groups-2026-10-p001.json" in listed and "analytics_cost_groups-2026-09-p001.json" in listed
    members = [name for name in listed if name.startswith("rbac_group_members-")]
    assert len(members) == len(config["groups"])
    assert {f"raw/{name}" for name in listed} <= recorded  # every page hashed in the manifest (and so sealed)
    before = journal_debits(result.folder), groups_sheet(result.folder)
    offline = run(RunOptions(month=MONTH, output_dir=result.folder.parent, config_path=write_config(tmp_path, config),
                             offline=True, pdf=False))
    assert (journal_debits(offline.folder), groups_sheet(offline.folder)) == before
