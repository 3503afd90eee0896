"""The metadata cache's tests share a fake clock, fake fetchers and a cache in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from coqlkit.catalog.cache import MetadataCache
from tests.catalog.test_cache import TTL, Clock, Fetchers


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fetch() -> Fetchers:
    return Fetchers()


@pytest.fixture
def cache(tmp_path: Path, clock: Clock) -> MetadataCache:
    return MetadataCache(tmp_path / "metadata", "eu-20001234", ttl=TTL, clock=clock)
