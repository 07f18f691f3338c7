"""The simulated Anthropic Admin API: demo and synthetic organizations served over loopback HTTP."""

from reports.simulator.analytics import analytics_cost_rows, analytics_usage_rows
from reports.simulator.faults import ENDPOINTS, Faults, RowFault
from reports.simulator.organization import (
    DEMO_ADMIN_USER,
    DEMO_ARCHIVED_WORKSPACE,
    DEMO_DEFAULT_WORKSPACE,
    DEMO_DISCOUNTED_MODEL,
    DEMO_ORGANIZATION_NAME,
    DEMO_SERVICE_ACCOUNT,
    DEMO_UNMAPPED_WORKSPACE,
    DEMO_WORKSPACES,
    Organization,
    api_key_id_for,
    demo_organization,
    expected_cost_by_workspace,
    expected_total_cents,
    synthetic_analytics_organization,
    synthetic_organization,
    user_id_for,
    workspace_id_for,
)
from reports.simulator.server import DEMO_API_KEY, RequestRecord, SimulatorServer, serve_forever

__all__ = [
    "DEMO_ADMIN_USER",
    "DEMO_API_KEY",
    "DEMO_DEFAULT_WORKSPACE",
    "DEMO_DISCOUNTED_MODEL",
    "DEMO_SERVICE_ACCOUNT",
    "DEMO_ARCHIVED_WORKSPACE",
    "DEMO_ORGANIZATION_NAME",
    "DEMO_UNMAPPED_WORKSPACE",
    "DEMO_WORKSPACES",
    "ENDPOINTS",
    "Faults",
    "Organization",
    "RequestRecord",
    "RowFault",
    "SimulatorServer",
    "analytics_cost_rows",
    "analytics_usage_rows",
    "api_key_id_for",
    "demo_organization",
    "expected_cost_by_workspace",
    "expected_total_cents",
    "serve_forever",
    "synthetic_analytics_organization",
    "synthetic_organization",
    "user_id_for",
    "workspace_id_for",
]
