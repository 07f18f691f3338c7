"""The validated configuration, as frozen records (built by ``reports.config``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from reports.core.groups import GroupSettings
from reports.core.months import Month
from reports.core.people import PeopleDirectory

USD = "USD"

# The import layouts of accounting systems that `journal.layouts` can name (SPEC table).
LAYOUTS = ("netsuite", "xero", "quickbooks", "business_central", "intacct")

# Date formats a layout can be told to write; each system's import reads one of them,
# depending on the company's or the importing user's locale.
DATE_FORMATS = ("MM/DD/YYYY", "DD/MM/YYYY", "YYYY-MM-DD", "DD.MM.YYYY", "DD MMM YYYY")


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
    dimension: str | None = None  # the ERP's department/class/tracking option; None: the code
    annual_budget: Decimal | None = None  # USD for the fiscal year; None: ``budget`` × 12 where one is set
    products: tuple[tuple[str, str], ...] = ()  # (product, expense account): overrides of the top-level products:


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
class NetSuiteSettings:
    subsidiary: str | None = None  # OneWorld accounts: the subsidiary's name
    dimension: str = "department"  # department | class | location: the line field of the cost center
    date_format: str = "MM/DD/YYYY"  # the importing user's date preference


@dataclass(frozen=True)
class XeroSettings:
    tax_rate: str | None = None  # required with the layout: the org's no-tax rate name, e.g. "Tax Exempt"
    tracking_category: str | None = None  # the tracking category whose options are the cost centers
    date_format: str = "DD/MM/YYYY"


@dataclass(frozen=True)
class QuickBooksSettings:
    dimension: str = "class"  # class | location
    date_format: str = "MM/DD/YYYY"


@dataclass(frozen=True)
class BusinessCentralSettings:
    date_format: str = "MM/DD/YYYY"  # the importing user's region


@dataclass(frozen=True)
class IntacctSettings:
    journal: str = "GJ"  # the journal symbol the entries go to
    date_format: str = "MM/DD/YYYY"  # the format chosen on the import page


@dataclass(frozen=True)
class JournalSettings:
    credit_account: str = "2150"
    expense_account: str = "6420"
    memo: str = "Claude API chargeback {month}"
    layouts: tuple[str, ...] = ()  # of LAYOUTS, in the config's order
    account_names: Mapping[str, str] = field(default_factory=dict)  # account code -> name (QuickBooks)
    netsuite: NetSuiteSettings = field(default_factory=NetSuiteSettings)
    xero: XeroSettings = field(default_factory=XeroSettings)
    quickbooks: QuickBooksSettings = field(default_factory=QuickBooksSettings)
    business_central: BusinessCentralSettings = field(default_factory=BusinessCentralSettings)
    intacct: IntacctSettings = field(default_factory=IntacctSettings)
    currency: str = USD  # the ledger's currency (ISO 4217)
    exchange_rates: Mapping[Month, Decimal] = field(default_factory=dict)  # units of currency per 1 USD
    reverse_accrual: bool = False  # billing.mode invoiced: reverse the month's journal on the 1st of the next month


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


PRO_RATA = "pro_rata"  # a billing part split by each cost center's usage charge
EXCLUDE = "exclude"  # a billing part that stays in a central account, never charged back
BILLING_MODES = ("invoiced", "prepaid")


@dataclass(frozen=True)
class BillingSettings:
    """``billing:``: how the invoice's parts reach cost centers (pro_rata, exclude or a cost center code)."""

    mode: str = "invoiced"  # invoiced | prepaid
    credits: str = PRO_RATA
    tax: str = PRO_RATA
    other: str = EXCLUDE
    tolerance: Decimal = Decimal("1.00")  # USD: usage on the invoice vs the API total beyond this is a WARN
    prepaid_account: str | None = None  # prepaid: the asset account the usage journal credits
    payable_account: str | None = None  # prepaid: credited when a credit purchase is recorded

    def policy(self, part: str) -> str:
        """The policy of ``credits``, ``tax`` or ``other``."""
        return {"credits": self.credits, "tax": self.tax, "other": self.other}[part]


