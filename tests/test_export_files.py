"""coqlkit.export on its own (no server): a cancelled export waits for the write in flight,
Arrow files of many pages, targets refused before anything is spent, and failures of the
disk named after the target."""

from __future__ import annotations

import asyncio
import errno
import os
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from coqlkit import export

PICKLIST = pa.dictionary(pa.int32(), pa.string())
SCHEMA = pa.schema([("id", pa.string()), ("Lead_Status", PICKLIST), ("n", pa.int64())])


def page(start: int, rows: int, values: list[str]) -> pa.RecordBatch:
    """A page as the executor yields it: its picklist column with a dictionary of its own."""
    status = pa.array([values[i % len(values)] for i in range(rows)]).dictionary_encode()
    return pa.record_batch(
        [pa.array([str(start + i) for i in range(rows)]), status, pa.array(range(start, start + rows))],
        schema=SCHEMA,
    )


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# ---- Ctrl-C while a write is in flight -------------------------------------------------------------


class SlowWriter(pq.ParquetWriter):
    """A ParquetWriter whose writes take a while, and which records what happened when."""

    events: ClassVar[list[str]] = []
    writing = threading.Event()

    def write_table(self, table: pa.Table, *args: Any, **kwargs: Any) -> None:
        self.events.append("write")
        self.writing.set()
        time.sleep(0.4)
        super().write_table(table, *args, **kwargs)
        self.events.append("written")

    def close(self) -> None:
        self.events.append("close")
        super().close()


