"""Run the COQL leaves of a plan: one call, offset pages, or keyset windows, concurrently.

Pages go out as fast as the client's concurrency allows and come back in any order; they
are delivered in order through a bounded window (at most ``ahead`` pages asked for but not
yet delivered), so memory stays bounded however many rows stream through, and the first
batch leaves as soon as the first page is in. A keyset window's last page is fetched
first: its last id opens the next window (and when it comes back short, records went away
and nothing lies past it: the scan ends there). Stopping the iterator cancels every call in
flight.

A result never holds an id twice: keyset pages keep only ids above the last one delivered
(their order is the id order), offset pages drop ids already delivered. Pages of groups
have no id: a group already delivered (records changed during the read shifted the groups
between two pages) is dropped, and ``notes`` says so with a ConsistencyWarning. When the size is
unknown (``until_short``), the first short page ends the scan; an ``open_ended`` scan asks
for one more page, then two, then four... at most ``ahead`` past the last full one, and
no further than Zoho's offset ceiling: a last page there that comes back full ends the scan
when Zoho says it has no more records (``more_records: false``: exactly as many rows as the
ceiling), and fails it otherwise (:class:`~coqlkit.errors.PlanError`: the rows go on past
what Zoho pages; pages of groups then have their records grouped here instead). After
each answer, the plan's rest is weighed against the org's credits left today (Zoho's
figure may have come with it); a lazy scan weighs instead the pages it is about to ask for.
A read that cannot finish sends nothing more: the pages already answered are delivered, and
the refusal is raised when the consumer asks for one that was never sent (:mod:`.day`).

A ``lazy`` scan asks for the first page alone (and, in keyset windows, for no window's last
page before it) and opens the whole window only when its consumer comes back for a second
batch: a reader that wants a few rows (a DB-API ``fetchone``) spends one page's credits, not
a window's. A ``lazy="ramp"`` scan widens its window as the consumer keeps coming back: the
page it waits for alone after the first batch, one more after the second, then 4, 8... up to
``ahead``: a reader that may stop after a few batches (``coqlkit query | head``, which takes
a page's rows before it stops) spends a page or two; one that reads on is soon at full speed.

Every call is counted in its step's :class:`~coqlkit.plan.explain.Actual` however it ends
(:func:`metered`): answered, failed, or cancelled in flight when the read stops early. A call
whose request was sent is counted with its credits, as the client's ``credits_used`` counts it
and as Zoho charges it; one cancelled before it left is not counted at all. An attempt whose
answer was lost (a dropped connection, a timeout) is left out: the client counts those apart
(``unanswered_credits``), as credits Zoho *may* have charged.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import sys
import time
import warnings
from collections import deque
from collections.abc import AsyncGenerator, Awaitable
from dataclasses import dataclass, replace
from typing import Literal, Protocol, TypeVar, Union

import pyarrow as pa
import pyarrow.compute as pc

from coqlkit._threads import InlineWhenRefused
from coqlkit.catalog.limits import DEFAULT_LIMIT, MAX_OFFSET_ROWS
from coqlkit.errors import ApiError, ConsistencyWarning, DailyLimitReached, PlanError, TransportError
from coqlkit.execute.arrow import body_to_batch
from coqlkit.execute.day import RestOfRead, page_credits
from coqlkit.language.ast import And, Comparison, FieldRef, Limit, Number, Select
from coqlkit.language.render import render
from coqlkit.plan.columns import OutputColumn
from coqlkit.plan.explain import Actual
from coqlkit.plan.groups import group_columns
from coqlkit.plan.steps import Estimate, KeysetPages, OffsetPages, Page, SingleCall
from coqlkit.transport import AsyncZohoClient, CreditBudget

__all__ = ["CallCost", "Lazy", "group_keys", "metered", "scan"]

#: How a scan starts (see the module): at full width (False); its first page alone, then its
#: whole window (True); or its first page alone, then a window that doubles ("ramp").
Lazy = Union[bool, Literal["ramp"]]  # noqa: UP007 - a runtime alias, read on Python 3.10 too

ID = FieldRef(("id",))
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class _Call(Protocol[T_co]):
    """A client's call, waiting for the budget to pass it (``functools.partial(client.coql_body, query)``)."""

    def __call__(self, *, budget: CreditBudget | None) -> Awaitable[T_co]: ...


