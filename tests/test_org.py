"""`chargeback org`: the organization's IDs as the config maps them, and a config skeleton to fill in."""

from __future__ import annotations

from decimal import Decimal

from reports.pipeline import demo_config_path
from reports.simulator.demo import (
    DEMO_ARCHIVED_WORKSPACE,
    DEMO_UNMAPPED_WORKSPACE,
    DEMO_WORKSPACES,
    workspace_id_for,
)
from reports.simulator.server import DEMO_API_KEY

KEY = {"ANTHROPIC_ADMIN_API_KEY": DEMO_API_KEY}


def rows(stdout: str) -> dict[str, list[str]]:
    """The table's rows by ID: each row's cells (split on runs of two or more spaces)."""
    import re

    found = {}
    for line in stdout.splitlines()[2:]:
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) == 6:
            found[cells[1]] = cells
    return found


def test_org_lists_every_workspace_with_the_archived_and_default_ones_and_their_mapping(cli, demo_server, tmp_path):
    done = cli("org", "--month", "2026-10", "--config", str(demo_config_path()), "--base-url", demo_server.base_url,
               env=KEY)
    assert done.returncode == 0, done.stderr
    table = rows(done.stdout)
    workspaces = {cells[1]: cells for cells in table.values() if cells[0] == "workspace"}
    for name, mapping in DEMO_WORKSPACES:  # every workspace of the organization, archived included
        cells = workspaces[workspace_id_for(name)]
        assert cells[2] == name
        if mapping.startswith("shared"):
            assert cells[4].startswith("shared (")
        else:
            assert cells[4] == ("unmapped" if mapping == "unmapped" else mapping)
    archived = workspaces[workspace_id_for(DEMO_ARCHIVED_WORKSPACE)]
    assert archived[3].startswith("archived 2026-10-20")
    [default] = [cells for cells in workspaces.values() if cells[3] == "default"]
    assert default[4] == "ENG-100"  # the config's default_workspace
    assert len(workspaces) == len(DEMO_WORKSPACES) + 1
    # the workspaces' spend is the month's total a run charges
    spend = sum(Decimal(cells[5].replace("$", "").replace(",", "")) for cells in workspaces.values())
    run = cli("run", "--month", "2026-10", "--config", str(demo_config_path()), "--output", str(tmp_path),
              "--base-url", demo_server.base_url, env=KEY)
    assert f"total          ${spend:,.2f}" in run.stdout
    assert any(cells[0] == "api key" for cells in table.values()) and any(
        cells[0] == "user" for cells in table.values())
    assert "unmapped: 1 workspace" in done.stdout


def test_org_yaml_is_a_config_that_check_config_accepts_once_its_placeholders_are_filled(cli, demo_server, tmp_path):
    done = cli("org", "--month", "2026-10", "--yaml", "--config", str(demo_config_path()), "--base-url",
               demo_server.base_url, env=KEY)
    assert done.returncode == 0, done.stderr
    skeleton = tmp_path / "skeleton.yaml"
    skeleton.write_text(done.stdout, encoding="utf-8")
    assert workspace_id_for(DEMO_UNMAPPED_WORKSPACE) in done.stdout

    unfilled = cli("check-config", "--config", str(skeleton))
    assert unfilled.returncode == 2 and "code: is required" in unfilled.stderr and "OK" not in unfilled.stdout

    filled = []
    for line in done.stdout.splitlines():
        if line.strip().startswith("- code:") and "FILL IN" in line:
            line = "  - code: RND-700"
        elif line.strip().startswith("name:") and "FILL IN" in line:
            line = "    name: Research"
        filled.append(line)
    skeleton.write_text("\n".join(filled) + "\n", encoding="utf-8")
    checked = cli("check-config", "--config", str(skeleton), "--output", str(tmp_path / "out"))
    assert checked.returncode == 0, checked.stderr
    assert f"{len(DEMO_WORKSPACES)} workspaces mapped" in checked.stdout  # every one, the filled-in one too

    # the filled-in skeleton maps everything: org has nothing unmapped left
    again = cli("org", "--month", "2026-10", "--config", str(skeleton), "--base-url", demo_server.base_url, env=KEY)
    assert again.returncode == 0, again.stderr
    assert "every ID the config can map is mapped" in again.stdout
    assert rows(again.stdout)[workspace_id_for(DEMO_UNMAPPED_WORKSPACE)][4] == "RND-700"


def test_org_without_a_config_shows_everything_unmapped_and_its_skeleton_asks_for_the_organization(
        cli, demo_server, tmp_path):
    done = cli("org", "--month", "2026-10", "--yaml", "--base-url", demo_server.base_url, env=KEY, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(" - \"wrkspc_") == len(DEMO_WORKSPACES)  # every listed workspace, in place
    assert "organization:    # FILL IN" in done.stdout
    filled = (done.stdout.replace("organization:    # FILL IN", "organization: Acme  # ")
              .replace("  - code:    # FILL IN", "  - code: ALL-100  # ")
              .replace("    name:    # FILL IN", "    name: All  # "))
    skeleton = tmp_path / "skeleton.yaml"
    skeleton.write_text(filled, encoding="utf-8")
    checked = cli("check-config", "--config", str(skeleton), "--output", str(tmp_path / "out"))
    assert checked.returncode == 0, checked.stderr
    # shared rules count as mapped in check-config: every listed workspace is under the filled-in cost center
    assert f"{len(DEMO_WORKSPACES)} workspaces mapped" in checked.stdout


def test_org_demo_needs_no_key(cli):
    done = cli("org", "--demo", "--month", "2026-10")
    assert done.returncode == 0, done.stderr
    assert workspace_id_for(DEMO_ARCHIVED_WORKSPACE) in done.stdout
