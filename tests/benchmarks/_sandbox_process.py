"""Servers in their own processes, for the benchmarks that time coqlkit against them.

In a thread of the benchmark's own process a server would share the client's GIL, which
a real Zoho does not: its CPU would count as the client's. So:

- :class:`SandboxProcess` starts ``python -m coqlkit sandbox serve`` on a free port, with
  its records in a cache directory (``$XDG_CACHE_HOME/coqlkit/benchmarks``, else
  ``~/.cache/...``), so a size is seeded once and reused until the generator or the
  metadata changes. It runs with ``--log``: every request it answers (its credits, its
  time on the server) is read back from its stderr.
- :class:`ReplayProcess` is a record-and-replay proxy in front of one: the first time it
  sees a request it forwards it and keeps the answer's bytes; after that it answers from
  memory after the same injected latency, spending next to no CPU. Zoho serves pages in
  parallel on many machines; a single-process sandbox cannot, so timing coqlkit against
  the replay shows how close the client itself comes to the physical limit. Run this
  file as a script to serve one: ``python _sandbox_process.py UPSTREAM PORT LATENCY_MS``.

Both report their CPU time (from ``/proc``).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from coqlkit.sandbox.server import environment
from coqlkit.transport import FileTokenStore, Settings, load_settings

__all__ = ["CACHE", "LogEntry", "ReplayProcess", "SandboxProcess"]

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "coqlkit" / "benchmarks"

# "<asctime> POST /crm/v8/coql 200 3 credits 301.2 ms" (the gate's log line; query redacted).
_LOG_LINE = re.compile(r"(GET|POST|PUT|PATCH|DELETE) (\S+?)(?:\?\S*)? (\S+) (\d+) credits ([\d.]+) ms$")


@dataclass(frozen=True)
class LogEntry:
    """One request the sandbox answered, as its log tells it."""

    method: str
    path: str
    status: str
    credits: int
    ms: float  # on the server: the injected latency, the handler, sending the answer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(port: int) -> bool:
    """True once the server answers HTTP (a path outside the API: no latency, a 404)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"GET /coqlkit-sandbox-ready HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n\r\n")
            return conn.recv(12).startswith(b"HTTP/1.1 404")
    except OSError:
        return False


class _ServerProcess:
    """A server in a child process on a free port, its stderr read line by line."""

    startup_timeout = 60.0

    def __init__(self) -> None:
        self.port = 0
        self.base_url = ""
        self.startup_seconds = 0.0
        self._process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        self._other: list[str] = []  # stderr lines that are not request log lines
        self._lock = threading.Lock()

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> Any:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        command = self.command()
        started = time.monotonic()
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, bufsize=1
        )
        self._reader = threading.Thread(target=self._read_stderr, daemon=True, name="server-stderr")
        self._reader.start()
        while not answers(self.port):
            if self._process.poll() is not None or time.monotonic() - started > self.startup_timeout:
                self.stop()
                raise RuntimeError(f"the server did not start: {' '.join(command)}\n{self.errors()}")
            time.sleep(0.05)
        self.startup_seconds = time.monotonic() - started
        return self

    def stop(self) -> None:
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._reader is not None:
            self._reader.join(timeout=5)  # it ends at the pipe's end, once the server is gone
        if process.stderr is not None:
            process.stderr.close()

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _read_stderr(self) -> None:
        assert self._process is not None and self._process.stderr is not None
        for line in self._process.stderr:
            self._line(line.rstrip())

    def _line(self, line: str) -> None:
        with self._lock:
            self._other.append(line)

    def errors(self) -> str:
        """What the server wrote to stderr besides a request log (start-up failures)."""
        with self._lock:
            return "\n".join(self._other[-40:])

    @property
    def pid(self) -> int:
        assert self._process is not None, "the server is not started"
        return self._process.pid

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def environment(self) -> dict[str, str]:
        """The ``ZOHO_*`` variables that point coqlkit (or a child process) at this server."""
        return environment(self.base_url)

    def settings(self, workdir: Path) -> Settings:
        """coqlkit's settings for this server, its token kept in ``workdir``."""
        return load_settings(
            env=self.environment(), store=FileTokenStore(workdir / "tokens.json"), path=workdir / "none.toml"
        )


