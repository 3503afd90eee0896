"""A lazy reader of a bulk read through the executor (``query().record_batches(lazy=True)``,
``fetchmany``, a pipe's ``| head``) creates the next page's job (50 credits on Zoho) only
when it comes back for more: the executor passes its laziness to the bulk read (review 8,
big #3), which made the second job as soon as the first completed."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from typing import Any

import pytest

from coqlkit.execute import execute
from coqlkit.plan.steps import BulkRead
from tests.execute._support import CRITERIA, Recorder, client_for, plan_of, running

QUERY = f"select Last_Name from Leads where {CRITERIA}"  # 340 records
PAGE_ROWS = 150  # three pages, so three jobs for a whole read


def jobs_made(lazy: Any, batches: int | None) -> int:
    """The bulk-read jobs created when ``batches`` batches of the executor's stream are taken."""
    plan = plan_of(
        QUERY,
        rows=340,
        strategy="bulk",
        bulk_page_rows=PAGE_ROWS,
        bulk_job_seconds=0.1,
        bulk_poll_seconds=0.05,
    )
    assert isinstance(plan.root, BulkRead)
    recorder = Recorder()
    with running(bulk_seconds=0.1, bulk_page_rows=PAGE_ROWS) as sandbox:

        async def main() -> None:
            async with client_for(sandbox, transport=recorder) as client:
                stream = execute(plan, client, lazy=lazy)
                async with contextlib.aclosing(stream) as reading:
                    taken = 0
                    async for _ in reading:
                        taken += 1
                        if taken == batches:
                            break

        asyncio.run(main())
    return len([c for c in recorder.crm() if c.method == "POST" and c.path == "/crm/bulk/v8/read"])


@pytest.mark.parametrize("lazy", [True, "ramp"])
def test_a_lazy_reader_of_one_batch_buys_one_job(lazy: Any) -> None:
    assert jobs_made(lazy, 1) == 1


def test_a_full_reader_still_makes_the_next_job_at_once() -> None:
    assert jobs_made(False, 1) == 2


def test_a_lazy_reader_of_a_few_batches_of_a_page_buys_one_job(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page is many batches (about 40 of Zoho's 200,000 records): a reader that takes a
    second batch of the first page (a pipe's buffer, ``| head -n 6000``) is no reason for
    the next job; it is made once the page's rows are all taken (own-diff review B #3)."""
    from coqlkit.execute import bulk

    small = functools.partial(bulk.csv_to_batches, block_size=256)  # several batches a page
    monkeypatch.setattr(bulk, "csv_to_batches", small)
    assert jobs_made(True, 3) == 1
    assert jobs_made(True, None) == 3  # reading on gets every page
