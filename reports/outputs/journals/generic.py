"""The journal as CSV for the accounting import: the Journal sheet's columns, plain values.

Format (fixed, so imports and checksums are stable):

* UTF-8 without a byte-order mark; comma-separated; one header row with the Journal
  sheet's column names; fields quoted only when needed (``csv.QUOTE_MINIMAL``).
* Records end with ``"\\r\\n"`` (RFC 4180, the ``csv`` module's default), on every line.
* ``Date`` is ``YYYY-MM-DD``; ``Debit`` and ``Credit`` are plain numbers with exactly two
  decimals (no currency symbol, no thousands separator, half-up if ever given more
  digits); a debit line leaves ``Credit`` empty and the credit line leaves ``Debit`` empty.
* CSV injection: a text field that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
  carriage return is written with a single quote ``'`` in front, so spreadsheet programs
  opening the file show it as text instead of evaluating it. Amounts are never prefixed
  (a credit note's ``-12.50`` stays a number).
* The same journal always gives byte-identical files.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Sequence

from reports.core.report import JournalLine
from reports.core.money import CENT, ROUNDING

HEADERS = (
    "Journal ID", "Date", "Period", "Account", "Cost Center", "Cost Center Name", "Debit",
    "Credit", "Memo", "External ID",
)
_INJECTION_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str | None) -> str:
    if value is None:
        return ""
    return "'" + value if value.startswith(_INJECTION_TRIGGERS) else value


def _amount(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.quantize(CENT, rounding=ROUNDING), "f")


def journal_csv_bytes(journal: Sequence[JournalLine]) -> bytes:
    """The CSV file's exact bytes for ``journal``."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(HEADERS)
    for line in journal:
        writer.writerow((
            _text(line.journal_id),
            line.day.isoformat(),
            _text(line.period),
            _text(line.account),
            _text(line.cost_center),
            _text(line.cost_center_name),
            _amount(line.debit),
            _amount(line.credit),
            _text(line.memo),
            _text(line.external_id),
        ))
    return buffer.getvalue().encode("utf-8")


def write_journal_csv(journal: Sequence[JournalLine], path: Path) -> None:
    """Write ``journal`` as the journal CSV to exactly ``path`` (see the module docstring)."""
    Path(path).write_bytes(journal_csv_bytes(journal))
