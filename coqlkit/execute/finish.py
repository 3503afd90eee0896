"""What the server cannot do, done here on Arrow batches: sort, slice, project, aggregate,
join the column groups of a wide query and unite the parts of a long IN.

Every function takes and returns an async iterator of record batches. Slicing and
projection stream; a sort (and an aggregation) needs every row first, so it holds them,
as EXPLAIN says. Sorting follows the sandbox's (SQLite's) rules, which are the ones coqlkit
assumes for Zoho: nulls before every value when ascending and after them when descending,
text by code point, a lookup by its id, a picklist by its text, ties broken by id.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
from collections.abc import AsyncGenerator, Callable, Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from coqlkit.errors import CoqlError, PlanError
from coqlkit.execute.arrow import UNEXPECTED_VALUE

__all__ = [
    "aggregate",
    "aggregate_table",
    "column_join",
    "groups_or_records",
    "project",
    "slice_rows",
    "sort",
    "union",
]

Batches = AsyncGenerator[pa.RecordBatch, None]
OUT_ROWS = 2_000  # rows per batch a local step yields


def _rebatch(table: pa.Table, size: int = OUT_ROWS) -> list[pa.RecordBatch]:
    return table.combine_chunks().to_batches(max_chunksize=size) if table.num_rows else []


async def _table(batches: Batches, schema: pa.Schema) -> pa.Table:
    async with contextlib.aclosing(batches):
        collected = [b async for b in batches]
    return pa.Table.from_batches(collected, schema=schema) if collected else schema.empty_table()


@contextlib.contextmanager
def _doing(step: str) -> Iterator[None]:
    """The local work of ``step``: an error in it that is not coqlkit's own (Arrow's, a
    bug's) comes out as a :class:`CoqlError` naming the step, never as a raw exception."""
    try:
        yield
    except CoqlError:
        raise
    except Exception as exc:
        raise CoqlError(
            f"{step} failed here, on rows already read: {type(exc).__name__}: {exc} "
            "(a coqlkit bug: please report it with the query)"
        ) from exc


def _ids(array: pa.Array | pa.ChunkedArray) -> list[int]:
    """Zoho ids (digit strings) as ints."""
    return pc.cast(array, pa.int64()).to_pylist()  # type: ignore[no-any-return]


