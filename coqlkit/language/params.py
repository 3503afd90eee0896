"""Bind ``:name`` parameters to typed literals in the AST — never by formatting text.

A value becomes a literal node (``String`` or ``Number``) that the renderer escapes, so
no value can change the structure of a query: ``"x') or (1=1"`` stays one string.

=================  ==================================================
Python value       COQL literal
=================  ==================================================
``str``            ``'text'`` (quotes and backslashes escaped)
``bool``           ``'true'`` / ``'false'`` (how COQL writes booleans)
``int``            ``42``
``float``          ``0.25`` (finite only)
``Decimal``        ``1234.50`` (finite only)
``date``           ``'2024-05-28'``
``datetime``       ``'2024-05-28T09:30:00+05:30'`` (must carry a time zone;
                   seconds precision, as Zoho accepts; an offset with seconds
                   is sent in UTC); without a zone, only midnight: the day
                   ``'2024-05-28'``, as a date column comes back in pandas
list, tuple, set   the values of ``in (...)`` / ``not in (...)``
=================  ==================================================

numpy and pandas values bind as the Python values they stand for: ``np.float64`` as a
``float``, ``np.int64`` as an ``int``, ``np.bool_`` as a ``bool``, ``np.datetime64`` as a
``date`` (a day) or a ``datetime`` (refused without a zone unless at midnight), a
``pd.Timestamp`` as the ``datetime`` it is; a one-dimensional array, ``Series`` or
``Index`` as a list.

``None`` (and NaN, NaT) is refused: COQL writes it ``is null``. ``LIMIT :n`` and
``OFFSET :m`` take a whole number (an ``int``, numpy's integers too; not a ``bool``).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Mapping, Set
from dataclasses import fields, replace
from decimal import Decimal
from typing import Any

from coqlkit.errors import ParameterError
from coqlkit.language.ast import In, Limit, Node, Number, Param, Select, String, Value, number_fits

__all__ = ["bind", "literal", "parameters"]


def parameters(select: Select) -> list[str]:
    """The names of the ``:name`` parameters in ``select``, in order, without repeats."""
    seen: dict[str, None] = {}
    for node in select.walk():
        if isinstance(node, Param):
            seen.setdefault(node.name, None)
    return list(seen)


def bind(select: Select, params: Mapping[str, Any]) -> Select:
    """Replace every ``:name`` in ``select`` with the literal for ``params[name]``.

    >>> from coqlkit.language import parse, render
    >>> q = parse("select Last_Name from Leads where Email = :email and Lead_Source in :sources")
    >>> print(render(bind(q, {"email": "o'brien@zylker.com", "sources": ["Web Download", "Chat"]})))
    select Last_Name from Leads where Email = 'o''brien@zylker.com' and Lead_Source in ('Web Download', 'Chat')
    """
    missing = [name for name in parameters(select) if name not in params]
    if missing:
        names = ", ".join(f":{n}" for n in missing)
        first = next(n for n in select.walk() if isinstance(n, Param) and n.name == missing[0])
        raise ParameterError(f"no value given for {names}", span=first.span, text=select.text)
    try:
        result = _bind(select, params)
    except ParameterError as exc:  # quoted with a caret when the query's text is known
        if select.text is None or exc.text is not None:
            raise
        raise exc.at(exc.span, select.text) from None
    assert isinstance(result, Select)
    return result


def _bind(select: Select, params: Mapping[str, Any]) -> Node:
    """``select`` with its parameters bound, rebuilt from the leaves up with a loop rather
    than by recursion: a chain of 500 conditions is a tree 500 deep."""
    bound: dict[int, Node] = {}  # id of a node -> the node with its parameters bound
    for node in reversed(list(select.walk())):  # each node after every node below it
        bound[id(node)] = _bind_node(node, params, bound)
    return bound[id(select)]


def _bind_node(node: Node, params: Mapping[str, Any], bound: dict[int, Node]) -> Node:
    """``node`` with its parameters bound; the nodes below it are bound in ``bound``."""
    if isinstance(node, Param):
        return node  # bound by the node that holds it, which knows whether a list may stand there
    if isinstance(node, In):
        return _bind_in(node, params, bound)
    if isinstance(node, Limit):
        count, offset = (
            _rows(params[v.name], v) if isinstance(v, Param) else v for v in (node.count, node.offset)
        )
        return replace(node, count=count, offset=offset)
    changes: dict[str, Any] = {}
    for f in fields(node):
        if not f.compare:
            continue
        value = getattr(node, f.name)
        if isinstance(value, Node):
            new = _bound(value, params, bound)
            if new is not value:
                changes[f.name] = new
        elif isinstance(value, tuple) and any(isinstance(v, Node) for v in value):
            items = tuple(_bound(v, params, bound) if isinstance(v, Node) else v for v in value)
            if any(a is not b for a, b in zip(items, value, strict=False)):
                changes[f.name] = items
    return replace(node, **changes) if changes else node


def _bound(node: Node, params: Mapping[str, Any], bound: dict[int, Node]) -> Node:
    """A child as bound: a parameter's literal, or the node as :func:`_bind` rebuilt it."""
    return literal(params[node.name], node) if isinstance(node, Param) else bound[id(node)]


