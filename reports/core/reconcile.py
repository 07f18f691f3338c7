"""The Report's reconciliation: every check that the month's figures agree, to the cent. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction

from reports.core.checks import Check, Figure, FigureKind, Reconciliation, Status, UnmappedWorkspace
from reports.core.journal import ledger_checks
from reports.core.journal_entry import Journal
from reports.core.line_items import LineItems
from reports.core.money import ZERO, cents_to_dollars
from reports.core.money_text import money_text
from reports.core.months import Month
from reports.core.records import API_KEY, Directory
from reports.core.report import CostCenterLine
from reports.core.settings import Settings
from reports.core.totals import MonthTotals, exact_allocations, exact_decimal


def _exact_approx(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.000001"))


def reconciliation_of(month: Month, current: MonthTotals, centers: Sequence[CostCenterLine],
                      journal: Journal, line_items: LineItems, directory: Directory,
                      settings: Settings, days_with_data: set[date] | None,
                      unknown_cost_types: Iterable[str], extra_checks: Sequence[Check]) -> Reconciliation:
    """The month's checks (totals, journal, ledger, days, cost types, unmapped workspaces) and their figures."""
    allocated = current.allocation.allocated_total
    source = Fraction(current.source_total)
    allocated_decimal = exact_decimal(allocated)
    line_sum = sum(line_items.amounts_cents(), ZERO)
    debits, credits = journal.debits_usd, journal.credits_usd  # the ledger's currency is checked below
    center_sum = sum((line.total for line in centers), ZERO)

    worst_gap = max((abs(Fraction(line.total) - current.allocation.total(line.code)) for line in centers),
                    default=Fraction(0))

    def check(name: str, expected: str | Figure, actual: str | Figure, ok: bool, detail: str = "") -> Check:
        return Check(name, expected, actual, Status.PASS if ok else Status.FAIL, detail)

    checks = [
        check("Line items add up to the source total (cents)", Figure(current.source_total_cents, FigureKind.CENTS),
              Figure(line_sum, FigureKind.CENTS), line_sum == current.source_total_cents,
              f"{len(line_items)} line items, one per API cost row"),
        check("Allocated total equals source total (exact)", Figure(current.source_total, FigureKind.EXACT),
              Figure(allocated_decimal, FigureKind.EXACT),
              allocated == source),
        check("Cost center totals add up to the rounded month total", Figure(current.rounded_total),
              Figure(center_sum), center_sum == current.rounded_total),
        check("Journal debits equal credits", Figure(debits), Figure(credits), debits == credits),
        check("Journal total equals the rounded month total", Figure(current.rounded_total), Figure(debits),
              debits == current.rounded_total),
        check("Each Summary row: Direct + Shared = Total", "all rows", "all rows" if all(
            line.direct + line.shared == line.total for line in centers) else "mismatch",
            all(line.direct + line.shared == line.total for line in centers)),
        check("Each cost center within one cent of its exact share", "less than 0.01",
              Figure(_exact_approx(worst_gap), FigureKind.EXACT), worst_gap < Fraction(1, 100)),
    ]
    checks += ledger_checks(journal, exact_allocations(settings, current), source)
    if days_with_data is not None:
        expected_days = set(month.days)
        missing = sorted(expected_days - days_with_data)
        # The API returns a bucket for every day, empty ones included; a missing day is shown
        # loudly, but it is not a disagreement between totals, so it warns rather than fails.
        checks.append(Check("Every day of the month was returned", f"{len(expected_days)} days",
                            f"{len(expected_days & days_with_data)} days", Status.WARN if missing else Status.PASS,
                            "the API returned no bucket for " + ", ".join(d.isoformat() for d in missing)
                            if missing else ""))
    checks.extend(extra_checks)
    for cost_type in sorted(unknown_cost_types):
        checks.append(Check("Unknown cost type included", "known cost types", cost_type, Status.WARN,
                            f"cost type {cost_type!r} is new to this tool; its amounts are included as reported"))
    unmapped = _unmapped(current, directory, settings)
    by_workspace: dict[tuple[str, str], Decimal] = {}
    for item in unmapped:  # one warning per workspace; the table lists every key and actor in it
        key = (item.workspace_id, item.name)
        by_workspace[key] = by_workspace.get(key, ZERO) + item.amount
    for (workspace_id, name), amount in by_workspace.items():
        # the legacy Default workspace has no ID; the analytics API's null workspace is no workspace at all
        checks.append(Check("Unmapped workspace taken by the unallocated cost center", "mapped",
                            f"{name} ({workspace_id})" if workspace_id else name, Status.WARN,
                            f"{money_text(amount)} went to {settings.unallocated}; "
                            "add it to a cost center in the config"
                            + ("" if directory.null_workspace_is_default else
                               " (or its API keys and users: the Reconciliation sheet lists them)")))
    return Reconciliation(
        source_total_cents=current.source_total_cents,
        source_total=current.source_total,
        allocated_total=allocated_decimal,
        rounded_total=current.rounded_total,
        journal_debits=debits,
        journal_credits=credits,
        rounding_difference=current.rounded_total - current.source_total,
        line_item_count=len(line_items),
        unmapped=unmapped,
        checks=tuple(checks),
    )


def _unmapped(current: MonthTotals, directory: Directory, settings: Settings) -> tuple[UnmappedWorkspace, ...]:
    items = [
        UnmappedWorkspace(workspace_id=payer.workspace_id or "", name=directory.workspace_name(payer.workspace_id),
                          amount=cents_to_dollars(current.sums.by_payer[payer]), taken_by=settings.unallocated or "",
                          api_key=directory.api_key_name(payer.api_key_id) if payer.api_key_id else "",
                          actor="" if payer.actor is not None and payer.actor.kind == API_KEY
                          and payer.actor.id == payer.api_key_id else directory.actor_label(payer.actor))
        for payer in current.allocation.unmapped
    ]
    items.sort(key=lambda item: (item.workspace_id == "", item.workspace_id, item.api_key, item.actor))
    return tuple(items)