def _id_column(array: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    return (
        pa.chunked_array([pc.cast(array, pa.int64())])
        if isinstance(array, pa.Array)
        else pc.cast(array, pa.int64())
    )


# ---- sort ------------------------------------------------------------------------------------


def _sortable(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column as values Arrow can order the way the server does."""
    kind = column.type
    if pa.types.is_struct(kind):  # a lookup: by the target's id
        column = pc.struct_field(column, "id")
        kind = column.type
    if pa.types.is_dictionary(kind):
        return column.cast(kind.value_type)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):  # a multi-select: as Zoho stores it
        return pc.binary_join(column, ";")
    return column


def sort_table(table: pa.Table, keys: Sequence[tuple[str, bool]]) -> pa.Table:
    """``table`` sorted by ``keys`` (column, descending), nulls lowest, ties by ascending id."""
    if table.num_rows <= 1:
        return table
    helpers: dict[str, pa.ChunkedArray] = {}
    order: list[tuple[str, str]] = []
    for index, (name, descending) in enumerate(keys):
        values = _sortable(table.column(name))
        direction = "descending" if descending else "ascending"
        if values.null_count:  # nulls are the lowest values: first ascending, last descending
            helpers[f"__present{index}"] = pc.is_valid(values)
            order.append((f"__present{index}", direction))
        if name == "id":
            values = _id_column(values)
        helpers[f"__key{index}"] = values
        order.append((f"__key{index}", direction))
    if "id" in table.column_names and not any(name == "id" for name, _ in keys):
        helpers["__id"] = _id_column(table.column("id"))
        order.append(("__id", "ascending"))
    keyed = pa.table(helpers)
    indices = pc.sort_indices(keyed, sort_keys=order)
    return table.take(indices)


async def sort(batches: Batches, schema: pa.Schema, keys: Sequence[tuple[str, bool]]) -> Batches:
    """Every row, sorted (held in memory: a sort cannot stream)."""
    table = await _table(batches, schema)
    with _doing("local sort"):
        out = _rebatch(sort_table(table, keys))
    for batch in out:
        yield batch


# ---- slice, project --------------------------------------------------------------------------


async def slice_rows(batches: Batches, offset: int, limit: int | None) -> Batches:
    """Skip ``offset`` rows, then keep ``limit`` (None: all); stops reading once it has them."""
    skip, left = offset, limit
    if left == 0:
        await batches.aclose()
        return
    async with contextlib.aclosing(batches):
        async for batch in batches:
            if skip >= batch.num_rows:
                skip -= batch.num_rows
                continue
            if skip:
                batch, skip = batch.slice(skip), 0
            if left is not None:
                batch = batch.slice(0, left)
                left -= batch.num_rows
            if batch.num_rows:
                yield batch
            if left == 0:
                return


async def project(batches: Batches, schema: pa.Schema, sources: Mapping[str, str] | None = None) -> Batches:
    """Only ``schema``'s columns, in its order (drops the columns fetched to sort by).
    ``sources``: a column fetched under another key, its key → the fetched one."""
    names = [(sources or {}).get(n, n) for n in schema.names]
    async with contextlib.aclosing(batches):
        async for batch in batches:
            with _doing("local projection"):
                out = pa.RecordBatch.from_arrays([batch.column(n) for n in names], schema=schema)
            yield out


# ---- union of the parts of a long IN -----------------------------------------------------------


class _Producers:
    """Each source runs in its own task, ``depth`` batches ahead of its consumer.

    A source that fails fails the whole: the consumer's next :meth:`get`, whichever source
    it waits for, raises that error (so a failing part is not left unnoticed behind a
    long one, spending credits on a result that cannot be had).
    """

    def __init__(self, sources: Sequence[Batches], depth: int = 4) -> None:
        self.queues: list[asyncio.Queue[pa.RecordBatch | None]] = [asyncio.Queue(depth) for _ in sources]
        self.failed: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()
        self.tasks = [
            asyncio.ensure_future(self._pump(s, q)) for s, q in zip(sources, self.queues, strict=True)
        ]
        self.sources = sources

    async def _pump(self, source: Batches, queue: asyncio.Queue[pa.RecordBatch | None]) -> None:
        try:
            async for batch in source:
                await queue.put(batch)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # delivered to the consumer, which raises it
            if not self.failed.done():
                self.failed.set_result(exc)
            return
        await queue.put(None)

    async def get(self, index: int) -> pa.RecordBatch | None:
        """The next batch of source ``index`` (None: it has ended)."""
        queue = self.queues[index]
        if not queue.empty() and not self.failed.done():
            return queue.get_nowait()
        getter = asyncio.ensure_future(queue.get())
        waits: list[asyncio.Future[Any]] = [getter, self.failed]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            getter.cancel()
        if self.failed.done():
            raise self.failed.result()
        return getter.result()

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for source in self.sources:
            with contextlib.suppress(Exception):
                await source.aclose()


async def union(sources: Sequence[Batches], schema: pa.Schema) -> Batches:
    """The rows of every source merged in ascending id order, each id once.

    Each source yields its rows in ascending id order (the planner reads every part of an
    IN split so), and the merge streams: it holds one batch of each source, and hands on
    every row whose id is at most the least of those batches' last ids, since no source
    can yield a lower one after it. A record that several sources yield (it matches
    several slices of the IN) is kept once; so is, should a source go back on its order
    (records changed during its read), any id not above the last one handed on.
    """
    producers = _Producers(sources, depth=1)
    heads: dict[int, _Head] = {}  # per source still going: its batch, as far as merged
    ended: set[int] = set()
    last = -1  # the last id handed on
    try:
        while True:
            for index in range(len(sources)):
                while index not in heads and index not in ended:
                    batch = await producers.get(index)
                    if batch is None:
                        ended.add(index)
                    elif batch.num_rows:
                        with _doing(MERGING):
                            heads[index] = _Head(batch)
            if not heads:
                return
            with _doing(MERGING):
                merged, last = _merge(heads, schema, last)
            for batch in merged:
                yield batch
    finally:
        await producers.close()


MERGING = "IN split (merging the queries' rows in id order)"


class _Head:
    """A source's batch in a merge, and how far into it the merge has gone."""

    def __init__(self, batch: pa.RecordBatch) -> None:
        self.batch = batch
        self.ids = _ids(batch.column("id"))
        self.used = 0


def _merge(heads: dict[int, _Head], schema: pa.Schema, last: int) -> tuple[list[pa.RecordBatch], int]:
    """Every row of ``heads`` up to the least of their last ids, in id order, each id once
    and above ``last``; the heads used up are taken out. Returns the rows and the last id."""
    bound = min(head.ids[-1] for head in heads.values())
    pieces: list[pa.RecordBatch] = []
    ids: list[int] = []
    for index in sorted(heads):
        head = heads[index]
        end = bisect.bisect_right(head.ids, bound, head.used)
        if end > head.used:
            pieces.append(
                pa.RecordBatch.from_arrays(
                    head.batch.slice(head.used, end - head.used).columns, schema=schema
                )
            )
            ids += head.ids[head.used : end]
            head.used = end
        if head.used == len(head.ids):
            del heads[index]
    order = sorted(range(len(ids)), key=ids.__getitem__)  # stable: equal ids, the first source's first
    keep = []
    for position in order:
        if ids[position] > last:
            keep.append(position)
            last = ids[position]
    if len(pieces) == 1 and keep == list(range(len(ids))):
        return pieces, last
    table = pa.Table.from_batches(pieces, schema=schema)
    return _rebatch(table.take(pa.array(keep, pa.int64()))), last


# ---- the column groups of a wide query ---------------------------------------------------------


class ColumnJoinWarning(UserWarning):
    """The column groups of a wide query disagreed: records changed during the read."""


async def column_join(sources: Sequence[Batches], schema: pa.Schema, notes: list[str]) -> Batches:
    """The column groups (each with ``id`` first) side by side, row for row.

    Every group asked for the same rows in the same order, so rows pair up by position;
    the ids prove it. When they disagree (a record was created, changed or deleted between
    the groups' calls), the rest of the rows are joined by id instead: a record is kept
    when every group has it, in the first group's order, and ``notes`` says so.
    """
    producers = _Producers(sources)
    buffers: list[Any] = [None] * len(sources)  # per group: the rows not yet paired (a Table)
    done = [False] * len(sources)
    names = schema.names
    try:
        while True:
            for index in range(len(sources)):  # every group: rows in hand, or finished
                while not done[index] and (buffers[index] is None or buffers[index].num_rows == 0):
                    batch = await producers.get(index)
                    if batch is None:
                        done[index] = True
                    else:
                        buffers[index] = _append(buffers[index], batch)
            sizes = [0 if b is None else b.num_rows for b in buffers]
            ready = min(sizes)
            if ready == 0:  # a group has finished: so must the others
                left = sum(sizes)
                for index in range(len(sources)):
                    while not done[index]:
                        batch = await producers.get(index)
                        if batch is None:
                            done[index] = True
                        else:
                            left += batch.num_rows
                if left:
                    notes.append(
                        f"records changed during the read: {left:,} row(s) of some column groups "
                        "had no partner in the others and were left out; run the query again "
                        "for a consistent result"
                    )
                return
            heads = [b.slice(0, ready) for b in buffers]
            if not all(heads[0].column("id").equals(h.column("id")) for h in heads[1:]):
                rest = await _drain(producers, buffers, done)
                with _doing(JOINING):
                    joined = _join_by_id(rest, names, schema, notes)
                for batch in joined:
                    yield batch
                return
            with _doing(JOINING):
                paired = _side_by_side(heads, names, schema)
            yield paired
            buffers = [b.slice(ready) for b in buffers]
    finally:
        await producers.close()


JOINING = "column split (joining the column groups on id)"


def _append(table: pa.Table | None, batch: pa.RecordBatch) -> pa.Table:
    added = pa.Table.from_batches([batch])
    return added if table is None or table.num_rows == 0 else pa.concat_tables([table, added])


async def _drain(producers: _Producers, buffers: list[Any], done: list[bool]) -> list[pa.Table]:
    out = []
    for index, table in enumerate(buffers):
        while not done[index]:
            batch = await producers.get(index)
            if batch is None:
                done[index] = True
            else:
                table = _append(table, batch)
        if table is None:
            raise CoqlError("a column group of a wide query yielded no schema")  # pragma: no cover
        out.append(table)
    return out


def _side_by_side(heads: list[pa.Table], names: list[str], schema: pa.Schema) -> pa.RecordBatch:
    found: dict[str, pa.ChunkedArray] = {}
    for head in heads:
        for name in head.column_names:
            found.setdefault(name, head.column(name))
    arrays = [found[n].combine_chunks() for n in names]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _join_by_id(
    tables: list[pa.Table], names: list[str], schema: pa.Schema, notes: list[str]
) -> list[pa.RecordBatch]:
    """The groups joined on id: the records every group has, in the first group's order."""
    ids = [_ids(t.column("id")) for t in tables]
    shared = set(ids[0]).intersection(*ids[1:])
    common = [i for i in ids[0] if i in shared]
    dropped = max(len(i) for i in ids) - len(common)
    if dropped or any(len(i) != len(common) for i in ids):
        notes.append(
            f"records changed during the read: the column groups disagreed, so {dropped:,} "
            "record(s) not seen by every group were left out; run the query again for a "
            "consistent result"
        )
    taken = []
    for table, table_ids in zip(tables, ids, strict=True):
        position = {v: i for i, v in enumerate(table_ids)}
        taken.append(table.take(pa.array([position[v] for v in common], pa.int64())))
    if not common:
        return []
    return [
        _side_by_side([t.slice(s, OUT_ROWS) for t in taken], names, schema)
        for s in range(0, len(common), OUT_ROWS)
    ]


# ---- aggregation --------------------------------------------------------------------------------

_ARROW_FUNCTION = {"COUNT": "count", "SUM": "sum", "AVG": "mean", "MIN": "min", "MAX": "max"}


async def aggregate(
    batches: Batches,
    in_schema: pa.Schema,
    schema: pa.Schema,
    group: Sequence[str],
    aggregates: Sequence[tuple[str, str, str]],
    sources: Mapping[str, str] | None = None,
) -> Batches:
    """GROUP BY ``group`` with ``aggregates`` (output key, function, input column), as Zoho
    would: COUNT counts values that are not null, SUM and AVG of no values are null.
    ``sources``: a grouped field selected under an alias, its output key → its column."""
    table = await _table(batches, in_schema)
    with _doing("local aggregate"):
        out = _rebatch(aggregate_table(table, schema, group, aggregates, sources))
    for batch in out:
        yield batch


def aggregate_table(
    table: pa.Table,
    schema: pa.Schema,
    group: Sequence[str],
    aggregates: Sequence[tuple[str, str, str]],
    sources: Mapping[str, str] | None = None,
) -> pa.Table:
    """:func:`aggregate` of the rows of ``table``, in the order of the group keys.

    ``group`` names ``table``'s columns; a grouped field that ``schema`` leaves out (the
    query groups by it without selecting it) is grouped on and sorted by all the same, and
    not returned: ``select COUNT(id) ... group by Email`` has a row per Email, in its order.
    ``sources`` maps an output key to the grouped column it shows when they differ (``select
    Email as E``: ``{"E": "Email"}``).

    Each aggregate comes out as ``schema`` types it, the type a server-side GROUP BY gives
    (``coqlkit.execute.arrow``): a SUM of whole numbers is added up exactly, as a 128-bit
    decimal (Arrow's int64 sum wraps around silently), and one past int64 is an error
    naming its column; a SUM of amounts is exact at their scale; AVG is a double.

    Arrow groups neither by a struct nor by a list: a lookup is grouped by its id (its
    other parts taken along), a multi-select by its values joined with ``;``, its whole
    value as Zoho stores it and groups by (``a;b`` and ``b;a`` are two groups), each group
    given back its list.

    >>> rows = pa.table({"Languages": pa.array([["en", "fr"], None, ["en", "fr"], ["fr"]])})
    >>> out = aggregate_table(rows, pa.schema([("Languages", rows.schema.field(0).type),
    ...     ("COUNT(id)", pa.int64())]), ["Languages"], [("COUNT(id)", "COUNT", "Languages")])
    >>> out.to_pylist()  # doctest: +NORMALIZE_WHITESPACE
    [{'Languages': None, 'COUNT(id)': 0}, {'Languages': ['en', 'fr'], 'COUNT(id)': 2},
     {'Languages': ['fr'], 'COUNT(id)': 1}]
    """
    plain: dict[str, pa.ChunkedArray] = {}
    specs: list[tuple[str, str]] = []
    lookups: dict[str, pa.DataType] = {}  # group keys that are lookups: grouped by their id
    lists: list[str] = []  # group keys that are multi-selects: grouped by their joined text
    for name in group:
        column = table.column(name)
        if pa.types.is_struct(column.type):  # Arrow cannot group by a struct: by its id, the rest taken along
            lookups[name] = column.type
            plain[name] = pc.struct_field(column, "id")
            for sub in column.type:
                if sub.name != "id":
                    plain[f"__{name}.{sub.name}"] = pc.struct_field(column, sub.name)
                    specs.append((f"__{name}.{sub.name}", "first"))
        elif pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
            lists.append(name)
            plain[name] = pc.binary_join(column, ";")
        else:
            plain[name] = _group_key(column)
    if lists:  # each group's first row, to give back its lists
        plain["__row"] = pa.chunked_array([pa.array(range(table.num_rows), pa.int64())])
        specs.append(("__row", "min"))
    keys = [k for k, _, _ in aggregates]
    for index, (key, func, source) in enumerate(aggregates):
        column = table.column(source)
        if pa.types.is_struct(column.type):
            column = pc.struct_field(column, "id")
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if func == "SUM":
            column = column.cast(_adding(schema.field(key).type))
        elif func == "AVG" and not pa.types.is_floating(column.type):
            column = column.cast(pa.float64(), safe=False)  # a Long Integer past 2**53: its nearest double
        plain[f"__agg{index}"] = column
        specs.append((f"__agg{index}", _ARROW_FUNCTION[func]))
    keyed = pa.table(plain) if plain else pa.table({"__n": pa.nulls(table.num_rows, pa.int8())})
    if group:
        result = keyed.group_by(list(group), use_threads=False).aggregate(specs)
    else:
        result = pa.table({f"{name}_{fn}": _whole(keyed.column(name), fn) for name, fn in specs})
    arrays = []
    for field in schema:
        if field.name in keys:
            position = keys.index(field.name)
            values = result.column(f"__agg{position}_{_ARROW_FUNCTION[aggregates[position][1]]}")
        else:
            name = (sources or {}).get(field.name, field.name)
            values = _group_values(result, table, name, lookups, lists)
        arrays.append(_typed(values, field) if not values.type.equals(field.type) else values)
    out = pa.Table.from_arrays(arrays, schema=schema) if arrays else schema.empty_table()
    if group and out.num_rows > 1:  # Zoho returns groups in the order of their keys
        by = {f"__key{i}": _group_values(result, table, name, lookups, lists) for i, name in enumerate(group)}
        by["__row"] = pa.chunked_array([pa.array(range(out.num_rows), pa.int64())])
        order = sort_table(pa.table(by), [(f"__key{i}", False) for i in range(len(group))])
        out = out.take(order.column("__row"))
    return out


def _group_values(
    result: pa.Table, table: pa.Table, name: str, lookups: dict[str, pa.DataType], lists: list[str]
) -> pa.Array | pa.ChunkedArray:
    """Each group's value of the grouped field ``name``, as the rows hold it: what the
    groups are sorted by, whether or not the output has it (under its name or an alias)."""
    if name in lookups:
        return _lookup(result, name, lookups[name])
    if name in lists:
        return table.column(name).take(result.column("__row_min"))
    return result.column(name)


def _adding(result: pa.DataType) -> pa.DataType:
    """The type a SUM adds its values in, to give ``result`` exactly.

    >>> _adding(pa.int64()), _adding(pa.decimal128(38, 2)), _adding(pa.float64())
    (Decimal128Type(decimal128(38, 0)), Decimal128Type(decimal128(38, 2)), DataType(double))
    """
    if pa.types.is_integer(result):
        return pa.decimal128(38, 0)
    if pa.types.is_decimal(result):
        return pa.decimal128(38, result.scale)
    return pa.float64()


def _typed(values: pa.ChunkedArray, field: pa.Field) -> pa.ChunkedArray:
    """An aggregate's values as ``field``'s type; a total that type cannot hold names the column."""
    try:
        return values.cast(field.type)
    except pa.ArrowInvalid as exc:
        if not (pa.types.is_integer(field.type) or pa.types.is_decimal(field.type)):
            raise
        raise CoqlError(
            f"column {field.name!r}: the total does not fit {field.type} "
            f"({'-2**63 to 2**63-1' if pa.types.is_integer(field.type) else 'too many digits'}): {exc}",
            code=UNEXPECTED_VALUE,
        ) from None


def _group_key(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(column.type):
        return column.cast(column.type.value_type)
    return column


def _lookup(result: pa.Table, name: str, kind: pa.DataType) -> pa.Array:
    """A lookup group key again, from its id and the parts taken along (null: no id)."""
    ids = result.column(name).combine_chunks()
    parts = [
        ids if sub.name == "id" else result.column(f"__{name}.{sub.name}_first").combine_chunks()
        for sub in kind
    ]
    return pa.StructArray.from_arrays(parts, fields=list(kind), mask=pc.is_null(ids))


def _whole(column: pa.ChunkedArray, function: str) -> pa.Array:
    """``function`` over the whole column, as a one-value array of its own type."""
    scalar = pc.count(column) if function == "count" else getattr(pc, function)(column)
    return pa.array([scalar.as_py()], scalar.type)


# ---- pages of groups that may reach the offset ceiling ------------------------------------------


async def groups_or_records(
    groups: Batches, records: Callable[[], Batches], ceiling: int, notes: list[str], *, note: bool = True
) -> Batches:
    """The pages of groups, held until they end, then handed on; when they reach Zoho's
    offset ceiling instead (it pages groups no further), the rows of ``records`` (the
    records, grouped here), and ``notes`` says so (``note=False``: ``records`` does, once
    it knows what it reads).

    The groups are held, not streamed: rows handed on before the ceiling could not be taken
    back. A failure of the groups' pages short of the ceiling (a budget that stops them, an
    error) hands on the groups read before it, then is raised, as a read that streams them
    would: the error says the result is incomplete. The groups held are let go before
    ``records`` runs: at most ``ceiling`` rows are held."""
    held: list[pa.RecordBatch] = []
    rows = 0
    failure: Exception | None = None
    try:
        async with contextlib.aclosing(groups):
            async for batch in groups:
                held.append(batch)
                rows += batch.num_rows
    except PlanError as exc:
        if rows < ceiling:
            failure = exc
    except Exception as exc:
        failure = exc
    else:
        for batch in held:
            yield batch
        return
    if failure is not None:
        for batch in held:
            yield batch
        raise failure
    held.clear()
    if note:
        notes.append(
            f"the groups reached Zoho's {ceiling:,}-group ceiling (it pages them no further): "
            "the records were read and grouped here instead"
        )
    async with contextlib.aclosing(records()) as grouped:
        async for batch in grouped:
            yield batch
