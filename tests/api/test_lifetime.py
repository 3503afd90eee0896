"""A synchronous connection's lifetime: dropped without ``close()``, it is closed when
collected (thread, event loop, sockets, its sandbox); its results keep it alive while in
use; its ``aio`` twin refuses another event loop than its own, and the connection goes on."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import subprocess
import sys
import textwrap
import threading
import time
import warnings
import weakref
from collections.abc import Callable

import pyarrow as pa
import pytest

import coqlkit
from coqlkit.sandbox.server import Sandbox
from tests.api._support import RECORDS, answers

QUERY = "select Last_Name from Leads limit 3"


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def settles(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def baseline() -> tuple[int, int]:
    gc.collect()
    return threading.active_count(), open_fds()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts open files in /proc/self/fd")
def test_connections_dropped_unclosed_leave_no_thread_or_socket(sandbox: Sandbox) -> None:
    with coqlkit.connect(sandbox=sandbox) as warm:  # imports and caches made once, before counting
        warm.query(QUERY).to_arrow()
    _, fds = baseline()
    before = set(threading.enumerate())  # threads other tests left may end meanwhile: by identity

    def use() -> None:
        conn = coqlkit.connect(sandbox=sandbox)  # never closed, as people write it
        assert conn.query(QUERY).to_arrow().num_rows == 3
        assert set(threading.enumerate()) - before  # its loop's thread, at least

    with pytest.warns(ResourceWarning) as caught:  # noqa: PT031 - eight connections, then the collection
        for _ in range(8):
            use()
        gc.collect()
    unclosed = [str(w.message) for w in caught.list if issubclass(w.category, ResourceWarning)]
    assert len(unclosed) == 8, unclosed
    assert (
        unclosed[0] == f"unclosed <coqlkit.Connection {sandbox.base_url}>: close it, or open it with `with`"
    )
    assert settles(lambda: not set(threading.enumerate()) - before), threading.enumerate()
    assert settles(lambda: open_fds() <= fds), (open_fds(), fds)


def test_a_dropped_connection_stops_the_sandbox_it_started() -> None:
    conn = coqlkit.connect(sandbox={"records": RECORDS})
    assert conn.sandbox is not None
    url = conn.sandbox.base_url
    assert answers(url)
    with pytest.warns(ResourceWarning, match="unclosed <coqlkit.Connection"):
        del conn
    assert not answers(url)  # its server stopped with it


def test_a_result_keeps_its_connection_alive(sandbox: Sandbox) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ResourceWarning: the results hold their connections
        result = coqlkit.connect(sandbox=sandbox).query("select Last_Name from Leads", page_size=1000)
        gc.collect()
        assert result.to_arrow().num_rows == RECORDS
        assert result.connection is not None
        result.connection.close()

        streamed = coqlkit.connect(sandbox=sandbox).query("select Last_Name from Leads", page_size=1000)
        assert streamed.connection is not None
        owner = weakref.ref(streamed.connection)
        reader = streamed.record_batches()
        del streamed
        gc.collect()
        first = reader.read_next_batch()  # the reader alone holds the connection
        conn = owner()
        assert conn is not None and not conn.closed
        assert first.num_rows + reader.read_all().num_rows == RECORDS
        conn.close()


# ---- the event loop a connection belongs to -------------------------------------------------------


def test_aio_of_a_sync_connection_refuses_another_event_loop(sandbox: Sandbox) -> None:
    with coqlkit.connect(sandbox=sandbox) as conn:

        async def query_there() -> int:
            result = await conn.aio.query(QUERY)
            return (await result.to_arrow()).num_rows

        with pytest.raises(coqlkit.CoqlError, match=r"connect_async\(") as caught:
            asyncio.run(query_there())
        assert caught.value.code == "WRONG_EVENT_LOOP"
        assert "call the connection without await (conn.query(...))" in str(caught.value)
        # The synchronous connection is as it was.
        assert conn.query(QUERY).to_arrow().num_rows == 3

        # A result of the synchronous API, read from another loop: refused before its read,
        # so the result can still be read where it belongs.
        result = conn.query(QUERY)
        with pytest.raises(coqlkit.CoqlError) as caught:
            asyncio.run(result.aio.to_arrow())
        assert caught.value.code == "WRONG_EVENT_LOOP"
        assert result.to_arrow().num_rows == 3

        async def close_there() -> None:
            await conn.aio.close()

        with pytest.raises(coqlkit.CoqlError, match="connect_async"):
            asyncio.run(close_there())

        # The synchronous API inside a running loop (Jupyter) runs in its own: still fine.
        async def inside() -> int:
            return int(conn.query(QUERY).to_arrow().num_rows)

        assert asyncio.run(inside()) == 3
        assert not conn.closed


def test_an_async_connection_refuses_another_event_loop(sandbox: Sandbox) -> None:
    async def main() -> None:
        async with await coqlkit.connect_async(sandbox=sandbox) as conn:

            def in_another_loop() -> None:
                asyncio.run(conn.query(QUERY))

            with pytest.raises(coqlkit.CoqlError, match="opened in") as caught:
                await asyncio.to_thread(in_another_loop)
            assert caught.value.code == "WRONG_EVENT_LOOP"
            result = await conn.query(QUERY)
            assert (await result.to_arrow()).num_rows == 3

    asyncio.run(main())


def test_closing_a_connection_another_thread_reads_from_never_leaves_it_waiting(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """A reader in one thread, ``close()`` in another at any moment: the reader ends with
    its rows, or with CONNECTION_CLOSED, within moments, never waits forever (a job sent
    to the loop just as it stopped had no one left to answer it), and nothing is said on
    the way (asyncio's "Task was destroyed but it is pending!", a callback on a closed loop)."""
    caplog.set_level(logging.WARNING)
    with Sandbox(records=RECORDS, db=sandbox.config.db, latency_ms=20, token_limit=0) as slow:
        for attempt in range(12):
            conn = coqlkit.connect(sandbox=slow)
            ended: list[object] = []

            def read(conn: coqlkit.Connection = conn, ended: list[object] = ended) -> None:
                try:
                    for _ in range(50):
                        conn.query("select Last_Name from Leads limit 5").to_arrow()
                    ended.append("read")
                except coqlkit.CoqlError as exc:
                    ended.append(exc.code)

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            time.sleep(0.03 + 0.02 * attempt)  # close at a different moment of the reads each time
            conn.close()
            reader.join(timeout=10)
            assert not reader.is_alive(), f"attempt {attempt}: the reader still waits"
            assert ended and ended[0] in ("read", "CONNECTION_CLOSED"), ended
            gc.collect()  # a task left pending is reported when it is destroyed
    assert [r.getMessage() for r in caplog.records if r.name in ("asyncio", "concurrent.futures")] == []


def test_a_timeout_error_of_the_work_itself_is_raised_not_waited_on(sandbox: Sandbox) -> None:
    """Since Python 3.11 a job's own TimeoutError is the class a timed wait raises: it must
    reach the caller, not be taken for "still waiting" (which spun forever)."""

    async def times_out() -> None:
        raise TimeoutError(110, "Connection timed out")

    with coqlkit.connect(sandbox=sandbox) as conn:
        started = time.monotonic()
        with pytest.raises(TimeoutError, match="Connection timed out"):
            conn._loop.run(times_out())
        assert time.monotonic() - started < 5


def test_closing_a_cursors_connection_midway_through_a_fetch_is_quiet(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """A DB-API ``fetchall()`` of many pages, its connection closed by a timer at different
    moments: the fetch ends with the rows or an InterfaceError, and neither asyncio nor
    concurrent.futures reports anything (a cancelled job's callback on the closed loop, a
    task destroyed pending: a third of such closes printed one)."""
    from coqlkit import dbapi

    caplog.set_level(logging.WARNING)
    with Sandbox(records=RECORDS, db=sandbox.config.db, latency_ms=300, token_limit=0) as slow:
        for attempt in range(5):
            db = dbapi.connect(sandbox=slow, page_size=200)
            cur = db.cursor()
            cur.execute("select Last_Name from Leads")
            cur.fetchone()
            closer = threading.Timer(0.15 + 0.1 * attempt, db.close)
            closer.start()
            with contextlib.suppress(dbapi.InterfaceError):
                cur.fetchall()
            closer.join()
            gc.collect()
    assert [r.getMessage() for r in caplog.records if r.name in ("asyncio", "concurrent.futures")] == []


def _exits(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -c script`` to its end (a hang is a failure, after 60 s)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "script",
    [
        """
        from coqlkit import dbapi
        cursor = dbapi.connect().cursor()   # never closed
        cursor.execute("select Last_Name from Leads")
        print(cursor.fetchone() is not None)
        """,
        """
        import coqlkit
        rows = iter(coqlkit.connect().query("select Last_Name from Leads"))   # never closed
        print(next(rows) is not None)
        """,
    ],
    ids=["dbapi-fetchone", "next-of-iter"],
)
def test_a_script_leaving_a_read_half_done_ends(sandbox: Sandbox, script: str) -> None:
    """A script that peeks at a first row and never closes anything ends, as with sqlite3:
    its connection is closed at exit while the loop's thread still runs (the stream it left
    was finalized later, with the threads frozen, and waited for the loop forever)."""
    ran = _exits(script, sandbox.environment())
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "True\n", "")


def test_a_sandbox_started_by_a_connection_left_open_stops_quietly_at_exit() -> None:
    ran = _exits(
        """
        import coqlkit
        conn = coqlkit.connect(sandbox={"records": 300})
        print(next(iter(conn.query("select Last_Name from Leads"))) is not None)
        """,
        {},
    )
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "True\n", "")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork")
def test_a_connection_in_a_forked_child_refuses_at_once_and_the_child_ends(sandbox: Sandbox) -> None:
    """After os.fork() the child has a copy of the connection but not its loop's thread: a
    query is refused at once (it waited forever), the connection says it is closed, and the
    child ends with sys.exit() (the exit-time close waited for the missing thread)
    (concurrency review 1: gunicorn --preload, multiprocessing's fork)."""
    ran = _exits(
        """
        import os, sys
        import coqlkit
        conn = coqlkit.connect()
        conn.query("select Last_Name from Leads limit 2").to_arrow()
        pid = os.fork()
        if pid == 0:
            try:
                conn.query("select Last_Name from Leads limit 2").to_arrow()
            except coqlkit.CoqlError as exc:
                print(exc.code, conn.closed, "process" in str(exc), flush=True)
            sys.exit(0)
        _, status = os.waitpid(pid, 0)
        print("child", os.waitstatus_to_exitcode(status))
        print(len(conn.query("select Last_Name from Leads limit 2").to_arrow()))
        """,
        sandbox.environment(),
    )
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "CONNECTION_CLOSED True True\nchild 0\n2\n", "")


