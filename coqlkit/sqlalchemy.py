"""A SQLAlchemy dialect for COQL: ``create_engine("coqlkit://...")`` over :mod:`coqlkit.dbapi`,
for the tools that take a URL or an engine (``pandas.read_sql``, JupySQL's ``%sql --creator``).

It runs COQL written as text (``text()``, ``exec_driver_sql``), with ``:name`` parameters,
and reflects the org's modules as tables (there are no schemas: ``get_schema_names()`` is
empty and the default schema is None). A row holds the columns of the SELECT list, in the
order written (see :mod:`coqlkit.dbapi`): ``.scalar()`` is the first column selected. It
does not translate SQLAlchemy's ``select()`` into COQL: compiling one raises
:class:`~sqlalchemy.exc.CompileError`. COQL reads only:
there are no transactions (begin, commit and rollback do nothing; the one isolation level
is ``AUTOCOMMIT``) and a write raises :class:`~coqlkit.dbapi.NotSupportedError`.

URLs (the host is a profile name; options go in the query string)::

    coqlkit://                          COQLKIT_PROFILE, the ZOHO_* variables, or the default profile
    coqlkit://prod                      the profile "prod" of ~/.config/coqlkit/config.toml
    coqlkit://?sandbox=true             a demo sandbox, started for each connection and
                                        stopped when it closes (&records=3000&seed=7)
    coqlkit://prod?max_credits=500&prefer=credits&tz=UTC&concurrency=5
                                        options of coqlkit.connect: tz, metadata, cache_dir, how
                                        to call (concurrency, credit_budget, timeout, retries,
                                        busy_patience) and the planner's (max_credits, prefer,
                                        strategy, allow_bulk, latency_ms...)

A URL holds no secret (user, password, port and database are refused): tokens come from the
profile, the ``ZOHO_*`` variables or the keyring, as for :func:`coqlkit.connect`.
``connect_args`` gives options as Python values (``{"sandbox": running_sandbox}``) and
``creator`` replaces the URL's connection altogether.

In a service the pool needs nothing more (``pool_pre_ping`` is allowed, and checks no more):
a pooled connection found closed at checkout (copied into a forked worker: gunicorn
``--preload``, multiprocessing's fork) is replaced then, and one a query finds closed, or
whose credentials Zoho refuses, is a disconnect that SQLAlchemy replaces (the pool's other
connections with it). A query's error, a 429 or a network failure leaves the pool as it is.

::

    engine = sqlalchemy.create_engine("coqlkit://prod")
    with engine.connect() as conn:
        rows = conn.execute(text("select Last_Name from Leads where Lead_Status = :s"),
                            {"s": "Contacted"}).all()
    frame = pandas.read_sql(text("select Lead_Source, COUNT(id) from Leads group by Lead_Source"),
                            engine)

SQLAlchemy is an extra (``pip install 'coqlkit[sqlalchemy]'``), imported only here; the entry
point ``sqlalchemy.dialects: coqlkit`` makes the ``coqlkit://`` scheme known.
"""

from __future__ import annotations

import typing
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pyarrow as pa

try:
    from sqlalchemy import event, exc, types
    from sqlalchemy.engine import default
    from sqlalchemy.sql import compiler
except ImportError as _missing:  # pragma: no cover - the extra is missing
    raise ImportError(
        "coqlkit's SQLAlchemy dialect needs the extra: pip install 'coqlkit[sqlalchemy]'"
    ) from _missing

from coqlkit import dbapi
from coqlkit.api import TRANSPORT_OPTIONS, _zone_option, connect_options
from coqlkit.api import Connection as _ApiConnection
from coqlkit.catalog import Catalog, Field
from coqlkit.errors import AuthError, CatalogError, OptionError
from coqlkit.execute.arrow import arrow_type, holds_json
from coqlkit.language import literal, render_value
from coqlkit.plan import PlanOptions
from coqlkit.plan.columns import OutputColumn
from coqlkit.plan.options import PUBLIC_OPTIONS, TUNING_OPTIONS
from coqlkit.transport import Settings

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.engine import URL, Connection, Engine
    from sqlalchemy.engine.interfaces import (
        ConnectArgsType,
        DBAPIConnection,
        DBAPICursor,
        IsolationLevel,
        ReflectedColumn,
        ReflectedForeignKeyConstraint,
        ReflectedIndex,
        ReflectedPrimaryKeyConstraint,
    )
    from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
    from sqlalchemy.sql.selectable import Select

