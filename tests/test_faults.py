"""The fault matrix: every transport fault and bad input the simulator can produce, over real loopback HTTP.

Each case asserts the exact outcome: a fault the client recovers from gives results identical to
the fault-free run (journal CSV bytes, every workbook sheet but Run Info, manifest totals, and for
transport faults every raw page byte); a fault that cannot be recovered from raises the right
error (exit 3 API/network, 4 untrustworthy data) whose message names the endpoint, the month's
query, the page file and the bucket/row, and publishes nothing.
"""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest

from conftest import FAST_RETRY, MONTH, run_options, simulator
from reports.errors import ApiError, AuthenticationError, DataError
from reports.pipeline import demo_config_path, run
from reports.simulator.demo import demo_organization
from reports.simulator.faults import Faults, RowFault
from reports.simulator.legacy_reports import COST_PATH, USAGE_PATH
from reports.simulator.organization import expected_total_cents
from reports.simulator.server import DEMO_API_KEY
from reports.sources.client import RetryPolicy
from runcheck import (
    JOURNAL,
    WORKBOOK,
    assert_manifest_matches,
    assert_nothing_published,
    assert_one_error_line,
    assert_same_results,
    fails_for_month,
    reference_sheets,
    run_info_text,
    scripted,
    sheets,
)

# ~1 s read timeout, few quick retries: "slower than the timeout" cases stay short.

pytestmark = pytest.mark.slow  # whole months against a faulty simulator
SLOW_RETRY = RetryPolicy(attempts=3, backoff_base=0.01, backoff_cap=0.05, timeout=(5.0, 1.0))
# every answer slower than the read timeout: two short attempts show the failure (a success is not waited for)
NEVER_IN_TIME = replace(SLOW_RETRY, attempts=2, timeout=(5.0, 0.4))
HEADER = b"Journal ID,Date,Period,Account,Cost Center,Cost Center Name,Debit,Credit,Memo,External ID\r\n"
CURRENT_COST_FILE = "raw/cost_report-2026-10-p001.json"


# ---------------------------------------------------------------- faults the run recovers from

# (id, faults, retry policy, extra requests over the fault-free run, raw pages byte-identical)
RECOVERING = [
    ("429-storm-retry-after-0", Faults(rate_limit=5, retry_after="0"), FAST_RETRY, 5, True),
    ("429-retry-after-1s", Faults(rate_limit=2, retry_after="1"), FAST_RETRY, 2, True),
    ("500", Faults(server_errors=(500, 500, 500)), FAST_RETRY, 3, True),
    ("502", Faults(server_errors=(502, 502, 502)), FAST_RETRY, 3, True),
    ("503-retry-after", Faults(server_errors=(503, 503, 503), retry_after="0"), FAST_RETRY, 3, True),
    ("529-overloaded", Faults(server_errors=(529, 529, 529), retry_after="0"), FAST_RETRY, 3, True),
    ("504", Faults(server_errors=(504, 504)), FAST_RETRY, 2, True),
    ("connection-dropped-mid-body", Faults(drop_connection=3), FAST_RETRY, 3, True),
    ("truncated-json", Faults(truncated_json=3), FAST_RETRY, 3, True),
    ("mixed-429-5xx-drop-truncate", Faults(rate_limit=1, server_errors=(500, 529), drop_connection=1,
                                           truncated_json=1), FAST_RETRY, 5, True),
    ("slow-once-then-recovers", Faults(slow_response_seconds=2.5, slow_responses=1), SLOW_RETRY, 1, True),
    ("31-pages-of-one-bucket", Faults(max_buckets_per_page=1), FAST_RETRY, 2 * (31 + 30) + 2 - 6, False),
]


@pytest.mark.parametrize("faults, retry, extra_requests, raw_identical",
                         [case[1:] for case in RECOVERING], ids=[case[0] for case in RECOVERING])
def test_recovered_faults_give_results_identical_to_the_fault_free_run(tmp_path, good_run, faults, retry,
                                                                       extra_requests, raw_identical):
    with simulator(faults) as server:
        result = run(replace(run_options(server, tmp_path), retry=retry))
    assert_same_results(result.folder, good_run.folder, raw_too=raw_identical)
    assert result.requests_made == good_run.requests_made + extra_requests
    assert_manifest_matches(result.folder)
    assert not list(tmp_path.glob(".staging-*"))


