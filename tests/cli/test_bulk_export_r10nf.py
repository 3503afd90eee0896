"""``coqlkit export`` of a nightly bulk read (review N), against the sandbox over real HTTP:

- #2: records deleted between the COUNT probe and a one-job bulk read are a note (the rows
  are the job's snapshot, none missing), not a short read (exit 6, the file left as it
  was); a COQL read of the same org is still one;
- #4: ``--bulk-job-seconds`` sets how long a job is expected to take (the error of a job
  given up advised it, and the command had no way to set it); a wrong value is a usage
  error before anything is spent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow.csv as pv
import pytest

from tests.cli.conftest import RECORDS, Ran, point_at, short_read_org

QUERY = "select Last_Name, Email from Leads"


@pytest.fixture
def changing(seeded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An org whose oldest 100 Leads are deleted after a query's COUNT probe, pointed at."""
    with short_read_org(seeded, tmp_path, monkeypatch) as running:
        point_at(running, monkeypatch)
        out = tmp_path / "out"
        out.mkdir()
        yield out


def test_a_one_job_bulk_export_of_a_changed_org_writes_its_snapshot(
    cli: Callable[..., Ran], changing: Path
) -> None:
    target = changing / "leads.csv"
    target.write_text("yesterday\n")
    stats = changing / "stats.json"
    ran = cli("export", QUERY, str(target), "--strategy", "bulk", "--stats-json", str(stats))
    assert ran.status == 0, ran
    assert pv.read_csv(target).num_rows == RECORDS - 100
    notes = [line for line in ran.err.splitlines() if line.startswith("coqlkit: note: ")]
    assert len(notes) == 1, ran
    assert notes[0].startswith(
        "coqlkit: note: 100 fewer rows than the COUNT probe found (2,900, not 3,000): records were "
        "created, changed or deleted between the count and the snapshot Zoho took when it ran the "
        "bulk-read job "
    )
    assert notes[0].endswith("the rows are that snapshot, every record that matched then (none missing)")
    assert "may be missing" not in ran.err
    assert json.loads(stats.read_text())["exit_status"] == 0


def test_quiet_says_no_note(cli: Callable[..., Ran], changing: Path) -> None:
    ran = cli("export", QUERY, str(changing / "leads.parquet"), "--strategy", "bulk", "-q")
    assert ran.status == 0 and ran.err == "", ran


def test_a_coql_export_of_the_same_changed_org_is_still_a_short_read(
    cli: Callable[..., Ran], changing: Path
) -> None:
    target = changing / "leads.csv"
    target.write_text("yesterday\n")
    ran = cli("export", QUERY, str(target), "--strategy", "coql")
    assert ran.status == 6, ran
    assert "may be missing" in ran.err and target.read_text() == "yesterday\n"


def test_bulk_job_seconds_is_what_explain_plans_with(cli: Callable[..., Ran], zoho: None) -> None:
    default = cli("explain", QUERY, "--strategy", "bulk")
    longer = cli("explain", QUERY, "--strategy", "bulk", "--bulk-job-seconds", "600")
    assert default.status == longer.status == 0, (default, longer)
    assert "+ about 13 status polls" in default.out, default
    assert "+ about 121 status polls" in longer.out, longer


def test_bulk_job_seconds_is_taken_by_export(cli: Callable[..., Ran], zoho: None, tmp_path: Path) -> None:
    ran = cli("export", QUERY, str(tmp_path / "l.csv"), "--strategy", "bulk", "--bulk-job-seconds", "1")
    assert ran.status == 0, ran
    assert pv.read_csv(tmp_path / "l.csv").num_rows == RECORDS


@pytest.mark.parametrize("value", ["-1", "inf", "nan"])
def test_a_wrong_bulk_job_seconds_is_refused_before_anything_is_spent(
    cli: Callable[..., Ran], zoho: None, tmp_path: Path, value: str
) -> None:
    ran = cli("export", QUERY, str(tmp_path / "l.csv"), f"--bulk-job-seconds={value}")
    assert ran.status == 2, ran
    assert ran.err.startswith("coqlkit: --bulk-job-seconds takes a number of seconds, 0 or more"), ran
    assert not (tmp_path / "l.csv").exists()
