"""Test factories: small but complete Reports, built the way a run builds them.

``sample_report`` hands hand-written cost and usage rows, a directory of names and a mapping
to the real ``build_report``, so renderers are checked on a Report the product could make;
their tests check invariants (rows add up, debits == credits == total) against the Report
rather than hard-coded numbers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from reports.core.aggregate import build_report
from reports.core.history import Posted
from reports.core.journal_entry import Journal, JournalLine, Ledger
from reports.core.money import ZERO
from reports.core.month_data import MonthData
from reports.core.months import Month
from reports.core.records import ApiKey, Attribution, CostRow, Directory, TokenCounts, UsageRow, Workspace
from reports.core.report import Report, RunInfo
from reports.core.settings import CostCenter, JournalSettings, Settings, SharedRule
from reports.core.sums import sum_costs, sum_usage
from reports.sources.cost_report import PROFILE, legacy_notes

MONTH = Month(2026, 10)

UNALLOCATED = "FIN-999"
PLATFORM_WS = "wrkspc_01AAAA"
SUPPORT_WS = "wrkspc_01CCCC"
SHARED_WS = "wrkspc_01DDDD"
UNMAPPED_WS = "wrkspc_01ZZZZ"
SHARED_LABEL = "Shared (ENG-100 70%, SUP-200 30%)"

# Cost centers: ENG-100 over its budget, SUP-200 under it, RES-300 configured without budget or
# spend, FIN-999 takes what no rule maps (the archived Skunkworks workspace: a WARN check).
_COST_CENTERS = (
    CostCenter("ENG-100", "Platform Engineering", owner="platform-lead@acme.example", expense_account="6421",
               budget=Decimal("500.00"), workspaces=(PLATFORM_WS,)),
    CostCenter("SUP-200", "Customer Support", owner="support-lead@acme.example", expense_account="6420",
               budget=Decimal("2500.00"), workspaces=(SUPPORT_WS,)),
    CostCenter("RES-300", "Research", expense_account="6420"),
    CostCenter(UNALLOCATED, "Unallocated", expense_account="6420"),
)
_SHARED = (SharedRule(SHARED_WS, {"ENG-100": Decimal("70"), "SUP-200": Decimal("30")}),)
_WORKSPACE_NAMES = {PLATFORM_WS: "Platform Prod", SUPPORT_WS: "Support Bot", SHARED_WS: "Shared Tools",
                    UNMAPPED_WS: "Skunkworks"}
_ARCHIVED_AT = {UNMAPPED_WS: "2026-09-30T12:00:00Z"}

_SONNET = "claude-sonnet-4-5-20250929"
_HAIKU = "claude-haiku-4-5-20251001"
_OPUS = "claude-opus-4-1-20250805"


def sample_settings(organization: str = "Acme Corp") -> Settings:
    """The mapping of ``sample_report``: the Default workspace to ENG-100, Shared Tools split 70/30."""
    return Settings(organization=organization, cost_centers=_COST_CENTERS,
                    journal=JournalSettings(credit_account="2150", expense_account="6420"),
                    default_workspace="ENG-100", unallocated=UNALLOCATED, shared=_SHARED,
                    source_path="chargeback.yaml", sha256="9f2b" * 16)


def _payer(workspace_id: str | None, api_key_id: str | None = None) -> Attribution:
    return Attribution(workspace_id, default_workspace=workspace_id is None, api_key_id=api_key_id)


def _token_row(day, ws, model, token_type, cents, tier="standard", window="0-200k") -> CostRow:
    description = f"{model} {token_type.replace('_', ' ')}"
    return CostRow(day=day, attribution=_payer(ws), description=description, cost_type="tokens", model=model,
                   token_type=token_type, service_tier=tier, context_window=window, amount_cents=Decimal(cents))


def _base_rows(month: Month) -> list[CostRow]:
    """Every day has spend; amounts carry fractional cents, as the API's do."""
    rows: list[CostRow] = []
    for index, day in enumerate(month.days):
        cents = Decimal(1200 + (index * 137) % 900) + Decimal("0.125") * (index % 8)
        rows.append(_token_row(day, PLATFORM_WS, _SONNET, "uncached_input_tokens", cents))
        if index % 3 == 0:
            cents = Decimal(300 + index * 11) + Decimal("0.3333")
            rows.append(_token_row(day, SUPPORT_WS, _HAIKU, "output_tokens", cents))
    first, mid, last = month.days[0], month.days[14], month.days[-1]
    rows += [
        _token_row(first, None, _SONNET, "output_tokens", Decimal("2034.5")),
        _token_row(mid, None, _HAIKU, "cache_read_input_tokens", Decimal("0.0005")),
        _token_row(mid, SHARED_WS, _OPUS, "output_tokens", Decimal("4567.891")),
        _token_row(last, SHARED_WS, _SONNET, "cache_creation.ephemeral_5m_input_tokens", Decimal("812.45"),
                   window="200k-1M"),
        CostRow(day=mid, attribution=_payer(SUPPORT_WS), description="Web search", cost_type="web_search", model=None,
                token_type=None, service_tier=None, context_window=None, amount_cents=Decimal("1000")),
        _token_row(last, UNMAPPED_WS, _OPUS, "uncached_input_tokens", Decimal("999.995")),
    ]
    rows.sort(key=lambda row: row.day)  # API order: by day, then as returned
    return rows


