"""Zoho values → Arrow: types from field metadata, COQL JSON pages and bulk-read CSVs alike."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import time
import zipfile
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from coqlkit import Catalog
from coqlkit.catalog import FieldType
from coqlkit.catalog.model import Field
from coqlkit.errors import CoqlError
from coqlkit.execute.arrow import (
    CSV_BLOCK_BYTES,
    LOOKUP_TYPE,
    UNEXPECTED_VALUE,
    _arrow_page,
    arrow_type,
    body_to_batch,
    csv_name,
    csv_to_batches,
    empty_batch,
    records_to_batch,
    schema,
)
from coqlkit.language.ast import FieldRef
from coqlkit.plan.columns import ID_FIELD, OutputColumn

CATALOG = Catalog.demo()
UTC = dt.timezone.utc
PDT = dt.timezone(dt.timedelta(hours=-7))


def col(module: str, path: str, *, key: str | None = None, aggregate: str | None = None) -> OutputColumn:
    """The column a planner makes for ``path`` (or ``AGG(path)``) selected from ``module``."""
    if path == "id" and aggregate is None:
        return OutputColumn("id", ID_FIELD)
    ref = FieldRef(tuple(path.split(".")))
    field = CATALOG.resolve(module, ref).field
    lookup_name = None
    if aggregate is None and not field.subkey and field.type in (FieldType.LOOKUP, FieldType.OWNERLOOKUP):
        target = CATALOG.module(field.lookup_module or "")
        display = target.display_field if target is not None else None
        if display is not None:
            lookup_name = FieldRef((*ref.path, display.api_name))
    name = key or (f"{aggregate}({path})" if aggregate else path)
    return OutputColumn(name, field, ref, aggregate, lookup_name)


LEADS = [
    col("Leads", p)
    for p in (
        "id",
        "Last_Name",
        "Lead_Status",
        "Languages_Spoken",
        "Annual_Revenue",
        "No_of_Employees",
        "Customer_Number",
        "Email_Opt_Out",
        "Created_Time",
        "Owner",
        "Data_Processing_Basis_Details",
        "Tag",
        "Average_Time_Spent_Minutes",
    )
]
DEALS = [col("Deals", p) for p in ("id", "Weighted_Amount", "Follow_Up_Date", "Closing_Date", "Account_Name")]


def by_key(columns: Sequence[OutputColumn]) -> dict[str, OutputColumn]:
    return {c.key: c for c in columns}


# ---- types ---------------------------------------------------------------------------------------


def test_the_types_come_from_the_field_metadata() -> None:
    columns = [
        *LEADS,
        col("Leads", "Email"),
        col("Leads", "Record_Image"),
        col("Leads", "Layout"),
        col("Leads", "Visitor_Score"),
        col("Leads", "Owner.full_name"),
        col("Leads", "Owner.profile.name"),
        col("Leads", "Owner.profile.id"),
    ]
    types = {f.name: f.type for f in schema(columns)}
    assert types == {
        "id": pa.string(),
        "Last_Name": pa.string(),
        "Lead_Status": pa.dictionary(pa.int32(), pa.string()),
        "Languages_Spoken": pa.list_(pa.string()),
        "Annual_Revenue": pa.decimal128(18, 2),
        "No_of_Employees": pa.int64(),
        "Customer_Number": pa.int64(),
        "Email_Opt_Out": pa.bool_(),
        "Created_Time": pa.timestamp("s", tz="UTC"),
        "Owner": LOOKUP_TYPE,
        "Data_Processing_Basis_Details": LOOKUP_TYPE,
        "Tag": pa.string(),  # text whose json_type is jsonarray: JSON text
        "Average_Time_Spent_Minutes": pa.float64(),
        "Email": pa.string(),
        "Record_Image": pa.string(),
        "Layout": pa.string(),  # a data type coqlkit does not know: JSON text
        "Visitor_Score": pa.int64(),
        "Owner.full_name": pa.string(),
        "Owner.profile.name": pa.string(),
        "Owner.profile.id": pa.string(),  # a bigint sub-key is an id
    }
    assert LOOKUP_TYPE == pa.struct([("id", pa.string()), ("name", pa.string())])


def test_formulas_rollups_deals_and_accounts() -> None:
    columns = [
        *DEALS,
        col("Deals", "Probability"),
        col("Deals", "Territories"),
        col("Deals", "Contract_File"),
        col("Deals", "Related_Products"),
        col("Deals", "Reviewer"),
        col("Deals", "Account_Name.Parent_Account"),
        col("Deals", "Account_Name.id"),
        col("Deals", "Account_Name.Total_Deal_Amount"),
        col("Deals", "Account_Name.Last_Won_Deal_Date"),
    ]
    types = {f.name: f.type for f in schema(columns)}
    assert types == {
        "id": pa.string(),
        "Weighted_Amount": pa.decimal128(38, 2),  # formula returning currency: no length bounds it
        "Follow_Up_Date": pa.date32(),  # formula returning date
        "Closing_Date": pa.date32(),
        "Account_Name": LOOKUP_TYPE,
        "Probability": pa.float64(),
        "Territories": pa.string(),
        "Contract_File": pa.string(),
        "Related_Products": pa.string(),
        "Reviewer": LOOKUP_TYPE,
        "Account_Name.Parent_Account": LOOKUP_TYPE,
        "Account_Name.id": pa.string(),
        "Account_Name.Total_Deal_Amount": pa.decimal128(38, 2),  # rollup returning currency
        "Account_Name.Last_Won_Deal_Date": pa.date32(),  # rollup returning date
    }


def test_aggregates() -> None:
    columns = [
        col("Deals", "id", aggregate="COUNT"),
        col("Deals", "Amount", aggregate="SUM"),
        col("Deals", "Amount", aggregate="AVG"),
        col("Deals", "Amount", aggregate="MAX"),
        col("Deals", "Created_Time", aggregate="MIN"),
        col("Deals", "Closing_Date", aggregate="MAX"),
        col("Deals", "Sales_Cycle_Duration", aggregate="MIN"),
        col("Deals", "Probability", aggregate="MAX"),
        col("Deals", "Sales_Cycle_Duration", aggregate="SUM"),
        col("Deals", "Probability", aggregate="SUM"),
    ]
    assert [arrow_type(c) for c in columns] == [
        pa.int64(),
        pa.decimal128(38, 2),  # a SUM of amounts is an amount, exact, with room for many
        pa.float64(),
        pa.decimal128(18, 2),
        pa.timestamp("s", tz="UTC"),
        pa.date32(),
        pa.int64(),
        pa.float64(),
        pa.int64(),  # a SUM of whole numbers is a whole number
        pa.float64(),
    ]
    rows = [
        {
            "COUNT(id)": 12,
            "SUM(Amount)": 100000,
            "AVG(Amount)": 243333.33333333334,
            "MAX(Amount)": 99999.99,
            "MIN(Created_Time)": "2024-05-28T04:25:36-07:00",
            "MAX(Closing_Date)": "2025-01-31",
            "MIN(Sales_Cycle_Duration)": 3,
            "MAX(Probability)": 90,
            "SUM(Sales_Cycle_Duration)": 1763,
            "SUM(Probability)": 450,
        }
    ]
    batch = records_to_batch(rows, schema(columns), columns)
    assert batch.to_pylist() == [
        {
            "COUNT(id)": 12,
            "SUM(Amount)": Decimal("100000.00"),
            "AVG(Amount)": 243333.33333333334,
            "MAX(Amount)": Decimal("99999.99"),
            "MIN(Created_Time)": dt.datetime(2024, 5, 28, 11, 25, 36, tzinfo=UTC),
            "MAX(Closing_Date)": dt.date(2025, 1, 31),
            "MIN(Sales_Cycle_Duration)": 3,
            "MAX(Probability)": 90.0,
            "SUM(Sales_Cycle_Duration)": 1763,
            "SUM(Probability)": 450.0,
        }
    ]


def test_the_time_zone_and_the_decimal_places() -> None:
    created = col("Leads", "Created_Time")
    assert arrow_type(created, tz="Asia/Kolkata") == pa.timestamp("s", tz="Asia/Kolkata")
    assert schema([created], tz="Europe/Berlin").field(0).type.tz == "Europe/Berlin"
    # Zoho allows 16 digits, places included; the precision holds them whether or not the
    # length counts the places (at least 18, the usual currency's).
    for places, length, want in (
        (None, None, (18, 2)),
        (0, 16, (18, 0)),
        (4, 16, (20, 4)),
        (9, None, (25, 9)),
    ):
        money = OutputColumn("M", Field("M", "currency", decimal_place=places, length=length))
        assert arrow_type(money) == pa.decimal128(*want)
    assert arrow_type(OutputColumn("D", Field("D", "decimal", decimal_place=3))) == pa.decimal128(19, 3)
    wide = OutputColumn("W", Field("W", "decimal", decimal_place=2, length=30))  # a length past 16: kept
    assert arrow_type(wide) == pa.decimal128(32, 2)


def test_the_schema_carries_the_zoho_metadata() -> None:
    columns = [*DEALS, col("Deals", "Amount", aggregate="SUM"), col("Deals", "Account_Name.Account_Name")]
    found = schema(columns)
    assert found.names == [c.key for c in columns]
    amount = found.field("Weighted_Amount").metadata
    assert amount[b"zoho.api_name"] == b"Weighted_Amount"
    assert amount[b"zoho.data_type"] == b"formula"
    assert amount[b"zoho.return_type"] == b"currency"
    assert amount[b"zoho.decimal_place"] == b"2"
    assert found.field("Account_Name").metadata[b"zoho.lookup_module"] == b"Accounts"
    assert found.field("SUM(Amount)").metadata[b"zoho.aggregate"] == b"SUM"
    path = found.field("Account_Name.Account_Name").metadata
    assert (path[b"zoho.api_name"], path[b"zoho.path"]) == (b"Account_Name", b"Account_Name.Account_Name")
    assert all(f.nullable for f in found)


# ---- COQL JSON ----------------------------------------------------------------------------------------


def lead(i: int, **changes: Any) -> dict[str, Any]:
    """A Leads record as the sandbox (and Zoho) puts it in a COQL response."""
    record = {
        "id": str(4150868000100000000 + i),
        "Last_Name": f"Boyle {i}",
        "Lead_Status": ["New", "Contacted", "Qualified"][i % 3],
        "Languages_Spoken": ["English", "German"][: 1 + i % 2],
        "Annual_Revenue": 1234.56 + i,
        "No_of_Employees": 10 * i,
        "Customer_Number": str(900000000000 + i),
        "Email_Opt_Out": i % 2 == 0,
        "Created_Time": f"2024-05-{1 + i % 28:02d}T04:25:36-07:00",
        "Owner": {"name": "Patricia Boyle", "id": "4150868001700000002"},
        "Data_Processing_Basis_Details": {"id": "4150868000000600001"},
        "Tag": [{"name": "Churn Risk", "id": "4150868000000500008"}],
        "Average_Time_Spent_Minutes": 2.5 * i,
    }
    record.update(changes)
    return record


def test_a_page_of_records() -> None:
    batch = records_to_batch([lead(1), lead(2)], schema(LEADS), LEADS)
    assert batch.schema == schema(LEADS)
    assert batch.num_rows == 2
    assert batch.to_pylist()[0] == {
        "id": "4150868000100000001",
        "Last_Name": "Boyle 1",
        "Lead_Status": "Contacted",
        "Languages_Spoken": ["English", "German"],
        "Annual_Revenue": Decimal("1235.56"),
        "No_of_Employees": 10,
        "Customer_Number": 900000000001,
        "Email_Opt_Out": False,
        "Created_Time": dt.datetime(2024, 5, 2, 11, 25, 36, tzinfo=UTC),
        "Owner": {"id": "4150868001700000002", "name": "Patricia Boyle"},
        "Data_Processing_Basis_Details": {"id": "4150868000000600001", "name": None},
        "Tag": '[{"name":"Churn Risk","id":"4150868000000500008"}]',
        "Average_Time_Spent_Minutes": 2.5,
    }
    status = batch.column(batch.schema.get_field_index("Lead_Status"))
    assert status.dictionary.to_pylist() == ["Contacted", "Qualified"]


def test_nulls_and_missing_keys_are_null() -> None:
    nulls = {c.key: None for c in LEADS}
    rows = [{"id": "1"}, {**nulls, "id": "2"}, {**lead(3), "Languages_Spoken": []}]
    batch = records_to_batch(rows, schema(LEADS), LEADS)
    got = batch.to_pylist()
    for row in got[:2]:
        assert {k for k, v in row.items() if v is not None} == {"id"}
    assert got[2]["Languages_Spoken"] is None  # an empty multi-select is no value, as in the CSV
    assert batch.column(0).null_count == 0


def test_ids_stay_lossless_strings() -> None:
    columns = [col("Leads", "id"), col("Leads", "Owner"), col("Leads", "Customer_Number")]
    big = "9223372036854775806"  # past a double's 2**53, within int64
    rows = [{"id": big, "Owner": {"name": "x", "id": big}, "Customer_Number": big}]
    assert records_to_batch(rows, schema(columns), columns).to_pylist() == [
        {"id": big, "Owner": {"id": big, "name": "x"}, "Customer_Number": int(big)}
    ]
    # An id or bigint sent as a JSON number keeps its digits too.
    numbers = [{"id": int(big), "Owner": {"name": "x", "id": int(big)}, "Customer_Number": int(big)}]
    assert records_to_batch(numbers, schema(columns), columns).to_pylist() == [
        {"id": big, "Owner": {"id": big, "name": "x"}, "Customer_Number": int(big)}
    ]


def test_decimals_are_exact_to_the_fields_places() -> None:
    rng = random.Random(7)
    texts = ["1234.56", "0.1", "0.07", "-1.05", "99999999999.99", "1e3", "0"]
    # Up to 15 significant digits (below 10**13 at scale 2), every amount comes back exactly.
    texts += [f"{rng.randrange(-(10**15), 10**15) / 100:.2f}" for _ in range(20000)]
    page = json.loads("[" + ",".join(texts) + "]")  # numbers as json.loads reads them: doubles
    money = [OutputColumn("Amount", Field("Amount", "currency", decimal_place=2))]
    got = records_to_batch([{"Amount": v} for v in page], schema(money), money).column(0).to_pylist()
    assert got == [Decimal(t).quantize(Decimal("0.01")) for t in texts]
    assert str(got[0]) == "1234.56"
    # More places than the field keeps (an average): rounded to the field's places.
    avg = records_to_batch([{"Amount": 243333.33333333334}, {"Amount": 0.125}], schema(money), money)
    assert avg.column(0).to_pylist() == [Decimal("243333.33"), Decimal("0.12")]  # 0.125 is exact: to even
    four = [OutputColumn("Rate", Field("Rate", "decimal", decimal_place=4))]
    values = [1.2345, 0.0001, 12345678.9012]
    assert records_to_batch([{"Rate": v} for v in values], schema(four), four).column(0).to_pylist() == [
        Decimal("1.2345"),
        Decimal("0.0001"),
        Decimal("12345678.9012"),
    ]


def test_a_decimal_too_large_for_its_column_is_an_error() -> None:
    money = [OutputColumn("Amount", Field("Amount", "currency", decimal_place=2))]
    with pytest.raises(CoqlError, match="'Amount'") as info:
        records_to_batch([{"Amount": 1e17}], schema(money), money)
    assert info.value.code == UNEXPECTED_VALUE


def test_datetimes_keep_the_instant() -> None:
    created = [col("Leads", "Created_Time")]
    rows = [
        {"Created_Time": "2024-05-28T04:25:36-07:00"},
        {"Created_Time": "2024-05-28T11:25:36Z"},
        {"Created_Time": "2024-05-28T16:55:36+05:30"},
        {"Created_Time": "2024-05-28T11:25:36.250+00:00"},  # a fraction (Zoho sends none): dropped
    ]
    utc = records_to_batch(rows, schema(created), created).column(0)
    expected = dt.datetime(2024, 5, 28, 4, 25, 36, tzinfo=PDT)
    assert utc.to_pylist() == [expected] * 4
    kolkata = records_to_batch(rows, schema(created, tz="Asia/Kolkata"), created).column(0)
    assert kolkata.type == pa.timestamp("s", tz="Asia/Kolkata")
    assert kolkata.cast(pa.int64()).to_pylist() == utc.cast(pa.int64()).to_pylist() == [1716895536] * 4
    assert kolkata[0].as_py().isoformat() == "2024-05-28T16:55:36+05:30"


@pytest.mark.parametrize(
    ("key", "value", "row_shown"),
    [
        ("Annual_Revenue", "1,000.00", True),
        ("Annual_Revenue", True, True),
        ("No_of_Employees", "12", True),
        ("No_of_Employees", 3.5, True),
        ("Customer_Number", "12a", True),
        ("Customer_Number", 1.5, True),
        ("Email_Opt_Out", "true", True),
        ("Email_Opt_Out", 1, True),
        ("Last_Name", 42, True),
        ("Lead_Status", 7, True),
        ("Languages_Spoken", "English", True),
        ("Languages_Spoken", [1, 2], True),
        ("Owner", "4150868001700000002", True),
        ("Owner", {"id": ["x"]}, True),
        ("Created_Time", 1716895536, True),
        ("Created_Time", "2024-05-28 04:25", False),  # a string, but not ISO with an offset
        ("Created_Time", "2024-05-28T04:25:36", False),  # no offset: which instant?
        ("id", {"id": "1"}, True),
        ("Average_Time_Spent_Minutes", "2.5", True),
    ],
)
def test_a_value_of_the_wrong_shape_names_its_column(key: str, value: Any, row_shown: bool) -> None:
    rows = [lead(1), lead(2, **{key: value})]
    with pytest.raises(CoqlError) as info:
        records_to_batch(rows, schema(LEADS), LEADS)
    assert info.value.code == UNEXPECTED_VALUE
    assert f"column {key!r}" in str(info.value)
    assert ("row 1" in str(info.value)) is row_shown


def test_a_date_that_is_not_iso_is_an_error() -> None:
    with pytest.raises(CoqlError, match="'Closing_Date'"):
        records_to_batch([{"id": "1", "Closing_Date": "28/05/2024"}], schema(DEALS), DEALS)


def test_the_schema_must_match_the_columns() -> None:
    with pytest.raises(CoqlError, match="does not match"):
        records_to_batch([lead(1)], schema(LEADS[:3]), LEADS)


def test_an_empty_batch_has_the_whole_schema() -> None:
    for columns in (LEADS, DEALS):
        found = schema(columns)
        empty = empty_batch(found)
        assert empty.num_rows == 0
        assert empty.schema == found
        assert empty.schema.metadata == found.metadata
        assert all(f.metadata == g.metadata for f, g in zip(empty.schema, found, strict=True))
        assert records_to_batch([], found, columns).equals(empty)


# ---- bulk-read CSV ----------------------------------------------------------------------------------


def csv_value(column: OutputColumn, value: Any) -> str:
    """One COQL JSON value as the sandbox's bulk read writes it (coqlkit/sandbox/bulk.py ``_csv``)."""
    if value is None:
        return ""
    kind = column.field.value_type
    if isinstance(value, dict):
        return str(value["id"])  # a lookup column holds the target's id
    if isinstance(value, bool):
        return "true" if value else "false"
    if kind is FieldType.MULTISELECTPICKLIST:
        return ";".join(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def write_csv(records: Sequence[dict[str, Any]], columns: Sequence[OutputColumn]) -> bytes:
    """The CSV a bulk read gives for the same records: paths as headers, lookups' names beside."""
    header: list[str] = []
    cells: list[Any] = []
    for column in columns:
        header.append(csv_name(column))
        cells.append(lambda r, c=column: csv_value(c, r.get(c.key)))
        if column.lookup_name is not None:
            header.append(column.lookup_name.name)
            cells.append(lambda r, c=column: (r.get(c.key) or {}).get("name") or "")
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    for record in records:
        writer.writerow([cell(record) for cell in cells])
    return text.getvalue().encode()


def plain(table: pa.Table) -> pa.Table:
    """``table`` with dictionary columns as plain strings: chunks of a stream each have their own
    dictionary, so two streams chunked differently compare equal only by value."""
    fields = [
        pa.field(f.name, pa.string(), metadata=f.metadata) if pa.types.is_dictionary(f.type) else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def mixed_leads(n: int) -> list[dict[str, Any]]:
    rng = random.Random(3)
    rows = []
    for i in range(n):
        row = lead(i, Annual_Revenue=rng.randrange(10**9) / 100, Last_Name=f'O"Brien, {i}\nsecond line')
        for key in rng.sample([c.key for c in LEADS[1:]], 3):
            if rng.random() < 0.5:
                row[key] = None
            else:
                row.pop(key)
        rows.append(row)
    return rows


def test_a_bulk_read_csv_equals_the_coql_page() -> None:
    records = mixed_leads(300)
    found = schema(LEADS)
    from_json = records_to_batch(records, found, LEADS)
    data = write_csv(records, LEADS)
    (from_csv,) = csv_to_batches(io.BytesIO(data), LEADS, found)
    assert from_csv.schema == found
    assert from_csv.equals(from_json)  # one block: the same dictionary too
    # Streamed in small blocks: many batches, the same values.
    batches = list(csv_to_batches(io.BytesIO(data), LEADS, found, block_size=4096))
    assert len(batches) > 3
    table = pa.Table.from_batches(batches, schema=found)
    assert plain(table).equals(plain(pa.Table.from_batches([from_json])))


def test_a_csv_file_by_path_with_extra_columns_and_a_bom(tmp_path: Path) -> None:
    records = [lead(1), lead(2, Owner=None, Tag=None)]
    data = write_csv(records, LEADS).decode()
    header, rest = data.split("\n", 1)
    path = tmp_path / "job.csv"
    path.write_bytes(b"\xef\xbb\xbf" + f"{header},Extra\n".encode() + rest.replace("\n", ",x\n").encode())
    (batch,) = csv_to_batches(path, LEADS, schema(LEADS))
    assert batch.equals(records_to_batch(records, schema(LEADS), LEADS))
    (again,) = csv_to_batches(str(path), LEADS, schema(LEADS))
    assert again.equals(batch)


def test_csv_edge_cases() -> None:
    columns = [col("Leads", "id"), col("Leads", "Last_Name"), col("Leads", "Owner")]
    found = schema(columns)
    # Only a header: no batch. An empty file: no batch either.
    assert list(csv_to_batches(io.BytesIO(b"id,Last_Name,Owner,Owner.full_name\n"), columns, found)) == []
    assert list(csv_to_batches(io.BytesIO(b""), columns, found)) == []
    # "NULL" and "N/A" are text, not nulls; an empty cell is null.
    data = b'id,Last_Name,Owner,Owner.full_name\n1,NULL,,\n2,"",7,N/A\n'
    (batch,) = csv_to_batches(io.BytesIO(data), columns, found)
    assert batch.to_pylist() == [
        {"id": "1", "Last_Name": "NULL", "Owner": None},
        {"id": "2", "Last_Name": None, "Owner": {"id": "7", "name": "N/A"}},
    ]
    # A lookup without its name column gets a null name.
    bare = [col("Leads", "id"), OutputColumn("Owner", CATALOG.resolve("Leads", FieldRef(("Owner",))).field)]
    (batch,) = csv_to_batches(io.BytesIO(b"id,Owner\n1,7\n"), bare, schema(bare))
    assert batch.to_pylist() == [{"id": "1", "Owner": {"id": "7", "name": None}}]


def test_csv_errors_name_the_column() -> None:
    columns = [col("Leads", "id"), col("Leads", "No_of_Employees"), col("Leads", "Email_Opt_Out")]
    found = schema(columns)
    with pytest.raises(CoqlError, match="No_of_Employees") as info:
        list(csv_to_batches(io.BytesIO(b"id,No_of_Employees,Email_Opt_Out\n1,twelve,true\n"), columns, found))
    assert info.value.code == UNEXPECTED_VALUE
    with pytest.raises(CoqlError, match="Email_Opt_Out"):
        list(csv_to_batches(io.BytesIO(b"id,No_of_Employees,Email_Opt_Out\n1,12,maybe\n"), columns, found))
    with pytest.raises(CoqlError, match=r"lacks a column.*Email_Opt_Out"):
        csv_to_batches(io.BytesIO(b"id,No_of_Employees\n1,12\n"), columns, found)  # at once
    malformed = b"id,No_of_Employees,Email_Opt_Out\n" + b"1,12,true\n" * 5000 + b'2,"13\n'
    batches = csv_to_batches(io.BytesIO(malformed), columns, found, block_size=1 << 14)
    assert next(batches).num_rows > 0
    with pytest.raises(CoqlError, match="cannot be read"):
        list(batches)
    count = [col("Leads", "id", aggregate="COUNT")]
    with pytest.raises(CoqlError, match="aggregates"):
        list(csv_to_batches(io.BytesIO(b"id\n1\n"), count, schema(count)))


# ---- against the sandbox: a COQL page and a bulk read of the same records -------------------------------


@pytest.fixture(scope="module")
def sandbox_http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    pytest.importorskip("uvicorn")
    import httpx

    from coqlkit.sandbox.server import Sandbox

    db = tmp_path_factory.mktemp("arrow-sandbox") / "org.sqlite3"
    with Sandbox(records=300, db=str(db), bulk_seconds=0.1) as running:
        token = httpx.post(
            f"{running.base_url}/oauth/v2/token",
            data={
                "grant_type": "refresh_token",
                "client_id": running.client_id,
                "client_secret": running.client_secret,
                "refresh_token": running.refresh_token,
            },
        ).json()["access_token"]
        with httpx.Client(
            base_url=running.base_url, headers={"Authorization": f"Zoho-oauthtoken {token}"}, timeout=30
        ) as http:
            yield http


def bulk_csv(http: Any, module: str, fields: list[str]) -> bytes:
    reply = http.post("/crm/bulk/v8/read", json={"query": {"module": {"api_name": module}, "fields": fields}})
    assert reply.status_code == 201, reply.text
    job = reply.json()["data"][0]["details"]["id"]
    for _ in range(200):
        if http.get(f"/crm/bulk/v8/read/{job}").json()["data"][0]["state"] == "COMPLETED":
            break
        time.sleep(0.05)
    archive = http.get(f"/crm/bulk/v8/read/{job}/result")
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.content)) as zf:
        return zf.read(f"{job}.csv")


