"""The simulated organizations' directory files: the people CSV an HR system or identity provider would export.

``demo_directory_csv`` is the demo's (shipped as ``config/demo-people.csv``, which a test keeps
equal to it); ``synthetic_directory_csv`` places the synthetic analytics organization's users
(1,500 in the benchmark) in cost centers by a rule a test can recompute.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from reports.simulator.demo import DEMO_ADMIN_USER, DEMO_USERS, user_id_for

DEMO_HEADER = ("Employee ID", "Email", "Display Name", "Cost Center", "Anthropic User ID", "Effective From")

# The demo's people by email: (cost center code or "" for none yet, the date the row is effective
# from, the email as the HR system writes it). The YAML's users: entries win over these (Priya is
# DAT-300 here but ENG-100 in the config); Evan Wright is not in the file and Tom Becker's cost
# center is still blank, so their spend goes by the next rule and the Reconciliation sheet lists
# them. Olivia's move to Sales is effective from 2027: no month before it changes.
DEMO_PLACEMENTS: tuple[tuple[str, str, str, str], ...] = (
    ("alex.morgan@acme.example", "ENG-100", "2024-03-01", "alex.morgan@acme.example"),
    ("casey.nguyen@acme.example", "FIN-999", "2024-03-05", "casey.nguyen@acme.example"),
    ("priya.raman@acme.example", "DAT-300", "2025-02-03", "priya.raman@acme.example"),
    ("dana.kim@acme.example", "DAT-300", "2024-09-02", "dana.kim@acme.example"),
    ("lena.fischer@acme.example", "SUP-200", "2024-08-21", "Lena.Fischer@Acme.example"),
    ("olivia.chen@acme.example", "MKT-400", "2025-01-20", "olivia.chen@acme.example"),
    ("olivia.chen@acme.example", "SAL-600", "2027-01-01", "olivia.chen@acme.example"),
    ("ravi.patel@acme.example", "LEG-500", "2025-03-11", "ravi.patel@acme.example"),
    ("tom.becker@acme.example", "", "2026-09-28", "tom.becker@acme.example"),
)


def demo_directory_csv() -> str:
    """The demo's directory file, with user IDs from the simulated organization."""
    names = {email: name for email, name, *_ in DEMO_USERS}
    roles = {email: role for email, _, role, *_ in DEMO_USERS}
    rows = []
    for number, (email, code, effective, written) in enumerate(DEMO_PLACEMENTS, start=1):
        user_id = DEMO_ADMIN_USER if roles[email] == "admin" else user_id_for(email)
        rows.append((f"E{1000 + number}", written, names[email], code, user_id, effective))
    return _csv(DEMO_HEADER, rows)


SYNTHETIC_HEADER = ("Email", "Cost Center", "User ID")


def synthetic_placement(number: int, codes: Sequence[str]) -> str:
    """The cost center of synthetic user ``number``: every 7th user has none yet (blank), the rest by turn."""
    return "" if number % 7 == 6 else codes[number % len(codes)]


def synthetic_directory_csv(users: int, codes: Sequence[str], *, with_ids: Iterable[int] = ()) -> str:
    """The synthetic analytics organization's users (``user00000@synthetic.example`` …) placed by
    ``synthetic_placement``; emails in upper case for odd users (emails compare without case). For the
    numbers in ``with_ids`` the row has the user ID and an old email the API no longer gives, so that only
    the ID can place them."""
    ids = set(with_ids)
    rows = []
    for number in range(users):
        email = f"former.user{number:05d}@synthetic.example" if number in ids else f"user{number:05d}@synthetic.example"
        rows.append((email.upper() if number % 2 else email, synthetic_placement(number, codes),
                     f"user_01SYNTH{number:016d}" if number in ids else ""))
    return _csv(SYNTHETIC_HEADER, rows)


def _csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
