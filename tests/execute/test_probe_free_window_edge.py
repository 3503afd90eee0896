"""A read without the COUNT probe (``probe=False``) that ends exactly at a keyset window's
edge: the ramp of speculative pages must not run on into the next window, whose pages past
its first all come back empty (fault review 5, #7: exactly 100,000 Leads took 71 calls and
211 credits, not 52 and 154). The windows here are 200 rows, pages of 50, so the same
arithmetic runs on the small test org, against the sandbox over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from coqlkit.execute import RunStats, execute, options_for, prepare
from coqlkit.language import parse
from coqlkit.plan.steps import KeysetPages
from coqlkit.sandbox.server import Sandbox
from tests.execute._support import CATALOG, Recorder, client_for, crm_log, ids_of, oracle_ids, org_db, running

WINDOW, PAGE = 200, 50


@pytest.fixture(scope="module")
def org() -> Iterator[Sandbox]:
    with running() as sandbox:
        yield sandbox


def read(sandbox: Sandbox, records: int) -> tuple[list[str], list[str], RunStats]:
    """The first ``records`` Leads by id, read with ``probe=False`` at the default window
    ahead (20 pages): the ids read, the COQL sent, and the stats."""
    upto = oracle_ids(org_db(), "1 = 1")[records - 1]
    recorder, stats = Recorder(), RunStats()

    async def main() -> list[str]:
        async with client_for(sandbox, transport=recorder) as client:
            options = options_for(
                client, page_size=PAGE, offset_ceiling=WINDOW, strategy="coql", latency_ms=0
            )
            query = parse(f"select Last_Name from Leads where id <= {upto}")
            plan = await prepare(query, CATALOG, client, options, probe=False)
            assert isinstance(plan.root, KeysetPages) and plan.root.open_ended
            return ids_of([b async for b in execute(plan, client, stats=stats)])

    state = sandbox.state
    assert state is not None
    state.requests.clear()
    got = asyncio.run(main())
    return got, [c.coql for c in recorder.coql()], stats


def test_a_read_that_ends_at_the_windows_edge_asks_the_next_window_once(org: Sandbox) -> None:
    got, sent, stats = read(org, WINDOW)
    assert got == oracle_ids(org_db(), "1 = 1")[:WINDOW]
    # The window's 4 pages, then the next window's first page (empty: nothing lies past).
    assert len(sent) == WINDOW // PAGE + 1, sent
    assert sum(" id > " in c for c in sent) == 1
    assert stats.calls == len(sent) and stats.credits == len(sent)  # 1 credit a page of 50
    assert sum(e["credits"] for e in crm_log(org)) == stats.credits


@pytest.mark.parametrize("records", [WINDOW + 1, 2 * WINDOW + 50, 500])
def test_rows_past_the_windows_edge_are_all_read(org: Sandbox, records: int) -> None:
    got, sent, stats = read(org, records)
    assert got == oracle_ids(org_db(), "1 = 1")[:records]
    windows = -(-records // WINDOW)
    # Each window's pages as far as its data goes, and at most one empty page of the next.
    assert len(sent) <= -(-records // PAGE) + 1 + windows
    assert sum(e["credits"] for e in crm_log(org)) == stats.credits
