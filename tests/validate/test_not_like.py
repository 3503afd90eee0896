"""``not like`` works only as 'does not contain' ('%text%'): the hint says what that means
instead of rewriting 'does not start with' into it behind the user's back."""

from __future__ import annotations

import pytest

from coqlkit import Catalog, Severity, parse, validate


def not_like(pattern: str, catalog: Catalog) -> tuple[str, str | None]:
    (d,) = [
        d
        for d in validate(parse(f"select Last_Name from Leads where Last_Name not like '{pattern}'"), catalog)
        if d.severity is Severity.ERROR
    ]
    return d.message, d.hint


@pytest.mark.parametrize(
    ("pattern", "meant", "elsewhere"),
    [("Sm%", "does not start with Sm", "further in"), ("%Sm", "does not end with Sm", "anywhere else")],
)
def test_the_hint_says_contains_is_another_question(
    demo: Catalog, pattern: str, meant: str, elsewhere: str
) -> None:
    message, hint = not_like(pattern, demo)
    assert message == "not like works only as 'does not contain': '%text%'"
    assert hint == (
        f"COQL cannot say '{meant}'. Last_Name not like '%Sm%' means 'does not contain Sm', "
        f"which also leaves out values with Sm {elsewhere}: write it if that is meant, or filter the rows locally"
    )


def test_without_a_wildcard_not_like_is_not_equal(demo: Catalog) -> None:
    _, hint = not_like("Smith", demo)
    assert hint == "without % it means 'is not': write Last_Name != 'Smith'"
    _, hint = not_like("O''Brien", demo)
    assert hint == "without % it means 'is not': write Last_Name != 'O''Brien'"


def test_a_pattern_of_wildcards_alone(demo: Catalog) -> None:
    _, hint = not_like("%", demo)
    assert hint == "name the text a value must not contain: Last_Name not like '%text%'"


def test_does_not_contain_is_accepted(demo: Catalog) -> None:
    query = parse("select Last_Name from Leads where Last_Name not like '%Sm%'")
    assert not [d for d in validate(query, demo) if d.severity is Severity.ERROR]


def test_a_bare_number_is_a_pattern_without_a_wildcard(demo: Catalog) -> None:
    """``like 125`` / ``not like 1.25``: the number is the pattern's text, so the rules of a
    pattern without % hold (the sandbox refuses ``not like 1.25``; the check let it pass)."""
    text = "select Last_Name from Leads where Last_Name not like 1.25"
    (d,) = validate(parse(text), demo)
    assert d.severity is Severity.ERROR and d.message == "not like works only as 'does not contain': '%text%'"
    assert d.hint == "without % it means 'is not': write Last_Name != '1.25'"
    (d,) = validate(parse("select Last_Name from Leads where Last_Name like 125"), demo)
    assert (
        d.severity is Severity.WARNING and d.message == "like without % is an exact match: Last_Name = '125'"
    )
