"""Splitting a file into statements, and what a string left open does to the statements after it."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coqlkit import Catalog, CoqlSyntaxError, parse
from coqlkit.language import Statement, split_statements
from coqlkit.lint import lint_text

# The splitter before a runaway string was cut short: each ';' outside strings and comments.
_PIECES = re.compile(
    r"""'(?:[^'\\]|\\.|'')*'?|"(?:[^"\\]|\\.|"")*"?|--[^\n]*|/\*(?:.|\n)*?(?:\*/|\Z)|;|[^'";/-]+|[/-]""",
    re.S,
)


def plain_split(text: str) -> list[str]:
    """The statements' texts as each ';' outside strings and comments ends one."""
    chunks, begin = [], 0
    for m in _PIECES.finditer(text):
        if m.group(0) == ";":
            chunks.append(text[begin : m.end()])
            begin = m.end()
    chunks.append(text[begin:])
    return [
        c
        for c in (re.sub(r"^(?:\s|--[^\n]*|/\*.*?\*/)*", "", c, flags=re.S) for c in chunks)
        if c.rstrip(";").strip()
    ]


def texts(text: str) -> list[str]:
    return [s.text for s in split_statements(text)]


def test_an_unescaped_quote_does_not_swallow_the_next_query() -> None:
    text = "select Last_Name from Leads where Last_Name = 'O'Brien';\nselect Emial from Leads;\n"
    first, second = split_statements(text)
    assert first == Statement("select Last_Name from Leads where Last_Name = 'O'Brien';", 0, 1, 1)
    assert second == Statement("select Emial from Leads;", 57, 2, 1)
    with pytest.raises(CoqlSyntaxError) as info:
        parse(first.text)
    assert info.value.hint == "a quote inside text is doubled: 'O''Brien'"


def test_lint_checks_every_query_after_an_unescaped_quote() -> None:
    """Was: the string opened by the third quote ran to the end of the file, and lint said
    ``1 query: 0 ok, 1 with errors`` of a file of two."""
    text = "select Last_Name from Leads where Last_Name = 'O'Brien';\nselect Emial from Leads;\n"
    reports = lint_text(text, Catalog.demo())
    assert len(reports) == 2
    (syntax,) = reports[0].diagnostics
    assert (syntax.code, syntax.line, syntax.column) == ("SYNTAX_ERROR", 1, 50)
    assert syntax.hint == "a quote inside text is doubled: 'O''Brien'"
    (field,) = reports[1].diagnostics
    assert (field.message, field.line, field.column) == ("Leads has no field Emial", 2, 8)


def test_a_quote_further_on_does_not_carry_the_runaway_string_on() -> None:
    """The string opened after Brien closes at the next query's first quote: without the
    cut, the three queries were one."""
    text = (
        "select Last_Name from Leads where Last_Name = 'O'Brien';\n"
        "select Email from Leads where City = 'Paris';\n"
        "select id from Leads;"
    )
    assert texts(text) == [
        "select Last_Name from Leads where Last_Name = 'O'Brien';",
        "select Email from Leads where City = 'Paris';",
        "select id from Leads;",
    ]
    assert [s.line for s in split_statements(text)] == [1, 2, 3]


def test_a_string_left_open_ends_at_the_last_semicolon_of_its_line() -> None:
    text = "select a from Leads where b = 'Boyle; -- the quote is missing\nselect c from Leads;\nselect d from Leads;"
    statements = split_statements(text)
    assert [s.text for s in statements] == [
        "select a from Leads where b = 'Boyle;",
        "select c from Leads;",
        "select d from Leads;",
    ]
    with pytest.raises(CoqlSyntaxError) as info:
        parse(statements[0].text)
    assert (info.value.column, info.value.hint) == (31, "close the string with ': 'Boyle'")


def test_without_a_semicolon_the_string_ends_before_a_line_that_starts_a_query() -> None:
    text = "select a from Leads where b = 'O'Brien'\nselect c from Leads;\n  SELECT d from Leads;"
    assert texts(text) == [
        "select a from Leads where b = 'O'Brien'",
        "select c from Leads;",
        "SELECT d from Leads;",
    ]


@pytest.mark.parametrize(
    "text",
    [
        # strings across lines, with a ';' at the end of a line, that are what was meant
        "select a from Leads where b = 'x;\ny';\nselect c from Leads;",
        "select a from Leads where b = 'one;\nselect two';\nselect c from Leads;",
        'select a from Leads where b = "x;\ny" and c = 1;\nselect c from Leads;',
        # a string left open with nothing to say where it should have ended
        "select a from Leads where b = 'O'Brien'\nand c = 1;\nand d = 2;",
    ],
)
def test_what_parses_or_shows_no_end_is_split_as_before(text: str) -> None:
    assert texts(text) == plain_split(text)


VALID = [
    "select Last_Name from Leads where Lead_Status = 'Contacted';",
    "select a from Leads where b = 'x;\ny';",
    "select a from Leads\nwhere b = 'it''s; fine\nselect this too' and c in ('A;', 'B');",
    "-- a comment with a quote '\nselect a from Leads where b = 'a\n;b';",
    'select a from Leads /* \' ; */ where b = "d;\nselect";',
    "select a\nfrom Leads\nwhere b = ';'",
]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(VALID), min_size=1, max_size=5), st.sampled_from(["\n", " ", "\n\n", "\n-- x\n"])
)
def test_a_file_of_valid_queries_is_split_as_before(queries: list[str], gap: str) -> None:
    text = gap.join(q if q.endswith(";") else q + ";" for q in queries)
    assert all(parse(s.text) for s in split_statements(text))
    assert texts(text) == plain_split(text)
