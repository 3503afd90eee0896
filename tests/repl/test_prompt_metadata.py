"""The prompt asks for the metadata it needs: on a cold cache (a real org's first day:
no module's fields known), completion and the live check fetch the FROM module of the
statement being typed (parsed or not), a subquery's, and each lookup target a path
reaches, once each, in the background; and after a statement, they see what its run
fetched. A real prompt_toolkit Application reading a pipe, a sandbox over HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

import coqlkit
from coqlkit.repl.app import Repl
from coqlkit.repl.config import ReplConfig
from coqlkit.sandbox.server import Sandbox
from tests.repl.test_prompt_keys import typed


def fields_fetched(sandbox: Sandbox, before: int) -> list[str]:
    """The modules whose fields were fetched since request ``before``."""
    assert sandbox.state is not None
    out = []
    for entry in list(sandbox.state.requests)[before:]:
        if entry["path"].endswith("/settings/fields"):
            out += [
                part[len("module=") :] for part in entry["query"].split("&") if part.startswith("module=")
            ]
    return out


def completes(word: str) -> Callable[[Repl], bool | str]:
    """Until ``word`` ends the buffer: Tab takes it once a menu offers it (a menu that
    came by itself, when the metadata did), or it went in at once."""

    def step(repl: Repl) -> bool | str:
        buffer = repl.session.default_buffer
        if buffer.text.endswith(word):
            return True
        state = buffer.complete_state
        if state is not None and state.complete_index is None and word in [c.text for c in state.completions]:
            return "\t"
        return False

    step.__qualname__ = f"{word} completed"
    return step


def requests_so_far(sandbox: Sandbox) -> int:
    assert sandbox.state is not None
    return len(sandbox.state.requests)


def test_completion_fetches_what_the_statement_reaches(
    sandbox: Sandbox, conn: coqlkit.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    """A statement pasted whole (it does not parse), then Tab: its module's fields are
    fetched and the menu comes once they are in; a lookup path's target, two modules
    away, the same; a subquery's module too. Each module is fetched once. (Nothing was
    fetched: the menu stayed empty, and ``Owner.`` completed nothing on a real org.)"""
    before = requests_so_far(sandbox)
    config = ReplConfig(history_size=0, timing=False)
    typed(
        lambda: Repl(conn, config, label="sandbox"),
        "select Deal_Name from Deals where Stag\t",  # pasted at once with its Tab, on a cold cache
        completes("Stage"),
        " is not null limit 1;\r",
        "select Last_Name from Leads where Owner.emai\t",  # Leads, then Users: two fetches away
        completes("email"),
        " is not null limit 1;\r",
        "select Last_Name from Contacts where Account_Name in (select id from Accounts where Industr\t",
        completes("Industry"),
        " is not null) limit 1;\r",
    )
    out, err = capsys.readouterr()
    assert "error" not in err, err
    assert out.count("(1 row)") == 3, out
    fetched = fields_fetched(sandbox, before)
    assert {"Deals", "Leads", "Users", "Contacts", "Accounts"} <= set(fetched)
    assert len(fetched) == len(set(fetched)), f"a module fetched twice: {fetched}"


def test_the_live_check_follows_lookup_paths(conn: coqlkit.Connection) -> None:
    """``Owner.emial`` is an error as soon as Users's fields are in: the check asks for
    them (it passed the wrong path, Users being unknown)."""
    repl = typed(lambda: Repl(conn, ReplConfig(history_size=0), label="sandbox"))
    text = "select Last_Name from Leads where Owner.emial = 'a@b.c'"
    said = wait_for(lambda: str(repl._toolbar_at(text, len(text))), "emial")
    assert "INVALID_QUERY" in said and "did you mean email?" in said.lower()


def wait_for(probe: Callable[[], Any], wanted: str, seconds: float = 10.0) -> str:
    deadline = time.monotonic() + seconds
    while wanted not in (got := str(probe())):
        assert time.monotonic() < deadline, got
        time.sleep(0.05)
    return got


def test_the_prompt_sees_what_a_statement_fetched(conn: coqlkit.Connection, tmp_path: Path) -> None:
    """A statement run (here from a file, which nothing at the prompt reads) fetches its
    modules and its lookups' targets; the prompt's catalog has them after it (it kept the
    catalog of its own last load until the next \\refresh)."""
    script = tmp_path / "q.sql"
    script.write_text("select Last_Name, Account_Name.Account_Name from Contacts limit 1;\n")
    repl = typed(lambda: Repl(conn, ReplConfig(history_size=0), label="sandbox"), f"\\i {script}\r")
    catalog = repl.metadata()
    assert catalog is not None
    for name in ("Contacts", "Accounts"):
        module = catalog.module(name)
        assert module is not None and module.fields is not None, name
    found = repl.completer.get_completions(
        Document("select Account_Name.Acc from Contacts", 23), CompleteEvent(completion_requested=True)
    )
    assert "Account_Name" in [c.text for c in found]
