"""``render(select) -> str``: the strict COQL that Zoho accepts.

Whatever the input looked like, the output:

- has a WHERE clause (``where id is not null`` when the query had none);
- brackets every AND/OR inside another, so no level holds more than two conditions;
- writes aggregates in upper case, ``!=`` for ``<>``, ``limit n offset m``, aliases quoted;
- quotes every value, and every name that is a reserved word or not a plain identifier;
- doubles a quote inside a string (``'O''Brien'``, Kaizen #171) and a backslash;
- has no comments and no trailing ``;``.
"""

from __future__ import annotations

import re
from decimal import Decimal

from coqlkit.errors import RenderError
from coqlkit.language.ast import (
    Aggregate,
    And,
    Between,
    Column,
    Comparison,
    Condition,
    Expression,
    FieldRef,
    In,
    IsNull,
    Like,
    Number,
    Or,
    Param,
    Predicate,
    Select,
    Star,
    String,
    Value,
    number_fits,
)
from coqlkit.language.words import is_reserved

__all__ = ["quote", "render", "render_condition", "render_field", "render_value"]

DEFAULT_WHERE = "id is not null"
_IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")


def render(select: Select) -> str:
    """The strict COQL text of ``select``.

    >>> from coqlkit.language import parse
    >>> render(parse("SELECT count(Id) FROM Leads WHERE a = 1 AND b = 2 AND c = 3 LIMIT 10, 5"))
    'select COUNT(Id) from Leads where (a = 1 and b = 2) and c = 3 limit 5 offset 10'
    """
    return _written(select)


def _written(node: Select | Condition) -> str:
    """The text of a query or a condition, written with a stack rather than by recursion: an
    OR over 500 ids is a tree 500 deep, and subqueries nest too."""
    out: list[str] = []
    todo: list[str | Select | Condition] = [node]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            out.append(item)
        else:
            todo += reversed(_pieces(item))
    return "".join(out)


def _pieces(node: Select | Condition) -> list[str | Select | Condition]:
    """``node`` as text with the queries and conditions inside it still to write."""
    if isinstance(node, Select):
        return _select(node)
    if isinstance(node, (And, Or)):
        op = " and " if isinstance(node, And) else " or "
        return [*_operand(node.left), op, *_operand(node.right)]
    return _predicate(node)


def _select(select: Select) -> list[str | Select | Condition]:
    if not select.columns:
        raise RenderError("a query selects at least one column")
    source = select.source
    head = f"select {', '.join(_column(c) for c in select.columns)} from "
    head += f"{source.module}#{source.cvid}" if source.cvid else source.module
    tail: list[str] = []
    if select.group_by:
        tail += ["group by", ", ".join(render_field(f) for f in select.group_by)]
    if select.order_by:
        items = (f"{_expression(o.expr)} {'desc' if o.descending else 'asc'}" for o in select.order_by)
        tail += ["order by", ", ".join(items)]
    limit = select.limit
    if limit is not None:
        for value in (limit.count, limit.offset):
            if isinstance(value, Param):
                raise _unbound(value)
        count, offset = limit.rows()
        # Zoho's default page is 200 rows: an OFFSET alone keeps that size.
        tail += ["limit", str(count if count is not None else 200)]
        if offset is not None:
            tail += ["offset", str(offset)]
    where = select.where if select.where is not None else DEFAULT_WHERE
    return [head + " where ", where, "".join(" " + part for part in tail)]


def _column(item: Column | Star) -> str:
    if isinstance(item, Star):
        raise RenderError(
            "SELECT * must be expanded into field names before it is sent to Zoho",
        )
    text = _expression(item.expr)
    if item.alias is not None:
        text += f" as {quote(item.alias)}"  # every Zoho example quotes its aliases
    return text


def _expression(expr: Expression) -> str:
    if isinstance(expr, Aggregate):
        return f"{expr.func}({render_field(expr.arg)})"
    return render_field(expr)


def _plain(name: str) -> bool:
    return bool(_IDENT.match(name)) and not is_reserved(name)


def render_field(ref: FieldRef) -> str:
    """A field path, quoted when a part is a reserved word or it goes through ``->``.

    >>> render_field(FieldRef(("What_Id", "Last_Name"), via="Leads"))
    "'What_Id->Leads.Last_Name'"
    """
    name = ref.name
    if (
        ref.via is None
        and all(_plain(p) for p in ref.path)
        and (ref.qualifier is None or _plain(ref.qualifier))
    ):
        return name
    return quote(name)


def render_condition(cond: Condition) -> str:
    """A WHERE condition; nested AND/OR are bracketed so each level has two operands.

    >>> from coqlkit.language import parse
    >>> render_condition(parse("select a from B where x = 1 or y = 2 and z = 3").where)
    'x = 1 or (y = 2 and z = 3)'
    """
    return _written(cond)


def _predicate(cond: Predicate) -> list[str | Select | Condition]:
    field = render_field(cond.left)
    if isinstance(cond, Comparison):
        if isinstance(cond.right, Select):
            return [f"{field} {cond.op} (", cond.right, ")"]
        return [f"{field} {cond.op} {render_value(cond.right)}"]
    if isinstance(cond, Like):
        return [f"{field} {'not like' if cond.negated else 'like'} {render_value(cond.pattern)}"]
    if isinstance(cond, Between):
        word = "not between" if cond.negated else "between"
        return [f"{field} {word} {render_value(cond.low)} and {render_value(cond.high)}"]
    if isinstance(cond, IsNull):
        return [f"{field} is {'not null' if cond.negated else 'null'}"]
    if isinstance(cond, In):
        word = "not in" if cond.negated else "in"
        if isinstance(cond.values, Select):
            return [f"{field} {word} (", cond.values, ")"]
        if isinstance(cond.values, Param):
            raise _unbound(cond.values)
        return [f"{field} {word} ({', '.join(render_value(v) for v in cond.values)})"]
    raise TypeError(f"not a condition: {cond!r}")  # pragma: no cover - the AST has no other kind


def _operand(cond: Condition) -> list[str | Select | Condition]:
    return ["(", cond, ")"] if isinstance(cond, (And, Or)) else [cond]


def render_value(value: Value) -> str:
    """A literal as COQL writes it: strings quoted, numbers bare.

    >>> render_value(String("O'Brien"))
    "'O''Brien'"
    """
    if isinstance(value, String):
        return quote(value.value)
    if isinstance(value, Number):
        return _number(value.value)
    raise _unbound(value)


def _number(value: int | Decimal) -> str:
    if not number_fits(value):
        raise RenderError("a number is too large for COQL (more than 100 digits)")
    if isinstance(value, int):
        return str(value)
    if value == value.to_integral_value() and value.as_tuple().exponent >= 0:  # type: ignore[operator]
        return str(int(value))  # 1E+2 is 100, and -0 is 0 (it parses back as the int 0)
    return format(value, "f")


def quote(text: str) -> str:
    """``text`` between single quotes, with ``'`` doubled and ``\\`` doubled."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def _unbound(param: Param) -> RenderError:
    return RenderError(
        f"parameter :{param.name} has no value; pass params={{'{param.name}': ...}}",
    )
