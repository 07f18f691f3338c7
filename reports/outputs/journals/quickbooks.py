"""QuickBooks Online: the journal for Settings > Import data > Journal Entries, one file.

* accounts are posted by *name* (``journal.account_names``; QuickBooks' account numbers must be
  off for the import), sub-accounts written ``Parent:Sub``;
* all rows with the same ``Journal No.`` form one entry: it is the Journal ID (at most 21
  characters, which every ID of ours is); with "Warn me if duplicate journal number is used"
  on, QuickBooks refuses a second import of the same month;
* ``Debits``/``Credits`` are never negative; the line's ``Description`` carries its External ID;
* the cost center is the line's ``Class`` or ``Location`` (``quickbooks.dimension``).
"""

from __future__ import annotations

from reports.core.journal_entry import Journal
from reports.core.settings import Settings
from reports.errors import ConfigError
from reports.outputs.journals.text import amount, csv_bytes, day_text, inert, line_description

MAX_JOURNAL_NO = 21


def header(settings: Settings) -> tuple[str, ...]:
    return ("Journal No.", "Journal Date", "Account Name", "Debits", "Credits", "Description",
            settings.journal.quickbooks.dimension.capitalize())


def _name(settings: Settings, account: str) -> str:
    try:
        return settings.journal.account_names[account]
    except KeyError:  # check-config refuses this; never write a file QuickBooks would reject
        raise ConfigError(settings.source_path, [f"{settings.source_path}: journal.account_names: no name for "
                                                 f"account {account}, which the quickbooks layout posts"]) from None


def render(journal: Journal, settings: Settings) -> list[bytes]:
    options = settings.journal.quickbooks
    assert len(journal.journal_id) <= MAX_JOURNAL_NO, journal.journal_id
    day = day_text(journal.day, options.date_format)
    rows = [(inert(line.journal_id), day, inert(_name(settings, line.account)), amount(line.debit),
             amount(line.credit), inert(line_description(line)),
             inert(settings.dimension_for(line.cost_center)) if line.cost_center else "")
            for line in journal.lines]
    return [csv_bytes(header(settings), rows)]
