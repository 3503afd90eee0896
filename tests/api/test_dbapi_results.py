"""``coqlkit.dbapi`` results: the columns are the SELECT list, ``fetchone`` reads a page and
not a window, a fetch that failed or was interrupted leaves a result that says so, and the
cursor is an iterator."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from coqlkit import Catalog, dbapi, parse
from coqlkit.dbapi import _select_list, _tuples
from coqlkit.plan import PlanOptions, plan
from coqlkit.sandbox.server import Sandbox
from tests.api._support import RECORDS, RequestLog, count, ctrl_c_when


def names(cur: dbapi.Cursor) -> list[str]:
    return [d[0] for d in cur.description or ()]


def pages(log: RequestLog) -> list[tuple[int, int]]:
    """(limit, offset) of each page the sandbox answered (the COUNT probe left out)."""
    found = [re.search(r"limit (\d+) offset (\d+)", e["coql"] or "") for e in log.coql()]
    return [(int(m[1]), int(m[2])) for m in found if m]


# ---- the SELECT list, as written -------------------------------------------------------------


def test_the_columns_are_the_select_list(db: dbapi.Connection, oracle: sqlite3.Connection) -> None:
    """No id in front: positional readers get what they selected."""
    cur = db.cursor()
    (name,) = oracle.execute("select Last_Name from Leads order by id limit 1").fetchone()
    cur.execute("select Last_Name from Leads where Last_Name = :n limit 1", {"n": name})
    assert names(cur) == ["Last_Name"]
    (found,) = cur.fetchone() or ()
    assert found == name
    cur.execute("select Last_Name, Email from Leads order by id limit 3")
    expected = oracle.execute("select Last_Name, Email from Leads order by id limit 3").fetchall()
    assert cur.fetchall() == expected


def test_an_id_selected_keeps_its_place(db: dbapi.Connection, oracle: sqlite3.Connection) -> None:
    cur = db.cursor()
    cur.execute("select Last_Name, id, Email from Leads order by id limit 3")
    assert names(cur) == ["Last_Name", "id", "Email"]
    assert [d[1] == dbapi.ROWID for d in cur.description or ()] == [False, True, False]
    expected = oracle.execute("select Last_Name, id, Email from Leads order by id limit 3").fetchall()
    assert cur.fetchall() == [(n, str(i), e) for n, i, e in expected]
    assert cur.rowcount == 3


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("select * from Leads", ["id", "Owner", "Company"]),  # * holds id, first
        ("select Email, * from Leads", ["Email", "id", "Owner"]),
        ("select * except (id, Owner) from Leads", ["Company", "Salutation"]),
        ("select * from Contacts", ["id", "Owner"]),  # 51 fields: two column groups, joined
    ],
)
def test_star_holds_id_where_it_stands(db: dbapi.Connection, query: str, first: list[str]) -> None:
    cur = db.cursor()
    cur.execute(f"{query} limit 4")
    assert names(cur)[: len(first)] == first
    table = db.api.query(f"{query} limit 4").to_arrow()  # id first, and every column
    assert table.column_names[0] == "id"
    expected = table.select([table.column_names.index(n) for n in names(cur)])
    assert len(names(cur)) == len(set(table.column_names) - ({"id"} if "id" not in first else set()))
    assert cur.fetchall() == [tuple(row.values()) for row in expected.to_pylist()]


def test_a_wide_select_is_joined_right(db: dbapi.Connection) -> None:
    cur = db.cursor()
    cur.execute("select Email, * from Contacts where Email is not null")  # 51 columns
    assert cur.result is not None and cur.result.plan.root.name == "column split"
    table = cur.fetch_arrow_table()
    assert table.column_names[:3] == ["Email", "id", "Owner"]
    everything = db.api.query("select * from Contacts where Email is not null").to_arrow()
    assert table.equals(everything.select(table.column_names))
    assert cur.rowcount == table.num_rows == everything.num_rows > 0


def test_an_alias_named_id_is_refused(db: dbapi.Connection) -> None:
    """The check refuses an alias named id (Zoho sends the record's id under that key, so the
    two would collide), and so does the sandbox when it is sent unchecked."""
    cur = db.cursor()
    with pytest.raises(dbapi.ProgrammingError, match="INVALID_ALIAS"):
        cur.execute("select Last_Name as id from Leads limit 3")
    cur.result = db.api.query("select Last_Name as id from Leads order by id limit 3", check=False)
    with pytest.raises(dbapi.DatabaseError, match="alias name cannot be the key of the record id"):
        cur.fetchall()


def test_rows_are_built_by_position() -> None:
    """A result whose columns share a name (``id`` first, then a column aliased ``id``)
    gives each row the SELECT list's columns by position, not by name (no KeyError, no
    record id in place of the value)."""
    text = "select Last_Name as id from Leads order by id limit 3"
    result = plan(parse(text), Catalog.demo(), PlanOptions(), rows=3)
    picked = _select_list(result, text)
    batch = pa.RecordBatch.from_arrays(
        [pa.array(["1", "2", "3"]), pa.array(["Ng", "Li", "Wu"])], names=[c.key for c in result.columns]
    )
    assert batch.schema.names == ["id", "id"] and picked == (1,)
    assert _tuples(batch, picked) == [("Ng",), ("Li",), ("Wu",)]


def test_grouped_rows_are_unchanged(db: dbapi.Connection) -> None:
    cur = db.cursor()
    cur.execute("select Lead_Source, COUNT(id) from Leads group by Lead_Source")
    assert names(cur) == ["Lead_Source", "COUNT(id)"]
    assert sum(n for _, n in cur.fetchall()) == RECORDS


# ---- fetchone reads a page, not a window -------------------------------------------------------


def test_fetchone_and_fetchmany_read_the_first_page_alone(sandbox: Sandbox, log: RequestLog) -> None:
    with dbapi.connect(sandbox=sandbox, page_size=200) as conn:  # 15 pages
        cur = conn.cursor()
        cur.execute("select Last_Name, Email from Leads")
        spent = conn.api.credits_used
        log.mark()
        assert cur.fetchone() is not None
        assert len(cur.fetchmany(150)) == 150  # still the first page's rows
        time.sleep(0.3)  # what a read at full concurrency would have sent is answered by now
        assert pages(log) == [(200, 0)]
        assert conn.api.credits_used - spent == 1

        assert len(cur.fetchmany(100)) == 100  # into the second page: the window opens
        time.sleep(0.3)
        assert len(pages(log)) > 3
        assert len(cur.fetchall()) == RECORDS - 251
        assert sorted(pages(log)) == [(200, offset) for offset in range(0, RECORDS, 200)]
        assert cur.rowcount == RECORDS


def test_fetchall_reads_at_full_concurrency_from_the_start(slow_sandbox: Sandbox) -> None:
    """Ten pages: all ten at once (a lazy start would send the first alone, then nine).

    Counted as the client sends them (its ``most_in_flight``): the ten go out together
    before any answer can come (200 ms each), and a lazy start's nine only after the first
    is in. The sandbox's own count needed the ten requests to reach it within 200 ms of the
    first, which a busy machine missed (9 of 10)."""
    with dbapi.connect(sandbox=slow_sandbox, page_size=300) as conn:
        client = conn.api.aio.client
        cur = conn.cursor()
        for fetch, most in ((dbapi.Cursor.fetchall, 10), (dbapi.Cursor.fetch_arrow_table, 10)):
            cur.execute("select Last_Name from Leads")
            client.most_in_flight = 0
            assert len(fetch(cur)) == RECORDS
            assert client.most_in_flight == most
        cur.execute("select Last_Name from Leads")
        client.most_in_flight = 0
        assert cur.fetchone() is not None
        assert len(cur.fetchall()) == RECORDS - 1
        assert client.most_in_flight == 9  # the contrast: the first page went alone


# ---- a fetch that failed or was interrupted --------------------------------------------------------


@pytest.fixture
def private(org_db: Path, sandbox: Sandbox) -> Iterator[Sandbox]:
    """A sandbox of its own on the test org, for a test that stops it."""
    with Sandbox(records=RECORDS, db=str(org_db)) as running:
        yield running


FETCHES: list[Callable[[dbapi.Cursor], object]] = [
    dbapi.Cursor.fetchone,
    dbapi.Cursor.fetchall,
    lambda cur: cur.fetchmany(5),
    dbapi.Cursor.fetch_arrow_table,
    next,
]


def test_after_a_failed_fetch_the_result_is_not_passed_off_as_complete(private: Sandbox) -> None:
    with dbapi.connect(sandbox=private, page_size=200) as conn:
        cur = conn.cursor()
        cur.execute("select Last_Name from Leads")
        assert cur.rowcount == RECORDS
        assert cur.fetchone() is not None
        private.stop()  # Zoho out of reach for the pages after the first
        with pytest.raises(dbapi.OperationalError) as failed:
            cur.fetchmany(1000)
        assert cur.rowcount == -1  # not the COUNT probe's figure: those rows never came
        for fetch in FETCHES:
            with pytest.raises(
                dbapi.OperationalError, match=r"the result was interrupted \(Operational"
            ) as again:
                fetch(cur)
            assert again.value.code == "RESULT_INTERRUPTED" and again.value.__cause__ is failed.value
            assert "execute the query again" in str(again.value)
        assert cur.rowcount == -1


def test_a_query_zoho_refuses_while_fetching_stays_refused(db: dbapi.Connection) -> None:
    cur = db.cursor()
    cur.result = db.api.query("select Last_Name from Leads where Last_Nme = 'x' limit 3", check=False)
    with pytest.raises(dbapi.ProgrammingError, match="invalid"):
        cur.fetchone()
    with pytest.raises(dbapi.ProgrammingError, match="interrupted"):
        cur.fetchall()
    assert cur.rowcount == -1


def test_after_ctrl_c_the_fetches_say_the_result_was_interrupted(slow_sandbox: Sandbox) -> None:
    log = RequestLog(slow_sandbox)
    with dbapi.connect(sandbox=slow_sandbox, page_size=200) as conn:
        cur = conn.cursor()
        cur.execute("select Last_Name from Leads")
        log.mark()
        with ctrl_c_when(lambda: len(log.coql()) > 0) as sent, pytest.raises(KeyboardInterrupt):
            cur.fetchall()  # 15 pages of 200 ms, ten at a time: stopped in the first round
        assert sent.is_set()
        assert cur.rowcount == -1
        for fetch in FETCHES:
            with pytest.raises(
                dbapi.InterfaceError, match=r"interrupted \(Ctrl-C\); execute the query again"
            ):
                fetch(cur)
        cur.execute("select Last_Name from Leads")  # executing again reads it whole
        assert len(cur.fetchall()) == cur.rowcount == RECORDS


def closed_while_fetching(cur: Any, log: RequestLog, close: Callable[[], None]) -> object:
    """What ``cur.fetchall()`` in another thread gives (its row count, or its exception) when
    ``close()`` is called once the first pages of the query executed on ``cur`` are asked for."""
    log.mark()
    outcome: list[object] = []

    def read() -> None:
        try:
            outcome.append(len(cur.fetchall()))
        except Exception as exc:
            outcome.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    deadline = time.monotonic() + 20
    while not log.coql() and time.monotonic() < deadline:  # the first pages are on their way
        time.sleep(0.005)
    close()
    reader.join(30)
    assert not reader.is_alive()
    (found,) = outcome
    return found


def test_a_cursor_closed_by_another_thread_midway_says_so(slow_sandbox: Sandbox) -> None:
    """The fetch in progress raises, rather than returning the rows read so far as if they
    were all of them."""
    log = RequestLog(slow_sandbox)
    with dbapi.connect(sandbox=slow_sandbox, page_size=200) as conn:
        cur = conn.cursor()
        cur.execute("select Last_Name from Leads")
        error = closed_while_fetching(cur, log, cur.close)
        assert isinstance(error, dbapi.InterfaceError), error
        assert "closed while its rows were being read" in str(error)
        again = conn.cursor()  # the connection carries on
        assert len(again.execute("select Last_Name from Leads limit 5").fetchall()) == 5


# ---- the cursor as an iterator --------------------------------------------------------------


def test_the_cursor_is_an_iterator(db: dbapi.Connection, oracle: sqlite3.Connection) -> None:
    cur = db.cursor()
    cur.execute("select Last_Name from Leads order by id limit 3")
    assert iter(cur) is cur
    expected = oracle.execute("select Last_Name from Leads order by id limit 3").fetchall()
    assert next(cur) == expected[0]
    assert list(cur) == expected[1:]
    with pytest.raises(StopIteration):
        next(cur)


@pytest.mark.parametrize(
    "probe",
    [
        'SELECT * FROM "Leads" WHERE 1=0',
        "select * from Leads where 1 = 0",
        "select Last_Name, Annual_Revenue from Leads limit 0",
        "select Last_Name, Annual_Revenue from Leads where false limit 0;",
    ],
)
def test_a_columns_only_probe_is_answered_without_a_call(
    db: dbapi.Connection, log: RequestLog, probe: str
) -> None:
    """What tools ask for a module's columns and no row (JupySQL, BI tools): the columns from
    the metadata, no row, no call (COQL refuses `where 1=0` and `limit 0`)."""
    cur = db.cursor()
    log.mark()
    cur.execute(probe)
    assert cur.description is not None and len(cur.description) > 1
    assert "Annual_Revenue" in names(cur) and cur.rowcount == 0
    assert cur.fetchall() == [] and cur.fetchone() is None
    assert log.coql() == []


def test_a_query_whose_comment_reads_like_a_probe_is_run(
    db: dbapi.Connection, oracle: sqlite3.Connection
) -> None:
    """A comment is no columns-only probe: a commented-out `from X limit 0` left the query
    answered with no rows, rowcount 0 and no warning (diff review 1)."""
    cur = db.cursor()
    cur.execute("select Last_Name from Leads where Lead_Source = 'Chat' -- was: from Contacts limit 0")
    assert len(cur.fetchall()) == count(oracle, "Lead_Source = 'Chat'") > 0
    cur.execute("select Last_Name from Leads where Lead_Source = 'Chat'\n/* try from Contacts where 1=0 */")
    assert len(cur.fetchall()) == count(oracle, "Lead_Source = 'Chat'")
