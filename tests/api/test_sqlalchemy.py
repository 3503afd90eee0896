"""``coqlkit.sqlalchemy``: the ``coqlkit://`` dialect over :mod:`coqlkit.dbapi`, and the tools
that take an engine or a URL (``pandas.read_sql``, JupySQL's ``%sql --creator``)."""

from __future__ import annotations

import datetime as dt
import socket
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import registry

from coqlkit import dbapi
from coqlkit.sandbox.server import Sandbox
from coqlkit.sqlalchemy import CoqlkitDialect
from tests.api._support import RECORDS, count

# What the entry point (sqlalchemy.dialects: coqlkit) does once the package is installed.
registry.register("coqlkit", "coqlkit.sqlalchemy", "CoqlkitDialect")

BY_STATUS = "select Last_Name, Lead_Status, Annual_Revenue, Created_Time from Leads where Lead_Status = :s"


@pytest.fixture(scope="module")
def engine(sandbox: Sandbox) -> Iterator[sa.Engine]:
    engine = sa.create_engine("coqlkit://", creator=lambda: dbapi.connect(sandbox=sandbox))
    try:
        yield engine
    finally:
        engine.dispose()


# ---- queries -------------------------------------------------------------------------------


def test_text_with_parameters(engine: sa.Engine, oracle: sqlite3.Connection) -> None:
    with engine.connect() as conn:
        result = conn.execute(sa.text(BY_STATUS), {"s": "Contacted"})
        assert list(result.keys()) == ["Last_Name", "Lead_Status", "Annual_Revenue", "Created_Time"]
        rows = result.all()
    assert len(rows) == count(oracle, "Lead_Status = 'Contacted'") > 0
    assert {row.Lead_Status for row in rows} == {"Contacted"}
    first = rows[0]
    assert isinstance(first.Last_Name, str) and "id" not in first._fields  # the SELECT list
    assert first.Annual_Revenue is None or isinstance(first.Annual_Revenue, Decimal)
    assert isinstance(first.Created_Time, dt.datetime) and first.Created_Time.tzinfo is not None


def test_typed_parameters_and_driver_sql(engine: sa.Engine, oracle: sqlite3.Connection) -> None:
    with engine.connect() as conn:
        sources = conn.execute(
            sa.text("select Lead_Source from Leads where Lead_Source in :sources and Last_Name = :name"),
            {"sources": ["Chat", "Partner"], "name": "O'Brien"},
        ).scalars()
        expected = count(oracle, "Lead_Source in ('Chat', 'Partner') and Last_Name = ?", ("O'Brien",))
        assert len(list(sources)) == expected
        groups = conn.exec_driver_sql("select Lead_Source, COUNT(id) from Leads group by Lead_Source").all()
    assert sum(n for _, n in groups) == RECORDS


def test_rows_stream(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        result = conn.execute(sa.text("select Last_Name from Leads"))
        assert len(result.fetchmany(5)) == 5
        assert len(result.fetchall()) == RECORDS - 5


def test_pandas_read_sql(engine: sa.Engine, oracle: sqlite3.Connection) -> None:
    """With an engine pandas has nothing to warn about (filterwarnings = error)."""
    import pandas as pd

    frame = pd.read_sql(sa.text(BY_STATUS), engine, params={"s": "Pre-Qualified"})
    assert list(frame.columns) == ["Last_Name", "Lead_Status", "Annual_Revenue", "Created_Time"]
    assert len(frame) == count(oracle, "Lead_Status = 'Pre-Qualified'") > 0
    assert set(frame["Lead_Status"]) == {"Pre-Qualified"}
    assert frame["Created_Time"].dt.tz is not None

    groups = pd.read_sql(sa.text("select Lead_Source, COUNT(id) from Leads group by Lead_Source"), engine)
    assert int(groups["COUNT(id)"].sum()) == RECORDS

    with pytest.raises(pd.errors.DatabaseError, match="did you mean Last_Name") as caught:
        pd.read_sql(sa.text("select Last_Nme from Leads"), engine)
    error = caught.value.__cause__
    assert isinstance(error, sa.exc.ProgrammingError) and isinstance(error.orig, dbapi.ProgrammingError)


# ---- what COQL cannot do --------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement", ["delete from Leads where id = 1", "insert into Leads (Last_Name) values ('x')"]
)
def test_a_write_is_not_supported(engine: sa.Engine, statement: str) -> None:
    with engine.connect() as conn:
        with pytest.raises(sa.exc.NotSupportedError, match="reads only") as caught:
            conn.execute(sa.text(statement))
        assert isinstance(caught.value.orig, dbapi.NotSupportedError)
        conn.rollback()  # nothing to roll back: a no-op, and the connection carries on
        assert conn.execute(sa.text("select Last_Name from Leads limit 1")).one()
    with pytest.raises(sa.exc.NotSupportedError), engine.begin() as conn:
        conn.exec_driver_sql(statement)  # the failed "transaction" rolls back quietly


