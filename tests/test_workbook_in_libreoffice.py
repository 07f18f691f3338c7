"""The workbook opened by a real spreadsheet program (LibreOffice Calc), as accounting would.

The table rows are streamed into the file as SpreadsheetML text, so openpyxl reading them
back is not proof enough: Calc must read every row, every amount and keep API text inert.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from reports.outputs.workbook import write_workbook
from tests.factories import sample_report

# All sheets, raw values (not as shown), UTF-8: LibreOffice's CSV filter options.

pytestmark = pytest.mark.slow  # starts LibreOffice
ALL_SHEETS_RAW = "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,false,false,false,-1"
HOSTILE = '=HYPERLINK("http://127.0.0.1:9/x","click")'


def calc_export(book: Path, folder: Path) -> dict[str, list[list[str]]]:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice Calc is needed (make test installs libreoffice-calc-nogui)"
    profile = folder / "profile"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
                    ALL_SHEETS_RAW, "--outdir", str(folder), str(book)],
                   check=True, capture_output=True, timeout=180)
    sheets = {}
    for path in folder.glob(f"{book.stem}-*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            sheets[path.stem[len(book.stem) + 1:]] = list(csv.reader(handle))
    return sheets


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("calc")
    report = sample_report(workspace_name=HOSTILE, line_item_count=400)
    book = folder / "book.xlsx"
    write_workbook(report, book)
    return report, calc_export(book, folder)


def rows_after(sheet: list[list[str]], first_header: str) -> tuple[list[str], list[list[str]]]:
    start = next(i for i, row in enumerate(sheet) if row and row[0] == first_header)
    return sheet[start], [row for row in sheet[start + 1:] if any(row)]


def test_calc_sees_every_sheet_and_every_line_item(exported):
    report, sheets = exported
    assert set(sheets) == {"Summary", "Workspaces", "Line Items", "Usage", "Journal", "Reconciliation", "Run Info"}
    header, items = rows_after(sheets["Line Items"], "Date")
    assert len(items) == len(report.line_items) == 400
    cents = [Decimal(row[header.index("Amount (cents)")]) for row in items]
    assert cents == [item.amount_cents for item in report.line_items]  # every amount, as the API sent it


def test_calc_journal_balances_to_the_report_total(exported):
    report, sheets = exported
    header, lines = rows_after(sheets["Journal"], "Journal ID")
    debits = sum(Decimal(row[header.index("Debit")]) for row in lines if row[header.index("Debit")])
    credits = sum(Decimal(row[header.index("Credit")]) for row in lines if row[header.index("Credit")])
    assert debits == credits == report.total
    assert {row[header.index("Date")] for row in lines} == {report.month.last_day.isoformat()}


def test_calc_keeps_api_text_inert(exported):
    _, sheets = exported
    header, items = rows_after(sheets["Line Items"], "Date")
    names = {row[header.index("Workspace")] for row in items}
    assert HOSTILE in names  # shown as the literal text, not evaluated to "click"
    assert "click" not in names


def test_printed_every_line_items_page_starts_with_the_header_and_fits_the_width(tmp_path):
    # Calc prints as Excel would: landscape, one page wide, the header row repeated on each page
    report = sample_report(line_item_count=400)
    book = tmp_path / "book.xlsx"
    write_workbook(report, book)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice Calc is needed (make test installs libreoffice-calc-nogui)"
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(tmp_path), str(book)], check=True, capture_output=True, timeout=180)
    pdf = tmp_path / "book.pdf"
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                           text=True).stdout.split("\f")
    # a page of line items: many dated rows (the journal's few lines are dated too)
    with_rows = [page for page in pages if page.count(f"{report.month}-") >= 20]
    assert len(with_rows) >= 3, "400 line items should take several pages"
    # each page of line items has the header, and every column on it (nothing cut to another page)
    assert all("Amount (cents)" in page and "Date" in page and "Amount (USD)" in page for page in with_rows)
    width, height = (float(v) for v in subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                                                       text=True).stdout.split("Page size:")[1].split()[0:3:2])
    assert width > height  # landscape
