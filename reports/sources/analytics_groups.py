"""RBAC groups for the analytics source: their queries, and their pages read into the core's ``GroupData``.

Only when ``groups:`` is configured (otherwise the month's queries are exactly as without them):

* ``GET /v1/organizations/rbac_groups`` (every page): the organization's groups, so that a
  group named in the config by its name is found (and a name several groups share refused);
* then, for each configured group, ``GET /v1/organizations/rbac_groups/{id}/members`` (every
  page): its current members. These depend on the list, so they are a second fetch phase
  (``follow_up``); the snapshot records both, and an offline re-render reads them back;
* the month's (and the prior month's) cost grouped by ``actor`` and ``rbac_group_id``: the
  API's any-membership attribution, per (UTC) day; a user in two groups is in both rows, and
  the null group is users in no group (analytics-api.md §1.4).

The RBAC Groups API is for Claude Enterprise organizations only: a refusal is one clear error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from reports.core.groups import ConfiguredGroup, GroupData, GroupSettings, RbacGroup, resolve_groups
from reports.core.money import ZERO
from reports.core.months import Month, rfc3339
from reports.core.records import USER
from reports.sources.analytics_pages import _actor, _cost, _Periods, _rows
from reports.sources.base import ANALYTICS_PAGES, Query
from reports.sources.pages import RawPage, Where, shown

GROUPS_QUERY = "rbac_groups"
GROUPS_ENDPOINT = "rbac_groups"
ENTERPRISE_ONLY = ("RBAC groups are configured (groups:), but the API refused to list them: the RBAC Groups API is "
                   "available to Claude Enterprise organizations only; remove groups: and group_precedence: from "
                   "the config for this organization")

Pages = Callable[[str], Iterable[RawPage]]


def group_cost_query(month: Month) -> str:
    return f"analytics_cost_groups-{month}"


def members_query(group_id: str) -> str:
    return f"rbac_group_members-{group_id}"


def group_queries(month: Month, prior: Month | None, page_rows: int, headers: dict[str, str],
                  endpoint: str) -> list[Query]:
    """The group list and the API's attribution by actor and group, this month and (when read) the prior."""
    queries = [Query(GROUPS_QUERY, GROUPS_ENDPOINT, {"limit": page_rows}, ANALYTICS_PAGES, True,
                     refused=ENTERPRISE_ONLY)]
    for each in (month, prior):
        if each is not None:
            queries.append(Query(group_cost_query(each), endpoint,
                                 {"starting_at": rfc3339(each.start), "ending_at": rfc3339(each.end),
                                  "group_by[]": ["actor", "rbac_group_id"], "limit": page_rows},
                                 ANALYTICS_PAGES, True, headers))
    return queries


def configured_groups(config: GroupSettings, pages: Pages) -> tuple[ConfiguredGroup, ...]:
    """The configured groups as found in the organization's list (ConfigError when a name is ambiguous)."""
    return resolve_groups(config, listed_groups(pages(GROUPS_QUERY)))


def member_queries(groups: tuple[ConfiguredGroup, ...], page_rows: int) -> list[Query]:
    return [Query(members_query(group.id), f"{GROUPS_ENDPOINT}/{group.id}/members", {"limit": page_rows},
                  ANALYTICS_PAGES, True, refused=ENTERPRISE_ONLY) for group in groups]


def listed_groups(pages: Iterable[RawPage]) -> tuple[RbacGroup, ...]:
    found: dict[str, RbacGroup] = {}
    for page in pages:
        for index, item in enumerate(_items(page, GROUPS_ENDPOINT), start=1):
            group_id, name = item.get("id"), item.get("name")
            if not isinstance(group_id, str) or not group_id:
                raise Where(GROUPS_ENDPOINT, page.file).error("an RBAC group has no text 'id'", row=index)
            found[group_id] = RbacGroup(group_id, name if isinstance(name, str) else group_id)
    return tuple(found.values())


def members(pages: Iterable[RawPage], group_id: str) -> tuple[str, ...]:
    """The group's current members' user IDs, in listing order."""
    endpoint = f"{GROUPS_ENDPOINT}/{group_id}/members"
    found: dict[str, None] = {}
    for page in pages:
        for index, item in enumerate(_items(page, endpoint), start=1):
            user = item.get("user_id")
            if not isinstance(user, str) or not user:
                raise Where(endpoint, page.file).error("a member has no text 'user_id'", row=index)
            found[user] = None
    return tuple(found)


def _items(page: RawPage, endpoint: str) -> Iterable[dict]:
    where = Where(endpoint, page.file)
    if not page.is_object:
        raise where.error("the response has no 'data' list")
    for index, item in enumerate(page.items(), start=1):
        if not isinstance(item, dict):
            raise where.error("an item is not an object", row=index)
        yield item
    if not page.has_data_list():
        raise where.error("the response has no 'data' list")


def attribution(pages: Iterable[RawPage], month: Month) -> tuple[dict[str, dict[str, Decimal]],
                                                               dict[str | None, Decimal]]:
    """(user -> group -> cents, group -> cents) of the month, as the API attributes it (overlapping)."""
    by_user: dict[str, dict[str, Decimal]] = {}
    by_group: dict[str | None, Decimal] = {}
    periods = _Periods(month)
    actors: dict = {}
    for page in pages:
        for where, label, index, row, _day in _rows(page, "analytics/cost", periods, []):
            group, cost = row.get("group"), row.get("cost")
            if type(group) is not dict or type(cost) is not dict:
                raise where.error("the row has no 'group' and 'cost' objects", label, index)
            amount = _cost(cost, "amount", where, label, index)
            group_id = group.get("rbac_group_id")
            if group_id is not None and type(group_id) is not str:
                raise where.error(f"rbac_group_id must be text or null, got {shown(group_id)}", label, index)
            by_group[group_id] = by_group.get(group_id, ZERO) + amount
            actor = _actor(group, where, label, index, actors)
            if group_id is not None and actor is not None and actor.kind == USER and actor.id is not None:
                spent = by_user.setdefault(actor.id, {})
                spent[group_id] = spent.get(group_id, ZERO) + amount
    return by_user, by_group


def group_data(config: GroupSettings, pages: Pages, month: Month, prior: Month | None) -> GroupData:
    """What the snapshot says about the configured groups this month (and the prior month, when read)."""
    listed = listed_groups(pages(GROUPS_QUERY))
    groups = resolve_groups(config, listed)
    by_user, by_group = attribution(pages(group_cost_query(month)), month)
    prior_by_user = attribution(pages(group_cost_query(prior)), prior)[0] if prior is not None else None
    return GroupData(listed=listed,
                     members={group.id: members(pages(members_query(group.id)), group.id) for group in groups},
                     by_user=by_user, by_group=by_group, prior_by_user=prior_by_user)


def group_note(config: GroupSettings) -> str:
    """What Run Info says about the group rule: where it stands among the rules, and how it decided."""
    return ("RBAC groups: a user no users: or service_accounts: entry names goes to the cost center of one "
            "configured group, before the API key and the workspace. A user is in a group for the month when the "
            "API attributes any of the user's spend that month to it (day by day), else by the group's current "
            f"member list. Decided by {config.describe()}.")
