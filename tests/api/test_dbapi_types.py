"""``coqlkit.dbapi`` type codes: Zoho's data types, each equal to the PEP 249 type object of its
values (by their Arrow type), so that every column's code matches one."""

from __future__ import annotations

import copy
import pickle

import pytest

from coqlkit import dbapi
from tests.api._support import TYPE_OBJECTS


@pytest.mark.parametrize("module", ["Leads", "Contacts", "Accounts", "Deals", "Products", "Quotes"])
def test_every_type_code_is_one_of_the_type_objects(db: dbapi.Connection, module: str) -> None:
    cur = db.cursor()
    cur.execute(f"select * from {module} limit 1")
    for name, code, *_ in cur.description or ():
        assert any(code == kind for kind in TYPE_OBJECTS), (name, code)


@pytest.mark.parametrize(
    ("query", "column", "code", "kind"),
    [
        ("select Greeting from Contacts", "Greeting", "formula", dbapi.STRING),
        ("select Weighted_Amount from Deals", "Weighted_Amount", "formula", dbapi.NUMBER),
        ("select Follow_Up_Date from Deals", "Follow_Up_Date", "formula", dbapi.DATETIME),
        ("select Total_Deal_Amount from Accounts", "Total_Deal_Amount", "rollup_summary", dbapi.NUMBER),
        ("select Last_Won_Deal_Date from Accounts", "Last_Won_Deal_Date", "rollup_summary", dbapi.DATETIME),
        ("select Layout from Leads", "Layout", "layout", dbapi.STRING),
        ("select Email_Opt_Out from Leads", "Email_Opt_Out", "boolean", dbapi.NUMBER),
        ("select Owner.id from Leads", "Owner.id", "id", dbapi.ROWID),
        ("select MAX(Created_Time) from Leads", "MAX(Created_Time)", "datetime", dbapi.DATETIME),
    ],
)
def test_a_type_code_follows_its_values(
    db: dbapi.Connection, query: str, column: str, code: str, kind: dbapi.DBAPITypeObject
) -> None:
    """By the values' Arrow type: a formula by what it returns, a boolean as a number."""
    cur = db.cursor()
    name, type_code = (cur.execute(f"{query} limit 1").description or ())[-1][:2]
    assert (name, type_code) == (column, code)  # still Zoho's data type
    assert type_code == kind
    assert [k for k in TYPE_OBJECTS if type_code == k] == [kind]
    assert copy.copy(type_code) == kind and pickle.loads(pickle.dumps(type_code)) == kind
