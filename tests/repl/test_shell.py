"""Every REPL command and statement, through :meth:`Shell.execute`, against a sandbox.

The shell talks HTTP to a real sandbox (a 3,000-Lead demo org on disk, seeded once per
session); its output is captured in StringIO. What the person at the prompt would do is
injected as plain callables: ``confirm`` (the credits question), ``editor`` (``\\e``),
``connect_profile`` (``\\profile``). Nothing of coqlkit is replaced.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import coqlkit
from coqlkit.errors import (
    ApiError,
    AuthError,
    ConfigError,
    CoqlSyntaxError,
    CreditBudgetExceeded,
    DailyLimitReached,
    OrgBusy,
    ParameterError,
    RateLimited,
    TransportError,
    ValidationError,
    ZohoApiError,
)
from coqlkit.repl import output
from coqlkit.repl.commands import REGISTRY, find, help_text
from coqlkit.repl.config import ReplConfig
from coqlkit.repl.shell import MAX_INCLUDE_DEPTH, Shell, exit_code, parse_value
from coqlkit.sandbox.server import Sandbox

RECORDS = 3_000
ROOT = Path(__file__).resolve().parents[2]


# ---- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def org_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo org on disk, shared by the REPL tests (the first sandbox seeds it)."""
    return tmp_path_factory.getbasetemp() / "repl-org.sqlite3"


@pytest.fixture(scope="module")
def sandbox(org_db: Path) -> Iterator[Sandbox]:
    with Sandbox(records=RECORDS, db=str(org_db), token_limit=0) as running:  # many tokens: no limit
        yield running


@pytest.fixture(scope="module")
def conn(sandbox: Sandbox) -> Iterator[coqlkit.Connection]:
    with coqlkit.connect(sandbox=sandbox) as connection:
        yield connection


class Session:
    """A shell whose output is captured: ``session(text)`` runs it and returns the status;
    ``out``/``err`` hold what that call wrote (earlier calls' output is dropped)."""

    def __init__(self, conn: coqlkit.Connection, **options: Any) -> None:
        self.stdout, self.stderr = options.pop("out", None) or io.StringIO(), io.StringIO()
        config = options.pop("config", None) or ReplConfig(pager=False)
        self.shell = Shell(
            conn, config=config, out=self.stdout, err=options.pop("err", None) or self.stderr, **options
        )
        self.out = self.err = ""

    def __call__(self, text: str) -> int:
        for stream in (self.stdout, self.stderr):
            stream.seek(0)
            stream.truncate()
        status = self.shell.execute(text)
        self.out, self.err = self.stdout.getvalue(), self.stderr.getvalue()
        return status


@pytest.fixture
def session(conn: coqlkit.Connection) -> Iterator[Callable[..., Session]]:
    """Shells on the module's connection, its remembered counts forgotten (each test's
    queries probe as on a fresh connection, whichever tests ran before)."""
    conn.aio.counts.forget()
    made: list[Session] = []

    def make(**options: Any) -> Session:
        made.append(Session(options.pop("connection", conn), label="sandbox", **options))
        return made[-1]

    yield make
    for each in made:
        each.shell.close()


@pytest.fixture
def sh(session: Callable[..., Session]) -> Session:
    return session()


@pytest.fixture(scope="module")
def first(conn: coqlkit.Connection) -> list[str]:
    """The Last_Name of the first ten Leads (by id), as the Python API reads them."""
    return list(conn.query("select Last_Name from Leads limit 10").to_arrow().column("Last_Name").to_pylist())


class RequestLog:
    """The CRM calls a sandbox answered from now on."""

    def __init__(self, sandbox: Sandbox) -> None:
        assert sandbox.state is not None
        self.requests = sandbox.state.requests
        self.start = len(self.requests)

    def coql(self) -> list[dict[str, Any]]:
        return [e for e in list(self.requests)[self.start :] if e["path"].endswith("/coql")]

    def calls(self) -> list[dict[str, Any]]:
        return [e for e in list(self.requests)[self.start :] if e["path"].startswith("/crm/")]


def table_rows(text: str) -> list[list[str]]:
    """The data rows of a ``psql``-style table."""
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[1:]]


# ---- \?, \dt, \d, \d+ ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["\\?", ".help", "\\h", ".HELP"])
def test_help_lists_every_command(sh: Session, name: str) -> None:
    assert sh(name) == 0
    assert sh.out.rstrip("\n") == help_text()
    for command in REGISTRY:
        for alias in command.names:
            assert alias in sh.out
        assert command.summary in sh.out


def test_every_handler_exists() -> None:
    for command in REGISTRY:
        assert callable(getattr(Shell, f"cmd_{command.handler}")), command
        assert find(command.names[0]) is command


def test_tables_lists_the_modules(sh: Session, conn: coqlkit.Connection) -> None:
    assert sh("\\dt") == 0
    names = [row[0] for row in table_rows(sh.out)]
    assert names == sorted(m.api_name for m in conn.modules())
    assert {"Leads", "Contacts", "Deals", "Accounts"} <= set(names)
    assert sh.out.rstrip().endswith(f"({len(names)} rows)")
    assert ["Leads", "Leads", "false"] in table_rows(sh.out)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("lead", ["Leads"]),
        ("ORDERS", ["Purchase_Orders", "Sales_Orders"]),
        ("*_orders", ["Purchase_Orders", "Sales_Orders"]),
        ("Lea*", ["Leads"]),
        ("nothing", []),
    ],
)
def test_tables_pattern(sh: Session, pattern: str, expected: list[str]) -> None:
    assert sh(f".tables {pattern}") == 0
    assert [row[0] for row in table_rows(sh.out)] == expected


@pytest.mark.parametrize("name", ["\\d", ".schema"])
def test_describe_a_module(sh: Session, conn: coqlkit.Connection, name: str) -> None:
    assert sh(f"{name} Leads") == 0
    assert "| field " in sh.out and "| filterable" in sh.out and "values" not in sh.out
    rows = {row[0]: row for row in table_rows(sh.out)}
    assert list(rows) == [f.api_name for f in conn.fields("Leads")]
    assert rows["Last_Name"] == ["Last_Name", "Last Name", "text", "", "yes"]
    assert rows["Owner"][2:4] == ["ownerlookup", "Users"]


def test_describe_plus_adds_picklist_values(sh: Session, conn: coqlkit.Connection) -> None:
    """Every value, in a column no wider than ``max_column_width`` (50): the values wrap on
    rows of their own (the column was the whole list, some 240 characters wide)."""
    assert sh("\\d+ Leads") == 0
    values: dict[str, str] = {}
    field = ""
    for row in table_rows(sh.out):
        field = row[0] or field  # a row with no field goes on with the values of the one above
        values[field] = f"{values[field]} {row[5]}" if field in values else row[5]
    statuses = [v.actual for v in conn.catalog(["Leads"]).module("Leads").field("Lead_Status").picklist]
    assert values["Lead_Status"] == ", ".join(statuses) and values["Last_Name"] == ""
    assert len(", ".join(statuses)) > 50
    widths = {len(line.split("|")[6]) for line in sh.out.splitlines() if line.startswith("| ")}
    assert max(widths) <= 50 + 2  # (a space either side)
    # CSV keeps each list whole, on its record's row.
    sh("\\T csv")
    assert sh("\\d+ Leads") == 0
    records = {r["field"]: r for r in csv_records(sh.out)}
    assert records["Lead_Status"]["values"] == ", ".join(statuses) and "" not in records


def test_describe_without_a_module_lists_the_modules(sh: Session) -> None:
    assert sh("\\d") == 0
    assert "Leads" in [row[0] for row in table_rows(sh.out)]


def test_describe_an_unknown_module(sh: Session) -> None:
    assert sh("\\d Leeds") == 1
    assert "no module 'Leeds'" in sh.err and not sh.out


# ---- EXPLAIN ---------------------------------------------------------------------------------------


def test_explain_shows_the_plan_and_runs_nothing(sh: Session, sandbox: Sandbox) -> None:
    log = RequestLog(sandbox)
    assert sh("EXPLAIN select Last_Name from Leads limit 3;") == 0
    assert sh.out.startswith("Plan: up to 3 rows · 1 call · 1 credit")
    assert "select Last_Name from Leads where id is not null limit 3" in sh.out
    assert log.coql() == []  # a plan with a limit needs no COUNT probe


def test_explain_of_a_large_read_spends_only_the_probe(sh: Session, sandbox: Sandbox) -> None:
    log = RequestLog(sandbox)
    assert sh("explain\nselect Last_Name from Leads;") == 0
    assert "COUNT probe" in sh.out and f"{RECORDS:,} rows" in sh.out and "offset pages" in sh.out
    assert [e["coql"] for e in log.coql()] == ["select COUNT(id) from Leads where id is not null"]


def test_explain_analyze_runs_the_query(sh: Session, sandbox: Sandbox) -> None:
    log = RequestLog(sandbox)
    assert sh("explain analyze select Last_Name from Leads where Lead_Status = 'Contacted' limit 3;") == 0
    assert "actual: 1 call, 1 credit, 3 rows" in sh.out
    assert re.search(r"^Actual: 3 rows · 1 call · 1 credit", sh.out, re.M)
    assert len(log.coql()) == 1


def test_a_comment_inside_the_explain_is_read_past(sh: Session, sandbox: Sandbox) -> None:
    """``EXPLAIN /* ... */ ANALYZE`` is an EXPLAIN ANALYZE, as the live check reads it: the
    run took ``EXPLAIN`` alone and parsed ``/* ... */ analyze select ...`` as the query."""
    log = RequestLog(sandbox)
    assert sh("explain /* x */ analyze\n-- the query\nselect Last_Name from Leads limit 2;") == 0, sh.err
    assert "actual: 1 call, 1 credit, 2 rows" in sh.out
    assert len(log.coql()) == 1


