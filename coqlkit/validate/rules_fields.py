"""Rules that check a query against the org's metadata: modules, fields, paths, aggregates."""

from __future__ import annotations

from collections.abc import Iterator

from coqlkit.catalog import Field, FieldType, ResolveError, limits
from coqlkit.language.ast import (
    Aggregate,
    Column,
    Comparison,
    Expression,
    FieldRef,
    In,
    OrderItem,
    Predicate,
    Select,
    Star,
)
from coqlkit.validate._context import Context, labelled, part_span, refs_in, select_refs, subqueries_in
from coqlkit.validate.diagnostics import Diagnostic, Severity

__all__ = ["FIELD_RULES", "did_you_mean"]

WARNING = Severity.WARNING

# Data types Zoho refuses in a SELECT list (reference §4: image upload; multi-select lookup
# in the base module; a subform is read from its own module).
UNSELECTABLE = {
    FieldType.IMAGEUPLOAD: "image upload fields are not supported in COQL",
    FieldType.MULTISELECTLOOKUP: "a multi-select lookup cannot be read from its base module",
    FieldType.SUBFORM: "a subform is read from its own module",
}


def did_you_mean(names: tuple[str, ...] | list[str]) -> str | None:
    if not names:
        return None
    if len(names) == 1:
        return f"did you mean {names[0]}?"
    return "did you mean " + ", ".join(names[:-1]) + f" or {names[-1]}?"


def module_exists(ctx: Context) -> Iterator[Diagnostic]:
    """The FROM module must exist in the org (and be open to the API).

    >>> from coqlkit.catalog import Catalog
    >>> from coqlkit.language import parse
    >>> ctx = Context(parse("select id from Lead"), Catalog.demo())
    >>> [(d.code, d.hint) for d in module_exists(ctx)]
    [('INVALID_QUERY', 'did you mean Leads?')]
    """
    if ctx.catalog is None:
        return
    source = ctx.select.source
    module = ctx.module
    if module is None:
        yield Diagnostic(
            "INVALID_QUERY",
            f"the org has no module {source.module}",
            source.span,
            hint=did_you_mean(ctx.catalog.suggest_module(source.module)),
            details={"module": source.module},
        )
        return
    if not module.api_supported:
        yield Diagnostic(
            "INVALID_QUERY",
            f"{module.api_name} cannot be read through the API",
            source.span,
            details={"module": module.api_name},
        )


def fields_exist(ctx: Context) -> Iterator[Diagnostic]:
    """Every field and lookup path must resolve; an alias works only in SELECT and ORDER BY."""
    if not ctx.fields_known:
        return
    select = ctx.select
    aliases = ctx.aliases
    refs: list[FieldRef] = list(select_refs(select))
    for item in select.columns:
        if isinstance(item, Star):
            refs += item.exclude
    refs += ctx.where_refs
    refs += select.group_by
    for order in select.order_by:
        if isinstance(order.expr, FieldRef) and not order.expr.is_path and order.expr.path[0] in aliases:
            continue
        refs += refs_in(order)
    reported: set[FieldRef] = set()
    for ref in refs:
        found = ctx.resolve(ref)
        if not isinstance(found, ResolveError) or ref in reported:
            continue
        reported.add(ref)
        hint = (
            _path_ends(ref, found)
            or _lookup_name(ctx, ref, found)
            or _table_prefix(ctx, ref, found)
            or did_you_mean(found.suggestions)
            or found.hint
        )
        if not ref.is_path and ref.path[0] in aliases:
            hint = f"'{ref.path[0]}' is an alias: aliases can be used only in SELECT and ORDER BY"
        details: dict[str, object] = {"column_name": ref.name}
        if found.code == "LIMIT_EXCEEDED":
            details = {"limit": limits.MAX_PATH_HOPS}
        message, span = str(found), part_span(ref, found.part)
        label = _label_with_alias(ctx, ref)
        if label is not None:
            column, field = label
            message = f"{found} ({column.alias} is read as its alias)"
            span = column.span or span
            hint = f"did you mean {field.api_name}? (the field labelled {field.label})"
        yield Diagnostic(found.code, message, span, hint=hint, details=details)


