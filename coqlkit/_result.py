"""A planned query's rows, read once: :class:`AsyncResult` (documented, imported and
pickled as ``coqlkit.api.AsyncResult``) streams them from the executor, keeps them as an
Arrow table, makes DataFrames of them off the event loop, and exports them atomically,
refusing a short read; :class:`Result` is its synchronous twin (``coqlkit.api.Result``),
running it on the connection's loop; :func:`warn_about` issues the check's warnings about
its query. Apart from :mod:`coqlkit.api` because reading the rows is a job of its own,
where the connection checks and plans.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import warnings
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from coqlkit import export
from coqlkit._options import _lazy
from coqlkit.errors import CoqlError, QueryWarning
from coqlkit.execute import RunStats, execute, result_schema, short_read
from coqlkit.execute.scan import Lazy
from coqlkit.frames import (
    _lookup_columns,
    _need,
    ambiguous_lookups,
    pandas_frame,
    pandas_options,
    picklists_of,
    polars_frame,
    polars_options,
)
from coqlkit.plan import Plan
from coqlkit.validate import Diagnostic, Severity

if TYPE_CHECKING:  # pragma: no cover
    import pandas
    import polars

    from coqlkit._loop import _Loop
    from coqlkit.api import AsyncConnection, Connection


class AsyncResult:
    """A planned query. Its rows are read once, when first asked for: :meth:`to_arrow`
    keeps them (later calls reuse the table); :meth:`batches`, ``async for row in result``
    and the exports stream them (and cannot be repeated unless the table was kept first)."""

    __module__ = "coqlkit.api"  # where it is documented, imported and pickled from

    def __init__(self, connection: AsyncConnection, plan: Plan, *, tz: str = "UTC") -> None:
        self.connection = connection
        self.plan = plan
        self.tz = tz
        self.schema: pa.Schema = result_schema(plan, tz=tz)
        self.stats = RunStats()
        #: The query's text (None when it was given as a parsed ``Select``).
        self.text: str | None = None
        #: What the metadata check found short of an error: warnings and infos.
        self.diagnostics: tuple[Diagnostic, ...] = ()
        self._table: pa.Table | None = None
        self._reading: asyncio.Lock | None = None  # the read to_arrow() callers share
        self._read_failed: BaseException | None = None  # how that read ended, if it did not
        self._started = False

    def __repr__(self) -> str:
        est = self.plan.estimate
        rows = "?" if est.rows is None else f"{est.rows:,}"
        return f"<coqlkit.AsyncResult {self.plan.select.module}: {rows} rows, {len(self.schema)} columns>"

    def explain(self) -> str:
        return self.plan.explain()

    @property
    def estimated_rows(self) -> int | None:
        return self.plan.estimate.rows

    @property
    def warnings(self) -> list[Diagnostic]:
        """The check's warnings: what runs but is probably not meant (infos left out)."""
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]

    async def batches(self, *, lazy: Lazy = False) -> AsyncGenerator[pa.RecordBatch, None]:
        """The rows as record batches, as they arrive (at least one batch, maybe empty).
        ``lazy``: each scan asks for its first page alone until a second batch is wanted
        (a reader that wants a few rows spends one page, not a window of them); ``"ramp"``:
        then a window that widens as batches are read (see :mod:`coqlkit.execute.scan`)."""
        lazy = _lazy(lazy)
        if self._table is not None:
            for batch in _batches_of(self._table):
                yield batch
            return
        self.connection._open()
        if self._started:
            raise CoqlError(
                "this result's rows were already streamed: run the query again, or call "
                "to_arrow() first to keep them",
                code="RESULT_CONSUMED",
            )
        self._started = True
        client = self.connection.client
        lost = (client.unanswered_calls, client.unanswered_credits)
        stream = execute(
            self.plan,
            client,
            tz=self.tz,
            stats=self.stats,
            lazy=lazy,
            counts=self.connection.counts,
        )
        try:
            with self.connection._stale_metadata(self.plan.select.module):
                async with contextlib.aclosing(stream):
                    async for batch in stream:
                        yield batch
        except CoqlError as exc:  # (the stream is closed: its stats are complete)
            self._spent_on(exc, client.unanswered_calls - lost[0], client.unanswered_credits - lost[1])
            raise

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        """The rows as dicts, read as they are wanted (``async for row in result``), as the
        synchronous ``iter(result)`` reads them: the first page alone, then the whole window
        once its rows are taken (``lazy=True``), so a loop broken within the first page
        spends one page, not a window of them; leaving the loop stops the read."""
        stream = self.batches(lazy=True)
        async with contextlib.aclosing(stream):  # closed with this iterator
            async for batch in stream:
                for row in batch.to_pylist():
                    yield row

    def _spent_on(self, exc: CoqlError, lost_calls: int, lost_credits: int) -> None:
        """``exc`` (the read failed) given the read's ``stats`` and a note of what it spent and
        read: in a notebook the result is gone with the error, and its figures with it. The
        answers lost meanwhile (``lost_calls``, of ``lost_credits``) are the connection's:
        another read of the same connection at the same time may have lost some of them."""
        if getattr(exc, "stats", None) is not None:  # (said once, where it was first raised)
            return
        stats = self.stats
        exc.stats = stats  # type: ignore[attr-defined]
        maybe = (
            f" (+{lost_credits:,} maybe charged for {_counted(lost_calls, 'lost answer')})"
            if lost_credits
            else ""
        )
        of = f" of {self.estimated_rows:,}" if self.estimated_rows is not None else ""
        note = (
            f"after {_counted(stats.calls, 'call')} · {_counted(stats.credits, 'credit')}{maybe} · "
            f"{stats.rows:,}{of} rows read"
        )
        if sys.version_info >= (3, 11):  # shown under the traceback, not in str(exc)
            exc.add_note(note)
        else:  # pragma: no cover - Python 3.10 shows no notes: kept where 3.11 keeps them
            exc.__notes__ = [*getattr(exc, "__notes__", []), note]  # type: ignore[attr-defined]

    async def to_arrow(self) -> pa.Table:
        """Every row as a ``pyarrow.Table`` (kept: calling again costs nothing; callers at
        the same time share the one read)."""
        if self._table is None:
            self._reading = self._reading or asyncio.Lock()
            async with self._reading:
                if self._table is None and self._read_failed is not None:  # the read waited for
                    raise CoqlError(
                        f"the read of this result that this call waited for {_ended(self._read_failed)}: "
                        "run the query again",
                        code="RESULT_CONSUMED",
                    ) from self._read_failed
                if self._table is None:  # (read meanwhile by the caller this one waited for)
                    try:
                        collected = [b async for b in self.batches()]
                    except BaseException as exc:
                        if self._started:  # (refused before it began, it can still be read)
                            self._read_failed = exc
                        raise
                    self._table = pa.Table.from_batches(collected, schema=self.schema)
        return self._table

    async def to_pandas(
        self, *, decimals: str = "float", lookups: str = "name", **kwargs: Any
    ) -> pandas.DataFrame:
        """A pandas DataFrame (extra ``pandas``): picklists as categoricals in the
        picklist's order, lookups as their names, dates as ``datetime64``, currency and
        decimals as ``float64``, integers as ``Int64``. See :func:`pandas_frame` for
        ``decimals``, ``lookups`` and the other options.

        The conversion runs in a worker thread, not on the event loop (100,000 rows of 50
        columns take about 0.3 s); the
        :class:`~coqlkit.AmbiguousLookupWarning` warnings are issued here, in the caller's task."""
        _need("pandas", "pandas")
        pandas_options(decimals, lookups, kwargs)  # an OptionError before the rows are read
        table = await self.to_arrow()
        if lookups == "name":
            for found in ambiguous_lookups(table):
                warnings.warn(found, stacklevel=2)
        picklists = picklists_of(self.plan)

        def convert() -> pandas.DataFrame:
            # The lookups made into names (or columns) first: pandas_frame keeps them as they
            # are then ("struct"), and warns of nothing from this thread.
            shaped = _lookup_columns(table, lookups)
            return pandas_frame(shaped, decimals=decimals, lookups="struct", picklists=picklists, **kwargs)

        return await asyncio.to_thread(convert)

    async def to_polars(self, *, decimals: str = "decimal") -> polars.DataFrame:
        """A Polars DataFrame (extra ``polars``); see :func:`polars_frame` for ``decimals``."""
        polars_options(decimals)  # an OptionError before the rows are read
        return polars_frame(await self.to_arrow(), decimals=decimals)

    async def to_parquet(
        self, path: str | Path, *, allow_short: bool = False, mkdir: bool = False, **options: Any
    ) -> Path:
        """Stream the rows into a Parquet file, atomically: until the last row is written the
        file is a hidden temporary beside ``path``; an error or interruption removes it.

        ``path`` is checked first, as ``coqlkit export`` checks its TARGET, before a row is
        read: a directory, a URL, anything but a regular file to replace (``/dev/null``, a
        FIFO: the export would replace the node with a file) and a directory that does not
        exist (``mkdir=True`` creates it) raise :class:`~coqlkit.export.TargetError`.

        A read that brings fewer rows than the COUNT probe found (records deleted or changed
        during it: live records may be missing) raises a ``CoqlError`` with ``.code ==
        "SHORT_READ"`` and leaves ``path`` as it was, as ``coqlkit export`` does;
        ``allow_short=True`` writes what was read (the ``ConsistencyWarning`` says it)."""
        export.check_writer_options("parquet", options, "to_parquet()")
        verify = self._complete(_target(path, mkdir), allow_short)
        return await export.write_parquet(
            self.batches(), self.schema, path, verify=verify, mkdir=mkdir, **options
        )

    async def to_csv(
        self, path: str | Path, *, allow_short: bool = False, mkdir: bool = False, **options: Any
    ) -> Path:
        """Stream the rows into a CSV file, atomically (see :meth:`to_parquet`, for ``path``,
        ``mkdir`` and ``allow_short``); lookups as two columns (``Owner.name``,
        ``Owner.id``), multi-selects joined with ``;``."""
        export.check_writer_options("csv", options, "to_csv()")
        verify = self._complete(_target(path, mkdir), allow_short)
        return await export.write_csv(
            self.batches(), self.schema, path, verify=verify, mkdir=mkdir, **options
        )

    def _complete(self, target: Path, allow_short: bool) -> Callable[[], None]:
        """An export's check, run when every row is written and before the file takes
        ``target``'s name: a short read raises (``SHORT_READ``), so the file is not
        published; more rows than counted (records created meanwhile) is the warning alone."""
        existed = target.exists()

        def verify() -> None:
            found = self.stats.mismatch
            if found is None or found[0] >= found[1] or allow_short:
                return
            rows, counted = found
            kept = "was left as it was" if existed else "was not written"
            error = CoqlError(
                f"{short_read(rows, counted, 'the COUNT probe found')}; "
                f"{target} {kept} (run it again, or allow_short=True writes what was read)",
                code="SHORT_READ",
            )
            error.stats = self.stats  # type: ignore[attr-defined]
            raise error

        return verify


