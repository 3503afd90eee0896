"""``execute(plan, client)``: a plan's rows as an async iterator of Arrow record batches.

Every step becomes an async iterator of batches: the leaves call Zoho (:mod:`.scan`,
:mod:`.bulk`), the inner steps combine and finish them (:mod:`.finish`). The batches
of the root have the schema of the plan's columns (:func:`result_schema`); a query that
matches nothing yields one empty batch with that schema, so a table can always be built.

What each step really did (calls, credits, rows, seconds) is kept in :class:`RunStats`,
which EXPLAIN ANALYZE prints next to the estimates. When the rows received disagree with
the COUNT probe (records created or deleted during the read), the stats' ``notes`` say so
and a :class:`~coqlkit.errors.ConsistencyWarning` is issued: a read is never silently short.

Pages of groups with no end known (a GROUP BY of no LIMIT, grouped by fields of any number
of values) are held until they end; should they reach Zoho's 100,000-group ceiling, the
records are counted then, read as that count decides and grouped here
(:mod:`.group_ceiling`). A query whose groups end below it costs what its pages cost.

``prepare(select, catalog, client)`` is the usual way in: it makes the COUNT probe when the
plan depends on the row count (one credit) and plans with what it found. Before that, a
subquery that may have more than the 100 records Zoho uses of one (``x in (select id from
...)``) is counted, and when it has more, read whole: its values go to the query as an IN
list, which the planner sends in slices of 50. A subquery with a LIMIT of 100 or less, or
with 100 records or fewer, is left to Zoho.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import AsyncGenerator, Collection
from dataclasses import dataclass, field, replace

import pyarrow as pa

from coqlkit.catalog import Catalog
from coqlkit.catalog.limits import MAX_OFFSET_ROWS, MAX_SUBQUERY_ROWS
from coqlkit.errors import ConsistencyWarning, CoqlError, CreditBudgetExceeded, DailyLimitReached, PlanError
from coqlkit.execute import finish
from coqlkit.execute.arrow import empty_batch, schema
from coqlkit.execute.bulk import bulk_read
from coqlkit.execute.counts import CountMemory
from coqlkit.execute.day import RestOfRead
from coqlkit.execute.group_ceiling import GroupCeiling, reach
from coqlkit.execute.scan import Lazy, scan
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
from coqlkit.plan.explain import Actual, AtCeiling, ago, explain
from coqlkit.plan.options import PlanOptions
from coqlkit.plan.planner import Plan, bulk_obstacle, plan
from coqlkit.plan.prepare import has_long_in, one_call_rows, rewrite_long_ins, swap_condition
from coqlkit.plan.steps import (
    BulkRead,
    ColumnSplit,
    CountProbe,
    GroupsOrRecords,
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
    pending_values,
)
from coqlkit.transport import AsyncZohoClient, CreditBudget

logger = logging.getLogger(__name__)

__all__ = [
    "RunStats",
    "analyzed",
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
    actuals: dict[int, Actual] = field(default_factory=dict, repr=False)  # keyed by object ids: noise
    notes: list[str] = field(default_factory=list)
    #: (rows read, rows counted) when the read disagreed with a count made around it: records
    #: changed during the read (a ConsistencyWarning was issued). None: no such disagreement.
    mismatch: tuple[int, int] | None = None
    #: (records, credits) of the COUNT made after a read planned from a remembered count, when
    #: the rows read were not the figure (EXPLAIN ANALYZE shows it). None: none was made.
    recount: tuple[int, int] | None = None
    #: What ran when pages of groups reached Zoho's ceiling, by ``id(step)`` of those pages:
    #: the COUNT made then and the read planned from it (EXPLAIN ANALYZE shows them).
    later: dict[int, AtCeiling] = field(default_factory=dict, repr=False)
    #: The ids of the jobs each bulk read created, by ``id(step)``: a read of one job is one
    #: snapshot, which a count's check weighs apart.
    bulk_jobs: dict[int, list[str]] = field(default_factory=dict, repr=False)
    #: (rows, records counted) when a bulk read of one job (one snapshot, complete as of
    #: when Zoho ran it) brought another number of rows than the COUNT probe made before
    #: it: records changed between the two. Not a short read: nothing can be missing from
    #: a snapshot. None: no such difference.
    snapshot_changed: tuple[int, int] | None = None

    def actual(self, step: Step) -> Actual:
        return self.actuals.setdefault(id(step), Actual())


def result_schema(plan: Plan, *, tz: str = "UTC") -> pa.Schema:
    """The schema of every batch ``execute(plan, ...)`` yields."""
    return schema(plan.columns, tz=tz)


# ---- before the plan: the COUNT probe ------------------------------------------------------


def needs_probe(select: Select, options: PlanOptions | None = None) -> bool:
    """Whether the plan depends on how many records match: a record query that may need
    more than one call (no LIMIT of at most 2,000 inside the offset ceiling); any aggregate
    read in bulk (its records are counted, read and grouped here). Not a GROUP BY read as
    pages of groups, even one whose groups may pass Zoho's 100,000-group ceiling: the count
    changes nothing below 100,000 records, and a probe on every grouped query (the commonest
    analytics query, run again and again) doubled its cost, while its worst case (the
    records read past the ceiling) refused cheap ones under a budget."""
    options = options or PlanOptions()
    if options.strategy == "bulk":
        return True  # a bulk read is planned by its record count
    if select.aggregates or select.group_by:
        return False
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


#: What a COUNT probe costs: one call without a LIMIT, Zoho's 200-row tier.
PROBE_CREDITS = 1


def _probe_within(options: PlanOptions, used: int, what: str) -> None:
    """Refuse, before it is sent, a COUNT probe the budget cannot pay for (``used``: what
    the subqueries before it took)."""
    if options.max_credits is None or used + PROBE_CREDITS <= options.max_credits:
        return
    before = f" after the {used:,} the subqueries took" if used else ""
    raise CreditBudgetExceeded(
        f"{what} costs {PROBE_CREDITS} credit{before}; {options.budget_text()}: refused before "
        "it was sent, nothing spent (raise the budget)",
        needed=used + PROBE_CREDITS,
        left=options.max_credits,
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
    values.update(overrides)
    session = client.budget
    if session is not None:
        asked = values.get("max_credits", session.left)
        if "max_credits" not in overrides or (isinstance(asked, int) and session.left < asked):
            # The session's budget, as far as it goes (a query's own may be smaller; an
            # explicit None plans without one: the calls are still refused past it).
            values["max_credits"], values["budget_total"] = session.left, session.limit
    return PlanOptions(**values)  # type: ignore[arg-type]


async def prepare(
    select: Select,
    catalog: Catalog,
    client: AsyncZohoClient,
    options: PlanOptions | None = None,
    *,
    probe: bool = True,
    read: bool = True,
    counts: CountMemory | None = None,
) -> Plan:
    """Plan ``select``, making the COUNT probe first when the plan depends on the row count
    (``probe=False``: never; the plan then reads until a page comes back short). A subquery
    of more than 100 records is read first (see the module's docstring); ``read=False``
    (EXPLAIN without ANALYZE) only counts it, and the plan cannot run.

    ``counts``: the connection's remembered counts. A figure for the same WHERE, at most
    ``options.count_ttl`` seconds old, stands in for the probe when the plan made from it
    checks it as it reads (:mod:`coqlkit.execute.counts`); a probe's figure is remembered."""
    options = options or options_for(client)
    if options.strategy == "bulk":  # what no record count changes: said before the probe is spent
        obstacle = bulk_obstacle(select, catalog, options)
        if obstacle is not None:
            raise PlanError(f"this query cannot run as a bulk read: {obstacle}")
    select, reads = await read_subqueries(select, catalog, client, options, probe=probe, read=read)
    # A subquery only counted (EXPLAIN) left stand-ins for its values: nothing to count by.
    counted = probe and all(r.read for r in reads) and needs_probe(select, options)
    if counted and counts is not None and not reads:
        remembered = _remembered(select, catalog, client, options, counts)
        if remembered is not None:
            _log_plan(remembered)
            return remembered
    if counted and probe_query(select) is not None:  # the probe, within the budget
        _probe_within(options, sum(r.credits for r in reads), "the COUNT probe this query needs")
    found = await count_rows(client, select) if counted else None
    if found is not None and counts is not None and found.rows is not None:
        counts.remember(found.query, found.rows)
    made = _within_day(select, catalog, client, options, found, reads)
    _log_plan(made)
    return made


def _log_plan(plan: Plan) -> None:
    """The plan chosen, at INFO on ``coqlkit.execute``: its steps and cost, and where its row
    count came from; never the query's values (a WHERE can hold personal data)."""
    if not logger.isEnabledFor(logging.INFO):
        return
    est = plan.estimate
    probe = plan.probe
    if probe is None or probe.rows is None:
        counted = "no count"
    elif probe.age is not None:
        counted = f"count {probe.rows:,} remembered from {ago(probe.age)}"
    else:
        counted = f"count {probe.rows:,} probed"
    logger.info(
        "plan for %s: %s · %d calls · %d credits · %s",
        plan.select.module,
        " > ".join(step.name for step in plan.steps()),
        est.calls,
        est.credits,
        counted,
    )


def _remembered(
    select: Select, catalog: Catalog, client: AsyncZohoClient, options: PlanOptions, counts: CountMemory
) -> Plan | None:
    """The plan made from a remembered count of ``select``'s WHERE, when there is one and the
    plan checks it as it reads (None: probe). Not under a credit budget, or once Zoho says
    how many of the day's credits are left: a plan is refused *before* anything is spent
    when it cannot be paid for, and only a fresh count keeps that promise (a read that goes
    on past a stale figure would stop at the budget, its result incomplete)."""
    if options.max_credits is not None or client.org_credits_left is not None:
        return None
    query = probe_query(select)
    text = None if query is None else render(query)
    found = None if text is None or not options.count_ttl else counts.recall(text, options.count_ttl)
    if text is None or found is None:
        return None
    rows, age = found
    try:
        made = _within_day(select, catalog, client, options, CountProbe(text, rows, age), ())
    except CoqlError:  # refused by a figure that may be stale: a fresh one decides
        return None
    return made if made.verifies_count else None


def _within_day(
    select: Select,
    catalog: Catalog,
    client: AsyncZohoClient,
    options: PlanOptions,
    found: CountProbe | None,
    reads: tuple[SubqueryRead, ...],
) -> Plan:
    """The plan, within the org's credits left today when Zoho has said how many."""
    # The org's credits left today (Zoho says so on its answers, the probe's usually): a plan
    # that cannot be paid for is refused now, or one that can (a bulk read) chosen, instead
    # of spending what is left and stopping at LIMIT_REACHED halfway.
    day = client.org_credits_left
    spent = (0 if found is None else found.calls) + sum(r.credits for r in reads)
    if day is None or (options.max_credits is not None and options.max_credits <= day + spent):
        return plan(select, catalog, options, probe=found, subqueries=reads)
    try:
        return plan(
            select,
            catalog,
            replace(options, max_credits=day + spent, day_left=day),
            probe=found,
            subqueries=reads,
        )
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
    read: bool = True,
) -> tuple[Select, tuple[SubqueryRead, ...]]:
    """``select`` with every ``in (subquery)`` that Zoho would cut at 100 records replaced
    by the subquery's values, and what reading them cost.

    A subquery with a LIMIT of at most 100 is Zoho's to run. Any other is counted (one
    credit; with ``probe=False`` it is read straight away instead): 100 records or fewer
    are left to Zoho too; more are read whole, as a query of their own (paged, its
    ORDER BY and LIMIT kept), and their distinct values replace the subquery. Before the
    read, the budget (and the org's credits left today) must allow it and the query after.

    ``read=False`` (EXPLAIN without ANALYZE) reads nothing past the COUNT: stand-ins
    (:func:`~coqlkit.plan.steps.pending_values`) take the values' place, so the plan shows
    what running it would send and cost, and cannot itself run.
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
        matching: int | None = None
        if probe:
            if probe_query(sub) is not None:
                used = sum(r.credits for r in reads)
                _probe_within(options, used, f"the COUNT of the subquery ({text})")
            found = await count_rows(client, sub)
            matching = None if found is None or found.rows is None else max(0, found.rows - (start or 0))
            if matching is not None and count is not None:
                matching = min(matching, count)
            if matching is not None and matching <= MAX_SUBQUERY_ROWS:
                reads.append(SubqueryRead(text, matching, 1, 1, inlined=False))
                continue
        spent = RunStats()
        left = options
        used = sum(r.credits for r in reads) + (found is not None)  # the subqueries before, this probe
        if options.max_credits is not None:
            left = replace(options, max_credits=options.max_credits - used)
        sub_plan: Plan | Select = sub
        if found is not None:
            try:
                sub_plan = plan(sub, catalog, left, rows=found.rows)
            except CreditBudgetExceeded:  # refused below, with what the query would cost too
                sub_plan = plan(sub, catalog, replace(left, max_credits=None), rows=found.rows)
            assert where is not None  # it holds the subquery
            stand_in = replace(select, where=swap_condition(where, cond, _stand_in(cond, matching)))
            _afford(sub_plan, stand_in, catalog, client, options, used, probe=probe)
            if not read:
                est = sub_plan.estimate
                reads.append(SubqueryRead(text, matching or 0, est.calls + 1, est.credits + 1, read=False))
                where = stand_in.where
                continue
        elif not read:  # not counted either (probe=False): left in the query, noted
            est = plan(sub, catalog, replace(left, max_credits=None)).estimate
            reads.append(SubqueryRead(text, None, est.calls, est.credits, read=False))
            continue
        values = await _subquery_values(sub_plan, catalog, client, left, spent, probe=probe)
        calls, credits = spent.calls + (found is not None), spent.credits + (found is not None)
        records = spent.rows
        if not values:  # nothing now (records went away, or every value empty): Zoho's, as is
            reads.append(SubqueryRead(text, 0, calls, credits, inlined=False, records=records))
            continue
        # Its values, however few: Zoho would take the first 100 *records* of the subquery,
        # and 2,000 records may hold 20 owners whose first 100 records name only some.
        reads.append(SubqueryRead(text, len(values), calls, credits, values=values, records=records))
        assert where is not None  # it holds the subquery
        where = swap_condition(where, cond, replace(cond, values=values, span=None))
    if not reads:
        return select, ()
    return replace(select, where=where), tuple(reads)


def _stand_in(cond: In, rows: int | None) -> In:
    """``cond`` with ``rows`` stand-ins for its subquery's values: the query as it will be
    sent once the subquery is read, to plan before reading it (the planner needs only how many)."""
    return replace(cond, values=pending_values(rows or 0), span=None)


def _afford(
    sub_plan: Plan,
    stand_in: Select,
    catalog: Catalog,
    client: AsyncZohoClient,
    options: PlanOptions,
    used: int,
    *,
    probe: bool,
) -> None:
    """Refuse, before a subquery is read, a read that the budget (or the org's credits left
    today) cannot pay for together with the query its values go into: otherwise the
    subquery's credits would be spent for a query refused afterwards. ``used``: what the
    subqueries before and this one's COUNT probe took."""
    budget = None if options.max_credits is None else options.max_credits - used
    day = client.org_credits_left
    if budget is None and day is None:
        return
    read, rest, floor = sub_plan.estimate.credits, 0, sub_plan.estimate.calls_bound == "at least"
    try:
        est = plan(stand_in, catalog, replace(options, max_credits=None)).estimate
    except CoqlError:  # planned (and refused, if so) once the values are in: the read alone here
        floor = True
    else:  # its rows are unknown until it is counted: a floor then
        rest = est.credits + (1 if probe and needs_probe(stand_in, options) and est.rows is None else 0)
        floor = floor or est.calls_bound == "at least"
    at_least = "at least " if floor else ""
    what = (
        f"the subquery ({sub_plan.estimate.rows or 0:,} records, more than the 100 Zoho uses) "
        f"would be read first for {read:,} credits, and the query with its values would cost "
        f"{at_least}{rest:,} more"
    )
    if budget is not None and read + rest > budget:
        raise CreditBudgetExceeded(
            f"{what}: {at_least}{read + rest + used:,} credits with what was spent counting "
            f"({used:,}); {options.budget_text()}: refused before reading it (narrow "
            "the subquery, give it a LIMIT of 100 or less, or raise the budget)",
            needed=read + rest + used,
            left=options.max_credits or 0,
        )
    if day is not None and read + rest > day:
        raise DailyLimitReached(
            f"{what}, and the org has {day:,} credits left today by what Zoho last said: refused "
            "before reading it (credits come back as the day's rolling 24 hours move on)",
            needed=read + rest,
            left=day,
        )


