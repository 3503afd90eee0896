"""The prompt on a long buffer (a pasted IN list of hundreds of values, a long WHERE): at
each key only what the key may have changed is lexed and scanned again, and a long
statement is checked in the background. These tests hold the incremental paths to what a
full re-run gives (highlighting, completions, the live check's messages), typing at the end
and editing in the middle, and the check to the text on screen, never an earlier one.
"""

from __future__ import annotations

import io
import random
import re
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.data_structures import Size
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.output import DummyOutput
from prompt_toolkit.output.vt100 import Vt100_Output

import coqlkit
from coqlkit.catalog import Catalog
from coqlkit.repl import clauses
from coqlkit.repl.app import _CHECK_AT_ONCE, Repl, _UnderlinedLexer
from coqlkit.repl.complete import awaits_from, modules_wanted, suggest
from coqlkit.repl.config import ReplConfig
from coqlkit.repl.lexer import CoqlLexer, IncrementalLexer


def in_list(values: int) -> str:
    emails = ", ".join(f"'person{i}@example.com'" for i in range(values))
    return f"select Last_Name, Email from Leads where Email in ({emails})"


def long_where(conditions: int) -> str:
    ors = "\n".join(
        f"   or (Last_Name = 'Smith{i}' and Annual_Revenue > {i * 100})" for i in range(conditions)
    )
    return f"select Last_Name, Email\nfrom Leads\nwhere (Last_Name = 'x'\n{ors})"


def full_lines(text: str) -> list[object]:
    """The lines as prompt_toolkit's own Pygments lexer gives them (the whole text lexed)."""
    document = Document(text)
    line = PygmentsLexer(CoqlLexer).lex_document(document)
    return [line(n) for n in range(document.line_count)]


def lines_of(lexer: IncrementalLexer, text: str) -> list[object]:
    document = Document(text)
    line = lexer.lex_document(document)
    return [line(n) for n in range(document.line_count)]


# Pieces whose lexing depends on what follows them: quotes (a quoted field name before a
# comparator), comments, commands after a line break, dates, paths, aggregates.
PIECES = (
    "'",
    "''",
    '"',
    " = ",
    "!",
    "!Leads.",
    "->",
    ".",
    "(",
    ")",
    "\n",
    "\\x on\n",
    "\n.mode",
    "/*",
    "*/",
    "--",
    " between ",
    "2024-01-15",
    "T10:30:00Z",
    "1e+",
    "COUNT",
    " (",
    "as ",
    "order by ",
    ";",
    "Owner",
    "x" * 60,
    " " * 30,
)


@pytest.mark.parametrize(
    "make", [lambda: in_list(700), lambda: long_where(300)], ids=["IN list", "long WHERE"]
)
def test_typing_at_the_end_highlights_as_lexing_it_all(make) -> None:  # type: ignore[no-untyped-def]
    """A 20 KB buffer typed on character by character (the lexer keeps its matches):
    every line as prompt_toolkit's PygmentsLexer gives it, lexing the whole text."""
    text = make()
    assert len(text) > 15_000
    lexer = IncrementalLexer()
    assert lines_of(lexer, text) == full_lines(text)
    for ch in " and Last_Name like 'O''Br%' -- done\norder by 'Last_Name' desc;":
        text += ch
        assert lines_of(lexer, text) == full_lines(text), repr(text[-40:])


def test_edits_anywhere_highlight_as_lexing_it_all() -> None:
    """Insertions, deletions and replacements in the middle of a long buffer and at its end
    (a quote opened far before the end turns the rest into a string, and closing it turns
    it back; a comment likewise): the same lines as lexing the whole text."""
    rng = random.Random(20)
    lexer = IncrementalLexer()
    text = long_where(120)
    for _ in range(600):
        pos = rng.choice([len(text), rng.randrange(len(text) + 1)])
        cut = rng.choice([0, 0, 1, 3])
        text = text[:pos] + rng.choice(PIECES) + text[pos + cut :]
        assert lines_of(lexer, text) == full_lines(text), repr(text[max(0, pos - 40) : pos + 40])
    for case in ("where 'Last_Name", "where 'Last_Name' ", "where 'Last_Name' =", "/* x", "/* x */"):
        text = in_list(300) + " and " + case
        assert lines_of(lexer, text) == full_lines(text), case


