"""Zoho values → Arrow: one mapping from field metadata, whichever strategy fetched the rows.

Types come from the field metadata, never from guessing at JSON (DESIGN.md, "Arrow all the
way"). A COQL page (:func:`records_to_batch`) and a bulk-read CSV (:func:`csv_to_batches`)
of the same records give equal batches.

==========================================================  ==========================================
Zoho field (``value_type``: a formula's return type)         Arrow type
==========================================================  ==========================================
``id``, any id (``Owner.profile.id``: a bigint sub-key)      ``string`` (18–19 digits, kept lossless)
text, email, phone, website, textarea, autonumber,           ``string``
profileimage, text sub-keys
picklist                                                     ``dictionary<int32, string>``
multiselectpicklist                                          ``list<string>`` (empty → null)
integer, bigint (JSON sends a digit string)                  ``int64``
double, percent                                              ``float64``
currency, decimal                                            ``decimal128(p, decimal_place)``
                                                             (2 places when the metadata gives none;
                                                             ``p`` below)
boolean                                                      ``bool``
date                                                         ``date32``
datetime                                                     ``timestamp[s, tz]`` (the instant; shown in
                                                             ``tz``, UTC unless asked)
lookup, ownerlookup, userlookup, consent_lookup,             ``struct<id: string, name: string>``
multi_module_lookup                                          (consent, multi-module: name null)
territories, imageupload, fileupload, subform,               ``string`` holding compact JSON text
multiselectlookup, multiuserlookup, unknown types, and
text whose ``json_type`` is an array or object (``Tag``)
``COUNT(...)``                                               ``int64``
``SUM(...)`` of an integer or bigint; of a currency or       ``int64``; ``decimal128(38, places)``;
decimal; of a double or percent                              ``float64``
``AVG(...)``                                                 ``float64``
``MIN(...)``, ``MAX(...)``                                   the field's own type
==========================================================  ==========================================

Decimals are exact: the digits Zoho wrote are read as written (Arrow's JSON reader and
its CSV cast parse them straight into ``decimal128``, ``json.loads`` with
``parse_float=Decimal``), never through a double, which keeps only 15-17 significant
digits (a 14-digit amount came back a cent off). A value with more places than the field
keeps (an average Zoho computed) is rounded to the field's places, half to even.
The precision ``p`` holds every value the field can: Zoho allows 16 digits, decimal places
included, or ``length`` when its metadata says, so ``p`` is that plus the places, whether or
not they are counted in (at least 18: ``decimal128(18, 2)`` for a usual currency). A
formula or rollup computes its value, which no length bounds, and a SUM adds many: both
take 38, the most ``decimal128`` holds. The schema comes from the metadata alone, so
every strategy gives the same one.

A SUM of whole numbers is a whole number, as in SQL: ``int64``, exact past a double's
2**53; one past int64's range is an error naming the column, not a rounded number.

A value of the wrong shape (text where a number belongs, a number where text belongs, an
object where a list belongs) raises :class:`~coqlkit.errors.CoqlError` naming the column and
the first offending row; nothing is silently turned into null. One exception: a currency or
decimal also takes its digits as text (``"12.50"``: read exactly, as a bulk read's CSV
gives them); text that is not a number (``"NaN"``, ``"1,000.00"``) is still refused.

>>> from coqlkit.catalog import Field
>>> from coqlkit.plan.columns import OutputColumn
>>> cols = [OutputColumn("Amount", Field("Amount", "currency", decimal_place=2))]
>>> batch = records_to_batch([{"Amount": 1234.56}, {}], schema(cols), cols)
>>> batch.column(0).to_pylist()
[Decimal('1234.56'), None]
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Context, Decimal, InvalidOperation
from operator import itemgetter
from os import PathLike
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.json as pjson

from coqlkit.catalog import Field, FieldType
from coqlkit.errors import CoqlError
from coqlkit.plan.columns import OutputColumn
from coqlkit.transport._errors import unreadable

__all__ = [
    "LOOKUP_TYPE",
    "UNEXPECTED_VALUE",
    "arrow_type",
    "body_to_batch",
    "csv_name",
    "csv_to_batches",
    "empty_batch",
    "holds_json",
    "records_to_batch",
    "schema",
]

#: A lookup: the target record's id and display name (``{"name", "id"}`` in COQL JSON).
LOOKUP_TYPE = pa.struct([pa.field("id", pa.string()), pa.field("name", pa.string())])
#: The ``code`` of the CoqlError raised for a value that does not fit its column.
UNEXPECTED_VALUE = "UNEXPECTED_VALUE"
DEFAULT_SCALE = 2
#: The least precision of a currency or decimal column (all the usual fields have it).
DECIMAL_PRECISION = 18
#: The most ``decimal128`` holds: for SUMs, formulas and rollups, which no length bounds.
MAX_PRECISION = 38
#: The digits, decimal places included, that Zoho allows a currency or decimal field.
ZOHO_DIGITS = 16
#: Zoho joins a multi-select's values with this in a bulk-read CSV.
CSV_LIST_SEPARATOR = ";"

# The ways a column's values are read (a "kind" per column, chosen from its metadata).
_ID, _TEXT, _JSON, _PICK, _LIST = "id", "text", "json", "picklist", "list"
_INT, _BIGINT, _FLOAT, _DECIMAL = "integer", "bigint", "float", "decimal"
_BOOL, _DATE, _DATETIME, _LOOKUP = "boolean", "date", "datetime", "lookup"

_TEXT_TYPES = frozenset(
    {
        FieldType.TEXT,
        FieldType.TEXTAREA,
        FieldType.EMAIL,
        FieldType.PHONE,
        FieldType.WEBSITE,
        FieldType.AUTONUMBER,
        FieldType.PROFILEIMAGE,
    }
)
_BY_TYPE = {
    FieldType.PICKLIST: _PICK,
    FieldType.MULTISELECTPICKLIST: _LIST,
    FieldType.INTEGER: _INT,
    FieldType.BIGINT: _BIGINT,
    FieldType.DOUBLE: _FLOAT,
    FieldType.PERCENT: _FLOAT,
    FieldType.CURRENCY: _DECIMAL,
    FieldType.DECIMAL: _DECIMAL,
    FieldType.BOOLEAN: _BOOL,
    FieldType.DATE: _DATE,
    FieldType.DATETIME: _DATETIME,
}
_LOOKUP_TYPES = frozenset(
    {
        FieldType.LOOKUP,
        FieldType.OWNERLOOKUP,
        FieldType.USERLOOKUP,
        FieldType.CONSENT_LOOKUP,
        FieldType.MULTI_MODULE_LOOKUP,
    }
)
_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError)
_NONE = type(None)
#: JSON text of a value; a number ``json.loads`` read as a ``Decimal`` is written as the double it was.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=float).encode
_INT64 = (-(2**63), 2**63 - 1)


# ---- types --------------------------------------------------------------------------------------


def _kind(column: OutputColumn) -> str:
    """How a column's values are read: one of the kinds above."""
    field = column.field
    aggregate = (column.aggregate or "").upper()
    if aggregate == "COUNT":
        return _INT
    if aggregate == "AVG":
        return _FLOAT
    if aggregate == "SUM":  # whole numbers add up to one; amounts stay exact
        kind = _BY_TYPE.get(field.value_type)
        return kind if kind in (_INT, _BIGINT, _DECIMAL) else _FLOAT
    if field.api_name == "id":
        return _ID  # the record id, or a lookup target's (Account_Name.id)
    kind = field.value_type
    if field.subkey:
        return _ID if kind is FieldType.BIGINT else _BY_TYPE.get(kind, _TEXT)
    if kind in _LOOKUP_TYPES or field.type in _LOOKUP_TYPES:
        return _ID if aggregate else _LOOKUP  # MIN/MAX of a lookup compares ids
    if kind in _TEXT_TYPES:
        return _JSON if field.json_type in ("jsonarray", "jsonobject") else _TEXT
    return _BY_TYPE.get(kind, _JSON)


