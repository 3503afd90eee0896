"""The synchronous API's streams (``_Loop.iterate``) closed while a step of theirs still runs
in the loop: as when Ctrl-C lands between a step's call and its wait (CI saw a REPL's
Ctrl-C end in "aclose(): asynchronous generator is already running")."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from coqlkit.api import _Loop


def test_a_stream_closed_while_its_step_runs_waits_for_the_step_then_closes() -> None:
    loop = _Loop()
    closed: list[bool] = []

    async def stream() -> AsyncGenerator[int, None]:
        try:
            yield 1
            await asyncio.sleep(0.3)  # a page on its way
            yield 2
        finally:
            closed.append(True)

    agen = stream()
    rows = loop.iterate(agen)
    assert next(rows) == 1
    step = asyncio.run_coroutine_threadsafe(agen.__anext__(), loop.loop)  # under way, unwaited
    try:
        rows.close()  # raised RuntimeError: aclose(): asynchronous generator is already running
        assert step.result(timeout=5) == 2  # the step ended as it would have
        assert closed == [True] and agen.ag_frame is None  # then the stream was closed
    finally:
        loop.loop.call_soon_threadsafe(loop.loop.stop)
        loop.thread.join(5)
        loop.loop.close()
