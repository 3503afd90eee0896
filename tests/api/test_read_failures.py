"""What the Python API says when a read goes wrong: a read that fails midway says what it
spent and read (``exc.stats`` and a note), an export whose read came back short is not
published (``SHORT_READ``, unless ``allow_short=True``), and the connection tells the
credits Zoho may have charged for lost answers apart (``unanswered_credits``)."""

from __future__ import annotations

import asyncio
import dataclasses
import pickle
import shutil
import sqlite3
import warnings
from collections.abc import Iterator
from pathlib import Path

import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

import coqlkit
from coqlkit.errors import ConsistencyWarning
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import RetryPolicy
from tests.api._support import RECORDS

OLD = b"yesterday's good export\n"


# ---- a read that fails midway ---------------------------------------------------------------------


def test_a_read_failing_midway_says_what_it_spent_and_read(org_db: Path, sandbox: Sandbox) -> None:
    """The first page is read, then every call fails: the error carries the result's
    stats and ends with a note of the calls, credits and rows (a notebook loses the result
    with the error, and the figures with it)."""
    with Sandbox(records=RECORDS, db=str(org_db), latency_ms=50, token_limit=0) as flaky:
        assert flaky.state is not None
        healthy = flaky.state.config
        with coqlkit.connect(sandbox=flaky) as conn:
            conn.aio.client.retry = RetryPolicy(attempts=2, base=0.01, cap=0.02)
            result = conn.query("select Last_Name from Leads", page_size=200)
            batches = result.record_batches(lazy=True)  # the first page alone until more is read
            first = batches.read_next_batch()
            assert first.num_rows == 200
            flaky.state.config = dataclasses.replace(healthy, fail_rate=1.0)
            try:
                with pytest.raises(coqlkit.ApiError) as caught:
                    for _ in batches:
                        pass
            finally:
                flaky.state.config = healthy
            error = caught.value
            stats = result.stats
            assert error.stats is stats  # type: ignore[attr-defined]
            assert stats.rows >= 200 and stats.calls >= 2
            assert error.__notes__ == [
                f"after {stats.calls:,} calls · {stats.credits:,} credits{maybe(error)} · "
                f"{stats.rows:,} of {RECORDS:,} rows read"
            ]
            # Still an error a process pool can hand back whole, with its stats and note.
            back = pickle.loads(pickle.dumps(error))
            assert back.stats == stats and back.__notes__ == error.__notes__
            assert str(back) == str(error)


def maybe(error: BaseException) -> str:
    """The note's ``(+N maybe charged for M lost answers)`` part, when the note has one."""
    note = error.__notes__[0]
    start = note.find(" (+")
    return note[start : note.index(")", start) + 1] if start >= 0 else ""


def test_a_failed_to_arrow_carries_the_stats_too(org_db: Path, sandbox: Sandbox) -> None:
    """The same through ``to_arrow()`` (and ``to_pandas()``, which reads through it); a
    refusal before the read begins (the rows already streamed) has no such note."""
    with Sandbox(records=RECORDS, db=str(org_db), token_limit=0) as flaky:
        assert flaky.state is not None
        healthy = flaky.state.config
        with coqlkit.connect(sandbox=flaky, retries=0) as conn:
            result = conn.query("select Last_Name from Leads", page_size=200)
            flaky.state.config = dataclasses.replace(healthy, fail_rate=1.0)
            try:
                with pytest.raises(coqlkit.ApiError) as caught:
                    result.to_arrow()
            finally:
                flaky.state.config = healthy
            assert caught.value.stats is result.stats  # type: ignore[attr-defined]
            assert caught.value.__notes__[0].endswith(f"· {result.stats.rows:,} of {RECORDS:,} rows read")
            with pytest.raises(coqlkit.CoqlError) as again:
                next(iter(result.record_batches()))
            assert again.value.code == "RESULT_CONSUMED"
            assert not hasattr(again.value, "stats") and not getattr(again.value, "__notes__", None)


# ---- an export whose read came back short ---------------------------------------------------------


@pytest.fixture
def changing(org_db: Path, sandbox: Sandbox, tmp_path: Path) -> Iterator[tuple[coqlkit.Connection, Path]]:
    """A connection to an org of its own (a copy of the demo org) and its database file."""
    db = tmp_path / "org" / "changing.sqlite3"
    db.parent.mkdir()
    shutil.copy(org_db, db)
    with (
        Sandbox(records=RECORDS, db=str(db), token_limit=0) as running,
        coqlkit.connect(sandbox=running) as conn,
    ):
        yield conn, db


