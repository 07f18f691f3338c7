"""The workbook reopened and read back: sheets, headers, numbers, text safety, row limit."""

from __future__ import annotations

import dataclasses
import re
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest

from reports.core.money import CENT
from reports.outputs import excel_styles as st
from reports.outputs.workbook import DEMO_BANNER, USAGE_NOT_AVAILABLE, write_workbook
from tests.factories import sample_report

SHEETS = ["Summary", "Workspaces", "Line Items", "Usage", "Journal", "Reconciliation", "Run Info"]
SUMMARY_HEADERS = ["Cost Center", "Name", "Direct", "Shared", "Total", "Budget", "Variance",
                   "% of Total", "Prior Month", "Change"]
TOKENS = ["Uncached Input", "Cache Write 5m", "Cache Write 1h", "Cache Read", "Output",
          "Web Searches"]
TABLE_HEADERS = {
    "Workspaces": ["Workspace ID", "Workspace", "Cost Center", "Amount (USD)", *TOKENS,
                   "Cache Hit Rate"],
    "Line Items": ["Date", "Workspace ID", "Workspace", "Cost Center", "Description",
                   "Cost Type", "Model", "Token Type", "Service Tier", "Context Window",
                   "Amount (cents)", "Amount (USD)"],
    "Usage": ["Workspace ID", "Workspace", "API Key ID", "API Key", "Model", "Service Tier",
              *TOKENS],
    "Journal": ["Journal ID", "Date", "Period", "Account", "Cost Center", "Cost Center Name",
                "Debit", "Credit", "Memo", "External ID"],
}
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
SUMMARY_HEADER_ROW = 8  # 9 on a demo workbook (banner row on top)


def _write(tmp_path: Path, name: str = "book.xlsx", **kwargs) -> Path:
    max_rows = kwargs.pop("max_rows_per_sheet", None)
    report = kwargs.pop("report", None) or sample_report(**kwargs)
    path = tmp_path / name
    if max_rows is None:
        write_workbook(report, path)
    else:
        write_workbook(report, path, max_rows_per_sheet=max_rows)
    return path


@pytest.fixture(scope="module")
def report():
    return sample_report()


@pytest.fixture(scope="module")
def book_path(tmp_path_factory, report) -> Path:
    path = tmp_path_factory.mktemp("wb") / "chargeback-2026-10.xlsx"
    write_workbook(report, path)
    return path


@pytest.fixture(scope="module")
def book(book_path):
    return openpyxl.load_workbook(book_path)


def _rows(ws, start: int = 1):
    return [list(row) for row in ws.iter_rows(min_row=start, values_only=True)]


def _exact(value) -> Decimal:
    """A number read back by openpyxl (int/float) as Decimal via its shortest repr."""
    assert isinstance(value, (int, float)) and not isinstance(value, bool), value
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _sheet_xml(path: Path, sheet: str) -> ElementTree.Element:
    """The worksheet XML of ``sheet``, found through workbook.xml and its relationships."""
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    with zipfile.ZipFile(path) as archive:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        rid = next(s.get(rel_ns) for s in workbook.iterfind("m:sheets/m:sheet", NS)
                   if s.get("name") == sheet)
        target = next(r.get("Target") for r in rels if r.get("Id") == rid)
        target = target.lstrip("/")
        if not target.startswith("xl/"):
            target = "xl/" + target
        return ElementTree.fromstring(archive.read(target))


def _xml_column(root: ElementTree.Element, column: str) -> list[tuple[str | None, str | None]]:
    """(type, <v> text) of every cell in ``column`` below the header, in row order."""
    cells = []
    for row in root.iterfind("m:sheetData/m:row", NS):
        if row.get("r") == "1":
            continue
        for cell in row.iterfind("m:c", NS):
            if re.fullmatch(rf"{column}\d+", cell.get("r")):
                v = cell.find("m:v", NS)
                cells.append((cell.get("t"), None if v is None else v.text))
    return cells


# ---------------------------------------------------------------- structure


def test_sheet_names_in_order(book):
    assert book.sheetnames == SHEETS


