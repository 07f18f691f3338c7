"""The journal, built once: the month's entry and a restatement's adjustments, in the ledger's currency. Pure.

One place for the ID scheme, so every layout and every re-run of a month agree on it:

* ``CB-YYYY-MM`` is the month's entry, ``CB-YYYY-MM-R<n>`` the n-th restatement's adjustment entry;
* a line's External ID is ``<entry>-<cost center code>``, the balancing line's ``<entry>-CREDIT``;
  with ``products:`` the month's entry has a line per cost center and account, ``<entry>-<code>-<account>``;
* an entry too long for a system is split into balanced parts ``<entry>-1``, ``<entry>-2``, … whose
  cost-center lines keep their External IDs and whose balancing lines are ``<entry>-<n>-CREDIT``.

Every ID is derived only from the month, the restatement number, the cost center and the
part number, so a re-run of the same month gives the same IDs and re-imports can be caught.

Ledger currency: a cost center's ledger amount is its exact USD allocation times the month's
rate, rounded by largest remainder to (the exact month total × rate) rounded half-up, so debits
equal credits to the cent in the ledger's currency. The rounding happens here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from reports.core.checks import Check, Figure, FigureKind, Status
from reports.core.journal_entry import Journal, JournalLine, Ledger
from reports.core.money import CENT, ZERO, largest_remainder, round_cents
from reports.core.months import Month
from reports.core.settings import USD, Settings
from reports.errors import ConfigError

PREFIX = "CB"
BALANCING = "CREDIT"


# ---------------------------------------------------------------- the ID scheme


def journal_id(month: Month, restatement: int | None = None) -> str:
    """``CB-2026-10`` for the month, ``CB-2026-10-R1`` for its first restatement."""
    base = f"{PREFIX}-{month}"
    return base if restatement is None else f"{base}-R{restatement}"


def line_id(entry: str, code: str, account: str | None = None) -> str:
    """A cost center line's External ID: ``CB-2026-10-ENG-100``; with ``products:``, per account:
    ``CB-2026-10-ENG-100-6430``."""
    return f"{entry}-{code}" if account is None else f"{entry}-{code}-{account}"


def balancing_id(entry: str) -> str:
    """The balancing line's External ID: ``CB-2026-10-CREDIT``."""
    return f"{entry}-{BALANCING}"


def part_id(entry: str, number: int) -> str:
    """The n-th balanced part of an entry split for a line limit: ``CB-2026-10-2``."""
    return f"{entry}-{number}"


# ---------------------------------------------------------------- the ledger


def ledger_for(settings: Settings, month: Month) -> Ledger:
    """The ledger's currency and the month's rate; ConfigError naming the month when it has none."""
    journal = settings.journal
    if journal.currency == USD:
        return Ledger()
    rate = journal.exchange_rates.get(month)
    if rate is None:
        where = settings.source_path or "the configuration"
        known = ", ".join(str(m) for m in sorted(journal.exchange_rates)) or "none"
        raise ConfigError(where, [
            f"{where}: journal.exchange_rates: no rate for {month}, and the journal is in {journal.currency}; "
            f'add {month}: "<{journal.currency} per 1 USD>" (rates given: {known})'])
    return Ledger(journal.currency, rate)


def to_ledger(exact: Mapping[str, Fraction], usd: Mapping[str, Decimal], exact_total: Fraction,
              usd_total: Decimal, ledger: Ledger) -> tuple[dict[str, Decimal], Decimal]:
    """Each cost center's amount and the total in the ledger's currency, rounded to the cent.

    ``exact`` is each cost center's exact USD allocation and ``usd`` the same rounded (they
    are the ledger amounts as they are when the ledger is in USD). Otherwise each exact
    amount is multiplied by the rate exactly, then rounded by largest remainder to the
    exact total times the rate, rounded half-up.
    """
    if ledger.is_usd:
        return dict(usd), usd_total
    rate = Fraction(ledger.rate)
    target = round_cents(exact_total * rate)
    return largest_remainder({code: value * rate for code, value in exact.items()}, target), target


# ---------------------------------------------------------------- building entries


@dataclass(frozen=True)
class Posting:
    """One cost center's signed amount for an entry (positive debits its account)."""

    code: str
    name: str
    account: str
    amount: Decimal  # ledger currency, to the cent
    amount_usd: Decimal  # USD, to the cent
    external_id: str


