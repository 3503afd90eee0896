"""Round trip: the renderer and the parser agree on every canonical AST.

Properties, over ``Select`` trees built directly from the node classes (``strategies.selects``):

* **round trip**: ``parse(render(q)) == normal_form(q)``. The normal form is ``q`` itself except
  where ``render`` writes Zoho's defaults: no WHERE becomes ``where id is not null`` and an
  OFFSET without a count becomes ``limit 200 offset n`` (also inside subqueries). Equality ignores
  spans, parentheses, quoting and spelling (``compare=False`` fields), so it checks exactly what
  the query means: names (reserved words included, which must come back quoted), values (any
  unicode, quotes, backslashes, comment openers, ``;``, NUL), the shape of every AND/OR tree,
  subqueries (``in (select ...)`` and ``= (select ...)``), GROUP BY, ORDER BY and LIMIT.
* **idempotence**: rendering the re-parsed tree gives the same text, byte for byte.
* **strictness**: the rendered text uses none of coqlkit's liberal conveniences: no flat AND/OR
  chain (each AND/OR operand that is itself AND/OR is bracketed), no bare word, no lower-case
  aggregate, no ``LIMIT m, n``, no comment, no ``;``, no unquoted reserved word.
* **numbers**: ``render`` refuses (``RenderError``) exactly the numbers ``parse`` would refuse
  (more than 100 digits); every other number comes back equal.

The end of the file keeps the bugs these properties found as regression tests.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from coqlkit import RenderError
from coqlkit.language import (
    Aggregate,
    And,
    Column,
    Comparison,
    FieldRef,
    In,
    IsNull,
    Limit,
    Number,
    Or,
    OrderItem,
    Select,
    Source,
    String,
    extensions,
    parse,
    render,
)
from tests.language.strategies import BASE_SETTINGS, DEFAULT_WHERE, conditions, normal_form, selects

#: The conveniences ``render`` must never produce (coqlkit.language.extensions.NOTES).
FORBIDDEN_IN_RENDERED = frozenset(
    {
        "flat_chain",
        "bare_word",
        "aggregate_case",
        "limit_comma",
        "comment",
        "terminator",
        "missing_where",
        "offset_only",
        "count_star",
        "unquoted_name",
        "star",
        "param",
    }
)


def _q(*columns: str) -> tuple[Column, ...]:
    return tuple(Column(FieldRef((c,))) for c in columns)


# Hand-written trees that must always be in the run: reserved words as names, a polymorphic hop,
# a module prefix, a subquery without WHERE, a lone OFFSET.
_RESERVED = Select(
    (
        Column(FieldRef(("External",))),
        Column(Aggregate("COUNT", FieldRef(("Order",))), "Date"),
        Column(FieldRef(("What_Id", "Last_Name"), via="Leads"), "who"),
        Column(FieldRef(("Owner", "role", "id"), qualifier="Leads")),
    ),
    Source("Accounts", "4150868000000087501"),
    And(
        Or(Comparison(FieldRef(("Date",)), ">=", String("2024-01-01")), IsNull(FieldRef(("Select",)))),
        In(FieldRef(("id",)), Select(_q("Account_Name"), Source("Deals"))),
    ),
    (FieldRef(("Order",)),),
    (OrderItem(Aggregate("COUNT", FieldRef(("Order",))), descending=True),),
    Limit(None, 400),
)
_NO_WHERE = Select(_q("Last_Name"), Source("Leads"))
_AWKWARD_VALUES = Select(
    _q("a"),
    Source("Leads"),
    Or(
        Comparison(FieldRef(("a",)), "=", String("x') or (1=1 -- /* ; \\ \x00 \n é")),
        Comparison(FieldRef(("b",)), "<", Number(Decimal("-0.000"))),
    ),
)


@settings(BASE_SETTINGS, max_examples=150)
@given(selects())
@example(_RESERVED)
@example(_NO_WHERE)
@example(_AWKWARD_VALUES)
def test_parse_render_round_trip(select: Select) -> None:
    text = render(select)
    assert parse(text) == normal_form(select), text


@settings(BASE_SETTINGS, max_examples=100)
@given(selects())
@example(_RESERVED)
def test_render_is_idempotent(select: Select) -> None:
    text = render(select)
    assert render(parse(text)) == text


@settings(BASE_SETTINGS, max_examples=100)
@given(selects())
@example(_RESERVED)
@example(_NO_WHERE)
def test_rendered_text_uses_no_convenience(select: Select) -> None:
    text = render(select)
    used = {e.name for e in extensions(parse(text))}
    assert not used & FORBIDDEN_IN_RENDERED, (used, text)


@settings(BASE_SETTINGS, max_examples=150)
@given(conditions(depth=0))
def test_condition_trees_keep_their_shape(where: And | Or | Comparison) -> None:
    """Cheaper and denser than the full round trip: any AND/OR tree survives, bracketed in pairs."""
    select = Select(_q("id"), Source("Leads"), where)
    text = render(select)
    parsed = parse(text)
    assert parsed.where == where, text
    assert "flat_chain" not in {e.name for e in extensions(parsed)}, text


def test_missing_where_is_written_as_id_is_not_null() -> None:
    assert render(_NO_WHERE) == "select Last_Name from Leads where id is not null"
    assert parse(render(_NO_WHERE)).where == DEFAULT_WHERE


@pytest.mark.parametrize(
    ("limit", "text"),
    [
        (Limit(10), "limit 10"),
        (Limit(10, 0), "limit 10 offset 0"),
        (Limit(10, 20), "limit 10 offset 20"),
        (Limit(None, 20), "limit 200 offset 20"),
        (Limit(None), "limit 200"),
    ],
)
def test_limit_normal_form(limit: Limit, text: str) -> None:
    """Every Limit renders as ``limit n [offset m]``; a missing count is Zoho's default 200."""
    select = Select(_q("id"), Source("Leads"), limit=limit)
    rendered = render(select)
    assert rendered.endswith(" " + text)
    assert parse(rendered).limit == normal_form(select).limit


