"""A long shell session that moves between profiles (review 9, Q #1 #4 #5): ``\\export``
after ``\\profile`` never runs the old org's last query on the new org (rows kept of it are
written, said to be that profile's, in its zone); the credits question asks about what is
still to be spent; ``\\credits`` and the toolbar keep each profile's tally for the
shell's life.

Two sandboxes of their own stand for two orgs (other seeds, other time zones); the shell
is driven in-process over real HTTP, as tests/repl/test_shell.py drives it.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

import coqlkit
from coqlkit.repl.app import Repl
from coqlkit.repl.config import ReplConfig
from coqlkit.sandbox.server import Sandbox
from tests.repl import test_shell

BUDGET = 1_000_000


@pytest.fixture(scope="module")
def orgs() -> Iterator[dict[str, Sandbox]]:
    """Two orgs: ``one`` (seed 42, Asia/Kolkata, a daily budget: Zoho says what is left
    once half of it is used) and ``two`` (seed 7, Los Angeles)."""
    with (
        Sandbox(records=600, seed=42, time_zone="Asia/Kolkata", daily_credits=BUDGET, token_limit=0) as one,
        Sandbox(records=400, seed=7, token_limit=0) as two,
    ):
        yield {"one": one, "two": two}


class Session(test_shell.Session):
    """A shell on profile ``one`` whose ``\\profile NAME`` connects to the org of that name;
    ``session(text)`` runs ``text``, ``err`` holds what that call said."""

    def __init__(self, orgs: dict[str, Sandbox], **options: Any) -> None:
        self.orgs = orgs
        self.opened: list[coqlkit.Connection] = []
        super().__init__(self.connect("one"), label="one", connect_profile=self.connect, **options)

    def connect(self, name: str) -> coqlkit.Connection:
        self.opened.append(coqlkit.connect(sandbox=self.orgs[name]))
        return self.opened[-1]

    def close(self) -> None:
        self.shell.close()
        for conn in self.opened:
            conn.close()


@pytest.fixture
def session(
    orgs: dict[str, Sandbox], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Session]]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    made: list[Session] = []

    def make(**options: Any) -> Session:
        made.append(Session(orgs, **options))
        return made[-1]

    yield make
    for each in made:
        each.close()


def coql_calls(org: Sandbox, since: int) -> int:
    assert org.state is not None
    return sum(1 for e in list(org.state.requests)[since:] if e["path"].endswith("/coql"))


def mark(org: Sandbox) -> int:
    assert org.state is not None
    return len(org.state.requests)


def names_in(org: Sandbox, query: str) -> list[str]:
    with coqlkit.connect(sandbox=org) as conn:
        return list(conn.query(query).to_arrow().column("Last_Name").to_pylist())


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# ---- #1: \export after \profile -------------------------------------------------------------------


def test_export_after_profile_does_not_run_the_old_orgs_query_on_the_new_org(
    session: Callable[..., Session], orgs: dict[str, Sandbox], tmp_path: Path
) -> None:
    """The reviewer's case: the last query was only explained (its rows not kept), then
    ``\\profile two``: ``\\export`` ran it on ``two`` and wrote two's rows under "the last
    query". Now it is refused, nothing spent on either org; back on ``one``, it runs again
    there, as before."""
    query = "select Last_Name from Leads order by Last_Name, id limit 7"
    sh = session()
    assert sh(f"explain analyze {query};") == 0, sh.err
    assert sh("\\profile two") == 0
    one, two = mark(orgs["one"]), mark(orgs["two"])
    target = tmp_path / "last.csv"
    assert sh(f"\\export {target}") == 2
    assert sh.err == (
        "the last query ran on profile one, and EXPLAIN ANALYZE does not keep its rows: "
        "\\export does not run it again on profile two (run it here first)\n"
    )
    assert not target.exists()
    assert coql_calls(orgs["one"], one) == 0 and coql_calls(orgs["two"], two) == 0
    # Run here first: then it is two's last query, and two's rows are written.
    sh.shell.keep_rows = 0  # (not kept: \export runs it again, on two)
    assert sh(f"{query};") == 0
    assert sh(f"\\export {target}") == 0, sh.err
    assert sh.err.startswith("\\export runs the last query again")
    assert [row["Last_Name"] for row in csv_rows(target)] == names_in(orgs["two"], query)
    # Back on one, after explaining there: \export runs it on one, the org it ran on.
    assert sh(f"explain analyze {query};") == 0
    assert sh("\\profile one") == 0 and sh("\\profile two") == 0 and sh("\\profile one") == 0
    assert sh(f"\\export {target}") == 2  # the last query ran on two
    assert sh(f"explain analyze {query};") == 0
    assert sh(f"\\export {target}") == 0, sh.err
    assert [row["Last_Name"] for row in csv_rows(target)] == names_in(orgs["one"], query)
    assert names_in(orgs["one"], query) != names_in(orgs["two"], query)  # (two orgs indeed)


def test_rows_kept_of_the_old_org_are_written_and_said_to_be_its(
    session: Callable[..., Session], orgs: dict[str, Sandbox], tmp_path: Path
) -> None:
    """Rows kept from one's query are the rows shown, and cost nothing: ``\\export`` after
    ``\\profile two`` writes them, says they were read on profile one, and writes their
    datetimes in one's zone (they were written in two's); ``\\tz`` since still decides."""
    query = "select Last_Name, Created_Time from Leads order by Last_Name, id limit 3"
    sh = session()
    assert sh(f"{query};") == 0, sh.err
    assert sh("\\profile two") == 0
    two = mark(orgs["two"])
    target = tmp_path / "kept.csv"
    assert sh(f"\\export {target}") == 0, sh.err
    assert sh.err.startswith(
        f"wrote 3 rows to {target} · the rows of the last query, kept, read on profile one · 0 calls · 0 credits"
    )
    assert coql_calls(orgs["two"], two) == 0
    rows = csv_rows(target)
    assert [row["Last_Name"] for row in rows] == names_in(orgs["one"], query)
    assert all(row["Created_Time"].endswith("+05:30") for row in rows), rows  # one's zone, Kolkata
    assert sh("\\tz UTC") == 0 and sh(f"\\export {target}") == 0
    assert all(not row["Created_Time"].endswith("+05:30") for row in csv_rows(target))


# ---- #4: the credits question ----------------------------------------------------------------------


def test_the_credits_question_asks_about_what_is_still_to_be_spent(
    session: Callable[..., Session], orgs: dict[str, Sandbox], tmp_path: Path
) -> None:
    """600 leads: a COUNT probe (1 credit) then one page of 600 rows (2 credits). The
    question said "3 credits (2 calls)", the probe counted although spent (a remembered count
    made the same read "2 credits (1 call)"). Now it asks about the 2 credits and 1 call
    still to come, says the probe's apart, and a read whose rest costs exactly the
    threshold is not asked about."""
    asked: list[str] = []

    def confirm(question: str) -> bool:
        asked.append(question)
        return False

    sh = session(config=ReplConfig(pager=False, confirm_above_credits=1), confirm=confirm)
    sh.shell.conn.aio.counts.forget()
    assert sh("select Last_Name from Leads;") == 0
    assert asked == [
        "This query would spend about 2 credits (1 call), besides the 1 credit spent counting its records. Run it?"
    ]
    assert sh.err == "not run\n"
    # \export plans it again: a single call sized to its count is planned from a fresh
    # probe (spent again, and said), the read it asks about the same.
    assert sh(f"\\export {tmp_path / 'all.csv'}") == 0
    assert asked[1:] == asked[:1]
    assert sh.err == (
        "\\export runs the last query again (its rows were not read): about 1 call, 2 credits, "
        "besides the 1 credit spent counting its records\nnot run\n"
    )
    # At the threshold (2 credits still to spend), not asked, though the probe made it 3.
    sh = session(config=ReplConfig(pager=False, confirm_above_credits=2), confirm=confirm)
    sh.shell.conn.aio.counts.forget()
    assert sh("select Last_Name from Leads;") == 0 and "(600 rows)" in sh.out
    assert len(asked) == 2


# ---- #5: \credits and the toolbar across \profile -----------------------------------------------------


def test_credits_are_kept_per_profile_across_switches(
    session: Callable[..., Session], orgs: dict[str, Sandbox]
) -> None:
    """``\\profile two`` then ``\\profile one`` said "0 credits used this session; Zoho has
    not said how many are left today", though one had spent some and Zoho had said."""
    state = orgs["one"].state
    assert state is not None
    sh = session()
    assert sh("select Last_Name from Leads limit 2;") == 0
    with state.lock:  # other integrations spend more than half of one's day: Zoho says what is left
        state.credits_used = max(state.credits_used, BUDGET // 2 + 1)
    assert sh("select Last_Name from Leads limit 2;") == 0
    assert sh("\\credits") == 0
    spent_one, left = sh.shell.conn.credits_used, BUDGET - state.credits_used
    assert sh.err == f"{spent_one:,} credits used this session; {left:,} left today\n"
    assert sh("\\profile two") == 0 and sh("select Last_Name from Leads limit 2;") == 0
    spent_two = sh.shell.conn.credits_used
    assert sh("\\credits") == 0
    assert sh.err == (
        f"{spent_two:,} credits used this session on two ({spent_one:,} on one); "
        "Zoho has not said how many are left today\n"
    )
    # Back on one, on a connection Zoho has told nothing yet (the org below half its day
    # again: Zoho says nothing of what is left), the figure said before is kept.
    with state.lock:
        spent_before, state.credits_used = state.credits_used, 0
    assert sh("\\profile one") == 0
    assert sh.shell.conn.credits_remaining is None
    assert sh.shell.session_credits == spent_one + sh.shell.conn.credits_used
    assert sh("\\credits") == 0
    since = sh.shell.conn.credits_used
    assert sh.err == (
        f"{spent_one + since:,} credits used this session on one ({spent_two:,} on two); "
        f"about {left - since:,} left today (Zoho said {left:,} before \\profile, "
        f"less the {since:,} credit{'s' if since != 1 else ''} spent here since)\n"
    )
    with state.lock:  # past half of its day again: the next call is told, and that is said
        state.credits_used = spent_before
    assert sh("select Last_Name from Leads limit 2;") == 0
    assert sh("\\credits") == 0
    now = BUDGET - state.credits_used
    assert sh.err == (
        f"{spent_one + sh.shell.conn.credits_used:,} credits used this session on one "
        f"({spent_two:,} on two); {now:,} left today\n"
    )


def test_the_toolbar_counts_the_profiles_whole_session(orgs: dict[str, Sandbox]) -> None:
    """The toolbar's "N credits used" went back to 0 at every ``\\profile``."""
    opened: list[coqlkit.Connection] = []

    def connect(name: str) -> coqlkit.Connection:
        opened.append(coqlkit.connect(sandbox=orgs[name]))
        return opened[-1]

    config = ReplConfig(history_size=0, pager=False, timing=False)
    with create_pipe_input() as keyboard, create_app_session(input=keyboard, output=DummyOutput()):
        repl = Repl(connect("two"), config, label="two")
        repl.shell.connect_profile = connect
        try:
            assert repl.shell.execute("select Last_Name from Leads limit 2;") == 0
            spent = repl.shell.conn.credits_used
            assert spent > 0
            assert repl.shell.execute("\\profile one") == 0 and repl.shell.execute("\\profile two") == 0
            total = spent + repl.shell.conn.credits_used
            shown = "".join(text for _, text, *_ in repl._toolbar_at("", 0))
            assert f" {total:,} credit{'' if total == 1 else 's'} used" in shown, shown
        finally:
            repl.shell.close()
            for conn in opened:
                conn.close()
