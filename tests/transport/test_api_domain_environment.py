"""A configured sandbox or developer environment is kept whatever ``api_domain`` the token
response names (wire review 6, #9): its data centre is taken, its environment is not, so a
token answered with production's ``www.`` host cannot send a sandbox profile's calls to the
production org. Whether Zoho Accounts answers a sandbox org's token with ``www.`` or
``sandbox.`` is not documented; the client no longer depends on it.

A fake Zoho behind ``httpx.MockTransport``: every host answers, none is reached."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import httpx
import pytest

from coqlkit.errors import ConfigError
from coqlkit.transport import AsyncZohoClient, FileTokenStore, load_settings
from coqlkit.transport.secrets import MemoryTokenStore, TokenStore

CREDENTIALS = {
    "ZOHO_CLIENT_ID": "1000.FAKE",
    "ZOHO_CLIENT_SECRET": "fake-client-secret-of-forty-characters-x",
    "ZOHO_REFRESH_TOKEN": "1000." + "cd" * 32,
}


def calls_go_to(
    dc: str,
    environment: str,
    api_domain: str,
    store: TokenStore | None = None,
    env: dict[str, str] | None = None,
) -> list[str]:
    """The hosts a client of ``ZOHO_DC=dc ZOHO_ENVIRONMENT=environment`` (or of ``env``)
    sends two CRM calls to, its token response naming ``api_domain``."""
    hosts: list[str] = []

    def zoho(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/v2/token":
            token = {"access_token": "1000." + "ab" * 32, "expires_in": 3600, "api_domain": api_domain}
            return httpx.Response(200, json=token)
        hosts.append(f"{request.url.scheme}://{request.url.host}")
        return httpx.Response(200, json={"org": [{"id": "1"}]})

    env = {**CREDENTIALS, **(env or {"ZOHO_DC": dc, "ZOHO_ENVIRONMENT": environment})}
    settings = load_settings(
        env=env, store=store or MemoryTokenStore(), path=Path("/nonexistent/config.toml")
    )

    async def main() -> None:
        async with AsyncZohoClient(settings, transport=httpx.MockTransport(zoho)) as client:
            await client.org()
            await client.org()

    asyncio.run(main())
    return hosts


@pytest.mark.parametrize(
    ("dc", "environment", "api_domain", "host"),
    [
        # production's host for a sandbox org: its data centre, the sandbox's host
        ("eu", "sandbox", "https://www.zohoapis.eu", "https://sandbox.zohoapis.eu"),
        ("au", "developer", "https://www.zohoapis.com.au/", "https://developer.zohoapis.com.au"),
        ("us", "sandbox", "https://sandbox.zohoapis.com", "https://sandbox.zohoapis.com"),
        # the org lives in another data centre than configured: Zoho says where
        ("us", "sandbox", "https://www.zohoapis.eu", "https://sandbox.zohoapis.eu"),
        ("us", "production", "https://www.zohoapis.eu", "https://www.zohoapis.eu"),
        # not one of Zoho's API hosts: the configured one
        ("eu", "sandbox", "https://crm.example.com", "https://sandbox.zohoapis.eu"),
        ("eu", "developer", "https://www.zohoapis.eu.example.com", "https://developer.zohoapis.eu"),
    ],
)
def test_the_configured_environment_is_kept(dc: str, environment: str, api_domain: str, host: str) -> None:
    assert calls_go_to(dc, environment, api_domain) == [host, host]


@pytest.mark.parametrize(
    ("base_url", "api_domain", "host"),
    [
        ("https://sandbox.zohoapis.com", "https://www.zohoapis.com", "https://sandbox.zohoapis.com"),
        ("https://developer.zohoapis.eu/", "https://www.zohoapis.eu", "https://developer.zohoapis.eu"),
        ("https://www.zohoapis.com", "https://www.zohoapis.com", "https://www.zohoapis.com"),
    ],
)
def test_a_base_url_on_a_zoho_host_says_its_environment(base_url: str, api_domain: str, host: str) -> None:
    """ZOHO_BASE_URL=https://sandbox.zohoapis.com without ZOHO_ENVIRONMENT is the sandbox:
    a token answered with production's host cannot send its calls to the production org."""
    env = {"ZOHO_BASE_URL": base_url, "ZOHO_ACCOUNTS_URL": "https://accounts.zoho.com"}
    assert calls_go_to("", "", api_domain, env=env) == [host, host]


def test_a_base_url_of_one_environment_with_another_is_refused() -> None:
    env = {**CREDENTIALS, "ZOHO_BASE_URL": "https://www.zohoapis.eu", "ZOHO_ENVIRONMENT": "sandbox"}
    with pytest.raises(
        ConfigError, match="is the production environment's host, and the environment is sandbox"
    ):
        load_settings(env=env, store=MemoryTokenStore(), path=Path("/nonexistent/config.toml"))


def test_it_is_kept_for_a_token_from_the_store_too(tmp_path: Path) -> None:
    """The next process reuses the cached token and its api_domain (as Zoho gave it): the
    same host."""
    store = FileTokenStore(tmp_path / "tokens.json")
    assert (
        calls_go_to("eu", "sandbox", "https://www.zohoapis.eu", store) == ["https://sandbox.zohoapis.eu"] * 2
    )
    assert (
        calls_go_to("eu", "sandbox", "https://www.zohoapis.eu", store) == ["https://sandbox.zohoapis.eu"] * 2
    )
    cached = json.loads((tmp_path / "tokens.json").read_text())
    assert [r.get("api_domain") for r in cached.values() if "access_token" in r] == [
        "https://www.zohoapis.eu"
    ]


def test_the_change_is_said_once_at_info(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="coqlkit.transport"):
        calls_go_to("eu", "sandbox", "https://www.zohoapis.eu")
    said = [r.getMessage() for r in caplog.records if r.name == "coqlkit.transport.client"]
    assert said == [
        "the token's api_domain https://www.zohoapis.eu is not the profile's sandbox "
        "environment: calls go to https://sandbox.zohoapis.eu"
    ]
