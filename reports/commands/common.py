"""What every command shares: the key and base URL from the environment, the clock, the month and settings."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from pathlib import Path

from reports.core.months import Month
from reports.errors import UsageError
from reports.resources import DEFAULT_CONFIG, config_to_read
from reports.sources.client import DEFAULT_BASE_URL

KEY_ENV = "ANTHROPIC_ADMIN_API_KEY"
BASE_URL_ENV = "ANTHROPIC_ADMIN_BASE_URL"
DEFAULT_OUTPUT = Path("output")


def now() -> datetime:
    return datetime.now(UTC)


def api_key(args: argparse.Namespace) -> str | None:
    if args.api_key_file is not None:
        try:
            key = args.api_key_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"cannot read --api-key-file {args.api_key_file}: {exc.strerror}") from None
        if not key:
            raise UsageError(f"--api-key-file {args.api_key_file} is empty")
        return key
    return os.environ.get(KEY_ENV, "").strip() or None


def base_url(args: argparse.Namespace) -> str:
    """--base-url, else the environment's, else the Admin API's."""
    return args.base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL


def check_month(month: Month) -> None:
    latest = Month.last_complete(now())
    if month > latest:
        raise UsageError(f"{month} has not ended yet (UTC): its report would be incomplete; "
                         f"the last complete month is {latest}")


def optional_settings(args: argparse.Namespace):
    """The config named by --config (or the demo mapping with --demo), or the default one if it exists
    (a command that can do without)."""
    from reports.config import load_settings

    if args.config is not None or getattr(args, "demo", False):
        return load_settings(config_to_read(args.config, demo=getattr(args, "demo", False)))
    return load_settings(DEFAULT_CONFIG) if DEFAULT_CONFIG.is_file() else None
