"""The live check (the toolbar and the underline as a statement is typed), against the
catalog of a real sandbox: what it says of the word being typed, of an EXPLAIN, of a
command typed inside a statement, and of the session's ``:parameters``.

The prompt runs in this process on a pipe (no terminal); the toolbar is read with the
cursor where a person typing would have it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

import coqlkit
from coqlkit.repl.app import Repl
from coqlkit.repl.config import ReplConfig


@pytest.fixture
def repl(conn: coqlkit.Connection) -> Iterator[Repl]:
    """A prompt whose metadata has Leads' and Users' fields in."""
    with create_pipe_input() as keyboard, create_app_session(input=keyboard, output=DummyOutput()):
        made = Repl(conn, ReplConfig(history_size=0), label="sandbox")
        deadline = time.monotonic() + 10
        while not _has_fields(made, "Leads", "Users"):
            made.metadata.want(["Leads", "Users"])
            assert time.monotonic() < deadline, "the metadata did not come"
            time.sleep(0.05)
        yield made


def _has_fields(repl: Repl, *names: str) -> bool:
    catalog = repl.metadata()
    found = [catalog.module(name) for name in names] if catalog is not None else []
    return len(found) == len(names) and all(m is not None and m.fields is not None for m in found)


def said(repl: Repl, text: str, cursor: int | None = None) -> str:
    """The toolbar's text, the cursor at ``cursor`` (None: at the end)."""
    return "".join(part[1] for part in repl._toolbar_at(text, len(text) if cursor is None else cursor))


def underlined(repl: Repl, text: str, cursor: int | None = None) -> str:
    """What the prompt underlines in ``text`` (one line), the cursor at ``cursor``."""
    lexer = repl.session.lexer
    assert lexer is not None
    lines = lexer.lex_document(Document(text, len(text) if cursor is None else cursor))
    return "".join(ch for style, ch, *_ in lines(0) if "class:problem" in style)


@pytest.mark.parametrize(
    ("text", "word", "message"),
    [
        ("select Last_Name from L", "L", "the org has no module L"),
        ("select Last_Name from Lea", "Lea", "the org has no module Lea"),
        ("select Last_Name from Leads order by La", "La", "Leads has no field La"),
        ("select Last_Name, Em from Leads", "Em", "Leads has no field Em"),
        ("select Owner.em from Leads", "em", "Users has no field em"),
    ],
)
def test_the_word_being_typed_is_not_an_error_yet(
    repl: Repl, text: str, word: str, message: str | None
) -> None:
    """The word under the cursor of a statement with no ``;`` yet is being typed: the
    toolbar went red at every key of ``from Leads`` (``no module L``, ``Le``, ``Lea``...).
    It is said once the cursor leaves the word, or once ``;`` is typed."""
    at_word = text.rindex(word) + len(word)
    assert "INVALID_QUERY" not in said(repl, text, at_word)
    assert underlined(repl, text, at_word) == ""
    assert message in said(repl, text + " ")  # a blank typed after it: the word is left
    assert message in said(repl, text + ";")
    assert underlined(repl, text + ";") == word
    if at_word != len(text):  # the cursor back at the end, past the word
        assert message in said(repl, text)


def test_the_rest_of_an_unfinished_statement_is_still_checked(repl: Repl) -> None:
    """Only the word under the cursor waits: an error elsewhere in the statement shows."""
    text = "select Emial from Leads order by La"
    assert "Leads has no field Emial — did you mean Email?" in said(repl, text)
    assert underlined(repl, text) == "Emial"
    text = "select Last_Name from Leads where Lead_Status = 'Contactd' order by La"
    assert "warning[INVALID_QUERY]: 'Contactd' is not a value of the picklist" in said(repl, text)


@pytest.mark.parametrize(
    "text",
    [
        "explain select Emial from Leads;",
        "EXPLAIN select Emial from Leads",
        "explain analyze select Emial from Leads;",
        "explain analyze\nselect Emial\nfrom Leads;",
        "-- why is this slow?\nexplain select Emial from Leads;",
        "/* x */ explain analyze select Emial from Leads;",
        "explain /* x */ analyze\n-- the query\nselect Emial from Leads;",
    ],
)
def test_an_explain_is_checked_as_its_query(repl: Repl, text: str) -> None:
    """EXPLAIN (ANALYZE) is where a query is tried before paying for it: it was not checked
    at all. Its query is, at its own place in the text; after a comment too, as the run
    reads it (it said ``SYNTAX_ERROR: expected SELECT, found 'explain'``)."""
    assert "Leads has no field Emial — did you mean Email?" in said(repl, text)
    problem = repl.checked.check(text)
    assert problem is not None and text[problem.start : problem.end] == "Emial"
    assert said(repl, text.replace("Emial", "Email")).startswith(" table · ")


def test_a_command_inside_a_statement_is_not_a_syntax_error(repl: Repl) -> None:
    """A pasted statement with a command on a line of its own: the run takes the command
    out, and so does the check (it said ``SYNTAX_ERROR: unexpected character '\\'``)."""
    text = "select Last_Name\nfrom Leads\n\\x on\nlimit 1;"
    assert said(repl, text).startswith(" table · ")
    wrong = "select Emial\nfrom Leads\n\\x on\nlimit 1;"
    problem = repl.checked.check(wrong)
    assert problem is not None and "Leads has no field Emial" in problem.message
    assert wrong[problem.start : problem.end] == "Emial"


def test_the_check_binds_the_sessions_parameters(repl: Repl) -> None:
    """``:name`` is checked with the value ``\\set`` gave it, as the run binds it; one with
    no value is said as the run says it (both were only found at Enter)."""
    repl.shell.execute("\\set src Chat")
    missing = "select Last_Name from Leads where Lead_Source = :nope;"
    assert "INVALID_PARAMETER: no value given for :nope — give it a value: \\set nope VALUE" in said(
        repl, missing
    )
    problem = repl.checked.check(missing)
    assert problem is not None and missing[problem.start : problem.end] == ":nope"
    assert "INVALID_PARAMETER" not in said(repl, missing[:-1])  # :nope still being typed
    wrong_type = "select Last_Name from Leads where Annual_Revenue > :src;"
    assert "'Chat' is not a number for Annual_Revenue" in said(repl, wrong_type)
    assert said(repl, "select Last_Name from Leads where Lead_Source = :src;").startswith(" table · ")
    repl.shell.execute("\\set nope Advertisement")  # set since: the same text is checked again
    assert said(repl, missing).startswith(" table · ")
