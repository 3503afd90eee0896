"""Clients share one SSL context per process: loading the certificates (about 25 ms of CPU,
twice per client) stalled an async service's event loop at every connection it opened."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import pytest

from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import AsyncZohoClient, FileTokenStore
from tests.transport.conftest import settings_for


def test_clients_load_the_certificates_once_per_process(
    sandbox: Sandbox, store: FileTokenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[Any] = []
    real = ssl.SSLContext.load_verify_locations

    def counted(self: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
        loads.append(args or kwargs)
        real(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counted)

    async def main() -> list[int]:
        counts = []
        for _ in range(3):
            async with AsyncZohoClient(settings_for(sandbox, store)) as zoho:
                await zoho.modules()  # the client works
            counts.append(len(loads))
        return counts

    counts = asyncio.run(main())
    assert counts[-1] <= 1, counts  # 1 when this process had not made the context yet
    assert counts[0] == counts[-1]


def test_both_of_a_clients_http_clients_and_every_client_use_the_same_context(
    sandbox: Sandbox, store: FileTokenStore
) -> None:
    async def main() -> list[ssl.SSLContext]:
        contexts = []
        for _ in range(2):
            async with AsyncZohoClient(settings_for(sandbox, store)) as zoho:
                for http in (zoho._http, zoho._accounts):
                    contexts.append(http._transport._pool._ssl_context)  # type: ignore[attr-defined]
        return contexts

    first, *others = asyncio.run(main())
    assert isinstance(first, ssl.SSLContext)
    assert all(context is first for context in others)