@pytest.mark.parametrize("answer", ["n", "Ctrl-D"])
def test_explain_analyze_asks_before_it_spends_as_a_query_does(
    session: Callable[..., Session], sandbox: Sandbox, answer: str
) -> None:
    asked: list[str] = []

    def confirm(question: str) -> bool:
        asked.append(question)
        if answer == "Ctrl-D":
            raise EOFError  # as prompt_toolkit's confirm() says Ctrl-D
        return False

    sh = session(config=ReplConfig(pager=False, confirm_above_credits=4), confirm=confirm)
    log = RequestLog(sandbox)
    assert sh("explain analyze select Last_Name from Leads;") == 0
    assert asked == [
        "This query would spend about 5 credits (2 calls), besides the 1 credit spent counting its records. Run it?"
    ]
    assert sh.err == "not run\n" and sh.out == ""
    assert len(log.coql()) == 1  # the COUNT probe that made the estimate, no page
    # Ctrl-C at the question: the shell's Ctrl-C. Asked again, the plan is made from the
    # count the probe found: no call, nothing spent.
    sh.shell.confirm = lambda question: (_ for _ in ()).throw(KeyboardInterrupt)
    assert sh("explain analyze select Last_Name from Leads;") == 130
    assert sh.err == "cancelled (Ctrl-C)\n" and sh.out == ""
    assert len(log.coql()) == 1
    sh.shell.conn.aio.counts.forget()  # a fresh count: the Ctrl-C says what its probe spent
    assert sh("explain analyze select Last_Name from Leads;") == 130
    assert sh.err == "cancelled (Ctrl-C) · 1 call · 1 credit\n" and sh.out == ""


def test_explain_analyze_shows_the_progress_of_its_read(session: Callable[..., Session]) -> None:
    sh = session(
        config=ReplConfig(pager=False, confirm_above_credits=4), confirm=lambda q: True, progress=True
    )
    assert sh("explain analyze select Last_Name from Leads;") == 0
    assert re.search(r"\r[\d,]+ of 3,000 rows · \d+ credits · [\d.]+ s  \(Ctrl-C stops\)", sh.err)
    assert sh.err.endswith("\r\x1b[K")  # the line wiped once the read is done
    assert re.search(r"^Actual: 3,000 rows · 3 calls · 6 credits · ", sh.out, re.M)
    assert "actual: 2 calls, 5 credits, 3,000 rows" in sh.out


def test_explain_analyze_reads_as_the_python_api_writes_it(sh: Session, conn: coqlkit.Connection) -> None:
    # The shell writes the text itself (it reads the rows for the question and the
    # progress line): the same text as conn.explain(analyze=True), times apart.
    query = "select Last_Name from Leads where Lead_Status = 'Contactd'"
    assert sh(f"explain analyze {query};") == 0
    with pytest.warns(coqlkit.QueryWarning):
        expected = conn.explain(query, analyze=True)

    def untimed(text: str) -> str:
        return re.sub(r"\d+\.\d\d s", "_ s", text).strip()

    assert untimed(sh.out) == untimed(expected)
    assert "Note:" not in sh.out and "warning[INVALID_QUERY]" in sh.err  # said once, before it ran


def test_explain_of_a_wrong_query(sh: Session) -> None:
    assert sh("explain select Emial from Leads;") == 1
    assert "did you mean Email?" in sh.err and not sh.out


# ---- formats: \T, .mode, \x --------------------------------------------------------------------


QUERY = "select Last_Name, No_of_Employees, Owner from Leads limit 2;"


@pytest.fixture(scope="module")
def expected(conn: coqlkit.Connection) -> pa.Table:
    return conn.query(QUERY.rstrip(";")).to_arrow()


@pytest.mark.parametrize("fmt", output.format_names())
def test_every_format(session: Callable[..., Session], expected: pa.Table, fmt: str) -> None:
    sh = session()
    command = "\\T" if len(fmt) % 2 else ".mode"  # both spellings, across the formats
    assert sh(f"{command} {fmt}") == 0
    assert sh.err == f"format: {fmt}\n"
    assert sh(QUERY) == 0
    names = expected.column("Last_Name").to_pylist()
    if fmt in ("csv", "tsv"):
        rows = list(csv.reader(io.StringIO(sh.out), delimiter="," if fmt == "csv" else "\t"))
        assert rows[0] == ["id", "Last_Name", "No_of_Employees", "Owner.name", "Owner.id"]
        assert [r[1] for r in rows[1:]] == names
    elif fmt == "json":
        assert [r["Last_Name"] for r in json.loads(sh.out)] == names
    elif fmt == "jsonl":
        records = [json.loads(line) for line in sh.out.splitlines()]
        assert [r["Last_Name"] for r in records] == names
        assert records[0]["Owner"] == expected.column("Owner")[0].as_py()
    else:
        for name in names:
            assert name in sh.out
        if fmt not in ("vertical",):
            assert "(2 rows)" in sh.out


def test_mode_shows_and_refuses(sh: Session) -> None:
    assert sh("\\T") == 0
    assert sh.err.startswith("format: table (one of: table, vertical, auto, markdown, csv")
    assert sh("\\T md") == 0 and sh.err == "format: markdown\n"
    assert sh("\\T nope") == 2
    assert "unknown format 'nope'" in sh.err
    assert sh.shell.fmt == "markdown"


def test_expanded(session: Callable[..., Session]) -> None:
    sh = session(terminal_size=lambda: (60, 40))
    assert sh("\\x on") == 0 and sh.err == "format: vertical\n"
    assert sh("select Last_Name from Leads limit 2;") == 0
    assert sh.out.startswith("-[ RECORD 1 ]") and "Last_Name | Chavez" in sh.out
    assert sh("\\x off") == 0 and sh.err == "format: table\n"
    assert sh("\\x") == 0 and sh.err == "format: vertical\n"  # toggles
    assert sh("\\x") == 0 and sh.err == "format: table\n"
    assert sh("\\x auto") == 0 and sh.err == "format: auto\n"
    assert sh("select Last_Name from Leads limit 1;") == 0
    assert sh.out.startswith("+--")  # narrow enough: a table
    assert sh("select Last_Name, Email, Company, Lead_Source from Leads limit 1;") == 0
    assert sh.out.startswith("-[ RECORD 1 ]")  # wider than 60 columns: records
    assert sh("\\x sideways") == 2 and "on, off or auto" in sh.err


def test_expanded_off_goes_back_to_the_format_before(sh: Session) -> None:
    """``\\x off`` after ``\\T csv`` and ``\\x``: CSV again (it was always ``table``)."""
    assert sh("\\T csv") == 0
    assert sh("\\x") == 0 and sh.err == "format: vertical\n"
    assert sh("\\x off") == 0 and sh.err == "format: csv\n"
    assert sh("select Last_Name from Leads limit 1;") == 0 and sh.out.startswith("id,Last_Name\n")
    assert sh("\\x auto") == 0 and sh("\\x on") == 0 and sh("\\x") == 0 and sh.err == "format: csv\n"
    assert sh("\\x off") == 0 and sh.err == "format: csv\n"  # already off: as it was
    assert sh("\\T markdown") == 0 and sh("\\x on") == 0 and sh("\\x off") == 0
    assert sh.shell.fmt == "markdown"


# ---- \timing, \credits, \refresh, \profile -------------------------------------------------------


@pytest.mark.parametrize("name", ["\\timing", ".timer"])
def test_timing(sh: Session, name: str) -> None:
    assert sh("select Last_Name from Leads limit 2;") == 0
    assert re.fullmatch(r"2 rows · 1 call · 1 credit · \d+\.\d\d s\n", sh.err)
    assert sh(name) == 0 and sh.err == "timing off\n"
    assert sh("select Last_Name from Leads limit 2;") == 0
    assert sh.err == "" and "(2 rows)" in sh.out
    assert sh(f"{name} on") == 0 and sh.err == "timing on\n"
    assert sh(f"{name} off") == 0 and sh.err == "timing off\n"
    assert sh(f"{name} maybe") == 2


class Terminal(io.StringIO):
    """stdout as a terminal: the pager is used."""

    def isatty(self) -> bool:
        return True


def _seconds(summary: str) -> float:
    found = re.search(r" · (\d+\.\d\d) s$", summary.strip().splitlines()[-1])
    assert found is not None, summary
    return float(found.group(1))


PERSON = 1.2  # how long the person takes to answer, or reads in the pager (seconds)


def _timed(sh: Session, text: str) -> float:
    """Run ``text``: the seconds it took, all told (the person's time included)."""
    started = time.monotonic()
    assert sh(text) == 0
    return time.monotonic() - started


def test_timing_leaves_out_the_question_and_the_pager(
    session: Callable[..., Session], tmp_path: Path
) -> None:
    """The time of the query, not of the person: what took a while to answer, or how long
    the rows were read in the pager, is not in it. Each time said is held against the whole
    run's, less the person's 1.2 s (rounded to 0.01 s): a time that counted the person could
    not fit, however slow a busy machine makes the query (a bound of 1 s failed under load)."""

    def slow_yes(question: str) -> bool:
        time.sleep(PERSON)
        return True

    sh = session(config=ReplConfig(pager=False, confirm_above_credits=4), confirm=slow_yes)
    sh.shell.keep_rows = 10  # what \\export writes is read again, and asked about
    took = _timed(sh, "select Last_Name from Leads;")
    assert (
        re.match(r"3,000 rows · 3 calls · 6 credits · ", sh.err) and _seconds(sh.err) <= took - PERSON + 0.01
    )
    took = _timed(sh, f"\\export {tmp_path / 'all.csv'}")
    assert sh.err.startswith("\\export runs the last query again (more than 10 rows are not kept)")
    assert "wrote 3,000 rows" in sh.err and _seconds(sh.err) <= took - PERSON + 0.01
    # A pager read for a while (1.2 s) before it quits.
    config = ReplConfig(pager=True, pager_command=f"sh -c 'sleep {PERSON}; cat >/dev/null'")
    sh = session(config=config, out=Terminal(), terminal_size=lambda: (80, 10))
    took = _timed(sh, "select Last_Name from Leads limit 40;")
    assert sh.out == "" and re.match(r"40 rows · 1 call · 1 credit · ", sh.err)
    assert _seconds(sh.err) <= took - PERSON + 0.01