def delete_oldest(db: Path, count: int) -> None:
    with sqlite3.connect(db) as con:
        con.execute(f'delete from "Leads" where id in (select id from "Leads" order by id limit {count})')


def planned_then_deleted(conn: coqlkit.Connection, db: Path) -> coqlkit.Result:
    """A read of every Lead, counted (the probe) before 100 of them are deleted: it comes
    back 100 rows short, and live records are missing from it (offset pages shift)."""
    result = conn.query("select Last_Name from Leads")
    assert result.estimated_rows == RECORDS
    delete_oldest(db, 100)
    return result


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_a_short_read_does_not_replace_the_file(changing: tuple[coqlkit.Connection, Path], kind: str) -> None:
    conn, db = changing
    target = db.parent.parent / f"leads.{kind}"
    target.write_bytes(OLD)
    result = planned_then_deleted(conn, db)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConsistencyWarning)  # (the executor's, said as it reads)
        with pytest.raises(coqlkit.CoqlError) as caught:
            getattr(result, f"to_{kind}")(target)
    assert caught.value.code == "SHORT_READ"
    assert str(caught.value) == (
        f"100 fewer rows than the COUNT probe found (2,900 of 3,000): records were deleted or changed "
        f"during the read: records that still match may be missing from the result (the pages after a "
        f"deleted one shift), and deleted ones may be in it; {target} was left as it was (run it again, "
        "or allow_short=True writes what was read)"
    )
    assert caught.value.stats is result.stats  # type: ignore[attr-defined]
    assert target.read_bytes() == OLD
    assert sorted(p.name for p in target.parent.iterdir()) == sorted(["org", target.name])  # no temporary


def test_a_short_read_writes_no_new_file(changing: tuple[coqlkit.Connection, Path]) -> None:
    conn, db = changing
    target = db.parent.parent / "new.parquet"

    async def main() -> None:
        aconn = conn.aio
        # The async twin, from a loop of its own: its own connection.
        async with await coqlkit.connect_async(settings=aconn.client.settings) as mine:
            result = await mine.query("select Last_Name from Leads")
            delete_oldest(db, 100)
            with pytest.raises(coqlkit.CoqlError, match=f"{target} was not written") as caught:
                await result.to_parquet(target)
            assert caught.value.code == "SHORT_READ"

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConsistencyWarning)
        asyncio.run(main())
    assert not target.exists()


def test_allow_short_writes_what_was_read(changing: tuple[coqlkit.Connection, Path]) -> None:
    conn, db = changing
    target = db.parent.parent / "leads.csv"
    target.write_bytes(OLD)
    result = planned_then_deleted(conn, db)
    with pytest.warns(ConsistencyWarning, match="100 fewer rows than the COUNT probe found"):
        assert result.to_csv(target, allow_short=True) == target
    assert pcsv.read_csv(target).num_rows == RECORDS - 100


def test_a_whole_read_is_written(changing: tuple[coqlkit.Connection, Path]) -> None:
    """No change meanwhile: no error, every row (the check costs nothing)."""
    conn, db = changing
    target = db.parent.parent / "leads.parquet"
    target.write_bytes(OLD)
    conn.query("select Last_Name from Leads").to_parquet(target)
    assert pq.read_table(target).num_rows == RECORDS


# ---- the credits of lost answers -------------------------------------------------------------------


def test_the_connection_tells_maybe_charged_credits_apart(tmp_path: Path) -> None:
    """Connections dropped after the request went out: Zoho may have charged those calls.
    ``credits_used`` counts them (the most the org may have charged), ``unanswered_credits``
    says how many they were, and the difference is what the org's log charged."""
    # An org of its own: the seed (which makes the faults the same each run) is the data's
    # too, and a sandbox seeded otherwise on the session's file would replace it under the
    # session's sandbox, whose later answers no longer matched the oracle's.
    org = tmp_path / "seed-3.sqlite3"
    with Sandbox(records=RECORDS, db=str(org), fail_rate=0.3, seed=3, token_limit=0) as flaky:
        assert flaky.state is not None
        with coqlkit.connect(sandbox=flaky, retries=20) as conn:
            conn.aio.client.retry = RetryPolicy(attempts=20, base=0.01, cap=0.02)
            assert conn.query("select Last_Name from Leads", page_size=200).to_arrow().num_rows == RECORDS
            charged = sum(int(e["credits"]) for e in flaky.state.requests if e["path"].startswith("/crm/"))
            assert (
                conn.unanswered_credits == conn.aio.unanswered_credits == conn.aio.client.unanswered_credits
            )
            assert conn.unanswered_credits > 0  # (seeded: answers were lost)
            assert conn.credits_used - conn.unanswered_credits == charged
