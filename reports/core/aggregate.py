"""Allocations to the Report: the one place rounding to cents happens. Pure.

Every number in the workbook, the journal, the PDF and the email comes from the Report
built here, so they agree to the cent by construction. Rows are summed by payer (an
``Attribution``); workspaces, API keys and users are views of those sums.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from reports.core.allocate import LEVELS, Allocation, Rules, allocate
from reports.core.journal import ledger_checks, ledger_for, month_journal
from reports.core.money import ZERO, cents_to_dollars, fraction_to_decimal, largest_remainder, round_cents
from reports.core.money_text import amount_text, money_text
from reports.core.months import Month
from reports.core.records import API_KEY, USER, Attribution, CostRow, Directory, TokenCounts, UsageRow
from reports.core.report import (
    PRIORITY_TIERS,
    Amount,
    Check,
    CostCenterLine,
    DailySpend,
    Drivers,
    Journal,
    LineItems,
    PayerLine,
    Reconciliation,
    Report,
    RunInfo,
    SourceProfile,
    Status,
    UnmappedWorkspace,
    UsageJoin,
    UsageLine,
    WorkspaceLine,
)
from reports.core.settings import Settings

TOP_WORKSPACES = 10
TOP_MOVERS = 6
NO_MODEL = "No model (web search, code execution)"


@dataclass(frozen=True)
class CostSums:
    """A month's cost rows summed in one pass (exact cents): all that is kept of the prior month."""

    total_cents: Decimal
    by_payer: dict[Attribution, Decimal]
    by_model: dict[str | None, Decimal]
    by_cost_type: dict[str | None, Decimal]
    by_day: dict[date, Decimal]
    rows: int
    list_by_payer: dict[Attribution, Decimal] | None = None  # None when the source has no list prices

    @property
    def by_workspace(self) -> dict[str | None, Decimal]:
        return _regroup(self.by_payer, lambda payer: payer.workspace_id)


def _regroup(sums: dict[Attribution, Decimal], key: Callable[[Attribution], Hashable]) -> dict:
    grouped: dict = {}
    for payer, cents in sums.items():
        found = key(payer)
        grouped[found] = grouped.get(found, ZERO) + cents
    return grouped


def sum_costs(rows: Iterable[CostRow]) -> CostSums:
    """Sum cost rows per payer, model, cost type and day (and list price per payer), reading them once."""
    by_payer: dict[Attribution, Decimal] = {}
    list_by_payer: dict[Attribution, Decimal] = {}
    by_model: dict[str | None, Decimal] = {}
    by_type: dict[str | None, Decimal] = {}
    by_day: dict[date, Decimal] = {}
    count = 0
    has_list = False
    for row in rows:
        cents = row.amount_cents
        payer = row.attribution
        by_payer[payer] = by_payer.get(payer, ZERO) + cents
        if row.list_amount_cents is not None:
            has_list = True
            list_by_payer[payer] = list_by_payer.get(payer, ZERO) + row.list_amount_cents
        model = row.model
        by_model[model] = by_model.get(model, ZERO) + cents
        cost_type = row.cost_type
        by_type[cost_type] = by_type.get(cost_type, ZERO) + cents
        day = row.day
        by_day[day] = by_day.get(day, ZERO) + cents
        count += 1
    total = sum(by_payer.values(), ZERO)
    return CostSums(total, by_payer, by_model, by_type, by_day, count, list_by_payer if has_list else None)


