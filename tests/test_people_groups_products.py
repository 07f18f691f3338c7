"""People, groups and products together (issue 21's acceptance test), over the simulator on real loopback HTTP.

One Claude Enterprise organization of 1,500 users: a directory file places most of them (some
cells blank, some people missing from the file, some matched by user ID under an old email, some
moved mid-year or only from next month), RBAC groups where a third of the users are in two or
more take the rest, a few users and a service account are named in the YAML, keys and workspaces
(one shared by percentages, one proportionally) take what no person rule does, and ``products:``
sends three products to their own accounts, with one cost center's own override. The month runs
once per group rule (``group_precedence: [...]`` and ``max_spend``). Every journal debit per
(cost center, account) is checked against a plain-loop hand calculation written here from the
raw pages the run snapshotted, the YAML and the CSV, by README.md's and SPEC.md's rules alone.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from conftest import MONTH, PATIENT_RETRY
from reports.pipeline import RunOptions, run
from reports.simulator.server import DEMO_API_KEY, SimulatorServer
from reports.simulator.synthetic import synthetic_analytics_organization
from runcheck import assert_manifest_matches, sheets

pytestmark = pytest.mark.slow  # two whole months of a 1,500-user organization

USERS, WORKSPACES, KEYS, GROUPS = 1500, 40, 1600, 8  # every key but 4 service accounts' shared with a user
LAST_DAY = "2026-10-31"
PLACED = ("ENG-100", "DAT-300", "SUP-200", "MKT-400")  # the directory's cost centers


def user_id(number: int) -> str:
    return f"user_01SYNTH{number:016d}"


def email(number: int) -> str:
    return f"user{number:05d}@synthetic.example"


def key(workspace: int, position: int) -> str:
    return f"apikey_01SYNTH{workspace:010d}K{position:05d}"


def workspace(number: int) -> str:
    return f"wrkspc_01SYNTH{number:016d}"


def people_csv() -> str:
    """Every 11th person missing, every 7th cell blank, every 10th by user ID under an old email, odd emails
    upper case; every 13th moved on 2026-10-20 (every 26th moves again in November), every 17th from November."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Email", "Cost Center", "Anthropic User ID", "Effective From"])
    for n in range(USERS):
        if n % 11 == 5:
            continue
        code = "" if n % 7 == 6 else PLACED[n % 4]
        address = f"former.user{n:05d}@synthetic.example" if n % 10 == 0 else email(n)
        address = address.upper() if n % 2 else address
        uid = user_id(n) if n % 10 == 0 else ""
        if n % 17 == 8:
            writer.writerow([address, code, uid, "2026-11-05"])  # not yet in effect in October
        elif n % 13 == 0 and code:
            writer.writerow([address, PLACED[(n + 1) % 4], uid, "2026-01-01"])
            writer.writerow([address, code, uid, "2026-10-20"])  # in effect on the 31st: all of October
            if n % 26 == 0:
                writer.writerow([address, PLACED[(n + 2) % 4], uid, "2026-11-02"])
        else:
            writer.writerow([address, code, uid, ""])
    return out.getvalue()


def config_of(org, precedence: str) -> dict:
    ids = [group.id for group in org.rbac_groups]
    groups = {"Team 00": "ENG-100", ids[1]: "DAT-300", "Team 02": "SUP-200", ids[3]: "MKT-400",
              ids[4]: "ENG-100", "Team 05": "DAT-300", ids[6]: "SUP-200"}  # ids[6] is one of two "Shared Services"
    return {
        "organization": org.name, "source": "analytics",
        "journal": {"credit_account": "2150", "expense_account": "6420"},
        "cost_centers": [
            {"code": "ENG-100", "name": "Engineering", "users": [email(3)],
             "products": {"claude_code": {"expense_account": "6431"}}},  # the per cost center override
            {"code": "DAT-300", "name": "Data", "users": [user_id(20)], "expense_account": "6425"},
            {"code": "SUP-200", "name": "Support", "users": ["User00009@Synthetic.Example"]},
            {"code": "MKT-400", "name": "Marketing", "workspaces": [workspace(n) for n in range(30, 35)]},
            {"code": "OPS-800", "name": "Operations", "service_accounts": ["svac_01SYNTH0000000000000010"],
             "api_keys": [key(3, position) for position in range(5)] + [key(20, 0)]},
            {"code": "PLT-700", "name": "Platform",
             "workspaces": [workspace(n) for n in range(20) if n not in (2, 3)]},
            {"code": "FIN-999", "name": "Unallocated"},
        ],
        "unallocated": "FIN-999",
        "default_workspace": "PLT-700",
        "shared": [{"api_key": key(5, 1), "split": {"ENG-100": 60, "SUP-200": 40}},
                   {"workspace": workspace(2), "split": "proportional"}],
        "directory": {"file": "people.csv", "email_column": "Email", "cost_center_column": "Cost Center",
                      "user_id_column": "Anthropic User ID", "effective_from_column": "Effective From"},
        "groups": groups,
        "group_precedence": "max_spend" if precedence == "max_spend" else [
            "Team 05", ids[3], "Team 00", ids[6], "Team 02", ids[1], ids[4]],
        "products": {"claude_code": {"expense_account": "6430"}, "messages_api": {"expense_account": "5100"},
                     "cowork": {"expense_account": "6440"}},
    }


