"""DB-API type codes of the columns whose values are not text (review 7, types 8): a lookup's
values are dicts and a multi-select's lists, so their codes equal ``STRUCT`` and ``ARRAY``,
never ``STRING``, which a generic consumer writes as VARCHAR."""

from __future__ import annotations

import pytest

from coqlkit import dbapi
from tests.api._support import TYPE_OBJECTS


@pytest.mark.parametrize(
    ("query", "code", "kind", "value_type"),
    [
        ("select Account_Name from Deals where Account_Name is not null", "lookup", dbapi.STRUCT, dict),
        ("select Owner from Deals", "ownerlookup", dbapi.STRUCT, dict),
        (
            "select Languages_Spoken from Leads where Languages_Spoken is not null",
            "multiselectpicklist",
            dbapi.ARRAY,
            list,
        ),
        (
            "select Contact_Name.Interests from Deals where Contact_Name.Interests is not null",
            "multiselectpicklist",
            dbapi.ARRAY,
            list,
        ),
        ("select Owner.full_name from Deals", "text", dbapi.STRING, str),
        ("select Lead_Source from Leads where Lead_Source is not null", "picklist", dbapi.STRING, str),
        ("select Territories from Deals", "territories", dbapi.STRING, str),
    ],
)
def test_a_type_code_matches_its_values(
    db: dbapi.Connection, query: str, code: str, kind: dbapi.DBAPITypeObject, value_type: type
) -> None:
    cur = db.cursor()
    cur.execute(f"{query} limit 50")
    type_code = (cur.description or ())[0][1]
    assert type_code == code  # still Zoho's data type, readable
    assert [k for k in TYPE_OBJECTS if type_code == k] == [kind]
    values = [row[0] for row in cur.fetchall() if row[0] is not None]
    assert values and all(isinstance(v, value_type) for v in values)


def test_the_zoho_type_names_compare_as_their_values() -> None:
    assert "lookup" == dbapi.STRUCT and "lookup" != dbapi.STRING
    assert "multiselectpicklist" == dbapi.ARRAY and "multiselectpicklist" != dbapi.STRING
    assert "text" == dbapi.STRING and repr(dbapi.STRUCT) == "<DBAPITypeObject STRUCT>"
