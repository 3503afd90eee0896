"""``--stop-on-error`` (psql's ON_ERROR_STOP): a script stops at its first statement or
command that fails, for a job whose later statements depend on the earlier ones; by
default the rest runs, as in psql, and the status is the worst (review 8, ops 10)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from coqlkit.sandbox.server import Sandbox
from tests.cli.conftest import Ran

SCRIPT = "select Last_Name from Leads limit 1;\nselect Emial from Leads;\nselect Email from Leads limit 1;\n"


def _queries_sent(org: Sandbox, since: int) -> list[str]:
    """The COQL queries the org ran since ``since``: an entry with no query is a call the
    sandbox answered before reading its body (a refused token or slot, sent again, or an
    earlier test's call logged late), which CI saw once."""
    assert org.state is not None
    entries = list(org.state.requests)[since:]
    return [str(e["coql"]) for e in entries if e["path"] == "/crm/v8/coql" and e.get("coql") is not None]


def test_the_rest_of_a_script_is_not_run(
    cli: Callable[..., Ran], org: Sandbox, zoho: None, tmp_path: Path
) -> None:
    script = tmp_path / "s.sql"
    script.write_text(SCRIPT)
    assert org.state is not None
    since = len(org.state.requests)
    ran = cli("query", "-f", str(script), "--stop-on-error")
    assert ran.status == 1, ran
    assert ran.out.startswith("id,Last_Name\n") and "Email" not in ran.out, ran
    assert ran.err.endswith(
        f"coqlkit: stopped at the error (--stop-on-error): nothing from {script}:3:1 on was run\n"
    ), ran
    assert [q.split(" where ")[0] for q in _queries_sent(org, since)] == ["select Last_Name from Leads"]
    # Without it, the rest runs (psql's default) and the status is the worst.
    ran = cli("query", "-f", str(script))
    assert ran.status == 1 and "id,Email\n" in ran.out and "--stop-on-error" not in ran.err, ran


def test_a_script_on_standard_input_and_a_failed_command(cli: Callable[..., Ran], zoho: None) -> None:
    """``coqlkit --stop-on-error < job.sql`` (no command: the shell reads the script); a
    command that fails (``\\x bogus``) stops it as a statement does, and so does a query
    the credit budget refuses (exit 5)."""
    ran = cli("--stop-on-error", stdin=SCRIPT)
    assert ran.status == 1 and "id,Email" not in ran.out, ran
    assert ran.err.endswith("nothing from <stdin>:3:1 on was run\n"), ran
    ran = cli("query", "--stop-on-error", "-c", "\\x bogus\nselect Email from Leads limit 1;")
    assert ran.status != 0 and ran.out == "", ran
    assert ran.err.endswith("nothing from 2:1 on was run\n"), ran
    ran = cli(
        "query",
        "--stop-on-error",
        "--max-credits",
        "1",
        "-c",
        "select Email from Leads; select Email from Leads limit 1",
    )
    assert ran.status == 5 and ran.out == "", ran
    assert ran.err.endswith("nothing from 1:26 on was run\n"), ran


def test_nothing_is_said_when_nothing_was_left_to_run(cli: Callable[..., Ran], zoho: None) -> None:
    ran = cli(
        "query", "--stop-on-error", "-c", "select Last_Name from Leads limit 1; select Emial from Leads"
    )
    assert ran.status == 1 and "--stop-on-error" not in ran.err, ran
