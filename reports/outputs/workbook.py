"""The Excel workbook: the audit record and accounting import, streamed with openpyxl.

The whole workbook is written in openpyxl's write-only mode, so memory stays flat however
many line items the month has; the rows of the tables (Line Items above all) are streamed as
SpreadsheetML text straight into the saved file, cell for cell what openpyxl would write,
because building an openpyxl cell per value cost several times the rest of the run. Every
cell is built here explicitly:

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

import math
import pathlib
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.compat import safe_string
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from reports.core.money import ZERO
from reports.core.money_text import money_text
from reports.core.months import rfc3339
from reports.core.records import TokenCounts
from reports.core.report import Journal, PayerLine, Report
from reports.outputs import excel_styles as st
from reports.outputs.atomic import replacing
from reports.outputs.inert import looks_like_formula, visible
from reports.outputs.journals.generic import DATE, MONEY, RATE, TEXT
from reports.outputs.journals.generic import columns as journal_columns

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CELL_TEXT = 32_767
ZIP_LEVEL = 6  # deflate level of the streamed sheets (openpyxl's own parts keep theirs)
DEMO_BANNER = "DEMO — simulated organization, not real spend"
USAGE_NOT_AVAILABLE = "Usage data was not available for this month."

SHEET_SUMMARY = "Summary"
SHEET_WORKSPACES = "Workspaces"
SHEET_LINE_ITEMS = "Line Items"
SHEET_USAGE = "Usage"
SHEET_JOURNAL = "Journal"
SHEET_RECONCILIATION = "Reconciliation"
SHEET_RUN_INFO = "Run Info"
SHEET_API_KEYS = "API Keys"
SHEET_USERS = "Users"
SHEET_RESTATEMENT = "Restatement"
SHEET_ADJUSTMENT = "Adjustment Journal"
SHEET_HISTORY = "History"
HISTORY_HEADERS = ("Month", "Status", "Total")  # then one column per cost center code (SPEC)
HISTORY_YEAR_ROWS = ("Year to Date", "Budget to Date", "Variance")
RESTATEMENT_HEADERS = ("Cost Center", "Name", "Sealed", "Restated", "Difference")

SUMMARY_HEADERS = (
    "Cost Center", "Name", "Direct", "Shared", "Total", "Budget", "Variance", "% of Total",
    "Prior Month", "Change",
)
TOKEN_HEADERS = (
    "Uncached Input", "Cache Write 5m", "Cache Write 1h", "Cache Read", "Output", "Web Searches",
)
LIST_PRICE_HEADERS = ("List Price", "Discount")  # analytics source only: after the SPEC's columns
CHECK_HEADERS = ("Check", "Expected", "Actual", "Status", "Detail")
UNMAPPED_HEADERS = ("Workspace ID", "Workspace", "Amount (USD)", "Taken By")
UNMAPPED_ANALYTICS_HEADERS = ("Workspace ID", "Workspace", "API Key", "Actor", "Amount (USD)", "Taken By")


_JOURNAL_STYLES = {TEXT: st.TEXT, DATE: st.DATE, MONEY: st.MONEY, RATE: st.EXACT}


@dataclass(frozen=True)
class _Column:
    header: str
    style: str  # one of the excel_styles names; decides how the value is written
    width: float


# ---------------------------------------------------------------- cells


def _sanitize(text: str) -> str:
    text = visible(text)
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
        if looks_like_formula(text):
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
            value = value.astimezone(UTC).replace(tzinfo=None)
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


# ---------------------------------------------------------------- streamed table rows
#
# A table's rows are the bulk of the workbook (a large month has hundreds of thousands of
# Line Items). Building an openpyxl cell and an XML element for each of millions of cells
# costs far more than the data itself, so table rows are written as SpreadsheetML text,
# cell for cell what openpyxl writes for the same cells (inline strings, the same named
# styles, exact Decimal digits, dates as serial numbers), straight into the sheet's part of
# the saved file. openpyxl still writes every sheet's frame (columns, frozen header,
# autofilter), the header rows and the styles.

_ROWS_PER_CHUNK = 2000
_TEXT_CACHE_LIMIT = 200_000  # distinct texts remembered per table (names, descriptions...)
_XML_TEXT_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))  # a bare CR reads back as LF, as before
_NUMBER_STYLES = frozenset({st.MONEY, st.EXACT, st.CENTS, st.INTEGER, st.TOTAL})
_RATIO_STYLES = frozenset({st.PERCENT, st.TOTAL_PERCENT})


def _xml_text(text: str) -> str:
    for raw, escaped in _XML_TEXT_ESCAPES:
        if raw in text:
            text = text.replace(raw, escaped)
    return text


def _style_id(ws: WriteOnlyWorksheet, name: str, quote_prefix: bool = False) -> int:
    """The workbook's index of a named style's cell format (registered if new)."""
    cell = WriteOnlyCell(ws)
    cell.style = name
    if quote_prefix:
        cell.quotePrefix = True
    return cell.style_id


def _encoder(ws: WriteOnlyWorksheet, style: str) -> Callable[[Any], str]:
    """A function from a value to the rest of its ``<c r="..."`` element, for one column."""
    sid = _style_id(ws, style)
    if style == st.DATE:
        epoch = ws.parent.epoch
        dates: dict[Any, str] = {}

        def day(value: Any) -> str:
            found = dates.get(value)
            if found is None:
                moment = value
                if isinstance(moment, datetime) and moment.tzinfo is not None:
                    moment = moment.astimezone(UTC).replace(tzinfo=None)
                found = dates[value] = f'" s="{sid}" t="n"><v>{safe_string(to_excel(moment, epoch))}</v></c>'
            return found
        return day
    if style in _RATIO_STYLES:
        # A derived ratio, not money: a double is the honest representation.
        return lambda value: f'" s="{sid}" t="n"><v>{safe_string(float(value))}</v></c>'
    if style in _NUMBER_STYLES:
        def number(value: Any) -> str:
            if type(value) is Decimal:
                if not value.is_finite():
                    raise ValueError(f"cannot write non-finite amount {value!r}")
                # openpyxl writes numbers with "%.16g"; a Decimal keeps its exact digits instead.
                return f'" s="{sid}" t="n"><v>{value:f}</v></c>'
            if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
                raise TypeError(f"not a number: {value!r}")
            if isinstance(value, Decimal):
                return number(Decimal(value))
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"cannot write non-finite number {value!r}")
            return f'" s="{sid}" t="n"><v>{value if isinstance(value, int) else safe_string(value)}</v></c>'
        return number
    quoted = _style_id(ws, style, quote_prefix=True)
    texts: dict[str, str] = {}

    def text(value: Any) -> str:
        found = texts.get(value) if type(value) is str else None
        if found is None:
            clean = _sanitize(str(value))
            if not clean:
                # A styled blank: an empty inline string is not valid SpreadsheetML.
                found = f'" s="{sid}" t="n"/>'
            else:
                # Always an inline string, never a formula; a formula trigger also gets
                # Excel's quote prefix so that editing the cell keeps it text.
                style_id = quoted if looks_like_formula(clean) else sid
                space = ' xml:space="preserve"' if clean != clean.strip() else ""
                found = f'" s="{style_id}" t="inlineStr"><is><t{space}>{_xml_text(clean)}</t></is></c>'
            if type(value) is str and len(texts) < _TEXT_CACHE_LIMIT:
                texts[value] = found
        return found
    return text


class _TableRows:
    """Rows ``start..stop`` of a table, to be streamed into one sheet from row 2 on."""

    def __init__(self, ws: WriteOnlyWorksheet, columns: Sequence[_Column], items: Sequence[Any],
                 to_row: Callable[[Any], Sequence[Any]], start: int, stop: int,
                 footer: Sequence[tuple[Any, str]] = ()):
        self.ws = ws
        self.items = items
        self.to_row = to_row
        self.start = start
        self.stop = stop
        # style ids are taken now, before the workbook's styles are written
        self.encoders = [(get_column_letter(index), _encoder(ws, column.style))
                         for index, column in enumerate(columns, 1)]
        self.footer = [(get_column_letter(index), _encoder(ws, style), value)
                       for index, (value, style) in enumerate(footer, 1)]

    def chunks(self) -> Iterator[str]:
        encoders, to_row = self.encoders, self.to_row
        items: Iterable[Any] = self.items
        if not (self.start == 0 and self.stop == len(self.items)):
            # a continuation sheet: index into the sequence rather than skip through it
            items = map(self.items.__getitem__, range(self.start, self.stop))
        parts: list[str] = []
        append = parts.append
        number = 1
        for item in items:
            number += 1
            r = str(number)
            append(f'<row r="{r}">')
            for (letter, encode), value in zip(encoders, to_row(item), strict=True):
                if value is not None:
                    append('<c r="' + letter + r + encode(value))
            append("</row>")
            if len(parts) > _ROWS_PER_CHUNK * 8:
                yield "".join(parts)
                parts.clear()
        if self.footer:  # a total row after the last item
            r = str(number + 1)
            append(f'<row r="{r}">')
            for letter, encode, value in self.footer:
                if value is not None:
                    append('<c r="' + letter + r + encode(value))
            append("</row>")
        if parts:
            yield "".join(parts)


def _stream_rows(path: pathlib.Path, tables: list[_TableRows]) -> None:
    """Put each table's rows into its sheet of the saved workbook at ``path``."""
    by_part = {table.ws.path.lstrip("/"): table for table in tables}
    with replacing(path) as stream:
        with zipfile.ZipFile(path) as source, \
                zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as target:
            for info in source.infolist():
                data = source.read(info)
                table = by_part.pop(info.filename, None)
                if table is None:
                    target.writestr(info, data)
                    continue
                head, end, tail = data.partition(b"</sheetData>")
                if not end:
                    raise AssertionError(f"{info.filename} has no sheetData to put rows in")
                part = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                part.compress_type = zipfile.ZIP_DEFLATED
                with target.open(part, "w", force_zip64=True) as out:
                    out.write(head)
                    for chunk in table.chunks():
                        out.write(chunk.encode("utf-8"))
                    out.write(end + tail)
        if by_part:
            raise AssertionError(f"sheets not found in the saved workbook: {sorted(by_part)}")


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
        self.pending: list[_TableRows] = []

    def sheet(self, title: str, widths: Sequence[float]) -> tuple[WriteOnlyWorksheet, _Cells]:
        ws = self.wb.create_sheet(title)
        _set_widths(ws, widths)
        # Printed, every sheet is landscape and one page wide (as many pages long as it needs).
        ws.page_setup.orientation = "landscape"
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        return ws, _Cells(ws)

    def table(self, title: str, columns: Sequence[_Column], items: Sequence[Any],
              to_row: Callable[[Any], Sequence[Any]], *, empty_note: str | None = None,
              footer: Sequence[tuple[Any, str]] = ()) -> None:
        """A header + one row per item (+ a ``footer`` row of (value, style)), continuing on
        numbered sheets past the row limit.

        The header (and an empty table's note) goes through openpyxl like every other
        sheet; the rows are streamed into the saved file afterwards (see ``_TableRows``).
        """
        per_sheet = self.max_rows - 1
        total_rows = len(items)
        last_col = get_column_letter(len(columns))
        sheets = max(1, -(-total_rows // per_sheet))
        titles = [title if number == 0 else f"{title} ({number + 1})" for number in range(sheets)]
        for number, name in enumerate(titles):
            ws, cells = self.sheet(name, [column.width for column in columns])
            ws.freeze_panes = "A2"
            ws.append(cells.header_row(column.header for column in columns))
            start, stop = number * per_sheet, min(total_rows, (number + 1) * per_sheet)
            if total_rows == 0 and empty_note is not None:
                ws.append([cells.text(empty_note)])
                continue
            last = number == len(titles) - 1
            if total_rows == 0 and footer:
                ws.append([cells.cell(value, style) for value, style in footer])
                continue
            ws.auto_filter.ref = f"A1:{last_col}{stop - start + 1}"
            if stop > start:
                self.pending.append(_TableRows(ws, columns, items, to_row, start, stop, footer if last else ()))
        if len(titles) > 1:
            self.split_notes.append(
                f"{title} has {total_rows:,} rows, more than the {per_sheet:,} that fit on one "
                f"sheet with its header; continued on {', '.join(titles[1:])}."
            )

    # ------------------------------------------------------------ sheets

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
        ] + ([c.number(total_of([line.list_price for line in lines]), st.TOTAL),
              c.number(total_of([line.discount for line in lines]), st.TOTAL)] if listed else [])
          + ([] if in_ledger is None else [c.number(sum(in_ledger.values(), ZERO), st.TOTAL)]))

    def workspaces(self) -> None:
        columns = (
            [_Column("Workspace ID", st.TEXT, 30), _Column("Workspace", st.TEXT, 30),
             _Column("Cost Center", st.TEXT, 34), _Column("Amount (USD)", st.MONEY, 14)]
            + [_Column(header, st.INTEGER, 15) for header in TOKEN_HEADERS]
            + [_Column("Cache Hit Rate", st.PERCENT, 11),
               _Column("Prior Month (USD)", st.MONEY, 14),
               _Column("Archived", st.TEXT, 10), _Column("Unmapped", st.TEXT, 10)]
        )
        self.table(SHEET_WORKSPACES, columns, self.report.workspaces, lambda line: (
            line.workspace_id or "", line.name, line.cost_center, line.amount,
            *_tokens(line.tokens), line.cache_hit_rate, line.prior_amount,
            "Yes" if line.archived else "", "Yes" if line.unmapped else ""))

    def line_items(self) -> None:
        if self.report.has_attribution_columns:
            self._analytics_line_items()
            return
        columns = (
            _Column("Date", st.DATE, 12), _Column("Workspace ID", st.TEXT, 30),
            _Column("Workspace", st.TEXT, 28), _Column("Cost Center", st.TEXT, 20),
            _Column("Description", st.TEXT, 40), _Column("Cost Type", st.TEXT, 14),
            _Column("Model", st.TEXT, 28), _Column("Token Type", st.TEXT, 24),
            _Column("Service Tier", st.TEXT, 12), _Column("Context Window", st.TEXT, 14),
            _Column("Amount (cents)", st.CENTS, 16), _Column("Amount (USD)", st.MONEY, 14),
        )
        self.table(SHEET_LINE_ITEMS, columns, self.report.line_items, lambda item: (
            item.day, item.workspace_id or "", item.workspace_name, item.cost_center,
            item.description, item.cost_type, item.model, item.token_type, item.service_tier,
            item.context_window, item.amount_cents, item.amount))

    def _analytics_line_items(self) -> None:
        """The SPEC's analytics columns: one row per cost row, with its key, actor and list amount."""
        columns = (
            _Column("Date", st.DATE, 12), _Column("Workspace ID", st.TEXT, 30),
            _Column("Workspace", st.TEXT, 28), _Column("API Key ID", st.TEXT, 30),
            _Column("API Key", st.TEXT, 26), _Column("Actor", st.TEXT, 30),
            _Column("Cost Center", st.TEXT, 20), _Column("Cost Type", st.TEXT, 14),
            _Column("Model", st.TEXT, 26), _Column("Token Type", st.TEXT, 24),
            _Column("Service Tier", st.TEXT, 12), _Column("Context Window", st.TEXT, 14),
            _Column("Amount (cents)", st.CENTS, 16), _Column("List Amount (cents)", st.CENTS, 18),
            _Column("Amount (USD)", st.MONEY, 14),
        )
        self.table(SHEET_LINE_ITEMS, columns, self.report.line_items, lambda item: (
            item.day, item.workspace_id or "", item.workspace_name, item.api_key_id or "", item.api_key_name,
            item.actor, item.cost_center, item.cost_type, item.model, item.token_type, item.service_tier,
            item.context_window, item.amount_cents, item.list_amount_cents, item.amount))

    def payers(self, title: str, lines: Sequence[PayerLine], first: Sequence[_Column],
               to_row: Callable[[PayerLine], Sequence[Any]]) -> None:
        """API Keys / Users: one row per key or actor and a Total row (the spend they attribute)."""
        columns = tuple(first) + (_Column("Cost Center", st.TEXT, 26), _Column("Amount (USD)", st.MONEY, 14)) + \
            tuple(_Column(header, st.INTEGER, 15) for header in TOKEN_HEADERS)
        trailing = (_Column("ID", st.TEXT, 32), _Column("Kind", st.TEXT, 16)) if title == SHEET_USERS else ()
        tokens = TokenCounts()
        for line in lines:
            tokens = tokens + line.tokens
        footer = ([("Total", st.TOTAL_LABEL)] + [("", st.TOTAL_LABEL)] * len(first)
                  + [(sum((line.amount for line in lines), ZERO), st.TOTAL)]
                  + [(value, st.TOTAL) for value in _tokens(tokens)])
        self.table(title, columns + trailing, lines, lambda line: (
            *to_row(line), line.cost_center, line.amount, *_tokens(line.tokens),
            *((line.id, line.kind.replace("_", " ")) if trailing else ())), footer=footer)

    def api_keys(self) -> None:
        self.payers(SHEET_API_KEYS, self.report.api_keys,
                    (_Column("API Key ID", st.TEXT, 32), _Column("API Key", st.TEXT, 28),
                     _Column("Workspace", st.TEXT, 28)),
                    lambda line: (line.id or "", line.name, line.workspace or ""))

    def users(self) -> None:
        self.payers(SHEET_USERS, self.report.users,
                    (_Column("User", st.TEXT, 28), _Column("Email", st.TEXT, 32)),
                    lambda line: (line.name, line.email or ""))

    def usage(self) -> None:
        columns = (
            [_Column("Workspace ID", st.TEXT, 30), _Column("Workspace", st.TEXT, 28),
             _Column("API Key ID", st.TEXT, 30), _Column("API Key", st.TEXT, 28),
             _Column("Model", st.TEXT, 28), _Column("Service Tier", st.TEXT, 12)]
            + [_Column(header, st.INTEGER, 15) for header in TOKEN_HEADERS]
        )
        if not self.report.usage_available:
            self.table(SHEET_USAGE, columns, (), _no_row, empty_note=USAGE_NOT_AVAILABLE)
            return
        self.table(SHEET_USAGE, columns, self.report.usage, lambda line: (
            line.workspace_id or "", line.workspace_name, line.api_key_id or "",
            line.api_key_name, line.model, line.service_tier, *_tokens(line.tokens)))

    def journal(self, title: str = SHEET_JOURNAL, journal: Journal | None = None) -> None:
        journal = self.report.journal if journal is None else journal
        definition = journal_columns(journal)  # the same columns as the journal CSV
        columns = [_Column(column.header, _JOURNAL_STYLES[column.kind], column.width) for column in definition]
        self.table(title, columns, journal.lines, lambda line: [column.value(line) for column in definition])
        # no note row when empty: an import would read it as a line

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
        ws, c = self.sheet(SHEET_HISTORY, (15, 18, 15) + tuple(max(12.0, len(code) + 4.0) for code in codes))
        ws.freeze_panes = "D2"
        ws.append(c.header_row(HISTORY_HEADERS + codes))
        for row in history.rows:
            money = self._currency_style(row.currency, st.MONEY)
            # a gap's amounts are blank cells, never 0; a cost center a month did not know is blank too
            ws.append([c.text(str(row.month)), c.text(row.status), c.number(row.total, money)]
                      + [c.number(row.amount(code), money) for code in codes])
        ws.auto_filter.ref = f"A1:{get_column_letter(len(HISTORY_HEADERS) + len(codes))}{len(history.rows) + 1}"
        total = self._currency_style(history.currency, st.TOTAL)
        by_code = {line.code: line for line in history.lines}
        year = f"{history.fiscal_start} to {history.month}"
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
        if history.projection is not None:
            notes.append(history.projection.sentence)
        notes.append("Each month is what was posted: a closed month's sealed journal plus its restatements' "
                     "adjustments, a month not closed its latest run's journal; nothing is recomputed.")
        for note in notes + list(history.notes):
            ws.append([c.text("Note", st.LABEL), c.text(note)])

    def _currency_style(self, currency: str | None, base: str) -> str:
        """The money style, or for another currency than USD one whose number format names it."""
        if currency in (None, "USD"):
            return base
        name = f"{base}_{currency}"
        if name not in self.wb.named_styles:
            self.wb.add_named_style(st.in_currency(base, currency, name))
        return name

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
        analytics = self.report.has_attribution_columns
        ws.append([c.text("Unmapped spend" if analytics else "Unmapped workspaces", st.LABEL)])
        ws.append(c.header_row(UNMAPPED_ANALYTICS_HEADERS if analytics else UNMAPPED_HEADERS))
        if not rec.unmapped:
            ws.append([c.text("None")])
        for unmapped in rec.unmapped:
            who = [c.text(unmapped.api_key), c.text(unmapped.actor)] if analytics else []
            ws.append([c.text(unmapped.workspace_id), c.text(unmapped.name), *who,
                       c.number(unmapped.amount, st.MONEY), c.text(unmapped.taken_by)])

    def run_info(self) -> None:
        info = self.report.run_info
        ws, c = self.sheet(SHEET_RUN_INFO, (22, 100))
        if info.demo:
            ws.append([c.text(DEMO_BANNER, st.DEMO), c.text("", st.DEMO)])
        ws.append(c.header_row(("Field", "Value")))
        rows: list[tuple[str, str]] = [
            ("Run ID", info.run_id),
            ("Generated At", rfc3339(info.generated_at)),
            ("Tool Version", info.tool_version),
            ("Source", info.source),
            ("Config SHA-256", info.config_sha256),
            ("Data Source", f"{self.report.source_title} ({info.data_source})"),
            ("Data Fetched At",
             rfc3339(info.data_fetched_at) if info.data_fetched_at else "unknown"),
            ("Month", str(self.report.month)),
            ("Organization", self.report.organization),
            *_ledger_rows(self.report),
        ]
        if self.report.has_refresh_time:
            rows.append(("Data Refreshed At",
                         rfc3339(info.data_refreshed_at) if info.data_refreshed_at else "not given by the API"))
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
        if self.pending:
            _stream_rows(path, self.pending)


