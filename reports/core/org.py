"""The organization as the config maps it: every workspace, API key, user and service account with its cost
center (or unmapped) and its spend in a month, for `chargeback org`. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from reports.core.money import cents_to_dollars
from reports.core.months import Month
from reports.core.records import SERVICE_ACCOUNT, USER, Attribution
from reports.core.settings import ANALYTICS, Settings, SharedRule, SourceName

WORKSPACE = "workspace"
API_KEY = "api key"
USER_KIND = "user"
SERVICE_ACCOUNT_KIND = "service account"
KINDS = (WORKSPACE, API_KEY, USER_KIND, SERVICE_ACCOUNT_KIND)
UNMAPPED = "unmapped"
# the config's list under a cost center for each kind
CONFIG_LISTS = {WORKSPACE: "workspaces", API_KEY: "api_keys", USER_KIND: "users",
                SERVICE_ACCOUNT_KIND: "service_accounts"}


@dataclass(frozen=True)
class Listed:
    """One item of an organization listing (or seen only in the month's spend)."""

    kind: str  # WORKSPACE | API_KEY | USER_KIND | SERVICE_ACCOUNT_KIND
    id: str
    name: str
    status: str  # active, archived 2026-10-20, default, a user's role, not listed (seen in spend) …
    workspace_id: str | None = None  # an API key's workspace
    email: str | None = None  # a user's
    default: bool = False  # the organization's Default workspace


@dataclass(frozen=True)
class OrgEntry:
    """A row of `chargeback org`: what the organization has, where the config sends it, what it spent."""

    item: Listed
    cost_center: str  # a code, "shared (…)", "ENG-100 (by workspace)", or UNMAPPED
    mapped: bool  # a rule of the config names it (or, for the Default workspace, default_workspace)
    spend: Decimal | None  # USD in the month; None where the source cannot say (keys and users, legacy)


@dataclass(frozen=True)
class Organization:
    entries: tuple[OrgEntry, ...]
    source: SourceName

    def of_kind(self, kind: str) -> tuple[OrgEntry, ...]:
        return tuple(entry for entry in self.entries if entry.item.kind == kind)

    @property
    def unmapped(self) -> tuple[OrgEntry, ...]:
        """The entries the skeleton places: those the source can map and no rule names."""
        return tuple(entry for entry in self.entries
                     if not entry.mapped and not entry.item.default and mappable(entry.item.kind, self.source))

    @property
    def default_workspace(self) -> OrgEntry:
        return next(entry for entry in self.entries if entry.item.default)


def mappable(kind: str, source: SourceName) -> bool:
    """Whether a config rule can name this kind: only workspaces with the legacy cost report."""
    return kind == WORKSPACE or source == ANALYTICS


def organization_of(settings: Settings | None, source: SourceName, listed: Sequence[Listed],
                    payers: dict[Attribution, Decimal], *, null_workspace_is_default: bool,
                    month: Month | None = None) -> Organization:
    """Every listed item (and every ID seen only in the month's spend) with its mapping and spend."""
    spend = _spend(payers, null_workspace_is_default)
    items = list(listed)
    if not any(item.default for item in items):  # the Default workspace exists even where no listing shows it
        items.insert(0, Listed(WORKSPACE, "", "Default workspace", "default", default=True))
    known = {(item.kind, item.id) for item in items}
    for kind, ids in spend.items():  # spent, but not in the listings: a removed user, a deleted key
        for item_id in ids:
            if item_id is not None and (kind, item_id) not in known and not (kind == WORKSPACE and item_id == ""):
                items.append(Listed(kind, item_id, item_id, "not listed (seen in spend)"))
    rules = _Rules(settings, month)
    workspaces = {item.id: item for item in items if item.kind == WORKSPACE}
    entries = []
    for item in items:
        code, mapped = rules.cost_center(item, workspaces)
        entries.append(OrgEntry(item, code, mapped, _spend_of(item, spend, source)))
    order = {kind: index for index, kind in enumerate(KINDS)}
    entries.sort(key=lambda entry: (order[entry.item.kind], not entry.item.default,
                                    -(entry.spend or 0), entry.item.name.lower(), entry.item.id))
    return Organization(tuple(entries), source)


def _spend(payers: dict[Attribution, Decimal], null_is_default: bool) -> dict[str, dict[str | None, Decimal]]:
    """Exact cents by kind and ID; the legacy Default workspace (null) is keyed ""."""
    found: dict[str, dict[str | None, Decimal]] = {kind: {} for kind in KINDS}

    def add(kind: str, key: str | None, cents: Decimal) -> None:
        found[kind][key] = found[kind].get(key, Decimal(0)) + cents

    for payer, cents in payers.items():
        workspace = payer.workspace_id if payer.workspace_id is not None else ("" if null_is_default else None)
        add(WORKSPACE, workspace, cents)
        if payer.api_key_id is not None:
            add(API_KEY, payer.api_key_id, cents)
        actor = payer.actor
        if actor is not None and actor.kind == USER:
            add(USER_KIND, actor.id or actor.email, cents)
        elif actor is not None and actor.kind == SERVICE_ACCOUNT:
            add(SERVICE_ACCOUNT_KIND, actor.id, cents)
    return found


def _spend_of(item: Listed, spend: dict[str, dict[str | None, Decimal]], source: SourceName) -> Decimal | None:
    if item.kind != WORKSPACE and source != ANALYTICS:
        return None  # the legacy cost report says only which workspace spent
    by_id = spend[item.kind]
    cents = by_id.get(item.id, Decimal(0))
    if item.default:
        cents += by_id.get("", Decimal(0))  # the legacy report writes the Default workspace as null
    if item.kind == USER_KIND and item.email:
        cents += by_id.get(item.email, Decimal(0)) if item.email != item.id else Decimal(0)
    return cents_to_dollars(cents)


class _Rules:
    """Where the config sends each ID: the cost center or shared rule that names it."""

    def __init__(self, settings: Settings | None, month: Month | None = None):
        self.settings = settings
        self.direct: dict[tuple[str, str], str] = {}
        self.people: dict[str, str] = {}  # the directory file's users in effect in the month
        if settings is None:
            return
        if settings.directory is not None and month is not None:
            self.people = settings.directory.lookup(month.last_day)
        for center in settings.cost_centers:
            for kind, field in CONFIG_LISTS.items():
                for value in getattr(center, field):
                    self.direct[(kind, _key(kind, value))] = center.code
        for rule in settings.shared:
            kind = WORKSPACE if rule.workspace else API_KEY
            self.direct[(kind, rule.target)] = _shared_label(rule)

    def cost_center(self, item: Listed, workspaces: dict[str, Listed]) -> tuple[str, bool]:
        settings = self.settings
        if settings is None:
            return UNMAPPED, False
        if item.default and settings.default_workspace:
            return settings.default_workspace, True
        keys = [(item.kind, _key(item.kind, item.id))]
        if item.email:
            keys.append((item.kind, _key(item.kind, item.email)))
        for key in keys:
            if key in self.direct:
                return self.direct[key], True
        people = settings.directory
        for _kind, value in keys if item.kind == USER_KIND and people is not None else ():
            if value in self.people:
                assert people is not None
                return f"{self.people[value]} (by {people.name})", True
        if item.kind == API_KEY:  # a key without a rule of its own is charged by its workspace
            workspace = workspaces.get(item.workspace_id) if item.workspace_id else next(
                (listed for listed in workspaces.values() if listed.default), None)
            if workspace is not None:
                code, mapped = self.cost_center(workspace, workspaces)
                if mapped:
                    return f"{code} (by its workspace)", False
        return UNMAPPED, False


def _key(kind: str, value: str) -> str:
    return value.lower() if kind == USER_KIND and "@" in value else value


def _shared_label(rule: SharedRule) -> str:
    if rule.split is None:
        return "shared (proportional)"
    return "shared (" + ", ".join(f"{code} {pct.normalize():f}%" for code, pct in rule.split.items()) + ")"


def total_spend(entries: Iterable[OrgEntry]) -> Decimal:
    return sum((entry.spend or Decimal(0) for entry in entries), Decimal(0))
