"""``--help`` ends with the exit statuses, the README's table in short: a systemd unit or
a CI step is often written from ``--help`` alone, and a scheduler acts on the status
(review 8, ops 8). The codes listed are the README's, so the two cannot drift apart."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.conftest import Ran

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_codes() -> list[str]:
    """The codes of the README's table of exit codes, in its order."""
    table = README.read_text(encoding="utf-8").split("| exit code | meaning |", 1)[1]
    return re.findall(r"^\| (\d+) \|", table.split("\n\n", 1)[0], re.M)


def _listed_codes(text: str) -> list[str]:
    """The codes that start the lines after ``exit status``, and those named after them
    (``143: SIGTERM``)."""
    block = text[text.index("\nexit status") :]
    return re.findall(r"^  (\d+) ", block, re.M) + re.findall(r"\b(\d+): SIG", block)


@pytest.mark.parametrize(
    "command", [[], ["query"], ["export"], ["explain"]], ids=["coqlkit", "query", "export", "explain"]
)
def test_help_lists_every_exit_status_the_readme_does(cli: Callable[..., Ran], command: list[str]) -> None:
    ran = cli(*command, "--help")
    assert ran.status == 0, ran
    listed = _listed_codes(ran.out)
    assert sorted(listed, key=int) == sorted([*_readme_codes(), "129"], key=int), ran.out


def test_the_exit_statuses_keep_their_lines(cli: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch) -> None:
    """Laid out as a table, not wrapped into a paragraph as argparse wraps an epilog."""
    monkeypatch.setenv("COLUMNS", "80")
    ran = cli("export", "--help")
    assert "\nexit status:\n  0    ok\n  1    a query is wrong" in ran.out, ran.out
    assert "\n  7    a file, or standard output, could not be written (a full disk)\n" in ran.out
    # The description is still wrapped to the terminal, as before.
    assert (
        "\nRun QUERY (or the one query in -f FILE) and write all its rows to TARGET; the\nformat" in ran.out
    )
