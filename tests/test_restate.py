"""Closing a month and restating it after late-arriving data, end to end over loopback HTTP."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import UTC
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import MONTH, run_options, simulator
from reports.errors import DataError, SealedMonthError, UsageError
from reports.outputs.seal import close_month
from reports.pipeline import demo_config_path, run
from reports.simulator.demo import demo_organization
from runcheck import sheet_names, sheets

pytestmark = pytest.mark.slow  # closes and restates whole months


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and "restatements" not in p.parts}


def journal_rows(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def amount(text: str) -> Decimal:
    return Decimal(text) if text else Decimal("0")


@pytest.fixture()
def closed_month(tmp_path, demo_month):
    original = demo_month(tmp_path)
    from datetime import datetime

    close_month(tmp_path, MONTH, datetime(2026, 11, 5, 9, 0, tzinfo=UTC))
    return tmp_path, original


def test_a_closed_month_refuses_a_plain_rerun(cli, closed_month, demo_server):
    output, _ = closed_month
    with pytest.raises(SealedMonthError) as caught:
        run(run_options(demo_server, output))
    assert "closed on 2026-11-05T09:00:00Z" in str(caught.value) and "--restate" in str(caught.value)
    done = cli("run", "--month", "2026-10", "--config", str(demo_config_path()), "--output", str(output),
               "--base-url", demo_server.base_url, env={"ANTHROPIC_ADMIN_API_KEY": "sk-ant-admin01-demo-simulator-key"})
    assert done.returncode == 2 and done.stderr.startswith("error: 2026-10 was closed")


def test_restating_late_data_keeps_sealed_outputs_and_journals_only_the_differences(closed_month):
    output, original = closed_month
    month_folder = output / "2026-10"
    sealed = digests(month_folder)
    with simulator(organization=demo_organization(revision=1)) as late:
        result = run(run_options(late, output, restate=True))
    assert digests(month_folder) == sealed  # the sealed outputs are byte-identical
    assert result.folder == month_folder / "restatements" / "R1"

    before = {line.code: line.total for line in original.report.cost_centers}
    after = {line.code: line.total for line in result.report.cost_centers}
    changed = {code: after[code] - before[code] for code in after if after[code] != before[code]}
    assert changed, "the late data should change at least one cost center"

    assert sheet_names(result.folder / "chargeback-2026-10.xlsx").index("Restatement") == 1
    rows = sheets(result.folder / "chargeback-2026-10.xlsx", "Restatement")["Restatement"]
    header = rows.index(("Cost Center", "Name", "Sealed", "Restated", "Difference"))
    table = {row[0]: row for row in rows[header + 1:] if row[0] and row[0] != "Total"}
    for code, row in table.items():
        assert Decimal(str(row[2])) == before[code] and Decimal(str(row[3])) == after[code]
        assert Decimal(str(row[4])).quantize(Decimal("0.01")) == after[code] - before[code]

    adjustment = journal_rows(result.folder / "journal-adjustment-2026-10-R1.csv")
    by_center = {row["Cost Center"]: amount(row["Debit"]) - amount(row["Credit"])
                 for row in adjustment if row["Cost Center"]}
    assert by_center == changed
    assert sum(amount(r["Debit"]) for r in adjustment) == sum(amount(r["Credit"]) for r in adjustment)
    original_ids = {row["External ID"] for row in journal_rows(month_folder / "journal-2026-10.csv")}
    adjustment_ids = {row["External ID"] for row in adjustment}
    assert not original_ids & adjustment_ids
    assert all(row["Journal ID"] == "CB-2026-10-R1" for row in adjustment)


def test_a_second_restatement_is_numbered_r2(closed_month):
    output, _ = closed_month
    with simulator(organization=demo_organization(revision=1)) as late:
        run(run_options(late, output, restate=True))
    with simulator(organization=demo_organization(revision=2)) as later:
        second = run(run_options(later, output, restate=True))
    assert second.folder.name == "R2" and second.report.restatement.number == 2


def test_restating_refuses_when_sealed_outputs_were_tampered_with(closed_month, demo_server):
    output, _ = closed_month
    csv_path = output / "2026-10" / "journal-2026-10.csv"
    csv_path.write_bytes(csv_path.read_bytes().replace(b"CB-2026-10", b"CB-2026-1O", 1))
    with pytest.raises(DataError, match="changed or removed after sealing: journal-2026-10.csv"):
        run(run_options(demo_server, output, restate=True))


def test_restating_checks_every_sealed_file_raw_pages_included(closed_month, demo_server):
    # the History reads a closed month through its hash chain; a restatement re-hashes every sealed file
    output, _ = closed_month
    page = next(path for path in sorted((output / "2026-10" / "raw").glob("*.json")) if path.name != "index.json")
    page.write_bytes(page.read_bytes().replace(b"0", b"1", 1))
    with pytest.raises(DataError, match=f"changed or removed after sealing: raw/{page.name}"):
        run(run_options(demo_server, output, restate=True))


def test_restate_needs_a_closed_month(tmp_path, demo_server):
    with pytest.raises(UsageError, match="has not been closed"):
        run(run_options(demo_server, tmp_path, restate=True))


def test_close_via_cli_and_twice(cli, tmp_path, demo_month):
    demo_month(tmp_path)
    first = cli("close", "--month", "2026-10", "--output", str(tmp_path))
    assert first.returncode == 0 and "closed 2026-10" in first.stdout
    second = cli("close", "--month", "2026-10", "--output", str(tmp_path))
    assert second.returncode == 2 and "already closed" in second.stderr
    missing = cli("close", "--month", "2026-09", "--output", str(tmp_path))
    assert missing.returncode == 2 and "run `chargeback run --month 2026-09` first" in missing.stderr


def test_a_rerun_of_an_open_month_keeps_the_email_record(tmp_path, demo_server, demo_month):
    first = demo_month(tmp_path)
    (first.folder / "email-sent.json").write_text('{"sent_at": "2026-11-02T08:00:00Z"}')
    second = run(run_options(demo_server, tmp_path))
    assert (second.folder / "email-sent.json").read_text() == '{"sent_at": "2026-11-02T08:00:00Z"}'


def test_the_restated_pdf_says_so_on_its_first_page(closed_month):
    import subprocess

    output, _ = closed_month
    with simulator(organization=demo_organization(revision=1)) as late:
        result = run(run_options(late, output, restate=True, pdf=True))
    pdf = result.folder / "executive-summary-2026-10.pdf"
    first_page = subprocess.run(["pdftotext", "-l", "1", str(pdf), "-"], capture_output=True, text=True,
                                check=True).stdout
    flat = " ".join(first_page.split())
    restatement = result.report.restatement
    assert "RESTATEMENT R1 of October 2026" in flat
    assert f"${restatement.sealed_total:,.2f} then" in flat and f"${restatement.restated_total:,.2f} now" in flat


def test_a_restatement_writes_its_adjustment_in_every_configured_layout(closed_month):
    output, _ = closed_month
    month_folder = output / "2026-10"
    with simulator(organization=demo_organization(revision=1)) as late:
        result = run(run_options(late, output, restate=True))
    folder = result.folder
    # only what is to be posted gets an import layout: the adjustment, not the restated month
    netsuite_files = sorted(p.name for p in folder.glob("journal-*-netsuite.csv"))
    assert netsuite_files == ["journal-adjustment-2026-10-R1-netsuite.csv"]
    assert sorted(p.name for p in folder.glob("journal-*-xero*.csv")) == ["journal-adjustment-2026-10-R1-xero.csv"]
    adjustment = journal_rows(folder / "journal-adjustment-2026-10-R1.csv")
    netsuite = journal_rows(folder / "journal-adjustment-2026-10-R1-netsuite.csv")
    xero = journal_rows(folder / "journal-adjustment-2026-10-R1-xero.csv")
    assert {row["External ID"] for row in netsuite} == {"CB-2026-10-R1"}
    assert ([row["Journal Entry -Line: Memo"].split(" ")[0] for row in netsuite]
            == [r["External ID"] for r in adjustment])
    assert [Decimal(row["*Amount"]) for row in xero] == [amount(r["Debit"]) - amount(r["Credit"]) for r in adjustment]
    assert sum(Decimal(row["*Amount"]) for row in xero) == 0
    sealed_netsuite = journal_rows(month_folder / "journal-2026-10-netsuite.csv")
    assert not {row["External ID"] for row in sealed_netsuite} & {row["External ID"] for row in netsuite}
    sealed_xero = journal_rows(month_folder / "journal-2026-10-xero.csv")
    assert not {row["*Narration"] for row in sealed_xero} & {row["*Narration"] for row in xero}
    listed = {entry["file"] for entry in json.loads((folder / "manifest.json").read_text())["outputs"]}
    assert {"journal-adjustment-2026-10-R1-netsuite.csv", "journal-adjustment-2026-10-R1-xero.csv"} <= listed


def _posted_by_center(rows: list[dict], debit: str = "Debit", credit: str = "Credit") -> dict[str, Decimal]:
    """Each cost center's signed amount in a journal CSV (debits positive)."""
    amounts: dict[str, Decimal] = {}
    for row in rows:
        if row["Cost Center"]:
            amounts[row["Cost Center"]] = amounts.get(row["Cost Center"], Decimal(0)) + amount(row[debit]) - amount(
                row[credit])
    return amounts


