"""The scan of COQL pages, against the sandbox over real HTTP with the real client: pages
in parallel up to the client's concurrency and never more, a bounded window ahead of the
consumer, delivery in order, prompt cancellation, keyset windows, the ramp of a scan of
unknown size, no id twice when records move during a read, and errors mid-scan."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from coqlkit.errors import DailyLimitReached, RateLimited, ZohoApiError
from coqlkit.execute import RunStats, execute, options_for, prepare
from coqlkit.language import parse
from coqlkit.plan.planner import Plan
from coqlkit.plan.steps import KeysetPages, LocalSort, OffsetPages
from coqlkit.sandbox.server import Sandbox
from tests.execute._support import (
    CATALOG,
    CRITERIA,
    Recorder,
    client_for,
    crm_log,
    ids_of,
    oracle_ids,
    org_db,
    plan_of,
    private_db,
    running,
    state_of,
)

QUERY = f"select Last_Name from Leads where {CRITERIA}"  # 340 records
MATCHING = 340


def offset_plan(**options: Any) -> Plan:
    """17 offset pages of 20 rows: the 340 records, in id order."""
    found = plan_of(QUERY, rows=MATCHING, page_size=20, offset_ceiling=400, strategy="coql", **options)
    assert isinstance(found.root, OffsetPages) and len(found.root.pages) == 17
    return found


def keyset_plan(text: str = QUERY, *, rows: int | None = MATCHING, ceiling: int = 200) -> Plan:
    """A plan reading keyset windows of ``ceiling`` rows, pages of 50 (under any local steps)."""
    found = plan_of(text, rows=rows, page_size=50, offset_ceiling=ceiling, strategy="coql")
    step = found.root
    while step.children:
        step = step.children[0]
    assert isinstance(step, KeysetPages), found.explain()
    return found


def limits(call_text: str) -> tuple[int, int]:
    """(limit, offset) of a COQL call."""
    found = re.search(r"limit (\d+) offset (\d+)$", call_text)
    assert found, call_text
    return int(found[1]), int(found[2])


def boundary(call_text: str) -> str | None:
    """The id a keyset call starts after (None: the first window)."""
    found = re.search(r"id > (\d+)", call_text)
    return found[1] if found else None


async def collect(plan: Plan, client: Any, **kwargs: Any) -> list[pa.RecordBatch]:
    return [b async for b in execute(plan, client, **kwargs)]


def run_plan(sandbox: Sandbox, plan: Plan, recorder: Recorder, **kwargs: Any) -> list[pa.RecordBatch]:
    """``plan``'s batches, read by a client that records its calls."""

    async def main() -> list[pa.RecordBatch]:
        async with client_for(sandbox, transport=recorder) as client:
            return await collect(plan, client, **kwargs)

    return asyncio.run(main())


@pytest.fixture(scope="module")
def quick() -> Iterator[Sandbox]:
    """A sandbox with no latency, for the tests that only read (and look at what was sent)."""
    with running() as sandbox:
        yield sandbox


LATENCY = 0.8  # seconds a call takes in the cancellation tests: cancelled calls end long before
PROMPT = 0.4


@pytest.fixture(scope="module")
def slow() -> Iterator[Sandbox]:
    with running(latency_ms=LATENCY * 1000) as sandbox:
        yield sandbox


# ---- concurrency and the window ahead ----------------------------------------------------------


@pytest.mark.parametrize(("concurrency", "ahead", "most"), [(4, 8, 4), (10, 3, 3)])
def test_pages_go_out_in_parallel_up_to_the_limit_never_more(concurrency: int, ahead: int, most: int) -> None:
    """As many calls at once as the client allows (or the window ahead, if smaller)."""
    plan = offset_plan()
    with running(latency_ms=40, concurrency=10) as sandbox:

        async def main() -> tuple[list[pa.RecordBatch], int]:
            async with client_for(sandbox, concurrency=concurrency) as client:
                return await collect(plan, client, ahead=ahead), client.most_in_flight

        batches, client_most = asyncio.run(main())
        assert state_of(sandbox).most_in_flight == most
        assert client_most == most
        assert [e["status"] for e in crm_log(sandbox)] == [200] * 17  # no 429: never over the limit
    assert ids_of(batches) == oracle_ids(org_db())


