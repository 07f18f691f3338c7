"""Security end to end: the admin key never leaks, hostile API and config text stays inert, TLS stays on.

The key is a distinctive random one the simulator accepts; every byte the run leaves behind
(each file under the output folder, the members of the xlsx zip, the PDF's text) and everything
it prints (stdout, and stderr on a pipe or on a pseudo-terminal, where progress logging is on)
is searched for it, for runs that succeed and for runs that fail part-way.
"""

from __future__ import annotations

import csv
import http.server
import io
import os
import pty
import re
import secrets
import string
import subprocess
import threading
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
import yaml

from conftest import PROJECT, run_cli, run_options
from reports.outputs.inert import visible
from reports.pipeline import demo_config_path, run
from reports.simulator.demo import demo_organization
from reports.simulator.faults import Faults, RowFault
from reports.simulator.params import Refusal
from reports.simulator.server import SimulatorServer
from runcheck import JOURNAL, PDF, WORKBOOK, assert_nothing_published, assert_one_error_line, popen_cli

ALPHABET = string.ascii_letters + string.digits
KEY = "sk-ant-admin01-" + "".join(secrets.choice(ALPHABET) for _ in range(40))
NEEDLES = (KEY, KEY[-16:])


# ---------------------------------------------------------------- searching every byte

def every_byte(root: Path) -> dict[str, bytes]:
    """Every file under ``root``; zip files (the xlsx) also member by member; PDFs also as text."""
    found: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        found[str(path.relative_to(root))] = data
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    found[f"{path.relative_to(root)}!{member}"] = archive.read(member)
        if path.suffix == ".pdf":
            found[f"{path.relative_to(root)}!text"] = pdf_text(path).encode()
    return found


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def assert_no_key(*texts: str | bytes, files: dict[str, bytes] | None = None) -> None:
    for needle in NEEDLES:
        for where, data in (files or {}).items():
            assert needle.encode() not in data, f"the key leaked into {where}"
        for text in texts:
            data = text.encode() if isinstance(text, str) else text
            assert needle.encode() not in data, "the key leaked into the run's output streams"


def cli_args(server: SimulatorServer, output: Path, *extra: str) -> list[str]:
    return ["run", "--month", "2026-10", "--config", str(demo_config_path()), "--output", str(output),
            "--base-url", server.base_url, *extra]


