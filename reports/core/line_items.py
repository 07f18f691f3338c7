"""Line items: one per API cost row, made on demand, with the usage each row consumed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple, overload

from reports.core.records import Attribution, CostRow, TokenCounts


class LineItem(NamedTuple):
    """A Line Items row: exactly one per API cost row.

    Immutable like the core's frozen dataclasses, but a named tuple: each output makes one per cost
    row of the month (hundreds of thousands), and a frozen dataclass took five times as long to
    build, field by field. Change one with ``item._replace(...)``.
    """

    day: date
    workspace_id: str | None
    workspace_name: str
    cost_center: str
    description: str | None
    cost_type: str | None
    model: str | None
    token_type: str | None
    service_tier: str | None
    context_window: str | None
    amount_cents: Decimal
    amount: Decimal  # exact dollars
    api_key_id: str | None = None
    api_key_name: str = ""
    actor: str = ""  # the user's email, or the service account / key / identity it is attributed to
    list_amount_cents: Decimal | None = None  # analytics only
    # What the usage report says was consumed for this row (same day, payer, model, service tier
    # and context window): tokens of the row's token type, or web search requests; None where it
    # says nothing (code execution, usage not available, no matching usage row).
    usage_quantity: int | None = None
    product: str | None = None  # analytics: the product surface; legacy: none


# Service tiers whose spend the legacy cost report leaves out (billed separately).
PRIORITY_TIERS = frozenset({"priority", "priority_on_demand"})


@dataclass(frozen=True)
class UsageJoin:
    """The usage report summed to the cost rows' grain, so each cost row can be given its quantity.

    ``tokens`` is keyed by (day, payer, model, service tier, context window, product), the payer as the
    cost rows name it (the legacy cost report names only the workspace, so its usage is summed
    over API keys). ``web_searches`` is keyed by (day, payer) over the tiers the cost report
    bills (and product), for web search cost rows, which carry no model.
    """

    tokens: Mapping[tuple, TokenCounts]
    web_searches: Mapping[tuple, int]

    def quantity(self, row: CostRow) -> int | None:
        """Tokens of the row's token type, or web search requests; None when the usage has none."""
        grain = (row.day, row.attribution, row.model, row.service_tier, row.context_window, row.product)
        if row.token_type is not None:
            found = self.tokens.get(grain)
            return None if found is None else found.of_type(row.token_type)
        if row.cost_type == "web_search":
            if row.model is None:
                return self.web_searches.get((row.day, row.attribution, row.product))
            found = self.tokens.get(grain)
            return None if found is None else found.web_searches
        return None  # code execution, session usage, unknown cost types: the usage report has no quantity


class LineItems(Sequence[LineItem]):
    """The Line Items of a month, made on demand from its cost rows: one per row, API order.

    A large month has hundreds of thousands of rows; holding a LineItem for each beside its
    CostRow would double the memory for no information (the names and owners are per
    payer). Reads like a tuple of LineItem; equal to a tuple with the same items.
    """

    __slots__ = ("_rows", "_names", "_owners", "_usage")

    def __init__(self, rows: Sequence[CostRow], names: Mapping[Attribution, tuple[str, str, str]],
                 owners: Mapping[Attribution, str], usage: UsageJoin | None = None):
        self._rows = rows
        self._names = dict(names)  # payer -> (workspace name, API key name, actor label)
        self._owners = dict(owners)
        self._usage = usage  # None when the month's usage could not be had

    def _item(self, row: CostRow) -> LineItem:
        payer = row.attribution
        workspace, key, actor = self._names[payer]
        return LineItem(row.day, payer.workspace_id, workspace, self._owners[payer], row.description,
                        row.cost_type, row.model, row.token_type, row.service_tier, row.context_window,
                        row.amount_cents, row.amount_cents.scaleb(-2), payer.api_key_id,
                        key if payer.api_key_id is not None else "", actor, row.list_amount_cents,
                        None if self._usage is None else self._usage.quantity(row), row.product)

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> LineItem: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[LineItem, ...]: ...

    def __getitem__(self, index: int | slice) -> LineItem | tuple[LineItem, ...]:
        if isinstance(index, slice):
            return tuple(self._item(row) for row in self._rows[index])
        return self._item(self._rows[index])

    def __iter__(self) -> Iterator[LineItem]:
        item = self._item
        for row in self._rows:
            yield item(row)

    def amounts_cents(self) -> Iterator[Decimal]:
        for row in self._rows:
            yield row.amount_cents

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"LineItems({len(self)} items)"
