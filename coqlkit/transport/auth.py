"""OAuth for Zoho: the token endpoint's grants, and an ``httpx.Auth`` flow that refreshes once.

:class:`Tokens` holds the access token of one client. It refreshes a minute before expiry
and when Zoho answers ``INVALID_TOKEN``, **single-flight**: however many calls find the token
stale at once, one refresh runs and the rest wait for it. Across processes too, where the
token store can lock (the token file): the refresh holds its lock, and a process that waited
for it reads the store again and takes the token the other one got, if it is fresh and not
the one Zoho refused. :class:`ZohoOAuth` is the
``httpx.Auth`` flow that puts ``Authorization: Zoho-oauthtoken ...`` on each request and,
on an ``INVALID_TOKEN`` answer, refreshes and sends the request once more.

A client whose refresh token (and client secret) came from the token store follows the
profile's logins while it runs, as a new process would: before each refresh it reads the
store again and takes a newer login (``coqlkit auth login`` of the same profile, for the
same client and accounts server), with the access token the login cached; and when Zoho
refuses the refresh token (``invalid_code``: revoked, logged out) or the client secret
(``invalid_client``), it reads the store again and, if a newer login is there, asks once
more with it. A long-running service then recovers from a logout and a new login without a
restart. A secret given by a ``ZOHO_*`` variable is never replaced by the store's.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import time
import warnings
from collections.abc import AsyncGenerator, AsyncIterator, Generator
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import httpx

from coqlkit.errors import AuthError, ConfigError, CoqlWarning, TransportError
from coqlkit.transport._errors import detached, envelope, transport_error, unreadable_answer
from coqlkit.transport.config import Settings
from coqlkit.transport.secrets import MemoryTokenStore, Secret, TokenStore, update_record

__all__ = ["Tokens", "ZohoOAuth", "credentials_mark", "exchange_code", "revoke_token"]

log = logging.getLogger("coqlkit.transport.auth")

EARLY = 60.0  # refresh this many seconds before Zoho's expiry (a tenth of a shorter life)
#: How long a process waits for another's refresh before it asks Zoho itself (a refresh
#: takes well under a second; one that hangs must not stop every process on the machine).
REFRESH_WAIT = 30.0


def credentials_mark(
    client_id: str | None,
    client_secret: Secret | None,
    refresh_token: Secret | None,
    *,
    salt: str | None = None,
) -> str:
    """``salt:digest``, kept beside a cached access token: which credentials got it.

    The digest is an HMAC-SHA256 of the client id, the client secret and the refresh token,
    keyed with a random salt of its own. It tells two sets of credentials apart and says
    nothing else: the secrets are long and random, so it cannot be turned back into them,
    and the salt makes the same refresh token leave a different mark on every token, so
    the mark cannot be matched against one seen elsewhere.
    """
    salt = salt if salt is not None else secrets.token_hex(16)
    material = json.dumps(
        [
            client_id or "",
            client_secret.reveal() if client_secret else "",
            refresh_token.reveal() if refresh_token else "",
        ]
    )
    digest = hmac.new(salt.encode(), material.encode(), hashlib.sha256).hexdigest()
    return f"{salt}:{digest}"


def _marked_by(mark: object, settings: Settings) -> bool:
    """Whether ``mark`` (from the token store) was made from ``settings``' credentials."""
    if not isinstance(mark, str) or ":" not in mark:
        return False  # a token cached before marks existed, or by no one knows whom
    salt = mark.split(":", 1)[0]
    expected = credentials_mark(settings.client_id, settings.client_secret, settings.refresh_token, salt=salt)
    return hmac.compare_digest(mark, expected)


