"""`chargeback check-config`: every problem of the config, the month and the output folder."""

from __future__ import annotations

import argparse

from reports.commands.common import check_month, now
from reports.core.settings import ANALYTICS
from reports.resources import config_to_read


def handle(args: argparse.Namespace) -> int:
    from reports.config import load_settings
    from reports.outputs.folder import check_writable

    config = config_to_read(args.config)
    settings = load_settings(config)
    centers = settings.cost_centers
    workspaces = sum(len(center.workspaces) for center in centers) + sum(1 for r in settings.shared if r.workspace)
    rules = f"{workspaces} workspaces mapped"
    if settings.source == ANALYTICS:
        keys = sum(len(center.api_keys) for center in centers) + sum(1 for r in settings.shared if r.api_key)
        people = sum(len(center.users) + len(center.service_accounts) for center in centers)
        rules += f", {keys} API keys, {people} users and service accounts"
    # every check runs before anything is printed: OK is said only when all of them passed
    lines = [f"{config}: OK — {settings.organization} (source {settings.source}): {len(centers)} cost centers, "
             f"{rules}, {len(settings.shared)} shared"]
    journal = settings.journal
    layouts = ", ".join(journal.layouts) or "none (only the generic journal CSV)"
    lines.append(f"  journal layouts: {layouts}; ledger currency {journal.currency}")
    if args.month is not None:
        from reports.core.journal import ledger_for

        check_month(args.month)
        if settings.source == ANALYTICS:
            from reports.sources.analytics import check_lookback

            check_lookback(args.month, now())
        ledger = ledger_for(settings, args.month)  # ConfigError naming the month when it has no rate
        rate = "" if ledger.is_usd else f"; rate {ledger.rate} {ledger.currency} per USD"
        lines.append(f"  month {args.month}: OK — it has ended and can be reported{rate}")
    check_writable(args.output)
    lines.append(f"  output folder {args.output}: OK — writable")
    print("\n".join(lines))
    return 0
