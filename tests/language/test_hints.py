"""Syntax errors from SQL habits get a hint that says COQL's way."""

from __future__ import annotations

import pytest

from coqlkit import CoqlSyntaxError, parse

HINTS = [
    # text, line, column, the hint
    ("select a from Leads where A = 'x' B = 'y'", 1, 35, "put AND or OR between two conditions"),
    ("select a from Leads where A = 'x' B like 'y%'", 1, 35, "put AND or OR between two conditions"),
    ("select a from Leads where A = 'x' (B = 'y')", 1, 35, "put AND or OR between two conditions"),
    (
        "select a from Leads where Lead_Status is 'Contacted'",
        1,
        42,
        "IS takes only NULL or NOT NULL; compare with a value using =: Lead_Status = 'Contacted'",
    ),
    (
        "select a from Leads where Amount is not 5",
        1,
        41,
        "IS takes only NULL or NOT NULL; compare with a value using !=: Amount != 5",
    ),
    ("select a from Leads offset 5 limit 10", 1, 30, "LIMIT comes first: limit 10 offset 5"),
    ("select a from Leads order by a desc offset 5 limit 10;", 1, 46, "LIMIT comes first: limit 10 offset 5"),
    (
        "select a from Leads where Annual_Revenue > 1,000,000",
        1,
        45,
        "write numbers without thousands separators: 1000000",
    ),
    (
        "select a from Leads where Amount between 1,500.50 and 2000",
        1,
        43,
        "write numbers without thousands separators: 1500.50",
    ),
]


@pytest.mark.parametrize(("text", "line", "column", "hint"), HINTS)
def test_hints_for_sql_habits(text: str, line: int, column: int, hint: str) -> None:
    with pytest.raises(CoqlSyntaxError) as info:
        parse(text)
    err = info.value
    assert (err.line, err.column, err.hint) == (line, column, hint), str(err)


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("select (select id from Accounts) from Leads", 8),
        ("select Last_Name, (select id from Accounts) from Leads", 19),
        ("select a from Leads order by (select id from Accounts)", 30),
        ("select a from Leads group by (select id from Accounts)", 30),
        ("select a from Leads where (select id from Accounts) = 1", 28),
    ],
)
def test_a_subquery_outside_in_is_named_as_such(text: str, column: int) -> None:
    with pytest.raises(CoqlSyntaxError) as info:
        parse(text)
    err = info.value
    assert (err.line, err.column) == (1, column)
    assert err.description == "a subquery is allowed only in WHERE: in IN (...), or after = for one record"
    assert err.hint is not None and "in (select id from <Module>" in err.hint


@pytest.mark.parametrize(
    "text",
    [
        "select a from Leads where A = 'x' and B = 'y'",
        "select a from Leads where A is not null",
        "select a from Leads limit 10 offset 5",
        "select a from Leads limit 5, 10",
        "select a from Leads where A in (1,000, 2)",  # a list of values, not a separator
        "select a from Leads where Account_Name in (select id from Accounts)",
        "select a from Leads where Account_Name = (select id from Accounts limit 1)",
    ],
)
def test_valid_coql_is_still_valid(text: str) -> None:
    parse(text)


def test_a_string_that_runs_on_into_the_next_query_is_reported_where_it_opened() -> None:
    text = (
        "select Last_Name from Leads where Lead_Status = 'Contacted;\n"
        "select Email from Leads where Email = 'a@b.com';\n"
        "select id from Leads;"
    )
    with pytest.raises(CoqlSyntaxError) as info:
        parse(text)
    err = info.value
    assert (err.line, err.column, err.end_column) == (1, 49, 60)
    assert (
        err.description == "this string runs on past a ';' and the end of its line: is a closing ' missing?"
    )
    assert err.hint == "close it where it ends: 'Contacted'"