def _sides(amount: Decimal, usd: Decimal, debit_side: bool | None = None) -> tuple[Decimal | None, ...]:
    """(debit, credit, debit_usd, credit_usd) of a signed amount; zero goes to the other currency's side."""
    if debit_side is None:
        debit_side = amount > 0 or (amount == 0 and usd > 0)
    usd_debit = usd > 0 or (usd == 0 and debit_side)
    return (amount if debit_side else None, None if debit_side else -amount,
            usd if usd_debit else None, None if usd_debit else -usd)


def entry(entry_id: str, day: date, period: str, memo: str, ledger: Ledger, balancing_account: str,
          postings: Sequence[Posting]) -> Journal:
    """An entry of ``postings`` and one balancing line on ``balancing_account`` (none if nothing to balance)."""
    lines = []
    for posting in postings:
        if posting.amount == 0 and posting.amount_usd == 0:
            continue  # a cost center without spend gets no line
        debit, credit, debit_usd, credit_usd = _sides(posting.amount, posting.amount_usd)
        lines.append(JournalLine(account=posting.account, cost_center=posting.code, cost_center_name=posting.name,
                                 debit=debit, credit=credit, external_id=posting.external_id,
                                 debit_usd=debit_usd, credit_usd=credit_usd, journal_id=entry_id, day=day,
                                 period=period, memo=memo))
    net = sum((line.amount for line in lines), ZERO)
    net_usd = sum((line.amount_usd for line in lines), ZERO)
    if net != 0 or net_usd != 0:
        debit, credit, debit_usd, credit_usd = _sides(-net, -net_usd)
        lines.append(JournalLine(account=balancing_account, cost_center=None, cost_center_name=None,
                                 debit=debit, credit=credit, external_id=balancing_id(entry_id),
                                 debit_usd=debit_usd, credit_usd=credit_usd, journal_id=entry_id, day=day,
                                 period=period, memo=memo))
    return Journal(journal_id=entry_id, day=day, period=period, memo=memo, ledger=ledger,
                   balancing_account=balancing_account, lines=tuple(lines))


def month_memo(settings: Settings, month: Month) -> str:
    return settings.journal.memo.format(month=str(month))


def month_journal(month: Month, settings: Settings, ledger: Ledger, *, exact: Mapping[str, Fraction],
                  usd: Mapping[str, Decimal], exact_total: Fraction, usd_total: Decimal,
                  accounts: Mapping[str, Mapping[str, Fraction]] | None = None) -> Journal:
    """The month's entry: one debit line per cost center with spend, one credit line balancing them.

    ``accounts`` (with ``products:``) is each cost center's exact USD by expense account: the cost
    center's line is then one line per account, its cents split by largest remainder of those
    exact amounts, so the lines add up to the cost center's amount and the entry to the month's.
    """
    amounts, _ = to_ledger(exact, usd, exact_total, usd_total, ledger)
    entry_id = journal_id(month)
    if accounts is None:
        postings = [Posting(center.code, center.name, settings.expense_account_for(center.code),
                            amounts[center.code], usd[center.code], line_id(entry_id, center.code))
                    for center in settings.cost_centers]
    else:
        postings = [posting for center in settings.cost_centers
                    for posting in _account_postings(entry_id, center.code, center.name, accounts[center.code],
                                                     exact[center.code], amounts[center.code], usd[center.code],
                                                     ledger)]
    journal = entry(entry_id, month.last_day, str(month), month_memo(settings, month), ledger,
                    settings.usage_credit_account(), postings)
    if settings.reverses_accrual():  # an accrual: NetSuite reverses it on the 1st of the next month
        journal = replace(journal, reverses_on=month.last_day + timedelta(days=1))
    return journal


def _account_postings(entry_id: str, code: str, name: str, parts: Mapping[str, Fraction], exact: Fraction,
                      amount: Decimal, usd: Decimal, ledger: Ledger) -> list[Posting]:
    """A cost center's amount (ledger and USD, to the cent) as one posting per account, by largest remainder."""
    if sum(parts.values(), Fraction(0)) != exact:  # the parts are the same spend cut by product: a bug if not
        raise ValueError(f"{code}: spend by account does not add up to the cost center's allocation")
    if not parts:
        return []
    ordered = dict(sorted(parts.items()))  # the same lines in the same order on every run
    usd_parts = largest_remainder(ordered, usd)
    if ledger.is_usd:
        ledger_parts = usd_parts
    else:
        rate = Fraction(ledger.rate)
        ledger_parts = largest_remainder({account: value * rate for account, value in ordered.items()}, amount)
    return [Posting(code, name, account, ledger_parts[account], usd_parts[account], line_id(entry_id, code, account))
            for account in ordered]


