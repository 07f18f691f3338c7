"""The Admin API listings of the simulator: workspaces, API keys, users, service accounts, the organization.

Listings page by ID (``before_id``/``after_id``, ``limit`` up to 1000), in creation order.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from reports.core.months import rfc3339
from reports.simulator.faults import Faults
from reports.simulator.organization import Organization
from reports.simulator.params import Refusal, bad_request, int_param, many, one

WORKSPACES_PATH = "/v1/organizations/workspaces"
API_KEYS_PATH = "/v1/organizations/api_keys"
ME_PATH = "/v1/organizations/me"
USERS_PATH = "/v1/organizations/users"
SERVICE_ACCOUNTS_PATH = "/v1/organizations/service_accounts"
RBAC_GROUPS_PATH = "/v1/organizations/rbac_groups"
USER_ROLES = ("user", "developer", "billing", "admin", "claude_code_user")


class Listings:
    """Answers the listing endpoints for one organization, with the server's faults."""

    def __init__(self, organization: Organization, faults: Faults):
        self.organization = organization
        self.faults = faults

    def _listing(self, query: dict[str, list[str]], items: list[dict[str, Any]]) -> bytes:
        """One page of ``items`` (in listing order) and the envelope around it."""
        limit = int_param(query, "limit", 20, 1, 1000)
        before, after = one(query, "before_id"), one(query, "after_id")
        if before and after:
            raise bad_request("before_id and after_id cannot both be set")
        ids = [item["id"] for item in items]
        if after:
            if after not in ids:
                raise bad_request(f"after_id: {after!r} was not found")
            lo = ids.index(after) + 1
            page = items[lo:lo + limit]
            has_more = lo + limit < len(items)
        elif before:
            if before not in ids:
                raise bad_request(f"before_id: {before!r} was not found")
            hi = ids.index(before)
            lo = max(0, hi - limit)
            page = items[lo:hi]
            has_more = lo > 0
        else:
            page = items[:limit]
            has_more = limit < len(items)
        payload: dict[str, Any] = {
            "data": page,
            "first_id": page[0]["id"] if page else None,
            "has_more": has_more,
            "last_id": page[-1]["id"] if page else None,
        }
        if self.faults.extra_fields:
            payload["x_simulator_envelope_note"] = {"unknown": True}
            payload["data"] = [dict(item, x_simulator_item_note="unknown") for item in page]
        return json.dumps(payload, separators=(",", ":")).encode()

    def workspaces(self, query: dict[str, list[str]]) -> bytes:
        flag = (one(query, "include_archived") or "false").lower()
        if flag not in ("true", "false", "1", "0"):
            raise bad_request("include_archived: Input should be a valid boolean")
        include_archived = flag in ("true", "1")
        default_flag = (one(query, "include_default") or "false").lower()
        if default_flag not in ("true", "false", "1", "0"):
            raise bad_request("include_default: Input should be a valid boolean")
        org = self.organization
        profiles = sorted(org.workspaces, key=lambda p: (p.created_at, p.id))
        default = next((p for p in org.profiles if p.id is None), None)
        if default_flag in ("true", "1") and default is not None:
            # the Default workspace: its real ID, named "Default", listed only when asked
            profiles = sorted(profiles + [default], key=lambda p: (p.created_at, p.id or ""))
        default_id = org.default_workspace_id
        assert default_id is not None  # the organization names its Default workspace when it is built
        items = [
            {"id": p.id or default_id, "type": "workspace",
             "name": p.name if p.id else "Default", "created_at": rfc3339(p.created_at),
             "archived_at": rfc3339(p.archived_at) if p.archived_at else None,
             "display_color": p.display_color,
             # fields of the 2.10.0 Workspace model (additive: the legacy source ignores them)
             "tags": {}, "compartment_id": "cmpt_" + (p.id or default_id)[7:],
             "data_residency": {"allowed_inference_geos": "unrestricted", "default_inference_geo": "global",
                                "workspace_geo": "us"},
             "external_key_id": None, "user_profile_id": None}
            for p in profiles
            if include_archived or p.archived_at is None
        ]
        return self._listing(query, items)

    def api_keys(self, query: dict[str, list[str]]) -> bytes:
        status = one(query, "status")
        if status is not None and status not in ("active", "inactive", "archived"):
            raise bad_request("status: must be one of active, inactive, archived")
        workspace = one(query, "workspace_id")
        default_id = self.organization.default_workspace_id
        items = [
            {"id": k.id, "type": "api_key", "name": k.name, "created_at": k.created_at,
             "created_by": {"id": k.created_by, "type": "user"},
             "partial_key_hint": k.partial_key_hint, "status": k.status,
             # legacy: null for the Default workspace; the legacy source reads it
             "workspace_id": k.workspace_id,
             # 2.10.0: the real ID, also for the Default workspace
             "scope": {"type": "workspace", "workspace_id": k.workspace_id or default_id},
             "principal": ({"type": k.principal[0],
                            ("service_account_id" if k.principal[0] == "service_account_actor" else "user_id"):
                            k.principal[1]} if k.principal else None),
             "expires_at": None}
            for k in self.organization.api_keys
            if (status is None or k.status == status)
            and (workspace is None or k.workspace_id == workspace
                 or (workspace == default_id and k.workspace_id is None))
        ]
        return self._listing(query, items)

    def users(self, query: dict[str, list[str]]) -> bytes:
        email = one(query, "email")
        roles = many(query, "roles")
        for role in roles:
            if role not in USER_ROLES:
                raise bad_request(f"roles: {role!r} is not one of {', '.join(USER_ROLES)}")
        users = sorted(self.organization.listed_users(), key=lambda u: (u.added_at, u.id))
        items = [
            {"id": u.id, "type": "user", "email": u.email, "name": u.name, "role": u.role,
             "added_at": u.added_at}
            for u in users
            if (email is None or u.email.lower() == email.lower()) and (not roles or u.role in roles)
        ]
        return self._listing(query, items)

    def service_accounts(self, query: dict[str, list[str]]) -> bytes:
        # analytics-api.md §3.4: only an OAuth token with org:admin may list them
        raise Refusal(403, "permission_error",
                       "Service accounts require an OAuth access token with the org:admin scope; "
                       "Admin API keys are not accepted")

    def me(self, query: dict[str, list[str]]) -> bytes:
        return json.dumps({"id": "11111111-2222-4333-8444-555555555555", "type": "organization",
                           "name": self.organization.name}).encode()

    # ------------------------------------------------------------ RBAC groups (PageCursor)

    def _enterprise_only(self) -> None:
        if not self.organization.enterprise:
            # analytics-api.md §3.5 and §4: "available to Claude Enterprise organizations only"
            raise Refusal(400, "invalid_request_error", "The RBAC Groups API is available to Claude Enterprise "
                          "organizations only", error_code="organization_type_not_supported")

    def _cursor_page(self, query: dict[str, list[str]], items: list[dict[str, Any]], bound: str) -> bytes:
        """One page of ``items`` by an opaque ``page`` cursor (``next_page``), as the SDK's PageCursor reads."""
        limit = int_param(query, "limit", 20, 1, 1000)
        token = one(query, "page")
        offset = 0
        if token:
            try:
                raw = token.removeprefix("page_")
                text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
                owner, _, number = text.partition(":")
                offset = int(number)
            except (binascii.Error, UnicodeDecodeError, ValueError):
                raise bad_request("page: invalid page token") from None
            if owner != bound or not 0 <= offset <= len(items):
                raise bad_request("page: invalid page token")
        page = items[offset:offset + limit]
        has_more = offset + limit < len(items)
        next_page = ("page_" + base64.urlsafe_b64encode(f"{bound}:{offset + limit}".encode()).decode().rstrip("=")
                     if has_more else None)
        payload = {"data": page, "has_more": has_more, "next_page": next_page}
        return json.dumps(payload, separators=(",", ":")).encode()

    def rbac_groups(self, query: dict[str, list[str]]) -> bytes:
        self._enterprise_only()
        items = [{"id": g.id, "type": "rbac_group", "name": g.name, "source_type": g.source_type,
                  "role_ids": [], "created_at": g.created_at, "updated_at": g.created_at}
                 for g in self.organization.rbac_groups]
        return self._cursor_page(query, items, "groups")

    def rbac_group_members(self, group_id: str, query: dict[str, list[str]]) -> bytes:
        self._enterprise_only()
        if not any(group.id == group_id for group in self.organization.rbac_groups):
            raise Refusal(404, "not_found_error", f"RBAC group {group_id!r} was not found")
        emails = {user.id: user.email for user in self.organization.users}
        items = [{"type": "rbac_group_member", "user_id": m.user_id, "email": emails.get(m.user_id),
                  "rbac_group_id": group_id, "created_at": (m.since.isoformat() + "T00:00:00Z") if m.since
                  else "2025-01-06T09:00:00Z"}
                 for m in self.organization.current_members(group_id)]
        return self._cursor_page(query, items, group_id)
