"""Fixtures of the prompt's tests (tests/repl/test_prompt_*.py): a sandbox org of their
module's own, and a connection to it on a cold metadata cache. Other test modules here
define a ``sandbox`` of their own, which takes precedence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import coqlkit
from coqlkit.sandbox.server import Sandbox

PROMPT_RECORDS = 3_000


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    db = tmp_path_factory.getbasetemp() / "repl-org.sqlite3"
    with Sandbox(records=PROMPT_RECORDS, db=str(db), token_limit=0) as running:
        yield running


@pytest.fixture
def conn(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[coqlkit.Connection]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # a cold metadata cache
    with coqlkit.connect(sandbox=sandbox) as connection:
        yield connection
