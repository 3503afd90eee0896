"""The sandbox's SQLite database: a table per module, a column per field.

How each Zoho data type is stored, and how it goes back on the wire:

=======================================  ===========================  ===============================
data type                                SQLite column                COQL response (JSON)
=======================================  ===========================  ===============================
``id``                                   INTEGER PRIMARY KEY          digit string
text, email, phone, website, picklist,   TEXT                         string
autonumber, textarea
multiselectpicklist                      TEXT, values joined by ``;`` array of strings
integer, bigint                          INTEGER                      number (bigint: string)
double, currency, percent, decimal       REAL                         number
boolean                                  INTEGER 0/1                  true / false
date                                     TEXT ``YYYY-MM-DD``          string
datetime                                 TEXT, UTC,                   ISO string with the org's
                                         ``YYYY-MM-DDTHH:MM:SS``      offset, no fraction
lookup, ownerlookup, userlookup,         INTEGER (the target's id)    ``{"name", "id"}`` (consent:
consent_lookup                                                        ``{"id"}``)
multi_module_lookup                      INTEGER id + TEXT module     ``{"id"}``
                                         column ``<field>$module``
formula, rollup_summary                  as their return type         as their return type
profileimage                             TEXT                         string
imageupload, fileupload, territories,    TEXT holding JSON            the JSON value
subform, multiselectlookup, anything
else
=======================================  ===========================  ===============================

Datetimes are kept in UTC so that comparisons in SQL are comparisons in time;
:meth:`Store.utc` turns a COQL datetime literal (any offset) into that form.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coqlkit.catalog import Catalog, Field, FieldType, Module

__all__ = ["Column", "Store", "column_type", "quote_name"]

INTEGER_TYPES = frozenset(
    {
        FieldType.INTEGER,
        FieldType.BIGINT,
        FieldType.BOOLEAN,
        FieldType.LOOKUP,
        FieldType.OWNERLOOKUP,
        FieldType.USERLOOKUP,
        FieldType.CONSENT_LOOKUP,
        FieldType.MULTI_MODULE_LOOKUP,
    }
)
REAL_TYPES = frozenset({FieldType.DOUBLE, FieldType.CURRENCY, FieldType.PERCENT, FieldType.DECIMAL})
JSON_TYPES = frozenset(
    {
        FieldType.IMAGEUPLOAD,
        FieldType.FILEUPLOAD,
        FieldType.TERRITORIES,
        FieldType.SUBFORM,
        FieldType.MULTISELECTLOOKUP,
        FieldType.MULTIUSERLOOKUP,
        FieldType.UNKNOWN,
    }
)
MODULE_SUFFIX = "$module"


def quote_name(name: str) -> str:
    """An SQLite identifier for ``name`` (API names may hold ``$`` or be keywords)."""
    return '"' + name.replace('"', '""') + '"'


def column_type(field: Field) -> str:
    """The SQLite type a field is stored as (see the module's table)."""
    kind = field.value_type
    if field.api_name == "id" or kind in INTEGER_TYPES:
        return "INTEGER"
    if kind in REAL_TYPES:
        return "REAL"
    return "TEXT"


@dataclass(frozen=True)
class Column:
    """A stored column: the field it holds, and for a multi-module lookup its module column."""

    field: Field
    name: str
    sql_type: str


class Store:
    """One org's records in SQLite. Thread-safe for reading: each thread has its own connection.

    ``path`` is a file (kept, so a sandbox can restart on the same data) or ``":memory:"``
    (shared between the threads of this process through SQLite's shared cache).
    """

    def __init__(self, path: str | Path, catalog: Catalog, *, time_zone: str = "America/Los_Angeles") -> None:
        self.catalog = catalog
        self.path = str(path)
        self._uri = (
            f"file:coqlkit-sandbox-{id(self)}?mode=memory&cache=shared" if self.path == ":memory:" else None
        )
        self._local = threading.local()
        self._keep: sqlite3.Connection | None = self.connect() if self._uri else None
        self.tz = _zone(time_zone)
        # The org's UTC offset by hour of a stored datetime (see :meth:`local`).
        self._offsets: dict[str, tuple[dt.timedelta, str, str | None] | None] = {}

    # ---- connections --------------------------------------------------------------

    def connect(self) -> sqlite3.Connection:
        if self._uri is not None:
            conn = sqlite3.connect(self._uri, uri=True, check_same_thread=False)
        else:
            conn = sqlite3.connect(self.path, check_same_thread=False)
        if self._uri is None:
            conn.execute("PRAGMA journal_mode=WAL")  # readers in threads while a writer loads
        conn.create_function("zoho_subid", 1, subid, deterministic=True)
        # For records made as JSON text by SQLite (see sql.json_select).
        conn.create_function("zoho_local", 1, self._local_or_null, deterministic=True)
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self.connect()
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        if self._keep is not None:
            self._keep.close()
            self._keep = None

    # ---- schema ---------------------------------------------------------------------

    def modules(self) -> list[Module]:
        """The modules that have fields (and so a table)."""
        return [m for m in self.catalog if m.fields is not None]

    def columns(self, module: str) -> list[Column]:
        found = self.catalog.module(module)
        if found is None or found.fields is None:
            raise KeyError(module)
        out: list[Column] = []
        for field in found.fields.values():
            out.append(Column(field, field.api_name, column_type(field)))
            if field.type is FieldType.MULTI_MODULE_LOOKUP:
                out.append(Column(field, field.api_name + MODULE_SUFFIX, "TEXT"))
        return out

    def create_schema(self) -> None:
        """Create a table for every module with fields (dropping any that exist)."""
        with self.conn as conn:
            for module in self.modules():
                table = quote_name(module.api_name)
                cols = []
                for col in self.columns(module.api_name):
                    extra = " PRIMARY KEY" if col.name == "id" else ""
                    cols.append(f"{quote_name(col.name)} {col.sql_type}{extra}")
                conn.execute(f"DROP TABLE IF EXISTS {table}")
                conn.execute(f"CREATE TABLE {table} ({', '.join(cols)})")
            conn.execute("DROP TABLE IF EXISTS _sandbox_info")
            conn.execute("CREATE TABLE _sandbox_info (key TEXT PRIMARY KEY, value TEXT)")

    def index_lookups(self) -> None:
        """Index every lookup column (the joins of dot paths and subqueries use them), and
        ``id`` alone: a narrow index that pages deep in id order step through instead of
        the wide rows."""
        with self.conn as conn:
            for module in self.modules():
                narrow = quote_name(f"ix_{module.api_name}_id".replace("$", "_"))
                conn.execute(f"CREATE INDEX IF NOT EXISTS {narrow} ON {quote_name(module.api_name)} (id)")
                for col in self.columns(module.api_name):
                    if col.field.is_lookup or col.field.type is FieldType.MULTI_MODULE_LOOKUP:
                        name = f"ix_{module.api_name}_{col.name}".replace("$", "_")
                        conn.execute(
                            f"CREATE INDEX IF NOT EXISTS {quote_name(name)} "
                            f"ON {quote_name(module.api_name)} ({quote_name(col.name)})"
                        )

    def insert(self, module: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Insert rows given in storage form (see the module's table); returns how many."""
        names = ", ".join(quote_name(c) for c in columns)
        marks = ", ".join("?" for _ in columns)
        with self.conn as conn:
            cursor = conn.executemany(f"INSERT INTO {quote_name(module)} ({names}) VALUES ({marks})", rows)
            return cursor.rowcount

    def set_info(self, key: str, value: str) -> None:
        with self.conn as conn:
            conn.execute("INSERT OR REPLACE INTO _sandbox_info (key, value) VALUES (?, ?)", (key, value))

    def info(self, key: str) -> str | None:
        try:
            row = self.conn.execute("SELECT value FROM _sandbox_info WHERE key = ?", (key,)).fetchone()
        except sqlite3.OperationalError:
            return None
        return None if row is None else str(row[0])

    def count(self, module: str) -> int:
        return int(self.conn.execute(f"SELECT COUNT(*) FROM {quote_name(module)}").fetchone()[0])

    def query(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        return iter(self.conn.execute(sql, params))

    # ---- values -----------------------------------------------------------------------

    def utc(self, text: str) -> str | None:
        """A COQL datetime literal (with its offset) as stored: UTC ``YYYY-MM-DDTHH:MM:SS``."""
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.tz)
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")

    def local(self, stored: str) -> str:
        """A stored UTC datetime as Zoho writes it: the org's offset, no fraction.

        The offset is looked up once per hour of UTC time (a page of 2,000 records would
        otherwise spend a third of its time in time-zone arithmetic); an hour in which the
        offset changes (a daylight-saving switch) is converted value by value."""
        hour = stored[:13]
        if hour in self._offsets:
            offset = self._offsets[hour]
        else:
            offset = self._offsets[hour] = self._hour_offset(hour)
        if offset is None or len(stored) != 19:
            value = dt.datetime.fromisoformat(stored).replace(tzinfo=dt.timezone.utc).astimezone(self.tz)
            return value.isoformat(timespec="seconds")
        delta, suffix, local_hour = offset
        if local_hour is not None:  # a whole-hour offset: only the hour changes
            return local_hour + stored[13:] + suffix
        return (dt.datetime.fromisoformat(stored) + delta).isoformat(timespec="seconds") + suffix

    def _local_or_null(self, stored: str | None) -> str | None:
        return None if stored is None else self.local(stored)

    def _hour_offset(self, hour: str) -> tuple[dt.timedelta, str, str | None] | None:
        """The offset through the hour ``YYYY-MM-DDTHH`` (UTC), its text, and the local hour
        (``YYYY-MM-DDTHH``) when the offset is whole hours; None if it changes within it."""
        try:
            start = dt.datetime.fromisoformat(hour + ":00:00").replace(tzinfo=dt.timezone.utc)
        except ValueError:
            return None
        first = start.astimezone(self.tz).utcoffset()
        last = (start + dt.timedelta(minutes=59, seconds=59)).astimezone(self.tz).utcoffset()
        if first is None or first != last:
            return None
        local = start.astimezone(self.tz).isoformat()
        whole = first.total_seconds() % 3600 == 0
        return first, local[19:], local[:13] if whole else None

    def converter(self, field: Field) -> Callable[[Any], Any] | None:
        """:meth:`to_json` for one field, decided once (None: the stored value as it is).

        A page of 2,000 records calls it per column, not per value: deciding the field's
        kind for every value made building a page several times slower."""
        kind = field.value_type
        if field.api_name == "id" or kind is FieldType.BIGINT:
            return _text
        if kind is FieldType.BOOLEAN:
            return _boolean
        if kind is FieldType.DATETIME:
            local = self.local
            return lambda value: None if value is None else local(value)
        if kind is FieldType.MULTISELECTPICKLIST:
            return _multi
        if kind in JSON_TYPES or field.json_type in ("jsonarray", "jsonobject"):
            return lambda value: self.to_json(field, value)
        return None

    def to_json(self, field: Field, value: Any) -> Any:
        """A stored value as Zoho puts it in a COQL response (lookups aside: see the SQL layer)."""
        if value is None:
            return None
        kind = field.value_type
        if field.api_name == "id" or kind is FieldType.BIGINT:
            return str(value)
        if kind is FieldType.BOOLEAN:
            return bool(value)
        if kind is FieldType.DATETIME:
            return self.local(value)
        if kind is FieldType.MULTISELECTPICKLIST:
            return value.split(";") if value else []
        if kind in JSON_TYPES or (field.json_type in ("jsonarray", "jsonobject") and isinstance(value, str)):
            return json.loads(value)  # e.g. Tag: a text field whose values are a JSON array
        return value


def _text(value: Any) -> Any:
    return None if value is None else str(value)


def _boolean(value: Any) -> Any:
    return None if value is None else bool(value)


def _multi(value: Any) -> Any:
    return None if value is None else (value.split(";") if value else [])


def subid(name: str | None) -> int | None:
    """A stable record-like id for a role or profile the sandbox knows only by name."""
    if name is None:
        return None
    return 4_150_868_000_000_000_000 + zlib.crc32(name.encode()) % 1_000_000_000


def _zone(name: str) -> dt.tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception:  # no time zone database on this machine: keep UTC
        return dt.timezone.utc