def _ledger_rows(report: Report) -> list[tuple[str, str]]:
    ledger = report.journal.ledger
    if ledger.is_usd:
        return [("Ledger Currency", "USD (the journal is in USD; no conversion)")]
    return [("Ledger Currency", ledger.currency),
            ("Exchange Rate", f"{ledger.rate} {ledger.currency} per 1 USD for {report.month} (journal.exchange_rates); "
                              f"journal total {money_text(report.journal.debits, ledger.currency)} = USD "
                              f"{report.reconciliation.source_total} × {ledger.rate}, rounded half-up")]


def _no_row(item: Any) -> Sequence[Any]:
    raise AssertionError("an empty table has no rows")


def _tokens(tokens: TokenCounts) -> tuple[int, ...]:
    return (tokens.uncached_input, tokens.cache_write_5m, tokens.cache_write_1h,
            tokens.cache_read, tokens.output, tokens.web_searches)


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def write_workbook(report: Report, path: pathlib.Path, *,
                   max_rows_per_sheet: int = EXCEL_MAX_ROWS) -> None:
    """Write the chargeback workbook for ``report`` to exactly ``path``.

    Sheets, in order: Summary, [Restatement], History, Workspaces, Line Items, Usage, Journal,
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
    writer.usage()
    writer.journal()
    if report.restatement is not None:
        writer.journal(SHEET_ADJUSTMENT, report.restatement.adjustment_journal)
    writer.reconciliation()
    writer.run_info()
    writer.save(pathlib.Path(path))


__all__ = ["write_workbook", "DEMO_BANNER", "USAGE_NOT_AVAILABLE"]
