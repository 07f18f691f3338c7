"""Checks of a month against its config: the unallocated share, and configured IDs the organization lacks. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from reports.core.allocate import BY_DIRECTORY, BY_USER
from reports.core.checks import Check, Status
from reports.core.money import cents_to_dollars
from reports.core.money_text import money_text
from reports.core.people_checks import coverage_check, unplaced_users
from reports.core.records import SERVICE_ACCOUNT, USER, Actor, Attribution, Directory
from reports.core.settings import Settings
from reports.core.totals import MonthTotals

UNALLOCATED_SHARE = "Unallocated share"
UNKNOWN_IDS = "Unknown configured IDs"
_TENTH = Decimal("0.1")

# How a message names each kind of configured ID, and the listing it is checked against.
_KINDS = {
    "workspaces": ("workspace", "workspaces listing (archived included)"),
    "api_keys": ("API key", "API keys listing"),
    "users": ("user", "users listing"),
    "service_accounts": ("service account", "month's spend (service accounts cannot be listed with an Admin key)"),
}


def month_config_checks(settings: Settings, current: MonthTotals, directory: Directory) -> tuple[Check, ...]:
    """The month's warnings about its config, for the Reconciliation sheet: only those that warn, like the
    unmapped workspaces (a PASS row for each would crowd the PDF's page of checks for nothing)."""
    unallocated = current.cost_center_totals.get(settings.unallocated or "", Decimal(0))
    checks = (unallocated_share_check(settings, unallocated, current.rounded_total),
              unknown_ids_check(settings, directory, current.sums.by_payer))
    warnings = tuple(check for check in checks if check is not None and check.status == Status.WARN)
    return warnings + directory_checks(settings, current, directory)


def directory_checks(settings: Settings, current: MonthTotals, directory: Directory) -> tuple[Check, ...]:
    """With a directory file: one row saying whether it (or the config's users) placed every user with spend."""
    people = settings.directory
    if people is None:
        return ()
    spend: dict[Actor, Decimal] = {}
    levels: dict[Actor, tuple[str, ...]] = {}
    placed: set[Actor] = set()
    for payer, cents in current.sums.by_payer.items():
        actor = payer.actor
        if actor is None or actor.kind != USER:
            continue
        spend[actor] = spend.get(actor, Decimal(0)) + cents_to_dollars(cents)
        level = current.allocation.level[payer]
        if level in (BY_USER, BY_DIRECTORY):
            placed.add(actor)
        elif level not in levels.get(actor, ()):
            levels[actor] = levels.get(actor, ()) + (level,)
    labels = {actor: directory.actor_label(actor) for actor in spend}
    unplaced = unplaced_users(people, current.month.last_day, spend, levels, placed, labels)
    return (coverage_check(people, len(spend), unplaced),)


def unallocated_percent(unallocated: Decimal, total: Decimal) -> Decimal:
    """The unallocated share of the month's total in percent, to a tenth (0 for a month without spend)."""
    if total == 0:
        return Decimal(0)
    return (unallocated * 100 / total).quantize(_TENTH, rounding=ROUND_HALF_UP)


def unallocated_over(settings: Settings, unallocated: Decimal, total: Decimal) -> bool:
    """Whether the month's unallocated spend is above the config's ``unallocated_warn_percent``."""
    return total > 0 and unallocated * 100 > settings.unallocated_warn_percent * total


def unallocated_share_check(settings: Settings, unallocated: Decimal, total: Decimal) -> Check | None:
    """PASS or WARN: the unallocated cost center's share against the threshold; None without such a cost center."""
    if settings.unallocated is None:
        return None
    threshold = settings.unallocated_warn_percent
    percent = unallocated_percent(unallocated, total)
    over = unallocated_over(settings, unallocated, total)
    detail = ""
    if over:
        detail = (f"{money_text(unallocated)} went to {settings.unallocated}: map it (`chargeback org`) and run "
                  "again; close needs --accept-unallocated")
    return Check(UNALLOCATED_SHARE, f"at most {threshold.normalize():f}%", f"{percent}%",
                 Status.WARN if over else Status.PASS, detail)


def unknown_ids_check(settings: Settings, directory: Directory, payers: Iterable[Attribution]) -> Check:
    """PASS, or WARN naming each configured ID (file:line) that neither the listings nor the month's rows have."""
    seen_workspaces: set[str] = set(directory.workspaces)
    if directory.default_workspace_id:
        seen_workspaces.add(directory.default_workspace_id)
    seen_keys: set[str] = set(directory.api_keys)
    seen_users: set[str] = set(directory.users)
    seen_users |= {user.email.lower() for user in directory.users.values() if user.email}
    seen_accounts: set[str] = set()
    for payer in payers:  # a removed user or a key deleted since still spent: it is not unknown
        if payer.workspace_id:
            seen_workspaces.add(payer.workspace_id)
        if payer.api_key_id:
            seen_keys.add(payer.api_key_id)
        actor = payer.actor
        if actor is not None and actor.kind == USER:
            seen_users |= {value for value in (actor.id, actor.email and actor.email.lower()) if value}
        elif actor is not None and actor.kind == SERVICE_ACCOUNT and actor.id:
            seen_accounts.add(actor.id)
    known = {"workspaces": seen_workspaces, "api_keys": seen_keys, "users": seen_users}
    unknown = []
    for item in settings.configured_ids:
        if item.kind == "service_accounts":
            # not listable with an Admin key: only an ID that cannot be one is surely unknown
            missing = not item.value.startswith("svac_") and item.value not in seen_accounts
        else:
            value = item.value.lower() if item.kind == "users" and "@" in item.value else item.value
            missing = value not in known[item.kind]
        if missing:
            what, listing = _KINDS[item.kind]
            unknown.append(f"{settings.source_path}:{item.line}: {what} {item.value} is not in the "
                           f"organization's {listing}")
    if not unknown:
        return Check(UNKNOWN_IDS, "0", "0", Status.PASS)
    return Check(UNKNOWN_IDS, "0", f"{len(unknown)}", Status.WARN,
                 "; ".join(unknown) + " (a typo? `chargeback org` lists every ID)")
