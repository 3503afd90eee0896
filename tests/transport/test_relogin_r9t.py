"""A process that runs for days follows its profile's logins (review 9, finding 1).

A service (an SQLAlchemy engine, a DB-API connection) kept the refresh token it read at
connect: after `coqlkit auth logout` and a new `coqlkit auth login`, every request failed
with ``invalid_code`` and a message asking for the login just made, until a restart. Now a
client whose refresh token came from the token store reads the store again before each
refresh and when Zoho refuses the token, and takes a newer login there (once; never a
secret a ``ZOHO_*`` variable gave, never one of a login for another accounts server).
"""

from __future__ import annotations

import json
import logging
import time
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from coqlkit import dbapi
from coqlkit.errors import AuthError, CoqlWarning
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import FileTokenStore, Secret, Settings, ZohoClient, load_settings
from coqlkit.transport.secrets import MemoryTokenStore, TokenStore

from .conftest import settings_for
from .test_cli_auth import coqlkit, grant_code
from .test_client import another_refresh_token

COUNT = "select COUNT(id) from Leads"


def count(cursor: Any) -> Any:
    """The reviewer's service's request: a COUNT, executed and fetched (rows are read lazily)."""
    cursor.execute(COUNT)
    return cursor.fetchone()


def token_calls(sandbox: Sandbox) -> int:
    assert sandbox.state is not None
    return sum(1 for entry in sandbox.state.requests if entry["path"] == "/oauth/v2/token")


def revoke(sandbox: Sandbox, refresh: str) -> None:
    httpx.post(f"{sandbox.base_url}/oauth/v2/token/revoke", data={"token": refresh}).raise_for_status()


