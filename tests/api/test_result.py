"""``Result``: Arrow (kept), pandas, Polars, streaming record batches, rows as dicts, empty
results, run statistics and EXPLAIN."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import time
import warnings
from decimal import Decimal

import pyarrow as pa
import pytest

import coqlkit
from coqlkit.sandbox.server import Sandbox
from tests.api._support import RECORDS, RequestLog, count

WIDE = (
    "select Last_Name, Lead_Source, Owner, Created_Time, Languages_Spoken, Annual_Revenue, "
    "Email_Opt_Out, No_of_Employees from Leads"
)
NOBODY = " where Last_Name = 'Nobody at all'"


def ids(oracle: sqlite3.Connection, where: str) -> list[str]:
    return [str(r[0]) for r in oracle.execute(f"select id from Leads where {where} order by id")]


# ---- Arrow ---------------------------------------------------------------------------------


def test_to_arrow_has_typed_columns_and_is_kept(
    conn: coqlkit.Connection, log: RequestLog, oracle: sqlite3.Connection
) -> None:
    result = conn.query(WIDE + " where Annual_Revenue > 0")
    assert repr(result).startswith("<coqlkit.Result Leads: ")
    table = result.to_arrow()
    assert table.schema.equals(result.schema)
    types = {f.name: f.type for f in table.schema}
    assert types["Lead_Source"] == pa.dictionary(pa.int32(), pa.string())
    assert types["Owner"] == pa.struct([("id", pa.string()), ("name", pa.string())])
    assert types["Created_Time"] == pa.timestamp("s", "America/Los_Angeles")
    assert types["Languages_Spoken"] == pa.list_(pa.string())
    assert types["Annual_Revenue"] == pa.decimal128(18, 2)
    assert types["Email_Opt_Out"] == pa.bool_()
    assert types["No_of_Employees"] == pa.int64()
    assert table.schema.field("Owner").metadata[b"zoho.data_type"] == b"ownerlookup"
    assert sorted(table.column("id").to_pylist()) == ids(oracle, "Annual_Revenue > 0")

    calls = len(log.coql())
    assert result.to_arrow() is table  # kept: no second read
    assert len(log.coql()) == calls


def test_a_read_of_many_pages(conn: coqlkit.Connection, log: RequestLog) -> None:
    result = conn.query("select Last_Name, Email from Leads", page_size=500)
    table = result.to_arrow()
    assert table.num_rows == RECORDS
    assert len(set(table.column("id").to_pylist())) == RECORDS
    assert len(log.coql()) == result.stats.calls == RECORDS // 500 + 1  # the pages and the probe


def test_rows_as_dicts(conn: coqlkit.Connection, oracle: sqlite3.Connection) -> None:
    result = conn.query("select Last_Name, Owner, Annual_Revenue from Leads where Last_Name = 'Cruz'")
    rows = list(result)
    assert len(rows) == count(oracle, "Last_Name = 'Cruz'") > 0
    first = rows[0]
    assert list(first) == ["id", "Last_Name", "Owner", "Annual_Revenue"]
    assert first["Last_Name"] == "Cruz"
    assert set(first["Owner"]) == {"id", "name"}
    assert first["Annual_Revenue"] is None or isinstance(first["Annual_Revenue"], Decimal)


# ---- pandas and Polars ---------------------------------------------------------------------


def test_to_pandas_dtypes(conn: coqlkit.Connection) -> None:
    import pandas as pd

    frame = conn.query(WIDE + " where Lead_Source is not null limit 300").to_pandas()
    assert len(frame) == 300
    assert isinstance(frame["Lead_Source"].dtype, pd.CategoricalDtype)
    assert "Chat" in frame["Lead_Source"].cat.categories
    created = frame["Created_Time"].dtype
    assert isinstance(created, pd.DatetimeTZDtype)
    assert str(created.tz) == "America/Los_Angeles"
    assert frame["Email_Opt_Out"].dtype == bool
    # Lookups are their names by default (they were dicts, which pandas cannot group by).
    owner = conn.query(WIDE + " where Lead_Source is not null limit 300").to_pandas(lookups="struct")["Owner"]
    assert set(owner.iloc[0]) == {"id", "name"}
    assert frame["Owner"].tolist() == [o["name"] for o in owner]
    assert isinstance(frame["Created_Time"].iloc[0], pd.Timestamp)
    assert frame["Created_Time"].iloc[0].tzinfo is not None


def test_to_pandas_decimals_are_floats_unless_asked_exact(conn: coqlkit.Connection) -> None:
    import pandas as pd

    query = (
        "select Last_Name, Annual_Revenue from Leads where Annual_Revenue is not null order by id limit 50"
    )
    rough = conn.query(query).to_pandas(strings_to_categorical=True)
    exact = conn.query(query).to_pandas(decimals="decimal")
    assert rough["Annual_Revenue"].dtype == "float64"  # as pandas' read_sql makes them
    assert exact["Annual_Revenue"].dtype == object
    assert all(isinstance(v, Decimal) for v in exact["Annual_Revenue"])
    assert rough["Annual_Revenue"].tolist() == [float(v) for v in exact["Annual_Revenue"]]
    assert rough["Annual_Revenue"].sum() == pytest.approx(float(exact["Annual_Revenue"].sum()))
    assert conn.query(query).to_pandas(decimals="float")["Annual_Revenue"].equals(rough["Annual_Revenue"])
    assert rough["Last_Name"].tolist() == exact["Last_Name"].tolist()
    assert isinstance(rough["Last_Name"].dtype, pd.CategoricalDtype)  # the other options go to pyarrow
    with pytest.raises(ValueError, match="decimals='exact'"):
        conn.query(query).to_pandas(decimals="exact")


def test_the_default_frame_charts_and_computes(conn: coqlkit.Connection) -> None:
    """An analyst's first steps on currency, which exact Decimal objects refused (TypeError)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    deals = conn.query(
        "select Deal_Name, Stage, Amount, Closing_Date from Deals where Amount is not null"
    ).to_pandas()
    amount = deals["Amount"]
    assert (amount / 1e6).max() > 0
    assert amount.quantile(0.9) > amount.quantile(0.1)
    assert deals.nlargest(3, "Amount")["Amount"].tolist() == sorted(amount, reverse=True)[:3]
    assert deals.Amount.describe()["mean"] == pytest.approx(amount.mean())  # a number's summary
    deals.plot(x="Closing_Date", y="Amount")
    amount.plot.hist()
    deals.groupby("Stage", observed=True)["Amount"].sum().plot.bar()
    plt.close("all")
    # An aggregate query's columns are all numbers of one kind: MIN(Amount) as SUM's.
    grouped = conn.query(
        "select Stage, COUNT(id), SUM(Amount), AVG(Amount), MIN(Amount) from Deals group by Stage"
    ).to_pandas()
    assert {str(grouped[c].dtype) for c in ("SUM(Amount)", "AVG(Amount)", "MIN(Amount)")} == {"float64"}
    assert str(grouped["COUNT(id)"].dtype) == "int64"  # never empty: numpy's, so pivots chart
    grouped.plot.bar(x="Stage", y="MIN(Amount)")
    plt.close("all")


