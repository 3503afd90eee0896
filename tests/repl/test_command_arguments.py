"""What the commands make of their arguments, through :meth:`Shell.execute` against a
sandbox: a module named by its label (``\\d Meetings``), ``\\x`` after ``\\T auto``, a
``\\set`` NAME that cannot be one, an argument a command does not take; and the names
``\\set`` and ``\\unset`` complete."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

import coqlkit
from coqlkit.repl.complete import suggest
from coqlkit.repl.config import ReplConfig
from coqlkit.repl.shell import Shell


class Run:
    """``run(text)`` -> (status, out, err) of a shell on the sandbox."""

    def __init__(self, conn: coqlkit.Connection) -> None:
        self.shell = Shell(
            conn, config=ReplConfig(pager=False, format="table"), out=io.StringIO(), err=io.StringIO()
        )

    def __call__(self, text: str) -> tuple[int, str, str]:
        out, err = self.shell.out, self.shell.err
        for stream in (out, err):
            stream.seek(0)
            stream.truncate()
        status = self.shell.execute(text)
        return status, out.getvalue(), err.getvalue()  # type: ignore[attr-defined]


@pytest.fixture
def run(conn: coqlkit.Connection) -> Iterator[Run]:
    made = Run(conn)
    yield made
    made.shell.close()


def test_a_module_is_described_and_listed_by_its_label(run: Run) -> None:
    """The CRM's tabs show labels: ``\\d Meetings`` failed (only ``\\d Events`` worked),
    and ``\\dt meet`` found nothing, while the query check and completion read labels."""
    status, out, err = run("\\d Meetings")
    assert status == 0 and err == "Events, labelled Meetings (a query names it Events)\n"
    assert "| Event_Title " in out
    status, out, err = run("\\dt meet")
    assert status == 0 and "| Events " in out and "Meetings" in out


def test_x_comes_back_to_auto_set_by_T(run: Run) -> None:
    """``\\x`` twice after ``\\T auto`` lands on auto, the format before (it went back to
    a format set before that, json)."""
    said = [
        run(command)[2].strip() for command in ("\\T json", "\\x auto", "\\x off", "\\T auto", "\\x", "\\x")
    ]
    assert said == [
        "format: json",
        "format: auto",
        "format: json",
        "format: auto",
        "format: vertical",
        "format: auto",
    ]


def test_set_says_why_a_name_is_refused(run: Run) -> None:
    assert run("\\set 1x 3") == (
        2,
        "",
        "\\set NAME VALUE: 1x cannot be a NAME (letters, digits and _, not starting with a digit)\n",
    )
    assert run("\\set x") == (2, "", "\\set NAME VALUE (NAME is what :NAME stands for in queries)\n")


def test_parameter_with_an_unknown_verb_is_refused(run: Run) -> None:
    """``.parameter bogus`` was taken for something else; it is said, as init/load/save are."""
    status, _, err = run(".parameter bogus")
    assert status == 2 and err == ".parameter bogus: coqlkit's .parameter takes set, unset, list and clear\n"


@pytest.mark.parametrize("line", ["\\credits extra", "\\refresh now"])
def test_an_argument_a_command_does_not_take_is_said(run: Run, line: str) -> None:
    word, _, extra = line.partition(" ")
    status, _, err = run(line)
    assert status == 0 and err.startswith(f"{word} takes no argument: {extra!r} ignored\n")


def test_set_and_unset_complete_the_parameters_set() -> None:
    params = {"src": "Chat", "n": 3}
    assert [(s.text, s.meta) for s in suggest("\\unset ", 7, None, params)] == [
        ("src", "= 'Chat'"),
        ("n", "= 3"),
    ]
    assert [s.text for s in suggest("\\set s", 6, None, params)] == ["src"]
    assert [s.text for s in suggest(".parameter ", 11, None, params)] == ["set", "unset", "list", "clear"]
