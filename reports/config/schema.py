"""The configuration schema: ``chargeback.yaml`` validated into frozen Settings, every problem at once.

Each problem names the file, the line and the key, so a user can fix them all in one pass.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from email.utils import parseaddr
from pathlib import Path

from reports.config.yaml_nodes import Node, Problems, parse_yaml
from reports.core.months import Month
from reports.core.settings import (
    ANALYTICS,
    COST_REPORT,
    DATE_FORMATS,
    LAYOUTS,
    SOURCES,
    USD,
    BusinessCentralSettings,
    CostCenter,
    EmailSettings,
    IntacctSettings,
    JournalSettings,
    NetSuiteSettings,
    PdfSettings,
    QuickBooksSettings,
    Settings,
    SharedRule,
    SourceName,
    XeroSettings,
)
from reports.errors import ConfigError
from reports.hosts import is_loopback

_TOP_KEYS = {
    "organization", "source", "journal", "cost_centers", "default_workspace", "unallocated",
    "shared", "email", "pdf", "fiscal_year_start",
}
_RULE_LISTS = ("workspaces", "api_keys", "users", "service_accounts")
_JOURNAL_KEYS = {"credit_account", "expense_account", "memo", "layouts", "account_names", "currency",
                 "exchange_rates", *LAYOUTS}
# Each layout's own settings (journal.<layout>), and the choices of its dimension.
_LAYOUT_KEYS = {
    "netsuite": {"subsidiary", "dimension", "date_format"},
    "xero": {"tax_rate", "tracking_category", "date_format"},
    "quickbooks": {"dimension", "date_format"},
    "business_central": {"date_format"},
    "intacct": {"journal", "date_format"},
}
_DIMENSIONS = {"netsuite": ("department", "class", "location"), "quickbooks": ("class", "location")}
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_CENTER_KEYS = {"code", "name", "owner", "expense_account", "budget", "annual_budget", "dimension", *_RULE_LISTS}
_SHARED_KEYS = {"workspace", "api_key", "split"}
_EMAIL_KEYS = {
    "to", "cc", "workbook_to", "from", "smtp_host", "smtp_port", "security",
    "username_env", "password_env",
}
_SECURITY = ("starttls", "ssl", "none")
_PAPERS = ("letter", "a4")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def load_settings(path: Path, *, source: str | None = None) -> Settings:
    """Read, parse and validate the config file; raise ConfigError listing every problem.

    ``source`` overrides the file's ``source:`` (``run --source``); the rules are checked
    against the source that will be used.
    """
    shown = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(shown, [f"{shown}: file not found (copy config/chargeback.example.yaml to start)"]) from None
    except OSError as exc:
        raise ConfigError(shown, [f"{shown}: cannot be read: {exc.strerror}"]) from None
    return parse_settings(data, shown, source=source)


def parse_settings(data: bytes, shown_path: str, *, source: str | None = None) -> Settings:
    problems = Problems(shown_path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(shown_path, [f"{shown_path}: not UTF-8 text (byte {exc.start})"]) from None
    root = parse_yaml(text, shown_path)
    if root is None or not isinstance(root.value, dict):
        raise ConfigError(shown_path,
                          [f"{shown_path}:1: the file must be a YAML mapping with organization and cost_centers"])
    settings = _build(root, problems, source)
    if problems.items:
        raise ConfigError(shown_path, problems.items)
    assert settings is not None
    return Settings(
        **{**settings.__dict__, "source_path": shown_path, "sha256": hashlib.sha256(data).hexdigest()}
    )


# ---------------------------------------------------------------- validation


def _build(root: Node, problems: Problems, source_override: str | None) -> Settings | None:
    top: dict[str, Node] = root.value
    _unknown_keys(top, _TOP_KEYS, "", problems)

    organization = _text(top.get("organization"), "organization", problems, required=True, parent=root)
    source = _source(top.get("source"), source_override, problems)
    journal = _journal(top.get("journal"), problems)
    claims: list[_Claim] = []
    centers = _cost_centers(top.get("cost_centers"), problems, root, claims)
    codes = {center.code for center in centers}
    _check_layouts(top.get("journal"), journal, centers, problems)

    default_workspace = _code_ref(top.get("default_workspace"), "default_workspace", codes, problems)
    unallocated = _code_ref(top.get("unallocated"), "unallocated", codes, problems)
    shared = _shared(top.get("shared"), codes, problems, claims)
    _check_claims(claims, source, source_override, problems)
    email = _email(top.get("email"), problems)
    pdf = _pdf(top.get("pdf"), problems)
    fiscal_year_start = _fiscal_year_start(top.get("fiscal_year_start"), problems)

    return Settings(
        organization=organization or "",
        cost_centers=tuple(centers),
        journal=journal,
        default_workspace=default_workspace,
        unallocated=unallocated,
        shared=tuple(shared),
        email=email,
        pdf=pdf,
        source=source or COST_REPORT,
        fiscal_year_start=fiscal_year_start,
    )


def _source(node: Node | None, override: str | None, problems: Problems) -> SourceName | None:
    """The source the run will use; None when the file names an unknown one (a problem already)."""
    configured = _text(node, "source", problems)
    if configured is not None and configured not in SOURCES:
        problems.add(node, "source", f"must be one of {', '.join(SOURCES)}, got {configured!r}")
        return None if override is None else SourceName(override)
    return SourceName(override or configured or COST_REPORT)


def _unknown_keys(mapping: dict[str, Node], allowed: set[str], prefix: str, problems: Problems) -> None:
    for key, node in mapping.items():
        if key not in allowed:
            hint = ", ".join(sorted(allowed))
            problems.add(node, f"{prefix}{key}", f"unknown key (expected one of: {hint})")


def _text(node: Node | None, key: str, problems: Problems, *, required: bool = False,
          parent: Node | None = None) -> str | None:
    if node is None or node.value is None:
        if required:
            problems.add(parent, key, "is required")
        return None
    if isinstance(node.value, (dict, list)) or isinstance(node.value, bool):
        problems.add(node, key, "must be text")
        return None
    value = node.text if node.text is not None else str(node.value)
    if not value.strip():
        problems.add(node, key, "must not be empty")
        return None
    return value.strip()


def _decimal(node: Node, key: str, problems: Problems) -> Decimal | None:
    if isinstance(node.value, bool) or not isinstance(node.value, (int, float, str)) or node.text is None:
        problems.add(node, key, f"must be a number, got {node.text or type(node.value).__name__!r}")
        return None
    try:
        value = Decimal(node.text.replace("_", ""))
    except InvalidOperation:
        problems.add(node, key, f"must be a number, got {node.text!r}")
        return None
    if not value.is_finite():
        problems.add(node, key, f"must be a finite number, got {node.text!r}")
        return None
    return value


def _string_list(node: Node | None, key: str, problems: Problems) -> list[tuple[str, Node]]:
    if node is None or node.value is None:
        return []
    if not isinstance(node.value, list):
        problems.add(node, key, "must be a list, for example [a, b]")
        return []
    items = []
    for index, item in enumerate(node.value):
        text = _text(item, f"{key}[{index}]", problems)
        if text is not None:
            items.append((text, item))
    return items


def _mapping(node: Node | None, key: str, problems: Problems) -> dict[str, Node] | None:
    if node is None or node.value is None:
        return None
    if not isinstance(node.value, dict):
        problems.add(node, key, "must be a mapping of keys to values")
        return None
    return node.value


def _journal(node: Node | None, problems: Problems) -> JournalSettings:
    mapping = _mapping(node, "journal", problems)
    if mapping is None:
        return JournalSettings()
    _unknown_keys(mapping, _JOURNAL_KEYS, "journal.", problems)
    defaults = JournalSettings()
    currency = _currency(mapping.get("currency"), problems)
    return JournalSettings(
        credit_account=(_text(mapping.get("credit_account"), "journal.credit_account", problems)
                        or defaults.credit_account),
        expense_account=(_text(mapping.get("expense_account"), "journal.expense_account", problems)
                         or defaults.expense_account),
        memo=_memo(mapping.get("memo"), problems) or defaults.memo,
        layouts=_layouts(mapping.get("layouts"), problems),
        account_names=_account_names(mapping.get("account_names"), problems),
        netsuite=NetSuiteSettings(**_layout_settings(mapping, "netsuite", problems)),
        xero=XeroSettings(**_layout_settings(mapping, "xero", problems)),
        quickbooks=QuickBooksSettings(**_layout_settings(mapping, "quickbooks", problems)),
        business_central=BusinessCentralSettings(**_layout_settings(mapping, "business_central", problems)),
        intacct=IntacctSettings(**_layout_settings(mapping, "intacct", problems)),
        currency=currency,
        exchange_rates=_exchange_rates(mapping.get("exchange_rates"), currency, mapping.get("currency"), problems),
    )


def _layouts(node: Node | None, problems: Problems) -> tuple[str, ...]:
    if node is not None and isinstance(node.value, str):
        node = Node([Node(node.value, node.line, node.text)], node.line)  # `layouts: xero` means [xero]
    layouts: list[str] = []
    for index, (name, item) in enumerate(_string_list(node, "journal.layouts", problems)):
        if name not in LAYOUTS:
            problems.add(item, f"journal.layouts[{index}]",
                         f"unknown layout {name!r} (expected any of: {', '.join(LAYOUTS)})")
        elif name in layouts:
            problems.add(item, f"journal.layouts[{index}]", f"{name} is listed twice")
        else:
            layouts.append(name)
    return tuple(layouts)


def _account_names(node: Node | None, problems: Problems) -> dict[str, str]:
    mapping = _mapping(node, "journal.account_names", problems)
    names: dict[str, str] = {}
    for account, item in (mapping or {}).items():
        name = _text(item, f"journal.account_names.{account}", problems)
        if name is not None:
            names[account] = name
    return names


def _layout_settings(journal: dict[str, Node], layout: str, problems: Problems) -> dict[str, str]:
    """The keyword arguments of one layout's settings (``journal.<layout>``); defaults for what is left out."""
    key = f"journal.{layout}"
    mapping = _mapping(journal.get(layout), key, problems)
    if mapping is None:
        return {}
    _unknown_keys(mapping, _LAYOUT_KEYS[layout], f"{key}.", problems)
    values: dict[str, str] = {}
    for name in sorted(_LAYOUT_KEYS[layout]):
        value = _text(mapping.get(name), f"{key}.{name}", problems)
        if value is None:
            continue
        if name == "date_format" and value not in DATE_FORMATS:
            problems.add(mapping[name], f"{key}.{name}",
                         f"unknown date format {value!r} (expected one of: {', '.join(DATE_FORMATS)})")
            continue
        if name == "dimension" and value not in _DIMENSIONS[layout]:
            problems.add(mapping[name], f"{key}.{name}",
                         f"must be one of {', '.join(_DIMENSIONS[layout])}, got {value!r}")
            continue
        values[name] = value
    return values


