"""No silent unallocated, no silent typo: the unallocated share and unknown configured IDs are said, and
`close` will not seal a month that is mostly unallocated without being told to (issue 17, item 5)."""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from reports.config import parse_settings
from reports.errors import ConfigError
from reports.pipeline import demo_config_path
from reports.simulator.demo import DEMO_ARCHIVED_WORKSPACE, workspace_id_for
from reports.simulator.server import DEMO_API_KEY
from runcheck import assert_one_error_line

KEY = {"ANTHROPIC_ADMIN_API_KEY": DEMO_API_KEY}
ARCHIVED_ID = workspace_id_for(DEMO_ARCHIVED_WORKSPACE)


def demo_config_without(tmp_path: Path, workspace_id: str) -> Path:
    """The demo mapping with one workspace left out: a user who built it from the listing without archived ones."""
    text = demo_config_path().read_text(encoding="utf-8")
    kept = [line for line in text.splitlines(keepends=True) if workspace_id not in line]
    assert len(kept) == len(text.splitlines()) - 1
    path = tmp_path / "chargeback.yaml"
    path.write_text("".join(kept), encoding="utf-8")
    return path


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------- the config


def test_unallocated_warn_percent_defaults_to_5_and_is_validated_with_its_line():
    base = demo_config_path().read_bytes()
    assert parse_settings(base, "c.yaml").unallocated_warn_percent == Decimal(5)
    assert parse_settings(base + b"unallocated_warn_percent: 12.5\n", "c.yaml").unallocated_warn_percent == \
        Decimal("12.5")
    line = base.count(b"\n") + 1
    with pytest.raises(ConfigError) as raised:
        parse_settings(base + b"unallocated_warn_percent: 120\n", "c.yaml")
    assert f"c.yaml:{line}: unallocated_warn_percent: must be a percentage from 0 to 100" in str(raised.value)


# ---------------------------------------------------------------- backfill, close


@pytest.mark.slow
def test_a_backfill_with_30_percent_unallocated_says_so_and_close_needs_the_flag(cli, tmp_path, demo_server):
    # July 2026 of the demo with the archived Legacy Chatbot unmapped: about 30% of the month
    config = demo_config_without(tmp_path, ARCHIVED_ID)
    common = ("--config", str(config), "--base-url", demo_server.base_url, "--no-pdf")

    refused = cli("backfill", "--from", "2026-07", "--to", "2026-07", "--output", str(tmp_path / "a"),
                  "--close", *common, env=KEY)
    assert refused.returncode == 2
    assert_one_error_line(refused.stderr, "2026-07", "unallocated", "--accept-unallocated",
                          "chargeback close --month 2026-07 --accept-unallocated")
    folder = tmp_path / "a" / "2026-07"
    assert (folder / "manifest.json").is_file() and not (folder / "seal.json").exists()  # run, not sealed
    totals = manifest(folder)["totals"]
    share = Decimal(totals["unallocated"]) / Decimal(totals["total"])
    assert Decimal("0.25") < share < Decimal("0.35")
    percent = (share * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
    assert manifest(folder)["reconciliation"]["Unallocated share"] == "WARN"

    # without --close: every month printed with its unallocated amount and share, and the warning
    printed = cli("backfill", "--from", "2026-07", "--to", "2026-07", "--output", str(tmp_path / "b"), *common,
                  env=KEY)
    assert printed.returncode == 0, printed.stderr
    [line] = [line for line in printed.stdout.splitlines() if line.split()[:2] == ["ran", "2026-07"]]
    amount = Decimal(totals["unallocated"])
    assert f"unallocated ${amount:,.2f} ({percent}%, WARN: above unallocated_warn_percent)" in line

    # `close` refuses the same month with one error line, and seals it with the flag
    refused = cli("close", "--month", "2026-07", "--output", str(tmp_path / "b"))
    assert refused.returncode == 2
    assert_one_error_line(refused.stderr, "2026-07 was not closed", f"{percent}%", "--accept-unallocated")
    assert not (tmp_path / "b" / "2026-07" / "seal.json").exists()
    accepted = cli("close", "--month", "2026-07", "--output", str(tmp_path / "b"), "--accept-unallocated")
    assert accepted.returncode == 0, accepted.stderr
    assert (tmp_path / "b" / "2026-07" / "seal.json").is_file()

    # and the backfill with the flag closes such months
    closed = cli("backfill", "--from", "2026-07", "--to", "2026-07", "--output", str(tmp_path / "c"), "--close",
                 "--accept-unallocated", *common, env=KEY)
    assert closed.returncode == 0, closed.stderr
    assert (tmp_path / "c" / "2026-07" / "seal.json").is_file()


@pytest.mark.slow
def test_a_typo_in_a_configured_workspace_id_is_a_warning_naming_the_file_and_line(cli, tmp_path, demo_server):
    real = workspace_id_for("Campaign Content")
    typo = real[:-1] + ("X" if real[-1] != "X" else "Y")
    text = demo_config_path().read_text(encoding="utf-8").replace(real, typo)
    line = next(number for number, content in enumerate(text.splitlines(), 1) if typo in content)
    config = tmp_path / "typo.yaml"
    config.write_text(text, encoding="utf-8")
    done = cli("run", "--month", "2026-10", "--config", str(config), "--output", str(tmp_path / "out"),
               "--base-url", demo_server.base_url, env=KEY)
    assert done.returncode == 0, done.stderr
    [warning] = [row for row in done.stdout.splitlines() if "unknown configured ID" in row]
    assert f"{config}:{line}: workspace {typo} is not in the organization's workspaces listing" in warning
    assert real not in warning
    assert manifest(tmp_path / "out" / "2026-10")["reconciliation"]["Unknown configured IDs"] == "WARN"
    # Campaign Content's spend went to the unallocated cost center, and that is said too
    assert re.search(r"^  unallocated    \$[\d,.]+ \([\d.]+%\) on FIN-999$", done.stdout, re.M)


@pytest.mark.slow
def test_the_demo_mapping_knows_every_id_and_close_demo_seals_the_demo_month(cli, tmp_path):
    output = tmp_path / "out"
    done = cli("run", "--demo", "--month", "2026-10", "--output", str(output))
    assert done.returncode == 0, done.stderr
    assert "unknown configured ID" not in done.stdout and "WARN" not in done.stdout
    recorded = manifest(output / "2026-10")["reconciliation"]
    assert "Unknown configured IDs" not in recorded and "Unallocated share" not in recorded  # warnings only
    closed = cli("close", "--demo", "--month", "2026-10", "--output", str(output))
    assert closed.returncode == 0, closed.stderr
    assert closed.stdout.startswith("closed 2026-10: run ") and "another configuration" not in closed.stdout
    assert (output / "2026-10" / "seal.json").is_file()