def test_a_cancelled_export_waits_for_the_write_in_flight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelling the task must not close the writer (nor remove its file) while a worker
    thread still writes with it: that is a use-after-close in Arrow's C++ (a segfault). The
    stream is closed too, so that a bulk read's downloads go at once."""
    SlowWriter.events = []
    SlowWriter.writing = threading.Event()
    monkeypatch.setattr(pq, "ParquetWriter", SlowWriter)
    target = tmp_path / "leads.parquet"
    target.write_bytes(b"old")
    closed = []

    async def batches() -> AsyncIterator[pa.RecordBatch]:
        try:
            yield page(0, 100, ["Contacted"])
            await asyncio.sleep(30)  # the next page never comes
            yield page(100, 100, ["Contacted"])
        finally:
            closed.append(True)

    async def main() -> None:
        task = asyncio.create_task(export.write_parquet(batches(), SCHEMA, target, row_group_rows=1))
        await asyncio.to_thread(SlowWriter.writing.wait, 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert SlowWriter.events == ["write", "written", "close"]  # closed once the write ended
        assert closed == [True]  # the stream ended with the export, not when collected

    asyncio.run(main())
    assert listing(tmp_path) == ["leads.parquet"] and target.read_bytes() == b"old"


# ---- Arrow IPC files ------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".arrow", ".feather"])
def test_an_arrow_file_of_many_pages_has_one_dictionary_per_picklist(tmp_path: Path, suffix: str) -> None:
    """Each page brings its own picklist dictionary; the IPC file format takes one."""
    pages = [
        page(0, 2000, ["Contacted", "Junk Lead"]),
        page(2000, 2000, ["Not Contacted", "Contacted"]),
        page(4000, 500, ["Lost Lead"]),
        export.empty_batch(SCHEMA),
    ]
    target = tmp_path / f"leads{suffix}"
    assert export.write_batches(iter(pages), SCHEMA, target) == 4500
    with pa.ipc.open_file(str(target)) as reader:
        table = reader.read_all()
    assert table.schema == SCHEMA
    expected = pa.Table.from_batches(pages, schema=SCHEMA)
    assert table.to_pylist() == expected.to_pylist()
    assert listing(tmp_path) == [target.name]


def test_an_async_arrow_export(tmp_path: Path) -> None:
    async def batches() -> AsyncIterator[pa.RecordBatch]:
        for start in range(0, 6000, 2000):
            yield page(start, 2000, ["Contacted", "Pre-Qualified"][start // 2000 % 2 :])

    target = tmp_path / "x.arrow"
    asyncio.run(export.write_arrow(batches(), SCHEMA, target))
    with pa.ipc.open_file(str(target)) as reader:
        assert reader.read_all().num_rows == 6000


def test_the_leftovers_of_a_killed_export_are_removed_by_the_next(tmp_path: Path) -> None:
    # SIGKILL (the OOM killer, an evicted pod) runs no clean-up: the next export into the
    # same directory removes what that process left, once an hour old, whatever its target
    # (a dated name is never written again), and nothing of a live one or another machine's.
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    target = tmp_path / "leads.parquet"
    host = export._HOST
    stale = tmp_path / f".leads.parquet.{host}-{gone.pid}.1a2b3c4d.partial"
    live = tmp_path / f".leads.parquet.{host}-{os.getpid()}.5e6f7a8b.partial"
    elsewhere = tmp_path / f".leads.parquet.0123abcd-{gone.pid}.9c0d1e2f.partial"
    other_target = tmp_path / f".other.parquet.{host}-{gone.pid}.3a4b5c6d.partial"
    young = tmp_path / f".leads.parquet.{host}-{gone.pid}.7e8f9a0b.partial"  # killed a minute ago?
    for path in (stale, live, elsewhere, other_target, young):
        path.write_bytes(b"half a file")
        if path != young:  # older than the hour a sweep waits (the lock aside)
            then = time.time() - 2 * 3600
            os.utime(path, (then, then))
    assert export.write_batches(iter([page(0, 10, ["Contacted"])]), SCHEMA, target) == 10
    assert listing(tmp_path) == sorted(p.name for p in (target, live, elsewhere, young))


# ---- the target ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "path", "reason"),
    [
        (lambda d: (d / "dir.parquet").mkdir(), "dir.parquet", "Is a directory"),
        (lambda d: (d / "file").write_text("x"), "file/x.parquet", "Not a directory (%s/file is a file)"),
        (lambda d: None, "no/such/x.parquet", "No such file or directory (%s/no/such does not exist)"),
        (lambda d: None, "s3://bucket/x.parquet", "a URL: coqlkit writes local files"),
        (lambda d: None, "/dev/null", "not a regular file"),
    ],
)
def test_a_target_that_cannot_be_written_is_refused(
    tmp_path: Path, make: Any, path: str, reason: str
) -> None:
    make(tmp_path)
    target = path if "://" in path or path.startswith("/") else str(tmp_path / path)
    with pytest.raises(export.TargetError) as raised:
        export.check_target(target)
    assert raised.value.filename == target
    assert (reason % tmp_path if "%s" in reason else reason) in str(raised.value.strerror)
    assert not (tmp_path / "no").exists() and not Path("s3:").exists()


def test_a_read_only_directory_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "ro" / "x.csv"
    target.parent.mkdir()
    target.parent.chmod(0o555)
    try:
        if os.access(target.parent, os.W_OK):  # root writes anywhere
            pytest.skip("this user may write in a read-only directory")
        with pytest.raises(export.TargetError, match="cannot write in"):
            export.check_target(target)
    finally:
        target.parent.chmod(0o755)


def test_mkdir_creates_the_missing_directory(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "x.csv"
    assert export.check_target(target, mkdir=True) == target
    assert listing(target.parent) == []  # the trial file is gone
    with pytest.raises(export.TargetError, match="does not exist"):
        export.write_batches(iter([page(0, 3, ["x"])]), SCHEMA, tmp_path / "c" / "x.csv", mkdir=False)


def test_a_full_disk_names_the_target_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "leads.parquet"
    target.write_bytes(b"old")

    class FullDisk(pq.ParquetWriter):
        def write_table(self, table: pa.Table, *args: Any, **kwargs: Any) -> None:
            raise OSError("Error writing bytes to file. Detail: [errno 28] No space left on device")

    monkeypatch.setattr(pq, "ParquetWriter", FullDisk)
    with pytest.raises(export.ExportError) as raised:
        export.write_batches(iter([page(0, 10, ["x"])]), SCHEMA, target)
    assert raised.value.filename == str(target) and raised.value.errno == errno.ENOSPC
    assert raised.value.strerror.startswith("No space left on device")
    assert listing(tmp_path) == ["leads.parquet"] and target.read_bytes() == b"old"


def test_verify_refusing_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "leads.csv"
    target.write_text("old")

    def verify() -> None:
        raise RuntimeError("short")

    with pytest.raises(RuntimeError, match="short"):
        export.write_batches(iter([page(0, 10, ["x"])]), SCHEMA, target, verify=verify)
    assert listing(tmp_path) == ["leads.csv"] and target.read_text() == "old"


def test_the_formats_by_extension() -> None:
    assert [
        export.format_of(f"x{s}") for s in (".parquet", ".CSV", ".json", ".jsonl", ".arrow", ".feather")
    ] == [
        "parquet",
        "csv",
        "json",
        "jsonl",
        "arrow",
        "arrow",
    ]
    assert export.format_of("x.xlsx") is None and export.format_of("x") is None


def test_the_readme_says_what_type_a_parquet_datetime_has(tmp_path: Path) -> None:
    """Parquet has no seconds unit: a datetime comes back in milliseconds, and the README's
    type table says so (schema contracts compare exact types)."""
    schema = pa.schema([("id", pa.string()), ("Created_Time", pa.timestamp("s", "America/Los_Angeles"))])
    batch = pa.record_batch(
        [pa.array(["1"]), pa.array([0], pa.timestamp("s", "America/Los_Angeles"))], schema=schema
    )
    export.write_batches(iter([batch]), schema, tmp_path / "x.parquet")
    kept = pq.read_table(tmp_path / "x.parquet").schema.field("Created_Time").type
    assert str(kept) == "timestamp[ms, tz=America/Los_Angeles]"
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| datetime |"))
    assert "Parquet" in row and "`timestamp[ms, tz]`" in row


@pytest.mark.parametrize(
    ("name", "example"),
    [("f.csv", "f.csv/rows.csv"), ("x.JSONL", "x.JSONL/rows.JSONL"), ("out", "out/rows.parquet")],
)
def test_a_directory_s_suggested_file_keeps_the_format_given(tmp_path: Path, name: str, example: str) -> None:
    # f.csv -> dd/ (a link to a directory): the suggestion was f.csv/rows.parquet, another
    # format than the one chosen; a directory named without a format keeps the example's.
    (tmp_path / "dd").mkdir()
    (tmp_path / name).symlink_to("dd")
    problem = export.no_format(tmp_path / name, "rows.parquet")
    assert problem == f"{tmp_path / name}: Is a directory (give the file's name: {tmp_path / example})"
    ran = subprocess.run(
        [sys.executable, "-m", "coqlkit", "export", "select Last_Name from Leads", name],
        cwd=tmp_path,
        env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (ran.returncode, ran.stderr) == (
        2,
        f"coqlkit: error: {name}: Is a directory (give the file's name: {example})\n",
    )
