"""Orgs for the executor's end-to-end tests: sandboxes made once per session, the real client
over real HTTP, and an oracle reading each sandbox's SQLite file directly.

- ``leads_org``: 250,000 Leads (and the 110 Users who own them). The org is the demo's
  Leads and Users modules only, served from a metadata snapshot: seeding them takes a
  third of the time the whole demo org of that size takes (whose other modules grow with
  ``records``), and every big test reads Leads.
- ``wide_org``: ``tests/fixtures/metadata/wide``, a custom module ``Shipments`` of 80
  fields of every common type (and Users), 2,500 records.

Each run clears the sandbox's request log first, so a test can hold what the executor
reports (EXPLAIN ANALYZE) against what the server saw.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from coqlkit.catalog import Catalog, demo, write_snapshot
from coqlkit.execute import RunStats, execute, explain_analyze, options_for, prepare
from coqlkit.language import parse
from coqlkit.plan import Plan
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import AsyncZohoClient, FileTokenStore
from coqlkit.validate import ErrorLevel, validate
from tests.execute.oracle import Oracle
from tests.transport.conftest import settings_for

LEADS = 250_000
SHIPMENTS = 2_500
WIDE = Path(__file__).resolve().parents[1] / "fixtures" / "metadata" / "wide"
BULK_SECONDS = 0.15  # a sandbox bulk-read job's run time
BULK_PAGE_ROWS = 1_000  # so that a bulk read of a few thousand records has several pages
# The planner's view of the sandbox: no latency, jobs as quick as the sandbox's, polled often.
OPTIONS: dict[str, Any] = {"latency_ms": 0, "bulk_job_seconds": BULK_SECONDS, "bulk_poll_seconds": 0.05}


@dataclass
class Run:
    """One query, run to the end: its plan, rows, stats, EXPLAIN ANALYZE text, and the
    CRM calls the sandbox logged meanwhile."""

    plan: Plan
    table: pa.Table
    stats: RunStats
    explain: str
    log: list[dict[str, Any]]
    catalog: Catalog
    tz: str

    @property
    def schema(self) -> pa.Schema:
        return self.table.schema

    def steps(self) -> list[str]:
        """The names of the plan's steps, parents first (``"keyset pages"``, ``"local sort"``...)."""
        return [step.name for step in self.plan.steps()]


@dataclass
class Org:
    sandbox: Sandbox
    catalog: Catalog
    oracle: Oracle
    tokens: FileTokenStore

    def client(self) -> AsyncZohoClient:
        return AsyncZohoClient(settings_for(self.sandbox, self.tokens))

    def run(self, text: str, *, tz: str = "UTC", probe: bool = True, **overrides: Any) -> Run:
        """Validate, prepare (with the COUNT probe when needed, unless ``probe`` is False),
        and EXPLAIN ANALYZE ``text``; ``overrides`` are plan options."""
        select = parse(text)
        validate(select, self.catalog, level=ErrorLevel.RAISE, text=text)
        state = self.sandbox.state
        assert state is not None

        async def main() -> Run:
            async with self.client() as client:
                state.requests.clear()
                options = options_for(client, **{**OPTIONS, **overrides})
                plan = await prepare(select, self.catalog, client, options, probe=probe)
                explained, table, stats = await explain_analyze(plan, client, tz=tz)
                # The sandbox logs a call once its answer has gone out: the client may have
                # read it a moment before. Wait (briefly) for every call to be in the log.
                deadline = time.monotonic() + 3
                while True:
                    log = [e for e in state.requests if e["path"].startswith("/crm/")]
                    if len(log) >= stats.calls or time.monotonic() > deadline:
                        break
                    await asyncio.sleep(0.01)
                return Run(plan, table, stats, explained, log, self.catalog, tz)

        return asyncio.run(main())

    def batches(self, text: str, **overrides: Any) -> tuple[Plan, list[pa.RecordBatch]]:
        """The batches ``execute`` yields for ``text``, as they come."""
        select = parse(text)

        async def main() -> tuple[Plan, list[pa.RecordBatch]]:
            async with self.client() as client:
                options = options_for(client, **{**OPTIONS, **overrides})
                plan = await prepare(select, self.catalog, client, options)
                return plan, [b async for b in execute(plan, client)]

        return asyncio.run(main())


def leads_snapshot(directory: Path) -> None:
    """The demo org's Leads and Users modules, as a metadata snapshot."""
    modules = demo.modules_payload()
    keep = ("Leads", "Users")
    modules["modules"] = [m for m in modules["modules"] if m["api_name"] in keep]
    write_snapshot(directory, modules, {name: demo.fields_payload(name) for name in keep})


def _org(root: Path, metadata: Path, records: int) -> Iterator[Org]:
    db = root / "org.sqlite3"
    with Sandbox(
        records=records,
        db=str(db),
        metadata=str(metadata),
        latency_ms=0,
        bulk_seconds=BULK_SECONDS,
        bulk_page_rows=BULK_PAGE_ROWS,
        token_limit=0,  # shared by the session's clients: more tokens than Zoho's 10 in 10 minutes
        bulk_downloads=0,  # the session's reads: more downloads than Zoho's 10 a minute per org
    ) as sandbox:
        assert sandbox.state is not None
        catalog = Catalog.from_snapshot(metadata)
        oracle = Oracle(str(db), catalog)
        try:
            yield Org(sandbox, catalog, oracle, FileTokenStore(root / "tokens.json"))
        finally:
            oracle.close()


@pytest.fixture(scope="session")
def leads_org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Org]:
    root = tmp_path_factory.mktemp("e2e-leads")
    leads_snapshot(root / "metadata")
    yield from _org(root, root / "metadata", LEADS)


@pytest.fixture(scope="session")
def wide_org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Org]:
    yield from _org(tmp_path_factory.mktemp("e2e-wide"), WIDE, SHIPMENTS)


@pytest.fixture(scope="module")
def oracle() -> Iterator[Oracle]:
    """The shared small test org's SQLite file (``tests.execute._support.org_db``), read
    directly: what a query's rows must equal."""
    from tests.execute._support import CATALOG, org_db

    found = Oracle(org_db(), CATALOG)
    try:
        yield found
    finally:
        found.close()