def test_no_transactions(engine: sa.Engine) -> None:
    with engine.begin() as conn:  # begin and commit do nothing on the server
        assert conn.get_isolation_level() == "AUTOCOMMIT"
        assert conn.execute(sa.text("select Last_Name from Leads limit 2")).all()
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")  # JupySQL asks for it
        with pytest.raises(sa.exc.ArgumentError, match="AUTOCOMMIT"):
            conn.execution_options(isolation_level="SERIALIZABLE")


def test_a_select_construct_is_refused() -> None:
    leads = sa.table("Leads", sa.column("Last_Name"))
    with pytest.raises(sa.exc.CompileError, match=r"text\("):
        sa.select(leads.c.Last_Name).compile(dialect=CoqlkitDialect())


# ---- reflection -----------------------------------------------------------------------------


def test_modules_are_tables(engine: sa.Engine) -> None:
    inspector = sa.inspect(engine)
    tables = inspector.get_table_names()
    assert {"Leads", "Accounts", "Contacts", "Deals"} <= set(tables)
    assert inspector.get_view_names() == []
    assert inspector.has_table("Leads") and not inspector.has_table("Leeds")
    with pytest.raises(sa.exc.NoSuchTableError):
        inspector.get_columns("Leeds")


def test_fields_are_typed_columns(engine: sa.Engine) -> None:
    leads = sa.Table("Leads", sa.MetaData(), autoload_with=engine)
    assert [c.name for c in leads.primary_key] == ["id"]
    types = {c.name: c.type for c in leads.columns}
    assert isinstance(types["id"], sa.String)
    assert isinstance(types["Last_Name"], sa.String) and types["Last_Name"].length
    assert isinstance(types["Lead_Source"], sa.String)  # a picklist
    assert isinstance(types["Annual_Revenue"], sa.Numeric)
    assert (types["Annual_Revenue"].precision, types["Annual_Revenue"].scale) == (18, 2)
    assert isinstance(types["No_of_Employees"], sa.BigInteger)
    assert isinstance(types["Email_Opt_Out"], sa.Boolean)
    created = types["Created_Time"]
    assert isinstance(created, sa.DateTime) and created.timezone
    assert isinstance(types["Owner"], sa.JSON)  # a lookup arrives as {"id", "name"}
    assert leads.columns["Last_Name"].comment == "Last Name"


def test_a_text_query_typed_with_the_reflected_columns(engine: sa.Engine) -> None:
    """``text(...).columns(*table.c)``: a lookup column (reflected as JSON) takes the dict
    the cursor returns, where SQLAlchemy's JSON type ran json.loads on it (sqla review 3)."""
    leads = sa.Table("Leads", sa.MetaData(), autoload_with=engine)
    query = sa.text("select Owner, Last_Name, Created_Time from Leads order by id limit 2")
    with engine.connect() as conn:
        rows = conn.execute(query.columns(leads.c.Owner, leads.c.Last_Name, leads.c.Created_Time)).all()
    assert len(rows) == 2 and set(rows[0].Owner) == {"id", "name"} and rows[0].Created_Time.tzinfo


