"""The ``billing:`` section of the config: how an invoice's credits, tax and other lines reach cost centers."""

from __future__ import annotations

from collections.abc import Set
from decimal import Decimal

from reports.config.fields import read_decimal, read_mapping, read_text, unknown_keys
from reports.config.yaml_nodes import Node, Problems
from reports.core.settings import BILLING_MODES, EXCLUDE, PRO_RATA, BillingSettings, JournalSettings

_KEYS = {"mode", "credits", "tax", "other", "tolerance", "prepaid_account", "payable_account"}
PARTS = ("credits", "tax", "other")


def read_billing(node: Node | None, codes: Set[str], problems: Problems) -> BillingSettings:
    """``billing:`` as settings (the defaults when absent); every problem recorded with its line and key."""
    mapping = read_mapping(node, "billing", problems)
    defaults = BillingSettings()
    if mapping is None:
        return defaults
    unknown_keys(mapping, _KEYS, "billing.", problems)
    mode = read_text(mapping.get("mode"), "billing.mode", problems) or defaults.mode
    if mode not in BILLING_MODES:
        problems.add(mapping.get("mode"), "billing.mode", f"must be one of {', '.join(BILLING_MODES)}, got {mode!r}")
        mode = defaults.mode
    policies = {part: _policy(mapping.get(part), part, defaults.policy(part), codes, problems) for part in PARTS}
    return BillingSettings(
        mode=mode, **policies,
        tolerance=_tolerance(mapping.get("tolerance"), defaults.tolerance, problems),
        prepaid_account=read_text(mapping.get("prepaid_account"), "billing.prepaid_account", problems),
        payable_account=read_text(mapping.get("payable_account"), "billing.payable_account", problems),
    )


def _policy(node: Node | None, part: str, default: str, codes: Set[str], problems: Problems) -> str:
    key = f"billing.{part}"
    value = read_text(node, key, problems)
    if value is None:
        return default
    if value not in (PRO_RATA, EXCLUDE) and value not in codes:
        known = ", ".join(sorted(codes)) or "none configured"
        problems.add(node, key, f"must be {PRO_RATA}, {EXCLUDE} or a cost center code (codes: {known}), "
                                f"got {value!r}")
        return default
    return value


def _tolerance(node: Node | None, default: Decimal, problems: Problems) -> Decimal:
    if node is None or node.value is None:
        return default
    value = read_decimal(node, "billing.tolerance", problems)
    if value is None:
        return default
    if value < 0:
        problems.add(node, "billing.tolerance", f"must not be negative (USD), got {node.text!r}")
        return default
    return value


def check_billing(billing_node: Node | None, journal_node: Node | None, billing: BillingSettings,
                  journal: JournalSettings, problems: Problems) -> None:
    """What a billing mode needs from the rest of the config: prepaid's two accounts; reversal only when invoiced."""
    mapping = billing_node.value if billing_node is not None and isinstance(billing_node.value, dict) else {}
    if billing.mode == "prepaid":
        for key, value in (("prepaid_account", billing.prepaid_account), ("payable_account", billing.payable_account)):
            if not value:
                problems.add(mapping.get(key) or mapping.get("mode") or billing_node, f"billing.{key}",
                             "is required by billing.mode prepaid: the "
                             + ("asset account the usage journal credits (prepaid credits), for example \"1350\""
                                if key == "prepaid_account" else
                                "account a credit purchase is payable to, for example \"2000\""))
        if "quickbooks" in journal.layouts:  # QuickBooks Online imports accounts by name
            for key, account in (("prepaid_account", billing.prepaid_account),
                                 ("payable_account", billing.payable_account)):
                if account and account not in journal.account_names:
                    problems.add(mapping.get(key) or billing_node, "journal.account_names",
                                 f"no name for account {account} (billing.{key}), which the quickbooks layout "
                                 f'posts; add "{account}": "<the account\'s name in QuickBooks>"')
    if journal.reverse_accrual and billing.mode != "invoiced":
        reverse = journal_node.value.get("reverse_accrual") if journal_node is not None and isinstance(
            journal_node.value, dict) else None
        problems.add(reverse or journal_node, "journal.reverse_accrual",
                     f"reverses an accrual, which only billing.mode invoiced posts (billing.mode is {billing.mode}): "
                     "remove it or set it to false")
