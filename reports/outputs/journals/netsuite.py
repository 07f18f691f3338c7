"""NetSuite: the journal for the CSV Import Assistant (record type Journal Entry), one file.

* ``External ID`` is the entry's key and repeats on every line: NetSuite groups the lines of
  an entry by it and refuses (Add) or replaces (Add or Update) an entry whose External ID
  already exists, which is how a re-import of the same month is caught;
* our per-line External ID goes in the line memo, with the cost center's name;
* an entry has at most 200 lines: a longer journal is split into balanced entries
  ``CB-<m>-1``, ``CB-<m>-2``, … (``reports.core.journal.split``);
* the cost center goes to the line's Department, Class or Location (``netsuite.dimension``),
  as the cost center's ``dimension`` (default its code); the balancing line has none;
* an accrual (``billing.mode: invoiced`` with ``journal.reverse_accrual``) adds the header field
  ``Reversal Date``, the 1st of the next month, so NetSuite posts the reversing entry itself.
"""

from __future__ import annotations

from reports.core.journal import split
from reports.core.journal_entry import Journal
from reports.core.settings import Settings
from reports.outputs.journals.text import amount, csv_bytes, day_text, inert, line_description

MAX_LINES = 200  # "Limitations for Creating Transactions": Journal Entries, 200 lines


def header(settings: Settings, reversal: bool = False) -> tuple[str, ...]:
    dimension = settings.journal.netsuite.dimension.capitalize()
    return ("External ID", "Date", *(("Reversal Date",) if reversal else ()), "Subsidiary", "Currency", "Memo",
            "Journal Entry -Line: Account", "Journal Entry -Line: Debit", "Journal Entry -Line: Credit",
            "Journal Entry -Line: Memo", f"Journal Entry -Line: {dimension}")


def render(journal: Journal, settings: Settings) -> list[bytes]:
    """The file's bytes (always one file: the split entries follow each other in it)."""
    options = settings.journal.netsuite
    reversal = (day_text(journal.reverses_on, options.date_format),) if journal.reverses_on else ()
    rows = []
    for part in split(journal, MAX_LINES):
        head = (inert(part.journal_id), day_text(part.day, options.date_format), *reversal, inert(options.subsidiary),
                inert(part.ledger.currency), inert(part.memo))
        for line in part.lines:
            rows.append(head + (
                inert(line.account), amount(line.debit), amount(line.credit), inert(line_description(line)),
                inert(settings.dimension_for(line.cost_center)) if line.cost_center else ""))
    return [csv_bytes(header(settings, bool(reversal)), rows)]
