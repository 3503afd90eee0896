"""Calls given up on faults, and the faults not given up on (fault review 5, #1, #2, #4),
against the sandbox over real HTTP: a bulk-read job's creation is sent again after a 5xx
and not after a lost answer, which says the job may have been made and charged; a call
given up on 5xx answers says which call, where, how often and for how long; a server that
stops accepting connections after answering gets the policy's attempts, not the three a
wrong address gets, and the error says it stopped mid-read."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from coqlkit.errors import TransportError, ZohoApiError
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import AsyncZohoClient, FileTokenStore, RetryPolicy
from tests.transport._dice import DROP, ERROR, OK, set_up
from tests.transport.conftest import FAST, settings_for

BULK = {"query": {"module": {"api_name": "Leads"}, "fields": ["Last_Name"]}}


def crm(sandbox: Sandbox, path: str) -> list[dict[str, object]]:
    assert sandbox.state is not None
    return [e for e in sandbox.state.requests if e["path"] == path]


# ---- #1: a bulk-read job's creation ----------------------------------------------------------


def test_a_bulk_read_job_refused_with_a_500_is_created_again(org_db: str, store: FileTokenStore) -> None:
    """A 500 means Zoho handed back no job: sent again, one job made. It failed the whole
    export before (the creation was never retried but for a connection never made)."""
    with Sandbox(records=400, db=org_db, bulk_seconds=0.1) as sandbox:
        set_up(sandbox, ERROR + OK, fail_rate=0.3)

        async def main() -> tuple[dict[str, object], int]:
            async with AsyncZohoClient(settings_for(sandbox, store), retry=FAST) as zoho:
                return await zoho.bulk_read_create(BULK), zoho.credits_used

        details, used = asyncio.run(main())
        assert [e["status"] for e in crm(sandbox, "/crm/bulk/v8/read")] == [500, 201]
        assert details["state"] == "ADDED" and used == 50  # the 500 cost nothing


def test_a_bulk_read_job_whose_answer_is_lost_is_not_created_again(
    org_db: str, store: FileTokenStore
) -> None:
    """A lost answer may have made (and charged) a job whose id never came: not sent again
    by the client, and the error says so (``details["maybe_charged"]``, for the caller)."""
    with Sandbox(records=400, db=org_db) as sandbox:
        set_up(sandbox, DROP, fail_rate=0.3)

        async def main() -> tuple[TransportError, int]:
            async with AsyncZohoClient(settings_for(sandbox, store), retry=FAST) as zoho:
                with pytest.raises(TransportError) as info:
                    await zoho.bulk_read_create(BULK)
                return info.value, zoho.unanswered_credits

        error, unanswered = asyncio.run(main())
        assert len(crm(sandbox, "/crm/bulk/v8/read")) == 1
        assert unanswered == 50 and error.details["maybe_charged"] == 50
        assert str(error).startswith(f"POST /crm/bulk/v8/read at {sandbox.base_url}: ")
        assert str(error).endswith(
            "; the request reached the server and its answer was lost, so Zoho may have run it "
            "and charged its 50 credits"
        )
        # Dropped mid-answer (httpx says RemoteProtocolError or ReadError), not refused.
        assert isinstance(error.__cause__, httpx.TransportError)
        assert not isinstance(error.__cause__, httpx.ConnectError)


# ---- #2: 5xx answers until the attempts run out ---------------------------------------------


def test_a_call_given_up_on_500s_says_which_where_how_often_and_whose_fault(
    org_db: str, store: FileTokenStore
) -> None:
    """It said "Internal Server Error" and nothing more. Its type, Zoho's code, status and
    details stay, so callers (and the CLI's exit status) still tell it apart."""
    with Sandbox(records=400, db=org_db) as sandbox:
        set_up(sandbox, ERROR * 3, fail_rate=1.0)

        async def main() -> ZohoApiError:
            policy = RetryPolicy(attempts=3, base=0.05, cap=0.1)
            async with AsyncZohoClient(settings_for(sandbox, store), retry=policy) as zoho:
                with pytest.raises(ZohoApiError) as info:
                    await zoho.org()
                return info.value

        error = asyncio.run(main())
        assert [e["status"] for e in crm(sandbox, "/crm/v8/org")][-3:] == [500, 500, 500]
    assert type(error) is ZohoApiError
    assert (error.code, error.status, error.details) == ("INTERNAL_ERROR", 500, {})
    text = str(error)
    head = f"GET /crm/v8/org at {sandbox.base_url}: Zoho answered 500 INTERNAL_ERROR (Internal Server Error) 3 times in "
    assert text.startswith(head), text
    assert text.endswith(" s: a fault on Zoho's side; run again later")
    assert 0.0 < float(text[len(head) :].split(" s:")[0]) < 5
    assert isinstance(error.__cause__, ZohoApiError) and str(error.__cause__) == "Internal Server Error"


# ---- #4: a server that stops accepting connections mid-read ----------------------------------


def test_a_server_restarting_mid_read_is_waited_for(org_db: str, store: FileTokenStore) -> None:
    """The host answered moments ago: its refused connections are a restart, not a wrong
    address, and get the policy's attempts (the three a wrong address gets gave up after
    about a second and a half, throwing away an export nearly done)."""
    sandbox = Sandbox(records=400, db=org_db).start()
    port = int(sandbox.base_url.rsplit(":", 1)[1])
    settings = settings_for(sandbox, store)
    back: list[Sandbox] = []

    def restart() -> None:
        time.sleep(2.2)  # longer than three attempts can wait (two waits of at most 1 s)
        back.append(Sandbox(records=400, db=org_db, port=port).start())

    async def main() -> tuple[dict[str, object] | None, int]:
        policy = RetryPolicy(attempts=10, base=0.5, cap=1.0)
        async with AsyncZohoClient(settings, retry=policy, seed=3) as zoho:
            assert await zoho.org()  # the host answers this client
            sandbox.stop()
            thread = threading.Thread(target=restart)
            thread.start()
            try:
                return await zoho.org(), zoho.retries
            finally:
                await asyncio.to_thread(thread.join)

    try:
        org, retries = asyncio.run(main())
    finally:
        for server in back:
            server.stop()
    assert org is not None and retries >= 3


def test_a_server_that_stops_accepting_connections_mid_read_is_named(
    org_db: str, store: FileTokenStore
) -> None:
    sandbox = Sandbox(records=400, db=org_db).start()

    async def main() -> tuple[TransportError, int]:
        async with AsyncZohoClient(settings_for(sandbox, store), retry=FAST) as zoho:
            assert await zoho.org()
            sandbox.stop()
            with pytest.raises(TransportError) as info:
                await zoho.org()
            return info.value, zoho.retries

    error, retries = asyncio.run(main())
    assert retries == FAST.attempts - 1  # the policy's attempts, not three
    assert error.code == "CONNECTION_ERROR" and isinstance(error.__cause__, httpx.ConnectError)
    assert error.details == {"call": "GET /crm/v8/org", "host": sandbox.base_url, "attempts": FAST.attempts}
    text = str(error)
    assert text.startswith(f"GET /crm/v8/org at {sandbox.base_url}: ConnectError: ")
    assert (
        "; the server answered this client before, then stopped accepting connections mid-read "
        f"(refused {FAST.attempts} times in "
    ) in text
    assert text.endswith(" s): a restart or outage on its side; run again")


@pytest.mark.parametrize(
    ("status", "again"), [(500, True), (503, True), (502, False), (504, False), (400, False)]
)
def test_a_bulk_jobs_creation_is_sent_again_after_zohos_own_5xx_only(status: int, again: bool) -> None:
    """A gateway's 502 or 504 may come after Zoho made the job (and charged 50 credits):
    only Zoho's own 500 or 503 says no job was made (diff review 7); a read is sent again
    after any 5xx."""
    from coqlkit.errors import ZohoApiError
    from coqlkit.transport.client import _retryable

    error = ZohoApiError("failed", code="INTERNAL_ERROR", status=status)
    assert _retryable(error, "after an error answer") is again
    assert _retryable(error, "after any failure") is (status >= 500)
