"""The raw snapshot: every API page stored exactly as received, with an index to read it back.

``raw/index.json`` lists the pages in fetch order with their query, page number, request id
and SHA-256; ``run --offline`` rebuilds the report from these files alone.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Iterator

from reports.sources.client import Page
from reports.errors import DataError, UsageError
from reports.sources.cost_report import RawPage

INDEX = "index.json"


@dataclass(frozen=True)
class PageRecord:
    file: str  # relative to the month folder, e.g. raw/cost_report-2026-10-p001.json
    query: str  # e.g. cost_report-2026-10
    endpoint: str
    number: int
    params: dict
    request_id: str | None
    fetched_at: str
    sha256: str


class SnapshotWriter:
    """Writes pages under ``<folder>/raw/`` as they arrive (thread-safe), then the index."""

    def __init__(self, month_folder: Path):
        self.folder = month_folder
        self.raw = month_folder / "raw"
        self.raw.mkdir(parents=True, exist_ok=True)
        self._records: list[PageRecord] = []
        self._lock = threading.Lock()

    def add(self, query: str, page: Page) -> PageRecord:
        name = f"{query}-p{page.number:03d}.json"
        (self.raw / name).write_bytes(page.body)
        record = PageRecord(
            file=f"raw/{name}", query=query, endpoint=page.endpoint, number=page.number,
            params={key: value for key, value in page.params.items()}, request_id=page.request_id,
            fetched_at=datetime.fromtimestamp(page.fetched_at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            sha256=hashlib.sha256(page.body).hexdigest(),
        )
        with self._lock:
            self._records.append(record)
        return record

    def discard(self, query: str) -> None:
        """Forget a query that failed part-way, so no partial listing is left to be read back."""
        with self._lock:
            for record in [r for r in self._records if r.query == query]:
                (self.folder / record.file).unlink(missing_ok=True)
                self._records.remove(record)

    def finish(self, failed_optional: list[str]) -> list[PageRecord]:
        """Write the index (pages sorted by query and number) and return the records."""
        records = sorted(self._records, key=lambda record: (record.query, record.number))
        index = {
            "format": 1,
            "pages": [record.__dict__ for record in records],
            "unavailable": sorted(failed_optional),
        }
        (self.raw / INDEX).write_text(json.dumps(index, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return records


class Snapshot:
    """Reads a snapshot back: the pages of one query, parsed as the client parses them."""

    def __init__(self, month_folder: Path):
        self.folder = month_folder
        index_path = month_folder / "raw" / INDEX
        if not index_path.is_file():
            raise UsageError(f"no saved snapshot in {month_folder / 'raw'}: run this month online first "
                             "(without --offline)")
        try:
            index = json.loads(index_path.read_text(encoding="utf-8"))
            self.records = [PageRecord(**item) for item in index["pages"]]
            self.unavailable = set(index.get("unavailable", []))
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"{index_path} is not a readable snapshot index ({exc})") from None

    def has(self, query: str) -> bool:
        return any(record.query == query for record in self.records)

    def pages(self, query: str) -> Iterator[RawPage]:
        """Parse the query's pages one at a time, so memory holds one page, not the month."""
        for record in self.records:
            if record.query != query:
                continue
            path = self.folder / record.file
            try:
                body = path.read_bytes()
            except OSError:
                raise DataError(f"snapshot page {record.file} is missing; re-run the month online") from None
            if hashlib.sha256(body).hexdigest() != record.sha256:
                raise DataError(f"snapshot page {record.file} does not match its recorded SHA-256; "
                                "it was changed after it was fetched")
            try:
                data = json.loads(body, parse_float=Decimal)
            except ValueError:
                raise DataError(f"snapshot page {record.file} is not valid JSON") from None
            yield RawPage(record.file, data)

    @property
    def fetched_at(self) -> datetime | None:
        if not self.records:
            return None
        latest = max(record.fetched_at for record in self.records)
        return datetime.strptime(latest, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
