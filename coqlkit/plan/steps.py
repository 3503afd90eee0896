"""The steps of a plan: plain, frozen data that the executor runs and EXPLAIN prints.

A plan is a tree. Its leaves ask Zoho for rows (:class:`SingleCall`, :class:`OffsetPages`,
:class:`KeysetPages`, :class:`BulkRead`); its inner nodes combine them
(:class:`ColumnSplit`, :class:`InUnion`) or finish locally what Zoho cannot do
(:class:`LocalSort`, :class:`LocalSlice`, :class:`LocalAggregate`, :class:`LocalProject`).
Every step knows the columns it yields and estimates its rows, calls, credits and seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from coqlkit.catalog.limits import MAX_OFFSET_ROWS, coql_credits
from coqlkit.language.ast import Number, Select, Value
from coqlkit.plan.columns import OutputColumn

__all__ = [
    "Bound",
    "BulkRead",
    "ColumnSplit",
    "CountProbe",
    "Estimate",
    "GroupsOrRecords",
    "InUnion",
    "KeysetPages",
    "LocalAggregate",
    "LocalProject",
    "LocalSlice",
    "LocalSort",
    "OffsetPages",
    "Page",
    "SingleCall",
    "Step",
    "SubqueryRead",
    "pending_values",
    "widest",
]


Bound = Literal["exact", "at most", "at least"]


@dataclass(frozen=True)
class Estimate:
    """What a step is expected to cost: rows it yields, calls, credits, seconds of waiting.

    ``rows`` is None when nothing bounds it (no COUNT probe, no LIMIT). ``rows_bound`` is
    ``"at most"`` when ``rows`` is a LIMIT rather than a count. ``calls_bound`` says how the
    calls and credits relate to the real ones: ``"at most"`` when the scan stops at the
    first page that comes back short, ``"at least"`` when it goes on until one does.

    ``polls`` are a bulk read's status polls past the first of each job (a call and a credit
    each), apart from ``calls`` and ``credits``: as many as the job takes, so the figure is
    what its expected time gives ("up to" in EXPLAIN). A budget is weighed against the
    certain part, ``credits``; the polls are held call by call as the job runs.
    """

    rows: int | None
    calls: int
    credits: int
    seconds: float
    rows_bound: Bound = "exact"
    calls_bound: Bound = "exact"
    polls: int = 0

    @property
    def expected_credits(self) -> int:
        """The credits with the status polls expected: what plans are compared by."""
        return self.credits + self.polls

    def __add__(self, other: Estimate) -> Estimate:
        rows = None if self.rows is None or other.rows is None else self.rows + other.rows
        return Estimate(
            rows,
            self.calls + other.calls,
            self.credits + other.credits,
            self.seconds + other.seconds,
            widest(self.rows_bound, other.rows_bound),
            widest(self.calls_bound, other.calls_bound),
            self.polls + other.polls,
        )


def widest(*bounds: Bound) -> Bound:
    """The bound of figures added together: "at least" wins over "at most" over "exact".

    >>> widest("exact", "at most"), widest("at most", "at least"), widest()
    ('at most', 'at least', 'exact')
    """
    if "at least" in bounds:
        return "at least"
    return "at most" if "at most" in bounds else "exact"


@dataclass(frozen=True)
class Page:
    """One COQL call of a paged scan: ``limit`` rows from ``offset`` (within its window).

    ``skip``: the last row of a keyset window before the query's OFFSET, fetched only for
    its id (which opens the next window); it delivers no row.
    """

    offset: int
    limit: int
    window: int = 0
    skip: bool = False

    @property
    def credits(self) -> int:
        return coql_credits(self.limit)


@dataclass(frozen=True)
class Step:
    """Base of every step: the columns it yields and its estimate."""

    columns: tuple[OutputColumn, ...]
    estimate: Estimate

    @property
    def children(self) -> tuple[Step, ...]:
        return ()

    @property
    def name(self) -> str:
        raise NotImplementedError  # pragma: no cover


# ---- leaves: calls to Zoho -------------------------------------------------------------


@dataclass(frozen=True)
class CountProbe:
    """``select COUNT(id) ... where <criteria>``: how many records match, for one credit.

    ``age``: the figure is one remembered from a probe (or a read) that many seconds ago,
    not asked for now: it cost nothing, and the plan's last page checks it (see
    :attr:`OffsetPages.verify`). None: counted for this plan.
    """

    query: str
    rows: int | None = None
    age: float | None = None

    @property
    def calls(self) -> int:
        """What the count cost this plan: one call and one credit, or none when remembered."""
        return 0 if self.age is not None else 1


@dataclass(frozen=True)
class SubqueryRead:
    """A subquery read before the query: Zoho uses at most 100 of a subquery's records, so
    one that has more is read whole and its values sent as an IN list instead. ``query``
    is the subquery; ``rows`` its values; ``calls`` and ``credits`` what finding them cost
    (its COUNT probe included)."""

    query: str
    rows: int | None  # None: not counted (EXPLAIN with probe=False)
    calls: int
    credits: int
    inlined: bool = True  # False: 100 or fewer, left to Zoho (only its probe was spent)
    # False: counted, not read (EXPLAIN without ANALYZE): ``calls`` and ``credits`` are its
    # COUNT and the estimated read, and the plan's query holds stand-ins for its values
    # (:func:`pending_values`): such a plan cannot run.
    read: bool = True
    # The values read (inlined ones): EXPLAIN shows their lists as "<50 values of the subquery>".
    values: tuple[Value, ...] = field(default=(), compare=False, repr=False)
    records: int | None = None  # the records read for them (one value may come from many)


# Stand-ins for the values of a subquery not read yet (EXPLAIN without ANALYZE): numbers no
# Zoho id comes near, which EXPLAIN shows as "<N values of the subquery>".
PENDING_BASE = 7_391_828_364_500_000_000


def pending_values(count: int) -> tuple[Number, ...]:
    """``count`` stand-ins for a subquery's values: the planner needs only how many."""
    return tuple(Number(PENDING_BASE + i) for i in range(1, count + 1))


