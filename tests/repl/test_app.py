"""The REPL: the real ``coqlkit`` in a pseudo-terminal, driven key by key with pexpect;
and :class:`Repl` in this process, its keys from a pipe (what a terminal is not needed for).

Each terminal test starts ``python -m coqlkit`` in a pty of a fixed size (40 x 120, ``TERM=xterm``)
with its config, data and cache directories in a temporary directory, answers the
terminal's cursor-position requests as a terminal would, and reads the screen with the
escape sequences taken out. Nothing is mocked: the REPL talks HTTP to a sandbox.
"""

from __future__ import annotations

import dataclasses
import os
import re
import signal
import stat
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory, InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

import coqlkit
from coqlkit.catalog import Catalog
from coqlkit.repl.app import Repl, _Checked, _history, ends_statement, enter_runs
from coqlkit.repl.config import ReplConfig
from coqlkit.sandbox.server import Sandbox
from tests.api._support import sigint_as_in_a_terminal

try:
    import pexpect
except ImportError:  # pragma: no cover - IPython brings it on POSIX
    pexpect = None

#: The tests that drive the real command in a pseudo-terminal.
needs_a_pty = pytest.mark.skipif(
    pexpect is None or sys.platform == "win32", reason="needs pexpect and a pseudo-terminal (POSIX)"
)

ROWS, COLUMNS = 40, 120
RECORDS = 3_000
# CSI (with private and intermediate bytes), OSC, charset and keypad selections, backspace.
ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>]|\x08"
)
PROMPT = r"coql:sandbox\*>"


class Terminal:
    """A child process in a pty, and what it has shown (escape sequences stripped)."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.child = pexpect.spawn(
            sys.executable,
            args,
            env=env,
            dimensions=(ROWS, COLUMNS),
            encoding="utf-8",
            timeout=30,
            preexec_fn=sigint_as_in_a_terminal,
        )
        self.raw = ""
        self.mark = 0  # where the next expect() starts looking
        self.answered = 0
        self.log = log.open("w", encoding="utf-8")

    @property
    def screen(self) -> str:
        """Everything shown so far, without escape sequences or carriage returns."""
        return ANSI.sub("", self.raw).replace("\r", "")

    def _read(self, timeout: float) -> None:
        try:
            data = self.child.read_nonblocking(65536, timeout=timeout)
        except pexpect.TIMEOUT:
            return
        self.raw += data
        self.log.write(data)
        self.log.flush()
        # A terminal answers "where is the cursor?" (CPR): prompt_toolkit needs it to draw
        # the bottom toolbar. The top-left corner is as good an answer as any here.
        while self.answered < self.raw.count("\x1b[6n"):
            self.answered += 1
            self.child.send("\x1b[1;1R")

    def expect(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        """Wait until ``pattern`` shows (after the last match); the match."""
        wanted = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            found = wanted.search(self.screen, self.mark)
            if found:
                self.mark = found.end()
                return found
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{pattern!r} did not show in {timeout} s; the screen ends:\n{self.tail()}"
                )
            try:
                self._read(0.05)
            except pexpect.EOF:
                found = wanted.search(self.screen, self.mark)
                if found:
                    self.mark = found.end()
                    return found
                raise AssertionError(f"the REPL ended before {pattern!r} showed:\n{self.tail()}") from None

    def settle(self, seconds: float = 0.3) -> None:
        """Read what comes in the next ``seconds`` (completion menus, redraws)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._read(0.05)

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def tab(self, prefix: str) -> None:
        """Type ``prefix`` and complete it with Tab (the first completion offered)."""
        self.send(prefix)
        self.settle(0.3)
        self.send("\t")
        self.settle(0.3)

    def wait_for_exit(self, timeout: float = 20.0) -> int:
        deadline = time.monotonic() + timeout
        while self.child.isalive() and time.monotonic() < deadline:
            try:
                self._read(0.1)
            except pexpect.EOF:
                break
        self.child.close()
        assert self.child.exitstatus is not None, f"still running or killed; the screen ends:\n{self.tail()}"
        return int(self.child.exitstatus)

    def tail(self, characters: int = 3000) -> str:
        return self.screen[-characters:]

    def close(self) -> None:
        if self.child.isalive():
            self.child.kill(signal.SIGKILL)
        self.child.close(force=True)
        self.log.close()


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """The REPL's environment: its own config, data and cache directories, a known terminal."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOHO_", "COQLKIT_", "XDG_"))}
    for name in ("CONFIG", "DATA", "CACHE"):
        (tmp_path / name.lower()).mkdir()
        env[f"XDG_{name}_HOME"] = str(tmp_path / name.lower())
    env.update(TERM="xterm", COLUMNS=str(COLUMNS), LINES=str(ROWS), PAGER="less -SRXF")
    env.pop("VISUAL", None)
    return env


@pytest.fixture
def terminals(tmp_path: Path) -> Iterator[list[Terminal]]:
    made: list[Terminal] = []
    yield made
    for terminal in made:
        terminal.close()


def spawn(terminals: list[Terminal], args: list[str], env: dict[str, str], log: Path) -> Terminal:
    terminals.append(Terminal(["-m", "coqlkit", *args], env, log))
    return terminals[-1]


def history(env: dict[str, str]) -> list[str]:
    """The queries in the REPL's history file (prompt_toolkit keeps each line with a +)."""
    text = (Path(env["XDG_DATA_HOME"]) / "coqlkit" / "history").read_text(encoding="utf-8")
    entries: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("# "):
            entries.append([])
        elif line.startswith("+") and entries:
            entries[-1].append(line[1:])
    return ["\n".join(entry) for entry in entries]


