"""``coqlkit.connect_async()`` is awaitable *and* an async context manager: ``async with
coqlkit.connect_async() as conn`` (the aiohttp / asyncpg idiom) opens the connection and
closes it on leaving, while ``conn = await coqlkit.connect_async()``, ``async with await``,
``asyncio.create_task`` and ``asyncio.run`` keep working."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

import coqlkit
from coqlkit.sandbox.server import Sandbox
from tests.api._support import RECORDS


@pytest.fixture(scope="module")
def abbreviated(org_db: Path, sandbox: Sandbox) -> Iterator[Sandbox]:
    """The session's org, saying its time zone as an abbreviation Arrow does not know."""
    with Sandbox(records=RECORDS, db=str(org_db), time_zone="PST", token_limit=0) as running:
        yield running


def test_async_with_opens_the_connection_and_closes_it(sandbox: Sandbox) -> None:
    async def main() -> tuple[coqlkit.AsyncConnection, int, bool]:
        async with coqlkit.connect_async(sandbox=sandbox) as conn:
            result = await conn.query("select Last_Name from Leads limit 3")
            rows = (await result.to_arrow()).num_rows
            inside = conn.closed
        return conn, rows, inside

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "coroutine ... was never awaited", no unclosed connection
        conn, rows, inside = asyncio.run(main())
        gc.collect()
    assert isinstance(conn, coqlkit.AsyncConnection)
    assert (rows, inside, conn.closed) == (3, False, True)


def test_async_with_closes_the_connection_on_an_error(sandbox: Sandbox) -> None:
    opened: list[coqlkit.AsyncConnection] = []

    async def main() -> None:
        async with coqlkit.connect_async(sandbox=sandbox) as conn:
            opened.append(conn)
            raise KeyError("in the body")

    with pytest.raises(KeyError, match="in the body"):
        asyncio.run(main())
    assert opened[0].closed


def test_await_create_task_and_asyncio_run_still_work(sandbox: Sandbox) -> None:
    async def main() -> list[bool]:
        plain = await coqlkit.connect_async(sandbox=sandbox)
        task = await asyncio.create_task(coqlkit.connect_async(sandbox=sandbox))
        async with await coqlkit.connect_async(sandbox=sandbox) as both:
            pass
        states = [plain.closed, task.closed, both.closed]
        await plain.close()
        await task.close()
        return states

    assert asyncio.run(main()) == [False, False, True]
    with pytest.raises(coqlkit.OptionError, match="sandox"):
        asyncio.run(coqlkit.connect_async(sandox=True))  # type: ignore[arg-type]


def test_one_never_awaited_is_told_as_a_coroutine_is(sandbox: Sandbox) -> None:
    def forgotten() -> None:
        coqlkit.connect_async(sandbox=sandbox)  # (no await, no async with)
        gc.collect()

    with pytest.warns(RuntimeWarning, match="never awaited"):
        forgotten()


@pytest.mark.parametrize("how", ["await", "async with"])
def test_the_time_zone_warning_points_at_the_callers_line(abbreviated: Sandbox, how: str) -> None:
    async def main() -> None:
        if how == "await":
            conn = await coqlkit.connect_async(sandbox=abbreviated)
            await conn.close()
        else:
            async with coqlkit.connect_async(sandbox=abbreviated):
                pass

    with pytest.warns(coqlkit.CoqlWarning, match="'PST'") as caught:
        asyncio.run(main())
    assert [Path(w.filename).name for w in caught] == [Path(__file__).name]
