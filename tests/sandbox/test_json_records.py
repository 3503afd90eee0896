"""Records made as JSON text by SQLite (``sql.json_select``) equal the records the Python
path makes (``sql.records``), value for value and type for type: every selectable field of
every demo module, and stored values chosen to be awkward (doubles that need 17 digits,
empty and quoted multi-selects, control characters, datetimes in a daylight-saving switch)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coqlkit.catalog import FieldType
from coqlkit.sandbox.checks import check_query, parse_strict
from coqlkit.sandbox.config import SandboxConfig
from coqlkit.sandbox.errors import ZohoError
from coqlkit.sandbox.sql import compile_select, json_select, records
from coqlkit.sandbox.state import SandboxState
from coqlkit.sandbox.store import Store, quote_name


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxState]:
    db = Path(tmp_path_factory.mktemp("json-records")) / "org.sqlite3"
    opened = SandboxState.open(SandboxConfig(records=400, db=str(db)))
    awkward(opened.store)
    yield opened
    opened.store.close()


def awkward(store: Store) -> None:
    """Give the first Leads values each way of writing JSON must get right."""
    ids = [row[0] for row in store.query('SELECT id FROM "Leads" ORDER BY id LIMIT 6')]
    changes = [
        {"Annual_Revenue": 0.1 + 0.2, "Languages_Spoken": "", "Last_Name": 'Zoë "q" \\ \n\t\x01 😀'},
        {"Annual_Revenue": 123456789012345.67, "Languages_Spoken": 'a;b "c";d\\e', "City": "Ünïcode"},
        {"Annual_Revenue": 1 / 3, "Created_Time": "2024-03-10T10:30:00"},  # LA's spring switch hour
        {"Annual_Revenue": 1e20, "Created_Time": "2024-11-03T09:59:59"},  # and its autumn one
        {"Annual_Revenue": -0.5, "Created_Time": "2024-11-03T08:15:00", "Email_Opt_Out": 0},
        {"Annual_Revenue": None, "Languages_Spoken": None, "Created_Time": None, "Owner": None},
    ]
    conn = store.conn
    with conn:
        for record_id, change in zip(ids, changes, strict=True):
            sets = ", ".join(f"{quote_name(k)} = ?" for k in change)
            conn.execute(f'UPDATE "Leads" SET {sets} WHERE id = ?', [*change.values(), record_id])


def shaped(value: Any) -> Any:
    """A JSON value with the type of every number kept (1 and 1.0 differ)."""
    if isinstance(value, dict):
        return {k: shaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shaped(v) for v in value]
    return (type(value).__name__, value)


def selectable(state: SandboxState, module: str) -> list[str]:
    """The fields of ``module`` a COQL SELECT may name."""
    names = []
    found = state.catalog.module(module)
    for field in (found.fields or {}).values() if found is not None else ():
        try:
            check_query(
                parse_strict(f"select {field.api_name} from {module} where id is not null"), state.catalog
            )
        except ZohoError:
            continue
        names.append(field.api_name)
    return names


def both_ways(state: SandboxState, query: str) -> tuple[list[Any], list[Any]]:
    store = state.store
    compiled = compile_select(store, parse_strict(query))
    made = json_select(compiled)
    assert made is not None, query
    by_sql = [json.loads(row[0]) for row in store.query(*made)]
    by_python = records(store, compiled, list(store.query(*compiled.sql())))
    return by_sql[: compiled.limit], by_python[: compiled.limit]


def test_every_field_of_every_module(state: SandboxState) -> None:
    checked = set()
    for module in state.catalog:
        if not state.store.count(module.api_name):
            continue
        fields = selectable(state, module.api_name)
        for start in range(0, len(fields), 50):
            chunk = fields[start : start + 50]
            query = f"select {', '.join(chunk)} from {module.api_name} where id is not null limit 2000"
            by_sql, by_python = both_ways(state, query)
            assert by_sql, query
            assert [shaped(r) for r in by_sql] == [shaped(r) for r in by_python], query
            checked.update(module.fields[f].type for f in chunk if module.fields)
    for kind in (FieldType.DATETIME, FieldType.MULTISELECTPICKLIST, FieldType.BOOLEAN, FieldType.CURRENCY):
        assert kind in checked
    assert FieldType.LOOKUP in checked and FieldType.OWNERLOOKUP in checked


def test_awkward_values_and_dot_paths(state: SandboxState) -> None:
    query = (
        "select Last_Name, City, Annual_Revenue, Languages_Spoken, Created_Time, Email_Opt_Out, Owner, "
        "Owner.email, Owner.role.name from Leads where id is not null limit 6"
    )
    by_sql, by_python = both_ways(state, query)
    assert [shaped(r) for r in by_sql] == [shaped(r) for r in by_python]
    first, second, third, fourth, fifth, sixth = by_sql
    assert first["Annual_Revenue"] == 0.1 + 0.2 and first["Languages_Spoken"] == []
    assert first["Last_Name"] == 'Zoë "q" \\ \n\t\x01 😀'
    assert second["Annual_Revenue"] == 123456789012345.67
    assert second["Languages_Spoken"] == ["a", 'b "c"', "d\\e"]
    assert third["Created_Time"] == "2024-03-10T03:30:00-07:00"
    assert fourth["Created_Time"] == "2024-11-03T01:59:59-08:00" and fourth["Annual_Revenue"] == 1e20
    assert fifth["Created_Time"] == "2024-11-03T01:15:00-07:00" and fifth["Email_Opt_Out"] is False
    assert sixth["Owner"] is None and sixth["Created_Time"] is None and sixth["Languages_Spoken"] is None


def test_grouped_rows_stay_with_python(state: SandboxState) -> None:
    compiled = compile_select(
        state.store,
        parse_strict("select Lead_Status, COUNT(id) from Leads where id is not null group by Lead_Status"),
    )
    assert json_select(compiled) is None
