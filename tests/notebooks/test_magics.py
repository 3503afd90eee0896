"""The Jupyter magics (``%load_ext coqlkit``) in an in-process IPython shell, against a sandbox.

What a notebook would show is read from IPython's own capture (``capture_output``): every
``display`` call (with its transient display id and whether it updates an earlier output),
the values a cell returns, stdout and stderr. A kernel is not needed for that: the shell
publishes the same bundles ipykernel would send to the frontend.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
import warnings
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import CapturedIO, capture_output
from traitlets.config import Config

import coqlkit
from coqlkit.errors import AmbiguousLookupWarning, PartialResultWarning
from coqlkit.notebook import CoqlMagics, Interrupted, MagicError, ResultView
from coqlkit.repl.config import ReplConfig
from coqlkit.repl.output import render
from tests.api._support import RequestLog, ctrl_c_when

RECORDS = 3_000  # Leads: a full read is a COUNT probe and two pages


@pytest.fixture(scope="session")
def cache_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sandbox's database cache for the session (the org is seeded once)."""
    return tmp_path_factory.getbasetemp() / "home" / "cache"


@pytest.fixture(autouse=True)
def _private_cache(monkeypatch: pytest.MonkeyPatch, cache_home: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InteractiveShell]:
    """A plain IPython shell (every display format on, as in a notebook) with the extension
    loaded; it is the process-wide instance, cleared at the end of the module."""
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IPYTHONDIR", str(tmp_path_factory.mktemp("ipython")))
        ip = InteractiveShell.instance(config=config)
        ip.run_line_magic("load_ext", "coqlkit")
        yield ip
        conn = magics(ip).conn
        if conn is not None:
            conn.close()
        InteractiveShell.clear_instance()


def magics(ip: InteractiveShell) -> CoqlMagics:
    found = ip.magics_manager.registry["CoqlMagics"]
    assert isinstance(found, CoqlMagics)
    return found


@pytest.fixture(scope="module")
def connected(shell: InteractiveShell, cache_home: Path) -> str:
    """``%coql_connect --sandbox --records 3000``; the text it printed."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(cache_home))
        with capture_output() as out:
            shell.run_line_magic("coql_connect", f"--sandbox --records {RECORDS}")
    assert magics(shell).conn is not None, out.outputs and out.outputs[0].data
    return out.stdout


@pytest.fixture
def ip(shell: InteractiveShell, connected: str) -> InteractiveShell:
    """The shell, its connection's remembered counts forgotten: each test's queries probe
    as on a fresh connection, whichever tests ran before on the module's one."""
    conn = magics(shell).conn
    if conn is not None:
        conn.aio.counts.forget()
    return shell


@pytest.fixture
def fresh(shell: InteractiveShell) -> Iterator[Callable[[str], CoqlMagics]]:
    """Magics of their own, connected with the given ``%coql_connect`` options to a sandbox
    of their own (the module's connection stays as it is)."""
    made: list[CoqlMagics] = []

    def connect(options: str) -> CoqlMagics:
        found = CoqlMagics(shell)
        with capture_output():
            found.coql_connect(f"--sandbox --records {RECORDS} {options}")
        made.append(found)
        return found

    yield connect
    for found in made:
        if found.conn is not None:
            found.conn.close()


@pytest.fixture
def conn(ip: InteractiveShell) -> coqlkit.Connection:
    found = magics(ip).conn
    assert found is not None
    return found


def run(action: Callable[[], Any]) -> tuple[Any, CapturedIO]:
    """What ``action`` returned and what it showed; a :class:`MagicError` it raised is kept
    as ``captured.error`` (the value is then None)."""
    with capture_output() as captured:
        try:
            value = action()
        except MagicError as exc:
            value = None
            captured.error = exc  # type: ignore[attr-defined]
    return value, captured


def html_of(captured: CapturedIO) -> list[str]:
    return [o.data["text/html"] for o in captured.outputs if "text/html" in o.data]


def error_of(captured: CapturedIO) -> str:
    """The error the magic raised, as IPython shows it: its ``_render_traceback_`` lines."""
    error = getattr(captured, "error", None)
    assert isinstance(error, MagicError), (captured.stdout, captured.outputs)
    assert "Traceback" not in captured.stdout + captured.stderr
    lines = error._render_traceback_()
    assert "\n".join(lines) == str(error)  # the text itself, nothing added
    return str(error)


def cell(ip: InteractiveShell, line: str, body: str) -> tuple[Any, CapturedIO]:
    return run(lambda: ip.run_cell_magic("coql", line, body))


# ---- %coql_connect ---------------------------------------------------------------------------


def test_connect_to_the_sandbox(connected: str, ip: InteractiveShell) -> None:
    assert re.fullmatch(
        r"coqlkit: connected to the sandbox at http://127\.0\.0\.1:\d+ \(3,000 leads, seed 42\)\n", connected
    )
    conn = magics(ip).conn
    assert conn is not None and conn.sandbox is not None and not conn.closed


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--sandboxx", "%coql_connect: unrecognized arguments: --sandboxx"),
        ("--sandbox --records abc", "%coql_connect: argument --records: invalid int value: 'abc'"),
        ("--records 10", "%coql_connect: --records needs --sandbox"),
        ("--profile prod --sandbox", "%coql_connect: --profile or --sandbox, not both"),
        ("--sandbox --records 0", "%coql_connect: records must be at least 1"),
        ("--profile 'prod", "%coql_connect: No closing quotation"),
        ("--sandbox --count-ttl -1", "%coql_connect: --count-ttl must be 0 or more"),
    ],
)
def test_connect_refuses_bad_flags(ip: InteractiveShell, line: str, message: str) -> None:
    before = magics(ip).conn
    _, out = run(lambda: ip.run_line_magic("coql_connect", line))
    text = error_of(out)
    assert text.startswith(message)
    if "usage" in text:
        assert text.endswith(
            "usage: %coql_connect [--profile NAME | --sandbox [--records N]] [--max-credits N] [--tz ZONE] "
            "[--count-ttl SECONDS]"
        )
    assert out.stderr == ""  # argparse printed nothing of its own
    assert magics(ip).conn is before and before is not None and not before.closed


