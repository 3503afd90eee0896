"""Exports: Parquet and CSV files that read back as the query's table, and that are never
left half-written: an export interrupted midway (a cancelled task, Ctrl-C, Zoho failing,
an error in the stream) leaves no file, no temporary, and any earlier file untouched."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import stat
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

import coqlkit
from coqlkit import export
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import RetryPolicy
from tests.api._support import RECORDS, ctrl_c_when

WIDE = (
    "select Last_Name, Lead_Source, Owner, Created_Time, Languages_Spoken, Annual_Revenue, "
    "Email_Opt_Out, No_of_Employees from Leads"
)
OLD = b"an earlier export, which must survive a failed one\n"


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def assert_same(back: pa.Table, expected: pa.Table) -> None:
    """``back`` (read from Parquet) holds ``expected``: every value, every column's kind and
    Zoho metadata. Parquet has no seconds unit (timestamps come back in ms) and names a
    list's item ``element``: equal once cast back."""
    assert back.column_names == expected.column_names
    for got, want in zip(back.schema, expected.schema, strict=True):
        assert got.metadata == want.metadata, got.name
        if pa.types.is_timestamp(want.type):
            assert got.type == pa.timestamp("ms", want.type.tz)
        elif pa.types.is_list(want.type):
            assert got.type.value_type == want.type.value_type
        else:
            assert got.type == want.type, got.name
    # (by value: a picklist's dictionary is rebuilt per row group)
    assert back.cast(expected.schema).to_pylist() == expected.to_pylist()


# ---- round trips ---------------------------------------------------------------------------


def test_parquet_round_trip(conn: coqlkit.Connection, tmp_path: Path) -> None:
    target = tmp_path / "leads.parquet"
    written = conn.query(WIDE, page_size=1000).to_parquet(target)  # streamed, never held whole
    assert written == target
    assert listing(tmp_path) == ["leads.parquet"]
    expected = conn.query(WIDE, page_size=1000).to_arrow()
    back = pq.read_table(target)
    assert back.num_rows == RECORDS
    assert_same(back, expected)


def test_parquet_of_a_kept_table(conn: coqlkit.Connection, tmp_path: Path) -> None:
    result = conn.query(WIDE + " where Lead_Source = 'Chat'")
    table = result.to_arrow()
    result.to_parquet(tmp_path / "a.parquet")
    result.to_parquet(tmp_path / "b.parquet", compression="snappy")  # a kept table exports as often
    assert_same(pq.read_table(tmp_path / "a.parquet"), table)
    assert_same(pq.read_table(tmp_path / "b.parquet"), table)
    assert pq.ParquetFile(tmp_path / "b.parquet").metadata.row_group(0).column(0).compression == "SNAPPY"


def test_csv_round_trip(conn: coqlkit.Connection, tmp_path: Path) -> None:
    import pandas as pd

    target = tmp_path / "sub" / "dir" / "leads.csv"  # missing folders are made when asked
    text = WIDE + " where Languages_Spoken is not null"
    assert conn.query(text).to_csv(target, mkdir=True) == target
    table = conn.query(text).to_arrow()
    frame = pd.read_csv(target, dtype=str, keep_default_na=False)
    assert list(frame.columns) == [
        "id",
        "Last_Name",
        "Lead_Source",
        "Owner.name",
        "Owner.id",
        "Created_Time",
        "Languages_Spoken",
        "Annual_Revenue",
        "Email_Opt_Out",
        "No_of_Employees",
    ]
    assert len(frame) == table.num_rows > 0
    for row, line in zip(table.to_pylist(), frame.to_dict("records"), strict=True):
        assert line["id"] == row["id"]
        assert line["Last_Name"] == row["Last_Name"]
        assert line["Lead_Source"] == (row["Lead_Source"] or "")
        assert line["Owner.name"] == row["Owner"]["name"]
        assert line["Owner.id"] == row["Owner"]["id"]
        assert line["Languages_Spoken"] == ";".join(row["Languages_Spoken"])
        created = dt.datetime.fromisoformat(line["Created_Time"])
        assert created.utcoffset() == row["Created_Time"].utcoffset()  # PST or PDT, as it was
        assert created.timestamp() == row["Created_Time"].timestamp()
        assert line["Created_Time"][-6:] in ("-07:00", "-08:00")  # the org's zone, with its offset
        assert line["Annual_Revenue"] == ("" if row["Annual_Revenue"] is None else str(row["Annual_Revenue"]))
        assert line["Email_Opt_Out"] == str(row["Email_Opt_Out"]).lower()


def test_csv_reads_back_with_pyarrow(conn: coqlkit.Connection, tmp_path: Path) -> None:
    result = conn.query("select Last_Name, Owner, Created_Time from Leads", page_size=1000, tz="UTC")
    result.to_csv(tmp_path / "leads.csv", delimiter=";")
    back = pcsv.read_csv(tmp_path / "leads.csv", parse_options=pcsv.ParseOptions(delimiter=";"))
    assert back.num_rows == RECORDS
    assert back.column_names == ["id", "Last_Name", "Owner.name", "Owner.id", "Created_Time"]
    assert str(back.column("Created_Time")[0]).endswith("+00:00")


