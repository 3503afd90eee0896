"""Shared fixtures: a clean environment for every test, and the demo catalog."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from coqlkit.catalog import Catalog


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test sees the developer's Zoho credentials or writes to their config, data or
    cache directories (a session-wide cache: seeded sandbox databases are reused)."""
    for name in list(os.environ):
        if name.startswith(("ZOHO_", "COQLKIT_")):
            monkeypatch.delenv(name)
    home = tmp_path_factory.getbasetemp() / "home"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))


@pytest.fixture(scope="session")
def demo() -> Catalog:
    """The demo org's catalog (the one the sandbox serves)."""
    return Catalog.demo()


@pytest.fixture
def snapshot_dir(tmp_path: Path) -> Path:
    """The demo org written as a metadata snapshot directory."""
    from coqlkit.catalog import demo, write_snapshot

    write_snapshot(tmp_path, demo.modules_payload(), {m: demo.fields_payload(m) for m in demo.module_names()})
    return tmp_path
