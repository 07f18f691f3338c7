"""`chargeback org` as text: the table of what the organization has, and the config skeleton (`--yaml`)."""

from __future__ import annotations

import json
from decimal import Decimal

from reports.core.money_text import money_text
from reports.core.months import Month
from reports.core.org import (
    API_KEY,
    CONFIG_LISTS,
    KINDS,
    UNMAPPED,
    WORKSPACE,
    Organization,
    OrgEntry,
    mappable,
    total_spend,
)
from reports.core.settings import ANALYTICS, CostCenter, Settings

FILL_IN = "FILL IN"
FRESH_UNALLOCATED = "UNALLOCATED"  # the unallocated cost center of a skeleton made without a config


def table(organization: Organization, month: Month, *, config: str | None, unlisted: tuple[str, ...]) -> list[str]:
    """The lines `chargeback org` prints: a header, one row per item, then what is unmapped."""
    counts = ", ".join(f"{len(organization.of_kind(kind))} {_plural(kind, len(organization.of_kind(kind)))}"
                       for kind in KINDS if organization.of_kind(kind))
    mapping = f"mapped by {config}" if config else "no config yet: everything is unmapped"
    lines = [f"Organization: {counts}; spend in {month} ({organization.source}); {mapping}"]
    header = ("kind", "ID", "name", "status", "cost center", f"spend {month}")
    rows = [header] + [(entry.item.kind, entry.item.id or "(none: null in reports)", entry.item.name,
                        entry.item.status, _cost_center(entry, organization), _spend(entry))
                       for entry in organization.entries]
    widths = [max(len(row[index]) for row in rows) for index in range(len(header))]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)]
        lines.append("  " + "  ".join(cells + [row[-1].rjust(widths[-1])]))
    workspaces = organization.of_kind(WORKSPACE)
    lines.append(f"  workspaces' spend adds up to {money_text(total_spend(workspaces))} (the month's total)")
    if organization.source != ANALYTICS:
        lines.append("  note: the cost report says only which workspace spent: API keys and users have no spend and no "
                     "rules of their own here (source: analytics charges by key and user)")
    for name in unlisted:
        lines.append(f"  note: the {name} listing was refused (service accounts need an OAuth token, not an Admin "
                     "key); those that spent are listed by ID" if "service" in name else
                     f"  note: the {name} listing was not available")
    unmapped = organization.unmapped
    if unmapped:
        parts = []
        for kind in KINDS:  # a key's or user's spend is also its workspace's: amounts only for workspaces
            of_kind = [entry for entry in unmapped if entry.item.kind == kind]
            if of_kind:
                spent = f" ({money_text(total_spend(of_kind))} in {month})" if kind == WORKSPACE else ""
                parts.append(f"{len(of_kind)} {_plural(kind, len(of_kind))}{spent}")
        lines.append(f"  unmapped: {', '.join(parts)}; `chargeback org --yaml` prints a config skeleton with each "
                     "of them in place")
    else:
        lines.append("  every ID the config can map is mapped")
    return lines


def _spend(entry: OrgEntry) -> str:
    return "-" if entry.spend is None else money_text(entry.spend)


def _cost_center(entry: OrgEntry, organization: Organization) -> str:
    if entry.mapped or mappable(entry.item.kind, organization.source) or entry.cost_center != UNMAPPED:
        return entry.cost_center
    return "-"  # a user under the legacy source: no rule can name one


def _plural(kind: str, count: int) -> str:
    name = "API key" if kind == API_KEY else kind
    return name if count == 1 else name + "s"