def test_a_bucket_continued_on_the_next_page_is_summed_once(tmp_path, good_run):
    # every page's last day goes on at the start of the next page
    with simulator(Faults(split_last_bucket=True)) as server:
        result = run(run_options(server, tmp_path))
        continued = [r for r in server.requests if r.path == COST_PATH and r.query.get("page")]
    assert continued, "the cost report was never continued on a second page"
    assert_same_results(result.folder, good_run.folder)
    assert result.report.reconciliation.source_total_cents == expected_total_cents(demo_organization(), MONTH)
    assert result.report.reconciliation.line_item_count == good_run.report.reconciliation.line_item_count


def test_a_group_key_repeated_in_a_continued_bucket_is_exit_4(tmp_path):
    faults = Faults(split_last_bucket=True, repeat_continued_row=True)
    with simulator(faults) as server, pytest.raises(DataError) as caught:
        run(run_options(server, tmp_path))
    assert caught.value.exit_status == 4
    assert "p002.json, bucket 2026-10-31T00:00:00Z, row 1: the row repeats a group key already returned for this day" \
        in str(caught.value)
    assert_nothing_published(tmp_path)


def test_the_fault_free_run_makes_one_request_per_query(good_run):
    # the baseline the request counts above are measured against: 6 queries of one page each
    assert good_run.requests_made == 6


def test_extra_fields_are_in_the_snapshot_but_ignored(tmp_path, good_run):
    with simulator(Faults(extra_fields=True)) as server:
        result = run(run_options(server, tmp_path))
    raw = (result.folder / CURRENT_COST_FILE).read_text()
    assert "x_simulator_row_note" in raw and "x_simulator_envelope_note" in raw  # stored exactly as received
    assert_same_results(result.folder, good_run.folder)
    assert result.requests_made == good_run.requests_made
    assert_manifest_matches(result.folder)


# ---------------------------------------------------------------- faults that outlast the retries: exit 3

FAILING_TRANSPORT = [
    ("429-forever", Faults(rate_limit=10**6, retry_after="0"), FAST_RETRY,
     "cost_report page 1 failed after 6 attempts: HTTP 429 rate_limit_error: Rate limited"),
    ("429-retry-after-beyond-cap", Faults(rate_limit=10**6, retry_after="600"), FAST_RETRY,
     "cost_report: the API asked to retry after 600 s; try again later"),
    ("500-forever", Faults(server_errors=(500,) * 100), FAST_RETRY,
     "cost_report page 1 failed after 6 attempts: HTTP 500 api_error: Internal server error"),
    ("502-forever", Faults(server_errors=(502,) * 100), FAST_RETRY,
     "cost_report page 1 failed after 6 attempts: HTTP 502 api_error: Bad gateway"),
    ("503-forever", Faults(server_errors=(503,) * 100, retry_after="0"), FAST_RETRY,
     "cost_report page 1 failed after 6 attempts: HTTP 503 api_error: Service unavailable"),
    ("529-forever", Faults(server_errors=(529,) * 100, retry_after="0"), FAST_RETRY,
     "cost_report page 1 failed after 6 attempts: HTTP 529 overloaded_error: Overloaded"),
    ("connection-dropped-forever", Faults(drop_connection=10**6), FAST_RETRY,
     ("cost_report page 1 failed after 6 attempts: network error (ChunkedEncodingError: ('Connection broken: "
      "IncompleteRead(")),
    ("truncated-json-forever", Faults(truncated_json=10**6), FAST_RETRY,
     "cost_report page 1 failed after 6 attempts: the response body was not complete JSON (truncated?)"),
    ("always-slower-than-the-timeout", Faults(slow_response_seconds=0.8, slow_responses=0), NEVER_IN_TIME,
     "cost_report page 1 failed after 2 attempts: network error (ReadTimeout: "),
    ("repeated-cursor", Faults(repeat_cursor=True), FAST_RETRY,
     "cost_report page 2 repeated an earlier next_page cursor"),
]


