"""The Excel workbook: the audit record and accounting import, its sheets in order and its Summary.

The sheets are laid out by the ``sheets_*`` modules, mixed into one writer here so that each
reads the report and writes on one book; ``xlsx`` streams them into the file (text is never a
formula, amounts keep their exact digits, see there). Totals are values computed in Python,
never formulas.
"""

from __future__ import annotations

import pathlib
from datetime import UTC, datetime
from decimal import Decimal

from openpyxl.utils import get_column_letter

from reports.core.money import ZERO
from reports.core.report import Report
from reports.outputs import excel_styles as st
from reports.outputs.sheets_groups import SHEET_GROUPS, GroupSheets
from reports.outputs.sheets_history import (
    HISTORY_HEADERS,
    HISTORY_YEAR_ROWS,
    RESTATEMENT_HEADERS,
    SHEET_ADJUSTMENT,
    SHEET_HISTORY,
    SHEET_RESTATEMENT,
    HistorySheets,
)
from reports.outputs.sheets_ledger import (
    CHECK_HEADERS,
    DEMO_BANNER,
    SHEET_JOURNAL,
    SHEET_RECONCILIATION,
    SHEET_RUN_INFO,
    UNMAPPED_ANALYTICS_HEADERS,
    UNMAPPED_HEADERS,
    LedgerSheets,
)
from reports.outputs.sheets_lines import (
    SHEET_API_KEYS,
    SHEET_LINE_ITEMS,
    SHEET_USAGE,
    SHEET_USERS,
    SHEET_WORKSPACES,
    TOKEN_HEADERS,
    USAGE_NOT_AVAILABLE,
    LineSheets,
)
from reports.outputs.xlsx import EXCEL_MAX_CELL_TEXT, EXCEL_MAX_ROWS

SHEET_SUMMARY = "Summary"
SUMMARY_HEADERS = (
    "Cost Center", "Name", "Direct", "Shared", "Total", "Budget", "Variance", "% of Total",
    "Prior Month", "Change",
)
LIST_PRICE_HEADERS = ("List Price", "Discount")  # analytics source only: after the SPEC's columns