class Tokens:
    """The access token of one client (a profile), refreshed single-flight.

    :attr:`settings` are the client's settings with the credentials it uses now: those it
    was made with, or a newer login of the profile taken from the token store since."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self._http = http  # for the accounts server: no auth flow, no CRM limiter
        self._lock: asyncio.Lock | None = None
        self.access: Secret | None = None
        self.expires_at = 0.0
        self.early = EARLY
        self.api_domain: str | None = None
        self.refreshes = 0
        self.logins_taken = 0  # newer logins of the profile taken from the token store
        self._refused: Secret | None = None  # the token Zoho last said INVALID_TOKEN to
        self._refused_login: Secret | None = None  # the refresh token Zoho last refused
        record = _record(settings)
        # The secrets that came from the token store (or from nowhere): a new `auth login`
        # replaces them there, and this client follows; a ZOHO_* variable's stays as given.
        self._follows = _from_store(record, settings)
        if self._adopt_cached(record):
            log.debug(
                "access token from the token store, good for %.0f s more", self.expires_at - time.time()
            )

    def __repr__(self) -> str:
        state = "fresh" if self.valid() else "stale"
        return f"<Tokens {self.settings.profile or 'env'}: {state}, {self.refreshes} refreshes>"

    def valid(self) -> bool:
        return self.access is not None and self.expires_at - self.early > time.time()

    async def token(self) -> Secret:
        """A live access token; refreshes (once, however many ask) when it is stale."""
        if self.valid():
            assert self.access is not None
            return self.access
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not self.valid():  # someone else may have refreshed while we waited
                async with _one_process_at_a_time(self.settings.store, self.settings.store_key):
                    record = _record(self.settings)  # one look: a newer login, another's token
                    self._follow_login(record)
                    if self._adopt_cached(record):  # another process refreshed while we waited
                        log.info("access token from the token store: another process refreshed it")
                    else:
                        await self._refresh()
            assert self.access is not None
            return self.access

    async def invalidate(self, stale: Secret) -> None:
        """Zoho said ``stale`` is no good: drop it, unless another call already replaced it
        (and never take it from the token store again)."""
        self._refused = stale
        if self.access == stale:
            self.access = None
            self.expires_at = 0.0

    def _adopt_cached(self, record: dict[str, Any] | None) -> bool:
        """Take the token store's access token (``record``: the client's record in it, as
        :func:`_record` read it), when another process cached a fresh one got the same way
        (:func:`_cached`) and it is not the one Zoho refused, nor the one this client already
        holds and found stale."""
        found = _cached(record, self.settings)
        if found is None or found[0] in (self._refused, self.access):
            return False
        self.access, self.expires_at, self.api_domain, self.early = found
        return True

    def _follow_login(self, record: dict[str, Any] | None) -> None:
        """Before a refresh: take a newer login of the profile from the token store, when
        its record says it was made for this client (its credentials mark), so that a
        process that runs for days uses the profile as a new one would."""
        _, newer = self._look_again(record, marked=True)
        if newer is not None:
            self._take(newer, "before refreshing the access token")

    def _look_again(self, record: dict[str, Any] | None, *, marked: bool) -> tuple[str, Settings | None]:
        """What the token store's ``record`` holds for this client's credentials, and the
        settings of a newer login to take (None: none to take).

        What it holds: ``not followed`` (the refresh token did not come from the store),
        ``unreadable``, ``gone`` (no refresh token: logged out), ``same`` (the one in use),
        ``refused`` (one Zoho refused before), ``elsewhere`` (a login for another accounts
        server: its secrets are not sent here), ``unmarked`` (not marked as made for this
        client id, which ``marked`` asks for) or ``newer``."""
        s = self.settings
        if "refresh_token" not in self._follows:
            return "not followed", None
        if record is None:
            return "unreadable", None
        stored = {k: Secret(str(record[k])) for k in self._follows if record.get(k)}
        if "refresh_token" not in stored:
            return "gone", None
        changed = {k: v for k, v in stored.items() if v != getattr(s, k)}
        if "refresh_token" not in changed:
            return "same", None  # (a client secret changed alone is not a login's)
        if changed["refresh_token"] == self._refused_login:
            return "refused", None
        if record.get("accounts") not in (None, s.endpoints.accounts):
            return "elsewhere", None
        newer = replace(
            s,
            client_secret=changed.get("client_secret", s.client_secret),
            refresh_token=changed["refresh_token"],
        )
        if marked and not _marked_by(record.get("credentials"), newer):
            return "unmarked", None
        return "newer", newer

    def _take(self, newer: Settings, when: str) -> None:
        """Use ``newer``'s credentials from now on (the log names the profile, never a secret)."""
        self.settings = newer
        self.logins_taken += 1
        self.access, self.expires_at = None, 0.0  # got with the previous login
        log.info(
            "%s: the token store holds a newer login of %s (`coqlkit auth login`) than this client "
            "started with: using it from now on",
            when,
            f"profile {newer.profile!r}" if newer.profile else "these credentials",
        )

    async def _refresh(self) -> None:
        s = self.settings
        if not s.client_id or not s.client_secret:
            raise ConfigError(self._no_secret())
        grant = _grant(s)  # a local of the frame that raises: masked in a traceback with locals
        status, body = await _post(self._http, s.endpoints.token_url, grant, _NO_ANSWER)
        found = None  # what the token store held when Zoho refused the refresh token
        if s.refresh_token and _refusal(status, body) in _STALE_LOGIN:
            # Revoked or logged out; perhaps logged in again since this client read the
            # store: read it again, and ask once more with a newer login there (never loop).
            self._refused_login = s.refresh_token
            record = _record(s)
            found, newer = self._look_again(record, marked=False)
            if newer is not None:
                self._take(newer, f"Zoho refused the token request ({_refusal(status, body)})")
                if self._adopt_cached(record):  # the access token the login got
                    return
                s, grant = newer, _grant(newer)
                status, body = await _post(self._http, s.endpoints.token_url, grant, _NO_ANSWER)
                if _refusal(status, body) is not None:
                    found, self._refused_login = "newer refused", s.refresh_token
        hints = {}
        if s.refresh_token:
            throttled = _throttled(s)
            hints = {
                "invalid_code": _refused_refresh(s, found),
                "Access Denied": throttled,
                "access_denied": throttled,
            }
            if found in ("newer refused", "elsewhere"):
                hints["invalid_client"] = _refused_client(s, found)
        error = _refusal_error(status, body, hints)
        if error is not None:
            raise error
        self._got(body)

    def _no_secret(self) -> str:
        """Why there is nothing to get a token with, and what to do."""
        s = self.settings
        if s.client_id and s.profile and "client_secret" in self._follows:
            return (
                f"no client secret to get a token with: the token store holds none for profile "
                f"{s.profile!r} (logged out, or never logged in): run `coqlkit auth login --profile "
                f"{s.profile}` (a process that runs takes the new login at its next call, with no restart)"
            )
        return "no client id or secret to get a token with: run `coqlkit auth login`"

    def _got(self, body: dict[str, Any]) -> None:
        """Keep the access token of the token endpoint's ``body``."""
        s = self.settings
        self.refreshes += 1
        self.access = body["access_token"]
        life = float(body.get("expires_in", 3600))
        self.early = min(EARLY, life / 10)
        self.expires_at = time.time() + life
        self.api_domain = body.get("api_domain") or self.api_domain
        log.info(  # never the token: its grant, its life, where Zoho says the org's API is
            "access token refreshed (%s grant, good for %.0f s; api_domain %s)",
            "refresh_token" if s.refresh_token else "client_credentials",
            life,
            self.api_domain or "not given",
        )
        self._keep()

    def _keep(self) -> None:
        """Cache the token for the next process, best-effort: a store that cannot be written
        (a read-only home, a broken token file) is a warning, once, and the work goes on."""
        s = self.settings
        if s.store is None or self.access is None:
            return
        problem = None
        try:
            update_record(
                s.store,
                s.store_key,
                {
                    "access_token": self.access.reveal(),
                    "expires_at": self.expires_at,
                    "early": self.early,  # a tenth of a life shorter than 10 minutes
                    "api_domain": self.api_domain,
                    "accounts": s.endpoints.accounts,
                    "credentials": credentials_mark(s.client_id, s.client_secret, s.refresh_token),
                },
            )
        except (ConfigError, OSError) as exc:  # OSError: a store of the caller's own
            problem = str(exc)
        if problem is not None:  # warned out here: a warning made an error chains nothing
            _cache_trouble(s.store, problem)


