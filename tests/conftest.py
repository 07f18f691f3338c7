"""Shared fixtures: the simulator over real loopback HTTP and a run against it."""

from __future__ import annotations

import gc
import logging
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from reports.cli import COLLECTOR_THRESHOLDS
from reports.core.months import Month
from reports.pipeline import RunOptions, RunResult, demo_config_path
from reports.simulator.demo import demo_organization
from reports.simulator.faults import Faults
from reports.simulator.server import DEMO_API_KEY, SimulatorServer
from reports.sources.client import RetryPolicy

MONTH = Month(2026, 10)
FAST_RETRY = RetryPolicy(attempts=6, backoff_base=0.01, backoff_cap=0.05, timeout=(5.0, 5.0))
# For whole months of large simulated organizations: the simulator may take seconds to build a page
# (a 1,500-user month's groups) on a loaded machine; waiting for it keeps the outcome independent of load.
PATIENT_RETRY = RetryPolicy(attempts=6, backoff_base=0.01, backoff_cap=0.05, timeout=(5.0, 120.0))
PROJECT = Path(__file__).resolve().parent.parent


@contextmanager
def simulator(faults: Faults | None = None, organization=None) -> Iterator[SimulatorServer]:
    with SimulatorServer(organization or demo_organization(), faults=faults) as server:
        yield server


def run_options(server: SimulatorServer, output: Path, *, config: Path | None = None, month: Month = MONTH,
                pdf: bool = False, **overrides) -> RunOptions:
    """A run of ``month`` against ``server``. Without the PDF unless the test reads it (``pdf=True``):
    rendering it triples a run's time, and the PDF has tests of its own."""
    return RunOptions(month=month, output_dir=output, config_path=config or demo_config_path(),
                      base_url=server.base_url, api_key=DEMO_API_KEY, retry=FAST_RETRY, pdf=pdf, **overrides)


def offline_options(output: Path, *, config: Path | None = None, pdf: bool = False, **overrides) -> RunOptions:
    """An offline re-render of the demo month from the snapshot in ``output`` (without the PDF unless asked)."""
    return RunOptions(month=MONTH, output_dir=output, config_path=config or demo_config_path(), offline=True,
                      pdf=pdf, **overrides)


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m reports`` as a user would, in a clean environment."""
    return subprocess.run([sys.executable, "-m", "reports", *args], capture_output=True, text=True,
                          env=cli_environment(env), cwd=cwd or PROJECT, timeout=300)


@pytest.fixture()
def cli(monkeypatch, capsys):
    """``cli(*args)`` runs ``chargeback ARGS`` in this process (``reports.cli.main``), as ``run_cli`` does in a
    child: the same clean environment and working directory; the exit status, stdout and stderr come back
    as a CompletedProcess. ``run`` writes no PDF unless ``pdf=True`` (see ``run_options``; ``backfill``
    has its own ``--no-pdf``).
    Where the process boundary itself is tested (signals, pipes, a terminal, the installed script),
    use ``run_cli``."""
    from reports import pipeline
    from reports.cli import main

    # main() sets the package logger, the collector's threshold and a SIGTERM handler: put them back after
    logger = logging.getLogger("reports")
    saved = (list(logger.handlers), logger.level, logger.propagate, gc.get_threshold(),
             signal.getsignal(signal.SIGTERM))
    real_run = pipeline.run

    def invoke(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
               pdf: bool = False) -> subprocess.CompletedProcess:
        for name in [name for name in os.environ if name.startswith("ANTHROPIC_")]:
            monkeypatch.delenv(name)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(cwd or PROJECT)
        monkeypatch.setattr(pipeline, "run", real_run if pdf else
                            lambda options, **kwargs: real_run(replace(options, pdf=False), **kwargs))
        capsys.readouterr()
        try:
            status = main(list(args))
        except SystemExit as exit:  # argparse: --help, --version and a bad command line
            status = exit.code if isinstance(exit.code, int) else 1
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["chargeback", *args], status, out, err)

    yield invoke
    logger.handlers[:] = saved[0]
    logger.setLevel(saved[1])
    logger.propagate = saved[2]
    gc.set_threshold(*saved[3])
    signal.signal(signal.SIGTERM, saved[4])


def cli_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A user's environment without ANTHROPIC_* variables; ``reports`` is this checkout's, whatever
    the working directory (the venv holds a regular install, which may be older while developing)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    return {**base, "PYTHONPATH": str(PROJECT), **(extra or {})}


@pytest.fixture(scope="session")
def demo_server() -> Iterator[SimulatorServer]:
    with simulator() as server:
        yield server


@pytest.fixture(scope="session")
def good_run(tmp_path_factory, demo_server):
    """One fault-free run of the demo month with every output (the PDF too), shared by the read-back tests."""
    from reports.pipeline import run

    output = tmp_path_factory.mktemp("good")
    return run(run_options(demo_server, output, pdf=True))


@pytest.fixture(scope="session")
def demo_month(tmp_path_factory, demo_server) -> Callable[[Path], RunResult]:
    """``demo_month(output)``: the demo month published in ``output`` as a fault-free run of the demo config
    publishes it (without the PDF), for tests whose subject is what comes after that run (close, restate,
    invoice, run again). The month is run once per test process and its folder copied byte for byte after
    that; the RunResult is that run's, naming the copy. Runs of the month are what other tests check."""
    from reports.pipeline import run

    made: list[RunResult] = []

    def publish(output: Path) -> RunResult:
        if not made:
            made.append(run(run_options(demo_server, tmp_path_factory.mktemp("demo-month"))))
        original = made[0]
        folder = output / str(MONTH)
        shutil.copytree(original.folder, folder)
        return replace(original, folder=folder, files=[folder / path.relative_to(original.folder)
                                                       for path in original.files])

    return publish


def pytest_collection_finish(session):
    """Runs in this process collect garbage as the command line does (``cli.main`` raises the collector's
    threshold), and the collector no longer walks what collection built (every test module, item and
    import): frozen once here, they cost a run in a test about a tenth more than the same run from the
    command line. Backfill's own ``gc.collect()`` calls, which tests watch, are unchanged."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)


def pytest_collection_modifyitems(items):
    """A test that reads ``good_run`` waits for a whole month's run (PDF included): it is slow wherever it lives."""
    for item in items:
        if "good_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


FOCUS_SUMMARIES: list[str] = []


def pytest_runtest_logreport(report):
    """Gather the FOCUS validator's lines from each test's report (they come from parallel workers too)."""
    if report.when == "teardown":
        FOCUS_SUMMARIES.extend(value for name, value in report.user_properties if name == "focus-validator")


def pytest_terminal_summary(terminalreporter):
    """The FOCUS validator's summary line per file it checked, and how long it took (CI logs show it)."""
    if FOCUS_SUMMARIES:
        terminalreporter.section("focus-validator")
        for line in FOCUS_SUMMARIES:
            terminalreporter.write_line(line)
