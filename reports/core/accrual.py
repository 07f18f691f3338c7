"""The accrual reversal: the month's journal with debits and credits swapped, on the 1st of the next month. Pure.

With ``billing.mode: invoiced`` and ``journal.reverse_accrual: true`` the month's journal is an
accrual of the usage charge: NetSuite reverses it itself (the entry's ``Reversal Date``); the
other systems' imports have no reversal column (accounting-formats.md §F), so they get this
separate reversing entry. Its IDs (``CB-<YYYY-MM>-REV``, ``CB-<YYYY-MM>-REV-<code>``, and with
``products:`` ``CB-<YYYY-MM>-REV-<code>-<account>``) never
meet the month's, a restatement's (``-R<n>``) or a true-up's (``-T<n>``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from reports.core.journal import journal_id
from reports.core.journal_entry import Journal
from reports.core.months import Month

SUFFIX = "REV"


def reversal_day(month: Month) -> date:
    """The first day of the month after ``month`` (the month's journal's ``reverses_on``)."""
    return month.last_day + timedelta(days=1)


def reversal_id(month: Month) -> str:
    """``CB-2026-10-REV``."""
    return f"{journal_id(month)}-{SUFFIX}"


def reversal_journal(journal: Journal, month: Month) -> Journal:
    """``journal`` (the month's entry) reversed: each line on the other side, dated and filed in the next month."""
    day = reversal_day(month)
    entry_id = reversal_id(month)
    memo = f"{journal.memo} reversal" if str(month) in journal.memo else f"{journal.memo} reversal of {month}"
    lines = tuple(
        replace(line, journal_id=entry_id, day=day, period=str(Month(day.year, day.month)), memo=memo,
                debit=line.credit, credit=line.debit, debit_usd=line.credit_usd, credit_usd=line.debit_usd,
                external_id=_reversed_id(line.external_id, journal.journal_id, entry_id))
        for line in journal.lines)
    return replace(journal, journal_id=entry_id, day=day, period=str(Month(day.year, day.month)), memo=memo,
                   lines=lines, reverses_on=None)


def _reversed_id(external_id: str, month_entry: str, entry_id: str) -> str:
    """A line's ID in the reversal: the month's line's ID under the reversal's entry, so a cost center's
    lines per account (``products:``) stay distinct (``CB-2026-10-ENG-100-6430`` -> ``CB-2026-10-REV-ENG-100-6430``)."""
    return entry_id + external_id.removeprefix(month_entry)
