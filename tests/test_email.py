"""The month's email over a real SMTP server on loopback (aiosmtpd): TLS, AUTH, retries, once."""

from __future__ import annotations

import errno
import hashlib
import json
import socket
import ssl
from datetime import UTC, datetime
from decimal import Decimal
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from reports.core.money_text import money_text
from reports.core.months import Month
from reports.core.settings import EmailSettings
from reports.email.compose import format_ratio, headline_from_manifest, subject_for
from reports.email.record import RECORD_NAME, read_send_record
from reports.email.send import send_month_summary
from reports.errors import DataError, EmailError, UsageError
from reports.outputs.manifest import Manifest

OCTOBER = Month(2026, 10)
NOW = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
LATER = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PDF_BYTES = b"%PDF-1.7\n% fake executive summary for tests\n" + bytes(range(256)) + b"\n%%EOF\n"
XLSX_BYTES = b"PK\x03\x04 fake workbook " + bytes(range(256))
SUBJECT = "Claude API chargeback \u2014 October 2026 \u2014 $12,345.68 (+8.3% vs September)"
USER, PASSWORD = "finops-bot", "s3cret-Pa55!word"
ENV = {"SMTP_USERNAME": USER, "SMTP_PASSWORD": PASSWORD}

COST_CENTERS = [
    {"code": "ENG-100", "name": "Platform Engineering", "total": "5000.00", "budget": "4500.00",
     "variance": "500.00", "prior_total": "4600.00", "change": "400.00"},
    {"code": "SUP-200", "name": "Customer Support", "total": "3000.00", "budget": None,
     "variance": None, "prior_total": "3100.00", "change": "-100.00"},
    {"code": "MKT-300", "name": "Marketing <Growth> & Brand", "total": "1500.00", "budget": None,
     "variance": None, "prior_total": None, "change": None},
    {"code": "SAL-400", "name": "Sales", "total": "1200.00", "budget": "1000.00",
     "variance": "200.00", "prior_total": "1100.00", "change": "100.00"},
    {"code": "RES-500", "name": "Research", "total": "1000.00", "budget": None,
     "variance": None, "prior_total": "900.00", "change": "100.00"},
    {"code": "OPS-600", "name": "Operations", "total": "600.00", "budget": None,
     "variance": None, "prior_total": "600.00", "change": "0.00"},
    {"code": "FIN-999", "name": "Unallocated", "total": "45.68", "budget": None,
     "variance": None, "prior_total": "100.00", "change": "-54.32"},
]


# ---------------------------------------------------------------- fixtures: files


def manifest_dict(**changes) -> dict:
    """A manifest as a run writes it (only the numbers the email quotes are made up)."""
    totals = {
        "currency": "USD", "source_total_cents": "1234567.891234", "source_total": "12345.67891234",
        "total": "12345.68", "prior_month": "2026-09", "prior_total": "11400.00", "change": "945.68",
        "change_ratio": "0.08295438596", "line_items": 120, "unallocated": "45.68", "cost_centers": COST_CENTERS,
    }
    totals.update(changes.pop("totals", {}))
    manifest = {
        "run_id": "run-test", "month": "2026-10", "tool_version": "0.1.0", "source": "api",
        "generated_at": "2026-11-01T06:00:00Z", "data_fetched_at": "2026-11-01T05:59:00Z",
        "organization": "Acme Corp", "demo": False, "config_file": "config/chargeback.yaml",
        "config_sha256": "0" * 64, "requests_made": 6, "raw_pages": [],
        "outputs": [{"file": "executive-summary-2026-10.pdf", "sha256": hashlib.sha256(PDF_BYTES).hexdigest()},
                    {"file": "chargeback-2026-10.xlsx", "sha256": hashlib.sha256(XLSX_BYTES).hexdigest()}],
        "totals": totals,
    }
    manifest.update(changes)
    return manifest


def manifest_of(**changes) -> Manifest:
    return Manifest.from_json(manifest_dict(**changes), "manifest.json")


@pytest.fixture
def make_month_dir(tmp_path):
    """Factory: an output month folder holding a fake PDF, workbook and manifest."""

    def make(*, pdf: bytes | None = PDF_BYTES, **manifest_changes) -> Path:
        folder = tmp_path / "output" / "2026-10"
        folder.mkdir(parents=True, exist_ok=True)
        if pdf is not None:
            (folder / "executive-summary-2026-10.pdf").write_bytes(pdf)
        (folder / "chargeback-2026-10.xlsx").write_bytes(XLSX_BYTES)
        (folder / "manifest.json").write_text(json.dumps(manifest_dict(**manifest_changes)))
        return folder

    return make


