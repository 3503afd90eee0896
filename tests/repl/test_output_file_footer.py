"""The interactive shell's ``\\o FILE`` writes the rows alone, as ``-o FILE`` and a script's
``\\o`` do: no ``(N rows)`` under them (in a markdown file it is one more row of the
table). On the screen, and for a table to a pipe, the footer stays. Against a sandbox over
HTTP, the shell as the prompt runs it (interactive)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import coqlkit
from coqlkit.repl.config import ReplConfig
from coqlkit.repl.shell import Shell

QUERY = "select Last_Name from Leads where Last_Name is not null limit 2;"


def shell(conn: coqlkit.Connection, out: io.StringIO) -> Shell:
    return Shell(
        conn,
        config=ReplConfig(pager=False, timing=False),
        out=out,
        err=io.StringIO(),
        label="sandbox",
        interactive=True,
        terminal_size=lambda: (200, 50),
    )


@pytest.mark.parametrize("fmt", ["table", "markdown", "vertical"])
def test_o_file_at_the_prompt_has_no_footer(conn: coqlkit.Connection, tmp_path: Path, fmt: str) -> None:
    screen = io.StringIO()
    made = shell(conn, screen)
    target = tmp_path / f"rows.{fmt}"
    try:
        assert made.execute(f"\\T {fmt}\n\\o {target}\n{QUERY}\n\\o\n") == 0
        assert "Last_Name" in target.read_text()
        assert "rows)" not in target.read_text()
        assert made.execute(QUERY) == 0  # on the screen, the footer stays
        assert "(2 rows)" in screen.getvalue()
    finally:
        made.close()