def _bind_in(node: In, params: Mapping[str, Any], bound: dict[int, Node]) -> In:
    values = node.values
    if isinstance(values, Select):
        subquery = bound[id(values)]
        assert isinstance(subquery, Select)
        return node if subquery is values else replace(node, values=subquery)
    if isinstance(values, Param):
        return replace(node, values=_list(params[values.name], values))
    result: list[Value] = []
    for v in values:
        if isinstance(v, Param) and _is_list(params[v.name]):
            result.extend(_list(params[v.name], v))
        elif isinstance(v, Param):
            result.append(literal(params[v.name], v))
        else:
            result.append(v)
    return replace(node, values=tuple(result))


def _rows(value: Any, param: Param) -> int:
    """A LIMIT or OFFSET parameter's value: a whole number (numpy's too), not a bool; its
    range is the validator's to check, with Zoho's codes."""
    if not isinstance(value, bool):
        try:
            return operator.index(value)
        except TypeError:
            pass
    raise ParameterError(
        f":{param.name} is {value!r}; LIMIT and OFFSET take a whole number of rows", span=param.span
    )


def _is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple, Set)) or (_from_numpy(value) and getattr(value, "ndim", 0) == 1)


def _from_numpy(value: Any) -> bool:
    return type(value).__module__.partition(".")[0] in ("numpy", "pandas")


def _native(value: Any) -> Any:
    """A numpy or pandas scalar as the Python value it stands for (others as they are):
    ``np.int64`` is no ``int``, and ``repr(np.float64(2.5))`` is no number."""
    dimensions: int = getattr(value, "ndim", 0)
    if not _from_numpy(value) or isinstance(value, (str, dt.datetime)) or dimensions:
        return value  # a pd.Timestamp is a datetime already (nanoseconds are dropped anyway)
    dtype = getattr(value, "dtype", None)
    if getattr(dtype, "kind", "") == "M" and str(dtype) not in ("datetime64[D]", "datetime64[W]"):
        value = value.astype("datetime64[us]")  # at nanoseconds, item() is an int
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _list(value: Any, param: Param) -> tuple[Value, ...]:
    if not _is_list(value):
        items = [value]
    else:
        items = sorted(value, key=repr) if isinstance(value, Set) else list(value)
    if not items:
        raise ParameterError(f":{param.name} is an empty list; IN needs at least one value", span=param.span)
    return tuple(literal(v, param, item=index if _is_list(value) else None) for index, v in enumerate(items))