async def _subquery_values(
    sub: Plan | Select,
    catalog: Catalog,
    client: AsyncZohoClient,
    options: PlanOptions,
    spent: RunStats,
    *,
    probe: bool,
) -> tuple[Value, ...]:
    """The distinct values of a subquery's one column (a lookup's ids), read whole: ``sub``
    is its plan (made from its COUNT probe, whose calls are not in ``spent``), or the
    subquery itself, planned here."""
    sub_plan = sub if isinstance(sub, Plan) else await prepare(sub, catalog, client, options, probe=probe)
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
    def __init__(
        self,
        client: AsyncZohoClient,
        plan: Plan,
        tz: str,
        stats: RunStats,
        ahead: int,
        *,
        lazy: Lazy = False,
        budget: CreditBudget | None = None,
        day: RestOfRead | None = None,
    ) -> None:
        self.client = client
        self.plan = plan
        self.tz = tz
        self.stats = stats
        self.ahead = ahead
        self.lazy = lazy
        self.budget = budget
        self.day = day

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
            pages = scan(
                self.client,
                step,
                self.schema(step),
                actual,
                ahead=ahead,
                notes=self.stats.notes,
                lazy=self.lazy,
                budget=self.budget,
                day=self.day,
            )
            if not (isinstance(step, OffsetPages) and step.ceiling_cost is not None and self._counted()):
                return pages
            # Pages of groups with no end known: held; at the ceiling, the records instead.
            at = self._ceiling()
            if self.lazy:  # a reader that may want only the first rows: streamed, as they come
                return at.streamed(step, pages, ahead)
            return at.held(step, pages, ahead)
        if isinstance(step, BulkRead):
            options = self.plan.options
            return bulk_read(
                self.client,
                step,
                self.schema(step),
                actual,
                poll_seconds=options.bulk_poll_seconds,
                job_seconds=options.bulk_job_seconds,
                budget=self.budget,
                lazy=self.lazy,
                notes=self.stats.notes,
                jobs=self.stats.bulk_jobs.setdefault(id(step), []),
            )
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
            return finish.project(self.run(step.child, ahead), self.schema(step), dict(step.sources))
        if isinstance(step, GroupsOrRecords):
            ceiling = self.plan.options.offset_ceiling
            if isinstance(step.groups, OffsetPages):
                ceiling = reach(step.groups)
            groups, records = self.run(step.groups, ahead), lambda: self.run(step.records, ahead)
            return finish.groups_or_records(groups, records, ceiling, self.stats.notes)
        if isinstance(step, LocalAggregate):
            child = step.child
            return finish.aggregate(
                self.run(child, ahead),
                self.schema(child),
                self.schema(step),
                step.group,
                step.aggregates,
                dict(step.sources),
            )
        raise CoqlError(f"no way to run a {type(step).__name__} step")  # pragma: no cover

    def _counted(self) -> str | None:
        """The COUNT of the query's records, made should its pages of groups reach Zoho's
        ceiling (None: the plan has no catalog to plan their read with, or its WHERE
        cannot be counted in one query: the pages fail at the ceiling, as EXPLAIN says)."""
        query = probe_query(self.plan.select)
        return None if query is None or self.plan.catalog is None else render(query)

    def _ceiling(self) -> GroupCeiling:
        count = self._counted()
        assert count is not None
        return GroupCeiling(
            self.client,
            self.plan,
            self.stats,
            run=self.run,
            spent=lambda: self.plan.spent[1] + _roll_up(self.plan.root, self.stats).credits,
            count=count,
            budget=self.budget,
            day=self.day,
        )

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
    """An inner step's calls and credits are its children's; pages of groups that reached
    Zoho's ceiling add what ran there (their own figures stay theirs: a new Actual)."""
    actual = stats.actual(step)
    if step.children:
        actual.calls = actual.credits = 0
        for child in step.children:
            sub = _roll_up(child, stats)
            actual.calls += sub.calls
            actual.credits += sub.credits
    at = stats.later.get(id(step))
    if at is None:
        return actual
    calls, credits = actual.calls + at.count.calls, actual.credits + at.count.credits
    if at.read is not None:
        read = _roll_up(at.read, stats)
        calls, credits = calls + read.calls, credits + read.credits
    return Actual(calls, credits, actual.rows, actual.seconds, actual.repeats)


