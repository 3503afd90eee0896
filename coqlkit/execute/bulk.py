"""Run a bulk-read step: a job per page of up to 200,000 records, its zipped CSV into Arrow.

The first job is created from the step's body; each later page is a new job created with
the previous result's ``next_page_token`` alone (``{"query": {"page_token": ...}}``, as
Zoho's create-job page shows it: the token carries the first job's query), started as soon
as that token is known so the next job runs while this page's CSV is being read (a lazy
read starts it only when the reader comes back for more than the page's first batch). A
job is polled with a growing interval (a second, then doubling up to ``poll_seconds``),
spaced further apart when the query's budget or the org's credits left today allow only a
few polls past the download's credit; a ``FAILURE`` raises Zoho's error, and a job still
unfinished long past its expected time is given up, named. The org's credits left today
are weighed against what the read still needs for certain (its downloads and the jobs to
come) before each job and after each answer, so that a read that cannot finish stops
before spending more. A creation whose answer was lost (a job maybe made and charged, its
id unknown) is made once more when the credits can pay for a second job. The CSV streams
out of the zip through :func:`~coqlkit.execute.arrow.csv_to_batches` in a worker thread,
so the event loop never waits on parsing; the zip lives in a temporary directory that is
removed however the read ends, and those that reads killed outright left are removed by the
next bulk read (:func:`sweep_workdirs`). The CSV is parsed and converted in the memory pool
:func:`bulk_memory_pool` picks. Every call (create, poll, download) is counted in the
step's actuals however it ends, a job created in flight when the read stops included
(:func:`~coqlkit.execute.scan.metered`).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import logging
import os
import re
import shutil
import stat
import sys
import tempfile
import time
import zipfile
from collections.abc import AsyncGenerator, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from coqlkit._atomic import _HOST, STALE_AFTER, _alive, _lock
from coqlkit.catalog.limits import BULK_READ_CREDITS
from coqlkit.errors import (
    ApiError,
    CreditBudgetExceeded,
    DailyLimitReached,
    RateLimited,
    TransportError,
    ZohoApiError,
)
from coqlkit.execute.arrow import csv_to_batches
from coqlkit.execute.day import left_today
from coqlkit.execute.scan import CallCost, Lazy, metered
from coqlkit.plan.bulk import status_polls
from coqlkit.plan.explain import Actual
from coqlkit.plan.steps import BulkRead
from coqlkit.transport import AsyncZohoClient, CreditBudget

__all__ = ["bulk_memory_pool", "bulk_read", "sweep_workdirs"]


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

#: How many times its expected time (``bulk_job_seconds``, or ``bulk_poll_seconds`` when
#: that is longer) a job may stay unfinished before the read stops waiting for it: ten
#: minutes for Zoho's minute. How long Zoho may keep a job IN PROGRESS is not documented;
#: polled every 5 s, a job that never ends would cost 720 credits an hour.
JOB_PATIENCE = 10

#: How many more times a download that failed after the client's retries (Zoho's 5xx, a
#: dropped connection) is tried, after a pause: the job's credits depend on it.
DOWNLOAD_ROUNDS = 2
#: Zoho allows 10 downloads a minute: a download refused with a 429 waits the time its
#: answer says (``details.retry_after``, at most five minutes), else this long, before it
#: is tried again...
DOWNLOAD_LIMIT_SECONDS = 60.0
#: ...as many times (other reads' and other integrations' downloads count too).
DOWNLOAD_LIMIT_ROUNDS = 5

log = logging.getLogger(__name__)


class _Job:
    """Bulk-read jobs, each created, polled until it completes, and its result handed back
    (the download is the caller's), within the query's budget and the org's credits left
    today.

    It keeps what the read still owes for certain: each job created and not polled yet its
    status poll, each job not downloaded yet its download, and each job still to come (those
    the plan counts, or, for a lazy read, the one about to be created) its creation, poll
    and download. That is held back from the polls; when it leaves only a few, the polls
    are spaced out (waiting is free) so that they last until the job's expected end
    (``job_seconds``), or, past it, until twice the time it has run; when it leaves none, the
    job stops before the poll, naming it. Before a job is created, and after each answer
    (one may bring the org's figure for the day), a read whose rest the org's credits left
    today cannot pay for stops before sending more (:meth:`weigh`). A job still unfinished
    :data:`JOB_PATIENCE` times its expected time after its creation is given up, named."""

    def __init__(
        self,
        client: AsyncZohoClient,
        actual: Actual,
        poll_seconds: float,
        budget: CreditBudget | None,
        job_seconds: float = 60.0,
        *,
        planned: int = 1,
        lazy: bool = False,
        notes: list[str] | None = None,
        ids: list[str] | None = None,
    ) -> None:
        self.client = client
        self.actual = actual
        self.poll_seconds = poll_seconds
        self.budget = budget
        self.job_seconds = job_seconds
        self.planned = planned  # the jobs the plan counts
        self.lazy = lazy  # weigh the jobs as they are asked for, not the plan's
        self.notes = notes
        self.created = 0  # jobs whose creation was sent
        self.unpolled = 0  # of them, the jobs not polled yet
        self.undownloaded: list[str] = []  # the jobs that completed, not downloaded yet
        #: Of them, the downloads in the client's hands: each one's credit is held on the
        #: query's budget from the moment it is asked for, and taken off the org's credits
        #: left today once it is sent (:meth:`_counted`), not to be counted twice.
        self.downloading: dict[str, CallCost] = {}
        self.ids = ids  # where each job's id goes once created (None: nowhere)
        self.running = 0  # jobs created, not completed yet
        self.creating = False  # a creation out (the dearest call: 50 credits)

    @property
    def deadline(self) -> float:
        """How long a job may stay unfinished, in seconds."""
        return JOB_PATIENCE * max(self.job_seconds, self.poll_seconds)

    def owed(self, creating: bool = False) -> int:
        """The credits the read still needs for certain (``creating``: a job is about to be
        created, which a lazy read counts only then)."""
        to_come = 0 if self.lazy else max(0, self.planned - self.created)
        if creating:
            to_come = max(to_come, 1)
        downloads = len(self.undownloaded) + self.running
        return to_come * (BULK_READ_CREDITS + _JOB_REST) + self.unpolled + downloads

    def _counted(self, *, day: bool) -> int:
        """Of the downloads owed, those already counted in what is left: on the query's
        budget, those whose credit is held there; in the org's credits left today
        (``day``), those on the wire. A download in flight while the next job is weighed
        was counted twice, once in what is left and once as owed, and the next job stopped
        before its first poll with exactly its poll and download left (review N, #1)."""
        if day:
            return sum(1 for cost in self.downloading.values() if cost.out)
        return sum(1 for cost in self.downloading.values() if cost.spent > cost.lost)

    def weigh(self, creating: bool = False) -> None:
        """Stop the read (:class:`DailyLimitReached`) when the org's credits left today, on
        the safe side (:func:`~coqlkit.execute.day.left_today`), cannot pay for what it
        still needs for certain: rather than spend the org's last credits on rows it would
        throw away, every other integration of the org left without any."""
        left = left_today(self.client, BULK_READ_CREDITS if self.creating else 1)
        needs = self.owed(creating) - self._counted(day=True)
        if left is None or needs <= left:
            return
        parts = [f"the download of {_jobs(self.undownloaded)}"] if self.undownloaded else []
        if self.running:
            parts.append(f"{_count(self.running, 'job')} running: a download each")
        to_come = self.owed(creating) - (self.unpolled + len(self.undownloaded) + self.running)
        if to_come:
            jobs = to_come // (BULK_READ_CREDITS + _JOB_REST)
            parts.append(
                f"{_count(jobs, 'job')} more: a creation ({BULK_READ_CREDITS}), a status poll and a download each"
            )
        kept = ""
        if self.undownloaded:
            kept = (
                f"; {_jobs(self.undownloaded)} completed and {'its' if len(self.undownloaded) == 1 else 'their'} "
                f"{BULK_READ_CREDITS} credits are spent: Zoho keeps a job's result for about a day "
                f"(GET /crm/bulk/v8/read/{self.undownloaded[0]}/result, 1 credit)"
            )
        raise DailyLimitReached(
            f"the bulk read cannot finish today: it still needs {needs:,} credits for certain "
            f"({'; '.join(parts)}), and the org has {max(0, left):,} left by what Zoho last said "
            f"(X-API-CREDITS-REMAINING), the calls already out taken off; stopped after "
            f"{_count(self.actual.credits, 'credit')} of the read's, before sending more, rather than "
            "spend the org's last credits on rows it would throw away, leaving its other "
            "integrations none (credits come back as the day's rolling 24 hours move on: run it "
            f"again later){kept}",
            needed=needs,
            left=max(0, left),
        )

    async def run(self, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Create the job and wait until it completes: its id and ``result``."""
        client, actual = self.client, self.actual
        self.weigh(creating=True)
        details = await self._create(body)
        job_id = str(details["id"])
        if self.ids is not None:
            self.ids.append(job_id)
        created = time.monotonic()
        wait = min(1.0, self.poll_seconds)
        polls = 0
        expected = status_polls(self.job_seconds, self.poll_seconds)
        try:
            while True:
                room = self._afford_poll(job_id, polls)
                elapsed = time.monotonic() - created
                pause = _spaced(wait, elapsed, room, self.job_seconds, self.poll_seconds)
                await asyncio.sleep(max(0.0, min(pause, self.deadline - elapsed)))
                self._afford_poll(job_id, polls)  # credits may have gone meanwhile (other calls)
                if polls == expected:
                    self._past_expected(job_id, polls, time.monotonic() - created)
                polls += 1
                if polls == 1:
                    self.unpolled -= 1
                status = await metered(
                    actual, self.budget, functools.partial(client.bulk_read_status, job_id)
                )
                state = str(status.get("state", "")).upper()
                if state == "COMPLETED":
                    self.undownloaded.append(job_id)
                    self.running -= 1
                    self.weigh()  # its answer may have brought the day's figure
                    return job_id, dict(status.get("result") or {})
                if state in ("FAILURE", "FAILED"):
                    error = (status.get("result") or {}).get("error_message") or {}
                    # Zoho's own failure, of a job it accepted (its query was checked then): as
                    # a 5xx is (.status 500: run again later, exit 3), not the query's (exit 1).
                    raise ZohoApiError(
                        f"the bulk-read job {job_id} failed: {error.get('message', 'no reason given')}",
                        code=str(error.get("code") or "BULK_READ_FAILED"),
                        status=500,
                        details=error.get("details") if isinstance(error.get("details"), dict) else None,
                    )
                elapsed = time.monotonic() - created
                if elapsed >= self.deadline:
                    raise self._given_up(job_id, polls, elapsed, state)
                self.weigh()
                wait = min(wait * 2, self.poll_seconds)
        except BaseException:
            if job_id not in self.undownloaded:
                self.running -= 1
                self.unpolled -= polls == 0
            raise

    def _past_expected(self, job_id: str, polls: int, elapsed: float) -> None:
        """Say once that the job outlasts the status polls EXPLAIN counted for it."""
        note = (
            f"the bulk-read job {job_id} is still running after {_count(polls, 'status poll')} "
            f"({_seconds(elapsed)}), as many as EXPLAIN counted for a job of {self.job_seconds:g} s "
            f"(bulk_job_seconds): each further poll costs a credit; coqlkit stops waiting "
            f"{self.deadline:g} s after its creation"
        )
        log.warning("%s", note)
        if self.notes is not None:
            self.notes.append(note)

    def _given_up(self, job_id: str, polls: int, elapsed: float, state: str) -> TransportError:
        """The error for a job still unfinished at the deadline: named, with how to fetch
        its result later without a new job."""
        return TransportError(
            f"the bulk-read job {job_id} is still {state or 'unfinished'} after {_seconds(elapsed)} "
            f"and {_count(polls, 'status poll')}, {JOB_PATIENCE} times its expected "
            f"{_expected(self.job_seconds, self.poll_seconds)}: stopped waiting, its {BULK_READ_CREDITS} "
            f"credits spent. Zoho may still complete it: GET /crm/bulk/v8/read/{job_id} (1 credit) "
            "says when, and its result can then be downloaded for about a day "
            f"(GET /crm/bulk/v8/read/{job_id}/result, 1 credit); or run the query again later (a "
            f"new job: another {BULK_READ_CREDITS} credits), with a larger bulk_job_seconds "
            "(coqlkit query/export --bulk-job-seconds) to wait longer",
            code="TIMEOUT",
            details={"job": job_id, "state": state, "polls": polls},
        )

    async def _create(self, body: dict[str, Any]) -> dict[str, Any]:
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
        self.created += 1
        while True:
            self.creating = True
            try:
                details = await metered(self.actual, self.budget, create)
            except TransportError as exc:
                if not exc.details.get("maybe_charged"):
                    raise
                lost += 1
                short = None if lost > 1 else self._short_of_a_job()
                if lost > 1 or short is not None:
                    raise _lost_job(exc, lost, short) from exc
                continue
            finally:
                self.creating = False
            self.running += 1
            self.unpolled += 1
            return details

    def _short_of_a_job(self) -> str | None:
        """What cannot pay for one more job with its poll and download (and what else the
        read owes): None when everything can."""
        need = self.owed() + BULK_READ_CREDITS + _JOB_REST
        budget, day = self.budget, self.client.org_credits_left
        if budget is not None and budget.left < need:
            return f"the query's budget of {budget.limit:,} credits has {budget.left:,} left"
        if day is not None and day < need:
            return f"the org has {day:,} credits left today by what Zoho last said"
        return None

    def _afford_poll(self, job_id: str, polls: int) -> int:
        """How many status polls the credits allow, what the read owes for certain besides
        this poll kept back (this job's download; the other jobs'); none refuses the next
        poll: only the credits kept could pay for it, and spending them would leave the job
        unread at the end anyway, one credit later and with a poorer message. The query's
        budget and the org's credits left today count alike."""
        kept = self.owed() - (polls == 0)
        later = kept > 1
        budget, day = self.budget, self.client.org_credits_left
        room = sys.maxsize if budget is None else budget.left - (kept - self._counted(day=False))
        day_room = sys.maxsize if day is None else day - (kept - self._counted(day=True))
        if room >= 1 and day_room >= 1:
            return min(room, day_room)
        state = f"is still running after {_count(polls, 'status poll')}" if polls else "was created"
        message = f"the bulk-read job {job_id} {state}, and another would leave "
        rest = "its download" + (" and the jobs after it" if later else "")
        spent = f"stopped, the job's {BULK_READ_CREDITS} credits spent"
        if budget is not None and room < 1:
            kept -= self._counted(day=False)
            raise CreditBudgetExceeded(
                f"{message}the query's budget of {budget.limit:,} credits too little for {rest}: "
                f"{spent} (raise max_credits / --max-credits"
                + (" to wait for slower jobs)" if polls else ")"),
                needed=1 + kept,
                left=budget.left,
            )
        assert day is not None
        kept -= self._counted(day=True)
        raise DailyLimitReached(
            f"{message}the org's credits left today ({day:,} by what Zoho last said) too little "
            f"for {rest}: {spent} (credits come back as the day's rolling 24 hours move on; Zoho "
            f"keeps a job's result for about a day: GET /crm/bulk/v8/read/{job_id}/result, 1 "
            "credit, once it completes)",
            needed=1 + kept,
            left=max(0, day),
        )


def _count(n: int, what: str) -> str:
    """``n`` of ``what``, plural when not one.

    >>> _count(1, "job"), _count(2, "status poll")
    ('1 job', '2 status polls')
    """
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def _seconds(seconds: float) -> str:
    """A time as a message says it: tenths below ten seconds.

    >>> _seconds(0.96), _seconds(612.4)
    ('1.0 s', '612 s')
    """
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"


def _expected(job_seconds: float, poll_seconds: float) -> str:
    """The time a job is expected to take, as the deadline counts it, and what set it.

    >>> _expected(60.0, 5.0), _expected(1.0, 5.0)
    ('60 s (bulk_job_seconds)', '5 s (bulk_poll_seconds, longer than bulk_job_seconds=1)')
    """
    if job_seconds >= poll_seconds:
        return f"{job_seconds:g} s (bulk_job_seconds)"
    return f"{poll_seconds:g} s (bulk_poll_seconds, longer than bulk_job_seconds={job_seconds:g})"


def _jobs(ids: list[str]) -> str:
    return f"the bulk-read job {ids[0]}" if len(ids) == 1 else f"the bulk-read jobs {', '.join(ids)}"


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
    lazy: Lazy = False,
    notes: list[str] | None = None,
    jobs: list[str] | None = None,
) -> AsyncGenerator[pa.RecordBatch, None]:
    """The batches of every page of the step's bulk read, each id once; every call refused
    before it is sent when ``budget`` (the query's own) or the org's credits left today
    cannot pay for it, and the read stopped when the org's credits cannot pay for what it
    still needs for certain. ``job_seconds``: how long a job is expected to take (its status
    polls are spaced out to last that long when credits are short; a job still unfinished
    :data:`JOB_PATIENCE` times that is given up). ``lazy``: the reader may want only the
    first rows, so the next page's job (50 credits) is created only once it has taken this
    page's rows (a page is some 40 batches: a reader that takes a few is no reason for
    another 200,000 records), and the day's credits are weighed by the jobs it asks for;
    otherwise the next job is created as soon as its token is known, to run while this
    page's CSV is read. ``notes``: where a job that outlasts its expected polls is said
    (also logged as a warning). ``jobs``: where the id of each job is put once created
    (a read of one job is one snapshot: the executor tells a count's check so)."""
    started = time.perf_counter()
    job = _Job(
        client,
        actual,
        poll_seconds,
        budget,
        job_seconds,
        planned=step.pages,
        lazy=bool(lazy),
        notes=notes,
        ids=jobs,
    )
    opened = not lazy  # whether the next job may be created before the consumer comes back
    seen = _Seen()
    running: asyncio.Future[tuple[str, dict[str, Any]]] | None = asyncio.ensure_future(job.run(step.body()))
    token: str | None = None  # the next page's, its job not created yet

    def next_job() -> asyncio.Future[tuple[str, dict[str, Any]]]:
        # The token with the first job's query: Zoho's v8 OpenAPI makes query.module required
        # in every creation (its docs' samples send the token alone, which the job it came
        # from would do with; sent with the same query, either reading holds).
        body = step.body()
        return asyncio.ensure_future(job.run({**body, "query": {**body["query"], "page_token": str(token)}}))

    with _workdir() as workdir:
        try:
            while running is not None:
                job_id, result = await running
                running = None
                found = result.get("next_page_token")
                token = str(found) if result.get("more_records") and found else None
                if token is not None and opened:
                    running, token = next_job(), None
                download = functools.partial(
                    client.bulk_read_download, job_id, Path(workdir) / f"{job_id}.zip"
                )
                job.weigh()
                archive = await _download(actual, budget, download, job_id, job, poll_seconds)
                seen.next_page()
                async with contextlib.aclosing(_read_archive(archive, step, schema)) as batches:
                    async for batch in batches:
                        batch = seen.unique(batch)
                        actual.rows += batch.num_rows
                        actual.seconds = time.perf_counter() - started
                        if batch.num_rows:
                            yield batch
                archive.unlink(missing_ok=True)
                if token is not None:  # the page's rows all taken: the next page is wanted
                    opened = True  # (and the pages after it: made as their tokens come)
                    running, token = next_job(), None
        finally:
            if running is not None:
                running.cancel()
                await asyncio.gather(running, return_exceptions=True)
            actual.seconds = time.perf_counter() - started


#: Where a bulk read keeps its job's zip: ``coqlkit-bulk-<host>-<pid>-<random>`` in the
#: system's temporary directory (``TMPDIR``), with a ``lock`` file its process holds locked.
_WORKDIR = re.compile(r"coqlkit-bulk-(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-[A-Za-z0-9_]+")
#: The name of a bulk read's directory from before it carried its host and pid.
_OLD_WORKDIR = re.compile(r"coqlkit-bulk-[A-Za-z0-9_]{8}")
#: How old such a directory must be to be taken for abandoned: a day (a read in it would
#: have written a page's zip in it since).
OLD_WORKDIR_AFTER = 86_400.0


@contextlib.contextmanager
def _workdir() -> Iterator[str]:
    """A private temporary directory for the read's zips, removed however the read ends;
    first, those that bulk reads killed outright left (SIGKILL, out of memory, a pod
    evicted: nothing ran their clean-up), each holding a job's records, are removed
    (:func:`sweep_workdirs`). The directory's ``lock`` file stays locked while the read
    runs: the sign of life a sweep in any process of this machine reads."""
    sweep_workdirs()
    workdir = tempfile.mkdtemp(prefix=f"coqlkit-bulk-{_HOST}-{os.getpid()}-")
    fd = -1
    try:
        fd = os.open(os.path.join(workdir, "lock"), os.O_WRONLY | os.O_CREAT, 0o600)
        _lock(fd, shared=False)
        yield workdir
    finally:
        if fd >= 0:
            os.close(fd)
        shutil.rmtree(workdir, ignore_errors=True)


def sweep_workdirs(root: str | None = None) -> list[Path]:
    """Remove the directories of bulk reads on this machine whose process is gone, from
    ``root`` (default: the system's temporary directory); the removed paths. A directory
    is left alone while anything says its read may live: its ``lock`` held (a process in
    another PID namespace, a container sharing ``/tmp``, holds it too), or its pid a process
    here; one without a lock file (made a moment ago, or where locks are not to be had)
    also while it is less than an hour old. A directory from before names carried the pid
    is removed once it is a day old. Another user's are never touched."""
    root = tempfile.gettempdir() if root is None else root
    removed: list[Path] = []
    try:
        names = [n for n in os.listdir(root) if n.startswith("coqlkit-bulk-")]
    except OSError:
        return removed
    for name in names:
        path = Path(root) / name
        match = _WORKDIR.fullmatch(name)
        if match is not None:
            if match["host"] != _HOST or not _workdir_abandoned(path, int(match["pid"])):
                continue
        elif not (_OLD_WORKDIR.fullmatch(name) and _older(path, OLD_WORKDIR_AFTER)):
            continue
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            removed.append(path)
            log.info("removed %s, left by a bulk read whose process is gone", path)
    return removed


def _older(path: Path, seconds: float) -> bool:
    """Whether ``path`` is a directory of this user's, unchanged for ``seconds``."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    mine = not hasattr(os, "getuid") or st.st_uid == os.getuid()
    return mine and stat.S_ISDIR(st.st_mode) and time.time() - st.st_mtime >= seconds


def _workdir_abandoned(path: Path, pid: int) -> bool:
    """Whether the bulk read of ``pid`` that made ``path`` is gone (:func:`sweep_workdirs`)."""
    if not _older(path, 0):
        return False
    try:
        fd = os.open(path / "lock", os.O_RDONLY)
    except FileNotFoundError:
        return _older(path, STALE_AFTER) and not _alive(pid)
    except OSError:
        return False
    try:
        locked = _lock(fd, shared=True)
    finally:
        os.close(fd)
    if locked is False:  # its read holds it
        return False
    if locked is None and not _older(path, STALE_AFTER):
        return False
    return not _alive(pid)


async def _download(
    actual: Actual,
    budget: CreditBudget | None,
    download: functools.partial[Coroutine[Any, Any, Path]],
    job_id: str,
    job: _Job,
    pause: float = 5.0,
) -> Path:
    """The job's result, downloaded. The job's credits depend on it: after the client's
    retries run out on a fault of Zoho's side or the network's, it is tried
    :data:`DOWNLOAD_ROUNDS` more times, after a pause (``pause``, then twice as long...).
    A failure says what a refusal for credits says too: the job completed, its credits are
    spent, and Zoho keeps its result for about a day, to download without a new job."""
    kept = (
        f"the bulk-read job {job_id} completed and its {BULK_READ_CREDITS} credits are spent: Zoho "
        f"keeps its result for about a day (GET /crm/bulk/v8/read/{job_id}/result, 1 credit)"
    )
    rounds = limited_rounds = 0
    while True:
        try:
            job.downloading[job_id] = CallCost(budget)
            try:
                path = await metered(actual, budget, download, job.downloading[job_id])
            finally:
                del job.downloading[job_id]
            _check_archive(path, job_id)
        except CreditBudgetExceeded as exc:
            message = f"{exc}; {kept}"
            if not isinstance(exc, DailyLimitReached):
                raise CreditBudgetExceeded(message, needed=exc.needed, left=exc.left) from exc
            error = DailyLimitReached(message, needed=exc.needed, left=exc.left)
            error.code, error.status, error.details = exc.code, exc.status, exc.details
            raise error from exc
        except ApiError as exc:
            # A 429 here is Zoho's limit of 10 downloads a minute (other reads' and other
            # integrations' downloads count; the client leaves it to this caller): waited
            # out as its answer says, apart from the faults on the way.
            limited = isinstance(exc, RateLimited) and not isinstance(exc, DailyLimitReached)
            transient = (
                limited
                or isinstance(exc, TransportError)
                or (exc.status is not None and exc.status >= 500 and not isinstance(exc, RateLimited))
            )
            if not transient:
                raise
            if limited and limited_rounds < DOWNLOAD_LIMIT_ROUNDS:
                limited_rounds += 1
                hint = exc.retry_after if isinstance(exc, RateLimited) else None
                wait = DOWNLOAD_LIMIT_SECONDS if hint is None else min(max(hint, 0.05), 300.0)
                log.warning(
                    "the download of the bulk-read job %s waits %g s: Zoho allows 10 downloads a "
                    "minute (429 %s; %d of %d)",
                    job_id,
                    wait,
                    exc.code,
                    limited_rounds,
                    DOWNLOAD_LIMIT_ROUNDS,
                )
                await asyncio.sleep(wait)
                continue
            if not limited and rounds < DOWNLOAD_ROUNDS:
                rounds += 1
                log.warning("%s; tried again in %g s (%d of %d)", exc, pause, rounds, DOWNLOAD_ROUNDS)
                await asyncio.sleep(pause)
                pause *= 2
                continue
            failed = copy.copy(exc)
            tries = f"tried {1 + (limited_rounds if limited else rounds)} times"
            said = exc.message
            if limited:
                said = (
                    f"Zoho answered 429 {exc.code} to the download of the bulk-read job {job_id}: it "
                    "allows 10 downloads a minute (other reads' and other integrations' downloads "
                    "count too)"
                )
            failed.args = (
                f"{said} ({tries}); {kept}: download it then rather than run the query again (a new job, another {BULK_READ_CREDITS} credits)",
                *exc.args[1:],
            )
            raise failed from exc
        job.undownloaded.remove(job_id)
        return path


def _check_archive(path: Path, job_id: str) -> None:
    """A TransportError (``UNREADABLE_ANSWER``, tried again as a fault on the way) when the
    download is not a zip archive: a proxy's or login page answered 200 in Zoho's place, or a
    body cut off. Nothing of it is quoted (a login page may hold anything)."""
    if zipfile.is_zipfile(path):
        return
    size = path.stat().st_size
    with path.open("rb") as file:
        page = file.read(512).lstrip().startswith(b"<")  # HTML, or XML
    seems = "a page of HTML" if page else "not a zip archive"
    raise TransportError(
        f"the download of the bulk-read job {job_id} (GET /crm/bulk/v8/read/{job_id}/result) is "
        f"{seems} ({size:,} bytes), not Zoho's zipped CSV: a proxy's or login page, or an answer "
        "cut off on the way",
        code="UNREADABLE_ANSWER",
        status=200,
    )


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
