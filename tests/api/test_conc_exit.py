"""Reads still running when the main thread has returned: in non-daemon threads and in
ThreadPoolExecutor jobs, which Python waits for before it exits.

Python stops every ThreadPoolExecutor (concurrent.futures' exit hook) *before* it joins the
non-daemon threads, so any ``submit`` then raises "cannot schedule new futures after
interpreter shutdown". coqlkit decodes pages and writes exports in such pools; these tests
check that it keeps working there, in a real ``python`` process against a real sandbox.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from coqlkit.sandbox.server import Sandbox
from tests.api._support import RECORDS

# What each job runs first: it waits until the main thread has returned and Python has shut
# concurrent.futures down (the flag is private, but it is the very condition under test).
_AFTER_MAIN = """
import concurrent.futures.thread, threading, time
def after_main():
    while not concurrent.futures.thread._shutdown:
        time.sleep(0.01)
"""


def _exits(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -c script`` to its end (a hang is a failure, after 60 s)."""
    return subprocess.run(
        [sys.executable, "-c", _AFTER_MAIN + textwrap.dedent(script)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_executor_jobs_still_exporting_after_main_returns_write_their_files(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """The jobs used to fail with a RuntimeError no one saw (an executor keeps a job's
    exception in its future): the script ended with status 0 and no file."""
    ran = _exits(
        f"""
        import concurrent.futures, sys, coqlkit
        conn = coqlkit.connect()
        def job(i):
            after_main()
            result = conn.query("select Last_Name, Email from Leads")
            path = result.to_parquet(r"{tmp_path}/job%d.parquet" % i) if i % 2 else result.to_csv(r"{tmp_path}/job%d.csv" % i)
            sys.stdout.write("wrote %s\\n" % path.name)  # one write: print() from two threads interleaves
            sys.stdout.flush()
        pool = concurrent.futures.ThreadPoolExecutor(2)
        for i in range(2):
            pool.submit(job, i)
        """,
        sandbox.environment(),
    )
    assert (ran.returncode, sorted(ran.stdout.splitlines()), ran.stderr) == (
        0,
        ["wrote job0.csv", "wrote job1.parquet"],
        "",
    )
    import pyarrow.parquet as pq

    assert pq.read_table(tmp_path / "job1.parquet").num_rows == RECORDS
    assert len((tmp_path / "job0.csv").read_text().splitlines()) == RECORDS + 1


def test_non_daemon_threads_still_reading_after_main_returns_get_every_row(sandbox: Sandbox) -> None:
    ran = _exits(
        """
        import sys, coqlkit
        conn = coqlkit.connect()
        def read(kind):
            after_main()
            result = conn.query("select Last_Name, Email from Leads")
            rows = result.to_arrow().num_rows if kind == "arrow" else sum(1 for _ in result)
            sys.stdout.write("%s %d\\n" % (kind, rows))  # one write: print() from two threads interleaves
            sys.stdout.flush()
        for kind in ("arrow", "iter"):
            threading.Thread(target=read, args=(kind,)).start()
        """,
        sandbox.environment(),
    )
    assert (ran.returncode, sorted(ran.stdout.splitlines()), ran.stderr) == (
        0,
        [f"arrow {RECORDS}", f"iter {RECORDS}"],
        "",
    )


def test_a_connection_opened_after_main_returns_to_a_host_by_name(sandbox: Sandbox, tmp_path: Path) -> None:
    """A thread that connects only once the main thread has returned (coqlkit.api imported
    then: concurrent.futures' exit hook could no longer be registered), to a host given by
    name (every real Zoho host: its address is looked up in the loop's default executor,
    which Python has shut by then): it reads and writes its file."""
    env = sandbox.environment()
    env["ZOHO_BASE_URL"] = env["ZOHO_BASE_URL"].replace("127.0.0.1", "localhost")
    ran = _exits(
        f"""
        import coqlkit
        def late():
            after_main()
            with coqlkit.connect() as conn:
                path = conn.query("select Last_Name from Leads").to_parquet(r"{tmp_path}/late.parquet")
            print("wrote", path.name, flush=True)
        threading.Thread(target=late).start()
        """,
        env,
    )
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "wrote late.parquet\n", "")