#: Zoho's refusals of a refresh that a newer login in the token store may cure: the refresh
#: token revoked or logged out (``invalid_code``), the client secret made anew (``invalid_client``).
_STALE_LOGIN = ("invalid_code", "invalid_client")
#: The secrets a login keeps in the token store, which a running client follows.
_LOGIN_KEYS = ("client_secret", "refresh_token")
_NO_ANSWER = "the token endpoint did not answer"


def _grant(s: Settings) -> _Form:
    """The form that asks for an access token with ``s``' credentials."""
    assert s.client_id and s.client_secret
    if s.refresh_token:
        return _Form(
            client_id=s.client_id,
            client_secret=s.client_secret,
            grant_type="refresh_token",
            refresh_token=s.refresh_token,
        )
    return _Form(  # a self client without a refresh token: the client-credentials grant
        client_id=s.client_id,
        client_secret=s.client_secret,
        grant_type="client_credentials",
        scope=s.scopes,
    )


def _from_store(record: dict[str, Any] | None, settings: Settings) -> frozenset[str]:
    """The secrets of ``settings`` that are the token store's (``record``), or that nothing
    gave: those a running client takes anew when a login replaces them there."""
    if settings.store is None:
        return frozenset()
    record = record or {}
    return frozenset(
        key
        for key in _LOGIN_KEYS
        if getattr(settings, key) is None
        or (record.get(key) and Secret(str(record[key])) == getattr(settings, key))
    )


