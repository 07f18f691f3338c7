"""RBAC groups, one owner per user: the configured groups found in the organization, each user's group. Pure.

The analytics API attributes a user's spend to **every** group the user belonged to on the
(UTC) day it happened (analytics-api.md §1.4: any-membership, so group rows overlap and can
add up to more than the organization). Finance needs each dollar once, so each user goes to
one configured group by a declared rule:

* **membership for the month**: a user is in a configured group for the month when the API
  attributes any of the user's spend that month to it (the API's own per-day membership, so a
  user who joined mid-month counts there from that day); a user to whom the API attributes
  none of the configured groups is in the configured groups whose current member list
  (``GET /v1/organizations/rbac_groups/{id}/members``) names them;
* **one owner**: of a user's groups, the first in ``group_precedence``; or, with
  ``max_spend``, the group the API attributes the most of the user's spend that month, ties
  to the group listed first under ``groups:``.

The Groups sheet's figures (attributed, allocated, the overlap and the proof that the
allocated column adds up to the organization's total) are computed here once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from reports.errors import ConfigError

GROUP_ID_PREFIX = "rbac_group_"  # a key under groups: that is an ID; anything else is a group's name
MAX_SPEND = "max_spend"


@dataclass(frozen=True)
class GroupRule:
    """One entry of ``groups:``: the group as the config names it (ID or name), its cost center, its line."""

    key: str
    code: str
    line: int = 0

    @property
    def by_id(self) -> bool:
        return self.key.startswith(GROUP_ID_PREFIX)


@dataclass(frozen=True)
class GroupSettings:
    """``groups:`` and ``group_precedence:``: the rules in config order and how a user in several is decided."""

    rules: tuple[GroupRule, ...]
    precedence: tuple[str, ...] | None = None  # the rules' keys in order; None: max_spend
    precedence_line: int = 0
    source_path: str = ""  # the config file, for errors found once the organization's groups are known

    @property
    def max_spend(self) -> bool:
        return self.precedence is None

    def describe(self) -> str:
        """How a user in several configured groups is decided, in words (the workbook says it)."""
        if self.max_spend:
            return ("max_spend: a user in several configured groups goes to the group the API attributes the most "
                    "of the user's spend this month; ties to the group listed first under groups:")
        return ("group_precedence: a user in several configured groups goes to the first of them in "
                f"group_precedence ({', '.join(self.precedence or ())})")


@dataclass(frozen=True)
class RbacGroup:
    """A group of the organization as ``GET /v1/organizations/rbac_groups`` lists it."""

    id: str
    name: str


@dataclass(frozen=True)
class GroupData:
    """What the source read about groups: the organization's groups, members, and the API's attribution.

    Amounts are exact cents. ``by_user`` holds the month's spend per user and group as the API
    attributes it (``group_by[]=actor&group_by[]=rbac_group_id``; a user in two groups is in both);
    ``by_group`` each group's whole attributed spend (None: the API's row of users in no group).
    """

    listed: tuple[RbacGroup, ...]
    members: Mapping[str, tuple[str, ...]]  # configured group ID -> current member user IDs
    by_user: Mapping[str, Mapping[str, Decimal]]  # user ID -> group ID -> cents (this month)
    by_group: Mapping[str | None, Decimal]  # group ID (None: in no group) -> cents (this month)
    prior_by_user: Mapping[str, Mapping[str, Decimal]] | None = None  # the prior month's, when read


@dataclass(frozen=True)
class ConfiguredGroup:
    """A configured group found in the organization: the rule, the group's ID and name."""

    rule: GroupRule
    id: str
    name: str


def resolve_groups(config: GroupSettings, listed: Iterable[RbacGroup]) -> tuple[ConfiguredGroup, ...]:
    """Each rule's group in the organization, in config order.

    Raises ConfigError (file, line, key) for a name several groups share (the API does not keep
    names unique), an ID or name no group has, and two rules that name the same group.
    """
    groups = list(listed)
    by_id = {group.id: group for group in groups}
    problems: list[str] = []
    found: list[ConfiguredGroup] = []
    claimed: dict[str, GroupRule] = {}
    for rule in config.rules:
        where = f"{config.source_path}:{rule.line}: groups.{rule.key}"
        if rule.by_id:
            group = by_id.get(rule.key)
            if group is None:
                problems.append(f"{where}: the organization has no RBAC group with this ID")
                continue
        else:
            named = [group for group in groups if group.name == rule.key]
            if not named:
                problems.append(f"{where}: the organization has no RBAC group with this name")
                continue
            if len(named) > 1:
                ids = ", ".join(group.id for group in named)
                problems.append(f"{where}: {len(named)} RBAC groups have this name ({ids}); the API does not keep "
                                "names unique: name the group by its ID")
                continue
            group = named[0]
        if group.id in claimed:
            problems.append(f"{where}: is the same RBAC group ({group.id}) as groups.{claimed[group.id].key} "
                            f"on line {claimed[group.id].line}")
            continue
        claimed[group.id] = rule
        found.append(ConfiguredGroup(rule, group.id, group.name))
    if problems:
        raise ConfigError(config.source_path, problems)
    return tuple(found)


