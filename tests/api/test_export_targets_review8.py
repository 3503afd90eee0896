"""``Result.to_parquet()`` and ``to_csv()`` check their target as ``coqlkit export`` checks
its TARGET, before a row is read: a device node or a FIFO is refused (replacing it with a
regular file broke ``/dev/full`` for every process in a container run as root), and so is a
missing directory unless ``mkdir=True`` (the CLI's ``--mkdir``)."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import coqlkit
from coqlkit import export
from coqlkit.sandbox.server import Sandbox
from tests.api._support import RequestLog

QUERY = "select Last_Name, No_of_Employees from Leads limit 5"


def planned(conn: coqlkit.Connection, log: RequestLog) -> coqlkit.Result:
    """A result whose query is planned; the log marked after it: what reading it sends."""
    result = conn.query(QUERY)
    log.mark()
    return result


@pytest.mark.parametrize("write", ["to_csv", "to_parquet"])
def test_a_fifo_is_refused_before_a_row_is_read_and_stays_a_fifo(
    conn: coqlkit.Connection, log: RequestLog, tmp_path: Path, write: str
) -> None:
    fifo = tmp_path / "rows.csv"
    os.mkfifo(fifo)
    with pytest.raises(export.TargetError) as caught:
        getattr(planned(conn, log), write)(fifo)
    assert "not a regular file" in str(caught.value)
    assert caught.value.filename == str(fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # not replaced by a file
    assert log.coql() == []  # nothing read, nothing spent
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.csv"]  # no temporary left


def test_a_character_device_is_refused_and_left_alone(
    conn: coqlkit.Connection, log: RequestLog, tmp_path: Path
) -> None:
    """The review's case: a node like /dev/null (made in a scratch directory, not the real one)."""
    node = tmp_path / "mynull"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root")
    with pytest.raises(export.TargetError, match="not a regular file"):
        planned(conn, log).to_parquet(node)
    assert stat.S_ISCHR(os.lstat(node).st_mode)
    assert log.coql() == []


def test_a_directory_is_refused_before_a_row_is_read(
    conn: coqlkit.Connection, log: RequestLog, tmp_path: Path
) -> None:
    with pytest.raises(export.TargetError, match="Is a directory"):
        planned(conn, log).to_csv(tmp_path)
    assert log.coql() == []


def test_a_missing_directory_is_refused_unless_mkdir(
    conn: coqlkit.Connection, log: RequestLog, tmp_path: Path
) -> None:
    target = tmp_path / "no" / "dir" / "leads.parquet"
    with pytest.raises(export.TargetError) as caught:
        planned(conn, log).to_parquet(target)
    assert caught.value.missing == target.parent
    assert (
        caught.value.strerror
        == f"No such file or directory ({target.parent} does not exist; mkdir=True creates it)"
    )
    assert not (tmp_path / "no").exists()  # nothing created unasked
    assert log.coql() == []

    written = planned(conn, log).to_parquet(target, mkdir=True)
    assert written == target
    assert pq.read_table(target).num_rows == 5


def test_the_async_api_checks_the_target_too(sandbox: Sandbox, tmp_path: Path) -> None:
    fifo = tmp_path / "rows.csv"
    os.mkfifo(fifo)

    async def main() -> None:
        async with await coqlkit.connect_async(sandbox=sandbox) as conn:
            result = await conn.query(QUERY)
            with pytest.raises(export.TargetError, match="not a regular file"):
                await result.to_csv(fifo)
            assert result.stats.calls == 0  # the read never began
            written = await result.to_csv(tmp_path / "d" / "rows.csv", mkdir=True)
            assert written.read_text().startswith("id,Last_Name,No_of_Employees\n")

    asyncio.run(main())
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
