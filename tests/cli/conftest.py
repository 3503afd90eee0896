"""Fixtures for the ``coqlkit`` command's tests: a demo org on disk, sandboxes serving it
(or a copy of it), and ``cli(...)``, which runs ``coqlkit`` in this process with its
streams captured. The client talks HTTP on 127.0.0.1 to a real sandbox."""

from __future__ import annotations

import contextlib
import io
import shutil
import sqlite3
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from coqlkit.cli import main
from coqlkit.sandbox.server import Sandbox

RECORDS = 3_000


@pytest.fixture(scope="session")
def org_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli-org") / "org.sqlite3"


@pytest.fixture(scope="session")
def seeded(org_db: Path) -> Path:
    """The org's database, seeded (by a sandbox started once, then stopped)."""
    with Sandbox(records=RECORDS, db=str(org_db), token_limit=0):
        pass
    return org_db


@pytest.fixture(scope="module")
def org(seeded: Path) -> Iterator[Sandbox]:
    """A sandbox of the seeded org for a test module (one that changes records makes its own)."""
    with Sandbox(records=RECORDS, db=str(seeded), token_limit=0) as running:
        yield running


@pytest.fixture
def zoho(org: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """``coqlkit`` run by the test talks to the module's ``org``."""
    point_at(org, monkeypatch)


@contextlib.contextmanager
def short_read_org(seeded: Path, directory: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A sandbox of an org of its own (a copy of ``seeded`` in ``directory/org``), whose oldest
    100 Leads are deleted between a query's COUNT probe and its pages (when the shell goes
    on with the plan): the read comes back 100 rows short, as records deleted during a
    read make it."""
    from coqlkit.repl.shell import Shell

    db = directory / "org" / "changing.sqlite3"
    db.parent.mkdir()
    shutil.copy(seeded, db)
    confirmed = Shell._confirmed

    def delete_then_confirm(self: Shell, result: Any) -> bool:
        with sqlite3.connect(db) as con:
            con.execute('delete from "Leads" where id in (select id from "Leads" order by id limit 100)')
        return confirmed(self, result)

    monkeypatch.setattr(Shell, "_confirmed", delete_then_confirm)
    with Sandbox(records=RECORDS, db=str(db), token_limit=0) as running:
        yield running


def point_at(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """``coqlkit`` (in this process, and its children) talks to ``sandbox`` (ZOHO_*)."""
    for name, value in sandbox.environment().items():
        monkeypatch.setenv(name, value)


class Ran:
    def __init__(self, status: int, out: str, err: str) -> None:
        self.status, self.out, self.err = status, out, err

    def __repr__(self) -> str:
        return f"<exit {self.status}\nstdout: {self.out[-500:]!r}\nstderr: {self.err[-1500:]!r}>"


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Ran]:
    """``cli(*args, stdin=...)``: ``coqlkit ARGS`` in this process; its exit status and output."""

    def run(*args: str, stdin: str = "") -> Ran:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        try:
            status = main(list(args))
        except SystemExit as exc:  # argparse's usage errors
            status = int(exc.code or 0)
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return Ran(status, out, err)

    return run