def _label_with_alias(ctx: Context, ref: FieldRef) -> tuple[Column, Field] | None:
    """``select Lead Status from Leads``: a field's label typed without quotes, which COQL
    reads as the field ``Lead`` with the alias ``Status``. The column, and the field labelled so."""
    if ctx.module is None or ref.is_path or ref.quoted or ref.via or ref.qualifier:
        return None
    for item in ctx.select.columns:
        if isinstance(item, Column) and item.expr is ref and item.alias:
            field = labelled(ctx.module, f"{ref.name} {item.alias}")
            return (item, field) if field is not None else None
    return None


def _table_prefix(ctx: Context, ref: FieldRef, problem: ResolveError) -> str | None:
    """``select Leads.Last_Name from Leads``: SQL's table prefix, which COQL does not have."""
    module = ctx.module
    if problem.part != 0 or not ref.is_path or ref.via or ref.qualifier or ctx.catalog is None or not module:
        return None
    if ref.path[0].casefold() != module.api_name.casefold():
        return None
    rest = FieldRef(ref.path[1:])
    try:
        ctx.catalog.resolve(module.api_name, rest)
    except ResolveError as exc:
        also = did_you_mean(exc.suggestions)
        return "COQL has no table prefixes: name the field alone" + (f"; {also}" if also else "")
    return f"write {rest.name} (COQL has no table prefixes; !{module.api_name}.{rest.name} also works)"


def _path_ends(ref: FieldRef, problem: ResolveError) -> str | None:
    """``Owner.role.reporting_to.name``: the part named is right, the path goes on past it."""
    part = problem.part
    if part < 0 or part + 1 >= len(ref.path) or ref.path[part] not in problem.suggestions:
        return None
    rest = ".".join(ref.path[part + 1 :])
    return f"the path ends at {ref.name[: -len(rest) - 1]}: remove .{rest}"


def _lookup_name(ctx: Context, ref: FieldRef, problem: ResolveError) -> str | None:
    """``Owner.name``: results show a lookup as ``{name, id}`` (columns ``Owner.name``), but
    COQL reads the name from the target module's own name field (``Owner.full_name``)."""
    part = problem.part
    catalog, base = ctx.catalog, ctx.module
    if part < 1 or part >= len(ref.path) or ref.path[part].lower() != "name" or not catalog or not base:
        return None
    head = ref.path[:part]
    try:
        target = catalog.resolve(base.api_name, FieldRef((*head, "id"), via=ref.via, qualifier=ref.qualifier))
    except ResolveError:
        return None
    module = catalog.module(target.module)
    if module is None or module.display_field is None:
        return None
    name = module.display_field.api_name
    written = ".".join((f"{head[0]}->{ref.via}", *head[1:]) if ref.via else head)
    return (
        f"did you mean {written}.{name}? A lookup's name is its {module.api_name} record's {name} "
        f"(results show it as {'.'.join(head)}.name)"
    )


