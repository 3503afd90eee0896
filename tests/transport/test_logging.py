"""The transport's logging (library review 6, #6): what an unattended pipeline needs to see
of its calls, under ``coqlkit.transport`` (``.client``, ``.auth``), silent by default.

- INFO: a call sent again (which, attempt n of m, why, after how long), a 429 back-off and
  the concurrency lowered and back up, a 429 taken as the day's credits, a token refreshed;
- DEBUG: each call sent and answered (method, path, status, ms, credits);
- never a secret (the access token, the refresh token, the client secret) nor a query's
  text: a COQL query's values may be personal data.

Against the sandbox over real HTTP, its faults rolled on to the pattern the test needs."""

from __future__ import annotations

import asyncio
import json
import logging
import re

import httpx
import pytest

from coqlkit.errors import DailyLimitReached
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import AsyncZohoClient, FileTokenStore, Secret
from coqlkit.transport.client import AdaptiveSlots
from tests.transport._dice import DROP, ERROR, OK, set_up
from tests.transport.conftest import FAST, fake_zoho, settings_for

#: A query whose text holds a value that must not reach a log.
PRIVATE = "select Last_Name, Email from Leads where Last_Name != 'Zyxwvut-Private' limit 20"


def every_word(caplog: pytest.LogCaptureFixture) -> str:
    """All that the records hold: their messages, arguments and other attributes."""
    return "\n".join(f"{r.getMessage()} {vars(r)!r}" for r in caplog.records)


def ours(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("coqlkit.transport") and r.levelno == level
    ]


def test_the_loggers_are_silent_until_the_application_says_otherwise() -> None:
    """No handler of their own, no level: the application's logging configuration decides
    (and with none, Python's last resort prints WARNING and up only: these log below)."""
    for name in ("coqlkit.transport", "coqlkit.transport.client", "coqlkit.transport.auth"):
        logger = logging.getLogger(name)
        assert logger.handlers == [] and logger.level == logging.NOTSET and logger.propagate


def test_retries_refreshes_and_calls_are_logged_and_no_secret_is(
    org_db: str, store: FileTokenStore, caplog: pytest.LogCaptureFixture
) -> None:
    with Sandbox(records=400, db=org_db) as sandbox:
        # The first page: a 500, then a dropped answer, then its rows; the rest answered.
        set_up(sandbox, ERROR + DROP + OK + OK + OK, fail_rate=0.3)

        async def main() -> list[str]:
            async with AsyncZohoClient(settings_for(sandbox, store), retry=FAST) as zoho:
                page = await zoho.coql(PRIVATE)
                assert page.count == 20 and zoho.retries == 2
                first = zoho.tokens.access
                zoho.tokens.access = Secret("1000." + "ef" * 32)  # revoked: Zoho says INVALID_TOKEN
                # ...and the token store holds it too (else the client takes the store's token,
                # as from another process that refreshed meanwhile, and does not refresh)
                store.update(zoho.settings.store_key, {"access_token": "1000." + "ef" * 32})
                await zoho.org()
                assert zoho.tokens.refreshes == 2 and first is not None and zoho.tokens.access is not None
                return [first.reveal(), zoho.tokens.access.reveal(), "1000." + "ef" * 32]

        with caplog.at_level(logging.DEBUG):
            tokens = asyncio.run(main())

    said = every_word(caplog)
    for secret in (*tokens, Sandbox.refresh_token, Sandbox.client_secret):
        assert secret not in said
    assert "Zyxwvut-Private" not in said and "from leads" not in said.lower()

    info = ours(caplog, logging.INFO)
    retries = [m for m in info if "attempt" in m]
    assert retries[0].startswith(
        "POST /crm/v8/coql: attempt 1 of 8 failed (500 INTERNAL_ERROR); sent again in "
    )
    assert re.fullmatch(
        r"POST /crm/v8/coql: attempt 2 of 8 failed \(CONNECTION_ERROR: \w+\); sent again in \d+\.\d\d s",
        retries[1],
    )
    assert len(retries) == 2
    domain = f"api_domain {sandbox.base_url}"
    assert info.count(f"access token refreshed (refresh_token grant, good for 3600 s; {domain})") == 2
    assert (
        "GET /crm/v8/org: 401 INVALID_TOKEN (the access token expired, was revoked or was replaced): refreshing it, "
        "and sending the call once more"
    ) in info

    debug = ours(caplog, logging.DEBUG)
    assert debug.count("POST /crm/v8/coql: sent (1 credit)") == 3
    answered = [m for m in debug if re.fullmatch(r"POST /crm/v8/coql: \d{3} in \d+ ms, \d credits?", m)]
    assert [m.split(":")[1].split(" in ")[0].strip() for m in answered] == [
        "500",
        "200",
    ]  # the drop: no answer
    assert answered[-1].endswith(", 1 credit")
    assert any(re.fullmatch(r"GET /crm/v8/org: 200 in \d+ ms, 1 credit", m) for m in debug)
    assert all(r.levelno < logging.WARNING for r in caplog.records if r.name.startswith("coqlkit.transport"))


