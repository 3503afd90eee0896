"""A bulk read weighed, bounded and paced (review 8, big #1, #2, #3 and #5), against the
sandbox over real HTTP:

- #1: once Zoho says how many of the org's credits are left today, a read whose rest (the
  downloads owed, and each job to come: its creation, a status poll, its download) costs
  more stops before sending more, instead of making the next job and spending the org's
  last credits on rows it throws away;
- #2: a job that never completes is given up after ``JOB_PATIENCE`` times its expected
  time, named, with how to fetch its result later, and a warning once its polls pass what
  EXPLAIN counted; a job Zoho fails raises Zoho's error;
- #3: a lazy read creates the next page's job only when its reader comes back for more;
- #5: a download that fails after the client's retries is tried again after a pause, and
  when it still fails the error says the job's result can be downloaded for about a day.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from typing import Any

import httpx
import pyarrow as pa
import pytest

from coqlkit.errors import DailyLimitReached, TransportError, ZohoApiError
from coqlkit.execute import RunStats, execute, options_for, prepare
from coqlkit.execute import bulk as bulk_module
from coqlkit.execute.arrow import schema
from coqlkit.execute.bulk import bulk_read
from coqlkit.language import parse
from coqlkit.plan.explain import Actual
from coqlkit.plan.steps import BulkRead
from coqlkit.sandbox.server import Sandbox
from tests.execute._support import (
    CATALOG,
    CRITERIA,
    Call,
    Recorder,
    client_for,
    crm_log,
    ids_of,
    oracle_ids,
    org_db,
    plan_of,
    running,
)

QUERY = f"select Last_Name from Leads where {CRITERIA}"  # 340 records
CREATE = "/crm/bulk/v8/read"


def read_all(
    sandbox: Sandbox, recorder: Recorder | None = None, **options: Any
) -> tuple[list[pa.RecordBatch], RunStats]:
    """``QUERY`` as a bulk read through :func:`execute`, its COUNT probe made."""
    stats = RunStats()

    async def main() -> list[pa.RecordBatch]:
        async with client_for(sandbox, transport=recorder) as client:
            settings = {"strategy": "bulk", "latency_ms": 0, "bulk_poll_seconds": 0.05, **options}
            plan = await prepare(parse(QUERY), CATALOG, client, options_for(client, **settings))
            assert isinstance(plan.root, BulkRead)
            return [b async for b in execute(plan, client, stats=stats)]

    return asyncio.run(main()), stats


def logged(sandbox: Sandbox, prefix: str = CREATE) -> list[tuple[str, str, int]]:
    return [
        (str(e["method"]), str(e["path"]), int(e["credits"]))
        for e in crm_log(sandbox)
        if str(e["path"]).startswith(prefix)
    ]


def creations(sandbox: Sandbox) -> list[tuple[str, str, int]]:
    return [e for e in logged(sandbox) if e[0] == "POST"]


# ---- #1: the rest of the read weighed against the org's credits left today -------------------


def test_a_read_the_org_cannot_finish_stops_before_the_next_job() -> None:
    """Two jobs of 200 records; 104 credits for the day. The jobs complete at once, so the
    first poll finds job 1 done, and its answer brings Zoho's first figure (52 used: 52
    left). What remains certain is 53: job 1's download and job 2's creation, poll and
    download. Stopped there, with 52 credits spent; before, job 2 was made (50 credits), the
    org left with 1 and the read failing at the last download all the same."""
    with running(daily_credits=104, bulk_seconds=0, bulk_page_rows=200) as sandbox:
        with pytest.raises(DailyLimitReached) as info:
            read_all(sandbox, bulk_job_seconds=0.1, bulk_page_rows=200)
        assert len(creations(sandbox)) == 1
        assert sandbox.state is not None and sandbox.state.credits_used == 1 + 50 + 1
        (job,) = {path.split("/")[5] for _, path, _ in logged(sandbox, CREATE + "/")}
    error = info.value
    assert (error.needed, error.left) == (53, 52)
    assert str(error) == (
        "the bulk read cannot finish today: it still needs 53 credits for certain (the download "
        f"of the bulk-read job {job}; 1 job more: a creation (50), a status poll and a download "
        "each), and the org has 52 left by what Zoho last said (X-API-CREDITS-REMAINING), the "
        "calls already out taken off; stopped after 51 credits of the read's, before sending "
        "more, rather than spend the org's last credits on rows it would throw away, leaving its "
        "other integrations none (credits come back as the day's rolling 24 hours move on: run "
        f"it again later); the bulk-read job {job} completed and its 50 credits are spent: Zoho "
        f"keeps a job's result for about a day (GET /crm/bulk/v8/read/{job}/result, 1 credit)"
    )


def test_a_read_the_org_can_finish_is_not_stopped() -> None:
    """The same read with 106 credits: the figure (53 left) pays for the rest (53)."""
    with running(daily_credits=106, bulk_seconds=0, bulk_page_rows=200) as sandbox:
        batches, stats = read_all(sandbox, bulk_job_seconds=0.1, bulk_page_rows=200)
        assert sandbox.state is not None and sandbox.state.credits_used == 105
    assert ids_of(batches) == oracle_ids(org_db())
    assert stats.credits == 105


# ---- #2: a job that never completes, or fails ------------------------------------------------


def test_a_job_that_never_completes_is_given_up_named(caplog: pytest.LogCaptureFixture) -> None:
    """Expected in 0.1 s, polled every 50 ms: given up after 1 s (ten times), not polled
    for good; the job named, and how to fetch its result later. Once its polls pass what
    EXPLAIN counts for it, a warning says so."""
    with running(bulk_seconds=0.1, bulk_outcomes=("stall",)) as sandbox:
        with caplog.at_level(logging.WARNING, "coqlkit.execute.bulk"), pytest.raises(TransportError) as info:
            read_all(sandbox, bulk_job_seconds=0.1)
        calls = logged(sandbox)
    (job,) = {path.split("/")[5] for _, path, _ in calls if path != CREATE}
    polls = [c for c in calls if c[1] == f"{CREATE}/{job}"]
    assert len(creations(sandbox)) == 1 and not [c for c in calls if c[1].endswith("/result")]
    assert 10 <= len(polls) <= 25  # about one in 50 ms for a second; before, without end
    error = info.value
    assert error.code == "TIMEOUT" and error.details["job"] == job
    text = str(error)
    assert re.match(
        rf"the bulk-read job {job} is still IN PROGRESS after 1\.[0-2] s and \d+ status polls, ", text
    )
    assert (
        "10 times its expected 0.1 s (bulk_job_seconds): stopped waiting, its 50 credits spent. "
        f"Zoho may still complete it: GET /crm/bulk/v8/read/{job} (1 credit) says when, and its "
        "result can then be downloaded for about a day "
        f"(GET /crm/bulk/v8/read/{job}/result, 1 credit)"
    ) in text
    (warning,) = [r.getMessage() for r in caplog.records if "EXPLAIN counted" in r.getMessage()]
    assert re.match(
        rf"the bulk-read job {job} is still running after 2 status polls \(0\.[0-3] s\), ", warning
    )
    assert warning.endswith(
        "as many as EXPLAIN counted for a job of 0.1 s (bulk_job_seconds): "
        "each further poll costs a credit; coqlkit stops waiting 1 s after its creation"
    )


def test_a_job_zoho_fails_raises_its_error() -> None:
    with running(bulk_seconds=0.1, bulk_outcomes=("fail",)) as sandbox:
        with pytest.raises(ZohoApiError) as info:
            read_all(sandbox, bulk_job_seconds=0.1)
        assert not [c for c in logged(sandbox) if c[1].endswith("/result")]
    assert info.value.code == "INTERNAL_ERROR"
    assert "failed: the export failed" in str(info.value)
    from coqlkit.repl.status import exit_code

    assert info.value.status == 500 and exit_code(info.value) == 3  # Zoho's failure: not the query's (1)


# ---- #3: a lazy read makes the next job only when its reader comes back ----------------------

PAGE_ROWS = 150  # three pages of the 340 records


def lazy_read(sandbox: Sandbox, lazy: Any, batches: int | None) -> tuple[list[pa.RecordBatch], int]:
    """The bulk read of ``QUERY`` in pages of 150, ``batches`` batches taken (None: all),
    then closed: the batches and the jobs created."""
    found = plan_of(
        QUERY,
        rows=340,
        strategy="bulk",
        bulk_page_rows=PAGE_ROWS,
        bulk_job_seconds=0.1,
        bulk_poll_seconds=0.05,
    )
    step = found.root
    assert isinstance(step, BulkRead)
    recorder = Recorder()

    async def main() -> list[pa.RecordBatch]:
        got: list[pa.RecordBatch] = []
        async with client_for(sandbox, transport=recorder) as client:
            source = bulk_read(
                client, step, schema(step.columns), Actual(), poll_seconds=0.05, job_seconds=0.1, lazy=lazy
            )
            async with contextlib.aclosing(source) as reading:
                async for batch in reading:
                    got.append(batch)
                    if batches is not None and len(got) == batches:
                        break
        return got

    got = asyncio.run(main())
    return got, len([c for c in recorder.crm() if c.method == "POST" and c.path == CREATE])


@pytest.mark.parametrize("lazy", [True, "ramp"])
def test_a_lazy_reader_that_takes_one_batch_buys_one_job(lazy: Any) -> None:
    with running(bulk_seconds=0.1, bulk_page_rows=PAGE_ROWS) as sandbox:
        got, jobs = lazy_read(sandbox, lazy, 1)
    assert len(ids_of(got)) == PAGE_ROWS  # the page is one batch here
    assert jobs == 1  # before: 2, the second page's job made as soon as the first completed


def test_a_lazy_reader_that_reads_on_gets_every_page() -> None:
    with running(bulk_seconds=0.1, bulk_page_rows=PAGE_ROWS) as sandbox:
        got, jobs = lazy_read(sandbox, True, None)
    assert ids_of(got) == oracle_ids(org_db()) and jobs == 3


def test_a_full_read_still_makes_the_next_job_at_once() -> None:
    with running(bulk_seconds=0.1, bulk_page_rows=PAGE_ROWS) as sandbox:
        _, jobs = lazy_read(sandbox, False, 1)
    assert jobs == 2


# ---- #5: a download that fails after the client's retries ------------------------------------


def failing_downloads(times: int) -> Any:
    """A reply hook: the first ``times`` download attempts answer Zoho's 500."""
    failed: list[Call] = []

    def reply(call: Call, response: httpx.Response) -> httpx.Response:
        if not call.path.endswith("/result") or len(failed) >= times:
            return response
        failed.append(call)
        body = {
            "status": "error",
            "code": "INTERNAL_ERROR",
            "message": "Internal Server Error",
            "details": {},
        }
        return httpx.Response(
            500, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
        )

    return reply


def test_a_download_that_outlasts_the_retries_is_tried_again_after_a_pause() -> None:
    """The client tries 8 times (the tests' policy); the 9th attempt, after a pause, works."""
    with running(bulk_seconds=0.1) as sandbox:
        batches, _ = read_all(sandbox, Recorder(reply=failing_downloads(8)), bulk_job_seconds=0.1)
    assert ids_of(batches) == oracle_ids(org_db())


def test_a_download_that_keeps_failing_says_the_result_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk_module, "DOWNLOAD_ROUNDS", 1)
    with running(bulk_seconds=0.1) as sandbox:
        with pytest.raises(ZohoApiError) as info:
            read_all(sandbox, Recorder(reply=failing_downloads(100)), bulk_job_seconds=0.1)
        (job,) = {path.split("/")[5] for _, path, _ in logged(sandbox, CREATE + "/")}
    assert info.value.status == 500
    assert str(info.value).endswith(
        f"(tried 2 times); the bulk-read job {job} completed and its 50 credits are spent: Zoho "
        f"keeps its result for about a day (GET /crm/bulk/v8/read/{job}/result, 1 credit): "
        "download it then rather than run the query again (a new job, another 50 credits)"
    ), str(info.value)
