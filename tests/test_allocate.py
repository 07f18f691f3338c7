"""Allocation: direct, Default workspace, unallocated, fixed and proportional splits, exactly."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from reports.core.allocate import allocate
from reports.core.money import round_cents
from reports.core.months import Month
from reports.core.records import Attribution, CostRow, Directory
from reports.core.settings import CostCenter, Settings, SharedRule
from reports.core.totals import month_totals
from reports.errors import DataError

D = Decimal


def W(workspace: str | None) -> Attribution:
    """A legacy payer: a workspace (None is the Default workspace)."""
    return Attribution(workspace, default_workspace=workspace is None)


def _row(who: Attribution, cents: Decimal) -> CostRow:
    """A cost row of ``cents`` on the first of October 2026, paid by ``who``."""
    return CostRow(day=Month(2026, 10).first_day, attribution=who, description=None, cost_type=None, model=None,
                   token_type=None, service_tier=None, context_window=None, amount_cents=cents)


def by_workspace(spend: dict) -> dict[Attribution, Decimal]:
    return {W(ws): amount for ws, amount in spend.items()}


def make_settings(unallocated: str | None = "FIN", split=None) -> Settings:
    return Settings(
        organization="Acme",
        cost_centers=(
            CostCenter("ENG", "Engineering", workspaces=("w_eng",)),
            CostCenter("SUP", "Support", workspaces=("w_sup",)),
            CostCenter("FIN", "Unallocated"),
        ),
        default_workspace="ENG",
        unallocated=unallocated,
        shared=(SharedRule("w_fixed", split or {"ENG": D(70), "SUP": D(30)}), SharedRule("w_prop", None)),
    )


def test_direct_default_fixed_and_proportional_shares():
    spend = {"w_eng": D("30"), None: D("10"), "w_sup": D("20"), "w_fixed": D("10"), "w_prop": D("6")}
    result = allocate(by_workspace(spend), make_settings())
    # proportional weights: ENG 40 (own + Default), SUP 20; FIN none
    assert result.total("ENG") == 40 + 7 + Fraction(6 * 40, 60)
    assert result.total("SUP") == 20 + 3 + Fraction(6 * 20, 60)
    assert result.total("FIN") == 0
    assert result.allocated_total == sum(spend.values())


def test_unmapped_spend_goes_to_unallocated_and_carries_no_weight():
    spend = {"w_eng": D("10"), "w_new": D("5"), "w_prop": D("3")}
    result = allocate(by_workspace(spend), make_settings())
    assert result.total("FIN") == 5
    assert result.unmapped == {W("w_new"): D("5")}
    assert result.total("ENG") == 13  # all of the proportional share: SUP had no direct spend


def test_unmapped_spend_without_unallocated_is_an_error_naming_the_workspace():
    with pytest.raises(DataError) as caught:
        allocate(by_workspace({"w_eng": D("1"), "w_new": D("2.5")}), make_settings(unallocated=None),
                 {W("w_new"): "New Team (w_new)"})
    assert "New Team (w_new): $2.50" in str(caught.value)


def test_rounded_cost_centers_add_up_to_half_up_month_total():
    rows = [_row(W(ws), D(cents))
            for ws, cents in [("w_eng", "100.5"), ("w_sup", "100.5"), ("w_prop", "100.5")]]
    totals = month_totals(Month(2026, 10), rows, make_settings(), Directory())
    assert totals.rounded_total == D("3.02")  # 301.5 cents -> $3.015 -> $3.02 half-up
    assert sum(totals.cost_center_totals.values()) == totals.rounded_total


amounts = st.decimals(min_value=D("-50"), max_value=D("100000"), places=6, allow_nan=False, allow_infinity=False)


@hsettings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["w_eng", "w_sup", "w_fixed", "w_prop", "w_new", None]),
                       amounts.filter(lambda a: a >= 0), min_size=1),
       st.integers(min_value=1, max_value=99))
def test_allocated_equals_source_exactly_and_rounding_within_a_cent(spend, eng_pct):
    settings = make_settings(split={"ENG": D(eng_pct), "SUP": D(100 - eng_pct)})
    dollars = {ws: D(a) for ws, a in spend.items()}
    result = allocate(by_workspace(dollars), settings)
    assert result.allocated_total == Fraction(sum(dollars.values()))
    rows = [_row(W(ws), amount * 100)
            for ws, amount in dollars.items()]
    totals = month_totals(Month(2026, 10), rows, settings, Directory())
    assert totals.rounded_total == round_cents(sum(dollars.values()))
    assert sum(totals.cost_center_totals.values()) == totals.rounded_total
    for code, rounded in totals.cost_center_totals.items():
        assert abs(Fraction(rounded) - totals.allocation.total(code)) < Fraction(1, 100)
