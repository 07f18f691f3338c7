"""Jinja filters that turn the Report's Decimals into the strings a finance reader expects.

Shared by the PDF and the email. Every filter takes ``None`` (an unknown value, e.g. no
prior month) and shows an em dash, so templates never need to test for it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from reports.core.money import ZERO
from reports.core.money_text import amount_text, money_text

MISSING = "\u2014"  # em dash: "not known", never "zero"
_TENTH = Decimal("0.1")
_TOKEN_UNITS = (
    (Decimal(10) ** 12, "T"),
    (Decimal(10) ** 9, "B"),
    (Decimal(10) ** 6, "M"),
    (Decimal(10) ** 3, "K"),
)


def _dec(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def money(value: Decimal | int | None) -> str:
    """``$12,345.67``; negative ``-$12,345.67``. Rounds half-up to the cent (exact amounts)."""
    return MISSING if value is None else money_text(_dec(value))


def in_currency(value: Decimal | int | None, currency: str) -> str:
    """An amount in its currency: ``EUR 12,345.67``, ``-EUR 3.10`` (``$`` for USD), as every channel writes it."""
    return MISSING if value is None else money_text(_dec(value), currency)


def plain_amount(value: Decimal | int | None) -> str:
    """``12,345.67`` without a currency symbol (a table whose header names the currency)."""
    return MISSING if value is None else amount_text(_dec(value))


def whole_money(value: Decimal | int | None) -> str:
    """Whole dollars for chart axes: ``$1,250``."""
    if value is None:
        return MISSING
    dollars = _dec(value).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    text = f"${abs(dollars):,.0f}"
    return f"-{text}" if dollars < ZERO else text


def signed_money(value: Decimal | int | None) -> str:
    """A change: ``+$945.67`` / ``-$945.67``; exactly zero is ``$0.00`` (no sign)."""
    return MISSING if value is None else money_text(_dec(value), signed=True)


def _one_decimal_percent(fraction: Decimal) -> Decimal:
    return (fraction * 100).quantize(_TENTH, rounding=ROUND_HALF_UP)


def percent(value: Decimal | None) -> str:
    """A share (fraction) as a percentage with one decimal: ``0.4213`` -> ``42.1%``."""
    if value is None:
        return MISSING
    return f"{_one_decimal_percent(_dec(value)):,.1f}%"


def signed_percent(value: Decimal | None) -> str:
    """A change ratio (fraction) as ``+8.2%`` / ``-3.0%``; ``0.0%`` when it rounds to zero."""
    if value is None:
        return MISSING
    pct = _one_decimal_percent(_dec(value))
    if pct == ZERO:
        return "0.0%"
    return ("+" if pct > ZERO else "-") + f"{abs(pct):,.1f}%"


def tokens(value: int | Decimal | None) -> str:
    """Token counts, compact: ``950``, ``12.3K``, ``1.2M``, ``3.4B`` (half-up to one decimal)."""
    if value is None:
        return MISSING
    number = _dec(value)
    sign = "-" if number < 0 else ""
    number = abs(number)
    units = _TOKEN_UNITS[::-1]  # K, M, B, T
    for index, (size, suffix) in enumerate(units):
        is_last = index == len(units) - 1
        if number < size and index == 0:
            break
        if not is_last and number >= units[index + 1][0]:
            continue
        scaled = (number / size).quantize(_TENTH, rounding=ROUND_HALF_UP)
        if scaled >= 1000 and not is_last:
            # 999,950 would read "1000.0K": promote to the next unit instead.
            size, suffix = units[index + 1]
            scaled = (number / size).quantize(_TENTH, rounding=ROUND_HALF_UP)
        return f"{sign}{scaled:,.1f}{suffix}"
    return f"{sign}{number:,.0f}"


def integer(value: int | Decimal | None) -> str:
    """Exact count with thousands separators: ``1,234,567``."""
    if value is None:
        return MISSING
    return f"{_dec(value):,.0f}"


def utc(value: datetime | date | None) -> str:
    """A timestamp in UTC, to the second: ``2026-11-01 06:12:03 UTC``."""
    if value is None:
        return MISSING
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return value.isoformat()


def cost_type(value: str | None) -> str:
    """The API's cost type for people: ``web_search`` -> ``Web search``."""
    if not value:
        return MISSING
    text = value.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def short_date(value: date) -> str:
    """``Oct 7`` for chart axes."""
    return f"{value:%b} {value.day}"


# Text is laid out in the PDF within bounds: a name from the API can be any length (a megabyte of
# it took the renderer minutes), while the workbook's cells and the CSVs keep it whole.
NAME_LENGTH = 80  # a name in a table or a chart
TEXT_LENGTH = 2000  # any other value on the page (a note, a check's detail)


def clipped(text: object, limit: int = NAME_LENGTH) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis: how a name is laid out in a document."""
    text = "" if text is None else str(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _bounded(value: object) -> object:
    # Every {{ value }} passes here before it is escaped; markup the templates made is left whole.
    if type(value) is str and len(value) > TEXT_LENGTH:
        return clipped(value, TEXT_LENGTH)
    return value


FILTERS = {
    "short": clipped,
    "money": money,
    "in_currency": in_currency,
    "plain_amount": plain_amount,
    "whole_money": whole_money,
    "signed_money": signed_money,
    "percent": percent,
    "signed_percent": signed_percent,
    "tokens": tokens,
    "integer": integer,
    "utc": utc,
    "short_date": short_date,
    "cost_type": cost_type,
}


def build_environment(templates: Path | None = None) -> Environment:
    """The Jinja environment for every rendered document: autoescaped, strict, with FILTERS.

    ``templates`` defaults to the shipped ``templates/`` folder.
    """
    if templates is None:
        from reports.resources import templates_dir

        templates = templates_dir()
    env = Environment(
        loader=FileSystemLoader(str(templates)),
        autoescape=True,  # API text (workspace names) is data, never markup
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_bounded,
    )
    env.filters.update(FILTERS)
    return env


__all__ = ["FILTERS", "MISSING", "build_environment", *FILTERS]
