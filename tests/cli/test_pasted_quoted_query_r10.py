"""A query pasted in its quotes (a Deluge or JavaScript string, ``"select ..."`` or
``'select ...'``) with no ``;`` after it is a statement, told what is wrong with it: it
was taken for a blank one (a string is no code) and skipped, ``coqlkit query`` exiting 0
with nothing run and ``-o FILE`` replaced by an empty file (review L, finding 2)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.conftest import Ran

QUOTED = ['"select Deal_Name from Deals limit 2"', "'select Deal_Name from Deals limit 2'"]
HINT = "drop the quotes around the query"


@pytest.mark.parametrize("text", QUOTED)
def test_query_c_says_what_is_wrong(cli: Callable[..., Ran], zoho: None, text: str) -> None:
    ran = cli("query", "-c", text)
    assert ran.status == 1, ran
    assert "error[SYNTAX_ERROR]" in ran.err and HINT in ran.err, ran
    assert ran.out == ""


@pytest.mark.parametrize("text", QUOTED)
def test_query_f_leaves_its_output_file_as_it_was(
    cli: Callable[..., Ran], zoho: None, tmp_path: Path, text: str
) -> None:
    job, target = tmp_path / "job.sql", tmp_path / "out.csv"
    job.write_text(text + "\n")
    target.write_text("old,data\n")
    ran = cli("query", "-f", str(job), "-o", str(target))
    assert ran.status == 1, ran
    assert f"{job}:1:1: error[SYNTAX_ERROR]" in ran.err and HINT in ran.err, ran
    assert target.read_text() == "old,data\n"


def test_stdin_and_stats_count_it(cli: Callable[..., Ran], zoho: None, tmp_path: Path) -> None:
    stats = tmp_path / "stats.json"
    ran = cli("query", "--stats-json", str(stats), stdin=QUOTED[0] + "\n")
    assert ran.status == 1 and HINT in ran.err, ran
    assert '"exit_status": 1' in stats.read_text()


def test_export_f_names_the_error_not_zero_queries(
    cli: Callable[..., Ran], zoho: None, tmp_path: Path
) -> None:
    job, target = tmp_path / "job.sql", tmp_path / "out.csv"
    job.write_text(QUOTED[0] + "\n")
    ran = cli("export", "-f", str(job), str(target))
    assert ran.status == 1, ran
    assert HINT in ran.err and "0 queries" not in ran.err, ran
    assert not target.exists()


def test_comments_alone_are_still_no_statement(cli: Callable[..., Ran], zoho: None) -> None:
    ran = cli("query", "-c", "-- nothing to run\n/* still nothing */ ;")
    assert ran.status == 0 and ran.out == "", ran
    assert "error" not in ran.err, ran
