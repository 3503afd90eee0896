"""``execute(plan, client)``: a plan's rows as an async iterator of Arrow record batches.

Every step becomes an async iterator of batches: the leaves call Zoho (:mod:`.scan`,
:mod:`.bulk`), the inner steps combine and finish them (:mod:`.finish`). The batches
of the root have the schema of the plan's columns (:func:`result_schema`); a query that
matches nothing yields one empty batch with that schema, so a table can always be built.

What each step really did (calls, credits, rows, seconds) is kept in :class:`RunStats`,
which EXPLAIN ANALYZE prints next to the estimates. When the rows received disagree with
the COUNT probe (records created or deleted during the read), the stats' ``notes`` say so
and a :class:`~coqlkit.errors.ConsistencyWarning` is issued: a read is never silently short.

``prepare(select, catalog, client)`` is the usual way in: it makes the COUNT probe when the
plan depends on the row count (one credit) and plans with what it found. Before that, a
subquery that may have more than the 100 records Zoho uses of one (``x in (select id from
...)``) is counted, and when it has more, read whole: its values go to the query as an IN
list, which the planner sends in slices of 50. A subquery with a LIMIT of 100 or less, or
with 100 records or fewer, is left to Zoho.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field, replace

import pyarrow as pa

from coqlkit.catalog import Catalog
from coqlkit.catalog.limits import MAX_OFFSET_ROWS, MAX_SUBQUERY_ROWS
from coqlkit.errors import ConsistencyWarning, CoqlError, CreditBudgetExceeded, DailyLimitReached
from coqlkit.execute import finish
from coqlkit.execute.arrow import empty_batch, schema
from coqlkit.execute.bulk import bulk_read
from coqlkit.execute.scan import scan
from coqlkit.language.ast import (
    Aggregate,
    Column,
    FieldRef,
    In,
    Number,
    Select,
    String,
    Value,
)
from coqlkit.language.render import render
from coqlkit.plan.explain import Actual, explain
from coqlkit.plan.options import PlanOptions
from coqlkit.plan.planner import Plan, plan
from coqlkit.plan.prepare import has_long_in, one_call_rows, rewrite_long_ins, swap_condition
from coqlkit.plan.steps import (
    BulkRead,
    ColumnSplit,
    CountProbe,
    InUnion,
    KeysetPages,
    LocalAggregate,
    LocalProject,
    LocalSlice,
    LocalSort,
    OffsetPages,
    SingleCall,
    Step,
    SubqueryRead,
)
from coqlkit.transport import AsyncZohoClient

__all__ = [
    "RunStats",
    "count_rows",
    "execute",
    "explain_analyze",
    "needs_probe",
    "options_for",
    "prepare",
    "result_schema",
]

ID = FieldRef(("id",))


@dataclass
class RunStats:
    """What running a plan did: totals, per step (``actuals``, by ``id(step)``), and notes."""

    calls: int = 0
    credits: int = 0
    rows: int = 0
    seconds: float = 0.0
    first_batch_seconds: float | None = None
    actuals: dict[int, Actual] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def actual(self, step: Step) -> Actual:
        return self.actuals.setdefault(id(step), Actual())


def result_schema(plan: Plan, *, tz: str = "UTC") -> pa.Schema:
    """The schema of every batch ``execute(plan, ...)`` yields."""
    return schema(plan.columns, tz=tz)


# ---- before the plan: the COUNT probe ------------------------------------------------------


def needs_probe(select: Select, options: PlanOptions | None = None) -> bool:
    """Whether the plan depends on how many records match: a record query that may need
    more than one call (no LIMIT of at most 2,000 inside the offset ceiling)."""
    options = options or PlanOptions()
    if select.aggregates or select.group_by:
        return False
    if options.strategy == "bulk":
        return True  # a bulk read is planned by its record count
    return one_call_rows(select, options) is None


def probe_query(select: Select) -> Select | None:
    """``select COUNT(id) from <module> where <the query's WHERE>`` (None: the WHERE cannot
    be sent as one query, even with its long IN lists rewritten)."""
    if has_long_in(select):
        rewritten = rewrite_long_ins(select)
        if rewritten is None:
            return None
        select = rewritten
    return replace(
        select,
        columns=(Column(Aggregate("COUNT", ID)),),
        group_by=(),
        order_by=(),
        limit=None,
    )


async def count_rows(client: AsyncZohoClient, select: Select) -> CountProbe | None:
    """How many records match ``select``'s WHERE, for one credit (None: it cannot be asked)."""
    query = probe_query(select)
    if query is None:
        return None
    text = render(query)
    page = await client.coql(text)
    rows = 0
    if page.records:
        value = next(iter(page.records[0].values()), 0)
        rows = int(value or 0)
    return CountProbe(text, rows)


