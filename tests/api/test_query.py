"""``Connection.query``: typed parameters, and errors caught before a credit is spent (or,
with ``check=False``, Zoho's own refusal); warnings about queries that run but probably
not as meant; the credit budget."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
import sqlite3
import traceback
import warnings
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

import coqlkit
from coqlkit.language.ast import Comparison, FieldRef, String
from coqlkit.sandbox.server import Sandbox
from coqlkit.validate import Severity
from tests.api._support import RECORDS, RequestLog, count

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
    with pytest.warns(coqlkit.QueryWarning, match="is not a value of the picklist Lead_Source"):
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
    # Not at midnight: a naive midnight binds as its day (a date column in pandas).
    with pytest.raises(coqlkit.ParameterError, match="time zone"):
        conn.query(
            "select Last_Name from Leads where Created_Time > :t", {"t": dt.datetime(2024, 1, 1, 9, 30)}
        )
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


def test_a_parameter_error_points_at_the_parameter(conn: coqlkit.Connection, log: RequestLog) -> None:
    """From Python too, as a syntax error reads: line:column, the query and a caret (was
    the message alone: which of three :when's?)."""
    query = "select Last_Name from Leads\nwhere Created_Time > :since and Modified_Time < :until"
    since = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    with pytest.raises(coqlkit.ParameterError) as caught:
        conn.query(query, {"since": since, "until": dt.datetime(2024, 2, 1, 9, 30)})
    error = caught.value
    assert error.description.startswith(":until is a datetime without a time zone")
    assert (error.span.line, error.span.column) == (2, 49)  # type: ignore[union-attr]
    assert str(error).splitlines() == [
        f"2:49: error[INVALID_PARAMETER]: {error.description}",
        "  where Created_Time > :since and Modified_Time < :until",
        "  " + " " * 48 + "^^^^^^",
    ]
    with pytest.raises(
        coqlkit.ParameterError,
        match=r"^2:22: error\[INVALID_PARAMETER\]: no value given for :since, :until\n",
    ):
        conn.query(query)
    with pytest.raises(coqlkit.ParameterError, match=r"^1:48: .*:n is an empty list"):
        conn.query("select Last_Name from Leads where Last_Name in :n", {"n": []})
    # A parsed query keeps its text: quoted the same way. One built in code has none: the
    # message alone.
    with pytest.raises(coqlkit.ParameterError) as parsed:
        conn.query(coqlkit.parse(query), {"since": None, "until": since})
    assert str(parsed.value).startswith("2:22: error[INVALID_PARAMETER]: :since is None; write 'is null'")
    built = dataclasses.replace(coqlkit.parse(query), text=None)
    with pytest.raises(coqlkit.ParameterError) as in_code:
        conn.query(built, {"since": None, "until": since})
    assert str(in_code.value) == ":since is None; write 'is null' in the query instead"
    assert in_code.value.span is not None and in_code.value.span.column == 22
    assert log.coql() == []


def test_a_value_with_no_coql_form_is_refused(conn: coqlkit.Connection) -> None:
    with pytest.raises(coqlkit.ParameterError):
        conn.query("select Last_Name from Leads where Last_Name = :n", {"n": object()})
    with pytest.raises(coqlkit.ParameterError, match="IN"):
        conn.query("select Last_Name from Leads where Last_Name = :n", {"n": ["a", "b"]})


def test_text_that_was_not_utf8_is_refused_before_any_call(conn: coqlkit.Connection, log: RequestLog) -> None:
    """Bytes decoded with errors='surrogateescape' keep a lone surrogate, which cannot be
    sent as UTF-8: refused with its position (was a bare UnicodeEncodeError from the wire)."""
    city = b"K\xf6ln".decode("utf-8", "surrogateescape")  # Latin-1 bytes read as UTF-8
    with pytest.raises(coqlkit.ValidationError) as caught:
        conn.query(f"select Last_Name from Leads where City = '{city}'")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.column == 42 and "U+DCF6" in diagnostic.message
    assert diagnostic.hint is not None and "0xf6" in diagnostic.hint
    with pytest.raises(
        coqlkit.ParameterError, match=r":city holds U\+DCF6, a lone surrogate, at its character 2"
    ):
        conn.query("select Last_Name from Leads where City = :city", {"city": city})
    with pytest.raises(coqlkit.ParameterError, match="U\\+D83D"):  # half of an emoji's UTF-16 pair
        conn.query("select Last_Name from Leads where City in :cities", {"cities": ["Köln", "\ud83d"]})
    assert log.coql() == []
    # Text that is not ASCII but is text goes through.
    assert (
        conn.query("select Last_Name from Leads where City = :c", {"c": "Köln 😀"}).to_arrow().num_rows == 0
    )


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


def test_a_label_typed_for_a_field_is_named_from_the_metadata(sandbox: Sandbox, tmp_path: Path) -> None:
    """``where Lead Owner = ...`` is a syntax error (a name has no spaces). Its hint names the
    field that label belongs to, Owner (the words alone would say Lead_Owner, no field),
    from the module's fields: fetched for it on a new connection and a cold cache, as the
    check would once the query parses; a syntax error no label explains fetches nothing."""
    with coqlkit.connect(sandbox=sandbox, cache_dir=tmp_path / "cold") as fresh:
        opened = fresh.credits_used  # the org, on connecting
        with pytest.raises(coqlkit.CoqlSyntaxError) as caught:
            fresh.query("select Last_Name from Leads where (Email = 'x'")
        assert "Owner" not in str(caught.value) and fresh.credits_used == opened  # nothing fetched
        spent = fresh.credits_used
        with pytest.raises(coqlkit.CoqlSyntaxError) as caught:
            fresh.query("select Last_Name from Leads where Lead Owner = '4150868000000225013'")
        assert caught.value.hint == "did you mean Owner? (the field labelled Lead Owner)"
        assert fresh.credits_used > spent  # the Leads fields: metadata, no COQL call


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


def frames_of(error: BaseException) -> list[str]:
    """The functions an error's traceback passes through, innermost last."""
    return [f"{Path(f.filename).name}:{f.name}" for f in traceback.extract_tb(error.__traceback__)]


@pytest.mark.parametrize(
    ("text", "params", "kind", "shown"),
    [
        (
            "select Emial from Leads",
            None,
            coqlkit.ValidationError,
            "error[INVALID_QUERY]: Leads has no field",
        ),
        (
            "select Last_Name from Leads where",
            None,
            coqlkit.CoqlSyntaxError,
            "error[SYNTAX_ERROR]: unexpected end",
        ),
        ("select Last_Name from Leads where Email = :email", {}, coqlkit.ParameterError, "no value given"),
    ],
)
def test_an_error_in_the_input_is_its_message_alone_in_ipython(
    conn: coqlkit.Connection,
    text: str,
    params: dict[str, object] | None,
    kind: type[coqlkit.CoqlError],
    shown: str,
) -> None:
    with pytest.raises(kind) as caught:
        conn.query(text, params)
    error = caught.value
    # IPython shows what _render_traceback_ gives instead of a traceback: the class and message.
    lines = error._render_traceback_()  # type: ignore[attr-defined]
    assert lines == f"{kind.__name__}: {error}".splitlines()
    assert shown in lines[0] and len(lines) <= 4


def test_an_error_starts_its_traceback_at_the_callers_frame(conn: coqlkit.Connection) -> None:
    """Not in the synchronous API's event-loop thread: no concurrent.futures, no coroutines."""
    with pytest.raises(coqlkit.ValidationError) as caught:
        conn.query("select Emial from Leads")
    frames = frames_of(caught.value)
    assert frames[0].endswith(":test_an_error_starts_its_traceback_at_the_callers_frame")
    assert frames[1:] == ["api.py:query", "api.py:_query", "_loop.py:run"]
    # Zoho's own refusal (not an input error: IPython shows it with its traceback) too.
    result = conn.query("select Last_Name from Leads where Last_Nme = 'x' limit 5", check=False)
    with pytest.raises(coqlkit.ZohoApiError) as refused:
        result.to_arrow()
    assert frames_of(refused.value)[1:] == ["_result.py:to_arrow", "_loop.py:run"]
    assert not hasattr(refused.value, "_render_traceback_")
    # coqlkit's own trouble (here: a plan it cannot make) keeps its frames for a bug report.
    with pytest.raises(coqlkit.PlanError) as unplanned:
        conn.query("select Last_Name from Leads where Owner.full_name = 'x'", strategy="bulk")
    assert frames_of(unplanned.value)[-1] == "executor.py:prepare"  # where it was raised


# ---- warnings: the query runs, probably not as meant -------------------------------------------

TYPOS = "select Deal_Name from Deals where Stage = 'Closed Wonn' or Stage = 'Qualificaton'"


def issued(action: object) -> tuple[object, list[warnings.WarningMessage]]:
    """What ``action()`` returned, and every warning it issued (none filtered away)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = action()  # type: ignore[operator]
    return value, caught


def test_a_value_not_in_its_picklist_warns_once_with_the_caret_and_still_runs(
    conn: coqlkit.Connection, oracle: sqlite3.Connection
) -> None:
    result, caught = issued(lambda: conn.query(TYPOS))
    assert [w.category for w in caught] == [coqlkit.QueryWarning]  # one warning for the query
    warning = caught[0]
    assert issubclass(warning.category, coqlkit.CoqlWarning)
    assert warning.filename == __file__  # issued in the caller's frame (and thread)
    message = str(warning.message)
    assert message.splitlines()[:4] == [
        "1:43: warning[INVALID_QUERY]: 'Closed Wonn' is not a value of the picklist Stage",
        "  " + TYPOS,
        "  " + " " * 42 + "^" * 13,
        "  hint: closest values: 'Closed Won', 'Closed Lost'",
    ]
    assert "'Qualificaton' is not a value of the picklist Stage" in message
    assert isinstance(warning.message, coqlkit.QueryWarning)
    assert [d.severity.value for d in warning.message.diagnostics] == ["warning", "warning"]
    assert isinstance(result, coqlkit.Result)
    assert result.stats.notes == [d.format(TYPOS) for d in result.warnings]
    _, again = issued(result.to_arrow)  # reading the rows warns no more
    assert again == [] and result.to_arrow().num_rows == 0
    assert result.stats.notes[0] == message.split("\n1:")[0]


def test_explain_warns_as_query_does_and_analyze_keeps_the_note(conn: coqlkit.Connection) -> None:
    text, caught = issued(lambda: conn.explain(TYPOS))
    assert [w.category for w in caught] == [coqlkit.QueryWarning] and caught[0].filename == __file__
    assert isinstance(text, str) and text.startswith("Plan: ")
    text, caught = issued(lambda: conn.explain(TYPOS, analyze=True))
    assert len(caught) == 1 and "Closed Wonn" in str(caught[0].message)


def test_the_async_api_warns_in_the_awaiting_coroutine(sandbox: Sandbox) -> None:
    async def main() -> list[warnings.WarningMessage]:
        async with await coqlkit.connect_async(sandbox=sandbox) as conn:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = await conn.query(TYPOS)
            assert result.stats.notes and result.warnings
            return caught

    caught = asyncio.run(main())
    assert [w.category for w in caught] == [coqlkit.QueryWarning] and caught[0].filename == __file__


def test_infos_and_clean_queries_do_not_warn(conn: coqlkit.Connection) -> None:
    # pytest turns any warning into an error: these must issue none.
    result = conn.query("select Last_Name from Leads limit 2500")  # more than a call: an info
    assert [d.severity.value for d in result.diagnostics] == ["info"]
    assert result.warnings == [] and result.stats.notes == []
    clean = conn.query("select Deal_Name from Deals where Stage = 'Closed Won' limit 5")
    assert clean.diagnostics == () and clean.to_arrow().num_rows == 5


def test_check_false_checks_nothing_and_warns_nothing(conn: coqlkit.Connection) -> None:
    result = conn.query(TYPOS, check=False)
    assert result.diagnostics == () and result.stats.notes == []


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


@pytest.mark.parametrize(
    ("text", "options"),
    [
        ("select Last_Name from Leads", {"probe": False}),  # rows unknown: pages until one is short
        ("select Email, COUNT(id) from Leads group by Email", {}),  # pages of groups: how many, unknown
    ],
)
def test_a_plan_whose_cost_is_a_floor_stops_at_the_budget(
    conn: coqlkit.Connection, log: RequestLog, text: str, options: dict[str, object]
) -> None:
    """Its estimate is "at least" a few credits, so the budget lets it start: the budget is
    then held call by call, and the call that would pass it is refused before it is sent
    (was: 151 credits spent against a budget of 10, or a read finished far over it)."""
    conn.fields("Leads")
    log.mark()
    before = conn.credits_used
    with pytest.raises(coqlkit.CreditBudgetExceeded) as refused:
        conn.query(text, max_credits=4, **options).to_arrow()
    message = str(refused.value)
    assert re.search(r"would cost 3 credits; the query's budget \(max_credits\) has \d of 4 left", message)
    assert re.search(r": stopped after [\d,]+ rows, so the result is incomplete \(raise the budget", message)
    assert log.credits() == conn.credits_used - before <= 4
    assert len(log.coql()) == 2  # the first page and the probe, or the first two pages
    # Within its budget, the same read runs to the end.
    log.mark()
    table = conn.query(text, max_credits=100, **options).to_arrow()
    assert table.num_rows == (RECORDS if text.endswith("Leads") else table.num_rows) > 0
    assert log.credits() <= 100


def test_a_connection_wide_budget(sandbox: Sandbox) -> None:
    with coqlkit.connect(sandbox=sandbox, max_credits=2) as conn:
        assert conn.query("select Last_Name from Leads limit 10").to_arrow().num_rows == 10
        with pytest.raises(coqlkit.CreditBudgetExceeded):
            conn.query("select Last_Name from Leads")
        # a query may raise its own budget above the connection's
        assert conn.query("select Last_Name from Leads", max_credits=100).to_arrow().num_rows > 2000


def test_a_bulk_read_names_its_lookups_on_a_fresh_metadata_cache(sandbox: Sandbox) -> None:
    # A bulk read gives a lookup's id only: its name comes from the target's display field,
    # which the plan knows only if the target module's fields are in the catalog. A fresh
    # cache (a new CI runner) must give the same names as a warm one and as COQL pages.
    query = "select Last_Name, Owner from Leads where Lead_Source = 'Chat'"
    with coqlkit.connect(sandbox=sandbox) as fresh:
        bulk = fresh.query(query, strategy="bulk")
        assert "Owner.full_name" in bulk.explain()
        by_bulk = bulk.to_arrow()
    with coqlkit.connect(sandbox=sandbox) as other:
        by_pages = other.query(query, strategy="coql").to_arrow()
    assert by_bulk.num_rows > 100
    assert by_bulk.column("Owner").combine_chunks().field("name").null_count == 0
    assert (
        by_bulk.sort_by("id").column("Owner").to_pylist()
        == by_pages.sort_by("id").column("Owner").to_pylist()
    )


def test_check_alone_spends_nothing_on_the_query(conn: coqlkit.Connection, log: RequestLog) -> None:
    conn.fields("Leads")  # the metadata, cached before the mark
    log.mark()
    found = conn.check("select Last_Name from Leads where Lead_Status = :s", {"s": "Contactd"})
    assert [d.code for d in found if d.severity is Severity.WARNING] == ["INVALID_QUERY"]
    assert "'Contactd' is not a value of the picklist Lead_Status" in found[0].message
    with pytest.raises(coqlkit.ValidationError, match="Leads has no field Emial"):
        conn.check("select Emial from Leads")
    assert log.coql() == []


def test_a_plan_the_org_cannot_pay_for_today_is_refused_after_its_count(org_db: Path) -> None:
    # Zoho says on its answers how many credits the org has left today (once half the day's
    # are used): a read it could not finish is refused before its pages, instead of stopping
    # at the day's limit halfway.
    with (
        Sandbox(records=RECORDS, db=str(org_db), daily_credits=9) as poor,
        coqlkit.connect(sandbox=poor) as c,
    ):
        c.query("select Last_Name from Leads limit 1").to_arrow()  # metadata: 4 of 9 credits
        assert c.credits_remaining is None  # not said yet: the probe's answer will (5 of 9)
        log = RequestLog(poor)
        with pytest.raises(
            coqlkit.DailyLimitReached, match=r"would cost 5 more credits, and the org has \d left today"
        ):
            c.query("select Last_Name from Leads")  # 3,000 rows: 2,000 (3 credits) and 1,000 (2)
        assert len(log.coql()) == 1  # the COUNT probe, no page
        assert c.credits_remaining == 4
        # A subquery of 3,000 records (Zoho would use 100): reading its ids (5 credits) and
        # the query with them would pass what is left: refused after its COUNT, unread.
        log.mark()
        with pytest.raises(coqlkit.DailyLimitReached, match=r"read first for 5 credits") as refused:
            c.query("select Last_Name from Leads where id in (select id from Leads where id is not null)")
        assert "the org has" in str(refused.value) and refused.value.needed > 5
        [count] = log.coql()
        assert "COUNT(id)" in count["coql"]
        assert c.query("select Last_Name from Leads limit 5").to_arrow().num_rows == 5


def _long_subquery(conn: coqlkit.Connection) -> str:
    ids = conn.query("select id from Leads order by id limit 400").to_arrow().column("id").to_pylist()
    return (
        "select Last_Name from Leads where id in "
        f"(select id from Leads where id >= {ids[100]} and id <= {ids[399]}) order by Last_Name"
    )


def test_explain_counts_a_long_subquery_without_reading_it(conn: coqlkit.Connection, log: RequestLog) -> None:
    query = _long_subquery(conn)
    log.mark()
    explained = conn.explain(query)
    [counted] = log.coql()  # the subquery's COUNT: its ids are not read, the query not run
    assert "COUNT(id)" in counted["coql"]
    assert "subquery to read first when run · 300 records (Zoho uses 100 records at most)" in explained
    assert "the read ≈ 1 call · 2 credits" in explained
    assert explained.count("<50 values of the subquery>") == 6  # six INs of 50 in one query
    # What it says running costs is what EXPLAIN ANALYZE then spends.
    assert explained.splitlines()[0].startswith("Plan: up to 300 rows · 3 calls · 5 credits")
    log.mark()
    analyzed = conn.explain(query, analyze=True)
    assert log.credits() == 5 and "subquery read first · 300 values" in analyzed
    # The 300 ids it sent are shown as what they are, not listed (the query holds them).
    assert analyzed.count("<50 values of the subquery>") == 6
    sent = [e["coql"] for e in log.coql() if "Last_Name" in e["coql"]]
    assert len(sent) == 1 and sent[0].count(" in (") == 6
    ids = sent[0].split("id in (")[1].split(")")[0].split(", ")
    assert len(ids) == 50 and sum(analyzed.count(i) for i in ids) <= 1  # the subquery's bound
    # Without the COUNT probe, nothing at all is spent.
    log.mark()
    explained = conn.explain(query, probe=False)
    assert log.coql() == []
    assert "subquery to read first when run, its values in its place · not counted" in explained


def test_explain_does_not_count_a_query_by_the_stand_ins_of_its_subquery(
    conn: coqlkit.Connection, log: RequestLog
) -> None:
    # Owner in (3,000 records' owners): the query's own COUNT would need the owners read.
    query = "select Last_Name from Leads where Owner in (select Owner from Leads where id is not null)"
    log.mark()
    explained = conn.explain(query)
    [counted] = log.coql()  # the subquery's COUNT, never one with stand-ins in it
    assert counted["coql"] == "select COUNT(id) from Leads where id is not null"
    assert explained.startswith("Plan: rows unknown (counted once the subquery is read)")
    assert "no record matches" not in explained
    owned = conn.query("select COUNT(id) from Leads where Owner is not null").to_arrow().column(0)[0].as_py()
    assert conn.query(query).to_arrow().num_rows == owned > 0


def test_a_plan_made_only_to_explain_cannot_run(conn: coqlkit.Connection, log: RequestLog) -> None:
    _, result = conn._explain(_long_subquery(conn))
    log.mark()
    with pytest.raises(coqlkit.PlanError, match="only counted its subquery"):
        result.to_arrow()
    assert log.coql() == []


def test_a_query_bulk_read_cannot_run_is_refused_before_its_count(
    conn: coqlkit.Connection, log: RequestLog
) -> None:
    conn.fields("Leads")
    log.mark()
    with pytest.raises(
        coqlkit.PlanError, match=r"Owner\.full_name: bulk-read criteria name the module's own"
    ):
        conn.query("select Last_Name from Leads where Owner.full_name = 'Ann'", strategy="bulk")
    with pytest.raises(coqlkit.PlanError, match=r"bulk read does not serve Notes"):
        conn.query("select Note_Title from Notes", strategy="bulk")
    assert log.coql() == []  # no COUNT probe spent on a refusal the count cannot change
