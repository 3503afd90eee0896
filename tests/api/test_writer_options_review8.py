"""An option ``to_parquet()`` or ``to_csv()`` cannot take is a ``coqlkit.OptionError``, as
``to_pandas()``'s are, before a row is read: it was pyarrow's ``TypeError: __cinit__() got
an unexpected keyword argument`` or ``ArrowException: Unsupported compression``, which
``except coqlkit.CoqlError`` missed (own-diff review A #4)."""

from __future__ import annotations

from pathlib import Path

import pytest

import coqlkit
from coqlkit.sandbox.server import Sandbox
from tests.api._support import RequestLog

QUERY = "select Last_Name from Leads limit 5"


@pytest.mark.parametrize(
    ("method", "options", "said"),
    [
        (
            "to_parquet",
            {"compresion": "snappy"},
            "to_parquet() takes no option 'compresion' (did you mean compression?)",
        ),
        ("to_parquet", {"compression": "nope"}, "to_parquet(): "),
        ("to_csv", {"delimeter": ";"}, "to_csv() takes no option 'delimeter' (did you mean delimiter?)"),
    ],
)
def test_a_bad_writer_option_is_an_option_error_before_a_row_is_read(
    sandbox: Sandbox, tmp_path: Path, method: str, options: dict[str, object], said: str
) -> None:
    log = RequestLog(sandbox)
    with coqlkit.connect(sandbox=sandbox) as conn:
        result = conn.query(QUERY)
        log.mark()
        with pytest.raises(coqlkit.OptionError) as info:
            getattr(result, method)(tmp_path / "out", **options)
        assert said in str(info.value)
        assert log.coql() == [] and not (tmp_path / "out").exists()


def test_the_options_they_take_still_go_through(conn: coqlkit.Connection, tmp_path: Path) -> None:
    result = conn.query(QUERY)
    result.to_arrow()
    assert result.to_parquet(tmp_path / "a.parquet", compression="snappy", row_group_rows=2).exists()
    assert result.to_csv(tmp_path / "a.csv", delimiter=";").read_text().startswith("id;Last_Name\n")
