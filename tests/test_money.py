"""Money: exact parsing of the API's cents strings and the one rounding rule."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.core.money import AmountError, cents_to_dollars, largest_remainder, parse_cents, round_cents


@pytest.mark.parametrize("text, cents", [("123.78912", "123.78912"), ("0.1", "0.1"), ("1500", "1500"),
                                         ("-2.5", "-2.5")])
def test_cents_strings_parse_exactly(text, cents):
    assert parse_cents(text) == Decimal(cents)


@pytest.mark.parametrize("bad", ["12.3.4", "", " 1", "NaN", "Infinity", "1e", "abc", None, 12.5, 3])
def test_malformed_amounts_are_refused_not_zeroed(bad):
    with pytest.raises(AmountError):
        parse_cents(bad)


def test_cents_become_dollars_by_moving_the_point():
    assert cents_to_dollars(Decimal("123.78912")) == Decimal("1.2378912")


def test_half_cent_rounds_up_not_to_even():
    assert round_cents(Decimal("0.125")) == Decimal("0.13")
    assert round_cents(Decimal("0.135")) == Decimal("0.14")
    assert round_cents(Fraction(1, 8)) == Decimal("0.13")


def test_largest_remainder_gives_missing_cents_to_largest_fractions():
    exact = {"A": Fraction(1, 3), "B": Fraction(1, 3), "C": Fraction(1, 3)}
    result = largest_remainder(exact, Decimal("1.00"))
    assert sum(result.values()) == Decimal("1.00")
    assert sorted(result.values()) == [Decimal("0.33"), Decimal("0.33"), Decimal("0.34")]


def test_a_tied_cent_goes_to_the_first_listed():
    exact = {"SUP-200": Fraction(5005, 1000), "ENG-100": Fraction(5005, 1000)}  # $10.01 split 50/50
    assert largest_remainder(exact, Decimal("10.01")) == {"SUP-200": Decimal("5.01"), "ENG-100": Decimal("5.00")}


@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=12),
       st.integers(min_value=1, max_value=10**6))
def test_largest_remainder_adds_up_and_stays_within_a_cent(numerators, denominator):
    exact = {f"CC{i}": Fraction(n, denominator) for i, n in enumerate(numerators)}
    target = round_cents(sum(exact.values(), Fraction(0)))
    rounded = largest_remainder(exact, target)
    assert sum(rounded.values()) == target
    for key, value in exact.items():
        assert abs(Fraction(rounded[key]) - value) < Fraction(1, 100)
