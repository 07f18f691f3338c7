"""What a run posts, as the History counts it: a run's journal and a restatement's adjustment per cost center. Pure.

These adapt a ``Report`` (or its adjustment ``Journal``) to the History's posted figures; they live
here, not in ``history``, so the History never depends on the Report that carries it.
"""

from __future__ import annotations

from decimal import Decimal

from reports.core.history import NOT_CLOSED, Adjustment, Posted
from reports.core.journal_entry import Journal
from reports.core.money import ZERO
from reports.core.report import Report


def posted_of_report(report: Report, status: str = NOT_CLOSED) -> Posted:
    """The journal of a run in hand as posted figures (every configured cost center, zero without spend)."""
    journal = report.journal
    in_ledger = journal.by_cost_center()
    usd = {line.code: line.total for line in report.cost_centers}
    ledger = dict(usd) if journal.ledger.is_usd else {code: in_ledger.get(code, ZERO) for code in usd}
    return Posted(report.month, status, journal.ledger.currency, journal.ledger.rate, ledger, usd,
                  {line.code: line.name for line in report.cost_centers})


def adjustment_of(label: str, journal: Journal) -> Adjustment:
    """A restatement's adjustment journal as the signed change it posts per cost center (a debit is positive)."""
    ledger: dict[str, Decimal] = {}
    usd: dict[str, Decimal] = {}
    names: dict[str, str] = {}
    for line in journal.lines:
        if line.cost_center is None:
            continue
        ledger[line.cost_center] = ledger.get(line.cost_center, ZERO) + line.amount
        usd[line.cost_center] = usd.get(line.cost_center, ZERO) + line.amount_usd
        names[line.cost_center] = line.cost_center_name or line.cost_center
    return Adjustment(label, journal.ledger.currency, ledger, usd, names)
