"""GROUP BY past Zoho's group ceiling on the default path, with no COUNT probe up front:
the pages of groups are held; when they reach the ceiling, the records are counted then,
read as the planner picks from that count (within what the budget and the org's credits
today leave) and grouped here. Queries whose groups end below the ceiling cost what their
pages cost, as before.

Over real HTTP against a sandbox of 500 leads, with the ceiling lowered to 200 groups
(``offset_ceiling``, pages of 50): the pages of groups reach it with a few calls, and the
result is held against SQLite's own GROUP BY of the sandbox's database.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest

from coqlkit.errors import CreditBudgetExceeded, DailyLimitReached
from coqlkit.execute import RunStats, execute, explain_analyze, options_for, prepare
from coqlkit.execute.arrow import schema
from coqlkit.execute.scan import scan
from coqlkit.language import parse
from coqlkit.plan.explain import Actual
from coqlkit.plan.planner import Plan, plan
from coqlkit.plan.steps import OffsetPages
from coqlkit.sandbox.server import Sandbox
from tests.execute._support import CATALOG, Recorder, client_for, running
from tests.execute.oracle import Oracle

LOW = {"page_size": 50, "offset_ceiling": 200, "latency_ms": 0}  # 4 pages reach the ceiling
BY_EMAIL = "select Email, COUNT(id) from Leads group by Email"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with running() as running_sandbox:
        yield running_sandbox


class Ran:
    """A query prepared (no probe: a GROUP BY is not counted) and read to the end."""

    def __init__(self, plan: Plan, explained: str, table: pa.Table, stats: RunStats) -> None:
        self.plan, self.explained, self.table, self.stats = plan, explained, table, stats
        self.calls: list[str] = []  # the COQL sent, in order
        self.spent = 0  # the client's credits_used for the query

    def rows(self) -> list[tuple[Any, ...]]:
        columns = [self.table.column(i).to_pylist() for i in range(self.table.num_columns)]
        return list(zip(*columns, strict=True))


def analyze(sandbox: Sandbox, text: str, **options: Any) -> Ran:
    recorder = Recorder()

    async def main() -> Ran:
        async with client_for(sandbox, transport=recorder) as client:
            before = client.credits_used
            plan = await prepare(parse(text), CATALOG, client, options_for(client, **{**LOW, **options}))
            explained, table, stats = await explain_analyze(plan, client)
            ran = Ran(plan, explained, table, stats)
            ran.spent = client.credits_used - before
            return ran

    ran = asyncio.run(main())
    ran.calls = [c.coql for c in recorder.coql()]
    return ran


def refused(sandbox: Sandbox, text: str, **options: Any) -> tuple[CreditBudgetExceeded, list[str], int]:
    """``text`` run until it is refused: the refusal, the COQL sent, the credits spent."""
    recorder = Recorder()

    async def main() -> tuple[CreditBudgetExceeded, int]:
        async with client_for(sandbox, transport=recorder) as client:
            plan = await prepare(parse(text), CATALOG, client, options_for(client, **{**LOW, **options}))
            with pytest.raises(CreditBudgetExceeded) as caught:
                async for _ in execute(plan, client):
                    pass
            return caught.value, client.credits_used

    exc, spent = asyncio.run(main())
    return exc, [c.coql for c in recorder.coql()], spent


# ---- past the ceiling: counted then, read and grouped here ------------------------------------


def test_groups_past_the_ceiling_are_counted_then_read_and_grouped_here(
    sandbox: Sandbox, oracle: Oracle
) -> None:
    ran = analyze(sandbox, BY_EMAIL, strategy="coql")
    assert ran.plan.probe is None and isinstance(ran.plan.root, OffsetPages)
    expected = oracle.rows('SELECT "Email", COUNT("id") FROM "Leads" GROUP BY 1 ORDER BY 1')
    assert len(expected) > 200  # more groups than the (lowered) ceiling: the case
    assert ran.rows() == expected  # every group, in Zoho's order (by the grouped field), nulls first
    assert ran.table.schema.field("COUNT(id)").type == pa.int64()
    # What ran: 4 pages of groups (200 rows), then one COUNT, then the records in id order.
    groups = [c for c in ran.calls if "group by" in c]
    assert len(groups) == 4 and all(c.startswith("select Email, COUNT(id) from Leads") for c in groups)
    assert ran.calls[4] == "select COUNT(id) from Leads where id is not null"
    records = ran.calls[5:]
    assert records and all(
        c.startswith("select Email from Leads") and "order by id asc" in c for c in records
    )
    # Every call counted: the stats, the client's credits_used and the calls sent agree.
    assert ran.stats.calls == len(ran.calls) == 4 + 1 + 10
    assert ran.stats.credits == ran.spent == 4 + 1 + 10
    assert any(
        "reached Zoho's 200-group ceiling (it pages them no further) after 4 credits: a COUNT found 500 "
        "records" in note
        for note in ran.stats.notes
    )
    # EXPLAIN ANALYZE shows the COUNT and the read that ran at the ceiling, with their figures.
    text = ran.explained
    assert "actual: 4 calls, 4 credits, 200 rows" in text
    assert "at the ceiling: the records counted, then read and grouped here instead" in text
    assert "COUNT · 1 call · 1 credit · 500 records match · actual: 1 call, 1 credit" in text
    assert "keyset pages · 3 windows of up to 200 rows in id order · 10 calls · 10 credits" in text
    assert "Actual: " + f"{len(expected)} rows · 15 calls · 15 credits" in text


def test_an_order_and_a_where_are_kept_when_the_records_are_grouped_here(
    sandbox: Sandbox, oracle: Oracle
) -> None:
    text = (
        "select Email, Lead_Status, SUM(No_of_Employees), MAX(Annual_Revenue) from Leads "
        "where Annual_Revenue > 0 group by Email, Lead_Status order by SUM(No_of_Employees) desc offset 7"
    )
    ran = analyze(sandbox, text)  # strategy auto: the cost model picks the records' read
    expected = oracle.rows(
        'SELECT "Email", "Lead_Status", SUM("No_of_Employees"), MAX("Annual_Revenue") FROM "Leads" '
        'WHERE "Annual_Revenue" > 0 GROUP BY 1, 2'
    )
    assert len(expected) > 200 + 7
    assert any("reached Zoho's 200-group ceiling" in n for n in ran.stats.notes)
    # Ordered by the sum, highest first, nulls last, ties in the grouped fields' order (as
    # Zoho's pages were asked for them); the OFFSET skips the first 7 groups.
    wanted = oracle.rows(
        'SELECT "Email", "Lead_Status", SUM("No_of_Employees"), MAX("Annual_Revenue") FROM "Leads" '
        'WHERE "Annual_Revenue" > 0 GROUP BY 1, 2 ORDER BY 3 DESC NULLS LAST, 1, 2 LIMIT -1 OFFSET 7'
    )
    assert ran.rows() == wanted
    assert ran.stats.credits == ran.spent and ran.stats.calls == len(ran.calls)


def lazily(sandbox: Sandbox, text: str, *, first: bool = False, **options: Any) -> tuple[pa.Table, RunStats]:
    """``text`` read as a lazy reader reads it (``iter(result)``, DB-API ``fetchone``):
    every batch, or (``first``) the first one alone, then closed."""

    async def main() -> tuple[pa.Table, RunStats]:
        async with client_for(sandbox) as client:
            plan = await prepare(parse(text), CATALOG, client, options_for(client, **{**LOW, **options}))
            stats = RunStats()
            batches: list[pa.RecordBatch] = []
            async with contextlib.aclosing(execute(plan, client, stats=stats, lazy="ramp")) as source:
                async for batch in source:
                    batches.append(batch)
                    if first:
                        break
            return pa.Table.from_batches(batches), stats

    return asyncio.run(main())


def test_a_lazy_reader_gets_the_groups_as_they_come_then_the_rest_grouped_here(
    sandbox: Sandbox, oracle: Oracle
) -> None:
    """Streamed, not held: the groups Zoho gave are handed on as they come; at the ceiling,
    the records grouped here add the groups not handed on yet, each group once (a lookup's
    group too: the same {id, name} from Zoho's page and from the records)."""
    text = "select Email, Owner, COUNT(id) from Leads group by Email, Owner"
    table, stats = lazily(sandbox, text, strategy="coql")
    expected = oracle.rows('SELECT "Email", "Owner", COUNT("id") FROM "Leads" GROUP BY 1, 2 ORDER BY 1, 2')
    owners = [None if o is None else int(o["id"]) for o in table.column("Owner").to_pylist()]
    got = list(
        zip(table.column("Email").to_pylist(), owners, table.column("COUNT(id)").to_pylist(), strict=True)
    )
    assert got == expected and len(expected) > 200
    assert any("reached Zoho's 200-group ceiling" in n for n in stats.notes)
    assert stats.calls == 4 + 1 + 10


def test_a_lazy_reader_that_stops_at_the_first_rows_spends_a_page(sandbox: Sandbox) -> None:
    table, stats = lazily(sandbox, BY_EMAIL, first=True)
    assert table.num_rows == 50 and (stats.calls, stats.credits) == (1, 1)


# ---- below the ceiling: the cost of the pages, nothing more -----------------------------------


def _bare(sandbox: Sandbox, plan: Plan) -> tuple[Actual, list[pa.RecordBatch]]:
    """The plan's pages of groups run as a plain scan, streamed (as they ran before the
    ceiling's fallback): what they cost."""

    async def main() -> tuple[Actual, list[pa.RecordBatch]]:
        async with client_for(sandbox) as client:
            actual = Actual()
            step = plan.root
            assert isinstance(step, OffsetPages)
            source = scan(client, step, schema(step.columns), actual, ahead=20)
            async with contextlib.aclosing(source):
                batches = [b async for b in source]
            return actual, batches

    return asyncio.run(main())


@pytest.mark.parametrize(
    ("text", "options", "cost"),
    [
        # Owner: unbounded (a lookup), 10 owners: one page of 200 (1 credit)
        ("select Owner, COUNT(id) from Leads group by Owner", {}, (1, 1)),
        # a picklist: bounded by its values, one page
        ("select Lead_Source, COUNT(id), AVG(Annual_Revenue) from Leads group by Lead_Source", {}, (1, 1)),
        # 431 groups below Zoho's own ceiling: a page of 200 (1 credit), then one of 2,000 (3), short
        (BY_EMAIL, {"page_size": 2_000, "offset_ceiling": 100_000}, (2, 4)),
    ],
    ids=["owner", "picklist", "email-below-the-ceiling"],
)
def test_groups_that_end_below_the_ceiling_cost_what_their_pages_cost(
    sandbox: Sandbox, text: str, options: dict[str, Any], cost: tuple[int, int]
) -> None:
    ran = analyze(sandbox, text, **options)
    assert ran.plan.probe is None
    assert all("group by" in c for c in ran.calls)  # no COUNT, no record read
    assert (ran.stats.calls, ran.stats.credits) == (len(ran.calls), ran.spent) == cost
    assert not ran.stats.notes and "at the ceiling: the records" not in ran.explained
    # The same as the pages alone, run as a plain scan: the same calls, credits and rows.
    bare, batches = _bare(sandbox, ran.plan)
    assert (bare.calls, bare.credits) == cost
    assert pa.Table.from_batches(batches).equals(ran.table)


def test_groups_known_to_be_no_more_than_the_ceiling_end_there_when_they_fill_it(
    sandbox: Sandbox, oracle: Oracle
) -> None:
    """50 records of 50 emails, counted, with the ceiling at 50: the one page of groups
    comes back full at the ceiling, and that is every group (was: a failure at the ceiling)."""
    ids = [
        r[0]
        for r in oracle.rows(
            'SELECT min(id) FROM "Leads" WHERE "Email" IS NOT NULL GROUP BY "Email" LIMIT 50'
        )
    ]
    text = f"select Email, COUNT(id) from Leads where id in ({', '.join(map(str, ids))}) group by Email"

    async def main() -> tuple[Plan, pa.Table]:
        async with client_for(sandbox) as client:
            options = options_for(client, page_size=50, offset_ceiling=50, latency_ms=0)
            made = plan(parse(text), CATALOG, options, rows=len(ids))
            return made, pa.Table.from_batches([b async for b in execute(made, client)])

    made, table = asyncio.run(main())
    assert isinstance(made.root, OffsetPages) and made.root.most_groups == 50 and made.root.ceiling == 50
    assert table.num_rows == 50 and sorted(table.column("COUNT(id)").to_pylist()) == [1] * 50


# ---- budgets and the org's credits today ------------------------------------------------------


def test_a_budget_that_cannot_pay_the_records_read_at_the_ceiling_is_refused_before_it(
    sandbox: Sandbox,
) -> None:
    # Planned by the first page (1 credit, no worst case): allowed up front, as before. The 5
    # credits left at the ceiling pay for the COUNT and the cheapest read of 200 records (4
    # offset pages), so the COUNT is made; the 500 records it finds cost 10.
    exc, calls, spent = refused(sandbox, BY_EMAIL, strategy="coql", max_credits=9)
    assert len(calls) == 5 and calls[4] == "select COUNT(id) from Leads where id is not null"
    assert spent == 5  # the 4 pages of groups and the COUNT; nothing of the records' read
    message = str(exc)
    assert message.startswith(
        "the pages of groups reached Zoho's 200-group ceiling (it pages them no further) after 4 calls · "
        "4 credits, and a COUNT found 500 records: reading them to group them here would cost 10 credits "
        "more (keyset pages, the cheapest way), and the query's budget (max_credits) has 4 of 9 left: "
        "refused before the read, 5 credits spent (the pages of groups and the COUNT); "
        "run it with strategy='bulk'"
    )
    assert message.endswith(", with a budget of at least 15, or with a WHERE that matches fewer records")
    assert (exc.needed, exc.left) == (10, 4)


def test_a_budget_that_pays_for_the_records_read_at_the_ceiling_runs_it(sandbox: Sandbox) -> None:
    ran = analyze(sandbox, BY_EMAIL, strategy="coql", max_credits=15)
    assert ran.stats.credits == ran.spent == 15 and ran.table.num_rows > 200


def test_a_budget_that_stops_the_pages_of_groups_hands_on_what_they_read(sandbox: Sandbox) -> None:
    """Held groups stopped short of the ceiling by the budget: the groups read are handed on
    before the refusal, as when they streamed, and the refusal says the result is incomplete."""

    async def main() -> tuple[int, CreditBudgetExceeded, int]:
        async with client_for(sandbox, concurrency=1) as client:
            before = client.credits_used
            options = options_for(client, **LOW, strategy="coql", max_credits=3)
            plan = await prepare(parse(BY_EMAIL), CATALOG, client, options)
            got: list[int] = []

            async def read() -> None:
                async for batch in execute(plan, client, ahead=1):
                    got.append(batch.num_rows)

            with pytest.raises(CreditBudgetExceeded) as caught:
                await read()
            return sum(got), caught.value, client.credits_used - before

    rows, exc, spent = asyncio.run(main())
    # Pages of 50 groups, a credit each, as many as the budget let go (one held for a page
    # asked for alongside the refused one may be given back unsent).
    assert 1 <= spent <= 3 and rows == 50 * spent
    assert f": stopped after {rows} rows, so the result is incomplete" in str(exc)


def test_a_lazy_reader_refused_at_the_ceiling_is_told_what_it_was_handed(sandbox: Sandbox) -> None:
    """Streamed groups cannot be taken back: the refusal says the result is incomplete."""

    async def main() -> tuple[int, CreditBudgetExceeded, int]:
        async with client_for(sandbox) as client:
            before = client.credits_used
            options = options_for(client, **LOW, strategy="coql", max_credits=9)
            plan = await prepare(parse(BY_EMAIL), CATALOG, client, options)
            got: list[int] = []

            async def read() -> None:
                async for batch in execute(plan, client, lazy=True):
                    got.append(batch.num_rows)

            with pytest.raises(CreditBudgetExceeded) as caught:
                await read()
            return sum(got), caught.value, client.credits_used - before

    rows, exc, spent = asyncio.run(main())
    assert rows == 200 and spent == 5
    message = str(exc)
    assert "would cost 10 credits more (keyset pages, the cheapest way)" in message
    assert ": stopped after 200 rows, so the result is incomplete" in message


def test_the_bulk_read_is_named_with_what_it_would_cost(sandbox: Sandbox) -> None:
    exc, _, _ = refused(sandbox, BY_EMAIL, max_credits=9)
    assert (
        "run it with strategy='bulk' (the records counted, read in bulk and grouped here from the start: "
        "53 credits + about 13 status polls for these)" in str(exc)
    )


def test_the_orgs_credits_left_today_refuse_the_records_read_before_it() -> None:
    # A day of 9 credits: Zoho says how many are left past half of them, once the 4 pages of
    # groups and the COUNT are used.
    with running(daily_credits=9) as sandbox:
        recorder = Recorder()

        async def main() -> DailyLimitReached:
            async with client_for(sandbox, transport=recorder) as client:
                plan = await prepare(
                    parse(BY_EMAIL), CATALOG, client, options_for(client, **LOW, strategy="coql")
                )
                with pytest.raises(DailyLimitReached) as caught:
                    async for _ in execute(plan, client):
                        pass
                return caught.value

        exc = asyncio.run(main())
        assert "and the org has 4 credits left today: refused before the read" in str(exc)
        assert len(recorder.coql()) == 5 and exc.left == 4
        assert sandbox.state is not None and sandbox.state.credits_used == 5


# ---- stopped during the read at the ceiling ---------------------------------------------------


def test_cancelled_during_the_records_read_leaves_no_task_and_counts_what_was_sent() -> None:
    # 100 ms a call, 2 at once: the 10 calls of the records' read take half a second at least.
    with running(latency_ms=100) as sandbox:
        recorder = Recorder()

        async def main() -> tuple[RunStats, int, int]:
            async with client_for(sandbox, transport=recorder, concurrency=2) as client:
                before = client.credits_used
                plan = await prepare(
                    parse(BY_EMAIL), CATALOG, client, options_for(client, **LOW, strategy="coql")
                )
                stats = RunStats()

                async def read() -> None:
                    async for _ in execute(plan, client, stats=stats):
                        pass

                task = asyncio.ensure_future(read())
                deadline = asyncio.get_running_loop().time() + 15
                while not any("order by id" in c.coql for c in recorder.coql()):  # the records' read began
                    assert asyncio.get_running_loop().time() < deadline and not task.done()
                    await asyncio.sleep(0.005)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
                return stats, client.credits_used - before, len(others)

        stats, spent, others = asyncio.run(main())
        assert others == 0
        assert 5 < stats.credits == spent < 15  # the pages, the COUNT, part of the records' read
        assert 5 < stats.calls <= len(recorder.coql())  # no call counted that was not sent
