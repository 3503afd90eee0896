"""``plan(select, catalog, options, rows=...)``: the cheapest correct way to run a query.

The planner is pure: it sends nothing. ``rows`` is what a COUNT probe found (the executor's
:func:`~coqlkit.execute.count_rows` makes one for a credit), or None when unknown. Then:

- a query that fits one call (≤ 2,000 rows, inside the offset ceiling) is one call;
- more rows below the 100,000 ceiling: concurrent offset pages, ordered by the query's
  ORDER BY with ``id`` last so no two pages overlap (an ORDER BY of 10 fields, COQL's most,
  has no room for ``id``: the rows are read in id order and sorted here);
- past the ceiling: keyset windows in id order (with a local sort when the query wanted
  another order), or a bulk-read job when that is cheaper by the options' measure;
- more than 50 columns: the same scan per group of columns, joined on id (or one bulk read);
- an IN of more than 50 values: rewritten as an OR of INs when the criteria fit, else one
  query per slice of values, each in id order, their rows merged in id order (each id
  once) and finished locally;
- GROUP BY: pages of groups (nothing tells how many), ties broken by the grouped fields,
  every one of them fetched to tell groups apart (one not selected: hidden, then dropped);
  pages of groups that may reach Zoho's 100,000-group ceiling are held until they end, and
  should they reach it the records are counted then and read and grouped here
  (:func:`grouped_here`, which the executor calls with that count).

Without a row count a LIMIT only bounds the read: the pages stop at the first short one,
and EXPLAIN gives its figures as "up to" / "at most"; without a LIMIT either, keyset pages
go on until one comes back short ("at least"). With ``max_credits`` the best plan that
fits the budget (the COUNT probe counted) is chosen, and none fitting is refused before
anything is spent. A bulk read's status polls past each job's first are as many as the job
takes: the budget is weighed against the certain part (the job, a poll, the download), and
the polls are held call by call as it runs. When the budget (or the org's credits left
today) passes over the fastest plan, the plan says which and why (:attr:`Plan.choice`), as
it does when the fastest costs at least twice what the cheapest would.

Whatever a step cannot do on the server (an ORDER BY after a bulk read or past the offset
ceiling, a LIMIT after a union) is finished locally; a column that is only needed to sort
is fetched as a hidden column and dropped at the end. An ORDER BY name that is both an
alias and a field of the module is the alias on every path, sent as its column's expression
(:mod:`coqlkit.plan.order_aliases`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from coqlkit.catalog import Catalog
from coqlkit.catalog.limits import (
    DEFAULT_LIMIT,
    MAX_CRITERIA,
    MAX_IN_VALUES,
    MAX_ORDER_BY,
    MAX_SELECT_COLUMNS,
    coql_credits,
)
from coqlkit.errors import CoqlError, CreditBudgetExceeded, PlanError
from coqlkit.language.ast import Aggregate, Column, FieldRef, Limit, OrderItem, Select
from coqlkit.plan.bulk import bulk_criteria, bulk_fields, criteria_obstacle, fields_obstacle, status_polls
from coqlkit.plan.columns import OutputColumn
from coqlkit.plan.groups import aggregates_of, group_bound, records_select, renamed, with_grouped_fields
from coqlkit.plan.options import PlanOptions
from coqlkit.plan.order_aliases import order_by_aliases
from coqlkit.plan.prepare import (
    criteria_count,
    expand_star,
    has_long_in,
    long_in_refusal,
    one_call_rows,
    output_columns,
    rewrite_long_ins,
    slices_per_query,
    split_long_in,
)
from coqlkit.plan.steps import (
    Bound,
    BulkRead,
    ColumnSplit,
    CountProbe,
    Estimate,
    GroupsOrRecords,
    InUnion,
    KeysetPages,
    LocalAggregate,
    LocalProject,
    LocalSlice,
    LocalSort,
    OffsetPages,
    Page,
    SingleCall,
    Step,
    SubqueryRead,
    widest,
)

__all__ = ["Choice", "Plan", "bulk_obstacle", "grouped_here", "plan", "total"]

ID = FieldRef(("id",))
BY_ID = (OrderItem(ID),)
BY_ID_DESC = [OrderItem(ID, descending=True)]
# Why a local sort (EXPLAIN): no quote in it, EXPLAIN wraps it as it wraps COQL.
NO_ROOM_FOR_ID = (
    "the ORDER BY has 10 fields, the most COQL takes: no room for id, which keeps pages from "
    "skipping rows tied on every field, so the rows are read in id order and sorted here"
)
# Modules bulk read does not serve (reference §7, bulk-read limitations).
NO_BULK_MODULES = frozenset({"Notes", "Attachments", "Emails"})


@dataclass(frozen=True)
class Choice:
    """A plan passed over: ``over`` names its steps (``keyset pages``), ``estimate`` is what
    it would cost in all (the COUNT probe included); ``reason`` is ``"budget"`` (it costs
    more than ``max_credits``: the budget, or the org's credits left today) or ``"cheaper"``
    (it is slower, and costs at most half as much)."""

    over: str
    estimate: Estimate
    reason: str


@dataclass(frozen=True)
class Plan:
    """A query's plan: its root step, the columns it yields, the probe it used, the
    subqueries read before it, its totals."""

    select: Select
    root: Step
    columns: tuple[OutputColumn, ...]
    options: PlanOptions
    probe: CountProbe | None = None
    subqueries: tuple[SubqueryRead, ...] = ()
    #: The plan the budget passed over, or a much cheaper one ``prefer="time"`` did.
    choice: Choice | None = None
    #: The catalog it was planned against: pages of groups that reach Zoho's ceiling plan
    #: the records' read with it then (:func:`grouped_here`).
    catalog: Catalog | None = field(default=None, compare=False, repr=False)

    @property
    def spent(self) -> tuple[int, int]:
        """The calls and credits spent before the plan: its COUNT probe and subqueries."""
        probe = 0 if self.probe is None else self.probe.calls
        calls = probe + sum(s.calls for s in self.subqueries)
        credits = probe + sum(s.credits for s in self.subqueries)
        return calls, credits

    @property
    def estimate(self) -> Estimate:
        """Everything together, the probe and the subqueries read first included."""
        est = total(self.root)
        calls, credits = self.spent
        if calls:
            rounds = (0 if self.probe is None else self.probe.calls) + (1 if self.subqueries else 0)
            est = replace(
                est,
                calls=est.calls + calls,
                credits=est.credits + credits,
                seconds=est.seconds + rounds * self.options.latency,
            )
        return est

    @property
    def verifies_count(self) -> bool:
        """Whether the plan checks the count it was made from as it reads, and reads on past
        it: its one call-making step is offset pages with ``verify`` (a plan that trusts its
        count, a single call sized to it or keyset windows, is made from a fresh probe)."""
        scan = self.whole_scan
        return isinstance(scan, OffsetPages) and scan.verify and bool(scan.pages)

    @property
    def whole_scan(self) -> OffsetPages | KeysetPages | None:
        """The plan's one scan, when it reads every record the WHERE matches (its count's
        records, whatever a local sort and LIMIT then keep); None for a plan of several
        scans, one that reads a LIMIT's share, or one made without a count."""
        leaves = [s for s in self.steps() if not s.children]
        if self.probe is None or len(leaves) != 1 or not isinstance(leaves[0], (OffsetPages, KeysetPages)):
            return None
        scan = leaves[0]
        whole = scan.estimate.rows == self.probe.rows and scan.estimate.rows_bound == "exact"
        return scan if whole else None

    def steps(self) -> list[Step]:
        """Every step, parents before children."""
        out: list[Step] = []
        stack = [self.root]
        while stack:
            step = stack.pop()
            out.append(step)
            stack.extend(reversed(step.children))
        return out

    def explain(self, *, width: int | None = 100) -> str:
        """EXPLAIN: the plan as a tree, its COQL wrapped to ``width`` columns (None: not wrapped)."""
        from coqlkit.plan.explain import explain

        return explain(self, width=width)


