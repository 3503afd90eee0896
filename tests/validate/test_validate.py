"""validate(): what the levels do, what runs without metadata, and how diagnostics read."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from coqlkit import Catalog, ErrorLevel, Severity, ValidationError, parse, validate
from coqlkit.catalog import Field
from coqlkit.validate import RULES, allowed_operators


def codes(text: str, catalog: Catalog | None) -> list[tuple[str, str]]:
    return [(d.code, d.severity.value) for d in validate(parse(text), catalog)]


def test_clean_query_has_no_diagnostics(demo: Catalog) -> None:
    text = (
        "select Last_Name, Email, Owner.last_name from Leads "
        "where Lead_Status = 'Contacted' and Created_Time > '2024-01-01T00:00:00+05:30' limit 100"
    )
    assert validate(parse(text), demo) == []


def test_errors_come_first_in_zoho_order(demo: Catalog) -> None:
    # Zoho reports limits before metadata problems: the LIMIT_EXCEEDED of 26 criteria comes first.
    conditions = " and ".join(f"(Emial = 'x{i}')" for i in range(26))
    found = validate(parse(f"select Last_Name from Leads where {conditions}"), demo)
    assert found[0].code == "LIMIT_EXCEEDED"
    assert all(d.code == "INVALID_QUERY" for d in found[1:])


def test_raise_level(demo: Catalog) -> None:
    text = "select Emial from Leads"
    with pytest.raises(ValidationError) as info:
        validate(parse(text), demo, level=ErrorLevel.RAISE, text=text)
    assert info.value.code == "INVALID_QUERY"
    assert "did you mean Email?" in str(info.value)
    assert "^^^^^" in str(info.value)
    # Warnings and information alone do not raise.
    validate(
        parse("select Last_Name from Leads where Lead_Status = 'Hot' limit 5000"),
        demo,
        level=ErrorLevel.RAISE,
    )


def test_warn_level_logs(demo: Catalog, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="coqlkit.validate"):
        validate(parse("select Emial from Leads"), demo, level=ErrorLevel.WARN)
    assert "Emial" in caplog.text


def test_without_metadata_only_structure_is_checked() -> None:
    assert codes("select Emial from Nowhere", None) == []
    assert codes("select a, a from B", None) == [("DUPLICATE_DATA", "error")]
    assert codes("select a from B limit 5000", None) == [("LIMIT_EXCEEDED", "info")]


def test_information_for_limits_the_planner_lifts(demo: Catalog) -> None:
    values = ", ".join(f"'v{i}'" for i in range(60))
    found = codes(f"select Last_Name from Leads where Email in ({values}) limit 100 offset 99950", demo)
    assert found == [("LIMIT_EXCEEDED", "info"), ("LIMIT_EXCEEDED", "info")]
    star = validate(parse("select * from Leads"), demo)
    assert [
        (d.severity, str(len(demo.module("Leads").fields or ())))
        in [(Severity.INFO, w) for w in d.message.split()]
        for d in star
    ] == [True]  # type: ignore[union-attr]


def test_subqueries_are_checked_in_their_own_module(demo: Catalog) -> None:
    found = validate(
        parse(
            "select Last_Name from Contacts where Account_Name in (select id from Accounts where Industy = 'x')"
        ),
        demo,
    )
    assert [(d.code, d.hint) for d in found if d.is_error] == [("INVALID_QUERY", "did you mean Industry?")]


def test_comparators_follow_the_reference_table() -> None:
    assert allowed_operators(Field("x", "boolean")) == {"="}
    assert "like" in allowed_operators(Field("x", "picklist"))
    assert "between" in allowed_operators(Field("x", "datetime"))
    assert allowed_operators(Field("x", "lookup")) == {"=", "!=", "in", "not in", "is null", "is not null"}
    assert allowed_operators(Field("x", "text", encrypted=True)) == {"is null", "is not null"}
    assert allowed_operators(Field("x", "integer", encrypted=True)) == {"=", "!=", "is null", "is not null"}
    assert allowed_operators(Field("x", "territories")) == frozenset()


def test_diagnostic_json_shape(demo: Catalog) -> None:
    (d,) = validate(parse("select Emial from Leads"), demo)
    assert d.to_dict() == {
        "code": "INVALID_QUERY",
        "severity": "error",
        "message": "Leads has no field Emial",
        "line": 1,
        "column": 8,
        "hint": "did you mean Email?",
    }
    assert d.details == {"column_name": "Emial"}


def test_every_rule_has_a_docstring() -> None:
    assert all(rule.__doc__ for rule in RULES)


def test_a_quoted_number_zoho_may_not_read_is_refused_before_any_call(demo: Catalog) -> None:
    text = "select Account_Name from Accounts where Annual_Revenue > '1e6'"
    with pytest.raises(ValidationError) as info:
        validate(parse(text), demo, level=ErrorLevel.RAISE, text=text)
    shown = str(info.value).splitlines()
    assert shown[1:3] == [f"  {text}", "  " + " " * text.index("'1e6'") + "^^^^^"]
    assert "write Annual_Revenue > 1000000" in shown[3]


def test_reversed_bounds_are_a_warning_with_or_without_metadata(demo: Catalog) -> None:
    text = "select Last_Name from Leads where Annual_Revenue between 2000000 and 1000000"
    assert codes(text, None) == codes(text, demo) == [("INVALID_QUERY", "warning")]
    assert codes("select a from B where c between 1000000 and 2000000", None) == []


def test_a_long_line_is_quoted_around_the_caret(demo: Catalog) -> None:
    names = ", ".join(f"'surname{i:03}'" for i in range(45))
    text = (
        f"select Last_Name from Leads where Last_Name in ({names}) and Emial = 'x' and Company in ({names})"
    )
    assert len(text) > 1000
    (found,) = validate(parse(text), demo)
    _, quoted, carets, _ = found.format(text).splitlines()
    assert len(quoted) < 130 and quoted.startswith("  …") and quoted.endswith("…")
    start = carets.index("^")
    assert quoted[start : start + 5] == "Emial"
    assert carets[start:] == "^^^^^"


def test_a_parsed_query_is_quoted_with_a_caret_when_validation_raises() -> None:
    """``validate(parse(text), level=RAISE)`` quotes the text it was parsed from, as
    ``conn.query(text)`` does (it gave the message and hint without the line and caret)."""
    with pytest.raises(ValidationError) as caught:
        validate(
            parse("select Last_Name\nfrom Leads where Emial = 'x'"), Catalog.demo(), level=ErrorLevel.RAISE
        )
    assert str(caught.value).splitlines() == [
        "2:18: error[INVALID_QUERY]: Leads has no field Emial",
        "  from Leads where Emial = 'x'",
        "                   ^^^^^",
        "  hint: did you mean Email?",
    ]
    # Text given explicitly wins; a query built in code (no text) gives the message alone.
    built = dataclasses.replace(parse("select Emial from Leads"), text=None)
    with pytest.raises(ValidationError) as bare:
        validate(built, Catalog.demo(), level=ErrorLevel.RAISE)
    assert str(bare.value).splitlines()[0] == "1:8: error[INVALID_QUERY]: Leads has no field Emial"
    assert "^" not in str(bare.value)
