"""parse(): what each construct becomes, where it was, and how syntax errors read."""

from __future__ import annotations

from decimal import Decimal

import pytest

from coqlkit import CoqlSyntaxError, parse
from coqlkit.language import (
    Aggregate,
    And,
    Between,
    Column,
    Comparison,
    FieldRef,
    In,
    IsNull,
    Like,
    Limit,
    Number,
    Or,
    OrderItem,
    Param,
    Select,
    Star,
    String,
    extensions,
)
from coqlkit.language._loader import fast_parser, parser


def where(text: str) -> object:
    return parse(f"select id from Leads where {text}").where


def test_parser_is_built_once_per_process() -> None:
    assert parser() is parser()
    assert fast_parser() is fast_parser()


def test_a_whole_query() -> None:
    q = parse(
        "SELECT Last_Name, Account_Name.Account_Name AS acct FROM Contacts#123 "
        "WHERE Email LIKE '%zylker%' ORDER BY Last_Name DESC, id LIMIT 20 OFFSET 40"
    )
    assert q == Select(
        (
            Column(FieldRef(("Last_Name",))),
            Column(FieldRef(("Account_Name", "Account_Name")), "acct"),
        ),
        source=q.source,
        where=Like(FieldRef(("Email",)), String("%zylker%")),
        order_by=(OrderItem(FieldRef(("Last_Name",)), descending=True), OrderItem(FieldRef(("id",)))),
        limit=Limit(20, 40),
    )
    assert (q.source.module, q.source.cvid) == ("Contacts", "123")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a = 1", Comparison(FieldRef(("a",)), "=", Number(1))),
        ("a <> 'x'", Comparison(FieldRef(("a",)), "!=", String("x"))),
        ("a >= -2.50", Comparison(FieldRef(("a",)), ">=", Number(Decimal("-2.50")))),
        ("a not like '%x%'", Like(FieldRef(("a",)), String("%x%"), negated=True)),
        ("a in (1, 'b')", In(FieldRef(("a",)), (Number(1), String("b")))),
        ("a not in :ids", In(FieldRef(("a",)), Param("ids"), negated=True)),
        (
            "a between '2024-01-01' and 2024-12-31",
            Between(FieldRef(("a",)), String("2024-01-01"), String("2024-12-31")),
        ),
        ("a not between 1 and 2", Between(FieldRef(("a",)), Number(1), Number(2), negated=True)),
        ("a is null", IsNull(FieldRef(("a",)))),
        ("a IS NOT NULL", IsNull(FieldRef(("a",)), negated=True)),
        ("Lead_Source = Advertisement", Comparison(FieldRef(("Lead_Source",)), "=", String("Advertisement"))),
        ("'What_Id->Leads.id' = 5", Comparison(FieldRef(("What_Id", "id"), via="Leads"), "=", Number(5))),
        (
            "!Leads.Owner.role.id = 5",
            Comparison(FieldRef(("Owner", "role", "id"), qualifier="Leads"), "=", Number(5)),
        ),
        ("a = :email", Comparison(FieldRef(("a",)), "=", Param("email"))),
    ],
)
def test_predicates(text: str, expected: object) -> None:
    assert where(text) == expected


def test_string_escapes_both_ways() -> None:
    assert where("a = 'O''Brien'") == where("a = 'O\\'Brien'") == where('a = "O\'Brien"')
    assert where("a = 'x'").right == String("x")  # type: ignore[union-attr]
    assert where("a = 'back\\\\slash'").right == String("back\\slash")  # type: ignore[union-attr]
    assert where("a = 'keep\\n'").right == String("keep\\n")  # type: ignore[union-attr]


def test_and_binds_tighter_than_or_and_chains_go_left() -> None:
    a, b, c = (Comparison(FieldRef((n,)), "=", Number(1)) for n in "abc")
    assert where("a = 1 or b = 1 and c = 1") == Or(a, And(b, c))
    assert where("a = 1 and b = 1 and c = 1") == And(And(a, b), c)
    grouped = where("(a = 1 and b = 1) and c = 1")
    assert grouped == And(And(a, b), c)
    assert grouped.left.parens == 1  # type: ignore[union-attr]
    flat = parse("select id from Leads where a = 1 and b = 1 and c = 1")
    assert [e.name for e in extensions(flat)] == ["flat_chain"]