def skeleton(organization: Organization, month: Month, settings: Settings | None) -> str:
    """A config with the current mapping and every unmapped ID in place, under a cost center to fill in."""
    config = settings.source_path if settings is not None else None
    lines = [
        f"# Config skeleton from `chargeback org --yaml`: spend in {month} ({organization.source}).",
        f"# The mapping of {config} is kept; every ID it does not map is under the last cost center, whose"
        if config else "# No config yet: every ID is under the one cost center below, whose",
        f"# code and name say {FILL_IN}: give it a code and a name, or move each ID to the cost center it",
        "# belongs to (a workspace belongs to one cost center or one shared rule), then run",
        "# `chargeback check-config --config THIS-FILE`.",
    ]
    if config:
        lines.append(f"# Only the mapping is here: copy journal:, email:, pdf: and the rest from {config}.")
    name = settings.organization if settings is not None else None
    lines.append(f"organization: {_quote(name)}" if name else f"organization:    # {FILL_IN}: your company's name")
    lines.append(f"source: {organization.source}")
    if settings is not None and settings.unallocated_warn_percent != Decimal(5):
        lines.append(f"unallocated_warn_percent: {settings.unallocated_warn_percent}")
    lines.append("cost_centers:")
    for center in settings.cost_centers if settings is not None else ():
        lines += _center(center, organization)
    lines += _placeholder(organization, month)
    if settings is None:
        lines += [f"  - code: {_quote(FRESH_UNALLOCATED)}",
                  '    name: "Unallocated"   # takes the spend no rule maps (a WARN above 5% of the month)']
    default = organization.default_workspace
    spent = "" if default.spend is None else f"; {money_text(default.spend)} in {month}"
    if settings is not None and settings.default_workspace:
        lines.append(f"default_workspace: {_quote(settings.default_workspace)}")
    else:
        lines.append(f"default_workspace:    # {FILL_IN} (optional): the code of the cost center that owns the "
                     f"Default workspace{spent}")
    if settings is not None and settings.unallocated:
        lines.append(f"unallocated: {_quote(settings.unallocated)}")
    elif settings is None:  # spend of a workspace created later then warns instead of stopping the run
        lines.append(f"unallocated: {_quote(FRESH_UNALLOCATED)}")
    if settings is not None and settings.shared:
        lines.append("shared:")
        for rule in settings.shared:
            target = f"workspace: {_quote(rule.workspace)}" if rule.workspace else f"api_key: {_quote(rule.api_key)}"
            split = "proportional" if rule.split is None else "{" + ", ".join(
                f"{_quote(code)}: {pct}" for code, pct in rule.split.items()) + "}"
            lines += [f"  - {target}", f"    split: {split}"]
    return "\n".join(lines) + "\n"


def _center(center: CostCenter, organization: Organization) -> list[str]:
    names = {(entry.item.kind, entry.item.id): entry.item.name for entry in organization.entries}
    lines = [f"  - code: {_quote(center.code)}", f"    name: {_quote(center.name)}"]
    for field in ("owner", "expense_account", "dimension"):
        value = getattr(center, field)
        if value is not None:
            lines.append(f"    {field}: {_quote(value)}")
    for field in ("budget", "annual_budget"):
        value = getattr(center, field)
        if value is not None:
            lines.append(f"    {field}: {value}")
    for kind, field in CONFIG_LISTS.items():
        values = getattr(center, field)
        if values:
            lines.append(f"    {field}:")
            lines += [f"      - {_quote(value)}" + (f"   # {names[(kind, value)]}" if (kind, value) in names else "")
                      for value in values]
    return lines


def _placeholder(organization: Organization, month: Month) -> list[str]:
    unmapped = organization.unmapped
    if not unmapped:
        return []
    lines = [f"  - code:    # {FILL_IN}: a cost center code for the IDs below (e.g. RND-700)",
             f"    name:    # {FILL_IN}: its name"]
    for kind, field in CONFIG_LISTS.items():
        entries = [entry for entry in unmapped if entry.item.kind == kind]
        if not entries:
            continue
        # a key or user rule outranks its workspace's: offered commented out, to be chosen one by one
        prefix = "" if kind == WORKSPACE else "# "
        if kind == API_KEY:
            lines.append("    # API keys and users below are charged by their workspace unless you uncomment them")
        lines.append(f"    {prefix}{field}:")
        for entry in entries:
            spent = "" if entry.spend is None else f", {money_text(entry.spend)} in {month}"
            lines.append(f"    {prefix}  - {_quote(entry.item.id)}   # {entry.item.name} ({entry.item.status}{spent})")
    return lines


def _quote(value: str | None) -> str:
    """A YAML scalar that reads back as the same text (a double-quoted JSON string is valid YAML)."""
    return json.dumps(value or "")
