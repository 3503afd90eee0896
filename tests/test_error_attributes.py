"""Input errors say where and why the same way (.line, .column, .hint, None when not known),
and a Zoho refusal's message names what its details name."""

from __future__ import annotations

import pytest

import coqlkit
from coqlkit.errors import ParameterError, ZohoApiError
from coqlkit.language.ast import Span
from coqlkit.validate import ErrorLevel


def where(error: coqlkit.CoqlError) -> tuple[object, object, object]:
    """What one generic handler logs, whatever the class."""
    return (
        getattr(error, "line", "missing"),
        getattr(error, "column", "missing"),
        getattr(error, "hint", "missing"),
    )


def test_a_syntax_error_says_where() -> None:
    with pytest.raises(coqlkit.CoqlSyntaxError) as caught:
        coqlkit.parse("select Last_Name from Leads where (Email = 'x'")
    assert where(caught.value) == (1, 47, "a '(' is not closed")


def test_a_validation_error_says_where_its_first_error_is() -> None:
    query = "select Last_Name from Leads\nwhere Emial = 'x' and Email_Opt_Out != 'true'"
    with pytest.raises(coqlkit.ValidationError) as caught:
        coqlkit.validate(coqlkit.parse(query), coqlkit.Catalog.demo(), level=ErrorLevel.RAISE)
    first = next(d for d in caught.value.diagnostics if d.is_error)
    assert where(caught.value) == (2, 7, "did you mean Email?") == (first.line, first.column, first.hint)


def test_a_parameter_error_says_where_the_parameter_stands() -> None:
    with pytest.raises(ParameterError) as caught:
        coqlkit.parse("select Last_Name from Leads\nwhere Email = :email", {"email": None})
    assert where(caught.value) == (2, 15, None)


def test_a_parameter_error_with_no_place_has_none() -> None:
    assert where(ParameterError(":x has type bytes, which has no COQL literal")) == (None, None, None)


def test_a_parameter_errors_hint_is_printed_and_kept_when_placed() -> None:
    error = ParameterError(":when has no value", hint="pass params={'when': ...}")
    assert str(error) == ":when has no value\n  hint: pass params={'when': ...}"
    text = "select Last_Name from Leads where Created_Time > :when"
    placed = error.at(Span(1, 50, 1, 55, 49, 54), text)
    assert (placed.line, placed.column, placed.hint) == (1, 50, "pass params={'when': ...}")
    assert str(placed).splitlines() == [
        "1:50: error[INVALID_PARAMETER]: :when has no value",
        "  select Last_Name from Leads where Created_Time > :when",
        "                                                   ^^^^^",
        "  hint: pass params={'when': ...}",
    ]


def test_a_zoho_refusal_names_the_column_its_details_name() -> None:
    error = ZohoApiError(
        "column given seems to be invalid", code="INVALID_QUERY", status=400, details={"column_name": "Emial"}
    )
    assert str(error) == "column given seems to be invalid (column_name: Emial)"
    assert error.message == "column given seems to be invalid"  # Zoho's own words, as they were


def test_only_short_named_values_are_quoted_and_never_a_credential() -> None:
    details = {
        "column_name": "Annual_Revenue",
        "reason": "invalid value",
        "limit": 2000,
        "access_token": "1000.secret",
        "client_secret": "abc",
        "refresh_token": "1000.r",
        "Authorization": "Zoho-oauthtoken 1000.x",
        "supported_values": ["a", "b"],
        "nested": {"api_name": "x"},
        "long": "x" * 200,
        "multi": "one\ntwo",
    }
    text = str(ZohoApiError("invalid query", code="INVALID_QUERY", details=details))
    assert text == "invalid query (column_name: Annual_Revenue, reason: invalid value, limit: 2000)"


def test_details_go_on_the_first_line_and_are_not_said_twice() -> None:
    error = ZohoApiError(
        "column given seems to be invalid", code="INVALID_QUERY", details={"column_name": "Emial"}
    )
    error.args = ("column given seems to be invalid\nhint: check the field's API name",)
    assert (
        str(error)
        == "column given seems to be invalid (column_name: Emial)\nhint: check the field's API name"
    )
    said = ZohoApiError("Emial is not a column", details={"column_name": "Emial"})
    assert str(said) == "Emial is not a column"
    assert str(ZohoApiError("internal error", code="INTERNAL_ERROR")) == "internal error"
