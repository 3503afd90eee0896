"""Which of coqlkit's liberal conveniences a parsed query uses.

coqlkit accepts more than Zoho does and renders the strict form. ``extensions(select)``
lists each convenience used, with its span, so the sandbox can reject it as Zoho would
and the REPL can say what it will send instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from coqlkit.language.ast import Aggregate, And, FieldRef, Limit, Or, Param, Select, Span, Star, String
from coqlkit.language.words import is_reserved

__all__ = ["Extension", "extensions"]


@dataclass(frozen=True, slots=True)
class Extension:
    """One use of a convenience Zoho would reject: ``name`` is one of the keys of :data:`NOTES`."""

    name: str
    span: Span | None

    @property
    def note(self) -> str:
        return NOTES[self.name]


NOTES = {
    "missing_where": "no WHERE clause: coqlkit sends 'where id is not null'",
    "flat_chain": "more than two conditions at one level: coqlkit brackets them in pairs",
    "limit_comma": "LIMIT offset, count: coqlkit sends 'limit count offset offset'",
    "offset_only": "OFFSET without LIMIT: coqlkit sends Zoho's default 'limit 200'",
    "aggregate_case": "aggregate not in upper case: coqlkit sends it upper case",
    "count_star": "COUNT(*): coqlkit sends COUNT(id)",
    "bare_word": "unquoted value: coqlkit quotes it",
    "unquoted_name": "reserved word used as a name without quotes: coqlkit quotes it",
    "comment": "comment: coqlkit strips it",
    "terminator": "trailing ';': coqlkit strips it",
    "star": "SELECT *: coqlkit expands it from the field metadata",
    "param": ":name parameter: coqlkit binds it to a literal",
}


def extensions(select: Select) -> list[Extension]:
    """Every liberal convenience ``select`` uses, in source order.

    >>> from coqlkit.language import parse
    >>> [e.name for e in extensions(parse("select count(*) from Leads limit 5, 10;"))]
    ['missing_where', 'aggregate_case', 'count_star', 'limit_comma', 'terminator']
    """
    found = _outermost(_walk(select))
    found += [Extension("comment", s) for s in select.comments]
    if select.terminator is not None:
        found.append(Extension("terminator", select.terminator))
    return sorted(found, key=lambda e: e.span.start if e.span else -1)


def _outermost(items: Iterator[Extension]) -> list[Extension]:
    """Drop a flat chain that lies inside a longer one: each chain is reported once."""
    found = list(items)
    chains = [e.span for e in found if e.name == "flat_chain" and e.span is not None]

    def inner(e: Extension) -> bool:
        s = e.span
        return s is not None and any(o is not s and o.start <= s.start and s.end <= o.end for o in chains)

    return [e for e in found if not (e.name == "flat_chain" and inner(e))]


def _walk(select: Select) -> Iterator[Extension]:
    for node in select.walk():
        if isinstance(node, Select) and node.where is None:
            yield Extension("missing_where", node.span if node is not select else None)
        elif isinstance(node, (And, Or)):
            for child in (node.left, node.right):
                if isinstance(child, (And, Or)) and child.parens == 0:
                    yield Extension("flat_chain", child.span)
        elif isinstance(node, Aggregate):
            if node.star:
                yield Extension("count_star", node.arg.span)
            if node.spelling and node.spelling != node.func:
                yield Extension("aggregate_case", node.span)
        elif isinstance(node, FieldRef):
            if not node.quoted and any(is_reserved(p) for p in node.path):
                yield Extension("unquoted_name", node.span)
        elif isinstance(node, Limit):
            if node.style == "comma":
                yield Extension("limit_comma", node.span)
            elif node.style == "offset":
                yield Extension("offset_only", node.span)
        elif isinstance(node, String) and node.bare:
            yield Extension("bare_word", node.span)
        elif isinstance(node, Star):
            yield Extension("star", node.span)
        elif isinstance(node, Param):
            yield Extension("param", node.span)
