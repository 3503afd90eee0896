"""A call cancelled after its request went out keeps its concurrency slot until its answer
would have come: the server still runs it, so a slot freed at once let the next call out
early, into a 429 that halved the limit for every reader. The canceller is not delayed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import AsyncZohoClient, FileTokenStore
from tests.transport.conftest import FAST, settings_for

LATENCY_MS = 400.0
SLOTS = 4
QUERY = "select Last_Name from Leads where id is not null limit 5"


@pytest.fixture
def busy_sandbox(org_db: str) -> Iterator[Sandbox]:
    """Every CRM call takes LATENCY_MS, and more than SLOTS at once are answered 429."""
    with Sandbox(records=400, db=org_db, latency_ms=LATENCY_MS, concurrency=SLOTS) as running:
        yield running


def test_a_cancelled_calls_slot_is_held_until_its_answer_would_have_come(
    busy_sandbox: Sandbox, store: FileTokenStore
) -> None:
    async def main() -> tuple[float, int, float, int, list[int]]:
        settings = settings_for(busy_sandbox, store, COQLKIT_CONCURRENCY=SLOTS)
        async with AsyncZohoClient(settings, retry=FAST) as zoho:
            await asyncio.gather(*(zoho.coql(QUERY) for _ in range(SLOTS)))  # answer times known
            abandoned = [asyncio.ensure_future(zoho.coql(QUERY)) for _ in range(SLOTS)]
            await asyncio.sleep(LATENCY_MS / 4000)  # sent: the server runs them
            started = time.monotonic()
            for task in abandoned:
                task.cancel()
            await asyncio.gather(*abandoned, return_exceptions=True)
            cancelling = time.monotonic() - started
            held = getattr(zoho, "held_slots", 0)  # (an attribute of the fix)
            pages = await asyncio.gather(*(zoho.coql(QUERY) for _ in range(SLOTS)))
            return cancelling, held, zoho.slots.limit, zoho.throttled, [p.count for p in pages]

    cancelling, held, limit, throttled, counts = asyncio.run(main())
    assert cancelling < 0.1  # the cancelled callers did not wait for the slots
    assert (throttled, limit) == (0, SLOTS)  # no 429: the next calls waited for the slots
    assert held == SLOTS
    assert counts == [5] * SLOTS


def test_one_slow_answer_does_not_hold_every_cancelled_calls_slot(
    busy_sandbox: Sandbox, store: FileTokenStore
) -> None:
    """The wait is the 90th percentile of the last answers, not the longest: one slow answer
    (a metadata fetch, say) made every cancelled call hold its slot that long, and the next
    read waited for it (diff review 2, 3)."""

    async def main() -> tuple[int, int]:
        settings = settings_for(busy_sandbox, store, COQLKIT_CONCURRENCY=SLOTS)
        async with AsyncZohoClient(settings, retry=FAST) as zoho:
            for _ in range(3):  # answer times known: about LATENCY_MS each
                await asyncio.gather(*(zoho.coql(QUERY) for _ in range(SLOTS)))
            zoho._answer_times.append(8.0)  # and one slow one among them
            abandoned = [asyncio.ensure_future(zoho.coql(QUERY)) for _ in range(SLOTS)]
            await asyncio.sleep(LATENCY_MS / 4000)
            for task in abandoned:
                task.cancel()
            await asyncio.gather(*abandoned, return_exceptions=True)
            held = zoho.held_slots
            await asyncio.sleep(2 * LATENCY_MS / 1000)  # well past a usual answer, far short of 8 s
            return held, zoho.held_slots

    held, later = asyncio.run(main())
    assert (held, later) == (SLOTS, 0)
