"""The validator and the sandbox (coqlkit's model of Zoho) agree on what a quoted number is.

A quoted value on a number field is a number when it is a sign, digits and a decimal point:
no exponent, no blanks. The validator refuses what the sandbox refuses, before any call.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from coqlkit import Catalog, parse, validate
from coqlkit.language import quote
from coqlkit.sandbox.checks import check_query, parse_strict
from coqlkit.sandbox.errors import ZohoError
from tests.language.strategies import BASE_SETTINGS

CATALOG = Catalog.demo()
FIELDS = ("Annual_Revenue", "No_of_Employees", "id")  # currency, integer, the record id


def sandbox_takes(query: str) -> bool:
    """True when the sandbox takes ``query``; a refusal is Zoho's INVALID_QUERY for the value."""
    try:
        check_query(parse_strict(query), CATALOG)
    except ZohoError as exc:
        if exc.code != "INVALID_QUERY":
            raise  # anything but a refused value is not what this test is about
        return False
    return True


def validator_takes(query: str) -> bool:
    return not [d for d in validate(parse(query), CATALOG) if d.is_error]


@pytest.mark.parametrize(
    ("value", "taken"),
    [
        ("1000000", True),
        ("-2.50", True),
        ("+5", True),
        (".5", True),
        ("5.", True),
        ("1e6", False),
        ("1E+6", False),
        (" 5", False),
        ("5 ", False),
        ("", False),
        ("1,000", False),
        ("0x10", False),
    ],
)
def test_quoted_numbers(value: str, taken: bool) -> None:
    query = f"select Last_Name from Leads where Annual_Revenue = {quote(value)}"
    assert sandbox_takes(query) is taken
    assert validator_takes(query) is taken


@BASE_SETTINGS
@given(value=st.text(alphabet="0123456789+-.eE x,", max_size=8), field=st.sampled_from(FIELDS))
@example(value="1e6", field="Annual_Revenue")
@example(value=".5", field="No_of_Employees")
def test_validator_refuses_what_the_sandbox_refuses(value: str, field: str) -> None:
    query = f"select Last_Name from Leads where {field} = {quote(value)}"
    assert validator_takes(query) == sandbox_takes(query), query
