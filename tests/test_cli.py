"""The command line as a user meets it: common options on every command, one error line, the exit status.

Commands run in this process through ``reports.cli.main`` (the ``cli`` fixture); a few run as a real
``python -m reports`` child where the process itself is the point (its exit status, its streams).
"""

from __future__ import annotations

import errno
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MONTH, run_cli, run_options, simulator
from reports.errors import ChargebackError, OutputError
from reports.pipeline import demo_config_path, run
from reports.simulator.server import DEMO_API_KEY
from runcheck import assert_nothing_published, assert_one_error_line, tree_hashes

KEY = {"ANTHROPIC_ADMIN_API_KEY": DEMO_API_KEY}


@pytest.fixture()
def published(tmp_path, good_run):
    """An output folder holding the demo month's outputs, as a user's would after `chargeback run`."""
    output = tmp_path / "out"
    shutil.copytree(good_run.folder, output / "2026-10")
    return output


# ---------------------------------------------------------------- the common options


@pytest.mark.slow
def test_run_takes_config_output_and_month(cli, tmp_path, demo_server):
    done = cli("run", "--config", str(demo_config_path()), "--output", str(tmp_path / "books"),
               "--month", "2026-09", "--base-url", demo_server.base_url, env=KEY)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "books" / "2026-09" / "journal-2026-09.csv").is_file()
    assert not (tmp_path / "books" / "2026-10").exists()


def test_close_takes_config_output_and_month(cli, published):
    done = cli("close", "--month", "2026-10", "--config", str(demo_config_path()), "--output", str(published))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("closed 2026-10: run ")
    assert "note:" not in done.stdout  # the month was run with this very config
    seal = json.loads((published / "2026-10" / "seal.json").read_text())
    assert seal["month"] == "2026-10" and "raw/index.json" in seal["files"]


def test_close_notes_a_config_other_than_the_one_the_month_was_run_with(cli, published, tmp_path):
    other = tmp_path / "other.yaml"
    other.write_text(demo_config_path().read_text().replace("budget: 15000.00", "budget: 16000.00"))
    done = cli("close", "--month", "2026-10", "--config", str(other), "--output", str(published))
    assert done.returncode == 0, done.stderr
    assert f"note: 2026-10 was run with another configuration than {other}" in done.stdout


