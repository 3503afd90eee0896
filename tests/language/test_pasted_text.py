"""Text pasted from web pages, chat apps and word processors: typographic quotes closing a
straight-quoted string, no-break and zero-width spaces, dashes and other look-alikes, and
habits from other query languages (``&&``, ``descending``, a missing FROM, backticks)."""

from __future__ import annotations

import pytest

from coqlkit import CoqlSyntaxError, parse


def syntax_error(text: str) -> CoqlSyntaxError:
    with pytest.raises(CoqlSyntaxError) as info:
        parse(text)
    return info.value


# ---- a string closed with a typographic quote ---------------------------------------------

WHERE = "select Last_Name from Leads where Last_Name = "


@pytest.mark.parametrize(
    ("rest", "closing", "hint"),
    [
        ("'Smith’;", "’", "'Smith'"),
        ("'Smith’", "’", "'Smith'"),
        ('"Smith”;', "”", '"Smith"'),
        ("'Smith’ limit 5", "’", "'Smith'"),
        # The string ran on to the next straight quote: the parser stops at Web.
        ("'Smith’ and Lead_Source = 'Web'", "’", "'Smith'"),
        # ... or past the end of the line and a ';' (a file of queries).
        ("'Smith’;\nselect Email from Leads;", "’", "'Smith'"),
    ],
)
def test_a_typographic_closing_quote_is_pointed_at_and_left_out_of_the_hint(
    rest: str, closing: str, hint: str
) -> None:
    err = syntax_error(WHERE + rest)
    column = len(WHERE) + rest.index(closing) + 1
    assert (err.line, err.column) == (1, column), str(err)
    assert err.description.startswith(f"{closing} is a typographic quote")
    assert f"opened at column {len(WHERE) + 1}" in err.description
    assert err.hint == f"quote with straight quotes: {hint}"
    assert closing not in err.hint  # following the hint must not search for 'Smith’'


def test_a_typographic_quote_in_an_in_list() -> None:
    text = "select Last_Name from Leads where Last_Name in ('Smith’, 'Jones')"
    err = syntax_error(text)
    assert err.column == text.index("’") + 1
    assert err.hint == "quote with straight quotes: 'Smith'"


def test_a_typographic_opening_quote_closed_straight() -> None:
    err = syntax_error(WHERE + "‘Smith';")
    assert err.column == len(WHERE) + 1
    assert err.hint == "quote with straight quotes: 'Smith'"


def test_a_typographic_apostrophe_inside_a_string_is_text() -> None:
    assert parse(WHERE + "'O’Brien'").where is not None
    err = syntax_error(WHERE + "'O’Brien")  # not a closing quote: followed by a letter
    assert err.description == "unterminated string"


# ---- blanks pasted from web pages and chat apps --------------------------------------------

PASTED = ["\u00a0", "\u2007", "\u202f", "\ufeff", "\u200b", "\u200c", "\u200d", "\u2060"]


@pytest.mark.parametrize("blank", PASTED)
def test_a_pasted_blank_outside_strings_is_read_as_a_space(blank: str) -> None:
    text = "{0}select Last_Name from Leads where Last_Name ={0}'Smith'{0}limit 5{0}"
    assert parse(text.format(blank)) == parse(text.format(" "))


@pytest.mark.parametrize("blank", ["\u00a0", "\u2007", "\u202f"])
def test_a_pasted_no_break_space_between_words_is_a_space(blank: str) -> None:
    text = "select{0}Last_Name{0}from Leads{0}where{0}Last_Name = 'Smith'"
    assert parse(text.format(blank)) == parse(text.format(" "))


@pytest.mark.parametrize("blank", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])
def test_a_zero_width_character_inside_a_name_is_reported_not_split(blank: str) -> None:
    # Read as a blank, Last_\u200bName would be the field Last_ with the alias Name.
    text = f"select Last_{blank}Name from Leads"
    err = syntax_error(text)
    assert err.column == text.index(blank) + 1
    assert err.description.startswith(f"unexpected invisible character U+{ord(blank):04X} ")
    assert err.hint == "delete it: it is not COQL (it often comes with pasted text)"


@pytest.mark.parametrize("blank", PASTED)
def test_a_pasted_blank_in_a_string_is_part_of_the_value(blank: str) -> None:
    query = parse(f"select Last_Name from Leads where Last_Name = 'Smith{blank}' -- a{blank}b")
    assert query.where is not None and query.where.right.value == f"Smith{blank}"  # type: ignore[union-attr]


def test_positions_after_a_pasted_blank_stay_exact_and_the_text_is_quoted_as_written() -> None:
    text = "\ufeffselect\u00a0Last_Name from Leads where \u200bEmial\u00a0= = 'x'"
    err = syntax_error(text)
    assert err.text == text
    assert err.column == text.index("= =") + 3
    assert "\\x" not in str(err) and "\\u" not in str(err)


