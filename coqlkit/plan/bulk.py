"""A COQL query as a bulk-read job: its criteria as bulk-read JSON, its columns as fields.

Bulk read knows fewer comparisons than COQL: ``like`` only as contains / starts with /
ends with, ``not like`` only as does-not-contain, empty values as ``${EMPTY}``, criteria on
the module's own fields, fewer comparators per field type, and no subqueries, polymorphic
paths or user sub-keys; and at most 25 comparisons holding at most 200 values in all
(Zoho's ``CRITERIA_LIMIT_EXCEEDED`` and ``VALUE_LIMIT_EXCEEDED_IN_CRITERIA``). A query that
needs more cannot be a bulk read (the planner keeps it on COQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from coqlkit.catalog import Catalog, FieldType
from coqlkit.catalog.limits import BULK_READ_MAX_CRITERIA, BULK_READ_MAX_VALUES
from coqlkit.catalog.model import LOOKUPS, NUMERIC, TEXTUAL
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

__all__ = ["bulk_criteria", "bulk_fields", "criteria_obstacle", "fields_obstacle", "status_polls"]

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
    """What bulk read cannot say (its message names it)."""


def status_polls(job_seconds: float, poll_seconds: float) -> int:
    """The status polls of a job that takes ``job_seconds``, polled as the executor polls
    it: after a second, then waits doubling up to ``poll_seconds`` (at least one poll).

    >>> status_polls(60, 5), status_polls(2, 0.5), status_polls(0, 5)
    (14, 4, 1)
    """
    polls, waited, wait = 1, min(1.0, poll_seconds), min(1.0, poll_seconds)
    while waited < job_seconds and wait > 0:
        wait = min(wait * 2, poll_seconds)
        waited += wait
        polls += 1
    return polls


def bulk_criteria(select: Select, catalog: Catalog | None = None) -> dict[str, Any] | bool | None:
    """The WHERE as bulk-read criteria JSON; None for none; False when bulk read cannot say it.

    With ``catalog``, each comparison is checked against what bulk read offers for its
    field's type (reference §7): numbers have no ``between`` (it becomes a group of two
    comparisons) and no ``not_in``, booleans only ``equal``, lookups only equality and
    ``in``, text no ordering.

    >>> from coqlkit.language import parse
    >>> bulk_criteria(parse("select a from Leads where Lead_Status = 'New' and Email like '%@x.com'"))
    {'group_operator': 'and', 'group': [{'field': {'api_name': 'Lead_Status'}, 'comparator': 'equal', 'value': 'New'}, {'field': {'api_name': 'Email'}, 'comparator': 'ends_with', 'value': '@x.com'}]}
    """
    if select.where is None or select.where == ALL_RECORDS:
        return None
    try:
        return _translate(select, catalog)
    except _Untranslatable:
        return False


def criteria_obstacle(select: Select, catalog: Catalog | None = None) -> str | None:
    """What in the WHERE bulk read cannot say (None: it can say all of it).

    >>> from coqlkit.language import parse
    >>> criteria_obstacle(parse("select a from Leads where Account_Name.Industry = 'Media'"))
    "Account_Name.Industry: bulk-read criteria name the module's own fields, not a lookup's"
    >>> names = ", ".join(f"'n{i}'" for i in range(150))
    >>> criteria_obstacle(parse(f"select a from Leads where Last_Name in ({names}) or Company in ({names})"))
    "the criteria hold 300 values, and a bulk read takes at most 200 (Zoho's VALUE_LIMIT_EXCEEDED_IN_CRITERIA)"
    """
    if select.where is None or select.where == ALL_RECORDS:
        return None
    try:
        _translate(select, catalog)
    except _Untranslatable as exc:
        return str(exc) or "a criterion bulk read cannot say"
    return None


def _translate(select: Select, catalog: Catalog | None) -> dict[str, Any]:
    assert select.where is not None
    criteria = _Translator(select.module, catalog).node(select.where)
    _check_caps(criteria)
    return criteria


def _check_caps(criteria: dict[str, Any]) -> None:
    """Zoho's caps on one job's criteria: 25 comparisons (``CRITERIA_LIMIT_EXCEEDED``, whose
    "criteria groups" are never more than the comparisons they group) and 200 values
    (``VALUE_LIMIT_EXCEEDED_IN_CRITERIA``, "per request"), counted over the whole request, not
    per comparison, so that neither reading of the OAS is exceeded: an IN counts its values,
    a ``between`` two, any other comparison one."""
    leaves = _leaves(criteria)
    if len(leaves) > BULK_READ_MAX_CRITERIA:
        raise _Untranslatable(
            f"the WHERE makes {len(leaves)} bulk-read criteria, and a bulk read takes at most "
            f"{BULK_READ_MAX_CRITERIA} (Zoho's CRITERIA_LIMIT_EXCEEDED)"
        )
    values = sum(len(leaf["value"]) if isinstance(leaf["value"], list) else 1 for leaf in leaves)
    if values > BULK_READ_MAX_VALUES:
        raise _Untranslatable(
            f"the criteria hold {values} values, and a bulk read takes at most "
            f"{BULK_READ_MAX_VALUES} (Zoho's VALUE_LIMIT_EXCEEDED_IN_CRITERIA)"
        )


def _leaves(criteria: dict[str, Any]) -> list[dict[str, Any]]:
    if "group" not in criteria:
        return [criteria]
    return [leaf for part in criteria["group"] for leaf in _leaves(part)]


def fields_obstacle(columns: Sequence[OutputColumn]) -> str | None:
    """Which column bulk read cannot fetch (None: it can fetch them all)."""
    for column in columns:
        if column.is_id:
            continue
        ref = column.ref
        if column.aggregate is not None or ref is None:
            return f"{column.key}: an aggregate (bulk read fetches records)"
        if column.field.subkey or ref.via is not None or ref.qualifier is not None:
            return f"{ref.name}: a polymorphic or user sub-key path"
        if len(ref.path) > 2 or (column.lookup_name is not None and len(column.lookup_name.path) > 2):
            return f"{ref.name}: more than one lookup hop"
    return None


# What bulk read offers per type (reference §7): the comparators beyond these are refused.
_RANGE = frozenset({"equal", "not_equal", "less_than", "less_equal", "greater_than", "greater_equal"})
_ALLOWED: dict[FieldType, frozenset[str]] = {
    **dict.fromkeys(NUMERIC, _RANGE | {"in"}),
    **dict.fromkeys((FieldType.DATE, FieldType.DATETIME), _RANGE | {"in", "between", "not_between"}),
    **dict.fromkeys(
        TEXTUAL,
        frozenset(
            {"equal", "not_equal", "in", "not_in", "contains", "not_contains", "starts_with", "ends_with"}
        ),
    ),
    FieldType.BOOLEAN: frozenset({"equal"}),
    **dict.fromkeys(LOOKUPS, frozenset({"equal", "not_equal", "in", "not_in"})),
}


class _Translator:
    def __init__(self, module: str, catalog: Catalog | None) -> None:
        found = catalog.module(module) if catalog is not None else None
        self.module = found if found is not None and found.fields is not None else None

    def node(self, cond: Condition) -> dict[str, Any]:
        if isinstance(cond, (And, Or)):
            operator = "and" if isinstance(cond, And) else "or"
            return _group(operator, [self.node(cond.left), self.node(cond.right)])
        field = _field(cond.left)
        kind = self.kind(field)
        if isinstance(cond, Comparison):
            if not isinstance(cond.right, (String, Number)):
                raise _Untranslatable(f"{field} {cond.op} a subquery")
            return _leaf(kind, field, COMPARATORS[cond.op], _value(cond.right))
        if isinstance(cond, IsNull):  # ${EMPTY} stands for an empty value, whatever the type
            # ...through the type's comparators: a boolean (a formula's) takes equal only
            return _leaf(kind, field, "not_equal" if cond.negated else "equal", EMPTY)
        if isinstance(cond, In):
            if not isinstance(cond.values, tuple):
                raise _Untranslatable(f"{field} in a subquery")  # (or an unbound list)
            values = [_value(v) for v in cond.values]
            return _leaf(kind, field, "not_in" if cond.negated else "in", values)
        if isinstance(cond, Between):
            return self.between(kind, field, cond)
        if isinstance(cond, Like):
            return _like(kind, field, cond)
        raise _Untranslatable  # pragma: no cover - the AST has no other predicate

    def kind(self, field: str) -> FieldType | None:
        """The field's type, when the catalog knows it (a formula: the type it returns)."""
        if self.module is None:
            return None
        found = self.module.field(field) or self.module.field_folded(field)
        return found.value_type if found is not None else None

    def between(self, kind: FieldType | None, field: str, cond: Between) -> dict[str, Any]:
        low, high = _value(cond.low), _value(cond.high)
        comparator = "not_between" if cond.negated else "between"
        if kind is None or comparator in _ALLOWED.get(kind, frozenset({comparator})):
            return _leaf(kind, field, comparator, [low, high])
        if cond.negated:  # a number outside [low, high]
            parts = [_leaf(kind, field, "less_than", low), _leaf(kind, field, "greater_than", high)]
            return _group("or", parts)
        return _group(
            "and", [_leaf(kind, field, "greater_equal", low), _leaf(kind, field, "less_equal", high)]
        )


