"""A displayed GROUP BY of a field it does not select (review 9, G2's note): its plan is the
pages of groups under a local projection (the grouped fields read, then dropped), and the
display skipped its peek, reading every group (up to 151 credits and more on a real org) to
show 10 rows. It now reads the first page of groups, as any grouped display does, and shows
the query's own columns."""

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

# 2,625 distinct emails among the 3,000 leads: more groups than one page of 200.
COUNT_BY_EMAIL = "select COUNT(id) from Leads group by Email"


@pytest.mark.parametrize(
    "query", [COUNT_BY_EMAIL, "select COUNT(id) n from Leads group by Email, Lead_Source"]
)
def test_a_group_by_of_a_field_not_selected_shows_its_first_page_of_groups(
    ip: InteractiveShell, conn: coqlkit.Connection, query: str
) -> None:
    assert conn.sandbox is not None
    conn.fields("Leads")
    log = RequestLog(conn.sandbox)
    view, _ = run(lambda: ip.run_line_magic("coql", query))
    assert isinstance(view, ResultView)
    [sent] = log.coql()  # one page of groups, not all of them
    assert sent["coql"].endswith("limit 200") and sent["credits"] == 1, sent
    assert not view.complete and view.table.num_rows == 200
    assert view.table.column_names == conn.query(query).schema.names  # the query's own columns


def test_an_alias_named_like_a_grouped_field_shows_its_own_values(
    ip: InteractiveShell, conn: coqlkit.Connection
) -> None:
    # The pages fetch `COUNT(id), Email` (an alias cannot name a selected column in COQL):
    # the peek gives the count its alias back, not the emails under the count's name.
    query = "select COUNT(id) as Email from Leads group by Email"
    conn.fields("Leads")
    view, _ = run(lambda: ip.run_line_magic("coql", query))
    assert isinstance(view, ResultView) and view.table.column_names == ["Email"]
    counts = view.table.column("Email").to_pylist()
    assert all(isinstance(n, int) for n in counts), counts[:5]
    assert counts == conn.query(query).to_arrow().column("Email").to_pylist()[: len(counts)]
