"""Remembered counts: a query run again within ``count_ttl`` plans from the last COUNT of its
WHERE, sends no probe, and checks the figure as it reads: fewer records end the read at a
short page, more are read past the planned pages (in id order, from the highest id
delivered, past the offset ceiling too). Against the sandbox over real HTTP with the real
client; the records change in the sandbox's own database between the runs."""

from __future__ import annotations

import asyncio
import logging
import re
import warnings
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from coqlkit.errors import ConsistencyWarning
from coqlkit.execute import CountMemory, RunStats, execute, explain_analyze, options_for, prepare
from coqlkit.language import parse
from coqlkit.plan.options import PlanOptions
from coqlkit.plan.planner import Plan, plan
from coqlkit.plan.steps import CountProbe, OffsetPages
from coqlkit.sandbox.server import Sandbox
from tests.execute._support import (
    CATALOG,
    CRITERIA,
    Recorder,
    client_for,
    ids_of,
    oracle_ids,
    private_db,
    running,
    state_of,
)

QUERY = f"select Last_Name from Leads where {CRITERIA}"  # 340 records
MATCHING = 340
PAGES = {"page_size": 20, "offset_ceiling": 400}  # 17 full pages of 20


def run_twice(
    sandbox: Sandbox,
    text: str = QUERY,
    *,
    between: Any = None,
    counts: CountMemory | None = None,
    **options: Any,
) -> list[tuple[Plan, list[pa.RecordBatch], RunStats, list[str]]]:
    """Prepare and read ``text`` twice on one connection's count memory, ``between()`` run
    between the two; each run's plan, batches, stats and the COQL it sent (the probe too)."""
    counts = counts if counts is not None else CountMemory()
    out = []

    async def once() -> tuple[Plan, list[pa.RecordBatch], RunStats, list[str]]:
        recorder = Recorder()
        async with client_for(sandbox, transport=recorder) as client:
            opts = options_for(client, strategy="coql", latency_ms=0, **{**PAGES, **options})
            plan = await prepare(parse(text), CATALOG, client, opts, counts=counts)
            stats = RunStats()
            batches = [b async for b in execute(plan, client, stats=stats, counts=counts)]
        return plan, batches, stats, [c.coql for c in recorder.coql()]

    out.append(asyncio.run(once()))
    if between is not None:
        between()
    out.append(asyncio.run(once()))
    return out


def add_leads(sandbox: Sandbox, db: str, how_many: int) -> list[str]:
    """``how_many`` new Leads matching the criteria, with ids above every other (as Zoho's
    new records have): their ids."""
    top = max(int(i) for i in oracle_ids(db, where="1=1"))
    ids = [top + 1000 * (n + 1) for n in range(how_many)]
    state_of(sandbox).store.insert(
        "Leads",
        ["id", "Last_Name", "Annual_Revenue"],
        [(i, f"Newcomer {n}", 5000.0) for n, i in enumerate(ids)],
    )
    return [str(i) for i in ids]


def probes(sent: list[str]) -> list[str]:
    return [c for c in sent if "COUNT(" in c]


def pages(sent: list[str]) -> list[str]:
    return [c for c in sent if "COUNT(" not in c]


def test_a_second_run_plans_from_the_remembered_count_and_sends_no_probe(tmp_path: Path) -> None:
    db = private_db(tmp_path)
    with running(db) as sandbox:
        (first, rows1, stats1, sent1), (second, rows2, stats2, sent2) = run_twice(sandbox)
    assert len(probes(sent1)) == 1 and first.probe is not None and first.probe.age is None
    assert probes(sent2) == [] and second.probe is not None and second.probe.age is not None
    assert second.probe.rows == MATCHING and second.verifies_count
    assert ids_of(rows1) == ids_of(rows2) == oracle_ids(db)
    # The pages alone: 17 full ones, and none past the last (Zoho said it had no more).
    assert len(sent2) == 17 and stats2.calls == 17 and stats2.credits == 17
    assert stats1.calls == 18 and stats1.credits == 18
    assert second.estimate.calls == 17 and second.estimate.credits == 17
    assert stats2.notes == []
    text = second.explain()
    assert "COUNT remembered · no call · 340 records matched" in text, text
    assert "reading on past a full last one if Zoho has more" in text


