"""The mid-read day stop (review 7, diff3 1-6): it stops a read before it sends calls the org
cannot pay for, never withholds rows already answered, weighs a lazy read by the pages it
asks for, takes the calls out off Zoho's figure, does not stop on a remembered count, and
says a budget's stop in one wording.

Over real HTTP against sandboxes with a daily budget of 100 credits: the sandbox sends
``X-API-CREDITS-REMAINING`` once half of them are used, so each read below is planned
without the figure and learns it mid-read. The org's other integrations' spending is the
sandbox's day count, set before the read. 40,000 Leads: 20 pages of 2,000 rows, 3 credits
each, 60 credits and the COUNT probe.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

import coqlkit
import coqlkit.dbapi
from coqlkit.catalog import Catalog
from coqlkit.errors import CreditBudgetExceeded, DailyLimitReached
from coqlkit.execute import CountMemory, execute, options_for, prepare
from coqlkit.execute.scan import Lazy
from coqlkit.language import parse
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import AsyncZohoClient, FileTokenStore
from tests.execute._support import org_db as seeded_org
from tests.transport.conftest import settings_for

RECORDS = 40_000
DAILY = 100
QUERY = "select Last_Name, Email from Leads"
PAGE = 2_000


@pytest.fixture(autouse=True)
def _private_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def org_db() -> str:
    return seeded_org(RECORDS)  # seeded once per process, shared read-only


def _org(org_db: str, **config: object) -> Sandbox:
    return Sandbox(records=RECORDS, db=org_db, daily_credits=DAILY, token_limit=0, **config)  # type: ignore[arg-type]


def _spent_elsewhere(sandbox: Sandbox, credits: int) -> None:
    """The org's other integrations have spent ``credits`` of the day (nothing said yet)."""
    assert sandbox.state is not None
    with sandbox.state.lock:
        sandbox.state.credits_used = credits


def _charged(sandbox: Sandbox) -> int:
    assert sandbox.state is not None
    return sandbox.state.credits_used


@pytest.fixture
def poor(org_db: str) -> Iterator[Sandbox]:
    """47 of 100 spent: the probe (48) says nothing, the first page's answer (51) says 49
    left, and the read's rest needs 57 more."""
    with _org(org_db) as running:
        yield running


# ---- 1. a lazy read is weighed by what it asks for ------------------------------------------


def test_next_of_iter_gets_its_row_when_the_figure_comes(poor: Sandbox) -> None:
    with coqlkit.connect(sandbox=poor) as conn:
        conn.fields("Leads")  # the metadata, before the day's count is set
        _spent_elsewhere(poor, 47)
        result = conn.query(QUERY)
        row = next(iter(result))  # was: DailyLimitReached, no row, the page paid for
    assert set(row) >= {"Last_Name", "Email"}
    assert _charged(poor) == 47 + 1 + 3  # the probe and one page


def test_dbapi_fetchone_gets_its_row_when_the_figure_comes(poor: Sandbox) -> None:
    with coqlkit.dbapi.connect(sandbox=poor) as conn:
        cursor = conn.cursor()
        cursor.execute("select Last_Name from Leads limit 1")  # the metadata
        _spent_elsewhere(poor, 47)
        cursor.execute(QUERY)
        assert cursor.fetchone() is not None  # was: OperationalError, the page paid for
        # The pages it needs, and the window opened behind them: as many as the org can pay.
        assert len(cursor.fetchmany(3_000)) == 3_000
    assert _charged(poor) <= DAILY


async def _read(
    sandbox: Sandbox,
    tokens: Path,
    *,
    spent: int,
    lazy: Lazy = False,
    batches: int | None = None,
    concurrency: int = 2,
    counts: CountMemory | None = None,
) -> tuple[int, BaseException | None]:
    """Read QUERY, the day's count set to ``spent`` once the metadata is in: the rows the
    consumer got (``batches`` of them at most), and the error that ended the read."""
    settings = settings_for(sandbox, FileTokenStore(tokens), COQLKIT_CONCURRENCY=concurrency)
    rows = 0
    async with AsyncZohoClient(settings) as client:
        await client.tokens.token()
        _spent_elsewhere(sandbox, spent)
        plan = await prepare(
            parse(QUERY), Catalog.demo(), client, options_for(client, latency_ms=0), counts=counts
        )
        source = execute(plan, client, lazy=lazy, counts=counts)
        try:
            async for batch in source:
                rows += batch.num_rows
                if batches is not None:
                    batches -= 1
                    if not batches:
                        break
        except (DailyLimitReached, CreditBudgetExceeded) as exc:
            return rows, exc
        finally:
            await source.aclose()
    return rows, None


