"""``coqlkit.connect`` and ``connect_async``: opening, the org's metadata, closing, the
synchronous twin inside a running event loop, and secrets kept out of everything printed."""

from __future__ import annotations

import asyncio
import gc
import logging
import sqlite3
from pathlib import Path

import pyarrow as pa
import pytest

import coqlkit
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import FileTokenStore, Settings, load_settings
from tests.api._support import RECORDS, RequestLog, answers, count, leaks, secrets_of

QUERY = "select Last_Name, Lead_Source from Leads where Lead_Source = 'Chat'"


def settings_for(sandbox: Sandbox, tmp_path: Path, **env: str) -> Settings:
    """Settings from the variables the sandbox prints, as a script or CI would set them."""
    return load_settings(
        env={**sandbox.environment(), **env},
        store=FileTokenStore(tmp_path / "tokens.json"),
        path=tmp_path / "no-config.toml",
    )


# ---- opening and closing -------------------------------------------------------------------


def test_a_connection_to_a_running_sandbox_leaves_it_running(
    sandbox: Sandbox, oracle: sqlite3.Connection
) -> None:
    with coqlkit.connect(sandbox=sandbox) as conn:
        assert isinstance(conn, coqlkit.Connection)
        assert conn.sandbox is None  # not started by this connection: not stopped by it
        assert repr(conn).startswith(f"<coqlkit.Connection {sandbox.base_url} credits_used=")
        table = conn.query(QUERY).to_arrow()
        assert table.num_rows == count(oracle, "Lead_Source = 'Chat'")
        assert not conn.closed
    assert conn.closed
    assert answers(sandbox.base_url)


def test_a_connection_starts_its_own_sandbox_and_stops_it_on_close(
    org_db: Path, oracle: sqlite3.Connection
) -> None:
    conn = coqlkit.connect(sandbox={"records": RECORDS, "db": str(org_db), "daily_credits": 1_000})
    try:
        running = conn.sandbox
        assert isinstance(running, Sandbox) and running.state is not None
        assert running.base_url in repr(conn)
        assert conn.query(QUERY).to_arrow().num_rows == count(oracle, "Lead_Source = 'Chat'")
        assert running.state.credits_used * 2 < 1_000 and conn.credits_remaining is None
        with running.state.lock:  # other integrations spend half the org's day: now Zoho says
            running.state.credits_used += 500
        assert conn.query(QUERY).to_arrow().num_rows == count(oracle, "Lead_Source = 'Chat'")
        # what the org has left today, as its last answer said
        assert conn.credits_remaining == 1_000 - running.state.credits_used
        assert conn.credits_used == running.state.credits_used - 500 > 0
    finally:
        conn.close()
    assert conn.closed
    assert not answers(running.base_url)
    conn.close()  # a second close does nothing


def test_a_closed_connection_refuses_work(sandbox: Sandbox) -> None:
    conn = coqlkit.connect(sandbox=sandbox)
    result = conn.query(QUERY)
    conn.close()
    with pytest.raises(coqlkit.CoqlError, match="closed") as caught:
        conn.query(QUERY)
    assert caught.value.code == "CONNECTION_CLOSED"
    with pytest.raises(coqlkit.CoqlError, match="closed"):
        conn.modules()
    with pytest.raises(coqlkit.CoqlError, match="closed"):
        result.to_arrow()  # planned before the close, read after it


