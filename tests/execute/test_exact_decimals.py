"""Currency and decimal values are exact for every value the field can hold.

Zoho allows 16 digits, decimal places included: 14 integer digits of a currency, 13 of a
decimal field with 3 places. A double holds 15-17 significant digits, so reading such a
number through one (as coqlkit once did) put about one amount in ten a cent off. Each way
a value arrives is checked here: Arrow's JSON reader, the ``json.loads`` way it falls back
to, and a bulk-read CSV; and all three agree.
"""

from __future__ import annotations

import csv
import io
import json
import random
from decimal import ROUND_HALF_EVEN, Decimal

import pyarrow as pa
import pytest

from coqlkit.catalog.model import Field
from coqlkit.errors import CoqlError
from coqlkit.execute.arrow import (
    UNEXPECTED_VALUE,
    _arrow_page,
    body_to_batch,
    csv_to_batches,
    records_to_batch,
    schema,
)
from coqlkit.plan.columns import ID_FIELD, OutputColumn

ID = OutputColumn("id", ID_FIELD)
AMOUNT = OutputColumn("A", Field("A", "currency", decimal_place=2, length=16))
WEIGHT = OutputColumn("W", Field("W", "decimal", decimal_place=3, length=16))
COLUMNS = [ID, AMOUNT, WEIGHT]


def page(rows: list[tuple[str, str]]) -> bytes:
    """A COQL body with the amounts written as given (JSON numbers, not Python floats)."""
    records = ",".join(f'{{"id":"{i + 1}","A":{a},"W":{w}}}' for i, (a, w) in enumerate(rows))
    return f'{{"data":[{records}],"info":{{"count":{len(rows)},"more_records":false}}}}'.encode()