def test_exports_of_an_empty_result(conn: coqlkit.Connection, tmp_path: Path) -> None:
    nobody = WIDE + " where Last_Name = 'Nobody at all'"
    conn.query(nobody).to_parquet(tmp_path / "none.parquet")
    back = pq.read_table(tmp_path / "none.parquet")
    assert back.num_rows == 0
    assert_same(back, conn.query(WIDE + " limit 1").schema.empty_table())
    conn.query(nobody).to_csv(tmp_path / "none.csv")
    header = (tmp_path / "none.csv").read_text().splitlines()
    assert header == [  # quoted only where a name holds a comma, a quote or a line break
        "id,Last_Name,Lead_Source,Owner.name,Owner.id,Created_Time,Languages_Spoken,"
        "Annual_Revenue,Email_Opt_Out,No_of_Employees"
    ]


def test_an_export_replaces_an_earlier_file(conn: coqlkit.Connection, tmp_path: Path) -> None:
    target = tmp_path / "leads.csv"
    target.write_bytes(OLD)
    conn.query("select Last_Name from Leads limit 5").to_csv(target, include_header=False)
    assert len(target.read_text().splitlines()) == 5
    assert listing(tmp_path) == ["leads.csv"]


def test_an_export_has_the_permissions_a_plain_write_gives(conn: coqlkit.Connection, tmp_path: Path) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text("x")  # what open() makes here, under this process's umask
    conn.query("select Last_Name from Leads limit 5").to_csv(tmp_path / "new.csv")
    assert stat.S_IMODE((tmp_path / "new.csv").stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)

    kept = tmp_path / "kept.parquet"
    kept.write_bytes(OLD)
    kept.chmod(0o640)  # a file replaced keeps its permissions
    conn.query("select Last_Name from Leads limit 5").to_parquet(kept)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    assert pq.read_table(kept).num_rows == 5


def test_a_streamed_result_cannot_be_exported_again(conn: coqlkit.Connection, tmp_path: Path) -> None:
    result = conn.query("select Last_Name from Leads limit 5")
    result.to_csv(tmp_path / "once.csv")
    with pytest.raises(coqlkit.CoqlError, match="already streamed"):
        result.to_csv(tmp_path / "twice.csv")
    assert listing(tmp_path) == ["once.csv"]


# ---- interrupted exports -------------------------------------------------------------------


@pytest.fixture(scope="module")
def slow(slow_sandbox: Sandbox) -> Iterator[coqlkit.Connection]:
    """A connection to the slow sandbox (shared: its metadata calls are slow too)."""
    with coqlkit.connect(sandbox=slow_sandbox) as connection:
        connection.fields("Leads")
        yield connection


def big_query(conn: coqlkit.Connection, page_size: int = 200) -> coqlkit.Result:
    """Every Lead, 200 a page: on the slow sandbox the read takes several round trips (the
    client sends ten calls at once)."""
    result = conn.query(WIDE, page_size=page_size)
    assert result.plan.estimate.calls > 10
    return result