# ---- regressions -----------------------------------------------------------------------------
# Bugs the properties above found (the case is the minimal example Hypothesis gave), kept so
# they stay fixed.


@pytest.mark.parametrize("text", ['\'""', '\\""', "\"\"''", "'\"\"'"])
def test_double_double_quote_in_string(text: str) -> None:
    """Was: ``'""`` came back as ``'"`` (unquote collapsed ``""`` inside a single-quoted string)."""
    select = Select(_q("a"), Source("Leads"), Comparison(FieldRef(("a",)), "=", String(text)))
    rendered = render(select)
    assert parse(rendered) == select, rendered


def test_double_double_quote_in_alias() -> None:
    """Was: the alias ``'""`` came back as ``'"``."""
    select = Select((Column(FieldRef(("id",)), '\'""'),), Source("Leads"), DEFAULT_WHERE)
    rendered = render(select)
    assert parse(rendered) == select, rendered


@pytest.mark.parametrize("value", [Decimal("-0"), Decimal("-0E+3"), Decimal("1E+2"), Decimal("-0.0")])
def test_integral_decimals_render_stably(value: Decimal) -> None:
    """Was: ``Decimal('-0')`` rendered as ``-0``, which parses as the int 0 and renders as ``0``."""
    select = Select(_q("id"), Source("id"), Comparison(FieldRef(("id",)), "=", Number(value)))
    text = render(select)
    assert render(parse(text)) == text


@pytest.mark.parametrize(
    "value",
    [
        10**101,
        -(10**101),
        10**4300 - 1,
        Decimal("1E+4300"),
        Decimal("1E-101"),
        Decimal("0.5E-100"),
        Decimal("1E+999999999999999999"),
        Decimal("NaN"),
        Decimal("-Infinity"),
    ],
    ids=lambda v: str(v) if isinstance(v, Decimal) else f"{len(str(abs(v)))}-digit int",
)
def test_numbers_past_the_bound_do_not_render(value: int | Decimal) -> None:
    """Was: ``Decimal('1E+4300')`` rendered as 4301 digits that parse could not read (ValueError)."""
    select = Select(_q("a"), Source("Leads"), Comparison(FieldRef(("a",)), "=", Number(value)))
    with pytest.raises(RenderError):
        render(select)


#: Ints of 1 to 110 digits, each length as likely as the next (so both sides of the bound are hit).
_ints_by_digits = st.integers(1, 110).flatmap(lambda n: st.integers(10 ** (n - 1), 10**n - 1))


@settings(BASE_SETTINGS, max_examples=200)
@given(
    st.one_of(
        _ints_by_digits,
        _ints_by_digits.map(lambda v: -v),
        st.decimals(allow_nan=False, allow_infinity=False),
        st.builds(lambda m, e: Decimal(m).scaleb(e), st.integers(-(10**40), 10**40), st.integers(-150, 150)),
    )
)
@example(10**100 - 1)
@example(10**100)
@example(2**333 - 1)
@example(Decimal("1E+99"))
@example(Decimal("1E-100"))
def test_a_number_renders_only_if_it_parses_back(value: int | Decimal) -> None:
    """``render`` refuses (RenderError) exactly the numbers ``parse`` would refuse: nothing in between."""
    select = Select(_q("a"), Source("Leads"), Comparison(FieldRef(("a",)), "=", Number(value)))
    try:
        text = render(select)
    except RenderError:
        return
    assert parse(text) == select, text


@pytest.mark.parametrize("value", [10**100, -(10**100), 2**333 - 1])
def test_int_of_101_digits_does_not_render(value: int) -> None:
    """Was: ints up to 2**333 - 1 (``bit_length() <= 333``) rendered, 101 digits from 10**100 on, and
    parse refused them. Minimal example found by Hypothesis (ints drawn by digit count): ``10**100``."""
    select = Select(_q("a"), Source("Leads"), Comparison(FieldRef(("a",)), "=", Number(value)))
    with pytest.raises(RenderError):
        render(select)
    smaller = Select(_q("a"), Source("Leads"), Comparison(FieldRef(("a",)), "=", Number(10**100 - 1)))
    assert parse(render(smaller)) == smaller


def test_int_past_pythons_str_limit_does_not_render() -> None:
    """Minimal example: ``Number(10**4300)`` (4301 digits; ``10**4300 - 1`` gives RenderError).

    Hypothesis finds it with ints drawn by digit count, but cannot print it (its repr raises too).
    """
    select = Select(_q("a"), Source("Leads"), Comparison(FieldRef(("a",)), "=", Number(10**4300)))
    with pytest.raises(RenderError):
        render(select)
