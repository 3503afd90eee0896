"""Running a sandbox: in a background thread (``Sandbox``) or in the foreground (``serve``)."""

from __future__ import annotations

import logging
import socket
import sys
import threading
import time
from dataclasses import replace
from types import TracebackType
from typing import Any, TextIO

import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from coqlkit.sandbox.app import build_app
from coqlkit.sandbox.config import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SandboxConfig
from coqlkit.sandbox.gate import DroppedConnection
from coqlkit.sandbox.state import SandboxState

__all__ = ["Sandbox", "environment", "serve"]


class _QuietDrops(logging.Filter):
    """Injected dropped connections are the point, not news: keep their tracebacks out of logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


#: What uvicorn's HTTP protocol says about the sandbox's connections (a request it could not
#: parse, an app that failed): warnings and errors, injected drops left out. coqlkit's own
#: logger, so that a sandbox started inside someone's service leaves its ``uvicorn.*``
#: loggers (handlers, levels, access log) exactly as they were.
server_log = logging.getLogger("coqlkit.sandbox.uvicorn")
server_log.setLevel(logging.WARNING)
server_log.addFilter(_QuietDrops())


class _SandboxHTTP(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """uvicorn's HTTP protocol, logging to :data:`server_log` and keeping no access log
    (the sandbox's own request log is ``coqlkit.sandbox``'s, see ``--log``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.logger = server_log
        self.access_log = False


class Sandbox:
    """A sandbox server on 127.0.0.1, in a background thread, for as long as the ``with`` lasts.

    >>> with Sandbox(records=200) as sandbox:             # doctest: +SKIP
    ...     print(sandbox.base_url)
    http://127.0.0.1:41237

    Options are those of :class:`~coqlkit.sandbox.config.SandboxConfig`; ``port`` defaults
    to 0 (a free port, read back once the server listens).
    """

    def __init__(self, config: SandboxConfig | None = None, **options: Any) -> None:
        options.setdefault("port", 0)
        self.config = replace(config, **options) if config is not None else SandboxConfig(**options)
        self.state: SandboxState | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    def __repr__(self) -> str:
        return f"<Sandbox {self.base_url or 'not started'}>"

    # The demo credentials (they open nothing but this sandbox).
    client_id = CLIENT_ID
    client_secret = CLIENT_SECRET
    refresh_token = REFRESH_TOKEN

    def start(self) -> Sandbox:
        state = SandboxState.open(self.config)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.config.host, self.config.port))
        host, port = sock.getsockname()[:2]
        self.base_url = state.base_url = local_url(host, port)
        server = uvicorn.Server(_uvicorn_config(state, self.config))
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="sandbox"
        )
        self._thread.start()
        self.state, self._server = state, server
        deadline = time.monotonic() + 30
        while not (server.started and _answers(host, port)):
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.state is not None:
            self.state.store.close()
        self._server = self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def environment(self) -> dict[str, str]:
        """The variables coqlkit's transport reads, pointing at this sandbox."""
        return environment(self.base_url)


def _answers(host: str, port: int) -> bool:
    """True once the server answers HTTP (a path outside the API: no latency, no faults, a 404)."""
    try:
        with socket.create_connection((host, port), timeout=1) as conn:
            conn.sendall(b"GET /coqlkit-sandbox-ready HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n\r\n")
            return conn.recv(12).startswith(b"HTTP/1.1 404")
    except OSError:
        return False


def environment(base_url: str) -> dict[str, str]:
    return {
        "ZOHO_BASE_URL": base_url,
        "ZOHO_CLIENT_ID": CLIENT_ID,
        "ZOHO_CLIENT_SECRET": CLIENT_SECRET,
        "ZOHO_REFRESH_TOKEN": REFRESH_TOKEN,
    }


def _uvicorn_config(state: SandboxState, config: SandboxConfig) -> uvicorn.Config:
    """uvicorn's settings for the sandbox. No ``log_config`` and no ``log_level``: uvicorn
    would run ``dictConfig`` over the process's ``uvicorn.*`` loggers (their handlers
    replaced, the access log silenced), which are the host application's when the sandbox
    runs inside one (``connect(sandbox=True)``, :class:`Sandbox` in a service's tests)."""
    return uvicorn.Config(
        build_app(state),
        http=_SandboxHTTP,
        ws="none",
        log_config=None,
        log_level=None,
        lifespan="off",
        timeout_graceful_shutdown=2,
    )


def local_url(host: str, port: int) -> str:
    """The URL this machine reaches a server at that listens on ``host``: ``0.0.0.0`` (every
    interface) is reached at 127.0.0.1, ``::`` at [::1] (coqlkit sends secrets over plain
    http only to this machine, and 0.0.0.0 is no address to send to).

    >>> local_url("0.0.0.0", 8765), local_url("::", 8765), local_url("127.0.0.1", 8765)
    ('http://127.0.0.1:8765', 'http://[::1]:8765', 'http://127.0.0.1:8765')
    """
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(config: SandboxConfig, out: TextIO = sys.stdout) -> None:
    """Run a sandbox in the foreground until interrupted, printing how to reach it."""
    if config.log_requests:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        logging.getLogger("coqlkit.sandbox").addHandler(handler)
        logging.getLogger("coqlkit.sandbox").setLevel(logging.INFO)
    print(
        f"# coqlkit sandbox: loading the org ({config.records} leads, seed {config.seed})...",
        file=out,
        flush=True,
    )
    state = SandboxState.open(config)
    state.base_url = local_url(config.host, config.port)
    where = (
        ""
        if state.base_url.endswith(f"//{config.host}:{config.port}")
        else f" (on {config.host}: every interface)"
    )
    print(
        f"# coqlkit sandbox listening on {state.base_url}{where}; paste these lines into your shell:",
        file=out,
    )
    for name, value in environment(state.base_url).items():
        print(f"export {name}={value}", file=out)
    out.flush()
    uvicorn_config = _uvicorn_config(state, config)
    uvicorn_config.host, uvicorn_config.port = config.host, config.port
    uvicorn.Server(uvicorn_config).run()
