"""A field (or a module) added to the org after coqlkit cached its metadata.

The org is a sandbox serving a metadata snapshot; the snapshot gains a field (a module) and
the sandbox is started again on the same port, so that it is the same org to coqlkit, whose
cache (a day's life) still describes the org as it was. The cache's times are moved back
to make it as old as a test needs, as the hours of a real night would.

- A query naming the new field is refused only after the module's fields, when older than
  five minutes, were fetched again (one credit); then it runs.
- Younger than that, the refusal says how old the metadata is and how to fetch it again.
- ``select *`` over fields older than five minutes fetches them again: a nightly export
  does not silently lose the new column.
- ``refresh_metadata()`` (the shell's ``\\refresh``) as the first thing a script does makes
  the next query see the new field, also for a module this process has not used yet.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import coqlkit
from coqlkit.catalog import demo, write_snapshot
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import FileTokenStore, Settings, load_settings
from tests.api._support import RequestLog

RECORDS = 200
NEW = "Churn_Risk"
FIELDS = "/crm/v8/settings/fields"


class Org:
    """A sandbox serving the snapshot ``snap``, started again on its port when it changes."""

    def __init__(self, root: Path) -> None:
        self.snap = root / "snap"
        write_snapshot(
            self.snap, demo.modules_payload(), {m: demo.fields_payload(m) for m in demo.module_names()}
        )
        self.root = root
        self.sandbox = Sandbox(metadata=str(self.snap), records=RECORDS, token_limit=0).start()
        self.port = int(self.sandbox.base_url.rsplit(":", 1)[1])

    def restart(self) -> None:
        self.sandbox.stop()
        # A sandbox forgets its access tokens when stopped (Zoho's would have kept them): the
        # next connection gets a new one rather than a 401 that the logs would show.
        (self.root / "tokens.json").unlink(missing_ok=True)
        self.sandbox = Sandbox(
            metadata=str(self.snap), records=RECORDS, token_limit=0, port=self.port
        ).start()

    def add_field(self, module: str, name: str) -> None:
        path = self.snap / "fields" / f"{module}.json"
        body = json.loads(path.read_text())
        like = next(f for f in body["fields"] if f["api_name"] == "Company")  # a plain text field
        body["fields"].append(
            {**like, "api_name": name, "field_label": name.replace("_", " "), "id": "9990001"}
        )
        path.write_text(json.dumps(body))
        self.restart()

    def add_module(self, name: str) -> None:
        listing = json.loads((self.snap / "modules.json").read_text())
        like = next(m for m in listing["modules"] if m["api_name"] == "Leads")
        listing["modules"].append(
            {**like, "api_name": name, "module_name": name, "plural_label": name, "id": "9990002"}
        )
        (self.snap / "modules.json").write_text(json.dumps(listing))
        (self.snap / "fields" / f"{name}.json").write_text((self.snap / "fields" / "Leads.json").read_text())
        self.restart()

    def settings(self) -> Settings:
        return load_settings(
            env=self.sandbox.environment(),
            store=FileTokenStore(self.root / "tokens.json"),
            path=self.root / "no-config.toml",
        )

    def connect(self) -> coqlkit.Connection:
        return coqlkit.connect(settings=self.settings(), cache_dir=self.root / "cache")

    def log(self) -> RequestLog:
        return RequestLog(self.sandbox)

    def age_cache(self, seconds: float) -> None:
        """Make every body cached for the org ``seconds`` older."""
        (meta,) = (self.root / "cache").rglob("meta.json")
        data = json.loads(meta.read_text())
        data["fetched"] = {name: when - seconds for name, when in data["fetched"].items()}
        meta.write_text(json.dumps(data))


@pytest.fixture
def org(tmp_path: Path) -> Iterator[Org]:
    made = Org(tmp_path)
    try:
        yield made
    finally:
        made.sandbox.stop()


def fill_cache(org: Org) -> None:
    """The cache as a run of ``select *`` leaves it: Leads and the modules its lookups
    point to (whose display fields name their records)."""
    with org.connect() as conn:
        conn.query("select * from Leads limit 1").to_arrow()


def paths(log: RequestLog) -> list[str]:
    return [e["path"] for e in log.calls()]


def test_a_new_field_refused_by_old_metadata_is_fetched_once_and_the_query_runs(org: Org) -> None:
    fill_cache(org)
    org.add_field("Leads", NEW)
    org.age_cache(3 * 3600)  # cached three hours ago: within the day's life, past five minutes
    log = org.log()
    with org.connect() as conn:
        table = conn.query(f"select Last_Name, {NEW} from Leads limit 5").to_arrow()
        assert table.column_names[-2:] == ["Last_Name", NEW]
        assert paths(log).count(FIELDS) == 1  # Leads' fields, once
        spent = conn.credits_used
        assert spent == log.credits()  # the metadata's credit is counted as spent
        conn.query(f"select {NEW} from Leads limit 1").to_arrow()  # fresh now: no fetch
        assert paths(log).count(FIELDS) == 1


def test_a_typo_over_old_metadata_costs_one_fetch_then_none(org: Org) -> None:
    fill_cache(org)
    org.age_cache(3 * 3600)
    log = org.log()
    with org.connect() as conn:
        for _ in range(3):
            with pytest.raises(coqlkit.ValidationError) as caught:
                conn.query("select Emial from Leads")
            assert caught.value.hint == "did you mean Email?"  # the metadata is the org's: a typo
        assert paths(log) == [FIELDS]


def test_young_metadata_is_trusted_and_the_refusal_says_how_old_and_how_to_refresh(org: Org) -> None:
    fill_cache(org)
    org.add_field("Leads", NEW)
    org.age_cache(120)  # two minutes: not fetched again
    log = org.log()
    with org.connect() as conn:
        with pytest.raises(coqlkit.ValidationError) as caught:
            conn.query(f"select Last_Name, {NEW} from Leads")
        assert caught.value.hint is not None
        assert "metadata of Leads is 2 min old" in caught.value.hint
        assert "\\refresh" in caught.value.hint and "conn.refresh_metadata()" in caught.value.hint
        assert f"Leads has no field {NEW}" in str(caught.value)
        assert paths(log) == []  # nothing spent
        conn.refresh_metadata()
        assert conn.query(f"select {NEW} from Leads limit 2").to_arrow().num_rows == 2


def test_refresh_first_thing_sees_the_new_field_of_a_module_not_used_yet(org: Org) -> None:
    fill_cache(org)
    org.add_field("Leads", NEW)
    org.age_cache(60)
    log = org.log()
    with org.connect() as conn:
        catalog = conn.refresh_metadata()  # the script's first statement: nothing loaded yet
        assert "Leads" in catalog
        assert paths(log) == ["/crm/v8/settings/modules"]  # the list now, each module's fields when used
        assert conn.query(f"select {NEW} from Leads limit 2").to_arrow().num_rows == 2
        assert paths(log).count(FIELDS) == 1


def test_the_shells_refresh_as_a_scripts_first_statement(org: Org) -> None:
    """``coqlkit query -c '\\refresh ...'``: the command is what a job can put first."""
    from coqlkit.repl.config import ReplConfig
    from coqlkit.repl.shell import Shell

    fill_cache(org)
    org.add_field("Leads", NEW)
    org.age_cache(60)
    with org.connect() as conn:
        out, err = io.StringIO(), io.StringIO()
        shell = Shell(conn, config=ReplConfig(pager=False), out=out, err=err)
        status = shell.execute(f"\\refresh\nselect Last_Name, {NEW} from Leads limit 2;")
        assert status == 0, err.getvalue()
        assert "metadata refreshed" in err.getvalue() and NEW in out.getvalue()


def test_select_star_over_old_fields_brings_the_new_column(org: Org) -> None:
    fill_cache(org)
    org.add_field("Leads", NEW)
    org.age_cache(3 * 3600)
    log = org.log()
    with org.connect() as conn:
        table = conn.query("select * from Leads limit 3").to_arrow()
        assert NEW in table.column_names
        assert paths(log).count(FIELDS) == 1


def test_select_star_over_young_fields_spends_nothing_more(org: Org) -> None:
    fill_cache(org)
    org.age_cache(120)
    log = org.log()
    with org.connect() as conn:
        conn.query("select * from Leads limit 3").to_arrow()
        assert FIELDS not in paths(log)


def test_a_new_module_refused_by_an_old_module_list_is_fetched_and_runs(org: Org) -> None:
    fill_cache(org)
    org.add_module("Churn_Scores")
    org.age_cache(3 * 3600)
    log = org.log()
    with org.connect() as conn:
        assert conn.query("select Last_Name from Churn_Scores limit 2").to_arrow().num_rows == 2
        assert paths(log).count("/crm/v8/settings/modules") == 1
