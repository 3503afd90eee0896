"""``Connection.query``: typed parameters, and errors caught before a credit is spent (or,
with ``check=False``, Zoho's own refusal); the credit budget."""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal

import pyarrow as pa
import pytest

import coqlkit
from coqlkit.language.ast import Comparison, FieldRef, String
from coqlkit.sandbox.server import Sandbox
from tests.api._support import RequestLog, count

# ---- typed parameters ----------------------------------------------------------------------


def test_a_string_with_a_quote(conn: coqlkit.Connection, oracle: sqlite3.Connection) -> None:
    result = conn.query("select Last_Name from Leads where Last_Name = :name", {"name": "O'Brien"})
    assert "Last_Name = 'O''Brien'" in result.explain()
    names = result.to_arrow().column("Last_Name").to_pylist()
    assert names == ["O'Brien"] * count(oracle, "Last_Name = ?", ("O'Brien",))
    assert names  # the org has some


@pytest.mark.parametrize(
    "attempt",
    [
        "x' or Last_Name is not null or Last_Name = 'y",
        "x') or (Last_Name is not null",
        "O'Brien' --",
        "\\' or Last_Name is not null or Last_Name = \\'",
    ],
)
def test_an_injection_attempt_stays_a_literal(conn: coqlkit.Connection, attempt: str) -> None:
    result = conn.query("select Last_Name from Leads where Last_Name = :name", {"name": attempt})
    assert result.plan.select.where == Comparison(FieldRef(("Last_Name",)), "=", String(attempt))
    assert result.to_arrow().num_rows == 0


def test_an_injection_attempt_in_a_list_stays_a_literal(conn: coqlkit.Connection) -> None:
    result = conn.query(
        "select Last_Name from Leads where Lead_Source in :sources",
        {"sources": ["Chat') or (Lead_Source is not null", "Nowhere"]},
    )
    assert result.to_arrow().num_rows == 0


def test_a_list_binds_to_in(conn: coqlkit.Connection, oracle: sqlite3.Connection) -> None:
    sources = ["Chat", "Partner", "Trade Show"]
    table = conn.query(
        "select Last_Name, Lead_Source from Leads where Lead_Source in :sources", {"sources": sources}
    ).to_arrow()
    assert set(table.column("Lead_Source").to_pylist()) == set(sources)
    assert table.num_rows == count(oracle, "Lead_Source in (?, ?, ?)", tuple(sources))


def test_a_date(conn: coqlkit.Connection, oracle: sqlite3.Connection) -> None:
    day = dt.date(2024, 3, 1)
    table = conn.query(
        "select Deal_Name, Closing_Date from Deals where Closing_Date >= :day", {"day": day}
    ).to_arrow()
    dates = table.column("Closing_Date").to_pylist()
    assert dates and all(d >= day for d in dates)
    assert table.num_rows == count(oracle, "Closing_Date >= ?", ("2024-03-01",), table="Deals")


def test_a_time_zone_aware_datetime(conn: coqlkit.Connection, oracle: sqlite3.Connection) -> None:
    india = dt.timezone(dt.timedelta(hours=5, minutes=30))
    moment = dt.datetime(2024, 1, 1, 5, 30, tzinfo=india)  # 2024-01-01T00:00:00Z
    table = conn.query(
        "select Last_Name, Created_Time from Leads where Created_Time >= :t", {"t": moment}
    ).to_arrow()
    times = table.column("Created_Time").to_pylist()
    assert times and all(t >= moment for t in times)
    # The sandbox keeps datetimes as UTC text.
    assert table.num_rows == count(oracle, "Created_Time >= ?", ("2024-01-01T00:00:00",))


def test_a_naive_datetime_is_refused(conn: coqlkit.Connection, log: RequestLog) -> None:
    with pytest.raises(coqlkit.ParameterError, match="time zone"):
        conn.query("select Last_Name from Leads where Created_Time > :t", {"t": dt.datetime(2024, 1, 1)})
    assert log.coql() == []


def test_booleans(conn: coqlkit.Connection, oracle: sqlite3.Connection) -> None:
    for flag in (True, False):
        table = conn.query(
            "select Last_Name, Email_Opt_Out from Leads where Email_Opt_Out = :flag", {"flag": flag}
        ).to_arrow()
        assert set(table.column("Email_Opt_Out").to_pylist()) == {flag}
        assert table.num_rows == count(oracle, "Email_Opt_Out = ?", (int(flag),))


@pytest.mark.parametrize("revenue", [Decimal("1000000.50"), 999999.99, 1_000_000])
def test_numbers(conn: coqlkit.Connection, oracle: sqlite3.Connection, revenue: object) -> None:
    table = conn.query(
        "select Last_Name, Annual_Revenue, No_of_Employees from Leads "
        "where No_of_Employees > :staff and Annual_Revenue >= :revenue",
        {"staff": 250, "revenue": revenue},
    ).to_arrow()
    assert table.num_rows == count(
        oracle,
        "No_of_Employees > 250 and Annual_Revenue >= ?",
        (float(revenue),),  # type: ignore[arg-type]
    )
    assert table.num_rows > 0
    assert all(n > 250 for n in table.column("No_of_Employees").to_pylist())


