"""The directory file of people (HR system or identity provider export): who is in which cost center in a month. Pure.

A person is a user ID where the file has a user-ID column and the cell is filled, else an
email (compared without case). A person may have several rows with different "effective
from" dates; a month uses each person's latest row effective on or before the month's last
day, and rows effective later are ignored for that month. A row with a blank cost center
places nobody: that person's spend goes by the next rule and is listed (``people_checks``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class PersonRow:
    """One row of the directory file: a person, their cost center code (None when blank), from when."""

    email: str  # lower case
    user_id: str | None
    cost_center: str | None
    effective_from: date | None  # None: in effect from the start
    line: int

    @property
    def person(self) -> str:
        return self.user_id or self.email


@dataclass(frozen=True)
class PeopleDirectory:
    """The directory file as configured and read: its columns, its rows, and its bytes' SHA-256."""

    file: str  # the path as shown in messages (relative to where chargeback runs, or absolute)
    email_column: str
    cost_center_column: str
    user_id_column: str | None
    effective_from_column: str | None
    rows: tuple[PersonRow, ...]
    sha256: str
    data: bytes = field(repr=False, default=b"")  # the file's bytes: a run keeps them with the month

    @property
    def name(self) -> str:
        """The file's name, for notes and the run summary."""
        return self.file.replace("\\", "/").rsplit("/", 1)[-1]

    def in_effect(self, day: date) -> tuple[PersonRow, ...]:
        """Each person's latest row effective on or before ``day`` (people with no such row are left out)."""
        latest: dict[str, PersonRow] = {}
        for row in self.rows:
            if row.effective_from is not None and row.effective_from > day:
                continue
            kept = latest.get(row.person)
            if kept is None or (kept.effective_from or date.min) < (row.effective_from or date.min):
                latest[row.person] = row
        return tuple(latest.values())

    def lookup(self, day: date) -> dict[str, str]:
        """User ID, and email in lower case -> cost center code, for the rows in effect on ``day``."""
        found: dict[str, str] = {}
        for row in self.in_effect(day):
            if row.cost_center is None:
                continue
            found[row.email] = row.cost_center
            if row.user_id:
                found[row.user_id] = row.cost_center
        return found

    def blank_rows(self, day: date) -> dict[str, PersonRow]:
        """User ID and email -> the row in effect on ``day`` whose cost center cell is blank."""
        found: dict[str, PersonRow] = {}
        for row in self.in_effect(day):
            if row.cost_center is None:
                found[row.email] = row
                if row.user_id:
                    found[row.user_id] = row
        return found
