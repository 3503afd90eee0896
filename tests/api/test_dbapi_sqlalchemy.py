"""The ``coqlkit://`` dialect on what :mod:`coqlkit.dbapi` now returns: rows that are the
SELECT list (``.scalar()`` is the value selected, not the record id) and reflection that
answers the schema questions browsing tools ask first."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import registry

from coqlkit import dbapi
from coqlkit.sandbox.server import Sandbox

registry.register("coqlkit", "coqlkit.sqlalchemy", "CoqlkitDialect")


@pytest.fixture(scope="module")
def engine(sandbox: Sandbox) -> Iterator[sa.Engine]:
    engine = sa.create_engine("coqlkit://", creator=lambda: dbapi.connect(sandbox=sandbox))
    try:
        yield engine
    finally:
        engine.dispose()


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
