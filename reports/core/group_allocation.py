"""RBAC groups in a month's report: each month's owners for allocation, then the Groups sheet and its proof. Pure.

``group_owners`` runs before allocation (this month's and the prior month's, each by its own
attribution, ``core.groups``); ``groups_report`` after it, from what the group rule allocated.
"""

from __future__ import annotations

from decimal import Decimal

from reports.core.allocate import BY_GROUP
from reports.core.checks import Check, Figure, FigureKind, Status
from reports.core.groups import GroupOwners, GroupsView, groups_view, owners, resolve_groups
from reports.core.money import cents_to_dollars
from reports.core.month_data import MonthData
from reports.core.settings import Settings
from reports.core.totals import MonthTotals


def group_owners(settings: Settings, data: MonthData) -> tuple[GroupOwners | None, GroupOwners | None]:
    """(this month's, the prior month's) one group per user; (None, None) without groups: in the config."""
    if settings.groups is None or data.groups is None:
        return None, None
    groups = resolve_groups(settings.groups, data.groups.listed)
    current = owners(settings.groups, groups, data.groups.by_user, data.groups.members)
    prior = None
    if data.groups.prior_by_user is not None:
        prior = owners(settings.groups, groups, data.groups.prior_by_user, data.groups.members)
    return current, prior


def groups_report(settings: Settings, data: MonthData, current_owners: GroupOwners | None,
                  current: MonthTotals) -> GroupsView | None:
    """The Groups sheet: each configured group attributed (overlapping) and allocated (each dollar once)."""
    if settings.groups is None or data.groups is None or current_owners is None:
        return None
    by_user: dict[str, Decimal] = {}
    other = Decimal(0)
    for payer, cents in current.sums.by_payer.items():
        if current.allocation.level.get(payer) == BY_GROUP and payer.actor is not None and payer.actor.id:
            by_user[payer.actor.id] = by_user.get(payer.actor.id, Decimal(0)) + cents
        else:
            other += cents
    groups = resolve_groups(settings.groups, data.groups.listed)
    return groups_view(settings.groups, groups, data.groups, current_owners.group_of,
                       {user: cents_to_dollars(cents) for user, cents in by_user.items()}, cents_to_dollars(other),
                       current.source_total)


def group_checks(view: GroupsView | None) -> tuple[Check, ...]:
    """The Groups sheet's proof as a reconciliation check: its allocated column is the organization's total."""
    if view is None:
        return ()
    exact = FigureKind.EXACT
    agreed = view.proved
    return (Check("RBAC groups: allocated total = organization total", Figure(view.organization_total, exact),
                  Figure(view.allocated_total, exact), Status.PASS if agreed else Status.FAIL,
                  "each dollar once: the groups' allocated spend plus the spend other rules allocated"
                  if agreed else "the Groups sheet's allocated column does not add up to the month's total"),)