def total(step: Step) -> Estimate:
    """A step's estimate with its children's calls and credits (children run side by side;
    pages of groups that may reach the ceiling: theirs, the records read only if they do)."""
    if isinstance(step, GroupsOrRecords):
        return replace(total(step.groups), rows=step.estimate.rows, rows_bound=step.estimate.rows_bound)
    est = step.estimate
    for child in step.children:
        sub = total(child)
        est = replace(
            est,
            calls=est.calls + sub.calls,
            credits=est.credits + sub.credits,
            seconds=max(est.seconds, sub.seconds),
            calls_bound=widest(est.calls_bound, sub.calls_bound),
            polls=est.polls + sub.polls,
        )
    return est


def plan(
    select: Select,
    catalog: Catalog,
    options: PlanOptions | None = None,
    *,
    rows: int | None = None,
    probe: CountProbe | None = None,
    subqueries: tuple[SubqueryRead, ...] = (),
) -> Plan:
    """Plan ``select`` (validated) against ``catalog``. ``rows``: records matching its WHERE;
    ``subqueries``: those read before (their values are in ``select`` already).

    Raises :class:`~coqlkit.errors.PlanError` when no plan can run the query and
    :class:`~coqlkit.errors.CreditBudgetExceeded` when every plan costs more than
    ``options.max_credits`` (the COUNT probe and subqueries included, before anything
    more is spent).

    >>> from coqlkit.language import parse
    >>> p = plan(parse("select Last_Name from Leads"), Catalog.demo(), rows=12_345)
    >>> p.root.name, p.estimate.calls, p.estimate.credits
    ('offset pages', 7, 20)
    """
    options = options or PlanOptions()
    if probe is not None and rows is None:
        rows = probe.rows
    # An ORDER BY name that is an alias and a field too is the alias, on every path: its
    # column's expression is what the pages send and what a local sort sorts by.
    select = order_by_aliases(expand_star(select, catalog), catalog)
    columns = output_columns(select, catalog)
    probed = probe is not None and probe.calls > 0
    reserved = (1 if probed else 0) + sum(s.credits for s in subqueries)
    planner = _Planner(catalog, options, reserved, remembered=probe is not None and not probed)
    try:
        root = planner.plan(select, rows, columns)
    except _NoPlan as exc:
        raise PlanError(str(exc)) from None
    if options.max_credits is not None:
        est = total(root)
        cost = est.credits + reserved  # the certain part: status polls are held as they come
        held = _groups_or_records(root)
        if held is not None:  # the groups may reach the ceiling: both, then
            cost = held.worst + reserved
        if cost > options.max_credits:
            raise CreditBudgetExceeded(
                _over_budget(held or root, est, cost, probed, subqueries, options),
                needed=cost,
                left=options.max_credits,
            )
    choice = None
    for chosen, other, reason in planner.choices:
        if chosen is not root:  # a part's choice (an IN split's query): not the plan's
            continue
        whole = Plan(select, other, tuple(columns), options, probe, subqueries).estimate
        choice = Choice(_names(other), whole, reason)
    return Plan(select, root, tuple(columns), options, probe, subqueries, choice, catalog)


def grouped_here(select: Select, catalog: Catalog, options: PlanOptions, *, rows: int) -> Step:
    """What runs when the pages of groups of ``select`` (a planned grouped query,
    :attr:`Plan.select`, with the grouped fields it does not select added as its pages
    fetched them: :func:`~coqlkit.plan.groups.with_grouped_fields`) reach Zoho's ceiling:
    its ``rows`` records (counted then) read as the cost model picks, within
    ``options.max_credits`` when a way fits, grouped and aggregated here, then sorted and
    sliced as the query says (its columns are ``select``'s own). When no way fits, the
    cheapest is returned: the caller weighs ``total(step).credits`` against what is left
    and refuses it, saying what was spent. :class:`~coqlkit.errors.PlanError`: no way can
    read them.

    >>> from coqlkit.language import parse
    >>> step = grouped_here(parse("select Company, COUNT(id) from Leads group by Company"),
    ...                     Catalog.demo(), PlanOptions(), rows=250_000)
    >>> step.name, _names(step), total(step).credits
    ('local aggregate', 'keyset pages', 375)
    """
    planner = _Planner(catalog, options)
    select = order_by_aliases(select, catalog)
    try:
        return planner.grouped_here(select, rows, output_columns(select, catalog))
    except _NoPlan as exc:
        raise PlanError(str(exc)) from None


