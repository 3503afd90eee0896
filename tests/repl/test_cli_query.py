"""``coqlkit query``, ``explain``, ``export`` and ``coqlkit`` reading standard input: data on
stdout, messages on stderr, and every exit code.

Most run ``coqlkit.cli.main`` in this process (its streams captured), pointed at a sandbox
through the ``ZOHO_*`` variables or a profile; those that need a process of their own
(a pipe, a signal, ``--sandbox``) run ``python -m coqlkit``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from coqlkit.cli import main
from coqlkit.cli._query import NO_PROFILE
from coqlkit.sandbox.config import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN
from coqlkit.sandbox.server import Sandbox

RECORDS = 3_000


@pytest.fixture(scope="module")
def org_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.getbasetemp() / "repl-org.sqlite3"


@pytest.fixture(scope="module")
def sandbox(org_db: Path) -> Iterator[Sandbox]:
    with Sandbox(records=RECORDS, db=str(org_db)) as running:
        yield running


@pytest.fixture(scope="module")
def slow(org_db: Path, sandbox: Sandbox) -> Iterator[Sandbox]:
    """Every CRM call answered after 500 ms."""
    with Sandbox(records=RECORDS, db=str(org_db), latency_ms=500) as running:
        yield running


@pytest.fixture(scope="module")
def first(sandbox: Sandbox) -> list[str]:
    """The Last_Name of the first Leads by id, read straight from the org's database."""
    import sqlite3

    assert sandbox.state is not None
    db = sqlite3.connect(f"file:{sandbox.config.db}?mode=ro", uri=True)
    try:
        return [row[0] for row in db.execute('select Last_Name from "Leads" order by id limit 10')]
    finally:
        db.close()


@pytest.fixture
def zoho(monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox) -> dict[str, str]:
    """The ZOHO_* variables of the sandbox, set for this process (and given to children)."""
    for name, value in sandbox.environment().items():
        monkeypatch.setenv(name, value)
    return sandbox.environment()