def test_credits(sh: Session, conn: coqlkit.Connection) -> None:
    sh("select Last_Name from Leads limit 2;")
    assert sh("\\credits") == 0
    assert sh.err == (
        f"{conn.credits_used:,} credits used this session; Zoho has not said how many are left today\n"
    )


def test_one_credit_is_one_credit(sandbox: Sandbox) -> None:
    """It said "1 credits used this session"."""
    with coqlkit.connect(sandbox=sandbox) as fresh:
        assert fresh.credits_used == 1  # connecting read the org's details: one call, one credit
        sh = Session(fresh, config=ReplConfig(pager=False))
        assert sh("\\credits") == 0
        assert sh.err.startswith("1 credit used this session; ")


def test_credits_left_today(session: Callable[..., Session], budget: Sandbox) -> None:
    assert budget.state is not None
    with coqlkit.connect(sandbox=budget) as other:
        sh = session(connection=other)
        if budget.state.credits_used * 2 < 1_000_000:  # Zoho says it once half the day's are used
            sh("select Last_Name from Leads limit 2;")
            assert sh("\\credits") == 0
            assert sh.err.endswith("; Zoho has not said how many are left today\n")
            with budget.state.lock:  # other integrations spend half the org's day
                budget.state.credits_used += 500_000
        sh("select Last_Name from Leads limit 2;")
        assert sh("\\credits") == 0
        left = budget.config.daily_credits - budget.state.credits_used  # type: ignore[operator]
        assert sh.err == f"{other.credits_used:,} credits used this session; {left:,} left today\n"


def test_credits_left_today_after_zoho_refused_one(session: Callable[..., Session], budget: Sandbox) -> None:
    """Zoho's 429 for the day's credits says fewer are left than the call cost: \\credits
    says so, not that Zoho has not said (the org had not reached half of its day)."""
    assert budget.state is not None
    state = budget.state
    with coqlkit.connect(sandbox=budget) as other:
        sh = session(connection=other)
        assert sh("select Last_Name from Leads limit 1;") == 0  # metadata cached
        state.config = dataclasses.replace(state.config, daily_credits=state.credits_used)
        try:
            assert sh("select Last_Name from Leads limit 1;") == 5
            assert "credits for the day are spent" in sh.err
            assert sh("\\credits") == 0
            assert sh.err.endswith("; at most 0 left today\n"), sh.err  # fewer than the 1 refused
        finally:
            state.config = dataclasses.replace(state.config, daily_credits=1_000_000)


def test_refresh(sh: Session, sandbox: Sandbox) -> None:
    log = RequestLog(sandbox)
    assert sh("\\refresh") == 0
    assert re.fullmatch(
        r"metadata refreshed: \d+ modules \(each module's fields are fetched again when next used, 1 credit\)\n",
        sh.err,
    )
    assert any(e["path"].endswith("/settings/modules") for e in log.calls())
    assert sh.shell.metadata_changed


def test_profile(session: Callable[..., Session], sandbox: Sandbox) -> None:
    opened: list[tuple[str, coqlkit.Connection]] = []

    def connect_profile(name: str) -> coqlkit.Connection:
        opened.append((name, coqlkit.connect(sandbox=sandbox)))
        return opened[-1][1]

    first = coqlkit.connect(sandbox=sandbox)
    sh = session(connection=first, connect_profile=connect_profile)
    assert sh("\\profile") == 0 and sh.err == "connected to sandbox; \\profile NAME switches\n"
    assert sh(".open work") == 0 and sh.err == "connected to profile work\n"
    assert [name for name, _ in opened] == ["work"]
    assert first.closed and sh.shell.conn is opened[0][1] and sh.shell.label == "work"
    assert sh.shell.metadata_changed
    assert sh("select Last_Name from Leads limit 1;") == 0 and "Chavez" in sh.out
    assert sh("\\profile") == 0 and sh.err == "connected to work; \\profile NAME switches\n"
    sh.shell.conn.close()


def test_profile_that_does_not_exist(sh: Session, conn: coqlkit.Connection) -> None:
    assert sh("\\profile nowhere") == 2  # the real connect: no such profile
    assert "no profile 'nowhere'" in sh.err
    assert sh.shell.conn is conn and not conn.closed


# ---- \export ---------------------------------------------------------------------------------------


def read_back(path: Path) -> tuple[list[str], int]:
    """The Last_Name column and the row count of an exported file, whatever its format."""
    kind = path.suffix
    if kind == ".parquet":
        table = pq.read_table(path)
    elif kind == ".arrow":
        with pa.ipc.open_file(str(path)) as reader:
            table = reader.read_all()
    elif kind == ".csv":
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        return [r["Last_Name"] for r in rows], len(rows)
    elif kind == ".json":
        records = json.loads(path.read_text(encoding="utf-8"))
        return [r["Last_Name"] for r in records], len(records)
    else:
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        return [r["Last_Name"] for r in records], len(records)
    return table.column("Last_Name").to_pylist(), table.num_rows


@pytest.mark.parametrize("kind", ["parquet", "csv", "json", "jsonl", "arrow"])
def test_export_every_format(
    session: Callable[..., Session], tmp_path: Path, first: list[str], kind: str
) -> None:
    sh = session(config=ReplConfig(pager=False, row_cap=5))
    assert sh("select Last_Name, Owner, Annual_Revenue from Leads limit 7;") == 0
    assert "(showing 5 of 7 rows" in sh.out
    target = tmp_path / f"leads.{kind}"
    command = "\\export" if kind != "json" else ".export"
    assert sh(f"{command} {target}") == 0
    # The rows the query read, kept: nothing is spent again.
    assert re.fullmatch(
        rf"wrote 7 rows to {re.escape(str(target))} · the rows of the last query, kept · 0 calls · "
        r"0 credits · \d+\.\d\d s\n",
        sh.err,
    )
    names, count = read_back(target)
    assert (names, count) == (first[:7], 7)  # the display's cap never limits an export
    assert sorted(os.listdir(tmp_path)) == [target.name]


def test_export_parquet_keeps_the_types(sh: Session, tmp_path: Path, conn: coqlkit.Connection) -> None:
    query = "select Last_Name, Owner, Annual_Revenue, Lead_Status, Created_Time from Leads limit 50"
    sh(query + ";")
    sh(f"\\export {tmp_path / 'x.parquet'}")
    table = pq.read_table(tmp_path / "x.parquet")
    expected = conn.query(query).to_arrow()
    assert table.to_pylist() == expected.to_pylist()
    for field in expected.schema:  # Parquet keeps every type (a timestamp in ms: it has no seconds)
        kept = table.schema.field(field.name)
        assert kept.metadata == field.metadata
        if pa.types.is_timestamp(field.type):
            assert (kept.type.unit, kept.type.tz) == ("ms", field.type.tz)
        else:
            assert kept.type == field.type, field.name


def test_export_refuses(sh: Session, tmp_path: Path) -> None:
    assert sh(f"\\export {tmp_path / 'x.csv'}") == 2
    assert "no query to export yet" in sh.err
    sh("select Last_Name from Leads limit 1;")
    assert sh("\\export") == 2 and "the format follows the extension" in sh.err
    assert sh(f"\\export {tmp_path / 'x.xlsx'}") == 2 and "cannot tell the format of x.xlsx" in sh.err
    assert os.listdir(tmp_path) == []


@pytest.fixture(scope="module")
def budget(org_db: Path, sandbox: Sandbox) -> Iterator[Sandbox]:
    """A sandbox whose org has a daily credit budget (its tests lower it as they need)."""
    with Sandbox(records=RECORDS, db=str(org_db), daily_credits=1_000_000, token_limit=0) as running:
        yield running


@pytest.mark.parametrize("kind", ["parquet", "csv", "json", "jsonl", "arrow"])
def test_export_is_atomic(
    session: Callable[..., Session], budget: Sandbox, tmp_path: Path, kind: str
) -> None:
    """The org's credits run out: no file, no temporary left, and a file already there
    keeps its old content. (Zoho's figure, on the probe's answer, shows that the pages
    cannot be paid for: the export is refused before them. A write that fails midway is
    tested in tests/test_export_files.py.)"""
    assert budget.state is not None
    state = budget.state
    with coqlkit.connect(sandbox=budget) as other:
        sh = session(connection=other)
        assert sh("select Last_Name from Leads limit 1;") == 0  # metadata cached
        target = tmp_path / f"leads.{kind}"
        kept = tmp_path / f"kept.{kind}"
        kept.write_text("old content")
        sh.shell.keep_rows = 0  # not kept: \export reads them again
        assert sh("select Last_Name from Leads;") == 0
        for path in (target, kept):
            # The COUNT probe (1) and the first page of 2,000 rows (3) could pass; the second cannot.
            state.config = dataclasses.replace(state.config, daily_credits=state.credits_used + 4)
            try:
                assert sh(f"\\export {path}") == 5
            finally:
                state.config = dataclasses.replace(state.config, daily_credits=1_000_000)
            assert "LIMIT_REACHED" in sh.err or "credits for the day are spent" in sh.err
        assert sorted(os.listdir(tmp_path)) == [kept.name]
        assert kept.read_text() == "old content"


