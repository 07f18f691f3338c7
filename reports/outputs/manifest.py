"""manifest.json: provenance, totals and a SHA-256 for every file the run wrote."""

from __future__ import annotations

import json
from pathlib import Path

from reports.core.report import Report
from reports.outputs.folder import sha256_file
from reports.outputs.names import MANIFEST
from reports.sources.snapshot import PageRecord


def write_manifest(folder: Path, report: Report, raw_pages: list[PageRecord], outputs: list[str],
                   *, config_file: str, requests_made: int | None) -> Path:
    """Write manifest.json: provenance, totals and a SHA-256 for every raw page and output."""
    info = report.run_info
    manifest = {
        "run_id": info.run_id,
        "month": str(report.month),
        "tool_version": info.tool_version,
        "source": info.source,
        "demo": info.demo,
        "organization": report.organization,
        "generated_at": info.generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data_fetched_at": info.data_fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ") if info.data_fetched_at else None,
        "config_file": config_file,
        "config_sha256": info.config_sha256,
        "requests_made": requests_made,
        "raw_pages": [
            {"file": page.file, "sha256": page.sha256, "query": page.query, "request_id": page.request_id}
            for page in raw_pages
        ],
        "outputs": [{"file": name, "sha256": sha256_file(folder / name)} for name in outputs],
        "totals": totals_of(report),
        "reconciliation": {check.name: check.status for check in report.reconciliation.checks
                           if check.status != "WARN"} | {"unmapped_workspaces": len(report.reconciliation.unmapped)},
    }
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def totals_of(report: Report) -> dict:
    """The headline numbers as decimal strings (read back by ``chargeback email``)."""
    return {
        "currency": "USD",
        "source_total_cents": str(report.reconciliation.source_total_cents),
        "source_total": str(report.reconciliation.source_total),
        "total": str(report.total),
        "prior_month": str(report.month.prior()),
        "prior_total": _text(report.prior_total),
        "change": _text(report.change),
        "change_ratio": _text(report.change_ratio),
        "line_items": report.reconciliation.line_item_count,
        "unallocated": str(report.unallocated_total),
        "cost_centers": [
            {"code": line.code, "name": line.name, "total": str(line.total), "budget": _text(line.budget),
             "variance": _text(line.variance), "prior_total": _text(line.prior_total), "change": _text(line.change)}
            for line in report.cost_centers
        ],
    }
