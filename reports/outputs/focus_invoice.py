"""The month's FOCUS file with an invoice applied: every row on the invoice, plus its credit, tax and other rows.

FOCUS says the BilledCost of an InvoiceId sums to what that invoice asks to be paid. The
month's own FOCUS file (or its latest restatement's, the data the true-up started from) sums
to the API's usage charge; this file is that file, row for row, with ``InvoiceId`` and
``InvoiceIssuerName`` filled, then one row per invoice line and receiving cost center:

* credits: ChargeCategory ``Credit``, BilledCost negative; tax: ``Tax``;
* other lines (seat fees, support plans): ``Purchase`` with ChargeFrequency ``Recurring``:
  FOCUS 1.2 defines Purchase as "the acquisition of a service or resource bought upfront or on a
  recurring basis", which a seat fee is; it is not ``Usage`` (no quantity consumed, and a Usage
  row needs one). PricingQuantity 1 ``Count`` and EffectiveCost = BilledCost, as the spec's SaaS
  examples A1, A2 and B write a purchase no usage rows draw down (a month's seat fee covers that
  month, not "future eligible charges", the only Purchase FOCUS wants an EffectiveCost of 0 on;
  focus-validator 2.2.1 drops that condition, a defect tests/focus_check.py excuses by name);
* the rest, ``Adjustment``: per cost center, what its share of the invoice (the true-up's target)
  holds beyond its usage rows and its lines here: its part of the invoice's usage subtotal less
  the API total (Priority Tier, late data) and the rounding to the cent.

Each line reaches cost centers by the ``billing:`` policy the true-up used: ``pro_rata`` one
row per receiving cost center (split by the same usage weights, largest remainder to the cent,
``x_AllocationShare`` its share), a cost center code one row for it, ``exclude`` one row with no
cost center (it stays central). So grouping by the ``CostCenter`` tag gives each cost center's
month plus true-up exactly, and BilledCost adds up to the invoice total to the cent. The
invoice rows' ChargeClass is null: they are not corrections of an earlier invoiced period.

On prepaid credits (``billing.mode: prepaid``) FOCUS 1.2's SaaS example B1 applies: the credits
were billed when bought (the purchase folder's single ``Purchase`` row, BilledCost = what was
paid, EffectiveCost 0, charged from the purchase date until the credits expire), and the month's
usage rows draw them down: BilledCost 0, EffectiveCost their amount. The invoice's own rows are
as above, so EffectiveCost (not BilledCost) groups by cost center to the month plus true-up, and
BilledCost adds up to the invoice total less the usage drawn from the credits.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from datetime import datetime, time
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path

from reports.core.invoice import Invoice, InvoiceLine
from reports.core.money import ZERO, largest_remainder
from reports.core.months import Month, rfc3339
from reports.core.purchase import expires_on
from reports.core.settings import EXCLUDE, PRO_RATA
from reports.core.trueup import TrueUp
from reports.errors import DataError
from reports.outputs.focus import (
    HEADER,
    PROVIDER,
    SERVICE_CATEGORY,
    SERVICE_NAME,
    SERVICE_SUBCATEGORY,
    _json,
    _text,
    money,
    share,
)

CREDIT, TAX, PURCHASE, ADJUSTMENT = "Credit", "Tax", "Purchase", "Adjustment"
CATEGORY = {"credits": CREDIT, "tax": TAX, "other": PURCHASE}
ONE_TIME, RECURRING = "One-Time", "Recurring"
DIFFERENCE = "Usage on invoice less the API total, and rounding to the cent"
_COLUMN = {name: index for index, name in enumerate(HEADER)}


def write_invoice_focus(base: Path, path: Path, trueup: TrueUp, weights: Mapping[str, Decimal], month: Month,
                        names: Mapping[str, str], *, prepaid: bool = False) -> None:
    """Write ``base`` (the month's FOCUS file) with the true-up's invoice applied to ``path``.

    ``weights`` is each cost center's usage charge the true-up split pro rata by; ``names`` the
    cost center names; ``prepaid`` gives the usage rows the drawdown shape (BilledCost 0).
    Streams the base file: one row in memory at a time.
    """
    invoice = trueup.invoice
    number, issuer = _text(invoice.number) or "", _text(invoice.issuer) or ""  # formula-inert, as every name
    usage: dict[str, Decimal] = {}
    account: tuple[str, str] | None = None
    try:
        source = base.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise DataError(f"{base}: cannot read the month's FOCUS file ({exc.strerror}), so the invoice's cannot be "
                        "written") from None
    with source, path.open("w", encoding="utf-8", newline="") as out:
        reader = csv.reader(source)
        writer = csv.writer(out, lineterminator="\r\n")
        header = next(reader, [])
        if tuple(header) != HEADER:
            raise DataError(f"{base}: its columns are not the ones this version writes, so the invoice's FOCUS "
                            "file cannot be written from it (re-render the month with `run --offline` if open)")
        writer.writerow(header)
        billed, code = _COLUMN["BilledCost"], _COLUMN["x_CostCenter"]
        with localcontext() as exact:
            exact.prec = 60  # sums of exact row amounts stay exact
            for row in reader:
                row[_COLUMN["InvoiceId"]] = number
                row[_COLUMN["InvoiceIssuerName"]] = issuer
                # SaaS bought from its maker: provider = invoice issuer (the validator's marketplace rule
                # BilledCost-C-005-C takes a provider other than the issuer for a marketplace sale)
                row[_COLUMN["ProviderName"]] = issuer
                usage[row[code]] = usage.get(row[code], ZERO) + Decimal(row[billed])
                if prepaid:
                    # paid when the credits were bought (their Purchase row); EffectiveCost keeps the amount
                    row[billed] = money(ZERO)
                if account is None:
                    account = (row[_COLUMN["BillingAccountId"]], row[_COLUMN["BillingAccountName"]])
                writer.writerow(row)
            for values in invoice_rows(trueup, weights, usage, month, names, account or ("", "")):
                writer.writerow(["" if value is None else value for value in values])


def _parts(line: InvoiceLine, policy: str, weights: Mapping[str, Decimal]) -> list[tuple[str | None, Decimal,
                                                                                       Fraction | None]]:
    """(cost center or None, amount, share) of one invoice line under its policy; the amounts add up to it."""
    if policy == EXCLUDE:
        return [(None, line.amount, None)]
    if policy != PRO_RATA:
        return [(policy, line.amount, None)]
    basis = sum(weights.values(), ZERO)
    exact = {code: Fraction(line.amount) * Fraction(weight) / Fraction(basis) for code, weight in weights.items()}
    rounded = largest_remainder(exact, line.amount)
    return [(code, rounded[code], Fraction(weights[code]) / Fraction(basis)) for code in weights if rounded[code]]


def invoice_rows(trueup: TrueUp, weights: Mapping[str, Decimal], usage: Mapping[str, Decimal], month: Month,
                 names: Mapping[str, str], account: tuple[str, str]) -> Iterator[list[str | None]]:
    """The invoice's rows in HEADER order (None for null): its lines per cost center, then each one's rest.

    ``usage`` is what the month's FOCUS rows hold per cost center (exact); the true-up's target
    per cost center less that and less its lines here is its Adjustment row.
    """
    invoice = trueup.invoice
    number, issuer = _text(invoice.number) or "", _text(invoice.issuer) or ""
    period = (rfc3339(month.end), rfc3339(month.start))
    held = dict(usage)
    for part, category in CATEGORY.items():
        for index, line in enumerate(getattr(invoice, part), 1):
            # a credit says its kind (promotional or prepaid): FinOps tools see only the description
            description = f"{line.description} ({line.kind} credit)" if line.kind else line.description
            for code, amount, part_share in _parts(line, trueup.policies[part], weights):
                if not amount:
                    continue  # a zero line (or a cost center's zero part of it) adds no row
                if code is not None:
                    held[code] = held.get(code, ZERO) + amount
                yield _row(category, description, amount, code, part_share, f"{part}-{index}", period, number,
                           issuer, names, account)
    targets = {line.code: line.target_usd for line in trueup.lines}
    for code in dict.fromkeys([*targets, *held]):  # a cost center the true-up does not name holds nothing after it
        rest = targets.get(code, ZERO) - held.get(code, ZERO)
        if rest:
            yield _row(ADJUSTMENT, DIFFERENCE, rest, code, None, "difference", period, number, issuer, names,
                       account)


def _row(category: str, description: str, amount: Decimal, code: str | None, part_share: Fraction | None,
         source: str, period: tuple[str, str], number: str, issuer: str, names: Mapping[str, str],
         account: tuple[str, str]) -> list[str | None]:
    billed = money(amount)
    purchase = category == PURCHASE
    values: dict[str, str | None] = {
        "BilledCost": billed,
        "BillingAccountId": account[0] or None,
        "BillingAccountName": account[1] or None,
        "BillingCurrency": "USD",
        "BillingPeriodEnd": period[0],
        "BillingPeriodStart": period[1],
        "ChargeCategory": category,
        "ChargeDescription": _text(description),
        "ChargeFrequency": RECURRING if purchase else ONE_TIME,
        "ChargePeriodEnd": period[0],
        "ChargePeriodStart": period[1],
        "ContractedCost": billed,
        "EffectiveCost": billed,
        "InvoiceId": number,
        "InvoiceIssuerName": issuer,
        "ListCost": billed,
        "PricingQuantity": "1.0" if purchase else None,
        "PricingUnit": "Count" if purchase else None,
        "ProviderName": issuer,
        "PublisherName": PROVIDER,
        "ServiceCategory": SERVICE_CATEGORY,
        "ServiceName": SERVICE_NAME,
        "ServiceSubcategory": SERVICE_SUBCATEGORY,
        "Tags": _json({"CostCenter": code}) if code is not None else None,
        "x_CostCenter": _text(code),
        "x_CostCenterName": _text(names.get(code)) if code is not None else None,
        "x_AllocationShare": share(part_share) if part_share is not None else None,
        "x_SourceRowId": source,
    }
    return [values.get(name) for name in HEADER]


def purchase_row(invoice: Invoice, month: Month, account: str | None) -> list[str | None]:
    """A prepaid credit purchase as FOCUS 1.2's example B1 writes it, in HEADER order (None for null).

    One ``Purchase`` row: BilledCost the total paid (tax included, as the purchase journal posts
    it), EffectiveCost 0 (the credits are "intended to cover future eligible charges": the usage
    rows that draw them down carry the cost), ``One-Time``, charged from the purchase date until
    the credits expire, billed in the month it is recorded for.
    """
    number, issuer = _text(invoice.number) or "", _text(invoice.issuer) or ""
    total = money(invoice.total)
    start, end = (datetime.combine(day, time(), tzinfo=month.start.tzinfo)
                  for day in (invoice.day, expires_on(invoice.day)))
    values: dict[str, str | None] = {
        "BilledCost": total,
        "BillingAccountId": account,
        "BillingAccountName": account,
        "BillingCurrency": "USD",
        "BillingPeriodEnd": rfc3339(month.end),
        "BillingPeriodStart": rfc3339(month.start),
        "ChargeCategory": PURCHASE,
        "ChargeDescription": _text(f"Prepaid credit purchase {invoice.number}, credits expire "
                                   f"{expires_on(invoice.day)}"),
        "ChargeFrequency": ONE_TIME,
        "ChargePeriodEnd": rfc3339(end),
        "ChargePeriodStart": rfc3339(start),
        "ContractedCost": total,
        "EffectiveCost": money(ZERO),
        "InvoiceId": number,
        "InvoiceIssuerName": issuer,
        "ListCost": total,
        "PricingQuantity": "1.0",
        "PricingUnit": "Count",
        "ProviderName": issuer,
        "PublisherName": PROVIDER,
        "ServiceCategory": SERVICE_CATEGORY,
        "ServiceName": SERVICE_NAME,
        "ServiceSubcategory": SERVICE_SUBCATEGORY,
        "x_SourceRowId": "purchase",
    }
    return [values.get(name) for name in HEADER]


def purchase_focus_bytes(invoice: Invoice, month: Month, account: str | None) -> bytes:
    """The purchase folder's FOCUS file: the month's header and its one Purchase row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerow(["" if value is None else value for value in purchase_row(invoice, month, account)])
    return out.getvalue().encode("utf-8")
