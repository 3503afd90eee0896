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
    "UNREADABLE",
    "daily_limit",
    "detached",
    "error_for",
    "mapped_transport_errors",
    "not_zohos",
    "origin",
    "timeout_message",
    "transport_error",
    "unreadable",
    "unreadable_answer",
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


#: The code of a :class:`TransportError` for an answer that came but cannot be read: not
#: JSON, cut off, or not the JSON Zoho sends (its ``.status`` is the answer's).
UNREADABLE = "UNREADABLE_ANSWER"

#: The bytes of an answer that is not JSON its error quotes: enough to tell a proxy's,
#: a login or a maintenance page.
_QUOTED = 40
_SPACE = re.compile(rb"\s*")


def unreadable_answer(
    what: str, response: httpx.Response, *, accounts: bool = False
) -> TransportError | None:
    """The error for a 2xx or 3xx answer (but 204) that is not JSON as Zoho sends it (an
    object, whole), else None. Judged by the first and last bytes alone: a page is parsed
    later, off the event loop; a body whose JSON fails in the middle, or has another shape,
    is told where it is read (:func:`unreadable`, :func:`not_zohos`).

    A body cut off is ``details["cut_off"]``: the client sends a read again, as after a
    connection that dropped mid-answer (Zoho charged the call all the same). A page of
    HTML is not sent again: a proxy, a login page or a base URL that is not Zoho's API
    answers the next attempt the same way.

    >>> page = httpx.Response(200, html="<html><body>Maintenance</body></html>", request=httpx.Request("POST", "https://zoho.test/crm/v8/coql"))
    >>> print(unreadable_answer("POST /crm/v8/coql", page))  # doctest: +NORMALIZE_WHITESPACE
    POST /crm/v8/coql at https://zoho.test:443: the answer was not JSON (text/html, 37 bytes:
    '<html><body>Maintenance</body></html>'); is something in the way (a proxy, a login page),
    or the base URL (ZOHO_BASE_URL, the profile's base_url) not Zoho's API?
    >>> cut = httpx.Response(200, content=b'{"data": [{"id": "1", "Last_Na', request=page.request)
    >>> error = unreadable_answer("POST /crm/v8/coql", cut)
    >>> error.message, error.details["cut_off"]
    ('POST /crm/v8/coql at https://zoho.test:443: the answer was cut off, its JSON unfinished (no content type, 30 bytes)', True)
    """
    status = response.status_code
    if status == 204 or not 200 <= status < 400:
        return None
    body = response.content
    where = origin(response.request.url)
    kind = response.headers.get("content-type", "")
    if status >= 300:
        went = response.headers.get("location", "")
        to = f" to {_page(went, response.request.url)}" if went else ""
        return unreadable(
            what,
            where,
            f"a redirect ({status}{to}), not JSON",
            body,
            content_type=kind,
            status=status,
            accounts=accounts,
        )
    start = _SPACE.match(body)
    first = body[start.end() : start.end() + 1] if start else b""
    if first == b"[":
        why = "not the JSON Zoho sends (an array, not an object)"
        return unreadable(what, where, why, body, content_type=kind, status=status, accounts=accounts)
    if first != b"{":
        return unreadable(what, where, "not JSON", body, content_type=kind, status=status, accounts=accounts)
    if body[-64:].rstrip()[-1:] != b"}":
        return unreadable(
            what,
            where,
            "cut off, its JSON unfinished",
            body,
            content_type=kind,
            status=status,
            cut_off=True,
            accounts=accounts,
        )
    return None


def unreadable(
    what: str,
    where: str,
    why: str,
    body: bytes,
    *,
    content_type: str | None = None,
    status: int = 200,
    cut_off: bool = False,
    accounts: bool = False,
) -> TransportError:
    """The :class:`TransportError` (``UNREADABLE_ANSWER``) for an answer of ``what`` at
    ``where`` (``scheme://host:port``) that coqlkit cannot read: ``why``, the answer's type
    and size, and its first bytes when it is not JSON at all (a JSON body is not quoted:
    it holds records, maybe personal data). ``.status`` is the answer's: Zoho answered,
    and charged the call if it was Zoho.

    >>> print(unreadable("GET /crm/v8/org", "https://zoho.test:443", "not valid JSON (Expecting value at byte 9)", b'{"org": [}'))
    GET /crm/v8/org at https://zoho.test:443: the answer was not valid JSON (Expecting value at byte 9) (10 bytes)
    """
    kind = (content_type or "").split(";")[0].strip()
    said = f"{kind or 'no content type'}, " if content_type is not None else ""
    said += f"{len(body):,} byte{'' if len(body) == 1 else 's'}"
    text = body.lstrip()
    if text[:1] not in (b"{", b"[") and not accounts:  # (a token server's answer may hold tokens)
        head = " ".join(text[: _QUOTED * 4].decode("utf-8", "replace").split())
        if head:
            said += f": {head[:_QUOTED] + ('...' if len(head) > _QUOTED else '')!r}"
    hint = ""
    if not cut_off and text[:1] not in (b"{", b"["):
        url = (
            "accounts URL (ZOHO_ACCOUNTS_URL, the profile's accounts_url) not Zoho Accounts"
            if accounts
            else "base URL (ZOHO_BASE_URL, the profile's base_url) not Zoho's API"
        )
        hint = f"; is something in the way (a proxy, a login page), or the {url}?"
    return TransportError(
        f"{what} at {where}: the answer was {why} ({said}){hint}",
        code=UNREADABLE,
        status=status,
        # cut_off: a read is sent again; a token request is not (each may have made a token,
        # and Zoho gives a refresh token 10 in 10 minutes), nor retried as the CRM call it serves.
        details={"call": what, "host": where, "cut_off": cut_off and not accounts},
    )


def not_zohos(
    what: str, response: httpx.Response, exc: ValueError | None = None, shape: str = ""
) -> TransportError:
    """The error for a 2xx answer whose JSON fails to parse (``exc``: its error) or has
    another shape than Zoho's (``shape``: what is wrong with it), read where the client
    decodes it."""
    if isinstance(exc, json.JSONDecodeError):
        why = f"not valid JSON ({exc.msg} at byte {exc.pos})"
    elif exc is not None:
        why = f"not valid JSON ({type(exc).__name__})"
    else:
        why = f"not the JSON Zoho sends ({shape})"
    where = origin(response.request.url)
    kind = response.headers.get("content-type", "")
    return unreadable(what, where, why, response.content, content_type=kind, status=response.status_code)


def _page(url: str, base: httpx.URL) -> str:
    """Where a redirect goes, without its query (it may hold a token).

    >>> _page("https://login.example.com/sso?next=x&token=y", httpx.URL("https://zoho.test/crm"))
    'https://login.example.com:443/sso'
    """
    try:
        target = base.join(url)
    except (httpx.InvalidURL, ValueError):
        return "an address that is not a URL"
    return origin(target) + target.path


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
