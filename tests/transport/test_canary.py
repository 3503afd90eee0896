"""A planted secret never shows: not in logs, reprs, error messages, printed output or files
other than the token store."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from coqlkit.errors import CoqlError
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import AsyncZohoClient, FileTokenStore, Secret, ZohoClient, load_settings, save_profile

CANARY = "1000.CANARY-7f3e9c2a5b1d4e6f8a0c2e4g6i8k0m2o"


def test_the_canary_never_leaks(sandbox: Sandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert sandbox.state is not None
    sandbox.state.refresh_tokens.add(CANARY)  # Zoho knows it: it is a working refresh token
    config = tmp_path / "config.toml"
    save_profile("canary", {"base_url": sandbox.base_url, "client_id": sandbox.client_id}, path=config)
    store = FileTokenStore(tmp_path / "tokens.json")
    store.put("canary", {"client_secret": sandbox.client_secret, "refresh_token": CANARY})
    secrets = [CANARY, sandbox.client_secret]
    seen: list[str] = []

    with caplog.at_level(logging.DEBUG):
        settings = load_settings("canary", env={}, path=config, store=store)
        seen += [repr(settings), str(settings), repr(settings.refresh_token), f"{settings.client_secret}"]
        with ZohoClient(settings) as zoho:
            zoho.org()
            zoho.coql("select Last_Name from Leads where id is not null limit 3")
            seen += [repr(zoho), repr(zoho.aio), repr(zoho.aio.tokens), repr(store)]
            assert zoho.aio.tokens.access is not None
            secrets.append(zoho.aio.tokens.access.reveal())
            for failing in (
                lambda: zoho.coql("select Emial from Leads where id is not null"),
                lambda: zoho.fields("Nope"),
            ):
                try:
                    failing()
                except CoqlError as exc:
                    seen += [str(exc), repr(exc), str(exc.__dict__)]
            sandbox.state.expire_tokens()
            zoho.org()  # refreshed after INVALID_TOKEN, still quiet
            secrets.append(zoho.aio.tokens.access.reveal())  # type: ignore[union-attr]
        # A wrong secret: the refusal names the error, not the secret.
        wrong = replace(settings, client_secret=Secret("1000.WRONG-" + CANARY[11:]))
        secrets.append(wrong.client_secret.reveal())  # type: ignore[union-attr]

        async def refused() -> None:
            async with AsyncZohoClient(wrong) as zoho:
                await zoho.org()

        try:
            asyncio.run(refused())
        except CoqlError as exc:
            seen += [str(exc), repr(exc)]

    env = {k: v for k, v in os.environ.items() if not k.startswith("ZOHO_")}
    env.update(
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        COQLKIT_TOKEN_STORE="file",
        XDG_DATA_HOME=str(tmp_path / "xdg-data"),
        XDG_CACHE_HOME=str(tmp_path / "xdg-cache"),
        ZOHO_BASE_URL=sandbox.base_url,
        ZOHO_CLIENT_ID=sandbox.client_id,
        ZOHO_CLIENT_SECRET=sandbox.client_secret,
        ZOHO_REFRESH_TOKEN=CANARY,
    )
    for args in (
        ["auth", "status"],
        ["metadata", "dump", str(tmp_path / "snap")],
        ["auth", "status", "--profile", "x"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "coqlkit", *args], capture_output=True, text=True, env=env
        )
        seen += [done.stdout, done.stderr]

    seen.append(caplog.text)
    seen.append(repr(list(sandbox.state.requests)))
    seen.append(config.read_text())
    seen += [p.read_text(errors="replace") for p in (tmp_path / "snap").rglob("*.json")]
    everything = "\n".join(seen)
    assert "refresh token: 1000.****" in everything  # the masked form is there...
    for secret in secrets:
        assert secret not in everything  # ...and the secrets are not
