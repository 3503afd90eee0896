"""The magics after review J (an analyst in Jupyter): ``:name`` in a function binds the
function's variable, a display whose first page came back short is the whole result, a
count remembered from an earlier cell is said as such, lost answers are not metadata, a
read that fails midway says what it spent, the cost quoted for ``NAME <<`` is what it
spends, and a read's count check is printed above the summary.

Against sandboxes of 3,000 leads, in an in-process IPython shell (see test_magics.py,
whose fixtures these tests share).
"""

from __future__ import annotations

import dataclasses
import re
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import coqlkit
from coqlkit.notebook import CoqlMagics, MagicError, ResultView
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import RetryPolicy
from tests.api._support import RequestLog
from tests.notebooks import test_magics as base
from tests.notebooks.test_magics import RECORDS, error_of, run

# test_magics.py's fixtures, shared: a module's fixtures are its attributes.
cache_home = base.cache_home
_private_cache = base._private_cache
shell = base.shell
connected = base.connected
ip = base.ip
fresh = base.fresh
conn = base.conn

STAGES = ("Qualification", "Closed Lost", "Closed Won")


def counted(conn: coqlkit.Connection, where: str, module: str = "Deals") -> int:
    table = conn.query(f"select COUNT(id) as n from {module} where {where}").to_arrow()
    return int(table.column("n")[0].as_py())


# ---- finding 1: `%coql` in a function binds the function's variables --------------------------


def test_a_line_magic_in_a_function_binds_its_argument_not_the_notebook_variable(
    ip: InteractiveShell, conn: coqlkit.Connection
) -> None:
    """A global `stage` exists (the query tried at top level first): each call still counts
    its own stage, not the global's three times over."""
    expected = {s: counted(conn, f"Stage = '{s}'") for s in STAGES}
    assert len(set(expected.values())) == len(STAGES)  # different figures, or the test proves nothing
    with capture_output():
        result = ip.run_cell(
            'stage = "Closed Won"\n'
            "def count_stage(stage):\n"
            "    v = %coql select COUNT(id) as n from Deals where Stage = :stage\n"
            '    return v.table.column("n")[0].as_py()\n'
            f"_r10jf_counts = {{s: count_stage(s) for s in {STAGES!r}}}\n"
        )
    result.raise_error()
    assert ip.user_ns["_r10jf_counts"] == expected
    # The notebook's variable for a name the function does not have.
    with capture_output():
        result = ip.run_cell(
            "def count_above(stage):\n"
            "    v = %coql select COUNT(id) as n from Deals where Stage = :stage and Amount > :floor\n"
            "    return v\n"
            "floor = 100000\n"
            '_r10jf_view = count_above("Closed Lost")\n'
        )
    result.raise_error()
    assert ip.user_ns["_r10jf_view"].table.column("n")[0].as_py() == counted(
        conn, "Stage = 'Closed Lost' and Amount > 100000"
    )


def test_a_parameter_missing_in_a_function_says_where_it_was_looked_for(ip: InteractiveShell) -> None:
    ip.user_ns.pop("stge", None)
    with capture_output() as out:
        result = ip.run_cell(
            "def count_stage(stage):\n"
            "    v = %coql select COUNT(id) from Deals where Stage = :stge\n"
            "    return v\n"
            'count_stage("Closed Won")\n'
        )
    error = result.error_in_exec
    assert isinstance(error, MagicError) and "Traceback" not in out.stdout + out.stderr
    assert str(error).startswith(
        "1:43: error[INVALID_PARAMETER]: no variable in the function or the notebook for the parameter :stge"
    )
    assert str(error).endswith(
        "hint: did you mean :stage? (or pass it to the function, or set it in a cell: stge = ...)"
    )


def test_assigning_in_a_function_refuses_a_name_the_function_has(
    ip: InteractiveShell, conn: coqlkit.Connection
) -> None:
    """`v <<` assigns the notebook's v: a function with a local v would go on reading its
    own, unchanged. Refused before anything is spent; a name the function does not set is
    assigned, and the function reads it."""
    assert conn.sandbox is not None
    conn.fields("Deals")
    log = RequestLog(conn.sandbox)
    ip.user_ns.pop("won", None)
    with capture_output() as out:
        result = ip.run_cell(
            "def won_deals(won):\n"
            "    %coql won << select Deal_Name from Deals where Stage = 'Closed Won'\n"
            "    return won\n"
            "won_deals(None)\n"
        )
    error = result.error_in_exec
    assert isinstance(error, MagicError) and "Traceback" not in out.stdout + out.stderr
    assert str(error).startswith(
        "%coql: `won <<` assigns the notebook variable won, but this function has a local won"
    )
    assert log.coql() == [] and "won" not in ip.user_ns
    with capture_output():
        result = ip.run_cell(
            "def won_deals(stage):\n"
            "    %coql won << select Deal_Name from Deals where Stage = :stage\n"
            "    return won\n"
            '_r10jf_won = won_deals("Closed Won")\n'
        )
    result.raise_error()
    assert len(ip.user_ns["_r10jf_won"]) == counted(conn, "Stage = 'Closed Won'")