__all__ = ["CoqlkitDialect"]

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})
_SANDBOX_OPTIONS = frozenset({"records", "seed"})  # those of %coql_connect --sandbox, and the seed
_CONNECT_OPTIONS = frozenset({"tz", "metadata", "cache_dir"})
#: The planner's options a URL may give: those coqlkit.connect offers, and the tuning it
#: takes without offering it (``page_size``).
_PLANNER = frozenset({*PUBLIC_OPTIONS, *TUNING_OPTIONS})
#: The options a URL offers before the transport's and the planner's, in that order.
_KNOWN = ("sandbox", "records", "seed", "tz", "metadata", "cache_dir")


class CoqlkitCompiler(compiler.SQLCompiler):
    """Text passes through; a ``select()`` is refused rather than sent as SQL COQL cannot read
    (quoted mixed-case names, table-qualified columns)."""

    def visit_select(self, select_stmt: Select[Any], *args: Any, **kw: Any) -> str:
        raise exc.CompileError(
            "coqlkit runs COQL written as text: pass text('select ... from Leads ...'), "
            "SQLAlchemy's select() is not translated to COQL"
        )


class _Lookup(types.JSON):
    """A lookup as the cursor returns it, ``{"id": ..., "name": ...}``: a dict already, not
    the JSON text SQLAlchemy's JSON type decodes (``text(...).columns(*table.c)`` failed on
    every lookup column)."""

    def result_processor(self, dialect: Any, coltype: object) -> None:
        return None


def _coql_literal(value: Any) -> str:
    """``value`` as COQL writes it (a datetime with its offset and a ``T``, to the second)."""
    return render_value(literal(value))


class _DateTime(types.DateTime):
    """A datetime written into COQL text (``literal_binds``) as COQL takes it:
    ``'2024-01-01T09:30:00+00:00'``, not SQL's ``'2024-01-01 09:30:00+00:00'``."""

    def literal_processor(self, dialect: Any) -> Any:
        return _coql_literal


class _Date(types.Date):
    def literal_processor(self, dialect: Any) -> Any:
        return _coql_literal


