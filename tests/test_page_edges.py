"""Property: any page the API could send is read exactly or refused by the contract's error, nothing else.

Hypothesis takes a good page of each endpoint both sources read (legacy cost report and usage
report, analytics cost and usage, the workspace, API key and user listings) and breaks it: a
field set to a value of another JSON type (null, booleans, numbers huge, tiny, NaN and
Infinity, decimal strings that are not, odd text with control characters and lone surrogates,
arrays, objects, deep nesting), a field removed, an unknown field added. Reading the page, as
the run reads it from its snapshot text, either succeeds, with a total equal to the exact sum
of the amounts in the page, or raises DataError (exit 4) naming the page file and the row.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.core.months import Month
from reports.errors import DataError
from reports.sources import analytics_pages, cost_report
from reports.sources import pages as listing
from reports.sources.pages import RawPage

MONTH = Month(2026, 10)
FILE = "raw/page-p001.json"
DAY, NEXT_DAY = "2026-10-02T00:00:00Z", "2026-10-03T00:00:00Z"
START, END = "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z"

LEGACY_COST = {"currency": "USD", "amount": "1234.5", "workspace_id": "wrkspc_A", "description": "Claude Opus",
               "cost_type": "tokens", "model": "claude-opus-4", "token_type": "output_tokens",
               "service_tier": "standard", "context_window": "0-200k", "inference_geo": None}
USAGE_TOKENS = {"uncached_input_tokens": 10, "cache_creation": {"ephemeral_5m_input_tokens": 1,
                                                                "ephemeral_1h_input_tokens": 2},
                "cache_read_input_tokens": 3, "output_tokens": 4, "server_tool_use": {"web_search_requests": 1}}
LEGACY_USAGE = {**USAGE_TOKENS, "workspace_id": "wrkspc_A", "api_key_id": "apikey_K", "model": "claude-opus-4",
                "service_tier": "standard", "context_window": "0-200k"}
ACTOR = {"type": "user_actor", "user_id": "user_U", "email_address": "uma@acme.example", "name": "Uma",
         "deleted": False}
GROUP = {"workspace_id": "wrkspc_A", "api_key_id": "apikey_K", "actor": ACTOR, "model": "claude-opus-4",
         "service_tier": "standard", "cost_type": "tokens", "token_type": "output_tokens", "context_window": None}
ANALYTICS_COST = {"starting_at": START, "ending_at": END, "group": GROUP,
                  "cost": {"amount": "1000.25", "list_amount": "1100.5", "currency": "USD"}}
ANALYTICS_USAGE = {"starting_at": START, "ending_at": END, "group": GROUP, "usage": USAGE_TOKENS}
WORKSPACE = {"id": "wrkspc_A", "name": "Alpha", "archived_at": None, "type": "workspace"}
API_KEY = {"id": "apikey_K", "name": "team-key", "scope": {"type": "workspace", "workspace_id": "wrkspc_A"}}
USER = {"id": "user_U", "email": "uma@acme.example", "name": "Uma", "type": "user"}
NAMES = analytics_pages.directory([], [], [], [])

odd_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "-0", "1e400", "1e-400", "NaN", "Infinity", "1,234.50", "12.3.4", " 5",
                     "\ud800", "a\udfffb", "\x00\x1b[31m", "=HYPERLINK(1)", "9" * 300, "0x1F", "\u00bd"]),
)
scalars = st.one_of(
    st.none(), st.booleans(), odd_text,
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),  # written as JSON numbers, NaN and Infinity too
)


class Raw(str):
    """JSON text written as is (a value nested deeper than any encoder would write)."""


nested = st.integers(min_value=1, max_value=3000).map(lambda depth: Raw("[" * depth + "]" * depth))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                      max_leaves=6) | nested


def paths(row: dict, prefix: tuple = ()) -> list[tuple]:
    found = []
    for key, value in row.items():
        found.append(prefix + (key,))
        if isinstance(value, dict):
            found += paths(value, prefix + (key,))
    return found


@st.composite
def broken(draw, template: dict, rows: int = 3):
    """``rows`` copies of ``template``, one of them broken one way."""
    items = [copy.deepcopy(template) for _ in range(rows)]
    target = items[draw(st.integers(0, rows - 1))]
    path = draw(st.sampled_from(paths(template)))
    node = target
    for key in path[:-1]:
        node = node[key]
    how = draw(st.sampled_from(["set", "set", "set", "remove", "extra"]))
    if how == "set":
        node[path[-1]] = draw(values)
    elif how == "remove":
        del node[path[-1]]
    else:
        node["x_" + path[-1]] = draw(values)
    return items


def text_of(value) -> str:
    """JSON text, Raw values spliced in unchanged (the encoder would refuse their depth)."""
    raws: list[str] = []

    def mark(item):
        if isinstance(item, Raw):
            raws.append(item)
            return f"\x00raw{len(raws) - 1}\x00"
        if isinstance(item, dict):
            return {key: mark(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return [mark(inner) for inner in item]
        return item

    text = json.dumps(mark(value))  # allow_nan: NaN and Infinity as a careless server writes them
    for index, raw in enumerate(raws):
        text = text.replace(json.dumps(f"\x00raw{index}\x00"), raw)
    return text


def page(data: list) -> RawPage:
    return RawPage(FILE, text=text_of({"data": data, "has_more": False, "next_page": None}))


def contract(read, expected_total=None):
    """Run ``read``; it returns a total or raises DataError naming the page and the row."""
    try:
        total = read()
    except DataError as exc:
        message = str(exc)
        assert FILE in message, message
        assert "row " in message or "data item " in message or "'data' list" in message, message
        assert "\n" not in message and len(message) < 800, message
        return
    if expected_total is not None:
        assert total == expected_total()


def exact(rows: list, *path: str):
    """The exact sum of the amounts at ``path`` in the rows, as a reader that accepted them must find."""
    def total():
        found = Decimal(0)
        for row in rows:
            value = row
            for key in path:
                value = value[key]
            found += Decimal(value) if Decimal(value) else Decimal(0)
        return found
    return total


# derandomize: the same examples every run, so CI passes or fails for a reason, never by the draw
EDGES = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@EDGES
@given(broken(LEGACY_COST))
def test_legacy_cost_pages(rows):
    data = [{"starting_at": DAY, "ending_at": NEXT_DAY, "results": rows}]
    # distinct rows: the reader refuses a group key twice in a day (it would double count)
    for index, row in enumerate(rows):
        if isinstance(row.get("description"), str):
            row["description"] += f" {index}"
    contract(lambda: sum((row.amount_cents for row in cost_report.cost_rows([page(data)], MONTH)), Decimal(0)),
             exact(rows, "amount"))


@EDGES
@given(broken(LEGACY_USAGE))
def test_legacy_usage_pages(rows):
    for index, row in enumerate(rows):
        if isinstance(row.get("model"), str):
            row["model"] += f" {index}"
    data = [{"starting_at": DAY, "ending_at": NEXT_DAY, "results": rows}]
    contract(lambda: sum(row.tokens.output for row in cost_report.usage_rows([page(data)], MONTH)))


@EDGES
@given(broken(ANALYTICS_COST))
def test_analytics_cost_pages(rows):
    def read():
        return sum((row.amount_cents for row in analytics_pages.cost_rows([page(rows)], MONTH, NAMES, set(), [])),
                   Decimal(0))
    contract(read, exact(rows, "cost", "amount"))
    contract(lambda: sum(analytics_pages.daily_cents([page(rows)], MONTH, []).values(), Decimal(0)),
             exact(rows, "cost", "amount"))


@EDGES
@given(broken(ANALYTICS_USAGE))
def test_analytics_usage_pages(rows):
    contract(lambda: sum(row.tokens.output for row in analytics_pages.usage_rows([page(rows)], MONTH, NAMES, [])))


@EDGES
@given(st.sampled_from([(WORKSPACE, listing.workspaces), (API_KEY, listing.api_keys), (USER, listing.users)])
       .flatmap(lambda pair: broken(pair[0]).map(lambda items: (items, pair[1]))))
def test_listing_pages(case):
    items, read = case
    contract(lambda: len(read([page(items)])))
