"""The true-up: what the invoice adds to what was posted for the month, per cost center, as a balanced journal. Pure.

Each part of the invoice reaches cost centers by its ``billing:`` policy: the usage subtotal
always pro rata, credits, tax and other lines pro rata, all to one named cost center, or
excluded (left in a central account, never charged back). Pro rata is by each cost center's
usage charge as posted (the month's journal plus its restatements' adjustments). The exact
shares are rounded once, by largest remainder, to the invoice total less the excluded parts,
so the cost centers add up to it exactly; the true-up is that target minus what is posted
(earlier true-ups included), in USD and in the ledger's currency at the month's rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from reports.core.history import Posted
from reports.core.invoice import Invoice
from reports.core.journal import Posting as JournalPosting
from reports.core.journal import adjustment_memo, entry, journal_id, line_id
from reports.core.journal_entry import Journal, Ledger
from reports.core.money import ZERO, largest_remainder, round_cents
from reports.core.months import Month
from reports.core.settings import EXCLUDE, PRO_RATA, Settings
from reports.errors import UsageError

PARTS = ("credits", "tax", "other")


def trueup_id(month: Month, number: int) -> str:
    """``CB-2026-10-T1``: the month's n-th true-up (never meets the month's or a restatement's IDs)."""
    return f"{journal_id(month)}-T{number}"


@dataclass(frozen=True)
class TrueUpLine:
    """A cost center's posted amount, its share of the invoice, and the true-up between them."""

    code: str
    name: str
    posted_usd: Decimal
    target_usd: Decimal
    posted: Decimal  # ledger currency
    target: Decimal  # ledger currency

    @property
    def change_usd(self) -> Decimal:
        return self.target_usd - self.posted_usd

    @property
    def change(self) -> Decimal:
        return self.target - self.posted


@dataclass(frozen=True)
class TrueUp:
    """The invoice's true-up of a month: per cost center, the excluded parts, and its journal."""

    number: int
    invoice: Invoice
    lines: tuple[TrueUpLine, ...]
    charged_back: Decimal  # USD: the invoice total less the excluded parts (what the cost centers now hold)
    excluded: Decimal  # USD: the parts a policy excludes
    policies: Mapping[str, str]  # part -> policy, as applied
    journal: Journal

    @property
    def label(self) -> str:
        return f"T{self.number}"

    @property
    def posted_usd(self) -> Decimal:
        return sum((line.posted_usd for line in self.lines), ZERO)

    @property
    def change_usd(self) -> Decimal:
        return sum((line.change_usd for line in self.lines), ZERO)


def shares(invoice: Invoice, policies: Mapping[str, str], weights: Mapping[str, Decimal]) -> tuple[
        dict[str, Fraction], Decimal]:
    """Each cost center's exact share of the invoice (USD) and the excluded amount.

    ``weights`` is each cost center's usage charge in config order; the usage subtotal and every
    pro-rata part are split by it, a part named for a cost center goes to it whole.
    """
    exact: dict[str, Fraction] = {code: Fraction(0) for code in weights}
    basis = sum(weights.values(), ZERO)
    excluded = ZERO
    prorated = invoice.usage
    for part in PARTS:
        amount, policy = invoice.part(part), policies[part]
        if policy == EXCLUDE:
            excluded += amount
        elif policy == PRO_RATA:
            prorated += amount
        else:
            exact[policy] = exact.get(policy, Fraction(0)) + Fraction(amount)
    if prorated != 0:
        if basis <= 0:
            raise UsageError("no usage was charged to any cost center this month, so the invoice's usage and "
                             "pro_rata parts have nothing to be split by: name a cost center in billing: instead")
        for code, weight in weights.items():
            exact[code] += Fraction(prorated) * Fraction(weight) / Fraction(basis)
    return exact, excluded


def build_trueup(invoice: Invoice, settings: Settings, ledger: Ledger, *, month: Month, number: int,
                 weights: Mapping[str, Decimal], posted: Posted, day: date) -> TrueUp:
    """The true-up of ``month`` to ``invoice``: ``posted`` is what the books hold (earlier true-ups included).

    ``weights`` is each cost center's usage charge (USD) that pro rata splits by. The journal is dated
    ``day`` (in an open period), its period is that day's month, and its memo names the invoice.
    """
    if (ledger.currency, ledger.rate) != (posted.currency, posted.rate):
        raise UsageError(f"{month} was posted in {posted.currency} at {posted.rate} per USD, but the configuration "
                         f"now says {ledger.currency} at {ledger.rate}: a month's true-up posts at the rate its "
                         f"journal was posted at; restore journal.currency and journal.exchange_rates for {month}")
    policies = {part: settings.billing.policy(part) for part in PARTS}
    exact, excluded = shares(invoice, policies, weights)
    charged_back = invoice.total - excluded
    target_usd = largest_remainder(exact, charged_back)
    if ledger.is_usd:
        target = dict(target_usd)
    else:
        rate = Fraction(ledger.rate)
        target = largest_remainder({code: value * rate for code, value in exact.items()},
                                   round_cents(Fraction(charged_back) * rate))
    codes = list(dict.fromkeys([*exact, *posted.usd, *posted.ledger]))
    configured = {center.code: center for center in settings.cost_centers}
    lines = tuple(TrueUpLine(code, configured[code].name if code in configured else posted.names.get(code, code),
                             posted.usd.get(code, ZERO), target_usd.get(code, ZERO),
                             posted.ledger.get(code, ZERO), target.get(code, ZERO))
                  for code in codes)
    entry_id = trueup_id(month, number)
    postings = [JournalPosting(line.code, line.name,
                               settings.expense_account_for(line.code) if line.code in configured
                               else settings.journal.expense_account,
                               line.change, line.change_usd, line_id(entry_id, line.code))
                for line in lines]
    memo = adjustment_memo(settings, month, f"true-up T{number} to invoice {invoice.number}")
    journal = entry(entry_id, day, str(Month(day.year, day.month)), memo, ledger, settings.usage_credit_account(),
                    postings)
    return TrueUp(number, invoice, lines, charged_back, excluded, policies, journal)
