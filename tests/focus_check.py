"""The FinOps Foundation's focus-validator, in its own cached virtual environment, and its verdict.

focus-validator 2.2.1 needs Python 3.12 or newer and brings pandas, polars, duckdb and pyarrow,
so it lives in a virtual environment of its own, built once per machine under
``$CHARGEBACK_FOCUS_VALIDATOR_DIR`` (default ``~/.cache/chargeback/focus-validator-2.2.1-<pins>``)
from the pinned versions in ``focus-validator-requirements.txt``, and reused while it is there.

By hand (builds the environment on first use)::

    .venv/bin/python tests/focus_check.py output/2026-10/focus-2026-10.csv

prints the validator's summary, each excused rule with its reason, and exits 1 on any other
failed or errored rule. By hand the validator runs as its command line; in the tests
``Validator.validate`` hands each file to one validator process kept alive per test process
(tests/focus_driver.py: the imports paid once, the data scanned from a table), and falls back to
the command line when that process cannot start.
"""

from __future__ import annotations

import atexit
import fcntl
import glob
import hashlib
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

VERSION = "2.2.1"
FOCUS_VERSION = "1.2"
REQUIREMENTS = Path(__file__).with_name("focus-validator-requirements.txt")
MODEL = "focus_validator/rules/model-1.2.0.1.json"  # the rules the package bundles for FOCUS 1.2
BUILD_TIMEOUT = 1200  # seconds: a first build downloads about 150 MB of wheels
RUN_TIMEOUT = 600
START_TIMEOUT = 120  # seconds for the kept-alive validator to import itself and say it is ready
DRIVER = Path(__file__).with_name("focus_driver.py")

# Defects of focus-validator 2.2.1 that the project excuses (accounting-formats.md §C)
INVOICE_PAIR = ("InvoiceId-C-004-C", "InvoiceId-C-005-C")  # "MUST be null" / "MUST NOT be null", no condition
INVOICE_OR = "InvoiceId-C-003-C"  # their OR rule, which must pass
FORMAT_STRING = "FormatString"  # rejects any non-ASCII character; FOCUS asks for none of that
# "EffectiveCost MUST be 0 when ChargeCategory is Purchase and the purchase is intended to cover future
# eligible charges": checked without its second half, so it fails the spec's own SaaS examples A1, A2
# and B (a Purchase realized in its own row, EffectiveCost = BilledCost), as it fails an invoice's seat fee
PURCHASE_EFFECTIVE = "EffectiveCost-C-005-C"


class BuildError(Exception):
    """The validator's environment could not be built (no Python 3.12+, or pip failed)."""


def cache_dir() -> Path:
    configured = os.environ.get("CHARGEBACK_FOCUS_VALIDATOR_DIR")
    if configured:
        return Path(configured)
    pins = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    return Path.home() / ".cache" / "chargeback" / f"focus-validator-{VERSION}-{pins}"


def _pythons() -> list[str]:
    """Interpreters that may be 3.12: $FOCUS_VALIDATOR_PYTHON, pyenv's 3.12, python3.12 on PATH."""
    found = [os.environ["FOCUS_VALIDATOR_PYTHON"]] if os.environ.get("FOCUS_VALIDATOR_PYTHON") else []
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    # pyenv's own interpreter by path: its python3.12 shim fails unless 3.12 is the selected version
    found += sorted(glob.glob(f"{root}/versions/3.12.*/bin/python3.12"), reverse=True)
    on_path = shutil.which("python3.12")
    if on_path:
        found.append(on_path)
    return found


def _python() -> str:
    # 3.12 exactly: the pinned wheels (numpy 1.26 among them) are built for it; 3.13 would compile numpy.
    for command in _pythons():
        try:
            subprocess.run([command, "-c", "import sys; sys.exit(sys.version_info[:2] != (3, 12))"], check=True,
                           capture_output=True, timeout=60)
        except (OSError, subprocess.SubprocessError):
            continue
        return command
    raise BuildError("no Python 3.12 found (set FOCUS_VALIDATOR_PYTHON to one); focus-validator "
                     f"{VERSION} needs Python 3.12 or newer, and its pinned dependencies are 3.12's")


