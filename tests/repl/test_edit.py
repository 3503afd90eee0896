"""``\\e`` with a real ``$EDITOR`` (small shell scripts), against a sandbox: an edit given
up runs nothing. A vim ``:cq`` (a non-zero exit), an editor that cannot start, or one that
leaves the file as it was (``:q``) ran the last query again, and spent its credits again.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import coqlkit
from coqlkit.repl.config import ReplConfig
from coqlkit.repl.shell import Shell

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the editors are shell scripts")

QUERY = "select Last_Name from Leads where Lead_Source = 'Chat' limit 3;"


def script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return str(path)


@pytest.fixture
def editors(tmp_path: Path) -> dict[str, str]:
    return {
        "cq": script(tmp_path, "cq.sh", "exit 1"),  # vim's :cq
        "quit": script(tmp_path, "quit.sh", "exit 0"),  # vim's :q, nothing written
        "saves": script(tmp_path, "saves.sh", "printf 'select Email from Leads limit 1;\\n' > \"$1\""),
        "missing": str(tmp_path / "no" / "such" / "editor"),
    }


class Shells:
    """A shell on the sandbox, its output captured; ``run(text)`` -> status, err."""

    def __init__(self, conn: coqlkit.Connection, interactive: bool) -> None:
        self.out, self.err = io.StringIO(), io.StringIO()
        self.shell = Shell(
            conn, config=ReplConfig(pager=False), out=self.out, err=self.err, interactive=interactive
        )

    def run(self, text: str) -> tuple[int, str]:
        self.err.seek(0)
        self.err.truncate()
        status = self.shell.execute(text)
        return status, self.err.getvalue()


@pytest.fixture(params=[False, True], ids=["script", "prompt"])
def shell(request: pytest.FixtureRequest, conn: coqlkit.Connection) -> Iterator[Shells]:
    made = Shells(conn, interactive=request.param)
    yield made
    made.shell.close()


@pytest.mark.parametrize(
    ("editor", "said"), [("cq", "the editor exited with status 1"), ("quit", "nothing saved")]
)
def test_an_edit_given_up_runs_nothing(
    shell: Shells, editors: dict[str, str], monkeypatch: pytest.MonkeyPatch, editor: str, said: str
) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", editors[editor])
    assert shell.run(QUERY)[0] == 0
    spent = shell.shell.conn.credits_used
    status, err = shell.run("\\e")
    assert status == 0 and err == f"\\e: {said}; nothing run\n"
    assert shell.shell.conn.credits_used == spent  # the last query did not run again
    assert (shell.shell.prefill, shell.shell.accept_prefill) == ("", False)


def test_what_is_saved_still_runs(
    shell: Shells, editors: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", editors["saves"])
    assert shell.run(QUERY)[0] == 0
    status, err = shell.run("\\e")
    assert status == 0 and "nothing run" not in err
    if shell.shell.interactive:  # handed to the prompt, which runs it
        assert shell.shell.prefill == "select Email from Leads limit 1;" and shell.shell.accept_prefill
    else:
        assert "Email" in shell.out.getvalue()


def test_a_statement_being_typed_comes_back_when_its_edit_is_given_up(
    conn: coqlkit.Connection, editors: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", editors["cq"])
    shell = Shells(conn, interactive=True)
    status, err = shell.run("select Last_Name\nfrom Leads\n\\e")
    assert status == 0 and "nothing run" in err
    assert shell.shell.prefill == "select Last_Name\nfrom Leads\n"  # as it was, to finish
    shell.shell.close()


def test_a_file_given_up_is_run_not_and_one_made_for_it_goes(
    shell: Shells, editors: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    draft = tmp_path / "draft.coql"
    draft.write_text(QUERY + "\n")
    monkeypatch.setenv("EDITOR", editors["cq"])
    spent = shell.shell.conn.credits_used
    status, err = shell.run(f"\\e {draft}")
    assert status == 0 and err == "\\e: the editor exited with status 1; nothing run\n"
    assert shell.shell.conn.credits_used == spent and draft.read_text() == QUERY + "\n"
    monkeypatch.setenv("EDITOR", editors["missing"])
    new = tmp_path / "new.coql"
    status, err = shell.run(f"\\e {new}")
    assert status == 2 and err.startswith(f"\\e: the editor '{editors['missing']}' could not start: ")
    assert err.endswith("; nothing run\n") and not new.exists()  # (it was left behind, empty)
