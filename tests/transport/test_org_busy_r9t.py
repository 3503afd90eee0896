"""An org kept busy by this process's own other connections says so (review 9, finding 4).

An SQLAlchemy engine's pooled connections each have their own concurrency, and Zoho counts
all their calls against the org's limit. When one of them gave up with OrgBusy, the message
sent the operator looking for other integrations, or for the day's credits ("if nothing else
runs, that may be it"), while the slots were held by the engine's other connections. The
calls in flight are now counted per org across the process, and OrgBusy says how many of
them the other connections had, and what to change.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from coqlkit.errors import OrgBusy
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import AsyncZohoClient, FileTokenStore, RetryPolicy, ZohoClient
from coqlkit.transport._org_calls import in_flight

from .conftest import settings_for

QUERY = "select Last_Name from Leads where id is not null limit 5"
#: Refused at once and tried again within milliseconds: a second or so of 429s is patience spent.
IMPATIENT = RetryPolicy(attempts=2, base=0.01, cap=0.05, busy_patience=0.5, busy_cap=0.05)


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.01)


@pytest.fixture
def full_org(org_db: str) -> Iterator[Sandbox]:
    """An org with one concurrent-call slot, whose calls take 5 s: one call in flight fills it."""
    with Sandbox(records=400, db=org_db, concurrency=1, latency_ms=5000) as running:
        yield running


def in_background(work: Callable[[], object]) -> threading.Thread:
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def test_org_busy_names_the_process_s_other_connections(full_org: Sandbox, tmp_path: Path) -> None:
    """Two connections of one profile, as two pooled connections of an engine are: the one
    that finds the org full is told that the other holds its slot, and what to change."""
    settings = settings_for(full_org, FileTokenStore(tmp_path / "tokens.json"))
    with ZohoClient(settings) as holder, ZohoClient(settings, retry=IMPATIENT) as refused:
        held: list[int] = []
        thread = in_background(lambda: held.append(holder.coql(QUERY).count))
        wait_for(lambda: sum(in_flight().values()) == 1, "the other connection's call to be in flight")
        with pytest.raises(OrgBusy) as busy:
            refused.coql(QUERY)
        thread.join(timeout=60)
        assert held == [5]  # the other connection's call was never in trouble
        # Refused calls cost nothing. (How many refusals it takes to give up depends on how
        # fast they come within busy_patience: 3 on a loaded CI machine, more on a quiet one.)
        assert refused.credits_used == 0 and refused.aio.throttled >= 2
    message = str(busy.value)
    assert message.startswith("the org is busy: other integrations hold its concurrent-call slots")
    assert (
        "or this process's own other coqlkit connections do: 1 of them, to the same org, had 1 call "
        "in flight while Zoho refused this one's"
    ) in message
    assert "lower the engine's pool_size, or the concurrency of each connection" in message
    assert "if it goes on once this process's other connections are idle, that may be it" in message
    assert "if nothing else runs" not in message
    wait_for(lambda: in_flight() == {}, "the count to be back to none")


def test_org_busy_for_another_integration_keeps_its_words(full_org: Sandbox, tmp_path: Path) -> None:
    """Another integration (a plain HTTP client) holds the slot: nothing of this process's."""
    settings = settings_for(full_org, FileTokenStore(tmp_path / "tokens.json"))
    token = httpx.post(
        f"{full_org.base_url}/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": full_org.client_id,
            "client_secret": full_org.client_secret,
            "refresh_token": full_org.refresh_token,
        },
    ).json()["access_token"]
    other = in_background(
        lambda: httpx.post(
            f"{full_org.base_url}/crm/v8/coql",
            json={"select_query": QUERY},
            headers={"Authorization": f"Zoho-oauthtoken {token}"},
            timeout=60,
        )
    )
    assert full_org.state is not None
    state = full_org.state
    wait_for(lambda: state.most_in_flight == 1, "the other integration's call to be in flight")
    with ZohoClient(settings, retry=IMPATIENT) as refused, pytest.raises(OrgBusy) as busy:
        refused.coql(QUERY)
    other.join(timeout=60)
    message = str(busy.value)
    assert message.startswith("the org is busy: other integrations hold its concurrent-call slots")
    assert "by any integration: if nothing else runs, that may be it" in message
    assert "this process's own other coqlkit connections" not in message


def test_calls_answered_in_threads_leave_no_count(sandbox: Sandbox, tmp_path: Path) -> None:
    """Threads with event loops of their own, their calls answered: the count ends at none."""
    settings = settings_for(sandbox, FileTokenStore(tmp_path / "tokens.json"))

    def reads() -> None:
        with ZohoClient(settings) as zoho:
            for _ in range(5):
                assert zoho.coql(QUERY).count == 5

    threads = [in_background(reads) for _ in range(4)]
    for thread in threads:
        thread.join(timeout=120)
    assert sandbox.state is not None and sandbox.state.credits_used == 20
    assert in_flight() == {}


def test_a_call_cancelled_in_flight_leaves_no_count(full_org: Sandbox, tmp_path: Path) -> None:
    settings = settings_for(full_org, FileTokenStore(tmp_path / "tokens.json"))

    async def cancelled() -> None:
        async with AsyncZohoClient(settings) as zoho:
            task = asyncio.create_task(zoho.coql(QUERY))
            deadline = time.monotonic() + 60
            while not in_flight() and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            assert sum(in_flight().values()) == 1
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert in_flight() == {}

    asyncio.run(cancelled())