@dataclass
class Validator:
    """A built environment: run it with ``validate``."""

    home: Path
    built_in: float | None = None  # seconds, when this process built it; None when it was cached

    @property
    def python(self) -> Path:
        return self.home / "bin" / "python"

    @property
    def site_packages(self) -> Path:
        return Path(next(iter(glob.glob(str(self.home / "lib" / "python3.*" / "site-packages")))))

    def model(self) -> dict:
        return json.loads((self.site_packages / MODEL).read_text(encoding="utf-8"))

    def validate(self, data_file: Path, criteria: tuple[str, ...], output: Path) -> Verdict:
        """The validator's verdict on ``data_file``, from the process kept alive for this test process.

        The same rules, criteria and report as ``validate_once``; the command line is the fallback
        when that process cannot be started."""
        driver = _driver(self)
        if driver is None:
            return self.validate_once(data_file, criteria, output)
        started = time.monotonic()
        driver.validate(Path(data_file).resolve(), criteria, Path(output).resolve())
        return Verdict.read(Path(output), time.monotonic() - started, self.model(), Path(data_file))

    def validate_once(self, data_file: Path, criteria: tuple[str, ...], output: Path) -> Verdict:
        """The validator's command line on ``data_file``, as in the README's recipe; its XML report to ``output``."""
        command = [str(self.python), "-m", "focus_validator.main", "--data-file", str(Path(data_file).resolve()),
                   "--validate-version", FOCUS_VERSION, "--block-download", "--output-type", "unittest",
                   "--output-destination", str(Path(output).resolve())]
        if criteria:
            command += ["--applicability-criteria", ",".join(criteria)]
        started = time.monotonic()
        # The working directory is site-packages: the validator opens rules/currency_codes.csv relative to it.
        done = subprocess.run(command, cwd=self.site_packages, capture_output=True, text=True, timeout=RUN_TIMEOUT,
                              **_one_core_under_xdist())
        seconds = time.monotonic() - started
        if done.returncode != 0 or not Path(output).is_file():
            raise AssertionError(f"focus-validator exited {done.returncode} without a report:\n{done.stderr[-3000:]}")
        return Verdict.read(Path(output), seconds, self.model(), Path(data_file))


class _Driver:
    """tests/focus_driver.py run by the validator's Python: one request line in, one reply line out."""

    def __init__(self, validator: Validator):
        self._log = tempfile.TemporaryFile()  # its stderr: a file, so a chatty validator never fills a pipe
        # Started from the test process and pinned like the command line would be; it exits when its stdin closes.
        self._process = subprocess.Popen(
            [str(validator.python), str(DRIVER)], cwd=validator.site_packages, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self._log, text=True, **_one_core_under_xdist())
        self._reply(START_TIMEOUT)

    def _reply(self, timeout: float) -> dict:
        assert self._process.stdout is not None
        ready, _, _ = select.select([self._process.stdout], [], [], timeout)
        line = self._process.stdout.readline() if ready else ""
        if not line:
            self._fail("exited" if ready else f"gave no answer in {timeout:.0f} s")  # ready and nothing: its end
        return json.loads(line)

    def _fail(self, why: str) -> NoReturn:
        """Stop it, and say why with the end of what it wrote to stderr (the validator's traceback)."""
        self._log.seek(0)
        errors = self._log.read().decode("utf-8", "replace")[-3000:]
        self.close()
        raise AssertionError(f"focus-validator ({DRIVER.name}) {why}:\n{errors}")

    def validate(self, data_file: Path, criteria: tuple[str, ...], output: Path) -> None:
        assert self._process.stdin is not None
        request = {"data_file": str(data_file), "criteria": list(criteria), "output": str(output),
                   "focus_version": FOCUS_VERSION}
        output.unlink(missing_ok=True)  # a report left from before must not pass for this file's
        try:
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
        except BrokenPipeError:
            self._fail("had exited")
        reply = self._reply(RUN_TIMEOUT)
        if not reply.get("ok") or not output.is_file():
            raise AssertionError(f"focus-validator gave no report:\n{reply.get('error', '')}")

    @property
    def alive(self) -> bool:
        return self._process.poll() is None and self._process.stdin is not None and not self._process.stdin.closed

    def close(self) -> None:
        if self._process.stdin is not None and not self._process.stdin.closed:
            try:
                self._process.stdin.close()
            except OSError:
                pass
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._log.close()


_DRIVERS: dict[Path, _Driver | None] = {}  # per environment; None: it could not start here, use the command line
_DRIVERS_LOCK = threading.Lock()


