"""How fast a COQL page becomes an Arrow batch (skipped in the default run).

Run with ``pytest tests/benchmarks/test_arrow_speed.py --benchmark-only -s``.

Target (issue "The planner and the executor"): a JSON page becomes a RecordBatch at
300,000 rows/s or more on one core. The page is the sandbox's own COQL response to a
realistic query: 2,000 rows of 12 mixed columns (text, picklists, currency, datetime, a
lookup, boolean, integer, bigint, multi-select). Asserted for both ways a page is read:

- :func:`coqlkit.execute.arrow.body_to_batch`, the executor's: the response's bytes
  straight to a batch by Arrow's JSON reader (parsing included, one thread);
- :func:`coqlkit.execute.arrow.records_to_batch`, for pages Arrow's reader refuses, from
  ``json.loads``-ed records (the rate with ``json.loads`` is reported, not asserted).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from coqlkit.catalog import FieldType
from coqlkit.execute.arrow import body_to_batch, records_to_batch, schema
from coqlkit.language.ast import FieldRef
from coqlkit.plan.columns import ID_FIELD, OutputColumn
from tests.benchmarks._fields import FIELDS

pytest.importorskip("starlette")

ROWS = 2000
QUERY = f"select {', '.join(FIELDS)} from Leads where id is not null limit {ROWS}"
TARGET_ROWS_PER_SECOND = 300_000


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[OutputColumn]]:
    """The body of the sandbox's COQL response to ``QUERY`` (as text), and the query's columns."""
    from coqlkit.sandbox import coql
    from coqlkit.sandbox.config import SandboxConfig
    from coqlkit.sandbox.state import SandboxState

    db = Path(tmp_path_factory.mktemp("arrow-bench")) / "org.sqlite3"
    state = SandboxState.open(SandboxConfig(records=ROWS + 500, db=str(db)))
    try:
        body, _ = coql.run(state, {"select_query": QUERY})
        catalog = state.catalog
    finally:
        state.store.close()
    assert body is not None
    columns = [OutputColumn("id", ID_FIELD)]
    for name in FIELDS:
        field = catalog.resolve("Leads", FieldRef((name,))).field
        lookup_name = FieldRef((name, "full_name")) if field.type is FieldType.OWNERLOOKUP else None
        columns.append(OutputColumn(name, field, FieldRef((name,)), lookup_name=lookup_name))
    return body.decode(), columns


def median_seconds(fn: Callable[[], object], rounds: int = 60) -> float:
    fn()  # warm up
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def test_json_page_to_batch_rate(page: tuple[str, list[OutputColumn]], benchmark) -> None:  # type: ignore[no-untyped-def]
    text, columns = page
    records = json.loads(text)["data"]
    assert len(records) == ROWS and len(records[0]) == len(FIELDS) + 1  # 12 columns and id
    target = schema(columns)
    batch = records_to_batch(records, target, columns)
    assert batch.num_rows == ROWS and batch.num_columns == len(FIELDS) + 1

    body = text.encode()
    assert body_to_batch(body, target, columns)[0].equals(batch)

    from_body = median_seconds(lambda: body_to_batch(body, target, columns))
    convert = median_seconds(lambda: records_to_batch(records, target, columns))
    with_json = median_seconds(lambda: records_to_batch(json.loads(text)["data"], target, columns))
    rate_body, rate, rate_json = ROWS / from_body, ROWS / convert, ROWS / with_json
    benchmark.extra_info.update(
        rows=ROWS,
        columns=len(FIELDS),
        page_kib=round(len(text) / 1024),
        body_to_batch_median_ms=round(from_body * 1000, 2),
        body_to_batch_rows_per_second=round(rate_body),
        median_ms=round(convert * 1000, 2),
        rows_per_second=round(rate),
        with_json_loads_median_ms=round(with_json * 1000, 2),
        with_json_loads_rows_per_second=round(rate_json),
    )
    print(
        f"\n{ROWS:,} rows x {len(FIELDS)} columns ({len(text) / 1024:.0f} KiB of JSON): body_to_batch "
        f"median {from_body * 1000:.2f} ms = {rate_body:,.0f} rows/s; records_to_batch {convert * 1000:.2f} ms "
        f"= {rate:,.0f} rows/s ({with_json * 1000:.2f} ms = {rate_json:,.0f} rows/s with json.loads)"
    )
    benchmark.pedantic(lambda: body_to_batch(body, target, columns), rounds=20, iterations=5)
    assert rate_body >= TARGET_ROWS_PER_SECOND, f"{rate_body:,.0f} rows/s is below {TARGET_ROWS_PER_SECOND:,}"
    assert rate >= TARGET_ROWS_PER_SECOND, f"{rate:,.0f} rows/s is below {TARGET_ROWS_PER_SECOND:,}"
