"""The validated configuration, as frozen records (built by ``reports.config``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class CostCenter:
    code: str
    name: str
    owner: str | None = None
    expense_account: str | None = None  # None: use journal.expense_account
    budget: Decimal | None = None  # monthly budget in USD
    workspaces: tuple[str, ...] = ()
    # attribution rules of the analytics source (source: analytics)
    api_keys: tuple[str, ...] = ()
    users: tuple[str, ...] = ()  # emails or user IDs
    service_accounts: tuple[str, ...] = ()


@dataclass(frozen=True)
class SharedRule:
    """Spend of one workspace (or, with the analytics source, one API key) split between cost centers."""

    workspace: str | None
    split: dict[str, Decimal] | None  # percentages by cost center code; None = proportional
    api_key: str | None = None

    @property
    def proportional(self) -> bool:
        return self.split is None

    @property
    def target(self) -> str:
        """What the rule names, for messages: the workspace or the API key."""
        return self.workspace or self.api_key or ""


@dataclass(frozen=True)
class JournalSettings:
    credit_account: str = "2150"
    expense_account: str = "6420"
    memo: str = "Claude API chargeback {month}"


@dataclass(frozen=True)
class EmailSettings:
    to: tuple[str, ...]
    sender: str  # the YAML key is ``from``
    smtp_host: str
    smtp_port: int = 587
    security: str = "starttls"  # starttls | ssl | none
    cc: tuple[str, ...] = ()
    workbook_to: tuple[str, ...] = ()  # a separate finance list that also gets the workbook
    username_env: str | None = None
    password_env: str | None = None


@dataclass(frozen=True)
class PdfSettings:
    paper: str = "letter"  # letter | a4


COST_REPORT = "cost_report"  # the legacy Admin API cost report: attribution by workspace
ANALYTICS = "analytics"  # the Usage and Cost Analytics API: by workspace, API key and actor
SOURCES = (COST_REPORT, ANALYTICS)


@dataclass(frozen=True)
class Settings:
    organization: str
    cost_centers: tuple[CostCenter, ...]
    journal: JournalSettings = field(default_factory=JournalSettings)
    default_workspace: str | None = None
    unallocated: str | None = None
    shared: tuple[SharedRule, ...] = ()
    email: EmailSettings | None = None
    pdf: PdfSettings = field(default_factory=PdfSettings)
    source: str = COST_REPORT
    source_path: str = ""  # the file this came from, for messages
    sha256: str = ""  # of the file's bytes, for the manifest

    def cost_center(self, code: str) -> CostCenter:
        for center in self.cost_centers:
            if center.code == code:
                return center
        raise KeyError(code)

    def expense_account_for(self, code: str) -> str:
        return self.cost_center(code).expense_account or self.journal.expense_account
