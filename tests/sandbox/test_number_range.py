"""Numbers past what a field can be compared with: the validator refuses them before any call,
and the sandbox answers them as Zoho does (400 INVALID_QUERY), never with a 500.

Was: ``No_of_Employees > 99999999999999999999999999999`` passed the check, and the sandbox
failed binding the number to SQLite (``OverflowError``): a bare "Internal Server Error",
retried five times by the client.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from coqlkit import Catalog, parse, validate
from coqlkit.sandbox.checks import check_query, parse_strict
from coqlkit.sandbox.errors import ZohoError
from tests.language.strategies import BASE_SETTINGS
from tests.sandbox.conftest import Api

CATALOG = Catalog.demo()
INT_MAX, LONG_MAX = 2**31 - 1, 2**63 - 1


def sandbox_takes(query: str) -> bool:
    try:
        check_query(parse_strict(query), CATALOG)
    except ZohoError as exc:
        code = exc.code
    else:
        return True
    assert code == "INVALID_QUERY", query
    return False


def errors(query: str) -> list[str]:
    return [d.message for d in validate(parse(query), CATALOG) if d.is_error]


@pytest.mark.parametrize(
    ("condition", "taken"),
    [
        # No_of_Employees is an integer field: a 32-bit integer
        (f"No_of_Employees = {INT_MAX}", True),
        (f"No_of_Employees = {INT_MAX + 1}", False),
        (f"No_of_Employees > {-INT_MAX - 1}", True),
        (f"No_of_Employees > {-INT_MAX - 2}", False),
        ("No_of_Employees < 99999999999999999999999999999", False),
        (f"No_of_Employees = '{INT_MAX + 1}'", False),
        (f"No_of_Employees between 1 and {INT_MAX + 1}", False),
        (f"No_of_Employees in (1, {INT_MAX + 1})", False),
        # Visitor_Score is a bigint, id the record id: 64-bit integers
        (f"Visitor_Score = {LONG_MAX}", True),
        (f"Visitor_Score = {LONG_MAX + 1}", False),
        (f"id = {LONG_MAX + 1}", False),
        (f"id = '{LONG_MAX + 1}'", False),
        # a lookup compares with a record id
        ("Owner = 4150868000000225013", True),
        (f"Owner = {LONG_MAX + 1}", False),
        (f"Owner = '{LONG_MAX + 1}'", False),
        ("Owner = 1.5", False),
        # a currency and a text field compare with any number (a warning says when no value is so big)
        ("Annual_Revenue > 99999999999999999999999999999", True),
        ("Zip_Code = 99999999999999999999999999999", True),
    ],
)
def test_the_validator_refuses_what_the_sandbox_refuses(condition: str, taken: bool) -> None:
    query = f"select Last_Name from Leads where {condition}"
    assert sandbox_takes(query) is taken
    assert (not errors(query)) is taken, errors(query)


@BASE_SETTINGS
@given(
    number=st.one_of(st.integers(), st.integers(-(2**70), 2**70)),
    field=st.sampled_from(["No_of_Employees", "Visitor_Score", "id", "Owner", "Annual_Revenue"]),
)
@example(number=2**31, field="No_of_Employees")
@example(number=2**63, field="Visitor_Score")
def test_validator_and_sandbox_agree_on_any_whole_number(number: int, field: str) -> None:
    query = f"select Last_Name from Leads where {field} = {number}"
    assert (not errors(query)) == sandbox_takes(query), query


def test_the_validator_says_where_and_what_to_write() -> None:
    query = "select Last_Name from Leads where No_of_Employees > 99999999999999999999999999999"
    (found,) = [d for d in validate(parse(query), CATALOG) if d.is_error]
    assert (found.code, found.line, found.column, found.span and found.span.end_column) == (
        "INVALID_QUERY",
        1,
        53,
        82,
    )
    assert found.message == "99999999999999999999999999999 is out of range for No_of_Employees (integer)"
    assert found.hint == (
        "Zoho reads a value of No_of_Employees as a 32-bit integer: compare it with a whole number "
        "from -2,147,483,648 to 2,147,483,647"
    )


def test_more_digits_than_a_number_field_holds_is_a_warning() -> None:
    query = "select Last_Name from Leads where Annual_Revenue > 99999999999999999999999999999"
    (found,) = validate(parse(query), CATALOG)
    assert (found.severity.value, found.column) == ("warning", 52)
    assert (
        found.message
        == "99999999999999999999999999999 has 29 digits: no value of Annual_Revenue has more than 16"
    )


def test_the_sandbox_answers_an_out_of_range_number_with_a_400(api: Api) -> None:
    started = time.monotonic()
    reply = api.coql("select Last_Name from Leads where No_of_Employees > 99999999999999999999999999999")
    assert reply.status_code == 400, reply.text
    assert reply.json()["code"] == "INVALID_QUERY"
    assert reply.json()["details"]["column_name"] == "No_of_Employees"
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("condition", "status"),
    [
        ("Annual_Revenue > 99999999999999999999999999999", 204),
        ("Annual_Revenue > -99999999999999999999999999999", 200),
        ("Zip_Code = 99999999999999999999999999999", 204),
        ("Last_Name in (99999999999999999999999999999, 'Boyle')", None),
    ],
)
def test_numbers_past_64_bits_that_zoho_compares_are_compared(
    api: Api, condition: str, status: int | None
) -> None:
    reply = api.coql(f"select Last_Name from Leads where {condition} limit 5")
    assert reply.status_code in ((200, 204) if status is None else (status,)), reply.text