@pytest.mark.slow
@needs_a_pty
def test_a_session_on_the_sandbox(terminals: list[Terminal], home: dict[str, str], tmp_path: Path) -> None:
    editor = tmp_path / "editor.sh"  # "saves" a query into the file it is given
    editor.write_text("#!/bin/sh\nprintf 'select Last_Name from Leads limit 1;\\n' > \"$1\"\n")
    editor.chmod(0o755)
    term = spawn(
        terminals,
        ["--sandbox", "--records", str(RECORDS)],
        {**home, "EDITOR": str(editor)},
        tmp_path / "screen.log",
    )
    term.expect(PROMPT)
    term.expect(r"Ctrl-D quits")  # the bottom toolbar
    term.settle(0.5)  # the module list arrives in the background

    # A query over three lines, with Tab completing the module, a field and a picklist value.
    term.send("select Last_Name, Lead_Status\r")
    term.expect(r"->")  # not run yet: it has no ; so Enter went to the next line
    term.tab("from Lead")
    term.tab(" where Lead_Stat")
    term.tab(" = 'Not C")
    term.send(" limit 3;\r")
    term.expect(r"-> from Leads where Lead_Status = 'Not Contacted' limit 3;")
    found = term.expect(r"\| id +\| Last_Name +\| Lead_Status +\|\n.*\n((?:\|.*\n){3})\+-+")
    assert [line.count("Not Contacted") for line in found.group(1).splitlines()] == [1, 1, 1]
    term.expect(r"\(3 rows\)\n3 rows · 1 call · 1 credit · [\d.]+ s")

    # Another format.
    term.send("\\T csv\r")
    term.expect("format: csv")
    term.send("select Last_Name from Leads limit 2;\r")
    term.expect(r"id,Last_Name\n\d+,\w+\n\d+,\w+\n2 rows · 1 call")

    # The plan, then its rows exported to Parquet and read back.
    term.send("explain select Last_Name, Annual_Revenue from Leads;\r")
    term.expect(rf"Plan: {RECORDS:,} rows · 3 calls · 6 credits")
    term.expect(r"COUNT probe · 1 call · 1 credit")
    target = tmp_path / "leads.parquet"
    term.send(f"\\export {target}\r")
    term.expect(rf"wrote {RECORDS:,} rows to {re.escape(str(target))}")
    table = pq.read_table(target)
    assert (table.num_rows, table.column_names) == (RECORDS, ["id", "Last_Name", "Annual_Revenue"])
    assert table.column("Last_Name").null_count == 0

    # A wrong query: underlined as it is typed, its diagnostic in the toolbar, then the caret
    # diagnostic when it runs, and no traceback.
    term.send("select Emial from Leads")
    term.expect(r"INVALID_QUERY: Leads has no field Emial — did you mean Email\?")
    assert re.search(r"\x1b\[[0-9;]*;4m(?:\x1b\[[0-9;]*m)?Emial", term.raw), "Emial is not underlined"
    term.send(";\r")
    term.expect(
        r"1:8: error\[INVALID_QUERY\]: Leads has no field Emial\n  select Emial from Leads;\n +\^{5}"
    )  # the line as typed
    term.expect(r"hint: did you mean Email\?")

    # \e: what the editor saves runs as if typed.
    term.send("\\e\r")
    term.expect(r"id,Last_Name\n\d+,\w+\n1 row · 1 call")

    term.send("\\q\r")
    assert term.wait_for_exit() == 0
    assert "Traceback" not in term.screen
    assert history(home) == [
        "select Last_Name, Lead_Status\nfrom Leads where Lead_Status = 'Not Contacted' limit 3;",
        "\\T csv",
        "select Last_Name from Leads limit 2;",
        "explain select Last_Name, Annual_Revenue from Leads;",
        f"\\export {target}",
        "select Emial from Leads;",
        "\\e",
        "select Last_Name from Leads limit 1;",
        "\\q",
    ]


