"""The interactive shell says the note of a one-job bulk read whose rows are not the COUNT
probe's figure (records changed between the count and the job's snapshot: none missing),
with or without ``\\timing``, once; the command line says it once too (review N, #2: the
shell said nothing unless ``\\timing`` was on, and then its notes' filter hid it)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

import coqlkit
from coqlkit.repl.config import ReplConfig
from coqlkit.repl.shell import Shell
from tests.cli.conftest import RECORDS, short_read_org


@pytest.fixture
def changing(seeded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[coqlkit.Connection]:
    with short_read_org(seeded, tmp_path, monkeypatch) as running, coqlkit.connect(sandbox=running) as conn:
        yield conn


@pytest.mark.parametrize("timing", [False, True])
def test_the_shell_says_the_snapshot_note_once(changing: coqlkit.Connection, timing: bool) -> None:
    out, err = io.StringIO(), io.StringIO()
    shell = Shell(
        changing,
        config=ReplConfig(pager=False),
        out=out,
        err=err,
        label="sandbox",
        options={"strategy": "bulk"},
    )
    try:
        shell.timing = timing
        status = shell.execute("select Last_Name from Leads where id is not null;")
    finally:
        shell.close()
    said = err.getvalue()
    notes = [line for line in said.splitlines() if "snapshot Zoho took when it ran the bulk-read job" in line]
    assert status == 0, said
    assert len(notes) == 1, said
    assert notes[0].startswith(
        f"note: 100 fewer rows than the COUNT probe found ({RECORDS - 100:,}, not {RECORDS:,})"
    )
    assert "may be missing" not in said