def holds_json(column: OutputColumn) -> bool:
    """Whether the column's values are JSON text (``Tag``, territories, uploads, subforms,
    what coqlkit has no type for): a ``string`` column whose values can be long.

    >>> from coqlkit.catalog import Field
    >>> holds_json(OutputColumn("Tag", Field("Tag", "text", json_type="jsonarray")))
    True
    >>> holds_json(OutputColumn("Last_Name", Field("Last_Name", "text")))
    False
    """
    return _kind(column) == _JSON


def _scale(field: Field) -> int:
    places = field.decimal_place
    return DEFAULT_SCALE if places is None else max(0, min(int(places), MAX_PRECISION))


def _precision(column: OutputColumn, scale: int) -> int:
    """Digits enough for every value the column can hold (see the module's docstring).

    >>> from coqlkit.catalog import Field
    >>> _precision(OutputColumn("Amount", Field("Amount", "currency", length=16)), 2)
    18
    >>> _precision(OutputColumn("Rate", Field("Rate", "currency", length=16)), 9)
    25
    >>> _precision(OutputColumn("SUM(Amount)", Field("Amount", "currency"), aggregate="SUM"), 2)
    38
    """
    field = column.field
    computed = field.type in (FieldType.FORMULA, FieldType.ROLLUP_SUMMARY)
    if computed or (column.aggregate or "").upper() == "SUM":
        return MAX_PRECISION
    digits = field.length if field.length and field.length > 0 else ZOHO_DIGITS
    return max(DECIMAL_PRECISION, min(MAX_PRECISION, digits + scale), scale)