def test_close_with_a_bad_config_is_exit_2_and_seals_nothing(cli, published, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("organization: [unclosed\n")
    done = cli("close", "--month", "2026-10", "--config", str(bad), "--output", str(published))
    assert done.returncode == 2 and "YAML syntax error" in done.stderr
    assert not (published / "2026-10" / "seal.json").exists()


def test_email_takes_config_output_and_month(cli, published):
    # the demo config's SMTP host is not reachable: --dry-run writes the message instead of sending it
    done = cli("email", "--month", "2026-10", "--config", str(demo_config_path()), "--output", str(published),
               "--dry-run")
    assert done.returncode == 0, done.stderr
    assert (published / "2026-10" / "executive-summary-2026-10.eml").is_file()


def test_check_config_takes_config_output_and_month(cli, tmp_path):
    output = tmp_path / "new" / "books"
    done = cli("check-config", "--config", str(demo_config_path()), "--output", str(output), "--month", "2026-10")
    assert done.returncode == 0, done.stderr
    assert "OK" in done.stdout and "month 2026-10: OK" in done.stdout and f"output folder {output}: OK" in done.stdout
    assert output.is_dir() and list(output.iterdir()) == []  # created, and the write check left nothing


def test_check_config_refuses_an_unwritable_output_folder(cli, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = cli("check-config", "--config", str(demo_config_path()), "--output", str(blocker / "books"))
    assert done.returncode == 2
    assert_one_error_line(done.stderr, f"cannot create or write the output folder {blocker / 'books'}",
                          "Not a directory")


def test_check_config_refuses_a_month_that_has_not_ended(cli, tmp_path):
    done = cli("check-config", "--config", str(demo_config_path()), "--month", "2999-01")
    assert done.returncode == 2
    assert_one_error_line(done.stderr, "2999-01 has not ended yet (UTC)")


# ---------------------------------------------------------------- months

@pytest.mark.parametrize("month, message", [
    ("1999-01", "month '1999-01' is out of range: months from 2000-01 up to the last complete month are accepted"),
    ("2026-13", "month '2026-13' has no month 13: MM runs from 01 to 12"),
    ("2026-00", "month '2026-00' has no month 00: MM runs from 01 to 12"),
    ("26-10", "month '26-10' is not of the form YYYY-MM (for example 2026-10)"),
])
@pytest.mark.parametrize("command", ["run", "close", "email", "check-config"])
def test_a_bad_month_says_what_is_wrong_and_what_is_accepted(cli, command, month, message, tmp_path):
    done = cli(command, "--month", month, "--output", str(tmp_path))
    assert done.returncode == 2
    assert_one_error_line(done.stderr, message, f"chargeback {command} --help")


def test_an_unknown_option_is_one_error_line(cli, tmp_path):
    done = cli("close", "--month", "2026-10", "--colour", "red")
    assert done.returncode == 2
    assert_one_error_line(done.stderr, "unrecognized arguments: --colour red")


def test_version_and_help_exit_0_and_every_command_is_listed(cli):
    from reports import __version__

    done = cli("--version")
    assert (done.returncode, done.stdout) == (0, f"chargeback {__version__}\n")
    done = cli("--help")
    assert done.returncode == 0 and done.stderr == ""
    for command in ("run", "close", "serve-demo", "check-config", "history", "backfill", "email"):
        assert command in done.stdout


def test_no_command_is_one_error_line_with_exit_2(cli):
    done = cli()
    assert done.returncode == 2 and done.stdout == ""
    assert_one_error_line(done.stderr, "the following arguments are required: COMMAND", "chargeback --help")


def test_a_missing_config_is_exit_2_naming_the_file(cli, tmp_path):
    done = cli("check-config", "--config", str(tmp_path / "nowhere.yaml"))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    assert f"{tmp_path / 'nowhere.yaml'}: file not found (copy config/chargeback.example.yaml to start)" in done.stderr


def test_the_process_exits_with_the_status_main_returns(tmp_path):
    # The one place the child process matters here: `python -m reports` turns main()'s status into its own.
    done = run_cli("check-config", "--config", str(tmp_path / "nowhere.yaml"))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: ") and f"{tmp_path / 'nowhere.yaml'}: file not found" in done.stderr
    assert run_cli("--version").returncode == 0


# ---------------------------------------------------------------- output folders that cannot be written

@pytest.mark.parametrize("where", ["/proc/nope", "a-file/books"])
def test_an_output_folder_that_cannot_be_created_is_exit_2_with_one_line(cli, tmp_path, where):
    (tmp_path / "a-file").write_text("a file, not a folder")
    output = where if where.startswith("/") else str(tmp_path / where)
    done = cli("run", "--demo", "--month", "2026-10", "--output", output, cwd=tmp_path)
    assert done.returncode == 2
    assert_one_error_line(done.stderr, f"cannot create or write the output folder {output}")
    assert done.stdout == ""


def test_disk_full_while_writing_the_workbook_is_one_error_and_nothing_half_written(tmp_path, monkeypatch,
                                                                                    published):
    # A full disk cannot be had on demand here: the workbook writer raises what the OS would.
    from reports.outputs import workbook

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(args[1]))

    monkeypatch.setattr(workbook, "write_workbook", full)
    before = tree_hashes(published / "2026-10")
    with simulator() as server, pytest.raises(OutputError) as caught:
        run(run_options(server, published))
    assert caught.value.exit_status == 2
    assert "in the output folder" in str(caught.value) and "No space left on device" in str(caught.value)
    assert "chargeback-2026-10.xlsx" in str(caught.value)
    assert tree_hashes(published / "2026-10") == before
    assert not list(published.glob(".staging-*")) and not list(published.glob(".previous-*"))


def test_a_summary_that_cannot_be_rendered_is_one_error_and_nothing_published(monkeypatch, published):
    # WeasyPrint does not fail on demand: the renderer is a real child process that fails as it would.
    from reports.outputs import pdf

    def failing(report, path, paper="letter"):
        child = subprocess.Popen([sys.executable, "-c", "import sys; print('OSError: cannot load font', "
                                  "file=sys.stderr); sys.exit(1)"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return pdf.PendingPdf(path, child)

    monkeypatch.setattr(pdf, "start_pdf", failing)
    before = tree_hashes(published / "2026-10")
    with simulator() as server, pytest.raises(ChargebackError, match=r"PDF could not be rendered \(OSError: cannot"):
        run(run_options(server, published, pdf=True))
    assert tree_hashes(published / "2026-10") == before
    assert not list(published.glob(".staging-*")) and not list(published.glob(".previous-*"))


def test_a_failed_workbook_stops_the_pdf_renderer(monkeypatch, published):
    from reports.outputs import pdf, workbook

    started = []
    real_start = pdf.start_pdf

    def recorded(*args, **kwargs):
        started.append(real_start(*args, **kwargs))
        return started[-1]

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(args[1]))

    monkeypatch.setattr(pdf, "start_pdf", recorded)
    monkeypatch.setattr(workbook, "write_workbook", full)
    with simulator() as server, pytest.raises(OutputError):
        run(run_options(server, published, pdf=True))
    assert len(started) == 1 and started[0]._process.returncode is not None  # not left running


def test_a_month_folder_that_cannot_be_replaced_keeps_the_previous_outputs(tmp_path, monkeypatch, published):
    # As root a read-only folder can still be renamed, so the refusal the OS would give is injected.
    import os

    from reports.outputs import folder

    real_replace = os.replace

    def refuse_publish(source, target):
        if str(target).endswith("/2026-10") and ".staging-" in str(source):
            raise PermissionError(errno.EACCES, "Permission denied", str(target))
        return real_replace(source, target)

    monkeypatch.setattr(folder.os, "replace", refuse_publish)
    before = tree_hashes(published / "2026-10")
    with simulator() as server, pytest.raises(OutputError, match="Permission denied"):
        run(run_options(server, published))
    assert tree_hashes(published / "2026-10") == before  # put back at once, not left as .previous
    assert not list(published.glob(".staging-*")) and not list(published.glob(".previous-*"))


def test_no_outputs_for_an_unwritable_output_folder(tmp_path):
    output = tmp_path / "a-file"
    output.write_text("x")
    with simulator() as server, pytest.raises(OutputError):
        run(run_options(server, output / "books", month=MONTH))
    assert output.read_text() == "x"
    assert not Path(output.parent / "books").exists()
    assert_nothing_published(tmp_path)
