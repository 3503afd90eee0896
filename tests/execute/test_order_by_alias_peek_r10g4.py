"""The notebook's peek of a GROUP BY ordered by a name that is both an alias and a grouped
field (review D2, finding 1): its first page of groups is ordered by the alias (the count), as
the query read whole and as its one call with a LIMIT, and the check's warning is shown
above it. The notebook's sandbox of 3,000 leads (2,625 emails: more groups than a page)."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

import coqlkit
from coqlkit.notebook import ResultView
from tests.api._support import RequestLog
from tests.notebooks import test_magics as base
from tests.notebooks.test_magics import run

# test_magics.py's fixtures, shared: a module's fixtures are its attributes.
cache_home = base.cache_home
_private_cache = base._private_cache
shell = base.shell
connected = base.connected
ip = base.ip
conn = base.conn

QUERY = "select COUNT(id) as Email from Leads group by Email order by Email desc"


def test_the_peek_orders_by_the_alias_as_the_whole_read_and_one_call_do(
    ip: InteractiveShell, conn: coqlkit.Connection
) -> None:
    assert conn.sandbox is not None
    conn.fields("Leads")
    log = RequestLog(conn.sandbox)
    view, captured = run(lambda: ip.run_line_magic("coql", QUERY))
    assert isinstance(view, ResultView) and view.table.column_names == ["Email"]
    [sent] = log.coql()  # the first page of groups, ordered by the count
    assert "order by COUNT(id) desc" in sent["coql"] and sent["coql"].endswith("limit 200"), sent
    assert "ORDER BY Email names both the alias of COUNT(id) and the grouped field Email" in captured.stdout
    shown = view.table.column("Email").to_pylist()
    assert len(shown) == 200 and shown[0] > 1 and shown == sorted(shown, reverse=True)
    with pytest.warns(coqlkit.QueryWarning, match="names both the alias"):
        whole = conn.query(QUERY).to_arrow().column("Email").to_pylist()
    with pytest.warns(coqlkit.QueryWarning, match="names both the alias"):
        one_call = conn.query(QUERY + " limit 200").to_arrow().column("Email").to_pylist()
    assert shown == whole[:200] == one_call


def test_the_peek_of_records_orders_by_the_aliased_column(
    ip: InteractiveShell, conn: coqlkit.Connection
) -> None:
    """A record query's peek (its first rows, a LIMIT of the rows shown): by Last_Name, the
    aliased column, as the query read whole; not by the City field."""
    query = "select Last_Name as City from Leads where id is not null order by City desc"
    assert conn.sandbox is not None
    conn.fields("Leads")
    log = RequestLog(conn.sandbox)
    view, _ = run(lambda: ip.run_line_magic("coql", query))
    assert isinstance(view, ResultView)
    sent = [c["coql"] for c in log.coql() if not c["coql"].startswith("select COUNT(id)")]
    assert sent and all("order by Last_Name desc" in c for c in sent), sent
    shown = view.table.column("id").to_pylist()
    with pytest.warns(coqlkit.QueryWarning, match="names both the alias"):
        whole = conn.query(query).to_arrow()
    assert shown == whole.column("id").to_pylist()[: len(shown)]
    names = whole.column("City").to_pylist()
    assert names == sorted(names, reverse=True)  # Last_Name's values, in its order
