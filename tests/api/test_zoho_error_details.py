"""A query Zoho refuses (the checks off) says in its message what Zoho's details name,
through the Python API and the DB-API alike, and still quotes no secret."""

from __future__ import annotations

import pickle

import pytest

import coqlkit
from coqlkit import dbapi
from coqlkit.sandbox.server import Sandbox
from tests.api._support import leaks, secrets_of


def test_an_unknown_column_is_named_in_the_message(conn: coqlkit.Connection, sandbox: Sandbox) -> None:
    with pytest.raises(coqlkit.ZohoApiError) as caught:
        conn.query("select Emial from Leads limit 3", check=False).to_arrow()
    error = caught.value
    assert (error.code, error.status, error.details) == ("INVALID_QUERY", 400, {"column_name": "Emial"})
    assert str(error) == "column given seems to be invalid (column_name: Emial)"
    back = pickle.loads(pickle.dumps(error))  # as a process pool's worker hands it back
    assert (str(back), back.details, back.status) == (str(error), error.details, 400)
    assert leaks(f"{error!s} {error!r}", secrets_of(sandbox)) == []


def test_the_db_api_error_names_it_too(sandbox: Sandbox) -> None:
    with dbapi.connect(sandbox=sandbox) as db:
        cur = db.cursor()
        cur.result = db.api.query("select Last_Name from Leads where Last_Nme = 'x' limit 3", check=False)
        with pytest.raises(dbapi.ProgrammingError) as caught:
            cur.fetchall()
    assert "column_name: Last_Nme" in str(caught.value)
