"""ORDER BY an aggregate orders groups: a query without aggregates or GROUP BY has none, and
Zoho (as the sandbox) refuses it, where the check let it pass and a credit was spent."""

from __future__ import annotations

from coqlkit import Catalog, Severity, parse, validate


def test_an_aggregate_in_order_by_needs_groups(demo: Catalog) -> None:
    text = "select Last_Name from Leads where id is not null order by COUNT(id)"
    (d,) = validate(parse(text), demo)
    assert d.severity is Severity.ERROR and d.code == "INVALID_QUERY"
    assert d.message == "ORDER BY COUNT(id) in a query without aggregates or GROUP BY"
    assert d.span is not None and text[d.span.start : d.span.end] == "COUNT(id)"
    assert d.details == {"column_name": "COUNT(id)", "clause": "order by"}


def test_a_selected_aggregate_orders_its_groups(demo: Catalog) -> None:
    text = "select Lead_Source, COUNT(id) from Leads group by Lead_Source order by COUNT(id) desc"
    assert [d for d in validate(parse(text), demo) if d.severity is Severity.ERROR] == []