def test_batches_arrive_in_order_though_pages_do_not() -> None:
    plan = offset_plan()
    recorder = Recorder()
    with running(latency_ms=20, jitter_ms=19) as sandbox:

        async def main() -> list[pa.RecordBatch]:
            async with client_for(sandbox, transport=recorder) as client:
                return await collect(plan, client, ahead=17)

        batches = asyncio.run(main())
    answered = sorted(recorder.coql(), key=lambda c: c.done or 0)
    offsets = [limits(c.coql)[1] for c in answered]
    assert offsets != sorted(offsets)  # the jitter did reorder the answers...
    assert ids_of(batches) == oracle_ids(org_db())  # ...but not the rows
    assert [b.num_rows for b in batches] == [20] * 17


def test_a_slow_consumer_holds_at_most_ahead_pages_undelivered() -> None:
    plan = offset_plan()
    recorder = Recorder()
    ahead = 3
    with running(latency_ms=5) as sandbox:

        async def main() -> list[int]:
            undelivered = []
            async with client_for(sandbox, transport=recorder) as client:
                delivered = 0
                async for _ in execute(plan, client, ahead=ahead):
                    delivered += 1
                    undelivered.append(len(recorder.coql()) - delivered)
                    await asyncio.sleep(0.02)  # a slow consumer
                    undelivered.append(len(recorder.coql()) - delivered)
            return undelivered

        undelivered = asyncio.run(main())
    assert max(undelivered) == ahead  # the window fills while the consumer dawdles...
    assert len(recorder.coql()) == 17  # ...and never asks for more than it may


def test_the_first_batch_comes_before_the_last_page_is_fetched() -> None:
    plan = offset_plan()
    recorder = Recorder()
    with running(latency_ms=30) as sandbox:

        async def main() -> tuple[float, int]:
            async with client_for(sandbox, concurrency=2, transport=recorder) as client:
                first_at, answered = 0.0, 0
                async for _ in execute(plan, client):
                    if not first_at:
                        first_at = time.perf_counter()
                        answered = sum(1 for c in recorder.coql() if c.done is not None)
                return first_at, answered

        first_at, answered = asyncio.run(main())
    assert answered <= 4  # two at a time: the first round, perhaps the second
    assert max(c.done or 0 for c in recorder.coql()) > first_at


# ---- stopping early ----------------------------------------------------------------------------


def _stopped_promptly(recorder: Recorder, started: float, stopped: float) -> None:
    assert recorder.in_flight == 0, "a call is still in flight after the read was stopped"
    assert stopped - started < PROMPT, f"stopping took {stopped - started:.2f} s"
    cancelled = [c for c in recorder.coql() if c.status is None]
    assert cancelled, "nothing was in flight: the test proves nothing"
    assert all(c.done is not None and c.done - started < PROMPT for c in cancelled)


async def _no_more_calls(recorder: Recorder) -> None:
    sent = len(recorder.calls)
    await asyncio.sleep(0.2)
    assert len(recorder.calls) == sent, "calls were sent after the read was stopped"


def test_aclose_cancels_the_calls_in_flight(slow: Sandbox) -> None:
    plan = offset_plan()
    recorder = Recorder()

    async def main() -> None:
        async with client_for(slow, concurrency=4, transport=recorder) as client:
            batches = execute(plan, client, ahead=8)
            await anext(batches)
            assert recorder.in_flight > 0  # the next pages went out as the first came in
            started = time.perf_counter()
            await batches.aclose()
            _stopped_promptly(recorder, started, time.perf_counter())
            await _no_more_calls(recorder)

    asyncio.run(main())


def test_breaking_out_of_aclosing_cancels_the_calls_in_flight(slow: Sandbox) -> None:
    plan = keyset_plan()  # two windows: the second opens while the first is read
    recorder = Recorder()

    async def main() -> None:
        async with client_for(slow, concurrency=3, transport=recorder) as client:
            async with contextlib.aclosing(execute(plan, client, ahead=8)) as batches:
                async for _ in batches:
                    assert recorder.in_flight > 0
                    started = time.perf_counter()
                    break
            _stopped_promptly(recorder, started, time.perf_counter())
            await _no_more_calls(recorder)

    asyncio.run(main())


def test_cancelling_the_consumer_cancels_the_calls_in_flight(slow: Sandbox) -> None:
    """A local sort holds every row: the task waits inside it when it is cancelled."""
    plan = keyset_plan(f"{QUERY} order by Last_Name", rows=MATCHING)
    assert isinstance(plan.root, LocalSort)
    recorder = Recorder()

    async def main() -> None:
        async with client_for(slow, concurrency=4, transport=recorder) as client:
            task = asyncio.ensure_future(collect(plan, client))
            deadline = time.perf_counter() + 5 * LATENCY
            while recorder.in_flight < 4 and time.perf_counter() < deadline:
                await asyncio.sleep(0.01)
            started = time.perf_counter()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            _stopped_promptly(recorder, started, time.perf_counter())
            await _no_more_calls(recorder)

    asyncio.run(main())