# ---- \o, \i --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["\\o", ".output"])
def test_output_to_a_file(sh: Session, tmp_path: Path, name: str) -> None:
    target = tmp_path / "out.txt"
    target.write_text("an earlier file\n")
    assert sh(f"{name} {target}") == 0 and sh.err == f"results go to {target}\n"
    assert target.read_text() == ""  # emptied at once, as psql's \\o does
    assert sh("\\T csv\nselect Last_Name from Leads limit 3;") == 0
    assert sh.out == ""
    rows = "id,Last_Name\n4150868000100000001,Chavez\n4150868000100000002,Cruz\n4150868000100000003,Schmidt\n"
    assert target.read_text() == rows  # a statement's output is there when it ends (tail -f)
    assert sh("\\dt Lead") == 0
    assert sh(name) == 0 and sh.err == "results go to the screen\n"
    assert target.read_text() == rows + "module,label,custom\nLeads,Leads,false\n"
    assert sh("select Last_Name from Leads limit 1;") == 0 and "Chavez" in sh.out


def test_output_to_a_file_is_never_capped(session: Callable[..., Session], tmp_path: Path) -> None:
    sh = session(config=ReplConfig(pager=False, row_cap=2))
    target = tmp_path / "out.txt"
    sh(f"\\o {target}")
    assert sh("select Last_Name from Leads limit 5;\n\\T jsonl\nselect Last_Name from Leads limit 4;") == 0
    sh("\\o")
    text = target.read_text()
    assert "rows)" not in text  # a file holds the rows alone
    jsonl = [line for line in text.splitlines() if line.startswith("{")]
    assert len(table_rows(text[: text.index(jsonl[0])])) == 5
    assert len(jsonl) == 4


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_not_for_display_every_row(session: Callable[..., Session], fmt: str) -> None:
    """``display=False`` (``coqlkit query`` into a pipe): no cap, and data formats hold
    nothing but the data."""
    sh = session(config=ReplConfig(pager=False, row_cap=2, format=fmt), display=False)
    assert sh("select Last_Name from Leads limit 5;") == 0
    if fmt == "csv":
        assert len(csv_records(sh.out)) == 5 and "showing" not in sh.out
    elif fmt == "json":
        assert len(json.loads(sh.out)) == 5
    else:
        assert len(table_rows(sh.out)) == 5 and sh.out.endswith("(5 rows)\n")


def test_output_to_a_file_holds_whole_statements_only(
    session: Callable[..., Session], tmp_path: Path
) -> None:
    """A statement that fails adds nothing, and what was there stays whatever stops the
    shell: a signal on the way out (close(keep=False)) loses no statement that ended."""
    target = tmp_path / "out.csv"
    sh = session(config=ReplConfig(pager=False, format="csv"))
    sh(f"\\o {target}")
    assert sh("select Last_Name from Leads limit 2;\nselect Emial from Leads;") == 1
    assert "no field Emial" in sh.err
    kept = "id,Last_Name\n4150868000100000001,Chavez\n4150868000100000002,Cruz\n"
    assert target.read_text() == kept
    sh.shell.close(keep=False)  # SIGTERM, SIGHUP: the statements that ended are kept
    assert target.read_text() == kept and sorted(os.listdir(tmp_path)) == ["out.csv"]


def test_output_to_a_file_that_cannot_be_opened(session: Callable[..., Session], tmp_path: Path) -> None:
    """At the prompt, output stays on the screen; in a script, the rest (meant for FILE) does
    not run."""
    sh = session(interactive=True)
    assert sh(f"\\o {tmp_path / 'no' / 'such' / 'dir.txt'}") == 2
    assert "No such file or directory" in sh.err and "Traceback" not in sh.err
    assert sh("select Last_Name from Leads limit 1;") == 0 and "Chavez" in sh.out
    # A directory is refused at once (its rows were lost when output went back to the screen)
    assert sh(f"\\o {tmp_path}") == 2 and f"{tmp_path}: Is a directory" in sh.err
    assert sh("select Last_Name from Leads limit 1;") == 0 and "Chavez" in sh.out
    assert os.listdir(tmp_path) == []
    script = session()  # not interactive: coqlkit query -f, piped input
    assert script(f"\\o {tmp_path}\nselect Last_Name from Leads limit 1;") == 2
    assert script.err == f"{tmp_path}: Is a directory; stopping\n" and script.out == ""


def test_output_to_a_device_is_written_as_it_goes(sh: Session) -> None:
    assert sh("\\o /dev/null") == 0 and sh.err == "results go to /dev/null\n"
    assert sh("select Last_Name from Leads limit 1;") == 0 and sh.out == ""
    assert sh("\\o") == 0 and sh.err == "results go to the screen\n"
    assert sh("select Last_Name from Leads limit 1;") == 0 and "Chavez" in sh.out


@pytest.mark.parametrize("name", ["\\i", ".read"])
def test_include_runs_a_file(sh: Session, tmp_path: Path, name: str) -> None:
    script = tmp_path / "q.coql"
    script.write_text(
        "-- two queries and a command\nselect Last_Name from Leads limit 2;\n\\T csv\n"
        "select Last_Name\n  from Leads\n  limit 1;\n"
    )
    assert sh(f"{name} {script}") == 0
    assert table_rows(sh.out) == [["4150868000100000001", "Chavez"], ["4150868000100000002", "Cruz"]]
    assert sh.out.endswith("id,Last_Name\n4150868000100000001,Chavez\n")
    assert "format: csv" in sh.err


def test_a_runaway_string_does_not_swallow_the_command_after_it(sh: Session, tmp_path: Path) -> None:
    """``'O'Brien';`` leaves a string open to the end of the file by the quotes; the
    statement ends at its line's ``;`` (as lint reads it), so the command and the query
    after it run."""
    script = tmp_path / "q.coql"
    script.write_text(
        "select Last_Name from Leads where Last_Name = 'O'Brien';\n\\T csv\nselect Last_Name from Leads limit 1;\n"
    )
    assert sh(f"\\i {script}") == 1
    assert "a quote inside text is doubled: 'O''Brien'" in sh.err and "format: csv" in sh.err
    assert sh.out == "id,Last_Name\n4150868000100000001,Chavez\n"


def test_include_problems(sh: Session, tmp_path: Path) -> None:
    assert sh(f"\\i {tmp_path / 'missing.coql'}") == 2
    assert "cannot read" in sh.err and "No such file" in sh.err
    assert sh("\\i") == 2
    loop = tmp_path / "loop.coql"
    loop.write_text(f"select Last_Name from Leads limit 1;\n\\i {loop}\n")
    assert sh(f"\\i {loop}") == 2  # a file that runs itself stops, it does not recurse forever
    assert sh.out.count("Chavez") == MAX_INCLUDE_DEPTH
    assert "deep; stopping" in sh.err
    bad = tmp_path / "bad.coql"
    bad.write_text("select Emial from Leads;\nselect Last_Name from Leads limit 1;\n")
    assert sh(f"\\i {bad}") == 1  # the worst status; the rest still ran
    assert "did you mean Email?" in sh.err and "Chavez" in sh.out


def test_text_that_is_not_utf8_runs_nothing(
    session: Callable[..., Session], conn: coqlkit.Connection, sandbox: Sandbox, tmp_path: Path
) -> None:
    """A file saved as Windows-1252 (``\\i``), or a line typed in a terminal set to it (a lone
    surrogate, as prompt_toolkit decodes a byte that is not UTF-8): where the first such byte
    is, and nothing of it run (a traceback ended the shell; the surrogate reached the wire)."""
    sh = session(interactive=True)
    sh("select Last_Name from Leads limit 1;")  # the metadata is in
    script = tmp_path / "latin1.sql"
    script.write_bytes("select Last_Name from Leads limit 1;\nselect 'Müller' from Leads;\n".encode("cp1252"))
    credits, log = conn.credits_used, RequestLog(sandbox)
    assert sh(f"\\i {script}") == 2
    assert sh.err.startswith(
        f"{script}:2:10: error: not UTF-8 (byte 0xfc, 'ü' in Windows-1252): save the file"
    )
    assert sh.err.endswith(f"nothing of {script} was run\n") and sh.out == ""
    typed = (
        "select Last_Name from Leads limit 1;\nselect Last_Name from Leads where Last_Name = 'M\udcfcller';"
    )
    assert sh(typed) == 2
    assert sh.err == (
        "2:49: error: not UTF-8 (byte 0xfc, 'ü' in Windows-1252): type it as UTF-8 (is the terminal set to UTF-8?)\n"
        "  select Last_Name from Leads where Last_Name = 'M\ufffdller';\n"
        "                                                  ^\n"
        "nothing of it was run\n"
    )
    assert sh.out == "" and conn.credits_used == credits and log.coql() == []
    assert sh("select Last_Name from Leads limit 1;") == 0 and "(1 row)" in sh.out  # the shell carries on


# ---- \set, \unset ---------------------------------------------------------------------------------