def test_the_scanner_kept_tokens_are_a_full_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """The completion's scanner keeps the last texts' tokens: after edits at the end and in
    the middle, the tokens are a fresh scan's, and so are the completions."""
    rng = random.Random(3)
    catalog = Catalog.demo()
    text = in_list(300)
    for step in range(300):
        pos = len(text) if step % 2 else rng.randrange(len(text) + 1)
        text = text[:pos] + rng.choice(PIECES) + text[pos + rng.choice([0, 2]) :]
        assert clauses._scan(text) == clauses._tokens_from(text, 0, [])
        if step % 10 == 0:  # the walks kept too: what completion and the toolbar read
            at = rng.randrange(len(text) + 1)
            kept = (suggest(text, at, catalog), modules_wanted(text, at, catalog), awaits_from(text, at))
            with monkeypatch.context() as fresh:
                fresh.setattr(clauses, "_MEMO", ())
                fresh.setattr(clauses, "_WALKS", {})
                assert kept == (
                    suggest(text, at, catalog),
                    modules_wanted(text, at, catalog),
                    awaits_from(text, at),
                )
    tail = "select Last_Name from Leads where Email in (" + ", ".join(f"'p{i}@x.com'" for i in range(500))
    for typed in (") and Lead_S", ") and Lead_Status = 'Con", ") order by La"):
        text = tail + typed
        for cut in range(len(typed) - 3, len(typed) + 1):  # typed on key by key
            kept = suggest(text[: len(tail) + cut], len(tail) + cut, catalog)
        monkeypatch.setattr(clauses, "_MEMO", ())  # (a first scan of the text: nothing kept)
        monkeypatch.setattr(clauses, "_WALKS", {})
        fresh = suggest(text, len(text), catalog)
        assert kept == fresh and fresh, typed
    middle = tail.index("'p250@x.com'")
    edited = tail[:middle] + ") and Emai" + tail[middle:]
    kept = suggest(edited, middle + 10, catalog)
    monkeypatch.setattr(clauses, "_MEMO", ())
    monkeypatch.setattr(clauses, "_WALKS", {})
    assert kept == suggest(edited, middle + 10, catalog)
    assert "Email" in [s.text for s in kept]


# ------------------------------------------------------------------------- the live check, long


@pytest.fixture
def repl(conn: coqlkit.Connection) -> Iterator[Repl]:
    """A prompt whose metadata has Leads' fields in."""
    with create_pipe_input() as keyboard, create_app_session(input=keyboard, output=DummyOutput()):
        yield _with_leads(Repl(conn, ReplConfig(history_size=0), label="sandbox"))


def said(repl: Repl, text: str) -> str:
    return "".join(part[1] for part in repl._toolbar_at(text, len(text)))


def settled(repl: Repl, text: str) -> str:
    """The toolbar once the background check of ``text`` is in (waiting for it)."""
    deadline = time.monotonic() + 30
    while repl.checked.problems_of(text) is None:
        assert time.monotonic() < deadline, "the check of the long statement did not come"
        time.sleep(0.02)
    return said(repl, text)


def test_a_long_statement_is_checked_in_the_background(repl: Repl) -> None:
    """A statement longer than the at-once limit is not parsed at each key: its problem
    shows once checked, and it is the very one a full check finds, as the short one's is."""
    wrong = in_list(500).replace("select Last_Name, Email", "select Last_Name, Emial") + ";"
    assert len(wrong) > _CHECK_AT_ONCE
    generation = repl.checked.generation
    assert "Emial" not in said(repl, wrong)  # (not known yet: nothing, rather than a guess)
    assert "Leads has no field Emial — did you mean Email?" in settled(repl, wrong)
    assert repl.checked.generation > generation  # the lexer's cache sees a new result
    full = repl.checked._check(wrong, repl.metadata(), {})
    assert repl.checked.problems_of(wrong) == full
    lexer = repl.session.lexer
    assert lexer is not None
    line = lexer.lex_document(Document(wrong, len(wrong)))(0)
    assert "".join(ch for style, ch, *_ in line if "class:problem" in style) == "Emial"
    assert "".join(ch for _, ch, *_ in line) == wrong


def test_the_check_is_never_an_earlier_texts(repl: Repl) -> None:
    """Edited in the middle (the error fixed, then another made): what shows is the current
    text's problem or nothing, never the problem of the text before the edit."""
    names = ", ".join(f"'Smith{i}'" for i in range(300))
    wrong = in_list(200) + f" and Anual_Revenue > 7000 and Last_Name in ({names});"
    assert "Leads has no field Anual_Revenue" in settled(repl, wrong)
    fixed = wrong.replace("Anual_Revenue", "Annual_Revenue")
    assert "Anual_Revenue" not in said(repl, fixed)  # at once: not the old text's error
    assert "INVALID_QUERY" not in settled(repl, fixed)
    other = fixed.replace("Last_Name in", "Last_Nme in")
    assert "Leads has no field Last_Nme" in settled(repl, other)
    problem = repl.checked.check(other)
    assert problem is not None and other[problem.start : problem.end] == "Last_Nme"
    assert repl.checked.problems_of(other) == repl.checked._check(other, repl.metadata(), {})
    many = long_where(150) + ";"  # 301 conditions: the limit is said, as a short one's would be
    assert "LIMIT_EXCEEDED: WHERE has 301 conditions" in settled(repl, many)


