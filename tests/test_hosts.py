"""The one loopback test, shared by the API base URL and the SMTP login rules."""

import pytest

from reports.hosts import is_loopback


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST", "127.0.0.1", "127.8.9.10", "::1", "[::1]"])
def test_this_machine_is_loopback(host):
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["smtp.acme.example", "10.0.0.1", "0.0.0.0", "localhost.acme.example", "", "::"])
def test_any_other_host_is_remote(host):
    assert not is_loopback(host)