class Ran:
    def __init__(self, status: int, out: str, err: str) -> None:
        self.status, self.out, self.err = status, out, err

    def __repr__(self) -> str:
        return f"<exit {self.status}\nstdout: {self.out[-500:]!r}\nstderr: {self.err[-1500:]!r}>"


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """``cli(*args, stdin=...)``: ``coqlkit ARGS`` in this process; its exit status and output."""

    def run(*args: str, stdin: str = "") -> Ran:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        try:
            status = main(list(args))
        except SystemExit as exc:  # argparse's usage errors
            status = int(exc.code or 0)
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return Ran(status, out, err)

    return run


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOHO_", "COQLKIT_"))}
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str], stdin: str = "") -> Ran:
    """``python -m coqlkit ARGS`` in a process of its own."""
    done = subprocess.run(
        [sys.executable, "-m", "coqlkit", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return Ran(done.returncode, done.stdout, done.stderr)


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def coql_calls(sandbox: Sandbox, since: int) -> list[dict[str, Any]]:
    assert sandbox.state is not None
    return [e for e in list(sandbox.state.requests)[since:] if e["path"].startswith("/crm/")]


# ---- coqlkit query ----------------------------------------------------------------------------------


def test_query_command(cli: Any, zoho: dict[str, str], first: list[str]) -> None:
    ran = cli("query", "-c", "select Last_Name, Owner from Leads limit 3")
    assert ran.status == 0, ran
    rows = csv_rows(ran.out)  # not a terminal: CSV
    assert [r["Last_Name"] for r in rows] == first[:3]
    assert list(rows[0]) == ["id", "Last_Name", "Owner.name", "Owner.id"]
    assert ran.err == ""  # no timing line when stderr is not a terminal


def test_query_statements_and_commands(cli: Any, zoho: dict[str, str], first: list[str]) -> None:
    text = "select Last_Name from Leads limit 1; select Email from Leads limit 1;\n\\T jsonl\nselect Last_Name from Leads limit 2"
    ran = cli("query", "--command", text)
    assert ran.status == 0, ran
    lines = ran.out.splitlines()
    assert lines[:2] == ["id,Last_Name", f"4150868000100000001,{first[0]}"]
    assert lines[2] == "id,Email"
    assert [json.loads(line)["Last_Name"] for line in lines[4:]] == first[:2]
    assert ran.err == "format: jsonl\n"


@pytest.mark.parametrize(
    "fmt", ["csv", "tsv", "json", "jsonl", "table", "vertical", "markdown", "fancy_grid"]
)
def test_query_format(cli: Any, zoho: dict[str, str], first: list[str], fmt: str) -> None:
    ran = cli("query", "-c", "select Last_Name, No_of_Employees from Leads limit 2", "--format", fmt)
    assert ran.status == 0, ran
    if fmt in ("csv", "tsv"):
        rows = list(csv.DictReader(io.StringIO(ran.out), delimiter="," if fmt == "csv" else "\t"))
        assert [r["Last_Name"] for r in rows] == first[:2]
    elif fmt == "json":
        assert [r["Last_Name"] for r in json.loads(ran.out)] == first[:2]
    elif fmt == "jsonl":
        assert [json.loads(line)["Last_Name"] for line in ran.out.splitlines()] == first[:2]
    elif fmt == "table":
        assert ran.out.splitlines()[1].split("|")[1:3] == [" id                  ", " Last_Name   "]
        assert ran.out.endswith("(2 rows)\n")
    else:
        assert first[0] in ran.out and first[1] in ran.out
    assert ran.err == ""


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_query_writes_every_row(cli: Any, zoho: dict[str, str], fmt: str) -> None:
    """Not for a person's screen: the display's row cap (1,000) does not apply, and data
    formats hold nothing but the data."""
    ran = cli("query", "-c", "select Last_Name from Leads", "--format", fmt)
    assert ran.status == 0, ran
    if fmt == "csv":
        assert len(csv_rows(ran.out)) == RECORDS
    elif fmt == "json":
        assert len(json.loads(ran.out)) == RECORDS
    else:
        assert len([line for line in ran.out.splitlines() if line.startswith("| 4150868")]) == RECORDS
        assert ran.out.endswith(f"({RECORDS:,} rows)\n")


def test_query_to_a_file(cli: Any, zoho: dict[str, str], tmp_path: Path, first: list[str]) -> None:
    target = tmp_path / "leads.csv"
    ran = cli("query", "-c", "select Last_Name from Leads limit 4", "-o", str(target))
    assert (ran.status, ran.out, ran.err) == (0, "", "")
    assert [r["Last_Name"] for r in csv_rows(target.read_text())] == first[:4]
    ran = cli(
        "query", "-c", "select Last_Name from Leads limit 2", "--output", str(target), "--format", "json"
    )
    assert ran.status == 0 and ran.out == ""
    assert [r["Last_Name"] for r in json.loads(target.read_text())] == first[:2]


def test_query_to_a_file_that_cannot_be_written(cli: Any, zoho: dict[str, str], tmp_path: Path) -> None:
    ran = cli("query", "-c", "select Last_Name from Leads limit 1", "-o", str(tmp_path / "no" / "dir.csv"))
    assert ran.status == 2 and "No such file or directory" in ran.err and ran.out == ""


def test_query_file_and_stdin(cli: Any, zoho: dict[str, str], tmp_path: Path, first: list[str]) -> None:
    script = tmp_path / "leads.coql"
    script.write_text("-- the first two\nselect Last_Name\n  from Leads\n  limit 2;\n")
    expected = f"id,Last_Name\n4150868000100000001,{first[0]}\n4150868000100000002,{first[1]}\n"
    assert cli("query", "-f", str(script)).out == expected
    assert cli("query", "--file", "-", stdin=script.read_text()).out == expected
    assert cli("query", stdin=script.read_text()).out == expected
    assert cli(stdin=script.read_text()).out == expected  # `coqlkit` with no command, not on a terminal
    ran = cli("query", "-f", str(tmp_path / "missing.coql"))
    assert ran.status == 2 and ran.err == f"coqlkit: {tmp_path / 'missing.coql'}: No such file or directory\n"


def test_query_params(cli: Any, zoho: dict[str, str]) -> None:
    ran = cli(
        "query",
        "-c",
        "select Last_Name, Lead_Status, No_of_Employees from Leads "
        "where Lead_Status = :status and No_of_Employees >= :size limit 5",
        "--param",
        "status=Contacted",
        "--param=:size=50",
    )
    assert ran.status == 0, ran
    rows = csv_rows(ran.out)
    assert len(rows) == 5
    assert all(r["Lead_Status"] == "Contacted" and int(r["No_of_Employees"]) >= 50 for r in rows)
    ran = cli(
        "query",
        "-c",
        "select Last_Name from Leads where Company = :company limit 1",
        "--param",
        "company='a = b'",
    )
    assert ran.status == 0 and ran.out == "id,Last_Name\n"  # quoted: text, kept whole


@pytest.mark.parametrize(
    "args",
    [
        ["--param", "status"],
        ["--param", "2x=1"],
        ["--format", "nope"],
    ],
)
def test_usage_errors_are_found_before_connecting(
    cli: Any, zoho: dict[str, str], sandbox: Sandbox, args: list[str]
) -> None:
    assert sandbox.state is not None
    since = len(sandbox.state.requests)
    ran = cli("query", "-c", "select Last_Name from Leads where Lead_Status = :status", *args)
    assert ran.status == 2 and ran.out == ""
    assert ran.err.startswith("coqlkit: ")
    assert coql_calls(sandbox, since) == []


# ---- coqlkit explain, coqlkit export ----------------------------------------------------------------


def test_explain(cli: Any, zoho: dict[str, str]) -> None:
    ran = cli(
        "explain", "select Last_Name from Leads where Lead_Status = :status", "--param", "status=Contacted"
    )
    assert ran.status == 0, ran
    assert ran.out.startswith("Plan: ")
    assert (
        "COUNT probe" in ran.out and "select COUNT(id) from Leads where Lead_Status = 'Contacted'" in ran.out
    )
    assert "Actual" not in ran.out
    ran = cli("explain", "select Last_Name from Leads limit 3;", "--analyze")
    assert ran.status == 0, ran
    assert "actual: 1 call, 1 credit, 3 rows" in ran.out and "\nActual: 3 rows" in ran.out


@pytest.mark.parametrize("kind", ["parquet", "csv", "jsonl"])
def test_export(cli: Any, zoho: dict[str, str], tmp_path: Path, kind: str, first: list[str]) -> None:
    target = tmp_path / f"leads.{kind}"
    ran = cli(
        "export",
        "select Last_Name, Owner from Leads where Lead_Status != :s",
        str(target),
        "--param",
        "s=Contacted",
    )
    assert ran.status == 0, ran
    assert ran.out == ""
    count = int(ran.err.split()[1].replace(",", ""))
    assert ran.err.startswith(f"wrote {count:,} rows to {target}") and count > 2000  # more than one page
    if kind == "parquet":
        table = pq.read_table(target)
        assert table.num_rows == count and table.column_names == ["id", "Last_Name", "Owner"]
    elif kind == "csv":
        assert len(csv_rows(target.read_text())) == count
    else:
        assert len(target.read_text().splitlines()) == count
    assert os.listdir(tmp_path) == [target.name]


def test_export_refuses_an_unknown_format(cli: Any, zoho: dict[str, str], tmp_path: Path) -> None:
    ran = cli("export", "select Last_Name from Leads", str(tmp_path / "leads.xlsx"))
    assert ran.status == 2 and "cannot tell the format of leads.xlsx" in ran.err
    assert os.listdir(tmp_path) == []


# ---- exit codes --------------------------------------------------------------------------------------


def test_exit_1_a_wrong_query(cli: Any, zoho: dict[str, str], sandbox: Sandbox) -> None:
    assert sandbox.state is not None
    cli("query", "-c", "select Last_Name from Leads limit 1")  # the metadata is cached
    since = len(sandbox.state.requests)
    ran = cli("query", "-c", "select Emial from Leads; select Last_Name from Leads limit 1")
    assert ran.status == 1
    assert ran.err == (
        "1:8: error[INVALID_QUERY]: Leads has no field Emial\n"
        "  select Emial from Leads\n"
        "         ^^^^^\n"
        "  hint: did you mean Email?\n"
    )
    assert ran.out.startswith("id,Last_Name\n")  # the next statement still ran
    assert [e["path"] for e in coql_calls(sandbox, since) if e["path"].endswith("/coql")] == ["/crm/v8/coql"]
    ran = cli("explain", "select Last_Name from Leads limit")
    assert ran.status == 1 and "SYNTAX_ERROR" in ran.err


def test_exit_2_no_org_configured(cli: Any) -> None:
    ran = cli("query", "-c", "select Last_Name from Leads")
    assert ran.status == 2 and ran.err == NO_PROFILE + "\n" and ran.out == ""
    assert len(NO_PROFILE.splitlines()) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["query", "--bogus"], "unrecognized arguments: --bogus"),
        (["query", "-c", "x", "-f", "y"], "not allowed with argument"),
        (["--profile", "nowhere", "query", "-c", "select Last_Name from Leads"], "no profile 'nowhere'"),
        (["--records", "5", "query", "-c", "select Last_Name from Leads"], "--records sizes the sandbox"),
        (["query", "-c", "\\frobnicate"], "unknown command \\frobnicate"),
        (["sandbox"], "usage: coqlkit sandbox"),
    ],
)
def test_exit_2_usage(cli: Any, zoho: dict[str, str], args: list[str], message: str) -> None:
    ran = cli(*args)
    assert ran.status == 2 and message in ran.err, ran


