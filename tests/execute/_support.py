"""Helpers shared by the tests of the executor's mechanics (scan, bulk read, finishing, the
executor itself). A plain module, not a conftest: ``tests/execute/conftest.py`` holds the
big end-to-end orgs, which these tests do not need.

- :func:`org_db`: a small demo org on disk (500 Leads), seeded once per process; tests that
  change records take a private copy (:func:`private_db`).
- :func:`running`: a sandbox on that org, in a background thread, with its knobs (latency,
  jitter, faults, credits, bulk-read timing).
- :class:`Recorder`: the real HTTP transport with a note of every request (when it left,
  when its answer came, its COQL text): the sandbox's own log keeps no request bodies.
- :func:`client_for`: the real ``AsyncZohoClient`` for a sandbox, optionally recording.
- :func:`oracle_ids`: the ids a query must return, read from the org's SQLite file.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import shutil
import sqlite3
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from coqlkit.catalog import Catalog
from coqlkit.language import parse
from coqlkit.plan import PlanOptions
from coqlkit.plan.planner import Plan, plan
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import AsyncZohoClient, FileTokenStore, RetryPolicy, load_settings

CATALOG = Catalog.demo()
RECORDS = 500  # Leads in the test org (the other modules scale with it)
CRITERIA = "Annual_Revenue > 0"  # 340 of the 500 Leads
FAST = RetryPolicy(attempts=8, base=0.01, cap=0.2)

_dbs: dict[int, str] = {}
_root: list[Path] = []


def _workdir() -> Path:
    if not _root:
        path = Path(tempfile.mkdtemp(prefix="coqlkit-execute-tests-"))
        atexit.register(shutil.rmtree, path, True)
        _root.append(path)
    return _root[0]


def org_db(records: int = RECORDS) -> str:
    """A seeded org of ``records`` Leads on disk, made once per process (read it, never write)."""
    if records not in _dbs:
        path = _workdir() / f"org-{records}.sqlite3"
        with Sandbox(records=records, db=str(path)):
            pass
        _dbs[records] = str(path)
    return _dbs[records]


def private_db(directory: Path, records: int = RECORDS) -> str:
    """A copy of :func:`org_db` that a test may change."""
    target = directory / "org.sqlite3"
    shutil.copyfile(org_db(records), target)
    return str(target)


@contextlib.contextmanager
def running(db: str | None = None, **config: Any) -> Iterator[Sandbox]:
    """A sandbox on ``db`` (default: the shared org), with ``config`` (latency_ms, ...)."""
    config.setdefault("records", RECORDS)
    with Sandbox(db=db or org_db(config["records"]), **config) as sandbox:
        yield sandbox


def state_of(sandbox: Sandbox) -> Any:
    assert sandbox.state is not None
    return sandbox.state


def crm_log(sandbox: Sandbox) -> list[dict[str, Any]]:
    """The sandbox's log of CRM calls (OAuth left out), oldest first."""
    return [entry for entry in state_of(sandbox).requests if entry["path"].startswith("/crm/")]


# ---- the client, and what it sent -------------------------------------------------------------


@dataclass
class Call:
    """One request as it left the client, and its fate."""

    method: str
    path: str
    body: Any
    sent: float
    done: float | None = None
    status: int | None = None  # None: cancelled or failed before an answer

    @property
    def coql(self) -> str:
        return str(self.body["select_query"]) if isinstance(self.body, dict) else ""


class Recorder(httpx.AsyncBaseTransport):
    """httpx's own HTTP transport, noting every request on its way through."""

    def __init__(self, *, reply: Any = None) -> None:
        self.inner = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=50))
        self.calls: list[Call] = []
        self.in_flight = 0
        self.reply = reply  # optional hook: (call, response) -> response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body: Any = None
        if request.headers.get("content-type", "").startswith("application/json"):
            body = json.loads(request.content or b"null")
        call = Call(request.method, request.url.path, body, time.perf_counter())
        self.calls.append(call)
        self.in_flight += 1
        try:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            call.status = response.status_code
            if self.reply is not None:
                response = self.reply(call, response)
            return response
        finally:
            call.done = time.perf_counter()
            self.in_flight -= 1

    async def aclose(self) -> None:
        await self.inner.aclose()

    def crm(self) -> list[Call]:
        return [c for c in self.calls if c.path.startswith("/crm/")]

    def coql(self) -> list[Call]:
        return [c for c in self.calls if c.path == "/crm/v8/coql"]


@contextlib.asynccontextmanager
async def client_for(
    sandbox: Sandbox, *, concurrency: int = 10, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[AsyncZohoClient]:
    """The real client, configured from the variables the sandbox prints, with a live token."""
    store = FileTokenStore(_workdir() / f"tokens-{id(sandbox)}.json")
    settings = load_settings(env=sandbox.environment(), store=store, path=Path("/nonexistent/config.toml"))
    settings = replace(settings, concurrency=concurrency)
    async with AsyncZohoClient(settings, retry=FAST, transport=transport, seed=7) as client:
        await client.tokens.token()  # the token first: the calls under test are CRM calls only
        yield client


# ---- plans and expected rows -------------------------------------------------------------------


def plan_of(text: str, *, rows: int | None = None, **options: Any) -> Plan:
    """The plan of ``text`` for ``rows`` matching records (no probe is made or recorded)."""
    options.setdefault("latency_ms", 0)
    return plan(parse(text), CATALOG, PlanOptions(**options), rows=rows)


def oracle_ids(db: str, where: str = CRITERIA, module: str = "Leads") -> list[str]:
    """The ids of ``module`` matching ``where`` (SQLite text), in id order, as digit strings."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(f'SELECT id FROM "{module}" WHERE {where} ORDER BY id').fetchall()
    return [str(r[0]) for r in rows]


def ids_of(batches: Any) -> list[str]:
    """The ``id`` column of record batches, in order."""
    return [v for b in batches for v in b.column("id").to_pylist()]
