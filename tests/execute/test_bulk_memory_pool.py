"""Where a bulk read and a Parquet export allocate: a bulk-read CSV is parsed and converted
in the pool it is given (Arrow's jemalloc, releasing at once, where pyarrow has it; else the
default pool, and a process's own jemalloc settings are left alone); a Parquet export
writes in one thread of its own, which gives back what it freed after each row group, and
does not hold a written row group while the next rows come."""

from __future__ import annotations

import asyncio
import contextlib
import io
import subprocess
import sys
import textwrap
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from coqlkit import export
from coqlkit.execute import bulk as bulk_module
from coqlkit.execute.arrow import csv_to_batches, schema
from coqlkit.execute.bulk import bulk_memory_pool
from coqlkit.language.ast import FieldRef
from coqlkit.plan.columns import OutputColumn
from coqlkit.sandbox.server import Sandbox
from tests.execute._support import Recorder, running
from tests.execute.test_arrow import CATALOG, DEALS, LEADS, mixed_leads, write_csv
from tests.execute.test_bulk_read import JOB_SECONDS, PAGE_ROWS, bulk_plan, read


def has_jemalloc() -> bool:
    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        return False
    return True


needs_jemalloc = pytest.mark.skipif(not has_jemalloc(), reason="this pyarrow has no jemalloc")


def other_pool() -> pa.MemoryPool:
    """A pool of the process that is not the default one, to see what is allocated from it.
    (Not a ``proxy_memory_pool``: a buffer outliving its proxy, as a failed test's locals
    do, would free itself through a pool that is gone.)"""
    default = pa.default_memory_pool().backend_name
    pools = [pa.system_memory_pool()]
    for make in (pa.mimalloc_memory_pool, pa.jemalloc_memory_pool):
        with contextlib.suppress(NotImplementedError):
            pools.append(make())
    return next(p for p in pools if p.backend_name != default)


# ---- the CSV, in the pool given ---------------------------------------------------------------------

BARE = [
    OutputColumn("id", LEADS[0].field),
    OutputColumn("Owner", CATALOG.resolve("Leads", FieldRef(("Owner",))).field),  # no name column
]
DEAL_RECORDS = [
    {
        "id": str(i),
        "Weighted_Amount": 12.5 * i,
        "Follow_Up_Date": "2024-05-01",
        "Closing_Date": None if i % 3 else "2024-05-02",
        "Account_Name": {"id": str(900 + i), "name": f"Acme {i}"},
    }
    for i in range(50)
]
CSVS = {
    "leads": (LEADS, write_csv(mixed_leads(300), LEADS)),  # text, picklists, lists, JSON, numbers...
    "deals": (DEALS, write_csv(DEAL_RECORDS, DEALS)),  # dates, a formula, an account lookup
    "bare lookup": (BARE, b"id,Owner\n1,7\n2,\n"),
}


@pytest.mark.parametrize("name", CSVS)
def test_a_bulk_read_csv_is_parsed_and_converted_in_the_pool_it_is_given(name: str) -> None:
    columns, data = CSVS[name]
    found = schema(columns)
    default, pool = pa.default_memory_pool(), other_pool()
    before, held = default.total_bytes_allocated(), pool.bytes_allocated()
    batches = list(csv_to_batches(io.BytesIO(data), columns, found, block_size=4096, memory_pool=pool))
    assert default.total_bytes_allocated() == before  # nothing from the default pool
    assert pool.bytes_allocated() > held  # the batches' buffers
    expected = list(csv_to_batches(io.BytesIO(data), columns, found, block_size=4096))
    assert pa.Table.from_batches(batches, schema=found).equals(pa.Table.from_batches(expected, schema=found))
    del batches
    assert pool.bytes_allocated() == held


# ---- which pool a bulk read takes ----------------------------------------------------------------


