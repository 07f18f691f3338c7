"""Chart geometry for the executive summary: plain numbers in, SVG coordinates out.

No drawing happens here and no text is formatted: the template turns these records into
inline SVG elements (vector, searchable text) and formats the values with the same
filters as the tables. Coordinates are SVG user units inside each chart's ``viewBox``;
the CSS scales the whole chart to the column width.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reports.core.records import TokenCounts
from reports.core.report import DailySpend
from reports.outputs.formatting import clipped

ZERO = Decimal(0)
_NICE_STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))


def _f(value: Decimal | int) -> float:
    """Geometry only: floats are fine for pixels, never for the amounts shown."""
    return float(value)


def _r(value: float) -> float:
    return round(value, 2)


def clip(label: str, limit: int = 26) -> str:
    """SVG text does not wrap: long labels are cut shorter than a table's names (``formatting.clipped``)."""
    return clipped(label, limit)


def nice_step(maximum: Decimal, ticks: int = 4) -> Decimal:
    """A round tick step (1, 2, 2.5 or 5 x 10^k) so that ``ticks`` steps cover ``maximum``."""
    if maximum <= 0:
        return Decimal(1)
    raw = maximum / ticks
    exponent = raw.adjusted()
    magnitude = Decimal(10) ** exponent
    for step in _NICE_STEPS:
        if step * magnitude >= raw:
            return step * magnitude
    return Decimal(10) * magnitude  # pragma: no cover - the loop always returns


# ------------------------------------------------------------------ horizontal bars


@dataclass(frozen=True)
class HBar:
    label: str  # e.g. cost center name
    code: str
    value: Decimal
    budget: Decimal | None
    y: float  # top of the bar
    height: float
    within_width: float  # the part of the bar up to the budget (or all of it)
    over_x: float  # where the over-budget part starts
    over_width: float  # 0 when not over budget
    budget_x: float | None  # x of the budget marker
    text_y: float  # baseline for labels

    @property
    def over_budget(self) -> bool:
        return self.over_width > 0


@dataclass(frozen=True)
class HBarChart:
    width: float
    height: float
    plot_x: float
    plot_width: float
    value_right: float  # right edge of the value labels column
    bars: tuple[HBar, ...]
    has_budget: bool


def budget_bars(
    rows: Sequence[tuple[str, str, Decimal, Decimal | None]],
    *,
    width: float = 700,
    label_width: float = 175,
    value_width: float = 215,
    bar_height: float = 17,
    gap: float = 10,
    top: float = 4,
) -> HBarChart:
    """Bars for (code, label, value, budget) rows, in the given order, on one shared scale.

    The part of a bar beyond its budget is drawn separately (hatched), and each budgeted
    row gets a marker at its budget, so the chart reads without colour.
    """
    scale_max = max(
        [value for _, _, value, _ in rows] + [b for *_, b in rows if b is not None] + [ZERO]
    )
    plot_x = label_width
    plot_width = width - label_width - value_width
    per_unit = plot_width / _f(scale_max) if scale_max > 0 else 0.0

    bars = []
    y = top
    for code, label, value, budget in rows:
        value_w = max(_f(value), 0.0) * per_unit
        if budget is not None and value > budget:
            within = max(_f(budget), 0.0) * per_unit
            over = value_w - within
        else:
            within, over = value_w, 0.0
        budget_x = None if budget is None else plot_x + max(_f(budget), 0.0) * per_unit
        bars.append(
            HBar(
                label=clip(label),
                code=code,
                value=value,
                budget=budget,
                y=_r(y),
                height=bar_height,
                within_width=_r(within),
                over_x=_r(plot_x + within),
                over_width=_r(over),
                budget_x=None if budget_x is None else _r(budget_x),
                text_y=_r(y + bar_height * 0.72),
            )
        )
        y += bar_height + gap
    return HBarChart(
        width=width,
        height=_r(y - gap + top + 2),
        plot_x=plot_x,
        plot_width=_r(plot_width),
        value_right=_r(width - 118),
        bars=tuple(bars),
        has_budget=any(bar.budget is not None for bar in bars),
    )


# ------------------------------------------------------------------ daily line chart


@dataclass(frozen=True)
class Tick:
    position: float
    value: Decimal | None = None
    day: date | None = None



