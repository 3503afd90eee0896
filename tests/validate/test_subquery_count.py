"""COQL's five subqueries are counted over the whole statement, nested ones too.

Zoho: "A maximum of 5 subqueries can be queried in a parent query" (v7 COQL-subquery).
Counted per level, six subqueries nested one in another passed the check, and coqlkit's
sandbox failed from seven levels on with an HTTP 500.
"""

from __future__ import annotations

from coqlkit import Catalog, parse, validate


def nested(depth: int, innermost: str = "id is not null limit 5") -> str:
    """``select Last_Name from Leads where id in (select id from Leads where id in (...))``."""
    return (
        "select Last_Name from Leads where "
        + "id in (select id from Leads where " * depth
        + innermost
        + ")" * depth
    )


def errors(text: str, catalog: Catalog) -> list[tuple[str, str, int]]:
    return [(d.code, d.message, d.column) for d in validate(parse(text), catalog) if d.is_error]


def test_five_nested_subqueries_pass(demo: Catalog) -> None:
    assert errors(nested(5), demo) == []


def test_six_nested_subqueries_exceed_the_limit_once(demo: Catalog) -> None:
    text = nested(6)
    found = [d for d in validate(parse(text), demo) if d.is_error]
    assert [(d.code, d.message) for d in found] == [("LIMIT_EXCEEDED", "6 subqueries; COQL allows 5")]
    # It points at the sixth subquery in the text, and says why nested ones count.
    assert text[found[0].span.start :].startswith("select id from Leads where id is not null")  # type: ignore[union-attr]
    assert found[0].hint == "a subquery inside another subquery counts too"
    assert found[0].details == {"limit": 5}


def test_side_by_side_and_nested_subqueries_add_up(demo: Catalog) -> None:
    # Three side by side, one of them holding three nested: six in all.
    inner = "Account_Name in (select id from Accounts where " * 3 + "id is not null" + ")" * 3
    text = (
        "select Last_Name from Contacts where ((Account_Name in (select id from Accounts where "
        "id is not null limit 100) and Reporting_To in (select id from Contacts where "
        f"{inner} limit 100)) and Owner in (select id from Users where id is not null limit 100))"
    )
    assert [(c, m) for c, m, _ in errors(text, demo)] == [("LIMIT_EXCEEDED", "6 subqueries; COQL allows 5")]


def test_side_by_side_subqueries_get_no_nesting_hint(demo: Catalog) -> None:
    subs = " or ".join(f"id in (select id from Leads where Last_Name = 'n{i}' limit 5)" for i in range(6))
    found = [d for d in validate(parse(f"select Last_Name from Leads where {subs}"), demo) if d.is_error]
    assert [(d.code, d.hint) for d in found] == [("LIMIT_EXCEEDED", None)]


def test_nested_subqueries_are_still_checked_in_their_module(demo: Catalog) -> None:
    # The inner subquery's misspelt field is found, where it stands, once.
    text = nested(2, "Last_Nme = 'x' limit 5")
    found = errors(text, demo)
    assert [(c, col) for c, _, col in found] == [("INVALID_QUERY", text.index("Last_Nme") + 1)]


def test_a_thousand_nested_subqueries_are_counted_not_a_stack_overflow(demo: Catalog) -> None:
    found = errors(nested(1000), demo)
    assert [(c, m) for c, m, _ in found] == [("LIMIT_EXCEEDED", "1000 subqueries; COQL allows 5")]