def test_a_runaway_string_left_open_to_the_end_is_reported_the_same_way() -> None:
    with pytest.raises(CoqlSyntaxError) as info:
        parse('select a from Leads where b = "x ;\nselect c from Leads;')
    assert (info.value.line, info.value.column) == (1, 31)
    assert info.value.hint == 'close it where it ends: "x"'


@pytest.mark.parametrize(
    "text",
    [
        "select a from Leads where Tags = 'A;B'",  # a ';' inside one line
        "select a from Leads where b = 'two\nlines'",  # a newline, no ';'
        "select a from Leads where b = 'x;\ny'",  # both, and nothing wrong after it
    ],
)
def test_strings_with_a_semicolon_or_a_newline_still_parse(text: str) -> None:
    parse(text)


def test_an_unrelated_error_after_a_string_on_one_line_is_reported_as_before() -> None:
    with pytest.raises(CoqlSyntaxError) as info:
        parse("select a from Leads where b = 'x;y' c = 1")
    assert info.value.column == 37


def test_a_misspelt_from_is_where_the_caret_goes() -> None:
    """Was: the caret and the position were those of the module after it (1:23, ``Leads``),
    while the hint was about ``form``: an editor jumped to the wrong word."""
    with pytest.raises(CoqlSyntaxError) as info:
        parse("select Last_Name form Leads")
    err = info.value
    assert (err.line, err.column, err.end_column) == (1, 18, 22)
    assert err.description == "expected ',' or FROM, found 'form'"
    assert err.hint == "did you mean FROM for 'form'?"
    assert str(err).splitlines()[2] == " " * 19 + "^^^^"


@pytest.mark.parametrize(
    ("text", "column", "hint"),
    [
        ("select a from Leads where Last_Name = 'O'Brien'", 42, "'O''Brien'"),
        ("select a from Leads where Last_Name = 'O'Brien' and b = 1", 42, "'O''Brien'"),
        ("select a from Leads where Company in ('it's', 'x')", 43, "'it''s'"),
        ("select a from Leads where Company = 'Rock 'n' Roll' limit 5", 44, "'Rock ''n'' Roll'"),
        ("select a from Leads where Company = 'it''s O'Brien'", 46, "'it''s O''Brien'"),
        ('select a from Leads where Company = "say "hi" now"', 43, '"say ""hi"" now"'),
    ],
)
def test_an_unescaped_quote_inside_text_gets_the_text_with_it_doubled(
    text: str, column: int, hint: str
) -> None:
    with pytest.raises(CoqlSyntaxError) as info:
        parse(text)
    assert (info.value.column, info.value.hint) == (column, f"a quote inside text is doubled: {hint}")


def test_a_value_after_a_string_with_a_blank_is_not_taken_for_an_inner_quote() -> None:
    with pytest.raises(CoqlSyntaxError) as info:
        parse("select a from Leads where Last_Name = 'O' Brien = 'x'")
    assert info.value.hint is None or "doubled" not in info.value.hint


@pytest.mark.parametrize(
    ("text", "column", "end", "guess"),
    [
        ("select a from Leads where Lead Status = 'Contacted'", 27, 38, "Lead_Status"),
        ("select a from Leads where b = 1 and Annual Revenue > 5", 37, 51, "Annual_Revenue"),
        ("select a from Leads where Email Opt Out = 'true'", 27, 40, "Email_Opt_Out"),
        ("select a from Leads where Lead Status not in ('x')", 27, 38, "Lead_Status"),
        ("select a from Leads where Lead Status is null", 27, 38, "Lead_Status"),
    ],
)
def test_a_label_typed_in_where_gets_the_api_name_it_usually_has(
    text: str, column: int, end: int, guess: str
) -> None:
    with pytest.raises(CoqlSyntaxError) as info:
        parse(text)
    err = info.value
    assert (err.column, err.end_column) == (column, end)
    assert err.description.endswith("is not a field name: a name has no spaces")
    assert err.hint is not None and err.hint.startswith(
        f"did you mean {guess}? COQL names a field by its API name"
    )
    assert "\\d Leads lists them" in err.hint


