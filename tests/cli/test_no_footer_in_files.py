"""``(N rows)`` is for a person reading a view on a screen, or the table psql-style output
sends to a pipe: a file holds the rows alone (``-o FILE``, a script's ``\\o FILE``), and
markdown has none but on a screen, since a line right after a GFM table is one more row of
it. The data formats (csv, json...) never have one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.cli.conftest import Ran

QUERY = "select Last_Name from Leads limit 2"


def markdown_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("|")]


def test_markdown_in_a_file_is_the_table_alone(cli: Callable[..., Ran], zoho: None, tmp_path: Path) -> None:
    target = tmp_path / "o.md"
    ran = cli("query", "-c", QUERY, "-o", str(target))
    assert ran.status == 0, ran
    text = target.read_text()
    assert "rows)" not in text
    assert text.splitlines() == markdown_rows(text) and len(markdown_rows(text)) == 4  # head, rule, 2 rows


def test_markdown_to_a_pipe_has_no_footer(cli: Callable[..., Ran], zoho: None) -> None:
    ran = cli("query", "-c", QUERY, "--format", "markdown")
    assert ran.status == 0 and ran.out.splitlines() == markdown_rows(ran.out), ran


def test_a_table_in_a_file_has_no_footer(cli: Callable[..., Ran], zoho: None, tmp_path: Path) -> None:
    """``-o x.txt`` and a script's ``\\o``: the rows alone; to a pipe the table keeps its
    ``(2 rows)``, as psql's does."""
    target = tmp_path / "o.txt"
    ran = cli("query", "-c", QUERY, "-o", str(target))
    assert ran.status == 0 and "rows)" not in target.read_text(), ran
    assert target.read_text().count("|") > 0
    again = tmp_path / "again.txt"
    ran = cli("query", "-c", f"\\T table\n\\o {again}\n{QUERY};\n")
    assert ran.status == 0 and "rows)" not in again.read_text(), ran
    ran = cli("query", "-c", QUERY, "--format", "table")
    assert ran.status == 0 and ran.out.endswith("(2 rows)\n"), ran
