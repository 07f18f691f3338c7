"""The analytics view of a simulated day: legacy usage split by API key and actor, priced per item.

The Usage and Cost Analytics API reports the same spend as the legacy ``cost_report``, broken
out by who spent it. This module derives that view from ``Organization.day`` without touching
the legacy random streams, so the legacy reports stay byte-identical:

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

import random
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:  # pragma: no cover
    from reports.simulator.organization import Organization

# dims of an item, in this order; actor is an index into Organization.actors (None: no identity)
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
INPUT_TOKENS_PER_REQUEST = 40_000  # requests are derived, not drawn: 1 + input tokens // this
CODE_SECONDS_PER_SPAN = 300  # code execution "requests" count 5-minute execution spans

ACTOR_TYPES = ("user_actor", "service_account_actor", "federated_actor", "api_actor")


@dataclass(frozen=True)
class UserInfo:
    """A Console user; a deleted one is no longer listed but keeps its email in analytics rows."""

    id: str
    email: str
    name: str
    role: str = "developer"
    added_at: str = "2025-01-06T09:00:00Z"
    deleted: bool = False


@dataclass(frozen=True)
class ServiceAccountInfo:
    """A service account (``svac_``); an Admin key cannot list its name (analytics-api.md §3.4)."""

    id: str
    name: str


@dataclass(frozen=True)
class FederatedIdentity:
    """A workload-identity-federated caller, named ``fed:<ref>`` in attribution plans."""

    ref: str
    provider: tuple[tuple[str, str], ...]  # e.g. (("type", "aws"), ("account_id", ...), ...)
    subject: str | None = None


@dataclass(frozen=True)
class Attribution:
    """One share of a (workspace, key) usage stream: who it is attributed to, by integer weight.

    ``actor`` is a ``user_``/``svac_``/``apikey_`` ID, ``fed:<ref>``, ``null:<n>`` (a distinct
    identity the server cannot render: its own row, reading null) or None (no identity).
    """

    actor: str | None
    weight: int = 1
    product: str | None = None  # None: messages_api (message_batches_api on the batch tier)


@dataclass(frozen=True)
class SessionSpend:
    """Managed Agents session time billed to a workspace key every active day (analytics only)."""

    workspace_id: str | None
    api_key_id: str | None
    actor: str | None
    seconds_per_day: int


@dataclass(frozen=True)
class Actor:
    """A rendered actor: its ``actor_type``, the ID ``actor_ids[]`` matches, and its JSON."""

    type: str | None
    filter_id: str | None
    json: str
    deleted: bool = False


def build_actors(org: "Organization") -> tuple[list[Actor], dict[str, int]]:
    """Every actor the organization's plans can name, and the ref -> index table."""
    import json

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


