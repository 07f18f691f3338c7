"""`chargeback run --email` and `chargeback email` as a user runs them, to a real SMTP server."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
import yaml

from conftest import run_cli, simulator
from reports.pipeline import demo_config_path
from reports.simulator.faults import Faults, RowFault
from reports.simulator.server import DEMO_API_KEY
from test_email import Recorder, start_controller

pytestmark = pytest.mark.slow  # whole months through the command line


@pytest.fixture()
def smtp():
    handler = Recorder()
    controller = start_controller(handler)
    yield controller.port, handler
    controller.stop()


def config_with_email(tmp_path: Path, port: int) -> Path:
    config = yaml.safe_load(demo_config_path().read_text())
    config["email"] = {"to": ["cfo@acme.example"], "from": "finops@acme.example", "smtp_host": "127.0.0.1",
                       "smtp_port": port, "security": "none"}
    path = tmp_path / "chargeback.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def run_args(config: Path, output: Path, server) -> list[str]:
    return ["run", "--month", "2026-10", "--config", str(config), "--output", str(output),
            "--base-url", server.base_url]


def test_run_email_sends_the_published_pdf_once(cli, tmp_path, smtp):
    port, handler = smtp
    config, output = config_with_email(tmp_path, port), tmp_path / "out"
    with simulator() as server:  # the PDF is what is sent
        done = cli(*run_args(config, output, server), "--email", env={"ANTHROPIC_ADMIN_API_KEY": DEMO_API_KEY},
                   pdf=True)
    assert done.returncode == 0, done.stderr
    [(sender, recipients, raw)] = handler.received
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert recipients == ["cfo@acme.example"] and "finops@acme.example" in sender
    assert message["Subject"].startswith("Claude API chargeback — October 2026 — $42,953.81 (+10.3% vs September)")
    [attachment] = [part for part in message.iter_attachments()]
    pdf = output / "2026-10" / "executive-summary-2026-10.pdf"
    assert attachment.get_filename() == pdf.name and attachment.get_content() == pdf.read_bytes()

    again = cli("email", "--month", "2026-10", "--config", str(config), "--output", str(output))
    assert again.returncode == 2 and "already sent" in again.stderr and len(handler.received) == 1
    forced = cli("email", "--month", "2026-10", "--config", str(config), "--output", str(output), "--force")
    assert forced.returncode == 0, forced.stderr
    assert len(handler.received) == 2


def test_a_failed_run_sends_nothing(cli, tmp_path, smtp):
    port, handler = smtp
    config, output = config_with_email(tmp_path, port), tmp_path / "out"
    with simulator(Faults(malformed_amount=RowFault(day="2026-10-02", index=0), months=["2026-10"])) as server:
        done = cli(*run_args(config, output, server), "--email", env={"ANTHROPIC_ADMIN_API_KEY": DEMO_API_KEY})
    assert done.returncode == 4
    assert handler.received == []


def test_email_for_a_month_never_run_says_to_run_it(cli, tmp_path, smtp):
    port, _ = smtp
    done = cli("email", "--month", "2026-08", "--config", str(config_with_email(tmp_path, port)),
               "--output", str(tmp_path / "out"))
    assert done.returncode == 2 and "run `chargeback run --month 2026-08` first" in done.stderr


@pytest.mark.parametrize("login, problem", [
    ({"username_env": "SMTP_USERNAME"}, "email.password_env: must be set together with email.username_env"),
    ({"smtp_host": "smtp.acme.example", "username_env": "SMTP_USERNAME", "password_env": "SMTP_PASSWORD"},
     "email.security: none would send the SMTP password unencrypted to smtp.acme.example"),
])
def test_check_config_refuses_the_login_that_email_refuses_with_the_same_line(tmp_path, login, problem):
    config = yaml.safe_load(demo_config_path().read_text())
    config["email"] = {"to": ["cfo@acme.example"], "from": "finops@acme.example", "smtp_host": "127.0.0.1",
                       "security": "none", **login}
    path = tmp_path / "chargeback.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {"SMTP_USERNAME": "finops", "SMTP_PASSWORD": "secret"}
    checked = run_cli("check-config", "--config", str(path), "--output", str(tmp_path), env=env)
    emailed = run_cli("email", "--month", "2026-10", "--config", str(path), "--output", str(tmp_path), env=env)
    assert checked.returncode == emailed.returncode == 2, (checked.stderr, emailed.stderr)
    [line] = [text for text in checked.stderr.splitlines() if problem in text]
    assert line.lstrip(" -").startswith(f"{path}:") and line in emailed.stderr.splitlines()
