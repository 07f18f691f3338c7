"""The Admin API client over real loopback HTTP: every page, retries, typed errors, no key leaks."""

from __future__ import annotations

import json

import pytest

from conftest import FAST_RETRY, MONTH, simulator
from reports.errors import ApiError, AuthenticationError, UsageError
from reports.simulator.faults import Faults
from reports.simulator.server import DEMO_API_KEY
from reports.sources.client import AdminClient, RetryPolicy, validate_base_url
from reports.sources.cost_report import month_queries


def cost_params():
    return month_queries(MONTH)[0].params


def fetch_all(server, faults_key=DEMO_API_KEY, retry=FAST_RETRY):
    with AdminClient(server.base_url, faults_key, retry=retry) as client:
        return list(client.report_pages("cost_report", cost_params())), client.stats


def buckets(pages):
    return [bucket for page in pages for bucket in json.loads(page.body)["data"]]


def test_one_page_holds_the_month_with_limit_31():
    with simulator() as server:
        pages, stats = fetch_all(server)
    assert len(pages) == 1 and stats.requests == 1
    assert len(buckets(pages)) == 31


def test_more_than_20_pages_are_all_followed():
    with simulator(Faults(max_buckets_per_page=1)) as server:
        paged, stats = fetch_all(server)
    with simulator() as server:
        whole, _ = fetch_all(server)
    assert len(paged) == 31 and stats.requests == 31  # the seed notebook stopped at 10 or 20
    assert buckets(paged) == buckets(whole)


def test_429_storm_is_retried_honouring_retry_after():
    waits = []
    with simulator(Faults(rate_limit=4, retry_after="0")) as server:
        with AdminClient(server.base_url, DEMO_API_KEY, retry=FAST_RETRY, sleep=waits.append) as client:
            pages = list(client.report_pages("cost_report", cost_params()))
    assert len(buckets(pages)) == 31
    assert waits == [0.0, 0.0, 0.0, 0.0]  # the server said retry-after: 0


@pytest.mark.parametrize("status", [500, 502, 503, 529])
def test_server_errors_are_retried(status):
    with simulator(Faults(server_errors=(status, status))) as server:
        pages, stats = fetch_all(server)
    assert len(buckets(pages)) == 31 and stats.retries == 2


def test_errors_that_outlast_the_retries_are_api_errors_naming_the_endpoint():
    with simulator(Faults(server_errors=(503,) * 10)) as server:
        with pytest.raises(ApiError) as caught:
            fetch_all(server, retry=RetryPolicy(attempts=3, backoff_base=0.0, backoff_cap=0.0))
    assert "cost_report page 1 failed after 3 attempts: HTTP 503" in str(caught.value)


def test_wrong_key_is_not_retried_and_never_echoed():
    secret = "sk-ant-admin01-not-the-right-key-abcdefghijklmnop"
    with simulator() as server:
        with pytest.raises(AuthenticationError) as caught:
            fetch_all(server, faults_key=secret)
        assert len(server.requests) == 1
    assert secret not in str(caught.value) and "401" in str(caught.value)


def test_a_repeated_cursor_is_an_error_not_a_silent_stop():
    with simulator(Faults(repeat_cursor=True)) as server:
        with pytest.raises(ApiError) as caught:
            fetch_all(server)
    assert "repeated an earlier next_page cursor" in str(caught.value)


def test_dropped_connection_and_truncated_json_are_retried():
    with simulator(Faults(drop_connection=1, truncated_json=1)) as server:
        pages, stats = fetch_all(server)
    assert len(buckets(pages)) == 31 and stats.retries == 2


@pytest.mark.parametrize("url", ["http://api.anthropic.com", "http://10.0.0.5:8080", "ftp://127.0.0.1"])
def test_plain_http_only_for_loopback(url):
    with pytest.raises(UsageError):
        validate_base_url(url)


@pytest.mark.parametrize("url", ["https://api.anthropic.com", "http://127.0.0.1:8765", "http://localhost:1", "http://[::1]:80"])
def test_accepted_base_urls(url):
    assert validate_base_url(url) == url
