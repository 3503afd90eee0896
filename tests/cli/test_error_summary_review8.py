"""A wrong query is a diagnostic as lint prints it (``FILE:line:col: error[CODE]: ...``, a
caret, a hint) and, in a log (standard error not a terminal), one ``coqlkit: error:`` line
after it, so that ``grep 'coqlkit: error'`` finds it as it finds every other failure
(review 8, ops 4: a typo, the commonest failure of a job, was not found)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.conftest import Ran


def test_a_script_s_wrong_queries_have_an_error_line_each(
    cli: Callable[..., Ran], zoho: None, tmp_path: Path
) -> None:
    script = tmp_path / "s.sql"
    script.write_text(
        "select Last_Name from Leads limit 1;\nselect Emial from Leads;\n"
        "select Last_Name from Leads join Accounts;\nselect Last_Name from Leads where Email = :nope;\n"
    )
    ran = cli("query", "-f", str(script))
    assert ran.status == 1, ran
    assert [line for line in ran.err.splitlines() if line.startswith("coqlkit: error")] == [
        f"coqlkit: error: {script}:2:8: Leads has no field Emial",
        f"coqlkit: error: {script}:3:29: COQL has no JOIN",
        f"coqlkit: error: {script}:4:43: no value given for :nope",
    ]
    # Each after its diagnostic, which reads as lint's: caret, hint.
    assert ran.err.startswith(
        f"{script}:2:8: error[INVALID_QUERY]: Leads has no field Emial\n  select Emial from Leads;\n"
        "         ^^^^^\n  hint: did you mean Email?\n"
        f"coqlkit: error: {script}:2:8: Leads has no field Emial\n"
    ), ran


def test_an_export_s_wrong_query(cli: Callable[..., Ran], zoho: None, tmp_path: Path) -> None:
    ran = cli("export", "select Emial from Leads", str(tmp_path / "x.csv"))
    assert ran.status == 1, ran
    assert ran.err.endswith("\ncoqlkit: error: 1:8: Leads has no field Emial\n"), ran


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_diagnostic_alone(zoho: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A person reads the caret display: the line for grep would say it twice."""
    from coqlkit.cli import build_parser
    from coqlkit.cli._query import run_query

    args = build_parser().parse_args(["query", "-c", "select Emial from Leads"])
    out, err = io.StringIO(), _Terminal()
    assert run_query(args, out, err) == 1
    assert err.getvalue().startswith("1:8: error[INVALID_QUERY]: Leads has no field Emial\n")
    assert "coqlkit: error" not in err.getvalue()
