"""A query's rows as DataFrames: :func:`pandas_frame` and :func:`polars_frame`, with the
conversions they make (lookups as names, columns or structs; decimals as floats or exact;
picklists as categoricals in Zoho's order) and :func:`ambiguous_lookups`, the lookup
columns whose names alone would merge records. ``Result.to_pandas`` and the notebook's
magics use them; pandas and Polars are imported only when a frame is asked for.
"""

from __future__ import annotations

import difflib
import inspect
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from coqlkit.errors import AmbiguousLookupWarning, CoqlError, OptionError
from coqlkit.plan import Plan

if TYPE_CHECKING:  # pragma: no cover
    import pandas
    import polars


DECIMALS = ("float", "decimal", "arrow")
LOOKUPS = ("name", "flatten", "struct")
#: Zoho's picklist entry for "no value" (records hold null instead).
_NO_VALUE = "-None-"


def pandas_options(
    decimals: str, lookups: str, options: Iterable[str] = (), *, where: str = "to_pandas()"
) -> None:
    """Refuse what :func:`pandas_frame` cannot take, before anything is read: a ``decimals``
    or ``lookups`` it does not know, an option that neither it nor
    ``pyarrow.Table.to_pandas`` takes. An :class:`~coqlkit.OptionError` (a ``CoqlError``,
    ``TypeError`` and ``ValueError``), as ``query()`` refuses its options.

    >>> pandas_options("float", "name", ["date_as_objet"])
    Traceback (most recent call last):
    ...
    coqlkit.errors.OptionError: to_pandas() takes no option 'date_as_objet' (did you mean date_as_object?)
    """
    if decimals not in DECIMALS:
        raise OptionError(
            f"{where}: decimals={decimals!r}: give 'float', 'decimal' (exact) or 'arrow' (exact)"
        )
    if lookups not in LOOKUPS:
        raise OptionError(f"{where}: lookups={lookups!r}: give 'name', 'flatten' or 'struct'")
    taken = _arrow_options()
    for name in options:
        if name not in taken:
            close = difflib.get_close_matches(name, ["decimals", "lookups", *taken], n=1)
            meant = (
                f" (did you mean {close[0]}?)"
                if close
                else " (it takes decimals, lookups and pyarrow.Table.to_pandas's options)"
            )
            raise OptionError(f"{where} takes no option {name!r}{meant}")


def _arrow_options() -> list[str]:
    """The keyword arguments of ``pyarrow.Table.to_pandas``."""
    return [n for n in inspect.signature(pa.Table.to_pandas).parameters if n != "self"]


def picklists_of(plan: Plan) -> dict[str, tuple[str, ...]]:
    """The picklist values of each picklist column of ``plan``, in Zoho's order."""
    return {
        c.key: c.field.picklist_values
        for c in plan.columns
        if c.aggregate is None and c.field.picklist_values
    }


