"""The workbook's sheets for the books: journal, reconciliation and run info."""

from __future__ import annotations

from decimal import Decimal

from openpyxl.cell import Cell

from reports.core.checks import Figure, FigureKind
from reports.core.journal_entry import Journal
from reports.core.money_text import money_text
from reports.core.months import rfc3339
from reports.core.report import Report
from reports.outputs import excel_styles as st
from reports.outputs.journals.generic import DATE, MONEY, RATE, TEXT
from reports.outputs.journals.generic import columns as journal_columns
from reports.outputs.xlsx import Book, Cells, Column

DEMO_BANNER = "DEMO — simulated organization, not real spend"

SHEET_JOURNAL = "Journal"
SHEET_RECONCILIATION = "Reconciliation"
SHEET_RUN_INFO = "Run Info"
CHECK_HEADERS = ("Check", "Expected", "Actual", "Status", "Detail")
UNMAPPED_HEADERS = ("Workspace ID", "Workspace", "Amount (USD)", "Taken By")
UNMAPPED_ANALYTICS_HEADERS = ("Workspace ID", "Workspace", "API Key", "Actor", "Amount (USD)", "Taken By")

_JOURNAL_STYLES = {TEXT: st.TEXT, DATE: st.DATE, MONEY: st.MONEY, RATE: st.EXACT}


class LedgerSheets(Book):
    """The journal, reconciliation and run info sheets, laid out on the book of the workbook's writer."""

    report: Report

    def journal(self, title: str = SHEET_JOURNAL, journal: Journal | None = None) -> None:
        journal = self.report.journal if journal is None else journal
        definition = journal_columns(journal)  # the same columns as the journal CSV
        columns = [Column(column.header, _JOURNAL_STYLES[column.kind], column.width) for column in definition]
        self.table(title, columns, journal.lines, lambda line: [column.value(line) for column in definition])
        # no note row when empty: an import would read it as a line

    def reconciliation(self) -> None:
        rec = self.report.reconciliation
        ws, c = self.sheet(SHEET_RECONCILIATION, (38, 22, 22, 10, 60))
        ws.append([c.text(f"Reconciliation — {self.report.month.label}", st.TITLE)])
        ws.append([])
        ws.append(c.header_row(("Item", "Value")))
        totals: list[tuple[str, Decimal | int, str]] = [
            ("Source total (cents, exact)", rec.source_total_cents, st.CENTS),
            ("Source total (USD, exact)", rec.source_total, st.EXACT),
            ("Allocated total (USD, exact)", rec.allocated_total, st.EXACT),
            ("Rounded total (USD)", rec.rounded_total, st.MONEY),
            ("Journal debits (USD)", rec.journal_debits, st.MONEY),
            ("Journal credits (USD)", rec.journal_credits, st.MONEY),
            ("Rounding difference (USD)", rec.rounding_difference, st.EXACT),
            ("Line item count", rec.line_item_count, st.INTEGER),
        ]
        for label, value, style in totals:
            ws.append([c.text(label, st.LABEL), c.number(value, style)])
        ws.append([])
        ws.append(c.header_row(CHECK_HEADERS))
        for check in rec.checks:
            ws.append([
                c.text(check.name), self._figure(c, check.expected), self._figure(c, check.actual),
                c.text(check.status, st.STATUS_STYLES.get(check.status, st.TEXT)),
                c.text(check.detail),
            ])
        ws.append([])
        analytics = self.report.has_attribution_columns
        ws.append([c.text("Unmapped spend" if analytics else "Unmapped workspaces", st.LABEL)])
        ws.append(c.header_row(UNMAPPED_ANALYTICS_HEADERS if analytics else UNMAPPED_HEADERS))
        if not rec.unmapped:
            ws.append([c.text("None")])
        for unmapped in rec.unmapped:
            who = [c.text(unmapped.api_key), c.text(unmapped.actor)] if analytics else []
            ws.append([c.text(unmapped.workspace_id), c.text(unmapped.name), *who,
                       c.number(unmapped.amount, st.MONEY), c.text(unmapped.taken_by)])

    def _figure(self, c: Cells, value: str | Figure) -> Cell | None:
        """A check's amount as a number with its format (money, exact cents or dollars); words as text."""
        if not isinstance(value, Figure):
            return c.text(value)
        style = {FigureKind.CENTS: st.CENTS, FigureKind.EXACT: st.EXACT}.get(value.kind)
        return c.number(value.value, style or self.currency_style(value.currency, st.MONEY))

    def run_info(self) -> None:
        info = self.report.run_info
        ws, c = self.sheet(SHEET_RUN_INFO, (22, 100))
        ws.print_title_rows = "2:2" if info.demo else "1:1"  # the Field / Value header on every page
        if info.demo:
            ws.append([c.text(DEMO_BANNER, st.DEMO), c.text("", st.DEMO)])
        ws.append(c.header_row(("Field", "Value")))
        rows: list[tuple[str, str]] = [
            ("Run ID", info.run_id),
            ("Generated At", rfc3339(info.generated_at)),
            ("Tool Version", info.tool_version),
            ("Source", info.source),
            ("Config SHA-256", info.config_sha256),
            *([("Directory File", info.directory_file or ""), ("Directory SHA-256", info.directory_sha256)]
              if info.directory_sha256 else []),
            ("Data Source", f"{self.report.source_title} ({info.data_source})"),
            ("Data Fetched At",
             rfc3339(info.data_fetched_at) if info.data_fetched_at else "unknown"),
            ("Month", str(self.report.month)),
            ("Organization", self.report.organization),
            *_ledger_rows(self.report),
        ]
        if info.replaces is not None:
            replaced = info.replaces
            when = f", generated {replaced.generated_at}" if replaced.generated_at else ""
            rows += [("Replaces Run", f"{replaced.run_id}{when}; its manifest and journals are kept in "
                                      f"{replaced.folder}"),
                     ("Change From Replaced Run", replaced.text)]
        if self.report.has_refresh_time:
            rows.append(("Data Refreshed At",
                         rfc3339(info.data_refreshed_at) if info.data_refreshed_at else "not given by the API"))
        rows += [("Note", note) for note in info.notes]
        rows += [("Note", note) for note in self.split_notes]
        for key, value in rows:
            ws.append([c.text(key, st.LABEL), c.text(value)])


def _ledger_rows(report: Report) -> list[tuple[str, str]]:
    ledger = report.journal.ledger
    if ledger.is_usd:
        return [("Ledger Currency", "USD (the journal is in USD; no conversion)")]
    return [("Ledger Currency", ledger.currency),
            ("Exchange Rate", f"{ledger.rate} {ledger.currency} per 1 USD for {report.month} (journal.exchange_rates); "
                              f"journal total {money_text(report.journal.debits, ledger.currency)} = USD "
                              f"{report.reconciliation.source_total} × {ledger.rate}, rounded half-up")]
