"""The executor end to end: plans run by the real client against the sandbox over HTTP, their
results held row for row, typed, against hand-written SQL on the sandbox's own database.

Every strategy is exercised where its limits are: one call, offset pages, keyset windows past
the 100,000-row offset ceiling, bulk-read jobs of several pages, the column split of a module
of 80 fields, the OR-of-INs rewrite and the IN union with local aggregation, and the local
sort, slice and projection that finish what the server cannot do. Each run's EXPLAIN ANALYZE
figures (calls, credits) are checked against the sandbox's request log, and no result may
hold an id twice.

The oracle (``oracle.py``) never calls coqlkit's planner, executor or Arrow typing, nor the
sandbox's COQL compiler: its WHERE and ORDER BY are written here, in SQL, beside each query.
"""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from coqlkit.errors import CreditBudgetExceeded
from coqlkit.execute import result_schema
from coqlkit.language.render import render
from tests.execute.conftest import LEADS, SHIPMENTS, Org, Run
from tests.execute.oracle import assert_same_table, comparable, expected_type

SIZES = [1, 2_000, 2_001, 100_000, 100_001, 250_000]
CEILING = 100_000
PAGE = 2_000
# Every column costs time at 250,000 rows: the results of 100,000 rows and more have one (the
# other types are checked on the smaller ones and in the SELECT * tests).
SMALL_COLUMNS = "Last_Name, Lead_Status, Annual_Revenue, Created_Time, Owner"
OK = (200, 201, 204)
STATUSES = "('Not Contacted', 'Attempted to Contact', 'Contacted')"


# ---- facts read from the data, and checks every run gets ---------------------------------------


@pytest.fixture(scope="module")
def facts(leads_org: Org) -> dict[str, Any]:
    """Values the queries use, read from the database (so each query matches what it means to)."""
    o = leads_org.oracle
    ids = [r[0] for r in o.rows('SELECT id FROM "Leads" ORDER BY id')]
    assert len(ids) == LEADS
    opted_in = [r[0] for r in o.rows('SELECT id FROM "Leads" WHERE "Email_Opt_Out" = 0 ORDER BY id')]
    emails = [
        r[0]
        for r in o.rows(
            'SELECT "Email" FROM "Leads" WHERE "Email" IS NOT NULL GROUP BY lower("Email") '
            "HAVING COUNT(*) = 1 ORDER BY MIN(id)"
        )
    ]
    return {
        "ids": ids,
        # the id at which exactly n opted-in records have been seen
        "opted_in_upto": {n: opted_in[n - 1] for n in SIZES if n <= len(opted_in)},
        "emails": emails[::97][:120],
        "ids_1400": ids[7::173][:1_400],
        # Records every slice of the long IN also matches (the union must keep each once); an id
        # range, so that the sandbox answers from its id index, not a scan of 250,000 rows.
        "shared_upto": ids[40],
        "upto_140k": ids[139_999],
    }


def accounted(run: Run) -> None:
    """EXPLAIN ANALYZE's calls and credits are the ones the sandbox logged and charged."""
    answered = [e for e in run.log if e["status"] in OK]
    assert run.stats.calls == len(answered), (run.stats.calls, run.log)
    assert run.stats.credits == sum(e["credits"] for e in run.log)
    calls = "call" if run.stats.calls == 1 else "calls"
    credits = "credit" if run.stats.credits == 1 else "credits"
    rows = "row" if run.table.num_rows == 1 else "rows"
    actual = f"Actual: {run.table.num_rows:,} {rows} · {run.stats.calls:,} {calls} · {run.stats.credits:,} {credits}"
    assert actual in run.explain
    assert run.stats.rows == run.table.num_rows


def unique_ids(table: pa.Table) -> None:
    assert pc.count_distinct(table.column("id")).as_py() == table.num_rows, "an id appears twice"


def by_id(table: pa.Table) -> pa.Table:
    return table.take(pc.sort_indices(pc.cast(table.column("id"), pa.int64())))


def typed(run: Run) -> None:
    """Each column has the Arrow type DESIGN.md gives its field (COUNT: int64; SUM: int64 of
    whole numbers, decimal128(38, places) of amounts, else float64; AVG: float64; MIN and
    MAX: the field's own), checked from the field metadata, not from arrow.py."""
    module = run.catalog.module(run.plan.select.module)
    assert module is not None and module.fields is not None
    for item in run.schema:
        meta = {k.decode(): v.decode() for k, v in (item.metadata or {}).items()}
        field = module.fields[meta["zoho.api_name"]]
        aggregate = meta.get("zoho.aggregate")
        want = {"COUNT": pa.int64(), "AVG": pa.float64()}.get(aggregate or "")
        if aggregate == "SUM":  # whole numbers add up to one, amounts to an exact amount
            own = expected_type(field, run.tz)
            want = own if pa.types.is_integer(own) else pa.float64()
            if pa.types.is_decimal(own):
                want = pa.decimal128(38, own.scale)
        assert item.type == (want or expected_type(field, run.tz)), item.name


def check(run: Run, expected: pa.Table, *, approx: tuple[str, ...] = (), ordered: bool = True) -> None:
    """The run's table is ``expected`` (in its order, unless the query has none), typed as
    DESIGN.md says, ids are unique, and EXPLAIN ANALYZE's figures are the sandbox's."""
    typed(run)
    assert_same_table(run.table if ordered else by_id(run.table), expected, approx=approx)
    if "id" in run.table.column_names:
        unique_ids(run.table)
    accounted(run)


