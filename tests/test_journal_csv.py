"""The journal CSV, checked byte for byte."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import date
from decimal import Decimal

import pytest

from reports.core.journal_entry import Journal, JournalLine, Ledger
from reports.outputs.journals.generic import write_journal_csv
from tests.factories import sample_report

HEADER = ("Journal ID,Date,Period,Account,Cost Center,Cost Center Name,Debit,Credit,Memo,"
          "External ID")


def _line(**changes) -> JournalLine:
    base = JournalLine("CB-2026-10", date(2026, 10, 31), "2026-10", "6420", "ENG-100",
                       "Platform Engineering", Decimal("12.50"), None,
                       "Claude API chargeback 2026-10", "CB-2026-10-ENG-100", Decimal("12.50"), None)
    return dataclasses.replace(base, **changes)


def _journal(lines: list[JournalLine]) -> Journal:
    return Journal("CB-2026-10", date(2026, 10, 31), "2026-10", "Claude API chargeback 2026-10", Ledger(), "2150",
                   tuple(lines))


def test_bytes_header_and_lines(tmp_path):
    report = sample_report()
    path = tmp_path / "journal-2026-10.csv"
    write_journal_csv(report.journal, path)
    data = path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8")
    assert text.endswith("\r\n")
    assert text.count("\r\n") == text.count("\n") == len(report.journal.lines) + 1
    lines = text.split("\r\n")[:-1]
    assert lines[0] == HEADER
    assert lines[1] == ("CB-2026-10,2026-10-31,2026-10,6421,ENG-100,Platform Engineering,"
                        "563.19,,Claude API chargeback 2026-10,CB-2026-10-ENG-100")
    assert lines[-1] == ("CB-2026-10,2026-10-31,2026-10,2150,,,,650.52,"
                         "Claude API chargeback 2026-10,CB-2026-10-CREDIT")


def test_debits_equal_credits_equal_total(tmp_path):
    report = sample_report()
    path = tmp_path / "j.csv"
    write_journal_csv(report.journal, path)
    rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))
    debits = sum(Decimal(row["Debit"]) for row in rows if row["Debit"])
    credits = sum(Decimal(row["Credit"]) for row in rows if row["Credit"])
    assert debits == credits == report.total
    for row in rows:
        assert bool(row["Debit"]) != bool(row["Credit"])  # exactly one side per line
        amount = row["Debit"] or row["Credit"]
        assert amount.count(".") == 1 and len(amount.split(".")[1]) == 2


def test_amounts_two_decimals_plain(tmp_path):
    path = tmp_path / "j.csv"
    journal = [_line(debit=Decimal("1234567.5")), _line(debit=Decimal("3")),
               _line(debit=Decimal("0.01")),
               _line(cost_center=None, cost_center_name=None, debit=None,
                     credit=Decimal("1234570.51"), external_id="CB-2026-10-CREDIT")]
    write_journal_csv(_journal(journal), path)
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))
    assert [row[6] for row in rows[1:]] == ["1234567.50", "3.00", "0.01", ""]
    assert rows[-1][7] == "1234570.51"


def test_an_amount_finer_than_a_cent_is_refused_not_rounded(tmp_path):
    # rounding happens once, in the core; a writer that rounded could unbalance the entry
    with pytest.raises(ValueError, match="not in whole cents"):
        write_journal_csv(_journal([_line(debit=Decimal("0.005"))]), tmp_path / "j.csv")


def test_csv_injection_is_escaped(tmp_path):
    path = tmp_path / "j.csv"
    nasty = {'=HYPERLINK("http://x")': "'=HYPERLINK(\"http://x\")", "+1-2": "'+1-2", "-2+3": "'-2+3",
             "@SUM(A1)": "'@SUM(A1)", "plain, text": "plain, text",
             # tab and line breaks become a space, other control characters U+FFFD: none reaches the file raw
             "\tx": " x", "\rx": " x", "a\nb": "a b", "nul\x00esc\x1b": "nul\ufffdesc\ufffd",
             "=\x07bell": "'=\ufffdbell"}
    journal = [_line(memo=value, cost_center_name=value) for value in nasty]
    write_journal_csv(_journal(journal), path)
    data = path.read_bytes().decode("utf-8")
    rows = list(csv.reader(io.StringIO(data, newline="")))[1:]
    assert len(rows) == len(nasty)
    for row, expected in zip(rows, nasty.values(), strict=True):
        assert row[5] == expected and row[8] == expected
        assert row[6] == "12.50"  # amounts are never prefixed
    assert not any(ord(char) < 32 and char not in "\r\n" for char in data)
    assert data.count("\r\n") == len(nasty) + 1  # one line per row: no line break from the text


def test_deterministic_bytes(tmp_path):
    report = sample_report()
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    write_journal_csv(report.journal, first)
    write_journal_csv(sample_report().journal, second)
    assert first.read_bytes() == second.read_bytes()
    write_journal_csv(report.journal, first)  # rewriting in place
    assert first.read_bytes() == second.read_bytes()


def test_non_ascii_is_utf8(tmp_path):
    path = tmp_path / "j.csv"
    write_journal_csv(_journal([_line(cost_center_name="Recherche & Développement — Zürich")]), path)
    assert "Développement — Zürich".encode() in path.read_bytes()
