"""coqlkit through the sandbox's OAuth and bulk-download limits, closer to Zoho's (fixer SB,
round 10): the real client (``coqlkit.connect``, the ``coqlkit`` command) against a sandbox
over real HTTP.

- A refresh token keeps 15 access tokens active, and the next invalidates the oldest:
  connections, processes or machines logging in with one refresh token (each with its
  own token store) take each other's tokens away. Each is told its token is invalid
  (401 ``INVALID_TOKEN``), refreshes, and reads. Here the cap is 2 (Zoho: 15), so that a
  few connections meet it; Zoho's 10 access tokens in 10 minutes stay on.
- A revoked refresh token: its connections' next call says to log in again, no traceback.
- An org downloads 10 bulk-read results a minute, whatever the job: a read of several
  jobs in that minute waits, and its rows all come. Here a window of seconds stands for
  Zoho's minute (``bulk_download_seconds``).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import coqlkit
from coqlkit.errors import AuthError
from coqlkit.sandbox.server import Sandbox

QUERY = "select Last_Name, Company from Leads where id is not null order by id limit 20"


@pytest.fixture
def capped(org_db: str) -> Iterator[Sandbox]:
    with Sandbox(records=400, db=org_db, active_tokens=2) as running:
        yield running


def statuses(sandbox: Sandbox, path: str) -> list[int]:
    assert sandbox.state is not None
    return [entry["status"] for entry in sandbox.state.requests if entry["path"] == path]


def refreshes(sandbox: Sandbox) -> int:
    return len(statuses(sandbox, "/oauth/v2/token"))


def invalid_tokens(sandbox: Sandbox) -> int:
    assert sandbox.state is not None
    return sum(1 for e in sandbox.state.requests if e["path"].startswith("/crm/") and e["status"] == 401)


# ---- access tokens taken away by other logins -------------------------------------------------


def test_connections_on_one_refresh_token_past_the_cap_all_still_read(capped: Sandbox) -> None:
    # Three logins (each connection its own token store), two live tokens: taken in turn,
    # each connection finds its token taken away by the others' logins, and refreshes.
    conns = [coqlkit.connect(sandbox=capped) for _ in range(3)]
    try:
        first = [conn.query(QUERY).to_arrow() for conn in conns]
        again = [conn.query(QUERY).to_arrow() for conn in conns]
        spent = [conn.credits_used for conn in conns]
    finally:
        for conn in conns:
            conn.close()
    assert all(table.num_rows == 20 for table in first + again)
    assert all(table.equals(first[0]) for table in first + again)
    assert invalid_tokens(capped) >= 2  # told, and read after a refresh
    assert capped.state is not None and capped.state.credits_used == sum(spent)  # 401s cost nothing


def test_more_logins_in_turn_than_the_cap_meet_zohos_throttle_and_are_told_why(capped: Sandbox) -> None:
    """Four logins taking turns on two live tokens: every call of each finds its token gone
    and refreshes, and Zoho's 10 access tokens in 10 minutes run out. The error says so,
    and what to do (share one token store)."""
    conns = [coqlkit.connect(sandbox=capped) for _ in range(4)]

    def in_turn() -> None:
        for _ in range(3):
            for conn in conns:
                conn.query(QUERY).to_arrow()

    try:
        with pytest.raises(AuthError) as info:
            in_turn()
    finally:
        for conn in conns:
            conn.close()
    message = str(info.value)
    assert "Access Denied" in message and "10 access tokens per refresh token in 10 minutes" in message
    assert "token store" in message
    assert capped.refresh_token not in message


def test_processes_each_with_its_own_token_store_take_turns_and_all_read(
    capped: Sandbox, home: dict[str, str], tmp_path: Path
) -> None:
    """Three machines (their own token files) with the same login, each running
    ``coqlkit query`` twice: the second run of each finds its stored token invalidated by
    the others' logins, is told so, refreshes, and prints the rows."""

    def machine(n: int) -> dict[str, str]:
        env = dict(home, **capped.environment())
        for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
            env[name] = str(tmp_path / f"machine-{n}" / name.lower())
        return env

    def run(env: dict[str, str]) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "coqlkit", "query", "-c", QUERY, "--format", "csv"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        return done.stdout

    machines = [machine(n) for n in range(3)]
    first = [run(env) for env in machines]
    tokens_before = refreshes(capped)
    second = [run(env) for env in machines]
    assert len(set(first + second)) == 1 and first[0].count("\n") == 21  # the header and 20 rows
    # The second round: each machine's stored token had been taken away by later logins.
    assert invalid_tokens(capped) == 3 and refreshes(capped) == tokens_before + 3
    # The last machine stored the token it refreshed, and it is live: its next run uses it.
    assert run(machines[2]) == first[0]
    assert invalid_tokens(capped) == 3 and refreshes(capped) == tokens_before + 3


def test_a_revoked_login_is_told_plainly(org_db: str) -> None:
    with Sandbox(records=400, db=org_db) as sandbox, coqlkit.connect(sandbox=sandbox) as conn:
        assert conn.query(QUERY).to_arrow().num_rows == 20
        revoked = httpx.post(
            f"{sandbox.base_url}/oauth/v2/token/revoke", params={"token": sandbox.refresh_token}
        )
        assert revoked.json() == {"status": "success"}
        with pytest.raises(AuthError) as info:
            conn.query(QUERY).to_arrow()
    message = str(info.value)
    assert info.value.code == "invalid_code" and "revoked" in message and "coqlkit auth login" in message
    assert sandbox.refresh_token not in message and sandbox.client_secret not in message
    assert statuses(sandbox, "/crm/v8/coql")[-1] == 401  # its access token stopped working


# ---- bulk-read downloads, per org -------------------------------------------------------------


def test_a_bulk_read_of_several_jobs_in_the_orgs_download_window_waits_and_every_row_comes(
    org_db: str,
) -> None:
    """Two jobs of 200 records (Zoho: 200,000 a job), one download a 3-second window: the
    second job's download (a fraction of a second after the first) is refused, the read
    waits, and every record comes."""
    options = {"bulk_seconds": 0.05, "bulk_page_rows": 200, "bulk_downloads": 1, "bulk_download_seconds": 3.0}
    with Sandbox(records=400, db=org_db, **options) as sandbox:
        with coqlkit.connect(sandbox=sandbox) as conn:
            table = conn.query(
                "select Last_Name from Leads where id is not null", strategy="bulk", bulk_job_seconds=0.05
            ).to_arrow()
        downloads = statuses(sandbox, "/crm/bulk/v8/read/4150868900000000002/result")
        first = statuses(sandbox, "/crm/bulk/v8/read/4150868900000000001/result")
    assert table.num_rows == 400 and len(set(table.column("id").to_pylist())) == 400
    assert first == [200]
    assert downloads[-1] == 200 and set(downloads[:-1]) == {429}, downloads  # refused, waited, read
