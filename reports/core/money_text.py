"""Amounts as people read them: the one way every channel (PDF, email, stdout, sheet text) writes money."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from reports.core.money import ZERO, round_cents
from reports.core.settings import USD


def _cents(amount: Decimal | Fraction | int) -> Decimal:
    cents = round_cents(amount if isinstance(amount, (Decimal, Fraction)) else Decimal(amount))
    return abs(cents) if cents == ZERO else cents  # never "-0.00": a sign on nothing misleads


def money_text(amount: Decimal | Fraction | int, currency: str = USD, *, signed: bool = False) -> str:
    """``$1,234.50`` / ``-$1,234.50``; another currency by its ISO code: ``EUR 1,234.50`` / ``-EUR 1,234.50``.

    Half-up to the cent. ``signed`` is for a change: ``+$945.67``; exactly zero has no sign. The code
    stands where ``$`` stands, so a reader compares USD and ledger figures in the same shape.
    """
    cents = _cents(amount)
    text = f"{'$' if currency == USD else currency + ' '}{abs(cents):,.2f}"
    if cents < ZERO:
        return "-" + text
    return "+" + text if signed and cents > ZERO else text


def amount_text(amount: Decimal | Fraction | int) -> str:
    """``1,234.50``: half-up to the cent with thousands separators, for a column or check that names the currency."""
    return f"{_cents(amount):,.2f}"