def test_records_created_since_are_read_past_the_planned_pages(tmp_path: Path) -> None:
    """The 17 planned pages come back full, the last saying Zoho has more: the read goes on
    in id order from the highest id delivered, and finds the 25 newcomers."""
    db = private_db(tmp_path)
    with running(db) as sandbox:
        counts = CountMemory()
        new: list[str] = []
        runs = run_twice(sandbox, counts=counts, between=lambda: new.extend(add_leads(sandbox, db, 25)))
        (_, _, _, _), (second, rows, stats, sent) = runs
        assert second.probe is not None and second.probe.rows == MATCHING
        # No probe before the pages; one COUNT after them, as the rows read (365) are not the
        # figure (340): it tells the records came before the read, not during it.
        assert probes(sent) == [sent[-1]] and not probes(sent[:-1])
        assert ids_of(rows) == oracle_ids(db) and ids_of(rows)[-25:] == new
        past = [c for c in sent if re.search(r"id > \d+", c)]
        last_before = oracle_ids(db)[MATCHING - 1]
        assert past and all(f"id > {last_before}" in c for c in past), sent
        assert stats.calls == len(sent) == 17 + len(past) + 1
        assert any("read on past them in id order (25 more rows)" in n for n in stats.notes), stats.notes
        assert any(
            "was 340; records were created or came to match, before the read or during it: 365 were "
            "read, as a COUNT after the read finds" in n
            for n in stats.notes
        ), stats.notes
        assert stats.mismatch is None
        # The new figure is remembered: the next run plans 19 pages (365 rows), no COUNT at all.
        (third, rows3, _, sent3), _ = run_twice(sandbox, counts=counts)
    assert third.probe is not None and third.probe.rows == 365 and probes(sent3) == []
    assert ids_of(rows3) == oracle_ids(db)


def test_records_deleted_since_end_the_read_at_the_first_short_page(tmp_path: Path) -> None:
    db = private_db(tmp_path)
    with running(db) as sandbox:
        counts = CountMemory()
        gone = oracle_ids(db)[::3]  # 114 of the 340: the 12th page of 20 comes back short

        def delete() -> None:
            with state_of(sandbox).store.conn as conn:
                conn.executemany('DELETE FROM "Leads" WHERE id = ?', [(int(i),) for i in gone])

        # Deleted before the read, or during it (where a later record is skipped): no count
        # tells which, so a possibly short read is warned of; not taken for one (mismatch).
        with pytest.warns(ConsistencyWarning, match="114 fewer rows than the count remembered from"):
            _, (second, rows, stats, sent) = run_twice(sandbox, counts=counts, between=delete)
        assert probes(sent) == [sent[-1]] and second.verifies_count  # the COUNT after the read
        assert ids_of(rows) == oracle_ids(db) and len(ids_of(rows)) == MATCHING - len(gone)
        assert not any("id >" in c for c in sent)
        assert len(pages(sent)) <= 17  # the short page ends it; pages past it already out are the only waste
        assert any("(226 of 340, as a COUNT after the read finds)" in n for n in stats.notes), stats.notes
        assert stats.mismatch is None and stats.recount == (226, 1)
        (third, _, _, sent3), _ = run_twice(sandbox, counts=counts)
    assert third.probe is not None and third.probe.rows == 226 and probes(sent3) == []


def test_more_records_past_the_offset_ceiling_are_read_in_keyset_windows(tmp_path: Path) -> None:
    """Remembered: 340, exactly the (lowered) offset ceiling, so the pages reach it; 30 records
    come: the last page cannot be followed by an offset page, the read goes on by id."""
    db = private_db(tmp_path)
    with running(db) as sandbox:
        new: list[str] = []
        runs = run_twice(sandbox, between=lambda: new.extend(add_leads(sandbox, db, 30)), offset_ceiling=340)
        (first, _, _, _), (second, rows, _, sent) = runs
    assert isinstance(first.root, OffsetPages) and first.root.pages[-1].offset + 20 == 340
    assert probes(sent) == [sent[-1]] and second.verifies_count
    assert ids_of(rows) == oracle_ids(db) and ids_of(rows)[-30:] == new


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (f"select Last_Name from Leads where {CRITERIA} order by Last_Name", "pages not in id order"),
        (
            f"select Last_Name from Leads where {CRITERIA} limit 300",
            "a LIMIT: the pages do not read every match",
        ),
        (f"select Last_Name from Leads where {CRITERIA} and Last_Name like 'A%'", "one page: a single call"),
    ],
)
def test_a_plan_that_cannot_check_a_remembered_count_probes_again(
    tmp_path: Path, text: str, why: str
) -> None:
    db = private_db(tmp_path)
    with running(db) as sandbox:
        (_, rows1, _, sent1), (second, rows2, _, sent2) = run_twice(sandbox, text)
    assert len(probes(sent1)) == len(probes(sent2)) == 1, why
    assert second.probe is not None and second.probe.age is None and not second.verifies_count
    assert ids_of(rows1) == ids_of(rows2)


