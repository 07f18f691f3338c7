"""The benchmark's analytics half: a large organization through the Usage and Cost Analytics API.

``run_bench.py`` calls these for ``source: analytics``: the simulator serves
``synthetic_analytics_organization`` (300 workspaces, 3,000 API keys, 1,500 users, every day
active) in its own process; a child fetches the month with the product's queries, another
re-renders it offline, and a third measures the floor (json-loading the same raw pages and
writing as many rows with openpyxl write-only) — each its own process, so each peak RSS is its
own.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

COST_CENTERS = 10


def sizes(text: str) -> list[tuple[int, int, int]]:
    """``100:1000:500,300:3000:1500`` -> [(workspaces, keys, users), ...]."""
    return [tuple(int(part) for part in item.split(":")) for item in text.split(",") if item]  # type: ignore[misc]


def label(size: tuple[int, int, int]) -> str:
    return f"{size[0]}ws/{size[1]}keys/{size[2]}users"


def write_config(path: Path, workspaces: int, keys: int, users: int, *, directory: bool = True) -> None:
    """10 cost centers own the workspaces; rules by key, user and service account override them; products
    to their own accounts (the journal then has a line per cost center and account).

    Every 50th workspace (from 13) is shared proportionally and every 100th (from 99) left out
    for the unallocated cost center; the second key of every 7th workspace is charged to
    another cost center; every 3rd user is mapped by email and every 5th by ID; every service
    account to CC-09; the third key of every 25th workspace is shared 50/50. With ``directory``,
    a people.csv beside the config places every user (the YAML's users win; every 7th cell is
    blank, every 10th row matched by user ID: ``reports.simulator.people_csv``).
    """
    per_workspace = keys // workspaces
    owned: dict[int, dict[str, list[str]]] = {i: {"workspaces": [], "api_keys": [], "users": [],
                                                  "service_accounts": []} for i in range(COST_CENTERS)}
    shared_keys, shared_workspaces = [], []
    for number in range(workspaces):
        workspace = f"wrkspc_01SYNTH{number:016d}"
        if number % 50 == 13:
            shared_workspaces.append(workspace)
        elif number % 100 != 99:
            owned[number % COST_CENTERS]["workspaces"].append(workspace)
        if number % 7 == 0 and per_workspace > 1:
            owned[(number + 3) % COST_CENTERS]["api_keys"].append(f"apikey_01SYNTH{number:010d}K{1:05d}")
        if number % 25 == 0 and per_workspace > 2:
            shared_keys.append(f"apikey_01SYNTH{number:010d}K{2:05d}")
        if number % 10 == 0:
            owned[9]["service_accounts"].append(f"svac_01SYNTH{number:016d}")
    for number in range(users):
        if number % 3 == 0:
            owned[number % COST_CENTERS]["users"].append(f"user{number:05d}@synthetic.example")
        elif number % 5 == 0:
            owned[number % COST_CENTERS]["users"].append(f"user_01SYNTH{number:016d}")
    lines = [f"organization: Synthetic analytics org ({workspaces} workspaces)", "source: analytics",
             "journal:", '  credit_account: "2150"', '  expense_account: "6420"',
             '  memo: "Claude API chargeback {month}"',
             # products to their own accounts (CC-00 keeps Claude Code on an account of its own)
             "products:", '  claude_code: {expense_account: "6430"}', '  messages_api: {expense_account: "5100"}',
             '  message_batches_api: {expense_account: "5110"}', "cost_centers:"]
    for index in range(COST_CENTERS):
        lines += [f"  - code: CC-{index:02d}", f"    name: Cost center {index:02d}",
                  f"    budget: {20000 + 1000 * index}.00"]
        if index == 0:
            lines.append('    products: {claude_code: {expense_account: "6431"}}')
        for kind, values in owned[index].items():
            lines.append(f"    {kind}: [{', '.join(values)}]")
    lines += ["  - code: FIN-999", "    name: Unallocated", "default_workspace: CC-00", "unallocated: FIN-999",
              "shared:"]
    lines += [f"  - {{workspace: {workspace}, split: proportional}}" for workspace in shared_workspaces]
    lines += [f"  - {{api_key: {key}, split: {{CC-01: 50, CC-02: 50}}}}" for key in shared_keys]
    if not shared_workspaces and not shared_keys:
        lines[-1] = "shared: []"
    if directory:
        from reports.simulator.people_csv import synthetic_directory_csv

        codes = [f"CC-{index:02d}" for index in range(COST_CENTERS)]
        (path.parent / "people.csv").write_text(synthetic_directory_csv(users, codes, with_ids=range(0, users, 10)),
                                                encoding="utf-8")
        lines += ["directory:", "  file: people.csv", "  email_column: Email", "  cost_center_column: Cost Center",
                  "  user_id_column: User ID"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def child_serve(spec: str) -> None:
    """(child) Serve the synthetic analytics organization until stdin closes, then print the requests."""
    from serving import serve_until_stdin_closes

    from reports.simulator.synthetic import synthetic_analytics_organization

    workspaces, keys, users = (int(part) for part in spec.split(":"))
    serve_until_stdin_closes(synthetic_analytics_organization(workspaces, keys, users))


def child_fetch(month: str, folder: str, base_url: str) -> None:
    """(child) Fetch the month with the analytics source's queries into ``folder/<month>/raw``."""
    from reports.core.months import Month
    from reports.simulator.server import DEMO_API_KEY
    from reports.sources.analytics import AnalyticsSource
    from reports.sources.fetch import fetch_month
    from reports.sources.snapshot import SnapshotWriter

    started = time.perf_counter()
    source = AnalyticsSource()
    result = fetch_month(source.queries(Month.parse(month)), SnapshotWriter(Path(folder) / month, source.name),
                         base_url=base_url, api_key=DEMO_API_KEY)
    print(json.dumps({"requests": result.stats.requests, "bytes": result.stats.bytes_received,
                      "seconds": time.perf_counter() - started}))


