"""A 429 ``TOO_MANY_REQUESTS`` told apart by what the client knows, not only by its words
(wire review 6, #3): Zoho answers both "the day's credits are spent" and "the org's
concurrent-call slots are taken" with it, and the only message the client recognised was
the sandbox's. When the client's own count of the day's credits (Zoho's last
``X-API-CREDITS-REMAINING``, less the calls sent since) leaves fewer than the refused call
costs, the 429 is the day's: :class:`DailyLimitReached` at once, not ``busy_patience``
seconds of retries ending in :class:`OrgBusy`. And a 429 body's ``details.retry_after``
(the v8 OAS example's) is a wait the client honours when no ``Retry-After`` header came.

Fake Zohos (``fake_zoho``): the sandbox answers the day's 429 only with its own words."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from coqlkit.errors import DailyLimitReached, OrgBusy, RateLimited
from coqlkit.transport._errors import error_for
from tests.transport.conftest import fake_zoho

#: The only 429 body in Zoho's v8 OAS (getAvailableApis' response-429-sample): no word of the day.
RATE = {
    "code": "TOO_MANY_REQUESTS",
    "message": "Rate limit exceeded. Please retry after the specified time.",
    "details": {"retry_after": 60, "limit": 100, "window": 60},
    "status": "error",
}
BIG = "select id from Leads where id is not null limit 2000"  # 3 credits
ROW = {"data": [{"id": "1"}], "info": {}}


def refused(headers: dict[str, str] | None = None, **details: object) -> httpx.Response:
    body = {**RATE, "details": {**RATE["details"], **details}} if details else RATE  # type: ignore[dict-item]
    return httpx.Response(429, content=json.dumps(body).encode(), headers=headers or {})


def remaining(n: int) -> dict[str, str]:
    return {"X-API-CREDITS-REMAINING": str(n)}


def test_a_429_to_a_call_the_days_credits_no_longer_cover_is_the_daily_limit() -> None:
    """Figure 10; a 3-credit page and a 1-credit call go out together; the small one's answer
    says 2 are left; the page's 429, in the OAS's words, is then the day's: raised at once."""
    small_answered = asyncio.Event()
    big_calls: list[float] = []

    async def crm(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/crm/v8/coql":
            big_calls.append(time.monotonic())
            await small_answered.wait()
            return refused()
        if request.url.path == "/crm/v8/org" and not small_answered.is_set() and big_calls:
            small_answered.set()
            return httpx.Response(200, json={"org": [{"id": "1"}]}, headers=remaining(2))
        return httpx.Response(200, json={"org": [{"id": "1"}]}, headers=remaining(10))

    async def main() -> None:
        async with fake_zoho(crm, concurrency=4, busy_patience=0.3, busy_cap=0.02) as zoho:
            await zoho.org()
            assert zoho.org_credits_left == 10
            page = asyncio.create_task(zoho.coql(BIG))
            while not big_calls:
                await asyncio.sleep(0.001)
            await zoho.org()
            with pytest.raises(DailyLimitReached) as info:
                await page
            err = info.value
            assert (err.code, err.status, err.needed, err.left) == ("TOO_MANY_REQUESTS", 429, 3, 2)
            assert "by its last X-API-CREDITS-REMAINING the org has 2 left today" in str(err)
            assert "Rate limit exceeded" in str(err) and err.retry_after == 60.0
            assert (zoho.retries, zoho.throttled, zoho.slots.allowed) == (0, 0, 4)  # no full org
            assert zoho.credits_used == 2 and zoho.org_credits_left == 2  # the 429 cost nothing

    asyncio.run(main())
    assert len(big_calls) == 1  # not sent again: waiting will not bring the day's credits back


def test_a_429_that_says_itself_no_credits_are_left_is_the_daily_limit() -> None:
    answers = [httpx.Response(200, json=ROW, headers=remaining(5)), refused(remaining(0))]

    def crm(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    async def main() -> None:
        async with fake_zoho(crm, concurrency=4, busy_patience=0.3, busy_cap=0.02) as zoho:
            await zoho.coql("select id from Leads where id is not null limit 10")
            with pytest.raises(DailyLimitReached) as info:
                await zoho.coql("select id from Leads where id is not null limit 20")
            assert (info.value.needed, info.value.left, zoho.retries) == (1, 0, 0)
            assert zoho.credits_remaining == 0
            with pytest.raises(DailyLimitReached) as again:  # now refused before it is sent
                await zoho.coql("select id from Leads where id is not null limit 30")
            assert again.value.status is None

    asyncio.run(main())
    assert answers == []


def test_a_429_to_a_call_the_days_credits_cover_is_still_a_full_org() -> None:
    """The count says plenty is left: the slots, waited out as before."""
    answers = [httpx.Response(200, json=ROW, headers=remaining(500)), refused(retry_after=0), refused()]

    def crm(request: httpx.Request) -> httpx.Response:
        return answers.pop(0) if answers else httpx.Response(200, json=ROW)

    async def main() -> None:
        async with fake_zoho(crm, concurrency=4, busy_cap=0.02) as zoho:
            await zoho.coql(BIG)
            page = await zoho.coql(BIG)
            assert page.count == 1 and zoho.throttled == 2 and zoho.slots.allowed == 1

    asyncio.run(main())


def test_with_no_count_only_the_words_of_the_day_make_a_429_the_daily_limit() -> None:
    """Nothing known of the day's credits: the OAS's 429 is a full org (OrgBusy once the
    patience is spent), as before."""

    def crm(request: httpx.Request) -> httpx.Response:
        return refused(retry_after=0)

    async def main() -> None:
        async with fake_zoho(crm, concurrency=4, busy_patience=0.2, busy_cap=0.02) as zoho:
            with pytest.raises(OrgBusy):
                await zoho.coql(BIG)

    asyncio.run(main())


def test_the_retry_after_of_a_429_body_is_waited() -> None:
    """No Retry-After header, ``details.retry_after`` 0.3 s: the call goes back in line after
    that, not after the few milliseconds of the policy's own backoff."""
    sent: list[float] = []

    def crm(request: httpx.Request) -> httpx.Response:
        sent.append(time.monotonic())
        return refused(retry_after=0.3) if len(sent) == 1 else httpx.Response(200, json=ROW)

    async def main() -> None:
        async with fake_zoho(crm, concurrency=4, busy_cap=5.0) as zoho:  # base 1 ms
            await zoho.coql(BIG)

    asyncio.run(main())
    assert len(sent) == 2 and 0.3 <= sent[1] - sent[0] < 2


def test_retry_after_comes_from_the_header_first_then_the_body() -> None:
    body = refused(retry_after=7)
    err = error_for(body)
    assert type(err) is RateLimited and err.retry_after == 7.0
    header = error_for(refused({"Retry-After": "3"}, retry_after=7))
    assert isinstance(header, RateLimited) and header.retry_after == 3.0
    for odd in ("soon", None, True, [1]):
        assert error_for(refused(retry_after=odd)).retry_after is None  # type: ignore[union-attr]
