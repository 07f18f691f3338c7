"""A journal entry as the books hold it: its ledger, its header and its lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class JournalLine:
    """One line of a journal. ``debit``/``credit`` are in the ledger's currency, rounded to the cent.

    Exactly one side of each pair is set. ``debit_usd``/``credit_usd`` are the same line in
    USD (equal to ``debit``/``credit`` when the ledger is in USD).
    """

    journal_id: str
    day: date
    period: str
    account: str
    cost_center: str | None  # None on the balancing (credit) line
    cost_center_name: str | None
    debit: Decimal | None
    credit: Decimal | None
    memo: str
    external_id: str
    debit_usd: Decimal | None
    credit_usd: Decimal | None

    @property
    def amount(self) -> Decimal:
        """Signed, in the ledger's currency: a debit is positive, a credit negative."""
        return self.debit if self.debit is not None else -(self.credit or Decimal(0))

    @property
    def amount_usd(self) -> Decimal:
        """Signed, in USD: a debit is positive, a credit negative."""
        return self.debit_usd if self.debit_usd is not None else -(self.credit_usd or Decimal(0))


@dataclass(frozen=True, slots=True)
class Ledger:
    """The currency the books are kept in and the month's locked rate (units of it per 1 USD)."""

    currency: str = "USD"
    rate: Decimal = Decimal(1)

    @property
    def is_usd(self) -> bool:
        return self.currency == "USD"


@dataclass(frozen=True)
class Journal:
    """A journal entry: its header and its lines; debits equal credits in the ledger and in USD.

    ``balancing_account`` is the account of the line without a cost center (the credit
    account), which every entry split from this one also gets.
    """

    journal_id: str
    day: date
    period: str
    memo: str
    ledger: Ledger
    balancing_account: str
    lines: tuple[JournalLine, ...]
    reverses_on: date | None = None  # an accrual reversed that day (NetSuite's Reversal Date); None if not

    @property
    def debits(self) -> Decimal:
        return sum((line.debit for line in self.lines if line.debit is not None), Decimal(0))

    @property
    def credits(self) -> Decimal:
        return sum((line.credit for line in self.lines if line.credit is not None), Decimal(0))

    @property
    def debits_usd(self) -> Decimal:
        return sum((line.debit_usd for line in self.lines if line.debit_usd is not None), Decimal(0))

    @property
    def credits_usd(self) -> Decimal:
        return sum((line.credit_usd for line in self.lines if line.credit_usd is not None), Decimal(0))

    def by_cost_center(self) -> dict[str, Decimal]:
        """Each cost center's signed amount in the ledger's currency (cost centers with a line only)."""
        amounts: dict[str, Decimal] = {}
        for line in self.lines:
            if line.cost_center is not None:
                amounts[line.cost_center] = amounts.get(line.cost_center, Decimal(0)) + line.amount
        return amounts
