"""A sealed month re-run: posted against restated per cost center, and the adjustment journal."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from reports.core.journal_entry import Journal


@dataclass(frozen=True, slots=True)
class RestatementLine:
    """One cost center's posted and restated journal debit (USD).

    ``posted`` is what the books hold before this restatement: the sealed journal plus the
    adjustments of every earlier restatement (for R1, the sealed journal).
    """

    code: str
    name: str
    posted: Decimal
    restated: Decimal

    @property
    def difference(self) -> Decimal:
        return self.restated - self.posted


@dataclass(frozen=True)
class Restatement:
    """A sealed month re-run: what changed per cost center, and the journal of the changes."""

    number: int  # 1 for the first restatement of the month
    sealed_run_id: str
    sealed_at: str  # UTC, as recorded in the seal
    sealed_total: Decimal  # the sealed journal's total
    lines: tuple[RestatementLine, ...]
    adjustment_journal: Journal  # only the differences from what is posted; no lines when nothing changed
    posted_total: Decimal | None = None  # before this restatement (sealed + earlier adjustments); None: sealed_total
    earlier: tuple[str, ...] = ()  # labels of the restatements already posted, R1 first

    @property
    def label(self) -> str:
        return f"R{self.number}"

    @property
    def restated_total(self) -> Decimal:
        return sum((line.restated for line in self.lines), Decimal("0"))

    @property
    def posted_before(self) -> Decimal:
        """What the books held for the month before this restatement."""
        return self.sealed_total if self.posted_total is None else self.posted_total

    @property
    def difference(self) -> Decimal:
        """Restated minus posted: the adjustment journal's net debit in USD."""
        return self.restated_total - self.posted_before