def selectable(ctx: Context) -> Iterator[Diagnostic]:
    """Types Zoho cannot return (image upload, multi-select lookup, subform) and the
    limit of five dynamic formula fields."""
    formulas = []
    for item in ctx.select.columns:
        if not isinstance(item, Column) or not isinstance(item.expr, FieldRef):
            continue
        found = ctx.resolved(item.expr)
        if found is None:
            continue
        kind = found.field.type
        if kind in UNSELECTABLE and not (kind is FieldType.MULTISELECTLOOKUP and found.hops):
            hint = None
            if kind is FieldType.MULTISELECTLOOKUP and found.field.linking_module:
                hint = f"query the linking module instead: from {found.field.linking_module}"
            elif kind is FieldType.SUBFORM:
                hint = f"query the subform's module instead: from {found.field.api_name}"
            yield Diagnostic(
                "INVALID_QUERY",
                f"{item.expr.name}: {UNSELECTABLE[kind]}",
                item.expr.span,
                hint=hint,
                details={"column_name": item.expr.name, "reason": "data type not supported"},
            )
        if kind is FieldType.FORMULA:
            formulas.append(item)
    if len(formulas) > limits.MAX_FORMULA_FIELDS:
        yield Diagnostic(
            "LIMIT_EXCEEDED",
            f"{len(formulas)} formula fields selected; COQL allows {limits.MAX_FORMULA_FIELDS}",
            formulas[limits.MAX_FORMULA_FIELDS].span,
            details={"limit": limits.MAX_FORMULA_FIELDS},
        )


NUMERIC_AGGREGATES = {"SUM", "AVG"}
ORDERED_TYPES = {FieldType.DATE, FieldType.DATETIME}
COUNTABLE = {FieldType.PICKLIST, FieldType.LOOKUP, FieldType.OWNERLOOKUP, FieldType.USERLOOKUP}


def aggregates(ctx: Context) -> Iterator[Diagnostic]:
    """SUM and AVG take numbers; MIN and MAX numbers or dates; COUNT numbers, lookups and
    picklists (reference §2.7). Zoho reports an unsupported aggregate as ``INVALID_DATA``."""
    for agg in ctx.select.aggregates:
        found = ctx.resolved(agg.arg)
        if found is None or found.field.type is FieldType.UNKNOWN:
            continue
        kind = found.field.value_type
        if agg.func not in ("SUM", "AVG", "MIN", "MAX", "COUNT"):
            continue  # not a function at all: the functions rule said so
        if agg.func in NUMERIC_AGGREGATES:
            ok, wanted = found.field.is_numeric, "a number field"
        elif agg.func in ("MIN", "MAX"):
            ok, wanted = found.field.is_numeric or kind in ORDERED_TYPES, "a number, date or datetime field"
        else:
            ok, wanted = found.field.is_numeric or kind in COUNTABLE, "a number, lookup or picklist field"
        if not ok:
            yield Diagnostic(
                "INVALID_DATA",
                f"{agg.func} needs {wanted}; {agg.arg.name} is {found.field.data_type}",
                agg.span,
                details={"reason": "unsupported aggregate function", "column": agg.arg.name},
            )


def grouping(ctx: Context) -> Iterator[Diagnostic]:
    """With aggregates or GROUP BY, every plain column must be grouped, and ORDER BY may
    use only grouped fields, selected aggregates and aliases."""
    select = ctx.select
    if not select.aggregates and not select.group_by:
        for order in select.order_by:  # an aggregate of what? no groups, none selected
            if isinstance(order.expr, Aggregate):
                yield Diagnostic(
                    "INVALID_QUERY",
                    f"ORDER BY {order.expr.name} in a query without aggregates or GROUP BY",
                    order.expr.span,
                    hint="an aggregate orders groups: add GROUP BY and select it, or order by a field",
                    details={"column_name": order.expr.name, "clause": "order by"},
                )
        return
    grouped = set(select.group_by)
    for item in select.columns:
        if isinstance(item, Star):
            yield Diagnostic(
                "INVALID_QUERY", "SELECT * cannot be combined with aggregates or GROUP BY", item.span
            )
        elif isinstance(item.expr, FieldRef) and item.expr not in grouped:
            yield Diagnostic(
                "INVALID_QUERY",
                f"{item.expr.name} is neither grouped nor aggregated",
                item.expr.span,
                hint=f"add it to GROUP BY, or aggregate it: COUNT({item.expr.name})",
                details={"column_name": item.expr.name},
            )
    selected = {c.expr for c in select.columns if isinstance(c, Column)}
    aliases = ctx.aliases
    for order in select.order_by:
        if _orderable_in_group(order, grouped, selected, aliases):
            continue
        yield Diagnostic(
            "INVALID_QUERY",
            f"ORDER BY {order.expr.name} in a grouped query: order by a grouped field or a selected aggregate",
            order.expr.span,
            details={"column_name": order.expr.name},
        )