async def execute(
    plan: Plan,
    client: AsyncZohoClient,
    *,
    tz: str = "UTC",
    stats: RunStats | None = None,
    ahead: int | None = None,
    lazy: Lazy = False,
    counts: CountMemory | None = None,
) -> AsyncGenerator[pa.RecordBatch, None]:
    """The rows of ``plan`` as record batches of :func:`result_schema`, in order.

    ``ahead`` bounds the pages asked for but not yet delivered (default: twice the client's
    concurrency). ``lazy`` starts each scan with its first page alone and opens the window
    when a second batch is asked for: a reader that may want only the first rows spends a
    page, not a window (the steps that read their parts side by side, a wide query's column
    groups and a long IN's slices, ask their parts for more at once, so they open at
    once). Close the iterator (``aclose()``, or leave an ``async with
    contextlib.aclosing(...)``) to stop early: every call in flight is cancelled.

    ``counts``: the connection's remembered counts. A plan made from one
    (:attr:`~coqlkit.plan.Plan.verifies_count`) and read to the end remembers what it found;
    when that is not the figure it was made from, one COUNT after the read tells whether
    records changed during the read (a ConsistencyWarning) or before it (a note).
    """
    if not all(sub.read for sub in plan.subqueries):
        raise PlanError(
            "this plan only counted its subquery (EXPLAIN without ANALYZE): it holds stand-ins "
            "for the subquery's values; run the query itself to read them"
        )
    stats = stats if stats is not None else RunStats()
    before_calls, before_credits = plan.spent
    stats.calls, stats.credits = stats.calls + before_calls, stats.credits + before_credits
    ahead = ahead if ahead is not None else 2 * client.settings.concurrency
    # The query's own budget, held call by call: a plan whose cost was only a floor (rows
    # unknown: pages of groups, an IN split on a field, probe=False) stops at it, before the
    # call that would pass it, instead of finishing over it. The probe and subqueries count.
    limit = plan.options.max_credits
    name = (
        "the org's credits left today"
        if plan.options.day_left is not None
        else "the query's budget (max_credits)"
    )
    budget = None if limit is None else _QueryBudget(limit, spent=min(before_credits, limit), name=name)
    # The org's credits left today, once Zoho says how many mid-read: a read that cannot
    # finish with them stops at once, not when Zoho refuses a page with the last ones spent.
    day = RestOfRead.of(plan, client)
    run = _Run(client, plan, tz, stats, ahead, lazy=lazy, budget=budget, day=day)
    final = result_schema(plan, tz=tz)
    started = time.perf_counter()
    rows = 0
    settled = (0, 0)  # a remembered count's check after the read: its calls and credits
    charged = _charged(client)
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
        if plan.probe is not None and plan.probe.age is not None:
            settled = await _settle_remembered(plan, client, stats, counts)
        else:
            _check_count(plan, rows, stats)
    except CreditBudgetExceeded as exc:
        if exc is day.refusal:  # said again with what was read and spent, the calls out included
            await source.aclose()  # the calls still out cancelled, and counted
            spent = _roll_up(plan.root, stats).credits + before_credits
            raise day.stopped(_received(plan, stats), spent) from None
        if budget is not None and budget.refused(exc):
            await source.aclose()  # every page asked for alongside it given back, or spent
            raise budget.stopped(exc, rows) from exc
        connection = _connection_refused(client, exc)
        if type(exc) is not CreditBudgetExceeded or not (rows or connection):  # the day's; a job's
            raise
        # The connection's budget (credit_budget), said as the query's own is.
        await source.aclose()  # every page asked for alongside it given back, or spent
        spent = _roll_up(plan.root, stats).credits + before_credits
        raise stopped_by(exc, rows, spent, _held(client.budget, exc) if connection else 0) from exc
    finally:
        await source.aclose()
        root = _roll_up(plan.root, stats)
        stats.calls = root.calls + before_calls + settled[0]
        # Never more than the client counts as charged meanwhile: a call whose answer was
        # lost, stopped before it was sent again, is the client's "maybe charged", which
        # the read's count kept (review N, #5: query_credits over the spent line's credits).
        read = min(root.credits + settled[1], max(0, _charged(client) - charged))
        stats.credits = read + before_credits
        stats.seconds = time.perf_counter() - started