def test_keywords_are_case_insensitive_and_words_where_a_name_fits() -> None:
    assert parse("SeLeCt a FrOm Leads WhErE b = 1") == parse("select a from Leads where b = 1")
    # Count, Desc and Like are not clause words: fields may be named so.
    q = parse("select Count, Desc, Like from Leads order by Desc desc")
    assert [c.key for c in q.columns if isinstance(c, Column)] == ["Count", "Desc", "Like"]
    assert q.order_by == (OrderItem(FieldRef(("Desc",)), descending=True),)


def test_select_items() -> None:
    q = parse("select count(*), SUM(Amount) 'Total', 'External', * except (Email, Phone) from Deals")
    count, total, external, star = q.columns
    assert count == Column(Aggregate("COUNT", FieldRef(("id",))))
    assert isinstance(count, Column) and isinstance(count.expr, Aggregate) and count.expr.star
    assert total == Column(Aggregate("SUM", FieldRef(("Amount",))), "Total")
    assert external == Column(FieldRef(("External",)))
    assert star == Star((FieldRef(("Email",)), FieldRef(("Phone",))))


def test_limit_forms() -> None:
    assert parse("select a from B limit 5").limit == Limit(5)
    assert parse("select a from B limit 10, 5").limit == Limit(5, 10)
    assert parse("select a from B limit 5 offset 10").limit == Limit(5, 10)
    assert parse("select a from B offset 10").limit == Limit(None, 10)


def test_subquery_and_group_by() -> None:
    q = parse(
        "select Stage, COUNT(id) from Deals where Account_Name in "
        "(select id from Accounts where Industry = 'Banking') group by Stage"
    )
    cond = q.where
    assert isinstance(cond, In) and isinstance(cond.values, Select)
    assert cond.values.module == "Accounts"
    assert q.group_by == (FieldRef(("Stage",)),)


def test_spans_point_into_the_text() -> None:
    text = "select Last_Name,\n  Email\nfrom Leads\nwhere Email like '%x%'"
    q = parse(text)
    email = q.columns[1]
    assert email.span is not None
    assert (email.span.line, email.span.column, email.span.end_column) == (2, 3, 8)
    assert text[email.span.start : email.span.end] == "Email"
    assert q.where is not None and q.where.span is not None
    assert text[q.where.span.start : q.where.span.end] == "Email like '%x%'"
    assert q.span is not None and (q.span.start, q.span.end) == (0, len(text))


def test_comments_and_terminator_are_recorded_not_compared() -> None:
    q = parse("select a -- the name\n from Leads /* all */;")
    assert q == parse("select a from Leads")
    assert [q_.start for q_ in q.comments] == [9, 33]
    assert q.terminator is not None and q.terminator.start == 42


def test_a_number_keeps_how_it_was_written_outside_equality() -> None:
    q = parse("select a from B where c in (02158, +14, 1e3, 2.50)")
    assert isinstance(q.where, In) and isinstance(q.where.values, tuple)
    values = q.where.values
    assert [v.written for v in values if isinstance(v, Number)] == ["02158", "+14", "1e3", "2.50"]
    assert values == (Number(2158), Number(14), Number(Decimal(1000)), Number(Decimal("2.50")))
    assert Number(7).written == ""


SYNTAX_ERRORS = [
    # text, line, column, words in the message, words in the hint
    ("select Last_Name foo", 1, 21, "expected ',' or FROM", "from <Module>"),
    ("select from Leads", 1, 8, "SELECT list is empty", "name the fields"),
    ("select a, from Leads", 1, 11, "missing before FROM", "remove the comma"),
    ("update Leads set a = 1", 1, 1, "expected SELECT, found 'update'", "only reads records"),
    ("select a from Leads where not a = 1", 1, 27, "no NOT operator", "not in"),
    ("select a from Leads where (a = 1", 1, 33, "unexpected end of query", "'(' is not closed"),
    ("select a from Leads where a = 1)", 1, 32, "found ')'", "no matching '('"),
    ("select a from Leads where a = 'abc", 1, 31, "unterminated string", "close the string"),
    ("select a from Leads where a = null", 1, 31, "null is not a value", "is null"),
    ("select a from Leads where LOWER(a) = 'x'", 1, 27, "'LOWER' is not a COQL function", "no functions"),
    ("select a from Leads where a == 1", 1, 30, "found '='", "single operator"),
    ("select a from Leads /* open", 1, 21, "unterminated comment", "*/"),
    ("select `a` from Leads", 1, 8, "backticks", "single quotes"),
    ("select a from Leads limit", 1, 26, "unexpected end of query", "whole numbers"),
    ("select a from Leads where a in (1,)", 1, 35, "found ')'", "missing after the last ','"),
    ("select a from Leads order by", 1, 29, "unexpected end of query", "after BY"),
    ("select a, b;", 1, 12, "found ';'", "from <Module>"),
    ("select a from Leads where a between 1", 1, 38, "expected AND", "two values"),
    ("select a from Leads where a = 1 having b = 1", 1, 33, "found 'having'", "no HAVING"),
    ("select a from Leads; select b from Leads", 1, 22, "found 'select'", "one query at a time"),
    ("select a\nfrom Leads\nwhere a = 1 and", 3, 16, "unexpected end of query", "incomplete"),
    ("", 1, 1, "the query is empty", "starts with SELECT"),
    ("-- only a comment", 1, 1, "the query is empty", None),
    ("select MAX(*) from Leads", 1, 12, "MAX(*) is not allowed", "numeric field"),
]