ROUND_TRIPS = {
    "Leads": [
        "Last_Name",
        "Email",
        "Lead_Status",
        "Industry",
        "Languages_Spoken",
        "Annual_Revenue",
        "No_of_Employees",
        "Customer_Number",
        "Visitor_Score",
        "Email_Opt_Out",
        "Created_Time",
        "Owner",
        "Data_Processing_Basis_Details",
        "Tag",
        "Average_Time_Spent_Minutes",
    ],
    "Deals": [
        "Deal_Name",
        "Account_Name",
        "Amount",
        "Weighted_Amount",
        "Closing_Date",
        "Follow_Up_Date",
        "Stage",
        "Probability",
        "Territories",
        "Contract_File",
        "Modified_Time",
        "Account_Name.Account_Name",
    ],
}


@pytest.mark.parametrize("module", sorted(ROUND_TRIPS))
def test_the_sandbox_gives_equal_tables_by_coql_and_by_bulk_read(sandbox_http: Any, module: str) -> None:
    columns = [col(module, "id"), *(col(module, p) for p in ROUND_TRIPS[module])]
    found = schema(columns, tz="America/Los_Angeles")
    query = f"select {', '.join(ROUND_TRIPS[module])} from {module} where id is not null limit 2000"
    reply = sandbox_http.post("/crm/v8/coql", json={"select_query": query})
    assert reply.status_code == 200, reply.text
    records = reply.json()["data"]
    assert len(records) >= 50
    by_coql = pa.Table.from_batches([records_to_batch(records, found, columns)])

    fields = [csv_name(c) for c in columns[1:]]
    fields += [c.lookup_name.name for c in columns if c.lookup_name is not None]
    data = bulk_csv(sandbox_http, module, list(dict.fromkeys(fields)))
    by_bulk = pa.Table.from_batches(list(csv_to_batches(io.BytesIO(data), columns, found)), schema=found)

    assert by_bulk.num_rows == by_coql.num_rows
    assert by_bulk.equals(by_coql)
    assert by_bulk.schema.field("id").metadata[b"zoho.data_type"] == b"bigint"
    # Real values in the columns (the sandbox seeds no consent records, so that one is empty).
    empty = {f.name for f, c in zip(found, by_coql.columns, strict=True) if c.null_count == len(c)}
    assert empty <= {"Data_Processing_Basis_Details"}