def _charged(client: AsyncZohoClient) -> int:
    """The credits the client counts as charged: those of the calls sent, less those whose
    answers were lost (maybe charged). Another read on the same client adds to it."""
    return int(client.credits_used) - int(getattr(client, "unanswered_credits", 0))


@dataclass
class _QueryBudget(CreditBudget):
    """The query's own budget, which remembers the refusal that stopped the read.

    A call is held on the budget from the moment it is asked for, so a page refused for
    what is left may have been refused for credits that pages asked for alongside it held
    while they waited for a slot, pages then never sent: "has 1 of 20 left" next to "spent
    16 credits" (review 7, export 8). :meth:`stopped` says both, once those are given back.
    """

    def stopped(self, exc: CreditBudgetExceeded, rows: int) -> CreditBudgetExceeded:
        """The refusal, said once the read has stopped: the rows read, what was spent, and
        what the pages asked for alongside the refused one held and gave back unsent.

        >>> budget = _QueryBudget(20, name="the query's budget (max_credits)")
        >>> budget.reserve(13); budget.reserve(6)  # sent; asked for alongside, waiting
        >>> try:
        ...     budget.reserve(3, "POST /crm/v8/coql")
        ... except CreditBudgetExceeded as exc:
        ...     refusal = exc
        ...     budget.refund(6)  # the read stops: the page waiting is not sent
        >>> budget.refused(refusal)
        True
        >>> print(budget.stopped(refusal, 2_200))  # doctest: +NORMALIZE_WHITESPACE
        POST /crm/v8/coql would cost 3 credits; the query's budget (max_credits) has 1 of 20
        left: stopped after 2,200 rows, so the result is incomplete (raise the budget, or add a
        LIMIT or a narrower WHERE); the query spent 13 credits, and 6 more were held by pages
        asked for alongside the refused one, given back unsent
        """
        return stopped_by(exc, rows, self.spent, _held(self, exc))


