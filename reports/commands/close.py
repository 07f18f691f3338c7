"""`chargeback close`: seal a month's outputs."""

from __future__ import annotations

import argparse

from reports.commands.common import now, optional_settings
from reports.core.money_text import money_text
from reports.core.months import Month


def handle(args: argparse.Namespace) -> int:
    from reports.outputs.folder import month_lock, writing_to
    from reports.outputs.manifest import Manifest
    from reports.outputs.seal import close_month

    month = args.month or Month.last_complete(now())
    settings = optional_settings(args)
    with month_lock(args.output, month), writing_to(args.output):
        seal = close_month(args.output, month, now(), accept_unallocated=args.accept_unallocated)
    print(f"closed {month}: run {seal.run_id}, total {money_text(seal.total)}, {len(seal.files)} files sealed "
          f"in {args.output / str(month) / 'seal.json'}")
    if settings is not None:
        manifest = Manifest.read(args.output / str(month), month)
        if manifest.config_sha256 != settings.sha256:
            print(f"note: {month} was run with another configuration than {settings.source_path} "
                  f"(SHA-256 {manifest.config_sha256[:12]}…); the seal records the outputs as they are")
    return 0