# ---- a COQL response body straight to Arrow (body_to_batch) ---------------------------------------

# The Leads columns Arrow's JSON reader takes on its own (no JSON-text column such as Tag).
PLAIN = [c for c in LEADS if c.key != "Tag"]


def body(records: Any, *, indent: int | None = None) -> bytes:
    return json.dumps({"data": records, "info": {"count": 2, "more_records": False}}, indent=indent).encode()


def decoded_both_ways(data: bytes, columns: Sequence[OutputColumn]) -> tuple[pa.RecordBatch, str | None]:
    """``body_to_batch``'s answer, checked against ``json.loads`` + ``records_to_batch``."""
    found = schema(columns, tz="America/Los_Angeles")
    batch, last = body_to_batch(data, found, columns)
    records = json.loads(data)["data"] or []
    assert batch.equals(records_to_batch(records, found, columns))
    assert batch.schema == found
    assert last == (str(records[-1]["id"]) if records and "id" in records[-1] else None)
    return batch, last


def test_a_body_is_read_by_arrow_alone_and_equals_the_json_way() -> None:
    rows = [lead(i) for i in range(1, 40)]
    rows[3] = {"id": rows[3]["id"]}  # every key missing
    rows[4] = {**rows[4], "Languages_Spoken": [], "Owner": None, "Created_Time": None}
    rows[5] = {**rows[5], "Owner": {"name": "x", "id": "4150868001700000009", "email": "x@example.com"}}
    rows[6] = {**rows[6], "$approval_state": "approved", "Annual_Revenue": 7, "Last_Name": 'Zoë 😀 "q"'}
    data = body(rows)
    assert _arrow_page(data, schema(PLAIN, tz="America/Los_Angeles"), PLAIN) is not None
    batch, last = decoded_both_ways(data, PLAIN)
    assert batch.num_rows == 39
    assert last == rows[-1]["id"]
    got = batch.to_pylist()
    assert got[4]["Languages_Spoken"] is None
    assert got[5]["Owner"] == {"id": "4150868001700000009", "name": "x"}
    assert got[6]["Annual_Revenue"] == Decimal("7.00")
    assert got[6]["Last_Name"] == 'Zoë 😀 "q"'
    # Pretty-printed (Zoho's bodies are compact, but nothing says they must be).
    assert decoded_both_ways(body(rows, indent=2), PLAIN)[0].equals(batch)


