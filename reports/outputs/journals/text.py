"""Cells of the journal files: formula-inert text, plain two-decimal amounts, dates, CSV bytes.

Shared by every layout writer, so each system's file follows the same rules:

* a text field that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
  single quote ``'`` in front, so a spreadsheet opening the file shows it as text instead of
  evaluating it; amounts are never prefixed (a credit's ``-650.52`` stays a number);
* amounts are plain numbers with exactly two decimals, no symbol, no thousands separator;
  they arrive rounded to the cent from the core, and a writer refuses anything finer rather
  than round it (rounding happens once, in ``reports.core``);
* dates are written in one of ``DATE_FORMATS`` with English month names, whatever the locale;
* files are UTF-8 without a byte-order mark, comma-separated, records ending ``\\r\\n``
  (RFC 4180), fields quoted only when needed; the same journal always gives the same bytes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal

from reports.core.journal_entry import JournalLine
from reports.core.money import CENT
from reports.core.settings import DATE_FORMATS
from reports.outputs.inert import csv_field

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_DATES: dict[str, Callable[[date], str]] = {
    "YYYY-MM-DD": lambda day: f"{day.year:04d}-{day.month:02d}-{day.day:02d}",
    "MM/DD/YYYY": lambda day: f"{day.month:02d}/{day.day:02d}/{day.year:04d}",
    "DD/MM/YYYY": lambda day: f"{day.day:02d}/{day.month:02d}/{day.year:04d}",
    "DD.MM.YYYY": lambda day: f"{day.day:02d}.{day.month:02d}.{day.year:04d}",
    "DD MMM YYYY": lambda day: f"{day.day:02d} {_MONTHS[day.month - 1]} {day.year:04d}",
}
assert set(_DATES) == set(DATE_FORMATS), "every configurable date format needs a writer"


def inert(value: str | None) -> str:
    """Text as written to a journal file: empty for None, else ``inert.csv_field``."""
    if value is None:
        return ""
    return csv_field(value)


def amount(value: Decimal | None) -> str:
    """``1234.50``; empty for None. The value must already be whole cents."""
    if value is None:
        return ""
    if not value.is_finite() or value != value.quantize(CENT):
        raise ValueError(f"journal amount {value} is not in whole cents; amounts are rounded in the core")
    return format(value.quantize(CENT), "f")


def day_text(day: date, date_format: str) -> str:
    """``day`` in one of DATE_FORMATS (``DD MMM YYYY`` is ``31 Oct 2026``)."""
    return _DATES[date_format](day)


def clip(text: str, limit: int, *, words: bool = False) -> str:
    """``text`` cut to ``limit`` characters (at a word boundary if ``words`` and one exists)."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if words and " " in cut and text[limit] != " ":
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip()


def line_description(line: JournalLine) -> str:
    """A line's own text in a system's line memo: its External ID, then its cost center's name."""
    return f"{line.external_id} {line.cost_center_name}" if line.cost_center_name else line.external_id


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """One header row and ``rows``, already as text, as the file's exact bytes."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")
