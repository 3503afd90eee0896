"""What a read stopped early spent, step by step (EXPLAIN ANALYZE's figures): a call
cancelled in flight was sent and is charged, so its step counts it, as the client's
``credits_used`` does and as the sandbox charged it (its request log is the ground truth).
The offset pages of a COQL scan are in ``test_scan.py``; here, bulk-read jobs and the
single call."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from coqlkit.execute import RunStats, execute
from coqlkit.plan.planner import Plan
from coqlkit.plan.steps import BulkRead, SingleCall
from coqlkit.sandbox.server import Sandbox
from tests.execute._support import CRITERIA, Recorder, client_for, crm_log, plan_of, running

LATENCY = 0.4  # seconds a call takes: long enough to be cancelled in flight


@pytest.fixture(scope="module")
def slow() -> Iterator[Sandbox]:
    with running(latency_ms=LATENCY * 1000, bulk_seconds=0.2, bulk_page_rows=150) as sandbox:
        yield sandbox


def cancelled_in_flight(sandbox: Sandbox, plan: Plan) -> tuple[RunStats, int, list[dict[str, Any]], Recorder]:
    """Run ``plan`` and cancel it once a call is in flight: its stats, what the client counted
    meanwhile, the calls the sandbox logged, and what the client sent."""
    stats = RunStats()
    recorder = Recorder()

    async def main() -> tuple[int, int]:
        async with client_for(sandbox, transport=recorder) as client:
            start, before = len(crm_log(sandbox)), client.credits_used

            async def read() -> None:
                async for _ in execute(plan, client, stats=stats):
                    pass

            task = asyncio.ensure_future(read())
            while recorder.in_flight == 0:
                await asyncio.sleep(0.005)
            await asyncio.sleep(LATENCY / 4)  # received by the sandbox, not answered yet
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert recorder.in_flight == 0
            return start, client.credits_used - before

    start, spent = asyncio.run(main())
    deadline = time.monotonic() + 5 * LATENCY  # a cancelled call is logged when it would have answered
    while len(crm_log(sandbox)[start:]) < stats.calls and time.monotonic() < deadline:
        time.sleep(0.02)
    return stats, spent, crm_log(sandbox)[start:], recorder


def test_a_bulk_job_created_in_flight_is_counted(slow: Sandbox) -> None:
    plan = plan_of(
        f"select Last_Name from Leads where {CRITERIA}",
        rows=340,
        strategy="bulk",
        bulk_page_rows=150,
        bulk_job_seconds=0.2,
        bulk_poll_seconds=0.05,
    )
    assert isinstance(plan.root, BulkRead)
    stats, spent, logged, recorder = cancelled_in_flight(slow, plan)
    assert [c.status for c in recorder.crm()] == [None]  # the job's creation, cancelled
    actual = stats.actual(plan.root)
    assert (actual.calls, actual.credits) == (stats.calls, stats.credits) == (1, 50) == (1, spent)
    assert [(e["path"], e["credits"]) for e in logged] == [("/crm/bulk/v8/read", 50)]


def test_a_single_call_cancelled_in_flight_is_counted(slow: Sandbox) -> None:
    plan = plan_of(f"select Last_Name from Leads where {CRITERIA} limit 500")
    assert isinstance(plan.root, SingleCall)
    stats, spent, logged, _ = cancelled_in_flight(slow, plan)
    actual = stats.actual(plan.root)
    assert (actual.calls, actual.credits) == (stats.calls, stats.credits) == (1, 2) == (1, spent)
    assert [e["credits"] for e in logged] == [2]