@pytest.mark.parametrize("sheet", list(TABLE_HEADERS))
def test_table_headers_exact(book, sheet):
    header = _rows(book[sheet])[0]
    expected = TABLE_HEADERS[sheet]
    assert header[: len(expected)] == expected


def test_workspaces_extra_columns_come_after_the_contract(book):
    header = _rows(book["Workspaces"])[0]
    assert header[len(TABLE_HEADERS["Workspaces"]):] == [
        "Prior Month (USD)", "Archived", "Unmapped"]


def test_summary_header_block_and_table(book, report):
    rows = _rows(book["Summary"])
    labels = {row[0]: row[1] for row in rows[:SUMMARY_HEADER_ROW - 1] if row[0]}
    assert labels["Month"] == "October 2026"
    assert labels["Period"] == "2026-10"
    assert labels["Organization"] == "Acme Corp"
    assert _exact(labels["Grand Total (USD)"]) == report.total
    assert rows[SUMMARY_HEADER_ROW - 1] == SUMMARY_HEADERS
    codes = [row[0] for row in rows[SUMMARY_HEADER_ROW:]]
    assert codes == [line.code for line in report.cost_centers] + ["Budgeted", "Without a budget", "Total"]


def test_reconciliation_tables_and_statuses(book, report):
    ws = book["Reconciliation"]
    rows = _rows(ws)
    assert ["Check", "Expected", "Actual", "Status", "Detail"] in [row[:5] for row in rows]
    assert ["Workspace ID", "Workspace", "Amount (USD)", "Taken By"] in [row[:4] for row in rows]
    values = {row[0]: row[1] for row in rows if row[0]}
    rec = report.reconciliation
    assert _exact(values["Source total (cents, exact)"]) == rec.source_total_cents
    assert _exact(values["Source total (USD, exact)"]) == rec.source_total
    assert _exact(values["Journal debits (USD)"]) == rec.journal_debits
    assert values["Line item count"] == len(report.line_items)
    statuses = {}
    for row in ws.iter_rows():
        if row[3].value in ("PASS", "FAIL", "WARN"):
            statuses[row[0].value] = (row[3].value, row[3].style)
    styles = {"PASS": st.PASS, "WARN": st.WARN, "FAIL": st.FAIL}
    assert statuses == {check.name: (check.status, styles[check.status]) for check in rec.checks}
    assert statuses["Journal debits equal credits"] == ("PASS", st.PASS)
    assert "WARN" in {status for status, _ in statuses.values()}  # the unmapped Skunkworks workspace
    assert ["wrkspc_01ZZZZ", "Skunkworks"] in [row[:2] for row in rows]


def test_check_amounts_are_numbers_with_their_format(book, report):
    # Expected and Actual are amounts a controller may add up or compare: numbers, never text
    cells = {row[0].value: row for row in book["Reconciliation"].iter_rows() if row[3].value in ("PASS", "WARN")}
    debits = cells["Journal debits equal credits"]
    assert debits[1].value == pytest.approx(float(report.journal.debits_usd)) == debits[2].value
    assert debits[1].data_type == debits[2].data_type == "n" and debits[1].number_format == st.MONEY_FORMAT
    line_cents = cells["Line items add up to the source total (cents)"]
    assert line_cents[1].data_type == "n" and line_cents[1].number_format == st.CENTS_FORMAT
    assert _exact(line_cents[1].value) == report.reconciliation.source_total_cents
    exact = cells["Allocated total equals source total (exact)"]
    assert exact[2].data_type == "n" and exact[2].number_format == st.EXACT_FORMAT
    assert cells["Each Summary row: Direct + Shared = Total"][1].value == "all rows"  # words stay text


