"""Pages of groups at Zoho's group ceiling (review 10, G3), over real HTTP against the
sandbox of 500 leads, with the ceiling lowered (``offset_ceiling``, pages of 50), every
result held against SQLite's own GROUP BY of the sandbox's database.

#1 Exactly as many groups as the ceiling: the last page, at the ceiling, comes back full
and Zoho says it has no more (``more_records: false``). Those are every group: delivered as
they are, with no COUNT and no read of the records (was: both, credits for nothing). One
group more, or an answer that does not say, still goes the COUNT-and-read way.

#2 An alias named like a grouped field the query does not select: the pages now fetch the
grouped field (the aliased column under its own name, given back its alias above), so a
lazy reader at the ceiling gets every group once (was: a PlanError at the ceiling).
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from coqlkit.execute import RunStats, execute, options_for, prepare
from coqlkit.language import parse
from coqlkit.sandbox.server import Sandbox
from tests.execute._support import CATALOG, Call, Recorder, client_for, running
from tests.execute.oracle import Oracle
from tests.execute.test_groups_runtime_ceiling import BY_EMAIL, analyze, lazily

BY_EMAIL_SQL = 'SELECT "Email", COUNT("id") FROM "Leads" GROUP BY 1 ORDER BY 1'


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with running() as running_sandbox:
        yield running_sandbox


def _pages_to(ceiling: int) -> int:
    """The pages of groups that reach a ceiling of ``ceiling`` groups, 50 a page."""
    return math.ceil(ceiling / 50)


# ---- #1: exactly as many groups as the ceiling ------------------------------------------------


def test_exactly_as_many_groups_as_the_ceiling_are_delivered_with_no_count(
    sandbox: Sandbox, oracle: Oracle
) -> None:
    expected = oracle.rows(BY_EMAIL_SQL)
    ceiling = len(expected)  # the ceiling lowered to the very number of groups: the case
    ran = analyze(sandbox, BY_EMAIL, strategy="coql", offset_ceiling=ceiling)
    assert ran.rows() == expected
    # The pages of groups alone: no COUNT, no record read, nothing said about a ceiling.
    assert ran.calls and all(c.startswith("select Email, COUNT(id) from Leads") for c in ran.calls)
    assert ran.calls[-1].endswith(f"limit {ceiling - 400} offset 400")  # the last page, at the ceiling
    pages = _pages_to(ceiling)
    assert (ran.stats.calls, ran.stats.credits) == (len(ran.calls), ran.spent) == (pages, pages)
    assert not ran.stats.notes and "at the ceiling: the records" not in ran.explained


def test_a_lazy_reader_of_exactly_as_many_groups_as_the_ceiling_spends_the_pages_alone(
    sandbox: Sandbox, oracle: Oracle
) -> None:
    expected = oracle.rows(BY_EMAIL_SQL)
    table, stats = lazily(sandbox, BY_EMAIL, strategy="coql", offset_ceiling=len(expected))
    got = list(zip(table.column("Email").to_pylist(), table.column("COUNT(id)").to_pylist(), strict=True))
    assert got == expected
    assert (stats.calls, stats.credits) == (_pages_to(len(expected)),) * 2 and not stats.notes


def test_one_group_more_than_the_ceiling_is_counted_then_read_and_grouped_here(
    sandbox: Sandbox, oracle: Oracle
) -> None:
    expected = oracle.rows(BY_EMAIL_SQL)
    ceiling = len(expected) - 1  # Zoho says its last page at the ceiling has more after it
    ran = analyze(sandbox, BY_EMAIL, strategy="coql", offset_ceiling=ceiling)
    assert ran.rows() == expected
    pages = _pages_to(ceiling)
    assert ran.calls[pages] == "select COUNT(id) from Leads where id is not null"
    assert all("group by" not in c for c in ran.calls[pages:])
    assert any(f"reached Zoho's {ceiling}-group ceiling" in n for n in ran.stats.notes)
    assert ran.stats.credits == ran.spent == len(ran.calls) > pages + 1


def _unsaid(call: Call, response: httpx.Response) -> httpx.Response:
    """A reply hook: COQL answers without ``more_records`` (Zoho's v8 examples show pages
    with no ``info``; the sandbox always says it, so the answer is changed on its way)."""
    if call.path != "/crm/v8/coql" or response.status_code != 200:
        return response
    body: dict[str, Any] = json.loads(response.content)
    body.get("info", {}).pop("more_records", None)
    return httpx.Response(
        200, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )


def test_exactly_as_many_groups_as_the_ceiling_not_said_to_be_all_are_counted_and_read(
    oracle: Oracle,
) -> None:
    """Zoho not saying whether more groups lie past the ceiling: taken as more, as before
    (a COUNT and a read rather than groups silently missing)."""
    expected = oracle.rows(BY_EMAIL_SQL)
    recorder = Recorder(reply=_unsaid)

    async def main() -> tuple[list[tuple[Any, ...]], RunStats]:
        with running() as sandbox:
            async with client_for(sandbox, transport=recorder) as client:
                options = options_for(
                    client, page_size=50, offset_ceiling=len(expected), latency_ms=0, strategy="coql"
                )
                plan = await prepare(parse(BY_EMAIL), CATALOG, client, options)
                stats = RunStats()
                rows: list[tuple[Any, ...]] = []
                async for batch in execute(plan, client, stats=stats):
                    rows += zip(*(c.to_pylist() for c in batch.columns), strict=True)
                return rows, stats

    rows, stats = asyncio.run(main())
    assert rows == expected
    sent = [c.coql for c in recorder.coql()]
    assert "select COUNT(id) from Leads where id is not null" in sent
    assert any("a COUNT found 500 records" in n for n in stats.notes)


# ---- #2: an alias named like a grouped field the query does not select ------------------------


@pytest.mark.parametrize(
    ("text", "sql"),
    [
        (
            "select COUNT(id) as Email from Leads group by Email",
            'SELECT COUNT("id") FROM "Leads" GROUP BY "Email" ORDER BY "Email"',
        ),
        (
            "select Lead_Source as Email, COUNT(id) from Leads group by Email, Lead_Source",
            'SELECT "Lead_Source", COUNT("id") FROM "Leads" GROUP BY "Email", "Lead_Source" '
            'ORDER BY "Email", "Lead_Source"',
        ),
        (  # ORDER BY the alias: the count, ties in the grouped field's order
            "select COUNT(id) as Email from Leads group by Email order by Email desc",
            'SELECT COUNT("id") FROM "Leads" GROUP BY "Email" ORDER BY 1 DESC, "Email"',
        ),
    ],
    ids=["aggregate", "grouped-field", "ordered-by-the-alias"],
)
def test_a_lazy_reader_at_the_ceiling_gets_every_group_once_under_an_alias_named_like_a_grouped_field(
    sandbox: Sandbox, oracle: Oracle, text: str, sql: str
) -> None:
    expected = oracle.rows(sql)
    assert len(expected) > 200  # past the lowered ceiling: the records are grouped here
    table, stats = lazily(sandbox, text, strategy="coql")
    assert table.schema.names == [k for k in ("Email", "COUNT(id)") if k in table.schema.names]
    got = list(zip(*(c.to_pylist() for c in table.columns), strict=True))
    assert got == expected
    assert any("reached Zoho's 200-group ceiling" in n for n in stats.notes)
    assert (stats.calls, stats.credits) == (15, 15)  # 4 pages of groups, the COUNT, 10 of records


def test_held_groups_under_an_alias_named_like_a_grouped_field_are_the_sandboxs(
    sandbox: Sandbox, oracle: Oracle
) -> None:
    text = "select COUNT(id) as Email from Leads group by Email order by Email desc"
    expected = oracle.rows('SELECT COUNT("id") FROM "Leads" GROUP BY "Email" ORDER BY 1 DESC, "Email"')
    ran = analyze(sandbox, text, strategy="coql")
    assert ran.rows() == expected and ran.table.schema.names == ["Email"]
    groups = [c for c in ran.calls if "group by" in c]
    assert len(groups) == 4 and all(c.startswith("select COUNT(id), Email from Leads") for c in groups)
    assert (ran.stats.calls, ran.stats.credits) == (len(ran.calls), ran.spent) == (15, 15)


def test_pages_under_an_alias_named_like_a_grouped_field_below_the_ceiling_are_the_sandboxs(
    sandbox: Sandbox, oracle: Oracle
) -> None:
    """Below the ceiling: the pages alone, every group told apart by the grouped field."""
    text = "select Lead_Source as Email, COUNT(id) from Leads group by Email, Lead_Source"
    expected = oracle.rows(
        'SELECT "Lead_Source", COUNT("id") FROM "Leads" GROUP BY "Email", "Lead_Source" ORDER BY "Email", 1'
    )
    ran = analyze(sandbox, text, strategy="coql", offset_ceiling=100_000)
    assert ran.rows() == expected and ran.table.schema.names == ["Email", "COUNT(id)"]
    assert all(c.startswith("select Lead_Source, COUNT(id), Email from Leads") for c in ran.calls)
    # Every page up to the short one (pages asked for ahead of it are sent and charged too).
    assert not ran.stats.notes and ran.stats.calls == len(ran.calls) == ran.spent >= _pages_to(len(expected))
