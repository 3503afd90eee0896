"""An org whose time zone Arrow does not know (Zoho's samples show ``"IST"``; ``"PST"``
too): datetimes are shown in UTC, and a warning says so once, naming the zone and how to
give one (``tz=`` / ``--tz``). The zone is not guessed: ``IST`` is India's, Israel's and
Ireland's."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import coqlkit
from coqlkit.sandbox.server import Sandbox
from tests.cli.conftest import RECORDS, Ran, point_at

QUERY = "select Created_Time from Leads limit 1"
WARNING = (
    "the org's time zone 'PST' is not one coqlkit can show datetimes in (an abbreviation may name "
    "several zones): datetimes are in UTC; give the zone with tz= (an IANA name such as "
    "'America/Los_Angeles'), or --tz"
)


@pytest.fixture(scope="module")
def pst(seeded: Path) -> Iterator[Sandbox]:
    """The demo org, its time zone given as Zoho's UI abbreviates it."""
    with Sandbox(records=RECORDS, db=str(seeded), time_zone="PST", token_limit=0) as running:
        yield running


def test_connect_warns_of_an_unknown_org_zone(pst: Sandbox) -> None:
    with pytest.warns(coqlkit.CoqlWarning) as caught:
        conn = coqlkit.connect(sandbox=pst)
    with conn:
        assert [str(w.message) for w in caught] == [WARNING]
        assert caught[0].filename == __file__  # the caller's line, not coqlkit's
        assert conn.query(QUERY).schema.field("Created_Time").type.tz == "UTC"


def test_a_zone_given_is_not_warned_of(pst: Sandbox) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with coqlkit.connect(sandbox=pst, tz="America/Los_Angeles") as conn:
            assert conn.query(QUERY).schema.field("Created_Time").type.tz == "America/Los_Angeles"


def test_connect_async_warns_too(pst: Sandbox) -> None:
    import asyncio

    async def main() -> str:
        with pytest.warns(coqlkit.CoqlWarning, match="the org's time zone 'PST'"):
            conn = await coqlkit.connect_async(sandbox=pst)
        async with conn:
            return str((await conn.query(QUERY)).schema.field("Created_Time").type.tz)

    assert asyncio.run(main()) == "UTC"


def test_the_command_line_warns_in_one_line(
    pst: Sandbox, cli: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(pst, monkeypatch)
    warnings.simplefilter(
        "default", coqlkit.CoqlWarning
    )  # as outside the tests (pytest restores the filters)
    ran = cli("query", "-c", QUERY)
    assert ran.status == 0, ran
    assert ran.err == f"coqlkit: warning: {WARNING}\n"
    assert ran.out.splitlines()[1].endswith("+00:00")
    # --tz gives the zone: nothing to warn of; a zone Arrow does not know is refused first.
    ran = cli("query", "-c", QUERY, "--tz", "America/Los_Angeles")
    assert ran.status == 0 and ran.err == "", ran
    assert ran.out.splitlines()[1].endswith(("-08:00", "-07:00"))
    ran = cli("query", "-c", QUERY, "--tz", "IST")
    assert ran.status == 2, ran
    assert ran.err == (
        "coqlkit: --tz IST: unknown time zone 'IST': give an IANA name such as 'Europe/Paris', or 'UTC'\n"
    )