@pytest.fixture(scope="module")
def org():
    return synthetic_analytics_organization(workspaces=WORKSPACES, api_keys=KEYS, users=USERS, groups=GROUPS)


@pytest.fixture(scope="module")
def server(org):
    with SimulatorServer(org) as served:
        yield served


def run_month(server, org, folder: Path, precedence: str):
    config = config_of(org, precedence)
    (folder / "people.csv").write_text(people_csv(), encoding="utf-8")
    path = folder / "chargeback.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    result = run(RunOptions(month=MONTH, output_dir=folder / "out", config_path=path, base_url=server.base_url,
                            api_key=DEMO_API_KEY, retry=PATIENT_RETRY, pdf=False))
    return config, folder, result


@pytest.fixture(scope="module")
def by_precedence(server, org, tmp_path_factory):
    return run_month(server, org, tmp_path_factory.mktemp("precedence"), "list")


@pytest.fixture(scope="module")
def by_max_spend(server, org, tmp_path_factory):
    return run_month(server, org, tmp_path_factory.mktemp("max_spend"), "max_spend")


RUNS = ["by_precedence", "by_max_spend"]


# ---------------------------------------------------------------- the hand calculation (no product code)


def raw_rows(folder: Path, prefix: str) -> list[dict]:
    """Every row of the snapshotted pages ``raw/<prefix>-p*.json``."""
    rows: list[dict] = []
    for page in sorted((folder / "raw").glob(f"{prefix}-p*.json")):
        rows += json.loads(page.read_text(encoding="utf-8"))["data"]
    assert rows, prefix
    return rows


def cents(row: dict) -> Fraction:
    return Fraction(Decimal(row["cost"]["amount"]))


