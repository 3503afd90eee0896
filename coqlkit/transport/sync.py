"""``ZohoClient``: the synchronous twin of :class:`AsyncZohoClient`.

It runs the async client on a private event loop in a daemon thread, so it works from
plain scripts and from inside a running loop alike (Jupyter), and every call is the very
same code path as the async client's.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from coqlkit.transport.client import AsyncZohoClient, CoqlPage, CreditBudget
from coqlkit.transport.config import Settings

__all__ = ["ZohoClient"]

T = TypeVar("T")


class ZohoClient:
    """Zoho CRM's API for one profile, synchronously. Close it (or use ``with``)."""

    def __init__(self, settings: Settings, **options: Any) -> None:
        self._loop = asyncio.new_event_loop()
        running = threading.Event()
        self._loop.call_soon(running.set)  # the loop's first act: it is running from then on
        self._thread = threading.Thread(target=self._loop.run_forever, name="coqlkit-transport", daemon=True)
        self._thread.start()
        running.wait()  # (a loaded machine: not yet running when _run asked was "closed")
        self.aio: AsyncZohoClient = self._run(_make(settings, options))

    def __repr__(self) -> str:
        return repr(self.aio).replace("AsyncZohoClient", "ZohoClient")

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        if not self._loop.is_running():
            coro.close()  # never to run: say so, not "never awaited"
            raise RuntimeError("this ZohoClient is closed")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def __enter__(self) -> ZohoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._loop.is_running():
            self._run(self.aio.aclose())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()

    @property
    def credits_used(self) -> int:
        return self.aio.credits_used

    @property
    def credits_remaining(self) -> int | None:
        return self.aio.credits_remaining

    @property
    def org_credits_left(self) -> int | None:
        return self.aio.org_credits_left

    def coql(self, query: str, *, include_meta: bool = False, budget: CreditBudget | None = None) -> CoqlPage:
        return self._run(self.aio.coql(query, include_meta=include_meta, budget=budget))

    def modules(self) -> dict[str, Any]:
        return self._run(self.aio.modules())

    def fields(self, module: str) -> dict[str, Any] | None:
        return self._run(self.aio.fields(module))

    def current_user(self) -> dict[str, Any] | None:
        return self._run(self.aio.current_user())

    def org(self) -> dict[str, Any] | None:
        return self._run(self.aio.org())

    def bulk_read_create(self, body: dict[str, Any], *, budget: CreditBudget | None = None) -> dict[str, Any]:
        return self._run(self.aio.bulk_read_create(body, budget=budget))

    def bulk_read_status(self, job_id: str) -> dict[str, Any]:
        return self._run(self.aio.bulk_read_status(job_id))

    def bulk_read_download(self, job_id: str, destination: str | os.PathLike[str]) -> Path:
        return self._run(self.aio.bulk_read_download(job_id, destination))


async def _make(settings: Settings, options: dict[str, Any]) -> AsyncZohoClient:
    return AsyncZohoClient(settings, **options)  # made on the loop that will use it
