"""`chargeback email`: send the month's summary PDF (also `run --email`)."""

from __future__ import annotations

import argparse

from reports.commands.common import now
from reports.core.months import Month
from reports.errors import UsageError
from reports.resources import config_to_read


def handle(args: argparse.Namespace) -> int:
    month = args.month or Month.last_complete(now())
    send(args, month, force=args.force, dry_run=args.dry_run)
    return 0


def send(args: argparse.Namespace, month: Month, *, force: bool, dry_run: bool) -> None:
    from reports.config import load_settings
    from reports.email.send import send_month_summary
    from reports.outputs.folder import writing_to

    config = config_to_read(args.config, demo=getattr(args, "demo", False), source=getattr(args, "source", None))
    settings = load_settings(config)
    if settings.email is None:
        raise UsageError(f"{config} has no email: section; add one to send the summary")
    with writing_to(args.output):
        outcome = send_month_summary(settings.email, args.output / str(month), month, force=force, dry_run=dry_run)
    print(f"email {month}: {outcome.summary()}")
