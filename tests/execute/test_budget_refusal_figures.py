"""A read stopped by the query's budget says what it spent, and what the pages asked for
alongside the refused one held: "has 1 of 20 left" next to "spent 16 credits" (review 7,
export 8) left a reader unable to tell whether the budget was applied too early.

Over real HTTP, against a sandbox: pages of groups (their number unknown, so the budget lets
the read start and then holds it call by call), two calls at once and four pages asked for
ahead, so pages wait for a slot, holding their credits, when one is refused.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from coqlkit.catalog import Catalog
from coqlkit.errors import CreditBudgetExceeded
from coqlkit.execute import RunStats, execute, options_for, prepare
from coqlkit.language import parse
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import AsyncZohoClient, FileTokenStore
from tests.transport.conftest import settings_for

RECORDS = 12_000
QUERY = "select Last_Name, City, Company, COUNT(id) from Leads group by Last_Name, City, Company"
LIMIT = 20


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    db = tmp_path_factory.mktemp("budget-figures") / "org.sqlite3"
    with Sandbox(records=RECORDS, db=str(db), token_limit=0) as running:
        yield running


async def _read(sandbox: Sandbox, tokens: Path) -> tuple[int, RunStats, CreditBudgetExceeded | None]:
    settings = settings_for(sandbox, FileTokenStore(tokens), COQLKIT_CONCURRENCY=2)
    stats = RunStats()
    rows = 0
    async with AsyncZohoClient(settings) as client:
        options = options_for(client, latency_ms=0, max_credits=LIMIT)
        plan = await prepare(parse(QUERY), Catalog.demo(), client, options)
        try:
            async for batch in execute(plan, client, stats=stats, ahead=4):
                rows += batch.num_rows
        except CreditBudgetExceeded as exc:
            return rows, stats, exc
    return rows, stats, None


def test_the_refusal_says_what_was_spent_and_what_was_held_unsent(sandbox: Sandbox, tmp_path: Path) -> None:
    rows, stats, error = asyncio.run(_read(sandbox, tmp_path / "tokens.json"))
    assert error is not None, "the read fitted the budget: nothing to check"
    text = str(error)
    found = re.search(
        r"the query's budget \(max_credits\) has (\d+) of 20 left: stopped after ([\d,]+) rows", text
    )
    assert found, text
    left, read = int(found[1]), int(found[2].replace(",", ""))
    assert read == rows
    spent = re.search(
        r"; the query spent (\d+) credits(?:, and (\d+) more (?:was|were) held by pages asked for)?", text
    )
    assert spent, text
    # The figures add up to the budget, and what was spent is what the read's stats say.
    held = int(spent[2] or 0)
    assert left + int(spent[1]) + held == LIMIT, text
    assert int(spent[1]) == stats.credits
