"""An invoice file (YAML) read into an ``Invoice``: every field checked, every sum checked to the cent.

The same line-tracking reader as the configuration, so a problem names the file, the line and
the key; all problems are reported on one ``error:`` line.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from reports.config.fields import read_decimal, read_mapping, read_text, unknown_keys
from reports.config.yaml_nodes import Node, Problems, parse_yaml
from reports.core.invoice import CREDIT_KINDS, Invoice, InvoiceLine
from reports.core.money import CENT, ZERO
from reports.core.money_text import money_text
from reports.core.settings import USD
from reports.errors import ConfigError, InvoiceError

_KEYS = {"number", "issuer", "date", "currency", "usage", "credits", "tax", "other", "total"}
_LINE_KEYS = {"description", "amount"}
# The number names the invoice's folder: letters, digits and . _ - only, so it is one safe path segment.
_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def read_invoice(path: Path) -> tuple[Invoice, bytes]:
    """The invoice and the file's bytes as given; InvoiceError naming file, line and key otherwise."""
    shown = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InvoiceError(f"{shown}: invoice file not found") from None
    except OSError as exc:
        raise InvoiceError(f"{shown}: cannot be read: {exc.strerror}") from None
    return parse_invoice(data, shown), data


def parse_invoice(data: bytes, shown: str) -> Invoice:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvoiceError(f"{shown}: not UTF-8 text (byte {exc.start})") from None
    try:
        root = parse_yaml(text, shown)
    except ConfigError as exc:
        raise InvoiceError("; ".join(exc.problems)) from None
    if root is None or not isinstance(root.value, dict):
        raise InvoiceError(f"{shown}:1: the invoice must be a YAML mapping with number, date, usage and total")
    problems = Problems(shown)
    invoice = _build(root, problems)
    if problems.items or invoice is None:
        raise InvoiceError("; ".join(problems.items))
    return invoice


def _build(root: Node, problems: Problems) -> Invoice | None:
    top: dict[str, Node] = root.value
    unknown_keys(top, _KEYS, "", problems)
    number = read_text(top.get("number"), "number", problems, required=True, parent=root)
    if number is not None and not _NUMBER.match(number):
        problems.add(top.get("number"), "number", f"must be letters, digits, '.', '_' or '-' (it names the "
                                                  f"invoice's folder), got {number!r}")
    issuer = read_text(top.get("issuer"), "issuer", problems, required=True, parent=root)
    day = _date(top.get("date"), root, problems)
    currency = read_text(top.get("currency"), "currency", problems) or USD
    if currency != USD:
        problems.add(top.get("currency"), "currency", f"must be {USD}: the Claude API bills in US dollars and the "
                                                      f"usage report is in them, got {currency!r}")
    usage = _amount(top.get("usage"), "usage", root, problems)
    if usage is not None and usage < 0:
        problems.add(top.get("usage"), "usage", f"must not be negative, got {top['usage'].text}")
    credits = _lines(top.get("credits"), "credits", problems)
    tax = _lines(top.get("tax"), "tax", problems)
    other = _lines(top.get("other"), "other", problems)
    total = _amount(top.get("total"), "total", root, problems)
    if None in (number, issuer, day, usage, credits, tax, other, total):
        return None
    assert number and issuer and day and usage is not None and total is not None
    assert credits is not None and tax is not None and other is not None
    invoice = Invoice(number, issuer, day, currency, usage, credits, tax, other, total)
    if invoice.lines_total != total:
        problems.add(top.get("total"), "total",
                     f"{money_text(total)} is not usage + credits + tax + other = {money_text(invoice.lines_total)} "
                     f"(off by {money_text(total - invoice.lines_total, signed=True)})")
        return None
    return invoice


def _date(node: Node | None, root: Node, problems: Problems) -> date | None:
    if node is None or node.value is None:
        problems.add(root, "date", "is required (the invoice date, YYYY-MM-DD)")
        return None
    if isinstance(node.value, date) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", node.text or ""):
        return node.value
    problems.add(node, "date", f"must be a date of the form YYYY-MM-DD, got {node.text!r}")
    return None


def _amount(node: Node | None, key: str, parent: Node, problems: Problems) -> Decimal | None:
    """An amount in dollars to the cent, read from the YAML text (never through a float)."""
    if node is None or node.value is None:
        problems.add(parent, key, "is required (an amount in USD, for example 1200.00)")
        return None
    if isinstance(node.value, str):
        problems.add(node, key, f"must be a number, got text {node.text!r}")
        return None
    value = read_decimal(node, key, problems)
    if value is None:
        return None
    if value != value.quantize(CENT):
        problems.add(node, key, f"must be to the cent (at most two decimals), got {node.text}")
        return None
    return value.quantize(CENT)


def _lines(node: Node | None, key: str, problems: Problems) -> tuple[InvoiceLine, ...] | None:
    if node is None or node.value is None:
        return ()
    if not isinstance(node.value, list):
        problems.add(node, key, "must be a list of {description, amount} lines")
        return None
    lines: list[InvoiceLine] = []
    ok = True
    for index, item in enumerate(node.value):
        where = f"{key}[{index}]"
        mapping = read_mapping(item, where, problems)
        if mapping is None:
            if item.value is None:
                problems.add(item, where, "must be a {description, amount} line")
            ok = False
            continue
        unknown_keys(mapping, _LINE_KEYS | ({"kind"} if key == "credits" else set()), f"{where}.", problems)
        description = read_text(mapping.get("description"), f"{where}.description", problems, required=True,
                                parent=item)
        amount = _amount(mapping.get("amount"), f"{where}.amount", item, problems)
        kind = None
        if key == "credits":
            kind = read_text(mapping.get("kind"), f"{where}.kind", problems, required=True, parent=item)
            if kind is not None and kind not in CREDIT_KINDS:
                problems.add(mapping.get("kind"), f"{where}.kind", f"must be one of {', '.join(CREDIT_KINDS)}, "
                                                                   f"got {kind!r}")
                kind = None
            if amount is not None and amount >= ZERO:
                problems.add(mapping.get("amount"), f"{where}.amount",
                             f"a credit is negative (it reduces the invoice), got {mapping['amount'].text}")
                amount = None
        if description is None or amount is None or (key == "credits" and kind is None):
            ok = False
            continue
        lines.append(InvoiceLine(description, amount, kind))
    return tuple(lines) if ok else None
