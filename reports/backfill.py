"""Backfill: run each month of a range that was never run, in order, never touching one already run or closed."""

from __future__ import annotations

import ctypes
import gc
import importlib
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from reports.core.checks import Status
from reports.core.config_checks import UNALLOCATED_SHARE
from reports.core.money_text import money_text
from reports.core.months import Month, month_span
from reports.errors import BackfillStopped, ChargebackError, UnallocatedShareError, UsageError
from reports.outputs.folder import month_lock, writing_to
from reports.outputs.inert import csv_field
from reports.outputs.names import MANIFEST
from reports.outputs.seal import SEAL, close_month
from reports.pipeline import RunOptions, load_run_settings, run

log = logging.getLogger("reports.backfill")

RAN = "ran"
CLOSED = "closed"  # left alone: the month is closed
ALREADY_RUN = "already run"  # left alone: run before, not closed
NOT_A_RUN = "not a run"  # left alone: a folder with files but no manifest


@dataclass(frozen=True)
class MonthOutcome:
    """What the summary prints of a month: never its Report, so a year's backfill holds one month's rows at a time."""

    month: Month
    outcome: str  # ran | closed | already run | not a run
    total: Decimal | None = None  # a month run: its total (USD)
    folder: Path | None = None  # a month run: where it was published
    closed_now: bool = False  # closed by this backfill (--close)
    unallocated: Decimal | None = None  # a month run: its spend on the unallocated cost center (None: there is none)
    unallocated_warned: bool = False  # its share is above unallocated_warn_percent (a WARN on Reconciliation)


@dataclass(frozen=True)
class BackfillResult:
    first: Month
    last: Month
    months: tuple[MonthOutcome, ...]

    @property
    def ran(self) -> tuple[MonthOutcome, ...]:
        return tuple(item for item in self.months if item.outcome == RAN)

    @property
    def left_alone(self) -> tuple[MonthOutcome, ...]:
        return tuple(item for item in self.months if item.outcome != RAN)


def month_range(first: Month, last: Month) -> list[Month]:
    """Every month from ``first`` to ``last``, both included."""
    if first > last:
        raise UsageError(f"--from {first} is after --to {last}: give the earlier month first")
    return list(month_span(first, last))


def state_of(output_dir: Path, month: Month) -> str | None:
    """Why a month is left alone (closed, already run, not a run), or None when it was never run."""
    folder = output_dir / str(month)
    if (folder / SEAL).exists():
        return CLOSED
    if (folder / MANIFEST).exists():
        return ALREADY_RUN
    if folder.is_dir() and any(folder.iterdir()):
        return NOT_A_RUN
    return None


def backfill(options: RunOptions, first: Month, last: Month, *, close: bool = False,
             accept_unallocated: bool = False, now: Callable[[], datetime]) -> BackfillResult:
    """Run every never-run month from ``first`` to ``last`` in order (closing each with ``close``).

    ``options`` is the run of one month; its month is replaced by each month's. The first month
    that fails stops the backfill with BackfillStopped (its own exit status), leaving the months
    before it published.
    """
    months = month_range(first, last)
    _keep_heap_tops_trimmed()
    if len(months) > 1:  # one month alone imports them after its peak, as `run` does
        _import_what_a_month_imports()
    load_run_settings(options)  # a bad config stops the backfill before any month, and before any request
    outcomes: list[MonthOutcome] = []
    for index, month in enumerate(months, 1):
        state = state_of(options.output_dir, month)
        if state is not None:
            log.info("%s [%d/%d] left alone: %s", month, index, len(months), state)
            outcomes.append(MonthOutcome(month, state))
            continue
        log.info("%s [%d/%d] running…", month, index, len(months))
        _release_memory()
        try:
            outcome = _run_month(replace(options, month=month), close=close, accept_unallocated=accept_unallocated,
                                 now=now)
        except UnallocatedShareError as exc:
            # the month is published but open: the backfill's own flag would leave it alone next time
            raise UsageError(
                f"backfill stopped at {month}: it was run but not closed, {exc.share} is unallocated, above "
                f"unallocated_warn_percent; map those IDs (`chargeback org` lists them) and run it again, or close "
                f"it as it is with `chargeback close --month {month} --accept-unallocated`; then backfill the "
                "rest (with --accept-unallocated to close such months too)") from None
        except ChargebackError as exc:
            done = [str(item.month) for item in outcomes if item.outcome == RAN]
            kept = f"; the {len(done)} month(s) run before it are kept ({', '.join(done)})" if done else ""
            raise BackfillStopped(f"backfill stopped at {month}{kept}: {exc}", exc.exit_status) from None
        assert outcome.total is not None  # a month that ran has its total
        log.info("%s [%d/%d] done: %s%s", month, index, len(months), money_text(outcome.total),
                 ", closed" if close else "")
        outcomes.append(outcome)
    return BackfillResult(first, last, tuple(outcomes))