@pytest.mark.parametrize(
    ("text", "line", "column", "message", "hint"),
    [
        (  # was: "'order' is a keyword, not a field", hint: quote it ('order' by id is no better)
            "select Last_Name from Leads where City = order by id",
            1,
            40,
            "a value is missing after '='",
            "a condition is field, comparator, value: City = <value>",
        ),
        ("select Last_Name from Leads where City = limit 5", 1, 40, "a value is missing after '='", None),
        (  # was: "a condition is missing before 'and'", under the 'and'
            "select Last_Name from Leads where City = and State = 'x'",
            1,
            40,
            "a value is missing after '='",
            None,
        ),
        (  # where the value is missing (line 4), not where the parser stopped (line 5)
            "select Last_Name\nfrom Leads\nwhere Last_Name = 'x'\n  and City = \n order by id",
            4,
            12,
            "a value is missing after '='",
            None,
        ),
        (
            "select a from Leads where Email not like -- soon\n limit 5",
            1,
            33,
            "a value is missing after 'not like'",
            None,
        ),
        (
            "select a from Leads where a between 1 and order by id",
            1,
            39,
            "a value is missing after 'and'",
            "two values",
        ),
        ("select Last_Name from limit 5", 1, 18, "a module is missing after FROM", "from <Module>"),
        ("select Last_Name from Leads where order by id", 1, 29, "a condition is missing after WHERE", None),
        ("select a from Leads where a = 1 or group by a", 1, 33, "a condition is missing after 'or'", None),
        ("select a from Leads order by limit 5", 1, 27, "a field is missing after ORDER BY", "after BY"),
        ("select a from Leads group by offset 5", 1, 27, "a field is missing after GROUP BY", "after BY"),
    ],
)
def test_what_is_missing_before_a_clause_word_is_named_where_it_is_missing(
    text: str, line: int, column: int, message: str, hint: str | None
) -> None:
    with pytest.raises(CoqlSyntaxError) as info:
        parse(text)
    err = info.value
    assert (err.line, err.column, err.description) == (line, column, message), str(err)
    assert hint is None or (err.hint is not None and hint in err.hint)
    assert "quote it" not in (err.hint or "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("select Last_Name from Leads where Order = 5", "'Order' is a keyword, not a field"),
        ("select a from Leads where a = 1 and and limit 3", "a condition is missing before 'and'"),
        ("select a from Leads where not a = 1", "COQL has no NOT operator"),
    ],
)
def test_a_keyword_in_a_field_slot_keeps_its_message(text: str, message: str) -> None:
    with pytest.raises(CoqlSyntaxError) as info:
        parse(text)
    assert info.value.description == message


def test_a_clause_word_as_a_whole_value_still_parses() -> None:
    q = parse("select a from Leads where Type = order")
    assert q.where is not None and q.where.right.value == "order"  # type: ignore[union-attr]


def test_a_string_left_open_at_the_end_of_its_line_is_reported_where_it_opened() -> None:
    # Was: "expected ';', AND, ... found 'y'" on line 2, with the hint to double a quote
    # ('x\nand City = ''y'), which would have hidden the missing quote after x.
    with pytest.raises(CoqlSyntaxError) as info:
        parse("select Last_Name from Leads where Last_Name = 'x\nand City = 'y'\norder by id")
    err = info.value
    assert (err.line, err.column, err.end_column) == (1, 47, 49)
    assert err.description == "this string runs on past the end of its line: is a closing ' missing?"
    assert err.hint == "close it where it ends: 'x'"


def test_a_string_over_two_lines_before_an_unrelated_error_keeps_that_error() -> None:
    with pytest.raises(CoqlSyntaxError) as info:
        parse("select a from Leads where b = 'two\nlines' c = 1")
    assert (info.value.line, info.value.column) == (2, 8)
    assert info.value.hint == "put AND or OR between two conditions"
