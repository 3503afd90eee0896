"""An org's metadata as coqlkit uses it: the transport's calls through the on-disk cache.

:class:`OrgMetadata` gives the catalog of the org a client talks to, fetching only what the
cache lacks or holds past its TTL, and keeps the cache honest: when Zoho answers a query
with ``INVALID_QUERY`` for a column the cache still lists, that module's fields are fetched
again (a field was deleted or renamed in the org since the cache was filled).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from coqlkit.catalog import Catalog
from coqlkit.catalog.cache import MetadataCache
from coqlkit.errors import ZohoApiError
from coqlkit.transport import AsyncZohoClient, CoqlPage, Settings

__all__ = ["OrgMetadata", "cache_root", "org_key"]


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/coqlkit/metadata`` (``~/.cache`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "coqlkit" / "metadata"


def org_key(settings: Settings, org: dict[str, Any] | None) -> str:
    """One cache folder per org and data centre: ``eu-4150868`` or ``127.0.0.1-8765-4150868``."""
    where = settings.endpoints.data_center or settings.endpoints.api_base.split("//", 1)[-1].replace(":", "-")
    org = org or {}
    return f"{where}-{org.get('zgid') or org.get('id') or 'org'}"


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
