"""The totals a manifest records (the month, its ledger, the year to date), written to JSON and read back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from reports.core.budget import BUDGETED, TOTAL, WITHOUT_A_BUDGET, AgainstBudget, BudgetLine
from reports.core.history import Adjustment, History
from reports.core.months import Month
from reports.core.posting import adjustment_of
from reports.core.report import Report
from reports.outputs.json_values import JsonReader, text_or_none


@dataclass(frozen=True)
class CostCenterTotal:
    code: str
    name: str
    total: Decimal  # the journal debit
    budget: Decimal | None = None
    variance: Decimal | None = None
    prior_total: Decimal | None = None
    change: Decimal | None = None


@dataclass(frozen=True)
class LedgerTotals:
    """The journal as posted to the ledger: its currency, the month's rate, each cost center's amount.

    What a restatement needs to journal only the differences in the ledger's currency.
    """

    currency: str
    rate: Decimal  # units of ``currency`` per 1 USD
    total: Decimal  # the journal's debits in ``currency``
    cost_center_totals: Mapping[str, Decimal]  # cost centers with a journal line

    @classmethod
    def of(cls, report: Report) -> LedgerTotals:
        journal = report.journal
        return cls(journal.ledger.currency, journal.ledger.rate, journal.debits, journal.by_cost_center())

    @classmethod
    def usd(cls, totals: Totals) -> LedgerTotals:
        """A manifest written before ledgers were recorded: its journal was in USD."""
        return cls("USD", Decimal(1), totals.total, totals.cost_center_totals)

    def to_json(self) -> dict[str, Any]:
        return {"currency": self.currency, "exchange_rate": str(self.rate), "total": str(self.total),
                "cost_centers": {code: str(amount) for code, amount in self.cost_center_totals.items()}}

    @classmethod
    def from_json(cls, data: Any, where: JsonReader) -> LedgerTotals:
        ledger = where.mapping(data, "totals.ledger")
        centers = where.mapping(ledger.get("cost_centers"), "totals.ledger.cost_centers")
        return cls(
            currency=where.text(ledger.get("currency"), "totals.ledger.currency"),
            rate=where.amount(ledger.get("exchange_rate"), "totals.ledger.exchange_rate"),
            total=where.amount(ledger.get("total"), "totals.ledger.total"),
            cost_center_totals={code: where.amount(value, f"totals.ledger.cost_centers.{code}")
                                for code, value in centers.items()},
        )


def adjustment_json(adjustment: Adjustment) -> dict[str, Any]:
    return {"label": adjustment.label, "currency": adjustment.currency,
            "cost_centers": {code: str(amount) for code, amount in adjustment.ledger.items()},
            "cost_centers_usd": {code: str(amount) for code, amount in adjustment.usd.items()},
            "names": dict(adjustment.names)}


def adjustment_from_json(data: Any, where: JsonReader) -> Adjustment:
    item = where.mapping(data, "totals.adjustment")
    names = where.mapping(item.get("names", {}), "totals.adjustment.names")

    def amounts(key: str) -> dict[str, Decimal]:
        return {code: where.amount(value, f"totals.adjustment.{key}.{code}")
                for code, value in where.mapping(item.get(key), f"totals.adjustment.{key}").items()}

    return Adjustment(label=where.text(item.get("label"), "totals.adjustment.label"),
                      currency=where.text(item.get("currency"), "totals.adjustment.currency"),
                      ledger=amounts("cost_centers"), usd=amounts("cost_centers_usd"),
                      names={code: where.text(name, f"totals.adjustment.names.{code}") for code, name in names.items()})


def _against_budget_json(budget: AgainstBudget) -> dict[str, Any]:
    def line(part: BudgetLine) -> dict[str, Any]:
        return {"total": str(part.total), "budget": text_or_none(part.budget), "variance": text_or_none(part.variance)}

    return {"budgeted_cost_centers": budget.budgeted_count, "budgeted": line(budget.budgeted),
            "without_budget": {"total": str(budget.without_budget.total)}, "total": line(budget.total)}


def _against_budget_from_json(data: Any, where: JsonReader) -> AgainstBudget:
    key = "totals.against_budget"
    item = where.mapping(data, key)

    def line(name: str, label: str) -> BudgetLine:
        part = where.mapping(item.get(name), f"{key}.{name}")
        return BudgetLine(label, where.amount(part.get("total"), f"{key}.{name}.total"),
                          where.optional_amount(part.get("budget"), f"{key}.{name}.budget"))

    return AgainstBudget(line("budgeted", BUDGETED), line("without_budget", WITHOUT_A_BUDGET), line("total", TOTAL),
                         where.count(item.get("budgeted_cost_centers"), f"{key}.budgeted_cost_centers"))


@dataclass(frozen=True)
class YearToDate:
    """The fiscal year so far as the run's History sheet shows it, for the email (amounts as text-exact Decimals)."""

    fiscal_year_start: Month
    through: Month
    months: int  # months of the fiscal year so far
    posted_months: int  # of them with posted figures (the others are gaps)
    not_closed_months: int  # of them not closed yet
    currency: str | None  # None: posted in different currencies, no sum made
    total: Decimal | None
    budget: Decimal | None  # budget to date of the budgeted cost centers, for the posted months only
    variance: Decimal | None  # total - budget
    projection: str | None  # the projection sentence with its method, or why there is none

    @classmethod
    def of(cls, history: History) -> YearToDate:
        return cls(history.fiscal_start, history.month, len(history.year_months), history.posted_year_months,
                   history.unclosed_year_months, history.currency, history.year_to_date, history.budget_to_date,
                   history.variance, history.projection_text)

    def to_json(self) -> dict[str, Any]:
        return {"fiscal_year_start": str(self.fiscal_year_start), "through": str(self.through), "months": self.months,
                "posted_months": self.posted_months, "not_closed_months": self.not_closed_months,
                "currency": self.currency, "total": text_or_none(self.total), "budget": text_or_none(self.budget),
                "variance": text_or_none(self.variance), "projection": self.projection}

    @classmethod
    def from_json(cls, data: Any, where: JsonReader) -> YearToDate:
        item = where.mapping(data, "totals.year_to_date")
        key = "totals.year_to_date."
        currency, projection = item.get("currency"), item.get("projection")
        return cls(
            fiscal_year_start=where.month(item.get("fiscal_year_start"), key + "fiscal_year_start"),
            through=where.month(item.get("through"), key + "through"),
            months=where.count(item.get("months"), key + "months"),
            posted_months=where.count(item.get("posted_months"), key + "posted_months"),
            not_closed_months=where.count(item.get("not_closed_months"), key + "not_closed_months"),
            currency=None if currency is None else where.text(currency, key + "currency"),
            total=where.optional_amount(item.get("total"), key + "total"),
            budget=where.optional_amount(item.get("budget"), key + "budget"),
            variance=where.optional_amount(item.get("variance"), key + "variance"),
            projection=None if projection is None else where.text(projection, key + "projection"),
        )


