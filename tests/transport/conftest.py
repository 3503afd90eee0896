"""Sandboxes to talk to, and clients configured the way a user would configure them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import FileTokenStore, RetryPolicy, Settings, load_settings


@pytest.fixture(scope="session")
def org_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One small org on disk, shared by the transport tests' sandboxes (made once)."""
    return str(tmp_path_factory.getbasetemp() / "transport-org.sqlite3")


@pytest.fixture
def store(tmp_path: Path) -> FileTokenStore:
    return FileTokenStore(tmp_path / "tokens.json")


def settings_for(sandbox: Sandbox, store: FileTokenStore, **overrides: Any) -> Settings:
    """Settings from the environment variables the sandbox prints, as CI would set them."""
    env = dict(sandbox.environment())
    env.update({k: str(v) for k, v in overrides.items()})
    return load_settings(env=env, store=store, path=Path("/nonexistent/config.toml"))


FAST = RetryPolicy(attempts=8, base=0.01, cap=0.2)


@pytest.fixture
def sandbox(org_db: str) -> Iterator[Sandbox]:
    with Sandbox(records=400, db=org_db) as running:
        yield running