def _groups_or_records(root: Step) -> GroupsOrRecords | None:
    """The plan's pages of groups that may reach the ceiling with the records' read after
    them (under the projection of hidden grouped fields, if any); None: none."""
    while isinstance(root, LocalProject):
        root = root.child
    return root if isinstance(root, GroupsOrRecords) else None


def _over_budget(
    root: Step,
    est: Estimate,
    cost: int,
    probe: bool,
    subqueries: tuple[SubqueryRead, ...],
    options: PlanOptions,
) -> str:
    if isinstance(root, GroupsOrRecords):
        calls, credits = root.ceiling
        return (
            f"{root.matched:,} records match, so the groups may pass Zoho's "
            f"{options.offset_ceiling:,}-group ceiling: their pages would cost {credits:,} credits "
            f"({calls:,} calls) to reach it, and reading the records to group them here then "
            f"{root.worst - credits:,} more, {cost:,} in all with the COUNT probe; "
            f"{options.budget_text()}: add a LIMIT (of at most {options.offset_ceiling:,} groups), "
            "narrow the WHERE or raise the budget"
        )
    bound = {"exact": "", "at most": "up to ", "at least": "at least "}[est.calls_bound]
    calls = est.calls + (1 if probe else 0) + sum(s.calls for s in subqueries)
    spent = [
        what for what, yes in (("the COUNT probe", probe), ("the subqueries read first", subqueries)) if yes
    ]
    leaf = root
    while leaf.children:
        leaf = leaf.children[0]
    who = "the bulk read" if options.strategy == "bulk" else f"the cheapest plan ({leaf.name})"
    polls = f" and about {est.polls:,} status polls (1 credit each)" if est.polls else ""
    return (
        f"{who} would cost {bound}{cost:,} credit{'s' if cost != 1 else ''} "
        f"({calls:,} call{'s' if calls != 1 else ''}{', ' + ' and '.join(spent) + ' included' if spent else ''})"
        f"{polls}; {options.budget_text()}: narrow the query, add a LIMIT or raise the budget"
    )


def bulk_obstacle(select: Select, catalog: Catalog, options: PlanOptions | None = None) -> str | None:
    """Why ``select`` cannot be a bulk read, whatever its record count (None: it can be):
    checked before the COUNT probe when ``strategy="bulk"`` is asked for.

    >>> from coqlkit.language import parse
    >>> bulk_obstacle(parse("select Last_Name from Leads where Email like '%a%b%'"), Catalog.demo())
    "Email like '%a%b%': bulk read knows contains, starts with and ends with"
    """
    options = options or PlanOptions()
    if not options.allow_bulk:
        return "bulk read is turned off for this connection"
    if select.source.cvid is not None:
        return "a custom view (bulk read takes criteria, not a view)"
    if select.module in NO_BULK_MODULES:
        return f"bulk read does not serve {select.module}"
    if select.aggregates or select.group_by:  # the records are read, and grouped here
        select = records_select(select)
    found = criteria_obstacle(select, catalog)
    if found is not None:
        return found
    try:
        columns = output_columns(expand_star(select, catalog), catalog)
    except CoqlError:
        return None  # the planner says what is wrong with the columns
    return fields_obstacle(columns)


class _NoPlan(PlanError):
    """One way of running the query cannot run this one (the planner tries the others)."""


