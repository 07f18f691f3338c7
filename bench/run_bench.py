"""Benchmark of the month-end run at scale: `make bench` (prints figures; not a test).

Measures, on this machine and in one run:

1. fetching the large month (500 workspaces) from the simulator over loopback: wall time,
   requests made, bytes received, and whether the cost and usage queries overlapped;
2. ``chargeback run --offline`` of that month: wall time, peak RSS, rows per second;
3. the floor for this stack: json-loading the same raw pages and writing the same number
   of Line Items and Usage rows with openpyxl in write-only mode; and the ratio 2 / 3;
4. the demo month end to end (``chargeback run --demo``): wall time and peak RSS;
5. how 2 grows with size: 50, 150 and 500 workspaces;
6. the analytics source (``analytics_scenarios.py``);
7. a year at 150 and 500 workspaces (``year_scenarios.py``): a 12-month backfill against one
   month's, and the last month run with 11 months of history against the same run without.

Every scenario runs in its own child process, so its peak RSS (``ru_maxrss`` from
``os.wait4``) is its own. The simulator runs in this process, on a loopback port; the
child that fetches talks to it over real HTTP like the product does.

Usage: ``python bench/run_bench.py [--sizes 50,150,500] [--year-sizes 150,500] [--month 2026-10]``.
The figures of the last run are written to ``bench/results/latest.json``; when
``bench/results/baseline.json`` exists (the figures before the optimisations), they are
printed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import analytics_scenarios as analytics  # noqa: E402  (beside this file)
import year_scenarios as year  # noqa: E402  (beside this file)

MEMORY_TARGET = 512 * 2**20  # peak RSS of a large month, either source
FLOOR_TARGET = 0.5  # run --offline at most this fraction of the floor
# "Linear" growth, for both sources: the larger run may cost up to 10% more per row than the
# smaller one (one sample each on a shared machine; sorting a month is n log n).
LINEAR_SLACK = 1.1
COST_CENTERS = 10
DESCRIPTIONS = 30
KEYS = 3
LARGE = 500


# ---------------------------------------------------------------- child processes


def _run_child(argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> dict:
    """Run a child to completion; its wall time, peak RSS (bytes) and stdout."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd)
    # read before waiting so a chatty child never blocks on a full pipe
    stdout, stderr = process.stdout.read(), process.stderr.read()  # type: ignore[union-attr]
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"child failed ({process.returncode}): {' '.join(argv)}\n"
                         f"{stdout.decode(errors='replace')}\n{stderr.decode(errors='replace')}")
    return {"wall": wall, "peak_rss": usage.ru_maxrss * 1024, "cpu": usage.ru_utime + usage.ru_stime,
            "stdout": stdout.decode()}


def _python() -> str:
    return sys.executable


def child_fetch(month: str, folder: str, base_url: str) -> None:
    """(child) Fetch the month into ``folder/<month>/raw`` with the product's fetch code."""
    from reports.core.months import Month
    from reports.simulator.server import DEMO_API_KEY
    from reports.sources.cost_report import month_queries
    from reports.sources.fetch import fetch_month
    from reports.sources.snapshot import SnapshotWriter

    started = time.perf_counter()
    result = fetch_month(month_queries(Month.parse(month)), SnapshotWriter(Path(folder) / month), base_url=base_url,
                         api_key=DEMO_API_KEY)
    print(json.dumps({"requests": result.stats.requests, "bytes": result.stats.bytes_received,
                      "retries": result.stats.retries, "seconds": time.perf_counter() - started}))