_GENERATED_WORKSPACES = (PLATFORM_WS, SUPPORT_WS, None, SHARED_WS, UNMAPPED_WS)


def _generated_rows(month: Month, count: int) -> list[CostRow]:
    days = month.days
    rows = []
    for i in range(count):
        day = days[(i * len(days)) // count] if count >= len(days) else days[i % len(days)]
        cents = Decimal(100 + (i * 37) % 5000) + Decimal("0.125") * (i % 8)
        rows.append(_token_row(day, _GENERATED_WORKSPACES[i % 5], (_SONNET, _HAIKU, _OPUS)[i % 3], "output_tokens",
                               cents))
    rows.sort(key=lambda row: row.day)
    return rows


def _tokens_for(seed: int) -> TokenCounts:
    return TokenCounts(uncached_input=120_000 * seed + 17, cache_write_5m=8_000 * seed,
                       cache_write_1h=1_000 * (seed % 3), cache_read=300_000 * seed, output=45_000 * seed + 3,
                       web_searches=seed % 4)


# (workspace, key id, key name, model, service tier, seed of the token counts)
_USAGE = (
    (PLATFORM_WS, "apikey_01PLAT", "platform-prod-key", _SONNET, "standard", 7),
    (PLATFORM_WS, "apikey_01PLAT", "platform-prod-key", _SONNET, "priority", 2),
    (PLATFORM_WS, "apikey_01PLAT", "platform-prod-key", _HAIKU, "batch", 1),
    (SUPPORT_WS, "apikey_01SUPP", "support-bot", _HAIKU, "standard", 5),
    (None, None, None, _SONNET, "standard", 1),  # Console / Workbench: no key
    (SHARED_WS, "apikey_01SHRD", "shared-tools", _OPUS, "standard", 3),
    (UNMAPPED_WS, "apikey_01SKNK", "skunkworks", _OPUS, "standard", 1),
)


def _usage_rows(month: Month) -> list[UsageRow]:
    return [UsageRow(day=month.days[0], attribution=_payer(ws, key), model=model, service_tier=tier,
                     context_window="0-200k", tokens=_tokens_for(seed))
            for ws, key, _name, model, tier, seed in _USAGE]


def _directory(workspace_name: str | None) -> Directory:
    names = dict(_WORKSPACE_NAMES)
    if workspace_name is not None:
        names[PLATFORM_WS] = workspace_name
    workspaces = {ws: Workspace(ws, name, _ARCHIVED_AT.get(ws)) for ws, name in names.items()}
    keys = {key: ApiKey(key, name, ws) for ws, key, name, *_ in _USAGE if key is not None}
    return Directory(workspaces=workspaces, api_keys=keys)


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
    prior_posted: Posted | None = None,
) -> Report:
    """A complete Report for October 2026, built by ``build_report`` from rows written here.

    ``workspace_name`` replaces the name of ``wrkspc_01AAAA`` (default "Platform Prod") everywhere
    it appears, for injection tests. ``prior=False``: the prior month could not be had.
    ``line_item_count`` replaces the month's cost rows with that many generated ones (for
    row-limit tests); every total follows them. ``prior_posted``: the prior month as its books hold it.
    """
    month = MONTH
    rows = _base_rows(month) if line_item_count is None else _generated_rows(month, line_item_count)
    # the prior month differs: it has no shared Opus row
    prior_rows = [row for row in _base_rows(month.prior())
                  if not (row.workspace_id == SHARED_WS and row.model == _OPUS)]
    usage = sum_usage(_usage_rows(month))
    fetched = datetime(2026, 11, 1, 5, 59, 30, tzinfo=UTC)
    run_info = RunInfo(
        run_id="20261101T060000Z-3f9a1c",
        generated_at=datetime(2026, 11, 1, 6, 0, 0, tzinfo=UTC),
        tool_version="0.1.0",
        source="demo" if demo else "api",
        config_sha256="9f2b" * 16,
        demo=demo,
        data_fetched_at=fetched,
        notes=("DEMO: a simulated organization; these are not real charges.",) if demo else (),
    )
    data = MonthData(
        profile=PROFILE, cost_rows=rows, prior_cost=sum_costs(prior_rows) if prior else None, usage=usage,
        prior_usage_available=prior, directory=_directory(workspace_name), days_with_data=set(month.days),
        notes=legacy_notes(usage.total("priority")),
    )
    return build_report(month, sample_settings(organization), data, run_info, prior_posted=prior_posted,
                        books_read=prior_posted is not None)


ALL_LAYOUTS = ("netsuite", "xero", "quickbooks", "business_central", "intacct")
ACCOUNT_NAMES = {"6420": "Software:Claude API", "6421": "Software:Claude API - Engineering",
                 "6425": "Software:Claude API - Data", "2150": "Accrued Liabilities"}


def layout_settings(centers, *, date_formats: dict[str, str] | None = None, **journal):
    """Settings for ``centers`` with every journal layout configured (as a controller would)."""
    from reports.core.settings import (
        BusinessCentralSettings,
        IntacctSettings,
        JournalSettings,
        NetSuiteSettings,
        QuickBooksSettings,
        Settings,
        XeroSettings,
    )

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
    journal = usd_journal(MONTH, [(c.expense_account, c.code, c.name, amount)
                                  for c, amount in zip(centers, amounts, strict=True)])
    return layout_settings(centers), journal