def by_revenue(org: Org, run: Run, where: str, params: list[Any]) -> pa.Table:
    """The oracle's Leads matching ``where``, by Annual_Revenue descending (then id)."""
    return org.oracle.records(
        "Leads", run.schema, where=where, order='t."Annual_Revenue" DESC, t.id', params=params
    )


def coql_calls(run: Run) -> list[dict[str, Any]]:
    return [e for e in run.log if e["path"] == "/crm/v8/coql" and e["status"] in OK]


# ---- result sizes: one call, offset pages, keyset windows ---------------------------------------


def _expected_strategy(n: int) -> str:
    return "single call" if n <= PAGE else "offset pages" if n <= CEILING else "keyset pages"


@pytest.mark.slow
@pytest.mark.parametrize("n", SIZES)
def test_sizes_with_a_limit(leads_org: Org, n: int) -> None:
    columns = SMALL_COLUMNS if n <= PAGE + 1 else "Annual_Revenue"
    run = leads_org.run(f"select {columns} from Leads where id is not null limit {n}")
    assert run.steps() == [_expected_strategy(n)]
    assert (run.plan.probe is None) == (n <= PAGE)  # a LIMIT that fits one call needs no count
    expected = leads_org.oracle.records("Leads", run.schema, limit=n)
    check(run, expected)
    assert run.table.num_rows == n
    assert run.stats.calls == math.ceil(n / PAGE) + (run.plan.probe is not None)
    est = run.plan.estimate
    assert (est.calls, est.credits, est.rows) == (run.stats.calls, run.stats.credits, n)


@pytest.mark.slow
@pytest.mark.parametrize("n", SIZES)
def test_sizes_with_a_where(leads_org: Org, facts: dict[str, Any], n: int) -> None:
    if n == LEADS:
        coql, where, params = "Owner is not null", 't."Owner" IS NOT NULL', ()
    else:
        upto = facts["opted_in_upto"][n]
        coql, where = f"Email_Opt_Out = false and id <= {upto}", 't."Email_Opt_Out" = 0 AND t.id <= ?'
        params = (upto,)
    columns = (
        "Email, Email_Opt_Out, No_of_Employees, Languages_Spoken" if n <= PAGE + 1 else "No_of_Employees"
    )
    run = leads_org.run(f"select {columns} from Leads where {coql}")
    assert run.plan.probe is not None and run.plan.probe.rows == n  # the COUNT probe found them all
    assert run.steps() == [_expected_strategy(n)]
    check(run, leads_org.oracle.records("Leads", run.schema, where=where, params=params))
    assert run.table.num_rows == n
    est = run.plan.estimate
    assert (est.calls, est.credits, est.rows) == (run.stats.calls, run.stats.credits, n)


@pytest.mark.slow
@pytest.mark.parametrize("n", [2_000, 100_000, 100_001])
def test_sizes_without_a_count_probe(leads_org: Org, facts: dict[str, Any], n: int) -> None:
    """No row count: pages until one comes back short, also when the last page is exactly full
    (2,000; 100,000: the whole first window) or a window holds one row (100,001)."""
    upto = facts["opted_in_upto"][n]
    run = leads_org.run(
        f"select No_of_Employees from Leads where Email_Opt_Out = false and id <= {upto}", probe=False
    )
    assert run.plan.probe is None
    assert run.steps() == ["keyset pages"]
    where = 't."Email_Opt_Out" = 0 AND t.id <= ?'
    check(run, leads_org.oracle.records("Leads", run.schema, where=where, params=(upto,)))
    assert run.table.num_rows == n


def test_limit_and_offset_past_the_ceiling(leads_org: Org) -> None:
    """Rows 150,001-150,500: the first window is skipped by asking only for its last id."""
    run = leads_org.run("select Last_Name, Owner from Leads where id is not null limit 500 offset 150000")
    assert run.steps() == ["keyset pages"]
    check(run, leads_org.oracle.records("Leads", run.schema, limit=500, offset=150_000))
    assert len(coql_calls(run)) == 3  # the COUNT probe, the first window's last id, the 500 rows
    assert run.stats.credits == 1 + 1 + 2


def test_limit_and_offset_across_the_ceiling(leads_org: Org) -> None:
    """Rows 99,001-101,000: half in the first window, half after it."""
    run = leads_org.run("select Email from Leads where id is not null limit 2000 offset 99000")
    assert run.steps() == ["keyset pages"]
    check(run, leads_org.oracle.records("Leads", run.schema, limit=2_000, offset=99_000))


# ---- SELECT *: 50 fields in one scan; 80 fields as a column split -----------------------------


def test_select_star_on_leads_is_one_scan_of_all_fifty_fields(leads_org: Org) -> None:
    run = leads_org.run(
        f"select * from Leads where Lead_Source = 'Web Research' and Lead_Status in {STATUSES}"
    )
    assert run.table.num_columns == 51  # id, and the 50 fields one query may select
    assert run.steps() == ["offset pages"]
    where = f't."Lead_Source" = \'Web Research\' AND t."Lead_Status" IN {STATUSES}'
    check(run, leads_org.oracle.records("Leads", run.schema, where=where))
    assert run.table.num_rows > PAGE


def _wide_types(org: Org, run: Run) -> None:
    """All 80 columns, each typed as its field says (text, picklist, multi-select, integer,
    bigint, double, percent, currency, decimal at scale 3, boolean, date, datetime, lookups)."""
    module = org.catalog.module("Shipments")
    assert module is not None and module.fields is not None
    assert run.table.column_names == ["id", *(name for name in module.fields if name != "id")]
    typed(run)


