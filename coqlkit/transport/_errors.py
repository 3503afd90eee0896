"""The one boundary where HTTP answers and httpx errors become :mod:`coqlkit.errors`."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx

from coqlkit.errors import ApiError, AuthError, DailyLimitReached, RateLimited, TransportError, ZohoApiError

__all__ = [
    "AUTH_CODES",
    "RATE_CODES",
    "daily_limit",
    "detached",
    "error_for",
    "mapped_transport_errors",
    "origin",
    "timeout_message",
    "transport_error",
]

AUTH_CODES = frozenset(
    {"INVALID_TOKEN", "AUTHENTICATION_FAILURE", "OAUTH_SCOPE_MISMATCH", "INVALID_OAUTHTOKEN"}
)
RATE_CODES = frozenset({"TOO_MANY_REQUESTS", "LIMIT_REACHED"})

#: A 429's words for the org's credits of the day (Zoho's status codes: "Number of API
#: requests for the 24 hour period is exceeded"), and for its concurrent-call slots.
_DAY = re.compile(r"\b24[\s-]*(?:hour|hr)s?\b|\bdaily\b|\bper[\s-]+day\b|\bfor\s+the\s+day\b", re.I)
_CONCURRENT = re.compile(r"concurren", re.I)


def envelope(response: httpx.Response) -> dict[str, Any]:
    """Zoho's ``{"code", "details", "message", "status"}``, or an empty dict for anything else."""
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def daily_limit(status: int, code: str, message: str, *, credits: int = 1, left: int | None = None) -> bool:
    """Whether a 429 ``TOO_MANY_REQUESTS`` says the org's credits for the day are spent: Zoho
    answers that and a call past its concurrent-call slots with the same code. Two signals:

    - the client's own count: ``left``, the credits the org had left today by Zoho's last
      ``X-API-CREDITS-REMAINING`` less the calls sent since (None: unknown), is fewer than
      the call's ``credits``: the day's, whatever the message says;
    - the message: words for the day (24 hours, daily) that say nothing of concurrency. No
      message, or one about concurrency (Zoho's status-codes page gives one sentence for
      both: "... for the 24 hour period is exceeded or the concurrency limit ... is
      exceeded"), is the slots: waiting may pass it. Which words Zoho's own day-spent 429
      carries is not documented: these are the sandbox's (an assumption), and the count
      is the signal that does not depend on them.

    >>> daily_limit(429, "TOO_MANY_REQUESTS", "Number of API requests for the 24 hour period is exceeded")
    True
    >>> daily_limit(429, "TOO_MANY_REQUESTS", "The number of concurrent requests has exceeded the allowed limit")
    False
    >>> daily_limit(429, "TOO_MANY_REQUESTS", ""), daily_limit(429, "TOO_MANY_REQUESTS", "Daily API limit exceeded")
    (False, True)
    >>> rate = "Rate limit exceeded. Please retry after the specified time."  # Zoho's v8 OAS example
    >>> daily_limit(429, "TOO_MANY_REQUESTS", rate, credits=3, left=2), daily_limit(429, "TOO_MANY_REQUESTS", rate, credits=3, left=3)
    (True, False)
    """
    if status != 429 or code != "TOO_MANY_REQUESTS":
        return False
    if left is not None and left < credits:
        return True
    return _DAY.search(message) is not None and _CONCURRENT.search(message) is None


def error_for(response: httpx.Response, *, credits: int = 1, left: int | None = None) -> ApiError:
    """The exception for an error answer: 401 → AuthError, 429 → RateLimited, else ZohoApiError.

    A 429 ``TOO_MANY_REQUESTS`` that says the day's credits are spent (:func:`daily_limit`:
    by its message, or by ``left``, the client's count of the org's credits left today, being
    fewer than the call's ``credits``) is a :class:`DailyLimitReached` (``.needed`` the
    call's ``credits``, ``.left`` what is left: 0 when only the message says so; its code,
    status and details kept): it will not pass by waiting, unlike a 429 for the org's
    concurrent-call slots."""
    body = envelope(response)
    code = str(body.get("code") or f"HTTP_{response.status_code}")
    message = str(body.get("message") or response.reason_phrase or "error")
    details = body.get("details") if isinstance(body.get("details"), dict) else {}
    common: dict[str, Any] = {"code": code, "status": response.status_code, "details": details}
    if response.status_code == 401 or code in AUTH_CODES:
        return AuthError(message, **common)
    if daily_limit(response.status_code, code, str(body.get("message") or ""), credits=credits, left=left):
        counted = left if left is not None and left < credits else None
        return _day_spent(message, credits, retry_after(response), common, counted)
    if response.status_code == 429 or code in RATE_CODES:
        return RateLimited(message, retry_after=retry_after(response), **common)
    return ZohoApiError(message, **common)


def _day_spent(
    message: str, credits: int, hint: float | None, common: dict[str, Any], left: int | None
) -> DailyLimitReached:
    """``left``: the credits left by the client's count, when that is what said so."""
    counted = (
        ""
        if left is None
        else f", and by its last X-API-CREDITS-REMAINING the org has {max(0, left):,} left today"
    )
    err = DailyLimitReached(
        f"the org's API credits for the day are spent: Zoho refused a call of {credits} "
        f"credit{'s' if credits != 1 else ''} (429 {common['code']}: {message}){counted}; credits "
        "come back as the day's rolling 24 hours move on: not retried, try again later",
        needed=credits,
        left=0 if left is None else max(0, left),
    )
    err.code, err.status, err.details, err.retry_after = (
        common["code"],
        common["status"],
        common["details"],
        hint,
    )
    return err