@pytest.fixture
def month_dir(make_month_dir) -> Path:
    return make_month_dir()


# ---------------------------------------------------------------- fixtures: SMTP server


class Recorder:
    """An aiosmtpd handler that keeps what it received and can misbehave on request."""

    def __init__(self, *, defer_data: int = 0, drop_on_mail: int = 0, reject: tuple[str, ...] = ()):
        self.received: list[tuple[str, list[str], bytes]] = []
        self.defer_data = defer_data
        self.drop_on_mail = drop_on_mail
        self.reject = {address.lower() for address in reject}
        self.data_commands = 0
        self.over_tls: list[bool] = []

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.drop_on_mail > 0:
            self.drop_on_mail -= 1
            server.transport.close()  # the connection drops mid-transaction
            return "250 OK"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_commands += 1
        if self.defer_data > 0:
            self.defer_data -= 1
            return "451 4.3.0 Temporary local problem, try again later"
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        self.over_tls.append(server.transport.get_extra_info("ssl_object") is not None)
        return "250 2.0.0 Ok: queued as TEST1"


class Authenticator:
    def __init__(self, *, echo_password: bool = False):
        self.logins: list[tuple[str, str, str]] = []
        self.echo_password = echo_password

    def __call__(self, server, session, envelope, mechanism, auth_data):
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((mechanism, login, password))
        if login == USER and password == PASSWORD and not self.echo_password:
            return AuthResult(success=True)
        message = "535 5.7.8 Authentication credentials invalid"
        if self.echo_password:  # a badly behaved server that quotes what it got
            message += f" for {login}/{password}"
        return AuthResult(success=False, handled=False, message=message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_controller(handler, **smtp_kwargs) -> Controller:
    """A real SMTP server on a free loopback port, started.

    The port is free when probed but not held, so a process running beside the suite (another
    test worker) may take it first: then the server starts again on another port.
    """
    for attempt in range(10):
        controller = Controller(handler, hostname="127.0.0.1", port=free_port(), server_hostname="localhost",
                                **smtp_kwargs)
        try:
            controller.start()
        except OSError as error:
            if error.errno != errno.EADDRINUSE or attempt == 9:
                raise
            continue
        return controller
    raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def tls():
    """A test CA, a server context with a cert for 127.0.0.1/localhost, a client trusting it."""
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    return server_context, client_context


@pytest.fixture
def start_server():
    """Factory: a real SMTP server on a loopback port; stopped after the test."""
    controllers = []

    def start(handler: Recorder | None = None, **smtp_kwargs):
        handler = handler or Recorder()
        controller = start_controller(handler, **smtp_kwargs)
        controllers.append(controller)
        return controller

    yield start
    for controller in controllers:
        controller.stop()


def settings_for(port: int, **changes) -> EmailSettings:
    values = dict(
        to=("cfo@acme.example", "ceo@acme.example"),
        sender="FinOps <finops@acme.example>",
        smtp_host="127.0.0.1",
        smtp_port=port,
        security="none",
        cc=("controller@acme.example",),
    )
    values.update(changes)
    return EmailSettings(**values)


def send(settings, month_dir, **kwargs):
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("retry_wait", 0.01)
    kwargs.setdefault("local_hostname", "localhost")
    kwargs.setdefault("environ", {})
    return send_month_summary(settings, month_dir, OCTOBER, **kwargs)


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


def attachments_of(message: EmailMessage) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


def assert_summary_message(message: EmailMessage) -> None:
    assert message["Subject"] == SUBJECT
    assert message["From"] == "FinOps <finops@acme.example>"
    assert [a.addr_spec for a in message["To"].addresses] == ["cfo@acme.example", "ceo@acme.example"]
    assert [a.addr_spec for a in message["Cc"].addresses] == ["controller@acme.example"]
    assert message["Bcc"] is None
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert "$12,345.68" in body
        assert "ENG-100" in body and "Platform Engineering" in body
        assert "$11,400.00" in body and "+8.3%" in body
        assert "FIN-999" not in body  # only the five largest cost centers
    assert "2 other cost centers: $645.68" in text
    assert "Marketing &lt;Growth&gt; &amp; Brand" in html  # HTML is escaped
    assert "Marketing <Growth> & Brand" in text  # plain text is not
    assert attachments_of(message) == {"executive-summary-2026-10.pdf": PDF_BYTES}


# ---------------------------------------------------------------- composing


def test_subject_formats_total_and_change_half_up():
    headline = headline_from_manifest(manifest_of(), OCTOBER)
    assert subject_for(headline) == SUBJECT
    assert [line.code for line in headline.top] == ["ENG-100", "SUP-200", "MKT-300", "SAL-400", "RES-500"]
    assert headline.others_total == Decimal("645.68")


def test_subject_demo_prefix_negative_change_and_unknown_prior():
    demo = manifest_of(demo=True, source="demo",
                         totals={"change_ratio": "-0.0125", "prior_total": "12500.00"})
    assert subject_for(headline_from_manifest(demo, OCTOBER)) == (
        "[DEMO] Claude API chargeback \u2014 October 2026 \u2014 $12,345.68 (-1.3% vs September)"
    )
    no_prior = manifest_of(totals={"prior_total": None, "change": None, "change_ratio": None})
    assert subject_for(headline_from_manifest(no_prior, OCTOBER)) == (
        "Claude API chargeback \u2014 October 2026 \u2014 $12,345.68"
    )
    january = manifest_of(month="2027-01", totals={"prior_month": "2026-12"})
    assert subject_for(headline_from_manifest(january, Month(2027, 1))).endswith("vs December)")


def test_money_and_ratio_formatting():
    assert money_text(Decimal("1234567.005")) == "$1,234,567.01"
    assert money_text(Decimal("-3"), signed=True) == "-$3.00"
    assert money_text(Decimal("945.68"), signed=True) == "+$945.68"
    assert money_text(Decimal("-1234.5"), "EUR") == "-EUR 1,234.50"  # as the PDF writes it
    assert format_ratio(Decimal("0.08295438596")) == "+8.3%"
    assert format_ratio(Decimal("-0.0004")) == "0.0%"


def test_malformed_manifest_amount_is_a_data_error(make_month_dir):
    folder = make_month_dir(totals={"total": "12,345.68"})
    with pytest.raises(DataError, match="totals.total"):
        send(settings_for(1), folder, dry_run=True)


# ---------------------------------------------------------------- sending


def test_plain_send_delivers_summary_and_records_it(start_server, month_dir):
    server = start_server()
    outcome = send(settings_for(server.port), month_dir)

    (mail_from, rcpt_tos, raw), = server.handler.received
    assert mail_from == "finops@acme.example"
    assert rcpt_tos == ["cfo@acme.example", "ceo@acme.example", "controller@acme.example"]
    message = parse(raw)
    assert_summary_message(message)
    assert message["Message-ID"] == outcome.message_id
    assert outcome.recipients == tuple(rcpt_tos)

    record = json.loads((month_dir / RECORD_NAME).read_text())
    assert record["message_id"] == outcome.message_id
    assert record["sent_at"] == "2026-11-01T06:30:00Z"
    assert record["subject"] == SUBJECT
    assert record["recipients"] == {"to": ["cfo@acme.example", "ceo@acme.example"],
                                    "cc": ["controller@acme.example"], "workbook_to": []}
    import hashlib
    assert record["pdf_sha256"] == hashlib.sha256(PDF_BYTES).hexdigest()
    assert not list(month_dir.glob(".*.tmp"))


def test_starttls_with_auth_uses_env_credentials(start_server, month_dir, tls):
    server_context, client_context = tls
    authenticator = Authenticator()
    server = start_server(tls_context=server_context, require_starttls=True, auth_required=True,
                          authenticator=authenticator)
    settings = settings_for(server.port, security="starttls",
                            username_env="SMTP_USERNAME", password_env="SMTP_PASSWORD")
    send(settings, month_dir, environ=ENV, ssl_context=client_context)

    assert [(login, password) for _, login, password in authenticator.logins] == [(USER, PASSWORD)]
    (_, _, raw), = server.handler.received
    assert server.handler.over_tls == [True]
    assert_summary_message(parse(raw))


def test_implicit_tls_ssl_mode(start_server, month_dir, tls):
    server_context, client_context = tls
    authenticator = Authenticator()
    # aiosmtpd 1.4 only counts STARTTLS as TLS for auth_require_tls; this socket is TLS
    # from the first byte (checked below), so lifting that check is safe here.
    server = start_server(ssl_context=server_context, auth_require_tls=False,
                          authenticator=authenticator)
    settings = settings_for(server.port, security="ssl",
                            username_env="SMTP_USERNAME", password_env="SMTP_PASSWORD")
    send(settings, month_dir, environ=ENV, ssl_context=client_context)
    assert [(login, password) for _, login, password in authenticator.logins] == [(USER, PASSWORD)]
    assert server.handler.over_tls == [True]
    assert_summary_message(parse(server.handler.received[0][2]))


def test_starttls_refuses_a_server_without_starttls(start_server, month_dir, tls):
    server = start_server()  # no tls_context: STARTTLS is not offered
    with pytest.raises(EmailError, match="does not offer STARTTLS") as caught:
        send(settings_for(server.port, security="starttls"), month_dir, ssl_context=tls[1])
    assert caught.value.exit_status == 3
    assert server.handler.received == []
    assert not (month_dir / RECORD_NAME).exists()


def test_untrusted_certificate_fails_without_retry(start_server, month_dir, tls):
    server = start_server(tls_context=tls[0])
    waits: list[float] = []
    with pytest.raises(EmailError, match="could not verify the TLS certificate"):
        send(settings_for(server.port, security="starttls"), month_dir, sleep=waits.append)
    assert waits == [] and server.handler.received == []


def test_rejected_login_is_exit_3_and_never_shows_the_password(start_server, month_dir, tls):
    server_context, client_context = tls
    authenticator = Authenticator(echo_password=True)
    server = start_server(tls_context=server_context, authenticator=authenticator)
    settings = settings_for(server.port, security="starttls",
                            username_env="SMTP_USERNAME", password_env="SMTP_PASSWORD")
    waits: list[float] = []
    with pytest.raises(EmailError) as caught:
        send(settings, month_dir, environ=ENV, ssl_context=client_context, sleep=waits.append)
    message = str(caught.value)
    assert caught.value.exit_status == 3
    assert "rejected the login for finops-bot" in message and "SMTP_PASSWORD" in message
    assert "535" in message and "\n" not in message
    assert PASSWORD not in message and PASSWORD not in repr(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    # smtplib tries each mechanism once (PLAIN, then LOGIN) on one connection; no retry.
    mechanisms = [mechanism for mechanism, _, _ in authenticator.logins]
    assert waits == [] and len(mechanisms) == len(set(mechanisms))
    assert server.handler.received == []


def test_missing_credential_variable_names_it(start_server, month_dir):
    settings = settings_for(1, username_env="SMTP_USERNAME", password_env="SMTP_PASSWORD")
    with pytest.raises(UsageError, match="SMTP_PASSWORD is not set"):
        send(settings, month_dir, environ={"SMTP_USERNAME": USER})


def test_451_once_then_accepted_is_delivered_once(start_server, month_dir):
    server = start_server(Recorder(defer_data=1))
    waits: list[float] = []
    outcome = send(settings_for(server.port), month_dir, sleep=waits.append)
    assert server.handler.data_commands == 2
    assert len(server.handler.received) == 1
    assert outcome.messages[0].attempts == 2 and waits == [0.01]
    assert read_send_record(month_dir).messages[0].attempts == 2


def test_dropped_connection_is_retried(start_server, month_dir):
    server = start_server(Recorder(drop_on_mail=1))
    outcome = send(settings_for(server.port), month_dir, sleep=lambda _: None)
    assert len(server.handler.received) == 1 and outcome.messages[0].attempts == 2


def test_persistent_4xx_gives_up_after_retries(start_server, month_dir):
    server = start_server(Recorder(defer_data=99))
    waits: list[float] = []
    with pytest.raises(EmailError, match="after 3 attempts.*451"):
        send(settings_for(server.port), month_dir, retries=2, retry_wait=0.5, sleep=waits.append)
    assert waits == [0.5, 1.0]
    assert not (month_dir / RECORD_NAME).exists()


def test_unreachable_server_is_exit_3(month_dir):
    with pytest.raises(EmailError, match="after 2 attempts") as caught:
        send(settings_for(free_port()), month_dir, retries=1, sleep=lambda _: None)
    assert caught.value.exit_status == 3


def test_rejected_recipient_names_it_and_sends_nothing(start_server, month_dir):
    server = start_server(Recorder(reject=("ceo@acme.example",)))
    with pytest.raises(EmailError, match=r"rejected the recipient ceo@acme\.example .*550") as caught:
        send(settings_for(server.port), month_dir)
    assert caught.value.exit_status == 3
    assert server.handler.data_commands == 0  # all or nothing: no partial delivery
    assert not (month_dir / RECORD_NAME).exists()


def test_missing_pdf_says_run_the_month_first(make_month_dir):
    folder = make_month_dir(pdf=None)
    with pytest.raises(UsageError, match=r"run `chargeback run --month 2026-10` first") as caught:
        send(settings_for(1), folder)
    assert caught.value.exit_status == 2


def test_pdf_changed_after_the_run_is_refused(make_month_dir):
    import hashlib
    folder = make_month_dir(outputs=[{"file": "executive-summary-2026-10.pdf",
                                      "sha256": hashlib.sha256(b"other").hexdigest()}])
    with pytest.raises(DataError, match="changed after the run"):
        send(settings_for(1), folder, dry_run=True)


# ---------------------------------------------------------------- exactly once


def test_second_send_refuses_and_force_sends_again(start_server, month_dir):
    server = start_server()
    settings = settings_for(server.port)
    first = send(settings, month_dir)

    with pytest.raises(UsageError) as caught:
        send(settings, month_dir, now=LATER)
    message = str(caught.value)
    assert "already sent on 2026-11-01 06:30 UTC" in message
    assert "cfo@acme.example" in message and first.message_id in message and "--force" in message
    assert "PDF has changed" not in message
    assert len(server.handler.received) == 1

    # the month is run again: a new PDF, and a manifest that records it
    (month_dir / "executive-summary-2026-10.pdf").write_bytes(PDF_BYTES + b"v2")
    rerun = manifest_dict(outputs=[{"file": "executive-summary-2026-10.pdf",
                                    "sha256": hashlib.sha256(PDF_BYTES + b"v2").hexdigest()}])
    (month_dir / "manifest.json").write_text(json.dumps(rerun))
    with pytest.raises(UsageError, match="the PDF has changed since"):
        send(settings, month_dir, now=LATER)

    second = send(settings, month_dir, now=LATER, force=True)
    assert len(server.handler.received) == 2
    assert second.message_id != first.message_id
    assert second.previous is not None and second.previous.message_id == first.message_id
    record = read_send_record(month_dir)
    assert record.message_id == second.message_id
    assert record.sent_at == "2026-11-02T09:00:00Z"
    assert [old.message_id for old in record.previous] == [first.message_id]
    assert attachments_of(parse(server.handler.received[1][2])) == {
        "executive-summary-2026-10.pdf": PDF_BYTES + b"v2"}


def test_dry_run_writes_eml_and_sends_nothing(start_server, month_dir):
    server = start_server()
    outcome = send(settings_for(server.port), month_dir, dry_run=True)
    assert outcome.eml_path == month_dir / "executive-summary-2026-10.eml"
    assert_summary_message(parse(outcome.eml_path.read_bytes()))
    assert server.handler.received == []
    assert not (month_dir / RECORD_NAME).exists()
    send(settings_for(server.port), month_dir)  # a dry run does not count as a send
    assert len(server.handler.received) == 1


def test_a_send_record_edited_out_of_shape_names_the_field_and_sends_nothing(start_server, month_dir):
    server = start_server()
    (month_dir / RECORD_NAME).write_text('{"sent_at": "2026-11-01T06:30:00Z", "messages": ["summary"]}')
    with pytest.raises(DataError, match=r"messages in the send record is not a list of objects"):
        send(settings_for(server.port), month_dir)
    assert server.handler.received == []


def test_workbook_goes_separately_to_finance_and_resumes_after_failure(start_server, month_dir):
    server = start_server(Recorder(reject=("ap@acme.example",)))
    settings = settings_for(server.port, workbook_to=("ap@acme.example", "gl@acme.example"))
    with pytest.raises(EmailError, match="ap@acme.example"):
        send(settings, month_dir)
    # Leadership got its message and it is recorded; the finance message was not sent.
    assert len(server.handler.received) == 1
    assert read_send_record(month_dir).kinds == ("summary",)

    server.handler.reject.clear()
    outcome = send(settings, month_dir, now=LATER)
    assert outcome.skipped == ("summary",) and [m.kind for m in outcome.messages] == ["workbook"]
    assert len(server.handler.received) == 2
    leadership, finance = (parse(raw) for _, _, raw in server.handler.received)
    assert attachments_of(leadership) == {"executive-summary-2026-10.pdf": PDF_BYTES}
    assert server.handler.received[1][1] == ["ap@acme.example", "gl@acme.example"]
    assert attachments_of(finance) == {"executive-summary-2026-10.pdf": PDF_BYTES,
                                       "chargeback-2026-10.xlsx": XLSX_BYTES}
    assert "chargeback-2026-10.xlsx" in finance.get_body(("plain",)).get_content()
    record = read_send_record(month_dir)
    assert record.workbook_to == ("ap@acme.example", "gl@acme.example")
    assert record.sent_at == "2026-11-01T06:30:00Z"  # the leadership send

    with pytest.raises(UsageError, match="already sent"):
        send(settings, month_dir, now=LATER)


def test_send_is_refused_while_a_run_holds_the_month(start_server, month_dir):
    fcntl = pytest.importorskip("fcntl")
    from reports.errors import LockError

    server = start_server()
    with open(month_dir.parent / ".2026-10.lock", "a+b") as held:  # a run holds the month
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(LockError, match="2026-10"):
            send(settings_for(server.port), month_dir)
    assert server.handler.received == []
