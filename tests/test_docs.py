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


def test_quick_start_is_two_commands_and_its_output_is_real() -> None:
    start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", start, re.S)
    assert len(commands) == 2 and all("\n" not in c for c in commands)
    run, test = commands
    assert "pip install ." in run and "coqlkit lint" in run
    assert "pip install -e '.[test]'" in test and test.endswith("pytest")
    query = re.search(r'echo "(.*?)" \|', run)
    assert query is not None
    result = subprocess.run(
        [sys.executable, "-m", "coqlkit", "lint", "--demo", "-"],
        input=query.group(1),
        capture_output=True,
        text=True,
    )
    shown = re.search(r"```text\n(<stdin>.*?)```", start, re.S)
    assert shown is not None
    assert result.stdout == shown.group(1)


def test_ci_installs_exactly_as_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -q -e '.[test]'" in ci
    assert "python -m pytest" in ci


def test_every_command_option_is_documented() -> None:
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]

    def sub(name: str) -> dict[str, object]:
        return commands[name]._subparsers._group_actions[0].choices  # type: ignore[no-any-return]

    parsers = [commands["lint"], sub("sandbox")["serve"], *sub("auth").values(), sub("metadata")["dump"]]
    for parser in parsers:
        options = {
            o for a in parser._actions for o in a.option_strings if o.startswith("--") and o != "--help"
        }
        for option in options:
            assert f"`{option}" in README, option
