"""Every error the sandbox (Zoho) can answer with maps to a specific coqlkit exception."""

from __future__ import annotations

import json

import httpx
import pytest

from coqlkit.errors import (
    ApiError,
    AuthError,
    CoqlError,
    DailyLimitReached,
    RateLimited,
    TransportError,
    ZohoApiError,
)
from coqlkit.sandbox.errors import STATUS
from coqlkit.transport._errors import error_for, mapped_transport_errors, origin


def answer(code: str, status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"code": code, "details": {"x": 1}, "message": f"{code} happened", "status": "error"}
    return httpx.Response(status, content=json.dumps(body).encode(), headers=headers or {})


@pytest.mark.parametrize(("code", "status"), sorted(STATUS.items()))
def test_every_code_of_the_sandbox_maps(code: str, status: int) -> None:
    err = error_for(answer(code, status))
    expected = AuthError if status == 401 else RateLimited if status == 429 else ZohoApiError
    assert type(err) is expected
    assert (err.code, err.status, err.details, err.message) == (code, status, {"x": 1}, f"{code} happened")
    assert isinstance(err, CoqlError)


@pytest.mark.parametrize(
    ("message", "day"),
    [
        ("Number of API requests for the 24 hour period is exceeded", True),  # Zoho's status codes page
        ("NUMBER OF API REQUESTS FOR THE 24-HOUR PERIOD IS EXCEEDED", True),
        ("API requests in 24 hours exceeded", True),
        ("the daily API limit is reached", True),
        ("You have exceeded the API credits for the day", True),
        ("The number of concurrent requests has exceeded the allowed limit", False),
        ("the concurrency limit of the user for the app is exceeded", False),
        ("Number of API requests for the 24 hour period or the concurrency limit is exceeded", False),
        ("too many requests", False),
        ("", False),
    ],
)
def test_a_429_for_the_days_credits_is_the_daily_limit(message: str, day: bool) -> None:
    """Zoho answers 429 TOO_MANY_REQUESTS both past the day's credits and past the org's
    concurrent-call slots; only the message tells them apart (a concurrency one, or none,
    is the slots: waiting may pass it)."""
    body = {"code": "TOO_MANY_REQUESTS", "details": {}, "message": message, "status": "error"}
    err = error_for(httpx.Response(429, content=json.dumps(body).encode()), credits=3)
    assert isinstance(err, RateLimited) and (err.code, err.status) == ("TOO_MANY_REQUESTS", 429)
    assert isinstance(err, DailyLimitReached) is day
    if day:
        assert (err.needed, err.left) == (3, 0) and message in str(err)
    limit = error_for(answer("LIMIT_REACHED", 429))
    assert type(limit) is RateLimited and limit.code == "LIMIT_REACHED"  # as before


def test_retry_after_and_bodies_that_are_not_zohos() -> None:
    limited = error_for(answer("TOO_MANY_REQUESTS", 429, {"Retry-After": "3"}))
    assert isinstance(limited, RateLimited) and limited.retry_after == 3.0
    html = error_for(httpx.Response(502, content=b"<html>bad gateway</html>"))
    assert (type(html), html.code, html.status) == (ZohoApiError, "HTTP_502", 502)


def test_network_errors_become_transport_errors() -> None:
    request = httpx.Request("GET", "http://127.0.0.1:9/")
    for raised in (
        httpx.ConnectError("refused", request=request),
        httpx.ReadTimeout("slow", request=request),
    ):
        with pytest.raises(TransportError) as info, mapped_transport_errors("GET /x"):
            raise raised
        assert info.value.__cause__ is raised and isinstance(info.value, ApiError)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        (
            "https://user:pw@accounts.zoho.eu/oauth/v2/token?refresh_token=1000.secret",
            "https://accounts.zoho.eu:443",
        ),
        ("http://127.0.0.1:8765/crm/v8/coql", "http://127.0.0.1:8765"),
        ("http://[::1]/crm/v8/org?x=1", "http://[::1]:80"),
    ],
)
def test_network_errors_name_the_host_never_the_path_query_or_user(url: str, host: str) -> None:
    """A CI log shows where a wrong ZOHO_BASE_URL / ZOHO_DC sent the call: refused, no such
    host, or no answer. Only scheme://host:port: a query or user info may hold a secret."""
    assert origin(httpx.URL(url)) == host
    client = httpx.Client(timeout=httpx.Timeout(7.5, connect=15))
    request = client.build_request("POST", url)  # carries the timeouts it was sent with
    cases = [
        (
            httpx.ConnectError("[Errno -2] Name or service not known", request=request),
            "CONNECTION_ERROR",
            f"the token endpoint did not answer at {host}: ConnectError: [Errno -2] Name or service not known",
        ),
        (
            httpx.ConnectError("All connection attempts failed", request=request),
            "CONNECTION_ERROR",
            f"the token endpoint did not answer at {host}: ConnectError: All connection attempts failed",
        ),
        (
            httpx.ReadTimeout("", request=request),
            "TIMEOUT",
            f"the token endpoint did not answer at {host}: timed out after 7.5 s, waiting for an answer (ReadTimeout)",
        ),
        (
            httpx.ConnectTimeout("", request=request),
            "TIMEOUT",
            f"the token endpoint did not answer at {host}: timed out after 15 s, waiting to connect (ConnectTimeout)",
        ),
    ]
    for raised, code, message in cases:
        with (
            pytest.raises(TransportError) as info,
            mapped_transport_errors("the token endpoint did not answer"),
        ):
            raise raised
        assert (info.value.code, info.value.message) == (code, message)
        assert info.value.details == {"call": "the token endpoint did not answer", "host": host}
        assert "secret" not in str(info.value) and "pw" not in str(info.value)
    client.close()


def test_a_network_error_without_its_request_still_maps() -> None:
    with pytest.raises(TransportError) as info, mapped_transport_errors("GET /x"):
        raise httpx.ReadTimeout("slow")
    assert info.value.message == "GET /x: timed out, waiting for an answer (ReadTimeout)"
