"""The Python API: ``coqlkit.connect()`` and a query's rows as Arrow, pandas or Polars.

::

    >>> import coqlkit
    >>> with coqlkit.connect(sandbox=True) as conn:                     # doctest: +SKIP
    ...     df = conn.query("select Lead_Source, COUNT(id) from Leads group by Lead_Source").to_pandas()

A query is parsed, checked against the org's field metadata (fetched once and cached on
disk) and planned before anything but metadata and the COUNT probe is spent; its rows
are read when the result is first asked for, streamed through the executor.
:class:`AsyncConnection` is the API itself; :class:`Connection` is its synchronous twin,
which runs it on a private event loop in a daemon thread, so it works from scripts and
from inside a running loop alike (Jupyter). A connection belongs to its event loop: used
from another one (``await conn.aio.query(...)`` of a synchronous connection inside
``asyncio.run``), it raises a :class:`~coqlkit.CoqlError` with ``.code ==
"WRONG_EVENT_LOOP"`` before anything is sent, and stays usable where it belongs.

:class:`AsyncResult`, the reading of a query's rows, is written in :mod:`coqlkit._result`,
and the checks of the options in :mod:`coqlkit._options`; both are imported from here.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import tempfile
import threading
import warnings
import weakref
from collections.abc import Coroutine, Generator, Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from coqlkit._loop import _Loop as _Loop
from coqlkit._options import TRANSPORT_OPTIONS as TRANSPORT_OPTIONS
from coqlkit._options import _query_options, _split_options
from coqlkit._options import _zone_option as _zone_option
from coqlkit._result import AsyncResult as AsyncResult
from coqlkit._result import Result as Result
from coqlkit._result import warn_about as warn_about
from coqlkit._scope import _has_fields, _modules_of, _targets, _unknown_zone, _zone_of
from coqlkit.catalog import Catalog, Field, Module
from coqlkit.catalog.cache import MetadataCache
from coqlkit.errors import (
    ConfigError,
    CoqlError,
    CoqlSyntaxError,
    CoqlWarning,
    OptionError,
    ValidationError,
    ZohoApiError,
)
from coqlkit.execute import CountMemory, explain_analyze, options_for, prepare
from coqlkit.frames import DECIMALS as DECIMALS
from coqlkit.frames import LOOKUPS as LOOKUPS
from coqlkit.frames import ambiguous_lookups as ambiguous_lookups
from coqlkit.frames import pandas_frame as pandas_frame
from coqlkit.frames import picklists_of as picklists_of
from coqlkit.frames import polars_frame as polars_frame
from coqlkit.language import bind, parse
from coqlkit.language.ast import Select, Star
from coqlkit.metadata import OrgMetadata, cache_root, known_org, org_key
from coqlkit.plan import PlanOptions
from coqlkit.plan.options import PUBLIC_OPTIONS
from coqlkit.transport import AsyncZohoClient, FileTokenStore, Settings, load_settings
from coqlkit.validate import Diagnostic, ErrorLevel, explain_syntax_error, label_modules, validate

if TYPE_CHECKING:  # pragma: no cover
    from coqlkit.sandbox.server import Sandbox

__all__ = ["AsyncConnection", "AsyncResult", "Connecting", "Connection", "Result", "connect", "connect_async"]

T = TypeVar("T")


def _connect_names() -> list[str]:
    """The options :func:`connect` offers, in the order its documentation gives them."""
    own = [p.name for p in inspect.signature(connect_async).parameters.values() if p.name != "options"]
    return [*own, *TRANSPORT_OPTIONS, *sorted(PUBLIC_OPTIONS)]


def connect_options(
    options: Mapping[str, Any], where: str = "connect()"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(transport, planner)``: the keyword options of :func:`connect` beyond its own
    (``sandbox``, ``settings``, ``metadata``, ``cache_dir``, ``tz``), split into the
    ``Settings`` fields to set and the planner's defaults, each checked: an
    :class:`OptionError` names what is wrong and what would be right."""
    transport, planner = _split_options(options, TRANSPORT_OPTIONS, where, _connect_names)
    return {k: v for k, v in transport.items() if v is not None}, planner


# ---- the async API ---------------------------------------------------------------------------


