"""Bulk reads against the sandbox over real HTTP: jobs page by page with page tokens, polled
with a growing interval, their zipped CSVs read into Arrow, each id once; a failed job
raises Zoho's error, and the temporary zip goes however the read ends."""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest

from coqlkit.errors import ZohoApiError
from coqlkit.execute import RunStats, execute
from coqlkit.plan.planner import Plan
from coqlkit.plan.steps import BulkRead
from coqlkit.sandbox.server import Sandbox
from tests.execute._support import (
    CRITERIA,
    Call,
    Recorder,
    client_for,
    crm_log,
    ids_of,
    oracle_ids,
    org_db,
    plan_of,
    private_db,
    running,
    state_of,
)

PAGE_ROWS = 150  # the sandbox's records per bulk-read page: 340 records are three pages
JOB_SECONDS = 0.2


def bulk_plan(where: str = CRITERIA, *, rows: int = 340, poll: float = 0.05) -> Plan:
    found = plan_of(
        f"select Last_Name, Lead_Source from Leads where {where}",
        rows=rows,
        strategy="bulk",
        bulk_page_rows=PAGE_ROWS,
        bulk_job_seconds=JOB_SECONDS,
        bulk_poll_seconds=poll,
    )
    assert isinstance(found.root, BulkRead)
    return found


@pytest.fixture(scope="module")
def bulk() -> Iterator[Sandbox]:
    with running(bulk_seconds=JOB_SECONDS, bulk_page_rows=PAGE_ROWS) as sandbox:
        yield sandbox


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary directory every ``tempfile`` call uses meanwhile (to see what is left)."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory


def read(
    sandbox: Sandbox, plan: Plan, recorder: Recorder, stats: RunStats | None = None
) -> list[pa.RecordBatch]:
    async def main() -> list[pa.RecordBatch]:
        async with client_for(sandbox, transport=recorder) as client:
            return [b async for b in execute(plan, client, stats=stats)]

    return asyncio.run(main())


def creates(recorder: Recorder) -> list[Call]:
    return [c for c in recorder.crm() if c.method == "POST" and c.path == "/crm/bulk/v8/read"]


def polls(recorder: Recorder) -> list[Call]:
    return [c for c in recorder.crm() if c.method == "GET" and not c.path.endswith("/result")]


def downloads(recorder: Recorder) -> list[Call]:
    return [c for c in recorder.crm() if c.path.endswith("/result")]


def test_a_bulk_read_of_several_pages(bulk: Sandbox, scratch: Path) -> None:
    plan = bulk_plan()
    recorder = Recorder()
    stats = RunStats()
    before = len(crm_log(bulk))
    batches = read(bulk, plan, recorder, stats)
    logged = crm_log(bulk)[before:]
    got = ids_of(batches)
    assert got == oracle_ids(org_db())  # each id once (and, from the sandbox, in id order)
    assert pa.Table.from_batches(batches).column("Lead_Source").type == pa.dictionary(pa.int32(), pa.string())
    jobs = creates(recorder)
    assert len(jobs) == len(downloads(recorder)) == 3
    assert "page_token" not in jobs[0].body["query"] and jobs[0].body["query"]["criteria"]
    # Each later page: the first job's query again (Zoho's v8 OpenAPI makes query.module
    # required), with the token the job before it gave.
    first = jobs[0].body
    assert all(
        job.body == {**first, "query": {**first["query"], "page_token": job.body["query"]["page_token"]}}
        for job in jobs[1:]
    )
    assert all(job.body["query"]["page_token"] for job in jobs[1:])
    # The next job is made as soon as its token is known, while this page downloads.
    first_download = downloads(recorder)[0].done
    assert first_download is not None and jobs[1].sent < first_download
    actual = stats.actuals[id(plan.root)]
    assert actual.calls == len(recorder.crm()) == len(logged)
    assert actual.credits == sum(e["credits"] for e in logged) == 3 * 50 + len(polls(recorder)) + 3
    assert list(scratch.iterdir()) == []  # the zips are gone


def test_bulk_read_criteria_select_the_records(bulk: Sandbox) -> None:
    where = "Lead_Source in ('Advertisement', 'Web Download', 'Cold Call') and No_of_Employees > 100"
    plan = bulk_plan(where, rows=38)
    recorder = Recorder()
    batches = read(bulk, plan, recorder)
    assert ids_of(batches) == oracle_ids(org_db(), where)
    assert len(ids_of(batches)) == 38
    criteria = creates(recorder)[0].body["query"]["criteria"]
    assert criteria["group_operator"] == "and"


