"""The transport against the sandbox over real HTTP: tokens, retries, limits, credits."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from coqlkit.errors import AuthError, CreditBudgetExceeded, RateLimited, TransportError, ZohoApiError
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import (
    AsyncZohoClient,
    CreditBudget,
    FileTokenStore,
    RetryPolicy,
    Secret,
    Settings,
    ZohoClient,
    load_settings,
)
from coqlkit.transport.auth import exchange_code
from coqlkit.transport.secrets import MemoryTokenStore, TokenStore
from tests._refused_port import refused_port
from tests.transport.conftest import FAST, fake_zoho, settings_for

PAGE = "select Last_Name, Email from Leads where id is not null order by id limit 20 offset {}"


def token_posts(sandbox: Sandbox) -> int:
    assert sandbox.state is not None
    return sum(1 for e in sandbox.state.requests if e["path"] == "/oauth/v2/token")


def test_calls_and_shapes(sandbox: Sandbox, store: FileTokenStore) -> None:
    async def main() -> None:
        async with AsyncZohoClient(settings_for(sandbox, store)) as zoho:
            page = await zoho.coql(
                "select Last_Name, Owner from Leads where id is not null limit 5", include_meta=True
            )
            assert page.count == 5 and page.more_records and page.credits == 1
            assert set(page.records[0]) == {"id", "Last_Name", "Owner"} and page.fields is not None
            empty = await zoho.coql("select Last_Name from Leads where Last_Name = 'Nobody At All'")
            assert (empty.records, empty.more_records) == ([], False)
            assert "modules" in await zoho.modules()
            assert (await zoho.fields("Leads") or {})["fields"]
            assert (await zoho.current_user() or {})["email"].endswith("zylker-demo.com")
            assert (await zoho.org() or {})["zgid"]
            assert zoho.api_base == sandbox.base_url  # the token response's api_domain

    asyncio.run(main())


def test_a_plain_http_api_domain_is_used_only_on_this_machine(
    sandbox: Sandbox, store: FileTokenStore
) -> None:
    """The access token goes to the ``api_domain`` a token response names: over https, or
    plain http to this machine (the sandbox); a plain-http host elsewhere is not trusted
    with it, and CRM calls go to the configured base instead."""

    async def main() -> None:
        async with AsyncZohoClient(settings_for(sandbox, store)) as zoho:
            configured = zoho.settings.endpoints.api_base
            for domain, used in (
                ("https://www.zohoapis.eu", "https://www.zohoapis.eu"),
                ("http://127.0.0.1:9", "http://127.0.0.1:9"),
                ("http://localhost:9/", "http://localhost:9"),
                ("http://crm.example.com", configured),
                ("http://[::1", configured),  # not a URL
                ("ftp://crm.example.com", configured),
            ):
                zoho.tokens.api_domain = domain
                assert zoho.api_base == used, domain

    asyncio.run(main())


def test_zoho_errors_are_typed_and_keep_code_details_status(sandbox: Sandbox, store: FileTokenStore) -> None:
    with ZohoClient(settings_for(sandbox, store)) as zoho:
        with pytest.raises(ZohoApiError) as info:
            zoho.coql("select Emial from Leads where id is not null")
        err = info.value
        assert (err.code, err.status, err.details) == ("INVALID_QUERY", 400, {"column_name": "Emial"})
        assert "column given seems to be invalid" in str(err)
        with pytest.raises(ZohoApiError) as missing:
            zoho.fields("Nope")
        assert missing.value.code == "INVALID_MODULE"


def test_wrong_credentials_are_an_auth_error(sandbox: Sandbox, store: FileTokenStore) -> None:
    with (
        ZohoClient(settings_for(sandbox, store, ZOHO_CLIENT_SECRET="wrong")) as zoho,
        pytest.raises(AuthError) as info,
    ):
        zoho.org()
    assert info.value.code == "invalid_client" and "data centre" in str(info.value)


def test_token_expiry_mid_stream(org_db: str, store: FileTokenStore) -> None:
    with Sandbox(records=400, db=org_db, token_ttl=1) as short:
        with ZohoClient(settings_for(short, store)) as zoho:
            seen = set()
            deadline = time.monotonic() + 3.5
            offset = 0
            while time.monotonic() < deadline:
                page = zoho.coql(PAGE.format(offset % 380))
                seen.update(r["id"] for r in page.records)
                offset += 20
                time.sleep(0.1)
            assert zoho.aio.tokens.refreshes >= 3  # every second, before or on expiry
            assert len(seen) >= 100
        assert short.state is not None
        assert all(e["status"] < 400 for e in short.state.requests if e["path"] == "/crm/v8/coql")


def test_single_flight_refresh_under_100_concurrent_calls(sandbox: Sandbox, store: FileTokenStore) -> None:
    async def main() -> None:
        async with AsyncZohoClient(settings_for(sandbox, store), retry=FAST) as zoho:
            await zoho.org()  # a token, fresh
            before = token_posts(sandbox)
            assert sandbox.state is not None
            sandbox.state.expire_tokens()  # Zoho now calls it INVALID_TOKEN; the client does not know
            pages = await asyncio.gather(*(zoho.coql(PAGE.format(i * 3)) for i in range(100)))
            assert all(p.count == 20 for p in pages)
            assert token_posts(sandbox) - before == 1
            assert zoho.tokens.refreshes == 2

    asyncio.run(main())


def test_expired_token_is_refreshed_once_before_100_calls(sandbox: Sandbox, store: FileTokenStore) -> None:
    async def main() -> None:
        async with AsyncZohoClient(settings_for(sandbox, store)) as zoho:
            await zoho.org()
            zoho.tokens.expires_at = 0.0  # the client knows it is stale: all 100 want a new one
            before = token_posts(sandbox)
            await asyncio.gather(*(zoho.coql(PAGE.format(i)) for i in range(100)))
            assert token_posts(sandbox) - before == 1

    asyncio.run(main())


def test_recovers_from_faults_without_losing_or_repeating_pages(org_db: str, store: FileTokenStore) -> None:
    with Sandbox(records=400, db=org_db) as clean, ZohoClient(settings_for(clean, store)) as zoho:
        expected = [r["id"] for i in range(20) for r in zoho.coql(PAGE.format(i * 20)).records]
    with Sandbox(records=400, db=org_db, fail_rate=0.4, seed=3) as flaky:

        async def main() -> list[str]:
            async with AsyncZohoClient(settings_for(flaky, store), retry=FAST, seed=1) as zoho:
                pages = await asyncio.gather(*(zoho.coql(PAGE.format(i * 20)) for i in range(20)))
                assert zoho.retries > 5
                return [r["id"] for p in pages for r in p.records]

        got = asyncio.run(main())
        assert flaky.state is not None
        statuses = [e["status"] for e in flaky.state.requests if e["path"] == "/crm/v8/coql"]
        assert 500 in statuses  # faults really happened
    assert got == expected and len(set(got)) == len(got) == 400


def test_answers_lost_after_sending_are_counted_apart(org_db: str, store: FileTokenStore) -> None:
    """A dropped connection after the request went out: Zoho may have charged it, so it is
    in credits_used, and counted as unanswered (what the CLI's summary shows as "maybe
    charged for N lost answers", not as metadata)."""
    with Sandbox(records=400, db=org_db, fail_rate=0.4, seed=3) as flaky:

        async def main() -> tuple[int, int, int]:
            async with AsyncZohoClient(settings_for(flaky, store), retry=FAST, seed=1) as zoho:
                await asyncio.gather(*(zoho.coql(PAGE.format(i * 20)) for i in range(20)))
                return zoho.unanswered_calls, zoho.unanswered_credits, zoho.credits_used

        calls, credits, used = asyncio.run(main())
        assert flaky.state is not None
        coql = [e for e in flaky.state.requests if e["path"] == "/crm/v8/coql"]
        # The sandbox drops a connection mid-answer after its 200's headers: logged as 200
        # and charged nothing; an injected 500 is answered (not lost) and charged nothing.
        dropped = [e for e in coql if e["status"] == 200 and not e["credits"]]
        assert calls == len(dropped) > 0 and credits == calls  # 1 credit each (LIMIT 20)
        assert used == sum(e["credits"] for e in coql) + credits


def test_429s_are_retried_until_they_pass(org_db: str, store: FileTokenStore) -> None:
    with Sandbox(records=400, db=org_db, concurrency=2, latency_ms=30) as narrow:

        async def main() -> None:
            settings = settings_for(narrow, store)
            async with AsyncZohoClient(replace(settings, concurrency=8), retry=FAST) as zoho:
                pages = await asyncio.gather(*(zoho.coql(PAGE.format(i * 20)) for i in range(16)))
                assert all(p.count == 20 for p in pages)
                assert zoho.retries > 0

        asyncio.run(main())
        assert narrow.state is not None
        assert any(e["status"] == 429 for e in narrow.state.requests)


def test_concurrency_never_above_the_profiles_limit(org_db: str, store: FileTokenStore) -> None:
    with Sandbox(records=400, db=org_db, latency_ms=40) as sandbox:

        async def main() -> None:
            settings = replace(settings_for(sandbox, store), concurrency=4)
            async with AsyncZohoClient(settings) as zoho:
                await asyncio.gather(*(zoho.coql(PAGE.format(i)) for i in range(40)))
                assert zoho.most_in_flight == 4

        asyncio.run(main())
        assert sandbox.state is not None
        assert sandbox.state.most_in_flight == 4  # the server's own count proves it
        assert all(e["status"] != 429 for e in sandbox.state.requests)


def test_a_daily_limit_is_not_retried(org_db: str, store: FileTokenStore) -> None:
    with (
        Sandbox(records=400, db=org_db, daily_credits=2) as poor,
        ZohoClient(settings_for(poor, store), retry=FAST) as zoho,
    ):
        zoho.org()
        zoho.org()
        with pytest.raises(RateLimited) as info:
            zoho.org()
        assert info.value.code == "LIMIT_REACHED" and zoho.aio.retries == 0
        assert zoho.credits_remaining == 0


def test_credit_accounting_equals_the_sandboxs(sandbox: Sandbox, store: FileTokenStore) -> None:
    with ZohoClient(settings_for(sandbox, store)) as zoho:
        zoho.coql("select Last_Name from Leads where id is not null limit 150")
        zoho.coql("select Last_Name from Leads where id is not null limit 500")
        zoho.coql("select Last_Name from Leads where id is not null limit 2000")
        zoho.coql("select Last_Name from Leads where id is not null limit 10, 1500")
        zoho.fields("Leads")
        zoho.modules()
        job = zoho.bulk_read_create({"query": {"module": {"api_name": "Leads"}, "fields": ["Last_Name"]}})
        zoho.bulk_read_status(job["id"])
        with pytest.raises(ZohoApiError):
            zoho.coql("select Emial from Leads where id is not null")  # failed calls are not charged
        assert sandbox.state is not None
        assert zoho.credits_used == sandbox.state.credits_used == 1 + 2 + 3 + 3 + 1 + 1 + 50 + 1


def test_budget_refuses_before_anything_is_sent(sandbox: Sandbox, store: FileTokenStore) -> None:
    with ZohoClient(replace(settings_for(sandbox, store), credit_budget=5)) as zoho:
        zoho.coql("select Last_Name from Leads where id is not null limit 2000")  # 3 credits
        assert sandbox.state is not None
        calls = len(sandbox.state.requests)
        with pytest.raises(CreditBudgetExceeded) as info:
            zoho.coql("select Last_Name from Leads where id is not null limit 1001")  # 3 more: over
        assert (info.value.needed, info.value.left) == (3, 2)
        assert len(sandbox.state.requests) == calls  # nothing went out
        per_query = CreditBudget(1)
        with pytest.raises(CreditBudgetExceeded):
            zoho.coql("select Last_Name from Leads where id is not null limit 500", budget=per_query)
        zoho.coql("select Last_Name from Leads where id is not null limit 10", budget=per_query)
        assert per_query.left == 0 and zoho.credits_used == 4


def test_cancelling_leaves_no_request_running(org_db: str, store: FileTokenStore) -> None:
    with Sandbox(records=400, db=org_db, latency_ms=2000) as slow:

        async def main() -> None:
            async with AsyncZohoClient(settings_for(slow, store)) as zoho:
                await zoho.tokens.token()
                task = asyncio.create_task(zoho.coql(PAGE.format(0)))
                await asyncio.sleep(0.2)
                assert zoho.in_flight == 1
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                assert zoho.in_flight == 0
                assert not [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

        started = time.monotonic()
        asyncio.run(main())
        assert time.monotonic() - started < 1.5  # did not wait for the slow answer


def test_bulk_read_end_to_end(sandbox: Sandbox, store: FileTokenStore, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import zipfile

    with ZohoClient(settings_for(sandbox, store)) as zoho:
        job = zoho.bulk_read_create({"query": {"module": {"api_name": "Contacts"}, "fields": ["Last_Name"]}})
        assert job["state"] == "ADDED"
        for _ in range(100):
            status = zoho.bulk_read_status(job["id"])
            if status["state"] == "COMPLETED":
                break
            time.sleep(0.1)
        path = zoho.bulk_read_download(job["id"], tmp_path / "contacts.zip")
        with zipfile.ZipFile(path) as zf:
            (name,) = zf.namelist()
            lines = zf.read(name).decode().splitlines()
        assert lines[0] == "id,Last_Name" and len(lines) - 1 == status["result"]["count"]
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_closed_sync_client_refuses_calls(sandbox: Sandbox, store: FileTokenStore) -> None:
    zoho = ZohoClient(settings_for(sandbox, store))
    zoho.close()
    with pytest.raises(RuntimeError, match="closed"):
        zoho.org()


def test_sync_auth_flow_is_refused(sandbox: Sandbox, store: FileTokenStore) -> None:
    from coqlkit.transport.auth import ZohoOAuth

    zoho = AsyncZohoClient(settings_for(sandbox, store))
    with (
        pytest.raises(RuntimeError, match="asynchronous"),
        httpx.Client(auth=ZohoOAuth(zoho.tokens)) as plain,
    ):
        plain.get(f"{sandbox.base_url}/crm/v8/org")
    asyncio.run(zoho.aclose())


def test_client_credentials_grant_without_a_refresh_token(sandbox: Sandbox, store: FileTokenStore) -> None:
    # A Self Client with no refresh token: the only way to a token is the client-credentials grant.
    settings = replace(settings_for(sandbox, store), refresh_token=None)
    with ZohoClient(settings) as zoho:
        assert (zoho.org() or {})["zgid"]
        assert zoho.aio.tokens.refreshes == 1
    assert "refresh_token" not in (store.get(settings.store_key) or {})


def test_a_stored_token_is_reused_only_by_the_same_accounts_server(
    org_db: str, store: FileTokenStore
) -> None:
    """Another process's fresh token is reused (no refresh), unless the profile's accounts
    server has changed since (a sandbox restarted on another port): then it refreshes."""

    def profile(sandbox: Sandbox) -> Settings:  # tokens stored under the profile's name
        return replace(settings_for(sandbox, store), profile="work")

    with Sandbox(records=400, db=org_db) as first:
        with ZohoClient(profile(first)) as zoho:
            zoho.coql(PAGE.format(0))
        with ZohoClient(profile(first)) as again:
            again.coql(PAGE.format(20))
        assert token_posts(first) == 1
    with Sandbox(records=400, db=org_db) as second:
        with ZohoClient(profile(second)) as zoho:
            assert zoho.coql(PAGE.format(0)).count == 20
            assert zoho.aio.api_base == second.base_url
        assert token_posts(second) == 1


def test_a_refused_connection_is_given_up_after_three_attempts(org_db: str, store: FileTokenStore) -> None:
    sandbox = Sandbox(records=400, db=org_db).start()
    settings = settings_for(sandbox, store)
    with ZohoClient(settings) as zoho:
        assert zoho.coql(PAGE.format(0)).count == 20  # a token, kept in the store
    sandbox.stop()  # nothing listens at that address now

    async def main() -> None:
        async with AsyncZohoClient(settings, retry=FAST) as zoho:
            with pytest.raises(TransportError) as info:
                await zoho.coql(PAGE.format(20))
            assert info.value.code == "CONNECTION_ERROR"
            assert isinstance(info.value.__cause__, httpx.ConnectError)
            assert zoho.retries == 2  # three attempts, where the policy allows eight
            # The host is named, so a log shows a wrong ZOHO_BASE_URL (a path, never a query).
            assert str(info.value).startswith(f"POST /crm/v8/coql at {sandbox.base_url}: ConnectError: ")
            assert info.value.details["host"] == sandbox.base_url

    asyncio.run(main())


def test_a_hung_server_costs_a_call_two_timeouts_not_five(org_db: str, store: FileTokenStore) -> None:
    """A server that takes the connection and never answers (a SIGSTOPped process, a wedged
    load balancer): each call is tried twice, not the five times of a 5xx, and keeps its
    slot for the retry (calls waiting for one would start timeouts of their own first), so
    the first call fails after about two timeouts, as a scan that stops at its first error
    needs, and the error says so. The timeout is long enough that a busy machine's delays
    (0.3 s seen) stay well inside the bounds (at 0.5 s, two tries took 1.295 s of 1.3)."""
    timeout = 1.5
    with Sandbox(records=400, db=org_db, latency_ms=3500) as hung:  # CRM answers come far too late

        async def main() -> tuple[BaseException | None, float, int, int]:
            settings = settings_for(hung, store, COQLKIT_TIMEOUT=timeout, COQLKIT_CONCURRENCY=3)
            assert (settings.timeout, settings.retries) == (timeout, 5)  # retries: the default
            policy = RetryPolicy(attempts=settings.retries, base=0.01, cap=0.05)
            async with AsyncZohoClient(settings, retry=policy) as zoho:
                await zoho.tokens.token()  # the token endpoint answers at once
                started = time.monotonic()
                tasks = [asyncio.create_task(zoho.coql(PAGE.format(20 * i))) for i in range(6)]
                done, waiting = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
                elapsed, calls, retries = time.monotonic() - started, zoho.calls, zoho.retries
                for task in waiting:  # as a scan does at its first error
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                return next(iter(done)).exception(), elapsed, calls, retries

        error, elapsed, calls, retries = asyncio.run(main())
    # Three calls in flight, each tried twice (the three waiting got their slots only as
    # those gave up: sent, if at all, in the moment before the first failure was seen).
    assert retries == 3 and 6 <= calls <= 9, (calls, retries)
    # Five tries took over 5x the timeout; given back during the backoff, the slots made it 3x.
    assert 2 * timeout <= elapsed < 2.6 * timeout, elapsed
    assert isinstance(error, TransportError) and error.code == "TIMEOUT"
    assert isinstance(error.__cause__, httpx.ReadTimeout)
    assert error.message == (
        f"POST /crm/v8/coql at {hung.base_url}: timed out after {timeout:g} s twice, waiting for an "
        "answer (ReadTimeout); set COQLKIT_TIMEOUT / the profile's timeout (seconds) if the "
        "server is only slow"
    )
    assert error.details == {"call": "POST /crm/v8/coql", "host": hung.base_url, "attempts": 2}


def test_a_timeout_is_not_retried_past_the_policys_attempts(org_db: str, store: FileTokenStore) -> None:
    with Sandbox(records=400, db=org_db, latency_ms=2000) as hung:

        async def main() -> tuple[BaseException, int]:
            settings = settings_for(hung, store, COQLKIT_TIMEOUT=0.3, COQLKIT_RETRIES=1)
            async with AsyncZohoClient(settings) as zoho:
                with pytest.raises(TransportError) as info:
                    await zoho.coql(PAGE.format(0))
                return info.value, zoho.calls

        error, calls = asyncio.run(main())
    assert calls == 1
    assert (
        f"at {hung.base_url}: timed out after 0.3 s, waiting for an answer (ReadTimeout); set COQLKIT_TIMEOUT"
        in str(error)
    )


def test_a_wrong_base_url_is_named_in_the_error(store: FileTokenStore) -> None:
    """ZOHO_BASE_URL pointing where nothing listens: the error says where it went."""
    with refused_port() as port:
        env = {
            "ZOHO_BASE_URL": f"http://127.0.0.1:{port}/?state=x",
            "ZOHO_CLIENT_ID": "1000.WRONGHOST",
            "ZOHO_CLIENT_SECRET": "fake-client-secret-of-forty-characters-x",
            "ZOHO_REFRESH_TOKEN": "1000." + "cd" * 32,
        }
        settings = load_settings(env=env, store=store, path=Path("/nonexistent/config.toml"))

        async def main() -> TransportError:
            async with AsyncZohoClient(settings, retry=FAST) as zoho:
                with pytest.raises(TransportError) as info:
                    await zoho.org()
                return info.value

        error = asyncio.run(main())
    assert str(error).startswith(
        f"the token endpoint did not answer at http://127.0.0.1:{port}: ConnectError: "
    )
    assert "state=x" not in str(error) and "cd" * 32 not in str(error) and "forty" not in str(error)


def another_refresh_token(sandbox: Sandbox, *, revoked: bool = False) -> str:
    """A second refresh token of the sandbox's client (another user or org, as Zoho sees it)."""
    code = httpx.get(f"{sandbox.base_url}/oauth/v2/auth", params={"client_id": sandbox.client_id}).json()
    tokens = exchange_code(sandbox.base_url, sandbox.client_id, Secret(sandbox.client_secret), code["code"])
    refresh = tokens["refresh_token"].reveal()
    if revoked:
        httpx.post(f"{sandbox.base_url}/oauth/v2/token/revoke", params={"token": refresh})
    return refresh


def test_two_refresh_tokens_do_not_share_a_cached_access_token(
    sandbox: Sandbox, store: FileTokenStore
) -> None:
    other = another_refresh_token(sandbox)
    with ZohoClient(settings_for(sandbox, store)) as zoho:
        zoho.org()
        first = zoho.aio.tokens.access
    before = token_posts(sandbox)
    with ZohoClient(settings_for(sandbox, store, ZOHO_REFRESH_TOKEN=other)) as zoho:
        zoho.org()
        assert zoho.aio.tokens.refreshes == 1 and zoho.aio.tokens.access != first
    with ZohoClient(settings_for(sandbox, store, ZOHO_REFRESH_TOKEN=other)) as again:
        again.org()  # its own token, cached by the client before: reused
        assert again.aio.tokens.refreshes == 0
    assert token_posts(sandbox) - before == 1
    cached = json.dumps(store.get(settings_for(sandbox, store).store_key))
    assert other not in cached and sandbox.refresh_token not in cached and sandbox.client_secret not in cached


@pytest.mark.parametrize("profile", [None, "work"])
def test_a_revoked_refresh_token_is_not_hidden_by_a_cached_token(
    sandbox: Sandbox, store: FileTokenStore, profile: str | None
) -> None:
    good = replace(settings_for(sandbox, store), profile=profile)
    with ZohoClient(good) as zoho:
        zoho.org()  # a live access token, cached
    revoked = another_refresh_token(sandbox, revoked=True)
    with ZohoClient(replace(good, refresh_token=Secret(revoked))) as zoho, pytest.raises(AuthError) as info:
        zoho.org()
    assert info.value.code == "invalid_code"
    with ZohoClient(replace(good, client_secret=Secret("wrong"))) as zoho, pytest.raises(AuthError) as bad:
        zoho.org()
    assert bad.value.code == "invalid_client"
    with ZohoClient(good) as zoho:  # the good credentials still work
        assert (zoho.org() or {})["zgid"]


@pytest.mark.parametrize("profile", [None, "work"])
def test_a_refused_refresh_token_says_so_and_how_to_log_in_again(
    sandbox: Sandbox, store: FileTokenStore, profile: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    bad = "1000." + "5e" * 32
    settings = replace(settings_for(sandbox, store, ZOHO_REFRESH_TOKEN=bad), profile=profile)
    caplog.set_level(logging.DEBUG)  # httpx's and httpcore's logs too
    with ZohoClient(settings) as zoho, pytest.raises(AuthError) as info:
        zoho.org()
    message = str(info.value)
    assert info.value.code == "invalid_code" and "refresh token is invalid or revoked" in message
    assert "grant code" not in message  # that hint is login's
    assert (
        "`coqlkit auth login --profile work` again" in message if profile else "ZOHO_REFRESH_TOKEN" in message
    )
    shown = [message, repr(info.value), repr(zoho), repr(zoho.aio.tokens), repr(settings), caplog.text]
    assert "oauth/v2/token" in caplog.text  # the logs were captured
    assert not [s for s in shown if bad in s or sandbox.client_secret in s]


def test_no_secret_in_the_logs_of_a_refresh_and_a_call(
    sandbox: Sandbox, store: FileTokenStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with ZohoClient(settings_for(sandbox, store)) as zoho:
        zoho.coql(PAGE.format(0))
        access = zoho.aio.tokens.access
    assert access is not None and "/crm/v8/coql" in caplog.text
    for secret in (sandbox.refresh_token, sandbox.client_secret, access.reveal()):
        assert secret not in caplog.text


def test_calls_cancelled_in_flight_count_as_zoho_charged_them(org_db: str, store: FileTokenStore) -> None:
    """Ctrl-C mid-read: the calls already sent are charged by Zoho, and counted here too; the
    ones still waiting for a slot never went, and are not."""
    with Sandbox(records=400, db=org_db, latency_ms=1500) as slow:
        assert slow.state is not None
        state = slow.state

        async def main() -> None:
            settings = replace(settings_for(slow, store), concurrency=3, credit_budget=8)
            async with AsyncZohoClient(settings) as zoho:
                await zoho.tokens.token()
                limit = "select Last_Name from Leads where id is not null limit {}"  # 2 credits each
                tasks = [asyncio.create_task(zoho.coql(limit.format(500 + i))) for i in range(5)]
                while state.credits_used < 6:  # the sandbox took the three in flight, and charged them
                    await asyncio.sleep(0.01)
                assert zoho.in_flight == 3
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                assert zoho.credits_used == state.credits_used == 6
                assert zoho.budget is not None and zoho.budget.left == 2
                with pytest.raises(CreditBudgetExceeded):  # 6 + 3 would pass the budget's 8
                    await zoho.coql(limit.format(1001))
                await zoho.coql(limit.format(999))  # 2: still within it
                assert zoho.credits_used == state.credits_used == 8

        asyncio.run(main())
        assert sum(1 for e in state.requests if e["path"] == "/crm/v8/coql") == 4  # 3 cancelled, 1 read


def test_concurrent_calls_cannot_pass_the_budget(org_db: str, store: FileTokenStore) -> None:
    with Sandbox(records=400, db=org_db, latency_ms=200) as slow:

        async def main() -> list[object]:
            settings = replace(settings_for(slow, store), credit_budget=5)
            async with AsyncZohoClient(settings) as zoho:
                query = "select Last_Name from Leads where id is not null limit {}"
                return await asyncio.gather(
                    *(zoho.coql(query.format(500 + i)) for i in range(6)), return_exceptions=True
                )

        outcomes = asyncio.run(main())
        assert slow.state is not None
        assert sum(isinstance(o, CreditBudgetExceeded) for o in outcomes) == 4
        assert slow.state.credits_used == 4


def test_credits_follow_the_servers_figure_when_it_gives_one() -> None:
    charged = {"X-API-CREDITS-CHARGED": "1", "X-API-CREDITS-REMAINING": "4321"}

    def crm(request: httpx.Request) -> httpx.Response:
        if b"Emial" in request.content:  # an error answer, charged 0 by saying nothing
            return httpx.Response(400, json={"code": "INVALID_QUERY", "details": {}, "message": "x"})
        if b"limit 1500" in request.content:  # the server says 1 where the LIMIT tier says 3
            return httpx.Response(200, json={"data": [{"id": "1"}], "info": {}}, headers=charged)
        return httpx.Response(200, json={"data": [{"id": "1"}], "info": {}})  # no figure: the tier's

    async def main() -> None:
        async with fake_zoho(crm) as zoho:
            assert zoho.budget is not None
            await zoho.coql("select id from Leads where id is not null limit 1500")
            assert (zoho.credits_used, zoho.budget.spent, zoho.credits_remaining) == (1, 1, 4321)
            await zoho.coql("select id from Leads where id is not null limit 2000")
            assert (zoho.credits_used, zoho.budget.spent) == (4, 4)
            with pytest.raises(ZohoApiError):
                await zoho.coql("select Emial from Leads where id is not null limit 2000")
            assert (zoho.credits_used, zoho.budget.spent) == (4, 4)

    asyncio.run(main())


def test_a_call_whose_answer_is_lost_counts_one_never_sent_does_not() -> None:
    lost: list[type[Exception]] = []

    def crm(request: httpx.Request) -> httpx.Response:
        raise lost[-1]("injected", request=request)

    async def main() -> None:
        async with fake_zoho(crm) as zoho:
            assert zoho.budget is not None
            query = "select id from Leads where id is not null limit 1000"  # 2 credits
            lost.append(httpx.ConnectError)  # never reached Zoho: nothing spent
            with pytest.raises(TransportError):
                await zoho.coql(query)
            assert (zoho.credits_used, zoho.budget.spent) == (0, 0)
            lost.append(httpx.ReadError)  # sent twice (a retry), answers lost: Zoho charged both
            with pytest.raises(TransportError):
                await zoho.coql(query)
            assert (zoho.credits_used, zoho.budget.spent, zoho.retries) == (4, 4, 2)

    asyncio.run(main())


@pytest.mark.parametrize("kept", ["memory", "a file each", "one file"])
def test_eleven_runs_in_ten_minutes_and_zohos_token_limit(
    sandbox: Sandbox, tmp_path: Path, kept: str
) -> None:
    """Zoho Accounts gives a refresh token 10 access tokens in 10 minutes, then answers
    "Access Denied". Runs that keep no token (COQLKIT_TOKEN_STORE=memory: one per process;
    a fresh token file: another machine) each get one: the 11th is refused, and says why
    and what to do. Runs that share the token store get one token for all."""
    assert sandbox.config.token_limit == 10

    def store(run: int) -> TokenStore:
        if kept == "memory":
            return MemoryTokenStore()  # a process each
        return FileTokenStore(tmp_path / (f"tokens-{run}.json" if kept == "a file each" else "tokens.json"))

    def run(number: int) -> None:
        settings = load_settings(env=sandbox.environment(), store=store(number), path=tmp_path / "none.toml")
        with ZohoClient(settings) as zoho:
            zoho.org()

    for number in range(10):
        run(number)
    if kept == "one file":
        run(10)
        assert token_posts(sandbox) == 1
        return
    with pytest.raises(AuthError) as info:
        run(10)
    err = info.value
    assert (err.code, err.status) == ("Access Denied", 200) and token_posts(sandbox) == 11
    message = str(err)
    assert message.startswith(
        "Zoho refused the token request: Access Denied: You have made too many requests continuously."
    )
    assert (
        "10 access tokens per refresh token in 10 minutes" in message and "wait up to 10 minutes" in message
    )
    if kept == "memory":
        assert "COQLKIT_TOKEN_STORE=memory gets a new access token in every process" in message
    else:
        assert "the token store (the keyring or the token file) shares one access token" in message
    assert sandbox.client_secret not in message and sandbox.refresh_token not in message


def test_a_call_cancelled_before_its_request_was_written_is_not_counted(
    sandbox: Sandbox, store: FileTokenStore
) -> None:
    """Zoho charges what it receives: a call cancelled while its request was still being
    written (here: a server that never reads, and a body bigger than the socket buffers)
    is given back, where it was counted as spent (review of the stats on early stops)."""
    deaf = socket.socket()
    deaf.bind(("127.0.0.1", 0))
    deaf.listen(1)
    port = deaf.getsockname()[1]

    class Elsewhere(AsyncZohoClient):
        @property
        def api_base(self) -> str:
            return f"http://127.0.0.1:{port}"

    async def main() -> tuple[int, int, int]:
        budget = CreditBudget(10)
        async with Elsewhere(settings_for(sandbox, store), retry=FAST) as zoho:
            await zoho.tokens.token()
            big = {"select_query": "x" * 20_000_000}  # far past what the kernel buffers
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(zoho.request("POST", "/crm/v8/coql", json=big, budget=budget), 1.0)
            return zoho.credits_used, budget.spent, zoho.unanswered_calls

    try:
        assert asyncio.run(main()) == (0, 0, 0)
    finally:
        deaf.close()