@dataclass(frozen=True)
class GroupOwners:
    """The month's one configured group per user."""

    group_of: Mapping[str, str]  # user ID -> group ID
    code_of: Mapping[str, str]  # user ID -> cost center code (what allocation looks up)


def owners(config: GroupSettings, groups: tuple[ConfiguredGroup, ...],
           by_user: Mapping[str, Mapping[str, Decimal]] | None, members: Mapping[str, tuple[str, ...]]) -> GroupOwners:
    """Each user's one configured group for a month, by the membership rule and the declared precedence.

    ``by_user`` is the month's attribution (user -> group -> cents); ``members`` the current lists.
    """
    listed = {group.id: position for position, group in enumerate(groups)}  # the order of groups: (ties)
    ranked = listed
    if config.precedence is not None:
        rank = {key: position for position, key in enumerate(config.precedence)}
        ranked = {group.id: rank[group.rule.key] for group in groups}
    attributed = by_user or {}
    current: dict[str, list[str]] = {}
    for group in groups:
        for user in members.get(group.id, ()):
            current.setdefault(user, []).append(group.id)
    code = {group.id: group.rule.code for group in groups}
    group_of: dict[str, str] = {}
    for user in sorted(set(attributed) | set(current)):
        spent = attributed.get(user, {})
        candidates = [group_id for group_id in spent if group_id in code] or current.get(user, [])
        if not candidates:
            continue
        if config.max_spend:
            group_of[user] = min(candidates, key=lambda group_id: (-spent.get(group_id, Decimal(0)), listed[group_id]))
        else:
            group_of[user] = min(candidates, key=ranked.__getitem__)
    return GroupOwners(group_of, {user: code[group_id] for user, group_id in group_of.items()})


@dataclass(frozen=True, slots=True)
class GroupLine:
    """A Groups sheet row: a configured group, its members' spend as attributed and as allocated (exact USD)."""

    group_id: str
    name: str
    code: str
    members: int  # current members, as the API lists them
    attributed: Decimal  # as the API attributes it: overlapping with other groups
    allocated: Decimal  # each dollar once: the spend of the users this group owns, allocated by the group rule


@dataclass(frozen=True)
class GroupsView:
    """The Groups sheet: each configured group, the rest of the month, and the proof (exact USD)."""

    lines: tuple[GroupLine, ...]
    other: Decimal  # spend no group rule allocated (explicit users, keys, workspaces, unallocated…)
    organization_total: Decimal  # the month's exact total
    unassigned: Decimal  # the API's row of users in no group (and identities that are not users)
    rule: str  # how a user in several groups was decided, in words
    max_spend: bool = False

    @property
    def attributed_total(self) -> Decimal:
        return sum((line.attributed for line in self.lines), Decimal(0))

    @property
    def allocated_by_groups(self) -> Decimal:
        return sum((line.allocated for line in self.lines), Decimal(0))

    @property
    def allocated_total(self) -> Decimal:
        return self.allocated_by_groups + self.other

    @property
    def overlap(self) -> Decimal:
        """What the groups' attributed column counts more than once or leaves to other rules."""
        return self.attributed_total - self.allocated_by_groups

    @property
    def proved(self) -> bool:
        return self.allocated_total == self.organization_total


def groups_view(config: GroupSettings, groups: tuple[ConfiguredGroup, ...], data: GroupData,
                group_of: Mapping[str, str], allocated_by_user: Mapping[str, Decimal], other: Decimal,
                organization_total: Decimal) -> GroupsView:
    """The Groups sheet's figures. ``allocated_by_user`` is each user's spend the group rule allocated
    (exact USD); ``other`` the month's spend allocated otherwise, summed on its own."""
    allocated: dict[str, Decimal] = {group.id: Decimal(0) for group in groups}
    for user, amount in allocated_by_user.items():
        allocated[group_of[user]] += amount
    lines = tuple(
        GroupLine(group.id, group.name, group.rule.code, len(data.members.get(group.id, ())),
                  data.by_group.get(group.id, Decimal(0)).scaleb(-2), allocated[group.id])
        for group in groups)
    return GroupsView(lines, other, organization_total, data.by_group.get(None, Decimal(0)).scaleb(-2),
                      config.describe(), config.max_spend)
