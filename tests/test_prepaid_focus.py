"""FOCUS on prepaid credits (FOCUS 1.2's SaaS example B1): the purchase billed once, the month's usage drawn from it.

Over the simulator, `billing.mode: prepaid`: a credit purchase's folder has one `Purchase` row
(BilledCost what was paid, EffectiveCost 0, charged until the credits expire); an invoice's
FOCUS file gives the month's usage rows BilledCost 0 and EffectiveCost their amount, so
EffectiveCost by the CostCenter tag is what the journals debit each cost center. Both files
pass the FinOps Foundation's validator.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from decimal import Decimal

import pytest

import focus_check
from conftest import MONTH
from reports.invoicing import InvoiceOptions, record_invoice
from reports.outputs.focus import APPLICABILITY_CRITERIA
from reports.outputs.folder import sha256_file
from reports.pipeline import run
from test_invoice_focus import FOCUS, focus_rows
from test_invoice_run import by_center, invoice_file
from test_prepaid import prepaid_config, purchase_file

pytestmark = pytest.mark.slow  # whole months, the validator

CENT = Decimal("0.01")


def by_tag(rows, column: str) -> dict[str | None, Decimal]:
    """The FinOps "cost by tag" query over the CostCenter tag: ``column`` summed per tag value."""
    totals: dict[str | None, Decimal] = defaultdict(Decimal)
    for row in rows:
        tag = json.loads(row["Tags"]).get("CostCenter") if row["Tags"] else None
        totals[tag] += Decimal(row[column])
    return dict(totals)


def validator():
    try:
        return focus_check.ensure_validator()
    except focus_check.BuildError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"focus-validator could not be built in CI: {exc}")
        pytest.skip(f"focus-validator cannot be built here ({exc})")


def test_prepaid_focus_bills_the_purchase_once_and_draws_it_down_by_cost_center(tmp_path, demo_server):
    from conftest import run_options

    built = validator()
    config = prepaid_config(tmp_path)
    output = tmp_path / "out"
    month = run(run_options(demo_server, output, config=config))
    month_rows = focus_rows(month.folder / FOCUS)

    # the purchase: one Purchase row, billed in full, no cost until drawn down, charged until the credits expire
    bought = record_invoice(InvoiceOptions(MONTH, purchase_file(tmp_path), output, config_path=config, pdf=False))
    rows = focus_rows(bought.folder / FOCUS)
    assert len(rows) == 1
    row = rows[0]
    assert (row["ChargeCategory"], row["ChargeFrequency"], row["ChargeClass"]) == ("Purchase", "One-Time", "")
    assert (Decimal(row["BilledCost"]), Decimal(row["EffectiveCost"])) == (bought.invoice.total, Decimal(0))
    assert bought.invoice.total == Decimal("6000.00")
    assert (row["ChargePeriodStart"], row["ChargePeriodEnd"]) == ("2026-10-15T00:00:00Z", "2027-10-15T00:00:00Z")
    assert (row["BillingPeriodStart"], row["BillingPeriodEnd"]) == ("2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z")
    assert (row["InvoiceId"], row["InvoiceIssuerName"]) == ("RCPT-2026-10-7", "Anthropic, PBC")
    assert row["BillingAccountId"] == month_rows[0]["BillingAccountId"]  # the same account as the month's usage
    manifest = json.loads((bought.folder / "manifest.json").read_text())
    listed = {entry["file"]: entry["sha256"] for entry in manifest["outputs"]}
    for name in (FOCUS, "focus-2026-10.schema.json"):
        assert listed[name] == sha256_file(bought.folder / name)
    assert (bought.folder / "focus-2026-10.schema.json").read_bytes() == (
        month.folder / "focus-2026-10.schema.json").read_bytes()

    # the invoice: its usage rows drawn from the credits (BilledCost 0), the cost in EffectiveCost
    result = record_invoice(InvoiceOptions(MONTH, invoice_file(tmp_path, month.report.total), output,
                                           config_path=config, pdf=False))
    rows = focus_rows(result.folder / FOCUS)
    usage = rows[:len(month_rows)]
    assert {row["ChargeCategory"] for row in usage} == {"Usage"}
    assert {Decimal(row["BilledCost"]) for row in usage} == {Decimal(0)}
    assert [row["EffectiveCost"] for row in usage] == [row["EffectiveCost"] for row in month_rows]
    # EffectiveCost by the CostCenter tag is each cost center's debit in the month's journal, within a cent
    journal = by_center(month.folder / "journal-2026-10.csv")
    drawn = by_tag(usage, "EffectiveCost")
    assert set(drawn) == set(journal)
    assert all(abs(drawn[code] - journal[code]) <= CENT for code in journal), (drawn, journal)
    assert sum(journal.values()) == month.report.total
    # with the invoice's rows: each cost center's month plus true-up, what the two journals debit it
    trueup = by_center(result.folder / "journal-trueup-2026-10.csv")
    whole = by_tag(rows, "EffectiveCost")
    assert whole.pop(None, Decimal(0)) == result.trueup.excluded
    for code in journal.keys() | trueup.keys():
        assert abs(whole.get(code, Decimal(0)) - journal.get(code, Decimal(0)) - trueup.get(code, Decimal(0))) <= CENT
    # BilledCost: what the invoice asks beyond the usage already paid for with the credits; with the drawdown,
    # exactly the invoice (the drawdown is the exact usage rows; the journal posts it rounded to the cent)
    invoice = result.trueup.invoice
    billed, effective = (sum(Decimal(row[column]) for row in rows) for column in ("BilledCost", "EffectiveCost"))
    assert effective == invoice.total  # EffectiveCost: the whole invoice, usage included
    assert billed + sum(Decimal(row["EffectiveCost"]) for row in usage) == invoice.total
    assert abs(billed - (invoice.total - month.report.total)) <= CENT

    # both files pass the validator; excused only the InvoiceId pair (one of its unconditioned rules
    # fails on any file) and, in the invoice's file, the seat fee's Purchase rule (tests/focus_check.py)
    verdict = built.validate(bought.folder / FOCUS, APPLICABILITY_CRITERIA, tmp_path / "purchase.xml")
    assert verdict.unexcused == {}, verdict.summary()
    assert set(verdict.excused) <= set(focus_check.INVOICE_PAIR) and len(verdict.excused) == 1
    for rule in ("BilledCost-C-000-M", "ChargeCategory-C-000-M", "ChargeFrequency-C-004-C", focus_check.INVOICE_OR,
                 focus_check.PURCHASE_EFFECTIVE):
        assert verdict.outcomes.get(rule) == "passed", rule
    verdict = built.validate(result.folder / FOCUS, APPLICABILITY_CRITERIA, tmp_path / "invoice.xml")
    assert verdict.unexcused == {}, verdict.summary()
    assert set(verdict.excused) <= {*focus_check.INVOICE_PAIR, focus_check.PURCHASE_EFFECTIVE}
