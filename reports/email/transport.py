"""SMTP delivery of one composed message: TLS, login, every recipient or none, retries; the password never echoed.

``SmtpTransport.deliver`` is all the orchestration in ``send.py`` needs: it raises
``EmailError`` for a final refusal and retries what is worth retrying (4xx replies, dropped
connections, network errors) with exponential backoff.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy

from reports.core.settings import EmailSettings
from reports.email.compose import Composed
from reports.errors import EmailError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 60.0  # seconds per socket operation


class _Transient(Exception):
    """A failure worth retrying: 4xx reply, dropped connection, network error."""


@dataclass(frozen=True)
class SmtpTransport:
    """The mail server of ``settings`` with its login; refuses a plaintext login to a remote host at once."""

    settings: EmailSettings
    username: str | None
    password: str | None = field(repr=False)
    ssl_context: ssl.SSLContext | None = None  # default: the system trust store
    timeout: float = DEFAULT_TIMEOUT
    local_hostname: str | None = None
    retries: int = 3  # further attempts after a transient failure
    retry_wait: float = 1.0  # seconds before the first retry, doubled each time
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    @property
    def where(self) -> str:
        return f"{self.settings.smtp_host}:{self.settings.smtp_port}"

    def deliver(self, composed: Composed) -> tuple[int, str]:
        """Send one message, retrying transient failures; return (attempts, the server's reply)."""
        attempts = max(0, self.retries) + 1
        for attempt in range(1, attempts + 1):
            try:
                return attempt, _attempt(composed, self)
            except _Transient as exc:
                if attempt == attempts:
                    raise EmailError(
                        f"could not send the {composed.kind} email via {self.where} after "
                        f"{attempts} attempt{'s' if attempts != 1 else ''}: {exc}"
                        + _port_hint(self.settings)
                    ) from None
                wait = self.retry_wait * (2 ** (attempt - 1))
                log.warning("mail server %s: %s; retrying in %.1fs (attempt %d of %d)",
                            self.where, exc, wait, attempt + 1, attempts)
                self.sleep(wait)
        raise AssertionError("unreachable")

    def context(self) -> ssl.SSLContext:
        # The system trust store, hostname checked; never CERT_NONE.
        return self.ssl_context or ssl.create_default_context()

    def scrub(self, text: str) -> str:
        """Server replies can echo what we sent: never let the password through."""
        if not self.password:
            return text
        secrets = {self.password,
                   base64.b64encode(self.password.encode()).decode(),
                   base64.b64encode(f"\0{self.username}\0{self.password}".encode()).decode()}
        for secret in sorted(secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    def reply(self, code: int, text: bytes | str) -> str:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        return self.scrub(f"{code} {' '.join(text.split())}".strip())


def _port_hint(settings: EmailSettings) -> str:
    """The classic misconfiguration: implicit-TLS port with STARTTLS, or the reverse."""
    if settings.smtp_port == 465 and settings.security != "ssl":
        return " (port 465 usually needs email.security: ssl)"
    if settings.smtp_port == 587 and settings.security == "ssl":
        return " (port 587 usually needs email.security: starttls)"
    return ""


def _open(transport: SmtpTransport) -> smtplib.SMTP:
    settings = transport.settings
    if settings.security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, local_hostname=transport.local_hostname,
            timeout=transport.timeout, context=transport.context(),
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                            local_hostname=transport.local_hostname, timeout=transport.timeout)
    try:
        smtp.ehlo_or_helo_if_needed()
        if settings.security == "starttls":
            if not smtp.has_extn("starttls"):
                raise EmailError(
                    f"{transport.where} does not offer STARTTLS: refusing to send without "
                    "encryption (check email.smtp_port and email.security: 587 is usually "
                    "starttls, 465 ssl)"
                )
            code, text = smtp.starttls(context=transport.context())
            if code != 220:
                raise smtplib.SMTPResponseException(code, text)
            smtp.ehlo()
        if transport.username:
            if not smtp.has_extn("auth"):
                raise EmailError(
                    f"{transport.where} does not offer AUTH (SMTP login) on this connection; "
                    "check email.security, or remove email.username_env for an "
                    "unauthenticated relay"
                )
            try:
                smtp.login(transport.username, transport.password or "")
            except smtplib.SMTPAuthenticationError as exc:
                if 400 <= exc.smtp_code < 500:
                    raise _Transient(f"login deferred: {transport.reply(exc.smtp_code, exc.smtp_error)}") from None
                raise EmailError(
                    f"the mail server {transport.where} rejected the login for {transport.username} "
                    f"({transport.reply(exc.smtp_code, exc.smtp_error)}); check "
                    f"{settings.username_env} and {settings.password_env}"
                ) from None
    except BaseException:
        _close(smtp)
        raise
    return smtp


def _close(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(smtplib.SMTPException, OSError):
        smtp.close()


def _attempt(composed: Composed, transport: SmtpTransport) -> str:
    """One SMTP transaction, all or nothing: DATA only once every recipient is accepted."""
    smtp: smtplib.SMTP | None = None
    try:
        smtp = _open(transport)
        code, text = smtp.mail(composed.envelope_from)
        if code != 250:
            raise _refusal(transport, code, text, f"the sender {composed.envelope_from}")
        refused: dict[str, tuple[int, str]] = {}
        for recipient in composed.envelope_to:
            code, text = smtp.rcpt(recipient)
            if code not in (250, 251):
                refused[recipient] = (code, transport.reply(code, text))
        if refused:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.rset()
            details = "; ".join(f"{rcpt}: {reply}" for rcpt, (_, reply) in refused.items())
            if all(400 <= code < 500 for code, _ in refused.values()):
                raise _Transient(f"recipients deferred ({details})")
            permanent = [rcpt for rcpt, (code, _) in refused.items() if not 400 <= code < 500]
            raise EmailError(
                f"the mail server {transport.where} rejected the recipient"
                f"{'s' if len(permanent) != 1 else ''} {', '.join(permanent)} ({details}); "
                "nothing was sent: fix email.to/cc/workbook_to"
            )
        code, text = smtp.data(composed.message.as_bytes(policy=policy.SMTP))
        if code != 250:
            raise _refusal(transport, code, text, "the message")
        reply = transport.reply(code, text)
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.quit()
        return reply
    except (EmailError, _Transient):
        raise
    except ssl.SSLCertVerificationError as exc:
        raise EmailError(
            f"could not verify the TLS certificate of {transport.where}: "
            f"{exc.verify_message or exc.reason}"
        ) from None
    except ssl.SSLError as exc:
        raise EmailError(
            f"TLS with {transport.where} failed ({exc.reason or exc}); check email.security "
            "for this port (587 is usually starttls, 465 ssl)"
        ) from None
    except smtplib.SMTPServerDisconnected as exc:
        raise _Transient(f"connection closed by the server ({transport.scrub(str(exc))})") from None
    except smtplib.SMTPResponseException as exc:
        raise _refusal(transport, exc.smtp_code, exc.smtp_error, "the connection") from None
    except smtplib.SMTPException as exc:
        raise EmailError(f"mail server {transport.where}: {transport.scrub(str(exc))}") from None
    except OSError as exc:  # refused, reset, timed out, name resolution
        raise _Transient(f"{exc.__class__.__name__}: {transport.scrub(str(exc))}") from None
    finally:
        if smtp is not None:
            _close(smtp)


def _refusal(transport: SmtpTransport, code: int, text: bytes | str, what: str) -> Exception:
    """4xx is worth another try; anything else is final."""
    reply = transport.reply(code, text)
    if 400 <= code < 500:
        return _Transient(f"{what} deferred: {reply}")
    return EmailError(f"the mail server {transport.where} refused {what}: {reply}")
