"""One way to write money: the PDF, the email, the history sentences and the sheets print an amount alike."""

from decimal import Decimal

import pytest

from reports.core.history import Projection
from reports.core.money_text import amount_text, money_text
from reports.core.months import Month
from reports.email.compose import headline_from_manifest, render_bodies
from reports.outputs.formatting import build_environment
from reports.outputs.manifest_totals import YearToDate

AMOUNTS = [Decimal("-1234.5"), Decimal("1234.5"), Decimal("0.004"), Decimal("1234567.005")]


def test_the_rules_of_the_one_formatter():
    assert money_text(Decimal("-1234.5")) == "-$1,234.50"
    assert money_text(Decimal("-1234.5"), "EUR") == "-EUR 1,234.50"
    assert money_text(Decimal("1234567.005"), "EUR") == "EUR 1,234,567.01"  # half-up, not banker's
    assert money_text(Decimal("945.675"), signed=True) == "+$945.68"
    assert money_text(Decimal("-0.001"), signed=True) == "$0.00"  # no sign on nothing, never "-$0.00"
    assert money_text(Decimal("-0.001"), "EUR") == "EUR 0.00"
    assert amount_text(Decimal("-0.001")) == "0.00" and amount_text(Decimal("-1234.5")) == "-1,234.50"


@pytest.mark.parametrize("currency", ["USD", "EUR"])
@pytest.mark.parametrize("amount", AMOUNTS)
def test_the_pdf_filters_print_what_the_formatter_prints(amount, currency):
    env = build_environment()
    expected = money_text(amount, currency)
    assert env.from_string("{{ x | in_currency(c) }}").render(x=amount, c=currency) == expected
    if currency == "USD":
        assert env.from_string("{{ x | money }}").render(x=amount) == expected


@pytest.mark.parametrize("amount", AMOUNTS)
def test_the_emails_year_to_date_and_its_projection_sentence_print_euros_alike(amount):
    from test_email import manifest_of

    projection = Projection(amount, 3, amount * 4, "EUR", Month(2026, 1), Month(2026, 12))
    year = YearToDate(Month(2026, 1), Month(2026, 3), 3, 3, 0, "EUR", amount, None, None, projection.sentence)
    headline = headline_from_manifest(manifest_of(), Month(2026, 10))
    headline = type(headline)(**{**headline.__dict__, "year_to_date": year})
    text, html = render_bodies(headline, [], workbook=False)
    expected = money_text(amount, "EUR")
    assert f"year to date {expected} over" in projection.sentence  # the history's own sentence
    for body in (text, html):
        assert body.count(expected) >= 2, body  # the year's figure and the projection sentence, one form
        assert f"{amount_text(abs(amount))} EUR" not in body