def child_floor(raw: str, line_items: int, usage: int, out: str) -> None:
    """(child) The floor: json-load every raw page, write the same rows with openpyxl write-only."""
    from decimal import Decimal

    from openpyxl import Workbook

    started = time.perf_counter()
    cost_rows: list[dict] = []
    for path in sorted(Path(raw).glob("*.json")):
        if path.name == "index.json":
            continue
        data = json.loads(path.read_bytes(), parse_float=Decimal)
        if path.name.startswith("cost_report-") and len(cost_rows) < line_items:
            for bucket in data["data"]:
                cost_rows.extend(bucket["results"])
        del data
    loaded = time.perf_counter()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Line Items")
    ws.append([f"Column {i}" for i in range(12)])
    for index in range(line_items):
        row = cost_rows[index % len(cost_rows)]
        ws.append(["2026-10-01", row["workspace_id"], "Workspace", "CC-01", row["description"], row["cost_type"],
                   row["model"], row["token_type"], row["service_tier"], row["context_window"],
                   float(row["amount"]), float(row["amount"]) / 100])
    ws = wb.create_sheet("Usage")
    ws.append([f"Column {i}" for i in range(12)])
    for index in range(usage):
        ws.append(["wrkspc", "Workspace", "apikey", "Key", "model", "standard", index, index, index, index, index, 0])
    wb.save(out)
    print(json.dumps({"load": loaded - started, "write": time.perf_counter() - loaded}))


# ---------------------------------------------------------------- scenario set-up


def write_config(path: Path, workspaces: int) -> None:
    """10 cost centers; every 50th workspace (from 7) shared 60/40, every 50th (from 13)
    proportional, every 100th (from 99) left out for the unallocated cost center."""
    owned: dict[int, list[str]] = {i: [] for i in range(COST_CENTERS)}
    fixed, proportional = [], []
    for number in range(workspaces):
        workspace = f"wrkspc_01SYNTH{number:016d}"
        if number % 50 == 7:
            fixed.append(workspace)
        elif number % 50 == 13:
            proportional.append(workspace)
        elif number % 100 == 99:
            continue  # unmapped
        else:
            owned[number % COST_CENTERS].append(workspace)
    lines = [
        f"organization: Synthetic org ({workspaces} workspaces)",
        "journal:", '  credit_account: "2150"', '  expense_account: "6420"',
        '  memo: "Claude API chargeback {month}"',
        "cost_centers:",
    ]
    for index in range(COST_CENTERS):
        lines += [f"  - code: CC-{index:02d}", f"    name: Cost center {index:02d}",
                  f"    budget: {50000 + 1000 * index}.00", "    workspaces:"]
        lines += [f"      - {ws}" for ws in owned[index]] or ["      []"]
        if not owned[index]:
            lines[-2] = "    workspaces: []"
            lines.pop()
    lines += ["  - code: FIN-999", "    name: Unallocated", "default_workspace: CC-00", "unallocated: FIN-999",
              "shared:"]
    for ws in fixed:
        lines += [f"  - workspace: {ws}", "    split: {CC-01: 60, CC-02: 40}"]
    for ws in proportional:
        lines += [f"  - workspace: {ws}", "    split: proportional"]
    if not fixed and not proportional:
        lines[-1] = "shared: []"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _overlap(records: list[dict], month: str) -> bool:
    """Were the month's cost and usage queries being answered at the same time?"""
    def interval(path: str) -> tuple[float, float] | None:
        times = [(r["started"], r["finished"]) for r in records
                 if r["path"].endswith(path) and (r["query"].get("starting_at") or [""])[0].startswith(month)]
        return (min(t[0] for t in times), max(t[1] for t in times)) if times else None

    cost, usage = interval("/cost_report"), interval("/usage_report/messages")
    return bool(cost and usage and cost[0] < usage[1] and usage[0] < cost[1])


def child_serve(workspaces: str) -> None:
    """(child) Serve the synthetic organization until stdin closes, then print the requests."""
    from serving import serve_until_stdin_closes

    from reports.simulator.synthetic import synthetic_organization

    serve_until_stdin_closes(synthetic_organization(int(workspaces), descriptions_per_workspace=DESCRIPTIONS,
                                                    api_keys_per_workspace=KEYS))


