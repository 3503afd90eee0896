"""The executor as a whole, against the sandbox over real HTTP: EXPLAIN ANALYZE's figures
are the server's, the COUNT probe is made only when the plan needs it, a read that
disagrees with the probe says so, and faults the client retries leave the rows whole."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from coqlkit.errors import ConsistencyWarning, CreditBudgetExceeded
from coqlkit.execute import RunStats, execute, explain_analyze, options_for, prepare
from coqlkit.language import parse
from coqlkit.plan.planner import Plan, plan
from coqlkit.plan.steps import InUnion, KeysetPages, LocalAggregate, LocalSlice, LocalSort, Step
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import AsyncZohoClient, FileTokenStore, load_settings
from coqlkit.transport.client import CreditBudget
from tests.execute._support import (
    CATALOG,
    CRITERIA,
    client_for,
    crm_log,
    ids_of,
    oracle_ids,
    org_db,
    private_db,
    running,
    state_of,
)

QUERY = f"select Last_Name from Leads where {CRITERIA}"  # 340 records
SMALL = {"page_size": 50, "offset_ceiling": 200, "strategy": "coql", "latency_ms": 0}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with running() as running_sandbox:
        yield running_sandbox


def analyze(
    sandbox: Sandbox, text: str, **options: Any
) -> tuple[Plan, str, pa.Table, RunStats, list[dict[str, Any]]]:
    """Prepare (with the COUNT probe when needed) and EXPLAIN ANALYZE ``text``; the CRM calls
    the sandbox logged meanwhile."""

    async def main() -> tuple[Plan, str, pa.Table, RunStats]:
        async with client_for(sandbox) as client:
            plan = await prepare(parse(text), CATALOG, client, options_for(client, **options))
            explained, table, stats = await explain_analyze(plan, client)
            return plan, explained, table, stats

    before = len(crm_log(sandbox))
    plan, explained, table, stats = asyncio.run(main())
    return plan, explained, table, stats, crm_log(sandbox)[before:]


def leaves(step: Step) -> list[Step]:
    return [step] if not step.children else [leaf for child in step.children for leaf in leaves(child)]


ACTUAL = re.compile(r"actual: ([\d,]+) calls?, ([\d,]+) credits?")


def test_explain_analyze_reports_the_calls_and_credits_the_server_saw(sandbox: Sandbox) -> None:
    text = f"{QUERY} order by Last_Name desc limit 100 offset 150"
    plan, explained, table, stats, logged = analyze(sandbox, text, **SMALL)
    assert isinstance(plan.root, LocalSlice) and isinstance(plan.root.child, LocalSort)
    (leaf,) = leaves(plan.root)
    assert isinstance(leaf, KeysetPages)
    assert plan.probe is not None
    pages = logged[1:]  # after the COUNT probe
    actual = stats.actuals[id(leaf)]
    assert actual.calls == len(pages) == 7
    assert actual.credits == sum(e["credits"] for e in pages)
    assert stats.calls == len(logged) and stats.credits == sum(e["credits"] for e in logged)
    # Every step's line shows the calls and credits of the calls under it.
    figures = [(int(a.replace(",", "")), int(b.replace(",", ""))) for a, b in ACTUAL.findall(explained)]
    assert figures == [(actual.calls, actual.credits)] * 3
    assert f"{stats.calls} calls" in explained.splitlines()[-1]
    with contextlib.closing(sqlite3.connect(org_db())) as conn:
        expected = conn.execute(
            f'SELECT id FROM "Leads" WHERE {CRITERIA} ORDER BY Last_Name DESC, id LIMIT 100 OFFSET 150'
        ).fetchall()
    assert table.column("id").to_pylist() == [str(r[0]) for r in expected]


def test_a_long_in_split_into_parts_and_grouped_here(sandbox: Sandbox) -> None:
    """1,300 ids cannot be rewritten into 25 criteria: queries of 24 INs of 50 ids (one
    criterion kept for keyset), united by id, then grouped by owner here (a lookup: grouped
    by its id, its name kept)."""
    every = [4150868000100000001 + i for i in range(1300)]  # 500 of them are Leads
    values = ", ".join(str(v) for v in every)
    text = f"select Owner, COUNT(id), SUM(Annual_Revenue) from Leads where id in ({values}) group by Owner"
    plan, _, table, stats, logged = analyze(sandbox, text, latency_ms=0)
    assert isinstance(plan.root, LocalAggregate) and isinstance(plan.root.child, InUnion)
    parts = plan.root.child.parts
    assert len(parts) == 2 and plan.probe is None  # 1,200 ids, then 100
    assert sum(stats.actuals[id(leaf)].calls for leaf in leaves(plan.root)) == len(logged) == stats.calls
    assert sum(stats.actuals[id(leaf)].credits for leaf in leaves(plan.root)) == stats.credits
    assert stats.credits == sum(e["credits"] for e in logged)
    with contextlib.closing(sqlite3.connect(org_db())) as conn:
        expected = conn.execute(
            'SELECT l.Owner, u.full_name, COUNT(l.id), SUM(l.Annual_Revenue) FROM "Leads" l '
            'JOIN "Users" u ON u.id = l.Owner GROUP BY l.Owner ORDER BY l.Owner'
        ).fetchall()
    got = table.to_pylist()
    assert [(r["Owner"]["id"], r["Owner"]["name"], r["COUNT(id)"]) for r in got] == [
        (str(owner), name, count) for owner, name, count, _ in expected
    ]
    assert [r["SUM(Annual_Revenue)"] for r in got] == pytest.approx([total for *_, total in expected])


def test_a_grouped_query_is_planned_without_a_count(sandbox: Sandbox) -> None:
    plan, _, table, _, logged = analyze(
        sandbox, "select Lead_Source, COUNT(id) from Leads group by Lead_Source"
    )
    assert plan.probe is None
    assert len(logged) == 1  # one page of 200 groups holds the 17
    assert table.num_rows == 17


def test_a_query_matching_nothing_yields_one_empty_batch(sandbox: Sandbox) -> None:
    async def main() -> list[pa.RecordBatch]:
        async with client_for(sandbox) as client:
            plan = await prepare(
                parse(f"{QUERY} and Annual_Revenue < 0"), CATALOG, client, options_for(client)
            )
            return [b async for b in execute(plan, client)]

    (batch,) = asyncio.run(main())
    assert batch.num_rows == 0
    assert batch.schema.names == ["id", "Last_Name"]


def test_records_deleted_after_the_count_make_a_consistency_warning(tmp_path: Path) -> None:
    db = private_db(tmp_path)
    gone = oracle_ids(db)[100:110]
    stats = RunStats()
    with running(db) as own:

        async def main() -> list[pa.RecordBatch]:
            async with client_for(own) as client:
                options = options_for(client, page_size=100, strategy="coql", latency_ms=0)
                plan = await prepare(parse(QUERY), CATALOG, client, options)
                assert plan.probe is not None and plan.probe.rows == 340
                with state_of(own).store.conn as conn:
                    conn.executemany('DELETE FROM "Leads" WHERE id = ?', [(int(i),) for i in gone])
                with pytest.warns(ConsistencyWarning, match="10 fewer rows than the COUNT probe"):
                    return [b async for b in execute(plan, client, stats=stats)]

        got = ids_of(asyncio.run(main()))
    assert got == oracle_ids(db)  # the 330 there are now, once each
    assert len(stats.notes) == 1 and "330 of 340" in stats.notes[0]


def test_groups_shifted_between_pages_are_kept_once_with_a_consistency_warning(tmp_path: Path) -> None:
    """Pages of groups have no id. A record renamed after the first page adds a group that
    sorts first: every group moves one place down, and the second page begins with the
    first page's last group. It is kept once, and the read says what happened."""
    db = private_db(tmp_path)
    text = f"select Last_Name, COUNT(id) from Leads where {CRITERIA} group by Last_Name"
    with sqlite3.connect(db) as oracle:
        groups = oracle.execute(
            f"select Last_Name, COUNT(id), MIN(id) from Leads where {CRITERIA} group by Last_Name"
        ).fetchall()
    names = [name for name, _, _ in groups]
    _, size, renamed = groups[-1]  # one record of the last group, which keeps others
    assert len(names) > 100 and size > 1
    stats = RunStats()
    with running(db) as own:

        async def main() -> list[pa.RecordBatch]:
            async with client_for(own, concurrency=1) as client:
                plan = await prepare(parse(text), CATALOG, client, options_for(client, **SMALL))
                real = client.coql_body
                calls = 0

                async def then_rename(query: str, **kwargs: Any) -> tuple[bytes, int]:
                    nonlocal calls
                    answer = await real(query, **kwargs)
                    calls += 1
                    if calls == 1:  # after the first page of groups
                        with state_of(own).store.conn as conn:
                            conn.execute('UPDATE "Leads" SET "Last_Name" = ? WHERE id = ?', ("Aaa", renamed))
                    return answer

                client.coql_body = then_rename  # type: ignore[method-assign]
                with pytest.warns(ConsistencyWarning, match=r"1 group\(s\) came back on two pages"):
                    return [b async for b in execute(plan, client, stats=stats)]

        table = pa.Table.from_batches(asyncio.run(main()))
    got = table.column("Last_Name").to_pylist()
    assert len(got) == len(set(got)) == len(names)  # no group twice ("Aaa" came after its page)
    assert set(got) == set(names)
    assert len(stats.notes) == 1 and "run it again" in stats.notes[0]