def test_run_info(book, report):
    rows = {row[0]: row[1] for row in _rows(book["Run Info"])}
    assert rows["Run ID"] == report.run_info.run_id
    assert rows["Generated At"] == "2026-11-01T06:00:00Z"
    assert rows["Tool Version"] == "0.1.0"
    assert rows["Source"] == "api"
    assert rows["Config SHA-256"] == report.run_info.config_sha256
    assert rows["Data Fetched At"] == "2026-11-01T05:59:30Z"
    notes = [row[1] for row in _rows(book["Run Info"]) if row[0] == "Note"]
    assert notes == list(report.run_info.notes)
    assert DEMO_BANNER not in [row[0] for row in _rows(book["Run Info"])]


def test_demo_banner_on_top(tmp_path):
    book = openpyxl.load_workbook(_write(tmp_path, demo=True))
    assert book["Run Info"]["A1"].value == DEMO_BANNER
    assert book["Summary"]["A1"].value == DEMO_BANNER
    assert book["Summary"][f"A{SUMMARY_HEADER_ROW + 1}"].value == "Cost Center"
    assert book["Summary"].freeze_panes == f"A{SUMMARY_HEADER_ROW + 2}"
    assert book.properties.keywords == "DEMO"


def test_properties(book):
    assert book.properties.creator == "chargeback"
    assert book.properties.title == "Claude API chargeback 2026-10"


def test_freeze_panes_and_autofilters(book, report):
    for sheet in TABLE_HEADERS:
        ws = book[sheet]
        assert ws.freeze_panes == "A2", sheet
        # a Total row stays out of the filter
        last = ws.max_row - (ws.cell(ws.max_row, 1).value == "Total")
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{last}", sheet
        assert ws.print_title_rows == "$1:$1", sheet  # printed, the header is on every page
    summary = book["Summary"]
    assert summary.freeze_panes == f"A{SUMMARY_HEADER_ROW + 1}"
    last = SUMMARY_HEADER_ROW + len(report.cost_centers)  # the Total row stays out of the filter
    assert summary.auto_filter.ref == f"A{SUMMARY_HEADER_ROW}:J{last}"


def test_column_widths_set(book):
    assert book["Line Items"].column_dimensions["E"].width >= 30


# ---------------------------------------------------------------- numbers


def _summary_table(book):
    """The cost center rows and the Total row (the Budgeted and Without a budget rows between them left out)."""
    ws = book["Summary"]
    rows = list(ws.iter_rows(min_row=SUMMARY_HEADER_ROW + 1))
    lines = [row for row in rows[:-1] if row[0].value not in ("Budgeted", "Without a budget")]
    return lines, rows[-1]


def test_summary_rows_add_up_and_total_row(book, report):
    lines, total_row = _summary_table(book)
    for row, line in zip(lines, report.cost_centers, strict=True):
        direct, shared, total = (_exact(row[i].value) for i in (2, 3, 4))
        assert direct + shared == total == line.total
        assert row[4].number_format == st.MONEY_FORMAT
        assert row[7].number_format == st.PERCENT_FORMAT
    assert total_row[0].value == "Total"
    assert _exact(total_row[4].value) == report.total
    for col in (2, 3, 4, 8, 9):
        column_sum = sum((_exact(row[col].value) for row in lines), Decimal(0))
        assert _exact(total_row[col].value).quantize(CENT) == column_sum.quantize(CENT)
    budgets = [line.budget for line in report.cost_centers if line.budget is not None]
    assert _exact(total_row[5].value) == sum(budgets)
    assert _exact(total_row[6].value) == _exact(total_row[4].value) - _exact(total_row[5].value)
    assert _exact(total_row[8].value) == report.prior_total
    assert total_row[7].number_format == st.PERCENT_FORMAT
    assert all(cell.data_type != "f" for cell in total_row)


def test_summary_blanks(tmp_path):
    book = openpyxl.load_workbook(_write(tmp_path, prior=False))
    lines, total_row = _summary_table(book)
    by_code = {row[0].value: row for row in lines}
    assert by_code["RES-300"][5].value is None  # no budget configured
    assert by_code["RES-300"][6].value is None
    assert by_code["SUP-200"][5].value == 2500
    for row in [*lines, total_row]:
        assert row[8].value is None and row[9].value is None  # prior month unknown


