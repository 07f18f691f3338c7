"""The xlsx streaming engine: write-only sheets, cells that stay values, table rows streamed into the file.

Every sheet is written in openpyxl's write-only mode, so memory stays flat however many
rows a table has; the rows of the tables (Line Items above all) are streamed as
SpreadsheetML text straight into the saved file, cell for cell what openpyxl would write,
because building an openpyxl cell per value cost several times the rest of the run. Every
cell is built here explicitly:

* text (anything that may have come from the API) is always a string cell, never a
  formula, whatever its first character; control characters Excel cannot store are
  replaced, and text starting with a formula trigger also gets Excel's quote prefix so
  that editing the cell in Excel keeps it text;
* amounts are numeric cells with a number format. ``Decimal`` values are written with
  their exact decimal digits in the file (openpyxl would print them with ``%.16g``), so
  the XML holds exactly the API's amount; Excel itself reads them as doubles.

A table longer than ``max_rows_per_sheet`` (header included) continues on sheets named
``"<name> (2)"``, ``"<name> (3)"``... with the header repeated, and ``Book.split_notes`` says so.
What the sheets show is laid out elsewhere (``workbook`` and the ``sheets_*`` modules).
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

from reports.outputs import excel_styles as st
from reports.outputs.atomic import replacing
from reports.outputs.inert import looks_like_formula, visible

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CELL_TEXT = 32_767
ZIP_LEVEL = 6  # deflate level of the streamed sheets (openpyxl's own parts keep theirs)


@dataclass(frozen=True)
class Column:
    header: str
    style: str  # one of the excel_styles names; decides how the value is written
    width: float


# ---------------------------------------------------------------- cells


def _sanitize(text: str) -> str:
    text = visible(text)
    if len(text) > EXCEL_MAX_CELL_TEXT:
        text = text[: EXCEL_MAX_CELL_TEXT - 1] + "…"
    return text


class Cells:
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
        if style in (st.MONEY, st.EXACT, st.CENTS, st.INTEGER, st.TOTAL, st.TOTAL_INTEGER):
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
_NUMBER_STYLES = frozenset({st.MONEY, st.EXACT, st.CENTS, st.INTEGER, st.TOTAL, st.TOTAL_INTEGER})
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


class TableRows:
    """Rows ``start..stop`` of a table, to be streamed into one sheet from row 2 on."""

    def __init__(self, ws: WriteOnlyWorksheet, columns: Sequence[Column], items: Sequence[Any],
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
        # the sheet's extent: the header, the rows and the footer, as wide as the header
        self.dimension = f"A1:{get_column_letter(len(columns))}{1 + stop - start + (1 if footer else 0)}"

    def chunks(self) -> Iterator[str]:
        to_row = self.to_row
        # each column's cell opens with '<c r="' and its letter: joined once, not once per cell
        cells = [('<c r="' + letter, encode) for letter, encode in self.encoders]
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
            append('<row r="' + r + '">')
            for (opening, encode), value in zip(cells, to_row(item), strict=True):
                if value is not None:
                    append(opening + r + encode(value))
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


# The elements a worksheet may have before its <dimension> are only <sheetPr>: it goes before the first of these.
_AFTER_DIMENSION = (b"<sheetViews", b"<sheetFormatPr", b"<cols", b"<sheetData")


def _with_dimension(head: bytes, ref: str) -> bytes:
    """The sheet's XML with ``<dimension ref=...>`` where the schema puts it. openpyxl's write-only sheets
    have none, and without it a reader (openpyxl read-only, and so pandas) parses a whole sheet to find its
    extent before it reads a cell: seconds for a large month's Line Items, even to read another sheet."""
    for tag in _AFTER_DIMENSION:
        at = head.find(tag)
        if at >= 0:
            return head[:at] + f'<dimension ref="{ref}" />'.encode() + head[at:]
    raise AssertionError("a worksheet without sheetData")


def stream_rows(path: pathlib.Path, tables: list[TableRows]) -> None:
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
                    out.write(_with_dimension(head, table.dimension))
                    for chunk in table.chunks():
                        out.write(chunk.encode("utf-8"))
                    out.write(end + tail)
        if by_part:
            raise AssertionError(f"sheets not found in the saved workbook: {sorted(by_part)}")


def set_widths(ws: WriteOnlyWorksheet, widths: Sequence[float]) -> None:
    # Write-only sheets need column widths before the first row.
    for index, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(index)].width = width


# ---------------------------------------------------------------- the book


class Book:
    """A write-only workbook of sheets and tables, saved with the tables' rows streamed in."""

    def __init__(self, max_rows_per_sheet: int):
        if max_rows_per_sheet < 2:
            raise ValueError("max_rows_per_sheet must allow a header and at least one row")
        self.max_rows = min(max_rows_per_sheet, EXCEL_MAX_ROWS)
        self.wb = Workbook(write_only=True)
        st.register(self.wb)
        self.split_notes: list[str] = []
        self.pending: list[TableRows] = []

    def sheet(self, title: str, widths: Sequence[float]) -> tuple[WriteOnlyWorksheet, Cells]:
        ws = self.wb.create_sheet(title)
        set_widths(ws, widths)
        # Printed, every sheet is landscape and one page wide (as many pages long as it needs).
        ws.page_setup.orientation = "landscape"
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        return ws, Cells(ws)

    def table(self, title: str, columns: Sequence[Column], items: Sequence[Any],
              to_row: Callable[[Any], Sequence[Any]], *, empty_note: str | None = None,
              footer: Sequence[tuple[Any, str]] = ()) -> None:
        """A header + one row per item (+ a ``footer`` row of (value, style)), continuing on
        numbered sheets past the row limit.

        The header (and an empty table's note) goes through openpyxl like every other
        sheet; the rows are streamed into the saved file afterwards (see ``TableRows``).
        """
        per_sheet = self.max_rows - 1
        total_rows = len(items)
        last_col = get_column_letter(len(columns))
        sheets = max(1, -(-total_rows // per_sheet))
        titles = [title if number == 0 else f"{title} ({number + 1})" for number in range(sheets)]
        for number, name in enumerate(titles):
            ws, cells = self.sheet(name, [column.width for column in columns])
            ws.freeze_panes = "A2"
            ws.print_title_rows = "1:1"  # printed, every page starts with the header
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
                self.pending.append(TableRows(ws, columns, items, to_row, start, stop, footer if last else ()))
        if len(titles) > 1:
            self.split_notes.append(
                f"{title} has {total_rows:,} rows, more than the {per_sheet:,} that fit on one "
                f"sheet with its header; continued on {', '.join(titles[1:])}."
            )

    def currency_style(self, currency: str | None, base: str) -> str:
        """The money style, or for another currency than USD one whose number format names it."""
        if currency in (None, "USD"):
            return base
        name = f"{base}_{currency}"
        if name not in self.wb.named_styles:
            self.wb.add_named_style(st.in_currency(base, currency, name))
        return name

    def save(self, path: pathlib.Path) -> None:
        self.wb.save(path)
        if self.pending:
            stream_rows(path, self.pending)

