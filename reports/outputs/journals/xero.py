"""Xero: the journal for Accounting > Manual Journals > Import, one file per 300 lines.

* one signed ``*Amount`` per line: a debit is positive, a credit negative;
* Xero makes one journal of the rows with the same ``*Narration`` and ``*Date``; the narration
  starts with the Journal ID (``CB-2026-10 Claude API chargeback 2026-10``) and each line's
  ``Description`` carries its External ID, so a second import of the month shows the same IDs
  in the draft journals (Xero's import itself has no duplicate check);
* ``*TaxRate`` is the configured no-tax rate name (``xero.tax_rate``), on every line;
* the cost center is the option (its ``dimension``, default its code) of the tracking category
  ``xero.tracking_category``; the balancing line has none;
* at most 300 lines per file: a longer journal is split into balanced journals ``CB-<m>-1``,
  ``CB-<m>-2``, … written to ``journal-<m>-xero.csv``, ``journal-<m>-xero-2.csv``, ….
"""

from __future__ import annotations

from reports.core.journal import split
from reports.core.journal_entry import Journal
from reports.core.settings import Settings
from reports.errors import ConfigError
from reports.outputs.journals.text import amount, csv_bytes, day_text, inert, line_description

MAX_LINES = 300  # "You can import up to 300 lines in one template file"
HEADER = ("*Narration", "*Date", "Description", "*AccountCode", "*TaxRate", "*Amount", "TrackingName1",
          "TrackingOption1")


def render(journal: Journal, settings: Settings) -> list[bytes]:
    """One file's bytes per balanced journal of at most 300 lines (one file, maybe empty, at least)."""
    options = settings.journal.xero
    if options.tax_rate is None:  # check-config refuses this; never write a file Xero would reject
        raise ConfigError(settings.source_path, [f"{settings.source_path}: journal.xero.tax_rate: is required by "
                                                 "the xero layout"])
    category = options.tracking_category
    files = []
    for part in split(journal, MAX_LINES):
        narration = inert(f"{part.journal_id} {part.memo}")
        day = day_text(part.day, options.date_format)
        rows = []
        for line in part.lines:
            code = line.cost_center if category else None  # tracked: a cost center's line, with a category
            rows.append((narration, day, inert(line_description(line)), inert(line.account), inert(options.tax_rate),
                         amount(line.amount), inert(category) if code is not None else "",
                         inert(settings.dimension_for(code)) if code is not None else ""))
        files.append(csv_bytes(HEADER, rows))
    return files