def test_journal_sheet_balances(book, report):
    rows = _rows(book["Journal"], start=2)
    debits = sum((_exact(row[6]) for row in rows if row[6] is not None), Decimal(0))
    credits = sum((_exact(row[7]) for row in rows if row[7] is not None), Decimal(0))
    assert debits == credits == report.total
    credit = rows[-1]
    assert credit[4] is None and credit[5] is None and credit[6] is None
    assert all(isinstance(row[1], datetime) and row[1].date() == report.month.last_day
               for row in rows)
    assert [row[9] for row in rows] == [line.external_id for line in report.journal.lines]


def test_line_item_amounts_exact_in_the_file(book_path, report):
    # openpyxl reads numbers back as float; the exact proof is the <v> text in the XML.
    root = _sheet_xml(book_path, "Line Items")
    cents = _xml_column(root, "K")
    dollars = _xml_column(root, "L")
    assert len(cents) == len(dollars) == len(report.line_items)
    for (ctype, ctext), (dtype, dtext), item in zip(cents, dollars, report.line_items, strict=True):
        assert ctype == dtype == "n"
        assert Decimal(ctext) == item.amount_cents
        assert Decimal(dtext) == item.amount


def test_line_items_read_back(book, report):
    ws = book["Line Items"]
    rows = list(ws.iter_rows(min_row=2))
    assert len(rows) == len(report.line_items)
    for row, item in zip(rows, report.line_items, strict=True):
        assert row[0].value.date() == item.day
        assert row[0].number_format == st.DATE_FORMAT
        assert row[10].data_type == "n" and row[11].data_type == "n"
        assert _exact(row[10].value) == item.amount_cents  # these fit in a double
        assert row[10].number_format == st.CENTS_FORMAT
        assert row[11].number_format == st.MONEY_FORMAT
        assert row[2].value == item.workspace_name
        assert row[4].value == item.description


def test_amount_cells_are_numbers(book):
    money_columns = {"Workspaces": [3, 11], "Line Items": [10, 11], "Journal": [6, 7],
                     "Usage": list(range(6, 12))}
    for sheet, columns in money_columns.items():
        for row in book[sheet].iter_rows(min_row=2):
            for col in columns:
                value = row[col].value
                assert value is None or isinstance(value, (int, float)), (sheet, value)
    lines, total_row = _summary_table(book)
    for row in [*lines, total_row]:
        assert all(not isinstance(cell.value, str) for cell in row[2:])


def test_default_workspace_has_empty_id(book):
    for sheet, id_col, name_col in (("Workspaces", 0, 1), ("Line Items", 1, 2), ("Usage", 0, 1)):
        defaults = [row for row in _rows(book[sheet], 2) if row[name_col] == "Default workspace"]
        assert defaults, sheet
        assert all(row[id_col] is None for row in defaults), sheet


def test_the_workspaces_total_row_is_the_month_total(book, report):
    rows = list(book["Workspaces"].iter_rows(values_only=True))
    header, total = rows[0], dict(zip(rows[0], rows[-1], strict=False))
    assert total["Workspace ID"] == "Total" and len(rows) == len(report.workspaces) + 2
    assert Decimal(str(total["Amount (USD)"])).quantize(Decimal("0.01")) == report.total
    for column in ("Uncached Input", "Output", "Prior Month (USD)"):
        index = header.index(column)
        assert total[column] == pytest.approx(sum(float(row[index] or 0) for row in rows[1:-1])), column
    assert book["Workspaces"].cell(len(rows), header.index("Output") + 1).number_format == st.INTEGER_FORMAT


def test_cache_hit_rate_percent(book, report):
    rows = list(book["Workspaces"].iter_rows(min_row=2))[:-1]  # the Total row after them
    for row, line in zip(rows, report.workspaces, strict=True):
        assert row[10].number_format == st.PERCENT_FORMAT
        assert row[10].value == pytest.approx(float(line.cache_hit_rate))


# ---------------------------------------------------------------- text safety