@dataclass(frozen=True)
class SingleCall(Step):
    """One COQL call answers the whole query (at most 2,000 rows, within the offset ceiling)."""

    query: Select = field(default=None)  # type: ignore[assignment]

    @property
    def name(self) -> str:
        return "single call"


@dataclass(frozen=True)
class OffsetPages(Step):
    """Pages of ``limit n offset m`` sent concurrently, all below the 100,000 offset ceiling.

    ``query`` has the criteria and ORDER BY (with ``id`` last, so pages never overlap)
    and no LIMIT; ``pages`` says which slices to ask for. ``until_short`` (no row count
    known): stop at the first page that comes back short; ``open_ended``: and until then,
    ask for more pages than planned.

    ``verify``: the pages were planned from a remembered count (records may have come or
    gone since). They stop at a short page, as ``until_short`` ones do; and when the last
    one comes back full with Zoho's ``more_records`` true, the read goes on past it, in id
    order from the highest id delivered (``query`` is in id order, and reads every
    match), as keyset pages of unknown number.
    """

    query: Select = field(default=None)  # type: ignore[assignment]
    pages: tuple[Page, ...] = ()
    until_short: bool = False
    open_ended: bool = False
    page_size: int = 2_000
    # Pages of groups with no end known (no LIMIT, no count, grouped fields of any number of
    # values): what reading up to the offset ceiling costs (calls, credits). They are held
    # until they end; should they reach it (Zoho pages groups no further), the records are
    # counted then, read as the count decides and grouped here (see ``at_ceiling``). None:
    # the pages cannot get there, or end below it.
    ceiling_cost: tuple[int, int] | None = None
    # What reading and grouping the fewest records that can make ``ceiling`` groups would
    # cost, as the planner would read them (EXPLAIN): the steps' names, calls, credits,
    # status polls; None: no way to read them is known (the read fails at the ceiling).
    at_ceiling: tuple[str, int, int, int] | None = None
    # No page passes this offset (Zoho's ceiling; the options' ``offset_ceiling``).
    ceiling: int = MAX_OFFSET_ROWS
    # Pages of groups known to end below the ceiling: at most this many groups (the grouped
    # fields' values, or the records that match). None: not known, or not groups.
    most_groups: int | None = None
    verify: bool = False

    @property
    def name(self) -> str:
        return "offset pages"


@dataclass(frozen=True)
class KeysetPages(Step):
    """Past the offset ceiling: windows of up to 100,000 rows in id order, each window's
    pages sent concurrently with ``id > <last id of the previous window>`` added.

    Each window's last page is fetched first: its last id opens the next window, so the
    windows follow one another at the speed of one call, not of a whole window. A window
    wholly before the query's OFFSET is skipped: only its last row is fetched, for its id
    (a :class:`Page` with ``skip``).
    """

    query: Select = field(default=None)  # type: ignore[assignment]
    pages: tuple[Page, ...] = ()
    window_rows: int = 100_000
    until_short: bool = False
    open_ended: bool = False
    page_size: int = 2_000

    @property
    def name(self) -> str:
        return "keyset pages"

    @property
    def windows(self) -> int:
        """Windows the pages lie in, the skipped ones included."""
        return len({p.window for p in self.pages})

    @property
    def skipped(self) -> int:
        """Windows skipped before the query's OFFSET (one call each, for the window's last id)."""
        return sum(1 for p in self.pages if p.skip)