def test_closing_with_streams_left_open(sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    """A reader or row iterator dropped midway is closed with its connection, cleanly: no
    "Event loop is closed" when it is collected, no task destroyed while pending."""
    conn = coqlkit.connect(sandbox=sandbox)
    reader = conn.query("select Last_Name from Leads", page_size=200).record_batches()
    assert reader.read_next_batch().num_rows == 200
    rows = iter(conn.query("select Last_Name from Leads", page_size=200))
    assert next(rows)["Last_Name"]
    with caplog.at_level(logging.WARNING, logger="asyncio"):
        conn.close()
        with pytest.raises(coqlkit.CoqlError, match="closed"):
            reader.read_next_batch()
        del reader, rows
        gc.collect()  # (an unraisable error here fails the test: filterwarnings = error)
    assert [r.getMessage() for r in caplog.records] == []


def test_the_context_manager_closes_on_an_error(sandbox: Sandbox) -> None:
    with pytest.raises(coqlkit.CoqlSyntaxError), coqlkit.connect(sandbox=sandbox) as conn:
        conn.query("select from Leads")
    assert conn.closed


def test_an_unknown_option_is_refused_before_anything_starts(org_db: Path) -> None:
    with pytest.raises(TypeError, match="no_such_option"):
        coqlkit.connect(sandbox={"records": RECORDS, "db": str(org_db)}, no_such_option=1)


def test_settings_connect_without_a_sandbox(
    sandbox: Sandbox, tmp_path: Path, oracle: sqlite3.Connection
) -> None:
    with coqlkit.connect(settings=settings_for(sandbox, tmp_path), cache_dir=tmp_path / "cache") as conn:
        assert conn.sandbox is None
        assert conn.query(QUERY).to_arrow().num_rows == count(oracle, "Lead_Source = 'Chat'")
    assert any((tmp_path / "cache").rglob("*")), "the metadata went to the cache_dir given"


def test_the_metadata_cache_saves_the_second_connection_its_calls(
    sandbox: Sandbox, tmp_path: Path, log: RequestLog
) -> None:
    settings = settings_for(sandbox, tmp_path)
    with coqlkit.connect(settings=settings, cache_dir=tmp_path / "cache") as first:
        first.fields("Leads")
    assert any(e["path"].endswith("/settings/fields") for e in log.calls())
    log.mark()
    with coqlkit.connect(settings=settings, cache_dir=tmp_path / "cache") as second:
        fields = second.fields("Leads")
        assert "Last_Name" in {f.api_name for f in fields}
    # No call at all: the org (its id names the cache; its time zone) is remembered too.
    assert log.calls() == []
    assert second.credits_used == 0


def test_a_metadata_snapshot_replaces_the_orgs_metadata(
    sandbox: Sandbox, tmp_path: Path, snapshot_dir: Path, log: RequestLog
) -> None:
    with coqlkit.connect(settings=settings_for(sandbox, tmp_path), metadata=snapshot_dir) as conn:
        with pytest.raises(coqlkit.ValidationError):
            conn.query("select Last_Nam from Leads")
        assert conn.query("select Last_Name from Leads limit 3").to_arrow().num_rows == 3
    assert not any("/settings/" in e["path"] for e in log.calls())


# ---- the org's metadata --------------------------------------------------------------------


def test_modules_fields_and_catalog(conn: coqlkit.Connection) -> None:
    modules = conn.modules()
    names = [m.api_name for m in modules]
    assert names == sorted(names)
    assert {"Leads", "Contacts", "Deals", "Accounts"} <= set(names)
    assert all(isinstance(m, coqlkit.Module) for m in modules)
    assert names == sorted(m.api_name for m in conn.catalog() if m.api_supported)

    fields = {f.api_name: f for f in conn.fields("Leads")}
    assert fields["Last_Name"].data_type == "text"
    assert fields["Owner"].data_type == "ownerlookup"
    assert fields["Owner"].lookup_module == "Users"
    assert fields["Languages_Spoken"].data_type == "multiselectpicklist"

    catalog = conn.catalog()
    assert isinstance(catalog, coqlkit.Catalog)
    leads = catalog.module("Leads")
    assert leads is not None and leads.fields is not None and "Last_Name" in leads.fields

    with pytest.raises(coqlkit.CoqlError, match="Nowhere") as caught:
        conn.fields("Nowhere")
    assert caught.value.code == "INVALID_MODULE"


def test_credits_used_is_what_the_sandbox_charged(sandbox: Sandbox, log: RequestLog) -> None:
    with coqlkit.connect(sandbox=sandbox) as conn:
        conn.query("select Last_Name from Leads where Annual_Revenue > 0").to_arrow()
        conn.fields("Deals")
        assert conn.credits_used == log.credits() > 0
        assert f"credits_used={conn.credits_used}>" in repr(conn)


def test_time_zone_of_datetime_columns(sandbox: Sandbox) -> None:
    text = "select Created_Time from Leads limit 5"
    with coqlkit.connect(sandbox=sandbox) as conn:  # the org's zone by default
        assert conn.aio.tz == "America/Los_Angeles"
        org = conn.query(text).to_arrow()
        assert org.schema.field("Created_Time").type == pa.timestamp("s", "America/Los_Angeles")
        tokyo = conn.query(text, tz="Asia/Tokyo").to_arrow()
        assert tokyo.schema.field("Created_Time").type.tz == "Asia/Tokyo"
        assert (
            tokyo.column("Created_Time").cast(pa.int64()).equals(org.column("Created_Time").cast(pa.int64()))
        )
    with coqlkit.connect(sandbox=sandbox, tz="UTC") as conn:
        assert conn.query(text).schema.field("Created_Time").type.tz == "UTC"
        log = RequestLog(sandbox)
        with pytest.raises(coqlkit.ConfigError, match="Mars/Olympus"):
            conn.query(text, tz="Mars/Olympus")
        assert log.coql() == []
    with pytest.raises(coqlkit.ConfigError, match="Mars/Olympus"):
        coqlkit.connect(sandbox=sandbox, tz="Mars/Olympus")


# ---- async ---------------------------------------------------------------------------------


def test_connect_async(sandbox: Sandbox, oracle: sqlite3.Connection, tmp_path: Path) -> None:
    async def main() -> None:
        async with await coqlkit.connect_async(sandbox=sandbox) as conn:
            assert isinstance(conn, coqlkit.AsyncConnection)
            assert repr(conn).startswith("<coqlkit.AsyncConnection ")
            assert "Leads" in [m.api_name for m in await conn.modules()]
            result = await conn.query(
                "select Last_Name, Lead_Source from Leads where Lead_Source in :s", {"s": ["Chat", "Partner"]}
            )
            assert isinstance(result, coqlkit.AsyncResult)
            rows = 0
            async for batch in result.batches():
                assert batch.schema.equals(result.schema)
                rows += batch.num_rows
            assert rows == count(oracle, "Lead_Source in ('Chat', 'Partner')")
            again = await conn.query(QUERY)
            table = await again.to_arrow()
            assert await again.to_arrow() is table
            frame = await again.to_pandas()
            assert len(frame) == table.num_rows
            assert (await again.to_polars()).height == table.num_rows
            assert (await again.to_parquet(tmp_path / "chat.parquet")) == tmp_path / "chat.parquet"
            assert "COUNT probe" in await conn.explain("select Last_Name from Leads")
            pending = await conn.query("select Last_Name from Leads limit 5")
            assert not conn.closed
        assert conn.closed
        for work in (
            lambda: conn.query(QUERY),
            lambda: conn.fields("Deals"),
            lambda: conn.modules(),
            pending.to_arrow,  # planned before the close, read after it
        ):
            with pytest.raises(coqlkit.CoqlError, match="closed") as caught:
                await work()
            assert caught.value.code == "CONNECTION_CLOSED"
        assert await again.to_arrow() is table  # a kept table needs no connection

    asyncio.run(main())


def test_async_connection_starts_and_stops_a_sandbox(org_db: Path) -> None:
    async def main() -> str:
        conn = await coqlkit.connect_async(sandbox={"records": RECORDS, "db": str(org_db)})
        async with conn:
            assert conn.sandbox is not None
            result = await conn.query("select Last_Name from Leads limit 7")
            assert (await result.to_arrow()).num_rows == 7
            return str(conn.sandbox.base_url)

    base_url = asyncio.run(main())
    assert not answers(base_url)


def test_the_sync_api_works_inside_a_running_event_loop(org_db: Path, oracle: sqlite3.Connection) -> None:
    """As in Jupyter, where the kernel's loop is running when a cell calls coqlkit (here
    starting its own sandbox too)."""

    async def cell() -> pa.Table:
        asyncio.get_running_loop()  # there is a running loop here
        with coqlkit.connect(sandbox={"records": RECORDS, "db": str(org_db)}) as conn:
            table: pa.Table = conn.query(QUERY).to_arrow()
            frame = conn.query(QUERY).to_pandas()
            assert len(frame) == table.num_rows
            assert len(list(conn.query(QUERY).record_batches())) >= 1
            return table

    table = asyncio.run(cell())
    assert table.num_rows == count(oracle, "Lead_Source = 'Chat'")


# ---- secrets -------------------------------------------------------------------------------


def printed(*objects: object) -> str:
    return "\n".join(f"{o!r}\n{o!s}" for o in objects)


def test_no_secret_is_printed(sandbox: Sandbox, tmp_path: Path) -> None:
    with coqlkit.connect(sandbox=sandbox) as conn:
        result = conn.query("select Last_Name, Owner from Leads where Annual_Revenue > 0")
        result.to_arrow()
        errors: list[BaseException] = []
        for text, options in (
            ("select Last_Name frm Leads", {}),
            ("select Last_Nme from Leads", {}),
            ("select Last_Name from Leads where Last_Nme = 'x' limit 5", {"check": False}),
            ("select Last_Name from Leads", {"max_credits": 1}),
        ):
            with pytest.raises(coqlkit.CoqlError) as caught:
                conn.query(text, **options).to_arrow()
            errors.append(caught.value)
        secrets = secrets_of(sandbox)
        text = printed(conn, conn.aio, conn.aio.client, conn.aio.client.settings, result, result.aio, *errors)
        assert leaks(text, secrets) == []


def test_an_auth_error_does_not_quote_the_credentials(sandbox: Sandbox, tmp_path: Path) -> None:
    canary = "canary-secret-7f3e0a9d"
    settings = settings_for(sandbox, tmp_path, ZOHO_CLIENT_SECRET=canary, ZOHO_REFRESH_TOKEN=canary + "-rt")
    assert canary not in printed(settings)
    with pytest.raises(coqlkit.AuthError) as caught:
        coqlkit.connect(settings=settings, cache_dir=tmp_path / "cache")
    assert canary not in printed(caught.value)
    assert caught.value.__cause__ is None or canary not in printed(caught.value.__cause__)


def test_a_field_zoho_no_longer_knows_refreshes_the_cached_metadata(
    sandbox: Sandbox, tmp_path: Path, log: RequestLog
) -> None:
    """The cache lists a field the org has since deleted: the check passes, Zoho refuses
    it, the error says the metadata was stale, and the next query fetches it again."""
    import json

    settings = settings_for(sandbox, tmp_path)
    cache = tmp_path / "cache"
    with coqlkit.connect(settings=settings, cache_dir=cache) as first:
        first.fields("Leads")
    (leads,) = cache.rglob("fields/Leads.json")
    body = json.loads(leads.read_text())
    body["fields"].append({**body["fields"][1], "api_name": "Gone_Field", "field_label": "Gone"})
    leads.write_text(json.dumps(body))
    with coqlkit.connect(settings=settings, cache_dir=cache) as conn:
        result = conn.query("select Gone_Field from Leads limit 1")  # the stale cache believes in it
        with pytest.raises(coqlkit.ZohoApiError) as caught:
            result.to_arrow()
        assert caught.value.details["column_name"] == "Gone_Field"
        assert "no longer knows it" in str(caught.value)
        log.mark()
        with pytest.raises(coqlkit.ValidationError, match="Gone_Field"):
            conn.query("select Gone_Field from Leads limit 1")
        assert [e["path"] for e in log.calls()] == ["/crm/v8/settings/fields"]


@pytest.mark.parametrize(
    ("condition", "reason"),
    [
        ("Annual_Revenue = 'abc'", "invalid value"),  # Zoho knows the column: the value is wrong
        ("Email_Opt_Out != 'true'", "invalid operator found"),  # ... or the operator is
    ],
)
def test_a_value_or_an_operator_zoho_refuses_keeps_the_cached_metadata(
    sandbox: Sandbox, tmp_path: Path, log: RequestLog, condition: str, reason: str
) -> None:
    """Only an unknown column ("column given seems to be invalid") means the cached metadata
    is out of date; an INVALID_QUERY about a column's value or operator names the column
    too, and must not flush the cache nor blame it."""
    settings = settings_for(sandbox, tmp_path)
    with coqlkit.connect(settings=settings, cache_dir=tmp_path / "cache") as conn:
        conn.fields("Leads")
        with pytest.raises(coqlkit.ZohoApiError) as caught:
            conn.query(f"select Last_Name from Leads where {condition} limit 5", check=False).to_arrow()
        assert caught.value.code == "INVALID_QUERY"
        assert caught.value.details["reason"] == reason
        assert caught.value.details["column_name"] == condition.split()[0]
        assert "cached metadata" not in str(caught.value)
        log.mark()
        assert conn.query("select Last_Name from Leads limit 1").to_arrow().num_rows == 1
        assert "/crm/v8/settings/fields" not in [e["path"] for e in log.calls()]  # still cached
