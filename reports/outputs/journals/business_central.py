"""Business Central: general journal lines for the General Journals page (Edit in Excel), one file.

* ``Document No.`` groups the lines of an entry: it is the Journal ID; ``Account Type`` is
  ``G/L Account`` and ``Account No.`` our account;
* ``External Document No.`` carries the line's External ID, so a re-import of the month
  shows the same document and external numbers in the journal before posting;
* the cost center is the line's ``Shortcut Dimension 1 Code`` (its ``dimension``, default its code);
* ``Description`` is cut to 50 characters (the field's size in the API).
"""

from __future__ import annotations

from reports.core.journal_entry import Journal
from reports.core.settings import Settings
from reports.outputs.journals.text import amount, clip, csv_bytes, day_text, inert

HEADER = ("Posting Date", "Document No.", "Account Type", "Account No.", "Description", "Debit Amount",
          "Credit Amount", "Shortcut Dimension 1 Code", "External Document No.")
ACCOUNT_TYPE = "G/L Account"
DESCRIPTION_LENGTH = 50


def render(journal: Journal, settings: Settings) -> list[bytes]:
    day = day_text(journal.day, settings.journal.business_central.date_format)
    rows = []
    for line in journal.lines:
        text = f"{line.memo} {line.cost_center_name}" if line.cost_center_name else line.memo
        rows.append((day, inert(line.journal_id), ACCOUNT_TYPE, inert(line.account),
                     inert(clip(text, DESCRIPTION_LENGTH)), amount(line.debit), amount(line.credit),
                     inert(settings.dimension_for(line.cost_center)) if line.cost_center else "",
                     inert(line.external_id)))
    return [csv_bytes(HEADER, rows)]
