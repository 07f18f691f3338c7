"""Reading raw API pages, shared by the sources: the page record, errors that name the page and
row, field readers, and the listings that name IDs (workspaces, API keys, users).

Every problem names the page file, the bucket and the row, so the user can open the raw
snapshot and see it. Nothing is guessed: a malformed amount is an error, never a zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Iterator

from reports.core.records import ApiKey, User, Workspace
from reports.errors import DataError


@dataclass(frozen=True)
class RawPage:
    """One API page as received: where it is stored, and its parsed JSON."""

    file: str  # e.g. raw/cost_report-2026-10-p001.json
    body: Any


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
        raise where.error(f"{key} must be text or null, got {value!r}", label, index)
    return value


def count(row: dict, path: tuple[str, ...], where: Where, label: str | None, index: int) -> int:
    """A whole, non-negative number of tokens (or requests) at ``path`` in the row."""
    value: Any = row
    for key in path:
        if not isinstance(value, dict) or key not in value:
            raise where.error(f"the row has no '{'.'.join(path)}'", label, index)
        value = value[key]
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or value != int(value) or value < 0:
        raise where.error(f"{'.'.join(path)} must be a whole number of tokens, got {value!r}", label, index)
    return int(value)


def list_items(page: RawPage, endpoint: str) -> Iterator[dict]:
    where = Where(endpoint, page.file)
    body = page.body
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise where.error("the response has no 'data' list")
    for index, item in enumerate(body["data"], start=1):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise where.error("an item has no text 'id'", row=index)
        yield item


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
