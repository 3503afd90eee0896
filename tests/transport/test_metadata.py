"""The org's metadata through the cache, corrected when Zoho says a cached field is gone."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from coqlkit.errors import ZohoApiError
from coqlkit.metadata import OrgMetadata
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import AsyncZohoClient, FileTokenStore
from tests.transport.conftest import settings_for


def test_catalog_is_cached_then_corrected(sandbox: Sandbox, store: FileTokenStore, tmp_path: Path) -> None:
    async def main() -> None:
        async with AsyncZohoClient(settings_for(sandbox, store)) as zoho:
            org = await OrgMetadata.open(zoho, root=tmp_path)
            catalog = await org.catalog(["Leads"])
            assert catalog.module("Leads") is not None and catalog.module("Leads").field("Email") is not None  # type: ignore[union-attr]
            calls = zoho.calls
            await org.catalog(["Leads"])  # from the cache: no call
            assert zoho.calls == calls

            # The org dropped a field the cache still lists (simulated by planting one).
            leads = org.cache.path / "fields" / "Leads.json"
            body = json.loads(leads.read_text())
            body["fields"].append({"api_name": "Ghost_Field", "data_type": "text"})
            leads.write_text(json.dumps(body))
            assert org.cache.believes("Leads", "Ghost_Field")
            with pytest.raises(ZohoApiError) as info:
                await org.coql("select Ghost_Field from Leads where id is not null", "Leads")
            assert info.value.details == {"column_name": "Ghost_Field"}
            assert not org.cache.believes("Leads", "Ghost_Field")  # fetched again from Zoho
            assert org.cache.believes("Leads", "Email")

            # A typo is not the cache's fault: nothing is fetched again.
            calls = zoho.calls
            with pytest.raises(ZohoApiError):
                await org.coql("select Emial from Leads where id is not null", "Leads")
            assert zoho.calls == calls + 1

    asyncio.run(main())


def test_the_org_is_remembered_for_a_day(sandbox: Sandbox, store: FileTokenStore, tmp_path: Path) -> None:
    """Starting again costs no /org call; a day later (or another profile) it asks again."""
    from coqlkit.metadata import known_org

    async def main() -> None:
        async with AsyncZohoClient(settings_for(sandbox, store)) as zoho:
            first = await known_org(zoho, root=tmp_path)
            again = await known_org(zoho, root=tmp_path)
            stale = await known_org(zoho, root=tmp_path, ttl=-1)
            assert first and again and stale
            assert again["zgid"] == first["zgid"] and again["time_zone"] == first["time_zone"]
            assert zoho.calls == 2  # the first and the stale one
            saved = next((tmp_path / "orgs").glob("*.json")).read_text()
            assert sandbox.client_secret not in saved and sandbox.refresh_token not in saved

    asyncio.run(main())
