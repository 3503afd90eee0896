"""A read that Zoho's first figure of the org's credits left today shows cannot finish is
stopped at once, not when Zoho refuses a page with the org's last credits spent (review 7,
export 1).

Over real HTTP, against sandboxes with a daily budget: Zoho (the sandbox) sends
``X-API-CREDITS-REMAINING`` only once half the day's credits are used, so each read here is
planned without it, learns it mid-read, and must stop there. The read's pages cost 3 credits
each (2,000 rows); two calls at once, so at most a few are out when the figure comes.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from coqlkit.catalog import Catalog
from coqlkit.cli import main
from coqlkit.errors import DailyLimitReached
from coqlkit.execute import execute, options_for, prepare
from coqlkit.language import parse
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import AsyncZohoClient, FileTokenStore
from tests.execute._support import org_db as seeded_org
from tests.transport.conftest import settings_for

RECORDS = 40_000  # 20 pages of 2,000: 60 credits, and the COUNT probe
DAILY = 50  # the figure comes at 25 used: about 25 left, the read needing about 38 more
QUERY = "select Last_Name, Email from Leads"
CONCURRENCY = 2
# After the figure: the calls out when it came, those handed the freed slots, a metadata call.
SLACK = (CONCURRENCY + 2) * 3


@pytest.fixture(scope="module")
def org_db() -> str:
    return seeded_org(RECORDS)  # seeded once per process, shared read-only


@pytest.fixture
def org(org_db: str) -> Iterator[Sandbox]:
    """A fresh day: nothing of the daily budget spent yet."""
    with Sandbox(records=RECORDS, db=org_db, daily_credits=DAILY, token_limit=0) as running:
        yield running


def _charged(sandbox: Sandbox) -> int:
    assert sandbox.state is not None
    return sandbox.state.credits_used


def test_an_export_that_cannot_finish_today_stops_when_the_figure_comes(
    org: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in org.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COQLKIT_CONCURRENCY", str(CONCURRENCY))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    target = tmp_path / "daily.csv"
    target.write_text("yesterday's good file\n")
    before = hashlib.md5(target.read_bytes()).hexdigest()

    status = main(["export", QUERY, str(target)])

    err = capsys.readouterr().err
    assert status == 5, err
    assert "the read cannot finish today" in err
    assert (
        "left by what Zoho last said (X-API-CREDITS-REMAINING), the calls already out taken off; stopped after"
        in err
    )
    assert "coqlkit: spent" in err and "before failing" in err
    # Stopped when the figure came (at half the day's credits), not at the org's last ones
    # (without the check the read spent up to the day's 50 and Zoho refused the next page).
    assert DAILY // 2 <= _charged(org) <= DAILY // 2 + SLACK, err
    assert DAILY - _charged(org) >= DAILY // 2 - SLACK
    # Nothing written: yesterday's file is as it was, and nothing half-written beside it.
    assert hashlib.md5(target.read_bytes()).hexdigest() == before
    assert [p.name for p in tmp_path.iterdir()] == ["daily.csv"]


async def _read(sandbox: Sandbox, tokens: Path, *, probe: bool) -> tuple[int, BaseException | None]:
    """Read QUERY (with or without the COUNT probe) to its end or its error: the rows read."""
    settings = settings_for(sandbox, FileTokenStore(tokens), COQLKIT_CONCURRENCY=CONCURRENCY)
    rows = 0
    async with AsyncZohoClient(settings) as client:
        plan = await prepare(
            parse(QUERY), Catalog.demo(), client, options_for(client, latency_ms=0), probe=probe
        )
        try:
            async for batch in execute(plan, client):
                rows += batch.num_rows
        except DailyLimitReached as exc:
            return rows, exc
    return rows, None


def test_the_error_says_what_was_needed_left_read_and_spent(org: Sandbox, tmp_path: Path) -> None:
    rows, error = asyncio.run(_read(org, tmp_path / "tokens.json", probe=True))
    assert isinstance(error, DailyLimitReached)
    text = str(error)
    assert text.startswith("the read cannot finish today: the rest of it needs ")
    assert f"stopped after {rows:,} rows and " in text
    # What the plan still needed is more than what the org had: why it stopped.
    assert error.needed > error.left
    # Zoho's figure less the calls out it may not count: the org still had credits.
    assert error.left > 0
    assert _charged(org) <= DAILY // 2 + SLACK


def test_a_read_of_unknown_cost_is_not_stopped_on_a_guess(org: Sandbox, tmp_path: Path) -> None:
    """Without the COUNT probe the read goes on until a page comes back short: its cost is
    not known, so the figure stops only the one call the org cannot pay for."""
    _, error = asyncio.run(_read(org, tmp_path / "tokens.json", probe=False))
    assert isinstance(error, DailyLimitReached)
    assert "cannot finish today" not in str(error)
    assert _charged(org) > DAILY - 3 - SLACK  # it read on to the org's last credits
