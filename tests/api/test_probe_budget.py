"""A budget smaller than the COUNT probe's credit refuses before the probe is sent, and
spends nothing (review planner 8); a subquery's COUNT is held to the budget the same way.
The sandbox's request log is the ground truth of what was sent."""

from __future__ import annotations

import pytest

import coqlkit
from tests.api._support import RequestLog

TEXT = "select Last_Name, Email from Leads"


def test_a_budget_of_nothing_refuses_before_the_probe(conn: coqlkit.Connection, log: RequestLog) -> None:
    conn.check(TEXT)
    log.mark()
    before = conn.credits_used
    with pytest.raises(
        coqlkit.CreditBudgetExceeded, match=r"COUNT probe.*1 credit.*budget is 0.*nothing"
    ) as caught:
        conn.query(TEXT, max_credits=0)
    assert (caught.value.needed, caught.value.left) == (1, 0)
    assert conn.credits_used == before
    assert log.calls() == []
    with pytest.raises(coqlkit.CreditBudgetExceeded, match="COUNT probe"):
        conn.explain(TEXT, max_credits=0)
    assert log.calls() == []


def test_a_budget_of_the_probe_alone_spends_the_probe_and_refuses_the_read(
    conn: coqlkit.Connection, log: RequestLog
) -> None:
    conn.check(TEXT)
    log.mark()
    with pytest.raises(coqlkit.CreditBudgetExceeded, match="COUNT probe included"):
        conn.query(TEXT, max_credits=1)
    assert [e["credits"] for e in log.calls()] == [1]


def test_the_probe_of_a_subquery_is_within_the_budget_too(conn: coqlkit.Connection, log: RequestLog) -> None:
    text = (
        "select Deal_Name from Deals where Account_Name in (select id from Accounts where Rating is not null)"
    )
    conn.check(text)
    log.mark()
    with pytest.raises(coqlkit.CreditBudgetExceeded, match=r"COUNT.*subquery.*budget is 0"):
        conn.query(text, max_credits=0)
    assert log.calls() == []
