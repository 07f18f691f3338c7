"""The accrual reversal's files: the generic ``journal-<YYYY-MM>-reversal.csv`` and each layout but NetSuite's."""

from __future__ import annotations

from pathlib import Path

from reports.core.accrual import reversal_journal
from reports.core.report import Report
from reports.core.settings import Settings
from reports.outputs import names
from reports.outputs.journals import WRITERS
from reports.outputs.journals.generic import journal_csv_bytes

# NetSuite reverses the month's journal itself, from its Reversal Date column (outputs/journals/netsuite.py).
SELF_REVERSING = frozenset({"netsuite"})


def write_reversal(report: Report, settings: Settings, folder: Path) -> list[str]:
    """Write the month's reversing journal files into ``folder``; their names (none unless the month is an accrual).

    A restatement's folder gets none: its adjustment is posted in an open period, not accrued.
    """
    if report.restatement is not None or report.journal.reverses_on is None:
        return []
    journal = reversal_journal(report.journal, report.month)
    stem = names.reversal_journal_stem(report.month)
    files = [(f"{stem}.csv", journal_csv_bytes(journal))]
    for layout in settings.journal.layouts:
        if layout not in SELF_REVERSING:
            for number, data in enumerate(WRITERS[layout](journal, settings), 1):
                files.append((names.layout_journal_name(stem, layout, number), data))
    for name, data in files:
        (folder / name).write_bytes(data)
    return [name for name, _ in files]
