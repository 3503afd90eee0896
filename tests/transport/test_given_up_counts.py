"""A call given up after its attempts ran out says what each attempt came to (chaos review
7, #3), against the sandbox over real HTTP, its fault dice read ahead (``_dice``). The error
was built from the last attempt alone: 500s and dropped connections were told as "Zoho
answered 500 ... 5 times", and a call whose last attempt dropped raised httpx's bare
message, with no count and no "run again later". The error's type, code and status stay the
last attempt's, so callers and the shell's exit status still tell them apart."""

from __future__ import annotations

import asyncio
import re

import pytest

from coqlkit.errors import ApiError, TransportError, ZohoApiError
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import AsyncZohoClient, FileTokenStore, RetryPolicy
from tests.transport._dice import DROP, ERROR, set_up
from tests.transport.conftest import settings_for

POLICY = RetryPolicy(attempts=3, base=0.02, cap=0.05)
ANSWERED = r"Zoho answered 500 INTERNAL_ERROR \(Internal Server Error\)"
# (httpx's ReadError may come with no message: "(ReadError)", as CI saw once)
DROPPED = r"the connection dropped before the answer was whole \((RemoteProtocolError|ReadError)(: [^()]*(\([^()]*\))?)?\)"
SECONDS = r" in \d+\.\d s"
LATER = ": a fault on Zoho's side or on the network; run again later"


def given_up(
    org_db: str, store: FileTokenStore, pattern: str, bulk: bool = False
) -> tuple[ApiError, Sandbox]:
    """The error of one call (GET /crm/v8/org, or a bulk-read job's creation) whose attempts
    came out as ``pattern``; checked against the sandbox's log."""
    with Sandbox(records=400, db=org_db) as sandbox:
        set_up(sandbox, pattern, fail_rate=1.0)

        async def main() -> ApiError:
            async with AsyncZohoClient(settings_for(sandbox, store), retry=POLICY) as zoho:
                call = (
                    zoho.bulk_read_create({"query": {"module": {"api_name": "Leads"}}})
                    if bulk
                    else zoho.org()
                )
                with pytest.raises(ApiError) as info:
                    await call
                return info.value

        error = asyncio.run(main())
        assert sandbox.state is not None
        crm = [
            e["status"] for e in sandbox.state.requests if e["path"].startswith("/crm/") and e["coql"] is None
        ]
        faces = [ERROR if s == 500 else DROP for s in crm[-len(pattern) :]]
        assert "".join(faces) == pattern and len(crm) >= len(pattern)
    return error, sandbox


def test_500s_and_dropped_connections_are_each_counted_the_last_a_500(
    org_db: str, store: FileTokenStore
) -> None:
    error, sandbox = given_up(org_db, store, ERROR + DROP + ERROR)
    assert type(error) is ZohoApiError and (error.code, error.status) == ("INTERNAL_ERROR", 500)
    text = str(error)
    assert re.fullmatch(
        rf"GET /crm/v8/org at {re.escape(sandbox.base_url)}: 3 attempts{SECONDS}: {ANSWERED} twice and "
        rf"{DROPPED} once{re.escape(LATER)}",
        text,
    ), text


def test_a_call_whose_last_attempt_dropped_says_how_often_and_to_run_again_later(
    org_db: str, store: FileTokenStore
) -> None:
    """It was httpx's bare "RemoteProtocolError: peer closed connection ..."."""
    error, sandbox = given_up(org_db, store, ERROR + DROP + DROP)
    assert type(error) is TransportError and error.code == "CONNECTION_ERROR"
    assert error.details == {"call": "GET /crm/v8/org", "host": sandbox.base_url, "attempts": 3}
    text = str(error)
    assert re.fullmatch(
        rf"GET /crm/v8/org at {re.escape(sandbox.base_url)}: 3 attempts{SECONDS}: {ANSWERED} once and "
        rf"{DROPPED} twice{re.escape(LATER)}",
        text,
    ), text


def test_dropped_connections_alone_are_counted(org_db: str, store: FileTokenStore) -> None:
    error, sandbox = given_up(org_db, store, DROP * 3)
    assert type(error) is TransportError and error.details["attempts"] == 3
    text = str(error)
    assert re.fullmatch(
        rf"GET /crm/v8/org at {re.escape(sandbox.base_url)}: {DROPPED} 3 times{SECONDS}{re.escape(LATER)}",
        text,
    ), text


def test_a_bulk_jobs_creation_lost_after_a_500_counts_both_and_says_it_may_be_charged(
    org_db: str, store: FileTokenStore
) -> None:
    """The lost answer is not sent again (a job may have been made): the error counts the
    500 before it too, and says the job may have been charged."""
    error, sandbox = given_up(org_db, store, ERROR + DROP, bulk=True)
    assert type(error) is TransportError and error.details["maybe_charged"] == 50
    text = str(error)
    assert re.fullmatch(
        rf"POST /crm/bulk/v8/read at {re.escape(sandbox.base_url)}: 2 attempts{SECONDS}: {ANSWERED} once "
        rf"and {DROPPED} once{re.escape(LATER)}; the request reached the server and its answer was "
        r"lost, so Zoho may have run it and charged its 50 credits",
        text,
    ), text