def test_the_last_id_comes_even_when_id_is_not_a_column() -> None:
    columns = [c for c in PLAIN if c.key != "id"]
    batch, last = decoded_both_ways(body([lead(1), lead(2)]), columns)
    assert "id" not in batch.schema.names
    assert last == lead(2)["id"]


@pytest.mark.parametrize(
    "changes",
    [
        {"id": 4150868000100000002},  # an id as a JSON number
        {"No_of_Employees": 12.0},  # a whole number written with a fraction
        {"Customer_Number": 900000000002},  # a bigint as a number, not a digit string
        {"Owner": {"name": "x", "id": 4150868001700000002}},
    ],
)
def test_what_arrow_refuses_but_json_reads_goes_the_json_way(changes: dict[str, Any]) -> None:
    data = body([lead(1), lead(2, **changes)])
    assert _arrow_page(data, schema(PLAIN, tz="America/Los_Angeles"), PLAIN) is None
    decoded_both_ways(data, PLAIN)


def test_json_text_columns_and_repeated_keys_go_the_json_way() -> None:
    assert _arrow_page(body([lead(1)]), schema(LEADS), LEADS) is None  # Tag is JSON text
    batch, _ = decoded_both_ways(body([lead(1), lead(2)]), LEADS)
    assert batch.column(batch.schema.get_field_index("Tag"))[0].as_py().startswith('[{"name"')
    repeated = b'{"data":[{"id":"1","Last_Name":"a","Last_Name":"b"}]}'
    found = schema(PLAIN)
    assert body_to_batch(repeated, found, PLAIN)[0].column(1).to_pylist() == ["b"]  # as json.loads does