@dataclass(frozen=True)
class Change:
    """A cost center's restated minus sealed journal amount, in the ledger's currency and in USD."""

    code: str
    name: str
    amount: Decimal
    amount_usd: Decimal


def adjustment_memo(settings: Settings, month: Month, label: str) -> str:
    """An adjustment's memo: the month's memo and the label, naming the month it corrects (whatever the memo says)."""
    memo = month_memo(settings, month)
    return f"{memo} {label}" if str(month) in memo else f"{memo} {label} of {month}"


def adjustment_journal(month: Month, number: int, settings: Settings, ledger: Ledger,
                       changes: Sequence[Change], *, day: date) -> Journal:
    """A restatement's entry: only the differences, balanced on the credit account.

    A positive difference debits the cost center's expense account, a negative one credits
    it (a cost center no longer in the config posts to the default expense account).
    It is dated ``day`` (the posting date: an open period, not the closed month's last day),
    its period is that day's month, and its memo names the month it corrects.
    """
    entry_id = journal_id(month, number)
    configured = {center.code for center in settings.cost_centers}
    postings = [Posting(change.code, change.name,
                        settings.expense_account_for(change.code) if change.code in configured
                        else settings.journal.expense_account,
                        change.amount, change.amount_usd, line_id(entry_id, change.code))
                for change in changes]
    memo = adjustment_memo(settings, month, f"restatement R{number}")
    return entry(entry_id, day, str(Month(day.year, day.month)), memo, ledger, settings.usage_credit_account(),
                 postings)


def split(journal: Journal, max_lines: int) -> tuple[Journal, ...]:
    """The entry as balanced parts of at most ``max_lines`` lines each (itself when it fits).

    Cost-center lines are taken in order, ``max_lines - 1`` to a part, and each part gets its
    own balancing line; parts are numbered from 1, so the same journal always splits the same way.
    """
    if max_lines < 2:
        raise ValueError("an entry needs room for a line and its balancing line")
    if len(journal.lines) <= max_lines:
        return (journal,)
    postings = [Posting(line.cost_center, line.cost_center_name or "", line.account, line.amount, line.amount_usd,
                        line.external_id)
                for line in journal.lines if line.cost_center is not None]
    size = max_lines - 1
    parts = []
    for number, start in enumerate(range(0, len(postings), size), 1):
        entry_id = part_id(journal.journal_id, number)
        parts.append(entry(entry_id, journal.day, journal.period, journal.memo, journal.ledger,
                           journal.balancing_account, postings[start:start + size]))
    return tuple(parts)


# ---------------------------------------------------------------- proof


def ledger_checks(journal: Journal, exact: Mapping[str, Fraction], exact_total: Fraction) -> tuple[Check, ...]:
    """Reconciliation checks of a journal in another currency than USD (none for a USD ledger)."""
    ledger = journal.ledger
    if ledger.is_usd:
        return ()
    currency, rate = ledger.currency, Fraction(ledger.rate)
    target = round_cents(exact_total * rate)
    amounts = journal.by_cost_center()
    worst = max((abs(Fraction(amounts.get(code, ZERO)) - value * rate) for code, value in exact.items()),
                default=Fraction(0))
    worst_figure = Figure((Decimal(worst.numerator) / Decimal(worst.denominator)).quantize(Decimal('0.000001')),
                          FigureKind.EXACT)

    def check(name: str, expected: str | Figure, actual: str | Figure, ok: bool, detail: str = "") -> Check:
        return Check(name, expected, actual, Status.PASS if ok else Status.FAIL, detail)

    return (
        check(f"Journal debits equal credits ({currency})", Figure(journal.debits, currency=currency),
              Figure(journal.credits, currency=currency),
              journal.debits == journal.credits),
        # short names, so each check stays on one line of the PDF's notes page (the rate is in Run Info)
        check(f"Journal total ({currency}) = exact USD total × rate", Figure(target, currency=currency),
              Figure(journal.debits, currency=currency),
              journal.debits == target),
        check(f"Each cost center within one cent of its {currency} share", "less than 0.01", worst_figure,
              worst < Fraction(CENT)),
    )
