"""Metadata past the cache's life (a day) in a process that lives longer than that.

The org is a sandbox serving a metadata snapshot, which gains a field or a picklist value
and is started again on the same port (the same org to coqlkit, whose cache still
describes it as it was). Time passes by the cache's clock, moved forward as a service's
days would move it.

- A connection that stays open (a service's pooled connection) fetches again, when next
  used, the fields it loaded once they are past their life: one credit a module, once.
- Listing the modules (``modules()``, SQLAlchemy's ``get_table_names()``, JupySQL's
  ``%sqlcmd tables``) does not make the fields cached for them look fresh: ``fields()``
  after it fetches a body past its life again.
- Within the life nothing is fetched again, and a body another connection has fetched
  since is taken from the disk, with no call.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import coqlkit
from coqlkit.catalog import demo
from tests.api import test_metadata_stale_review8 as stale
from tests.api._support import RequestLog

NEW = "Churn_Note"
HOT = "Hot Prospect"
DAY = 24 * 3600
FIELDS = "/crm/v8/settings/fields"
MODULES = "/crm/v8/settings/modules"


class Org(stale.Org):
    """review 8's org (a sandbox serving a snapshot, started again on its port when it
    changes), with the changes of this file's tests and a clock moved ahead."""

    def _edit_leads(self, change: Callable[[list[dict[str, object]]], None]) -> None:
        path = self.snap / "fields" / "Leads.json"
        body = json.loads(path.read_text())
        change(body["fields"])
        path.write_text(json.dumps(body))
        self.restart()

    def add_new(self) -> None:
        self.add_field("Leads", NEW)

    def add_status(self) -> None:
        def add(fields: list[dict[str, object]]) -> None:
            status = next(f for f in fields if f["api_name"] == "Lead_Status")
            values = status["pick_list_values"]
            assert isinstance(values, list)
            values.append({**values[-1], "display_value": HOT, "actual_value": HOT, "id": "9990002"})

        self._edit_leads(add)

    def connect(self, days: float = 0) -> coqlkit.Connection:
        """A connection whose cache's clock is ``days`` ahead (set before its first use)."""
        conn = super().connect()
        later(conn, days)
        return conn


def later(conn: coqlkit.Connection, days: float) -> None:
    """Move the connection's metadata cache ``days`` into the future."""
    assert conn.aio.metadata is not None
    conn.aio.metadata.cache._clock = lambda: time.time() + days * DAY


def metadata_calls(log: RequestLog) -> list[str]:
    """The metadata fetched (a 401 answered to the access token a restarted sandbox forgot
    is not a fetch: the call is sent again with a new one)."""
    return [e["path"] for e in log.calls() if "/settings/" in e["path"] and e["status"] != 401]


def names(conn: coqlkit.Connection, module: str = "Leads") -> list[str]:
    return [f.api_name for f in conn.fields(module)]


def status_warnings(conn: coqlkit.Connection) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        conn.query(f"select Last_Name from Leads where Lead_Status = '{HOT}' limit 1")
    return [str(w.message) for w in caught if issubclass(w.category, coqlkit.QueryWarning)]


@pytest.fixture
def org(tmp_path: Path) -> Iterator[Org]:
    made = Org(tmp_path)
    try:
        yield made
    finally:
        made.sandbox.stop()


def test_a_long_lived_connection_fetches_fields_past_their_life_once(org: Org) -> None:
    with org.connect() as conn:
        assert NEW not in names(conn)
        org.add_new()
        log = org.log()
        later(conn, 0.9)  # within the day: the fields loaded are the ones used, no call
        assert NEW not in names(conn)
        assert metadata_calls(log) == []
        later(conn, 1.1)  # past it: fetched again when next used, and only then
        assert metadata_calls(log) == []
        assert NEW in names(conn)
        assert metadata_calls(log) == [MODULES, FIELDS]  # the list is a day old too
        for _ in range(3):  # once: the body fetched is fresh for another day
            assert NEW in names(conn)
            conn.query("select Last_Name from Leads limit 1").to_arrow()
        assert metadata_calls(log) == [MODULES, FIELDS]


