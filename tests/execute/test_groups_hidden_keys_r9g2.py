"""GROUP BY on fields the query does not select (review 9, D #1-#3), over real HTTP against
the sandbox of 500 leads, the ceiling lowered to 200 groups (pages of 50), every result
held against SQLite's own GROUP BY of the sandbox's database.

- ``select COUNT(id) ... group by Email``: a row per Email, in its order. The pages of
  groups fetch the grouped fields the query does not select, and the local aggregate
  groups and sorts by them, both dropping them before the rows are delivered: at the
  ceiling, with ``strategy='bulk'``, ordered by the unselected field, under an alias.
- ``select Company, COUNT(id) ... group by Company, Lead_Source``: two groups of the same
  Company on two pages are two groups, not one seen twice (was: dropped, with a false
  ConsistencyWarning, and the ceiling's fallback blocked). Held, streamed, and planned
  from a count.
- At the ceiling, a budget that cannot pay the COUNT and the cheapest read of as many
  records as the groups is refused before the COUNT, which would be spent for nothing.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest

from coqlkit.errors import ConsistencyWarning, CreditBudgetExceeded, DailyLimitReached
from coqlkit.execute import RunStats, execute, options_for, prepare
from coqlkit.execute.finish import aggregate_table
from coqlkit.language import parse
from coqlkit.plan.planner import plan
from coqlkit.plan.steps import GroupsOrRecords, LocalProject, OffsetPages
from coqlkit.sandbox.server import Sandbox
from tests.execute._support import CATALOG, Recorder, client_for, running
from tests.execute.oracle import Oracle
from tests.execute.test_groups_runtime_ceiling import LOW, analyze, lazily, refused

BY_COMPANY = "select Company, COUNT(id) from Leads group by Company, Lead_Source"
BY_COMPANY_SQL = (
    'SELECT "Company", COUNT("id") FROM "Leads" GROUP BY "Company", "Lead_Source" '
    'ORDER BY "Company", "Lead_Source"'
)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with running(bulk_seconds=0.1) as running_sandbox:  # a bulk-read job done in 0.1 s
        yield running_sandbox


def _no_consistency_warning(caught: list[warnings.WarningMessage]) -> None:
    assert not [w for w in caught if issubclass(w.category, ConsistencyWarning)]


# ---- #1: grouped fields not selected, grouped and sorted by here -------------------------------


@pytest.mark.parametrize(
    ("text", "sql"),
    [
        (
            "select COUNT(id) from Leads group by Email",
            'SELECT COUNT("id") FROM "Leads" GROUP BY "Email" ORDER BY "Email"',
        ),
        (
            "select Email, COUNT(id) from Leads group by Email, Lead_Source",
            'SELECT "Email", COUNT("id") FROM "Leads" GROUP BY "Email", "Lead_Source" '
            'ORDER BY "Email", "Lead_Source"',
        ),
        (
            "select COUNT(id) as n, MAX(Annual_Revenue) from Leads group by Owner, Email "
            "order by COUNT(id) desc",
            'SELECT COUNT("id"), MAX("Annual_Revenue") FROM "Leads" GROUP BY "Owner", "Email" '
            'ORDER BY 1 DESC, "Owner", "Email"',
        ),
        (
            "select COUNT(id) from Leads group by Email order by Email desc",
            'SELECT COUNT("id") FROM "Leads" GROUP BY "Email" ORDER BY "Email" DESC',
        ),
        (
            "select Email as E, COUNT(id) from Leads group by Email",
            'SELECT "Email", COUNT("id") FROM "Leads" GROUP BY "Email" ORDER BY "Email"',
        ),
    ],
    ids=["count-by-email", "one-of-two", "lookup-and-order-by-count", "order-by-unselected", "alias"],
)
def test_groups_past_the_ceiling_by_fields_not_selected_are_the_sandboxs(
    sandbox: Sandbox, oracle: Oracle, text: str, sql: str
) -> None:
    expected = oracle.rows(sql)
    assert len(expected) > 200  # more groups than the lowered ceiling: the records are grouped here
    ran = analyze(sandbox, text, strategy="coql")
    assert ran.rows() == expected
    assert ran.table.schema.names == [c.key for c in ran.plan.columns]  # the query's columns only
    assert any("reached Zoho's 200-group ceiling" in n for n in ran.stats.notes)
    # 4 pages of groups (the grouped fields fetched), the COUNT, 10 pages of records.
    groups = [c for c in ran.calls if "group by" in c]
    assert len(groups) == 4 and all("Email" in c.split(" from ")[0] for c in groups)
    assert ran.calls[4] == "select COUNT(id) from Leads where id is not null"
    assert ran.stats.calls == len(ran.calls) == 15
    assert ran.stats.credits == ran.spent == 15


def test_a_bulk_read_grouped_here_by_fields_not_selected_is_the_sandboxs(
    sandbox: Sandbox, oracle: Oracle
) -> None:
    text = "select COUNT(id) from Leads group by Company, Lead_Source order by Lead_Source desc"
    ran = analyze(sandbox, text, strategy="bulk", bulk_job_seconds=1, bulk_poll_seconds=0.05)
    expected = oracle.rows(
        'SELECT COUNT("id") FROM "Leads" GROUP BY "Company", "Lead_Source" ORDER BY "Lead_Source" DESC, "Company"'
    )
    assert ran.rows() == expected and ran.table.schema.names == ["COUNT(id)"]
    assert ran.calls == ["select COUNT(id) from Leads where id is not null"]  # the probe; the rest is bulk
    assert ran.stats.credits == ran.spent >= 1 + 50


def test_a_group_key_not_in_the_output_is_grouped_and_sorted_by() -> None:
    rows = pa.table(
        {
            "Email": pa.array(["b", None, "a", "b", "a", "c"]),
            "Lead_Source": pa.array(["x", "y", "x", "x", "z", "x"]),
        }
    )
    out = aggregate_table(
        rows,
        pa.schema([("n", pa.int64())]),
        ["Email", "Lead_Source"],
        [("n", "COUNT", "Lead_Source")],
    )
    # (None, y), (a, x), (a, z), (b, x) twice, (c, x): nulls first, then by each key.
    assert out.column_names == ["n"] and out.column("n").to_pylist() == [1, 1, 1, 2, 1]


# ---- #2: two groups sharing the selected fields are two groups ---------------------------------


def test_pages_of_groups_tell_groups_apart_by_every_grouped_field(sandbox: Sandbox, oracle: Oracle) -> None:
    expected = oracle.rows(BY_COMPANY_SQL)
    # The case: a Company whose groups (by Lead_Source) fall on either side of a page of 50.
    assert any(expected[i - 1][0] == expected[i][0] for i in range(50, len(expected), 50))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ran = analyze(sandbox, BY_COMPANY, strategy="coql", offset_ceiling=100_000)
    _no_consistency_warning(caught)
    assert ran.rows() == expected and not ran.stats.notes
    assert sum(ran.table.column("COUNT(id)").to_pylist()) == 500
    assert ran.table.schema.names == ["Company", "COUNT(id)"]
    assert isinstance(ran.plan.root, LocalProject) and isinstance(ran.plan.root.child, OffsetPages)
    sent = ran.calls[0]
    assert sent.startswith("select Company, COUNT(id), Lead_Source from Leads") and "offset 0" in sent
    pages = -(-len(expected) // 50)  # 10 pages (the last short), and no more
    assert all("group by" in c for c in ran.calls) and ran.stats.calls == len(ran.calls) >= pages
    assert ran.stats.credits == ran.spent == ran.stats.calls


def test_pages_of_groups_by_unselected_fields_reach_the_ceiling_and_are_grouped_here(
    sandbox: Sandbox, oracle: Oracle
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ran = analyze(sandbox, BY_COMPANY, strategy="coql")
    _no_consistency_warning(caught)
    assert ran.rows() == oracle.rows(BY_COMPANY_SQL)
    assert any("a COUNT found 500 records" in n for n in ran.stats.notes)
    assert (ran.stats.calls, ran.stats.credits) == (len(ran.calls), ran.spent) == (15, 15)


def test_a_lazy_reader_gets_every_group_once_by_every_grouped_field(sandbox: Sandbox, oracle: Oracle) -> None:
    """Streamed: the groups handed on from the pages are left out of the records grouped
    here by every grouped field, so a Company's other groups are still handed on."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table, stats = lazily(sandbox, BY_COMPANY, strategy="coql")
    _no_consistency_warning(caught)
    got = list(zip(table.column("Company").to_pylist(), table.column("COUNT(id)").to_pylist(), strict=True))
    assert got == oracle.rows(BY_COMPANY_SQL) and table.schema.names == ["Company", "COUNT(id)"]
    assert (stats.calls, stats.credits) == (15, 15)