def test_integers_and_booleans_lose_nothing(conn: coqlkit.Connection, oracle: sqlite3.Connection) -> None:
    import pandas as pd

    query = "select No_of_Employees, Customer_Number, Email_Opt_Out from Leads order by id limit 300"
    frame = conn.query(query).to_pandas()
    held = oracle.execute(
        f"select No_of_Employees, Customer_Number from Leads order by id limit {300}"
    ).fetchall()
    for column, at in (("No_of_Employees", 0), ("Customer_Number", 1)):
        assert frame[column].dtype == pd.Int64Dtype()  # an integer field: nullable, not float64
        assert frame[column].isna().sum() == sum(r[at] is None for r in held) > 0
        values = [None if v is pd.NA else v for v in frame[column].tolist()]
        assert values == [r[at] for r in held]  # 13, not 13.0
        assert all(type(v) is int for v in frame[column].dropna().tolist())
    assert frame["Email_Opt_Out"].dtype == bool  # no empty value: numpy's bool

    # The same conversion where numpy would round (an 18-digit Long Integer) or lose the
    # booleans' type (True, None → object): what Zoho's fields can hold, the sandbox's do not.
    from coqlkit.api import pandas_frame

    big = pa.array([123456789012345678, None, 123456789012345679], pa.int64())
    flags = pa.array([True, None, False])
    synthetic = pandas_frame(pa.table({"Customer_Number": big, "Flag": flags}))
    assert synthetic["Customer_Number"].tolist()[::2] == [123456789012345678, 123456789012345679]
    assert synthetic["Customer_Number"][0] != synthetic["Customer_Number"][2]
    assert synthetic["Flag"].dtype == pd.BooleanDtype()
    assert synthetic["Flag"].tolist()[::2] == [True, False] and synthetic["Flag"].isna()[1]


