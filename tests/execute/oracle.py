"""The oracle of the end-to-end tests: what a query must return, read straight from the
sandbox's SQLite file and typed as Arrow by rules written here.

Nothing here goes through coqlkit's planner, executor, Arrow typing or the sandbox's
COQL → SQL compiler: the SQL is written by hand in each test (WHERE, ORDER BY) from the
storage table in ``coqlkit/sandbox/store.py``, and each stored value is turned into the
value the result must hold by :func:`convert`:

=========================================  ===============================================
stored (SQLite)                            expected in the result (Arrow)
=========================================  ===============================================
``id`` / lookup id, INTEGER                digit string; a lookup is ``{id, name}`` with
                                           the target's display field as ``name``
TEXT                                       the same text (JSON-valued fields: compact JSON)
TEXT ``a;b`` (multi-select)                ``["a", "b"]``
INTEGER                                    int64 (booleans: ``bool``)
REAL                                       float64, or the exact decimal at the field's scale
TEXT ``YYYY-MM-DD``                        date32
TEXT ``YYYY-MM-DDTHH:MM:SS`` (UTC)         the instant, as a ``timestamp[s, tz]``
=========================================  ===============================================

The Arrow *types* are the ones ``coqlkit.execute.result_schema(plan)`` promises; the oracle
takes that schema and builds its own values of those types, so a wrong value, a wrong
null, a wrong order or a wrong type all show up as a difference.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from coqlkit.catalog import Catalog, Field

__all__ = ["Oracle", "assert_same_table", "comparable", "expected_type", "quote"]

UTC = dt.timezone.utc
# Field types stored as JSON text (store.py), and text fields whose values are JSON (Tag).
JSON_DATA_TYPES = frozenset(
    {
        "layout",
        "unknown",
        "territories",
        "fileupload",
        "imageupload",
        "subform",
        "multiselectlookup",
        "multiuserlookup",
    }
)
TEXT_DATA_TYPES = frozenset({"text", "textarea", "email", "phone", "website", "autonumber", "profileimage"})
LOOKUP_DATA_TYPES = frozenset(
    {"lookup", "ownerlookup", "userlookup", "consent_lookup", "multi_module_lookup"}
)
NAMED_LOOKUPS = frozenset({"lookup", "ownerlookup", "userlookup"})


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Oracle:
    """Read-only SQL on a sandbox's database file, with results typed like a coqlkit result."""

    def __init__(self, path: str, catalog: Catalog) -> None:
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        self.catalog = catalog

    def close(self) -> None:
        self.conn.close()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        assert row is not None, sql
        return row[0]

    # ---- the columns of a record query ----------------------------------------------------

    def field(self, module: str, name: str) -> Field:
        found = self.catalog.module(module)
        assert found is not None and found.fields is not None, module
        field = found.fields.get(name)
        assert field is not None, f"{module}.{name}"
        return field

    def column_sql(self, module: str, schema: pa.Schema, alias: str = "t") -> list[str]:
        """The SQL expressions of a record query's columns (``schema``: the result's), a
        lookup as two (its id, then its target's display name)."""
        out = []
        for item in schema:
            name = item.name
            field = self.field(module, name)
            out.append(f"{alias}.{quote(name)}")
            if field.data_type in LOOKUP_DATA_TYPES:
                out.append(self._display(field, f"{alias}.{quote(name)}"))
        return out

    def _display(self, field: Field, id_sql: str) -> str:
        if field.data_type not in NAMED_LOOKUPS:
            return "NULL"  # consent and multi-module lookups: {"id"} only
        target = self.catalog.module(field.lookup_module or "")
        display = target.display_field if target is not None else None
        if target is None or display is None:
            return "NULL"
        return f"(SELECT {quote(display.api_name)} FROM {quote(target.api_name)} WHERE id = {id_sql})"

    def records(
        self,
        module: str,
        schema: pa.Schema,
        *,
        where: str = "1",
        order: str = "t.id",
        limit: int | None = None,
        offset: int = 0,
        params: Sequence[Any] = (),
    ) -> pa.Table:
        """``SELECT <schema's columns> FROM module AS t WHERE <where> ORDER BY <order>``,
        sliced, as a table of ``schema`` (``where`` and ``order`` are hand-written SQL)."""
        sql = (
            f"SELECT {', '.join(self.column_sql(module, schema))} FROM {quote(module)} AS t "
            f"WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"
        )
        rows = self.rows(sql, [*params, -1 if limit is None else limit, offset])
        return self.to_table(rows, schema, module)

    def to_table(self, rows: list[tuple[Any, ...]], schema: pa.Schema, module: str | None = None) -> pa.Table:
        """SQL rows (a lookup as two columns: id, name) as a table of ``schema``."""
        arrays = []
        position = 0
        for item in schema:
            field = self._field_of(item, module)
            if pa.types.is_struct(item.type):
                ids = [r[position] for r in rows]
                names = [r[position + 1] for r in rows]
                position += 2
                arrays.append(_lookups(ids, names, item.type))
            else:
                arrays.append(convert([r[position] for r in rows], item.type, field))
                position += 1
        assert not rows or position == len(rows[0]), "the SQL has more columns than the schema"
        return pa.Table.from_arrays(arrays, schema=schema)

    def _field_of(self, item: pa.Field, module: str | None) -> Field | None:
        meta = item.metadata or {}
        api_name = meta.get(b"zoho.api_name", b"").decode()
        if module is None or meta.get(b"zoho.aggregate") or api_name == "id":
            return None
        found = self.catalog.module(module)
        return None if found is None or found.fields is None else found.fields.get(api_name)


