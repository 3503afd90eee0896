"""A local port where nothing listens, for as long as a test needs one."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

__all__ = ["refused_port"]


@contextlib.contextmanager
def refused_port() -> Iterator[int]:
    """A port of 127.0.0.1 that refuses connections while the block runs: bound and not
    listening. A port bound and let go (``bind(0)``, then closed) may be taken meanwhile by
    a server another test starts in a parallel worker (a sandbox binds port 0 too): this one
    cannot be, until the block ends."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])
