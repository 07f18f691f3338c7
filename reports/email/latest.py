"""Which summary of a month is the one to send: the month's own, or its latest restatement's, and its status in words.

A closed month that was restated has a newer truth than its sealed summary: the latest
``restatements/R<n>/`` folder, whose PDF and manifest are what the email quotes and whose own
``email-sent.json`` records that it was sent (a restatement is a new thing to send, once).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reports.core.months import Month
from reports.errors import DataError
from reports.outputs.history import restatement_folders
from reports.outputs.seal import read_seal


@dataclass(frozen=True)
class LatestSummary:
    """The folder whose summary is sent, and what the month is by then."""

    folder: Path  # the PDF, manifest and send record to use
    label: str | None  # "R2" when it is a restatement's summary
    sealed_at: str | None  # when the month was closed (RFC 3339), None when it is not closed

    @property
    def status(self) -> str:
        """The month's status as the History names it: ``not closed``, ``closed`` or ``restated``."""
        if self.sealed_at is None:
            return "not closed"
        return "closed" if self.label is None else "restated"

    @property
    def what(self) -> str:
        """How messages name this summary: ``the executive summary`` or ``restatement R1's executive summary``."""
        return "the executive summary" if self.label is None else f"restatement {self.label}'s executive summary"


def latest_summary(month_dir: Path, month: Month) -> LatestSummary:
    """The month's latest summary: its latest restatement's when it was closed and restated, else its own."""
    seal = read_seal(month_dir)
    if seal is None:
        return LatestSummary(month_dir, None, None)
    folders = restatement_folders(month_dir)
    if not folders:
        return LatestSummary(month_dir, None, seal.sealed_at)
    number, folder = folders[-1]
    if not (folder / "manifest.json").is_file():
        raise DataError(f"{folder} has no manifest.json: restatement R{number} of {month} is not a published "
                        "restatement; restore it or run `chargeback run --restate` again")
    return LatestSummary(folder, f"R{number}", seal.sealed_at)
