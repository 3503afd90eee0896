"""Zoho's OAuth and bulk-download limits, as the sandbox keeps them (fixer SB, round 10).

- A refresh token keeps at most 15 access tokens active; the 16th invalidates the oldest,
  answered 401 ``INVALID_TOKEN`` from then on (CRM v8 token-validity page; Zoho Accounts'
  token limits).
- Revoking a refresh token makes the access tokens it got stop working, and it gets no
  more (``invalid_code``).
- An org downloads at most 10 bulk-read results a minute, whatever the job (CRM bulk-read
  limitations); past them, 429 ``TOO_MANY_REQUESTS`` until the minute has passed.

Over real HTTP, each test on a sandbox of its own.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from coqlkit.sandbox.config import SandboxConfig
from coqlkit.sandbox.server import Sandbox

INVALID_TOKEN = {"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"}


@pytest.fixture
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.getbasetemp() / "r10sb-org.sqlite3")  # shared: generated once


def grant(sandbox: Sandbox, **form: str) -> dict[str, Any]:
    form = {"client_id": sandbox.client_id, "client_secret": sandbox.client_secret, **form}
    reply = httpx.post(f"{sandbox.base_url}/oauth/v2/token", data=form)
    assert reply.status_code == 200  # Zoho Accounts answers its refusals with a 200 too
    return dict(reply.json())


def access(sandbox: Sandbox, refresh: str) -> str:
    body = grant(sandbox, grant_type="refresh_token", refresh_token=refresh)
    assert "access_token" in body, body
    return str(body["access_token"])


def new_login(sandbox: Sandbox) -> tuple[str, str]:
    """Another refresh token (the code grant), and the access token that came with it."""
    code = httpx.get(f"{sandbox.base_url}/oauth/v2/auth", params={"client_id": sandbox.client_id}).json()
    body = grant(sandbox, grant_type="authorization_code", code=code["code"])
    return str(body["refresh_token"]), str(body["access_token"])


def org(sandbox: Sandbox, token: str) -> httpx.Response:
    return httpx.get(f"{sandbox.base_url}/crm/v8/org", headers={"Authorization": f"Zoho-oauthtoken {token}"})


# ---- active access tokens --------------------------------------------------------------------


def test_the_sixteenth_access_token_of_a_refresh_token_invalidates_the_oldest(db: str) -> None:
    with Sandbox(records=200, db=db, token_limit=0) as sandbox:  # no throttle: 16 at once
        assert sandbox.config.active_tokens == 15  # on by default, as Zoho
        tokens = [access(sandbox, sandbox.refresh_token) for _ in range(16)]
        first = org(sandbox, tokens[0])
        assert (first.status_code, first.json()) == (401, INVALID_TOKEN)
        assert all(org(sandbox, token).status_code == 200 for token in tokens[1:])
        seventeenth = access(sandbox, sandbox.refresh_token)
        assert org(sandbox, tokens[1]).status_code == 401  # then the next oldest, one at a time
        assert org(sandbox, tokens[2]).status_code == 200 and org(sandbox, seventeenth).status_code == 200


def test_the_cap_counts_live_tokens_of_that_refresh_token_only(db: str) -> None:
    """Expired tokens are not counted (Zoho: "active (non expired)"); another refresh
    token's, and the client-credentials grant's, are not either."""
    with Sandbox(records=200, db=db, active_tokens=2) as sandbox:
        assert sandbox.state is not None
        other, others = new_login(sandbox)
        unowned = grant(sandbox, grant_type="client_credentials")["access_token"]
        a, b = access(sandbox, sandbox.refresh_token), access(sandbox, sandbox.refresh_token)
        sandbox.state.tokens[a].expires = 0.0  # a's hour is over
        c = access(sandbox, sandbox.refresh_token)
        assert [org(sandbox, t).status_code for t in (a, b, c)] == [401, 200, 200]  # b kept
        assert org(sandbox, others).status_code == 200 and org(sandbox, unowned).status_code == 200
        d = access(sandbox, sandbox.refresh_token)  # b is now the oldest live one
        assert [org(sandbox, t).status_code for t in (b, c, d)] == [401, 200, 200]
        assert org(sandbox, others).status_code == 200 and access(sandbox, other)


@pytest.mark.parametrize("cap", [0, None])
def test_the_cap_can_be_turned_off(db: str, cap: int | None) -> None:
    with Sandbox(records=200, db=db, token_limit=0, active_tokens=cap) as sandbox:
        tokens = [access(sandbox, sandbox.refresh_token) for _ in range(20)]
        assert org(sandbox, tokens[0]).status_code == 200


# ---- revoking a refresh token ---------------------------------------------------------------


def test_revoking_a_refresh_token_ends_its_access_tokens(db: str) -> None:
    with Sandbox(records=200, db=db) as sandbox:
        refresh, first = new_login(sandbox)
        second = access(sandbox, refresh)
        demo = access(sandbox, sandbox.refresh_token)  # another login of the same client
        assert org(sandbox, first).status_code == 200 and org(sandbox, second).status_code == 200
        revoked = httpx.post(f"{sandbox.base_url}/oauth/v2/token/revoke", params={"token": refresh})
        assert (revoked.status_code, revoked.json()) == (200, {"status": "success"})
        for token in (first, second):
            refused = org(sandbox, token)
            assert (refused.status_code, refused.json()) == (401, INVALID_TOKEN)
        assert grant(sandbox, grant_type="refresh_token", refresh_token=refresh) == {"error": "invalid_code"}
        assert org(sandbox, demo).status_code == 200  # the other login is untouched
        assert sandbox.state is not None and refresh not in sandbox.state.issued


def test_a_revoke_in_the_form_body_works_too(db: str) -> None:
    with Sandbox(records=200, db=db) as sandbox:
        token = access(sandbox, sandbox.refresh_token)
        httpx.post(f"{sandbox.base_url}/oauth/v2/token/revoke", data={"token": sandbox.refresh_token})
        assert org(sandbox, token).status_code == 401
        assert grant(sandbox, grant_type="refresh_token", refresh_token=sandbox.refresh_token) == {
            "error": "invalid_code"
        }


# ---- bulk-read downloads, per org ------------------------------------------------------------


class Bulk:
    """Bulk-read calls with one access token."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        token = access(sandbox, sandbox.refresh_token)
        self.http = httpx.Client(
            base_url=sandbox.base_url, headers={"Authorization": f"Zoho-oauthtoken {token}"}, timeout=30
        )

    def __enter__(self) -> Bulk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def completed_job(self, module: str = "Leads") -> str:
        reply = self.http.post("/crm/bulk/v8/read", json={"query": {"module": {"api_name": module}}})
        assert reply.status_code == 201, reply.text
        job = str(reply.json()["data"][0]["details"]["id"])
        deadline = time.monotonic() + 30
        while self.http.get(f"/crm/bulk/v8/read/{job}").json()["data"][0]["state"] != "COMPLETED":
            assert time.monotonic() < deadline, "the job did not complete"
            time.sleep(0.02)
        return job

    def download(self, job: str) -> httpx.Response:
        return self.http.get(f"/crm/bulk/v8/read/{job}/result")

    def credits(self) -> int:
        assert self.sandbox.state is not None
        return self.sandbox.state.credits_used