class _Writer(LineSheets, GroupSheets, HistorySheets, LedgerSheets):
    """One book for one report: the Summary here, the other sheets from the layouts it mixes in."""

    def __init__(self, report: Report, max_rows_per_sheet: int):
        super().__init__(max_rows_per_sheet)
        self.report = report

    def summary(self) -> None:
        report = self.report
        listed = report.has_list_prices
        ledger = report.journal.ledger
        # A ledger in another currency adds its total and rate above the table and its
        # amounts in a last column; the contract's columns stay as they are.
        in_ledger = None if ledger.is_usd else report.journal.by_cost_center()
        headers = (SUMMARY_HEADERS + (LIST_PRICE_HEADERS if listed else ())
                   + (() if in_ledger is None else (f"Total ({ledger.currency})",)))
        widths = ((20, 30, 14, 14, 14, 14, 14, 11, 14, 14) + ((14, 14) if listed else ())
                  + (() if in_ledger is None else (14,)))
        ws, c = self.sheet(SHEET_SUMMARY, widths)
        title = f"Claude API chargeback — {report.month.label}"
        header_row = 8 + (1 if report.run_info.demo else 0) + (0 if in_ledger is None else 2)
        # Sheet views go out with the first row in write-only mode: freeze first.
        ws.freeze_panes = f"A{header_row + 1}"
        ws.print_title_rows = f"{header_row}:{header_row}"
        if report.run_info.demo:
            ws.append([c.text(DEMO_BANNER, st.DEMO)] + [c.text("", st.DEMO) for _ in range(3)])
        ws.append([c.text(title, st.TITLE)])
        ws.append([c.text("Month", st.LABEL), c.text(report.month.label)])
        ws.append([c.text("Period", st.LABEL), c.text(str(report.month))])
        ws.append([c.text("Organization", st.LABEL), c.text(report.organization)])
        ws.append([c.text("Grand Total (USD)", st.LABEL), c.number(report.total, st.MONEY)])
        if in_ledger is not None:
            ws.append([c.text(f"Grand Total ({ledger.currency})", st.LABEL),
                       c.number(report.journal.debits, st.MONEY)])
            ws.append([c.text(f"Exchange Rate ({ledger.currency} per USD)", st.LABEL),
                       c.number(ledger.rate, st.EXACT)])
        ws.append([c.text("Prior Month (USD)", st.LABEL), c.number(report.prior_total, st.MONEY)])
        ws.append([])
        ws.append(c.header_row(headers))
        for line in report.cost_centers:
            ws.append([
                c.text(line.code), c.text(line.name),
                c.number(line.direct, st.MONEY), c.number(line.shared, st.MONEY),
                c.number(line.total, st.MONEY), c.number(line.budget, st.MONEY),
                c.number(line.variance, st.MONEY), c.ratio(line.share_of_total),
                c.number(line.prior_total, st.MONEY), c.number(line.change, st.MONEY),
            ] + ([c.number(line.list_price, st.MONEY), c.number(line.discount, st.MONEY)] if listed else [])
              + ([] if in_ledger is None else [c.number(in_ledger.get(line.code, ZERO), st.MONEY)]))
        last = get_column_letter(len(headers))
        ws.auto_filter.ref = f"A{header_row}:{last}{header_row + len(report.cost_centers)}"

        lines = report.cost_centers

        def total_of(values: list[Decimal | None]) -> Decimal | None:
            present = [value for value in values if value is not None]
            return sum(present, ZERO) if present else None

        # Budgeted and Without a budget, then Total: each Variance is the Total beside it minus the Budget
        # beside it, and Total's spend is the two lines above it (shown when any cost center has a budget).
        budget = report.against_budget
        if budget.has_budgets:
            for part in (budget.budgeted, budget.without_budget):
                ws.append([c.text(part.label, st.LABEL), None, None, None,
                           c.number(part.total, st.MONEY), c.number(part.budget, st.MONEY),
                           c.number(part.variance, st.MONEY)])
        ws.append([
            c.text(budget.total.label, st.TOTAL_LABEL), c.text("", st.TOTAL_LABEL),
            c.number(total_of([line.direct for line in lines]), st.TOTAL),
            c.number(total_of([line.shared for line in lines]), st.TOTAL),
            c.number(budget.total.total, st.TOTAL),
            c.number(budget.total.budget, st.TOTAL),
            c.number(budget.total.variance, st.TOTAL),
            c.ratio(total_of([line.share_of_total for line in lines]), st.TOTAL_PERCENT),
            c.number(total_of([line.prior_total for line in lines]), st.TOTAL),
            c.number(total_of([line.change for line in lines]), st.TOTAL),
        ] + ([c.number(total_of([line.list_price for line in lines]), st.TOTAL),
              c.number(total_of([line.discount for line in lines]), st.TOTAL)] if listed else [])
          + ([] if in_ledger is None else [c.number(sum(in_ledger.values(), ZERO), st.TOTAL)]))
        self._by_product(ws, c)

    def _by_product(self, ws, c) -> None:
        """Spend by product below the cost centers (analytics source): exact amounts, as Spend by model in the PDF."""
        products = self.report.drivers.by_product
        if not products:
            return
        total = sum((amount.amount for amount in products), ZERO)
        ws.append([])
        ws.append([c.text("By product", st.LABEL)])
        ws.append(c.header_row(("Product", "", "Amount (USD)", "Share")))
        for amount in products:
            ws.append([c.text(amount.label), None, c.number(amount.amount, st.MONEY),
                       c.ratio(amount.amount / total if total else None)])
        ws.append([c.text("Total", st.TOTAL_LABEL), c.text("", st.TOTAL_LABEL), c.number(total, st.TOTAL)])

    def save(self, path: pathlib.Path) -> None:
        report = self.report
        props = self.wb.properties
        props.title = f"Claude API chargeback {report.month}"
        props.subject = f"{report.organization} — {report.month.label}"
        props.creator = "chargeback"
        props.description = f"run {report.run_info.run_id}"
        if report.run_info.demo:
            props.keywords = "DEMO"
        props.created = _naive_utc(report.run_info.generated_at)
        super().save(path)


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def write_workbook(report: Report, path: pathlib.Path, *,
                   max_rows_per_sheet: int = EXCEL_MAX_ROWS) -> None:
    """Write the chargeback workbook for ``report`` to exactly ``path``.

    Sheets, in order: Summary, [Restatement], History, Workspaces, Line Items, [API Keys, Users,
    Groups], Usage, Journal,
    [Adjustment Journal], Reconciliation, Run Info (the bracketed ones for a restated month; plus
    continuation sheets such as "Line Items (2)" right after a table that exceeds
    ``max_rows_per_sheet`` rows, header included).
    """
    writer = _Writer(report, max_rows_per_sheet)
    writer.summary()
    writer.restatement()
    writer.history()
    writer.workspaces()
    writer.line_items()
    if report.has_payers:
        writer.api_keys()
        writer.users()
    writer.groups()  # only with groups: in the config
    writer.usage()
    writer.journal()
    if report.restatement is not None:
        writer.journal(SHEET_ADJUSTMENT, report.restatement.adjustment_journal)
    writer.reconciliation()
    writer.run_info()
    writer.save(pathlib.Path(path))


# the names other modules and tests import from here, wherever they now live
__all__ = [
    "write_workbook", "DEMO_BANNER", "USAGE_NOT_AVAILABLE", "EXCEL_MAX_ROWS", "EXCEL_MAX_CELL_TEXT",
    "SHEET_SUMMARY", "SHEET_WORKSPACES", "SHEET_LINE_ITEMS", "SHEET_USAGE", "SHEET_JOURNAL",
    "SHEET_RECONCILIATION", "SHEET_RUN_INFO", "SHEET_API_KEYS", "SHEET_USERS", "SHEET_RESTATEMENT",
    "SHEET_ADJUSTMENT", "SHEET_HISTORY", "HISTORY_HEADERS", "HISTORY_YEAR_ROWS", "RESTATEMENT_HEADERS",
    "SUMMARY_HEADERS", "TOKEN_HEADERS", "LIST_PRICE_HEADERS", "CHECK_HEADERS", "UNMAPPED_HEADERS",
    "UNMAPPED_ANALYTICS_HEADERS", "SHEET_GROUPS",
]
