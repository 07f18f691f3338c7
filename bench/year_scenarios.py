"""The benchmark's year: a 12-month backfill, and the last month run with 11 months of history.

``run_bench.py`` calls these for the cost_report organizations of 150 and 500 workspaces. The
simulator serves the organization in its own process; every command runs as a user runs it
(``python -m reports ...`` over loopback HTTP), each in its own child process, so each peak
RSS is its own. For each organization:

- one month: ``backfill --from M --to M --no-pdf`` into an empty output folder;
- a year: ``backfill --from M-11 --to M --no-pdf`` into another (its last month reads the 11
  before it as its history, like every month after the first);
- the last month run again (``run --month M``, PDF included) in the year's folder, with 11 months
  of history, and in the one month's folder, without: the better of two tries each, alternating,
  since one sample on a shared machine is noise.

Targets: the year's peak RSS within 1.25x of one month's (a backfill keeps one month's rows at a
time), and the run with history within 1.25x of the same run without (history is read through
each month's hash chain, not by re-hashing its raw pages).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

TARGET = 1.25
MONTHS = 12
TRIES = 2


def year_scenario(run_child: Callable[..., dict], python: str, bench: str, root: Path, workspaces: int,
                  month: str, folder: Path, write_config: Callable[[Path, int], None], *, keep: bool = False) -> dict:
    """Backfill one month and a year of ``workspaces`` from a served simulator.

    Then run the last month with and without its history.
    """
    from reports.core.months import Month
    from reports.simulator.server import DEMO_API_KEY

    config = folder / "chargeback.yaml"
    write_config(config, workspaces)
    last = Month.parse(month)
    first = last
    for _ in range(MONTHS - 1):
        first = first.prior()
    one, year = folder / "one-month", folder / "year"
    server = subprocess.Popen([python, bench, "--child-serve", str(workspaces)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        base_url = server.stdout.readline().strip()  # type: ignore[union-attr]
        env = {**os.environ, "ANTHROPIC_ADMIN_API_KEY": DEMO_API_KEY}
        common = ["--config", str(config), "--base-url", base_url]

        def chargeback(*args: str) -> dict:
            child = run_child([python, "-m", "reports", *args, *common], env=env, cwd=root)
            return {"wall": child["wall"], "peak_rss": child["peak_rss"], "cpu": child["cpu"]}

        single = chargeback("backfill", "--from", month, "--to", month, "--no-pdf", "--output", str(one))
        backfill = chargeback("backfill", "--from", str(first), "--to", month, "--no-pdf", "--output", str(year))
        without: list[dict] = []
        with_history: list[dict] = []
        for _ in range(TRIES):
            without.append(chargeback("run", "--month", month, "--output", str(one)))
            with_history.append(chargeback("run", "--month", month, "--output", str(year)))
    finally:
        server.communicate("")
    history_months = sum(1 for path in year.iterdir() if path.name[:1].isdigit() and path.name != month)
    if not keep:  # a year of the large organization is about 10 GB on disk
        shutil.rmtree(one, ignore_errors=True)
        shutil.rmtree(year, ignore_errors=True)
    return {"workspaces": workspaces, "from": str(first), "to": month, "months": MONTHS,
            "history_months": history_months, "one_month": single, "backfill": backfill,
            "run_without_history": _best(without), "run_with_history": _best(with_history)}


def _best(tries: list[dict]) -> dict:
    """The fastest try's wall and CPU, the highest peak RSS of all (memory is not noise: keep the worst)."""
    fastest = min(tries, key=lambda item: item["wall"])
    return {**fastest, "peak_rss": max(item["peak_rss"] for item in tries), "walls": [item["wall"] for item in tries]}


def ratios(entry: dict) -> dict:
    return {"backfill_memory": entry["backfill"]["peak_rss"] / entry["one_month"]["peak_rss"],
            "backfill_wall_per_month": entry["backfill"]["wall"] / entry["months"] / entry["one_month"]["wall"],
            "history_wall": entry["run_with_history"]["wall"] / entry["run_without_history"]["wall"],
            "history_memory": entry["run_with_history"]["peak_rss"] / entry["run_without_history"]["peak_rss"]}


def targets(year: dict) -> list[tuple[str, bool, str]]:
    out = []
    for size, entry in sorted(year.items(), key=lambda kv: int(kv[0])):
        r = ratios(entry)
        out.append((f"year, {size} workspaces: backfill peak RSS <= {TARGET}x one month's",
                    r["backfill_memory"] <= TARGET, f"{r['backfill_memory']:.2f}x"))
        out.append((f"year, {size} workspaces: run with 11 months of history <= {TARGET}x without",
                    r["history_wall"] <= TARGET, f"{r['history_wall']:.2f}x"))
    return out


def print_year(year: dict, mib: Callable[[float], str], secs: Callable[[float], str]) -> None:
    if not year:
        return
    print("\n7. a year (cost_report): 12-month backfill (--no-pdf), and the last month run with 11 months of history")
    print(f"   {'workspaces':>10} {'measurement':<40} {'wall':>10} {'peak RSS':>10}  against")
    for size, entry in sorted(year.items(), key=lambda kv: int(kv[0])):
        r = ratios(entry)
        one, backfill = entry["one_month"], entry["backfill"]
        without, with_history = entry["run_without_history"], entry["run_with_history"]
        rows = [
            ("backfill, one month", one, ""),
            (f"backfill, {entry['months']} months ({entry['from']} to {entry['to']})", backfill,
             f"{r['backfill_wall_per_month']:.2f}x one month's wall per month, {r['backfill_memory']:.2f}x its peak"),
            ("run, no history", without, ""),
            (f"run, {entry['history_months']} months of history", with_history,
             f"{r['history_wall']:.2f}x the wall, {r['history_memory']:.2f}x the peak"),
        ]
        for name, item, against in rows:
            print(f"   {size:>10} {name:<40} {secs(item['wall']):>10} {mib(item['peak_rss']):>10}  {against}")