def test_a_ramp_read_that_stops_after_a_few_batches_gets_them(poor: Sandbox, tmp_path: Path) -> None:
    """``coqlkit query | head``: the pages it asks for, one, then two..., the org can pay."""
    rows, error = asyncio.run(_read(poor, tmp_path / "t.json", spent=48, lazy="ramp", batches=3))
    assert error is None
    assert rows == 3 * PAGE
    assert _charged(poor) <= 48 + 1 + 3 * 4  # the probe, three pages, and one asked for alongside


def test_a_lazy_read_read_on_stops_before_a_page_the_org_cannot_pay(poor: Sandbox, tmp_path: Path) -> None:
    rows, error = asyncio.run(_read(poor, tmp_path / "t.json", spent=48, lazy=True))
    assert isinstance(error, DailyLimitReached)
    text = str(error)
    assert text.startswith("the read cannot finish today: the next page it asks for needs 3 credits")
    assert f"stopped after {rows:,} rows and " in text
    assert rows % PAGE == 0 and rows >= 10 * PAGE  # every page sent was delivered
    assert _charged(poor) <= DAILY  # never refused by Zoho


# ---- 1, 3. pages already answered are delivered; the message counts them -----------------


def test_answered_pages_are_delivered_before_the_stop(org_db: str, tmp_path: Path) -> None:
    """One call at a time: the second page's answer brings the figure (49 of 100 used
    before it, 52 with it), and the read stops there; the page is delivered (was: dropped,
    'stopped after 2,000 rows' with 4,000 answered; with pages answered together, 0)."""
    with _org(org_db, latency_ms=50) as org:
        rows, error = asyncio.run(_read(org, tmp_path / "t.json", spent=45, concurrency=1))
    assert isinstance(error, DailyLimitReached)
    text = str(error)
    assert text.startswith("the read cannot finish today: the rest of it needs ")
    assert rows == 2 * PAGE
    assert "stopped after 4,000 rows and " in text


# ---- 2. the calls out are taken off the figure ------------------------------------------


def test_calls_out_when_the_figure_comes_are_taken_off_it(org_db: str, tmp_path: Path) -> None:
    """Ten calls at once: the figure comes while the calls sent after the one it answers are
    out, and does not count them (was: the read went on to the org's last credit and ended
    at Zoho's refusal for the day)."""
    with _org(org_db, latency_ms=100) as org:
        rows, error = asyncio.run(_read(org, tmp_path / "t.json", spent=45, concurrency=10))
        charged = _charged(org)
    assert isinstance(error, DailyLimitReached)
    assert str(error).startswith("the read cannot finish today: the rest of it needs "), error
    assert charged < DAILY  # the org keeps credits for its other integrations
    assert rows > 0


# ---- 4. a remembered count is a guess ------------------------------------------------------


def test_a_plan_from_a_remembered_count_is_not_stopped_on_it(org_db: str, tmp_path: Path) -> None:
    counts = CountMemory()
    with _org(org_db) as org:
        rows, error = asyncio.run(_read(org, tmp_path / "t.json", spent=0, counts=counts))
        assert error is None and rows == RECORDS  # the count remembered
        rows, error = asyncio.run(_read(org, tmp_path / "t.json", spent=47, counts=counts))
    # No probe: the figure comes with the first page, the remembered plan's rest (57) more
    # than the org's 50; not stopped on it, the read goes on until the org's credits stop it.
    assert isinstance(error, DailyLimitReached)
    assert "cannot finish today" not in str(error)
    assert rows > 10 * PAGE


# ---- 6. the connection's budget says its stop as the query's does -------------------------


def test_the_connection_budget_says_what_the_query_spent(org_db: str) -> None:
    with (
        Sandbox(records=RECORDS, db=org_db, token_limit=0) as org,
        coqlkit.connect(sandbox=org, credit_budget=40) as conn,
    ):
        conn.fields("Leads")
        before = conn.credits_used
        with pytest.raises(CreditBudgetExceeded) as refused:
            conn.query(QUERY, probe=False).to_arrow()
        spent = conn.credits_used - before
    text = str(refused.value)
    assert ": stopped after " in text and "so the result is incomplete (raise the budget" in text
    assert f"; the query spent {spent:,} credits" in text
