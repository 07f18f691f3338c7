"""The year so far, from what was posted: twelve months, the fiscal year to date, budget to date, the projection. Pure.

The figures are the posted journals as read from the month folders (``reports.outputs.history``
does the reading): a closed month's sealed journal plus its restatements' adjustments, a month
run but not closed its latest run's journal. Nothing here is recomputed from API data or from
today's mapping; only the budgets, which are plans and not posted figures, come from today's
configuration. A month with no posted figures is a gap (``None``), never a zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from reports.core.money import ZERO, round_cents
from reports.core.money_text import money_text
from reports.core.months import Month, month_span
from reports.core.settings import USD, Settings

CLOSED = "closed"
RESTATED = "restated"
NOT_CLOSED = "not closed"
GAP = "gap"
STATUSES = (CLOSED, RESTATED, NOT_CLOSED, GAP)
WINDOW = 12  # months in the History table, ending with the reported month
YEAR = 12  # months in a fiscal year
# A run rate from one or two months says more about those months than about the year.
MIN_PROJECTION_MONTHS = 3


def window(month: Month, size: int = WINDOW) -> tuple[Month, ...]:
    """The ``size`` months ending with ``month``, oldest first."""
    return month_span(month.plus(1 - size), month)


def fiscal_year_start(month: Month, start_month: int) -> Month:
    """The first month of the fiscal year that ``month`` belongs to (fiscal years start in ``start_month``)."""
    if not 1 <= start_month <= 12:
        raise ValueError(f"a fiscal year starts in a month from 1 to 12, not {start_month}")
    return Month(month.year if month.month >= start_month else month.year - 1, start_month)


def fiscal_months(month: Month, start_month: int) -> tuple[Month, ...]:
    """The fiscal year's months from its first month up to ``month``, oldest first."""
    return month_span(fiscal_year_start(month, start_month), month)


# ---------------------------------------------------------------- what was posted


@dataclass(frozen=True)
class Posted:
    """What is posted for one month, per cost center, in the journal's currency and in USD.

    For a closed month: the sealed journal plus every restatement's adjustment journal; for a
    month run but not closed: its latest run's journal. A cost center that a month's run did
    not know has no key (blank in the History, not zero).
    """

    month: Month
    status: str  # closed | restated | not closed
    currency: str  # the journal's (ledger's) currency
    rate: Decimal  # units of ``currency`` per 1 USD, as posted
    ledger: Mapping[str, Decimal]  # cost center -> posted amount in ``currency``
    usd: Mapping[str, Decimal]  # cost center -> the same in USD
    names: Mapping[str, str] = field(default_factory=dict)
    restatements: tuple[str, ...] = ()  # labels of the adjustments included, R1 first
    trueups: tuple[str, ...] = ()  # labels of the invoice true-ups included, T1 first
    # what those true-ups added per cost center (USD): credits, tax, other invoice lines, not usage
    trueup_usd: Mapping[str, Decimal] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        """The posted journal total in the journal's currency."""
        return sum(self.ledger.values(), ZERO)

    @property
    def total_usd(self) -> Decimal:
        return sum(self.usd.values(), ZERO)

    def plus(self, adjustment: Adjustment) -> Posted:
        """This month with one more restatement's adjustment posted (status ``restated``)."""
        if adjustment.currency != self.currency:
            raise ValueError(f"{self.month}: the adjustment {adjustment.label} is in {adjustment.currency}, "
                             f"the posted journal in {self.currency}")
        return Posted(self.month, RESTATED, self.currency, self.rate,
                      _add(self.ledger, adjustment.ledger), _add(self.usd, adjustment.usd),
                      {**self.names, **adjustment.names}, self.restatements + (adjustment.label,), self.trueups,
                      self.trueup_usd)

    def trued_up(self, adjustment: Adjustment) -> Posted:
        """This month with an invoice's true-up posted too (counted like an adjustment; the status is kept)."""
        if adjustment.currency != self.currency:
            raise ValueError(f"{self.month}: the true-up {adjustment.label} is in {adjustment.currency}, "
                             f"the posted journal in {self.currency}")
        return Posted(self.month, self.status, self.currency, self.rate,
                      _add(self.ledger, adjustment.ledger), _add(self.usd, adjustment.usd),
                      {**self.names, **adjustment.names}, self.restatements, self.trueups + (adjustment.label,),
                      _add(self.trueup_usd, adjustment.usd))


