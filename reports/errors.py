"""One error tree: every expected failure is a ChargebackError with an exit status.

The CLI prints ``error: <message>`` and exits with ``exit_status``; no traceback. Messages
name what to fix and never contain the API key or the SMTP password.
"""

from __future__ import annotations


class ChargebackError(Exception):
    """Base of every expected failure."""

    exit_status = 1


class UsageError(ChargebackError):
    """The command line is wrong (bad month, bad option combination, missing input file)."""

    exit_status = 2


class ConfigError(ChargebackError):
    """The YAML configuration is missing, unreadable or invalid; lists every problem."""

    exit_status = 2

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = problems
        count = len(problems)
        summary = f"{path}: {count} problem{'s' if count != 1 else ''} in the configuration"
        super().__init__(summary + "".join(f"\n  - {problem}" for problem in problems))


class ApiError(ChargebackError):
    """The Admin API or the network failed (after retries), or refused the key."""

    exit_status = 3


class AuthenticationError(ApiError):
    """The Admin API rejected the key (401/403)."""


class ApiRefused(ApiError):
    """The Admin API refused a request with a 4xx that no retry changes (not the key, not a rate limit)."""


class EmailError(ChargebackError):
    """The mail server refused the message, the login, or a recipient (after retries)."""

    exit_status = 3


class DataError(ChargebackError):
    """The data cannot be trusted: malformed rows, unmapped spend, failed reconciliation."""

    exit_status = 4


class OutputError(ChargebackError):
    """The output folder (or a file in it) cannot be created or written: missing, read-only, disk full."""

    exit_status = 2


class InvoiceError(UsageError):
    """An invoice file given to ``chargeback invoice`` is missing, unreadable or wrong (names file, line and key)."""


class RenderError(OutputError):
    """The executive summary PDF could not be rendered: the renderer failed or was stopped (nothing published)."""


class LockError(ChargebackError):
    """Another run for the same month holds the output folder's lock."""

    exit_status = 2


class SealedMonthError(ChargebackError):
    """The month is closed (sealed) and the run did not ask to restate it."""

    exit_status = 2


class UnallocatedShareError(UsageError):
    """``close`` refused a month whose unallocated share is above ``unallocated_warn_percent``."""

    def __init__(self, message: str, share: str):
        super().__init__(message)
        self.share = share  # "30.2% of its spend ($9,000.00 of $29,800.00)"


class BackfillStopped(ChargebackError):
    """A month of a backfill failed: the months before it stay published; the exit status is that month's."""

    def __init__(self, message: str, exit_status: int):
        super().__init__(message)
        self.exit_status = exit_status
