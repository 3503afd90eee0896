"""Every error the sandbox (Zoho) can answer with maps to a specific coqlkit exception."""

from __future__ import annotations

import json

import httpx
import pytest

from coqlkit.errors import ApiError, AuthError, CoqlError, RateLimited, TransportError, ZohoApiError
from coqlkit.sandbox.errors import STATUS
from coqlkit.transport._errors import error_for, mapped_transport_errors


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
