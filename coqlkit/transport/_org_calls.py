"""The calls this process has in flight to each org, whichever client (connection) sent them.

Zoho counts an org's concurrent calls across every integration, and answers 429
``TOO_MANY_REQUESTS`` past its limit. coqlkit's own connections count: each has its own
concurrency (each pooled connection of an SQLAlchemy engine too), so four connections of
``concurrency=10`` may hold 40 of the org's slots, and a call of the fifth is refused. When
that refusal goes on until :class:`~coqlkit.errors.OrgBusy`, its message says how many of
this process's other connections had calls in flight, so that the fix (a smaller pool, a
lower concurrency) is not taken for other integrations or the day's credits.

Thread-safe (each thread may run its own event loop): a ``threading.Lock`` held for a few
dictionary operations, never across an ``await``. A client's count is taken back in a
``finally``, so a cancelled call leaves nothing behind; a forked child starts from none
(its parent's calls are not its own).
"""

from __future__ import annotations

import os
import threading
from typing import NamedTuple

__all__ = ["OrgCalls", "Others", "in_flight"]

#: What names an org for the count: the API base configured, the client id, the token
#: store's key (the profile, or a digest of the environment's client).
OrgKey = tuple[str, str, str]

_lock = threading.Lock()
#: org → {client's share: its calls in flight}; a share with none is removed.
_flights: dict[OrgKey, dict[OrgCalls, int]] = {}


class Others(NamedTuple):
    """The calls in flight to the org from the process's other clients, and how many
    clients they are."""

    calls: int
    clients: int


NONE = Others(0, 0)


class OrgCalls:
    """One client's share of its org's calls in flight, in the process-wide count."""

    __slots__ = ("key",)

    def __init__(self, key: OrgKey) -> None:
        self.key = key

    def __repr__(self) -> str:
        return f"<OrgCalls {self.key[0]}: {self.others().calls} calls of other clients in flight>"

    def sent(self) -> Others:
        """One more call of this client in flight; the others' as it went."""
        with _lock:
            mine = _flights.setdefault(self.key, {})
            mine[self] = mine.get(self, 0) + 1
            return _others(mine, self)

    def done(self) -> None:
        """One call of this client fewer in flight (answered, failed or cancelled)."""
        with _lock:
            mine = _flights.get(self.key)
            if mine is None or self not in mine:  # counted before a fork: gone with it
                return
            mine[self] -= 1
            if mine[self] <= 0:
                del mine[self]
            if not mine:
                del _flights[self.key]

    def others(self) -> Others:
        """The calls the process's other clients of the same org have in flight now."""
        with _lock:
            return _others(_flights.get(self.key, {}), self)


def _others(shares: dict[OrgCalls, int], me: OrgCalls) -> Others:
    counts = [n for share, n in shares.items() if share is not me and n > 0]
    return Others(sum(counts), len(counts))


def in_flight() -> dict[OrgKey, int]:
    """Every org's calls in flight from this process (for tests and diagnostics)."""
    with _lock:
        return {key: sum(shares.values()) for key, shares in _flights.items()}


def _forget_in_child() -> None:
    """After a fork: the parent's calls are not the child's, and the lock may have been
    held by one of the parent's other threads, which the child does not have."""
    global _lock
    _lock = threading.Lock()
    _flights.clear()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_forget_in_child)
