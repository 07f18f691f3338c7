"""Exact money arithmetic: API cents strings to Decimal dollars, and the one rounding rule."""

from __future__ import annotations

import math
import reprlib
from collections.abc import Mapping, Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from fractions import Fraction
from typing import TypeVar

ZERO = Decimal("0")
CENT = Decimal("0.01")
# Finance rounds half-up ("commercial rounding"), not Python's default banker's rounding.
ROUNDING = ROUND_HALF_UP

K = TypeVar("K")

# The sane range of one amount from the API, in cents: below a trillion dollars, and no finer than
# a trillionth of a cent. Within it, sums of a month's rows stay exact in Decimal's 28 digits.
MAX_CENTS = Decimal(10) ** 14
MIN_EXPONENT = -12

_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = 40


class AmountError(ValueError):
    """An amount string from the API is not a finite decimal number."""


def json_kind(value: object) -> str:
    """A JSON value as a message names it: ``null``, ``number 12.5``, ``object {'a': 1}`` (short)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, (int, float, Decimal)):
        return f"number {_SHOWN.repr(value) if isinstance(value, float) else _SHOWN.repr(str(value))[1:-1]}"
    kinds: dict[type, str] = {dict: "object", list: "array", str: "string"}
    kind = kinds.get(type(value), type(value).__name__)
    return f"{kind} {_SHOWN.repr(value)}"


def parse_cents(text: object) -> Decimal:
    """Parse the API's ``amount`` (a decimal string in cents) exactly; never guess."""
    if not isinstance(text, str):
        raise AmountError(f"amount must be a decimal string, got {json_kind(text)}")
    # The text is shown (clipped by reprlib) only in an error: hundreds of thousands of amounts pass here.
    stripped = text.strip()
    if not stripped or stripped != text:
        raise AmountError(f"amount {_SHOWN.repr(text)} is not a decimal number")
    try:
        value = Decimal(stripped)
    except InvalidOperation:
        raise AmountError(f"amount {_SHOWN.repr(text)} is not a decimal number") from None
    if not value.is_finite():
        raise AmountError(f"amount {_SHOWN.repr(text)} is not a finite number")
    if not value:
        return ZERO  # "-0", "0E-50": one zero, whose exponent cannot widen the sums it joins
    if abs(value) >= MAX_CENTS or value.as_tuple().exponent < MIN_EXPONENT:  # type: ignore[operator]
        raise AmountError(f"amount {_SHOWN.repr(text)} is outside any sane range (under {MAX_CENTS:,.0f} cents, "
                          f"at most {-MIN_EXPONENT} decimal places)")
    return value


def parse_cost_cents(text: object) -> Decimal:
    """A usage cost in cents (``parse_cents``) that is not negative.

    Both reports give usage at its price before credits (credits and refunds belong to the
    invoice), so a negative cost is not a figure either API gives: it would credit a cost center
    for spend that never happened.
    """
    value = parse_cents(text)
    if value < 0:
        raise AmountError(f"amount {_SHOWN.repr(text)} is negative; a usage cost is never below zero")
    return value


def cents_to_dollars(cents: Decimal) -> Decimal:
    """Exact conversion: dividing by 100 only moves the decimal point."""
    return cents.scaleb(-2)


def round_cents(dollars: Decimal | Fraction) -> Decimal:
    """Round dollars half-up to the cent."""
    if isinstance(dollars, Fraction):
        dollars = _fraction_to_decimal_floor_ulp(dollars)
    return dollars.quantize(CENT, rounding=ROUNDING)


def _fraction_to_decimal_floor_ulp(value: Fraction) -> Decimal:
    # Enough digits that half-up rounding to the cent cannot be changed by truncation,
    # except for an exact half which is represented exactly (denominator divides 10^k).
    numerator = Decimal(value.numerator)
    denominator = Decimal(value.denominator)
    with localcontext() as ctx:
        ctx.prec = 60
        ctx.rounding = ROUND_FLOOR
        return numerator / denominator


def fraction_to_decimal(value: Fraction) -> Decimal:
    """Exact Decimal for a fraction whose denominator has only factors 2 and 5."""
    denominator = value.denominator
    twos = fives = 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator != 1:
        raise ValueError(f"{value} has no exact decimal representation")
    digits = max(twos, fives)
    scaled = value * (10**digits)
    assert scaled.denominator == 1
    return Decimal(scaled.numerator).scaleb(-digits)


def apportion(target: int, numerators: Sequence[int], denominator: int) -> list[int]:
    """Whole units adding up to ``target``, each within one unit of ``numerators[i] / denominator``.

    The largest-remainder rule, the one rounding of every split: each amount is floored; the
    units still missing go one each to the amounts with the largest remainders; on a tie, to the
    one that comes first (for cost centers, the order of the config), so the result is
    reproducible. ``target`` must be within one unit per item of the exact sum.
    """
    floors = []
    remainders = []
    for numerator in numerators:
        floor, remainder = divmod(numerator, denominator)
        floors.append(floor)
        remainders.append(remainder)
    missing = target - sum(floors)
    if missing < 0 or missing > len(floors):
        raise ValueError(f"cannot apportion {target} units: the exact amounts add up to "
                         f"{sum(numerators) / denominator:g}")
    for index in sorted(range(len(floors)), key=lambda index: -remainders[index])[:missing]:  # stable sort
        floors[index] += 1
    return floors


def largest_remainder(exact: Mapping[K, Fraction], target: Decimal, places: int = 2) -> dict[K, Decimal]:
    """Round each exact dollar amount to cents (``apportion``) so that the results add up to ``target``.

    ``target`` must be within one cent per item of the exact sum, as it is when it is the exact sum
    rounded to the cent. ``places`` rounds to another unit than the cent (10**-places).
    """
    denominator = math.lcm(*(value.denominator for value in exact.values()))
    scale = 10**places
    numerators = [value.numerator * scale * (denominator // value.denominator) for value in exact.values()]
    try:
        units = apportion(int(target.scaleb(places).to_integral_value()), numerators, denominator)
    except ValueError:
        raise ValueError(
            f"cannot round to a total of {target}: exact amounts add to {float(sum(exact.values()))}"
        ) from None
    return {key: Decimal(unit).scaleb(-places) for key, unit in zip(exact, units, strict=True)}
