"""A failed connection in words: refused, unknown host, TLS mismatch or untrusted certificate, no answer.

requests reports all of these as one exception whose text is urllib3's (``HTTPConnectionPool(...): Max
retries exceeded with url: …``); a user needs to know which it was and what to check. The key is never
in these texts: only the base URL, which the user gave.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit

import requests

WHERE = "--base-url (or ANTHROPIC_ADMIN_BASE_URL)"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and every exception it wraps (urllib3's ``reason``, causes, contexts, wrapped args)."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        wrapped = [getattr(item, "reason", None), item.__cause__, item.__context__,
                   *(arg for arg in getattr(item, "args", ()) if isinstance(arg, BaseException))]
        todo += [inner for inner in wrapped if isinstance(inner, BaseException)]


def describe(exc: requests.RequestException, base_url: str, timeout: float) -> tuple[str, str] | None:
    """(what happened, what to check) when no connection could be made; None for a failure after it was
    (a body cut off, an answer too slow): those are the server's, and keep requests' own words."""
    parts = urlsplit(base_url)
    host = parts.hostname or base_url
    port = parts.port or (443 if parts.scheme == "https" else 80)
    chain = list(_chain(exc))
    text = " ".join(str(item) for item in chain)
    if any(isinstance(item, ssl.SSLCertVerificationError) for item in chain) or "CERTIFICATE_VERIFY_FAILED" in text:
        return ("its TLS certificate is not trusted",
                f"that {WHERE} names the API's host (a proxy or a private certificate authority in the way?)")
    if isinstance(exc, requests.exceptions.SSLError) or any(isinstance(item, ssl.SSLError) for item in chain):
        if "WRONG_VERSION_NUMBER" in text or "record layer failure" in text or "packet length too long" in text:
            return ("the server there does not speak TLS (https)",
                    f"the scheme of {WHERE}: a plain-http server on loopback needs http://")
        return "the TLS handshake failed", f"that {WHERE} is the API's https:// address"
    if any(isinstance(item, ConnectionRefusedError) for item in chain) or "Connection refused" in text:
        return (f"the connection to {host}:{port} was refused (nothing listens there)",
                f"{WHERE} and that the server is running")
    if any(isinstance(item, socket.gaierror) for item in chain) or "NameResolutionError" in text:
        return f"the host {host} could not be found", f"the host name in {WHERE} and the network (DNS)"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return (f"no connection to {host}:{port} within {timeout:.0f} s",
                f"{WHERE} and the network (a firewall or proxy?)")
    if parts.scheme == "http" and any(isinstance(item, http.client.BadStatusLine) for item in chain):
        return ("the server there answered with something that is not HTTP",
                f"the scheme of {WHERE}: a server that speaks https needs https://")
    return None
