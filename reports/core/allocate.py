"""Cost-center allocation: spend by attribution to cost centers, exactly. Pure.

Each payer (an ``Attribution``: workspace, API key, actor) goes to exactly one owner, the
most specific rule that matches, in this order: the user or service account, then the
directory file's cost center for the user (``core.people``), then the user's RBAC group (one
per user, resolved for the month by ``core.groups``), then the API key, then the workspace,
then ``default_workspace`` for the Default workspace, then the unallocated
cost center. An owner is a cost center or a shared rule; a shared rule counts at
the level of what it names (a workspace or an API key).

Shares of a split are kept as exact fractions (a proportional split may divide by any
number), so the allocated total always equals the source total exactly. Rounding to cents
happens once, later, in ``totals``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from reports.core.money_text import money_text
from reports.core.months import Month
from reports.core.records import SERVICE_ACCOUNT, USER, Attribution
from reports.core.settings import Settings, SharedRule
from reports.errors import DataError

# The levels at which a rule matched, most specific first; what the PDF sums by.
BY_USER = "user"
BY_SERVICE_ACCOUNT = "service account"
BY_DIRECTORY = "directory"
BY_GROUP = "RBAC group"
BY_API_KEY = "API key"
BY_WORKSPACE = "workspace"
BY_DEFAULT_WORKSPACE = "Default workspace owner"
UNALLOCATED = "unallocated"
LEVELS = (BY_USER, BY_SERVICE_ACCOUNT, BY_DIRECTORY, BY_GROUP, BY_API_KEY, BY_WORKSPACE, BY_DEFAULT_WORKSPACE,
          UNALLOCATED)

Owner = str | SharedRule  # a cost center code, or a shared rule
Split = tuple[tuple[str, Fraction], ...]  # (cost center code, exact share); shares add up to 1


def describe_rule(rule: SharedRule) -> str:
    if rule.split is None:
        return "Shared (proportional)"
    parts = ", ".join(f"{code} {pct.normalize():f}%" for code, pct in rule.split.items())
    return f"Shared ({parts})"


def owner_label(owner: Owner) -> str:
    return owner if isinstance(owner, str) else describe_rule(owner)


@dataclass(frozen=True)
class Rules:
    """The configured owners, looked up by what a row names."""

    users: dict[str, Owner] = field(default_factory=dict)  # user ID, or email in lower case
    service_accounts: dict[str, Owner] = field(default_factory=dict)
    api_keys: dict[str, Owner] = field(default_factory=dict)
    workspaces: dict[str, Owner] = field(default_factory=dict)
    default_owner: str | None = None
    unallocated: str | None = None
    groups: Mapping[str, str] = field(default_factory=dict)  # user ID -> cost center of the user's RBAC group
    directory: dict[str, str] = field(default_factory=dict)  # user ID, or email in lower case -> code

    @classmethod
    def of(cls, settings: Settings, groups: Mapping[str, str] | None = None, month: Month | None = None) -> Rules:
        """The rules of the config; the directory file's rows are those in effect on ``month``'s last day
        (without a month, on no day: the directory places nobody)."""
        users: dict[str, Owner] = {}
        service_accounts: dict[str, Owner] = {}
        api_keys: dict[str, Owner] = {}
        workspaces: dict[str, Owner] = {}
        for center in settings.cost_centers:
            for workspace in center.workspaces:
                workspaces[workspace] = center.code
            for key in center.api_keys:
                api_keys[key] = center.code
            for user in center.users:
                users[_user_key(user)] = center.code
            for account in center.service_accounts:
                service_accounts[account] = center.code
        for rule in settings.shared:
            if rule.workspace is not None:
                workspaces[rule.workspace] = rule
            if rule.api_key is not None:
                api_keys[rule.api_key] = rule
        directory = settings.directory.lookup(month.last_day) if settings.directory and month else {}
        return cls(users, service_accounts, api_keys, workspaces, settings.default_workspace, settings.unallocated,
                   groups or {}, directory)

    def match(self, attribution: Attribution) -> tuple[str, Owner] | None:
        """The most specific rule for this payer: (level, owner), or None when nothing matches."""
        actor = attribution.actor
        if actor is not None:
            if actor.kind == USER:
                for key in (actor.id, actor.email):
                    found = self.users.get(_user_key(key)) if key else None
                    if found is not None:
                        return BY_USER, found
                for key in (actor.id, actor.email):  # then the directory file, by ID or email
                    code = self.directory.get(_user_key(key)) if key else None
                    if code is not None:
                        return BY_DIRECTORY, code
            elif actor.kind == SERVICE_ACCOUNT and actor.id in self.service_accounts:
                return BY_SERVICE_ACCOUNT, self.service_accounts[actor.id]
            if actor.kind == USER and actor.id is not None and actor.id in self.groups:
                return BY_GROUP, self.groups[actor.id]
        if attribution.api_key_id is not None and attribution.api_key_id in self.api_keys:
            return BY_API_KEY, self.api_keys[attribution.api_key_id]
        if attribution.workspace_id is not None and attribution.workspace_id in self.workspaces:
            return BY_WORKSPACE, self.workspaces[attribution.workspace_id]
        if attribution.default_workspace and self.default_owner is not None:
            return BY_DEFAULT_WORKSPACE, self.default_owner
        return None

    def configured_label(self, attribution: Attribution) -> str | None:
        """The owner label the config gives this payer, whether or not it spent."""
        found = self.match(attribution)
        return owner_label(found[1]) if found else None


def _user_key(value: str) -> str:
    # Emails compare case-insensitively (alice@acme.example is Alice@Acme.example); IDs do not
    # change under lower() in practice, but are kept as written.
    return value.lower() if "@" in value else value


@dataclass(frozen=True)
class Allocation:
    """Exact dollars per cost center, split into direct and shared, and how each payer went."""

    direct: dict[str, Fraction]  # own rules, Default workspace for its owner, unmatched for unallocated
    shared: dict[str, Fraction]  # shares of shared rules
    owner: dict[Attribution, str]  # payer -> owner label (cost center code or "Shared (…)")
    level: dict[Attribution, str]  # payer -> the level its rule matched at (UNALLOCATED when none)
    unmapped: dict[Attribution, Decimal]  # unmatched payer -> exact dollars (taken by unallocated)
    splits: dict[str, Split] = field(default_factory=dict)  # shared label -> its exact shares this month
    notes: tuple[str, ...] = ()

    def total(self, code: str) -> Fraction:
        return self.direct.get(code, Fraction(0)) + self.shared.get(code, Fraction(0))

    @property
    def allocated_total(self) -> Fraction:
        return sum(self.direct.values(), Fraction(0)) + sum(self.shared.values(), Fraction(0))

    def split_of(self, attribution: Attribution) -> Split:
        """How this payer's spend is divided between cost centers (exact shares adding up to 1)."""
        label = self.owner[attribution]
        return self.splits.get(label, ((label, Fraction(1)),))


