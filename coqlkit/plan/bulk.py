"""A COQL query as a bulk-read job: its criteria as bulk-read JSON, its columns as fields.

Bulk read knows fewer comparisons than COQL: ``like`` only as contains / starts with /
ends with, ``not like`` only as does-not-contain, empty values as ``${EMPTY}``, criteria on
the module's own fields, and no subqueries, polymorphic paths or user sub-keys. A query
that needs more cannot be a bulk read (the planner keeps it on COQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from coqlkit.language.ast import (
    And,
    Between,
    Comparison,
    Condition,
    FieldRef,
    In,
    IsNull,
    Like,
    Number,
    Or,
    Select,
    String,
    Value,
)
from coqlkit.plan.columns import OutputColumn

__all__ = ["bulk_criteria", "bulk_fields"]

EMPTY = "${EMPTY}"
COMPARATORS = {
    "=": "equal",
    "!=": "not_equal",
    "<": "less_than",
    "<=": "less_equal",
    ">": "greater_than",
    ">=": "greater_equal",
}
ALL_RECORDS = IsNull(FieldRef(("id",)), negated=True)


class _Untranslatable(Exception):
    pass


def bulk_criteria(select: Select) -> dict[str, Any] | bool | None:
    """The WHERE as bulk-read criteria JSON; None for none; False when bulk read cannot say it.

    >>> from coqlkit.language import parse
    >>> bulk_criteria(parse("select a from Leads where Lead_Status = 'New' and Email like '%@x.com'"))
    {'group_operator': 'and', 'group': [{'api_name': 'Lead_Status', 'comparator': 'equal', 'value': 'New'}, {'api_name': 'Email', 'comparator': 'ends_with', 'value': '@x.com'}]}
    """
    if select.where is None or select.where == ALL_RECORDS:
        return None
    try:
        return _node(select.where)
    except _Untranslatable:
        return False


def _node(cond: Condition) -> dict[str, Any]:
    if isinstance(cond, (And, Or)):
        operator = "and" if isinstance(cond, And) else "or"
        group: list[dict[str, Any]] = []
        for side in (cond.left, cond.right):
            part = _node(side)
            if part.get("group_operator") == operator:
                group += part["group"]  # (a and b) and c: one group of three
            else:
                group.append(part)
        return {"group_operator": operator, "group": group}
    field = _field(cond.left)
    if isinstance(cond, Comparison):
        if not isinstance(cond.right, (String, Number)):
            raise _Untranslatable
        return {"api_name": field, "comparator": COMPARATORS[cond.op], "value": _value(cond.right)}
    if isinstance(cond, IsNull):
        return {"api_name": field, "comparator": "not_equal" if cond.negated else "equal", "value": EMPTY}
    if isinstance(cond, In):
        if not isinstance(cond.values, tuple):
            raise _Untranslatable  # a subquery or an unbound list
        values = [_value(v) for v in cond.values]
        return {"api_name": field, "comparator": "not_in" if cond.negated else "in", "value": values}
    if isinstance(cond, Between):
        comparator = "not_between" if cond.negated else "between"
        return {"api_name": field, "comparator": comparator, "value": [_value(cond.low), _value(cond.high)]}
    if isinstance(cond, Like):
        return _like(field, cond)
    raise _Untranslatable  # pragma: no cover - the AST has no other predicate


def _field(ref: FieldRef) -> str:
    if ref.is_path or ref.via is not None or ref.qualifier is not None:
        raise _Untranslatable  # bulk criteria name the module's own fields
    return ref.path[0]


def _value(value: Value) -> Any:
    if isinstance(value, Number):
        return float(value.value) if isinstance(value.value, Decimal) else value.value
    if isinstance(value, String):
        return value.value
    raise _Untranslatable


def _like(field: str, cond: Like) -> dict[str, Any]:
    if not isinstance(cond.pattern, String):
        raise _Untranslatable
    text = cond.pattern.value
    inner = text.strip("%")
    if "%" in inner or not inner:
        raise _Untranslatable
    starts, ends = text.startswith("%"), text.endswith("%")
    if cond.negated:
        if not (starts and ends):
            raise _Untranslatable
        return {"api_name": field, "comparator": "not_contains", "value": inner}
    comparator = (
        "contains" if starts and ends else "ends_with" if starts else "starts_with" if ends else "equal"
    )
    return {"api_name": field, "comparator": comparator, "value": inner}


def bulk_fields(columns: Sequence[OutputColumn]) -> list[str] | None:
    """The job's ``fields``: each column's path, plus each lookup's display field (so the
    CSV can fill the lookup's name); None when a column is beyond bulk read."""
    fields: dict[str, None] = {}
    for column in columns:
        if column.is_id:
            continue
        ref = column.ref
        if column.aggregate is not None or ref is None or column.field.subkey:
            return None
        if ref.via is not None or ref.qualifier is not None or len(ref.path) > 2:
            return None
        fields[ref.name] = None
        if column.lookup_name is not None:
            if len(column.lookup_name.path) > 2:
                return None
            fields[column.lookup_name.name] = None
    return list(fields)