@dataclass(frozen=True)
class Adjustment:
    """A restatement's adjustment journal, per cost center (signed: a debit is positive).

    Made from a journal by ``posting.adjustment_of``.
    """

    label: str  # R1, R2, ...
    currency: str
    ledger: Mapping[str, Decimal]
    usd: Mapping[str, Decimal]
    names: Mapping[str, str] = field(default_factory=dict)


def _add(base: Mapping[str, Decimal], change: Mapping[str, Decimal]) -> dict[str, Decimal]:
    total = dict(base)
    for code, amount in change.items():
        total[code] = total.get(code, ZERO) + amount
    return total


@dataclass(frozen=True)
class Unreadable:
    """A month folder that exists but cannot be trusted (its seal or manifest does not verify)."""

    month: Month
    reason: str  # names the folder and what is wrong


# ---------------------------------------------------------------- the table


@dataclass(frozen=True)
class HistoryRow:
    """One month of the History table."""

    month: Month
    status: str  # closed | restated | not closed | gap
    currency: str | None  # None for a gap
    total: Decimal | None  # None for a gap, never 0
    amounts: Mapping[str, Decimal]  # cost center -> posted amount; absent is blank
    restatements: tuple[str, ...] = ()
    note: str | None = None  # why a folder that exists is a gap
    trueups: tuple[str, ...] = ()  # invoice true-ups included

    @property
    def is_gap(self) -> bool:
        return self.status == GAP

    def amount(self, code: str) -> Decimal | None:
        return self.amounts.get(code)


@dataclass(frozen=True)
class YearLine:
    """A cost center over the fiscal year so far."""

    code: str
    name: str
    year_to_date: Decimal | None  # None when nothing was posted for it this fiscal year
    budget_to_date: Decimal | None  # None without a budget
    variance: Decimal | None  # year to date minus budget to date; positive is over budget


@dataclass(frozen=True)
class Projection:
    """The full fiscal year at the run rate so far: year to date ÷ months posted × 12."""

    year_to_date: Decimal
    months: int  # fiscal months with posted figures
    projected: Decimal  # to the cent
    currency: str
    first: Month  # the fiscal year's first and last months
    last: Month

    @property
    def sentence(self) -> str:
        """The projection with its method, in one sentence (the PDF, the workbook and the CLI say the same)."""
        months = f"{self.months} month{'s' if self.months != 1 else ''}"
        return (f"Projection, not a forecast: year to date {money_text(self.year_to_date, self.currency)} over "
                f"{months} posted, × 12 ÷ {self.months} = {money_text(self.projected, self.currency)} for the "
                f"full fiscal year {self.first.label} – {self.last.label} at the current run rate.")


