"""The async API's small courtesies (lib review 6, finding 9): an ``AsyncConnection`` left
unclosed says so with a coqlkit ``ResourceWarning``; a read stopped by ``asyncio.wait_for``
is said to have been cancelled; ``to_pandas()`` converts in a worker thread, not on the
event loop."""

from __future__ import annotations

import asyncio
import gc
import threading
import warnings
from typing import Any

import pytest

import coqlkit
from coqlkit import _result as api  # (AsyncResult.to_pandas looks pandas_frame up there)
from coqlkit.sandbox.server import Sandbox


def _unclosed(caught: list[warnings.WarningMessage]) -> list[str]:
    return [
        str(w.message)
        for w in caught
        if issubclass(w.category, ResourceWarning) and "coqlkit" in str(w.message)
    ]


def test_an_async_connection_left_unclosed_warns(sandbox: Sandbox) -> None:
    async def main() -> list[str]:
        conn = await coqlkit.connect_async(sandbox=sandbox)
        await conn.fields("Leads")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            del conn
            gc.collect()
            found = _unclosed(caught)
            caught.clear()  # (a warning holds its source: the connection, and its sandbox's files)
            gc.collect()
        return found

    found = asyncio.run(main())
    assert len(found) == 1, found
    assert found[0].startswith(f"unclosed <coqlkit.AsyncConnection {sandbox.base_url} credits_used=")
    assert "`async with`" in found[0]


def test_a_closed_async_connection_and_a_synchronous_ones_engine_do_not_warn(sandbox: Sandbox) -> None:
    async def main() -> list[str]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            async with await coqlkit.connect_async(sandbox=sandbox) as conn:
                await conn.fields("Leads")
            del conn
            gc.collect()
        return _unclosed(caught)

    assert asyncio.run(main()) == []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with coqlkit.connect(sandbox=sandbox) as sync:
            engine = sync.aio
        del sync, engine
        gc.collect()
    assert _unclosed(caught) == []


def test_a_read_stopped_by_a_timeout_is_said_to_be_cancelled(slow_sandbox: Sandbox) -> None:
    async def main() -> coqlkit.CoqlError:
        async with await coqlkit.connect_async(sandbox=slow_sandbox) as conn:
            result = await conn.query("select Last_Name from Leads", page_size=100)
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(result.to_arrow(), 0.05)
            with pytest.raises(coqlkit.CoqlError) as again:
                await result.to_arrow()
            return again.value

    error = asyncio.run(main())
    assert error.code == "RESULT_CONSUMED"
    assert str(error) == (
        "the read of this result that this call waited for was cancelled (a timeout such as "
        "asyncio.wait_for's, or its task cancelled): run the query again"
    )


def test_to_pandas_converts_in_a_worker_thread(
    sandbox: Sandbox, conn: coqlkit.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The frame is the synchronous API's, made off the loop's thread."""
    text = "select Deal_Name, Stage, Amount, Account_Name, Closing_Date from Deals where Amount > 100000"
    threads: list[threading.Thread] = []
    convert = api.pandas_frame

    def recorded(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread())
        return convert(*args, **kwargs)

    async def main() -> tuple[Any, threading.Thread]:
        async with await coqlkit.connect_async(sandbox=sandbox) as aconn:
            result = await aconn.query(text)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # (names that stand for several accounts)
                monkeypatch.setattr(api, "pandas_frame", recorded)
                frame = await result.to_pandas()
                monkeypatch.setattr(api, "pandas_frame", convert)
            return frame, threading.current_thread()

    frame, loop_thread = asyncio.run(main())
    assert threads and all(t is not loop_thread for t in threads)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = conn.query(text).to_pandas()
    assert frame.equals(expected) and list(frame.dtypes) == list(expected.dtypes)
    for options in ({"lookups": "flatten", "decimals": "decimal"}, {"lookups": "struct"}):

        async def other(options: dict[str, Any] = options) -> Any:
            async with await coqlkit.connect_async(sandbox=sandbox) as aconn:
                return await (await aconn.query(text)).to_pandas(**options)

        assert asyncio.run(other()).equals(conn.query(text).to_pandas(**options))


def test_to_pandas_refuses_a_wrong_choice_as_before(sandbox: Sandbox) -> None:
    async def main() -> None:
        async with await coqlkit.connect_async(sandbox=sandbox) as aconn:
            result = await aconn.query("select Last_Name from Leads limit 2")
            with pytest.raises(ValueError, match="lookups='names': give 'name', 'flatten' or 'struct'"):
                await result.to_pandas(lookups="names")

    asyncio.run(main())
