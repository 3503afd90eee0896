"""A query built with ``+`` in a Deluge script, pasted whole (``"select ... = '" + accountId
+ "' limit 2";``): said as such, with the query written as coqlkit takes it, each value
joined in a ``:name`` parameter, and how to give it. It got the hint for a query in quotes,
``drop the quotes around the query``, showing the text up to the first ``'``: a truncated
query that would itself be an error (review L, finding 7)."""

from __future__ import annotations

import re

import pytest

from coqlkit import CoqlSyntaxError, parse, render

SET = "(\\set in the shell, params= in Python)"


def error(text: str) -> CoqlSyntaxError:
    with pytest.raises(CoqlSyntaxError) as info:
        parse(text)
    return info.value


def suggested(err: CoqlSyntaxError) -> str:
    """The query the hint writes."""
    assert err.hint is not None
    found = re.match(
        r"write it (?:with (?:a parameter|parameters)|as one query): (.*?)(?:, and --param |$)", err.hint
    )
    assert found is not None, err.hint
    return found.group(1)


def test_the_reviews_query() -> None:
    text = '"select Deal_Name from Deals where Account_Name = \'" + accountId + "\' limit 2";'
    err = error(text)
    assert err.description == "the query is a Deluge string built with '+'"
    at = text.index("accountId") + 1
    assert (err.line, err.column, err.end_column) == (1, at, at + len("accountId"))
    assert err.hint == (
        "write it with a parameter: select Deal_Name from Deals where Account_Name = :accountId limit 2, "
        f"and --param accountId=... {SET}"
    )
    assert "drop the quotes" not in str(err)
    assert "Traceback" not in str(err)


def test_the_suggested_query_runs_with_the_value_given() -> None:
    text = '"select Deal_Name from Deals where Account_Name = \'" + accountId + "\' limit 2";'
    query = suggested(error(text))
    bound = parse(query, {"accountId": "4150868000000225013"})
    assert render(bound) == ("select Deal_Name from Deals where Account_Name = '4150868000000225013' limit 2")


def test_several_values_a_like_pattern_and_an_unquoted_number() -> None:
    text = (
        '"select Last_Name from Leads where Email like \'%" + domain + "%\' and City = \'"'
        ' + input.City + "\' limit " + n + ";"'
    )
    err = error(text)
    at = text.index("domain") + 1
    assert (err.column, err.end_column) == (at, at + len("domain"))
    assert err.hint == (
        "write it with parameters: select Last_Name from Leads where Email like :domain and City = :City "
        f"limit :n, and --param domain=%...% --param City=... --param n=... {SET}"
    )
    bound = parse(suggested(err), {"domain": "%zylker%", "City": "Paris", "n": 5})
    assert (
        render(bound) == "select Last_Name from Leads where Email like '%zylker%' and City = 'Paris' limit 5"
    )


def test_names_from_map_gets_and_one_name_per_expression() -> None:
    text = (
        '"select Last_Name from Leads where Owner = \'" + row.get("owner").toString() + "\' and '
        '(City = \'" + a.c + "\' or Zip_Code = \'" + b.c + "\' or State = \'" + a.c + "\')"'
    )
    err = error(text)
    assert suggested(err) == (
        "select Last_Name from Leads where Owner = :owner and (City = :c or Zip_Code = :c2 or State = :c)"
    )
    assert "--param owner=... --param c=... --param c2=... " in (err.hint or "")


def test_a_quote_inside_the_value_is_given_as_one() -> None:
    err = error("\"select Last_Name from Leads where Company = 'O''\" + rest + \"'\"")
    assert suggested(err) == "select Last_Name from Leads where Company = :rest"
    assert "--param rest=O'... " in (err.hint or "")


def test_joined_over_lines() -> None:
    text = '"select Deal_Name from Deals where Account_Name = \'" + accountId\n    + "\' limit 2";'
    err = error(text)
    assert (err.line, err.column) == (1, text.index("accountId") + 1)
    assert suggested(err) == "select Deal_Name from Deals where Account_Name = :accountId limit 2"


def test_strings_alone_joined() -> None:
    text = '"select Last_Name, Email" + " from Leads limit 2"'
    err = error(text)
    assert err.description == "the query is Deluge strings joined with '+'"
    at = text.index("+") + 1
    assert (err.column, err.end_column) == (at, at + 1)
    assert err.hint == "write it as one query: select Last_Name, Email from Leads limit 2"


@pytest.mark.parametrize(
    "text",
    [
        '"select id from " + moduleName + " where Last_Name = \'x\' limit 2"',  # a module joined in
        '"select " + fields + " from Leads limit 2"',  # the fields joined in
        '"select Last_Name from Leads limit 2" +',  # nothing after the +
        '"select Last_Name from Leads where City = \'" + city',  # a quote left open
    ],
)
def test_no_query_shown_where_no_parameter_could_stand(text: str) -> None:
    err = error(text)
    assert err.description == "the query is a Deluge string built with '+'"
    assert err.hint == (
        "write the query itself, without Deluge's quotes and '+': a value joined in becomes a :name parameter"
    )


def test_long_queries_are_shown_from_a_little_before_the_parameter() -> None:
    text = (
        "\"select Deal_Name, Amount, Stage, Closing_Date from Deals where Stage = 'Closed Won' and "
        'Amount > 1000 and Account_Name = \'" + accountId + "\' limit 200"'
    )
    hint = error(text).hint or ""
    assert hint.startswith("write it with a parameter: ... ")
    assert "Account_Name = :accountId limit 200, and --param accountId=..." in hint


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        # a string alone: its hint is still to drop the quotes
        (
            '"select Deal_Name from Deals limit 2";',
            "drop the quotes around the query (a Deluge string): select Deal_Name from Deals limit 2",
        ),
        (
            "\"select Last_Name from Leads where Phone = '+1 555'\"",
            "drop the quotes around the query (a Deluge string): select Last_Name from Leads where Phone = '+1 555'",
        ),
        # no query in the string
        ('"update Leads" + x', "a query starts with SELECT"),
    ],
)
def test_what_is_no_query_built_with_plus_is_as_it_was(text: str, hint: str) -> None:
    err = error(text)
    assert err.description.startswith("expected SELECT")
    assert (err.line, err.column) == (1, 1)
    assert err.hint == hint


def test_a_plus_later_in_a_real_query_is_not_taken_for_one() -> None:
    err = error("select Last_Name from Leads where Annual_Revenue + 1 > 2")
    assert "Deluge" not in str(err)