def test_a_types_mapper_of_ones_own_is_asked_first(conn: coqlkit.Connection) -> None:
    import pandas as pd

    query = "select Last_Name, No_of_Employees, Annual_Revenue from Leads order by id limit 50"
    strings = conn.query(query).to_pandas(
        types_mapper=lambda kind: pd.StringDtype() if kind == pa.string() else None
    )
    assert strings["Last_Name"].dtype == pd.StringDtype()  # the user's
    assert strings["No_of_Employees"].dtype == pd.Int64Dtype()  # the rest as without it
    assert strings["Annual_Revenue"].dtype == "float64"
    arrow = conn.query(query).to_pandas(types_mapper=pd.ArrowDtype, decimals="arrow")
    assert arrow["No_of_Employees"].dtype == pd.ArrowDtype(pa.int64())  # the user's wins
    assert arrow["Annual_Revenue"].dtype == pd.ArrowDtype(pa.decimal128(18, 2))
    counts = conn.query("select Lead_Source, COUNT(id) from Leads group by Lead_Source").to_pandas(
        types_mapper=lambda kind: pd.Int64Dtype() if kind == pa.int64() else None
    )
    assert counts["COUNT(id)"].dtype == pd.Int64Dtype()  # asked for: kept


DEALS = "select Deal_Name, Stage, Amount, Probability, Closing_Date, Owner, Account_Name from Deals"


def test_to_pandas_dates_are_datetimes(conn: coqlkit.Connection, oracle: sqlite3.Connection) -> None:
    import pandas as pd

    frame = conn.query(DEALS + " where Closing_Date is not null order by id limit 200").to_pandas()
    closing = frame["Closing_Date"]
    assert pd.api.types.is_datetime64_dtype(closing.dtype)  # .dt, resample and comparisons work
    since = closing < "2025-01-01"
    dates = oracle.execute(
        "select Closing_Date from Deals where Closing_Date is not null order by id limit 200"
    )
    expected = [r[0] < "2025-01-01" for r in dates]
    assert since.tolist() == expected
    assert closing.dt.to_period("Q").notna().all()
    assert closing.dt.date.tolist()[0] == dt.date.fromisoformat(
        oracle.execute("select Closing_Date from Deals order by id limit 1").fetchone()[0]
    )
    objects = conn.query(DEALS + " order by id limit 5").to_pandas(date_as_object=True)  # the old way
    assert all(isinstance(d, dt.date) for d in objects["Closing_Date"].dropna())