class CallCost(CreditBudget):
    """One call's credits as the client accounts for them, each passed on to ``query`` (the
    query's own budget, which may refuse the call; None: none).

    The client holds a call's credits on its budgets while the call waits for a slot, gives
    them back when its request never leaves, keeps them once it is sent (Zoho charges a call
    it received, whether or not anyone still waits for the answer) and settles them to
    Zoho's figure when the answer comes. So once the call is over, however it ended,
    ``spent`` is what it cost as the client's ``credits_used`` counts it, and ``lost`` the
    part of it that was sent with no answer back (a dropped connection, a timeout: the
    client's ``unanswered_credits``, which Zoho *may* have charged).

    >>> query = CreditBudget(5)
    >>> cost = CallCost(query)
    >>> cost.reserve(1); cost.reserve(1)  # sent, its answer lost, and sent again
    >>> cost.spent, cost.lost, query.spent, cost.left  # the lost attempt: not on the query's budget
    (2, 1, 1, 4)
    """

    def __init__(self, query: CreditBudget | None = None) -> None:
        super().__init__(limit=sys.maxsize if query is None else query.limit)
        self.query = query
        self.lost = 0
        self._held = 0  # the credits reserved last, until given back
        self.out = False  # an attempt of it is out: sent, its answer not in (Zoho charges it)

    def on_wire(self, out: bool) -> None:
        self.out = out

    @property
    def left(self) -> int:
        return super().left if self.query is None else self.query.left

    def reserve(self, credits: int, what: str = "this call") -> None:
        # The client holds a call's credits again only for an attempt after one that was
        # sent and got no answer (after an error answer they stay held for the retry). That
        # attempt is maybe charged: counted apart (the client's unanswered credits), not on
        # the query's budget, so that a lost answer does not make a plan that fits it fail.
        lost, self._held = self._held, 0
        self.lost += lost
        if self.query is not None:
            if lost:
                self.query.refund(lost)
            self.query.reserve(credits, what)  # refused there: nothing held here either
        self._held = credits
        self.spent += credits

    def refund(self, credits: int) -> None:
        if self.query is not None:
            self.query.refund(credits)
        self._held = 0
        super().refund(credits)

    def correct(self, credits: int) -> None:
        if self.query is not None:
            self.query.correct(credits)
        super().correct(credits)

    def unanswered(self) -> None:
        """The call failed with no answer: its last attempt, if it was sent (its credits
        were not given back), is a lost answer too."""
        self.lost, self._held = self.lost + self._held, 0


async def metered(
    actual: Actual, budget: CreditBudget | None, call: _Call[T], cost: CallCost | None = None
) -> T:
    """``await call(budget=cost)``, the call counted in ``actual`` however it ends: answered,
    failed, or cancelled in flight (its credits were spent when its request left). ``cost``
    passes each credit on to ``budget``, the query's.

    Attempts whose answers were lost are left out, as the client counts them apart
    (``unanswered_credits``: maybe charged): the credits counted are those of the answers
    Zoho gave, and of the calls cancelled while Zoho was running them."""
    cost = CallCost(budget) if cost is None else cost
    answered = False
    try:
        result = await call(budget=cost)
        answered = True
        return result
    except ApiError as exc:
        answered = exc.status is not None  # Zoho's error answer: the call reached it
        if not answered:
            cost.unanswered()
        raise
    finally:
        credits = cost.spent - cost.lost
        if answered or credits:
            actual.calls += 1
            actual.credits += credits


