"""The query's budget held call by call, where a call's cost is not known in advance: a
bulk read's status polls (the download's credit is kept for it), and an answer lost on the
way back (its retry is not refused for the lost attempt's credits: those are "maybe
charged", counted apart)."""

from __future__ import annotations

from pathlib import Path

import pytest

import coqlkit
from coqlkit.sandbox.server import Sandbox
from tests.api._support import RECORDS, RequestLog

TEXT = "select Last_Name, Email from Leads"


def test_a_bulk_job_slower_than_the_budget_allows_stops_before_spending_the_download(org_db: Path) -> None:
    """Budget = the bulk read's certain cost (probe, job, one poll, download): a job that
    needs a second poll is stopped before it, with the download's credit still there, and
    says why; it spent the whole budget on polls and was refused at the download."""
    with (
        Sandbox(records=RECORDS, db=str(org_db), bulk_seconds=1.5, token_limit=0) as slow_jobs,
        coqlkit.connect(sandbox=slow_jobs) as conn,
    ):
        conn.check(TEXT)
        # The job takes 1.5 s where the plan expects 0.3 s: the one poll the budget allows,
        # spaced to the expected end, finds it still running.
        options = {"strategy": "bulk", "bulk_poll_seconds": 0.2, "bulk_job_seconds": 0.3}
        certain = conn.query(TEXT, **options).plan.estimate.credits  # the probe's included: 53
        log = RequestLog(slow_jobs)
        with pytest.raises(coqlkit.CreditBudgetExceeded) as refused:
            conn.query(TEXT, max_credits=certain, **options).to_arrow()
        message = str(refused.value)
        assert "still running after 1 status poll" in message and "too little" in message, message
        assert "50 credits spent" in message and "--max-credits" in message
        paths = [e["path"] for e in log.calls()]
        assert not any(p.endswith("/result") for p in paths)  # no download tried
        assert sum(1 for p in paths if "/bulk/" in p and not p.endswith("/read")) == 1  # one poll
        assert log.credits() <= certain - 1  # the download's credit never spent
        # With room for more polls, the same read runs to the end.
        log.mark()
        table = conn.query(TEXT, max_credits=certain + 20, **options).to_arrow()
        assert table.num_rows == RECORDS and log.credits() <= certain + 20


def test_a_lost_answer_does_not_make_a_plan_that_fits_its_budget_fail(org_db: Path) -> None:
    """A page whose answer was lost is sent again: the lost attempt is maybe charged,
    counted apart (unanswered credits), not on the query's budget. At a budget equal to the
    plan's cost, reads failed at the retry (exit 5, a budget error for a network fault)."""
    with (
        Sandbox(records=RECORDS, db=str(org_db), fail_rate=0.3, token_limit=0) as flaky,
        coqlkit.connect(sandbox=flaky) as conn,
    ):
        conn.check(TEXT)
        client = conn.aio.client
        for _ in range(12):
            lost_before = client.unanswered_calls
            cost = 6  # the probe, a page of 2,000 (3 credits) and one of 1,000 (2)
            result = conn.query(TEXT, max_credits=cost)
            assert result.to_arrow().num_rows == RECORDS
            assert result.stats.credits <= cost
            if client.unanswered_calls > lost_before:
                break  # a read that lost an answer and still fitted its budget
        else:
            pytest.fail("no answer was lost in 12 reads: the sandbox's faults did not happen")