def test_connect_to_an_unknown_profile_keeps_the_connection(ip: InteractiveShell) -> None:
    before = magics(ip).conn
    _, out = run(lambda: ip.run_line_magic("coql_connect", "--profile nowhere"))
    assert "nowhere" in error_of(out)
    assert magics(ip).conn is before


def test_without_a_connection_the_error_says_how_to_connect(shell: InteractiveShell) -> None:
    fresh = CoqlMagics(shell)  # conftest removed every ZOHO_* variable: no org to fall back on
    value, out = run(lambda: fresh.coql("select Last_Name from Leads"))
    assert value is None
    assert error_of(out).endswith("hint: %coql_connect --sandbox, or %coql_connect --profile NAME")


# ---- results ---------------------------------------------------------------------------------


def test_line_magic_shows_rows_count_calls_credits_and_time(ip: InteractiveShell) -> None:
    view, out = run(
        lambda: ip.run_line_magic("coql", "select Last_Name, Email, Annual_Revenue from Leads limit 5")
    )
    assert isinstance(view, ResultView)
    assert out.outputs == []  # the view is the value of the cell, shown by the notebook
    page = view._repr_html_()
    assert "<th>Last_Name</th><th>Email</th>" in page
    assert '<th style="text-align:right">Annual_Revenue</th>' in page
    assert page.count("<tr>") == 1 + 5  # the header and five rows
    for row in view.table.slice(0, 5).to_pylist():
        assert f"<td>{row['Last_Name']}</td>" in page
    summary = re.search(r'<p class="coqlkit-summary">(.*)</p>', page)
    assert summary is not None
    # The module's first query: the metadata it fetched is counted apart.
    assert re.fullmatch(
        r"5 rows · 1 call · 1 credit(?: \(\+\d for metadata\))? · \d+\.\d\d s", summary.group(1)
    )
    assert repr(view).splitlines()[-1] == summary.group(1)  # the plain-text view (a terminal)


def test_a_long_result_shows_its_first_rows(ip: InteractiveShell) -> None:
    view = ip.run_line_magic("coql", "select Last_Name from Leads limit 25")
    page = view._repr_html_()
    assert page.count("<tr>") == 1 + 10
    assert "25 rows · 1 call · 1 credit · " in page and "(first 10 shown)" in page


def test_result_view_escapes_and_flattens_values() -> None:
    table = pa.table(
        {
            "Name": ["<b>Ann & Co</b>", None],
            "Owner": [{"id": "1", "name": "Mia Chen"}, None],
            "Tags": [["a", "b"], []],
            "Amount": pa.array([Decimal("12.50"), None], pa.decimal128(18, 2)),
        }
    )
    stats = SimpleNamespace(calls=1, credits=1)
    view = ResultView(table, SimpleNamespace(stats=stats), 0.5)  # type: ignore[arg-type]
    page = view._repr_html_()
    assert "<td>&lt;b&gt;Ann &amp; Co&lt;/b&gt;</td><td>Mia Chen</td><td>a; b</td>" in page
    assert '<td style="text-align:right">12.50</td>' in page
    null = '<td class="coqlkit-null" style="color:gray">∅</td>'
    assert f"<tr>{null}{null}<td></td>" in page  # nulls show as ∅, an empty list as nothing
    assert "2 rows · 1 call · 1 credit · 0.50 s" in page


def _shell_cells(table: pa.Table) -> list[list[str]]:
    """The cells of ``table`` as the shell's ``table`` format shows them (nothing cut)."""
    text = render(table, config=ReplConfig(max_column_width=0)).text
    return [[c.strip() for c in line.split("|")[1:-1]] for line in text.splitlines()[3:-1]]


def test_the_html_shows_each_value_as_the_shell_does() -> None:
    """An empty text and a null differ (∅), doubles are never in e-notation, booleans are
    true/false, datetimes ISO 8601 with their offset, and no value can reorder the line or
    break out of its cell (types review 5, finding 7)."""
    table = pa.table(
        {
            "First_Name": ["", None, 'line\nbreak <i>"x"</i> \u202eevil'],
            "Minutes": pa.array([1e20, 1e-7, None], pa.float64()),
            "Opted_Out": [True, False, None],
            "Created": pa.array([0, None, 1_700_000_000], pa.timestamp("s", tz="America/Los_Angeles")),
            "Customer_Number": pa.array([999999999999999999, None, -5], pa.int64()),
        }
    )
    view = ResultView(table, SimpleNamespace(stats=SimpleNamespace(calls=1, credits=1)), 0.5)  # type: ignore[arg-type]
    page = view._repr_html_()
    rows = re.findall(r"<tr>(.*?)</tr>", page)[1:]
    cells = [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)] for row in rows]
    assert cells == _shell_cells(table)
    assert cells[0] == [
        "",
        "100000000000000000000",
        "true",
        "1969-12-31T16:00:00-08:00",
        "999999999999999999",
    ]
    assert cells[1] == ["∅", "0.0000001", "false", "∅", "∅"]
    assert cells[2][0] == 'line↵break <i>"x"</i> \\u202eevil'  # shown, not obeyed
    assert "<i>" not in page and "\u202e" not in page and "e+20" not in page and "True" not in page
    assert page.count('class="coqlkit-null"') == 5


