"""What the command line tells a user on the way: a connection that cannot be made in words, progress on a
terminal after the fetch, and OK only when everything is OK (issue 17, item 8)."""

from __future__ import annotations

import functools
import socket

import pytest

from conftest import FAST_RETRY, simulator
from reports.errors import ApiError
from reports.pipeline import demo_config_path
from reports.simulator.server import DEMO_API_KEY
from reports.sources import client
from reports.sources.client import AdminClient
from runcheck import assert_one_error_line


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_refused_connection_is_named_with_the_base_url_and_what_to_check():
    base_url = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(ApiError) as raised, AdminClient(base_url, DEMO_API_KEY, retry=FAST_RETRY) as client:
        list(client.list_pages("workspaces", {}))
    text = str(raised.value)
    assert text.startswith(f"cannot reach the Admin API at {base_url}: the connection to 127.0.0.1:")
    assert "was refused" in text and "check --base-url (or ANTHROPIC_ADMIN_BASE_URL)" in text
    assert "HTTPConnectionPool" not in text and "Max retries" not in text and DEMO_API_KEY not in text


def test_https_to_a_plain_http_server_is_named_a_tls_mismatch():
    with simulator() as server:
        base_url = server.base_url.replace("http://", "https://")
        with pytest.raises(ApiError) as raised, AdminClient(base_url, DEMO_API_KEY, retry=FAST_RETRY) as client:
            list(client.list_pages("workspaces", {}))
    text = str(raised.value)
    assert text.startswith(f"cannot reach the Admin API at {base_url}: the server there does not speak TLS")
    assert "needs http://" in text


def test_the_cli_says_a_refused_connection_in_one_error_line(cli, tmp_path, monkeypatch):
    # The CLI's own policy (six attempts) with its backoff shortened: its 12 s of waiting prove nothing here
    monkeypatch.setattr(client, "RetryPolicy", functools.partial(client.RetryPolicy, backoff_base=0.01,
                                                                 backoff_cap=0.05))
    base_url = f"http://127.0.0.1:{closed_port()}"
    done = cli("run", "--month", "2026-10", "--config", str(demo_config_path()), "--output", str(tmp_path),
               "--base-url", base_url, env={"ANTHROPIC_ADMIN_API_KEY": DEMO_API_KEY})
    assert done.returncode == 3
    assert_one_error_line(done.stderr, f"cannot reach the Admin API at {base_url}", "refused",
                          "check --base-url")
    assert done.stdout == ""


def test_check_config_prints_ok_only_when_every_check_passed(cli, tmp_path):
    failed = cli("check-config", "--config", str(demo_config_path()), "--month", "2099-01", "--output",
                 str(tmp_path))
    assert failed.returncode == 2
    assert failed.stdout == ""  # no "OK" before the error
    assert_one_error_line(failed.stderr, "2099-01 has not ended yet")
    passed = cli("check-config", "--config", str(demo_config_path()), "--month", "2026-10", "--output",
                 str(tmp_path))
    assert passed.returncode == 0 and passed.stderr == ""
    assert passed.stdout.count("OK") == 3


@pytest.mark.slow
def test_a_terminal_shows_each_phase_after_the_fetch_with_row_counts(tmp_path):
    from test_security import run_on_a_terminal

    with simulator() as server:
        status, stdout, terminal = run_on_a_terminal(
            ["run", "--month", "2026-10", "--config", str(demo_config_path()), "--output", str(tmp_path),
             "--base-url", server.base_url], {"ANTHROPIC_ADMIN_API_KEY": DEMO_API_KEY})
    assert status == 0, terminal
    line_items = next(line.split()[-1] for line in stdout.splitlines() if line.startswith("  line items"))
    assert "line items allocated to" in terminal and f"chargeback-2026-10.xlsx ({line_items} line items)" in terminal
    assert "wrote journal-2026-10.csv and focus-2026-10.csv" in terminal
    assert "import layout(s): netsuite, xero" in terminal
    assert "wrote executive-summary-2026-10.pdf" in terminal and "wrote manifest.json" in terminal
    # stdout's summary is the same as without a terminal
    assert stdout.startswith("chargeback 2026-10: ") and "wrote" not in stdout.split("folder")[0]