def test_select_star_on_80_fields_is_a_column_split(wide_org: Org) -> None:
    """With the planner free to choose (bulk read is a candidate once the count is known)."""
    run = wide_org.run("select * from Shipments")
    assert run.steps()[0] == "column split"
    _wide_types(wide_org, run)
    check(run, wide_org.oracle.records("Shipments", run.schema))


def test_select_star_on_80_fields_by_coql_pages(wide_org: Org) -> None:
    run = wide_org.run("select * from Shipments", strategy="coql")
    assert run.steps() == ["column split", "offset pages", "offset pages"]
    _wide_types(wide_org, run)
    check(run, wide_org.oracle.records("Shipments", run.schema))
    assert run.table.num_rows == SHIPMENTS


def test_column_split_ordered_by_the_server(wide_org: Org) -> None:
    """DESC, nulls and ties, on a field of the first group and one of the second."""
    run = wide_org.run(
        "select * from Shipments where Pieces_1 is not null order by Grade_1 desc, Weight_1", strategy="coql"
    )
    assert run.steps()[0] == "column split"
    expected = wide_org.oracle.records(
        "Shipments",
        run.schema,
        where='t."Pieces_1" IS NOT NULL',
        order='t."Grade_1" DESC, t."Weight_1" ASC, t.id',
    )
    check(run, expected)
    grades = run.table.column("Grade_1")
    assert grades.null_count and pc.is_null(grades[-1]).as_py()  # descending: nulls last


def test_column_split_past_the_ceiling_in_keyset_windows(wide_org: Org) -> None:
    """A ceiling of 2,000 rows (an option) puts 2,500 records past it: keyset windows per group."""
    run = wide_org.run("select * from Shipments", strategy="coql", offset_ceiling=2_000)
    assert run.steps() == ["column split", "keyset pages", "keyset pages"]
    check(run, wide_org.oracle.records("Shipments", run.schema))


def test_column_split_past_the_ceiling_sorted_here(wide_org: Org) -> None:
    run = wide_org.run(
        "select * from Shipments order by Due_Date_1 desc, Carrier_City limit 700 offset 1500",
        strategy="coql",
        offset_ceiling=2_000,
    )
    assert "local sort" in run.steps() and "column split" in run.steps()
    expected = wide_org.oracle.records(
        "Shipments", run.schema, order='t."Due_Date_1" DESC, t."Carrier_City", t.id', limit=700, offset=1_500
    )
    check(run, expected)


def test_column_split_as_a_bulk_read(wide_org: Org) -> None:
    run = wide_org.run("select * from Shipments where Flag_1 = true order by Freight_Cost_1", strategy="bulk")
    assert "bulk read" in run.steps()
    expected = wide_org.oracle.records(
        "Shipments", run.schema, where='t."Flag_1" = 1', order='t."Freight_Cost_1", t.id'
    )
    check(run, expected)


# ---- IN lists: rewritten as an OR of INs, or split into a union ----------------------------------


def _strings(values: list[str]) -> str:
    return ", ".join("'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'" for v in values)


def test_in_list_of_120_values_is_one_query(leads_org: Org, facts: dict[str, Any]) -> None:
    emails = facts["emails"]
    assert len(emails) == 120
    run = leads_org.run(
        f"select Last_Name, Email, Annual_Revenue from Leads where Email in ({_strings(emails)}) "
        "order by Annual_Revenue desc"
    )
    assert "IN split" not in run.steps()
    assert len(coql_calls(run)) == 2  # the COUNT probe and the rows
    assert render(run.plan.root.query).count("Email in (") == 3  # type: ignore[attr-defined]
    marks = ", ".join("?" for _ in emails)
    check(run, by_revenue(leads_org, run, f't."Email" COLLATE NOCASE IN ({marks})', emails))
    assert run.table.num_rows == 120


def test_aggregate_over_an_in_list_of_120_values_runs_on_the_server(
    leads_org: Org, facts: dict[str, Any]
) -> None:
    emails = facts["emails"]
    run = leads_org.run(
        "select Lead_Status, COUNT(id), MAX(Annual_Revenue) from Leads "
        f"where Email in ({_strings(emails)}) group by Lead_Status"
    )
    assert "IN split" not in run.steps() and "local aggregate" not in run.steps()
    assert len(coql_calls(run)) == 1  # grouped by Zoho, the 120 values sent as three INs
    marks = ", ".join("?" for _ in emails)
    rows = leads_org.oracle.rows(
        'SELECT "Lead_Status", COUNT(id), MAX("Annual_Revenue") FROM "Leads" '
        f'WHERE "Email" COLLATE NOCASE IN ({marks}) GROUP BY "Lead_Status" ORDER BY "Lead_Status"',
        emails,
    )
    check(run, leads_org.oracle.to_table(rows, run.schema, "Leads"))


def _long_in(facts: dict[str, Any], *, shared: bool = False) -> tuple[str, str, list[Any]]:
    """1,400 ids (``shared``: or one of the first 41 Leads): (COQL, SQL, SQL parameters).

    The OR makes each query a scan of every Lead in the sandbox (a fifth of a second each),
    so only the test about records shared by the parts has it."""
    ids = facts["ids_1400"]
    coql = f"id in ({', '.join(map(str, ids))})"
    sql = f"t.id IN ({', '.join('?' for _ in ids)})"
    if not shared:
        return coql, sql, ids
    return f"({coql} or id <= {facts['shared_upto']})", f"({sql} OR t.id <= ?)", [*ids, facts["shared_upto"]]


