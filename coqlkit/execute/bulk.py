"""Run a bulk-read step: a job per page of up to 200,000 records, its zipped CSV into Arrow.

The first job is created from the step's body; each later page is a new job created with
the previous result's ``next_page_token`` alone (``{"query": {"page_token": ...}}``, as Zoho's
create-job page shows it: the token carries the first job's query), started as soon as that token is known so the
next job runs while this page's CSV is being read. A job is polled with a growing interval
(a second, then doubling up to ``poll_seconds``), spaced further apart when the query's
budget or the org's credits left today allow only a few polls past the download's credit;
a ``FAILURE`` raises Zoho's error. A creation whose answer was lost (a job maybe made and
charged, its id unknown) is made once more when the credits can pay for a second job. The
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
import sys
import tempfile
import time
import zipfile
from collections.abc import AsyncGenerator, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from coqlkit.catalog.limits import BULK_READ_CREDITS
from coqlkit.errors import CreditBudgetExceeded, DailyLimitReached, TransportError, ZohoApiError
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
    """Bulk-read jobs, each created, polled until it completes, and its result handed back
    (the download is the caller's), within the query's budget and the org's credits left
    today.

    Credits are held back from the polls for what must follow them: the job's download
    (and the certain cost of the jobs after it). When those leave only a few polls, the
    polls are spaced out (waiting is free) so that they last until the job's expected end
    (``job_seconds``), or, past it, until twice the time it has run; when they leave none,
    the job stops before the poll, naming it."""

    def __init__(
        self,
        client: AsyncZohoClient,
        actual: Actual,
        poll_seconds: float,
        budget: CreditBudget | None,
        job_seconds: float = 60.0,
    ) -> None:
        self.client = client
        self.actual = actual
        self.poll_seconds = poll_seconds
        self.budget = budget
        self.job_seconds = job_seconds

    async def run(self, body: dict[str, Any], later: int = 0) -> tuple[str, dict[str, Any]]:
        """Create the job and wait until it completes: its id and ``result``. ``later``: the
        jobs planned after it, whose certain cost its polls leave alone."""
        client, actual = self.client, self.actual
        details = await self._create(body, later)
        job_id = str(details["id"])
        created = time.monotonic()
        wait = min(1.0, self.poll_seconds)
        polls = 0
        while True:
            room = self._afford_poll(job_id, polls, later)
            elapsed = time.monotonic() - created
            await asyncio.sleep(_spaced(wait, elapsed, room, self.job_seconds, self.poll_seconds))
            self._afford_poll(job_id, polls, later)  # credits may have gone meanwhile (other calls)
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

    async def _create(self, body: dict[str, Any], later: int) -> dict[str, Any]:
        """The new job's details. The client sends the creation again after a 5xx (Zoho
        handed back no job), not after a lost answer: Zoho may have made and charged a job
        whose id never came, and its API lists no jobs to find it by (its docs show a job
        created, its status and its result, each by the id the creation answers). So it is
        created once more here, a second job at worst, when the query's budget and the
        org's credits left can pay for it and what follows it, the lost one counted as
        charged (it stays on the budget); else, or when that answer is lost too, the error
        says a job may have been made and charged, and what to do."""
        create = functools.partial(self.client.bulk_read_create, body)
        lost = 0
        while True:
            try:
                return await metered(self.actual, self.budget, create)
            except TransportError as exc:
                if not exc.details.get("maybe_charged"):
                    raise
                lost += 1
                short = None if lost > 1 else self._short_of_a_job(later)
                if lost > 1 or short is not None:
                    raise _lost_job(exc, lost, short) from exc

    def _short_of_a_job(self, later: int) -> str | None:
        """What cannot pay for one more job with its poll and download (and the jobs after
        it): None when everything can."""
        need = (1 + later) * (BULK_READ_CREDITS + _JOB_REST)
        budget, day = self.budget, self.client.org_credits_left
        if budget is not None and budget.left < need:
            return f"the query's budget of {budget.limit:,} credits has {budget.left:,} left"
        if day is not None and day < need:
            return f"the org has {day:,} credits left today by what Zoho last said"
        return None

    def _afford_poll(self, job_id: str, polls: int, later: int) -> int:
        """How many status polls the credits allow, the download's credit (and the later
        jobs' certain cost) kept back; none refuses the next poll: only the credits kept
        could pay for it, and spending them would leave the job unread at the end anyway,
        one credit later and with a poorer message. The query's budget and the org's
        credits left today count alike."""
        kept = 1 + later * (BULK_READ_CREDITS + _JOB_REST)  # this download; the jobs to come
        budget, day = self.budget, self.client.org_credits_left
        room = sys.maxsize if budget is None else budget.left - kept
        if room >= 1 and (day is None or day - kept >= 1):
            return min(room, sys.maxsize if day is None else day - kept)
        state = (
            f"is still running after {polls} status {'poll' if polls == 1 else 'polls'}"
            if polls
            else "was created"
        )
        message = f"the bulk-read job {job_id} {state}, and another would leave "
        rest = "its download" + (" and the jobs after it" if later else "")
        spent = f"stopped, the job's {BULK_READ_CREDITS} credits spent"
        if budget is not None and room < 1:
            raise CreditBudgetExceeded(
                f"{message}the query's budget of {budget.limit:,} credits too little for {rest}: "
                f"{spent} (raise max_credits / --max-credits to wait for slower jobs)",
                needed=1 + kept,
                left=budget.left,
            )
        assert day is not None
        raise DailyLimitReached(
            f"{message}the org's credits left today ({day:,} by what Zoho last said) too little "
            f"for {rest}: {spent} (credits come back as the day's rolling 24 hours move on; Zoho "
            f"keeps a job's result for about a day: GET /crm/bulk/v8/read/{job_id}/result, 1 "
            "credit, once it completes)",
            needed=1 + kept,
            left=max(0, day),
        )


def _spaced(wait: float, elapsed: float, room: int, job_seconds: float, poll_seconds: float) -> float:
    """The wait before the next status poll: the schedule's (``wait``, doubling up to
    ``poll_seconds``) while the ``room`` polls the credits allow last, at that pace, until
    the job's expected end (``job_seconds`` after its creation) or, past that, until twice
    the time it has run. Else longer, the polls spread evenly up to then: waiting is free,
    a poll is not.

    >>> _spaced(1.0, 0.0, 100, 60.0, 5.0)  # credits enough: the schedule
    1.0
    >>> _spaced(1.0, 0.0, 2, 60.0, 5.0), _spaced(5.0, 80.0, 1, 60.0, 5.0)  # two polls for a minute; one past it
    (30.0, 80.0)
    """
    horizon = max(job_seconds, 2 * elapsed) - elapsed
    covered, step = 0.0, wait
    for n in range(room):
        covered += step
        if covered >= horizon:
            return wait
        if step >= poll_seconds:  # the schedule's pace from here on: poll_seconds a poll
            if poll_seconds > 0 and covered + (room - n - 1) * poll_seconds >= horizon:
                return wait
            break
        step = min(step * 2, poll_seconds)
    return max(wait, horizon / room)


def _lost_job(exc: TransportError, lost: int, short: str | None) -> TransportError:
    """The error for a job creation whose answer was lost (``lost`` times): a job may have
    been made and charged, its id unknown; what to do."""
    jobs = "a bulk-read job" if lost == 1 else f"up to {lost} bulk-read jobs"
    credits = lost * BULK_READ_CREDITS
    again = f"; not created again: {short}" if short else ""
    return TransportError(
        f"{exc.message}: {jobs} may have been created and charged ({credits} credits), but "
        f"Zoho's answer, which holds the job's id, was lost, and its API lists no jobs to find "
        f"it by{again}; run the query again (a new job: another {BULK_READ_CREDITS} credits)",
        code=exc.code,
        details={**exc.details, "maybe_charged": credits},
    )


async def bulk_read(
    client: AsyncZohoClient,
    step: BulkRead,
    schema: pa.Schema,
    actual: Actual,
    *,
    poll_seconds: float = 5.0,
    job_seconds: float = 60.0,
    budget: CreditBudget | None = None,
) -> AsyncGenerator[pa.RecordBatch, None]:
    """The batches of every page of the step's bulk read, each id once; every call refused
    before it is sent when ``budget`` (the query's own) or the org's credits left today
    cannot pay for it. ``job_seconds``: how long a job is expected to take (its status
    polls are spaced out to last that long when credits are short)."""
    started = time.perf_counter()
    job = _Job(client, actual, poll_seconds, budget, job_seconds)
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
                archive = await _download(actual, budget, download, job_id)
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


async def _download(
    actual: Actual,
    budget: CreditBudget | None,
    download: functools.partial[Coroutine[Any, Any, Path]],
    job_id: str,
) -> Path:
    """The job's result, downloaded; a refusal for credits names the job, whose result
    Zoho keeps for a while: it can be downloaded once credits allow, without a new job."""
    try:
        return await metered(actual, budget, download)
    except CreditBudgetExceeded as exc:
        message = (
            f"{exc}; the bulk-read job {job_id} completed and its {BULK_READ_CREDITS} credits are "
            "spent: Zoho keeps its result for about a day (GET "
            f"/crm/bulk/v8/read/{job_id}/result, 1 credit)"
        )
        if not isinstance(exc, DailyLimitReached):
            raise CreditBudgetExceeded(message, needed=exc.needed, left=exc.left) from exc
        error = DailyLimitReached(message, needed=exc.needed, left=exc.left)
        error.code, error.status, error.details = exc.code, exc.status, exc.details
        raise error from exc


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