def test_a_long_lived_connection_checks_against_a_picklist_value_added_since(org: Org) -> None:
    """The reviewer's service: a value added to a picklist is warned about ('matches
    nothing') for as long as the connection lives, the warning it gives is wrong once the
    metadata is a day old."""
    with org.connect() as conn:
        conn.query("select Last_Name from Leads where Lead_Status = 'Contacted' limit 1").to_arrow()
        org.add_status()
        assert status_warnings(conn)  # an hour later, say: the metadata the check has is an hour old
        log = org.log()
        later(conn, 3)
        assert status_warnings(conn) == []
        assert metadata_calls(log).count(FIELDS) == 1


def test_listing_the_modules_does_not_make_old_fields_look_fresh(org: Org) -> None:
    with org.connect() as conn:
        names(conn)  # Leads' fields cached
    org.add_new()
    log = org.log()
    with org.connect(days=2) as conn:
        assert "Leads" in [m.api_name for m in conn.modules()]
        assert NEW in names(conn)
        assert metadata_calls(log) == [MODULES, FIELDS]


def test_listing_the_modules_keeps_fields_within_their_life(org: Org) -> None:
    with org.connect() as conn:
        names(conn)
    log = org.log()
    with org.connect(days=0.5) as conn:
        assert "Leads" in [m.api_name for m in conn.modules()]
        assert "Last_Name" in names(conn)
    assert metadata_calls(log) == []


def test_a_body_another_connection_fetched_is_taken_from_the_disk(org: Org) -> None:
    """The long-lived connection's Leads are past their life; another connection (another
    worker of the service) fetched them meanwhile: the first takes them from the disk, no call."""
    with org.connect() as old:
        names(old)
        org.add_new()
        later(old, 2)
        with org.connect(days=2) as new:
            assert NEW in names(new)
        log = org.log()
        assert NEW in names(old)
        assert metadata_calls(log) == []


def test_reflection_after_listing_tables_has_the_new_column(org: Org) -> None:
    """``sa.inspect(engine).get_table_names()`` then ``get_columns("Leads")``, as a schema
    browser or JupySQL's ``%sqlcmd tables`` then ``columns`` do, two days on."""
    sa = pytest.importorskip("sqlalchemy")
    from coqlkit import dbapi

    with org.connect() as conn:
        names(conn)
    org.add_new()

    def make() -> dbapi.Connection:
        conn = org.connect(days=2)
        return dbapi.Connection(conn)

    engine = sa.create_engine("coqlkit://", creator=make)
    try:
        inspector = sa.inspect(engine)
        assert "Leads" in inspector.get_table_names()
        assert NEW in [c["name"] for c in inspector.get_columns("Leads")]
    finally:
        engine.dispose()


def test_a_cache_that_could_not_forget_its_files_fetches_each_body_once(tmp_path: Path) -> None:
    """``invalidate()`` could not remove the files (the cache reads past them from then on):
    a body fetched after it and written to the disk was not known to be cached, and was
    fetched again by every load, a credit each time, for as long as the process lived."""
    from coqlkit.catalog.cache import MetadataCache

    calls: list[str] = []

    def modules() -> dict[str, object]:
        calls.append("modules")
        return demo.modules_payload()

    def fields(name: str) -> dict[str, object]:
        calls.append(name)
        return demo.fields_payload(name)

    cache = MetadataCache(tmp_path / "cache", "org")
    cache.catalog(modules, fields, modules=["Leads"])
    (cache.path / "modules.json").unlink()
    (cache.path / "modules.json").mkdir()  # a file that cannot be removed
    with pytest.warns(coqlkit.CoqlWarning, match="cannot write the metadata cache"):
        cache.invalidate()
    calls.clear()
    for _ in range(3):
        catalog = cache.catalog(modules, fields, modules=["Leads"])
        assert catalog.module("Leads").fields is not None  # type: ignore[union-attr]
    assert calls == ["modules", "Leads"]
