"""A sandbox on 127.0.0.1 for the whole session, and clients that talk to it over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from coqlkit.sandbox.server import Sandbox

RECORDS = 3000  # Leads; the other modules scale with it


def token(base_url: str, sandbox: Sandbox) -> str:
    reply = httpx.post(
        f"{base_url}/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
            "refresh_token": sandbox.refresh_token,
        },
    )
    reply.raise_for_status()
    return str(reply.json()["access_token"])


class Api:
    """A thin httpx client for the tests: authenticated CRM calls and COQL."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.http = httpx.Client(base_url=sandbox.base_url, timeout=30)
        self.http.headers["Authorization"] = f"Zoho-oauthtoken {token(sandbox.base_url, sandbox)}"

    def coql(self, query: str, **extra: Any) -> httpx.Response:
        return self.http.post("/crm/v8/coql", json={"select_query": query, **extra})

    def rows(self, query: str) -> list[dict[str, Any]]:
        reply = self.coql(query)
        assert reply.status_code in (200, 204), reply.text
        return [] if reply.status_code == 204 else list(reply.json()["data"])

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params)

    def close(self) -> None:
        self.http.close()


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    db = tmp_path_factory.mktemp("sandbox") / "org.sqlite3"
    # The session's tests download dozens of bulk-read results a minute from this one org,
    # past Zoho's 10 a minute: that limit is tested on sandboxes of its own (test_limits_r10sb.py).
    with Sandbox(
        records=RECORDS, db=str(db), bulk_seconds=0.3, bulk_page_rows=1000, bulk_downloads=0
    ) as running:
        yield running


@pytest.fixture(scope="session")
def api(sandbox: Sandbox) -> Iterator[Api]:
    client = Api(sandbox)
    yield client
    client.close()
