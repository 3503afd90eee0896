"""An org's metadata as coqlkit uses it: the transport's calls through the on-disk cache.

:class:`OrgMetadata` gives the catalog of the org a client talks to, fetching only what the
cache lacks or holds past its TTL, and keeps the cache honest: when Zoho answers a query
with ``INVALID_QUERY`` for a column the cache still lists, that module's fields are fetched
again (a field was deleted or renamed in the org since the cache was filled).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from coqlkit._dirs import base_dir_or_run
from coqlkit.catalog import Catalog
from coqlkit.catalog.cache import MetadataCache
from coqlkit.errors import ZohoApiError
from coqlkit.transport import AsyncZohoClient, CoqlPage, Settings

__all__ = ["OrgMetadata", "cache_root", "known_org", "org_key"]

#: How long the org a profile points at (its id and time zone) is remembered.
ORG_TTL = 24 * 3600


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/coqlkit/metadata`` (``~/.cache`` when unset); without a home, a
    folder of this process's, removed when it exits (:mod:`coqlkit._dirs`)."""
    return base_dir_or_run("cache") / "coqlkit" / "metadata"


def org_key(settings: Settings, org: dict[str, Any] | None) -> str:
    """One cache folder per org and data centre: ``eu-4150868`` or ``127.0.0.1-8765-4150868``."""
    where = settings.endpoints.data_center or settings.endpoints.api_base.split("//", 1)[-1].replace(":", "-")
    org = org or {}
    return f"{where}-{org.get('zgid') or org.get('id') or 'org'}"


def _org_file(settings: Settings, root: Path) -> Path:
    seed = f"{settings.store_key}|{settings.endpoints.api_base}|{settings.client_id}".encode()
    return root / "orgs" / f"{hashlib.sha256(seed).hexdigest()[:20]}.json"


async def known_org(
    client: AsyncZohoClient, *, root: str | os.PathLike[str] | None = None, ttl: float = ORG_TTL
) -> dict[str, Any] | None:
    """The org the client's profile points at (``GET /org``: its id, time zone...),
    remembered on disk for ``ttl`` seconds, so that starting coqlkit again costs no call.

    Only the org's id, name and time zone are kept (no secret ever)."""
    path = _org_file(client.settings, Path(root) if root is not None else cache_root())
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(saved, dict) and 0 <= time.time() - float(saved.get("saved_at", 0)) <= ttl:
            return dict(saved.get("org") or {}) or None
    except (OSError, ValueError, TypeError):
        pass
    org = await client.org()
    if org:
        kept = {k: org[k] for k in ("id", "zgid", "company_name", "time_zone", "domain_name") if k in org}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_suffix(f".{os.getpid()}.tmp")
            temp.write_text(json.dumps({"saved_at": time.time(), "org": kept}), encoding="utf-8")
            os.replace(temp, path)
        except OSError:  # a read-only cache: ask again next time
            pass
    return org


class OrgMetadata:
    """The catalog of one org, cached on disk, corrected when Zoho disagrees with it."""

    def __init__(self, client: AsyncZohoClient, cache: MetadataCache) -> None:
        self.client = client
        self.cache = cache

    @classmethod
    async def open(
        cls, client: AsyncZohoClient, *, root: str | os.PathLike[str] | None = None, ttl: float = 24 * 3600
    ) -> OrgMetadata:
        """The org's cache (one ``org()`` call names it)."""
        key = org_key(client.settings, await client.org())
        return cls(client, MetadataCache(root or cache_root(), key, ttl=ttl))

    async def catalog(self, modules: Iterable[str] | None = None, *, refresh: bool = False) -> Catalog:
        """The catalog with the fields of ``modules`` (default: every module)."""
        return await self.cache.acatalog(
            self.client.modules,
            self.client.fields,
            modules=modules,
            refresh=refresh,
            concurrency=self.client.settings.concurrency,
        )

    async def coql(self, query: str, module: str) -> CoqlPage:
        """Run ``query`` (on ``module``); an unknown column the cache believed in refreshes it."""
        try:
            return await self.client.coql(query)
        except ZohoApiError as exc:
            column = exc.details.get("column_name")
            if (
                exc.code == "INVALID_QUERY"
                and isinstance(column, str)
                and self.cache.on_unknown_column(module, column)
            ):
                await self.catalog([module])  # the cache was out of date: fetch the module again
            raise
