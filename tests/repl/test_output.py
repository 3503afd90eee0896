"""Output formats, display values, the row cap and the pager (coqlkit.repl.output).

The result under test is built the way the executor builds one: ``schema`` and
``records_to_batch`` over columns of demo-org fields, one of each Arrow type coqlkit
produces, in a time zone with an offset. One test reads real rows from a sandbox.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from coqlkit.catalog import Catalog
from coqlkit.errors import ConfigError
from coqlkit.execute.arrow import records_to_batch, schema
from coqlkit.plan.columns import OutputColumn
from coqlkit.repl.config import ReplConfig
from coqlkit.repl.output import (
    DEFAULT_PAGER,
    MACHINE_FORMATS,
    format_names,
    needs_pager,
    page,
    pager_command,
    render,
    resolve_format,
    run_pager,
    take,
    text_width,
    write,
)

TZ = "America/Los_Angeles"
OWNER_ID = "4150868000000225013"
DESCRIPTION = "line one\nline two\twith \x1b[31mred\x1b[0m and \u202eevil " + "x" * 80


def _columns() -> list[OutputColumn]:
    demo = Catalog.demo()
    products = demo.module("Products")
    leads = demo.module("Leads")
    assert products is not None and products.fields and leads is not None and leads.fields
    p, lead = products.fields, leads.fields
    picks = [
        ("id", p),  # id: string
        ("Product_Name", p),  # text
        ("Product_Category", p),  # picklist: dictionary<int32, string>
        ("Tax", p),  # multiselectpicklist: list<string>
        ("Reorder_Level", p),  # integer: int64
        ("Visitor_Score", lead),  # bigint: int64 from a digit string
        ("Qty_in_Stock", p),  # double: float64
        ("Unit_Price", p),  # currency: decimal128(18, 2)
        ("Weight_Kg", p),  # decimal: decimal128(18, 3)
        ("Product_Active", p),  # boolean
        ("Sales_Start_Date", p),  # date32
        ("Created_Time", p),  # timestamp[s, tz]
        ("Owner", p),  # ownerlookup: struct<id, name>
        ("Product_Photo", p),  # imageupload: JSON text
        ("Description", p),  # textarea
    ]
    return [OutputColumn(name, fields[name]) for name, fields in picks]


RECORDS: list[dict[str, Any]] = [
    {
        "id": "4150868000000224003",
        "Product_Name": "Widget",
        "Product_Category": "Hardware",
        "Tax": ["VAT", "Sales Tax"],
        "Reorder_Level": 5,
        "Visitor_Score": "9007199254740993",
        "Qty_in_Stock": 12.5,
        "Unit_Price": 1234.5,
        "Weight_Kg": 0.125,
        "Product_Active": True,
        "Sales_Start_Date": "2024-05-01",
        "Created_Time": "2024-05-01T09:30:00+05:30",
        "Owner": {"id": OWNER_ID, "name": "Patricia Boyle"},
        "Product_Photo": [{"File_Name": "a.png", "Size": 10}],
        "Description": DESCRIPTION,
    },
    {"id": "4150868000000224004", "Product_Name": "", "Tax": [], "Owner": None},  # nulls, an empty text
    {
        "id": "4150868000000224005",
        "Product_Name": '東京 "quoted", comma | pipe',
        "Reorder_Level": -7,
        "Qty_in_Stock": 0.1,
        "Unit_Price": 0,
        "Weight_Kg": 1e-3,
        "Product_Active": False,
        "Sales_Start_Date": "1999-12-31",
        "Created_Time": "2024-01-15T23:59:59Z",
        "Owner": {"id": "17", "name": None},
        "Description": "tab\there; semi;colon\r\nCRLF",
    },
]


@pytest.fixture(scope="module")
def result() -> pa.Table:
    """One batch of every type coqlkit produces, datetimes in Los Angeles time."""
    columns = _columns()
    return pa.Table.from_batches([records_to_batch(RECORDS, schema(columns, tz=TZ), columns)])


def _config(**changes: Any) -> ReplConfig:
    return ReplConfig(**changes)


# ---- formats ------------------------------------------------------------------------------------


def test_format_names_are_ours_then_every_tabulate_style() -> None:
    from tabulate import tabulate_formats

    names = format_names()
    assert names[:8] == ["table", "vertical", "auto", "markdown", "csv", "tsv", "json", "jsonl"]
    assert set(tabulate_formats) <= set(names)  # tabulate's "tsv" style is our exact TSV
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("TABLE", "table"),
        (" md ", "markdown"),
        ("x", "vertical"),
        ("ndjson", "jsonl"),
        ("Fancy_Grid", "fancy_grid"),
    ],
)
def test_resolve_format_reads_any_case_and_aliases(name: str, expected: str) -> None:
    assert resolve_format(name) == expected


def test_an_unknown_format_names_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match="unknown format 'xyzzy'; choose one of: table, vertical, auto"):
        resolve_format("xyzzy")


@pytest.mark.parametrize(("typed", "meant"), [("tabel", "table"), ("jsonn", "json"), ("vert", "vertical")])
def test_an_unknown_format_close_to_one_names_that_one(typed: str, meant: str) -> None:
    """A typo is answered with the format meant, not with the 44 names of them all."""
    with pytest.raises(ConfigError) as raised:
        resolve_format(typed)
    assert str(raised.value) == f"unknown format {typed!r}: did you mean {meant}?"


@pytest.mark.parametrize("fmt", format_names())
def test_every_format_renders_every_type(result: pa.Table, fmt: str) -> None:
    rendered = render(result, config=_config(), fmt=fmt, width=10_000)
    assert "Widget" in rendered.text
    assert rendered.shown == rendered.total == 3
    assert (rendered.footer is None) == (fmt in MACHINE_FORMATS)
    assert "\x1b" not in rendered.screen and "\u202e" not in rendered.screen  # nothing a terminal acts on


# ---- values for people --------------------------------------------------------------------------


def _row(text: str, key: str) -> str:
    return next(line for line in text.splitlines() if key in line)


def test_table_shows_values_as_people_read_them(result: pa.Table) -> None:
    text = render(result, config=_config()).text
    first = _row(text, "4150868000000224003")
    for shown in (
        "Widget",
        "Hardware",
        "VAT; Sales Tax",
        " 5 ",
        " 9007199254740993 ",
        " 12.5 ",
        " 1234.50 ",  # a decimal shows every digit of its scale
        " 0.125 ",
        " true ",
        "2024-05-01",
        "2024-04-30T21:00:00-07:00",  # the instant, in the result's zone, with its offset
        "Patricia Boyle",
        '[{"File_Name":"a.png","Size":10}]',
    ):
        assert shown in first, shown
    assert OWNER_ID not in first  # a lookup shows its name
    third = _row(text, "4150868000000224005")
    assert " -7 " in third and " 0.00 " in third and " 0.001 " in third and " false " in third
    assert "2024-01-15T15:59:59-08:00" in third
    assert " 17 " in third  # a lookup without a name shows its id


def test_table_aligns_numbers_right_and_text_left(result: pa.Table) -> None:
    header = render(result, config=_config()).text.splitlines()[1]
    by_name = {c.strip(): c for c in header.split("|")[1:-1]}
    assert by_name["Unit_Price"].startswith("  ") and by_name["Unit_Price"].endswith(" Unit_Price ")
    assert by_name["Product_Name"].startswith(" Product_Name")


def test_nulls_show_distinctly_from_empty_text(result: pa.Table) -> None:
    text = render(result, config=_config()).text
    second = [c.strip() for c in _row(text, "4150868000000224004").split("|")[1:-1]]
    assert second[1] == ""  # Product_Name: an empty text
    assert second[2:] == ["∅"] * 13  # every null, an empty multi-select and a null lookup included


def test_the_null_string_is_configurable(result: pa.Table) -> None:
    for fmt in ("table", "vertical", "markdown", "grid"):
        text = render(result, config=_config(null_string="<null>"), fmt=fmt).text
        assert "<null>" in text and "∅" not in text


def test_long_text_is_cut_to_the_column_width_in_tables(result: pa.Table) -> None:
    text = render(result, config=_config(max_column_width=20)).text
    cell = _row(text, "4150868000000224003").split("|")[-2].strip()
    assert cell == "line one↵line two\\t…"
    assert text_width(cell) == 20
    uncut = render(result, config=_config(max_column_width=0)).text
    assert "x" * 80 in uncut


def test_cutting_counts_wide_characters_as_two_cells() -> None:
    table = pa.table({"City": ["東京都千代田区丸の内"]})
    cell = _row(render(table, config=_config(max_column_width=7)).text, "東").split("|")[1].strip()
    assert cell == "東京都…" and text_width(cell) == 7


def test_wide_characters_keep_the_table_aligned(result: pa.Table) -> None:
    lines = render(result, config=_config()).text.splitlines()
    assert len({text_width(line) for line in lines}) == 1


def test_control_characters_never_reach_the_terminal_in_tables(result: pa.Table) -> None:
    text = render(result, config=_config(max_column_width=0)).text
    cell = _row(text, "4150868000000224003").split("|")[-2].strip()
    assert cell.startswith("line one↵line two\\twith \\x1b[31mred\\x1b[0m and \\u202eevil")
    assert "tab\\there; semi;colon↵CRLF" in text  # \r\n is one line break


def test_markdown_escapes_pipes_and_marks_number_columns(result: pa.Table) -> None:
    text = render(result, config=_config(), fmt="markdown").text
    header, rule, *_ = text.splitlines()
    assert header.startswith("| id ")
    assert rule.split("|")[8].endswith(":")  # Unit_Price, right-aligned
    assert "comma \\| pipe" in text
    assert all(line.count("|") - line.count("\\|") == 16 for line in text.splitlines())


def test_html_escapes_the_values() -> None:
    table = pa.table({"Name": ["<b>Acme & Co</b>"]})
    text = render(table, config=_config(), fmt="html").text
    assert "&lt;b&gt;Acme &amp; Co&lt;/b&gt;" in text


# ---- vertical and auto --------------------------------------------------------------------------


def test_vertical_shows_one_block_per_record(result: pa.Table) -> None:
    rendered = render(result, config=_config(), fmt="vertical")
    lines = rendered.text.splitlines()
    assert lines[0].startswith("-[ RECORD 1 ]----+---")
    assert lines[1] == "id               | 4150868000000224003"
    assert f"Owner            | Patricia Boyle ({OWNER_ID})" in lines  # the id too, in a record
    assert "Tax              | VAT; Sales Tax" in lines
    assert "Product_Name     |" in lines  # empty text
    assert "Product_Category | ∅" in lines
    at = lines.index("Description      | line one")
    assert lines[at + 1].startswith("                 | line two\\twith \\x1b[31mred")  # no cut
    assert lines[at + 1].endswith("x" * 80)
    assert sum(line.startswith("-[ RECORD ") for line in lines) == 3
    assert "Owner            | 17" in lines
    assert rendered.footer == "(3 rows)"


def test_vertical_of_no_rows_is_only_the_footer(result: pa.Table) -> None:
    rendered = render(result.slice(0, 0), config=_config(), fmt="vertical")
    assert rendered.text == "" and rendered.screen == "(0 rows)"


def test_auto_turns_vertical_when_the_table_is_wider_than_the_terminal(result: pa.Table) -> None:
    narrow = render(result, config=_config(), fmt="auto", width=80)
    assert narrow.format == "vertical" and narrow.text.startswith("-[ RECORD 1 ]")
    wide = render(result, config=_config(), fmt="auto", width=10_000)
    assert wide.format == "table" and wide.text.startswith("+---")
    assert render(result, config=_config(), fmt="auto").format == "table"  # no terminal width


def test_table_turns_vertical_only_when_auto_vertical_is_on(result: pa.Table) -> None:
    assert render(result, config=_config(), width=80).format == "table"
    assert render(result, config=_config(auto_vertical=True), width=80).format == "vertical"
    assert render(result, config=_config(auto_vertical=True), fmt="psql", width=80).format == "psql"


def test_the_configured_format_is_the_default(result: pa.Table) -> None:
    assert render(result, config=_config(format="jsonl")).text.startswith('{"id": ')


# ---- exact formats: round trips -----------------------------------------------------------------


def _expected_csv(table: pa.Table) -> tuple[list[str], list[list[Any]]]:
    """The header and the values a CSV of ``table`` must give back."""
    names: list[str] = []
    for f in table.schema:
        names += [f"{f.name}.name", f"{f.name}.id"] if pa.types.is_struct(f.type) else [f.name]
    rows = []
    for record in table.to_pylist():
        row: list[Any] = []
        for f in table.schema:
            value = record[f.name]
            if pa.types.is_struct(f.type):
                row += [None, None] if value is None else [value["name"], value["id"]]
            else:
                row.append(value)
        rows.append(row)
    return names, rows


def _same(cell: str, value: Any, kind: pa.DataType) -> bool:
    """Whether a CSV cell reads back as ``value`` of Arrow type ``kind``."""
    if value is None:
        return cell == ""
    if pa.types.is_list(kind):
        return bool(cell.split(";") == value)
    if pa.types.is_boolean(kind):
        return cell == ("true" if value else "false")
    if pa.types.is_integer(kind):
        return bool(int(cell) == value)
    if pa.types.is_floating(kind):
        return bool(float(cell) == value)
    if pa.types.is_decimal(kind):
        return str(Decimal(cell)) == str(value)  # the scale too
    if pa.types.is_date(kind):
        return bool(date.fromisoformat(cell) == value)
    if pa.types.is_timestamp(kind):
        parsed = datetime.fromisoformat(cell)
        return bool(parsed == value and parsed.utcoffset() == value.utcoffset())
    return bool(cell == value)


def _check_csv(text: str, table: pa.Table, delimiter: str) -> None:
    names, expected = _expected_csv(table)
    header, *rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    assert header == names
    kinds = []
    for f in table.schema:
        kinds += [pa.string(), pa.string()] if pa.types.is_struct(f.type) else [f.type]
    assert len(rows) == len(expected)
    for row, values in zip(rows, expected, strict=True):
        for name, cell, value, kind in zip(names, row, values, kinds, strict=True):
            assert _same(cell, value, kind), (name, cell, value)


@pytest.mark.parametrize(("fmt", "delimiter"), [("csv", ","), ("tsv", "\t")])
def test_csv_and_tsv_round_trip_through_the_csv_module(result: pa.Table, fmt: str, delimiter: str) -> None:
    out = io.StringIO(newline="")
    assert write(result, out, config=_config(), fmt=fmt) == 3
    _check_csv(out.getvalue(), result, delimiter)
    assert "x" * 80 in out.getvalue() and "\x1b[31m" in out.getvalue()  # never cut, exact


def test_csv_shown_on_the_terminal_escapes_only_control_characters(result: pa.Table) -> None:
    plain = result.drop_columns(["Description"])
    rendered = render(plain, config=_config(max_column_width=5), fmt="csv")
    _check_csv(rendered.text, plain, ",")  # parseable, and never cut
    shown = render(result, config=_config(), fmt="csv").text
    assert "\\x1b[31mred" in shown and "\x1b" not in shown


def test_csv_lookups_split_as_export_writes_them(result: pa.Table) -> None:
    from coqlkit.export import csv_table

    text = render(result, config=_config(), fmt="csv").text
    assert text.splitlines()[0].split(",") == csv_table(result).column_names


def _json_value(value: Any, kind: pa.DataType, *, long: bool = False) -> Any:
    """What JSON must hold for an Arrow value (read back with ``parse_float=Decimal``);
    ``long``: a Long Integer, which JSON holds as a string."""
    if value is None:
        return None
    if long:
        return str(value)
    if pa.types.is_floating(kind):
        return Decimal(repr(value))
    if pa.types.is_date(kind) or pa.types.is_timestamp(kind):
        return value.isoformat()
    return value


def _check_json_records(records: Sequence[dict[str, Any]], table: pa.Table) -> None:
    assert len(records) == table.num_rows
    for got, want in zip(records, table.to_pylist(), strict=True):
        assert list(got) == table.column_names
        for f in table.schema:
            long = f.metadata is not None and f.metadata.get(b"zoho.data_type") == b"bigint"
            expected = _json_value(want[f.name], f.type, long=long)
            if pa.types.is_decimal(f.type) and expected is not None:
                assert str(got[f.name]) == str(expected)  # every digit, the scale too
            else:
                assert got[f.name] == expected, f.name


def test_json_round_trips_every_type(result: pa.Table) -> None:
    out = io.StringIO()
    write(result, out, config=_config(), fmt="json")
    records = json.loads(out.getvalue(), parse_float=Decimal)
    _check_json_records(records, result)
    assert records[0]["Owner"] == {"id": OWNER_ID, "name": "Patricia Boyle"}
    assert records[0]["Tax"] == ["VAT", "Sales Tax"]
    assert records[0]["Visitor_Score"] == "9007199254740993"  # a Long Integer: a string, as Zoho sends it
    assert records[0]["Reorder_Level"] == 5  # an integer field: a number
    assert records[0]["Created_Time"] == "2024-04-30T21:00:00-07:00"
    assert records[0]["Product_Photo"] == '[{"File_Name":"a.png","Size":10}]'  # the Arrow text, as it is
    assert records[1]["Product_Name"] == "" and records[1]["Owner"] is None


def test_jsonl_is_one_object_a_line(result: pa.Table) -> None:
    text = render(result, config=_config(), fmt="jsonl").text
    lines = text.splitlines()
    assert len(lines) == 3
    _check_json_records([json.loads(line, parse_float=Decimal) for line in lines], result)


def test_json_shown_on_the_terminal_is_the_same_json(result: pa.Table) -> None:
    out = io.StringIO()
    write(result, out, config=_config(), fmt="json")
    assert render(result, config=_config(max_column_width=5), fmt="json").text == out.getvalue().rstrip("\n")


def test_json_escapes_what_a_terminal_would_act_on_and_stays_exact() -> None:
    odd = "csi\x9b bidi\u202e sep\u2028 del\x7f esc\x1b"
    table = pa.table({"t": [odd], "f": [float("nan")], "g": [float("inf")]})
    text = render(table, config=_config(), fmt="json").text
    assert text.isascii() or not any(c in text for c in "\x9b\u202e\u2028\x7f\x1b")
    assert json.loads(text) == [{"t": odd, "f": None, "g": None}]  # no NaN in JSON


# What SUM and AVG give (doubles), from 1e10 up and below 1e-6, where Arrow writes e-notation.
_DOUBLES = [51225129000.0, 3135912.396694215, 1.2345678901234567e18, 1e-7, -2.5e-9, 1e22, 7958539000.0]


@pytest.mark.parametrize(
    "fmt", ["table", "vertical", "markdown", "csv", "tsv", "json", "jsonl", "fancy_grid"]
)
def test_doubles_are_plain_decimals_in_every_format(fmt: str) -> None:
    """A revenue total as 51225129000, never 5.1225129e+10 (a trap in a sheet meant for
    finance), with every digit of the double: each reads back as the same double."""
    table = pa.table({"SUM(Annual_Revenue)": pa.array([*_DOUBLES, None], pa.float64())})
    out = io.StringIO(newline="")
    assert write(table, out, config=_config(), fmt=fmt) == len(_DOUBLES) + 1  # coqlkit query, to a pipe
    shown = [render(table, config=_config(), fmt=fmt).screen, out.getvalue()]  # the shell's screen
    for text in shown:
        assert re.search(r"\d[eE][+-]?\d", text) is None, text
        for value in _DOUBLES:
            written = format(Decimal(repr(value)), "f").removesuffix(".0")
            assert written in text, (written, text)
            assert float(written) == value


def test_doubles_in_json_read_back_as_the_same_numbers() -> None:
    table = pa.table({"s": pa.array(_DOUBLES, pa.float64())})
    rows = json.loads(render(table, config=_config(), fmt="json").text)
    assert [float(r["s"]) for r in rows] == _DOUBLES  # (digits with no point: a Python int)


def test_machine_formats_of_no_rows() -> None:
    empty = pa.table({"a": pa.array([], pa.int64()), "b": pa.array([], pa.string())})
    assert render(empty, config=_config(), fmt="json").text == "[]"
    assert render(empty, config=_config(), fmt="jsonl").text == ""
    assert render(empty, config=_config(), fmt="csv").text == "a,b"
    out = io.StringIO()
    assert write(iter(()), out, config=_config(), fmt="json", schema=empty.schema) == 0
    assert json.loads(out.getvalue()) == []


def test_write_streams_every_row_past_the_cap() -> None:
    batches = (pa.record_batch({"n": list(range(i, i + 100))}) for i in range(0, 2_500, 100))
    out = io.StringIO(newline="")
    assert write(batches, out, config=_config(row_cap=10), fmt="csv") == 2_500
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["n"] and [int(r[0]) for r in rows[1:]] == list(range(2_500))


def test_write_renders_views_whole_without_a_cap(result: pa.Table) -> None:
    out = io.StringIO()
    big = pa.concat_tables([result] * 10)
    assert write(big, out, config=_config(row_cap=5), fmt="table") == 30
    assert out.getvalue().count("4150868000000224003") == 10


# ---- the row cap --------------------------------------------------------------------------------


def _numbered(batches: int, rows: int, seen: list[int]) -> Iterator[pa.RecordBatch]:
    for i in range(batches):
        seen.append(i)
        yield pa.record_batch({"n": list(range(i * rows, (i + 1) * rows))})


def test_the_row_cap_counts_every_row_and_keeps_only_the_cap() -> None:
    seen: list[int] = []
    rendered = render(_numbered(25, 100, seen), config=_config(row_cap=150))
    assert seen == list(range(25))  # the stream is read to the end, for the count
    assert (rendered.shown, rendered.total) == (150, 2_500)
    assert rendered.footer == "(showing 150 of 2,500 rows; \\export writes them all)"
    assert " 149 |" in rendered.text and " 150 |" not in rendered.text


def test_take_keeps_at_most_the_cap() -> None:
    part = take(_numbered(10, 1_000, []), 1_500)
    assert part.table.num_rows == 1_500 and part.total == 10_000 and part.truncated
    assert len(part.table.to_batches()) == 2  # what was past the cap was dropped, not kept
    assert take(_numbered(3, 10, []), None).shown == 30


def test_the_cap_footer_shows_in_machine_formats_too() -> None:
    rendered = render(_numbered(3, 10, []), config=_config(row_cap=5), fmt="json")
    assert len(json.loads(rendered.text)) == 5
    assert rendered.footer == "(showing 5 of 30 rows; \\export writes them all)"
    assert render(_numbered(1, 3, []), config=_config(), fmt="csv").footer is None


def test_no_cap_when_it_is_zero_or_not_wanted() -> None:
    assert render(_numbered(3, 500, []), config=_config(row_cap=0)).shown == 1_500
    assert render(_numbered(3, 500, []), config=_config(row_cap=10), capped=False).shown == 1_500


@pytest.mark.parametrize(("rows", "footer"), [(0, "(0 rows)"), (1, "(1 row)"), (1_234, "(1,234 rows)")])
def test_the_footer_counts_rows(rows: int, footer: str) -> None:
    table = pa.table({"n": list(range(rows))})
    assert render(table, config=_config(row_cap=0)).footer == footer


def test_sources_table_batch_reader_and_empty_stream(result: pa.Table) -> None:
    batch = result.to_batches()[0]
    reader = pa.RecordBatchReader.from_batches(result.schema, [batch, batch])
    assert render(reader, config=_config()).total == 6
    assert render(batch, config=_config()).total == 3
    assert render(iter([batch]), config=_config()).total == 3
    empty = render(iter(()), config=_config(), schema=result.schema)
    assert empty.total == 0 and empty.text.splitlines()[1].startswith("| id ")
    assert render(iter(()), config=_config()).screen == "(0 rows)"  # no schema, no columns


def test_rows_from_a_sandbox_render(tmp_path: Path) -> None:
    import coqlkit

    query = (
        "select Last_Name, Owner, Annual_Revenue, Languages_Spoken, Lead_Status, Created_Time, Email_Opt_Out "
        "from Leads order by id limit 7"
    )
    with coqlkit.connect(sandbox={"records": 30}, tz=TZ) as conn:
        result = conn.query(query)
        table = result.to_arrow()
        rendered = render(conn.query(query).record_batches(), config=_config(row_cap=5))
    assert (rendered.shown, rendered.total) == (5, 7)
    owner = table.column("Owner")[0].as_py()["name"]
    assert owner in _row(rendered.text, table.column("id")[0].as_py())
    out = io.StringIO()
    write(table, out, config=_config(), fmt="json")
    _check_json_records(json.loads(out.getvalue(), parse_float=Decimal), table)


# ---- the pager ----------------------------------------------------------------------------------


class Spawned:
    def __init__(self) -> None:
        self.calls: list[tuple[list[str], str]] = []

    def __call__(self, argv: Sequence[str], text: str) -> None:
        self.calls.append((list(argv), text))


def _page(text: str, size: tuple[int, int] = (80, 24), **kw: Any) -> tuple[bool, Spawned, str]:
    spawned = Spawned()
    out = io.StringIO()
    kw.setdefault("config", _config())
    kw.setdefault("isatty", True)
    kw.setdefault("environ", {})
    paged = page(text, terminal_size=size, spawn=spawned, out=out, **kw)
    return paged, spawned, out.getvalue()


def test_short_output_is_written_directly() -> None:
    paged, spawned, out = _page("a\nb")
    assert not paged and not spawned.calls and out == "a\nb\n"


def test_tall_output_goes_to_less_by_default() -> None:
    text = "\n".join(f"row {i}" for i in range(30))
    paged, spawned, out = _page(text)
    assert paged and out == ""
    assert spawned.calls == [(["less", "-SRXF"], text + "\n")]
    assert DEFAULT_PAGER == "less -SRXF"


def test_output_that_leaves_no_line_for_the_prompt_is_paged() -> None:
    assert not _page("\n".join("x" * 23))[0]
    assert _page("\n".join("x" * 24))[0]


def test_wide_output_is_paged_when_the_pager_cuts_lines() -> None:
    wide = "x" * 81
    assert _page(wide)[0]  # less -S: scroll sideways
    assert not _page(wide, environ={"PAGER": "more"})[0]  # a wrapping pager: one line more
    assert _page(wide, environ={"PAGER": "less", "LESS": "-RS"})[0]
    assert _page(wide, environ={"PAGER": "less --chop-long-lines"})[0]
    assert not _page(wide, environ={"PAGER": "less -R"})[0]


def test_wrapped_lines_count_towards_the_height() -> None:
    assert needs_pager("\n".join(["x" * 800] * 3), (80, 24), chop=False)  # ten rows each
    assert not needs_pager("x" * 160 + "\n" + "y", (80, 24), chop=False)
    assert needs_pager("東" * 41, (80, 24), chop=True)  # 82 cells


def test_the_pager_command_comes_from_config_then_pager_then_less(monkeypatch: pytest.MonkeyPatch) -> None:
    assert pager_command(_config(pager_command="most -s"), {"PAGER": "more"}) == ["most", "-s"]
    assert pager_command(_config(), {"PAGER": "bat --paging=always"}) == ["bat", "--paging=always"]
    assert pager_command(_config(), {"PAGER": ""}) == ["less", "-SRXF"]
    monkeypatch.setenv("PAGER", "more")
    assert pager_command(_config()) == ["more"]
    text = "\n".join("x" * 40)
    assert _page(text, config=_config(pager_command="pg"), environ={"PAGER": "more"})[1].calls[0][0] == ["pg"]


def test_no_pager_when_off_or_not_a_terminal() -> None:
    tall = "\n".join("x" * 100)
    assert _page(tall, config=_config(pager=False))[2] == tall + "\n"
    assert _page(tall, isatty=False)[2] == tall + "\n"
    out = io.StringIO()  # a StringIO is no terminal
    assert not page(tall, config=_config(), terminal_size=(80, 24), spawn=Spawned(), out=out)
    assert out.getvalue() == tall + "\n"


def test_a_pager_that_cannot_start_falls_back_to_the_output(capsys: pytest.CaptureFixture[str]) -> None:
    def missing(argv: Sequence[str], text: str) -> None:
        raise FileNotFoundError(2, "No such file or directory", argv[0])

    tall = "\n".join("x" * 100)
    out = io.StringIO()
    paged = page(
        tall, config=_config(), terminal_size=(80, 24), isatty=True, spawn=missing, out=out, environ={}
    )
    assert not paged and out.getvalue() == tall + "\n"
    assert "the pager 'less' did not start" in capsys.readouterr().err


def test_an_unreadable_pager_variable_falls_back(capsys: pytest.CaptureFixture[str]) -> None:
    paged, spawned, out = _page("\n".join("x" * 100), environ={"PAGER": "less '-S"})
    assert not paged and not spawned.calls and out.startswith("x\n")
    assert "cannot read the pager command" in capsys.readouterr().err


def test_run_pager_pipes_the_text_and_waits(tmp_path: Path) -> None:
    target = tmp_path / "paged.txt"
    text = "héllo ∅\n" * 1_000
    run_pager(
        [sys.executable, "-c", f"import sys; open({str(target)!r}, 'wb').write(sys.stdin.buffer.read())"],
        text,
    )
    assert target.read_bytes() == text.encode()


def test_run_pager_accepts_a_pager_quitting_early() -> None:
    run_pager([sys.executable, "-c", "pass"], "x" * 1_000_000)  # no BrokenPipeError
