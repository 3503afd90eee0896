"""Sandboxes for the front ends' tests (Python API, exports, DB-API), and what to check
them against.

- ``org_db``: one demo org of 3,000 Leads on disk, seeded once per session; every sandbox
  here serves it (a second sandbox on the same file starts in a fraction of a second).
- ``sandbox``: that org with no latency, for most tests; ``slow_sandbox``: the same org
  answering every CRM call after ``SLOW_MS``, for the tests that need a read to be caught
  midway (streaming, interrupted exports).
- ``conn``: ``coqlkit.connect(sandbox=...)`` on the quick sandbox, one per test module.
- ``log``: the sandbox's request log from the start of the test on (CRM calls only).
- ``oracle``: the org's SQLite file, read directly (what a query must return).
- ``ipython``: an IPython shell with JupySQL loaded (telemetry off, a private IPYTHONDIR);
  what a test adds to its namespace is removed afterwards, its connections closed.

Nothing coqlkit does is replaced: the client talks HTTP on 127.0.0.1 to a real server.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import coqlkit
from coqlkit import dbapi
from coqlkit.sandbox.server import Sandbox
from tests.api._support import RECORDS, SLOW_MS, RequestLog


@pytest.fixture(autouse=True)
def _private_cache(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Metadata caches of connections made without a sandbox stay out of the user's ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "home" / "cache"))


@pytest.fixture(scope="session")
def org_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("api-org") / "org.sqlite3"


@pytest.fixture(scope="session")
def sandbox(org_db: Path) -> Iterator[Sandbox]:
    # Shared by the session, whose connections each get an access token: far more than the
    # 10 in 10 minutes Zoho (and so the sandbox) allows a refresh token.
    with Sandbox(
        records=RECORDS, db=str(org_db), bulk_seconds=0.1, bulk_page_rows=1_000, token_limit=0
    ) as running:
        yield running


@pytest.fixture(scope="module")
def db(sandbox: Sandbox) -> Iterator[dbapi.Connection]:
    """A DB-API connection to the session's sandbox, one per test module."""
    with dbapi.connect(sandbox=sandbox) as connection:
        yield connection


@pytest.fixture(scope="session")
def slow_sandbox(org_db: Path, sandbox: Sandbox) -> Iterator[Sandbox]:
    # ``sandbox`` first: it seeds the file this one opens.
    with Sandbox(records=RECORDS, db=str(org_db), latency_ms=SLOW_MS, token_limit=0) as running:
        yield running


@pytest.fixture(scope="module")
def conn(sandbox: Sandbox) -> Iterator[coqlkit.Connection]:
    """One connection per test module (tests that close or reconfigure one open their own)."""
    with coqlkit.connect(sandbox=sandbox) as connection:
        yield connection


@pytest.fixture
def log(sandbox: Sandbox) -> RequestLog:
    return RequestLog(sandbox)


@pytest.fixture
def oracle(org_db: Path, sandbox: Sandbox) -> Iterator[sqlite3.Connection]:
    """The org's records as the sandbox holds them (datetimes as UTC text)."""
    db = sqlite3.connect(f"file:{org_db}?mode=ro", uri=True)
    try:
        yield db
    finally:
        db.close()


@pytest.fixture
def ipython(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    monkeypatch.setenv("PLOOMBER_STATS_ENABLED", "false")
    monkeypatch.setenv("PLOOMBER_VERSION_CHECK_DISABLED", "true")
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path_factory.mktemp("ipython")))
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    created = not InteractiveShell.initialized()
    shell = InteractiveShell.instance(config=config)  # the process's shell, if there is one already
    shell.run_line_magic("load_ext", "sql")
    shell.run_line_magic("config", "SqlMagic.displaylimit = 10")
    from sql.connection import ConnectionManager  # type: ignore[import-untyped]

    names = set(shell.user_ns)
    try:
        yield shell
    finally:
        ConnectionManager.close_all()
        shell.run_line_magic("config", "SqlMagic.autopandas = False")
        shell.run_line_magic("config", "SqlMagic.named_parameters = 'warn'")
        for name in set(shell.user_ns) - names:
            shell.user_ns.pop(name, None)
        if created:
            InteractiveShell.clear_instance()
