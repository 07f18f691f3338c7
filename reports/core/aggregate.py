"""A month's Report from its source's data: sums, totals, views, reconciliation, drivers and notes. Pure.

Every number in the workbook, the journal, the PDF and the email comes from the Report
built here, so they agree to the cent by construction. Rows are summed by payer (an
``Attribution``, ``core.sums``) and rounded to cents in one place (``core.totals``);
workspaces, API keys and users are views of those sums (``core.views``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction

from reports.core.allocate import Rules
from reports.core.config_checks import month_config_checks
from reports.core.drivers import drivers_of
from reports.core.group_allocation import group_checks, group_owners, groups_report
from reports.core.history import Posted
from reports.core.journal import ledger_for, month_journal
from reports.core.journal_entry import Journal
from reports.core.month_data import MonthData
from reports.core.months import Month
from reports.core.prior_compare import late_data_mover, prior_checks, prior_month, prior_notes
from reports.core.product_accounts import account_amounts
from reports.core.reconcile import reconciliation_of
from reports.core.records import CostRow
from reports.core.report import Drivers, Report, RunInfo
from reports.core.settings import Settings
from reports.core.sums import sum_costs, sum_usage
from reports.core.totals import MonthTotals, exact_allocations, month_totals
from reports.core.views import (
    api_key_lines,
    attributed_by,
    cost_center_lines,
    cost_grain,
    line_items_of,
    usage_lines_of,
    user_lines,
    workspace_lines,
)


def build_report(month: Month, settings: Settings, data: MonthData, run: RunInfo, *,
                 prior_posted: Posted | None = None, books_read: bool = False) -> Report:
    """The month's Report from what its source read: every figure of every output comes from here.

    ``prior_posted`` is the prior month as its month folder posted it, which Prior Month, Change
    and the movers then compare with (``core.prior``); ``books_read`` says the output folder was
    read, so that a prior month without a folder is said to be compared as fetched.
    """
    cost_rows, directory = data.cost_rows, data.directory
    # Each month's rows are read once into sums; only this month's rows are kept (line items).
    current_sums = sum_costs(cost_rows)
    prior_sums = data.prior_cost
    usage = data.usage
    owners, prior_owners = group_owners(settings, data)  # RBAC groups: one per user, each month by its own
    current = month_totals(month, current_sums, settings, directory, owners.code_of if owners else None)
    prior = month_totals(month.prior(), prior_sums, settings, directory,
                         prior_owners.code_of if prior_owners else None) if prior_sums is not None else None
    groups = groups_report(settings, data, owners, current)

    rules = Rules.of(settings, owners.code_of if owners else None, month)
    compared = prior_month(month.prior(), prior_posted, prior)
    centers = cost_center_lines(settings, current, compared)
    journal = _journal(month, settings, current, cost_rows)
    usage_sums = usage or sum_usage(())
    workspaces = workspace_lines(settings, rules, current, prior, usage_sums, directory)
    attribution = data.profile.attribution
    line_items = line_items_of(cost_rows, current, directory, usage.join(cost_grain(attribution)) if usage else None)
    usage_lines = usage_lines_of(usage_sums, directory)
    by_day = data.daily_cents if data.daily_cents is not None else current_sums.by_day
    prior_by_day = data.prior_daily_cents if data.prior_daily_cents is not None else (
        prior_sums.by_day if prior_sums is not None else None)
    reconciliation = reconciliation_of(month, current, centers, journal, line_items, directory, settings,
                                     data.days_with_data, data.unknown_cost_types,
                                     data.checks + group_checks(groups) + prior_checks(compared)
                                     + month_config_checks(settings, current, directory))
    late = late_data_mover(compared, prior.source_total if prior is not None else None)
    drivers = drivers_of(month, current_sums, prior_sums, usage_sums, workspaces, by_day, prior_by_day, late)
    notes = _notes(run, current, drivers, usage is not None, data.unknown_cost_types, compared is not None,
                   data.notes) + prior_notes(compared, settings, books_read)
    if prior is not None and not data.prior_usage_available:
        notes += (f"Token usage for the prior month {month.prior()} was not available; "
                  "cost comparisons are unaffected.",)
    return Report(
        month=month,
        organization=settings.organization,
        total=current.rounded_total,
        prior_total=compared.total if compared else None,
        prior=compared,
        cost_centers=centers,
        workspaces=workspaces,
        line_items=line_items,
        usage=usage_lines,
        journal=journal,
        reconciliation=reconciliation,
        drivers=drivers,
        run_info=RunInfo(**{**run.__dict__, "data_source": data.profile.name,
                            "data_refreshed_at": data.data_refreshed_at, "notes": run.notes + notes}),
        profile=data.profile,
        usage_available=usage is not None,
        null_workspace_is_default=directory.null_workspace_is_default,
        unallocated_code=settings.unallocated,
        api_keys=api_key_lines(current, usage_sums, directory) if attribution else (),
        users=user_lines(current, usage_sums, directory) if attribution else (),
        attributed_by=attributed_by(current),
        splits=dict(current.allocation.splits),
        groups=groups,
    )


def _journal(month: Month, settings: Settings, current: MonthTotals, rows: Sequence[CostRow]) -> Journal:
    # with products:, each cost center's spend by expense account (one more pass over the rows)
    accounts = account_amounts(settings, current.allocation, rows) if settings.has_product_accounts else None
    return month_journal(month, settings, ledger_for(settings, month), exact=exact_allocations(settings, current),
                         usd=current.cost_center_totals, exact_total=Fraction(current.source_total),
                         usd_total=current.rounded_total, accounts=accounts)


def _notes(run_info: RunInfo, current: MonthTotals, drivers: Drivers, usage_available: bool,
           unknown_cost_types: Iterable[str], prior_available: bool, source_notes: Sequence[str]) -> tuple[str, ...]:
    notes = list(source_notes)
    if run_info.data_fetched_at is not None:
        notes.append(f"Data fetched at {run_info.data_fetched_at.strftime('%Y-%m-%d %H:%M:%S')} UTC.")
    if not usage_available:
        notes.append("Token usage was not available for this month; token columns are empty.")
    if current.rounded_total == 0:
        notes.append("No spend this month: the journal has no lines to post.")
    if not prior_available:
        notes.append("The prior month's cost report was not available; month-over-month columns are empty.")
    notes.extend(current.allocation.notes)
    for cost_type in sorted(unknown_cost_types):
        notes.append(f"Cost type {cost_type!r} is unknown to this tool; its amounts are included as reported.")
    return tuple(notes)
