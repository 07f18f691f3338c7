"""Nothing lost, nothing half-written: killed runs, interrupted publishes and concurrent runs.

A real ``python -m reports run`` is started against the simulator (served from the test process,
with slow responses so the run lasts a few seconds), then killed at a moment in time or at a
phase of its work. The month's previous outputs must stay byte-identical, and the next normal
run must succeed and clean up what the killed one left.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import MONTH, run_cli, run_options, simulator
from reports.errors import LockError
from reports.outputs import folder as output_folder
from reports.pipeline import demo_config_path, run
from reports.simulator.faults import Faults
from reports.simulator.server import DEMO_API_KEY
from runcheck import (
    JOURNAL,
    WORKBOOK,
    assert_manifest_matches,
    assert_one_error_line,
    cli_env,
    popen_cli,
    tree_hashes,
)

pytestmark = pytest.mark.slow  # whole months in child processes that are killed

SLOW = Faults(slow_response_seconds=1.0, slow_responses=0)  # every request: the fetch takes ~2 s
LOCK_MESSAGE = "another chargeback run for 2026-10 is in progress"


@pytest.fixture()
def previous(tmp_path, good_run):
    """An output folder holding the month's previous good outputs, and their hashes."""
    output = tmp_path / "out"
    shutil.copytree(good_run.folder, output / "2026-10")
    return output, tree_hashes(output / "2026-10")