def _group(operator: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
    group: list[dict[str, Any]] = []
    for part in parts:
        if part.get("group_operator") == operator:
            group += part["group"]  # (a and b) and c: one group of three
        else:
            group.append(part)
    return {"group_operator": operator, "group": group}


def _leaf(kind: FieldType | None, field: str, comparator: str, value: Any) -> dict[str, Any]:
    if kind is not None and kind in _ALLOWED and comparator not in _ALLOWED[kind]:
        raise _Untranslatable(f"{field}: bulk read has no {comparator} for a {kind.value} field")
    # The field as {"api_name": ...} under "field", as Zoho's v8 OAS and its recent
    # examples (Kaizen #195) write it; the older top-level "api_name" (v2 docs, Kaizen #12)
    # may still be taken, which is not documented for v8.
    return {"field": {"api_name": field}, "comparator": comparator, "value": value}


def _field(ref: FieldRef) -> str:
    """The field a criterion names; ``Owner.id`` is the lookup ``Owner`` itself (its value
    is the id: ``Owner = 4150868000000225013``)."""
    own_id = len(ref.path) == 2 and ref.path[1].lower() == "id"
    if (ref.is_path and not own_id) or ref.via is not None or ref.qualifier is not None:
        raise _Untranslatable(f"{ref.name}: bulk-read criteria name the module's own fields, not a lookup's")
    return ref.path[0]


def _value(value: Value) -> Any:
    if isinstance(value, Number):
        return float(value.value) if isinstance(value.value, Decimal) else value.value
    if isinstance(value, String):
        return value.value
    raise _Untranslatable("a value bulk read cannot send")


def _like(kind: FieldType | None, field: str, cond: Like) -> dict[str, Any]:
    if not isinstance(cond.pattern, String):
        raise _Untranslatable(f"{field} like a parameter")
    text = cond.pattern.value
    inner = text.strip("%")
    if "%" in inner or not inner:
        raise _Untranslatable(f"{field} like {text!r}: bulk read knows contains, starts with and ends with")
    starts, ends = text.startswith("%"), text.endswith("%")
    if cond.negated:
        if not (starts and ends):
            raise _Untranslatable(f"{field} not like {text!r}: bulk read knows only does-not-contain ('%x%')")
        return _leaf(kind, field, "not_contains", inner)
    comparator = (
        "contains" if starts and ends else "ends_with" if starts else "starts_with" if ends else "equal"
    )
    return _leaf(kind, field, comparator, inner)


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
