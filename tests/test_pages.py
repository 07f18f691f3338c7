"""Pages are read an element at a time, exactly as a whole parse would read them, and refused when not whole."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from reports.errors import DataError
from reports.sources.pages import RawPage, scan_page

PAGE = {"data": [{"starting_at": "2026-10-01T00:00:00Z", "results": [{"amount": "1.5", "x": 0.1,
                                                                      "data": [1, 2]}]},
                 {"starting_at": "2026-10-02T00:00:00Z", "results": []}],
        "has_more": True, "next_page": "page_abc", "extra": {"nested": [None, False]}}


@pytest.mark.parametrize("text", [
    json.dumps(PAGE),
    json.dumps(PAGE, indent=2),
    json.dumps({key: PAGE[key] for key in ("has_more", "next_page", "extra", "data")}),  # data last
    " \n" + json.dumps(PAGE, separators=(",", ":")) + "\n",
])
def test_scanning_gives_what_a_whole_parse_gives(text):
    whole = json.loads(text, parse_float=Decimal)
    page = RawPage("raw/p.json", text=text)
    assert list(page.items()) == whole["data"]
    assert page.get("has_more") is True and page.get("next_page") == "page_abc"
    assert page.get("extra") == whole["extra"]
    assert page.has_data_list()
    items = [value for key, value in scan_page(text) if key == "item"]
    assert items[0]["results"][0]["x"] == Decimal("0.1")  # never a float


def test_a_page_without_a_data_list_says_so():
    page = RawPage("raw/p.json", text='{"has_more": false}')
    assert list(page.items()) == [] and not page.has_data_list()
    assert RawPage("raw/p.json", text='{"data": []}').has_data_list()


@pytest.mark.parametrize("text", [
    json.dumps(PAGE)[:-10],  # truncated
    json.dumps(PAGE) + " {}",  # two objects
    "[" + json.dumps(PAGE) + "]",  # not an object
    '{"data": [1, 2,]}',
    '{"data": [1 2]}',
    '{"has_more": true "data": []}',
    "",
])
def test_a_page_that_is_not_one_whole_json_object_is_refused(text):
    with pytest.raises(DataError, match="snapshot page raw/p.json is not valid JSON"):
        list(RawPage("raw/p.json", text=text).items())
