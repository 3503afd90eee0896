"""How much memory exporting a large read to Parquet takes (skipped in the default run).

Run with ``pytest tests/benchmarks/test_export_memory.py --benchmark-only -s``.

Targets (issue "The planner and the executor"): ``conn.query("select ... from Leads")
.to_parquet(path)`` of 500,000 Leads × 12 columns (text, an email, picklists, a
currency, integers, a datetime, an owner lookup, a boolean, a multi-select; 13 with
``id``) keeps the client's peak RSS under 300 MB (10**6 bytes), and the peak grows by less than 20%
from 100,000 rows to 500,000: the rows stream through, they are never all held.

Method: the client runs alone in a child process (``python -c``: coqlkit and what it
imports, no pytest; pyarrow itself imports pandas when installed), against a sandbox in another process (see
``_sandbox_process.py``) answering each call after 300 ms; the sandboxes' records are
seeded once into a cache directory (500,000 Leads: about a minute). The child connects,
warms up (token, metadata, ``pyarrow.parquet`` imported), notes its RSS as the
baseline, exports, and reports its peak RSS (``VmHWM``, the kernel's high-water mark,
the same figure as ``ru_maxrss``); the parent samples the child's RSS meanwhile, to show
whether it climbs or levels off. One run's peak varies by about ±10% (what the allocator
keeps, and when), so each size is exported three times, a 100,000-row export before each
500,000-row one, and the median peaks are compared; every 500,000-row run must stay under
300 MB. Both ways a large read can go are measured: keyset
COQL pages (what the planner picks with Zoho's default bulk-job time) and bulk-read
jobs (what it picks when credits matter, or a bulk job is quick).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.benchmarks._fields import FIELDS
from tests.benchmarks._sandbox_process import SandboxProcess

pytest.importorskip("starlette")

SMALL, LARGE = 100_000, 500_000
LATENCY_MS = 300.0
QUERY = f"select {', '.join(FIELDS)} from Leads"
WARM_UP = "select Last_Name from Leads where id is not null limit 1"
TARGET_PEAK_MB = 300  # MB as the issue says it: 10**6 bytes
TARGET_GROWTH = 0.20
# One export's peak varies by about ±10% run to run (what the allocator keeps, and when):
# each size is exported ROUNDS times, alternately, and the median peaks are compared.
ROUNDS = 3
MB = 1000**2

# The client, alone in a process: connect, warm up, export, report (JSON on stdout).
CHILD = """
import json, sys, time
from pathlib import Path

def status(key):
    with open("/proc/self/status") as lines:
        for line in lines:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024

args = json.loads(sys.argv[1])
import pyarrow.parquet
import coqlkit
from coqlkit.transport import FileTokenStore, load_settings

workdir = Path(args["workdir"])
settings = load_settings(
    env=args["env"], store=FileTokenStore(workdir / "tokens.json"), path=workdir / "none.toml"
)
with coqlkit.connect(settings=settings, cache_dir=workdir / "metadata", latency_ms=args["latency_ms"]) as conn:
    conn.query(args["warm_up"]).to_arrow()
    conn.check(args["query"])  # the metadata it reaches (Users, for Owner's name)
    baseline, baseline_peak, credits = status("VmRSS"), status("VmHWM"), conn.credits_used
    start = time.perf_counter()
    result = conn.query(args["query"], strategy=args["strategy"])
    result.to_parquet(args["path"])
    seconds = time.perf_counter() - start
    print(json.dumps({
        "seconds": seconds,
        "baseline": baseline,
        "baseline_peak": baseline_peak,
        "peak": status("VmHWM"),
        "end": status("VmRSS"),
        "rows": result.stats.rows,
        "calls": result.stats.calls,
        "credits": conn.credits_used - credits,
        # pyarrow imports pandas (about 50 MB) the first time it builds an array, if installed.
        "pandas": "pandas" in sys.modules,
        "plan": next(l for l in result.plan.explain().splitlines() if "└─" in l).strip(" └─├│"),
    }))