@pytest.fixture
def decays(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The jemalloc decays set (none really set), in a process where none was set yet and
    the default pool is not jemalloc."""
    calls: list[int] = []
    monkeypatch.setattr(pa, "jemalloc_set_decay_ms", calls.append)
    monkeypatch.setattr(bulk_module, "_released", None)
    monkeypatch.delenv("JE_ARROW_MALLOC_CONF", raising=False)
    monkeypatch.setattr(pa, "default_memory_pool", pa.system_memory_pool)
    return calls


@needs_jemalloc
def test_a_bulk_read_parses_in_arrows_jemalloc_set_to_release_at_once(decays: list[int]) -> None:
    assert bulk_memory_pool().backend_name == "jemalloc"
    assert decays == [0]
    assert bulk_memory_pool().backend_name == "jemalloc"
    assert decays == [0]  # once per process


@needs_jemalloc
def test_jemalloc_set_by_the_process_is_left_alone(
    decays: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JE_ARROW_MALLOC_CONF", "dirty_decay_ms:5000")
    assert bulk_memory_pool().backend_name == "jemalloc"
    monkeypatch.setattr(pa, "default_memory_pool", pa.jemalloc_memory_pool)  # ARROW_DEFAULT_MEMORY_POOL
    monkeypatch.delenv("JE_ARROW_MALLOC_CONF")
    assert bulk_memory_pool().backend_name == "jemalloc"
    assert decays == []


def test_without_jemalloc_the_default_pool(decays: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    def no_jemalloc() -> pa.MemoryPool:
        raise pa.ArrowNotImplementedError("This Arrow build does not enable jemalloc")

    monkeypatch.setattr(pa, "jemalloc_memory_pool", no_jemalloc)
    assert bulk_memory_pool().backend_name == "system"  # the default pool, here
    assert decays == []


def test_a_decay_jemalloc_refuses_leaves_the_pool_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(ms: int) -> None:
        raise pa.ArrowNotImplementedError("jemalloc support is not built")

    monkeypatch.setattr(pa, "jemalloc_set_decay_ms", refuse)
    monkeypatch.setattr(bulk_module, "_released", None)
    monkeypatch.delenv("JE_ARROW_MALLOC_CONF", raising=False)
    assert bulk_module._release_at_once() is False
    assert bulk_module._release_at_once() is False


RETURNED = """
import sys, threading
import pyarrow as pa, pyarrow.compute as pc
from coqlkit.execute.bulk import bulk_memory_pool

def rss():
    with open("/proc/self/status") as lines:
        return next(int(l.split()[1]) * 1024 for l in lines if l.startswith("VmRSS:"))

pool = bulk_memory_pool()  # in the main thread, as a bulk read in asyncio.run() calls it
values = pa.array(range(32 * 1024), type=pa.int64())
found = {}
def parse():  # a CSV thread: 100 MB allocated, then freed
    arrays = [pc.add(values, 1, memory_pool=pool) for _ in range(400)]
    found["allocated"] = rss() - start
    del arrays
    found["kept"] = rss() - start
start = rss()
thread = threading.Thread(target=parse)
thread.start()
thread.join()
print(found["allocated"], found["kept"])
"""


@needs_jemalloc
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
def test_what_a_csv_thread_frees_goes_back_to_the_system_at_once() -> None:
    # A fresh process: jemalloc's settings are the process's.
    env = {"PYTHONPATH": str(Path(__file__).resolve().parents[2]), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(RETURNED)], capture_output=True, text=True, env=env, check=True
    )
    allocated, kept = map(int, done.stdout.split())
    assert allocated > 80 * 10**6
    assert kept < 20 * 10**6, f"{kept / 10**6:.0f} MB of {allocated / 10**6:.0f} MB kept once freed"


@pytest.fixture(scope="module")
def bulk() -> Iterator[Sandbox]:
    with running(bulk_seconds=JOB_SECONDS, bulk_page_rows=PAGE_ROWS) as sandbox:
        yield sandbox


def test_a_bulk_read_parses_its_pages_in_the_bulk_memory_pool(
    bulk: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = other_pool()
    monkeypatch.setattr(bulk_module, "bulk_memory_pool", lambda: pool)
    held = pool.bytes_allocated()
    batches = read(bulk, bulk_plan(), Recorder())
    assert sum(b.num_rows for b in batches) == 340  # three pages
    assert pool.bytes_allocated() > held  # the batches, from it
    del batches
    assert pool.bytes_allocated() == held


# ---- the Parquet writer's thread ------------------------------------------------------------------


class Releases:
    """A default pool that notes the threads ``release_unused()`` is called in."""

    def __init__(self) -> None:
        self.pool = pa.default_memory_pool()
        self.threads: list[str] = []

    def __call__(self) -> Releases:
        return self

    def release_unused(self) -> None:
        self.threads.append(threading.current_thread().name)
        self.pool.release_unused()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pool, name)


@pytest.fixture
def releases(monkeypatch: pytest.MonkeyPatch) -> Releases:
    noted = Releases()
    monkeypatch.setattr(pa, "default_memory_pool", noted)
    return noted


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The threads Parquet row groups are written in."""
    threads: list[str] = []
    write_table = pq.ParquetWriter.write_table

    def noted(self: Any, table: pa.Table, *args: Any, **kwargs: Any) -> None:
        threads.append(threading.current_thread().name)
        write_table(self, table, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", noted)
    return threads


def numbers(start: int, rows: int, pool: pa.MemoryPool | None = None) -> pa.RecordBatch:
    return pa.record_batch([pc.add(pa.array(range(rows), type=pa.int64()), start, memory_pool=pool)], ["n"])


SCHEMA = pa.schema([("n", pa.int64())])


async def stream(batches: int, rows: int) -> AsyncIterator[pa.RecordBatch]:
    for i in range(batches):
        yield numbers(i * rows, rows)
        await asyncio.sleep(0)


def test_a_parquet_export_writes_in_one_thread_that_gives_back_after_each_row_group(
    tmp_path: Path, releases: Releases, writes: list[str]
) -> None:
    target = tmp_path / "n.parquet"
    asyncio.run(export.write_parquet(stream(6, 10), SCHEMA, target, row_group_rows=20))
    assert pq.read_metadata(target).num_row_groups == 3
    assert len(writes) == 3 and len(set(writes)) == 1
    (thread,) = set(writes)
    assert thread.startswith("coqlkit-writer") and thread != threading.current_thread().name
    assert releases.threads == writes  # after each row group, in the thread that wrote it


def test_csv_and_arrow_exports_release_nothing(tmp_path: Path, releases: Releases) -> None:
    asyncio.run(export.write_csv(stream(3, 10), SCHEMA, tmp_path / "n.csv"))
    asyncio.run(export.write_arrow(stream(3, 10), SCHEMA, tmp_path / "n.arrow"))
    assert releases.threads == []


def test_write_batches_gives_back_after_each_parquet_row_group(tmp_path: Path, releases: Releases) -> None:
    batches = (numbers(i * 10, 10) for i in range(5))
    assert export.write_batches(batches, SCHEMA, tmp_path / "n.parquet", rows_per_write=20) == 50
    assert releases.threads == [threading.current_thread().name] * 3


def test_a_written_row_group_is_not_held_while_the_next_rows_come(tmp_path: Path) -> None:
    pool = other_pool()
    start = pool.bytes_allocated()
    one_batch = numbers(0, 100, pool)
    size = pool.bytes_allocated() - start
    del one_batch
    held: list[int] = []

    async def rows() -> AsyncIterator[pa.RecordBatch]:
        for i in range(4):
            yield numbers(i * 100, 100, pool)
            held.append(pool.bytes_allocated() - start)  # the rows held when the next are asked for

    target = tmp_path / "n.parquet"
    asyncio.run(export.write_parquet(rows(), SCHEMA, target, row_group_rows=200))
    assert pq.read_table(target).column("n").to_pylist() == list(range(400))
    # After the first row group's two batches are written, only the last of them is held
    # (the loop's variable), not both in a table kept until the next row group.
    assert held[1] == size, held
    assert pool.bytes_allocated() == start
