"""What the planner works from: the query with ``*`` expanded, its output columns, and the
rewrites that make an oversized IN fit one query."""

from __future__ import annotations

from dataclasses import replace

from coqlkit.catalog import Catalog, Field, FieldType, Module, ResolveError
from coqlkit.catalog.limits import MAX_CRITERIA, MAX_IN_VALUES, MAX_LIMIT
from coqlkit.errors import PlanError
from coqlkit.language.ast import (
    Aggregate,
    And,
    Column,
    Comparison,
    Condition,
    FieldRef,
    In,
    Number,
    Or,
    Select,
    Star,
    String,
)
from coqlkit.plan.columns import ID_FIELD, OutputColumn
from coqlkit.plan.options import PlanOptions

__all__ = [
    "criteria_count",
    "expand_star",
    "has_long_in",
    "id_bound",
    "long_in_refusal",
    "one_call_rows",
    "output_columns",
    "rewrite_long_ins",
    "slices_per_query",
    "split_long_in",
    "swap_condition",
]

# Types COQL cannot return: never part of an expanded SELECT * (reference §4).
NOT_SELECTABLE = frozenset({FieldType.IMAGEUPLOAD, FieldType.MULTISELECTLOOKUP, FieldType.SUBFORM})


def module_of(select: Select, catalog: Catalog) -> Module:
    module = catalog.module(select.module)
    if module is None or module.fields is None:
        raise PlanError(f"no field metadata for module {select.module}: cannot plan a query on it")
    return module


def expand_star(select: Select, catalog: Catalog) -> Select:
    """``SELECT *`` and ``SELECT * EXCEPT (...)`` as the module's selectable fields, by name."""
    if not any(isinstance(c, Star) for c in select.columns):
        return select
    module = module_of(select, catalog)
    assert module.fields is not None
    items: list[Column] = []
    for item in select.columns:
        if isinstance(item, Star):
            skip = {ref.name for ref in item.exclude} | {"id"}
            items += [
                Column(FieldRef((f.api_name,)))
                for f in module.fields.values()
                if f.api_name not in skip and f.type not in NOT_SELECTABLE
            ]
        else:
            items.append(item)
    seen: set[object] = set()
    unique = [c for c in items if not (c.expr in seen or seen.add(c.expr))]  # type: ignore[func-returns-value]
    return replace(select, columns=tuple(unique))


def resolve_field(catalog: Catalog, module: str, ref: FieldRef) -> Field:
    """The field ``ref`` names; one the catalog does not know (a query sent unchecked, a
    field added since the metadata was cached) is of unknown type: its values arrive as
    JSON text, and Zoho says whether it exists."""
    try:
        return catalog.resolve(module, ref).field
    except ResolveError:
        return Field(ref.path[-1], FieldType.UNKNOWN.value, label=ref.name)


def output_columns(select: Select, catalog: Catalog) -> list[OutputColumn]:
    """The result's columns: ``id`` first for a record query, then the query's own."""
    out: list[OutputColumn] = []
    grouped = bool(select.aggregates or select.group_by)
    if not grouped:
        out.append(OutputColumn("id", ID_FIELD, FieldRef(("id",))))
    for item in select.columns:
        if not isinstance(item, Column):
            raise PlanError("SELECT * must be expanded before the columns are known")
        expr = item.expr
        if isinstance(expr, Aggregate):
            field = resolve_field(catalog, select.module, expr.arg)
            out.append(OutputColumn(item.key, field, expr.arg, aggregate=expr.func))
            continue
        if expr == FieldRef(("id",)) and not grouped and item.alias is None:
            continue  # id is already first
        field = resolve_field(catalog, select.module, expr)
        out.append(OutputColumn(item.key, field, expr, lookup_name=_display_path(catalog, expr, field)))
    return out


def _display_path(catalog: Catalog, ref: FieldRef, field: Field) -> FieldRef | None:
    """For a lookup, the path of its target's display field (``Owner`` → ``Owner.full_name``)."""
    if not field.is_lookup or field.subkey or not field.lookup_module:
        return None
    target = catalog.module(field.lookup_module)
    display = target.display_field if target is not None else None
    if display is None:
        return None
    return FieldRef((*ref.path, display.api_name), via=ref.via, qualifier=ref.qualifier)


# ---- IN lists longer than Zoho takes -----------------------------------------------------


