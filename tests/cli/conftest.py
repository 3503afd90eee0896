"""Fixtures for the ``coqlkit`` command's tests: a demo org on disk, sandboxes serving it
(or a copy of it), and ``cli(...)``, which runs ``coqlkit`` in this process with its
streams captured. The client talks HTTP on 127.0.0.1 to a real sandbox."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

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