def _connection_refused(client: AsyncZohoClient, exc: CreditBudgetExceeded) -> bool:
    """Whether ``exc`` is the refusal of the connection's budget (``credit_budget``)."""
    return client.budget is not None and client.budget.refused(exc)


def _held(budget: CreditBudget | None, exc: CreditBudgetExceeded) -> int:
    """What pages asked for alongside the refused one held on ``budget`` when it was refused,
    once they are given back (the read has stopped): what the refusal's ``left`` missed."""
    return 0 if budget is None else max(0, budget.limit - exc.left - budget.spent)


def stopped_by(exc: CreditBudgetExceeded, rows: int, spent: int, held: int = 0) -> CreditBudgetExceeded:
    """A budget's refusal once the read has stopped (the query's ``max_credits``, or the
    connection's ``credit_budget``): the rows read, what the query spent, and what pages
    asked for alongside the refused one held and gave back unsent. The one wording of a
    read a budget cut short.

    >>> refusal = CreditBudgetExceeded("POST /crm/v8/coql would cost 3 credits; the budget has 1 of 20 left", needed=3, left=1)
    >>> print(stopped_by(refusal, 1, 19))  # doctest: +NORMALIZE_WHITESPACE
    POST /crm/v8/coql would cost 3 credits; the budget has 1 of 20 left: stopped after 1 row, so
    the result is incomplete (raise the budget, or add a LIMIT or a narrower WHERE); the query
    spent 19 credits
    """
    unsent = (
        f", and {held:,} more {'was' if held == 1 else 'were'} held by pages asked for alongside "
        "the refused one, given back unsent"
        if held > 0
        else ""
    )
    read = f"after {rows:,} {'row' if rows == 1 else 'rows'}" if rows else "before any row came"
    return CreditBudgetExceeded(
        f"{exc}: stopped {read}, so the result is incomplete (raise the budget, or add a LIMIT "
        f"or a narrower WHERE); the query spent {spent:,} {'credit' if spent == 1 else 'credits'}{unsent}",
        needed=exc.needed,
        left=exc.left,
    )


