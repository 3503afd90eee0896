"""The first line of a Zoho error is the one a log keeps (``coqlkit: error: ...``): it names
the column Zoho refused even when a hint under it names the column too."""

from __future__ import annotations

from coqlkit.errors import ZohoApiError


def test_a_hint_under_the_message_does_not_hide_the_column() -> None:
    error = ZohoApiError(
        "column given seems to be invalid", code="INVALID_QUERY", details={"column_name": "Rating"}
    )
    error.args = (
        f"{error.message}\nhint: Rating was in coqlkit's cached metadata but Zoho no longer knows it",
    )
    first, hint = str(error).splitlines()
    assert first == "column given seems to be invalid (column_name: Rating)"
    assert hint.startswith("hint: Rating was in")


def test_a_message_that_names_the_column_is_not_told_it_twice() -> None:
    error = ZohoApiError(
        "Rating is not a valid column", code="INVALID_QUERY", details={"column_name": "Rating"}
    )
    assert str(error) == "Rating is not a valid column"
