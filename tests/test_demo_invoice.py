"""The demo organization's invoice (`make demo` records it): a promotional credit and VAT that add up to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import MONTH
from reports.config.invoice_file import parse_invoice
from reports.core.money import round_cents
from reports.simulator.demo_invoice import demo_invoice, main


@pytest.mark.parametrize("usage", [Decimal("42953.81"), Decimal("0.03"), Decimal("100.00")])
def test_the_demo_invoice_adds_up_and_has_a_credit_and_vat(usage):
    invoice = parse_invoice(demo_invoice(MONTH, usage).encode(), "demo.yaml")  # every sum checked to the cent
    assert invoice.usage == usage and invoice.day.isoformat() == "2026-11-03"
    assert [line.kind for line in invoice.credits] == ["promotional"] and invoice.part("credits") < 0
    assert invoice.part("tax") == round_cents((usage + invoice.part("credits")) * Decimal("0.20"))


@pytest.mark.slow  # runs a whole month
def test_the_demo_invoice_of_a_run_month_is_recorded_with_its_walk(tmp_path, demo_month, capsys, cli):
    output = tmp_path / "out"
    month = demo_month(output)
    assert main(["--month", "2026-10", "--output", str(output)]) == 0
    given = tmp_path / "demo-invoice.yaml"
    given.write_text(capsys.readouterr().out)
    done = cli("invoice", "--demo", "--month", "2026-10", "--file", str(given), "--output", str(output))
    assert done.returncode == 0, done.stderr
    assert "PASS Invoice adds up" in done.stdout and "PASS Usage within tolerance" in done.stdout
    folder = output / "2026-10" / "invoices" / "INV-DEMO-2026-10"
    assert (folder / "invoice.yaml").read_bytes() == given.read_bytes()
    invoice = parse_invoice(given.read_bytes(), "demo")
    assert invoice.usage == month.report.total  # the simulator bills exactly the usage report
    assert main(["--month", "2026-09", "--output", str(output)]) == 2  # a month never run