def options_for(client: AsyncZohoClient, **overrides: object) -> PlanOptions:
    """Plan options from the client's profile: its concurrency and what is left of its credit
    budget; ``overrides`` set any other option (``latency_ms``, ``strategy``...)."""
    values: dict[str, object] = {"concurrency": client.settings.concurrency}
    if client.budget is not None:
        values["max_credits"] = client.budget.left
    values.update(overrides)
    return PlanOptions(**values)  # type: ignore[arg-type]


async def prepare(
    select: Select,
    catalog: Catalog,
    client: AsyncZohoClient,
    options: PlanOptions | None = None,
    *,
    probe: bool = True,
) -> Plan:
    """Plan ``select``, making the COUNT probe first when the plan depends on the row count
    (``probe=False``: never; the plan then reads until a page comes back short). A subquery
    of more than 100 records is read first (see the module's docstring)."""
    options = options or options_for(client)
    select, reads = await read_subqueries(select, catalog, client, options, probe=probe)
    found = await count_rows(client, select) if probe and needs_probe(select, options) else None
    # The org's credits left today (Zoho says so on its answers, the probe's usually): a plan
    # that cannot be paid for is refused now, or one that can (a bulk read) chosen, instead
    # of spending what is left and stopping at LIMIT_REACHED halfway.
    day = client.org_credits_left
    spent = (1 if found is not None else 0) + sum(r.credits for r in reads)
    if day is None or (options.max_credits is not None and options.max_credits <= day + spent):
        return plan(select, catalog, options, probe=found, subqueries=reads)
    try:
        return plan(select, catalog, replace(options, max_credits=day + spent), probe=found, subqueries=reads)
    except CreditBudgetExceeded as exc:
        raise DailyLimitReached(
            f"the query would cost {exc.needed - spent:,} more credits, and the org has {day:,} left "
            "today by what Zoho last said: refused before spending them, as Zoho would refuse them "
            "(LIMIT_REACHED; credits come back as the day's rolling 24 hours move on; a narrower "
            "query or a LIMIT costs less)",
            needed=exc.needed - spent,
            left=day,
        ) from None


# ---- before the plan: subqueries of more than 100 records ----------------------------------


async def read_subqueries(
    select: Select,
    catalog: Catalog,
    client: AsyncZohoClient,
    options: PlanOptions,
    *,
    probe: bool = True,
) -> tuple[Select, tuple[SubqueryRead, ...]]:
    """``select`` with every ``in (subquery)`` that Zoho would cut at 100 records replaced
    by the subquery's values, and what reading them cost.

    A subquery with a LIMIT of at most 100 is Zoho's to run. Any other is counted (one
    credit; with ``probe=False`` it is read straight away instead): 100 records or fewer
    are left to Zoho too; more are read whole, as a query of their own (paged, its
    ORDER BY and LIMIT kept), and their distinct values replace the subquery.
    """
    subs = [c for c in select.conditions() if isinstance(c, In) and isinstance(c.values, Select)]
    reads: list[SubqueryRead] = []
    where = select.where
    for cond in subs:
        sub = cond.values
        assert isinstance(sub, Select)
        count, start = sub.limit.rows() if sub.limit is not None else (None, None)
        if count is not None and count <= MAX_SUBQUERY_ROWS:
            continue
        text = render(sub)
        found: CountProbe | None = None
        if probe:
            found = await count_rows(client, sub)
            matching = None if found is None or found.rows is None else max(0, found.rows - (start or 0))
            if matching is not None and count is not None:
                matching = min(matching, count)
            if matching is not None and matching <= MAX_SUBQUERY_ROWS:
                reads.append(SubqueryRead(text, matching, 1, 1, inlined=False))
                continue
        spent = RunStats()
        left = options
        if options.max_credits is not None:  # what the subqueries before and this probe took
            used = sum(r.credits for r in reads) + (found is not None)
            left = replace(options, max_credits=options.max_credits - used)
        values = await _subquery_values(sub, catalog, client, left, spent, found, probe=probe)
        calls, credits = spent.calls + (found is not None), spent.credits + (found is not None)
        if len(values) <= MAX_SUBQUERY_ROWS:  # fewer than counted (records went away): Zoho's
            reads.append(SubqueryRead(text, len(values), calls, credits, inlined=False))
            continue
        reads.append(SubqueryRead(text, len(values), calls, credits))
        assert where is not None
        where = swap_condition(where, cond, replace(cond, values=values, span=None))
    if not reads:
        return select, ()
    return replace(select, where=where), tuple(reads)