class _ValueAxis:
    """A vertical money axis from zero: a nice step, no empty top band, and where a value is drawn."""

    def __init__(self, maximum: Decimal, ticks: int, top: float, bottom: float):
        self.step = nice_step(maximum, ticks)
        y_max = self.step * ticks
        while y_max - self.step >= maximum and y_max > self.step:  # no empty top band
            y_max -= self.step
        self.y_max, self.top, self.bottom = y_max, top, bottom

    def y_at(self, amount: Decimal) -> float:
        share = _f(amount) / _f(self.y_max) if self.y_max > 0 else 0.0
        return self.bottom - (self.bottom - self.top) * max(share, 0.0)

    def ticks(self) -> tuple[Tick, ...]:
        out = []
        value = ZERO
        while value <= self.y_max:
            out.append(Tick(position=_r(self.y_at(value)), value=value))
            value += self.step
        return tuple(out)

@dataclass(frozen=True)
class LineChart:
    width: float
    height: float
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    area_path: str  # this month, closed to the baseline
    line_path: str  # this month
    prior_path: str  # prior month by day of month; "" when unknown
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    peak: Tick | None  # the highest day this month (position is x; value the amount)
    peak_y: float


def daily_chart(
    daily: Sequence[DailySpend],
    prior_daily: Sequence[DailySpend],
    *,
    width: float = 700,
    height: float = 190,
    left: float = 62,
    right: float = 12,
    top: float = 12,
    bottom: float = 24,
    ticks: int = 4,
) -> LineChart:
    """This month's daily spend as an area, the prior month as a line by day of month.

    The prior month is aligned on day numbers (1st with 1st); its days beyond this month's
    length are left off, so both series share one x axis.
    """
    days = len(daily)
    plot_left, plot_right = left, width - right
    plot_top, plot_bottom = top, height - bottom
    values = [d.amount for d in daily] + [d.amount for d in prior_daily[:days]]
    maximum = max(values + [ZERO])
    axis = _ValueAxis(maximum, ticks, plot_top, plot_bottom)
    y_at = axis.y_at

    def x_at(index: int) -> float:
        if days <= 1:
            return plot_left
        return plot_left + (plot_right - plot_left) * index / (days - 1)

    def path(series: Sequence[DailySpend]) -> str:
        points = [f"{_r(x_at(i))},{_r(y_at(d.amount))}" for i, d in enumerate(series[:days])]
        return "M" + " L".join(points) if points else ""

    line = path(daily)
    area = ""
    if daily:
        area = f"{line} L{_r(x_at(days - 1))},{plot_bottom} L{_r(x_at(0))},{plot_bottom} Z"

    x_ticks = tuple(
        Tick(position=_r(x_at(i)), day=daily[i].day) for i in range(0, days, 7)
    )
    peak = None
    peak_y = 0.0
    if daily and maximum > 0:
        index = max(range(days), key=lambda i: (daily[i].amount, -i))
        peak = Tick(position=_r(x_at(index)), value=daily[index].amount, day=daily[index].day)
        peak_y = _r(y_at(daily[index].amount))
    return LineChart(
        width=width,
        height=height,
        plot_left=plot_left,
        plot_right=plot_right,
        plot_top=plot_top,
        plot_bottom=plot_bottom,
        area_path=area,
        line_path=line,
        prior_path=path(prior_daily),
        y_ticks=axis.ticks(),
        x_ticks=x_ticks,
        peak=peak,
        peak_y=peak_y,
    )


# ------------------------------------------------------------------ token mix


@dataclass(frozen=True)
class Segment:
    key: str  # CSS class / pattern id suffix
    label: str
    tokens: int
    share: Decimal | None  # of all tokens; None when there were none
    x: float
    width: float


@dataclass(frozen=True)
class StackedBar:
    width: float
    height: float
    segments: tuple[Segment, ...]
    total: int


TOKEN_KINDS = (
    ("uncached", "Uncached input"),
    ("write5m", "Cache write (5m)"),
    ("write1h", "Cache write (1h)"),
    ("read", "Cache read"),
    ("output", "Output"),
)


def token_mix(counts: TokenCounts, *, width: float = 700, height: float = 22) -> StackedBar:
    """One 100% bar of all tokens by kind, in TOKEN_KINDS order."""
    values = (
        counts.uncached_input,
        counts.cache_write_5m,
        counts.cache_write_1h,
        counts.cache_read,
        counts.output,
    )
    total = sum(values)
    segments = []
    x = 0.0
    for (key, label), amount in zip(TOKEN_KINDS, values, strict=True):
        share = None if total == 0 else Decimal(amount) / Decimal(total)
        seg_width = 0.0 if total == 0 else width * amount / total
        segments.append(Segment(key, label, amount, share, _r(x), _r(seg_width)))
        x += seg_width
    return StackedBar(width=width, height=height, segments=tuple(segments), total=total)


