"""The directory file (``directory:``): people from an HR or identity-provider CSV placed in cost centers.

Precedence (explicit users > directory > API key > workspace), emails without case, effective
dates, every problem of the CSV refused with file, line and column, the file's SHA-256 in the
manifest and Run Info, and a month re-rendered with the directory its run kept. The 300-user
month is checked against a plain-loop hand calculation from the simulator's rows.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from conftest import MONTH, PATIENT_RETRY, PROJECT, simulator
from reports.config import load_settings
from reports.core.allocate import BY_API_KEY, BY_DIRECTORY, BY_USER, BY_WORKSPACE, UNALLOCATED, allocate
from reports.core.records import USER, Actor, Attribution
from reports.pipeline import RunOptions, run
from reports.simulator import analytics_cost_rows
from reports.simulator.people_csv import demo_directory_csv, synthetic_directory_csv, synthetic_placement
from reports.simulator.server import DEMO_API_KEY
from reports.simulator.synthetic import synthetic_analytics_organization
from runcheck import assert_manifest_matches, assert_nothing_published, sheets

CONFIG = """\
organization: Directory test
source: analytics
cost_centers:
  - {code: ENG, name: Engineering, users: [explicit@acme.example], api_keys: [apikey_team]}
  - {code: OPS, name: Operations, workspaces: [wrkspc_ops]}
  - {code: DATA, name: Data}
  - {code: FIN, name: Unallocated}
unallocated: FIN
directory:
  file: people.csv
  email_column: Email
  cost_center_column: Cost Center
  user_id_column: User ID
  effective_from_column: Effective From
