"""Everything one running sandbox holds: the org's metadata and records, tokens, credits, jobs."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coqlkit._dirs import base_dir_or_run
from coqlkit.catalog import Catalog
from coqlkit.catalog import demo as demo_org
from coqlkit.sandbox import seed
from coqlkit.sandbox.config import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SandboxConfig
from coqlkit.sandbox.errors import ZohoError
from coqlkit.sandbox.store import Store

__all__ = ["DAY_SPENT", "TOKENS_THROTTLED", "TOKEN_WINDOW", "Metadata", "SandboxState", "load_metadata"]

#: The message of a call past the org's credits of the day: the same 429
#: ``TOO_MANY_REQUESTS`` as a call past the org's concurrent-call slots. The sandbox's words:
#: the first half of the sentence Zoho's status-codes page gives a 429 ("...exceeded or the
#: concurrency limit of the user for the app is exceeded"); the words of Zoho's own answer
#: are not documented (the v8 OAS's one 429 example says "Rate limit exceeded..."), and
#: coqlkit's client does not rely on them alone.
DAY_SPENT = "Number of API requests for the 24 hour period is exceeded"

#: Zoho Accounts' window for the access tokens of one refresh token (``token_limit`` of them).
TOKEN_WINDOW = 600.0
#: What Zoho Accounts answers (HTTP 200) to a refresh past that: its CRM token-validity page.
TOKENS_THROTTLED = {
    "error_description": "You have made too many requests continuously. Please try again after some time.",
    "error": "Access Denied",
    "status": "failure",
}


@dataclass(frozen=True)
class Metadata:
    """Zoho's own metadata bodies, as the sandbox serves them, and the catalog made of them."""

    modules: dict[str, Any]
    fields: dict[str, dict[str, Any]]
    catalog: Catalog

    def fingerprint(self) -> str:
        body = json.dumps([self.modules, self.fields], sort_keys=True).encode()
        return hashlib.sha256(body).hexdigest()[:16]


def load_metadata(directory: str | None) -> Metadata:
    """The demo org, or the org a metadata snapshot describes."""
    if directory is None:
        modules = demo_org.modules_payload()
        fields = {name: demo_org.fields_payload(name) for name in demo_org.module_names()}
    else:
        root = Path(directory)
        modules = json.loads((root / "modules.json").read_text(encoding="utf-8"))
        fields = {}
        for item in modules.get("modules") or ():
            path = root / "fields" / f"{item['api_name']}.json"
            if path.is_file():
                fields[item["api_name"]] = json.loads(path.read_text(encoding="utf-8"))
    return Metadata(modules, fields, Catalog.from_payloads(modules, fields))


@dataclass
class Token:
    expires: float
    scope: str
    refresh: str | None = None  # the refresh token it was got with (None: client credentials)


