"""Concurrent queries on a cold metadata cache fetch each body once (single-flight): the module
list once, each module's fields once, whether the queries come from threads sharing a
connection or from ``asyncio.gather``. Counted in a real sandbox's request log."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import coqlkit
from coqlkit.catalog import Catalog, demo
from coqlkit.catalog.cache import MetadataCache
from coqlkit.sandbox.server import Sandbox
from tests.api._support import RequestLog

# Three modules, six queries each: 18 at once.
_QUERIES = [f"select id from {m} limit 5" for m in ("Leads", "Deals", "Contacts") for _ in range(6)]


def _metadata_calls(log: RequestLog) -> Counter[str]:
    return Counter(
        e["path"] + (f"?{e['query']}" if e["query"] else "") for e in log.calls() if "/settings/" in e["path"]
    )


def _once_each() -> Counter[str]:
    return Counter(
        {
            "/crm/v8/settings/modules": 1,
            "/crm/v8/settings/fields?module=Leads": 1,
            "/crm/v8/settings/fields?module=Deals": 1,
            "/crm/v8/settings/fields?module=Contacts": 1,
        }
    )


def test_threads_sharing_a_connection_fetch_each_body_once(sandbox: Sandbox, tmp_path: Path) -> None:
    log = RequestLog(sandbox)
    rows: list[int] = []
    with coqlkit.connect(sandbox=sandbox, cache_dir=tmp_path) as conn:
        start = threading.Barrier(len(_QUERIES))

        def run(text: str) -> None:
            start.wait()
            rows.append(conn.query(text).to_arrow().num_rows)

        threads = [threading.Thread(target=run, args=(q,)) for q in _QUERIES]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert rows == [5] * len(_QUERIES)
        assert _metadata_calls(log) == _once_each()
        assert {m.api_name for m in conn.catalog() if m.fields is not None} >= {"Leads", "Deals", "Contacts"}


def test_gathered_queries_fetch_each_body_once(sandbox: Sandbox, tmp_path: Path) -> None:
    log = RequestLog(sandbox)

    async def main() -> list[int]:
        conn = await coqlkit.connect_async(sandbox=sandbox, cache_dir=tmp_path)
        try:

            async def run(text: str) -> int:
                return (await (await conn.query(text)).to_arrow()).num_rows

            return await asyncio.gather(*(run(q) for q in _QUERIES))
        finally:
            await conn.close()

    assert asyncio.run(main()) == [5] * len(_QUERIES)
    assert _metadata_calls(log) == _once_each()


def test_a_fetch_whose_callers_all_left_stops_and_is_not_joined(tmp_path: Path) -> None:
    """Single-flight leaves no orphan: the fetch whose every caller was cancelled is cancelled
    too (no task keeps running, nor spends a credit, for no one), and a caller that comes
    while it is being cancelled starts a fetch of its own instead of inheriting the
    cancellation."""
    cache = MetadataCache(tmp_path, "org")
    answer = asyncio.Event()
    started: list[str] = []

    async def modules() -> Mapping[str, Any]:
        started.append("modules")
        await answer.wait()
        return demo.modules_payload()

    async def fields(name: str) -> Mapping[str, Any] | None:
        return demo.fields_payload(name)

    async def main() -> tuple[Catalog, set[asyncio.Task[Any]]]:
        first = asyncio.ensure_future(cache.acatalog(modules, fields, modules=["Leads"]))
        await asyncio.sleep(0.01)  # its fetch is in flight
        first.cancel()
        second = asyncio.ensure_future(cache.acatalog(modules, fields, modules=["Leads"]))
        with contextlib.suppress(asyncio.CancelledError):
            await first
        await asyncio.sleep(0.01)
        answer.set()
        catalog = await second
        await asyncio.sleep(0.01)
        return catalog, asyncio.all_tasks() - {asyncio.current_task()}  # type: ignore[operator]

    catalog, left = asyncio.run(main())
    assert started == ["modules", "modules"]
    leads = catalog.module("Leads")
    assert leads is not None and leads.fields
    assert left == set()


def test_a_fetch_whose_only_caller_was_cancelled_is_cancelled(tmp_path: Path) -> None:
    cache = MetadataCache(tmp_path, "org")
    ended: list[str] = []

    async def modules() -> Mapping[str, Any]:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            ended.append("cancelled")
            raise
        return demo.modules_payload()

    async def fields(name: str) -> Mapping[str, Any] | None:
        return demo.fields_payload(name)

    async def main() -> set[asyncio.Task[Any]]:
        caller = asyncio.ensure_future(cache.acatalog(modules, fields))
        await asyncio.sleep(0.01)
        caller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await caller
        await asyncio.sleep(0.01)
        return asyncio.all_tasks() - {asyncio.current_task()}  # type: ignore[operator]

    assert asyncio.run(main()) == set()
    assert ended == ["cancelled"]


def test_a_failed_fetch_gives_each_waiting_caller_an_error_of_its_own(tmp_path: Path) -> None:
    """Callers that shared one fetch that failed each raise their own copy of its error (same
    type, code and message): threads raising one object at once tangled its traceback
    (diff review 2, 5)."""
    from coqlkit.errors import ZohoApiError

    cache = MetadataCache(tmp_path, "org")
    calls: list[str] = []

    async def modules() -> Mapping[str, Any]:
        calls.append("modules")
        await asyncio.sleep(0.01)
        raise ZohoApiError("Internal Server Error", code="INTERNAL_ERROR", status=500)

    async def fields(name: str) -> Mapping[str, Any] | None:
        return demo.fields_payload(name)

    async def main() -> list[BaseException]:
        outcomes = await asyncio.gather(
            *(cache.acatalog(modules, fields) for _ in range(3)), return_exceptions=True
        )
        return [o for o in outcomes if isinstance(o, BaseException)]

    errors = asyncio.run(main())
    assert calls == ["modules"] and len(errors) == 3
    assert len({id(e) for e in errors}) == 3
    assert all(isinstance(e, ZohoApiError) and (e.code, e.status) == ("INTERNAL_ERROR", 500) for e in errors)
