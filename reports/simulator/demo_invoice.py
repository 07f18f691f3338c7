"""The demo organization's invoice for a month it has run: a promotional credit and VAT, printed as invoice YAML.

``make demo`` records it with ``chargeback invoice --demo`` for the last closed month, so a new
user sees the walk and the true-up. The usage subtotal is what the month posted (the simulator's
"Anthropic" bills exactly the usage report), the credit is $250 (or half the usage, if less) and
VAT is 20% of the usage after the credit, so every line adds up to the total to the cent.

    python -m reports.simulator.demo_invoice --month 2026-09 [--output output] > invoice.yaml
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from reports.core.history import Unreadable
from reports.core.money import round_cents
from reports.core.months import Month
from reports.outputs.history import read_month

CREDIT = Decimal("250.00")
VAT = Decimal("0.20")


def invoice_number(month: Month) -> str:
    return f"INV-DEMO-{month}"


def demo_invoice(month: Month, usage: Decimal) -> str:
    """The invoice's YAML for a month whose usage charge was ``usage`` (USD)."""
    credit = -min(CREDIT, round_cents(usage / 2))
    vat = round_cents((usage + credit) * VAT)
    issued = month.last_day + timedelta(days=3)  # the invoice is dated the 3rd of the next month
    return (f"# The demo organization's invoice for {month} (made by reports/simulator/demo_invoice.py)\n"
            f"number: {invoice_number(month)}\nissuer: Anthropic, PBC\ndate: {issued}\ncurrency: USD\n"
            f"usage: {usage}\ncredits:\n"
            f"  - {{kind: promotional, description: Startup program credit, amount: {credit}}}\n"
            f"tax:\n  - {{description: VAT 20%, amount: {vat}}}\n"
            f"total: {usage + credit + vat}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.simulator.demo_invoice", description=__doc__)
    parser.add_argument("--month", type=Month.parse, required=True)
    parser.add_argument("--output", type=Path, default=Path("output"))
    args = parser.parse_args(argv)
    posted = read_month(args.output, args.month, every_file=False, trueups=False)
    if posted is None or isinstance(posted, Unreadable):
        print(f"error: {args.month} has not been run in {args.output}", file=sys.stderr)
        return 2
    sys.stdout.write(demo_invoice(args.month, posted.total_usd))
    return 0


if __name__ == "__main__":
    sys.exit(main())
