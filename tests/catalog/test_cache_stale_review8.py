"""What a caller that must not miss a field added to the org asks of the metadata cache:
bodies younger than ``max_age`` (one fetch shared by callers asking at once), the fields of
every module forgotten for a refresh, and which modules a query's unknown names point at."""

from __future__ import annotations

import asyncio
from collections import Counter

from coqlkit.catalog import Catalog
from coqlkit.catalog.cache import MetadataCache
from coqlkit.language import parse
from tests.catalog.test_cache import Clock, Fetchers


def test_max_age_fetches_the_fields_asked_for_when_older(
    cache: MetadataCache, fetch: Fetchers, clock: Clock
) -> None:
    cache.catalog(fetch.modules, fetch.fields, modules=["Leads", "Contacts"])
    fetch.reset()
    clock.now += 600  # within the TTL (an hour), past a 300 s max_age
    cache.catalog(fetch.modules, fetch.fields, modules=["Leads"], max_age=300)
    assert fetch.field_calls == Counter(["Leads"]) and fetch.module_calls == 0  # the list is not asked for
    fetch.reset()
    cache.catalog(fetch.modules, fetch.fields, modules=["Leads"], max_age=300)  # young now
    assert not fetch.field_calls
    cache.catalog(fetch.modules, fetch.fields, modules=[], list_max_age=300)
    assert fetch.module_calls == 1 and not fetch.field_calls


def test_callers_asking_at_once_share_one_fetch(cache: MetadataCache, fetch: Fetchers, clock: Clock) -> None:
    cache.catalog(fetch.modules, fetch.fields, modules=["Leads"])
    fetch.reset()
    clock.now += 600

    async def burst() -> None:
        await asyncio.gather(
            *(
                cache.acatalog(
                    fetch.amodules, fetch.afields, modules=["Leads"], max_age=300, list_max_age=300
                )
                for _ in range(8)
            )
        )

    asyncio.run(burst())
    assert fetch.field_calls == Counter(["Leads"]) and fetch.module_calls == 1


def test_forget_fields_keeps_the_list_and_what_is_kept(cache: MetadataCache, fetch: Fetchers) -> None:
    cache.catalog(fetch.modules, fetch.fields, modules=["Leads", "Contacts", "Accounts"])
    cache.forget_fields(keep=["Contacts"])
    assert cache.age("Leads") is None and cache.age("Accounts") is None
    assert cache.age("Contacts") is not None and cache.age() is not None
    assert sorted(p.name for p in (cache.path / "fields").iterdir()) == ["Contacts.json"]
    fetch.reset()
    catalog = cache.catalog(fetch.modules, fetch.fields, modules=["Leads", "Contacts"])
    assert fetch.field_calls == Counter(["Leads"]) and fetch.module_calls == 0
    assert catalog.module("Accounts").fields is None  # type: ignore[union-attr]
    cache.forget_fields()
    assert not list((cache.path / "fields").iterdir())


def test_lacking_names_the_module_whose_fields_lack_a_name(demo: Catalog) -> None:
    through = parse("select Account_Name.Churn_Risk from Contacts where Emial = 'x'")
    assert demo.lacking(through) == {"Accounts": {"Account_Name.Churn_Risk"}, "Contacts": {"Emial"}}
    assert demo.lacking(parse("select Last_Name from Churn_Scores")) == {"": {"Churn_Scores"}}
    nested = parse("select Last_Name from Leads where id in (select Lead_Nme from Calls)")
    assert demo.lacking(nested) == {"Calls": {"Lead_Nme"}}
    # Not a name the metadata lacks: a path through a field that is no lookup, too many hops.
    assert demo.lacking(parse("select Email.x, Owner.role.reporting_to.name from Leads")) == {}
    assert demo.lacking(parse("select Last_Name, Owner.full_name from Leads")) == {}