def csv_records(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_set_typed_parameters(sh: Session) -> None:
    sh("\\T csv")
    assert sh("\\set n 3") == 0 and sh.err == ":n = 3\n"
    assert sh("select Last_Name from Leads where No_of_Employees > :n limit 3;") == 0
    assert len(csv_records(sh.out)) == 3
    assert sh("\\set status 'Contacted'") == 0 and sh.err == ":status = 'Contacted'\n"
    assert sh(".parameter revenue 1000000.5") == 0 and sh.err == ":revenue = 1000000.5\n"
    assert sh("\\set sources ('Chat', 'Web Download')") == 0
    assert sh.err == ":sources = ('Chat', 'Web Download')\n"
    assert sh("\\set opted true") == 0 and sh.err == ":opted = 'true'\n"
    assert sh("\\set since 2024-01-15T00:00:00+00:00") == 0
    assert (
        sh(
            "select Last_Name, Lead_Status, Lead_Source, Annual_Revenue, Email_Opt_Out from Leads\n"
            "where Lead_Status = :status and Lead_Source in :sources and Annual_Revenue > :revenue\n"
            "and Email_Opt_Out = :opted limit 3;"
        )
        == 0
    )
    rows = csv_records(sh.out)
    assert 0 < len(rows) <= 3
    for row in rows:
        assert row["Lead_Status"] == "Contacted" and row["Lead_Source"] in ("Chat", "Web Download")
        assert float(row["Annual_Revenue"]) > 1000000.5 and row["Email_Opt_Out"] == "true"
    assert sh("select Last_Name, Created_Time from Leads where Created_Time > :since limit 3;") == 0
    assert len(csv_records(sh.out)) == 3
    assert sh("\\set") == 0
    assert sh.err.splitlines() == [
        ":n = 3",  # as the COQL literals they bind to
        ":opted = 'true'",
        ":revenue = 1000000.5",
        ":since = '2024-01-15T00:00:00+00:00'",
        ":sources = ('Chat', 'Web Download')",
        ":status = 'Contacted'",
    ]


def test_unset(sh: Session) -> None:
    assert sh("\\set") == 0 and sh.err == "no parameters set: \\set NAME VALUE\n"
    sh("\\set n 2")
    assert sh("\\unset :n") == 0
    assert sh("select Last_Name from Leads where No_of_Employees > :n;") == 1
    assert ":n" in sh.err and "Traceback" not in sh.err
    assert sh("\\unset n") == 2 and sh.err == "no parameter :n\n"


@pytest.mark.parametrize("arg", ["n", "1n 3", "my-name 3"])
def test_set_refuses(sh: Session, arg: str) -> None:
    assert sh(f"\\set {arg}") == 2
    assert "\\set NAME VALUE" in sh.err and sh.shell.params == {}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("'O''Brien'", "O'Brien"),
        ('"two words"', "two words"),
        ("42", 42),
        ("-7", -7),
        ("2.50", Decimal("2.50")),
        ("FALSE", False),
        ("2024-05-01", dt.date(2024, 5, 1)),
        (
            "2024-05-01T09:30:00+05:30",
            dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=5.5))),
        ),
        ("(1, 'a, b', 2024-05-01)", [1, "a, b", dt.date(2024, 5, 1)]),
        ("Contacted", "Contacted"),
        ("1e6", 1_000_000),
        ("-2.5E3", -2500),
        ("1.5e-1", Decimal("0.15")),
        ("0", 0),
        ("0.5", Decimal("0.5")),
        ("-0.5", Decimal("-0.5")),
        # Not written as a number is: text, as typed (a zip code, a phone number, an SKU).
        ("02158", "02158"),
        ("0044123", "0044123"),
        ("+14155550100", "+14155550100"),
        ("+5", "+5"),
        ("-0", "-0"),
        ("-0.0", "-0.0"),
        ("007.5", "007.5"),
        (".5", ".5"),
        ("5.", "5."),
        ("1_000", "1_000"),
        ("١٢", "١٢"),  # digits of another script
        ("(02158, 2158)", ["02158", 2158]),
    ],
)
def test_parse_value(text: str, value: Any) -> None:
    assert parse_value(text) == value
    assert type(parse_value(text)) is type(value)


# ---- \e ----------------------------------------------------------------------------------------------


def test_edit_runs_what_was_saved(session: Callable[..., Session]) -> None:
    seen: list[str] = []

    def editor(text: str) -> str:
        seen.append(text)
        return "select Last_Name\nfrom Leads limit 2;\n"

    sh = session(editor=editor)
    assert sh("\\e") == 0 and seen == [""]  # nothing run yet: an empty buffer
    assert table_rows(sh.out)[1][1] == "Cruz"
    assert sh("select Email from Leads limit 1;\n\\e") == 0
    assert seen[-1] == "select Email from Leads limit 1;"
    assert sh.shell.prefill == ""


def test_edit_at_a_prompt_hands_the_text_back(session: Callable[..., Session], tmp_path: Path) -> None:
    answers = iter(["select Last_Name from Leads limit 1;", "select Last_Name\nfrom Leads", "  "])
    seen: list[str] = []

    def editor(text: str) -> str:
        seen.append(text)
        return next(answers)

    sh = session(editor=editor, interactive=True)
    script = tmp_path / "draft.coql"
    script.write_text("select Email from Leads;\n")
    assert sh(f"\\e {script}") == 0 and seen == ["select Email from Leads;\n"]
    assert sh.out == ""  # not run here: the prompt shows it and runs it
    assert (sh.shell.prefill, sh.shell.accept_prefill) == ("select Last_Name from Leads limit 1;", True)
    assert sh(f"\\e {tmp_path / 'new.coql'}") == 0 and seen[-1] == ""
    assert (sh.shell.prefill, sh.shell.accept_prefill) == ("select Last_Name\nfrom Leads", False)
    assert sh("\\e") == 0
    assert (sh.shell.prefill, sh.shell.accept_prefill) == ("", False)


# ---- \q, unknown commands, mixing ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["\\q", ".quit", ".exit", "quit", "exit", "QUIT", "quit;", "exit;"])
def test_quit_stops_the_rest(sh: Session, name: str) -> None:
    assert sh(f"select Last_Name from Leads limit 1;\n{name}\nselect Email from Leads limit 1;") == 0
    assert sh.shell.done
    assert "Chavez" in sh.out and "Email" not in sh.out
    assert sh("select Email from Leads limit 1;") == 0 and sh.out == ""


@pytest.mark.parametrize("name", ["\\foo", ".foo", "\\zz", ".frobnicate now"])
def test_unknown_commands(sh: Session, name: str) -> None:
    assert sh(name) == 2
    assert sh.err == f"unknown command {name.split()[0]}: \\? lists the commands\n"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("\\tming", "\\timing"), ("\\dtt", "\\dt"), (".tabels", ".tables"), ("\\D Leads", "\\d")],
)
def test_an_unknown_command_close_to_one_names_that_one(sh: Session, typed: str, meant: str) -> None:
    assert sh(typed) == 2
    assert sh.err == f"unknown command {typed.split()[0]}: did you mean {meant}? (\\? lists the commands)\n"


def test_statements_and_commands_mixed(sh: Session) -> None:
    text = (
        "select Last_Name from Leads limit 1; select Email\n"
        "  from Leads limit 1;\n"
        "\\T csv\n"
        "\\dt Deal\n"
        "select Last_Name from Leads\n"
        "-- a comment line inside a statement\n"
        "limit 2;   -- and one after\n"
        "quit\n"
    )
    assert sh(text) == 0
    assert sh.shell.done and sh.shell.fmt == "csv"
    screens = sh.out.split("(1 row)\n")
    assert "Chavez" in screens[0] and "justin.chavez@" in screens[1]
    assert screens[2] == (
        "module,label,custom\nDeals,Deals,false\nDeals_X_Products,Deals X Products,false\n"
        "id,Last_Name\n4150868000100000001,Chavez\n4150868000100000002,Cruz\n"
    )


def test_a_command_inside_a_statement_runs_and_the_statement_carries_on(
    session: Callable[..., Session], first: list[str]
) -> None:
    """As psql: the command runs at once, the statement it came in goes on (it used to be
    read as COQL: unexpected character '\\', with a hint listing keywords)."""
    sh = session(config=ReplConfig(pager=False, timing=False))
    assert sh("select Last_Name\n\\dt Lead\nfrom Leads limit 1;") == 0
    assert sh.err == ""
    assert sh.out.index("| Leads ") < sh.out.index(f"| {first[0]} ")  # \dt first, then the rows


def test_a_command_inside_a_statement_comes_after_the_statements_before_it(
    sh: Session, tmp_path: Path, first: list[str]
) -> None:
    target = tmp_path / "second.txt"
    text = f"select Last_Name from Leads limit 1; select Email,\n\\o {target}\nLast_Name from Leads limit 2;\n\\o"
    assert sh(text) == 0
    assert [row[1:] for row in table_rows(sh.out)] == [[first[0]]]  # the first on the screen
    written = target.read_text()
    assert [row[2] for row in table_rows(written)] == first[
        :2
    ] and "Email" in written  # the second in the file


def test_positions_after_a_command_inside_a_statement_are_the_files(sh: Session, tmp_path: Path) -> None:
    script = tmp_path / "q.coql"
    script.write_text("select Last_Name\n\\timing off\nfrom Leeds limit 1;\n")
    assert sh(f"\\i {script}") == 1
    assert sh.err.startswith(f"timing off\n{script}:3:6: error[INVALID_QUERY]: the org has no module Leeds\n")


def test_a_backslash_inside_a_string_or_a_comment_is_no_command(session: Callable[..., Session]) -> None:
    sh = session(config=ReplConfig(pager=False, timing=False))
    assert sh("select Last_Name from Leads where Company = 'a\n\\dt' limit 1;") == 0
    assert sh("select Last_Name from Leads /* a note\n\\dt */ limit 1;") == 0
    assert sh.err == "" and "Leads" not in sh.out  # no \dt ran


def test_a_number_starting_with_a_point_is_no_command(sh: Session) -> None:
    assert sh("select Last_Name from Leads where Annual_Revenue >\n.5 limit 1;") == 0
    assert "unknown command" not in sh.err


