"""An encrypted number field takes only ``=``, ``!=`` and the null tests, and its value
must still be a number that fits it; an encrypted text field takes no value at all.

The values of every encrypted field went unchecked: ``Credit_Score = 'abc'`` (an
encrypted integer of the demo's Contacts) passed, and Zoho (as coqlkit's sandbox) refuses
it, a credit spent.
"""

from __future__ import annotations

import pytest

from coqlkit import Catalog, parse, validate


def errors(condition: str, catalog: Catalog) -> list[tuple[str, str]]:
    found = validate(parse(f"select Last_Name from Contacts where {condition}"), catalog)
    return [(d.code, d.message) for d in found if d.is_error]


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("Credit_Score = 'abc'", "'abc' is not a number for Credit_Score (integer)"),
        ("Credit_Score = 2147483648", "2147483648 is out of range for Credit_Score (integer)"),
        ("Credit_Score != -2147483649", "-2147483649 is out of range for Credit_Score (integer)"),
        ("Credit_Score = ' 5'", "' 5' is not a plain number for Credit_Score (integer)"),
        ("Credit_Score = 7.5", "7.5 is not a whole number for Credit_Score (integer)"),
    ],
)
def test_an_encrypted_number_needs_a_number_that_fits(demo: Catalog, condition: str, message: str) -> None:
    assert errors(condition, demo) == [("INVALID_QUERY", message)]


@pytest.mark.parametrize(
    "condition",
    ["Credit_Score = 720", "Credit_Score != '720'", "Credit_Score is null", "Passport_Number is not null"],
)
def test_what_an_encrypted_field_allows_passes(demo: Catalog, condition: str) -> None:
    assert validate(parse(f"select Last_Name from Contacts where {condition}"), demo) == []


def test_only_the_operators_are_restricted(demo: Catalog) -> None:
    # A range on an encrypted number is the operator's error; a good number adds nothing.
    assert errors("Credit_Score > 700", demo) == [
        ("INVALID_QUERY", "Credit_Score is encrypted integer: > does not apply")
    ]


def test_a_field_named_where_an_encrypted_number_goes_is_an_error(demo: Catalog) -> None:
    found = errors("Credit_Score = Last_Name", demo)
    assert found == [
        (
            "INVALID_QUERY",
            "COQL compares Credit_Score with a value, not with another field: Last_Name is a field, not an integer",
        )
    ]


def test_encrypted_text_takes_no_value_so_only_the_operator_is_told(demo: Catalog) -> None:
    assert errors("Passport_Number = 'X123'", demo) == [
        ("INVALID_QUERY", "Passport_Number is encrypted text: = does not apply")
    ]