def test_the_plain_text_view_shows_values_as_the_html_does() -> None:
    table = pa.table(
        {
            "Name": ["Ann", "Bo"],
            "Amount": pa.array([Decimal("54700.00"), Decimal("5.50")], pa.decimal128(18, 2)),
        }
    )
    view = ResultView(table, SimpleNamespace(stats=SimpleNamespace(calls=1, credits=1)), 0.5)  # type: ignore[arg-type]
    lines = repr(view).splitlines()
    assert lines[2:4] == ["Ann     54700.00", "Bo          5.50"]  # not 54700, numbers to the right


def test_cell_assigns_a_dataframe(ip: InteractiveShell, conn: coqlkit.Connection) -> None:
    value, out = cell(
        ip, "contacted <<", "select Last_Name, Lead_Source from Leads\nwhere Lead_Status = 'Contacted'"
    )
    assert value is None and out.outputs == []
    frame = ip.user_ns["contacted"]
    assert isinstance(frame, pd.DataFrame)
    expected = conn.query("select Last_Name from Leads where Lead_Status = 'Contacted'").to_arrow()
    assert len(frame) == expected.num_rows > 0
    assert list(frame.columns) == ["id", "Last_Name", "Lead_Source"]
    assert isinstance(frame["Lead_Source"].dtype, pd.CategoricalDtype)  # a picklist
    assert re.fullmatch(
        rf"contacted = {len(frame):,} rows · \d+ calls? · \d+ credits? · \d+\.\d\d s\n", out.stdout
    )


def test_cell_assigns_an_arrow_table_with_arrow(ip: InteractiveShell) -> None:
    cell(ip, "--arrow --no-progress table <<", "select Last_Name, Owner from Leads limit 3")
    table = ip.user_ns["table"]
    assert isinstance(table, pa.Table)
    assert table.num_rows == 3
    assert pa.types.is_struct(table.schema.field("Owner").type)


def test_cell_assigns_floats_for_decimals_unless_asked_exact(ip: InteractiveShell) -> None:
    query = "select Deal_Name, Amount from Deals where Amount is not null order by Amount desc limit 20"
    cell(ip, "--no-progress rough <<", query)
    cell(ip, "--decimals decimal --no-progress exact <<", query)
    cell(ip, "--decimals arrow --no-progress arrow <<", query)
    cell(ip, "--floats --no-progress floats <<", query)  # the old way to ask: the default now
    rough, exact, arrow = ip.user_ns["rough"], ip.user_ns["exact"], ip.user_ns["arrow"]
    assert rough["Amount"].dtype == "float64"  # ready for a chart
    assert exact["Amount"].dtype == object and isinstance(exact["Amount"].iloc[0], Decimal)
    assert arrow["Amount"].dtype == pd.ArrowDtype(pa.decimal128(18, 2))
    assert rough["Amount"].tolist() == [float(v) for v in exact["Amount"]]
    assert arrow["Amount"].tolist() == exact["Amount"].tolist()
    assert ip.user_ns["floats"].equals(rough)
    assert rough["Deal_Name"].tolist() == exact["Deal_Name"].tolist()


def test_the_magics_help_names_its_options(ip: InteractiveShell) -> None:
    """What ``%coql?`` shows: the magic's docstring."""
    magic = ip.find_line_magic("coql")
    assert magic is not None and magic.__doc__ is not None
    doc = magic.__doc__
    for option in (
        "--explain",
        "--analyze",
        "--no-progress",
        "--arrow",
        "--decimals float|decimal|arrow",
        "--floats",
        "--lookups name|flatten|struct",
        "--tz ZONE",
        "NAME <<",
    ):
        assert option in doc, option
    assert "--decimals float|decimal|arrow" in coqlkit.notebook.CELL_USAGE


def test_a_result_only_shown_reads_only_the_rows_shown(
    ip: InteractiveShell, conn: coqlkit.Connection
) -> None:
    assert conn.sandbox is not None
    log = RequestLog(conn.sandbox)
    conn.fields("Leads")
    log.mark()
    view, _ = run(lambda: ip.run_line_magic("coql", "select Last_Name, Email from Leads"))
    assert isinstance(view, ResultView)
    assert view.table.num_rows == 10 and not view.complete and view.total == RECORDS
    coql = [e["coql"] for e in log.coql()]
    assert len(coql) == 2 and coql[0].startswith("select COUNT(id) from Leads")
    assert coql[1].endswith("limit 10")  # one call of the rows shown, not 3,000 rows
    assert re.fullmatch(r"10 of 3,000 rows · 2 calls · 2 credits · \d+\.\d\d s", view.summary)
    whole = conn.query("select Last_Name, Email from Leads").to_arrow()
    assert re.search(
        r" \(only the rows shown were read: `%coql NAME << select \.\.\.` reads them all, about \d credits\)$",
        repr(view),
    )
    assert "<code>%coql NAME &lt;&lt; select ...</code> reads them all" in view._repr_html_()
    assert view.table.equals(whole.slice(0, 10))
    with pytest.warns(PartialResultWarning):
        assert len(view.to_pandas()) == 10  # the view's own rows
    # A LIMIT past the rows shown is capped too; a query of aggregates, or a cheap one, is not.
    view = ip.run_line_magic("coql", "select Last_Name from Leads order by Last_Name limit 1000 offset 5")
    assert view.table.num_rows == 10 and view.total == 1000 and view.bound == "at most"  # no probe
    assert view.summary.startswith("10 of up to 1,000 rows · 1 call · 1 credit · ")
    assert (
        view.table.column("Last_Name").to_pylist()
        == conn.query("select Last_Name from Leads order by Last_Name limit 10 offset 5")
        .to_arrow()
        .column("Last_Name")
        .to_pylist()
    )
    grouped = ip.run_line_magic("coql", "select Lead_Source, COUNT(id) from Leads group by Lead_Source")
    assert grouped.complete and grouped.table.num_rows > 10
    assert ip.run_line_magic("coql", "select Last_Name from Leads limit 25").complete