class UsageSums:
    """A month's usage rows summed in one pass per payer x model x service tier (and per day)."""

    __slots__ = ("_sums", "_daily")

    def __init__(self, sums: dict[tuple, list[int]], daily: dict[tuple, TokenCounts] | None = None):
        self._sums = sums  # (payer, model, service tier) -> token counts
        self._daily = daily or {}  # (day, payer, model, service tier, context window) -> tokens

    def join(self, payer_of: Callable[[Attribution], Attribution]) -> UsageJoin:
        """The usage at the cost rows' grain: ``payer_of`` names a usage payer as the cost rows do."""
        tokens: dict[tuple, TokenCounts] = {}
        searches: dict[tuple, int] = {}
        payers: dict[Attribution, Attribution] = {}
        for (day, payer, model, tier, window), counts in self._daily.items():
            named = payers.get(payer)
            if named is None:
                named = payers[payer] = payer_of(payer)
            key = (day, named, model, tier, window)
            same = tokens.get(key)
            tokens[key] = counts if same is None else same + counts
            if tier not in PRIORITY_TIERS:  # the cost report bills no Priority Tier web search
                searches[key[:2]] = searches.get(key[:2], 0) + counts.web_searches
        return UsageJoin(tokens, searches)

    def lines(self) -> Iterator[tuple[tuple, TokenCounts]]:
        """Tokens per (workspace, API key, model, service tier): the Usage sheet's grain."""
        sums: dict[tuple, list[int]] = {}
        for (payer, model, tier), counts in self._sums.items():
            _add(sums, (payer.workspace_id, payer.api_key_id, model, tier), counts)
        for key, counts in sums.items():
            yield key, TokenCounts.of(counts)

    def by(self, key: Callable[[Attribution], Hashable]) -> dict:
        sums: dict = {}
        for (payer, _model, _tier), counts in self._sums.items():
            _add(sums, key(payer), counts)
        return {found: TokenCounts.of(counts) for found, counts in sums.items()}

    def by_workspace(self) -> dict[str | None, TokenCounts]:
        return self.by(lambda payer: payer.workspace_id)

    def total(self, tier: str | None = None) -> TokenCounts:
        """All usage, or only that of one service tier."""
        sums: dict[int, list[int]] = {}
        for (_payer, _model, row_tier), counts in self._sums.items():
            if tier is None or row_tier == tier:
                _add(sums, 0, counts)
        return TokenCounts.of(sums[0]) if sums else TokenCounts()


def _add(sums: dict, key: object, counts: list[int]) -> None:
    found = sums.get(key)
    if found is None:
        sums[key] = list(counts)
    else:
        for index, value in enumerate(counts):
            found[index] += value


def sum_usage(rows: Iterable[UsageRow]) -> UsageSums:
    """Sum usage rows per payer x model x service tier, and per day and context window, reading them once."""
    sums: dict[tuple, list[int]] = {}
    daily: dict[tuple, TokenCounts] = {}
    for row in rows:
        t = row.tokens
        key = (row.attribution, row.model, row.service_tier)
        found = sums.get(key)
        if found is None:
            sums[key] = [t.uncached_input, t.cache_write_5m, t.cache_write_1h, t.cache_read, t.output,
                         t.web_searches]
        else:
            found[0] += t.uncached_input
            found[1] += t.cache_write_5m
            found[2] += t.cache_write_1h
            found[3] += t.cache_read
            found[4] += t.output
            found[5] += t.web_searches
        # The day x context window grain is what a cost row is priced at (the FOCUS export's
        # quantities). A usage row is all but alone at it, so its counts are kept as they are.
        grain = (row.day, row.attribution, row.model, row.service_tier, row.context_window)
        same = daily.get(grain)
        daily[grain] = t if same is None else same + t
    return UsageSums(sums, daily)


@dataclass(frozen=True)
class MonthData:
    """A month as a source gives it to the core: this month's cost rows, the prior month's sums, the names.

    It lives beside the sums it holds (``CostSums``, ``UsageSums``): a module of its own would
    import them from here while ``build_report`` imports it, a cycle.
    """

    profile: SourceProfile  # what the source's figures carry
    cost_rows: Sequence[CostRow]  # this month, in API order: the Line Items
    prior_cost: CostSums | None  # None when the prior month could not be had
    usage: UsageSums | None  # None when this month's usage could not be had
    prior_usage_available: bool  # only whether it could be had is reported; it is shown nowhere
    directory: Directory
    days_with_data: set[date] | None = None  # days the API returned a bucket for (bucketed sources)
    unknown_cost_types: tuple[str, ...] = ()
    daily_cents: dict[date, Decimal] | None = None  # spend by day from a query that gives it
    prior_daily_cents: dict[date, Decimal] | None = None
    checks: tuple[Check, ...] = ()  # the source's own reconciliation checks
    notes: tuple[str, ...] = ()  # what a reader should know about this source's figures
    data_refreshed_at: datetime | None = None


@dataclass(frozen=True)
class MonthTotals:
    """One month's spend, summed exactly, and its allocation rounded to cents."""

    month: Month
    sums: CostSums
    allocation: Allocation
    rounded_total: Decimal
    cost_center_totals: dict[str, Decimal]  # largest remainder; adds up to rounded_total
    list_totals: dict[str, Decimal] | None  # the same for list prices, when the source has them

    @property
    def source_total_cents(self) -> Decimal:
        return self.sums.total_cents

    @property
    def source_total(self) -> Decimal:
        return cents_to_dollars(self.sums.total_cents)


