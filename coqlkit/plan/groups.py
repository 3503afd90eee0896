"""GROUP BY: how many groups a query can have, and what runs when Zoho cannot page them all.

Zoho pages the groups of a GROUP BY as it pages records, by offset, and no further than
100,000. How many groups there are is not known before the query runs, but two figures
bound it: the grouped fields' values, when each field has few (a picklist: its values and
null; a boolean: true, false and null), and the records that match (each group holds at
least one). When either is within the ceiling, pages of groups reach the end.

When neither is (more than 100,000 records match, grouped by fields of many values), the
pages of groups still go first and their rows are held: most such queries have far fewer
groups than records (by owner, by account, by month), and then they cost a call or a few,
where reading the records would cost hundreds of credits. Only when the pages reach the
ceiling are the records read (their grouped and aggregated fields: keyset pages or a bulk
read, as the cost model picks) and grouped here, the ceiling's 151 credits then spent for
nothing. Planned from a count (a caller's COUNT probe), a credit budget must hold both, and
is refused up front when it cannot. Without one (the default: a GROUP BY is not counted
first, which would cost every run a credit), the records are counted when the pages reach
the ceiling, and their read is planned then from that count and weighed against what the
budget still allows (:func:`coqlkit.plan.planner.grouped_here`,
:mod:`coqlkit.execute.group_ceiling`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from coqlkit.catalog import Catalog
from coqlkit.catalog.model import FieldType
from coqlkit.errors import CoqlError
from coqlkit.language.ast import Aggregate, Column, FieldRef, OrderItem, Select
from coqlkit.plan.columns import OutputColumn

__all__ = [
    "aggregates_of",
    "group_bound",
    "group_columns",
    "records_select",
    "renamed",
    "with_grouped_fields",
]

ID = FieldRef(("id",))
# Values a grouped field of each type can take besides null (picklists: their own values).
_FEW_VALUES = {FieldType.BOOLEAN: 2}


def group_bound(select: Select, catalog: Catalog) -> int | None:
    """At most how many groups ``select`` can have, from its grouped fields' values: a
    picklist's values and null, a boolean's true, false and null, multiplied together;
    None when a grouped field can take any number of values (text, a lookup, a number).

    >>> from coqlkit.language import parse
    >>> demo = Catalog.demo()
    >>> group_bound(parse("select Lead_Source, COUNT(id) from Leads group by Lead_Source"), demo)
    18
    >>> group_bound(parse("select Company, COUNT(id) from Leads group by Company"), demo) is None
    True
    """
    bound = 1
    for ref in select.group_by:
        values = _values(select.module, ref, catalog)
        if values is None:
            return None
        bound *= values + 1  # the null group
    return bound


def _values(module: str, ref: FieldRef, catalog: Catalog) -> int | None:
    try:
        found = catalog.resolve(module, ref).field
    except CoqlError:
        return None
    if found.type is FieldType.PICKLIST and found.picklist:
        return len(found.picklist)
    return _FEW_VALUES.get(found.type)


def records_select(select: Select) -> Select:
    """The records a grouped query groups: its grouped and aggregated fields, in id order,
    with no GROUP BY, ORDER BY or LIMIT (those are done here, after the grouping).

    >>> from coqlkit.language import parse, render
    >>> render(records_select(parse("select Owner, SUM(Amount) from Deals group by Owner order by Owner limit 5")))
    'select Owner, Amount from Deals where id is not null order by id asc'
    """
    fields: list[FieldRef] = list(select.group_by)
    for agg in select.aggregates:
        if agg.arg not in fields:
            fields.append(agg.arg)
    return replace(
        select,
        columns=tuple(Column(f) for f in fields if f != ID) or (Column(ID),),
        group_by=(),
        order_by=(OrderItem(ID),),
        limit=None,
    )


def aggregates_of(select: Select) -> tuple[tuple[str, str, str], ...]:
    """The query's aggregates as a local aggregate takes them: (output key, function, input column)."""
    return tuple(
        (c.key, c.expr.func, c.expr.arg.name)
        for c in select.columns
        if isinstance(c, Column) and isinstance(c.expr, Aggregate)
    )


