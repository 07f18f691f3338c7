"""The analytics view of a simulated day: legacy usage split by API key and actor, priced per item.

The Usage and Cost Analytics API reports the same spend as the legacy ``cost_report``, broken
out by who spent it. An ``AnalyticsView`` derives that view from ``Organization.day`` without
touching the legacy random streams, so the legacy reports stay byte-identical:

- every legacy usage item (workspace x key x model x tier x context window) is split among
  the actors of an ``Attribution`` plan by fixed integer weights (exact integer splits, the
  remainder to the last share), and each share is priced as tokens x unit price, so the
  shares add up exactly to the legacy cost row (integer 1e-7-cent units);
- web searches follow their usage item; code execution (one legacy row per workspace) goes
  whole to the workspace's code-execution owner; the late-data revision's extra unit goes to
  the late key's first share, as the legacy row has it;
- two kinds of spend exist only here, on purpose: Priority Tier token cost (the legacy
  report leaves it out, analytics-api.md trap 15) and ``session_usage`` (Managed Agents
  session time, priced per second);
- ``list_amount`` = ``amount`` unless the organization has a negotiated discount on the
  model (``list_price_factors``: list = amount x factor / 100, exactly).

An item is ``(dims, metrics)``: ``dims`` is the ``DIMS`` tuple and ``metrics`` the ``M_*``
layout below. List amounts are kept in 1e-9-cent units (``LIST_PER_UNIT`` per amount unit)
so a 20% discount (list = amount x 1.25) stays an exact integer.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from reports.simulator.catalog import (
    CODE_EXECUTION,
    CODE_EXECUTION_UNITS_PER_SECOND,
    MODELS,
    WEB_SEARCH_UNITS,
    Attribution,
)
from reports.simulator.memo import Memo
from reports.simulator.organization import Organization

# dims of an item, in this order; actor is an index into AnalyticsView.actors (None: no identity)
DIMS = ("workspace_id", "api_key_id", "actor", "model", "service_tier", "context_window",
        "inference_geo", "speed", "product", "cost_type")
D_WORKSPACE, D_KEY, D_ACTOR, D_MODEL, D_TIER, D_WINDOW, D_GEO, D_SPEED, D_PRODUCT, D_COST_TYPE = range(10)

# token types in the legacy usage tuple's order (positions 5..9 of a usage item)
TOKEN_ORDER = (
    "uncached_input_tokens",
    "cache_creation.ephemeral_1h_input_tokens",
    "cache_creation.ephemeral_5m_input_tokens",
    "cache_read_input_tokens",
    "output_tokens",
)
# metrics: 5 token counts, web searches, requests, 5 token amounts, other amount, 5 token list
# amounts, other list amount
M_TOKENS = 0
M_SEARCHES = 5
M_REQUESTS = 6
M_AMOUNT = 7
M_OTHER = 12
M_LIST = 13
M_LIST_OTHER = 18
M_SIZE = 19

LIST_PER_UNIT = 100  # list amounts are in 1e-9 cents: 100 per 1e-7-cent amount unit
SESSION_UNITS_PER_SECOND = 22_222  # ~$0.08 per Managed Agents session-hour, in 1e-7 cents
INPUT_TOKENS_PER_REQUEST = 40_000  # requests are derived, not drawn: 1 + input tokens // this,
# per legacy usage item, split among its actors like the tokens (so the totals need no split)
CODE_SECONDS_PER_SPAN = 300  # code execution "requests" count 5-minute execution spans

ACTOR_TYPES = ("user_actor", "service_account_actor", "federated_actor", "api_actor")
MODEL_BY_ID = {model.id: model for model in MODELS}


@dataclass(frozen=True)
class Actor:
    """A rendered actor: its ``actor_type``, the ID ``actor_ids[]`` matches, and its JSON."""

    type: str | None
    filter_id: str | None
    json: str
    deleted: bool = False


def build_actors(org: Organization) -> tuple[list[Actor], dict[str, int]]:
    """Every actor the organization's plans can name, and the ref -> index table."""
    actors: list[Actor] = []
    index: dict[str, int] = {}

    def add(ref: str, actor: Actor) -> None:
        if ref not in index:
            index[ref] = len(actors)
            actors.append(actor)

    for user in org.users:
        body = {"type": "user_actor", "user_id": user.id, "email_address": user.email,
                "name": "Deleted User" if user.deleted else user.name, "deleted": user.deleted}
        add(user.id, Actor("user_actor", user.id, json.dumps(body, separators=(",", ":")), user.deleted))
    for account in org.service_accounts:
        body = {"type": "service_account_actor", "service_account_id": account.id}
        add(account.id, Actor("service_account_actor", account.id, json.dumps(body, separators=(",", ":"))))
    for identity in org.federated:
        body = {"type": "federated_actor", "provider": dict(identity.provider), "subject": identity.subject}
        add("fed:" + identity.ref, Actor("federated_actor", None, json.dumps(body, separators=(",", ":"))))
    key_ids = [key.id for key in org.api_keys] + ([org.late_key] if org.late_key else [])
    for key_id in key_ids:
        body = {"type": "api_actor", "api_key_id": key_id}
        add(key_id, Actor("api_actor", key_id, json.dumps(body, separators=(",", ":"))))
    refs = [share.actor for plan in org.attributions.values() for share in plan]
    refs += [owner[1] for owner in org.code_execution_owners.values()]
    refs += [spend.actor for spend in org.sessions]
    for ref in refs:
        if ref is None or ref in index:
            continue
        if not ref.startswith("null:"):
            raise ValueError(f"attribution names an unknown actor {ref!r}")
        # distinct identities the server cannot render: each its own row, all reading null
        add(ref, Actor(None, None, "null"))
    return actors, index