def test_the_frames_of_a_view_of_the_rows_shown_say_so(
    ip: InteractiveShell, conn: coqlkit.Connection
) -> None:
    assert conn.sandbox is not None
    query = "select Deal_Name, Stage, Amount from Deals"
    view, _ = run(lambda: ip.run_line_magic("coql", query))
    assert isinstance(view, ResultView) and not view.complete and view.total == 900
    for convert in (view.to_pandas, view.to_polars, view.to_arrow):
        with pytest.warns(PartialResultWarning) as caught:
            held = convert()
        assert len(held) == 10
        [warning] = caught.list
        assert warning.filename == __file__  # at the caller's line
        # `NAME <<` plans the query again: its COUNT probe too.
        assert view.again_credits == 1 and view.whole_credits is not None
        assert str(warning.message) == (
            "this view read only the 10 rows it shows of 900, and converts those alone: "
            f"`%coql NAME << select ...` reads every row into NAME, about {view.whole_credits + 1} credits "
            f"(or view.result.to_pandas(), about {view.whole_credits} credits)"
        )
    # view.result is the query's result, not the rows shown again: it reads every row.
    log = RequestLog(conn.sandbox)
    assert view.result.text == query
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = view.result.to_pandas()
    assert len(frame) == 900
    assert view.whole_credits == sum(e["credits"] for e in log.coql())
    # A view that read its whole result converts it without a word.
    whole = ip.run_line_magic("coql", "select Deal_Name, Stage from Deals limit 25")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(whole.to_pandas()) == len(whole.to_polars()) == whole.to_arrow().num_rows == 25