def run_on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal (progress logging on); (status, stdout, terminal text)."""
    master, slave = pty.openpty()
    process = popen_cli(*args, env=env, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    stdout = process.stdout.read().decode()
    process.stdout.close()
    return process.wait(timeout=120), stdout, b"".join(chunks).decode("utf-8", "replace")


class EchoingSimulator(SimulatorServer):
    """A misbehaving API that echoes the key it was sent back in its error message."""

    def __init__(self, status: int, **kwargs):
        super().__init__(demo_organization(), **kwargs)
        self.status = status

    def _dispatch(self, handler, method, path, query):
        supplied = handler.headers.get("x-api-key", "")
        raise Refusal(self.status, "api_error", f"request with x-api-key {supplied} failed", {"retry-after": "0"})


# ---------------------------------------------------------------- the key never leaks

@pytest.mark.slow
def test_a_successful_run_never_writes_or_prints_the_key(tmp_path):
    output = tmp_path / "out"
    with SimulatorServer(demo_organization(), api_key=KEY) as server:
        done = run_cli(*cli_args(server, output), env={"ANTHROPIC_ADMIN_API_KEY": KEY})
    assert done.returncode == 0, done.stderr
    files = every_byte(tmp_path)
    assert any(name.endswith(".xlsx!xl/worksheets/sheet1.xml") for name in files)
    assert "out/2026-10/raw/index.json" in files and "out/2026-10/manifest.json" in files
    assert_no_key(done.stdout, done.stderr, files=files)


@pytest.mark.slow
def test_a_key_from_a_file_never_leaks_either(tmp_path):
    output = tmp_path / "out"
    key_file = tmp_path / "secrets" / "admin.key"
    key_file.parent.mkdir()
    key_file.write_text(KEY + "\n")
    with SimulatorServer(demo_organization(), api_key=KEY) as server:
        done = run_cli(*cli_args(server, output, "--api-key-file", str(key_file)))
    assert done.returncode == 0, done.stderr
    files = {k: v for k, v in every_byte(tmp_path).items() if not k.startswith("secrets/")}
    assert_no_key(done.stdout, done.stderr, files=files)


@pytest.mark.slow
def test_progress_logging_on_a_terminal_never_shows_the_key(tmp_path):
    output = tmp_path / "out"
    faults = Faults(server_errors=(503, 529), rate_limit=1, retry_after="0")
    with SimulatorServer(demo_organization(), api_key=KEY, faults=faults) as server:
        status, stdout, terminal = run_on_a_terminal(cli_args(server, output), {"ANTHROPIC_ADMIN_API_KEY": KEY})
    assert status == 0, terminal
    assert "fetched cost_report-2026-10 page 1" in terminal  # logging really was on
    assert "retrying in" in terminal and "HTTP 503" in terminal and "HTTP 429" in terminal
    assert_no_key(stdout, terminal, files=every_byte(tmp_path))


FAILING = [
    # (id, server factory, faults, exit status, text in the error line)
    ("wrong-key-401", lambda: SimulatorServer(demo_organization()), 3, "refused the key (401"),
    ("503-until-retries-exhausted",
     lambda: SimulatorServer(demo_organization(), api_key=KEY, faults=Faults(server_errors=(503,) * 100,
                                                                             retry_after="0")),
     3, "failed after 6 attempts: HTTP 503"),
    ("server-echoes-the-key-in-a-500", lambda: EchoingSimulator(500), 3,
     "HTTP 500 api_error: request with x-api-key [redacted] failed"),
    ("server-echoes-the-key-in-a-400", lambda: EchoingSimulator(400), 3,
     "answered HTTP 400: api_error: request with x-api-key [redacted] failed"),
    ("server-echoes-the-key-in-a-401", lambda: EchoingSimulator(401), 3,
     "refused the key (401 api_error: request with x-api-key [redacted] failed)"),
    ("malformed-amount",
     lambda: SimulatorServer(demo_organization(), api_key=KEY, faults=Faults(
         malformed_amount=RowFault(day="2026-10-07", index=2), months=["2026-10"])),
     4, "raw/cost_report-2026-10-p001.json, bucket 2026-10-07T00:00:00Z, row 3"),
]


@pytest.mark.slow
@pytest.mark.parametrize("terminal", [False, True], ids=["pipes", "terminal"])
@pytest.mark.parametrize("make_server, status, message", [case[1:] for case in FAILING],
                         ids=[case[0] for case in FAILING])
def test_a_failing_run_never_shows_the_key(tmp_path, make_server, status, message, terminal):
    output = tmp_path / "out"
    with make_server() as server:
        if terminal:
            code, stdout, stderr = run_on_a_terminal(cli_args(server, output), {"ANTHROPIC_ADMIN_API_KEY": KEY})
            last = stderr.replace("\r\n", "\n").rstrip("\n").split("\n")[-1]
            assert last.startswith("error: ") and message in last, stderr
            assert "Traceback" not in stderr
        else:
            done = run_cli(*cli_args(server, output), env={"ANTHROPIC_ADMIN_API_KEY": KEY})
            code, stdout, stderr = done.returncode, done.stdout, done.stderr
            assert_one_error_line(stderr, message)
    assert code == status
    assert_nothing_published(output)
    assert_no_key(stdout, stderr, files=every_byte(tmp_path))


# ---------------------------------------------------------------- hostile text stays inert

HOSTILE_WORKSPACES = {
    "Platform API": '=HYPERLINK("http://evil.example/","click")',
    "Support Copilot": "+1-2",
    "Ticket Triage": "-3",
    "Developer Productivity": "@SUM(A1)",
    "Sales Assistant": "\tTAB",
    "Analytics Notebooks": "\rCR",
    "Hackathon Sandbox": '<img src="http://127.0.0.1:{port}/unmapped.png">',  # unmapped: named in the PDF
    "Knowledge Base": '<link rel="stylesheet" href="http://127.0.0.1:{port}/evil.css"><b>bold</b>',
}
HOSTILE_CENTERS = {
    "ENG-100": "=cmd|' /C calc'!A0",
    "SUP-200": "@SUM(1+1)",
    "DAT-300": "+1+2",
    "MKT-400": "-5",
    "SAL-600": "\tTabbed",
    "LEG-500": '<img src="http://127.0.0.1:{port}/center.png">',
}
HOSTILE_MEMO = '=HYPERLINK("http://evil.example/") {month}'


class Canary:
    """A loopback HTTP server that records every request: the PDF renderer must make none."""

    def __init__(self):
        self.requests: list[str] = []
        canary = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                canary.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def hostile_organization(port: int):
    org = demo_organization()
    names = {old: new.replace("{port}", str(port)) for old, new in HOSTILE_WORKSPACES.items()}
    profiles = tuple(replace(p, name=names.get(p.name, p.name)) for p in org.profiles)
    return org.replaced(profiles=profiles)


def hostile_config(path: Path, port: int) -> Path:
    config = yaml.safe_load(demo_config_path().read_text())
    for center in config["cost_centers"]:
        if center["code"] in HOSTILE_CENTERS:
            center["name"] = HOSTILE_CENTERS[center["code"]].replace("{port}", str(port))
    config["journal"]["memo"] = HOSTILE_MEMO
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    return path


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    with Canary() as canary:
        config = hostile_config(folder / "hostile.yaml", canary.port)
        with SimulatorServer(hostile_organization(canary.port)) as server:
            result = run(run_options(server, folder / "out", config=config, pdf=True))  # the PDF renderer is under test
        requests = list(canary.requests)
    return result, canary.port, requests


def expected_texts(port: int) -> list[str]:
    # cost center names come through the config, which strips surrounding whitespace ("\tTabbed" -> "Tabbed")
    # and no control character reaches a cell or a CSV raw: a tab or a carriage return is a space there
    return [visible(name.replace("{port}", str(port))) for name in HOSTILE_WORKSPACES.values()] + [
        name.replace("{port}", str(port)).strip() for name in HOSTILE_CENTERS.values()]


@pytest.mark.slow
def test_the_pdf_renderer_fetches_nothing(hostile_run):
    _result, _port, requests = hostile_run
    assert requests == []


@pytest.mark.slow
def test_the_workbook_has_no_formula_anywhere(hostile_run):
    result, _port, _ = hostile_run
    path = result.folder / WORKBOOK
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        for sheet in workbook.worksheets:
            for number, row in enumerate(sheet.iter_rows(), start=1):
                for cell in row:
                    assert cell.data_type != "f", f"{sheet.title} row {number} holds a formula: {cell.value!r}"
    finally:
        workbook.close()
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.startswith("xl/worksheets/"):
                xml = archive.read(member).decode()
                assert not re.search(r"<(\w+:)?f[ >/]", xml), f"{member} holds a formula element"


@pytest.mark.slow
def test_hostile_text_is_stored_as_inert_text_in_the_workbook(hostile_run):
    result, port, _ = hostile_run
    workbook = openpyxl.load_workbook(result.folder / WORKBOOK)
    cells = {}
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cells.setdefault(cell.value.replace("\n", "\r"), []).append(cell)
    for text in expected_texts(port):
        found = cells.get(text.replace("\n", "\r"))  # XML reading normalizes a carriage return to a newline
        assert found, f"{text!r} is not in the workbook as text"
        for cell in found:
            assert cell.data_type == "s"
            if text.startswith(("=", "+", "-", "@", "\t", "\r")):
                assert cell.quotePrefix, f"{cell.parent.title}!{cell.coordinate} {text!r} has no quote prefix"
    memo = HOSTILE_MEMO.replace("{month}", "2026-10")
    assert memo in cells and all(cell.quotePrefix for cell in cells[memo])


@pytest.mark.slow
def test_hostile_text_is_escaped_in_the_journal_csv(hostile_run):
    result, port, _ = hostile_run
    rows = list(csv.DictReader(io.StringIO((result.folder / JOURNAL).read_bytes().decode("utf-8"), newline="")))
    names = {row["Cost Center"]: row["Cost Center Name"] for row in rows if row["Cost Center"]}
    for code, name in HOSTILE_CENTERS.items():
        name = name.replace("{port}", str(port)).strip()
        if code in names:
            expected = "'" + name if name.startswith(("=", "+", "-", "@", "\t", "\r")) else name
            assert names[code] == expected, code
    assert set(HOSTILE_CENTERS) - {"LEG-500"} <= set(names)
    memo = "'" + HOSTILE_MEMO.replace("{month}", "2026-10")
    assert {row["Memo"] for row in rows} == {memo}
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), row


@pytest.mark.slow
def test_hostile_text_shows_literally_in_the_pdf(hostile_run):
    result, port, _ = hostile_run
    text = pdf_text(result.folder / PDF)
    flat = re.sub(r"\s+", "", text)
    # narrow table cells clip long names (=HYPERLINK("http://...), so those are checked by their start
    for needle in ('<img src="http://127.0.0.1:{port}/unmapped.png">', '=HYPERLINK("http://',
                   "=cmd|' /C calc'!A0", "@SUM(1+1)", "+1+2", "+1-2", "@SUM(A1)"):
        needle = needle.replace("{port}", str(port))
        assert re.sub(r"\s+", "", needle) in flat, f"{needle!r} is not shown literally in the PDF"


# ---------------------------------------------------------------- TLS and plain http

def test_tls_verification_is_never_turned_off():
    pattern = re.compile(r"verify\s*=\s*False|CERT_NONE|check_hostname\s*=\s*False|_create_unverified_context"
                         r"|disable_warnings")
    offenders = [f"{path.relative_to(PROJECT)}:{number}: {line.strip()}"
                 for path in sorted((PROJECT / "reports").rglob("*.py"))
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                 if pattern.search(line.split("#")[0])]  # code, not comments
    assert offenders == []


@pytest.mark.parametrize("url", ["http://api.anthropic.com", "http://10.0.0.5:8080", "http://example.com"])
def test_plain_http_to_a_remote_host_is_refused_before_sending_the_key(cli, tmp_path, url):
    done = cli("run", "--month", "2026-10", "--config", str(demo_config_path()), "--output", str(tmp_path),
               "--base-url", url, env={"ANTHROPIC_ADMIN_API_KEY": KEY})
    assert done.returncode == 2
    assert_one_error_line(done.stderr, "uses plain http; only https is allowed except for loopback hosts")
    assert_no_key(done.stdout, done.stderr)


def test_plain_http_from_the_environment_is_refused_too(cli, tmp_path):
    done = cli("run", "--month", "2026-10", "--config", str(demo_config_path()), "--output", str(tmp_path),
               env={"ANTHROPIC_ADMIN_API_KEY": KEY, "ANTHROPIC_ADMIN_BASE_URL": "http://api.anthropic.com"})
    assert done.returncode == 2
    assert_one_error_line(done.stderr, "http://api.anthropic.com")


def test_the_smtp_password_is_never_read_from_the_yaml(cli, tmp_path):
    config = yaml.safe_load(demo_config_path().read_text())
    secret = "hunter2-" + secrets.token_hex(8)
    config["email"] = {"to": ["cfo@acme.example"], "from": "finops@acme.example", "smtp_host": "smtp.acme.example",
                       "smtp_port": 587, "security": "starttls", "password": secret}
    path = tmp_path / "with-password.yaml"
    path.write_text(yaml.safe_dump(config))
    done = cli("check-config", "--config", str(path))
    assert done.returncode == 2
    assert "email.password" in done.stderr and "environment variable" in done.stderr
    assert secret not in done.stderr + done.stdout
