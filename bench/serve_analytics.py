"""How long the simulator takes to serve the large analytics month (prints figures; not a test).

Serves ``synthetic_analytics_organization()`` (300 workspaces, 3,000 keys, 1,500 users) on a
loopback port and reads, as the product will, every page of: cost grouped by workspace_id,
api_key_id, actor, model, service_tier plus cost_type and token_type; usage grouped by the
same five; cost with ``time_bucket_width=1d`` and no grouping. ``limit=1000`` throughout.

Usage: ``python bench/serve_analytics.py [--month 2026-10]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reports.core.months import Month, rfc3339  # noqa: E402
from reports.simulator.analytics_query import BETA  # noqa: E402
from reports.simulator.server import DEMO_API_KEY, SimulatorServer  # noqa: E402
from reports.simulator.synthetic import synthetic_analytics_organization  # noqa: E402

FIVE = ["workspace_id", "api_key_id", "actor", "model", "service_tier"]


def read_all(http: requests.Session, url: str, params: dict) -> tuple[int, int, int]:
    """Every page of one query: (pages, rows, bytes)."""
    pages = rows = size = 0
    page = None
    while True:
        response = http.get(url, params={**params, **({"page": page} if page else {})}, timeout=300)
        response.raise_for_status()
        body = response.json()
        pages += 1
        rows += len(body["data"])
        size += len(response.content)
        if not body["has_more"]:
            return pages, rows, size
        page = body["next_page"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", default="2026-10")
    args = parser.parse_args()
    month = Month.parse(args.month)
    started = time.perf_counter()
    org = synthetic_analytics_organization()
    print(f"organization built in {time.perf_counter() - started:.2f} s: {org.name}")
    window = {"starting_at": rfc3339(month.start), "ending_at": rfc3339(month.end), "limit": 1000}
    queries = [
        ("cost by 5 + cost_type + token_type", "/v1/organizations/analytics/cost",
         {**window, "group_by[]": FIVE + ["cost_type", "token_type"]}),
        ("usage by 5", "/v1/organizations/analytics/usage", {**window, "group_by[]": FIVE}),
        ("cost daily totals (1d)", "/v1/organizations/analytics/cost", {**window, "time_bucket_width": "1d"}),
    ]
    headers = {"x-api-key": DEMO_API_KEY, "anthropic-version": "2026-10-21", "anthropic-beta": BETA}
    with SimulatorServer(org) as server, requests.Session() as http:
        http.headers.update(headers)
        total = time.perf_counter()
        for label, path, params in queries:
            begun = time.perf_counter()
            pages, rows, size = read_all(http, server.base_url + path, params)
            print(f"{label:38s} {time.perf_counter() - begun:6.2f} s  {pages:3d} pages  {rows:7d} rows  "
                  f"{size / 1e6:6.1f} MB")
        print(f"{'the whole month':38s} {time.perf_counter() - total:6.2f} s")


if __name__ == "__main__":
    main()
