"""A failed token request shows no secret, even in a traceback that shows every frame's
local variables (``pytest -l``, IPython's verbose mode, an error tracker's local capture),
nor anywhere in the chain of errors it carries (``__cause__``, ``__context__``)."""

from __future__ import annotations

import asyncio
import socket
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from coqlkit.errors import AuthError, CoqlError, TransportError
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import AsyncZohoClient, FileTokenStore, Secret, endpoints, load_settings
from coqlkit.transport.auth import exchange_code, revoke_token
from tests._refused_port import refused_port
from tests.transport.conftest import FAST

CLIENT_SECRET = "CANARY-client-secret-3f9a1c7e5b2d4f6a8c0e"
REFRESH_TOKEN = "1000.CANARY-refresh-token-9e8d7c6b5a4f3e2d1c0b"
GRANT_CODE = "1000.CANARY-grant-code-1a2b3c4d5e6f7a8b9c0d"
SECRETS = (CLIENT_SECRET, REFRESH_TOKEN, GRANT_CODE)


def everything_reachable(exc: BaseException) -> str:
    """What a traceback with locals prints, and more: for each error in the chain (causes and
    contexts, suppressed or not), its text, its attributes, an httpx error's request (URL,
    headers, body), and the repr of every local variable of every frame it went through."""
    shown = ["".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())]
    pending: list[BaseException] = [exc]
    seen: set[int] = set()
    while pending:
        error = pending.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        shown += [str(error), repr(error), repr(error.args), repr(getattr(error, "__dict__", {}))]
        if isinstance(error, httpx.RequestError):
            try:
                request = error.request
            except RuntimeError:
                pass
            else:
                shown += [str(request.url), repr(list(request.headers.raw)), repr(request.content)]
        frame = error.__traceback__
        while frame is not None:
            shown += [repr(value) for value in frame.tb_frame.f_locals.values()]
            frame = frame.tb_next
        pending += [e for e in (error.__cause__, error.__context__) if e is not None]
    return "\n".join(shown)


def failure(call: Callable[[], object]) -> CoqlError:
    """The error ``call`` raises, caught here (the test's own frame, which knows the secrets
    as module constants, is not in its traceback)."""
    try:
        call()
    except CoqlError as exc:
        return exc
    raise AssertionError("no error")


def refresh_with(base_url: str, client_id: str, tmp_path: Path) -> Callable[[], object]:
    env = {
        "ZOHO_BASE_URL": base_url,
        "ZOHO_CLIENT_ID": client_id,
        "ZOHO_CLIENT_SECRET": CLIENT_SECRET,
        "ZOHO_REFRESH_TOKEN": REFRESH_TOKEN,
    }
    settings = load_settings(env=env, store=FileTokenStore(tmp_path / "t.json"), path=tmp_path / "none.toml")

    async def main() -> None:
        async with AsyncZohoClient(settings, retry=FAST) as zoho:
            await zoho.org()

    return lambda: asyncio.run(main())