def _quiet_log(sandbox: Sandbox) -> int:
    """The length of the sandbox's log once the calls cancelled by the tests before are in
    it (each logged when its answer would have left)."""
    length, still = len(crm_log(sandbox)), time.monotonic()
    while time.monotonic() - still < LATENCY + 0.2:
        time.sleep(0.05)
        if len(crm_log(sandbox)) != length:
            length, still = len(crm_log(sandbox)), time.monotonic()
    return length


def _logged_since(sandbox: Sandbox, start: int, calls: int) -> list[dict[str, Any]]:
    """The CRM calls logged since ``start`` once ``calls`` are in: a call cancelled in flight
    is logged when its answer would have left (the sandbox's latency after it came in)."""
    deadline = time.monotonic() + 3 * LATENCY
    while len(crm_log(sandbox)[start:]) < calls and time.monotonic() < deadline:
        time.sleep(0.02)
    return crm_log(sandbox)[start:]


@pytest.mark.parametrize("stop", ["aclose", "cancel"])
def test_calls_in_flight_when_the_read_stops_are_counted_in_the_step(slow: Sandbox, stop: str) -> None:
    """EXPLAIN ANALYZE's figures: a page cancelled in flight was sent, and Zoho charged it."""
    plan = offset_plan()
    stats = RunStats()
    recorder = Recorder()
    start = _quiet_log(slow)

    async def main() -> int:
        async with client_for(slow, concurrency=4, transport=recorder) as client:
            before = client.credits_used
            batches = execute(plan, client, ahead=8, stats=stats)
            if stop == "aclose":
                await anext(batches)
                await asyncio.sleep(LATENCY / 4)  # the pages sent as the first came back: at the sandbox
                assert recorder.in_flight > 0
                await batches.aclose()
            else:
                task = asyncio.ensure_future(collect_into(batches))
                while recorder.in_flight < 4:
                    await asyncio.sleep(0.01)
                await asyncio.sleep(LATENCY / 4)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            assert recorder.in_flight == 0
            return client.credits_used - before

    spent = asyncio.run(main())
    actual = stats.actual(plan.root)
    logged = _logged_since(slow, start, actual.calls)
    cancelled = [c for c in recorder.coql() if c.status is None]
    assert cancelled and actual.calls < len(plan.root.pages)  # stopped with calls in flight
    assert (actual.calls, actual.credits) == (stats.calls, stats.credits) == (len(recorder.coql()), spent)
    assert (actual.calls, actual.credits) == (len(logged), sum(e["credits"] for e in logged))


async def collect_into(batches: Any) -> None:
    async for _ in batches:
        pass


# ---- keyset windows ----------------------------------------------------------------------------


def test_keyset_windows_open_with_the_last_id_of_the_window_before(quick: Sandbox) -> None:
    plan = keyset_plan()  # windows of 200 rows: 4 pages, then 3 (the last of 40 rows)
    recorder = Recorder()
    expected = oracle_ids(org_db())
    batches = run_plan(quick, plan, recorder)
    calls = recorder.coql()
    assert ids_of(batches) == expected
    assert limits(calls[0].coql) == (50, 150)  # the first window's last page goes first
    first = [c for c in calls if boundary(c.coql) is None]
    second = [c for c in calls if boundary(c.coql) is not None]
    assert sorted(limits(c.coql) for c in first) == [(50, 0), (50, 50), (50, 100), (50, 150)]
    assert sorted(limits(c.coql) for c in second) == [(40, 100), (50, 0), (50, 50)]
    assert {boundary(c.coql) for c in second} == {expected[199]}
    assert all("order by id asc" in c.coql for c in calls)
    opener_answered = calls[0].done
    assert opener_answered is not None and min(c.sent for c in second) >= opener_answered


@pytest.mark.parametrize(
    ("limit", "offset", "ceiling", "calls"),
    [
        # Two windows of 100 skipped (one row each, for its id), then rows 250-309.
        (60, 250, 100, [(1, 99, None), (1, 99, 99), (50, 50, 199), (10, 0, 299)]),
        # The row wanted is a window's last: it is delivered, not taken for a skipped window.
        (2, 199, 200, [(1, 199, None), (1, 0, 199)]),
        (1, 299, 100, [(1, 99, None), (1, 99, 99), (1, 99, 199)]),
    ],
)
def test_windows_before_the_offset_are_skipped(
    quick: Sandbox, limit: int, offset: int, ceiling: int, calls: list[tuple[int, int, int | None]]
) -> None:
    plan = keyset_plan(f"{QUERY} limit {limit} offset {offset}", ceiling=ceiling)
    recorder = Recorder()
    expected = oracle_ids(org_db())
    batches = run_plan(quick, plan, recorder)
    assert ids_of(batches) == expected[offset : offset + limit]
    sent = [(*limits(c.coql), boundary(c.coql)) for c in recorder.coql()]
    assert sorted(sent, key=str) == sorted(
        [(n, o, None if after is None else expected[after]) for n, o, after in calls], key=str
    )