class _Planner:
    def __init__(
        self, catalog: Catalog, options: PlanOptions, reserved: int = 0, *, remembered: bool = False
    ) -> None:
        self.catalog = catalog
        self.options = options
        self.remembered = remembered  # the row count is a remembered one: offset pages verify it
        # What the plan itself may spend: the budget less the COUNT probe already made.
        self.budget = None if options.max_credits is None else options.max_credits - reserved
        self.bulk_reason = "no bulk read was planned for it"  # why not, once bulk() has said
        # (the chosen step, a plan passed over, why): see choose().
        self.choices: list[tuple[Step, Step, str]] = []

    def columns(self, select: Select) -> list[OutputColumn]:
        return output_columns(select, self.catalog)

    # ---- the query as a whole: long IN lists first, then one scan ---------------------------

    def plan(self, select: Select, rows: int | None, columns: list[OutputColumn]) -> Step:
        if not has_long_in(select):
            return self.scan(select, rows, columns)
        rewritten = rewrite_long_ins(select)
        failure: _NoPlan | None = None
        if rewritten is not None:
            try:
                return self.scan(rewritten, rows, columns)
            except _NoPlan as exc:  # the OR of INs leaves no room for keyset's "id > ...": split it
                failure = exc
        parts = split_long_in(select)
        if parts is None:
            if failure is not None:
                raise failure
            # A NOT IN is not split: its values are what each part must leave out. Reading the
            # wider set and filtering here would compare values by rules of our own (case,
            # picklists, lookups) where Zoho's are the ones that count.
            raise PlanError(long_in_refusal(select))
        return self.union(select, parts, columns, slices_per_query(select) * MAX_IN_VALUES)

    # ---- one query: single call, offset pages, keyset pages, column split or bulk read -----

    def scan(
        self, select: Select, rows: int | None, columns: list[OutputColumn], *, bulk: bool = True
    ) -> Step:
        options = self.options
        wide = len(select.columns) > MAX_SELECT_COLUMNS
        if wide and (select.aggregates or select.group_by):
            raise PlanError("a grouped query takes at most 50 columns")
        limit, offset = _limits(select)
        if select.aggregates and not select.group_by and options.strategy != "bulk":  # one row
            est = Estimate(1, 1, coql_credits(limit), options.latency)
            return SingleCall(tuple(columns), est, select)
        if select.group_by or (select.aggregates and options.strategy == "bulk"):
            return self.groups(select, rows, columns)
        wanted = _wanted(rows, limit, offset)
        known = rows is not None
        if not known:  # "id in (...)": no more rows than ids
            capped = one_call_rows(select, options)
            wanted = wanted if capped is None else capped
        if wanted == 0:
            return OffsetPages(tuple(columns), Estimate(0, 0, 0, 0.0), replace(select, limit=None), ())
        candidates: list[Step] = []
        failure: _NoPlan | None = None
        if wanted is not None and _server_ordered(wanted, offset, options):
            if not _room_for_id(select) and (wide or wanted > options.page_size):
                try:
                    candidates.append(self.untied(select, rows, columns))
                except _NoPlan as exc:  # (a bulk read may still do)
                    failure = exc
            elif wide:
                candidates.append(self.split(select, rows, columns, ordered=True))
            elif wanted <= options.page_size:
                candidates.append(self.single(select, wanted, offset, columns, known=known))
            else:
                order = _with_id(select)
                candidates.append(self.offset_pages(select, wanted, offset, columns, order, known=known))
        else:  # past the ceiling, or of unknown size: windows in id order
            try:
                candidates.append(self.finished(select, columns, self.by_id, rows=rows, keep_limit=True))
            except _NoPlan as exc:
                failure = exc
            if rows is not None and wanted is not None and list(select.order_by) == BY_ID_DESC:
                try:
                    candidates.append(self.mirrored(select, rows, wanted, offset, columns))
                except _NoPlan as exc:
                    failure = failure or exc
        if bulk and options.strategy != "coql":
            found = self.bulk(select, rows, columns)
            if found is not None:
                candidates.append(found)
        if not candidates:
            assert failure is not None
            raise failure
        if not bulk:  # a part of a column split: its one COQL scan, whatever the strategy
            return candidates[0]
        return self.choose(candidates)

    def untied(self, select: Select, rows: int | None, columns: list[OutputColumn]) -> Step:
        """An ORDER BY of 10 fields (COQL's most) leaves no room for the ``id`` that makes
        the order total, and pages (or the scans of a column split) ordered without it can
        split rows tied on every field differently, skipping some: the rows are read in id
        order instead (every matching record) and sorted and sliced here."""
        try:
            return self.finished(
                select, columns, self.in_id_order, rows=rows, keep_limit=False, why=NO_ROOM_FOR_ID
            )
        except _NoPlan:
            raise _NoPlan(
                "an ORDER BY of 10 fields leaves no room for the id that keeps pages from skipping "
                "tied rows, so the records are read in id order and sorted here; past 100,000 "
                "records that adds 'id > <last id>' to the WHERE, and this query already has 25 "
                "criteria: drop a criterion or an ORDER BY field"
            ) from None

    def in_id_order(self, select: Select, rows: int | None, columns: list[OutputColumn]) -> Step:
        """Every row of ``select`` (ordered by id) on COQL: pages, keyset windows or a split."""
        return self.scan(select, rows, columns, bulk=False)

    def mirrored(
        self, select: Select, rows: int, wanted: int, offset: int, columns: list[OutputColumn]
    ) -> Step:
        """ORDER BY id DESC past the ceiling, the records counted: the same rows are the
        ascending ones counted from the other end (from ``rows - offset - wanted``), fetched
        in id order (inside the ceiling by offset pages, past it by keyset windows that
        skip ahead) and turned round here, instead of reading every record to sort them."""
        start = max(0, rows - offset - wanted)
        ascending = replace(select, order_by=BY_ID, limit=Limit(max(wanted, 1), start or None))
        step = self.scan(ascending, rows, columns, bulk=False)
        est = step.estimate
        keys = _sort_keys(list(BY_ID_DESC), step.columns)
        return LocalSort(step.columns, _local(est.rows, est.rows_bound), step, keys)

    def single(
        self, select: Select, wanted: int, offset: int, columns: list[OutputColumn], *, known: bool
    ) -> Step:
        """One call for ``wanted`` rows (without a row count, the LIMIT: at most that many)."""
        query = replace(select, limit=Limit(max(wanted, 1), offset or None))
        bound: Bound = "exact" if known else "at most"
        est = Estimate(wanted, 1, coql_credits(max(wanted, 1)), self.options.latency, rows_bound=bound)
        return SingleCall(tuple(columns), est, query)

    def groups(self, select: Select, rows: int | None, columns: list[OutputColumn]) -> Step:
        """GROUP BY: Zoho pages the groups like records. How many there are is bounded by the
        grouped fields' values (a picklist's, a boolean's) or by the records that match
        (``rows``); past the ceiling by neither, the groups go first, and the records are
        read and grouped here should they reach it (:mod:`coqlkit.plan.groups`): planned
        now from ``rows``, or (no count) then, from a COUNT made at the ceiling.
        ``strategy="bulk"``: the records, read in bulk, grouped here."""
        options = self.options
        limit, offset = _limits(select)
        if offset + (1 if limit is None else limit) > options.offset_ceiling:
            raise PlanError(
                "Zoho pages the groups of a GROUP BY only up to 100,000 (offset + limit): "
                "lower the OFFSET, or group fewer records"
            )
        if options.strategy == "bulk":
            return self.grouped_here(select, rows, columns)
        if limit is not None and limit <= options.page_size:
            query = replace(select, limit=Limit(max(limit, 1), offset or None))
            est = Estimate(limit, 1, coql_credits(max(limit, 1)), options.latency, rows_bound="at most")
            return SingleCall(tuple(columns), est, query)
        inner = with_grouped_fields(select)
        if inner is not select:  # grouped fields not selected: fetched to tell groups apart, then dropped
            if len(inner.columns) > MAX_SELECT_COLUMNS:
                raise PlanError(_no_room_for_groups(select, inner, options.page_size))
            fetched = self.columns(inner)
            step = self.paged(inner, rows, fetched, limit, offset)
            est = step.estimate
            local = _local(est.rows, est.rows_bound)
            return LocalProject(tuple(columns), local, step, renamed(columns, fetched))
        return self.paged(select, rows, columns, limit, offset)

    def paged(
        self, select: Select, rows: int | None, columns: list[OutputColumn], limit: int | None, offset: int
    ) -> Step:
        """Pages of groups (``select`` selects every grouped field), and past the ceiling the
        records grouped here: planned now from ``rows``, or then from a COUNT."""
        options = self.options
        pages = self.offset_pages(select, limit, offset, columns, _with_group_keys(select), known=False)
        if limit is not None or not isinstance(pages, OffsetPages) or pages.ceiling_cost is None:
            return pages
        bounds = [b for b in (group_bound(select, self.catalog), rows) if b is not None]
        if bounds and min(bounds) <= options.offset_ceiling:  # the pages end below the ceiling
            return replace(pages, ceiling_cost=None, most_groups=min(bounds))
        if rows is None:  # no count: the records are counted at the ceiling, should it come
            return replace(pages, at_ceiling=self.ceiling_floor(select, columns))
        return self.groups_or_records(select, rows, columns, pages)

    def ceiling_floor(self, select: Select, columns: list[OutputColumn]) -> tuple[str, int, int, int] | None:
        """What reading and grouping the records costs when pages of groups reach the
        ceiling, for one record past it (the fewest that make so many groups, but for an
        org of exactly that many): the steps' names, calls, credits and status polls, for
        EXPLAIN (the count decides the real read then). None: no way can read them."""
        budget, reason, choices = self.budget, self.bulk_reason, len(self.choices)
        self.budget = None  # weighed at the ceiling against what is left then
        try:
            read = self.grouped_here(select, self.options.offset_ceiling + 1, columns)
        except CoqlError:
            return None
        finally:
            self.budget, self.bulk_reason = budget, reason
            del self.choices[choices:]
        est = total(read)
        return _names(read), est.calls, est.credits, est.polls

    def groups_or_records(
        self, select: Select, rows: int, columns: list[OutputColumn], pages: OffsetPages
    ) -> Step:
        """More records than the ceiling, groups not bounded: the pages of groups, and the
        records grouped here should they reach the ceiling (the budget, if any, holding both)."""
        assert pages.ceiling_cost is not None
        ceiling = pages.ceiling_cost
        budget = self.budget
        if budget is not None:  # the records' read fits what the groups may leave
            self.budget = budget - ceiling[1]
        try:
            records = self.grouped_here(select, rows, columns)
        finally:
            self.budget = budget
        worst = ceiling[1] + total(records).credits
        groups = replace(pages, ceiling_cost=None)
        est = replace(pages.estimate, rows=rows, rows_bound="at most")  # no more groups than records
        return GroupsOrRecords(tuple(columns), est, groups, records, ceiling, worst, rows)

    def grouped_here(self, select: Select, rows: int | None, columns: list[OutputColumn]) -> Step:
        """The records (the grouped and aggregated fields) read as the cost model picks,
        grouped and aggregated here, then sorted and sliced as the query says."""
        inner = replace(records_select(select), order_by=())  # grouped in any order
        read = self.scan(inner, rows, self.columns(inner))
        return self.aggregated(select, read, columns)

    def aggregated(self, select: Select, read: Step, columns: list[OutputColumn]) -> Step:
        """``read``'s records grouped and aggregated here, then sorted and sliced; grouped
        fields the query does not select are kept until then (to sort by), then dropped."""
        group = tuple(ref.name for ref in select.group_by)
        rows = None if group else 1  # without GROUP BY, one row
        inner = with_grouped_fields(select)  # (its columns are not sent: no limit of 50 here)
        grouped = columns if inner is select else self.columns(inner)
        sources = tuple(
            (c.key, c.ref.name)
            for c in grouped
            if c.aggregate is None and c.ref is not None and c.key != c.ref.name
        )
        step: Step = LocalAggregate(
            tuple(grouped), _local(rows, "exact"), read, group, aggregates_of(inner), sources
        )
        limit, offset = _limits(select)
        return self.finish(
            step,
            list(inner.order_by),
            limit,
            offset,
            columns,
            hidden=inner is not select,
            renames=renamed(columns, grouped),
        )

    def offset_pages(
        self,
        select: Select,
        wanted: int | None,
        offset: int,
        columns: list[OutputColumn],
        order: list[OrderItem],
        *,
        known: bool,
    ) -> Step:
        """Pages for ``wanted`` rows from ``offset``. ``known``: the row count is; else the
        pages stop at the first short one, and ``wanted`` None means as many as there are
        (a first page of 200, one credit, then on until a page comes back short)."""
        options = self.options
        query = replace(select, order_by=tuple(order), limit=None)
        if wanted is None:
            first = Page(offset, min(DEFAULT_LIMIT, options.page_size, options.offset_ceiling - offset))
            est = Estimate(None, 1, first.credits, options.latency, calls_bound="at least")
            # Up to the ceiling, as the executor pages on: the first page, then full ones.
            rest = [
                Page(offset + first.limit + start, size)
                for start, size in _paged(options.offset_ceiling - offset - first.limit, options.page_size)
            ]
            ceiling = (1 + len(rest), first.credits + sum(p.credits for p in rest))
            return OffsetPages(
                tuple(columns),
                est,
                query,
                (first,),
                until_short=True,
                open_ended=True,
                page_size=options.page_size,
                ceiling_cost=ceiling,
                ceiling=options.offset_ceiling,
            )
        pages = tuple(Page(offset + start, size) for start, size in _paged(wanted, options.page_size))
        seconds = _rounds(len(pages), options) * options.latency
        bound: Bound = "exact" if known else "at most"
        est = Estimate(wanted, len(pages), sum(p.credits for p in pages), seconds, bound, bound)
        # A remembered count is checked by the last page, and read on past in id order: only
        # when the pages are in id order, read every match, and leave a criterion's room.
        verify = (
            known
            and self.remembered
            and select.limit is None
            and list(query.order_by) == list(BY_ID)
            and criteria_count(select.where) < MAX_CRITERIA
        )
        if verify and pages:
            # The last page asks for one row more than the count when that costs nothing (the
            # same LIMIT tier, inside the ceiling): whether records lie past the count is then
            # told by how many rows come back, not by Zoho's more_records alone.
            last = pages[-1]
            more = replace(last, limit=last.limit + 1)
            if (
                more.limit <= options.page_size
                and more.credits == last.credits
                and more.offset + more.limit <= options.offset_ceiling
            ):
                pages = (*pages[:-1], more)
        return OffsetPages(
            tuple(columns),
            est,
            query,
            pages,
            until_short=not known or verify,
            page_size=options.page_size,
            verify=verify,
        )

    def by_id(self, select: Select, rows: int | None, columns: list[OutputColumn]) -> Step:
        """Rows in id order past the ceiling (or of unknown number): keyset pages, or a
        column split of keyset pages when the query has more than 50 columns."""
        if len(select.columns) > MAX_SELECT_COLUMNS:
            return self.split(select, rows, columns, ordered=False)
        return self.keyset(select, rows, columns)

    def keyset(self, select: Select, rows: int | None, columns: list[OutputColumn]) -> Step:
        """Windows of ``offset_ceiling`` rows in id order; the rows before ``offset`` are
        skipped by fetching only each skipped window's last id (one row, one credit)."""
        options = self.options
        if criteria_count(select.where) + 1 > MAX_CRITERIA:
            raise _NoPlan(
                "reading past 100,000 rows (or without a row count) adds 'id > <last id>' to the "
                "WHERE, and this query already has 25 criteria: drop one, or add a LIMIT"
            )
        limit, offset = _limits(select)
        wanted = _wanted(rows, limit, offset)
        window = options.offset_ceiling
        query = replace(select, order_by=BY_ID, limit=None)
        skipped = offset // window
        pages = [Page(window - 1, 1, w, skip=True) for w in range(skipped)]
        if wanted is None:  # unknown size: a first page of 200 (1 credit), then on until one is short
            start = offset - skipped * window
            pages.append(Page(start, min(DEFAULT_LIMIT, options.page_size, window - start), skipped))
            credits = sum(p.credits for p in pages)
            est = Estimate(None, len(pages), credits, (skipped + 1) * options.latency, calls_bound="at least")
            return KeysetPages(
                tuple(columns),
                est,
                query,
                tuple(pages),
                window,
                until_short=True,
                open_ended=True,
                page_size=options.page_size,
            )
        position, end = offset, offset + wanted
        while position < end:
            w = position // window
            stop = min(end, (w + 1) * window)
            pages += [
                Page(position - w * window + start, size, w)
                for start, size in _paged(stop - position, options.page_size)
            ]
            position = stop
        windows = len({p.window for p in pages})
        seconds = (_rounds(len(pages), options) + windows - 1) * options.latency
        bound: Bound = "exact" if rows is not None else "at most"
        est = Estimate(wanted, len(pages), sum(p.credits for p in pages), seconds, bound, bound)
        return KeysetPages(
            tuple(columns),
            est,
            query,
            tuple(pages),
            window,
            until_short=rows is None,
            page_size=options.page_size,
        )

    def bulk(self, select: Select, rows: int | None, columns: list[OutputColumn]) -> Step | None:
        """A bulk-read plan, when the query can be one: a record count, criteria and columns
        bulk read knows, a module it serves, no custom view."""
        options = self.options
        if rows is None:
            self.bulk_reason = "bulk read needs the record count (a COUNT probe)"
            return None
        reason = bulk_obstacle(select, self.catalog, options)
        if reason is not None:
            self.bulk_reason = reason
            return None

        def read(part: Select, rows: int | None, part_columns: list[OutputColumn]) -> Step:
            criteria = bulk_criteria(part, self.catalog)
            fields = bulk_fields(part_columns)
            if fields is None or criteria is False or rows is None:
                raise _NoPlan("bulk read cannot fetch these columns")
            jobs = max(1, math.ceil(rows / options.bulk_page_rows))
            # Certain, each job: its creation, one status poll, the download. The polls
            # after the first: as many as the job takes (its expected time's, here).
            polls = status_polls(options.bulk_job_seconds, options.bulk_poll_seconds) - 1
            est = Estimate(
                rows,
                jobs * 3,
                jobs * (options.bulk_credits + 2),
                jobs * (options.bulk_job_seconds + 2 * options.latency),
                polls=jobs * polls,
            )
            return BulkRead(
                tuple(part_columns),
                est,
                part.module,
                tuple(fields),
                criteria if isinstance(criteria, dict) else None,
                jobs,
                options.bulk_page_rows,
            )

        # Bulk read knows no order: any ORDER BY, and a LIMIT's "first rows", are done here.
        try:
            return self.finished(select, columns, read, rows=rows, keep_limit=False, order_for_limit=True)
        except _NoPlan:  # a column fetched only to sort by is beyond bulk read
            self.bulk_reason = "a column it would fetch to sort by is beyond bulk read"
            return None

    # ---- local finishing: the sort and slice a step cannot do on the server ----------------

    def finished(
        self,
        select: Select,
        columns: list[OutputColumn],
        fetch: Callable[[Select, int | None, list[OutputColumn]], Step],
        *,
        rows: int | None,
        keep_limit: bool,
        order_for_limit: bool = False,
        why: str = "",
    ) -> Step:
        """``fetch`` rows in id order (or no order), then sort and slice them here as the
        query says. ``keep_limit``: the fetch applies the query's LIMIT itself (keyset pages
        in id order do, when no other order is asked for)."""
        order = list(select.order_by)
        by_id = not order or order == list(BY_ID)
        limit, offset = _limits(select)
        if by_id and keep_limit:
            return fetch(select, rows, columns)
        if not order and order_for_limit and (limit is not None or offset):
            order = list(BY_ID)  # "the first rows" are the lowest ids, as Zoho would give them
        inner, hidden = _with_sort_columns(select, columns, order)
        inner = replace(inner, order_by=BY_ID if order else (), limit=None)
        step = fetch(inner, rows, self.columns(inner))
        return self.finish(step, order, limit, offset, columns, hidden, why)

    def finish(
        self,
        step: Step,
        order: list[OrderItem],
        limit: int | None,
        offset: int,
        columns: list[OutputColumn],
        hidden: bool,
        why: str = "",
        renames: tuple[tuple[str, str], ...] = (),
    ) -> Step:
        """Sort (unless the rows already come in that order), slice, drop the hidden columns
        (``renames``: the query's columns fetched under another key, given theirs back)."""
        est = step.estimate
        if order and not (order == list(BY_ID) and _is_id_ordered(step)):
            keys = _sort_keys(order, step.columns)
            step = LocalSort(step.columns, _local(est.rows, est.rows_bound), step, keys, why)
        if limit is not None or offset:
            kept = _wanted(est.rows, limit, offset)
            bound = est.rows_bound if est.rows is not None else "at most"
            step = LocalSlice(step.columns, _local(kept, bound), step, offset, limit)
        if hidden:
            est = step.estimate
            step = LocalProject(tuple(columns), _local(est.rows, est.rows_bound), step, renames)
        return step

    def choose(self, candidates: list[Step]) -> Step:
        """The fastest plan (credits break ties), or the cheapest with ``prefer="credits"``;
        with a credit budget, the best that fits (``plan`` reports when none does);
        ``strategy="bulk"``: the bulk read."""
        options = self.options
        if options.strategy == "bulk":
            bulk = [c for c in candidates if _leaf(c) is BulkRead]
            if not bulk:
                raise PlanError(f"this query cannot run as a bulk read: {self.bulk_reason}")
            return bulk[0]

        def key(step: Step) -> tuple[float, float]:
            est = total(step)
            credits = est.expected_credits
            pair = (est.seconds, credits) if options.prefer == "time" else (credits, est.seconds)
            return (float(pair[0]), float(pair[1]))

        ordered = sorted(candidates, key=key)
        chosen = ordered[0]
        if self.budget is not None:
            budget = self.budget
            # The certain credits: a bulk read's polls past the first are held as they come.
            fitting = [c for c in ordered if total(c).credits <= budget]
            if not fitting:
                return min(ordered, key=lambda c: total(c).credits)  # plan() refuses it
            chosen = fitting[0]
            if chosen is not ordered[0]:
                self.choices.append((chosen, ordered[0], "budget"))
                return chosen
        if options.prefer == "time":
            cheapest = min(ordered, key=lambda c: (total(c).expected_credits, total(c).seconds))
            if 2 * total(cheapest).expected_credits <= total(chosen).expected_credits:
                self.choices.append((chosen, cheapest, "cheaper"))
        return chosen

    # ---- many columns, long IN lists ---------------------------------------------------------

    def split(self, select: Select, rows: int | None, columns: list[OutputColumn], *, ordered: bool) -> Step:
        """More than 50 columns: one scan per group of 49 columns plus ``id``, joined on id.
        Every group asks for the same rows in the same order: the query's ORDER BY with
        ``id`` last (``ordered``), or id order alone."""
        items = [
            c for c in select.columns if not (isinstance(c, Column) and c.expr == ID and c.alias is None)
        ]
        order = tuple(_with_id(select)) if ordered else BY_ID
        size = MAX_SELECT_COLUMNS - 1
        parts: list[Step] = []
        for start in range(0, len(items), size):
            part = replace(select, columns=(Column(ID), *items[start : start + size]), order_by=order)
            parts.append(self.scan(part, rows, self.columns(part), bulk=False))
        return ColumnSplit(tuple(columns), self.together(parts), tuple(parts))

    def together(self, parts: list[Step]) -> Estimate:
        """Steps run side by side share the org's concurrency: the rounds of all their calls."""
        calls = sum(total(p).calls for p in parts)
        first = parts[0].estimate
        seconds = _rounds(calls, self.options) * self.options.latency
        return Estimate(first.rows, 0, 0, seconds, rows_bound=first.rows_bound)

    def union(self, select: Select, parts: list[Select], columns: list[OutputColumn], per_query: int) -> Step:
        """One query per slice of values, each fetched in id order (no more than a LIMIT
        without another order needs), merged in id order, then sorted (when the query has
        another ORDER BY), sliced (and grouped) here."""
        if select.aggregates or select.group_by:
            return self.grouped_union(select, parts, columns, per_query)
        order = list(select.order_by)
        limit, offset = _limits(select)
        if not order and (limit is not None or offset):
            order = list(BY_ID)  # "the first rows" are the lowest ids, as paged reads give them
        inner, hidden = _with_sort_columns(select, columns, order)
        inner_columns = self.columns(inner)
        # The parts' rows are merged in id order: the union's first n rows in id order are
        # among the first n of each part, so each part reads no more than that.
        first = None if limit is None or order != list(BY_ID) else Limit(max(1, offset + limit))
        subs = []
        for part in parts:
            whole = replace(part, columns=inner.columns, order_by=BY_ID, limit=first)
            subs.append(self.id_ordered(self.plan(whole, None, inner_columns)))
        step: Step = InUnion(tuple(inner_columns), self.united(subs), tuple(subs), per_query)
        return self.finish(step, order, limit, offset, columns, hidden)

    def id_ordered(self, step: Step) -> Step:
        """``step``, its rows in ascending id order (as the merge of an IN split needs them):
        every part is planned so, and would otherwise be sorted here."""
        if not _is_id_ordered(step):  # pragma: no cover - a guard: every part is planned in id order
            est = step.estimate
            keys = _sort_keys(list(BY_ID), step.columns)
            return LocalSort(step.columns, _local(est.rows, est.rows_bound), step, keys)
        return step

    def united(self, subs: list[Step]) -> Estimate:
        """The parts of an IN split side by side: no more rows than theirs together (when
        each is bounded, by the ids of an ``id in``), else unknown."""
        bounds = [s.estimate.rows for s in subs]
        if any(b is None for b in bounds):
            return replace(self.together(subs), rows=None)
        return replace(self.together(subs), rows=sum(b or 0 for b in bounds), rows_bound="at most")

    def grouped_union(
        self, select: Select, parts: list[Select], columns: list[OutputColumn], per_query: int
    ) -> Step:
        """An aggregate over an IN too long for one query: the records (the grouped and
        aggregated fields) of every slice, united by id, grouped and aggregated here."""
        inner = records_select(select)
        inner_columns = self.columns(inner)
        subs = [self.id_ordered(self.plan(replace(inner, where=p.where), None, inner_columns)) for p in parts]
        step: Step = InUnion(tuple(inner_columns), self.united(subs), tuple(subs), per_query)
        return self.aggregated(select, step, columns)


