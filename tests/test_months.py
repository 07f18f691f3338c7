"""Month arithmetic in one place: shifts across years, spans, and the neighbours every report uses."""

import pytest

from reports.backfill import month_range
from reports.core.history import fiscal_months, window
from reports.core.months import Month, month_span
from reports.errors import UsageError


def test_shifting_crosses_years_both_ways():
    assert Month(2026, 1).plus(-1) == Month(2025, 12) == Month(2026, 1).prior()
    assert Month(2026, 12).plus(1) == Month(2027, 1) == Month(2026, 12).next()
    assert Month(2026, 10).plus(-22) == Month(2024, 12) and Month(2026, 10).plus(27) == Month(2029, 1)
    assert Month(2026, 10).plus(0) == Month(2026, 10)


def test_a_span_has_every_month_once_in_order():
    span = month_span(Month(2025, 11), Month(2026, 2))
    assert span == (Month(2025, 11), Month(2025, 12), Month(2026, 1), Month(2026, 2))
    assert month_span(Month(2026, 3), Month(2026, 3)) == (Month(2026, 3),)
    assert month_span(Month(2026, 4), Month(2026, 3)) == ()


def test_the_history_window_the_fiscal_year_and_a_backfill_count_months_alike():
    month = Month(2026, 2)
    assert window(month) == month_span(Month(2025, 3), month)
    assert fiscal_months(month, 4) == month_span(Month(2025, 4), month)
    assert month_range(Month(2025, 4), month) == list(fiscal_months(month, 4))
    with pytest.raises(UsageError, match="is after"):
        month_range(month, Month(2025, 4))


def test_every_file_records_a_moment_in_utc_even_from_another_zone_or_a_naive_time():
    from datetime import datetime, timedelta, timezone

    from reports.core.months import rfc3339

    paris = timezone(timedelta(hours=1))
    assert rfc3339(datetime(2026, 11, 1, 7, 12, 3, tzinfo=paris)) == "2026-11-01T06:12:03Z"
    assert rfc3339(datetime(2026, 11, 1, 6, 12, 3)) == "2026-11-01T06:12:03Z"  # naive is UTC, not local time
