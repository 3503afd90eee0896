"""coqlkit in a long-running service: SQLAlchemy's pool, forks, closed connections.

- A pooled connection copied into a forked child (gunicorn ``--preload``, multiprocessing's
  fork, Airflow's task runner) is closed there; the pool replaces it at checkout, so the
  child's queries run, with no ``pool_pre_ping`` and no ``engine.dispose()`` in the child.
- A connection found closed in use (``CONNECTION_CLOSED``), or whose credentials Zoho
  refuses, is a disconnect: SQLAlchemy invalidates it and the next checkout opens another.
  A query's own error is not: the connection stays in the pool.
- The DB-API tells a closed connection by ``.code == "CONNECTION_CLOSED"``, with the API's
  reason (opened before a fork).
- The URL's ``tz``, ``metadata`` and ``cache_dir`` are checked by ``create_engine``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

import coqlkit
from coqlkit import dbapi
from coqlkit.catalog import demo, write_snapshot
from coqlkit.sandbox.config import REFRESH_TOKEN
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import FileTokenStore, load_settings
from tests.api._support import RequestLog
from tests.api.test_dbapi_results import closed_while_fetching

sa = pytest.importorskip("sqlalchemy")

COUNT = "select COUNT(id) from Leads"
fork_only = pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork")


def _run(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -c script`` to its end (a hang is a failure, after 120 s)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@fork_only
def test_a_forked_worker_gets_working_connections_from_the_pool(sandbox: Sandbox) -> None:
    """The reviewer's gunicorn --preload: the parent used the engine, then forked. Each
    query of the child failed with 'the connection is closed', for as long as it lived."""
    ran = _run(
        """
        import os, sys
        import sqlalchemy as sa
        engine = sa.create_engine("coqlkit://", pool_size=1)
        def q():
            with engine.connect() as c:
                return c.execute(sa.text("select COUNT(id) from Leads")).scalar()
        first = q()
        pid = os.fork()
        if pid == 0:
            print("child", [q() == first for _ in range(3)], flush=True)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        print("exit", os.waitstatus_to_exitcode(status))
        print("parent", q() == first)
        """,
        sandbox.environment(),
    )
    assert ran.stdout == "child [True, True, True]\nexit 0\nparent True\n", ran.stderr
    assert "Traceback" not in ran.stderr


@fork_only
def test_a_connection_checked_out_across_a_fork_is_invalidated_and_the_next_one_works(
    sandbox: Sandbox,
) -> None:
    """Held through the fork (a worker forked in mid-request): its query in the child is
    CONNECTION_CLOSED, saying why, and a disconnect: the next checkout opens a new one."""
    ran = _run(
        """
        import os
        import sqlalchemy as sa
        engine = sa.create_engine("coqlkit://", pool_size=1)
        held = engine.connect()
        held.execute(sa.text("select COUNT(id) from Leads")).scalar()
        pid = os.fork()
        if pid == 0:
            try:
                held.execute(sa.text("select COUNT(id) from Leads"))
            except sa.exc.DBAPIError as exc:
                print(type(exc).__name__, exc.orig.code, exc.connection_invalidated,
                      "forked" in str(exc.orig), flush=True)
            held.close()
            with engine.connect() as c:
                print("next", c.execute(sa.text("select COUNT(id) from Leads")).scalar() > 0, flush=True)
            os._exit(0)
        os.waitpid(pid, 0)
        held.close()
        """,
        sandbox.environment(),
    )
    assert ran.stdout == "InterfaceError CONNECTION_CLOSED True True\nnext True\n", ran.stderr


def test_a_connection_closed_under_the_pool_is_replaced_at_checkout(sandbox: Sandbox) -> None:
    engine = sa.create_engine("coqlkit://", creator=lambda: dbapi.connect(sandbox=sandbox), pool_size=1)
    try:
        with engine.connect() as c:
            first = c.connection.dbapi_connection
            assert c.execute(sa.text(COUNT)).scalar() > 0
        assert first is not None
        first.close()  # closed while in the pool (what a fork does to the child's copy)
        with engine.connect() as c:
            assert c.connection.dbapi_connection is not first
            assert c.execute(sa.text(COUNT)).scalar() > 0
    finally:
        engine.dispose()


def test_closed_in_use_is_a_disconnect_and_a_query_error_is_not(sandbox: Sandbox) -> None:
    engine = sa.create_engine("coqlkit://", creator=lambda: dbapi.connect(sandbox=sandbox), pool_size=1)
    try:
        with engine.connect() as c:
            kept = c.connection.dbapi_connection
            with pytest.raises(sa.exc.ProgrammingError) as wrong:
                c.execute(sa.text("select Emial from Leads"))
            assert wrong.value.connection_invalidated is False
        with engine.connect() as c:
            assert c.connection.dbapi_connection is kept  # the pool kept it: nothing wrong with it
            assert kept is not None
            kept.close()
            with pytest.raises(sa.exc.InterfaceError) as closed:
                c.execute(sa.text(COUNT))
            assert closed.value.connection_invalidated is True
            assert closed.value.orig.code == "CONNECTION_CLOSED"
        with engine.connect() as c:
            assert c.connection.dbapi_connection is not kept
            assert c.execute(sa.text(COUNT)).scalar() > 0
    finally:
        engine.dispose()


def test_credentials_refused_are_a_disconnect_and_a_new_connection_reads_them_again(
    tmp_path: Path,
) -> None:
    """The refresh token revoked (``coqlkit auth logout``, or in Zoho Accounts): the query
    fails with an AuthError, the pool drops the connection, and once the credentials work
    again (``coqlkit auth login``) the next checkout is a new connection that uses them."""
    with Sandbox(records=200, token_limit=0) as running:

        def make() -> dbapi.Connection:
            settings = load_settings(
                env=running.environment(),
                store=FileTokenStore(tmp_path / "tokens.json"),
                path=tmp_path / "none.toml",
            )
            return dbapi.connect(settings=settings, cache_dir=tmp_path / "cache")

        engine = sa.create_engine("coqlkit://", creator=make, pool_size=1)
        try:
            with engine.connect() as c:
                first = c.connection.dbapi_connection
                assert c.execute(sa.text(COUNT)).scalar() == 200
            assert running.state is not None
            for token in [REFRESH_TOKEN, *running.state.tokens]:  # revoked, access tokens too
                httpx.post(f"{running.base_url}/oauth/v2/token/revoke", params={"token": token})
            with engine.connect() as c, pytest.raises(sa.exc.OperationalError) as refused:
                c.execute(sa.text(COUNT)).scalar()  # (the call is made when the row is read)
            assert isinstance(refused.value.orig.__cause__, coqlkit.AuthError)
            assert refused.value.connection_invalidated is True
            running.state.refresh_tokens.add(REFRESH_TOKEN)  # logged in again
            with engine.connect() as c:
                assert c.connection.dbapi_connection is not first
                assert c.execute(sa.text(COUNT)).scalar() == 200
        finally:
            engine.dispose()


# ---- the DB-API's closed connection ----------------------------------------------------------


def test_a_closed_dbapi_connection_says_connection_closed(sandbox: Sandbox) -> None:
    conn = dbapi.connect(sandbox=sandbox)
    cursor = conn.cursor()
    conn.close()
    for use in (conn.cursor, conn.commit, lambda: cursor.execute(COUNT), cursor.fetchone):
        with pytest.raises(dbapi.InterfaceError) as caught:
            use()
        assert caught.value.code == "CONNECTION_CLOSED"
        assert "connection is closed" in str(caught.value)
    own = dbapi.connect(sandbox=sandbox).cursor()
    own.close()
    with pytest.raises(dbapi.InterfaceError, match="the cursor is closed"):
        own.execute(COUNT)  # a cursor closed by itself is not a closed connection
    own.connection.close()


def test_a_connection_closed_under_a_reading_thread_says_connection_closed(slow_sandbox: Sandbox) -> None:
    """Another thread closes the connection (a shutdown, ``engine.dispose()``) while this one
    reads: the reader's error is CONNECTION_CLOSED, a disconnect to SQLAlchemy."""
    log = RequestLog(slow_sandbox)
    conn = dbapi.connect(sandbox=slow_sandbox, page_size=200)
    cur = conn.cursor()
    cur.execute("select Last_Name from Leads")
    error = closed_while_fetching(cur, log, conn.close)
    assert isinstance(error, dbapi.InterfaceError), error
    assert error.code == "CONNECTION_CLOSED"
    assert "closed while its rows were being read" in str(error)


