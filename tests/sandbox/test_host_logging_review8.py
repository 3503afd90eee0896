"""A sandbox started inside someone's service leaves its ``uvicorn.*`` loggers alone (embed
review 8, finding 4).

uvicorn's default ``log_config`` runs ``dictConfig`` over the ``uvicorn*`` loggers: the
host's handlers were replaced, ``uvicorn.access`` silenced (no handlers, no propagation,
WARNING), and a filter of coqlkit's stayed on ``uvicorn.error`` for good. A FastAPI service
whose tests start the sandbox lost its own access and error logs from then on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from coqlkit.sandbox.server import Sandbox

NAMES = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def state_of(name: str) -> dict[str, Any]:
    logger = logging.getLogger(name)
    return {
        "level": logger.level,
        "handlers": list(logger.handlers),
        "filters": list(logger.filters),
        "propagate": logger.propagate,
        "disabled": logger.disabled,
    }


@pytest.fixture
def host_logging() -> Iterator[dict[str, Kept]]:
    """The host application's uvicorn logging: INFO, a handler of its own on each logger."""
    before = {name: state_of(name) for name in NAMES}
    handlers = {}
    for name in ("uvicorn.error", "uvicorn.access"):
        handlers[name] = Kept()
        logging.getLogger(name).addHandler(handlers[name])
        logging.getLogger(name).setLevel(logging.INFO)
    yield handlers
    for name, state in before.items():  # as it was before this test, whatever happened
        logger = logging.getLogger(name)
        logger.handlers[:] = state["handlers"]
        logger.filters[:] = state["filters"]
        logger.setLevel(state["level"])
        logger.propagate = state["propagate"]
        logger.disabled = state["disabled"]


def test_a_sandbox_leaves_the_hosts_uvicorn_loggers_as_they_were(
    host_logging: dict[str, Kept], tmp_path: Path
) -> None:
    before = {name: state_of(name) for name in NAMES}

    with Sandbox(records=50, db=str(tmp_path / "org.sqlite3")) as sandbox:
        during = {name: state_of(name) for name in NAMES}
        assert httpx.get(f"{sandbox.base_url}/crm/v8/org").status_code == 401  # no token: answered

    assert during == before
    assert {name: state_of(name) for name in NAMES} == before
    host_logging["uvicorn.access"].handle(logging.makeLogRecord({"msg": "the host's own request"}))
    assert [r.getMessage() for r in host_logging["uvicorn.access"].records] == ["the host's own request"]


def test_injected_drops_log_no_traceback_anywhere(host_logging: dict[str, Kept], tmp_path: Path) -> None:
    seen = Kept()
    logging.getLogger().addHandler(seen)
    try:
        with Sandbox(records=50, db=str(tmp_path / "org.sqlite3"), fail_rate=1.0) as sandbox:
            dropped = 0
            for _ in range(10):  # half the faults are 500s, half dropped connections
                try:
                    httpx.get(f"{sandbox.base_url}/crm/v8/org")
                except httpx.HTTPError:
                    dropped += 1
    finally:
        logging.getLogger().removeHandler(seen)

    assert dropped > 0
    records = seen.records + host_logging["uvicorn.error"].records
    assert [r for r in records if r.exc_info] == []
