"""An ORDER BY of 10 fields (COQL's most) leaves no room for the ``id`` that makes the order
of offset pages total: rows tied on every field could fall on either side of a page boundary
in each call, and be skipped. Such a read goes in id order and is sorted here, and gives the
rows Zoho's own sort gives in one call."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from coqlkit.execute import explain_analyze, options_for, prepare
from coqlkit.language import parse
from coqlkit.sandbox.server import Sandbox
from tests.execute._support import CATALOG, Recorder, client_for, running

# Ten fields of few values each: the 500 Leads fall in far fewer groups, most rows are tied.
ORDER = (
    "Email_Opt_Out, Converted__s, Locked__s, Rating desc, Lead_Status, Lead_Source, Industry, "
    "Salutation, Unsubscribed_Mode, Country desc"
)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with running() as running_sandbox:
        yield running_sandbox


def run(sandbox: Sandbox, text: str, **options: Any) -> tuple[list[str], str, list[str]]:
    """The ids of ``text``'s rows in order, its EXPLAIN ANALYZE, the COQL it sent."""
    recorder = Recorder()

    async def main() -> tuple[list[str], str]:
        async with client_for(sandbox, transport=recorder) as client:
            opts = options_for(client, latency_ms=0, strategy="coql", **options)
            plan = await prepare(parse(text), CATALOG, client, opts)
            explained, table, _ = await explain_analyze(plan, client)
            return [str(v) for v in table.column("id").to_pylist()], explained

    ids, explained = asyncio.run(main())
    sent = [c.body["select_query"] for c in recorder.crm() if c.path == "/crm/v8/coql"]
    return ids, explained, sent


@pytest.mark.parametrize("tail", ["", " limit 120 offset 130"])
def test_pages_of_ten_order_by_fields_go_in_id_order_and_are_sorted_here(sandbox: Sandbox, tail: str) -> None:
    query = f"select Last_Name from Leads order by {ORDER}{tail}"
    ids, explained, sent = run(sandbox, query, page_size=50)
    pages = [q for q in sent if not q.startswith("select COUNT(id)")]
    assert len(pages) == 10  # every record, 50 a page
    assert all(q.endswith(f"order by id asc limit 50 offset {50 * n}") for n, q in enumerate(pages))
    assert "local sort by Email_Opt_Out asc" in explained and "no room for id" in explained
    # The same rows, in the same order, as Zoho's (here the sandbox's) sort in one call.
    whole, _, (one,) = run(sandbox, query.replace(" limit 120 offset 130", "") + " limit 500")
    assert "order by Email_Opt_Out asc" in one and "id asc" not in one
    assert ids == (whole[130:250] if tail else whole)
    assert len(set(ids)) == len(ids) == (120 if tail else 500)