def _target(path: str | Path, mkdir: bool) -> Path:
    """``path`` as an export may write it, or the CLI's :class:`~coqlkit.export.TargetError`
    (:func:`coqlkit.export.check_target`), a missing directory's saying how to create it."""
    try:
        return export.check_target(path, mkdir=mkdir)
    except export.TargetError as exc:
        if exc.missing is None:
            raise
        error = export.TargetError(
            exc.errno, str(exc.strerror).removesuffix(")") + "; mkdir=True creates it)", exc.filename
        )
        error.missing = exc.missing
        raise error from None


def _ended(exc: BaseException) -> str:
    """How a read ended that did not: ``was cancelled (a timeout, or a task cancelled)``,
    ``was interrupted (Ctrl-C)``, or ``failed (TransportError: ...)``."""
    if isinstance(exc, asyncio.CancelledError):
        return "was cancelled (a timeout such as asyncio.wait_for's, or its task cancelled)"
    if isinstance(exc, KeyboardInterrupt):
        return "was interrupted (Ctrl-C)"
    return f"failed ({type(exc).__name__}: {exc})"


def _counted(count: int, word: str) -> str:
    """``1 call``, ``1,204 credits``."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _batches_of(table: pa.Table) -> list[pa.RecordBatch]:
    """A kept table's batches: at least one (an empty table's is empty, with the schema)."""
    return table.to_batches() or [export.empty_batch(table.schema)]


def warn_about(result: AsyncResult, *, stacklevel: int = 1) -> None:
    """Issue the check's warnings about ``result``'s query as one QueryWarning, attributed
    ``stacklevel`` frames above the caller."""
    found = result.warnings
    if found:
        warnings.warn(QueryWarning(found, result.text), stacklevel=stacklevel + 1)


class Result:
    """The synchronous twin of :class:`AsyncResult`. It keeps its connection alive (a
    connection dropped unclosed is closed when collected): ``connect().query(...)`` works."""

    __module__ = "coqlkit.api"  # where it is documented, imported and pickled from

    def __init__(self, loop: _Loop, aio: AsyncResult, connection: Connection | None = None) -> None:
        self._loop = loop
        self.aio = aio
        self.connection = connection

    def __repr__(self) -> str:
        return repr(self.aio).replace("AsyncResult", "Result")

    @property
    def plan(self) -> Plan:
        return self.aio.plan

    @property
    def schema(self) -> pa.Schema:
        return self.aio.schema

    @property
    def stats(self) -> RunStats:
        return self.aio.stats

    @property
    def estimated_rows(self) -> int | None:
        return self.aio.estimated_rows

    @property
    def text(self) -> str | None:
        return self.aio.text

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return self.aio.diagnostics

    @property
    def warnings(self) -> list[Diagnostic]:
        return self.aio.warnings

    def explain(self) -> str:
        return self.aio.explain()

    def record_batches(self, *, lazy: Lazy = False) -> pa.RecordBatchReader:
        """A streaming ``pyarrow.RecordBatchReader`` over the rows (read once). The read
        stops (its calls in flight cancelled, ``stats`` complete) when the reader is read
        to the end or dropped: pyarrow's ``close()`` keeps the iterator of a reader made
        from Python batches (a reader that let go of it on ``close()``, through Arrow's C
        stream, would turn coqlkit's errors into ``ArrowInvalid``). ``lazy``: the first
        page alone until a second batch is read (a reader that may stop after a few rows
        spends one page's credits, not a window's); ``"ramp"``: then a window that widens
        as batches are read (the next page alone, then 2, 4, 8... pages)."""
        return pa.RecordBatchReader.from_batches(self.schema, self._batches(lazy=_lazy(lazy)))

    def _batches(self, *, lazy: Lazy = False) -> Generator[pa.RecordBatch, None, None]:
        # A generator of this result's: a reader still streaming keeps the connection alive.
        kept = self.aio._table
        if kept is not None:  # local data, read without the loop (the connection may be closed)
            yield from _batches_of(kept)
            return
        yield from self._loop.iterate(self.aio.batches(lazy=lazy))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """The rows as dicts, streamed as they are wanted: the first page alone, then the
        whole window once its rows are taken (``lazy=True``), so ``next(iter(result))`` or
        a loop broken within the first page spends one page, not a window of them, and a
        loop that reads on pays one round trip for it. (A pipe's reader, which takes a page
        or two before its leaving shows, widens its window step by step instead: ``"ramp"``,
        which would cost a loop that reads everything several round trips.)"""
        with contextlib.closing(self._batches(lazy=True)) as batches:  # closed with this iterator
            for batch in batches:
                yield from batch.to_pylist()

    def to_arrow(self) -> pa.Table:
        kept = self.aio._table  # local data: still there once the connection is closed
        return kept if kept is not None else self._loop.run(self.aio.to_arrow())

    def to_pandas(self, *, decimals: str = "float", lookups: str = "name", **kwargs: Any) -> pandas.DataFrame:
        """See :meth:`AsyncResult.to_pandas`."""
        _need("pandas", "pandas")
        pandas_options(decimals, lookups, kwargs)  # an OptionError before the rows are read
        table = self.to_arrow()
        return pandas_frame(
            table,
            decimals=decimals,
            lookups=lookups,
            picklists=picklists_of(self.plan),
            stacklevel=2,
            **kwargs,
        )

    def to_polars(self, *, decimals: str = "decimal") -> polars.DataFrame:
        """See :meth:`AsyncResult.to_polars`."""
        polars_options(decimals)  # an OptionError before the rows are read
        return polars_frame(self.to_arrow(), decimals=decimals)

    def to_parquet(
        self, path: str | Path, *, allow_short: bool = False, mkdir: bool = False, **options: Any
    ) -> Path:
        """See :meth:`AsyncResult.to_parquet`."""
        return self._loop.run(self.aio.to_parquet(path, allow_short=allow_short, mkdir=mkdir, **options))

    def to_csv(
        self, path: str | Path, *, allow_short: bool = False, mkdir: bool = False, **options: Any
    ) -> Path:
        """See :meth:`AsyncResult.to_csv`."""
        return self._loop.run(self.aio.to_csv(path, allow_short=allow_short, mkdir=mkdir, **options))
