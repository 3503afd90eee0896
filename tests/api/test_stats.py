"""What a query spent, when its read is stopped early: ``result.stats`` counts every call
that was sent, the calls in flight when the read stopped included (Zoho charges a call it
received, whether or not anyone waits for the answer), as the connection's
``credits_used`` does, and as the sandbox charged them (its request log is the ground
truth).

Each read here is 15 pages of 200 rows on the slow sandbox (200 ms a call, ten at once):
when the first batch is out, the pages past the first ten are in flight."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import pytest

import coqlkit
from coqlkit.sandbox.server import Sandbox
from tests.api._support import RECORDS, SLOW_MS, RequestLog, ctrl_c_when

TEXT = "select Last_Name, Email from Leads"
PAGE = 200
PAGES = RECORDS // PAGE  # 15: more than the ten the client sends at once


@pytest.fixture
def slow_conn(slow_sandbox: Sandbox) -> Iterator[coqlkit.Connection]:
    """A connection of its own (its ``credits_used`` is the test's), its metadata fetched."""
    with coqlkit.connect(sandbox=slow_sandbox) as connection:
        connection.check(TEXT)
        yield connection


def quiet(sandbox: Sandbox) -> RequestLog:
    """The sandbox's log from now on, once the calls cancelled by the tests before are in
    it (each is logged when its answer would have left)."""
    log = RequestLog(sandbox)
    length, still = len(log.requests), time.monotonic()
    while time.monotonic() - still < 2 * SLOW_MS / 1000:
        time.sleep(0.02)
        if len(log.requests) != length:
            length, still = len(log.requests), time.monotonic()
    log.mark()
    return log


def settled(log: RequestLog, calls: int) -> RequestLog:
    """The log once every call sent has been logged: a call cancelled in flight is logged
    when its answer would have left (the sandbox's latency after it came in)."""
    deadline = time.monotonic() + 10 * SLOW_MS / 1000
    while len(received(log)) < calls and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(2 * SLOW_MS / 1000)  # and nothing more comes
    return log


def received(log: RequestLog) -> list[dict[str, object]]:
    """The calls the sandbox received whole. A request the stop cut off while it was being
    written (its headers sent, not its body) is logged too, as 499 with no query: nothing
    ran and nothing was charged, and the client, which gave its credits back, does not count
    it (a busy machine made one now and then: 16 logged for 15 counted)."""
    cut = [e for e in log.calls() if e["status"] == 499]
    assert all(e["credits"] == 0 and e.get("coql") is None for e in cut), cut
    return [e for e in log.calls() if e["status"] != 499]


def check_spent(result: coqlkit.Result | coqlkit.AsyncResult, spent: int, log: RequestLog) -> None:
    """``stats`` holds what the connection counted and the sandbox charged: the probe and
    the pages sent, those in flight when the read stopped (before its last row) included."""
    stats = result.stats
    assert stats.rows < RECORDS and stats.calls > 2, stats
    assert stats.credits == spent, (stats, spent)
    settled(log, stats.calls)
    calls = received(log)
    assert (stats.calls, stats.credits) == (len(calls), log.credits()), (stats, log.calls())
    statuses = {entry["status"] for entry in calls}
    assert statuses == {200}, statuses  # every call received whole was answered (and charged)


def in_flight() -> None:
    """Wait a moment after the first batch: the pages sent as the first ones came back are
    then at the sandbox (a call cancelled while its request is still being handed to the
    connection never reaches it, though the client counts it; see the report)."""
    time.sleep(SLOW_MS / 4000)


def stopped_read(
    conn: coqlkit.Connection, slow_sandbox: Sandbox, stop: Callable[[coqlkit.Result], None]
) -> None:
    log = quiet(slow_sandbox)
    before = conn.credits_used
    result = conn.query(TEXT, page_size=PAGE)
    assert result.plan.estimate.calls == PAGES + 1  # the probe and the pages
    stop(result)
    check_spent(result, conn.credits_used - before, log)


def test_a_reader_dropped_after_one_batch_counts_the_calls_in_flight(
    slow_conn: coqlkit.Connection, slow_sandbox: Sandbox
) -> None:
    def stop(result: coqlkit.Result) -> None:
        reader = result.record_batches()
        assert reader.read_next_batch().num_rows == PAGE
        in_flight()
        reader.close()  # pyarrow's close() keeps the iterator: dropping the reader ends the read
        del reader
        assert result.stats.seconds > 0

    stopped_read(slow_conn, slow_sandbox, stop)


def test_a_row_iterator_closed_counts_the_calls_in_flight(
    slow_conn: coqlkit.Connection, slow_sandbox: Sandbox
) -> None:
    def stop(result: coqlkit.Result) -> None:
        rows = iter(result)
        for _ in range(3 * PAGE + 1):  # into the fourth page: its window (lazy="ramp") is open
            next(rows)
        in_flight()
        rows.close()  # type: ignore[attr-defined]

    stopped_read(slow_conn, slow_sandbox, stop)


def test_a_loop_broken_counts_the_calls_in_flight(
    slow_conn: coqlkit.Connection, slow_sandbox: Sandbox
) -> None:
    def stop(result: coqlkit.Result) -> None:
        for taken, row in enumerate(result, 1):
            assert row
            if taken > 3 * PAGE:  # into the fourth page: its window (lazy="ramp") is open
                in_flight()
                break

    stopped_read(slow_conn, slow_sandbox, stop)


def test_ctrl_c_counts_the_calls_in_flight(slow_conn: coqlkit.Connection, slow_sandbox: Sandbox) -> None:
    def stop(result: coqlkit.Result) -> None:
        first: list[float] = []

        def a_moment_after_the_first_rows() -> bool:
            if not first and result.stats.rows:
                first.append(time.monotonic())
            return bool(first) and time.monotonic() - first[0] > SLOW_MS / 4000

        with ctrl_c_when(a_moment_after_the_first_rows) as sent, pytest.raises(KeyboardInterrupt):
            result.to_arrow()
        assert sent.is_set()

    stopped_read(slow_conn, slow_sandbox, stop)


def test_a_cancelled_task_counts_the_calls_in_flight(slow_sandbox: Sandbox) -> None:

    async def main() -> None:
        async with await coqlkit.connect_async(sandbox=slow_sandbox) as conn:
            await conn.check(TEXT)
            log = await asyncio.to_thread(quiet, slow_sandbox)
            before = conn.credits_used
            result = await conn.query(TEXT, page_size=PAGE)
            task = asyncio.create_task(result.to_arrow())
            deadline = time.monotonic() + 20 * SLOW_MS / 1000
            while result.stats.rows == 0 and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            await asyncio.sleep(SLOW_MS / 4000)  # the pages sent as the first came back: at the sandbox
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            spent = conn.credits_used - before
            await asyncio.to_thread(check_spent, result, spent, log)

    asyncio.run(main())


def test_a_read_to_the_end_counts_what_the_sandbox_charged(
    slow_conn: coqlkit.Connection, slow_sandbox: Sandbox
) -> None:
    log = quiet(slow_sandbox)
    before = slow_conn.credits_used
    result = slow_conn.query(TEXT, page_size=PAGE)
    assert result.to_arrow().num_rows == RECORDS
    assert (result.stats.calls, result.stats.credits) == (PAGES + 1, PAGES + 1)
    assert result.stats.credits == slow_conn.credits_used - before == settled(log, PAGES + 1).credits()
