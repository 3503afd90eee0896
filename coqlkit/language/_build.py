"""Lark parse callbacks → AST. The transformer runs inside the LALR parser (no parse tree)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import replace
from decimal import Decimal
from typing import Any

from lark import Token, Transformer

from coqlkit.language.ast import (
    MAX_NUMBER_DIGITS,
    Aggregate,
    And,
    Between,
    Column,
    Comparison,
    Condition,
    FieldRef,
    In,
    IsNull,
    Like,
    Limit,
    Node,
    Number,
    Or,
    OrderItem,
    Param,
    Select,
    SelectItem,
    Source,
    Span,
    Star,
    String,
    Value,
    number_fits,
    read_number,
)

AGGREGATES = frozenset({"SUM", "MIN", "MAX", "AVG", "COUNT"})

# Words that read as a field only by mistake (`select from Leads`, `where not x = 1`).
# A field really named so is written quoted: 'Order'.
CLAUSE_WORDS = frozenset(
    {"select", "from", "where", "and", "or", "not", "group", "order", "by", "limit", "offset", "as", "having"}
)

# Comments seen while lexing the statement being parsed (the lexer callback has no other way out).
comments: ContextVar[list[Span]] = ContextVar("coqlkit_comments")
# The text being parsed, for messages that depend on what came before.
source_text: ContextVar[str] = ContextVar("coqlkit_source_text")


class Problem(Exception):
    """A syntax problem found by a callback; parse() turns it into CoqlSyntaxError."""

    def __init__(
        self, message: str, span: Span | None, hint: str | None = None, code: str = "SYNTAX_ERROR"
    ) -> None:
        super().__init__(message)
        self.span = span
        self.hint = hint
        self.code = code


def token_span(tok: Token) -> Span:
    # Lark's lexers always set the positions; the ignores keep mypy quiet about Optional.
    return Span(tok.line, tok.column, tok.end_line, tok.end_column, tok.start_pos, tok.end_pos)  # type: ignore[arg-type]


def cover(first: Span | None, last: Span | None) -> Span | None:
    """From the start of ``first`` to the end of ``last`` (which comes after it)."""
    if first is None or last is None:
        return first or last
    return Span(first.line, first.column, last.end_line, last.end_column, first.start, last.end)


def span_of(*items: Any) -> Span | None:
    """The span covering every token and node given (None and plain values are skipped)."""
    result: Span | None = None
    for item in items:
        if isinstance(item, Token):
            s: Span | None = token_span(item)
        elif isinstance(item, Node):
            s = item.span
        elif isinstance(item, (list, tuple)):
            s = span_of(*item)
        else:
            s = None
        if s is not None:
            result = s if result is None else result.merge(s)
    return result


def keyword_as_field(tok: Token) -> Problem:
    word = tok.lower()
    span = token_span(tok)
    text = source_text.get("")
    before = text[: tok.start_pos].rstrip().lower()
    if word == "from" and before.endswith(","):
        return Problem("a field is missing before FROM", span, "remove the comma before FROM")
    if word == "from" and before.endswith("select"):
        return Problem(
            "the SELECT list is empty", span, "name the fields to fetch: select Last_Name from Leads"
        )
    if word == "not":
        return Problem(
            "COQL has no NOT operator",
            span,
            "negate the comparison instead: !=, not like, not in, not between, is not null",
        )
    if word in ("and", "or"):
        return Problem(
            f"a condition is missing before '{tok}'", span, "a condition is field, comparator, value"
        )
    if word == "having":
        return Problem("COQL has no HAVING clause", span, no_having(text[tok.end_pos :]))
    return Problem(
        f"'{tok}' is a keyword, not a field",
        span,
        f"if a field is really named so, quote it: '{tok}'",
    )


def _distinct(expr: FieldRef, field: str) -> Problem:
    """``select distinct Lead_Source``, which the grammar reads as a field with an alias."""
    rest = source_text.get("")[expr.span.end if expr.span else 0 :]
    found = re.search(r"\bfrom\s+([A-Za-z_$][\w$]*)", rest, re.IGNORECASE)
    module = found.group(1) if found else "<Module>"
    return Problem(
        "COQL has no DISTINCT",
        expr.span,
        f"GROUP BY the field to get each value once: select {field} from {module} group by {field}",
    )


def no_having(rest: str) -> str:
    """The hint for HAVING, with the aggregate the query filters on when ``rest`` names one."""
    found = re.match(r"\s*([A-Za-z_$][\w$]*\s*\(\s*[\w$.*]+\s*\))", rest)
    aggregate = found.group(1) if found else "COUNT(id)"
    return (
        f"COQL has no HAVING clause: order by the aggregate (order by {aggregate} desc) "
        "or filter the grouped rows locally"
    )


def on_comment(tok: Token) -> Token:
    found = comments.get(None)
    if found is not None:
        found.append(token_span(tok))
    return tok


# Inside '...' a doubled '' is a quote; inside "..." a doubled "". Backslash escapes either.
_ESCAPES = {q: re.compile(rf"\\([\\'\"])|{q}{q}") for q in ("'", '"')}


def unquote(text: str) -> str:
    r"""The value of a quoted token: ``\'``, ``\"``, ``\\`` and the doubled enclosing quote.

    A backslash before any other character is kept as it is.
    """
    quote, body = text[0], text[1:-1]
    if "\\" not in body and quote * 2 not in body:
        return body
    return _ESCAPES[quote].sub(lambda m: m.group(1) or quote, body)


_PATH = re.compile(
    r"""\s*(?:!(?P<qual>[A-Za-z_$][\w$]*)\.)?
    (?P<head>[A-Za-z_$][\w$]*)
    (?:\s*->\s*(?P<via>[A-Za-z_$][\w$]*))?
    (?P<rest>(?:\s*\.\s*[A-Za-z_$][\w$]*)*)\s*$""",
    re.X,
)


def parse_path(text: str, span: Span | None, *, quoted: bool) -> FieldRef:
    """Read a field path (``!Leads.Owner.role.id``, ``What_Id->Leads.Last_Name``).

    Quoted text that is not a path (an alias such as ``'Account id'``) stays one opaque name.
    """
    m = _PATH.match(text)
    if m is None:
        return FieldRef((text,), span=span, quoted=quoted)
    rest = tuple(p.strip() for p in m.group("rest").split(".")[1:])
    return FieldRef(
        (m.group("head"), *rest), via=m.group("via"), qualifier=m.group("qual"), span=span, quoted=quoted
    )


def to_number(tok: Token) -> Number:
    text = str(tok)
    span = token_span(tok)
    value = read_number(text)  # the lexer lets only numbers through
    if not number_fits(value):
        raise _unfit(text, value, span)
    if re.fullmatch(r"[+-]?[0-9]+", text):
        return Number(int(value), span=span, written=text)
    return Number(value, span=span, written=text)


def _unfit(text: str, value: Decimal, span: Span | None) -> Problem:
    """A number past what COQL text holds: too large (``1e999``), or with more decimal
    places than it holds (``1e-400``, a tiny number, is not too large)."""
    shown = text if len(text) <= 30 else text[:27] + "..."
    if value.as_tuple().exponent < -MAX_NUMBER_DIGITS:  # type: ignore[operator]
        return Problem(
            f"the number {shown} has too many decimal places for COQL",
            span,
            f"COQL numbers have at most {MAX_NUMBER_DIGITS} digits after the point",
        )
    return Problem(
        f"the number {shown} is too large for COQL",
        span,
        f"COQL numbers have at most {MAX_NUMBER_DIGITS} digits; Zoho's own stop at 19",
    )


class Builder(Transformer[Token, Select]):
    """Callbacks named after the grammar's rules and aliases (grammar/coql.lark)."""

    # ---- statement -----------------------------------------------------------

    def start(self, ch: list[Any]) -> Select:
        select: Select = ch[0]
        found = comments.get(None)
        term = token_span(ch[1]) if len(ch) > 1 and ch[1] is not None else None
        # The Select was made a moment ago and nobody else holds it: set its source facts in
        # place (dataclasses.replace would copy the whole node for two fields outside ==).
        if found:
            object.__setattr__(select, "comments", tuple(found))
        if term is not None:
            object.__setattr__(select, "terminator", term)
        return select

    def select_stmt(self, ch: list[Any]) -> Select:
        items: tuple[SelectItem, ...] = ch[1]
        source: Source = ch[3]
        where = group = order = limit = None
        for part in ch[4:]:
            kind, value = part
            if kind == "where":
                where = value
            elif kind == "group":
                group = value
            elif kind == "order":
                order = value
            else:
                limit = value
        return Select(
            items,
            source,
            where,
            group or (),
            order or (),
            limit,
            span=span_of(ch[0], ch[-1] if not isinstance(ch[-1], tuple) else ch[-1][1]),
        )

    def select_list(self, ch: list[Any]) -> tuple[SelectItem, ...]:
        return tuple(ch)

    def column(self, ch: list[Any]) -> Column:
        expr = ch[0]
        if len(ch) == 1:
            return Column(expr, span=expr.span)
        alias, alias_span = ch[1]
        if isinstance(expr, FieldRef) and not expr.quoted and expr.name.lower() == "distinct":
            raise _distinct(expr, alias)
        return Column(expr, alias, span=cover(expr.span, alias_span), alias_span=alias_span)

    def alias(self, ch: list[Any]) -> tuple[str, Span]:
        tok: Token = ch[-1]
        text = unquote(str(tok)) if tok.type == "STRING" else str(tok)
        return text, token_span(tok)

    def star(self, ch: list[Any]) -> Star:
        exclude: tuple[FieldRef, ...] = ch[1] if len(ch) > 1 else ()
        return Star(exclude, span=span_of(*ch))

    def except_clause(self, ch: list[Any]) -> tuple[FieldRef, ...]:
        return tuple(c for c in ch if isinstance(c, FieldRef))

    def aggregate(self, ch: list[Any]) -> Aggregate:
        name: Token = ch[0]
        # Zoho parses any name( field ) and reports one that is no aggregate as INVALID_DATA,
        # which the validator does too: keep the name as written when it is not one of the five.
        func = str(name).upper() if name.upper() in AGGREGATES else str(name)
        arg = ch[2]
        span = span_of(name, ch[3])
        star = isinstance(arg, Token)
        if star:  # COUNT(*): counted as COUNT(id)
            if func in AGGREGATES and func != "COUNT":
                raise Problem(f"{func}(*) is not allowed", token_span(arg), f"give {func} a numeric field")
            arg = FieldRef(("id",), span=token_span(arg))
        return Aggregate(func, arg, span=span, spelling=str(name), star=star)

    def path(self, ch: list[Any]) -> FieldRef:
        if len(ch) == 1:
            tok = ch[0]
            if tok.lower() in CLAUSE_WORDS:
                raise keyword_as_field(tok)
            return FieldRef((str(tok),), span=token_span(tok))
        qualifier = via = None
        parts: list[str] = []
        for item in ch:
            if isinstance(item, tuple):  # poly
                via = item[0]
            elif item.type == "BANG_MODULE":
                qualifier = str(item)[1:-1]
            else:
                parts.append(str(item))
        return FieldRef(tuple(parts), via=via, qualifier=qualifier, span=span_of(*ch))

    def poly(self, ch: list[Any]) -> tuple[str, Span | None]:
        return str(ch[1]), span_of(*ch)

    def quoted_path(self, ch: list[Any]) -> FieldRef:
        tok: Token = ch[0]
        return parse_path(unquote(str(tok)), token_span(tok), quoted=True)

    def source(self, ch: list[Any]) -> Source:
        cvid = str(ch[1])[1:] if len(ch) > 1 else None
        return Source(str(ch[0]), cvid, span=span_of(*ch))

    # ---- WHERE ---------------------------------------------------------------

    def where_clause(self, ch: list[Any]) -> tuple[str, Condition]:
        return "where", ch[1]

    def or_(self, ch: list[Any]) -> Or:
        return Or(ch[0], ch[2], span=cover(ch[0].span, ch[2].span))

    def and_(self, ch: list[Any]) -> And:
        return And(ch[0], ch[2], span=cover(ch[0].span, ch[2].span))

    def group(self, ch: list[Any]) -> Condition:
        inner: Condition = ch[1]
        if isinstance(inner, (And, Or)):
            return replace(inner, parens=inner.parens + 1, span=span_of(ch[0], ch[2]))
        return inner

    def compare(self, ch: list[Any]) -> Comparison:
        op = str(ch[1])
        return Comparison(ch[0], "!=" if op == "<>" else op, ch[2], span=cover(ch[0].span, ch[2].span))

    def like(self, ch: list[Any]) -> Like:
        return Like(ch[0], ch[-1], negated=len(ch) == 4, span=span_of(ch[0], ch[-1]))

    def in_(self, ch: list[Any]) -> In:
        values, end = ch[-1]
        return In(ch[0], values, negated=len(ch) == 4, span=span_of(ch[0], end))

    def in_values(self, ch: list[Any]) -> tuple[tuple[Value, ...], Any]:
        return tuple(ch[1:-1]), ch[-1]

    def in_subquery(self, ch: list[Any]) -> tuple[Select, Any]:
        return ch[1], ch[-1]

    def in_param(self, ch: list[Any]) -> tuple[Param, Any]:
        p = self.param(ch)
        return p, p

    def between(self, ch: list[Any]) -> Between:
        negated = ch[1].type == "NOT"
        low, high = ch[-3], ch[-1]
        return Between(ch[0], low, high, negated=negated, span=span_of(ch[0], high))

    def is_null(self, ch: list[Any]) -> IsNull:
        return IsNull(ch[0], negated=len(ch) == 4, span=span_of(*ch))

    # ---- values --------------------------------------------------------------

    def string(self, ch: list[Any]) -> String:
        tok: Token = ch[0]
        return String(unquote(str(tok)), span=token_span(tok))

    def number(self, ch: list[Any]) -> Number:
        return to_number(ch[0])

    def bare_date(self, ch: list[Any]) -> String:
        tok: Token = ch[0]
        return String(str(tok), span=token_span(tok), bare=True)

    def bare_word(self, ch: list[Any]) -> String:
        tok: Token = ch[0]
        if str(tok).lower() == "null":
            raise Problem(
                "null is not a value in COQL",
                token_span(tok),
                "compare with null using 'is null' or 'is not null'",
            )
        return String(str(tok), span=token_span(tok), bare=True)

    def param(self, ch: list[Any]) -> Param:
        tok: Token = ch[0]
        return Param(str(tok)[1:], span=token_span(tok))

    # ---- GROUP BY, ORDER BY, LIMIT ----------------------------------------------

    def group_clause(self, ch: list[Any]) -> tuple[str, tuple[FieldRef, ...]]:
        return "group", tuple(ch[2:])

    def order_clause(self, ch: list[Any]) -> tuple[str, tuple[OrderItem, ...]]:
        return "order", tuple(ch[2:])

    def order_item(self, ch: list[Any]) -> OrderItem:
        descending = len(ch) > 1 and str(ch[1]).lower() == "desc"
        return OrderItem(ch[0], descending, span=span_of(*ch))

    def compare_subquery(self, ch: list[Any]) -> Comparison:
        return Comparison(
            ch[0], str(ch[1]).replace("<>", "!="), ch[3], span=cover(ch[0].span, token_span(ch[4]))
        )

    def limit_offset(self, ch: list[Any]) -> tuple[str, Limit]:
        offset = _count(ch[3], ch[2]) if len(ch) > 2 else None  # (its own keyword: OFFSET)
        return "limit", Limit(_count(ch[1], ch[0]), offset, span=span_of(*ch), style="limit")

    def limit_comma(self, ch: list[Any]) -> tuple[str, Limit]:
        return "limit", Limit(_count(ch[2], ch[0]), _count(ch[1], ch[0]), span=span_of(*ch), style="comma")

    def offset_only(self, ch: list[Any]) -> tuple[str, Limit]:
        return "limit", Limit(None, _count(ch[1], ch[0]), span=span_of(*ch), style="offset")


