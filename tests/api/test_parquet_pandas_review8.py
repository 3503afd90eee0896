"""A Parquet file written by ``to_parquet`` reads back into pandas (``pd.read_parquet``)
with the integer and boolean dtypes ``to_pandas()`` gives: an integer column with empty
values is ``Int64``, not ``float64`` (13 read back as 13.0, an 18-digit Long Integer
rounded). Polars and pyarrow read the same values as before."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

import coqlkit
from coqlkit import export

QUERY = (
    "select Last_Name, No_of_Employees, Visitor_Score, Customer_Number, Email_Opt_Out, "
    "Annual_Revenue, Lead_Source from Leads where No_of_Employees is null or No_of_Employees > 0"
)


def test_integers_and_booleans_read_back_as_to_pandas_gives_them(
    conn: coqlkit.Connection, tmp_path: Path
) -> None:
    result = conn.query(QUERY)
    result.to_arrow()  # kept: the frame and the file are of the same rows
    frame = result.to_pandas()
    target = result.to_parquet(tmp_path / "leads.parquet")
    back = pd.read_parquet(target)
    assert frame["No_of_Employees"].isna().any()  # the case that made floats of them
    for name in ("No_of_Employees", "Visitor_Score", "Customer_Number"):
        assert str(back[name].dtype) == "Int64", name
        pd.testing.assert_series_equal(back[name], frame[name])
    assert (
        str(back["Email_Opt_Out"].dtype) == "boolean"
    )  # (nullable: the file is written before its nulls are known)
    assert back["Email_Opt_Out"].tolist() == frame["Email_Opt_Out"].tolist()
    assert pq.read_table(target).to_pandas()["No_of_Employees"].dtype == pd.Int64Dtype()
    # Polars reads the Arrow values, as before
    assert pl.read_parquet(target).equals(result.to_polars())


def test_a_count_is_numpys_int64_as_in_to_pandas(conn: coqlkit.Connection, tmp_path: Path) -> None:
    result = conn.query("select Lead_Source, COUNT(id), SUM(No_of_Employees) from Leads group by Lead_Source")
    result.to_arrow()
    frame = result.to_pandas()
    back = pd.read_parquet(result.to_parquet(tmp_path / "counts.parquet"))
    assert [str(t) for t in back.dtypes[1:]] == [str(t) for t in frame.dtypes[1:]] == ["int64", "Int64"]


def test_an_18_digit_long_integer_with_empty_values_is_exact(tmp_path: Path) -> None:
    schema = pa.schema([pa.field("Customer_Number", pa.int64()), pa.field("Converted__s", pa.bool_())])
    batch = pa.record_batch(
        [pa.array([999_999_999_999_999_999, None]), pa.array([None, True])], schema=schema
    )

    async def batches() -> AsyncIterator[pa.RecordBatch]:
        yield batch

    target = asyncio.run(export.write_parquet(batches(), schema, tmp_path / "n.parquet"))
    back = pd.read_parquet(target)
    assert back["Customer_Number"].tolist() == [999_999_999_999_999_999, pd.NA]
    assert back["Converted__s"].tolist() == [pd.NA, True]
    assert pq.read_table(target).to_pylist() == batch.to_pylist()  # the values themselves unchanged
