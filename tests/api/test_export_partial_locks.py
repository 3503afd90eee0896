"""A live export's ``.partial`` is never swept (review 7, diff4 #1), even where its pid
says nothing: on one machine (one hostname) a writer in another PID namespace (another
container of the pod, ``docker run --network host``) has a pid that is no process in the
sweeper's, so ``os.kill(pid, 0)`` said "gone" and the sweep removed the live export's
temporary, whose ``os.replace`` then failed after every credit was spent.

The writer holds a lock on its temporary while it writes; the sweep leaves whatever is
locked. A PID namespace cannot be made here, so the writer below is a real process whose
temporary is named with a pid that is dead (``os.getpid`` patched in it): what a sweeper in
another namespace sees. Its temporary is made old too, so that only the lock keeps it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import coqlkit
from coqlkit import export
from coqlkit.sandbox.server import Sandbox

# A writer whose pid, as its temporary's name tells it, is ``dead``: it opens the temporary
# as an export does, makes it two hours old, says its name, and writes when told to.
WRITER = """
import os, sys, time
from coqlkit import export
dead = int(sys.argv[2])
os.getpid = lambda: dead
with export.atomic_path(sys.argv[1]) as temp:
    temp.write_text("the live export's rows\\n")
    old = time.time() - 7200
    os.utime(temp, (old, old))
    print(temp.name, flush=True)
    sys.stdin.readline()
print("published", flush=True)
"""


def dead_pid() -> int:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    return gone.pid


def partials(directory: Path) -> list[str]:
    return sorted(n for n in os.listdir(directory) if n.endswith(".partial"))


def start_writer(target: Path) -> tuple[subprocess.Popen[str], str]:
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target), str(dead_pid())],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    name = writer.stdout.readline().strip()
    assert name.endswith(".partial"), name
    return writer, name


def stop(writer: subprocess.Popen[str]) -> None:
    writer.send_signal(signal.SIGKILL)
    writer.communicate()  # and its pipes closed


def test_a_live_export_s_partial_is_left_whatever_its_pid_says(sandbox: Sandbox, tmp_path: Path) -> None:
    writer, name = start_writer(tmp_path / "leads.csv")
    try:
        assert partials(tmp_path) == [name]
        with coqlkit.connect(sandbox=sandbox) as conn:  # another process's export sweeps
            conn.query("select Last_Name from Leads limit 5").to_parquet(tmp_path / "other.parquet")
        assert pq.read_table(tmp_path / "other.parquet").num_rows == 5
        assert partials(tmp_path) == [name]  # its writer holds it
        out, _ = writer.communicate("go\n", timeout=60)
    finally:
        stop(writer)
    assert out.strip() == "published" and writer.returncode == 0
    assert (tmp_path / "leads.csv").read_text(encoding="utf-8") == "the live export's rows\n"
    assert partials(tmp_path) == []


def test_a_killed_writer_s_lock_dies_with_it(tmp_path: Path) -> None:
    writer, name = start_writer(tmp_path / "leads.csv")
    try:
        assert export.sweep_stale(tmp_path / "x.csv") == []
    finally:
        stop(writer)  # SIGKILL: no clean-up runs; the lock goes with the process
    assert partials(tmp_path) == [name]
    assert export.sweep_stale(tmp_path / "x.csv") == [tmp_path / name]
    assert partials(tmp_path) == []


def test_a_young_partial_is_left_even_unlocked(tmp_path: Path) -> None:
    # The instant between a temporary's creation and its lock, or a file system whose locks
    # are not kept: an hour's margin before anything is removed.
    pid = dead_pid()
    young = tmp_path / f".leads.csv.{export._HOST}-{pid}.0badcafe.partial"
    old = tmp_path / f".leads.csv.{export._HOST}-{pid}.1badcafe.partial"
    young.write_text("half")
    old.write_text("half")
    then = time.time() - 3700
    os.utime(old, (then, then))
    assert export.sweep_stale(tmp_path / "x.csv") == [old]
    assert partials(tmp_path) == [young.name]


def test_a_sweep_in_another_pid_namespace_leaves_a_live_export_s_partial(tmp_path: Path) -> None:
    # The review's case itself, where the system lets this user make a PID namespace: the
    # writer's real pid is no process in the sweeper's namespace.
    probe = subprocess.run(["unshare", "-pf", "--mount-proc", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("no PID namespace for this user here (unshare)")
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER.replace("os.getpid = lambda: dead", ""), str(tmp_path / "a.csv"), "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        name = writer.stdout.readline().strip()
        assert f"-{writer.pid}." in name
        sweep = (
            "from pathlib import Path; from coqlkit import export; print(export.sweep_stale(Path('x.csv')))"
        )
        swept = subprocess.run(
            ["unshare", "-pf", "--mount-proc", sys.executable, "-c", sweep],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        )
        assert swept.stdout.strip() == "[]", swept
        out, _ = writer.communicate("go\n", timeout=60)
    finally:
        stop(writer)
    assert out.strip() == "published"
    assert (tmp_path / "a.csv").read_text(encoding="utf-8") == "the live export's rows\n"
