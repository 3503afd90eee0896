"""``--tz``: checked as ``\\tz`` and ``repl.toml``'s ``tz`` check a zone (any case; refused
with the zone probably meant), and given to ``coqlkit`` itself for the shell (the prompt,
or queries piped in), where a command's own ``--tz`` must not hide it. The demo org is in
America/Los_Angeles; its lead 1 was created at 2023-01-12T23:43:32 UTC."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from tests.cli.conftest import Ran

QUERY = "select Created_Time from Leads where id = '4150868000100000001'"


def created(ran: Ran) -> str:
    """The Created_Time of the one row ``ran`` printed as CSV."""
    assert ran.status == 0, ran
    header, row = ran.out.splitlines()[-2:]
    assert header == "id,Created_Time", ran
    return row.split(",")[1]


@pytest.mark.parametrize(
    ("zone", "shown"),
    [("utc", "2023-01-12T23:43:32+00:00"), ("europe/paris", "2023-01-13T00:43:32+01:00")],
)
def test_query_tz_takes_a_zone_in_any_case(
    zoho: None, cli: Callable[..., Ran], zone: str, shown: str
) -> None:
    """``\\tz utc`` was taken, ``--tz utc`` refused: two checkers of a zone."""
    assert created(cli("query", "-c", QUERY, "--format", "csv", "--tz", zone)) == shown


def test_query_tz_names_the_zone_probably_meant(zoho: None, cli: Callable[..., Ran]) -> None:
    ran = cli("query", "-c", QUERY, "--tz", "Kolkata")
    assert ran.status == 2
    assert ran.err.strip() == (
        "coqlkit: --tz Kolkata: unknown time zone 'Kolkata': give an IANA name such as "
        "'Europe/Paris', or 'UTC' (did you mean 'Asia/Kolkata'?)"
    )


def test_coqlkit_tz_reaches_queries_piped_in(zoho: None, cli: Callable[..., Ran]) -> None:
    """``coqlkit --tz ZONE`` was a usage error (``invalid choice``)."""
    assert created(cli("--tz", "asia/kolkata", stdin=f"{QUERY};\n")) == "2023-01-13T05:13:32+05:30"


def test_a_commands_own_tz_does_not_hide_coqlkits(zoho: None, cli: Callable[..., Ran]) -> None:
    """The command's ``--tz`` not given must not put None over ``coqlkit --tz``'s."""
    assert created(cli("--tz", "utc", "query", "-c", QUERY, "--format", "csv")) == "2023-01-12T23:43:32+00:00"
    ran = cli("--tz", "utc", "query", "-c", QUERY, "--format", "csv", "--tz", "Asia/Kolkata")
    assert created(ran) == "2023-01-13T05:13:32+05:30"  # the command's own wins


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_coqlkit_tz_reaches_the_prompt(
    zoho: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The prompt's zone is ``--tz``'s, over ``repl.toml``'s; the org's stays the org's
    (``\\tz org`` goes back to it), so the connection is not given ``--tz``."""
    from coqlkit.cli import main

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "config" / "coqlkit").mkdir(parents=True)
    (tmp_path / "config" / "coqlkit" / "repl.toml").write_text(
        'tz = "UTC"\nformat = "csv"\ntiming = false\nhistory_size = 0\n', encoding="utf-8"
    )
    monkeypatch.setattr(sys, "stdin", _Terminal())
    with create_pipe_input() as keyboard, create_app_session(input=keyboard, output=DummyOutput()):
        keyboard.send_text(f"\\tz\r{QUERY};\r\x04")
        assert main(["--tz", "asia/kolkata"]) == 0
    out, err = capsys.readouterr()
    assert (
        "time zone: Asia/Kolkata, from --tz (the org's is America/Los_Angeles: \\tz org goes back to it)"
        in err
    )
    assert out.splitlines()[-1].endswith(",2023-01-13T05:13:32+05:30")


def test_coqlkit_tz_is_refused_before_the_prompt(
    zoho: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from coqlkit.cli import main

    monkeypatch.setattr(sys, "stdin", _Terminal())
    assert main(["--tz", "PST"]) == 2
    assert capsys.readouterr().err == (
        "coqlkit: --tz PST: unknown time zone 'PST': give an IANA name such as 'Europe/Paris', or 'UTC'\n"
    )


def test_piped_tz_names_the_orgs_own_zone_and_goes_back_to_it(zoho: None, cli: Callable[..., Ran]) -> None:
    """Piped in, ``coqlkit --tz`` is the connection's zone too: ``\\tz`` called it the
    org's, and ``\\tz org`` went back to it, not to the org's own (America/Los_Angeles)."""
    ran = cli("--tz", "utc", stdin=f"\\tz\n\\tz org\n{QUERY};\n")
    assert ran.status == 0, ran
    said = [line for line in ran.err.splitlines() + ran.out.splitlines() if line.startswith("time zone:")]
    assert said == [
        "time zone: UTC, from --tz (the org's is America/Los_Angeles: \\tz org goes back to it)",
        "time zone: America/Los_Angeles (the org's); \\tz ZONE sets another (UTC, Europe/Paris...)",
    ], ran
    assert created(ran) == "2023-01-12T15:43:32-08:00"