def test_a_missing_parameter(conn: coqlkit.Connection, log: RequestLog) -> None:
    with pytest.raises(coqlkit.ParameterError, match=":status"):
        conn.query("select Last_Name from Leads where Lead_Status = :status")
    with pytest.raises(coqlkit.ParameterError, match=":status"):
        conn.query("select Last_Name from Leads where Lead_Status = :status", {"state": "Contacted"})
    with pytest.raises(coqlkit.ParameterError, match=":status"):
        conn.query(coqlkit.parse("select Last_Name from Leads where Lead_Status = :status"))
    assert log.coql() == []


def test_a_value_with_no_coql_form_is_refused(conn: coqlkit.Connection) -> None:
    with pytest.raises(coqlkit.ParameterError):
        conn.query("select Last_Name from Leads where Last_Name = :n", {"n": object()})
    with pytest.raises(coqlkit.ParameterError, match="IN"):
        conn.query("select Last_Name from Leads where Last_Name = :n", {"n": ["a", "b"]})


def test_a_parsed_query_with_parameters(conn: coqlkit.Connection) -> None:
    select = coqlkit.parse("select Last_Name from Leads where Last_Name = :n")
    assert conn.query(select, {"n": "O'Brien"}).to_arrow().column("Last_Name").unique().to_pylist() == [
        "O'Brien"
    ]


# ---- errors before any credit is spent ------------------------------------------------------


def test_a_syntax_error_spends_nothing(conn: coqlkit.Connection, log: RequestLog) -> None:
    before = conn.credits_used
    with pytest.raises(coqlkit.CoqlSyntaxError) as caught:
        conn.query("select Last_Name\nfrom Leads\nwhere Last_Name = = 'x'")
    error = caught.value
    assert (error.line, error.column) == (3, 19)
    assert error.code == "SYNTAX_ERROR"
    assert "  where Last_Name = = 'x'\n                    ^" in str(error)
    assert conn.credits_used == before
    assert log.calls() == []


def test_an_unknown_field_is_caught_with_a_hint(conn: coqlkit.Connection, log: RequestLog) -> None:
    conn.fields("Leads")  # the metadata, fetched once (and charged) before the test
    log.mark()
    before = conn.credits_used
    with pytest.raises(coqlkit.ValidationError) as caught:
        conn.query("select Last_Name, Emial from Leads")
    error = caught.value
    assert error.code == "INVALID_QUERY"
    (diagnostic,) = error.diagnostics
    assert diagnostic.hint == "did you mean Email?"
    assert diagnostic.span is not None
    assert (diagnostic.span.line, diagnostic.span.column) == (1, 19)
    assert "select Last_Name, Emial from Leads\n                    ^^^^^" in str(error)
    assert conn.credits_used == before
    assert log.calls() == []


def test_check_false_sends_it_and_zoho_refuses(conn: coqlkit.Connection, log: RequestLog) -> None:
    text = "select Last_Name from Leads where Last_Nme = 'Cruz' limit 5"
    with pytest.raises(coqlkit.ValidationError):
        conn.query(text)
    assert log.coql() == []
    result = conn.query(text, check=False)
    with pytest.raises(coqlkit.ZohoApiError) as caught:
        result.to_arrow()
    error = caught.value
    assert (error.code, error.status) == ("INVALID_QUERY", 400)
    assert error.details.get("column_name") == "Last_Nme"
    assert [e["status"] for e in log.coql()] == [400]


def test_check_false_with_an_unknown_selected_field_reaches_zoho(
    conn: coqlkit.Connection, log: RequestLog
) -> None:
    """The planner does not stand in for the check: a field it cannot resolve is typed as
    unknown (JSON text), and Zoho answers whether it exists."""
    result = conn.query("select Last_Nme from Leads limit 5", check=False)
    assert result.schema.field("Last_Nme").type == pa.string()
    with pytest.raises(coqlkit.ZohoApiError) as caught:
        result.to_arrow()
    assert caught.value.details.get("column_name") == "Last_Nme"
    assert [e["status"] for e in log.coql()] == [400]


def test_check_false_with_a_probe(conn: coqlkit.Connection, log: RequestLog) -> None:
    """Without a LIMIT the COUNT probe goes first, with the same WHERE: Zoho refuses that."""
    with pytest.raises(coqlkit.ZohoApiError) as caught:
        conn.query("select Last_Name from Leads where Email_Opt_Out > 5", check=False)
    assert caught.value.code == "INVALID_QUERY"
    assert [e["status"] for e in log.coql()] == [400]


# ---- the credit budget ------------------------------------------------------------------------


def test_a_query_over_the_budget_is_refused_after_the_probe_only(
    conn: coqlkit.Connection, log: RequestLog
) -> None:
    conn.fields("Leads")
    log.mark()
    before = conn.credits_used
    with pytest.raises(coqlkit.CreditBudgetExceeded) as caught:
        conn.query("select Last_Name, Email from Leads", max_credits=3)
    error = caught.value
    assert error.left == 3 and error.needed > 3
    assert "budget" in str(error)
    assert len(log.coql()) == 1  # the COUNT probe, nothing else
    assert conn.credits_used - before == log.credits() == 1


def test_a_connection_wide_budget(sandbox: Sandbox) -> None:
    with coqlkit.connect(sandbox=sandbox, max_credits=2) as conn:
        assert conn.query("select Last_Name from Leads limit 10").to_arrow().num_rows == 10
        with pytest.raises(coqlkit.CreditBudgetExceeded):
            conn.query("select Last_Name from Leads")
        # a query may raise its own budget above the connection's
        assert conn.query("select Last_Name from Leads", max_credits=100).to_arrow().num_rows > 2000