@pytest.mark.parametrize(
    ("key", "value"), [("Annual_Revenue", "1,000.00"), ("No_of_Employees", 3.5), ("Owner", "x")]
)
def test_a_body_with_a_value_of_the_wrong_shape_names_its_column(key: str, value: Any) -> None:
    with pytest.raises(CoqlError, match=f"column '{key}'.*row 1") as info:
        body_to_batch(body([lead(1), lead(2, **{key: value})]), schema(PLAIN), PLAIN)
    assert info.value.code == UNEXPECTED_VALUE


def test_an_empty_body_and_no_data_give_the_whole_schema() -> None:
    found = schema(PLAIN)
    for data in (b"", b"  ", b'{"data":[],"info":{"count":0}}', b'{"data":null}'):
        batch, last = body_to_batch(data, found, PLAIN)
        assert batch.equals(empty_batch(found)), data
        assert last is None


@pytest.mark.parametrize("module", sorted(ROUND_TRIPS))
def test_sandbox_pages_read_by_arrow_equal_the_json_way(sandbox_http: Any, module: str) -> None:
    columns = [col(module, "id"), *(col(module, p) for p in ROUND_TRIPS[module])]
    plain = [c for c in columns if c.key not in ("Tag", "Territories", "Contract_File")]
    for chosen in (columns, plain):
        query = f"select {', '.join(c.key for c in chosen[1:])} from {module} where id is not null limit 2000"
        reply = sandbox_http.post("/crm/v8/coql", json={"select_query": query})
        assert reply.status_code == 200, reply.text
        batch, _ = decoded_both_ways(reply.content, chosen)
        assert batch.num_rows >= 50
        fast = _arrow_page(reply.content, schema(chosen, tz="America/Los_Angeles"), chosen)
        assert (fast is not None) is (chosen is plain)


