"""Rules that need no metadata: Zoho's limits, duplicates and aliases.

Each rule takes the :class:`Context` and yields diagnostics. Limits the planner lifts
(rows, offset ceiling, columns, IN values, ``SELECT *``) are ``INFO``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

from coqlkit.catalog import limits
from coqlkit.language import AGGREGATES
from coqlkit.language.ast import (
    Aggregate,
    Between,
    Column,
    Comparison,
    FieldRef,
    In,
    Like,
    Number,
    Param,
    Select,
    Star,
    String,
    Value,
)
from coqlkit.language.render import render_condition
from coqlkit.validate._context import Context, labelled, refs_in, select_refs, subqueries_in
from coqlkit.validate.diagnostics import Diagnostic, Severity
from coqlkit.validate.rules_criteria import QUOTED_NUMBER

__all__ = ["QUERY_RULES"]

INFO, WARNING = Severity.INFO, Severity.WARNING


def limit_rows(ctx: Context) -> Iterator[Diagnostic]:
    """LIMIT above 2,000 rows (lifted by paging), LIMIT 0, and the 100,000 offset ceiling.

    >>> from coqlkit.language import parse
    >>> [d.message for d in limit_rows(Context(parse("select id from Leads limit 5000"), None))]
    ['LIMIT 5000 is more than the 2000 rows one call returns: coqlkit reads it in pages']
    """
    limit = ctx.select.limit
    if limit is None or isinstance(limit.count, Param) or isinstance(limit.offset, Param):
        return  # a parameter: checked once bound (`parameters` says it is unbound)
    count = limit.count if limit.count is not None else limits.DEFAULT_LIMIT
    offset = limit.offset or 0
    if count <= 0 or offset < 0:
        # Zoho: INVALID_DATA "limit should be greater than 0" (OAS v8 example InvalidDataLimitZero).
        word, value = ("limit", count) if count <= 0 else ("offset", offset)
        yield Diagnostic(
            "INVALID_DATA",
            f"{word} should be greater than 0" if word == "limit" else "offset cannot be negative",
            limit.span,
            hint=f"{word.upper()} {value} asks for no rows" if word == "limit" else None,
            details={"api_name": word},
        )
        return
    if count > limits.MAX_LIMIT:
        yield Diagnostic(
            "LIMIT_EXCEEDED",
            f"LIMIT {count} is more than the {limits.MAX_LIMIT} rows one call returns: coqlkit reads it in pages",
            limit.span,
            INFO,
            details={"limit": limits.MAX_LIMIT},
        )
    if offset + count > limits.MAX_OFFSET_ROWS:
        yield Diagnostic(
            "LIMIT_EXCEEDED",
            f"offset + limit = {offset + count} passes Zoho's {limits.MAX_OFFSET_ROWS:,} row ceiling: "
            "coqlkit reads past it by id (keyset) or with a bulk read",
            limit.span,
            INFO,
            details={"limit": limits.MAX_OFFSET_ROWS},
        )


def functions(ctx: Context) -> Iterator[Diagnostic]:
    """Only the five aggregates exist; Zoho answers any other function with ``INVALID_DATA``."""
    exprs = [c.expr for c in ctx.select.columns if isinstance(c, Column)]
    exprs += [o.expr for o in ctx.select.order_by]
    for expr in exprs:
        if isinstance(expr, Aggregate) and expr.func not in AGGREGATES:
            yield Diagnostic(
                "INVALID_DATA",
                f"{expr.func} is not a COQL function",
                expr.span,
                hint="COQL has five functions, the aggregates SUM, MIN, MAX, AVG and COUNT",
                details={"reason": "unsupported aggregate function", "column": expr.name},
            )


def select_columns(ctx: Context) -> Iterator[Diagnostic]:
    """More than 50 columns (lifted by splitting the columns) and ``SELECT *`` (expanded)."""
    columns = ctx.select.columns
    stars = [c for c in columns if isinstance(c, Star)]
    for extra in stars[1:]:
        yield Diagnostic("DUPLICATE_DATA", "SELECT * appears twice", extra.span)
    if stars:
        count = len(ctx.module.fields) if ctx.module is not None and ctx.module.fields is not None else None
        what = f"all {count} fields" if count is not None else "every field"
        yield Diagnostic(
            "SYNTAX_ERROR",
            f"SELECT * is a coqlkit extension: it selects {what} of {ctx.select.module}",
            stars[0].span,
            INFO,
            hint=f"Zoho takes at most {limits.MAX_SELECT_COLUMNS} named fields a call; coqlkit splits the list",
        )
    plain = [c for c in columns if isinstance(c, Column)]
    if len(plain) > limits.MAX_SELECT_COLUMNS:
        yield Diagnostic(
            "LIMIT_EXCEEDED",
            f"{len(plain)} columns: Zoho takes {limits.MAX_SELECT_COLUMNS} a call; coqlkit splits them "
            "into several calls joined on id",
            plain[limits.MAX_SELECT_COLUMNS].span,
            INFO,
            details={"limit": limits.MAX_SELECT_COLUMNS},
        )


def criteria_count(ctx: Context) -> Iterator[Diagnostic]:
    """At most 25 conditions in WHERE; IN lists above 50 values are split by the planner."""
    conditions = ctx.predicates
    if len(conditions) > limits.MAX_CRITERIA:
        yield Diagnostic(
            "LIMIT_EXCEEDED",
            f"WHERE has {len(conditions)} conditions; COQL allows {limits.MAX_CRITERIA}",
            conditions[limits.MAX_CRITERIA].span,
            details={"limit": limits.MAX_CRITERIA},
            hint="combine conditions on one field with IN, or filter the rest locally",
        )
    for cond in conditions:
        if (
            isinstance(cond, In)
            and isinstance(cond.values, tuple)
            and len(cond.values) > limits.MAX_IN_VALUES
        ):
            yield Diagnostic(
                "LIMIT_EXCEEDED",
                f"{len(cond.values)} values in IN: Zoho takes {limits.MAX_IN_VALUES}; coqlkit splits the list",
                cond.values[limits.MAX_IN_VALUES].span,
                INFO,
                details={"limit": limits.MAX_IN_VALUES},
            )


def clause_sizes(ctx: Context) -> Iterator[Diagnostic]:
    """ORDER BY at most 10 fields, GROUP BY 4, aggregates 5, subqueries 5.

    Zoho allows "a maximum of 5 subqueries in a parent query" (v7 COQL-subquery) and
    documents no separate depth: every subquery of the statement counts, those nested in
    another subquery too (which bounds the nesting at 5).

    >>> from coqlkit.language import parse
    >>> deep = "select id from Leads where " + "id in (select id from Leads where " * 6 + "id is not null" + ")" * 6
    >>> [d.message for d in clause_sizes(Context(parse(deep), None))]
    ['6 subqueries; COQL allows 5']
    """
    select = ctx.select
    found = [] if ctx.nested else list(subqueries_in(select))
    checks = (
        ("ORDER BY", select.order_by, limits.MAX_ORDER_BY),
        ("GROUP BY", select.group_by, limits.MAX_GROUP_BY),
        ("aggregates", select.aggregates, limits.MAX_AGGREGATES),
        ("subqueries", tuple(sub for _, _, sub in found), limits.MAX_SUBQUERIES),
    )
    deep = any(outer is not select for outer, _, _ in found)
    for name, items, most in checks:
        if len(items) > most:
            yield Diagnostic(
                "LIMIT_EXCEEDED",
                f"{len(items)} {name}; COQL allows {most}"
                if name[0].islower()
                else f"{name} has {len(items)} fields; COQL allows {most}",
                items[most].span,
                hint="a subquery inside another subquery counts too"
                if name == "subqueries" and deep
                else None,
                details={"limit": most},
            )


def joins(ctx: Context) -> Iterator[Diagnostic]:
    """At most 15 lookup joins in SELECT and 5 in WHERE / GROUP BY / ORDER BY (v8 COQL-Limitations)."""
    select = ctx.select
    picked = _joins(select_refs(select))
    base: list[FieldRef] = []
    base += ctx.where_refs
    base += select.group_by
    base += [r for o in select.order_by for r in refs_in(o)]
    for name, found, most in (
        ("SELECT", picked, limits.MAX_SELECT_JOINS),
        ("base", _joins(base), limits.MAX_BASE_JOINS),
    ):
        if len(found) > most:
            ref = list(found.values())[most]
            yield Diagnostic(
                "LIMIT_EXCEEDED",
                f"{len(found)} {name} joins (lookups followed); COQL allows {most}",
                ref.span,
                details={"limit": most},
                hint="each distinct lookup followed by a dot path is a join",
            )


def _joins(refs: object) -> dict[tuple[str, ...], FieldRef]:
    found: dict[tuple[str, ...], FieldRef] = {}
    for ref in refs:  # type: ignore[attr-defined]
        head = f"{ref.path[0]}->{ref.via}" if ref.via else ref.path[0]
        parts = (head, *ref.path[1:])
        # A path past MAX_PATH_HOPS is refused on its own: its first prefixes are enough to
        # count (all of them cost O(n²) for a pasted 100 KB path).
        for end in range(1, min(len(parts), limits.MAX_PATH_HOPS + 2)):
            found.setdefault(parts[:end], ref)
    return found


def duplicates(ctx: Context) -> Iterator[Diagnostic]:
    """The same column, aggregate, ORDER BY or GROUP BY field twice → ``DUPLICATE_DATA``."""
    select = ctx.select
    seen: dict[object, object] = {}
    for item in select.columns:
        if not isinstance(item, Column):
            continue
        if item.expr in seen:
            what = "aggregate" if isinstance(item.expr, Aggregate) else "column"
            details = {"column_name": item.expr.name}
            if isinstance(item.expr, Aggregate):
                details = {"column_name": item.expr.arg.name, "aggregate": item.expr.func}
            yield Diagnostic(
                "DUPLICATE_DATA", f"the {what} {item.expr.name} is selected twice", item.span, details=details
            )
        seen.setdefault(item.expr, item)
    for clause, refs in (
        ("ORDER BY", [o.expr for o in select.order_by]),
        ("GROUP BY", list(select.group_by)),
    ):
        met: set[object] = set()
        for expr in refs:
            if expr in met:
                yield Diagnostic(
                    "DUPLICATE_DATA",
                    f"{expr.name} appears twice in {clause}",
                    expr.span,
                    details={"column_name": expr.name},
                )
            met.add(expr)


def aliases(ctx: Context) -> Iterator[Diagnostic]:
    """Empty aliases → ``INVALID_ALIAS``; one alias on two columns → ``DUPLICATE_ALIAS``."""
    owners: dict[str, list[Column]] = {}
    for item in ctx.select.columns:
        if not isinstance(item, Column) or item.alias is None:
            continue
        if not item.alias.strip():
            yield Diagnostic(
                "INVALID_ALIAS",
                "the alias name cannot be an empty string",
                item.alias_span or item.span,
                details={"alias": "", "column_name": item.expr.name},
            )
            continue
        owners.setdefault(item.alias.lower(), []).append(item)
        if item.alias.lower() == "id" and item.expr != FieldRef(("id",)) and not _grouped(ctx):
            # Zoho sends every record's id under "id": the column and the id would share a key.
            yield Diagnostic(
                "INVALID_ALIAS",
                f"the alias '{item.alias}' is the key Zoho sends each record's id under: "
                f"the column ({item.expr.name}) and the record id would collide",
                item.alias_span or item.span,
                details={"alias": item.alias, "column_name": item.expr.name},
                hint="choose another alias",
            )
            continue
        if item.expr == FieldRef(("id",)) and not ctx.select.group_by:
            yield Diagnostic(
                "INVALID_ALIAS",
                "id can be given an alias only in a query with GROUP BY",
                item.alias_span or item.span,
                WARNING,
                hint="Zoho always returns id under its own name",
            )
    names = {c.expr.name for c in ctx.select.columns if isinstance(c, Column)}
    for item in ctx.select.columns:
        if isinstance(item, Column) and item.alias in names and item.alias != item.expr.name:
            # Zoho: INVALID_QUERY {"alias", "column_name"} (OAS v8 example InvalidQueryInvalidAlias).
            yield Diagnostic(
                "INVALID_QUERY",
                f"the alias '{item.alias}' is the name of another selected column",
                item.alias_span or item.span,
                details={"alias": item.alias, "column_name": item.expr.name},
                hint="choose an alias that no selected column is named",
            )
    for columns in owners.values():
        for extra in columns[1:]:
            yield Diagnostic(
                "DUPLICATE_ALIAS",
                f"the alias '{extra.alias}' already names {columns[0].expr.name}",
                extra.alias_span or extra.span,
                details={"alias": extra.alias, "referred_columns": [c.expr.name for c in columns]},
                hint="the same alias cannot refer to more than one select column",
            )
    yield from _alias_is_a_field(ctx, names)


def _grouped(ctx: Context) -> bool:
    """A query of groups: its rows are not records and carry no id."""
    return bool(ctx.select.group_by) or any(
        isinstance(c, Column) and isinstance(c.expr, Aggregate) for c in ctx.select.columns
    )


def _alias_is_a_field(ctx: Context, selected: set[str]) -> Iterator[Diagnostic]:
    """``select Last_Name Email from Leads``: a missing comma makes a column named Email that
    holds Last_Name. Zoho runs it; the result misleads, so this is a warning."""
    module = ctx.module
    if module is None or module.fields is None:
        return
    fields = {name.lower(): name for name in module.fields}
    for item in ctx.select.columns:
        if not isinstance(item, Column) or item.alias is None or item.alias in selected:
            continue  # an alias naming a selected column is the error above
        if item.alias.lower() == "id" and not _grouped(ctx):
            continue  # the error above
        if isinstance(item.expr, Aggregate):
            continue  # SUM(Amount) amount names a figure, not a missing comma
        other = fields.get(item.alias.lower())
        if other is None or other.lower() == item.expr.name.lower():
            continue
        if ctx.resolved(item.expr) is None and labelled(module, f"{item.expr.name} {item.alias}"):
            continue  # `select Lead Owner`: a label, which the fields rule names
        yield Diagnostic(
            "INVALID_QUERY",
            f"the alias '{item.alias}' is the name of the field {other} of {module.api_name}: "
            f"the column holds {item.expr.name}",
            item.alias_span or item.span,
            WARNING,
            hint=f"to select both, put a comma between them: {item.expr.name}, {other}; "
            "otherwise choose an alias no field of the module has",
            details={"alias": item.alias, "column_name": item.expr.name},
        )


def bounds(ctx: Context) -> Iterator[Diagnostic]:
    """``between 2000000 and 1000000`` matches nothing, and ``not between`` every record: the
    low end above the high end is a warning. Numbers, dates and datetimes (offsets counted)."""
    for cond in ctx.predicates:
        if not isinstance(cond, Between):
            continue
        low, high = _ordinal(cond.low), _ordinal(cond.high)
        if low is None or high is None or type(low) is not type(high) or not low > high:  # type: ignore[operator]
            continue
        what = "matches every record" if cond.negated else "matches nothing"
        yield Diagnostic(
            "INVALID_QUERY",
            f"{'not between' if cond.negated else 'between'} {what}: its low end is above its high end",
            cond.span,
            WARNING,
            hint="write the smaller value first: "
            + render_condition(replace(cond, low=cond.high, high=cond.low, span=None)),
        )


def _ordinal(value: Value) -> Decimal | dt.date | dt.datetime | None:
    """A bound as the field would order it: a number, a date, or a datetime with its offset."""
    if isinstance(value, Number):
        return Decimal(value.value)
    if not isinstance(value, String):
        return None
    text = value.value
    if QUOTED_NUMBER.match(text):
        return Decimal(text)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return dt.date.fromisoformat(text)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def parameters(ctx: Context) -> Iterator[Diagnostic]:
    """``:name`` placeholders still unbound (they are bound when the query runs)."""
    for node in _values(ctx):
        if isinstance(node, Param):
            yield Diagnostic(
                "SYNTAX_ERROR",
                f"parameter :{node.name} is bound when the query runs",
                node.span,
                INFO,
                hint=f"pass params={{'{node.name}': ...}}",
            )


_SURROGATE = re.compile("[\ud800-\udfff]")


def text_values(ctx: Context) -> Iterator[Diagnostic]:
    r"""A string holding a lone surrogate (bytes that were not UTF-8, as Python's
    ``surrogateescape`` keeps them) cannot be sent: the query goes to Zoho as UTF-8.

    >>> from coqlkit.language import parse
    >>> [d.message for d in text_values(Context(parse("select id from Leads where City = 'K\udcf6ln'"), None))]
    ["'K\\udcf6ln' holds U+DCF6, a lone surrogate, at its character 2: it cannot be sent as UTF-8"]
    """
    for node in _values(ctx):
        if not isinstance(node, String):
            continue
        found = _SURROGATE.search(node.value)
        if found is None:
            continue
        char = found.group()
        escaped = node.value.encode("unicode_escape").decode("ascii")
        byte = ord(char) - 0xDC00 if 0xDC80 <= ord(char) <= 0xDCFF else None
        yield Diagnostic(
            "INVALID_QUERY",
            f"'{escaped}' holds U+{ord(char):04X}, a lone surrogate, at its character "
            f"{found.start() + 1}: it cannot be sent as UTF-8",
            node.span,
            hint=(
                f"it is the byte 0x{byte:02x} of text that was not UTF-8, kept by errors='surrogateescape': "
                "decode the bytes with their real encoding (e.g. .decode('cp1252')) before building the query"
                if byte is not None
                else "the text is broken UTF-16 (half of a pair): rebuild it from its source"
            ),
        )


def _values(ctx: Context) -> Iterator[object]:
    """The values WHERE compares with, and LIMIT's and OFFSET's (where parameters stand)."""
    for cond in ctx.predicates:
        if isinstance(cond, Comparison) and not isinstance(cond.right, Select):
            yield cond.right
        elif isinstance(cond, Like):
            yield cond.pattern
        elif isinstance(cond, Between):
            yield from (cond.low, cond.high)
        elif isinstance(cond, In) and not isinstance(cond.values, Select):
            yield from (cond.values,) if isinstance(cond.values, Param) else cond.values
    if ctx.select.limit is not None:
        yield from (ctx.select.limit.count, ctx.select.limit.offset)


QUERY_RULES = (
    parameters,
    functions,
    limit_rows,
    select_columns,
    criteria_count,
    clause_sizes,
    joins,
    duplicates,
    aliases,
    bounds,
    text_values,
)
