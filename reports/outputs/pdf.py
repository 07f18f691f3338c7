"""The executive summary PDF: Report -> view model -> Jinja2 HTML -> WeasyPrint, offline.

The view model only picks, orders and labels what the Report already holds (plus chart
geometry from ``charts``); the template formats; the CSS does all of the print layout.
WeasyPrint itself (``pdf_engine``) runs in this process or, for a run, in a second process
while the other outputs are written (``start_pdf``).
"""

from __future__ import annotations

import calendar
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import reports
from reports.core.checks import Status, UnmappedWorkspace
from reports.core.config_checks import UNALLOCATED_SHARE
from reports.core.history import HistoryRow
from reports.core.money import ZERO
from reports.core.months import Month
from reports.core.report import Amount, CostCenterLine, Report
from reports.errors import RenderError
from reports.outputs import charts
from reports.outputs.formatting import build_environment
from reports.resources import templates_dir

TEMPLATE = "executive_summary.html"
TOP_PAYERS = 6  # largest API keys and users named in the summary
TOP_UNMAPPED = 8  # the rest are on the workbook's Reconciliation sheet
PAPERS = ("letter", "a4")

# The renderer needs none of the run's secrets (the Admin API key, the SMTP password).
_SECRET_NAME = re.compile(r"(KEY|PASSWORD|SECRET|TOKEN)$", re.IGNORECASE)

__all__ = [
    "PAPERS",
    "PendingPdf",
    "build_environment",
    "build_view_model",
    "render_html",
    "render_pdf",
    "render_pdf_bytes",
    "start_pdf",
]


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
        # Budgeted, Without a budget, Total: each variance is the spend beside it minus the budget beside it
        "against_budget": report.against_budget,
        "cost_center_totals": {
            "total": report.total,
            "prior_total": report.prior_total,
            "change": report.change,
        },
        # slimmer bars when the year's lines and tile share the first page, slimmer still for many
        # cost centers, so that the table and its footnote stay on page 1
        "budget_chart": charts.budget_bars(
            [(c.code, c.name, c.total, c.budget) for c in centers],
            **({} if report.history is None else {"bar_height": 15, "gap": 7} if len(centers) < 7
               else {"bar_height": 13, "gap": 5}),
        ),
        # shorter below the year's trend, so that the drivers keep to their page
        "daily_chart": charts.daily_chart(drivers.daily, drivers.prior_daily,
                                          height=190 if report.history is None else 112),
        "has_prior": bool(drivers.prior_daily),  # the daily chart draws the prior month only when it was fetched
        "by_model": _rows(drivers.by_model, report.total),
        "by_cost_type": _rows(drivers.by_cost_type, report.total),
        "by_product": _rows(drivers.by_product, report.total),
        "token_mix": charts.token_mix(drivers.token_mix),
        "usage_available": report.usage_available,
        "top_workspaces": _rows(top_workspaces, report.total),
        # the workbook's Workspaces sheet lists every workspace: count the rest from all of them
        "more_workspaces": max(len(report.workspaces) - len(top_workspaces), 0),
        "movers": _rows(drivers.movers, report.total, bars=True),
        "prior": report.prior,
        "late_data": None if report.prior is None else report.prior.late_data,
        "priority_tokens": drivers.priority_tokens,
        "unmapped": _largest(report.reconciliation.unmapped)[:TOP_UNMAPPED],
        "more_unmapped": max(len(report.reconciliation.unmapped) - TOP_UNMAPPED, 0),
        "reconciliation": report.reconciliation,
        "failed_checks": [c for c in report.reconciliation.checks if c.status == Status.FAIL],
        "warned_checks": [c for c in report.reconciliation.checks if c.status == Status.WARN],
        "unallocated_warning": next((c for c in report.reconciliation.checks
                                     if c.name == UNALLOCATED_SHARE and c.status == Status.WARN), None),
        "run_info": report.run_info,
        "restatement": report.restatement,
        "attribution_columns": report.has_attribution_columns,
        "payers": report.has_payers,
        "source_title": report.source_title,
        "refreshed": report.has_refresh_time,
        "priority_included": report.priority_tier_included,
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


def _with_books(rows: tuple[HistoryRow, ...]) -> tuple[HistoryRow, ...]:
    """The History's months from the first that has books (posted, or a folder left out as a gap) on.

    The months before it were never run: drawn, a first month would read as eleven gaps.
    The gaps after it stay, so a month missing from the books is seen.
    """
    first = next((index for index, row in enumerate(rows) if not row.is_gap or row.note is not None), len(rows))
    return rows[first:]