# ------------------------------------------------------------------ diverging bars


@dataclass(frozen=True)
class DivergingBar:
    x: float
    width: float
    negative: bool


def diverging(changes: Sequence[Decimal | None], *, width: float = 100) -> tuple[DivergingBar, ...]:
    """Small in-cell bars for changes around a centre line (decreases left, increases right)."""
    largest = max([abs(c) for c in changes if c is not None] + [ZERO])
    half = width / 2
    bars = []
    for change in changes:
        if change is None or largest == 0:
            bars.append(DivergingBar(half, 0.0, False))
            continue
        extent = half * abs(_f(change)) / _f(largest)
        negative = change < 0
        bars.append(
            DivergingBar(_r(half - extent if negative else half), _r(extent), negative)
        )
    return tuple(bars)


# ------------------------------------------------------------------ twelve-month trend


@dataclass(frozen=True)
class TrendPoint:
    x: float
    y: float
    value: Decimal
    hollow: bool  # a month not closed: its figure may still change
    restated: bool


@dataclass(frozen=True)
class TrendSeries:
    key: str  # "total", or "cc1".. for the cost centers (CSS class and dash pattern)
    label: str
    path: str  # one "M…L…" run per stretch of months without a gap: gaps break the line
    points: tuple[TrendPoint, ...]  # months with a figure only


@dataclass(frozen=True)
class TrendMonth:
    x: float
    label: str
    gap: bool


@dataclass(frozen=True)
class TrendChart:
    width: float
    height: float
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    band_width: float  # width of a month's column (gaps are shaded across it)
    y_ticks: tuple[Tick, ...]
    months: tuple[TrendMonth, ...]
    series: tuple[TrendSeries, ...]  # the total first

    @property
    def has_gaps(self) -> bool:
        return any(month.gap for month in self.months)


def trend_chart(
    labels: Sequence[str],
    statuses: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[Decimal | None]]],
    *,
    width: float = 700,
    height: float = 114,
    left: float = 62,
    right: float = 12,
    top: float = 8,
    bottom: float = 40,  # room for three rows under each month: label, total, status
    ticks: int = 3,
    slots: int = 0,
) -> TrendChart:
    """Monthly lines on one scale: ``series`` is (key, label, one value or None per month), the total first.

    A None value is a gap: no point and a break in the line, never a drop to zero. Months whose
    status is "not closed" get hollow markers; "restated" ones are flagged. ``slots`` keeps each
    month's column as wide as in a chart of that many months, the months from the left: a year
    with three months of books draws three columns of a twelve-month width, not three wide ones.
    """
    count = len(labels)
    plot_left, plot_right = left, width - right
    plot_top, plot_bottom = top, height - bottom
    columns = max(count, slots)
    band = (plot_right - plot_left) / columns if columns else 0.0
    values = [value for _, _, row in series for value in row if value is not None]
    axis = _ValueAxis(max(values + [ZERO]), ticks, plot_top, plot_bottom)
    y_at = axis.y_at

    def x_at(index: int) -> float:
        return plot_left + band * (index + 0.5)

    drawn = []
    for key, label, row in series:
        runs: list[list[str]] = [[]]
        points = []
        for index, value in enumerate(row):
            if value is None:
                runs.append([])
                continue
            x, y = _r(x_at(index)), _r(y_at(value))
            runs[-1].append(f"{x},{y}")
            status = statuses[index]
            points.append(TrendPoint(x, y, value, status == "not closed", status == "restated"))
        path = " ".join("M" + " L".join(run) for run in runs if run)
        drawn.append(TrendSeries(key, clip(label, 40), path, tuple(points)))  # a code and its name

    gaps = [all(row[index] is None for _, _, row in series[:1]) for index in range(count)]
    return TrendChart(
        width=width, height=height, plot_left=plot_left, plot_right=plot_right, plot_top=plot_top,
        plot_bottom=plot_bottom, band_width=_r(band), y_ticks=axis.ticks(),
        months=tuple(TrendMonth(_r(x_at(i)), labels[i], gaps[i]) for i in range(count)),
        series=tuple(drawn),
    )
