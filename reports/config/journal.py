"""The ``journal:`` section of the config: accounts, layouts and their settings, currency and rates."""

from __future__ import annotations

import re
from decimal import Decimal

from reports.config.fields import read_decimal, read_list, read_mapping, read_text, unknown_keys
from reports.config.yaml_nodes import Node, Problems
from reports.core.months import Month
from reports.core.settings import (
    DATE_FORMATS,
    LAYOUTS,
    USD,
    BusinessCentralSettings,
    CostCenter,
    IntacctSettings,
    JournalSettings,
    NetSuiteSettings,
    QuickBooksSettings,
    Settings,
    XeroSettings,
)

_JOURNAL_KEYS = {"credit_account", "expense_account", "memo", "layouts", "account_names", "currency",
                 "exchange_rates", "reverse_accrual", *LAYOUTS}
# Each layout's own settings (journal.<layout>), and the choices of its dimension.
_LAYOUT_KEYS = {
    "netsuite": {"subsidiary", "dimension", "date_format"},
    "xero": {"tax_rate", "tracking_category", "date_format"},
    "quickbooks": {"dimension", "date_format"},
    "business_central": {"date_format"},
    "intacct": {"journal", "date_format"},
}
_DIMENSIONS = {"netsuite": ("department", "class", "location"), "quickbooks": ("class", "location")}
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def read_journal(node: Node | None, problems: Problems) -> JournalSettings:
    mapping = read_mapping(node, "journal", problems)
    if mapping is None:
        return JournalSettings()
    unknown_keys(mapping, _JOURNAL_KEYS, "journal.", problems)
    defaults = JournalSettings()
    currency = _currency(mapping.get("currency"), problems)
    return JournalSettings(
        credit_account=(read_text(mapping.get("credit_account"), "journal.credit_account", problems)
                        or defaults.credit_account),
        expense_account=(read_text(mapping.get("expense_account"), "journal.expense_account", problems)
                         or defaults.expense_account),
        memo=_memo(mapping.get("memo"), problems) or defaults.memo,
        layouts=_layouts(mapping.get("layouts"), problems),
        account_names=_account_names(mapping.get("account_names"), problems),
        netsuite=NetSuiteSettings(**_layout_settings(mapping, "netsuite", problems)),
        xero=XeroSettings(**_layout_settings(mapping, "xero", problems)),
        quickbooks=QuickBooksSettings(**_layout_settings(mapping, "quickbooks", problems)),
        business_central=BusinessCentralSettings(**_layout_settings(mapping, "business_central", problems)),
        intacct=IntacctSettings(**_layout_settings(mapping, "intacct", problems)),
        currency=currency,
        exchange_rates=_exchange_rates(mapping.get("exchange_rates"), currency, mapping.get("currency"), problems),
        reverse_accrual=_reverse_accrual(mapping.get("reverse_accrual"), problems),
    )


def _reverse_accrual(node: Node | None, problems: Problems) -> bool:
    if node is None or node.value is None:
        return False
    if not isinstance(node.value, bool):
        problems.add(node, "journal.reverse_accrual", f"must be true or false, got {node.text!r}")
        return False
    return node.value


def _layouts(node: Node | None, problems: Problems) -> tuple[str, ...]:
    if node is not None and isinstance(node.value, str):
        node = Node([Node(node.value, node.line, node.text)], node.line)  # `layouts: xero` means [xero]
    layouts: list[str] = []
    for index, (name, item) in enumerate(read_list(node, "journal.layouts", problems)):
        if name not in LAYOUTS:
            problems.add(item, f"journal.layouts[{index}]",
                         f"unknown layout {name!r} (expected any of: {', '.join(LAYOUTS)})")
        elif name in layouts:
            problems.add(item, f"journal.layouts[{index}]", f"{name} is listed twice")
        else:
            layouts.append(name)
    return tuple(layouts)


def _account_names(node: Node | None, problems: Problems) -> dict[str, str]:
    mapping = read_mapping(node, "journal.account_names", problems)
    names: dict[str, str] = {}
    for account, item in (mapping or {}).items():
        name = read_text(item, f"journal.account_names.{account}", problems)
        if name is not None:
            names[account] = name
    return names


