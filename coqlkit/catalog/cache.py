"""An on-disk cache of an org's Zoho metadata, fetched again after a time to live.

The cache keeps Zoho's bodies as they came, like a metadata snapshot, in one directory per org::

    <root>/<org>/modules.json           the body of GET /crm/v8/settings/modules
    <root>/<org>/fields/<Module>.json   the body of GET /crm/v8/settings/fields?module=<Module>
    <root>/<org>/meta.json              when each was fetched, by the cache's clock

It sends no request itself: the caller passes *fetchers*, functions (or coroutine functions)
that return Zoho's bodies, so the catalog layer stays free of the transport::

    cache = MetadataCache(cache_home / "coqlkit" / "metadata", "eu-20001234")
    catalog = cache.catalog(api.modules_body, api.fields_body, modules=["Leads", "Accounts"])

Each file is replaced atomically (a temporary file, then :func:`os.replace`), so a reader, or
another process, sees the old body or the new one, never half of one. A file that cannot be
read or is not Zoho metadata counts as missing and is fetched again. A fetcher's exception
propagates as it is; the bodies fetched before it stay cached, the rest stays as it was.

Writing is best effort, as for the token store: the cache saves credits, and a full or
read-only disk (a container's read-only home, a full ``/home`` under a nightly export
writing elsewhere) must not fail the query whose metadata was just fetched. A body that
cannot be written is kept in memory, for as long as the object lives, and a
:class:`~coqlkit.errors.CoqlWarning` names the directory once per process.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import os
import re
import time
import warnings
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from coqlkit.catalog._catalog import Catalog, write_snapshot
from coqlkit.catalog.model import Field, Module
from coqlkit.errors import CatalogError, CoqlWarning

__all__ = ["MetadataCache"]

_MODULES = "modules.json"
_META = "meta.json"
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
#: The cache directories whose write failure was told (once each per process).
_TOLD: set[str] = set()


class MetadataCache:
    """Zoho's modules and fields bodies of one org under ``root/<org_key>/``, kept ``ttl`` seconds.

    ``org_key`` names the org (``"eu-20001234"``, ``"127.0.0.1-8765"``); a key that is not a
    plain file name (``/``, ``..``, spaces) is cleaned and suffixed with its hash, so it stays
    inside ``root``. ``clock`` gives the time in seconds (tests pass a fake one).
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        org_key: str,
        *,
        ttl: float = 24 * 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not org_key:
            raise ValueError("org_key cannot be empty")
        self.root = Path(root)
        self.org_key = org_key
        self.path = self.root / _safe_name(org_key)
        self.ttl = ttl
        self._clock = clock
        self._flights: dict[str, _Flight] = {}  # the fetches in flight, by file name
        # What the disk could not take, by file name: a body and when it was fetched, or
        # (None, None) for one forgotten that could not be removed. It overrides the file.
        self._memory: dict[str, tuple[dict[str, Any] | None, float | None]] = {}
        self._disk = True  # False once everything was forgotten but the files stayed

    def __repr__(self) -> str:
        return f"<MetadataCache {self.org_key!r} at {self.path}>"

    # ---- loading ------------------------------------------------------------------------

    def catalog(
        self,
        fetch_modules: Callable[[], Mapping[str, Any]],
        fetch_fields: Callable[[str], Mapping[str, Any] | None],
        *,
        modules: Iterable[str] | None = None,
        refresh: bool = False,
        max_age: float | None = None,
        list_max_age: float | None = None,
    ) -> Catalog:
        """The org's catalog, with the fields of ``modules`` (default: every module listed).

        A body is fetched when it is not cached, older than ``ttl``, or ``refresh`` is true;
        ``fetch_fields`` returning None means the module has no fields. Modules not asked for
        keep the fields cached for them while younger than ``ttl``, and have none (``fields``
        is None: fetched when asked for) once older; modules that ``modules.json`` does not
        list are left out. ``max_age`` (seconds) is a shorter life
        for the fields of ``modules``, and ``list_max_age`` for the module list, this once: a
        caller that must not miss a field added since asks for metadata younger than that.
        """
        listing = self._fresh(_MODULES, refresh, list_max_age)
        if listing is None:
            listing = self._store(_MODULES, fetch_modules())
        bodies, missing = self._plan(listing, modules, refresh, max_age)
        for name in missing:
            bodies[name] = self._store(_fields_file(name), fetch_fields(name) or {"fields": []})
        return self._build(listing, bodies)

    async def acatalog(
        self,
        fetch_modules: Callable[[], Awaitable[Mapping[str, Any]]],
        fetch_fields: Callable[[str], Awaitable[Mapping[str, Any] | None]],
        *,
        modules: Iterable[str] | None = None,
        refresh: bool = False,
        max_age: float | None = None,
        list_max_age: float | None = None,
        concurrency: int = 4,
    ) -> Catalog:
        """:meth:`catalog` with coroutine fetchers: at most ``concurrency`` fields at once.
        Callers asking for the same body at once share one fetch of it (``max_age`` too)."""
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        listing = self._fresh(_MODULES, refresh, list_max_age)
        if listing is None:
            listing = await self._fetch_once(_MODULES, fetch_modules, refresh, list_max_age)
        bodies, missing = self._plan(listing, modules, refresh, max_age)
        gate = asyncio.Semaphore(concurrency)

        async def fetch(name: str) -> None:
            async with gate:
                bodies[name] = await self._fetch_once(
                    _fields_file(name), lambda: fetch_fields(name), refresh, max_age
                )

        tasks = [asyncio.ensure_future(fetch(name)) for name in missing]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return self._build(listing, bodies)

    async def _fetch_once(
        self,
        name: str,
        fetch: Callable[[], Awaitable[Mapping[str, Any] | None]],
        refresh: bool,
        max_age: float | None = None,
    ) -> dict[str, Any]:
        """The body ``name`` fetched and stored, by one call for every caller that wants it at
        the same time: concurrent queries on a cold cache would each fetch the module list
        and the fields again (a burst of 18 paid 36 credits where 3 do).

        A caller joins the fetch in flight on its loop, or finds the body its fetch stored
        meanwhile; ``refresh`` always starts a fetch of its own (one sent earlier may answer
        with what the caller wants to replace), which later callers join. The fetch is
        cancelled when every caller waiting for it was."""
        loop = asyncio.get_running_loop()
        flight = self._flights.get(name)
        if not refresh and (flight is None or not flight.joinable(loop)):
            stored = self._fresh(name, False, max_age)
            if stored is not None:
                return stored
        if refresh or flight is None or not flight.joinable(loop):
            flight = self._flights[name] = _Flight(loop.create_task(self._fetch_and_store(name, fetch)))
        flight.waiters += 1
        try:
            return await asyncio.shield(flight.task)
        except asyncio.CancelledError:
            if flight.waiters == 1 and not flight.task.done():  # nobody else waits for it
                flight.abandoned = True
                flight.task.cancel()
            raise
        except Exception as exc:
            # Each caller raises an error of its own: threads raising the one object at
            # once (the sync API sets its traceback as it raises) would tangle theirs.
            try:
                own = copy.copy(exc)
            except Exception:  # (an error that cannot be copied: the one there is)
                own = exc
            raise own.with_traceback(None) from exc.__cause__
        finally:
            flight.waiters -= 1
            if flight.task.done() and self._flights.get(name) is flight:
                del self._flights[name]

    async def _fetch_and_store(
        self, name: str, fetch: Callable[[], Awaitable[Mapping[str, Any] | None]]
    ) -> dict[str, Any]:
        body = await fetch()
        return self._store(name, {"fields": []} if body is None else body)  # None: Zoho's 204, no fields

    # ---- questions and corrections ------------------------------------------------------

    def invalidate(self, module: str | None = None) -> None:
        """Forget the fields of ``module``, or (None) everything cached for the org."""
        try:
            if module is not None:
                self._memory.pop(_fields_file(module), None)
                (self.path / _fields_file(module)).unlink(missing_ok=True)
                self._set_fetched(_fields_file(module), None)
                return
            self._memory.clear()
            for path in [self.path / _MODULES, *(self.path / "fields").glob("*.json"), self.path / _META]:
                path.unlink(missing_ok=True)
        except OSError as exc:  # the files stay: read past them
            if module is not None:
                self._memory[_fields_file(module)] = (None, None)
            else:
                self._disk = False
            self._trouble(exc)

    def forget_fields(self, keep: Iterable[str] = ()) -> None:
        """Forget the fields cached for every module but those of ``keep``.

        What a refresh does with the modules it does not fetch again: fetching every module
        ever cached would cost a credit each (a ``*`` over lookups caches a dozen), while a
        module forgotten costs its credit only when it is used again, and then brings its
        fields as they are now, not as they were up to a day ago.
        """
        kept = {_fields_file(name) for name in keep}
        names = {f"fields/{path.name}" for path in (self.path / "fields").glob("*.json")}
        names |= {name for name in self._memory if name != _MODULES}
        for name in sorted(names - kept):
            try:
                self._memory.pop(name, None)
                (self.path / name).unlink(missing_ok=True)
                self._set_fetched(name, None)
            except OSError as exc:  # the file stays: read past it
                self._memory[name] = (None, None)
                self._trouble(exc)

    def believes(self, module: str, field: str) -> bool:
        """Whether the cached fields of ``module`` have a field named exactly ``field`` (no fetch)."""
        return field in self._cached_fields(module)

    def on_unknown_column(self, module: str, column: str) -> bool:
        """Zoho answered INVALID_QUERY for ``column`` of ``module``: when the cache believes in
        it, forget the modules it goes through and return True (the metadata was out of date).

        ``column`` is a field API name or a path through lookups (``Account_Name.Rating``).
        """
        current, path = module, [module]
        parts = column.split(".")
        for index, part in enumerate(parts):
            field = self._cached_fields(current).get(part)
            if field is None:
                return False
            if index < len(parts) - 1:
                if not field.lookup_module:
                    return False
                current = field.lookup_module
                path.append(current)
        for name in dict.fromkeys(path):
            self.invalidate(name)
        return True

    def write_snapshot(self, directory: str | os.PathLike[str]) -> None:
        """Write the cached bodies as a metadata snapshot (see :meth:`Catalog.from_snapshot`)."""
        listing = self._load(_MODULES)
        if listing is None:
            raise CatalogError(f"no metadata is cached for {self.org_key} in {self.path}")
        fields = {}
        for name in _listed(listing):
            body = self._load(_fields_file(name)) if _safe_name(name) == name else None
            if body is not None:
                fields[name] = body
        write_snapshot(directory, listing, fields)

    def age(self, module: str | None = None) -> float | None:
        """Seconds since ``modules.json`` (or the fields of ``module``) was fetched; None when
        it is not cached."""
        return self._age(_MODULES if module is None else _fields_file(module))

    def stamps(self, modules: Iterable[str | None]) -> dict[str | None, float | None]:
        """When the fields of each of ``modules`` (None: the module list) were fetched, by the
        cache's clock, read at once; None when not cached. What a caller keeping a catalog
        built from the cache notes, to tell by :meth:`outdated` when it is out of date."""
        times = self._fetched() if self._disk else {}
        return {m: self._when(_MODULES if m is None else _fields_file(m), times) for m in modules}

    def outdated(self, held: Mapping[str | None, float | None]) -> set[str | None]:
        """Those of ``held``'s modules (None: the module list), each with the :meth:`stamps` of
        the body a caller holds, whose body the cache has since fetched again (another
        connection, another process), forgotten, or kept past ``ttl``: to load again."""
        now = self._clock()
        out: set[str | None] = set()
        for module, stamp in self.stamps(held).items():
            if stamp is None or stamp != held[module] or not 0 <= now - stamp <= self.ttl:
                out.add(module)
        return out

    # ---- files --------------------------------------------------------------------------

    def _age(self, name: str, times: Mapping[str, float] | None = None) -> float | None:
        if times is None:
            times = self._fetched() if self._disk else {}
        fetched = self._when(name, times)
        return None if fetched is None else self._clock() - fetched

    def _when(self, name: str, times: Mapping[str, float]) -> float | None:
        """When the body ``name`` was fetched (``times``: ``meta.json``'s); None: not cached."""
        if name in self._memory:
            return self._memory[name][1]
        if not self._disk:
            return None
        fetched = times.get(name)
        if fetched is None or not (self.path / name).is_file():
            return None
        return fetched

    def _plan(
        self, listing: dict[str, Any], modules: Iterable[str] | None, refresh: bool, max_age: float | None
    ) -> tuple[dict[str, dict[str, Any]], list[str]]:
        """The fresh fields bodies of the modules asked for, and the modules to fetch."""
        listed = _listed(listing)
        if isinstance(modules, str):
            modules = [modules]
        wanted = listed if modules is None else [m for m in dict.fromkeys(modules) if m in listed]
        fresh = {name: self._fresh(_fields_file(name), refresh, max_age) for name in wanted}
        bodies = {name: body for name, body in fresh.items() if body is not None}
        return bodies, [name for name in wanted if name not in bodies]

    def _build(self, listing: dict[str, Any], bodies: dict[str, dict[str, Any]]) -> Catalog:
        """The catalog of ``listing``, with the fields of ``bodies`` and, for the other modules,
        those cached within ``ttl``: a body past it is not passed off as the org's (listing
        the modules, then asking for one's fields, gave a body days old as fresh)."""
        fields: dict[str, Mapping[str, Any] | None] = {}
        times = self._fetched() if self._disk else {}
        for name in _listed(listing):
            fields[name] = (
                bodies[name] if name in bodies else self._fresh(_fields_file(name), False, None, times)
            )
        return Catalog.from_payloads(listing, fields)

    def _fresh(
        self, name: str, refresh: bool, max_age: float | None = None, times: Mapping[str, float] | None = None
    ) -> dict[str, Any] | None:
        age = None if refresh else self._age(name, times)
        life = self.ttl if max_age is None else min(self.ttl, max_age)
        if age is None or not 0 <= age <= life:  # a clock gone backwards: stale too
            return None
        return self._load(name)

    def _cached_fields(self, module: str) -> Mapping[str, Field]:
        body = self._load(_fields_file(module))
        return (Module.build(module, _parse_fields(body)).fields or {}) if body is not None else {}

    def _load(self, name: str) -> dict[str, Any] | None:
        """The cached body ``name``; None when it is missing, unreadable or not Zoho metadata."""
        if name in self._memory:
            return self._memory[name][0]
        if not self._disk:
            return None
        try:
            with (self.path / name).open(encoding="utf-8") as fh:
                return _checked(name, json.load(fh))
        except (OSError, ValueError, CatalogError):
            return None

    def _store(self, name: str, body: Any) -> dict[str, Any]:
        """``body``, checked, written to the file ``name`` or, when the disk refuses it, kept
        in memory (see the module's docstring)."""
        data = _checked(name, body)
        fetched = self._clock()
        target = self.path / name
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self.path.mkdir(mode=0o700, exist_ok=True)
            target.parent.mkdir(exist_ok=True)
            _write_json(target, data)
            self._set_fetched(name, fetched)
        except OSError as exc:
            self._memory[name] = (data, fetched)
            self._trouble(exc)
        else:
            if self._disk:
                self._memory.pop(name, None)
            else:  # the old files stayed, and are read past: this one is known by memory
                self._memory[name] = (data, fetched)
        return data

    def _trouble(self, exc: OSError) -> None:
        """Warn, once per process and directory, that the cache cannot be written."""
        if str(self.root) in _TOLD:
            return
        _TOLD.add(str(self.root))
        problem = exc.strerror or str(exc)
        warnings.warn(
            f"cannot write the metadata cache in {self.root}: {problem}; the metadata is kept "
            "in memory and fetched again by the next run (XDG_CACHE_HOME, or connect(cache_dir=...), "
            "puts the cache elsewhere)",
            CoqlWarning,
            stacklevel=2,
        )

    def _fetched(self) -> dict[str, float]:
        try:
            data = json.loads((self.path / _META).read_text(encoding="utf-8"))
            times = data["fetched"]
            return {k: float(v) for k, v in times.items() if type(v) in (int, float)}
        except (OSError, ValueError, LookupError, TypeError, AttributeError):
            return {}

    def _set_fetched(self, name: str, when: float | None) -> None:
        times = self._fetched()  # read again: another process may have fetched something
        if when is not None:
            times[name] = when
        elif times.pop(name, None) is None:
            return
        _write_json(self.path / _META, {"fetched": times})