def _currency(node: Node | None, problems: Problems) -> str:
    currency = _text(node, "journal.currency", problems)
    if currency is None:
        return USD
    if not _CURRENCY.match(currency):
        problems.add(node, "journal.currency", f"{currency!r} is not an ISO 4217 currency code such as EUR or GBP")
        return USD
    return currency


def _exchange_rates(node: Node | None, currency: str, currency_node: Node | None,
                    problems: Problems) -> dict[Month, Decimal]:
    """Rates per month, read from the YAML text (never through a float); each must be a positive decimal."""
    mapping = _mapping(node, "journal.exchange_rates", problems)
    if mapping is None:
        return {}
    if currency == USD and mapping and (currency_node is None or currency_node.value == USD):
        problems.add(node, "journal.exchange_rates",
                     "rates are given but journal.currency is USD (the default): set journal.currency to the "
                     "ledger's currency, or remove exchange_rates")
    rates: dict[Month, Decimal] = {}
    for text, item in mapping.items():
        key = f"journal.exchange_rates.{text}"
        try:
            month = Month.parse(text)
        except ValueError as exc:
            problems.add(item, key, f"{exc}; write months as YYYY-MM keys, for example 2026-10: \"0.9210\"")
            continue
        if item.value is None:
            problems.add(item, key, "needs a rate: units of the ledger's currency per 1 USD")
            continue
        rate = _decimal(item, key, problems)
        if rate is None:
            continue
        if rate <= 0:
            problems.add(item, key, f"must be a positive decimal (units of {currency} per 1 USD), got {item.text}")
            continue
        rates[month] = rate
    return rates