class SourceName(StrEnum):
    """Which API a month is read from: the config's ``source:``, written as its value in every file."""

    COST_REPORT = "cost_report"  # the legacy Admin API cost report: attribution by workspace
    ANALYTICS = "analytics"  # the Usage and Cost Analytics API: by workspace, API key and actor


COST_REPORT = SourceName.COST_REPORT
ANALYTICS = SourceName.ANALYTICS
SOURCES = tuple(SourceName)


@dataclass(frozen=True, slots=True)
class ConfiguredId:
    """An ID (or email) a rule of the config names, and the line it is written on (for warnings)."""

    kind: str  # workspaces | api_keys | users | service_accounts (the config's list names)
    value: str
    line: int


DEFAULT_UNALLOCATED_WARN_PERCENT = Decimal(5)


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
    source: SourceName = COST_REPORT
    fiscal_year_start: int = 1  # the month number the fiscal year starts in (year to date counts from it)
    # above this share of the month's spend on the unallocated cost center: a WARN, and close refuses the month
    unallocated_warn_percent: Decimal = DEFAULT_UNALLOCATED_WARN_PERCENT
    configured_ids: tuple[ConfiguredId, ...] = ()  # every ID the rules name, with its line
    billing: BillingSettings = field(default_factory=BillingSettings)
    groups: GroupSettings | None = None  # groups: and group_precedence: (analytics; None: no group rules)
    directory: PeopleDirectory | None = None  # ``directory:``: people to cost centers, from an HR/IdP export
    source_path: str = ""  # the file this came from, for messages
    sha256: str = ""  # of the file's bytes, for the manifest
    products: tuple[tuple[str, str], ...] = ()  # (product, expense account): products: at the top level

    @property
    def has_product_accounts(self) -> bool:
        """Whether ``products:`` sends some product's spend to its own account (the journal then splits by account)."""
        return bool(self.products) or any(center.products for center in self.cost_centers)

    def account_for(self, code: str, product: str | None) -> str:
        """The expense account of a cost center's spend on ``product``: the cost center's override, the
        top-level products:, else the cost center's own account (a null or unlisted product included)."""
        center = self.cost_center(code)
        if product is not None:
            for listed in (center.products, self.products):
                for name, account in listed:
                    if name == product:
                        return account
        return center.expense_account or self.journal.expense_account

    def cost_center(self, code: str) -> CostCenter:
        for center in self.cost_centers:
            if center.code == code:
                return center
        raise KeyError(code)

    def expense_account_for(self, code: str) -> str:
        return self.cost_center(code).expense_account or self.journal.expense_account

    def dimension_for(self, code: str) -> str:
        """The value a cost center posts to the ERP's dimension: its ``dimension``, or its code.

        A code no longer in the config (a restatement of a removed cost center) posts its code.
        """
        for center in self.cost_centers:
            if center.code == code:
                return center.dimension or code
        return code

    def posted_accounts(self) -> tuple[str, ...]:
        """Every account a journal of this config can post: expense accounts, the credit and billing accounts."""
        accounts = [self.journal.expense_account]
        accounts += [center.expense_account for center in self.cost_centers if center.expense_account]
        accounts += [account for _, account in self.products]
        accounts += [account for center in self.cost_centers for _, account in center.products]
        accounts.append(self.journal.credit_account)
        if self.billing.mode == "prepaid":
            accounts += [account for account in (self.billing.prepaid_account, self.billing.payable_account)
                         if account]
        return tuple(dict.fromkeys(accounts))

    def usage_credit_account(self) -> str:
        """The account the month's usage journal credits: the prepaid asset in ``prepaid`` mode, else the clearing."""
        if self.billing.mode == "prepaid" and self.billing.prepaid_account:
            return self.billing.prepaid_account
        return self.journal.credit_account

    def reverses_accrual(self) -> bool:
        """Whether the month's journal is an accrual reversed on the 1st of the next month (``invoiced`` mode)."""
        return self.billing.mode == "invoiced" and self.journal.reverse_accrual
