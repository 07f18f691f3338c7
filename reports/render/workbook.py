"""The Excel workbook: the audit record and accounting import, streamed with openpyxl.

The whole workbook is written in openpyxl's write-only mode, so memory stays flat however
many line items the month has. Every cell is built here explicitly:

* text (anything that may have come from the API) is always a string cell, never a
  formula, whatever its first character; control characters Excel cannot store are
  replaced, and text starting with a formula trigger also gets Excel's quote prefix so
  that editing the cell in Excel keeps it text;
* amounts are numeric cells with a number format. ``Decimal`` values are written with
  their exact decimal digits in the file (openpyxl would print them with ``%.16g``), so
  the XML holds exactly the API's amount; Excel itself reads them as doubles;
* totals are values computed in Python, never formulas.

A table longer than ``max_rows_per_sheet`` (header included) continues on sheets named
``"<name> (2)"``, ``"<name> (3)"``... with the header repeated; Run Info says so.
"""

from __future__ import annotations

import pathlib
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from reports.models import JournalLine, Report, TokenCounts
from reports.money import ZERO
from reports.render import excel_styles as st

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CELL_TEXT = 32_767
DEMO_BANNER = "DEMO — simulated organization, not real spend"
USAGE_NOT_AVAILABLE = "Usage data was not available for this month."
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

SHEET_SUMMARY = "Summary"
SHEET_WORKSPACES = "Workspaces"
SHEET_LINE_ITEMS = "Line Items"
SHEET_USAGE = "Usage"
SHEET_JOURNAL = "Journal"
SHEET_RECONCILIATION = "Reconciliation"
SHEET_RUN_INFO = "Run Info"
SHEET_RESTATEMENT = "Restatement"
SHEET_ADJUSTMENT = "Adjustment Journal"
RESTATEMENT_HEADERS = ("Cost Center", "Name", "Sealed", "Restated", "Difference")

SUMMARY_HEADERS = (
    "Cost Center", "Name", "Direct", "Shared", "Total", "Budget", "Variance", "% of Total",
    "Prior Month", "Change",
)
TOKEN_HEADERS = (
    "Uncached Input", "Cache Write 5m", "Cache Write 1h", "Cache Read", "Output", "Web Searches",
)
WORKSPACE_HEADERS = (
    ("Workspace ID", "Workspace", "Cost Center", "Amount (USD)")
    + TOKEN_HEADERS
    + ("Cache Hit Rate", "Prior Month (USD)", "Archived", "Unmapped")
)
LINE_ITEM_HEADERS = (
    "Date", "Workspace ID", "Workspace", "Cost Center", "Description", "Cost Type", "Model",
    "Token Type", "Service Tier", "Context Window", "Amount (cents)", "Amount (USD)",
)
USAGE_HEADERS = (
    ("Workspace ID", "Workspace", "API Key ID", "API Key", "Model", "Service Tier")
    + TOKEN_HEADERS
)
JOURNAL_HEADERS = (
    "Journal ID", "Date", "Period", "Account", "Cost Center", "Cost Center Name", "Debit",
    "Credit", "Memo", "External ID",
)
CHECK_HEADERS = ("Check", "Expected", "Actual", "Status", "Detail")
UNMAPPED_HEADERS = ("Workspace ID", "Workspace", "Amount (USD)", "Taken By")


@dataclass(frozen=True)
class _Column:
    header: str
    style: str  # one of the excel_styles names; decides how the value is written
    width: float


# ---------------------------------------------------------------- cells


def _sanitize(text: str) -> str:
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)
    if len(text) > EXCEL_MAX_CELL_TEXT:
        text = text[: EXCEL_MAX_CELL_TEXT - 1] + "…"
    return text