def _local(rows: int | None, bound: Bound) -> Estimate:
    """The estimate of a step done here: no call, no credit, no waiting."""
    return Estimate(rows, 0, 0, 0.0, rows_bound=bound if rows is not None else "exact")


def _limits(select: Select) -> tuple[int | None, int]:
    if select.limit is None:
        return None, 0
    count, offset = select.limit.rows()
    return count, offset or 0


def _wanted(rows: int | None, limit: int | None, offset: int) -> int | None:
    """How many rows the result holds: the LIMIT, or what matches past the OFFSET."""
    if rows is None:
        return limit
    left = max(0, rows - offset)
    return left if limit is None else min(limit, left)


def _server_ordered(wanted: int | None, offset: int, options: PlanOptions) -> bool:
    """Offset paging reaches every wanted row (its last row lies inside the ceiling)."""
    return wanted is not None and offset + wanted <= options.offset_ceiling


def _with_id(select: Select) -> list[OrderItem]:
    """The query's ORDER BY with ``id`` last, so that pages never overlap."""
    items = list(select.order_by)
    if not any(o.expr == ID for o in items) and len(items) < MAX_ORDER_BY:
        items.append(OrderItem(ID))
    return items


def _room_for_id(select: Select) -> bool:
    """The ORDER BY has ``id`` already, or room to add it (fewer than 10 fields)."""
    items = list(select.order_by)
    return any(o.expr == ID for o in items) or len(items) < MAX_ORDER_BY


