"""The DB-API across threads: a connection is shared (threadsafety 2), a cursor is not, and a
cursor fetched from by two threads at once says so with a PEP 249 error."""

from __future__ import annotations

import sqlite3
import threading

from coqlkit import dbapi
from coqlkit.sandbox.server import Sandbox
from tests.api._support import count


def test_threads_share_a_connection_each_with_its_own_cursor(
    sandbox: Sandbox, oracle: sqlite3.Connection
) -> None:
    assert dbapi.threadsafety == 2  # threads may share the module and connections
    statuses = [
        "Contacted",
        "Not Contacted",
        "Attempted to Contact",
        "Junk Lead",
        "Pre-Qualified",
        "Lost Lead",
    ]
    got: dict[str, int] = {}
    with dbapi.connect(sandbox=sandbox) as conn:
        start = threading.Barrier(len(statuses))

        def read(status: str) -> None:
            cursor = conn.cursor()
            start.wait()
            cursor.execute("select Last_Name from Leads where Lead_Status = :s", {"s": status})
            got[status] = len(cursor.fetchall())

        threads = [threading.Thread(target=read, args=(s,)) for s in statuses]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert got == {s: count(oracle, '"Lead_Status" = ?', (s,)) for s in statuses}


def test_a_cursor_fetched_from_by_two_threads_at_once_refuses_the_second(
    slow_sandbox: Sandbox, oracle: sqlite3.Connection
) -> None:
    """The first thread's fetch goes on and the cursor stays usable; the others get a
    ProgrammingError at once (they got a bare ValueError('generator already executing'),
    and the first one an InterfaceError: nobody had a row)."""
    with dbapi.connect(sandbox=slow_sandbox) as conn:
        cursor = conn.cursor()
        cursor.execute("select Last_Name from Leads")
        start = threading.Barrier(4)
        rows: list[int] = []
        errors: list[BaseException] = []

        def fetch() -> None:
            start.wait()
            try:
                rows.append(len(cursor.fetchmany(100)))
            except Exception as exc:
                errors.append(exc)

        threads = [threading.Thread(target=fetch) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # The barrier releases the four at once, and the first fetch waits for a page of
        # the slow sandbox: the other three come while it runs.
        assert [type(e) for e in errors] == [dbapi.ProgrammingError] * 3, errors
        assert "one thread at a time" in str(errors[0])
        assert rows == [100]
        assert 100 + len(cursor.fetchall()) == count(oracle, "1")