class _Cells:
    """Builds write-only cells for one sheet; the only place values become cells."""

    def __init__(self, ws: WriteOnlyWorksheet):
        self.ws = ws
        self._styles: dict[str, Any] = {}

    def _style(self, cell: Cell, name: str) -> None:
        # Same effect as ``cell.style = name``, without a named-style lookup per cell
        # (a fifth of the time on a large sheet).
        array = self._styles.get(name)
        if array is None:
            cell.style = name
            self._styles[name] = copy(cell._style)
        else:
            cell._style = copy(array)

    def text(self, value: object, style: str = st.TEXT) -> Cell | None:
        if value is None:
            return None
        text = _sanitize(str(value))
        cell = WriteOnlyCell(self.ws)
        if not text:
            # A styled blank: an empty inline string is not valid SpreadsheetML.
            cell.data_type = "n"
            self._style(cell, style)
            return cell
        # Set the value directly and pin the type: Cell.value would make "=..." a formula.
        cell._value = text
        cell.data_type = "s"
        self._style(cell, style)
        if text.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True
        return cell

    def number(self, value: Decimal | int | float | None, style: str) -> Cell | None:
        if value is None:
            return None
        cell = WriteOnlyCell(self.ws)
        if isinstance(value, Decimal):
            if not value.is_finite():
                raise ValueError(f"cannot write non-finite amount {value!r}")
            # openpyxl writes numbers with "%.16g"; a Decimal keeps its exact digits instead.
            cell._value = format(value, "f")
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"not a number: {value!r}")
        else:
            cell._value = value
        cell.data_type = "n"
        self._style(cell, style)
        return cell

    def ratio(self, value: Decimal | None, style: str = st.PERCENT) -> Cell | None:
        # A derived ratio, not money: a double is the honest representation.
        return None if value is None else self.number(float(value), style)

    def day(self, value: date | datetime | None) -> Cell | None:
        if value is None:
            return None
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        cell = WriteOnlyCell(self.ws, value=value)
        self._style(cell, st.DATE)
        return cell

    def cell(self, value: Any, style: str) -> Cell | None:
        """A value written according to its column's style."""
        if value is None:
            return None
        if style == st.DATE:
            return self.day(value)
        if style in (st.PERCENT, st.TOTAL_PERCENT):
            return self.ratio(value, style)
        if style in (st.MONEY, st.EXACT, st.CENTS, st.INTEGER, st.TOTAL):
            return self.number(value, style)
        return self.text(value, style)

    def header_row(self, headers: Iterable[str]) -> list[Cell | None]:
        return [self.text(header, st.HEADER) for header in headers]


def _set_widths(ws: WriteOnlyWorksheet, widths: Sequence[float]) -> None:
    # Write-only sheets need column widths before the first row.
    for index, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(index)].width = width


# ---------------------------------------------------------------- tables