@dataclass
class _Job:
    seq: int  # delivery order; -1 for a window-boundary call that delivers nothing
    page: Page
    cost: CallCost | None = None  # its call's credits, and whether an attempt of it is out
    answered: bool = False  # its answer is in (being decoded): delivered, never cancelled

    @property
    def sent(self) -> bool:
        """Whether Zoho has it (answered, or out): its credits are spent, whatever comes."""
        return self.answered or (self.cost is not None and self.cost.out)

    @property
    def deliver(self) -> bool:
        return self.seq >= 0


class _Scan:
    def __init__(
        self,
        client: AsyncZohoClient,
        step: OffsetPages | KeysetPages,
        schema: pa.Schema,
        actual: Actual,
        ahead: int,
        notes: list[str],
        *,
        lazy: Lazy = False,
        budget: CreditBudget | None = None,
        day: RestOfRead | None = None,
    ) -> None:
        self.client = client
        self.budget = budget
        self.day = day
        self.notes = notes
        self.step = step
        self.query: Select = step.query
        self.schema = schema
        self.actual = actual
        self.ahead = max(2, ahead)
        # Lazy: the page the delivery waits for alone, until a second batch is asked for;
        # then a window that doubles each time the consumer comes back (see the module).
        self.opened = not lazy
        self.ramp = lazy == "ramp"
        # The day's credits: a lazy scan is weighed by the pages it asks for, as it asks
        # for them (its consumer may want only the first rows), not by the plan's rest.
        self.weigh_asked = bool(lazy)
        self.window = 1 if self.ramp else self.ahead
        self.keyset = isinstance(step, KeysetPages)
        self.window_rows = step.window_rows if isinstance(step, KeysetPages) else 0
        self.boundaries: dict[int, int | None] = {0: None}
        self.last_id: int | None = None  # keyset: ids only grow; anything not above it is a repeat
        self.seen: set[int] = set()  # offset pages: every id delivered (at most 100,000)
        # Pages of groups: the columns of the grouped fields key a group, all of them (the
        # planner fetches those the query does not select). None: a grouped field is not
        # among the columns, so groups cannot be told apart, and none is dropped as a repeat.
        self.grouped = bool(step.query.group_by)
        self.group_key = group_columns(step.columns, step.query.group_by) if self.grouped else []
        self.groups: set[tuple[object, ...]] = set()  # every group delivered
        self.repeated = 0  # groups dropped as already delivered
        self.jobs: list[_Job] = []
        self.inflight: dict[asyncio.Future[_Fetched], _Job] = {}
        seq = 0
        for page in step.pages:  # a skipped window's page only opens the next window
            self.jobs.append(_Job(-1 if page.skip else seq, page))
            seq += 0 if page.skip else 1
        self.total = seq  # pages to deliver (grows when open-ended)
        self.end: int | None = None  # the seq of the first short page: nothing after it
        self.capped = False  # open-ended offset pages: no page may pass the offset ceiling
        # The page that ends at the offset ceiling, full: Zoho's more_records (False: the
        # rows end exactly there, every one read; None: not said, or no such page yet).
        self.more_at_ceiling: bool | None = None
        # Pages planned from a remembered count: the last one, full, and Zoho saying it has
        # more records, sends the read on past them (see OffsetPages.verify).
        self.verify = isinstance(step, OffsetPages) and step.verify
        self.planned = seq
        self.read_on = False

    # ---- what goes out, in which order -----------------------------------------------------

    def _issue_order(self) -> deque[_Job]:
        """Window by window; in each keyset window its last page first (it opens the next)."""
        if not self.keyset:
            return deque(self.jobs)
        order: list[_Job] = []
        for window in sorted({j.page.window for j in self.jobs}):
            jobs = [j for j in self.jobs if j.page.window == window]
            opener = [j for j in jobs if j.page.offset + j.page.limit == self.window_rows]
            order += opener + [j for j in jobs if j not in opener]
        return deque(order)

    def _query(self, page: Page) -> str:
        query = self.query
        boundary = self.boundaries.get(page.window)
        if boundary is not None:
            after = Comparison(ID, ">", Number(boundary))
            where = after if query.where is None else And(query.where, after, parens=1)
            query = replace(query, where=where)
        return render(replace(query, limit=Limit(page.limit, page.offset)))

    def _finished(self, seq: int) -> bool:
        return seq >= self.total or (self.end is not None and seq > self.end)

    # ---- running ---------------------------------------------------------------------------

    async def _fetch(self, job: _Job) -> tuple[pa.RecordBatch, str | None, bool | None]:
        """One page, decoded on a decoding thread: the event loop goes on reading the others
        (Arrow's JSON reader lets go of the GIL), and this call's slot is free as soon as
        its bytes are in. With the batch: its last record's id, and Zoho's ``more_records``."""
        call = functools.partial(self.client.coql_body, self._query(job.page))
        job.cost = CallCost(self.budget)
        body, _ = await metered(self.actual, self.budget, call, job.cost)
        job.answered = True
        # Weighed at once, before the page is decoded: this answer's slot has just been
        # handed to a call waiting for one, which must not go if the read cannot finish.
        if self._stopped_for_the_day():
            self._stop_unsent()
        batch, last_id = await _decode(body, self.schema, self.step.columns, self.client.origin)
        return batch, last_id, more_records(body)

    async def run(self) -> AsyncGenerator[pa.RecordBatch, None]:
        started = time.perf_counter()
        pending = self._issue_order()
        inflight = self.inflight
        ready: dict[int, pa.RecordBatch] = {}
        next_seq = 0
        ended = False
        try:
            while not self._finished(next_seq):
                if next_seq in ready:
                    batch = self._unique(ready.pop(next_seq))
                    next_seq += 1
                    # Refill the window first: the next pages come in while the consumer works.
                    if self.opened:
                        self._launch(pending, inflight, len(ready), next_seq)
                    self.actual.rows += batch.num_rows
                    self.actual.seconds = time.perf_counter() - started
                    if batch.num_rows:
                        yield batch
                        # The consumer came back for more: the whole window; or (ramp) the
                        # page it waits for alone the first time, then a window twice as wide.
                        if not self.ramp:
                            self.window = self.ahead
                        elif self.opened:
                            self.window = min(self.ahead, self.window * 2)
                        self.opened = True
                    continue
                self._launch(pending, inflight, len(ready), next_seq)
                if not inflight and self.day is not None and self.day.refusal is not None:
                    raise self.day.refusal  # every page answered is delivered; this one never sent
                if not inflight:  # pragma: no cover - a planned page always waits for a launch
                    raise PlanError("the scan stalled: no page can be asked for")
                done, _ = await asyncio.wait(inflight, return_when=asyncio.FIRST_COMPLETED)
                finished = [(task, inflight.pop(task)) for task in done]
                # A call never sent, cancelled as the read stopped for the day: nothing to deliver.
                finished = [(task, job) for task, job in finished if not task.cancelled()]
                failed = [task.exception() for task, _ in finished if task.exception() is not None]
                if failed and not self._refused_for_the_day(failed):
                    raise failed[0]  # every failure is retrieved; the first one is raised
                for task, job in finished:
                    if task.exception() is not None:
                        continue  # refused before it was sent: the day's stop is raised for it
                    batch, last_id, more = task.result()
                    self._after(job, batch.num_rows, last_id, more, pending)
                    if job.deliver and not self._finished(job.seq):
                        ready[job.seq] = batch
                if self._stopped_for_the_day():  # an answer may have brought the day's figure
                    self._stop_unsent()
            if self.capped and self.end is None and not self._all_groups() and not self._ended_at_ceiling():
                grouped = bool(self.step.query.group_by)
                ceiling = self._ceiling()
                raise PlanError(
                    f"offset paging reached Zoho's {ceiling:,}-row ceiling and its last page came back "
                    "full: narrow the query (a WHERE, fewer groups) or add a LIMIT"
                    + (
                        "; or read its records in bulk and group them here (strategy='bulk', "
                        "--strategy bulk), whatever the number of groups"
                        if grouped
                        else ""
                    )
                )
            self.note_repeats()
            if self.read_on:
                async with contextlib.aclosing(self._past_planned()) as more:
                    async for batch in more:
                        yield batch
            ended = True
        finally:
            # Read to the end: the calls still out (pages past a short one) were sent and
            # will be charged, so they are awaited and counted. Stopped early or failed:
            # they are cancelled, and each counts what it spent (a request that had left
            # is charged: metered counts it as it ends).
            if not ended:
                for task in inflight:
                    task.cancel()
            if inflight:
                await asyncio.gather(*inflight, return_exceptions=True)
            self.actual.seconds = time.perf_counter() - started

    def _all_groups(self) -> bool:
        """Pages of groups known to be no more than the ceiling, read up to it: every group
        is in (exactly as many as the ceiling), not a read cut short."""
        step = self.step
        return (
            isinstance(step, OffsetPages)
            and step.most_groups is not None
            and step.most_groups <= step.ceiling
        )

    def _ended_at_ceiling(self) -> bool:
        """The page that ends at the offset ceiling came back full and Zoho said it has no
        more records (``more_records: false``): every row is in (exactly as many as the
        ceiling), not a read cut short. Not said: taken as cut short."""
        return self.more_at_ceiling is False

    def _stop_unsent(self) -> None:
        """The read sends nothing more today: cancel the calls Zoho does not have (waiting
        for a slot, or for a retry). Those it has are charged whatever happens: they are
        awaited, and their rows delivered in order up to the first page never sent."""
        for task, job in self.inflight.items():
            if not job.sent:
                task.cancel()

    def _stopped_for_the_day(self) -> bool:
        """Whether the calls out are to be cancelled, the read sending nothing more today:
        the plan's rest cannot be paid for (a scan read whole), or a sibling scan sharing
        the day found so. A lazy scan weighs each page before it asks for it
        (:meth:`_launch`): those out were paid for, and their rows are delivered."""
        if self.day is None or self.weigh_asked:
            return False
        return self.day.refuses() is not None

    def _refused_for_the_day(self, failed: list[BaseException | None]) -> bool:
        """Whether the calls that failed were refused by the client for the org's credits
        today when the read is stopped for the day: the stop is said, with the rows it read,
        rather than the one call's refusal (its answer brought the figure to other calls
        that were about to be sent)."""
        return all(isinstance(exc, DailyLimitReached) for exc in failed) and self._stopped_for_the_day()

    def _launch(
        self,
        pending: deque[_Job],
        inflight: dict[asyncio.Future[_Fetched], _Job],
        buffered: int,
        next_seq: int,
    ) -> None:
        """Send what may go: never more than ``ahead`` pages out or waiting to be delivered,
        except the very page the delivery waits for; nothing once the read is stopped for
        the day, and (lazy) nothing the org's credits left today cannot pay for."""
        if self.day is not None and self.day.refusal is not None:
            return
        going = (
            self._launch_first(pending, next_seq)
            if not self.opened
            else self._window(pending, buffered, len(inflight), next_seq)
        )
        if going and self.day is not None and self.weigh_asked:
            costs = [page_credits(job.page.limit) for job in going]
            paid = self.day.grant(costs)
            pending.extendleft(reversed(going[paid:]))  # not sent: asked for again, or refused
            going = going[:paid]
            if not going:
                self.day.refuses(costs[0])
                return
        for job in going:
            inflight[asyncio.ensure_future(self._fetch(job))] = job

    def _window(self, pending: deque[_Job], buffered: int, out: int, next_seq: int) -> list[_Job]:
        """The pages the window lets go, taken from ``pending`` in order."""
        going: list[_Job] = []
        while pending:
            job = pending[0]
            if job.page.window not in self.boundaries:
                break  # its window opens when the previous window's last page is in
            if out + len(going) + buffered >= self.window and job.seq != next_seq:
                break
            pending.popleft()
            if not (job.deliver and self._finished(job.seq)):
                going.append(job)
        return going

    def _launch_first(self, pending: deque[_Job], next_seq: int) -> list[_Job]:
        """A lazy scan not yet opened: only the page the delivery waits for, and the last
        pages of the skipped windows before it (they deliver nothing, but open its window)."""
        going: list[_Job] = []
        for job in [j for j in pending if j.page.window in self.boundaries]:
            if job.deliver and job.seq != next_seq:
                continue
            pending.remove(job)
            if not (job.deliver and self._finished(job.seq)):
                going.append(job)
        return going

    def _after(
        self, job: _Job, rows: int, last_id: str | None, more: bool | None, pending: deque[_Job]
    ) -> None:
        page = job.page
        full = rows >= page.limit
        if self.keyset and page.offset + page.limit == self.window_rows:
            if full:
                if last_id is None or not last_id.isdigit():
                    raise PlanError(f"a keyset page's last record has no usable id ({last_id!r})")
                self.boundaries[page.window + 1] = int(last_id)
            else:  # the window is not full (records went away): nothing lies after it
                self._stop(job.seq if job.deliver else -1)
        if not job.deliver or not self.step.until_short:
            return
        if not full:
            self._stop(job.seq)
            return
        if not self.keyset and page.offset + page.limit >= self._ceiling():
            self.more_at_ceiling = more
        if self.verify and job.seq == self.planned - 1:
            # The last planned page, full: Zoho says whether records lie past it (not saying,
            # taken as yes: one more call rather than a read cut short).
            self.read_on = more is not False
            return
        if self.step.open_ended and self.end is None:
            self._ramp(job, pending)

    def _ramp(self, job: _Job, pending: deque[_Job]) -> None:
        """After the full page ``job``, ask for one more page, then two, then four...: never
        more than ``ahead`` past it. A new keyset window starts the ramp again with its first
        page alone: the data may end at the window's edge (exactly 100,000 records), and
        then every page of the next window past its first comes back empty. Ramped across
        the edge, a read of exactly one window sent ``ahead`` of them (20 calls, 60 credits)."""
        page = job.page
        full_pages = page.offset // max(1, self.step.page_size) + 1 if self.keyset else job.seq + 1
        upto = job.seq + 1 + min(self.ahead, full_pages)
        while self.total < upto and not self.capped:
            nxt = self._next_page(self.jobs[-1].page)
            if nxt is None:
                self.capped = True
                break
            if nxt.window > page.window and nxt.offset > 0:
                break  # the next window's later pages wait for its first to come back full
            new = _Job(self.total, nxt)
            self.total += 1
            self.jobs.append(new)
            pending.append(new)

    async def _past_planned(self) -> AsyncGenerator[pa.RecordBatch, None]:
        """The records past the planned pages, which a remembered count left out: in id order
        from the highest id delivered, as keyset pages of unknown number (a first page of 200,
        one credit, then on until one comes back short), counted in this step's figures."""
        after = max(self.seen, default=0)
        beyond = Comparison(ID, ">", Number(after))
        query = self.query
        where = beyond if query.where is None else And(query.where, beyond, parens=1)
        size = self.step.page_size
        step = KeysetPages(
            self.step.columns,
            Estimate(None, 1, 1, 0.0, calls_bound="at least"),
            replace(query, where=where),
            (Page(0, min(DEFAULT_LIMIT, size)),),
            MAX_OFFSET_ROWS,
            until_short=True,
            open_ended=True,
            page_size=size,
        )
        rest = _Scan(
            self.client,
            step,
            self.schema,
            self.actual,
            self.ahead,
            self.notes,
            budget=self.budget,
            day=self.day,
        )
        rest.last_id = after
        rest.weigh_asked = self.weigh_asked
        rows = self.actual.rows
        async with contextlib.aclosing(rest.run()) as batches:
            async for batch in batches:
                yield batch
        self.notes.append(
            f"the pages planned from a remembered count came back full and Zoho had more records: "
            f"read on past them in id order ({self.actual.rows - rows:,} more rows)"
        )

    def _stop(self, seq: int) -> None:
        """Nothing is delivered after the page ``seq`` (-1: nothing at all)."""
        self.end = seq if self.end is None else min(self.end, seq)

    def _next_page(self, page: Page) -> Page | None:
        """The page after ``page`` (None: it would pass the offset ceiling)."""
        size = self.step.page_size
        offset = page.offset + page.limit
        if self.keyset:
            if offset >= self.window_rows:
                return Page(0, size, page.window + 1)
            return Page(offset, min(size, self.window_rows - offset), page.window)
        ceiling = self._ceiling()
        if offset >= ceiling:
            return None
        return Page(offset, min(size, ceiling - offset), page.window)

    def _ceiling(self) -> int:
        """How far Zoho pages this scan's rows by offset (offset + limit)."""
        return self.step.ceiling if isinstance(self.step, OffsetPages) else MAX_OFFSET_ROWS

    def _unique(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """Drop a record already delivered (rows shift when the org changes during a read)."""
        if self.grouped:
            return self._unique_groups(batch) if batch.num_rows and self.group_key is not None else batch
        if not batch.num_rows or "id" not in batch.schema.names:
            return batch
        ids = pc.cast(batch.column("id"), pa.int64())
        if ids.null_count and not isinstance(self.step, SingleCall):
            # Rows without their id cannot be told apart from page to page: every one after
            # the first page would be taken for a repeat and dropped. Said, not guessed at.
            raise TransportError(
                f"Zoho's answer to {render(self.step.query)!r} holds {ids.null_count:,} "
                f"{'record' if ids.null_count == 1 else 'records'} without an id: coqlkit tells "
                "records apart by their id to read them page by page with no repeat and no gap, "
                "and cannot read this query past one page (a LIMIT of at most 2,000 reads it in "
                "one call); Zoho's COQL answers carry each record's id: please report this",
                code="UNREADABLE_ANSWER",
                status=200,
            )
        if self.keyset:
            if self.last_id is not None:
                keep = pc.greater(ids, self.last_id)
                if not pc.all(keep).as_py():
                    self.actual.repeats += len(ids) - (pc.sum(keep).as_py() or 0)
                    batch, ids = batch.filter(keep), ids.filter(keep)
            if len(ids):
                self.last_id = max(self.last_id or 0, pc.max(ids).as_py())
            return batch
        values = ids.to_pylist()
        mask = [v not in self.seen for v in values]
        self.seen.update(values)
        if all(mask):
            return batch
        self.actual.repeats += mask.count(False)
        return batch.filter(pa.array(mask, pa.bool_()))

    def _unique_groups(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """Drop a group already delivered: its key came before."""
        assert self.group_key is not None
        keys = group_keys(batch, self.group_key)
        mask = [k not in self.groups for k in keys]
        self.groups.update(keys)
        if all(mask):
            return batch
        self.repeated += mask.count(False)
        return batch.filter(pa.array(mask, pa.bool_()))

    def note_repeats(self) -> None:
        if not self.repeated:
            return
        note = (
            f"{self.repeated:,} group(s) came back on two pages and were kept once: records "
            "changed during the read, so a group may also be missing and the figures mix two "
            "moments; run it again"
        )
        self.notes.append(note)
        warnings.warn(note, ConsistencyWarning, stacklevel=2)


def group_keys(batch: pa.RecordBatch, columns: list[int]) -> list[tuple[object, ...]]:
    """Each row's group, as a set member: the values of its ``columns`` (the grouped fields)."""
    values = [batch.column(i).to_pylist() for i in columns]
    return [tuple(_hashable(v) for v in row) for row in zip(*values, strict=True)]


def _hashable(value: object) -> object:
    """A group key's part as a set member (a lookup is a dict, a multi-select a list)."""
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


# Pages are decoded off the event loop, by two threads: Arrow's JSON reader runs without the
# GIL, but the rest of a page's decoding holds it, and more threads only fight the event loop
# for it (measured: no faster with six). One pool per process: a forked child gets its own
# (it inherits the parent's pool without its threads).
_decoders: dict[int, InlineWhenRefused] = {}


#: Zoho's page summary, after the records: ``"info":{"count":2000,"more_records":true}``.
_MORE = b'"more_records"'


def more_records(body: bytes) -> bool | None:
    """Zoho's ``more_records`` of a COQL answer's body, found without parsing the page again
    (a record's text holding the words has its quotes escaped: it cannot match). None: not
    said (``b""``, Zoho's 204, says nothing).

    >>> more_records(b'{"data":[{"id":"1"}],"info":{"count":1,"more_records":true}}')
    True
    >>> more_records(b'{"data":[],"info":{"more_records" : false, "count":0}}'), more_records(b"")
    (False, None)
    """
    at = body.rfind(_MORE)
    if at < 0:
        return None
    rest = body[at + len(_MORE) : at + len(_MORE) + 16].lstrip(b" \t\r\n:")
    if rest.startswith(b"true"):
        return True
    if rest.startswith(b"false"):
        return False
    return None


_Fetched = tuple[pa.RecordBatch, str | None, bool | None]  # a page, its last id, more_records


async def _decode(
    body: bytes, schema: pa.Schema, columns: tuple[OutputColumn, ...], where: str
) -> tuple[pa.RecordBatch, str | None]:
    """``body_to_batch`` on a decoding thread (in the loop's own at exit: see
    :mod:`coqlkit._threads`); ``where``: the host that answered, for the error of a body
    that is no COQL page."""
    pool = _decoders.get(os.getpid())
    if pool is None:
        pool = _decoders[os.getpid()] = InlineWhenRefused(2, thread_name_prefix="coqlkit-decode")
    decode = functools.partial(body_to_batch, body, schema, columns, where=where)
    return await asyncio.get_running_loop().run_in_executor(pool, decode)


async def scan(
    client: AsyncZohoClient,
    step: SingleCall | OffsetPages | KeysetPages,
    schema: pa.Schema,
    actual: Actual,
    *,
    ahead: int = 20,
    notes: list[str] | None = None,
    lazy: Lazy = False,
    budget: CreditBudget | None = None,
    day: RestOfRead | None = None,
) -> AsyncGenerator[pa.RecordBatch, None]:
    """The batches of a SingleCall, OffsetPages or KeysetPages step, in order; what the read
    noticed (groups that came twice) is added to ``notes``. ``lazy``: the first page alone,
    the whole window once a second batch is asked for (see the module). ``budget``: the
    query's own, which refuses a call before it is sent when it cannot pay for it. ``day``:
    the plan's rest against the org's credits left today, weighed after each answer; the
    read stops there when it cannot finish (:mod:`coqlkit.execute.day`)."""
    if isinstance(step, SingleCall):
        started = time.perf_counter()
        query = render(step.query)
        body, _ = await metered(actual, budget, functools.partial(client.coql_body, query))
        batch, _ = await _decode(body, schema, step.columns, client.origin)
        actual.rows += batch.num_rows
        actual.seconds = time.perf_counter() - started
        yield batch
        return
    scanner = _Scan(
        client, step, schema, actual, ahead, [] if notes is None else notes, lazy=lazy, budget=budget, day=day
    )
    async with contextlib.aclosing(scanner.run()) as batches:
        async for batch in batches:
            yield batch
