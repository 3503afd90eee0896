"""A failure inside the sandbox answers as Zoho fails: a 500 ``INTERNAL_ERROR`` in Zoho's JSON
envelope, on a connection that stays open.

Starlette's own answer to an unexpected exception is a plain-text "Internal Server Error",
which Zoho's SDKs cannot read (reference §15), and the exception, let out to uvicorn, closed
the keep-alive connection under the client's next request. The failures are made here by
replacing a function the route calls, in the sandbox's own process, as no query should fail
so (each one found is a bug to fix where it happens).
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from coqlkit.sandbox import coql
from coqlkit.sandbox.server import Sandbox
from tests.sandbox.conftest import Api

ENVELOPE = {"code": "INTERNAL_ERROR", "details": {}, "message": "Internal Server Error", "status": "error"}
QUERY = json.dumps({"select_query": "select Last_Name from Leads where id is not null limit 1"})


@pytest.fixture
def conn(sandbox: Sandbox) -> Iterator[http.client.HTTPConnection]:
    """One HTTP/1.1 connection that never reconnects unnoticed: the local port tells."""
    where = urlsplit(sandbox.base_url)
    connection = http.client.HTTPConnection(where.hostname or "", where.port, timeout=30)
    yield connection
    connection.close()


def post(
    conn: http.client.HTTPConnection, path: str, body: str, headers: dict[str, str]
) -> tuple[int, str, Any]:
    conn.request("POST", path, body, headers)
    reply = conn.getresponse()
    return reply.status, reply.getheader("content-type") or "", json.loads(reply.read() or b"null")


def broken(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("a bug in the sandbox")


def test_a_failing_coql_call_answers_internal_error_and_keeps_the_connection(
    api: Api, conn: http.client.HTTPConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = {"Authorization": api.http.headers["Authorization"]}
    monkeypatch.setattr(coql, "run", broken)
    status, kind, body = post(conn, "/crm/v8/coql", QUERY, headers)
    assert (status, kind, body) == (500, "application/json", ENVELOPE)
    assert conn.sock is not None
    port = conn.sock.getsockname()[1]
    monkeypatch.undo()
    status, _, body = post(conn, "/crm/v8/coql", QUERY, headers)  # the same connection answers
    assert status == 200 and body["info"]["count"] == 1
    assert conn.sock is not None and conn.sock.getsockname()[1] == port


def test_a_failing_oauth_call_answers_internal_error(
    sandbox: Sandbox, conn: http.client.HTTPConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sandbox.state is not None
    monkeypatch.setattr(sandbox.state, "issue", broken)
    form = (
        f"grant_type=refresh_token&client_id={sandbox.client_id}&client_secret={sandbox.client_secret}"
        f"&refresh_token={sandbox.refresh_token}"
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert post(conn, "/oauth/v2/token", form, headers) == (500, "application/json", ENVELOPE)
    monkeypatch.undo()
    status, _, body = post(conn, "/oauth/v2/token", form, headers)
    assert status == 200 and body["access_token"]
