"""What stands between a client and the sandbox's routes, as Zoho's limits and networks do:
the per-org concurrency ceiling (429), latency and jitter, injected faults, a request log
with every secret taken out, and Zoho's ``INTERNAL_ERROR`` for a bug of the sandbox's own."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

from coqlkit.sandbox.errors import ZohoError
from coqlkit.sandbox.state import SandboxState

__all__ = ["INTERNAL_ERROR", "DroppedConnection", "Gate", "redact"]

logger = logging.getLogger("coqlkit.sandbox")
SECRET_PARAMS = frozenset({"code", "refresh_token", "client_secret", "access_token", "token", "client_id"})

Message = dict[str, Any]
# What Zoho answers when it fails itself (reference §5): an SDK reads no other shape.
INTERNAL_ERROR = ZohoError("INTERNAL_ERROR", "Internal Server Error")


#: Statuses whose answer has no body: a client has it whole once the headers arrive (before
#: the server's last, empty, body message), so the request is logged with the headers.
BODILESS = frozenset({204, 304})


class DroppedConnection(Exception):
    """Raised mid-response to make the server close the connection (an injected fault)."""


def redact(query: str) -> str:
    """A query string with the values of secret parameters replaced by ``***``."""
    pairs = [(k, "***" if k in SECRET_PARAMS else v) for k, v in parse_qsl(query, keep_blank_values=True)]
    return urlencode(pairs, safe="*,")


class Gate:
    """ASGI middleware in front of the routes. Only ``/crm/`` calls are limited and faulted."""

    def __init__(self, app: Any, state: SandboxState) -> None:
        self.app = app
        self.state = state
        self.inflight = 0
        self.rng = random.Random(state.config.seed)

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        seen: dict[str, Any] = {"status": None, "credits": 0, "logged": False, "sent": False}

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                for name, value in message.get("headers", ()):
                    if name.lower() == b"x-api-credits-charged":
                        seen["credits"] = int(value)
                if message["status"] in BODILESS:  # the headers are the whole answer to a client
                    self._log(scope, seen, started)
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                self._log(scope, seen, started)  # before the last byte leaves: a client never sees it missing
                seen["sent"] = True
            await send(message)

        try:
            if scope["path"].startswith("/crm/"):
                await self._limited(scope, receive, watch)
            else:
                await self.app(scope, receive, watch)
        except DroppedConnection:
            raise
        except Exception:
            if not await self._failed(watch, seen):
                raise
        finally:
            self._log(scope, seen, started)

    async def _failed(self, send: Any, seen: dict[str, Any]) -> bool:
        """A route failed unexpectedly (a bug of the sandbox's, not the client's): log it and
        answer as Zoho fails, a 500 ``INTERNAL_ERROR`` in its JSON envelope, on a connection
        that stays open. True once the client has its answer; False for an answer already
        half sent, which only closing the connection can end (the caller re-raises). An
        exception let out to the server would close the connection in every case, under the
        client's next request on it."""
        logger.exception("the sandbox failed on a request")
        if seen["status"] is None:
            await _answer(send, INTERNAL_ERROR.status, INTERNAL_ERROR.body())
        return bool(seen["sent"])

    async def _limited(self, scope: Message, receive: Any, send: Any) -> None:
        config = self.state.config
        if self.inflight >= config.concurrency:
            error = ZohoError(
                "TOO_MANY_REQUESTS",
                "The number of concurrent requests has exceeded the allowed limit",
                {"limit": config.concurrency},
            )
            await _answer(send, error.status, error.body())
            return
        self.inflight += 1
        self.state.most_in_flight = max(self.state.most_in_flight, self.inflight)
        try:
            # The latency is the time the call takes, as Zoho's answers take it whatever
            # its servers did meanwhile: the route works at once and its answer leaves at
            # the deadline (later only when the work itself took longer). A delay added
            # after the work would make every call as slow as the sandbox's one process
            # is busy, which a Zoho serving pages on many machines is not.
            delay = config.latency_ms + self.rng.uniform(-config.jitter_ms, config.jitter_ms)
            deadline = time.perf_counter() + max(0.0, delay) / 1000

            async def at_deadline(message: Message) -> None:
                if message["type"] == "http.response.start":
                    await _until(deadline)
                await send(message)

            roll = self.rng.random()
            if roll < config.fail_rate:
                await _until(deadline)
            if roll < config.fail_rate / 2:
                await _answer(send, INTERNAL_ERROR.status, INTERNAL_ERROR.body())
                return
            if roll < config.fail_rate:
                await send(
                    {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"4096")]}
                )
                await send({"type": "http.response.body", "body": b'{"data":[', "more_body": True})
                raise DroppedConnection("injected fault: connection dropped mid-response")
            await self.app(scope, receive, at_deadline)
        finally:
            self.inflight -= 1

    def _log(self, scope: Message, seen: dict[str, Any], started: float) -> None:
        if seen["logged"]:
            return
        seen["logged"] = True
        entry = {
            "method": scope["method"],
            "path": scope["path"],
            "query": redact(scope.get("query_string", b"").decode("latin-1")),
            "status": seen["status"],
            "credits": seen["credits"],
            "coql": scope.get("coqlkit.coql"),
            "ms": round((time.perf_counter() - started) * 1000, 1),
        }
        self.state.requests.append(entry)
        logger.info(
            "%s %s%s %s %s credits %.1f ms",
            entry["method"],
            entry["path"],
            f"?{entry['query']}" if entry["query"] else "",
            entry["status"],
            entry["credits"],
            entry["ms"],
        )


async def _until(deadline: float) -> None:
    wait = deadline - time.perf_counter()
    if wait > 0:
        await asyncio.sleep(wait)


async def _answer(send: Any, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
