"""``\\export`` of the rows kept from the last query, in a piped shell (``coqlkit`` reading
stdin) on a cold metadata cache: what the query spent on metadata is said once, on the
query's line, not again on every export that spends nothing."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from coqlkit.cli import main
from coqlkit.sandbox.server import Sandbox


def test_an_export_of_kept_rows_says_no_metadata_credits(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in sandbox.environment().items():
        monkeypatch.setenv(name, value)
    for kind in ("CACHE", "CONFIG", "DATA"):
        monkeypatch.setenv(f"XDG_{kind}_HOME", str(tmp_path / kind.lower()))  # a cold cache
    script = (
        "\\timing on\n"
        "select Last_Name, Owner from Leads limit 2;\n"
        f"\\export {tmp_path / 'a.csv'}\n"
        f"\\export {tmp_path / 'b.csv'}\n"
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO(script))
    assert main([]) == 0
    err = capsys.readouterr().err
    query = next(line for line in err.splitlines() if line.startswith("2 rows · "))
    assert "for metadata)" in query  # the cold cache's fetches: said with the query
    wrote = [line for line in err.splitlines() if line.startswith("wrote 2 rows to ")]
    assert len(wrote) == 2
    for line in wrote:
        assert " · the rows of the last query, kept · 0 calls · 0 credits · " in line
        assert "metadata" not in line
