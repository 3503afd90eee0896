"""The sandbox refuses what Zoho refuses, with Zoho's code, details and envelope.

These are the sandbox's own checks (coqlkit/sandbox/checks.py), not the validator's: a
raw, unrendered query sent to it fails as it would against Zoho.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.conftest import Api

MANY_IN = ", ".join(f"'v{i}'" for i in range(51))
MANY_CRITERIA = "Last_Name = 'x0'"
for _i in range(1, 26):  # bracketed in pairs, as Zoho wants: ((a and b) and c) ...
    MANY_CRITERIA = f"({MANY_CRITERIA}) and Last_Name = 'x{_i}'"
MANY_COLUMNS = ", ".join(
    [
        "Last_Name",
        "First_Name",
        "Email",
        "Phone",
        "Mobile",
        "Fax",
        "Website",
        "Company",
        "Designation",
        "City",
    ]
    * 6
)

CASES: list[tuple[str, str, str, dict[str, Any] | None]] = [
    # (query, code, what the case is, details expected, or None to skip the details)
    ("select Last_Name from Leads", "SYNTAX_ERROR", "missing WHERE", {"clause": "where"}),
    ("select Last_Name from Leads where a = 1 and b = 2 and c = 3", "SYNTAX_ERROR", "flat AND chain", None),
    (
        "select Last_Name from Leads where Last_Name = 'a' or Email = 'b' or Phone = 'c'",
        "SYNTAX_ERROR",
        "flat OR chain",
        None,
    ),
    ("select count(id) from Leads where id is not null", "INVALID_DATA", "lower-case aggregate", None),
    ("select * from Leads where id is not null", "SYNTAX_ERROR", "SELECT *", None),
    ("select Last_Name from Leads where id is not null -- note", "SYNTAX_ERROR", "a comment", None),
    ("select Last_Name from Leads where id is not null;", "SYNTAX_ERROR", "a trailing semicolon", None),
    ("select Last_Name from Leads where Email = :email", "SYNTAX_ERROR", "a parameter", None),
    ("select Last_Name from Leads where id is not null limit :n", "SYNTAX_ERROR", "a LIMIT parameter", None),
    (
        "select Last_Name from Leads where Created_Time > 2024-01-01T00:00:00+00:00",
        "SYNTAX_ERROR",
        "an unquoted datetime",
        None,
    ),
    ("select External from Accounts where id is not null", "SYNTAX_ERROR", "an unquoted reserved word", None),
    ("select Last_Name frm Leads where id is not null", "SYNTAX_ERROR", "a garbled query", None),
    (
        "select Last_Name from Leads where id is not null limit 2001",
        "LIMIT_EXCEEDED",
        "LIMIT over 2,000",
        {"limit": 2000},
    ),
    (
        "select Last_Name from Leads where id is not null limit 2000 offset 98001",
        "LIMIT_EXCEEDED",
        "past 100,000",
        {"limit": 100000},
    ),
    ("select Last_Name from Leads where id is not null limit 0", "INVALID_DATA", "LIMIT 0", None),
    (
        f"select {MANY_COLUMNS} from Leads where id is not null",
        "LIMIT_EXCEEDED",
        "more than 50 columns",
        {"limit": 50},
    ),
    (
        f"select Last_Name from Leads where {MANY_CRITERIA}",
        "LIMIT_EXCEEDED",
        "more than 25 criteria",
        {"limit": 25},
    ),
    (
        f"select Last_Name from Leads where Last_Name in ({MANY_IN})",
        "LIMIT_EXCEEDED",
        "more than 50 IN values",
        {"limit": 50},
    ),
    (
        "select Last_Name from Leads where id is not null order by Last_Name, First_Name, Email, Phone, Mobile, Fax, "
        "Website, Company, Designation, City, State",
        "LIMIT_EXCEEDED",
        "more than 10 ORDER BY",
        {"limit": 10},
    ),
    (
        "select Lead_Source, Lead_Status, Industry, Rating, Salutation, COUNT(id) from Leads where id is not null "
        "group by Lead_Source, Lead_Status, Industry, Rating, Salutation",
        "LIMIT_EXCEEDED",
        "more than 4 GROUP BY",
        {"limit": 4},
    ),
    (
        "select COUNT(id), SUM(Annual_Revenue), MIN(Annual_Revenue), MAX(Annual_Revenue), AVG(Annual_Revenue), "
        "MAX(No_of_Employees) from Leads where id is not null",
        "LIMIT_EXCEEDED",
        "more than 5 aggregates",
        {"limit": 5},
    ),
    (
        "select Account_Name.Parent_Account.Parent_Account.Account_Name from Contacts where id is not null",
        "LIMIT_EXCEEDED",
        "three hops",
        None,
    ),
    (
        "select Emial from Leads where id is not null",
        "INVALID_QUERY",
        "unknown field",
        {"column_name": "Emial"},
    ),
    (
        "select Last_Name from Lead where id is not null",
        "INVALID_QUERY",
        "unknown module",
        {"module": "Lead"},
    ),
    (
        "select Last_Name from Leads#4150868 where id is not null",
        "INVALID_QUERY",
        "unknown custom view",
        {"cvid": "4150868"},
    ),
    (
        "select Last_Name from Leads where Last_Name >= 'B'",
        "INVALID_QUERY",
        "wrong operator",
        {"column_name": "Last_Name", "operator": ">=", "reason": "invalid operator found"},
    ),
    ("select Last_Name from Leads where Annual_Revenue > 'lots'", "INVALID_QUERY", "wrong value type", None),
    (
        "select Last_Name from Leads where Created_Time > '2024-01-01'",
        "INVALID_QUERY",
        "date for datetime",
        None,
    ),
    (
        "select Account_Name from Accounts where Territories is not null",
        "INVALID_QUERY",
        "territory in WHERE",
        None,
    ),
    ("select Product_Photo from Products where id is not null", "INVALID_QUERY", "image upload", None),
    (
        "select Last_Name, Last_Name from Leads where id is not null",
        "DUPLICATE_DATA",
        "duplicate column",
        {"column_name": "Last_Name"},
    ),
    (
        "select Last_Name from Leads where id is not null order by id, id",
        "DUPLICATE_DATA",
        "duplicate ORDER BY",
        {"column_name": "id"},
    ),
    (
        "select Lead_Source, COUNT(id), COUNT(id) from Leads where id is not null group by Lead_Source",
        "DUPLICATE_DATA",
        "duplicate aggregate",
        {"column_name": "id", "aggregate": "COUNT"},
    ),
    (
        "select Last_Name as '' from Leads where id is not null",
        "INVALID_ALIAS",
        "empty alias",
        {"alias": "", "column_name": "Last_Name"},
    ),
    (
        "select Last_Name as n, First_Name as n from Leads where id is not null",
        "DUPLICATE_ALIAS",
        "duplicate alias",
        {"alias": "n", "referred_columns": ["Last_Name", "First_Name"]},
    ),
    ("select SUM(Last_Name) from Leads where id is not null", "INVALID_DATA", "SUM of text", None),
    (
        "select Last_Name, COUNT(id) from Leads where id is not null",
        "INVALID_QUERY",
        "ungrouped column",
        None,
    ),
]


@pytest.mark.parametrize(("query", "code", "what", "details"), CASES, ids=[c[2] for c in CASES])
def test_refused_like_zoho(
    api: Api, query: str, code: str, what: str, details: dict[str, Any] | None
) -> None:
    reply = api.coql(query)
    body = reply.json()
    assert set(body) == {"code", "details", "message", "status"}, body
    assert (reply.status_code, body["code"], body["status"]) == (400, code, "error"), (what, body)
    assert isinstance(body["message"], str) and body["message"]
    if details is not None:
        assert body["details"] == details


def test_syntax_errors_say_where(api: Api) -> None:
    body = api.coql("select Last_Name\nfrom Leads whre id is not null").json()
    assert body["code"] == "SYNTAX_ERROR"
    assert body["details"] == {"line": 2, "column": 12, "near": "whre"} or body["details"]["near"] == "id"


@pytest.mark.parametrize(
    "query",
    [
        "select Last_Name from Leads where (Last_Name = 'a' and Email = 'b') and Phone = 'c'",
        "select Last_Name from Leads where Lead_Source = Advertisement",  # a bare word, as in Zoho's samples
        "select Last_Name from Leads where id is not null limit 10, 5",  # LIMIT offset, count (used on live Zoho)
        "select Last_Name from Leads where Last_Name = 'O''Brien'",
        'select Last_Name from Leads where Last_Name = "O\'Brien"',
        "select 'External' from Accounts where id is not null",
        "select COUNT(id) from Leads where id is not null",
    ],
)
def test_what_zoho_accepts_the_sandbox_accepts(api: Api, query: str) -> None:
    assert api.coql(query).status_code in (200, 204)
