"""What a call given up after its attempts ran out says: what each attempt came to.

An error built from the last attempt alone misstated the others: five attempts, two
answered 500 and three dropped, were told as "Zoho answered 500 ... 5 times", and when
the last one dropped the error was httpx's bare message, with no count and no "run again
later". :class:`Failures` counts the attempts by what they came to, and
:meth:`Failures.error` says all of it; the error's type, code and status are the last
attempt's, so callers (and the shell's exit status) still tell a 5xx from a network fault.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from coqlkit.errors import ApiError, TransportError, ZohoApiError
from coqlkit.transport._errors import UNREADABLE, origin, timeout_message

__all__ = ["Failures", "maybe_done", "refused", "server_fault", "timed_out"]


def timed_out(exc: ApiError) -> bool:
    """No answer (or no connection, no free connection) within the timeout."""
    return isinstance(exc, TransportError) and isinstance(exc.__cause__, httpx.TimeoutException)


def refused(exc: ApiError) -> bool:
    """The connection could not be made (refused, no such host): not one answer came."""
    return isinstance(exc, TransportError) and isinstance(exc.__cause__, httpx.ConnectError)


def server_fault(exc: ApiError) -> bool:
    """Zoho answered with a 5xx: a fault on its side."""
    return isinstance(exc, ZohoApiError) and (exc.status or 0) >= 500


def times(n: int) -> str:
    """How often, in words.

    >>> times(1), times(2), times(5)
    ('once', 'twice', '5 times')
    """
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"


def _kind(exc: ApiError) -> str:
    """What an attempt came to, as attempts are counted together: Zoho's answer by status
    and code, else the network's fault (a timeout, a refused or a dropped connection, an
    answer cut off)."""
    if exc.code == UNREADABLE:
        return "unreadable"
    if isinstance(exc, TransportError):
        return "timed out" if timed_out(exc) else "refused" if refused(exc) else "dropped"
    return f"{exc.status} {exc.code}"


class Failures:
    """The failed attempts at one call, counted by what they came to.

    >>> failures = Failures()
    >>> for status in (500, 500, 503):
    ...     failures.add(ZohoApiError("Internal Server Error", code="INTERNAL_ERROR", status=status))
    >>> failures.attempts, failures.counts
    (3, {'500 INTERNAL_ERROR': 2, '503 INTERNAL_ERROR': 1})
    """

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.counts: dict[str, int] = {}  # in the order they first came
        self.last: dict[str, ApiError] = {}  # the last attempt of each kind
        self.attempts = 0

    def add(self, exc: ApiError) -> None:
        kind = _kind(exc)
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.last[kind] = exc
        self.attempts += 1

    def error(
        self, exc: ApiError, what: str, api_base: str, *, ran_out: bool, stopped: bool = False
    ) -> ApiError:
        """The error for the call given up on ``exc``, its last attempt: ``ran_out``, the
        attempts allowed were all made (else ``exc`` may not be sent again); ``stopped``,
        refused by a host that had answered this client. ``exc`` itself when it is no fault
        of Zoho's or the network's (a 4xx: its own words say it), or when it was the one
        attempt and another was not allowed (a bulk-read job's lost answer: the caller says
        so, :func:`maybe_done`)."""
        seconds = time.monotonic() - self.started
        if not (server_fault(exc) or isinstance(exc, TransportError)):
            return exc
        if not ran_out and self.attempts == 1:
            return exc
        if len(self.counts) == 1:
            if timed_out(exc):
                return _timeout_error(exc, self.attempts)
            if stopped:
                return _stopped_error(exc, self.attempts, seconds)
            if refused(exc):  # a wrong address or a host down: its own words, and the host
                return exc
            if server_fault(exc):
                return _server_fault_error(exc, what, api_base, self.attempts, seconds)
        return self._mixed(exc, what, api_base, seconds)

    def _mixed(self, exc: ApiError, what: str, api_base: str, seconds: float) -> ApiError:
        """Attempts that came to different ends, or connections that dropped: each counted."""
        parts = [f"{_phrase(self.last[kind])} {times(n)}" for kind, n in self.counts.items()]
        network = any(isinstance(e, TransportError) for e in self.last.values())
        whose = "a fault on Zoho's side or on the network" if network else "a fault on Zoho's side"
        over = f" in {seconds:.1f} s" if self.attempts > 1 else ""
        if len(parts) == 1:
            told = f"{parts[0]}{over}"
        else:
            told = f"{self.attempts} attempts{over}: {', '.join(parts[:-1])} and {parts[-1]}"
        message = f"{what}{_where(api_base)}: {told}: {whose}; run again later"
        details: dict[str, Any] = dict(exc.details)
        if isinstance(exc, TransportError):  # .status: an answer's that could not be read
            details["attempts"] = self.attempts
            return TransportError(message, code=exc.code, status=exc.status, details=details)
        return type(exc)(message, code=exc.code, status=exc.status, details=details)


def _phrase(exc: ApiError) -> str:
    """One kind of failed attempt, in words, with the last such attempt's own."""
    cause = exc.__cause__
    if exc.code == UNREADABLE:  # "the answer was cut off, its JSON unfinished (...)"
        return exc.message.removeprefix(f"{exc.details.get('call')} at {exc.details.get('host')}: ")
    if timed_out(exc) and isinstance(cause, httpx.TimeoutException):
        return timeout_message("", cause).split(": ", 1)[-1]  # "timed out after 120 s, waiting ..."
    if isinstance(exc, TransportError):
        said = _said(cause) if cause is not None else exc.message
        if refused(exc):
            return f"the connection could not be made ({said})"
        return f"the connection dropped before the answer was whole ({said})"
    return f"Zoho answered {exc.status} {exc.code} ({exc.message})"