def _trend(report: Report) -> TrendView | None:
    """The total and the largest cost centers over the History's months with books (none when months mix
    currencies)."""
    history = report.history
    currency = None if history is None else history.table_currency
    if history is None or currency is None:
        return None
    rows = _with_books(history.rows)
    spend = {code: sum((row.amount(code) or ZERO for row in rows), ZERO) for code in history.codes}
    largest = sorted((code for code in history.codes if spend[code] > 0), key=lambda code: (-spend[code], code))
    series = [("total", "Total", [row.total for row in rows])]
    # the legend names each cost center beside its code, as the History sheet's header does
    series += [(f"cc{index}", f"{code} {history.names.get(code, '')}".strip(),
                [row.amount(code) for row in rows])
               for index, code in enumerate(largest[:TREND_COST_CENTERS], 1)]
    chart = charts.trend_chart([_month_tick(row.month) for row in rows], [row.status for row in rows], series,
                               slots=len(history.rows))
    return TrendView(chart, currency, rows)


# ------------------------------------------------------------------ rendering


def render_html(report: Report, *, paper: str = "letter") -> str:
    """The summary as an HTML string (autoescaped), for debugging and for the tests."""
    model = build_view_model(report, paper=paper)
    return build_environment(templates_dir()).get_template(TEMPLATE).render(**model)


def _epoch(report: Report) -> int:
    return int(report.run_info.generated_at.timestamp())


def render_pdf_bytes(report: Report, *, paper: str = "letter") -> bytes:
    """The executive summary PDF as bytes, rendered in this process; the same Report gives the same bytes.

    Raises ValueError for an unknown ``paper``.
    """
    from reports.outputs.pdf_engine import html_to_pdf  # WeasyPrint is slow to import: only when used

    return html_to_pdf(render_html(report, paper=paper), templates_dir(), _epoch(report))


def render_pdf(report: Report, path: Path, *, paper: str = "letter") -> None:
    """Write the executive summary to exactly ``path`` (the caller renames it into place)."""
    Path(path).write_bytes(render_pdf_bytes(report, paper=paper))


class PendingPdf:
    """The executive summary being rendered by a child process while the run writes its other outputs.

    ``finish()`` waits for it and writes exactly ``path``; ``cancel()`` (always safe, also after
    ``finish``) stops the child. The child only reads its job and writes the PDF's bytes to a
    pipe, so stopping the run at any point leaves no file behind. The bytes are the ones
    ``render_pdf_bytes`` gives for the same Report.
    """

    def __init__(self, path: Path, process: subprocess.Popen[bytes], lifeline: int = -1):
        self.path = Path(path)
        self._process = process
        self._lifeline = lifeline  # the write end of the pipe the child watches: open while this run lives
        self._done = False

    def finish(self) -> None:
        data, errors = self._process.communicate()
        self._done = True
        self._cut_lifeline()
        status = self._process.returncode
        if status != 0:
            lines = errors.decode("utf-8", "replace").strip().splitlines()
            if status < 0:  # killed (out of memory?): whatever it printed before is not the reason
                detail = f"the renderer was stopped by signal {-status}"
            else:  # the child's last line is its error (warnings may come before it)
                detail = lines[-1] if lines else f"the renderer exited with status {status}"
            raise RenderError(f"the executive summary PDF could not be rendered ({detail}); nothing was published")
        self.path.write_bytes(data)

    def cancel(self) -> None:
        if self._done:
            return
        self._done = True
        if self._process.poll() is None:
            self._process.kill()
        self._process.communicate()  # reaps it and closes the pipes
        self._cut_lifeline()

    def _cut_lifeline(self) -> None:
        if self._lifeline >= 0:
            os.close(self._lifeline)
            self._lifeline = -1


def child_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The renderer's environment: this one without its secrets, importing this copy of the package."""
    env = {name: value for name, value in environ.items() if not _SECRET_NAME.search(name)}
    package_parent = Path(reports.__file__).resolve().parent.parent
    if package_parent.name != "site-packages":  # a checkout: the child would not find it by itself
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(package_parent), env.get("PYTHONPATH")]))
    return env


def start_pdf(report: Report, path: Path, *, paper: str = "letter") -> PendingPdf:
    """Start rendering the executive summary in a second process; see PendingPdf.

    The HTML is made here (a bad ``paper`` is a ValueError now, not later); the child is this
    Python running ``reports.outputs.pdf_child`` from the same copy of the package.
    """
    job = json.dumps({"html": render_html(report, paper=paper), "root": str(templates_dir()),
                      "epoch": _epoch(report)}).encode()
    # The job goes in through an unnamed temporary file rather than a pipe: a pipe would hold
    # the run until the child had imported WeasyPrint and read it.
    # The lifeline: a pipe whose write end only this process holds (os.pipe's ends are not
    # inherited), so the kernel closes it when this process ends in any way, SIGKILL included,
    # and the child, which watches the read end, stops instead of rendering on as an orphan.
    watched, lifeline = os.pipe()
    try:
        with tempfile.TemporaryFile() as stdin:
            stdin.write(job)
            stdin.seek(0)
            process = subprocess.Popen([sys.executable, "-m", "reports.outputs.pdf_child", "--lifeline",
                                        str(watched), "--parent", str(os.getpid())], stdin=stdin,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(watched,),
                                       env=child_environment(os.environ))
    except BaseException:
        os.close(lifeline)
        raise
    finally:
        os.close(watched)
    return PendingPdf(path, process, lifeline)