def pandas_frame(
    table: pa.Table,
    *,
    decimals: str = "float",
    lookups: str = "name",
    picklists: Mapping[str, Sequence[str]] | None = None,
    stacklevel: int = 1,
    **kwargs: Any,
) -> pandas.DataFrame:
    """``table`` as a pandas DataFrame.

    ``decimals``: currency and decimal columns are ``float64`` by default, as pandas' own
    ``read_sql`` makes them (``coerce_float``): charts, arithmetic, ``quantile``,
    ``nlargest`` and ``describe`` work at numpy's speed (a float keeps 15 significant
    digits: cents are exact up to a trillion). ``"decimal"`` keeps them exact as
    ``decimal.Decimal`` objects (an ``object`` column: ``sum`` and ``mean`` work,
    ``quantile``, ``nlargest``, ``describe``, charts and arithmetic with floats do not);
    ``"arrow"`` keeps them exact as ``pd.ArrowDtype(decimal128)`` (arithmetic, ``quantile``,
    group-by sums and pivot tables work; ``nlargest``, ``describe``, ``cumsum`` and
    ``plot.hist`` do not).

    Integers and booleans lose nothing: an integer field is pandas' nullable ``Int64`` (an
    empty value is ``<NA>``, where numpy's float would make 13 into 13.0 and round
    18-digit numbers); ``COUNT`` is numpy's ``int64`` (it is never empty); a boolean
    column with empty values is the nullable ``boolean`` (without any, numpy's ``bool``).
    A ``types_mapper`` of your own (``pyarrow.Table.to_pandas``) is asked first; the
    types it maps to None are converted as said here.

    ``lookups``: ``"name"`` (the record's display name, its id where it has none),
    ``"flatten"`` (two columns, ``Owner.name`` and ``Owner.id``, as the CSV export writes
    them: ``Owner.id`` once, even when the query selects it too) or ``"struct"`` (a dict ``{"id", "name"}`` per cell, which pandas cannot group by).
    With ``"name"``, a column where one name stands for several records (two accounts
    called the same) issues an :class:`~coqlkit.errors.AmbiguousLookupWarning`, attributed
    ``stacklevel`` frames above this function's caller's (1: its caller): a group-by on
    the names would merge those records.

    ``picklists``: each picklist column's values in Zoho's order (``picklists_of(plan)``):
    they become the categories of its categorical, in that order (values the metadata does
    not list, last), so group-bys and charts follow the picklist and two results
    concatenate into one categorical. Dates are ``datetime64`` (``date_as_object=True``:
    ``datetime.date`` objects). Other keyword arguments go to ``pyarrow.Table.to_pandas``.
    An option or value it cannot take is an :class:`~coqlkit.OptionError`
    (:func:`pandas_options`).

    >>> from decimal import Decimal
    >>> frame = pandas_frame(pa.table({
    ...     "Amount": pa.array([Decimal("1250.50"), None], pa.decimal128(18, 2)),
    ...     "No_of_Employees": pa.array([13, None], pa.int64()),
    ...     "Email_Opt_Out": pa.array([True, None]),
    ... }))
    >>> [str(t) for t in frame.dtypes]
    ['float64', 'Int64', 'boolean']
    >>> frame["No_of_Employees"].tolist()
    [13, <NA>]
    """
    pandas_options(decimals, lookups, kwargs)
    import pandas as pd

    if lookups == "name":
        for found in ambiguous_lookups(table):
            warnings.warn(found, stacklevel=stacklevel + 1)
    table = _lookup_columns(table, lookups)
    if decimals == "float":
        table = _float_decimals(table)
    kwargs.setdefault("date_as_object", False)
    given = kwargs.pop("types_mapper", None)
    nullable = _nullable_integers(pd)

    def mapper(kind: pa.DataType) -> Any:
        mapped = given(kind) if given is not None else None
        if mapped is not None:
            return mapped
        if decimals == "arrow" and pa.types.is_decimal(kind):
            return pd.ArrowDtype(kind)
        return nullable.get(kind)

    kwargs["types_mapper"] = mapper
    frame = table.to_pandas(**kwargs)
    for at, field in enumerate(table.schema):
        column = frame.iloc[:, at]
        if field.metadata and field.metadata.get(b"zoho.aggregate") == b"COUNT":
            ours = mapper(field.type) is nullable.get(field.type)  # not a types_mapper given
            if ours and column.dtype == pd.Int64Dtype() and not column.hasnans:
                frame.isetitem(at, column.astype("int64"))
        elif pa.types.is_boolean(field.type) and column.dtype == object:  # empty values among them
            frame.isetitem(at, column.astype("boolean"))
    for name, values in (picklists or {}).items():
        if name in frame.columns and str(frame[name].dtype) == "category":
            frame[name] = _in_picklist_order(frame[name], values)
    return frame


def _nullable_integers(pd: Any) -> dict[pa.DataType, Any]:
    """Arrow's integer types → pandas' nullable ones."""
    return {
        pa.int8(): pd.Int8Dtype(),
        pa.int16(): pd.Int16Dtype(),
        pa.int32(): pd.Int32Dtype(),
        pa.int64(): pd.Int64Dtype(),
        pa.uint8(): pd.UInt8Dtype(),
        pa.uint16(): pd.UInt16Dtype(),
        pa.uint32(): pd.UInt32Dtype(),
        pa.uint64(): pd.UInt64Dtype(),
    }


