"""ORDER BY a name that is both an alias and a field (review D2, finding 1): one meaning, the
alias, on every path. Over real HTTP against the sandbox of 500 leads, each path's order held
against SQLite reading the same text (SQL takes a bare name in ORDER BY as the select list's
alias first).

``select COUNT(id) as City ... group by City order by City desc`` was ordered by the count on
the pages and in bulk, but by the City field in one call (a LIMIT) and by the sandbox, whose
reading also hung on the name's case. The planner now sends the alias's column
(``order by COUNT(id) desc``) wherever the name is also a field, and the sandbox reads an
ORDER BY name that is an alias as the alias, as its checks already did.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from coqlkit.language import parse
from coqlkit.sandbox.server import Sandbox
from coqlkit.validate import Severity, validate
from tests.execute._support import CATALOG, client_for, running
from tests.execute.oracle import Oracle
from tests.execute.test_groups_runtime_ceiling import analyze

# 54 groups (the null City among them): the count's order and the field's are far apart.
BY_CITY = "select COUNT(id) as City from Leads where id is not null group by City order by City desc"
# SQLite on the same text: GROUP BY the field, ORDER BY the alias (the count).
BY_CITY_SQL = (
    'SELECT COUNT("id") AS "City" FROM "Leads" WHERE "id" IS NOT NULL GROUP BY "City" '
    'ORDER BY "City" DESC, "Leads"."City"'
)
BY_LAST_NAME = "select Last_Name as City from Leads where id is not null order by City desc"
BY_LAST_NAME_SQL = (
    'SELECT "id", "Last_Name" AS "City" FROM "Leads" WHERE "id" IS NOT NULL ORDER BY "City" DESC, "id"'
)
# Email is not grouped here: the alias is the only meaning (the sandbox read the field).
BY_SUM = (
    "select SUM(Annual_Revenue) as Email, Lead_Source from Leads where id is not null "
    "group by Lead_Source order by Email desc"
)
BY_SUM_SQL = (
    'SELECT SUM("Annual_Revenue") AS "Email", "Lead_Source" FROM "Leads" WHERE "id" IS NOT NULL '
    'GROUP BY "Lead_Source" ORDER BY "Email" DESC, "Lead_Source"'
)
BULK = {"strategy": "bulk", "bulk_job_seconds": 1, "bulk_poll_seconds": 0.05}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with running(bulk_seconds=0.1) as running_sandbox:  # a bulk-read job done in 0.1 s
        yield running_sandbox


def _steps(ran: Any) -> set[str]:
    return {step.name for step in ran.plan.steps()}


# ---- the D2 query: every path orders by the count --------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "options", "step"),
    [
        (" limit 2000", {"strategy": "coql", "page_size": 2000, "offset_ceiling": 100_000}, "single call"),
        (" limit 3", {"strategy": "coql", "page_size": 2000, "offset_ceiling": 100_000}, "single call"),
        ("", {"strategy": "coql", "offset_ceiling": 100_000}, "offset pages"),  # 2 pages of 50
        ("", {"strategy": "coql", "page_size": 5, "offset_ceiling": 20}, "offset pages"),  # past the ceiling
        ("", BULK, "bulk read"),
        (" limit 3", BULK, "bulk read"),
    ],
    ids=["one-call", "one-call-limit-3", "pages", "pages-past-the-ceiling", "bulk", "bulk-limit-3"],
)
def test_an_alias_named_like_a_grouped_field_orders_by_the_alias_on_every_path(
    sandbox: Sandbox, oracle: Oracle, suffix: str, options: dict[str, Any], step: str
) -> None:
    expected = [count for (count,) in oracle.rows(BY_CITY_SQL)]
    assert len(expected) == 54 and expected[:3] == [117, 17, 15]  # the field's order starts 2, 5, 8
    ran = analyze(sandbox, BY_CITY + suffix, **options)
    assert step in _steps(ran)
    wanted = expected[:3] if suffix == " limit 3" else expected
    assert ran.table.schema.names == ["City"] and ran.table.column("City").to_pylist() == wanted
    grouped = [c for c in ran.calls if "group by" in c]
    assert grouped or step == "bulk read"
    assert all("order by COUNT(id) desc" in c and "order by City" not in c for c in grouped), grouped
    assert ran.stats.credits == ran.spent


def test_past_the_ceiling_the_records_are_grouped_here_in_the_same_order(
    sandbox: Sandbox, oracle: Oracle
) -> None:
    ran = analyze(sandbox, BY_CITY, strategy="coql", page_size=5, offset_ceiling=20)
    assert any("reached Zoho's 20-group ceiling" in n for n in ran.stats.notes)
    assert ran.table.column("City").to_pylist() == [count for (count,) in oracle.rows(BY_CITY_SQL)]


# ---- the sandbox's own reading, whatever coqlkit sends -------------------------------------


@pytest.mark.parametrize("alias", ["City", "city"])
def test_the_sandbox_reads_an_order_by_name_that_is_an_alias_as_the_alias_in_any_case(
    sandbox: Sandbox, oracle: Oracle, alias: str
) -> None:
    """Sent as written (no planner): the count, with ``as City`` as with ``as city`` (it
    read the field when the alias had the field's spelling)."""
    text = f"select COUNT(id) as {alias} from Leads where id is not null group by City order by {alias} desc limit 5"

    async def main() -> list[Any]:
        async with client_for(sandbox) as client:
            page = await client.coql(text)
            return [record[alias] for record in page.records]

    assert asyncio.run(main()) == [count for (count,) in oracle.rows(BY_CITY_SQL)][:5]


# ---- a record query, and a grouped query whose alias names a field not grouped -----------------


@pytest.mark.parametrize(
    ("suffix", "options", "step"),
    [
        (" limit 2000", {"strategy": "coql", "page_size": 2000, "offset_ceiling": 100_000}, "single call"),
        ("", {"strategy": "coql", "offset_ceiling": 100_000}, "offset pages"),  # 10 pages of 50
        ("", {"strategy": "coql"}, "keyset pages"),  # past the lowered ceiling: sorted here
        ("", BULK, "bulk read"),
    ],
    ids=["one-call", "pages", "keyset-sorted-here", "bulk"],
)
def test_an_alias_named_like_a_field_orders_records_by_the_aliased_column_on_every_path(
    sandbox: Sandbox, oracle: Oracle, suffix: str, options: dict[str, Any], step: str
) -> None:
    expected = [str(i) for i, _ in oracle.rows(BY_LAST_NAME_SQL)]
    ran = analyze(sandbox, BY_LAST_NAME + suffix, **options)
    assert step in _steps(ran)
    assert ran.table.column("id").to_pylist() == expected
    sent = [c for c in ran.calls if not c.startswith("select COUNT(id)")]  # (the probe)
    assert all("order by City" not in c for c in sent), sent
    assert all("order by Last_Name desc" in c for c in sent if step in ("single call", "offset pages"))


@pytest.mark.parametrize(
    ("suffix", "options"),
    [
        (" limit 100", {"strategy": "coql", "page_size": 2000, "offset_ceiling": 100_000}),
        ("", {"strategy": "coql", "page_size": 5, "offset_ceiling": 100_000}),
        ("", BULK),
    ],
    ids=["one-call", "pages", "bulk"],
)
def test_an_alias_named_like_a_field_not_grouped_orders_groups_by_the_alias(
    sandbox: Sandbox, oracle: Oracle, suffix: str, options: dict[str, Any]
) -> None:
    expected = [source for _, source in oracle.rows(BY_SUM_SQL)]
    ran = analyze(sandbox, BY_SUM + suffix, **options)
    assert ran.table.column("Lead_Source").to_pylist() == expected
    assert all("order by Email" not in c for c in ran.calls), ran.calls


# ---- the check ----------------------------------------------------------------------------------


def test_the_check_warns_that_the_name_is_both() -> None:
    (found,) = validate(parse(BY_CITY), CATALOG)
    assert found.severity is Severity.WARNING
    assert found.message == (
        "ORDER BY City names both the alias of COUNT(id) and the grouped field City: "
        "it orders by COUNT(id) (the alias)"
    )
    assert found.hint is not None and "give COUNT(id) another alias" in found.hint