@dataclass(frozen=True)
class History:
    """The History sheet: trailing twelve months × cost center, then the fiscal year to date."""

    month: Month  # the reported month, the last row
    fiscal_start: Month  # the first month of its fiscal year
    rows: tuple[HistoryRow, ...]  # twelve, oldest first
    codes: tuple[str, ...]  # today's cost centers in config order, then any no longer configured
    names: Mapping[str, str]
    year_months: tuple[Month, ...]  # the fiscal year's months up to the reported month
    currency: str | None  # of the year-to-date sums; None when they cannot be made
    year_to_date: Decimal | None  # every cost center, over the posted months of the fiscal year
    budget_to_date: Decimal | None  # the budgeted cost centers' budgets for those same months
    variance: Decimal | None  # year_to_date - budget_to_date
    lines: tuple[YearLine, ...]  # one per code
    projection: Projection | None  # None from fewer than MIN_PROJECTION_MONTHS posted months
    notes: tuple[str, ...] = ()

    @property
    def year_rows(self) -> tuple[HistoryRow, ...]:
        return tuple(row for row in self.rows if row.month in self.year_months)

    @property
    def posted_year_months(self) -> int:
        return sum(1 for row in self.year_rows if not row.is_gap)

    @property
    def months_posted(self) -> str:
        """How many of the fiscal year's months so far are posted: ``3 of 11 months posted``."""
        months = len(self.year_months)
        return f"{self.posted_year_months} of {months} month{'s' if months != 1 else ''} posted"

    @property
    def projection_text(self) -> str | None:
        """The projection sentence, or why there is none (too few months posted); None without a year to date."""
        if self.projection is not None:
            return self.projection.sentence
        if self.year_to_date is None:
            return None
        return f"No run-rate projection from fewer than {MIN_PROJECTION_MONTHS} posted months."

    @property
    def unclosed_year_months(self) -> int:
        return sum(1 for row in self.year_rows if row.status == NOT_CLOSED)

    @property
    def table_currency(self) -> str | None:
        """The one currency of every month shown, or None when months were posted in different ones."""
        currencies = {row.currency for row in self.rows if row.currency is not None}
        return currencies.pop() if len(currencies) == 1 else None

    def row(self, month: Month) -> HistoryRow:
        return next(row for row in self.rows if row.month == month)


def build_history(month: Month, posted: Mapping[Month, Posted | Unreadable], settings: Settings) -> History:
    """The History of ``month`` from what was posted (months not in ``posted`` are gaps)."""
    months = window(month)
    rows = tuple(_row(m, posted.get(m)) for m in months)
    configured = [center.code for center in settings.cost_centers]
    seen = [code for row in rows for code in row.amounts if code not in configured]
    codes = tuple(configured + sorted(dict.fromkeys(seen)))
    names: dict[str, str] = {}
    for item in (posted.get(m) for m in months):
        if isinstance(item, Posted):
            names.update(item.names)
    names.update({center.code: center.name for center in settings.cost_centers})

    year_months = fiscal_months(month, settings.fiscal_year_start)
    year_rows = [row for row in rows if row.month in year_months]
    posted_rows = [row for row in year_rows if not row.is_gap]
    currencies = sorted({row.currency for row in posted_rows if row.currency is not None})
    notes = _month_notes(rows)
    currency = currencies[0] if len(currencies) == 1 else None
    if len(currencies) > 1:
        by_currency = "; ".join(f"{c}: {', '.join(str(r.month) for r in posted_rows if r.currency == c)}"
                                for c in currencies)
        notes.append(f"The fiscal year's months were posted in different currencies ({by_currency}): no year-to-date "
                     f"sum, budget comparison or projection is made; convert them at rates of your choosing.")

    def year_sum(values: Iterable[Decimal | None]) -> Decimal | None:
        present = [value for value in values if value is not None]
        return sum(present, ZERO) if present else None

    # Budget to date counts the months year to date counts: the posted ones, never a gap.
    budgets_apply = currency in (None, USD) and len(currencies) <= 1 and bool(posted_rows)
    lines = []
    for code in codes:
        ytd = year_sum(row.amount(code) for row in posted_rows) if currency is not None else None
        budget = _budget_to_date(settings, code, len(posted_rows)) if budgets_apply else None
        lines.append(YearLine(code, names.get(code, code), ytd, budget,
                              None if ytd is None or budget is None else ytd - budget))
    year_to_date = year_sum(row.total for row in posted_rows) if currency is not None else None
    budgeted = [line for line in lines if line.budget_to_date is not None]
    budgets = [line.budget_to_date for line in lines if line.budget_to_date is not None]
    budget_to_date = sum(budgets, ZERO) if budgets else None
    # the Total column's variance is its own Year to Date minus its own Budget to Date
    variance = None if year_to_date is None or budget_to_date is None else year_to_date - budget_to_date
    if currency is not None and currency != USD and any(_has_budget(settings, code) for code in codes):
        notes.append(f"Budgets are planned in USD and the journal is in {currency}: Budget to Date and Variance "
                     f"are left empty rather than converted at a rate the books never used.")

    first = year_months[0]
    projection = None
    n = len(posted_rows)
    if year_to_date is not None and n >= MIN_PROJECTION_MONTHS:
        projection = Projection(year_to_date, n, round_cents(year_to_date * YEAR / n), currency or USD, first,
                                first.plus(YEAR - 1))
    gaps = [row for row in year_rows if row.is_gap]
    if gaps and posted_rows:
        notes.append(f"Year to date covers the {n} of the fiscal year's {len(year_months)} months "
                     f"from {first} to {month} that have posted figures"
                     f"{' (and Budget to Date the same months)' if budgeted else ''}; "
                     f"{', '.join(str(row.month) for row in gaps)} {'is a gap' if len(gaps) == 1 else 'are gaps'} "
                     f"(not counted as zero).")
    if budgeted:
        notes.append(f"Budget to Date is today's configured budgets, which are plans and not posted figures, for "
                     f"the {n} posted month{'s' if n != 1 else ''} of the fiscal year from {first.label}: each "
                     f"monthly budget × {n}, or annual_budget × {n} ÷ 12 (to the cent). Variance is Year to Date "
                     f"minus Budget to Date in every column; the Total column's Year to Date includes the cost "
                     f"centers without a budget.")
    return History(month, first, rows, codes, names, year_months, currency, year_to_date, budget_to_date, variance,
                   tuple(lines), projection, tuple(notes))


