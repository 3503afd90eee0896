"""Trees as deep as a list of conditions is long: an OR over the ids of a list parses
left-deep, one level per id, and subqueries nest. Rendering, comparing, hashing, showing
and binding such a tree must not recurse once per level (fuzz review 5, #3: RecursionError
from about 400 conditions)."""

from __future__ import annotations

import pytest

from coqlkit import Catalog, parse, render, validate
from coqlkit.language import And, Comparison, FieldRef, Number, Or, render_condition

IDS = [4150868000100000001 + i for i in range(3000)]


def chain(n: int, extra: str = "") -> str:
    return "select Last_Name from Leads where " + " or ".join(f"id = {i}" for i in IDS[:n]) + extra


def nested(n: int, inner: str = "id is not null") -> str:
    return "select Last_Name from Leads where " + "id in (select id from Leads where " * n + inner + ")" * n


@pytest.mark.parametrize("n", [500, 3000])
def test_a_long_or_chain_renders_and_reads_back(n: int) -> None:
    q = parse(chain(n))
    text = render(q)
    assert text.startswith(
        f"select Last_Name from Leads where {'(' * (n - 2)}id = {IDS[0]} or id = {IDS[1]})"
    )
    assert text.endswith(f" or id = {IDS[n - 1]}")
    again = parse(text)
    assert again == q and hash(again) == hash(q)
    assert render(again) == text


def test_a_long_chain_shows_as_the_dataclass_would() -> None:
    q = parse(chain(3000))
    shown = repr(q)
    assert shown.startswith(
        "Select(columns=(Column(expr=FieldRef(path=('Last_Name',), via=None, qualifier=None)"
    )
    assert shown.count("Or(left=") == 2999
    assert repr(q.where).endswith(f"op='=', right=Number(value={IDS[2999]})))")


def test_a_long_chain_gets_the_criteria_limit_not_a_recursion_error() -> None:
    diagnostics = validate(parse(chain(500)), Catalog.demo())
    assert [d.code for d in diagnostics if d.is_error] == ["LIMIT_EXCEEDED"]


def test_a_long_chain_binds_its_parameters() -> None:
    q = parse(chain(3000, " or Last_Name = :name"), params={"name": "O'Brien"})
    assert render(q).endswith(" or Last_Name = 'O''Brien'")


def test_nested_subqueries_render_compare_hash_and_show() -> None:
    q = parse(nested(1000, "id = :x"), params={"x": 7})
    text = render(q)
    assert text.count("(select id from Leads where ") == 1000 and "id = 7" in text
    again = parse(text)
    assert again == q and hash(again) == hash(q)
    assert repr(q).count("In(left=") == 1000
    assert again != parse(nested(1000, "id = 8"))


def test_deep_trees_built_in_code_either_way() -> None:
    leaves = [Comparison(FieldRef(("id",)), "=", Number(i)) for i in range(2000)]
    right_deep = leaves[-1]
    for leaf in reversed(leaves[:-1]):
        right_deep = And(leaf, right_deep)  # type: ignore[assignment]
    text = render_condition(right_deep)
    assert text.startswith("id = 0 and (id = 1 and (") and text.endswith(")" * 1998)
    assert right_deep == And(leaves[0], right_deep.right)  # type: ignore[attr-defined]
    assert right_deep != Or(leaves[0], right_deep.right)  # type: ignore[attr-defined]


def test_small_trees_show_and_compare_as_before() -> None:
    q = parse("select a from B where x = 1 or y in (select id from C where z like 'x%')")
    assert repr(q.where) == (
        "Or(left=Comparison(left=FieldRef(path=('x',), via=None, qualifier=None), op='=', right=Number(value=1)), "
        "right=In(left=FieldRef(path=('y',), via=None, qualifier=None), values=Select(columns=(Column(expr="
        "FieldRef(path=('id',), via=None, qualifier=None), alias=None),), source=Source(module='C', cvid=None), "
        "where=Like(left=FieldRef(path=('z',), via=None, qualifier=None), pattern=String(value='x%'), "
        "negated=False), group_by=(), order_by=(), limit=None), negated=False))"
    )
    assert q == parse("select a from B where x = 1 or y in (select id from C where z like 'x%')")
    assert q != parse("select a from B where x = 1 or y in (select id from C where z like 'y%')")
    assert {q: 1}[parse("SELECT a FROM B WHERE x = 1 OR y IN (SELECT id FROM C WHERE z LIKE 'x%')")] == 1