def _add(*journals: dict[str, Decimal]) -> dict[str, Decimal]:
    total: dict[str, Decimal] = {}
    for journal in journals:
        for code, value in journal.items():
            total[code] = total.get(code, Decimal(0)) + value
    return {code: value for code, value in total.items() if value}


@pytest.mark.parametrize("currency", ["USD", "EUR"])
def test_a_second_restatement_journals_only_what_the_first_did_not_post(tmp_path, demo_server, currency):
    # R1 then R2, each with more late data: posting the sealed journal, then R1's adjustment,
    # then R2's must leave the books exactly at R2's restated journal, per cost center to the cent,
    # in the ledger's currency and in USD (R2 against the seal alone would post R1's change twice).
    from datetime import datetime

    from test_ledger_currency import eur_config

    config = eur_config(tmp_path) if currency == "EUR" else demo_config_path()
    output = tmp_path / "out"
    run(run_options(demo_server, output, config=config))
    close_month(output, MONTH, datetime(2026, 11, 5, 9, 0, tzinfo=UTC))
    folder = output / "2026-10"
    with simulator(organization=demo_organization(revision=1)) as late:
        first = run(run_options(late, output, config=config, restate=True))
    with simulator(organization=demo_organization(revision=2)) as later:
        second = run(run_options(later, output, config=config, restate=True))
    r1 = second.folder.parent / "R1"
    sealed = journal_rows(folder / "journal-2026-10.csv")
    adjustments = [journal_rows(r1 / "journal-adjustment-2026-10-R1.csv"),
                   journal_rows(second.folder / "journal-adjustment-2026-10-R2.csv")]
    restated = journal_rows(second.folder / "journal-2026-10.csv")
    columns = [("Debit", "Credit")] + ([("Debit (USD)", "Credit (USD)")] if currency == "EUR" else [])
    for debit, credit in columns:
        one, two = (_posted_by_center(rows, debit, credit) for rows in adjustments)
        assert one and two, "each restatement should have late data to adjust"
        assert _add(_posted_by_center(sealed, debit, credit), one, two) == _add(
            _posted_by_center(restated, debit, credit)), debit
    # the second restatement's sheet compares with what is posted, and says so
    assert first.report.restatement.earlier == () and second.report.restatement.earlier == ("R1",)
    sheet = sheets(second.folder / "chargeback-2026-10.xlsx", "Restatement")["Restatement"]
    assert ("Cost Center", "Name", "Posted", "Restated", "Difference") in sheet
    posted_after_r1 = {line.code: line.total for line in first.report.cost_centers}
    assert {line.code: line.posted for line in second.report.restatement.lines} == posted_after_r1


