"""Records that come back without their id (review 9, wire #3). coqlkit tells records apart
by id from page to page (rows shift when the org changes during a read); Zoho's COQL answers
carry each record's id, as the sandbox's do, but should one come without (the v8 OpenAPI
example shows records with none), every row after the first page was taken for a repeat
and dropped: 2,000 of 97,810 rows after 148 credits, and a note that blamed deleted records.
Now such an answer stops a read of more than one page with a :class:`TransportError` that
says what came; one call (nothing to tell apart) still reads. The answers are changed on
their way back from the sandbox, over real HTTP."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from coqlkit.errors import TransportError
from coqlkit.execute import RunStats, execute, options_for, prepare
from coqlkit.language import parse
from tests.execute._support import CATALOG, Call, Recorder, client_for, running


def without_ids(call: Call, response: httpx.Response) -> httpx.Response:
    """A reply hook: the records of every COQL answer lose their ``id``."""
    if call.path != "/crm/v8/coql" or response.status_code != 200:
        return response
    body = json.loads(response.content)
    for record in body.get("data", []):
        record.pop("id", None)
    return httpx.Response(
        200, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )


def read(text: str, **options: Any) -> tuple[list[Any], RunStats]:
    stats = RunStats()

    async def main() -> list[Any]:
        with running() as sandbox:
            async with client_for(sandbox, transport=Recorder(reply=without_ids)) as client:
                settings = {"latency_ms": 0, **options}
                plan = await prepare(parse(text), CATALOG, client, options_for(client, **settings))
                return [b async for b in execute(plan, client, stats=stats)]

    return asyncio.run(main()), stats


def test_pages_of_records_without_ids_stop_saying_what_came() -> None:
    with pytest.raises(TransportError) as info:
        read("select Last_Name from Leads where id is not null", page_size=200)  # 3 pages
    error = info.value
    assert error.code == "UNREADABLE_ANSWER" and error.status == 200
    assert "records without an id: coqlkit tells records apart by their id" in str(error), str(error)
    assert "select Last_Name from Leads" in str(error)


def test_one_call_of_records_without_ids_still_reads() -> None:
    batches, _ = read("select Last_Name from Leads where id is not null limit 20")
    assert sum(b.num_rows for b in batches) == 20
    assert all(v is None for b in batches for v in b.column("id").to_pylist())