"""

PEOPLE = """\
Email,Cost Center,User ID,Effective From
explicit@acme.example,DATA,,
Mover@Acme.example,OPS,,2026-01-01
mover@acme.example,DATA,,2026-10-15
mover@acme.example,ENG,,2026-11-01
byid-old-address@acme.example,DATA,user_byid,
newhire@acme.example,,,2026-09-01
"""


def write_config(folder: Path, people: str = PEOPLE, config: str = CONFIG) -> Path:
    (folder / "people.csv").write_text(people, encoding="utf-8")
    path = folder / "chargeback.yaml"
    path.write_text(config, encoding="utf-8")
    return path


def user(email: str | None, user_id: str | None = None) -> Actor:
    return Actor(USER, user_id or f"user_{(email or 'x').split('@')[0]}", email)


# ---------------------------------------------------------------- precedence and matching (pure)


def test_explicit_users_beat_the_directory_which_beats_api_keys_and_workspaces(tmp_path):
    settings = load_settings(write_config(tmp_path))
    explicit = Attribution("wrkspc_ops", api_key_id="apikey_team", actor=user("EXPLICIT@acme.example"))
    mover = Attribution("wrkspc_ops", api_key_id="apikey_team", actor=user("MOVER@ACME.EXAMPLE"))
    by_id = Attribution("wrkspc_ops", actor=user("someone.else@acme.example", "user_byid"))
    newhire = Attribution("wrkspc_ops", api_key_id="apikey_team", actor=user("newhire@acme.example"))
    stranger = Attribution("wrkspc_ops", actor=user("stranger@acme.example"))
    lost = Attribution("wrkspc_other", actor=user("lost@acme.example"))
    spend = {explicit: Decimal("1.00"), mover: Decimal("2.00"), by_id: Decimal("4.00"), newhire: Decimal("8.00"),
             stranger: Decimal("16.00"), lost: Decimal("32.00")}
    result = allocate(spend, settings, month=MONTH)
    assert (result.level[explicit], result.owner[explicit]) == (BY_USER, "ENG")  # the YAML, not the file's DATA
    # the October row (effective 2026-10-15, the latest on the 31st), matched without case; beats key and workspace
    assert (result.level[mover], result.owner[mover]) == (BY_DIRECTORY, "DATA")
    assert (result.level[by_id], result.owner[by_id]) == (BY_DIRECTORY, "DATA")  # by user ID, whatever the email
    assert (result.level[newhire], result.owner[newhire]) == (BY_API_KEY, "ENG")  # blank cost center: next rule
    assert (result.level[stranger], result.owner[stranger]) == (BY_WORKSPACE, "OPS")  # not in the file
    assert (result.level[lost], result.owner[lost]) == (UNALLOCATED, "FIN")
    assert result.allocated_total == sum(spend.values())


@pytest.mark.parametrize(("month", "code"), [("2026-09", "OPS"), ("2026-10", "DATA"), ("2026-11", "ENG")])
def test_a_month_uses_each_persons_latest_row_in_effect_on_its_last_day(tmp_path, month, code):
    from reports.core.months import Month

    settings = load_settings(write_config(tmp_path))
    mover = Attribution("wrkspc_other", actor=user("mover@acme.example"))
    assert allocate({mover: Decimal(1)}, settings, month=Month.parse(month)).owner[mover] == code


def test_before_a_persons_first_row_the_directory_does_not_place_them(tmp_path):
    from reports.core.months import Month

    settings = load_settings(write_config(tmp_path))
    mover = Attribution("wrkspc_ops", actor=user("mover@acme.example"))
    result = allocate({mover: Decimal(1)}, settings, month=Month.parse("2025-12"))
    assert (result.level[mover], result.owner[mover]) == (BY_WORKSPACE, "OPS")


# ---------------------------------------------------------------- a bad file is a config error


@pytest.mark.parametrize(("people", "needle"), [
    ("Email,Cost Center,User ID,Effective From\na@acme.example,ENG-999,,\n",
     "people.csv:2:2: Cost Center: names cost center ENG-999, which is not defined under cost_centers"),
    ("Email,Cost Center,User ID,Effective From\na@acme.example,ENG,,\nb@acme.example,OPS,,\nA@ACME.example,DATA,,\n",
     "people.csv:4:1: Email: a@acme.example is already in effect from the start on line 2"),
    ("Email,Cost Center,User ID,Effective From\na@acme.example,ENG,user_1,\nb@acme.example,OPS,user_1,\n",
     "people.csv:3:3: User ID: user_1 is already in effect from the start on line 2"),
    ("Mail,Cost Center,User ID,Effective From\na@acme.example,ENG,,\n",
     "people.csv:1:1: the column 'Email' is missing in the header row"),
    ("Email,Cost Center,User ID,Effective From\na@acme.example,ENG,,31/10/2026\n",
     "people.csv:2:4: Effective From: must be a date YYYY-MM-DD, got '31/10/2026'"),
    ("Email,Cost Center,User ID,Effective From\nnot-an-address,ENG,,\n",
     "people.csv:2:1: Email: 'not-an-address' is not an email address"),
    ('Email,Cost Center,User ID,Effective From\n"a@acme.example,ENG,,\n',
     "people.csv:2: malformed CSV: unexpected end of data"),
    ("Email,Cost Center,User ID,Effective From\na@acme.example\n",
     "people.csv:2:2: Cost Center: missing (the row has 1 fields"),
])
def test_a_malformed_directory_is_refused_with_file_line_and_column_and_nothing_written(cli, tmp_path, people,
                                                                                        needle):
    config = write_config(tmp_path, people)
    checked = cli("check-config", "--config", str(config))
    assert checked.returncode == 2 and needle in checked.stderr, checked.stderr
    assert "Traceback" not in checked.stderr
    output = tmp_path / "out"
    ran = cli("run", "--config", str(config), "--month", "2026-10", "--output", str(output),
              env={"ANTHROPIC_ADMIN_API_KEY": "sk-ant-admin01-test"})
    assert ran.returncode == 2 and needle in ran.stderr, ran.stderr
    assert_nothing_published(output)


def test_a_directory_file_that_is_missing_or_not_utf8_is_a_config_error(cli, tmp_path):
    config = write_config(tmp_path)
    (tmp_path / "people.csv").write_bytes(b"Email,Cost Center,User ID,Effective From\nj\xfcrgen@acme.example,ENG,,\n")
    checked = cli("check-config", "--config", str(config))
    assert checked.returncode == 2 and "people.csv:2:2: not UTF-8 text" in checked.stderr, checked.stderr
    (tmp_path / "people.csv").unlink()
    checked = cli("check-config", "--config", str(config))
    assert checked.returncode == 2 and "directory.file" in checked.stderr and "not found" in checked.stderr


def test_a_directory_needs_the_analytics_source(cli, tmp_path):
    config = write_config(tmp_path, config=CONFIG.replace("source: analytics", "source: cost_report").replace(
        ", users: [explicit@acme.example], api_keys: [apikey_team]", ""))
    checked = cli("check-config", "--config", str(config))
    assert checked.returncode == 2 and "directory: needs source: analytics" in checked.stderr, checked.stderr


def test_the_shipped_demo_directory_is_the_one_generated_from_the_simulators_users():
    shipped = (PROJECT / "config" / "demo-people.csv").read_text(encoding="utf-8")
    assert shipped == demo_directory_csv()


# ---------------------------------------------------------------- 300 users over the simulator
# (the enterprise-scale organization, 1,500 users with groups and products too, is test_people_groups_products's)

CODES = ("CC-00", "CC-01", "CC-02", "CC-03", "CC-04")
USERS = 300
WORKSPACES = 30
KEYS = 600  # 20 keys a workspace; the 10 odd ones each shared with one user: 300 users with spend
EXPLICIT = ("user00003@synthetic.example", "user_01SYNTH0000000000000010")  # YAML users of CC-04
TEAM_KEYS = tuple(f"apikey_01SYNTH{number:010d}K{1:05d}" for number in range(0, WORKSPACES, 9))  # CC-03's keys
WITH_IDS = range(0, USERS, 10)  # rows with a user ID, and an old email only the ID can match


def synthetic_config(folder: Path) -> Path:
    (folder / "people.csv").write_text(synthetic_directory_csv(USERS, CODES, with_ids=WITH_IDS), encoding="utf-8")
    centers = []
    for index, code in enumerate(CODES):
        workspaces = [f"wrkspc_01SYNTH{n:016d}" for n in range(WORKSPACES) if n % len(CODES) == index and n % 50]
        centers.append(f"  - code: {code}\n    name: Center {index}\n    workspaces: [{', '.join(workspaces)}]")
    centers[4] += f"\n    users: [{', '.join(EXPLICIT)}]"
    centers[3] += f"\n    api_keys: [{', '.join(TEAM_KEYS)}]"
    text = ("organization: Synthetic\nsource: analytics\ncost_centers:\n" + "\n".join(centers)
            + "\n  - {code: FIN-999, name: Unallocated}\nunallocated: FIN-999\n"
            + "directory:\n  file: people.csv\n  email_column: Email\n  cost_center_column: Cost Center\n"
            + "  user_id_column: User ID\n")
    path = folder / "chargeback.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def hand_debits(rows: list[dict]) -> dict[str, Decimal]:
    """Each cost center's debit from the raw rows by the documented precedence, in plain loops."""
    def owner(group: dict) -> str:
        actor = group["actor"] or {}
        if actor.get("type") == "user_actor":
            if actor["user_id"] in EXPLICIT or (actor.get("email_address") or "").lower() in EXPLICIT:
                return "CC-04"
            number = int(actor["user_id"][-16:])  # user_01SYNTH<number>: by ID, or by email for the others
            if synthetic_placement(number, CODES):
                return synthetic_placement(number, CODES)
        if group["api_key_id"] in TEAM_KEYS:
            return "CC-03"
        workspace = int(group["workspace_id"][-16:])
        return CODES[workspace % len(CODES)] if workspace % 50 else "FIN-999"

    exact: dict[str, Fraction] = {code: Fraction(0) for code in (*CODES, "FIN-999")}
    total = Decimal(0)
    for row in rows:
        cents = Decimal(row["cost"]["amount"])
        total += cents
        exact[owner(row["group"])] += Fraction(cents) / 100
    rounded = (total / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    cents_of = {code: int(value * 100) for code, value in exact.items()}  # floor: amounts are positive
    left = int(rounded * 100) - sum(cents_of.values())
    for code in sorted(exact, key=lambda code: -(exact[code] * 100 - cents_of[code]))[:left]:
        cents_of[code] += 1
    return {code: Decimal(cents) / 100 for code, cents in cents_of.items() if cents}


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("directory")
    organization = synthetic_analytics_organization(WORKSPACES, KEYS, USERS)
    with simulator(organization=organization) as server:
        result = run(RunOptions(month=MONTH, output_dir=folder / "out", config_path=synthetic_config(folder),
                                base_url=server.base_url, api_key=DEMO_API_KEY, retry=PATIENT_RETRY, pdf=False))
    return result, folder, organization


@pytest.mark.slow
def test_a_directory_of_300_users_gives_every_debit_exactly_as_a_hand_calculation(synthetic_run):
    result, _folder, organization = synthetic_run
    rows = analytics_cost_rows(organization, str(MONTH), ["workspace_id", "api_key_id", "actor"])
    with open(result.folder / "journal-2026-10.csv", encoding="utf-8") as handle:
        debits = {row["Cost Center"]: Decimal(row["Debit"]) for row in csv.DictReader(handle) if row["Debit"]}
    assert debits == hand_debits(rows)
    levels = {amount.label: amount.amount for amount in result.report.attributed_by}
    assert {BY_USER, BY_DIRECTORY, BY_API_KEY, BY_WORKSPACE} <= set(levels)
    assert sum(levels.values()) == result.report.reconciliation.source_total


@pytest.mark.slow
def test_the_users_the_directory_missed_are_counted_and_the_largest_named(synthetic_run):
    result, _folder, _organization = synthetic_run
    check = next(check for check in result.report.reconciliation.checks if check.name == "Directory coverage")
    blank = sum(1 for number in range(USERS) if not synthetic_placement(number, CODES)
                and f"user{number:05d}@synthetic.example" not in EXPLICIT
                and f"user_01SYNTH{number:016d}" not in EXPLICIT)
    assert check.status == "WARN" and check.actual == f"{USERS - blank} of {USERS}"
    assert f"{blank} user(s)" in check.detail and "blank cost center (people.csv:" in check.detail
    assert check.detail.count("@synthetic.example") == 10 and f"and {blank - 10} more" in check.detail


@pytest.mark.slow
def test_the_directory_files_sha256_is_in_the_manifest_and_run_info_and_a_copy_kept(synthetic_run):
    result, folder, _organization = synthetic_run
    digest = hashlib.sha256((folder / "people.csv").read_bytes()).hexdigest()
    manifest = assert_manifest_matches(result.folder)
    assert manifest["directory_sha256"] == digest and manifest["directory_file"].endswith("people.csv")
    assert "directory.csv" in {entry["file"] for entry in manifest["outputs"]}
    assert (result.folder / "directory.csv").read_bytes() == (folder / "people.csv").read_bytes()
    run_info = sheets(result.folder / "chargeback-2026-10.xlsx", "Run Info")["Run Info"]
    info = dict(row[:2] for row in run_info if row and row[0])
    assert info["Directory SHA-256"] == digest


# ---------------------------------------------------------------- the month keeps its directory


@pytest.mark.slow
def test_an_offline_rerender_places_people_by_the_directory_the_run_kept(tmp_path, demo_server):
    shutil.copy(PROJECT / "config" / "demo-analytics.yaml", tmp_path / "config.yaml")
    shutil.copy(PROJECT / "config" / "demo-people.csv", tmp_path / "demo-people.csv")
    config, output = tmp_path / "config.yaml", tmp_path / "out"
    first = run(RunOptions(month=MONTH, output_dir=output, config_path=config, base_url=demo_server.base_url,
                           api_key=DEMO_API_KEY, retry=PATIENT_RETRY, pdf=False))
    journal = (first.folder / "journal-2026-10.csv").read_bytes()
    # HR moves everyone to Legal after the run: a re-render of October must not follow
    people = (tmp_path / "demo-people.csv").read_text(encoding="utf-8").splitlines()
    moved = [people[0]] + [",".join(cells[:3] + ["LEG-500"] + cells[4:])
                           for cells in (line.split(",") for line in people[1:])]
    (tmp_path / "demo-people.csv").write_text("\n".join(moved) + "\n", encoding="utf-8")
    again = run(RunOptions(month=MONTH, output_dir=output, config_path=config, offline=True, pdf=False))
    assert (again.folder / "journal-2026-10.csv").read_bytes() == journal
    notes = " ".join(again.report.run_info.notes)
    assert "the directory file 2026-10's run kept (directory.csv" in notes
    kept = hashlib.sha256((again.folder / "directory.csv").read_bytes()).hexdigest()
    assert json.loads((again.folder / "manifest.json").read_text())["directory_sha256"] == kept
    # the kept copy changed by hand is refused, not used
    (again.folder / "directory.csv").write_text("\n".join(moved) + "\n", encoding="utf-8")
    from reports.errors import DataError

    with pytest.raises(DataError, match="directory.csv does not match the directory SHA-256"):
        run(RunOptions(month=MONTH, output_dir=output, config_path=config, offline=True, pdf=False))


@pytest.mark.slow
def test_a_restatement_places_people_by_the_directory_the_sealed_run_kept(tmp_path, demo_server):
    from datetime import UTC, datetime

    from reports.outputs.seal import close_month

    shutil.copy(PROJECT / "config" / "demo-analytics.yaml", tmp_path / "config.yaml")
    (tmp_path / "demo-people.csv").write_text(demo_directory_csv(), encoding="utf-8")
    config, output = tmp_path / "config.yaml", tmp_path / "out"
    options = RunOptions(month=MONTH, output_dir=output, config_path=config, base_url=demo_server.base_url,
                         api_key=DEMO_API_KEY, retry=PATIENT_RETRY, pdf=False)
    run(options)
    close_month(output, MONTH, datetime(2026, 11, 5, 9, 0, tzinfo=UTC))
    # the file as HR has it today sends Dana (DAT-300 in October) to Legal; the closed month does not move
    (tmp_path / "demo-people.csv").write_text(demo_directory_csv().replace("Dana Kim,DAT-300", "Dana Kim,LEG-500"),
                                              encoding="utf-8")
    restated = run(RunOptions(**{**options.__dict__, "restate": True}))
    assert restated.no_change is not None and restated.files == []


def test_effective_rows_are_read_in_the_order_of_their_dates_not_of_the_file(tmp_path):
    from reports.core.months import Month

    people = ("Email,Cost Center,User ID,Effective From\nmover@acme.example,DATA,,2026-10-15\n"
              "mover@acme.example,OPS,,2026-01-01\n")
    settings = load_settings(write_config(tmp_path, people))
    assert settings.directory is not None
    assert settings.directory.lookup(date(2026, 10, 31)) == {"mover@acme.example": "DATA"}
    mover = Attribution(None, actor=user("mover@acme.example"))
    assert allocate({mover: Decimal(1)}, settings, month=Month.parse("2026-09")).owner[mover] == "OPS"


def test_org_lists_each_user_with_the_cost_center_the_directory_gives_them(cli):
    listed = cli("org", "--demo", "--month", "2026-10", "--config", "config/demo-analytics.yaml")
    assert listed.returncode == 0, listed.stderr
    users = {line.split()[1]: line for line in listed.stdout.splitlines() if line.startswith("  user ")}
    dana = next(line for line in users.values() if "Dana Kim" in line)
    priya = next(line for line in users.values() if "Priya Raman" in line)
    evan = next(line for line in users.values() if "Evan Wright" in line)
    assert "DAT-300 (by demo-people.csv)" in dana  # placed by the file
    assert "ENG-100" in priya and "demo-people.csv" not in priya  # the YAML's users: entry wins
    assert "unmapped" in evan  # not in the file
