"""``iter(result)`` reads as the rows are wanted (``lazy=True``): ``next(iter(result))``
or a loop broken after a few rows spends the COUNT probe and one page, not a window of
pages; a loop that reads on gets every row (lib review 6, finding 5)."""

from __future__ import annotations

import sqlite3
import time

import coqlkit
from coqlkit.sandbox.server import Sandbox
from tests.api._support import RECORDS, RequestLog

READ = "select Last_Name from Leads"
PAGE = 300
PAGES = RECORDS // PAGE  # 10


def settle() -> None:
    """Room for the pages a window would have sent meanwhile."""
    time.sleep(0.3)


def test_the_first_row_costs_the_probe_and_one_page(sandbox: Sandbox) -> None:
    log = RequestLog(sandbox)
    with coqlkit.connect(sandbox=sandbox) as conn:
        log.mark()
        spent = conn.credits_used
        result = conn.query(READ, page_size=PAGE)
        assert result.plan.estimate.calls == PAGES + 1
        rows = iter(result)
        first = next(rows)
        settle()
        assert first["Last_Name"]
        assert len(log.coql()) == 2  # the probe and the first page
        assert sum(e["credits"] for e in log.coql()) == 1 + 2  # a page of 300 rows: 2 credits
        assert conn.credits_used - spent == log.credits()  # (the metadata fetched, too)
        rest = list(rows)  # reading on: every row, each once
    assert 1 + len(rest) == RECORDS
    assert len({first["id"], *(r["id"] for r in rest)}) == RECORDS
    assert len(log.coql()) == PAGES + 1


def test_a_loop_broken_early_costs_the_probe_and_one_page(sandbox: Sandbox) -> None:
    log = RequestLog(sandbox)
    with coqlkit.connect(sandbox=sandbox) as conn:
        log.mark()
        result = conn.query(READ, page_size=PAGE)
        taken = []
        for row in result:
            taken.append(row)
            if len(taken) == 5:
                break
        settle()
        assert len(log.coql()) == 2 == result.stats.calls
        assert conn.query(READ + " limit 3").to_arrow().num_rows == 3  # still usable


def test_a_full_iteration_gets_every_row(conn: coqlkit.Connection, oracle: sqlite3.Connection) -> None:
    rows = list(conn.query("select Last_Name, Lead_Source from Leads", page_size=PAGE))
    expected = oracle.execute("select id, Last_Name, Lead_Source from Leads order by id").fetchall()
    assert [(int(r["id"]), r["Last_Name"], r["Lead_Source"]) for r in rows] == [
        (int(i), name, source) for i, name, source in expected
    ]