#: The stores the token cache has warned about (``repr``): once each per process.
_TOLD: set[str] = set()


def _cache_trouble(store: TokenStore, problem: str) -> None:
    if repr(store) in _TOLD:
        return
    _TOLD.add(repr(store))
    warnings.warn(
        f"the access token is not cached, so the next run asks Zoho for a new one: {problem} "
        "(COQLKIT_TOKEN_STORE=memory keeps nothing on disk)",
        CoqlWarning,
        stacklevel=3,
    )


def _record(settings: Settings) -> dict[str, Any] | None:
    """The client's record in the token store (empty: none there); None when there is no
    store, or it cannot be read (a warning, once: the store is a cache here)."""
    if settings.store is None:
        return None
    problem = None
    try:
        return settings.store.get(settings.store_key) or {}
    except (ConfigError, OSError) as exc:
        problem = str(exc)
    _cache_trouble(settings.store, problem)
    return None


def _cached(
    record: dict[str, Any] | None, settings: Settings
) -> tuple[Secret, float, str | None, float] | None:
    """The access token another process cached (in ``record``, the client's record in the
    token store), when it is fresh and was got the same way.

    Another process refreshed lately, with the same accounts server and the same
    credentials: reuse its token (Zoho limits refreshes per minute). A profile now pointing
    elsewhere (another data centre, a sandbox restarted on another port), or another refresh
    token or secret (another org or user of the same client, a new `auth login`, a revoked
    token), refreshes anew: the token it would reuse reaches the previous org, or hides that
    the new credentials do not work.

    Its token, when it expires, where its API is and how early before that to refresh it
    (:data:`EARLY`, or a tenth of a shorter life, as the process that got it found)."""
    if not record:
        return None
    try:
        early = min(EARLY, max(0.0, float(record.get("early", EARLY))))
        if (
            record.get("access_token")
            and float(record.get("expires_at", 0)) > time.time() + early
            and record.get("accounts") == settings.endpoints.accounts
            and _marked_by(record.get("credentials"), settings)
        ):
            domain = record.get("api_domain")
            return Secret(str(record["access_token"])), float(record["expires_at"]), domain, early
    except (TypeError, ValueError):  # a hand-edited record: not a token to trust
        pass
    return None