@fork_only
def test_a_dbapi_connection_in_a_forked_child_says_why_it_is_closed(sandbox: Sandbox) -> None:
    ran = _run(
        """
        import os
        from coqlkit import dbapi
        conn = dbapi.connect()
        cursor = conn.cursor()
        cursor.execute("select Last_Name from Leads limit 1")
        cursor.fetchall()
        pid = os.fork()
        if pid == 0:
            for use in (conn.cursor, lambda: cursor.execute("select Last_Name from Leads limit 1")):
                try:
                    use()
                except dbapi.InterfaceError as exc:
                    print(exc.code, f"opened in process {os.getppid()}" in str(exc), flush=True)
            os._exit(0)
        os.waitpid(pid, 0)
        conn.close()
        """,
        sandbox.environment(),
    )
    assert ran.stdout == "CONNECTION_CLOSED True\n" * 2, ran.stderr


# ---- the URL's options, checked by create_engine --------------------------------------------


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("tz=Mars/Base", "unknown time zone 'Mars/Base'"),
        ("tz=Europe/Pari", "did you mean 'Europe/Paris'?"),
        ("metadata=/nonexistent/snapshot", "modules.json is missing"),
    ],
)
def test_bad_connect_options_in_the_url_are_refused_by_create_engine(query: str, said: str) -> None:
    with pytest.raises(sa.exc.ArgumentError) as caught:
        sa.create_engine(f"coqlkit://?{query}")
    assert said in str(caught.value)


def test_a_cache_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(sa.exc.ArgumentError, match="not a directory"):
        sa.create_engine(f"coqlkit://?cache_dir={tmp_path / 'file'}")


def test_good_connect_options_in_the_url_reach_the_connection(sandbox: Sandbox, tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    write_snapshot(snap, demo.modules_payload(), {m: demo.fields_payload(m) for m in demo.module_names()})
    engine = sa.create_engine(f"coqlkit://?tz=Asia/Kolkata&metadata={snap}&cache_dir={tmp_path / 'c'}")
    _, options = engine.dialect.create_connect_args(engine.url)
    assert options == {"tz": "Asia/Kolkata", "metadata": str(snap), "cache_dir": str(tmp_path / "c")}


def test_a_dbapi_connect_to_a_missing_snapshot_is_a_usage_error(sandbox: Sandbox, tmp_path: Path) -> None:
    with pytest.raises(dbapi.InterfaceError, match=r"modules\.json is missing"):
        dbapi.connect(sandbox=sandbox, metadata=tmp_path / "none")
