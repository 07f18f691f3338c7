"""The config's ``products:``: each product's spend to its own expense account (top level and per cost center)."""

from __future__ import annotations

import re

from reports.config.fields import read_mapping, read_text, unknown_keys
from reports.config.yaml_nodes import Node, Problems

# The analytics API's product is an open string (analytics-api.md §1.4): snake_case names such as
# claude_code, messages_api, chat, and "other". A new product must not need a new release, so
# any such name is accepted; the legacy reports' hyphenated spelling (claude-tag) never matches.
_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
_PRODUCT_KEYS = {"expense_account"}


def read_products(node: Node | None, key: str, problems: Problems) -> tuple[tuple[str, str], ...]:
    """``{product: {expense_account: "6430"}, …}`` as (product, account) pairs, in the file's order."""
    mapping = read_mapping(node, key, problems)
    if mapping is None:
        if node is not None and node.value is None:
            problems.add(node, key, 'is empty: map products to accounts, e.g. claude_code: {expense_account: "6430"}')
        return ()
    pairs = []
    for product, item in mapping.items():
        where = f"{key}.{product}"
        if not _NAME.match(product):
            hint = f" (the API writes {product.replace('-', '_')})" if "-" in product else ""
            problems.add(item, where, f"{product!r} is not a product name as the analytics API writes it: lower "
                         f"case letters, digits and underscores, e.g. claude_code, messages_api, other{hint}")
            continue
        fields = read_mapping(item, where, problems)
        if fields is None:
            if item.value is None:
                problems.add(item, where, 'needs an expense_account, e.g. {expense_account: "6430"}')
            continue
        unknown_keys(fields, _PRODUCT_KEYS, f"{where}.", problems)
        account = read_text(fields.get("expense_account"), f"{where}.expense_account", problems, required=True,
                            parent=item)
        if account is not None:
            pairs.append((product, account))
    return tuple(pairs)