def _orderable_in_group(
    order: OrderItem, grouped: set[FieldRef], selected: set[Expression], aliases: dict[str, Column]
) -> bool:
    expr = order.expr
    if isinstance(expr, Aggregate):
        return expr in selected
    if expr in grouped:
        return True
    return not expr.is_path and expr.path[0] in aliases


# Types that may only be selected, never sorted or grouped by (reference §2.3, §4).
SELECT_ONLY = {
    FieldType.TERRITORIES: "territory fields are only supported in the SELECT column",
    FieldType.IMAGEUPLOAD: "image upload fields are not supported in COQL",
    FieldType.MULTISELECTLOOKUP: "a multi-select lookup cannot be used from its base module",
    FieldType.SUBFORM: "a subform is read from its own module",
}


def order_and_group(ctx: Context) -> Iterator[Diagnostic]:
    """ORDER BY and GROUP BY take no territory, image, multi-select lookup or subform field;
    ORDER BY fields should be sortable (``sortable: false`` in the metadata is a warning)."""
    select = ctx.select
    clauses = [("GROUP BY", ref) for ref in select.group_by]
    clauses += [("ORDER BY", o.expr) for o in select.order_by if isinstance(o.expr, FieldRef)]
    for clause, ref in clauses:
        found = ctx.resolved(ref)
        if found is None:
            continue
        reason = SELECT_ONLY.get(found.field.type)
        if reason is not None:
            yield Diagnostic(
                "INVALID_QUERY",
                f"{ref.name} cannot be used in {clause}: {reason}",
                ref.span,
                details={"column_name": ref.name, "clause": clause.split()[0].lower()},
            )
        elif clause == "ORDER BY" and not found.field.sortable:
            # A warning: Zoho documents no refusal for a field its metadata marks
            # ``sortable: false`` (a file upload, an encrypted field...), unlike the types above.
            yield Diagnostic(
                "INVALID_QUERY",
                f"{ref.name} is not sortable in this org",
                ref.span,
                WARNING,
                hint=f"the org's metadata says sortable: false for {ref.name} ({found.field.data_type}), "
                "so Zoho may refuse to order by it: order by another field, or sort the rows locally",
                details={"column_name": ref.name},
            )


def order_by_alias_and_field(ctx: Context) -> Iterator[Diagnostic]:
    """ORDER BY a name that is an alias and a field of the module too (``select COUNT(id) as
    City ... group by City order by City``) reads as the alias, as SQL reads it; Zoho does
    not say which it takes, and coqlkit sends the alias's column instead of the name. A
    warning when the field could be meant (the query is not grouped, or the field is).

    >>> from coqlkit.catalog import Catalog
    >>> from coqlkit.language import parse
    >>> q = parse("select COUNT(id) as City from Leads group by City order by City desc")
    >>> [d.message for d in order_by_alias_and_field(Context(q, Catalog.demo()))]
    ['ORDER BY City names both the alias of COUNT(id) and the grouped field City: it orders by COUNT(id) (the alias)']
    """
    module = ctx.module
    if module is None or module.fields is None:
        return
    select = ctx.select
    grouped = bool(select.group_by or select.aggregates)
    aliases = ctx.aliases
    for order in select.order_by:
        expr = order.expr
        if not isinstance(expr, FieldRef) or expr.is_path or expr.via or expr.qualifier:
            continue
        name = expr.path[0]
        column = aliases.get(name)
        field = module.field(name)
        if column is None or field is None or column.expr == expr:
            continue
        if grouped and expr not in select.group_by:
            continue  # a field not grouped cannot order groups: the alias is the one meaning
        if name.lower() == "id" and not grouped:
            continue  # an alias named id is refused in a record query (the aliases rule)
        what = column.expr.name
        other = f"the grouped field {name}" if grouped else f"the field {name} of {module.api_name}"
        yield Diagnostic(
            "INVALID_QUERY",
            f"ORDER BY {name} names both the alias of {what} and {other}: it orders by {what} (the alias)",
            expr.span,
            WARNING,
            hint=f"Zoho does not document which of the two it takes, so coqlkit sends order by {what}; "
            f"to order by the field {name}, give {what} another alias",
            details={"column_name": name, "alias": name, "clause": "order by"},
        )


