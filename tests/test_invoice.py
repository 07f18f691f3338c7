"""The invoice file, the walk and the true-up, over plain values: every sum to the cent, every refusal named."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from reports.config.invoice_file import parse_invoice
from reports.config.schema import parse_settings
from reports.core.checks import Status
from reports.core.history import NOT_CLOSED, Posted
from reports.core.invoice import (
    CHARGED,
    CREDITS,
    DIFFERENCE,
    DISCOUNT,
    LIST_PRICE,
    ON_INVOICE,
    OTHER,
    TAX,
    TOTAL,
    build_walk,
)
from reports.core.journal import ledger_for
from reports.core.money import round_cents
from reports.core.months import Month
from reports.core.trueup import build_trueup
from reports.errors import ConfigError, InvoiceError

MONTH = Month(2026, 10)
EXAMPLE = b"""\
number: INV-2026-10-0042
issuer: Anthropic, PBC
date: 2026-11-03
currency: USD
usage: 33517.00
credits:
  - {kind: promotional, description: Startup program credit, amount: -500.00}
tax:
  - {description: VAT 20%, amount: 6603.40}
other:
  - {description: Claude Enterprise seats, amount: 1200.00}
total: 40820.40
"""


def config(billing: str = "", currency: str = "") -> bytes:
    journal = ('journal:\n  currency: EUR\n  exchange_rates: {2026-10: "0.9210"}\n' if currency == "EUR" else "")
    return (f"""organization: Acme