def test_names_that_stand_for_several_records_are_pointed_out(ip: InteractiveShell) -> None:
    query = (
        "select Deal_Name, Account_Name, Amount from Deals\n"
        "where Account_Name.Account_Name in ('Frontier Hospitality', 'Echo Data')"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # shown as text, above the summary: no Python warning
        _, out = cell(ip, "--no-progress deals <<", query)
        _, flat = cell(ip, "--lookups flatten --no-progress flat <<", query)
    lines = out.stdout.splitlines()
    assert lines[0] == (
        "warning: Account_Name: 2 names each stand for more than one record (e.g. 'Echo Data': "
        "2 records), which a group-by on the names merges; --lookups flatten keeps each record's id "
        "(Account_Name.id)"
    )
    assert lines[1].startswith("deals = 11 rows") and len(lines) == 2
    assert ip.user_ns["deals"]["Account_Name"].nunique() == 2
    assert ip.user_ns["flat"]["Account_Name.id"].nunique() == 4
    assert flat.stdout.startswith("flat = 11 rows")
    # The view converts with the Python API's warning.
    view = ip.run_line_magic("coql", query.replace("\n", " "))
    with pytest.warns(AmbiguousLookupWarning, match='lookups="flatten"') as caught:
        view.to_pandas()
    assert caught.list[0].filename == __file__


def test_the_line_form_assigns_with_name(ip: InteractiveShell) -> None:
    value, out = run(lambda: ip.run_line_magic("coql", "deals << select Deal_Name, Stage from Deals limit 3"))
    assert value is None and out.outputs == []
    assert re.fullmatch(r"deals = 3 rows · 1 call · 1 credit · \d+\.\d\d s\n", out.stdout)
    assert isinstance(ip.user_ns["deals"], pd.DataFrame) and len(ip.user_ns["deals"]) == 3
    run(lambda: ip.run_line_magic("coql", "--arrow table2 << select Deal_Name from Deals limit 2"))
    assert isinstance(ip.user_ns["table2"], pa.Table)
    # `<<` inside the query's text is the query's.
    view = ip.run_line_magic("coql", "select COUNT(id) from Leads where Last_Name = 'a << b'")
    assert view.table.column(0).to_pylist() == [0]


def test_a_name_without_a_space_before_the_arrows(ip: InteractiveShell) -> None:
    cell(ip, "--no-progress leads<<", "select Last_Name from Leads limit 4")
    assert len(ip.user_ns["leads"]) == 4


def test_the_view_converts_its_rows(ip: InteractiveShell) -> None:
    view = ip.run_line_magic("coql", "select Deal_Name, Stage, Amount, Closing_Date from Deals limit 3")
    assert view.to_arrow() is view.table
    frame = view.to_pandas(decimals="float")
    assert len(frame) == 3 and frame["Amount"].dtype == "float64"
    assert frame["Stage"].cat.categories[0] == "Qualification"  # the picklist's order
    assert pd.api.types.is_datetime64_dtype(frame["Closing_Date"].dtype)
    assert view.to_polars().height == 3


def test_assigned_frames_take_lookups_and_a_time_zone(ip: InteractiveShell) -> None:
    cell(ip, "--no-progress named <<", "select Deal_Name, Owner from Deals order by id limit 5")
    cell(
        ip,
        "--lookups flatten --no-progress flat <<",
        "select Deal_Name, Owner from Deals order by id limit 5",
    )
    cell(
        ip,
        "--lookups struct --no-progress dicts <<",
        "select Deal_Name, Owner from Deals order by id limit 5",
    )
    named, flat, dicts = ip.user_ns["named"], ip.user_ns["flat"], ip.user_ns["dicts"]
    assert named["Owner"].tolist() == flat["Owner.name"].tolist() == [d["name"] for d in dicts["Owner"]]
    assert flat["Owner.id"].tolist() == [d["id"] for d in dicts["Owner"]]
    cell(ip, "--tz UTC --no-progress utc <<", "select Created_Time from Leads order by id limit 3")
    cell(ip, "--no-progress local <<", "select Created_Time from Leads order by id limit 3")
    utc, local = ip.user_ns["utc"]["Created_Time"], ip.user_ns["local"]["Created_Time"]
    assert str(utc.dt.tz) == "UTC" and str(local.dt.tz) == "America/Los_Angeles"
    assert (utc == local).all()  # the same instants


# ---- warnings --------------------------------------------------------------------------------


def test_a_warning_shows_above_the_result_and_the_query_runs(ip: InteractiveShell) -> None:
    query = "select COUNT(id) from Deals where Stage = 'Closed Wonn'"
    with warnings.catch_warnings(record=True) as issued:
        warnings.simplefilter("always")
        view, out = run(lambda: ip.run_line_magic("coql", query))
    assert issued == []  # shown once, as text: no Python warning as well
    assert out.stdout == (
        "1:43: warning[INVALID_QUERY]: 'Closed Wonn' is not a value of the picklist Stage\n"
        f"  {query}\n"
        "  " + " " * 42 + "^" * 13 + "\n"
        "  hint: closest values: 'Closed Won', 'Closed Lost'\n"
    )
    assert view.table.column(0).to_pylist() == [0]
    assert view.result.stats.notes  # kept with the result
    # In a cell, the line numbers are the cell's; with NAME << the summary follows.
    _, out = cell(ip, "--no-progress none <<", "select Deal_Name\nfrom Deals\nwhere Stage = 'Closed Wonn'")
    assert out.stdout.startswith("3:15: warning[INVALID_QUERY]: 'Closed Wonn' is not a value")
    assert out.stdout.splitlines()[-1].startswith("none = 0 rows")
    _, out = cell(ip, "--explain", query)
    assert out.stdout.startswith("1:43: warning[INVALID_QUERY]") and "\nPlan: " in out.stdout


def test_infos_are_not_shown(ip: InteractiveShell) -> None:
    _, out = cell(ip, "--no-progress many <<", "select Last_Name from Leads limit 2500")  # an info: paged
    assert out.stdout.startswith("many = 2,500 rows")


# ---- credits: the metadata a query fetched, a budget ------------------------------------------


def test_the_summary_counts_the_metadata_apart(fresh: Callable[[str], CoqlMagics]) -> None:
    magics_ = fresh("")
    assert magics_.conn is not None
    before = magics_.conn.credits_used
    view = magics_.coql("select Deal_Name from Deals limit 5")  # Deals' fields fetched first
    spent = magics_.conn.credits_used - before
    assert view.credits == 1 and view.metadata_credits == spent - 1 > 0
    assert f"1 credit (+{spent - 1} for metadata)" in view.summary
    again = magics_.coql("select Deal_Name from Deals limit 5")
    assert "metadata" not in again.summary


def test_a_credit_budget_refuses_a_query_before_its_pages(fresh: Callable[[str], CoqlMagics]) -> None:
    magics_ = fresh("--max-credits 3")
    conn = magics_.conn
    assert conn is not None and magics_.max_credits == 3
    conn.fields("Leads")
    view = magics_.coql("select Last_Name from Leads")  # shown: the probe and 10 rows
    assert view.credits == 2
    before = conn.credits_used
    with pytest.raises(MagicError, match="the budget is 3"):
        magics_.coql("all <<", "select Last_Name from Leads")  # 3,000 rows: 7 credits
    assert conn.credits_used - before == 1  # the COUNT probe only
    with pytest.raises(MagicError, match="the budget is 3"):
        magics_.coql("--analyze", "select Last_Name from Leads")
    magics_.coql("--explain", "select Last_Name from Leads")  # a plan is shown whatever it costs
    tight = fresh("--max-credits 1")
    assert tight.conn is not None
    tight.conn.fields("Leads")
    with pytest.raises(MagicError, match="would cost 2 credits"):
        tight.coql("select Last_Name from Leads where Last_Name = 'Chavez'")  # probe + one call


def test_a_credit_budget_counts_a_long_subquery_read_to_show_a_query(
    fresh: Callable[[str], CoqlMagics],
) -> None:
    magics_ = fresh("--max-credits 3")
    conn = magics_.conn
    assert conn is not None
    conn.fields("Leads")
    before = conn.credits_used
    # The subquery has 3,000 records (Zoho would use 100): reading its ids alone takes 5
    # credits, so even a display of 10 rows is refused, after the subquery's COUNT only.
    with pytest.raises(MagicError, match="the budget is 3"):
        magics_.coql("select Last_Name from Leads where id in (select id from Leads where id is not null)")
    assert conn.credits_used - before == 1


def test_connect_takes_a_time_zone(fresh: Callable[[str], CoqlMagics], shell: InteractiveShell) -> None:
    magics_ = fresh("--tz Asia/Kolkata")
    view = magics_.coql("select Created_Time from Leads limit 1")
    assert str(view.table.schema.field("Created_Time").type.tz) == "Asia/Kolkata"


# ---- :name parameters --------------------------------------------------------------------------


def test_parameters_bind_notebook_variables_by_type(ip: InteractiveShell, conn: coqlkit.Connection) -> None:
    ip.user_ns.update(since=dt.date(2025, 1, 1), stages=["Closed Won", "Closed Lost"])
    view = ip.run_cell_magic(
        "coql", "", "select Stage, Closing_Date from Deals\nwhere Closing_Date >= :since and Stage in :stages"
    )
    rows = view.table.to_pylist()  # the rows shown: the display reads no more
    assert rows and all(r["Closing_Date"] >= dt.date(2025, 1, 1) for r in rows)
    assert {r["Stage"] for r in rows} <= {"Closed Won", "Closed Lost"}
    literal = "Closing_Date >= '2025-01-01' and Stage in ('Closed Won', 'Closed Lost')"
    assert view.total == conn.query(f"select Stage from Deals where {literal}").to_arrow().num_rows


def test_a_string_parameter_keeps_its_quote(ip: InteractiveShell) -> None:
    ip.user_ns["name"] = "O'Brien"
    view = ip.run_line_magic("coql", "select Last_Name from Leads where Last_Name = :name")
    names = view.table.column("Last_Name").to_pylist()
    assert names and set(names) == {"O'Brien"}


def test_the_line_magic_pastes_no_notebook_variables_into_the_query(ip: InteractiveShell) -> None:
    # IPython expands {var} and $var in a line magic unless told not to: the text of a
    # variable would become part of the query. Only :name parameters take values.
    ip.user_ns.update(cond="x' or Last_Name like '%", name="O'Brien")
    view = ip.run_line_magic("coql", "select COUNT(id) from Leads where Last_Name = '{cond}'")
    assert view.table.column(0).to_pylist() == [0]  # the literal text '{cond}', no injection
    view = ip.run_line_magic("coql", "select COUNT(id) from Leads where Last_Name = '$name'")
    assert view.table.column(0).to_pylist() == [0]


def test_numpy_and_pandas_values_bind_as_python_values(ip: InteractiveShell) -> None:
    ip.user_ns.update(floor=np.int64(250), sources=pd.Series(["Chat", "Partner"]))
    view = ip.run_line_magic(
        "coql",
        "select No_of_Employees, Lead_Source from Leads where No_of_Employees > :floor and Lead_Source in :sources",
    )
    rows = view.table.to_pylist()
    assert rows and all(r["No_of_Employees"] > 250 and r["Lead_Source"] in ("Chat", "Partner") for r in rows)


def test_limit_takes_a_notebook_variable(ip: InteractiveShell) -> None:
    ip.user_ns["top"] = np.int64(4)  # numpy's integers count as ints
    cell(ip, "--no-progress first <<", "select Last_Name from Leads order by id limit :top")
    assert len(ip.user_ns["first"]) == 4
    ip.user_ns["top"] = 2.5
    _, out = cell(ip, "", "select Last_Name from Leads limit :top")
    text = error_of(out)
    assert text.startswith(
        "1:35: error[INVALID_PARAMETER]: :top is 2.5; LIMIT and OFFSET take a whole number of rows"
    )
    assert text.splitlines()[2] == "                                    ^^^^"


def test_a_missing_variable_is_pointed_at(ip: InteractiveShell, conn: coqlkit.Connection) -> None:
    ip.user_ns.pop("nowhere", None)
    credits = conn.credits_used
    value, out = cell(ip, "", "select Last_Name from Leads\nwhere Lead_Status = :nowhere")
    assert value is None
    assert error_of(out) == (
        "2:21: error[INVALID_PARAMETER]: no notebook variable for the parameter :nowhere\n"
        "  where Lead_Status = :nowhere\n"
        "                      ^^^^^^^^\n"
        "  hint: set it in a cell first: nowhere = ..."
    )
    assert conn.credits_used == credits  # nothing was sent


def test_a_value_without_a_coql_form_is_pointed_at(ip: InteractiveShell) -> None:
    ip.user_ns["when"] = dt.datetime(2025, 1, 1, 9, 30)  # no time zone (a naive midnight would be the day)
    _, out = cell(ip, "", "select Last_Name from Leads where Created_Time > :when")
    text = error_of(out)
    assert text.startswith("1:50: error[INVALID_PARAMETER]: :when is a datetime without a time zone")
    assert text.splitlines()[1:3] == [
        "  select Last_Name from Leads where Created_Time > :when",
        "                                                   ^^^^^",
    ]


# ---- EXPLAIN ---------------------------------------------------------------------------------


def test_explain_prints_the_plan_without_reading(ip: InteractiveShell) -> None:
    ip.user_ns["status"] = "Contacted"
    value, out = cell(ip, "--explain", "select Last_Name from Leads where Lead_Status = :status")
    assert value is None
    assert out.stdout.startswith("Plan: ")
    assert "COUNT probe" in out.stdout and "where Lead_Status = 'Contacted'" in out.stdout
    assert "actual:" not in out.stdout and "Actual:" not in out.stdout


def test_analyze_runs_the_query_and_reports_what_it_did(ip: InteractiveShell) -> None:
    _, out = cell(ip, "--analyze", "select Last_Name from Leads")
    assert out.stdout.startswith("Plan: 3,000 rows")
    assert re.search(r"^Actual: 3,000 rows · 3 calls · \d+ credits", out.stdout, re.MULTILINE)


def test_a_cell_run_again_plans_from_the_count_it_found_and_sends_no_probe(ip: InteractiveShell) -> None:
    """The same read twice: 3 calls (the COUNT probe and two pages), then 2; EXPLAIN says so."""
    summaries = []
    for _ in range(2):
        _, out = cell(ip, "everyone <<", "select Last_Name, Email from Leads")
        summaries.append(out.outputs[-1].data["text/plain"])
    assert re.fullmatch(r"everyone = 3,000 rows · 3 calls · \d+ credits · \d+\.\d\d s", summaries[0])
    assert re.fullmatch(r"everyone = 3,000 rows · 2 calls · \d+ credits · \d+\.\d\d s", summaries[1])
    _, out = cell(ip, "--explain", "select Last_Name, Email from Leads")
    assert "COUNT remembered · no call · 3,000 records matched" in out.stdout
    assert out.stdout.startswith("Plan: 3,000 rows · 2 calls")


# ---- the progress bar ------------------------------------------------------------------------


def progress_outputs(out: CapturedIO) -> list[Any]:
    return [o for o in out.outputs if "coqlkit-progress" in o.data.get("text/html", "")]


def test_a_read_of_several_pages_shows_a_progress_bar_updated_in_place(ip: InteractiveShell) -> None:
    _, out = cell(ip, "everyone <<", "select Last_Name, Email from Leads")
    bars = progress_outputs(out)
    created = [o for o in bars if not o.update]
    updates = [o for o in bars if o.update]
    assert len(created) == 1 and updates, bars
    display_id = created[0].transient["display_id"]
    assert all(o.transient["display_id"] == display_id for o in updates)
    assert set(created[0].data) == {"text/html"}  # nothing for a terminal, which cannot update in place
    final = updates[-1].data["text/html"]
    assert '<progress value="1.000" max="1">' in final
    assert re.search(r"3,000 of 3,000 rows · \d+ credits", final)
    assert len(ip.user_ns["everyone"]) == 3_000


def test_the_progress_bar_becomes_the_summary_when_the_read_ends(ip: InteractiveShell) -> None:
    _, out = cell(ip, "everyone <<", "select Last_Name, Email from Leads")
    bars = progress_outputs(out)
    last = out.outputs[-1]
    assert last.update and last.transient["display_id"] == bars[0].transient["display_id"]
    # No empty output left in the saved notebook: the bar's output is the summary line, as
    # text for a terminal (which showed no bar) and as HTML.
    summary = last.data["text/plain"]
    assert re.fullmatch(r"everyone = 3,000 rows · 3 calls · \d+ credits · \d+\.\d\d s", summary)
    assert last.data["text/html"] == f'<pre class="coqlkit-summary">{summary}</pre>'
    assert out.stdout == ""  # not printed a second time
    # The bar counts what the summary counts: the query's own credits.
    final = re.search(r"(\d+) credits</div>", bars[-1].data["text/html"])
    counted = re.search(r"· (\d+) credits", summary)
    assert final and counted and final.group(1) == counted.group(1)


@pytest.mark.parametrize(
    ("line", "query"),
    [
        ("--no-progress quiet <<", "select Last_Name from Leads"),  # asked for no bar
        ("quiet <<", "select Last_Name from Leads limit 10"),  # one page: no bar
    ],
)
def test_no_progress_bar(ip: InteractiveShell, line: str, query: str) -> None:
    _, out = cell(ip, line, query)
    assert progress_outputs(out) == []
    assert out.stdout.startswith("quiet = ")


# ---- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "%%coql\nselect Last_Name, Emial from Leads",
            "1:19: error[INVALID_QUERY]: Leads has no field Emial\n"
            "  select Last_Name, Emial from Leads\n"
            "                    ^^^^^\n"
            "  hint: did you mean Email?",
        ),
        ("%coql select Last_Name from Leads where", "1:34: error[SYNTAX_ERROR]: unexpected end of query"),
    ],
)
def test_a_wrong_query_fails_its_cell_showing_the_caret_diagnostic_only(
    ip: InteractiveShell, source: str, expected: str
) -> None:
    with capture_output() as out:
        result = ip.run_cell(source)
    # The cell fails, so that "Run All" (and nbclient, papermill) stops at it...
    assert not result.success and isinstance(result.error_in_exec, MagicError)
    # ...and IPython shows the diagnostic alone, no traceback.
    assert "Traceback" not in out.stdout + out.stderr
    text = out.stdout.strip()
    assert text.startswith(expected)
    assert "^" in text
    assert text == str(result.error_in_exec)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--bogus", "%%coql: unrecognized arguments: --bogus\nusage: %%coql "),
        ("leads", "%%coql: unexpected 'leads'\nusage: %%coql "),
        ("<<", "%%coql: `<<` needs a variable name before it"),
        ("1x <<", "%%coql: '1x' is not a variable name"),
        ("'open", "%%coql: No closing quotation"),
        ("--explain plan <<", "%%coql: --explain and --analyze print a plan: no `plan <<`"),
        ("--arrow --floats t <<", "%%coql: --floats is for a DataFrame, not --arrow\nusage: %%coql "),
        ("--arrow --decimals decimal t <<", "%%coql: --decimals is for a DataFrame, not --arrow\n"),
        (
            "--floats --decimals decimal t <<",
            "%%coql: --floats is --decimals float, not --decimals decimal\n",
        ),
        ("--decimals exact t <<", "%%coql: argument --decimals: invalid choice: 'exact'"),
        (
            "--arrow --lookups flatten t <<",
            "%%coql: --lookups is for a DataFrame, not --arrow\nusage: %%coql ",
        ),
        ("--lookups nope t <<", "%%coql: argument --lookups: invalid choice: 'nope'"),
        ("leads << --floats", "%%coql: options go before `NAME <<`: write `%%coql --floats leads <<`\n"),
        ("leads << --tz UTC", "%%coql: options go before `NAME <<`: write `%%coql --tz UTC leads <<`\n"),
        ("leads << select", "%%coql: `<<` ends the magic's line; the query goes in the cell below it\n"),
        ("--tz UTC leads", "%%coql: unexpected 'leads'\nusage: %%coql "),
    ],
)
def test_a_bad_magic_line_shows_its_usage(ip: InteractiveShell, line: str, message: str) -> None:
    _, out = cell(ip, line, "select Last_Name from Leads")
    text = error_of(out)
    assert text.startswith(message)
    assert out.stderr == ""
    if line == "leads":
        assert text.endswith("hint: to assign the result, write `leads <<`")


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("c.query('select Last_Name, Emial from Leads')", "ValidationError"),
        ("c.query('select Last_Name from Leads where')", "CoqlSyntaxError"),
        ("c.query('select Last_Name from Leads where Email = :email')", "ParameterError"),
    ],
)
def test_the_python_apis_input_errors_show_alone_too(
    ip: InteractiveShell, conn: coqlkit.Connection, source: str, kind: str
) -> None:
    """Not a traceback of 60 lines through the event loop's thread: the diagnostic."""
    ip.user_ns["c"] = conn
    with capture_output() as out:
        result = ip.run_cell(source)
    assert not result.success and type(result.error_in_exec).__name__ == kind
    assert "Traceback" not in out.stdout + out.stderr
    assert out.stdout.strip() == f"{kind}: {result.error_in_exec}"


