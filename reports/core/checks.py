"""The reconciliation checks and their figures: what was compared, and whether it agreed."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from reports.core.money_text import amount_text


class Status(StrEnum):
    """A reconciliation check's outcome, written as its value (the sheet, the manifest, the email)."""

    PASS = "PASS"
    FAIL = "FAIL"
    WARN = "WARN"  # shown loudly, but not a disagreement between totals: the month is still published


class FigureKind(StrEnum):
    """How a check's amount is read: to the cent, in exact API cents, or in exact dollars."""

    MONEY = "money"  # to the cent, with thousands separators: 1,234.50
    CENTS = "cents"  # exact API cents
    EXACT = "exact"  # exact dollars, every digit carried


@dataclass(frozen=True, slots=True)
class Figure:
    """An amount a check compares: a number for the workbook, the text every other reader has always shown."""

    value: Decimal
    kind: FigureKind = FigureKind.MONEY
    currency: str = "USD"  # of a MONEY amount (a check on a ledger in another currency)

    def __str__(self) -> str:
        return amount_text(self.value) if self.kind == FigureKind.MONEY else f"{self.value}"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    expected: str | Figure  # a Figure where it is an amount, so that the workbook writes a number
    actual: str | Figure
    status: Status
    detail: str = ""


@dataclass(frozen=True, slots=True)
class UnmappedWorkspace:
    """Spend no rule matched, taken by the unallocated cost center (a workspace; or, with the
    analytics source, a workspace x API key x actor)."""

    workspace_id: str
    name: str
    amount: Decimal  # exact dollars
    taken_by: str  # the unallocated cost center's code
    api_key: str = ""  # analytics: the key's name (or ID), if any
    actor: str = ""  # analytics: the actor's label, if any


@dataclass(frozen=True)
class Reconciliation:
    source_total_cents: Decimal  # exact sum of every API amount
    source_total: Decimal  # exact dollars
    allocated_total: Decimal  # exact dollars, sum of every cost center's allocation
    rounded_total: Decimal  # source_total rounded half-up to the cent
    journal_debits: Decimal
    journal_credits: Decimal
    rounding_difference: Decimal  # rounded_total - source_total
    line_item_count: int
    unmapped: tuple[UnmappedWorkspace, ...]
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(check.status != Status.FAIL for check in self.checks)