def retry_after(response: httpx.Response) -> float | None:
    """How long the server asks to wait, in seconds: its ``Retry-After`` header (numbers only;
    HTTP dates are not used by Zoho), else the ``details.retry_after`` of its error body (the
    429 example of Zoho's v8 OAS: ``{"retry_after": 60, "limit": 100, "window": 60}``).

    >>> retry_after(httpx.Response(429, json={"code": "TOO_MANY_REQUESTS", "details": {"retry_after": 60}}))
    60.0
    >>> retry_after(httpx.Response(429, headers={"Retry-After": "3"}, json={"details": {"retry_after": 60}}))
    3.0
    """
    raw = response.headers.get("retry-after")
    if raw is None:
        details = envelope(response).get("details")
        raw = details.get("retry_after") if isinstance(details, dict) else None
        if isinstance(raw, bool):
            return None
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except (TypeError, ValueError):
        return None


def origin(url: httpx.URL) -> str:
    """``scheme://host:port`` of ``url``: where a call went, with no path, query or user info
    (they may hold a token); the port is always said (``:443``) so a wrong one shows.

    >>> origin(httpx.URL("https://user:pw@www.zohoapis.eu/crm/v8/org?access_token=x"))
    'https://www.zohoapis.eu:443'
    """
    host = url.host
    if ":" in host:  # IPv6
        host = f"[{host}]"
    port = url.port or {"https": 443, "http": 80}.get(url.scheme)
    return f"{url.scheme}://{host}" + (f":{port}" if port else "")


def _where(exc: httpx.RequestError) -> str:
    try:
        return origin(exc.request.url)
    except RuntimeError:  # an error raised without its request
        return ""


#: What each of httpx's timeouts waited for, and the key of its ``httpx.Timeout`` value.
_WAITED = {
    httpx.ConnectTimeout: ("connect", "waiting to connect"),
    httpx.WriteTimeout: ("write", "sending the request"),
    httpx.PoolTimeout: ("pool", "waiting for a free connection"),
}


def timeout_message(call: str, exc: httpx.TimeoutException, attempts: int = 1, hint: str = "") -> str:
    """``call at host: timed out after 120 s twice, waiting for an answer (ReadTimeout)``: what
    timed out, where, after how long (the timeout the request was sent with), how often."""
    key, waiting = _WAITED.get(type(exc), ("read", "waiting for an answer"))
    try:
        seconds = exc.request.extensions.get("timeout", {}).get(key)
    except RuntimeError:
        seconds = None
    after = f" after {seconds:g} s" if isinstance(seconds, (int, float)) else ""
    times = "" if attempts <= 1 else " twice" if attempts == 2 else f" {attempts} times"
    where = _where(exc)
    return f"{call}{' at ' + where if where else ''}: timed out{after}{times}, {waiting} ({type(exc).__name__}){hint}"


def transport_error(what: str, exc: httpx.TransportError) -> TransportError:
    """The :class:`TransportError` for one of httpx's network or timeout errors: ``what``
    failed, at which host (``scheme://host:port`` only: never the URL's query or user info,
    so a wrong ``ZOHO_BASE_URL`` or data centre shows in a log); ``.details`` holds ``call``
    (``what``) and ``host``. Not chained: the caller says to what."""
    where = _where(exc)
    details = {"call": what, "host": where}
    if isinstance(exc, httpx.TimeoutException):
        return TransportError(timeout_message(what, exc), code="TIMEOUT", details=details)
    message = f"{what}{' at ' + where if where else ''}: {type(exc).__name__}: {exc}"
    return TransportError(message, code="CONNECTION_ERROR", details=details)


def detached(exc: httpx.TransportError) -> httpx.TransportError:
    """A copy of ``exc`` that holds nothing of the request it failed: the same class and
    message (a refused connection, a timeout are still told apart by ``__cause__``), and a
    request with the method, the URL and the timeouts it was sent with, but no body and no
    headers. No traceback, nothing chained: the frames of httpx and httpcore that sent a
    token request hold its body (the client secret, the refresh token) as locals.

    >>> sent = httpx.Request("POST", "https://accounts.zoho.eu/oauth/v2/token", content=b"client_secret=x")
    >>> clean = detached(httpx.ConnectError("[Errno 111] Connection refused", request=sent))
    >>> clean, clean.request.content, clean.__traceback__, clean.__context__
    (ConnectError('[Errno 111] Connection refused'), b'', None, None)
    """
    try:
        sent = exc.request
    except RuntimeError:  # raised without its request
        return type(exc)(str(exc))
    timeout = sent.extensions.get("timeout")
    request = httpx.Request(sent.method, sent.url, extensions={"timeout": timeout} if timeout else {})
    return type(exc)(str(exc), request=request)


@contextlib.contextmanager
def mapped_transport_errors(what: str) -> Iterator[None]:
    """httpx's network and timeout errors as :class:`TransportError` (see
    :func:`transport_error`), chained ``from`` them."""
    try:
        yield
    except httpx.TransportError as exc:
        raise transport_error(what, exc) from exc