def login(sandbox: Sandbox, home: dict[str, str]) -> str:
    """``coqlkit auth login --profile local`` against the sandbox; the refresh token it stored."""
    done = coqlkit(
        {**home, "ZOHO_CLIENT_SECRET": sandbox.client_secret},
        "auth", "login", "--profile", "local", "--base-url", sandbox.base_url,
        "--client-id", sandbox.client_id, "--code", grant_code(sandbox),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return str(stored(home)["refresh_token"])


def stored(home: dict[str, str]) -> dict[str, Any]:
    path = Path(home["XDG_DATA_HOME"]) / "coqlkit" / "tokens.json"
    return dict(json.loads(path.read_text())["local"])


def as_user_of(home: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """This process sees the same config file and token file as the ``coqlkit`` commands."""
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "COQLKIT_TOKEN_STORE"):
        monkeypatch.setenv(name, home[name])
    return home


def profile(sandbox: Sandbox, store: TokenStore, refresh: str, **record: Any) -> Settings:
    """Settings of profile ``svc`` whose refresh token came from ``store`` (put there now)."""
    store.put("svc", {"client_secret": sandbox.client_secret, "refresh_token": refresh, **record})
    env = replace(settings_for(sandbox, store), profile="svc")
    return replace(env, refresh_token=Secret(refresh))


def test_a_running_connection_takes_the_new_login_after_a_logout(
    sandbox: Sandbox, home: dict[str, str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The reviewer's service, in one process: a DB-API connection kept open across a logout
    and a new login recovers at its next query, with the access token the login got."""
    as_user = as_user_of(home, monkeypatch)
    first = login(sandbox, as_user)
    caplog.set_level(logging.DEBUG)
    conn = dbapi.connect("local")
    late: dbapi.Connection | None = None
    try:
        cursor = conn.cursor()
        assert count(cursor) == (400,)

        logout = coqlkit(as_user, "auth", "logout", "--profile", "local")
        assert logout.returncode == 0, logout.stderr
        assert sandbox.state is not None
        sandbox.state.expire_tokens()  # Zoho revokes the access tokens too; the sandbox does not
        with pytest.raises(dbapi.OperationalError) as refused:
            count(cursor)
        message = str(refused.value)
        assert "invalid_code" in message
        assert "the token store, read again, holds no refresh token for profile 'local' any more" in message
        assert "run `coqlkit auth login --profile local` again" in message
        assert "takes the new login at its next call, with no restart" in message

        # A connection opened meanwhile (a pool replacing the failed one) has no secrets at all.
        late = dbapi.connect("local")
        with pytest.raises(dbapi.OperationalError) as none:
            count(late.cursor())
        assert "the token store holds none for profile 'local' (logged out, or never logged in)" in str(
            none.value
        )

        second = login(sandbox, as_user)
        assert second != first
        before = token_calls(sandbox)
        assert count(cursor) == (400,)  # no restart
        assert count(late.cursor()) == (400,)
        assert token_calls(sandbox) == before  # the login's own access token, taken from the store
        assert count(cursor) == (400,)
    finally:
        conn.close()
        if late is not None:
            late.close()
    shown = message + repr(refused.value) + caplog.text
    assert "the token store holds a newer login of profile 'local'" in caplog.text
    for secret in (first, second, sandbox.client_secret):
        assert secret not in shown


def test_a_login_made_while_the_process_runs_is_taken_at_its_next_refresh(
    org_db: str, home: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No logout: the old refresh token still works, but the profile is the new login now,
    as it is for a new process; the old one can then be revoked without a failure."""
    with Sandbox(records=400, db=org_db, token_ttl=10) as short:
        as_user_of(home, monkeypatch)
        first = login(short, home)
        with ZohoClient(load_settings("local")) as zoho:
            assert (zoho.org() or {})["zgid"]
            second = login(short, home)
            assert (zoho.org() or {})["zgid"]  # its access token is still good: nothing read
            assert zoho.aio.tokens.settings.refresh_token == Secret(first)
            deadline = time.monotonic() + 60
            while zoho.aio.tokens.valid() and time.monotonic() < deadline:  # the token's life
                time.sleep(0.05)
            assert (zoho.org() or {})["zgid"]  # stale: reads the store, takes the new login
            assert zoho.aio.tokens.settings.refresh_token == Secret(second)
            assert zoho.aio.tokens.logins_taken == 1
            revoke(short, first)
            assert short.state is not None
            short.state.expire_tokens()
            assert (zoho.org() or {})["zgid"]  # refreshed with the new login's token
        record = stored(home)
        assert record["refresh_token"] == second and record["access_token"]


def test_a_refused_refresh_token_takes_a_newer_login_from_the_store_once(sandbox: Sandbox) -> None:
    """A login written by hand (no credentials mark, no access token), to the memory store
    (no refresh lock): not taken before the refresh, taken when Zoho refuses the old token,
    and asked with once."""
    store = MemoryTokenStore()
    first = another_refresh_token(sandbox)
    settings = profile(sandbox, store, first)
    with ZohoClient(settings) as zoho:
        assert (zoho.org() or {})["zgid"]
        revoke(sandbox, first)
        second = another_refresh_token(sandbox)
        store.put("svc", {"client_secret": sandbox.client_secret, "refresh_token": second})
        assert sandbox.state is not None
        sandbox.state.expire_tokens()
        before = token_calls(sandbox)
        assert (zoho.org() or {})["zgid"]
        assert token_calls(sandbox) == before + 2  # refused, then the store's newer login
        assert zoho.aio.tokens.settings.refresh_token == Secret(second)
        assert zoho.aio.tokens.logins_taken == 1
    assert (store.get("svc") or {})["access_token"]


def test_a_newer_login_refused_too_is_asked_with_once_and_said(sandbox: Sandbox, tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    first = another_refresh_token(sandbox, revoked=True)
    settings = profile(sandbox, store, first)
    with ZohoClient(settings) as zoho:
        second = another_refresh_token(sandbox, revoked=True)
        store.put("svc", {"client_secret": sandbox.client_secret, "refresh_token": second})
        before = token_calls(sandbox)
        with pytest.raises(AuthError) as refused:
            zoho.org()
        assert token_calls(sandbox) == before + 2  # the old one, the store's once: no loop
        message = str(refused.value)
        assert refused.value.code == "invalid_code"
        assert "held a newer login of profile 'svc', which Zoho refused too" in message
        with pytest.raises(AuthError):  # the next call asks with the newer login once more
            zoho.org()
        assert token_calls(sandbox) == before + 3
    for secret in (first, second, sandbox.client_secret):
        assert secret not in message + repr(refused.value)


def test_the_message_says_the_store_still_holds_the_refused_token(sandbox: Sandbox, tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    settings = profile(sandbox, store, another_refresh_token(sandbox, revoked=True))
    before = token_calls(sandbox)
    with ZohoClient(settings) as zoho, pytest.raises(AuthError) as refused:
        zoho.org()
    assert "the token store, read again, still holds this one" in str(refused.value)
    assert "run `coqlkit auth login --profile svc` again" in str(refused.value)
    assert token_calls(sandbox) == before + 1


def test_a_refresh_token_from_the_environment_is_never_replaced_by_the_stores(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """ZOHO_REFRESH_TOKEN over a profile: the profile's stored login is not this client's."""
    store = FileTokenStore(tmp_path / "tokens.json")
    good = another_refresh_token(sandbox)
    profile(sandbox, store, good)  # the profile's login, in the store
    revoked = another_refresh_token(sandbox, revoked=True)
    settings = replace(settings_for(sandbox, store, ZOHO_REFRESH_TOKEN=revoked), profile="svc")
    before = token_calls(sandbox)
    with ZohoClient(settings) as zoho, pytest.raises(AuthError) as refused:
        zoho.org()
    assert token_calls(sandbox) == before + 1  # the stored token was never sent
    assert zoho.aio.tokens.logins_taken == 0
    message = str(refused.value)
    assert "read again" not in message and "restart it" in message
    assert "`coqlkit auth login --profile svc` again" in message


def test_a_login_for_another_accounts_server_is_not_taken(sandbox: Sandbox, tmp_path: Path) -> None:
    """Its secrets go to its own server only: the process says to restart instead."""
    store = FileTokenStore(tmp_path / "tokens.json")
    first = another_refresh_token(sandbox, revoked=True)
    settings = profile(sandbox, store, first)
    with ZohoClient(settings) as zoho:
        second = another_refresh_token(sandbox)
        store.put(
            "svc",
            {
                "client_secret": sandbox.client_secret,
                "refresh_token": second,
                "accounts": "https://accounts.zoho.eu",
            },
        )
        before = token_calls(sandbox)
        with pytest.raises(AuthError) as refused:
            zoho.org()
        assert token_calls(sandbox) == before + 1
        assert zoho.aio.tokens.settings.refresh_token == Secret(first)
    assert "holds a newer login of profile 'svc' for another accounts server" in str(refused.value)
    assert "restart it" in str(refused.value)


def test_a_token_store_that_cannot_be_read_again_is_said(sandbox: Sandbox, tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    settings = profile(sandbox, store, another_refresh_token(sandbox, revoked=True))
    with ZohoClient(settings) as zoho:
        store.path.write_text("{not json")  # broken after the client read it
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            with pytest.raises(AuthError) as refused:
                zoho.org()
    assert "could not be read again to look for a newer login" in str(refused.value)
    assert any(issubclass(w.category, CoqlWarning) and "not valid JSON" in str(w.message) for w in seen)
    assert store.path.read_text() == "{not json"  # never written over


def test_a_token_cached_by_a_login_for_another_client_id_is_not_taken_before_a_refresh(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """A record whose credentials mark is not this client's (the profile's client id changed
    with the login): a working client keeps its own login rather than break on another's."""
    from coqlkit.transport.auth import credentials_mark

    store = FileTokenStore(tmp_path / "tokens.json")
    first = another_refresh_token(sandbox)
    settings = profile(sandbox, store, first)
    with ZohoClient(settings) as zoho:
        assert (zoho.org() or {})["zgid"]
        second = another_refresh_token(sandbox)
        mark = credentials_mark("1000.ANOTHERCLIENT", Secret(sandbox.client_secret), Secret(second))
        store.put(
            "svc",
            {
                "client_secret": sandbox.client_secret,
                "refresh_token": second,
                "access_token": "1000." + "ab" * 32,
                "expires_at": time.time() + 3000,
                "accounts": settings.endpoints.accounts,
                "credentials": mark,
            },
        )
        assert sandbox.state is not None
        sandbox.state.expire_tokens()
        assert (zoho.org() or {})["zgid"]
        assert zoho.aio.tokens.settings.refresh_token == Secret(first)
        assert zoho.aio.tokens.logins_taken == 0