def _split(count: int, weights: tuple[int, ...], total: int) -> list[int]:
    """``count`` split by integer weights, exactly: floors, the remainder to the last share."""
    if len(weights) == 1:
        return [count]
    parts = [count * weight // total for weight in weights[:-1]]
    parts.append(count - sum(parts))
    return parts


def _add(items: dict[tuple, list[int]], dims: tuple, metrics: list[int]) -> None:
    found = items.get(dims)
    if found is None:
        items[dims] = metrics
    else:
        for i, value in enumerate(metrics):
            found[i] += value


def analytics_day(org: "Organization", day: date) -> list[tuple[tuple, list[int]]]:
    """Every analytics item of one UTC day (uncached; ``Organization.analytics_day`` caches)."""
    from reports.core.months import Month
    from reports.simulator.organization import (
        CODE_EXECUTION,
        CODE_EXECUTION_UNITS_PER_SECOND,
        MODELS,
        WEB_SEARCH_UNITS,
    )

    data = org.day(day)
    models = {model.id: model for model in MODELS}
    default_ws = org.default_workspace_id
    plans = org._plans  # (workspace, key) -> (actor indexes, weights, total, products)
    factors = org.list_price_factors
    late_day = bool(org.revision and org.late_workspace is not None
                    and day.day in (5, 19, Month(day.year, day.month).last_day.day))
    items: dict[tuple, list[int]] = {}
    prices_cache = org._analytics_prices
    for usage in data.usage:
        workspace_id, key_id, model_id, tier, window = usage[0], usage[1], usage[2], usage[3], usage[4]
        price_key = (model_id, tier, window)
        prices = prices_cache.get(price_key)
        if prices is None:
            model = models[model_id]
            prices = prices_cache[price_key] = tuple(
                model.unit_price(token_type, "batch" if tier == "batch" else "standard", window)
                for token_type in TOKEN_ORDER
            )
        factor = factors.get(model_id, LIST_PER_UNIT)
        plan = plans.get((workspace_id, key_id)) or org._default_plan(key_id)
        actors, weights, total, products = plan
        shares = [_split(usage[5 + i], weights, total) for i in range(5)]
        searches = _split(usage[10], weights, total)
        wsr = workspace_id if workspace_id is not None else default_ws
        late = late_day and key_id == org.late_key
        for position, actor in enumerate(actors):
            tokens = [shares[i][position] for i in range(5)]
            if not any(tokens) and not searches[position]:
                continue
            amounts = [tokens[i] * prices[i] for i in range(5)]
            if late and position == 0:
                # the legacy late cost row carries one extra unit per token type it bills
                if tokens[0]:
                    amounts[0] += 1
                if tokens[4]:
                    amounts[4] += 1
            requests = 1 + (tokens[0] + tokens[1] + tokens[2] + tokens[3]) // INPUT_TOKENS_PER_REQUEST
            product = products[position] or ("message_batches_api" if tier == "batch" else "messages_api")
            metrics = tokens + [0, requests] + amounts + [0] + [a * factor for a in amounts] + [0]
            _add(items, (wsr, key_id, actor, model_id, tier, window, "global", "standard", product,
                         "tokens"), metrics)
            if searches[position] and tier != "priority":  # the legacy report bills no priority search
                units = searches[position] * WEB_SEARCH_UNITS
                metrics = [0] * M_SIZE
                metrics[M_OTHER] = units
                metrics[M_LIST_OTHER] = units * LIST_PER_UNIT
                _add(items, (wsr, key_id, actor, None, None, None, None, None, product, "web_search"),
                     metrics)
                # the searches themselves are counted on the token item (usage endpoint)
            if searches[position]:
                items[(wsr, key_id, actor, model_id, tier, window, "global", "standard", product,
                       "tokens")][M_SEARCHES] += searches[position]
    code_index = org._description_index.get(CODE_EXECUTION)
    if code_index is not None:
        for workspace_id, index, units in data.cost:
            if index != code_index:
                continue
            key_id, actor_ref = org.code_execution_owners.get(workspace_id) or org._first_key(workspace_id)
            actor = org._actor_index.get(actor_ref) if actor_ref else None
            metrics = [0] * M_SIZE
            metrics[M_OTHER] = units
            metrics[M_LIST_OTHER] = units * LIST_PER_UNIT
            metrics[M_REQUESTS] = units // CODE_EXECUTION_UNITS_PER_SECOND // CODE_SECONDS_PER_SPAN + 1
            wsr = workspace_id if workspace_id is not None else default_ws
            _add(items, (wsr, key_id, actor, None, None, None, None, None, None, "code_execution"), metrics)
    for spend in org.sessions:
        profile = org._profile_by_id.get(spend.workspace_id)
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
        metrics = [0] * M_SIZE
        metrics[M_OTHER] = units
        metrics[M_LIST_OTHER] = units * LIST_PER_UNIT
        actor = org._actor_index.get(spend.actor) if spend.actor else None
        wsr = spend.workspace_id if spend.workspace_id is not None else default_ws
        _add(items, (wsr, spend.api_key_id, actor, None, None, None, None, None, "managed_agents_api",
                     "session_usage"), metrics)
    return list(items.items())


def sum_items(chunks: Iterable[list[tuple[tuple, list[int]]]]) -> dict[tuple, list[int]]:
    """Items of several days summed per dims (a range without time buckets)."""
    totals: dict[tuple, list[int]] = {}
    get = totals.get
    for items in chunks:
        for dims, metrics in items:
            found = get(dims)
            if found is None:
                totals[dims] = list(metrics)
            else:
                totals[dims] = [a + b for a, b in zip(found, metrics)]
    return totals
