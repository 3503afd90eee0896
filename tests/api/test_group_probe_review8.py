"""A GROUP BY is not counted first, whatever its grouped fields: the count changes nothing
below 100,000 records, and a probe on every run doubled the cost of the commonest
analytics query (``group by Owner``: 2 calls, 2 credits, every time; own-diff review B #1),
and planned a worst case that refused cheap ones under a budget (#2)."""

from __future__ import annotations

import coqlkit


def test_a_group_by_of_unbounded_groups_is_one_call(conn: coqlkit.Connection) -> None:
    result = conn.query(
        "select Owner, COUNT(id) from Leads where Lead_Source = 'Web Download' group by Owner"
    )
    table = result.to_arrow()
    assert result.plan.probe is None
    assert (result.stats.calls, result.stats.credits) == (1, 1) and table.num_rows > 1


def test_a_budget_does_not_refuse_it_on_a_worst_case(conn: coqlkit.Connection) -> None:
    result = conn.query("select Email, COUNT(id) from Leads group by Email", max_credits=20)
    assert result.to_arrow().num_rows > 0 and result.stats.credits <= 20
