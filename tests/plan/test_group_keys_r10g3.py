"""Pages of groups fetch every grouped field, even where the query leaves them no room
under their own name (review 10, G3 #2).

- An alias named like a grouped field the query does not select (``select COUNT(id) as
  Email ... group by Email``): Zoho refuses an alias that names a selected column, so the
  pages fetch the aliased column under its own name beside the grouped field, and the
  projection gives it back its alias. Was: the grouped field left out, the groups of two
  pages not told apart, and a lazy reader failed at the ceiling.
- A GROUP BY whose SELECT leaves no room under COQL's 50 columns for the grouped fields it
  does not select: refused before anything is sent, saying why and what to do (was:
  planned with pages whose groups cannot be told apart). A validated query never gets
  there (4 grouped fields and 5 aggregates at most): the planner is public, and says so
  itself.
"""

from __future__ import annotations

import pytest

from coqlkit.catalog import Catalog
from coqlkit.errors import PlanError
from coqlkit.language import parse
from coqlkit.language.render import render
from coqlkit.plan import PlanOptions, plan
from coqlkit.plan.groups import group_columns, renamed, with_grouped_fields
from coqlkit.plan.planner import grouped_here
from coqlkit.plan.prepare import output_columns
from coqlkit.plan.steps import GroupsOrRecords, LocalAggregate, LocalProject, OffsetPages, Step

CATALOG = Catalog.demo()


def _pages(step: Step) -> OffsetPages:
    while not isinstance(step, OffsetPages):
        step = step.groups if isinstance(step, GroupsOrRecords) else step.children[0]
    return step


@pytest.mark.parametrize(
    ("text", "sent", "sources"),
    [
        (
            "select COUNT(id) as Email from Leads group by Email",
            "select COUNT(id), Email from Leads where id is not null group by Email limit 200 offset 0",
            (("Email", "COUNT(id)"),),
        ),
        (
            "select Lead_Source as email, COUNT(id) from Leads group by Email, Lead_Source",
            "select Lead_Source, COUNT(id), Email from Leads where id is not null group by Email, "
            "Lead_Source limit 200 offset 0",
            (("email", "Lead_Source"),),
        ),
        (  # the ORDER BY names the alias: the aggregate, as Zoho reads it
            "select COUNT(id) as Email, MAX(Annual_Revenue) as top from Leads group by Email "
            "order by Email desc",
            "select COUNT(id), MAX(Annual_Revenue) as 'top', Email from Leads where id is not null "
            "group by Email order by COUNT(id) desc, Email asc limit 200 offset 0",
            (("Email", "COUNT(id)"),),
        ),
    ],
    ids=["aggregate", "grouped-field-lower-case", "ordered-by-the-alias"],
)
def test_an_alias_named_like_a_grouped_field_is_fetched_under_its_own_name(
    text: str, sent: str, sources: tuple[tuple[str, str], ...]
) -> None:
    made = plan(parse(text), CATALOG, PlanOptions())
    root = made.root
    assert isinstance(root, LocalProject) and root.sources == sources
    assert [c.key for c in root.columns] == [c.key for c in made.columns]  # the query's own keys
    pages = _pages(root)
    assert render(pages.query) + " limit 200 offset 0" == sent
    # Every grouped field among the pages' columns: a group is told apart by all of them.
    assert group_columns(pages.columns, pages.query.group_by) is not None
    # The records grouped at the ceiling yield the pages' columns, under the same keys.
    inner = with_grouped_fields(made.select)
    at_ceiling = grouped_here(inner, CATALOG, PlanOptions(), rows=250_000)
    assert [c.key for c in at_ceiling.columns] == [c.key for c in pages.columns]


def test_an_alias_not_named_like_a_grouped_field_is_kept() -> None:
    made = plan(parse("select COUNT(id) as n from Leads group by Email"), CATALOG, PlanOptions())
    assert isinstance(made.root, LocalProject) and made.root.sources == ()
    assert render(_pages(made.root).query).startswith("select COUNT(id) as 'n', Email from Leads")


def test_planned_from_a_count_the_alias_is_given_back_above_both_ways() -> None:
    made = plan(
        parse("select COUNT(id) as Email from Leads group by Email"), CATALOG, PlanOptions(), rows=250_000
    )
    root = made.root
    assert isinstance(root, LocalProject) and root.sources == (("Email", "COUNT(id)"),)
    assert isinstance(root.child, GroupsOrRecords)
    assert [c.key for c in root.child.records.columns] == ["COUNT(id)", "Email"]


def test_grouped_here_from_the_start_gives_the_alias_back() -> None:
    """strategy='bulk': the local aggregate names the aggregate by its key in the fetched
    columns, sorts by the alias's column, and the projection renames it."""
    text = "select COUNT(id) as Email from Leads group by Email order by Email desc"
    made = plan(parse(text), CATALOG, PlanOptions(strategy="bulk"), rows=250_000)
    root = made.root
    assert isinstance(root, LocalProject) and root.sources == (("Email", "COUNT(id)"),)
    steps = made.steps()
    aggregate = next(s for s in steps if isinstance(s, LocalAggregate))
    assert aggregate.aggregates == (("COUNT(id)", "COUNT", "id"),)
    assert "local sort by COUNT(id) desc" in made.explain()


def test_renamed_pairs_the_query_columns_with_those_fetched_in_their_place() -> None:
    q = parse("select Lead_Source as Email, COUNT(id) as n from Leads group by Email, Lead_Source")
    fetched = output_columns(with_grouped_fields(q), CATALOG)
    assert [c.key for c in fetched] == ["Lead_Source", "n", "Email"]
    assert renamed(output_columns(q, CATALOG), fetched) == (("Email", "Lead_Source"),)


# ---- no room under COQL's 50 columns --------------------------------------------------------


def _fifty(extra: str = "") -> str:
    columns = ", ".join(f"COUNT(id) as c{i}" for i in range(50))
    return f"select {columns} from Leads group by Email{extra}"


def test_pages_of_groups_with_no_room_for_a_grouped_field_are_refused_before_anything_is_sent() -> None:
    with pytest.raises(PlanError) as caught:
        plan(parse(_fifty()), CATALOG, PlanOptions())
    message = str(caught.value)
    assert message == (
        "this GROUP BY groups by Email, which it does not select, and selects 50 columns: coqlkit "
        "fetches every grouped field to tell its pages of groups apart, and 51 columns pass COQL's "
        "50; select Email in place of a column, add a LIMIT of at most 2,000 groups (one call), or "
        "run it with strategy='bulk' (its records read in bulk and grouped here)"
    )


def test_the_ways_the_refusal_names_still_plan() -> None:
    one_call = plan(parse(_fifty(" limit 500")), CATALOG, PlanOptions())
    assert one_call.root.name == "single call" and one_call.estimate.calls == 1
    bulk = plan(parse(_fifty()), CATALOG, PlanOptions(strategy="bulk"), rows=1_000)
    assert any(s.name == "bulk read" for s in bulk.steps())
    assert [c.key for c in bulk.columns] == [f"c{i}" for i in range(50)]