@pytest.mark.parametrize("name", [
    '=HYPERLINK("http://x")', "+1-2", "@SUM(A1)", "-2+3", "\t=1+1", "\r=1",
    '<img src="http://127.0.0.1:9/x">',
])
def test_api_text_never_becomes_a_formula(tmp_path, name):
    path = _write(tmp_path, workspace_name=name)
    with zipfile.ZipFile(path) as archive:
        for entry in archive.namelist():
            if entry.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(entry) and b"<f " not in archive.read(entry)
    book = openpyxl.load_workbook(path)
    seen = 0
    expected = name.replace("\t", " ").replace("\r", " ")  # no control character reaches a cell raw
    for ws in book:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if cell.value == expected:
                    seen += 1
                    assert cell.data_type == "s"
                    if name[0] in "=+-@":
                        assert cell.quotePrefix
    assert seen >= 3  # Workspaces, Line Items, Usage at least


def test_control_characters_are_replaced_not_fatal(tmp_path):
    book = openpyxl.load_workbook(_write(tmp_path, workspace_name="bad\x00name\x07"))
    names = {row[1] for row in _rows(book["Workspaces"], 2)}
    assert "bad\ufffdname\ufffd" in names


# ---------------------------------------------------------------- edge cases


def test_usage_not_available(tmp_path):
    report = dataclasses.replace(sample_report(), usage=(), usage_available=False)
    book = openpyxl.load_workbook(_write(tmp_path, report=report))
    rows = _rows(book["Usage"])
    assert rows[0] == TABLE_HEADERS["Usage"]
    assert rows[1][0] == USAGE_NOT_AVAILABLE
    assert len(rows) == 2


def test_row_limit_splits_line_items(tmp_path):
    report = sample_report(line_item_count=120)
    path = _write(tmp_path, report=report, max_rows_per_sheet=50)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [
        "Summary", "Workspaces", "Line Items", "Line Items (2)", "Line Items (3)", "Usage",
        "Journal", "Reconciliation", "Run Info"]
    cents: list[Decimal] = []
    for sheet in ("Line Items", "Line Items (2)", "Line Items (3)"):
        ws = book[sheet]
        assert ws.max_row <= 50
        assert _rows(ws)[0] == TABLE_HEADERS["Line Items"]
        assert ws.freeze_panes == "A2"
        cents += [Decimal(text) for _, text in _xml_column(_sheet_xml(path, sheet), "K")]
    assert cents == [item.amount_cents for item in report.line_items]
    notes = [row[1] for row in _rows(book["Run Info"]) if row[0] == "Note"]
    assert any("Line Items (2), Line Items (3)" in note for note in notes)


def test_row_limit_exact_fit_makes_no_empty_sheet(tmp_path):
    report = sample_report(line_item_count=98)
    book = openpyxl.load_workbook(_write(tmp_path, report=report, max_rows_per_sheet=50))
    assert [name for name in book.sheetnames if name.startswith("Line Items")] == [
        "Line Items", "Line Items (2)"]


def test_each_table_declares_its_extent_so_a_read_only_reader_reads_it_as_a_full_one(tmp_path):
    """openpyxl read-only (as pandas uses it) parses a whole sheet to find its size when the sheet does not
    say it: every table sheet says it, and the read-only rows are the full load's, sheet for sheet."""
    path = _write(tmp_path, report=sample_report(line_item_count=120), max_rows_per_sheet=50)
    full = openpyxl.load_workbook(path)
    declared = {}
    for name in full.sheetnames:
        found = _sheet_xml(path, name).find("m:dimension", NS)
        if found is not None:
            declared[name] = found.get("ref")
    tables = [name for name in full.sheetnames if name.split(" (")[0] in TABLE_HEADERS]
    assert "Line Items (3)" in tables and set(tables) <= set(declared)
    for name, ref in declared.items():
        assert ref == full[name].calculate_dimension(), name
    fast = openpyxl.load_workbook(path, read_only=True)
    try:
        for name in tables:
            assert [list(row) for row in fast[name].iter_rows(values_only=True)] == _rows(full[name]), name
    finally:
        fast.close()
