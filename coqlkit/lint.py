"""Lint files of COQL: parse and validate each ``;``-terminated statement.

Positions are those of the whole file, so an editor or CI log can jump to them.
:func:`lint_deluge` checks the COQL written as string literals of a Deluge script.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from coqlkit.catalog import Catalog
from coqlkit.errors import CoqlSyntaxError
from coqlkit.language import Span, Statement, parse, split_statements
from coqlkit.validate import Diagnostic, Severity, explain_syntax_error, validate

__all__ = ["StatementReport", "is_deluge_file", "lint_deluge", "lint_text"]


@dataclass(frozen=True)
class StatementReport:
    """The verdict on one statement: its text, where it starts, and what was found."""

    statement: Statement
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    def worst(self) -> Severity | None:
        for level in (Severity.ERROR, Severity.WARNING, Severity.INFO):
            if any(d.severity is level for d in self.diagnostics):
                return level
        return None

    def to_json(self, filename: str | None = None) -> str:
        body: dict[str, object] = {
            "query": self.statement.text.rstrip().rstrip(";").rstrip(),
            "ok": self.ok,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }
        if filename is not None:
            body = {"file": filename, **body}
        return json.dumps(body, ensure_ascii=False)


def lint_text(text: str, catalog: Catalog | None = None) -> list[StatementReport]:
    """Check every statement of ``text``; diagnostics carry positions in ``text``.

    >>> [r.ok for r in lint_text("select Last_Name from Leads; select Emial from Leads;", Catalog.demo())]
    [True, False]
    """
    return [_lint(statement, catalog) for statement in split_statements(text)]


def _lint(statement: Statement, catalog: Catalog | None) -> StatementReport:
    try:
        select = parse(statement.text)
    except CoqlSyntaxError as exc:
        exc = explain_syntax_error(exc, catalog)
        line, column = statement.position(exc.line, exc.column)
        end = column + (exc.end_column - exc.column)
        span = Span(line, column, line, end, statement.start, statement.start)
        found = Diagnostic(
            exc.code, exc.description, span, hint=exc.hint, details={"expected": list(exc.expected)}
        )
        return StatementReport(statement, (found,))
    diagnostics = validate(select, catalog)
    return StatementReport(statement, tuple(_shift(d, statement) for d in diagnostics))


def _shift(diagnostic: Diagnostic, statement: Statement) -> Diagnostic:
    span = diagnostic.span
    if span is None:
        line, column = statement.line, statement.column
        return replace(
            diagnostic, span=Span(line, column, line, column + 1, statement.start, statement.start + 1)
        )
    line, column = statement.position(span.line, span.column)
    end_line, end_column = statement.position(span.end_line, span.end_column)
    moved = Span(line, column, end_line, end_column, statement.start + span.start, statement.start + span.end)
    return replace(diagnostic, span=moved)


def summary(reports: Iterable[StatementReport]) -> str:
    """``3 queries: 2 ok, 1 with errors; 2 errors, 1 warning``."""
    reports = list(reports)
    counts = dict.fromkeys(Severity, 0)
    for report in reports:
        for d in report.diagnostics:
            counts[d.severity] += 1
    bad = sum(not r.ok for r in reports)
    head = f"{_n(len(reports), 'query', 'queries')}: {len(reports) - bad} ok, {bad} with errors"
    tail = ", ".join(
        _n(counts[level], level.value, level.value + "s")
        for level in (Severity.ERROR, Severity.WARNING)
        if counts[level]
    )
    return f"{head}; {tail}" if tail else head


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


# --- COQL inside Deluge scripts ---------------------------------------------------------

DELUGE_SUFFIXES = (".dg", ".deluge")

# Deluge's escapes in a "..." literal; any other backslash is kept as written.
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}
_QUERY_START = re.compile(r"\s*select\s", re.I)
_HAS_FROM = re.compile(r"\bfrom\b", re.I)
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


def is_deluge_file(name: str) -> bool:
    """Whether ``name`` is a Deluge script by its extension (``.dg``, ``.deluge``)."""
    return name.lower().endswith(DELUGE_SUFFIXES)


@dataclass(frozen=True)
class _StandIn:
    """A ``:name`` put where Deluge joins an expression into the query (query offsets)."""

    start: int
    end: int
    expression: str


@dataclass(frozen=True)
class _Embedded:
    """A query found in a Deluge script: the COQL checked, and where each character came from."""

    text: str
    sources: tuple[tuple[int, int], ...]  # the file span of each character of ``text``
    stand_ins: tuple[_StandIn, ...]


# One character of a concatenation: (char, file start, file end), or an expression's index.
_Piece = tuple[str, int, int] | int


def lint_deluge(text: str, catalog: Catalog | None = None) -> list[StatementReport]:
    r"""Check each COQL query written as a string literal of the Deluge script ``text``.

    A query is a ``"..."`` literal whose text starts with ``select`` (and has a ``from``),
    with the literals and expressions ``+`` joins to it. Each expression joined in is
    checked as a ``:name`` parameter (a whole quoted value around it, too); positions are
    those of ``text``.

    >>> script = 'r = zoho.crm.coql("select Emial from Leads where id = " + leadId); // select x'
    >>> for report in lint_deluge(script, Catalog.demo()):
    ...     print(*(f"{d.line}:{d.column} {d.message}" for d in report.diagnostics), sep="\n")
    1:27 Leads has no field Emial
    1:59 Deluge joins leadId into the query here: its value is not checked
    """
    starts = _line_starts(text)
    return [_lint_embedded(found, starts, catalog) for found in _deluge_queries(text)]


def _deluge_queries(text: str) -> Iterable[_Embedded]:
    at = 0
    while at < len(text):
        char = text[at]
        if text.startswith("//", at) or text.startswith("/*", at) or char == "'":
            at = _skip_other(text, at)
        elif char == '"':
            literal, end = _string(text, at)
            if _QUERY_START.match("".join(p[0] for p in literal)):
                pieces: list[_Piece] = list(literal)
                expressions: list[tuple[int, int]] = []
                end = _concatenation(text, end, pieces, expressions)
                found = _assemble(text, pieces, expressions)
                if _HAS_FROM.search(found.text):
                    yield found
            at = end
        else:
            at += 1


def _skip_other(text: str, at: int) -> int:
    """Past the comment or ``'date'`` literal at ``at`` (a lone ``'`` is one character)."""
    if text.startswith("//", at):
        newline = text.find("\n", at)
        return len(text) if newline < 0 else newline
    if text.startswith("/*", at):
        close = text.find("*/", at + 2)
        return len(text) if close < 0 else close + 2
    close = text.find("'", at + 1)
    newline = text.find("\n", at + 1)
    if close < 0 or 0 <= newline < close:
        return at + 1
    return close + 1


def _string(text: str, at: int) -> tuple[list[tuple[str, int, int]], int]:
    """The characters of the ``"..."`` literal at ``at``, and the offset past it."""
    pieces: list[tuple[str, int, int]] = []
    i = at + 1
    while i < len(text) and text[i] != '"':
        if text[i] == "\\" and i + 1 < len(text):
            escaped = _ESCAPES.get(text[i + 1])
            if escaped is not None:
                pieces.append((escaped, i, i + 2))
            else:
                pieces += [(text[i], i, i + 1), (text[i + 1], i + 1, i + 2)]
            i += 2
        else:
            pieces.append((text[i], i, i + 1))
            i += 1
    return pieces, min(i + 1, len(text))


def _skip_blank(text: str, at: int) -> int:
    while at < len(text):
        if text[at].isspace():
            at += 1
        elif text.startswith(("//", "/*"), at):
            at = _skip_other(text, at)
        else:
            break
    return at


def _concatenation(text: str, at: int, pieces: list[_Piece], expressions: list[tuple[int, int]]) -> int:
    """Add what ``+`` joins after offset ``at`` to ``pieces``; the offset past the last operand."""
    while True:
        plus = _skip_blank(text, at)
        if not text.startswith("+", plus):
            return at
        operand = _skip_blank(text, plus + 1)
        if text.startswith('"', operand):
            more, at = _string(text, operand)
            pieces += more
        else:
            at = _operand(text, operand)
            if at == operand:
                return at
            expressions.append((operand, at))
            pieces.append(len(expressions) - 1)


def _operand(text: str, at: int) -> int:
    """The end of the Deluge expression at ``at``: up to a ``+``, ``;``, ``,``, closing bracket or line end."""
    depth = 0
    while at < len(text):
        char = text[at]
        if char == '"':
            at = _string(text, at)[1]
            continue
        if text.startswith(("//", "/*"), at) or char == "'":
            if depth == 0 and text.startswith(("//", "/*"), at):
                break
            at = _skip_other(text, at)
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and (char in "+;," or char == "\n"):
            break
        at += 1
    return len(text[:at].rstrip())


def _assemble(text: str, pieces: list[_Piece], expressions: list[tuple[int, int]]) -> _Embedded:
    """The COQL to check: each expression (or the quoted value around it) becomes ``:name``."""
    chars: list[str] = []
    sources: list[tuple[int, int]] = []
    stand_ins: list[_StandIn] = []
    quote: int | None = None  # where the open COQL string starts in ``chars``
    i = 0
    while i < len(pieces):
        piece = pieces[i]
        following = pieces[i + 1] if i + 1 < len(pieces) else None
        if isinstance(piece, int):
            joined = [piece]
            span = expressions[piece]
            if quote is None:
                i += 1
            else:  # the whole quoted value is the expression's
                close = _closing_quote(pieces, i + 1)
                joined = [p for p in pieces[i:close] if isinstance(p, int)]
                closing = pieces[close] if close < len(pieces) else None
                end = closing[2] if isinstance(closing, tuple) else expressions[joined[-1]][1]
                span = (sources[quote][0], end)
                del chars[quote:], sources[quote:]
                quote, i = None, close + 1
            source = " + ".join(text[slice(*expressions[n])] for n in joined)
            name = source if _IDENTIFIER.fullmatch(source) else f"deluge{len(stand_ins) + 1}"
            stand_ins.append(_StandIn(len(chars), len(chars) + len(name) + 1, source))
            chars += ":" + name
            sources += [span] * (len(name) + 1)
            continue
        taken: list[tuple[str, int, int]] = [piece]
        if (
            isinstance(following, tuple)
            and quote is not None
            and (piece[0] == "\\" or piece[0] == following[0] == "'")
        ):
            taken.append(following)  # an escape, or a doubled quote, inside a COQL string
        elif piece[0] == "'":
            quote = len(chars) if quote is None else None
        for char, begin, finish in taken:
            chars.append(char)
            sources.append((begin, finish))
        i += len(taken)
    return _Embedded("".join(chars), tuple(sources), tuple(stand_ins))


def _closing_quote(pieces: list[_Piece], i: int) -> int:
    """The index of the ``'`` that closes the COQL string open before ``pieces[i]`` (or the end)."""
    while i < len(pieces):
        piece = pieces[i]
        if isinstance(piece, tuple):
            if piece[0] == "\\":
                i += 2
                continue
            if piece[0] == "'":
                following = pieces[i + 1] if i + 1 < len(pieces) else None
                if isinstance(following, tuple) and following[0] == "'":
                    i += 2
                    continue
                return i
        i += 1
    return len(pieces)


def _lint_embedded(found: _Embedded, starts: list[int], catalog: Catalog | None) -> StatementReport:
    """Parse and validate one query of a script; diagnostics at the script's positions."""
    first = found.sources[0][0] if found.sources else 0
    line, column = _file_position(starts, first)
    statement = Statement(found.text, first, line, column)
    query_starts = _line_starts(found.text)
    try:
        select = parse(found.text)
    except CoqlSyntaxError as exc:
        exc = explain_syntax_error(exc, catalog)
        begin = query_starts[exc.line - 1] + exc.column - 1
        finish = begin + max(exc.end_column - exc.column, 1)
        at = _stand_in_at(found, begin, after=True)
        diagnostic = Diagnostic(
            exc.code,
            exc.description,
            _file_span(found, starts, begin, finish),
            hint=exc.hint,
            details={"expected": list(exc.expected)},
        )
        if at is not None:
            diagnostic = _not_checked(
                diagnostic, at, "the query's shape depends on its value, so it is not checked"
            )
        return StatementReport(statement, (diagnostic,))
    diagnostics: list[Diagnostic] = []
    seen: set[_StandIn] = set()
    for d in validate(select, catalog):
        begin, finish = (d.span.start, d.span.end) if d.span is not None else (0, 1)
        at = _stand_in_at(found, begin)
        if at is not None:
            if at in seen:
                continue
            seen.add(at)
            d = _not_checked(d, at, "its value is not checked")
        diagnostics.append(replace(d, span=_file_span(found, starts, begin, finish)))
    return StatementReport(statement, tuple(diagnostics))


def _stand_in_at(found: _Embedded, offset: int, *, after: bool = False) -> _StandIn | None:
    """The stand-in at ``offset`` of the query (or, ``after``, that only blanks separate it from)."""
    for stand_in in found.stand_ins:
        end = stand_in.end
        if after:
            end += len(found.text[end:]) - len(found.text[end:].lstrip())
        if stand_in.start <= offset < end or (after and offset == end):
            return stand_in
    return None


def _not_checked(diagnostic: Diagnostic, stand_in: _StandIn, why: str) -> Diagnostic:
    message = f"Deluge joins {stand_in.expression} into the query here: {why}"
    return replace(diagnostic, message=message, severity=Severity.INFO, hint=None, details={})


def _file_span(found: _Embedded, starts: list[int], begin: int, finish: int) -> Span:
    """The span of the file under characters ``begin:finish`` of the query (the end: past it)."""
    if not found.sources:
        return Span(1, 1, 1, 2, 0, 1)
    last = len(found.sources) - 1
    start = found.sources[begin][0] if begin <= last else found.sources[last][1]
    end = (
        found.sources[min(finish, len(found.sources)) - 1][1]
        if finish > begin and begin <= last
        else start + 1
    )
    end = max(end, start + 1)
    line, column = _file_position(starts, start)
    end_line, end_column = _file_position(starts, end)
    return Span(line, column, end_line, end_column, start, end)


def _line_starts(text: str) -> list[int]:
    return [0, *(m.end() for m in re.finditer("\n", text))]


def _file_position(starts: list[int], offset: int) -> tuple[int, int]:
    index = bisect.bisect_right(starts, offset) - 1
    return index + 1, offset - starts[index] + 1
