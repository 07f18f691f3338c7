"""What comparing with the prior month's books says: the check against the API, the notes, the movers' bridge. Pure."""

from __future__ import annotations

from decimal import Decimal

from reports.core.checks import Check, Figure, Status
from reports.core.history import Posted
from reports.core.money import ZERO
from reports.core.money_text import money_text
from reports.core.months import Month
from reports.core.prior import PriorBasis, PriorMonth
from reports.core.report import Amount
from reports.core.settings import Settings
from reports.core.totals import MonthTotals

PRIOR_CHECK = "Prior month as posted"


def prior_month(month: Month, posted: Posted | None, fetched: MonthTotals | None) -> PriorMonth | None:
    """The prior month as posted when it has a month folder (``posted``), else as fetched; None if neither."""
    fetched_total = None if fetched is None else fetched.rounded_total
    if posted is not None:
        # usage as posted (journal plus restatements): an invoice's true-up is not usage, and the month
        # compared with has no invoice yet, so it is left out here (and said: ``prior_notes``)
        usage = {code: amount - posted.trueup_usd.get(code, ZERO) for code, amount in posted.usd.items()}
        trued_up = sum(posted.trueup_usd.values(), ZERO)
        return PriorMonth(month, PriorBasis.POSTED, posted.total_usd - trued_up, usage, posted.status,
                          fetched_total, dict(posted.names), trued_up, posted.trueups)
    if fetched is not None:
        return PriorMonth(month, PriorBasis.FETCHED, fetched.rounded_total, dict(fetched.cost_center_totals),
                          fetched_total=fetched_total)
    return None


def prior_checks(prior: PriorMonth | None) -> tuple[Check, ...]:
    """``Prior month as posted``: the books' figure against the API's today (WARN when they differ)."""
    late = None if prior is None else prior.late_data
    if prior is None or late is None or prior.fetched_total is None:
        return ()
    label = prior.month.label
    if late == ZERO:
        return (Check(PRIOR_CHECK, Figure(prior.total), Figure(prior.fetched_total), Status.PASS,
                      f"{label} as posted ({prior.status}) is what the API reports for it today"),)
    return (Check(PRIOR_CHECK, Figure(prior.total), Figure(prior.fetched_total), Status.WARN,
                  f"{label} as posted ({prior.status}): {money_text(prior.total)}; as the API reports it today: "
                  f"{money_text(prior.fetched_total)}; difference {money_text(late, signed=True)} (late data). "
                  f"Prior Month and Change use the posted figure; to post the difference run "
                  f"`{prior.command}`"),)


def prior_notes(prior: PriorMonth | None, settings: Settings, history_known: bool) -> tuple[str, ...]:
    """Which basis the comparisons use, said where it is not the books' or the books have other cost centers."""
    if prior is None:
        return ()
    notes = []
    label = prior.month.label
    if prior.basis == PriorBasis.FETCHED and history_known:
        notes.append(f"{label} has no posted figures (no month folder, or one that does not verify): Prior Month "
                     f"and Change compare with it as the API reports it today, allocated with today's mapping.")
    configured = {center.code for center in settings.cost_centers}
    gone = {code: amount for code, amount in prior.by_cost_center.items() if code not in configured and amount}
    if gone:
        listed = ", ".join(f"{code} {money_text(amount)}" for code, amount in sorted(gone.items()))
        notes.append(f"{label} as posted charged cost centers no longer configured ({listed}): they are in the "
                     f"Prior Month total {money_text(prior.total)} but have no Summary row.")
    late = prior.late_data
    if late:
        notes.append(f"Workspace, model and daily comparisons use {label} as the API reports it today "
                     f"({money_text(prior.fetched_total or ZERO)}); the books hold {money_text(prior.total)} "
                     f"of usage for it, and the {money_text(late, signed=True)} of late data is a row of the movers.")
    if prior.trued_up:
        notes.append(f"{label}'s books also hold its invoice true-up {', '.join(prior.trueups)} "
                     f"{money_text(prior.trued_up, signed=True)} (credits, tax and other invoice lines), which History "
                     f"and the year to date count: {money_text(prior.total + prior.trued_up)} in all. Prior Month and "
                     f"Change compare usage with usage ({money_text(prior.total)}): this month has no invoice yet.")
    return tuple(notes)


def late_data_mover(prior: PriorMonth | None, fetched_exact: Decimal | None) -> Amount | None:
    """The bridge from the books' prior month to the API's: with it, the movers add up to the Change shown.

    The workspaces' changes are against the API's prior month (exact dollars); the Change shown
    is against the posted one. Its change is the API's exact figure minus the posted one.
    """
    if prior is None or not prior.late_data or fetched_exact is None:
        return None
    return Amount(f"{prior.month.label} late data", fetched_exact, prior.total)