@pytest.mark.slow
def test_in_list_of_1400_values_is_a_union(leads_org: Org, facts: dict[str, Any]) -> None:
    coql, sql, params = _long_in(facts, shared=True)
    run = leads_org.run(f"select Last_Name, Annual_Revenue, Owner from Leads where {coql}")
    assert run.steps()[0] == "IN split"
    # 1,400 values beside one other criterion: 23 INs of 50 a query (25 criteria, one kept
    # for keyset's "id > ..."), so 1,150 values and then 250.
    assert len(run.plan.root.children) == 2
    assert [render(p.query).count("id in (") for p in run.plan.root.children] == [23, 5]  # type: ignore[attr-defined]
    # No ORDER BY: in id order, the parts' rows merged.
    check(run, leads_org.oracle.records("Leads", run.schema, where=sql, params=params))
    # The first 41 Leads came back from both queries, and are once in the result.
    shared = 41
    fetched = sum(run.stats.actuals[id(step)].rows for step in run.plan.steps() if not step.children)
    assert fetched == run.table.num_rows + shared


def _id_list(ids: list[int]) -> tuple[str, str]:
    """``id in (...)`` in COQL and in SQL (its parameters: ``ids``)."""
    return f"id in ({', '.join(map(str, ids))})", f"t.id IN ({', '.join('?' for _ in ids)})"


def test_an_in_split_without_order_by_comes_in_id_order(leads_org: Org, facts: dict[str, Any]) -> None:
    """Rows come in ascending id order, as from every other strategy, however the IN's
    values are listed: here highest id first, so that the first query holds the highest
    1,200 ids (its rows, then the second query's, were out of order)."""
    ids = facts["ids_1400"][::-1]
    coql, sql = _id_list(ids)
    run = leads_org.run(f"select Last_Name, Lead_Status, Owner from Leads where {coql}")
    assert run.steps()[0] == "IN split" and len(run.plan.root.children) == 2
    assert "IN split · 2 queries of up to 1,200 values (INs of 50), rows merged in id order" in run.explain
    check(run, leads_org.oracle.records("Leads", run.schema, where=sql, params=ids))


def test_a_limit_over_an_in_split_without_order_by_reads_only_what_it_needs(
    leads_org: Org, facts: dict[str, Any]
) -> None:
    """The lowest ids: a slice of the merge, no sort; each query reads its first 205 rows
    at most (the second has 200 ids: LIMIT 200), not all of them."""
    ids = facts["ids_1400"][::-1]
    coql, sql = _id_list(ids)
    run = leads_org.run(f"select Last_Name from Leads where {coql} limit 10 offset 195")
    assert run.steps()[:2] == ["local limit", "IN split"]
    check(run, leads_org.oracle.records("Leads", run.schema, where=sql, limit=10, offset=195, params=ids))
    assert run.stats.credits == 2 + 1  # LIMIT 205 and LIMIT 200; whole, 3 + 1 and a sort
    fetched = [run.stats.actuals[id(step)].rows for step in run.plan.steps() if not step.children]
    assert fetched == [205, 200]


def test_a_long_in_beside_long_not_ins_is_split_within_25_criteria(
    leads_org: Org, facts: dict[str, Any]
) -> None:
    """1,400 ids IN, 200 ids and about 150 emails NOT IN: the NOT INs, 7 criteria in every
    query, leave 17 INs of 50 for the ids (was refused: the split did not count them)."""
    ids = facts["ids_1400"]
    left_out = ids[::7][:200]
    emails = [
        r[0]
        for r in leads_org.oracle.rows(
            f'SELECT "Email" FROM "Leads" WHERE id IN ({", ".join("?" for _ in ids[1:300])}) '
            'AND "Email" IS NOT NULL ORDER BY id LIMIT 150',
            ids[1:300],
        )
    ]
    assert 101 <= len(emails) <= 150
    coql, sql = _id_list(ids)
    run = leads_org.run(
        f"select Last_Name, Email from Leads where {coql} and id not in ({', '.join(map(str, left_out))}) "
        f"and Email not in ({_strings(emails)})"
    )
    assert run.steps()[0] == "IN split" and run.plan.root.per_query == 850  # type: ignore[attr-defined]
    where = (
        f"{sql} AND t.id NOT IN ({', '.join('?' for _ in left_out)}) "
        f'AND t."Email" COLLATE NOCASE NOT IN ({", ".join("?" for _ in emails)})'
    )
    expected = leads_org.oracle.records("Leads", run.schema, where=where, params=[*ids, *left_out, *emails])
    assert 0 < expected.num_rows < 1_200
    check(run, expected)


def test_group_by_a_multi_select_over_an_in_split_is_the_servers_group_by(
    leads_org: Org, facts: dict[str, Any]
) -> None:
    """Grouped here by the whole value (Arrow cannot group by a list; it raised a raw
    ArrowNotImplementedError), equal to Zoho's own GROUP BY of the same records."""
    ids = facts["ids"][1_000:2_400]
    coql, _ = _id_list(ids)
    columns = "Languages_Spoken, COUNT(id), SUM(Annual_Revenue), MAX(Created_Time)"
    split = leads_org.run(f"select {columns} from Leads where {coql} group by Languages_Spoken")
    assert split.steps()[:2] == ["local aggregate", "IN split"]
    server = leads_org.run(
        f"select {columns} from Leads where id >= {ids[0]} and id <= {ids[-1]} group by Languages_Spoken"
    )
    assert "local aggregate" not in server.steps()
    assert server.table.num_rows > 10
    assert_same_table(split.table, server.table, approx=("SUM(Annual_Revenue)",))
    accounted(split)