def free_port() -> int:
    """A port nothing listens on (bound, then let go)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def profiles(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """``profiles(name={...})`` writes a profiles file of this test's own (and its own token
    store and caches); the sandbox's secrets come from the environment."""
    for name in ("CONFIG", "DATA", "CACHE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    monkeypatch.setenv("COQLKIT_TOKEN_STORE", "file")
    monkeypatch.setenv("ZOHO_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("ZOHO_REFRESH_TOKEN", REFRESH_TOKEN)

    def write(**profiles: dict[str, Any]) -> None:
        lines = []
        for name, values in profiles.items():
            lines.append(f"[profiles.{name}]")
            lines.extend(
                f"{key} = {json.dumps(value)}" for key, value in {"client_id": CLIENT_ID, **values}.items()
            )
        path = tmp_path / "config" / "coqlkit" / "config.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")

    return write


def test_exit_3_connection_refused(cli: Any, profiles: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    profiles(closed={"retries": 1})
    monkeypatch.setenv("ZOHO_BASE_URL", f"http://127.0.0.1:{free_port()}")
    ran = cli("--profile", "closed", "query", "-c", "select Last_Name from Leads")
    assert ran.status == 3, ran
    assert "ConnectError" in ran.err and ran.out == ""


def test_exit_3_authentication(cli: Any, zoho: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOHO_CLIENT_SECRET", "not-the-secret")
    monkeypatch.setenv("ZOHO_CLIENT_ID", "1000.SOMEONE-ELSE")
    ran = cli("query", "-c", "select Last_Name from Leads")
    assert ran.status == 3, ran
    assert "Zoho refused the token request: invalid_client" in ran.err and CLIENT_SECRET not in ran.err


def test_exit_4_timeout(cli: Any, profiles: Any, slow: Sandbox) -> None:
    profiles(slow={"base_url": slow.base_url, "timeout": 0.2, "retries": 1})
    ran = cli("--profile", "slow", "query", "-c", "select Last_Name from Leads")
    assert ran.status == 4, ran
    assert "timed out" in ran.err and ran.out == ""


def test_exit_5_the_profiles_credit_budget(cli: Any, profiles: Any, sandbox: Sandbox) -> None:
    profiles(frugal={"base_url": sandbox.base_url, "credit_budget": 5})
    ran = cli("--profile", "frugal", "query", "-c", "select Last_Name from Leads")
    assert ran.status == 5, ran
    assert "would cost 6 credits" in ran.err and "the budget is" in ran.err and ran.out == ""


def test_exit_5_the_orgs_credits_are_spent(cli: Any, org_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Sandbox(records=RECORDS, db=str(org_db), daily_credits=4) as poor:
        for name, value in poor.environment().items():
            monkeypatch.setenv(name, value)
        ran = cli("query", "-c", "select Last_Name from Leads")
    assert ran.status == 5, ran
    assert "API limit for the day reached" in ran.err and ran.out == ""


def test_exit_130_interrupted(slow: Sandbox) -> None:
    """SIGINT while the pages are on their way: the read stops, nothing half-written."""
    assert slow.state is not None
    requests = slow.state.requests
    since = len(requests)
    process = subprocess.Popen(
        [sys.executable, "-m", "coqlkit", "query", "-c", "select Last_Name from Leads"],
        env=child_env(**slow.environment()),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not any(e["path"].endswith("/coql") for e in list(requests)[since:]):  # the COUNT probe
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, err
    assert err.endswith("cancelled (Ctrl-C)\n") and "Traceback" not in err
    assert out == ""


# ---- the real command ----------------------------------------------------------------------------


def test_the_sandbox_and_stdin(tmp_path: Path) -> None:
    """The README's first command, with its input piped: `coqlkit --sandbox` runs it."""
    env = child_env(XDG_CACHE_HOME=str(tmp_path / "cache"), XDG_DATA_HOME=str(tmp_path / "data"))
    ran = run(
        ["--sandbox", "--records", "300"], env, stdin="select Last_Name from Leads limit 3;\n\\dt Lead\n"
    )
    assert ran.status == 0, ran
    assert ran.err == "coqlkit: starting the sandbox (the demo org)...\n"
    lines = ran.out.splitlines()
    assert lines[0] == "id,Last_Name" and len(lines) == 6
    assert lines[4:] == ["module,label,custom", "Leads,Leads,false"]


def test_a_reader_that_leaves_early(zoho: dict[str, str]) -> None:
    """`coqlkit query ... | head -1`: stop quietly when the pipe closes."""
    process = subprocess.Popen(
        [sys.executable, "-m", "coqlkit", "query", "-c", "select Last_Name, Email, Company from Leads"],
        env=child_env(**zoho),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline() == b"id,Last_Name,Email,Company\n"
    process.stdout.close()
    err = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(timeout=60) == 0, err
    assert err == ""
