"""The shell on a count remembered from the line run before: records deleted or created
between two runs are not a read that went wrong (no warning, the rows kept, \\export writes
them); ``\\refresh`` forgets the counts. A sandbox of its own: the tests change its records."""

from __future__ import annotations

import argparse
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import coqlkit
from coqlkit.cli._query import _plan_options
from coqlkit.errors import ConfigError
from coqlkit.repl.config import ReplConfig
from coqlkit.repl.shell import Shell
from coqlkit.sandbox.server import Sandbox

RECORDS = 1_500
QUERY = "select Last_Name from Leads where Lead_Status = 'Contacted';"


@pytest.fixture
def sandbox(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Iterator[Sandbox]:
    seeded = tmp_path_factory.getbasetemp() / "repl-counts-org.sqlite3"
    if not seeded.exists():
        with Sandbox(records=RECORDS, db=str(seeded)):
            pass
    db = tmp_path / "org.sqlite3"
    shutil.copy(seeded, db)
    with Sandbox(records=RECORDS, db=str(db), token_limit=0) as running:
        yield running


def contacted(sandbox: Sandbox) -> list[int]:
    store = sandbox.state.store  # type: ignore[union-attr]
    with store.conn as conn:
        return [
            r[0]
            for r in conn.execute('SELECT id FROM "Leads" WHERE Lead_Status = ? ORDER BY id', ("Contacted",))
        ]


def run(shell: Shell, out: io.StringIO, err: io.StringIO, text: str) -> tuple[int, str, str]:
    for stream in (out, err):
        stream.seek(0)
        stream.truncate()
    status = shell.execute(text)
    return status, out.getvalue(), err.getvalue()


def test_records_deleted_between_two_runs_are_no_short_read(sandbox: Sandbox, tmp_path: Path) -> None:
    ids = contacted(sandbox)
    assert len(ids) > 200  # more than a page of 100: the plan pages, and remembers
    out, err = io.StringIO(), io.StringIO()
    with coqlkit.connect(sandbox=sandbox, page_size=100) as conn:
        shell = Shell(conn, config=ReplConfig(pager=False), out=out, err=err)
        assert run(shell, out, err, QUERY)[0] == 0
        gone = ids[::7]
        with sandbox.state.store.conn as db:  # type: ignore[union-attr]
            db.executemany('DELETE FROM "Leads" WHERE id = ?', [(i,) for i in gone])
        status, _, said = run(shell, out, err, QUERY)
        assert status == 0
        assert "warning" not in said and "run it again" not in said, said
        assert f"{len(ids) - len(gone):,} rows" in said
        target = tmp_path / "contacted.csv"
        status, _, said = run(shell, out, err, f"\\export {target}")
        assert status == 0, said
        assert "runs the last query again" not in said  # the rows were kept
        assert len(target.read_text().splitlines()) == 1 + len(ids) - len(gone)
        # \refresh forgets the counts: the next run probes again.
        assert run(shell, out, err, "\\refresh")[0] == 0
        assert len(conn.aio.counts) == 0
        result = conn.query(QUERY.rstrip(";"))
        assert result.plan.probe is not None and result.plan.probe.age is None


def test_count_ttl_zero_counts_each_run_of_the_shell(sandbox: Sandbox) -> None:
    """`coqlkit --count-ttl 0`: the shell's queries each count afresh."""
    args = argparse.Namespace(count_ttl=0.0, max_credits=None, strategy=None, prefer=None, tz=None)
    options = _plan_options(args)
    assert options == {"count_ttl": 0.0}
    out, err = io.StringIO(), io.StringIO()
    with coqlkit.connect(sandbox=sandbox, page_size=100) as conn:
        shell = Shell(conn, config=ReplConfig(pager=False), out=out, err=err, options=options)
        calls = []
        for _ in range(2):
            status, _, said = run(shell, out, err, QUERY)
            assert status == 0
            calls.append(int(re.search(r"rows · (\d+) calls", said)[1]))  # type: ignore[index]
        assert calls[0] == calls[1] > 2  # the probe, each time
        default = Shell(conn, config=ReplConfig(pager=False), out=out, err=err)
        status, _, said = run(default, out, err, QUERY)
        assert int(re.search(r"rows · (\d+) calls", said)[1]) == calls[0] - 1  # type: ignore[index]


def test_a_negative_count_ttl_is_refused() -> None:
    with pytest.raises(ConfigError, match="--count-ttl takes a number of seconds, 0 or more"):
        _plan_options(argparse.Namespace(count_ttl=-1.0))
