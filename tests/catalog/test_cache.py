"""The metadata cache: Zoho's bodies on disk per org, fetched again after a time to live."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from coqlkit.catalog import Catalog, demo
from coqlkit.catalog.cache import MetadataCache
from coqlkit.errors import CatalogError

TTL = 3600.0
NAMES = demo.module_names()


class Boom(Exception):
    pass


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


class Fetchers:
    """Fake fetchers that count their calls (sync and async) and can be told to fail."""

    def __init__(self) -> None:
        self.module_calls = 0
        self.field_calls: Counter[str] = Counter()
        self.fail: str | None = None  # "modules" or a module name
        self.empty: set[str] = set()  # modules answered with Zoho's 204 (None)
        self.active = 0
        self.max_active = 0

    def modules(self) -> Mapping[str, Any]:
        self.module_calls += 1
        if self.fail == "modules":
            raise Boom("modules")
        return demo.modules_payload()

    def fields(self, name: str) -> Mapping[str, Any] | None:
        self.field_calls[name] += 1
        if self.fail == name:
            raise Boom(name)
        return None if name in self.empty else demo.fields_payload(name)

    async def amodules(self) -> Mapping[str, Any]:
        await asyncio.sleep(0)
        return self.modules()

    async def afields(self, name: str) -> Mapping[str, Any] | None:
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            await asyncio.sleep(0.005)
            return self.fields(name)
        finally:
            self.active -= 1

    def reset(self) -> None:
        self.module_calls = 0
        self.field_calls.clear()


def load(cache: MetadataCache, fetch: Fetchers, **kwargs: Any) -> Catalog:
    return cache.catalog(fetch.modules, fetch.fields, **kwargs)


def same(a: Catalog, b: Catalog) -> bool:
    return list(a) == list(b)


def test_first_load_fetches_everything_once_and_writes_the_files(
    cache: MetadataCache, fetch: Fetchers
) -> None:
    catalog = load(cache, fetch)
    assert fetch.module_calls == 1
    assert fetch.field_calls == Counter(NAMES)
    assert same(catalog, Catalog.demo())
    assert cache.path == cache.root / "eu-20001234"
    assert json.loads((cache.path / "modules.json").read_text("utf-8")) == demo.modules_payload()
    assert json.loads((cache.path / "fields" / "Leads.json").read_text("utf-8")) == demo.fields_payload(
        "Leads"
    )
    assert (cache.path / "meta.json").is_file()
    assert not [p for p in cache.path.rglob("*") if p.name.endswith(".tmp")]


def test_a_second_load_within_the_ttl_fetches_nothing(
    cache: MetadataCache, fetch: Fetchers, clock: Clock
) -> None:
    first = load(cache, fetch)
    fetch.reset()
    clock.now += TTL - 1
    second = load(cache, fetch)
    assert fetch.module_calls == 0 and not fetch.field_calls
    assert same(first, second)
    # A new cache object on the same directory (another process) reads the same files.
    again = MetadataCache(cache.root, "eu-20001234", ttl=TTL, clock=clock)
    assert same(load(again, fetch), first)
    assert fetch.module_calls == 0 and not fetch.field_calls


def test_after_the_ttl_everything_is_fetched_again(
    cache: MetadataCache, fetch: Fetchers, clock: Clock
) -> None:
    load(cache, fetch)
    fetch.reset()
    clock.now += TTL + 1
    assert same(load(cache, fetch), Catalog.demo())
    assert fetch.module_calls == 1
    assert fetch.field_calls == Counter(NAMES)


def test_a_clock_gone_backwards_counts_as_stale(cache: MetadataCache, fetch: Fetchers, clock: Clock) -> None:
    load(cache, fetch)
    fetch.reset()
    clock.now -= 10
    load(cache, fetch)
    assert fetch.module_calls == 1


def test_refresh_fetches_again(cache: MetadataCache, fetch: Fetchers) -> None:
    load(cache, fetch)
    fetch.reset()
    load(cache, fetch, refresh=True)
    assert fetch.module_calls == 1
    assert fetch.field_calls == Counter(NAMES)


def test_modules_limits_the_fields_fetched(cache: MetadataCache, fetch: Fetchers) -> None:
    catalog = load(cache, fetch, modules=["Leads"])
    assert fetch.module_calls == 1
    assert fetch.field_calls == Counter(["Leads"])
    assert catalog.module("Leads").fields is not None  # type: ignore[union-attr]
    assert catalog.module("Contacts").fields is None  # type: ignore[union-attr]
    assert len(catalog) == len(NAMES)
    # A module name alone, repeated names and modules the org does not have are fine.
    fetch.reset()
    catalog = load(cache, fetch, modules="Contacts")
    catalog = load(cache, fetch, modules=["Contacts", "Contacts", "Nonexistent"])
    assert fetch.field_calls == Counter(["Contacts"])
    # Modules not asked for keep what is cached.
    assert catalog.module("Leads").fields is not None  # type: ignore[union-attr]
    assert catalog.module("Accounts").fields is None  # type: ignore[union-attr]


def test_invalidate_one_module_or_everything(cache: MetadataCache, fetch: Fetchers) -> None:
    load(cache, fetch)
    fetch.reset()
    cache.invalidate("Leads")
    assert cache.age("Leads") is None and cache.age() is not None
    assert same(load(cache, fetch), Catalog.demo())
    assert fetch.module_calls == 0
    assert fetch.field_calls == Counter(["Leads"])
    fetch.reset()
    cache.invalidate()
    assert cache.age() is None
    load(cache, fetch)
    assert fetch.module_calls == 1
    assert fetch.field_calls == Counter(NAMES)
    # Invalidating what is not cached is no error.
    MetadataCache(cache.root, "other").invalidate("Leads")
    MetadataCache(cache.root, "other").invalidate()


def test_age(cache: MetadataCache, fetch: Fetchers, clock: Clock) -> None:
    assert cache.age() is None and cache.age("Leads") is None
    load(cache, fetch, modules=["Leads"])
    clock.now += 42
    assert cache.age() == 42 and cache.age("Leads") == 42
    assert cache.age("Contacts") is None


def test_believes_and_unknown_columns(cache: MetadataCache, fetch: Fetchers) -> None:
    assert not cache.believes("Leads", "Last_Name")  # nothing cached: no fetch either
    assert fetch.module_calls == 0
    load(cache, fetch)
    fetch.reset()
    assert cache.believes("Leads", "Last_Name")
    assert not cache.believes("Leads", "last_name")  # API names are case-sensitive
    assert not cache.believes("Leads", "No_Such_Field")
    assert not cache.believes("No_Such_Module", "Last_Name")

    assert cache.on_unknown_column("Leads", "No_Such_Field") is False
    assert cache.believes("Leads", "Last_Name")  # nothing was forgotten

    assert cache.on_unknown_column("Leads", "Last_Name") is True
    assert not cache.believes("Leads", "Last_Name")
    assert cache.believes("Contacts", "Last_Name")
    load(cache, fetch)
    assert fetch.module_calls == 0
    assert fetch.field_calls == Counter(["Leads"])


def test_an_unknown_path_forgets_the_modules_it_goes_through(cache: MetadataCache, fetch: Fetchers) -> None:
    load(cache, fetch)
    fetch.reset()
    assert cache.on_unknown_column("Contacts", "Account_Name.No_Such_Field") is False
    assert cache.on_unknown_column("Contacts", "Last_Name.Anything") is False  # not a lookup
    assert cache.on_unknown_column("Contacts", "Account_Name.Account_Name") is True
    load(cache, fetch)
    assert fetch.field_calls == Counter(["Contacts", "Accounts"])


def test_no_fields_is_stored_as_an_empty_list(cache: MetadataCache, fetch: Fetchers) -> None:
    fetch.empty = {"Leads"}
    catalog = load(cache, fetch)
    leads = catalog.module("Leads")
    assert leads is not None and leads.fields is not None and list(leads.fields) == ["id"]
    assert json.loads((cache.path / "fields" / "Leads.json").read_text("utf-8")) == {"fields": []}
    fetch.reset()
    load(cache, fetch)
    assert not fetch.field_calls


@pytest.mark.parametrize(
    ("file", "text"),
    [
        ("fields/Leads.json", '{"fields": [{"api_name": "Last'),  # cut short
        ("fields/Leads.json", "[1, 2]"),  # JSON, but not an object
        ("fields/Leads.json", '{"fields": [{"data_type": "text"}]}'),  # a field without a name
        ("fields/Leads.json", b"\xff\xfe\x00garbage"),
        ("modules.json", "not json"),
        ("modules.json", '{"modules": 5}'),
        ("meta.json", "{{{"),
        ("meta.json", '{"fetched": {"modules.json": "yesterday", "fields/Leads.json": NaN}}'),
    ],
)
def test_a_corrupt_file_is_fetched_again(
    cache: MetadataCache, fetch: Fetchers, file: str, text: str | bytes
) -> None:
    load(cache, fetch)
    fetch.reset()
    path = cache.path / file
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    assert same(load(cache, fetch), Catalog.demo())
    if file == "modules.json":
        assert fetch.module_calls == 1
    elif file.startswith("fields/"):
        assert fetch.module_calls == 0 and fetch.field_calls == Counter(["Leads"])
    else:
        assert fetch.module_calls == 1 and fetch.field_calls["Leads"] == 1
    fetch.reset()
    load(cache, fetch)
    assert fetch.module_calls == 0 and not fetch.field_calls


def test_a_failing_fetcher_propagates_and_leaves_the_files(
    cache: MetadataCache, fetch: Fetchers, clock: Clock
) -> None:
    load(cache, fetch)
    before = {p: p.read_bytes() for p in cache.path.rglob("*.json") if p.name != "meta.json"}
    clock.now += TTL + 1
    fetch.fail = "Leads"
    with pytest.raises(Boom) as raised:
        load(cache, fetch)
    assert raised.value.args == ("Leads",)
    assert (cache.path / "fields" / "Leads.json").read_bytes() == before[cache.path / "fields" / "Leads.json"]
    assert not [p for p in cache.path.rglob("*") if p.is_file() and p.suffix != ".json"]  # no temp file
    cache.invalidate()
    fetch.fail = "modules"
    with pytest.raises(Boom):
        load(cache, fetch)
    assert not [p for p in cache.path.rglob("*") if p.is_file() and p.name != "meta.json"]


def test_a_body_that_is_not_metadata_is_refused_and_not_cached(cache: MetadataCache) -> None:
    with pytest.raises(CatalogError):
        cache.catalog(lambda: {"modules": [{"no": "api_name"}]}, lambda name: None)
    with pytest.raises(CatalogError):
        cache.catalog(lambda: ["not", "an object"], lambda name: None)  # type: ignore[arg-type,return-value]
    assert not (cache.path / "modules.json").exists()
    with pytest.raises(CatalogError):
        cache.catalog(demo.modules_payload, lambda name: {"fields": [{"label": "no api_name"}]})
    assert not (cache.path / "fields" / "Leads.json").exists()


def test_async_fetches_concurrently_within_the_bound(
    cache: MetadataCache, fetch: Fetchers, tmp_path: Path, clock: Clock
) -> None:
    catalog = asyncio.run(cache.acatalog(fetch.amodules, fetch.afields, concurrency=3))
    assert fetch.max_active == 3
    assert fetch.module_calls == 1 and fetch.field_calls == Counter(NAMES)
    assert same(catalog, Catalog.demo())
    assert same(catalog, load(MetadataCache(tmp_path / "sync", "x", clock=clock), Fetchers()))
    fetch.reset()
    again = asyncio.run(cache.acatalog(fetch.amodules, fetch.afields, modules=["Leads"]))
    assert fetch.module_calls == 0 and not fetch.field_calls
    assert same(again, catalog)
    fetch.max_active = 0
    asyncio.run(cache.acatalog(fetch.amodules, fetch.afields, refresh=True, concurrency=1))
    assert fetch.max_active == 1
    with pytest.raises(ValueError, match="concurrency"):
        asyncio.run(cache.acatalog(fetch.amodules, fetch.afields, concurrency=0))


def test_async_failure_propagates_and_cancels_the_rest(
    cache: MetadataCache, fetch: Fetchers, tmp_path: Path
) -> None:
    fetch.fail = "Contacts"
    with pytest.raises(Boom, match="Contacts"):
        asyncio.run(cache.acatalog(fetch.amodules, fetch.afields, concurrency=2))
    assert fetch.active == 0
    assert sum(fetch.field_calls.values()) < len(NAMES)
    assert not (cache.path / "fields" / "Contacts.json").exists()
    fetch.fail = None
    fetch.reset()
    assert same(asyncio.run(cache.acatalog(fetch.amodules, fetch.afields)), Catalog.demo())
    assert fetch.module_calls == 0 and "Leads" not in fetch.field_calls  # kept from the first run


def test_write_snapshot_round_trips(cache: MetadataCache, fetch: Fetchers, tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no metadata"):
        cache.write_snapshot(tmp_path / "snap")
    catalog = load(cache, fetch)
    cache.write_snapshot(tmp_path / "snap")
    assert same(Catalog.from_snapshot(tmp_path / "snap"), catalog)
    cache.invalidate("Leads")
    cache.write_snapshot(tmp_path / "partial")
    partial = Catalog.from_snapshot(tmp_path / "partial")
    assert partial.module("Leads").fields is None  # type: ignore[union-attr]
    assert partial.module("Contacts") == catalog.module("Contacts")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_permissions(cache: MetadataCache, fetch: Fetchers) -> None:
    old = os.umask(0o022)
    try:
        load(cache, fetch, modules=["Leads"])
    finally:
        os.umask(old)
    assert cache.path.stat().st_mode & 0o777 == 0o700
    assert (cache.path / "modules.json").stat().st_mode & 0o777 == 0o644
    assert (cache.path / "fields" / "Leads.json").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("key", ["../evil", "..", ".", "a/b", "/etc", "a\\b", "x/../../y", "~", " "])
def test_an_org_key_cannot_escape_the_root(tmp_path: Path, fetch: Fetchers, key: str) -> None:
    root = tmp_path / "root" / "metadata"
    cache = MetadataCache(root, key)
    assert cache.path.parent == root
    assert cache.path.name not in ("", ".", "..")
    load(cache, fetch, modules=["Leads"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["root"]
    assert [p.name for p in (tmp_path / "root").iterdir()] == ["metadata"]
    assert list(root.iterdir()) == [cache.path]


def test_org_keys_keep_their_names_or_get_distinct_ones(tmp_path: Path) -> None:
    assert MetadataCache(tmp_path, "127.0.0.1-8765").path.name == "127.0.0.1-8765"
    assert MetadataCache(tmp_path, "eu-20001234").path.name == "eu-20001234"
    names = {MetadataCache(tmp_path, key).path.name for key in ("a/b", "a_b", "a\\b", "a:b")}
    assert len(names) == 4
    with pytest.raises(ValueError, match="org_key"):
        MetadataCache(tmp_path, "")
