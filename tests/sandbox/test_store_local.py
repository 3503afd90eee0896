"""Stored UTC datetimes in the org's time zone: the per-hour offset cache agrees with a
full conversion, through daylight-saving switches and zones with half-hour offsets."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from coqlkit.catalog import Catalog
from coqlkit.sandbox.store import Store


@pytest.mark.parametrize(
    "zone", ["America/Los_Angeles", "America/St_Johns", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
)
def test_local_time_equals_a_full_conversion(zone: str) -> None:
    store = Store(":memory:", Catalog.demo(), time_zone=zone)
    rng = random.Random(7)
    start = dt.datetime(2019, 1, 1)
    values = [
        (start + dt.timedelta(seconds=rng.randrange(0, 7 * 365 * 86400))).isoformat(timespec="seconds")
        for _ in range(5000)
    ]
    # Every minute of a day with a switch (Los Angeles: 2024-03-10 10:00 UTC; St John's at :30).
    values += [(dt.datetime(2024, 3, 10) + dt.timedelta(minutes=m)).isoformat() for m in range(1440)]
    for value in values:
        expected = (
            dt.datetime.fromisoformat(value)
            .replace(tzinfo=dt.timezone.utc)
            .astimezone(store.tz)
            .isoformat(timespec="seconds")
        )
        assert store.local(value) == expected, value