def test_an_offset_past_the_records_asks_no_further_than_the_first_short_window(quick: Sandbox) -> None:
    """The count was stale: 1,000 records planned, 340 there. The second window is short."""
    plan = keyset_plan(f"{QUERY} limit 10 offset 600", rows=1000)
    recorder = Recorder()
    batches = run_plan(quick, plan, recorder)
    assert sum(b.num_rows for b in batches) == 0
    assert [limits(c.coql) for c in recorder.coql()] == [(1, 199), (1, 199)]


def test_a_window_cut_short_by_deletions_ends_the_scan(tmp_path: Path) -> None:
    """Planned for 340 records; 200 of them go before the read: the first window's last
    page comes back empty, and there is no next window to open."""
    db = private_db(tmp_path)
    plan = keyset_plan()
    recorder = Recorder()
    gone = oracle_ids(db)[:200]
    with running(db) as sandbox:
        store = state_of(sandbox).store
        with store.conn as conn:
            conn.executemany('DELETE FROM "Leads" WHERE id = ?', [(int(i),) for i in gone])

        async def main() -> list[pa.RecordBatch]:
            async with client_for(sandbox, transport=recorder) as client:
                return await collect(plan, client)

        batches = asyncio.run(main())
    assert ids_of(batches) == oracle_ids(db)
    assert len(ids_of(batches)) == MATCHING - 200
    assert all(boundary(c.coql) is None for c in recorder.coql())  # the second window never opened


# ---- a scan of unknown size: until a page comes back short -------------------------------------


def _promise(short_at: int, ahead: int) -> int:
    """The most pages the ramp may ask for when page ``short_at`` (0-based) is the first short
    one: after a full page ``n`` it asks for pages up to ``n + min(ahead, n + 1)``, so after
    the last full one (``short_at - 1``) for ``min(ahead, short_at)`` past it."""
    return short_at + min(ahead, short_at)


def test_groups_are_read_until_a_page_comes_back_short(quick: Sandbox) -> None:
    """217 groups (216 companies and no company), pages of 10: page 21 is the short one."""
    text = "select Company, COUNT(id) from Leads group by Company"
    plan = plan_of(text, page_size=10, offset_ceiling=1000)
    step = plan.root
    assert isinstance(step, OffsetPages) and step.open_ended and len(step.pages) == 1
    recorder = Recorder()
    stats = RunStats()
    ahead = 4
    before = len(crm_log(quick))
    batches = run_plan(quick, plan, recorder, ahead=ahead, stats=stats)
    logged = crm_log(quick)[before:]
    table = pa.Table.from_batches(batches)
    with contextlib.closing(sqlite3.connect(org_db())) as conn:
        groups = conn.execute(
            'SELECT Company, COUNT(id) FROM "Leads" GROUP BY Company ORDER BY Company'
        ).fetchall()
    assert list(zip(table.column(0).to_pylist(), table.column(1).to_pylist(), strict=True)) == groups
    assert len(groups) == 217
    sent = recorder.coql()
    offsets = sorted(limits(c.coql)[1] for c in sent)
    assert offsets == list(range(0, 10 * len(sent), 10))  # page after page, none skipped
    assert 22 <= len(sent) <= _promise(21, ahead)
    assert sum(e["credits"] for e in logged) <= _promise(21, ahead)  # a credit a page of 10
    assert 22 <= stats.credits <= _promise(21, ahead)


def test_records_without_a_count_are_read_in_keyset_windows_until_short(quick: Sandbox) -> None:
    """``prepare(probe=False)``: no COUNT, so windows of 200 in id order, pages of 50, on
    until one comes back short."""
    recorder = Recorder()
    ahead = 3
    expected = oracle_ids(org_db())

    async def main() -> tuple[Plan, list[pa.RecordBatch]]:
        async with client_for(quick, transport=recorder) as client:
            options = options_for(client, page_size=50, offset_ceiling=200, strategy="coql", latency_ms=0)
            plan = await prepare(parse(QUERY), CATALOG, client, options, probe=False)
            return plan, await collect(plan, client, ahead=ahead)

    plan, batches = asyncio.run(main())
    assert isinstance(plan.root, KeysetPages) and plan.root.open_ended and plan.probe is None
    assert ids_of(batches) == expected
    sent = recorder.coql()
    assert not any("COUNT(" in c.coql for c in sent)
    assert 7 <= len(sent) <= _promise(6, ahead)  # 200 + 140 rows: the 7th page (40) is short
    assert {boundary(c.coql) for c in sent} == {None, expected[199]}


