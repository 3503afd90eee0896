"""Syntax errors told again with the org's metadata: a field's label typed without quotes."""

from __future__ import annotations

import pytest

from coqlkit import Catalog, CoqlSyntaxError, parse
from coqlkit.catalog import Module
from coqlkit.validate import explain_syntax_error


def syntax_error(text: str) -> CoqlSyntaxError:
    with pytest.raises(CoqlSyntaxError) as info:
        parse(text)
    return info.value


@pytest.mark.parametrize(
    ("text", "column", "end", "hint"),
    [
        (
            "select Last_Name from Leads where Lead Status = 'Contacted'",
            35,
            46,
            "did you mean Lead_Status? (the field labelled Lead Status)",
        ),
        (
            "select Last_Name from Leads where Lead Owner = '4150868000000225013'",
            35,
            45,
            "did you mean Owner? (the field labelled Lead Owner)",
        ),
        (
            "select Last_Name from Leads where No of Employees > 5",
            35,
            50,
            "did you mean No_of_Employees? (the field labelled No. of Employees)",
        ),
        (
            "select Email Opt Out from Leads",
            8,
            21,
            "did you mean Email_Opt_Out? (the field labelled Email Opt Out)",
        ),
        (
            "select Last_Name from Leads\norder by Created Time desc",
            10,
            22,
            "did you mean Created_Time? (the field labelled Created Time)",
        ),
    ],
)
def test_a_label_is_named_by_its_api_name(demo: Catalog, text: str, column: int, end: int, hint: str) -> None:
    told = explain_syntax_error(syntax_error(text), demo)
    assert (told.column, told.end_column, told.hint) == (column, end, hint)
    assert told.code == "SYNTAX_ERROR"


def test_words_that_are_no_label_get_the_fields_they_are_close_to(demo: Catalog) -> None:
    told = explain_syntax_error(syntax_error("select Last_Name from Leads where Lead Stauts = 'x'"), demo)
    assert told.hint == "did you mean Lead_Status? (\\d Leads lists them)"
    told = explain_syntax_error(syntax_error("select Last_Name from Leads where Lead Colour = 'x'"), demo)
    assert told.hint == "no field of Leads is named or labelled 'Lead Colour' (\\d Leads lists them)"


@pytest.mark.parametrize(
    "text",
    [
        "select Last_Name form Leads",
        "select Last_Name from Leads where Company = 'Lead Status' Lead Status = 1",  # a missing AND
        "select Last_Name Email Phone from Leads",
        "select Last_Name from Leads where Last_Name = 'O'Brien'",
    ],
)
def test_other_syntax_errors_come_back_as_they_were(demo: Catalog, text: str) -> None:
    error = syntax_error(text)
    assert explain_syntax_error(error, demo) is error


def test_without_metadata_the_parser_s_error_stands(demo: Catalog) -> None:
    error = syntax_error("select Last_Name from Leads where Lead Owner = '1'")
    assert explain_syntax_error(error, None) is error
    assert explain_syntax_error(error, Catalog([Module.build("Leads")])) is error  # fields not loaded
    assert error.hint is not None and error.hint.startswith("did you mean Lead_Owner?")


def test_a_label_in_select_is_named_by_the_validator(demo: Catalog) -> None:
    from coqlkit import validate

    (found,) = validate(parse("select Lead Status from Leads"), demo)
    assert (found.column, found.span and found.span.end_column) == (8, 19)
    assert found.message == "Leads has no field Lead (Status is read as its alias)"
    assert found.hint == "did you mean Lead_Status? (the field labelled Lead Status)"
