"""Named cell styles for the workbook, registered once per workbook and used by name."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side

from reports.core.checks import Status

# Names carry a prefix so they never clash with Excel's built-in styles ("Total",
# "Percent", ...): Excel compares style names case-insensitively.
HEADER = "cb_header"
TEXT = "cb_text"
TITLE = "cb_title"
LABEL = "cb_label"
MONEY = "cb_money"  # dollars shown to the cent (the value underneath may be exact)
EXACT = "cb_exact"  # exact dollars: shows every fraction digit we carry
CENTS = "cb_cents"  # exact API cents
INTEGER = "cb_integer"
PERCENT = "cb_percent"
DATE = "cb_date"
TOTAL = "cb_total"  # a money cell in a total row
TOTAL_LABEL = "cb_total_label"
TOTAL_PERCENT = "cb_total_percent"
TOTAL_INTEGER = "cb_total_integer"  # a count (tokens) in a total row
DEMO = "cb_demo"
PASS = "cb_pass"
FAIL = "cb_fail"
WARN = "cb_warn"

MONEY_FORMAT = "#,##0.00"
EXACT_FORMAT = "#,##0.00########"
CENTS_FORMAT = "#,##0.00####"
INTEGER_FORMAT = "#,##0"
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"

_THIN = Side(style="thin", color="808080")
_HEADER_FILL = PatternFill("solid", fgColor="1F3864")


def _styles() -> list[NamedStyle]:
    total_border = Border(top=_THIN, bottom=Side(style="double", color="808080"))
    bold = Font(bold=True)
    return [
        NamedStyle(
            HEADER,
            font=Font(bold=True, color="FFFFFF"),
            fill=_HEADER_FILL,
            border=Border(bottom=_THIN),
            alignment=Alignment(vertical="center", wrap_text=True),
        ),
        NamedStyle(TEXT, number_format="@"),
        NamedStyle(TITLE, font=Font(bold=True, size=14)),
        NamedStyle(LABEL, font=bold),
        NamedStyle(MONEY, number_format=MONEY_FORMAT),
        NamedStyle(EXACT, number_format=EXACT_FORMAT),
        NamedStyle(CENTS, number_format=CENTS_FORMAT),
        NamedStyle(INTEGER, number_format=INTEGER_FORMAT),
        NamedStyle(PERCENT, number_format=PERCENT_FORMAT),
        NamedStyle(DATE, number_format=DATE_FORMAT, alignment=Alignment(horizontal="left")),
        NamedStyle(TOTAL, font=bold, border=total_border, number_format=MONEY_FORMAT),
        NamedStyle(TOTAL_LABEL, font=bold, border=total_border, number_format="@"),
        NamedStyle(TOTAL_PERCENT, font=bold, border=total_border, number_format=PERCENT_FORMAT),
        NamedStyle(TOTAL_INTEGER, font=bold, border=total_border, number_format=INTEGER_FORMAT),
        NamedStyle(
            DEMO,
            font=Font(bold=True, size=14, color="FFFFFF"),
            fill=PatternFill("solid", fgColor="C00000"),
        ),
        NamedStyle(PASS, font=Font(bold=True, color="006100"),
                   fill=PatternFill("solid", fgColor="C6EFCE")),
        NamedStyle(FAIL, font=Font(bold=True, color="9C0006"),
                   fill=PatternFill("solid", fgColor="FFC7CE")),
        NamedStyle(WARN, font=Font(bold=True, color="9C5700"),
                   fill=PatternFill("solid", fgColor="FFEB9C")),
    ]


def in_currency(base: str, currency: str, name: str) -> NamedStyle:
    """A copy of the money style ``base`` whose number format names ``currency`` (``12,345.67 EUR``)."""
    style = next(style for style in _styles() if style.name == base)
    style.name = name
    style.number_format = f'#,##0.00 "{currency}"'
    return style


def register(workbook: Workbook) -> None:
    """Add every named style to ``workbook`` (once)."""
    for style in _styles():
        workbook.add_named_style(style)


STATUS_STYLES = {Status.PASS: PASS, Status.FAIL: FAIL, Status.WARN: WARN}
