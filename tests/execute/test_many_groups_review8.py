"""GROUP BY past Zoho's 100,000-group ceiling, and groups the catalog bounds (review 8: big
#4, notebook #8), against the 250,000-lead sandbox over real HTTP.

- Grouped by a picklist, the groups are bounded by its values: no COUNT probe, no
  warning of the ceiling, one call.
- More than 100,000 records, grouped by fields of many values: the pages of groups go
  first and, at the ceiling, the records are read and grouped here; the result is the
  oracle's (SQLite's GROUP BY of the stored rows). Planned from a COUNT the caller made,
  or (the default path, no probe) counted at the ceiling.
- The local grouping (``strategy="bulk"``) gives the same table as the sandbox's own
  GROUP BY: types, the null group, COUNT / SUM / MIN / MAX / AVG.
- A budget that cannot pay for the records' read after the groups is refused after the
  probe, before anything else is spent.
"""

from __future__ import annotations

import asyncio

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from coqlkit.errors import CreditBudgetExceeded
from coqlkit.execute import RunStats, count_rows, execute, options_for
from coqlkit.language import parse
from coqlkit.plan import plan
from coqlkit.plan.steps import BulkRead, GroupsOrRecords, LocalAggregate
from tests.execute.conftest import OPTIONS, Org


def counted(org: Org, text: str, **overrides: object) -> tuple[object, pa.Table, RunStats, int]:
    """``text`` planned from its COUNT probe (as a caller does who asks for it: a GROUP BY
    is not counted by ``prepare``), run; its plan, table, stats and the calls logged."""
    state = org.sandbox.state
    assert state is not None

    async def main() -> tuple[object, pa.Table, RunStats, int]:
        async with org.client() as client:
            state.requests.clear()
            select = parse(text)
            found = await count_rows(client, select)
            made = plan(select, org.catalog, options_for(client, **{**OPTIONS, **overrides}), probe=found)
            stats = RunStats()
            batches = [b async for b in execute(made, client, stats=stats)]
            calls = len([e for e in state.requests if e["path"].startswith("/crm/")])
            return made, pa.Table.from_batches(batches), stats, calls

    return asyncio.run(main())


pytestmark = pytest.mark.slow


def test_a_picklist_bounds_its_groups_one_call_no_probe_no_ceiling(leads_org: Org) -> None:
    run = leads_org.run("select Lead_Source, COUNT(id) from Leads group by Lead_Source")
    assert run.plan.probe is None
    assert run.stats.calls == 1 and len(run.log) == 1
    assert "fails at" not in run.explain and "at most 18 groups" in run.explain
    expected = leads_org.oracle.scalar('SELECT COUNT(DISTINCT coalesce("Lead_Source", \'\')) FROM "Leads"')
    assert run.table.num_rows == expected


def test_groups_past_the_ceiling_are_grouped_here_from_the_records(leads_org: Org) -> None:
    made, got, stats, calls = counted(
        leads_org, "select Company, Lead_Source, COUNT(id) from Leads group by Company, Lead_Source"
    )
    assert isinstance(made.root, GroupsOrRecords)  # type: ignore[attr-defined]
    groups = leads_org.oracle.rows(
        'SELECT "Company", "Lead_Source", COUNT("id") FROM "Leads" GROUP BY 1, 2 ORDER BY 1, 2'
    )
    assert len(groups) > 100_000  # the case: Zoho pages no more than 100,000
    assert any("reached Zoho's 100,000-group ceiling" in n for n in stats.notes)
    assert got.schema.field("COUNT(id)").type == pa.int64()
    assert got.num_rows == len(groups)
    assert sum(got.column("COUNT(id)").to_pylist()) == 250_000
    company = got.column("Company").to_pylist()
    source = pc.cast(got.column("Lead_Source"), pa.string()).to_pylist()
    assert list(zip(company, source, got.column("COUNT(id)").to_pylist(), strict=True)) == groups
    # What was spent: the probe, the groups up to the ceiling (151), the records' read.
    assert stats.calls == calls  # the probe included
    assert stats.credits == 1 + 151 + 375


@pytest.mark.parametrize(
    "aggregates",
    [
        "COUNT(id), COUNT(Industry), SUM(No_of_Employees), SUM(Annual_Revenue), AVG(Annual_Revenue)",
        "MIN(Annual_Revenue), MAX(Created_Time), MIN(No_of_Employees), AVG(No_of_Employees)",
    ],
)
def test_grouped_here_equals_the_sandboxs_group_by(leads_org: Org, aggregates: str) -> None:
    text = (
        f"select Lead_Status, Owner, {aggregates} from Leads "
        "where Annual_Revenue > 9000000 group by Lead_Status, Owner"
    )
    server = leads_org.run(text, strategy="coql")
    local = leads_org.run(text, strategy="bulk")
    assert not any(isinstance(s, LocalAggregate) for s in server.plan.steps())
    assert any(isinstance(s, BulkRead) for s in local.plan.steps())
    assert any(isinstance(s, LocalAggregate) for s in local.plan.steps())
    assert server.table.num_rows > 20
    assert None in pc.cast(server.table.column("Lead_Status"), pa.string()).to_pylist()  # the null group
    assert local.table.schema.equals(server.table.schema)
    # Row for row, value for value (a picklist's dictionary may differ, its values not);
    # AVG: the same double, or within rounding of it.
    for name in local.table.column_names:
        want, have = server.table.column(name), local.table.column(name)
        if name.startswith("AVG"):
            assert pc.max(pc.abs(pc.subtract(want, have))).as_py() < 1e-6
        else:
            assert want.to_pylist() == have.to_pylist(), name


def test_a_budget_that_cannot_pay_the_records_after_the_groups_is_refused_up_front(leads_org: Org) -> None:
    with pytest.raises(CreditBudgetExceeded, match="may pass Zoho's 100,000-group ceiling") as caught:
        counted(leads_org, "select Company, COUNT(id) from Leads group by Company", max_credits=200)
    assert "the budget is 200" in str(caught.value)
    state = leads_org.sandbox.state
    assert state is not None
    calls = [e for e in state.requests if e["path"].startswith("/crm/")]
    assert len(calls) == 1  # the COUNT probe only


def test_the_default_path_counts_the_records_at_the_ceiling_and_groups_them_here(leads_org: Org) -> None:
    """No COUNT probe up front (a GROUP BY is not counted): the pages of groups are held;
    at Zoho's 100,000-group ceiling the records are counted then (one credit), read as the
    count decides (keyset pages here) and grouped here; the result is the oracle's."""
    run = leads_org.run("select Company, Lead_Source, COUNT(id) from Leads group by Company, Lead_Source")
    assert run.plan.probe is None
    groups = leads_org.oracle.rows(
        'SELECT "Company", "Lead_Source", COUNT("id") FROM "Leads" GROUP BY 1, 2 ORDER BY 1, 2'
    )
    source = pc.cast(run.table.column("Lead_Source"), pa.string()).to_pylist()
    got = list(
        zip(
            run.table.column("Company").to_pylist(),
            source,
            run.table.column("COUNT(id)").to_pylist(),
            strict=True,
        )
    )
    assert got == groups and len(groups) > 100_000
    # The groups up to the ceiling (51 calls, 151 credits), the COUNT, the records' keyset pages.
    assert (run.stats.calls, run.stats.credits) == (51 + 1 + 125, 151 + 1 + 375)
    assert len(run.log) == run.stats.calls
    assert "COUNT · 1 call · 1 credit · 250,000 records match · actual: 1 call, 1 credit" in run.explain
    assert any("reached Zoho's 100,000-group ceiling" in n for n in run.stats.notes)
