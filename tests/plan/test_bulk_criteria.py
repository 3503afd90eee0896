"""COQL criteria as bulk-read criteria JSON, and a query's columns as bulk-read fields.

The comparators per field type are those of the reference (§7): numbers equal ...
greater_equal and in; dates and datetimes those and between / not_between; text equal,
not_equal, in, not_in, contains, not_contains, starts_with, ends_with; booleans equal;
lookups equal, not_equal, in, not_in; ``${EMPTY}`` for an empty value.
"""

from __future__ import annotations

from typing import Any

import pytest

from coqlkit.catalog import Catalog
from coqlkit.language import parse
from coqlkit.plan.bulk import bulk_criteria, bulk_fields
from coqlkit.plan.prepare import expand_star, output_columns, rewrite_long_ins


def criteria(where: str, *, typed: bool = True) -> Any:
    select = parse(f"select Last_Name from Leads where {where}")
    return bulk_criteria(select, Catalog.demo() if typed else None)


def leaf(field: str, comparator: str, value: Any) -> dict[str, Any]:
    return {"field": {"api_name": field}, "comparator": comparator, "value": value}


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Last_Name = 'Boyle'", leaf("Last_Name", "equal", "Boyle")),
        ("Last_Name != 'Boyle'", leaf("Last_Name", "not_equal", "Boyle")),
        ("No_of_Employees < 10", leaf("No_of_Employees", "less_than", 10)),
        ("No_of_Employees <= 10", leaf("No_of_Employees", "less_equal", 10)),
        ("No_of_Employees > 10", leaf("No_of_Employees", "greater_than", 10)),
        ("No_of_Employees >= 10", leaf("No_of_Employees", "greater_equal", 10)),
        ("Annual_Revenue >= 1250.50", leaf("Annual_Revenue", "greater_equal", 1250.5)),
        (
            "Created_Time > '2024-01-01T00:00:00+05:30'",
            leaf("Created_Time", "greater_than", "2024-01-01T00:00:00+05:30"),
        ),
        ("Lead_Status in ('New', 'Contacted')", leaf("Lead_Status", "in", ["New", "Contacted"])),
        ("Lead_Status not in ('Junk Lead')", leaf("Lead_Status", "not_in", ["Junk Lead"])),
        ("No_of_Employees in (1, 2, 3)", leaf("No_of_Employees", "in", [1, 2, 3])),
        ("Email like '%@zylker.com'", leaf("Email", "ends_with", "@zylker.com")),
        ("Email like 'ana%'", leaf("Email", "starts_with", "ana")),
        ("Company like '%soft%'", leaf("Company", "contains", "soft")),
        ("Company not like '%soft%'", leaf("Company", "not_contains", "soft")),
        ("Company like 'Zylker'", leaf("Company", "equal", "Zylker")),
        ("Phone is null", leaf("Phone", "equal", "${EMPTY}")),
        ("Phone is not null", leaf("Phone", "not_equal", "${EMPTY}")),
        ("Owner = 4150868000000002020", leaf("Owner", "equal", 4150868000000002020)),
        ("Owner not in ('4150868000000002020')", leaf("Owner", "not_in", ["4150868000000002020"])),
        ("Email_Opt_Out = 'true'", leaf("Email_Opt_Out", "equal", "true")),
        (
            "Created_Time between '2024-01-01T00:00:00+00:00' and '2024-06-30T00:00:00+00:00'",
            leaf("Created_Time", "between", ["2024-01-01T00:00:00+00:00", "2024-06-30T00:00:00+00:00"]),
        ),
        (
            "Last_Activity_Time not between '2024-01-01T00:00:00+00:00' and '2024-06-30T00:00:00+00:00'",
            leaf(
                "Last_Activity_Time",
                "not_between",
                ["2024-01-01T00:00:00+00:00", "2024-06-30T00:00:00+00:00"],
            ),
        ),
    ],
)
def test_one_comparison(where: str, expected: dict[str, Any]) -> None:
    assert criteria(where) == expected


def test_a_number_range_becomes_a_group() -> None:
    """Bulk read has no between for numbers: an AND (or, negated, an OR) of two comparisons."""
    assert criteria("Annual_Revenue between 100 and 500") == {
        "group_operator": "and",
        "group": [leaf("Annual_Revenue", "greater_equal", 100), leaf("Annual_Revenue", "less_equal", 500)],
    }
    assert criteria("No_of_Employees not between 10 and 20") == {
        "group_operator": "or",
        "group": [leaf("No_of_Employees", "less_than", 10), leaf("No_of_Employees", "greater_than", 20)],
    }
    # ANDed with other criteria, the range joins their group
    assert criteria("Lead_Status = 'New' and Annual_Revenue between 100 and 500") == {
        "group_operator": "and",
        "group": [
            leaf("Lead_Status", "equal", "New"),
            leaf("Annual_Revenue", "greater_equal", 100),
            leaf("Annual_Revenue", "less_equal", 500),
        ],
    }


def test_without_a_catalog_between_is_sent_as_written() -> None:
    assert criteria("Annual_Revenue between 100 and 500", typed=False) == leaf(
        "Annual_Revenue", "between", [100, 500]
    )


