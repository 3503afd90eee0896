"""coqlkit's warnings on its log are its caller's to show: with no handler configured, none
reaches standard error through Python's last-resort handler (a bulk job outlasting its
polls printed a bare line in a service or notebook; own-diff review B #5)."""

from __future__ import annotations

import subprocess
import sys


def test_a_warning_on_coqlkits_log_prints_nothing_without_a_handler() -> None:
    script = (
        "import logging, coqlkit\n"
        "logging.getLogger('coqlkit.execute.bulk').warning('the job outlasts its polls')\n"
        "logging.getLogger('elsewhere').warning('not coqlkit')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stderr == "not coqlkit\n"  # (the last-resort handler still serves others)