def _check_text(value: str, name: str) -> None:
    """A lone surrogate cannot be sent as UTF-8 (see ``validate.rules_query.text_values``)."""
    for index, char in enumerate(value):
        if "\ud800" <= char <= "\udfff":
            byte = ord(char) - 0xDC00
            how = (
                f"the byte 0x{byte:02x} of text that was not UTF-8, kept by errors='surrogateescape'; "
                "decode the bytes with their real encoding first"
                if 0x80 <= byte <= 0xFF
                else "half of a UTF-16 pair; rebuild the text from its source"
            )
            raise ParameterError(
                f"{name} holds U+{ord(char):04X}, a lone surrogate, at its character {index + 1}: it cannot be "
                f"sent as UTF-8 ({how})"
            )


def literal(value: Any, param: Param | None = None, *, item: int | None = None) -> Value:
    """The COQL literal for one Python value (see the module's table); a ParameterError
    says where ``param`` stands, and names the list's ``item`` it is (``:vals[1]``).

    >>> literal(["Chat", None][1], Param("vals"), item=1)
    Traceback (most recent call last):
    ...
    coqlkit.errors.ParameterError: :vals[1] is None; IN matches no null: add 'or FIELD is null' beside the IN
    """
    try:
        return _literal(value, param, item)
    except ParameterError as exc:
        if param is None or exc.span is not None:
            raise
        raise exc.at(param.span) from None


def _literal(value: Any, param: Param | None, item: int | None = None) -> Value:
    span = param.span if param is not None else None
    name = f":{param.name}" if param is not None else "value"
    if item is not None:
        name = f"{name}[{item}]"
    value = _native(value)
    if isinstance(value, bool):
        return String("true" if value else "false", span=span)
    if isinstance(value, str):
        _check_text(value, name)
        return String(value, span=span)
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(float.__repr__(value)) if isinstance(value, float) else value
        if isinstance(number, Decimal) and not number.is_finite():
            null = " (NaN stands for a missing value: write 'is null')" if number.is_nan() else ""
            raise ParameterError(f"{name} is {value}; COQL numbers are finite{null}")
        if not number_fits(number):
            raise ParameterError(f"{name} has more digits than a COQL number holds")
        return Number(number, span=span)
    if isinstance(value, dt.datetime):
        if value != value:  # pandas' NaT
            raise ParameterError(f"{name} is NaT; write 'is null' in the query instead")
        offset = value.utcoffset()
        if offset is None and value.time() == dt.time():
            # A naive midnight is a day: what a date column becomes in pandas (Timestamp,
            # datetime64[ms]), so "filter by what I just got" works on date fields. On a
            # datetime field the validator refuses it as this parameter's, lacking a zone.
            naive = name if param is not None else ""
            return String(value.date().isoformat(), span=span, naive_midnight=naive)
        if offset is None:
            raise ParameterError(
                f"{name} is a datetime without a time zone; Zoho needs the offset "
                "(use datetime(..., tzinfo=timezone.utc) or .astimezone()); "
                "for a date field, pass its .date()"
            )
        if offset.seconds % 60 or offset.microseconds:
            # Zoho writes offsets as ±HH:MM: an offset with seconds (old local mean times)
            # is sent as the same instant in UTC.
            try:
                value = value.astimezone(dt.timezone.utc)
            except OverflowError:
                raise ParameterError(f"{name} is a datetime at the edge of the calendar") from None
        return String(value.replace(microsecond=0).isoformat(), span=span)
    if isinstance(value, dt.date):
        return String(value.isoformat(), span=span)
    if value is None and item is not None:
        raise ParameterError(f"{name} is None; IN matches no null: add 'or FIELD is null' beside the IN")
    if value is None:
        raise ParameterError(f"{name} is None; write 'is null' in the query instead")
    if _is_list(value):
        raise ParameterError(f"{name} is a list; lists bind only after IN: field in {name}")
    raise ParameterError(f"{name} has type {type(value).__name__}, which has no COQL literal")
