"""A month's cost and usage rows summed in one pass each: the sums the core works from. Pure."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reports.core.line_items import PRIORITY_TIERS, UsageJoin
from reports.core.money import ZERO
from reports.core.records import Attribution, CostRow, TokenCounts, UsageRow


@dataclass(frozen=True)
class CostSums:
    """A month's cost rows summed in one pass (exact cents): all that is kept of the prior month."""

    total_cents: Decimal
    by_payer: dict[Attribution, Decimal]
    by_model: dict[str | None, Decimal]
    by_cost_type: dict[str | None, Decimal]
    by_day: dict[date, Decimal]
    rows: int
    list_by_payer: dict[Attribution, Decimal] | None = None  # None when the source has no list prices
    by_product: dict[str | None, Decimal] | None = None  # the analytics product; None key: rows without one

    @property
    def by_workspace(self) -> dict[str | None, Decimal]:
        return regroup(self.by_payer, lambda payer: payer.workspace_id)


def regroup(sums: dict[Attribution, Decimal], key: Callable[[Attribution], Hashable]) -> dict:
    """Sums per payer regrouped by ``key`` (workspace, API key, actor)."""
    grouped: dict = {}
    for payer, cents in sums.items():
        found = key(payer)
        grouped[found] = grouped.get(found, ZERO) + cents
    return grouped


def sum_costs(rows: Iterable[CostRow]) -> CostSums:
    """Sum cost rows per payer, model, cost type and day (and list price per payer), reading them once."""
    by_payer: dict[Attribution, Decimal] = {}
    list_by_payer: dict[Attribution, Decimal] = {}
    by_model: dict[str | None, Decimal] = {}
    by_type: dict[str | None, Decimal] = {}
    by_day: dict[date, Decimal] = {}
    by_product: dict[str | None, Decimal] = {}
    count = 0
    has_list = False
    for row in rows:
        cents = row.amount_cents
        payer = row.attribution
        by_payer[payer] = by_payer.get(payer, ZERO) + cents
        if row.list_amount_cents is not None:
            has_list = True
            list_by_payer[payer] = list_by_payer.get(payer, ZERO) + row.list_amount_cents
        model = row.model
        by_model[model] = by_model.get(model, ZERO) + cents
        cost_type = row.cost_type
        by_type[cost_type] = by_type.get(cost_type, ZERO) + cents
        day = row.day
        by_day[day] = by_day.get(day, ZERO) + cents
        product = row.product
        by_product[product] = by_product.get(product, ZERO) + cents
        count += 1
    total = sum(by_payer.values(), ZERO)
    return CostSums(total, by_payer, by_model, by_type, by_day, count, list_by_payer if has_list else None,
                    by_product)


class UsageSums:
    """A month's usage rows summed in one pass per payer x model x service tier (and per day)."""

    __slots__ = ("_sums", "_daily")

    def __init__(self, sums: dict[tuple, list[int]], daily: dict[tuple, TokenCounts] | None = None):
        self._sums = sums  # (payer, model, service tier) -> token counts
        self._daily = daily or {}  # (day, payer, model, service tier, context window, product) -> tokens

    def join(self, payer_of: Callable[[Attribution], Attribution]) -> UsageJoin:
        """The usage at the cost rows' grain: ``payer_of`` names a usage payer as the cost rows do."""
        tokens: dict[tuple, TokenCounts] = {}
        searches: dict[tuple, int] = {}
        payers: dict[Attribution, Attribution] = {}
        for (day, payer, model, tier, window, product), counts in self._daily.items():
            named = payers.get(payer)
            if named is None:
                named = payers[payer] = payer_of(payer)
            key = (day, named, model, tier, window, product)
            same = tokens.get(key)
            tokens[key] = counts if same is None else same + counts
            if tier not in PRIORITY_TIERS:  # the cost report bills no Priority Tier web search
                searched = (day, named, product)
                searches[searched] = searches.get(searched, 0) + counts.web_searches
        return UsageJoin(tokens, searches)

    def lines(self) -> Iterator[tuple[tuple, TokenCounts]]:
        """Tokens per (workspace, API key, model, service tier): the Usage sheet's grain."""
        sums: dict[tuple, list[int]] = {}
        for (payer, model, tier), counts in self._sums.items():
            _add(sums, (payer.workspace_id, payer.api_key_id, model, tier), counts)
        for key, counts in sums.items():
            yield key, TokenCounts.of(counts)

    def by(self, key: Callable[[Attribution], Hashable]) -> dict:
        sums: dict = {}
        for (payer, _model, _tier), counts in self._sums.items():
            _add(sums, key(payer), counts)
        return {found: TokenCounts.of(counts) for found, counts in sums.items()}

    def by_workspace(self) -> dict[str | None, TokenCounts]:
        return self.by(lambda payer: payer.workspace_id)

    def total(self, tier: str | None = None) -> TokenCounts:
        """All usage, or only that of one service tier."""
        sums: dict[int, list[int]] = {}
        for (_payer, _model, row_tier), counts in self._sums.items():
            if tier is None or row_tier == tier:
                _add(sums, 0, counts)
        return TokenCounts.of(sums[0]) if sums else TokenCounts()


def _add(sums: dict, key: object, counts: list[int]) -> None:
    found = sums.get(key)
    if found is None:
        sums[key] = list(counts)
    else:
        for index, value in enumerate(counts):
            found[index] += value


def sum_usage(rows: Iterable[UsageRow], joined: Iterable[UsageRow] | None = None) -> UsageSums:
    """Sum usage rows per payer x model x service tier, and per day and context window, reading them once.

    ``joined``, when given, are the same usage at the cost rows' grain (the analytics source's
    usage by product): they alone give the cost rows their quantities, ``rows`` everything else.
    """
    sums: dict[tuple, list[int]] = {}
    daily: dict[tuple, TokenCounts] = {}
    for row in rows:
        t = row.tokens
        key = (row.attribution, row.model, row.service_tier)
        found = sums.get(key)
        if found is None:
            sums[key] = [t.uncached_input, t.cache_write_5m, t.cache_write_1h, t.cache_read, t.output,
                         t.web_searches]
        else:
            found[0] += t.uncached_input
            found[1] += t.cache_write_5m
            found[2] += t.cache_write_1h
            found[3] += t.cache_read
            found[4] += t.output
            found[5] += t.web_searches
        # The day x context window grain is what a cost row is priced at (the FOCUS export's
        # quantities). A usage row is all but alone at it, so its counts are kept as they are.
        if joined is None:
            _add_grain(daily, row)
    for row in joined or ():
        _add_grain(daily, row)
    return UsageSums(sums, daily)


def _add_grain(daily: dict[tuple, TokenCounts], row: UsageRow) -> None:
    grain = (row.day, row.attribution, row.model, row.service_tier, row.context_window, row.product)
    same = daily.get(grain)
    daily[grain] = row.tokens if same is None else same + row.tokens