def child_count(raw: str, workbook: str) -> None:
    """(child) Rows of the raw analytics pages, and rows of each table the workbook wrote."""
    from openpyxl import load_workbook

    folder = Path(raw)
    index = json.loads((folder / "index.json").read_text())
    rows: dict[str, int] = {}
    for page in index["pages"]:
        data = json.loads((folder.parent / page["file"]).read_bytes())
        rows[page["query"]] = rows.get(page["query"], 0) + len(data["data"])
        del data
    book = load_workbook(workbook, read_only=True)
    written = {name: sum(1 for _ in book[name].iter_rows(min_row=2, values_only=True)) for name in book.sheetnames
               if name.split(" (")[0] in ("Line Items", "API Keys", "Users", "Usage", "Workspaces")}
    book.close()
    print(json.dumps({"pages": len(index["pages"]), "api_rows": rows, "sheet_rows": written}))


def child_floor(raw: str, rows: str, out: str) -> None:
    """(child) The floor: json-load every raw page, then write as many rows with openpyxl write-only."""
    from decimal import Decimal

    from openpyxl import Workbook

    started = time.perf_counter()
    sample: list[dict] = []
    for path in sorted(Path(raw).glob("*.json")):
        if path.name == "index.json":
            continue
        data = json.loads(path.read_bytes(), parse_float=Decimal)
        if path.name.startswith("analytics_cost-") and len(sample) < 50_000:
            sample.extend(data["data"][:50_000])
        del data
    loaded = time.perf_counter()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Rows")
    ws.append([f"Column {i}" for i in range(15)])
    for index in range(int(rows)):
        row = sample[index % len(sample)]
        group, cost = row["group"], row["cost"]
        ws.append(["2026-10-01", group["workspace_id"], "Workspace", group["api_key_id"], "Key",
                   json.dumps(group["actor"]), "CC-01", group["cost_type"], group["model"], group["token_type"],
                   group["service_tier"], None, float(cost["amount"]), float(cost["list_amount"]),
                   float(cost["amount"]) / 100])
    wb.save(out)
    print(json.dumps({"load": loaded - started, "write": time.perf_counter() - loaded}))


def fetch_scenario(run_child: Callable, python: str, bench: str, size: tuple[int, int, int], month: str,
                   folder: Path) -> dict:
    server = subprocess.Popen([python, bench, "--child-serve-analytics", ":".join(map(str, size))],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        base_url = server.stdout.readline().strip()  # type: ignore[union-attr]
        child = run_child([python, bench, "--child-fetch-analytics", month, str(folder), base_url])
    finally:
        out, _ = server.communicate("")
    records = json.loads(out.strip().splitlines()[-1])
    stats = json.loads(child["stdout"].strip().splitlines()[-1])
    return {"wall": child["wall"], "fetch_seconds": stats["seconds"], "peak_rss": child["peak_rss"],
            "requests": len(records), "client_requests": stats["requests"],
            "bytes": sum(r["bytes"] for r in records)}


def offline_scenario(run_child: Callable, python: str, root: Path, month: str, folder: Path, config: Path) -> dict:
    child = run_child([python, "-m", "reports", "run", "--offline", "--source", "analytics", "--month", month,
                       "--output", str(folder), "--config", str(config)], cwd=root)
    return {"wall": child["wall"], "peak_rss": child["peak_rss"], "cpu": child["cpu"]}


def count(run_child: Callable, python: str, bench: str, folder: Path, month: str) -> dict:
    child = run_child([python, bench, "--child-count-analytics", str(folder / month / "raw"),
                       str(folder / month / f"chargeback-{month}.xlsx")])
    return json.loads(child["stdout"].strip().splitlines()[-1])


def floor_scenario(run_child: Callable, python: str, bench: str, folder: Path, month: str, rows: int) -> dict:
    child = run_child([python, bench, "--child-floor-analytics", str(folder / month / "raw"), str(rows),
                       str(folder / "floor.xlsx")])
    parts = json.loads(child["stdout"].strip().splitlines()[-1])
    return {"wall": child["wall"], "peak_rss": child["peak_rss"], **parts}
