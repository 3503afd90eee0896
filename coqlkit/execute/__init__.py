"""Run a plan: concurrent pages, keyset windows, bulk-read jobs and local finishing, streamed as Arrow."""

from coqlkit.execute.counts import CountMemory
from coqlkit.execute.executor import (
    RunStats,
    count_rows,
    execute,
    explain_analyze,
    needs_probe,
    options_for,
    prepare,
    result_schema,
    short_read,
)

__all__ = [
    "CountMemory",
    "RunStats",
    "count_rows",
    "execute",
    "explain_analyze",
    "needs_probe",
    "options_for",
    "prepare",
    "result_schema",
    "short_read",
]
