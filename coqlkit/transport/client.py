"""The client: every call coqlkit makes to Zoho, with OAuth, retries, a concurrency limit and credits.

``AsyncZohoClient`` is the real thing (one ``httpx.AsyncClient``, one connection pool, per
profile); :class:`~coqlkit.transport.sync.ZohoClient` is its synchronous twin.

- **Retries**: 5xx and dropped or refused connections are retried with exponential backoff
  and full jitter (a ``Retry-After`` hint wins), reads only (:data:`Resend`): a bulk-read job
  is created again after a 5xx (Zoho handed back no job) or when the attempt never reached
  the server, not after a lost answer (Zoho may have made and charged a job: the error says
  so, ``details["maybe_charged"]``). A connection that cannot be made is tried
  :data:`REFUSED_ATTEMPTS` times until the host has answered this client (a wrong address, a
  server down), as often as any failure once it has (a server restarting mid-read; the
  error then says it stopped accepting connections), and a call that timed out
  :data:`TIMEOUT_ATTEMPTS` times (a hung server costs a call about twice the profile's
  ``timeout``, not five times). A call given up says which, where, over how long, and what
  each attempt came to (so many 500s, so many connections dropped: :mod:`._given_up`), its
  type, code and status the last attempt's: Zoho's "Internal Server Error" alone named none
  of it, and an error made from the last attempt alone miscounted the others.
- **Answers that cannot be read**: a 2xx (or a redirect) whose body is not Zoho's JSON is a
  :class:`~coqlkit.errors.TransportError` ``UNREADABLE_ANSWER`` that names the call, the
  host and what came (a raw ``JSONDecodeError`` or ``TypeError`` did). A body cut off (an
  object never closed) is sent again as a dropped answer is (reads only; charged again: the
  first was a 2xx); a page of HTML or a redirect (a proxy, a login page, a base URL that is
  not Zoho's API) is not: the next attempt would get the same.
- **Concurrency**: never more calls in flight than ``settings.concurrency``, and fewer when
  Zoho says the org's slots are taken (429 ``TOO_MANY_REQUESTS``: other integrations hold
  some): each such answer halves the calls let out at once (down to one), and successes
  grow it back by one a round (:class:`~coqlkit.transport.slots.AdaptiveSlots`). The
  refused call waits its turn again, reads and writes alike (Zoho ran nothing, charged
  nothing), for as long as ``RetryPolicy.busy_patience`` without a success at one call at
  a time, then :class:`~coqlkit.errors.OrgBusy` (a ``Retry-After`` header, or the body's
  ``details.retry_after``, sets the wait, up to ``busy_cap``); when the process's other
  clients of the same org (an SQLAlchemy engine's other pooled connections, each with its
  own concurrency) had calls in flight meanwhile, it says how many (:mod:`._org_calls`:
  a count of the calls in flight per org across the process). A 429 ``TOO_MANY_REQUESTS``
  that is the day's credits spent is no full org: it raises
  :class:`~coqlkit.errors.DailyLimitReached` at once, as ``LIMIT_REACHED`` does (no retry).
  It is told by the client's own count (Zoho's last ``X-API-CREDITS-REMAINING`` less the
  calls sent since leaves fewer credits than the refused call costs), or by its message
  ("... for the 24 hour period is exceeded": the sandbox's words; Zoho's are not documented).
- **Credits**: a call's cost (COQL 1-3 by its LIMIT, bulk read 50 a job, other calls 1) is
  reserved on the budget (the profile's ``credit_budget``, or one passed per call) before
  the call waits for a slot, so calls queued and in flight count and concurrent calls
  cannot pass the budget; it adds to ``credits_used`` when the request is sent, as Zoho
  charges a call it received even if the caller is cancelled or the answer is lost; when
  the answer comes, both follow the server's figure (``X-API-CREDITS-CHARGED`` when sent;
  an error answer without it costs nothing). ``credits_remaining`` follows the server's
  header (``X-API-CREDITS-REMAINING``, which Zoho sends only once half the day's credits are
  used: None until then), and a call that would cost more than the org has left today by it
  (less the calls sent since: :class:`~coqlkit.transport.credits.DailyCredits`; checked
  when the call is asked for and again as it goes, calls waiting for a slot holding none)
  is refused before it is sent, with :class:`~coqlkit.errors.DailyLimitReached`.
- **Logging** (``coqlkit.transport.client``; token refreshes on ``coqlkit.transport.auth``),
  silent until the application configures logging: at INFO a call sent again (attempt n
  of m, why, after how long), a 429's back-off and the concurrency lowered and back, a 429
  taken as the day's credits; at DEBUG each call sent and answered (method, path, status,
  milliseconds, credits). Never a token or secret, never a request's body: a COQL query's
  values may be personal data.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import ssl
import tempfile
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal, TypeGuard, TypeVar
from urllib.parse import urlsplit

import httpx

from coqlkit.errors import (
    ApiError,
    DailyLimitReached,
    OrgBusy,
    RateLimited,
    TransportError,
)
from coqlkit.transport._errors import (
    UNREADABLE,
    error_for,
    mapped_transport_errors,
    not_zohos,
    origin,
    unreadable_answer,
)
from coqlkit.transport._given_up import Failures, maybe_done, refused, server_fault, timed_out, times
from coqlkit.transport._org_calls import NONE, OrgCalls, Others
from coqlkit.transport.auth import Tokens, ZohoOAuth
from coqlkit.transport.config import Settings
from coqlkit.transport.credits import BULK_CREDITS, CreditBudget, DailyCredits, _Charge, coql_credits
from coqlkit.transport.datacenters import in_environment, this_machine
from coqlkit.transport.slots import AdaptiveSlots, _KeptSlot

__all__ = [
    "AdaptiveSlots",
    "AsyncZohoClient",
    "CoqlPage",
    "CreditBudget",
    "DailyCredits",
    "RetryPolicy",
    "coql_credits",
]

T = TypeVar("T")

log = logging.getLogger("coqlkit.transport.client")

#: What a call may be sent again after, once it failed. ``"after any failure"``: a read (a
#: 5xx, a lost answer, a connection never made). ``"after an error answer"``: a bulk-read
#: job's creation, which a 5xx answer left undone (Zoho handed back no job) but a lost
#: answer may have done (a job made and charged whose id never came).
Resend = Literal["after any failure", "after an error answer"]


#: Attempts at a call whose connection cannot be made (a server down, a wrong host): about
#: 1.5 s of waiting in all, where five attempts took about 12 s to say what was clear at once.
#: Only until the host has answered the client: a refusal after that is a server that stopped
#: accepting connections mid-read (a restart), and gets the policy's attempts.
REFUSED_ATTEMPTS = 3

#: Attempts at a call that timed out (no answer within the profile's ``timeout``, 120 s by
#: default: a server that took the connection and hangs, or one far too slow). Tried once
#: more, in case one connection was stuck; five attempts made a hung server cost a nightly
#: job about 8x the timeout (16 minutes) before it was told.
TIMEOUT_ATTEMPTS = 2


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: wait ``uniform(0, min(cap, base * 2**attempt))``.

    ``attempts`` bounds the tries of a call that fails (5xx, no answer): at most
    :data:`REFUSED_ATTEMPTS` when no connection could be made to a host that has not answered
    the client yet, :data:`TIMEOUT_ATTEMPTS` when it timed out. A 429 ``TOO_MANY_REQUESTS`` is
    not a failure of the call but a full org: it is tried again (waits growing to
    ``busy_cap``) until ``busy_patience`` seconds have passed with the
    client down to one call at a time and none of its calls answered.
    """

    attempts: int = 5
    base: float = 0.5
    cap: float = 30.0
    busy_patience: float = 60.0
    busy_cap: float = 5.0

    def delay(self, attempt: int, hint: float | None, rng: random.Random) -> float:
        if hint is not None:
            return min(hint, self.cap) + rng.uniform(0, self.base)
        return rng.uniform(0, min(self.cap, self.base * 2**attempt))

    def busy_delay(self, refusals: int, hint: float | None, rng: random.Random) -> float:
        """The wait before a call goes back in line after its ``refusals``-th 429 in a row (with
        none of the client's calls let through meanwhile: while some are, the slots pace it)."""
        if hint is not None:
            return min(hint, self.busy_cap) + rng.uniform(0, self.base)
        return rng.uniform(0, min(self.busy_cap, self.base * 2 ** (refusals - 1)))


