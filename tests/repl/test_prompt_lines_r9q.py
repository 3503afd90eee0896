"""The lines of a statement at the real prompt (review 9, Q #2 #6): no completion menu
opens by itself on a fresh line of a statement being typed (Up there went into the menu
and wrote ``offset`` into the query), and a row that only wraps a long line is not
marked ``->`` as a line of its own is.

The prompt is a prompt_toolkit Application reading a pipe and talking HTTP to the
sandbox of tests/repl/conftest.py; keys are typed from a thread, with a pause between
groups, as a person types.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import to_plain_text
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

import coqlkit
from coqlkit.catalog import Catalog
from coqlkit.repl.app import Repl
from coqlkit.repl.complete import CoqlCompleter
from coqlkit.repl.config import ReplConfig

UP, CTRL_E, CTRL_D, TAB = "\x1b[A", "\x05", "\x04", "\t"


def typed(repl_of: Callable[[], Repl], *keys: str, pause: float = 0.6, within: float = 30.0) -> Repl:
    """Make a Repl and type ``keys`` into it, group by group (then Ctrl-D); the Repl once
    it has ended. A prompt still running ``within`` seconds after the last key is ended,
    and the test fails saying what its buffer held."""
    stuck: list[str] = []
    with create_pipe_input() as keyboard, create_app_session(input=keyboard, output=DummyOutput()):
        repl = repl_of()
        done = threading.Event()

        def typist() -> None:
            for group in keys:
                keyboard.send_text(group)
                time.sleep(pause)
            keyboard.send_text(CTRL_D)
            if done.wait(within):
                return
            app = repl.session.app
            if app.is_running and app.loop is not None:
                stuck.append(f"the prompt did not end; its buffer held {repl.session.default_buffer.text!r}")
                app.loop.call_soon_threadsafe(lambda: app.exit(exception=EOFError()))

        thread = threading.Thread(target=typist, daemon=True)
        thread.start()
        try:
            assert repl.run() == 0
        finally:
            done.set()
            thread.join(within + 15)
    assert not stuck, stuck
    return repl


# ---- #2: no menu by itself on a fresh line -----------------------------------------------------------


def test_up_on_a_fresh_line_goes_back_to_the_line_above(
    conn: coqlkit.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    """The reviewer's keys: a condition, Enter (no ``;``: a new line), then Up to finish
    the line above. A menu (and, or, group by, ..., offset) had opened on the new line by
    itself; Up took its last entry and ``offset`` went into the query."""
    config = ReplConfig(history_size=0, timing=False)
    typed(
        lambda: Repl(conn, config, label="sandbox"),
        "select Last_Name, City from Leads where Last_Name = 'Chavez'",
        "\r",  # a new line, empty: no menu opens by itself
        UP,  # back to the line above
        CTRL_E + " limit 1;",
        "\r",
    )
    out, err = capsys.readouterr()
    assert "(1 row)" in out and "Chavez" in out, err
    assert "offset" not in (out + err).lower()


def test_a_fresh_line_offers_nothing_unless_tab_asks() -> None:
    """What the completer gives prompt_toolkit as text is inserted (the menu that opens by
    itself) and when Tab asks, on a blank line of a statement and elsewhere."""
    completer = CoqlCompleter(Catalog.demo)
    unasked, asked = CompleteEvent(text_inserted=True), CompleteEvent(completion_requested=True)

    def texts(text: str, event: CompleteEvent) -> list[str]:
        return [c.text for c in completer.get_completions(Document(text, len(text)), event)]

    statement = "select Last_Name, City from Leads where City = 'Austin'"
    for fresh in (statement + "\n", statement + "\n   ", "select Last_Name\n\t"):
        assert texts(fresh, unasked) == [], fresh
        assert texts(fresh, asked), fresh  # Tab still opens the menu
    assert "offset" in [t.lower() for t in texts(statement + "\n", asked)]
    # Something typed on the line (or before the cursor on the first one): offered, as before.
    assert "from" in [t.lower() for t in texts("select Last_Name\nf", unasked)]
    assert "where" in [t.lower() for t in texts("select Last_Name from Leads ", unasked)]


# ---- #6: a wrapped row is not a line --------------------------------------------------------------


def test_a_wrapped_row_is_blank_where_a_new_line_shows_the_arrow(conn: coqlkit.Connection) -> None:
    """The prompt's continuation as prompt_toolkit asks for it, of a row after the first:
    ``->`` before a line of the statement; blanks, as wide as the prompt, before a row
    that only wraps one too wide for the terminal (it showed ``->``: a long line, or a
    pasted 29 KB IN list, looked like many)."""
    with create_pipe_input(), create_app_session(output=DummyOutput()):
        repl = Repl(conn, ReplConfig(history_size=0), label="sandbox")
        try:
            session = repl.session
            width = len(repl._prompt())
            line = to_plain_text(session._get_continuation(width, 1, 0))
            wrapped_first = to_plain_text(session._get_continuation(width, 0, 1))
            wrapped_later = to_plain_text(session._get_continuation(width, 2, 3))
        finally:
            repl.shell.close()
    assert line == "-> ".rjust(width) and line.endswith("-> ")
    assert wrapped_first == wrapped_later == " " * width