def _check_layouts(node: Node | None, journal: JournalSettings, centers: list[CostCenter], problems: Problems) -> None:
    """What a configured layout needs from the rest of the config."""
    if node is None or not isinstance(node.value, dict):
        return
    mapping: dict[str, Node] = node.value
    anchor = mapping.get("layouts") or node
    if "quickbooks" in journal.layouts:
        probe = Settings(organization="", cost_centers=tuple(centers), journal=journal)
        names_node = mapping.get("account_names") or anchor
        for account in probe.posted_accounts():
            if account not in journal.account_names:
                problems.add(names_node, "journal.account_names",
                             f"no name for account {account}, which the quickbooks layout posts (QuickBooks Online "
                             f'imports accounts by name); add "{account}": "<the account\'s name in QuickBooks>"')
    if "xero" in journal.layouts and journal.xero.tax_rate is None:
        problems.add(mapping.get("xero") or anchor, "journal.xero.tax_rate",
                     "is required by the xero layout: the name of the tax rate for lines without tax in your "
                     'Xero organization, for example "Tax Exempt" or "No GST"')


def _memo(node: Node | None, problems: Problems) -> str | None:
    memo = _text(node, "journal.memo", problems)
    if memo is None:
        return None
    try:
        memo.format(month="2026-01")
    except (KeyError, IndexError, ValueError):
        problems.add(node, "journal.memo", "may contain only the placeholder {month}")
        return None
    return memo


