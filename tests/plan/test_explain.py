"""EXPLAIN as a reader sees it: the COQL sent, wrapped without changing it; figures and
their bounds; singulars and plurals; the actual figures of EXPLAIN ANALYZE."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from coqlkit.catalog import Catalog
from coqlkit.language import parse
from coqlkit.language.ast import And, Comparison, FieldRef, Limit, Number
from coqlkit.language.render import render
from coqlkit.plan import Actual, Plan, PlanOptions, explain, plan
from coqlkit.plan.explain import wrap
from coqlkit.plan.prepare import expand_star
from coqlkit.plan.steps import (
    PENDING_BASE,
    CountProbe,
    KeysetPages,
    OffsetPages,
    SingleCall,
    SubqueryRead,
    pending_values,
)
from tests.plan._support import count_probe, wide_catalog

BOX = re.compile(r"^[│├└─ ]*")


def make(query: str, rows: int | None = None, catalog: Catalog | None = None, **options: object) -> Plan:
    return plan(parse(query), catalog or Catalog.demo(), PlanOptions(**options), rows=rows)  # type: ignore[arg-type]


# ---- wrapping --------------------------------------------------------------------------------


def test_wrap_breaks_between_words_and_gives_the_text_back() -> None:
    select = parse("select * from Leads where Last_Name = 'de la  Cruz' and Email like '%@x.com'")
    text = render(expand_star(select, Catalog.demo()))
    lines = wrap(text, 60)
    assert len(lines) > 5
    assert " ".join(lines) == text
    assert all(len(line) <= 60 for line in lines[:1]) and all(len(line) <= 56 for line in lines[1:])
    assert any("'de la  Cruz'" in line for line in lines)  # never broken inside a string


def test_wrap_keeps_keywords_and_comparisons_with_their_operand() -> None:
    text = "select Last_Name from Leads where Lead_Status = 'New' and id > 12345 order by id asc limit 2000 offset 0"
    for width in range(20, 100):
        lines = wrap(text, width)
        assert " ".join(lines) == text
        for line in lines:
            assert not line.endswith((" limit", " offset", " order", " by", " =", " >"))
            assert not line.startswith(("asc", "= ", "> ", "by "))


def test_wrap_without_a_width_is_one_line() -> None:
    assert wrap("select a from b", None) == ["select a from b"]
    assert wrap("x", 10) == ["x"]


def test_every_query_line_in_explain_is_the_coql_sent() -> None:
    found = make(
        "select * from Leads where Lead_Status = 'New' order by Last_Name", rows=4500, catalog=wide_catalog()
    )
    text = found.explain()
    assert max(len(line) for line in text.splitlines() if "select" in line or line.endswith(",")) <= 100
    for part in found.root.children:
        assert isinstance(part, OffsetPages)
        sent = render(replace(part.query, limit=Limit(2000, 0)))
        assert sent in " ".join(BOX.sub("", line).strip() for line in text.splitlines())
    unwrapped = explain(found, width=None)
    for part in found.root.children:
        assert isinstance(part, OffsetPages)
        assert render(replace(part.query, limit=Limit(2000, 0))) in unwrapped


def test_keyset_windows_after_the_first_show_the_id_criterion() -> None:
    found = make("select Last_Name from Leads where Lead_Status = 'New'", rows=250_000)
    step = found.root
    assert isinstance(step, KeysetPages)
    text = explain(found, width=None)
    # what the executor sends for window 2, with :last_id in place of the id it found
    after = Comparison(FieldRef(("id",)), ">", Number(4150868000000123456))
    assert step.query.where is not None
    second = replace(step.query, where=And(step.query.where, after, parens=1), limit=Limit(2000, 0))
    assert render(second).replace("4150868000000123456", ":last_id") in text
    assert "window 1 · 50 pages" in text and "window 2 · 50 pages" in text and "window 3 · 25 pages" in text
    # without a WHERE the criterion stands alone
    text = explain(make("select Last_Name from Leads", rows=250_000), width=None)
    assert "from Leads where id > :last_id order by id asc limit 2000 offset 0" in text


# ---- figures and words -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "rows", "options", "wanted", "unwanted"),
    [
        (
            "select Last_Name from Leads limit 1",
            5,
            {},
            ["1 row", "1 call", "1 credit"],
            ["1 rows", "1 calls", "1 credits"],
        ),
        (
            "select Last_Name from Leads",
            2001,
            {},
            ["2,001 rows", "2 calls", "4 credits", "2 pages"],
            ["2 call ", "4 credit "],
        ),
        (
            "select Last_Name from Leads",
            150_000,
            {"strategy": "bulk"},
            ["1 job of up to 200,000"],
            ["1 jobs"],
        ),
        ("select Last_Name from Leads", 250_000, {"strategy": "bulk"}, ["2 jobs of up to 200,000"], []),
        (
            "select Last_Name from Leads limit 1 offset 150000",
            250_000,
            {},
            ["2 windows", "(the first skipped)", "1 page"],
            ["1 pages"],
        ),
        ("select Last_Name from Leads limit 1 offset 250000", 300_000, {}, ["(the first 2 skipped)"], []),
    ],
)
def test_singular_and_plural(
    query: str, rows: int, options: dict[str, object], wanted: list[str], unwanted: list[str]
) -> None:
    text = make(query, rows, **options).explain()
    for words in wanted:
        assert words in text
    for words in unwanted:
        assert words not in text


def test_the_header_names_the_bounds() -> None:
    assert (
        make("select Last_Name from Leads limit 10")
        .explain()
        .startswith("Plan: up to 10 rows · 1 call · 1 credit · ≈ 0.3 s (10 calls at once, 300 ms each)")
    )
    assert (
        make("select Last_Name from Leads limit 5000")
        .explain()
        .startswith("Plan: up to 5,000 rows · at most 3 calls · at most 8 credits")
    )
    assert (
        make("select Last_Name from Leads")
        .explain()
        .startswith("Plan: rows unknown (no COUNT probe) · at least 1 call · at least 1 credit")
    )
    # a COUNT probe would not tell how many groups there are
    assert (
        make("select City, COUNT(id) from Leads group by City")
        .explain()
        .startswith("Plan: rows unknown · at least 1 call · at least 1 credit")
    )


def test_the_probe_is_a_step_of_its_own() -> None:
    select = parse("select Last_Name from Leads where Lead_Status = 'New'")
    found = plan(select, Catalog.demo(), probe=count_probe(select, 150))
    assert found.explain().splitlines() == [
        "Plan: 150 rows · 2 calls · 2 credits · ≈ 0.6 s (10 calls at once, 300 ms each)",
        "├─ COUNT probe · 1 call · 1 credit · 150 records match",
        "│    select COUNT(id) from Leads where Lead_Status = 'New'",
        "└─ single call · 1 call · 1 credit · 150 rows",
        "     select Last_Name from Leads where Lead_Status = 'New' limit 150",
    ]


def test_local_steps_say_what_they_do() -> None:
    text = make(
        "select Last_Name from Leads order by City desc, Annual_Revenue limit 5 offset 150000", rows=250_000
    ).explain()
    assert "local projection to the query's columns · 5 rows" in text
    assert "local limit 5 offset 150,000 · 5 rows" in text
    assert "local sort by City desc, Annual_Revenue asc (the rows are held in memory) · 250,000 rows" in text
    text = make("select Last_Name from Leads offset 150000", rows=250_000, strategy="bulk").explain()
    assert "local offset 150,000 · 100,000 rows" in text


def test_bulk_read_shows_its_fields_and_criteria_as_sent() -> None:
    found = make(
        "select Last_Name, Owner from Leads where Lead_Status = 'New'", rows=250_000, prefer="credits"
    )
    text = explain(found, width=None)
    assert "module Leads; fields Last_Name, Owner, Owner.full_name" in text
    assert 'criteria {"field": {"api_name": "Lead_Status"}, "comparator": "equal", "value": "New"}' in text


def test_explain_analyze_adds_the_actual_figures() -> None:
    found = make("select Last_Name from Leads", rows=12_345)
    step = found.root
    text = explain(found, {id(step): Actual(calls=7, credits=20, rows=12_345, seconds=0.82)})
    assert "· actual: 7 calls, 20 credits, 12,345 rows, 0.82 s" in text
    text = explain(found, {id(step): Actual(calls=1, credits=1, rows=1, seconds=0.1)})
    assert "· actual: 1 call, 1 credit, 1 row, 0.10 s" in text


def test_plan_explain_is_explain() -> None:
    found = make("select Last_Name from Leads", rows=12_345)
    assert found.explain() == explain(found)
    assert isinstance(found.root, OffsetPages)


def test_a_narrow_width_still_keeps_room_for_the_text() -> None:
    found = make("select Last_Name, Email, Phone, City from Leads where Lead_Status = 'New' limit 10")
    assert isinstance(found.root, SingleCall)
    text = explain(found, width=10)
    lines = text.splitlines()[2:]
    assert " ".join(BOX.sub("", line).strip() for line in lines) == render(found.root.query)


def test_a_subquerys_values_are_shown_as_such_not_listed() -> None:
    # 120 ids read from a subquery, and a list of the user's own: the subquery's lists are
    # shown as what they are (COQL and bulk-read JSON alike), the user's as written.
    ids = tuple(Number(4_150_868_000_100_000_000 + i) for i in range(120))
    mine = "id in (7, 8)"
    where = " or ".join(f"id in ({', '.join(str(v.value) for v in ids[i : i + 50])})" for i in (0, 50, 100))
    read = SubqueryRead("select id from Leads where id is not null", 120, 2, 3, values=ids)
    for options in ({}, {"strategy": "bulk"}):
        found = replace(
            make(f"select Last_Name from Leads where {where} or {mine}", rows=250_000, **options),
            subqueries=(read,),
        )
        text = explain(found, width=None)
        assert text.count("<50 values of the subquery>") == 2 * text.count("<20 values of the subquery>") > 0
        assert str(ids[7].value) not in text and ("(7, 8)" in text or "[7, 8]" in text)
        assert "id in (" in render(found.select) and str(ids[7].value) in render(found.select)
    # A plan made only to explain (the subquery counted, not read) shows its stand-ins alike.
    pending = replace(read, read=False, values=())
    values = ", ".join(str(v.value) for v in pending_values(60))
    found = replace(make(f"select Last_Name from Leads where id in ({values})"), subqueries=(pending,))
    assert explain(found).count("values of the subquery>") == 2  # 50 and 10
    assert str(PENDING_BASE + 1) not in explain(found)


def test_an_offset_past_the_records_says_so() -> None:
    probe = CountProbe("select COUNT(id) from Leads where id is not null", 25_000)
    found = plan(parse("select Last_Name from Leads limit 2500 offset 98000"), Catalog.demo(), probe=probe)
    text = found.explain()
    assert "25,000 records match" in text and "└─ no call: no record past offset 98,000 · 0 rows" in text
    none = plan(parse("select Last_Name from Leads"), Catalog.demo(), probe=replace(probe, rows=0))
    assert "└─ no call: no record matches" in none.explain()
