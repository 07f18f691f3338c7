"""What drove the month's spend, for the PDF: by day, model, cost type and product, top workspaces, movers. Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from reports.core.money import ZERO, cents_to_dollars
from reports.core.months import Month
from reports.core.report import Amount, DailySpend, Drivers, WorkspaceLine
from reports.core.sums import CostSums, UsageSums

TOP_WORKSPACES = 10
TOP_MOVERS = 6
NO_MODEL = "No model (web search, code execution)"
NO_PRODUCT = "No product (code execution, unattributed)"


def _dollars(sums: dict, label) -> dict[str, Decimal]:
    dollars: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for key, cents in sums.items():
        dollars[label(key)] += cents
    return {name: cents_to_dollars(cents) for name, cents in dollars.items()}


def _amounts(current: dict[str, Decimal], prior: dict[str, Decimal] | None) -> tuple[Amount, ...]:
    labels = set(current) | set(prior or {})
    amounts = [Amount(label, current.get(label, ZERO), None if prior is None else prior.get(label, ZERO))
               for label in labels]
    amounts.sort(key=lambda amount: (-amount.amount, amount.label))
    return tuple(amounts)


def _daily(month: Month, by_day: dict[date, Decimal]) -> tuple[DailySpend, ...]:
    return tuple(DailySpend(day, cents_to_dollars(by_day.get(day, ZERO))) for day in month.days)


def _movers(workspaces: Sequence[WorkspaceLine], late: Amount | None) -> tuple[Amount, ...]:
    """The workspaces with the largest change, the rest as one row, then the prior month's late data.

    Workspaces only: the models' changes are the same dollars cut another way (Spend by model
    shows them), so listing both would count a retired workspace's model twice. The rows add
    up to the month's change (exact dollars; the Change shown is rounded to the cent).
    """
    changed = sorted((line for line in workspaces if line.amount != line.prior_amount),
                     key=lambda line: (-abs(line.amount - line.prior_amount), line.name))
    room = TOP_MOVERS - (late is not None)
    shown, rest = (changed, []) if len(changed) <= room else (changed[:room - 1], changed[room - 1:])
    movers = [Amount(line.name, line.amount, line.prior_amount) for line in shown]
    if rest:
        movers.append(Amount(f"{len(rest)} other workspace{'s' if len(rest) != 1 else ''}",
                             sum((line.amount for line in rest), ZERO),
                             sum((line.prior_amount for line in rest), ZERO)))
    if late is not None:
        movers.append(late)
    return tuple(movers)


def drivers_of(month: Month, sums: CostSums, prior_sums: CostSums | None, usage: UsageSums,
               workspaces: Sequence[WorkspaceLine], by_day: dict[date, Decimal],
               prior_by_day: dict[date, Decimal] | None, late: Amount | None = None) -> Drivers:
    """What moved the month's spend: by day, model and cost type, the top workspaces and the movers.

    ``late`` is the prior month's late data (the API's figure against the books', ``core.prior``),
    the movers' last row when the comparisons are with the books.
    """
    def model_of(model: str | None) -> str:
        return model or NO_MODEL

    def type_of(cost_type: str | None) -> str:
        return cost_type or "unspecified"

    by_model = _amounts(_dollars(sums.by_model, model_of),
                        _dollars(prior_sums.by_model, model_of) if prior_sums is not None else None)
    by_type = _amounts(_dollars(sums.by_cost_type, type_of),
                       _dollars(prior_sums.by_cost_type, type_of) if prior_sums is not None else None)
    # products only where the source reports them; the prior month is not read by product (no Change)
    products = sums.by_product or {}
    by_product = _amounts(_dollars(products, lambda product: product or NO_PRODUCT), None) \
        if any(product is not None for product in products) else ()
    mix = usage.total()
    priority = usage.total("priority")
    has_prior = prior_sums is not None
    top = tuple(Amount(line.name, line.amount, line.prior_amount if has_prior else None)
                for line in workspaces[:TOP_WORKSPACES])
    return Drivers(
        daily=_daily(month, by_day),
        prior_daily=_daily(month.prior(), prior_by_day) if prior_by_day is not None else (),
        by_model=by_model,
        by_cost_type=by_type,
        token_mix=mix,
        priority_tokens=priority,
        top_workspaces=top,
        movers=_movers(workspaces, late) if has_prior else (),
        by_product=by_product,
    )
