"""A fraction compared with an integer or bigint field is refused quoted or bare alike.

``Days_Visited = .5`` was "not a whole number" while ``Days_Visited = '.5'`` passed: the
wholeness check looked only at bare numbers.
"""

from __future__ import annotations

import pytest

from coqlkit import Catalog, parse, validate


def told(condition: str, catalog: Catalog, module: str = "Leads") -> list[tuple[str, str]]:
    found = validate(parse(f"select Last_Name from {module} where {condition}"), catalog)
    return [(d.severity.value, d.message) for d in found]


@pytest.mark.parametrize(
    ("value", "shown"),
    [(".5", "0.5"), ("'.5'", "'.5'"), ("1.5", "1.5"), ("'1.5'", "'1.5'"), ("'-2.25'", "'-2.25'")],
)
def test_a_fraction_is_not_a_whole_number_quoted_or_not(demo: Catalog, value: str, shown: str) -> None:
    assert told(f"Days_Visited = {value}", demo) == [
        ("error", f"{shown} is not a whole number for Days_Visited (integer)")
    ]


def test_in_lists_and_between_too(demo: Catalog) -> None:
    assert told("Days_Visited in (1, '2.5')", demo) == [
        ("error", "'2.5' is not a whole number for Days_Visited (integer)")
    ]
    assert told("Days_Visited between '0.5' and 3", demo) == [
        ("error", "'0.5' is not a whole number for Days_Visited (integer)")
    ]


@pytest.mark.parametrize("value", ["5", "'5'", "5.0", "'5.0'", "'-3'"])
def test_whole_numbers_pass_quoted_or_not(demo: Catalog, value: str) -> None:
    assert told(f"Days_Visited = {value}", demo) == []


def test_a_quoted_fraction_on_a_decimal_field_is_fine(demo: Catalog) -> None:
    assert told("Annual_Revenue = '.5'", demo) == []
