"""An option or value ``to_pandas()`` or ``to_polars()`` cannot take is a
``coqlkit.OptionError`` (a ``CoqlError``, and a ``TypeError`` and ``ValueError`` as before),
as ``query()`` refuses its options: ``except coqlkit.CoqlError`` catches it (review 8,
embed #3). The async result refuses it before its rows are read."""

from __future__ import annotations

import asyncio

import pytest

import coqlkit
from coqlkit.sandbox.server import Sandbox
from tests.api._support import RequestLog

QUERY = "select Last_Name, Annual_Revenue, Owner from Leads limit 5"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"decimals": "nope"}, "decimals='nope': give 'float', 'decimal' (exact) or 'arrow' (exact)"),
        ({"lookups": "names"}, "lookups='names': give 'name', 'flatten' or 'struct'"),
        ({"bogus": 1}, "to_pandas() takes no option 'bogus' (it takes decimals, lookups and pyarrow"),
        (
            {"date_as_objet": True},
            "to_pandas() takes no option 'date_as_objet' (did you mean date_as_object?)",
        ),
        ({"lookup": "flatten"}, "(did you mean lookups?)"),
    ],
)
def test_to_pandas_refuses_with_an_option_error(
    conn: coqlkit.Connection, options: dict[str, object], message: str
) -> None:
    with pytest.raises(coqlkit.OptionError) as caught:
        conn.query(QUERY).to_pandas(**options)  # type: ignore[arg-type]
    assert message in str(caught.value)
    assert isinstance(caught.value, coqlkit.CoqlError)
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, ValueError)  # as before


def test_pyarrows_own_options_still_go_through(conn: coqlkit.Connection) -> None:
    frame = conn.query(QUERY).to_pandas(strings_to_categorical=True, use_threads=False)
    assert str(frame["Last_Name"].dtype) == "category"


def test_to_polars_refuses_with_an_option_error(conn: coqlkit.Connection) -> None:
    with pytest.raises(coqlkit.OptionError, match="decimals='arrow'"):
        conn.query(QUERY).to_polars(decimals="arrow")


def test_the_async_result_refuses_before_reading(sandbox: Sandbox) -> None:
    log = RequestLog(sandbox)

    async def main() -> None:
        async with await coqlkit.connect_async(sandbox=sandbox) as conn:
            result = await conn.query(QUERY)
            log.mark()
            with pytest.raises(coqlkit.OptionError, match="takes no option 'bogus'"):
                await result.to_pandas(bogus=1)
            with pytest.raises(coqlkit.OptionError, match="decimals='nope'"):
                await result.to_pandas(decimals="nope")
            with pytest.raises(coqlkit.OptionError, match="decimals='arrow'"):
                await result.to_polars(decimals="arrow")
            assert log.coql() == [] and result.stats.calls == 0  # nothing read for them
            assert len(await result.to_pandas(lookups="flatten")) == 5  # and still readable

    asyncio.run(main())
