"""The invoice as recorded, and its walk from the usage report to the invoice total, exact to the cent. Pure.

An invoice (or a credit purchase) is the user's input: no API has it. The walk shows how the
month's usage at list price becomes what the company owes: the discount, what the API charged,
the usage subtotal the invoice prints (and why it may differ), credits, tax and other lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reports.core.checks import Check, Status
from reports.core.money import ZERO
from reports.core.money_text import money_text

CREDIT_KINDS = ("promotional", "prepaid")

# The walk's rows, in order (names are part of the contract: the sheet and the PDF show them).
LIST_PRICE = "Usage at list price"
DISCOUNT = "Discount"
CHARGED = "Usage charged (API)"
ON_INVOICE = "Usage on invoice"
DIFFERENCE = "Difference"
CREDITS = "Credits"
TAX = "Tax"
OTHER = "Other"
TOTAL = "Invoice total"
CHECK_ADDS_UP = "Invoice adds up"
CHECK_TOLERANCE = "Usage within tolerance"


@dataclass(frozen=True)
class InvoiceLine:
    """A credit, tax or other line of the invoice (a credit's ``kind``: promotional or prepaid)."""

    description: str
    amount: Decimal  # USD to the cent; a credit is negative
    kind: str | None = None


@dataclass(frozen=True)
class Invoice:
    """One invoice (or credit purchase) for a month, as the user recorded it; every amount to the cent."""

    number: str
    issuer: str
    day: date
    currency: str
    usage: Decimal  # the usage subtotal as printed on the invoice
    credits: tuple[InvoiceLine, ...]
    tax: tuple[InvoiceLine, ...]
    other: tuple[InvoiceLine, ...]
    total: Decimal

    def part(self, name: str) -> Decimal:
        """The sum of the ``credits``, ``tax`` or ``other`` lines."""
        lines: Sequence[InvoiceLine] = getattr(self, name)
        return sum((line.amount for line in lines), ZERO)

    @property
    def lines_total(self) -> Decimal:
        """Usage plus every credit, tax and other line: what ``total`` must equal."""
        return self.usage + self.part("credits") + self.part("tax") + self.part("other")


@dataclass(frozen=True)
class WalkRow:
    label: str
    amount: Decimal  # USD to the cent
    note: str = ""


@dataclass(frozen=True)
class Walk:
    """The Invoice Walk: its rows top to bottom and its two checks."""

    rows: tuple[WalkRow, ...]
    checks: tuple[Check, ...]

    def amount(self, label: str) -> Decimal:
        return next(row.amount for row in self.rows if row.label == label)


def difference_reasons(difference: Decimal, *, priority_tier_included: bool, restated: bool) -> str:
    """The known reasons a usage subtotal on the invoice differs from the API total, most likely first."""
    if difference == 0:
        return "none: the invoice's usage equals the API total"
    reasons = []
    if not priority_tier_included and difference > 0:
        reasons.append("Priority Tier spend is missing from the legacy cost report (source: analytics includes it)")
    reasons.append("usage data revised after the run (late-arriving usage; "
                   + ("already restated" if restated else "`run --restate` after close picks it up") + ")")
    if abs(difference) < Decimal("1.00"):
        reasons.append("rounding (the invoice rounds each line to the cent)")
    return "known reasons: " + "; ".join(reasons)


def build_walk(invoice: Invoice, *, charged: Decimal, list_price: Decimal | None, tolerance: Decimal,
               priority_tier_included: bool, restated: bool = False) -> Walk:
    """The walk from list price to the invoice total; ``charged`` is the month's posted usage charge (USD).

    Without list prices (the legacy report has none) the list price is shown as charged, with no discount.
    """
    listed = charged if list_price is None else list_price
    difference = invoice.usage - charged
    credit_kinds = ", ".join(sorted({line.kind for line in invoice.credits if line.kind}))
    rows = (
        WalkRow(LIST_PRICE, listed, "" if list_price is not None else "the source gives no list price: shown "
                                                                        "as charged"),
        WalkRow(DISCOUNT, charged - listed, "negotiated discount (list price minus charged)"),
        WalkRow(CHARGED, charged, "the month's journal plus any restatement's adjustment"),
        WalkRow(ON_INVOICE, invoice.usage, f"invoice {invoice.number}"),
        WalkRow(DIFFERENCE, difference, difference_reasons(difference, priority_tier_included=priority_tier_included,
                                                          restated=restated)),
        WalkRow(CREDITS, invoice.part("credits"), credit_kinds),
        WalkRow(TAX, invoice.part("tax"), "; ".join(line.description for line in invoice.tax)),
        WalkRow(OTHER, invoice.part("other"), "; ".join(line.description for line in invoice.other)),
        WalkRow(TOTAL, invoice.total, f"{invoice.issuer}, {invoice.day.isoformat()}"),
    )
    adds = invoice.lines_total == invoice.total
    within = abs(difference) <= tolerance
    checks = (
        Check(CHECK_ADDS_UP, money_text(invoice.total), money_text(invoice.lines_total),
              Status.PASS if adds else Status.FAIL, "usage + credits + tax + other = total, to the cent"),
        Check(CHECK_TOLERANCE, f"within {money_text(tolerance)}", money_text(difference, signed=True),
              Status.PASS if within else Status.WARN,
              "" if within else f"the invoice's usage differs from the API total by "
                                f"{money_text(difference, signed=True)}, beyond the tolerance of "
                                f"{money_text(tolerance)} (billing.tolerance)"),
    )
    return Walk(rows, checks)