def csv_body(rows: list[tuple[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "A", "W"])
    writer.writerows([str(i + 1), a, w] for i, (a, w) in enumerate(rows))
    return out.getvalue().encode()


def every_way(rows: list[tuple[str, str]]) -> list[pa.RecordBatch]:
    """The batches of ``rows`` read by Arrow's JSON reader, the json.loads way, and a CSV."""
    found = schema(COLUMNS)
    data = page(rows)
    fast = _arrow_page(data, found, COLUMNS)
    # A repeated key makes Arrow's reader refuse the page: body_to_batch reads it the json.loads way.
    repeated = data.replace(b'{"id":"1",', b'{"id":"1","A":0,', 1)
    assert _arrow_page(repeated, found, COLUMNS) is None
    by_json, _ = body_to_batch(repeated, found, COLUMNS)
    by_csv = pa.Table.from_batches(list(csv_to_batches(io.BytesIO(csv_body(rows)), COLUMNS, found)), found)
    assert fast is not None
    return [fast[0], by_json, by_csv.combine_chunks().to_batches()[0]]


def test_the_largest_amounts_come_back_as_written() -> None:
    """The review's case: both were one unit off in the last place."""
    rows = [("99999999999999.99", "9999999999999.999"), ("-99999999999999.99", "-0.001")]
    for batch in every_way(rows):
        assert batch.schema == schema(COLUMNS)
        assert batch.column(1).to_pylist() == [Decimal("99999999999999.99"), Decimal("-99999999999999.99")]
        assert batch.column(2).to_pylist() == [Decimal("9999999999999.999"), Decimal("-0.001")]


def test_every_amount_the_field_can_hold_is_exact() -> None:
    rng = random.Random(5)
    amounts = [f"{Decimal(rng.randrange(-(10**16) + 1, 10**16)).scaleb(-2)}" for _ in range(20_000)]
    weights = [f"{Decimal(rng.randrange(-(10**16) + 1, 10**16)).scaleb(-3)}" for _ in range(20_000)]
    rows = list(zip(amounts, weights, strict=True))
    for batch in every_way(rows):
        assert batch.column(1).to_pylist() == [Decimal(a) for a in amounts]
        assert batch.column(2).to_pylist() == [Decimal(w) for w in weights]


def test_more_places_than_the_field_keeps_are_rounded_alike_every_way() -> None:
    # What a store of doubles sends (the sandbox's SQLite REAL), or an average.
    rows = [("99999999999999.984", "0.0005"), ("0.125", "1.0015"), ("243333.33333333334", "1e-7")]
    expected_a = [Decimal("99999999999999.98"), Decimal("0.12"), Decimal("243333.33")]  # half to even
    expected_w = [Decimal("0.000"), Decimal("1.002"), Decimal("0.000")]
    for batch in _rounding_ways(rows):
        assert batch.column(1).to_pylist() == expected_a
        assert batch.column(2).to_pylist() == expected_w


def _rounding_ways(rows: list[tuple[str, str]]) -> list[pa.RecordBatch]:
    """Arrow's reader refuses a value with more places than its scale: the json.loads way rounds it."""
    found = schema(COLUMNS)
    assert _arrow_page(page(rows), found, COLUMNS) is None
    by_json, _ = body_to_batch(page(rows), found, COLUMNS)
    by_csv = list(csv_to_batches(io.BytesIO(csv_body(rows)), COLUMNS, found))
    assert [Decimal(a).quantize(Decimal("0.01"), ROUND_HALF_EVEN) for a, _ in rows] == by_json.column(
        1
    ).to_pylist()
    return [by_json, *by_csv]


def test_a_field_with_many_places_holds_its_largest_values() -> None:
    """decimal128(18, 9) overflowed at 10 integer digits; Zoho's 16 digits (places counted
    or not) need at most 16 + 9."""
    rate = OutputColumn("R", Field("R", "currency", decimal_place=9, length=16))
    found = schema([ID, rate])
    assert found.field("R").type == pa.decimal128(25, 9)
    data = b'{"data":[{"id":"1","R":12345678901.5},{"id":"2","R":9999999999999999.999999999}]}'
    by_json, _ = body_to_batch(data, found, [ID, rate])
    by_csv = next(
        csv_to_batches(
            io.BytesIO(b"id,R\n1,12345678901.5\n2,9999999999999999.999999999\n"), [ID, rate], found
        )
    )
    for batch in (by_json, by_csv):
        assert batch.column(1).to_pylist() == [
            Decimal("12345678901.500000000"),
            Decimal("9999999999999999.999999999"),
        ]


def test_a_value_past_the_columns_precision_or_not_a_number_names_its_column() -> None:
    found = schema(COLUMNS)
    for value in (b"1e30", b"true", b'"1,000.00"', b'"NaN"'):
        data = b'{"data":[{"id":"1","A":1.5,"W":1},{"id":"2","A":%s,"W":2}]}' % value
        with pytest.raises(CoqlError, match="column 'A'") as info:
            body_to_batch(data, found, COLUMNS)
        assert info.value.code == UNEXPECTED_VALUE, value
    with pytest.raises(CoqlError, match="column 'A'"):
        list(csv_to_batches(io.BytesIO(b"id,A,W\n1,1e30,1\n"), COLUMNS, found))
    with pytest.raises(CoqlError, match="column 'A'"):
        list(csv_to_batches(io.BytesIO(b"id,A,W\n1,abc,1\n"), COLUMNS, found))


def test_numbers_in_json_text_columns_keep_their_json_form() -> None:
    """The json.loads way reads numbers as Decimals; a JSON-text column still writes them as JSON."""
    tag = OutputColumn("Tag", Field("Tag", "text", json_type="jsonarray"))
    columns = [ID, tag, AMOUNT]
    data = b'{"data":[{"id":"1","Tag":[{"name":"x","score":1.5,"n":2}],"A":99999999999999.99}]}'
    batch, _ = body_to_batch(data, schema(columns), columns)
    assert json.loads(batch.column(1)[0].as_py()) == [{"name": "x", "score": 1.5, "n": 2}]
    assert batch.column(2).to_pylist() == [Decimal("99999999999999.99")]
    # records_to_batch still takes what a plain json.loads gives: doubles.
    assert records_to_batch([{"id": "1", "Tag": None, "A": 1234.56}], schema(columns), columns).column(
        2
    ).to_pylist() == [Decimal("1234.56")]
