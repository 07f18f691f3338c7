"""The journal builder in the core: the ID scheme, the ledger currency, balanced parts, adjustments."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from reports.core.journal import (
    Change,
    adjustment_journal,
    ledger_for,
    month_journal,
    split,
    to_ledger,
)
from reports.core.journal_entry import Ledger
from reports.core.money import largest_remainder, round_cents
from reports.core.months import Month
from reports.core.settings import CostCenter, JournalSettings, Settings
from reports.errors import ConfigError

MONTH = Month(2026, 10)
EUR = Ledger("EUR", Decimal("0.9210"))
POSTED = date(2026, 12, 4)  # a restatement's posting date: in an open period, after the month was closed


def settings_with(count: int, **journal) -> Settings:
    centers = tuple(CostCenter(f"CC-{i:03d}", f"Center {i}", expense_account="6421" if i % 7 == 0 else None)
                    for i in range(count))
    return Settings(organization="Acme", cost_centers=centers, journal=JournalSettings(**journal),
                    source_path="chargeback.yaml")


def build(settings: Settings, exact: dict[str, Fraction], ledger: Ledger | None = None):
    ledger = ledger or Ledger()
    total = sum(exact.values(), Fraction(0))
    usd_total = round_cents(total)
    usd = largest_remainder(exact, usd_total)
    return month_journal(MONTH, settings, ledger, exact=exact, usd=usd, exact_total=total, usd_total=usd_total), usd


def thirds(settings: Settings) -> dict[str, Fraction]:
    # amounts with remainders that no decimal holds exactly, some cost centers without spend
    return {center.code: Fraction(1000 + 37 * i, 3) if i % 5 else Fraction(0)
            for i, center in enumerate(settings.cost_centers)}


def test_the_month_journal_debits_each_cost_center_with_spend_and_credits_the_total():
    settings = settings_with(9)
    exact = thirds(settings)
    journal, usd = build(settings, exact)
    debits = [line for line in journal.lines if line.cost_center]
    assert [line.cost_center for line in debits] == [code for code, value in exact.items() if value]
    assert all(line.debit == line.debit_usd == usd[line.cost_center] and line.credit is None for line in debits)
    credit = journal.lines[-1]
    assert credit.cost_center is None and credit.account == "2150" and credit.debit is None
    assert credit.credit == credit.credit_usd == round_cents(sum(exact.values(), Fraction(0)))
    assert journal.debits == journal.credits
    assert {line.journal_id for line in journal.lines} == {"CB-2026-10"}
    assert [line.external_id for line in journal.lines] == [f"CB-2026-10-{line.cost_center}" for line in debits] + [
        "CB-2026-10-CREDIT"]
    accounts = {line.cost_center: line.account for line in debits}
    assert accounts["CC-007"] == "6421" and accounts["CC-001"] == "6420"  # the cost center's override, or the default


def test_a_month_without_spend_has_no_lines_at_all():
    settings = settings_with(3)
    journal, _ = build(settings, {center.code: Fraction(0) for center in settings.cost_centers})
    assert journal.lines == ()


def test_a_usd_ledger_takes_the_summary_amounts_unchanged():
    settings = settings_with(4)
    exact = thirds(settings)
    total = sum(exact.values(), Fraction(0))
    usd = largest_remainder(exact, round_cents(total))
    assert to_ledger(exact, usd, total, round_cents(total), Ledger()) == (usd, round_cents(total))


@hypothesis_settings(max_examples=200, deadline=None)
@given(cents=st.lists(st.fractions(min_value=0, max_value=10_000_000, max_denominator=10_000), min_size=1, max_size=40),
       rate=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("400"), places=4))
def test_a_converted_journal_balances_to_the_cent_and_totals_the_converted_month(cents, rate):
    exact = {f"CC-{i}": value / 100 for i, value in enumerate(cents)}
    total = sum(exact.values(), Fraction(0))
    usd = largest_remainder(exact, round_cents(total))
    amounts, ledger_total = to_ledger(exact, usd, total, round_cents(total), Ledger("EUR", rate))
    # the total is the exact USD total times the rate, rounded half-up (independently computed here)
    scaled = total * Fraction(rate) * 100
    assert ledger_total == Decimal((scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator)) / 100
    assert sum(amounts.values(), Decimal(0)) == ledger_total
    for code, value in exact.items():
        assert abs(Fraction(amounts[code]) - value * Fraction(rate)) < Fraction(1, 100)


def test_the_eur_journal_carries_both_currencies_and_balances_in_each():
    settings = settings_with(9)
    exact = thirds(settings)
    journal, usd = build(settings, exact, EUR)
    assert journal.ledger == EUR
    assert journal.debits == journal.credits
    assert journal.debits_usd == journal.credits_usd == round_cents(sum(exact.values(), Fraction(0)))
    expected_total = (Decimal(sum(exact.values(), Fraction(0)).numerator) / sum(exact.values(), Fraction(0)).denominator
                      * EUR.rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert journal.debits == expected_total
    for line in journal.lines[:-1]:
        assert line.debit_usd == usd[line.cost_center]
        assert abs(Fraction(line.debit) - exact[line.cost_center] * Fraction(EUR.rate)) < Fraction(1, 100)


def test_a_month_without_a_rate_names_the_month():
    settings = settings_with(2, currency="EUR", exchange_rates={Month(2026, 9): Decimal("0.9180")})
    assert ledger_for(settings, Month(2026, 9)) == Ledger("EUR", Decimal("0.9180"))
    with pytest.raises(ConfigError) as caught:
        ledger_for(settings, MONTH)
    assert "journal.exchange_rates: no rate for 2026-10" in str(caught.value)
    assert "rates given: 2026-09" in str(caught.value)
    assert ledger_for(settings_with(2), MONTH) == Ledger()  # USD needs no rate


def test_a_long_entry_splits_into_balanced_parts_with_distinct_stable_keys():
    settings = settings_with(450)
    journal, _ = build(settings, {center.code: Fraction(100 + i, 7) for i, center in
                                  enumerate(settings.cost_centers)}, EUR)
    parts = split(journal, 200)
    assert [len(part.lines) for part in parts] == [200, 200, 53]
    assert [part.journal_id for part in parts] == ["CB-2026-10-1", "CB-2026-10-2", "CB-2026-10-3"]
    for part in parts:
        assert part.debits == part.credits and part.debits_usd == part.credits_usd
        assert {line.journal_id for line in part.lines} == {part.journal_id}
        assert part.lines[-1].external_id == f"{part.journal_id}-CREDIT" and part.lines[-1].cost_center is None
    # the parts hold exactly the cost-center lines of the entry, with their own External IDs
    original = [line for line in journal.lines if line.cost_center]
    parted = [line for part in parts for line in part.lines if line.cost_center]
    assert [(line.external_id, line.debit, line.debit_usd) for line in parted] == [
        (line.external_id, line.debit, line.debit_usd) for line in original]
    assert sum(part.credits for part in parts) == journal.credits
    keys = [line.external_id for part in parts for line in part.lines]
    assert len(keys) == len(set(keys))
    assert split(journal, 200) == parts  # the same journal always splits the same way
    assert split(journal, 500) == (journal,)


def test_an_adjustment_journals_signed_differences_with_keys_apart_from_the_month():
    settings = settings_with(4)
    changes = [Change("CC-000", "Center 0", Decimal("12.30"), Decimal("13.36")),
               Change("CC-001", "Center 1", Decimal("-2.00"), Decimal("-2.17")),
               Change("CC-002", "Center 2", Decimal("0.00"), Decimal("0.00")),
               Change("OLD-9", "Retired", Decimal("1.00"), Decimal("1.09"))]
    journal = adjustment_journal(MONTH, 2, settings, EUR, changes, day=POSTED)
    by_code = {line.cost_center: line for line in journal.lines}
    assert set(by_code) == {"CC-000", "CC-001", "OLD-9", None}  # no line for an unchanged cost center
    assert (by_code["CC-000"].debit, by_code["CC-000"].debit_usd) == (Decimal("12.30"), Decimal("13.36"))
    assert (by_code["CC-001"].credit, by_code["CC-001"].credit_usd) == (Decimal("2.00"), Decimal("2.17"))
    assert by_code["CC-000"].account == "6421" and by_code["OLD-9"].account == "6420"
    assert by_code[None].credit == Decimal("11.30") and by_code[None].credit_usd == Decimal("12.28")
    assert journal.journal_id == "CB-2026-10-R2" and journal.memo.endswith("restatement R2")
    # posted on its own date, in that date's period; the memo names the month it corrects
    assert {(line.day, line.period) for line in journal.lines} == {(POSTED, "2026-12")}
    assert "2026-10" in journal.memo
    assert by_code["CC-000"].external_id == "CB-2026-10-R2-CC-000"
    assert by_code[None].external_id == "CB-2026-10-R2-CREDIT"
    month, _ = build(settings, thirds(settings))
    assert not {line.external_id for line in month.lines} & {line.external_id for line in journal.lines}


def test_an_adjustment_that_only_moves_money_between_cost_centers_needs_no_balancing_line():
    settings = settings_with(2)
    journal = adjustment_journal(MONTH, 1, settings, Ledger(), [
        Change("CC-000", "Center 0", Decimal("5.00"), Decimal("5.00")),
        Change("CC-001", "Center 1", Decimal("-5.00"), Decimal("-5.00"))], day=POSTED)
    assert [line.cost_center for line in journal.lines] == ["CC-000", "CC-001"]
    assert journal.debits == journal.credits == Decimal("5.00")


def test_an_adjustment_memo_names_the_month_it_corrects_even_when_the_memo_does_not():
    settings = settings_with(1, memo="AI spend")
    journal = adjustment_journal(MONTH, 1, settings, Ledger(), [Change("CC-000", "Center 0", Decimal("1.00"),
                                                                       Decimal("1.00"))], day=POSTED)
    assert journal.memo == "AI spend restatement R1 of 2026-10"