class SandboxProcess(_ServerProcess):
    """``coqlkit sandbox serve`` in a child process, for as long as the ``with`` lasts.

    Starting it seeds ``records`` Leads into the cache the first time (a minute or two
    per 500,000 on two cores), hence the long ``startup_timeout``.
    """

    startup_timeout = 900.0

    def __init__(self, records: int, *, latency_ms: float = 300.0, concurrency: int = 10) -> None:
        super().__init__()
        self.records = records
        self.latency_ms = latency_ms
        self.concurrency = concurrency
        self.db = CACHE / f"leads-{records}.sqlite3"
        self._entries: list[LogEntry] = []

    def __repr__(self) -> str:
        return f"<SandboxProcess {self.records:,} leads {self.base_url or 'not started'}>"

    def command(self) -> list[str]:
        CACHE.mkdir(parents=True, exist_ok=True)
        return [
            sys.executable, "-m", "coqlkit", "sandbox", "serve", "--port", str(self.port),
            "--records", str(self.records), "--db", str(self.db), "--latency", str(self.latency_ms),
            "--concurrency", str(self.concurrency), "--log",
        ]  # fmt: skip

    def _line(self, line: str) -> None:
        found = _LOG_LINE.search(line)
        if not found:
            super()._line(line)
            return
        method, path, status, credits, ms = found.groups()
        with self._lock:
            self._entries.append(LogEntry(method, path, status, int(credits), float(ms)))

    def mark(self) -> int:
        """A position in the request log: :meth:`since` returns what was logged after it."""
        with self._lock:
            return len(self._entries)

    def since(self, mark: int, *, expect: int = 0, wait: float = 2.0) -> list[LogEntry]:
        """The requests logged after ``mark``; waits (briefly) for at least ``expect`` of them,
        since the log line is read from a pipe a moment after the client has its answer."""
        deadline = time.monotonic() + wait
        while True:
            with self._lock:
                entries = self._entries[mark:]
            if len(entries) >= expect or time.monotonic() > deadline:
                return entries
            time.sleep(0.01)


class ReplayProcess(_ServerProcess):
    """A record-and-replay proxy in front of ``upstream``, in a child process: it answers a
    request it has seen before from memory, after ``latency_ms`` (CRM calls only)."""

    def __init__(self, upstream: str, *, latency_ms: float = 300.0) -> None:
        super().__init__()
        self.upstream = upstream
        self.latency_ms = latency_ms

    def __repr__(self) -> str:
        return f"<ReplayProcess {self.base_url or 'not started'} of {self.upstream}>"

    def command(self) -> list[str]:
        return [sys.executable, __file__, self.upstream, str(self.port), str(self.latency_ms)]


def replay(upstream: str, port: int, latency_ms: float) -> None:
    """Serve the record-and-replay proxy (the child of :class:`ReplayProcess`)."""
    import asyncio

    import httpx
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    own = f"http://127.0.0.1:{port}".encode()
    skip = {"host", "content-length", "transfer-encoding", "connection", "content-encoding", "date", "server"}
    kept: dict[tuple[str, str, str, bytes], tuple[int, dict[str, str], bytes]] = {}
    client = httpx.AsyncClient(base_url=upstream, timeout=120)

    async def proxy(request: Request) -> Response:
        body = await request.body()
        key = (request.method, request.url.path, request.url.query, body)
        answer = kept.get(key)
        if answer is not None:
            if request.url.path.startswith("/crm/"):
                await asyncio.sleep(latency_ms / 1000)
        else:
            headers = {k: v for k, v in request.headers.items() if k.lower() not in skip}
            reply = await client.request(
                request.method, request.url.path, params=request.url.query, content=body, headers=headers
            )
            # The token's api_domain (and anything else naming the upstream) names the proxy.
            content = reply.content.replace(upstream.encode(), own)
            answer = (
                reply.status_code,
                {k: v for k, v in reply.headers.items() if k.lower() not in skip},
                content,
            )
            if reply.status_code < 400 or reply.status_code == 404:
                kept[key] = answer
        status, headers, content = answer
        return Response(content, status_code=status, headers=headers)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    app = Starlette(routes=[Route("/{path:path}", proxy, methods=methods)])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")


if __name__ == "__main__":
    replay(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))
