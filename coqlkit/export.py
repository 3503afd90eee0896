"""Streaming exports that never leave half a file: Parquet, CSV and Arrow, written atomically.

The rows go into a hidden temporary file beside the target (``.name.<host>-<pid>.XXXX.partial``),
as they arrive; only when the last one is written (and flushed to disk) does the temporary
take the target's name, in one ``os.replace``. An error, a cancelled task or Ctrl-C
removes the temporary and leaves any earlier file at the target untouched; one left by an
export that was killed outright is removed by a later export into the same directory, once
it is an hour old (a live export's never is: its writer holds a lock on it).
A target that is a symbolic link is written through, as the shell's ``>`` does: the file
it names is replaced, and the link stays.

Parquet keeps every Arrow type (picklists as dictionaries, lookups as structs,
multi-selects as lists, decimals, time-zoned timestamps; a timestamp in milliseconds, as
Parquet has no seconds). Arrow IPC files (``.arrow``, ``.feather``) keep them too. CSV has
only text, so there a lookup becomes two columns (``Owner.name``, ``Owner.id``), a
multi-select its values joined with ``;``, a datetime ISO 8601 text with its offset
(``2024-05-01T09:30:00-07:00``). coqlkit writes one CSV dialect, here and in the shell's
``csv`` and ``tsv`` formats (:func:`csv_lines`): that of PostgreSQL's and DuckDB's
``COPY ... CSV``, where a null is an empty cell and an empty text ``""``, and a value is
quoted only when it holds the delimiter, a quote or a line break (numbers never are).

Where the file goes is checked before anything is spent (:func:`check_target`); problems
with it raise :class:`TargetError`, a failure while writing (a full disk) raises
:class:`ExportError`: both are ``OSError`` naming the target, never the temporary. That file
handling, which knows no rows, is :mod:`coqlkit._atomic`'s; its names are re-exported here.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import difflib
import errno
import inspect
import json
import os
import re
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from concurrent.futures import Executor
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from coqlkit._atomic import _HOST as _HOST  # (read by tests as export._HOST)
from coqlkit._atomic import (
    AtomicText,
    ExportError,
    PiecewiseText,
    TargetError,
    _export_error,
    atomic_path,
    check_target,
    sweep_stale,
    written_path,
)
from coqlkit._threads import InlineWhenRefused
from coqlkit.errors import OptionError
from coqlkit.execute.arrow import empty_batch

__all__ = [
    "FORMATS",
    "AtomicText",
    "ExportError",
    "PiecewiseText",
    "TargetError",
    "atomic_path",
    "check_target",
    "csv_header",
    "csv_lines",
    "csv_table",
    "empty_batch",
    "float_text",
    "format_of",
    "iso_text",
    "no_format",
    "one_line",
    "open_writer",
    "pandas_metadata",
    "sweep_stale",
    "value_text",
    "write_arrow",
    "write_batches",
    "write_csv",
    "write_parquet",
    "written_path",
]

T = TypeVar("T")

#: Rows buffered before a Parquet row group is written (bounds memory, keeps groups large).
ROW_GROUP_ROWS = 65_536
#: Rows buffered before a CSV or Arrow write.
TEXT_ROWS = 10_000

#: The file formats by extension.
FORMATS = {
    ".parquet": "parquet",
    ".csv": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".arrow": "arrow",
    ".feather": "arrow",
}


def format_of(path: str | os.PathLike[str]) -> str | None:
    """The format a file's extension names (``parquet``, ``csv``, ``json``, ``jsonl``,
    ``arrow``), or None."""
    return FORMATS.get(Path(path).suffix.lower())


def no_format(path: str | os.PathLike[str], example: str) -> str | None:
    """Why ``path`` names no format to write (None: it names one): a directory is said to be
    one, with ``example`` as a file in it, not a name without an extension; the example
    takes the extension of a directory named like a file (``f.csv``, a link to a directory:
    ``f.csv/rows.csv``), the format the user chose.

    >>> no_format("leads.xlsx", "rows.csv")
    'cannot tell the format of leads.xlsx: use .parquet, .csv, .json, .jsonl, .arrow or .feather'
    """
    target = Path(path)
    if target.is_dir():
        if format_of(target) is not None:
            example = Path(example).stem + target.suffix
        return f"{path}: {os.strerror(errno.EISDIR)} (give the file's name: {target / example})"
    if format_of(target) is None:
        return (
            f"cannot tell the format of {target.name}: use .parquet, .csv, .json, .jsonl, .arrow or .feather"
        )
    return None


# ---- writers: one per format, each with write_table() and close() ------------------------------


class _CsvWriter:
    """CSV in coqlkit's dialect (:func:`csv_lines`): the types it cannot hold turned into
    text (:func:`csv_table`), ``""`` for an empty text, nothing for a null, numbers bare."""

    def __init__(self, temp: Path, schema: pa.Schema, *, include_header: bool = True, delimiter: str = ","):
        self.delimiter = _delimiter(delimiter)
        self.file = open(temp, "wb")  # noqa: SIM115 - until close()
        if include_header:
            self.file.write(csv_header(csv_table(schema.empty_table()).column_names, self.delimiter))

    def write_table(self, table: pa.Table) -> None:
        self.file.write(csv_lines(table, delimiter=self.delimiter))

    def close(self) -> None:
        self.file.close()


class _ArrowWriter:
    """An Arrow IPC file. The file format allows one dictionary per column (each page
    brings its own): every picklist column's dictionary grows as new values come, and is
    written as deltas of itself, so any reader sees one dictionary."""

    def __init__(self, temp: Path, schema: pa.Schema) -> None:
        self.schema = schema
        self.sink = pa.OSFile(str(temp), "wb")
        options = pa.ipc.IpcWriteOptions(emit_dictionary_deltas=True)
        self.writer = pa.ipc.new_file(self.sink, schema, options=options)
        self.values: dict[int, list[Any]] = {}  # column -> its dictionary so far
        self.index: dict[int, dict[Any, int]] = {}

    def write_table(self, table: pa.Table) -> None:
        for batch in table.to_batches():
            self.writer.write_batch(self._unified(batch))

    def _unified(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        columns = list(batch.columns)
        for i, field in enumerate(self.schema):
            if not pa.types.is_dictionary(field.type):
                continue
            column = columns[i]
            values = self.values.setdefault(i, [])
            index = self.index.setdefault(i, {})
            mapping = []
            for value in column.dictionary.to_pylist():
                if value not in index:
                    index[value] = len(values)
                    values.append(value)
                mapping.append(index[value])
            indices = column.indices
            if mapping:
                indices = pc.take(pa.array(mapping, type=field.type.index_type), indices)
            dictionary = pa.array(values, type=field.type.value_type)
            columns[i] = pa.DictionaryArray.from_arrays(indices, dictionary)
        return pa.RecordBatch.from_arrays(columns, schema=self.schema)

    def close(self) -> None:
        try:
            self.writer.close()
        finally:
            self.sink.close()


def check_writer_options(kind: str, options: Mapping[str, Any], where: str) -> None:
    """Refuse, before anything is read, an option the format's writer does not take (a
    Parquet ``compresion``; a CSV's are ``include_header`` and ``delimiter``): an
    :class:`~coqlkit.OptionError` naming ``where`` (``to_parquet()``) and the one probably
    meant, not pyarrow's ``TypeError: __cinit__() got an unexpected keyword argument``.

    >>> check_writer_options("parquet", {"compresion": "snappy"}, "to_parquet()")
    Traceback (most recent call last):
    ...
    coqlkit.errors.OptionError: to_parquet() takes no option 'compresion' (did you mean compression?)
    """
    taken = _writer_options(kind)
    for name in options:
        if name not in taken:
            close = difflib.get_close_matches(name, sorted(taken), n=1)
            meant = f" (did you mean {close[0]}?)" if close else f" (it takes {', '.join(sorted(taken))})"
            raise OptionError(f"{where} takes no option {name!r}{meant}")


def _writer_options(kind: str) -> set[str]:
    if kind == "parquet":
        import pyarrow.parquet as pq

        names = inspect.signature(pq.ParquetWriter.__init__).parameters
        kinds = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        taken = {n for n, p in names.items() if p.kind in kinds} - {"self", "where", "schema"}
        return taken | {"row_group_rows"}  # (coqlkit's own: rows a row group holds)
    if kind == "csv":
        return {"include_header", "delimiter"}
    return set()


def open_writer(kind: str, temp: Path, schema: pa.Schema, **options: Any) -> Any:
    """A writer of ``kind`` (``parquet``, ``csv``, ``arrow``) into ``temp``: ``write_table()``,
    then ``close()``. ``options`` go to the format's writer (Parquet: ``compression``...).
    A Parquet file says how pandas should read its integers and booleans back
    (:func:`pandas_metadata`)."""
    if kind == "parquet":
        import pyarrow.parquet as pq

        options.setdefault("compression", "zstd")
        try:
            return pq.ParquetWriter(temp, pandas_metadata(schema), **options)
        except OSError:
            raise
        except (TypeError, ValueError, pa.ArrowException) as exc:  # a value it does not take
            raise OptionError(f"to_parquet(): {exc}") from exc
    if kind == "csv":
        return _CsvWriter(temp, schema, **options)
    if kind == "arrow":
        return _ArrowWriter(temp, schema)
    raise ValueError(f"no writer for {kind!r}: parquet, csv or arrow")


#: pandas' nullable dtype for each Arrow integer type, by name (pandas is not imported here).
_NULLABLE = {
    **{f"int{bits}": f"Int{bits}" for bits in (8, 16, 32, 64)},
    **{f"uint{bits}": f"UInt{bits}" for bits in (8, 16, 32, 64)},
}


def pandas_metadata(schema: pa.Schema) -> pa.Schema:
    """``schema`` with the ``pandas`` entry that ``pyarrow.Table.to_pandas`` (and so
    ``pd.read_parquet``) reads: an integer column comes back as pandas' nullable ``Int64``
    (``COUNT``, never empty, ``int64``) and a boolean as the nullable ``boolean``, as
    ``Result.to_pandas()`` gives them, not as ``float64`` (13.0, and an 18-digit Long
    Integer rounded) or ``object`` when a value is empty. Only a name per column: the
    values are Arrow's, which Polars, DuckDB and pyarrow read as they are. A schema that
    has an entry already (a DataFrame's) keeps it.

    What the entry cannot say stays as Arrow gives it to pandas: dates as ``datetime.date``
    objects, currency and decimals as ``Decimal`` objects (exact: ``to_pandas()`` makes
    them floats), lookups as dicts, picklists as categoricals in the order their values
    came.

    >>> kinds = pa.schema([("n", pa.int64()), ("ok", pa.bool_()), ("name", pa.string())])
    >>> [(c["name"], c["numpy_type"]) for c in json.loads(pandas_metadata(kinds).metadata[b"pandas"])["columns"]]
    [('n', 'Int64'), ('ok', 'boolean'), ('name', 'object')]
    """
    if schema.metadata and b"pandas" in schema.metadata:
        return schema
    columns = [
        {
            "name": field.name,
            "field_name": field.name,
            "pandas_type": _logical_type(field.type),
            "numpy_type": _pandas_dtype(field),
            "metadata": None,
        }
        for field in schema
    ]
    entry = {"index_columns": [], "column_indexes": [], "columns": columns, "creator": {"library": "coqlkit"}}
    return schema.with_metadata({**(schema.metadata or {}), b"pandas": json.dumps(entry).encode()})


def _logical_type(kind: pa.DataType) -> str:
    """The ``pandas_type`` of pandas' metadata for ``kind``: its name for a boolean, an
    integer or a float, ``object`` for the rest (which pyarrow reads from the schema)."""
    if pa.types.is_boolean(kind) or pa.types.is_integer(kind):
        return str(kind)
    if pa.types.is_floating(kind):
        return f"float{kind.bit_width}"  # (Arrow's name is "double")
    return "object"


def _pandas_dtype(field: pa.Field) -> str:
    """The pandas dtype ``field`` reads back as: a nullable one for integers and booleans,
    ``object`` (Arrow's own conversion) for the rest."""
    if pa.types.is_boolean(field.type):
        return "boolean"
    nullable = _NULLABLE.get(str(field.type)) if pa.types.is_integer(field.type) else None
    if nullable is None:
        return "object"
    if field.metadata and field.metadata.get(b"zoho.aggregate") == b"COUNT":
        return str(field.type)  # never empty: numpy's, as to_pandas() gives it
    return nullable


def _rows_per_write(kind: str) -> int:
    return ROW_GROUP_ROWS if kind == "parquet" else TEXT_ROWS


def _write_table(writer: Any, table: pa.Table, kind: str) -> None:
    """``writer.write_table(table)``; after a Parquet row group, Arrow's default pool
    returns to the system what this thread freed (``release_unused()``, in this thread).

    The Parquet writer encodes and compresses from the default pool, whatever pool it is
    given: about 40 MB allocated and freed per row group of 65,536 rows. The default
    allocator (mimalloc) gives back what a thread frees only when that thread collects
    (or the main thread, which here waits). With the writes in one thread that collects
    after each row group, a 500,000-row export peaked about 10 MB lower by COQL pages and
    about 20 MB lower by bulk read, in the same time.
    """
    writer.write_table(table)
    if kind == "parquet":
        pa.default_memory_pool().release_unused()


# ---- synchronous: batches from an iterator ---------------------------------------------------------


def write_batches(
    batches: Iterable[pa.RecordBatch],
    schema: pa.Schema,
    path: str | os.PathLike[str],
    *,
    kind: str | None = None,
    opener: Callable[[Path], Any] | None = None,
    verify: Callable[[], None] | None = None,
    mkdir: bool = True,
    rows_per_write: int | None = None,
    **options: Any,
) -> int:
    """Write the batches (of ``schema``) to ``path`` atomically, in this thread; the rows
    written. ``kind`` defaults to the extension's format (``opener(temp)``, when given,
    makes the writer instead: ``write_table()``, ``close()``); ``verify()`` runs when every
    row is written, before the file takes the target's name: raising, it leaves the target
    as it was."""
    target = Path(path)
    kind = kind or format_of(target) or ""
    per_write = rows_per_write or _rows_per_write(kind)
    rows = 0
    with atomic_path(target, mkdir=mkdir) as temp:
        if opener is not None:
            writer = _io(target, opener, temp)
        else:
            writer = _io(target, open_writer, kind, temp, schema, **options)
        try:
            pending: list[pa.RecordBatch] = []
            held = 0
            for batch in batches:
                pending.append(batch)
                held += batch.num_rows
                rows += batch.num_rows
                if held >= per_write:
                    _io(target, _write_table, writer, pa.Table.from_batches(pending), kind)
                    pending, held = [], 0
            if pending:
                _io(target, _write_table, writer, pa.Table.from_batches(pending), kind)
        except BaseException:
            with contextlib.suppress(Exception):
                writer.close()
            raise
        _io(target, writer.close)
        if verify is not None:
            verify()
    return rows


def _io(target: Path, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(...)``, a failure of the file system (a full disk) an ExportError naming ``target``."""
    try:
        return fn(*args, **kwargs)
    except (TargetError, ExportError):
        raise
    except OSError as exc:
        raise _export_error(exc, target) from exc


# ---- asynchronous: batches from an async iterator ------------------------------------------------


async def _in_thread(thread: Executor, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in ``thread``. A thread cannot be stopped: when the task is cancelled
    meanwhile, this waits for ``fn`` to return before letting the cancellation through, so
    that nothing closes or removes what the thread still writes. The arguments are let go
    of in the thread, before the result comes back (a table written is not held while the
    next rows come).
    """
    context = contextvars.copy_context()

    def call() -> T:
        nonlocal args
        given, args = args, ()
        return context.run(fn, *given)

    future = asyncio.ensure_future(asyncio.get_running_loop().run_in_executor(thread, call))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        while not future.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait([future])
        if not future.cancelled():
            future.exception()  # retrieved: the cancellation is what goes on
        raise


async def _write(
    batches: AsyncIterator[pa.RecordBatch],
    schema: pa.Schema,
    path: str | os.PathLike[str],
    kind: str,
    *,
    rows_per_write: int,
    verify: Callable[[], None] | None = None,
    mkdir: bool = True,
    **options: Any,
) -> Path:
    target = Path(path)
    # One thread of its own opens, writes and closes the file: what the writer allocates
    # stays in that thread's heap, which it empties after each row group (_write_table).
    thread = InlineWhenRefused(max_workers=1, thread_name_prefix="coqlkit-writer")  # (at exit: here)
    try:
        with atomic_path(target, mkdir=mkdir) as temp:
            writer = await _in_thread(thread, lambda: _io(target, open_writer, kind, temp, schema, **options))
            failed = True
            try:
                pending: list[pa.RecordBatch] = []
                held = 0
                async for batch in batches:
                    pending.append(batch)
                    held += batch.num_rows
                    if held >= rows_per_write:
                        table = pa.Table.from_batches(pending)
                        pending, held = [], 0
                        await _in_thread(thread, _io, target, _write_table, writer, table, kind)
                        del table  # not held while the next rows come (a bulk read's next page)
                if pending:
                    table = pa.Table.from_batches(pending)
                    await _in_thread(thread, _io, target, _write_table, writer, table, kind)
                failed = False
            finally:
                # The stream first (its calls cancelled, a bulk read's downloads removed),
                # then the writer, once no thread writes with it.
                try:
                    await _aclose(batches)
                finally:
                    if failed:
                        with contextlib.suppress(Exception):
                            await _in_thread(thread, writer.close)
                    else:
                        await _in_thread(thread, _io, target, writer.close)
            if verify is not None:
                verify()
    finally:
        thread.shutdown(wait=False)  # idle: every call has returned
        await _aclose(batches)  # the target refused before the stream began: end it all the same
    return target


async def _aclose(batches: AsyncIterator[pa.RecordBatch]) -> None:
    aclose = getattr(batches, "aclose", None)
    if aclose is not None:
        with contextlib.suppress(Exception):
            await aclose()


async def write_parquet(
    batches: AsyncIterator[pa.RecordBatch],
    schema: pa.Schema,
    path: str | os.PathLike[str],
    *,
    compression: str = "zstd",
    row_group_rows: int = ROW_GROUP_ROWS,
    verify: Callable[[], None] | None = None,
    mkdir: bool = True,
    **options: Any,
) -> Path:
    """Write the batches (of ``schema``) to a Parquet file at ``path``, atomically.
    ``verify()`` runs when every row is written, before the file takes the target's name
    (raising, it leaves the target as it was); ``mkdir=False`` refuses a missing directory
    instead of creating it."""
    return await _write(
        batches,
        schema,
        path,
        "parquet",
        rows_per_write=row_group_rows,
        verify=verify,
        mkdir=mkdir,
        compression=compression,
        **options,
    )


async def write_arrow(
    batches: AsyncIterator[pa.RecordBatch],
    schema: pa.Schema,
    path: str | os.PathLike[str],
    *,
    verify: Callable[[], None] | None = None,
    mkdir: bool = True,
) -> Path:
    """Write the batches (of ``schema``) to an Arrow IPC file at ``path``, atomically (see
    :func:`write_parquet`): one dictionary per picklist column, however many pages."""
    return await _write(batches, schema, path, "arrow", rows_per_write=TEXT_ROWS, verify=verify, mkdir=mkdir)


def iso_text(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Timestamps as ISO 8601 text, with ``+hh:mm`` when they have a time zone, and
    ``+hh:mm:ss`` when the offset has seconds: a zone's local mean time before it took a
    round offset (Kolkata's +05:53:28 until 1854). ``%z`` drops those seconds, and the text
    would name another instant than the value.

    >>> import datetime as dt
    >>> utc = [dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(1850, 1, 1, tzinfo=dt.timezone.utc)]
    >>> iso_text(pa.array(utc, pa.timestamp("s", tz="Asia/Kolkata"))).to_pylist()
    ['2024-01-01T05:30:00+05:30', '1850-01-01T05:53:28+05:53:28']
    """
    if column.type.tz is None:
        return pc.strftime(column, format="%Y-%m-%dT%H:%M:%S")
    text = pc.strftime(column, format="%Y-%m-%dT%H:%M:%S%z")
    text = pc.replace_substring_regex(text, pattern=r"([+-]\d\d)(\d\d)$", replacement=r"\1:\2")
    seconds = _offset_seconds(column)
    if not pc.any(pc.not_equal(pc.remainder(seconds, 60), 0)).as_py():
        return text  # whole minutes, as every offset in use today
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    return pa.array(
        [
            t if t is None or s % 60 == 0 else t + f":{abs(s) % 60:02}"
            for t, s in zip(text.to_pylist(), seconds.to_pylist(), strict=True)
        ],
        pa.string(),
    )


def _offset_seconds(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Each timestamp's offset from UTC in its zone, in seconds (wall clock less UTC)."""
    unit = column.type.unit
    local = pc.local_timestamp(column).cast(pa.int64())
    utc = column.cast(pa.timestamp(unit)).cast(pa.int64())
    per_second = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[unit]
    seconds = pc.divide(pc.subtract(local, utc), per_second)
    return seconds.combine_chunks() if isinstance(seconds, pa.ChunkedArray) else seconds


def float_text(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Doubles (what SUM and AVG give) as plain decimal text, never in e-notation: the
    shortest text that reads back as the same double, as Arrow writes it, but written out
    (Arrow writes ``5.1225129e+10`` from 1e10 up and ``1e-07`` below 1e-6; a finance sheet
    reads that as text or loses digits).

    >>> float_text(pa.array([51225129000.0, 3135912.396694215, 1e-7, 7958539000.0, None])).to_pylist()
    ['51225129000', '3135912.396694215', '0.0000001', '7958539000', None]
    """
    text = column.cast(pa.string())
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    if not pc.any(pc.match_substring(text, "e")).as_py():
        return text
    return pa.array(
        [v if v is None or "e" not in v else format(Decimal(v), "f") for v in text.to_pylist()], pa.string()
    )


# ---- values as text, for people: the shell's tables and the notebook's ----------------------------

# C0 and C1 controls, DEL, line and paragraph separators, and the bidi overrides and isolates.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_ESCAPES = {"\n": "↵", "\r": "↵", "\u2028": "↵", "\u2029": "↵", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: str) -> str:
    r"""``text`` on one line, with no character a terminal would act on or a browser would
    reorder the line by: a line break shows as ``↵``, a tab as ``\t``, other controls and
    the bidi overrides as escapes.

    >>> one_line("line one\r\nline two\tred: \x1b[31m, evil: \u202e")
    'line one↵line two\\tred: \\x1b[31m, evil: \\u202e'
    """
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub(_escape, text.replace("\r\n", "\n"))


def _lookup_text(column: Any, *, with_id: bool) -> Any:
    names = [f.name for f in column.type]
    if "id" not in names or "name" not in names:
        return None
    name = pc.struct_field(column, "name")
    ident = pc.struct_field(column, "id")
    if not with_id:
        return pc.coalesce(name, ident)
    both = pc.binary_join_element_wise(name, " (", ident, ")", "")
    return pc.coalesce(both, name, ident)


def value_text(column: Any, *, with_id: bool = False) -> list[str | None]:
    """Each value of an Arrow column as people read it, None for a null (which each view
    shows its own way: the shell as ``∅``): a lookup its name (``with_id``: and its id), a
    multi-select its values joined with ``"; "``, a datetime ISO 8601 with its offset, a
    decimal every digit of its scale, a double never in e-notation (:func:`float_text`), a
    boolean ``true``/``false``. Types coqlkit does not produce fall back to ``str``.

    >>> value_text(pa.array([1e20, 1e-7, None])), value_text(pa.array([True, False]))
    (['100000000000000000000', '0.0000001', None], ['true', 'false'])
    """
    kind = column.type
    text: Any = None
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = column
    elif pa.types.is_dictionary(kind):
        text = column.cast(kind.value_type) if pa.types.is_string(kind.value_type) else None
    elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
        text = pc.binary_join(column, "; ") if pa.types.is_string(kind.value_type) else None
    elif pa.types.is_struct(kind):
        text = _lookup_text(column, with_id=with_id)
    elif pa.types.is_timestamp(kind):
        text = iso_text(column)
    elif pa.types.is_floating(kind):
        text = float_text(column)
    elif (
        pa.types.is_integer(kind)
        or pa.types.is_decimal(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_date(kind)
    ):
        text = column.cast(pa.string())
    if text is not None:
        return list(text.to_pylist())
    return [None if v is None else _json_default(v) for v in column.to_pylist()]


def _json_default(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def csv_table(table: pa.Table) -> pa.Table:
    """``table`` with only types CSV can hold (see the module's docstring)."""
    names: list[str] = []
    arrays: list[Any] = []
    selected = set(table.schema.names)
    for field, column in zip(table.schema, table.columns, strict=True):
        kind = field.type
        if pa.types.is_struct(kind):  # a lookup: its name first, as people read it
            subs = sorted((sub.name for sub in kind), key=lambda n: n != "name")
            for sub in subs:
                if f"{field.name}.{sub}" in selected:  # selected too (Owner, Owner.id): once
                    continue
                names.append(f"{field.name}.{sub}")
                arrays.append(pc.struct_field(column, sub))
            continue
        if pa.types.is_dictionary(kind):
            column = column.cast(kind.value_type)
        elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
            column = pc.binary_join(column, ";")
        elif pa.types.is_timestamp(kind):
            column = iso_text(column)
        elif pa.types.is_decimal(kind):
            column = column.cast(pa.string())
        elif pa.types.is_floating(kind):
            column = float_text(column)
        names.append(field.name)
        arrays.append(column)
    return pa.table(arrays, names=names)


def _delimiter(delimiter: str) -> str:
    """``delimiter`` if one character that cannot be confused with a value's own text."""
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise ValueError(f"a CSV delimiter is one character, not a quote or a line break: {delimiter!r}")
    return delimiter


def _text_cells(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The values of a :func:`csv_table` column as text (null for null)."""
    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = column
    else:
        try:
            text = column.cast(pa.string())
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid):  # a type coqlkit does not make
            text = pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.string())
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    return text


def _quoted(text: pa.Array, delimiter: str) -> pa.Array:
    """Each text as a CSV cell: quoted (its quotes doubled) when it is empty or holds the
    delimiter, a quote or a line break; as it is otherwise; an empty cell for a null."""
    special = f'[{re.escape(delimiter)}"\r\n]'
    needs = pc.or_(pc.equal(text, ""), pc.match_substring_regex(text, special))
    if pc.any(needs).as_py():
        doubled = pc.replace_substring(text, '"', '""')
        text = pc.if_else(needs, pc.binary_join_element_wise('"', doubled, '"', ""), text)
    return pc.fill_null(text, "")


def csv_header(names: list[str], delimiter: str = ",") -> bytes:
    r"""The header line of a CSV of columns ``names`` (quoted as :func:`csv_lines` quotes).

    >>> csv_header(["Owner.name", "Lead, source"])
    b'Owner.name,"Lead, source"\n'
    """
    cells = _quoted(pa.array(names, pa.string()), _delimiter(delimiter)).to_pylist()
    return (delimiter.join(cells) + "\n").encode()


def csv_lines(table: pa.Table, *, delimiter: str = ",") -> bytes:
    r"""The rows of ``table`` as CSV lines (UTF-8, each ending ``\n``), in coqlkit's dialect.

    It is PostgreSQL's and DuckDB's (``COPY ... TO ... (FORMAT csv)``), and they read it
    back as it was: a null is an empty cell, an empty text ``""`` (Python's ``csv`` module
    writes both as an empty cell). A value is quoted only when it holds the delimiter, a
    quote or a line break, so a number never is (Arrow's CSV writer quotes every text, the
    decimals and doubles made text included, which a reader that takes quoted values for
    text then reads as text). The types CSV cannot hold are text first (:func:`csv_table`).
    As in PostgreSQL, a row whose only cell is null is an empty line, which most readers
    skip (pandas unless ``skip_blank_lines=False``).

    >>> table = pa.table({"Name": ["Acme", "", None, 'say "hi", twice'], "n": [1, 2, None, 4]})
    >>> print(csv_lines(table).decode(), end="")
    Acme,1
    "",2
    ,
    "say ""hi"", twice",4
    """
    delimiter = _delimiter(delimiter)
    flat = csv_table(table)
    if not flat.num_columns:
        return b"\n" * int(flat.num_rows)
    cells = []
    for column in flat.columns:
        text = _text_cells(column)
        numeric = pa.types.is_integer(column.type) or pa.types.is_decimal(column.type)
        cells.append(pc.fill_null(text, "") if numeric else _quoted(text, delimiter))
    joined = cells[0] if len(cells) == 1 else pc.binary_join_element_wise(*cells, delimiter)
    return _string_bytes(pc.binary_join_element_wise(joined, "\n", ""))


def _string_bytes(strings: pa.Array) -> bytes:
    """The characters of a string array with no nulls, one after the other."""
    if not len(strings):
        return b""
    _, offset_buffer, data = strings.buffers()
    offsets = pa.Array.from_buffers(
        pa.int32(), len(strings) + 1, [None, offset_buffer], offset=strings.offset
    )
    start, end = offsets[0].as_py(), offsets[-1].as_py()
    return b"" if data is None else data[start:end].to_pybytes()


async def write_csv(
    batches: AsyncIterator[pa.RecordBatch],
    schema: pa.Schema,
    path: str | os.PathLike[str],
    *,
    include_header: bool = True,
    delimiter: str = ",",
    verify: Callable[[], None] | None = None,
    mkdir: bool = True,
) -> Path:
    """Write the batches (of ``schema``) to a CSV file at ``path``, atomically (see
    :func:`write_parquet`)."""
    return await _write(
        batches,
        schema,
        path,
        "csv",
        rows_per_write=TEXT_ROWS,
        verify=verify,
        mkdir=mkdir,
        include_header=include_header,
        delimiter=delimiter,
    )
