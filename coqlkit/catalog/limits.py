"""Zoho CRM's COQL and API limits, each with its source, in one place.

Sources are sections of ``shared/coql-reference.md`` and Zoho's pages under
https://www.zoho.com/crm/developer/docs/api/v8/ (``COQL-Limitations.html``,
``Get-Records-through-COQL-Query.html``, ``bulk-read/*``). Where the v8 page was
not readable the older page is named.
"""

from __future__ import annotations

__all__ = [
    "BULK_READ_CREDITS",
    "BULK_READ_MAX_CRITERIA",
    "BULK_READ_MAX_VALUES",
    "BULK_READ_PAGE_ROWS",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_LIMIT",
    "MAX_AGGREGATES",
    "MAX_BASE_JOINS",
    "MAX_CRITERIA",
    "MAX_FORMULA_FIELDS",
    "MAX_GROUP_BY",
    "MAX_IN_VALUES",
    "MAX_LIMIT",
    "MAX_OFFSET_ROWS",
    "MAX_ORDER_BY",
    "MAX_PATH_HOPS",
    "MAX_SELECT_COLUMNS",
    "MAX_SELECT_JOINS",
    "MAX_SUBQUERIES",
    "MAX_SUBQUERY_ROWS",
    "coql_credits",
]

#: Rows a call returns without LIMIT (reference §2.9; COQL overview, v2.1–v7).
DEFAULT_LIMIT = 200
#: Rows one COQL call can return (reference §2.9, §4; v8 COQL-Limitations: "Each API call can
#: retrieve a maximum of 2,000 records").
MAX_LIMIT = 2_000
#: offset + limit ceiling of LIMIT/OFFSET paging (reference §2.9; v8 COQL-Limitations: "up to
#: 1,00,000 records using pagination with LIMIT and OFFSET").
MAX_OFFSET_ROWS = 100_000
#: Columns in the SELECT list (reference §2.2, §4; v2–v7 COQL-Limitations; not visible on v8).
MAX_SELECT_COLUMNS = 50
#: Dynamic formula fields in the SELECT list (reference §4; v8 COQL-Limitations).
MAX_FORMULA_FIELDS = 5
#: Conditions in WHERE (reference §2.3, §4; v2–v7 COQL-Limitations).
MAX_CRITERIA = 25
#: Values of one IN / NOT IN (reference §3; v2–v7 COQL-Limitations, "in (up to 50 values)").
MAX_IN_VALUES = 50
#: ORDER BY fields (reference §2.8; v8 COQL-Limitations).
MAX_ORDER_BY = 10
#: GROUP BY fields (reference §2.7; v8 COQL-Limitations).
MAX_GROUP_BY = 4
#: Aggregate columns (reference §2.7; v8 COQL-Limitations).
MAX_AGGREGATES = 5
#: Lookup paths used in WHERE, GROUP BY or ORDER BY (reference §2.10; v8 COQL-Limitations).
MAX_BASE_JOINS = 5
#: Lookup paths used in the SELECT list (reference §2.10; v8 COQL-Limitations).
MAX_SELECT_JOINS = 15
#: Relations (dot hops through lookups) in one path (reference §2.10; v8 COQL-Limitations).
MAX_PATH_HOPS = 2
#: Subqueries in one query (reference §2.11; v7 COQL-subquery).
MAX_SUBQUERIES = 5
#: Records one subquery contributes (reference §2.11; v7 COQL-subquery).
MAX_SUBQUERY_ROWS = 100
#: Records per bulk-read result page (reference §7; v7/v8 bulk-read pages).
BULK_READ_PAGE_ROWS = 200_000
#: Criteria (comparisons) in one bulk-read job's criteria JSON (reference §7; v8 OAS
#: ``createBulkReadJob``: ``CRITERIA_LIMIT_EXCEEDED``, ``max_limit`` 25, "the maximum number of
#: criteria groups permitted per request"; Kaizen #195: "up to 25 total" criteria objects).
BULK_READ_MAX_CRITERIA = 25
#: Values in one bulk-read job's criteria JSON, all comparisons together (reference §7 is
#: silent on it; v8 OAS
#: ``createBulkReadJob``: ``VALUE_LIMIT_EXCEEDED_IN_CRITERIA``, "the number of values provided in
#: the bulk read criteria exceeds the maximum limit of 200", "permitted per request").
BULK_READ_MAX_VALUES = 200
#: Credits to start a bulk-read job (reference §7, §9; vertical-solutions limits table, UNVERIFIED for CRM).
BULK_READ_CREDITS = 50
#: Concurrent calls per org for the COQL family (reference §9: sub-concurrency of 10 for complex APIs).
DEFAULT_CONCURRENCY = 10


def coql_credits(limit: int | None) -> int:
    """API credits one COQL call costs, by its LIMIT (reference §2.9; vertical-solutions COQL overview).

    >>> [coql_credits(n) for n in (None, 200, 201, 1000, 1001, 2000)]
    [1, 1, 2, 2, 3, 3]
    """
    rows = DEFAULT_LIMIT if limit is None else limit
    if rows <= 200:
        return 1
    if rows <= 1_000:
        return 2
    return 3
