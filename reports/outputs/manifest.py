"""manifest.json: provenance, totals and a SHA-256 for every file the run wrote.

One frozen type with its writing and its reading in this module, so the run that writes the
manifest, ``close`` that seals it and ``email`` that quotes its totals cannot drift apart.
Amounts are decimal strings in the file and ``Decimal`` in the type, never floats.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from reports.core.budget import BUDGETED, TOTAL, WITHOUT_A_BUDGET, AgainstBudget, BudgetLine
from reports.core.checks import Status
from reports.core.config_checks import UNALLOCATED_SHARE, UNKNOWN_IDS
from reports.core.history import Adjustment, History
from reports.core.months import Month, rfc3339
from reports.core.posting import adjustment_of
from reports.core.replaced import Replaced
from reports.core.report import Report
from reports.core.settings import COST_REPORT, SOURCES
from reports.errors import DataError, UsageError
from reports.outputs.folder import sha256_file
from reports.outputs.names import MANIFEST

FORMAT = 1
FETCHED = ("api", "demo", "offline")


@dataclass(frozen=True)
class FileEntry:
    """A file of the month folder (path relative to it) and its SHA-256."""

    file: str
    sha256: str
    query: str | None = None  # raw pages: the query they answer
    request_id: str | None = None  # raw pages: the API's request-id header

    def to_json(self, *, raw: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {"file": self.file, "sha256": self.sha256}
        if raw:  # raw/index.json has neither
            data.update(query=self.query, request_id=self.request_id)
        return data


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
    def from_json(cls, data: Any, where: _Reader) -> LedgerTotals:
        ledger = where.mapping(data, "totals.ledger")
        centers = where.mapping(ledger.get("cost_centers"), "totals.ledger.cost_centers")
        return cls(
            currency=where.text(ledger.get("currency"), "totals.ledger.currency"),
            rate=where.amount(ledger.get("exchange_rate"), "totals.ledger.exchange_rate"),
            total=where.amount(ledger.get("total"), "totals.ledger.total"),
            cost_center_totals={code: where.amount(value, f"totals.ledger.cost_centers.{code}")
                                for code, value in centers.items()},
        )


def _adjustment_json(adjustment: Adjustment) -> dict[str, Any]:
    return {"label": adjustment.label, "currency": adjustment.currency,
            "cost_centers": {code: str(amount) for code, amount in adjustment.ledger.items()},
            "cost_centers_usd": {code: str(amount) for code, amount in adjustment.usd.items()},
            "names": dict(adjustment.names)}


def _adjustment_from_json(data: Any, where: _Reader) -> Adjustment:
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
        return {"total": str(part.total), "budget": _text(part.budget), "variance": _text(part.variance)}

    return {"budgeted_cost_centers": budget.budgeted_count, "budgeted": line(budget.budgeted),
            "without_budget": {"total": str(budget.without_budget.total)}, "total": line(budget.total)}


def _against_budget_from_json(data: Any, where: _Reader) -> AgainstBudget:
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
                "currency": self.currency, "total": _text(self.total), "budget": _text(self.budget),
                "variance": _text(self.variance), "projection": self.projection}

    @classmethod
    def from_json(cls, data: Any, where: _Reader) -> YearToDate:
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
            "prior_total": _text(self.prior_total),
            "change": _text(self.change),
            "change_ratio": _text(self.change_ratio),
            "line_items": self.line_items,
            "unallocated": str(self.unallocated),
            "cost_centers": [
                {"code": line.code, "name": line.name, "total": str(line.total), "budget": _text(line.budget),
                 "variance": _text(line.variance), "prior_total": _text(line.prior_total),
                 "change": _text(line.change)}
                for line in self.cost_centers
            ],
            **({"ledger": self.ledger.to_json()} if self.ledger is not None else {}),
            **({"adjustment": _adjustment_json(self.adjustment)} if self.adjustment is not None else {}),
            **({"year_to_date": self.year_to_date.to_json()} if self.year_to_date is not None else {}),
            **({"against_budget": _against_budget_json(self.against_budget)}
               if self.against_budget is not None else {}),
        }

    @classmethod
    def from_json(cls, data: Any, where: _Reader) -> Totals:
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
            adjustment=None if totals.get("adjustment") is None else _adjustment_from_json(totals["adjustment"], where),
            year_to_date=None if totals.get("year_to_date") is None else YearToDate.from_json(
                totals["year_to_date"], where),
            against_budget=None if totals.get("against_budget") is None else _against_budget_from_json(
                totals["against_budget"], where),
        )


@dataclass(frozen=True)
class Manifest:
    """What one run wrote, and from what."""

    run_id: str
    month: Month
    tool_version: str
    source: str  # which API the month was read from: cost_report (legacy) or analytics
    demo: bool
    organization: str
    generated_at: str  # UTC, 2026-11-01T06:00:00Z
    data_fetched_at: str | None
    config_file: str
    config_sha256: str
    requests_made: int | None
    raw_pages: tuple[FileEntry, ...]  # every API page, and raw/index.json
    outputs: tuple[FileEntry, ...]  # every other file the run wrote, except the manifest itself
    totals: Totals
    reconciliation: Mapping[str, Any] = field(default_factory=dict)
    fetched: str = "api"  # how the pages were had: api | demo (the simulator) | offline (a saved snapshot)
    data_refreshed_at: str | None = None  # analytics: the API's data_refreshed_at
    replaces: Replaced | None = None  # a re-run of an open month: the run it replaces (kept in replaced/), the change

    @property
    def files(self) -> tuple[FileEntry, ...]:
        """Every file the manifest vouches for (the manifest itself excluded)."""
        return self.raw_pages + self.outputs

    def output(self, name: str) -> FileEntry | None:
        """The entry of an output by its file name, if the run wrote it (never a replaced run's file of that name)."""
        exact = next((entry for entry in self.outputs if entry.file == name), None)
        return exact or next((entry for entry in self.outputs if Path(entry.file).name == name
                              and not entry.file.startswith("replaced/")), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "run_id": self.run_id,
            "month": str(self.month),
            "tool_version": self.tool_version,
            "source": self.source,
            "fetched": self.fetched,
            "demo": self.demo,
            "organization": self.organization,
            "generated_at": self.generated_at,
            "data_fetched_at": self.data_fetched_at,
            "data_refreshed_at": self.data_refreshed_at,
            "config_file": self.config_file,
            "config_sha256": self.config_sha256,
            "requests_made": self.requests_made,
            "raw_pages": [entry.to_json(raw=True) for entry in self.raw_pages],
            "outputs": [entry.to_json() for entry in self.outputs],
            "totals": self.totals.to_json(),
            "reconciliation": dict(self.reconciliation),
            **({"replaces": _replaces_json(self.replaces)} if self.replaces is not None else {}),
        }

    def write(self, folder: Path) -> Path:
        path = folder / MANIFEST
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_json(cls, data: Any, shown: str) -> Manifest:
        """Parse a manifest's JSON; DataError naming the file and the key for anything malformed."""
        where = _Reader(shown)
        top = where.mapping(data, "the manifest")
        requests = top.get("requests_made")
        return cls(
            run_id=where.text(top.get("run_id"), "run_id"),
            month=where.month(top.get("month"), "month"),
            tool_version=where.text(top.get("tool_version"), "tool_version"),
            # manifests before the analytics source said how the pages were had in "source"
            source=where.text(top.get("data_source") or (top.get("source") if top.get("source") in SOURCES
                                                         else COST_REPORT), "source"),
            fetched=where.text(top.get("fetched") or (top.get("source") if top.get("source") in FETCHED
                                                      else "api"), "fetched"),
            demo=bool(top.get("demo")),
            organization=where.text(top.get("organization"), "organization", empty=True),
            generated_at=where.text(top.get("generated_at"), "generated_at"),
            data_fetched_at=None if top.get("data_fetched_at") is None else where.text(
                top.get("data_fetched_at"), "data_fetched_at"),
            data_refreshed_at=None if top.get("data_refreshed_at") is None else where.text(
                top.get("data_refreshed_at"), "data_refreshed_at"),
            config_file=where.text(top.get("config_file"), "config_file"),
            config_sha256=where.text(top.get("config_sha256"), "config_sha256"),
            requests_made=None if requests is None else where.count(requests, "requests_made"),
            raw_pages=where.entries(top.get("raw_pages"), "raw_pages"),
            outputs=where.entries(top.get("outputs"), "outputs"),
            totals=Totals.from_json(top.get("totals"), where),
            reconciliation=dict(where.mapping(top.get("reconciliation", {}), "reconciliation")),
            replaces=None if top.get("replaces") is None else _replaces_from_json(top["replaces"], where),
        )

    @classmethod
    def read(cls, folder: Path, month: Month) -> Manifest:
        """The manifest of a published month folder; UsageError when the month was never run."""
        path = folder / MANIFEST
        if not path.is_file():
            raise UsageError(f"no {MANIFEST} for {month} in {folder}: run `chargeback run --month {month}` first")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise DataError(f"{path}: cannot read the manifest ({exc})") from None
        manifest = cls.from_json(data, str(path))
        if manifest.month != month:
            raise DataError(f"{path}: the manifest is for {manifest.month}, not {month}")
        return manifest


RECORDED_WARNINGS = frozenset({UNALLOCATED_SHARE, UNKNOWN_IDS})


def build_manifest(folder: Path, report: Report, raw_files: Iterable[FileEntry], outputs: Iterable[str], *,
                   config_file: str, requests_made: int | None) -> Manifest:
    """The manifest of a run written into ``folder``: hashes every output as it is now."""
    info = report.run_info
    return Manifest(
        run_id=info.run_id,
        month=report.month,
        tool_version=info.tool_version,
        source=info.data_source,
        fetched=info.source,
        demo=info.demo,
        organization=report.organization,
        generated_at=rfc3339(info.generated_at),
        data_fetched_at=rfc3339(info.data_fetched_at) if info.data_fetched_at else None,
        data_refreshed_at=rfc3339(info.data_refreshed_at) if info.data_refreshed_at else None,
        config_file=config_file,
        config_sha256=info.config_sha256,
        requests_made=requests_made,
        raw_pages=tuple(raw_files),
        outputs=tuple(FileEntry(name, sha256_file(folder / name)) for name in outputs),
        totals=Totals.of(report),
        # the warnings `close` acts on are recorded too (the others repeat per workspace or cost type)
        reconciliation={check.name: check.status for check in report.reconciliation.checks
                        if check.status != Status.WARN or check.name in RECORDED_WARNINGS}
        | {"unmapped_workspaces": len(report.reconciliation.unmapped)},
        replaces=info.replaces,
    )


def _replaces_json(replaced: Replaced) -> dict[str, Any]:
    """``replaces``: the replaced run, its total, and each cost center's difference (this run minus it)."""
    return {"run_id": replaced.run_id, "generated_at": replaced.generated_at, "folder": replaced.folder,
            "total": _text(replaced.total), "total_change": str(replaced.total_change),
            "changes": {code: str(amount) for code, amount in replaced.changes}, "text": replaced.text}


def _replaces_from_json(data: Any, where: _Reader) -> Replaced:
    item = where.mapping(data, "replaces")
    changes = where.mapping(item.get("changes", {}), "replaces.changes")
    generated_at = item.get("generated_at")
    return Replaced(
        run_id=where.text(item.get("run_id"), "replaces.run_id"),
        generated_at=None if generated_at is None else where.text(generated_at, "replaces.generated_at"),
        total=where.optional_amount(item.get("total"), "replaces.total"),
        total_change=where.amount(item.get("total_change"), "replaces.total_change"),
        changes=tuple((code, where.amount(value, f"replaces.changes.{code}")) for code, value in changes.items()),
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def read_json_values(shown: str) -> _Reader:
    """A reader of manifest-shaped JSON values (the seal keeps the manifest's totals) for file ``shown``."""
    return _Reader(shown)


class _Reader:
    """Reads a manifest's JSON values, naming the file and key of anything malformed."""

    def __init__(self, shown: str):
        self.shown = shown

    def fail(self, key: str, message: str) -> DataError:
        return DataError(f"{self.shown}: {key} {message}")

    def mapping(self, value: Any, key: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, "is missing or not an object")
        return value

    def list(self, value: Any, key: str) -> list:
        if not isinstance(value, list):
            raise self.fail(key, "is missing or not a list")
        return value

    def text(self, value: Any, key: str, *, empty: bool = False) -> str:
        if not isinstance(value, str) or (not value and not empty):
            raise self.fail(key, f"must be text, got {value!r}")
        return value

    def count(self, value: Any, key: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(key, f"must be a whole number, got {value!r}")
        return value

    def month(self, value: Any, key: str) -> Month:
        try:
            return Month.parse(self.text(value, key))
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None

    def amount(self, value: Any, key: str) -> Decimal:
        if not isinstance(value, str):
            raise self.fail(key, f"must be a decimal string, got {value!r}")
        try:
            parsed = Decimal(value)
        except InvalidOperation:
            raise self.fail(key, f"{value!r} is not a decimal amount") from None
        if not parsed.is_finite():
            raise self.fail(key, f"{value!r} is not a finite amount")
        return parsed

    def optional_amount(self, value: Any, key: str) -> Decimal | None:
        return None if value is None else self.amount(value, key)

    def entries(self, value: Any, key: str) -> tuple[FileEntry, ...]:
        entries = []
        for index, raw in enumerate(self.list(value, key)):
            item = self.mapping(raw, f"{key}[{index}]")
            entries.append(FileEntry(
                file=self.text(item.get("file"), f"{key}[{index}].file"),
                sha256=self.text(item.get("sha256"), f"{key}[{index}].sha256"),
                query=item.get("query") if isinstance(item.get("query"), str) else None,
                request_id=item.get("request_id") if isinstance(item.get("request_id"), str) else None,
            ))
        return tuple(entries)
