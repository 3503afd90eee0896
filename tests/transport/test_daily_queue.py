"""The org's credits today count only the calls sent, not those waiting for a slot (chaos
review 7, #5): a call was refused "with 0 left" for the credits of calls queued with it,
which were never sent when the read stopped, while the org still had them. Against the
sandbox over real HTTP, its day's credits read straight from its state."""

from __future__ import annotations

import asyncio

from coqlkit.errors import DailyLimitReached
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import AsyncZohoClient, FileTokenStore
from tests.transport.conftest import settings_for

DAY = 10


def test_calls_waiting_for_a_slot_hold_none_of_the_days_credits(org_db: str, store: FileTokenStore) -> None:
    """5 of the day's 10 credits left, known; 8 one-credit calls at once, one at a time. The
    first 5 are sent and charged; each of the other 3 is refused before it is sent, when
    the org truly has 0 left. They were refused at once, with nothing yet sent, saying "0
    left" while the org had 5."""
    with Sandbox(records=400, db=org_db, latency_ms=40, daily_credits=DAY) as poor:
        state = poor.state
        assert state is not None
        told: list[tuple[int, int]] = []  # (what a refusal says is left, what the org had then)

        async def one(zoho: AsyncZohoClient) -> None:
            try:
                await zoho.org()
            except DailyLimitReached as err:
                told.append((err.left, DAY - state.credits_used))
                raise

        async def main() -> list[object]:
            async with AsyncZohoClient(settings_for(poor, store, COQLKIT_CONCURRENCY=1)) as zoho:
                for _ in range(5):  # half the day's used: Zoho says what is left from now on
                    await zoho.org()
                assert zoho.org_credits_left == 5
                outcomes = await asyncio.gather(*(one(zoho) for _ in range(8)), return_exceptions=True)
                assert zoho.org_credits_left == 0 and zoho.credits_used == DAY
                return outcomes

        outcomes = asyncio.run(main())
        assert [isinstance(o, DailyLimitReached) for o in outcomes] == [False] * 5 + [True] * 3
        assert told == [(0, 0)] * 3
        assert "the org has 0 left today" in str(outcomes[-1])
        assert state.credits_used == DAY
        assert all(e["status"] == 200 for e in state.requests if str(e["path"]).startswith("/crm/"))


def test_a_read_that_does_not_fit_spends_what_is_left_before_it_stops(
    org_db: str, store: FileTokenStore
) -> None:
    """A read asks for its pages at once and stops at the first error, cancelling the rest
    (as the executor does). 5 left, 4 pages of 2 credits, one at a time: the first two
    pages go, the third is refused as it is about to go, with 1 left, and the org has 1
    left. The pages queued behind the first held the credits, so the third was refused at
    once, the read stopped with one page read, and the error said 0 left while 3 were."""
    with Sandbox(records=400, db=org_db, latency_ms=40, daily_credits=DAY) as poor:
        state = poor.state
        assert state is not None
        page = "select Last_Name from Leads where id is not null limit {}"  # 500 + i rows: 2 credits

        async def main() -> tuple[DailyLimitReached, int]:
            async with AsyncZohoClient(settings_for(poor, store, COQLKIT_CONCURRENCY=1)) as zoho:
                for _ in range(5):
                    await zoho.org()
                pages = [asyncio.ensure_future(zoho.coql(page.format(500 + i))) for i in range(4)]
                try:
                    for done in asyncio.as_completed(pages):
                        await done
                except DailyLimitReached as err:
                    org_left = DAY - state.credits_used
                    for p in pages:
                        p.cancel()
                    await asyncio.gather(*pages, return_exceptions=True)
                    return err, org_left
                raise AssertionError("the read fitted")

        err, org_left = asyncio.run(main())
        assert (err.needed, err.left, org_left) == (2, 1, 1)
        assert "the org has 1 left today" in str(err)
        assert state.credits_used == 9
        coql = [e for e in state.requests if e["path"] == "/crm/v8/coql"]
        assert [e["status"] for e in coql] == [200, 200]
