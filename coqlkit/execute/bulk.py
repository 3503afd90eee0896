"""Run a bulk-read step: a job per page of up to 200,000 records, its zipped CSV into Arrow.

The first job is created from the step's body; each later page is a new job created with
the previous result's ``next_page_token`` alone (``{"query": {"page_token": ...}}``, as Zoho's
create-job page shows it: the token carries the first job's query), started as soon as that token is known so the
next job runs while this page's CSV is being read. A job is polled with a growing interval
(a second, then doubling up to ``poll_seconds``); a ``FAILURE`` raises Zoho's error. The
CSV streams out of the zip through :func:`~coqlkit.execute.arrow.csv_to_batches` in a worker
thread, so the event loop never waits on parsing; the zip lives in a temporary directory
that is removed however the read ends. The CSV is parsed and converted in the memory pool
:func:`bulk_memory_pool` picks. Every call (create, poll, download) is counted in the step's
actuals however it ends, a job created in flight when the read stops included
(:func:`~coqlkit.execute.scan.metered`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import tempfile
import time
import zipfile
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from coqlkit.catalog.limits import BULK_READ_CREDITS
from coqlkit.errors import CreditBudgetExceeded, ZohoApiError
from coqlkit.execute.arrow import csv_to_batches
from coqlkit.execute.scan import metered
from coqlkit.plan.explain import Actual
from coqlkit.plan.steps import BulkRead
from coqlkit.transport import AsyncZohoClient, CreditBudget

__all__ = ["bulk_memory_pool", "bulk_read"]


def bulk_memory_pool() -> pa.MemoryPool:
    """The memory pool a bulk-read CSV is parsed and converted in: Arrow's jemalloc, told
    to give what it frees back to the system at once, where pyarrow has it; else (or when
    the process already made jemalloc Arrow's default pool) the default pool.

    Parsing and converting 500,000 records allocates and frees about 1.4 GB, mostly in
    Arrow's CSV threads. The default allocator (mimalloc) gives back what those threads
    free only when they collect, which nothing asks them to do: a 500,000-row export
    peaked 16-24% above a 100,000-row one (now 5-6%). jemalloc returns freed pages
    whichever thread frees them. Its decay is a setting of Arrow's own jemalloc (linked into pyarrow under
    names of its own: no ``malloc`` of the process goes through it), which only
    ``pa.jemalloc_memory_pool()`` allocates from; it is set once, and left alone when the
    process configures that jemalloc itself (``JE_ARROW_MALLOC_CONF``, or jemalloc as the
    default pool).
    """
    default = pa.default_memory_pool()
    if default.backend_name == "jemalloc":
        return default  # the process's choice, with its settings
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:  # a pyarrow built without jemalloc (pa.ArrowNotImplementedError)
        return default
    if _release_at_once():
        # The new decay holds for arenas created from now on. jemalloc's first arena, made
        # before it, goes to the first thread that allocates: this one (the event loop's,
        # which allocates next to nothing from this pool), not a thread parsing the CSV.
        pa.allocate_buffer(1, memory_pool=pool)
    return pool


_released: bool | None = None  # whether jemalloc_set_decay_ms(0) took (None: not tried yet)


def _release_at_once() -> bool:
    """Have Arrow's jemalloc return freed pages at once (``pa.jemalloc_set_decay_ms(0)``),
    once per process, unless ``JE_ARROW_MALLOC_CONF`` configures it: whether it does."""
    global _released
    if os.environ.get("JE_ARROW_MALLOC_CONF"):
        return False
    if _released is None:
        try:
            pa.jemalloc_set_decay_ms(0)
            _released = True
        except pa.ArrowException:  # then it decays as Arrow set it: in a second or so
            _released = False
    return _released


#: What a bulk-read job certainly costs past its creation: a status poll and the download.
_JOB_REST = 2


class _Job:
    def __init__(
        self,
        client: AsyncZohoClient,
        actual: Actual,
        poll_seconds: float,
        budget: CreditBudget | None,
    ) -> None:
        self.client = client
        self.actual = actual
        self.poll_seconds = poll_seconds
        self.budget = budget

    async def run(self, body: dict[str, Any], later: int = 0) -> tuple[str, dict[str, Any]]:
        """Create the job and wait until it completes: its id and ``result``. ``later``: the
        jobs planned after it, whose certain cost its polls leave alone."""
        client, actual = self.client, self.actual
        details = await metered(actual, self.budget, functools.partial(client.bulk_read_create, body))
        job_id = str(details["id"])
        wait = min(1.0, self.poll_seconds)
        polls = 0
        while True:
            await asyncio.sleep(wait)
            if polls:
                self._afford_poll(job_id, polls, later)
            polls += 1
            status = await metered(actual, self.budget, functools.partial(client.bulk_read_status, job_id))
            state = str(status.get("state", "")).upper()
            if state == "COMPLETED":
                return job_id, dict(status.get("result") or {})
            if state in ("FAILURE", "FAILED"):
                error = (status.get("result") or {}).get("error_message") or {}
                raise ZohoApiError(
                    f"the bulk-read job {job_id} failed: {error.get('message', 'no reason given')}",
                    code=str(error.get("code") or "BULK_READ_FAILED"),
                    details=error.get("details") if isinstance(error.get("details"), dict) else None,
                )
            wait = min(wait * 2, self.poll_seconds)

    def _afford_poll(self, job_id: str, polls: int, later: int) -> None:
        """Refuse a status poll past the first that only the credits the plan holds for the
        download (and for the jobs after this one) could pay for: spending them would leave
        the job unread at the end anyway, one credit later and with a poorer message."""
        budget = self.budget
        if budget is None:
            return
        kept = 1 + later * (BULK_READ_CREDITS + _JOB_REST)  # this download; the jobs to come
        if budget.left - 1 >= kept:
            return
        raise CreditBudgetExceeded(
            f"the bulk-read job {job_id} is still running after {polls} status "
            f"{'poll' if polls == 1 else 'polls'}, and another would leave the query's budget of "
            f"{budget.limit:,} credits too little for its download"
            + (" and the jobs after it" if later else "")
            + f": stopped, the job's {BULK_READ_CREDITS} credits spent (raise max_credits / "
            "--max-credits to wait for slower jobs)",
            needed=1 + kept,
            left=budget.left,
        )


async def bulk_read(
    client: AsyncZohoClient,
    step: BulkRead,
    schema: pa.Schema,
    actual: Actual,
    *,
    poll_seconds: float = 5.0,
    budget: CreditBudget | None = None,
) -> AsyncGenerator[pa.RecordBatch, None]:
    """The batches of every page of the step's bulk read, each id once; every call refused
    before it is sent when ``budget`` (the query's own) cannot pay for it."""
    started = time.perf_counter()
    job = _Job(client, actual, poll_seconds, budget)
    page = 0
    seen = _Seen()
    running: asyncio.Future[tuple[str, dict[str, Any]]] | None = asyncio.ensure_future(
        job.run(step.body(), max(0, step.pages - 1))
    )
    with tempfile.TemporaryDirectory(prefix="coqlkit-bulk-") as workdir:
        try:
            while running is not None:
                job_id, result = await running
                running = None
                token = result.get("next_page_token")
                if result.get("more_records") and token:
                    # The token alone, as Zoho's docs show it: the job it came from holds the query.
                    page += 1
                    later = max(0, step.pages - page - 1)
                    running = asyncio.ensure_future(job.run({"query": {"page_token": str(token)}}, later))
                download = functools.partial(
                    client.bulk_read_download, job_id, Path(workdir) / f"{job_id}.zip"
                )
                archive = await metered(actual, budget, download)
                seen.next_page()
                async with contextlib.aclosing(_read_archive(archive, step, schema)) as batches:
                    async for batch in batches:
                        batch = seen.unique(batch)
                        actual.rows += batch.num_rows
                        actual.seconds = time.perf_counter() - started
                        if batch.num_rows:
                            yield batch
                archive.unlink(missing_ok=True)
        finally:
            if running is not None:
                running.cancel()
                await asyncio.gather(running, return_exceptions=True)
            actual.seconds = time.perf_counter() - started


async def _read_archive(
    archive: Path, step: BulkRead, schema: pa.Schema
) -> AsyncGenerator[pa.RecordBatch, None]:
    """The batches of the CSV in ``archive``: opened and parsed in a worker thread."""
    reader = _Reader(archive, step, schema)
    try:
        while (batch := await reader.next()) is not None:
            yield batch
    finally:
        await reader.close()


class _Reader:
    """A zipped CSV read batch by batch in worker threads, one step at a time.

    A thread cannot be stopped: when the read is cancelled mid-step, :meth:`close` waits for
    that step to end before it closes the file the thread reads (and before the temporary
    directory holding it is removed).
    """

    def __init__(self, archive: Path, step: BulkRead, schema: pa.Schema) -> None:
        self.archive = archive
        self.step = step
        self.schema = schema
        self.files: list[Any] = []  # the zip, then its CSV member: closed in reverse
        self.batches: Iterator[pa.RecordBatch] | None = None
        self.running: asyncio.Future[pa.RecordBatch | None] | None = None
        self.pool = bulk_memory_pool()

    def _open(self) -> Iterator[pa.RecordBatch]:
        zf = zipfile.ZipFile(self.archive)
        self.files.append(zf)
        members = [n for n in zf.namelist() if n.lower().endswith(".csv")]
        if not members:
            raise ZohoApiError(
                f"the bulk-read result {self.archive.name} holds no CSV", code="BULK_READ_FAILED"
            )
        stream = zf.open(members[0])
        self.files.append(stream)
        return csv_to_batches(stream, self.step.columns, self.schema, memory_pool=self.pool)

    def _step(self) -> pa.RecordBatch | None:
        if self.batches is None:
            self.batches = self._open()
        return next(self.batches, None)

    async def next(self) -> pa.RecordBatch | None:
        self.running = asyncio.ensure_future(asyncio.to_thread(self._step))
        return await asyncio.shield(self.running)

    async def close(self) -> None:
        running, self.running = self.running, None
        if running is not None:
            if not running.done():
                await asyncio.wait([running])
            if not running.cancelled():
                running.exception()  # retrieved: it was raised already, or is of no interest now
        close = getattr(self.batches, "close", None)  # the CSV reader's generator, if one began
        if close is not None:
            close()
        for handle in reversed(self.files):
            handle.close()
        self.files.clear()


class _Seen:
    """The ids of the pages read so far, to drop a record an earlier page already gave
    (pages are separate jobs, run apart in time; within one page ids are unique).

    Ids are kept as Arrow int64 arrays (8 bytes each, not a Python set's ~70), with each
    page's id range: a batch is looked up only in the pages whose range it overlaps,
    which with Zoho's id-ordered pages is none."""

    def __init__(self) -> None:
        self.pages: list[tuple[int, int, pa.Array]] = []
        self.current: list[pa.Array] = []

    def next_page(self) -> None:
        if self.current:
            ids = pa.concat_arrays(self.current)
            low, high = pc.min_max(ids).values()
            self.pages.append((low.as_py(), high.as_py(), ids))
        self.current = []

    def unique(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        if not batch.num_rows:
            return batch
        ids = pc.cast(batch.column("id"), pa.int64())
        low, high = (v.as_py() for v in pc.min_max(ids).values())
        earlier = [page for first, last, page in self.pages if not (high < first or low > last)]
        if earlier:
            keep = pc.invert(pc.is_in(ids, value_set=pa.concat_arrays(earlier)))
            if not pc.all(keep).as_py():
                batch, ids = batch.filter(keep), ids.filter(keep)
        self.current.append(ids)
        return batch
