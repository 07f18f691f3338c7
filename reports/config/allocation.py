"""The config's allocation rules: cost centers, shared splits, and who claims each workspace, key or user."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from reports.config.fields import EMAIL, read_decimal, read_list, read_mapping, read_text, unknown_keys
from reports.config.products import read_products
from reports.config.yaml_nodes import Node, Problems
from reports.core.settings import ANALYTICS, CostCenter, SharedRule

_RULE_LISTS = ("workspaces", "api_keys", "users", "service_accounts")
_CENTER_KEYS = {"code", "name", "owner", "expense_account", "budget", "annual_budget", "dimension", "products",
                *_RULE_LISTS}
_SHARED_KEYS = {"workspace", "api_key", "split"}


def read_cost_centers(node: Node | None, problems: Problems, root: Node, claims: list[Claim]) -> list[CostCenter]:
    if node is None or not isinstance(node.value, list) or not node.value:
        problems.add(node or root, "cost_centers", "is required: a list of cost centers with code and name")
        return []
    centers: list[CostCenter] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(node.value):
        key = f"cost_centers[{index}]"
        mapping = read_mapping(item, key, problems)
        if mapping is None:
            if item.value is None:
                problems.add(item, key, "is empty")
            continue
        unknown_keys(mapping, _CENTER_KEYS, f"{key}.", problems)
        code = read_text(mapping.get("code"), f"{key}.code", problems, required=True, parent=item)
        name = read_text(mapping.get("name"), f"{key}.name", problems, required=True, parent=item)
        owner = read_text(mapping.get("owner"), f"{key}.owner", problems)
        account = read_text(mapping.get("expense_account"), f"{key}.expense_account", problems)
        budget, annual = (_budget(mapping.get(name), f"{key}.{name}", problems) for name in ("budget", "annual_budget"))
        lists = {field: read_list(mapping.get(field), f"{key}.{field}", problems) for field in _RULE_LISTS}
        dimension = read_text(mapping.get("dimension"), f"{key}.dimension", problems)
        products = read_products(mapping.get("products"), f"{key}.products", problems) if "products" in mapping else ()
        if code is None:
            continue
        if code in seen:
            problems.add(mapping.get("code"), f"{key}.code",
                         f"{code} is already used by the cost center on line {seen[code]}")
            continue
        seen[code] = mapping["code"].line
        for field, items in lists.items():
            for text, item_node in items:
                if field == "users" and "@" in text and not EMAIL.match(text):
                    problems.add(item_node, f"{key}.users", f"{text!r} is neither a user ID nor an email address")
                claims.append(Claim(field, text, item_node, f"{key}.{field}", f"cost center {code}"))
        centers.append(CostCenter(code, name or code, owner, account, budget, dimension=dimension, annual_budget=annual,
                                  products=products,
                                  **{field: tuple(text for text, _ in items) for field, items in lists.items()}))
    return centers


def _budget(node: Node | None, key: str, problems: Problems) -> Decimal | None:
    """An optional budget in USD: a number, not negative."""
    if node is None or node.value is None:
        return None
    budget = read_decimal(node, key, problems)
    if budget is not None and budget < 0:
        problems.add(node, key, "must not be negative")
    return budget


def read_code_ref(node: Node | None, key: str, codes: set[str], problems: Problems) -> str | None:
    code = read_text(node, key, problems)
    if code is not None and code not in codes:
        problems.add(node, key, f"names cost center {code}, which is not defined under cost_centers")
        return None
    return code


def read_shared(node: Node | None, codes: set[str], problems: Problems, claims: list[Claim]) -> list[SharedRule]:
    if node is None or node.value is None:
        return []
    if not isinstance(node.value, list):
        problems.add(node, "shared", "must be a list of {workspace, split} or {api_key, split} rules")
        return []
    rules = []
    for index, item in enumerate(node.value):
        key = f"shared[{index}]"
        mapping = read_mapping(item, key, problems)
        if mapping is None:
            continue
        unknown_keys(mapping, _SHARED_KEYS, f"{key}.", problems)
        workspace = read_text(mapping.get("workspace"), f"{key}.workspace", problems)
        api_key = read_text(mapping.get("api_key"), f"{key}.api_key", problems)
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
        claims.append(Claim(field, target or "", mapping["workspace" if workspace else "api_key"],
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
        pct = read_decimal(pct_node, f"{key}.{code}", problems)
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
class Claim:
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


def check_claims(claims: list[Claim], source: str | None, override: str | None, problems: Problems) -> None:
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
