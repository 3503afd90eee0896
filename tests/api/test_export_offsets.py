"""Datetimes as text name the instant they hold (review 7, types 11): an offset with seconds
(a zone's local mean time, Kolkata's +05:21:10 in 1901) is written ``+05:21:10``; ``%z``
dropped the seconds, and the text named an instant 10 s later."""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
from pathlib import Path

import pyarrow as pa

import coqlkit
from coqlkit.export import iso_text
from coqlkit.sandbox.server import Sandbox

UTC = dt.timezone.utc


def test_a_csv_export_keeps_an_offset_s_seconds(tmp_path: Path) -> None:
    org = tmp_path / "org.sqlite3"
    with Sandbox(records=100, db=str(org)):
        pass  # seeded
    with sqlite3.connect(org) as db:
        lead = db.execute("select min(id) from Leads").fetchone()[0]
        db.execute("update Leads set Created_Time = '1901-12-13T20:45:51' where id = ?", (lead,))
    with (
        Sandbox(records=100, db=str(org)) as sandbox,
        coqlkit.connect(sandbox=sandbox, tz="Asia/Kolkata") as conn,
    ):
        conn.query("select Created_Time from Leads order by id limit 20").to_csv(tmp_path / "leads.csv")
    with open(tmp_path / "leads.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert rows[0] == {"id": str(lead), "Created_Time": "1901-12-14T02:07:01+05:21:10"}
    assert dt.datetime.fromisoformat(rows[0]["Created_Time"]) == dt.datetime(
        1901, 12, 13, 20, 45, 51, tzinfo=UTC
    )
    assert rows[1]["Created_Time"].endswith("+05:30")  # a round offset stays hh:mm


def test_every_text_reads_back_as_its_instant() -> None:
    instants = [
        dt.datetime(1850, 1, 1, 12, tzinfo=UTC),
        None,
        dt.datetime(1901, 12, 13, 20, 45, 51, tzinfo=UTC),
        dt.datetime(2024, 6, 1, tzinfo=UTC),
    ]
    for zone in ("Africa/Monrovia", "Asia/Kolkata", "Europe/Amsterdam", "America/Los_Angeles", "UTC"):
        for unit in ("s", "ms"):
            kind = pa.timestamp(unit, tz=zone)
            column = pa.chunked_array([pa.array(instants[:2], kind), pa.array(instants[2:], kind)])
            texts = iso_text(column).to_pylist()
            assert [t and dt.datetime.fromisoformat(t) for t in texts] == instants, (zone, unit, texts)
    monrovia = iso_text(pa.array(instants[:1], pa.timestamp("s", tz="Africa/Monrovia")))
    assert monrovia.to_pylist() == ["1850-01-01T11:16:52-00:43:08"]  # the sign covers the seconds too