@contextlib.asynccontextmanager
async def _one_process_at_a_time(store: TokenStore | None, key: str) -> AsyncIterator[None]:
    """Hold the token store's refresh lock of ``key`` (the token file's, :class:`RefreshLock`)
    for the block, waiting without blocking the event loop while another process holds it,
    up to :data:`REFRESH_WAIT` seconds (said at INFO when the wait begins, so that a job
    that waits does not look hung); a store without one (memory, keyring) has nothing to hold."""
    make = getattr(store, "refresh_lock", None)
    lock = make(key) if callable(make) else None
    try:
        deadline = time.monotonic() + REFRESH_WAIT
        waiting = False
        while lock is not None and not lock.try_acquire():
            if not waiting:
                waiting = True
                log.info(
                    "another process is refreshing the access token: waiting for it (at most %.0f s)",
                    REFRESH_WAIT,
                )
            if time.monotonic() > deadline:
                log.warning(
                    "another process has been refreshing the access token for %.0f s: refreshing too",
                    REFRESH_WAIT,
                )
                break
            await asyncio.sleep(0.02)
        yield
    finally:
        if lock is not None:
            lock.release()


def _refused_refresh(settings: Settings, found: str | None = None) -> str:
    """The hint for a refresh token Zoho refuses (it says ``invalid_code``, as for a grant
    code), by what the token store held when it was read again (``found``: see
    :meth:`Tokens._look_again`; "newer refused": a newer login there was refused too)."""
    why = (
        "the refresh token is invalid or revoked: revoked in Zoho Accounts, a changed password, "
        "or too many newer tokens"
    )
    if found in (None, "not followed"):
        return f" ({why}; {_login_again(settings)})"
    name = f"profile {settings.profile!r}" if settings.profile else "these credentials"
    login = "coqlkit auth login" + (f" --profile {settings.profile}" if settings.profile else "")
    again = f"run `{login}` again (a process that runs takes the new login at its next call, with no restart)"
    seen = {
        "unreadable": f"the token store could not be read again to look for a newer login: {again}",
        "gone": f"the token store, read again, holds no refresh token for {name} any more (logged "
        f"out): {again}",
        "same": f"the token store, read again, still holds this one: {again}",
        "refused": f"the token store, read again, holds one that Zoho refused before: {again}",
        "newer refused": f"the token store, read again, held a newer login of {name}, which Zoho "
        f"refused too: {again}",
        "elsewhere": f"the token store, read again, holds a newer login of {name} for another "
        "accounts server, where this process does not send its secrets: restart it to use the "
        "profile as it is now",
    }
    return f" ({why}; {seen.get(found or '', again)})"


def _login_again(settings: Settings) -> str:
    """What to do about a refused refresh token that did not come from the token store."""
    if settings.profile:
        return (
            f"run `coqlkit auth login --profile {settings.profile}` again, or set ZOHO_REFRESH_TOKEN "
            "to a new one where it is set over the profile's (a process that runs keeps the one it "
            "started with: restart it)"
        )
    return (
        "set ZOHO_REFRESH_TOKEN to a new one, or run `coqlkit auth login` (a process that runs "
        "keeps the one it started with: restart it)"
    )


def _refused_client(settings: Settings, found: str) -> str:
    """The hint for ``invalid_client`` (the client id or secret refused) after the token
    store was read again and held a newer login (``found``)."""
    name = f"profile {settings.profile!r}" if settings.profile else "these credentials"
    if found == "elsewhere":
        return (
            f" (the token store, read again, holds a newer login of {name} for another accounts "
            "server, where this process does not send its secrets: restart it to use the profile "
            "as it is now)"
        )
    return (
        f" (the token store, read again, held a newer login of {name}, which Zoho refused too: was "
        "it made for another client id? restart the process to use the profile as it is now)"
    )