def _cost_centers(node: Node | None, problems: Problems, root: Node, claims: list[_Claim]) -> list[CostCenter]:
    if node is None or not isinstance(node.value, list) or not node.value:
        problems.add(node or root, "cost_centers", "is required: a list of cost centers with code and name")
        return []
    centers: list[CostCenter] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(node.value):
        key = f"cost_centers[{index}]"
        mapping = _mapping(item, key, problems)
        if mapping is None:
            if item.value is None:
                problems.add(item, key, "is empty")
            continue
        _unknown_keys(mapping, _CENTER_KEYS, f"{key}.", problems)
        code = _text(mapping.get("code"), f"{key}.code", problems, required=True, parent=item)
        name = _text(mapping.get("name"), f"{key}.name", problems, required=True, parent=item)
        owner = _text(mapping.get("owner"), f"{key}.owner", problems)
        account = _text(mapping.get("expense_account"), f"{key}.expense_account", problems)
        budget, annual = (_budget(mapping.get(name), f"{key}.{name}", problems) for name in ("budget", "annual_budget"))
        lists = {field: _string_list(mapping.get(field), f"{key}.{field}", problems) for field in _RULE_LISTS}
        dimension = _text(mapping.get("dimension"), f"{key}.dimension", problems)
        if code is None:
            continue
        if code in seen:
            problems.add(mapping.get("code"), f"{key}.code",
                         f"{code} is already used by the cost center on line {seen[code]}")
            continue
        seen[code] = mapping["code"].line
        for field, items in lists.items():
            for text, item_node in items:
                if field == "users" and "@" in text and not _EMAIL.match(text):
                    problems.add(item_node, f"{key}.users", f"{text!r} is neither a user ID nor an email address")
                claims.append(_Claim(field, text, item_node, f"{key}.{field}", f"cost center {code}"))
        centers.append(CostCenter(code, name or code, owner, account, budget, dimension=dimension, annual_budget=annual,
                                  **{field: tuple(text for text, _ in items) for field, items in lists.items()}))
    return centers


def _budget(node: Node | None, key: str, problems: Problems) -> Decimal | None:
    """An optional budget in USD: a number, not negative."""
    if node is None or node.value is None:
        return None
    budget = _decimal(node, key, problems)
    if budget is not None and budget < 0:
        problems.add(node, key, "must not be negative")
    return budget


def _fiscal_year_start(node: Node | None, problems: Problems) -> int:
    """The month number (1-12) the fiscal year starts in; 1 (January) when not given."""
    if node is None or node.value is None:
        return 1
    if isinstance(node.value, bool) or not isinstance(node.value, int) or not 1 <= node.value <= 12:
        problems.add(node, "fiscal_year_start", f"must be a month number from 1 to 12 (4 for April), got "
                     f"{node.text or node.value!r}")
        return 1
    return node.value