@pytest.mark.parametrize(("text", "line", "column", "message", "hint"), SYNTAX_ERRORS)
def test_syntax_errors(text: str, line: int, column: int, message: str, hint: str | None) -> None:
    with pytest.raises(CoqlSyntaxError) as info:
        parse(text)
    err = info.value
    assert err.code == "SYNTAX_ERROR"
    assert (err.line, err.column) == (line, column), str(err)
    assert message in err.description
    if hint is not None:
        assert err.hint is not None and hint in err.hint
    # The message quotes the line and puts a caret under the column.
    rendered = str(err).splitlines()
    assert rendered[0].startswith(f"{line}:{column}: error[SYNTAX_ERROR]: ")
    caret_line = rendered[2]
    assert caret_line.index("^") == 2 + column - 1


def test_zoho_codes_for_what_its_parser_lets_through() -> None:
    # Zoho parses any name(field) and any word after LIMIT, then reports them with other codes.
    with pytest.raises(CoqlSyntaxError) as info:
        parse("select a from Leads limit ten")
    assert (info.value.code, info.value.column) == ("INVALID_QUERY", 27)  # the value, as Zoho names it
    assert "limit given seems to be invalid" in info.value.description
    with pytest.raises(CoqlSyntaxError) as info:
        parse("select a from Leads limit 5 offset x")
    assert (info.value.code, info.value.column) == ("INVALID_QUERY", 36)
    assert info.value.description.startswith("offset given seems to be invalid: x")
    assert info.value.hint == "OFFSET takes a whole number of rows: offset 200"
    q = parse("select concat(a) from Leads")
    assert isinstance(q.columns[0], Column) and q.columns[0].expr == Aggregate("concat", FieldRef(("a",)))


def test_syntax_error_lists_expected_tokens() -> None:
    with pytest.raises(CoqlSyntaxError) as info:
        parse("select a from Leads where a")
    assert {"IN", "LIKE", "IS", "BETWEEN", "NOT"} <= set(info.value.expected)


def test_syntax_errors_are_never_lark_errors() -> None:
    from lark.exceptions import LarkError

    for text, *_ in SYNTAX_ERRORS:
        with pytest.raises(CoqlSyntaxError) as info:
            parse(text)
        assert not isinstance(info.value, LarkError)
        assert info.value.__cause__ is None and info.value.__suppress_context__


def test_non_text_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        parse(b"select a from Leads")  # type: ignore[arg-type]


def test_fast_path_and_lark_agree() -> None:
    texts = [
        "select Last_Name, 'External' as e, COUNT(id) from Leads#1 where (a = 1 or b like 'x%') and c in (1, 2) "
        "group by Last_Name order by Last_Name desc limit 3, 4",
        "select a from B where x in (select id from C where y is not null) -- note\n",
        "select * except (a) from B where d between 2024-01-01 and '2024-02-01T10:00:00+05:30';",
    ]
    for text in texts:
        assert fast_parser().parse(text) == parser().parse(text)


def test_a_syntax_error_in_a_long_line_quotes_a_window_around_the_caret() -> None:
    values = ", ".join(f"'value{i:04}'" for i in range(80))
    text = f"select Last_Name from Leads where Lead_Source in ({values}) and Email == 'x' and Phone in ({values})"
    assert len(text) > 1000
    with pytest.raises(CoqlSyntaxError) as info:
        parse(text)
    _, quoted, carets, _ = str(info.value).splitlines()
    assert len(quoted) <= 2 + 120 + 2
    assert quoted.startswith("  …") and quoted.endswith("…")
    assert carets.index("^") == quoted.index("== 'x'") + 1  # under the second '='
    short = "select a from Leads where a == 1"
    with pytest.raises(CoqlSyntaxError) as info:
        parse(short)
    assert str(info.value).splitlines()[1] == f"  {short}"  # short lines are quoted whole
