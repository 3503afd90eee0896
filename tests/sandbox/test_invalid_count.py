"""A LIMIT or OFFSET that is not a whole number: Zoho's answer names the value, not the
keyword (v8 OAS example InvalidQueryInvalidLimit: ``{"limit": "s"}``)."""

from __future__ import annotations

import pytest

from tests.sandbox.conftest import Api

WHERE = "select Last_Name from Leads where id is not null"


@pytest.mark.parametrize(
    ("tail", "clause", "value"),
    [
        ("limit s", "limit", "s"),  # the OAS example's case
        ("LIMIT ten", "limit", "ten"),
        ("limit 5.5", "limit", "5.5"),
        ("limit 5, s", "limit", "s"),
        ("limit s, 5", "limit", "s"),
        ("limit 5 offset x", "offset", "x"),  # the value after OFFSET is the offset's
        ("limit 5 OFFSET 2.5", "offset", "2.5"),
        ("\n  limit\n  s", "limit", "s"),
        ("offset x", "offset", "x"),
    ],
)
def test_an_invalid_count_names_the_value(api: Api, tail: str, clause: str, value: str) -> None:
    reply = api.coql(f"{WHERE} {tail}")
    assert reply.status_code == 400, reply.text
    assert reply.json() == {
        "code": "INVALID_QUERY",
        "details": {clause: value},
        "message": f"{clause} given seems to be invalid",
        "status": "error",
    }