@dataclass
class SandboxState:
    """The org behind one sandbox server. Safe to use from the server's threads."""

    config: SandboxConfig
    metadata: Metadata
    store: Store
    base_url: str = ""
    tokens: dict[str, Token] = field(default_factory=dict)
    refresh_tokens: set[str] = field(default_factory=lambda: {REFRESH_TOKEN})
    codes: dict[str, float] = field(default_factory=dict)
    grants: dict[str, deque[float]] = field(default_factory=dict)  # refresh token → its grants' times
    # refresh token → its access tokens that may still be live, oldest first (``active_tokens``)
    issued: dict[str, deque[str]] = field(default_factory=dict)
    downloads: deque[float] = field(default_factory=deque)  # the org's bulk-read downloads' times
    credits_used: int = 0
    most_in_flight: int = 0  # the most CRM calls ever in flight at once (the gate's count)
    # The request log (method, path, redacted query, status, credits, ms), newest last.
    requests: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=10_000))
    jobs: dict[str, Any] = field(default_factory=dict)  # bulk-read jobs by id
    page_tokens: dict[str, tuple[str, int]] = field(default_factory=dict)  # → (the job it came from, page)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, config: SandboxConfig) -> SandboxState:
        """Load the metadata, and the records: from ``config.db``, from the cache, or freshly made."""
        metadata = load_metadata(config.metadata)
        path = _database(config, metadata)
        store = Store(path, metadata.catalog, time_zone=config.time_zone)
        return cls(config, metadata, store)

    @property
    def catalog(self) -> Catalog:
        return self.metadata.catalog

    # ---- OAuth --------------------------------------------------------------------------

    def check_client(self, client_id: str | None, client_secret: str | None) -> None:
        if client_id != CLIENT_ID or client_secret != CLIENT_SECRET:
            raise ZohoError("invalid_client", "invalid client", status=200)

    def issue(self, scope: str, refresh: str | None = None) -> tuple[str, int]:
        """A new access token, got with ``refresh`` (None: the client-credentials grant).

        A refresh token keeps at most ``active_tokens`` live access tokens, as Zoho's (CRM's
        token-validity page, Zoho Accounts' token limits: 15): the next one invalidates the
        oldest, which is then answered 401 ``INVALID_TOKEN`` as an expired one is."""
        token = "1000." + secrets.token_hex(32)
        now = time.monotonic()
        with self.lock:
            self.tokens[token] = Token(now + self.config.token_ttl, scope, refresh)
            cap = self.config.active_tokens
            if refresh is not None and cap:
                live = self.issued.setdefault(refresh, deque())
                for old in list(live):  # the expired ones are no longer counted, nor kept
                    found = self.tokens.get(old)
                    if found is None or found.expires < now:
                        live.remove(old)
                        self.tokens.pop(old, None)
                live.append(token)
                while len(live) > cap:
                    self.tokens.pop(live.popleft(), None)
        return token, self.config.token_ttl

    def issue_code(self) -> str:
        code = "1000." + secrets.token_hex(24)
        with self.lock:
            self.codes[code] = time.monotonic() + 180  # grant codes live three minutes
        return code

    def use_code(self, code: str | None) -> str:
        """Spend a grant code (once) and mint the refresh token it is worth."""
        with self.lock:
            expires = self.codes.pop(code or "", None)
            if expires is None or expires < time.monotonic():
                raise ZohoError("invalid_code", "invalid code", status=200)
            refresh = "1000." + secrets.token_hex(32)
            self.refresh_tokens.add(refresh)
        return refresh

    def revoke(self, token: str) -> None:
        """``POST /oauth/v2/token/revoke``: a refresh token no longer gets access tokens
        (``invalid_code``) and the access tokens it got stop working (401 ``INVALID_TOKEN``),
        as Zoho's token-validity page says; an access token given instead stops working."""
        with self.lock:
            self.refresh_tokens.discard(token)
            self.tokens.pop(token, None)
            self.issued.pop(token, None)
            for value, found in list(self.tokens.items()):
                if found.refresh == token:
                    del self.tokens[value]

    def grant(self, refresh: str) -> bool:
        """Count an access token got with ``refresh``; False when it already had
        ``token_limit`` in the last ten minutes (Zoho Accounts refuses it then)."""
        limit = self.config.token_limit
        now = time.monotonic()
        with self.lock:
            times = self.grants.setdefault(refresh, deque())
            while times and times[0] <= now - TOKEN_WINDOW:
                times.popleft()
            if limit and len(times) >= limit:
                return False
            times.append(now)
        return True

    def authenticate(self, header: str | None) -> None:
        """Accept ``Authorization: Zoho-oauthtoken <live token>`` or raise Zoho's 401."""
        if not header:
            raise ZohoError("AUTHENTICATION_FAILURE", "Authentication failed")
        kind, _, token = header.partition(" ")
        if kind != "Zoho-oauthtoken" or not token.strip():
            raise ZohoError("AUTHENTICATION_FAILURE", "Authentication failed")
        found = self.tokens.get(token.strip())
        if found is None or found.expires < time.monotonic():
            raise ZohoError("INVALID_TOKEN", "invalid oauth token")

    def expire_tokens(self) -> None:
        """Make every access token stale at once (tests use it to force a refresh)."""
        with self.lock:
            for token in self.tokens.values():
                token.expires = 0.0

    # ---- credits -------------------------------------------------------------------------

    def charge(self, credits: int) -> int | None:
        """Spend ``credits`` from the day's budget; the credits left as Zoho tells them
        (``X-API-CREDITS-REMAINING``): only once half the budget is used, else None (and
        None without a budget). Past the budget, Zoho's 429 ``TOO_MANY_REQUESTS`` for the day.
        """
        with self.lock:
            budget = self.config.daily_credits
            if budget is not None and self.credits_used + credits > budget:
                raise ZohoError("TOO_MANY_REQUESTS", DAY_SPENT, {}, status=429)
            self.credits_used += credits
            if budget is None or self.credits_used * 2 < budget:
                return None
            return budget - self.credits_used


def _database(config: SandboxConfig, metadata: Metadata) -> str:
    """The SQLite file holding the org's records, made when missing or made from other inputs."""
    key = f"{metadata.fingerprint()}-{seed.GENERATOR_VERSION}-{config.seed}-{config.records}"
    if config.db is not None:
        path = Path(config.db)
    else:
        path = base_dir_or_run("cache") / "coqlkit" / "sandbox" / f"org-{key}.sqlite3"
    if path.exists() and _key_of(path, metadata) == key:
        return str(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        store = Store(temp, metadata.catalog, time_zone=config.time_zone)
        seed.populate(store, records=config.records, seed=config.seed)
        store.set_info("key", key)
        store.close()
        os.replace(temp, path)
    finally:
        for leftover in (temp, Path(f"{temp}-wal"), Path(f"{temp}-shm")):
            leftover.unlink(missing_ok=True)
    return str(path)


def _key_of(path: Path, metadata: Metadata) -> str | None:
    store = Store(path, metadata.catalog)
    try:
        return store.info("key")
    finally:
        store.close()