def _type_of(kind: str, column: OutputColumn, tz: str) -> pa.DataType:
    if kind in (_ID, _TEXT, _JSON):
        return pa.string()
    if kind == _PICK:
        return pa.dictionary(pa.int32(), pa.string())
    if kind == _LIST:
        return pa.list_(pa.string())
    if kind in (_INT, _BIGINT):
        return pa.int64()
    if kind == _FLOAT:
        return pa.float64()
    if kind == _DECIMAL:
        scale = _scale(column.field)
        return pa.decimal128(_precision(column, scale), scale)
    if kind == _BOOL:
        return pa.bool_()
    if kind == _DATE:
        return pa.date32()
    if kind == _DATETIME:
        return pa.timestamp("s", tz=tz)
    return LOOKUP_TYPE


def arrow_type(column: OutputColumn, *, tz: str = "UTC") -> pa.DataType:
    """The Arrow type of a result column (see the module's table); datetimes show in ``tz``."""
    return _type_of(_kind(column), column, tz)


def _metadata(column: OutputColumn) -> dict[str, str]:
    field = column.field
    meta = {"zoho.api_name": field.api_name, "zoho.data_type": field.data_type}
    if field.return_type:
        meta["zoho.return_type"] = field.return_type
    if field.decimal_place is not None:
        meta["zoho.decimal_place"] = str(field.decimal_place)
    if field.lookup_module:
        meta["zoho.lookup_module"] = field.lookup_module
    if column.ref is not None:
        meta["zoho.path"] = column.ref.name
    if column.aggregate:
        meta["zoho.aggregate"] = column.aggregate.upper()
    return meta


def schema(columns: Sequence[OutputColumn], *, tz: str = "UTC") -> pa.Schema:
    """The schema of a result: one field per column, named by its key, nullable, with the
    Zoho field's ``zoho.api_name``, ``zoho.data_type`` (and, when known, ``zoho.return_type``,
    ``zoho.decimal_place``, ``zoho.lookup_module``, ``zoho.path``, ``zoho.aggregate``) as
    field metadata."""
    return pa.schema(
        [pa.field(c.key, arrow_type(c, tz=tz), nullable=True, metadata=_metadata(c)) for c in columns]
    )


def empty_batch(schema: pa.Schema) -> pa.RecordBatch:
    """A batch of no rows with the whole schema (a query that matched nothing)."""
    return pa.RecordBatch.from_arrays([pa.array([], type=f.type) for f in schema], schema=schema)


# ---- values from COQL JSON ----------------------------------------------------------------------


def _types(values: list[Any]) -> set[type]:
    return set(map(type, values))


def _json_ids(values: list[Any], t: pa.DataType) -> pa.Array:
    try:
        return pa.array(values, type=pa.string())
    except pa.ArrowTypeError:  # an id sent as a JSON number: keep its digits
        return pa.array([_id_text(v) for v in values], type=pa.string())