@pytest.fixture
def slow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox answering every CRM call after 400 ms: a read of 3,000 rows takes a while."""
    db = tmp_path_factory.getbasetemp() / "repl-org.sqlite3"
    with Sandbox(records=RECORDS, db=str(db), latency_ms=400) as running:
        yield running


def await_count(term: Terminal, requests: Iterable[dict[str, Any]], before: int, where: str) -> None:
    """Until the sandbox has logged the COUNT probe of the query with ``where`` (its own
    WHERE tells it apart: an earlier test's stopped session may still have calls in
    flight that the sandbox logs now)."""
    deadline = time.monotonic() + 20
    while not any(where in str(e.get("coql")) for e in list(requests)[before:]):
        assert time.monotonic() < deadline, term.tail()
        term.settle(0.05)


@pytest.mark.slow
@needs_a_pty
def test_ctrl_c_stops_a_long_read_and_ctrl_d_quits(
    terminals: list[Terminal], home: dict[str, str], slow: Sandbox, tmp_path: Path
) -> None:
    """Against a sandbox served apart (reached through the ZOHO_* variables it prints)."""
    assert slow.state is not None
    requests = slow.state.requests
    term = spawn(terminals, [], {**home, **slow.environment()}, tmp_path / "screen.log")
    term.expect(r"coql:env\*>")  # a sandbox on this machine: marked
    term.expect(r"loading metadata…")  # the prompt came first; the metadata follows

    before = len(requests)
    healthy = slow.state.config
    # The pages take 2 s once the probe is logged: a Ctrl-C that comes late (the machine
    # busy with other tests) still finds them on their way.
    slow.state.config = dataclasses.replace(healthy, latency_ms=2_000)
    try:
        term.send("select Last_Name from Leads where Email is not null;\r")
        await_count(term, requests, before, "Email is not null")
        term.send("\x03")  # Ctrl-C, while the pages are on their way
        term.expect(r"cancelled \(Ctrl-C\)")
    finally:
        slow.state.config = healthy
    term.expect(r"coql:env\*>")
    assert f"of {RECORDS:,} rows" not in term.screen and "Traceback" not in term.screen

    term.send("select Last_Name from Leads limit 2;\r")  # the shell carries on
    term.expect(r"\(2 rows\)")
    term.send("\x04")  # Ctrl-D
    assert term.wait_for_exit() == 0
    assert history(home) == [
        "select Last_Name from Leads where Email is not null;",
        "select Last_Name from Leads limit 2;",
    ]


@pytest.mark.slow
@needs_a_pty
def test_typing_commands_and_statements_in_a_terminal(
    terminals: list[Terminal], home: dict[str, str], sandbox: Sandbox, tmp_path: Path
) -> None:
    """What the newcomer's review met at a real prompt: a command's backslash highlighted as
    an error and its argument not completed; the statement a command interrupted coming
    back glued to what was typed next; Enter splitting a recalled query being fixed."""
    env = {**home, **sandbox.environment(), "PAGER": "cat"}
    term = spawn(terminals, [], env, tmp_path / "screen.log")
    term.expect(r"coql:env\*>")
    term.expect(r"Ctrl-D quits")
    term.settle(0.5)  # the module list arrives in the background

    # A command: highlighted as one (Pygments' Error was white on red, 48;5;88), its
    # argument completed with Tab.
    term.tab("\\d Contac")
    term.send("\r")  # Enter in the menu takes the completion (it went on a new line)
    term.settle(0.3)
    term.send("\r")
    term.expect(r"\| Last_Name +\| Last Name +\| text ")
    assert "48;5;88m" not in term.raw, "a red error block was drawn"

    # A command inside a statement: the statement comes back on a fresh line.
    term.send("select Last_Name\r")
    term.send("from Leads\r")
    term.send("\\timing off\r")
    term.expect(r"timing off")
    term.settle(0.3)
    term.send("where Last_Name = 'Chavez' limit 1;\r")
    term.expect(r"\| +\d+ \| Chavez +\|\n\+-+\+-+\+\n\(1 row\)")

    # A failed query recalled with Up, its typo fixed mid-line, Enter: it runs.
    query = "select Last_Name, Emial from Leads limit 1;"
    term.send(query + "\r")
    term.expect(r"hint: did you mean Email\?")
    term.settle(0.3)
    term.send("\x1b[A")  # Up
    term.settle(0.3)
    term.send("\x1b[D" * (len(query) - query.index("Emial") - len("Emia")))
    term.send("\x7f\x7fai")  # Emi|al: "ia" becomes "ai"
    term.settle(0.3)
    term.send("\r")
    term.expect(r"\| id +\| Last_Name +\| Email +\|")
    term.expect(r"\(1 row\)")

    term.send("\x04")
    assert term.wait_for_exit() == 0
    assert "Traceback" not in term.screen and "SYNTAX_ERROR" not in term.screen


# ---- Repl in this process: keys from a pipe, no terminal ------------------------------------------


@pytest.mark.parametrize(
    ("text", "runs"),
    [
        ("", True),
        ("select Last_Name from Leads;", True),
        ("select Last_Name from Leads;  -- a note\n", True),
        ("select Last_Name\nfrom Leads", False),
        ("select Last_Name from Leads -- not yet;", False),
        ("select Last_Name from Leads where Company = 'a;b'", False),
        ("select Last_Name from Leads; select Email", False),
        ("\\dt", True),
        ("\\dt Lead", True),
        (".tables", True),
        (".nonsense", True),  # to be told it is unknown, not to wait for a ;
        ("quit", True),
        ("EXIT;", True),
        ("quit now", False),
        # A command on the last line of a statement being typed runs (the statement comes back).
        ("select Last_Name\nfrom Leads\n\\dt", True),
        ("select Last_Name\n  .tables", True),
        ("select Last_Name from Leads where Company = 'a\n\\dt", False),  # in a string
        ("select Last_Name from Leads /*\n\\dt", False),  # in a comment
        ("select Last_Name from Leads where Annual_Revenue >\n.5", False),  # a number
        ("select Last_Name\n\\dt\nfrom Leads", False),
    ],
)
def test_what_enter_runs(text: str, runs: bool) -> None:
    assert ends_statement(text) is runs


@pytest.mark.parametrize(
    ("text", "cursor", "runs"),
    [
        ("select Last_Name, Emial from Leads limit 1;", 20, True),  # a typo fixed mid-line: it runs
        ("select Last_Name\nfrom Leads;", 3, True),  # a finished statement: from any line
        ("select Last_Name from Leads;  -- a note", 0, True),
        ("select Last_Name from Leads", 7, False),  # unfinished: a new line
        ("select Last_Name from Leads; select Email", 7, False),
        ("\\dt Lead", 2, True),
        ("select Last_Name\n\\dt", 20, True),  # a command under a statement: from its line
        ("select Last_Name\n\\dt", 7, False),  # ... not from the statement's
    ],
)
def test_what_enter_runs_where_the_cursor_is(text: str, cursor: int, runs: bool) -> None:
    assert enter_runs(text, min(cursor, len(text))) is runs


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    db = tmp_path_factory.getbasetemp() / "repl-org.sqlite3"
    with Sandbox(records=RECORDS, db=str(db), token_limit=0) as running:  # many tokens: no limit
        yield running


@pytest.fixture
def conn(sandbox: Sandbox) -> Iterator[coqlkit.Connection]:
    with coqlkit.connect(sandbox=sandbox) as connection:
        yield connection


def run_repl(repl_of: Callable[[], Repl], keys: str) -> tuple[int, Repl]:
    """Make a Repl and run it on ``keys`` (then Ctrl-D), as if typed."""
    with create_pipe_input() as keyboard, create_app_session(input=keyboard, output=DummyOutput()):
        repl = repl_of()
        keyboard.send_text(keys + "\x04")
        return repl.run(), repl


def test_errors_shown_and_the_session_still_exits_0(
    conn: coqlkit.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    config = ReplConfig(history_size=0)
    status, _ = run_repl(
        lambda: Repl(conn, config, label="sandbox"),
        "select Last_Name from Leads limit 1;\rselect Emial\rfrom Leads;\r\\nope\r",
    )
    assert status == 0
    out, err = capsys.readouterr()
    assert "Chavez" in out and "(1 row)" in out
    assert "did you mean Email?" in err and "unknown command \\nope" in err


def test_a_command_inside_a_statement_at_the_prompt(
    conn: coqlkit.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    """Enter on a command typed under a statement runs the command; the statement comes
    back to the prompt, and runs when finished (it used to be one COQL text: unexpected
    character '\\')."""
    config = ReplConfig(history_size=0)
    status, _ = run_repl(
        lambda: Repl(conn, config, label="sandbox"), "select Last_Name\rfrom Leads\r\\x on\r limit 1;\r"
    )
    assert status == 0
    out, err = capsys.readouterr()
    assert "format: vertical" in err and "SYNTAX_ERROR" not in err and "unexpected" not in err
    assert "-[ RECORD 1 ]" in out and "Chavez" in out  # the statement, finished, ran after \x


def test_the_statement_comes_back_on_a_fresh_line(
    conn: coqlkit.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    """What is typed after a command inside a statement goes on a line of its own: it used
    to be glued to the statement's last word (``from Leadswhere ...``: a module alias)."""
    config = ReplConfig(history_size=0, timing=False)
    status, _ = run_repl(
        lambda: Repl(conn, config, label="sandbox"),
        "select Last_Name\rfrom Leads\r\\timing off\rwhere Last_Name = 'Chavez' limit 1;\r",
    )
    assert status == 0
    out, err = capsys.readouterr()
    assert err.endswith("\ntiming off\n") and "Chavez" in out and "(1 row)" in out