class AsyncConnection:
    """One org: its client, its metadata (cached on disk), the options its queries run with.

    Open it with :func:`connect_async`; close it with ``await conn.close()`` or ``async with``.
    """

    def __init__(
        self,
        client: AsyncZohoClient,
        metadata: OrgMetadata | None,
        *,
        catalog: Catalog | None = None,
        tz: str = "UTC",
        options: Mapping[str, Any] | None = None,
        sandbox: Sandbox | None = None,
        workdir: tempfile.TemporaryDirectory[str] | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.client = client
        self.metadata = metadata
        self.tz = tz
        #: The org's own time zone, when the org said it and Arrow knows it (None
        #: otherwise); ``tz`` is the connection's default, ``connect(tz=)``'s when given.
        self.org_tz: str | None = None
        self.options = dict(options or {})
        #: The COUNT probes' figures, used again for the same WHERE (the ``count_ttl`` option).
        self.counts = CountMemory()
        self._catalog = catalog
        #: When the cache had fetched the bodies ``_catalog`` holds (the module list: None):
        #: a body the cache has since fetched again, forgotten or kept past its life (a day)
        #: is loaded again, so that a connection living for days (a service's pool) does not
        #: check queries against its first day's metadata.
        self._stamps: dict[str | None, float | None] = {}
        self._sandbox = sandbox
        self._workdir = workdir
        self._closed = False
        #: The event loop the client's connections belong to (None: the first one used).
        self._home = loop
        #: Whether this is the engine of a synchronous :class:`Connection` (its own loop).
        self._sync = False
        #: The warning for an org's time zone Arrow does not know (datetimes in UTC instead).
        self._zone_note: str | None = None

    def __repr__(self) -> str:
        where = self.client.settings.profile or self.client.api_base
        return f"<coqlkit.AsyncConnection {where} credits_used={self.credits_used}>"

    def __del__(self) -> None:
        # Said, as an unclosed file is (a ResourceWarning: shown under ``python -X dev``), not
        # closed: its client's sockets belong to its event loop, which may be gone or busy
        # elsewhere. A synchronous Connection closes its own engine, and warns itself.
        if not self.__dict__.get("_closed", True) and not self._sync:
            warnings.warn(
                f"unclosed {self!r}: close it (`await conn.close()`), or open it with `async with`",
                ResourceWarning,
                stacklevel=1,
                source=self,
            )

    async def __aenter__(self) -> AsyncConnection:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def sandbox(self) -> Sandbox | None:
        """The sandbox this connection started (``connect(sandbox=True)``), if any."""
        return self._sandbox

    @property
    def credits_used(self) -> int:
        """API credits this connection has spent (probes, pages, bulk jobs, metadata), the
        calls whose answers were lost included (:attr:`unanswered_credits`): the most the
        org may have charged."""
        return self.client.credits_used

    @property
    def unanswered_credits(self) -> int:
        """The part of :attr:`credits_used` that Zoho *may* have charged: the credits of
        calls sent whose answers were lost (a dropped connection, a timeout) and that were
        sent again. ``credits_used - unanswered_credits`` is what the org surely charged;
        a result's ``stats.credits`` leaves these out too."""
        return self.client.unanswered_credits

    @property
    def credits_remaining(self) -> int | None:
        """The org's credits left today, when Zoho said (``X-API-CREDITS-REMAINING``)."""
        return self.client.credits_remaining

    @property
    def closed(self) -> bool:
        return self._closed

    def _open(self) -> None:
        """Refuse work once closed, or in an event loop that is not the connection's (a
        CoqlError, not the HTTP client's RuntimeError, before anything is sent)."""
        if self._closed:
            raise CoqlError("this connection is closed", code="CONNECTION_CLOSED")
        self._at_home()

    def _at_home(self) -> None:
        """Refuse to run in another event loop than the connection's: its client's pooled
        connections and locks belong to that loop (httpx fails in another, and a socket left
        on a loop that ends breaks the connection for good)."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover - called from coroutines
            return
        if self._home is None:
            self._home = running
        elif running is not self._home:
            if self._sync:
                message = (
                    "conn.aio belongs to the synchronous connection's own event loop, not to the "
                    "one running here: call the connection without await (conn.query(...)), or "
                    "in async code open one with `await coqlkit.connect_async(...)`"
                )
            else:
                message = (
                    "this connection belongs to the event loop it was opened in, not to the one "
                    "running here: open one in this loop with `await coqlkit.connect_async(...)`"
                )
            raise CoqlError(message, code="WRONG_EVENT_LOOP")

    async def close(self) -> None:
        if self._closed:
            return
        self._at_home()
        self._closed = True
        try:
            await self.client.aclose()
        finally:
            if self._sandbox is not None:
                try:
                    await asyncio.to_thread(self._sandbox.stop)
                except RuntimeError:  # at exit, the thread pools are shut: stopped from here
                    self._sandbox.stop()
            if self._workdir is not None:
                self._workdir.cleanup()

    # ---- metadata ------------------------------------------------------------------------

    async def catalog(self, modules: list[str] | None = None) -> Catalog:
        """The org's catalog, with the fields of ``modules`` (None: only what is known)."""
        self._open()
        if self.metadata is None:
            if self._catalog is None:  # pragma: no cover - a connection has one or the other
                raise ConfigError("this connection has no metadata")
            return self._catalog
        wanted = self._outdated(self._catalog, modules or (), listing=True)
        if self._catalog is not None and not wanted:
            return self._catalog
        # The cache keeps what earlier calls fetched: only the modules missing are asked for
        # (and the module list, when it is past its life).
        return self._keep(await self.metadata.catalog([m for m in wanted if m is not None]))

    def _outdated(
        self, catalog: Catalog | None, modules: Iterable[str], listing: bool = False
    ) -> list[str | None]:
        """Those of ``modules`` whose fields ``catalog`` lacks, or holds from a body that the
        cache has since fetched again, forgotten or kept past its life (see ``_stamps``);
        with ``listing``, None too when the module list is."""
        names: list[str | None] = [*sorted(set(modules))]
        if catalog is None:
            return [*names, None] if listing else names
        lacking: list[str | None] = [m for m in names if m is not None and not _has_fields(catalog, m)]
        if self.metadata is None or catalog is not self._catalog:
            return lacking
        held: list[str | None] = [None] if listing else []
        held += [m for m in names if m not in lacking]
        old = self.metadata.cache.outdated({m: self._stamps.get(m) for m in held})
        return [*lacking, *(m for m in held if m in old)]

    def _keep(self, catalog: Catalog) -> Catalog:
        """``catalog`` as this connection's, with the stamps of the bodies it holds."""
        assert self.metadata is not None
        loaded = [m.api_name for m in catalog if m.fields is not None]
        self._catalog, self._stamps = catalog, self.metadata.cache.stamps([None, *loaded])
        return catalog

    async def refresh_metadata(self) -> Catalog:
        """Fetch the org's module list again, and forget the fields cached for every module
        (``\\refresh``): each is fetched again when next used, one credit then. The cache
        may hold the fields of dozens of modules, loaded by this process or an earlier one;
        fetching them all now would spend a credit on each, most never used again."""
        self._open()
        if self.metadata is None:
            return await self.catalog()
        self.metadata.cache.forget_fields()
        return self._keep(await self.metadata.catalog([], refresh=True))

    async def _fresher(self, modules: Iterable[str], listing: bool = False) -> Catalog | None:
        """The catalog with the fields of ``modules`` (and the module list, if ``listing``)
        fetched again where they are older than :data:`STALE_AFTER`; None when none was.
        Queries asking at once share one fetch of each."""
        assert self.metadata is not None
        cache = self.metadata.cache
        old = sorted(m for m in set(modules) if _older(cache.age(m)))
        listing = listing and _older(cache.age())
        if not old and not listing:
            return None
        client = self.metadata.client
        catalog = await cache.acatalog(
            client.modules,
            client.fields,
            modules=old,
            max_age=STALE_AFTER,
            list_max_age=STALE_AFTER if listing else None,
            concurrency=client.settings.concurrency,
        )
        return self._keep(catalog)

    async def modules(self) -> list[Module]:
        """The org's modules that COQL can query, by API name."""
        catalog = await self.catalog()
        return sorted((m for m in catalog if m.api_supported), key=lambda m: m.api_name)

    async def fields(self, module: str) -> list[Field]:
        """The fields of ``module``, in the order Zoho lists them."""
        catalog = await self.catalog([module])
        found = catalog.module(module)
        if found is None or found.fields is None:
            raise CoqlError(f"no module {module!r} in this org", code="INVALID_MODULE")
        return list(found.fields.values())

    async def _checked(
        self, text: str | Select, params: Mapping[str, Any] | None, check: bool
    ) -> tuple[Select, Catalog, list[Diagnostic]]:
        """The bound query, its catalog, and what the check found short of an error
        (warnings and infos; an error raises)."""
        # Always bound (with no params too): a :name left without a value is a ParameterError
        # now, not a RenderError when the probe or a page is rendered.
        try:
            select = bind(text, params or {}) if isinstance(text, Select) else parse(text, params or {})
        except CoqlSyntaxError as exc:  # a field's label where its name goes: named from the metadata
            raise await self._explained(exc) from None
        catalog = await self._catalog_for(select)
        if self.metadata is not None and any(isinstance(c, Star) for c in select.columns):
            # ``*`` is the module's fields as cached: a field added since would be left out
            # without a word (a nightly export missing its new column for up to a day).
            catalog = await self._fresher([select.module]) or catalog
        found: list[Diagnostic] = []
        if check:
            catalog, found = await self._validated(select, catalog, text if isinstance(text, str) else None)
        return select, catalog, found

    async def _validated(
        self, select: Select, catalog: Catalog, text: str | None
    ) -> tuple[Catalog, list[Diagnostic]]:
        """The check of ``select``. Before it refuses a name the metadata lacks (a field, or a
        module), the modules lacking it are fetched again if their metadata is older than
        :data:`STALE_AFTER`, one credit each, and checked again: the field may have been added
        to the org since. A refusal that stands says how old the metadata it used is."""
        try:
            return catalog, validate(select, catalog, level=ErrorLevel.RAISE, text=text)
        except ValidationError as exc:
            lacking = catalog.lacking(select)
            if self.metadata is None or not lacking:
                raise
            fresher = await self._fresher([m for m in lacking if m], listing="" in lacking)
            if fresher is None:
                raise _aged(exc, lacking, self.metadata.cache, text) from None
        catalog = await self._catalog_for(select)  # a module new to the list, lookups' targets
        try:
            return catalog, validate(select, catalog, level=ErrorLevel.RAISE, text=text)
        except ValidationError as again:
            raise _aged(again, lacking, self.metadata.cache, text) from None

    async def _explained(self, exc: CoqlSyntaxError) -> CoqlSyntaxError:
        """``exc`` told again with the fields of the modules it names, where a field's label
        may explain it (fetched if need be, as the check would once it parses); as it was
        when they cannot be had."""
        catalog = self._catalog
        if not label_modules(exc, None):  # no label could explain it: nothing to fetch
            return explain_syntax_error(exc, catalog)
        try:
            wanted = label_modules(exc, await self.catalog())
            if wanted:
                catalog = await self.catalog(wanted)
        except CoqlError:  # no metadata to be had now: the parser's own hint stands
            pass
        return explain_syntax_error(exc, catalog)

    async def _catalog_for(self, select: Select) -> Catalog:
        """The catalog with every module ``select`` reaches: its own, subqueries', and the
        targets of its lookup paths (fetched hop by hop)."""
        catalog = await self.catalog(sorted(_modules_of(select)))
        for _ in range(3):  # at most two lookup hops, then a subquery's
            more = self._outdated(catalog, _targets(select, catalog))
            if not more:
                break
            catalog = await self.catalog([m for m in more if m is not None])
        return catalog

    # ---- queries -----------------------------------------------------------------------------

    def plan_options(self, **overrides: Any) -> PlanOptions:
        values = {**self.options, **overrides}
        return options_for(self.client, **values)

    async def check(self, text: str | Select, params: Mapping[str, Any] | None = None) -> list[Diagnostic]:
        """Check ``text`` against the org's metadata, spending nothing on the query itself
        (metadata not yet cached is fetched): an error raises, as :meth:`query` does; the
        rest (warnings, infos) is returned."""
        self._open()
        _, _, found = await self._checked(text, params, True)
        return found

    async def query(
        self, text: str | Select, params: Mapping[str, Any] | None = None, **options: Any
    ) -> AsyncResult:
        """Check and plan ``text`` (``:name`` parameters bound from ``params``, typed); the
        rows are read when the result is first used.

        ``options``: ``check=False`` skips the metadata check (Zoho will still refuse a
        wrong query), ``probe=False`` skips the COUNT probe, ``tz`` sets the time zone of
        datetime columns; the planner's options (``max_credits``, ``prefer``, ``strategy``,
        ``allow_bulk``, ``latency_ms``, ``bulk_job_seconds``, ``count_ttl``: see
        :class:`~coqlkit.plan.PlanOptions`) steer this query's plan. How the connection
        calls (``concurrency``, ``timeout``...) is set at :func:`connect_async`. An option
        it does not take, or a value of the wrong kind, raises :class:`OptionError`.

        What the check finds that runs but is probably not meant (a value that is not in
        its picklist...) is issued as one :class:`~coqlkit.QueryWarning` and kept in the
        result's ``stats.notes``.
        """
        result = await self._query(text, params, **options)
        warn_about(result, stacklevel=2)
        return result

    async def _query(
        self,
        text: str | Select,
        params: Mapping[str, Any] | None = None,
        *,
        _explain_only: bool = False,
        _called: str = "query()",
        **options: Any,
    ) -> AsyncResult:
        """:meth:`query` without the warning (the result keeps its diagnostics).
        ``_explain_only``: a subquery of more than 100 records is counted, not read (the
        plan shows what running it would cost, and cannot run)."""
        self._open()
        local, planner = _query_options(options, _called, text)
        zone = _zone_option(local.get("tz") or self.tz, _called)
        select, catalog, found = await self._checked(text, params, local.get("check", True))
        with self._stale_metadata(select.module):
            plan = await prepare(
                select,
                catalog,
                self.client,
                self.plan_options(**planner),
                probe=local.get("probe", True),
                read=not _explain_only,
                counts=self.counts,
            )
        result = AsyncResult(self, plan, tz=zone)
        result.text = text if isinstance(text, str) else None
        result.diagnostics = tuple(found)
        result.stats.notes.extend(d.format(result.text) for d in result.warnings)
        return result

    @contextlib.contextmanager
    def _stale_metadata(self, module: str) -> Iterator[None]:
        """Zoho refused a column the cached metadata still lists: the field was deleted or
        renamed in the org since. The cache forgets the modules involved (the next query
        fetches them again), and the error says so. Only an unknown column counts, not a
        value or an operator Zoho refuses for a column it knows."""
        try:
            yield
        except ZohoApiError as exc:
            column = exc.details.get("column_name")
            if (
                self.metadata is not None
                and _unknown_column(exc)
                and isinstance(column, str)
                and self.metadata.cache.on_unknown_column(module, column)
            ):
                self._catalog = None
                exc.args = (
                    f"{exc.message}\nhint: {column} was in coqlkit's cached metadata but Zoho no "
                    "longer knows it: the metadata is fetched again for the next query",
                )
            raise

    async def explain(
        self,
        text: str | Select,
        params: Mapping[str, Any] | None = None,
        *,
        analyze: bool = False,
        **options: Any,
    ) -> str:
        """The plan of ``text`` as an EXPLAIN tree (it spends the COUNT probe when the plan
        depends on the row count, and a subquery's; ``probe=False`` does not: a subquery
        of more than 100 records is counted, not read). ``analyze=True`` runs the
        query too and adds what each step really did. The check's warnings are issued as
        :meth:`query` issues them."""
        explained, result = await self._explain(text, params, analyze=analyze, **options)
        warn_about(result, stacklevel=2)
        return explained

    async def _explain(
        self,
        text: str | Select,
        params: Mapping[str, Any] | None = None,
        *,
        analyze: bool = False,
        **options: Any,
    ) -> tuple[str, AsyncResult]:
        """:meth:`explain` without the warning: the plan's text and the result it planned."""
        result = await self._query(text, params, _explain_only=not analyze, _called="explain()", **options)
        if not analyze:
            return result.plan.explain(), result
        text_, table, stats = await explain_analyze(
            result.plan, self.client, tz=result.tz, counts=self.counts
        )
        stats.notes[:0] = result.stats.notes  # the check's warnings first
        result._table, result.stats = table, stats
        return text_, result


def connect_async(
    profile: str | None = None,
    *,
    sandbox: bool | Sandbox | Mapping[str, Any] = False,
    settings: Settings | None = None,
    metadata: str | Path | None = None,
    cache_dir: str | Path | None = None,
    tz: str | None = None,
    **options: Any,
) -> Connecting:
    """Connect to the org of ``profile`` (or ``COQLKIT_PROFILE``, the ``ZOHO_*`` environment
    variables, the default profile) — or to a sandbox. Await it (``conn = await
    connect_async()``, then ``await conn.close()``) or enter it (``async with
    connect_async() as conn:``, closed on leaving): see :class:`Connecting`.

    ``sandbox=True`` starts the demo org's sandbox in a background thread (a dict gives its
    options, e.g. ``{"records": 250_000}``; a running :class:`~coqlkit.sandbox.server.Sandbox`
    is used as it is) and stops it on close. ``settings`` (a
    :class:`~coqlkit.transport.Settings`, e.g. from
    :func:`~coqlkit.transport.load_settings`, or made with credentials from the app's own
    secret store) is used instead of loading the profile's. ``metadata`` is a snapshot
    directory to check queries against instead of the org's live metadata; ``cache_dir``
    where the org's metadata is cached; ``tz`` the time zone of datetime columns (default:
    the org's).

    How the connection calls Zoho, over what the profile, the ``COQLKIT_*`` variables or
    ``settings`` say: ``concurrency`` (calls in flight at once; the planner's estimates follow
    it), ``credit_budget`` (credits this connection may spend in all), ``timeout`` (seconds to
    wait for an answer), ``retries``, ``busy_patience`` (seconds of 429s at one call at a time
    before :class:`~coqlkit.OrgBusy`). The planner's defaults for every query: ``max_credits``,
    ``prefer``, ``strategy``, ``allow_bulk``, ``latency_ms``, ``bulk_job_seconds``,
    ``count_ttl`` (see :class:`~coqlkit.plan.PlanOptions`). An option it does not take, or a
    value of the wrong kind, raises :class:`OptionError` (a ``ConfigError`` and a
    ``TypeError``) before anything starts.
    """
    return Connecting(
        {"sandbox": sandbox, "settings": settings, "metadata": metadata, "cache_dir": cache_dir, "tz": tz},
        profile,
        options,
    )


class Connecting(Coroutine[Any, Any, AsyncConnection]):
    """What :func:`connect_async` returns: awaited, the connection
    (``conn = await coqlkit.connect_async()``); entered, the connection, closed on leaving
    (``async with coqlkit.connect_async() as conn:``), as ``aiohttp.ClientSession`` and
    ``asyncpg.create_pool`` do. It is a coroutine too: ``asyncio.create_task`` and
    ``asyncio.run`` take it. Use it once."""

    def __init__(self, own: dict[str, Any], profile: str | None, options: dict[str, Any]) -> None:
        self._own, self._profile, self._options = own, profile, options
        # Made now, so that one never used is told as a coroutine is ("never awaited").
        self._coro = self._open()
        self._conn: AsyncConnection | None = None

    async def _open(self) -> AsyncConnection:
        conn = await _connect(self._profile, **self._own, **self._options)
        _warn_of_zone(conn, stacklevel=2)  # at the line that awaited connect_async()
        return conn

    def __await__(self) -> Generator[Any, None, AsyncConnection]:
        return self._coro.__await__()

    def send(self, value: Any) -> Any:
        return self._coro.send(value)

    def throw(self, *args: Any) -> Any:
        return self._coro.throw(*args)

    def close(self) -> None:
        self._coro.close()

    async def __aenter__(self) -> AsyncConnection:
        self._coro.close()  # (not run: entering opens the connection itself)
        self._conn = await _connect(self._profile, **self._own, **self._options)
        _warn_of_zone(self._conn, stacklevel=2)  # at the ``async with`` line
        return self._conn

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._conn is not None:
            await self._conn.close()


async def _connect(
    profile: str | None = None,
    *,
    sandbox: bool | Sandbox | Mapping[str, Any] = False,
    settings: Settings | None = None,
    metadata: str | Path | None = None,
    cache_dir: str | Path | None = None,
    tz: str | None = None,
    **options: Any,
) -> AsyncConnection:
    """:func:`connect_async` without its warning of an org's time zone Arrow does not know
    (:func:`connect` issues it in its caller's thread, where the caller's filters apply)."""
    transport, options = connect_options(options)
    if tz is not None:
        tz = _zone_option(tz, "connect()")
    if settings is not None and not isinstance(settings, Settings):
        raise OptionError(
            f"connect(): settings is a coqlkit.transport.Settings, not {type(settings).__name__}"
        )
    started: Sandbox | None = None
    workdir: tempfile.TemporaryDirectory[str] | None = None
    if sandbox is not False:
        started, running = await _sandbox(sandbox)
        # The planner's estimates follow the sandbox's own latency and bulk-read speed.
        options.setdefault("latency_ms", running.config.latency_ms)
        options.setdefault("bulk_job_seconds", running.config.bulk_seconds)
        options.setdefault("bulk_poll_seconds", max(0.05, running.config.bulk_seconds / 4))
        workdir = tempfile.TemporaryDirectory(prefix="coqlkit-sandbox-")
        store = FileTokenStore(Path(workdir.name) / "tokens.json")
        settings = load_settings(
            env=running.environment(), store=store, path=Path(workdir.name) / "none.toml"
        )
        if cache_dir is None:
            cache_dir = Path(workdir.name) / "metadata"
    elif settings is None:
        settings = load_settings(profile)
    client = AsyncZohoClient(replace(settings, **transport))  # the arguments over the profile
    try:
        catalog = Catalog.from_snapshot(metadata) if metadata is not None else None
        # The org (its id names the metadata cache; its time zone is the default one): one
        # /org call, remembered for a day, so that starting again costs no call at all.
        org = await known_org(client, root=cache_dir) if catalog is None or tz is None else None
        org_metadata = None
        if catalog is None:
            cache = MetadataCache(cache_dir or cache_root(), org_key(client.settings, org))
            org_metadata = OrgMetadata(client, cache)
        zone = tz or _zone_of(org) or "UTC"
    except BaseException:
        await client.aclose()
        if started is not None:
            await asyncio.to_thread(started.stop)
        if workdir is not None:
            workdir.cleanup()
        raise
    conn = AsyncConnection(
        client,
        org_metadata,
        catalog=catalog,
        tz=zone,
        options=options,
        sandbox=started,
        workdir=workdir,
        loop=asyncio.get_running_loop(),
    )
    conn._zone_note = None if tz else _unknown_zone(org)
    conn.org_tz = _zone_of(org) if org is not None else None
    return conn


def _warn_of_zone(conn: AsyncConnection, *, stacklevel: int = 1) -> None:
    """An org's time zone Arrow does not know (``"PST"``) is not guessed at: datetimes are
    in UTC, and a :class:`~coqlkit.CoqlWarning` says so (day and month buckets move by the
    offset: it must not happen silently)."""
    if conn._zone_note is not None:
        warnings.warn(CoqlWarning(conn._zone_note), stacklevel=stacklevel + 1)


async def _sandbox(option: bool | Sandbox | Mapping[str, Any]) -> tuple[Sandbox | None, Sandbox]:
    """(the sandbox to stop on close or None, the running sandbox)."""
    try:
        from coqlkit.sandbox.server import Sandbox
    except ImportError as exc:  # pragma: no cover - the extra is missing
        raise ConfigError("the sandbox needs the extra: pip install 'coqlkit[sandbox]'") from exc
    if isinstance(option, Sandbox):
        return None, option
    config = dict(option) if isinstance(option, Mapping) else {}
    running = Sandbox(**config)
    await asyncio.to_thread(running.start)
    return running, running


#: Zoho's message for a column it does not know (a value or an operator it refuses for a
#: column it knows has a ``reason`` instead: "invalid value", "invalid operator found").
_UNKNOWN_COLUMN = "column given seems to be invalid"
#: The same in Zoho's v8 OpenAPI example (``InvalidQueryUnsupportedColumn``), whole: not
#: "unsupported column in criteria", said of a column it knows and cannot filter by.
_UNSUPPORTED_COLUMN = "unsupported column"


def _unknown_column(exc: ZohoApiError) -> bool:
    """Whether Zoho refused a column because it does not know it.

    >>> _unknown_column(ZohoApiError("column given seems to be invalid", code="INVALID_QUERY"))
    True
    >>> _unknown_column(ZohoApiError("unsupported column", code="INVALID_QUERY"))
    True
    >>> _unknown_column(ZohoApiError("unsupported column in criteria", code="INVALID_QUERY"))
    False
    """
    said = exc.message.lower()
    return (
        exc.code == "INVALID_QUERY"
        and "reason" not in exc.details
        and (_UNKNOWN_COLUMN in said or said.strip(" .") == _UNSUPPORTED_COLUMN)
    )


#: Cached metadata older than this (seconds) is fetched again before a query is refused
#: for a field or a module it lacks, and before ``*`` is expanded from it. Zoho charges a
#: credit for each module's fields; five minutes bounds what a loop of mistyped queries
#: spends (one credit per module per five minutes) while a field added to the org is
#: refused for at most five minutes, by an error saying how old the metadata is.
STALE_AFTER = 5 * 60


def _older(age: float | None) -> bool:
    """Whether metadata of this age is due to be fetched again (None: it is not cached)."""
    return age is None or not 0 <= age <= STALE_AFTER


def _aged(
    exc: ValidationError, lacking: Mapping[str, set[str]], cache: MetadataCache, text: str | None
) -> ValidationError:
    """``exc`` with each error about a name the metadata lacks, and that the check cannot
    explain otherwise (no did-you-mean), saying how old the metadata is and how to fetch it
    again: a field added to the org since it was fetched is refused so. Metadata fetched
    for this check (a few seconds old) is the org's as it is now: nothing to add."""
    notes: dict[str, str] = {}
    for module, names in lacking.items():
        age = cache.age(module or None)
        if age is None or age < 5:
            continue
        what = f"metadata of {module}" if module else "list of the org's modules"
        note = (
            f"coqlkit's {what} is {_duration(age)} old: \\refresh "
            "(conn.refresh_metadata() in Python) fetches it again"
        )
        notes.update(dict.fromkeys(names, note))
    diagnostics = []
    for d in exc.diagnostics:
        named = d.details.get("column_name") if "column_name" in d.details else d.details.get("module")
        said = notes.get(named) if d.is_error and d.hint is None and isinstance(named, str) else None
        diagnostics.append(d if said is None else replace(d, hint=said))
    return ValidationError(diagnostics, text)


def _duration(seconds: float) -> str:
    """``"40 s"``, ``"12 min"``, ``"5.2 h"``.

    >>> _duration(40.2), _duration(725), _duration(18_720)
    ('40 s', '12 min', '5.2 h')
    """
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


# ---- the synchronous twin --------------------------------------------------------------------


async def _nothing() -> None:
    """A call that does nothing (see :meth:`Connection._refuse_if_closed`)."""


def _close(loop: _Loop, aio: AsyncConnection) -> None:
    """Close ``aio`` in ``loop``, then stop the loop and its thread: once, whichever threads
    call it at once (the others wait for it, then find it closed); in a process forked from
    the loop's, nothing (its thread is not there to wait for)."""
    if loop.forked:  # (its lock may have been held by a thread that is not in this process)
        return
    with loop.close_lock:
        if loop.running:
            try:
                loop.run(loop.shutdown(aio.close()))
            finally:
                loop.stop()


def _dropped(loop: _Loop, aio: AsyncConnection, name: str) -> None:
    """A connection that was never closed is being collected: close what it holds (its
    loop's thread, the client's sockets, a sandbox it started), warning as an unclosed
    file does (a ``ResourceWarning``: shown under ``python -X dev`` or ``-W default``)."""
    if not loop.running:
        return
    try:
        warnings.warn(f"unclosed {name}: close it, or open it with `with`", ResourceWarning, stacklevel=1)
    finally:
        if threading.current_thread() is loop.thread:
            # Collected in the loop's own thread, which cannot wait for itself.
            threading.Thread(target=_close, args=(loop, aio), name="coqlkit-close", daemon=True).start()
        else:
            _close(loop, aio)


class Connection:
    """The synchronous twin of :class:`AsyncConnection` (open it with :func:`connect`).

    Close it (``close()``, or ``with``): a connection dropped unclosed is closed when it is
    garbage-collected, with a ``ResourceWarning``. Its results keep it alive while in use.
    ``aio`` is the :class:`AsyncConnection` it runs on its own event loop: await it only
    through the synchronous methods (in async code, use :func:`connect_async`).
    """

    def __init__(self, loop: _Loop, aio: AsyncConnection) -> None:
        self._loop = loop
        self.aio = aio
        aio._home, aio._sync = loop.loop, True
        # Not a __del__: the finalizer holds what it closes, never the connection itself.
        where = aio.client.settings.profile or aio.client.api_base
        # At exit too, while the loop's thread still runs: a stream left half-read (a DB-API
        # fetchone(), next(iter(result))) is closed then, its calls cancelled; finalized
        # later, with the interpreter's threads frozen, it waited for the loop forever.
        self._finalizer = weakref.finalize(self, _dropped, loop, aio, f"<coqlkit.Connection {where}>")

    def __repr__(self) -> str:
        return repr(self.aio).replace("AsyncConnection", "Connection")

    def __enter__(self) -> Connection:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def sandbox(self) -> Sandbox | None:
        return self.aio.sandbox

    @property
    def credits_used(self) -> int:
        """See :attr:`AsyncConnection.credits_used`."""
        return self.aio.credits_used

    @property
    def unanswered_credits(self) -> int:
        """See :attr:`AsyncConnection.unanswered_credits`."""
        return self.aio.unanswered_credits

    @property
    def credits_remaining(self) -> int | None:
        return self.aio.credits_remaining

    @property
    def closed(self) -> bool:
        return not self._loop.running

    def close(self) -> None:
        self._finalizer.detach()
        _close(self._loop, self.aio)

    def _refuse_if_closed(self) -> None:
        """Raise what a call raises once the connection is closed (a :class:`CoqlError` with
        ``.code == "CONNECTION_CLOSED"``, saying, in a forked child, that it was opened before
        the fork); nothing while it is open. For the front ends that check before they call
        (:mod:`coqlkit.dbapi`)."""
        if self.closed:
            self._loop.run(_nothing())

    def check(self, text: str | Select, params: Mapping[str, Any] | None = None) -> list[Diagnostic]:
        """See :meth:`AsyncConnection.check`."""
        return self._loop.run(self.aio.check(text, params))

    def query(self, text: str | Select, params: Mapping[str, Any] | None = None, **options: Any) -> Result:
        """See :meth:`AsyncConnection.query`."""
        result = self._query(text, params, **options)
        warn_about(result.aio, stacklevel=2)  # in the caller's thread, where its warning filters apply
        return result

    def _query(self, text: str | Select, params: Mapping[str, Any] | None = None, **options: Any) -> Result:
        """:meth:`query` without the warning (the magics show the diagnostics themselves)."""
        return Result(self._loop, self._loop.run(self.aio._query(text, params, **options)), self)

    def explain(self, text: str | Select, params: Mapping[str, Any] | None = None, **options: Any) -> str:
        """See :meth:`AsyncConnection.explain`."""
        explained, result = self._explain(text, params, **options)
        warn_about(result.aio, stacklevel=2)
        return explained

    def _explain(
        self, text: str | Select, params: Mapping[str, Any] | None = None, **options: Any
    ) -> tuple[str, Result]:
        """:meth:`explain` without the warning: the plan's text and the result it planned."""
        explained, result = self._loop.run(self.aio._explain(text, params, **options))
        return explained, Result(self._loop, result, self)

    def modules(self) -> list[Module]:
        return self._loop.run(self.aio.modules())

    def refresh_metadata(self) -> Catalog:
        return self._loop.run(self.aio.refresh_metadata())

    def fields(self, module: str) -> list[Field]:
        return self._loop.run(self.aio.fields(module))

    def catalog(self, modules: list[str] | None = None) -> Catalog:
        return self._loop.run(self.aio.catalog(modules))


def connect(
    profile: str | None = None,
    *,
    sandbox: bool | Sandbox | Mapping[str, Any] = False,
    **options: Any,
) -> Connection:
    """Connect synchronously; the arguments are those of :func:`connect_async`: ``settings``,
    ``metadata``, ``cache_dir``, ``tz``; how the connection calls Zoho (``concurrency``,
    ``credit_budget``, ``timeout``, ``retries``, ``busy_patience``: over the profile's); the
    planner's defaults (``max_credits``, ``prefer``, ``strategy``...). An option it does not
    take, or a value of the wrong kind, raises :class:`OptionError` before anything starts."""
    loop = _Loop()
    try:
        aio = loop.run(_connect(profile, sandbox=sandbox, **options))
    except BaseException:
        loop.stop()
        raise
    conn = Connection(loop, aio)
    _warn_of_zone(aio, stacklevel=2)  # in the caller's thread, where its warning filters apply
    return conn