def _received(plan: Plan, stats: RunStats) -> int:
    """The rows Zoho's answers brought that the read delivered on, its scans' rows: all of
    them when a step above holds them (a local sort or aggregate yields nothing until the end)."""
    return sum(stats.actual(step).rows for step in plan.steps() if not step.children)


def _check_count(plan: Plan, rows: int, stats: RunStats) -> None:
    """The rows read against the COUNT probe made just before the read: a difference is a
    change during the read, noted and warned of (``stats.mismatch``). A scan that read every
    match is judged by what it read, whatever a local sort and LIMIT then kept (an ORDER BY
    of 10 fields is read in id order and cut here: its 300 rows say nothing of the count)."""
    if plan.probe is None or plan.select.aggregates or plan.select.group_by:
        return  # groups are not records: the count bounds them, nothing more
    leaf = plan.whole_scan
    if leaf is not None:
        rows, expected = stats.actual(leaf).rows, plan.probe.rows
    else:
        expected = plan.estimate.rows
    if expected is None or rows == expected:
        return
    leaves = [s for s in plan.steps() if not s.children]
    if len(leaves) == 1 and isinstance(leaves[0], BulkRead):
        jobs = stats.bulk_jobs.get(id(leaves[0]), [])
        if len(jobs) == 1:
            _snapshot_changed(stats, rows, expected, jobs[0])
            return
        # Pages of separate jobs, each run at its own time: a record deleted from a page
        # already read may shift the next page's records (Zoho does not say how its page
        # token goes on), so a record may be missed, as with offset pages.
        _mismatch(stats, rows, expected, "the COUNT probe found", jobs=len(jobs))
        return
    _mismatch(stats, rows, expected, "the COUNT probe found", big=expected > MAX_OFFSET_ROWS)