def id_bound(cond: Condition | None) -> int | None:
    """At most how many records a WHERE matches, by its ids alone: ``id = x`` one, ``id in
    (...)`` as many as its distinct values; AND the least of its sides, OR their sum. None:
    nothing in it bounds the records (no probe can be spared).

    >>> from coqlkit.language import parse
    >>> id_bound(parse("select Last_Name from Leads where id in (1, 2, 2) and City = 'X'").where)
    2
    """
    if cond is None:
        return None
    if isinstance(cond, And):
        sides = [b for b in (id_bound(cond.left), id_bound(cond.right)) if b is not None]
        return min(sides) if sides else None
    if isinstance(cond, Or):
        left, right = id_bound(cond.left), id_bound(cond.right)
        return None if left is None or right is None else left + right
    if not isinstance(cond, (Comparison, In)) or not _is_record_id(cond.left):
        return None
    if isinstance(cond, Comparison):
        return 1 if cond.op == "=" else None
    if cond.negated or not isinstance(cond.values, tuple):
        return None
    if not all(isinstance(v, (String, Number)) for v in cond.values):
        return None
    return len({str(v.value) for v in cond.values if isinstance(v, (String, Number))})


def one_call_rows(select: Select, options: PlanOptions) -> int | None:
    """The rows one call can fetch whole without knowing how many match: the LIMIT, or as
    many as the ids of an ``id in (...)`` (past its OFFSET), when that many fit in a page
    inside the offset ceiling (None: they may not)."""
    count, start = select.limit.rows() if select.limit is not None else (None, None)
    offset = start or 0
    bound = id_bound(select.where)
    if bound is not None:
        left = max(0, bound - offset)
        count = left if count is None else min(count, left)
    if count is None or count > min(options.page_size, MAX_LIMIT):
        return None
    return count if offset + count <= options.offset_ceiling else None


def _is_record_id(ref: FieldRef) -> bool:
    return len(ref.path) == 1 and ref.path[0].lower() == "id" and ref.via is None


def criteria_count(cond: Condition | None) -> int:
    if cond is None:
        return 0
    if isinstance(cond, (And, Or)):
        return criteria_count(cond.left) + criteria_count(cond.right)
    return 1


def _chunks(node: In) -> list[In]:
    values = node.values
    assert isinstance(values, tuple)
    return [
        replace(node, values=values[i : i + MAX_IN_VALUES], span=None)
        for i in range(0, len(values), MAX_IN_VALUES)
    ]


def _pairwise(parts: list[Condition], joiner: type[And] | type[Or]) -> Condition:
    result = parts[0]
    for part in parts[1:]:
        result = joiner(result, part, parens=1)
    return result


def _long(cond: Condition) -> bool:
    return isinstance(cond, In) and isinstance(cond.values, tuple) and len(cond.values) > MAX_IN_VALUES


def swap_condition(cond: Condition, target: Condition, new: Condition) -> Condition:
    """``cond`` with the node ``target`` (that very node, not an equal one) replaced by ``new``."""
    if cond is target:
        return new
    if isinstance(cond, (And, Or)):
        return replace(
            cond, left=swap_condition(cond.left, target, new), right=swap_condition(cond.right, target, new)
        )
    return cond


def has_long_in(select: Select) -> bool:
    """An IN (or NOT IN) of more than 50 values: more than Zoho takes in one list."""
    return any(_long(c) for c in select.conditions())


def rewrite_long_ins(select: Select) -> Select | None:
    """Every IN of more than 50 values as an OR of INs of 50 (NOT IN: an AND of NOT INs).

    The same records in one query, when the rewritten WHERE keeps within 25 criteria;
    None when it would not (the planner then splits the query instead).
    """

    def rewrite(cond: Condition) -> Condition:
        if isinstance(cond, (And, Or)):
            return replace(cond, left=rewrite(cond.left), right=rewrite(cond.right))
        if _long(cond):
            assert isinstance(cond, In)
            return _pairwise(list(_chunks(cond)), And if cond.negated else Or)
        return cond

    if select.where is None:
        return select
    where = rewrite(select.where)
    if criteria_count(where) > MAX_CRITERIA:
        return None
    return replace(select, where=where)