def test_an_interrupted_read_says_what_it_spent(ip: InteractiveShell, conn: coqlkit.Connection) -> None:
    """Ctrl-C (the kernel interrupted) midway through `NAME <<`: one line, no traceback."""
    assert conn.sandbox is not None and conn.sandbox.state is not None
    state = conn.sandbox.state
    conn.fields("Leads")
    ip.user_ns.pop("slow", None)
    healthy = state.config
    credits, sends = conn.credits_used, conn.aio.client.sends
    charged = state.credits_used
    state.config = dataclasses.replace(healthy, latency_ms=300)  # each call takes 0.3 s
    try:
        # The COUNT probe reached the sandbox whole: it charged it, and answers 0.3 s later.
        # (A call stopped before its request was written whole never reached Zoho and is
        # not counted; the sandbox's in-flight count is no sign: it counts a call from its
        # headers, and a Ctrl-C between them and the body was "0 credits" under load.)
        with ctrl_c_when(lambda: state.credits_used > charged) as sent, capture_output() as out:
            result = ip.run_cell("%coql slow << select Last_Name, Email from Leads")
    finally:
        state.config = healthy
    assert sent.is_set()
    assert not result.success and isinstance(result.error_in_exec, Interrupted)
    assert isinstance(result.error_in_exec, KeyboardInterrupt)  # still one, for code that catches it
    assert "Traceback" not in out.stdout + out.stderr
    spent = conn.credits_used - credits
    calls = conn.aio.client.sends - sends
    assert spent >= 1 and calls >= 1
    assert out.stdout.strip() == (
        f"interrupted: spent {spent} credit{'s' if spent > 1 else ''} "
        f"({calls} call{'s' if calls > 1 else ''}); slow was not assigned"
    )
    assert "slow" not in ip.user_ns
    assert conn.query("select Last_Name from Leads limit 2").to_arrow().num_rows == 2  # still usable


def test_an_empty_line_magic_asks_for_a_query(ip: InteractiveShell) -> None:
    _, out = run(lambda: ip.run_line_magic("coql", "  "))
    assert error_of(out).startswith("%coql: no query")


def test_errors_read_as_plain_text_in_a_terminal(ip: InteractiveShell) -> None:
    _, out = run(lambda: ip.run_line_magic("coql", "select Nope from Leads"))
    text = error_of(out)
    assert text.startswith("1:8: error[INVALID_QUERY]: Leads has no field Nope")
    assert "<" not in text  # the text/plain form is the diagnostic itself, not an object's repr


def test_connect_with_count_ttl_zero_counts_every_cell(fresh: Callable[[str], CoqlMagics]) -> None:
    magics_ = fresh("--sandbox --records 3000 --count-ttl 0")
    assert magics_.conn is not None
    plans = [magics_.conn.query("select Last_Name from Leads").plan for _ in range(2)]
    assert all(p.probe is not None and p.probe.age is None for p in plans)
