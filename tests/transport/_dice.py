"""The sandbox's fault dice, read ahead, so that a test can have its ``fail_rate`` fail the
very call it is about (a bulk-read job's creation, the last attempt at a page) and spare the
others.

The sandbox's gate (``coqlkit/sandbox/gate.py``) draws, for each CRM call it lets in, a
jitter and then a roll from ``random.Random(seed)``: a roll below half the fail rate answers
a 500 ``INTERNAL_ERROR``, one below the fail rate drops the connection after the answer's
first bytes. A test makes harmless CRM calls, with no fail rate, until the next rolls give
the pattern it needs, then sets the fail rate. Each test also checks the sandbox's log for
that pattern, so a gate that draws otherwise fails the test rather than passing it unfaulted.
"""

from __future__ import annotations

import dataclasses
import random

import httpx

from coqlkit.sandbox.server import Sandbox

#: One letter a CRM call: answered, a 500 INTERNAL_ERROR, a dropped connection.
OK, ERROR, DROP = "o", "e", "d"


def _face(roll: float, fail_rate: float) -> str:
    return ERROR if roll < fail_rate / 2 else DROP if roll < fail_rate else OK


def calls_before(pattern: str, fail_rate: float, *, seed: int = 42, made: int = 0) -> int:
    """How many more CRM calls to let through (after ``made``) before the next ones come out
    as ``pattern`` under ``fail_rate``."""
    rng = random.Random(seed)
    faces: list[str] = []
    while True:
        rng.uniform(0.0, 0.0)  # the gate's jitter (none here; drawn all the same)
        faces.append(_face(rng.random(), fail_rate))
        start = len(faces) - len(pattern)
        if start >= made and "".join(faces[start:]) == pattern:
            return start - made


def set_up(sandbox: Sandbox, pattern: str, fail_rate: float) -> None:
    """Roll the dice of a new ``sandbox`` (no CRM call made yet, no fail rate) on to
    ``pattern``, then set ``fail_rate``. The rolled-on calls carry no token: answered 401,
    charged nothing."""
    state = sandbox.state
    assert state is not None and state.config.fail_rate == 0 and state.config.jitter_ms == 0
    made = sum(1 for e in state.requests if e["path"].startswith("/crm/"))
    with httpx.Client(base_url=sandbox.base_url) as http:
        for _ in range(calls_before(pattern, fail_rate, seed=state.config.seed, made=made)):
            assert http.get("/crm/v8/org").status_code == 401
    state.config = dataclasses.replace(state.config, fail_rate=fail_rate)