class _Flight:
    """One fetch in flight, and how many callers wait for it."""

    def __init__(self, task: asyncio.Task[dict[str, Any]]) -> None:
        self.task = task
        self.waiters = 0
        self.abandoned = False  # cancelled: its last caller left

    def joinable(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Whether a caller on ``loop`` can wait for it (a task belongs to its loop)."""
        return not self.task.done() and not self.abandoned and self.task.get_loop() is loop


def _safe_name(name: str) -> str:
    """``name`` if it is a plain file name, else a cleaned name suffixed with its hash."""
    if _SAFE_NAME.fullmatch(name):
        return name
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "_", name).lstrip(".")[:64]
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{cleaned}_{digest}"


def _fields_file(module: str) -> str:
    return f"fields/{_safe_name(module)}.json"


def _listed(listing: Mapping[str, Any]) -> list[str]:
    return [str(item["api_name"]) for item in listing.get("modules") or ()]


def _parse_fields(body: Mapping[str, Any]) -> list[Field]:
    try:
        return [Field.from_json(item) for item in body.get("fields") or ()]
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise CatalogError(f"not Zoho field metadata: {exc!r}") from None


def _checked(name: str, body: Any) -> dict[str, Any]:
    """``body`` as a dict, if it is Zoho's modules (or fields) metadata; else CatalogError."""
    if not isinstance(body, Mapping):
        raise CatalogError(f"not Zoho metadata for {name}: a {type(body).__name__}, not an object")
    data = dict(body)
    if name == _MODULES:
        if not isinstance(data.get("modules") or [], list):
            raise CatalogError("not Zoho module metadata: 'modules' is not a list")
        Catalog.from_payloads(data)
    else:
        _parse_fields(data)
    return data


def _write_json(path: Path, data: Any) -> None:
    """Replace ``path`` atomically; the file gets the user's default permissions (umask)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