def test_a_remembered_count_costs_no_call_and_no_round() -> None:
    """100,000 rows at 10 calls at once: 51 calls in 6 rounds with the probe, 50 in 5 without."""
    select = parse("select Last_Name from Leads")
    query = "select COUNT(id) from Leads where id is not null"
    probed = plan(select, CATALOG, PlanOptions(), probe=CountProbe(query, 100_000))
    remembered = plan(select, CATALOG, PlanOptions(), probe=CountProbe(query, 100_000, age=42))
    assert (probed.estimate.calls, probed.estimate.credits) == (51, 151)
    assert (remembered.estimate.calls, remembered.estimate.credits) == (50, 150)
    assert probed.estimate.seconds == pytest.approx(1.8) and remembered.estimate.seconds == pytest.approx(1.5)
    assert remembered.spent == (0, 0) and remembered.verifies_count and not probed.verifies_count
    assert "COUNT remembered · no call · 100,000 records matched 42 s ago" in remembered.explain()


def test_count_ttl_zero_probes_every_time(tmp_path: Path) -> None:
    db = private_db(tmp_path)
    with running(db) as sandbox:
        (_, _, _, sent1), (second, _, _, sent2) = run_twice(sandbox, count_ttl=0)
    assert len(probes(sent1)) == len(probes(sent2)) == 1 and second.probe is not None
    assert second.probe.age is None


def test_a_count_older_than_count_ttl_is_not_used(tmp_path: Path) -> None:
    now = [1000.0]
    counts = CountMemory(clock=lambda: now[0])
    db = private_db(tmp_path)

    def later() -> None:
        now[0] += 61

    with running(db) as sandbox:
        (_, _, _, sent1), (second, _, _, sent2) = run_twice(
            sandbox, counts=counts, between=later, count_ttl=60
        )
    assert len(probes(sent1)) == len(probes(sent2)) == 1 and second.probe is not None
    assert second.probe.age is None


def test_another_where_is_counted_apart(tmp_path: Path) -> None:
    db = private_db(tmp_path)
    counts = CountMemory()
    with running(db) as sandbox:
        run_twice(sandbox, counts=counts)
        other = "select Last_Name from Leads where Annual_Revenue > 100"
        (plan, rows, _, sent), _ = run_twice(sandbox, other, counts=counts)
    assert len(probes(sent)) == 1 and plan.probe is not None and plan.probe.age is None
    assert ids_of(rows) == oracle_ids(db, "Annual_Revenue > 100")
    assert len(counts) == 2


def test_a_count_memory_keeps_the_most_recently_used() -> None:
    memory = CountMemory(most=2)
    for n, text in enumerate(["a", "b", "c"]):
        memory.remember(text, n)
    assert memory.recall("a", ttl=60) is None and len(memory) == 2
    assert memory.recall("b", ttl=60) == (1, pytest.approx(0, abs=1))
    memory.remember("d", 3)  # "c" was used least recently now
    assert memory.recall("c", ttl=60) is None and memory.recall("b", ttl=60) is not None