def _throttled(settings: Settings) -> str:
    """The hint for Zoho Accounts' ``Access Denied`` to a refresh: the refresh token got its
    ten access tokens in ten minutes (Zoho's limit), and is refused for the rest of them."""
    if isinstance(settings.store, MemoryTokenStore):
        keep = (
            "COQLKIT_TOKEN_STORE=memory gets a new access token in every process: unset it or "
            "set it to file, so that runs on this machine share one token for its hour"
        )
    else:
        keep = (
            "the token store (the keyring or the token file) shares one access token for its "
            "hour among the runs on this machine; runs elsewhere, or with "
            "COQLKIT_TOKEN_STORE=memory, get one each"
        )
    return (
        " (Zoho Accounts allows 10 access tokens per refresh token in 10 minutes, then refuses "
        f"it for the rest of them: wait up to 10 minutes and run again; {keep})"
    )


class _Form:
    """A request to Zoho's accounts server, its secrets kept as :class:`Secret`\\ s: its
    repr masks them, so a frame that holds it shows nothing in a traceback with local
    variables (``pytest -l``, IPython's verbose mode, an error tracker's local capture). It
    becomes the request's body only as the request is built (:meth:`body`), in httpx."""

    __slots__ = ("_fields",)

    def __init__(self, **fields: str | Secret) -> None:
        self._fields = fields

    def __repr__(self) -> str:
        return f"<form {' '.join(f'{k}={v!r}' for k, v in self._fields.items())}>"

    def body(self) -> bytes:
        return urlencode(
            [(k, v.reveal() if isinstance(v, Secret) else v) for k, v in self._fields.items()]
        ).encode()


_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
#: The fields of an answer that are secrets: kept as Secrets from the moment they are read.
_SECRET_FIELDS = ("access_token", "refresh_token", "id_token")


async def _post(http: httpx.AsyncClient, url: str, form: _Form, what: str) -> tuple[int, dict[str, Any]]:
    """POST ``form`` to the accounts server: the status and the JSON answer, its tokens
    as Secrets.

    A network error or timeout raises a :class:`TransportError` with the message it has
    elsewhere (the host, what timed out), chained to a :func:`detached` copy of httpx's
    error and to nothing else: httpx's own error holds the request (``.request.content``
    is the form) and its frames hold the body."""
    failure: TransportError | None = None
    cause: httpx.TransportError | None = None
    try:
        response = await http.post(url, content=form.body(), headers=_FORM)
    except httpx.TransportError as exc:
        failure, cause = transport_error(what, exc), detached(exc)
    else:
        unread = unreadable_answer(f"POST {response.request.url.path}", response, accounts=True)
        if unread is not None:  # a proxy's or login page, a body cut off: not Zoho's refusal
            raise unread
        body = envelope(response)
        for key in _SECRET_FIELDS:
            if key in body:
                body[key] = Secret(str(body[key]))
        return response.status_code, body
    raise failure from cause  # out of the except block: nothing of httpx's error is kept


def _refusal(status: int, body: dict[str, Any]) -> str | None:
    """The error code of the token endpoint's refusal (HTTP 200 ``{"error": ...}``), or None
    when it gave a token."""
    if status == 200 and "access_token" in body:
        return None
    return str(body.get("error") or body.get("code") or f"HTTP_{status}")


def _refusal_error(
    status: int, body: dict[str, Any], hints: dict[str, str] | None = None
) -> AuthError | None:
    """The error for the token endpoint's refusal (None: it gave a token). ``hints`` explain
    Zoho's error codes for this grant, over the defaults (a grant code's)."""
    error = _refusal(status, body)
    if error is None:
        return None
    said = body.get("error_description")  # Zoho's words, where it gives them ("Access Denied")
    hint = {
        "invalid_client": " (is the client from another data centre? set --dc / ZOHO_DC)",
        "invalid_code": " (grant codes work once and expire: make a new one)",
        **(hints or {}),
    }.get(error, "")
    text = f"{error}: {str(said).strip()}" if isinstance(said, str) and said.strip() else error
    return AuthError(f"Zoho refused the token request: {text}{hint}", code=error, status=status)


async def _token_request(
    http: httpx.AsyncClient, url: str, grant: _Form, hints: dict[str, str] | None = None
) -> dict[str, Any]:
    """POST a grant to Zoho's token endpoint; its refusals (HTTP 200 ``{"error": ...}``) raise.

    The answer's tokens are :class:`Secret`\\ s. ``hints`` explain Zoho's error codes for
    this grant, over the defaults (a grant code's)."""
    status, body = await _post(http, url, grant, _NO_ANSWER)
    error = _refusal_error(status, body, hints)
    if error is not None:
        raise error
    return body


