"""Send the month's executive summary by SMTP, exactly once, and record the send.

``send_month_summary`` is the library call behind ``chargeback email`` and ``run --email``.
The message is composed by ``reports.email.compose``; this module owns the SMTP session
(TLS, login, retries), the ``.eml`` of a dry run and ``<month>/email-sent.json``, the
record that makes a second send refuse unless forced.
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import json
import logging
import os
import smtplib
import ssl
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from pathlib import Path
from typing import Any

from reports.core.months import Month, parse_rfc3339, rfc3339
from reports.core.settings import EmailSettings
from reports.email.compose import (
    SUMMARY,
    WORKBOOK,
    Attachment,
    Composed,
    compose,
    headline_from_manifest,
)
from reports.errors import DataError, EmailError, UsageError
from reports.outputs.folder import month_lock
from reports.outputs.manifest import Manifest
from reports.outputs.names import pdf_name, workbook_name

log = logging.getLogger(__name__)

RECORD_NAME = "email-sent.json"
RECORD_VERSION = 1
SECURITY_MODES = ("starttls", "ssl", "none")
DEFAULT_TIMEOUT = 60.0  # seconds per socket operation


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class SentMessage:
    """One message accepted by the server (or written to an .eml file in a dry run)."""

    kind: str  # "summary" (leadership, the PDF) or "workbook" (finance, PDF + workbook)
    message_id: str
    subject: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    envelope_to: tuple[str, ...]
    attachments: tuple[tuple[str, str], ...]  # (file name, SHA-256)
    sent_at: datetime | None  # None in a dry run
    attempts: int = 0  # SMTP attempts it took; 0 in a dry run
    eml_path: Path | None = None  # dry run only

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.envelope_to


@dataclass(frozen=True)
class PriorSend:
    """What email-sent.json says about an earlier send of the same month."""

    sent_at: str
    recipients: tuple[str, ...]
    message_id: str
    pdf_sha256: str
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class SendOutcome:
    month: Month
    dry_run: bool
    messages: tuple[SentMessage, ...]  # sent (or written) by this call, summary first
    skipped: tuple[str, ...]  # kinds already recorded by an earlier call, not sent again
    pdf_sha256: str
    record_path: Path | None  # None in a dry run
    previous: PriorSend | None  # the earlier send this call found (forced, resumed or dry run)

    def _summary_message(self) -> SentMessage | None:
        return next((m for m in self.messages if m.kind == SUMMARY), None)

    @property
    def message_id(self) -> str | None:
        summary = self._summary_message()
        return summary.message_id if summary else None

    @property
    def recipients(self) -> tuple[str, ...]:
        seen: list[str] = []
        for message in self.messages:
            seen.extend(r for r in message.envelope_to if r not in seen)
        return tuple(seen)

    @property
    def sent_at(self) -> datetime | None:
        return self.messages[0].sent_at if self.messages else None

    @property
    def eml_path(self) -> Path | None:
        summary = self._summary_message()
        return summary.eml_path if summary else None

    def summary(self) -> str:
        """One line for stdout."""
        if self.dry_run:
            files = ", ".join(str(m.eml_path) for m in self.messages)
            return f"dry run: wrote {files} (nothing sent)"
        parts = []
        for message in self.messages:
            what = "executive summary" if message.kind == SUMMARY else "summary + workbook"
            parts.append(
                f"{what} sent to {', '.join(message.envelope_to)} (Message-ID {message.message_id})"
            )
        if SUMMARY in self.skipped:
            parts.insert(0, "executive summary already sent earlier")
        return "; ".join(parts)


# ---------------------------------------------------------------- the library call


def send_month_summary(
    settings: EmailSettings,
    month_dir: Path,
    month: Month,
    *,
    force: bool = False,
    dry_run: bool = False,
    environ: Mapping[str, str] = os.environ,
    now: datetime | None = None,
    retries: int = 3,
    retry_wait: float = 1.0,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    local_hostname: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SendOutcome:
    """Email ``month_dir``'s executive summary PDF to ``settings.to``/``cc``, exactly once.

    With ``settings.workbook_to``, a second message (PDF and workbook) goes to that list, so
    leadership never receives the workbook. Each accepted message is recorded at once in
    ``month_dir/email-sent.json``; a later call without ``force`` refuses (``UsageError``)
    or, if an earlier call stopped between the two messages, sends only the missing one.
    ``dry_run`` writes ``executive-summary-<month>.eml`` (and ``…-workbook.eml``) instead.

    ``ssl_context`` verifies the server's certificate (default: the system trust store);
    ``now`` fixes the Date header and the recorded time. Raises ``UsageError`` (missing
    PDF, already sent, missing credential variable), ``DataError`` (bad manifest) and
    ``EmailError`` (login, recipients or message refused; server unreachable after retries).
    """
    month_dir = Path(month_dir)
    _check_settings(settings)
    pdf_path = month_dir / pdf_name(month)
    if not pdf_path.is_file():
        if (month_dir / "manifest.json").is_file() and Manifest.read(month_dir, month).output(pdf_name(month)) is None:
            raise UsageError(f"{month} in {month_dir} was run without its executive summary (backfill --no-pdf): "
                             f"run `chargeback run --month {month}` again to write it")
        raise UsageError(
            f"no executive summary for {month} in {month_dir}: "
            f"run `chargeback run --month {month}` first"
        )
    manifest = Manifest.read(month_dir, month)
    headline = headline_from_manifest(manifest, month)
    pdf = Attachment.read(pdf_path)
    _check_manifest_hash(manifest, pdf)
    workbook: Attachment | None = None
    if settings.workbook_to:
        workbook_path = month_dir / workbook_name(month)
        if not workbook_path.is_file():
            raise UsageError(
                f"no workbook for {month} in {month_dir} (email.workbook_to is set): "
                f"run `chargeback run --month {month}` first"
            )
        workbook = Attachment.read(workbook_path)

    wanted = [SUMMARY] + ([WORKBOOK] if workbook else [])
    moment = (now or datetime.now(UTC)).astimezone(UTC)

    def build(kind: str) -> Composed:
        if kind == SUMMARY:
            return compose(settings, headline, kind=SUMMARY, to=settings.to, cc=settings.cc,
                           attachments=(pdf,), now=moment)
        assert workbook is not None
        return compose(settings, headline, kind=WORKBOOK, to=settings.workbook_to, cc=(),
                       attachments=(pdf, workbook), now=moment)

    if dry_run:
        record = load_send_record(month_dir)
        written = []
        for kind in wanted:
            composed = build(kind)
            suffix = "" if kind == SUMMARY else "-workbook"
            eml_path = month_dir / f"executive-summary-{month}{suffix}.eml"
            _write_atomic(eml_path, composed.message.as_bytes(policy=policy.SMTP))
            written.append(_sent(composed, sent_at=None, attempts=0, eml_path=eml_path))
            log.info("dry run: wrote %s", eml_path)
        return SendOutcome(month, True, tuple(written), (), pdf.sha256, None,
                           _prior(record) if record else None)

    username, password = _credentials(settings, environ)
    _check_plaintext_login(settings, username)
    # The run's lock: a run publishing this month must not swap the folder under us.
    with month_lock(month_dir.parent, month):
        record = load_send_record(month_dir)
        previous = _prior(record) if record else None
        sent_kinds = {m.get("kind") for m in record.get("messages", [])} if record else set()
        if record and not force:
            pending = [kind for kind in wanted if kind not in sent_kinds]
            if not pending:
                raise UsageError(_already_sent_message(month, record, pdf.sha256))
        else:
            pending = wanted
        skipped = tuple(kind for kind in wanted if kind not in pending)
        if record and force:
            record = _restart_record(record)

        session = _Session(settings, username, password, ssl_context, timeout, local_hostname)
        sent: list[SentMessage] = []
        for kind in pending:
            composed = build(kind)
            log.info(
                "sending %s for %s to %d recipient(s) via %s:%d (%s)",
                kind, month, len(composed.envelope_to), settings.smtp_host,
                settings.smtp_port, settings.security,
            )
            attempts, reply = _deliver(composed, session, retries, retry_wait, sleep)
            sent_at = now.astimezone(UTC) if now else datetime.now(UTC)
            message = _sent(composed, sent_at=sent_at, attempts=attempts)
            record = _add_to_record(record, month, settings, message, pdf, reply)
            _write_atomic(month_dir / RECORD_NAME, _dump(record))
            sent.append(message)
        return SendOutcome(month, False, tuple(sent), skipped, pdf.sha256,
                           month_dir / RECORD_NAME, previous)


def load_send_record(month_dir: Path) -> dict[str, Any] | None:
    """The parsed ``email-sent.json`` of a month folder, or None if it was never sent."""
    path = Path(month_dir) / RECORD_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: the send record is not valid JSON ({exc}); "
                        "inspect it, then delete it to allow a new send") from None
    if not isinstance(record, dict):
        raise DataError(f"{path}: the send record is not a JSON object")
    return record


# ---------------------------------------------------------------- checks


def _check_settings(settings: EmailSettings) -> None:
    if settings.security not in SECURITY_MODES:
        raise UsageError(
            f"email.security must be one of {', '.join(SECURITY_MODES)}, not {settings.security!r}"
        )
    if not settings.to:
        raise UsageError("email.to lists no recipients")
    if not settings.sender:
        raise UsageError("email.from is empty")
    if bool(settings.username_env) != bool(settings.password_env):
        raise UsageError("email.username_env and email.password_env must be set together")


def _credentials(settings: EmailSettings, environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    if not settings.username_env:
        return None, None
    missing = [name for name in (settings.username_env, settings.password_env)
               if name and not environ.get(name)]
    if missing:
        raise UsageError(
            f"environment variable {' and '.join(missing)} is not set: the SMTP login is read "
            f"from {settings.username_env} and {settings.password_env} (email.username_env, "
            "email.password_env)"
        )
    return environ[settings.username_env], environ[settings.password_env or ""]


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_plaintext_login(settings: EmailSettings, username: str | None) -> None:
    if username and settings.security == "none" and not _is_loopback(settings.smtp_host):
        raise UsageError(
            f"email.security is none: refusing to send the SMTP password unencrypted to "
            f"{settings.smtp_host}; use security: starttls (port 587) or ssl (port 465)"
        )


def _check_manifest_hash(manifest: Manifest, pdf: Attachment) -> None:
    """The PDF we attach must still be the file the run recorded."""
    entry = manifest.output(pdf.filename)
    if entry is None or entry.sha256.lower() != pdf.sha256:
        raise DataError(
            f"{pdf.filename} does not match the SHA-256 in manifest.json: the file changed "
            "after the run; re-run the month before emailing it"
        )


# ---------------------------------------------------------------- the record


def _when(text: str) -> str:
    try:
        return parse_rfc3339(text).strftime("%Y-%m-%d %H:%M UTC")
    except (ValueError, AttributeError):
        return str(text)


def _prior(record: Mapping[str, Any]) -> PriorSend:
    messages = [m for m in record.get("messages", []) if isinstance(m, dict)]
    recipients: list[str] = []
    for message in messages:
        recipients.extend(r for r in message.get("envelope_to", []) if r not in recipients)
    return PriorSend(
        sent_at=str(record.get("sent_at", "")),
        recipients=tuple(recipients),
        message_id=str(record.get("message_id", "")),
        pdf_sha256=str(record.get("pdf_sha256", "")),
        kinds=tuple(str(m.get("kind")) for m in messages),
    )


def _already_sent_message(month: Month, record: Mapping[str, Any], pdf_sha256: str) -> str:
    prior = _prior(record)
    text = (
        f"the executive summary for {month} was already sent on {_when(prior.sent_at)} to "
        f"{', '.join(prior.recipients) or 'its recipients'} (Message-ID {prior.message_id}); "
        "use --force to send it again"
    )
    if prior.pdf_sha256 and prior.pdf_sha256 != pdf_sha256:
        text += (
            f"; note: the PDF has changed since (SHA-256 {prior.pdf_sha256[:12]}… then, "
            f"{pdf_sha256[:12]}… now)"
        )
    return text


def _restart_record(record: dict[str, Any]) -> dict[str, Any]:
    """A forced send starts a new record and keeps the earlier ones under ``previous``."""
    earlier = dict(record)
    history = list(earlier.pop("previous", []) or [])
    history.append(earlier)
    return {"previous": history}


def _sent(composed: Composed, *, sent_at: datetime | None, attempts: int,
          eml_path: Path | None = None) -> SentMessage:
    return SentMessage(
        kind=composed.kind,
        message_id=composed.message_id,
        subject=composed.subject,
        to=composed.to,
        cc=composed.cc,
        envelope_to=composed.envelope_to,
        attachments=tuple((a.filename, a.sha256) for a in composed.attachments),
        sent_at=sent_at,
        attempts=attempts,
        eml_path=eml_path,
    )


def _add_to_record(record: dict[str, Any] | None, month: Month, settings: EmailSettings,
                   message: SentMessage, pdf: Attachment, reply: str) -> dict[str, Any]:
    record = dict(record or {})
    previous = record.pop("previous", None)
    messages = [m for m in record.get("messages", []) if m.get("kind") != message.kind]
    assert message.sent_at is not None
    messages.append({
        "kind": message.kind,
        "message_id": message.message_id,
        "subject": message.subject,
        "sent_at": rfc3339(message.sent_at),
        "to": list(message.to),
        "cc": list(message.cc),
        "envelope_to": list(message.envelope_to),
        "attachments": [{"file": name, "sha256": digest} for name, digest in message.attachments],
        "attempts": message.attempts,
        "server_reply": reply,
    })
    messages.sort(key=lambda m: 0 if m["kind"] == SUMMARY else 1)
    summary = next((m for m in messages if m["kind"] == SUMMARY), messages[0])
    workbook = next((m for m in messages if m["kind"] == WORKBOOK), None)
    updated: dict[str, Any] = {
        "version": RECORD_VERSION,
        "month": str(month),
        "message_id": summary["message_id"],
        "subject": summary["subject"],
        "sent_at": summary["sent_at"],
        "recipients": {
            "to": summary["to"],
            "cc": summary["cc"],
            "workbook_to": workbook["to"] if workbook else [],
        },
        "pdf": pdf.filename,
        "pdf_sha256": pdf.sha256,
        "smtp": {"host": settings.smtp_host, "port": settings.smtp_port,
                 "security": settings.security},
        "messages": messages,
    }
    if previous:
        updated["previous"] = previous
    return updated


def _dump(record: Mapping[str, Any]) -> bytes:
    return (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _write_atomic(path: Path, data: bytes) -> None:
    """Write beside the target, fsync, then rename: readers see the old file or the new one."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