def test_to_pandas_lookups_as_names_flattened_or_dicts(conn: coqlkit.Connection) -> None:
    query = DEALS + " where Account_Name is not null order by id limit 300"
    table = conn.query(query).to_arrow()
    owners = table.column("Owner").to_pylist()
    with pytest.warns(coqlkit.CoqlWarning, match="^Account_Name: "):  # two accounts share a name
        named = conn.query(query).to_pandas()
    assert named["Owner"].tolist() == [o["name"] for o in owners]
    assert named.groupby("Owner")["Probability"].count().sum() == 300  # names group; dicts could not
    assert len(named.drop_duplicates()) == 300
    flat = conn.query(query).to_pandas(lookups="flatten")
    assert [c for c in flat.columns if "." in c] == [
        "Owner.name",
        "Owner.id",
        "Account_Name.name",
        "Account_Name.id",
    ]
    assert flat["Owner.id"].tolist() == [o["id"] for o in owners]
    assert flat["Owner.name"].tolist() == [o["name"] for o in owners]
    dicts = conn.query(query).to_pandas(lookups="struct")
    assert dicts["Owner"].tolist() == owners
    with pytest.raises(ValueError, match="lookups='names'"):
        conn.query(query).to_pandas(lookups="names")


def test_names_that_stand_for_several_records_warn(
    conn: coqlkit.Connection, oracle: sqlite3.Connection
) -> None:
    from coqlkit.errors import AmbiguousLookupWarning

    # The demo org has two accounts called Frontier Hospitality, each with deals.
    accounts = oracle.execute(
        "select id from Accounts where Account_Name = 'Frontier Hospitality'"
    ).fetchall()
    assert len(accounts) == 2
    query = (
        "select Deal_Name, Account_Name, Amount from Deals "
        "where Account_Name.Account_Name in ('Frontier Hospitality', 'Echo Data', 'Acme Nowhere')"
    )
    result = conn.query(query)
    with pytest.warns(AmbiguousLookupWarning) as caught:
        named = result.to_pandas()
    [warning] = caught.list
    assert warning.filename == __file__  # at the caller's line
    found = warning.message
    assert isinstance(found, AmbiguousLookupWarning) and isinstance(found, coqlkit.CoqlWarning)
    assert (found.column, found.names, found.example, found.records) == (
        "Account_Name",
        2,
        "Echo Data",  # of those standing for the most records, the first by name
        2,
    )
    assert str(found) == (
        "Account_Name: 2 names each stand for more than one record (e.g. 'Echo Data': "
        '2 records), which a group-by on the names merges; lookups="flatten" keeps each record\'s id '
        "(Account_Name.id)"
    )
    # What it warns about: the names merge the accounts; the ids keep them apart.
    assert named["Account_Name"].nunique() == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to warn about with the ids kept
        flat = result.to_pandas(lookups="flatten")
        result.to_pandas(lookups="struct")
        one = conn.query(
            "select Deal_Name, Account_Name from Deals where Account_Name.Account_Name = 'Acme Nowhere'"
        ).to_pandas()
    assert flat["Account_Name.id"].nunique() == 4 and one.empty


def test_the_async_api_warns_of_ambiguous_names_in_the_awaiting_coroutine(sandbox: Sandbox) -> None:
    from coqlkit.errors import AmbiguousLookupWarning

    async def main() -> None:
        async with await coqlkit.connect_async(sandbox=sandbox) as conn:
            result = await conn.query(
                "select Account_Name from Deals where Account_Name.Account_Name = 'Frontier Hospitality'"
            )
            with pytest.warns(AmbiguousLookupWarning) as caught:
                await result.to_pandas()
            assert caught.list[0].filename == __file__

    asyncio.run(main())


def test_a_lookup_without_a_name_shows_its_id() -> None:
    from coqlkit.api import pandas_frame
    from coqlkit.execute.arrow import LOOKUP_TYPE

    owner = pa.array([{"id": "1", "name": "Mia Chen"}, {"id": "2", "name": None}, None], LOOKUP_TYPE)
    frame = pandas_frame(pa.table({"Owner": owner}))
    assert frame["Owner"].tolist()[:2] == ["Mia Chen", "2"] and frame["Owner"].isna().tolist()[2]