def test_enter_inside_a_finished_statement_runs_it(
    conn: coqlkit.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo fixed in the middle of a finished query, then Enter: it runs (Enter used to
    split the line at the cursor, ``Emai`` / ``l from Leads limit 1;``). Recalling the
    query with Up first is the terminal test's (here the keys beat the history's loading)."""
    config = ReplConfig(history_size=0, timing=False)
    query = "select Last_Name, Emial from Leads limit 1;"
    left = len(query) - query.index("Emial") - len("Emia")  # the cursor after "Emia"
    keys = query + "\x1b[D" * left + "\x7f\x7fai\r"  # Left..., two Backspaces, "ai", Enter
    keys += "\x1b\r"  # (Alt-Enter: what an Enter that split the line left is run, not waited on)
    status, _ = run_repl(lambda: Repl(conn, config, label="sandbox"), keys)
    assert status == 0
    out, err = capsys.readouterr()
    assert "| Email " in out and "(1 row)" in out and "error" not in err


def test_a_select_before_its_from_completes_the_last_querys_fields(conn: coqlkit.Connection) -> None:
    """``select La<Tab>`` with no FROM yet: the fields of the last query's module, and the
    toolbar says why (nothing was offered, and nothing said)."""
    _, repl = run_repl(
        lambda: Repl(conn, ReplConfig(history_size=0), label="sandbox"), "select Email from Leads limit 1;\r"
    )
    completer = repl.session.completer
    assert completer is not None
    deadline = time.monotonic() + 10  # (the metadata comes in the background)
    while not (found := list(completer.get_completions(Document("select La", 9), CompleteEvent()))):
        assert time.monotonic() < deadline, "no completion came"
        time.sleep(0.05)
    assert "Last_Name" in [c.text for c in found]
    assert "Leads's (no FROM yet)" in str(found[0].display_meta)
    said = str(repl._toolbar_at("select La", 9))
    assert "fields complete once FROM names the module: Leads's fields (the last query's) until then" in said
    assert "FROM names the module" not in str(repl._toolbar_at("select La from Contacts", 9))


def test_confirm_at_the_prompt(conn: coqlkit.Connection, capsys: pytest.CaptureFixture[str]) -> None:
    config = ReplConfig(history_size=0, confirm_above_credits=4, row_cap=1)
    run_repl(lambda: Repl(conn, config, label="sandbox"), "select Last_Name from Leads;\rn")
    out, err = capsys.readouterr()  # (the question itself is drawn by prompt_toolkit)
    assert "not run" in err and "Chavez" not in out
    run_repl(lambda: Repl(conn, config, label="sandbox"), "select Last_Name from Leads;\ry")
    out, err = capsys.readouterr()
    assert f"(showing 1 of {RECORDS:,} rows" in out


def test_profile_and_refresh_renew_the_prompts_metadata(sandbox: Sandbox, conn: coqlkit.Connection) -> None:
    opened: list[coqlkit.Connection] = []

    def make() -> Repl:
        repl = Repl(conn, ReplConfig(history_size=0), label="demo")
        repl.shell.connect_profile = lambda name: (
            opened.append(coqlkit.connect(sandbox=sandbox)) or opened[-1]
        )
        made.append((repl, repl.metadata))
        return repl

    made: list[tuple[Repl, object]] = []
    run_repl(make, "\\refresh\r")
    repl, first = made[-1]
    assert repl.metadata is not first and repl.checked.metadata is repl.metadata
    assert repl.session.message() == "coql:demo*> "  # type: ignore[operator]
    run_repl(make, "\\profile work\r")
    repl, first = made[-1]
    assert conn.closed and repl.shell.conn is opened[0]
    assert repl.metadata.conn is opened[0] and repl.checked.metadata is repl.metadata
    assert repl.session.message() == "coql:work*> "  # type: ignore[operator]
    opened[0].close()


def test_the_history_file(sandbox: Sandbox, tmp_path: Path) -> None:
    path = tmp_path / "history"
    old = FileHistory(str(path))
    for n in range(5):
        old.store_string(f"select Last_Name from Leads limit {n + 1};")
    with coqlkit.connect(sandbox=sandbox) as conn:
        status, repl = run_repl(
            lambda: Repl(conn, ReplConfig(history_file=str(path), history_size=3), label="sandbox"),
            "select Email from Leads limit 1;\r",
        )
        assert status == 0
        assert list(FileHistory(str(path)).load_history_strings()) == [  # newest first
            "select Email from Leads limit 1;",
            "select Last_Name from Leads limit 5;",
            "select Last_Name from Leads limit 4;",
            "select Last_Name from Leads limit 3;",
        ]
        off = tmp_path / "off"
        _, repl = run_repl(
            lambda: Repl(conn, ReplConfig(history_file=str(off), history_size=0), label="sandbox"),
            "select Email from Leads limit 1;\r",
        )
        assert isinstance(repl.session.history, InMemoryHistory) and not off.exists()


# ---- warnings as you type, a private history, termination signals --------------------------------


class _Loaded:
    """The prompt's metadata, already loaded."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def __call__(self) -> Catalog:
        return self.catalog

    def want(self, modules: object) -> None:
        pass


