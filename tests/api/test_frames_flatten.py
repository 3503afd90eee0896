"""``to_pandas(lookups="flatten")`` when the query selects a lookup and its ``.id`` too
(review 7, types 1): one ``Owner.id`` column, as the CSV export writes it."""

from __future__ import annotations

import warnings
from pathlib import Path

import polars as pl

import coqlkit


def test_a_lookup_selected_with_its_id_flattens_to_one_id_column(
    conn: coqlkit.Connection, tmp_path: Path
) -> None:
    query = "select Deal_Name, Owner, Owner.id from Deals order by id limit 3"
    owners = conn.query(query).to_arrow().column("Owner").to_pylist()
    frame = conn.query(query).to_pandas(lookups="flatten")
    assert frame.columns.tolist() == ["id", "Deal_Name", "Owner.name", "Owner.id"]
    assert frame["Owner.id"].tolist() == [o["id"] for o in owners]  # a Series, the one selected
    assert frame["Owner.name"].tolist() == [o["name"] for o in owners]
    frame.to_parquet(tmp_path / "deals.parquet")  # refused duplicate column names
    assert pl.from_pandas(frame).columns == frame.columns.tolist()


def test_every_lookup_keeps_the_parts_not_selected(conn: coqlkit.Connection) -> None:
    query = (
        "select Account_Name, Account_Name.id, Owner from Deals"
        " where Account_Name is not null order by id limit 3"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # flatten does not warn of ambiguous names
        frame = conn.query(query).to_pandas(lookups="flatten")
    assert frame.columns.tolist() == ["id", "Account_Name.name", "Account_Name.id", "Owner.name", "Owner.id"]
