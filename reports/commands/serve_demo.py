"""`chargeback serve-demo`: the simulated Admin API on loopback."""

from __future__ import annotations

import argparse

from reports.errors import UsageError


def handle(args: argparse.Namespace) -> int:
    from reports.simulator.demo import demo_organization
    from reports.simulator.server import serve_forever

    try:
        serve_forever(args.port, organization=demo_organization(revision=args.late_data))
    except OSError as exc:
        raise UsageError(f"cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}; try another --port") from None
    return 0