@pytest.mark.parametrize("faults, retry, message", [case[1:] for case in FAILING_TRANSPORT],
                         ids=[case[0] for case in FAILING_TRANSPORT])
def test_faults_that_outlast_the_retries_are_exit_3_naming_endpoint_and_month(tmp_path, faults, retry, message):
    with simulator(faults) as server, pytest.raises(ApiError) as caught:
        run(replace(run_options(server, tmp_path), retry=retry))
    error = caught.value
    assert type(error) is ApiError and error.exit_status == 3
    text = str(error)
    assert text.startswith(message), text
    assert text.endswith("(fetching cost_report-2026-10)"), text  # which month's cost report
    if faults.slow_response_seconds:
        assert f"Read timed out. (read timeout={retry.timeout[1]})" in text
    assert_nothing_published(tmp_path)


def test_a_repeated_cursor_is_caught_on_the_second_request_not_looped(tmp_path):
    with simulator(Faults(repeat_cursor=True)) as server:
        with pytest.raises(ApiError) as caught:
            run(run_options(server, tmp_path))
        cost_requests = [r for r in server.requests if r.path == COST_PATH]
    # Each month's cost report is its own query. How far the prior month's query got before the
    # first failure stopped it depends on thread timing, so only what holds whatever the order
    # is asserted: no query ever asks with the same cursor twice, and none gets past page 2.
    by_query: dict[str, list[str | None]] = {}
    for request in cost_requests:
        by_query.setdefault(request.query["starting_at"][0], []).append(request.query.get("page", [None])[0])
    for starting_at, cursors in by_query.items():
        assert cursors[0] is None and len(cursors) <= 2, (starting_at, cursors)
        assert len(set(cursors)) == len(cursors), (starting_at, cursors)
    # the month's own query (the first to fail, in query order) asked exactly pages 1 and 2
    this_month = by_query["2026-10-01T00:00:00Z"]
    assert len(this_month) == 2
    # the error names the page and the cursor that came back a second time
    repeated = this_month[1]
    assert f"cost_report page 2 repeated an earlier next_page cursor {repeated!r}" in str(caught.value)
    assert caught.value.exit_status == 3


def test_cli_stops_a_repeated_cursor_with_exit_3_naming_it(tmp_path, cli_month):
    with simulator(Faults(repeat_cursor=True)) as server:
        done = cli_month(server)
    assert done.returncode == 3
    assert_one_error_line(done.stderr, "cost_report page 2 repeated an earlier next_page cursor 'page_",
                          "(fetching cost_report-2026-10)")
    assert_nothing_published(tmp_path)


def test_a_wrong_key_is_exit_3_after_one_request_per_query(tmp_path):
    with simulator() as server:
        options = replace(run_options(server, tmp_path), api_key="sk-ant-admin01-wrong")
        with pytest.raises(AuthenticationError) as caught:
            run(options)
        assert all(r.status == 401 for r in server.requests)
        # never retried: each query asked once at most (queries not yet started are not started at all)
        asked = [(r.path, tuple(r.query.get("starting_at", []))) for r in server.requests]
        assert len(asked) == len(set(asked)) and 1 <= len(asked) <= 6
    assert caught.value.exit_status == 3
    assert str(caught.value).startswith("the Admin API refused the key (401 authentication_error: invalid x-api-key)")
    assert_nothing_published(tmp_path)


def test_a_client_error_is_not_retried_and_names_the_endpoint(tmp_path):
    hook = fails_for_month(COST_PATH, "2026-10", 400, ("invalid_request_error", "group_by: bad value"))
    with scripted(hook) as server:
        with pytest.raises(ApiError) as caught:
            run(run_options(server, tmp_path))
        assert len([r for r in server.requests if r.path == COST_PATH and r.status == 400]) == 1
    assert str(caught.value) == ("cost_report answered HTTP 400: invalid_request_error: group_by: bad value"
                                 f"{_request_id_part(str(caught.value))} (fetching cost_report-2026-10)")
    assert_nothing_published(tmp_path)


