"""SQL that COQL lacks is named as such, with the caret under it and what to do instead.

An analyst's UNION was told "a module takes no alias in COQL" (``union`` read as the
module's alias), ``order by 2`` and ``nulls last`` a bare "expected ...", ``coalesce(a, 'x')``
"expected ')'", ``case when`` "separate fields with commas", ``row_number() over (...)``
"the brackets are empty", and ``from "Leads"`` (SQLAlchemy's quoting) "expected a name".
"""

from __future__ import annotations

import pytest

from coqlkit import Catalog, CoqlSyntaxError, parse
from coqlkit.validate import explain_syntax_error


def refused(query: str) -> CoqlSyntaxError:
    with pytest.raises(CoqlSyntaxError) as caught:
        parse(query)
    return caught.value


def under_caret(error: CoqlSyntaxError) -> str:
    line = error.text.split("\n")[error.line - 1]
    return line[error.column - 1 : error.end_column - 1]


@pytest.mark.parametrize(
    ("query", "description", "caret", "hint"),
    [
        (
            "select Last_Name from Leads union all select Last_Name from Contacts",
            "COQL has no UNION",
            "union",
            "run the queries apart and put their rows together",
        ),
        (
            "select Email from Leads intersect (select Email from Contacts)",
            "COQL has no INTERSECT",
            "intersect",
            "run the queries apart and keep the rows both return",
        ),
        (
            "select Email from Leads where Email is not null except select Email from Contacts",
            "COQL has no EXCEPT",
            "except",
            "run the queries apart and drop the second one's rows from the first one's",
        ),
        (
            "select Last_Name from Leads fetch first 5 rows only",
            "COQL has no FETCH FIRST",
            "fetch",
            "use LIMIT: limit 5",
        ),
        (
            "select top 10 Last_Name from Leads",
            "COQL has no TOP",
            "top",
            "use LIMIT at the end: ... limit 10",
        ),
        (
            "select Lead_Source, COUNT(id) from Leads group by 1",
            "GROUP BY takes field names, not positions",
            "1",
            "name the field: group by Lead_Source",
        ),
        (
            "select Lead_Source, COUNT(id) from Leads group by Lead_Source order by 2 desc",
            "ORDER BY takes field names, not positions",
            "2",
            "name the field: order by COUNT(id)",
        ),
        (
            "select Last_Name from Leads order by Last_Name, 7",
            "ORDER BY takes field names, not positions",
            "7",
            "name the field: order by <field>",
        ),
        (
            "select Last_Name from Leads order by Last_Name nulls last",
            "COQL has no NULLS FIRST or NULLS LAST",
            "nulls last",
            "leave it out; to put the empty values first or last, sort the rows locally",
        ),
        (
            "select coalesce(Last_Name, 'x') from Leads",
            "COQL has no COALESCE",
            "coalesce",
            "select the field and fill its empty values from the rows",
        ),
        (
            "select case when Annual_Revenue > 1 then 1 else 0 end from Leads",
            "COQL has no CASE",
            "case",
            "select the fields and compute it from the rows",
        ),
        (
            "select Last_Name, row_number() over (order by Last_Name) from Leads",
            "COQL has no window functions (OVER)",
            "row_number",
            "select the fields and compute it from the rows",
        ),
        (
            "select COUNT(id) over () from Leads",
            "COQL has no window functions (OVER)",
            "over",
            "select the fields and compute it from the rows",
        ),
        (
            "select round(Annual_Revenue, 2) from Leads",
            "'round' is not a COQL function: SELECT takes fields, and COUNT, SUM, AVG, MIN or MAX of one",
            "round",
            "select the fields and compute it from the rows",
        ),
        (
            "select COUNT(id, Email) from Leads",
            "COUNT takes one field",
            "COUNT",
            "for example: COUNT(Annual_Revenue)",
        ),
        (
            "select Annual_Revenue * 2 from Leads",
            "COQL has no arithmetic in SELECT",
            "*",
            "select the fields and compute it from the rows",
        ),
        (
            "select Annual_Revenue + No_of_Employees from Leads",
            "COQL has no arithmetic in SELECT",
            "+",
            "select the fields and compute it from the rows",
        ),
        (
            "select Last_Name from Leads\nwhere Annual_Revenue - 5 > 1",
            "COQL has no arithmetic in conditions",
            "-",
            "compare the field itself with a value worked out beforehand",
        ),
        (
            "select Last_Name from Leads where No_of_Employees % 2 = 0",
            "COQL has no arithmetic in conditions",
            "%",
            "compare the field itself with a value worked out beforehand",
        ),
        (
            "select Last_Name from Leads order by Annual_Revenue / 12",
            "COQL has no arithmetic in ORDER BY",
            "/",
            "select the fields and compute it from the rows",
        ),
        (
            "select Leads.* from Leads",
            "COQL has no Leads.*: select fields by name",
            "Leads.*",
            "select * from Leads takes every field; or name the fields",
        ),
        (
            "select Owner.* from Leads",
            "COQL has no Owner.*: select fields by name",
            "Owner.*",
            "name the fields one by one: Owner.<field>",
        ),
        (
            'select "Owner"."first_name" from Leads',
            "a path is quoted whole in COQL, not name by name",
            '"Owner"."first_name"',
            "write Owner.first_name, or quote it as one: 'Owner.first_name'",
        ),
        (
            'select "Last_Name" from "Leads" limit 2',
            "a module is named without quotes in COQL",
            '"Leads"',
            "write it bare: from Leads",
        ),
        (
            "select Last_Name from 'Leads'",
            "a module is named without quotes in COQL",
            "'Leads'",
            "write it bare: from Leads",
        ),
    ],
)
def test_sql_that_coql_lacks_is_named(query: str, description: str, caret: str, hint: str) -> None:
    error = refused(query)
    assert (error.description, under_caret(error), error.hint) == (description, caret, hint)


@pytest.mark.parametrize(
    "query",
    [
        "select Last_Name from Leads order by Last_Name nulls last",
        "select case when Annual_Revenue > 1 then 1 end from Leads",
        "select Last_Name from Leads union select Last_Name from Contacts",
    ],
)
def test_the_catalog_does_not_retell_them_as_labels(query: str) -> None:
    error = refused(query)
    assert explain_syntax_error(error, Catalog.demo()) is error


@pytest.mark.parametrize(
    "query",
    [
        "select * except (Description) from Leads",
        "select Last_Name from Leads where Annual_Revenue > -5",
        "select 'Owner.first_name' from Leads",
        'select "Last_Name" from Leads order by "Last_Name"',
        "select Union, Fetch, Nulls from Leads",
    ],
)
def test_coql_that_looks_alike_still_parses(query: str) -> None:
    parse(query)


def test_a_union_word_not_before_select_is_still_an_alias() -> None:
    assert refused("select Last_Name from Leads union where Last_Name = 'x'").description == (
        "a module takes no alias in COQL"
    )
