"""Numbers as COQL text writes them: any literal the lexer takes either reads as a number or
is refused with a caret diagnostic, never with a Python traceback (fuzz review 5, #1, #9, #11)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from coqlkit import CoqlSyntaxError, ParameterError, parse
from coqlkit.repl.params import parse_value
from coqlkit.sandbox.server import Sandbox
from tests.sandbox.conftest import Api

WHERE = "select Last_Name from Leads where Annual_Revenue > "


@pytest.mark.parametrize(
    ("number", "message"),
    [
        # An exponent of 19 digits or more is past what Decimal holds: it raised InvalidOperation.
        ("1e9999999999999999999", "the number 1e9999999999999999999 is too large for COQL"),
        ("-1E+99999999999999999999", "the number -1E+99999999999999999999 is too large for COQL"),
        ("1e999999999999999999", "the number 1e999999999999999999 is too large for COQL"),
        # A tiny number is not too large: it has more decimal places than COQL holds.
        ("1e-9999999999999999999", "the number 1e-9999999999999999999 has too many decimal places for COQL"),
        ("1e-400", "the number 1e-400 has too many decimal places for COQL"),
    ],
)
def test_a_number_past_coql_is_a_syntax_error_where_it_stands(number: str, message: str) -> None:
    with pytest.raises(CoqlSyntaxError) as info:
        parse(WHERE + number)
    err = info.value
    assert (err.line, err.column, err.end_column) == (1, len(WHERE) + 1, len(WHERE) + 1 + len(number))
    assert err.description == message


def test_numbers_within_coql_still_read() -> None:
    q = parse(WHERE + "1e-100")
    assert q.where is not None and q.where.right.value == Decimal("1e-100")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text",
    ["1e9999999999999999999", "-1e-9999999999999999999", "1e999999", "1e-999999", "9" * 5000],
)
def test_a_set_value_past_coql_is_refused_by_bind_where_the_parameter_stands(text: str) -> None:
    # \set and --param read it (it raised InvalidOperation, or hung turning 1e999999 into an
    # int of a million digits); binding it refuses it with the parameter's place.
    value = parse_value(text)
    assert isinstance(value, Decimal)
    with pytest.raises(ParameterError) as info:
        parse(WHERE + ":x", params={"x": value})
    assert "more digits than a COQL number holds" in str(info.value)
    assert info.value.span is not None and info.value.span.column == len(WHERE) + 1


def test_set_values_within_coql_read_as_before() -> None:
    assert [parse_value(v) for v in ("1e6", "2.5E-3", "42", "-7", "1.25", "-0")] == [
        1000000,
        Decimal("0.0025"),
        42,
        -7,
        Decimal("1.25"),
        "-0",
    ]


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with Sandbox(records=50) as sandbox:
        client = Api(sandbox)
        yield client
        client.close()


def test_the_sandbox_answers_zohos_syntax_error_for_a_number_past_coql(api: Api) -> None:
    # It parses with the same code; the exception was an HTTP 500 in plain text.
    reply = api.coql(WHERE + "1e9999999999999999999")
    assert reply.status_code == 400
    assert reply.json()["code"] == "SYNTAX_ERROR"
    assert reply.json()["details"]["column"] == len(WHERE) + 1
