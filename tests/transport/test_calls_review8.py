"""Calls counted as Zoho counts them (review 8, ops #6): a call whose connection was never
made reached no server, and is no call, as it costs no credit. The client counted each
attempt before sending it: a server down said "spent 0 credits (3 calls)", a read cut
off by a restart "31 credits (24 calls)" where the server had logged 11 calls."""

from __future__ import annotations

import asyncio
import io
import sys
from pathlib import Path

import pytest

from coqlkit.cli import main
from coqlkit.errors import TransportError
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import AsyncZohoClient, FileTokenStore
from tests.transport.conftest import FAST, settings_for


def crm_calls(sandbox: Sandbox) -> int:
    assert sandbox.state is not None
    return len([e for e in sandbox.state.requests if e["path"].startswith("/crm/")])


def test_calls_to_a_server_that_stopped_are_not_counted(org_db: str, store: FileTokenStore) -> None:
    """Two calls answered, then the server stops: the third is refused on every attempt
    (five: the host answered before), and the client's count stays the server's two."""
    with Sandbox(records=400, db=org_db) as sandbox:

        async def main() -> tuple[TransportError, int, int, int]:
            async with AsyncZohoClient(settings_for(sandbox, store), retry=FAST) as zoho:
                await zoho.org()
                await zoho.current_user()
                sandbox.stop()
                with pytest.raises(TransportError) as info:
                    await zoho.org()
                return info.value, zoho.calls, zoho.sends, zoho.credits_used

        error, calls, sends, used = asyncio.run(main())
        assert "stopped accepting connections mid-read (refused 8 times" in str(error)
        assert (calls, sends, used) == (2, 2, 2) == (crm_calls(sandbox), crm_calls(sandbox), 2)


def test_the_cli_says_no_calls_spent_when_the_server_is_down(
    org_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An export whose token and metadata were kept from a run before, against a server
    down since: the three attempts at its first call reached nothing, so no "spent" line
    ("spent 0 credits (3 calls)" before)."""
    monkeypatch.setenv("COQLKIT_TOKEN_STORE", "file")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    query = "select Last_Name from Leads where Lead_Source = 'Chat'"
    with Sandbox(records=400, db=org_db) as sandbox:
        for name, value in sandbox.environment().items():
            monkeypatch.setenv(name, value)
        assert main(["export", query, str(tmp_path / "first.csv")]) == 0
    capsys.readouterr()
    status = main(["export", query, str(tmp_path / "second.csv")])
    err = capsys.readouterr().err
    assert status != 0 and "ConnectError" in err, err
    assert "spent" not in err, err