def _count(tok: Token, clause: Token) -> int | Param:
    """A LIMIT or OFFSET value: a whole number (a negative one is the validator's to refuse),
    or a ``:name`` parameter."""
    if tok.type == "PARAM":
        return Param(str(tok)[1:], span=token_span(tok))
    if re.fullmatch(r"[+-]?[0-9]{1,30}", tok):
        return int(tok)
    word = clause.upper()
    shown = tok if len(tok) <= 30 else tok[:27] + "..."
    what = "is too large" if re.fullmatch(r"[+-]?[0-9]+", tok) else "is not a whole number"
    raise Problem(
        f"{word.lower()} given seems to be invalid: {shown} {what}",
        token_span(tok),  # the value, as Zoho's answer names it
        f"{word} takes a whole number of rows: {word.lower()} 200",
        code="INVALID_QUERY",
    )


def expected_names(terminals: Sequence[str]) -> list[str]:
    """Terminal names as a person writes them, sorted, without duplicates."""
    return sorted({DISPLAY.get(t, t) for t in terminals if t not in HIDDEN})


DISPLAY = {
    "SELECT": "SELECT",
    "FROM": "FROM",
    "WHERE": "WHERE",
    "AND": "AND",
    "OR": "OR",
    "NOT": "NOT",
    "LIKE": "LIKE",
    "IN": "IN",
    "BETWEEN": "BETWEEN",
    "IS": "IS",
    "NULL": "NULL",
    "GROUP": "GROUP BY",
    "ORDER": "ORDER BY",
    "BY": "BY",
    "LIMIT": "LIMIT",
    "OFFSET": "OFFSET",
    "AS": "AS",
    "EXCEPT": "EXCEPT",
    "ASC": "ASC",
    "DESC": "DESC",
    "COMPARATOR": "a comparator (= != > >= < <=)",
    "STAR": "'*'",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "DOT": "'.'",
    "SEMICOLON": "';'",
    "ARROW": "'->'",
    "BANG_MODULE": "a module prefix (!Module.)",
    "CVID": "a custom view id (#123)",
    "PARAM": "a parameter (:name)",
    "NAME": "a name",
    "STRING": "a quoted string",
    "DATETIME": "a date",
    "NUMBER": "a number",
    "INT": "a whole number",
    "$END": "end of query",
}
HIDDEN = frozenset({"WS", "COMMENT"})
