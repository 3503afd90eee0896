"""A datetime parameter without a time zone at midnight (``datetime(2024, 1, 1)``,
``pd.Timestamp("2024-01-01")``) compared with a datetime field is told as that parameter's
missing time zone, under ``:t``.

It is bound as the day it names (a date column comes back so in pandas), and was refused as
"'2024-01-01' is a date, not a datetime", a date the user never wrote, with a hint offering
``+00:00`` whatever the org's time zone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from coqlkit import Catalog, ErrorLevel, ValidationError, parse, validate

NAIVE_MIDNIGHTS = [dt.datetime(2024, 1, 1), pd.Timestamp("2024-01-01"), np.datetime64("2024-01-01T00:00")]


@pytest.mark.parametrize("value", NAIVE_MIDNIGHTS, ids=["datetime", "Timestamp", "datetime64"])
def test_a_naive_midnight_on_a_datetime_field_is_the_parameters_error(demo: Catalog, value: Any) -> None:
    query = parse("select Last_Name from Leads\nwhere Created_Time > :t and Last_Name = 'x'", {"t": value})
    (found,) = validate(query, demo)
    assert found.code == "INVALID_PARAMETER"
    assert found.message == (
        ":t is a datetime without a time zone, and Created_Time is a datetime field: Zoho needs the offset"
    )
    assert found.hint is not None and "+00:00" not in found.hint and "time zone" in found.hint
    assert (found.line, found.column, found.span and found.span.end_column) == (2, 22, 24)


def test_each_bound_place_is_told(demo: Catalog) -> None:
    query = parse(
        "select Last_Name from Leads where Created_Time between :a and :b",
        {"a": dt.datetime(2024, 1, 1), "b": dt.datetime(2024, 2, 1, tzinfo=dt.timezone.utc)},
    )
    assert [(d.code, d.message.split(" ")[0], d.column) for d in validate(query, demo)] == [
        ("INVALID_PARAMETER", ":a", 56)
    ]


def test_raised_with_the_parameters_code(demo: Catalog) -> None:
    with pytest.raises(ValidationError) as caught:
        validate(
            parse(
                "select Last_Name from Leads where Modified_Time >= :since",
                {"since": dt.datetime(2024, 1, 1)},
            ),
            demo,
            level=ErrorLevel.RAISE,
        )
    assert caught.value.code == "INVALID_PARAMETER"
    assert ":since is a datetime without a time zone" in str(caught.value)


def test_on_a_date_field_the_naive_midnight_is_still_the_day(demo: Catalog) -> None:
    query = parse("select Deal_Name from Deals where Closing_Date = :d", {"d": pd.Timestamp("2024-01-01")})
    assert validate(query, demo) == []


def test_a_date_written_in_the_query_is_still_told_as_a_date(demo: Catalog) -> None:
    (found,) = validate(parse("select Last_Name from Leads where Created_Time > '2024-01-01'"), demo)
    assert (found.code, found.message) == (
        "INVALID_QUERY",
        "'2024-01-01' is a date, not a datetime for Created_Time (datetime)",
    )
