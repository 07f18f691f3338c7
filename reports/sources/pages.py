"""Reading raw API pages, shared by the sources: the page record, errors that name the page and
row, field readers, and the listings that name IDs (workspaces, API keys, users).

Every problem names the page file, the bucket and the row, so the user can open the raw
snapshot and see it. Nothing is guessed: a malformed amount is an error, never a zero.
"""

from __future__ import annotations

import json
import re
import reprlib
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from reports.core.records import ApiKey, User, Workspace
from reports.errors import DataError

MAX_COUNT = 10**15  # tokens or requests in one row: far beyond any organization's month
MAX_DIGITS = 40  # no count or amount of a page has more digits; longer ones are kept as text to be refused


def _whole_number(text: str) -> int | Decimal:
    # Python refuses to read an integer of over 4,300 digits (a ValueError that would look like a
    # broken page); a long one is kept as a Decimal, and the field's reader refuses it by its range.
    return int(text) if len(text) <= MAX_DIGITS else Decimal(text)


class _NotANumber(float):
    """``NaN``/``Infinity`` in a page: JSON has no such numbers, and no field takes a float, so the
    field's reader refuses it; it prints as the page wrote it."""

    def __repr__(self) -> str:
        return "NaN" if self != self else ("Infinity" if self > 0 else "-Infinity")

    __str__ = __repr__


_DECODER = json.JSONDecoder(parse_float=Decimal, parse_int=_whole_number,  # amounts stay exact; never a float
                            parse_constant=lambda text: _NotANumber(text))
