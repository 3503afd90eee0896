"""An export's file errors are ``coqlkit.CoqlError`` as well as ``OSError`` (README
"Errors": every error coqlkit raises is a CoqlError): ``except coqlkit.CoqlError`` around
``result.to_parquet(...)`` catches a full disk (``ExportError``, ``.code ==
"WRITE_FAILED"``) and a target that cannot be written (``TargetError``, ``"INVALID_TARGET"``);
both pickle with their attributes (review 8, embed #3)."""

from __future__ import annotations

import copy
import errno
import os
import pickle
from pathlib import Path

import pyarrow as pa
import pytest

import coqlkit
from coqlkit import export


def test_a_target_that_cannot_be_written_is_a_coql_error(conn: coqlkit.Connection, tmp_path: Path) -> None:
    fifo = tmp_path / "rows.csv"
    os.mkfifo(fifo)
    with pytest.raises(coqlkit.CoqlError) as caught:
        conn.query("select Last_Name from Leads limit 5").to_csv(fifo)
    error = caught.value
    assert isinstance(error, export.TargetError) and isinstance(error, OSError)
    assert error.code == "INVALID_TARGET" and error.filename == str(fifo)
    assert error.message == f"{fifo}: not a regular file (an export replaces the file it writes)"


def test_a_full_disk_is_a_coql_error_naming_the_target(tmp_path: Path) -> None:
    target = tmp_path / "leads.csv"
    target.write_text("the earlier export\n")
    schema = pa.schema([("Last_Name", pa.string())])

    def full(temp: Path) -> object:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(coqlkit.CoqlError) as caught:
        export.write_batches(
            [pa.record_batch([pa.array(["Chavez"])], schema=schema)], schema, target, opener=full
        )
    error = caught.value
    assert isinstance(error, export.ExportError) and error.errno == errno.ENOSPC
    assert error.code == "WRITE_FAILED" and error.filename == str(target)
    assert target.read_text() == "the earlier export\n"


@pytest.mark.parametrize(
    "error",
    [
        export.ExportError(errno.ENOSPC, "No space left on device (nothing written)", "leads.csv"),
        export.TargetError(errno.ENOENT, "No such file or directory (d does not exist)", "d/x.csv"),
    ],
    ids=["ExportError", "TargetError"],
)
def test_they_pickle_and_copy_with_their_attributes(error: OSError) -> None:
    if isinstance(error, export.TargetError):
        error.missing = Path("d")
    for back in (pickle.loads(pickle.dumps(error)), copy.copy(error), copy.deepcopy(error)):
        assert type(back) is type(error)
        assert (back.errno, back.strerror, back.filename, str(back)) == (
            error.errno,
            error.strerror,
            error.filename,
            str(error),
        )
        assert vars(back) == vars(error)
        assert isinstance(back, coqlkit.CoqlError) and back.code == error.code  # type: ignore[attr-defined]
