"""Types in the machine formats, end to end: Long Integers in JSON, and one CSV dialect.

A sandbox org whose first Leads hold edge values (types review 5, findings 4 and 6): an
18-digit Customer_Number (a bigint field), an empty First_Name next to a null one, text
with a comma, a quote and a line break, a 14-digit currency and a double of 1e20. The
commands run as a user runs them (``coqlkit.cli.main``, the sandbox over HTTP).
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv
import pytest

from coqlkit.catalog import Catalog
from coqlkit.cli import main
from coqlkit.execute.arrow import records_to_batch, schema
from coqlkit.plan.columns import OutputColumn
from coqlkit.repl.config import ReplConfig
from coqlkit.repl.output import render
from coqlkit.sandbox.server import Sandbox

FIRST = 4150868000100000001
#: Customer_Number (bigint) of the first four Leads: each is changed by a double.
LONG = [999999999999999999, -999999999999999999, 1234567890123456789, 9007199254740993]
#: The first four Leads' text: an empty First_Name (1), a null one (2), text to quote (3).
NAMES: list[str | None] = ["", None, 'Ça, "quoted"\nline', "plain"]
QUERY = (
    "select Customer_Number, No_of_Employees, First_Name, Website, Annual_Revenue, "
    f"Average_Time_Spent_Minutes from Leads where id <= {FIRST + 3} order by id"
)


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox of 200 Leads whose first four hold the edge values."""
    db = tmp_path_factory.mktemp("types") / "edge.sqlite3"
    with Sandbox(records=200, db=str(db), token_limit=0):  # seeds the file
        pass
    with sqlite3.connect(db) as org:
        for offset, (number, name) in enumerate(zip(LONG, NAMES, strict=True)):
            org.execute(
                "update Leads set Customer_Number = ?, First_Name = ?, Website = ?, No_of_Employees = ?,"
                " Annual_Revenue = ?, Average_Time_Spent_Minutes = ? where id = ?",
                (number, name, "" if offset == 0 else None, 7, 99999999999999.99, 1e20, FIRST + offset),
            )
    with Sandbox(records=200, db=str(db), token_limit=0) as running:
        yield running


@pytest.fixture
def cli(edge: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """``cli(*args, stdin=...)``: ``coqlkit ARGS`` against the edge org; its standard output."""
    for name, value in edge.environment().items():
        monkeypatch.setenv(name, value)

    def run(*args: str, stdin: str = "") -> str:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        status = main(list(args))
        out, err = capsys.readouterr()
        assert status == 0, err
        return out

    return run


def as_javascript(text: str) -> Any:
    """JSON read as JavaScript's ``JSON.parse`` and jq read it: every number a double."""
    return json.loads(text, parse_int=float, parse_float=float)


# ---- finding 4: Long Integers are strings in JSON -----------------------------------------------


def test_query_jsonl_writes_long_integers_as_strings_that_javascript_keeps(cli: Any) -> None:
    rows = [as_javascript(line) for line in cli("query", "-c", QUERY, "--format", "jsonl").splitlines()]
    assert [r["Customer_Number"] for r in rows] == [str(n) for n in LONG]  # every digit
    assert [r["No_of_Employees"] for r in rows] == [7, 7, 7, 7]  # an integer field: a number


def test_export_json_and_the_shells_export_write_them_the_same(cli: Any, tmp_path: Path) -> None:
    cli("export", QUERY, str(tmp_path / "out.json"))
    cli(stdin=f"{QUERY};\n\\export {tmp_path / 'shell.jsonl'}\n")
    exported = as_javascript((tmp_path / "out.json").read_text())
    shell = [as_javascript(line) for line in (tmp_path / "shell.jsonl").read_text().splitlines()]
    for rows in (exported, shell):
        assert [r["Customer_Number"] for r in rows] == [str(n) for n in LONG]
        assert rows[0]["id"] == str(FIRST)  # as ids are


def test_aggregates_of_a_long_integer_are_strings_and_counts_numbers(cli: Any) -> None:
    text = cli(
        "query",
        "-c",
        "select MAX(Customer_Number), MIN(Customer_Number), COUNT(id) from Leads",
        "--format",
        "json",
    )
    (row,) = as_javascript(text)
    assert row["MAX(Customer_Number)"] == str(max(LONG)) and row["MIN(Customer_Number)"] == str(min(LONG))
    assert row["COUNT(id)"] == 200


def _demo(module: str, *names: str, aggregate: str | None = None) -> list[OutputColumn]:
    found = Catalog.demo().module(module)
    assert found is not None and found.fields
    return [
        OutputColumn(f"{aggregate}({n})" if aggregate else n, found.fields[n], aggregate=aggregate)
        for n in names
    ]


@pytest.mark.parametrize(
    ("columns", "value", "as_string"),
    [
        (_demo("Leads", "Customer_Number", aggregate="SUM"), 2**62, True),  # a SUM of Long Integers
        (_demo("Leads", "Customer_Number", aggregate="MAX"), 2**62, True),
        (_demo("Leads", "No_of_Employees", aggregate="SUM"), 1763, False),  # a SUM of 9-digit numbers
        (_demo("Leads", "id", aggregate="COUNT"), 3000, False),  # COUNT(id): id is a bigint
        (_demo("Leads", "No_of_Employees"), 13, False),
    ],
)
def test_which_integer_columns_json_writes_as_strings(
    columns: list[OutputColumn], value: int, as_string: bool
) -> None:
    batch = records_to_batch([{columns[0].key: value}], schema(columns), columns)
    (row,) = json.loads(render(batch, config=ReplConfig(), fmt="json").text)
    assert row[columns[0].key] == (str(value) if as_string else value)


# ---- finding 6: one CSV dialect ------------------------------------------------------------------


def _strict(path: Path) -> pa.Table:
    """A CSV read as PostgreSQL's COPY reads it: "" an empty text, an empty cell a null."""
    options = pcsv.ConvertOptions(strings_can_be_null=True, quoted_strings_can_be_null=False)
    return pcsv.read_csv(path, convert_options=options)


def test_query_csv_and_export_csv_write_the_same_bytes(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "query.csv"
    out.write_text(cli("query", "-c", QUERY, "--format", "csv"), newline="")
    cli("query", "-c", QUERY, "-o", str(tmp_path / "o.csv"))
    cli("export", QUERY, str(tmp_path / "export.csv"))
    cli(stdin=f"\\T csv\n\\o {tmp_path / 'shell.csv'}\n{QUERY};\n")
    written = {
        p.name: p.read_bytes() for p in (out, *(tmp_path / n for n in ("o.csv", "export.csv", "shell.csv")))
    }
    assert len(set(written.values())) == 1, written


def test_csv_tells_an_empty_text_from_a_null_and_leaves_numbers_bare(cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "leads.csv"
    cli("export", QUERY, str(target))
    lines = target.read_text().splitlines()
    assert re.fullmatch(rf'{FIRST},{LONG[0]},7,"","",\d{{14}}\.\d\d,100000000000000000000', lines[1])
    assert lines[2].startswith(f"{FIRST + 1},{LONG[1]},7,,,")  # nulls: nothing
    assert ',"Ça, ""quoted""' in target.read_text()  # quoted only when it must be
    back = _strict(target)
    assert back.column("First_Name").to_pylist() == NAMES
    assert back.column("Website").to_pylist() == ["", None, None, None]
    assert back.column("Customer_Number").to_pylist() == LONG  # read back as numbers
    assert pa.types.is_floating(back.schema.field("Average_Time_Spent_Minutes").type)
    assert back.schema.field("Annual_Revenue").type != pa.string()  # not quoted: not text