def test_429s_and_the_concurrency_they_lower_are_logged(
    org_db: str, store: FileTokenStore, caplog: pytest.LogCaptureFixture
) -> None:
    """An org with 2 free slots, a client that sends 6 at once."""
    with Sandbox(records=400, db=org_db, concurrency=2, latency_ms=60) as narrow:

        async def main() -> int:
            async with AsyncZohoClient(settings_for(narrow, store, COQLKIT_CONCURRENCY=6), seed=3) as zoho:
                query = "select Last_Name from Leads where id is not null limit 20 offset {}"
                await asyncio.gather(*(zoho.coql(query.format(20 * i)) for i in range(12)))
                return zoho.throttled

        with caplog.at_level(logging.DEBUG, logger="coqlkit.transport"):
            throttled = asyncio.run(main())

    assert throttled > 0
    said = [r for r in caplog.records if r.name.startswith("coqlkit.transport")]
    backoffs = [r for r in said if "concurrent-call slots are taken (refused" in r.getMessage()]
    assert len(backoffs) == throttled
    assert re.fullmatch(
        r"POST /crm/v8/coql: 429 TOO_MANY_REQUESTS, the org's concurrent-call slots are taken "
        r"\(refused once in a row\); back in line in \d+\.\d\d s, \d calls? at once",
        backoffs[0].getMessage(),
    )
    # Routine while the slots adapt: DEBUG for the first two refusals in a row, then INFO.
    for r in backoffs:
        routine = "once in a row" in r.getMessage() or "twice in a row" in r.getMessage()
        assert r.levelno == (logging.DEBUG if routine else logging.INFO), r.getMessage()
    assert (
        "concurrency lowered to 3 of 6 calls at once: Zoho answered 429 TOO_MANY_REQUESTS "
        "(the org's concurrent-call slots are taken: by other integrations, or the profile's "
        "concurrency is above what the org's edition allows)"
    ) in ours(caplog, logging.INFO)


def test_the_concurrency_back_to_the_profiles_is_said_at_info(caplog: pytest.LogCaptureFixture) -> None:
    """Each step up is DEBUG (one a round of answers); the last, at the profile's
    concurrency again, is INFO."""
    slots = AdaptiveSlots(4)
    with caplog.at_level(logging.DEBUG, logger="coqlkit.transport"):
        slots.refused(slots.level)
        for _ in range(1000):
            if slots.allowed == 4:
                break
            slots.succeeded()
    assert ours(caplog, logging.INFO) == [
        "concurrency lowered to 2 of 4 calls at once: Zoho answered 429 TOO_MANY_REQUESTS "
        "(the org's concurrent-call slots are taken: by other integrations, or the profile's "
        "concurrency is above what the org's edition allows)",
        "concurrency raised to 4 of 4 calls at once",
    ]
    assert ours(caplog, logging.DEBUG) == ["concurrency raised to 3 of 4 calls at once"]


def test_a_429_taken_as_the_days_credits_says_why(caplog: pytest.LogCaptureFixture) -> None:
    answers = [
        httpx.Response(200, json={"data": [], "info": {}}, headers={"X-API-CREDITS-REMAINING": "5"}),
        httpx.Response(
            429,
            content=json.dumps({"code": "TOO_MANY_REQUESTS", "message": "Rate limit exceeded"}).encode(),
            headers={"X-API-CREDITS-REMAINING": "1"},
        ),
    ]

    async def main() -> None:
        async with fake_zoho(lambda request: answers.pop(0)) as zoho:
            await zoho.coql("select id from Leads where id is not null limit 10")
            with pytest.raises(DailyLimitReached):
                await zoho.coql("select id from Leads where id is not null limit 2000")

    with caplog.at_level(logging.INFO, logger="coqlkit.transport"):
        asyncio.run(main())
    assert ours(caplog, logging.INFO)[-1] == (
        "POST /crm/v8/coql: 429 TOO_MANY_REQUESTS taken as the org's credits for the day spent "
        "(the client's count leaves 1 of the 3 it costs): not retried"
    )


def test_a_retry_policy_of_one_attempt_logs_no_retry(caplog: pytest.LogCaptureFixture) -> None:
    def crm(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"code": "INTERNAL_ERROR", "message": "boom"})

    async def main() -> None:
        async with fake_zoho(crm, attempts=1) as zoho:
            with pytest.raises(Exception, match="INTERNAL_ERROR"):
                await zoho.org()

    with caplog.at_level(logging.INFO, logger="coqlkit.transport"):
        asyncio.run(main())
    assert not [m for m in ours(caplog, logging.INFO) if "attempt" in m]  # nothing was sent again