@pytest.mark.slow
def test_a_job_is_polled_after_a_second_then_less_often() -> None:
    """A job of 1.2 s polled at most every 1.6 s: after 1 s (still running), then 1.6 s later."""
    plan = bulk_plan(poll=1.6)
    recorder = Recorder()
    with running(bulk_seconds=1.2, bulk_page_rows=1000) as sandbox:
        batches = read(sandbox, plan, recorder)
    assert len(ids_of(batches)) == 340
    (job,) = creates(recorder)
    checks = polls(recorder)
    assert len(checks) == 2
    assert job.done is not None and checks[0].done is not None
    first, second = checks[0].sent - job.done, checks[1].sent - checks[0].done
    assert 0.9 <= first <= 1.5
    assert 1.5 <= second <= 2.4


def failing(job_index: int) -> Any:
    """A reply hook: the status of the ``job_index``-th job made says FAILURE.

    The sandbox never fails a job; Zoho does (the state and ``error_message`` are those of
    Zoho's job-details reply and callback, reference §7), so the answer is rewritten here.
    """
    made: list[str] = []

    def reply(call: Call, response: httpx.Response) -> httpx.Response:
        if call.method == "POST" and call.path == "/crm/bulk/v8/read" and response.status_code == 201:
            made.append(str(response.json()["data"][0]["details"]["id"]))
        if call.method != "GET" or call.path.endswith("/result") or not call.path.startswith("/crm/bulk/"):
            return response
        if len(made) <= job_index or not call.path.endswith(made[job_index]):
            return response
        body = response.json()
        body["data"][0]["state"] = "FAILURE"
        body["data"][0]["result"] = {
            "error_message": {
                "status": "error",
                "code": "INTERNAL_ERROR",
                "message": "export failed",
                "details": {},
            }
        }
        return httpx.Response(
            200, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
        )

    return reply


@pytest.mark.parametrize("job_index", [0, 1])
def test_a_failed_job_raises_zohos_error_and_leaves_no_zip(
    bulk: Sandbox, scratch: Path, job_index: int
) -> None:
    plan = bulk_plan()
    recorder = Recorder(reply=failing(job_index))
    got: list[pa.RecordBatch] = []

    async def main() -> None:
        async with client_for(bulk, transport=recorder) as client:
            async for batch in execute(plan, client):
                got.append(batch)

    with pytest.raises(ZohoApiError) as caught:
        asyncio.run(main())
    assert caught.value.code == "INTERNAL_ERROR"
    assert "export failed" in str(caught.value)
    assert len(ids_of(got)) == PAGE_ROWS * job_index  # the pages before the failed one came
    assert list(scratch.iterdir()) == []


def test_a_job_the_server_refuses_raises_zohos_error(bulk: Sandbox) -> None:
    plan = bulk_plan()
    assert isinstance(plan.root, BulkRead)
    broken = replace(plan, root=replace(plan.root, fields=("No_Such_Field",)))
    with pytest.raises(ZohoApiError) as caught:
        read(bulk, broken, Recorder())
    assert caught.value.code == "INVALID_DATA"


def test_closing_a_bulk_read_stops_the_next_job_and_removes_the_zip(bulk: Sandbox, scratch: Path) -> None:
    plan = bulk_plan()
    recorder = Recorder()

    async def main() -> None:
        async with client_for(bulk, transport=recorder) as client:
            async with contextlib.aclosing(execute(plan, client)) as batches:
                async for _ in batches:
                    break
            assert recorder.in_flight == 0
            sent = len(recorder.calls)
            await asyncio.sleep(3 * JOB_SECONDS)  # the second job would be polled meanwhile
            assert len(recorder.calls) == sent

    asyncio.run(main())
    assert len(creates(recorder)) == 2  # the second was made, then given up
    assert len(downloads(recorder)) == 1
    assert list(scratch.iterdir()) == []


def test_records_that_shift_between_pages_come_once(tmp_path: Path) -> None:
    """Five records with lower ids arrive after the first page: the next pages shift by
    five, so the second would start with the last five of the first."""
    db = private_db(tmp_path)
    before = oracle_ids(db)
    plan = bulk_plan()
    low = int(before[0]) - 100
    with running(db, bulk_seconds=0.3, bulk_page_rows=PAGE_ROWS) as sandbox:
        store = state_of(sandbox).store

        async def main() -> list[pa.RecordBatch]:
            async with client_for(sandbox) as client:
                batches = execute(plan, client)
                out = [await anext(batches)]
                store.insert(
                    "Leads",
                    ["id", "Last_Name", "Annual_Revenue"],
                    [(low + i, f"Newcomer {i}", 1000.0) for i in range(5)],
                )
                out += [b async for b in batches]
                return out

        got = ids_of(asyncio.run(main()))
    assert len(got) == len(set(got))
    assert set(got) == set(before)  # the newcomers sit in the first page, read before they came
