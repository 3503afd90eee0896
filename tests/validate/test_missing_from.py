"""``select Last_Name Invoice where ...``: FROM left out, the module taken as an alias. The
parser tells capitalised plurals (``Leads``) itself; the catalog tells the org's other
module names (a singular custom module, a name in lower case)."""

from __future__ import annotations

import pytest

from coqlkit import Catalog, CoqlSyntaxError, parse
from coqlkit.catalog import Module
from coqlkit.validate import explain_syntax_error

ORG = Catalog([Module.build("Leads"), Module.build("Invoice_Custom"), Module.build("Project")])


def explained(text: str, catalog: Catalog) -> CoqlSyntaxError:
    with pytest.raises(CoqlSyntaxError) as info:
        parse(text)
    return explain_syntax_error(info.value, catalog)


@pytest.mark.parametrize(
    ("text", "word", "module"),
    [
        ("select Name Project where Name = 'x'", "Project", "Project"),
        ("select Name, Owner Invoice_Custom order by Name", "Invoice_Custom", "Invoice_Custom"),
        ("select Last_Name leads where Last_Name = 'x'", "leads", "Leads"),
        ("select Last_Name leads", "leads", "Leads"),
        ("select Last_Name project;", "project", "Project"),
    ],
)
def test_a_module_of_the_org_taken_as_an_alias(text: str, word: str, module: str) -> None:
    err = explained(text, ORG)
    assert (err.line, err.column, err.end_column) == (
        1,
        text.index(word) + 1,
        text.index(word) + 1 + len(word),
    )
    assert err.description == f"FROM is missing: '{word}' reads as an alias of the field before it"
    assert err.hint == f"write FROM before it: select ... from {module}"


@pytest.mark.parametrize(
    "text",
    [
        "select Name as Project where Name = 'x'",  # an alias on purpose
        "select Name total where Name = 'x'",  # no module of the org
        "select Project where Name = 'x'",  # the field list itself
        "select Name, Project where Name = 'x'",
        "select Name Project Leads",  # the parser stopped at a name, not at a clause
    ],
)
def test_no_missing_from_hint_otherwise(text: str) -> None:
    assert "FROM is missing" not in explained(text, ORG).description


def test_without_a_catalog_the_parser_alone_tells() -> None:
    with pytest.raises(CoqlSyntaxError) as info:
        parse("select Name Project where Name = 'x'")
    assert explain_syntax_error(info.value, None) is info.value
    assert "FROM is missing" not in info.value.description
