"""Values and messages of COQL pasted from scripts, templates and Postman (review L, 6 to 9).

Each warning is about a query that runs and matches nothing, or a hint the user follows:
what the sandbox (coqlkit's model of Zoho, over HTTP) makes of the query and of the fix
is checked too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from coqlkit.catalog import Catalog
from coqlkit.errors import CoqlSyntaxError
from coqlkit.language import parse
from coqlkit.lint import lint_text
from coqlkit.sandbox.server import Sandbox
from coqlkit.validate import Diagnostic, Severity, validate
from tests.sandbox.conftest import Api


@pytest.fixture(scope="module")
def raw() -> Iterator[Api]:
    with Sandbox(records=400, seed=42) as sandbox:
        api = Api(sandbox)
        yield api
        api.close()


def found(query: str) -> list[Diagnostic]:
    return validate(parse(query), Catalog.demo())


# --- 6: the module a '.' path through a multi-module lookup should name -------------------


@pytest.mark.parametrize(
    ("field", "module", "others"),
    [
        ("Account_Name", "Accounts", "Accounts, Deals, Quotes, Sales_Orders, Invoices and Cases"),
        ("Deal_Name", "Deals", "Deals, Quotes, Sales_Orders and Cases"),
    ],
)
def test_the_arrow_hint_names_a_module_that_has_the_field(
    raw: Api, field: str, module: str, others: str
) -> None:
    """Was: 'What_Id->Leads.Account_Name', a module without the field, for every field."""
    (error,) = found(f"select Subject from Tasks where What_Id.{field} = 'Zylker'")
    assert error.message == "What_Id refers to several modules: a '.' path cannot say which"
    assert error.hint == (
        f"name the module with '->', quoted: 'What_Id->{module}.{field}' ({others} have {field})"
    )
    followed = f"select Subject from Tasks where 'What_Id->{module}.{field}' = 'Zylker'"
    assert not [d for d in found(followed) if d.is_error]
    assert raw.coql(followed).status_code in (200, 204)
    refused = raw.coql(f"select Subject from Tasks where 'What_Id->Leads.{field}' = 'Zylker'")
    assert refused.status_code == 400


def test_the_arrow_hint_when_no_module_has_the_field() -> None:
    (error,) = found("select Subject from Tasks where What_Id.Nothing_Here = 'x'")
    assert error.hint == (
        "no module What_Id refers to (Leads, Accounts, Deals, Products, Quotes, ...) has a field Nothing_Here"
    )


# --- 8: a template's placeholder left in a quoted value -----------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("'{{name}}'", "'{{name}}' is sent as written: a template variable not expanded?"),
        ("'${name}'", "'${name}' is sent as written: a template variable not expanded?"),
        ("'$name'", "'$name' is sent as written: a template variable not expanded?"),
        (
            "'Dr. {{name}}'",
            "'Dr. {{name}}' holds {{name}}, sent as written: a template variable not expanded?",
        ),
        (
            "'\" + name + \"'",
            "'\" + name + \"' is sent as written: Deluge's concatenation, copied out of a script?",
        ),
    ],
)
def test_a_placeholder_in_quotes_warns_like_a_bare_dollar_name(raw: Api, value: str, message: str) -> None:
    """Was: no diagnostic; the query runs and matches nothing (a credit for no rows)."""
    query = f"select Last_Name from Leads where Last_Name = {value}"
    assert [(d.severity, d.message) for d in found(query)] == [(Severity.WARNING, message)]
    assert raw.coql(query).status_code == 204


def test_placeholders_in_a_pattern_a_picklist_and_a_datetime() -> None:
    (like,) = found("select Last_Name from Leads where Last_Name like '%{{term}}%'")
    assert like.message == "'%{{term}}%' holds {{term}}, sent as written: a template variable not expanded?"
    # On a picklist the placeholder is said, not 'not a value of the picklist'.
    (picklist,) = found("select Last_Name from Leads where Lead_Status = '{{status}}'")
    assert picklist.severity is Severity.WARNING and "template variable" in picklist.message
    # On a datetime Zoho refuses the text (an error), and the warning says why it is there.
    datetime = found("select Last_Name from Leads where Created_Time > '{{start}}'")
    assert [d.severity for d in datetime] == [Severity.ERROR, Severity.WARNING]
    assert "template variable not expanded" in datetime[1].message
    (deluge,) = found("select Last_Name from Leads where Last_Name = '\" + name + \"'")
    assert deluge.hint == "write the value, or the parameter :name bound when the query runs"


def test_text_that_only_looks_like_a_placeholder_is_no_warning() -> None:
    for value in ("'$5'", "'price: $ 5'", "'{name}'", "'a + b'", "'US$ 100'"):
        assert found(f"select Last_Name from Leads where Last_Name = {value}") == [], value


# --- 9: the picklist's empty choice ---------------------------------------------------------


def test_the_empty_picklist_choice_says_is_null(raw: Api) -> None:
    """Was: no diagnostic, though `= '-None-'` matches no record (the empty choice is null)."""
    (equal,) = found("select Last_Name from Leads where Lead_Status = '-None-'")
    assert (equal.severity, equal.hint) == (Severity.WARNING, "write Lead_Status is null")
    assert equal.message == (
        "'-None-' is the empty choice of the picklist Lead_Status: a record left on it holds "
        "no value (null), so no record matches it"
    )
    (other,) = found("select Last_Name from Leads where Lead_Status != '-None-'")
    assert other.hint == "write Lead_Status is not null"
    (listed,) = found("select Last_Name from Leads where Lead_Status in ('-None-', 'Contacted')")
    assert listed.hint == (
        "take '-None-' out of the list and add 'or Lead_Status is null' (in brackets with the IN)"
    )
    assert raw.coql("select Last_Name from Leads where Lead_Status = '-None-'").status_code == 204
    assert raw.rows("select Last_Name from Leads where Lead_Status is null")
    assert len(raw.rows("select Last_Name from Leads where Lead_Status != '-None-' limit 2000")) == len(
        raw.rows("select Last_Name from Leads where Lead_Status is not null limit 2000")
    )


# --- 7: messages of pasted text -------------------------------------------------------------


def syntax(query: str) -> CoqlSyntaxError:
    with pytest.raises(CoqlSyntaxError) as caught:
        parse(query)
    return caught.value


def test_quotes_escaped_for_json_are_named_with_one_backslash() -> None:
    """Was: `unexpected character '\\\\'` (a doubled backslash not in the text), a generic hint."""
    error = syntax('select Last_Name from Leads where Company = \\"Acme\\"')
    assert error.description == "unexpected character '\\'"
    assert error.hint == "drop the backslashes (quotes escaped for JSON or Deluge): Company = 'Acme'"
    assert parse("select Last_Name from Leads where Company = 'Acme'")


def test_a_postman_body_gives_the_query_inside() -> None:
    error = syntax('{"select_query": "select Last_Name from Leads where Company = \\"Acme\\" limit 2"}')
    assert error.description == "a JSON body, not a query"
    assert error.hint == 'send only the query: select Last_Name from Leads where Company = "Acme" limit 2'
    assert parse(error.hint.split(": ", 1)[1])


def test_unquoted_values_get_the_quoted_value_as_hint(raw: Api) -> None:
    """Was: `expected ... found 'Download'` and `unexpected character '@'` with keyword lists."""
    for query, hint in (
        (
            "select Last_Name from Leads where Lead_Source = Web Download limit 5",
            "quote the value: 'Web Download'",
        ),
        (
            "select Last_Name from Leads where Email = patricia@zylker.com",
            "quote the value: 'patricia@zylker.com'",
        ),
    ):
        (report,) = lint_text(query + ";", Catalog.demo())
        (error,) = report.diagnostics
        assert error.hint == hint
        value = hint.split(": ", 1)[1]
        fixed = query.replace(value.strip("'"), value)
        assert lint_text(fixed + ";", Catalog.demo())[0].ok
        assert raw.coql(fixed).status_code in (200, 204)
