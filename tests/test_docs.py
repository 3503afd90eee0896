"""The README tells the truth: its examples run, its outputs are real, its commands exist."""

from __future__ import annotations

import doctest
import re
import subprocess
import sys
from pathlib import Path

from coqlkit.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", README, re.S)


def test_python_examples_run() -> None:
    parser = doctest.DocTestParser()
    examples = "\n".join(blocks("python"))
    test = parser.get_doctest(examples, {}, "README.md", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0 and runner.tries >= 8


def test_notebook_examples_run() -> None:
    """The README's Jupyter cells, in order, in an IPython shell: no error, no diagnostic."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    section = README.split("## Jupyter", 1)[1].split("\n## ", 1)[0]
    cells = blocks("ipython")
    assert len(cells) >= 4 and all(cell in section for cell in cells)
    shell = InteractiveShell.instance()
    try:
        for cell in cells:
            with capture_output() as captured:
                result = shell.run_cell(cell, store_history=False)
            assert result.success, (cell, result.error_in_exec or result.error_before_exec)
            shown = captured.stdout + captured.stderr + "".join(str(o.data) for o in captured.outputs)
            assert "error" not in shown.lower(), (cell, shown)
        leads = shell.user_ns["leads"]
        assert len(leads) > 0 and list(leads.columns)[:2] == ["id", "Last_Name"]
    finally:
        magics = shell.magics_manager.registry.get("CoqlMagics")
        if magics is not None and magics.conn is not None:
            magics.conn.close()
        InteractiveShell.clear_instance()


def _transcript_queries(section: str) -> list[tuple[str, str]]:
    """(query, the table printed after it) for each query typed in a REPL transcript."""
    found = []
    for block in re.findall(r"```text\n(coql.*?)```", section, re.S):
        lines = block.splitlines()
        index = 0
        while index < len(lines):
            line = lines[index]
            if line.startswith("coql:") and "> " in line and not line.split("> ", 1)[1].startswith("\\"):
                query = [line.split("> ", 1)[1]]
                while not query[-1].rstrip().endswith(";"):
                    index += 1
                    query.append(lines[index].split("-> ", 1)[1])
                index += 1
                table = []
                while index < len(lines) and lines[index].startswith(("+", "|", "(")):
                    table.append(lines[index])
                    index += 1
                if table:
                    found.append((" ".join(query), "\n".join(table) + "\n"))
                continue
            index += 1
    return found


def _run_on_sandbox(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coqlkit", "--sandbox", *args], capture_output=True, text=True, timeout=300
    )


def test_quick_start_is_two_commands_and_its_output_is_real() -> None:
    start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", start, re.S)
    assert len(commands) == 2 and all("\n" not in c for c in commands)
    run, test = commands
    assert "pip install '.[sandbox]'" in run and run.endswith("coqlkit --sandbox")
    assert "pip install -e '.[test]'" in test and test.endswith("pytest -n auto --dist loadfile")
    shown = _transcript_queries(start)
    assert len(shown) == 1
    query, table = shown[0]
    result = _run_on_sandbox("query", "-c", query, "--format", "table")
    assert result.returncode == 0, result.stderr
    assert result.stdout == table


def test_the_repl_transcript_is_real() -> None:
    section = README.split("## The REPL", 1)[1].split("\n## ", 1)[0]
    params = re.findall(r"> \\set (\w+) (.*)", section)
    assert params
    shown = _transcript_queries(section)
    assert shown
    for query, table in shown:
        args = [f"--param={name}={value}" for name, value in params]
        result = _run_on_sandbox("query", "-c", query, "--format", "table", *args)
        assert result.returncode == 0, result.stderr
        assert result.stdout == table


def test_ci_installs_exactly_as_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -q -e '.[test]'" in ci
    assert "python -m pytest -n auto --dist loadfile" in ci  # the suite as the README runs it


def test_every_command_option_is_documented() -> None:
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]

    def sub(name: str) -> dict[str, object]:
        return commands[name]._subparsers._group_actions[0].choices  # type: ignore[no-any-return]

    parsers = [
        build_parser(),
        commands["query"],
        commands["explain"],
        commands["export"],
        commands["lint"],
        sub("sandbox")["serve"],
        *sub("auth").values(),
        sub("metadata")["dump"],
    ]
    for parser in parsers:
        options = {
            o for a in parser._actions for o in a.option_strings if o.startswith("--") and o != "--help"
        }
        for option in options:
            assert f"`{option}" in README, option
