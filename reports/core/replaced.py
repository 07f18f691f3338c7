"""A re-run of an open month against the run it replaces: what changed, per cost center, in words. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from reports.core.money import ZERO
from reports.core.money_text import money_text

REPLACED = "replaced"  # the month folder's subfolder that keeps each replaced run: replaced/<run id>/


@dataclass(frozen=True)
class Replaced:
    """The earlier run of an open month that this run replaces (kept under ``replaced/<run id>/``).

    Amounts are the journal debits in USD, as the manifests record them. ``total`` is None when
    the replaced run's manifest could not be read: its files are kept all the same.
    """

    run_id: str
    generated_at: str | None  # the replaced run's, as its manifest says (RFC 3339, UTC)
    total: Decimal | None  # the replaced run's total
    total_change: Decimal  # this run's total minus the replaced one's
    changes: tuple[tuple[str, Decimal], ...]  # cost center code -> this run minus the replaced run; changed ones only

    @property
    def folder(self) -> str:
        """Where the replaced run's manifest and journals are kept, relative to the month folder."""
        return f"{REPLACED}/{self.run_id}/"

    @property
    def unchanged(self) -> bool:
        return self.total is not None and not self.total_change and not self.changes

    @property
    def text(self) -> str:
        """``total +$101.26; ENG-100 +$60.00, SUP-200 +$41.26``, or ``no change``."""
        if self.total is None:
            return "not known: the replaced run's manifest.json could not be read (its files are kept)"
        if self.unchanged:
            return "no change"
        centers = ", ".join(f"{code} {money_text(amount, signed=True)}" for code, amount in self.changes)
        return f"total {money_text(self.total_change, signed=True)}" + (f"; {centers}" if centers else "")


def compare(run_id: str, generated_at: str | None, before: Mapping[str, Decimal], before_total: Decimal,
            after: Mapping[str, Decimal], after_total: Decimal) -> Replaced:
    """This run (``after``) against the run it replaces (``before``): each cost center's change, largest first."""
    codes = list(dict.fromkeys([*after, *before]))
    changes = [(code, after.get(code, ZERO) - before.get(code, ZERO)) for code in codes]
    changed = sorted(((code, amount) for code, amount in changes if amount), key=lambda item: (-abs(item[1]), item[0]))
    return Replaced(run_id, generated_at, before_total, after_total - before_total, tuple(changed))


def unreadable(run_id: str) -> Replaced:
    """A replaced run whose manifest could not be read: kept, its change unknown."""
    return Replaced(run_id, None, None, ZERO, ())
