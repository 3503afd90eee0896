"""Slots: how many of the client's calls may be in flight at once, and the slot a call
that timed out keeps for its retry.

Apart from :mod:`coqlkit.transport.client` because it is the concurrency limit alone (a
queue of waiters and a level that follows Zoho's 429s), not the sending of a call. It logs
on the client's logger (``coqlkit.transport.client``), as it did when it lived there: the
names are re-exported from :mod:`coqlkit.transport.client`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

__all__ = ["AdaptiveSlots"]

log = logging.getLogger("coqlkit.transport.client")


class AdaptiveSlots:
    """How many calls may be in flight at once: ``ceiling`` (the profile's concurrency), or
    fewer while Zoho answers 429 ``TOO_MANY_REQUESTS`` (additive increase, multiplicative
    decrease, as TCP does).

    A 429 halves :attr:`allowed` (down to 1), once for all the calls let out at the same
    level (their 429s say the same thing). Each success grows it by ``1 / allowed`` (one
    call more a round of answers) up to one below where the last 429 came (``safe``), and
    ``probe_rounds`` times slower past that; a 429 to such a probe goes back to ``safe``
    rather than halving. So an org whose free slots stay put is tried for one more only
    now and then, and one whose free slots shrink is followed down at once. Callers wait
    in turn (first come, first served).
    """

    def __init__(self, ceiling: int, *, probe_rounds: int = 8) -> None:
        self.ceiling = max(1, ceiling)
        self.limit = float(self.ceiling)
        self.safe = self.ceiling  # below the level of the last 429
        self.probe_rounds = probe_rounds
        self.busy = 0
        self.level = 0  # one more at each decrease
        self._waiters: deque[asyncio.Future[int]] = deque()

    def __repr__(self) -> str:
        return f"<AdaptiveSlots {self.busy}/{self.allowed} of {self.ceiling}>"

    @property
    def allowed(self) -> int:
        return max(1, int(self.limit))

    async def acquire(self) -> int:
        """Wait for a slot; the level it was given at (for :meth:`refused`)."""
        if self.busy < self.allowed and not self._waiters:
            self.busy += 1
            return self.level
        waiter: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # handed a slot, then cancelled
                self.release()
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        self.busy -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.busy < self.allowed:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.busy += 1
                waiter.set_result(self.level)

    def refused(self, level: int) -> None:
        """A call let out at ``level`` was answered 429 ``TOO_MANY_REQUESTS``."""
        if level != self.level:
            return
        before = self.allowed
        if self.allowed > self.safe:  # one more than worked before did not: back to that
            self.limit = float(self.safe)
        else:  # fewer slots than before are free
            self.safe = max(1, self.allowed - 1)
            self.limit = max(1.0, self.limit / 2)
        self.level += 1
        if self.allowed < before:
            log.info(
                "concurrency lowered to %d of %d calls at once: Zoho answered 429 TOO_MANY_REQUESTS "
                "(the org's concurrent-call slots are taken: by other integrations, or the "
                "profile's concurrency is above what the org's edition allows)",
                self.allowed,
                self.ceiling,
            )

    def succeeded(self) -> None:
        before = self.allowed
        step = 1 / self.allowed if self.allowed < self.safe else 1 / (self.allowed * self.probe_rounds)
        self.limit = min(float(self.ceiling), self.limit + step)
        if self.allowed > before:  # back up one a round: only the last step is news
            level = logging.INFO if self.allowed == self.ceiling else logging.DEBUG
            log.log(level, "concurrency raised to %d of %d calls at once", self.allowed, self.ceiling)
        self._wake()


class _KeptSlot:
    """The slot a call that timed out keeps for its retry.

    Given back, its waiting calls would take it during the retry's backoff and start their
    own full timeouts against the hung server, and the retry, back in line behind them,
    would start its own only when they end: a third timeout before the work is told."""

    __slots__ = ("level",)

    def __init__(self) -> None:
        self.level: int | None = None  # the slot's level (see AdaptiveSlots.acquire), while kept
