"""The Report's views of a month's totals: cost centers, workspaces, API keys, users, line items, usage. Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from decimal import Decimal

from reports.core.allocate import LEVELS, Rules
from reports.core.line_items import LineItems, UsageJoin
from reports.core.money import ZERO, cents_to_dollars, round_cents
from reports.core.prior import PriorMonth
from reports.core.records import API_KEY, USER, Attribution, CostRow, Directory, TokenCounts
from reports.core.report import Amount, CostCenterLine, PayerLine, UsageLine, WorkspaceLine
from reports.core.settings import Settings
from reports.core.sums import UsageSums, regroup
from reports.core.totals import MonthTotals, exact_decimal


def cost_center_lines(settings: Settings, current: MonthTotals,
                      prior: PriorMonth | None) -> tuple[CostCenterLine, ...]:
    """One Summary row per cost center: direct, shared, total, budget and the prior month (as posted, if it was)."""
    lines = []
    for center in settings.cost_centers:
        total = current.cost_center_totals[center.code]
        direct = round_cents(current.allocation.direct[center.code])
        prior_total = prior.of(center.code) if prior else None
        lines.append(CostCenterLine(
            code=center.code,
            name=center.name,
            owner=center.owner,
            expense_account=settings.expense_account_for(center.code),
            direct=direct,
            shared=total - direct,
            total=total,
            exact_total=exact_decimal(current.allocation.total(center.code)),
            budget=center.budget,
            variance=None if center.budget is None else total - center.budget,
            share_of_total=None if current.rounded_total == 0 else total / current.rounded_total,
            prior_total=prior_total,
            change=None if prior_total is None else total - prior_total,
            list_price=None if current.list_totals is None else current.list_totals[center.code],
        ))
    return tuple(lines)


def _owners_of(amounts: dict[str, Decimal]) -> str:
    """The owners a group's spend went to, largest first: ``ENG-100`` or ``ENG-100, SUP-200``."""
    return ", ".join(label for label, _ in sorted(amounts.items(), key=lambda item: (-item[1], item[0])))


def _spend_owners(current: MonthTotals, key: Callable[[Attribution], Hashable]) -> dict:
    """Group -> {owner label: exact cents} over this month's payers."""
    owners: dict = defaultdict(dict)
    for payer, cents in current.sums.by_payer.items():
        found = owners[key(payer)]
        label = current.allocation.owner[payer]
        found[label] = found.get(label, ZERO) + cents
    return owners


def workspace_lines(settings: Settings, rules: Rules, current: MonthTotals, prior: MonthTotals | None,
                    usage: UsageSums, directory: Directory) -> tuple[WorkspaceLine, ...]:
    """One row per workspace with spend, prior spend or tokens, largest first."""
    tokens = usage.by_workspace()
    amounts = current.sums.by_workspace
    prior_cents = prior.sums.by_workspace if prior else {}
    owners = _spend_owners(current, lambda payer: payer.workspace_id)
    unmapped = {payer.workspace_id for payer in current.allocation.unmapped}
    lines = []
    for workspace in set(amounts) | set(prior_cents) | set(tokens):
        found = directory.workspaces.get(workspace) if workspace else None
        configured = rules.configured_label(Attribution(workspace, directory.is_default(workspace)))
        label = _owners_of(owners[workspace]) if owners.get(workspace) else (configured or settings.unallocated or "")
        lines.append(WorkspaceLine(
            workspace_id=workspace,
            name=directory.workspace_name(workspace),
            cost_center=label,
            amount=cents_to_dollars(amounts.get(workspace, ZERO)),
            prior_amount=cents_to_dollars(prior_cents.get(workspace, ZERO)),
            tokens=tokens.get(workspace, TokenCounts()),
            archived=bool(found and found.archived_at),
            unmapped=workspace in unmapped,
        ))
    lines.sort(key=lambda line: (-line.amount, line.name, line.workspace_id or ""))
    return tuple(lines)


