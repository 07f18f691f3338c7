"""The simulator's cache builds each day, month and ranked result once, however many requests ask at once.

The client fetches on parallel connections, so several requests often want the same month before
it exists; building it once per request tripled the wait for a large organization.
"""

from __future__ import annotations

import threading

import pytest

from reports.simulator.memo import Memo


def test_callers_asking_while_a_value_is_built_wait_for_it_and_it_is_built_once():
    memo: Memo[str] = Memo()
    release = threading.Event()
    built: list[str] = []

    def make() -> str:
        built.append("month")
        release.wait()
        return "the month's items"

    got: list[str] = []
    callers = [threading.Thread(target=lambda: got.append(memo.get("2026-10", make, keep=4))) for _ in range(3)]
    for caller in callers:
        caller.start()
    # every caller is inside get (one building, two waiting) before the build may finish
    idle = threading.Event()
    for _ in range(60_000):  # at most a minute: a caller that never arrives is a failure, not a hang
        if memo.waiting("2026-10") == 3:
            break
        idle.wait(0.001)
    assert memo.waiting("2026-10") == 3
    release.set()
    for caller in callers:
        caller.join()
    assert built == ["month"]
    assert got == ["the month's items"] * 3
    assert memo.waiting("2026-10") == 0


def test_a_failed_build_reaches_its_caller_and_the_next_caller_builds_afresh():
    memo: Memo[int] = Memo()

    def broken() -> int:
        raise RuntimeError("generator failed")

    with pytest.raises(RuntimeError, match="generator failed"):
        memo.get("day", broken, keep=2)
    assert memo.get("day", lambda: 7, keep=2) == 7
    assert memo.get("day", broken, keep=2) == 7  # kept: not built again


def test_only_the_most_recently_used_values_are_kept():
    memo: Memo[str] = Memo()
    for day in ("01", "02", "03"):
        memo.get(day, lambda day=day: f"day {day}", keep=2)
    memo.get("02", lambda: "rebuilt", keep=2)  # used again: now the most recent
    memo.get("04", lambda: "day 04", keep=2)
    assert len(memo) == 2
    assert memo.get("02", lambda: "rebuilt", keep=2) == "day 02"
    assert memo.get("01", lambda: "rebuilt", keep=2) == "rebuilt"
