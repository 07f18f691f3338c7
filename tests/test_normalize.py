"""Raw pages to records: every field lands where it belongs; bad rows are named, never zeroed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reports.core.months import Month
from reports.errors import DataError
from reports.sources.cost_report import cost_rows, usage_rows
from reports.sources.pages import RawPage

MONTH = Month(2026, 10)


def cost_page(*rows, start="2026-10-02T00:00:00Z", file="raw/cost_report-2026-10-p001.json"):
    return RawPage(file, {"data": [{"starting_at": start, "ending_at": "x", "results": list(rows)}],
                          "has_more": False, "next_page": None})


ROW = {"currency": "USD", "amount": "123.78912", "workspace_id": "wrkspc_A",
       "description": "Claude Sonnet 4 Usage - Input Tokens", "cost_type": "tokens", "context_window": "0-200k",
       "model": "claude-sonnet-4", "service_tier": "batch", "token_type": "uncached_input_tokens",
       "inference_geo": "global", "some_new_field": 1}


def test_every_cost_field_lands_in_its_own_attribute():
    [row] = cost_rows([cost_page(ROW)], MONTH)
    assert (row.day, row.workspace_id, row.description, row.cost_type, row.model, row.token_type,
            row.service_tier, row.context_window, row.amount_cents) == (
        date(2026, 10, 2), "wrkspc_A", "Claude Sonnet 4 Usage - Input Tokens", "tokens", "claude-sonnet-4",
        "uncached_input_tokens", "batch", "0-200k", Decimal("123.78912"))


def test_a_bucket_outside_the_month_is_refused():
    with pytest.raises(DataError, match="outside 2026-10"):
        list(cost_rows([cost_page(ROW, start="2026-11-01T00:00:00Z")], MONTH))


def page_of(*buckets, file="raw/cost_report-2026-10-p001.json"):
    """A page of (starting_at, [rows]) buckets."""
    return RawPage(file, {"data": [{"starting_at": start, "ending_at": "x", "results": list(rows)}
                                   for start, rows in buckets], "has_more": False, "next_page": None})


OTHER = {**ROW, "description": "Claude Sonnet 4 Usage - Output Tokens", "token_type": "output_tokens",
         "amount": "0.5"}
DAY_2, DAY_3 = "2026-10-02T00:00:00Z", "2026-10-03T00:00:00Z"


def test_a_bucket_continued_on_the_next_page_is_summed_once():
    pages = [page_of((DAY_2, [ROW])), page_of((DAY_2, [OTHER]), (DAY_3, [ROW]), file="raw/p002.json")]
    rows = list(cost_rows(pages, MONTH))
    assert [(row.day.day, row.description) for row in rows] == [
        (2, ROW["description"]), (2, OTHER["description"]), (3, ROW["description"])]
    assert sum(row.amount_cents for row in rows) == Decimal("123.78912") * 2 + Decimal("0.5")


def test_a_group_key_repeated_in_a_continued_bucket_would_double_count_and_is_refused():
    pages = [page_of((DAY_2, [ROW, OTHER])), page_of((DAY_2, [ROW]), file="raw/p002.json")]
    with pytest.raises(DataError, match="p002.json, bucket 2026-10-02T00:00:00Z, row 1: the row repeats a group key"):
        list(cost_rows(pages, MONTH))


def test_a_group_key_repeated_within_a_bucket_is_refused():
    with pytest.raises(DataError, match="row 2: the row repeats a group key already returned for this day"):
        list(cost_rows([page_of((DAY_2, [ROW, ROW]))], MONTH))


def test_a_day_returned_again_later_is_not_a_continuation_and_is_refused():
    # day 2 is not the last bucket of page 1, so page 2 cannot be continuing it
    pages = [page_of((DAY_2, [ROW]), (DAY_3, [ROW])), page_of((DAY_2, [OTHER]), file="raw/p002.json")]
    with pytest.raises(DataError, match="p002.json: bucket 2026-10-02T00:00:00Z was already returned"):
        list(cost_rows(pages, MONTH))
    # nor is a day repeated within one page
    with pytest.raises(DataError, match="bucket 2026-10-02T00:00:00Z was already returned"):
        list(cost_rows([page_of((DAY_2, [ROW]), (DAY_2, [OTHER]))], MONTH))


@pytest.mark.parametrize("change, message", [
    ({"amount": "1,5"}, "row 1: amount '1,5' is not a decimal number"),
    ({"amount": 12.5}, "row 1: amount must be a decimal string"),
    ({"currency": None}, "currency is None"),
    ({"workspace_id": 7}, "workspace_id must be text or null"),
])
def test_bad_cost_rows_are_named(change, message):
    with pytest.raises(DataError, match=message.replace("(", r"\(")):
        list(cost_rows([cost_page({**ROW, **change})], MONTH))


def test_usage_counts_nested_cache_writes_and_refuses_missing_ones():
    usage = {"uncached_input_tokens": 10, "cache_creation": {"ephemeral_1h_input_tokens": 3,
                                                             "ephemeral_5m_input_tokens": 4},
             "cache_read_input_tokens": 5, "output_tokens": 6, "server_tool_use": {"web_search_requests": 2},
             "workspace_id": None, "api_key_id": None, "model": "m", "service_tier": "priority",
             "context_window": None}
    page = RawPage("raw/u.json", {"data": [{"starting_at": "2026-10-03T00:00:00Z", "results": [usage]}],
                                  "has_more": False})
    [row] = usage_rows([page], MONTH)
    assert (row.tokens.cache_write_1h, row.tokens.cache_write_5m, row.tokens.web_searches) == (3, 4, 2)
    broken = {**usage, "cache_creation": {"ephemeral_1h_input_tokens": 3}}
    page = RawPage("raw/u.json", {"data": [{"starting_at": "2026-10-03T00:00:00Z", "results": [broken]}],
                                  "has_more": False})
    with pytest.raises(DataError, match="no 'cache_creation.ephemeral_5m_input_tokens'"):
        list(usage_rows([page], MONTH))