def test_the_plan_chosen_is_logged_without_the_querys_values(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = private_db(tmp_path)
    with running(db) as sandbox, caplog.at_level(logging.INFO, logger="coqlkit.execute"):
        run_twice(sandbox)
    lines = [r.getMessage() for r in caplog.records if r.name == "coqlkit.execute.executor"]
    assert lines[0] == "plan for Leads: offset pages · 18 calls · 18 credits · count 340 probed", lines
    assert re.fullmatch(
        r"plan for Leads: offset pages · 17 calls · 17 credits · count 340 remembered from \d+ s ago",
        lines[1],
    )
    assert not any("Annual_Revenue" in line for line in lines)


def read_changing(
    sandbox: Sandbox, counts: CountMemory, change: Any
) -> tuple[Plan, list[str], RunStats, list[Warning]]:
    """Read ``QUERY`` on ``counts``, one page at a time, ``change()`` run once the first
    page is in: the plan, the ids read, the stats, the warnings."""

    async def main() -> tuple[Plan, list[str], RunStats, list[Warning]]:
        async with client_for(sandbox, concurrency=1) as client:
            opts = options_for(client, strategy="coql", latency_ms=0, **PAGES)
            plan = await prepare(parse(QUERY), CATALOG, client, opts, counts=counts)
            stats = RunStats()
            batches = execute(plan, client, stats=stats, counts=counts, ahead=2, lazy=True)
            ids = ids_of([await anext(batches)])
            change()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                ids += ids_of([b async for b in batches])
            return plan, ids, stats, [w.message for w in caught if isinstance(w.message, Warning)]

    return asyncio.run(main())


def test_a_record_that_came_to_match_on_a_page_already_read_is_warned_of(tmp_path: Path) -> None:
    """A record below the first page's ids comes to match once that page is read: the read
    cannot have it, the COUNT after the read (341) does: a change during the read."""
    db = private_db(tmp_path)
    counts = CountMemory()
    with running(db) as sandbox:
        run_twice(sandbox, counts=counts)
        low = int(oracle_ids(db)[0]) - 1

        def arrive() -> None:
            state_of(sandbox).store.insert(
                "Leads", ["id", "Last_Name", "Annual_Revenue"], [(low, "Late", 10.0)]
            )

        plan, ids, stats, caught = read_changing(sandbox, counts, arrive)
    assert plan.probe is not None and plan.probe.age is not None
    assert len(ids) == len(set(ids)) == MATCHING and str(low) not in ids
    assert stats.mismatch == (MATCHING, MATCHING + 1)
    assert [str(w) for w in caught] == [
        "1 fewer rows than a COUNT after the read found (340 of 341): records were deleted or changed "
        "during the read: records that still match may be missing from the result (the pages after "
        "a deleted one shift), and deleted ones may be in it; run it again"
    ]
    assert isinstance(caught[0], ConsistencyWarning)
    assert counts.recall(plan.probe.query, ttl=60) == (MATCHING + 1, pytest.approx(0, abs=5))


def test_a_count_that_went_down_says_what_no_count_can_show(tmp_path: Path) -> None:
    """Five records of the first page go once it is read: the pages after it shift and skip
    five that still exist, and the five read add up with the COUNT after the read (335).
    Nothing can tell this from records deleted before the read: the note says so."""
    db = private_db(tmp_path)
    counts = CountMemory()
    with running(db) as sandbox:
        run_twice(sandbox, counts=counts)
        gone = oracle_ids(db)[:5]

        def delete() -> None:
            with state_of(sandbox).store.conn as conn:
                conn.executemany('DELETE FROM "Leads" WHERE id = ?', [(int(i),) for i in gone])

        _, ids, stats, caught = read_changing(sandbox, counts, delete)
    assert len(ids) == MATCHING - 5 and len(set(ids) - set(oracle_ids(db))) == 5  # 5 skipped
    assert [type(w) for w in caught] == [ConsistencyWarning] and stats.mismatch is None
    assert str(caught[0]) in stats.notes
    assert str(caught[0]).startswith("5 fewer rows than the count remembered from")
    assert "a record deleted during the read from a page already read makes a later one be skipped" in str(
        caught[0]
    )


def test_a_local_limit_does_not_change_the_remembered_count(tmp_path: Path) -> None:
    """ORDER BY 10 fields leaves no room for id: every match is read in id order, sorted and
    cut here. The count remembered is the WHERE's (340), not the LIMIT's rows (300)."""
    order = "Last_Name, First_Name, Email, Company, City, State, Country, Lead_Source, Industry, Rating"
    text = f"select Last_Name from Leads where {CRITERIA} order by {order} limit 300"
    db = private_db(tmp_path)
    counts = CountMemory()
    with running(db) as sandbox:
        (_, rows1, _, _), (second, rows2, stats, sent) = run_twice(sandbox, text, counts=counts)
    assert second.probe is not None and second.probe.age is not None and second.probe.rows == MATCHING
    assert probes(sent) == [] and stats.notes == [] and len(ids_of(rows2)) == 300
    assert ids_of(rows1) == ids_of(rows2)
    assert counts.recall(second.probe.query, ttl=60) == (MATCHING, pytest.approx(0, abs=5))


def test_a_query_with_a_credit_budget_probes_afresh(tmp_path: Path) -> None:
    """A budget refuses a plan before anything is spent: only a fresh count keeps that
    promise (a read going on past a stale figure would stop at the budget, incomplete)."""
    db = private_db(tmp_path)
    with running(db) as sandbox:
        (_, _, _, sent1), (second, _, _, sent2) = run_twice(sandbox, max_credits=100)
    assert len(probes(sent1)) == len(probes(sent2)) == 1
    assert second.probe is not None and second.probe.age is None


def test_the_last_page_asks_for_one_row_more_when_it_costs_nothing() -> None:
    """345 rows in pages of 20: the 18th page holds 5, and asks for 6 (one credit either way):
    a sixth row says records lie past the count, whatever more_records says."""
    select = parse("select Last_Name from Leads")
    query = "select COUNT(id) from Leads where id is not null"
    options = PlanOptions(page_size=20, offset_ceiling=400)
    remembered = plan(select, CATALOG, options, probe=CountProbe(query, 345, age=1))
    probed = plan(select, CATALOG, options, probe=CountProbe(query, 345))
    assert isinstance(remembered.root, OffsetPages) and isinstance(probed.root, OffsetPages)
    assert remembered.root.pages[-1].limit == 6 and probed.root.pages[-1].limit == 5
    assert remembered.estimate.credits == probed.estimate.credits - 1  # the probe's credit, no more
    # At a tier's edge (200 rows: 1 credit; 201: 2) or the ceiling, the page stays as it is.
    options = PlanOptions(page_size=2000)
    edge = plan(select, CATALOG, options, probe=CountProbe(query, 2_200, age=1))
    assert isinstance(edge.root, OffsetPages) and edge.root.pages[-1].limit == 200


def test_records_created_since_are_found_by_the_extra_row(tmp_path: Path) -> None:
    """Remembered 339 (a record deleted, then the count remembered, then a record made):
    the last page asks for 20 rows where 19 are expected, gets 20, and reads on."""
    db = private_db(tmp_path)
    counts = CountMemory()
    with running(db) as sandbox:
        first = oracle_ids(db)[0]
        with state_of(sandbox).store.conn as conn:
            conn.execute('DELETE FROM "Leads" WHERE id = ?', (int(first),))
        new: list[str] = []
        _, (second, rows, _, sent) = run_twice(
            sandbox, counts=counts, between=lambda: new.extend(add_leads(sandbox, db, 1))
        )
    assert second.probe is not None and second.probe.rows == MATCHING - 1
    assert ids_of(rows) == oracle_ids(db) and ids_of(rows)[-1:] == new
    last = [c for c in pages(sent) if "offset 320" in c]
    assert last and last[0].endswith("limit 20 offset 320"), sent


def test_explain_analyze_shows_the_count_after_the_read(tmp_path: Path) -> None:
    db = private_db(tmp_path)
    counts = CountMemory()
    with running(db) as sandbox:
        run_twice(sandbox, counts=counts)
        add_leads(sandbox, db, 3)

        async def main() -> str:
            async with client_for(sandbox) as client:
                opts = options_for(client, strategy="coql", latency_ms=0, **PAGES)
                plan = await prepare(parse(QUERY), CATALOG, client, opts, counts=counts)
                text, _, stats = await explain_analyze(plan, client, counts=counts)
                assert stats.calls == sum(a.calls for a in stats.actuals.values()) + 1  # the COUNT
                return text

        text = asyncio.run(main())
    assert "COUNT after the read · 1 call · 1 credit · 343 records match" in text, text
    assert text.index("offset pages") < text.index("COUNT after the read")


def test_a_probed_read_cut_by_a_local_limit_is_judged_by_its_scan(tmp_path: Path) -> None:
    """ORDER BY 10 fields, LIMIT 300, a fresh probe (340): every match is read in id order and
    cut here. Five records of the first page go once it is read, and five others are
    skipped: the scan's 335 rows are not the probe's 340 (the 300 kept say nothing)."""
    order = "Last_Name, First_Name, Email, Company, City, State, Country, Lead_Source, Industry, Rating"
    text = f"select Last_Name from Leads where {CRITERIA} order by {order} limit 300"
    db = private_db(tmp_path)
    with running(db) as sandbox:
        gone = oracle_ids(db)[:5]

        async def main() -> tuple[RunStats, list[Warning]]:
            async with client_for(sandbox, concurrency=1) as client:
                opts = options_for(client, strategy="coql", latency_ms=0, **PAGES)
                plan = await prepare(parse(text), CATALOG, client, opts)
                stats = RunStats()
                first = True
                real = client.coql_body

                async def spy(query: str, **kwargs: Any) -> Any:
                    nonlocal first
                    answer = await real(query, **kwargs)
                    if first and "COUNT(" not in query:
                        first = False
                        with state_of(sandbox).store.conn as conn:
                            conn.executemany('DELETE FROM "Leads" WHERE id = ?', [(int(i),) for i in gone])
                    return answer

                client.coql_body = spy  # type: ignore[method-assign]
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    batches = [b async for b in execute(plan, client, stats=stats, ahead=2)]
                assert sum(b.num_rows for b in batches) == 300
                return stats, [w.message for w in caught if isinstance(w.message, Warning)]

        stats, caught = asyncio.run(main())
    assert stats.mismatch == (335, 340)
    assert [str(w) for w in caught] == [
        "5 fewer rows than the COUNT probe found (335 of 340): records were deleted or changed during the "
        "read: records that still match may be missing from the result (the pages after a deleted one "
        "shift), and deleted ones may be in it; run it again"
    ]
