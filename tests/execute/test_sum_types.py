"""SUM and AVG are typed as a SQL user expects, the same whether Zoho or coqlkit aggregates.

SUM of an integer or bigint field is ``int64`` (exact past a double's 2**53: Long
Integers such as customer numbers add up past it), SUM of a currency or decimal field a
``decimal128(38, places)``, AVG a ``float64``. The sandbox (like, as far as we know, Zoho:
unverified) sends a SUM of whole numbers as a JSON integer. A total past int64 is an
error naming its column; a value a column's type can hold never fails the query.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import coqlkit
from coqlkit import Catalog, dbapi
from coqlkit.catalog.model import Field
from coqlkit.errors import CoqlError
from coqlkit.execute.arrow import UNEXPECTED_VALUE, body_to_batch, records_to_batch, schema
from coqlkit.execute.finish import aggregate_table
from coqlkit.language.ast import FieldRef
from coqlkit.plan.columns import OutputColumn

CATALOG = Catalog.demo()
BIG = (999_999_999_999_999_999, 1_234_567_890_123_456_789, 9_007_199_254_740_993)  # past 2**53


def agg(path: str, func: str) -> OutputColumn:
    ref = FieldRef((path,))
    return OutputColumn(f"{func}({path})", CATALOG.resolve("Leads", ref).field, ref, func)


SUMS = [
    agg("Customer_Number", "SUM"),  # bigint
    agg("No_of_Employees", "SUM"),  # integer
    agg("Annual_Revenue", "SUM"),  # currency
    agg("Average_Time_Spent_Minutes", "SUM"),  # double
    agg("No_of_Employees", "AVG"),
    agg("Customer_Number", "AVG"),
]


def test_sum_types_follow_the_field() -> None:
    assert [f.type for f in schema(SUMS)] == [
        pa.int64(),
        pa.int64(),
        pa.decimal128(38, 2),
        pa.float64(),
        pa.float64(),
        pa.float64(),
    ]


def test_a_sum_past_2_53_is_read_exactly_and_an_integer_sum_is_an_integer() -> None:
    total = sum(BIG[:2])  # 2234567890123456788
    body = (
        b'{"data":[{"SUM(Customer_Number)":%d,"SUM(No_of_Employees)":1763,'
        b'"SUM(Annual_Revenue)":99999999999999999.99,"SUM(Average_Time_Spent_Minutes)":2.5,'
        b'"AVG(No_of_Employees)":13.5,"AVG(Customer_Number)":%d}]}' % (total, total)
    )
    batch, _ = body_to_batch(body, schema(SUMS), SUMS)
    assert batch.to_pylist() == [
        {
            "SUM(Customer_Number)": total,
            "SUM(No_of_Employees)": 1763,
            "SUM(Annual_Revenue)": Decimal("99999999999999999.99"),
            "SUM(Average_Time_Spent_Minutes)": 2.5,
            "AVG(No_of_Employees)": 13.5,
            "AVG(Customer_Number)": float(total),  # an average is a double: rounded, not refused
        }
    ]
    assert type(batch.to_pylist()[0]["SUM(No_of_Employees)"]) is int  # not 1763.0


@pytest.mark.parametrize(
    "written",
    [b"1763.0", b'"1763"', b"1.763E3"],  # other ways a server may write a whole number
)
def test_a_whole_number_written_otherwise_is_read_as_that_integer(written: bytes) -> None:
    columns = [agg("Customer_Number", "SUM")]
    body = b'{"data":[{"SUM(Customer_Number)":%s}]}' % written
    [value] = body_to_batch(body, schema(columns), columns)[0].column(0).to_pylist()
    assert (value, type(value)) == (1763, int)


def test_a_sum_past_int64_names_its_column() -> None:
    columns = [agg("Customer_Number", "SUM")]
    body = b'{"data":[{"SUM(Customer_Number)":%d}]}' % (2**63)
    with pytest.raises(CoqlError, match=r"'SUM\(Customer_Number\)'.*64-bit integer range") as info:
        body_to_batch(body, schema(columns), columns)
    assert info.value.code == UNEXPECTED_VALUE
    with pytest.raises(CoqlError, match="whole number"):  # a fraction is not a sum of integers
        body_to_batch(b'{"data":[{"SUM(Customer_Number)":1.5}]}', schema(columns), columns)


def test_a_local_sum_is_exact_and_typed_as_the_servers() -> None:
    rows = pa.table(
        {
            "Lead_Status": pa.array(["New", "New", "Lost", None]).dictionary_encode(),
            "Customer_Number": pa.array([BIG[0], BIG[1], BIG[2], 5], pa.int64()),
            "Annual_Revenue": pa.array(
                [Decimal("99999999999999.99"), Decimal("0.01"), None, Decimal("1.10")], pa.decimal128(18, 2)
            ),
        }
    )
    status = OutputColumn("Lead_Status", CATALOG.resolve("Leads", FieldRef(("Lead_Status",))).field)
    columns = [
        status,
        agg("Customer_Number", "SUM"),
        agg("Annual_Revenue", "SUM"),
        agg("Customer_Number", "AVG"),
    ]
    out = schema(columns)
    specs = [(c.key, c.aggregate or "", c.field.api_name) for c in columns[1:]]
    table = aggregate_table(rows, out, ["Lead_Status"], specs)
    assert table.schema == out
    assert table.to_pylist() == [
        {"Lead_Status": None, **_sums(5, Decimal("1.10"), 5.0)},
        {"Lead_Status": "Lost", **_sums(BIG[2], None, float(BIG[2]))},
        {
            "Lead_Status": "New",
            **_sums(BIG[0] + BIG[1], Decimal("100000000000000.00"), (BIG[0] + BIG[1]) / 2),
        },
    ]
    whole = aggregate_table(rows, pa.schema(list(out)[1:]), [], specs)  # no GROUP BY: one row
    assert whole.column(0).to_pylist() == [sum(BIG) + 5]


def _sums(customers: int, revenue: Decimal | None, average: float) -> dict[str, Any]:
    return {
        "SUM(Customer_Number)": customers,
        "SUM(Annual_Revenue)": revenue,
        "AVG(Customer_Number)": average,
    }


def test_a_local_sum_past_int64_names_its_column_instead_of_wrapping_around() -> None:
    rows = pa.table({"Customer_Number": pa.array([2**62, 2**62], pa.int64())})  # Arrow's int64 sum: -2**63
    out = schema([agg("Customer_Number", "SUM")])
    with pytest.raises(CoqlError, match=r"'SUM\(Customer_Number\)'.*does not fit int64") as info:
        aggregate_table(rows, out, [], [("SUM(Customer_Number)", "SUM", "Customer_Number")])
    assert info.value.code == UNEXPECTED_VALUE


def test_a_sum_of_a_many_places_field_keeps_them() -> None:
    rate = Field("Rate", "decimal", decimal_place=9, length=16)
    columns = [OutputColumn("SUM(Rate)", rate, FieldRef(("Rate",)), "SUM")]
    batch = records_to_batch(
        [{"SUM(Rate)": Decimal("12345678901234567.123456789")}], schema(columns), columns
    )
    assert batch.column(0).to_pylist() == [Decimal("12345678901234567.123456789")]


# ---- against the sandbox: Zoho's GROUP BY and coqlkit's local one --------------------------------


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, list[str], Path]]:
    """A demo org of 300 records whose first Leads hold Long Integers past 2**53."""
    pytest.importorskip("uvicorn")
    from coqlkit.sandbox.server import Sandbox

    db = tmp_path_factory.mktemp("sum-org") / "org.sqlite3"
    with Sandbox(records=300, db=str(db), token_limit=0):
        pass  # seeds the file
    with sqlite3.connect(db) as edit:
        ids = [str(r[0]) for r in edit.execute('select id from "Leads" order by id limit 40')]
        for lead, number in zip(ids, BIG, strict=False):
            edit.execute('update "Leads" set "Customer_Number" = ? where id = ?', (number, int(lead)))
    with Sandbox(records=300, db=str(db), token_limit=0) as running:
        yield running, ids, db


QUERY = (
    "select Lead_Status, SUM(Customer_Number), SUM(No_of_Employees), SUM(Annual_Revenue), "
    "AVG(No_of_Employees) from Leads where id in :ids group by Lead_Status"
)


def test_the_sandbox_sum_of_a_bigint_past_2_53_and_the_local_one_agree(
    org: tuple[Any, list[str], Path],
) -> None:
    running, ids, db = org
    with coqlkit.connect(sandbox=running) as conn:
        server = conn.query(QUERY, {"ids": ids})
        # Past 25 INs of 50, Zoho cannot take the criteria: coqlkit reads the rows, groups them.
        padded = ids + [str(4150868000199000000 + i) for i in range(1_300)]  # ids no record has
        local = conn.query(QUERY, {"ids": padded})
        assert "local aggregate" not in server.explain()
        assert "local aggregate" in local.explain()
        found, mine = server.to_arrow(), local.to_arrow()
        frame = server.to_pandas()
    assert found.schema == mine.schema
    assert found.schema.types[1:] == [pa.int64(), pa.int64(), pa.decimal128(38, 2), pa.float64()]
    assert found.to_pylist() == mine.to_pylist()
    with sqlite3.connect(db) as oracle:
        marks = ",".join("?" * len(ids))
        expected = {
            status: (customers, employees)
            for status, customers, employees in oracle.execute(
                f'select "Lead_Status", sum("Customer_Number"), sum("No_of_Employees") from "Leads" '
                f"where id in ({marks}) group by 1",
                [int(i) for i in ids],
            )
        }
    got = {
        r["Lead_Status"]: (r["SUM(Customer_Number)"], r["SUM(No_of_Employees)"]) for r in found.to_pylist()
    }
    assert got == expected
    assert max(customers for customers, _ in got.values() if customers is not None) > 2**53
    # The front ends hand them on as integers and exact amounts, not floats.
    assert [str(frame[c].dtype) for c in frame.columns[1:]] == ["Int64", "Int64", "float64", "float64"]
    totals = [r["SUM(Customer_Number)"] for r in found.to_pylist()]
    assert frame["SUM(Customer_Number)"].dropna().tolist() == [t for t in totals if t is not None]
    connection = dbapi.connect(sandbox=running)
    try:
        cursor = connection.cursor()
        cursor.execute(QUERY, {"ids": ids})
        row = cursor.fetchall()[0]
    finally:
        connection.close()
    assert [type(v) for v in row[1:]] == [int, int, Decimal, float]
