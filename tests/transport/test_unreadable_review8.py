"""Answers that came but cannot be read (review 8, embed #2), through a real HTTP proxy in
front of the sandbox: a page of HTML where Zoho's JSON belongs (a proxy, a login or a
maintenance page, a wrong base URL), a body cut off, JSON of another shape. Each is the
transport's :class:`TransportError` (``UNREADABLE_ANSWER``, a DB-API ``OperationalError``)
that names the call and the host; a raw ``JSONDecodeError`` or ``TypeError`` came out
before, which ``except coqlkit.CoqlError`` let through. A body cut off is sent again, as
a dropped answer is (reads only); a page of HTML is not: the next attempt gets the same."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import coqlkit
from coqlkit import dbapi
from coqlkit.errors import TransportError
from coqlkit.sandbox.server import Sandbox, environment
from coqlkit.transport import AsyncZohoClient, FileTokenStore, RetryPolicy, load_settings

#: (path, request body, status, headers, body) -> what the proxy answers instead (None: as is).
Mangle = Callable[[str, bytes, int, dict[str, str], bytes], "tuple[int, dict[str, str], bytes] | None"]

HTML = b"<html><body>Maintenance</body></html>"
QUERY = "select Last_Name, Lead_Source from Leads where Lead_Source = 'Chat' limit 5"


class Proxy:
    """An HTTP proxy in front of ``sandbox`` that hands each answer to ``mangle`` (the
    sandbox's URL in bodies becomes the proxy's: the token's ``api_domain`` points here)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.upstream = sandbox.base_url
        self.mangle: Mangle = lambda *answer: None
        self.seen: list[str] = []  # the paths asked for, in order
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self.forward("GET")

            def do_POST(self) -> None:
                self.forward("POST")

            def forward(self, method: str) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                sent = self.rfile.read(size) if size else b""
                proxy.seen.append(self.path.split("?")[0])
                skip = ("host", "content-length", "connection", "accept-encoding")
                headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
                request = urllib.request.Request(
                    proxy.upstream + self.path, data=sent or None, method=method, headers=headers
                )
                try:
                    with urllib.request.urlopen(request) as answer:
                        status, got, body = answer.status, dict(answer.headers), answer.read()
                except urllib.error.HTTPError as error:
                    status, got, body = error.code, dict(error.headers), error.read()
                body = body.replace(proxy.upstream.encode(), proxy.url.encode())
                keep = ("content-length", "transfer-encoding", "connection", "date", "server")
                got = {k: v for k, v in got.items() if k.lower() not in keep}
                status, got, body = proxy.mangle(self.path, sent, status, got, body) or (status, got, body)
                self.send_response(status)
                for name, value in got.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def coql(self) -> int:
        return self.seen.count("/crm/v8/coql")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    db = str(tmp_path_factory.getbasetemp() / "transport-org.sqlite3")
    with Sandbox(records=400, db=db, token_limit=0) as running:
        yield running


@pytest.fixture
def proxy(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Proxy]:
    """The proxy, and the environment of a user whose ZOHO_BASE_URL is it (a cache of their
    own: the metadata is fetched through it)."""
    running = Proxy(sandbox)
    for name, value in environment(running.url).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COQLKIT_TOKEN_STORE", "memory")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    yield running
    running.close()


def on(path: str, status: int, body: bytes, kind: str = "text/html", *, times: int = 10**9) -> Mangle:
    """Answer ``status``/``body`` for the first ``times`` calls to ``path`` (a COUNT probe's
    too), the sandbox's headers kept (its credits charged)."""
    left = [times]

    def mangle(at: str, sent: bytes, st: int, headers: dict[str, str], got: bytes) -> Any:
        if not at.startswith(path) or left[0] <= 0:
            return None
        left[0] -= 1
        kept = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        return status, {**kept, "Content-Type": kind}, body

    return mangle


def read(retries: int = 2) -> Any:
    with coqlkit.connect(retries=retries) as conn:
        return conn.query(QUERY).to_arrow()


def test_a_page_of_html_for_a_coql_answer_is_a_transport_error_naming_call_and_host(proxy: Proxy) -> None:
    proxy.mangle = on("/crm/v8/coql", 200, HTML)
    with pytest.raises(TransportError) as info:
        read()
    error = info.value
    assert (error.code, error.status) == ("UNREADABLE_ANSWER", 200)
    assert error.message == (
        f"POST /crm/v8/coql at {proxy.url}: the answer was not JSON (text/html, 37 bytes: "
        "'<html><body>Maintenance</body></html>'); is something in the way (a proxy, a login "
        "page), or the base URL (ZOHO_BASE_URL, the profile's base_url) not Zoho's API?"
    )
    assert error.details == {"call": "POST /crm/v8/coql", "host": proxy.url, "cut_off": False}
    assert proxy.coql() == 1  # not sent again: the next attempt would get the same page


def test_through_the_dbapi_it_is_an_operational_error(proxy: Proxy) -> None:
    proxy.mangle = on("/crm/v8/coql", 200, HTML)
    with dbapi.connect(retries=2) as conn, pytest.raises(dbapi.OperationalError) as info:
        conn.cursor().execute(QUERY).fetchall()
    assert info.value.code == "UNREADABLE_ANSWER" and info.value.status == 200
    assert str(info.value).startswith(f"POST /crm/v8/coql at {proxy.url}: the answer was not JSON")


def test_a_page_of_html_for_the_metadata_names_that_call(proxy: Proxy) -> None:
    proxy.mangle = on("/crm/v8/settings/fields", 200, b"<html>login</html>")
    with pytest.raises(TransportError) as info:
        read()
    assert info.value.message.startswith(
        f"GET /crm/v8/settings/fields at {proxy.url}: the answer was not JSON (text/html, 18 bytes: "
        "'<html>login</html>')"
    )


def test_a_body_cut_off_is_read_again_and_both_answers_are_charged(proxy: Proxy, sandbox: Sandbox) -> None:
    """Cut off after Zoho charged it (its X-API-CREDITS-CHARGED kept): sent again, as after a
    connection dropped mid-answer, and the read ends well; the client's credits are the
    org's, both answers counted."""
    assert sandbox.state is not None
    with coqlkit.connect(retries=2) as conn:
        conn.query(QUERY).to_arrow()  # metadata in, and the COUNT probe's figure remembered
        used, calls, charged = conn.credits_used, conn.aio.client.calls, sandbox.state.credits_used
        proxy.mangle = on("/crm/v8/coql", 200, b'{"data": [{"id": "1", "Last_Na', "application/json", times=1)
        table = conn.query(QUERY).to_arrow()
        spent = conn.credits_used - used, conn.aio.client.calls - calls
    assert table.num_rows == 5
    assert spent == (sandbox.state.credits_used - charged, 2) and spent[0] >= 2


def test_a_body_cut_off_every_time_is_given_up_like_dropped_answers(proxy: Proxy) -> None:
    proxy.mangle = on("/crm/v8/coql", 200, b'{"data": [{"id": "1", "Last_Na', "application/json")
    with pytest.raises(TransportError) as info:
        read(retries=3)
    error = info.value
    assert (error.code, error.status, error.details["attempts"]) == ("UNREADABLE_ANSWER", 200, 3)
    assert error.message.startswith(
        f"POST /crm/v8/coql at {proxy.url}: the answer was cut off, its JSON unfinished "
        "(application/json, 30 bytes) 3 times in "
    )
    assert error.message.endswith(" s: a fault on Zoho's side or on the network; run again later")
    assert proxy.coql() == 3


def test_json_of_another_shape_is_named_not_a_type_error(proxy: Proxy) -> None:
    proxy.mangle = on(
        "/crm/v8/coql", 200, json.dumps({"data": "oops", "info": {}}).encode(), "application/json"
    )
    with pytest.raises(TransportError) as info:
        read()
    assert info.value.message == (
        f"POST /crm/v8/coql at {proxy.url}: the answer was not the JSON Zoho sends (its data is "
        "not a list of records) (28 bytes)"
    )


def settings(proxy: Proxy, tmp_path: Path) -> Any:
    env = environment(proxy.url)
    return load_settings(env=env, store=FileTokenStore(tmp_path / "t.json"), path=Path("/nonexistent"))


def test_the_clients_own_calls_say_what_is_wrong_with_the_json(proxy: Proxy, tmp_path: Path) -> None:
    """The calls whose answers the client decodes itself: COQL (``coql``), the org, the
    metadata, a bulk-read job's creation."""
    fast = RetryPolicy(attempts=2, base=0.01, cap=0.02)

    async def main() -> list[str]:
        said = []
        async with AsyncZohoClient(settings(proxy, tmp_path), retry=fast) as zoho:
            for mangle, call in [
                (on("/crm/v8/org", 200, b'{"org": [}', "application/json"), zoho.org),
                (on("/crm/v8/org", 200, b'{"org": "me"}', "application/json"), zoho.org),
                (on("/crm/v8/coql", 200, b'{"data": [1, 2]}', "application/json"), lambda: zoho.coql(QUERY)),
                (on("/crm/v8/settings/modules", 200, b"[]", "application/json"), zoho.modules),
                (
                    on("/crm/bulk/v8/read", 201, b'{"data": []}', "application/json"),
                    lambda: zoho.bulk_read_create({"query": {"module": {"api_name": "Leads"}}}),
                ),
            ]:
                proxy.mangle = mangle
                with pytest.raises(TransportError) as info:
                    await call()
                assert info.value.code == "UNREADABLE_ANSWER", info.value
                said.append(info.value.message.split(": ", 1)[1])
        return said

    assert asyncio.run(main()) == [
        "the answer was not valid JSON (Expecting value at byte 9) (application/json, 10 bytes)",
        "the answer was not the JSON Zoho sends (its org is not a list of objects) (application/json, 13 bytes)",
        "the answer was not the JSON Zoho sends (its data is not a list of records) (application/json, 16 bytes)",
        "the answer was not the JSON Zoho sends (an array, not an object) (application/json, 2 bytes)",
        "the answer was not the JSON Zoho sends (not one job's details) (application/json, 12 bytes)",
    ]


def test_a_redirect_to_a_login_page_is_named_without_its_query(proxy: Proxy, tmp_path: Path) -> None:
    def login(at: str, sent: bytes, st: int, headers: dict[str, str], got: bytes) -> Any:
        if at.startswith("/crm/v8/org"):
            return 302, {"Location": "https://sso.example.com/login?next=%2Fcrm&ticket=SECRET"}, b""
        return None

    proxy.mangle = login

    async def main() -> TransportError:
        async with AsyncZohoClient(
            settings(proxy, tmp_path), retry=RetryPolicy(attempts=3, base=0.01)
        ) as zoho:
            with pytest.raises(TransportError) as info:
                await zoho.org()
            return info.value

    error = asyncio.run(main())
    assert error.message == (
        f"GET /crm/v8/org at {proxy.url}: the answer was a redirect (302 to "
        "https://sso.example.com:443/login), not JSON (no content type, 0 bytes); is something in "
        "the way (a proxy, a login page), or the base URL (ZOHO_BASE_URL, the profile's base_url) "
        "not Zoho's API?"
    )
    assert error.status == 302 and "SECRET" not in str(error.details)
    assert proxy.seen.count("/crm/v8/org") == 1


def test_a_page_of_html_from_the_token_endpoint_is_not_called_zohos_refusal(proxy: Proxy) -> None:
    """It said ``Zoho refused the token request: HTTP_200``: Zoho refused nothing."""
    proxy.mangle = on("/oauth/v2/token", 200, b"<html>login</html>")
    with pytest.raises(TransportError) as info:
        read()
    assert (info.value.code, info.value.status) == ("UNREADABLE_ANSWER", 200)
    # Not quoted (a token server's answer may hold tokens); the setting named is its own.
    assert info.value.message == (
        f"POST /oauth/v2/token at {proxy.url}: the answer was not JSON (text/html, 18 bytes); is "
        "something in the way (a proxy, a login page), or the accounts URL (ZOHO_ACCOUNTS_URL, "
        "the profile's accounts_url) not Zoho Accounts?"
    )


def test_a_token_answer_in_another_form_is_not_quoted(proxy: Proxy) -> None:
    proxy.mangle = on(
        "/oauth/v2/token",
        200,
        b"access_token=1000.SECRETACCESS&expires_in=3600",
        "application/x-www-form-urlencoded",
    )
    with pytest.raises(TransportError) as info:
        read()
    assert "SECRET" not in str(info.value) and "SECRET" not in repr(info.value.details)


def test_a_token_answer_cut_off_is_one_token_request_named_as_such(proxy: Proxy) -> None:
    """Not retried as the CRM call it serves (5 token requests, each of which may have made a
    token of the 10 Zoho gives a refresh token in 10 minutes), nor named as that call."""
    proxy.mangle = on(
        "/oauth/v2/token", 200, b'{"access_token": "1000.SECRET", "expires_in": 36', "application/json"
    )
    with pytest.raises(TransportError) as info:
        read(retries=4)
    assert info.value.message == (
        f"POST /oauth/v2/token at {proxy.url}: the answer was cut off, its JSON unfinished "
        "(application/json, 48 bytes)"
    )
    assert proxy.seen.count("/oauth/v2/token") == 1
