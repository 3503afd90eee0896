"""Deluge habits in a query (review 9, Q #3): a ``//`` comment copied with it was said to
be arithmetic ("in SELECT" after LIMIT or OFFSET); a query pasted as the Deluge string it
was (``"select ... limit 2";``) got "a query starts with SELECT". Said by the parser (so
by ``coqlkit lint``, the Python API and the shell alike), and at the shell's prompt in
what was typed, spending nothing.
"""

from __future__ import annotations

import io

import pytest

import coqlkit
from coqlkit.errors import CoqlSyntaxError
from coqlkit.repl.config import ReplConfig
from coqlkit.repl.shell import Shell
from coqlkit.sandbox.server import Sandbox

COMMENTS = "COQL's comments are -- and /* */"


@pytest.mark.parametrize(
    ("text", "line", "column", "hint"),
    [
        ("select Last_Name from Leads limit 1 // first lead", 1, 37, f"{COMMENTS}: -- first lead"),
        ("// get leads\nselect Last_Name from Leads limit 1", 1, 1, f"{COMMENTS}: -- get leads"),
        (
            "select Last_Name, Email from Leads where Lead_Source = 'Chat' // deluge comment\nlimit 2",
            1,
            63,
            f"{COMMENTS}: -- deluge comment",
        ),
        ("select Last_Name from Leads order by Last_Name limit 5 offset 2 // x", 1, 65, f"{COMMENTS}: -- x"),
        ("select Last_Name //\nfrom Leads", 1, 18, f"{COMMENTS}: -- ... or /* ... */"),
        ("select Last_Name from Leads where City = 'x' // don't\nlimit 2", 1, 46, f"{COMMENTS}: -- don't"),
    ],
)
def test_a_deluge_comment_is_named_as_one(text: str, line: int, column: int, hint: str) -> None:
    with pytest.raises(CoqlSyntaxError) as caught:
        coqlkit.parse(text)
    error = caught.value
    assert error.description == "'//' starts a comment in Deluge, not in COQL"
    assert (error.line, error.column, error.end_column) == (line, column, column + 2)
    assert error.hint == hint
    assert "arithmetic" not in str(error)


def test_slashes_in_a_string_or_a_coql_comment_are_not_one() -> None:
    coqlkit.parse("select Last_Name from Leads where Website = 'https://example.com' limit 1")
    coqlkit.parse("select Last_Name from Leads -- see //notes\nlimit 1")
    coqlkit.parse("select Last_Name from Leads /* // */ limit 1")


@pytest.mark.parametrize(
    ("text", "clause"),
    [
        ("select Last_Name from Leads limit 5 + 1", "LIMIT"),
        ("select Last_Name from Leads limit 5 offset 5 - 1", "OFFSET"),
        ("select Last_Name from Leads limit 10 offset 2 * 200", "OFFSET"),
    ],
)
def test_arithmetic_after_limit_or_offset_is_said_there(text: str, clause: str) -> None:
    """It was "COQL has no arithmetic in SELECT" (or in the last clause before LIMIT)."""
    with pytest.raises(CoqlSyntaxError) as caught:
        coqlkit.parse(text)
    assert caught.value.description == f"COQL has no arithmetic in {clause}"
    assert caught.value.hint is not None and "whole numbers" in caught.value.hint


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("select Annual_Revenue * 2 from Leads", "COQL has no arithmetic in SELECT"),
        ("select Last_Name from Leads where Annual_Revenue = 2 * 3", "COQL has no arithmetic in conditions"),
        ("select Last_Name from Leads where Annual_Revenue > 1 + 1", "COQL has no arithmetic in conditions"),
        ("select Last_Name from Leads order by Annual_Revenue / 2", "COQL has no arithmetic in ORDER BY"),
    ],
)
def test_arithmetic_elsewhere_is_said_as_before(text: str, said: str) -> None:
    with pytest.raises(CoqlSyntaxError) as caught:
        coqlkit.parse(text)
    assert caught.value.description == said


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ('"select Deal_Name from Deals limit 2";', "select Deal_Name from Deals limit 2"),
        (
            "'select Last_Name from Leads where City = \"Austin\"'",
            'select Last_Name from Leads where City = "Austin"',
        ),
        ('"SELECT Last_Name\n  FROM Leads"', "SELECT Last_Name FROM Leads"),
    ],
)
def test_a_query_pasted_as_a_deluge_string_is_told_to_drop_its_quotes(text: str, shown: str) -> None:
    with pytest.raises(CoqlSyntaxError) as caught:
        coqlkit.parse(text)
    assert caught.value.hint == f"drop the quotes around the query (a Deluge string): {shown}"


def test_a_string_that_is_not_a_query_keeps_its_hint() -> None:
    with pytest.raises(CoqlSyntaxError) as caught:
        coqlkit.parse("'Leads'")
    assert caught.value.hint == "a query starts with SELECT"


def test_the_shell_says_it_where_it_was_typed_and_spends_nothing(
    conn: coqlkit.Connection, sandbox: Sandbox
) -> None:
    assert sandbox.state is not None
    out, err = io.StringIO(), io.StringIO()
    shell = Shell(conn, config=ReplConfig(pager=False), out=out, err=err, interactive=True)
    before = len(sandbox.state.requests)
    status = shell.execute(
        "select Last_Name from Leads limit 1;\n"
        "select Last_Name, Email from Leads where Lead_Source = 'Chat' // deluge comment\nlimit 2;"
    )
    assert status == 1  # (a syntax error's)
    said = err.getvalue()
    assert "2:63: error[SYNTAX_ERROR]: '//' starts a comment in Deluge, not in COQL" in said, said
    assert f"hint: {COMMENTS}: -- deluge comment" in said
    coql = [e for e in list(sandbox.state.requests)[before:] if e["path"].endswith("/coql")]
    assert len(coql) == 1  # the first statement's; the second spent nothing
    shell.close()