def allocate(spend: Mapping[Attribution, Decimal], settings: Settings,
             describe: Mapping[Attribution, str] | None = None, period: str = "",
             groups: Mapping[str, str] | None = None, month: Month | None = None) -> Allocation:
    """Allocate exact dollars per payer to cost centers (``groups``: user ID -> the code of the user's group).

    Raises DataError naming the unmatched payers (``describe`` gives their names) when there
    is no unallocated cost center to take their spend.
    """
    rules = Rules.of(settings, groups, month)
    codes = [center.code for center in settings.cost_centers]
    direct: dict[str, Fraction] = {code: Fraction(0) for code in codes}
    shared: dict[str, Fraction] = {code: Fraction(0) for code in codes}
    owners: dict[Attribution, str] = {}
    levels: dict[Attribution, str] = {}
    unmapped: dict[Attribution, Decimal] = {}
    notes: list[str] = []
    pending: dict[str, tuple[SharedRule, Fraction]] = {}  # by label: a rule's spend is split once

    for attribution, amount in spend.items():
        found = rules.match(attribution)
        if found is None:
            unmapped[attribution] = amount
            continue
        level, owner = found
        levels[attribution] = level
        owners[attribution] = owner_label(owner)
        if isinstance(owner, str):
            direct[owner] += Fraction(amount)
        else:
            label = describe_rule(owner)
            rule, sofar = pending.get(label, (owner, Fraction(0)))
            pending[label] = (rule, sofar + Fraction(amount))

    if unmapped:
        if settings.unallocated is None:
            shown = "; ".join(
                f"{(describe or {}).get(payer) or _describe(payer)}: {money_text(amount)}"
                for payer, amount in sorted(unmapped.items(), key=lambda item: -item[1]))
            where = f" in {period}" if period else ""
            raise DataError(
                f"spend{where} that no rule in the config matches and no 'unallocated' cost center to take it: "
                f"{shown}; add them to a cost center or set 'unallocated'")
        for payer, amount in unmapped.items():
            direct[settings.unallocated] += Fraction(amount)
            owners[payer] = settings.unallocated
            levels[payer] = UNALLOCATED

    # Weights are direct spend (whichever rule brought it) before any unmatched spend
    # reaches the unallocated center; the unallocated center takes no share.
    weights = {code: direct[code] for code in codes if code != settings.unallocated}
    weight_total = sum(weights.values(), Fraction(0))
    splits: dict[str, Split] = {}
    for label, (rule, exact) in pending.items():
        if rule.split is not None:
            split = tuple((code, Fraction(pct) / 100) for code, pct in rule.split.items())
        elif weight_total == 0:
            if settings.unallocated is None:
                raise DataError(
                    f"shared {rule.target} is split proportionally, but no cost center has direct spend"
                    f"{' in ' + period if period else ''} to weigh it by, and there is no 'unallocated' cost "
                    f"center; give it a fixed split")
            split = ((settings.unallocated, Fraction(1)),)
            notes.append(f"Shared {rule.target} went to {settings.unallocated}: no cost center had direct spend "
                         "to weigh a proportional split")
        else:
            split = tuple((code, weight / weight_total) for code, weight in weights.items() if weight)
        splits[label] = split
        for code, share in split:
            shared[code] += exact * share

    return Allocation(direct=direct, shared=shared, owner=owners, level=levels, unmapped=unmapped,
                      splits=splits, notes=tuple(notes))


def _describe(payer: Attribution) -> str:
    parts = []
    if payer.actor is not None:
        parts.append(f"{payer.actor.kind.replace('_', ' ')} {payer.actor.label}")
    if payer.api_key_id is not None:
        parts.append(f"API key {payer.api_key_id}")
    if payer.default_workspace:
        parts.append("the Default workspace")
    elif payer.workspace_id is not None:
        parts.append(f"workspace {payer.workspace_id}")
    else:
        parts.append("no workspace")
    return ", ".join(parts)
