"""A small thread-safe cache that makes each value once, however many requests ask for it at once.

The simulator's days, months and ranked results are costly to build (a 1,500-user month takes
seconds) and the client asks for several at once on parallel connections. A plain
check-then-build cache let each of those requests build the same month side by side, and under
the GIL that tripled the wait; here the first request builds and the others wait for its value.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from typing import Generic, TypeVar

V = TypeVar("V")


class Memo(Generic[V]):
    """The ``keep`` most recently used values by key; ``get`` builds a missing one once (thread-safe)."""

    def __init__(self) -> None:
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = Lock()
        self._building: dict[Hashable, Lock] = {}  # key -> held while one thread builds it
        self._waiting: dict[Hashable, int] = {}  # key -> callers waiting for its build (see ``waiting``)

    def get(self, key: Hashable, make: Callable[[], V], keep: int) -> V:
        """The value of ``key``, built by ``make()`` if no other thread has it or is building it."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            building = self._building.setdefault(key, Lock())
            self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            with building:  # a second caller waits here for the first one's value
                with self._lock:
                    if key in self._values:
                        self._values.move_to_end(key)
                        return self._values[key]
                value = make()
                with self._lock:
                    self._values[key] = value
                    while len(self._values) > keep:
                        self._values.popitem(last=False)
                return value
        finally:
            with self._lock:
                self._waiting[key] -= 1
                if not self._waiting[key]:
                    del self._waiting[key]
                    del self._building[key]  # the last caller out: a failed build is tried afresh next time

    def waiting(self, key: Hashable) -> int:
        """How many callers are inside ``get(key)`` waiting for its value (the one building it included)."""
        with self._lock:
            return self._waiting.get(key, 0)

    def __len__(self) -> int:
        return len(self._values)