def test_a_query_of_pasted_blanks_is_empty() -> None:
    assert syntax_error("\ufeff\u00a0\u200b").description == "the query is empty"


# ---- other stray characters, named readably -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "description", "hint"),
    [
        (
            "select a from Leads where Amount > –5",
            "unexpected character '–' (U+2013 EN DASH)",
            "write - (a plain hyphen-minus), as in a negative number: -5",
        ),
        (
            "select a from Leads where Amount > −5",
            "unexpected character '−' (U+2212 MINUS SIGN)",
            "write - (a plain hyphen-minus), as in a negative number: -5",
        ),
        (
            "select a from Leads where Amount ＝ 5",
            "unexpected character '＝' (U+FF1D FULLWIDTH EQUALS SIGN)",
            "write = instead",
        ),
        (
            "select a from Leads where Amount ≥ 5",
            "unexpected character '≥' (U+2265 GREATER-THAN OR EQUAL TO)",
            "write >= instead",
        ),
        (
            "select a from Leads where\u200eAmount > 5",
            "unexpected invisible character U+200E LEFT-TO-RIGHT MARK",
            "delete it: it is not COQL (it often comes with pasted text)",
        ),
    ],
)
def test_a_stray_character_is_named(text: str, description: str, hint: str) -> None:
    err = syntax_error(text)
    assert (err.description, err.hint) == (description, hint)


# ---- habits from other languages ---------------------------------------------------------


@pytest.mark.parametrize(("operator", "hint"), [("&&", "write AND"), ("||", "write OR"), ("&", "write AND")])
def test_c_style_logical_operators(operator: str, hint: str) -> None:
    text = f"select a from Leads where Last_Name = 'Smith' {operator} Email is null"
    err = syntax_error(text)
    assert (err.column, err.end_column) == (
        text.index(operator) + 1,
        text.index(operator) + 1 + len(operator),
    )
    assert (err.description, err.hint) == (f"'{operator}' is not COQL", hint)


@pytest.mark.parametrize(("word", "keyword"), [("descending", "DESC"), ("ASCENDING", "ASC")])
def test_an_order_spelt_out(word: str, keyword: str) -> None:
    err = syntax_error(f"select a from Leads order by a {word} limit 5")
    assert err.hint == f"did you mean {keyword}?"


@pytest.mark.parametrize(
    ("text", "module"),
    [
        ("select Last_Name Leads where Last_Name = 'x'", "Leads"),
        ("select Last_Name, Email Contacts order by Email", "Contacts"),
        ("select Last_Name Sales_Orders", "Sales_Orders"),
        ("select Last_Name Leads;", "Leads"),
    ],
)
def test_a_missing_from_before_a_module(text: str, module: str) -> None:
    err = syntax_error(text)
    assert err.column == text.index(module) + 1
    assert err.description == f"FROM is missing: '{module}' reads as an alias of the field before it"
    assert err.hint == f"write FROM before it: select ... from {module}"


@pytest.mark.parametrize(
    "text",
    [
        "select Last_Name as Leads where a = 1",  # an alias on purpose
        "select Last_Name total where a = 1",  # not a module's name
        "select Last_Name Leads Contacts",  # the parser stops at Contacts, not at a clause
    ],
)
def test_no_missing_from_hint_for_what_is_no_module(text: str) -> None:
    assert "FROM is missing" not in syntax_error(text).description


def test_a_field_in_backticks_gets_its_own_name_quoted() -> None:
    err = syntax_error("select `Last_Name` from Contacts where id is not null")
    assert err.hint == "quote a field name with single quotes: 'Last_Name'"
    err = syntax_error("select Last_Name from `Contacts`")
    assert err.hint == "a module is named without quotes: from Contacts"


@pytest.mark.parametrize("blank", ["\u200b", "\u2060", "\ufeff", "\u00a0"])
def test_a_pasted_blank_after_the_last_statement_is_no_statement(blank: str) -> None:
    """A zero-width space after the last ';' (pasted with the query) is a blank: no empty
    statement after it, which said 'the query is empty' (review diff3 6)."""
    from coqlkit.language.split import split_statements

    text = f"select Last_Name from Leads limit 1;{blank}\n{blank}select Email from Leads;{blank}"
    assert [s.text.rstrip(";") for s in split_statements(text)] == [
        "select Last_Name from Leads limit 1",
        "select Email from Leads",
    ]


@pytest.mark.parametrize("comment", ["-- note: it’s", "/* it’s */"])
def test_a_typographic_close_before_a_comment(comment: str) -> None:
    """``'Smith’ -- note`` gets the typographic quote's diagnosis, as without the comment
    (it got 'close the string with '': review diff3 7)."""
    with pytest.raises(CoqlSyntaxError) as caught:
        parse(f"select Last_Name from Leads where Last_Name = 'Smith’ {comment}\n limit 5")
    assert caught.value.column == 53 and caught.value.hint == "quote with straight quotes: 'Smith'"