def _sent_criteria(cond: Condition | None, skip: tuple[In, ...] = ()) -> int:
    """The criteria ``cond`` takes as it goes to Zoho: a long NOT IN as its NOT INs of 50
    (it cannot be split), any other condition one, the nodes in ``skip`` none."""
    if cond is None:
        return 0
    if isinstance(cond, (And, Or)):
        return _sent_criteria(cond.left, skip) + _sent_criteria(cond.right, skip)
    if any(cond is node for node in skip):
        return 0
    if _long(cond) and isinstance(cond, In) and cond.negated:
        assert isinstance(cond.values, tuple)
        return -(-len(cond.values) // MAX_IN_VALUES)
    return 1


def _long_ins(select: Select) -> list[In]:
    """The long positive INs of the WHERE, in order (what an IN split can slice)."""
    return [c for c in select.conditions() if _long(c) and isinstance(c, In) and not c.negated]


def slices_per_query(select: Select) -> int:
    """How many INs of 50 of its first long IN one part of an IN split holds: as many as
    the criteria left allow (an OR of INs), after the rest of the WHERE (a long NOT IN as
    its NOT INs of 50, which every part sends whole) and one criterion kept for keyset's
    "id > ..."; shared equally when several long INs are split in turn. 1,400 values beside
    3 other criteria are 2 queries, not 28; beside a NOT IN of 200 values (4 NOT INs of
    50), 2 queries of 1,000. With no criterion left for keyset, the parts take that one
    too (a part that must page past the ceiling is then refused when planned). Less than
    1: no split fits.

    >>> from coqlkit.language import parse
    >>> ids = ", ".join(str(n) for n in range(1, 1401))
    >>> emails = ", ".join(f"'{n}@x.com'" for n in range(200))
    >>> slices_per_query(parse(f"select Email from Leads where id in ({ids}) and Email not in ({emails})"))
    20
    """
    ins = _long_ins(select)
    free = MAX_CRITERIA - 1 - _sent_criteria(select.where, tuple(ins))
    share = max(1, len(ins))
    return free // share or (free + 1) // share


def long_in_refusal(select: Select) -> str:
    """Why no split of ``select``'s long IN lists fits Zoho's 25 criteria (for a PlanError).

    >>> from coqlkit.language import parse
    >>> ids = ", ".join(str(n) for n in range(1, 1401))
    >>> print(long_in_refusal(parse(f"select Email from Leads where id not in ({ids})")))
    a NOT IN of 1,400 values takes 28 criteria as NOT INs of 50, which every query must send whole: more than the 25 a query takes (at most 1,250 values, fewer beside other criteria): shorten the list or narrow the query another way
    """
    negated = [c for c in select.conditions() if _long(c) and isinstance(c, In) and c.negated]
    ins = _long_ins(select)
    taken = _sent_criteria(select.where, tuple(ins))
    if negated:
        values = sum(len(c.values) for c in negated if isinstance(c.values, tuple))
        chunks = sum(_sent_criteria(c) for c in negated)
        lists = "a NOT IN of" if len(negated) == 1 else f"{len(negated)} NOT INs of together"
        verb = "takes" if len(negated) == 1 else "take"
        what = f"{lists} {values:,} values {verb} {chunks:,} criteria as NOT INs of 50, which every query must send whole"
        if taken != chunks:
            what += f" ({taken:,} with the rest of the WHERE)"
    else:
        what = f"the rest of the WHERE takes {taken:,} criteria"
    if ins:
        return (
            f"{what}: no room is left beside them, in Zoho's 25 criteria a query (one kept for "
            "keyset's 'id > ...'), for the values of the long IN, even split into several "
            "queries: shorten the NOT IN or narrow the query another way"
        )
    return (
        f"{what}: more than the 25 a query takes (at most 1,250 values, fewer beside other "
        "criteria): shorten the list or narrow the query another way"
    )


def split_long_in(select: Select) -> list[Select] | None:
    """One query per group of slices of the first long positive IN (an OR of INs of 50, as
    many as :func:`slices_per_query` allows); their rows together (by id) are the query's,
    because a COQL condition is monotone in each IN (there is no NOT). None when the only
    long lists are NOT IN, or when the NOT INs leave no room for any slice."""
    ins = _long_ins(select)
    room = slices_per_query(select)
    if select.where is None or not ins or room < 1:
        return None
    big = ins[0]
    slices = _chunks(big)
    groups = [_pairwise(list(slices[i : i + room]), Or) for i in range(0, len(slices), room)]
    return [replace(select, where=swap_condition(select.where, big, group)) for group in groups]
