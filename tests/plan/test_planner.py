"""The planner's rules and figures, worked out by hand from Zoho's limits.

2,000 rows a call; offset + limit at most 100,000; credits by LIMIT (1 up to 200, 2 up to
1,000, 3 up to 2,000); a bulk-read job of up to 200,000 records costs 50 credits, a credit
per status poll and one for the download.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

import pytest

from coqlkit.catalog import Catalog
from coqlkit.errors import CreditBudgetExceeded, PlanError
from coqlkit.language import parse
from coqlkit.language.ast import Column, FieldRef, In, Limit, OrderItem
from coqlkit.language.render import render
from coqlkit.plan import Plan, PlanOptions, plan
from coqlkit.plan.planner import bulk_obstacle, total
from coqlkit.plan.prepare import (
    criteria_count,
    has_long_in,
    id_bound,
    one_call_rows,
    rewrite_long_ins,
    split_long_in,
)
from coqlkit.plan.steps import (
    BulkRead,
    ColumnSplit,
    Estimate,
    InUnion,
    KeysetPages,
    LocalAggregate,
    LocalProject,
    LocalSlice,
    LocalSort,
    OffsetPages,
    Page,
    SingleCall,
    Step,
    widest,
)
from tests.plan._support import count_probe, wide_catalog

ID = FieldRef(("id",))


def tier(rows: int) -> int:
    """Credits of one call asking for ``rows`` (the reference's table, written out again)."""
    return 1 if rows <= 200 else 2 if rows <= 1000 else 3


def make(query: str, rows: int | None = None, catalog: Catalog | None = None, **options: object) -> Plan:
    return plan(parse(query), catalog or Catalog.demo(), PlanOptions(**options), rows=rows)  # type: ignore[arg-type]


def kinds(found: Plan) -> list[str]:
    return [type(step).__name__ for step in found.steps()]


def leaf(step: Step) -> Step:
    while step.children:
        step = step.children[0]
    return step


def zips(count: int) -> str:
    return ", ".join(f"'{10001 + i}'" for i in range(count))


OTHERS = " and ".join(f"City != 'C{i:02d}'" for i in range(1, 24))  # 23 criteria


# ---- the cost model -------------------------------------------------------------------------


@pytest.mark.parametrize(("limit", "credits"), [(1, 1), (200, 1), (201, 2), (1000, 2), (1001, 3), (2000, 3)])
def test_a_page_costs_by_its_limit(limit: int, credits: int) -> None:
    assert Page(0, limit).credits == credits


@pytest.mark.parametrize("rows", [2001, 4000, 12_345, 45_000, 99_999, 100_000])
def test_offset_pages_cover_the_rows_exactly(rows: int) -> None:
    found = make("select Last_Name from Leads", rows=rows)
    step = found.root
    assert isinstance(step, OffsetPages)
    full, rest = divmod(rows, 2000)
    assert len(step.pages) == full + (1 if rest else 0)
    assert [p.offset for p in step.pages] == list(range(0, rows, 2000))
    assert sum(p.limit for p in step.pages) == rows
    assert all(p.offset + p.limit <= 100_000 for p in step.pages)
    assert step.estimate == Estimate(
        rows, len(step.pages), full * 3 + (tier(rest) if rest else 0), math.ceil(len(step.pages) / 10) * 0.3
    )


def test_time_is_rounds_of_concurrent_calls() -> None:
    found = make("select Last_Name from Leads", rows=45_000, concurrency=5, latency_ms=100)
    assert found.estimate.calls == 23
    assert found.estimate.seconds == pytest.approx(math.ceil(23 / 5) * 0.1)


@pytest.mark.parametrize("rows", [100_001, 250_000, 1_000_000, 1_234_567])
def test_keyset_windows_cover_the_rows_exactly(rows: int) -> None:
    step = make("select Last_Name from Leads", rows=rows).root
    assert isinstance(step, KeysetPages)
    assert step.windows == math.ceil(rows / 100_000)
    assert sum(p.limit for p in step.pages) == rows
    assert all(p.offset + p.limit <= 100_000 for p in step.pages)
    for window in range(step.windows):
        pages = [p for p in step.pages if p.window == window]
        assert pages[0].offset == 0
        assert sum(p.limit for p in pages) == min(100_000, rows - window * 100_000)
    # every window but the last ends at the ceiling: its last page opens the next window
    assert all(
        any(p.window == w and p.offset + p.limit == 100_000 for p in step.pages)
        for w in range(step.windows - 1)
    )
    assert step.estimate.credits == sum(tier(p.limit) for p in step.pages)
    rounds = math.ceil(len(step.pages) / 10) + step.windows - 1
    assert step.estimate.seconds == pytest.approx(rounds * 0.3)


def test_keyset_skips_windows_before_the_offset_for_a_credit_each() -> None:
    step = make("select Last_Name from Leads limit 5000 offset 250000", rows=300_000).root
    assert isinstance(step, KeysetPages)
    assert step.pages == (
        Page(99_999, 1, 0, skip=True),
        Page(99_999, 1, 1, skip=True),
        Page(50_000, 2000, 2),
        Page(52_000, 2000, 2),
        Page(54_000, 1000, 2),
    )
    assert step.skipped == 2
    assert step.estimate == Estimate(5000, 5, 1 + 1 + 3 + 3 + 2, (1 + 2) * 0.3)


def test_the_last_row_of_a_window_is_data_not_a_skip() -> None:
    """Row 200,000 (offset 199,999) is fetched exactly like a skipped window's last id:
    only ``skip`` tells them apart."""
    step = make("select Last_Name from Leads limit 1 offset 199999", rows=300_000).root
    assert isinstance(step, KeysetPages)
    assert step.pages == (Page(99_999, 1, 0, skip=True), Page(99_999, 1, 1))
    assert step.estimate.rows == 1


def test_an_open_ended_keyset_page_never_crosses_the_ceiling() -> None:
    step = make("select Last_Name from Leads offset 199999").root
    assert isinstance(step, KeysetPages) and step.open_ended
    first = step.pages[-1]
    assert (first.offset, first.limit, first.window, first.skip) == (99_999, 1, 1, False)
    step = make("select Last_Name from Leads offset 150000").root
    assert isinstance(step, KeysetPages)
    assert step.pages[-1] == Page(50_000, 200, 1)  # a first page of 200: 1 credit


@pytest.mark.parametrize(("rows", "jobs"), [(1, 1), (200_000, 1), (200_001, 2), (1_000_000, 5)])
def test_bulk_read_cost(rows: int, jobs: int) -> None:
    options = {"strategy": "bulk", "bulk_job_seconds": 60.0, "bulk_poll_seconds": 5.0}
    step = make("select Last_Name from Leads", rows=rows, **options).root
    assert isinstance(step, BulkRead)
    # Certain, each job: its creation (50), one status poll and the download (1 each). A
    # minute's job polled after 1, 2, 4 s then every 5 s: 14 polls, 13 past the first.
    assert (step.pages, step.page_rows) == (jobs, 200_000)
    assert step.estimate == Estimate(rows, jobs * 3, jobs * 52, jobs * (60 + 0.6), polls=jobs * 13)
    assert step.estimate.expected_credits == jobs * 65


def test_totals_add_children_calls_and_take_the_slowest() -> None:
    found = make("select * from Leads", rows=150_000, catalog=wide_catalog())
    root = found.root
    assert isinstance(root, ColumnSplit) and len(root.parts) == 3
    est = total(root)
    assert est.calls == sum(total(p).calls for p in root.parts) == 225
    assert est.credits == 675
    # 225 calls share 10 slots: 23 rounds, slower than any part alone
    assert est.seconds == pytest.approx(23 * 0.3)
    assert est.seconds >= max(total(p).seconds for p in root.parts)


def test_plan_estimate_counts_the_probe() -> None:
    select = parse("select Last_Name from Leads")
    with_probe = plan(select, Catalog.demo(), rows=12_345, probe=count_probe(select, 12_345))
    without = plan(select, Catalog.demo(), rows=12_345)
    assert with_probe.root == without.root
    assert with_probe.estimate == replace(
        without.estimate, calls=without.estimate.calls + 1, credits=without.estimate.credits + 1, seconds=0.6
    )


def test_a_probe_alone_gives_the_row_count() -> None:
    select = parse("select Last_Name from Leads")
    found = plan(select, Catalog.demo(), probe=count_probe(select, 2001))
    assert isinstance(found.root, OffsetPages) and found.estimate.rows == 2001


def test_widest_bound() -> None:
    assert widest() == "exact"
    assert widest("exact", "exact") == "exact"
    assert widest("exact", "at most") == "at most"
    assert widest("at most", "at least", "exact") == "at least"
    added = Estimate(1, 1, 1, 0.1) + Estimate(None, 2, 3, 0.2, calls_bound="at least")
    assert added == Estimate(None, 3, 4, pytest.approx(0.3), calls_bound="at least")  # type: ignore[arg-type]


# ---- what the row count changes --------------------------------------------------------------


def test_without_a_count_a_limit_is_an_upper_bound() -> None:
    found = make("select Last_Name from Leads limit 10")
    assert isinstance(found.root, SingleCall)
    assert (found.estimate.rows, found.estimate.rows_bound, found.estimate.calls_bound) == (
        10,
        "at most",
        "exact",
    )
    step = make("select Last_Name from Leads limit 5000").root
    assert isinstance(step, OffsetPages) and step.until_short and not step.open_ended
    assert (step.estimate.rows_bound, step.estimate.calls_bound) == ("at most", "at most")


def test_with_a_count_the_scan_does_not_stop_at_a_short_page() -> None:
    step = make("select Last_Name from Leads limit 5000", rows=250_000).root
    assert isinstance(step, OffsetPages) and not step.until_short
    assert (step.estimate.rows_bound, step.estimate.calls_bound) == ("exact", "exact")


def test_without_a_count_or_limit_the_scan_goes_on_until_a_short_page() -> None:
    step = make("select Last_Name from Leads").root
    assert isinstance(step, KeysetPages) and step.until_short and step.open_ended
    assert step.estimate == Estimate(None, 1, 1, 0.3, calls_bound="at least")  # a first page of 200


def test_the_count_bounds_the_limit() -> None:
    found = make("select Last_Name from Leads limit 1000", rows=300)
    assert isinstance(found.root, SingleCall)
    assert found.root.query.limit is not None and found.root.query.limit.count == 300
    assert found.estimate.credits == 2


@pytest.mark.parametrize(
    ("query", "rows"),
    [
        ("select Last_Name from Leads where Email = 'x@y.z'", 0),
        ("select Last_Name from Leads limit 10 offset 500", 300),
        ("select Last_Name from Leads offset 300", 300),
    ],
)
def test_no_matching_row_no_call(query: str, rows: int) -> None:
    for strategy in ("auto", "bulk"):
        found = make(query, rows=rows, strategy=strategy)
        assert isinstance(found.root, OffsetPages) and found.root.pages == ()
        assert found.estimate == Estimate(0, 0, 0, 0.0)
        assert "no call: no record matches" in found.explain()


def test_aggregates_without_group_by_are_one_call_whatever_the_count() -> None:
    for rows in (None, 0, 5_000_000):
        found = make("select COUNT(id), SUM(Annual_Revenue) from Leads", rows=rows, strategy="auto")
        assert isinstance(found.root, SingleCall)
        assert found.estimate == Estimate(1, 1, 1, 0.3)


# ---- GROUP BY ----------------------------------------------------------------------------------


def test_groups_of_unknown_number_start_with_a_page_of_200() -> None:
    step = make("select Lead_Source, COUNT(id) from Leads group by Lead_Source", rows=250_000).root
    assert isinstance(step, OffsetPages) and step.open_ended and step.until_short
    assert step.pages == (Page(0, 200),)
    # Lead_Source's 17 values and null bound the groups (review 8, notebook #8).
    assert step.estimate == Estimate(None, 1, 1, 0.3, calls_bound="at least")
    assert step.ceiling_cost is None and step.most_groups == 18


def test_groups_with_a_limit() -> None:
    step = make("select Lead_Source, COUNT(id) from Leads group by Lead_Source limit 10").root
    assert isinstance(step, SingleCall)
    assert step.estimate == Estimate(10, 1, 1, 0.3, rows_bound="at most")
    step = make("select Lead_Source, COUNT(id) from Leads group by Lead_Source limit 4500 offset 10").root
    assert isinstance(step, OffsetPages) and step.until_short and not step.open_ended
    assert step.pages == (Page(10, 2000), Page(2010, 2000), Page(4010, 500))


def test_grouped_pages_break_ties_by_the_grouped_fields() -> None:
    step = make(
        "select City, Lead_Status, COUNT(id) from Leads group by City, Lead_Status "
        "order by COUNT(id) desc, City limit 3000"
    ).root
    assert isinstance(step, OffsetPages)
    assert [(o.expr.name, o.descending) for o in step.query.order_by] == [
        ("COUNT(id)", True),
        ("City", False),
        ("Lead_Status", False),
    ]
    # without an ORDER BY, Zoho's own order of the groups (by their keys) is left alone
    step = make("select City, COUNT(id) from Leads group by City limit 3000").root
    assert isinstance(step, OffsetPages) and step.query.order_by == ()


def test_groups_past_the_ceiling_are_refused() -> None:
    with pytest.raises(PlanError, match="up to 100,000"):
        make("select City, COUNT(id) from Leads group by City limit 10 offset 99995")


TEN_FIELDS = "Last_Name, First_Name, Company, City, State, Zip_Code, Country, Lead_Source, Industry"


def test_ten_order_by_fields_over_several_pages_read_in_id_order_and_sort_here() -> None:
    """No room for id after 10 ORDER BY fields: pages in id order, the ORDER BY done here."""
    found = make(f"select Last_Name from Leads order by {TEN_FIELDS}, Lead_Status limit 3000", rows=9_000)
    assert kinds(found) == ["LocalProject", "LocalSlice", "LocalSort", "OffsetPages"]
    pages = found.steps()[-1]
    assert isinstance(pages, OffsetPages) and render(pages.query).endswith("order by id asc")
    assert len(pages.pages) == 5  # every matching record, not the 3,000 of the LIMIT
    sort = found.steps()[2]
    assert isinstance(sort, LocalSort) and len(sort.keys) == 10 and "no room for id" in sort.why


def test_ten_order_by_fields_in_one_call_or_with_id_stay_on_the_server() -> None:
    one = make(f"select Last_Name from Leads order by {TEN_FIELDS}, Lead_Status limit 2000", rows=9_000)
    assert isinstance(one.root, SingleCall) and "Lead_Status asc limit 2000" in render(one.root.query)
    with_id = make(f"select Last_Name from Leads order by {TEN_FIELDS}, id", rows=9_000)
    assert isinstance(with_id.root, OffsetPages) and render(with_id.root.query).endswith(
        "Industry asc, id asc"
    )


def test_ten_order_by_fields_in_a_column_split_read_in_id_order() -> None:
    """The scans of a column split must pick the same rows: with no room for id, even a
    LIMIT that fits one call each could split tied rows differently between them."""
    found = make(f"select * from Leads order by {TEN_FIELDS}, Lead_Status limit 10", 9_000, wide_catalog())
    assert kinds(found)[:3] == ["LocalSlice", "LocalSort", "ColumnSplit"]
    split = found.steps()[2]
    assert all(
        render(p.query).endswith("order by id asc") for p in split.children if isinstance(p, OffsetPages)
    )


def test_ten_order_by_fields_past_the_ceiling_with_25_criteria() -> None:
    where = " and ".join(f"No_of_Employees != {i}" for i in range(25))
    query = f"select Last_Name from Leads where {where} order by {TEN_FIELDS}, Lead_Status limit 3000"
    with pytest.raises(PlanError, match="ORDER BY of 10 fields leaves no room for the id"):
        make(query, rows=250_000, strategy="coql")
    assert isinstance(make(query, rows=250_000).steps()[-1], BulkRead)  # what can read it


# ---- choosing ------------------------------------------------------------------------------------


def test_prefer_time_or_credits() -> None:
    fast = make("select Last_Name from Leads", rows=250_000)
    cheap = make("select Last_Name from Leads", rows=250_000, prefer="credits")
    assert isinstance(fast.root, KeysetPages) and fast.estimate.credits == 375
    assert isinstance(cheap.root, BulkRead) and (cheap.estimate.credits, cheap.estimate.polls) == (104, 26)
    assert fast.estimate.seconds < cheap.estimate.seconds


def test_bulk_read_wins_on_credits_only_when_cheaper() -> None:
    """A job is expected to cost 65 credits (52, and 13 status polls past the first): 21
    pages of 2,000 (42,000 rows) cost 63, less; 22 pages (44,000 rows) cost 66, more."""
    assert isinstance(make("select Last_Name from Leads", rows=42_000, prefer="credits").root, OffsetPages)
    assert isinstance(make("select Last_Name from Leads", rows=44_000, prefer="credits").root, BulkRead)


def test_strategy_forces_the_way() -> None:
    small = make("select Last_Name from Leads limit 10", rows=250_000, strategy="bulk")
    assert kinds(small) == ["LocalSlice", "LocalSort", "BulkRead"]
    coql = make("select Last_Name from Leads", rows=250_000, prefer="credits", strategy="coql")
    assert isinstance(coql.root, KeysetPages)
    no_bulk = make("select Last_Name from Leads", rows=250_000, prefer="credits", allow_bulk=False)
    assert isinstance(no_bulk.root, KeysetPages)


@pytest.mark.parametrize(
    "query",
    [
        "select Last_Name from Leads where Email like 'a%b'",  # a pattern bulk read has not
        "select Last_Name from Leads#4150868000000087501",  # a custom view
        "select Note_Title from Notes",  # a module bulk read does not serve
        "select Last_Name from Leads where Owner.profile.name = 'Administrator'",  # a user sub-key
    ],
)
def test_bulk_read_is_not_offered_where_it_cannot_run(query: str) -> None:
    found = make(query, rows=250_000, prefer="credits")
    assert BulkRead not in {type(s) for s in found.steps()}
    with pytest.raises(PlanError, match="cannot run as a bulk read"):
        make(query, rows=250_000, strategy="bulk")


def _names(count: int) -> str:
    return ", ".join(f"'n{i:03d}'" for i in range(count))


@pytest.mark.parametrize(
    ("where", "cap"),
    [
        # 201 values in one IN (200 is Zoho's cap, whichever way it counts them)
        (f"Company in ({_names(201)})", "201 values, and a bulk read takes at most 200"),
        # 150 + 60: each IN under 200, together over it (the cap is per request)
        (f"Company in ({_names(150)}) or City in ({_names(60)})", "210 values"),
        # 13 numeric betweens: 13 COQL criteria, 26 bulk-read ones (each a >= and a <=)
        (
            " and ".join(f"Annual_Revenue between {i} and {i + 1000000}" for i in range(13)),
            "26 bulk-read criteria, and a bulk read takes at most 25 (Zoho's CRITERIA_LIMIT_EXCEEDED)",
        ),
    ],
)
def test_bulk_read_criteria_past_zohos_caps_stay_on_coql(where: str, cap: str) -> None:
    query = f"select Last_Name from Leads where {where}"
    found = make(query, rows=250_000, prefer="credits")
    assert BulkRead not in {type(s) for s in found.steps()}
    with pytest.raises(PlanError, match=f"cannot run as a bulk read: .*{re.escape(cap)}"):
        make(query, rows=250_000, strategy="bulk")
    assert cap in (bulk_obstacle(parse(query), Catalog.demo()) or "")


def test_bulk_read_criteria_up_to_zohos_caps_are_a_bulk_read() -> None:
    """150 + 50 values (200) in 4 INs, 25 comparisons: within both caps."""
    query = f"select Last_Name from Leads where Company in ({_names(150)}) or City in ({_names(50)})"
    assert isinstance(make(query, rows=250_000, prefer="credits").root, BulkRead)
    betweens = " and ".join(f"Annual_Revenue between {i} and {i + 1000000}" for i in range(12))
    query = f"select Last_Name from Leads where {betweens} and City = 'Pune'"
    assert isinstance(make(query, rows=250_000, prefer="credits").root, BulkRead)


def test_bulk_needs_the_row_count() -> None:
    with pytest.raises(PlanError, match="needs the record count"):
        make("select Last_Name from Leads", strategy="bulk")


def test_a_sort_column_bulk_read_cannot_fetch_keeps_the_query_on_coql() -> None:
    found = make(
        "select Last_Name from Leads order by Owner.profile.name limit 5 offset 150000",
        rows=250_000,
        prefer="credits",
    )
    assert BulkRead not in {type(s) for s in found.steps()}
    assert kinds(found) == ["LocalProject", "LocalSlice", "LocalSort", "KeysetPages"]


def test_the_budget_picks_the_best_plan_that_fits() -> None:
    found = make("select Last_Name from Leads", rows=250_000, max_credits=300)
    assert isinstance(found.root, BulkRead)
    found = make("select Last_Name from Leads", rows=250_000, max_credits=375)
    assert isinstance(found.root, KeysetPages)  # the faster plan fits: it wins


def test_the_budget_refuses_before_anything_is_spent() -> None:
    with pytest.raises(CreditBudgetExceeded) as caught:
        make("select Last_Name from Leads", rows=250_000, max_credits=100)
    assert (caught.value.needed, caught.value.left) == (104, 100)
    assert caught.value.code == "CREDIT_BUDGET_EXCEEDED"
    assert str(caught.value).startswith(
        "the cheapest plan (bulk read) would cost 104 credits (6 calls) and about 26 status polls"
    )


def test_the_budget_includes_the_probe() -> None:
    select = parse("select Last_Name from Leads")
    probe = count_probe(select, 250_000)
    with pytest.raises(CreditBudgetExceeded) as caught:
        plan(select, Catalog.demo(), PlanOptions(max_credits=104), probe=probe)
    assert caught.value.needed == 105
    assert "the COUNT probe included" in str(caught.value)
    found = plan(select, Catalog.demo(), PlanOptions(max_credits=105), probe=probe)
    assert found.estimate.credits == 105
    # with the probe counted, 375 + 1 no longer fits: the bulk read is chosen
    found = plan(select, Catalog.demo(), PlanOptions(max_credits=375), probe=probe)
    assert isinstance(found.root, BulkRead)


def test_a_forced_bulk_read_over_budget_says_so() -> None:
    with pytest.raises(
        CreditBudgetExceeded,
        match=r"^the bulk read would cost 52 credits \(3 calls\) and about 13 status polls",
    ):
        make("select Last_Name from Leads limit 10", rows=100, strategy="bulk", max_credits=10)


def test_an_upper_bound_over_budget_is_refused() -> None:
    with pytest.raises(CreditBudgetExceeded, match="would cost up to 150 credits"):
        make("select Last_Name from Leads limit 100000", max_credits=100)


# ---- ORDER BY, LIMIT and OFFSET done here --------------------------------------------------------


def test_local_sort_and_slice_past_the_ceiling() -> None:
    found = make(
        "select Last_Name from Leads order by Annual_Revenue desc limit 100 offset 120000", rows=250_000
    )
    assert kinds(found) == ["LocalProject", "LocalSlice", "LocalSort", "KeysetPages"]
    project, slice_, sort, scan = found.steps()
    assert isinstance(slice_, LocalSlice) and (slice_.offset, slice_.limit) == (120_000, 100)
    assert isinstance(sort, LocalSort) and sort.keys == (("Annual_Revenue", True),)
    assert isinstance(scan, KeysetPages) and scan.estimate.rows == 250_000
    assert [c.key for c in scan.columns] == ["id", "Last_Name", "Annual_Revenue"]
    assert [c.key for c in project.columns] == ["id", "Last_Name"] == [c.key for c in found.columns]
    assert found.estimate.rows == 100


def test_order_by_id_past_the_ceiling_is_keyset_order() -> None:
    found = make("select Last_Name from Leads order by id limit 10 offset 150000", rows=250_000)
    assert isinstance(found.root, KeysetPages)  # no sort: keyset pages come in id order
    assert sum(p.limit for p in found.root.pages if not p.skip) == 10


def test_inside_the_ceiling_zoho_sorts() -> None:
    found = make(
        "select Last_Name from Leads order by Annual_Revenue desc limit 10 offset 50000", rows=250_000
    )
    assert isinstance(found.root, SingleCall)
    assert found.root.query.order_by == (OrderItem(FieldRef(("Annual_Revenue",)), descending=True),)


def test_offset_pages_end_their_order_with_id() -> None:
    step = make("select Last_Name from Leads order by City desc", rows=10_000).root
    assert isinstance(step, OffsetPages)
    assert [o.expr.name for o in step.query.order_by] == ["City", "id"]


# ---- more than 50 columns --------------------------------------------------------------------


def _parts(found: Plan) -> list[Step]:
    split = next(s for s in found.steps() if isinstance(s, ColumnSplit))
    return list(split.parts)


@pytest.mark.parametrize(
    ("query", "rows"),
    [
        ("select * from Leads limit 100", 5000),
        ("select * from Leads where Lead_Status = 'New' order by Last_Name", 4500),
        ("select * from Leads", 150_000),
        ("select * from Leads", None),
    ],
)
def test_a_column_split_asks_every_group_for_the_same_rows(query: str, rows: int | None) -> None:
    catalog = wide_catalog()
    found = make(query, rows=rows, catalog=catalog, strategy="coql")
    parts = _parts(found)
    queries = [leaf(p).query for p in parts]  # type: ignore[attr-defined]
    assert [len(q.columns) for q in queries] == [50, 50, 13]
    assert all(q.columns[0] == Column(ID) for q in queries)
    selected = [c for q in queries for c in q.columns[1:]]
    assert len(selected) == len(set(selected)) == 110
    orders = {q.order_by for q in queries}
    assert len(orders) == 1 and next(iter(orders))[-1] == OrderItem(ID)
    assert {q.limit for q in queries} == {queries[0].limit}
    assert len({type(leaf(p)) for p in parts}) == 1


def test_a_wide_query_sorted_past_the_ceiling_splits_the_hidden_column_too() -> None:
    found = make(
        "select * except (City) from Leads order by City desc limit 10 offset 150000",
        rows=250_000,
        catalog=wide_catalog(),
    )
    assert kinds(found)[:4] == ["LocalProject", "LocalSlice", "LocalSort", "ColumnSplit"]
    split = found.steps()[3]
    assert "City" in [c.key for c in split.columns]
    assert "City" not in [c.key for c in found.columns]


def test_a_wide_query_can_be_one_bulk_read() -> None:
    found = make("select * from Leads", rows=250_000, catalog=wide_catalog(), prefer="credits")
    assert isinstance(found.root, BulkRead)
    assert len(found.root.columns) == 111


def test_fifty_columns_are_not_split() -> None:
    found = make("select * from Leads", rows=5000)  # the demo Leads: 50 fields besides id
    assert isinstance(found.root, OffsetPages)
    assert len(found.root.query.columns) == 50


def test_a_grouped_query_of_more_than_50_columns_is_refused() -> None:
    fields = ", ".join(f"Custom_{n:02d}" for n in range(1, 52))
    with pytest.raises(PlanError, match="at most 50 columns"):
        make(f"select {fields}, COUNT(id) from Leads group by Custom_01", catalog=wide_catalog())


# ---- long IN lists -----------------------------------------------------------------------------


def test_a_long_in_is_rewritten_as_an_or_of_ins() -> None:
    select = parse(f"select Last_Name from Leads where Zip_Code in ({zips(120)}) and City = 'Pune'")
    assert has_long_in(select)
    rewritten = rewrite_long_ins(select)
    assert rewritten is not None and not has_long_in(rewritten)
    ins = [c for c in rewritten.conditions() if isinstance(c, In)]
    assert [len(c.values) for c in ins] == [50, 50, 20]  # type: ignore[arg-type]
    original = next(c for c in select.conditions() if isinstance(c, In))
    assert tuple(v for c in ins for v in c.values) == original.values  # type: ignore[union-attr]
    assert criteria_count(rewritten.where) == 4
    assert render(rewritten).count(" or ") == 2 and "and City = 'Pune'" in render(rewritten)


def test_a_long_not_in_is_rewritten_as_an_and_of_not_ins() -> None:
    rewritten = rewrite_long_ins(parse(f"select Last_Name from Leads where Zip_Code not in ({zips(60)})"))
    assert rewritten is not None
    assert " and Zip_Code not in (" in render(rewritten) and " or " not in render(rewritten)


def test_a_rewrite_past_25_criteria_is_a_split() -> None:
    select = parse(f"select Last_Name from Leads where Zip_Code in ({zips(120)}) and {OTHERS}")
    assert rewrite_long_ins(select) is None  # 3 INs and 23 others: 26
    parts = split_long_in(select)
    assert parts is not None and len(parts) == 3
    for part in parts:
        assert criteria_count(part.where) == 24 and not has_long_in(part)
    values = [v for p in parts for c in p.conditions() if isinstance(c, In) for v in c.values]  # type: ignore[union-attr]
    assert len(values) == 120 == len(set(values))
    found = plan(select, Catalog.demo())
    assert isinstance(found.root, InUnion) and len(found.root.parts) == 3
    assert kinds(found) == ["InUnion", "KeysetPages", "KeysetPages", "KeysetPages"]  # no ORDER BY: no sort


def test_an_in_union_is_sorted_only_for_an_order_other_than_id() -> None:
    """The parts are merged in id order: a LIMIT without ORDER BY (the lowest ids) is a
    slice of the merge, streaming, and each part reads no more than the LIMIT and OFFSET."""
    base = f"select Last_Name from Leads where Zip_Code in ({zips(120)}) and {OTHERS}"
    for query in (base + " limit 10 offset 5", base + " order by id limit 10 offset 5"):
        found = make(query)
        assert kinds(found) == ["LocalSlice", "InUnion", "SingleCall", "SingleCall", "SingleCall"]
        parts = found.steps()[2:]
        assert all(isinstance(p, SingleCall) and p.query.limit == Limit(15) for p in parts)
    assert kinds(make(base + " order by Last_Name"))[:2] == ["LocalSort", "InUnion"]
    assert kinds(make(base + " order by id desc limit 10"))[:3] == ["LocalSlice", "LocalSort", "InUnion"]
    assert kinds(make(base)) == ["InUnion", "KeysetPages", "KeysetPages", "KeysetPages"]  # all: no limit


def test_a_long_in_beside_a_long_not_in_is_split_within_25_criteria() -> None:
    """Every part sends the NOT IN whole (as NOT INs of 50): its criteria come out of each
    part's 25 before the IN's values are shared out (the report's case: 1,400 ids IN and
    200 emails NOT IN, 4 criteria, is 2 queries of 1,000 ids)."""
    ids = ", ".join(str(4150868000100000001 + i) for i in range(1_400))
    emails = ", ".join(f"'lead{i}@example.com'" for i in range(200))
    found = make(f"select Email from Leads where id in ({ids}) and Email not in ({emails})")
    assert isinstance(found.root, InUnion) and found.root.per_query == 1_000
    assert [type(p) for p in found.root.parts] == [SingleCall, SingleCall]
    for part in found.root.parts:
        assert isinstance(part, SingleCall)
        assert criteria_count(part.query.where) <= 25
        assert render(part.query).count("Email not in (") == 4
    values = [
        len(c.values)
        for p in found.root.parts
        for c in p.query.conditions()
        if isinstance(c, In) and not c.negated
    ]  # type: ignore[attr-defined,arg-type]
    assert sum(values) == 1_400


def test_two_long_ins_share_the_criteria_left() -> None:
    ids = ", ".join(str(4150868000100000001 + i) for i in range(1_000))
    found = make(f"select Email from Leads where id in ({ids}) and Zip_Code in ({zips(1_000)})")
    assert isinstance(found.root, InUnion) and found.root.per_query == 600  # 12 of the 24 criteria
    assert kinds(found).count("InUnion") == 3  # each part's zip codes split in turn
    for step in found.steps():
        if not step.children:
            assert isinstance(step, (SingleCall, KeysetPages))
            assert criteria_count(step.query.where) <= 24  # one kept for keyset


def test_a_long_not_in_with_no_room_left_for_the_in_is_refused() -> None:
    query = f"select Last_Name from Leads where Zip_Code in ({zips(120)}) and Email not in ({zips(120)})"
    with pytest.raises(PlanError, match=r"takes 3 criteria .* no room is left"):
        make(query + " and " + " and ".join(f"City != 'C{i:02d}'" for i in range(1, 23)))


def test_an_aggregate_over_an_in_union_is_done_here() -> None:
    found = make(
        f"select Lead_Status, COUNT(id), SUM(Annual_Revenue) from Leads where Zip_Code in ({zips(120)}) "
        f"and {OTHERS} group by Lead_Status"
    )
    aggregate = found.root
    assert isinstance(aggregate, LocalAggregate)
    assert aggregate.group == ("Lead_Status",)
    assert aggregate.aggregates == (
        ("COUNT(id)", "COUNT", "id"),
        ("SUM(Annual_Revenue)", "SUM", "Annual_Revenue"),
    )
    part = leaf(aggregate)
    assert isinstance(part, KeysetPages)
    assert [c.key for c in part.columns] == ["id", "Lead_Status", "Annual_Revenue"]


def test_a_rewrite_without_room_for_keyset_becomes_a_split() -> None:
    query = f"select Last_Name from Leads where Zip_Code in ({zips(120)}) and " + " and ".join(
        f"City != 'C{i:02d}'" for i in range(1, 23)
    )
    inside = make(query, rows=90_000)  # offset pages need no extra criterion: the rewrite runs
    assert isinstance(inside.root, OffsetPages)
    past = make(query, rows=250_000, strategy="coql")  # keyset needs 'id > ...': 26
    assert isinstance(past.root, InUnion)
    assert isinstance(make(query, rows=250_000).root, BulkRead)  # the one plan that can run it whole


def test_keyset_with_no_room_for_its_criterion_is_refused() -> None:
    query = "select Last_Name from Leads where " + " and ".join(f"City != 'C{i:02d}'" for i in range(25))
    with pytest.raises(PlanError, match="already has 25 criteria"):
        make(query, rows=250_000, strategy="coql")
    assert isinstance(make(query, rows=90_000).root, OffsetPages)


def test_a_not_in_too_long_to_rewrite_is_refused() -> None:
    with pytest.raises(PlanError, match=r"NOT IN of 120 values takes 3 criteria .*\(26 with the rest"):
        make(f"select Last_Name from Leads where Zip_Code not in ({zips(120)}) and {OTHERS}")
    with pytest.raises(PlanError, match="NOT IN of 1,400 values takes 28 criteria"):
        make(f"select Last_Name from Leads where Zip_Code not in ({zips(1_400)})")


# ---- the plan as data ------------------------------------------------------------------------


def test_plan_steps_are_parents_before_children() -> None:
    found = make("select Last_Name from Leads order by Annual_Revenue limit 5 offset 150000", rows=250_000)
    steps = found.steps()
    assert steps[0] is found.root
    for index, step in enumerate(steps):
        for child in step.children:
            assert steps.index(child) > index


def test_every_step_yields_its_columns_with_id_first() -> None:
    for found in (
        make("select Last_Name, Owner from Leads", rows=250_000),
        make("select * from Leads", rows=150_000, catalog=wide_catalog()),
        make(
            "select Last_Name from Leads order by City limit 3 offset 150000", rows=250_000, prefer="credits"
        ),
    ):
        for step in found.steps():
            assert step.columns[0].key == "id"
        assert found.root.columns == found.columns


def test_star_is_expanded_before_planning() -> None:
    found = make("select * except (Description, Tag) from Leads limit 5", rows=10)
    assert isinstance(found.root, SingleCall)
    names = [c.expr.name for c in found.select.columns]  # type: ignore[union-attr]
    assert "Description" not in names and "Tag" not in names and "Last_Name" in names
    assert len(names) == 48


def test_local_project_keeps_the_query_columns() -> None:
    found = make("select Last_Name from Leads order by City limit 3 offset 150000", rows=250_000)
    assert isinstance(found.root, LocalProject)
    assert [c.key for c in found.root.columns] == ["id", "Last_Name"]


# ---- what the ids alone say: id = x, id in (...) -------------------------------------------------


@pytest.mark.parametrize(
    ("where", "bound"),
    [
        ("id = 7", 1),
        ("id in (1, 2, 3)", 3),
        ("id in ('1', 1, 2)", 2),  # the same id written two ways is one record
        ("ID in (1, 2)", 2),
        ("id in (1, 2, 3) and City = 'X'", 3),
        ("City = 'X' and (id in (1, 2) and id = 5)", 1),
        ("id in (1, 2) or id in (3, 4, 5)", 5),
        ("id in (1, 2) or City = 'X'", None),
        ("id != 7", None),
        ("id not in (1, 2)", None),
        ("id > 7", None),
        ("Owner.id in (1, 2)", None),  # a lookup's id: many records share it
        ("id in (select id from Contacts where Last_Name = 'X')", None),
        ("City = 'X'", None),
    ],
)
def test_the_ids_of_a_where_bound_its_records(where: str, bound: int | None) -> None:
    select = parse(f"select Last_Name from Leads where {where}")
    assert id_bound(select.where) == bound
    assert one_call_rows(select, PlanOptions()) == bound


def test_one_call_rows_takes_the_limit_offset_and_page_size() -> None:
    options = PlanOptions()
    ids = ", ".join(str(i) for i in range(1, 121))
    assert one_call_rows(parse(f"select Last_Name from Leads where id in ({ids}) limit 50"), options) == 50
    assert (
        one_call_rows(parse(f"select Last_Name from Leads where id in ({ids}) limit 50 offset 100"), options)
        == 20
    )
    assert (
        one_call_rows(parse(f"select Last_Name from Leads where id in ({ids}) limit 5 offset 200"), options)
        == 0
    )
    assert one_call_rows(parse("select Last_Name from Leads limit 500"), options) == 500
    assert one_call_rows(parse("select Last_Name from Leads limit 5000"), options) is None
    assert one_call_rows(parse("select Last_Name from Leads"), options) is None
    many = ", ".join(str(i) for i in range(1, 2502))
    assert one_call_rows(parse(f"select Last_Name from Leads where id in ({many})"), options) is None
    assert (
        one_call_rows(
            parse(f"select Last_Name from Leads where id in ({ids})"), replace(options, page_size=100)
        )
        is None
    )