def _close_from(threads: int, conn: coqlkit.Connection) -> list[BaseException]:
    """``conn.close()`` from ``threads`` threads at once: what they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def close() -> None:
        start.wait()
        try:
            conn.close()
        except BaseException as exc:
            errors.append(exc)

    running = [threading.Thread(target=close) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(30)
    return errors


def test_close_from_several_threads_at_once_closes_once(sandbox: Sandbox) -> None:
    """close() is safe to call from several threads together (a shutdown hook and a request's
    `with`): one closes, the others wait and return; nothing raised or printed (concurrency
    review 3: CONNECTION_CLOSED, 'Cannot close a running event loop', tracebacks)."""
    for _ in range(5):
        conn = coqlkit.connect(sandbox=sandbox)
        reader = iter(conn.query("select Last_Name from Leads", page_size=200))
        next(reader)  # a read left half-done, for close() to stop
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "coroutine ... was never awaited" and the like
            assert _close_from(4, conn) == []
        assert conn.closed
        del reader


def test_kept_rows_outlive_their_connection(sandbox: Sandbox) -> None:
    """Rows a result has kept are local data: read again after the connection is closed, as
    the async twin allows (concurrency review 6: CONNECTION_CLOSED)."""
    with coqlkit.connect(sandbox=sandbox) as conn:
        result = conn.query("select Last_Name, Lead_Source from Leads limit 5")
        table = result.to_arrow()
    assert result.to_arrow() is table
    assert len(list(result)) == 5 and result.record_batches().read_all().equals(table)


def test_callers_of_to_arrow_at_the_same_time_share_one_read(sandbox: Sandbox) -> None:
    """A result shared by threads (a memoised dashboard query): every caller of to_arrow()
    gets the rows, read once (concurrency review 4: all but one got RESULT_CONSUMED)."""
    with coqlkit.connect(sandbox=sandbox) as conn:
        result = conn.query("select Last_Name from Leads", page_size=200)
        got: list[object] = []
        start = threading.Barrier(3)

        def read() -> None:
            start.wait()
            try:
                got.append(result.to_arrow())
            except coqlkit.CoqlError as exc:
                got.append(exc)

        threads = [threading.Thread(target=read) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert all(isinstance(t, pa.Table) for t in got) and len({id(t) for t in got}) == 1, got
    assert got[0].num_rows == RECORDS  # type: ignore[attr-defined]


def test_a_caller_waiting_for_a_shared_read_that_was_cancelled_is_told_so(slow_sandbox: Sandbox) -> None:
    """The caller whose to_arrow() did the read is cancelled (a request's timeout): the one
    waiting for it is told that read was stopped, not "call to_arrow() first" (diff review 2)."""

    async def main() -> tuple[BaseException | None, BaseException | None]:
        async with await coqlkit.connect_async(sandbox=slow_sandbox) as conn:
            result = await conn.query("select Last_Name from Leads", page_size=100)
            first = asyncio.ensure_future(result.to_arrow())
            await asyncio.sleep(0)  # the first one takes the read
            second = asyncio.ensure_future(result.to_arrow())
            await asyncio.sleep(0.05)
            first.cancel()
            outcomes = await asyncio.gather(first, second, return_exceptions=True)
            return outcomes[0], outcomes[1]  # type: ignore[return-value]

    first, second = asyncio.run(main())
    assert isinstance(first, asyncio.CancelledError)
    assert isinstance(second, coqlkit.CoqlError) and second.code == "RESULT_CONSUMED"
    assert "waited for was cancelled (a timeout such as asyncio.wait_for's, or its task cancelled)" in str(
        second
    )
    assert "CancelledError" not in str(second)
