"""ORDER BY a name that is both an alias and a field (review D2, finding 1): the check warns
that the name means two things, says which coqlkit takes (the alias, as SQL reads it) and
how to say the other. No warning where the field cannot be meant (a field not grouped in a
grouped query) or the name is no field (COQL's names are case-sensitive)."""

from __future__ import annotations

import pytest

from coqlkit import Catalog, Severity, parse, validate
from coqlkit.validate import Diagnostic


def _theirs(text: str, catalog: Catalog | None) -> list[Diagnostic]:
    return [d for d in validate(parse(text), catalog) if d.message.startswith("ORDER BY ")]


def test_an_alias_named_like_a_grouped_field_in_order_by_is_a_warning(demo: Catalog) -> None:
    text = "select COUNT(id) as City from Leads where id is not null group by City order by City desc"
    (found,) = validate(parse(text), demo)
    assert found.severity is Severity.WARNING and found.code == "INVALID_QUERY"
    assert found.message == (
        "ORDER BY City names both the alias of COUNT(id) and the grouped field City: "
        "it orders by COUNT(id) (the alias)"
    )
    assert found.hint == (
        "Zoho does not document which of the two it takes, so coqlkit sends order by COUNT(id); "
        "to order by the field City, give COUNT(id) another alias"
    )
    assert found.span is not None and found.span.start == text.rindex("City")  # the ORDER BY's
    assert text[found.span.start : found.span.end] == "City"
    assert found.details == {"column_name": "City", "alias": "City", "clause": "order by"}


def test_in_a_record_query_the_field_is_named_with_its_module(demo: Catalog) -> None:
    text = "select Last_Name as City, Email from Leads order by City"
    found = _theirs(text, demo)
    assert [d.message for d in found] == [
        "ORDER BY City names both the alias of Last_Name and the field City of Leads: "
        "it orders by Last_Name (the alias)"
    ]


@pytest.mark.parametrize(
    "text",
    [
        # Email is not grouped: it cannot order these groups, so the alias is the one meaning.
        "select SUM(Annual_Revenue) as Email, Lead_Source from Leads group by Lead_Source order by Email desc",
        # city is no field (names are case-sensitive): only the alias.
        "select COUNT(id) as city from Leads group by City order by city desc",
        "select COUNT(id) as n from Leads group by City order by n desc",
        "select City as City from Leads order by City",
        "select COUNT(id) as City from Leads group by City order by COUNT(id) desc",
    ],
    ids=["field-not-grouped", "other-case", "alias-only", "its-own-field", "no-alias-named"],
)
def test_no_warning_where_the_name_means_one_thing(demo: Catalog, text: str) -> None:
    assert _theirs(text, demo) == []
    assert not [d for d in validate(parse(text), demo) if d.is_error]


def test_without_metadata_nothing_is_said() -> None:
    assert _theirs("select COUNT(id) as City from Leads group by City order by City desc", None) == []


def test_an_alias_named_id_in_a_record_query_gets_the_alias_error_alone(demo: Catalog) -> None:
    found = validate(parse("select Last_Name as id from Leads order by id limit 3"), demo)
    assert [(d.code, d.severity) for d in found] == [("INVALID_ALIAS", Severity.ERROR)]
