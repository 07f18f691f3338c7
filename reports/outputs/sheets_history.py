"""The workbook's sheets of the past: the History table and a restated month's Restatement."""

from __future__ import annotations

from openpyxl.utils import get_column_letter

from reports.core.report import Report
from reports.outputs import excel_styles as st
from reports.outputs.xlsx import Book

SHEET_RESTATEMENT = "Restatement"
SHEET_ADJUSTMENT = "Adjustment Journal"
SHEET_HISTORY = "History"
HISTORY_HEADERS = ("Month", "Status", "Total")  # then one column per cost center code (SPEC)
HISTORY_YEAR_ROWS = ("Year to Date", "Budget to Date", "Variance")
RESTATEMENT_HEADERS = ("Cost Center", "Name", "Sealed", "Restated", "Difference")


class HistorySheets(Book):
    """The Restatement and History sheets, laid out on the book of the workbook's writer."""

    report: Report

    def restatement(self) -> None:
        """Sealed against restated debits per cost center (only for a restated month)."""
        restatement = self.report.restatement
        if restatement is None:
            return
        ws, c = self.sheet(SHEET_RESTATEMENT, (16, 30, 16, 16, 16))
        ws.freeze_panes = "A7"
        ws.append([c.text(f"Restatement {restatement.label} — {self.report.month.label}", st.TITLE)])
        ws.append([c.text("Sealed run", st.LABEL), c.text(restatement.sealed_run_id)])
        ws.append([c.text("Sealed at (UTC)", st.LABEL), c.text(restatement.sealed_at)])
        ws.append([c.text("Post", st.LABEL), c.text("only the Adjustment Journal; the sealed journal stays as posted")])
        # R2 and later compare with what is posted (sealed plus the earlier adjustments), and say so in the header.
        earlier = restatement.earlier
        ws.append([c.text("Compared with", st.LABEL), c.text(
            f"the sealed journal plus the adjustments of {', '.join(earlier)} (what is posted)" if earlier
            else "the sealed journal (what is posted)")])
        ws.append(c.header_row(RESTATEMENT_HEADERS if not earlier else
                               ("Cost Center", "Name", "Posted", "Restated", "Difference")))
        for line in restatement.lines:
            ws.append([c.text(line.code), c.text(line.name), c.number(line.posted, st.MONEY),
                       c.number(line.restated, st.MONEY), c.number(line.difference, st.MONEY)])
        ws.append([c.text("Total", st.TOTAL_LABEL), c.text("", st.TOTAL_LABEL),
                   c.number(restatement.posted_before, st.TOTAL), c.number(restatement.restated_total, st.TOTAL),
                   c.number(restatement.difference, st.TOTAL)])

    def history(self) -> None:
        """The trailing twelve months as posted, then the fiscal year to date against budget, then the notes."""
        history = self.report.history
        if history is None:
            return
        codes = history.codes
        # each cost center's column is headed by its code and its name (the header wraps)
        headers = tuple(f"{code} {history.names[code]}" if history.names.get(code, code) != code else code
                        for code in codes)
        ws, c = self.sheet(SHEET_HISTORY, (15, 18, 15) + tuple(
            max(12.0, len(code) + 4.0, min(22.0, len(history.names.get(code, "")) + 2.0)) for code in codes))
        ws.freeze_panes = "D2"
        ws.print_title_rows = "1:1"
        ws.append(c.header_row(HISTORY_HEADERS + headers))
        for row in history.rows:
            money = self.currency_style(row.currency, st.MONEY)
            # a gap's amounts are blank cells, never 0; a cost center a month did not know is blank too
            ws.append([c.text(str(row.month)), c.text(row.status), c.number(row.total, money)]
                      + [c.number(row.amount(code), money) for code in codes])
        ws.auto_filter.ref = f"A1:{get_column_letter(len(HISTORY_HEADERS) + len(codes))}{len(history.rows) + 1}"
        total = self.currency_style(history.currency, st.TOTAL)
        by_code = {line.code: line for line in history.lines}
        year = history.months_posted  # Year to Date, Budget to Date and Variance count the same months
        for label, overall, of_line in (
                (HISTORY_YEAR_ROWS[0], history.year_to_date, lambda line: line.year_to_date),
                (HISTORY_YEAR_ROWS[1], history.budget_to_date, lambda line: line.budget_to_date),
                (HISTORY_YEAR_ROWS[2], history.variance, lambda line: line.variance)):
            ws.append([c.text(label, st.TOTAL_LABEL), c.text(year, st.TOTAL_LABEL), c.number(overall, total)]
                      + [c.number(of_line(by_code[code]), total) for code in codes])
        ws.append([])
        notes = []
        if history.table_currency not in (None, "USD"):
            notes.append(f"Amounts are the posted journals in {history.table_currency}, the ledger's currency.")
        if history.projection_text is not None:
            notes.append(history.projection_text)
        notes.append("Each month is what was posted: a closed month's sealed journal plus its restatements' "
                     "adjustments, a month not closed its latest run's journal; nothing is recomputed.")
        for note in notes + list(history.notes):
            ws.append([c.text("Note", st.LABEL), c.text(note)])

