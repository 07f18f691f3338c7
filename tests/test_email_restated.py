"""`chargeback email` after a restatement: the restated summary, marked as such, sent once, to a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

import pytest

from conftest import MONTH, run_options, simulator
from reports.core.money_text import money_text
from reports.outputs.seal import close_month
from reports.pipeline import run
from reports.simulator.demo import demo_organization
from test_email_cli import config_with_email, smtp  # noqa: F401 - the fixture, a real SMTP server on loopback

pytestmark = pytest.mark.slow  # closes and restates a whole month, with its PDFs


def test_email_after_a_restatement_sends_the_restated_summary_once_with_the_right_status(cli, tmp_path, smtp,  # noqa: F811
                                                                                         demo_server):
    port, handler = smtp
    config, output = config_with_email(tmp_path, port), tmp_path / "out"
    sealed = run(run_options(demo_server, output, config=config, pdf=True))
    close_month(output, MONTH, datetime(2026, 11, 5, 9, 0, tzinfo=UTC))
    email = ["email", "--month", str(MONTH), "--config", str(config), "--output", str(output)]

    first = cli(*email)
    assert first.returncode == 0, first.stderr
    closed = BytesParser(policy=policy.default).parsebytes(handler.received[0][2])
    text = closed.get_body(("plain",)).get_content()
    assert "Status: October 2026 is closed." in text and "not closed" not in text  # the run predates the close
    assert "RESTATED" not in text and "restated" not in closed["Subject"]
    sealed_record = (sealed.folder / "email-sent.json").read_bytes()

    with simulator(organization=demo_organization(revision=1)) as late:
        restated = run(run_options(late, output, config=config, restate=True, pdf=True))
    restatement = restated.report.restatement
    assert restatement is not None and restatement.difference

    second = cli(*email)
    assert second.returncode == 0, second.stderr
    assert "restatement R1's executive summary sent" in second.stdout
    assert len(handler.received) == 2
    message = BytesParser(policy=policy.default).parsebytes(handler.received[1][2])
    [attachment] = list(message.iter_attachments())
    pdf = restated.folder / "executive-summary-2026-10.pdf"
    assert attachment.get_content() == pdf.read_bytes() != (sealed.folder / pdf.name).read_bytes()
    assert message["Subject"].startswith(f"Claude API chargeback — October 2026 (restated R1) — "
                                         f"{money_text(restatement.restated_total)}")
    assert message["X-Chargeback-Restatement"] == "R1"
    for body in (message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()):
        assert "RESTATED" in body and "not closed" not in body
        assert f"adjusts it by {money_text(restatement.difference, signed=True)}" in " ".join(
            body.replace("<strong>", "").replace("</strong>", "").split())
        assert money_text(restatement.posted_before) in body
        assert "journal-adjustment-2026-10-R1.csv" in body
        assert "October 2026 is restated (R1)" in body
        for line in restatement.lines:
            if line.difference:
                assert f"{line.code} {money_text(line.difference, signed=True)}" in body
    # recorded beside the restatement it sent; the sealed month's record is as it was
    assert (restated.folder / "email-sent.json").is_file()
    assert (sealed.folder / "email-sent.json").read_bytes() == sealed_record

    third = cli(*email)
    assert third.returncode == 2 and "restatement R1's executive summary for 2026-10 was already sent" in third.stderr
    assert len(handler.received) == 2
