"""Keys at the real prompt (a prompt_toolkit Application reading a pipe, talking HTTP to a
sandbox): Ctrl-D at the credit question, Enter in a Ctrl-R search, what typing a ``;``
leaves on the screen, a string left open, file names after ``\\i``.

The keys are typed from a thread, group by group with a pause, as a person types: the
completion menu and the history load in the background between them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

import coqlkit
from coqlkit.repl.app import Repl, _confirm
from coqlkit.repl.complete import suggest
from coqlkit.repl.config import ReplConfig

UP, LEFT, RIGHT, CTRL_R, CTRL_E, CTRL_D, BACKSPACE = (
    "\x1b[A",
    "\x1b[D",
    "\x1b[C",
    "\x12",
    "\x05",
    "\x04",
    "\x7f",
)

Step = str | Callable[[Repl], bool | str]  # keys, or a condition to wait for (true, or the keys to type then)


def typed(repl_of: Callable[[], Repl], *steps: Step, pause: float = 0.4, within: float = 30.0) -> Repl:
    """Make a Repl and type ``steps`` into it (then Ctrl-D); the Repl once it has ended.

    A prompt still running ``within`` seconds after the last key (Enter swallowed by a
    search field, say) is ended, and the test fails saying so."""
    stuck: list[str] = []
    with create_pipe_input() as keyboard, create_app_session(input=keyboard, output=DummyOutput()):
        repl = repl_of()

        def typist() -> None:
            for step in steps:
                if isinstance(step, str):
                    keyboard.send_text(step)
                    time.sleep(pause)
                    continue
                deadline = time.monotonic() + 10
                while not (answer := step(repl)):
                    if time.monotonic() > deadline:
                        stuck.append(f"waited in vain for {step.__qualname__}")
                        break
                    time.sleep(0.05)
                if isinstance(answer, str):
                    keyboard.send_text(answer)
                    time.sleep(pause)
            keyboard.send_text(CTRL_D)
            if thread_done.wait(within):
                return
            app = repl.session.app
            if app.is_running and app.loop is not None:
                stuck.append(f"the prompt did not end; its buffer held {repl.session.default_buffer.text!r}")
                app.loop.call_soon_threadsafe(lambda: app.exit(exception=EOFError()))

        thread_done = threading.Event()
        thread = threading.Thread(target=typist, daemon=True)
        thread.start()
        try:
            assert repl.run() == 0
        finally:
            thread_done.set()
            thread.join(within + 15)
    assert not stuck, stuck
    return repl


def test_ctrl_d_at_the_credit_question_means_no(
    conn: coqlkit.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-D at "Run it? (y/n)" is a no, as n is: the shell carries on (it was an EOFError
    traceback, exit 1, and the session lost)."""
    config = ReplConfig(history_size=0, confirm_above_credits=4, timing=False)
    typed(
        lambda: Repl(conn, config, label="sandbox"),
        "select Last_Name from Leads;\r",
        CTRL_D,
        "select Last_Name from Leads where Last_Name = 'Chavez' limit 1;\r",
    )
    out, err = capsys.readouterr()
    assert "not run" in err and "Traceback" not in err
    assert "Chavez" in out and "(1 row)" in out  # the shell carried on


def test_ctrl_d_answers_the_question_no() -> None:
    """The question itself, at prompt_toolkit's confirm: Ctrl-D answers no (it raised
    EOFError, which only the shell's own catch kept from a traceback)."""
    with create_pipe_input() as keyboard, create_app_session(input=keyboard, output=DummyOutput()):
        keyboard.send_text(CTRL_D)
        assert _confirm("Run it?") is False
        keyboard.send_text("y")
        assert _confirm("Run it?") is True


def _history_in(repl: Repl) -> bool:
    return bool(list(repl.session.history.get_strings()))