def test_a_short_statement_is_still_checked_at_each_key(repl: Repl) -> None:
    """Under the limit nothing waits: the problem is there at the first asking."""
    text = "select Emial from Leads where Last_Name in (" + ", ".join(f"'n{i}'" for i in range(50)) + ");"
    assert len(text) < _CHECK_AT_ONCE
    assert repl.checked.problems_of(text) is not None
    assert "Leads has no field Emial" in said(repl, text)


def test_at_the_prompt_a_long_statements_problem_is_drawn_once_checked(conn: coqlkit.Connection) -> None:
    """At the running prompt, on a terminal: a long statement pasted (bracketed, as a
    terminal pastes), its problem is found in the background and drawn underlined at the
    redraw that follows, with no key pressed after the paste (prompt_toolkit keeps a
    text's lexing: the underline was fixed when the text was lexed, before the check)."""
    wrong = in_list(300) + " and Emial = 'x'"
    screen = io.StringIO()
    terminal = Vt100_Output(screen, lambda: Size(rows=40, columns=120), term="xterm")
    failed: list[str] = []
    with create_pipe_input() as keyboard, create_app_session(input=keyboard, output=terminal):
        repl = _with_leads(Repl(conn, ReplConfig(history_size=0), label="sandbox"))

        def typist() -> None:
            try:
                _wait(lambda: repl.session.app.is_running, "the prompt")
                keyboard.send_text("\x1b[200~" + wrong + "\x1b[201~")
                _wait(
                    lambda: re.search(r"\x1b\[[0-9;]*;4mEmial", screen.getvalue()) is not None,
                    "the underline",
                )
            except AssertionError as exc:
                failed.append(str(exc))
            finally:
                keyboard.send_text("\x03")  # Ctrl-C: the buffer cleared
                _wait(lambda: not repl.session.default_buffer.text, "the buffer cleared")
                keyboard.send_text("\x04")  # Ctrl-D: the prompt ends

        thread = threading.Thread(target=typist, daemon=True)
        thread.start()
        assert repl.run() == 0
        thread.join(30)
    assert not failed, failed


def _wait(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, f"waited in vain for {what}"
        time.sleep(0.02)


def _with_leads(repl: Repl, seconds: float = 10) -> Repl:
    """``repl``, once its metadata has Leads' fields in (asked for, waited ``seconds`` at most)."""
    deadline = time.monotonic() + seconds
    while True:
        catalog = repl.metadata()
        leads = catalog.module("Leads") if catalog is not None else None
        if leads is not None and leads.fields is not None:
            return repl
        repl.metadata.want(["Leads"])
        assert time.monotonic() < deadline, "the metadata did not come"
        time.sleep(0.05)


def test_the_underline_follows_the_cursor_without_a_new_lexing(repl: Repl) -> None:
    """prompt_toolkit lexes a text once and keeps its lines while only the cursor moves:
    the word under the cursor (being typed) is underlined once the cursor leaves it, and
    not once it comes back, at the next drawing of the same lines."""
    text = "select Emial from Leads order by Last_Name"
    at_word = text.index("Emial") + 3
    buffer = [Document(text, at_word)]  # (the prompt's buffer: its document as it is now)
    line = _UnderlinedLexer(repl.checked, lambda: buffer[0]).lex_document(buffer[0])

    def marked() -> str:
        return "".join(ch for style, ch, *_ in line(0) if "class:problem" in style)

    assert marked() == ""  # the word being typed
    buffer[0] = Document(text, len(text))
    assert marked() == "Emial"
    buffer[0] = Document(text, at_word)
    assert marked() == ""
    buffer[0] = Document(text + " ", len(text) + 1)  # a new text: lexed again, its cursor
    assert marked() == ""


def test_a_line_past_the_last_is_empty_when_a_problem_ends_the_text(repl: Repl) -> None:
    """As every prompt_toolkit lexer does, a line number past the end gives nothing, also
    when the problem underlined reaches the end of the text (it raised IndexError; review D2)."""
    text = "select Last_Name from Leadz"
    document = Document(text, 3)  # the cursor away from the problem: it is underlined
    line = _UnderlinedLexer(repl.checked, lambda: document).lex_document(document)
    assert "".join(ch for style, ch, *_ in line(0) if "class:problem" in style) == "Leadz"
    assert line(1) == [] and line(5) == []