def test_a_restatement_that_changes_no_debit_writes_nothing_and_says_since_when(cli, closed_month, demo_server):
    output, original = closed_month
    month_folder = output / "2026-10"
    before = digests(month_folder)
    done = cli("run", "--month", "2026-10", "--restate", "--config", str(demo_config_path()), "--output", str(output),
               "--base-url", demo_server.base_url, env={"ANTHROPIC_ADMIN_API_KEY": "sk-ant-admin01-demo-simulator-key"})
    assert done.returncode == 0, done.stderr
    assert not (month_folder / "restatements").exists() and digests(month_folder) == before
    sealed_run = original.report.run_info.run_id
    assert f"no change since the sealed run {sealed_run} (closed 2026-11-05T09:00:00Z)" in done.stdout
    assert "wrote" not in done.stdout and "post only" not in done.stdout
    assert not list(output.glob(".staging-*"))
    # after R1, "since" names the latest restatement, and still nothing is written
    with simulator(organization=demo_organization(revision=1)) as late:
        first = run(run_options(late, output, restate=True))
        again = run(run_options(late, output, restate=True))
    assert again.no_change == f"R1 (run {first.report.run_info.run_id}, {_rfc3339(first)})" and again.files == []
    assert sorted(p.name for p in (month_folder / "restatements").iterdir()) == ["R1"]