def subqueries(ctx: Context) -> Iterator[Diagnostic]:
    """``IN (select id from M ...)``: one column, checked against M; its rows are capped at 100.
    After ``= != > >= < <=`` a subquery must return a single record (``limit 1``).

    The statement's check walks every subquery, however deep (numbered in the order the
    text has them); each is checked by every rule in its own module, as a nested query.
    """
    from coqlkit.validate import RULES

    if ctx.nested:
        return
    contexts = {id(ctx.select): ctx}
    for sequence, (outer, cond, sub) in enumerate(subqueries_in(ctx.select), 1):
        where = contexts[id(outer)]
        inner = contexts[id(sub)] = Context(sub, ctx.catalog, nested=True)
        yield from _subquery_shape(cond, sub, sequence)
        for rule in RULES:
            yield from rule(inner)
        yield from _subquery_target(where, cond.left, sub)
        rows = limits.DEFAULT_LIMIT if sub.limit is None or sub.limit.count is None else sub.limit.count
        if isinstance(cond, In) and isinstance(rows, int) and rows > limits.MAX_SUBQUERY_ROWS:
            yield Diagnostic(
                "LIMIT_EXCEEDED",
                f"Zoho uses at most {limits.MAX_SUBQUERY_ROWS} records of a subquery",
                sub.span,
                Severity.INFO,
                hint="coqlkit reads a longer subquery first and sends its ids; elsewhere (Deluge, a plain "
                "API call) records past the first 100 do not count",
            )


def _subquery_shape(cond: Predicate, sub: Select, sequence: int) -> Iterator[Diagnostic]:
    """One column, and after a comparison (not IN) one record."""
    if isinstance(cond, Comparison) and (sub.limit is None or sub.limit.count != 1):
        yield Diagnostic(
            "INVALID_QUERY",
            f"after {cond.op} a subquery must return one record; Zoho refuses one that returns more",
            sub.span,
            WARNING,
            hint="end the subquery with limit 1, or compare with in (select ...)",
            details={"sub_query_sequence": sequence, "operator": cond.op},
        )
    columns = [c for c in sub.columns if isinstance(c, Column)]
    if len(columns) != 1 or len(sub.columns) != 1:
        yield Diagnostic(
            "INVALID_QUERY",
            "a subquery selects exactly one column (usually id)",
            sub.span,
            details={"sub_query_sequence": sequence, "column_name": [c.key for c in columns]},
        )


def _subquery_target(ctx: Context, left: FieldRef, sub: Select) -> Iterator[Diagnostic]:
    found = ctx.resolved(left)
    if found is None or len(sub.columns) != 1 or not isinstance(sub.columns[0], Column):
        return
    picked = sub.columns[0].expr
    if picked != FieldRef(("id",)):
        return
    field = found.field
    target = (
        field.lookup_module if field.is_lookup else (ctx.select.module if left == FieldRef(("id",)) else None)
    )
    if target is not None and target != sub.module:
        yield Diagnostic(
            "INVALID_QUERY",
            f"{left.name} holds {target} ids, but the subquery returns {sub.module} ids",
            sub.source.span,
            WARNING,
            hint=f"select id from {target} in the subquery",
        )


FIELD_RULES = (
    module_exists,
    fields_exist,
    selectable,
    aggregates,
    grouping,
    order_and_group,
    order_by_alias_and_field,
    subqueries,
)