def _snapshot_changed(stats: RunStats, rows: int, expected: int, job: str) -> None:
    """A bulk read of one job whose rows are not the COUNT probe's figure: the org changed
    between the count and the job's snapshot. The rows are the snapshot, whole (a job is one
    consistent read of the module when Zoho runs it): said, not taken for a short read,
    which "records that still match may be missing" would wrongly say (review N, #2)."""
    differ = (
        f"{expected - rows:,} fewer rows than the COUNT probe found ({rows:,}, not {expected:,})"
        if rows < expected
        else f"{rows - expected:,} more rows than the COUNT probe found ({rows:,}, not {expected:,})"
    )
    note = (
        f"{differ}: records were created, changed or deleted between the count and the snapshot "
        f"Zoho took when it ran the bulk-read job {job}; the rows are that snapshot, every record "
        "that matched then (none missing)"
    )
    stats.snapshot_changed = (rows, expected)
    stats.notes.append(note)
    logger.info("%s", note)


def short_read(
    rows: int,
    expected: int,
    counted: str = "counted",
    *,
    figures: bool = True,
    shift: str = "the pages after a deleted one shift",
) -> str:
    """What a read of fewer rows than a count made around it means, in the words every front
    end uses (``figures=False``: without the ``(rows of expected)``).

    >>> short_read(2_900, 3_000).split(": ")[0]
    '100 fewer rows than counted (2,900 of 3,000)'
    >>> short_read(2_900, 3_000, "the COUNT probe found", figures=False).split(": ")[:2]
    ['100 fewer rows than the COUNT probe found', 'records were deleted or changed during the read']
    """
    said = f" ({rows:,} of {expected:,})" if figures else ""
    return (
        f"{expected - rows:,} fewer rows than {counted}{said}: records were deleted or changed "
        f"during the read: records that still match may be missing from the result ({shift}), "
        "and deleted ones may be in it"
    )


def _mismatch(
    stats: RunStats, rows: int, expected: int, counted: str, *, big: bool = False, jobs: int = 0
) -> None:
    """Rows read that disagree with a count made around the read: noted, warned of, and
    kept in ``stats.mismatch`` (rows read, rows counted) for the front ends.

    Fewer rows does not mean that the rows missing are those deleted: a record deleted from
    a page already read shifts the pages after it by one, so a record that still matches
    is skipped, and the deleted one is in the result. The note says so (it read as "the
    deleted records are not in your result", review 7). ``jobs``: a bulk read's, of several
    jobs (one is one snapshot: :func:`_snapshot_changed`)."""
    if rows < expected:
        note = f"{short_read(rows, expected, counted)}; run it again"
        if jobs:
            shift = (
                f"the {jobs} bulk-read jobs are snapshots taken one after the other: a record "
                "deleted from a page already read may shift the next page"
            )
            note = f"{short_read(rows, expected, counted, shift=shift)}; run it again"
        elif big:
            note += ", or with strategy='bulk' for a read that is one snapshot"
    else:
        note = (
            f"{rows - expected:,} more rows than {counted} ({rows:,}, not {expected:,}): "
            "records were created during the read"
        )
    stats.mismatch = (rows, expected)
    stats.notes.append(note)
    warnings.warn(note, ConsistencyWarning, stacklevel=3)


