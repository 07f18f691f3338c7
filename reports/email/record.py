"""The send record, ``<month>/email-sent.json``: what was sent, one typed value, read and written only here.

A month's record lists each message the mail server accepted (the leadership summary, and the
finance message with the workbook when ``email.workbook_to`` is set). Its top-level fields
repeat the summary's, for a reader who opens the file. A forced send starts a new record and
keeps the earlier ones, oldest first, under ``previous``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from reports.email.compose import SUMMARY, WORKBOOK
from reports.errors import DataError

RECORD_NAME = "email-sent.json"
RECORD_VERSION = 1


@dataclass(frozen=True)
class RecordedMessage:
    """One message the mail server accepted."""

    kind: str  # SUMMARY or WORKBOOK
    message_id: str
    subject: str
    sent_at: str  # RFC 3339, UTC
    to: tuple[str, ...]
    cc: tuple[str, ...]
    envelope_to: tuple[str, ...]
    attachments: tuple[tuple[str, str], ...]  # (file name, SHA-256)
    attempts: int  # SMTP attempts it took
    server_reply: str  # the reply to DATA, password scrubbed

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "message_id": self.message_id,
            "subject": self.subject,
            "sent_at": self.sent_at,
            "to": list(self.to),
            "cc": list(self.cc),
            "envelope_to": list(self.envelope_to),
            "attachments": [{"file": name, "sha256": digest} for name, digest in self.attachments],
            "attempts": self.attempts,
            "server_reply": self.server_reply,
        }


@dataclass(frozen=True)
class SendRecord:
    """A month's send record; the defaults are what a record that leaves a field out says."""

    month: str = ""
    message_id: str = ""  # the summary's (the first message's when no summary was sent)
    subject: str = ""
    sent_at: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    workbook_to: tuple[str, ...] = ()
    pdf: str = ""  # the PDF's file name
    pdf_sha256: str = ""
    smtp_host: str = ""
    smtp_port: int = 0
    security: str = ""
    messages: tuple[RecordedMessage, ...] = ()  # the summary first
    previous: tuple[SendRecord, ...] = ()  # records replaced by forced sends, oldest first
    version: int = RECORD_VERSION

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds of message this record says were sent."""
        return tuple(message.kind for message in self.messages)

    @property
    def recipients(self) -> tuple[str, ...]:
        """Every envelope recipient of the recorded messages, once each, in order."""
        return envelope_recipients(self.messages)

    def restarted(self) -> SendRecord:
        """An empty record for a forced send, keeping this one (and its predecessors) under ``previous``."""
        return SendRecord(previous=self.previous + (replace(self, previous=()),))

    def with_message(self, month: str, message: RecordedMessage, *, pdf: str, pdf_sha256: str,
                     smtp_host: str, smtp_port: int, security: str) -> SendRecord:
        """This record with ``message`` added (replacing one of its kind), the top-level fields from the summary."""
        messages = sorted([m for m in self.messages if m.kind != message.kind] + [message],
                          key=lambda m: 0 if m.kind == SUMMARY else 1)
        summary = next((m for m in messages if m.kind == SUMMARY), messages[0])
        workbook = next((m for m in messages if m.kind == WORKBOOK), None)
        return SendRecord(
            month=month, message_id=summary.message_id, subject=summary.subject, sent_at=summary.sent_at,
            to=summary.to, cc=summary.cc, workbook_to=workbook.to if workbook else (),
            pdf=pdf, pdf_sha256=pdf_sha256, smtp_host=smtp_host, smtp_port=smtp_port, security=security,
            messages=tuple(messages), previous=self.previous,
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "version": self.version,
            "month": self.month,
            "message_id": self.message_id,
            "subject": self.subject,
            "sent_at": self.sent_at,
            "recipients": {"to": list(self.to), "cc": list(self.cc), "workbook_to": list(self.workbook_to)},
            "pdf": self.pdf,
            "pdf_sha256": self.pdf_sha256,
            "smtp": {"host": self.smtp_host, "port": self.smtp_port, "security": self.security},
            "messages": [message.to_json() for message in self.messages],
        }
        if self.previous:
            data["previous"] = [record.to_json() for record in self.previous]
        return data

    def to_bytes(self) -> bytes:
        """The file's content: indented JSON, UTF-8, a final newline."""
        return (json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def envelope_recipients(messages: Iterable[Any]) -> tuple[str, ...]:
    """Every address in the messages' ``envelope_to``, once each, in the order first sent to."""
    seen: list[str] = []
    for message in messages:
        seen.extend(r for r in message.envelope_to if r not in seen)
    return tuple(seen)


def read_send_record(month_dir: Path) -> SendRecord | None:
    """The ``email-sent.json`` of a month folder, or None if the month was never sent."""
    path = Path(month_dir) / RECORD_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: the send record is not valid JSON ({exc}); "
                        "inspect it, then delete it to allow a new send") from None
    if not isinstance(data, dict):
        raise DataError(f"{path}: the send record is not a JSON object")
    return _Reader(path).record(data)


