"""The config's RBAC group rules: ``groups:`` (group ID or name -> cost center) and ``group_precedence:``."""

from __future__ import annotations

from reports.config.fields import read_list, read_mapping, read_text
from reports.config.yaml_nodes import Node, Problems
from reports.core.groups import MAX_SPEND, GroupRule, GroupSettings
from reports.core.settings import ANALYTICS


def read_groups(node: Node | None, precedence_node: Node | None, codes: set[str], source: str | None,
                override: str | None, problems: Problems) -> GroupSettings | None:
    """The group rules, or None when ``groups:`` is not given (then ``group_precedence`` is refused)."""
    mapping = read_mapping(node, "groups", problems)
    if not mapping:
        if node is not None and isinstance(node.value, dict):
            problems.add(node, "groups", "is empty: map RBAC group IDs (rbac_group_…) or names to cost center codes")
        if precedence_node is not None:
            problems.add(precedence_node, "group_precedence", "needs groups: (it orders the configured groups)")
        return None
    if source not in (ANALYTICS, None):
        how = "run --source cost_report" if override else "source: cost_report"
        problems.add(node, "groups", f"RBAC groups need source: analytics (with {how} the cost report only knows "
                     "workspaces)")
    rules: list[GroupRule] = []
    for key, value in mapping.items():
        code = read_text(value, f"groups.{key}", problems)
        if code is None:
            if value.value is None:
                problems.add(value, f"groups.{key}", "needs a cost center code")
            continue
        if code not in codes:
            problems.add(value, f"groups.{key}", f"names cost center {code}, which is not defined under cost_centers")
            continue
        rules.append(GroupRule(key, code, value.line))
    precedence, line = _precedence(precedence_node, [rule.key for rule in rules], list(mapping), problems, node)
    return GroupSettings(tuple(rules), precedence, line, problems.path)


def _precedence(node: Node | None, keys: list[str], written: list[str], problems: Problems,
                groups_node: Node | None) -> tuple[tuple[str, ...] | None, int]:
    """The explicit order (every configured group once), or None for max_spend."""
    if node is None or node.value is None:
        if len(written) > 1:
            problems.add(groups_node, "group_precedence",
                         "is required with two or more groups: a list of them in order (a user in several goes to "
                         "the first), or max_spend (to the group the API attributes the most of the user's spend)")
        return tuple(keys), 0
    if node.value == MAX_SPEND:
        return None, node.line
    if not isinstance(node.value, list):
        problems.add(node, "group_precedence", f"must be a list of the configured groups, or {MAX_SPEND}")
        return tuple(keys), node.line
    order: list[str] = []
    for text, item in read_list(node, "group_precedence", problems):
        if text not in written:
            problems.add(item, "group_precedence", f"{text} is not a key under groups:")
        elif text in order:
            problems.add(item, "group_precedence", f"{text} is listed twice")
        else:
            order.append(text)
    missing = [key for key in written if key not in order]
    if missing:
        problems.add(node, "group_precedence", f"does not list {', '.join(missing)}: list every configured group "
                     "once, in order")
    return tuple(key for key in order if key in keys), node.line