def describe_payer(payer: Attribution, directory: Directory) -> str:
    """A payer for people: ``Hackathon Sandbox (wrkspc_…)``, with the key and actor when known."""
    workspace = directory.workspace_name(payer.workspace_id)
    parts = [f"{workspace} ({payer.workspace_id})" if payer.workspace_id else workspace]
    if payer.api_key_id is not None:
        parts.append(f"API key {directory.api_key_name(payer.api_key_id)} ({payer.api_key_id})")
    if payer.actor is not None:
        parts.append(f"{payer.actor.kind.replace('_', ' ')} {directory.actor_label(payer.actor)}")
    return ", ".join(parts)


def month_totals(month: Month, rows: Iterable[CostRow] | CostSums, settings: Settings,
                 directory: Directory) -> MonthTotals:
    """Sum a month's cost rows per payer and allocate them (used for both months)."""
    sums = rows if isinstance(rows, CostSums) else sum_costs(rows)
    dollars = {payer: cents_to_dollars(cents) for payer, cents in sums.by_payer.items()}
    names = {payer: describe_payer(payer, directory) for payer in dollars}
    allocation = allocate(dollars, settings, names, period=str(month))
    rounded_total = round_cents(cents_to_dollars(sums.total_cents))
    exact = {center.code: allocation.total(center.code) for center in settings.cost_centers}
    totals = largest_remainder(exact, rounded_total)
    list_totals = None
    if sums.list_by_payer is not None:
        # List prices follow the amounts: each payer's list price goes where its spend went,
        # in the same shares, then rounds to the cent the same way.
        list_exact = {center.code: Fraction(0) for center in settings.cost_centers}
        for payer, cents in sums.list_by_payer.items():
            for code, share in allocation.split_of(payer):
                list_exact[code] += Fraction(cents_to_dollars(cents)) * share
        list_total = round_cents(cents_to_dollars(sum(sums.list_by_payer.values(), ZERO)))
        list_totals = largest_remainder(list_exact, list_total)
    return MonthTotals(month, sums, allocation, rounded_total, totals, list_totals)


def build_report(month: Month, settings: Settings, data: MonthData, run: RunInfo) -> Report:
    """The month's Report from what its source read: every figure of every output comes from here."""
    cost_rows, directory = data.cost_rows, data.directory
    # Each month's rows are read once into sums; only this month's rows are kept (line items).
    current_sums = sum_costs(cost_rows)
    prior_sums = data.prior_cost
    usage = data.usage
    current = month_totals(month, current_sums, settings, directory)
    prior = month_totals(month.prior(), prior_sums, settings, directory) if prior_sums is not None else None

    rules = Rules.of(settings)
    centers = _cost_center_lines(settings, current, prior)
    journal = _journal(month, settings, current)
    usage_sums = usage or sum_usage(())
    workspaces = _workspace_lines(settings, rules, current, prior, usage_sums, directory)
    attribution = data.profile.attribution
    line_items = _line_items(cost_rows, current, directory, usage.join(_cost_grain(attribution)) if usage else None)
    usage_lines = _usage_lines(usage_sums, directory)
    by_day = data.daily_cents if data.daily_cents is not None else current_sums.by_day
    prior_by_day = data.prior_daily_cents if data.prior_daily_cents is not None else (
        prior_sums.by_day if prior_sums is not None else None)
    reconciliation = _reconciliation(month, current, centers, journal, line_items, directory,
                                     settings, data.days_with_data, data.unknown_cost_types, data.checks)
    drivers = _drivers(month, current_sums, prior_sums, usage_sums, workspaces, by_day, prior_by_day)
    notes = _notes(run, current, drivers, usage is not None, data.unknown_cost_types, prior is not None,
                   data.notes)
    if prior is not None and not data.prior_usage_available:
        notes += (f"Token usage for the prior month {month.prior()} was not available; "
                  "cost comparisons are unaffected.",)
    return Report(
        month=month,
        organization=settings.organization,
        total=current.rounded_total,
        prior_total=prior.rounded_total if prior else None,
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
        api_keys=_api_key_lines(current, usage_sums, directory) if attribution else (),
        users=_user_lines(current, usage_sums, directory) if attribution else (),
        attributed_by=_attributed_by(current),
        splits=dict(current.allocation.splits),
    )


def _exact(value: Fraction) -> Decimal:
    try:
        return fraction_to_decimal(value)
    except ValueError:  # a proportional share such as 1/3 of a cent: show it to 12 places
        return Decimal(value.numerator) / Decimal(value.denominator)