class _Writer:
    def __init__(self, report: Report, max_rows_per_sheet: int):
        if max_rows_per_sheet < 2:
            raise ValueError("max_rows_per_sheet must allow a header and at least one row")
        self.report = report
        self.max_rows = min(max_rows_per_sheet, EXCEL_MAX_ROWS)
        self.wb = Workbook(write_only=True)
        st.register(self.wb)
        self.split_notes: list[str] = []

    def sheet(self, title: str, widths: Sequence[float]) -> tuple[WriteOnlyWorksheet, _Cells]:
        ws = self.wb.create_sheet(title)
        _set_widths(ws, widths)
        return ws, _Cells(ws)

    def table(self, title: str, columns: Sequence[_Column], rows: Iterable[Sequence[Any]],
              *, empty_note: str | None = None) -> None:
        """Write a header + rows table, continuing on numbered sheets past the row limit."""
        per_sheet = self.max_rows - 1
        titles: list[str] = []
        total_rows = 0
        ws: WriteOnlyWorksheet | None = None
        cells: _Cells | None = None
        written = 0
        last_col = get_column_letter(len(columns))

        def open_sheet() -> None:
            nonlocal ws, cells, written
            if ws is not None:
                ws.auto_filter.ref = f"A1:{last_col}{written + 1}"
            name = title if not titles else f"{title} ({len(titles) + 1})"
            titles.append(name)
            ws, cells = self.sheet(name, [column.width for column in columns])
            ws.freeze_panes = "A2"
            ws.append(cells.header_row(column.header for column in columns))
            written = 0

        open_sheet()
        for row in rows:
            if written == per_sheet:
                open_sheet()
            assert ws is not None and cells is not None
            ws.append([cells.cell(value, column.style) for value, column in zip(row, columns)])
            written += 1
            total_rows += 1
        assert ws is not None and cells is not None
        if total_rows == 0 and empty_note is not None:
            ws.append([cells.text(empty_note)])
        else:
            ws.auto_filter.ref = f"A1:{last_col}{written + 1}"
        if len(titles) > 1:
            self.split_notes.append(
                f"{title} has {total_rows:,} rows, more than the {per_sheet:,} that fit on one "
                f"sheet with its header; continued on {', '.join(titles[1:])}."
            )

    # ------------------------------------------------------------ sheets

    def summary(self) -> None:
        report = self.report
        widths = (16, 30, 14, 14, 14, 14, 14, 11, 14, 14)
        ws, c = self.sheet(SHEET_SUMMARY, widths)
        title = f"Claude API chargeback — {report.month.label}"
        header_row = 8 + (1 if report.run_info.demo else 0)
        # Sheet views go out with the first row in write-only mode: freeze first.
        ws.freeze_panes = f"A{header_row + 1}"
        if report.run_info.demo:
            ws.append([c.text(DEMO_BANNER, st.DEMO)] + [c.text("", st.DEMO) for _ in range(3)])
        ws.append([c.text(title, st.TITLE)])
        ws.append([c.text("Month", st.LABEL), c.text(report.month.label)])
        ws.append([c.text("Period", st.LABEL), c.text(str(report.month))])
        ws.append([c.text("Organization", st.LABEL), c.text(report.organization)])
        ws.append([c.text("Grand Total (USD)", st.LABEL), c.number(report.total, st.MONEY)])
        ws.append([c.text("Prior Month (USD)", st.LABEL), c.number(report.prior_total, st.MONEY)])
        ws.append([])
        ws.append(c.header_row(SUMMARY_HEADERS))
        for line in report.cost_centers:
            ws.append([
                c.text(line.code), c.text(line.name),
                c.number(line.direct, st.MONEY), c.number(line.shared, st.MONEY),
                c.number(line.total, st.MONEY), c.number(line.budget, st.MONEY),
                c.number(line.variance, st.MONEY), c.ratio(line.share_of_total),
                c.number(line.prior_total, st.MONEY), c.number(line.change, st.MONEY),
            ])
        ws.auto_filter.ref = f"A{header_row}:J{header_row + len(report.cost_centers)}"

        lines = report.cost_centers

        def total_of(values: list[Decimal | None]) -> Decimal | None:
            present = [value for value in values if value is not None]
            return sum(present, ZERO) if present else None

        ws.append([
            c.text("Total", st.TOTAL_LABEL), c.text("", st.TOTAL_LABEL),
            c.number(total_of([line.direct for line in lines]), st.TOTAL),
            c.number(total_of([line.shared for line in lines]), st.TOTAL),
            c.number(total_of([line.total for line in lines]), st.TOTAL),
            c.number(total_of([line.budget for line in lines]), st.TOTAL),
            c.number(total_of([line.variance for line in lines]), st.TOTAL),
            c.ratio(total_of([line.share_of_total for line in lines]), st.TOTAL_PERCENT),
            c.number(total_of([line.prior_total for line in lines]), st.TOTAL),
            c.number(total_of([line.change for line in lines]), st.TOTAL),
        ])

    def workspaces(self) -> None:
        columns = (
            [_Column("Workspace ID", st.TEXT, 30), _Column("Workspace", st.TEXT, 30),
             _Column("Cost Center", st.TEXT, 34), _Column("Amount (USD)", st.MONEY, 14)]
            + [_Column(header, st.INTEGER, 15) for header in TOKEN_HEADERS]
            + [_Column("Cache Hit Rate", st.PERCENT, 11),
               _Column("Prior Month (USD)", st.MONEY, 14),
               _Column("Archived", st.TEXT, 10), _Column("Unmapped", st.TEXT, 10)]
        )
        rows = (
            (line.workspace_id or "", line.name, line.cost_center, line.amount,
             *_tokens(line.tokens), line.cache_hit_rate, line.prior_amount,
             "Yes" if line.archived else "", "Yes" if line.unmapped else "")
            for line in self.report.workspaces
        )
        self.table(SHEET_WORKSPACES, columns, rows)

    def line_items(self) -> None:
        columns = (
            _Column("Date", st.DATE, 12), _Column("Workspace ID", st.TEXT, 30),
            _Column("Workspace", st.TEXT, 28), _Column("Cost Center", st.TEXT, 20),
            _Column("Description", st.TEXT, 40), _Column("Cost Type", st.TEXT, 14),
            _Column("Model", st.TEXT, 28), _Column("Token Type", st.TEXT, 24),
            _Column("Service Tier", st.TEXT, 12), _Column("Context Window", st.TEXT, 14),
            _Column("Amount (cents)", st.CENTS, 16), _Column("Amount (USD)", st.MONEY, 14),
        )
        rows = (
            (item.day, item.workspace_id or "", item.workspace_name, item.cost_center,
             item.description, item.cost_type, item.model, item.token_type, item.service_tier,
             item.context_window, item.amount_cents, item.amount)
            for item in self.report.line_items
        )
        self.table(SHEET_LINE_ITEMS, columns, rows)

    def usage(self) -> None:
        columns = (
            [_Column("Workspace ID", st.TEXT, 30), _Column("Workspace", st.TEXT, 28),
             _Column("API Key ID", st.TEXT, 30), _Column("API Key", st.TEXT, 28),
             _Column("Model", st.TEXT, 28), _Column("Service Tier", st.TEXT, 12)]
            + [_Column(header, st.INTEGER, 15) for header in TOKEN_HEADERS]
        )
        if not self.report.usage_available:
            self.table(SHEET_USAGE, columns, (), empty_note=USAGE_NOT_AVAILABLE)
            return
        rows = (
            (line.workspace_id or "", line.workspace_name, line.api_key_id or "",
             line.api_key_name, line.model, line.service_tier, *_tokens(line.tokens))
            for line in self.report.usage
        )
        self.table(SHEET_USAGE, columns, rows)

    def journal(self, title: str = SHEET_JOURNAL, lines: Sequence[JournalLine] | None = None) -> None:
        columns = (
            _Column("Journal ID", st.TEXT, 14), _Column("Date", st.DATE, 12),
            _Column("Period", st.TEXT, 10), _Column("Account", st.TEXT, 10),
            _Column("Cost Center", st.TEXT, 14), _Column("Cost Center Name", st.TEXT, 28),
            _Column("Debit", st.MONEY, 14), _Column("Credit", st.MONEY, 14),
            _Column("Memo", st.TEXT, 34), _Column("External ID", st.TEXT, 24),
        )
        rows = (
            (line.journal_id, line.day, line.period, line.account, line.cost_center,
             line.cost_center_name, line.debit, line.credit, line.memo, line.external_id)
            for line in (self.report.journal if lines is None else lines)
        )
        self.table(title, columns, rows)  # no note row when empty: an import would read it as a line

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
        ws.append([])
        ws.append(c.header_row(RESTATEMENT_HEADERS))
        for line in restatement.lines:
            ws.append([c.text(line.code), c.text(line.name), c.number(line.sealed, st.MONEY),
                       c.number(line.restated, st.MONEY), c.number(line.difference, st.MONEY)])
        ws.append([c.text("Total", st.TOTAL_LABEL), c.text("", st.TOTAL_LABEL),
                   c.number(restatement.sealed_total, st.TOTAL), c.number(restatement.restated_total, st.TOTAL),
                   c.number(restatement.difference, st.TOTAL)])

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
                c.text(check.name), c.text(check.expected), c.text(check.actual),
                c.text(check.status, st.STATUS_STYLES.get(check.status, st.TEXT)),
                c.text(check.detail),
            ])
        ws.append([])
        ws.append([c.text("Unmapped workspaces", st.LABEL)])
        ws.append(c.header_row(UNMAPPED_HEADERS))
        if not rec.unmapped:
            ws.append([c.text("None")])
        for unmapped in rec.unmapped:
            ws.append([c.text(unmapped.workspace_id), c.text(unmapped.name),
                       c.number(unmapped.amount, st.MONEY), c.text(unmapped.taken_by)])

    def run_info(self) -> None:
        info = self.report.run_info
        ws, c = self.sheet(SHEET_RUN_INFO, (22, 100))
        if info.demo:
            ws.append([c.text(DEMO_BANNER, st.DEMO), c.text("", st.DEMO)])
        ws.append(c.header_row(("Field", "Value")))
        rows: list[tuple[str, str]] = [
            ("Run ID", info.run_id),
            ("Generated At", _iso_utc(info.generated_at)),
            ("Tool Version", info.tool_version),
            ("Source", info.source),
            ("Config SHA-256", info.config_sha256),
            ("Data Fetched At",
             _iso_utc(info.data_fetched_at) if info.data_fetched_at else "unknown"),
            ("Month", str(self.report.month)),
            ("Organization", self.report.organization),
        ]
        rows += [("Note", note) for note in info.notes]
        rows += [("Note", note) for note in self.split_notes]
        for key, value in rows:
            ws.append([c.text(key, st.LABEL), c.text(value)])

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
        self.wb.save(path)


