"""Every check of a time zone says the zone probably meant, not only the shell's: the
Python API's ``connect(tz=)`` and ``query(tz=)``, and the notebook's ``--tz`` (which said
``unknown time zone 'Kolkata'`` with no hint; review 8, notebook #7)."""

from __future__ import annotations

import pytest

import coqlkit
from coqlkit.sandbox.server import Sandbox


def test_connect_says_the_zone_meant(sandbox: Sandbox) -> None:
    with pytest.raises(coqlkit.OptionError) as info:
        coqlkit.connect(sandbox=sandbox, tz="Kolkata")
    assert str(info.value).endswith("(did you mean 'Asia/Kolkata'?)"), info.value


def test_query_says_the_zone_meant(conn: coqlkit.Connection) -> None:
    with pytest.raises(coqlkit.OptionError) as info:
        conn.query("select Last_Name from Leads limit 1", tz="europe/pari")
    assert str(info.value).endswith("(did you mean 'Europe/Paris'?)"), info.value


def test_an_abbreviation_is_not_guessed(conn: coqlkit.Connection) -> None:
    with pytest.raises(coqlkit.OptionError) as info:
        conn.query("select Last_Name from Leads limit 1", tz="IST")
    assert "did you mean" not in str(info.value)


def test_the_notebooks_tz_says_it_too() -> None:
    from coqlkit.notebook import _UsageError, _zone

    with pytest.raises(_UsageError) as info:
        _zone("Kolkata", "%coql_connect")
    assert str(info.value) == (
        "%coql_connect: --tz Kolkata: unknown time zone 'Kolkata': give an IANA name such as "
        "'Europe/Paris', or 'UTC' (did you mean 'Asia/Kolkata'?)"
    )