def ambiguous_lookups(table: pa.Table) -> list[AmbiguousLookupWarning]:
    """The lookup columns of ``table`` where one name stands for several records (as many
    ids): as names alone (``lookups="name"``), a group-by would merge those records.

    >>> from coqlkit.execute.arrow import LOOKUP_TYPE
    >>> accounts = pa.array(
    ...     [{"id": "1", "name": "Lunar Capital"}, {"id": "2", "name": "Lunar Capital"},
    ...      {"id": "3", "name": "Echo Data"}, {"id": "1", "name": "Lunar Capital"}], LOOKUP_TYPE)
    >>> [(w.column, w.names, w.example, w.records) for w in ambiguous_lookups(pa.table({"Account_Name": accounts}))]
    [('Account_Name', 1, 'Lunar Capital', 2)]
    """
    found: list[AmbiguousLookupWarning] = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if not _is_lookup(field.type):
            continue
        pairs = pa.table({"name": pc.struct_field(column, "name"), "id": pc.struct_field(column, "id")})
        pairs = pairs.filter(pc.and_(pc.is_valid(pairs["name"]), pc.is_valid(pairs["id"])))
        counted = pairs.group_by("name").aggregate([("id", "count_distinct")])
        many = counted.filter(pc.greater(counted["id_count_distinct"], 1))
        if many.num_rows:
            first = many.sort_by([("id_count_distinct", "descending"), ("name", "ascending")]).slice(0, 1)
            found.append(
                AmbiguousLookupWarning(
                    field.name,
                    names=many.num_rows,
                    example=first["name"][0].as_py(),
                    records=first["id_count_distinct"][0].as_py(),
                )
            )
    return found


def _in_picklist_order(column: pandas.Series, values: Sequence[str]) -> pandas.Series:
    """A categorical ``column`` whose categories are ``values`` (less "-None-" unless seen),
    then the values seen that ``values`` does not list."""
    seen = list(column.cat.categories)
    known = [v for v in values if v != _NO_VALUE or v in seen]
    listed = set(known)
    return column.cat.set_categories(known + [v for v in seen if v not in listed])


def _lookup_columns(table: pa.Table, lookups: str) -> pa.Table:
    """``table`` with its lookups (``struct<id, name>``) as ``lookups`` says.

    Flattened, a lookup gives ``Owner.name`` and ``Owner.id``, less any the query selects
    itself: two columns of one name would make ``frame["Owner.id"]`` a DataFrame, and
    ``to_parquet`` and ``polars.from_pandas`` refuse them.

    >>> from coqlkit.execute.arrow import LOOKUP_TYPE
    >>> owner = pa.array([{"id": "7", "name": "Ann"}], LOOKUP_TYPE)
    >>> table = pa.table({"Owner": owner, "Owner.id": ["7"]})
    >>> _lookup_columns(table, "flatten").column_names
    ['Owner.name', 'Owner.id']
    """
    if lookups == "struct" or not any(_is_lookup(f.type) for f in table.schema):
        return table
    fields: list[pa.Field] = []
    columns: list[Any] = []
    selected = set(table.schema.names)
    for field, column in zip(table.schema, table.columns, strict=True):
        if not _is_lookup(field.type):
            fields.append(field)
            columns.append(column)
        elif lookups == "name":
            named = pc.coalesce(pc.struct_field(column, "name"), pc.struct_field(column, "id"))
            fields.append(field.with_type(pa.string()))
            columns.append(named)
        else:  # flatten, as export.csv_table does: the name first, as people read it
            for sub in sorted((s.name for s in field.type), key=lambda n: n != "name"):
                if f"{field.name}.{sub}" in selected:  # selected too (Owner, Owner.id): once
                    continue
                fields.append(pa.field(f"{field.name}.{sub}", pa.string(), metadata=field.metadata))
                columns.append(pc.struct_field(column, sub))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields, metadata=table.schema.metadata))


def _is_lookup(kind: pa.DataType) -> bool:
    return pa.types.is_struct(kind) and {f.name for f in kind} == {"id", "name"}


def _float_decimals(table: pa.Table) -> pa.Table:
    if not any(pa.types.is_decimal(f.type) for f in table.schema):
        return table
    fields = [f.with_type(pa.float64()) if pa.types.is_decimal(f.type) else f for f in table.schema]
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def polars_frame(table: pa.Table, *, decimals: str = "decimal") -> polars.DataFrame:
    """``table`` as a Polars DataFrame: currency and decimal columns exact (Polars'
    ``Decimal``) by default, ``float64`` with ``decimals="float"``."""
    polars_options(decimals)
    polars = _need("polars", "polars")
    if decimals == "float":
        table = _float_decimals(table)
    return polars.from_arrow(table)  # type: ignore[no-any-return]


def polars_options(decimals: str) -> None:
    """Refuse a ``decimals`` :func:`polars_frame` does not know, before anything is read:
    an :class:`~coqlkit.OptionError`, as :func:`pandas_options`."""
    if decimals not in ("decimal", "float"):
        raise OptionError(f"to_polars(): decimals={decimals!r}: give 'decimal' (exact) or 'float'")


def _need(module: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise CoqlError(
            f"{module} is not installed: pip install 'coqlkit[{extra}]'", code="MISSING_EXTRA"
        ) from None