@dataclass(frozen=True)
class BulkRead(Step):
    """A bulk-read job per 200,000 records: criteria as bulk-read JSON, a zipped CSV each page."""

    module: str = ""
    fields: tuple[str, ...] = ()
    criteria: dict[str, Any] | None = None
    pages: int = 1
    page_rows: int = 200_000

    @property
    def name(self) -> str:
        return "bulk read"

    def body(self) -> dict[str, Any]:
        """The first job's request body (each later page's job sends it again, with the
        ``page_token`` the job before it gave)."""
        query: dict[str, Any] = {"module": {"api_name": self.module}, "fields": list(self.fields)}
        if self.criteria is not None:
            query["criteria"] = self.criteria
        return {"query": query, "file_type": "csv"}


# ---- inner nodes -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Parts(Step):
    parts: tuple[Step, ...] = ()

    @property
    def children(self) -> tuple[Step, ...]:
        return self.parts


@dataclass(frozen=True)
class ColumnSplit(_Parts):
    """More than 50 columns: the same scan per group of columns, each with ``id``, joined on id."""

    @property
    def name(self) -> str:
        return "column split"


@dataclass(frozen=True)
class InUnion(_Parts):
    """An IN list too long for one query: one query per slice of values (``per_query`` at
    most, as an OR of INs of 50), each read in id order, their rows merged in id order with
    each id once."""

    per_query: int = 50

    @property
    def name(self) -> str:
        return "IN split"


@dataclass(frozen=True)
class _Local(Step):
    child: Step = field(default=None)  # type: ignore[assignment]

    @property
    def children(self) -> tuple[Step, ...]:
        return (self.child,)


@dataclass(frozen=True)
class GroupsOrRecords(Step):
    """Pages of groups that may reach Zoho's 100,000-group ceiling (more records match than
    that, and the grouped fields do not bound the groups), with what runs if they do.

    ``groups`` is read first and its rows held; when its pages end below the ceiling they
    are the result. When they reach it (Zoho pages groups no further), ``records`` runs
    instead: the records' grouped and aggregated fields, read and grouped here. The estimate
    is the groups' (a floor); ``ceiling`` the calls and credits of the groups up to the
    ceiling; ``worst`` the credits of both, what a budget must hold; ``matched`` the
    records the COUNT probe found.
    """

    groups: Step = field(default=None)  # type: ignore[assignment]
    records: Step = field(default=None)  # type: ignore[assignment]
    ceiling: tuple[int, int] = (0, 0)
    worst: int = 0
    matched: int = 0

    @property
    def children(self) -> tuple[Step, ...]:
        return (self.groups, self.records)

    @property
    def name(self) -> str:
        return "groups, else records grouped here"


@dataclass(frozen=True)
class LocalSort(_Local):
    """ORDER BY done here: the rows are held in memory and sorted (``keys``: column, descending;
    ``why``: a reason EXPLAIN gives when the server could have sorted but must not)."""

    keys: tuple[tuple[str, bool], ...] = ()
    why: str = ""

    @property
    def name(self) -> str:
        return "local sort"


@dataclass(frozen=True)
class LocalSlice(_Local):
    """LIMIT/OFFSET done here, streaming: skip ``offset`` rows, keep ``limit``."""

    offset: int = 0
    limit: int | None = None

    @property
    def name(self) -> str:
        return "local limit"


@dataclass(frozen=True)
class LocalAggregate(_Local):
    """GROUP BY and aggregates done here (when the rows had to be fetched in several queries)."""

    group: tuple[str, ...] = ()
    aggregates: tuple[tuple[str, str, str], ...] = ()  # (output key, function, input column)
    # A grouped field selected under an alias: (output key, the grouped input column).
    sources: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return "local aggregate"


@dataclass(frozen=True)
class LocalProject(_Local):
    """Keep the query's own columns, in its order (drops the keys added for sorting or joins).
    ``sources``: a column fetched under another key (its alias names a grouped field fetched
    beside it: :func:`~coqlkit.plan.groups.with_grouped_fields`), (its key, the child's key)."""

    sources: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return "local projection"
