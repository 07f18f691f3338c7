"""Products to their own expense accounts: each cost center's exact spend by account (config ``products:``). Pure.

A payer's spend is summed by product, then follows the payer's allocation: wholly to its cost
center, or through a shared rule's exact shares, so shared spend carries its product mix into
each receiving cost center. Each product goes to the account ``Settings.account_for`` names (the
cost center's override, the top-level ``products:``, else the cost center's own account; a null
or unlisted product too). The journal rounds these exact amounts, never this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

from reports.core.allocate import Allocation
from reports.core.money import cents_to_dollars
from reports.core.records import Attribution, CostRow
from reports.core.settings import Settings


def by_payer_product(rows: Iterable[CostRow]) -> dict[tuple[Attribution, str | None], Decimal]:
    """Exact cents per (payer, product)."""
    sums: dict[tuple[Attribution, str | None], Decimal] = {}
    for row in rows:
        key = (row.attribution, row.product)
        found = sums.get(key)
        sums[key] = row.amount_cents if found is None else found + row.amount_cents
    return sums


def account_amounts(settings: Settings, allocation: Allocation,
                    rows: Iterable[CostRow]) -> dict[str, dict[str, Fraction]]:
    """Each configured cost center's exact USD per expense account (only accounts it has spend on)."""
    accounts: dict[str, dict[str, Fraction]] = {center.code: {} for center in settings.cost_centers}
    for (payer, product), cents in by_payer_product(rows).items():
        dollars = Fraction(cents_to_dollars(cents))
        for code, share in allocation.split_of(payer):
            account = settings.account_for(code, product)
            found = accounts[code]
            found[account] = found.get(account, Fraction(0)) + dollars * share
    return accounts

