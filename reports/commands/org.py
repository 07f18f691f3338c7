"""`chargeback org`: the organization's IDs, mapped by the config, with the month's spend."""

from __future__ import annotations

import argparse
import sys

from reports.commands.common import api_key, base_url, check_month, now, optional_settings
from reports.core.months import Month


def handle(args: argparse.Namespace) -> int:
    from reports.org import OrgOptions, fetch_organization
    from reports.outputs import org_text

    month = args.month or Month.last_complete(now())
    check_month(month)
    settings = optional_settings(args)
    url = base_url(args)
    if not args.demo:
        from reports.sources.client import validate_base_url

        validate_base_url(url)
    result = fetch_organization(OrgOptions(month=month, settings=settings, demo=args.demo, base_url=url,
                                           api_key=None if args.demo else api_key(args)))
    if args.yaml:
        sys.stdout.write(org_text.skeleton(result.organization, month, settings))
    else:
        for line in org_text.table(result.organization, month, config=settings.source_path if settings else None,
                                   unlisted=result.unlisted):
            print(line)
    return 0
