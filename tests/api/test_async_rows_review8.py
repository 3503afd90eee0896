"""``async for row in result``: an ``AsyncResult``'s rows as dicts, read as they are wanted,
as the synchronous ``iter(result)`` reads them (``lazy=True``): every row when the loop
reads on, the COUNT probe and one page when it is broken early (review 8, embed #7)."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

import coqlkit
from coqlkit.sandbox.server import Sandbox
from tests.api._support import RECORDS, RequestLog

READ = "select Last_Name, Lead_Source from Leads"
PAGE = 300
PAGES = RECORDS // PAGE


def test_async_for_gets_every_row_as_iter_does(sandbox: Sandbox, oracle: sqlite3.Connection) -> None:
    async def main() -> list[dict[str, object]]:
        async with await coqlkit.connect_async(sandbox=sandbox) as conn:
            result = await conn.query(READ, page_size=PAGE)
            return [row async for row in result]

    rows = asyncio.run(main())
    expected = oracle.execute("select id, Last_Name, Lead_Source from Leads order by id").fetchall()
    assert [(int(str(r["id"])), r["Last_Name"], r["Lead_Source"]) for r in rows] == [
        (int(i), name, source) for i, name, source in expected
    ]


def test_a_loop_broken_early_costs_the_probe_and_one_page(sandbox: Sandbox) -> None:
    log = RequestLog(sandbox)

    async def main() -> None:
        async with await coqlkit.connect_async(sandbox=sandbox) as conn:
            log.mark()
            result = await conn.query(READ, page_size=PAGE)
            taken = []
            async for row in result:
                taken.append(row)
                if len(taken) == 5:
                    break
            await asyncio.sleep(0.3)  # room for the pages a window would have sent meanwhile
            assert len(taken) == 5 and all(isinstance(r, dict) and r["id"] for r in taken)
            assert len(log.coql()) == 2 == result.stats.calls  # the probe and the first page
            with pytest.raises(coqlkit.CoqlError) as again:  # rows are read once, as with iter()
                async for _ in result:
                    pass
            assert again.value.code == "RESULT_CONSUMED"
            assert (await (await conn.query(READ + " limit 3")).to_arrow()).num_rows == 3  # still usable

    asyncio.run(main())


def test_a_kept_table_is_iterated_again_without_a_call(sandbox: Sandbox) -> None:
    log = RequestLog(sandbox)

    async def main() -> None:
        async with await coqlkit.connect_async(sandbox=sandbox) as conn:
            result = await conn.query(READ + " limit 7")
            table = await result.to_arrow()
            log.mark()
            assert [row async for row in result] == table.to_pylist()
            assert [row async for row in result] == table.to_pylist()
            assert log.coql() == []

    asyncio.run(main())
