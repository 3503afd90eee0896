"""Processes that find the access token stale at once ask Zoho for one token between them
(ops review 8, finding 7).

The token file was read once, when a client was made, and the refresh was single-flight
within a process only: eleven exports started together made nine ``POST /oauth/v2/token``
(Zoho allows ten per refresh token in ten minutes). Now the refresh holds the token file's
refresh lock, and a process that waited for it reads the store again and takes that token.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import AsyncZohoClient, FileTokenStore
from coqlkit.transport.auth import credentials_mark

from .conftest import settings_for

PROCESSES = 6

# A client is made (and reads the empty token file) before the barrier, and asks for the
# org after it: every process has found no token before any of them refreshes one.
SCRIPT = """
import sys, time
from pathlib import Path
from coqlkit.transport import ZohoClient, load_settings

where, me = Path(sys.argv[1]), sys.argv[2]
with ZohoClient(load_settings()) as zoho:
    (where / f"ready-{me}").touch()
    while not (where / "go").exists():
        time.sleep(0.005)
    print(zoho.org()["id"])
"""


def token_calls(sandbox: Sandbox) -> int:
    assert sandbox.state is not None
    return sum(1 for entry in sandbox.state.requests if entry["path"] == "/oauth/v2/token")


def test_processes_that_start_together_share_one_refresh(
    sandbox: Sandbox, home: dict[str, str], tmp_path: Path
) -> None:
    env = {**home, **sandbox.environment()}
    running = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, str(tmp_path), str(i)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(PROCESSES)
    ]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("ready-*"))) < PROCESSES and time.monotonic() < deadline:
        time.sleep(0.01)
    (tmp_path / "go").touch()
    done = [p.communicate(timeout=120) for p in running]

    assert [p.returncode for p in running] == [0] * PROCESSES, done
    assert len({out for out, _ in done}) == 1  # the same org for all
    assert token_calls(sandbox) == 1


def test_a_token_zoho_refused_is_not_taken_from_the_store_again(
    sandbox: Sandbox, store: FileTokenStore
) -> None:
    """The refresh lock's second look at the store must not take back the token that Zoho
    just refused (revoked, or the sandbox restarted): it refreshes instead."""
    settings = settings_for(sandbox, store)
    mark = credentials_mark(settings.client_id, settings.client_secret, settings.refresh_token)
    store.put(
        settings.store_key,
        {
            "access_token": "1000." + "ab" * 32,  # looks fresh, and Zoho knows nothing of it
            "expires_at": time.time() + 3000,
            "accounts": settings.endpoints.accounts,
            "credentials": mark,
        },
    )

    async def org() -> dict[str, Any] | None:
        async with AsyncZohoClient(settings) as client:
            return await client.org()

    found = asyncio.run(org())
    assert found is not None and found["id"]
    assert token_calls(sandbox) == 1


def test_a_short_lived_token_is_shared_too(org_db: str, store: FileTokenStore) -> None:
    """A token that lives under 10 minutes is refreshed a tenth of its life early, not 60 s
    early: the next process takes it from the store (the sandbox's --token-ttl 30 tokens
    used to be refreshed by every process)."""

    with Sandbox(records=400, db=org_db, token_ttl=30) as short:
        settings = settings_for(short, store)

        async def org() -> None:
            async with AsyncZohoClient(settings) as client:
                await client.org()

        asyncio.run(org())
        asyncio.run(org())  # another client, as another process would be

        assert token_calls(short) == 1


def test_another_profiles_refresh_does_not_hold_this_one_up(
    sandbox: Sandbox, store: FileTokenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One refresh lock a profile: a process refreshing (or stopped with Ctrl-Z while
    refreshing) profile A made every other process wait the full 30 s for profile B too
    (own-diff review A #6)."""
    from coqlkit.transport import auth

    monkeypatch.setattr(auth, "REFRESH_WAIT", 1000.0)  # (a wait for the other's lock would show)
    settings = settings_for(sandbox, store)
    other = store.refresh_lock("another profile's key")
    assert other.path != store.refresh_lock(settings.store_key).path
    assert other.try_acquire()
    try:

        async def org() -> dict[str, Any] | None:
            async with AsyncZohoClient(settings) as client:
                return await asyncio.wait_for(client.org(), 30)

        found = asyncio.run(org())
    finally:
        other.release()
    assert found is not None and token_calls(sandbox) == 1