class CoqlkitDialect(default.DefaultDialect):
    """``coqlkit://``: COQL through :mod:`coqlkit.dbapi` (see the module for URLs)."""

    colspecs = {types.JSON: _Lookup, types.DateTime: _DateTime, types.Date: _Date}  # noqa: RUF012 - SQLAlchemy reads it from the class

    name = "coqlkit"
    driver = "coqlkit"
    default_paramstyle = "named"
    paramstyle = "named"
    statement_compiler = CoqlkitCompiler
    supports_statement_cache = True  # a statement compiles the same each time: SQLAlchemy may cache it

    supports_alter = False
    supports_sequences = False
    supports_native_boolean = True
    supports_native_decimal = True  # currency and decimal arrive as Decimal
    supports_sane_rowcount = False
    supports_sane_multi_rowcount = False
    supports_default_values = False
    supports_empty_insert = False
    supports_multivalues_insert = False
    postfetch_lastrowid = False
    supports_schemas = False

    @classmethod
    def import_dbapi(cls) -> ModuleType:
        return dbapi

    def create_connect_args(self, url: URL) -> ConnectArgsType:
        """``dbapi.connect`` arguments from a ``coqlkit://`` URL; nothing is started here."""
        for part in ("username", "password", "port", "database"):
            if getattr(url, part):
                raise exc.ArgumentError(
                    f"a coqlkit:// URL takes no {part}: coqlkit://PROFILE?option=value "
                    "(credentials come from the profile or the ZOHO_* variables)"
                )
        options: dict[str, Any] = {}
        sandbox: dict[str, Any] = {}
        start_sandbox = False
        # How to call (the Settings fields) and the planner's options, typed as there.
        hints = {
            **{k: v for k, v in typing.get_type_hints(Settings).items() if k in TRANSPORT_OPTIONS},
            **{k: v for k, v in typing.get_type_hints(PlanOptions).items() if k in _PLANNER},
        }
        for key, value in url.query.items():
            if not isinstance(value, str):
                raise exc.ArgumentError(f"coqlkit:// option {key!r} is given more than once")
            if key == "sandbox":
                start_sandbox = _flag(key, value)
            elif key in _SANDBOX_OPTIONS:
                sandbox[key] = _number(key, value, int)
            elif key in _CONNECT_OPTIONS:
                options[key] = _connect_option(key, value)
            elif key in hints:
                options[key] = _typed(key, value, hints[key])
            else:
                known = ", ".join([*_KNOWN, *TRANSPORT_OPTIONS, *sorted(PUBLIC_OPTIONS)])
                raise exc.ArgumentError(f"unknown coqlkit:// option {key!r} (known: {known})")
        try:  # the values too, as coqlkit.connect checks them: before anything connects
            connect_options({k: v for k, v in options.items() if k in hints}, where="a coqlkit:// URL")
        except OptionError as error:
            raise exc.ArgumentError(str(error)) from None
        if sandbox and not start_sandbox:
            raise exc.ArgumentError(f"coqlkit:// options {', '.join(sorted(sandbox))} need sandbox=true")
        if start_sandbox:
            if url.host:
                raise exc.ArgumentError("coqlkit:// connects to a profile or to the sandbox, not both")
            options["sandbox"] = sandbox or True
        elif url.host:
            options["profile"] = url.host
        return [], options

    # ---- no transactions: COQL reads only ----------------------------------------------------

    def do_begin(self, dbapi_connection: Any) -> None:
        """Nothing to begin."""

    def do_commit(self, dbapi_connection: Any) -> None:
        """Nothing to commit."""

    def do_rollback(self, dbapi_connection: Any) -> None:
        """Nothing to roll back (the pool calls this whenever a connection goes back)."""

    def get_isolation_level_values(self, dbapi_conn: DBAPIConnection) -> list[IsolationLevel]:
        return ["AUTOCOMMIT"]  # every query stands alone

    def get_isolation_level(self, dbapi_connection: DBAPIConnection) -> IsolationLevel:
        return "AUTOCOMMIT"

    def set_isolation_level(self, dbapi_connection: DBAPIConnection, level: IsolationLevel) -> None:
        """Only AUTOCOMMIT is accepted (SQLAlchemy checks), and it is what COQL does anyway."""

    def do_ping(self, dbapi_connection: DBAPIConnection) -> bool:
        """Each query is its own HTTP call: an open connection is a live one (no ``select 1``)."""
        return not dbapi_connection.closed

    @classmethod
    def engine_created(cls, engine: Engine) -> None:
        """A pooled connection found closed at checkout is replaced then, as ``pool_pre_ping``
        would (with no call: :meth:`do_ping`'s test): one copied into a forked child (gunicorn
        ``--preload``, multiprocessing's fork, Airflow's task runner) is closed there, and was
        handed out again and again, failing every query of the worker."""
        event.listen(engine, "checkout", _replace_closed)

    def is_disconnect(
        self,
        e: Exception,
        connection: PoolProxiedConnection | DBAPIConnection | None,
        cursor: DBAPICursor | None,
    ) -> bool:
        """Whether ``e`` means the connection is of no more use, so that SQLAlchemy replaces it
        (and the pool's other connections, made as it was): it is closed (``CONNECTION_CLOSED``:
        closed, or copied into a forked child), or Zoho refused its credentials (an
        :class:`~coqlkit.AuthError`: a new connection reads the profile again, as ``coqlkit
        auth login`` left it). Not a query's error, a 429 or a network failure: the
        connection goes on after those, and the pool's connections with it."""
        return getattr(e, "code", None) == "CONNECTION_CLOSED" or isinstance(e.__cause__, AuthError)

    def initialize(self, connection: Connection) -> None:
        """Nothing to ask the server: Zoho reports no version, schema or isolation level."""
        self.server_version_info = None
        self.default_schema_name = None
        self.default_isolation_level = "AUTOCOMMIT"

    # ---- reflection: modules as tables, fields as columns --------------------------------------

    def get_schema_names(self, connection: Connection, **kw: Any) -> list[str]:
        """None: COQL has no schemas. The modules are the tables of the one namespace there
        is, which ``schema=None`` (the inspector's ``default_schema_name``) names."""
        return []

    def has_table(
        self, connection: Connection, table_name: str, schema: str | None = None, **kw: Any
    ) -> bool:
        return table_name in self.get_table_names(connection, schema)

    def get_table_names(self, connection: Connection, schema: str | None = None, **kw: Any) -> list[str]:
        """The modules COQL can query."""
        return [m.api_name for m in _api(connection).modules()]

    def get_view_names(self, connection: Connection, schema: str | None = None, **kw: Any) -> list[str]:
        return []

    def get_columns(
        self, connection: Connection, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[ReflectedColumn]:
        """The module's fields, typed as the rows arrive (see :mod:`coqlkit.execute.arrow`)."""
        if not self.has_table(connection, table_name, schema):
            raise exc.NoSuchTableError(table_name)
        return [
            {
                "name": f.api_name,
                "type": _sql_type(f),
                "nullable": f.api_name != "id",
                "default": None,
                "comment": f.label or None,
            }
            for f in _api(connection).fields(table_name)
        ]

    def get_pk_constraint(
        self, connection: Connection, table_name: str, schema: str | None = None, **kw: Any
    ) -> ReflectedPrimaryKeyConstraint:
        return {"constrained_columns": ["id"], "name": None}

    def get_foreign_keys(
        self, connection: Connection, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[ReflectedForeignKeyConstraint]:
        return []  # a lookup's value is {"id", "name"}, not an id column to join on

    def get_indexes(
        self, connection: Connection, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[ReflectedIndex]:
        return []


def _replace_closed(
    dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
) -> None:
    """At checkout: a closed connection is refused, and the pool opens another in its place."""
    if getattr(dbapi_connection, "closed", False):
        raise exc.DisconnectionError(
            "the pooled coqlkit connection is closed (or a copy in a forked process): replaced"
        )


def _connect_option(key: str, value: str) -> str:
    """``tz``, ``metadata`` or ``cache_dir`` from a URL, checked as the connection would check
    it, now: a bad value is an ArgumentError at ``create_engine``, not an error at every
    checkout."""
    if key == "tz":
        try:
            return _zone_option(value, "a coqlkit:// URL")
        except OptionError as error:
            raise exc.ArgumentError(str(error)) from None
    if key == "metadata":
        try:
            Catalog.from_snapshot(value)
        except CatalogError as error:
            raise exc.ArgumentError(
                f"coqlkit:// option metadata={value!r}: {error} (a snapshot directory, as "
                "`coqlkit metadata dump DIR` writes one)"
            ) from None
    elif Path(value).exists() and not Path(value).is_dir():  # cache_dir
        raise exc.ArgumentError(f"coqlkit:// option cache_dir={value!r}: not a directory")
    return value


def _api(connection: Connection) -> _ApiConnection:
    raw: object = connection.connection.dbapi_connection
    if not isinstance(raw, dbapi.Connection):  # pragma: no cover - a creator returned something else
        raise exc.ArgumentError(f"not a coqlkit.dbapi connection: {type(raw).__name__}")
    return raw.api


def _flag(key: str, value: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise exc.ArgumentError(f"coqlkit:// option {key}={value!r}: expected true or false")


def _number(key: str, value: str, kind: type[int] | type[float]) -> int | float:
    try:
        return kind(value)
    except ValueError:
        raise exc.ArgumentError(f"coqlkit:// option {key}={value!r}: expected a number") from None


def _typed(key: str, value: str, hint: Any) -> Any:
    """A planner option's value from its text, by the PlanOptions field's type."""
    if hint is bool:
        return _flag(key, value)
    kinds = typing.get_args(hint) or (hint,)
    for kind in (int, float):
        if kind in kinds:
            return _number(key, value, kind)
    return value


def _sql_type(field: Field) -> types.TypeEngine[Any]:
    """The SQLAlchemy type of the values a cursor returns for ``field``: its Arrow type's.

    A field whose values arrive as JSON text (territories, file and image uploads, subforms,
    layouts, multi-select lookups, ``Tag``) is ``Text``: its ``length`` is Zoho's for one
    item, and the JSON array of several outgrows it (a ``VARCHAR(120)`` made from it by
    ``create_all()`` refused a deal's three territories).

    >>> _sql_type(Field("Territories", "territories", length=120))
    Text()
    >>> _sql_type(Field("Tag", "text", length=2000, json_type="jsonarray"))
    Text()
    >>> _sql_type(Field("Last_Name", "text", length=80))
    String(length=80)
    """
    column = OutputColumn(field.api_name, field)
    kind = arrow_type(column)
    if holds_json(column):
        return types.Text()
    if pa.types.is_dictionary(kind) or pa.types.is_string(kind):  # picklists, text, ids
        return types.String(field.length if field.api_name != "id" else None)
    if pa.types.is_list(kind):
        return types.ARRAY(types.String())  # multi-select picklists
    if pa.types.is_struct(kind):
        return _Lookup()  # lookups: {"id": ..., "name": ...}
    if pa.types.is_integer(kind):
        return types.BigInteger()
    if pa.types.is_floating(kind):
        return types.Float()
    if pa.types.is_decimal(kind):
        return types.Numeric(kind.precision, kind.scale)
    if pa.types.is_boolean(kind):
        return types.Boolean()
    if pa.types.is_date(kind):
        return types.Date()
    if pa.types.is_timestamp(kind):
        return types.DateTime(timezone=True)
    return types.NullType()  # pragma: no cover - every Arrow type above is covered