def test_at_a_prompt_the_statement_comes_back_after_the_command(session: Callable[..., Session]) -> None:
    sh = session(interactive=True)
    assert sh("select Last_Name\nfrom Leads\n\\timing off") == 0
    assert sh.err == "timing off\n" and sh.out == ""
    # With its line break: the cursor waits on a fresh line (what is typed next is not
    # glued to the last word, ``from Leadswhere``).
    assert sh.shell.prefill == "select Last_Name\nfrom Leads\n" and not sh.shell.accept_prefill
    sh.shell.prefill = ""  # (the prompt takes it)
    assert sh("select Last_Name\n\\dt Lead\nfrom Leads limit 1;") == 0  # pasted whole: it runs
    assert sh.shell.prefill == "" and "(1 row)" in sh.out


def test_edit_inside_a_statement_edits_that_statement(
    session: Callable[..., Session], first: list[str]
) -> None:
    seen: list[str] = []

    def editor(text: str) -> str:
        seen.append(text)
        return text + " from Leads limit 1;"

    sh = session(editor=editor)
    assert sh("select Email from Leads limit 1;\nselect Last_Name\n\\e") == 0
    assert seen == ["select Last_Name"]  # the statement being typed, not the last query
    assert table_rows(sh.out)[-1][1] == first[0]


# ---- errors spend nothing, and never show a traceback -------------------------------------------


@pytest.mark.parametrize(
    ("query", "diagnostic"),
    [
        (
            "select Last_Nam from Leads limit 3;",
            "1:8: error[INVALID_QUERY]: Leads has no field Last_Nam\n"
            "  select Last_Nam from Leads limit 3\n"
            "         ^^^^^^^^\n"
            "  hint: did you mean Last_Name?\n",
        ),
        (
            "select Last_Name\nfrom Leads where Lead_Status = 'Hot' and and limit 3;",
            "2:42: error[SYNTAX_ERROR]: a condition is missing before 'and'\n"
            "  from Leads where Lead_Status = 'Hot' and and limit 3\n"
            "                                           ^^^\n",
        ),
        (  # a syntax error reads as the check's errors do: error[CODE], an indented hint
            "select Last_Name from Leads join Accounts;",
            "1:29: error[SYNTAX_ERROR]: COQL has no JOIN\n"
            "  select Last_Name from Leads join Accounts\n"
            "                              ^^^^\n"
            "  hint: COQL joins through lookup fields: select <lookup>.<field> from Leads",
        ),
        (
            "explain select Last_Name from Leads join Accounts;",  # positions in the query explained
            "1:29: error[SYNTAX_ERROR]: COQL has no JOIN\n"
            "  select Last_Name from Leads join Accounts\n"
            "                              ^^^^\n"
            "  hint: COQL joins through lookup fields: ",
        ),
        (
            "select Last_Name from Leeds;",
            "1:23: error[INVALID_QUERY]: the org has no module Leeds\n"
            "  select Last_Name from Leeds\n"
            "                        ^^^^^\n"
            "  hint: did you mean Leads?\n",
        ),
    ],
)
def test_a_wrong_query_prints_the_diagnostic_and_spends_nothing(
    sh: Session, conn: coqlkit.Connection, sandbox: Sandbox, query: str, diagnostic: str
) -> None:
    sh("select Last_Name from Leads limit 1;")  # the metadata is in
    credits, log = conn.credits_used, RequestLog(sandbox)
    assert sh(query) == 1
    assert diagnostic in sh.err and "Traceback" not in sh.err and sh.out == ""
    assert conn.credits_used == credits and log.coql() == []


def test_the_worst_status_wins_and_the_rest_still_runs(sh: Session) -> None:
    assert sh("select Emial from Leads;\n\\nope\nselect Last_Name from Leads limit 1;") == 2
    assert "did you mean Email?" in sh.err and "unknown command \\nope" in sh.err
    assert "Chavez" in sh.out


def test_the_row_cap(session: Callable[..., Session], first: list[str]) -> None:
    sh = session(config=ReplConfig(pager=False, row_cap=3))
    assert sh("select Last_Name from Leads limit 5;") == 0
    assert [row[1] for row in table_rows(sh.out)] == first[:3]
    assert sh.out.rstrip().endswith("(showing 3 of 5 rows; \\export writes them all)")
    assert sh.err.startswith("5 rows · 1 call")
    assert sh("select Last_Name from Leads limit 3;") == 0 and sh.out.rstrip().endswith("(3 rows)")
    sh = session(config=ReplConfig(pager=False, row_cap=0))  # 0: no cap
    assert sh("select Last_Name from Leads limit 1500;") == 0
    assert sh.out.rstrip().endswith("(1,500 rows)")


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (KeyboardInterrupt(), 130),
        (CreditBudgetExceeded("no", needed=5, left=1), 5),
        (RateLimited("no", code="LIMIT_REACHED"), 5),
        (TransportError("slow", code="TIMEOUT"), 4),
        (TransportError("refused", code="CONNECTION_ERROR"), 3),
        (AuthError("who?"), 3),
        (RateLimited("busy"), 3),
        (OrgBusy("the org is busy", code="TOO_MANY_REQUESTS"), 8),
        (DailyLimitReached("not today", needed=3, left=1), 5),
        (ConfigError("no profile"), 2),
        (CoqlSyntaxError("bad", line=1, column=1, text="x"), 1),
        (ParameterError("missing"), 1),
        (ZohoApiError("refused", code="INVALID_QUERY"), 1),
        (ApiError("odd"), 1),
    ],
)
def test_exit_codes(exc: BaseException, code: int) -> None:
    assert exit_code(exc) == code


def test_an_error_that_is_not_ours_is_not_hidden() -> None:
    with pytest.raises(ZeroDivisionError):
        exit_code(ZeroDivisionError())
    assert issubclass(ValidationError, coqlkit.CoqlError)


# ---- asking before spending -----------------------------------------------------------------------


def test_confirm_above_the_threshold(
    session: Callable[..., Session], sandbox: Sandbox, tmp_path: Path
) -> None:
    asked: list[str] = []
    answer = [False]

    def confirm(question: str) -> bool:
        asked.append(question)
        return answer[0]

    sh = session(config=ReplConfig(pager=False, confirm_above_credits=4), confirm=confirm)
    log = RequestLog(sandbox)
    assert sh("select Last_Name from Leads;") == 0
    assert asked == [
        "This query would spend about 5 credits (2 calls), besides the 1 credit spent counting its records. Run it?"
    ]
    assert sh.err == "not run\n" and sh.out == ""
    assert len(log.coql()) == 1  # the COUNT probe that made the estimate, no page
    assert sh(f"\\export {tmp_path / 'all.csv'}") == 0  # nothing kept: the export runs it, and asks too
    assert len(asked) == 2 and os.listdir(tmp_path) == []
    assert (  # planned from the count the probe found: the pages alone
        sh.err
        == "\\export runs the last query again (its rows were not read): about 2 calls, 5 credits\nnot run\n"
    )
    assert len(log.coql()) == 1
    answer[0] = True
    assert sh("select Last_Name from Leads;") == 0
    assert len(asked) == 3 and f"(showing 1,000 of {RECORDS:,} rows" in sh.out
    assert sh("select Last_Name from Leads limit 10;") == 0  # 1 credit: not asked
    assert len(asked) == 3


def test_no_confirm_no_question(session: Callable[..., Session]) -> None:
    sh = session(config=ReplConfig(pager=False, confirm_above_credits=1, row_cap=2))
    assert sh("select Last_Name from Leads;") == 0  # scripts: nobody to ask
    assert "(showing 2 of 3,000 rows" in sh.out


# ---- Ctrl-C -------------------------------------------------------------------------------------------


class InterruptingStream(io.StringIO):
    """stderr where the first progress line is written as Ctrl-C arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.fired = False

    def write(self, text: str) -> int:
        if not self.fired and "rows ·" in text:
            self.fired = True
            raise KeyboardInterrupt
        return super().write(text)


def test_ctrl_c_in_a_read_cancels_it_and_the_shell_carries_on(
    session: Callable[..., Session], tmp_path: Path
) -> None:
    err = InterruptingStream()
    sh = session(progress=True, err=err)
    text = "select Last_Name from Leads;\nselect Email from Leads limit 1;"
    assert sh.shell.execute(text) == 130
    assert err.fired and "cancelled (Ctrl-C)" in err.getvalue()
    assert sh.stdout.getvalue() == ""  # nothing shown, and the second statement did not run
    assert sh.shell.execute("select Last_Name from Leads limit 2;") == 0
    assert "Cruz" in sh.stdout.getvalue()
    # The same inside \i: the file stops, and so does what came after the \i.
    script = tmp_path / "two.coql"
    script.write_text("select Last_Name from Leads;\nselect Email from Leads limit 1;\n")
    err.fired = False
    sh.stdout.seek(0)
    sh.stdout.truncate()
    assert sh.shell.execute(f"\\i {script}\nselect Phone from Leads limit 1;") == 130
    assert sh.stdout.getvalue() == ""


def test_ctrl_c_as_a_signal_mid_read(session: Callable[..., Session], org_db: Path) -> None:
    """A real SIGINT while the pages are on their way: the work stops, the shell lives."""
    with (
        Sandbox(records=RECORDS, db=str(org_db), latency_ms=400) as slow,
        coqlkit.connect(sandbox=slow) as other,
    ):
        sh = session(connection=other)
        assert sh("select Last_Name from Leads limit 1;") == 0  # metadata in
        log = RequestLog(slow)
        armed = threading.Event()
        caught: list[float] = []

        def on_sigint(signum: int, frame: FrameType | None) -> None:
            if armed.is_set():  # only while the shell runs: never in pytest's own code
                caught.append(time.monotonic())
                raise KeyboardInterrupt

        def fire() -> None:
            deadline = time.monotonic() + 10
            while not log.coql() and time.monotonic() < deadline:  # the probe is answered
                time.sleep(0.01)
            os.kill(os.getpid(), signal.SIGINT)

        previous = signal.signal(signal.SIGINT, on_sigint)
        sender = threading.Thread(target=fire)
        try:
            armed.set()
            sender.start()
            status = sh("select Last_Name from Leads;")
        finally:
            armed.clear()
            sender.join()
            signal.signal(signal.SIGINT, previous)
        assert caught and status == 130
        # What the statement spent before it was stopped (its probe at least), in the
        # words of the summary line.
        said = re.fullmatch(r"cancelled \(Ctrl-C\) · (\d+) calls? · (\d+) credits?\n", sh.err)
        assert said is not None and sh.out == "", sh.err
        assert 1 <= int(said.group(1)) < 3 and int(said.group(2)) >= 1
        # Stopped mid-read: the pages after the probe were not all answered.
        assert len(log.coql()) < 3
        assert sh("select Last_Name from Leads limit 2;") == 0 and "Cruz" in sh.out


# ---- the README ------------------------------------------------------------------------------------


def _readme_commands() -> list[tuple[tuple[str, ...], str]] | None:
    """The README's REPL command table: each row's names (the backticked, comma-separated
    items that open its first column) and the argument shown after them; None: no table."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## The REPL\n(.*?)(?=^## |\Z)", readme, re.S | re.M)
    if section is None:
        return None
    table = re.search(r"^### Commands\n(.*?)(?=^#|\Z)", section.group(1), re.S | re.M)
    if table is None:
        return None
    rows = []
    for line in table.group(1).splitlines():
        if not line.startswith("|") or re.match(r"\|\s*-", line):
            continue
        first = re.split(r"(?<!\\)\|", line)[1].strip()
        names = re.match(r"`[^`]+`(?:\s*,\s*`[^`]+`)*", first)
        if names is None:  # the header row
            continue
        rest = first[names.end() :].strip().replace("\\|", "|")
        rows.append((tuple(re.findall(r"`([^`]+)`", names.group(0))), rest.strip("`")))
    return rows or None


