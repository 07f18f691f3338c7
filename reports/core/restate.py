"""Restating a sealed month: per cost center differences and their adjustment journal. Pure."""

from __future__ import annotations

from decimal import Decimal
from typing import Mapping

from reports.core.journal import Change, adjustment_journal
from reports.core.report import Report, Restatement, RestatementLine
from reports.core.money import ZERO
from reports.core.settings import Settings


def build_restatement(report: Report, settings: Settings, *, number: int, sealed_run_id: str, sealed_at: str,
                      sealed_totals: Mapping[str, Decimal], sealed_names: Mapping[str, str],
                      sealed_total: Decimal, sealed_ledger_totals: Mapping[str, Decimal] | None = None) -> Restatement:
    """Compare the new totals with the sealed ones and journal only the differences.

    The adjustment journal is in the ledger's currency at the month's rate (the one the
    sealed journal was posted at): each cost center's difference is its restated ledger
    amount minus its sealed one, so the sealed entry plus the adjustment is exactly the
    restated entry. ``sealed_ledger_totals`` are the sealed journal's ledger amounts; they
    may be left out only for a ledger in USD, where they are the sealed totals.
    """
    month = report.month
    ledger = report.journal.ledger
    if sealed_ledger_totals is None:
        if not ledger.is_usd:
            raise ValueError(f"the sealed ledger amounts are needed to restate a journal in {ledger.currency}")
        sealed_ledger_totals = sealed_totals
    new_totals = {line.code: line.total for line in report.cost_centers}
    new_ledger = report.journal.by_cost_center()
    names = {**sealed_names, **{line.code: line.name for line in report.cost_centers}}
    codes = [line.code for line in report.cost_centers] + [code for code in sealed_totals if code not in new_totals]
    lines = tuple(RestatementLine(code, names.get(code, code), sealed_totals.get(code, ZERO), new_totals.get(code, ZERO))
                  for code in codes)
    changes = [Change(line.code, line.name, new_ledger.get(line.code, ZERO) - sealed_ledger_totals.get(line.code, ZERO),
                      line.difference)
               for line in lines]
    return Restatement(number=number, sealed_run_id=sealed_run_id, sealed_at=sealed_at, sealed_total=sealed_total,
                       lines=lines, adjustment_journal=adjustment_journal(month, number, settings, ledger, changes))
