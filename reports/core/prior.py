"""The month before, as the comparisons use it: as posted in the books where it was run, else as fetched. Pure.

Prior Month, Change, the PDF's headline and the movers compare with what the books hold for
the prior month (History's figure: its journal as closed or run, plus any restatement's
adjustment) whenever it has a month folder, so that no page shows two figures for one month.
The API's figures for it today are still fetched: workspaces, models and days have no posted
figures, and a difference from the books (late data) is a warning naming the command that
posts it (``core.prior_compare``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from reports.core.history import CLOSED, RESTATED
from reports.core.money import ZERO
from reports.core.months import Month


class PriorBasis(StrEnum):
    """Where the prior month's figures come from."""

    POSTED = "posted"  # the month folder's journal: closed (plus restatements) or the latest run
    FETCHED = "fetched"  # the API today, allocated with today's mapping (the month was never run)


@dataclass(frozen=True)
class PriorMonth:
    """The prior month's total and cost center figures the Report compares with, in USD to the cent."""

    month: Month
    basis: PriorBasis
    total: Decimal
    by_cost_center: Mapping[str, Decimal]  # a cost center the month did not have is absent
    status: str | None = None  # as posted: closed | restated | not closed; None when fetched
    fetched_total: Decimal | None = None  # the API's figure today, rounded; None when it could not be had
    names: Mapping[str, str] = field(default_factory=dict)  # the cost centers' names as posted
    # what the month's invoice true-ups add in its books beyond ``total`` (credits, tax, other lines):
    # the comparisons are usage with usage, so they leave it out and say so
    trued_up: Decimal = ZERO
    trueups: tuple[str, ...] = ()  # their labels, T1 first

    @property
    def late_data(self) -> Decimal | None:
        """The API's figure today minus the books' (posted basis with both figures), else None."""
        if self.basis != PriorBasis.POSTED or self.fetched_total is None:
            return None
        return self.fetched_total - self.total

    @property
    def command(self) -> str:
        """What posts the API's figures for the month: a restatement once closed, else a re-run."""
        restate = " --restate" if self.status in (CLOSED, RESTATED) else ""
        return f"chargeback run --month {self.month}{restate}"

    def of(self, code: str) -> Decimal:
        """A cost center's prior figure; one the month did not have had nothing charged to it."""
        return self.by_cost_center.get(code, ZERO)