def test_the_readme_command_table_names_every_command() -> None:
    rows = _readme_commands()
    assert rows is not None, "README: no command table under '### Commands' in '## The REPL'"
    assert [names for names, _ in rows] == [c.names for c in REGISTRY]


def test_the_readme_command_table_shows_their_arguments() -> None:
    """As ``\\?`` shows them. A ``|`` inside a table cell is written ``\\|``: GitHub splits
    the cell at a bare one, code span or not."""
    rows = _readme_commands()
    assert rows is not None
    assert dict(rows) == {c.names: c.args for c in REGISTRY}


# ---- \export writes what was shown -------------------------------------------------------------------


def test_export_writes_the_rows_the_query_read(sh: Session, sandbox: Sandbox, tmp_path: Path) -> None:
    """Not the query run again with today's parameters: the rows on the screen, for free."""
    sh("\\set source Chat")
    assert sh("select Last_Name, Lead_Source from Leads where Lead_Source = :source limit 3;") == 0
    sh("\\set source Cold Call")
    log = RequestLog(sandbox)
    target = tmp_path / "px.csv"
    assert sh(f"\\export {target}") == 0
    assert log.calls() == []
    assert [r["Lead_Source"] for r in csv_records(target.read_text())] == ["Chat"] * 3
    assert "· the rows of the last query, kept · 0 calls · 0 credits ·" in sh.err


def test_export_of_rows_not_kept_runs_the_query_as_it_ran(
    session: Callable[..., Session], sandbox: Sandbox, tmp_path: Path
) -> None:
    sh = session()
    sh.shell.keep_rows = 2
    sh("\\set source Chat")
    assert sh("select Last_Name, Lead_Source from Leads where Lead_Source = :source limit 3;") == 0
    sh("\\set source Cold Call")
    log = RequestLog(sandbox)
    target = tmp_path / "px.csv"
    assert sh(f"\\export {target}") == 0
    assert sh.err.startswith(
        "\\export runs the last query again (more than 2 rows are not kept): about 1 call, 1 credit\n"
    )
    assert len(log.coql()) == 1
    assert [r["Lead_Source"] for r in csv_records(target.read_text())] == ["Chat"] * 3  # its parameters then


@pytest.mark.parametrize(
    "failing",
    [
        "select Emial from Leads;",  # the check refuses it
        "select Last_Name from Leads where Lead_Status = :nope;",  # a parameter missing
        "explain select Emial from Leads;",
        "explain analyze select Emial from Leads;",
        "\\strict on\nselect Last_Name from Leads where Lead_Status = 'Contactd';",  # strict mode refuses it
    ],
)
def test_export_after_a_statement_that_failed_writes_the_rows_kept(
    sh: Session, sandbox: Sandbox, tmp_path: Path, failing: str
) -> None:
    """A statement that fails before it runs leaves the last query's rows kept: \\export
    writes them for free (it used to run the query before again, "its rows were not read
    to the end", which was false), and says they are those of the last query that ran."""
    assert sh("select Last_Name from Leads limit 2;") == 0
    shown = [row[1] for row in table_rows(sh.out)]
    assert sh(failing) == 1
    log = RequestLog(sandbox)
    target = tmp_path / "kept.csv"
    assert sh(f"\\export {target}") == 0
    assert log.calls() == []
    assert [r["Last_Name"] for r in csv_records(target.read_text())] == shown
    assert (
        f"wrote 2 rows to {target} · the rows of the last query that ran, kept · 0 calls · 0 credits ·"
        in sh.err
    )
    # The next query that runs is the last one again.
    assert sh("select Email from Leads limit 1;") == 0
    assert sh(f"\\export {target}") == 0 and "· the rows of the last query, kept ·" in sh.err


def test_export_after_a_failure_says_which_query_it_runs_again(
    session: Callable[..., Session], sandbox: Sandbox, tmp_path: Path
) -> None:
    sh = session()
    sh.shell.keep_rows = 1
    assert sh("select Last_Name from Leads limit 2;") == 0
    assert sh("select Emial from Leads;") == 1
    log = RequestLog(sandbox)
    assert sh(f"\\export {tmp_path / 'x.csv'}") == 0
    assert sh.err.startswith(
        "\\export runs the last query that did not fail again (more than 1 rows are not kept): about 1 call, 1 credit\n"
    )
    [sent] = [e["coql"] for e in log.coql()]  # the query that ran, not the one that failed
    assert sent.startswith("select Last_Name from Leads") and sent.endswith("limit 2")


def test_export_after_explain_analyze_gives_the_true_reason(sh: Session, tmp_path: Path) -> None:
    assert sh("explain analyze select Last_Name from Leads limit 2;") == 0
    assert sh(f"\\export {tmp_path / 'x.csv'}") == 0
    assert sh.err.startswith(
        "\\export runs the last query again (EXPLAIN ANALYZE does not keep its rows): about 1 call, 1 credit\n"
    )


def test_file_arguments_are_read_as_a_shell_reads_them(
    session: Callable[..., Session], tmp_path: Path
) -> None:
    """Quotes keep blanks in a name (they were taken as part of it); a name with blanks and
    no quotes is refused rather than guessed at."""
    edited: list[str] = []
    sh = session(editor=lambda text: edited.append(text) or "select Last_Name from Leads limit 1;")
    assert sh("select Last_Name from Leads limit 2;") == 0
    assert sh(f"\\export '{tmp_path}/my file.csv'") == 0
    assert sh.err.startswith(f"wrote 2 rows to {tmp_path}/my file.csv · ")
    assert sh(f'.export "{tmp_path}/their file.json"') == 0 and (tmp_path / "their file.json").is_file()
    assert sh(f"\\export {tmp_path}/my file.parquet") == 2
    assert sh.err == f"\\export takes one FILE: quote a name with blanks ('{tmp_path}/my file.parquet')\n"
    assert sh(f"\\o '{tmp_path}/out put.txt'") == 0 and sh.err == f"results go to {tmp_path}/out put.txt\n"
    assert sh("select Last_Name from Leads limit 1;") == 0 and sh("\\o") == 0
    assert "Last_Name" in (tmp_path / "out put.txt").read_text()
    script = tmp_path / "my script.coql"
    script.write_text("select Emial from Leads;\n")
    assert sh(f"\\i '{script}'") == 1 and sh.err.startswith(f"{script}:1:8: error[INVALID_QUERY]")
    assert sh(f"\\e '{script}'") == 0 and edited == ["select Emial from Leads;\n"]
    assert sh(f"\\o '{tmp_path}/x") == 2 and sh.err == "\\o takes one FILE: a quote is not closed\n"
    assert sorted(os.listdir(tmp_path)) == ["my file.csv", "my script.coql", "out put.txt", "their file.json"]


def test_a_directory_is_named_as_one(session: Callable[..., Session], tmp_path: Path) -> None:
    sh = session(interactive=True)
    assert sh("select Last_Name from Leads limit 2;") == 0
    assert sh(f"\\export {tmp_path}") == 2  # not 'cannot tell the format of ...'
    assert sh.err == f"{tmp_path}: Is a directory (give the file's name: {tmp_path}/rows.csv)\n"
    assert sh(f"\\o {tmp_path}") == 2 and sh.err == f"{tmp_path}: Is a directory\n"
    assert sh(f"\\i {tmp_path}") == 2 and sh.err == f"cannot read {tmp_path}: Is a directory\n"
    sh.shell.editor = sh.shell.edit_file = lambda _: pytest.fail("the editor opened a directory")
    assert sh(f"\\e {tmp_path}") == 2 and sh.err == f"{tmp_path}: Is a directory\n"
    assert os.listdir(tmp_path) == []


def test_export_refuses_a_missing_directory(sh: Session, tmp_path: Path) -> None:
    sh("select Last_Name from Leads limit 1;")
    target = tmp_path / "no" / "dir" / "x.csv"
    assert sh(f"\\export {target}") == 2
    assert sh.err == f"{target}: No such file or directory ({tmp_path / 'no' / 'dir'} does not exist)\n"
    assert os.listdir(tmp_path) == []


