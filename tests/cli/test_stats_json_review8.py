"""``--stats-json FILE``: one JSON object per run of ``export`` or ``query`` saying what it
did and spent, written even when the run fails, with figures that add up to what the org
logged; ``COQLKIT_LOG=info`` sends the ``coqlkit.*`` log to standard error (review 8,
ops 5: a job had only a line for people, gone with -q, and no way to see retries, 429s
or the plan without writing Python)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from coqlkit.sandbox.server import Sandbox
from tests.cli.conftest import Ran

KEYS = {
    "command",
    "exit_status",
    "seconds",
    "rows",
    "queries",
    "strategies",
    "calls",
    "credits",
    "query_credits",
    "metadata_credits",
    "maybe_charged_credits",
    "lost_answers",
    "retries",
    "throttled",
    "token_refreshes",
    "version",
}


def _crm_calls(org: Sandbox, since: int) -> list[dict[str, Any]]:
    assert org.state is not None
    return [e for e in list(org.state.requests)[since:] if e["path"].startswith("/crm/")]


def test_an_export_s_figures_are_the_org_s(
    cli: Callable[..., Ran], org: Sandbox, zoho: None, tmp_path: Path
) -> None:
    assert org.state is not None
    since = len(org.state.requests)
    target, stats = tmp_path / "leads.csv", tmp_path / "stats.json"
    ran = cli("export", "select Last_Name, Email from Leads", str(target), "--stats-json", str(stats), "-q")
    assert ran.status == 0 and ran.err == "", ran
    found = json.loads(stats.read_text())
    assert set(found) == KEYS
    calls = _crm_calls(org, since)
    assert found["command"] == "export" and found["exit_status"] == 0
    assert found["rows"] == len(target.read_text().splitlines()) - 1 == 3_000
    assert found["strategies"] == ["offset pages"] and found["queries"] == 1
    assert found["calls"] == len(calls)
    assert found["credits"] == sum(e["credits"] for e in calls)
    assert found["query_credits"] + found["metadata_credits"] == found["credits"]
    assert found["query_credits"] == sum(e["credits"] for e in calls if e["path"] == "/crm/v8/coql")
    assert found["maybe_charged_credits"] == found["lost_answers"] == found["throttled"] == 0
    assert found["seconds"] > 0


def test_a_run_that_fails_writes_its_figures_too(
    cli: Callable[..., Ran], org: Sandbox, zoho: None, tmp_path: Path
) -> None:
    stats = tmp_path / "stats.json"
    ran = cli(
        "export",
        "select Email from Leads",
        str(tmp_path / "x.parquet"),
        "--max-credits",
        "1",
        "--stats-json",
        str(stats),
    )
    assert ran.status == 5, ran
    found = json.loads(stats.read_text())
    assert found["exit_status"] == 5 and found["rows"] == 0 and found["queries"] == 0
    assert found["credits"] == 1  # the COUNT probe that showed the plan was too dear
    assert "coqlkit: spent 1 credit (1 call) before failing" in ran.err
    # A script whose second query is wrong: the first one's rows and credits, exit 1.
    ran = cli(
        "query",
        "-c",
        "select Last_Name from Leads limit 3; select Emial from Leads",
        "--stats-json",
        str(stats),
    )
    assert ran.status == 1, ran
    found = json.loads(stats.read_text())
    assert (found["command"], found["exit_status"], found["rows"], found["queries"]) == ("query", 1, 3, 1)
    assert found["strategies"] == ["single call"] and found["query_credits"] == 1


def test_a_stats_file_that_cannot_be_written_is_refused_first(
    cli: Callable[..., Ran], org: Sandbox, zoho: None, tmp_path: Path
) -> None:
    assert org.state is not None
    since = len(org.state.requests)
    missing = tmp_path / "nodir" / "stats.json"
    ran = cli("query", "-c", "select Last_Name from Leads limit 3", "--stats-json", str(missing))
    assert ran.status == 2 and ran.out == "", ran
    assert ran.err.startswith(f"coqlkit: error: {missing}: No such file or directory"), ran
    assert _crm_calls(org, since) == []  # nothing was spent
    assert not missing.parent.exists()


def test_the_stats_file_cannot_be_the_rows_file_or_standard_output(
    cli: Callable[..., Ran], org: Sandbox, zoho: None, tmp_path: Path
) -> None:
    """Written last, it replaced the rows paid for (an export said "wrote 5 rows" and left
    the JSON); ``-`` made a file named ``-`` (own-diff review A #2, #8)."""
    assert org.state is not None
    since = len(org.state.requests)
    rows = tmp_path / "rows.csv"
    query = "select Last_Name from Leads limit 3"
    for args in (
        ("export", query, str(rows), "--stats-json", str(rows)),
        ("query", "-c", query, "-o", str(rows), "--stats-json", str(tmp_path / "." / "rows.csv")),
    ):
        ran = cli(*args)
        assert ran.status == 2, ran
        assert ran.err.startswith(
            f"coqlkit: error: {args[-1]}: --stats-json names the file the rows go to"
        ), ran
    ran = cli("query", "-c", query, "--stats-json", "-")
    assert ran.status == 2 and ran.err.startswith("coqlkit: error: -: --stats-json takes a file"), ran
    assert _crm_calls(org, since) == [] and not rows.exists()  # nothing spent, nothing written


def test_coqlkit_log_sends_the_log_to_standard_error(zoho: None, tmp_path: Path) -> None:
    def run(level: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "coqlkit",
                "export",
                "select Last_Name from Leads",
                str(tmp_path / "x.csv"),
            ],
            env={**os.environ, "COQLKIT_LOG": level},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )

    ran = run("info")
    assert ran.returncode == 0, ran.stderr
    plan = [line for line in ran.stderr.splitlines() if "coqlkit.execute.executor: plan for Leads" in line]
    assert len(plan) == 1 and plan[0].startswith("coqlkit: info: "), ran.stderr
    assert "coqlkit: debug: " not in ran.stderr
    ran = run("debug")
    assert ran.returncode == 0 and "coqlkit: debug: " in ran.stderr, ran.stderr
    ran = run("loud")
    assert ran.returncode == 0, ran.stderr
    assert ran.stderr.startswith("coqlkit: warning: COQLKIT_LOG=loud: give info or debug; no log\n")
    assert "coqlkit: info: " not in ran.stderr
