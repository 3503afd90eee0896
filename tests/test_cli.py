"""`coqlkit lint`: compiler-style output, JSON lines, exit codes 0, 1 and 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coqlkit.cli import main

QUERIES = """\
-- pipeline checks
select Last_Name, Email from Leads where Lead_Status = 'Contacted';

select Emial from Leads
where Lead_Status = 'Hot';
select Deal_Name from Deals limit 5000;
"""


def run(args: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coqlkit", *args], input=stdin, capture_output=True, text=True, timeout=60
    )


def test_text_output_like_a_compiler(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.coql"
    path.write_text(QUERIES)
    result = run(["lint", "--demo", str(path)])
    assert result.returncode == 1
    out = result.stdout
    assert f"{path}:4:8: error[INVALID_QUERY]: Leads has no field Emial" in out
    assert "  select Emial from Leads\n         ^^^^^\n  hint: did you mean Email?" in out
    assert f"{path}:5:21: warning[INVALID_QUERY]: 'Hot' is not a value of the picklist Lead_Status" in out
    assert f"{path}:6:29: info[LIMIT_EXCEEDED]" in out
    assert out.rstrip().endswith("3 queries: 2 ok, 1 with errors; 1 error, 1 warning")


def test_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "q.coql"
    path.write_text(QUERIES)
    result = run(["lint", "--demo", "--format", "json", str(path)])
    assert result.returncode == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["ok"] for line in lines] == [True, False, True]
    bad = lines[1]
    assert bad["query"] == "select Emial from Leads\nwhere Lead_Status = 'Hot'"
    assert bad["file"] == str(path)
    first = bad["diagnostics"][0]
    assert set(first) == {"code", "severity", "message", "line", "column", "hint"}
    assert (first["code"], first["line"], first["column"], first["hint"]) == (
        "INVALID_QUERY",
        4,
        8,
        "did you mean Email?",
    )


def test_stdin_clean_exits_zero() -> None:
    result = run(["lint", "--demo", "-"], "select Last_Name from Leads where Email like '%@zylker.com'")
    assert (result.returncode, result.stdout.strip()) == (0, "1 query: 1 ok, 0 with errors")


def test_syntax_error_positions_are_file_positions() -> None:
    result = run(["lint", "-q", "-"], "select a from B;\n\n  select b\n  from C where (x = 1")
    assert result.returncode == 1
    assert result.stdout.startswith("<stdin>:4:22: error[SYNTAX_ERROR]: unexpected end of query")
    assert "hint: a '(' is not closed" in result.stdout


def test_without_metadata_says_so() -> None:
    result = run(["lint", "-"], "select Emial from Leads")
    assert result.returncode == 0
    assert "no metadata given" in result.stderr


def test_metadata_snapshot_directory(snapshot_dir: Path) -> None:
    result = run(["lint", "--metadata", str(snapshot_dir), "-"], "select Emial from Leads")
    assert result.returncode == 1 and "did you mean Email?" in result.stdout


def test_fail_on_warning() -> None:
    text = "select Last_Name from Leads where Lead_Status = 'Hot'"
    assert run(["lint", "--demo", "-"], text).returncode == 0
    assert run(["lint", "--demo", "--fail-on", "warning", "-"], text).returncode == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lint", "--demo", "no-such-file.coql"], "No such file"),
        (["lint", "--metadata", "/no/such/dir", "-"], "no metadata snapshot"),
        (["lint", "--format", "xml", "-"], "invalid choice"),
        (["lint", "--demo", "--metadata", "x", "-"], "not allowed with"),
        ([], "Add one with `coqlkit auth login`, or try the demo org with `coqlkit --sandbox`."),
    ],
)
def test_usage_errors_exit_two(args: list[str], message: str) -> None:
    result = run(args)
    assert result.returncode == 2
    assert message in result.stderr


def test_main_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ok.coql"
    path.write_text("select id from Leads;\nselect id from Contacts;\n")
    assert main(["lint", "--demo", str(path), str(path)]) == 0
    assert capsys.readouterr().out.strip() == "4 queries: 4 ok, 0 with errors"


@pytest.mark.parametrize(("preset", "seen"), [(None, "0"), ("25", "25")])
def test_the_command_has_arrows_allocator_give_freed_memory_back(preset: str | None, seen: str) -> None:
    # Set before pyarrow loads (mimalloc reads it then), unless the user set it.
    env = {k: v for k, v in os.environ.items() if k != "MIMALLOC_PURGE_DELAY"}
    if preset is not None:
        env["MIMALLOC_PURGE_DELAY"] = preset
    code = (
        "import os, sys; import coqlkit.cli; "
        "print(os.environ['MIMALLOC_PURGE_DELAY'], 'pyarrow' in sys.modules)"
    )
    ran = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert ran.stdout.split() == [seen, "False"]


LATIN_1 = (
    "select Last_Name from Leads where Last_Name = 'Müller' limit 1;\nselect Emial from Leads;\n".encode(
        "cp1252"
    )
)
NOT_UTF8 = (
    ":1:49: error: not UTF-8 (byte 0xfc, 'ü' in Windows-1252): {fix}\n"
    "  select Last_Name from Leads where Last_Name = 'M\ufffdller' limit 1;\n"
    "                                                  ^\n"
)


@pytest.mark.parametrize("where", ["file", "stdin"])
def test_a_file_that_is_not_utf8_is_a_usage_error(tmp_path: Path, where: str) -> None:
    """Where its first byte that is not UTF-8 is, as a compiler says it; exit 2 (the file
    cannot be read as COQL), and none of it checked (a traceback and exit 1 before)."""
    path = tmp_path / "latin1.sql"
    path.write_bytes(LATIN_1)
    args = ["lint", "--demo", str(path) if where == "file" else "-"]
    result = subprocess.run(
        [sys.executable, "-m", "coqlkit", *args], input=LATIN_1, capture_output=True, timeout=60
    )
    err = result.stderr.decode()
    assert result.returncode == 2 and result.stdout == b"" and "Traceback" not in err
    if where == "file":
        assert err.startswith(str(path) + NOT_UTF8.format(fix="save the file as UTF-8"))
        assert f"  hint: iconv -f WINDOWS-1252 -t UTF-8 {path} > {tmp_path / 'latin1.utf8.sql'}\n" in err
    else:
        assert err.startswith("<stdin>" + NOT_UTF8.format(fix="give it as UTF-8"))
    assert err.endswith("coqlkit lint: nothing was checked\n")


def test_a_utf8_byte_order_mark_is_no_character(tmp_path: Path) -> None:
    """As Windows editors save UTF-8: the mark is not read as the query's first character."""
    path = tmp_path / "bom.coql"
    path.write_bytes("select Last_Name from Leads where Last_Name = 'Müller';".encode("utf-8-sig"))
    result = run(["lint", "--demo", str(path)])
    assert (result.returncode, result.stdout.strip()) == (0, "1 query: 1 ok, 0 with errors")