def fetch_scenario(workspaces: int, month: str, folder: Path) -> dict:
    # The simulator runs in its own process so that this one stays small: a child forked
    # from a large parent would report the parent's pages in its own peak RSS.
    server = subprocess.Popen([_python(), __file__, "--child-serve", str(workspaces)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        base_url = server.stdout.readline().strip()  # type: ignore[union-attr]
        child = _run_child([_python(), __file__, "--child-fetch", month, str(folder), base_url])
    finally:
        out, _ = server.communicate("")
    records = json.loads(out.strip().splitlines()[-1])
    stats = json.loads(child["stdout"].strip().splitlines()[-1])
    return {
        "workspaces": workspaces, "wall": child["wall"], "fetch_seconds": stats["seconds"],
        "peak_rss": child["peak_rss"], "requests": len(records), "client_requests": stats["requests"],
        "bytes": sum(r["bytes"] for r in records), "client_bytes": stats["bytes"],
        "overlap": _overlap(records, month),
    }


def child_count(raw: str, month: str, workbook: str) -> None:
    """(child) Rows in the raw pages, and rows of the Usage sheet(s) of the workbook."""
    folder = Path(raw)
    index = json.loads((folder / "index.json").read_text())
    counts = {"cost": 0, "prior_cost": 0, "usage_api": 0, "usage_api_prior": 0, "pages": len(index["pages"])}
    for page in index["pages"]:
        query = page["query"]
        if not query.startswith(("cost_report", "usage_report")):
            continue
        data = json.loads((folder.parent / page["file"]).read_bytes())
        rows = sum(len(bucket["results"]) for bucket in data["data"])
        del data
        this_month = query.endswith(month)
        key = ("cost" if query.startswith("cost") else "usage_api") + ("" if this_month else
                                                                        ("_prior" if query.startswith("usage") else ""))
        if query.startswith("cost") and not this_month:
            key = "prior_cost"
        counts[key] += rows
    from openpyxl import load_workbook

    book = load_workbook(workbook, read_only=True)
    counts["usage_sheet"] = sum(sum(1 for _ in book[name].iter_rows(min_row=2, values_only=True))
                                for name in book.sheetnames if name == "Usage" or name.startswith("Usage ("))
    book.close()
    print(json.dumps(counts))


def offline_scenario(month: str, output: Path, config: Path) -> dict:
    child = _run_child([_python(), "-m", "reports", "run", "--offline", "--month", month,
                        "--output", str(output), "--config", str(config)], cwd=ROOT)
    workbook = output / month / f"chargeback-{month}.xlsx"
    return {"wall": child["wall"], "peak_rss": child["peak_rss"], "cpu": child["cpu"],
            "workbook_bytes": workbook.stat().st_size}


def floor_scenario(raw: Path, line_items: int, usage: int, folder: Path) -> dict:
    child = _run_child([_python(), __file__, "--child-floor", str(raw), str(line_items), str(usage),
                        str(folder / "floor.xlsx")])
    parts = json.loads(child["stdout"].strip().splitlines()[-1])
    return {"wall": child["wall"], "peak_rss": child["peak_rss"], **parts}


def demo_scenario(folder: Path) -> dict:
    child = _run_child([_python(), "-m", "reports", "run", "--demo", "--output", str(folder)], cwd=ROOT)
    pdf = _run_child([_python(), __file__, "--child-pdf", str(folder)], cwd=ROOT)
    return {"wall": child["wall"], "peak_rss": child["peak_rss"],
            **json.loads(pdf["stdout"].strip().splitlines()[-1])}


def child_pdf(folder: str) -> None:
    """(child) Render the demo month's PDF 5 times (after the run's own render): the median."""
    from reports.core.months import Month
    from reports.outputs.pdf import render_pdf
    from reports.pipeline import RunOptions, demo_config_path, run

    month = Month.parse(sorted(p.name for p in Path(folder).iterdir() if p.name[:1].isdigit())[-1])
    report = run(RunOptions(month=month, output_dir=Path(folder), config_path=demo_config_path(),
                            demo=True, offline=True)).report
    times = []
    for attempt in range(5):
        started = time.perf_counter()
        render_pdf(report, Path(folder) / f"render-{attempt}.pdf")
        times.append(time.perf_counter() - started)
    print(json.dumps({"pdf_median": sorted(times)[len(times) // 2], "pdf_max": max(times)}))


# ---------------------------------------------------------------- report


def _mib(value: float) -> str:
    return f"{value / 2**20:,.0f} MiB"


def _secs(value: float) -> str:
    return f"{value:,.2f} s"


def print_figures(results: dict, baseline: dict | None) -> None:
    def before(path: list[str], fmt) -> str:
        value = baseline
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return ""
            value = value[key]
        return f"   (before: {fmt(value)})" if value is not None else ""

    m = results["machine"]
    print(f"machine: {m['cores']} cores ({m['platform']}), Python {m['python']}, openpyxl {m['openpyxl']} "
          f"(lxml {'yes' if m['lxml'] else 'no'})")
    print(f"month: {results['month']} (prior {results['prior']}); {DESCRIPTIONS} descriptions and {KEYS} API keys "
          f"per workspace; {COST_CENTERS} cost centers + unallocated")
    f = results["fetch"]
    print(f"\n1. fetch, {f['workspaces']} workspaces, over loopback")
    print(f"   wall                {_secs(f['wall'])}  (fetch itself {_secs(f['fetch_seconds'])})"
          + before(["fetch", "wall"], _secs))
    print(f"   requests made       {f['requests']}  (pages: {f['page_count']})" + before(["fetch", "requests"], str))
    print(f"   bytes received      {f['bytes']:,} ({_mib(f['bytes'])})"
          + before(["fetch", "bytes"], lambda v: f"{v:,}"))
    print(f"   peak RSS            {_mib(f['peak_rss'])}" + before(["fetch", "peak_rss"], _mib))
    print(f"   cost & usage overlap {'yes' if f['overlap'] else 'NO'}")
    rows = results["rows"]
    print(f"   rows                {rows['cost']:,} cost rows this month ({rows['prior_cost']:,} prior), "
          f"{rows['usage_api']:,} usage rows this month, {rows['usage_sheet']:,} Usage sheet rows")
    o = results["offline"][str(LARGE)]
    print(f"\n2. run --offline, {LARGE} workspaces")
    print(f"   wall                {_secs(o['wall'])}" + before(["offline", str(LARGE), "wall"], _secs))
    print(f"   peak RSS            {_mib(o['peak_rss'])}" + before(["offline", str(LARGE), "peak_rss"], _mib))
    print(f"   rows per second     {o['rows_per_second']:,.0f} (cost + usage API rows read, both months)"
          + before(["offline", str(LARGE), "rows_per_second"], lambda v: f"{v:,.0f}"))
    fl = results["floor"]
    print("\n3. floor (json.loads of the same raw pages + the same Line Items and Usage rows, openpyxl write-only)")
    print(f"   wall                {_secs(fl['wall'])}  (load {_secs(fl['load'])}, write {_secs(fl['write'])})"
          + before(["floor", "wall"], _secs))
    print(f"   peak RSS            {_mib(fl['peak_rss'])}")
    print(f"   run --offline / floor = {results['ratio']:.2f}x" + before(["ratio"], lambda v: f"{v:.2f}x"))
    d = results["demo"]
    print("\n4. demo month end to end (run --demo)")
    print(f"   wall                {_secs(d['wall'])}" + before(["demo", "wall"], _secs))
    print(f"   peak RSS            {_mib(d['peak_rss'])}" + before(["demo", "peak_rss"], _mib))
    if "pdf_median" in d:
        print(f"   PDF render          {_secs(d['pdf_median'])} median of 5 (slowest {_secs(d['pdf_max'])})")
    print("\n5. growth of run --offline")
    print(f"   {'workspaces':>10} {'cost rows':>10} {'wall':>10} {'peak RSS':>10} {'rows/s':>10}"
          "  per-workspace vs previous")
    previous = None
    for size, item in sorted(results["offline"].items(), key=lambda kv: int(kv[0])):
        growth = ""
        if previous is not None:
            scale = int(size) / int(previous[0])
            growth = (f"time x{item['wall'] / previous[1]['wall']:.2f}, memory x"
                      f"{item['peak_rss'] / previous[1]['peak_rss']:.2f} for x{scale:.2f} workspaces")
        print(f"   {size:>10} {item['cost_rows']:>10,} {item['wall']:>9.2f}s {_mib(item['peak_rss']):>10} "
              f"{item['rows_per_second']:>10,.0f}  {growth}" + before(["offline", size, "wall"], _secs))
        previous = (size, item)
    print_analytics(results)
    year.print_year(results.get("year", {}), _mib, _secs)
    print("\ntargets")
    for name, ok, detail in results["targets"]:
        print(f"   [{'met' if ok else 'NOT MET'}] {name}: {detail}")


def targets(results: dict) -> list[tuple[str, bool, str]]:
    large = results["offline"][str(LARGE)]
    out = [
        (f"cost_report: run --offline <= {FLOOR_TARGET}x floor", results["ratio"] <= FLOOR_TARGET,
         f"{results['ratio']:.2f}x"),
        ("cost_report: run --offline peak RSS <= 512 MiB", large["peak_rss"] <= MEMORY_TARGET, _mib(large["peak_rss"])),
        ("cost_report: fetch peak RSS <= 512 MiB", results["fetch"]["peak_rss"] <= MEMORY_TARGET,
         _mib(results["fetch"]["peak_rss"])),
        ("demo end to end < 5 s", results["demo"]["wall"] < 5, _secs(results["demo"]["wall"])),
        ("fetch: no more requests than the pagination requires",
         results["fetch"]["requests"] == results["fetch"]["page_count"],
         f"{results['fetch']['requests']} requests for {results['fetch']['page_count']} pages"),
        ("fetch: cost and usage queries overlap", results["fetch"]["overlap"],
         "yes" if results["fetch"]["overlap"] else "no"),
    ]
    a = results.get("analytics")
    if a:
        big = a["sizes"][a["large"]]
        out += [
            (f"analytics: run --offline <= {FLOOR_TARGET}x floor", big["ratio"] <= FLOOR_TARGET,
             f"{big['ratio']:.2f}x"),
            ("analytics: run --offline peak RSS <= 512 MiB", big["offline"]["peak_rss"] <= MEMORY_TARGET,
             _mib(big["offline"]["peak_rss"])),
            ("analytics: fetch peak RSS <= 512 MiB", big["fetch"]["peak_rss"] <= MEMORY_TARGET,
             _mib(big["fetch"]["peak_rss"])),
        ]
        ordered = sorted(a["sizes"].values(), key=lambda entry: entry["api_rows"])
        if len(ordered) > 1:
            small, big = ordered[0], ordered[-1]
            scale = big["api_rows"] / small["api_rows"]
            time_growth = big["offline"]["wall"] / small["offline"]["wall"]
            # memory above the interpreter's own (~60 MiB) is what grows with rows
            base = 60 * 2**20
            memory_growth = (big["offline"]["peak_rss"] - base) / max(small["offline"]["peak_rss"] - base, 1)
            out.append(("analytics growth: time at most linear in rows", time_growth <= scale * LINEAR_SLACK,
                        f"x{time_growth:.2f} for x{scale:.2f} rows"))
            out.append(("analytics growth: memory at most linear in rows", memory_growth <= scale * LINEAR_SLACK,
                        f"x{memory_growth:.2f} for x{scale:.2f} rows"))
    out += year.targets(results.get("year", {}))
    sizes = sorted(int(s) for s in results["offline"])
    if 150 in sizes and LARGE in sizes:
        small, big = results["offline"]["150"], large
        scale = LARGE / 150
        out.append(("growth 150 -> 500: time at most linear", big["wall"] / small["wall"] <= scale * LINEAR_SLACK,
                    f"x{big['wall'] / small['wall']:.2f} for x{scale:.2f}"))
        out.append(("growth 150 -> 500: memory at most linear",
                    big["peak_rss"] / small["peak_rss"] <= scale * LINEAR_SLACK,
                    f"x{big['peak_rss'] / small['peak_rss']:.2f} for x{scale:.2f}"))
    return out


def analytics_results(month: str, sizes: list[tuple[int, int, int]], temp: Path, keep: bool) -> dict:
    """The analytics source at each size, the large one (the last) with its floor."""
    out: dict = {"sizes": {}}
    for size in sorted(sizes, key=lambda item: item[1], reverse=True):
        name = analytics.label(size)
        folder = temp / f"analytics-{size[0]}"
        folder.mkdir()
        config = folder / "chargeback.yaml"
        analytics.write_config(config, *size)
        print(f"  analytics: fetching {name}", file=sys.stderr)
        fetched = analytics.fetch_scenario(_run_child, _python(), __file__, size, month, folder)
        print(f"  analytics: run --offline {name}", file=sys.stderr)
        offline = analytics.offline_scenario(_run_child, _python(), ROOT, month, folder, config)
        counted = analytics.count(_run_child, _python(), __file__, folder, month)
        rows_written = sum(counted["sheet_rows"].values())
        entry = {"size": size, "fetch": fetched, "offline": offline, "counts": counted,
                 "rows_written": rows_written, "api_rows": sum(counted["api_rows"].values())}
        if size == max(sizes, key=lambda item: item[1]):
            print("  analytics: floor", file=sys.stderr)
            entry["floor"] = analytics.floor_scenario(_run_child, _python(), __file__, folder, month, rows_written)
            entry["ratio"] = offline["wall"] / entry["floor"]["wall"]
            out["large"] = name
        out["sizes"][name] = entry
        if not keep:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
    return out


def print_analytics(results: dict) -> None:
    a = results.get("analytics")
    if not a:
        return
    large = a["sizes"][a["large"]]
    print(f"\n6. analytics source, {a['large']} (every day active), over loopback")
    print(f"   fetch               {_secs(large['fetch']['wall'])}, {large['fetch']['requests']} requests, "
          f"{large['fetch']['bytes']:,} bytes, peak {_mib(large['fetch']['peak_rss'])}")
    print(f"   run --offline       {_secs(large['offline']['wall'])}, peak {_mib(large['offline']['peak_rss'])}")
    print(f"   rows                {large['api_rows']:,} API rows read, {large['rows_written']:,} sheet rows written "
          f"({', '.join(f'{k} {v:,}' for k, v in large['counts']['sheet_rows'].items())})")
    fl = large["floor"]
    print(f"   floor               {_secs(fl['wall'])} (load {_secs(fl['load'])}, write {_secs(fl['write'])}); "
          f"run --offline / floor = {large['ratio']:.2f}x")
    print(f"   {'size':>28} {'API rows':>9} {'rows out':>9} {'offline':>9} {'peak RSS':>10} {'fetch RSS':>10}")
    for name, entry in sorted(a["sizes"].items(), key=lambda kv: kv[1]["api_rows"]):
        print(f"   {name:>28} {entry['api_rows']:>9,} {entry['rows_written']:>9,} {entry['offline']['wall']:>8.2f}s "
              f"{_mib(entry['offline']['peak_rss']):>10} {_mib(entry['fetch']['peak_rss']):>10}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,150,500", help="workspace counts for the growth table")
    parser.add_argument("--month", default="2026-10", help="the large month (YYYY-MM)")
    parser.add_argument("--save", type=Path, default=RESULTS / "latest.json", help="where to write the figures")
    parser.add_argument("--baseline", type=Path, default=RESULTS / "baseline.json",
                        help="figures to print beside (default bench/results/baseline.json)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--child-fetch", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--child-floor", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--child-serve", help=argparse.SUPPRESS)
    parser.add_argument("--child-count", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--child-pdf", help=argparse.SUPPRESS)
    parser.add_argument("--analytics-sizes", default="100:1000:500,300:3000:1500",
                        help="analytics organizations as workspaces:keys:users (the last is the large one)")
    parser.add_argument("--year-sizes", default="150,500",
                        help="workspace counts for the year (a 12-month backfill each); empty to leave it out")
    parser.add_argument("--child-serve-analytics", help=argparse.SUPPRESS)
    parser.add_argument("--child-fetch-analytics", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--child-count-analytics", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--child-floor-analytics", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_serve_analytics:
        analytics.child_serve(args.child_serve_analytics)
        return 0
    if args.child_fetch_analytics:
        analytics.child_fetch(*args.child_fetch_analytics)
        return 0
    if args.child_count_analytics:
        analytics.child_count(*args.child_count_analytics)
        return 0
    if args.child_floor_analytics:
        analytics.child_floor(*args.child_floor_analytics)
        return 0
    if args.child_pdf:
        child_pdf(args.child_pdf)
        return 0
    if args.child_fetch:
        child_fetch(*args.child_fetch)
        return 0
    if args.child_serve:
        child_serve(args.child_serve)
        return 0
    if args.child_count:
        child_count(*args.child_count)
        return 0
    if args.child_floor:
        raw, items, usage, out = args.child_floor
        child_floor(raw, int(items), int(usage), out)
        return 0

    import openpyxl

    from reports.core.months import Month

    month = args.month
    sizes = sorted({int(s) for s in args.sizes.split(",")} | {LARGE})
    results: dict = {
        "machine": {"cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "openpyxl": openpyxl.__version__, "lxml": bool(getattr(openpyxl, "LXML", False))},
        "month": month, "prior": str(Month.parse(month).prior()), "offline": {},
    }
    print(f"benchmark on {os.cpu_count()} cores; sizes {sizes}; this takes about half an hour", file=sys.stderr)
    temp = Path(tempfile.mkdtemp(prefix="chargeback-bench-"))
    try:
        for size in sorted(sizes, reverse=True):  # the large month first: it is figure 1
            folder = temp / f"ws{size}"
            folder.mkdir()
            config = folder / "chargeback.yaml"
            write_config(config, size)
            print(f"  fetching {size} workspaces", file=sys.stderr)
            fetched = fetch_scenario(size, month, folder)
            print(f"  run --offline {size} workspaces", file=sys.stderr)
            offline = offline_scenario(month, folder, config)
            counted = _run_child([_python(), __file__, "--child-count", str(folder / month / "raw"), month,
                                  str(folder / month / f"chargeback-{month}.xlsx")])
            rows = json.loads(counted["stdout"].strip().splitlines()[-1])
            offline["cost_rows"] = rows["cost"]
            offline["rows_read"] = rows["cost"] + rows["prior_cost"] + rows["usage_api"] + rows["usage_api_prior"]
            offline["rows_per_second"] = offline["rows_read"] / offline["wall"]
            results["offline"][str(size)] = offline
            if size == LARGE:
                fetched["page_count"] = rows["pages"]
                results["fetch"] = fetched
                results["rows"] = rows
                print("  floor", file=sys.stderr)
                results["floor"] = floor_scenario(folder / month / "raw", rows["cost"], rows["usage_sheet"], folder)
                results["ratio"] = offline["wall"] / results["floor"]["wall"]
            if not args.keep:
                import shutil

                shutil.rmtree(folder, ignore_errors=True)
        results["analytics"] = analytics_results(month, analytics.sizes(args.analytics_sizes), temp, args.keep)
        results["year"] = {}
        for size in sorted({int(s) for s in args.year_sizes.split(",") if s}):
            print(f"  a year of {size} workspaces: backfill one month, then twelve; run the last with and "
                  "without history", file=sys.stderr)
            folder = temp / f"year-{size}"
            folder.mkdir()
            results["year"][str(size)] = year.year_scenario(_run_child, _python(), __file__, ROOT, size, month,
                                                            folder, write_config, keep=args.keep)
        print("  run --demo", file=sys.stderr)
        results["demo"] = demo_scenario(temp / "demo")
    finally:
        if not args.keep:
            import shutil

            shutil.rmtree(temp, ignore_errors=True)
        else:
            print(f"kept {temp}", file=sys.stderr)
    results["targets"] = targets(results)
    baseline = json.loads(args.baseline.read_text()) if args.baseline and args.baseline.is_file() else None
    print_figures(results, baseline)
    args.save.parent.mkdir(parents=True, exist_ok=True)
    args.save.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nfigures saved to {args.save.relative_to(ROOT) if args.save.is_relative_to(ROOT) else args.save}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