def _driver(validator: Validator) -> _Driver | None:
    """This process's kept-alive validator, started on first use and closed when the process ends."""
    with _DRIVERS_LOCK:
        if validator.home in _DRIVERS and _DRIVERS[validator.home] is None:
            return None  # it could not start here: the command line, without trying again for each file
        driver = _DRIVERS.get(validator.home)
        if driver is None or not driver.alive:  # never started, or stopped after a file it could not judge
            try:
                driver = _Driver(validator)
            except (OSError, AssertionError) as exc:
                print(f"focus-validator: {DRIVER.name} could not start, using the command line ({exc})",
                      file=sys.stderr)
                driver = None
            _DRIVERS[validator.home] = driver
        return driver


@atexit.register
def close_drivers() -> None:
    """Stop every kept-alive validator (the end of a pytest session or worker ends its process)."""
    with _DRIVERS_LOCK:
        for driver in _DRIVERS.values():
            if driver is not None:
                driver.close()
        _DRIVERS.clear()


def _one_core_under_xdist() -> dict:
    """Under pytest-xdist, the validator on one core (its worker's), with one polars thread.

    The workers already keep every core busy, so the validator's thread pools (polars, duckdb: one
    thread per core) only contend with them and spin: on one core it checks the same rules on the
    same file with about a fifth less CPU. By hand (no worker) it keeps every core."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if not worker.startswith("gw") or len(cores) < 2:
        return {}
    core = cores[int(worker[2:] or 0) % len(cores)]
    return {"env": {**os.environ, "POLARS_MAX_THREADS": "1"},
            "preexec_fn": lambda: os.sched_setaffinity(0, {core})}


def ensure_validator() -> Validator:
    """The cached environment, built first if it is not there (raises BuildError when it cannot be)."""
    home = cache_dir()
    if (home / ".complete").is_file():
        return Validator(home)
    home.parent.mkdir(parents=True, exist_ok=True)
    # One build per machine at a time: parallel test workers (and other checkouts) wait for it, then reuse it.
    with open(home.with_name(f".{home.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (home / ".complete").is_file():
            return Validator(home)
        return _build(home)


def _build(home: Path) -> Validator:
    python = _python()
    started = time.monotonic()
    home.parent.mkdir(parents=True, exist_ok=True)
    # Built beside its final place and renamed into it, so an interrupted build is never taken for a whole one.
    staging = home.with_name(f".{home.name}.{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        for step in ([python, "-m", "venv", str(staging)],
                     [str(staging / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                      "-r", str(REQUIREMENTS)]):
            try:
                done = subprocess.run(step, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
            except subprocess.TimeoutExpired:
                raise BuildError(f"{' '.join(step[:4])} … took more than {BUILD_TIMEOUT} s") from None
            if done.returncode != 0:
                lines = [line for line in done.stderr.splitlines() if line.strip() and "is ignored" not in line]
                raise BuildError(f"{' '.join(step[:4])} … failed: {' | '.join(lines[-3:])}")
        (staging / ".complete").write_text(f"focus-validator {VERSION}\n", encoding="utf-8")
        # Another checkout's tests may have built it meanwhile (the cache is per machine): keep theirs.
        if not (home / ".complete").is_file():
            shutil.rmtree(home, ignore_errors=True)  # a leftover without .complete
            try:
                os.replace(staging, home)
            except OSError:
                if not (home / ".complete").is_file():
                    raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Validator(home, built_in=time.monotonic() - started)


def _children(requirement: dict) -> set[str]:
    """The model rules a composite rule's requirement is made of (nested AND/OR included)."""
    found = set()
    if requirement.get("CheckFunction") == "CheckModelRule":
        found.add(requirement["ModelRuleId"])
    for item in requirement.get("Items", ()):
        found |= _children(item)
    return found