def _id_text(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    if type(value) is int:
        return str(value)
    raise TypeError(f"expected an id string, got {type(value).__name__}")


def _json_text(values: list[Any], t: pa.DataType) -> pa.Array:
    return pa.array(values, type=pa.string())


def _json_json(values: list[Any], t: pa.DataType) -> pa.Array:
    return pa.array([None if v is None else _dumps(v) for v in values], type=pa.string())


def _json_picklist(values: list[Any], t: pa.DataType) -> pa.Array:
    return pa.array(values, type=pa.string()).dictionary_encode()


def _json_list(values: list[Any], t: pa.DataType) -> pa.Array:
    if not _types(values) <= {list, _NONE}:
        raise TypeError("expected a JSON array of strings")  # pyarrow would split a string into letters
    return pa.array([v or None for v in values], type=pa.list_(pa.string()))


def _json_integer(values: list[Any], t: pa.DataType) -> pa.Array:
    kinds = _types(values)
    if float in kinds or Decimal in kinds:  # 12.0 is 12; pyarrow would truncate 3.5 to 3
        values = [_whole(v) for v in values]
    return pa.array(values, type=pa.int64())


def _whole(value: Any) -> Any:
    """A number written with a fraction that is a whole number (``12.0``) as that int."""
    if type(value) is float or type(value) is Decimal:
        if not (math.isfinite(value) and value == int(value)):
            raise TypeError("expected a whole number")
        return int(value)
    return value


def _json_bigint(values: list[Any], t: pa.DataType) -> pa.Array:
    try:
        return pa.array(values, type=pa.string()).cast(pa.int64())  # Zoho: a digit string
    except _ARROW_ERRORS:
        return pa.array([_bigint(v) for v in values], type=pa.int64())


def _bigint(value: Any) -> int | None:
    if value is None or type(value) is int:
        return value
    if type(value) is str and value.lstrip("-").isdigit():
        return int(value)
    if type(value) in (float, Decimal):  # a SUM Zoho may write with a fraction
        return int(_whole(value))
    raise TypeError(f"expected a digit string, got {value!r}")


def _json_float(values: list[Any], t: pa.DataType) -> pa.Array:
    kinds = _types(values)
    if bool in kinds:
        raise TypeError("expected a number, got a boolean")  # pyarrow would read true as 1.0
    try:
        return pa.array(values, type=pa.float64())
    except _ARROW_ERRORS:  # an int past 2**53 (Arrow's reader takes it), a Decimal
        if not kinds <= {int, float, Decimal, _NONE}:
            raise
        return pa.array([None if v is None else float(v) for v in values], type=pa.float64())


def _json_decimal(values: list[Any], t: pa.DataType) -> pa.Array:
    kinds = _types(values)
    if bool in kinds:
        raise TypeError("expected a number, got a boolean")
    if kinds <= {float, _NONE}:  # doubles (json.loads without parse_float): the nearest at the scale
        return pa.array(values, type=pa.float64()).cast(t)
    try:
        return pa.array(values, type=t)  # Decimals and ints that fit the column as they are
    except _ARROW_ERRORS:  # more places than the scale, a float among them, numeric text
        return pa.array([_exact(v, t.scale) for v in values], type=t)


_NUMBER_TEXT = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_PLACES = Context(prec=100)


def _exact(value: Any, scale: int) -> Decimal | None:
    """A number as a ``Decimal`` at ``scale`` places, rounded half to even when it has more.

    >>> _exact("99999999999999.994", 2), _exact(0.125, 2), _exact(7, 2)
    (Decimal('99999999999999.99'), Decimal('0.12'), Decimal('7.00'))
    """
    if value is None:
        return None
    if type(value) is Decimal:
        number = value
    elif type(value) is int:
        number = Decimal(value)
    elif type(value) is float:
        number = Decimal(value)  # the double's own value, rounded as Arrow rounds a double
    elif type(value) is str and _NUMBER_TEXT.fullmatch(value):
        number = Decimal(value)  # Arrow's JSON reader takes such text for a decimal too
    else:
        raise TypeError(f"expected a number, got {value!r}")
    try:
        return number.quantize(Decimal(1).scaleb(-scale), context=_PLACES)
    except InvalidOperation:  # NaN, infinity, or more digits than any column holds
        raise ValueError(f"{value!r} is not a number a decimal column can hold") from None


def _json_boolean(values: list[Any], t: pa.DataType) -> pa.Array:
    return pa.array(values, type=pa.bool_())


def _json_date(values: list[Any], t: pa.DataType) -> pa.Array:
    return pa.array(values, type=pa.string()).cast(pa.date32())


def _json_datetime(values: list[Any], t: pa.DataType) -> pa.Array:
    return _datetimes(pa.array(values, type=pa.string()), t)


def _datetimes(text: pa.Array, t: pa.DataType, pool: pa.MemoryPool | None = None) -> pa.Array:
    """ISO-8601 text with an offset → the instant, at ``t``'s unit, shown in ``t``'s zone."""
    if not pa.types.is_timestamp(t) or t.tz is None:
        t = pa.timestamp("s", tz="UTC")
    try:
        return text.cast(t, memory_pool=pool)
    except pa.ArrowInvalid:
        # A fraction of a second (Zoho sends none): read it finely, then drop the fraction.
        fine = text.cast(pa.timestamp("ns", tz=t.tz), memory_pool=pool)
        return fine.cast(t, safe=False, memory_pool=pool)


def _json_lookup(values: list[Any], t: pa.DataType) -> pa.Array:
    if not _types(values) <= {dict, _NONE}:
        raise TypeError('expected an object {"id", "name"}')
    try:
        return pa.array(values, type=LOOKUP_TYPE)
    except pa.ArrowTypeError:  # e.g. an id sent as a number
        return pa.array(
            [None if v is None else {"id": _id_text(v.get("id")), "name": v.get("name")} for v in values],
            type=LOOKUP_TYPE,
        )


_FROM_JSON: dict[str, Callable[[list[Any], pa.DataType], pa.Array]] = {
    _ID: _json_ids,
    _TEXT: _json_text,
    _JSON: _json_json,
    _PICK: _json_picklist,
    _LIST: _json_list,
    _INT: _json_integer,
    _BIGINT: _json_bigint,
    _FLOAT: _json_float,
    _DECIMAL: _json_decimal,
    _BOOL: _json_boolean,
    _DATE: _json_date,
    _DATETIME: _json_datetime,
    _LOOKUP: _json_lookup,
}


def records_to_batch(
    records: Sequence[Mapping[str, Any]], schema: pa.Schema, columns: Sequence[OutputColumn]
) -> pa.RecordBatch:
    """The ``data`` of a COQL response (``json.loads``-ed) as one batch of ``schema``.

    A missing key or ``null`` is null; a value of the wrong shape raises
    :class:`~coqlkit.errors.CoqlError` naming the column.
    """
    _check(schema, columns)
    arrays = []
    for column, target in zip(columns, schema, strict=True):
        key = column.key
        try:
            values = list(map(itemgetter(key), records))
        except KeyError:  # a key Zoho left out: null
            values = [r.get(key) for r in records]
        kind = _kind(column)
        try:
            array = _FROM_JSON[kind](values, target.type)
            if not array.type.equals(target.type):
                array = array.cast(target.type)
        except (*_ARROW_ERRORS, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise _unexpected(column, kind, target.type, exc, values) from None
        arrays.append(array)
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _check(schema: pa.Schema, columns: Sequence[OutputColumn]) -> None:
    if len(schema) != len(columns) or any(f.name != c.key for f, c in zip(schema, columns, strict=True)):
        raise CoqlError(
            f"the schema ({', '.join(schema.names)}) does not match the columns "
            f"({', '.join(c.key for c in columns)})",
            code=UNEXPECTED_VALUE,
        )


def _unexpected(
    column: OutputColumn, kind: str, t: pa.DataType, exc: BaseException, values: Sequence[Any] = ()
) -> CoqlError:
    """The error for a column whose values do not fit: which column, which row, what was there."""
    field = column.field
    what = field.data_type if not column.aggregate else f"{column.aggregate.upper()} of {field.data_type}"
    where = ""
    for row, value in enumerate(values):
        if value is not None and not _fits(kind, value):
            shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
            what_it_is = f"a {type(value).__name__}"
            if kind in (_INT, _BIGINT) and type(value) is int:
                what_it_is = "past the 64-bit integer range, -2**63 to 2**63-1"
            where = f" (row {row}: {shown}, {what_it_is})"
            break
    return CoqlError(
        f"column {column.key!r} ({what}) cannot be read as {t}{where}: {exc}", code=UNEXPECTED_VALUE
    )


def _fits(kind: str, value: Any) -> bool:
    """Whether one JSON value has the shape its column's kind expects (for error messages)."""
    if kind in (_TEXT, _PICK, _DATE, _DATETIME):
        return isinstance(value, str)
    if kind == _ID:
        return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
    if kind in (_INT, _BIGINT):
        try:
            whole = _bigint(value) if kind == _BIGINT else _whole(value)
        except (TypeError, ValueError):
            return False
        return type(whole) is int and _INT64[0] <= whole <= _INT64[1]
    if kind == _FLOAT:
        return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
    if kind == _DECIMAL:
        return (isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)) or (
            isinstance(value, str) and _NUMBER_TEXT.fullmatch(value) is not None
        )
    if kind == _BOOL:
        return isinstance(value, bool)
    if kind == _LIST:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == _LOOKUP:
        return isinstance(value, dict) and all(
            v is None or isinstance(v, str) for v in (value.get("id"), value.get("name"))
        )
    return True


# ---- a COQL response body, straight to Arrow ----------------------------------------------------

# What Arrow's JSON reader is asked to find for each kind (None: it cannot, e.g. JSON text);
# a decimal column's own type: the reader parses the digits as written, and refuses a value
# with more places than the scale (that page goes the json.loads way, which rounds it).
_RAW: dict[str, pa.DataType | None] = {
    _ID: pa.string(),
    _TEXT: pa.string(),
    _JSON: None,
    _PICK: pa.string(),
    _LIST: pa.list_(pa.string()),
    _INT: pa.int64(),
    _BIGINT: pa.string(),
    _FLOAT: pa.float64(),
    _DECIMAL: None,
    _BOOL: pa.bool_(),
    _DATE: pa.string(),
    _DATETIME: pa.string(),
    _LOOKUP: LOOKUP_TYPE,
}


def body_to_batch(
    body: bytes, schema: pa.Schema, columns: Sequence[OutputColumn], *, where: str = ""
) -> tuple[pa.RecordBatch, str | None]:
    """A COQL response's bytes (``b""`` for Zoho's 204) as one batch of ``schema``, and the
    id of its last record as Zoho sent it (None: no records; keyset pages go on from it).

    Arrow's JSON reader parses the page into columns, with no Python object per value and
    without holding the GIL, so pages decode on other threads while the event loop reads
    the next ones. Its explicit schema is strict: a value of another shape (a number where
    text belongs, ``12.0`` for an integer), a JSON-text column, a repeated key, anything
    it refuses sends the page through ``json.loads`` and :func:`records_to_batch`, which
    read what they can and name what they cannot. Both ways give equal batches.

    A body that is no COQL page (not JSON, or its ``data`` no list of records) raises the
    transport's :class:`~coqlkit.errors.TransportError` (``UNREADABLE_ANSWER``) for the call
    at ``where`` (the host, ``scheme://host:port``), as the client does for the answers it
    reads itself; the client has already refused a body cut off or not JSON at all.

    >>> body_to_batch(b'{"data": "oops"}', pa.schema([]), [], where="https://zoho.test:443")
    Traceback (most recent call last):
    ...
    coqlkit.errors.TransportError: POST /crm/v8/coql at https://zoho.test:443: the answer was not the JSON Zoho sends (its data is not a list of records) (16 bytes)
    """
    if not body.strip():
        return empty_batch(schema), None
    _check(schema, columns)
    fast = _arrow_page(body, schema, columns)
    if fast is not None:
        return fast
    try:
        data = json.loads(body, parse_float=Decimal)  # amounts as written, not as doubles
    except ValueError as exc:  # JSONDecodeError, or a UnicodeDecodeError
        why = f"{exc.msg} at byte {exc.pos}" if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        raise unreadable(_COQL, where, f"not valid JSON ({why})", body) from exc
    records = (data.get("data") if isinstance(data, dict) else None) or []
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise unreadable(_COQL, where, "not the JSON Zoho sends (its data is not a list of records)", body)
    last = records[-1].get("id") if records else None
    return records_to_batch(records, schema, columns), None if last is None else str(last)


_COQL = "POST /crm/v8/coql"  # the call whose answers body_to_batch reads


def _arrow_page(
    body: bytes, schema: pa.Schema, columns: Sequence[OutputColumn]
) -> tuple[pa.RecordBatch, str | None] | None:
    """:func:`body_to_batch` by Arrow's JSON reader alone (None: it cannot read this page)."""
    kinds = [_kind(c) for c in columns]
    keys = [c.key for c in columns]
    raw_types = [t.type if k == _DECIMAL else _RAW[k] for k, t in zip(kinds, schema, strict=True)]
    if len(set(keys)) != len(keys) or None in raw_types:
        return None
    fields = [pa.field(key, t) for key, t in zip(keys, raw_types, strict=True)]
    if "id" not in keys:  # Zoho sends every record's id: keyset pages need the last one
        fields.append(pa.field("id", pa.string()))
    page = pa.schema([pa.field("data", pa.list_(pa.struct(fields)))])
    try:
        table = pjson.read_json(
            pa.BufferReader(body),
            read_options=pjson.ReadOptions(use_threads=False, block_size=len(body) + 1),
            parse_options=pjson.ParseOptions(explicit_schema=page, unexpected_field_behavior="ignore"),
        )
        data = table.column(0).combine_chunks()
        if len(data) != 1:
            return None
        records = data.flatten()
        if records.null_count:  # a null where a record belongs
            return None
        raw = records.flatten()
        arrays = []
        for kind, values, target in zip(kinds, raw, schema, strict=False):
            array = _from_raw(kind, values, target.type)
            arrays.append(array if array.type.equals(target.type) else array.cast(target.type))
    except (*_ARROW_ERRORS, TypeError, ValueError, OverflowError):
        return None
    ids = raw[keys.index("id") if "id" in keys else -1]
    return pa.RecordBatch.from_arrays(arrays, schema=schema), ids[-1].as_py() if len(ids) else None


def _from_raw(kind: str, values: pa.Array, t: pa.DataType) -> pa.Array:
    """One column as Arrow's JSON reader found it (see ``_RAW``) → its result type."""
    if kind == _PICK:
        return values.dictionary_encode()
    if kind == _LIST:  # an empty multi-select is null, as from JSON and from a CSV
        empty = pc.equal(pc.list_value_length(values), 0)
        return pc.if_else(empty, pa.scalar(None, values.type), values)
    if kind == _BIGINT:
        return values.cast(pa.int64())
    if kind == _DATE:
        return values.cast(pa.date32())
    if kind == _DATETIME:
        return _datetimes(values, t)
    return values  # ids, text, integers, doubles, decimals, booleans and lookups come as they are


# ---- values from a bulk-read CSV --------------------------------------------------------------------


def csv_name(column: OutputColumn) -> str:
    """The CSV header of a column: its field path (bulk read knows no aliases)."""
    if column.is_id:
        return "id"
    ref = column.ref
    if ref is None:
        return column.key
    return ".".join(ref.path) if ref.via is None else ref.name


def _csv_json(text: pa.Array, pool: pa.MemoryPool | None = None) -> pa.Array:
    values = [None if v is None else _redump(v) for v in text.to_pylist()]
    return pa.array(values, type=pa.string(), memory_pool=pool)


def _redump(text: str) -> str:
    try:
        return _dumps(json.loads(text))
    except ValueError:
        return _dumps(text)  # not JSON: kept as a JSON string, as COQL JSON would send a string


def _csv_convert(kind: str, text: pa.Array, t: pa.DataType, pool: pa.MemoryPool | None = None) -> pa.Array:
    if kind in (_ID, _TEXT):
        return text
    if kind == _JSON:
        return _csv_json(text, pool)
    if kind == _PICK:
        return pc.dictionary_encode(text, memory_pool=pool)
    if kind == _LIST:
        return pc.split_pattern(text, CSV_LIST_SEPARATOR, memory_pool=pool)
    if kind in (_INT, _BIGINT):
        return text.cast(pa.int64(), memory_pool=pool)
    if kind == _FLOAT:
        return text.cast(pa.float64(), memory_pool=pool)
    if kind == _DECIMAL:  # the digits as written, rounded at the scale as COQL JSON's
        try:
            return text.cast(t, memory_pool=pool)
        except pa.ArrowInvalid:  # more places than the scale (or not a number: named then)
            return pa.array([_exact(v, t.scale) for v in text.to_pylist()], type=t, memory_pool=pool)
    if kind == _BOOL:
        return text.cast(pa.bool_(), memory_pool=pool)
    if kind == _DATE:
        return text.cast(pa.date32(), memory_pool=pool)
    if kind == _DATETIME:
        return _datetimes(text, t, pool)
    raise AssertionError(kind)  # pragma: no cover - lookups are built from two columns


# Arrow's streaming CSV reader reads up to 32 blocks ahead of the batches taken, on a thread
# of its own: the block size bounds that read-ahead (8 MB at 256 KiB; at 1 MiB a slow
# consumer, such as a Parquet export, held 27 blocks of a 200,000-record page). Smaller
# blocks cost ~5% in speed at 256 KiB, ~10% at 128 KiB (100,000 Leads, 24 MB, one core).
CSV_BLOCK_BYTES = 256 * 1024


def csv_to_batches(
    path_or_file: str | PathLike[str] | IO[bytes],
    columns: Sequence[OutputColumn],
    schema: pa.Schema,
    *,
    block_size: int = CSV_BLOCK_BYTES,
    memory_pool: pa.MemoryPool | None = None,
) -> Iterator[pa.RecordBatch]:
    """Stream a bulk-read result CSV as batches of ``schema``, about ``block_size`` bytes each.

    The columns are checked and the header read at once (a missing column raises here);
    the rows are read as the batches are taken, at most 32 blocks ahead of them. The CSV
    is parsed and converted in ``memory_pool`` (None: Arrow's default pool).

    The CSV has a header of field paths (``id`` first). A lookup column holds the target's
    id under its own path and, when ``column.lookup_name`` is set, the display name under
    that path (``Owner`` and ``Owner.full_name``); multi-selects are ``;``-joined; an empty
    cell is null. Aggregates cannot come from a bulk read. The batches equal what
    :func:`records_to_batch` makes of the same records read through COQL.
    """
    _check(schema, columns)
    plan: list[tuple[OutputColumn, str, str, str | None, pa.DataType]] = []  # column, kind, paths, type
    for column, target in zip(columns, schema, strict=True):
        if column.aggregate:
            raise CoqlError(
                f"column {column.key!r}: a bulk-read CSV holds no aggregates", code=UNEXPECTED_VALUE
            )
        kind = _kind(column)
        name = column.lookup_name.name if kind == _LOOKUP and column.lookup_name is not None else None
        plan.append((column, kind, csv_name(column), name, target.type))
    source, header = _header_of(path_or_file)
    if not header:  # no bytes at all (a job that matched nothing may give an empty file)
        return iter(())
    found = _header_names(header, [n for _, _, path, name, _ in plan for n in (path, name) if n is not None])
    plan = [
        (c, kind, found[path], None if name is None else found[name], t) for c, kind, path, name, t in plan
    ]
    wanted = list(dict.fromkeys(found.values()))
    try:
        reader = pcsv.open_csv(
            source,
            read_options=pcsv.ReadOptions(block_size=block_size),
            parse_options=pcsv.ParseOptions(newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(wanted, pa.string()),
                include_columns=wanted,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
            memory_pool=memory_pool,
        )
    except pa.ArrowInvalid as exc:  # (an empty file returned above: a header cut short is not one)
        raise CoqlError(f"the bulk-read CSV cannot be read: {exc}", code=UNEXPECTED_VALUE) from None
    except KeyError as exc:  # a column the CSV does not have
        detail = exc.args[0] if exc.args else exc
        raise CoqlError(f"the bulk-read CSV lacks a column: {detail}", code=UNEXPECTED_VALUE) from None
    return _stream(reader, plan, schema, memory_pool)


_Plan = Sequence[tuple[OutputColumn, str, str, str | None, pa.DataType]]


def _header_names(header: Sequence[str], names: Sequence[str]) -> dict[str, str]:
    """Each field path's column in the CSV's ``header``: the column of that exact name, else
    the one that matches it but for case (Zoho does not document the header's case: ``id``
    or ``Id``), else the path itself (for the reader to report missing). Two columns that
    match but for case, and none exactly, are an error that names both.

    >>> _header_names(["Id", "Last_Name"], ["id", "Last_Name", "Owner"])
    {'id': 'Id', 'Last_Name': 'Last_Name', 'Owner': 'Owner'}
    >>> _header_names(["id", "Id"], ["id"])
    {'id': 'id'}
    """
    folded: dict[str, list[str]] = {}
    for column in header:
        folded.setdefault(column.casefold(), []).append(column)
    found: dict[str, str] = {}
    for name in names:
        like = folded.get(name.casefold(), [])
        if name in header or not like:
            found[name] = name
        elif len(like) == 1:
            found[name] = like[0]
        else:
            both = " and ".join(repr(c) for c in like)
            raise CoqlError(
                f"the bulk-read CSV has no column {name!r} but {both}, which differ only in case",
                code=UNEXPECTED_VALUE,
            )
    return found


def _header_of(path_or_file: str | PathLike[str] | IO[bytes]) -> tuple[Any, list[str]]:
    """The CSV's header row, read ahead of the Arrow reader, and what that reader should open
    (the path again, or the stream with what was read put back). The header is one record:
    a line, or more where a quoted name holds a line break; [] for an empty file."""
    if isinstance(path_or_file, (str, PathLike)):
        with open(path_or_file, "rb") as file:
            head = _first_record(file)
        source: Any = str(path_or_file)
    else:
        head = _first_record(path_or_file)
        source = _LinePutBack(head, path_or_file)
    text = head.decode("utf-8-sig", errors="replace")
    try:
        return source, next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error as exc:
        raise CoqlError(f"the bulk-read CSV's header cannot be read: {exc}", code=UNEXPECTED_VALUE) from None


def _first_record(file: IO[bytes]) -> bytes:
    """The bytes of a CSV's first record: lines until its quotes are closed (a quoted name
    may hold a line break; a file with lone CR line ends is one "line" here, which the
    header's reader splits).

    >>> _first_record(io.BytesIO(b'id,"La\\nst"\\n1,x\\n'))
    b'id,"La\\nst"\\n'
    """
    head = b""
    while True:
        line = file.readline()
        head += line
        if not line or head.count(b'"') % 2 == 0:
            return head


class _LinePutBack(io.RawIOBase):
    """A byte stream whose already-read first line comes back before the rest of it."""

    def __init__(self, line: bytes, rest: IO[bytes]) -> None:
        super().__init__()
        self._line, self._rest = line, rest

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if not self._line:  # the rest as it comes, without a copy through readinto
            return self._rest.read(-1 if size is None else size)
        return super().read(-1 if size is None else size)

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        size = 0
        if self._line:  # what was read ahead, and the rest of the buffer from the stream: a
            size = min(len(view), len(self._line))  # block cut at the header's end is refused
            view[:size], self._line = self._line[:size], self._line[size:]
            if self._line:
                return size
        data = self._rest.read(len(view) - size)
        view[size : size + len(data)] = data
        return size + len(data)


def _stream(
    reader: Any, plan: _Plan, schema: pa.Schema, pool: pa.MemoryPool | None
) -> Iterator[pa.RecordBatch]:
    with reader:
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except pa.ArrowInvalid as exc:  # a malformed row further down the file
                raise CoqlError(f"the bulk-read CSV cannot be read: {exc}", code=UNEXPECTED_VALUE) from None
            yield _csv_batch(batch, plan, schema, pool)


def _csv_batch(
    batch: pa.RecordBatch, plan: _Plan, schema: pa.Schema, pool: pa.MemoryPool | None = None
) -> pa.RecordBatch:
    arrays = []
    for column, kind, path, name, t in plan:
        text = batch.column(path)
        try:
            if kind == _LOOKUP:
                if name is not None:
                    names = batch.column(name)
                else:
                    names = pa.nulls(len(text), pa.string(), memory_pool=pool)
                array = pa.StructArray.from_arrays(
                    [text, names],
                    fields=list(LOOKUP_TYPE),
                    mask=pc.is_null(text, memory_pool=pool),
                    memory_pool=pool,
                )
            else:
                array = _csv_convert(kind, text, t, pool)
            if not array.type.equals(t):
                array = array.cast(t, memory_pool=pool)
        except (*_ARROW_ERRORS, TypeError, ValueError) as exc:
            raise _unexpected(column, kind, t, exc) from None
        arrays.append(array)
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
