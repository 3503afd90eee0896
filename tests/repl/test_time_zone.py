"""The shell's time zone: ``\\tz`` (show it and where it comes from, set it, back to the
org's), ``repl.toml``'s ``tz`` and the prompt's ``tz=`` (the shell's ``--tz``), and what
they reach: the rows shown, ``\\export`` (rows kept from the last query too), EXPLAIN
ANALYZE. Against a sandbox whose org is in America/Los_Angeles, over HTTP."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

import coqlkit
from coqlkit.errors import ConfigError
from coqlkit.repl.app import Repl
from coqlkit.repl.complete import command_suggestions
from coqlkit.repl.config import ReplConfig, load
from coqlkit.repl.shell import Shell
from coqlkit.sandbox.server import Sandbox

ORG_ZONE = "America/Los_Angeles"  # the demo org's
QUERY = "select Created_Time from Leads where id = '4150868000100000001';"


class Run:
    """A shell in CSV, its output captured: ``run(text)`` gives the status; ``out`` and
    ``err`` hold what that call wrote."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.out = self.err = ""

    def __call__(self, text: str) -> int:
        out, err = io.StringIO(), io.StringIO()
        self.shell.out, self.shell.err = out, err
        status = self.shell.execute(text)
        self.out, self.err = out.getvalue(), err.getvalue()
        return status

    def created(self) -> str:
        """The Created_Time the last query printed (CSV: its one row)."""
        rows = list(csv.DictReader(io.StringIO(self.out)))
        assert len(rows) == 1, self.out
        return rows[0]["Created_Time"]


@pytest.fixture
def run(conn: coqlkit.Connection) -> Iterator[Run]:
    shell = Shell(conn, config=ReplConfig(pager=False, format="csv", timing=False), label="sandbox")
    yield Run(shell)
    shell.close()


def _offset(text: str) -> dt.timedelta | None:
    return dt.datetime.fromisoformat(text).utcoffset()


def test_tz_shows_the_orgs_zone_and_where_it_comes_from(run: Run) -> None:
    assert run("\\tz") == 0
    assert run.err == f"time zone: {ORG_ZONE} (the org's); \\tz ZONE sets another (UTC, Europe/Paris...)\n"


def test_tz_sets_the_zone_of_the_next_queries_and_org_goes_back(run: Run) -> None:
    assert run(QUERY) == 0
    at_org = run.created()
    assert _offset(at_org) in (dt.timedelta(hours=-7), dt.timedelta(hours=-8))  # Los Angeles

    assert run("\\tz Asia/Kolkata") == 0
    assert run.err == (
        f"time zone: Asia/Kolkata, set by \\tz (the org's is {ORG_ZONE}: \\tz org goes back to it)\n"
    )
    assert run(QUERY) == 0
    in_kolkata = run.created()
    assert _offset(in_kolkata) == dt.timedelta(hours=5, minutes=30)
    assert dt.datetime.fromisoformat(in_kolkata) == dt.datetime.fromisoformat(at_org)  # the same instant
    assert run("\\tz") == 0 and "time zone: Asia/Kolkata, set by \\tz" in run.err

    assert run("\\tz org") == 0
    assert run.err.startswith(f"time zone: {ORG_ZONE} (the org's)")
    assert run(QUERY) == 0 and run.created() == at_org


def test_a_zone_is_read_in_any_case(run: Run) -> None:
    assert run("\\tz utc") == 0 and run.err.startswith("time zone: UTC, set by \\tz")
    assert run(QUERY) == 0 and run.created().endswith("+00:00")


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("Nowhere/Zone", ""),
        ("PST", ""),  # an abbreviation Arrow does not know is not guessed
        ("Kolkata", " (did you mean 'Asia/Kolkata'?)"),
        ("Europe/Pari", " (did you mean 'Europe/Paris'?)"),
    ],
)
def test_a_zone_arrow_does_not_know_is_refused_and_the_zone_stays(run: Run, typed: str, hint: str) -> None:
    assert run("\\tz UTC") == 0
    assert run(f"\\tz {typed}") == 2
    assert run.err == (
        f"\\tz {typed}: unknown time zone {typed!r}: give an IANA name such as 'Europe/Paris', or 'UTC'"
        f"{hint}; the time zone stays UTC\n"
    )
    assert run(QUERY) == 0 and run.created().endswith("+00:00")


def test_export_runs_again_in_the_zone_set(run: Run, tmp_path: Path) -> None:
    run.shell.keep_rows = 0  # nothing kept: \export runs the query again
    assert run(QUERY) == 0
    assert run("\\tz UTC") == 0
    assert run(f"\\export {tmp_path / 'again.parquet'}") == 0 and "runs the last query" in run.err
    table = pq.read_table(tmp_path / "again.parquet")
    assert table.schema.field("Created_Time").type == pa.timestamp("ms", "UTC")