def _code_ref(node: Node | None, key: str, codes: set[str], problems: Problems) -> str | None:
    code = _text(node, key, problems)
    if code is not None and code not in codes:
        problems.add(node, key, f"names cost center {code}, which is not defined under cost_centers")
        return None
    return code


def _shared(node: Node | None, codes: set[str], problems: Problems, claims: list[_Claim]) -> list[SharedRule]:
    if node is None or node.value is None:
        return []
    if not isinstance(node.value, list):
        problems.add(node, "shared", "must be a list of {workspace, split} or {api_key, split} rules")
        return []
    rules = []
    for index, item in enumerate(node.value):
        key = f"shared[{index}]"
        mapping = _mapping(item, key, problems)
        if mapping is None:
            continue
        _unknown_keys(mapping, _SHARED_KEYS, f"{key}.", problems)
        workspace = _text(mapping.get("workspace"), f"{key}.workspace", problems)
        api_key = _text(mapping.get("api_key"), f"{key}.api_key", problems)
        if (workspace is None) == (api_key is None):
            if "workspace" not in mapping and "api_key" not in mapping:
                problems.add(item, f"{key}", "needs a workspace (or, with source: analytics, an api_key) to split")
            elif workspace is not None:
                problems.add(mapping["api_key"], f"{key}.api_key",
                             "a shared rule names one workspace or one api_key, not both")
            continue
        split_node = mapping.get("split")
        split = _split(split_node, f"{key}.split", codes, problems, item)
        if split is False:
            continue
        field = "workspaces" if workspace is not None else "api_keys"
        target = workspace or api_key
        claims.append(_Claim(field, target or "", mapping["workspace" if workspace else "api_key"],
                             f"{key}.{'workspace' if workspace else 'api_key'}", f"shared rule {index + 1}"))
        rules.append(SharedRule(workspace, split, api_key))  # type: ignore[arg-type]
    return rules


def _split(node: Node | None, key: str, codes: set[str], problems: Problems,
           parent: Node) -> dict[str, Decimal] | None | bool:
    """The split percentages, None for proportional, False when invalid."""
    if node is None or node.value is None:
        problems.add(parent, key, "is required: 'proportional' or {CODE: percent, ...}")
        return False
    if node.value == "proportional":
        return None
    if not isinstance(node.value, dict) or not node.value:
        problems.add(node, key, "must be 'proportional' or a mapping of cost center codes to percentages")
        return False
    split: dict[str, Decimal] = {}
    valid = True
    for code, pct_node in node.value.items():
        if code not in codes:
            problems.add(pct_node, f"{key}.{code}",
                         f"names cost center {code}, which is not defined under cost_centers")
            valid = False
        pct = _decimal(pct_node, f"{key}.{code}", problems)
        if pct is None:
            valid = False
            continue
        if pct <= 0:
            problems.add(pct_node, f"{key}.{code}", "must be greater than 0")
            valid = False
        split[code] = pct
    if valid and sum(split.values()) != 100:
        problems.add(node, key, f"percentages add up to {sum(split.values())}, not exactly 100")
        valid = False
    return split if valid else False


@dataclass(frozen=True)
class _Claim:
    """One ID or email a rule names, where it is written, and whose it is."""

    field: str  # workspaces | api_keys | users | service_accounts
    value: str
    node: Node
    key: str  # e.g. cost_centers[2].users
    owner: str  # "cost center ENG-100" or "shared rule 1"

    @property
    def identity(self) -> tuple[str, str]:
        # an email is the same user whatever its case
        return self.field, self.value.lower() if self.field == "users" and "@" in self.value else self.value


_NEEDS_ANALYTICS = {"api_keys", "users", "service_accounts"}


def _check_claims(claims: list[_Claim], source: str | None, override: str | None, problems: Problems) -> None:
    """Each ID or email belongs to one rule; key, user and service-account rules need the analytics source."""
    owners: dict[tuple[str, str], str] = {}
    for claim in claims:
        if claim.identity in owners:
            problems.add(claim.node, claim.key, f"{claim.value} is already assigned to {owners[claim.identity]}")
        else:
            owners[claim.identity] = claim.owner
        if claim.field in _NEEDS_ANALYTICS and source not in (ANALYTICS, None):
            how = "run --source cost_report" if override else "source: cost_report"
            rule = "a shared api_key rule" if claim.owner.startswith("shared") else claim.field
            problems.add(claim.node, claim.key,
                         f"{rule} need source: analytics (with {how} the cost report only knows workspaces)")