# ---- warnings and strict mode ------------------------------------------------------------------------


def test_warnings_before_the_query_and_strict_mode(sh: Session, sandbox: Sandbox) -> None:
    query = "select Last_Name from Leads where Lead_Status = 'Contactd' limit 2"
    assert sh(query + ";") == 0
    assert sh.err.startswith(
        "1:49: warning[INVALID_QUERY]: 'Contactd' is not a value of the picklist Lead_Status\n"
    )
    assert "hint: closest values: 'Contacted'" in sh.err
    assert sh("\\strict on") == 0 and sh.err == "strict on: queries with warnings are refused\n"
    log = RequestLog(sandbox)
    assert sh(query + ";") == 1 and sh.out == ""
    assert sh.err.endswith("not run: strict mode refuses a query with warnings (turn it off to run it)\n")
    assert log.coql() == []
    assert sh(f"explain analyze {query};") == 1 and sh.out == ""  # it would run the query
    assert "not run: strict mode" in sh.err and log.coql() == []
    assert sh(f"explain {query};") == 0 and "Plan:" in sh.out  # a plan runs nothing
    assert sh("\\strict") == 0 and not sh.shell.strict
    assert sh("\\strict maybe") == 2


@pytest.mark.parametrize("value", ["2024-02-30", "2024-13-45", "2024-01-01T25:00:00+05:30", "٢٠٢٤-٠١-٠١"])
def test_a_day_that_does_not_exist_is_text_the_check_refuses(
    session: Callable[..., Session], value: str
) -> None:
    """``\\set d 2024-02-30`` (or other digits than ASCII) raised a ValueError out of the
    shell, which ended the REPL; it is kept as text, which the check refuses where :d stands."""
    sh = session(interactive=True)
    assert sh(f"\\set d {value}") == 0 and sh.shell.params == {"d": value}
    assert sh("select Last_Name from Leads where Created_Time > :d limit 1;") == 1
    assert "error[INVALID_QUERY]" in sh.err and "^^" in sh.err


def test_a_missing_parameter_at_the_prompt(session: Callable[..., Session]) -> None:
    sh = session(interactive=True)
    assert sh("select Last_Name from Leads where Lead_Status = :nope;") == 1
    assert sh.err == (
        "1:49: error[INVALID_PARAMETER]: no value given for :nope\n"
        "  select Last_Name from Leads where Lead_Status = :nope;\n"
        "                                                  ^^^^^\n"
        "  hint: give it a value: \\set nope VALUE\n"
    )


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        (
            "-- my query\nselect Emial from Leads;",
            "2:8: error[INVALID_QUERY]: Leads has no field Emial\n  select Emial from Leads;\n         ^^^^^\n",
        ),
        (
            "select Last_Name from Leads limit 1; select Emial from Leads;",
            "1:45: error[INVALID_QUERY]: Leads has no field Emial\n"
            "  select Last_Name from Leads limit 1; select Emial from Leads;\n" + " " * 46 + "^^^^^\n",
        ),
        (
            "explain select Emial from Leads;",
            "1:16: error[INVALID_QUERY]: Leads has no field Emial\n  explain select Emial from Leads;\n"
            + " " * 17
            + "^^^^^\n",
        ),
        (
            "select Last_Name from Leads limit 1;\nexplain analyze\n  select Last_Name from Leads where where;",
            "3:37: error[SYNTAX_ERROR]: 'where' is a keyword, not a field\n"
            "    select Last_Name from Leads where where;\n" + " " * 38 + "^^^^^\n",
        ),
        (
            "explain analyze select Last_Name from Leads where Email = :e limit 1;",
            "1:59: error[INVALID_PARAMETER]: no value given for :e\n"
            "  explain analyze select Last_Name from Leads where Email = :e limit 1;\n" + " " * 60 + "^^\n",
        ),
    ],
    ids=[
        "after a comment line",
        "second on its line",
        "explain",
        "explain analyze, a syntax error",
        "a parameter",
    ],
)
def test_positions_at_the_prompt_are_where_it_was_typed(
    session: Callable[..., Session], typed: str, said: str
) -> None:
    sh = session(interactive=True, config=ReplConfig(pager=False, timing=False))
    assert sh(typed) in (1, 2)
    assert said in sh.err, sh.err


def test_a_files_explain_gives_the_files_positions(sh: Session, tmp_path: Path) -> None:
    script = tmp_path / "plan.coql"
    script.write_text("-- the plan\nexplain select Emial from Leads;\n")
    assert sh(f"\\i {script}") == 1
    assert f"{script}:2:16: error[INVALID_QUERY]: Leads has no field Emial\n" in sh.err


def test_a_query_given_alone_keeps_its_own_positions(sh: Session) -> None:
    # As `coqlkit explain QUERY` gives it: the EXPLAIN before it was not typed.
    assert sh("explain analyze select Emial from Leads;") == 1
    assert sh.err.startswith(
        "1:8: error[INVALID_QUERY]: Leads has no field Emial\n  select Emial from Leads\n"
    )


def test_include_gives_the_files_positions(sh: Session, tmp_path: Path) -> None:
    script = tmp_path / "two.coql"
    script.write_text("select Last_Name from Leads limit 1;\n\nselect Last_Name,\n       Emial from Leads;\n")
    assert sh(f"\\i {script}") == 1
    assert (
        f"{script}:4:8: error[INVALID_QUERY]: Leads has no field Emial\n         Emial from Leads;\n"
        in sh.err
    )


# ---- parameters ----------------------------------------------------------------------------------------


def test_parameter_takes_sqlite3s_sub_commands(sh: Session) -> None:
    assert sh(".parameter set :x 5") == 0 and sh.err == ":x = 5\n"
    assert sh.shell.params == {"x": 5}
    assert sh(".parameter set y 'a b'") == 0 and sh.shell.params == {"x": 5, "y": "a b"}
    assert sh(".parameter list") == 0 and sh.err == ":x = 5\n:y = 'a b'\n"
    assert sh(".parameter unset :x") == 0 and sh.shell.params == {"y": "a b"}
    assert sh(".parameter clear") == 0 and sh.shell.params == {}
    assert sh(".parameter init") == 2 and "takes set, unset, list and clear" in sh.err
    assert sh(".parameter set") == 2 and sh.shell.params == {}
    assert sh("\\set set 3") == 0 and sh.shell.params == {"set": 3}  # \set is psql's: any name


def test_set_e_notation(sh: Session) -> None:
    assert sh("\\set rev 1e6") == 0 and sh.err == ":rev = 1000000\n"
    assert sh("\\set small 2.5e-1") == 0 and sh.err == ":small = 0.25\n"


def test_set_keeps_number_like_text_as_typed(sh: Session, sandbox: Sandbox) -> None:
    """``02158`` is a zip code, not 2158: bound as the text typed, it matches what it is."""
    assert sh("\\set z 02158") == 0 and sh.err == ":z = '02158'\n"
    assert sh("\\set p +14155550100") == 0 and sh.err == ":p = '+14155550100'\n"
    log = RequestLog(sandbox)
    assert sh("select Last_Name from Leads where Zip_Code = :z or Phone = :p limit 1;") == 0
    sent = [e["coql"] for e in log.coql()]
    assert sent == ["select Last_Name from Leads where Zip_Code = '02158' or Phone = '+14155550100' limit 1"]


# ---- \e FILE, \d with a typo -----------------------------------------------------------------------------


def test_edit_a_file_in_place(
    session: Callable[..., Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = tmp_path / "editor.sh"  # appends a LIMIT to the file it is given
    editor.write_text("#!/bin/sh\nprintf 'select Last_Name from Leads limit 2;\\n' >> \"$1\"\n")
    editor.chmod(0o755)
    monkeypatch.setenv("VISUAL", str(editor))
    sh = session()
    script = tmp_path / "s2.coql"
    script.write_text("-- the first ones\n")
    assert sh(f"\\e {script}") == 0
    assert script.read_text() == "-- the first ones\nselect Last_Name from Leads limit 2;\n"  # edited itself
    assert len(table_rows(sh.out)) == 2
    missing = tmp_path / "new.coql"
    assert sh(f"\\e {missing}") == 0 and missing.read_text() == "select Last_Name from Leads limit 2;\n"


def test_describe_a_module_with_a_typo(sh: Session) -> None:
    assert sh("\\d Lead") == 1
    assert sh.err == "no module 'Lead' in this org\n  hint: did you mean Leads?\n"
    assert sh("\\d Xyzzy") == 1 and "hint: \\dt lists the modules" in sh.err


@pytest.mark.parametrize("name", ["\\d", "\\d+"])
def test_describe_folds_the_case_of_a_modules_name(sh: Session, name: str) -> None:
    # As psql folds an unquoted name; the one module that differs only in case.
    assert sh(f"{name} Leads") == 0
    described = sh.out
    assert sh(f"{name} leads") == 0 and sh.out == described
    assert sh.err == "Leads (a query spells it so: a module's name keeps its case)\n"
    assert sh(f"{name} LEADS") == 0 and sh.out == described


def test_the_summary_names_a_split_and_its_parts() -> None:
    # 1,400 ids: two queries of one call each; the summary said "single call · 2 calls".
    from coqlkit.catalog import Catalog
    from coqlkit.language import parse
    from coqlkit.plan import plan
    from coqlkit.repl.shell import _strategy

    ids = ", ".join(str(4_150_868_000_100_000_000 + i) for i in range(1_400))
    split = plan(parse(f"select Last_Name from Leads where id in ({ids})"), Catalog.demo())
    assert _strategy(split) == "IN split (2 × single call)"
    assert _strategy(plan(parse("select Last_Name from Leads"), Catalog.demo(), rows=5_000)) == "offset pages"