@pytest.mark.slow
def test_in_union_ordered_and_sliced_here(leads_org: Org, facts: dict[str, Any]) -> None:
    """ORDER BY a selected field (DESC, nulls last) then one not selected, LIMIT with OFFSET."""
    coql, sql, params = _long_in(facts)
    run = leads_org.run(
        f"select Last_Name, Annual_Revenue from Leads where {coql} "
        "order by Annual_Revenue desc, City limit 1000 offset 100"
    )
    assert run.steps()[:3] == ["local projection", "local limit", "local sort"]
    assert "City" not in run.table.column_names  # fetched to sort by, then dropped
    expected = leads_org.oracle.records(
        "Leads",
        run.schema,
        where=sql,
        order='t."Annual_Revenue" DESC, t."City", t.id',
        limit=1_000,
        offset=100,
        params=params,
    )
    check(run, expected)
    assert run.table.column("Annual_Revenue").null_count > 0  # the slice reaches the nulls
    # 24 INs of 50 a query (one criterion kept for keyset's "id > ..."): 1,200 ids, then 200.
    # Each query names its ids: one call each, LIMIT 1200 (3 credits) and LIMIT 200 (1 credit);
    # one query per 50 values would be 28 calls of 1 credit.
    parts = [step for step in run.plan.steps() if not step.children]
    assert len(parts) == 2 and {step.name for step in parts} == {"single call"}
    assert run.stats.credits == 4


def test_records_by_id_are_one_call_without_a_probe(leads_org: Org, facts: dict[str, Any]) -> None:
    ids = facts["ids"][5::1999][:120] + facts["ids"][5::1999][:3]  # 120 ids, 3 of them twice
    run = leads_org.run(
        f"select Last_Name, Annual_Revenue from Leads where id in ({', '.join(map(str, ids))}) "
        "order by Annual_Revenue desc"
    )
    assert run.steps() == ["single call"]
    assert len(coql_calls(run)) == 1 and run.stats.credits == 1  # no COUNT probe; LIMIT 120
    check(run, by_revenue(leads_org, run, f"t.id IN ({', '.join('?' for _ in ids)})", ids))
    assert run.table.num_rows == 120


@pytest.mark.slow
def test_aggregate_with_group_by_over_an_in_union(leads_org: Org, facts: dict[str, Any]) -> None:
    coql, sql, params = _long_in(facts)
    run = leads_org.run(
        "select Lead_Status, Industry, COUNT(id), SUM(Annual_Revenue), AVG(No_of_Employees), "
        f"MIN(Created_Time), MAX(Annual_Revenue) from Leads where {coql} group by Lead_Status, Industry"
    )
    assert run.steps()[:2] == ["local aggregate", "IN split"]
    rows = leads_org.oracle.rows(
        'SELECT t."Lead_Status", t."Industry", COUNT(t.id), SUM(t."Annual_Revenue"), AVG(t."No_of_Employees"), '
        f'MIN(t."Created_Time"), MAX(t."Annual_Revenue") FROM "Leads" AS t WHERE {sql} '
        'GROUP BY t."Lead_Status", t."Industry" ORDER BY t."Lead_Status", t."Industry"',
        params,
    )
    assert len(rows) > 20
    expected = leads_org.oracle.to_table(rows, run.schema, "Leads")
    check(run, expected, approx=("SUM(Annual_Revenue)", "AVG(No_of_Employees)"))


@pytest.mark.slow
def test_aggregate_without_group_by_over_an_in_union(leads_org: Org, facts: dict[str, Any]) -> None:
    coql, sql, params = _long_in(facts)
    run = leads_org.run(f"select COUNT(id), SUM(Annual_Revenue), MAX(Created_Time) from Leads where {coql}")
    assert run.steps()[:2] == ["local aggregate", "IN split"]
    rows = leads_org.oracle.rows(
        f'SELECT COUNT(t.id), SUM(t."Annual_Revenue"), MAX(t."Created_Time") FROM "Leads" AS t WHERE {sql}',
        params,
    )
    check(run, leads_org.oracle.to_table(rows, run.schema, "Leads"), approx=("SUM(Annual_Revenue)",))


# ---- subqueries: Zoho uses at most 100 of a subquery's records ---------------------------------


def _id_range(facts: dict[str, Any], start: int, count: int) -> tuple[int, int]:
    return facts["ids"][start], facts["ids"][start + count - 1]


def _subquery(low: int, high: int, limit: str = "") -> str:
    return f"(select id from Leads where id >= {low} and id <= {high}{limit})"


def test_a_subquery_of_more_than_100_records_is_read_first(leads_org: Org, facts: dict[str, Any]) -> None:
    # Zoho would match the first 100 of the subquery's 300 records (the sandbox does, as
    # its COQL-subquery page says): coqlkit counts them, reads them, and sends their ids.
    low, high = _id_range(facts, 1_000, 300)
    run = leads_org.run(
        f"select Last_Name, Annual_Revenue from Leads where id in {_subquery(low, high)} "
        "order by Annual_Revenue desc"
    )
    [read] = run.plan.subqueries
    assert (read.rows, read.inlined, read.calls) == (300, True, 2)  # its COUNT probe, then its ids
    assert (
        "subquery read first · 300 values (Zoho uses 100 records at most) · 2 calls · 3 credits"
        in run.explain
    )
    assert "(select id" not in render(run.plan.select)
    check(run, by_revenue(leads_org, run, "t.id BETWEEN ? AND ?", [low, high]))
    assert run.table.num_rows == 300