@dataclass(frozen=True)
class Totals:
    """The headline numbers of the run (what ``close`` seals and ``email`` quotes)."""

    total: Decimal  # the month's total rounded half-up to the cent
    source_total_cents: Decimal
    source_total: Decimal
    prior_month: Month
    prior_total: Decimal | None
    change: Decimal | None
    change_ratio: Decimal | None
    line_items: int
    unallocated: Decimal
    cost_centers: tuple[CostCenterTotal, ...]
    currency: str = "USD"  # of every amount above (the API's amounts are in USD)
    ledger: LedgerTotals | None = None  # the journal in the ledger's currency; None in older manifests
    adjustment: Adjustment | None = None  # a restatement's adjustment journal per cost center (what it posts)
    year_to_date: YearToDate | None = None  # the fiscal year so far; None in older manifests
    against_budget: AgainstBudget | None = None  # budgeted, without a budget, total; None in older manifests

    @property
    def cost_center_totals(self) -> dict[str, Decimal]:
        return {line.code: line.total for line in self.cost_centers}

    @property
    def cost_center_names(self) -> dict[str, str]:
        return {line.code: line.name for line in self.cost_centers}

    @classmethod
    def of(cls, report: Report) -> Totals:
        return cls(
            total=report.total,
            source_total_cents=report.reconciliation.source_total_cents,
            source_total=report.reconciliation.source_total,
            prior_month=report.month.prior(),
            prior_total=report.prior_total,
            change=report.change,
            change_ratio=report.change_ratio,
            line_items=report.reconciliation.line_item_count,
            unallocated=report.unallocated_total,
            cost_centers=tuple(
                CostCenterTotal(line.code, line.name, line.total, line.budget, line.variance, line.prior_total,
                                line.change)
                for line in report.cost_centers),
            ledger=LedgerTotals.of(report),
            adjustment=None if report.restatement is None else adjustment_of(
                report.restatement.label, report.restatement.adjustment_journal),
            year_to_date=None if report.history is None else YearToDate.of(report.history),
            against_budget=report.against_budget,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "source_total_cents": str(self.source_total_cents),
            "source_total": str(self.source_total),
            "total": str(self.total),
            "prior_month": str(self.prior_month),
            "prior_total": text_or_none(self.prior_total),
            "change": text_or_none(self.change),
            "change_ratio": text_or_none(self.change_ratio),
            "line_items": self.line_items,
            "unallocated": str(self.unallocated),
            "cost_centers": [
                {"code": line.code, "name": line.name, "total": str(line.total), "budget": text_or_none(line.budget),
                 "variance": text_or_none(line.variance), "prior_total": text_or_none(line.prior_total),
                 "change": text_or_none(line.change)}
                for line in self.cost_centers
            ],
            **({"ledger": self.ledger.to_json()} if self.ledger is not None else {}),
            **({"adjustment": adjustment_json(self.adjustment)} if self.adjustment is not None else {}),
            **({"year_to_date": self.year_to_date.to_json()} if self.year_to_date is not None else {}),
            **({"against_budget": _against_budget_json(self.against_budget)}
               if self.against_budget is not None else {}),
        }

    @classmethod
    def from_json(cls, data: Any, where: JsonReader) -> Totals:
        totals = where.mapping(data, "totals")
        centers = []
        for index, raw in enumerate(where.list(totals.get("cost_centers"), "totals.cost_centers")):
            key = f"totals.cost_centers[{index}]"
            item = where.mapping(raw, key)
            centers.append(CostCenterTotal(
                code=where.text(item.get("code"), f"{key}.code"),
                name=where.text(item.get("name"), f"{key}.name"),
                total=where.amount(item.get("total"), f"{key}.total"),
                budget=where.optional_amount(item.get("budget"), f"{key}.budget"),
                variance=where.optional_amount(item.get("variance"), f"{key}.variance"),
                prior_total=where.optional_amount(item.get("prior_total"), f"{key}.prior_total"),
                change=where.optional_amount(item.get("change"), f"{key}.change"),
            ))
        return cls(
            total=where.amount(totals.get("total"), "totals.total"),
            source_total_cents=where.amount(totals.get("source_total_cents"), "totals.source_total_cents"),
            source_total=where.amount(totals.get("source_total"), "totals.source_total"),
            prior_month=where.month(totals.get("prior_month"), "totals.prior_month"),
            prior_total=where.optional_amount(totals.get("prior_total"), "totals.prior_total"),
            change=where.optional_amount(totals.get("change"), "totals.change"),
            change_ratio=where.optional_amount(totals.get("change_ratio"), "totals.change_ratio"),
            line_items=where.count(totals.get("line_items"), "totals.line_items"),
            unallocated=where.amount(totals.get("unallocated"), "totals.unallocated"),
            cost_centers=tuple(centers),
            currency=where.text(totals.get("currency", "USD"), "totals.currency"),
            ledger=None if totals.get("ledger") is None else LedgerTotals.from_json(totals["ledger"], where),
            adjustment=None if totals.get("adjustment") is None else adjustment_from_json(totals["adjustment"], where),
            year_to_date=None if totals.get("year_to_date") is None else YearToDate.from_json(
                totals["year_to_date"], where),
            against_budget=None if totals.get("against_budget") is None else _against_budget_from_json(
                totals["against_budget"], where),
        )
