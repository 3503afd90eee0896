"""A failure coqlkit did not foresee (a bug) is one ``coqlkit: error:`` line and exit 70,
not a traceback and exit 1 (which says the query is wrong): a job's log greps it, and a
scheduler does not take it for a bad query (review 8, ops #1's last point). With
``COQLKIT_LOG`` set, the traceback follows, for a bug report."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from coqlkit.cli import _lint
from tests.cli.conftest import Ran


@pytest.fixture
def broken_lint(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def run_lint(*args: object) -> int:
        raise RuntimeError("the unforeseen")

    monkeypatch.setattr(_lint, "run_lint", run_lint)
    yield
    logger = logging.getLogger("coqlkit")  # (COQLKIT_LOG's handler, left by main())
    for handler in [h for h in logger.handlers if h.get_name() == "coqlkit-cli"]:
        logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)


def test_an_unforeseen_failure_is_one_error_line_and_exit_70(
    cli: Callable[..., Ran], broken_lint: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COQLKIT_LOG", raising=False)
    ran = cli("lint", "--demo", stdin="select Last_Name from Leads")
    assert ran.status == 70
    assert ran.err == (
        "coqlkit: error: internal error: RuntimeError: the unforeseen (a bug in coqlkit: please "
        "report it; COQLKIT_LOG=debug shows its traceback)\n"
    )


def test_with_the_log_on_its_traceback_follows(
    capsys: pytest.CaptureFixture[str], broken_lint: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coqlkit.cli import main

    monkeypatch.setenv("COQLKIT_LOG", "debug")
    assert main(["lint", "--demo"]) == 70
    err = capsys.readouterr().err
    assert err.startswith("coqlkit: error: ") and " coqlkit.cli: coqlkit's own failure\nTraceback" in err
    assert 'raise RuntimeError("the unforeseen")' in err
    assert err.endswith("internal error: RuntimeError: the unforeseen (a bug in coqlkit: please report it)\n")


def test_a_file_a_command_cannot_write_is_a_file_error_not_a_bug(
    cli: Callable[..., Ran], tmp_path: Path, zoho: None
) -> None:
    """``metadata dump`` into a file, ``sandbox serve --db`` a folder: the user's path to mend
    (own-diff review A #3), said as other file errors are, exit 7."""
    target = tmp_path / "a-file"
    target.write_text("")
    ran = cli("metadata", "dump", str(target))
    assert ran.status == 7, ran
    assert ran.err.startswith(f"coqlkit: error: {target}/") and "internal error" not in ran.err