async def _settle_remembered(
    plan: Plan, client: AsyncZohoClient, stats: RunStats, counts: CountMemory | None
) -> tuple[int, int]:
    """A plan made from a remembered count, read to the end: the records its scan read
    (every match of the WHERE, a local LIMIT's cut aside) against the figure. Equal: the
    figure stands, found anew. Not equal: records came or went since the figure, or during
    the read. One COUNT now finds a record the read missed that still matches (one that
    came to match on a page already read: warned of, as after a probe). It cannot find a
    record skipped because one on a page already read was deleted: the deleted one was
    read, and the two add up; a probe just before the read would show it, a remembered
    count cannot, and the note says so. The calls and credits that COUNT took."""
    leaf = plan.whole_scan  # (verifies_count: one scan, of every match)
    assert leaf is not None and plan.probe is not None and plan.probe.rows is not None
    read, counted = stats.actual(leaf).rows, plan.probe.rows
    if read == counted and not stats.actual(leaf).repeats:  # (rows that shifted: a change during it)
        if counts is not None:
            counts.remember(plan.probe.query, read)
        return 0, 0
    before = client.credits_used
    try:
        found = await count_rows(client, plan.select)
    except CoqlError as exc:  # the budget or the day's credits: it cannot be told
        if counts is not None:
            counts.remember(plan.probe.query, read)
        stats.notes.append(
            f"the count remembered from {ago(plan.probe.age or 0)} was {counted:,}, and the read found "
            f"{read:,}; a COUNT to tell whether records changed during the read could not be made "
            f"({exc.code}): if they did, some may be missing"
        )
        return 0, 0
    now = counted if found is None or found.rows is None else found.rows
    stats.recount = (now, client.credits_used - before)
    if counts is not None:
        counts.remember(plan.probe.query, now)
    if read == now and read > counted:
        stats.notes.append(
            f"the count remembered from {ago(plan.probe.age or 0)} was {counted:,}; records were "
            f"created or came to match, before the read or during it: {read:,} were read, as a COUNT "
            "after the read finds, and the figure is remembered"
        )
    elif read == now:
        # What no count can show: a record deleted during the read, from a page already read,
        # makes a later one be skipped, and the two add up. Deleted before the read: nothing
        # is missing. Neither coqlkit nor the caller can tell which: warned of, as a possibly
        # short read, but not taken for one (stats.mismatch: the shell keeps and writes it).
        note = (
            f"{counted - read:,} fewer rows than the count remembered from {ago(plan.probe.age or 0)} "
            f"({read:,} of {counted:,}, as a COUNT after the read finds): records were deleted, before "
            "the read or during it; a record deleted during the read from a page already read makes "
            "a later one be skipped, which no count shows (count_ttl=0 checks a read against a COUNT "
            "made just before it)"
        )
        stats.notes.append(note)
        warnings.warn(note, ConsistencyWarning, stacklevel=3)
    else:
        _mismatch(stats, read, now, "a COUNT after the read found")
    return 1, client.credits_used - before


async def explain_analyze(
    plan: Plan, client: AsyncZohoClient, *, tz: str = "UTC", counts: CountMemory | None = None
) -> tuple[str, pa.Table, RunStats]:
    """Run ``plan`` to the end: its EXPLAIN tree with the actual figures, the rows, the stats."""
    stats = RunStats()
    batches = [b async for b in execute(plan, client, tz=tz, stats=stats, counts=counts)]
    table = pa.Table.from_batches(batches, schema=result_schema(plan, tz=tz))
    return analyzed(plan, stats), table, stats


def analyzed(plan: Plan, stats: RunStats, *, said: Collection[str] = ()) -> str:
    """The EXPLAIN ANALYZE text of ``plan`` once read: its tree with each step's actual
    figures, the totals, and the read's notes (but those in ``said``, already shown)."""
    text = explain(plan, stats.actuals, recount=stats.recount, later=stats.later)
    calls, credits = "call" if stats.calls == 1 else "calls", "credit" if stats.credits == 1 else "credits"
    text += (
        f"\nActual: {stats.rows:,} {'row' if stats.rows == 1 else 'rows'} · {stats.calls:,} {calls} · "
        f"{stats.credits:,} {credits} · "
        f"{stats.seconds:.2f} s (first rows after {stats.first_batch_seconds or 0:.2f} s)"
    )
    return "".join([text, *(f"\nNote: {note}" for note in stats.notes if note not in said)])
