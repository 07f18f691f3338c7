"""Running an open month again: the replaced run is kept under replaced/<run id>/ and the change is announced."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from conftest import MONTH, run_options, simulator
from reports.core.money_text import money_text
from reports.pipeline import demo_config_path, run
from reports.simulator.demo import demo_organization
from reports.simulator.server import DEMO_API_KEY

pytestmark = pytest.mark.slow  # runs whole months, several times


def run_args(server, output: Path) -> list[str]:
    return ["run", "--month", str(MONTH), "--config", str(demo_config_path()), "--output", str(output),
            "--base-url", server.base_url]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_info(folder: Path) -> dict[str, str]:
    sheet = openpyxl.load_workbook(folder / f"chargeback-{MONTH}.xlsx", read_only=True)["Run Info"]
    return {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}


def test_an_open_month_run_again_with_late_data_keeps_the_replaced_run_and_says_what_changed(cli, tmp_path,
                                                                                              demo_month):
    output = tmp_path / "out"
    first = demo_month(output)
    folder = first.folder
    first_id = first.report.run_info.run_id
    before = {path.name: path.read_bytes() for path in folder.iterdir()
              if path.name == "manifest.json" or (path.name.startswith("journal-") and path.suffix == ".csv")}
    assert {"manifest.json", "journal-2026-10.csv", "journal-2026-10-netsuite.csv"} <= set(before)

    with simulator(organization=demo_organization(revision=1)) as late:
        done = cli(*run_args(late, output), env={"ANTHROPIC_ADMIN_API_KEY": DEMO_API_KEY})
    assert done.returncode == 0, done.stderr
    manifest = json.loads((folder / "manifest.json").read_text())
    second_id = manifest["run_id"]
    assert second_id != first_id

    # nothing lost: the replaced run's manifest and every journal, byte for byte
    kept = folder / "replaced" / first_id
    assert {path.name: path.read_bytes() for path in kept.iterdir()} == before
    listed = {entry["file"]: entry["sha256"] for entry in manifest["outputs"]}
    for name in before:
        assert listed[f"replaced/{first_id}/{name}"] == sha256(kept / name)

    # the change, per cost center, from the two runs' own journals
    old_totals = {line["code"]: Decimal(line["total"]) for line in json.loads(before["manifest.json"])["totals"][
        "cost_centers"]}
    new_totals = {line["code"]: Decimal(line["total"]) for line in manifest["totals"]["cost_centers"]}
    changes = {code: new_totals[code] - old_totals[code] for code in new_totals if new_totals[code] != old_totals[code]}
    assert changes, "the late data should change at least one cost center"
    total_change = Decimal(manifest["totals"]["total"]) - first.report.total
    replaces = manifest["replaces"]
    assert replaces["run_id"] == first_id and Decimal(replaces["total"]) == first.report.total
    assert Decimal(replaces["total_change"]) == total_change
    assert {code: Decimal(amount) for code, amount in replaces["changes"].items()} == changes

    largest = max(changes, key=lambda code: abs(changes[code]))
    said = f"replaces run {first_id}: total {money_text(total_change, signed=True)}; "
    line = next(text for text in done.stdout.splitlines() if "replaces run" in text)
    assert said in line and f"{largest} {money_text(changes[largest], signed=True)}" in line
    assert all(f"{code} {money_text(amount, signed=True)}" in line for code, amount in changes.items())
    info = run_info(folder)
    assert info["Replaces Run"].startswith(first_id) and f"replaced/{first_id}/" in info["Replaces Run"]
    assert info["Change From Replaced Run"] == line.split(": ", 1)[1] == replaces["text"]


def test_each_re_run_keeps_its_predecessor_a_re_run_without_change_says_so_and_the_month_still_closes(cli, tmp_path,
                                                                                                     demo_server):
    output = tmp_path / "out"
    ids = [run(run_options(demo_server, output)).report.run_info.run_id]
    with simulator(organization=demo_organization(revision=1)) as late:
        ids.append(run(run_options(late, output)).report.run_info.run_id)
        same = cli(*run_args(late, output), env={"ANTHROPIC_ADMIN_API_KEY": DEMO_API_KEY})
    assert same.returncode == 0, same.stderr
    folder = output / str(MONTH)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert f"replaces run {ids[1]}: no change" in same.stdout
    assert manifest["replaces"]["changes"] == {} and manifest["replaces"]["text"] == "no change"
    assert run_info(folder)["Change From Replaced Run"] == "no change"

    # the replaced folder accumulates: both earlier runs, the first inside the second's record too
    assert sorted(path.name for path in (folder / "replaced").iterdir()) == sorted(ids)
    second_manifest = json.loads((folder / "replaced" / ids[1] / "manifest.json").read_text())
    assert second_manifest["replaces"]["run_id"] == ids[0]
    listed = {entry["file"] for entry in manifest["outputs"]}
    kept = {str(path.relative_to(folder)) for path in (folder / "replaced").rglob("*") if path.is_file()}
    assert kept and kept <= listed

    # the replaced runs are part of what close seals and what history --verify checks
    closed = cli("close", "--month", str(MONTH), "--output", str(output))
    assert closed.returncode == 0, closed.stderr
    sealed = json.loads((folder / "seal.json").read_text())["files"]
    assert kept <= set(sealed)
    verified = cli("history", "--month", str(MONTH), "--output", str(output), "--demo", "--verify")
    assert verified.returncode == 0, verified.stderr


def test_a_first_run_replaces_nothing(tmp_path, demo_server):
    result = run(run_options(demo_server, tmp_path))
    assert result.report.run_info.replaces is None
    assert not (result.folder / "replaced").exists()
    assert "replaces" not in json.loads((result.folder / "manifest.json").read_text())


def test_a_replaced_run_whose_manifest_cannot_be_read_is_kept_all_the_same(cli, tmp_path, demo_server,
                                                                          demo_month):
    output = tmp_path / "out"
    first = demo_month(output)
    damaged = b'{"run_id": "cut short'
    (first.folder / "manifest.json").write_bytes(damaged)
    journal = (first.folder / "journal-2026-10.csv").read_bytes()
    done = cli(*run_args(demo_server, output), env={"ANTHROPIC_ADMIN_API_KEY": DEMO_API_KEY})
    assert done.returncode == 0, done.stderr
    [kept] = list((first.folder / "replaced").iterdir())
    assert kept.name == f"unreadable-{hashlib.sha256(damaged).hexdigest()[:12]}"
    assert (kept / "manifest.json").read_bytes() == damaged and (kept / "journal-2026-10.csv").read_bytes() == journal
    assert f"replaces run {kept.name}: not known" in done.stdout
    assert json.loads((first.folder / "manifest.json").read_text())["replaces"]["total"] is None
