"""Exports to symbolic links (review 7, export 6) write through them, as the shell's ``>``
does: the file the link names is replaced (atomically, from a temporary beside it), and the
link stays. ``latest.csv -> snap/2024-01-01.csv`` was replaced by a regular file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import coqlkit
from coqlkit import export
from coqlkit.sandbox.server import Sandbox


def test_an_export_to_a_link_writes_the_file_it_names(sandbox: Sandbox, tmp_path: Path) -> None:
    (tmp_path / "snap").mkdir()
    dated = tmp_path / "snap" / "2024-01-01.csv"
    dated.write_text("yesterday\n", encoding="utf-8")
    os.chmod(dated, 0o640)
    latest = tmp_path / "latest.csv"
    latest.symlink_to(Path("snap") / "2024-01-01.csv")  # relative, as ln -s makes it
    with coqlkit.connect(sandbox=sandbox) as conn:
        written = conn.query("select Last_Name from Leads order by id limit 3").to_csv(latest)
    assert written == latest
    assert latest.is_symlink() and os.readlink(latest) == os.path.join("snap", "2024-01-01.csv")
    assert dated.read_text(encoding="utf-8").splitlines()[0] == "id,Last_Name"
    assert len(dated.read_text(encoding="utf-8").splitlines()) == 4
    assert dated.stat().st_mode & 0o777 == 0o640  # the file replaced keeps its mode
    assert sorted(os.listdir(tmp_path)) == ["latest.csv", "snap"]
    assert os.listdir(tmp_path / "snap") == ["2024-01-01.csv"]


def test_a_link_to_a_link_and_a_link_to_no_file_yet(sandbox: Sandbox, tmp_path: Path) -> None:
    (tmp_path / "share").mkdir()
    final = tmp_path / "share" / "leads.parquet"  # not there yet: the shell's > creates it
    (tmp_path / "current.parquet").symlink_to(final)
    (tmp_path / "latest.parquet").symlink_to(tmp_path / "current.parquet")
    with coqlkit.connect(sandbox=sandbox) as conn:
        conn.query("select Last_Name from Leads limit 7").to_parquet(tmp_path / "latest.parquet")
    assert (tmp_path / "latest.parquet").is_symlink() and (tmp_path / "current.parquet").is_symlink()
    assert pq.read_table(final).num_rows == 7


@pytest.mark.parametrize(
    ("name", "reason"), [("to-dir.csv", "Is a directory"), ("to-nowhere.csv", "gone does not exist")]
)
def test_the_target_check_looks_where_the_link_points(tmp_path: Path, name: str, reason: str) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "to-dir.csv").symlink_to(tmp_path / "dir")
    (tmp_path / "to-nowhere.csv").symlink_to(tmp_path / "gone" / "x.csv")
    (tmp_path / "to-file.csv").symlink_to(tmp_path / "dir" / "x.csv")
    assert export.check_target(tmp_path / "to-file.csv") == tmp_path / "to-file.csv"  # named as given
    with pytest.raises(export.TargetError, match=reason) as refused:
        export.check_target(tmp_path / name)
    assert refused.value.filename == str(tmp_path / name)


def cli_env(sandbox: Sandbox, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOHO_", "COQLKIT_"))}
    env.update(sandbox.environment(), XDG_DATA_HOME=str(home / "data"))
    env.update(XDG_CONFIG_HOME=str(home / "config"), XDG_CACHE_HOME=str(home / "cache"))
    return env


@pytest.mark.parametrize("target", ["a.csv", "through/x.csv"])
def test_a_loop_of_links_is_refused_before_anything_is_spent(
    sandbox: Sandbox, tmp_path: Path, target: str
) -> None:
    # a.csv -> b.csv -> a.csv names no file: the export read every row (credits spent), then
    # failed on a raw OSError naming the resolved path.
    (tmp_path / "a.csv").symlink_to("b.csv")
    (tmp_path / "b.csv").symlink_to("a.csv")
    (tmp_path / "through").symlink_to("a.csv")  # a loop on the way to the file
    with pytest.raises(export.TargetError, match="Too many levels of symbolic links") as refused:
        export.check_target(tmp_path / target)
    assert refused.value.filename == str(tmp_path / target)
    ran = subprocess.run(
        [sys.executable, "-m", "coqlkit", "export", "select Last_Name from Leads limit 3", target],
        cwd=tmp_path,
        env=cli_env(sandbox, tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 2, ran.stderr
    assert ran.stderr.startswith(f"coqlkit: error: {target}: Too many levels of symbolic links"), ran.stderr
    assert "spent" not in ran.stderr and "Traceback" not in ran.stderr
    assert sorted(os.listdir(tmp_path)) == ["a.csv", "b.csv", "through"]
    with coqlkit.connect(sandbox=sandbox) as conn, pytest.raises(export.TargetError):
        conn.query("select Last_Name from Leads limit 3").to_csv(tmp_path / target)


def writable(directory: Path) -> bool:
    trial = directory / "trial.csv"
    try:
        trial.write_text("")
    except OSError:
        return False
    trial.unlink()
    return True


def test_a_link_into_a_directory_that_cannot_be_written_says_so(tmp_path: Path) -> None:
    # The shell's > only needs the file to be writable; an export replaces the file from a
    # temporary beside it, so needs its directory: the refusal says which directory that is.
    closed = tmp_path / "ro"
    closed.mkdir()
    closed.chmod(0o555)
    try:
        if writable(closed):  # root writes anywhere, but not in /sys
            closed = Path("/sys")
            if not closed.is_dir() or writable(closed):
                pytest.skip("no directory this user cannot write in")
        (tmp_path / "latest.csv").symlink_to(closed / "latest.csv")
        with pytest.raises(export.TargetError) as refused:
            export.check_target(tmp_path / "latest.csv")
    finally:
        (tmp_path / "ro").chmod(0o755)
    assert refused.value.filename == str(tmp_path / "latest.csv")
    assert refused.value.strerror == (
        f"cannot write in {closed} (the directory of the file latest.csv links to): Permission denied"
    )
