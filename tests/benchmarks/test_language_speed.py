"""Benchmarks of the language core, skipped in the default run.

Run them with ``pytest tests/benchmarks --benchmark-only -p no:randomly -s``. Each test
measures coqlkit and its yardstick side by side, in one process, interleaved, so the
ratio holds whatever the machine is doing; the figures go into the benchmark table's
``extra_info`` and are printed.

Targets (issue "The COQL language core"): over the golden corpus, the median time of
coqlkit's parse + validate per query is at most that of sqlglot's parse alone; a cold
``import coqlkit`` plus the first parse takes under 150 ms.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from coqlkit import Catalog, CoqlSyntaxError, parse, validate
from coqlkit.language import split_statements

sqlglot = pytest.importorskip("sqlglot")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "coql"


def corpus() -> list[str]:
    """Every query of the golden corpus (directive lines dropped)."""
    texts = []
    for path in sorted(FIXTURES.glob("*.coql")):
        body = "\n".join(line for line in path.read_text().splitlines() if not line.startswith("#"))
        texts += [s.text for s in split_statements(body)]
    return texts


def coqlkit_check(catalog: Catalog) -> Callable[[str], object]:
    def run(text: str) -> object:
        try:
            return validate(parse(text), catalog)
        except CoqlSyntaxError as exc:
            return exc

    return run


def sqlglot_parse(text: str) -> object:
    try:
        return sqlglot.parse_one(text)
    except Exception as exc:  # sqlglot rejects some COQL forms; rejecting takes time too
        return exc


def interleaved_medians(
    texts: list[str], runs: dict[str, Callable[[str], object]], rounds: int
) -> dict[str, list[float]]:
    """Per query, the median over ``rounds`` of each function's time (µs), measured turn about."""
    times: dict[str, list[list[float]]] = {name: [[] for _ in texts] for name in runs}
    for _ in range(rounds):
        for i, text in enumerate(texts):
            for name, fn in runs.items():
                start = time.perf_counter_ns()
                fn(text)
                times[name][i].append((time.perf_counter_ns() - start) / 1000)
    return {name: [statistics.median(t) for t in per_query] for name, per_query in times.items()}


def test_parse_and_validate_against_sqlglot_parse(benchmark) -> None:  # type: ignore[no-untyped-def]
    texts = corpus()
    assert len(texts) >= 80
    catalog = Catalog.demo()
    check = coqlkit_check(catalog)
    for text in texts:  # warm both up: caches, lazily built tables
        check(text)
        sqlglot_parse(text)
    medians = interleaved_medians(texts, {"coqlkit": check, "sqlglot": sqlglot_parse}, rounds=30)
    ours, theirs = statistics.median(medians["coqlkit"]), statistics.median(medians["sqlglot"])
    ratios = sorted(a / b for a, b in zip(medians["coqlkit"], medians["sqlglot"], strict=True))
    benchmark.extra_info.update(
        queries=len(texts),
        coqlkit_median_us=round(ours, 1),
        sqlglot_median_us=round(theirs, 1),
        ratio=round(ours / theirs, 3),
        per_query_ratio_median=round(statistics.median(ratios), 3),
    )
    print(
        f"\n{len(texts)} queries; median per query: coqlkit parse+validate {ours:.1f} us, "
        f"sqlglot parse {theirs:.1f} us, ratio {ours / theirs:.2f} "
        f"(per-query ratios: median {statistics.median(ratios):.2f}, p90 {ratios[int(len(ratios) * 0.9)]:.2f})"
    )
    benchmark.pedantic(lambda: [check(t) for t in texts], rounds=5, iterations=1)
    assert ours <= theirs, f"parse+validate {ours:.1f} us is slower than sqlglot's parse {theirs:.1f} us"


COLD = (
    "import time; t = time.perf_counter(); import coqlkit; "
    "coqlkit.parse('select Last_Name from Leads where Email is not null'); "
    "print((time.perf_counter() - t) * 1000)"
)


def cold_start_ms() -> float:
    out = subprocess.run([sys.executable, "-c", COLD], capture_output=True, text=True, check=True)
    return float(out.stdout)


def test_cold_import_and_first_parse(benchmark) -> None:  # type: ignore[no-untyped-def]
    cold_start_ms()  # the first run ever writes Lark's grammar cache; later runs read it
    samples = [cold_start_ms() for _ in range(15)]
    median = statistics.median(samples)
    benchmark.extra_info.update(
        cold_start_median_ms=round(median, 1), cold_start_max_ms=round(max(samples), 1)
    )
    print(f"\ncold import coqlkit + first parse: median {median:.1f} ms, max {max(samples):.1f} ms")
    benchmark.pedantic(cold_start_ms, rounds=3, iterations=1)
    assert median < 150