_SPACE = re.compile(r"[ \t\n\r]*")
# A JSON string or a bracket: enough to find where a value too deeply nested to decode ends.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
# A \uD800-\uDFFF escape: only a page with one can hold text that is not valid Unicode.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class NestedTooDeep:
    """Stands for a value nested too deeply to decode (a row or field of a page is never that deep)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "(a value nested too deeply to read)"


NESTED_TOO_DEEP = NestedTooDeep()


def _decode(text: str, at: int) -> tuple[Any, int]:
    """One JSON value at ``at``; a value nested deeper than Python can decode is NESTED_TOO_DEEP."""
    try:
        return _DECODER.raw_decode(text, at)
    except RecursionError:
        return NESTED_TOO_DEEP, _skip_value(text, at)


def _skip_value(text: str, at: int) -> int:
    """Where the array or object at ``at`` ends, found without recursion; ValueError if it does not."""
    depth = 0
    for token in _TOKEN.finditer(text, at):
        char = token.group()[0]
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return token.end()
    raise ValueError(f"a value from character {at} never ends")


_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = 60
_SHOWN.maxlevel = 3


def shown(value: Any) -> str:
    """A value from a page as an error message quotes it: short, whatever its size or depth."""
    return _SHOWN.repr(value)


def scan_page(text: str) -> Iterator[tuple[str, Any]]:
    """Walk a page's JSON object without building it whole.

    Yields ``("item", element)`` for each element of its ``data`` list, one at a time, and
    ``(key, value)`` for every other top-level field, in the order they appear; raises
    ValueError if the text is not one complete JSON object. A month's page can be 160 MB of
    text; parsed whole it would be several times that in objects, so pages are read an
    element (a day's bucket, or a row) at a time.
    """
    def space(at: int) -> int:
        return _SPACE.match(text, at).end()  # type: ignore[union-attr]

    def expect(at: int, char: str) -> int:
        if at >= len(text) or text[at] != char:
            raise ValueError(f"expected {char!r} at character {at}")
        return at + 1

    at = expect(space(0), "{")
    at = space(at)
    if at < len(text) and text[at] == "}":
        at += 1
    else:
        while True:
            key, at = _decode(text, at)
            if not isinstance(key, str):
                raise ValueError(f"a key at character {at} is not a string")
            at = space(expect(space(at), ":"))
            if key == "data" and at < len(text) and text[at] == "[":
                at = space(at + 1)
                if at < len(text) and text[at] == "]":
                    at += 1
                else:
                    while True:
                        item, at = _decode(text, at)
                        yield "item", item
                        at = space(at)
                        if at < len(text) and text[at] == ",":
                            at = space(at + 1)
                            continue
                        at = expect(at, "]")
                        break
                yield "data", None  # the list was there (its elements came one by one)
            else:
                value, at = _decode(text, at)
                yield key, value
            at = space(at)
            if at < len(text) and text[at] == ",":
                at = space(at + 1)
                continue
            at = expect(at, "}")
            break
    if space(at) != len(text):
        raise ValueError(f"extra data after the page's object at character {at}")


class RawPage:
    """One API page as received: where it is stored, and its JSON, read an element at a time.

    ``items()`` gives the elements of the page's ``data`` list; ``get(key)`` an envelope
    field (``has_more``, ``next_page``, …), known once the items have been read. A page can be
    made from its text (a snapshot file) or, in tests, from a parsed ``body``.
    """

    __slots__ = ("file", "_text", "_body", "_fields", "_mended")

    def __init__(self, file: str, body: Any = None, *, text: str | None = None,
                 mended: list[str] | None = None):
        self.file = file  # e.g. raw/cost_report-2026-10-p001.json
        self._text = text
        self._body = body
        self._fields: dict[str, Any] | None = None
        # where text that was not valid Unicode was shown with U+FFFD ("raw/…json row 3"), for a WARN
        self._mended = mended if mended is not None else []

    @property
    def is_object(self) -> bool:
        return self._text is not None or isinstance(self._body, dict)

    def items(self) -> Iterator[Any]:
        """The ``data`` elements in order (nothing if the page has no ``data`` list)."""
        if self._text is None:
            data = self._body.get("data") if isinstance(self._body, dict) else None
            yield from data if isinstance(data, list) else ()
            return
        fields: dict[str, Any] = {}
        # Only a page with a \uD800-\uDFFF escape can hold a lone surrogate: the others skip the check.
        suspect = _SURROGATE_ESCAPE.search(self._text) is not None
        row = 0
        try:
            for key, value in scan_page(self._text):
                if key == "item":
                    row += 1
                    if value is NESTED_TOO_DEEP:
                        raise DataError(f"page {self.file}, data item {row}: nested too deeply to be "
                                        "a row of results")
                    if suspect:
                        value = self._mend(value, f"data item {row}")
                    yield value
                else:
                    fields[key] = [] if key == "data" else (self._mend(value, key) if suspect else value)
        except ValueError as exc:
            raise DataError(f"snapshot page {self.file} is not valid JSON ({exc})") from None
        self._fields = fields

    def _mend(self, value: Any, where: str) -> Any:
        """``value`` with every lone surrogate shown as U+FFFD, noted for the WARN."""
        mended, changed = mend_text(value)
        if changed:
            self._mended.append(f"{self.file} {where}")
        return mended

    def has_data_list(self) -> bool:
        return isinstance(self.get("data"), list)

    def get(self, key: str) -> Any:
        """A top-level field; for ``data``, a list only says the list was there (use ``items``)."""
        if self._text is None:
            return self._body.get(key) if isinstance(self._body, dict) else None
        if self._fields is None:
            for _ in self.items():
                pass
        assert self._fields is not None
        return self._fields.get(key)


def mend_text(value: Any) -> tuple[Any, bool]:
    """(``value`` with lone surrogates in its text replaced by U+FFFD, whether any was).

    JSON can carry a lone UTF-16 surrogate (``"\\ud800"``), which is no character: no file
    can be written with it. Walked without recursion: a row can be deeply nested.
    """
    def fix(text: str) -> str:
        return _LONE_SURROGATE.sub("\ufffd", text)

    if isinstance(value, str):
        return (fix(value), True) if _LONE_SURROGATE.search(value) else (value, False)
    if not isinstance(value, (dict, list)):
        return value, False
    changed = False
    stack: list[Any] = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key in list(node):
                item = node[key]
                if isinstance(key, str) and _LONE_SURROGATE.search(key):
                    del node[key]
                    key, changed = fix(key), True
                    node[key] = item
                if isinstance(item, str):
                    if _LONE_SURROGATE.search(item):
                        node[key], changed = fix(item), True
                elif isinstance(item, (dict, list)):
                    stack.append(item)
        else:
            for index, item in enumerate(node):
                if isinstance(item, str):
                    if _LONE_SURROGATE.search(item):
                        node[index], changed = fix(item), True
                elif isinstance(item, (dict, list)):
                    stack.append(item)
    return value, changed


class Where:
    """A page of an endpoint, for messages: ``cost_report page raw/…json, bucket …, row 3: …``."""

    def __init__(self, endpoint: str, page: str):
        self.endpoint = endpoint
        self.page = page

    def error(self, message: str, bucket: str | None = None, row: int | None = None) -> DataError:
        parts = [f"{self.endpoint} page {self.page}"]
        if bucket is not None:
            parts.append(f"bucket {bucket}")
        if row is not None:
            parts.append(f"row {row}")
        return DataError(f"{', '.join(parts)}: {message}")


def text_or_null(row: dict, key: str, where: Where, label: str | None, index: int) -> str | None:
    value = row.get(key)
    if value is not None and not isinstance(value, str):
        raise _not_text(key, value, where, label, index)
    return value


def texts_or_null(row: dict, keys: tuple[str, ...], where: Where, label: str | None, index: int,
                  shared: dict[str, str] | None = None) -> list[str | None]:
    """``text_or_null`` of each key, in order, in one call per row (a month reads hundreds of thousands);
    with ``shared``, one string object per distinct text (``shared.setdefault``)."""
    values: list[str | None] = []
    for key in keys:
        value = row.get(key)
        if value is not None:
            if not isinstance(value, str):
                raise _not_text(key, value, where, label, index)
            if shared is not None:
                value = shared.setdefault(value, value)
        values.append(value)
    return values


def _not_text(key: str, value: Any, where: Where, label: str | None, index: int) -> DataError:
    return where.error(f"{key} must be text or null, got {shown(value)}", label, index)


def count(row: dict, path: tuple[str, ...], where: Where, label: str | None, index: int) -> int:
    """A whole, non-negative number of tokens (or requests) at ``path`` in the row."""
    value: Any = row
    for key in path:
        if not isinstance(value, dict) or key not in value:
            raise where.error(f"the row has no '{'.'.join(path)}'", label, index)
        value = value[key]
    if type(value) is int and 0 <= value <= MAX_COUNT:  # nearly every count: the checks below, at once
        return value
    if (isinstance(value, bool) or not isinstance(value, (int, Decimal))
            or (isinstance(value, Decimal) and not value.is_finite())
            or not 0 <= value <= MAX_COUNT or value != int(value)):
        raise where.error(f"{'.'.join(path)} must be a whole number of tokens from 0 to {MAX_COUNT:,}, "
                          f"got {shown(value)}", label, index)
    return int(value)


def list_items(page: RawPage, endpoint: str) -> Iterator[dict]:
    where = Where(endpoint, page.file)
    for index, item in enumerate(page.items(), start=1):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise where.error("an item has no text 'id'", row=index)
        yield item
    if not page.has_data_list():
        raise where.error("the response has no 'data' list")


def workspaces(pages: Iterable[RawPage]) -> dict[str, Workspace]:
    found: dict[str, Workspace] = {}
    for page in pages:
        for item in list_items(page, "workspaces"):
            found[item["id"]] = Workspace(id=item["id"], name=str(item.get("name") or item["id"]),
                                          archived_at=item.get("archived_at"))
    return found


def api_keys(pages: Iterable[RawPage]) -> dict[str, ApiKey]:
    """API keys by ID; the workspace from ``scope`` (the current shape) or ``workspace_id`` (legacy)."""
    found: dict[str, ApiKey] = {}
    for page in pages:
        for item in list_items(page, "api_keys"):
            scope = item.get("scope")
            workspace = scope.get("workspace_id") if isinstance(scope, dict) else item.get("workspace_id")
            found[item["id"]] = ApiKey(id=item["id"], name=str(item.get("name") or item["id"]),
                                       workspace_id=workspace if isinstance(workspace, str) else None)
    return found


def users(pages: Iterable[RawPage]) -> dict[str, User]:
    found: dict[str, User] = {}
    for page in pages:
        for item in list_items(page, "users"):
            email, name = item.get("email"), item.get("name")
            found[item["id"]] = User(id=item["id"], email=email if isinstance(email, str) else None,
                                     name=name if isinstance(name, str) else None)
    return found