cost_centers:
  - {{code: ENG, name: Engineering, workspaces: [w1], expense_account: "6421"}}
  - {{code: SUP, name: Support, workspaces: [w2]}}
  - {{code: DAT, name: Data, workspaces: [w3]}}
{journal}{billing}""").encode()


def test_the_example_invoice_is_read_exactly():
    read = parse_invoice(EXAMPLE, "invoice.yaml")
    assert (read.number, read.issuer, read.day, read.currency) == ("INV-2026-10-0042", "Anthropic, PBC",
                                                                    date(2026, 11, 3), "USD")
    assert read.usage == Decimal("33517.00") and read.total == Decimal("40820.40")
    assert [(line.kind, line.amount) for line in read.credits] == [("promotional", Decimal("-500.00"))]
    assert read.lines_total == read.total


@pytest.mark.parametrize(("old", "new", "named"), [
    ("total: 40820.40", "total: 40820.41", "invoice.yaml:12: total: $40,820.41 is not usage + credits + tax + other"),
    ("amount: -500.00", "amount: 500.00", "invoice.yaml:7: credits[0].amount: a credit is negative"),
    ("kind: promotional", "kind: gift", "invoice.yaml:7: credits[0].kind: must be one of promotional, prepaid"),
    ("amount: 6603.40", "amount: 6603.405", "invoice.yaml:9: tax[0].amount: must be to the cent"),
    ("date: 2026-11-03", "date: 3 Nov 2026", "invoice.yaml:3: date: must be a date of the form YYYY-MM-DD"),
    ("currency: USD", "currency: EUR", "invoice.yaml:4: currency: must be USD"),
    ("usage: 33517.00", "usage: lots", "invoice.yaml:5: usage: must be a number"),
    ("number: INV-2026-10-0042", "number: ../escape", "invoice.yaml:1: number: must be letters, digits"),
    ("issuer: Anthropic, PBC\n", "issuer: Anthropic, PBC\nissuer_id: 7\n", "invoice.yaml:3: issuer_id: unknown key"),
    ("total: 40820.40\n", "", "invoice.yaml:1: total: is required"),
])
def test_a_bad_invoice_is_one_line_naming_file_line_and_key(old, new, named):
    assert old in EXAMPLE.decode()
    with pytest.raises(InvoiceError) as refused:
        parse_invoice(EXAMPLE.decode().replace(old, new).encode(), "invoice.yaml")
    message = str(refused.value)
    assert message.startswith(named) and "\n" not in message
    assert refused.value.exit_status == 2


def test_the_walk_adds_up_step_by_step_and_warns_beyond_the_tolerance():
    read = parse_invoice(EXAMPLE, "invoice.yaml")
    charged, listed = Decimal("33516.20"), Decimal("41895.25")
    walk = build_walk(read, charged=charged, list_price=listed, tolerance=Decimal("1.00"),
                      priority_tier_included=False)
    assert walk.amount(LIST_PRICE) + walk.amount(DISCOUNT) == walk.amount(CHARGED) == charged
    assert walk.amount(CHARGED) + walk.amount(DIFFERENCE) == walk.amount(ON_INVOICE) == read.usage
    assert (walk.amount(ON_INVOICE) + walk.amount(CREDITS) + walk.amount(TAX) + walk.amount(OTHER)
            == walk.amount(TOTAL) == read.total)
    adds, within = walk.checks
    assert (adds.name, adds.status) == ("Invoice adds up", Status.PASS)
    assert (within.name, within.status) == ("Usage within tolerance", Status.PASS)
    reasons = next(row.note for row in walk.rows if row.label == DIFFERENCE)
    assert "Priority Tier" in reasons and "rounding" in reasons
    far = build_walk(read, charged=Decimal("33000.00"), list_price=None, tolerance=Decimal("1.00"),
                     priority_tier_included=True)
    within = far.checks[1]
    assert within.status == Status.WARN and "+$517.00" in within.detail
    assert far.amount(LIST_PRICE) == far.amount(CHARGED) and far.amount(DISCOUNT) == 0  # no list prices


def posted(usd: dict[str, str], ledger: dict[str, str] | None = None, currency: str = "USD") -> Posted:
    amounts = {code: Decimal(value) for code, value in usd.items()}
    in_ledger = amounts if ledger is None else {code: Decimal(value) for code, value in ledger.items()}
    return Posted(MONTH, NOT_CLOSED, currency, Decimal(1) if currency == "USD" else Decimal("0.9210"),
                  in_ledger, amounts)


def trueup_of(read, billing: str, books: Posted, currency: str = ""):
    settings = parse_settings(config(billing, currency), "chargeback.yaml")
    return build_trueup(read, settings, ledger_for(settings, MONTH), month=MONTH, number=1,
                        weights=books.usd, posted=books, day=date(2026, 11, 3))


def by_center(journal) -> dict[str, Decimal]:
    return {code: amount for code, amount in journal.by_cost_center().items()}


@pytest.mark.parametrize(("billing", "excluded"), [
    ("", Decimal("1200.00")),  # defaults: credits and tax pro_rata, other excluded
    ("billing: {credits: pro_rata, tax: pro_rata, other: pro_rata}\n", Decimal(0)),
    ("billing: {credits: exclude, tax: exclude, other: exclude}\n", Decimal("7303.40")),
    ("billing: {credits: SUP, tax: DAT, other: ENG}\n", Decimal(0)),
])
def test_after_the_trueup_every_cost_center_holds_its_share_of_the_invoice(billing, excluded):
    read = parse_invoice(EXAMPLE, "invoice.yaml")
    books = posted({"ENG": "20000.00", "SUP": "10000.00", "DAT": "3516.20"})
    trueup = trueup_of(read, billing, books)
    assert trueup.excluded == excluded and trueup.charged_back == read.total - excluded
    journal = trueup.journal
    assert journal.debits == journal.credits and journal.debits_usd == journal.credits_usd
    assert {line.account for line in journal.lines if line.cost_center is None} == {"2150"}  # the clearing account
    change = by_center(journal)
    after = {code: books.usd[code] + change.get(code, Decimal(0)) for code in books.usd}
    assert after == {line.code: line.target_usd for line in trueup.lines}
    assert sum(after.values()) == read.total - excluded
    assert journal.journal_id == "CB-2026-10-T1"
    assert {line.external_id for line in journal.lines} <= {f"CB-2026-10-T1-{code}" for code in
                                                            ("ENG", "SUP", "DAT", "CREDIT")}
    assert all("INV-2026-10-0042" in line.memo and line.day == date(2026, 11, 3) for line in journal.lines)
    # each cost center within a cent of its exact share: usage pro rata, a part named for it whole
    basis = Fraction(sum(books.usd.values()))
    named = {"SUP": "credits", "DAT": "tax", "ENG": "other"} if "SUP" in billing else {}
    prorated = Fraction(read.usage) + sum((Fraction(read.part(part)) for part in ("credits", "tax", "other")
                                           if trueup.policies[part] == "pro_rata"), Fraction(0))
    for code, amount in after.items():
        exact = prorated * Fraction(books.usd[code]) / basis
        exact += Fraction(read.part(named[code])) if code in named else 0
        assert abs(Fraction(amount) - exact) < Fraction(1, 100), code


def test_a_split_where_rounding_each_center_misses_a_cent_still_adds_up_exactly():
    # three equal cost centers and a one-cent tax: each exact share is 0.00333…, which rounds to 0.00
    # per cost center (a cent lost); largest remainder gives the cent to the first of them
    read = parse_invoice(b"number: X1\nissuer: A\ndate: 2026-11-03\nusage: 30.00\ntax:\n"
                         b"  - {description: VAT, amount: 0.01}\ntotal: 30.01\n", "invoice.yaml")
    books = posted({"ENG": "10.00", "SUP": "10.00", "DAT": "10.00"})
    trueup = trueup_of(read, "", books)
    assert sum(round_cents(Fraction(1, 300)) for _ in range(3)) == 0  # what per-center rounding would post
    assert [line.target_usd for line in trueup.lines] == [Decimal("10.01"), Decimal("10.00"), Decimal("10.00")]
    assert trueup.journal.debits == Decimal("0.01") == trueup.journal.credits


def test_in_eur_the_trueup_balances_at_the_months_rate_and_the_centers_add_up_to_the_invoice_times_rate():
    read = parse_invoice(EXAMPLE, "invoice.yaml")
    books = posted({"ENG": "20000.00", "SUP": "10000.00", "DAT": "3516.20"},
                   {"ENG": "18420.00", "SUP": "9210.00", "DAT": "3238.42"}, currency="EUR")
    trueup = trueup_of(read, "", books, currency="EUR")
    journal = trueup.journal
    assert journal.ledger.currency == "EUR" and journal.debits == journal.credits
    assert journal.debits_usd == journal.credits_usd
    change = by_center(journal)
    after = {code: books.ledger[code] + change.get(code, Decimal(0)) for code in books.ledger}
    assert sum(after.values()) == round_cents(Fraction(trueup.charged_back) * Fraction("0.9210"))
    for line in trueup.lines:  # each within a cent of its exact share at the rate
        assert abs(Fraction(line.target) - Fraction(line.target_usd) * Fraction("0.9210")) < Fraction(1, 100)


def test_a_trueup_in_another_currency_or_rate_than_the_month_was_posted_at_is_refused():
    from reports.errors import UsageError

    read = parse_invoice(EXAMPLE, "invoice.yaml")
    with pytest.raises(UsageError, match="posted in USD at 1 per USD, but the configuration now says EUR"):
        trueup_of(read, "", posted({"ENG": "1.00"}), currency="EUR")
    books = posted({"ENG": "1.00"}, {"ENG": "0.92"}, currency="EUR")
    books = Posted(books.month, books.status, "EUR", Decimal("0.9180"), books.ledger, books.usd)  # another rate
    with pytest.raises(UsageError, match="at 0.9180 per USD, but the configuration now says EUR at 0.9210"):
        trueup_of(read, "", books, currency="EUR")


@pytest.mark.parametrize(("billing", "named"), [
    ("billing: {credits: OPS}\n", "chargeback.yaml:6: billing.credits: must be pro_rata, exclude or a cost center"),
    ("billing: {tolerance: -1}\n", "chargeback.yaml:6: billing.tolerance: must not be negative"),
    ("billing: {mode: postpaid}\n", "chargeback.yaml:6: billing.mode: must be one of invoiced, prepaid"),
    ("billing: {prepaid: yes}\n", "chargeback.yaml:6: billing.prepaid: unknown key"),
])
def test_billing_settings_are_checked_with_file_line_and_key(billing, named):
    with pytest.raises(ConfigError) as refused:
        parse_settings(config(billing), "chargeback.yaml")
    assert any(problem.startswith(named) for problem in refused.value.problems), refused.value.problems


def test_billing_defaults_and_accounts_are_read():
    settings = parse_settings(config('billing: {mode: prepaid, tolerance: 2.50, prepaid_account: "1350", '
                                     'payable_account: "2000"}\n'), "chargeback.yaml")
    billing = settings.billing
    assert (billing.mode, billing.credits, billing.tax, billing.other) == ("prepaid", "pro_rata", "pro_rata", "exclude")
    assert (billing.tolerance, billing.prepaid_account, billing.payable_account) == (Decimal("2.50"), "1350", "2000")