def wait_for(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_a_cancelled_export_task_leaves_nothing(slow_sandbox: Sandbox, tmp_path: Path) -> None:
    kind = "csv"
    target = tmp_path / f"leads.{kind}"
    target.write_bytes(OLD)

    async def main() -> None:
        async with await coqlkit.connect_async(sandbox=slow_sandbox) as conn:
            result = await conn.query(WIDE, page_size=200)
            write = result.to_parquet if kind == "parquet" else result.to_csv
            task = asyncio.create_task(write(target))
            while result.stats.rows == 0:  # the first batch is in the writer's hands
                await asyncio.sleep(0.005)
            assert len(listing(tmp_path)) == 2  # the target and the hidden temporary
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert result.stats.rows < RECORDS

    asyncio.run(main())
    assert listing(tmp_path) == [target.name]
    assert target.read_bytes() == OLD


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_ctrl_c_during_a_sync_export_leaves_nothing(
    slow: coqlkit.Connection, tmp_path: Path, kind: str
) -> None:
    target = tmp_path / f"leads.{kind}"
    target.write_bytes(OLD)
    result = big_query(slow)
    write = result.to_parquet if kind == "parquet" else result.to_csv
    with ctrl_c_when(lambda: result.stats.rows > 0) as sent, pytest.raises(KeyboardInterrupt):
        write(target)
    assert sent.is_set()
    assert 0 < result.stats.rows < RECORDS
    # Ctrl-C returns once the export has cleaned up after itself.
    assert listing(tmp_path) == [target.name]
    assert target.read_bytes() == OLD
    # and the connection still works
    assert slow.query("select Last_Name from Leads limit 3").to_arrow().num_rows == 3


def test_zoho_failing_midway_leaves_nothing(
    slow: coqlkit.Connection, slow_sandbox: Sandbox, tmp_path: Path
) -> None:
    """Every call fails once the first page is in (retries exhausted): the export fails whole."""
    target = tmp_path / "leads.parquet"
    target.write_bytes(OLD)
    state = slow_sandbox.state
    assert state is not None
    healthy, patient = state.config, slow.aio.client.retry
    slow.aio.client.retry = RetryPolicy(attempts=2, base=0.01, cap=0.02)
    # 30 pages, three rounds of ten: the third starts well after the first page is in (a
    # call keeps the sandbox's settings of the moment it arrived).
    result = big_query(slow, page_size=100)

    def fail_from_now() -> None:
        wait_for(lambda: result.stats.rows > 0)
        state.config = dataclasses.replace(healthy, fail_rate=1.0)

    breaker = threading.Thread(target=fail_from_now, daemon=True)
    breaker.start()
    try:
        with pytest.raises(coqlkit.ApiError):
            result.to_parquet(target)
    finally:
        breaker.join()
        state.config, slow.aio.client.retry = healthy, patient
    assert 0 < result.stats.rows < RECORDS
    assert listing(tmp_path) == [target.name]
    assert target.read_bytes() == OLD


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_an_error_in_the_stream_leaves_nothing(conn: coqlkit.Connection, tmp_path: Path, kind: str) -> None:
    table = conn.query(WIDE + " limit 1000").to_arrow()
    target = tmp_path / f"leads.{kind}"
    target.write_bytes(OLD)

    async def failing() -> AsyncIterator[pa.RecordBatch]:
        for batch in table.to_batches(max_chunksize=100)[:5]:
            yield batch
            await asyncio.sleep(0)
        raise RuntimeError("the source broke")

    write = export.write_parquet if kind == "parquet" else export.write_csv
    with pytest.raises(RuntimeError, match="the source broke"):
        asyncio.run(write(failing(), table.schema, target))
    assert listing(tmp_path) == [target.name]
    assert target.read_bytes() == OLD


def test_a_writer_that_cannot_open_leaves_nothing(conn: coqlkit.Connection, tmp_path: Path) -> None:
    with pytest.raises(coqlkit.OptionError, match="compression"):  # (pyarrow's ArrowException, named)
        conn.query("select Last_Name from Leads limit 5").to_parquet(
            tmp_path / "x.parquet", compression="nope"
        )
    assert listing(tmp_path) == []


def test_a_batch_of_the_wrong_schema_leaves_nothing(tmp_path: Path) -> None:
    schema = pa.schema([("id", pa.string()), ("n", pa.int64())])

    async def batches() -> AsyncIterator[pa.RecordBatch]:
        yield pa.record_batch([pa.array(["1"]), pa.array([1])], schema=schema)
        yield pa.record_batch([pa.array(["2"]), pa.array(["two"])], names=["id", "n"])

    with pytest.raises((ValueError, pa.ArrowException), match="schema"):
        asyncio.run(export.write_parquet(batches(), schema, tmp_path / "x.parquet", row_group_rows=1))
    assert listing(tmp_path) == []


def test_csv_writes_large_averages_without_e_notation(conn: coqlkit.Connection, tmp_path: Path) -> None:
    # AVG is a double: Arrow's CSV writer writes 5.1225129e+10 from 1e10 up, which a
    # spreadsheet reads as text or rounds; the digits are written out instead, unquoted.
    result = conn.query("select AVG(Annual_Revenue), AVG(No_of_Employees) from Leads")
    table = result.to_arrow()
    assert pa.types.is_floating(table.schema.field(0).type)
    scaled = table.set_column(0, table.schema.field(0), pa.array([table.column(0)[0].as_py() * 1e5]))
    path = tmp_path / "sums.csv"

    async def rows() -> AsyncIterator[pa.RecordBatch]:
        for batch in scaled.to_batches():
            yield batch

    asyncio.run(export.write_csv(rows(), scaled.schema, path))
    _, row = path.read_text().splitlines()
    assert "e" not in row.lower()
    assert '"' not in row  # numbers: never quoted
    written = row.split(",")
    assert float(written[0]) == scaled.column(0)[0].as_py() >= 1e10
    assert float(written[1]) == table.column(1)[0].as_py()


def test_csv_names_a_column_once_when_a_lookup_and_its_id_are_both_selected(
    conn: coqlkit.Connection, tmp_path: Path
) -> None:
    # Owner becomes Owner.name and Owner.id; Owner.id selected too is written once, or a
    # loader matching columns by header drops or renames one.
    target = tmp_path / "owners.csv"
    result = conn.query("select Last_Name, Owner, Owner.id from Leads limit 20")
    rows = result.to_arrow().to_pylist()
    result.to_csv(target)
    table = pcsv.read_csv(target, convert_options=pcsv.ConvertOptions(strings_can_be_null=False))
    assert table.column_names == ["id", "Last_Name", "Owner.name", "Owner.id"]
    assert table.column("Owner.id").cast(pa.string()).to_pylist() == [r["Owner"]["id"] for r in rows]
    assert table.column("Owner.name").to_pylist() == [r["Owner"]["name"] for r in rows]
