"""`chargeback org`: fetch the organization's listings and a month's spend, and map them with the config.

The month is fetched as a run fetches it (into a temporary folder that is removed after), so the
spend shown is the figure a run of that month would charge; the listings add the users and the
Default workspace (and service accounts, where the key may list them) that a run does not need.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from reports.core.months import Month
from reports.core.org import API_KEY, SERVICE_ACCOUNT_KIND, USER_KIND, WORKSPACE, Listed, Organization, organization_of
from reports.core.settings import COST_REPORT, Settings, SourceName
from reports.core.sums import sum_costs
from reports.errors import UsageError
from reports.sources.base import LIST, Query
from reports.sources.client import RetryPolicy
from reports.sources.fetch import fetch_month
from reports.sources.pages import RawPage, list_items
from reports.sources.registry import source_for
from reports.sources.snapshot import Snapshot, SnapshotWriter

# Listings a run does not fetch; optional, so an API that refuses one (service accounts need an
# OAuth token, not an Admin key) still gives the rest.
_EXTRA = (
    Query("org-workspaces", "workspaces", {"include_archived": "true", "include_default": "true", "limit": 1000},
          LIST, required=False),
    Query("org-api_keys", "api_keys", {"limit": 1000}, LIST, required=False),
    Query("org-users", "users", {"limit": 1000}, LIST, required=False),
    Query("org-service_accounts", "service_accounts", {"include_archived": "true", "limit": 1000}, LIST,
          required=False),
)


@dataclass(frozen=True)
class OrgOptions:
    month: Month
    settings: Settings | None  # None: no config yet, everything is unmapped
    demo: bool = False
    base_url: str | None = None
    api_key: str | None = None
    retry: RetryPolicy | None = None


@dataclass(frozen=True)
class OrgResult:
    organization: Organization
    month: Month
    unlisted: tuple[str, ...]  # listings the API refused (e.g. service accounts with an Admin key)


def fetch_organization(options: OrgOptions) -> OrgResult:
    """The organization's workspaces, keys, users and service accounts, mapped, with the month's spend."""
    settings = options.settings
    source = source_for(settings.source if settings is not None else COST_REPORT)
    if not options.demo and not options.api_key:
        raise UsageError("no Admin API key: set ANTHROPIC_ADMIN_API_KEY or pass --api-key-file PATH (or try --demo)")
    queries = source.queries(options.month) + list(_EXTRA)
    with tempfile.TemporaryDirectory(prefix="chargeback-org-") as folder, ExitStack() as stack:
        base_url, api_key = options.base_url, options.api_key
        if options.demo:
            from reports.simulator.demo import demo_organization
            from reports.simulator.server import DEMO_API_KEY, SimulatorServer

            simulator = stack.enter_context(SimulatorServer(demo_organization()))
            base_url, api_key = simulator.base_url, DEMO_API_KEY
        assert base_url and api_key
        fetched = fetch_month(queries, SnapshotWriter(Path(folder), source.name), base_url=base_url,
                              api_key=api_key, retry=options.retry)
        snapshot = Snapshot(Path(folder))
        data = source.read(snapshot, options.month)
        listed = _listed(snapshot)
    organization = organization_of(settings, SourceName(source.name), listed, sum_costs(data.cost_rows).by_payer,
                                   null_workspace_is_default=data.directory.null_workspace_is_default,
                                   month=options.month)
    return OrgResult(organization, options.month, tuple(query.removeprefix("org-").replace("_", " ")
                                                        for query in fetched.unavailable))


def _pages(snapshot: Snapshot, query: str) -> Iterable[RawPage]:
    return snapshot.pages(query) if snapshot.has(query) else ()


def _listed(snapshot: Snapshot) -> list[Listed]:
    """The listings' items, each once: the workspaces with archived and Default ones, keys, users, accounts."""
    found: list[Listed] = []
    plain = {item["id"] for page in _pages(snapshot, "workspaces") for item in list_items(page, "workspaces")}
    for page in _pages(snapshot, "org-workspaces"):
        for item in list_items(page, "workspaces"):
            archived = item.get("archived_at")
            default = item["id"] not in plain and not archived
            status = "default" if default else (f"archived {str(archived)[:10]}" if archived else "active")
            found.append(Listed(WORKSPACE, item["id"], _text(item.get("name"), item["id"]), status, default=default))
    for page in _pages(snapshot, "org-api_keys"):
        for item in list_items(page, "api_keys"):
            scope = item.get("scope")
            # the current shape's scope has the real ID, the Default workspace's too; legacy keys say null for it
            workspace = scope.get("workspace_id") if isinstance(scope, dict) else item.get("workspace_id")
            found.append(Listed(API_KEY, item["id"], _text(item.get("name"), item["id"]),
                                _text(item.get("status"), "unknown"),
                                workspace_id=workspace if isinstance(workspace, str) else None))
    for page in _pages(snapshot, "org-users"):
        for item in list_items(page, "users"):
            email = item.get("email") if isinstance(item.get("email"), str) else None
            found.append(Listed(USER_KIND, item["id"], _text(item.get("name"), email or item["id"]),
                                _text(item.get("role"), "user"), email=email))
    for page in _pages(snapshot, "org-service_accounts"):
        for item in list_items(page, "service_accounts"):
            archived = item.get("archived_at")
            found.append(Listed(SERVICE_ACCOUNT_KIND, item["id"], _text(item.get("name"), item["id"]),
                                f"archived {str(archived)[:10]}" if archived else "active"))
    return found


def _text(value: object, default: str) -> str:
    return value if isinstance(value, str) and value else default
