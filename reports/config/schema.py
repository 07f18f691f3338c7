"""The configuration schema: ``chargeback.yaml`` validated into frozen Settings, every problem at once.

Each problem names the file, the line and the key, so a user can fix them all in one pass.
The top level is read here; its sections by ``journal``, ``allocation`` and ``email_settings``,
each value through the readers of ``fields``.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

from reports.config.allocation import Claim, check_claims, read_code_ref, read_cost_centers, read_shared
from reports.config.billing import check_billing, read_billing
from reports.config.directory_file import read_directory
from reports.config.email_settings import read_email
from reports.config.fields import read_decimal, read_mapping, read_text, unknown_keys
from reports.config.groups import read_groups
from reports.config.journal import check_layouts, read_journal
from reports.config.products import read_products
from reports.config.yaml_nodes import Node, Problems, parse_yaml
from reports.core.settings import (
    COST_REPORT,
    DEFAULT_UNALLOCATED_WARN_PERCENT,
    SOURCES,
    ConfiguredId,
    PdfSettings,
    Settings,
    SourceName,
)
from reports.errors import ConfigError

_TOP_KEYS = {
    "organization", "source", "journal", "cost_centers", "default_workspace", "unallocated",
    "shared", "email", "pdf", "fiscal_year_start", "unallocated_warn_percent", "billing",
    "groups", "group_precedence", "directory", "products",
}
_PAPERS = ("letter", "a4")


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
    unknown_keys(top, _TOP_KEYS, "", problems)

    organization = read_text(top.get("organization"), "organization", problems, required=True, parent=root)
    source = _source(top.get("source"), source_override, problems)
    journal = read_journal(top.get("journal"), problems)
    claims: list[Claim] = []
    centers = read_cost_centers(top.get("cost_centers"), problems, root, claims)
    codes = {center.code for center in centers}
    products = read_products(top.get("products"), "products", problems) if "products" in top else ()
    check_layouts(top.get("journal"), journal, centers, problems, products)

    default_workspace = read_code_ref(top.get("default_workspace"), "default_workspace", codes, problems)
    unallocated = read_code_ref(top.get("unallocated"), "unallocated", codes, problems)
    shared = read_shared(top.get("shared"), codes, problems, claims)
    check_claims(claims, source, source_override, problems)
    groups = read_groups(top.get("groups"), top.get("group_precedence"), codes, source, source_override, problems)
    email = read_email(top.get("email"), problems)
    pdf = _pdf(top.get("pdf"), problems)
    fiscal_year_start = _fiscal_year_start(top.get("fiscal_year_start"), problems)
    warn_percent = _warn_percent(top.get("unallocated_warn_percent"), problems)
    billing = read_billing(top.get("billing"), codes, problems)
    check_billing(top.get("billing"), top.get("journal"), billing, journal, problems)
    directory = read_directory(top.get("directory"), problems.path, codes, source, problems)

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
        unallocated_warn_percent=warn_percent,
        configured_ids=tuple(ConfiguredId(claim.field, claim.value, claim.node.line) for claim in claims),
        billing=billing,
        groups=groups,
        directory=directory,
        products=products,
    )


def _source(node: Node | None, override: str | None, problems: Problems) -> SourceName | None:
    """The source the run will use; None when the file names an unknown one (a problem already)."""
    configured = read_text(node, "source", problems)
    if configured is not None and configured not in SOURCES:
        problems.add(node, "source", f"must be one of {', '.join(SOURCES)}, got {configured!r}")
        return None if override is None else SourceName(override)
    return SourceName(override or configured or COST_REPORT)


def _fiscal_year_start(node: Node | None, problems: Problems) -> int:
    """The month number (1-12) the fiscal year starts in; 1 (January) when not given."""
    if node is None or node.value is None:
        return 1
    if isinstance(node.value, bool) or not isinstance(node.value, int) or not 1 <= node.value <= 12:
        problems.add(node, "fiscal_year_start", f"must be a month number from 1 to 12 (4 for April), got "
                     f"{node.text or node.value!r}")
        return 1
    return node.value


def _warn_percent(node: Node | None, problems: Problems) -> Decimal:
    """The unallocated share (percent of the month's spend) above which a month warns; 5 when not given."""
    if node is None or node.value is None:
        return DEFAULT_UNALLOCATED_WARN_PERCENT
    percent = read_decimal(node, "unallocated_warn_percent", problems)
    if percent is None:
        return DEFAULT_UNALLOCATED_WARN_PERCENT
    if not 0 <= percent <= 100:
        problems.add(node, "unallocated_warn_percent", f"must be a percentage from 0 to 100, got {node.text}")
        return DEFAULT_UNALLOCATED_WARN_PERCENT
    return percent


def _pdf(node: Node | None, problems: Problems) -> PdfSettings:
    mapping = read_mapping(node, "pdf", problems)
    if mapping is None:
        return PdfSettings()
    unknown_keys(mapping, {"paper"}, "pdf.", problems)
    paper = read_text(mapping.get("paper"), "pdf.paper", problems) or "letter"
    if paper.lower() not in _PAPERS:
        problems.add(mapping.get("paper"), "pdf.paper", f"must be one of {', '.join(_PAPERS)}")
        paper = "letter"
    return PdfSettings(paper=paper.lower())
