"""The month's check of the directory file: users with spend that neither the config nor the directory placed. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reports.core.checks import Check, Status
from reports.core.money_text import money_text
from reports.core.people import PeopleDirectory
from reports.core.records import USER, Actor

DIRECTORY_COVERAGE = "Directory coverage"
_LISTED = 10  # users named in the check's detail (an organization may miss hundreds); the Users sheet has all


@dataclass(frozen=True)
class Unplaced:
    """A user with spend that neither the config's users nor the directory placed, and where the spend went."""

    label: str  # email, else name or ID
    amount: Decimal  # exact dollars
    why: str  # "not in people.csv" or "blank cost center (people.csv:12)"
    went_by: tuple[str, ...]  # the levels of the rules that took the spend (API key, workspace, ...)


def unplaced_users(people: PeopleDirectory, day: date, spend: Mapping[Actor, Decimal],
                   levels: Mapping[Actor, tuple[str, ...]], placed: set[Actor], labels: Mapping[Actor, str]
                   ) -> list[Unplaced]:
    """The users with spend not placed by the config's users or the directory, largest spend first."""
    blank = people.blank_rows(day)
    found = []
    for actor, amount in spend.items():
        if actor.kind != USER or actor in placed:
            continue
        row = next((blank[key.lower() if "@" in key else key] for key in (actor.id, actor.email)
                    if key and (key.lower() if "@" in key else key) in blank), None)
        why = f"blank cost center ({people.name}:{row.line})" if row else f"not in {people.name}"
        found.append(Unplaced(labels.get(actor) or actor.label, amount, why, levels.get(actor, ())))
    found.sort(key=lambda item: (-item.amount, item.label))
    return found


def coverage_check(people: PeopleDirectory, users_with_spend: int, unplaced: list[Unplaced]) -> Check:
    """PASS when every user with spend was placed (by the config or the directory), else WARN naming the
    largest few: their spend went by the next rule (API key, workspace, …), which may be right or a gap."""
    expected = f"every user with spend placed ({users_with_spend})"
    if not unplaced:
        return Check(DIRECTORY_COVERAGE, expected, f"{users_with_spend} of {users_with_spend}", Status.PASS,
                     f"{people.name} (SHA-256 {people.sha256[:12]}…)")
    total = sum((item.amount for item in unplaced), Decimal(0))
    shown = "; ".join(f"{item.label} {money_text(item.amount)} ({item.why}; went "
                      f"{' and '.join(_went(level) for level in item.went_by) or 'by the next rule'})"
                      for item in unplaced[:_LISTED])
    more = len(unplaced) - _LISTED
    if more > 0:
        rest = sum((item.amount for item in unplaced[_LISTED:]), Decimal(0))
        shown += f"; and {more} more ({money_text(rest)}): the Users sheet shows where each went"
    return Check(DIRECTORY_COVERAGE, expected, f"{users_with_spend - len(unplaced)} of {users_with_spend}",
                 Status.WARN, f"{len(unplaced)} user(s) with {money_text(total)} not placed by {people.name}, "
                 f"charged by the next rule: {shown}")


def _went(level: str) -> str:
    """Where a level of rule sent the spend, in words: ``by its API key``, ``to unallocated``."""
    return {"unallocated": "to unallocated", "Default workspace owner": "to the Default workspace owner"}.get(
        level, f"by its {level}")