class _Counted(io.RawIOBase):
    """Bytes read from memory, counting how many the reader has taken so far."""

    def __init__(self, data: bytes) -> None:
        self.source = io.BytesIO(data)
        self.taken = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.source.readinto(buffer)
        self.taken += n
        return n


def test_a_csv_is_read_a_bounded_way_ahead_of_its_batches() -> None:
    """Arrow reads a CSV's blocks ahead of the batches taken, in a thread of its own, up to
    32 of them: a slow consumer (a Parquet export) holds that much, so the block is small."""
    header, row = write_csv([lead(1)], LEADS).decode().splitlines()
    data = (header + "\n" + (row + "\n") * (48 * 2**20 // (len(row) + 1))).encode()
    source = _Counted(data)
    batches = csv_to_batches(source, LEADS, schema(LEADS))
    first = next(batches)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # until the read-ahead stops growing
        before = source.taken
        time.sleep(0.2)
        if source.taken == before:
            break
    # 32 blocks queued and the few being parsed: about 9 MB at 256 KiB (36 MB at 1 MiB)
    assert source.taken <= 40 * CSV_BLOCK_BYTES <= 10 * 2**20, f"{source.taken:,} bytes read ahead"
    assert first.num_rows + sum(b.num_rows for b in batches) == data.count(b"\n") - 1
    assert source.taken == len(data)