def test_a_refused_refresh_shows_no_secret_in_a_traceback_with_locals(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    error = failure(refresh_with(sandbox.base_url, sandbox.client_id, tmp_path))
    assert isinstance(error, AuthError) and error.code == "invalid_client"
    shown = everything_reachable(error)
    for secret in SECRETS:
        assert secret not in shown
    assert "Secret('" in shown and "<form " in shown  # the frames' locals are there, masked


def test_an_unreachable_token_endpoint_shows_no_secret_and_says_where(tmp_path: Path) -> None:
    with refused_port() as port:
        error = failure(refresh_with(f"http://127.0.0.1:{port}", "1000.CLIENT", tmp_path))
    assert isinstance(error, TransportError) and error.code == "CONNECTION_ERROR"
    assert str(error).startswith(
        f"the token endpoint did not answer at http://127.0.0.1:{port}: ConnectError: "
    )
    # Still told apart as a refused connection (retried less), by a copy that holds nothing.
    assert isinstance(error.__cause__, httpx.ConnectError) and error.__cause__.__traceback__ is None
    assert error.__cause__.request.url == f"http://127.0.0.1:{port}/oauth/v2/token"
    assert error.__cause__.request.content == b""
    shown = everything_reachable(error)
    for secret in SECRETS:
        assert secret not in shown


def test_a_timed_out_token_request_keeps_its_timeout_and_no_secret(tmp_path: Path) -> None:
    with socket.socket() as listener:  # takes the connection, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        base = f"http://127.0.0.1:{listener.getsockname()[1]}"
        env = {
            "ZOHO_BASE_URL": base,
            "ZOHO_CLIENT_ID": "1000.CLIENT",
            "ZOHO_CLIENT_SECRET": CLIENT_SECRET,
            "ZOHO_REFRESH_TOKEN": REFRESH_TOKEN,
            "COQLKIT_TIMEOUT": "0.3",
        }
        settings = load_settings(
            env=env, store=FileTokenStore(tmp_path / "t.json"), path=tmp_path / "none.toml"
        )

        async def main() -> None:
            async with AsyncZohoClient(settings, retry=FAST) as zoho:
                await zoho.org()

        error = failure(lambda: asyncio.run(main()))
    assert isinstance(error, TransportError) and error.code == "TIMEOUT"
    assert isinstance(error.__cause__, httpx.ReadTimeout)
    assert "timed out after 0.3 s twice" in str(error)  # the timeout read from the detached copy
    shown = everything_reachable(error)
    for secret in SECRETS:
        assert secret not in shown


@pytest.mark.parametrize("reachable", [True, False])
def test_a_failed_login_exchange_shows_no_secret_or_grant_code(sandbox: Sandbox, reachable: bool) -> None:
    with refused_port() as port:
        accounts = sandbox.base_url if reachable else f"http://127.0.0.1:{port}"
        error = failure(lambda: exchange_code(accounts, sandbox.client_id, Secret(CLIENT_SECRET), GRANT_CODE))
    assert isinstance(error, AuthError if reachable else TransportError)
    shown = everything_reachable(error)
    for secret in SECRETS:
        assert secret not in shown


def test_a_failed_revocation_shows_no_token() -> None:
    with refused_port() as port:
        error = failure(lambda: revoke_token(f"http://127.0.0.1:{port}", Secret(REFRESH_TOKEN)))
    assert isinstance(error, TransportError) and "the revoke endpoint did not answer" in str(error)
    assert REFRESH_TOKEN not in everything_reachable(error)


def test_the_client_credentials_grant_shows_no_secret(sandbox: Sandbox, tmp_path: Path) -> None:
    settings = replace(
        load_settings(
            env=dict(sandbox.environment()),
            store=FileTokenStore(tmp_path / "t.json"),
            path=tmp_path / "none.toml",
        ),
        client_secret=Secret(CLIENT_SECRET),
        refresh_token=None,
        endpoints=endpoints(base_url=sandbox.base_url),
    )

    async def main() -> None:
        async with AsyncZohoClient(settings, retry=FAST) as zoho:
            await zoho.org()

    error = failure(lambda: asyncio.run(main()))
    assert isinstance(error, AuthError)
    assert CLIENT_SECRET not in everything_reachable(error)


def test_a_settings_error_does_not_show_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``load_settings``' ``env`` is ``os.environ`` itself by default: its repr holds every
    variable, ``ZOHO_CLIENT_SECRET`` among them."""
    monkeypatch.setenv("ZOHO_CLIENT_ID", "1000.ID")
    monkeypatch.setenv("ZOHO_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("COQLKIT_CREDIT_BUDGET", "lots")
    store = FileTokenStore(tmp_path / "t.json")
    error = failure(lambda: load_settings(store=store, path=tmp_path / "none.toml"))
    assert "COQLKIT_CREDIT_BUDGET must be a number" in str(error)
    assert CLIENT_SECRET not in everything_reachable(error)
    assert "<environment: " in everything_reachable(error)