class _Reader:
    """Reads a record's fields, naming the file and the field of the first one that is not as written."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, expected: str) -> DataError:
        return DataError(f"{self.path}: {where} in the send record is not {expected}; "
                         "inspect it, then delete it to allow a new send")

    def text(self, data: Mapping[str, Any], key: str, where: str) -> str:
        value = data.get(key, "")
        if not isinstance(value, str):
            raise self.fail(f"{where}{key}", "a string")
        return value

    def number(self, data: Mapping[str, Any], key: str, where: str, default: int = 0) -> int:
        value = data.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(f"{where}{key}", "a whole number")
        return value

    def texts(self, data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail(f"{where}{key}", "a list of strings")
        return tuple(value)

    def objects(self, data: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.fail(f"{where}{key}", "a list of objects")
        return value

    def object(self, data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(f"{where}{key}", "an object")
        return value

    def record(self, data: Mapping[str, Any], where: str = "") -> SendRecord:
        recipients = self.object(data, "recipients", where)
        smtp = self.object(data, "smtp", where)
        return SendRecord(
            month=self.text(data, "month", where),
            message_id=self.text(data, "message_id", where),
            subject=self.text(data, "subject", where),
            sent_at=self.text(data, "sent_at", where),
            to=self.texts(recipients, "to", where + "recipients."),
            cc=self.texts(recipients, "cc", where + "recipients."),
            workbook_to=self.texts(recipients, "workbook_to", where + "recipients."),
            pdf=self.text(data, "pdf", where),
            pdf_sha256=self.text(data, "pdf_sha256", where),
            smtp_host=self.text(smtp, "host", where + "smtp."),
            smtp_port=self.number(smtp, "port", where + "smtp."),
            security=self.text(smtp, "security", where + "smtp."),
            messages=tuple(self.message(item, f"{where}messages[{n}].")
                           for n, item in enumerate(self.objects(data, "messages", where))),
            previous=tuple(self.record(item, f"{where}previous[{n}].")
                           for n, item in enumerate(self.objects(data, "previous", where))),
            version=self.number(data, "version", where, RECORD_VERSION),
        )

    def message(self, data: Mapping[str, Any], where: str) -> RecordedMessage:
        attachments = []
        for n, item in enumerate(self.objects(data, "attachments", where)):
            attachments.append((self.text(item, "file", f"{where}attachments[{n}]."),
                                self.text(item, "sha256", f"{where}attachments[{n}].")))
        return RecordedMessage(
            kind=self.text(data, "kind", where),
            message_id=self.text(data, "message_id", where),
            subject=self.text(data, "subject", where),
            sent_at=self.text(data, "sent_at", where),
            to=self.texts(data, "to", where),
            cc=self.texts(data, "cc", where),
            envelope_to=self.texts(data, "envelope_to", where),
            attachments=tuple(attachments),
            attempts=self.number(data, "attempts", where),
            server_reply=self.text(data, "server_reply", where),
        )
