"""The file names of a month's outputs (part of the contract: imports and audits look for them)."""

from __future__ import annotations

from reports.core.months import Month


def workbook_name(month: Month) -> str:
    return f"chargeback-{month}.xlsx"


def pdf_name(month: Month) -> str:
    return f"executive-summary-{month}.pdf"


def journal_name(month: Month) -> str:
    return f"journal-{month}.csv"


def focus_name(month: Month) -> str:
    return f"focus-{month}.csv"


def focus_schema_name(month: Month) -> str:
    return f"focus-{month}.schema.json"


def adjustment_journal_name(month: Month, label: str) -> str:
    return f"journal-adjustment-{month}-{label}.csv"


MANIFEST = "manifest.json"