# ---------------------------------------------------------------- SMTP


class _Transient(Exception):
    """A failure worth retrying: 4xx reply, dropped connection, network error."""


@dataclass(frozen=True)
class _Session:
    settings: EmailSettings
    username: str | None
    password: str | None
    ssl_context: ssl.SSLContext | None
    timeout: float
    local_hostname: str | None

    @property
    def where(self) -> str:
        return f"{self.settings.smtp_host}:{self.settings.smtp_port}"

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


def _deliver(composed: Composed, session: _Session, retries: int, retry_wait: float,
             sleep: Callable[[float], None]) -> tuple[int, str]:
    """Send one message, retrying transient failures; return (attempts, server reply)."""
    attempts = max(0, retries) + 1
    for attempt in range(1, attempts + 1):
        try:
            return attempt, _attempt(composed, session)
        except _Transient as exc:
            if attempt == attempts:
                raise EmailError(
                    f"could not send the {composed.kind} email via {session.where} after "
                    f"{attempts} attempt{'s' if attempts != 1 else ''}: {exc}"
                    + _port_hint(session.settings)
                ) from None
            wait = retry_wait * (2 ** (attempt - 1))
            log.warning("mail server %s: %s; retrying in %.1fs (attempt %d of %d)",
                        session.where, exc, wait, attempt + 1, attempts)
            sleep(wait)
    raise AssertionError("unreachable")