def test_an_aggregate_over_a_long_subquery_counts_every_record(leads_org: Org, facts: dict[str, Any]) -> None:
    low, high = _id_range(facts, 5_000, 300)
    below = facts["ids"][5_999]
    run = leads_org.run(
        "select COUNT(id), SUM(Annual_Revenue) from Leads "
        f"where id in {_subquery(low, high)} or (id > {high} and id <= {below})"
    )
    rows = leads_org.oracle.rows(
        'SELECT COUNT(t.id), SUM(t."Annual_Revenue") FROM "Leads" AS t WHERE t.id BETWEEN ? AND ?',
        [low, below],
    )
    assert rows[0][0] == 1_000
    check(run, leads_org.oracle.to_table(rows, run.schema, "Leads"), approx=("SUM(Annual_Revenue)",))


def test_not_in_a_long_subquery_leaves_out_every_record(leads_org: Org, facts: dict[str, Any]) -> None:
    low, high = _id_range(facts, 100, 300)
    last = facts["ids"][1_999]
    run = leads_org.run(
        f"select COUNT(id) from Leads where id not in {_subquery(low, high)} and id <= {last}"
    )
    assert run.plan.subqueries[0].rows == 300
    assert run.table.column(0).to_pylist() == [2_000 - 300]
    accounted(run)


def test_a_long_subquery_of_thousands_is_an_in_split(leads_org: Org, facts: dict[str, Any]) -> None:
    low, high = _id_range(facts, 20_000, 3_000)
    run = leads_org.run(f"select Last_Name, Owner from Leads where id in {_subquery(low, high)}")
    # 3,000 ids: 60 INs of 50, 24 to a query (one criterion kept for keyset's "id > ...").
    assert run.steps()[0] == "IN split" and len(run.plan.root.children) == 3
    check(
        run,
        leads_org.oracle.records("Leads", run.schema, where="t.id BETWEEN ? AND ?", params=[low, high]),
        ordered=False,
    )


def test_a_long_subquery_of_few_values_still_sends_its_values(leads_org: Org, facts: dict[str, Any]) -> None:
    # 1,000 records but only a handful of lead sources: Zoho would take the first 100
    # records (in the subquery's order: a source or two), so the values are sent, however few.
    low, high = _id_range(facts, 2_000, 1_000)
    sub = f"(select Lead_Source from Leads where id >= {low} and id <= {high} order by Lead_Source asc)"
    run = leads_org.run(f"select COUNT(id) from Leads where Lead_Source in {sub}")
    [read] = run.plan.subqueries
    assert read.inlined and read.records == 1_000 and 1 < read.rows < 100
    assert (
        f"subquery read first · 1,000 records, {read.rows} values (Zoho uses 100 records at most)"
        in run.explain
    )
    expected = leads_org.oracle.scalar(
        'SELECT COUNT(*) FROM "Leads" WHERE "Lead_Source" IN '
        '(SELECT "Lead_Source" FROM "Leads" WHERE id BETWEEN ? AND ?)',
        [low, high],
    )
    first_100 = leads_org.oracle.scalar(
        'SELECT COUNT(*) FROM "Leads" WHERE "Lead_Source" IN (SELECT "Lead_Source" FROM "Leads" '
        'WHERE id BETWEEN ? AND ? AND "Lead_Source" IS NOT NULL ORDER BY "Lead_Source" LIMIT 100)',
        [low, high],
    )
    assert expected > first_100  # what sending the subquery itself would have matched
    assert run.table.column(0).to_pylist() == [expected]


def test_a_subquery_of_100_records_or_fewer_is_left_to_zoho(leads_org: Org, facts: dict[str, Any]) -> None:
    low, high = _id_range(facts, 3_000, 60)
    run = leads_org.run(f"select Last_Name from Leads where id in {_subquery(low, high)}")
    [read] = run.plan.subqueries
    assert (read.rows, read.inlined, read.calls, read.credits) == (60, False, 1, 1)  # its COUNT probe
    assert "subquery counted · 60 records: Zoho takes them all · 1 call · 1 credit" in run.explain
    assert "(select id from Leads" in render(run.plan.select)
    check(
        run, leads_org.oracle.records("Leads", run.schema, where="t.id BETWEEN ? AND ?", params=[low, high])
    )
    # A LIMIT of 100 or less says how many the subquery gives: nothing is counted.
    run = leads_org.run(f"select Last_Name from Leads where id in {_subquery(low, high, ' limit 100')}")
    assert run.plan.subqueries == () and run.table.num_rows == 60
    accounted(run)


def test_a_budget_counts_the_subquery_read_first(leads_org: Org, facts: dict[str, Any]) -> None:
    low, high = _id_range(facts, 9_000, 300)
    query = f"select Last_Name from Leads where id in {_subquery(low, high)}"
    # The subquery's COUNT (1) and its 300 ids (LIMIT 300: 2), then the 300 records (2):
    # a budget of 4 is refused once the COUNT says 300, before the ids are read.
    state = leads_org.sandbox.state
    assert state is not None
    for budget in (4, 2):
        with pytest.raises(CreditBudgetExceeded) as refused:
            leads_org.run(query, max_credits=budget)
        assert refused.value.needed == 5 and refused.value.left == budget
        assert "read first for 2 credits, and the query with its values would cost 2 more: 5 credits" in str(
            refused.value
        )
        spent = [e for e in state.requests if e["path"] == "/crm/v8/coql"]
        assert len(spent) == 1 and "COUNT(id)" in spent[0]["coql"]  # the subquery's count only
    assert leads_org.run(query, max_credits=5).table.num_rows == 300