def test_an_org_downloads_ten_results_a_minute_whatever_the_job(db: str) -> None:
    with Sandbox(records=200, db=db, bulk_seconds=0.05) as sandbox, Bulk(sandbox) as bulk:
        assert (sandbox.config.bulk_downloads, sandbox.config.bulk_download_seconds) == (10, 60.0)
        jobs = [bulk.completed_job("Leads"), bulk.completed_job("Contacts")]
        assert [bulk.download(jobs[i % 2]).status_code for i in range(10)] == [200] * 10
        spent = bulk.credits()
        refused = bulk.download(jobs[0])
        assert bulk.credits() == spent  # a refusal costs nothing
        third = bulk.download(bulk.completed_job("Deals"))  # a new job: the org's minute all the same
    assert refused.status_code == 429 and third.status_code == 429
    body = refused.json()
    assert body["code"] == "TOO_MANY_REQUESTS" and body["status"] == "error"
    assert body["message"] == "Rate limit exceeded. Please retry after the specified time."
    assert body["details"]["limit"] == 10 and body["details"]["window"] == 60
    assert 1 <= body["details"]["retry_after"] <= 60
    assert "X-API-CREDITS-CHARGED" not in refused.headers


def test_downloads_go_through_again_once_the_window_has_passed(db: str) -> None:
    """A short window stands for Zoho's minute. Downloads refused meanwhile (tried again and
    again, as a client may) do not push it back: the window counts the downloads made."""
    options = {"bulk_seconds": 0.05, "bulk_downloads": 2, "bulk_download_seconds": 3.0}
    with Sandbox(records=200, db=db, **options) as sandbox, Bulk(sandbox) as bulk:
        one, two = bulk.completed_job("Leads"), bulk.completed_job("Accounts")
        assert bulk.download(one).status_code == 200 and bulk.download(two).status_code == 200
        first = bulk.download(one)
        assert first.status_code == 429
        details = first.json()["details"]
        assert (details["limit"], details["window"]) == (2, 3) and 1 <= details["retry_after"] <= 3
        deadline = time.monotonic() + 30
        while (reply := bulk.download(two)).status_code == 429:  # asked again and again
            assert time.monotonic() < deadline, "the window never reopened"
            time.sleep(0.02)
        assert reply.status_code == 200 and reply.headers["content-type"] == "application/zip"
        # The window fills again: of two more downloads at once, one at least is refused.
        assert 429 in {bulk.download(one).status_code for _ in range(2)}


def test_the_download_limit_can_be_turned_off(db: str) -> None:
    with Sandbox(records=200, db=db, bulk_seconds=0.05, bulk_downloads=0) as sandbox, Bulk(sandbox) as bulk:
        job = bulk.completed_job()
        assert {bulk.download(job).status_code for _ in range(15)} == {200}


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("active_tokens", -1),
        ("bulk_downloads", -1),
        ("bulk_download_seconds", 0),
        ("bulk_download_seconds", float("nan")),
        ("bulk_download_seconds", float("inf")),
    ],
)
def test_wrong_limits_are_refused_with_what_is_allowed(option: str, value: float) -> None:
    with pytest.raises(ValueError, match=option):
        SandboxConfig(**{option: value})