def _row(month: Month, item: Posted | Unreadable | None) -> HistoryRow:
    if item is None:
        return HistoryRow(month, GAP, None, None, {})
    if isinstance(item, Unreadable):
        return HistoryRow(month, GAP, None, None, {}, note=item.reason)
    return HistoryRow(month, item.status, item.currency, item.total, dict(item.ledger), item.restatements,
                      trueups=item.trueups)


def _month_notes(rows: Sequence[HistoryRow]) -> list[str]:
    notes = []
    never = [str(row.month) for row in rows if row.is_gap and row.note is None]
    if never:
        notes.append(f"Never run (a gap, shown empty and never as zero): {', '.join(never)}.")
    for row in rows:
        if row.note is not None:
            notes.append(f"{row.month} is left out: {row.note}")
    unclosed = [str(row.month) for row in rows if row.status == NOT_CLOSED]
    if unclosed:
        notes.append(f"Not closed (the latest run's journal, which a later run may still change): "
                     f"{', '.join(unclosed)}.")
    for row in rows:
        if row.status == RESTATED:
            notes.append(f"{row.month} is restated: the sealed journal plus the adjustments of "
                         f"{', '.join(row.restatements)}.")
    for row in rows:
        if row.trueups:
            notes.append(f"{row.month} includes its invoice true-up{'s' if len(row.trueups) > 1 else ''} "
                         f"{', '.join(row.trueups)} (what the invoice added to the usage journal).")
    return notes


def _has_budget(settings: Settings, code: str) -> bool:
    return any(c.code == code and (c.budget is not None or c.annual_budget is not None)
               for c in settings.cost_centers)


def _budget_to_date(settings: Settings, code: str, months: int) -> Decimal | None:
    """Monthly budget × months, or an explicit annual budget prorated by months ÷ 12 (half-up to the cent)."""
    center = next((c for c in settings.cost_centers if c.code == code), None)
    if center is None:
        return None
    if center.annual_budget is not None:
        return round_cents(center.annual_budget * months / YEAR)
    if center.budget is not None:
        return center.budget * months
    return None