def _request_id_part(text: str) -> str:
    start = text.find(" (request-id req_01")
    assert start > 0, text
    return text[start:text.index(")", start) + 1]


# ---------------------------------------------------------------- the prior month

def test_prior_month_cost_failing_fails_the_run_naming_the_prior_month(tmp_path):
    with scripted(fails_for_month(COST_PATH, "2026-09")) as server, pytest.raises(ApiError) as caught:
        run(run_options(server, tmp_path))
    assert str(caught.value) == ("cost_report page 1 failed after 6 attempts: HTTP 503 api_error: "
                                 "Service unavailable (fetching cost_report-2026-09)")
    assert caught.value.exit_status == 3
    assert_nothing_published(tmp_path)


def test_prior_month_usage_failing_does_not_fail_the_run(tmp_path, good_run):
    with scripted(fails_for_month(USAGE_PATH, "2026-09")) as server:
        result = run(run_options(server, tmp_path))
    assert_same_results(result.folder, good_run.folder)
    index = json.loads((result.folder / "raw" / "index.json").read_text())
    assert index["unavailable"] == ["usage_report_messages-2026-09"]
    assert not any(page["query"] == "usage_report_messages-2026-09" for page in index["pages"])
    assert not list((result.folder / "raw").glob("usage_report_messages-2026-09-*"))


def test_prior_month_usage_failing_is_noted_on_run_info(tmp_path):
    with scripted(fails_for_month(USAGE_PATH, "2026-09")) as server:
        result = run(run_options(server, tmp_path))
    text = run_info_text(result.folder)
    assert "2026-09" in text and "usage" in text.lower() and "not available" in text.lower()


def test_current_month_usage_failing_fails_the_run(tmp_path):
    with scripted(fails_for_month(USAGE_PATH, "2026-10")) as server, pytest.raises(ApiError) as caught:
        run(run_options(server, tmp_path))
    assert str(caught.value) == ("usage_report/messages page 1 failed after 6 attempts: HTTP 503 api_error: "
                                 "Service unavailable (fetching usage_report_messages-2026-10)")
    assert_nothing_published(tmp_path)


# ---------------------------------------------------------------- bad rows: exit 4 naming page file, bucket, row

BAD_ROWS = [
    ("malformed-amount", Faults(malformed_amount=RowFault(day="2026-10-07", index=2), months=["2026-10"]),
     "cost_report page raw/cost_report-2026-10-p001.json, bucket 2026-10-07T00:00:00Z, row 3: "),
    ("malformed-amount-on-page-2", Faults(malformed_amount=RowFault(day="2026-10-10", index=0), months=["2026-10"],
                                          max_buckets_per_page=7),
     "cost_report page raw/cost_report-2026-10-p002.json, bucket 2026-10-10T00:00:00Z, row 1: "),
    ("malformed-amount-in-prior-month", Faults(malformed_amount=RowFault(day="2026-09-30", index=5),
                                               months=["2026-09"]),
     "cost_report page raw/cost_report-2026-09-p001.json, bucket 2026-09-30T00:00:00Z, row 6: "),
    ("missing-amount", Faults(missing_amount=RowFault(day="2026-10-15", index=1), months=["2026-10"]),
     ("cost_report page raw/cost_report-2026-10-p001.json, bucket 2026-10-15T00:00:00Z, row 2: "
      "the row has no 'amount'")),
    ("non-usd-currency", Faults(non_usd_currency=RowFault(day="2026-10-03", index=4), months=["2026-10"]),
     ("cost_report page raw/cost_report-2026-10-p001.json, bucket 2026-10-03T00:00:00Z, row 5: "
      "currency is 'EUR'; only USD amounts can be summed")),
]


@pytest.mark.parametrize("faults, message", [case[1:] for case in BAD_ROWS], ids=[case[0] for case in BAD_ROWS])
def test_bad_rows_are_exit_4_naming_page_file_bucket_and_row(tmp_path, faults, message):
    with simulator(faults) as server, pytest.raises(DataError) as caught:
        run(run_options(server, tmp_path))
    assert caught.value.exit_status == 4
    text = str(caught.value)
    assert text.startswith(message), text
    if faults.malformed_amount is not None:
        assert "12.3.4" in text
    assert_nothing_published(tmp_path)