def _add(items: dict[tuple, list[int]], dims: tuple, metrics: list[int]) -> None:
    found = items.get(dims)
    if found is None:
        items[dims] = metrics
    else:
        for i, value in enumerate(metrics):
            found[i] += value


class AnalyticsView:
    """The analytics view of one organization: its actors, and the items of any whole days (cached, thread-safe).

    Built once per organization served (``analytics.AnalyticsService`` holds one); raises
    ``ValueError`` if an attribution names an actor the organization does not have.
    """

    def __init__(self, organization: Organization):
        self.organization = organization
        self.actors, self._actor_index = build_actors(organization)
        # (workspace_id, key_id) -> (actor indexes, weights, total weight, products); defaults added as met
        self._plans: dict[tuple, tuple] = {
            key: self._plan(shares) for key, shares in organization.attributions.items()}
        self._stream_plans: dict[tuple, tuple] = {}
        self._days: Memo[list] = Memo()
        self._periods: Memo[list] = Memo()

    def day(self, day: date) -> list[tuple[tuple, list[int]]]:
        """The day's items, cached (as many days as the organization caches legacy days)."""
        return self._days.get(day, lambda: self.items((day,)), self.organization.cache_days)

    def period(self, days: tuple[date, ...]) -> list[tuple[tuple, list[int]]]:
        """Items of several whole days summed per dimension combination (cached, 4 ranges)."""
        return self._periods.get(days, lambda: self.items(days), 4)

    def items(self, days: Iterable[date]) -> list[tuple[tuple, list[int]]]:
        """Every analytics item of some whole UTC days, summed over them (uncached).

        One day or a month: the month is the exact sum of its days (each day's usage is split
        among actors on its own), but it is computed stream by stream, summing columns in C,
        because a large organization's month has hundreds of thousands of usage items.
        """
        org = self.organization
        code_index = org.description_index(CODE_EXECUTION)
        streams: dict[tuple, list[tuple]] = {}  # (workspace, key, model, tier, window) -> usage items
        code: dict[str | None, list[int]] = {}  # workspace -> [units, spans]
        items: dict[tuple, list[int]] = {}
        default_ws = org.default_workspace_id
        for day in days:
            data = org.day(day)
            for usage in data.usage:
                key = (usage[0], usage[1], usage[2], usage[3], usage[4])
                found = streams.get(key)
                if found is None:
                    streams[key] = [usage]
                else:
                    found.append(usage)
            if code_index is not None:
                for workspace_id, index, units in data.cost:
                    if index == code_index:
                        entry = code.setdefault(workspace_id, [0, 0])
                        entry[0] += units
                        entry[1] += units // CODE_EXECUTION_UNITS_PER_SECOND // CODE_SECONDS_PER_SPAN + 1
            for dims, metrics in self._sessions(day):
                _add(items, dims, metrics)

        late_key = org.late_key if org.revision and org.late_workspace is not None else None
        per_request = INPUT_TOKENS_PER_REQUEST
        plans = self._stream_plans
        for stream_key, rows in streams.items():
            plan = plans.get(stream_key)
            if plan is None:
                plan = plans[stream_key] = self._stream_plan(stream_key)
            prices, factor, actors, weights, total, token_dims, web_dims = plan
            key_id = stream_key[1]
            tier = stream_key[3]
            if len(actors) == 1 and len(rows) == 1 and not (late_key is not None and key_id == late_key):
                # the common case of a one-day query: one item, one actor
                r = rows[0]
                t0, t1, t2, t3, t4, searches = r[5], r[6], r[7], r[8], r[9], r[10]
                a0, a1, a2, a3, a4 = t0 * prices[0], t1 * prices[1], t2 * prices[2], t3 * prices[3], t4 * prices[4]
                metrics = [t0, t1, t2, t3, t4, searches, 1 + (t0 + t1 + t2 + t3) // per_request,
                           a0, a1, a2, a3, a4, 0, a0 * factor, a1 * factor, a2 * factor, a3 * factor, a4 * factor, 0]
                dims = token_dims[0]
                if dims in items:
                    _add(items, dims, metrics)
                else:
                    items[dims] = metrics
                if searches and tier != "priority":
                    units = searches * WEB_SEARCH_UNITS
                    _add(items, web_dims[0], [0] * M_OTHER + [units] + [0] * 5 + [units * LIST_PER_UNIT])
                continue
            if len(actors) == 1:
                if len(rows) == 1:
                    sums = list(rows[0][5:11])
                else:
                    sums = [sum(column) for column in list(zip(*rows, strict=True))[5:11]]
                requests = sum(1 + (r[5] + r[6] + r[7] + r[8]) // per_request for r in rows)
                shares = [(sums, requests)]
            else:
                # each day's item splits on its own: floors, the remainder to the last share; its
                # requests (1 + input // INPUT_TOKENS_PER_REQUEST) split the same way. Summed column
                # by column: the last share is each column's sum less the others' floors, which is the
                # sum of each day's remainder.
                columns: list[Sequence[int]] = []
                columns += list(zip(*rows, strict=True))[5:11]
                columns.append([1 + (r[5] + r[6] + r[7] + r[8]) // per_request for r in rows])
                acc = [[sum([value * weights[position] // total for value in column]) for column in columns]
                       for position in range(len(actors) - 1)]
                acc.append([sum(column) - sum(a[i] for a in acc) for i, column in enumerate(columns)])
                shares = [(a[:6], a[6]) for a in acc]
            adjust_in = adjust_out = 0
            if late_key is not None and key_id == late_key:
                # the legacy late cost row carries one extra unit per token type it bills
                adjust_in = sum(1 for r in rows if r[5])
                adjust_out = sum(1 for r in rows if r[9])
            for position, (sums, requests) in enumerate(shares):
                if not any(sums) and not requests:
                    continue
                amounts = [sums[i] * prices[i] for i in range(5)]
                if position == 0:
                    amounts[0] += adjust_in
                    amounts[4] += adjust_out
                metrics = sums[:5] + [sums[5], requests] + amounts + [0] + [x * factor for x in amounts] + [0]
                _add(items, token_dims[position], metrics)
                if sums[5] and tier != "priority":  # the legacy report bills no priority search
                    units = sums[5] * WEB_SEARCH_UNITS
                    metrics = [0] * M_SIZE
                    metrics[M_OTHER] = units
                    metrics[M_LIST_OTHER] = units * LIST_PER_UNIT
                    # the searches themselves are counted on the token item (usage endpoint)
                    _add(items, web_dims[position], metrics)
        for workspace_id, (units, spans) in code.items():
            key_id, actor_ref = org.code_execution_owners.get(workspace_id) or self._first_key(workspace_id)
            actor = self._actor_index.get(actor_ref) if actor_ref else None
            metrics = [0] * M_SIZE
            metrics[M_OTHER] = units
            metrics[M_LIST_OTHER] = units * LIST_PER_UNIT
            metrics[M_REQUESTS] = spans
            wsr = workspace_id if workspace_id is not None else default_ws
            _add(items, (wsr, key_id, actor, None, None, None, None, None, None, "code_execution"), metrics)
        return list(items.items())

    def day_totals(self, day: date) -> list[int] | None:
        """One day's ungrouped totals in the ``M_*`` layout (only amounts, list amounts, requests).

        Computed from the legacy rows without splitting by actor - the daily-totals query of a
        large organization must not build every item - and equal to summing ``items``
        (tests/test_simulator_analytics.py checks it). None when the day has no analytics spend.
        """
        org = self.organization
        data = org.day(day)
        factors = org.list_price_factors
        descriptions = org.descriptions
        code_index = org.description_index(CODE_EXECUTION)
        amount = listed = requests = 0
        for _workspace_id, index, units in data.cost:
            amount += units
            listed += units * factors.get(descriptions[index].model, LIST_PER_UNIT)
            if index == code_index:
                requests += units // CODE_EXECUTION_UNITS_PER_SECOND // CODE_SECONDS_PER_SPAN + 1
        per_request = INPUT_TOKENS_PER_REQUEST
        for r in data.usage:
            requests += 1 + (r[5] + r[6] + r[7] + r[8]) // per_request
            if r[3] == "priority":  # analytics bills Priority Tier; the legacy rows leave it out
                model = MODEL_BY_ID[r[2]]
                units = sum(r[5 + i] * model.unit_price(TOKEN_ORDER[i], "standard", r[4]) for i in range(5))
                amount += units
                listed += units * factors.get(r[2], LIST_PER_UNIT)
        for _dims, metrics in self._sessions(day):
            amount += metrics[M_OTHER]
            listed += metrics[M_LIST_OTHER]
        if not amount and not requests:
            return None
        totals = [0] * M_SIZE
        totals[M_OTHER], totals[M_LIST_OTHER], totals[M_REQUESTS] = amount, listed, requests
        return totals

    # ------------------------------------------------------------ who spends on a stream

    def _plan(self, shares: tuple[Attribution, ...]) -> tuple:
        actors = tuple(self._actor_index[s.actor] if s.actor is not None else None for s in shares)
        weights = tuple(s.weight for s in shares)
        return actors, weights, sum(weights), tuple(s.product for s in shares)

    def _default_plan(self, key_id: str | None) -> tuple:
        """A stream without an attribution: the key's principal, else the key itself (console: no identity)."""
        plan = self._plans.get((None, key_id, "default"))
        if plan is None:
            key = self.organization.api_key(key_id) if key_id else None
            ref = key.principal[1] if key is not None and key.principal else key_id
            plan = self._plans[(None, key_id, "default")] = self._plan((Attribution(ref),))
        return plan

    def _first_key(self, workspace_id: str | None) -> tuple[str | None, str | None]:
        """The key (and its actor) that runs a workspace's code execution when no owner is named."""
        profile = self.organization.profile(workspace_id)
        for key_id, share in (profile.keys if profile else ()):
            if key_id is not None and share > 0:
                key = self.organization.api_key(key_id)
                return key_id, key.principal[1] if key is not None and key.principal else key_id
        return None, None

    def _stream_plan(self, stream_key: tuple) -> tuple:
        """Prices, list factor, actor split and the items' dims of one legacy usage stream."""
        workspace_id, key_id, model_id, tier, window = stream_key
        model = MODEL_BY_ID[model_id]
        org = self.organization
        prices = tuple(model.unit_price(token_type, "batch" if tier == "batch" else "standard", window)
                       for token_type in TOKEN_ORDER)
        factor = org.list_price_factors.get(model_id, LIST_PER_UNIT)
        actors, weights, total, products = self._plans.get((workspace_id, key_id)) or self._default_plan(key_id)
        wsr = workspace_id if workspace_id is not None else org.default_workspace_id
        token_dims, web_dims = [], []
        for actor, product in zip(actors, products, strict=True):
            product = product or ("message_batches_api" if tier == "batch" else "messages_api")
            token_dims.append((wsr, key_id, actor, model_id, tier, window, "global", "standard", product, "tokens"))
            web_dims.append((wsr, key_id, actor, None, None, None, None, None, product, "web_search"))
        return prices, factor, actors, weights, total, tuple(token_dims), tuple(web_dims)

    def _sessions(self, day: date) -> list[tuple[tuple, list[int]]]:
        """The day's Managed Agents session time items (analytics only)."""
        org = self.organization
        out = []
        for spend in org.sessions:
            profile = org.profile(spend.workspace_id)
            if profile is None or not profile.active_on(day):
                continue
            # its own stream: drawing from the legacy generator would change the legacy reports
            rng = random.Random(f"session|{org.seed}|{day.isoformat()}|{spend.workspace_id}|{spend.api_key_id}")
            seconds = int(spend.seconds_per_day * (0.6 + 0.8 * rng.random()))
            if day.weekday() >= 5:
                seconds = int(seconds * profile.weekend)
            if seconds <= 0:
                continue
            units = seconds * SESSION_UNITS_PER_SECOND
            actor = self._actor_index.get(spend.actor) if spend.actor else None
            wsr = spend.workspace_id if spend.workspace_id is not None else org.default_workspace_id
            metrics = [0] * M_SIZE
            metrics[M_OTHER] = units
            metrics[M_LIST_OTHER] = units * LIST_PER_UNIT
            out.append(((wsr, spend.api_key_id, actor, None, None, None, None, None, "managed_agents_api",
                         "session_usage"), metrics))
        return out
