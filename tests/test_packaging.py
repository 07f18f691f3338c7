"""A non-editable install (a built wheel) finds its templates and demo config."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROJECT

pytestmark = pytest.mark.slow  # builds and installs the wheel, then runs the demo


def test_wheel_install_runs_the_demo_outside_the_checkout(tmp_path: Path):
    dist, site = tmp_path / "dist", tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(PROJECT)],
                   check=True, capture_output=True, timeout=300)
    wheel = next(dist.glob("chargeback-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run([sys.executable, "-c", "import reports, reports.resources as r; "
                            "print(reports.__file__); print(r.templates_dir()); print(r.config_dir())"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    module, templates, config = where.stdout.split()
    assert module.startswith(str(site)) and templates.startswith(str(site)) and config.startswith(str(site))
    done = subprocess.run([sys.executable, "-m", "reports", "run", "--demo", "--month", "2026-10",
                           "--output", str(tmp_path / "out")], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "out" / "2026-10"
    assert (folder / "executive-summary-2026-10.pdf").stat().st_size > 10_000
    assert (folder / "chargeback-2026-10.xlsx").is_file()