def with_grouped_fields(select: Select) -> Select:
    """``select`` with each grouped field it does not select added as a column, after its
    own: a group is told apart from another by every grouped field, not by those selected
    alone (``select Company, COUNT(id) ... group by Company, Lead_Source`` has a group per
    pair). Pages of groups fetch them, the local aggregate groups and sorts by them, and the
    planner projects them away before the rows are delivered. ``select`` itself when every
    grouped field is selected.

    An alias named like a grouped field added (``select COUNT(id) as Email ... group by
    Email``) cannot stand beside it: Zoho refuses an alias that names a selected column, and
    the two would share a key. Its column is fetched under its own name instead (the ORDER
    BY items that name the alias name the column), and the planner's projection gives it
    back its alias (:func:`renamed`). The columns may pass COQL's 50: the caller that sends
    the query weighs that.

    >>> from coqlkit.language import parse, render
    >>> render(with_grouped_fields(parse("select COUNT(id) from Leads group by Email, Lead_Source")))
    'select COUNT(id), Email, Lead_Source from Leads where id is not null group by Email, Lead_Source'
    >>> q = parse("select Email as E, COUNT(id) from Leads group by Email")
    >>> with_grouped_fields(q) is q
    True
    >>> render(with_grouped_fields(parse("select COUNT(id) as Email from Leads group by Email order by Email desc")))
    'select COUNT(id), Email from Leads where id is not null group by Email order by COUNT(id) desc'
    """
    selected = {c.expr for c in select.columns if isinstance(c, Column) and isinstance(c.expr, FieldRef)}
    missing = [ref for ref in dict.fromkeys(select.group_by) if ref not in selected]
    if not missing:
        return select
    names = {ref.name.lower() for ref in missing}
    clashing = {
        c.alias: c.expr
        for c in select.columns
        if isinstance(c, Column) and c.alias is not None and c.alias.lower() in names
    }
    columns = tuple(
        replace(c, alias=None) if isinstance(c, Column) and c.alias in clashing else c for c in select.columns
    )
    order: list[OrderItem] = []
    for item in select.order_by:
        expr = item.expr
        if isinstance(expr, FieldRef) and not expr.is_path and expr.via is None and expr.qualifier is None:
            item = replace(item, expr=clashing.get(expr.path[0], expr))
        if all(o.expr != item.expr for o in order):  # (an alias and its column both named: once)
            order.append(item)
    return replace(select, columns=(*columns, *(Column(ref) for ref in missing)), order_by=tuple(order))


def renamed(columns: Sequence[OutputColumn], fetched: Sequence[OutputColumn]) -> tuple[tuple[str, str], ...]:
    """The query's ``columns`` whose key differs from the column ``fetched`` for it, in the
    same place (:func:`with_grouped_fields`): (the query's key, the fetched column's key).

    >>> from coqlkit.language import parse
    >>> from coqlkit.plan.prepare import output_columns
    >>> q = parse("select COUNT(id) as Email from Leads group by Email")
    >>> renamed(output_columns(q, Catalog.demo()), output_columns(with_grouped_fields(q), Catalog.demo()))
    (('Email', 'COUNT(id)'),)
    """
    return tuple((c.key, f.key) for c, f in zip(columns, fetched, strict=False) if c.key != f.key)


def group_columns(columns: Sequence[OutputColumn], group_by: Sequence[FieldRef]) -> list[int] | None:
    """The positions of the columns that hold each grouped field (a field selected twice:
    its first), which tell a group from another; None when a grouped field is not among
    ``columns`` (its groups cannot be told apart)."""
    found: list[int] = []
    for ref in group_by:
        where = next((i for i, c in enumerate(columns) if c.aggregate is None and c.ref == ref), None)
        if where is None:
            return None
        if where not in found:
            found.append(where)
    return found