def test_a_long_subquery_without_count_probes(leads_org: Org, facts: dict[str, Any]) -> None:
    low, high = _id_range(facts, 7_000, 250)
    run = leads_org.run(f"select Last_Name from Leads where id in {_subquery(low, high)}", probe=False)
    [read] = run.plan.subqueries
    assert read.rows == 250 and read.inlined
    assert not [e for e in coql_calls(run) if "COUNT(id)" in e["coql"]]
    check(
        run,
        leads_org.oracle.records("Leads", run.schema, where="t.id BETWEEN ? AND ?", params=[low, high]),
        ordered=False,
    )


# ---- ORDER BY under each strategy -------------------------------------------------------------


def test_order_by_in_one_call_nulls_first_ascending(leads_org: Org) -> None:
    run = leads_org.run(
        "select Last_Name, City, Annual_Revenue from Leads where Lead_Source = 'Facebook' "
        "order by Annual_Revenue, City desc limit 2000"
    )
    assert run.steps() == ["single call"] and run.plan.probe is None
    expected = leads_org.oracle.records(
        "Leads",
        run.schema,
        where="t.\"Lead_Source\" = 'Facebook'",
        order='t."Annual_Revenue", t."City" DESC, t.id',
        limit=2_000,
    )
    check(run, expected)
    assert pc.is_null(run.table.column("Annual_Revenue")[0]).as_py()


def test_order_by_in_offset_pages_on_a_field_not_selected(leads_org: Org) -> None:
    """DESC with nulls last, ties broken by id across page boundaries; City is not selected."""
    run = leads_org.run(
        "select Last_Name, Lead_Status from Leads where Lead_Source = 'Chat' order by City desc, Annual_Revenue"
    )
    assert run.steps() == ["offset pages"]
    assert run.table.column_names == ["id", "Last_Name", "Lead_Status"]
    expected = leads_org.oracle.records(
        "Leads",
        run.schema,
        where="t.\"Lead_Source\" = 'Chat'",
        order='t."City" DESC, t."Annual_Revenue", t.id',
    )
    check(run, expected)
    assert run.table.num_rows > 9 * PAGE


@pytest.mark.slow
def test_order_by_past_the_ceiling_is_sorted_here(leads_org: Org, facts: dict[str, Any]) -> None:
    """Keyset windows, sorted here by two fields not selected (fetched, then dropped)."""
    run = leads_org.run(
        f"select Last_Name from Leads where id <= {facts['upto_140k']} order by City desc, Annual_Revenue desc"
    )
    assert run.steps() == ["local projection", "local sort", "keyset pages"]
    assert run.table.column_names == ["id", "Last_Name"]
    expected = leads_org.oracle.records(
        "Leads",
        run.schema,
        where="t.id <= ?",
        params=(facts["upto_140k"],),
        order='t."City" DESC, t."Annual_Revenue" DESC, t.id',
    )
    check(run, expected)
    assert run.table.num_rows > CEILING


