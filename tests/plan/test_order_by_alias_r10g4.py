"""ORDER BY a name that is both an alias and a field (review D2, finding 1): the planner
sends the aliased column's expression in its place, so the single call, the pages, the
records grouped or sorted here (and the notebook's peek, which reads the plan's first page)
all order by the alias, whatever Zoho would make of the name. Was: ``order by City`` sent as
written by the single call (the sandbox read the field there), ``COUNT(id)`` on the pages
and in bulk. (End to end against the sandbox and SQLite: tests/execute/test_order_by_alias_r10g4.py.)
"""

from __future__ import annotations

import pytest

from coqlkit.catalog import Catalog
from coqlkit.language import parse
from coqlkit.language.ast import Aggregate, FieldRef, OrderItem
from coqlkit.language.render import render
from coqlkit.plan import PlanOptions, plan
from coqlkit.plan.order_aliases import order_by_aliases
from coqlkit.plan.planner import Plan, grouped_here
from coqlkit.plan.steps import KeysetPages, LocalSort, OffsetPages, SingleCall

CATALOG = Catalog.demo()
BY_CITY = "select COUNT(id) as City from Leads group by City order by City desc"
COUNT_ID = Aggregate("COUNT", FieldRef(("id",)))


def _sent(made: Plan) -> list[str]:
    """The COQL of every call-making step of a plan."""
    return [render(s.query) for s in made.steps() if isinstance(s, (SingleCall, OffsetPages, KeysetPages))]


# ---- the rewrite ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "order"),
    [
        (BY_CITY, (OrderItem(COUNT_ID, descending=True),)),
        # The alias in another case than the field: COQL's names are case-sensitive, but
        # sending the column leaves Zoho nothing to read otherwise.
        (
            "select COUNT(id) as city from Leads group by City order by city desc",
            (OrderItem(COUNT_ID, descending=True),),
        ),
        (
            "select Last_Name as City, Email from Leads order by City desc, Email",
            (OrderItem(FieldRef(("Last_Name",)), descending=True), OrderItem(FieldRef(("Email",)))),
        ),
        # The name, then its column named too: once (COQL refuses a field twice in ORDER BY).
        (
            "select Last_Name as City from Leads order by City, Last_Name desc",
            (OrderItem(FieldRef(("Last_Name",))),),
        ),
        (
            "select SUM(Annual_Revenue) as Email, Lead_Source from Leads group by Lead_Source order by Email",
            (OrderItem(Aggregate("SUM", FieldRef(("Annual_Revenue",)))),),
        ),
    ],
    ids=["grouped", "other-case", "records", "named-twice", "field-not-grouped"],
)
def test_an_order_by_name_that_is_an_alias_and_a_field_is_the_aliased_column(
    text: str, order: tuple[OrderItem, ...]
) -> None:
    assert order_by_aliases(parse(text), CATALOG).order_by == order


@pytest.mark.parametrize(
    "text",
    [
        "select COUNT(id) as n from Leads group by City order by n desc",  # an alias only
        "select City as City from Leads order by City",  # the alias is its own field's
        "select Owner.last_name as Email from Leads order by Owner.last_name",  # a path, no alias
        "select Last_Name as City from Leads order by Email",  # the alias not in ORDER BY
        "select Last_Name as City from Leads",
    ],
)
def test_a_query_with_no_such_name_is_left_as_it_is(text: str) -> None:
    select = parse(text)
    assert order_by_aliases(select, CATALOG) is select


def test_a_module_the_catalog_does_not_know_is_left_as_it_is() -> None:
    select = parse("select Name as City from Leadz order by City")
    assert order_by_aliases(select, CATALOG) is select


# ---- every plan sends, and sorts by, the alias's column --------------------------------------


@pytest.mark.parametrize(
    ("suffix", "options", "step"),
    [
        (" limit 3", PlanOptions(), SingleCall),
        ("", PlanOptions(), OffsetPages),
        ("", PlanOptions(page_size=50, offset_ceiling=200), OffsetPages),
    ],
    ids=["one-call", "pages", "pages-with-a-ceiling"],
)
def test_every_call_of_the_grouped_query_orders_by_the_count(
    suffix: str, options: PlanOptions, step: type
) -> None:
    made = plan(parse(BY_CITY + suffix), CATALOG, options)
    assert any(isinstance(s, step) for s in made.steps())
    sent = _sent(made)
    assert sent and all(" order by COUNT(id) desc" in q and "order by City" not in q for q in sent), sent
    # The plan's query is the rewritten one: the ceiling's fallback groups from it.
    assert made.select.order_by == (OrderItem(COUNT_ID, descending=True),)


def test_the_one_call_keeps_the_alias_and_orders_by_its_column() -> None:
    made = plan(parse(BY_CITY + " limit 3"), CATALOG, PlanOptions())
    assert _sent(made) == [
        "select COUNT(id) as 'City' from Leads where id is not null group by City "
        "order by COUNT(id) desc limit 3"
    ]
    assert [c.key for c in made.columns] == ["City"]


def test_bulk_and_the_ceilings_fallback_sort_the_groups_by_the_count() -> None:
    bulk = plan(parse(BY_CITY), CATALOG, PlanOptions(strategy="bulk"), rows=250_000)
    assert "local sort by COUNT(id) desc" in bulk.explain()
    # Called with the query as the user wrote it (the planner's public function).
    here = grouped_here(parse(BY_CITY), CATALOG, PlanOptions(), rows=250_000)
    sort = here
    while not isinstance(sort, LocalSort):
        sort = sort.children[0]
    assert sort.keys == (("COUNT(id)", True),)


def test_records_sorted_here_past_the_ceiling_are_sorted_by_the_aliased_column() -> None:
    made = plan(parse("select Last_Name as City from Leads order by City desc"), CATALOG, rows=250_000)
    sort = next(s for s in made.steps() if isinstance(s, LocalSort))
    assert sort.keys == (("City", True),)  # the column keyed City holds Last_Name
    assert all("Last_Name as 'City'" in q and "order by id asc" in q for q in _sent(made))
    pages = plan(parse("select Last_Name as City from Leads order by City desc"), CATALOG, rows=5_000)
    assert all("order by Last_Name desc, id asc" in q for q in _sent(pages))
