"""The file names of a month's outputs (part of the contract: imports and audits look for them)."""

from __future__ import annotations

from reports.core.months import Month

# The directory file (``directory:``) as the run read it: kept with the month, so that a re-render
# or a restatement allocates people as the run did.
DIRECTORY_COPY = "directory.csv"


def workbook_name(month: Month) -> str:
    return f"chargeback-{month}.xlsx"


def pdf_name(month: Month) -> str:
    return f"executive-summary-{month}.pdf"


def journal_stem(month: Month) -> str:
    return f"journal-{month}"


def adjustment_journal_stem(month: Month, label: str) -> str:
    return f"journal-adjustment-{month}-{label}"


def reversal_journal_stem(month: Month) -> str:
    """The accrual reversal: ``journal-2026-10-reversal`` (its layouts add ``-<layout>``)."""
    return f"journal-{month}-reversal"


def journal_name(month: Month) -> str:
    return f"{journal_stem(month)}.csv"


def focus_name(month: Month) -> str:
    return f"focus-{month}.csv"


def focus_schema_name(month: Month) -> str:
    return f"focus-{month}.schema.json"


def adjustment_journal_name(month: Month, label: str) -> str:
    return f"{adjustment_journal_stem(month, label)}.csv"


def layout_journal_name(stem: str, layout: str, part: int = 1) -> str:
    """``journal-2026-10-business-central.csv``; a layout's second file is ``journal-2026-10-xero-2.csv``."""
    label = layout.replace("_", "-")
    return f"{stem}-{label}.csv" if part == 1 else f"{stem}-{label}-{part}.csv"


MANIFEST = "manifest.json"


def is_journal(file: str) -> bool:
    """A journal CSV at the top of a month or restatement folder: the journal, an adjustment, or a layout of one."""
    return "/" not in file and file.startswith("journal-") and file.endswith(".csv")
