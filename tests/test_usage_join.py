"""The usage join in the core: each cost row's tokens or searches, at the grain it was priced at."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from reports.core.records import Actor, Attribution, CostRow, TokenCounts, UsageRow
from reports.core.sums import sum_usage

DAY = date(2026, 10, 7)
WS = "wrkspc_01AAAA"
SONNET = "claude-sonnet-4-5"


def usage(key: str | None, tier: str, window: str | None, *, day: date = DAY, workspace: str | None = WS,
          actor: Actor | None = None, **tokens: int) -> UsageRow:
    payer = Attribution(workspace, default_workspace=workspace is None, api_key_id=key, actor=actor)
    return UsageRow(day=day, attribution=payer, model=SONNET, service_tier=tier, context_window=window,
                    tokens=TokenCounts(**tokens))


def cost(token_type: str | None, tier: str | None = "standard", window: str | None = "0-200k", *,
         cost_type: str = "tokens", model: str | None = SONNET, workspace: str | None = WS,
         payer: Attribution | None = None) -> CostRow:
    payer = payer or Attribution(workspace, default_workspace=workspace is None)
    return CostRow(day=DAY, attribution=payer, description="description", cost_type=cost_type, model=model,
                   token_type=token_type, service_tier=tier, context_window=window, amount_cents=Decimal("1"))


ROWS = [
    usage("apikey_01A", "standard", "0-200k", uncached_input=100, output=7, web_searches=2),
    usage("apikey_01B", "standard", "0-200k", uncached_input=20, output=3, cache_read=5),
    usage("apikey_01A", "standard", "200k-1M", uncached_input=1000, web_searches=1),
    usage("apikey_01A", "batch", "0-200k", output=40, cache_write_1h=9),
    usage("apikey_01A", "priority", "0-200k", uncached_input=5000, web_searches=50),  # billed elsewhere
    usage(None, "standard", "0-200k", workspace=None, output=11),  # the Default workspace, Console traffic
    usage("apikey_01A", "standard", "0-200k", day=date(2026, 10, 8), uncached_input=99999),
]


def legacy_join():
    # The legacy cost report names only the workspace: usage is summed over API keys.
    return sum_usage(ROWS).join(lambda payer: Attribution(payer.workspace_id, payer.default_workspace))


def test_token_rows_get_their_token_type_summed_over_api_keys_for_the_day_tier_and_window():
    join = legacy_join()
    assert join.quantity(cost("uncached_input_tokens")) == 120
    assert join.quantity(cost("output_tokens")) == 10
    assert join.quantity(cost("cache_read_input_tokens")) == 5
    assert join.quantity(cost("uncached_input_tokens", window="200k-1M")) == 1000
    assert join.quantity(cost("output_tokens", tier="batch")) == 40
    assert join.quantity(cost("cache_creation.ephemeral_1h_input_tokens", tier="batch")) == 9
    assert join.quantity(cost("output_tokens", workspace=None)) == 11


def test_a_row_without_matching_usage_or_of_a_kind_without_quantity_has_none():
    join = legacy_join()
    assert join.quantity(cost("output_tokens", tier="flex")) is None
    assert join.quantity(cost("output_tokens", model="claude-opus-4-6")) is None
    assert join.quantity(cost(None, None, None, cost_type="code_execution", model=None)) is None
    assert join.quantity(cost(None, None, None, cost_type="session_usage", model=None)) is None


def test_web_searches_are_the_days_searches_of_the_tiers_the_cost_report_bills():
    join = legacy_join()
    search = cost(None, None, None, cost_type="web_search", model=None)
    assert join.quantity(search) == 3  # 2 + 1: every model, key, tier and window but Priority's 50
    assert join.quantity(cost(None, None, None, cost_type="web_search", model=None, workspace="wrkspc_01ZZZZ")) is None


def test_with_the_analytics_grain_keys_and_actors_are_kept_apart():
    alice = Actor("user", "user_01ALICE", email="alice@acme.example")
    rows = [usage("apikey_01A", "standard", None, actor=alice, output=5),
            usage("apikey_01B", "standard", None, actor=alice, output=70)]
    join = sum_usage(rows).join(lambda payer: payer)
    payer = Attribution(WS, api_key_id="apikey_01A", actor=alice)
    assert join.quantity(cost("output_tokens", window=None, payer=payer)) == 5
    other = Attribution(WS, api_key_id="apikey_01B", actor=alice)
    assert join.quantity(cost("output_tokens", window=None, payer=other)) == 70


def test_the_usage_sheets_sums_are_unchanged_by_the_daily_grain():
    lines = dict(sum_usage(ROWS).lines())
    assert lines[(WS, "apikey_01A", SONNET, "standard")] == TokenCounts(
        uncached_input=100 + 1000 + 99999, output=7, web_searches=3)
