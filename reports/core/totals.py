"""A month's sums allocated to cost centers and rounded to cents: the one place rounding happens. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from reports.core.allocate import Allocation, allocate
from reports.core.money import ZERO, cents_to_dollars, fraction_to_decimal, largest_remainder, round_cents
from reports.core.months import Month
from reports.core.records import Attribution, CostRow, Directory
from reports.core.settings import Settings
from reports.core.sums import CostSums, sum_costs


@dataclass(frozen=True)
class MonthTotals:
    """One month's spend, summed exactly, and its allocation rounded to cents."""

    month: Month
    sums: CostSums
    allocation: Allocation
    rounded_total: Decimal
    cost_center_totals: dict[str, Decimal]  # largest remainder; adds up to rounded_total
    list_totals: dict[str, Decimal] | None  # the same for list prices, when the source has them

    @property
    def source_total_cents(self) -> Decimal:
        return self.sums.total_cents

    @property
    def source_total(self) -> Decimal:
        return cents_to_dollars(self.sums.total_cents)


def describe_payer(payer: Attribution, directory: Directory) -> str:
    """A payer for people: ``Hackathon Sandbox (wrkspc_…)``, with the key and actor when known."""
    workspace = directory.workspace_name(payer.workspace_id)
    parts = [f"{workspace} ({payer.workspace_id})" if payer.workspace_id else workspace]
    if payer.api_key_id is not None:
        parts.append(f"API key {directory.api_key_name(payer.api_key_id)} ({payer.api_key_id})")
    if payer.actor is not None:
        parts.append(f"{payer.actor.kind.replace('_', ' ')} {directory.actor_label(payer.actor)}")
    return ", ".join(parts)


def month_totals(month: Month, rows: Iterable[CostRow] | CostSums, settings: Settings,
                 directory: Directory, groups: Mapping[str, str] | None = None) -> MonthTotals:
    """Sum a month's cost rows per payer and allocate them (used for both months; ``groups``: user ID ->
    the cost center of the user's RBAC group that month)."""
    sums = rows if isinstance(rows, CostSums) else sum_costs(rows)
    dollars = {payer: cents_to_dollars(cents) for payer, cents in sums.by_payer.items()}
    names = {payer: describe_payer(payer, directory) for payer in dollars}
    allocation = allocate(dollars, settings, names, period=str(month), groups=groups, month=month)
    rounded_total = round_cents(cents_to_dollars(sums.total_cents))
    exact = {center.code: allocation.total(center.code) for center in settings.cost_centers}
    totals = largest_remainder(exact, rounded_total)
    list_totals = None
    if sums.list_by_payer is not None:
        # List prices follow the amounts: each payer's list price goes where its spend went,
        # in the same shares, then rounds to the cent the same way.
        list_exact = {center.code: Fraction(0) for center in settings.cost_centers}
        for payer, cents in sums.list_by_payer.items():
            for code, share in allocation.split_of(payer):
                list_exact[code] += Fraction(cents_to_dollars(cents)) * share
        list_total = round_cents(cents_to_dollars(sum(sums.list_by_payer.values(), ZERO)))
        list_totals = largest_remainder(list_exact, list_total)
    return MonthTotals(month, sums, allocation, rounded_total, totals, list_totals)


def exact_decimal(value: Fraction) -> Decimal:
    """An exact share as a Decimal, every digit it has (12 places for a repeating one)."""
    try:
        return fraction_to_decimal(value)
    except ValueError:  # a proportional share such as 1/3 of a cent: show it to 12 places
        return Decimal(value.numerator) / Decimal(value.denominator)


def exact_allocations(settings: Settings, current: MonthTotals) -> dict[str, Fraction]:
    """Each cost center's exact (unrounded) share of the month."""
    return {center.code: current.allocation.total(center.code) for center in settings.cost_centers}