def test_export_of_kept_rows_is_in_the_zone_set_since(run: Run, sandbox: Sandbox, tmp_path: Path) -> None:
    """The rows kept from a query read in the org's zone are written in the zone set after
    it: the same instants, with no call (Arrow's zone is a label on the column)."""
    assert run(QUERY) == 0
    at_org = run.created()
    assert sandbox.state is not None
    before = len(sandbox.state.requests)
    assert run("\\tz UTC") == 0
    assert run(f"\\export {tmp_path / 'kept.parquet'}") == 0
    assert run(f"\\export {tmp_path / 'kept.csv'}") == 0
    assert len(sandbox.state.requests) == before  # kept: no call
    assert "the rows of the last query, kept · 0 calls" in run.err
    column = pq.read_table(tmp_path / "kept.parquet").column("Created_Time")
    assert column.type.tz == "UTC"
    assert column[0].as_py() == dt.datetime.fromisoformat(at_org)
    written = next(csv.DictReader(io.StringIO((tmp_path / "kept.csv").read_text(encoding="utf-8"))))
    assert written["Created_Time"].endswith("+00:00")
    assert dt.datetime.fromisoformat(written["Created_Time"]) == dt.datetime.fromisoformat(at_org)
    assert run("\\tz org") == 0
    assert run(f"\\export {tmp_path / 'org.parquet'}") == 0
    assert pq.read_table(tmp_path / "org.parquet").column("Created_Time").type.tz == ORG_ZONE


def test_explain_analyze_reads_in_the_zone_set(run: Run) -> None:
    assert run("\\tz UTC") == 0
    assert run(f"explain analyze {QUERY}") == 0  # (an unknown zone would fail as the rows arrive)
    assert "actual" in run.out


# ---- repl.toml's tz, and the prompt's tz= (the shell's --tz) --------------------------------------


def test_repl_toml_tz_is_checked_as_tz_checks_it(tmp_path: Path) -> None:
    path = tmp_path / "repl.toml"
    path.write_text('tz = "europe/paris"\n', encoding="utf-8")
    assert load(path) == (ReplConfig(tz="Europe/Paris"), [])
    path.write_text('tz = "PST"\n', encoding="utf-8")
    config, warnings = load(path)
    assert config.tz == ""
    assert warnings == [
        f"{path}: tz = \"PST\": unknown time zone 'PST': give an IANA name such as "
        "'Europe/Paris', or 'UTC'; using the default \"\" (the org's)"
    ]
    with pytest.raises(ConfigError, match=r"^tz = \"Mars/Olympus\": unknown time zone 'Mars/Olympus'"):
        ReplConfig().updated(tz="Mars/Olympus")


def _prompt(conn: coqlkit.Connection, config: ReplConfig, keys: str, **options: Any) -> Repl:
    """A Repl on ``keys`` typed (then Ctrl-D)."""
    with create_pipe_input() as keyboard, create_app_session(input=keyboard, output=DummyOutput()):
        repl = Repl(conn, config, label="sandbox", **options)
        keyboard.send_text(keys + "\x04")
        assert repl.run() == 0
        return repl


def test_the_prompt_takes_repl_toml_tz(conn: coqlkit.Connection, capsys: pytest.CaptureFixture[str]) -> None:
    config = ReplConfig(history_size=0, tz="UTC", format="csv", timing=False)
    _prompt(conn, config, f"\\tz\r{QUERY}\r")
    out, err = capsys.readouterr()
    assert f"time zone: UTC, from repl.toml's tz (the org's is {ORG_ZONE}: \\tz org goes back to it)" in err
    assert out.splitlines()[1].endswith("+00:00")


def test_the_prompts_tz_wins_over_repl_toml(
    conn: coqlkit.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    config = ReplConfig(history_size=0, tz="UTC", format="csv", timing=False)
    _prompt(conn, config, f"\\tz\r{QUERY}\r", tz="asia/kolkata")
    out, err = capsys.readouterr()
    assert "time zone: Asia/Kolkata, from --tz (the org's is" in err
    assert out.splitlines()[1].endswith("+05:30")


def test_the_prompts_tz_is_refused_before_it_starts(conn: coqlkit.Connection) -> None:
    with pytest.raises(ConfigError, match=r"^--tz PST: unknown time zone 'PST'"):
        Repl(conn, ReplConfig(history_size=0), label="sandbox", tz="PST")


# ---- completion --------------------------------------------------------------------------------------


def test_tz_completes_org_and_zones_by_name_or_city() -> None:
    offered = [s.text for s in command_suggestions("\\tz ")]
    assert offered[:2] == ["org", "UTC"] and "Europe/Paris" in offered and len(offered) > 300
    assert [s.text for s in command_suggestions("\\tz kolk")] == ["Asia/Kolkata"]
    assert [(s.text, s.start) for s in command_suggestions("\\tz new_y")] == [("America/New_York", 4)]
    assert "\\tz" in [s.text for s in command_suggestions("\\t")]