@pytest.mark.parametrize(
    "where",
    [
        "No_of_Employees not in (1, 2)",  # numbers have no not_in
        "Email_Opt_Out != 'true'",  # booleans compare only with equal
        "Owner > 4150868000000002020",  # lookups have no order
        "Last_Name > 'M'",  # nor has text
        "Last_Name between 'A' and 'M'",  # a text range, even as a group
    ],
)
def test_what_the_field_type_does_not_allow(where: str) -> None:
    assert criteria(where) is False
    assert criteria(where, typed=False) is not False  # without the types, nothing tells


@pytest.mark.parametrize(
    "where",
    [
        "Email like 'a%b'",  # % inside the pattern
        "Email like '%'",  # nothing but %
        "Email not like 'ana%'",  # only not-contains
        "Account_Name.Account_Name = 'Zylker'",  # a path: bulk criteria name the module's own fields
        "Owner.profile.name = 'Administrator'",
        "Email = :email",  # an unbound parameter
        "Owner in (select id from Users where status = 'active')",  # a subquery
        "Last_Name = 'A' and (Email like 'a%b' or City = 'Pune')",  # one part is enough to refuse
    ],
)
def test_what_bulk_read_cannot_say(where: str) -> None:
    assert criteria(where) is False


def test_no_criteria() -> None:
    assert bulk_criteria(parse("select Last_Name from Leads")) is None
    assert bulk_criteria(parse("select Last_Name from Leads where id is not null")) is None


def test_groups_flatten_the_same_operator_and_nest_the_other() -> None:
    found = criteria(
        "Lead_Status = 'New' and City = 'Pune' and (Email like '%@a.com' or Email like '%@b.com')"
    )
    assert found == {
        "group_operator": "and",
        "group": [
            leaf("Lead_Status", "equal", "New"),
            leaf("City", "equal", "Pune"),
            {
                "group_operator": "or",
                "group": [leaf("Email", "ends_with", "@a.com"), leaf("Email", "ends_with", "@b.com")],
            },
        ],
    }


def test_a_rewritten_long_in_is_a_group_of_ins() -> None:
    values = ", ".join(f"'{10001 + i}'" for i in range(120))
    select = parse(f"select Last_Name from Leads where Zip_Code in ({values})")
    rewritten = rewrite_long_ins(select)
    assert rewritten is not None
    found = bulk_criteria(rewritten, Catalog.demo())
    assert isinstance(found, dict) and found["group_operator"] == "or"
    assert [len(part["value"]) for part in found["group"]] == [50, 50, 20]


def test_field_names_are_matched_without_case() -> None:
    assert criteria("annual_revenue between 1 and 2")["group_operator"] == "and"


# ---- fields -------------------------------------------------------------------------------------


def fields(query: str) -> list[str] | None:
    catalog = Catalog.demo()
    select = expand_star(parse(query), catalog)
    return bulk_fields(output_columns(select, catalog))


def test_fields_are_the_columns_with_each_lookups_name() -> None:
    assert fields("select Last_Name, Owner, Email from Leads") == [
        "Last_Name",
        "Owner",
        "Owner.full_name",
        "Email",
    ]
    assert fields("select id, Last_Name from Leads") == ["Last_Name"]  # the CSV always has id
    assert fields("select Owner.email from Leads") == ["Owner.email"]
    assert fields("select Last_Name, Last_Name as again from Leads") == ["Last_Name"]


@pytest.mark.parametrize(
    "query",
    [
        "select COUNT(id) from Leads",
        "select Owner.profile.name from Leads",
        "select Account_Name.Parent_Account.Account_Name from Contacts",
        "select 'What_Id->Leads.Last_Name' from Tasks",
    ],
)
def test_columns_bulk_read_cannot_fetch(query: str) -> None:
    assert fields(query) is None


def test_is_not_null_on_a_boolean_formula_stays_on_coql() -> None:
    """Bulk read takes equal alone for a boolean (reference §7), a formula's too: ``is not
    null`` would be not_equal, which Zoho refuses (FIELD_AND_COMPARATOR_IN_CRITERIA_NOT_COMPATIBLE)."""

    def on_invoices(where: str) -> Any:
        return bulk_criteria(parse(f"select Subject from Invoices where {where}"), Catalog.demo())

    assert on_invoices("Is_Overdue is not null") is False
    assert on_invoices("Is_Overdue is null") == leaf("Is_Overdue", "equal", "${EMPTY}")


@pytest.mark.parametrize("where", ["Owner.id = 4150868000000225013", "Owner.id in (4150868000000225013, 1)"])
def test_a_lookups_id_is_the_lookup_itself(where: str) -> None:
    """``Owner.id = X`` is ``Owner = X``: the lookup's value is its id (a bulk read could run
    the second and refused the first)."""
    assert criteria(where) == criteria(where.replace("Owner.id", "Owner"))
    assert criteria(where) is not False
    assert criteria("Owner.email = 'a@b.c'") is False  # another field of the lookup: still not
