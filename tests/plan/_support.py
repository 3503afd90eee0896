"""What the planner tests share: the catalogs they plan against, and a COUNT probe."""

from __future__ import annotations

import copy
import functools
from dataclasses import replace

from coqlkit.catalog import Catalog, demo
from coqlkit.language.ast import Aggregate, Column, FieldRef, Select
from coqlkit.language.render import render
from coqlkit.plan.prepare import has_long_in, rewrite_long_ins
from coqlkit.plan.steps import CountProbe

#: Custom text fields the wide catalog adds to Leads (50 selectable fields become 110).
WIDE_EXTRA = 60


@functools.cache
def wide_catalog() -> Catalog:
    """The demo org with ``Custom_01`` ... ``Custom_60`` (text) added to Leads: ``select *``
    from Leads is then 110 columns, a column split of three scans (49 + 49 + 12 and id)."""
    fields = {name: demo.fields_payload(name) for name in demo.module_names()}
    leads = copy.deepcopy(fields["Leads"])
    template = next(f for f in leads["fields"] if f["api_name"] == "Company")
    for number in range(1, WIDE_EXTRA + 1):
        field = copy.deepcopy(template)
        field.update(
            api_name=f"Custom_{number:02d}",
            field_label=f"Custom {number}",
            display_label=f"Custom {number}",
            id=str(4_150_868_000_009_000_000 + number),
            custom_field=True,
        )
        leads["fields"].append(field)
    fields["Leads"] = leads
    return Catalog.from_payloads(demo.modules_payload(), fields)


CATALOGS = {"demo": Catalog.demo, "wide": wide_catalog}


def count_probe(select: Select, rows: int) -> CountProbe:
    """The COUNT probe the executor would make for ``select`` (its WHERE, long INs rewritten)."""
    if has_long_in(select):
        rewritten = rewrite_long_ins(select)
        assert rewritten is not None, "a query split into a union has no COUNT probe"
        select = rewritten
    query = replace(
        select, columns=(Column(Aggregate("COUNT", FieldRef(("id",)))),), group_by=(), order_by=(), limit=None
    )
    return CountProbe(render(query), rows)
