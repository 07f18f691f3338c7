"""Spend against budget in three lines that add up on their face: budgeted, without a budget, total. Pure.

Every surface (Summary, PDF, email, manifest) shows these lines as computed here, so that each
line's variance is the total beside it minus the budget beside it, and the total is the sum of
the two lines above it, with no footnote needed to explain a partial variance.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from reports.core.money import ZERO

BUDGETED = "Budgeted"
WITHOUT_A_BUDGET = "Without a budget"
TOTAL = "Total"


@dataclass(frozen=True, slots=True)
class BudgetLine:
    """One line against budget: its spend, its budget (None: no budget) and spend minus budget."""

    label: str
    total: Decimal
    budget: Decimal | None = None

    @property
    def variance(self) -> Decimal | None:
        """Total minus budget; positive is over budget; None without a budget."""
        return None if self.budget is None else self.total - self.budget


@dataclass(frozen=True, slots=True)
class AgainstBudget:
    """The month (or the year) against budget: the budgeted cost centers, the rest, and all spend."""

    budgeted: BudgetLine  # the cost centers that have a budget: their spend and the sum of their budgets
    without_budget: BudgetLine  # the cost centers without one: spend only
    total: BudgetLine  # all spend against the sum of the budgets (None when no cost center has one)
    budgeted_count: int  # cost centers with a budget

    @property
    def has_budgets(self) -> bool:
        return self.budgeted_count > 0

    @property
    def lines(self) -> tuple[BudgetLine, BudgetLine, BudgetLine]:
        """Budgeted, Without a budget, Total: in the order every surface shows them."""
        return self.budgeted, self.without_budget, self.total


def against_budget(lines: Iterable[tuple[Decimal | None, Decimal | None]]) -> AgainstBudget:
    """The three lines from (spend, budget) per cost center; a spend of None (nothing posted) counts as zero."""
    budgeted_spend = unbudgeted_spend = budgets = ZERO
    count = 0
    for spend, budget in lines:
        amount = ZERO if spend is None else spend
        if budget is None:
            unbudgeted_spend += amount
        else:
            budgeted_spend += amount
            budgets += budget
            count += 1
    budget_sum = budgets if count else None
    return AgainstBudget(
        budgeted=BudgetLine(BUDGETED, budgeted_spend, budget_sum),
        without_budget=BudgetLine(WITHOUT_A_BUDGET, unbudgeted_spend),
        total=BudgetLine(TOTAL, budgeted_spend + unbudgeted_spend, budget_sum),
        budgeted_count=count,
    )