def start(server, output: Path) -> subprocess.Popen:
    return popen_cli("run", "--month", "2026-10", "--config", str(demo_config_path()), "--output", str(output),
                     "--base-url", server.base_url, env=cli_env(DEMO_API_KEY),
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def staging_has(output: Path, pattern: str) -> bool:
    return any(folder.glob(pattern) for folder in output.glob(".staging-2026-10-*"))


# When to kill: seconds after the start, or as soon as the staging folder shows a phase of the work.
POINTS = {
    "after-0.3s": lambda output, elapsed: elapsed >= 0.3,
    "after-0.8s": lambda output, elapsed: elapsed >= 0.8,
    "after-1.5s": lambda output, elapsed: elapsed >= 1.5,
    "after-2.5s": lambda output, elapsed: elapsed >= 2.5,
    "staging-created": lambda output, elapsed: bool(list(output.glob(".staging-2026-10-*"))),
    "mid-fetch": lambda output, elapsed: staging_has(output, "raw/*-p001.json"),
    "mid-render": lambda output, elapsed: staging_has(output, WORKBOOK),  # workbook written, CSV/PDF next
}


def kill_at(process: subprocess.Popen, output: Path, point: str, signum: int) -> None:
    began = time.monotonic()
    condition = POINTS[point]
    # No deadline: every point comes, or the run ends first (a run against the slow simulator always ends).
    while not condition(output, time.monotonic() - began):
        assert process.poll() is None, f"the run ended before {point}: {process.communicate()}"
        time.sleep(0.002)
    assert process.poll() is None, f"the run ended before it could be killed at {point}"
    process.send_signal(signum)


def follow_up_run_succeeds(output: Path) -> None:
    """The next normal run for the month publishes whole outputs and removes stale staging folders."""
    with simulator() as server:
        result = run(run_options(server, output))
    assert_manifest_matches(result.folder)
    assert not list(output.glob(".staging-*")) and not list(output.glob(".previous-*"))


@pytest.mark.parametrize("point", list(POINTS))
def test_sigkill_leaves_the_previous_outputs_byte_identical(previous, point):
    output, before = previous
    with simulator(SLOW) as server:
        process = start(server, output)
        kill_at(process, output, point, signal.SIGKILL)
        process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert tree_hashes(output / "2026-10") == before
    assert not (output / ".previous-2026-10").exists()
    if point in ("mid-fetch", "mid-render"):
        assert list(output.glob(".staging-2026-10-*")), "a SIGKILLed run cannot clean up; the next run must"
    follow_up_run_succeeds(output)


@pytest.mark.parametrize("point", ["after-0.8s", "staging-created", "mid-fetch", "mid-render"])
def test_sigterm_unwinds_cleanly_and_leaves_the_previous_outputs_byte_identical(previous, point):
    output, before = previous
    with simulator(SLOW) as server:
        process = start(server, output)
        kill_at(process, output, point, signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    if process.returncode == -signal.SIGTERM:  # only possible before the handler is installed at start-up
        assert point == "after-0.8s" and not list(output.glob(".staging-*")), stderr
    else:
        assert process.returncode == 143, stderr
        assert_one_error_line(stderr, "error: interrupted; nothing was published, the previous outputs are unchanged")
        assert stdout == ""
    assert tree_hashes(output / "2026-10") == before
    assert not (output / ".previous-2026-10").exists()
    leftovers = list(output.glob(".staging-*"))
    if leftovers:  # the race in test_an_interrupt_right_after_the_staging_folder_is_created: an empty folder
        assert point == "staging-created" and all(not any(f.iterdir()) for f in leftovers), leftovers
        follow_up_run_succeeds(output)


def test_an_interrupt_right_after_the_staging_folder_is_created_leaves_nothing(tmp_path, monkeypatch):
    from reports import pipeline

    def interrupted(options, settings, config_path, staging, *args):
        assert staging.is_dir()
        raise KeyboardInterrupt  # what SIGTERM (Terminated) or Ctrl-C does at that instant

    monkeypatch.setattr(pipeline, "_produce", interrupted)
    with simulator() as server, pytest.raises(KeyboardInterrupt):
        run(run_options(server, tmp_path))
    assert not list(tmp_path.glob(".staging-*"))


def test_a_killed_first_run_publishes_nothing_and_the_next_run_succeeds(tmp_path):
    output = tmp_path / "out"
    with simulator(SLOW) as server:
        process = start(server, output)
        kill_at(process, output, "mid-render", signal.SIGKILL)
        process.communicate(timeout=60)
    assert not (output / "2026-10").exists()
    follow_up_run_succeeds(output)


def test_a_publish_killed_between_its_two_renames_is_undone(tmp_path, good_run):
    """Killed after moving the old outputs aside but before moving the new ones in: recover() puts them back."""
    output = tmp_path / "out"
    shutil.copytree(good_run.folder, output / ".previous-2026-10")
    before = tree_hashes(output / ".previous-2026-10")
    stale = output / ".staging-2026-10-2026-10-20261101T000000Z-abcdef"
    shutil.copytree(good_run.folder, stale)
    (stale / JOURNAL).write_bytes(b"half")
    output_folder.recover(output, MONTH)
    assert tree_hashes(output / "2026-10") == before
    assert not (output / ".previous-2026-10").exists() and not stale.exists()


def test_a_publish_killed_after_its_second_rename_keeps_the_new_outputs(tmp_path, good_run):
    output = tmp_path / "out"
    shutil.copytree(good_run.folder, output / "2026-10")
    shutil.copytree(good_run.folder, output / ".previous-2026-10")
    (output / ".previous-2026-10" / JOURNAL).write_bytes(b"old")
    before = tree_hashes(output / "2026-10")
    output_folder.recover(output, MONTH)
    assert tree_hashes(output / "2026-10") == before
    assert not (output / ".previous-2026-10").exists()


# ---------------------------------------------------------------- two runs for the same month

def test_a_second_run_while_the_lock_is_held_exits_2_naming_the_other_run(previous):
    output, before = previous
    with simulator() as server:
        with output_folder.month_lock(output, MONTH):
            done = run_cli("run", "--month", "2026-10", "--config", str(demo_config_path()), "--output",
                           str(output), "--base-url", server.base_url, env=cli_env(DEMO_API_KEY))
        assert server.requests == []  # refused before any network call
    assert done.returncode == 2
    assert_one_error_line(done.stderr, f"error: {LOCK_MESSAGE} (lock {output / '.2026-10.lock'}); "
                                       "wait for it to finish")
    assert tree_hashes(output / "2026-10") == before
    assert not list(output.glob(".staging-*"))


def test_the_lock_is_per_month_and_per_process_handle(tmp_path):
    with output_folder.month_lock(tmp_path, MONTH):
        with pytest.raises(LockError, match=LOCK_MESSAGE), output_folder.month_lock(tmp_path, MONTH):
            pass
        with output_folder.month_lock(tmp_path, MONTH.prior()):  # another month is not blocked
            pass
    with output_folder.month_lock(tmp_path, MONTH):  # released
        pass


def test_two_runs_started_at_once_never_corrupt_the_outputs(previous):
    output, before = previous
    with simulator(SLOW) as server:
        processes = [start(server, output) for _ in range(2)]
        results = [(p.wait(timeout=120), *p.communicate()) for p in processes]
    codes = sorted(code for code, _, _ in results)
    assert codes in ([0, 0], [0, 2]), results
    for code, stdout, stderr in results:
        if code == 2:
            assert_one_error_line(stderr, LOCK_MESSAGE)
            assert stdout == ""
        else:
            assert stderr == "" and "reconciliation PASS" in stdout
    assert_manifest_matches(output / "2026-10")
    after = tree_hashes(output / "2026-10")
    assert after != before  # the winner published whole new outputs (new run id)...
    assert after[JOURNAL] == before[JOURNAL]  # ...of the same data
    assert not list(output.glob(".staging-*")) and not list(output.glob(".previous-*"))


# ---------------------------------------------------------------- no orphan: the PDF renderer ends with its run


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    """Running (or able to run): not gone and not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _renderer_of(process: subprocess.Popen) -> int:
    """The PDF renderer the run has started, held still once both its guards are set.

    The run is stopped as soon as its renderer exists, so neither can finish meanwhile (the
    renderer cannot hand over its PDF to a stopped run); then the renderer is stopped once its
    second thread, the lifeline's watcher, is there: its guards are set from then on.
    """
    began = time.monotonic()
    renderer = None
    while renderer is None:
        for child in _children(process.pid):
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"reports.outputs.pdf_child" in command:
                renderer = child
        if renderer is None:
            assert process.poll() is None, f"the run ended before its renderer was seen: {process.communicate()}"
            assert time.monotonic() - began < 300, "the run never started its renderer"
            time.sleep(0.002)
    process.send_signal(signal.SIGSTOP)
    while len(list(Path(f"/proc/{renderer}/task").iterdir())) < 2:
        assert _alive(renderer), "the renderer ended before it set its guards"
        assert time.monotonic() - began < 300, "the renderer never set its guards"
        time.sleep(0.002)
    # Held still, the renderer cannot finish (or notice anything) by itself: only the kernel's
    # parent death signal can end it now, so a renderer without it would stay, stopped, forever.
    os.kill(renderer, signal.SIGSTOP)
    return renderer


def _wait_gone(pid: int) -> bool:
    # The kernel stops the renderer when its parent dies; this only waits for that to be visible
    # (a bound on waiting, not on speed: a renderer left running stays alive and fails the test).
    began = time.monotonic()
    while _alive(pid) and time.monotonic() - began < 60:
        time.sleep(0.01)
    return not _alive(pid)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc (Linux)")
def test_sigkill_while_the_pdf_renders_leaves_no_renderer_and_the_next_run_succeeds(tmp_path):
    """A supervisor, a CI timeout or the OOM killer stops the run by its PID alone: no runaway renderer."""
    output = tmp_path / "out"
    with simulator() as server:
        process = start(server, output)
        renderer = _renderer_of(process)
        try:
            process.kill()
            process.communicate(timeout=60)
            assert process.returncode == -signal.SIGKILL
            assert _wait_gone(renderer), f"the PDF renderer {renderer} outlived the killed run"
        finally:
            if _alive(renderer):
                os.kill(renderer, signal.SIGKILL)
    assert not (output / "2026-10").exists()
    follow_up_run_succeeds(output)


def test_the_renderer_stops_when_its_lifeline_closes(tmp_path):
    """The second guard (for systems without the parent death signal): end of file on the lifeline pipe."""
    import sys

    from reports.outputs.pdf import child_environment

    watched, lifeline = os.pipe()
    job_read, job_write = os.pipe()  # the job never comes: the renderer waits for it
    try:
        renderer = subprocess.Popen([sys.executable, "-m", "reports.outputs.pdf_child", "--lifeline", str(watched)],
                                    stdin=job_read, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    pass_fds=(watched,), env=child_environment(os.environ))
        os.close(watched)
        os.close(job_read)
        with pytest.raises(subprocess.TimeoutExpired):
            renderer.wait(timeout=1)  # alive while the lifeline is open (its parent, this test, lives on)
        os.close(lifeline)
        lifeline = -1
        assert renderer.wait(timeout=60) == 1
        assert renderer.stdout.read() == b""
    finally:
        if lifeline >= 0:
            os.close(lifeline)
        os.close(job_write)
        renderer.stdout.close()
        renderer.stderr.close()