def test_the_live_check_shows_warnings_apart_from_errors(conn: coqlkit.Connection) -> None:
    checked = _Checked(_Loaded(conn.catalog(["Leads"])))  # type: ignore[arg-type]
    text = "select Last_Name from Leads where Lead_Status = 'Contactd';"
    problem = checked.check(text)
    assert problem is not None and problem.severity == "warning"
    assert problem.message.startswith("warning[INVALID_QUERY]: 'Contactd' is not a value of the picklist")
    assert text[problem.start : problem.end] == "'Contactd'"
    # An error in the same statement comes first.
    problem = checked.check("select Emial from Leads where Lead_Status = 'Contactd';")
    assert problem is not None and problem.severity == "error" and "Emial" in problem.message
    assert checked.check("select Last_Name from Leads where Lead_Status = 'Contacted';") is None
    # A syntax error as the others: its code, its hint.
    problem = checked.check("select Last_Name from Leads join Accounts;")
    assert problem is not None and problem.severity == "error"
    assert problem.message.startswith("SYNTAX_ERROR: COQL has no JOIN — COQL joins through lookup fields")
    # A field's label where its name goes: named from the org's fields, as a query run says it.
    problem = checked.check("select Last_Name from Leads where Lead Owner = '4150868000000225013';")
    assert problem is not None and "did you mean Owner? (the field labelled Lead Owner)" in problem.message