@pytest.mark.parametrize(
    ("limit", "offset", "strategy"),
    [(500, 200_000, "single call"), (3_000, 100_000, "keyset pages"), (2_500, 249_000, "single call")],
)
def test_order_by_id_desc_past_the_ceiling_reads_from_the_other_end(
    leads_org: Org, limit: int, offset: int, strategy: str
) -> None:
    """Counted, the rows are the ascending ones from LEADS - offset - limit: read in id order
    and turned round, not all 250,000 read and sorted."""
    run = leads_org.run(f"select Last_Name, City from Leads order by id desc limit {limit} offset {offset}")
    assert run.steps() == ["local sort", strategy]
    wanted = min(limit, LEADS - offset)
    pages = -(-wanted // PAGE)
    assert len(coql_calls(run)) <= 1 + pages + 1  # the probe, the pages, a skipped window's last row
    expected = leads_org.oracle.records("Leads", run.schema, order="t.id DESC", limit=limit, offset=offset)
    check(run, expected)
    assert run.table.num_rows == wanted


@pytest.mark.slow
def test_order_by_with_limit_and_offset_past_the_ceiling(leads_org: Org, facts: dict[str, Any]) -> None:
    run = leads_org.run(
        f"select Email from Leads where id <= {facts['upto_140k']} order by Last_Name desc limit 500 offset 120000"
    )
    assert run.steps() == ["local projection", "local limit", "local sort", "keyset pages"]
    expected = leads_org.oracle.records(
        "Leads",
        run.schema,
        where="t.id <= ?",
        params=(facts["upto_140k"],),
        order='t."Last_Name" DESC, t.id',
        limit=500,
        offset=120_000,
    )
    check(run, expected)


BULK_QUERY = (
    "select Last_Name, Email, Annual_Revenue, Lead_Status, Owner, Created_Time, Languages_Spoken, "
    "Email_Opt_Out, Visitor_Score, Average_Time_Spent_Minutes, No_of_Employees from Leads "
    "where Lead_Source = 'Web Research' order by Annual_Revenue desc, City"
)


@pytest.mark.slow
def test_order_by_after_a_bulk_read_of_several_pages(leads_org: Org) -> None:
    run = leads_org.run(BULK_QUERY, strategy="bulk")
    assert run.steps() == ["local projection", "local sort", "bulk read"]
    jobs = [e for e in run.log if e["path"] == "/crm/bulk/v8/read" and e["status"] in OK]
    downloads = [e for e in run.log if e["path"].endswith("/result") and e["status"] in OK]
    rows = leads_org.oracle.scalar('SELECT COUNT(*) FROM "Leads" WHERE "Lead_Source" = \'Web Research\'')
    assert len(jobs) == len(downloads) == math.ceil(rows / 1_000) > 1  # one job per page_token page
    expected = leads_org.oracle.records(
        "Leads",
        run.schema,
        where="t.\"Lead_Source\" = 'Web Research'",
        order='t."Annual_Revenue" DESC, t."City", t.id',
    )
    check(run, expected)


@pytest.mark.slow
def test_bulk_read_and_coql_pages_give_equal_tables(leads_org: Org) -> None:
    bulk = leads_org.run(BULK_QUERY + " limit 3000 offset 500", strategy="bulk")
    coql = leads_org.run(BULK_QUERY + " limit 3000 offset 500", strategy="coql")
    assert "bulk read" in bulk.steps() and "bulk read" not in coql.steps()
    assert bulk.schema.equals(coql.schema, check_metadata=True)
    assert comparable(bulk.table).equals(comparable(coql.table))
    assert bulk.table.num_rows == 3_000
    unique_ids(bulk.table)


@pytest.mark.slow
def test_bulk_read_and_coql_agree_on_every_field_of_leads(leads_org: Org) -> None:
    """SELECT * (lookups, JSON text, multi-selects, consent lookups...) both ways."""
    query = "select * from Leads where Lead_Source = 'X (Twitter)' and Lead_Status = 'Contacted'"
    bulk = leads_org.run(query, strategy="bulk")
    coql = leads_org.run(query, strategy="coql")
    assert bulk.steps() == ["bulk read"] and coql.steps()[0] != "bulk read"
    assert comparable(bulk.table).equals(comparable(coql.table)), _first_difference(bulk.table, coql.table)
    where = "t.\"Lead_Source\" = 'X (Twitter)' AND t.\"Lead_Status\" = 'Contacted'"
    check(bulk, leads_org.oracle.records("Leads", bulk.schema, where=where))


def _first_difference(a: pa.Table, b: pa.Table) -> str:
    left, right = comparable(a), comparable(b)
    for name in left.column_names:
        if not left.column(name).equals(right.column(name)):
            lv, rv = left.column(name).to_pylist(), right.column(name).to_pylist()
            row = next((i for i, (x, y) in enumerate(zip(lv, rv, strict=False)) if x != y), 0)
            return f"{name}: row {row}: {lv[row]!r} != {rv[row]!r}"
    return "no difference"


def test_datetimes_are_instants_in_the_asked_zone(leads_org: Org) -> None:
    run = leads_org.run(
        "select Created_Time, Unsubscribed_Time from Leads where Email_Opt_Out = true order by Created_Time desc limit 50",
        tz="Asia/Kolkata",
    )
    assert run.schema.field("Created_Time").type == pa.timestamp("s", tz="Asia/Kolkata")
    expected = leads_org.oracle.records(
        "Leads",
        run.schema,
        where='t."Email_Opt_Out" = 1',
        order='t."Created_Time" DESC, t.id',
        limit=50,
    )
    check(run, expected)


# ---- empty results: the whole schema, no rows --------------------------------------------------


EMPTY = "Last_Name = 'Nobody-At-All'"


@pytest.mark.parametrize(
    ("query", "options", "step", "calls"),
    [
        (
            f"select Last_Name, Owner, Lead_Status, Languages_Spoken from Leads where {EMPTY}",
            {},
            "offset pages",
            1,  # the COUNT probe finds none: nothing more is asked
        ),
        (
            f"select Last_Name, Owner, Annual_Revenue from Leads where {EMPTY} order by City",
            {"strategy": "bulk"},
            "offset pages",
            1,  # no bulk-read job for no records
        ),
        (
            "select Last_Name, Created_Time from Leads where id in ({}) order by Created_Time desc",
            {},
            "IN split",
            2,  # 1,200 ids, then 200
        ),
        (
            "select Lead_Status, COUNT(id), SUM(Annual_Revenue) from Leads where id in ({}) group by Lead_Status",
            {},
            "IN split",
            2,  # 1,200 ids, then 200
        ),
    ],
    ids=["coql", "bulk", "union", "aggregate-union"],
)
def test_an_empty_result_has_the_whole_schema(
    leads_org: Org, query: str, options: dict[str, Any], step: str, calls: int
) -> None:
    absent = ", ".join(str(4_150_868_000_900_000_001 + i) for i in range(1_400))  # ids no Lead has
    run = leads_org.run(query.format(absent), **options)
    assert step in run.steps()
    assert run.table.num_rows == 0
    columns = query.split(" from ")[0].removeprefix("select ").split(", ")
    assert run.table.column_names == (columns if "COUNT(id)" in columns else ["id", *columns])
    typed(run)
    assert run.stats.calls == calls
    accounted(run)


def test_an_empty_column_split_has_all_80_columns(wide_org: Org) -> None:
    run = wide_org.run("select * from Shipments where Name = 'no such shipment'", strategy="coql")
    assert run.table.num_rows == 0 and run.table.num_columns == 80
    _wide_types(wide_org, run)
    typed(run)
    accounted(run)


def test_every_batch_has_the_result_schema(leads_org: Org) -> None:
    plan, batches = leads_org.batches(
        "select Last_Name, Owner, Lead_Status from Leads where Lead_Source = 'Chat' order by City"
    )
    schema = result_schema(plan)
    assert len(batches) > 1
    for batch in batches:
        assert batch.schema.equals(schema, check_metadata=True)
    table = pa.Table.from_batches(batches)
    unique_ids(table)
    assert table.num_rows == leads_org.oracle.scalar(
        'SELECT COUNT(*) FROM "Leads" WHERE "Lead_Source" = \'Chat\''
    )
