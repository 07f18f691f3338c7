"""A prepaid credit purchase (``billing.mode: prepaid``): its journal and the credits' expiry. Pure.

On prepaid credits the month's usage journal credits the prepaid asset (``billing.prepaid_account``),
drawing the balance down. Buying credits is the other side: a credit purchase, recorded with
``chargeback invoice`` as an invoice file whose ``usage`` is 0 (nothing used is billed on it;
its ``other`` lines are the credits bought, ``tax`` any tax on them), debits the prepaid asset and
credits ``billing.payable_account`` by its total. Credits expire one year after purchase
(accounting-formats.md §F). Journal ID ``CB-<YYYY-MM>-P<n>``, never a month's, restatement's,
true-up's or reversal's.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from reports.core.invoice import Invoice
from reports.core.journal import journal_id
from reports.core.journal_entry import Journal, JournalLine, Ledger
from reports.core.money import round_cents
from reports.core.months import Month
from reports.core.settings import Settings


def is_purchase(invoice: Invoice, settings: Settings) -> bool:
    """Whether the invoice is a credit purchase: prepaid mode, and no usage billed on it."""
    return settings.billing.mode == "prepaid" and invoice.usage == 0


def expires_on(day: date) -> date:
    """One year after ``day`` (a purchase on 29 February expires on 28 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def purchase_id(month: Month, number: int) -> str:
    """``CB-2026-10-P1``: the month's n-th credit purchase."""
    return f"{journal_id(month)}-P{number}"


def purchase_journal(invoice: Invoice, settings: Settings, ledger: Ledger, *, month: Month, number: int) -> Journal:
    """Dr the prepaid asset / Cr the payable, the purchase's total, on its date, at the month's rate."""
    entry_id = purchase_id(month, number)
    day = invoice.day
    period = str(Month(day.year, day.month))
    memo = (f"Claude API credit purchase {invoice.number} for {month}, credits expire {expires_on(day)}")
    usd = invoice.total
    amount = usd if ledger.is_usd else round_cents(Fraction(usd) * Fraction(ledger.rate))
    accounts = (settings.billing.prepaid_account or "", settings.billing.payable_account or "")
    lines = (
        JournalLine(journal_id=entry_id, day=day, period=period, account=accounts[0], cost_center=None,
                    cost_center_name=None, debit=amount, credit=None, memo=memo, external_id=f"{entry_id}-PREPAID",
                    debit_usd=usd, credit_usd=None),
        JournalLine(journal_id=entry_id, day=day, period=period, account=accounts[1], cost_center=None,
                    cost_center_name=None, debit=None, credit=amount, memo=memo, external_id=f"{entry_id}-PAYABLE",
                    debit_usd=None, credit_usd=usd),
    )
    return Journal(journal_id=entry_id, day=day, period=period, memo=memo, ledger=ledger,
                   balancing_account=accounts[1], lines=lines)
