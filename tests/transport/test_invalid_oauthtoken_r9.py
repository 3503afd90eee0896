"""A 401 ``INVALID_OAUTHTOKEN`` (review 9, wire #2). Zoho Accounts keeps at most 10 access
tokens of a refresh token active and invalidates the oldest when an 11th is made (another
process or machine on the same login), answering this code for it. coqlkit refreshed only
on ``INVALID_TOKEN``: the call failed ("invalid oauth token", exit 3), and with the token
file every later command took the dead token again for the rest of its hour. Now it is
refreshed and the call sent once more, as for ``INVALID_TOKEN``. The sandbox answers the
calls; the 401 is put in place of one answer on its way back."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest

from tests.execute._support import Call, Recorder, client_for, running

QUERY = "select Last_Name from Leads where id is not null limit 3"


def superseded(times: int) -> tuple[list[Call], object]:
    """A reply hook: the first ``times`` COQL calls answer Zoho's 401 INVALID_OAUTHTOKEN."""
    refused: list[Call] = []

    def reply(call: Call, response: httpx.Response) -> httpx.Response:
        if call.path != "/crm/v8/coql" or len(refused) >= times:
            return response
        refused.append(call)
        body = {
            "code": "INVALID_OAUTHTOKEN",
            "details": {},
            "message": "invalid oauth token",
            "status": "error",
        }
        return httpx.Response(
            401, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
        )

    return refused, reply


def test_a_superseded_access_token_is_refreshed_and_the_call_sent_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    refused, reply = superseded(1)
    recorder = Recorder(reply=reply)

    async def main() -> int:
        with running() as sandbox:
            async with client_for(sandbox, transport=recorder) as client:
                page = await client.coql(QUERY)
                return len(page.records)

    with caplog.at_level(logging.INFO, logger="coqlkit"):
        rows = asyncio.run(main())
    assert rows == 3 and len(refused) == 1
    coql = recorder.coql()
    assert len(coql) == 2  # refused, then sent once more with a new token
    tokens = [c for c in recorder.calls if c.path.startswith("/oauth/v2/token")]
    assert tokens and tokens[-1].sent > coql[0].sent  # a refresh between the two
    assert any(
        "401 INVALID_OAUTHTOKEN" in r.getMessage() and "refreshing it" in r.getMessage()
        for r in caplog.records
    )


def test_refused_again_after_the_refresh_it_is_an_auth_error_not_a_loop() -> None:
    from coqlkit.errors import AuthError

    refused, reply = superseded(100)
    recorder = Recorder(reply=reply)

    async def main() -> None:
        with running() as sandbox:
            async with client_for(sandbox, transport=recorder) as client:
                await client.coql(QUERY)

    with pytest.raises(AuthError, match="invalid oauth token"):
        asyncio.run(main())
    assert len(refused) == 2  # the call, and once more after the refresh: no more