@pytest.mark.parametrize(("limit", "groups"), [(100, 100), (300, 217)])
def test_groups_under_a_limit_stop_at_the_first_short_page(quick: Sandbox, limit: int, groups: int) -> None:
    """A LIMIT of groups beyond a page: its pages are planned, but the groups may end sooner."""
    plan = plan_of(f"select Company, COUNT(id) from Leads group by Company limit {limit}", page_size=10)
    step = plan.root
    assert isinstance(step, OffsetPages) and step.until_short and len(step.pages) == limit // 10
    recorder = Recorder()
    table = pa.Table.from_batches(run_plan(quick, plan, recorder, ahead=4))
    companies = table.column("Company").to_pylist()
    assert len(companies) == groups == len(set(companies))
    assert len(recorder.coql()) <= min(limit // 10, 22 + 4)  # the short page (22nd), and the window


# ---- records that change during a read ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["offset", "keyset"])
def test_an_id_is_never_delivered_twice_when_rows_shift(kind: str, tmp_path: Path) -> None:
    """Five records with lower ids arrive after the first page: every later page shifts by
    five rows, so each would repeat the last five of the page before."""
    db = private_db(tmp_path)
    if kind == "offset":
        plan = offset_plan()
    else:
        plan = plan_of(QUERY, rows=MATCHING, page_size=20, offset_ceiling=100, strategy="coql")
        assert isinstance(plan.root, KeysetPages)
    before = oracle_ids(db)
    low = int(before[0]) - 100
    with running(db, latency_ms=10) as sandbox:
        store = state_of(sandbox).store

        async def main() -> list[pa.RecordBatch]:
            async with client_for(sandbox, concurrency=1, transport=Recorder()) as client:
                batches = execute(plan, client, ahead=2)
                out = [await anext(batches)]
                store.insert(
                    "Leads",
                    ["id", "Last_Name", "Annual_Revenue"],
                    [(low + i, f"Newcomer {i}", 1000.0) for i in range(5)],
                )
                out += [b async for b in batches]
                return out

        ids = ids_of(asyncio.run(main()))
    assert len(ids) == len(set(ids))
    assert set(ids) <= set(before)
    assert len(ids) == MATCHING - 5  # five repeats dropped; the last five shifted out of reach


# ---- errors mid-scan ---------------------------------------------------------------------------


def test_a_query_the_server_rejects_fails_the_scan_and_nothing_more_is_sent() -> None:
    plan = plan_of(
        "select Last_Name from Leads where Last_Name > 5", rows=MATCHING, page_size=20, strategy="coql"
    )
    recorder = Recorder()
    with running(latency_ms=30) as sandbox:

        async def main() -> None:
            async with client_for(sandbox, concurrency=2, transport=recorder) as client:
                with pytest.raises(ZohoApiError) as caught:
                    await collect(plan, client, ahead=10)
                assert caught.value.code == "INVALID_QUERY"
                assert recorder.in_flight == 0
                await _no_more_calls(recorder)

        asyncio.run(main())
    assert len(recorder.coql()) <= 4  # two failed; at most two more went out and were cancelled


def test_a_call_refused_mid_scan_cancels_the_pages_in_flight() -> None:
    """The org's credits run out after three pages: the fourth is refused (not retried)."""
    plan = offset_plan()
    recorder = Recorder()
    with running(latency_ms=150, jitter_ms=100, daily_credits=3) as sandbox:

        async def main() -> None:
            async with client_for(sandbox, concurrency=3, transport=recorder) as client:
                with pytest.raises(RateLimited) as caught:
                    await collect(plan, client, ahead=8)
                failed_at = time.perf_counter()
                # Refused before it was sent (Zoho's figure came first), or by Zoho: the
                # 429 TOO_MANY_REQUESTS it sends for the day's credits. Either way, the day's.
                assert isinstance(caught.value, DailyLimitReached)
                assert recorder.in_flight == 0
                late = [c for c in recorder.coql() if c.done is not None and c.done > failed_at]
                assert not late
                await _no_more_calls(recorder)

        asyncio.run(main())
    assert len(recorder.coql()) < 17