def _rfc3339(result) -> str:
    from reports.core.months import rfc3339

    return rfc3339(result.report.run_info.generated_at)


def every_layout_config(tmp_path: Path) -> Path:
    """The demo mapping with every import layout configured."""
    import yaml

    from reports.core.settings import LAYOUTS

    config = yaml.safe_load(demo_config_path().read_text())
    config["journal"]["layouts"] = list(LAYOUTS)
    path = tmp_path / "every-layout.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_an_adjustment_is_dated_by_the_posting_date_in_every_layout_and_by_default_the_run_date(tmp_path,
                                                                                               demo_server):
    from datetime import date, datetime

    from reports.core.settings import LAYOUTS

    config, output = every_layout_config(tmp_path), tmp_path / "out"
    run(run_options(demo_server, output, config=config))
    close_month(output, MONTH, datetime(2026, 11, 5, 9, 0, tzinfo=UTC))
    run_day = datetime(2026, 12, 4, 8, 30, tzinfo=UTC)
    with simulator(organization=demo_organization(revision=1)) as late:
        default = run(run_options(late, output, config=config, restate=True), now=lambda: run_day)
    with simulator(organization=demo_organization(revision=2)) as later:
        chosen = run(run_options(later, output, config=config, restate=True, posting_date=date(2027, 1, 2)),
                     now=lambda: run_day)
    assert sorted(_layouts_written(chosen.folder, "R2")) == sorted(LAYOUTS)
    for result, label, day in ((default, "R1", "2026-12-04"), (chosen, "R2", "2027-01-02")):
        generic = journal_rows(result.folder / f"journal-adjustment-2026-10-{label}.csv")
        assert {(row["Date"], row["Period"]) for row in generic} == {(day, day[:7])}
        assert all("2026-10" in row["Memo"] for row in generic)  # the memo names the month corrected
        for layout, dates in _layout_dates(result.folder, label, config).items():
            assert dates == {date.fromisoformat(day)}, layout
        assert f"dated {day}" in result.report.run_info.notes[-1]


def _layouts_written(folder: Path, label: str) -> list[str]:
    stem = f"journal-adjustment-2026-10-{label}-"
    return [p.name[len(stem):-len(".csv")].replace("-", "_") for p in folder.glob(f"{stem}*.csv")]


def _layout_dates(folder: Path, label: str, config: Path) -> dict[str, set]:
    """The dates each layout file of the adjustment carries, read with each layout's configured date format."""
    from datetime import datetime

    from reports.config import load_settings

    settings = load_settings(config)
    columns = {"netsuite": "Date", "xero": "*Date", "quickbooks": "Journal Date", "business_central": "Posting Date",
               "intacct": "DATE"}
    formats = {"YYYY-MM-DD": "%Y-%m-%d", "MM/DD/YYYY": "%m/%d/%Y", "DD/MM/YYYY": "%d/%m/%Y", "DD.MM.YYYY": "%d.%m.%Y",
               "DD MMM YYYY": "%d %b %Y"}
    found = {}
    for layout in settings.journal.layouts:
        rows = journal_rows(folder / f"journal-adjustment-2026-10-{label}-{layout.replace('_', '-')}.csv")
        fmt = formats[getattr(settings.journal, layout).date_format]
        found[layout] = {datetime.strptime(row[columns[layout]], fmt).date() for row in rows if row[columns[layout]]}
    return found


def test_a_posting_date_before_the_month_ends_or_not_a_date_is_refused(cli, closed_month, demo_server):
    output, _ = closed_month
    base = ["run", "--month", "2026-10", "--restate", "--config", str(demo_config_path()), "--output", str(output),
            "--base-url", demo_server.base_url]
    env = {"ANTHROPIC_ADMIN_API_KEY": "sk-ant-admin01-demo-simulator-key"}
    for bad in ("2026-10-30", "2026-02-30", "01/12/2026"):
        done = cli(*base, "--posting-date", bad, env=env)
        assert done.returncode == 2 and done.stderr.startswith("error: ") and bad in done.stderr, done.stderr
    plain = cli("run", "--month", "2026-10", "--posting-date", "2026-12-01", "--demo", "--output", str(output))
    assert plain.returncode == 2 and "use it with --restate" in plain.stderr
    assert not (output / "2026-10" / "restatements").exists()
