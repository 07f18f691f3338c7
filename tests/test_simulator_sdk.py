"""The official anthropic SDK (2.10.0) as an outside client: our shapes are the vendor's, strictly.

Every page the SDK fetches is captured raw (an httpx response hook) and each row is validated
with the SDK's own pydantic models in strict mode; no object may carry a field the model does
not declare (``extra="allow"`` models keep unknown keys in ``__pydantic_extra__``).
"""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pydantic import BaseModel

from reports.simulator import DEMO_API_KEY, DEMO_DEFAULT_WORKSPACE, SimulatorServer, demo_organization

NOW = datetime(2026, 12, 2, 6, 30, tzinfo=UTC)
OCTOBER = {"starting_at": "2026-10-01T00:00:00Z", "ending_at": "2026-11-01T00:00:00Z"}
PRODUCT_GROUPS = ["workspace_id", "api_key_id", "actor", "model", "product"]


@functools.cache
def official() -> SimpleNamespace:
    """The official SDK (a test-only dependency, pyproject [test]: anthropic==2.10.0), its HTTP client and the
    models the rows are checked against, imported when a test first needs them: importing them takes a
    second, which every test process would otherwise pay while collecting, whether or not it runs these."""
    import anthropic
    import httpx2  # the SDK's HTTP client
    from anthropic.types.beta.organization.analytics.beta_analytics_cost_item import BetaAnalyticsCostItem
    from anthropic.types.beta.organization.analytics.beta_analytics_usage_item import BetaAnalyticsUsageItem
    from anthropic.types.beta.organization.beta_api_key import BetaAPIKey
    from anthropic.types.beta.organization.beta_organization_user import BetaOrganizationUser
    from anthropic.types.beta.organization.beta_rbac_group import BetaRBACGroup
    from anthropic.types.beta.organization.beta_workspace import BetaWorkspace
    from anthropic.types.beta.organization.rbac_groups.beta_rbac_group_member import BetaRBACGroupMember
    from pydantic import BaseModel

    return SimpleNamespace(anthropic=anthropic, httpx2=httpx2, BaseModel=BaseModel,
                           BetaAnalyticsCostItem=BetaAnalyticsCostItem, BetaAnalyticsUsageItem=BetaAnalyticsUsageItem,
                           BetaAPIKey=BetaAPIKey, BetaOrganizationUser=BetaOrganizationUser,
                           BetaRBACGroup=BetaRBACGroup, BetaWorkspace=BetaWorkspace,
                           BetaRBACGroupMember=BetaRBACGroupMember)


@pytest.fixture(scope="module")
def sim():
    with SimulatorServer(demo_organization(), now=NOW) as server:
        yield server


@pytest.fixture()
def client(sim):
    """An SDK client whose every response body is kept, in order, in ``client.raw_pages``."""
    pages: list[tuple[str, dict]] = []

    def keep(response):
        response.read()
        pages.append((response.request.url.path, json.loads(response.content)))

    http = official().httpx2.Client(event_hooks={"response": [keep]})
    sdk = official().anthropic.Anthropic(api_key=DEMO_API_KEY, base_url=sim.base_url, max_retries=0, http_client=http)
    sdk.raw_pages = pages
    yield sdk
    http.close()


def undeclared(model: BaseModel, where: str = "row") -> list[str]:
    """Paths of every field, at any depth, that the SDK model does not declare."""
    found = [f"{where}.{name}" for name in (model.__pydantic_extra__ or {})]
    for name in type(model).model_fields:
        value = getattr(model, name)
        values = value if isinstance(value, list) else list(value.values()) if isinstance(value, dict) else [value]
        for item in values:
            if isinstance(item, official().BaseModel):
                found += undeclared(item, f"{where}.{name}")
    return found


def strict_rows(pages, path: str, model: type[BaseModel], allowed_extra: set[str] = frozenset()) -> int:
    """Validate every row of the captured pages of ``path``; returns how many."""
    count = 0
    for page_path, body in pages:
        if page_path != path:
            continue
        for row in body["data"]:
            parsed = model.model_validate_json(json.dumps(row), strict=True)
            assert set(undeclared(parsed)) <= {f"row.{name}" for name in allowed_extra}, row
            count += 1
    return count


@pytest.mark.parametrize(
    "params",
    [
        {"group_by": PRODUCT_GROUPS + ["cost_type", "token_type"], "limit": 40},  # what the product asks
        {"group_by": ["workspace_id", "cost_type"], "limit": 3},
        {"group_by": ["actor", "actor_type", "product", "inference_geo", "speed"], "limit": 7},
        {"group_by": ["token_type", "context_window"], "limit": 2, "order_by": "list_amount", "order": "asc"},
        {"time_bucket_width": "1d", "limit": 5, "order_by": "time"},
        {"time_bucket_width": "1d", "group_by": ["workspace_id", "cost_type"], "limit": 50,
         "models": ["claude-opus-4-6"]},
        {"group_by": ["api_key_id", "actor"], "limit": 10, "api_key_ids": [""], "actor_types": ["user_actor"]},
        {"group_by": ["actor", "rbac_group_id"], "limit": 4},  # what the product asks with groups:
    ],
    ids=["product", "cost-type", "actors", "token-type", "daily", "daily-filtered", "keyless-users", "rbac-groups"],
)
def test_cost_rows_validate_strictly_against_the_sdk_models(client, params):
    listed = list(client.beta.organization.analytics.cost.list(**OCTOBER, **params))
    assert listed and all(isinstance(row, official().BetaAnalyticsCostItem) for row in listed)
    pages = [p for p in client.raw_pages if p[0].endswith("/analytics/cost")]
    assert len(pages) >= 2 or not pages[0][1]["has_more"]
    cost_item = official().BetaAnalyticsCostItem
    assert strict_rows(client.raw_pages, "/v1/organizations/analytics/cost", cost_item) == len(listed)
    for _path, body in pages:
        assert set(body) == {"data", "has_more", "next_page", "data_refreshed_at"}


