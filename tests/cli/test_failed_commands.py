"""Every command of a script that fails says why as the command line's errors are said,
``coqlkit: error: FILE:LINE: ...``: one rule (a command that returns a failing status:
its last message is the reason), not only the commands that raised. A command that ends
well, and what a file run by ``\\i`` says of its own lines, are left as they are. So are
``export``'s refusals of its target, and strict mode's refusal of a statement."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.cli.conftest import Ran

FAILING = [
    ("\\d Nope", "no module 'Nope' in this org"),
    ("\\tz Kolkata", "\\tz Kolkata: unknown time zone 'Kolkata'"),
    ("\\x bogus", "\\x takes on, off or auto"),
    ("\\tming", "unknown command \\tming: did you mean \\timing?"),
    ("\\set 1x 3", "\\set NAME VALUE: 1x cannot be a NAME"),
    (".parameter frob", ".parameter frob: coqlkit's .parameter takes set, unset, list and clear"),
    ("\\timing bogus", "\\timing takes on or off"),
    ("\\T jsonn", "unknown format 'jsonn': did you mean json?"),
    ("\\export /nonexistent/x.csv", "/nonexistent/x.csv: No such file or directory"),
]


def test_every_failed_command_is_an_error_line(cli: Callable[..., Ran], zoho: None, tmp_path: Path) -> None:
    script = tmp_path / "s.sql"
    lines = ["select Last_Name from Leads where Last_Name is not null limit 1;", "\\x on"]
    lines += [command for command, _ in FAILING]
    script.write_text("\n".join(lines) + "\n\\o /nonexistent/y.csv\nselect 1 from Leads;\n", encoding="utf-8")
    ran = cli("query", "-f", str(script), "--format", "csv")
    assert ran.status == 2, ran
    said = ran.err.splitlines()
    assert said[0] == "format: vertical"  # a command that ends well: no error
    errors = [line for line in said if line.startswith("coqlkit: error: ")]
    for line, (command, message) in enumerate(FAILING, start=3):
        assert f"coqlkit: error: {script}:{line}: {message}" in "\n".join(errors), command
    assert errors[-1].startswith(
        f"coqlkit: error: {script}:{len(lines) + 1}: /nonexistent/y.csv: No such file"
    )
    assert len(errors) == len(FAILING) + 1, ran  # one line each; a hint under it stays a hint
    assert "  hint: did you mean Notes?" in said


def test_a_file_run_by_i_says_its_own_errors(cli: Callable[..., Ran], zoho: None, tmp_path: Path) -> None:
    """Inside ``\\i FILE``, an error is said where it is in FILE, once; the ``\\i`` that
    failed to read its file is an error of the script."""
    inner = tmp_path / "inner.sql"
    inner.write_text("\\x bogus\n", encoding="utf-8")
    ran = cli(stdin=f"\\i {inner}\n\\i {tmp_path / 'nope.sql'}\n")
    assert ran.status == 2, ran
    assert ran.err.splitlines() == [
        f"coqlkit: error: {inner}:1: \\x takes on, off or auto",
        f"coqlkit: error: <stdin>:2: cannot read {tmp_path / 'nope.sql'}: No such file or directory",
    ]


def test_export_s_refusals_of_its_target_are_errors(
    cli: Callable[..., Ran], zoho: None, tmp_path: Path
) -> None:
    query = "select Last_Name from Leads limit 2"
    ran = cli("export", query, str(tmp_path / "nodir" / "d.csv"))
    assert ran.status == 2
    assert ran.err == (
        f"coqlkit: error: {tmp_path / 'nodir' / 'd.csv'}: No such file or directory "
        f"({tmp_path / 'nodir'} does not exist; --mkdir creates it)\n"
    )
    ran = cli("export", query, str(tmp_path / "rows.xlsx"))
    assert ran.status == 2 and ran.err.startswith("coqlkit: error: cannot tell the format of rows.xlsx"), ran
