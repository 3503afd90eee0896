"""A daemon thread mid-query when the interpreter exits (a service's background poller)
ends silently, as Python ends daemon threads: the connection's exit finalizer closed the
connection under it, and its CONNECTION_CLOSED printed a traceback ("Exception in thread
crm-poller: ... this connection was closed while it was in use") on every clean shutdown
(review 8, embed #5). A thread that closes a connection under another still gives that
other CONNECTION_CLOSED (tests/api/test_conc_*)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from coqlkit.sandbox.server import Sandbox


def test_a_daemon_thread_mid_query_at_exit_prints_nothing(sandbox: Sandbox) -> None:
    script = """
    import threading, time, coqlkit
    conn = coqlkit.connect()
    started = threading.Event()
    def poller():
        while True:
            started.set()
            conn.query("select Last_Name, Email from Leads").to_arrow()
    threading.Thread(target=poller, daemon=True, name="crm-poller").start()
    started.wait()
    time.sleep(0.3)
    print("main done", flush=True)
    """
    for _ in range(3):  # (the exit lands mid-query most times: each run must be silent)
        ran = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(script)],
            env={**os.environ, **sandbox.environment(), "COQLKIT_TOKEN_STORE": "memory"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (ran.returncode, ran.stdout) == (0, "main done\n"), ran
        assert ran.stderr == "", ran.stderr
