"""The FinOps Foundation's focus-validator 2.2.1 on our FOCUS files: no failed or errored rule.

The validator runs in its own cached Python 3.12 environment (tests/focus_check.py). Two of its
defects are excused, each by name and only where it applies (accounting-formats.md §C); any
other failed or errored rule fails the test. Without CI set, a machine that cannot build the
environment (no Python 3.12, no package index) skips these tests saying why; in CI it fails.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace

import pytest

import focus_check
from factories import sample_report
from focus_check import INVOICE_OR, INVOICE_PAIR, BuildError, ensure_validator
from reports.outputs.focus import APPLICABILITY_CRITERIA, FOCUS_COLUMNS, write_focus_csv
from test_focus import HOSTILE, _analytics_report
from test_focus_use_cases import analytics_run  # noqa: F401  (a fixture: the analytics demo month)

pytestmark = pytest.mark.slow  # starts the FOCUS validator

SUMMARIES: list[str] = []  # shown at the end of the run (conftest.py), with how long each step took
_ATTACHED = [0]  # how many of SUMMARIES already went with a test's report


@pytest.fixture(autouse=True)
def _summaries_with_the_report(request):
    """Each test's summary lines travel with its report, so the run's end shows them from any worker."""
    yield
    request.node.user_properties.extend(("focus-validator", line) for line in SUMMARIES[_ATTACHED[0]:])
    _ATTACHED[0] = len(SUMMARIES)


@pytest.fixture(scope="module")
def validator():
    try:
        built = ensure_validator()
    except BuildError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"focus-validator could not be built in CI: {exc}")
        pytest.skip(f"focus-validator {focus_check.VERSION} cannot be built on this machine ({exc}); "
                    "CI builds it. See README, 'Validating the FOCUS file'")
    SUMMARIES.append(f"focus-validator environment: {built.home} "
                     + (f"built in {built.built_in:.0f} s" if built.built_in is not None else "(cached)"))
    return built


def verdict_of(validator, path, tmp_path, label):
    verdict = validator.validate(path, APPLICABILITY_CRITERIA, tmp_path / f"{path.stem}.xml")
    SUMMARIES.append(f"{label}: {verdict.summary()}")
    return verdict


def test_the_demo_months_export_passes_the_validator(validator, good_run, tmp_path):
    verdict = verdict_of(validator, good_run.folder / "focus-2026-10.csv", tmp_path, "demo month 2026-10")
    assert verdict.unexcused == {}, verdict.summary()
    # The demo's names are ASCII: the only excuse is the InvoiceId pair's defect, for one of the two.
    assert len(verdict.excused) == 1 and set(verdict.excused) <= set(INVOICE_PAIR)
    assert verdict.outcomes[INVOICE_OR] == "passed"
    # The rules of what we claim were evaluated, not skipped: a run that checks nothing must not pass.
    for rule in ("BilledCost-C-000-M", "ChargePeriodStart-C-000-M", "PricingQuantity-C-000-M",
                 "ConsumedQuantity-C-000-C", "SubAccountId-C-000-C", "SubAccountName-C-000-C", "Tags-C-000-C",
                 "BillingAccountName-C-003-C", "ServiceCategory-C-000-M", "ChargeClass-C-000-M"):
        assert verdict.outcomes.get(rule) == "passed", rule
    assert verdict.tests > 500 and verdict.failures - len(verdict.excused) <= 0


def test_hostile_and_non_ascii_names_fail_only_the_validators_ascii_check(validator, tmp_path):
    report = sample_report(workspace_name=HOSTILE + " Zürich", organization="Acme SàRL")
    path = tmp_path / "focus-2026-10.csv"
    write_focus_csv(report, path)
    verdict = verdict_of(validator, path, tmp_path, "non-ASCII and hostile names")
    assert verdict.unexcused == {}, verdict.summary()
    # What was excused is the string format check of exactly the columns with non-ASCII text (and
    # the composite rules over them), besides the InvoiceId pair.
    model = validator.model()["ModelRules"]
    formats = {model[rule]["ValidationCriteria"]["Requirement"]["ColumnName"] for rule in verdict.excused
               if model[rule]["ValidationCriteria"]["Requirement"].get("CheckFunction") == "FormatString"}
    assert formats == {"BillingAccountId", "BillingAccountName", "SubAccountName"}
    ascii_only = sample_report(workspace_name=HOSTILE, organization="Acme SaRL")
    write_focus_csv(ascii_only, path)
    verdict = verdict_of(validator, path, tmp_path, "hostile ASCII names")
    assert verdict.unexcused == {} and set(verdict.excused) <= set(INVOICE_PAIR)


def test_the_analytics_shape_passes_the_validator(validator, tmp_path):
    path = tmp_path / "focus-2026-10.csv"
    write_focus_csv(_analytics_report(), path)
    verdict = verdict_of(validator, path, tmp_path, "analytics-shaped report")
    assert verdict.unexcused == {} and set(verdict.excused) <= set(INVOICE_PAIR), verdict.summary()


def test_the_analytics_demo_months_export_with_a_shared_key_passes_the_validator(
        validator, analytics_run, tmp_path):  # noqa: F811  (the fixture imported above)
    path = analytics_run.folder / "focus-2026-10.csv"
    verdict = verdict_of(validator, path, tmp_path, "analytics demo month 2026-10")
    assert verdict.unexcused == {} and set(verdict.excused) <= set(INVOICE_PAIR), verdict.summary()
    assert verdict.outcomes.get("Tags-C-000-C") == "passed"


def broken_file(tmp_path):
    """A FOCUS file with whole-dollar costs written as integers and bare dates: real failures."""
    report = sample_report()
    items = tuple(item._replace(amount_cents=item.amount_cents.quantize(1) * 100,
                          amount=item.amount_cents.quantize(1)) for item in report.line_items)
    path = tmp_path / "focus-2026-10.csv"
    # Without its shared rules: a part of a whole-dollar amount (70% of $15) is not whole.
    write_focus_csv(replace(report, line_items=items, splits={}), path)
    text = path.read_bytes().decode("utf-8")
    path.write_bytes(text.replace(".00,", ",").replace("T00:00:00Z", "").encode("utf-8"))
    return path


def test_a_broken_file_is_caught(validator, tmp_path):
    # The test can fail: a whole-dollar cost column read as integers and a bare date are real failures.
    verdict = verdict_of(validator, broken_file(tmp_path), tmp_path, "deliberately broken file")
    assert {"BilledCost-C-001-M", "ChargePeriodStart-C-000-M"} <= set(verdict.unexcused)


def test_the_tests_validator_process_reports_what_its_command_line_does(validator, tmp_path):
    # The tests keep one validator process alive and give it each file (tests/focus_driver.py); its
    # report must be the command line's, message for message, on a file that fails, errs and skips.
    path = broken_file(tmp_path)
    kept = validator.validate(path, APPLICABILITY_CRITERIA, tmp_path / "kept.xml")
    once = validator.validate_once(path, APPLICABILITY_CRITERIA, tmp_path / "once.xml")
    SUMMARIES.append(f"broken file, command line: {once.summary()}")
    assert kept.outcomes == once.outcomes and kept.failures > 0 and kept.errors > 0 and kept.skipped > 0

    def report(name):  # the whole report, but for when it was written
        return re.sub(r' timestamp="[^"]*"', "", (tmp_path / name).read_text(encoding="utf-8"))

    assert report("kept.xml") == report("once.xml")


def test_our_focus_columns_are_the_validators(validator):
    known = {rule["Reference"] for rule in validator.model()["ModelRules"].values()
             if rule.get("EntityType") == "Column"}
    assert {name for name, _ in FOCUS_COLUMNS} <= known
    criteria = set(validator.model()["ApplicabilityCriteria"])
    assert set(APPLICABILITY_CRITERIA) <= criteria
