"""ORDER BY a name that is both an alias and a field: one meaning, the alias, on every path.

``select COUNT(id) as City from Leads group by City order by City desc``: ``City`` names the
count (the alias) and the grouped field. SQL reads a bare name in ORDER BY as the select
list's alias first (SQLite, PostgreSQL and MySQL all do); Zoho documents aliases in ORDER BY
but not which one wins when a field has the same name. coqlkit takes the alias, as its
check (a grouped query may order by an alias) and the sandbox do, and sends the aliased
column's own expression (``order by COUNT(id) desc``) so that Zoho's reading cannot
differ: the single call, the pages, the records grouped or sorted here and the notebook's
peek then all order by the same thing. The check warns about the name (rename the alias).
"""

from __future__ import annotations

from dataclasses import replace

from coqlkit.catalog import Catalog
from coqlkit.language.ast import Column, Expression, FieldRef, OrderItem, Select

__all__ = ["order_by_aliases"]


def order_by_aliases(select: Select, catalog: Catalog) -> Select:
    """``select`` with each ORDER BY name that is an alias and also names a field of the
    module (in any case) replaced by the aliased column's expression; an item that then
    repeats an earlier one is dropped (COQL refuses a field twice in ORDER BY, and the
    second sorts nothing). ``select`` itself when no item is such a name.

    >>> from coqlkit.language import parse, render
    >>> demo = Catalog.demo()
    >>> q = "select COUNT(id) as City from Leads group by City order by City desc"
    >>> render(order_by_aliases(parse(q), demo))
    "select COUNT(id) as 'City' from Leads where id is not null group by City order by COUNT(id) desc"
    >>> q = parse("select COUNT(id) as n from Leads group by City order by n desc")
    >>> order_by_aliases(q, demo) is q
    True
    """
    module = catalog.module(select.module)
    if module is None or module.fields is None or not select.order_by:
        return select
    aliased: dict[str, Expression] = {
        c.alias: c.expr for c in select.columns if isinstance(c, Column) and c.alias is not None
    }
    if not aliased:
        return select
    order: list[OrderItem] = []
    for item in select.order_by:
        expr = item.expr
        if isinstance(expr, FieldRef) and not expr.is_path and expr.via is None and expr.qualifier is None:
            name = expr.path[0]
            if name in aliased and aliased[name] != expr and module.field_folded(name) is not None:
                item = replace(item, expr=aliased[name])
        if all(o.expr != item.expr for o in order):
            order.append(item)
    if tuple(order) == select.order_by:
        return select
    return replace(select, order_by=tuple(order))
