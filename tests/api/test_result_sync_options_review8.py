"""The synchronous Result refuses a bad DataFrame option before it reads a row, as the async
one does (it used to read the whole result, spending its credits, then raise), and names
``mkdir`` in its export signatures as the async one does."""

from __future__ import annotations

import inspect

import pytest

import coqlkit
from coqlkit.api import Result
from coqlkit.sandbox.server import Sandbox
from tests.api._support import RequestLog

QUERY = "select Last_Name, Annual_Revenue from Leads limit 5"


def test_a_bad_frame_option_reads_nothing(sandbox: Sandbox) -> None:
    pytest.importorskip("pandas")
    log = RequestLog(sandbox)
    with coqlkit.connect(sandbox=sandbox) as conn:
        result = conn.query(QUERY)
        log.mark()
        with pytest.raises(coqlkit.OptionError, match="date_as_objet"):
            result.to_pandas(date_as_objet=True)
        with pytest.raises(coqlkit.OptionError, match="decimals='arrow'"):
            result.to_polars(decimals="arrow")
        assert log.coql() == [] and result.stats.calls == 0  # nothing read for them
        assert len(result.to_pandas()) == 5  # and still readable


def test_mkdir_is_named_in_the_sync_signatures() -> None:
    for method in (Result.to_parquet, Result.to_csv):
        assert inspect.signature(method).parameters["mkdir"].default is False
