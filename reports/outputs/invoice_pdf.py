"""The invoice folder's one-page PDF: the walk and the true-up per cost center (HTML + CSS in templates/)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from reports.core.invoice import Walk
from reports.core.months import Month
from reports.core.trueup import TrueUp
from reports.outputs.formatting import build_environment
from reports.resources import templates_dir

TEMPLATE = "invoice.html"


def render_invoice_html(walk: Walk, trueup: TrueUp, *, month: Month, organization: str, tool_version: str,
                        paper: str = "letter") -> str:
    return build_environment(templates_dir()).get_template(TEMPLATE).render(
        walk=walk, trueup=trueup, invoice=trueup.invoice, month=month, organization=organization,
        tool_version=tool_version, paper=paper)


def write_invoice_pdf(walk: Walk, trueup: TrueUp, path: Path, *, month: Month, organization: str,
                      tool_version: str, generated_at: datetime, paper: str = "letter") -> None:
    """Write the PDF to exactly ``path``; the same figures and ``generated_at`` give the same bytes."""
    from reports.outputs.pdf_engine import html_to_pdf  # WeasyPrint is slow to import: only when used

    html = render_invoice_html(walk, trueup, month=month, organization=organization, tool_version=tool_version,
                               paper=paper)
    Path(path).write_bytes(html_to_pdf(html, templates_dir(), int(generated_at.timestamp())))
