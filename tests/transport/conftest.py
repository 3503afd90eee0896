"""Sandboxes to talk to, and clients configured the way a user would configure them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import (
    AsyncZohoClient,
    FileTokenStore,
    RetryPolicy,
    Secret,
    Settings,
    endpoints,
    load_settings,
)


@pytest.fixture(scope="session")
def org_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One small org on disk, shared by the transport tests' sandboxes (made once)."""
    return str(tmp_path_factory.getbasetemp() / "transport-org.sqlite3")


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """A user's environment, for running ``coqlkit`` as a command: their own config, data and
    cache folders (under ``tmp_path``), the token file, no ZOHO_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOHO_", "COQLKIT_"))}
    env.update(
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        COQLKIT_TOKEN_STORE="file",
    )
    return env


@pytest.fixture
def store(tmp_path: Path) -> FileTokenStore:
    return FileTokenStore(tmp_path / "tokens.json")


def settings_for(sandbox: Sandbox, store: FileTokenStore, **overrides: Any) -> Settings:
    """Settings from the environment variables the sandbox prints, as CI would set them."""
    env = dict(sandbox.environment())
    env.update({k: str(v) for k, v in overrides.items()})
    return load_settings(env=env, store=store, path=Path("/nonexistent/config.toml"))


FAST = RetryPolicy(attempts=8, base=0.01, cap=0.2)


@pytest.fixture
def sandbox(org_db: str) -> Iterator[Sandbox]:
    with Sandbox(records=400, db=org_db) as running:
        yield running


def fake_zoho(
    crm: Callable[[httpx.Request], httpx.Response], *, concurrency: int = 10, **retry: float
) -> AsyncZohoClient:
    """A client of a Zoho whose token endpoint always says yes and whose CRM answers ``crm``
    (2 attempts, waits of milliseconds; ``retry`` overrides the RetryPolicy's fields)."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/v2/token":
            return httpx.Response(200, json={"access_token": "1000." + "ab" * 32, "expires_in": 3600})
        return crm(request)

    settings = Settings(
        endpoints(base_url="https://zoho.test"),
        client_id="1000.FAKE",
        client_secret=Secret("fake-client-secret-of-forty-characters-x"),
        refresh_token=Secret("1000." + "cd" * 32),
        credit_budget=100,
        concurrency=concurrency,
    )
    policy = RetryPolicy(**{"attempts": 2, "base": 0.001, "cap": 0.01, "busy_cap": 0.01, **retry})
    return AsyncZohoClient(settings, transport=httpx.MockTransport(handler), retry=policy)
