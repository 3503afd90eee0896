"""The one boundary where HTTP answers and httpx errors become :mod:`coqlkit.errors`."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import httpx

from coqlkit.errors import ApiError, AuthError, RateLimited, TransportError, ZohoApiError

__all__ = ["AUTH_CODES", "RATE_CODES", "error_for", "mapped_transport_errors"]

AUTH_CODES = frozenset(
    {"INVALID_TOKEN", "AUTHENTICATION_FAILURE", "OAUTH_SCOPE_MISMATCH", "INVALID_OAUTHTOKEN"}
)
RATE_CODES = frozenset({"TOO_MANY_REQUESTS", "LIMIT_REACHED"})


def envelope(response: httpx.Response) -> dict[str, Any]:
    """Zoho's ``{"code", "details", "message", "status"}``, or an empty dict for anything else."""
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def error_for(response: httpx.Response) -> ApiError:
    """The exception for an error answer: 401 → AuthError, 429 → RateLimited, else ZohoApiError."""
    body = envelope(response)
    code = str(body.get("code") or f"HTTP_{response.status_code}")
    message = str(body.get("message") or response.reason_phrase or "error")
    details = body.get("details") if isinstance(body.get("details"), dict) else {}
    common: dict[str, Any] = {"code": code, "status": response.status_code, "details": details}
    if response.status_code == 401 or code in AUTH_CODES:
        return AuthError(message, **common)
    if response.status_code == 429 or code in RATE_CODES:
        return RateLimited(message, retry_after=retry_after(response), **common)
    return ZohoApiError(message, **common)


def retry_after(response: httpx.Response) -> float | None:
    """The server's ``Retry-After`` in seconds (numbers only; HTTP dates are not used by Zoho)."""
    raw = response.headers.get("retry-after")
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None


@contextlib.contextmanager
def mapped_transport_errors(what: str) -> Iterator[None]:
    """httpx's network and timeout errors as :class:`TransportError`, chained ``from`` them."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise TransportError(f"{what}: timed out ({type(exc).__name__})", code="TIMEOUT") from exc
    except httpx.TransportError as exc:
        raise TransportError(f"{what}: {type(exc).__name__}: {exc}", code="CONNECTION_ERROR") from exc