def test_a_bad_row_on_every_bucket_is_reported_at_the_first(tmp_path):
    faults = Faults(non_usd_currency=RowFault(day=None, index=0))
    with simulator(faults) as server, pytest.raises(DataError) as caught:
        run(run_options(server, tmp_path))
    assert str(caught.value).startswith(
        "cost_report page raw/cost_report-2026-10-p001.json, bucket 2026-10-01T00:00:00Z, row 1: currency is 'EUR'")


# ---------------------------------------------------------------- inputs that are odd but valid

def test_unknown_cost_type_is_kept_warned_and_noted(tmp_path, good_run):
    faults = Faults(unknown_cost_type=RowFault(day="2026-10-12", index=3), months=["2026-10"])
    with simulator(faults) as server:
        result = run(run_options(server, tmp_path))
    report = result.report
    # the money is real: kept in the total, which still equals the simulator's own total
    assert report.reconciliation.source_total_cents == expected_total_cents(demo_organization(), MONTH)
    assert (result.folder / JOURNAL).read_bytes() == (good_run.folder / JOURNAL).read_bytes()
    new, old = sheets(result.folder / WORKBOOK), reference_sheets(good_run.folder / WORKBOOK)
    for name in ("Summary", "Workspaces", "Usage", "Journal"):
        assert new[name] == old[name], name
    # Line Items: the same rows; exactly one differs, in its Cost Type only
    header = next(row for row in old["Line Items"] if row and row[0] == "Date")
    cost_type = header.index("Cost Type")
    changed = [(a, b) for a, b in zip(new["Line Items"], old["Line Items"], strict=True) if a != b]
    assert len(new["Line Items"]) == len(old["Line Items"]) and len(changed) == 1
    (new_row, old_row), = changed
    assert new_row[cost_type] == "session_usage_v9" and old_row[cost_type] == "tokens"
    assert new_row[:cost_type] + new_row[cost_type + 1:] == old_row[:cost_type] + old_row[cost_type + 1:]
    assert str(new_row[0]).startswith("2026-10-12")
    # one WARN check (not FAIL) and a Run Info note
    warn = [c for c in report.reconciliation.checks if c.name == "Unknown cost type included"]
    assert [(c.status, c.actual) for c in warn] == [("WARN", "session_usage_v9")]
    assert report.reconciliation.passed
    assert ("Cost type 'session_usage_v9' is unknown to this tool; its amounts are included as reported."
            in report.run_info.notes)
    assert "Cost type 'session_usage_v9' is unknown to this tool" in run_info_text(result.folder)
    recon = " ".join(str(v) for row in new["Reconciliation"] for v in row if v is not None)
    assert "Unknown cost type included" in recon and "session_usage_v9" in recon


def test_an_empty_month_is_a_zero_report_with_an_empty_journal(tmp_path, good_run):
    with simulator(Faults(empty=True, months=["2026-10"])) as server:
        result = run(run_options(server, tmp_path))
    report = result.report
    assert report.total == Decimal("0.00") and report.reconciliation.source_total_cents == 0
    assert report.journal.lines == () and report.reconciliation.line_item_count == 0
    assert report.reconciliation.passed
    assert (result.folder / JOURNAL).read_bytes() == HEADER
    assert report.prior_total == good_run.report.prior_total  # September still has its spend
    assert "No spend this month: the journal has no lines to post." in report.run_info.notes
    assert "No spend this month" in run_info_text(result.folder)
    book = sheets(result.folder / WORKBOOK, "Summary")
    summary_total = next(row for row in book["Summary"] if row and row[0] == "Total")
    assert summary_total[4] == 0
    assert_manifest_matches(result.folder)
    manifest = json.loads((result.folder / "manifest.json").read_text())
    assert manifest["totals"]["total"] == "0.00" and manifest["totals"]["line_items"] == 0


def test_two_empty_months_have_no_month_over_month_division_by_zero(tmp_path):
    with simulator(Faults(empty=True)) as server:
        result = run(run_options(server, tmp_path))
    assert result.report.total == 0 and result.report.prior_total == 0
    assert (result.folder / JOURNAL).read_bytes() == HEADER