def test_the_history_file_is_the_owners_alone(tmp_path: Path) -> None:
    path = tmp_path / "data" / "history"
    _history(ReplConfig(history_file=str(path)))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)  # made by an older coqlkit
    _history(ReplConfig(history_file=str(path)))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.slow
@needs_a_pty
def test_sigterm_ends_the_repl_at_the_prompt_and_mid_query(
    terminals: list[Terminal], home: dict[str, str], slow: Sandbox, tmp_path: Path
) -> None:
    term = spawn(terminals, [], {**home, **slow.environment()}, tmp_path / "prompt.log")
    term.expect(r"coql:env\*>")
    term.settle(0.3)
    term.child.kill(signal.SIGTERM)
    assert term.wait_for_exit() == 143
    assert "terminated (SIGTERM)" in term.screen and "Traceback" not in term.screen

    assert slow.state is not None
    requests = slow.state.requests
    term = spawn(terminals, [], {**home, **slow.environment()}, tmp_path / "query.log")
    term.expect(r"coql:env\*>")
    before = len(requests)
    term.send("select Last_Name from Leads where First_Name is not null;\r")
    await_count(term, requests, before, "First_Name is not null")
    term.child.kill(signal.SIGTERM)
    assert term.wait_for_exit() == 143
    assert "terminated (SIGTERM)" in term.screen and "Traceback" not in term.screen