async def _subquery_values(
    sub: Select,
    catalog: Catalog,
    client: AsyncZohoClient,
    options: PlanOptions,
    spent: RunStats,
    found: CountProbe | None,
    *,
    probe: bool,
) -> tuple[Value, ...]:
    """The distinct values of ``sub``'s one column (a lookup's ids), read whole; ``found``:
    its COUNT probe, already made (its calls are not in ``spent``)."""
    if found is None:
        sub_plan = await prepare(sub, catalog, client, options, probe=probe)
    else:
        sub_plan = plan(sub, catalog, options, rows=found.rows)
    key = sub_plan.columns[-1].key  # a record query's columns are id, then its own
    seen: dict[object, None] = {}
    async for batch in execute(sub_plan, client, stats=spent):
        column = batch.column(batch.schema.get_field_index(key))
        if pa.types.is_struct(column.type):
            column = column.field("id")
        for value in column.to_pylist():
            if value is not None:
                seen.setdefault(value, None)
    return tuple(_value(v) for v in seen)


def _value(value: object) -> Value:
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return Number(int(value))
    return String(str(value))


# ---- running the plan ------------------------------------------------------------------------


class _Run:
    def __init__(self, client: AsyncZohoClient, plan: Plan, tz: str, stats: RunStats, ahead: int) -> None:
        self.client = client
        self.plan = plan
        self.tz = tz
        self.stats = stats
        self.ahead = ahead

    def schema(self, step: Step) -> pa.Schema:
        return schema(step.columns, tz=self.tz)

    def run(self, step: Step, ahead: int | None = None) -> AsyncGenerator[pa.RecordBatch, None]:
        return self._timed(step, self._source(step, self.ahead if ahead is None else ahead))

    def _shared(self, parts: tuple[Step, ...]) -> int:
        """Parts run side by side share the window: memory stays bounded however many."""
        return max(2, self.ahead // max(1, len(parts)))

    def _source(self, step: Step, ahead: int) -> AsyncGenerator[pa.RecordBatch, None]:
        actual = self.stats.actual(step)
        if isinstance(step, (SingleCall, OffsetPages, KeysetPages)):
            return scan(self.client, step, self.schema(step), actual, ahead=ahead, notes=self.stats.notes)
        if isinstance(step, BulkRead):
            poll = self.plan.options.bulk_poll_seconds
            return bulk_read(self.client, step, self.schema(step), actual, poll_seconds=poll)
        if isinstance(step, ColumnSplit):
            parts = [self.run(p, self._shared(step.parts)) for p in step.parts]
            return finish.column_join(parts, self.schema(step), self.stats.notes)
        if isinstance(step, InUnion):
            share = self._shared(step.parts)
            return finish.union([self.run(p, share) for p in step.parts], self.schema(step))
        if isinstance(step, LocalSort):
            return finish.sort(self.run(step.child, ahead), self.schema(step.child), step.keys)
        if isinstance(step, LocalSlice):
            return finish.slice_rows(self.run(step.child, ahead), step.offset, step.limit)
        if isinstance(step, LocalProject):
            return finish.project(self.run(step.child, ahead), self.schema(step))
        if isinstance(step, LocalAggregate):
            child = step.child
            return finish.aggregate(
                self.run(child, ahead), self.schema(child), self.schema(step), step.group, step.aggregates
            )
        raise CoqlError(f"no way to run a {type(step).__name__} step")  # pragma: no cover

    async def _timed(
        self, step: Step, source: AsyncGenerator[pa.RecordBatch, None]
    ) -> AsyncGenerator[pa.RecordBatch, None]:
        """Count what a step yields and how long it took; close its source however it ends."""
        actual = self.stats.actual(step)
        started = time.perf_counter()
        leaf = not step.children
        try:
            async for batch in source:
                if not leaf:
                    actual.rows += batch.num_rows
                yield batch
        finally:
            await source.aclose()
            actual.seconds = time.perf_counter() - started


def _roll_up(step: Step, stats: RunStats) -> Actual:
    """An inner step's calls and credits are its children's."""
    actual = stats.actual(step)
    if step.children:
        actual.calls = actual.credits = 0
        for child in step.children:
            sub = _roll_up(child, stats)
            actual.calls += sub.calls
            actual.credits += sub.credits
    return actual


async def execute(
    plan: Plan,
    client: AsyncZohoClient,
    *,
    tz: str = "UTC",
    stats: RunStats | None = None,
    ahead: int | None = None,
) -> AsyncGenerator[pa.RecordBatch, None]:
    """The rows of ``plan`` as record batches of :func:`result_schema`, in order.

    ``ahead`` bounds the pages asked for but not yet delivered (default: twice the client's
    concurrency). Close the iterator (``aclose()``, or leave an ``async with
    contextlib.aclosing(...)``) to stop early: every call in flight is cancelled.
    """
    stats = stats if stats is not None else RunStats()
    before_calls, before_credits = plan.spent
    stats.calls, stats.credits = stats.calls + before_calls, stats.credits + before_credits
    ahead = ahead if ahead is not None else 2 * client.settings.concurrency
    run = _Run(client, plan, tz, stats, ahead)
    final = result_schema(plan, tz=tz)
    started = time.perf_counter()
    rows = 0
    source = run.run(plan.root)
    try:
        async for batch in source:
            if batch.num_rows == 0:
                continue
            if not batch.schema.equals(final):
                batch = pa.RecordBatch.from_arrays(batch.columns, schema=final)
            if stats.first_batch_seconds is None:
                stats.first_batch_seconds = time.perf_counter() - started
            rows += batch.num_rows
            stats.rows = rows
            yield batch
        if rows == 0:
            yield empty_batch(final)
        _check_count(plan, rows, stats)
    finally:
        await source.aclose()
        root = _roll_up(plan.root, stats)
        stats.calls = root.calls + before_calls
        stats.credits = root.credits + before_credits
        stats.seconds = time.perf_counter() - started


def _check_count(plan: Plan, rows: int, stats: RunStats) -> None:
    expected = plan.estimate.rows
    if plan.probe is None or expected is None or rows == expected:
        return
    if rows < expected:
        note = (
            f"{expected - rows:,} fewer rows than the COUNT probe found ({rows:,} of {expected:,}): "
            "records were deleted or changed during the read"
        )
        if plan.estimate.rows is not None and expected > MAX_OFFSET_ROWS:
            note += "; run it again, or with strategy='bulk' for a read that is one snapshot"
    else:
        note = (
            f"{rows - expected:,} more rows than the COUNT probe found ({rows:,}, not {expected:,}): "
            "records were created during the read"
        )
    stats.notes.append(note)
    warnings.warn(note, ConsistencyWarning, stacklevel=2)


async def explain_analyze(
    plan: Plan, client: AsyncZohoClient, *, tz: str = "UTC"
) -> tuple[str, pa.Table, RunStats]:
    """Run ``plan`` to the end: its EXPLAIN tree with the actual figures, the rows, the stats."""
    stats = RunStats()
    batches = [b async for b in execute(plan, client, tz=tz, stats=stats)]
    table = pa.Table.from_batches(batches, schema=result_schema(plan, tz=tz))
    text = explain(plan, stats.actuals)
    calls, credits = "call" if stats.calls == 1 else "calls", "credit" if stats.credits == 1 else "credits"
    text += (
        f"\nActual: {stats.rows:,} rows · {stats.calls:,} {calls} · {stats.credits:,} {credits} · "
        f"{stats.seconds:.2f} s (first rows after {stats.first_batch_seconds or 0:.2f} s)"
    )
    for note in stats.notes:
        text += f"\nNote: {note}"
    return text, table, stats