def test_groups_planned_from_a_count_by_unselected_fields_are_the_sandboxs(
    sandbox: Sandbox, oracle: Oracle
) -> None:
    async def main() -> tuple[Any, pa.Table, RunStats, int]:
        async with client_for(sandbox) as client:
            before = client.credits_used
            made = plan(parse(BY_COMPANY), CATALOG, options_for(client, **LOW, strategy="coql"), rows=500)
            stats = RunStats()
            batches = [b async for b in execute(made, client, stats=stats)]
            return made, pa.Table.from_batches(batches), stats, client.credits_used - before

    made, table, stats, spent = asyncio.run(main())
    assert isinstance(made.root, LocalProject) and isinstance(made.root.child, GroupsOrRecords)
    got = list(zip(table.column("Company").to_pylist(), table.column("COUNT(id)").to_pylist(), strict=True))
    assert got == oracle.rows(BY_COMPANY_SQL)
    assert stats.credits == spent == 4 + 10  # the pages of groups, then the records (no COUNT: known)


# ---- #3: the COUNT is not made when nothing after it could be paid ------------------------------


def test_a_budget_that_cannot_pay_the_count_and_the_cheapest_read_is_refused_before_the_count(
    sandbox: Sandbox,
) -> None:
    # 4 credits left at the ceiling: the COUNT (1) and the cheapest read of 200 records, the
    # fewest that make 200 groups (4 offset pages of 50, 4 credits), need 5.
    exc, calls, spent = refused(
        sandbox, "select COUNT(id) from Leads group by Email", strategy="coql", max_credits=8
    )
    assert len(calls) == 4 and all("group by" in c for c in calls)  # no COUNT sent
    assert spent == 4
    message = str(exc)
    assert message.startswith(
        "the pages of groups reached Zoho's 200-group ceiling (it pages them no further) after 4 calls · "
        "4 credits; counting the records to read and group them here costs 1 credit, and reading them "
        "at least 4 credits more (offset pages, the cheapest way, for 200 records, the fewest that make "
        "so many groups), and the query's budget (max_credits) has 4 of 8 left: stopped there, 4 credits "
        "spent, no COUNT made; run it with strategy='bulk'"
    )
    assert message.endswith(
        "run it with strategy='bulk' (its records read in bulk and grouped here), with a budget of at "
        "least 9, or with a WHERE that matches fewer records"
    )
    assert (exc.needed, exc.left) == (5, 4)


def test_the_orgs_credits_left_today_refuse_before_the_count() -> None:
    # A day of 8 credits: Zoho says 4 are left once the 4 pages of groups are used.
    with running(daily_credits=8) as sandbox:
        recorder = Recorder()

        async def main() -> DailyLimitReached:
            async with client_for(sandbox, transport=recorder) as client:
                made = await prepare(
                    parse("select Email, COUNT(id) from Leads group by Email, Lead_Source"),
                    CATALOG,
                    client,
                    options_for(client, **LOW, strategy="coql"),
                )
                with pytest.raises(CreditBudgetExceeded) as caught:
                    async for _ in execute(made, client):
                        pass
                assert isinstance(caught.value, DailyLimitReached)
                return caught.value

        exc = asyncio.run(main())
        assert "and the org has 4 credits left today: stopped there, 4 credits spent, no COUNT made" in str(
            exc
        )
        assert len(recorder.coql()) == 4 and (exc.needed, exc.left) == (5, 4)
        assert sandbox.state is not None and sandbox.state.credits_used == 4