"""


@dataclass
class Export:
    """One export, as the child reported it and the parent watched it."""

    rows: int
    seconds: float
    baseline: int  # bytes of RSS once connected and warmed up, before the query
    baseline_peak: int  # VmHWM then: if the export's peak is no higher, the warm-up set it
    peak: int  # VmHWM at the end: the process's peak RSS
    end: int
    samples: list[int]  # the child's RSS, every 50 ms, as the parent saw it
    calls: int
    credits: int
    plan: str
    parquet_bytes: int
    pandas: bool  # whether pandas was imported (by pyarrow) in the child

    def at(self, share: float) -> int:
        """The RSS sampled ``share`` of the way through the run."""
        return self.samples[min(len(self.samples) - 1, int(len(self.samples) * share))] if self.samples else 0


@pytest.fixture(scope="module")
def sandboxes() -> Iterator[dict[int, SandboxProcess]]:
    with (
        SandboxProcess(SMALL, latency_ms=LATENCY_MS) as small,
        SandboxProcess(LARGE, latency_ms=LATENCY_MS) as large,
    ):
        yield {SMALL: small, LARGE: large}


def rss_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as lines:
            for line in lines:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def export(sandbox: SandboxProcess, strategy: str, workdir: Path) -> Export:
    """Run the client in a child process: export ``QUERY`` to Parquet; what it took."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "leads.parquet"
    args = {
        "env": sandbox.environment(),
        "workdir": str(workdir),
        "latency_ms": LATENCY_MS,
        "warm_up": WARM_UP,
        "query": QUERY,
        "strategy": strategy,
        "path": str(path),
    }
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    samples = []
    while child.poll() is None:
        rss = rss_of(child.pid)
        if rss is not None:
            samples.append(rss)
        time.sleep(0.05)
    out, err = child.communicate()
    assert child.returncode == 0, f"the exporting child failed ({child.returncode}):\n{err[-4000:]}"
    report: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    import pyarrow.parquet as pq

    written = pq.read_metadata(path).num_rows
    assert written == report["rows"] == sandbox.records, (
        f"{written:,} rows in the file, {report['rows']:,} read, {sandbox.records:,} Leads"
    )
    return Export(
        rows=written,
        seconds=report["seconds"],
        baseline=report["baseline"],
        baseline_peak=report["baseline_peak"],
        peak=report["peak"],
        end=report["end"],
        samples=samples,
        calls=report["calls"],
        credits=report["credits"],
        plan=report["plan"],
        pandas=report["pandas"],
        parquet_bytes=path.stat().st_size,
    )


def mb(n: int) -> float:
    return n / MB


def median(runs: list[Export]) -> Export:
    """The run whose peak is the median of ``runs``' peaks."""
    return sorted(runs, key=lambda run: run.peak)[len(runs) // 2]


@pytest.mark.parametrize("strategy", ["coql", "bulk"])
def test_export_500k_rows_to_parquet(  # type: ignore[no-untyped-def]
    strategy: str, sandboxes: dict[int, SandboxProcess], tmp_path: Path, benchmark
) -> None:
    smalls: list[Export] = []
    larges: list[Export] = []

    def small_first() -> None:  # untimed, before each timed large export: the two alternate
        smalls.append(export(sandboxes[SMALL], strategy, tmp_path / f"small-{len(smalls)}"))

    benchmark.pedantic(
        lambda: larges.append(export(sandboxes[LARGE], strategy, tmp_path / f"large-{len(larges)}")),
        setup=small_first,
        rounds=ROUNDS,
        iterations=1,
    )
    small, large = median(smalls), median(larges)
    growth = large.peak / small.peak - 1
    benchmark.extra_info.update(
        strategy=strategy,
        plan_100k=small.plan,
        plan_500k=large.plan,
        seconds_100k=round(small.seconds, 2),
        seconds_500k=round(large.seconds, 2),
        baseline_mb=round(mb(large.baseline), 1),
        peak_before_query_mb=round(mb(large.baseline_peak), 1),
        peak_100k_mb=round(mb(small.peak), 1),
        peak_500k_mb=round(mb(large.peak), 1),
        peaks_100k_mb=[round(mb(run.peak)) for run in smalls],
        peaks_500k_mb=[round(mb(run.peak)) for run in larges],
        peak_growth=round(growth, 3),
        working_100k_mb=round(mb(small.peak - small.baseline), 1),
        working_500k_mb=round(mb(large.peak - large.baseline), 1),
        rss_500k_quarters_mb=[round(mb(large.at(q))) for q in (0.25, 0.5, 0.75, 1.0)],
        calls_500k=large.calls,
        credits_500k=large.credits,
        parquet_500k_mb=round(mb(large.parquet_bytes), 1),
        pandas_imported=large.pandas,
    )
    print(
        f"\n{strategy}: Parquet export, median peak RSS {mb(small.peak):.0f} MB for {SMALL:,} rows "
        f"({small.seconds:.1f} s), {mb(large.peak):.0f} MB for {LARGE:,} ({large.seconds:.1f} s): "
        f"{growth:+.0%} (peaks {', '.join(f'{mb(r.peak):.0f}' for r in smalls)} / "
        f"{', '.join(f'{mb(r.peak):.0f}' for r in larges)} MB); baseline {mb(large.baseline):.0f} MB before the query"
        f"{' (pandas imported, by pyarrow)' if large.pandas else ''}; RSS through the "
        f"500k run {', '.join(f'{mb(large.at(q)):.0f}' for q in (0.25, 0.5, 0.75, 1.0))} MB; "
        f"{large.calls} calls, {large.credits} credits; {large.plan}"
    )
    highest = max(larges, key=lambda run: run.peak)
    assert mb(highest.peak) < TARGET_PEAK_MB, (  # every run
        f"exporting {LARGE:,} rows ({strategy}) peaked at {mb(highest.peak):.0f} MB of RSS "
        f"(target < {TARGET_PEAK_MB}); {mb(large.baseline):.0f} MB before the query"
    )
    assert growth < TARGET_GROWTH, (
        f"the median peak RSS grew {growth:.0%} from {SMALL:,} rows ({mb(small.peak):.0f} MB) to {LARGE:,} "
        f"({mb(large.peak):.0f} MB), target < {TARGET_GROWTH:.0%} ({strategy}; baseline "
        f"{mb(small.baseline):.0f} / {mb(large.baseline):.0f} MB)"
    )