@dataclass
class CoqlPage:
    """One COQL answer: its records, whether more match, and what it cost."""

    records: list[dict[str, Any]]
    more_records: bool
    credits: int
    fields: dict[str, Any] | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.records)


_ssl_context: ssl.SSLContext | None = None
_ssl_lock = threading.Lock()


def shared_ssl_context() -> ssl.SSLContext:
    """The process's one SSL context for Zoho's servers, made on first use as httpx makes
    its default (certifi's CAs, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` as set then).

    Loading the certificates takes about 25 ms of CPU, and each client used to do it twice
    (its two ``httpx.AsyncClient``): an async service opening a connection per request
    stalled its event loop some 50 ms each time. A context is safe to share between
    threads and event loops; the later clients pay nothing.

    >>> shared_ssl_context() is shared_ssl_context()
    True
    """
    global _ssl_context
    with _ssl_lock:
        if _ssl_context is None:
            _ssl_context = httpx.create_ssl_context()
        return _ssl_context


class AsyncZohoClient:
    """Zoho CRM's API for one profile, as coqlkit uses it.

    >>> async with AsyncZohoClient(load_settings()) as zoho:        # doctest: +SKIP
    ...     page = await zoho.coql("select Last_Name from Leads where id is not null limit 10")
    """

    def __init__(
        self,
        settings: Settings,
        *,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        seed: int | None = None,
    ) -> None:
        self.settings = settings
        self.retry = retry or RetryPolicy(attempts=settings.retries, busy_patience=settings.busy_patience)
        timeout = httpx.Timeout(settings.timeout, connect=15.0)
        limits = httpx.Limits(
            max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency
        )
        verify = shared_ssl_context() if transport is None else True  # a given transport has its own
        # httpx's own transport reports each request it starts (see _Wire): a mock may not
        self._traced = transport is None or isinstance(transport, httpx.AsyncHTTPTransport)
        self._accounts = httpx.AsyncClient(timeout=timeout, transport=transport, verify=verify)
        self.tokens = Tokens(settings, self._accounts)
        self._http = httpx.AsyncClient(
            auth=ZohoOAuth(self.tokens), timeout=timeout, limits=limits, transport=transport, verify=verify
        )
        self.slots = AdaptiveSlots(settings.concurrency)
        self._rng = random.Random(seed)
        self.budget = CreditBudget(settings.credit_budget) if settings.credit_budget else None
        self.daily = DailyCredits()
        self.credits_used = 0
        # Sent calls whose answers were lost (a dropped connection, a timeout): counted in
        # credits_used, as Zoho may have charged them, though no answer said so.
        self.unanswered_calls = 0
        self.unanswered_credits = 0
        self.credits_remaining: int | None = None  # Zoho's last X-API-CREDITS-REMAINING
        # Calls Zoho received, or may have (as credits_used counts them): one whose
        # connection was never made, or whose body never went out whole, is taken back.
        self.sends = 0
        self.sequence = 0  # every request handed to httpx, in order: orders Zoho's credit figures
        self.retries = 0
        self.throttled = 0  # 429 TOO_MANY_REQUESTS answers
        self.in_flight = 0
        self.most_in_flight = 0
        # How long the last calls took to be answered, in seconds: when a call cancelled
        # after it was sent would have had its answer (see _release_when_answered).
        self._answer_times: deque[float] = deque(maxlen=20)
        self.held_slots = 0  # slots of cancelled calls, held until their answer would have come
        self._last_ok = 0.0  # time.monotonic() of the last answer that was not an error
        self._answered: set[str] = set()  # the origins (scheme://host:port) that answered it
        self._told_domain: str | None = None  # the api_domain last logged as not taken as it was
        # This client's calls in flight in the process-wide count of its org's (the other
        # connections' calls take the org's slots too), and the most the others had in
        # flight at a 429 since one of this client's calls got through (for OrgBusy).
        self._org = OrgCalls((settings.endpoints.api_base, settings.client_id or "", settings.store_key))
        self._busy_others = NONE

    def __repr__(self) -> str:
        return f"<AsyncZohoClient {self.settings.profile or 'env'} {self.api_base} credits_used={self.credits_used}>"

    @property
    def calls(self) -> int:
        """The calls made: those Zoho received or may have (:attr:`sends`). Counted before
        anything was sent, they took in connections never made (a server down: "spent 0
        credits (3 calls)"), and a read cut off by a restart said 24 calls where the server
        logged 11."""
        return self.sends

    @property
    def org_credits_left(self) -> int | None:
        """The credits the org has left today, as far as this client knows: Zoho's last
        figure less the calls sent since (None: Zoho has not said, or said it over five
        minutes ago). A call that would cost more is refused before it is sent."""
        return self.daily.left

    @property
    def api_base(self) -> str:
        """Where CRM calls go: the ``api_domain`` Zoho named in the token response, once known
        (``https://``, or ``http://`` to this machine only: the access token is not sent in
        the clear to a host a token response names; the configured base is used instead).

        In a configured sandbox or developer environment, only the domain's data centre is
        taken, not its environment (:func:`~coqlkit.transport.datacenters.in_environment`):
        a token answered with ``https://www.zohoapis.eu`` sends the calls to
        ``https://sandbox.zohoapis.eu``, never to production; a host that is not one of
        Zoho's API hosts is not taken at all (but this machine's: the local sandbox)."""
        domain = self.tokens.api_domain
        configured = self.settings.endpoints
        if not domain or not (
            domain.startswith("https://") or (domain.startswith("http://") and _local(domain))
        ):
            return configured.api_base
        domain = domain.rstrip("/")
        if configured.environment == "production" or _local(domain):
            return domain
        kept = in_environment(domain, configured.environment) or configured.api_base
        if kept != domain and self._told_domain != domain:
            self._told_domain = domain
            log.info(
                "the token's api_domain %s is not the profile's %s environment: calls go to %s",
                domain,
                configured.environment,
                kept,
            )
        return kept

    @property
    def origin(self) -> str:
        """``scheme://host:port`` of :attr:`api_base`: where CRM calls go, as errors name it."""
        return origin(httpx.URL(self.api_base))

    async def __aenter__(self) -> AsyncZohoClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._accounts.aclose()

    # ---- the calls -------------------------------------------------------------------------

    async def coql(
        self, query: str, *, include_meta: bool = False, budget: CreditBudget | None = None
    ) -> CoqlPage:
        """``POST /crm/v8/coql``: one page of records (an empty page for Zoho's 204)."""
        body: dict[str, Any] = {"select_query": query}
        if include_meta:
            body["include_meta"] = ["fields"]
        credits = coql_credits(query)
        response = await self.request("POST", "/crm/v8/coql", json=body, credits=credits, budget=budget)
        if response.status_code == 204:
            return CoqlPage([], False, credits)
        data = _decoded(response, "POST /crm/v8/coql")
        records, info, fields = data.get("data") or [], data.get("info") or {}, data.get("fields")
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise not_zohos("POST /crm/v8/coql", response, shape="its data is not a list of records")
        if not isinstance(info, dict) or not isinstance(fields, (dict, type(None))):
            raise not_zohos("POST /crm/v8/coql", response, shape="its info or fields is not an object")
        return CoqlPage(records, bool(info.get("more_records")), credits, fields, info)

    async def coql_body(self, query: str, *, budget: CreditBudget | None = None) -> tuple[bytes, int]:
        """``POST /crm/v8/coql``, its answer left undecoded: the body (``b""`` for Zoho's 204)
        and the credits the call cost. For readers that parse pages themselves (the executor
        turns the bytes straight into Arrow, off the event loop)."""
        credits = coql_credits(query)
        response = await self.request(
            "POST", "/crm/v8/coql", json={"select_query": query}, credits=credits, budget=budget
        )
        return (b"" if response.status_code == 204 else response.content), credits

    async def modules(self) -> dict[str, Any]:
        """The body of ``GET /crm/v8/settings/modules``."""
        return await self._json("GET", "/crm/v8/settings/modules") or {"modules": []}

    async def fields(self, module: str) -> dict[str, Any] | None:
        """The body of ``GET /crm/v8/settings/fields?module=...`` (None: Zoho's 204)."""
        return await self._json("GET", "/crm/v8/settings/fields", params={"module": module})

    async def current_user(self) -> dict[str, Any] | None:
        return await self._first("GET", "/crm/v8/users", "users", params={"type": "CurrentUser"})

    async def org(self) -> dict[str, Any] | None:
        return await self._first("GET", "/crm/v8/org", "org")

    async def bulk_read_create(
        self, body: dict[str, Any], *, budget: CreditBudget | None = None
    ) -> dict[str, Any]:
        """``POST /crm/bulk/v8/read``: the new job's ``details`` (``id``, ``state``...).

        Sent again after a 5xx (Zoho handed back no job), not after a lost answer: Zoho may
        have made and charged a job whose id never came (the error's ``details`` then hold
        ``maybe_charged``); whether to make another is the caller's choice."""
        response = await self.request(
            "POST",
            "/crm/bulk/v8/read",
            json=body,
            credits=BULK_CREDITS,
            budget=budget,
            resend="after an error answer",
        )
        items = _decoded(response, "POST /crm/bulk/v8/read").get("data")
        details = items[0].get("details") if _records(items) and len(items) == 1 else None
        if not isinstance(details, dict):  # the job was made (and charged): its id did not come
            raise not_zohos("POST /crm/bulk/v8/read", response, shape="not one job's details")
        return dict(details)

    async def bulk_read_status(self, job_id: str, *, budget: CreditBudget | None = None) -> dict[str, Any]:
        """``GET /crm/bulk/v8/read/{id}``: the job, with its ``result`` once COMPLETED."""
        path = f"/crm/bulk/v8/read/{job_id}"
        response = await self.request("GET", path, budget=budget)
        items = _decoded(response, f"GET {path}").get("data") if response.status_code != 204 else None
        if not _records(items) or not items:
            raise not_zohos(f"GET {path}", response, shape="no job in its data")
        return dict(items[0])

    async def bulk_read_download(
        self, job_id: str, destination: str | os.PathLike[str], *, budget: CreditBudget | None = None
    ) -> Path:
        """``GET /crm/bulk/v8/read/{id}/result`` into ``destination`` (the zip), atomically."""
        target = Path(destination)
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:  # streamed: a 200,000-record zip never sits in memory
                await self.request("GET", f"/crm/bulk/v8/read/{job_id}/result", into=fh, budget=budget)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return target

    # ---- the machinery -----------------------------------------------------------------------

    async def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any] | None:
        response = await self.request(method, path, **kwargs)
        return None if response.status_code == 204 else _decoded(response, f"{method} {path}")

    async def _first(self, method: str, path: str, key: str, **kwargs: Any) -> dict[str, Any] | None:
        """The first of the records under ``key`` in the answer (None: there are none)."""
        response = await self.request(method, path, **kwargs)
        if response.status_code == 204:
            return None
        items = _decoded(response, f"{method} {path}").get(key) or []
        if not _records(items):
            raise not_zohos(f"{method} {path}", response, shape=f"its {key} is not a list of objects")
        return dict(items[0]) if items else None

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        credits: int = 1,
        budget: CreditBudget | None = None,
        resend: Resend = "after any failure",
        into: BinaryIO | None = None,
    ) -> httpx.Response:
        """Send one CRM call (retried, limited, accounted); an error answer raises.

        ``resend``: what the call may be sent again after (:data:`Resend`). ``into``: stream
        the answer's body into this file (rewritten on a retry) instead of reading it into
        memory."""
        budgets = [b for b in (self.budget, budget) if b is not None]
        charge = _Charge(self, budgets, credits, f"{method} {path}")  # refuses here, before anything
        kept = _KeptSlot()
        try:
            return await self._with_retries(
                lambda: self._send(method, path, charge, kept, params=params, json=json, into=into),
                resend=resend,
                what=f"{method} {path}",
                download=_download_limit(method, path),
            )
        except TransportError as exc:
            if resend == "after any failure" or not charge.sent:
                raise
            raise maybe_done(exc, charge.credits) from exc.__cause__  # its answer lost
        finally:
            charge.release()  # what was sent stays spent, even when cancelled: Zoho charges it
            if kept.level is not None:  # timed out, and not tried again
                self.slots.release()

    async def _send(
        self,
        method: str,
        path: str,
        charge: _Charge,
        kept: _KeptSlot,
        *,
        into: BinaryIO | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        if kept.level is None:
            level = await self.slots.acquire()
        else:  # the slot of the attempt that timed out: not back in line behind new calls
            level, kept.level = kept.level, None
        expired = False  # timed out: the slot is kept for a retry
        abandoned_at: float | None = None  # when a request cancelled after it went out was sent
        others: Others | None = None  # the org's calls of the process's other clients, as it went
        try:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                with mapped_transport_errors(f"{method} {path}"):
                    # The URL is built per call: api_base follows Zoho's api_domain once known.
                    await self.tokens.token()
                wire = _Wire(self._traced)
                kwargs["extensions"] = {"trace": wire.trace}
                others = self._org.sent()
                try:
                    with mapped_transport_errors(f"{method} {path}"):
                        sent_at = time.monotonic()
                        charge.send()
                        log.debug("%s %s: sent (%s)", method, path, _credits(charge.credits))
                        if into is None:
                            response = await self._http.request(method, self.api_base + path, **kwargs)
                            self._answer_times.append(time.monotonic() - sent_at)
                        else:
                            response = await self._stream(method, self.api_base + path, into, **kwargs)
                except ApiError as exc:
                    if _never_sent(exc) or wire.unsent:
                        charge.unsent()
                    elif charge.sent:
                        self.unanswered_calls += 1
                        self.unanswered_credits += charge.credits
                    raise
                except BaseException as exc:  # cancelled (a read stopped, Ctrl-C): charged only if it went
                    if wire.unhanded:
                        charge.unsent()
                    elif charge.sent and into is None and isinstance(exc, asyncio.CancelledError):
                        abandoned_at = sent_at
                    raise
            finally:
                self.in_flight -= 1
                if others is not None:
                    self._org.done()
        except ApiError as exc:
            expired = timed_out(exc)  # the call's, or the token endpoint's
            raise
        finally:
            if expired:  # kept for the retry (or given back by request())
                kept.level = level
            elif abandoned_at is not None:
                self._release_when_answered(abandoned_at)
            else:
                self.slots.release()
        # A 2xx that cannot be JSON (a proxy's page, a body cut off): Zoho charged a 200 it
        # sent, and the call is held again for a retry, as after an error answer.
        unreadable = None if into is not None else unreadable_answer(f"{method} {path}", response)
        charge.answered(response, unreadable=unreadable is not None)
        self._answered.add(origin(response.request.url))
        log.debug(  # the path, never the body: a COQL query's values may be personal data
            "%s %s: %d in %.0f ms, %s",
            method,
            path,
            response.status_code,
            (time.monotonic() - sent_at) * 1000,
            _credits(charge.charged),
        )
        if unreadable is not None:
            raise unreadable
        if response.status_code < 400:
            self._last_ok = time.monotonic()
            self._busy_others = NONE
            self.slots.succeeded()
            return response
        error = error_for(response, credits=charge.credits, left=charge.day_left)
        if isinstance(error, DailyLimitReached):
            counted = charge.day_left is not None and charge.day_left < charge.credits
            log.info(
                "%s %s: 429 %s taken as the org's credits for the day spent (%s): not retried",
                method,
                path,
                error.code,
                f"the client's count leaves {max(0, charge.day_left or 0)} of the {charge.credits} it costs"
                if counted
                else "its message says so",
            )
        if _busy(error) and not _download_limit(method, path):
            self.throttled += 1
            self.slots.refused(level)
            self._busy_others = max(self._busy_others, others, self._org.others())
        raise error

    def _release_when_answered(self, sent_at: float) -> None:
        """Give back the slot of a call cancelled after its request went out when its answer
        would have come, not at once: after the 90th percentile of the last answers (at
        most the timeout; the median left some calls out early, the longest let one slow
        answer hold every cancelled call's slot, and the next read waited for it).

        A server finishes a request whose client went away, and counts it against the
        concurrent calls until then (the sandbox does; Zoho's documentation says nothing, and
        holding the slot is the safe side): a slot freed at once let the next call out too
        early, into a 429 that halved the limit for every reader (16 threads, half of them
        closing their readers early: 3 to 5 refusals a burst). The canceller does not wait:
        only the slot is held, by the event loop."""
        delay = 0.0
        if self._answer_times:
            times = sorted(self._answer_times)
            expected = times[int(0.9 * (len(times) - 1))]
            delay = min(expected, self.settings.timeout) - (time.monotonic() - sent_at)
        if delay <= 0:
            self.slots.release()
            return
        self.held_slots += 1

        def release() -> None:
            self.held_slots -= 1
            self.slots.release()

        asyncio.get_running_loop().call_later(delay, release)

    async def _stream(self, method: str, url: str, into: BinaryIO, **kwargs: Any) -> httpx.Response:
        into.seek(0)
        into.truncate()
        async with self._http.stream(method, url, **kwargs) as response:
            if response.status_code >= 400:
                await response.aread()  # an error envelope: small, read for error_for
                return response
            async for chunk in response.aiter_bytes(1 << 20):
                into.write(chunk)
        return response

    async def _with_retries(
        self, call: Callable[[], Awaitable[T]], *, resend: Resend, what: str, download: bool = False
    ) -> T:
        """``call()``, sent again as ``resend`` allows; ``download``: a bulk-read result's, whose
        429 is the downloads-a-minute limit (:func:`_download_limit`), left to the caller."""
        failures = Failures()  # 5xx, no answer
        streak = 0  # 429 TOO_MANY_REQUESTS to this call since one of the client's got through
        refused_since = refused_at = 0.0
        while True:
            try:
                return await call()
            except ApiError as exc:
                if _busy(exc) and not download:
                    # Zoho ran nothing: wait for a slot again, at the lowered level
                    now = time.monotonic()
                    if not streak or self._last_ok > refused_at:  # others got through since: afresh
                        streak, refused_since = 0, now
                    streak, refused_at = streak + 1, now
                    if self.slots.allowed == 1 and now - refused_since >= self.retry.busy_patience:
                        raise OrgBusy(
                            "the org is busy: other integrations hold its concurrent-call slots "
                            f"(Zoho answered 429 TOO_MANY_REQUESTS {streak} times in "
                            f"{now - refused_since:.1f} s and let no call through, even one at a "
                            f"time){_own_connections(self._busy_others)}; the refused calls cost "
                            "no credits: try again later (or wait longer: the profile's "
                            "busy_patience, COQLKIT_BUSY_PATIENCE). Zoho answers the same 429 "
                            "when the org's credits for the day are spent, by any integration: "
                            f"if {_nothing_else(self._busy_others)}, that may be it",
                            code=exc.code,
                            status=exc.status,
                            details=exc.details,
                        ) from exc
                    self.retries += 1
                    hint = exc.retry_after if isinstance(exc, RateLimited) else None
                    wait = self.retry.busy_delay(streak, hint, self._rng)
                    # Routine while the slots adapt: said at INFO from the third refusal in a row.
                    (log.info if streak >= 3 else log.debug)(
                        "%s: 429 %s, the org's concurrent-call slots are taken (refused %s in a "
                        "row); back in line in %.2f s, %d call%s at once",
                        what,
                        exc.code,
                        times(streak),
                        wait,
                        self.slots.allowed,
                        "" if self.slots.allowed == 1 else "s",
                    )
                    await asyncio.sleep(wait)
                    continue
                failures.add(exc)
                attempt, attempts = failures.attempts, self.retry.attempts
                stopped = refused(exc) and exc.details.get("host") in self._answered
                if refused(exc) and not stopped:  # nothing has listened there: rarely a blip
                    attempts = min(attempts, REFUSED_ATTEMPTS)
                elif timed_out(exc):  # each try waited the whole timeout: once more at most
                    attempts = min(attempts, TIMEOUT_ATTEMPTS)
                if attempt >= attempts or not _retryable(exc, resend):
                    ran_out = _retryable(exc, resend)
                    error = failures.error(exc, what, self.api_base, ran_out=ran_out, stopped=stopped)
                    if error is exc:
                        raise
                    # chained to httpx's error for a network fault (it tells which), else to Zoho's
                    raise error from (exc.__cause__ if isinstance(error, TransportError) else exc)
                hint = exc.retry_after if isinstance(exc, RateLimited) else None
                self.retries += 1
                wait = self.retry.delay(attempt, hint, self._rng)
                log.info(
                    "%s: attempt %d of %d failed (%s); sent again in %.2f s",
                    what,
                    attempt,
                    attempts,
                    _why(exc),
                    wait,
                )
                await asyncio.sleep(wait)


def _own_connections(others: Others) -> str:
    """What an OrgBusy says of the process's other connections to the org that had calls in
    flight while Zoho refused this one's (nothing, when none had)."""
    if not others.calls:
        return ""
    return (
        f", or this process's own other coqlkit connections do: {others.clients} of them, to the "
        f"same org, had {others.calls} call{'s' if others.calls != 1 else ''} in flight while Zoho "
        f"refused this one's (each connection has its own concurrency, each pooled connection of "
        "an SQLAlchemy engine too: lower the engine's pool_size, or the concurrency of each "
        "connection, so that their sum stays under the org's limit)"
    )


def _nothing_else(others: Others) -> str:
    if others.calls:
        return "it goes on once this process's other connections are idle"
    return "nothing else runs"


def _local(url: str) -> bool:
    try:
        return this_machine(urlsplit(url).hostname or "")
    except ValueError:
        return False


#: A request body a socket takes whole at once (Linux's default send buffer): one cancelled
#: after its writing began went out whole. A bigger one may have been cut off by the
#: cancellation, the rest discarded: Zoho then never had it all.
WHOLE_AT_ONCE = 16 * 1024


class _Wire:
    """What httpx says of one attempt's request (its ``trace`` extension): whether it was
    handed to the socket, and whether its body was written whole.

    A call that failed (a network error) before its body was written whole never reached
    Zoho whole, which charges only what it receives. A call *cancelled* may have: the bytes
    go to the socket, then the cancellation lands at the await after them, and httpx
    reports the sending failed (a page cancelled so was run and charged by the sandbox,
    and was not counted). So a cancelled call counts once it was handed over: its headers
    when it has no body, its body when that is small (:data:`WHOLE_AT_ONCE`); one cancelled
    before (waiting for a free connection of the pool, connecting, in TLS, between its
    headers and its body) never reached Zoho.

    ``traces``: the transport reports on every request it starts (httpx's own, which the
    client uses unless given another): no report at all is then a request not begun (one
    cancelled in the pool's queue was counted as charged, the sandbox never saw it).
    Another transport (a mock) may report nothing: a request is then taken as sent unless
    a report says otherwise."""

    __slots__ = ("body_sent", "handed", "size", "traced", "traces")

    def __init__(self, traces: bool) -> None:
        self.traces = traces
        self.traced = False  # httpx reported on this attempt
        self.size = 0  # the body's bytes (its Content-Length)
        self.handed = False  # all of it handed to the socket (or about to be)
        self.body_sent = False

    async def trace(self, event: str, info: dict[str, Any]) -> None:
        self.traced = True
        if event.endswith(".send_request_headers.started"):
            self.size = _content_length(info.get("request"))
            self.handed = self.size == 0
        elif event.endswith(".send_request_body.started"):
            self.handed = self.size <= WHOLE_AT_ONCE
        elif event.endswith(".send_request_body.complete"):
            self.body_sent = True

    @property
    def unsent(self) -> bool:
        """A failed attempt known not to have reached Zoho whole."""
        return (self.traces or self.traced) and not self.body_sent

    @property
    def unhanded(self) -> bool:
        """A cancelled attempt known not to have reached Zoho whole."""
        return (self.traces or self.traced) and not (self.handed or self.body_sent)


def _content_length(request: Any) -> int:
    """The body's size by the Content-Length of httpcore's request (0: none, or not said)."""
    for name, value in getattr(request, "headers", ()):
        if name.lower() == b"content-length" and value.isdigit():
            return int(value)
    return 0


def _never_sent(exc: ApiError) -> bool:
    """The call did not reach Zoho: no connection was made, or the token endpoint refused
    to renew the token after Zoho answered 401 (a call it did not charge)."""
    if isinstance(exc, TransportError):
        return isinstance(exc.__cause__, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
    return True


def _download_limit(method: str, path: str) -> bool:
    """Whether a 429 ``TOO_MANY_REQUESTS`` to ``method path`` is Zoho's limit of bulk-read
    downloads ("10 requests for download ... for a one-minute interval"), not the org's
    concurrent-call slots: the download of a job's result. Its caller waits it out
    (:mod:`coqlkit.execute.bulk`); the slots of the client's other calls stay as they are.

    >>> _download_limit("GET", "/crm/bulk/v8/read/5550001/result"), _download_limit("GET", "/crm/bulk/v8/read/5550001")
    (True, False)
    """
    return method == "GET" and path.startswith("/crm/bulk/") and path.endswith("/result")


def _busy(exc: ApiError) -> bool:
    """429 ``TOO_MANY_REQUESTS``: the org's concurrent-call slots are taken. Not the day's
    credits spent (``LIMIT_REACHED``, or the same 429 saying so: :class:`DailyLimitReached`),
    which will not pass by waiting."""
    return (
        isinstance(exc, RateLimited)
        and not isinstance(exc, DailyLimitReached)
        and exc.code == "TOO_MANY_REQUESTS"
        and exc.status == 429
    )


def _retryable(exc: ApiError, resend: Resend) -> bool:
    """5xx and network failures, as ``resend`` allows (429s: see ``_busy``). A call sent
    again only after an error answer (a bulk-read job's creation) is sent again after
    Zoho's own 500 or 503 alone: a gateway's 502 or 504 may come after Zoho did the work."""
    if isinstance(exc, TransportError):
        if exc.code == UNREADABLE:  # cut off: sent again as a dropped answer is; a proxy's page: not
            return resend == "after any failure" and bool(exc.details.get("cut_off"))
        return resend == "after any failure" or isinstance(exc.__cause__, httpx.ConnectError)
    if resend == "after an error answer":
        return server_fault(exc) and exc.status in (500, 503)
    return server_fault(exc)


def _decoded(response: httpx.Response, what: str) -> dict[str, Any]:
    """A 2xx answer's JSON object: its error says which call, where, and why it is not one
    (a body that passed the first and last byte check of the call and still fails)."""
    try:
        data = response.json()
    except ValueError as exc:  # JSONDecodeError, or a UnicodeDecodeError
        raise not_zohos(what, response, exc) from exc
    if not isinstance(data, dict):
        raise not_zohos(what, response, shape=f"a JSON {_JSON_TYPES.get(type(data), 'value')}, not an object")
    return data


_JSON_TYPES = {
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def _records(items: Any) -> TypeGuard[list[dict[str, Any]]]:
    """Whether ``items`` is a list of JSON objects (Zoho's ``data``, ``users``, ``org``...)."""
    return isinstance(items, list) and all(isinstance(i, dict) for i in items)


def _credits(n: int) -> str:
    return f"{n} credit{'s' if n != 1 else ''}"


def _why(exc: ApiError) -> str:
    """What failed, for a log: Zoho's status and code, or the network error's class (never
    the message: Zoho's may quote the query's values)."""
    if isinstance(exc, TransportError) and exc.__cause__ is not None:
        return f"{exc.code}: {type(exc.__cause__).__name__}"
    return f"{exc.status} {exc.code}" if exc.status else str(exc.code)
