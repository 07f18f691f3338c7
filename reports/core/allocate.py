"""Cost-center allocation: workspace spend to cost centers, exactly. Pure.

Shares of a split are kept as exact fractions (a proportional split may divide by any
number), so the allocated total always equals the source total exactly. Rounding to cents
happens once, later, in ``aggregate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Mapping

from reports.errors import DataError
from reports.core.records import DEFAULT_WORKSPACE_NAME
from reports.core.settings import Settings, SharedRule

DEFAULT_KEY = None  # the Default workspace's ID in API data


@dataclass(frozen=True)
class Allocation:
    """Exact dollars per cost center, split into direct and shared, and how each workspace went."""

    direct: dict[str, Fraction]  # own workspaces, Default workspace for its owner, unmapped for unallocated
    shared: dict[str, Fraction]  # shares of shared workspaces
    workspace_owner: dict[str | None, str]  # workspace -> cost center label for reports
    unmapped: dict[str | None, Decimal]  # unmapped workspace -> exact dollars (taken by unallocated)
    notes: tuple[str, ...] = ()

    def total(self, code: str) -> Fraction:
        return self.direct.get(code, Fraction(0)) + self.shared.get(code, Fraction(0))

    @property
    def allocated_total(self) -> Fraction:
        return sum(self.direct.values(), Fraction(0)) + sum(self.shared.values(), Fraction(0))


def describe_rule(rule: SharedRule) -> str:
    if rule.split is None:
        return "Shared (proportional)"
    parts = ", ".join(f"{code} {pct.normalize():f}%" for code, pct in rule.split.items())
    return f"Shared ({parts})"


def workspace_owners(settings: Settings) -> dict[str | None, str]:
    """The configured owner label of each workspace (cost center code or shared rule)."""
    owners: dict[str | None, str] = {}
    for center in settings.cost_centers:
        for workspace in center.workspaces:
            owners[workspace] = center.code
    for rule in settings.shared:
        owners[rule.workspace] = describe_rule(rule)
    if settings.default_workspace is not None:
        owners[DEFAULT_KEY] = settings.default_workspace
    return owners


def allocate(spend_by_workspace: Mapping[str | None, Decimal], settings: Settings,
             names: Mapping[str | None, str] | None = None, period: str = "") -> Allocation:
    """Allocate exact dollars per workspace to cost centers.

    Raises DataError naming the unmapped workspaces when there is no unallocated cost
    center to take their spend.
    """
    codes = [center.code for center in settings.cost_centers]
    direct: dict[str, Fraction] = {code: Fraction(0) for code in codes}
    shared: dict[str, Fraction] = {code: Fraction(0) for code in codes}
    owners: dict[str | None, str] = {}
    unmapped: dict[str | None, Decimal] = {}
    notes: list[str] = []
    center_of = {ws: center.code for center in settings.cost_centers for ws in center.workspaces}
    rule_of = {rule.workspace: rule for rule in settings.shared}
    pending: list[tuple[SharedRule, Fraction]] = []

    for workspace, amount in spend_by_workspace.items():
        exact = Fraction(amount)
        if workspace is DEFAULT_KEY and settings.default_workspace is not None:
            direct[settings.default_workspace] += exact
            owners[workspace] = settings.default_workspace
        elif workspace is not DEFAULT_KEY and workspace in center_of:
            direct[center_of[workspace]] += exact
            owners[workspace] = center_of[workspace]
        elif workspace is not DEFAULT_KEY and workspace in rule_of:
            pending.append((rule_of[workspace], exact))
            owners[workspace] = describe_rule(rule_of[workspace])
        else:
            unmapped[workspace] = amount

    if unmapped:
        if settings.unallocated is None:
            shown = ", ".join(
                f"{(names or {}).get(ws, ws) or DEFAULT_WORKSPACE_NAME} ({ws or 'no ID'}): ${amount.quantize(Decimal('0.01'))}"
                for ws, amount in sorted(unmapped.items(), key=lambda item: -item[1]))
            where = f" in {period}" if period else ""
            raise DataError(
                f"spend{where} on workspaces not in the config and no 'unallocated' cost center to take it: "
                f"{shown}; add them to a cost center or set 'unallocated'")
        for workspace, amount in unmapped.items():
            direct[settings.unallocated] += Fraction(amount)
            owners[workspace] = settings.unallocated

    weights = {code: direct[code] for code in codes if code != settings.unallocated}
    # Weights are direct spend before any unmapped spend reaches the unallocated center.
    for rule, exact in pending:
        if rule.split is not None:
            for code, pct in rule.split.items():
                shared[code] += exact * Fraction(pct) / 100
            continue
        weight_total = sum(weights.values(), Fraction(0))
        if weight_total == 0:
            if settings.unallocated is None:
                raise DataError(
                    f"shared workspace {rule.workspace} is split proportionally, but no cost center has "
                    f"direct spend{' in ' + period if period else ''} to weigh it by, and there is no "
                    f"'unallocated' cost center; give it a fixed split")
            shared[settings.unallocated] += exact
            notes.append(f"Shared workspace {rule.workspace} went to {settings.unallocated}: "
                         f"no cost center had direct spend to weigh a proportional split")
            continue
        for code, weight in weights.items():
            shared[code] += exact * weight / weight_total

    return Allocation(direct=direct, shared=shared, workspace_owner=owners, unmapped=unmapped, notes=tuple(notes))