def _cost_center_lines(settings: Settings, current: MonthTotals,
                       prior: MonthTotals | None) -> tuple[CostCenterLine, ...]:
    lines = []
    for center in settings.cost_centers:
        total = current.cost_center_totals[center.code]
        direct = round_cents(current.allocation.direct[center.code])
        prior_total = prior.cost_center_totals[center.code] if prior else None
        lines.append(CostCenterLine(
            code=center.code,
            name=center.name,
            owner=center.owner,
            expense_account=settings.expense_account_for(center.code),
            direct=direct,
            shared=total - direct,
            total=total,
            exact_total=_exact(current.allocation.total(center.code)),
            budget=center.budget,
            variance=None if center.budget is None else total - center.budget,
            share_of_total=None if current.rounded_total == 0 else total / current.rounded_total,
            prior_total=prior_total,
            change=None if prior_total is None else total - prior_total,
            list_price=None if current.list_totals is None else current.list_totals[center.code],
        ))
    return tuple(lines)


def _exact_allocations(settings: Settings, current: MonthTotals) -> dict[str, Fraction]:
    return {center.code: current.allocation.total(center.code) for center in settings.cost_centers}


def _journal(month: Month, settings: Settings, current: MonthTotals) -> Journal:
    return month_journal(month, settings, ledger_for(settings, month), exact=_exact_allocations(settings, current),
                         usd=current.cost_center_totals, exact_total=Fraction(current.source_total),
                         usd_total=current.rounded_total)


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


def _workspace_lines(settings: Settings, rules: Rules, current: MonthTotals, prior: MonthTotals | None,
                     usage: UsageSums, directory: Directory) -> tuple[WorkspaceLine, ...]:
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


def _api_key_lines(current: MonthTotals, usage: UsageSums, directory: Directory) -> tuple[PayerLine, ...]:
    """One row per API key with spend or tokens (analytics); the Total row is the keyed spend."""
    def key_of(payer: Attribution) -> str | None:
        return payer.api_key_id

    amounts = _regroup(current.sums.by_payer, key_of)
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


def _user_lines(current: MonthTotals, usage: UsageSums, directory: Directory) -> tuple[PayerLine, ...]:
    """One row per actor other than an API key itself: users first, then service accounts, others."""
    def actor_of(payer: Attribution):
        actor = payer.actor
        return None if actor is None or actor.kind == API_KEY else actor

    amounts = _regroup(current.sums.by_payer, actor_of)
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


def _attributed_by(current: MonthTotals) -> tuple[Amount, ...]:
    """Exact dollars per level of the rule that matched (user, key, workspace, …), in precedence order."""
    cents: dict[str, Decimal] = {}
    for payer, amount in current.sums.by_payer.items():
        level = current.allocation.level[payer]
        cents[level] = cents.get(level, ZERO) + amount
    return tuple(Amount(level, cents_to_dollars(cents[level])) for level in LEVELS if level in cents)


def _cost_grain(attribution: bool) -> Callable[[Attribution], Attribution]:
    """How the cost rows name a usage row's payer: a source without attribution (the legacy cost
    report) knows only the workspace; one with it groups cost and usage alike (workspace, API key, actor)."""
    if attribution:
        return lambda payer: payer
    return lambda payer: Attribution(payer.workspace_id, payer.default_workspace)


def _line_items(rows: Sequence[CostRow], current: MonthTotals, directory: Directory,
                usage: UsageJoin | None) -> LineItems:
    payers = current.sums.by_payer
    names = {payer: (directory.workspace_name(payer.workspace_id), directory.api_key_name(payer.api_key_id),
                     directory.actor_label(payer.actor))
             for payer in payers}
    owners = {payer: current.allocation.owner[payer] for payer in payers}
    return LineItems(rows, names, owners, usage=usage)


def _usage_lines(usage: UsageSums, directory: Directory) -> tuple[UsageLine, ...]:
    lines = [
        UsageLine(workspace_id=ws, workspace_name=directory.workspace_name(ws), api_key_id=key,
                  api_key_name=directory.api_key_name(key), model=model, service_tier=tier, tokens=tokens)
        for (ws, key, model, tier), tokens in usage.lines()
    ]
    lines.sort(key=lambda line: (line.workspace_name, line.workspace_id or "", line.api_key_name,
                                 line.api_key_id or "", line.model or "", line.service_tier or ""))
    return tuple(lines)


