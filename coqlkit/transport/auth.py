"""OAuth for Zoho: the token endpoint's grants, and an ``httpx.Auth`` flow that refreshes once.

:class:`Tokens` holds the access token of one client. It refreshes a minute before expiry
and when Zoho answers ``INVALID_TOKEN``, **single-flight**: however many calls find the token
stale at once, one refresh runs and the rest wait for it. :class:`ZohoOAuth` is the
``httpx.Auth`` flow that puts ``Authorization: Zoho-oauthtoken ...`` on each request and,
on an ``INVALID_TOKEN`` answer, refreshes and sends the request once more.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import AsyncGenerator, Generator
from typing import Any

import httpx

from coqlkit.errors import AuthError, ConfigError
from coqlkit.transport._errors import envelope, mapped_transport_errors
from coqlkit.transport.config import Settings
from coqlkit.transport.secrets import Secret

__all__ = ["Tokens", "ZohoOAuth", "credentials_mark", "exchange_code"]

EARLY = 60.0  # refresh this many seconds before Zoho's expiry (a tenth of a shorter life)


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
    """The access token of one client (a profile), refreshed single-flight."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self._http = http  # for the accounts server: no auth flow, no CRM limiter
        self._lock: asyncio.Lock | None = None
        self.access: Secret | None = None
        self.expires_at = 0.0
        self.early = EARLY
        self.api_domain: str | None = None
        self.refreshes = 0
        cached = settings.store.get(settings.store_key) if settings.store else None
        if (
            cached
            and cached.get("access_token")
            and float(cached.get("expires_at", 0)) > time.time() + EARLY
            and cached.get("accounts") == settings.endpoints.accounts
            and _marked_by(cached.get("credentials"), settings)
        ):
            # Another process refreshed lately, with the same accounts server and the same
            # credentials: reuse its token (Zoho limits refreshes per minute). A profile now
            # pointing elsewhere (another data centre, a sandbox restarted on another port),
            # or another refresh token or secret (another org or user of the same client, a
            # new `auth login`, a revoked token), refreshes anew: the token it would reuse
            # reaches the previous org, or hides that the new credentials do not work.
            self.access = Secret(str(cached["access_token"]))
            self.expires_at = float(cached["expires_at"])
            self.api_domain = cached.get("api_domain")

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
                await self._refresh()
            assert self.access is not None
            return self.access

    async def invalidate(self, stale: Secret) -> None:
        """Zoho said ``stale`` is no good: drop it, unless another call already replaced it."""
        if self.access == stale:
            self.access = None
            self.expires_at = 0.0

    async def _refresh(self) -> None:
        s = self.settings
        if not s.client_id or not s.client_secret:
            raise ConfigError("no client id or secret to get a token with: run `coqlkit auth login`")
        form = {"client_id": s.client_id, "client_secret": s.client_secret.reveal()}
        if s.refresh_token:
            form.update(grant_type="refresh_token", refresh_token=s.refresh_token.reveal())
        else:  # a self client without a refresh token: the client-credentials grant
            form.update(grant_type="client_credentials", scope=s.scopes)
        hints = {"invalid_code": _refused_refresh(s)} if s.refresh_token else {}
        body = await _token_request(self._http, s.endpoints.token_url, form, hints)
        self.refreshes += 1
        self.access = Secret(str(body["access_token"]))
        life = float(body.get("expires_in", 3600))
        self.early = min(EARLY, life / 10)
        self.expires_at = time.time() + life
        self.api_domain = body.get("api_domain") or self.api_domain
        if s.store is not None:
            record = s.store.get(s.store_key) or {}
            record.update(
                access_token=self.access.reveal(),
                expires_at=self.expires_at,
                api_domain=self.api_domain,
                accounts=s.endpoints.accounts,
                credentials=credentials_mark(s.client_id, s.client_secret, s.refresh_token),
            )
            s.store.put(s.store_key, record)


def _refused_refresh(settings: Settings) -> str:
    """The hint for a refresh token Zoho refuses (it says ``invalid_code``, as for a grant code)."""
    if settings.profile:
        again = f"run `coqlkit auth login --profile {settings.profile}` again"
    else:
        again = "set ZOHO_REFRESH_TOKEN to a new one, or run `coqlkit auth login`"
    return (
        " (the refresh token is invalid or revoked: revoked in Zoho Accounts, a changed password, "
        f"or too many newer tokens; {again})"
    )


async def _token_request(
    http: httpx.AsyncClient, url: str, form: dict[str, str], hints: dict[str, str] | None = None
) -> dict[str, Any]:
    """POST a grant to Zoho's token endpoint; its refusals (HTTP 200 ``{"error": ...}``) raise.

    ``hints`` explain Zoho's error codes for this grant, over the defaults (a grant code's)."""
    with mapped_transport_errors("the token endpoint did not answer"):
        response = await http.post(url, data=form)
    body = envelope(response)
    if response.status_code != 200 or "access_token" not in body:
        error = str(body.get("error") or body.get("code") or f"HTTP_{response.status_code}")
        hint = {
            "invalid_client": " (is the client from another data centre? set --dc / ZOHO_DC)",
            "invalid_code": " (grant codes work once and expire: make a new one)",
            **(hints or {}),
        }.get(error, "")
        raise AuthError(
            f"Zoho refused the token request: {error}{hint}", code=error, status=response.status_code
        )
    return body


def exchange_code(
    accounts_url: str, client_id: str, client_secret: Secret, code: str, redirect_uri: str | None = None
) -> dict[str, Any]:
    """Trade a grant code for tokens (``authorization_code`` grant); for ``coqlkit auth login``."""
    form = {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "client_secret": client_secret.reveal(),
        "code": code,
    }
    if redirect_uri:
        form["redirect_uri"] = redirect_uri

    async def run() -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=30) as http:
            return await _token_request(http, f"{accounts_url.rstrip('/')}/oauth/v2/token", form)

    return asyncio.run(run())


class ZohoOAuth(httpx.Auth):
    """``Authorization: Zoho-oauthtoken <token>`` on every request; one retry after a refresh
    when Zoho answers 401 ``INVALID_TOKEN`` (an expired or revoked token)."""

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
        if response.status_code == 401 and envelope(response).get("code") == "INVALID_TOKEN":
            await self.tokens.invalidate(token)
            token = await self.tokens.token()
            request.headers["Authorization"] = f"Zoho-oauthtoken {token.reveal()}"
            yield request
