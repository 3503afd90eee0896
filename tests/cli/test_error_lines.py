"""The line that says why a command failed starts as its warnings do, ``coqlkit: error: ``
(a log that mixes tools, ``grep coqlkit: job.log``, -q's one line), with where in a
script it happened (``s.sql:2: ``); diagnostics of the query itself keep the shape lint
gives them (``FILE:line:col: error[CODE]: ...``, a caret)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.cli.conftest import Ran

COSTLY = (
    "the cheapest plan (offset pages) would cost 6 credits (3 calls, the COUNT probe included); the "
    "budget is 1: narrow the query, add a LIMIT or raise the budget"
)


def test_a_script_says_which_statement_failed(cli: Callable[..., Ran], zoho: None, tmp_path: Path) -> None:
    script = tmp_path / "s.sql"
    script.write_text(
        "select Last_Name from Leads limit 1;\nselect Last_Name from Leads;\n\\export nodir/x.csv\n"
        "select Emial from Leads limit 1;\n"
    )
    ran = cli("query", "-f", str(script), "--max-credits", "1")
    assert ran.status == 5, ran  # the worst: the budget's
    lines = ran.err.splitlines()
    assert lines[:2] == [
        f"coqlkit: error: {script}:2: {COSTLY}",
        f"coqlkit: error: {script}:3: nodir/x.csv: No such file or directory (nodir does not exist)",
    ]
    # The query's own mistake: a diagnostic, positioned in the file, as lint writes it.
    assert lines[2] == f"{script}:4:8: error[INVALID_QUERY]: Leads has no field Emial"


def test_one_query_s_error_has_no_position_to_give(
    cli: Callable[..., Ran], zoho: None, tmp_path: Path
) -> None:
    ran = cli("query", "-c", "select Last_Name from Leads", "--max-credits", "1")
    assert ran.status == 5 and ran.err == f"coqlkit: error: {COSTLY}\n", ran
    target = tmp_path / "x.parquet"
    ran = cli("export", "select Last_Name from Leads", str(target), "--max-credits", "1", "-q")
    assert ran.status == 5, ran
    assert ran.err == f"coqlkit: error: {COSTLY}\ncoqlkit: spent 1 credit (1 call) before failing\n"