def test_a_cell_magic_binds_the_notebook_variables(ip: InteractiveShell, conn: coqlkit.Connection) -> None:
    """IPython gives a cell magic the notebook's variables (a cell is never inside a
    function): the notebook's `stage`, whatever the caller's frame holds."""
    ip.user_ns["stage"] = "Closed Lost"
    stage = "Closed Won"  # noqa: F841 - this frame's, which a cell magic does not see
    view = ip.run_cell_magic("coql", "", "select COUNT(id) as n from Deals where Stage = :stage")
    assert view.table.column("n")[0].as_py() == counted(conn, "Stage = 'Closed Lost'")


# ---- finding 2: a first page that came back short is the whole result ---------------------------


@pytest.mark.parametrize(
    ("query", "where"),
    [
        (
            "select Deal_Name, Amount from Deals where Stage = 'Closed Won' and Amount > 100000 "
            "order by Amount desc limit 500",
            "Stage = 'Closed Won' and Amount > 100000",
        ),
        ("select Last_Name from Leads order by id limit 500 offset 2993", None),
    ],
)
def test_a_display_whose_first_page_came_back_short_is_complete(
    ip: InteractiveShell, conn: coqlkit.Connection, query: str, where: str | None
) -> None:
    assert conn.sandbox is not None
    conn.fields("Leads")
    conn.fields("Deals")
    rows = RECORDS - 2993 if where is None else counted(conn, where)
    assert 0 < rows < 10, rows  # fewer than the rows shown: the case at hand
    log = RequestLog(conn.sandbox)
    view, _ = run(lambda: ip.run_line_magic("coql", query))
    assert isinstance(view, ResultView)
    assert len(log.coql()) == 1  # the LIMIT 10 page alone
    assert view.complete and view.total is None and view.table.num_rows == rows
    assert re.fullmatch(rf"{rows} rows · 1 call · 1 credit · \d+\.\d\d s", view.summary)
    assert repr(view).splitlines()[-1] == view.summary  # no "only the rows shown were read"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no PartialResultWarning: these are every row
        assert len(view.to_pandas()) == rows
    assert view.table.equals(conn.query(query).to_arrow())


# ---- finding 3 and 10: a remembered count, shown and checked -------------------------------------


@pytest.fixture
def own_org(shell: InteractiveShell, tmp_path: Path) -> Iterator[tuple[CoqlMagics, Sandbox, Path]]:
    """Magics connected to a sandbox on an org of their own (records can be deleted from it
    between cells, as in Zoho), and its database file."""
    db = tmp_path / "r10jf-org.sqlite3"
    with Sandbox(records=RECORDS, db=str(db), token_limit=0) as running:
        found = CoqlMagics(shell)
        found.conn = coqlkit.connect(sandbox=running)
        try:
            yield found, running, db
        finally:
            found.conn.close()


def delete_leads(db: Path, count: int) -> None:
    with sqlite3.connect(db) as con:
        con.execute(
            f'delete from "Leads" where id in (select id from "Leads" order by id desc limit {count})'
        )


def test_a_display_from_a_remembered_count_says_so_and_a_reads_check_is_printed(
    own_org: tuple[CoqlMagics, Sandbox, Path],
) -> None:
    magics_, sandbox, db = own_org
    assert magics_.conn is not None
    magics_.conn.fields("Leads")
    query = "select Last_Name, Email from Leads"
    with capture_output():
        first = magics_.coql(query)
    assert first.bound == "exact" and first.counted_ago is None and first.total == RECORDS
    assert first.summary.startswith(f"10 of {RECORDS:,} rows · 2 calls · 2 credits ")
    delete_leads(db, 100)  # in Zoho meanwhile: the count remembered is 100 too many now
    log = RequestLog(sandbox)
    with capture_output():
        again = magics_.coql(query)
    assert len(log.coql()) == 1  # no probe: the count remembered stood in
    assert again.total == RECORDS and again.bound == "about" and again.counted_ago is not None
    assert re.match(
        rf"10 of about {RECORDS:,} rows \(count remembered from \d+ s ago\) · 1 call · 1 credit · ",
        again.summary,
    )
    # Read whole, the count is checked: its warning is printed above the summary, every time
    # (not a Python warning shown once per session, pointing into coqlkit).
    for deleted in (1, 2):
        with capture_output() as out, warnings.catch_warnings():
            warnings.simplefilter("error")  # none escapes as a Python warning
            magics_.coql("--no-progress everyone <<", query)
        assert out.stderr == ""
        read = RECORDS - 100 * deleted
        warning, summary = out.stdout.strip().splitlines()
        assert (
            warning.startswith("warning: 100 fewer rows than the count remembered from ")
            and f"({read:,} of {read + 100:,}, as a COUNT after the read finds)" in warning
        )
        assert summary.startswith(f"everyone = {read:,} rows · ")
        assert len(magics_.shell.user_ns["everyone"]) == read  # type: ignore[union-attr]
        delete_leads(db, 100)


# ---- finding 4: lost answers are not metadata -----------------------------------------------------