def test_faults_the_client_retries_leave_the_rows_whole() -> None:
    """A fifth of the calls fail (500s and dropped connections): the rows are all there, once."""
    with running(fail_rate=0.2) as faulty:

        async def main() -> tuple[list[pa.RecordBatch], RunStats]:
            async with client_for(faulty) as client:
                plan = await prepare(parse(QUERY), CATALOG, client, options_for(client, **SMALL))
                stats = RunStats()
                return [b async for b in execute(plan, client, stats=stats)], stats

        batches, stats = asyncio.run(main())
        logged = crm_log(faulty)
    assert ids_of(batches) == oracle_ids(org_db())
    assert len(logged) > stats.calls  # some calls were made twice
    assert stats.credits == sum(e["credits"] for e in logged)  # a failed call costs nothing


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_decodes_pages_with_its_own_threads(sandbox: Sandbox) -> None:
    """Pages are decoded on a pool of threads; a child forked after the parent used it
    inherits the pool but not its threads, and must not wait on them forever."""
    rows = analyze(sandbox, QUERY, **SMALL)[2].num_rows  # the parent's pool now has threads
    assert rows == 340
    pid = os.fork()
    if pid == 0:  # the child: the same read, then out without running the parent's cleanup
        code = 1
        try:
            code = 0 if analyze(sandbox, QUERY, **SMALL)[2].num_rows == rows else 2
        finally:
            os._exit(code)
    deadline = time.monotonic() + 30
    while (done := os.waitpid(pid, os.WNOHANG)) == (0, 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    if done == (0, 0):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the forked child hung decoding its pages")
    assert os.waitstatus_to_exitcode(done[1]) == 0


def test_a_session_budget_partly_spent_is_named_as_such(sandbox: Sandbox, tmp_path: Path) -> None:
    # A profile's budget of 20 with 5 spent (metadata, earlier queries): a refusal says the
    # budget has 15 of its 20 left, not "the budget is 15"; a query's own budget cannot
    # pass what the session has left; an explicit None plans without one.
    settings = load_settings(
        env=sandbox.environment(), store=FileTokenStore(tmp_path / "t.json"), path=tmp_path / "none.toml"
    )
    client = AsyncZohoClient(settings)
    client.budget = CreditBudget(20, spent=5)
    options = options_for(client)
    assert (options.max_credits, options.budget_total) == (15, 20)
    with pytest.raises(CreditBudgetExceeded, match="; the budget has 15 of its 20 credits left: narrow"):
        plan(parse("select Last_Name from Leads"), CATALOG, options, rows=25_000)
    assert options_for(client, max_credits=100).max_credits == 15
    assert options_for(client, max_credits=10).budget_text() == "the budget is 10"
    assert options_for(client, max_credits=None).max_credits is None
    asyncio.run(client.aclose())
