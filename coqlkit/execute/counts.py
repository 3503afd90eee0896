"""Remembered counts: a COUNT probe's figure used again for the same WHERE, for a while.

A query that reads more than one page asks first how many records match (one call, one
credit, and one round trip before any page can go out: 6 rounds for 100,000 rows at 10 calls
at once, where the pages alone take 5). Run again soon after, as a notebook cell or a REPL
line often is, it may plan from the figure the last probe found instead, when the plan can
check the figure as it reads (:attr:`~coqlkit.plan.Plan.verifies_count`: pages in id order
that stop at a short page, and read on past the last one when Zoho says it has more
records). So a stale figure costs a few calls, never a row: fewer records than remembered
end the read at the first short page; more are read past the planned pages.

The figure is the probe's, or that of the last read that checked it (it read every match).
It is kept per connection, by the probe's COQL text, for ``count_ttl`` seconds (a plan
option; 0: always probe), at most :data:`MOST` of them.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["MOST", "CountMemory"]

#: How many WHEREs' counts a connection keeps (the least recently used go first).
MOST = 256


class CountMemory:
    """Counts by the COUNT probe's text, with when they were found.

    >>> now = [100.0]
    >>> memory = CountMemory(clock=lambda: now[0])
    >>> memory.remember("select COUNT(id) from Leads where id is not null", 12_345)
    >>> now[0] += 30
    >>> memory.recall("select COUNT(id) from Leads where id is not null", ttl=600)
    (12345, 30.0)
    >>> memory.recall("select COUNT(id) from Leads where id is not null", ttl=20) is None  # too old
    True
    >>> memory.recall("select COUNT(id) from Leads where Email is null", ttl=600) is None  # another WHERE
    True
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, most: int = MOST) -> None:
        self._clock = clock
        self._most = most
        self._counts: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def recall(self, query: str, ttl: float) -> tuple[int, float] | None:
        """The count of ``query`` and its age in seconds, if it is at most ``ttl`` old."""
        found = self._counts.get(query)
        if found is None:
            return None
        rows, at = found
        age = self._clock() - at
        if not 0 <= age <= ttl:
            return None
        self._counts.move_to_end(query)
        return rows, age

    def remember(self, query: str, rows: int) -> None:
        """``rows`` records match ``query``'s WHERE, as of now."""
        self._counts[query] = (rows, self._clock())
        self._counts.move_to_end(query)
        while len(self._counts) > self._most:
            self._counts.popitem(last=False)

    def forget(self) -> None:
        """Forget every count (the next query of each WHERE probes again)."""
        self._counts.clear()

    def __len__(self) -> int:
        return len(self._counts)

    def __repr__(self) -> str:
        return f"<CountMemory {len(self)} counts>"
