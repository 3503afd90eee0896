"""What killed exports leave (review 7, export 5): a nightly export to a dated name
(``leads-$(date +%F).parquet``) killed outright (SIGKILL, the OOM killer) leaves a hidden
``.partial`` that no later export to that name comes to remove. The next export into the
directory an hour later or more removes it, whatever its target; a live process's is left
alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import coqlkit
from coqlkit import export
from coqlkit.sandbox.server import Sandbox


def partials(directory: Path) -> list[str]:
    return sorted(n for n in os.listdir(directory) if n.endswith(".partial"))


def test_a_killed_export_s_partial_is_removed_by_the_next_export_to_another_name(
    slow_sandbox: Sandbox, sandbox: Sandbox, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOHO_", "COQLKIT_"))}
    env.update(slow_sandbox.environment(), XDG_DATA_HOME=str(tmp_path / "data"))
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    killed = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "coqlkit",
            "export",
            "select * from Leads",
            str(out / "leads-2024-06-01.parquet"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not partials(out) and time.monotonic() < deadline and killed.poll() is None:
            time.sleep(0.05)
        left = partials(out)
        assert left and left[0].startswith(".leads-2024-06-01.parquet."), left
    finally:
        killed.send_signal(signal.SIGKILL)  # no clean-up runs
        killed.wait()
    assert partials(out) == left
    then = time.time() - 2 * 3600  # a sweep leaves a partial younger than an hour
    for name in left:
        os.utime(out / name, (then, then))
    with coqlkit.connect(sandbox=sandbox) as conn:
        conn.query("select Last_Name from Leads limit 10").to_parquet(out / "leads-2024-06-02.parquet")
    assert partials(out) == []
    assert os.listdir(out) == ["leads-2024-06-02.parquet"]


def test_a_live_export_s_partial_is_left_alone(sandbox: Sandbox, tmp_path: Path) -> None:
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        theirs = tmp_path / f".leads-2024-06-01.parquet.{export._HOST}-{live.pid}.0badcafe.partial"
        theirs.write_bytes(b"being written")
        with coqlkit.connect(sandbox=sandbox) as conn:
            conn.query("select Last_Name from Leads limit 10").to_parquet(
                tmp_path / "leads-2024-06-02.parquet"
            )
        assert partials(tmp_path) == [theirs.name]
    finally:
        live.kill()
        live.wait()
