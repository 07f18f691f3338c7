"""The generic journal: the Journal sheet's columns, defined once for the sheet and the CSV.

``columns(journal)`` is the one definition: the workbook writes each column with the style
of its kind, and ``journal_csv_bytes`` writes the same columns as plain values:

* ``Journal ID``, ``Date`` (``YYYY-MM-DD`` in the CSV), ``Period``, ``Account``, ``Cost Center``,
  ``Cost Center Name``, ``Debit``, ``Credit``, ``Memo``, ``External ID``; a debit line leaves
  ``Credit`` empty and the credit line leaves ``Debit`` empty;
* a ledger in another currency than USD adds ``Currency``, ``Exchange Rate`` (units of it per
  1 USD, as configured), ``Debit (USD)`` and ``Credit (USD)`` after them: ``Debit``/``Credit``
  are then in the ledger's currency. For USD the file is exactly as it always was.

The CSV's cells follow ``reports.outputs.journals.text`` (formula-inert text, two-decimal
amounts, UTF-8 without BOM, ``\\r\\n``); the same journal always gives byte-identical files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports.core.journal_entry import Journal, JournalLine
from reports.outputs.journals.text import amount, csv_bytes, inert

TEXT, DATE, MONEY, RATE = "text", "date", "money", "rate"


@dataclass(frozen=True)
class Column:
    """A column of the generic journal: header, kind of value, width on the Journal sheet, value of a line."""

    header: str
    kind: str  # TEXT | DATE | MONEY | RATE
    width: float
    value: Callable[[JournalLine], Any]


_COLUMNS = (
    Column("Journal ID", TEXT, 14, lambda line: line.journal_id),
    Column("Date", DATE, 12, lambda line: line.day),
    Column("Period", TEXT, 10, lambda line: line.period),
    Column("Account", TEXT, 10, lambda line: line.account),
    Column("Cost Center", TEXT, 14, lambda line: line.cost_center),
    Column("Cost Center Name", TEXT, 28, lambda line: line.cost_center_name),
    Column("Debit", MONEY, 14, lambda line: line.debit),
    Column("Credit", MONEY, 14, lambda line: line.credit),
    Column("Memo", TEXT, 34, lambda line: line.memo),
    Column("External ID", TEXT, 24, lambda line: line.external_id),
)


def columns(journal: Journal) -> tuple[Column, ...]:
    """The journal's columns: the contract's ten, and the ledger's four when it is not in USD."""
    ledger = journal.ledger
    if ledger.is_usd:
        return _COLUMNS
    return _COLUMNS + (
        Column("Currency", TEXT, 10, lambda line: ledger.currency),
        Column("Exchange Rate", RATE, 12, lambda line: ledger.rate),
        Column("Debit (USD)", MONEY, 14, lambda line: line.debit_usd),
        Column("Credit (USD)", MONEY, 14, lambda line: line.credit_usd),
    )


HEADERS = tuple(column.header for column in _COLUMNS)


def _cell(kind: str, value: Any) -> str:
    if kind == DATE:
        return value.isoformat()
    if kind == MONEY:
        return amount(value)
    if kind == RATE:
        return format(value, "f")
    return inert(value)


def journal_csv_bytes(journal: Journal) -> bytes:
    """The CSV file's exact bytes for ``journal``."""
    cols = columns(journal)
    return csv_bytes([column.header for column in cols],
                     ([_cell(column.kind, column.value(line)) for column in cols] for line in journal.lines))


def write_journal_csv(journal: Journal, path: Path) -> None:
    """Write ``journal`` as the journal CSV to exactly ``path`` (see the module docstring)."""
    Path(path).write_bytes(journal_csv_bytes(journal))