def _is_json(field: Field | None) -> bool:
    """Stored and returned as JSON: the JSON types, and text whose values are JSON (``Tag``)."""
    if field is None:
        return False
    json_text = field.data_type in TEXT_DATA_TYPES and field.json_type in ("jsonarray", "jsonobject")
    return field.data_type in JSON_DATA_TYPES or json_text


def _compact(text: str) -> str:
    return json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)


def convert(values: list[Any], target: pa.DataType, field: Field | None = None) -> pa.Array:
    """Stored values (one column of SQL rows) as the values of a result column of ``target``."""
    if pa.types.is_string(target):
        if _is_json(field):
            return pa.array([None if v is None else _compact(v) for v in values], pa.string())
        return pa.array([None if v is None else str(v) for v in values], pa.string())
    if pa.types.is_dictionary(target):
        return pa.array(values, pa.string()).dictionary_encode().cast(target)
    if pa.types.is_list(target):
        return pa.array([v.split(";") if v else None for v in values], target)
    if pa.types.is_integer(target):
        return pa.array([None if v is None else int(v) for v in values], target)
    if pa.types.is_floating(target):
        return pa.array([None if v is None else float(v) for v in values], target)
    if pa.types.is_decimal(target):
        step = Decimal(1).scaleb(-target.scale)
        return pa.array(
            [None if v is None else Decimal(repr(float(v))).quantize(step) for v in values], target
        )
    if pa.types.is_boolean(target):
        return pa.array([None if v is None else bool(v) for v in values], target)
    if pa.types.is_date32(target):
        return pa.array([None if v is None else dt.date.fromisoformat(v) for v in values], target)
    if pa.types.is_timestamp(target):
        instants = [None if v is None else dt.datetime.fromisoformat(v).replace(tzinfo=UTC) for v in values]
        return pa.array(instants, pa.timestamp(target.unit, tz="UTC")).cast(target)
    raise AssertionError(f"no oracle conversion to {target}")


def _lookups(ids: list[Any], names: list[Any], target: pa.DataType) -> pa.Array:
    return pa.array(
        [None if i is None else {"id": str(i), "name": n} for i, n in zip(ids, names, strict=True)], target
    )


def _decimal(field: Field) -> pa.DataType:
    """Zoho allows 16 digits (or ``length``), places counted in or not: room for both."""
    places = field.decimal_place if field.decimal_place is not None else 2
    return pa.decimal128(max(18, min(38, (field.length or 16) + places)), places)


def expected_type(field: Field, tz: str = "UTC") -> pa.DataType:
    """The Arrow type DESIGN.md promises for a field (read from the design, not from arrow.py)."""
    kind = field.data_type
    if field.api_name == "id" or _is_json(field):
        return pa.string()
    if kind in LOOKUP_DATA_TYPES:
        return pa.struct([pa.field("id", pa.string()), pa.field("name", pa.string())])
    by_type: dict[str, pa.DataType] = {
        "picklist": pa.dictionary(pa.int32(), pa.string()),
        "multiselectpicklist": pa.list_(pa.string()),
        "integer": pa.int64(),
        "bigint": pa.int64(),
        "double": pa.float64(),
        "percent": pa.float64(),
        "currency": _decimal(field),
        "decimal": _decimal(field),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "datetime": pa.timestamp("s", tz=tz),
    }
    return by_type.get(kind, pa.string())


# ---- comparing ------------------------------------------------------------------------------


def comparable(table: pa.Table) -> pa.Table:
    """One chunk per column, dictionaries as their strings (a picklist's dictionary differs
    from batch to batch; its values are what count)."""
    columns = []
    for column in table.columns:
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        columns.append(column.combine_chunks())
    return pa.Table.from_arrays(columns, names=table.column_names)


def assert_same_table(got: pa.Table, expected: pa.Table, *, approx: Sequence[str] = ()) -> None:
    """Equal row for row and typed (schema with its metadata included); ``approx``: float
    or decimal columns compared to a relative 1e-9 (sums computed in another order, or by
    SQLite over doubles)."""
    assert got.schema.equals(expected.schema, check_metadata=True), (
        f"schemas differ:\n{got.schema}\n---\n{expected.schema}"
    )
    assert got.num_rows == expected.num_rows, f"{got.num_rows:,} rows, expected {expected.num_rows:,}"
    a, b = comparable(got), comparable(expected)
    ids = a.column("id") if "id" in a.column_names else None
    for name in a.column_names:
        left, right = a.column(name), b.column(name)
        if name in approx:
            assert pc.all(pc.equal(pc.is_null(left), pc.is_null(right))).as_py() in (True, None), name
            lv, rv = left.to_pylist(), right.to_pylist()
            for row, (x, y) in enumerate(zip(lv, rv, strict=True)):
                assert x is None or float(abs(x - y)) <= 1e-9 * max(1.0, float(abs(y))), (name, row, x, y)
            continue
        if left.equals(right):
            continue
        lv, rv = left.to_pylist(), right.to_pylist()
        row = next((i for i, (x, y) in enumerate(zip(lv, rv, strict=True)) if x != y), None)
        where = f" (id {ids[row]})" if ids is not None and row is not None else ""
        shown = "" if row is None else f" first at row {row:,}{where}: got {lv[row]!r}, expected {rv[row]!r}"
        raise AssertionError(f"column {name!r} differs{shown}")
