"""A metadata cache the disk refuses (review 7, export 2): a full or read-only cache
directory is a warning, once, naming it; the bodies fetched are used and kept in memory,
and the query goes on."""

from __future__ import annotations

import asyncio
import warnings
from collections import Counter
from pathlib import Path

import pytest

from coqlkit.catalog import Catalog
from coqlkit.catalog.cache import MetadataCache
from coqlkit.errors import CoqlWarning
from tests.catalog.test_cache import NAMES, TTL, Clock, Fetchers, same


@pytest.fixture
def blocked(tmp_path: Path) -> Path:
    """A cache root no directory can be made at: a file stands where its parent should."""
    (tmp_path / "cache").write_text("not a directory\n", encoding="utf-8")
    return tmp_path / "cache" / "coqlkit" / "metadata"


def test_an_unwritable_cache_warns_once_and_keeps_the_metadata_in_memory(blocked: Path) -> None:
    clock, fetch = Clock(), Fetchers()
    cache = MetadataCache(blocked, "eu-20001234", ttl=TTL, clock=clock)
    with pytest.warns(CoqlWarning) as caught:
        catalog = cache.catalog(fetch.modules, fetch.fields)
    assert same(catalog, Catalog.demo())
    assert len(caught) == 1  # not one per file
    message = str(caught[0].message)
    assert message.startswith(f"cannot write the metadata cache in {blocked}: Not a directory;")
    assert "XDG_CACHE_HOME" in message and "cache_dir" in message
    fetch.reset()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # told already
        assert same(cache.catalog(fetch.modules, fetch.fields), catalog)
    assert fetch.module_calls == 0 and not fetch.field_calls  # from memory: no credit spent again
    assert cache.age() == 0 and cache.believes("Leads", "Last_Name")
    clock.now += TTL + 1
    cache.catalog(fetch.modules, fetch.fields, modules=["Leads"])
    assert fetch.module_calls == 1 and fetch.field_calls == Counter(["Leads"])  # past its TTL


def test_async_loads_and_corrections_work_on_an_unwritable_cache(blocked: Path) -> None:
    fetch = Fetchers()
    cache = MetadataCache(blocked, "eu-20001234", ttl=TTL, clock=Clock())
    with pytest.warns(CoqlWarning, match="cannot write the metadata cache"):
        catalog = asyncio.run(cache.acatalog(fetch.amodules, fetch.afields))
    assert same(catalog, Catalog.demo()) and fetch.field_calls == Counter(NAMES)
    fetch.reset()
    assert cache.on_unknown_column("Leads", "Last_Name")  # Zoho disagreed: forget Leads
    assert not cache.believes("Leads", "Last_Name")
    asyncio.run(cache.acatalog(fetch.amodules, fetch.afields))
    assert fetch.module_calls == 0 and fetch.field_calls == Counter(["Leads"])
    cache.invalidate()
    assert cache.age() is None
    asyncio.run(cache.acatalog(fetch.amodules, fetch.afields))
    assert fetch.module_calls == 1


def test_a_writable_cache_still_writes_its_files(tmp_path: Path) -> None:
    fetch = Fetchers()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cache = MetadataCache(tmp_path / "metadata", "eu-20001234", ttl=TTL, clock=Clock())
        cache.catalog(fetch.modules, fetch.fields)
    assert (cache.path / "fields" / "Leads.json").is_file()
    fetch.reset()
    again = MetadataCache(tmp_path / "metadata", "eu-20001234", ttl=TTL, clock=Clock())
    again.catalog(fetch.modules, fetch.fields)
    assert fetch.module_calls == 0 and not fetch.field_calls
