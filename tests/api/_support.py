"""Helpers for the front ends' tests (a plain module: ``conftest.py`` holds the fixtures)."""

from __future__ import annotations

import contextlib
import signal
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

from coqlkit import dbapi
from coqlkit.sandbox.config import CLIENT_SECRET, REFRESH_TOKEN
from coqlkit.sandbox.server import Sandbox

RECORDS = 3_000  # Leads in the org (the other modules scale with it)
SLOW_MS = 200.0  # the slow sandbox's latency: a page takes at least this long


class RequestLog:
    """The CRM calls a sandbox logged since this object was made (or since :meth:`mark`)."""

    def __init__(self, sandbox: Sandbox) -> None:
        assert sandbox.state is not None
        self.requests = sandbox.state.requests
        self.start = len(self.requests)

    def mark(self) -> None:
        self.start = len(self.requests)

    def calls(self) -> list[dict[str, Any]]:
        entries = list(self.requests)[self.start :]
        return [e for e in entries if e["path"].startswith("/crm/")]

    def coql(self) -> list[dict[str, Any]]:
        """The COQL calls (``POST /crm/v8/coql``): the probe and the pages."""
        return [e for e in self.calls() if e["path"].endswith("/coql")]

    def credits(self) -> int:
        return sum(int(e["credits"]) for e in self.calls())


def count(oracle: sqlite3.Connection, where: str, args: tuple[Any, ...] = (), table: str = "Leads") -> int:
    """How many records of ``table`` match the SQL ``where``."""
    row = oracle.execute(f'select count(*) from "{table}" where {where}', args).fetchone()
    return int(row[0])


def secrets_of(sandbox: Sandbox) -> list[str]:
    """What must never be printed: the client secret, the refresh token, the live access tokens."""
    assert sandbox.state is not None
    tokens = list(sandbox.state.tokens)
    assert tokens, "no access token was issued yet"
    return [CLIENT_SECRET, REFRESH_TOKEN, *tokens]


def leaks(text: str, secrets: list[str]) -> list[str]:
    return [s for s in secrets if s in text]


@contextlib.contextmanager
def ctrl_c_when(condition: Callable[[], bool]) -> Iterator[threading.Event]:
    """Deliver SIGINT to this (the main) thread once ``condition()`` holds, as Ctrl-C would.

    The handler raises KeyboardInterrupt only while the block runs: a signal that comes late
    is dropped instead of interrupting pytest. The event tells whether it was sent."""
    sent = threading.Event()
    armed = True
    main = threading.main_thread()
    assert threading.current_thread() is main

    def handler(signum: int, frame: FrameType | None) -> None:
        if armed:
            raise KeyboardInterrupt

    def watch() -> None:
        deadline = time.monotonic() + 20
        while armed and time.monotonic() < deadline:
            if condition():
                sent.set()
                assert main.ident is not None
                signal.pthread_kill(main.ident, signal.SIGINT)
                return
            time.sleep(0.002)

    previous = signal.signal(signal.SIGINT, handler)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield sent
    finally:
        armed = False
        watcher.join()
        signal.signal(signal.SIGINT, previous)


def answers(base_url: str) -> bool:
    """Whether a server listens at ``base_url`` (``http://host:port``)."""
    host, port = base_url.removeprefix("http://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


def sigint_as_in_a_terminal() -> None:
    """``preexec_fn`` of a child the tests interrupt: Ctrl-C (SIGINT) at its default, as in
    a terminal's foreground. A suite run in the background (``cmd &`` in a script) ignores
    SIGINT, and a child inherits an ignored signal: it would read on through Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


#: Every DB-API type object coqlkit's type codes may equal (PEP 249's five, STRUCT and ARRAY).
TYPE_OBJECTS = (
    dbapi.STRING,
    dbapi.NUMBER,
    dbapi.DATETIME,
    dbapi.ROWID,
    dbapi.BINARY,
    dbapi.STRUCT,
    dbapi.ARRAY,
)