def _port_hint(settings: EmailSettings) -> str:
    """The classic misconfiguration: implicit-TLS port with STARTTLS, or the reverse."""
    if settings.smtp_port == 465 and settings.security != "ssl":
        return " (port 465 usually needs email.security: ssl)"
    if settings.smtp_port == 587 and settings.security == "ssl":
        return " (port 587 usually needs email.security: starttls)"
    return ""


def _open(session: _Session) -> smtplib.SMTP:
    settings = session.settings
    if settings.security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, local_hostname=session.local_hostname,
            timeout=session.timeout, context=session.context(),
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                            local_hostname=session.local_hostname, timeout=session.timeout)
    try:
        smtp.ehlo_or_helo_if_needed()
        if settings.security == "starttls":
            if not smtp.has_extn("starttls"):
                raise EmailError(
                    f"{session.where} does not offer STARTTLS: refusing to send without "
                    "encryption (check email.smtp_port and email.security: 587 is usually "
                    "starttls, 465 ssl)"
                )
            code, text = smtp.starttls(context=session.context())
            if code != 220:
                raise smtplib.SMTPResponseException(code, text)
            smtp.ehlo()
        if session.username:
            if not smtp.has_extn("auth"):
                raise EmailError(
                    f"{session.where} does not offer AUTH (SMTP login) on this connection; "
                    "check email.security, or remove email.username_env for an "
                    "unauthenticated relay"
                )
            try:
                smtp.login(session.username, session.password or "")
            except smtplib.SMTPAuthenticationError as exc:
                if 400 <= exc.smtp_code < 500:
                    raise _Transient(f"login deferred: {session.reply(exc.smtp_code, exc.smtp_error)}") from None
                raise EmailError(
                    f"the mail server {session.where} rejected the login for {session.username} "
                    f"({session.reply(exc.smtp_code, exc.smtp_error)}); check "
                    f"{settings.username_env} and {settings.password_env}"
                ) from None
    except BaseException:
        _close(smtp)
        raise
    return smtp