def test_literal_binds_render_coql(engine: sa.Engine) -> None:
    """A query compiled with its values written in (``literal_binds``: previews, logs, a copy
    into the shell) is COQL that runs: a datetime with its T and offset, a date
    (sqla review 7: '2024-01-01 09:30:00+00:00' was refused)."""
    query = sa.text(
        "select Deal_Name from Deals where Closing_Date < :d and Created_Time > :t and "
        "Created_Time is not null order by id limit 2"
    ).bindparams(
        sa.bindparam("t", dt.datetime(2000, 1, 1, 9, 30, tzinfo=dt.timezone.utc)),
        sa.bindparam("d", dt.date(2100, 1, 1)),
    )
    written = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    assert "Created_Time > '2000-01-01T09:30:00+00:00'" in written
    assert "Closing_Date < '2100-01-01'" in written
    with engine.connect() as conn:
        assert len(conn.exec_driver_sql(written).all()) == 2


# ---- URLs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("coqlkit://", {}),
        ("coqlkit://prod", {"profile": "prod"}),
        ("coqlkit://?sandbox=true", {"sandbox": True}),
        ("coqlkit:///?sandbox=yes&records=3000&seed=7", {"sandbox": {"records": 3000, "seed": 7}}),
        ("coqlkit://prod?sandbox=false", {"profile": "prod"}),
        (
            "coqlkit://eu?max_credits=500&prefer=credits&tz=UTC&allow_bulk=off&latency_ms=50",
            {
                "profile": "eu",
                "max_credits": 500,
                "prefer": "credits",
                "tz": "UTC",
                "allow_bulk": False,
                "latency_ms": 50.0,
            },
        ),
    ],
)
def test_urls(url: str, expected: dict[str, Any]) -> None:
    assert CoqlkitDialect().create_connect_args(sa.make_url(url)) == ([], expected)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("coqlkit://me:secret@prod", "no username"),
        ("coqlkit://prod:443", "no port"),
        ("coqlkit://prod/Leads", "no database"),
        ("coqlkit://?colour=blue", "unknown coqlkit:// option 'colour'"),
        ("coqlkit://?records=10", "need sandbox=true"),
        ("coqlkit://prod?sandbox=true", "not both"),
        ("coqlkit://?sandbox=maybe", "true or false"),
        ("coqlkit://?max_credits=lots", "a number"),
        ("coqlkit://?tz=UTC&tz=CET", "more than once"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(sa.exc.ArgumentError, match=message):
        sa.create_engine(url)  # refused before anything connects


def test_a_url_starts_and_stops_a_sandbox() -> None:
    engine = sa.create_engine("coqlkit://?sandbox=true&records=200")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("select COUNT(id) from Leads").scalar() == 200
        raw = conn.connection.dbapi_connection
        assert isinstance(raw, dbapi.Connection) and raw.api.sandbox is not None
        address = urlsplit(raw.api.sandbox.base_url)
        assert engine.dialect.do_ping(raw)  # pool_pre_ping: no "select 1", an open connection is live
    engine.dispose()
    assert raw.closed and not engine.dialect.do_ping(raw)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address.hostname, address.port), timeout=2).close()


def test_connect_args_give_python_values(sandbox: Sandbox) -> None:
    engine = sa.create_engine("coqlkit://", connect_args={"sandbox": sandbox, "max_credits": 2})
    try:
        with engine.connect() as conn, pytest.raises(sa.exc.OperationalError) as caught:
            conn.execute(sa.text("select Last_Name from Leads"))  # more than 2 credits
        assert isinstance(caught.value.orig, dbapi.OperationalError)
    finally:
        engine.dispose()


# ---- JupySQL --------------------------------------------------------------------------------


