"""Restating a sealed month: per cost center differences and their adjustment journal. Pure."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from reports.core.history import Posted
from reports.core.journal import Change, adjustment_journal
from reports.core.money import ZERO
from reports.core.report import Report
from reports.core.restatement import Restatement, RestatementLine
from reports.core.settings import Settings


def build_restatement(report: Report, settings: Settings, *, number: int, sealed_run_id: str, sealed_at: str,
                      sealed_total: Decimal, posted: Posted, posting_date: date) -> Restatement:
    """Compare the new totals with what is posted and journal only the differences.

    ``posted`` is what the books hold for the month: the sealed journal plus the adjustment
    of every earlier restatement. Journalling against it (not against the seal alone) is what
    keeps a second restatement from posting the first one's change again: after R<n> the
    books hold exactly the restated journal, whatever came before.

    The adjustment journal is in the ledger's currency at the month's rate (the one the
    sealed journal was posted at): each cost center's difference is its restated ledger
    amount minus its posted one, in USD and in the ledger's currency alike. It is dated
    ``posting_date``: the closed month's own period is closed in most ledgers.
    """
    month = report.month
    ledger = report.journal.ledger
    if posted.currency != ledger.currency:
        raise ValueError(f"{month} is posted in {posted.currency}, the restated journal is in {ledger.currency}")
    new_totals = {line.code: line.total for line in report.cost_centers}
    new_ledger = report.journal.by_cost_center()
    names = {**posted.names, **{line.code: line.name for line in report.cost_centers}}
    codes = [line.code for line in report.cost_centers] + [code for code in posted.usd if code not in new_totals]
    codes += [code for code in posted.ledger if code not in codes]
    lines = tuple(RestatementLine(code, names.get(code, code), posted.usd.get(code, ZERO), new_totals.get(code, ZERO))
                  for code in codes)
    changes = [Change(line.code, line.name, new_ledger.get(line.code, ZERO) - posted.ledger.get(line.code, ZERO),
                      line.difference)
               for line in lines]
    return Restatement(number=number, sealed_run_id=sealed_run_id, sealed_at=sealed_at, sealed_total=sealed_total,
                       lines=lines, adjustment_journal=adjustment_journal(month, number, settings, ledger, changes,
                                                                day=posting_date),
                       posted_total=posted.total_usd, earlier=posted.restatements)