def directory_by_hand(people: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(user ID -> code, lower-case email -> code): each person's latest row effective on the month's last day."""
    latest: dict[tuple[str, str], tuple[str, str]] = {}
    with open(people, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            when = row["Effective From"] or "0000-00-00"  # blank: from the start
            if when > LAST_DAY:
                continue
            person = ("id", row["Anthropic User ID"]) if row["Anthropic User ID"] else ("email", row["Email"].lower())
            if person not in latest or latest[person][0] < when:
                latest[person] = (when, row["Cost Center"])
    by_id = {person: code for (kind, person), (_, code) in latest.items() if kind == "id"}
    by_email = {person: code for (kind, person), (_, code) in latest.items() if kind == "email"}
    return by_id, by_email


def groups_by_hand(folder: Path, config: dict) -> tuple[dict[str, str], list[str], dict[str, Fraction]]:
    """(user ID -> the one group it goes to, the configured group IDs in groups: order, group -> attributed USD)."""
    names = {}
    for page in sorted((folder / "raw").glob("rbac_groups-p*.json")):
        for group in json.loads(page.read_text(encoding="utf-8"))["data"]:
            names.setdefault(group["name"], []).append(group["id"])
    configured = [entry if entry.startswith("rbac_group_") else names[entry][0] for entry in config["groups"]]
    as_id = dict(zip(config["groups"], configured, strict=True))
    spent: dict[str, dict[str, Fraction]] = defaultdict(lambda: defaultdict(Fraction))
    attributed: dict[str, Fraction] = defaultdict(Fraction)
    for row in raw_rows(folder, "analytics_cost_groups-2026-10"):
        actor, group = row["group"]["actor"] or {}, row["group"]["rbac_group_id"]
        if group in configured:
            attributed[group] += cents(row) / 100
            if actor.get("type") == "user_actor":
                spent[actor["user_id"]][group] += cents(row)
    current: dict[str, list[str]] = defaultdict(list)
    for group in configured:
        for page in sorted((folder / "raw").glob(f"rbac_group_members-{group}-p*.json")):
            for member in json.loads(page.read_text(encoding="utf-8"))["data"]:
                current[member["user_id"]].append(group)
    chosen = {}
    for user in set(spent) | set(current):
        candidates = [group for group in configured if group in spent.get(user, {})] or current[user]
        if config["group_precedence"] == "max_spend":
            best = candidates[0]  # in groups: order, so a tie stays with the first listed
            for group in candidates:
                if spent[user][group] > spent[user][best]:
                    best = group
        else:
            best = next(as_id[entry] for entry in config["group_precedence"] if as_id[entry] in candidates)
        chosen[user] = best
    return chosen, configured, attributed


def default_workspace_id(folder: Path) -> str | None:
    """The Default workspace: the one listed only with include_default."""
    def listed(prefix: str) -> set[str]:
        return {item["id"] for page in sorted((folder / "raw").glob(f"{prefix}-p*.json"))
                for item in json.loads(page.read_text(encoding="utf-8"))["data"]}
    extra = listed("workspaces_with_default") - listed("workspaces")
    return extra.pop() if len(extra) == 1 else None


class Hand:
    """The month by hand: each row's owner by the documented precedence, exact Fractions per (code, product)."""

    def __init__(self, folder: Path, people: Path, config: dict):
        self.config = config
        centers = config["cost_centers"]
        by_id, by_email = directory_by_hand(people)
        chosen, self.configured, self.attributed = groups_by_hand(folder, config)
        group_code = dict(zip(self.configured, config["groups"].values(), strict=True))
        default = default_workspace_id(folder)
        self.exact: dict[tuple[str, str | None], Fraction] = defaultdict(Fraction)
        self.by_group: dict[str, Fraction] = defaultdict(Fraction)
        self.person_center: dict[str, str] = {}  # users a person rule (YAML, directory, group) placed
        self.spenders: set[str] = set()
        direct: dict[str, Fraction] = defaultdict(Fraction)
        shared: list[tuple[object, str | None, Fraction]] = []
        self.total = Fraction(0)
        self.products: set[str | None] = set()
        for row in raw_rows(folder, "analytics_cost-2026-10"):
            group = row["group"]
            dollars = cents(row) / 100
            self.total += dollars
            self.products.add(group["product"])
            actor, api_key, space = group["actor"] or {}, group["api_key_id"], group["workspace_id"]
            owner: str | None = None
            split = None
            is_user = actor.get("type") == "user_actor"
            # 1. an explicit users: / service_accounts: entry (emails without case)
            for center in centers:
                if is_user:
                    named = {entry.lower() for entry in center.get("users", [])}
                    if actor["user_id"].lower() in named or (actor.get("email_address") or "").lower() in named:
                        owner = center["code"]
                if actor.get("type") == "service_account_actor" and actor["service_account_id"] in center.get(
                        "service_accounts", []):
                    owner = center["code"]
            # 2. the directory: by user ID first, then the email without case; a blank cell goes on
            if owner is None and is_user:
                if actor["user_id"] in by_id:
                    owner = by_id[actor["user_id"]] or None
                elif (actor.get("email_address") or "").lower() in by_email:
                    owner = by_email[actor["email_address"].lower()] or None
            # 3. the user's one RBAC group
            if owner is None and is_user and actor["user_id"] in chosen:
                owner = group_code[chosen[actor["user_id"]]]
                self.by_group[chosen[actor["user_id"]]] += dollars
            if is_user:
                self.spenders.add(actor["user_id"])
                if owner is not None:
                    self.person_center[actor["user_id"]] = owner
            # 4. the API key (a shared key's rule at this level), 5. the workspace (likewise), 6. Default, 7. none
            if owner is None:
                for rule in config["shared"]:
                    if api_key is not None and rule.get("api_key") == api_key:
                        split = rule["split"]
                for center in centers:
                    if api_key is not None and api_key in center.get("api_keys", []):
                        owner = center["code"]
            if owner is None and split is None:
                for rule in config["shared"]:
                    if space is not None and rule.get("workspace") == space:
                        split = rule["split"]
                for center in centers:
                    if space in center.get("workspaces", []):
                        owner = center["code"]
            if owner is None and split is None:
                owner = config["default_workspace"] if space is not None and space == default else config[
                    "unallocated"]
            if split is not None:
                shared.append((split, group["product"], dollars))
            else:
                assert owner is not None
                self.exact[(owner, group["product"])] += dollars
                direct[owner] += dollars
        # shared rows: fixed percentages, or by each cost center's direct spend (the unallocated takes none),
        # each part keeping its row's product
        weights = {code: amount for code, amount in direct.items() if code != config["unallocated"]}
        for split, product, dollars in shared:
            if split == "proportional":
                shares = {code: weight / sum(weights.values()) for code, weight in weights.items()}
            else:
                assert isinstance(split, dict)
                shares = {code: Fraction(percent, 100) for code, percent in split.items()}
            for code, share in shares.items():
                self.exact[(code, product)] += dollars * share
        self.shared_rows = len(shared)

    def account(self, code: str, product: str | None) -> str:
        center = next(center for center in self.config["cost_centers"] if center["code"] == code)
        for listed in (center.get("products") or {}, self.config["products"]):
            if product in listed:
                return str(listed[product]["expense_account"])
        return str(center.get("expense_account") or self.config["journal"]["expense_account"])

    def rounded_total(self) -> Decimal:
        exact = Decimal(self.total.numerator) / Decimal(self.total.denominator)
        return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def debits(self) -> dict[tuple[str, str], Decimal]:
        """Each cost center's cents by largest remainder to the month's total, then its accounts' to its cents."""
        codes = [center["code"] for center in self.config["cost_centers"]]
        by_account: dict[str, dict[str, Fraction]] = {code: defaultdict(Fraction) for code in codes}
        for (code, product), dollars in self.exact.items():
            by_account[code][self.account(code, product)] += dollars
        centers = {code: sum(by_account[code].values(), Fraction(0)) for code in codes}
        center_cents = largest_remainder(centers, int(self.rounded_total() * 100))
        lines = {}
        for code in codes:
            parts = dict(sorted(by_account[code].items()))
            for account, amount in largest_remainder(parts, center_cents[code]).items():
                if amount:
                    lines[(code, account)] = Decimal(amount) / 100
        return lines


def largest_remainder(exact: dict[str, Fraction], target_cents: int) -> dict[str, int]:
    """Floor each to the cent, then a cent more to the largest remainders (ties to the first listed)."""
    floors = {name: int(value * 100 // 1) for name, value in exact.items()}
    missing = target_cents - sum(floors.values())
    for name in sorted(exact, key=lambda name: -(exact[name] * 100 - floors[name]))[:missing]:
        floors[name] += 1
    return floors


@pytest.fixture(scope="module")
def hands() -> dict[str, Hand]:
    return {}


def hand_of(which: str, request, hands: dict[str, Hand]) -> tuple[dict, object, Hand]:
    config, folder, result = request.getfixturevalue(which)
    if which not in hands:
        hands[which] = Hand(result.folder, folder / "people.csv", config)
    return config, result, hands[which]


def groups_sheet(path: Path) -> list[tuple]:
    return sheets(path, "Groups")["Groups"]


def journal_rows(result) -> list[dict]:
    with open(result.folder / "journal-2026-10.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# ---------------------------------------------------------------- the organization


def test_the_organization_has_1500_users_a_third_in_several_groups_and_three_products(org, by_precedence, hands,
                                                                                       request):
    groups_of: dict[str, set[str]] = defaultdict(set)
    for membership in org.rbac_memberships:
        groups_of[membership.user_id].add(membership.group_id)
    assert len(org.users) == USERS == len(groups_of)
    assert sum(1 for groups in groups_of.values() if len(groups) >= 2) * 3 >= USERS
    _, _, hand = hand_of("by_precedence", request, hands)
    assert {"claude_code", "messages_api", "cowork"} <= hand.products
    assert len(hand.spenders) == USERS  # every user spent
    assert USERS > len(hand.person_center) > USERS * 2 // 3  # most placed by a person rule, the rest by keys
    assert hand.shared_rows  # the shared key and workspace had rows of their own to split
    # every rule of the precedence took some of the month
    levels = {amount.label for amount in by_precedence[2].report.attributed_by if amount.amount}
    assert len(levels) >= 6, levels


# ---------------------------------------------------------------- the journal


@pytest.mark.parametrize("which", RUNS)
def test_every_debit_per_cost_center_and_account_equals_the_hand_calculation(which, request, hands):
    _, result, hand = hand_of(which, request, hands)
    rows = journal_rows(result)
    debits = {(row["Cost Center"], row["Account"]): Decimal(row["Debit"]) for row in rows if row["Debit"]}
    assert debits == hand.debits()
    assert {"6430", "6431", "5100", "6440", "6425", "6420"} <= {account for _, account in debits}
    total = hand.rounded_total()
    credits = [Decimal(row["Credit"]) for row in rows if row["Credit"]]
    assert sum(debits.values()) == sum(credits) == total == result.report.total
    ids = [row["External ID"] for row in rows]
    assert len(ids) == len(set(ids))
    assert {row["External ID"] for row in rows if row["Debit"]} == {f"CB-2026-10-{code}-{account}"
                                                                   for code, account in debits}
    assert [row["External ID"] for row in rows if row["Credit"]] == ["CB-2026-10-CREDIT"]
    assert_manifest_matches(result.folder)


@pytest.mark.parametrize("which", RUNS)
def test_each_user_goes_where_the_documented_precedence_sends_them(which, request, hands):
    _, result, hand = hand_of(which, request, hands)
    users = {line.id: line.cost_center for line in result.report.users}
    assert {user: users.get(user) for user in hand.person_center} == hand.person_center


# ---------------------------------------------------------------- the Groups sheet


@pytest.mark.parametrize("which", RUNS)
def test_the_groups_sheet_allocates_each_dollar_once_while_the_attribution_overlaps(which, request, hands):
    config, result, hand = hand_of(which, request, hands)
    rows = groups_sheet(result.folder / "chargeback-2026-10.xlsx")
    assert list(rows[0]) == ["Group ID", "Group", "Cost Center", "Members", "Attributed (USD)", "Allocated (USD)"]
    body = rows[1:1 + len(config["groups"])]
    other = rows[1 + len(config["groups"])]
    assert [row[0] for row in body] and {row[0] for row in body} == set(hand.configured)
    total = float(hand.total)
    allocated = sum(row[5] for row in body) + other[5]
    attributed = sum(row[4] for row in body)
    assert allocated == pytest.approx(total, abs=1e-6)  # each dollar once
    assert attributed > total  # the API's figures overlap
    for row in body:
        assert row[4] == pytest.approx(float(hand.attributed[row[0]]), abs=1e-6)
        assert row[5] == pytest.approx(float(hand.by_group[row[0]]), abs=1e-6)
    # the same figures exactly, in the report every surface shows
    view = result.report.groups
    assert Fraction(view.allocated_total) == Fraction(view.organization_total) == hand.total
    assert {line.group_id: Fraction(line.allocated) for line in view.lines} == {
        group: hand.by_group[group] for group in hand.configured}
    assert view.attributed_total > view.organization_total
    proof = next(row for row in rows if len(row) > 1 and row[1] == "Proof: allocated total = organization total")
    assert proof[2] == "PASS" and proof[5] == 0
    decided = next(row for row in rows if len(row) > 1 and row[1] == "Decided by")[2]
    assert decided.startswith("max_spend" if which == "by_max_spend" else "group_precedence")


def test_the_two_group_rules_decide_differently_for_someone(request, hands):
    _, _, by_list = hand_of("by_precedence", request, hands)
    _, _, by_spend = hand_of("by_max_spend", request, hands)
    assert by_list.total == by_spend.total
    assert by_list.by_group != by_spend.by_group  # the rules matter for this organization
