"""The client: every call coqlkit makes to Zoho, with OAuth, retries, a concurrency limit and credits.

``AsyncZohoClient`` is the real thing (one ``httpx.AsyncClient``, one connection pool, per
profile); :class:`~coqlkit.transport.sync.ZohoClient` is its synchronous twin.

- **Retries**: 429 ``TOO_MANY_REQUESTS``, 5xx and dropped or refused connections are retried
  with exponential backoff and full jitter (a ``Retry-After`` hint wins), reads only: a
  bulk-read job is created again only when the first attempt never reached the server.
- **Concurrency**: never more calls in flight than ``settings.concurrency``.
- **Credits**: a call's cost (COQL 1-3 by its LIMIT, bulk read 50 a job, other calls 1) is
  reserved on the budget (the profile's ``credit_budget``, or one passed per call) before
  the call waits for a slot, so calls queued and in flight count and concurrent calls
  cannot pass the budget; it adds to ``credits_used`` when the request is sent, as Zoho
  charges a call it received even if the caller is cancelled or the answer is lost; when
  the answer comes, both follow the server's figure (``X-API-CREDITS-CHARGED`` when sent;
  an error answer without it costs nothing). ``credits_remaining`` follows the server's
  header.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import httpx

from coqlkit.errors import ApiError, CreditBudgetExceeded, RateLimited, TransportError, ZohoApiError
from coqlkit.transport._errors import error_for, mapped_transport_errors
from coqlkit.transport.auth import Tokens, ZohoOAuth
from coqlkit.transport.config import Settings

__all__ = ["AsyncZohoClient", "CoqlPage", "CreditBudget", "RetryPolicy", "coql_credits"]

T = TypeVar("T")
BULK_CREDITS = 50  # "Bulk Read Initialize" (reference §9; UNVERIFIED for CRM v8)
_LIMIT = re.compile(r"\blimit\s+(\d+)(?:\s*,\s*(\d+))?(?:\s+offset\s+\d+)?\s*;?\s*$", re.I)


def coql_credits(query: str) -> int:
    """What a COQL call costs, by its LIMIT: 1 (up to 200 rows), 2 (1,000), 3 (2,000).

    >>> coql_credits("select id from Leads where id is not null"), coql_credits("... limit 500 offset 10")
    (1, 2)
    """
    m = _LIMIT.search(query)
    rows = 200 if m is None else int(m.group(2) or m.group(1))
    return 1 if rows <= 200 else 2 if rows <= 1000 else 3


@dataclass
class CreditBudget:
    """Credits a piece of work may spend; :meth:`reserve` refuses before anything is sent."""

    limit: int
    spent: int = 0

    @property
    def left(self) -> int:
        return self.limit - self.spent

    def reserve(self, credits: int, what: str = "this call") -> None:
        if credits > self.left:
            raise CreditBudgetExceeded(
                f"{what} would cost {credits} credits; the budget has {self.left} of {self.limit} left",
                needed=credits,
                left=self.left,
            )
        self.spent += credits

    def refund(self, credits: int) -> None:
        self.spent = max(0, self.spent - credits)

    def correct(self, credits: int) -> None:
        """A sent call cost ``credits`` more (or, negative, fewer) than it reserved: Zoho has
        charged it, so this may take the budget past its limit."""
        self.spent = max(0, self.spent + credits)


class _Charge:
    """The credits of one call, from the moment it is asked for to Zoho's answer.

    Held on the budgets from the start (a call waiting for a slot counts); spent, and
    counted in the client's ``credits_used``, when its request is sent; settled to the
    server's figure when an answer comes; given back when the request never left (a
    connection that could not be made) or the call ends before sending it.
    """

    def __init__(self, client: AsyncZohoClient, budgets: list[CreditBudget], credits: int, what: str) -> None:
        self.client, self.budgets, self.credits, self.what = client, budgets, credits, what
        self.held = False  # reserved on the budgets, not sent
        self.sent = False  # sent, its answer not in
        self._hold()

    def _hold(self) -> None:
        reserved: list[CreditBudget] = []
        try:
            for b in self.budgets:  # all or none
                b.reserve(self.credits, self.what)
                reserved.append(b)
        except CreditBudgetExceeded:
            for b in reserved:
                b.refund(self.credits)
            raise
        self.held = True

    def send(self) -> None:
        """The request is about to go: from now on Zoho may charge it."""
        if not self.held:  # a retry after an attempt whose answer was lost (and maybe charged)
            self._hold()
        self.held, self.sent = False, True
        self.client.credits_used += self.credits

    def unsent(self) -> None:
        """The request never reached Zoho (no connection, or refused before the call): nothing spent."""
        if self.sent:
            self.sent, self.held = False, True
            self.client.credits_used -= self.credits

    def answered(self, response: httpx.Response) -> None:
        """Zoho answered: what it charged, by its header, else the estimate (an error: nothing)."""
        if not self.sent:
            return
        ok = response.status_code < 400
        charged = _header_int(response, "x-api-credits-charged")
        if charged is None:
            charged = self.credits if ok else 0
        self.sent = False
        if ok:
            self.client.credits_used += charged - self.credits
            for b in self.budgets:
                b.correct(charged - self.credits)
        else:  # held again for a retry (given back if none follows), plus anything charged
            self.held = True
            self.client.credits_used += charged - self.credits
            for b in self.budgets:
                b.correct(charged)
        remaining = _header_int(response, "x-api-credits-remaining")
        if remaining is not None:
            self.client.credits_remaining = remaining

    def release(self) -> None:
        """The call is over: give back a reservation that was never sent."""
        if self.held:
            self.held = False
            for b in self.budgets:
                b.refund(self.credits)


def _header_int(response: httpx.Response, name: str) -> int | None:
    raw = response.headers.get(name)
    return int(raw) if raw is not None and raw.strip().lstrip("-").isdigit() else None


#: Attempts at a call whose connection cannot be made (a server down, a wrong host): about
#: 1.5 s of waiting in all, where five attempts took about 12 s to say what was clear at once.
REFUSED_ATTEMPTS = 3


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: wait ``uniform(0, min(cap, base * 2**attempt))``."""

    attempts: int = 5
    base: float = 0.5
    cap: float = 30.0

    def delay(self, attempt: int, hint: float | None, rng: random.Random) -> float:
        if hint is not None:
            return min(hint, self.cap) + rng.uniform(0, self.base)
        return rng.uniform(0, min(self.cap, self.base * 2**attempt))


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
        self.retry = retry or RetryPolicy(attempts=settings.retries)
        timeout = httpx.Timeout(settings.timeout, connect=15.0)
        limits = httpx.Limits(
            max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency
        )
        self._accounts = httpx.AsyncClient(timeout=timeout, transport=transport)
        self.tokens = Tokens(settings, self._accounts)
        self._http = httpx.AsyncClient(
            auth=ZohoOAuth(self.tokens), timeout=timeout, limits=limits, transport=transport
        )
        self._slots: asyncio.Semaphore | None = None
        self._rng = random.Random(seed)
        self.budget = CreditBudget(settings.credit_budget) if settings.credit_budget else None
        self.credits_used = 0
        self.credits_remaining: int | None = None
        self.calls = 0
        self.retries = 0
        self.in_flight = 0
        self.most_in_flight = 0

    def __repr__(self) -> str:
        return f"<AsyncZohoClient {self.settings.profile or 'env'} {self.api_base} credits_used={self.credits_used}>"

    @property
    def api_base(self) -> str:
        """Where CRM calls go: the ``api_domain`` Zoho named in the token response, once known."""
        domain = self.tokens.api_domain
        if domain and domain.startswith(("https://", "http://")):
            return domain.rstrip("/")
        return self.settings.endpoints.api_base

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
        data = response.json()
        info = data.get("info") or {}
        return CoqlPage(
            list(data.get("data") or ()), bool(info.get("more_records")), credits, data.get("fields"), info
        )

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
        body = await self._json("GET", "/crm/v8/users", params={"type": "CurrentUser"})
        users = (body or {}).get("users") or []
        return dict(users[0]) if users else None

    async def org(self) -> dict[str, Any] | None:
        body = await self._json("GET", "/crm/v8/org")
        orgs = (body or {}).get("org") or []
        return dict(orgs[0]) if orgs else None

    async def bulk_read_create(
        self, body: dict[str, Any], *, budget: CreditBudget | None = None
    ) -> dict[str, Any]:
        """``POST /crm/bulk/v8/read``: the new job's ``details`` (``id``, ``state``...)."""
        response = await self.request(
            "POST", "/crm/bulk/v8/read", json=body, credits=BULK_CREDITS, budget=budget, idempotent=False
        )
        (item,) = response.json()["data"]
        return dict(item["details"])

    async def bulk_read_status(self, job_id: str) -> dict[str, Any]:
        """``GET /crm/bulk/v8/read/{id}``: the job, with its ``result`` once COMPLETED."""
        body = await self._json("GET", f"/crm/bulk/v8/read/{job_id}")
        return dict((body or {})["data"][0])

    async def bulk_read_download(self, job_id: str, destination: str | os.PathLike[str]) -> Path:
        """``GET /crm/bulk/v8/read/{id}/result`` into ``destination`` (the zip), atomically."""
        target = Path(destination)
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:  # streamed: a 200,000-record zip never sits in memory
                await self.request("GET", f"/crm/bulk/v8/read/{job_id}/result", into=fh)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return target

    # ---- the machinery -----------------------------------------------------------------------

    async def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any] | None:
        response = await self.request(method, path, **kwargs)
        return None if response.status_code == 204 else dict(response.json())

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        credits: int = 1,
        budget: CreditBudget | None = None,
        idempotent: bool = True,
        into: BinaryIO | None = None,
    ) -> httpx.Response:
        """Send one CRM call (retried, limited, accounted); an error answer raises.

        ``into``: stream the answer's body into this file (rewritten on a retry) instead of
        reading it into memory."""
        budgets = [b for b in (self.budget, budget) if b is not None]
        charge = _Charge(self, budgets, credits, f"{method} {path}")  # refuses here, before anything
        try:
            return await self._with_retries(
                lambda: self._send(method, path, charge, params=params, json=json, into=into),
                idempotent=idempotent,
            )
        finally:
            charge.release()  # what was sent stays spent, even when cancelled: Zoho charges it

    async def _send(
        self, method: str, path: str, charge: _Charge, *, into: BinaryIO | None = None, **kwargs: Any
    ) -> httpx.Response:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.settings.concurrency)
        async with self._slots:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                self.calls += 1
                with mapped_transport_errors(f"{method} {path}"):
                    # The URL is built per call: api_base follows Zoho's api_domain once known.
                    await self.tokens.token()
                try:
                    with mapped_transport_errors(f"{method} {path}"):
                        charge.send()
                        if into is None:
                            response = await self._http.request(method, self.api_base + path, **kwargs)
                        else:
                            response = await self._stream(method, self.api_base + path, into, **kwargs)
                except ApiError as exc:
                    if _never_sent(exc):
                        charge.unsent()
                    raise
            finally:
                self.in_flight -= 1
        charge.answered(response)
        if response.status_code >= 400:
            raise error_for(response)
        return response

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

    async def _with_retries(self, call: Callable[[], Awaitable[T]], *, idempotent: bool) -> T:
        attempt = 0
        while True:
            try:
                return await call()
            except ApiError as exc:
                attempt += 1
                attempts = self.retry.attempts
                if _refused(exc):  # nothing listens there: rarely a blip, so give up sooner
                    attempts = min(attempts, REFUSED_ATTEMPTS)
                if attempt >= attempts or not _retryable(exc, idempotent):
                    raise
                hint = exc.retry_after if isinstance(exc, RateLimited) else None
                self.retries += 1
                await asyncio.sleep(self.retry.delay(attempt, hint, self._rng))


def _never_sent(exc: ApiError) -> bool:
    """The call did not reach Zoho: no connection was made, or the token endpoint refused
    to renew the token after Zoho answered 401 (a call it did not charge)."""
    if isinstance(exc, TransportError):
        return isinstance(exc.__cause__, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
    return True


def _refused(exc: ApiError) -> bool:
    """The connection could not be made (refused, no such host): not one answer came."""
    return isinstance(exc, TransportError) and isinstance(exc.__cause__, httpx.ConnectError)


def _retryable(exc: ApiError, idempotent: bool) -> bool:
    """429 for concurrency, 5xx and network failures; a write only if it never left."""
    if isinstance(exc, TransportError):
        return idempotent or isinstance(exc.__cause__, httpx.ConnectError)
    if not idempotent:
        return False
    if isinstance(exc, RateLimited):
        return exc.code == "TOO_MANY_REQUESTS"  # LIMIT_REACHED (no credits left today) will not pass
    return isinstance(exc, ZohoApiError) and (exc.status or 0) >= 500
