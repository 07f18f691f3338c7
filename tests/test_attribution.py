"""Attribution rules (analytics source): the most specific rule wins, and no dollar is counted twice."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from reports.core.allocate import (
    BY_API_KEY,
    BY_DEFAULT_WORKSPACE,
    BY_SERVICE_ACCOUNT,
    BY_USER,
    BY_WORKSPACE,
    UNALLOCATED,
    allocate,
)
from reports.core.money import round_cents
from reports.core.months import Month
from reports.core.records import API_KEY, SERVICE_ACCOUNT, USER, Actor, Attribution, CostRow, Directory
from reports.core.settings import ANALYTICS, CostCenter, Settings, SharedRule
from reports.core.totals import month_totals
from reports.errors import DataError

D = Decimal
DEFAULT_WS = "wrkspc_default"


def settings(unallocated: str | None = "FIN") -> Settings:
    return Settings(
        organization="Acme",
        source=ANALYTICS,
        cost_centers=(
            CostCenter("ENG", "Engineering", workspaces=("w_platform",), users=("alice@acme.example",)),
            CostCenter("SUP", "Support", api_keys=("k_support_bot",), service_accounts=("svac_etl",)),
            CostCenter("DAT", "Data", users=("user_bob",)),
            CostCenter("FIN", "Unallocated"),
        ),
        default_workspace="ENG",
        unallocated=unallocated,
        shared=(SharedRule(None, {"SUP": D(50), "DAT": D(50)}, api_key="k_shared"),),
    )


def user(user_id: str, email: str | None = None) -> Actor:
    return Actor(USER, user_id, email=email)


def payer(workspace: str | None = "w_platform", key: str | None = None, actor: Actor | None = None) -> Attribution:
    return Attribution(workspace, default_workspace=workspace == DEFAULT_WS, api_key_id=key, actor=actor)


CASES = [
    # a user on a team's key: the user's rule is more specific than the key's
    ("user on a team key", payer(key="k_support_bot", actor=user("user_alice", "Alice@Acme.example")), BY_USER, "ENG"),
    ("user by ID", payer("w_other", actor=user("user_bob")), BY_USER, "DAT"),
    ("service account", payer("w_platform", key="k_other", actor=Actor(SERVICE_ACCOUNT, "svac_etl")),
     BY_SERVICE_ACCOUNT, "SUP"),
    # a key's own traffic (api actor) goes by the key, inside a workspace that belongs to ENG
    ("key rule over workspace", payer(key="k_support_bot", actor=Actor(API_KEY, "k_support_bot")), BY_API_KEY, "SUP"),
    ("an unmapped user on a mapped key", payer(key="k_support_bot", actor=user("user_carol")), BY_API_KEY, "SUP"),
    ("workspace", payer(key="k_unmapped"), BY_WORKSPACE, "ENG"),
    ("Default workspace", payer(DEFAULT_WS, key="k_unmapped"), BY_DEFAULT_WORKSPACE, "ENG"),
    # usage outside any workspace (null workspace) is not the Default workspace
    ("no workspace", payer(None, actor=user("user_carol")), UNALLOCATED, "FIN"),
    ("null actor in an unmapped workspace", payer("w_other"), UNALLOCATED, "FIN"),
]


def _row(day, who: Attribution, cents: Decimal, list_cents: Decimal | None = None) -> CostRow:
    """A token cost row of ``cents`` (and list price) paid by ``who``."""
    return CostRow(day=day, attribution=who, description=None, cost_type="tokens", model=None, token_type=None,
                   service_tier=None, context_window=None, amount_cents=cents, list_amount_cents=list_cents)


@pytest.mark.parametrize("attribution, level, code", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_each_row_goes_to_the_most_specific_rule(attribution, level, code):
    result = allocate({attribution: D("10")}, settings())
    assert result.level[attribution] == level
    assert result.owner[attribution] == code
    assert result.total(code) == 10 and result.allocated_total == 10


def test_a_shared_key_is_split_at_the_key_level():
    shared = payer("w_platform", key="k_shared", actor=user("user_carol"))
    result = allocate({shared: D("9.99")}, settings())
    assert result.level[shared] == BY_API_KEY
    assert result.total("SUP") == result.total("DAT") == Fraction(999, 200)
    assert result.split_of(shared) == (("SUP", Fraction(1, 2)), ("DAT", Fraction(1, 2)))
    # a user rule still beats the shared key
    alice = payer("w_platform", key="k_shared", actor=user("user_alice", "alice@acme.example"))
    assert allocate({alice: D("1")}, settings()).owner[alice] == "ENG"


def test_proportional_weights_count_direct_spend_whatever_rule_brought_it():
    rules = Settings(
        organization="Acme", source=ANALYTICS,
        cost_centers=(CostCenter("ENG", "Engineering", users=("user_alice",)),
                      CostCenter("SUP", "Support", api_keys=("k_sup",)), CostCenter("FIN", "Unallocated")),
        unallocated="FIN", shared=(SharedRule(None, None, api_key="k_pool"),))
    spend = {payer("w", actor=user("user_alice")): D("30"), payer("w", key="k_sup"): D("10"),
             payer("w", key="k_pool"): D("8"), payer("w_lost"): D("100")}
    result = allocate(spend, rules)
    assert result.total("ENG") == 30 + 6 and result.total("SUP") == 10 + 2
    assert result.total("FIN") == 100  # unmatched spend carries no weight
    assert result.allocated_total == sum(spend.values())


def test_unmatched_spend_without_unallocated_names_workspace_key_and_user_with_amounts():
    names = Directory(null_workspace_is_default=False)
    from reports.core.totals import describe_payer

    lost = payer("w_lost", key="k_lost", actor=user("user_dave", "dave@acme.example"))
    with pytest.raises(DataError) as caught:
        allocate({lost: D("12.345")}, settings(unallocated=None), {lost: describe_payer(lost, names)})
    message = str(caught.value)
    assert "w_lost" in message and "k_lost" in message and "dave@acme.example" in message
    assert "$12.35" in message and "'unallocated'" in message


# every combination a row can name, for the property below
WORKSPACES = st.sampled_from(["w_platform", "w_other", DEFAULT_WS, None])
KEYS = st.sampled_from(["k_support_bot", "k_shared", "k_other", None])
ACTORS = st.sampled_from([None, user("user_alice", "alice@acme.example"), user("user_bob"), user("user_x"),
                          Actor(SERVICE_ACCOUNT, "svac_etl"), Actor(SERVICE_ACCOUNT, "svac_other"),
                          Actor(API_KEY, "k_other")])
PAYERS = st.builds(payer, WORKSPACES, KEYS, ACTORS)
AMOUNTS = st.decimals(min_value=D("0"), max_value=D("50000"), places=7, allow_nan=False, allow_infinity=False)


@hsettings(max_examples=200, deadline=None)
@given(st.dictionaries(PAYERS, AMOUNTS, min_size=1, max_size=25))
def test_allocated_total_equals_the_source_total_exactly(spend):
    result = allocate(spend, settings())
    assert result.allocated_total == Fraction(sum(spend.values()))
    assert set(result.owner) == set(spend)  # every payer went somewhere, exactly once
    rows = [_row(Month(2026, 10).first_day, who, amount * 100)
            for who, amount in spend.items()]
    totals = month_totals(Month(2026, 10), rows, settings(), Directory(null_workspace_is_default=False,
                                                                         default_workspace_id=DEFAULT_WS))
    assert sum(totals.cost_center_totals.values()) == totals.rounded_total == round_cents(sum(spend.values()))
    for code, rounded in totals.cost_center_totals.items():
        assert abs(Fraction(rounded) - totals.allocation.total(code)) < Fraction(1, 100)


def test_list_prices_follow_the_amounts_into_the_same_cost_centers_and_round_the_same_way():
    day = Month(2026, 10).first_day
    rows = [
        _row(day, payer(key="k_shared"), D("1000.005"), D("1250.00625")),
        _row(day, payer(actor=user("user_bob")), D("333.333"), D("333.333")),
        _row(day, payer("w_lost"), D("0.5"), D("0.7")),
    ]
    totals = month_totals(Month(2026, 10), rows, settings(), Directory(null_workspace_is_default=False))
    assert totals.list_totals is not None
    assert sum(totals.list_totals.values()) == round_cents(D("15.84039625"))
    # the shared key's list price is split 50/50 like its amount; bob's goes to DAT; the lost row's to FIN
    assert totals.list_totals["SUP"] == D("6.25") and totals.list_totals["DAT"] == D("9.58")
    assert totals.list_totals["FIN"] == D("0.01") and totals.list_totals["ENG"] == 0
