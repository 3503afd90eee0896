"""Subqueries count per query, nested ones included: COQL allows five (reference §2.11, §4).

The sandbox counted none, so a sixth was run, and from seven levels deep SQLite's parser
overflowed its stack ("parser stack overflow"), which came back as an HTTP 500. They are now
counted over the whole statement before anything is checked or compiled, and refused with
Zoho's LIMIT_EXCEEDED; the count bounds the nesting too.
"""

from __future__ import annotations

import pytest

from tests.sandbox.conftest import Api

REFUSED = {
    "code": "LIMIT_EXCEEDED",
    "details": {"limit": 5},
    "message": "too many sub queries",
    "status": "error",
}
SUBQUERY = "id in (select id from Leads where {inner})"


def nested(depth: int) -> str:
    """A WHERE of ``depth`` subqueries, each inside the one before."""
    where = "id is not null"
    for _ in range(depth):
        where = SUBQUERY.format(inner=where)
    return where


def side_by_side(count: int) -> str:
    """A WHERE of ``count`` subqueries on one level, bracketed in pairs as Zoho wants."""
    one = SUBQUERY.format(inner="id is not null")
    where = one
    for _ in range(count - 1):
        where = f"({where}) or {one}"
    return where


def query(where: str) -> str:
    return f"select Last_Name from Leads where {where} limit 3"


@pytest.mark.parametrize("where", [nested(5), side_by_side(5)], ids=["5 nested", "5 on one level"])
def test_five_subqueries_run(api: Api, where: str) -> None:
    assert len(api.rows(query(where))) == 3


@pytest.mark.parametrize(
    "where",
    [nested(6), nested(7), nested(200), side_by_side(6), SUBQUERY.format(inner=side_by_side(5))],
    ids=["6 nested", "7 nested", "200 nested", "6 on one level", "5 inside a sixth"],
)
def test_a_sixth_subquery_is_refused_as_zoho_refuses_it(api: Api, where: str) -> None:
    reply = api.coql(query(where))
    assert (reply.status_code, reply.json()) == (400, REFUSED)
    assert len(api.rows("select Last_Name from Leads where id is not null limit 1")) == 1  # still serving


def test_a_thousand_bracketed_criteria_are_too_many_not_a_failure(api: Api) -> None:
    where = "Last_Name = 'x0'"
    for i in range(1, 1000):
        where = f"({where}) or Last_Name = 'x{i}'"
    reply = api.coql(f"select Last_Name from Leads where {where}")
    assert (reply.status_code, reply.json()["code"], reply.json()["details"]) == (
        400,
        "LIMIT_EXCEEDED",
        {"limit": 25},
    )
