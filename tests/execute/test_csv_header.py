"""A bulk-read CSV's header is matched to the field paths exactly, and else but for case:
Zoho does not document whether the id column is headed ``id`` or ``Id``, and a reader that
knew only ``id`` would fail every bulk read on the first page if it were ``Id``."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from coqlkit.errors import CoqlError
from coqlkit.execute.arrow import UNEXPECTED_VALUE, csv_to_batches, schema
from tests.execute.test_arrow import col

COLUMNS = [col("Leads", "id"), col("Leads", "Last_Name"), col("Leads", "Owner")]
EXPECTED = [
    {"id": "1", "Last_Name": "Smith", "Owner": {"id": "7", "name": "Ann Lee"}},
    {"id": "2", "Last_Name": None, "Owner": None},
]


@pytest.mark.parametrize(
    "header",
    [
        b"id,Last_Name,Owner,Owner.full_name",  # the sandbox's
        b"Id,Last_Name,Owner,Owner.full_name",
        b"ID,last_name,OWNER,owner.Full_Name",
        b"\xef\xbb\xbfId,Last_Name,Owner,Owner.full_name",  # with a UTF-8 byte-order mark
        b"Id,Last_Name,Owner,Owner.full_name\r",  # CRLF line ends
    ],
)
def test_a_header_that_differs_only_in_case_reads(header: bytes) -> None:
    end = b"\r\n" if header.endswith(b"\r") else b"\n"
    data = header.rstrip(b"\r") + end + b"1,Smith,7,Ann Lee" + end + b"2,,," + end
    (batch,) = csv_to_batches(io.BytesIO(data), COLUMNS, schema(COLUMNS))
    assert batch.to_pylist() == EXPECTED


def test_a_file_on_disk_with_an_id_header_reads(tmp_path: Path) -> None:
    path = tmp_path / "job.csv"
    path.write_bytes(b"Id,Last_Name,Owner,Owner.full_name\n1,Smith,7,Ann Lee\n2,,,\n")
    (batch,) = csv_to_batches(path, COLUMNS, schema(COLUMNS))
    assert batch.to_pylist() == EXPECTED


def test_many_blocks_after_the_header_read_whole() -> None:
    rows = b"".join(b"%d,Name%d,7,Ann Lee\n" % (i, i) for i in range(20_000))
    batches = list(
        csv_to_batches(
            io.BytesIO(b"Id,Last_Name,Owner,Owner.full_name\n" + rows),
            COLUMNS,
            schema(COLUMNS),
            block_size=1 << 14,
        )
    )
    assert len(batches) > 1
    ids = [row["id"] for batch in batches for row in batch.to_pylist()]
    assert ids == [str(i) for i in range(20_000)]


def test_the_exact_name_wins_over_one_that_differs_in_case() -> None:
    data = b"ID,id,Last_Name,Owner,Owner.full_name\nx,1,Smith,7,Ann Lee\ny,2,,,\n"
    (batch,) = csv_to_batches(io.BytesIO(data), COLUMNS, schema(COLUMNS))
    assert batch.to_pylist() == EXPECTED


def test_two_columns_that_match_only_but_for_case_are_an_error_naming_both() -> None:
    data = b"ID,Id,Last_Name,Owner,Owner.full_name\n1,1,Smith,7,Ann Lee\n"
    with pytest.raises(CoqlError, match=r"no column 'id' but 'ID' and 'Id'") as info:
        csv_to_batches(io.BytesIO(data), COLUMNS, schema(COLUMNS))
    assert info.value.code == UNEXPECTED_VALUE


def test_a_column_missing_in_any_case_is_still_reported() -> None:
    with pytest.raises(CoqlError, match=r"lacks a column.*Last_Name"):
        csv_to_batches(io.BytesIO(b"Id,Owner,Owner.full_name\n1,7,Ann Lee\n"), COLUMNS, schema(COLUMNS))


@pytest.mark.parametrize("where", ["stream", "file"])
@pytest.mark.parametrize(
    ("data", "rows"),
    [
        (b"id,Last_Name,Owner,Owner.full_name\r1,Smith,7,Ann Lee\r2,,,\r", 2),  # lone CR line ends
        (
            b'id,"Odd\nName",Last_Name,Owner,Owner.full_name\n1,x,Smith,7,Ann Lee\n',
            1,
        ),  # a line break in a name
        (b"", 0),  # an empty file: no rows
    ],
)
def test_headers_arrow_reads_are_read(tmp_path: Path, where: str, data: bytes, rows: int) -> None:
    """What Arrow's reader took before the header was read ahead of it: CR line ends (a
    raw csv.Error), a quoted line break in a column's name (0 rows, silently)."""
    source: Any = io.BytesIO(data)
    if where == "file":
        source = tmp_path / "job.csv"
        source.write_bytes(data)
    read = list(csv_to_batches(source, COLUMNS, schema(COLUMNS)))
    assert sum(b.num_rows for b in read) == rows
    if rows:
        assert read[0].to_pylist()[0] == EXPECTED[0]


def test_a_header_cut_short_is_an_error_not_an_empty_result() -> None:
    with pytest.raises(CoqlError) as caught:
        list(csv_to_batches(io.BytesIO(b"id,Last_Na"), COLUMNS, schema(COLUMNS)))
    assert caught.value.code == UNEXPECTED_VALUE
