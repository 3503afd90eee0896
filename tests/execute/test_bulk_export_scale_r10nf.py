"""A nightly bulk export at scale (review N), against the sandbox over real HTTP:

- #1: a read whose ``max_credits`` is its certain cost finishes: a download in flight
  when the next job is weighed is counted once (it was held on the budget and still owed:
  the next job, made, was dropped before its first poll, 103 credits spent for nothing);
  a credit under that cost is refused before anything is spent, saying what it would cost;
- #2: a bulk read of one job is one snapshot: records changed between the COUNT probe and
  the job make a note, not a short read; across several jobs, one may still shift a page;
- #3: the directory of a bulk read killed outright (SIGKILL), its zip of CRM records
  in it, is removed by the next bulk read, never a live read's;
- #4: a job given up names the wait that was used (``bulk_poll_seconds`` when longer).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest

from coqlkit.errors import ConsistencyWarning, CreditBudgetExceeded, TransportError
from coqlkit.execute import RunStats, execute, options_for, prepare
from coqlkit.execute import bulk as bulk_module
from coqlkit.execute.bulk import sweep_workdirs
from coqlkit.language import parse
from coqlkit.plan.steps import BulkRead
from coqlkit.sandbox.server import Sandbox
from tests.execute._support import (
    CATALOG,
    CRITERIA,
    client_for,
    crm_log,
    ids_of,
    oracle_ids,
    org_db,
    private_db,
    running,
)

QUERY = f"select Last_Name from Leads where {CRITERIA}"  # 340 records
#: Two jobs of 200 records, quick ones, polled often.
TWO_JOBS: dict[str, Any] = {
    "strategy": "bulk",
    "latency_ms": 0,
    "bulk_page_rows": 200,
    "bulk_job_seconds": 0.3,
    "bulk_poll_seconds": 0.05,
}


class SlowFirstDownload(httpx.AsyncBaseTransport):
    """httpx's own transport; the first download's request waits ``delay`` before it goes,
    as a big zip on a slow link does: the next job is created and weighed meanwhile."""

    def __init__(self, delay: float) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.delay = delay
        self.downloads = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/result"):
            self.downloads += 1
            if self.downloads == 1:
                await asyncio.sleep(self.delay)
        response = await self.inner.handle_async_request(request)
        await response.aread()
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def read(
    sandbox: Sandbox, text: str = QUERY, transport: httpx.AsyncBaseTransport | None = None, **options: Any
) -> tuple[list[pa.RecordBatch], RunStats, BulkRead]:
    stats = RunStats()

    async def main() -> tuple[list[pa.RecordBatch], BulkRead]:
        async with client_for(sandbox, transport=transport) as client:
            plan = await prepare(parse(text), CATALOG, client, options_for(client, **{**TWO_JOBS, **options}))
            assert isinstance(plan.root, BulkRead)
            return [b async for b in execute(plan, client, stats=stats)], plan.root

    batches, step = asyncio.run(main())
    return batches, stats, step


# ---- #1: a download in flight counted once ----------------------------------------------------


def test_a_budget_of_the_certain_cost_finishes_with_a_download_in_flight() -> None:
    """105 credits: the probe, and two jobs of a creation, a poll and a download each. Job
    1's download is slow; job 2 is created and weighed while it is out. Before, the download
    was owed and held on the budget at once, job 2 had "0 room" and was dropped unpolled
    (103 credits spent, no rows)."""
    slow = SlowFirstDownload(delay=1.5)
    with running(bulk_seconds=0.05, bulk_page_rows=200) as sandbox:
        batches, stats, step = read(sandbox, transport=slow, max_credits=105)
        log = crm_log(sandbox)
    assert step.pages == 2
    assert ids_of(batches) == oracle_ids(org_db())
    assert stats.credits == 105 == sum(int(e["credits"]) for e in log)
    polls = [e for e in log if e["method"] == "GET" and not str(e["path"]).endswith("/result")]
    assert len(polls) == 2  # one each: the budget had room for no more
    # Job 2 was made while job 1's download was out: what the race needed.
    posts = [i for i, e in enumerate(log) if e["method"] == "POST" and "/bulk/" in str(e["path"])]
    first_download = next(i for i, e in enumerate(log) if str(e["path"]).endswith("/result"))
    assert len(posts) == 2 and posts[1] < first_download


def test_a_credit_under_the_certain_cost_is_refused_before_a_job_is_made() -> None:
    with running(bulk_seconds=0.05, bulk_page_rows=200) as sandbox:
        with pytest.raises(CreditBudgetExceeded) as refused:
            read(sandbox, max_credits=104)
        log = crm_log(sandbox)
    assert not [e for e in log if "/bulk/" in str(e["path"])]  # no job, no poll, no download
    assert sum(int(e["credits"]) for e in log) <= 1  # the COUNT probe, at most
    message = str(refused.value)
    assert "105" in message and "104" in message, message


# ---- #2: one job is one snapshot ---------------------------------------------------------------


class ChangeBeforeTheJob(httpx.AsyncBaseTransport):
    """httpx's own transport; before the first bulk-read job is created (after the COUNT
    probe), ``sql`` is run on the org's SQLite file, as another Zoho user's edits."""

    def __init__(self, db: str, sql: str) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.db, self.sql = db, sql
        self.done = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == "/crm/bulk/v8/read" and not self.done:
            self.done = True
            with sqlite3.connect(self.db) as conn:
                conn.execute(self.sql)
        response = await self.inner.handle_async_request(request)
        await response.aread()
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def _first_ids(db: str, n: int) -> str:
    return ",".join(oracle_ids(db)[:n])


def test_records_deleted_before_a_one_job_read_are_a_note_not_a_short_read(tmp_path: Path) -> None:
    db = private_db(tmp_path)
    doomed = _first_ids(db, 25)
    change = ChangeBeforeTheJob(db, f"DELETE FROM Leads WHERE id IN ({doomed})")
    with running(db, bulk_seconds=0.05) as sandbox, warnings.catch_warnings():
        warnings.simplefilter("error", ConsistencyWarning)  # none: nothing may be missing
        batches, stats, step = read(sandbox, transport=change, bulk_page_rows=200_000)
    assert step.pages == 1 and change.done
    assert ids_of(batches) == oracle_ids(db)  # the snapshot: every record that matches now
    assert len(ids_of(batches)) == 340 - 25
    assert stats.mismatch is None and stats.snapshot_changed == (315, 340)
    (note,) = [n for n in stats.notes if "snapshot" in n]
    assert note.startswith("25 fewer rows than the COUNT probe found (315, not 340): records were ")
    assert "bulk-read job" in note and "none missing" in note and "shift" not in note


def test_records_created_before_a_one_job_read_are_a_note(tmp_path: Path) -> None:
    db = private_db(tmp_path)
    change = ChangeBeforeTheJob(
        db,
        "UPDATE Leads SET Annual_Revenue = 5 WHERE id IN (SELECT id FROM Leads WHERE "
        "Annual_Revenue IS NULL OR Annual_Revenue <= 0 ORDER BY id LIMIT 30)",
    )
    with running(db, bulk_seconds=0.05) as sandbox, warnings.catch_warnings():
        warnings.simplefilter("error", ConsistencyWarning)
        batches, stats, _ = read(sandbox, transport=change, bulk_page_rows=200_000)
    assert ids_of(batches) == oracle_ids(db) and len(ids_of(batches)) == 370
    assert stats.mismatch is None and stats.snapshot_changed == (370, 340)
    assert any(n.startswith("30 more rows than the COUNT probe found (370, not 340)") for n in stats.notes)


def test_records_deleted_between_the_jobs_of_a_paged_read_are_still_a_short_read(tmp_path: Path) -> None:
    """Several jobs: each page a snapshot of its own time. Deleted after job 1 ran, records
    of page 1 shift page 2 (the sandbox's page token goes on by position): a record that
    still matches is missed, and that is said as a short read."""
    db = private_db(tmp_path)
    doomed = _first_ids(db, 10)

    class AfterFirstJob(ChangeBeforeTheJob):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/result") and not self.done:
                self.done = True
                with sqlite3.connect(self.db) as conn:
                    conn.execute(self.sql)
            return await ChangeBeforeTheJob.handle_async_request(self, request)

    change = AfterFirstJob(db, f"DELETE FROM Leads WHERE id IN ({doomed})")
    with (
        running(db, bulk_seconds=0.05, bulk_page_rows=200) as sandbox,
        pytest.warns(ConsistencyWarning) as said,
    ):
        batches, stats, step = read(sandbox, transport=change)
    assert step.pages == 2 and len(stats.bulk_jobs[id(step)]) == 2
    assert len(ids_of(batches)) < 340 and stats.mismatch == (len(ids_of(batches)), 340)
    assert stats.snapshot_changed is None
    text = str(said[0].message)
    assert "may be missing" in text and "the 2 bulk-read jobs are snapshots" in text
    assert "strategy='bulk'" not in text


# ---- #3: a killed read's directory swept -------------------------------------------------------


def test_the_directory_of_a_read_killed_outright_is_swept_by_the_next(tmp_path: Path) -> None:
    """A bulk read in a child process, killed with SIGKILL while its zip is on disk, leaves
    its directory; the next bulk read removes it. A live read's directory (another process
    that holds it) and another host's stay."""
    root = tmp_path / "tmp"
    root.mkdir()
    env = {**os.environ, "TMPDIR": str(root)}
    child = subprocess.Popen([sys.executable, "-c", _HOLDER], env=env, stdout=subprocess.PIPE, text=True)
    live = subprocess.Popen([sys.executable, "-c", _HOLDER], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and live.stdout is not None
        dead_dir = Path(child.stdout.readline().strip())
        live_dir = Path(live.stdout.readline().strip())
        assert (dead_dir / "job.zip").exists() and (live_dir / "job.zip").exists()
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        other_host = root / f"coqlkit-bulk-00000000-{child.pid}-abcdefgh"
        other_host.mkdir()
        assert dead_dir.exists()  # SIGKILL: nothing cleaned up
        removed = sweep_workdirs(str(root))
        assert removed == [dead_dir] and not dead_dir.exists()
        assert live_dir.exists() and other_host.exists()
    finally:
        for process in (child, live):
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
            if process.stdout is not None:
                process.stdout.close()


_HOLDER = """
import sys, time
from pathlib import Path
from coqlkit.execute.bulk import _workdir
with _workdir() as workdir:
    (Path(workdir) / "job.zip").write_bytes(b"PK" + b"x" * 1000)
    print(workdir, flush=True)
    time.sleep(600)
"""


def test_a_bulk_read_sweeps_and_leaves_nothing_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through a real read: a dead process's directory (its pid no process, no lock held)
    is gone after it, and so is the read's own."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    pid = int(dead.stdout)
    left = root / f"coqlkit-bulk-{bulk_module._HOST}-{pid}-k9b0zzzz"
    left.mkdir()
    (left / "lock").touch()
    (left / "4150868900000000025.zip").write_bytes(b"PK" * 100)
    old = root / "coqlkit-bulk-w_5tkkfz"  # named before the pid was in it: by age
    old.mkdir()
    day_ago = time.time() - bulk_module.OLD_WORKDIR_AFTER - 60
    os.utime(old, (day_ago, day_ago))
    recent = root / "coqlkit-bulk-hb2dfl1h"
    recent.mkdir()
    with running(bulk_seconds=0.05) as sandbox:
        batches, _, _ = read(sandbox, bulk_page_rows=200_000)
    assert len(ids_of(batches)) == 340
    assert sorted(p.name for p in root.iterdir()) == ["coqlkit-bulk-hb2dfl1h"]
    shutil.rmtree(recent)


# ---- #4: the wait named as it was used -----------------------------------------------------------


def test_a_job_given_up_names_the_poll_interval_when_it_is_the_longer() -> None:
    with (
        running(bulk_seconds=0.1, bulk_outcomes=("stall",)) as sandbox,
        pytest.raises(TransportError) as info,
    ):
        read(sandbox, bulk_page_rows=200_000, bulk_job_seconds=0.01, bulk_poll_seconds=0.1)
    text = str(info.value)
    assert "10 times its expected 0.1 s (bulk_poll_seconds, longer than bulk_job_seconds=0.01)" in text
    assert "--bulk-job-seconds" in text


# ---- #5: a lost answer not sent again is the client's "maybe charged", not the query's ----------


class LoseFirstPage(httpx.AsyncBaseTransport):
    """httpx's own transport; the answer of the first COQL page (not the COUNT probe) is
    lost on its way back: Zoho ran (and charged) it, the client never hears."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.lost = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        await response.aread()
        if request.url.path == "/crm/v8/coql" and b"COUNT(" not in request.content and not self.lost:
            self.lost = True
            raise httpx.ReadError("the connection dropped", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_read_stopped_while_a_lost_answer_waits_to_be_sent_again_counts_it_apart() -> None:
    """The page's answer is lost, and the read is stopped (a SIGTERM, a Ctrl-C) while the
    client waits to send it again: the page is maybe charged (the client's unanswered
    credits), left out of the query's credits, which before kept it: ``--stats-json`` had
    ``query_credits`` over ``credits``."""
    from dataclasses import replace

    from coqlkit.transport import AsyncZohoClient, FileTokenStore, RetryPolicy, load_settings

    lose = LoseFirstPage()
    stats = RunStats()

    async def main(sandbox: Sandbox, tokens: Path) -> tuple[int, int]:
        settings = load_settings(
            env=sandbox.environment(), store=FileTokenStore(tokens), path=Path("/nonexistent/config.toml")
        )
        slow_retry = RetryPolicy(attempts=3, base=30.0, cap=30.0)  # the resend waits: stopped then
        async with AsyncZohoClient(
            replace(settings, concurrency=2), retry=slow_retry, transport=lose, seed=7
        ) as client:
            await client.tokens.token()
            plan = await prepare(
                parse(QUERY), CATALOG, client, options_for(client, strategy="coql", latency_ms=0)
            )
            before = client.credits_used - client.unanswered_credits

            async def consume() -> None:
                async for _ in execute(plan, client, stats=stats):
                    pass

            task = asyncio.ensure_future(consume())
            deadline = time.monotonic() + 30
            while not lose.lost or client.unanswered_calls == 0:
                assert time.monotonic() < deadline and not task.done()
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.2)  # in the client's wait before the resend
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return client.credits_used - client.unanswered_credits - before, client.unanswered_credits

    with running(bulk_seconds=0.05) as sandbox, tempfile.TemporaryDirectory() as home:
        charged, maybe = asyncio.run(main(sandbox, Path(home) / "tokens.json"))
        pages = [e for e in crm_log(sandbox) if e["path"] == "/crm/v8/coql"]
    probe = int(pages[0]["credits"])
    assert maybe == int(pages[1]["credits"]) > 0 and len(pages) == 2  # the page, not sent again
    assert charged == 0
    assert stats.credits == probe  # the probe alone: the page is maybe charged, counted apart