def test_the_product_query_pages_through_every_row_with_the_sdk(client, sim):
    params = {"group_by": PRODUCT_GROUPS + ["cost_type", "token_type"]}
    small = list(client.beta.organization.analytics.cost.list(**OCTOBER, **params, limit=25))
    pages = len(client.raw_pages)
    big = list(client.beta.organization.analytics.cost.list(**OCTOBER, **params, limit=1000))
    assert pages > 3 and len(client.raw_pages) == pages + 1
    assert [row.model_dump() for row in small] == [row.model_dump() for row in big]
    assert {row.group.workspace_id for row in big} >= {DEMO_DEFAULT_WORKSPACE}
    assert any(row.group.actor is None for row in big)  # the distinct identities the server cannot render


@pytest.mark.parametrize(
    "params",
    [
        {"group_by": PRODUCT_GROUPS, "limit": 30},
        {"group_by": ["actor"], "limit": 4, "order_by": "requests"},
        {"time_bucket_width": "1d", "group_by": ["model"], "limit": 10, "order_by": "time", "order": "asc"},
    ],
    ids=["product", "actors", "daily-models"],
)
def test_usage_rows_validate_strictly_against_the_sdk_models(client, params):
    listed = list(client.beta.organization.analytics.usage.list(**OCTOBER, **params))
    assert listed and len({p[1]["next_page"] for p in client.raw_pages}) >= 2
    usage_item = official().BetaAnalyticsUsageItem
    assert strict_rows(client.raw_pages, "/v1/organizations/analytics/usage", usage_item) == len(listed)


def test_listings_validate_strictly_against_the_sdk_models(client):
    users = list(client.beta.organization.users.list(limit=3))
    assert len(users) == 11
    assert strict_rows(client.raw_pages, "/v1/organizations/users", official().BetaOrganizationUser) == 11
    workspaces = list(client.beta.organization.workspaces.list(limit=4, include_archived=True, include_default=True))
    assert DEMO_DEFAULT_WORKSPACE in {w.id for w in workspaces}
    assert strict_rows(client.raw_pages, "/v1/organizations/workspaces", official().BetaWorkspace) == 14
    keys = list(client.beta.organization.api_keys.list(limit=10))
    # the legacy top-level workspace_id stays, deliberately: the legacy source reads it
    assert strict_rows(client.raw_pages, "/v1/organizations/api_keys", official().BetaAPIKey,
                       allowed_extra={"workspace_id"}) == len(keys) > 20
    assert {k.scope.type for k in keys} == {"workspace"}
    assert any(k.principal is not None and k.principal.type == "service_account_actor" for k in keys)


def test_the_sdk_sees_the_api_error_shape(client):
    with pytest.raises(official().anthropic.BadRequestError) as caught:
        client.beta.organization.analytics.cost.list(starting_at="2025-06-01T00:00:00Z")
    assert "2026-01-01" in caught.value.message and caught.value.request_id.startswith("req_")
    with pytest.raises(official().anthropic.BadRequestError, match="at most 5"):
        client.beta.organization.analytics.usage.list(**OCTOBER, group_by=PRODUCT_GROUPS + ["speed"])


def test_rbac_groups_and_their_members_validate_strictly_against_the_sdk_models(client):
    groups = list(client.beta.organization.rbac_groups.list(limit=2))
    assert len(groups) == 7 and len({group.name for group in groups}) == 6  # two share a name, as the API allows
    assert strict_rows(client.raw_pages, "/v1/organizations/rbac_groups", official().BetaRBACGroup) == 7
    members = list(client.beta.organization.rbac_groups.members.list(groups[0].id, limit=1))
    assert len(members) == 3 and {member.rbac_group_id for member in members} == {groups[0].id}
    assert strict_rows(client.raw_pages, f"/v1/organizations/rbac_groups/{groups[0].id}/members",
                       official().BetaRBACGroupMember) == 3
    for path, body in client.raw_pages:
        assert set(body) == {"data", "has_more", "next_page"}, path
    rows = list(client.beta.organization.analytics.cost.list(**OCTOBER, group_by=["rbac_group_id"]))
    assert {row.group.rbac_group_id for row in rows} >= {None, groups[0].id}


def test_the_sdk_sees_a_non_enterprise_organization_refuse_rbac_groups():
    with SimulatorServer(replace(demo_organization(), enterprise=False), now=NOW) as console:
        sdk = official().anthropic.Anthropic(api_key=DEMO_API_KEY, base_url=console.base_url, max_retries=0)
        with pytest.raises(official().anthropic.BadRequestError) as caught:
            list(sdk.beta.organization.rbac_groups.list())
    assert "Claude Enterprise organizations only" in str(caught.value)