M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter (malloc.h)


def _keep_heap_tops_trimmed() -> None:
    """Fix glibc's trim threshold at its default (128 KiB), so freed heap tops go back to the OS.

    Left dynamic, glibc raises the threshold to twice the largest block it has freed (up to 64
    MiB), and malloc_trim leaves the tops of the fetch threads' arenas alone: measured at 150
    workspaces, 60 to 120 MiB stayed resident between months and a year peaked at 2.0x one
    month; with the threshold fixed, at about 1.3x.
    """
    try:
        ctypes.CDLL(None).mallopt(M_TRIM_THRESHOLD, 128 * 1024)
    except (AttributeError, OSError):  # not glibc: its own allocator's rules apply
        pass


# What a month's run imports on first use (pipeline._render and _write_tables, openpyxl's writer,
# whose import reads the system's MIME types): every module a month writes its outputs with.
MONTH_IMPORTS = ("openpyxl.writer.excel", "reports.outputs.workbook", "reports.outputs.focus",
                 "reports.outputs.journals", "reports.outputs.journals.generic", "reports.outputs.reversal_files",
                 "reports.outputs.pdf")


def _import_what_a_month_imports() -> None:
    """Import, before the first month, the modules a month would import halfway through.

    Imported in the middle of the first month, their tens of thousands of long-lived objects
    land between that month's rows, and each keeps the 1 MiB pymalloc arena it sits in from
    going back to the OS when the rows are freed: measured at 150 workspaces, about 75 MiB of
    such arenas stayed resident through the rest of a year, and each later month peaked that
    much above the first.
    """
    for name in MONTH_IMPORTS:
        importlib.import_module(name)


def _release_memory() -> None:
    """Hand the month before's memory back before the next month starts.

    Its objects are freed when its run returns, but the allocator keeps their pages: measured at
    150 workspaces, each month then peaked about 60 MiB above the one before (2.3x one month's
    peak over a year). Emptying the caches that hold its strings, collecting what it left in
    reference cycles and trimming the C heap (glibc; elsewhere a no-op) brings a year's peak to
    about 1.15x one month's (179 MiB against 156 MiB, measured by `make bench`).
    """
    # The CSV text cache holds the month's strings (keys from its rows); emptied, it stops pinning its
    # arenas, and the next month fills them again from its own rows (the same values either way).
    csv_field.cache_clear()
    # CPython's attribute lookup cache keeps the name strings a month looked up (reprlib's
    # 'repr_str', built anew per call): a few hundred small strings spread over its arenas.
    sys._clear_type_cache()
    # Until nothing is left: the month's workbook is freed only by a second pass (its sheets'
    # writers are generators, finalized by the first), and live through the next month's start it
    # pinned arenas between that month's rows.
    for _ in range(5):
        if not gc.collect():
            break
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):  # not glibc: nothing to trim
        pass


def _run_month(options: RunOptions, *, close: bool, accept_unallocated: bool,
               now: Callable[[], datetime]) -> MonthOutcome:
    """Run (and close) one month; only what the summary prints outlives this call, not the month's Report."""
    result = run(options, now=now)
    if close:
        with month_lock(options.output_dir, options.month), writing_to(options.output_dir):
            close_month(options.output_dir, options.month, now(), accept_unallocated=accept_unallocated)
    report = result.report
    return MonthOutcome(options.month, RAN, report.total, result.folder, closed_now=close,
                        unallocated=report.unallocated_total if report.unallocated_code else None,
                        unallocated_warned=any(check.name == UNALLOCATED_SHARE and check.status == Status.WARN
                                               for check in report.reconciliation.checks))
