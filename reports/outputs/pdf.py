"""The executive summary PDF: Report -> view model -> Jinja2 HTML -> WeasyPrint, offline.

The view model only picks, orders and labels what the Report already holds (plus chart
geometry from ``charts``); the template formats; the CSS does all of the print layout.
WeasyPrint gets a URL fetcher that serves files under ``templates/`` and nothing else, so
text that came from the API can never make the renderer touch the network.
"""

from __future__ import annotations

import calendar
import mimetypes
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from reports.core.history import HistoryRow
from reports.core.months import Month
from reports.core.report import Amount, CostCenterLine, Report, UnmappedWorkspace
from reports.core.money import ZERO
from reports.outputs import charts
from reports.outputs.formatting import build_environment
from reports.resources import templates_dir

TEMPLATE = "executive_summary.html"
TOP_PAYERS = 6  # largest API keys and users named in the summary
TOP_UNMAPPED = 8  # the rest are on the workbook's Reconciliation sheet
PAPERS = ("letter", "a4")

__all__ = [
    "PAPERS",
    "LocalFilesOnly",
    "build_environment",
    "build_view_model",
    "render_html",
    "render_pdf",
    "render_pdf_bytes",
]


class LocalFilesOnly(URLFetcher):
    """Serves ``file:`` URLs inside one folder; refuses everything else (http, data, ...)."""

    def __init__(self, root: Path) -> None:
        super().__init__(allowed_protocols=("file",))
        self.root = root.resolve()

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise ValueError(f"refusing to fetch {url!r}: only the shipped templates are used")
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise ValueError(f"refusing to fetch {url!r}: not a file under {self.root}")
        mime, _ = mimetypes.guess_type(path.name)
        return URLFetcherResponse(
            path.as_uri(),
            body=path.read_bytes(),
            headers={"Content-Type": mime or "application/octet-stream"},
        )


# ------------------------------------------------------------------ view model


@dataclass(frozen=True)
class Kpis:
    total: Decimal
    prior_total: Decimal | None
    change: Decimal | None
    change_ratio: Decimal | None
    allocated: Decimal
    allocated_share: Decimal | None
    unallocated: Decimal
    unallocated_share: Decimal | None
    unallocated_codes: tuple[str, ...]
    over_budget: int
    budgeted: int
    cache_hit_rate: Decimal | None


@dataclass(frozen=True)
class Row:
    """An Amount with its share of the month's total (for the breakdown tables)."""

    label: str
    amount: Decimal
    prior_amount: Decimal | None
    change: Decimal | None
    share: Decimal | None
    bar: charts.DivergingBar | None = None


def _unallocated_codes(report: Report) -> tuple[str, ...]:
    return (report.unallocated_code,) if report.unallocated_code else ()


def _kpis(report: Report) -> Kpis:
    codes = _unallocated_codes(report)
    unallocated = report.unallocated_total
    allocated = report.total - unallocated
    budgeted = [c for c in report.cost_centers if c.budget is not None]
    return Kpis(
        total=report.total,
        prior_total=report.prior_total,
        change=report.change,
        change_ratio=report.change_ratio,
        allocated=allocated,
        allocated_share=None if report.total == 0 else allocated / report.total,
        unallocated=unallocated,
        unallocated_share=None if report.total == 0 else unallocated / report.total,
        unallocated_codes=codes,
        over_budget=sum(1 for c in budgeted if c.variance is not None and c.variance > 0),
        budgeted=len(budgeted),
        cache_hit_rate=report.drivers.token_mix.cache_hit_rate,
    )


def _rows(amounts: tuple[Amount, ...], total: Decimal, *, bars: bool = False) -> list[Row]:
    diverging = charts.diverging([a.change for a in amounts]) if bars else None
    return [
        Row(
            label=a.label,
            amount=a.amount,
            prior_amount=a.prior_amount,
            change=a.change,
            share=None if total == 0 else a.amount / total,
            bar=None if diverging is None else diverging[i],
        )
        for i, a in enumerate(amounts)
    ]


def _largest(items: tuple[UnmappedWorkspace, ...]) -> list[UnmappedWorkspace]:
    return sorted(items, key=lambda item: -item.amount)


def _by_spend(lines: tuple[CostCenterLine, ...]) -> list[CostCenterLine]:
    return sorted(lines, key=lambda c: (-c.total, c.code))