def api_key_lines(current: MonthTotals, usage: UsageSums, directory: Directory) -> tuple[PayerLine, ...]:
    """One row per API key with spend or tokens (analytics); the Total row is the keyed spend."""
    def key_of(payer: Attribution) -> str | None:
        return payer.api_key_id

    amounts = regroup(current.sums.by_payer, key_of)
    tokens = usage.by(key_of)
    owners = _spend_owners(current, key_of)
    workspaces: dict[str, str | None] = {}
    for payer in current.sums.by_payer:
        if payer.api_key_id is not None:
            workspaces.setdefault(payer.api_key_id, payer.workspace_id)
    lines = []
    for key in (set(amounts) | set(tokens)) - {None}:
        listed = directory.api_keys.get(key)
        workspace = listed.workspace_id if listed and listed.workspace_id else workspaces.get(key)
        lines.append(PayerLine(
            id=key, name=directory.api_key_name(key), email=None,
            workspace=directory.workspace_name(workspace) if key in workspaces or listed else None,
            cost_center=_owners_of(owners.get(key, {})), amount=cents_to_dollars(amounts.get(key, ZERO)),
            tokens=tokens.get(key, TokenCounts()), kind=API_KEY))
    lines.sort(key=lambda line: (-line.amount, line.name, line.id or ""))
    return tuple(lines)


def user_lines(current: MonthTotals, usage: UsageSums, directory: Directory) -> tuple[PayerLine, ...]:
    """One row per actor other than an API key itself: users first, then service accounts, others."""
    def actor_of(payer: Attribution):
        actor = payer.actor
        return None if actor is None or actor.kind == API_KEY else actor

    amounts = regroup(current.sums.by_payer, actor_of)
    tokens = usage.by(actor_of)
    owners = _spend_owners(current, actor_of)
    lines = []
    for actor in (set(amounts) | set(tokens)) - {None}:
        listed = directory.users.get(actor.id) if actor.kind == USER and actor.id else None
        email = actor.email or (listed.email if listed else None)
        name = actor.name or (listed.name if listed else None) or actor.id or actor.label
        lines.append(PayerLine(
            id=actor.id, name=name, email=email, workspace=None, cost_center=_owners_of(owners.get(actor, {})),
            amount=cents_to_dollars(amounts.get(actor, ZERO)), tokens=tokens.get(actor, TokenCounts()),
            kind=actor.kind))
    lines.sort(key=lambda line: (line.kind != USER, -line.amount, line.email or line.name, line.id or ""))
    return tuple(lines)


def attributed_by(current: MonthTotals) -> tuple[Amount, ...]:
    """Exact dollars per level of the rule that matched (user, key, workspace, …), in precedence order."""
    cents: dict[str, Decimal] = {}
    for payer, amount in current.sums.by_payer.items():
        level = current.allocation.level[payer]
        cents[level] = cents.get(level, ZERO) + amount
    return tuple(Amount(level, cents_to_dollars(cents[level])) for level in LEVELS if level in cents)


def cost_grain(attribution: bool) -> Callable[[Attribution], Attribution]:
    """How the cost rows name a usage row's payer: a source without attribution (the legacy cost
    report) knows only the workspace; one with it groups cost and usage alike (workspace, API key, actor)."""
    if attribution:
        return lambda payer: payer
    return lambda payer: Attribution(payer.workspace_id, payer.default_workspace)


def line_items_of(rows: Sequence[CostRow], current: MonthTotals, directory: Directory,
                  usage: UsageJoin | None) -> LineItems:
    """The API's cost rows with their names and owners: the Line Items sheet."""
    payers = current.sums.by_payer
    names = {payer: (directory.workspace_name(payer.workspace_id), directory.api_key_name(payer.api_key_id),
                     directory.actor_label(payer.actor))
             for payer in payers}
    owners = {payer: current.allocation.owner[payer] for payer in payers}
    return LineItems(rows, names, owners, usage=usage)


def usage_lines_of(usage: UsageSums, directory: Directory) -> tuple[UsageLine, ...]:
    """Tokens per workspace, API key, model and service tier: the Usage sheet."""
    lines = [
        UsageLine(workspace_id=ws, workspace_name=directory.workspace_name(ws), api_key_id=key,
                  api_key_name=directory.api_key_name(key), model=model, service_tier=tier, tokens=tokens)
        for (ws, key, model, tier), tokens in usage.lines()
    ]
    lines.sort(key=lambda line: (line.workspace_name, line.workspace_id or "", line.api_key_name,
                                 line.api_key_id or "", line.model or "", line.service_tier or ""))
    return tuple(lines)