def _email(node: Node | None, problems: Problems) -> EmailSettings | None:
    mapping = _mapping(node, "email", problems)
    if mapping is None:
        return None
    if "password" in mapping or "username" in mapping:
        bad = "password" if "password" in mapping else "username"
        problems.add(mapping[bad], f"email.{bad}",
                     f"credentials are never read from the YAML; set email.{bad}_env to the name of an "
                     "environment variable")
        mapping = {k: v for k, v in mapping.items() if k not in ("password", "username")}
    _unknown_keys(mapping, _EMAIL_KEYS, "email.", problems)
    to = _addresses(mapping.get("to"), "email.to", problems)
    if not to:
        problems.add(mapping.get("to") or node, "email.to", "needs at least one recipient")
    cc = _addresses(mapping.get("cc"), "email.cc", problems)
    workbook_to = _addresses(mapping.get("workbook_to"), "email.workbook_to", problems)
    sender = _text(mapping.get("from"), "email.from", problems, required=True, parent=node)
    if sender and not _EMAIL.match(parseaddr(sender)[1]):
        problems.add(mapping.get("from"), "email.from", f"{sender!r} is not an email address")
    host = _text(mapping.get("smtp_host"), "email.smtp_host", problems, required=True, parent=node)
    port = 587
    port_node = mapping.get("smtp_port")
    if port_node is not None and port_node.value is not None:
        value = port_node.value
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
            problems.add(port_node, "email.smtp_port", "must be a port number from 1 to 65535")
        else:
            port = value
    security = _text(mapping.get("security"), "email.security", problems) or "starttls"
    if security not in _SECURITY:
        problems.add(mapping.get("security"), "email.security", f"must be one of {', '.join(_SECURITY)}")
    envs = {}
    for key in ("username_env", "password_env"):
        name = _text(mapping.get(key), f"email.{key}", problems)
        if name is not None and not _ENV_NAME.match(name):
            problems.add(mapping.get(key), f"email.{key}",
                         "must be the name of an environment variable, for example SMTP_PASSWORD")
            name = None
        envs[key] = name
    _check_login(mapping, security, host, problems)
    return EmailSettings(
        to=tuple(to), sender=sender or "", smtp_host=host or "", smtp_port=port, security=security,
        cc=tuple(cc), workbook_to=tuple(workbook_to), **envs,
    )


def _check_login(mapping: dict[str, Node], security: str, host: str | None, problems: Problems) -> None:
    """The SMTP login: both variable names or neither, and never a password in clear to another machine."""
    given = [key for key in ("username_env", "password_env") if key in mapping and mapping[key].value is not None]
    if len(given) == 1:
        missing = "password_env" if given == ["username_env"] else "username_env"
        problems.add(mapping[given[0]], f"email.{missing}",
                     f"must be set together with email.{given[0]}: the SMTP login needs both")
    if given and security == "none" and host and not is_loopback(host):
        problems.add(mapping.get("security"), "email.security",
                     f"none would send the SMTP password unencrypted to {host}; "
                     "use starttls (port 587) or ssl (port 465)")


def _addresses(node: Node | None, key: str, problems: Problems) -> list[str]:
    if node is not None and isinstance(node.value, str):
        node = Node([Node(node.value, node.line, node.text)], node.line)
    addresses = []
    for text, item in _string_list(node, key, problems):
        if not _EMAIL.match(text):
            problems.add(item, key, f"{text!r} is not an email address")
        else:
            addresses.append(text)
    return addresses


def _pdf(node: Node | None, problems: Problems) -> PdfSettings:
    mapping = _mapping(node, "pdf", problems)
    if mapping is None:
        return PdfSettings()
    _unknown_keys(mapping, {"paper"}, "pdf.", problems)
    paper = _text(mapping.get("paper"), "pdf.paper", problems) or "letter"
    if paper.lower() not in _PAPERS:
        problems.add(mapping.get("paper"), "pdf.paper", f"must be one of {', '.join(_PAPERS)}")
        paper = "letter"
    return PdfSettings(paper=paper.lower())
