"""Send the month's executive summary exactly once: which messages are due, in what order, recorded as they go.

``send_month_summary`` is the library call behind ``chargeback email`` and ``run --email``.
The message is composed by ``reports.email.compose``, delivered by ``reports.email.transport``
(TLS, login, retries) and recorded in ``<month>/email-sent.json`` (``reports.email.record``),
the record that makes a second send refuse unless forced; a dry run writes ``.eml`` files.
"""

from __future__ import annotations

import logging
import os
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from pathlib import Path

from reports.core.months import Month, parse_rfc3339, rfc3339
from reports.core.settings import EmailSettings
from reports.email.compose import (
    SUMMARY,
    WORKBOOK,
    Attachment,
    Composed,
    as_sent,
    compose,
    headline_from_manifest,
)
from reports.email.latest import LatestSummary, latest_summary
from reports.email.record import RECORD_NAME, RecordedMessage, SendRecord, envelope_recipients, read_send_record
from reports.email.transport import DEFAULT_TIMEOUT, SmtpTransport
from reports.errors import DataError, UsageError
from reports.outputs.atomic import write_atomic
from reports.outputs.folder import month_lock
from reports.outputs.manifest import Manifest
from reports.outputs.names import pdf_name, workbook_name

log = logging.getLogger(__name__)



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
class SendOutcome:
    month: Month
    dry_run: bool
    messages: tuple[SentMessage, ...]  # sent (or written) by this call, summary first
    skipped: tuple[str, ...]  # kinds already recorded by an earlier call, not sent again
    pdf_sha256: str
    record_path: Path | None  # None in a dry run
    previous: SendRecord | None  # the earlier send this call found (forced, resumed or dry run)
    restatement: str | None = None  # "R1" when the summary sent is a restatement's

    def _summary_message(self) -> SentMessage | None:
        return next((m for m in self.messages if m.kind == SUMMARY), None)

    @property
    def message_id(self) -> str | None:
        summary = self._summary_message()
        return summary.message_id if summary else None

    @property
    def recipients(self) -> tuple[str, ...]:
        return envelope_recipients(self.messages)

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
        restated = f"restatement {self.restatement}'s " if self.restatement else ""
        for message in self.messages:
            what = f"{restated}executive summary" if message.kind == SUMMARY else f"{restated}summary + workbook"
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

    A closed month that was restated sends its latest restatement's summary instead, marked as
    restated with its adjustment, recorded in that restatement's folder: each restatement is a
    new summary to send, once.

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
    latest = latest_summary(month_dir, month)
    summary_dir = latest.folder  # the month folder, or its latest restatement's
    pdf_path = summary_dir / pdf_name(month)
    if not pdf_path.is_file():
        if (summary_dir / "manifest.json").is_file() and \
                Manifest.read(summary_dir, month).output(pdf_name(month)) is None:
            raise UsageError(f"{month} in {summary_dir} was run without its executive summary (backfill --no-pdf): "
                             f"run `chargeback run --month {month}` again to write it")
        raise UsageError(
            f"no executive summary for {month} in {summary_dir}: "
            f"run `chargeback run --month {month}` first"
        )
    manifest = Manifest.read(summary_dir, month)
    headline = as_sent(headline_from_manifest(manifest, month), manifest, status=latest.status, label=latest.label,
                       sealed_at=latest.sealed_at)
    pdf = Attachment.read(pdf_path)
    _check_manifest_hash(manifest, pdf)
    workbook: Attachment | None = None
    if settings.workbook_to:
        workbook_path = summary_dir / workbook_name(month)
        if not workbook_path.is_file():
            raise UsageError(
                f"no workbook for {month} in {summary_dir} (email.workbook_to is set): "
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
        written = []
        for kind in wanted:
            composed = build(kind)
            suffix = "" if kind == SUMMARY else "-workbook"
            eml_path = summary_dir / f"executive-summary-{month}{suffix}.eml"
            write_atomic(eml_path, composed.message.as_bytes(policy=policy.SMTP))
            written.append(_sent(composed, sent_at=None, attempts=0, eml_path=eml_path))
            log.info("dry run: wrote %s", eml_path)
        return SendOutcome(month, True, tuple(written), (), pdf.sha256, None, read_send_record(summary_dir),
                           latest.label)

    username, password = _credentials(settings, environ)
    transport = SmtpTransport(settings, username, password, ssl_context, timeout, local_hostname,
                              retries, retry_wait, sleep)
    # The run's lock: a run publishing this month must not swap the folder under us.
    with month_lock(month_dir.parent, month):
        previous = read_send_record(summary_dir)
        if previous is not None and not force:
            pending = [kind for kind in wanted if kind not in previous.kinds]
            if not pending:
                raise UsageError(_already_sent_message(month, previous, pdf.sha256, latest))
            record = previous
        else:
            pending = wanted
            record = previous.restarted() if previous is not None else SendRecord()
        skipped = tuple(kind for kind in wanted if kind not in pending)

        sent: list[SentMessage] = []
        for kind in pending:
            composed = build(kind)
            log.info(
                "sending %s for %s to %d recipient(s) via %s:%d (%s)",
                kind, month, len(composed.envelope_to), settings.smtp_host,
                settings.smtp_port, settings.security,
            )
            attempts, reply = transport.deliver(composed)
            sent_at = now.astimezone(UTC) if now else datetime.now(UTC)
            message = _sent(composed, sent_at=sent_at, attempts=attempts)
            # recorded at once: if the next message fails, a later call sends only that one
            record = record.with_message(str(month), _recorded(message, reply), pdf=pdf.filename,
                                         pdf_sha256=pdf.sha256, smtp_host=settings.smtp_host,
                                         smtp_port=settings.smtp_port, security=settings.security)
            write_atomic(summary_dir / RECORD_NAME, record.to_bytes())
            sent.append(message)
        return SendOutcome(month, False, tuple(sent), skipped, pdf.sha256,
                           summary_dir / RECORD_NAME, previous, latest.label)


# ---------------------------------------------------------------- checks


def _credentials(settings: EmailSettings, environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    # The settings' own rules (both names or neither, no login in clear to another host) are
    # config rules, checked by reports.config for check-config and this command alike.
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


def _check_manifest_hash(manifest: Manifest, pdf: Attachment) -> None:
    """The PDF we attach must still be the file the run recorded."""
    entry = manifest.output(pdf.filename)
    if entry is None or entry.sha256.lower() != pdf.sha256:
        raise DataError(
            f"{pdf.filename} does not match the SHA-256 in manifest.json: the file changed "
            "after the run; re-run the month before emailing it"
        )


# ---------------------------------------------------------------- messages


def _when(text: str) -> str:
    try:
        return parse_rfc3339(text).strftime("%Y-%m-%d %H:%M UTC")
    except (ValueError, AttributeError):
        return str(text)


def _already_sent_message(month: Month, prior: SendRecord, pdf_sha256: str, latest: LatestSummary) -> str:
    text = (
        f"{latest.what} for {month} was already sent on {_when(prior.sent_at)} to "
        f"{', '.join(prior.recipients) or 'its recipients'} (Message-ID {prior.message_id}); "
        "use --force to send it again"
    )
    if prior.pdf_sha256 and prior.pdf_sha256 != pdf_sha256:
        text += (
            f"; note: the PDF has changed since (SHA-256 {prior.pdf_sha256[:12]}… then, "
            f"{pdf_sha256[:12]}… now)"
        )
    return text


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


def _recorded(message: SentMessage, reply: str) -> RecordedMessage:
    assert message.sent_at is not None
    return RecordedMessage(message.kind, message.message_id, message.subject, rfc3339(message.sent_at),
                           message.to, message.cc, message.envelope_to, message.attachments,
                           message.attempts, reply)
