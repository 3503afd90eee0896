"""``coqlkit query`` whose read comes back short (records deleted or changed during it:
live records may be missing) exits 6, as ``export`` does and as the exit-code table says:
``-o FILE`` is left as it was (none is written where there was none); rows already written
to standard output cannot be taken back, and the error says so. ``--allow-short`` makes it
the warning it was."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import RECORDS, Ran, point_at, short_read_org

QUERY = "select Last_Name from Leads"
MISSING = (
    "100 fewer rows than counted (2,900 of 3,000): records were deleted or changed during the read: "
    "records that still match may be missing from the result (the pages after a deleted one shift), "
    "and deleted ones may be in it"
)


@pytest.fixture
def changing(seeded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An org whose reads come back 100 rows short (:func:`short_read_org`), pointed at; the
    directory the test writes in."""
    with short_read_org(seeded, tmp_path, monkeypatch) as running:
        point_at(running, monkeypatch)
        out = tmp_path / "out"
        out.mkdir()
        yield out


def test_query_o_file_is_left_as_it_was(cli: Callable[..., Ran], changing: Path) -> None:
    target = changing / "daily.csv"
    target.write_text("yesterday\n")
    ran = cli("query", "-c", QUERY, "-o", str(target))
    assert ran.status == 6, ran
    lines = ran.err.splitlines()
    assert lines[:2] == [
        f"coqlkit: error: {MISSING}; run it again (--allow-short writes what was read)",
        f"coqlkit: {target} was left as it was (a read came back short)",
    ]
    assert lines[2].startswith("coqlkit: spent ") and lines[2].endswith(" before failing")
    assert target.read_text() == "yesterday\n" and sorted(p.name for p in changing.iterdir()) == ["daily.csv"]


def test_query_o_file_is_not_written_where_there_was_none(cli: Callable[..., Ran], changing: Path) -> None:
    target = changing / "new.csv"
    ran = cli("query", "-c", QUERY, "-o", str(target), "-q")
    assert ran.status == 6, ran
    assert f"coqlkit: {target} was not written (a read came back short)\n" in ran.err
    assert list(changing.iterdir()) == []


def test_standard_output_cannot_be_taken_back_but_the_status_says_it(
    cli: Callable[..., Ran], changing: Path
) -> None:
    ran = cli("query", "-c", QUERY)
    assert ran.status == 6, ran
    assert len(ran.out.splitlines()) == 1 + RECORDS - 100  # written as they came
    assert ran.err == (
        f"coqlkit: error: {MISSING}; the 2,900 rows written to standard output are not all of them: "
        "run it again (--allow-short makes this a warning)\n"
    )


def test_allow_short_writes_what_was_read(cli: Callable[..., Ran], changing: Path) -> None:
    target = changing / "daily.csv"
    ran = cli("query", "-c", QUERY, "-o", str(target), "--allow-short")
    assert ran.status == 0, ran
    assert ran.err == (
        "coqlkit: warning: 100 fewer rows than counted (2,900 of 3,000): records were deleted or changed "
        "during the read: records that still match may be missing from the result (the pages after a "
        "deleted one shift), and deleted ones may be in it; run it again\n"
    )
    assert len(target.read_text().splitlines()) == 1 + RECORDS - 100


def test_a_script_runs_on_and_exits_6(cli: Callable[..., Ran], changing: Path) -> None:
    """Piped into ``coqlkit``: the short query fails where it is, the rest runs, the status says it."""
    ran = cli(stdin=f"{QUERY};\nselect Last_Name from Leads limit 1;\n")
    assert ran.status == 6, ran
    assert ran.err.startswith(f"coqlkit: error: <stdin>:1: {MISSING}; the 2,900 rows written"), ran
    assert ran.out.splitlines()[-2:] == ["id,Last_Name", ran.out.splitlines()[-1]]
