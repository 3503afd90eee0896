"""The scan's lazy start (``execute(..., lazy=True)``), against the sandbox over real HTTP with
the real client: the first page alone until the consumer comes back for a second batch,
then the whole window; a read to the end is the same read, call for call."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pyarrow as pa
import pytest

from coqlkit.execute import execute
from coqlkit.plan.planner import Plan
from coqlkit.sandbox.server import Sandbox
from tests.execute._support import Recorder, client_for, ids_of, oracle_ids, org_db, running
from tests.execute.test_scan import boundary, keyset_plan, limits, offset_plan

HOLD = 0.3  # seconds the consumer keeps its first batch: time enough for a window to go out


@pytest.fixture(scope="module")
def quick() -> Iterator[Sandbox]:
    with running(latency_ms=10) as sandbox:
        yield sandbox


def first_then_rest(
    sandbox: Sandbox, plan: Plan, *, lazy: bool
) -> tuple[list[str], list[str], list[pa.RecordBatch]]:
    """The COQL calls sent while the consumer holds the first batch, those sent by the time
    the second batch is in, and every batch."""

    async def main() -> tuple[list[str], list[str], list[pa.RecordBatch]]:
        recorder = Recorder()
        async with client_for(sandbox, concurrency=4, transport=recorder) as client:
            batches = execute(plan, client, ahead=8, lazy=lazy)
            got = [await anext(batches)]
            await asyncio.sleep(HOLD)  # a consumer that looks at its first rows
            held = [c.coql for c in recorder.coql()]
            got.append(await anext(batches))
            second = [c.coql for c in recorder.coql()]
            got += [b async for b in batches]
        return held, second, got

    return asyncio.run(main())


def test_a_lazy_scan_asks_for_the_first_page_alone(quick: Sandbox) -> None:
    held, second, batches = first_then_rest(quick, offset_plan(), lazy=True)  # 17 pages of 20 rows
    assert [limits(c) for c in held] == [(20, 0)]  # nothing more while the consumer holds it
    assert len(second) > 2  # it came back: the window opened (not one page at a time)
    assert ids_of(batches) == oracle_ids(org_db())


def test_without_lazy_the_window_goes_out_at_once(quick: Sandbox) -> None:
    """The contrast (and what fetchall wants): the first batch leaves with a window behind it."""
    held, _, batches = first_then_rest(quick, offset_plan(), lazy=False)
    assert len(held) >= 8
    assert ids_of(batches) == oracle_ids(org_db())


def test_a_lazy_read_to_the_end_sends_the_same_calls(quick: Sandbox) -> None:
    plan = offset_plan()

    async def calls(lazy: bool) -> tuple[list[tuple[int, int]], list[str]]:
        recorder = Recorder()
        async with client_for(quick, concurrency=4, transport=recorder) as client:
            batches = [b async for b in execute(plan, client, lazy=lazy)]
        return sorted(limits(c.coql) for c in recorder.coql()), ids_of(batches)

    lazy_calls, lazy_ids = asyncio.run(calls(True))
    eager_calls, eager_ids = asyncio.run(calls(False))
    assert lazy_calls == eager_calls and len(lazy_calls) == 17
    assert lazy_ids == eager_ids == oracle_ids(org_db())


def test_a_lazy_keyset_scan_leaves_the_windows_last_page_for_later(quick: Sandbox) -> None:
    """Eagerly, a keyset window's last page goes first (its last id opens the next window);
    lazily, the first page alone, and the rest in order once the window opens."""
    plan = keyset_plan()  # windows of 200 rows: 4 pages, then 3
    held, second, batches = first_then_rest(quick, plan, lazy=True)
    assert [(limits(c), boundary(c)) for c in held] == [((50, 0), None)]
    assert (50, 150) in [limits(c) for c in second]
    assert ids_of(batches) == oracle_ids(org_db())


def test_a_lazy_scan_past_skipped_windows_asks_for_their_last_rows_and_the_first_page(
    quick: Sandbox,
) -> None:
    """The windows before the offset are skipped (one row each, for the id that opens the
    next); lazily, those and the first page delivered, nothing more, until asked."""
    plan = keyset_plan(
        "select Last_Name from Leads where Annual_Revenue > 0 limit 120 offset 150", ceiling=100
    )
    expected = oracle_ids(org_db())
    held, _, batches = first_then_rest(quick, plan, lazy=True)
    assert [(limits(c), boundary(c)) for c in held] == [((1, 99), None), ((50, 50), expected[99])]
    assert ids_of(batches) == expected[150:270]
