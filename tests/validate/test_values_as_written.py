"""Values that are sent otherwise than the user meant: numbers that lose their leading zeros
or sign, picklist values in another case, bare words that name a field or a variable."""

from __future__ import annotations

import pytest

from coqlkit import Catalog, Severity, parse, render, validate
from coqlkit.validate import Diagnostic


def found(text: str, catalog: Catalog | None) -> list[Diagnostic]:
    return validate(parse(text), catalog)


def warnings(text: str, catalog: Catalog | None) -> list[Diagnostic]:
    return [d for d in found(text, catalog) if d.severity is not Severity.INFO]


# ---- numbers written otherwise than they are sent ----------------------------------------


def test_a_zip_code_with_a_leading_zero_is_a_warning_naming_the_number_sent(demo: Catalog) -> None:
    text = "select Last_Name from Leads where Zip_Code = 02158"
    assert "Zip_Code = 2158" in render(parse(text))  # what the warning is about
    (d,) = warnings(text, demo)
    assert (d.code, d.severity) == ("INVALID_QUERY", Severity.WARNING)
    assert d.message == "02158 is the number 2158: Zoho compares Zip_Code with 2158"
    assert d.hint == "quote it for the text '02158': Zip_Code = '02158'"
    assert (d.line, d.column, d.span.end_column if d.span else None) == (1, 46, 51)


@pytest.mark.parametrize(
    ("condition", "written", "sent"),
    [
        ("Phone = +14155550100", "+14155550100", "14155550100"),
        ("Zip_Code in ('x', 0044123)", "0044123", "44123"),
        ("Last_Name = -0", "-0", "0"),
        ("Last_Name != 1e3", "1e3", "1000"),
        ("Lead_Status = 007", "007", "7"),  # a picklist holds text too
    ],
)
def test_a_text_field_compared_with_a_number_spelt_otherwise(
    demo: Catalog, condition: str, written: str, sent: str
) -> None:
    found_ = warnings(f"select Last_Name from Leads where {condition}", demo)
    assert [d.message for d in found_ if d.message.startswith(written)] == [
        f"{written} is the number {sent}: Zoho compares {condition.split()[0]} with {sent}"
    ]


@pytest.mark.parametrize(
    "condition",
    [
        "Zip_Code = 2158",  # sent as written
        "Zip_Code = '02158'",
        "Annual_Revenue = 0100",  # a number field: the same number either way
        "Annual_Revenue > +5",
        "Annual_Revenue > 1e6",
        "No_of_Employees between 010 and 20",
        "Last_Name = 1.50",
    ],
)
def test_numbers_sent_as_meant_are_not_reported(demo: Catalog, condition: str) -> None:
    assert warnings(f"select Last_Name from Leads where {condition}", demo) == []


def test_without_metadata_only_lost_leading_zeros_are_reported() -> None:
    (d,) = warnings("select a from B where Zip = 02158", None)
    assert d.message == "02158 is the number 2158: Zoho compares Zip with 2158"
    assert d.hint == "if Zip holds text, quote it: '02158'; for the number, write 2158"
    assert warnings("select a from B where Phone = +14155550100 and c > 1e3 and d = 0", None) == []


def test_a_bound_number_has_no_written_form_to_compare() -> None:
    select = parse("select a from B where Zip = :z", {"z": 2158})
    assert warnings(render(select), None) == []
    assert warnings("select a from B where Zip = :z", None) == []


# ---- picklist values in another case -----------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    [
        "Lead_Status = 'contacted'",
        "Lead_Status != 'CONTACTED'",
        "Lead_Status in ('contacted', 'Not Contacted')",
        "Lead_Status not in ('not contacted')",
    ],
)
def test_a_picklist_value_in_another_case_is_no_warning(demo: Catalog, condition: str) -> None:
    # Text compares without regard to case (README, the sandbox): the value matches.
    found_ = found(f"select Last_Name from Leads where {condition}", demo)
    assert [d for d in found_ if d.severity is not Severity.INFO] == []
    (note,) = found_
    assert note.message.endswith("text compares without regard to case")
    assert "'Contacted'" in note.message or "'Not Contacted'" in note.message


def test_the_note_names_the_exact_value(demo: Catalog) -> None:
    (note,) = found("select Last_Name from Leads where Lead_Status = 'contacted'", demo)
    assert note.message == (
        "'contacted' matches the picklist value 'Contacted' of Lead_Status: text compares without regard to case"
    )
    assert note.hint == "the picklist spells it 'Contacted'"


def test_a_value_not_in_the_picklist_is_still_a_warning(demo: Catalog) -> None:
    (d,) = found("select Last_Name from Leads where Lead_Status = 'Contactd'", demo)
    assert d.severity is Severity.WARNING
    assert d.message == "'Contactd' is not a value of the picklist Lead_Status"


# ---- bare words that name a field or a variable ----------------------------------------------


@pytest.mark.parametrize(
    ("condition", "word", "column"),
    [
        ("Email = Secondary_Email", "Secondary_Email", 43),
        ("Last_Name = First_Name", "First_Name", 47),
        ("Email in ('a@b.com', Secondary_Email)", "Secondary_Email", 56),
    ],
)
def test_a_bare_word_naming_a_field_is_a_warning(
    demo: Catalog, condition: str, word: str, column: int
) -> None:
    (d,) = found(f"select Last_Name from Leads where {condition}", demo)
    left = condition.split()[0]
    assert (d.severity, d.column) == (Severity.WARNING, column)
    assert d.message == (
        f"COQL compares {left} with a value, not with another field: {word} is sent as the text '{word}'"
    )
    assert (
        d.hint == f"select both fields and compare them in the rows, or quote '{word}' if you mean that text"
    )


def test_a_field_name_spelt_in_lower_case_is_recognised(demo: Catalog) -> None:
    (d,) = found("select Last_Name from Leads where Last_Name = first_name", demo)
    assert "first_name (the field First_Name) is sent as the text 'first_name'" in d.message


def test_a_datetime_compared_with_a_field_says_so_not_how_to_write_a_datetime(demo: Catalog) -> None:
    (d,) = found("select Last_Name from Leads where Modified_Time > Created_Time", demo)
    assert (d.severity, d.column) == (Severity.ERROR, 51)
    assert d.message == (
        "COQL compares Modified_Time with a value, not with another field: Created_Time is a field, not a datetime"
    )
    assert d.hint is not None and d.hint.startswith("select both fields and compare them in the rows; ")


@pytest.mark.parametrize(
    "condition",
    [
        "Lead_Source = Advertisement",  # the README's own bare word
        "Lead_Status = Contacted",
        "Last_Name = Smith",
        "Email = 'Secondary_Email'",  # quoted: the user means the text
        "Last_Name = email",  # a plain word in another case may be a plain value
    ],
)
def test_bare_words_that_are_values_are_not_reported(demo: Catalog, condition: str) -> None:
    assert warnings(f"select Last_Name from Leads where {condition}", demo) == []


def test_a_dollar_word_is_an_unexpanded_variable(demo: Catalog) -> None:
    for catalog in (demo, None):
        (d,) = warnings("select Last_Name from Leads where Last_Name = $name", catalog)
        assert d.severity is Severity.WARNING
        assert d.message == "$name is sent as the text '$name': a variable not expanded?"
