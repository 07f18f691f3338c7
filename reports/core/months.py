"""Calendar months in UTC: the reporting period and its API window (end exclusive)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
# The Admin API reports nothing before its own launch; a year before 2000 is a typing
# mistake (1999 for 2029), not a month anyone could have spend in.
FIRST_YEAR = 2000


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        match = _MONTH_RE.match(text.strip())
        if not match:
            raise ValueError(f"month {text!r} is not of the form YYYY-MM (for example 2026-10)")
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"month {text!r} has no month {month:02d}: MM runs from 01 to 12")
        if year < FIRST_YEAR:
            raise ValueError(f"month {text!r} is out of range: months from {FIRST_YEAR}-01 up to the last "
                             "complete month are accepted")
        return cls(year, month)

    @classmethod
    def last_complete(cls, now: datetime) -> Month:
        """The most recent calendar month that has fully ended at ``now`` (UTC)."""
        current = now.astimezone(UTC)
        return cls(current.year, current.month).prior()

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """Human name, e.g. ``October 2026``."""
        return f"{calendar.month_name[self.month]} {self.year}"

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """Start of the next month: the API window's exclusive end."""
        return self.next().start

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(self.last_day.day)]

    def plus(self, count: int) -> Month:
        """The month ``count`` months later (earlier when negative): the one month arithmetic."""
        index = self.year * 12 + (self.month - 1) + count
        return Month(index // 12, index % 12 + 1)

    def prior(self) -> Month:
        return self.plus(-1)

    def next(self) -> Month:
        return self.plus(1)


def month_span(first: Month, last: Month) -> tuple[Month, ...]:
    """Every month from ``first`` to ``last``, both included, oldest first; empty when ``first`` is later."""
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    return tuple(first.plus(offset) for offset in range(max(count, 0)))


def rfc3339(moment: datetime) -> str:
    """``2026-10-01T00:00:00Z`` as the API writes timestamps: how every file records a moment.

    A naive datetime is taken as UTC (the package's times are UTC), never as the machine's local time.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
