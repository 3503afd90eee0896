"""What the rules share while checking one query: the catalog, resolved paths, aliases."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from coqlkit.catalog import Catalog, Field, Module, Resolved, ResolveError
from coqlkit.language.ast import (
    Aggregate,
    Column,
    Comparison,
    FieldRef,
    In,
    Node,
    Predicate,
    Select,
    Span,
    Star,
)

__all__ = ["Context", "labelled", "part_span", "refs_in", "subqueries_in"]


@dataclass
class Context:
    """One query under check. ``module`` is None when there is no catalog or no such module.

    ``nested`` is true for a subquery: the statement's own check counts and walks every
    subquery in it, however deep, so a subquery's check does not do it again.
    """

    select: Select
    catalog: Catalog | None
    module: Module | None = None
    nested: bool = False
    # Keyed by id(): the rules ask about the very FieldRef objects of this query.
    _resolved: dict[int, Resolved | ResolveError] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.catalog is not None and self.module is None:
            self.module = self.catalog.module(self.select.module)

    @cached_property
    def aliases(self) -> dict[str, Column]:
        return {c.alias: c for c in self.select.columns if isinstance(c, Column) and c.alias is not None}

    @cached_property
    def predicates(self) -> list[Predicate]:
        """The leaf conditions of WHERE, left to right (not those of subqueries)."""
        return list(self.select.conditions())

    @cached_property
    def where_refs(self) -> list[FieldRef]:
        """The fields WHERE compares (not those of subqueries)."""
        return [p.left for p in self.predicates]

    @property
    def fields_known(self) -> bool:
        return self.module is not None and self.module.fields is not None

    def resolve(self, ref: FieldRef) -> Resolved | ResolveError | None:
        """The meaning of ``ref`` in this query's module (None without metadata)."""
        if self.catalog is None or self.module is None or self.module.fields is None:
            return None
        found = self._resolved.get(id(ref))
        if found is None:
            try:
                found = self.catalog.resolve(self.module.api_name, ref)
            except ResolveError as exc:
                found = exc
            self._resolved[id(ref)] = found
        return found

    def resolved(self, ref: FieldRef) -> Resolved | None:
        """The meaning of ``ref`` when it resolves (problems are reported by the fields rule)."""
        found = self.resolve(ref)
        return found if isinstance(found, Resolved) else None


def subquery_of(cond: Predicate) -> Select | None:
    """The subquery of ``x in (select ...)`` or ``x = (select ...)``, if ``cond`` has one."""
    if isinstance(cond, In) and isinstance(cond.values, Select):
        return cond.values
    if isinstance(cond, Comparison) and isinstance(cond.right, Select):
        return cond.right
    return None


def subqueries_in(select: Select) -> Iterator[tuple[Select, Predicate, Select]]:
    """Every subquery of the statement, however deeply nested, in the order the text has
    them: ``(query it sits in, its condition, the subquery)``. A loop, not recursion, so
    that a thousand nested subqueries are counted, not a stack overflow.

    >>> from coqlkit.language import parse
    >>> text = "select id from Leads where id in (select id from Leads where id in (select id from Leads))"
    >>> [sub.span.column for _, _, sub in subqueries_in(parse(text))]
    [35, 69]
    """
    stack = _direct_subqueries(select)
    while stack:
        item = stack.pop()
        yield item
        stack += _direct_subqueries(item[2])


def _direct_subqueries(select: Select) -> list[tuple[Select, Predicate, Select]]:
    """The subqueries in ``select``'s own WHERE, last first (ready to be popped in order)."""
    found = [(select, cond, sub) for cond in select.conditions() if (sub := subquery_of(cond)) is not None]
    return found[::-1]


def refs_in(node: Node) -> Iterator[FieldRef]:
    """Every field reference under ``node``, not descending into subqueries."""
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, FieldRef):
            yield current
            continue
        for child in reversed(list(current.children())):
            if isinstance(child, Select):
                continue
            stack.append(child)


def select_refs(select: Select) -> Iterator[FieldRef]:
    """Field references of the SELECT list (aggregate arguments included, EXCEPT lists not)."""
    for item in select.columns:
        if isinstance(item, Column):
            yield item.expr.arg if isinstance(item.expr, Aggregate) else item.expr
        elif isinstance(item, Star):
            continue


def part_span(ref: FieldRef, part: int) -> Span | None:
    """The span of ``ref.path[part]`` in the source, when the source spelt it canonically.

    ``part == -1`` is the ``!Module.`` prefix (or the whole reference without one).
    """
    span = ref.span
    if span is None or span.end_line != span.line:
        return span
    quote = 1 if ref.quoted else 0
    if span.end - span.start != len(ref.name) + 2 * quote:
        return span  # spaces or other spellings inside: point at the whole reference
    offset = span.column + quote
    if ref.qualifier is not None:
        if part == -1:
            return Span(span.line, offset, span.line, offset + len(ref.qualifier) + 1, span.start, span.end)
        offset += len(ref.qualifier) + 2
    elif part == -1:
        return span
    for index, name in enumerate(ref.path):
        width = len(name) + (len(ref.via) + 2 if index == 0 and ref.via else 0)
        if index == part:
            start = span.start + offset - span.column
            return Span(span.line, offset, span.line, offset + width, start, start + width)
        offset += width + 1
    return span


_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def labelled(module: Module, words: str) -> Field | None:
    """The field of ``module`` whose label (or API name) ``words`` is, but for case, blanks
    and punctuation: a label typed as Zoho's UI shows it (``Lead Status``, ``No. of Employees``).

    >>> from coqlkit.catalog import Catalog
    >>> labelled(Catalog.demo().module("Leads"), "lead owner").api_name
    'Owner'
    """
    if module.fields is None:
        return None
    key = _NOT_ALNUM.sub("", words.lower())
    if not key:
        return None
    by_name = None
    for candidate in module.fields.values():
        if _NOT_ALNUM.sub("", candidate.label.lower()) == key:
            return candidate
        if by_name is None and _NOT_ALNUM.sub("", candidate.api_name.lower()) == key:
            by_name = candidate
    return by_name
