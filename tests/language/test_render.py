"""render(): the strict COQL Zoho accepts, whatever the input looked like."""

from __future__ import annotations

import pytest

from coqlkit import RenderError, bind, parse, render
from coqlkit.language import (
    Column,
    FieldRef,
    Limit,
    Select,
    Source,
    String,
    quote,
    render_field,
    render_value,
)


@pytest.mark.parametrize(
    ("text", "strict"),
    [
        ("select a from Leads", "select a from Leads where id is not null"),
        (
            "SELECT a FROM Leads WHERE b = 1 AND c = 2 AND d = 3 OR e = 4",
            "select a from Leads where ((b = 1 and c = 2) and d = 3) or e = 4",
        ),
        (
            "select a from Leads where x = 1 and (y = 2 and z = 3)",
            "select a from Leads where x = 1 and (y = 2 and z = 3)",
        ),
        (
            "select count(Id), sum(Amount) from Deals group by Stage",
            "select COUNT(Id), SUM(Amount) from Deals where id is not null group by Stage",
        ),
        ("select a from B limit 40, 20", "select a from B where id is not null limit 20 offset 40"),
        ("select a from B offset 400", "select a from B where id is not null limit 200 offset 400"),
        ("select a from B where c <> Advertisement", "select a from B where c != 'Advertisement'"),
        (
            "select External, Order_No from Accounts",
            "select 'External', Order_No from Accounts where id is not null",
        ),
        (
            "select 'What_Id->Leads.Last_Name' from Tasks",
            "select 'What_Id->Leads.Last_Name' from Tasks where id is not null",
        ),
        ("select a from B where d = 2024-01-31", "select a from B where d = '2024-01-31'"),
        ('select a from B where n = "O\\\'Brien"', "select a from B where n = 'O''Brien'"),
        (
            "select a as 'A b', c as d from B order by 'A b' desc",
            "select a as 'A b', c as 'd' from B where id is not null order by 'A b' desc",
        ),
        (
            "select a from B#42 where x in (select id from C)",
            "select a from B#42 where x in (select id from C where id is not null)",
        ),
        ("select count(*) from Leads;  -- all", "select COUNT(id) from Leads where id is not null"),
    ],
)
def test_strict_form(text: str, strict: str) -> None:
    assert render(parse(text)) == strict
    assert render(parse(strict)) == strict  # rendering is a fixed point


def test_values_and_names_are_quoted_safely() -> None:
    assert quote("it's a \\ test") == "'it''s a \\\\ test'"
    assert render_value(String("x' or '1'='1")) == "'x'' or ''1''=''1'"
    assert render_field(FieldRef(("Owner", "profile", "name"))) == "Owner.profile.name"
    assert render_field(FieldRef(("Account_Name", "Date"))) == "'Account_Name.Date'"


def test_what_cannot_be_sent_yet_raises() -> None:
    with pytest.raises(RenderError, match=r"SELECT \* must be expanded"):
        render(parse("select * from Leads"))
    with pytest.raises(RenderError, match=":email has no value"):
        render(parse("select a from Leads where Email = :email"))
    assert render(bind(parse("select a from Leads where Email = :email"), {"email": "x"})).endswith(
        "Email = 'x'"
    )


def test_ast_built_in_code_renders() -> None:
    q = Select((Column(FieldRef(("Email",)), "e"),), Source("Leads"), limit=Limit(5))
    assert render(q) == "select Email as 'e' from Leads where id is not null limit 5"
    with pytest.raises(RenderError, match="at least one column"):
        render(Select((), Source("Leads")))
