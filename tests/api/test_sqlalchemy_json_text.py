"""Reflected columns hold the values read through the engine (review 7, types 4): a field
whose values arrive as JSON text (territories, uploads, layouts, ``Tag``) reflects as
``Text``, not as ``String(length)``, Zoho's length for one item."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable

from coqlkit import dbapi
from coqlkit.sandbox.server import Sandbox

TERRITORIES = [{"name": f"Region {n}", "id": f"41508680000006000{n:02}"} for n in range(4)]
TAGS = [{"name": f"Tag number {n}", "id": f"41508680000005000{n:02}"} for n in range(10)]


def test_json_text_fields_reflect_as_text_long_enough_for_their_values(tmp_path: Path) -> None:
    org = tmp_path / "org.sqlite3"
    with Sandbox(records=100, db=str(org)):
        pass  # seeded
    with sqlite3.connect(org) as db:  # a deal in four territories, with ten tags
        deal = db.execute("select min(id) from Deals").fetchone()[0]
        db.execute(
            "update Deals set Territories = ?, Tag = ? where id = ?",
            (json.dumps(TERRITORIES), json.dumps(TAGS), deal),
        )
    with Sandbox(records=100, db=str(org)) as sandbox:
        engine = sa.create_engine("coqlkit://", creator=lambda: dbapi.connect(sandbox=sandbox))
        try:
            deals = sa.Table("Deals", sa.MetaData(), autoload_with=engine)
            with engine.connect() as conn:
                row = conn.execute(
                    sa.text(f"select Territories, Tag, Deal_Name from Deals where id = '{deal}'")
                ).one()
        finally:
            engine.dispose()
    for name in ("Territories", "Tag", "Layout", "Contract_File"):
        assert type(deals.c[name].type) is sa.Text, name
    assert (
        type(deals.c.Deal_Name.type) is sa.String and deals.c.Deal_Name.type.length
    )  # text keeps its length
    for name, value in row._mapping.items():
        length = getattr(deals.c[name].type, "length", None)
        assert length is None or len(value) <= length, (name, length, len(value))
    assert json.loads(row.Territories) == TERRITORIES
    ddl = str(CreateTable(deals).compile(dialect=postgresql.dialect()))
    assert '"Territories" TEXT' in ddl and '"Tag" TEXT' in ddl