def test_picklist_categories_are_the_picklist_in_zohos_order(conn: coqlkit.Connection) -> None:
    import pandas as pd

    stages = conn.catalog(["Deals"]).module("Deals").field("Stage").picklist_values
    won = conn.query("select Stage, Amount from Deals where Stage = 'Closed Won' limit 20").to_pandas()
    early = conn.query(
        "select Stage, Amount from Deals where Stage in ('Qualification', 'Needs Analysis')"
    ).to_pandas()
    assert won["Stage"].cat.categories.tolist() == [s for s in stages if s != "-None-"]
    # Group-bys follow the pipeline, stages without a deal included; two results concatenate.
    counts = early.groupby("Stage", observed=False).size()
    assert counts.index.tolist() == won["Stage"].cat.categories.tolist()
    assert counts["Closed Won"] == 0 and counts["Qualification"] > 0
    both = pd.concat([won, early])
    assert isinstance(both["Stage"].dtype, pd.CategoricalDtype)
    assert both.sort_values("Stage")["Stage"].iloc[0] == "Qualification"
    grouped = conn.query("select Stage, COUNT(id) from Deals group by Stage").to_pandas()
    assert grouped.sort_values("Stage")["Stage"].tolist() == [s for s in stages if s in set(grouped["Stage"])]


def test_values_the_picklist_does_not_list_come_last() -> None:
    from coqlkit.api import pandas_frame

    stage = pa.array(["Won", "Retired stage", "Open", None]).dictionary_encode()
    frame = pandas_frame(pa.table({"Stage": stage}), picklists={"Stage": ("-None-", "Open", "Won", "Lost")})
    assert frame["Stage"].cat.categories.tolist() == ["Open", "Won", "Lost", "Retired stage"]
    assert frame["Stage"].tolist()[:3] == ["Won", "Retired stage", "Open"]


def test_to_pandas_decimals_as_arrow_decimals(conn: coqlkit.Connection) -> None:
    import pandas as pd

    query = DEALS + " where Amount is not null order by id limit 100"
    exact = conn.query(query).to_pandas(decimals="decimal", lookups="flatten")
    arrow = conn.query(query).to_pandas(decimals="arrow", lookups="flatten")
    assert arrow["Amount"].dtype == pd.ArrowDtype(pa.decimal128(18, 2))
    assert arrow["Amount"].tolist() == exact["Amount"].tolist()  # exact: the same Decimals
    weighted = arrow["Amount"] * arrow["Probability"] / 100  # arithmetic with a float column
    assert weighted.notna().sum() > 0
    assert arrow.groupby("Stage", observed=True)["Amount"].sum().sum() == exact["Amount"].sum()
    assert float(arrow["Amount"].quantile(0.5)) > 0


def test_to_polars_decimals_as_floats(conn: coqlkit.Connection) -> None:
    import polars as pl

    query = DEALS + " where Amount is not null order by id limit 50"
    exact = conn.query(query).to_polars()
    rough = conn.query(query).to_polars(decimals="float")
    assert isinstance(exact.schema["Amount"], pl.Decimal)
    assert rough.schema["Amount"] == pl.Float64
    assert rough["Amount"].to_list() == [float(v) for v in exact["Amount"].to_list()]
    with pytest.raises(ValueError, match="decimals='arrow'"):
        conn.query(query).to_polars(decimals="arrow")


def test_to_polars_types(conn: coqlkit.Connection) -> None:
    import polars as pl

    frame = conn.query(WIDE + " limit 200").to_polars()
    assert isinstance(frame, pl.DataFrame)
    assert frame.height == 200
    schema = frame.schema
    assert schema["Lead_Source"] == pl.Categorical
    assert schema["Created_Time"] == pl.Datetime(time_unit="ms", time_zone="America/Los_Angeles")
    assert schema["Owner"] == pl.Struct({"id": pl.String, "name": pl.String})
    assert schema["Languages_Spoken"] == pl.List(pl.String)
    assert schema["Email_Opt_Out"] == pl.Boolean


