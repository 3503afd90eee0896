"""Streaming exports that never leave half a file: Parquet and CSV, written atomically.

The rows go into a hidden temporary file beside the target (``.name.XXXX.partial``), as
they arrive; only when the last one is written (and flushed to disk) does the temporary
take the target's name, in one ``os.replace``. An error, a cancelled task or Ctrl-C
removes the temporary and leaves any earlier file at the target untouched.

Parquet keeps every Arrow type (picklists as dictionaries, lookups as structs,
multi-selects as lists, decimals, time-zoned timestamps). CSV has only text, so there a
lookup becomes two columns (``Owner.name``, ``Owner.id``), a multi-select its values
joined with ``;``, a datetime ISO 8601 text with its offset (``2024-05-01T09:30:00-07:00``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from coqlkit.execute.arrow import empty_batch

__all__ = ["atomic_path", "csv_table", "empty_batch", "iso_text", "write_csv", "write_parquet"]

#: Rows buffered before a Parquet row group is written (bounds memory, keeps groups large).
ROW_GROUP_ROWS = 65_536


class atomic_path:
    """A temporary path beside ``target`` that becomes ``target`` when the block succeeds.

    The file gets the permissions a plain ``open(target, "w")`` would give it: those of the
    file it replaces, or else what the umask allows (not ``mkstemp``'s owner-only 0600).
    """

    def __init__(self, target: str | os.PathLike[str]) -> None:
        self.target = Path(target)
        self.temp: Path | None = None

    def __enter__(self) -> Path:
        parent = self.target.parent
        parent.mkdir(parents=True, exist_ok=True)
        for _ in range(100):
            temp = parent / f".{self.target.name}.{secrets.token_hex(4)}.partial"
            try:  # O_EXCL: a name of our own; 0o666 less the umask, as open() would
                fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:  # pragma: no cover - 32 random bits taken
                continue
            os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                shutil.copymode(self.target, temp)  # a file replaced keeps its permissions
            self.temp = temp
            return temp
        raise FileExistsError(f"no free temporary name beside {self.target}")  # pragma: no cover

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        assert self.temp is not None
        if kind is not None:
            self.temp.unlink(missing_ok=True)
            return
        try:
            with open(self.temp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(self.temp, self.target)
        except BaseException:
            self.temp.unlink(missing_ok=True)
            raise


async def _write(
    batches: AsyncIterator[pa.RecordBatch],
    path: str | os.PathLike[str],
    open_writer: Callable[[Path], Any],
    convert: Callable[[pa.Table], pa.Table],
    rows_per_write: int,
) -> Path:
    target = Path(path)
    with atomic_path(target) as temp:
        writer = await asyncio.to_thread(open_writer, temp)
        try:
            pending: list[pa.RecordBatch] = []
            held = 0
            async for batch in batches:
                pending.append(batch)
                held += batch.num_rows
                if held >= rows_per_write:
                    table = convert(pa.Table.from_batches(pending))
                    await asyncio.to_thread(writer.write_table, table)
                    pending, held = [], 0
            if pending:
                table = convert(pa.Table.from_batches(pending))
                await asyncio.to_thread(writer.write_table, table)
        finally:
            await asyncio.to_thread(writer.close)
    return target


async def write_parquet(
    batches: AsyncIterator[pa.RecordBatch],
    schema: pa.Schema,
    path: str | os.PathLike[str],
    *,
    compression: str = "zstd",
    row_group_rows: int = ROW_GROUP_ROWS,
    **options: Any,
) -> Path:
    """Write the batches (of ``schema``) to a Parquet file at ``path``, atomically."""
    import pyarrow.parquet as pq

    def open_writer(temp: Path) -> Any:
        return pq.ParquetWriter(temp, schema, compression=compression, **options)

    return await _write(batches, path, open_writer, lambda t: t, row_group_rows)


def iso_text(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Timestamps as ISO 8601 text, with ``+hh:mm`` when they have a time zone."""
    if column.type.tz is None:
        return pc.strftime(column, format="%Y-%m-%dT%H:%M:%S")
    text = pc.strftime(column, format="%Y-%m-%dT%H:%M:%S%z")
    return pc.replace_substring_regex(text, pattern=r"([+-]\d\d)(\d\d)$", replacement=r"\1:\2")


def csv_table(table: pa.Table) -> pa.Table:
    """``table`` with only types CSV can hold (see the module's docstring)."""
    names: list[str] = []
    arrays: list[Any] = []
    for field, column in zip(table.schema, table.columns, strict=True):
        kind = field.type
        if pa.types.is_struct(kind):  # a lookup: its name first, as people read it
            subs = sorted((sub.name for sub in kind), key=lambda n: n != "name")
            for sub in subs:
                names.append(f"{field.name}.{sub}")
                arrays.append(pc.struct_field(column, sub))
            continue
        if pa.types.is_dictionary(kind):
            column = column.cast(kind.value_type)
        elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
            column = pc.binary_join(column, ";")
        elif pa.types.is_timestamp(kind) and kind.tz:
            column = iso_text(column)
        elif pa.types.is_decimal(kind):
            column = column.cast(pa.string())
        names.append(field.name)
        arrays.append(column)
    return pa.table(arrays, names=names)


async def write_csv(
    batches: AsyncIterator[pa.RecordBatch],
    schema: pa.Schema,
    path: str | os.PathLike[str],
    *,
    include_header: bool = True,
    delimiter: str = ",",
) -> Path:
    """Write the batches (of ``schema``) to a CSV file at ``path``, atomically."""
    import pyarrow.csv as pcsv

    out_schema = csv_table(schema.empty_table()).schema

    def open_writer(temp: Path) -> Any:
        options = pcsv.WriteOptions(include_header=include_header, delimiter=delimiter)
        return pcsv.CSVWriter(temp, out_schema, write_options=options)

    def convert(table: pa.Table) -> pa.Table:
        return csv_table(table).cast(out_schema)

    return await _write(batches, path, open_writer, convert, 10_000)
