"""Test factories: small but complete, internally consistent Reports built by hand.

Every figure is computed from the factory's own inputs (line items -> workspaces -> cost
centers -> journal -> reconciliation), the same way the real aggregate step is meant to,
so renderers can be checked against the invariants (rows add up, debits == credits ==
total) without hard-coded numbers drifting apart.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timezone
from decimal import Decimal
from fractions import Fraction

from reports.core.records import DEFAULT_WORKSPACE_NAME, TokenCounts
from reports.core.report import Amount, Check, CostCenterLine, DailySpend, Drivers, Journal, JournalLine, Ledger, LineItem, Reconciliation, Report, RunInfo, UnmappedWorkspace, UsageLine, WorkspaceLine
from reports.core.money import ZERO, cents_to_dollars, largest_remainder, round_cents
from reports.core.months import Month

MONTH = Month(2026, 10)

# (code, name, owner, expense account, budget)
_COST_CENTERS = (
    ("ENG-100", "Platform Engineering", "platform-lead@acme.example", "6421", Decimal("500.00")),
    ("SUP-200", "Customer Support", "support-lead@acme.example", "6420", Decimal("2500.00")),
    ("RES-300", "Research", None, "6420", None),  # configured but no spend this month
    ("FIN-999", "Unallocated", None, "6420", None),
)
UNALLOCATED = "FIN-999"

PLATFORM_WS = "wrkspc_01AAAA"
SUPPORT_WS = "wrkspc_01CCCC"
SHARED_WS = "wrkspc_01DDDD"
UNMAPPED_WS = "wrkspc_01ZZZZ"
SHARED_SPLIT = {"ENG-100": Fraction(70, 100), "SUP-200": Fraction(30, 100)}
SHARED_LABEL = "Shared (ENG-100 70%, SUP-200 30%)"

# workspace id -> (default name, owning cost center code or None for the shared one)
_WORKSPACES: dict[str | None, tuple[str, str | None]] = {
    None: (DEFAULT_WORKSPACE_NAME, "ENG-100"),
    PLATFORM_WS: ("Platform Prod", "ENG-100"),
    SUPPORT_WS: ("Support Bot", "SUP-200"),
    SHARED_WS: ("Shared Tools", None),
    UNMAPPED_WS: ("Skunkworks", UNALLOCATED),
}
_ARCHIVED = {UNMAPPED_WS}

_SONNET = "claude-sonnet-4-5-20250929"
_HAIKU = "claude-haiku-4-5-20251001"
_OPUS = "claude-opus-4-1-20250805"


def _cost_center_label(workspace_id: str | None) -> str:
    owner = _WORKSPACES[workspace_id][1]
    return SHARED_LABEL if owner is None else owner


def _token_item(day, ws, model, token_type, cents, tier="standard", window="0-200k"):
    description = f"{model} {token_type.replace('_', ' ')}"
    return (day, ws, description, "tokens", model, token_type, tier, window, Decimal(cents))


def _base_items(month: Month, scale: int) -> list[tuple]:
    """Every day has spend; amounts carry fractional cents and scale with ``scale``."""
    items: list[tuple] = []
    for index, day in enumerate(month.days):
        # Platform Prod every day, amounts with 3 fraction digits of a cent
        cents = Decimal(1200 + (index * 137) % 900) * scale + Decimal("0.125") * (index % 8)
        items.append(_token_item(day, PLATFORM_WS, _SONNET, "uncached_input_tokens", cents))
        if index % 3 == 0:
            cents = Decimal(300 + index * 11) * scale + Decimal("0.3333")
            items.append(_token_item(day, SUPPORT_WS, _HAIKU, "output_tokens", cents))
    first, mid, last = month.days[0], month.days[14], month.days[-1]
    items += [
        _token_item(first, None, _SONNET, "output_tokens", Decimal("2034.5") * scale),
        _token_item(mid, None, _HAIKU, "cache_read_input_tokens", Decimal("0.0005") * scale),
        _token_item(mid, SHARED_WS, _OPUS, "output_tokens", Decimal("4567.891") * scale),
        _token_item(last, SHARED_WS, _SONNET, "cache_creation.ephemeral_5m_input_tokens",
                    Decimal("812.45") * scale, window="200k-1M"),
        (mid, SUPPORT_WS, "Web search", "web_search", None, None, None, None,
         Decimal("1000") * scale),
        _token_item(last, UNMAPPED_WS, _OPUS, "uncached_input_tokens", Decimal("999.995") * scale),
    ]
    items.sort(key=lambda item: item[0])  # API order: by day, then as returned
    return items


_GEN_WORKSPACES = (PLATFORM_WS, SUPPORT_WS, None, SHARED_WS, UNMAPPED_WS)


def _generated_items(month: Month, count: int) -> list[tuple]:
    days = month.days
    items = []
    for i in range(count):
        day = days[(i * len(days)) // count] if count >= len(days) else days[i % len(days)]
        ws = _GEN_WORKSPACES[i % len(_GEN_WORKSPACES)]
        model = (_SONNET, _HAIKU, _OPUS)[i % 3]
        cents = Decimal(100 + (i * 37) % 5000) + Decimal("0.125") * (i % 8)
        items.append(_token_item(day, ws, model, "output_tokens", cents))
    items.sort(key=lambda item: item[0])
    return items


def _workspace_exact(items: list[tuple]) -> dict[str | None, Decimal]:
    amounts: dict[str | None, Decimal] = {ws: ZERO for ws in _WORKSPACES}
    for item in items:
        amounts[item[1]] += cents_to_dollars(item[8])
    return amounts


def _allocate(ws_amounts: dict[str | None, Decimal]) -> tuple[dict[str, Fraction], dict[str, Fraction]]:
    """Exact direct and total allocation per cost center code (Fractions)."""
    direct = {code: Fraction(0) for code, *_ in _COST_CENTERS}
    for ws, amount in ws_amounts.items():
        owner = _WORKSPACES[ws][1]
        if owner is not None:
            direct[owner] += Fraction(amount)
    total = dict(direct)
    for code, share in SHARED_SPLIT.items():
        total[code] += Fraction(ws_amounts[SHARED_WS]) * share
    return direct, total


def _rounded_totals(ws_amounts: dict[str | None, Decimal]) -> tuple[Decimal, dict[str, Decimal]]:
    source = sum(ws_amounts.values(), ZERO)
    rounded = round_cents(source)
    _, exact = _allocate(ws_amounts)
    return rounded, largest_remainder(exact, rounded)


def _fraction_to_exact(value: Fraction) -> Decimal:
    from reports.core.money import fraction_to_decimal

    return fraction_to_decimal(value)


def _tokens_for(seed: int) -> TokenCounts:
    return TokenCounts(
        uncached_input=120_000 * seed + 17,
        cache_write_5m=8_000 * seed,
        cache_write_1h=1_000 * (seed % 3),
        cache_read=300_000 * seed,
        output=45_000 * seed + 3,
        web_searches=seed % 4,
    )


def _usage_lines(names: dict[str | None, str]) -> tuple[UsageLine, ...]:
    # (workspace, key id, key name, model, tier, seed); tokens zero -> no line
    rows = [
        (PLATFORM_WS, "apikey_01PLAT", "platform-prod-key", _SONNET, "standard", 7),
        (PLATFORM_WS, "apikey_01PLAT", "platform-prod-key", _SONNET, "priority", 2),
        (PLATFORM_WS, "apikey_01PLAT", "platform-prod-key", _HAIKU, "batch", 1),
        (SUPPORT_WS, "apikey_01SUPP", "support-bot", _HAIKU, "standard", 5),
        (None, None, "Console / Workbench", _SONNET, "standard", 1),
        (SHARED_WS, "apikey_01SHRD", "shared-tools", _OPUS, "standard", 3),
        (UNMAPPED_WS, "apikey_01SKNK", "skunkworks", _OPUS, "standard", 1),
    ]
    return tuple(
        UsageLine(ws, names[ws], key_id, key_name, model, tier, _tokens_for(seed))
        for ws, key_id, key_name, model, tier, seed in rows
    )


def _sum_tokens(lines) -> TokenCounts:
    total = TokenCounts()
    for line in lines:
        total = total + line.tokens
    return total


def _by(items: list[tuple], index: int, default: str, prior_items: list[tuple] | None) -> tuple[Amount, ...]:
    def group(rows):
        amounts: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for item in rows:
            amounts[item[index] or default] += cents_to_dollars(item[8])
        return amounts

    now = group(items)
    before = group(prior_items) if prior_items is not None else None
    labels = sorted(now, key=lambda label: (-now[label], label))
    return tuple(
        Amount(label, now[label], None if before is None else before.get(label, ZERO))
        for label in labels
    )


def _daily(month: Month, items: list[tuple]) -> tuple[DailySpend, ...]:
    per_day: dict[date, Decimal] = {day: ZERO for day in month.days}
    for item in items:
        per_day[item[0]] += cents_to_dollars(item[8])
    return tuple(DailySpend(day, per_day[day]) for day in month.days)


def usd_journal(month: Month, debits: list[tuple[str, str, str, Decimal]], *, credit_account: str = "2150",
                memo: str | None = None) -> Journal:
    """A USD journal built by hand: one debit line per (account, code, name, amount) with an
    amount, and one credit line for their sum (none when nothing is debited)."""
    period = str(month)
    journal_id = f"CB-{period}"
    memo = memo or f"Claude API chargeback {period}"
    lines = [JournalLine(journal_id, month.last_day, period, account, code, name, amount, None, memo,
                         f"{journal_id}-{code}", amount, None)
             for account, code, name, amount in debits if amount != 0]
    total = sum((line.debit for line in lines), ZERO)
    if lines:
        lines.append(JournalLine(journal_id, month.last_day, period, credit_account, None, None, None, total, memo,
                                 f"{journal_id}-CREDIT", None, total))
    return Journal(journal_id, month.last_day, period, memo, Ledger(), credit_account, tuple(lines))


def sample_report(
    *,
    demo: bool = False,
    organization: str = "Acme Corp",
    workspace_name: str | None = None,
    prior: bool = True,
    line_item_count: int | None = None,
) -> Report:
    """A complete Report for October 2026 (month 2026-10).

    Cost centers: ENG-100 (over its budget), SUP-200 (under its budget), RES-300 (no
    budget, no spend: zero row, no journal line) and FIN-999 Unallocated, which takes the
    unmapped (archived) workspace ``wrkspc_01ZZZZ`` (a WARN check). The Default workspace
    belongs to ENG-100; ``wrkspc_01DDDD`` is split 70/30. ``workspace_name`` replaces the
    name of ``wrkspc_01AAAA`` (default "Platform Prod") everywhere it appears, for
    injection tests. ``line_item_count`` replaces the line items with that many generated
    ones (for row-limit tests); totals follow them.
    """
    month = MONTH
    names = {ws: name for ws, (name, _) in _WORKSPACES.items()}
    if workspace_name is not None:
        names[PLATFORM_WS] = workspace_name

    items = _base_items(month, 1) if line_item_count is None else _generated_items(month, line_item_count)
    prior_items = _base_items(month.prior(), 1)
    # make the prior month differ: it has no shared opus row
    prior_items = [item for item in prior_items if not (item[1] == SHARED_WS and item[4] == _OPUS)]

    ws_amounts = _workspace_exact(items)
    prior_ws_amounts = _workspace_exact(prior_items)
    source_cents = sum((item[8] for item in items), ZERO)
    source_total = cents_to_dollars(source_cents)
    total, rounded = _rounded_totals(ws_amounts)
    direct_exact, total_exact = _allocate(ws_amounts)
    prior_total, prior_rounded = _rounded_totals(prior_ws_amounts)

    # ---- cost centers
    cost_centers = []
    for code, name, owner, account, budget in _COST_CENTERS:
        cc_total = rounded[code]
        direct = round_cents(_fraction_to_exact(direct_exact[code]))
        prior_cc = prior_rounded[code] if prior else None
        cost_centers.append(
            CostCenterLine(
                code=code,
                name=name,
                owner=owner,
                expense_account=account,
                direct=direct,
                shared=cc_total - direct,
                total=cc_total,
                exact_total=_fraction_to_exact(total_exact[code]),
                budget=budget,
                variance=None if budget is None else cc_total - budget,
                share_of_total=None if total == 0 else cc_total / total,
                prior_total=prior_cc,
                change=None if prior_cc is None else cc_total - prior_cc,
            )
        )

    # ---- usage and workspaces
    usage = _usage_lines(names)
    workspaces = []
    for ws in _WORKSPACES:
        tokens = _sum_tokens(line for line in usage if line.workspace_id == ws)
        workspaces.append(
            WorkspaceLine(
                workspace_id=ws,
                name=names[ws],
                cost_center=_cost_center_label(ws),
                amount=ws_amounts[ws],
                prior_amount=prior_ws_amounts[ws] if prior else ZERO,
                tokens=tokens,
                archived=ws in _ARCHIVED,
                unmapped=ws == UNMAPPED_WS,
            )
        )
    workspaces.sort(key=lambda line: (-line.amount, line.workspace_id or ""))

    # ---- line items
    line_items = tuple(
        LineItem(
            day=day,
            workspace_id=ws,
            workspace_name=names[ws],
            cost_center=_cost_center_label(ws),
            description=description,
            cost_type=cost_type,
            model=model,
            token_type=token_type,
            service_tier=tier,
            context_window=window,
            amount_cents=cents,
            amount=cents_to_dollars(cents),
        )
        for day, ws, description, cost_type, model, token_type, tier, window, cents in items
    )

    # ---- journal
    journal = usd_journal(month, [(line.expense_account, line.code, line.name, line.total) for line in cost_centers],
                          credit_account="2150")
    debits, credits = journal.debits, journal.credits

    # ---- reconciliation
    allocated = _fraction_to_exact(sum(total_exact.values(), Fraction(0)))
    unmapped_amount = ws_amounts[UNMAPPED_WS]
    unmapped = (UnmappedWorkspace(UNMAPPED_WS, names[UNMAPPED_WS], unmapped_amount, UNALLOCATED),)

    def status(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    checks = (
        Check("Source equals allocated", str(source_total), str(allocated),
              status(source_total == allocated)),
        Check("Cost centers add up to rounded total", str(total),
              str(sum((line.total for line in cost_centers), ZERO)),
              status(sum((line.total for line in cost_centers), ZERO) == total)),
        Check("Journal debits equal credits", str(debits), str(credits), status(debits == credits)),
        Check("Journal equals rounded total", str(total), str(debits), status(debits == total)),
        Check("Line items equal API rows", str(len(items)), str(len(line_items)),
              status(len(items) == len(line_items))),
        Check("Unmapped workspaces", "0", str(len(unmapped)), "WARN",
              f"{UNMAPPED_WS} ({names[UNMAPPED_WS]}) taken by {UNALLOCATED}"),
    )
    reconciliation = Reconciliation(
        source_total_cents=source_cents,
        source_total=source_total,
        allocated_total=allocated,
        rounded_total=total,
        journal_debits=debits,
        journal_credits=credits,
        rounding_difference=total - source_total,
        line_item_count=len(line_items),
        unmapped=unmapped,
        checks=checks,
    )

    # ---- drivers
    top = tuple(
        Amount(line.name, line.amount, line.prior_amount if prior else None) for line in workspaces
    )
    by_model = _by(items, 4, "(no model)", prior_items if prior else None)
    movers: tuple[Amount, ...] = ()
    if prior:
        candidates = [Amount(f"Workspace: {a.label}", a.amount, a.prior_amount) for a in top]
        candidates += [Amount(f"Model: {a.label}", a.amount, a.prior_amount) for a in by_model]
        candidates.sort(key=lambda a: (-abs(a.change or ZERO), a.label))
        movers = tuple(candidates[:5])
    drivers = Drivers(
        daily=_daily(month, items),
        prior_daily=_daily(month.prior(), prior_items) if prior else (),
        by_model=by_model,
        by_cost_type=_by(items, 3, "(none)", prior_items if prior else None),
        token_mix=_sum_tokens(usage),
        priority_tokens=_sum_tokens(line for line in usage if line.service_tier == "priority"),
        top_workspaces=top,
        movers=movers,
    )

    run_info = RunInfo(
        run_id="20261101T060000Z-3f9a1c",
        generated_at=datetime(2026, 11, 1, 6, 0, 0, tzinfo=timezone.utc),
        tool_version="0.1.0",
        source="demo" if demo else "api",
        config_sha256="9f2b" * 16,
        demo=demo,
        data_fetched_at=datetime(2026, 11, 1, 5, 59, 30, tzinfo=timezone.utc),
        notes=(
            "Priority Tier spend is not in the cost report; its tokens appear in Usage only.",
            "Cost data can lag by up to 24 hours; fetched 2026-11-01T05:59:30Z.",
        ),
    )

    return Report(
        month=month,
        organization=organization,
        total=total,
        prior_total=prior_total if prior else None,
        cost_centers=tuple(cost_centers),
        workspaces=tuple(workspaces),
        line_items=line_items,
        usage=usage,
        journal=journal,
        reconciliation=reconciliation,
        drivers=drivers,
        run_info=run_info,
        unallocated_code="FIN-999",
    )


ALL_LAYOUTS = ("netsuite", "xero", "quickbooks", "business_central", "intacct")
ACCOUNT_NAMES = {"6420": "Software:Claude API", "6421": "Software:Claude API - Engineering",
                 "6425": "Software:Claude API - Data", "2150": "Accrued Liabilities"}


def layout_settings(centers, *, date_formats: dict[str, str] | None = None, **journal):
    """Settings for ``centers`` with every journal layout configured (as a controller would)."""
    from reports.core.settings import (BusinessCentralSettings, IntacctSettings, JournalSettings, NetSuiteSettings,
                                       QuickBooksSettings, Settings, XeroSettings)

    formats = {"netsuite": "MM/DD/YYYY", "xero": "DD MMM YYYY", "quickbooks": "MM/DD/YYYY",
               "business_central": "DD.MM.YYYY", "intacct": "YYYY-MM-DD", **(date_formats or {})}
    options = dict(
        layouts=ALL_LAYOUTS, account_names=dict(ACCOUNT_NAMES),
        netsuite=NetSuiteSettings(subsidiary="Acme Corp US", dimension="class", date_format=formats["netsuite"]),
        xero=XeroSettings(tax_rate="Tax Exempt", tracking_category="Cost Center", date_format=formats["xero"]),
        quickbooks=QuickBooksSettings(dimension="location", date_format=formats["quickbooks"]),
        business_central=BusinessCentralSettings(date_format=formats["business_central"]),
        intacct=IntacctSettings(journal="GJ", date_format=formats["intacct"]),
    )
    return Settings(organization="Acme Corp", cost_centers=tuple(centers),
                    journal=JournalSettings(**{**options, **journal}), source_path="chargeback.yaml")


def wide_month(count: int = 350):
    """(Settings, Journal) of a month with ``count`` cost centers, all with spend, in USD.

    Enough cost centers that NetSuite (200 lines per entry) and Xero (300 lines per file)
    must split the journal. Accounts rotate over 6420/6421/6425; every third cost center has
    a ``dimension`` of its own (the others post their code).
    """
    from reports.core.settings import CostCenter

    accounts = ("6420", "6421", "6425")
    centers = [CostCenter(f"T-{i:03d}", f"Team {i}", expense_account=accounts[i % 3],
                          dimension=f"Dept {i}" if i % 3 == 0 else None)
               for i in range(1, count + 1)]
    amounts = [Decimal(1000 + (i * 7919) % 250_000).scaleb(-2) for i in range(1, count + 1)]
    journal = usd_journal(MONTH, [(c.expense_account, c.code, c.name, amount) for c, amount in zip(centers, amounts)])
    return layout_settings(centers), journal