def _tokens(tokens: TokenCounts) -> tuple[int, ...]:
    return (tokens.uncached_input, tokens.cache_write_5m, tokens.cache_write_1h,
            tokens.cache_read, tokens.output, tokens.web_searches)


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _iso_utc(moment: datetime) -> str:
    return _naive_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_workbook(report: Report, path: pathlib.Path, *,
                   max_rows_per_sheet: int = EXCEL_MAX_ROWS) -> None:
    """Write the chargeback workbook for ``report`` to exactly ``path``.

    Sheets, in order: Summary, [Restatement], Workspaces, Line Items, Usage, Journal,
    [Adjustment Journal], Reconciliation, Run Info (the bracketed ones for a restated month; plus continuation sheets such as "Line Items (2)" right after a table that
    exceeds ``max_rows_per_sheet`` rows, header included).
    """
    writer = _Writer(report, max_rows_per_sheet)
    writer.summary()
    writer.restatement()
    writer.workspaces()
    writer.line_items()
    writer.usage()
    writer.journal()
    if report.restatement is not None:
        writer.journal(SHEET_ADJUSTMENT, report.restatement.adjustment_journal)
    writer.reconciliation()
    writer.run_info()
    writer.save(pathlib.Path(path))


__all__ = ["write_workbook", "DEMO_BANNER", "USAGE_NOT_AVAILABLE"]
