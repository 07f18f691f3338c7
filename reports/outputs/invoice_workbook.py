"""The invoice's workbook: the Invoice Walk (walk, checks, true-up per cost center) and the True-up Journal."""

from __future__ import annotations

import pathlib

from reports.core.invoice import Walk
from reports.core.trueup import TrueUp
from reports.outputs import excel_styles as st
from reports.outputs.journals.generic import DATE, MONEY, RATE, TEXT
from reports.outputs.journals.generic import columns as journal_columns
from reports.outputs.sheets_ledger import CHECK_HEADERS
from reports.outputs.xlsx import Book, Column

SHEET_WALK = "Invoice Walk"
SHEET_TRUEUP = "True-up Journal"
WALK_HEADERS = ("Step", "Amount (USD)", "Note")
SHARE_HEADERS = ("Cost Center", "Name", "Posted (USD)", "Invoice Share (USD)", "True-up (USD)")
_JOURNAL_STYLES = {TEXT: st.TEXT, DATE: st.DATE, MONEY: st.MONEY, RATE: st.EXACT}


def write_invoice_workbook(walk: Walk, trueup: TrueUp, path: pathlib.Path) -> None:
    """Both sheets, figures as numbers with a money format (never text), to ``path``."""
    book = Book(max_rows_per_sheet=1_048_576)
    _walk_sheet(book, walk, trueup)
    definition = journal_columns(trueup.journal)  # the same columns as the true-up CSV and the month's Journal
    book.table(SHEET_TRUEUP, [Column(c.header, _JOURNAL_STYLES[c.kind], c.width) for c in definition],
               trueup.journal.lines, lambda line: [column.value(line) for column in definition])
    book.save(path)


def _walk_sheet(book: Book, walk: Walk, trueup: TrueUp) -> None:
    invoice = trueup.invoice
    ws, c = book.sheet(SHEET_WALK, (30, 18, 18, 18, 16, 70))
    ws.append([c.text(f"Invoice {invoice.number} — {invoice.issuer}, {invoice.day.isoformat()}", st.TITLE)])
    ws.append([])
    ws.append(c.header_row(WALK_HEADERS))
    for row in walk.rows:
        ws.append([c.text(row.label, st.LABEL), c.number(row.amount, st.MONEY), c.text(row.note)])
    ws.append([])
    ws.append(c.header_row(CHECK_HEADERS))
    for check in walk.checks:
        ws.append([c.text(check.name), c.text(check.expected), c.text(check.actual),
                   c.text(check.status, st.STATUS_STYLES.get(check.status, st.TEXT)), c.text(check.detail)])
    ws.append([])
    policies = ", ".join(f"{part} {policy}" for part, policy in trueup.policies.items())
    ws.append([c.text(f"True-up {trueup.label} per cost center (usage pro_rata; {policies}); excluded from "
                      f"chargeback:", st.LABEL), c.number(trueup.excluded, st.MONEY)])
    ws.append(c.header_row(SHARE_HEADERS))
    for line in trueup.lines:
        ws.append([c.text(line.code), c.text(line.name), c.number(line.posted_usd, st.MONEY),
                   c.number(line.target_usd, st.MONEY), c.number(line.change_usd, st.MONEY)])
    ws.append([c.text("Total", st.TOTAL_LABEL), None, c.number(trueup.posted_usd, st.TOTAL),
               c.number(trueup.charged_back, st.TOTAL), c.number(trueup.change_usd, st.TOTAL)])