def _layout_settings(journal: dict[str, Node], layout: str, problems: Problems) -> dict[str, str]:
    """The keyword arguments of one layout's settings (``journal.<layout>``); defaults for what is left out."""
    key = f"journal.{layout}"
    mapping = read_mapping(journal.get(layout), key, problems)
    if mapping is None:
        return {}
    unknown_keys(mapping, _LAYOUT_KEYS[layout], f"{key}.", problems)
    values: dict[str, str] = {}
    for name in sorted(_LAYOUT_KEYS[layout]):
        value = read_text(mapping.get(name), f"{key}.{name}", problems)
        if value is None:
            continue
        if name == "date_format" and value not in DATE_FORMATS:
            problems.add(mapping[name], f"{key}.{name}",
                         f"unknown date format {value!r} (expected one of: {', '.join(DATE_FORMATS)})")
            continue
        if name == "dimension" and value not in _DIMENSIONS[layout]:
            problems.add(mapping[name], f"{key}.{name}",
                         f"must be one of {', '.join(_DIMENSIONS[layout])}, got {value!r}")
            continue
        values[name] = value
    return values


def _currency(node: Node | None, problems: Problems) -> str:
    currency = read_text(node, "journal.currency", problems)
    if currency is None:
        return USD
    if not _CURRENCY.match(currency):
        problems.add(node, "journal.currency", f"{currency!r} is not an ISO 4217 currency code such as EUR or GBP")
        return USD
    return currency


def _exchange_rates(node: Node | None, currency: str, currency_node: Node | None,
                    problems: Problems) -> dict[Month, Decimal]:
    """Rates per month, read from the YAML text (never through a float); each must be a positive decimal."""
    mapping = read_mapping(node, "journal.exchange_rates", problems)
    if mapping is None:
        return {}
    if currency == USD and mapping and (currency_node is None or currency_node.value == USD):
        problems.add(node, "journal.exchange_rates",
                     "rates are given but journal.currency is USD (the default): set journal.currency to the "
                     "ledger's currency, or remove exchange_rates")
    rates: dict[Month, Decimal] = {}
    for text, item in mapping.items():
        key = f"journal.exchange_rates.{text}"
        try:
            month = Month.parse(text)
        except ValueError as exc:
            problems.add(item, key, f"{exc}; write months as YYYY-MM keys, for example 2026-10: \"0.9210\"")
            continue
        if item.value is None:
            problems.add(item, key, "needs a rate: units of the ledger's currency per 1 USD")
            continue
        rate = read_decimal(item, key, problems)
        if rate is None:
            continue
        if rate <= 0:
            problems.add(item, key, f"must be a positive decimal (units of {currency} per 1 USD), got {item.text}")
            continue
        rates[month] = rate
    return rates


def check_layouts(node: Node | None, journal: JournalSettings, centers: list[CostCenter], problems: Problems,
                  products: tuple[tuple[str, str], ...] = ()) -> None:
    """What a configured layout needs from the rest of the config."""
    if node is None or not isinstance(node.value, dict):
        return
    mapping: dict[str, Node] = node.value
    anchor = mapping.get("layouts") or node
    if "quickbooks" in journal.layouts:
        probe = Settings(organization="", cost_centers=tuple(centers), journal=journal, products=products)
        names_node = mapping.get("account_names") or anchor
        for account in probe.posted_accounts():
            if account not in journal.account_names:
                problems.add(names_node, "journal.account_names",
                             f"no name for account {account}, which the quickbooks layout posts (QuickBooks Online "
                             f'imports accounts by name); add "{account}": "<the account\'s name in QuickBooks>"')
    if "xero" in journal.layouts and journal.xero.tax_rate is None:
        problems.add(mapping.get("xero") or anchor, "journal.xero.tax_rate",
                     "is required by the xero layout: the name of the tax rate for lines without tax in your "
                     'Xero organization, for example "Tax Exempt" or "No GST"')


def _memo(node: Node | None, problems: Problems) -> str | None:
    memo = read_text(node, "journal.memo", problems)
    if memo is None:
        return None
    try:
        memo.format(month="2026-01")
    except (KeyError, IndexError, ValueError):
        problems.add(node, "journal.memo", "may contain only the placeholder {month}")
        return None
    return memo
