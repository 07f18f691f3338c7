"""Readers of one YAML value (text, number, list, mapping, known keys), each recording its problem."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from reports.config.yaml_nodes import Node, Problems

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def unknown_keys(mapping: dict[str, Node], allowed: set[str], prefix: str, problems: Problems) -> None:
    for key, node in mapping.items():
        if key not in allowed:
            hint = ", ".join(sorted(allowed))
            problems.add(node, f"{prefix}{key}", f"unknown key (expected one of: {hint})")


def read_text(node: Node | None, key: str, problems: Problems, *, required: bool = False,
              parent: Node | None = None) -> str | None:
    if node is None or node.value is None:
        if required:
            problems.add(parent, key, "is required")
        return None
    if isinstance(node.value, (dict, list)) or isinstance(node.value, bool):
        problems.add(node, key, "must be text")
        return None
    value = node.text if node.text is not None else str(node.value)
    if not value.strip():
        problems.add(node, key, "must not be empty")
        return None
    return value.strip()


def read_decimal(node: Node, key: str, problems: Problems) -> Decimal | None:
    if isinstance(node.value, bool) or not isinstance(node.value, (int, float, str)) or node.text is None:
        problems.add(node, key, f"must be a number, got {node.text or type(node.value).__name__!r}")
        return None
    try:
        value = Decimal(node.text.replace("_", ""))
    except InvalidOperation:
        problems.add(node, key, f"must be a number, got {node.text!r}")
        return None
    if not value.is_finite():
        problems.add(node, key, f"must be a finite number, got {node.text!r}")
        return None
    return value


def read_list(node: Node | None, key: str, problems: Problems) -> list[tuple[str, Node]]:
    if node is None or node.value is None:
        return []
    if not isinstance(node.value, list):
        problems.add(node, key, "must be a list, for example [a, b]")
        return []
    items = []
    for index, item in enumerate(node.value):
        text = read_text(item, f"{key}[{index}]", problems)
        if text is not None:
            items.append((text, item))
    return items


def read_mapping(node: Node | None, key: str, problems: Problems) -> dict[str, Node] | None:
    if node is None or node.value is None:
        return None
    if not isinstance(node.value, dict):
        problems.add(node, key, "must be a mapping of keys to values")
        return None
    return node.value