def _with_group_keys(select: Select) -> list[OrderItem]:
    """Groups paged in the query's ORDER BY, with the grouped fields after it: ties (equal
    counts) then have one order, so pages never overlap. Without an ORDER BY, Zoho returns
    the groups in the order of their keys."""
    items = list(select.order_by)
    for ref in select.group_by if items else ():
        if not any(o.expr == ref for o in items) and len(items) < MAX_ORDER_BY:
            items.append(OrderItem(ref))
    return items


def _no_room_for_groups(select: Select, inner: Select, page_size: int) -> str:
    """Why pages of groups cannot fetch the grouped fields ``select`` does not select."""
    missing = [c.key for c in inner.columns[len(select.columns) :] if isinstance(c, Column)]
    names = ", ".join(missing)
    return (
        f"this GROUP BY groups by {names}, which it does not select, and selects "
        f"{len(select.columns)} columns: coqlkit fetches every grouped field to tell its pages of "
        f"groups apart, and {len(inner.columns)} columns pass COQL's {MAX_SELECT_COLUMNS}; select "
        f"{names} in place of {'a column' if len(missing) == 1 else 'as many columns'}, add a LIMIT "
        f"of at most {page_size:,} groups (one call), or run it with strategy='bulk' (its records "
        "read in bulk and grouped here)"
    )