def _close(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(smtplib.SMTPException, OSError):
        smtp.close()


def _attempt(composed: Composed, session: _Session) -> str:
    """One SMTP transaction, all or nothing: DATA only once every recipient is accepted."""
    smtp: smtplib.SMTP | None = None
    try:
        smtp = _open(session)
        code, text = smtp.mail(composed.envelope_from)
        if code != 250:
            raise _refusal(session, code, text, f"the sender {composed.envelope_from}")
        refused: dict[str, tuple[int, str]] = {}
        for recipient in composed.envelope_to:
            code, text = smtp.rcpt(recipient)
            if code not in (250, 251):
                refused[recipient] = (code, session.reply(code, text))
        if refused:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.rset()
            details = "; ".join(f"{rcpt}: {reply}" for rcpt, (_, reply) in refused.items())
            if all(400 <= code < 500 for code, _ in refused.values()):
                raise _Transient(f"recipients deferred ({details})")
            permanent = [rcpt for rcpt, (code, _) in refused.items() if not 400 <= code < 500]
            raise EmailError(
                f"the mail server {session.where} rejected the recipient"
                f"{'s' if len(permanent) != 1 else ''} {', '.join(permanent)} ({details}); "
                "nothing was sent: fix email.to/cc/workbook_to"
            )
        code, text = smtp.data(composed.message.as_bytes(policy=policy.SMTP))
        if code != 250:
            raise _refusal(session, code, text, "the message")
        reply = session.reply(code, text)
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.quit()
        return reply
    except (EmailError, _Transient):
        raise
    except ssl.SSLCertVerificationError as exc:
        raise EmailError(
            f"could not verify the TLS certificate of {session.where}: "
            f"{exc.verify_message or exc.reason}"
        ) from None
    except ssl.SSLError as exc:
        raise EmailError(
            f"TLS with {session.where} failed ({exc.reason or exc}); check email.security "
            "for this port (587 is usually starttls, 465 ssl)"
        ) from None
    except smtplib.SMTPServerDisconnected as exc:
        raise _Transient(f"connection closed by the server ({session.scrub(str(exc))})") from None
    except smtplib.SMTPResponseException as exc:
        raise _refusal(session, exc.smtp_code, exc.smtp_error, "the connection") from None
    except smtplib.SMTPException as exc:
        raise EmailError(f"mail server {session.where}: {session.scrub(str(exc))}") from None
    except OSError as exc:  # refused, reset, timed out, name resolution
        raise _Transient(f"{exc.__class__.__name__}: {session.scrub(str(exc))}") from None
    finally:
        if smtp is not None:
            _close(smtp)


def _refusal(session: _Session, code: int, text: bytes | str, what: str) -> Exception:
    """4xx is worth another try; anything else is final."""
    reply = session.reply(code, text)
    if 400 <= code < 500:
        return _Transient(f"{what} deferred: {reply}")
    return EmailError(f"the mail server {session.where} refused {what}: {reply}")