# ---- empty results -------------------------------------------------------------------------


def test_an_empty_result_has_the_full_schema(conn: coqlkit.Connection) -> None:
    import pandas as pd

    full = conn.query(WIDE + " limit 1").schema
    result = conn.query(WIDE + NOBODY)
    table = result.to_arrow()
    assert table.num_rows == 0
    assert table.schema.equals(full, check_metadata=True)
    assert result.stats.rows == 0

    frame = conn.query(WIDE + NOBODY).to_pandas()
    assert list(frame.columns) == full.names
    assert isinstance(frame["Lead_Source"].dtype, pd.CategoricalDtype)
    assert isinstance(frame["Created_Time"].dtype, pd.DatetimeTZDtype)
    assert conn.query(WIDE + NOBODY).to_polars().columns == full.names
    assert list(conn.query(WIDE + NOBODY)) == []
    batches = list(conn.query(WIDE + NOBODY).record_batches())
    assert sum(b.num_rows for b in batches) == 0
    assert all(b.schema.equals(full) for b in batches)


# ---- streaming -----------------------------------------------------------------------------


def test_record_batches(conn: coqlkit.Connection, oracle: sqlite3.Connection) -> None:
    result = conn.query("select Last_Name, Lead_Source from Leads where Annual_Revenue > 0", page_size=400)
    reader = result.record_batches()
    assert isinstance(reader, pa.RecordBatchReader)
    assert reader.schema.equals(result.schema)
    batches = list(reader)
    assert len(batches) > 1
    assert sum(b.num_rows for b in batches) == count(oracle, "Annual_Revenue > 0")


def test_the_first_batch_comes_before_the_read_ends(slow_sandbox: Sandbox) -> None:
    log = RequestLog(slow_sandbox)
    with coqlkit.connect(sandbox=slow_sandbox) as conn:
        result = conn.query("select Last_Name from Leads", page_size=200)
        assert result.plan.estimate.calls > 10  # more pages than the client sends at once
        log.mark()
        reader = result.record_batches()
        first = reader.read_next_batch()
        pages_then = len(log.coql())
        rows_then = result.stats.rows
        rest = reader.read_all()
    assert first.num_rows == rows_then == 200
    assert first.num_rows + rest.num_rows == RECORDS
    # Pages beyond the client's ten at once had not come back when the first batch was out.
    assert pages_then < len(log.coql()) == RECORDS // 200


def test_a_lazy_reader_asks_for_one_page_until_a_second_batch_is_read(sandbox: Sandbox) -> None:
    """``record_batches(lazy=True)``: a reader that may stop after a few rows spends the
    probe and one page; reading on opens the whole window, and every row comes."""
    log = RequestLog(sandbox)
    with coqlkit.connect(sandbox=sandbox) as conn:
        result = conn.query("select Last_Name from Leads", page_size=200)
        log.mark()
        reader = result.record_batches(lazy=True)
        first = reader.read_next_batch()
        time.sleep(0.2)  # room for pages a window would have sent meanwhile
        assert first.num_rows == 200 and len(log.coql()) == 1
        rest = reader.read_all()
    assert first.num_rows + rest.num_rows == RECORDS
    assert len(log.coql()) == RECORDS // 200


def test_a_result_streams_once(conn: coqlkit.Connection) -> None:
    text = "select Last_Name from Leads where Lead_Source = 'Chat'"
    result = conn.query(text)
    assert len(list(result.record_batches())) >= 1
    for again in (lambda: result.record_batches().read_all(), lambda: list(result), result.to_arrow):
        with pytest.raises(coqlkit.CoqlError, match="already streamed") as caught:
            again()
        assert caught.value.code == "RESULT_CONSUMED"

    kept = conn.query(text)
    table = kept.to_arrow()
    assert kept.record_batches().read_all().equals(table)  # a kept table streams as often as asked
    assert len(list(kept)) == len(list(kept)) == table.num_rows