def test_jupysql_creator(ipython: Any, sandbox: Sandbox, oracle: sqlite3.Connection) -> None:
    """``%sql --creator make coqlkit://`` hands ``make`` to
    ``sqlalchemy.create_engine("coqlkit://", creator=make)``: the URL names the dialect,
    the function makes each connection."""
    made: list[dbapi.Connection] = []

    def make() -> dbapi.Connection:
        made.append(dbapi.connect(sandbox=sandbox))
        return made[-1]

    ipython.user_ns["make"] = make
    ipython.run_line_magic("sql", "--creator make coqlkit://")

    result = ipython.run_line_magic(
        "sql", "select Last_Name, Lead_Source from Leads where Lead_Source = 'Chat'"
    )
    frame = result.DataFrame()
    assert list(frame.columns) == ["Last_Name", "Lead_Source"]
    assert len(frame) == count(oracle, "Lead_Source = 'Chat'")
    assert "Last_Name" in str(result)

    # A cell into a variable, with a :name parameter bound by SQLAlchemy from the namespace.
    ipython.run_line_magic("config", "SqlMagic.named_parameters = 'enabled'")
    ipython.user_ns["status"] = "Contacted"
    ipython.run_cell_magic(
        "sql", "df <<", "select Last_Name, Annual_Revenue from Leads\nwhere Lead_Status = :status\n"
    )
    assert len(ipython.user_ns["df"].DataFrame()) == count(oracle, "Lead_Status = 'Contacted'")

    ipython.run_line_magic("config", "SqlMagic.autopandas = True")
    groups = ipython.run_line_magic("sql", "select Lead_Source, COUNT(id) from Leads group by Lead_Source")
    assert int(groups["COUNT(id)"].sum()) == RECORDS

    tables = ipython.run_line_magic("sqlcmd", "tables")  # through the dialect's reflection
    assert "Leads" in str(tables)
    # A table's columns: JupySQL first asks `select * from "Leads" where 1=0` (answered here,
    # with no call: it said there was no table Leads).
    columns = ipython.run_line_magic("sqlcmd", "columns -t Leads")
    assert "Last_Name" in str(columns) and "Annual_Revenue" in str(columns)

    # JupySQL shows SQLAlchemy's errors as its own (a UsageError), the original as the cause.
    from IPython.core.error import UsageError

    with pytest.raises(UsageError, match="reads only") as write:
        ipython.run_line_magic("sql", "delete from Leads where Lead_Source = 'Chat'")
    assert isinstance(write.value.__cause__, sa.exc.NotSupportedError)
    with pytest.raises(UsageError, match="did you mean Last_Name") as typo:
        ipython.run_line_magic("sql", "select Last_Nme from Leads")
    assert isinstance(typo.value.__cause__, sa.exc.ProgrammingError)

    ipython.run_line_magic("sql", "--close coqlkit://")
    assert made and all(conn.closed for conn in made)


# ---- rows are the SELECT list; no schemas ------------------------------------------------------


def test_scalar_is_the_column_selected(engine: sa.Engine, oracle: sqlite3.Connection) -> None:
    first = oracle.execute("select Last_Name, Email from Leads order by id limit 3").fetchall()
    with engine.connect() as conn:
        name = conn.execute(
            sa.text("select Last_Name from Leads where Email = :e limit 1"), {"e": first[0][1]}
        ).scalar()
        assert name == first[0][0]
        names = conn.execute(sa.text("select Last_Name from Leads order by id limit 3")).scalars().all()
        assert names == [n for n, _ in first]
        result = conn.execute(sa.text("select Email, id from Leads order by id limit 1"))
        assert list(result.keys()) == ["Email", "id"]
        (lowest,) = oracle.execute("select min(id) from Leads").fetchone()
        assert result.one() == (first[0][1], str(lowest))


def test_there_are_no_schemas(engine: sa.Engine) -> None:
    inspector = sa.inspect(engine)
    assert inspector.get_schema_names() == []
    assert inspector.default_schema_name is None
    assert "Leads" in inspector.get_table_names()  # schema=None: the modules