def _said(cause: BaseException) -> str:
    """An exception as ``Type: message``, or ``Type`` alone when it has no message (httpx's
    ``ReadError`` often has none: ``ReadError: `` said nothing).

    >>> _said(httpx.ReadError("")), _said(httpx.ReadError("peer closed"))
    ('ReadError', 'ReadError: peer closed')
    """
    text = str(cause).strip()
    return f"{type(cause).__name__}: {text}" if text else type(cause).__name__


def _where(api_base: str) -> str:
    try:
        return f" at {origin(httpx.URL(api_base))}"
    except httpx.InvalidURL:  # pragma: no cover - the base URL was checked when configured
        return ""


def _timeout_error(exc: ApiError, attempts: int) -> ApiError:
    """The error for a call given up after ``attempts`` timed out: how long each waited,
    how often, where, and what to change."""
    cause = exc.__cause__
    if not isinstance(cause, httpx.TimeoutException):
        return exc
    if isinstance(cause, httpx.ConnectTimeout):  # the connect timeout is not the profile's
        hint = "; is the address right (ZOHO_BASE_URL, ZOHO_DC, the profile's base_url) and the host up?"
    else:
        hint = "; set COQLKIT_TIMEOUT / the profile's timeout (seconds) if the server is only slow"
    call = str(exc.details.get("call") or "the call")
    return TransportError(
        timeout_message(call, cause, attempts, hint),
        code=exc.code,
        details={**exc.details, "attempts": attempts},
    )


def _server_fault_error(exc: ApiError, what: str, api_base: str, attempts: int, seconds: float) -> ApiError:
    """The error for a call Zoho answered with a 5xx until its attempts ran out: which call,
    where, how often over how long, and that it is Zoho's fault (run again later). The type,
    Zoho's code, status and details are kept, so callers still tell it apart; the bare
    "Internal Server Error" said none of that."""
    over = f" in {seconds:.1f} s" if attempts > 1 else ""
    message = (
        f"{what}{_where(api_base)}: Zoho answered {exc.status} {exc.code} ({exc.message}) {times(attempts)}"
        f"{over}: a fault on Zoho's side; run again later"
    )
    return type(exc)(message, code=exc.code, status=exc.status, details=exc.details)


def maybe_done(exc: TransportError, credits: int) -> TransportError:
    """The error for a call that is not sent again after a lost answer (a bulk-read job's
    creation): Zoho may have run it and charged it (``details["maybe_charged"]``)."""
    return TransportError(
        f"{exc.message}; the request reached the server and its answer was lost, so Zoho may "
        f"have run it and charged its {credits} credit{'s' if credits != 1 else ''}",
        code=exc.code,
        details={**exc.details, "maybe_charged": credits},
    )


def _stopped_error(exc: ApiError, attempts: int, seconds: float) -> ApiError:
    """The error for a call whose connections were refused by a server that had answered
    this client before: not a wrong address (those are given up after a few attempts) but
    a server that stopped accepting connections mid-read (a restart, a load balancer or
    pod going away): said so, with how long it was tried."""
    return TransportError(
        f"{exc.message}; the server answered this client before, then stopped accepting "
        f"connections mid-read (refused {times(attempts)} in {seconds:.1f} s): a restart or "
        "outage on its side; run again",
        code=exc.code,
        details={**exc.details, "attempts": attempts},
    )
