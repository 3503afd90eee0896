"""COQL through Python's database API (PEP 249), for tools that speak it: pandas.read_sql,
JupySQL, SQL clients.

>>> from coqlkit import dbapi
>>> (dbapi.apilevel, dbapi.paramstyle, dbapi.threadsafety)
('2.0', 'named', 2)

::

    conn = dbapi.connect(sandbox=True)          # or dbapi.connect("prod"), as coqlkit.connect
    cur = conn.cursor()
    cur.execute("select Last_Name, Annual_Revenue from Leads where Lead_Status = :status",
                {"status": "Contacted"})
    cur.description[1][:2]                       # ('Annual_Revenue', 'currency'), == dbapi.NUMBER
    cur.fetchmany(10)                            # [('Chavez', Decimal('454000.00')), ...]

The columns (``description``, the rows, ``fetch_arrow_table()``) are the SELECT list, in the
order written: a record's ``id`` is there only where the query selects it (``*`` includes
it, as its first column), unlike :meth:`coqlkit.Result.to_arrow`, which puts ``id`` first.

Rows stream: ``fetchone``/``fetchmany`` read the first page alone, and the pages after it
(concurrently) only once more rows are asked for; ``fetchall`` and ``fetch_arrow_table``
read at full speed from the start. ``rowcount`` is the count the plan knows (the COUNT
probe's), the rows read once the result has ended, or -1. A fetch that failed or was
interrupted (Ctrl-C) leaves the result unfinished: the fetches after it raise, until the
query is executed again. COQL reads only: there are no transactions, ``commit()`` does
nothing, ``rollback()``, ``executemany()`` and a statement that writes (``insert``,
``update``, ``delete``...) raise :class:`NotSupportedError`; other text that is not a COQL
SELECT is a :class:`ProgrammingError`. Every exception here is a PEP 249 class and a
:class:`coqlkit.CoqlError`, with the original error as its ``__cause__``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import inspect
import re
import threading
import time
import types
import weakref
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa

from coqlkit import errors as _errors
from coqlkit.api import Connection as _ApiConnection
from coqlkit.api import Result, _zone_option, connect_async, connect_options
from coqlkit.api import connect as _connect
from coqlkit.api import warn_about as _warn_about
from coqlkit.errors import OptionError
from coqlkit.language import parse as _parse
from coqlkit.language.ast import Column, FieldRef, Star
from coqlkit.language.split import code_only, mask_comments
from coqlkit.plan.planner import Plan

__all__ = [
    "ARRAY",
    "BINARY",
    "DATETIME",
    "NUMBER",
    "ROWID",
    "STRING",
    "STRUCT",
    "Binary",
    "Connection",
    "Cursor",
    "DataError",
    "DatabaseError",
    "Date",
    "DateFromTicks",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "Time",
    "TimeFromTicks",
    "Timestamp",
    "TimestampFromTicks",
    "Warning",
    "apilevel",
    "connect",
    "paramstyle",
    "threadsafety",
]

apilevel = "2.0"
# Threads may share the module and connections, not cursors. A connection's queries all run
# on its one event loop, whose calls stay under its concurrency limit, and each cursor reads
# its own result: one connection serves a pool of threads with a cursor each (pandas.read_sql
# in a thread pool), where level 1 would make each thread open a connection of its own.
threadsafety = 2
paramstyle = "named"


# ---- exceptions (PEP 249's tree, each also a CoqlError) -----------------------------------


class Warning(_errors.CoqlError):
    """Important warnings (PEP 249)."""


class Error(_errors.CoqlError):
    """Base of every PEP 249 error raised here."""


class InterfaceError(Error):
    """The interface was misused: a closed cursor or connection, a fetch before execute."""


class DatabaseError(Error):
    """Zoho refused or failed the query."""


class DataError(DatabaseError):
    """A value could not be processed (a parameter, a value of the wrong shape)."""


class OperationalError(DatabaseError):
    """The connection, OAuth, a rate limit or the credit budget got in the way."""


class IntegrityError(DatabaseError):
    """Never raised: COQL does not write."""


class InternalError(DatabaseError):
    """Zoho answered with an internal error."""


class ProgrammingError(DatabaseError):
    """The query is wrong: syntax, unknown fields, a missing parameter."""


class NotSupportedError(DatabaseError):
    """Writes, transactions, ``executemany``: COQL reads only."""


def _translate(exc: BaseException) -> BaseException:
    """A coqlkit error as the PEP 249 class it belongs to (the original as the cause)."""
    if isinstance(exc, Error) or not isinstance(exc, _errors.CoqlError):
        return exc
    if isinstance(exc, OptionError) or exc.code == "CONNECTION_CLOSED":
        # A usage error: an option or a value connect() cannot take, a closed connection used.
        kind: type[Error] = InterfaceError
    elif isinstance(
        exc,
        (
            _errors.CoqlSyntaxError,
            _errors.ValidationError,
            _errors.ParameterError,
            _errors.PlanError,
            _errors.RenderError,
        ),
    ):
        kind = ProgrammingError
    elif isinstance(
        exc,
        (
            _errors.TransportError,
            _errors.AuthError,
            _errors.RateLimited,
            _errors.CreditBudgetExceeded,
            _errors.ConfigError,
        ),
    ):
        kind = OperationalError
    elif isinstance(exc, _errors.ZohoApiError):
        if exc.code in ("INVALID_QUERY", "SYNTAX_ERROR", "LIMIT_EXCEEDED", "DUPLICATE_DATA"):
            kind = ProgrammingError
        elif exc.code in ("INTERNAL_ERROR",):
            kind = InternalError
        else:
            kind = DatabaseError
    elif exc.code == "UNEXPECTED_VALUE":
        kind = DataError
    else:
        kind = DatabaseError
    error = kind(str(exc), code=exc.code)
    error.__cause__ = exc
    for name in ("line", "column", "hint", "diagnostics", "status", "details"):
        if hasattr(exc, name):
            setattr(error, name, getattr(exc, name))
    return error


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except _errors.CoqlError as exc:
        translated = _translate(exc)
        if translated is exc:
            raise
        raise translated from exc


# ---- type objects and constructors ----------------------------------------------------------


class DBAPITypeObject:
    """Equal to every Zoho data type of its kind: ``cursor.description[i][1] == NUMBER``."""

    def __init__(self, name: str, *values: str) -> None:
        self.name = name
        self.values = frozenset(values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DBAPITypeObject):
            return self.values == other.values
        if isinstance(other, TypeCode):
            return other.kind == self
        return other in self.values

    def __hash__(self) -> int:
        return hash(self.values)

    def __repr__(self) -> str:
        return f"<DBAPITypeObject {self.name}>"


STRING = DBAPITypeObject(
    "STRING",
    "text", "textarea", "email", "phone", "website", "picklist", "autonumber", "profileimage",
    "territories", "fileupload", "imageupload", "subform", "multiselectlookup",
    "multiuserlookup", "layout",
)  # fmt: skip
NUMBER = DBAPITypeObject("NUMBER", "integer", "bigint", "double", "currency", "decimal", "percent", "boolean")
DATETIME = DBAPITypeObject("DATETIME", "date", "datetime")
BINARY = DBAPITypeObject("BINARY")
ROWID = DBAPITypeObject("ROWID", "id")
# Beyond PEP 249's five, for values that are not text: a consumer that writes every STRING
# column as VARCHAR (or with csv.writer) would get a dict's or a list's repr.
#: A lookup's values: dicts ``{"id": ..., "name": ...}`` (select ``Owner.name`` for text).
STRUCT = DBAPITypeObject(
    "STRUCT", "lookup", "ownerlookup", "userlookup", "multi_module_lookup", "consent_lookup"
)
#: A multi-select's values: lists of strings.
ARRAY = DBAPITypeObject("ARRAY", "multiselectpicklist")


class TypeCode(str):
    """A ``description`` type code: the Zoho data type (``'formula'``), equal to the type
    object of its values' kind as well (a formula returning a number ``== NUMBER``)."""

    kind: DBAPITypeObject

    def __new__(cls, code: str, kind: DBAPITypeObject) -> TypeCode:
        made = super().__new__(cls, code)
        made.kind = kind
        return made

    def __getnewargs__(self) -> tuple[str, DBAPITypeObject]:  # type: ignore[override]
        return (str(self), self.kind)  # copies and pickles keep the kind


