"""Serve a simulated organization from a benchmark child process until its stdin closes."""

from __future__ import annotations

import json
import sys


def serve_until_stdin_closes(org) -> None:
    """Print the base URL, serve, then print every request answered (as JSON) for the parent."""
    from reports.simulator.server import SimulatorServer

    with SimulatorServer(org) as server:
        print(server.base_url, flush=True)
        sys.stdin.read()
        records = [{"path": r.path, "query": r.query, "status": r.status, "bytes": r.bytes_sent,
                    "started": r.started, "finished": r.finished} for r in server.requests]
    print(json.dumps(records), flush=True)
