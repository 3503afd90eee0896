"""An export whose metadata cache cannot be written still writes its file (review 7,
export 2): a full or read-only ``~/.cache`` made every export fail with exit 2 and
``coqlkit: file: No space left on device``, after spending its credits."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import warnings
from pathlib import Path

import coqlkit
from coqlkit.errors import CoqlWarning
from coqlkit.sandbox.server import Sandbox


def blocked_home(tmp_path: Path) -> Path:
    """An XDG_CACHE_HOME under which no directory can be made: a file stands there."""
    (tmp_path / "home").write_text("not a directory\n", encoding="utf-8")
    return tmp_path / "home" / "cache"


def test_the_cli_export_warns_and_writes_the_file(sandbox: Sandbox, tmp_path: Path) -> None:
    cache = blocked_home(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOHO_", "COQLKIT_"))}
    env.update(sandbox.environment())
    env.update(XDG_CACHE_HOME=str(cache), XDG_CONFIG_HOME=str(tmp_path / "config"))
    env.update(XDG_DATA_HOME=str(tmp_path / "data"))
    target = tmp_path / "leads.csv"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "coqlkit",
            "export",
            "select Last_Name, Owner from Leads limit 300",
            str(target),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    with open(target, newline="", encoding="utf-8") as file:
        assert len(list(csv.DictReader(file))) == 300
    warned = [line for line in done.stderr.splitlines() if "metadata cache" in line]
    assert warned == [
        f"coqlkit: warning: cannot write the metadata cache in {cache / 'coqlkit' / 'metadata'}: "
        "Not a directory; the metadata is kept in memory and fetched again by the next run "
        "(XDG_CACHE_HOME, or connect(cache_dir=...), puts the cache elsewhere)"
    ]


def test_the_api_queries_on_with_an_unwritable_cache_dir(sandbox: Sandbox, tmp_path: Path) -> None:
    cache_dir = blocked_home(tmp_path) / "metadata"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with coqlkit.connect(sandbox=sandbox, cache_dir=cache_dir) as conn:
            written = conn.query("select Last_Name from Leads order by id limit 5").to_csv(
                tmp_path / "five.csv"
            )
            assert len(conn.query("select Email from Leads limit 3").to_arrow()) == 3
    told = [str(w.message) for w in caught if issubclass(w.category, CoqlWarning)]
    assert len(told) == 1 and told[0].startswith(f"cannot write the metadata cache in {cache_dir}: ")
    assert written.read_text(encoding="utf-8").count("\n") == 6
