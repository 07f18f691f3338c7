"""Run a source's queries for a month concurrently into the snapshot, every page of each."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from reports.errors import ApiError, ApiRefused, AuthenticationError
from reports.sources.base import ANALYTICS_PAGES, LIST, Query
from reports.sources.client import AdminClient, FetchStats, RetryPolicy
from reports.sources.pages import RawPage
from reports.sources.snapshot import PageRecord, SnapshotClosed, SnapshotWriter

log = logging.getLogger("reports.sources.fetch")

MAX_PARALLEL = 3  # polite to the API's rate limit; the cost and usage queries still overlap


class _Stopped(Exception):
    """Another query failed or the run was interrupted; this one stops quietly."""


@dataclass
class FetchResult:
    records: list[PageRecord]
    stats: FetchStats
    unavailable: list[str]


def fetch_month(queries: Sequence[Query], writer: SnapshotWriter, *, base_url: str, api_key: str,
                retry: RetryPolicy | None = None, sleep: Callable[[float], None] | None = None,
                follow_up: Callable[[Callable[[str], Iterator[RawPage]]], Sequence[Query]] | None = None,
                ) -> FetchResult:
    """Fetch every page of every query into the snapshot; fail on any required one.

    ``follow_up`` gives the queries that depend on pages already fetched (it reads them back from
    the snapshot being written): a second phase, run once the first is complete.
    """
    stats: list[FetchStats] = []
    unavailable: list[str] = []
    _fetch_all(queries, writer, base_url, api_key, retry, sleep, stats, unavailable)
    if follow_up is not None:
        try:
            more = follow_up(writer.pages)
        except BaseException:
            writer.close()
            raise
        _fetch_all(more, writer, base_url, api_key, retry, sleep, stats, unavailable)
    total = FetchStats()
    for item in stats:
        total.requests += item.requests
        total.retries += item.retries
        total.bytes_received += item.bytes_received
        total.waits.extend(item.waits)
    return FetchResult(writer.finish(unavailable), total, unavailable)


def _fetch_all(queries: Sequence[Query], writer: SnapshotWriter, base_url: str, api_key: str,
               retry: RetryPolicy | None, sleep: Callable[[float], None] | None, all_stats: list[FetchStats],
               unavailable: list[str]) -> None:
    """One phase: the queries concurrently, every page of each (their stats appended to ``all_stats``)."""
    stats = [FetchStats() for _ in queries]
    all_stats.extend(stats)
    stop = threading.Event()  # set on the first failure: the other queries stop at their next step

    def pause(seconds: float) -> None:
        if sleep is not None:
            sleep(seconds)
        if stop.wait(0 if sleep is not None else seconds):
            raise _Stopped()

    def run(index: int) -> None:
        query = queries[index]
        with AdminClient(base_url, api_key, retry=retry, stats=stats[index], sleep=pause,
                         spool=writer.incoming) as client:
            if query.kind == LIST:
                pages = client.list_pages(query.endpoint, query.params, headers=query.headers)
            else:
                pages = client.report_pages(query.endpoint, query.params, headers=query.headers,
                                            optional_has_more=query.kind == ANALYTICS_PAGES)
            try:
                for page in pages:
                    if stop.is_set():
                        if page.spooled is not None:
                            page.spooled.unlink(missing_ok=True)
                        raise _Stopped()
                    writer.add(query.name, page)
                    log.info("fetched %s page %d", query.name, page.number)
                    del page  # not held while the next page is fetched
            except SnapshotClosed:
                raise _Stopped() from None
            except ApiError as exc:
                if query.refused and isinstance(exc, ApiRefused | AuthenticationError):
                    raise ApiError(f"{query.refused} ({exc})") from None
                if query.required:
                    # "cost_report page 1" alone does not say which month failed (the prior month's
                    # cost report is fetched from the same endpoint); keep the error's kind
                    raise type(exc)(f"{exc} (fetching {query.name})") from None
                log.warning("optional %s unavailable: %s", query.name, exc)
                writer.discard(query.name)
                unavailable.append(query.name)

    pool = ThreadPoolExecutor(max_workers=MAX_PARALLEL, thread_name_prefix="fetch")
    try:
        futures = [pool.submit(run, index) for index in range(len(queries))]
        for future in futures:  # in query order, so the error reported is the same every time
            try:
                future.result()
            except ApiError:
                stop.set()
                pool.shutdown(wait=True, cancel_futures=True)  # quiet before the error is shown
                raise
    except BaseException:
        # An interrupt: queued queries are not started, running ones stop at their next step,
        # and none writes another page (the caller removes the folder next).
        stop.set()
        writer.close()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
