"""Standard output that cannot be written (``coqlkit query ... > out.csv`` on a full disk)
fails the run as a file that cannot be written does: exit 7, not 2 (usage, which a
scheduler would not retry or page about), one ``coqlkit: error:`` line that names standard
output and says that what it holds is incomplete, the rest of the script not run, and what
was spent. /dev/full answers every write with ENOSPC, as a full disk does (review 8, ops 3)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from coqlkit.sandbox.server import Sandbox

pytestmark = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")

FULL = "standard output: No space left on device; stopping (what it holds is incomplete)"


def _run_into_full_disk(*args: str) -> subprocess.CompletedProcess[str]:
    """``coqlkit ARGS > /dev/full``, in a process of its own (its exit, its flush at exit)."""
    with open("/dev/full", "w") as full:
        return subprocess.run(
            [sys.executable, "-m", "coqlkit", *args],
            stdin=subprocess.DEVNULL,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )


def _coql_queries(org: Sandbox, since: int) -> list[Any]:
    assert org.state is not None
    return [e for e in list(org.state.requests)[since:] if e["path"] == "/crm/v8/coql"]


def test_a_script_stops_at_the_write_that_failed(org: Sandbox, zoho: None, tmp_path: Path) -> None:
    script = tmp_path / "s.sql"
    script.write_text("select Last_Name, Email from Leads;\nselect Email from Leads limit 2;\n")
    assert org.state is not None
    since = len(org.state.requests)
    ran = _run_into_full_disk("query", "-f", str(script))
    assert ran.returncode == 7, ran.stderr
    lines = ran.stderr.splitlines()
    assert lines[0] == f"coqlkit: error: {script}:1: {FULL}"
    assert lines[1].startswith("coqlkit: spent ") and lines[1].endswith(" before failing"), lines
    assert len(lines) == 2, lines  # no "Exception ignored" when the process exits
    # The second statement was not run: its rows were meant for standard output too.
    sent = [str(e["coql"]) for e in _coql_queries(org, since)]
    assert sent and not any(coql.startswith("select Email from") for coql in sent), sent


def test_rows_that_fit_the_buffer_fail_at_its_flush(zoho: None) -> None:
    """Three rows stay in the buffer until the statement ends: the failure comes then, and
    is said the same way (not at exit, where Python would say it and exit 120)."""
    ran = _run_into_full_disk("query", "-c", "select Last_Name from Leads limit 3")
    assert ran.returncode == 7, ran.stderr
    assert ran.stderr == f"coqlkit: error: {FULL}\ncoqlkit: spent 1 credit (1 call) before failing\n"


def test_explain_into_a_full_disk(zoho: None) -> None:
    ran = _run_into_full_disk("explain", "select Last_Name from Leads limit 3")
    assert ran.returncode == 7, ran.stderr
    assert ran.stderr.startswith(f"coqlkit: error: {FULL}\n"), ran.stderr