def test_a_month_with_cost_but_no_usage_keeps_every_cost_figure(tmp_path, good_run):
    with simulator(Faults(no_usage=True, months=["2026-10"])) as server:
        result = run(run_options(server, tmp_path))
    assert (result.folder / JOURNAL).read_bytes() == (good_run.folder / JOURNAL).read_bytes()
    new, old = sheets(result.folder / WORKBOOK), reference_sheets(good_run.folder / WORKBOOK)
    for name in ("Summary", "Line Items", "Journal", "Reconciliation"):
        assert new[name] == old[name], name
    assert "Usage" in new
    usage_header = next(i for i, row in enumerate(new["Usage"]) if row and row[0] == "Workspace ID")
    assert not any(any(v is not None for v in row) for row in new["Usage"][usage_header + 1:])
    assert result.report.usage == () and result.report.total == good_run.report.total
    assert result.report.reconciliation.passed


# ---------------------------------------------------------------- the CLI: one line on stderr, the exit status

@pytest.fixture()
def cli_month(cli, tmp_path):
    def invoke(server, *extra: str, key: str = DEMO_API_KEY):
        return cli("run", "--month", "2026-10", "--config", str(demo_config_path()), "--output",
                   str(tmp_path), "--base-url", server.base_url, *extra,
                   env={"ANTHROPIC_ADMIN_API_KEY": key})
    return invoke


def test_cli_exit_0_on_an_empty_month(tmp_path, cli_month):
    with simulator(Faults(empty=True, months=["2026-10"])) as server:
        done = cli_month(server)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "total          $0.00" in done.stdout
    assert (tmp_path / "2026-10" / JOURNAL).read_bytes() == HEADER


def test_cli_exit_2_for_plain_http_to_a_remote_host(cli, tmp_path):
    done = cli("run", "--month", "2026-10", "--config", str(demo_config_path()), "--output", str(tmp_path),
               "--base-url", "http://api.anthropic.com", env={"ANTHROPIC_ADMIN_API_KEY": DEMO_API_KEY})
    assert done.returncode == 2
    assert_one_error_line(done.stderr, "http://api.anthropic.com", "only https is allowed except for loopback")


def test_cli_exit_3_when_rate_limits_outlast_the_retries(tmp_path, cli_month):
    with simulator(Faults(rate_limit=10**6, retry_after="0")) as server:
        done = cli_month(server)
    assert done.returncode == 3
    assert_one_error_line(done.stderr, "error: cost_report page 1 failed after 6 attempts: HTTP 429 "
                                       "rate_limit_error: Rate limited (fetching cost_report-2026-10)")
    assert done.stdout == ""
    assert_nothing_published(tmp_path)


def test_cli_exit_3_when_the_server_keeps_failing(tmp_path, cli_month):
    with simulator(Faults(server_errors=(503,) * 100, retry_after="0")) as server:
        done = cli_month(server)
    assert done.returncode == 3
    assert_one_error_line(done.stderr, "HTTP 503 api_error: Service unavailable (fetching cost_report-2026-10)")
    assert_nothing_published(tmp_path)


def test_cli_exit_4_for_a_malformed_amount(tmp_path, cli_month):
    faults = Faults(malformed_amount=RowFault(day="2026-10-07", index=2), months=["2026-10"])
    with simulator(faults) as server:
        done = cli_month(server)
    assert done.returncode == 4
    assert_one_error_line(done.stderr, "error: cost_report page raw/cost_report-2026-10-p001.json, "
                                       "bucket 2026-10-07T00:00:00Z, row 3: ", "12.3.4")
    assert_nothing_published(tmp_path)


def test_cli_exit_4_for_a_non_usd_currency(tmp_path, cli_month):
    faults = Faults(non_usd_currency=RowFault(day="2026-10-03", index=4), months=["2026-10"])
    with simulator(faults) as server:
        done = cli_month(server)
    assert done.returncode == 4
    assert_one_error_line(done.stderr, "row 5: currency is 'EUR'; only USD amounts can be summed")
    assert_nothing_published(tmp_path)