def test_enter_on_a_ctrl_r_match_runs_it(
    conn: coqlkit.Connection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Enter on a Ctrl-R match takes it and runs it, as psql (readline) and bash do; it was
    typed into the search field, and the match thrown away."""
    path = tmp_path / "history"
    FileHistory(str(path)).store_string("select Last_Name from Leads where Last_Name = 'Chavez' limit 1;")
    FileHistory(str(path)).store_string("\\timing off")
    config = ReplConfig(history_file=str(path), timing=False)
    typed(lambda: Repl(conn, config, label="sandbox"), _history_in, CTRL_R + "Chave", "\r")
    out, _ = capsys.readouterr()
    assert "Chavez" in out and "(1 row)" in out


def test_an_arrow_takes_a_ctrl_r_match_to_edit(
    conn: coqlkit.Connection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Left or Right on a Ctrl-R match takes it into the buffer to be edited, as in bash
    (the keys went on editing the search text)."""
    path = tmp_path / "history"
    FileHistory(str(path)).store_string("select Last_Name from Leads limit 1;")
    config = ReplConfig(history_file=str(path), timing=False)
    typed(
        lambda: Repl(conn, config, label="sandbox"),
        _history_in,
        CTRL_R + "limit 1",
        RIGHT,
        CTRL_E + BACKSPACE * 2 + "2;",  # limit 1; becomes limit 2;
        "\r",
    )
    out, _ = capsys.readouterr()
    assert "(2 rows)" in out


def test_up_after_the_semicolon_moves_the_cursor(
    conn: coqlkit.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    """After a ``;`` no menu pops up unasked for the next, empty statement: Up goes back to
    the line above to fix a typo, and Enter runs the statement. The menu (SELECT, EXPLAIN)
    took Up and wrote ``EXPLAIN`` after the ``;``."""
    config = ReplConfig(history_size=0, timing=False)
    typed(
        lambda: Repl(conn, config, label="sandbox"),
        "select Emial\rfrom Leads limit 1;",
        UP,  # to the end of "select Emial"
        BACKSPACE * 3 + "ail",  # Emial becomes Email
        "\r",
    )
    out, err = capsys.readouterr()
    assert "| Email" in out and "(1 row)" in out, err
    assert "EXPLAIN" not in err.upper()


def test_tab_at_the_start_of_a_statement_still_completes(conn: coqlkit.Connection) -> None:
    """Asked with Tab, the start of a statement offers SELECT and EXPLAIN, as before."""
    repl = typed(lambda: Repl(conn, ReplConfig(history_size=0), label="sandbox"))
    from prompt_toolkit.completion import CompleteEvent

    document = Document("select Last_Name from Leads; ", 29)
    unasked = list(repl.completer.get_completions(document, CompleteEvent(text_inserted=True)))
    asked = list(repl.completer.get_completions(document, CompleteEvent(completion_requested=True)))
    assert unasked == [] and [c.text for c in asked][:2] == ["SELECT", "EXPLAIN"]


def _loaded(module: str) -> Callable[[Repl], bool]:
    def check(repl: Repl) -> bool:
        catalog = repl.metadata()
        found = catalog.module(module) if catalog is not None else None
        return found is not None and found.fields is not None

    return check


def test_the_semicolon_keeps_the_statements_problem_in_view(conn: coqlkit.Connection) -> None:
    """With the cursor right after the ``;`` (typed, or a query recalled), the toolbar and
    the underline are those of the statement the ``;`` ended (they went blank: the empty
    statement after it was checked)."""
    repl = typed(
        lambda: Repl(conn, ReplConfig(history_size=0), label="sandbox"),
        "select Email from Leads",
        _loaded("Leads"),
        "\x03",  # Ctrl-C: the line cleared
    )
    deadline = time.monotonic() + 10
    text = "select Emial\nfrom Leads limit 1;"
    while "INVALID_QUERY" not in str(repl._toolbar_at(text, len(text))):
        assert time.monotonic() < deadline, repl._toolbar_at(text, len(text))
        time.sleep(0.05)
    assert "Leads has no field Emial — did you mean Email?" in str(repl._toolbar_at(text, len(text)))
    assert "Emial" in repl._toolbar_at(text + "\n", len(text) + 1)[0][1]  # Enter'd past it too
    lines = repl.session.lexer.lex_document(Document(text, len(text)))  # type: ignore[union-attr]
    marked = "".join(ch for style, ch, *_ in lines(0) if "class:problem" in style)
    assert marked == "Emial"
    syntax = "select Last_Name from Leads where (Email = 'y';"
    assert "SYNTAX_ERROR: expected ')'" in str(repl._toolbar_at(syntax, len(syntax)))
    # The next statement begun: its own check, not the one before.
    assert "Emial" not in str(repl._toolbar_at(text + " select", len(text) + 7))


def test_a_string_left_open_is_named_in_the_toolbar(
    conn: coqlkit.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    """``'O'Brien';`` leaves a string open, so Enter adds lines: the toolbar says where the
    string opened and how to get out (it showed the usual status line), and Alt-Enter runs
    it, to the caret diagnostic."""
    text = "select Last_Name from Leads where Last_Name = 'O'Brien';"
    repl = typed(
        lambda: Repl(conn, ReplConfig(history_size=0), label="sandbox"),
        text + "\r",
        "\r",
        "\x1b\r",  # Alt-Enter
    )
    said = str(repl._toolbar_at(text + "\n\n", len(text) + 2))
    assert "string opened at 1:55 still open: Enter adds lines to it" in said
    assert "'O''Brien'" in said and "Alt-Enter runs" in said
    assert "string opened" not in str(
        repl._toolbar_at("select Last_Name from Leads where Last_Name = 'Smi", 50)
    )
    assert "string opened" not in str(repl._toolbar_at("\\set name 'O'Brien;", 19))
    _, err = capsys.readouterr()
    assert "hint: a quote inside text is doubled: 'O''Brien'" in err  # Alt-Enter ran it


def test_file_names_complete_after_file_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``\\i``, ``\\o``, ``\\e`` and ``\\export`` complete file names, as psql's do."""
    (tmp_path / "reports").mkdir()
    (tmp_path / "report.sql").write_text("select Last_Name from Leads;\n")
    (tmp_path / "my leads.csv").write_text("")
    (tmp_path / ".hidden.sql").write_text("")
    monkeypatch.chdir(tmp_path)
    for command in ("\\i", ".read", "\\o", "\\e", "\\export"):
        found = suggest(f"{command} rep", len(command) + 4)
        assert [(s.text, s.meta) for s in found] == [("report.sql", "file"), ("reports/", "directory")]
        assert {s.start for s in found} == {len(command) + 1}
    quoted = suggest("\\export ./my", 12)  # read as a shell word: a blank comes quoted
    assert [(s.text, s.start) for s in quoted] == [("'./my leads.csv'", 8)]
    assert [s.text for s in suggest("\\i .hid", 7)] == [".hidden.sql"]
    assert ".hidden.sql" not in [s.text for s in suggest("\\i ", 3)]
    typed_path = f"\\i {tmp_path}/reports/../rep"
    assert [s.text for s in suggest(typed_path, len(typed_path))] == ["report.sql", "reports/"]
    assert [s.text for s in suggest("\\export 'my", 11)] == ["my leads.csv'"]  # the quote closed
    assert suggest("\\i /no/such/dir/x", 17) == []
    monkeypatch.setenv("HOME", str(tmp_path))
    assert [s.text for s in suggest("\\i ~/report.", 12)] == ["report.sql"]