def _is_id_ordered(step: Step) -> bool:
    """Rows arrive in ascending id order (keyset pages, id-ordered scans, the joins and
    merges of them, a local sort by id)."""
    if isinstance(step, (KeysetPages, OffsetPages, SingleCall)):
        return list(step.query.order_by) == list(BY_ID)
    if isinstance(step, (ColumnSplit, InUnion)):  # joined, or merged, on id
        return all(_is_id_ordered(p) for p in step.parts)
    if isinstance(step, LocalSort):
        return list(step.keys) == [("id", False)]
    return False


def _paged(rows: int, page_size: int) -> list[tuple[int, int]]:
    return [(start, min(page_size, rows - start)) for start in range(0, rows, page_size)]


def _rounds(calls: int, options: PlanOptions) -> int:
    return max(1, math.ceil(calls / options.concurrency))


def _key_of(item: OrderItem, columns: list[OutputColumn] | tuple[OutputColumn, ...]) -> str | None:
    expr = item.expr
    for column in columns:  # the column the item names: by its path, aggregate or alias
        if isinstance(expr, Aggregate):
            if column.aggregate == expr.func and column.ref == expr.arg:
                return column.key
        elif column.aggregate is None and column.ref == expr:
            return column.key
    name = expr.name
    return name if any(c.key == name for c in columns) else None