@dataclass
class Verdict:
    """What the validator said: its counts, each rule's outcome, and which failures are excused."""

    tests: int
    failures: int
    errors: int
    skipped: int
    seconds: float
    outcomes: dict[str, str]  # rule id -> passed | failed | errored | skipped
    excused: dict[str, str] = field(default_factory=dict)  # rule id -> why

    @classmethod
    def read(cls, report: Path, seconds: float, model: dict, data_file: Path) -> Verdict:
        root = ET.parse(report).getroot()
        outcomes: dict[str, str] = {}
        for case in root.iter("testcase"):
            rule = case.get("name", "").split(" :: ")[0]
            status = "passed"
            for child in case:
                status = {"failure": "failed", "error": "errored", "skipped": "skipped"}.get(child.tag, status)
            outcomes[rule] = status
        verdict = cls(int(root.get("tests", 0)), int(root.get("failures", 0)), int(root.get("errors", 0)),
                      int(root.get("skipped", 0)), seconds, outcomes)
        verdict.excused = verdict._excuses(model["ModelRules"], _non_ascii_columns(data_file),
                                           _purchases_realized_in_place(data_file))
        return verdict

    def _excuses(self, rules: dict, non_ascii: set[str], purchases_in_place: bool = False) -> dict[str, str]:
        excused: dict[str, str] = {}
        failed = [rule for rule, status in self.outcomes.items() if status == "failed"]
        if PURCHASE_EFFECTIVE in failed and purchases_in_place:
            excused[PURCHASE_EFFECTIVE] = (
                "validator defect: it asks EffectiveCost 0 of every Purchase, dropping the rule's condition \"intended "
                "to cover future eligible charges\"; every Purchase row here is an invoice's other line for the month "
                "itself (a seat fee), realized in its own row as the spec's SaaS examples A1, A2 and B do")
        pair = [rule for rule in INVOICE_PAIR if self.outcomes.get(rule) == "failed"]
        if len(pair) == 1 and self.outcomes.get(INVOICE_OR) == "passed":
            excused[pair[0]] = (f"validator defect: {' and '.join(INVOICE_PAIR)} carry no condition, so one of them "
                                f"fails on every dataset; their OR rule {INVOICE_OR} passed")
        for rule in failed:
            requirement = rules.get(rule, {}).get("ValidationCriteria", {}).get("Requirement", {})
            column = requirement.get("ColumnName")
            if requirement.get("CheckFunction") == FORMAT_STRING and column in non_ascii:
                excused[rule] = (f"validator defect: its string format check rejects non-ASCII characters, and "
                                 f"{column} holds some (FOCUS asks for no ASCII; names are written as they are)")
        # A composite rule fails when a child fails: it is excused when every failed child is.
        changed = True
        while changed:
            changed = False
            for rule in failed:
                if rule in excused:
                    continue
                children = _children(rules.get(rule, {}).get("ValidationCriteria", {}).get("Requirement", {}))
                bad = [child for child in children if self.outcomes.get(child) in ("failed", "errored")]
                if bad and all(child in excused for child in bad):
                    excused[rule] = f"composite of excused rules only: {', '.join(sorted(bad))}"
                    changed = True
        return excused

    @property
    def unexcused(self) -> dict[str, str]:
        """Every failed or errored rule that no defect of the validator explains."""
        return {rule: status for rule, status in sorted(self.outcomes.items())
                if status in ("failed", "errored") and rule not in self.excused}

    def summary(self) -> str:
        passed = sum(status == "passed" for status in self.outcomes.values())
        return (f"focus-validator {VERSION} (FOCUS {FOCUS_VERSION}): Total: {self.tests} | Pass: {passed} | "
                f"Fail: {self.failures} | Errored: {self.errors} | Skipped: {self.skipped} "
                f"(excused: {', '.join(sorted(self.excused)) or 'none'}) in {self.seconds:.1f} s")


def _purchases_realized_in_place(data_file: Path) -> bool:
    """Whether the file has Purchase rows and each is an invoice's other line with EffectiveCost = BilledCost."""
    import csv

    with data_file.open(encoding="utf-8", newline="") as handle:
        purchases = [row for row in csv.DictReader(handle) if row["ChargeCategory"] == "Purchase"]
    return bool(purchases) and all(
        row["EffectiveCost"] == row["BilledCost"] and row.get("x_SourceRowId", "").startswith("other-")
        for row in purchases)


def _non_ascii_columns(data_file: Path) -> set[str]:
    import csv

    with data_file.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        found: set[str] = set()
        for row in reader:
            for name, value in zip(header, row, strict=True):
                if not value.isascii():
                    found.add(name)
    return found


def main(argv: list[str]) -> int:
    """Validate one FOCUS file by hand; exit 1 on any failed or errored rule that is not excused."""
    if len(argv) != 1:
        print("usage: python tests/focus_check.py FOCUS-FILE.csv", file=sys.stderr)
        return 2
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from reports.outputs.focus import APPLICABILITY_CRITERIA

    validator = ensure_validator()
    if validator.built_in is not None:
        print(f"built focus-validator {VERSION} in {validator.home} in {validator.built_in:.0f} s")
    data = Path(argv[0])
    verdict = validator.validate_once(data, APPLICABILITY_CRITERIA, validator.home / "last-report.xml")
    print(verdict.summary())
    for rule, why in sorted(verdict.excused.items()):
        print(f"  excused {rule}: {why}")
    for rule, status in verdict.unexcused.items():
        print(f"  {status.upper()} {rule}")
    return 1 if verdict.unexcused else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
