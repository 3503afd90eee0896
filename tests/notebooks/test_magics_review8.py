"""The magics after notebook review 8: a displayed GROUP BY reads one page, options and
EXPLAIN on a line, ``%reload_ext``, parameter errors as every diagnostic, ``--tz`` named
in its errors, and the display's advice within the budget.

Against a sandbox of 3,000 leads, in an in-process IPython shell (see test_magics.py,
whose fixtures these tests share).
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Callable

import pytest
from IPython.core.interactiveshell import InteractiveShell

import coqlkit
from coqlkit.errors import PartialResultWarning
from coqlkit.notebook import CoqlMagics, MagicError, ResultView
from tests.api._support import RequestLog
from tests.notebooks import test_magics as base
from tests.notebooks.test_magics import cell, error_of, magics, run

# test_magics.py's fixtures, shared: a module's fixtures are its attributes.
cache_home = base.cache_home
_private_cache = base._private_cache
shell = base.shell
connected = base.connected
ip = base.ip
fresh = base.fresh
conn = base.conn

# 2,625 distinct emails among the 3,000 leads: more groups than one page of 200.
BY_EMAIL = "select Email, COUNT(id) from Leads group by Email"


# ---- finding 1: a displayed GROUP BY reads only the first page of groups ---------------------


def test_a_displayed_group_by_reads_one_page_of_groups(
    ip: InteractiveShell, conn: coqlkit.Connection
) -> None:
    """Not every page (4 calls, 10 credits here; up to 151 credits on a real org, then a
    failure at 100,000 groups) to show 10 rows."""
    assert conn.sandbox is not None
    conn.fields("Leads")
    log = RequestLog(conn.sandbox)
    view, _ = run(lambda: ip.run_line_magic("coql", BY_EMAIL))
    assert isinstance(view, ResultView)
    [sent] = log.coql()
    assert sent["coql"].endswith("limit 200") and sent["credits"] == 1  # the whole read's first page
    assert not view.complete and view.total is None and view.table.num_rows == 200
    assert re.fullmatch(r"the first 200 rows · 1 call · 1 credit · \d+\.\d\d s", view.summary)
    # What reading them all costs, as far as known: a second page at least, 151 credits of
    # pages up to where Zoho stops paging groups (EXPLAIN's figure), and more past it, where
    # the records are read and grouped here.
    assert repr(view).endswith(
        " (first 10 shown; no more were read: `%coql NAME << select ...` reads them all, 4 to 151 credits, "
        "more past 100,000 groups)"
    )
    explained = conn.explain(BY_EMAIL)
    assert (
        "held until they end; at 100,000 groups or more (Zoho pages groups no further), after 51 calls ·"
        in explained
    )
    assert "151 credits: a COUNT of the records (1 call · 1 credit)" in explained
    # The rows held are the whole result's first ones, in its order.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        whole = view.result.to_arrow()
    assert whole.num_rows == 2625
    assert view.table.equals(whole.slice(0, 200))
    with pytest.warns(PartialResultWarning, match=r"^this view read only its first 200 rows, and converts"):
        assert len(view.to_pandas()) == 200


def test_a_group_by_of_fewer_groups_than_a_page_is_shown_whole_for_one_credit(
    ip: InteractiveShell, conn: coqlkit.Connection
) -> None:
    assert conn.sandbox is not None
    log = RequestLog(conn.sandbox)
    view = ip.run_line_magic("coql", "select Lead_Source, COUNT(id) from Leads group by Lead_Source")
    assert [e["credits"] for e in log.coql()] == [1]
    assert view.complete and 10 < view.table.num_rows < 200
    assert re.fullmatch(rf"{view.table.num_rows} rows · 1 call · 1 credit · \d+\.\d\d s", view.summary)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the view is the whole result: no PartialResultWarning
        assert len(view.to_pandas()) == view.table.num_rows


def test_a_group_by_with_a_limit_past_a_page_reads_one_page(
    ip: InteractiveShell, conn: coqlkit.Connection
) -> None:
    assert conn.sandbox is not None
    log = RequestLog(conn.sandbox)
    view = ip.run_line_magic("coql", f"{BY_EMAIL} limit 1000")  # one call, 2 credits, whole
    assert [e["credits"] for e in log.coql()] == [1]
    assert view.summary.startswith("200 of up to 1,000 rows · 1 call · 1 credit · ")
    assert "reads them all, about 2 credits)" in repr(view)


def test_a_cell_of_groups_says_how_a_cell_reads_them_all_and_the_html_shows_code(
    ip: InteractiveShell,
) -> None:
    view, _ = cell(ip, "", BY_EMAIL.replace(" group by", "\ngroup by"))
    assert isinstance(view, ResultView)
    assert repr(view).endswith("`%%coql NAME <<` reads them all, 4 to 151 credits, more past 100,000 groups)")
    page = view._repr_html_()
    summary = re.search(r'<p class="coqlkit-summary">(.*)</p>', page)
    assert summary is not None and "`" not in summary.group(1)
    assert "<code>%%coql NAME &lt;&lt;</code> reads them all" in summary.group(1)


def test_a_budget_holds_a_displayed_group_by_to_its_first_page(fresh: Callable[[str], CoqlMagics]) -> None:
    magics_ = fresh("--max-credits 1")
    assert magics_.conn is not None and magics_.conn.sandbox is not None
    magics_.conn.fields("Leads")
    log = RequestLog(magics_.conn.sandbox)
    view = magics_.coql(BY_EMAIL)
    assert sum(e["credits"] for e in log.coql()) == 1
    assert repr(view).endswith(
        " (first 10 shown; no more were read: reading them all, 4 to 151 credits, more past 100,000 groups, "
        "is over the budget of 1 credit (`%coql_connect --max-credits`))"
    )


# ---- finding 10: the advice to read every row respects the budget ------------------------------


def test_the_advice_to_read_every_row_respects_the_budget(fresh: Callable[[str], CoqlMagics]) -> None:
    """With --max-credits 2, `NAME <<` would be refused (about 6 credits: its COUNT probe
    again, a budget never planning from a remembered count, and 5 of pages): not advised."""
    magics_ = fresh("--max-credits 2")
    assert magics_.conn is not None
    magics_.conn.fields("Leads")
    view = magics_.coql("select Last_Name from Leads")
    assert not view.complete and view.credits == 2
    note = repr(view).splitlines()[-1]
    assert note.endswith(
        " (only the rows shown were read: reading them all, about 6 credits, is over the budget of 2 credits "
        "(`%coql_connect --max-credits`))"
    )
    with pytest.raises(MagicError, match="the budget is 2"):  # as the note says
        magics_.coql("everyone << select Last_Name from Leads")
    with pytest.warns(PartialResultWarning) as caught:
        view.to_pandas()
    assert str(caught.list[0].message).endswith(
        "converts those alone: view.result.to_pandas() reads every row (about 5 credits; the budget of "
        "`%coql_connect --max-credits 2` is for the magics alone)"
    )
    # Within the budget, the advice stands (under a budget `NAME <<` counts again: 1 credit).
    roomy = fresh("--max-credits 10")
    assert roomy.conn is not None
    roomy.conn.fields("Leads")
    assert repr(roomy.coql("select Last_Name from Leads")).endswith(
        "`%coql NAME << select ...` reads them all, about 6 credits (`view.result.to_pandas()`: about 5 credits))"
    )


# ---- findings 2 and 3: options on a line, EXPLAIN as in the shell --------------------------------


def test_options_lead_a_line_magic(ip: InteractiveShell, conn: coqlkit.Connection) -> None:
    assert conn.sandbox is not None
    log = RequestLog(conn.sandbox)
    value, out = run(lambda: ip.run_line_magic("coql", "--explain select Last_Name from Leads"))
    assert value is None and out.stdout.startswith("Plan: ")
    assert all("COUNT(id)" in e["coql"] for e in log.coql())  # at most the probe: nothing read
    view = ip.run_line_magic("coql", "--tz UTC --no-progress select Created_Time from Leads limit 2")
    assert str(view.table.schema.field("Created_Time").type.tz) == "UTC"
    run(
        lambda: ip.run_line_magic("coql", "--arrow --no-progress pair << select Last_Name from Leads limit 2")
    )
    assert ip.user_ns["pair"].num_rows == 2
    _, out = run(lambda: ip.run_line_magic("coql", "--tz UTC"))
    assert error_of(out).startswith("%coql: no query")


def test_options_after_the_name_on_a_line_say_where_they_go(ip: InteractiveShell) -> None:
    _, out = run(lambda: ip.run_line_magic("coql", "leads << --arrow select Last_Name from Leads"))
    assert error_of(out).startswith(
        "%coql: options go before `NAME <<`: write `%coql --arrow leads << ...`\nusage: %coql "
    )


@pytest.mark.parametrize(
    ("how", "source"),
    [
        ("line", "%coql EXPLAIN select Last_Name from Leads"),
        ("cell", "%%coql\nexplain select Last_Name from Leads"),
        ("line", "%coql explain analyze select Last_Name from Leads limit 5"),
        ("cell", "%%coql\nEXPLAIN ANALYZE\nselect Last_Name from Leads limit 5"),
    ],
)
def test_explain_before_the_query_is_explain_as_in_the_shell(
    ip: InteractiveShell, how: str, source: str
) -> None:
    from IPython.utils.capture import capture_output

    with capture_output() as out:
        result = ip.run_cell(source)
    assert result.success, out.stdout
    assert out.stdout.startswith("Plan: ")
    assert ("\nActual: " in out.stdout) == ("analyze" in source.lower())


def test_a_diagnostic_after_explain_points_into_the_cell(ip: InteractiveShell) -> None:
    _, out = cell(ip, "", "EXPLAIN\nselect Last_Name, Emial from Leads")
    assert error_of(out).startswith("2:19: error[INVALID_QUERY]: Leads has no field Emial\n")
    _, out = cell(ip, "", "explain select Emial from Leads")
    text = error_of(out)
    assert text.startswith("1:16: error[INVALID_QUERY]: Leads has no field Emial\n")
    assert text.splitlines()[2] == " " * 17 + "^^^^^"
    _, out = cell(ip, "plan <<", "explain select Last_Name from Leads")
    assert error_of(out).startswith("%%coql: --explain and --analyze print a plan: no `plan <<`")


# ---- finding 4: %reload_ext keeps the connection -----------------------------------------------


def test_reload_ext_keeps_the_connection(ip: InteractiveShell) -> None:
    before = magics(ip)
    conn = before.conn
    assert conn is not None and conn.sandbox is not None
    sandboxes = [t for t in threading.enumerate() if t.name == "sandbox"]
    ip.run_line_magic("reload_ext", "coqlkit")
    after = magics(ip)
    assert after is not before  # new magics...
    assert after.conn is conn and not conn.closed  # ...on the same org, still open
    assert after.max_credits == before.max_credits
    view = ip.run_line_magic("coql", "select Last_Name from Leads limit 2")
    assert view.table.num_rows == 2
    assert [t for t in threading.enumerate() if t.name == "sandbox"] == sandboxes  # none started


# ---- finding 5: a parameter's error as every diagnostic ------------------------------------------


def test_a_missing_variable_is_reported_as_the_api_reports_it(ip: InteractiveShell) -> None:
    ip.user_ns.pop("since", None)
    # (a cell magic: a line magic called from this test would see the test's locals first)
    _, out = run(
        lambda: ip.run_cell_magic("coql", "", "select Last_Name from Leads where Created_Time > :since")
    )
    assert error_of(out) == (
        "1:50: error[INVALID_PARAMETER]: no notebook variable for the parameter :since\n"
        "  select Last_Name from Leads where Created_Time > :since\n"
        "                                                   ^^^^^^\n"
        "  hint: set it in a cell first: since = ..."
    )
    with pytest.raises(coqlkit.ParameterError) as api:
        coqlkit.parse("select Last_Name from Leads where Created_Time > :since", {"since": None})
    assert str(api.value).splitlines()[0].startswith("1:50: error[INVALID_PARAMETER]: ")


def test_a_missing_variable_names_the_one_probably_meant(ip: InteractiveShell) -> None:
    ip.user_ns["status"] = "Contacted"
    ip.user_ns.pop("Status", None)
    _, out = cell(ip, "", "select Last_Name from Leads where Lead_Status = :Status")
    assert error_of(out).endswith("  hint: did you mean :status? (or set it in a cell first: Status = ...)")


def test_a_value_without_a_literal_is_reported_as_the_api_reports_it(ip: InteractiveShell) -> None:
    ip.user_ns["nothing"] = None
    query = "select Last_Name from Leads where Email = :nothing"
    _, out = run(lambda: ip.run_line_magic("coql", query))
    with pytest.raises(coqlkit.ParameterError) as api:
        coqlkit.parse(query, {"nothing": None})
    assert error_of(out) == str(api.value)


# ---- finding 7: --tz names itself in its errors -------------------------------------------------


def test_an_unknown_zone_is_the_magics_option(shell: InteractiveShell, ip: InteractiveShell) -> None:
    found = CoqlMagics(shell)
    _, out = run(lambda: found.coql_connect("--sandbox --records 3000 --tz Kolkata"))
    text = error_of(out)
    assert text.startswith("%coql_connect: --tz Kolkata: unknown time zone 'Kolkata'")
    assert "connect()" not in text
    assert found.conn is None  # refused before a sandbox was started
    _, out = cell(ip, "--tz Nowhere/City", "select Created_Time from Leads limit 1")
    assert error_of(out).startswith("%%coql: --tz Nowhere/City: unknown time zone 'Nowhere/City'")
    _, out = run(
        lambda: ip.run_line_magic("coql", "--tz Nowhere/City select Created_Time from Leads limit 1")
    )
    assert error_of(out).startswith("%coql: --tz Nowhere/City: unknown time zone")


def test_a_budget_between_the_costs_of_all_groups_says_it_may_stop_the_read(
    fresh: Callable[[str], CoqlMagics],
) -> None:
    magics_ = fresh("--max-credits 5")
    assert magics_.conn is not None
    magics_.conn.fields("Leads")
    view = magics_.coql(BY_EMAIL)
    assert repr(view).endswith(
        "`%coql NAME << select ...` reads them all, 4 to 151 credits, more past 100,000 groups; the budget "
        "of 5 credits stops it "
        "if they cost more)"
    )
    with pytest.raises(MagicError, match=r"budget .* stopped after [\d,]+ rows"):  # as it says
        magics_.coql(f"everyone << {BY_EMAIL}")