def test_stopping_a_stream_early(conn: coqlkit.Connection, log: RequestLog) -> None:
    result = conn.query("select Last_Name from Leads", page_size=200)
    rows = iter(result)
    assert all(next(rows)["Last_Name"] for _ in range(5))
    del rows  # abandoned midway: the read is closed, its calls cancelled
    # the connection is still usable after the abandoned stream
    assert conn.query("select Last_Name from Leads limit 3").to_arrow().num_rows == 3


def test_async_batches_stream(sandbox: Sandbox) -> None:
    async def main() -> tuple[int, int]:
        async with await coqlkit.connect_async(sandbox=sandbox) as conn:
            result = await conn.query("select Last_Name from Leads", page_size=1000)
            batches = 0
            rows = 0
            async for batch in result.batches():
                batches += 1
                rows += batch.num_rows
            with pytest.raises(coqlkit.CoqlError, match="already streamed"):
                await result.to_arrow()
            return batches, rows

    assert asyncio.run(main()) == (3, RECORDS)


# ---- statistics and EXPLAIN ------------------------------------------------------------------


def test_stats(conn: coqlkit.Connection, log: RequestLog) -> None:
    result = conn.query("select Last_Name from Leads where Annual_Revenue > 0", page_size=500)
    assert result.stats.rows == 0  # nothing read yet
    table = result.to_arrow()
    stats = result.stats
    assert stats.rows == table.num_rows
    assert stats.calls == len(log.coql())
    assert stats.credits == sum(e["credits"] for e in log.coql())
    assert stats.seconds > 0
    assert stats.first_batch_seconds is not None and stats.first_batch_seconds <= stats.seconds


def test_explain(conn: coqlkit.Connection, log: RequestLog) -> None:
    text = "select Last_Name from Leads where Annual_Revenue > :r"
    plan = conn.explain(text, {"r": 0})
    assert plan.startswith("Plan: ")
    assert "COUNT probe" in plan
    assert "select Last_Name from Leads where Annual_Revenue > 0" in plan
    assert "Actual" not in plan
    assert len(log.coql()) == 1  # the probe only

    result = conn.query(text, {"r": 0})
    assert result.explain() == result.plan.explain() == plan

    log.mark()
    analyzed = conn.explain(text, {"r": 0}, analyze=True)
    assert "actual:" in analyzed
    rows = result.to_arrow().num_rows
    assert f"Actual: {rows:,} rows" in analyzed
    assert len(log.coql()) == 2 + 1  # probe and page for the analysis, then the result's page

    unprobed = conn.explain(text, {"r": 0}, probe=False)
    assert "no COUNT probe" in unprobed


def test_estimated_rows(conn: coqlkit.Connection, oracle: sqlite3.Connection) -> None:
    assert conn.query("select Last_Name from Leads where Lead_Source = 'Chat'").estimated_rows == count(
        oracle, "Lead_Source = 'Chat'"
    )
    assert conn.query("select Lead_Source, COUNT(id) from Leads group by Lead_Source").estimated_rows is None


def test_datetimes_are_the_instants_zoho_holds(conn: coqlkit.Connection, oracle: sqlite3.Connection) -> None:
    table = conn.query("select Created_Time from Leads where Last_Name = 'Cruz'").to_arrow()
    held = dict(oracle.execute("select id, Created_Time from Leads where Last_Name = 'Cruz'").fetchall())
    for row in table.to_pylist():
        utc = dt.datetime.fromisoformat(held[int(row["id"])]).replace(tzinfo=dt.timezone.utc)
        assert row["Created_Time"] == utc