def _kind(field: pa.Field, code: str) -> DBAPITypeObject:
    """The type object of a column's values, from their Arrow type (booleans are numbers,
    as in most databases; picklists are text; lookups, whose values are dicts, are
    ``STRUCT``, and multi-selects, whose values are lists, ``ARRAY``)."""
    if code == "id":
        return ROWID
    kind = field.type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if any(is_(kind) for is_ in (pa.types.is_integer, pa.types.is_floating, pa.types.is_decimal)):
        return NUMBER
    if pa.types.is_boolean(kind):
        return NUMBER
    if pa.types.is_date(kind) or pa.types.is_timestamp(kind) or pa.types.is_time(kind):
        return DATETIME
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        return BINARY
    if pa.types.is_struct(kind):
        return STRUCT
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return ARRAY
    return STRING


Date = dt.date
Time = dt.time


def Timestamp(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    """A datetime in the local time zone (Zoho needs the offset: a naive one is refused)."""
    return dt.datetime(year, month, day, hour, minute, second).astimezone()


def DateFromTicks(ticks: float) -> dt.date:
    return dt.date(*time.localtime(ticks)[:3])


def TimeFromTicks(ticks: float) -> dt.time:
    """PEP 249's; COQL has no time-of-day literal, so ``execute`` refuses it as a parameter."""
    return dt.time(*time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks: float) -> dt.datetime:
    """The instant ``ticks`` in the local time zone (aware)."""
    return dt.datetime.fromtimestamp(ticks).astimezone()


def Binary(value: bytes) -> bytes:
    """PEP 249's; COQL has no binary literal, so ``execute`` refuses it as a parameter."""
    return bytes(value)


# ---- connection and cursor ------------------------------------------------------------------


class Connection:
    """A PEP 249 connection over a :class:`coqlkit.Connection`."""

    def __init__(self, api: _ApiConnection) -> None:
        self.api = api
        # Weakly: a cursor dropped by its user (pandas.read_sql makes one per call) must not
        # keep its rows alive for as long as the connection lives. Locked: threads share a
        # connection, and a cursor made while another thread closes it must be seen.
        self._cursors: weakref.WeakSet[Cursor] = weakref.WeakSet()
        self._cursors_lock = threading.Lock()
        self._closing = False  # close() has begun (its cursors close first, then the API's)

    def __repr__(self) -> str:
        return repr(self.api).replace("coqlkit.Connection", "coqlkit.dbapi.Connection")

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self.api.closed

    def close(self) -> None:
        self._closing = True
        with self._cursors_lock:
            cursors = list(self._cursors)
        for cursor in cursors:
            cursor.close()
        self.api.close()

    def commit(self) -> None:
        """Nothing to commit: COQL reads only."""
        self._open()

    def rollback(self) -> None:
        raise NotSupportedError("COQL reads only: there is no transaction to roll back")

    def cursor(self) -> Cursor:
        self._open()
        cursor = Cursor(self)
        with self._cursors_lock:
            self._cursors.add(cursor)
        return cursor

    def _open(self) -> None:
        """Refuse a closed connection as the API does: ``.code == "CONNECTION_CLOSED"``, and
        the API's reason (in a forked child: opened before the fork, open one here)."""
        if self.api.closed:
            with _translated():
                self.api._refuse_if_closed()
            raise InterfaceError(  # pragma: no cover - the API refused it above
                "this connection is closed", code="CONNECTION_CLOSED"
            )


_WRITE = re.compile(r"^\s*(insert|update|delete|upsert|merge|create|drop|alter|truncate|replace)\b", re.I)

# A tool asking for a module's columns and no rows (JupySQL, BI tools, ORMs): ``select ...
# from M where 1=0`` (COQL has no such condition) or ``limit 0`` (which COQL refuses).
_NO_ROWS = re.compile(
    r"""^\s*(?P<head>select\s.+?\sfrom\s+)(?P<q>"?)(?P<module>[A-Za-z_]\w*)(?P=q)
    (?:\s+where\s+(?:1\s*=\s*0|0\s*=\s*1|false))?(?:\s+limit\s+0)?\s*;?\s*$""",
    re.IGNORECASE | re.DOTALL | re.VERBOSE,
)

_Row = tuple[Any, ...]


def _columns_only(operation: str) -> str | None:
    """The query whose columns a "no rows" probe asks for (``select * from "Leads" where 1=0``
    → ``select * from Leads limit 1``, planned, never sent), or None: not such a probe.

    >>> _columns_only('SELECT * FROM "Leads" WHERE 1=0'), _columns_only("select Last_Name from Leads limit 0")
    ('SELECT * FROM Leads limit 1', 'select Last_Name from Leads limit 1')
    >>> _columns_only("select Last_Name from Leads") is None
    True
    >>> _columns_only("select Last_Name from Leads -- was: from Contacts limit 0") is None
    True
    """
    code = mask_comments(operation)  # a comment's "from X limit 0" is no probe
    found = _NO_ROWS.match(code)
    if found is None or len(re.findall(r"\bfrom\b", code_only(operation), re.I)) != 1:
        return None
    if not re.search(r"\b(where|limit)\b", code[found.end("module") :], re.I):
        return None
    return f"{found['head']}{found['module']} limit 1"


def _closed_midway(connection: Connection) -> InterfaceError:
    """The cursor, or its connection (``CONNECTION_CLOSED``: a pool replaces it), was closed
    by another thread while this one read its rows."""
    if connection.closed or connection._closing:
        return InterfaceError(
            "the connection was closed while its rows were being read", code="CONNECTION_CLOSED"
        )
    return InterfaceError("the cursor was closed while its rows were being read")


class Cursor:
    """A PEP 249 cursor: ``execute`` plans a query; the fetches stream its rows, which hold
    the SELECT list's columns in the order written."""

    arraysize = 1

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.description: tuple[tuple[Any, ...], ...] | None = None
        self.rowcount = -1
        self.result: Result | None = None
        self._picked: tuple[int, ...] | None = None  # the SELECT list, as columns of the result
        self._source: Iterator[pa.RecordBatch] | None = None  # the batches not yet read (a generator)
        self._started = self._ended = False
        self._batch: pa.RecordBatch | None = None  # the batch being fetched, and its rows
        self._rows: list[_Row] = []
        self._offset = 0  # the rows of the batch already fetched
        self._rows_read = 0  # rows read from the result so far
        self._broken: BaseException | None = None  # what interrupted the read
        self._closed = False
        self._fetcher = threading.Lock()  # held by the thread fetching

    def __iter__(self) -> Cursor:
        return self

    def __next__(self) -> _Row:
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._reset()
        self._closed = True

    def _reset(self) -> None:
        self._stop()
        self.result, self._picked, self._broken = None, None, None
        self._started = self._ended = False
        self._batch, self._rows, self._offset, self._rows_read = None, [], 0, 0
        self.description, self.rowcount = None, -1

    def _stop(self) -> None:
        """Stop reading (the calls in flight are cancelled)."""
        source, self._source = self._source, None
        _close(source)

    def _open(self) -> None:
        self.connection._open()  # first: a cursor closed with its connection says CONNECTION_CLOSED
        if self._closed:
            raise InterfaceError("the cursor is closed")

    def execute(self, operation: str, parameters: Mapping[str, Any] | Sequence[Any] | None = None) -> Cursor:
        """Plan ``operation`` with ``:name`` parameters from ``parameters`` (typed; an empty
        sequence stands for none). What the metadata check finds that runs but is probably
        not meant (a value that is not in its picklist) is issued as a
        :class:`coqlkit.QueryWarning`."""
        self._open()
        self._reset()
        if not isinstance(operation, str):
            raise ProgrammingError(f"the operation is COQL text, a str, not {type(operation).__name__}")
        if _WRITE.match(operation):
            raise NotSupportedError("COQL reads only: coqlkit runs SELECT queries, nothing that writes")
        if isinstance(parameters, (list, tuple)) and not parameters:
            parameters = None
        if parameters is not None and not isinstance(parameters, Mapping):
            raise ProgrammingError("parameters are named (paramstyle 'named'): pass a dict for :name")
        probe = _columns_only(operation)
        with _translated():
            self.result = self.connection.api._query(probe or operation, dict(parameters or {}))
        if probe is not None:  # the columns, and no row: nothing to ask Zoho
            self.result.aio._table = self.result.schema.empty_table()
        _warn_about(self.result.aio, stacklevel=2)  # at the caller of execute()
        self._picked = _select_list(self.result.plan, probe or operation)
        self.description = _description(self.result.schema, self._picked)
        # The COUNT probe's figure when the plan knows it exactly; a LIMIT is only a bound.
        estimate = self.result.plan.estimate
        rows = estimate.rows if estimate.rows_bound == "exact" else None
        self.rowcount = rows if rows is not None else -1
        if probe is not None:
            self.rowcount = 0
        return self

    def executemany(self, operation: str, seq_of_parameters: Sequence[Mapping[str, Any]]) -> None:
        raise NotSupportedError("COQL reads only: executemany has nothing to do")

    # ---- fetching ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _fetching(self, *, lazy: bool) -> Iterator[tuple[int, ...]]:
        """Around a fetch: the result's stream started (``lazy``: its first page alone until
        more is asked for), and anything that breaks the fetch off remembered, so that the
        fetches after it raise instead of passing an unfinished result for a finished one.
        Gives the columns to fetch.

        One thread fetches at a time: a second one is refused at once, without touching the
        first one's read (its stream, a generator, would fail in both with a ValueError, and
        the result would be lost for both)."""
        if not self._fetcher.acquire(blocking=False):
            raise ProgrammingError(
                "this cursor is being fetched from by another thread: a cursor is used by one "
                "thread at a time (threads share a connection, each with its own cursor)"
            )
        try:
            self._open()
            if self.result is None:
                raise InterfaceError("no query: call execute() first")
            if self._broken is not None:
                raise self._interrupted() from self._broken
            if self._picked is None:  # a result set by hand
                self._picked = _select_list(self.result.plan, self.result.text)
            if not self._started:
                self._started = True
                api = self.connection.api
                self._source = api._loop.iterate(self.result.aio.batches(lazy=lazy))
            try:
                yield self._picked
            except BaseException as exc:  # an error, Ctrl-C: rows may have been taken, not returned
                self._broken, self.rowcount = exc, -1
                self._batch, self._rows, self._offset = None, [], 0
                self._stop()
                raise
        finally:
            self._fetcher.release()

    def _interrupted(self) -> Error:
        cause = self._broken
        if isinstance(cause, KeyboardInterrupt):
            what = "Ctrl-C"
        else:
            what = ": ".join([type(cause).__name__, *str(cause).splitlines()[:1]])
        kind = type(cause) if isinstance(cause, DatabaseError) else InterfaceError
        return kind(
            f"the result was interrupted ({what}); execute the query again to read its rows",
            code="RESULT_INTERRUPTED",
        )

    def _next_batch(self) -> pa.RecordBatch | None:
        """The next batch read (None: the result has ended, and ``rowcount`` is its rows)."""
        source = self._source
        if source is None and self._ended:
            return None
        try:
            with _translated():
                batch: pa.RecordBatch | None = None if source is None else next(source, None)
        except Exception as exc:
            if self._source is source and not self.connection.closed:
                raise
            # The calls were cancelled, the stream closed there.
            raise _closed_midway(self.connection) from exc
        if source is None or self._source is not source:
            # Closed (or executed again) by another thread while this one was reading: an
            # interruption, not the end of the rows.
            _close(source)  # here: the other thread left it to the one reading it
            raise _closed_midway(self.connection)
        if batch is None:
            self._source, self._ended = None, True
            self.rowcount = self._rows_read
            return None
        self._rows_read += batch.num_rows
        return batch

    def _at_hand(self, picked: tuple[int, ...]) -> bool:
        """Rows to fetch at hand, reading a batch if need be (False: the result has ended)."""
        while self._offset >= len(self._rows):
            batch = self._next_batch()
            if batch is None:
                return False
            self._batch, self._rows, self._offset = batch, _tuples(batch, picked), 0
        return True

    def fetchone(self) -> _Row | None:
        with self._fetching(lazy=True) as picked:
            if not self._at_hand(picked):
                return None
            self._offset += 1
            return self._rows[self._offset - 1]

    def fetchmany(self, size: int | None = None) -> list[_Row]:
        wanted = self.arraysize if size is None else size
        out: list[_Row] = []
        with self._fetching(lazy=True) as picked:
            while len(out) < wanted and self._at_hand(picked):
                taken = self._rows[self._offset : self._offset + wanted - len(out)]
                self._offset += len(taken)
                out += taken
        return out

    def fetchall(self) -> list[_Row]:
        with self._fetching(lazy=False) as picked:
            out = self._rows[self._offset :]
            self._offset = len(self._rows)
            while (batch := self._next_batch()) is not None:
                out += _tuples(batch, picked)
        return out

    def fetch_arrow_table(self) -> pa.Table:
        """The rest of the rows as a ``pyarrow.Table`` (all of them, if none was fetched),
        with the columns of ``description``; the cursor has no rows left after it."""
        with self._fetching(lazy=False) as picked:
            assert self.result is not None
            schema = pa.schema([self.result.schema.field(i) for i in picked])
            parts = []
            if self._batch is not None and self._offset < len(self._rows):
                parts.append(_columns(self._batch.slice(self._offset), picked, schema))
            self._offset = len(self._rows)
            while (batch := self._next_batch()) is not None:
                parts.append(_columns(batch, picked, schema))
            return pa.Table.from_batches(parts, schema=schema)

    def setinputsizes(self, sizes: Any) -> None:
        """Does nothing (PEP 249 allows it)."""

    def setoutputsize(self, size: Any, column: Any = None) -> None:
        """Does nothing (PEP 249 allows it)."""


def _close(source: Iterator[pa.RecordBatch] | None) -> None:
    """Stop a stream of batches (its calls in flight cancelled), unless another thread is
    reading it: that thread closes it when its read returns (see ``Cursor._next_batch``)."""
    if isinstance(source, types.GeneratorType) and not source.gi_running:
        # ValueError: the other thread started reading it meanwhile; RuntimeError: the
        # connection, closing in another thread, is closing its streams itself.
        with contextlib.suppress(ValueError, RuntimeError):
            source.close()


def _tuples(batch: pa.RecordBatch, picked: tuple[int, ...]) -> list[_Row]:
    """The rows of ``batch``, the columns ``picked`` (by position: names may repeat)."""
    return list(zip(*(batch.column(i).to_pylist() for i in picked), strict=True))


def _columns(batch: pa.RecordBatch, picked: tuple[int, ...], schema: pa.Schema) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([batch.column(i) for i in picked], schema=schema)


_ID = FieldRef(("id",))


def _select_list(plan: Plan, text: str | None) -> tuple[int, ...]:
    """The columns of the SELECT list, in the order written, as positions in the plan's
    result: a record query's result has ``id`` first, then the other columns (an ``id``
    selected by itself is that same first column). ``id`` is in the list where the query
    selects it, or where a ``*`` that does not exclude it starts."""
    select = plan.select  # its * expanded, without id
    if select.aggregates or select.group_by:
        return tuple(range(len(plan.columns)))
    picked: list[int] = []
    following = 1
    for item in select.columns:
        if isinstance(item, Column) and item.expr == _ID and item.alias is None:
            picked.append(0)
        else:
            picked.append(following)
            following += 1
    if following != len(plan.columns):  # pragma: no cover - the planner's columns are these
        return tuple(range(len(plan.columns)))
    star = _star_position(text)
    if star is not None and 0 not in picked:
        picked.insert(star, 0)
    return tuple(picked)


def _star_position(text: str | None) -> int | None:
    """Where the first ``*`` of the query's SELECT list starts among its columns once
    expanded (None: no ``*``, or one that excludes ``id``)."""
    if text is None or "*" not in text:
        return None
    seen: set[object] = set()
    for item in _parse(text).columns:
        if isinstance(item, Star):
            return None if _ID in item.exclude else len(seen)
        seen.add(item.expr)  # a column written twice is selected once
    return None


#: The Zoho data types whose values have each kind of Arrow type, the first one the type of
#: an aggregate over a field of another type (``AVG(Amount)`` is a double).
_NUMBER_CODES = (
    (pa.types.is_integer, ("integer", "bigint")),
    (pa.types.is_floating, ("double", "percent")),
    (pa.types.is_decimal, ("decimal", "currency")),
)


def _aggregate_code(kind: pa.DataType, meta: Mapping[str, str]) -> str:
    """The Zoho data type of the values of a COUNT, SUM or AVG, read from their Arrow type:
    a COUNT is an ``integer``; a SUM or AVG is of its field's type when its values have that
    type's Arrow type (a SUM of a currency is a ``currency``, of a bigint a ``bigint``), and
    else of the first type that does (an AVG is a ``double``).

    >>> _aggregate_code(pa.int64(), {"zoho.aggregate": "COUNT", "zoho.data_type": "bigint"})
    'integer'
    >>> _aggregate_code(pa.decimal128(38, 2), {"zoho.aggregate": "SUM", "zoho.data_type": "currency"})
    'currency'
    >>> _aggregate_code(pa.float64(), {"zoho.aggregate": "AVG", "zoho.data_type": "currency"})
    'double'
    """
    if meta.get("zoho.aggregate") == "COUNT":
        return "integer"
    source = meta.get("zoho.return_type") or meta.get("zoho.data_type", "")
    for is_kind, codes in _NUMBER_CODES:
        if is_kind(kind):
            return source if source in codes else codes[0]
    return source or "text"


def _description(schema: pa.Schema, picked: Sequence[int]) -> tuple[tuple[Any, ...], ...]:
    """(name, type_code, display_size, internal_size, precision, scale, null_ok) per column
    ``picked``; ``type_code`` is the Zoho data type (``id`` for ids; for a COUNT, SUM or
    AVG, that of its values: :func:`_aggregate_code`), equal to the type object of its
    values' Arrow type."""
    out = []
    for index in picked:
        field = schema.field(index)
        meta = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
        code = meta.get("zoho.data_type", "text")
        if meta.get("zoho.aggregate") in ("COUNT", "SUM", "AVG"):  # COUNT(id) is a number
            code = _aggregate_code(field.type, meta)
        elif field.name == "id" or meta.get("zoho.api_name") == "id":
            code = "id"
        precision = scale = None
        if pa.types.is_decimal(field.type):
            precision, scale = field.type.precision, field.type.scale
        out.append((field.name, TypeCode(code, _kind(field, code)), None, None, precision, scale, True))
    return tuple(out)


def connect(profile: str | None = None, **options: Any) -> Connection:
    """A PEP 249 connection; the arguments are those of :func:`coqlkit.connect`
    (``sandbox=True`` for the demo org). An unknown option or a value of the wrong kind
    raises :class:`InterfaceError`.

    Every ``execute()`` counts its records afresh (``count_ttl=0``, unless given): a
    cursor's ``rowcount`` before the read ends is the COUNT made for it, never a figure
    remembered from an earlier run, which code that reads ``range(rowcount)`` rows takes
    as exact."""
    options.setdefault("count_ttl", 0)
    _check_options(options)
    with _translated():
        try:
            return Connection(_connect(profile, **options))
        except OptionError:
            raise  # an InterfaceError already, once translated
        except (TypeError, ValueError) as exc:
            raise InterfaceError(f"connect(): {exc}") from exc
        except _errors.CatalogError as exc:  # metadata= names no snapshot: a usage error too
            raise InterfaceError(
                f"connect(): metadata={options.get('metadata')!s}: {exc}", code=exc.code
            ) from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _check_options(options: Mapping[str, Any]) -> None:
    """Refuse an option :func:`coqlkit.connect` does not take, and a value it cannot take,
    naming it (the API's own checks, as an :class:`InterfaceError`)."""
    own = {p.name for p in inspect.signature(connect_async).parameters.values() if p.kind is p.KEYWORD_ONLY}
    try:
        connect_options({k: v for k, v in options.items() if k not in own})
        if options.get("tz") is not None:
            _zone_option(options["tz"], "connect()")
    except OptionError as exc:
        raise InterfaceError(str(exc), code=exc.code) from exc
