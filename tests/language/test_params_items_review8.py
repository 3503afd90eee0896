"""A list parameter's item that has no COQL literal is named as the item (``:vals[1]``),
not as the list, which is no ``None`` (review 8, notebook #5); a null in an IN list is
pointed to ``or FIELD is null``, as IN matches no null."""

from __future__ import annotations

import pytest

import coqlkit
from coqlkit.errors import ParameterError

QUERY = "select Last_Name from Leads where Lead_Source in :vals"


@pytest.mark.parametrize(
    ("values", "said"),
    [
        (["Chat", None], ":vals[1] is None; IN matches no null: add 'or FIELD is null' beside the IN"),
        ([1, float("inf")], ":vals[1] is inf; COQL numbers are finite"),
        (("a", object()), ":vals[1] has type object, which has no COQL literal"),
    ],
)
def test_an_item_is_named_as_the_item(values: list[object], said: str) -> None:
    with pytest.raises(ParameterError) as info:
        coqlkit.bind(coqlkit.parse(QUERY), {"vals": values})
    assert said in str(info.value)
    assert (info.value.line, info.value.column) == (1, 50)  # the parameter, in the query


def test_a_lone_value_keeps_its_own_name() -> None:
    with pytest.raises(ParameterError, match=r":vals is None; write 'is null' in the query instead"):
        coqlkit.bind(coqlkit.parse(QUERY), {"vals": None})