def exchange_code(
    accounts_url: str,
    client_id: str,
    client_secret: Secret,
    code: Secret | str,
    redirect_uri: str | None = None,
) -> dict[str, Any]:
    """Trade a grant code for tokens (``authorization_code`` grant); for ``coqlkit auth login``.

    Zoho's answer, with ``access_token`` and ``refresh_token`` as :class:`Secret`\\ s."""
    grant = _Form(
        grant_type="authorization_code",
        client_id=client_id,
        client_secret=client_secret,
        code=code if isinstance(code, Secret) else Secret(code),
        **({"redirect_uri": redirect_uri} if redirect_uri else {}),
    )
    del code  # given as text: from here on, only the masked form holds it

    async def run() -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=30) as http:
            return await _token_request(http, f"{accounts_url.rstrip('/')}/oauth/v2/token", grant)

    return asyncio.run(run())


def revoke_token(accounts_url: str, token: Secret) -> None:
    """Revoke a refresh token at Zoho (``POST {accounts}/oauth/v2/token/revoke``): it, and
    the access tokens it got, stop working everywhere; for ``coqlkit auth logout``.

    The token goes in the form body, not in the URL's query as Zoho's examples show: a URL
    is what logs record (httpx's own at INFO). Raises :class:`AuthError` when Zoho does not
    say it revoked it, :class:`TransportError` when it cannot be reached."""
    url = f"{accounts_url.rstrip('/')}/oauth/v2/token/revoke"

    async def run() -> tuple[int, dict[str, Any]]:
        async with httpx.AsyncClient(timeout=30) as http:
            return await _post(http, url, _Form(token=token), "the revoke endpoint did not answer")

    status, body = asyncio.run(run())
    if status != 200 or body.get("status") not in (None, "success") or body.get("error"):
        error = str(body.get("error") or body.get("code") or f"HTTP_{status}")
        raise AuthError(f"Zoho did not revoke the refresh token: {error}", code=error, status=status)


#: A 401's codes that say the access token is no good, not the credentials: refreshed, and
#: the call sent once more. ``INVALID_OAUTHTOKEN``: Zoho Accounts keeps at most 15 access
#: tokens of a refresh token active (CRM v8's token-validity page; older pages say 10) and
#: invalidates the oldest when another is made (another process or machine on the same
#: login): this code, or INVALID_TOKEN, answers for it.
STALE_TOKEN_CODES = frozenset({"INVALID_TOKEN", "INVALID_OAUTHTOKEN"})


class ZohoOAuth(httpx.Auth):
    """``Authorization: Zoho-oauthtoken <token>`` on every request; one retry after a refresh
    when Zoho answers 401 ``INVALID_TOKEN`` (an expired or revoked token) or
    ``INVALID_OAUTHTOKEN`` (one of more than 15 active, invalidated)."""

    def __init__(self, tokens: Tokens) -> None:
        self.tokens = tokens

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("coqlkit's transport is asynchronous: use ZohoClient for synchronous code")
        yield request  # type: ignore[unreachable]  # the yield makes this a generator, as httpx wants

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.tokens.token()
        request.headers["Authorization"] = f"Zoho-oauthtoken {token.reveal()}"
        response = yield request
        if response.status_code == 401:
            await response.aread()  # small: Zoho's error envelope
        code = envelope(response).get("code") if response.status_code == 401 else None
        if code in STALE_TOKEN_CODES:
            log.info(
                "%s %s: 401 %s (the access token expired, was revoked or was replaced): "
                "refreshing it, and sending the call once more",
                request.method,
                request.url.path,
                code,
            )
            await self.tokens.invalidate(token)
            token = await self.tokens.token()
            request.headers["Authorization"] = f"Zoho-oauthtoken {token.reveal()}"
            yield request
