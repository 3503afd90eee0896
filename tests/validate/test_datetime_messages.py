"""A date or datetime Zoho would refuse is told by what is wrong with it, and a hint never
offers a moment that does not exist.

``'2024-01-31T10:00:00+05:30 '`` (a blank after it) was said to write "its offset without
a colon", and ``Created_Time > 2024-13-45`` got the hint ``'2024-13-45T00:00:00+00:00'``.
"""

from __future__ import annotations

import pytest

from coqlkit import Catalog, parse, validate


def told(field: str, value: str, catalog: Catalog, module: str = "Leads") -> list[tuple[str, str | None]]:
    found = validate(parse(f"select Last_Name from {module} where {field} > {value}"), catalog)
    return [(d.message, d.hint) for d in found]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("'2024-01-31T10:00:00+05:30 '", "has a blank after it"),
        ("' 2024-01-31T10:00:00+05:30'", "has a blank before it"),
        ("' 2024-01-31T10:00:00+05:30 '", "has a blank before it and after it"),
        ("'2024-01-31T10:00:00 +05:30'", "has a blank before its offset"),
        ("'2024-01-31T10:00:00+0530'", "writes its offset without a colon"),
    ],
)
def test_a_datetime_right_but_for_a_blank_or_a_colon(demo: Catalog, value: str, problem: str) -> None:
    assert told("Created_Time", value, demo) == [
        (f"{value} {problem} for Created_Time (datetime)", "write '2024-01-31T10:00:00+05:30'")
    ]


@pytest.mark.parametrize("value", ["2024-13-45", "'2024-13-45'", "'2023-02-29'"])
def test_an_impossible_date_for_a_datetime_gets_no_hint_of_it(demo: Catalog, value: str) -> None:
    shown = value if value.startswith("'") else f"'{value}'"
    assert told("Created_Time", value, demo) == [
        (f"{shown} is not a calendar date for Created_Time (datetime)", None)
    ]


def test_a_real_date_for_a_datetime_still_gets_the_hint(demo: Catalog) -> None:
    assert told("Created_Time", "'2024-02-29'", demo) == [
        (
            "'2024-02-29' is a date, not a datetime for Created_Time (datetime)",
            "give the time and the offset of the zone meant: '2024-02-29T00:00:00+00:00' is midnight UTC",
        )
    ]


@pytest.mark.parametrize(
    "value",
    [
        "'2024-02-30T10:00:00 +05:30'",
        "'2024-01-31T25:00Z'",
        "'2024-02-30 10:00:00+0530 '",
        "'2024-01-31T10:00:00+9999'",
    ],
)
def test_an_almost_right_datetime_that_does_not_exist_gets_no_hint(demo: Catalog, value: str) -> None:
    assert told("Created_Time", value, demo) == [
        (f"{value} is not a real date and time for Created_Time (datetime)", None)
    ]


def test_a_datetime_on_a_date_field_that_does_not_exist_gets_no_hint(demo: Catalog) -> None:
    value = "'2024-13-45T10:00:00+05:30'"
    assert told("Date_of_Birth", value, demo, "Contacts") == [
        (f"{value} is not a calendar date for Date_of_Birth (date)", None)
    ]
    value = "'2024-01-31T10:00:00+05:30'"
    assert told("Date_of_Birth", value, demo, "Contacts") == [
        (
            f"{value} is a datetime, not a date for Date_of_Birth (date)",
            "a date field takes the date alone: '2024-01-31'",
        )
    ]