def _with_sort_columns(
    select: Select, columns: list[OutputColumn], order: list[OrderItem]
) -> tuple[Select, bool]:
    """The query with every ORDER BY field it does not select added (to sort by, then drop)."""
    extra = [Column(item.expr) for item in order if _key_of(item, columns) is None]
    extra = [c for i, c in enumerate(extra) if c not in extra[:i] and c.expr != ID]
    if not extra:
        return select, False
    return replace(select, columns=(*select.columns, *extra)), True


def _sort_keys(order: list[OrderItem], columns: tuple[OutputColumn, ...]) -> tuple[tuple[str, bool], ...]:
    keys = []
    for item in order:
        key = _key_of(item, columns)
        if key is None:  # pragma: no cover - _with_sort_columns added every sort field
            raise PlanError(f"cannot sort by {item.expr.name}: it is not among the fetched columns")
        keys.append((key, item.descending))
    return tuple(keys)


def _names(step: Step) -> str:
    """The steps that call Zoho, as EXPLAIN names them: ``keyset pages``, ``bulk read``,
    ``column split (offset pages)``."""
    names: list[str] = []
    stack = [step]
    split = ""
    while stack:
        node = stack.pop()
        if isinstance(node, (ColumnSplit, InUnion)) and not split:
            split = node.name
        if not node.children and node.name not in names:
            names.append(node.name)
        stack.extend(reversed(node.children))
    leaves = " + ".join(names)
    return f"{split} ({leaves})" if split else leaves


def _leaf(step: Step) -> type[Step]:
    while step.children:
        step = step.children[0]
    return type(step)