def build_view_model(report: Report, *, paper: str = "letter") -> dict[str, Any]:
    """Everything the template shows, chosen and ordered; nothing formatted."""
    if paper not in PAPERS:
        raise ValueError(f"paper {paper!r} is not supported; use one of {', '.join(PAPERS)}")
    drivers = report.drivers
    centers = _by_spend(report.cost_centers)
    budgets = [c.budget for c in centers if c.budget is not None]
    variances = [c.variance for c in centers if c.variance is not None]
    # with the year's trend on the drivers' page, six workspaces keep the page whole (the rest are in the workbook)
    top_workspaces = drivers.top_workspaces[:8 if report.history is None else 6]
    return {
        "report": report,
        "paper": paper,
        "demo": report.run_info.demo,
        "month": report.month,
        "prior_month": report.month.prior(),
        "kpis": _kpis(report),
        "cost_centers": centers,
        "cost_center_totals": {
            "total": report.total,
            # Budget and variance totals cover the budgeted cost centers only.
            "budget": sum(budgets, ZERO) if budgets else None,
            "variance": sum(variances, ZERO) if variances else None,
            "prior_total": report.prior_total,
            "change": report.change,
        },
        # slimmer bars when the year's lines and tile share the first page
        "budget_chart": charts.budget_bars(
            [(c.code, c.name, c.total, c.budget) for c in centers],
            **({} if report.history is None else {"bar_height": 15, "gap": 7}),
        ),
        # shorter below the year's trend, so that the drivers keep to their page
        "daily_chart": charts.daily_chart(drivers.daily, drivers.prior_daily,
                                          height=190 if report.history is None else 122),
        "has_prior": report.prior_total is not None,
        "by_model": _rows(drivers.by_model, report.total),
        "by_cost_type": _rows(drivers.by_cost_type, report.total),
        "token_mix": charts.token_mix(drivers.token_mix),
        "usage_available": report.usage_available,
        "top_workspaces": _rows(top_workspaces, report.total),
        "more_workspaces": max(len(drivers.top_workspaces) - len(top_workspaces), 0),
        "movers": _rows(drivers.movers, report.total, bars=True),
        "priority_tokens": drivers.priority_tokens,
        "unmapped": _largest(report.reconciliation.unmapped)[:TOP_UNMAPPED],
        "more_unmapped": max(len(report.reconciliation.unmapped) - TOP_UNMAPPED, 0),
        "reconciliation": report.reconciliation,
        "failed_checks": [c for c in report.reconciliation.checks if c.status == "FAIL"],
        "warned_checks": [c for c in report.reconciliation.checks if c.status == "WARN"],
        "run_info": report.run_info,
        "restatement": report.restatement,
        "analytics": report.data_source == "analytics",
        "attribution": _rows(report.attributed_by, report.total),
        "top_keys": report.api_keys[:TOP_PAYERS],
        "more_keys": max(len(report.api_keys) - TOP_PAYERS, 0),
        "top_users": report.users[:TOP_PAYERS],
        "more_users": max(len(report.users) - TOP_PAYERS, 0),
        "list_price": _list_price(report),
        "ledger": _ledger(report),
        "history": report.history,
        "trend": _trend(report),
    }


@dataclass(frozen=True)
class ListPrice:
    total: Decimal  # list price of the month, to the cent
    discount: Decimal  # list price minus what was charged
    share: Decimal | None  # discount as a fraction of the list price


def _list_price(report: Report) -> ListPrice | None:
    if not report.has_list_prices:
        return None
    total = sum((line.list_price or ZERO for line in report.cost_centers), ZERO)
    discount = total - report.total
    return ListPrice(total, discount, None if total == 0 else discount / total)


@dataclass(frozen=True)
class LedgerView:
    """The journal's currency beside USD: shown only when the ledger is not in USD."""

    currency: str
    rate: Decimal
    total: Decimal
    by_cost_center: dict[str, Decimal]


def _ledger(report: Report) -> LedgerView | None:
    journal = report.journal
    if journal.ledger.is_usd:
        return None
    return LedgerView(journal.ledger.currency, journal.ledger.rate, journal.debits, journal.by_cost_center())


TREND_COST_CENTERS = 3  # the largest cost centers drawn beside the total


@dataclass(frozen=True)
class TrendView:
    """The twelve-month trend: its chart and what the axis rows print under each month."""

    chart: charts.TrendChart
    currency: str
    rows: tuple[HistoryRow, ...]


def _month_tick(month: Month) -> str:
    return f"{calendar.month_abbr[month.month]} \u2019{month.year % 100:02d}"


def _trend(report: Report) -> TrendView | None:
    """The total and the largest cost centers over the History's months (none when months mix currencies)."""
    history = report.history
    currency = None if history is None else history.table_currency
    if history is None or currency is None:
        return None
    spend = {code: sum((row.amount(code) or ZERO for row in history.rows), ZERO) for code in history.codes}
    largest = sorted((code for code in history.codes if spend[code] > 0), key=lambda code: (-spend[code], code))
    series = [("total", "Total", [row.total for row in history.rows])]
    series += [(f"cc{index}", code, [row.amount(code) for row in history.rows])
               for index, code in enumerate(largest[:TREND_COST_CENTERS], 1)]
    chart = charts.trend_chart([_month_tick(row.month) for row in history.rows],
                               [row.status for row in history.rows], series)
    return TrendView(chart, currency, history.rows)


# ------------------------------------------------------------------ rendering


def render_html(report: Report, *, paper: str = "letter") -> str:
    """The summary as an HTML string (autoescaped), for debugging and for the tests."""
    model = build_view_model(report, paper=paper)
    return build_environment(templates_dir()).get_template(TEMPLATE).render(**model)


@contextmanager
def _font_timestamps(moment: datetime) -> Iterator[None]:
    # fontTools stamps the subset fonts it embeds with "now" unless SOURCE_DATE_EPOCH is
    # set; pinning it to the run's generated-at makes the same Report give the same bytes.
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def render_pdf_bytes(report: Report, *, paper: str = "letter") -> bytes:
    """The executive summary PDF as bytes; the same Report gives the same bytes.

    Raises ValueError for an unknown ``paper``.
    """
    root = templates_dir()
    html = HTML(
        string=render_html(report, paper=paper),
        base_url=root.as_uri() + "/",
        url_fetcher=LocalFilesOnly(root),
    )
    with _font_timestamps(report.run_info.generated_at):
        return html.write_pdf()


def render_pdf(report: Report, path: Path, *, paper: str = "letter") -> None:
    """Write the executive summary to exactly ``path`` (the caller renames it into place)."""
    data = render_pdf_bytes(report, paper=paper)
    Path(path).write_bytes(data)
