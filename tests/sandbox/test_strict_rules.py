"""Rules the sandbox missed or got wrong against the reference and coqlkit's validator
(fuzz review #6). The sandbox is the test oracle: where it accepted what Zoho refuses, a
query that passed against it could still fail on Zoho; where it refused what Zoho takes, the
other way round.

Where Zoho's answer is documented (the error examples of Zoho's OAS v8, ``coql.json``) the
sandbox gives it; where the reference is silent the sandbox follows coqlkit's validator and
says so in ``coqlkit/sandbox/checks.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.conftest import Api


def refusal(api: Api, query: str) -> tuple[int, str, str, dict[str, Any]]:
    reply = api.coql(query)
    body = reply.json()
    assert set(body) == {"code", "details", "message", "status"} and body["status"] == "error", body
    return reply.status_code, body["code"], body["message"], body["details"]


# ---- a boolean formula may be tested for null (reference §3) -------------------------------


@pytest.mark.parametrize("test", ["is null", "is not null"])
def test_a_boolean_formula_is_tested_for_null(api: Api, test: str) -> None:
    rows = api.rows(f"select Is_Overdue from Invoices where Is_Overdue {test} limit 5")
    assert rows and all((row["Is_Overdue"] is None) == (test == "is null") for row in rows)


def test_a_plain_boolean_still_takes_only_equals(api: Api) -> None:
    code, details = refusal(api, "select Last_Name from Leads where Email_Opt_Out is null")[1::2]
    assert (code, details["operator"], details["reason"]) == (
        "INVALID_QUERY",
        "is null",
        "invalid operator found",
    )


# ---- not like is not-contains only: '%text%' (reference §2.4) -------------------------------


@pytest.mark.parametrize("pattern", ["Sm%", "%th", "Smith", "%"])
def test_not_like_takes_only_a_contains_pattern(api: Api, pattern: str) -> None:
    assert refusal(api, f"select Last_Name from Leads where Company not like '{pattern}'") == (
        400,
        "INVALID_QUERY",
        "invalid query formed",
        {"column_name": "Company", "operator": "not like", "reason": "invalid operator found"},
    )


def test_not_like_contains_runs(api: Api) -> None:
    rows = api.rows("select Company from Leads where Company not like '%a%' limit 20")
    assert rows and all("a" not in row["Company"].lower() for row in rows)


# ---- fields that cannot be filtered (Zoho's "unsupported column in criteria") ----------------


@pytest.mark.parametrize(
    ("query", "column", "operator"),
    [
        ("select Last_Name from Leads where Layout is null", "Layout", "is null"),  # filterable: false
        ("select Account_Name from Accounts where Territories is not null", "Territories", "is not null"),
        ("select Campaign_Name from Campaigns where Description = 'x'", "Description", "="),
    ],
    ids=["metadata says not filterable", "territory", "multi-line"],
)
def test_a_field_that_cannot_be_filtered_is_refused_in_where(
    api: Api, query: str, column: str, operator: str
) -> None:
    assert refusal(api, query) == (
        400,
        "INVALID_QUERY",
        "unsupported column in criteria",
        {"cv_criteria": False, "column_name": column, "operator": operator},
    )


# ---- a subquery selects one column (Zoho's OAS v8 InvalidQuerySubQueryMultipleColumns) ------


def test_a_subquery_of_two_columns_is_refused(api: Api) -> None:
    query = (
        "select Last_Name from Leads where Owner in (select id from Users where id is not null) "
        "or id in (select id, Last_Name from Leads where id is not null)"
    )
    assert refusal(api, query) == (
        400,
        "INVALID_QUERY",
        "subquery should contains only one column",
        {"sub_query_sequence": 1, "column_name": ["id", "Last_Name"]},
    )


# ---- ORDER BY in grouped and aggregated queries (reference silent: as the validator) --------


@pytest.mark.parametrize(
    ("query", "column"),
    [
        (
            "select Lead_Source, COUNT(id) from Leads where id is not null group by Lead_Source "
            "order by SUM(Annual_Revenue)",
            "SUM(Annual_Revenue)",
        ),
        (
            "select Lead_Source, COUNT(id) from Leads where id is not null group by Lead_Source order by Last_Name",
            "Last_Name",
        ),
        (
            "select COUNT(id) from Leads where id is not null order by SUM(Annual_Revenue)",
            "SUM(Annual_Revenue)",
        ),
        ("select Last_Name from Leads where id is not null order by COUNT(id)", "COUNT(id)"),
    ],
    ids=["aggregate not selected", "field not grouped", "aggregated, no GROUP BY", "not aggregated"],
)
def test_order_by_takes_what_a_grouped_row_has(api: Api, query: str, column: str) -> None:
    assert refusal(api, query) == (
        400,
        "INVALID_QUERY",
        "invalid query formed",
        {"column_name": column, "clause": "order by"},
    )


def test_order_by_a_selected_aggregate_a_grouped_field_or_an_alias_runs(api: Api) -> None:
    rows = api.rows(
        "select Lead_Source as src, COUNT(id), MAX(Annual_Revenue) as top from Leads where id is not null "
        "group by Lead_Source order by COUNT(id) desc, top, src limit 5"
    )
    counts = [row["COUNT(id)"] for row in rows]
    assert len(rows) == 5 and counts == sorted(counts, reverse=True)


# ---- an integer field takes whole numbers (as the validator; Zoho unverified) ---------------


@pytest.mark.parametrize("value", ["1.5", "'1.5'", "'.5'", "-0.25"])
def test_a_fraction_on_an_integer_field_is_refused(api: Api, value: str) -> None:
    assert refusal(api, f"select Last_Name from Leads where No_of_Employees = {value}") == (
        400,
        "INVALID_QUERY",
        "value given seems to be invalid for the column",
        {"column_name": "No_of_Employees", "reason": "invalid value"},
    )


def test_a_whole_number_written_with_a_point_is_taken(api: Api) -> None:
    plain = api.rows("select No_of_Employees from Leads where No_of_Employees >= 50 limit 50")
    assert plain and plain == api.rows(
        "select No_of_Employees from Leads where No_of_Employees >= '50.0' limit 50"
    )


# ---- an alias named id (as the validator; Zoho unverified) -----------------------------------


@pytest.mark.parametrize("alias", ["'id'", "id", "'ID'"])
def test_an_alias_named_id_is_refused_where_rows_carry_the_record_id(api: Api, alias: str) -> None:
    """Each record comes with its id under "id": the sandbox answered with the record ids
    alone, the column's values silently lost."""
    refused = refusal(api, f"select Last_Name as {alias} from Leads where id is not null limit 2")
    assert refused == (
        400,
        "INVALID_ALIAS",
        "alias name cannot be the key of the record id",
        {"alias": alias.strip("'"), "column_name": "Last_Name"},
    )


def test_an_alias_named_id_is_taken_where_rows_carry_no_record_id(api: Api) -> None:
    rows = api.rows(
        "select Lead_Source as 'id', COUNT(id) from Leads where Lead_Source is not null group by Lead_Source"
    )
    assert rows and all(isinstance(row["id"], str) and row["COUNT(id)"] > 0 for row in rows)
    assert api.rows("select id as 'id' from Leads where id is not null limit 2")[0]["id"].isdigit()
