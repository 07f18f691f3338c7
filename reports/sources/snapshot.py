"""The raw snapshot: every API page stored exactly as received, with an index to read it back.

``raw/index.json`` lists the pages in fetch order with their query, page number, request id
and SHA-256; ``run --offline`` rebuilds the report from these files alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from reports.core.checks import Check, Status
from reports.errors import DataError, UsageError
from reports.sources.client import Page
from reports.sources.pages import RawPage

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


class SnapshotClosed(Exception):
    """A page arrived after the run gave up (an interrupt or another query's failure)."""


class SnapshotWriter:
    """Writes pages under ``<folder>/raw/`` as they arrive (thread-safe), then the index.

    ``close()`` is the line after which no page is written any more: a run that is being
    interrupted closes the writer before it removes its staging folder, so a fetch thread
    that was still receiving a page cannot put a file back into a folder being removed.
    """

    def __init__(self, month_folder: Path, source: str = "cost_report"):
        self.folder = month_folder
        self.source = source  # which API's pages these are, so a re-render reads them with its parser
        self.raw = month_folder / "raw"
        self.raw.mkdir(parents=True, exist_ok=True)
        self._records: list[PageRecord] = []
        self._lock = threading.Lock()
        self._closed = False

    def incoming(self) -> IO[bytes]:
        """A new file in the snapshot folder for a response body as it arrives (the client's spool)."""
        with self._lock:  # no new file once the writer is closed: the folder may be being removed
            if self._closed:
                raise SnapshotClosed("incoming")
            return tempfile.NamedTemporaryFile(dir=self.raw, prefix=".incoming-", suffix=".part", delete=False)

    def add(self, query: str, page: Page) -> PageRecord:
        name = f"{query}-p{page.number:03d}.json"
        record = PageRecord(
            file=f"raw/{name}", query=query, endpoint=page.endpoint, number=page.number,
            params={key: value for key, value in page.params.items()}, request_id=page.request_id,
            fetched_at=datetime.fromtimestamp(page.fetched_at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            sha256=page.sha256 or hashlib.sha256(page.read_bytes()).hexdigest(),
        )
        with self._lock:  # pages are written one at a time; the network, not the disk, is the wait
            if self._closed:
                if page.spooled is not None:
                    page.spooled.unlink(missing_ok=True)
                raise SnapshotClosed(query)
            if page.spooled is not None:
                os.replace(page.spooled, self.raw / name)  # already on disk: moved, not copied
            else:
                (self.raw / name).write_bytes(page.read_bytes())
            self._records.append(record)
        return record

    def pages(self, query: str) -> Iterator[RawPage]:
        """The query's pages written so far, in page order (a later phase of the fetch reads them)."""
        with self._lock:
            records = sorted((r for r in self._records if r.query == query), key=lambda record: record.number)
        for record in records:
            yield RawPage(record.file, text=(self.folder / record.file).read_text(encoding="utf-8"))

    def close(self) -> None:
        """Write nothing more (waits for a page being written to be done)."""
        with self._lock:
            self._closed = True

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
            "source": self.source,
            "pages": [record.__dict__ for record in records],
            "unavailable": sorted(failed_optional),
        }
        (self.raw / INDEX).write_text(json.dumps(index, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return records


# A later page's request carries the cursor that the page before it handed out.
_CURSORS = (("page", "next_page"), ("after_id", "last_id"))


class Snapshot:
    """Reads a snapshot back: the pages of one query, parsed as the client parses them.

    Reading proves the snapshot whole: every page matches its SHA-256, and each query's pages
    form one chain from page 1 to a page that says ``has_more: false``, each asked for with
    the cursor of the page before it. A page dropped from the index, or from the folder,
    stops the run instead of making the month silently smaller.
    """

    index_file = f"raw/{INDEX}"

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
            self.source = str(index.get("source", "cost_report"))  # snapshots before sources were named
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"{index_path} is not a readable snapshot index ({exc})") from None
        # "raw/…json data item 3" wherever API text was not valid Unicode and is shown with U+FFFD
        self.mended_text: list[str] = []

    def has(self, query: str) -> bool:
        return any(record.query == query for record in self.records)

    def require(self, queries: Iterable[tuple[str, bool]]) -> None:
        """Every (query, required) of the month is in the index, or optional and recorded unavailable."""
        for query, required in queries:
            if self.has(query):
                continue
            if not required and query in self.unavailable:
                continue
            raise DataError(f"the snapshot in {self.folder / 'raw'} has no pages for {query}; "
                            f"{self.index_file} is incomplete: re-run the month online")

    def pages(self, query: str) -> Iterator[RawPage]:
        """Parse the query's pages one at a time, so memory holds one page, not the month."""
        records = [record for record in self.records if record.query == query]
        numbers = [record.number for record in records]
        if numbers != list(range(1, len(records) + 1)):
            raise DataError(f"{self.index_file} lists pages {numbers} of {query}, not pages 1 to {len(records)}: "
                            "a page is missing from the snapshot; re-run the month online")
        handed_out: dict | None = None  # the cursors the page before handed out
        for position, record in enumerate(records):
            self._check_asked(query, record, handed_out)
            page = self._read(record)
            yield page
            # the reader has gone through the page: its envelope is known now
            self._check_end(query, record, page, last=position == len(records) - 1)
            handed_out = {field: page.get(field) for _, field in _CURSORS}

    def _read(self, record: PageRecord) -> RawPage:
        path = self.folder / record.file
        try:
            body = path.read_bytes()
        except OSError:
            raise DataError(f"snapshot page {record.file} is missing; re-run the month online") from None
        if hashlib.sha256(body).hexdigest() != record.sha256:
            raise DataError(f"snapshot page {record.file} does not match its recorded SHA-256; "
                            "it was changed after it was fetched")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise DataError(f"snapshot page {record.file} is not valid JSON (not UTF-8)") from None
        del body  # a large page: hold its text once, not its bytes as well
        return RawPage(record.file, text=text, mended=self.mended_text)

    def _check_asked(self, query: str, record: PageRecord, previous: dict | None) -> None:
        asked = {param: record.params.get(param) for param, _ in _CURSORS if record.params.get(param) is not None}
        if previous is None:
            if asked:
                raise DataError(f"{record.file} is the first page of {query} but was asked for with a cursor; "
                                "the pages before it are missing from the snapshot")
            return
        handed = [(param, previous.get(field)) for param, field in _CURSORS if previous.get(field) is not None]
        if not any(asked.get(param) == cursor for param, cursor in handed):
            raise DataError(f"{record.file} does not follow the page before it (its cursor is not the one "
                            f"that page handed out); the snapshot of {query} is not one complete chain")

    def _check_end(self, query: str, record: PageRecord, page: RawPage, *, last: bool) -> None:
        has_more = page.get("has_more")
        if has_more is None:  # the analytics API may leave it out
            has_more = bool(page.get("next_page"))
        if last and has_more is not False:
            raise DataError(f"the snapshot of {query} ends at {record.file}, which says more pages follow: "
                            "the last pages are missing; re-run the month online")
        if not last and has_more is False:
            raise DataError(f"{record.file} says it is the last page of {query}, but the snapshot lists more")

    def text_checks(self) -> tuple[Check, ...]:
        """A WARN for the pages read so far whose text was not valid Unicode (shown with U+FFFD)."""
        places = sorted(set(self.mended_text))
        if not places:
            return ()
        listed = "; ".join(places[:5]) + (f"; and {len(places) - 5} more" if len(places) > 5 else "")
        return (Check("Text from the API is valid Unicode", "valid text",
                      f"{len(places)} item{'s' if len(places) != 1 else ''} mended", Status.WARN,
                      "text that is not valid Unicode (a lone UTF-16 surrogate) is shown as \ufffd "
                      f"in every output; the API sent it in {listed}"),)

    @property
    def fetched_at(self) -> datetime | None:
        if not self.records:
            return None
        latest = max(record.fetched_at for record in self.records)
        return datetime.strptime(latest, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
