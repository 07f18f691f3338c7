"""The simulated Anthropic Admin API: demo and synthetic organizations served over loopback HTTP."""

from reports.simulator.faults import ENDPOINTS, Faults, RowFault
from reports.simulator.organization import (
    DEMO_ARCHIVED_WORKSPACE,
    DEMO_ORGANIZATION_NAME,
    DEMO_UNMAPPED_WORKSPACE,
    DEMO_WORKSPACES,
    Organization,
    demo_organization,
    expected_cost_by_workspace,
    expected_total_cents,
    synthetic_organization,
    workspace_id_for,
)
from reports.simulator.server import DEMO_API_KEY, RequestRecord, SimulatorServer, serve_forever

__all__ = [
    "DEMO_API_KEY",
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
    "demo_organization",
    "expected_cost_by_workspace",
    "expected_total_cents",
    "serve_forever",
    "synthetic_organization",
    "workspace_id_for",
]
