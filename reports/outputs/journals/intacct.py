"""Sage Intacct: the CSV import of General Ledger journal entries, one file.

* the header cells (``JOURNAL``, ``DATE``, ``DESCRIPTION``) are only on an entry's first line;
  ``LINE_NO`` runs from 1 in each entry;
* ``JOURNAL`` is the journal symbol (``intacct.journal``, default ``GJ``); ``DESCRIPTION`` is
  the Journal ID and as much of the memo as fits in 30 characters, so a re-import of the month
  shows the same entry description; each line's ``MEMO`` carries its External ID;
* the cost center is the line's ``DEPT_ID`` (its ``dimension``, default its code).
"""

from __future__ import annotations

from reports.core.journal_entry import Journal
from reports.core.settings import Settings
from reports.outputs.journals.text import amount, clip, csv_bytes, day_text, inert, line_description

HEADER = ("JOURNAL", "DATE", "DESCRIPTION", "LINE_NO", "ACCT_NO", "DEBIT", "CREDIT", "DEPT_ID", "MEMO")
DESCRIPTION_LENGTH = 30  # "Header DESCRIPTION has a 30-character limit"


def render(journal: Journal, settings: Settings) -> list[bytes]:
    options = settings.journal.intacct
    head = (inert(options.journal), day_text(journal.day, options.date_format),
            inert(clip(f"{journal.journal_id} {journal.memo}", DESCRIPTION_LENGTH, words=True)))
    rows = []
    for number, line in enumerate(journal.lines, 1):
        rows.append((head if number == 1 else ("", "", "")) + (
            str(number), inert(line.account), amount(line.debit), amount(line.credit),
            inert(settings.dimension_for(line.cost_center)) if line.cost_center else "",
            inert(line_description(line))))
    return [csv_bytes(HEADER, rows)]
