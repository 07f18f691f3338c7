"""The demo organization, Acme Corp: thirteen workspaces and the Default workspace, and who spends in them.

Its workspaces map to the cost centers of ``config/demo.yaml`` (``DEMO_WORKSPACES``); its
October 2026 is about $43k. The analytics story (users, a service account, a federated
identity, shared keys, Managed Agents sessions, a negotiated discount) only adds the view the
Usage and Cost Analytics API serves; the legacy reports do not change with it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from reports.simulator.catalog import (
    COLORS,
    HAIKU_4_5,
    OPUS_4_6,
    SONNET_4,
    SONNET_4_5,
    ApiKeyInfo,
    Attribution,
    FederatedIdentity,
    RbacGroupInfo,
    RbacMembership,
    ServiceAccountInfo,
    SessionSpend,
    Stream,
    UserInfo,
    WorkspaceProfile,
    fake_id,
    key_hint,
    utc,
)
from reports.simulator.organization import Organization


def workspace_id_for(name: str) -> str:
    return fake_id("wrkspc_", "demo-workspace:" + name)


def api_key_id_for(name: str) -> str:
    return fake_id("apikey_", "demo-key:" + name)



# (workspace name, cost center in config/demo.yaml) - kept here so tests can check the map.
DEMO_WORKSPACES: tuple[tuple[str, str], ...] = (
    ("Platform API", "ENG-100"),
    ("Developer Productivity", "ENG-100"),
    ("Support Copilot", "SUP-200"),
    ("Ticket Triage", "SUP-200"),
    ("Legacy Chatbot", "SUP-200"),  # archived on 2026-10-20, spend before that
    ("Analytics Notebooks", "DAT-300"),
    ("Forecasting Research", "DAT-300"),
    ("Campaign Content", "MKT-400"),
    ("Contract Review", "LEG-500"),
    ("Sales Assistant", "SAL-600"),  # growing fast
    ("Knowledge Base", "shared fixed"),
    ("Evaluation Harness", "shared proportional"),
    ("Hackathon Sandbox", "unmapped"),  # deliberately left out of config/demo.yaml
)
DEMO_UNMAPPED_WORKSPACE = "Hackathon Sandbox"
DEMO_ARCHIVED_WORKSPACE = "Legacy Chatbot"
DEMO_ORGANIZATION_NAME = "Acme Corp (demo)"

@functools.lru_cache(maxsize=8)
def demo_organization(revision: int = 0, seed: int = 2026) -> Organization:
    """Acme Corp (demo): 13 listed workspaces plus the Default workspace, 8 cost centers.

    One organization per (revision, seed) in a process: it is immutable, and every server of it then
    shares the days and pages it has generated (a test suite starts hundreds of servers of it)."""
    keys: list[ApiKeyInfo] = []

    def key_set(workspace: str | None, slug: str, specs: Iterable[tuple[str, float]],
                created: str, console: float = 0.0, status: str = "active") -> tuple:
        workspace_id = workspace_id_for(workspace) if workspace else None
        out: list[tuple[str | None, float]] = []
        for suffix, share in specs:
            name = f"{slug}-{suffix}"
            key_id = api_key_id_for(name)
            keys.append(
                ApiKeyInfo(key_id, name, workspace_id, created, status, partial_key_hint=key_hint(key_id))
            )
            out.append((key_id, share))
        if console:
            out.append((None, console))
        return tuple(out)

    def ws(name: str, created: str, color: int, **kwargs) -> WorkspaceProfile:
        return WorkspaceProfile(
            id=workspace_id_for(name), name=name, created_at=utc(created),
            display_color=COLORS[color % len(COLORS)], **kwargs,
        )

    profiles = (
        WorkspaceProfile(
            id=None, name="Default workspace", created_at=utc("2024-03-01T00:00:00Z"),
            daily_mtok=2.2,
            streams=(Stream(SONNET_4_5, weight=0.7), Stream(HAIKU_4_5, weight=0.3)),
            keys=key_set(None, "default", [("legacy-integration", 0.6), ("ops-scripts", 0.3)],
                         "2024-03-04T10:12:40Z", console=0.1),
            input_mix=(0.55, 0.05, 0.0, 0.40),
        ),
        ws("Platform API", "2024-05-14T09:30:00Z", 0, daily_mtok=16.0,
           streams=(Stream(SONNET_4_5, weight=0.55), Stream(OPUS_4_6, weight=0.15),
                    Stream(HAIKU_4_5, weight=0.20), Stream(SONNET_4_5, "batch", weight=0.06),
                    Stream(OPUS_4_6, "priority", weight=0.04)),
           keys=key_set("Platform API", "platform-api", [("prod", 0.72), ("staging", 0.18), ("ci", 0.07)],
                        "2024-05-14T10:02:11Z", console=0.03),
           input_mix=(0.30, 0.07, 0.03, 0.60), weekend=0.6),
        ws("Developer Productivity", "2025-02-03T15:00:00Z", 1, daily_mtok=9.0,
           streams=(Stream(OPUS_4_6, weight=0.35), Stream(SONNET_4_5, weight=0.65)),
           keys=key_set("Developer Productivity", "devprod", [("claude-code", 0.8), ("review-bot", 0.15)],
                        "2025-02-03T15:20:00Z", console=0.05),
           input_mix=(0.12, 0.10, 0.04, 0.74), output_ratio=0.08, code_execution_seconds=5200,
           weekend=0.25),
        ws("Support Copilot", "2024-08-21T12:00:00Z", 2, daily_mtok=11.0,
           streams=(Stream(SONNET_4_5, weight=0.8), Stream(HAIKU_4_5, weight=0.15),
                    Stream(SONNET_4_5, "priority", weight=0.05)),
           keys=key_set("Support Copilot", "support-copilot", [("prod", 0.85), ("eu-prod", 0.12)],
                        "2024-08-21T12:30:00Z", console=0.03)
           + key_set("Support Copilot", "support-copilot", [("backfill", 0.0)], "2026-09-01T08:00:00Z"),
           weekend=0.7),
        ws("Ticket Triage", "2024-11-05T08:00:00Z", 3, daily_mtok=14.0,
           streams=(Stream(HAIKU_4_5, "batch", weight=0.6), Stream(SONNET_4_5, "batch", weight=0.3),
                    Stream(HAIKU_4_5, weight=0.1)),
           keys=key_set("Ticket Triage", "triage", [("nightly-batch", 0.9), ("realtime", 0.1)],
                        "2024-11-05T08:45:00Z"),
           input_mix=(0.70, 0.05, 0.0, 0.25), output_ratio=0.05, weekend=0.9),
        ws("Legacy Chatbot", "2024-01-10T10:00:00Z", 4, archived_at=utc("2026-10-20T17:42:11Z"),
           daily_mtok=6.5, growth=-0.30,
           streams=(Stream(SONNET_4, weight=0.9), Stream(HAIKU_4_5, weight=0.1)),
           keys=key_set("Legacy Chatbot", "legacy-chatbot", [("prod", 1.0)], "2024-01-10T10:30:00Z",
                        status="archived"),
           input_mix=(0.75, 0.05, 0.0, 0.20), output_ratio=0.2, weekend=0.8),
        ws("Analytics Notebooks", "2024-09-02T13:00:00Z", 5, daily_mtok=3.5,
           streams=(Stream(SONNET_4_5, weight=0.6), Stream(OPUS_4_6, weight=0.4)),
           keys=key_set("Analytics Notebooks", "analytics", [("jupyter", 0.6), ("dbt-docs", 0.2)],
                        "2024-09-02T13:10:00Z", console=0.2),
           code_execution_seconds=9000, weekend=0.2),
        ws("Forecasting Research", "2025-06-16T09:00:00Z", 6, daily_mtok=2.2,
           streams=(Stream(SONNET_4_5, context_window="200k-1M", weight=0.55),
                    Stream(SONNET_4_5, weight=0.25), Stream(OPUS_4_6, "batch", weight=0.2)),
           keys=key_set("Forecasting Research", "forecasting", [("research", 0.7), ("batch-eval", 0.25)],
                        "2025-06-16T09:05:00Z", console=0.05),
           input_mix=(0.50, 0.05, 0.10, 0.35), weekend=0.3),
        ws("Campaign Content", "2025-01-20T11:00:00Z", 0, daily_mtok=2.6,
           streams=(Stream(SONNET_4_5, weight=0.7, web_searches_per_mtok=45),
                    Stream(HAIKU_4_5, weight=0.3, web_searches_per_mtok=20)),
           keys=key_set("Campaign Content", "marketing", [("content-gen", 0.7), ("seo-tools", 0.25)],
                        "2025-01-20T11:10:00Z", console=0.05),
           input_mix=(0.65, 0.05, 0.0, 0.30), output_ratio=0.35, weekend=0.3),
        ws("Contract Review", "2025-03-11T14:00:00Z", 1, daily_mtok=3.2,
           streams=(Stream(OPUS_4_6, weight=0.5), Stream(SONNET_4_5, "batch", weight=0.5)),
           keys=key_set("Contract Review", "legal", [("contract-review", 0.85), ("clause-search", 0.1)],
                        "2025-03-11T14:40:00Z", console=0.05),
           input_mix=(0.45, 0.05, 0.10, 0.40), output_ratio=0.06, weekend=0.15),
        ws("Sales Assistant", "2026-05-04T09:00:00Z", 2, daily_mtok=7.5, growth=0.38,
           streams=(Stream(SONNET_4_5, weight=0.75, web_searches_per_mtok=12),
                    Stream(HAIKU_4_5, weight=0.25)),
           keys=key_set("Sales Assistant", "sales", [("crm-assistant", 0.7), ("email-drafts", 0.3)],
                        "2026-05-04T09:30:00Z"),
           input_mix=(0.35, 0.08, 0.02, 0.55), output_ratio=0.18, weekend=0.2),
        ws("Knowledge Base", "2024-06-03T10:00:00Z", 3, daily_mtok=5.0,
           streams=(Stream(HAIKU_4_5, weight=0.6), Stream(SONNET_4_5, weight=0.4)),
           keys=key_set("Knowledge Base", "kb", [("indexer", 0.4), ("search-api", 0.6)],
                        "2024-06-03T10:20:00Z"),
           input_mix=(0.25, 0.05, 0.05, 0.65), output_ratio=0.05, weekend=0.5),
        ws("Evaluation Harness", "2025-04-07T16:00:00Z", 4, daily_mtok=2.0,
           streams=(Stream(OPUS_4_6, "batch", weight=0.5), Stream(SONNET_4_5, "batch", weight=0.3),
                    Stream(HAIKU_4_5, "batch", weight=0.2)),
           keys=key_set("Evaluation Harness", "evals", [("nightly", 0.8), ("adhoc", 0.2)],
                        "2025-04-07T16:10:00Z"),
           input_mix=(0.40, 0.10, 0.0, 0.50), weekend=1.0),
        ws("Hackathon Sandbox", "2026-09-28T09:00:00Z", 5, daily_mtok=1.1,
           streams=(Stream(OPUS_4_6, weight=0.5), Stream(SONNET_4_5, weight=0.5)),
           keys=key_set("Hackathon Sandbox", "hackathon", [("team-a", 0.5), ("team-b", 0.4)],
                        "2026-09-28T09:15:00Z", console=0.1),
           input_mix=(0.60, 0.05, 0.0, 0.35), output_ratio=0.2, weekend=0.9),
    )
    keys = [replace(key, principal=("service_account_actor", DEMO_SERVICE_ACCOUNT))
            if key.name == "default-ops-scripts" else key for key in keys]
    return Organization(
        name=DEMO_ORGANIZATION_NAME,
        profiles=profiles,
        api_keys=tuple(keys),
        seed=seed,
        revision=revision,
        late_workspace=workspace_id_for("Support Copilot"),
        late_key=api_key_id_for("support-copilot-backfill"),
        volume_scale=6.5,  # puts October 2026 at about $43k
        **_demo_analytics(),
    )


# ---------------------------------------------------------------- who spends, for the analytics API


def user_id_for(email: str) -> str:
    return fake_id("user_", "demo-user:" + email)


DEMO_ADMIN_USER = "user_01DemoAdminUser000000000"  # created every demo key
DEMO_SERVICE_ACCOUNT = fake_id("svac_", "demo-service-account:nightly-etl")
DEMO_DEFAULT_WORKSPACE = workspace_id_for("Default")  # the Default workspace's real ID
DEMO_DISCOUNTED_MODEL = "claude-opus-4-6"  # negotiated: 20% off list, so list = amount x 1.25
DEMO_FEDERATED_ROLE = "arn:aws:iam::123456789012:role/platform-deployer"
# (email, name, role, added_at, deleted); the deleted user is no longer listed
DEMO_USERS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("alex.morgan@acme.example", "Alex Morgan", "admin", "2024-03-01T09:00:00Z", False),
    ("casey.nguyen@acme.example", "Casey Nguyen", "billing", "2024-03-05T09:00:00Z", False),
    ("priya.raman@acme.example", "Priya Raman", "developer", "2025-02-03T15:30:00Z", False),
    ("marco.bianchi@acme.example", "Marco Bianchi", "claude_code_user", "2025-06-16T09:30:00Z", False),
    ("jordan.lee@acme.example", "Jordan Lee", "claude_code_user", "2025-02-10T10:00:00Z", True),
    ("sofia.alvarez@acme.example", "Sofia Alvarez", "developer", "2026-05-04T10:00:00Z", False),
    ("dana.kim@acme.example", "Dana Kim", "developer", "2024-09-02T13:30:00Z", False),
    ("evan.wright@acme.example", "Evan Wright", "user", "2024-09-09T09:00:00Z", False),
    ("lena.fischer@acme.example", "Lena Fischer", "user", "2024-08-21T12:45:00Z", False),
    ("olivia.chen@acme.example", "Olivia Chen", "user", "2025-01-20T11:30:00Z", False),
    ("ravi.patel@acme.example", "Ravi Patel", "developer", "2025-03-11T15:00:00Z", False),
    ("tom.becker@acme.example", "Tom Becker", "developer", "2026-09-28T09:30:00Z", False),
)


def _demo_analytics() -> dict:
    """Who spends in the demo, for the analytics API; the legacy reports are unaffected.

    - Default workspace: its real ID; ``default-ops-scripts`` acts as the nightly-ETL service
      account; its console usage comes from two identities the server cannot render (null).
    - Platform API: console usage is a federated AWS role; the prod key also runs Managed
      Agents sessions (``session_usage``, analytics only); Opus priority spend appears here.
    - Developer Productivity: Claude Code users under their own Console login (no key):
      Priya, Marco and Jordan, who has been removed since (deleted user, email kept).
    - Knowledge Base: two teams, each with its own key (indexer, search-api); Sofia (Sales)
      works on the search-api key - a user on a team's key.
    - Campaign Content: ``marketing-seo-tools`` is the key to split 50/50 with Sales.
    - other workspaces' console usage: their own users; Hackathon Sandbox's (Tom) stays unmapped, and
      its product reads "other" (unattributed usage, as the API reports some).
    - usage outside any workspace: two unrenderable identities (null actors), on the Console and in chat.
    """
    users = tuple(
        UserInfo(DEMO_ADMIN_USER if role == "admin" else user_id_for(email), email, name, role, added, deleted)
        for email, name, role, added, deleted in DEMO_USERS
    )
    uid = {user.email.split("@")[0]: user.id for user in users}
    ws = workspace_id_for
    key = api_key_id_for
    attributions = {
        (None, None): (Attribution("null:1", 3, "claude_console"), Attribution("null:2", 2, "chat")),
        (ws("Platform API"), None): (Attribution("fed:platform-deployer", 1),),
        (ws("Developer Productivity"), None): (
            Attribution(uid["priya.raman"], 5, "claude_code"), Attribution(uid["marco.bianchi"], 3, "claude_code"),
            Attribution(uid["jordan.lee"], 2, "claude_code")),
        (ws("Knowledge Base"), key("kb-search-api")): (
            Attribution(key("kb-search-api"), 3), Attribution(uid["sofia.alvarez"], 1)),
        (ws("Analytics Notebooks"), None): (
            Attribution(uid["dana.kim"], 3, "claude_console"), Attribution(uid["evan.wright"], 2, "claude_console")),
        (ws("Forecasting Research"), None): (Attribution(uid["dana.kim"], 1, "claude_console"),),
        (ws("Support Copilot"), None): (Attribution(uid["lena.fischer"], 1, "claude_console"),),
        (ws("Campaign Content"), None): (Attribution(uid["olivia.chen"], 1, "claude_console"),),
        (ws("Contract Review"), None): (Attribution(uid["ravi.patel"], 1, "claude_console"),),
        (ws("Hackathon Sandbox"), None): (Attribution(uid["tom.becker"], 1, "other"),),  # unattributed: "other"
    }
    return {
        "default_workspace_id": DEMO_DEFAULT_WORKSPACE,
        "users": users,
        "service_accounts": (ServiceAccountInfo(DEMO_SERVICE_ACCOUNT, "nightly-etl"),),
        "federated": (FederatedIdentity(
            "platform-deployer",
            (("type", "aws"), ("account_id", "123456789012"), ("signed_principal", DEMO_FEDERATED_ROLE)),
            DEMO_FEDERATED_ROLE),),
        "attributions": attributions,
        "sessions": (SessionSpend(ws("Platform API"), key("platform-api-prod"), key("platform-api-prod"), 180_000),),
        "list_price_factors": {DEMO_DISCOUNTED_MODEL: 125},
        **_demo_groups(uid),
    }


# (name, members by email local part; "+" joined on DEMO_GROUP_JOINED): two groups share the name "Engineering"
DEMO_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Data Science", ("dana.kim", "+evan.wright", "priya.raman")),
    ("Support Agents", ("lena.fischer",)),
    ("Marketing", ("olivia.chen",)),
    ("Legal Review", ("ravi.patel", "dana.kim")),
    ("Engineering", ("priya.raman", "marco.bianchi")),
    ("Engineering", ("marco.bianchi", "alex.morgan")),
    ("Hackathon Crew", ("tom.becker",)),
)
DEMO_GROUP_JOINED = date(2026, 10, 16)


def demo_group_id(position: int) -> str:
    """The ID of the demo's ``DEMO_GROUPS[position]`` (two share a name, so not by name)."""
    return fake_id("rbac_group_", f"demo-group:{position}")


def _demo_groups(uid: dict[str, str]) -> dict:
    """The demo is a Claude Enterprise organization with RBAC groups that overlap (Dana is in two, Priya in two).

    They go to the cost centers their members' workspaces go to, so the demo's debits are the same
    with or without ``groups:``; the Groups sheet shows the overlap. Evan joined Data Science
    mid-October, so the API attributes only his later days to it.
    """
    groups = tuple(RbacGroupInfo(demo_group_id(n), name, "scim" if n % 2 else "direct")
                   for n, (name, _members) in enumerate(DEMO_GROUPS))
    memberships = tuple(
        RbacMembership(uid[member.lstrip("+")], demo_group_id(n), since=DEMO_GROUP_JOINED if member[0] == "+" else None)
        for n, (_name, members) in enumerate(DEMO_GROUPS) for member in members)
    return {"enterprise": True, "rbac_groups": groups, "rbac_memberships": memberships}