def _exact_approx(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.000001"))


def _reconciliation(month: Month, current: MonthTotals, centers: Sequence[CostCenterLine],
                    journal: Journal, line_items: LineItems, directory: Directory,
                    settings: Settings, days_with_data: set[date] | None,
                    unknown_cost_types: Iterable[str], extra_checks: Sequence[Check]) -> Reconciliation:
    allocated = current.allocation.allocated_total
    source = Fraction(current.source_total)
    allocated_decimal = _exact(allocated)
    line_sum = sum(line_items.amounts_cents(), ZERO)
    debits, credits = journal.debits_usd, journal.credits_usd  # the ledger's currency is checked below
    center_sum = sum((line.total for line in centers), ZERO)

    worst_gap = max((abs(Fraction(line.total) - current.allocation.total(line.code)) for line in centers),
                    default=Fraction(0))

    def check(name: str, expected: str, actual: str, ok: bool, detail: str = "") -> Check:
        return Check(name, expected, actual, Status.PASS if ok else Status.FAIL, detail)

    checks = [
        check("Line items add up to the source total (cents)", f"{current.source_total_cents}",
              f"{line_sum}", line_sum == current.source_total_cents,
              f"{len(line_items)} line items, one per API cost row"),
        check("Allocated total equals source total (exact)", f"{current.source_total}", f"{allocated_decimal}",
              allocated == source),
        check("Cost center totals add up to the rounded month total", amount_text(current.rounded_total),
              amount_text(center_sum), center_sum == current.rounded_total),
        check("Journal debits equal credits", amount_text(debits), amount_text(credits), debits == credits),
        check("Journal total equals the rounded month total", amount_text(current.rounded_total), amount_text(debits),
              debits == current.rounded_total),
        check("Each Summary row: Direct + Shared = Total", "all rows", "all rows" if all(
            line.direct + line.shared == line.total for line in centers) else "mismatch",
            all(line.direct + line.shared == line.total for line in centers)),
        check("Each cost center within one cent of its exact share", "less than 0.01",
              f"{_exact_approx(worst_gap)}", worst_gap < Fraction(1, 100)),
    ]
    checks += ledger_checks(journal, _exact_allocations(settings, current), source)
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


def _dollars(sums: dict, label) -> dict[str, Decimal]:
    dollars: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for key, cents in sums.items():
        dollars[label(key)] += cents
    return {name: cents_to_dollars(cents) for name, cents in dollars.items()}


def _amounts(current: dict[str, Decimal], prior: dict[str, Decimal] | None) -> tuple[Amount, ...]:
    labels = set(current) | set(prior or {})
    amounts = [Amount(label, current.get(label, ZERO), None if prior is None else prior.get(label, ZERO))
               for label in labels]
    amounts.sort(key=lambda amount: (-amount.amount, amount.label))
    return tuple(amounts)


def _daily(month: Month, by_day: dict[date, Decimal]) -> tuple[DailySpend, ...]:
    return tuple(DailySpend(day, cents_to_dollars(by_day.get(day, ZERO))) for day in month.days)


def _drivers(month: Month, sums: CostSums, prior_sums: CostSums | None, usage: UsageSums,
             workspaces: Sequence[WorkspaceLine], by_day: dict[date, Decimal],
             prior_by_day: dict[date, Decimal] | None) -> Drivers:
    def model_of(model: str | None) -> str:
        return model or NO_MODEL

    def type_of(cost_type: str | None) -> str:
        return cost_type or "unspecified"

    by_model = _amounts(_dollars(sums.by_model, model_of),
                        _dollars(prior_sums.by_model, model_of) if prior_sums is not None else None)
    by_type = _amounts(_dollars(sums.by_cost_type, type_of),
                       _dollars(prior_sums.by_cost_type, type_of) if prior_sums is not None else None)
    mix = usage.total()
    priority = usage.total("priority")
    has_prior = prior_sums is not None
    top = tuple(Amount(line.name, line.amount, line.prior_amount if has_prior else None)
                for line in workspaces[:TOP_WORKSPACES])
    movers: list[Amount] = []
    if has_prior:
        movers = [Amount(f"Workspace: {line.name}", line.amount, line.prior_amount) for line in workspaces]
        movers += [Amount(f"Model: {amount.label}", amount.amount, amount.prior_amount) for amount in by_model]
        movers = [m for m in movers if m.change]
        movers.sort(key=lambda amount: (-abs(amount.change or ZERO), amount.label))
    return Drivers(
        daily=_daily(month, by_day),
        prior_daily=_daily(month.prior(), prior_by_day) if prior_by_day is not None else (),
        by_model=by_model,
        by_cost_type=by_type,
        token_mix=mix,
        priority_tokens=priority,
        top_workspaces=top,
        movers=tuple(movers[:TOP_MOVERS]),
    )


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