def test_the_credits_of_lost_answers_are_not_said_to_be_metadata(fresh: Callable[[str], CoqlMagics]) -> None:
    magics_ = fresh("")
    conn = magics_.conn
    assert conn is not None and conn.sandbox is not None and conn.sandbox.state is not None
    conn.fields("Leads")  # no metadata call in the cells below
    conn.aio.client.retry = RetryPolicy(attempts=30, base=0.01, cap=0.02)
    state = conn.sandbox.state
    healthy = state.config
    state.config = dataclasses.replace(healthy, fail_rate=0.5)  # half of them a dropped connection
    seen = []
    try:
        for _ in range(20):  # until a run loses an answer (a dropped connection)
            lost_before, charged_before = conn.unanswered_credits, conn.credits_used - conn.unanswered_credits
            with capture_output() as out:
                magics_.coql("--no-progress leads <<", "select Last_Name from Leads")
            lost = conn.unanswered_credits - lost_before
            charged = conn.credits_used - conn.unanswered_credits - charged_before
            line = out.stdout.strip()
            assert "for metadata" not in line  # none was fetched
            match = re.fullmatch(r"leads = 3,000 rows · \d+ calls · (\d+) credits?(?: \((.*)\))? · .*", line)
            assert match is not None, line
            assert int(match[1]) == charged  # the query's credits: those surely charged
            if lost:
                assert re.fullmatch(rf"\+{lost} maybe charged for \d+ lost answers?", match[2] or ""), line
                seen.append(line)
                break
            assert match[2] is None
    finally:
        state.config = healthy
    assert seen, "no answer was lost in 20 reads at a fail rate of 0.5"


# ---- finding 5: a read that fails midway says what it spent ---------------------------------------


def test_a_read_failing_midway_says_what_it_spent_and_that_nothing_was_assigned(
    fresh: Callable[[str], CoqlMagics],
) -> None:
    magics_ = fresh("")
    conn = magics_.conn
    assert conn is not None and conn.sandbox is not None and conn.sandbox.state is not None
    conn.fields("Leads")
    conn.aio.client.retry = RetryPolicy(attempts=2, base=0.01, cap=0.02)
    state = conn.sandbox.state
    healthy = state.config
    magics_.shell.user_ns.pop("leads", None)  # type: ignore[union-attr]
    charged = state.credits_used
    state.config = dataclasses.replace(healthy, latency_ms=300)
    stop = threading.Event()

    def fail_after_the_probe() -> None:  # every page fails once the probe has reached Zoho
        deadline = time.monotonic() + 60
        while not stop.is_set() and time.monotonic() < deadline:
            if state.credits_used > charged:
                state.config = dataclasses.replace(healthy, fail_rate=1.0)
                return
            time.sleep(0.002)

    watcher = threading.Thread(target=fail_after_the_probe, daemon=True)
    watcher.start()
    try:
        _, out = run(lambda: magics_.coql("leads <<", "select Last_Name from Leads"))
    finally:
        stop.set()
        watcher.join()
        state.config = healthy
    text = error_of(out)
    last = text.splitlines()[-1]
    assert re.fullmatch(
        r"after \d+ calls? · \d+ credits?( \(\+\d+ maybe charged for \d+ lost answers?\))? · "
        rf"\d+ of {RECORDS:,} rows read; leads was not assigned",
        last,
    ), text
    assert "leads" not in magics_.shell.user_ns  # type: ignore[union-attr]


# ---- finding 6: what `NAME <<` costs, quoted ------------------------------------------------------


def test_the_cost_quoted_for_name_is_what_it_spends(ip: InteractiveShell, conn: coqlkit.Connection) -> None:
    """A single page planned again probes again; the display quotes that credit too, and
    what view.result.to_pandas() (the result already planned) costs apart."""
    assert conn.sandbox is not None
    conn.fields("Leads")
    query = "select Last_Name, Company from Leads where Lead_Status = 'Contacted'"
    rows = counted(conn, "Lead_Status = 'Contacted'", "Leads")
    assert 200 < rows <= 2000, rows  # one page, of more than one credit
    view, _ = run(lambda: ip.run_line_magic("coql", query))
    assert isinstance(view, ResultView) and not view.complete and view.whole_credits is not None
    quoted = view.whole_credits + view.again_credits
    assert view.again_credits == 1
    assert repr(view).endswith(
        f"`%coql NAME << select ...` reads them all, about {quoted} credits "
        f"(`view.result.to_pandas()`: about {view.whole_credits} credits))"
    )
    log = RequestLog(conn.sandbox)
    with capture_output():
        ip.run_line_magic("coql", f"junk << {query}")
    assert log.credits() == quoted
    # A read of several pages in id order plans from the count the display found: no probe
    # again, and one figure.
    view, _ = run(lambda: ip.run_line_magic("coql", "select Last_Name from Leads"))
    assert isinstance(view, ResultView) and view.again_credits == 0 and view.whole_credits is not None
    assert repr(view).endswith(f"reads them all, about {view.whole_credits} credits)")
    log.mark()
    with capture_output():
        ip.run_line_magic("coql", "everyone << select Last_Name from Leads")
    assert log.credits() == view.whole_credits
