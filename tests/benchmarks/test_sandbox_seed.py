"""Benchmark of the sandbox's record generator, skipped in the default run.

Run it with ``pytest tests/benchmarks/test_sandbox_seed.py --benchmark-only -s``. It times
:func:`coqlkit.sandbox.seed.populate` of the demo org into a temporary SQLite file, for 25,000 and
200,000 Leads (the other modules in proportion: about 2.3 rows per Lead in all); the figures go
into the benchmark table's ``extra_info`` and are printed.

Target (the sandbox's brief): 200,000 Leads in under 60 s on a 2-core machine.
"""

from __future__ import annotations

import time
from pathlib import Path

from coqlkit.catalog import Catalog
from coqlkit.sandbox.seed import populate
from coqlkit.sandbox.store import Store


def timed_populate(path: Path, records: int) -> tuple[float, int]:
    """Seconds to populate a fresh file with ``records`` Leads, and the rows written."""
    store = Store(path, Catalog.demo())
    start = time.perf_counter()
    counts = populate(store, records=records)
    seconds = time.perf_counter() - start
    store.close()
    return seconds, sum(counts.values())


def test_populate_25k_and_200k_leads(benchmark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    small, small_rows = timed_populate(tmp_path / "small.sqlite3", 25_000)
    runs = iter(range(100))
    large, large_rows = benchmark.pedantic(
        lambda: timed_populate(tmp_path / f"large-{next(runs)}.sqlite3", 200_000), rounds=1, iterations=1
    )
    benchmark.extra_info.update(
        leads_25k_s=round(small, 2),
        rows_25k=small_rows,
        leads_200k_s=round(large, 2),
        rows_200k=large_rows,
        rows_per_s_200k=round(large_rows / large),
    )
    print(
        f"\npopulate: 25,000 Leads ({small_rows:,} rows) in {small:.1f} s; "
        f"200,000 Leads ({large_rows:,} rows) in {large:.1f} s ({large_rows / large:,.0f} rows/s)"
    )
    assert large < 60, f"200,000 Leads took {large:.1f} s"
