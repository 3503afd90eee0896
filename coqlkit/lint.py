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

from coqlkit.catalog import Catalog, FieldType, ResolveError, limits
from coqlkit.catalog.model import TEXTUAL
from coqlkit.errors import CoqlSyntaxError
from coqlkit.language import Extension, Span, Statement, extensions, parse, render_condition, split_statements
from coqlkit.language.ast import And, Between, Comparison, Like, Or, Param, Select
from coqlkit.language.words import KEYWORDS
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
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
# A FROM as COQL writes it: the module (or a stand-in for it), then the end of the text, a
# clause, a bracket, a ';' or a comment, maybe after one more word (an alias, which the
# checks refuse). "Select a record from the list first" has none: it is a message, not a query.
_FROM_CLAUSE = re.compile(
    r"from\s+(:?\w+)(?:#\w+)?\s*(?:\Z|[;)]|/\*|--|(?:\w+\s+)?(?:where|order\s+by|group\s+by|limit|offset)\b)",
    re.I,
)
_FROM_WORD = re.compile(r"from\s+(\w+)", re.I)
# The select list, up to the first FROM, and one item of it as COQL writes one: a field (a
# dot path, a quoted name, a stand-in), an aggregate, or *, maybe with an alias.
_SELECT_LIST = re.compile(r"\s*select\s+(.*?)\s*\bfrom\b", re.I | re.S)
_ITEM = re.compile(
    r"""(?:'[^']*'|"[^"]*"|:\w+|\*(?:\s+except\s*\([^()]*\))?|!?[A-Za-z_$][\w$]*"""
    r"""(?:\s*\([^()]*\)|(?:(?:\.|->)[\w$]+)*))(?:\s+(?:as\s+)?[A-Za-z_]\w*)?""",
    re.I,
)
# Words of a sentence, that no select list or module of COQL holds ("Select a contact from
# Contacts", "Select the deals from Deals", "select one option from the menu").
_ENGLISH = frozenset(
    """a an the your my our their his her its this that these those one some any each every
    which what you we me us it them to of for with on please here there""".split()
)
# A literal passed as the query itself: zoho.crm.coql("..."), the value of a "select_query"
# key (a map's put, or {"select_query": "..."}), or invokeurl's parameters.
_QUERY_ARGUMENT = re.compile(
    r"""(?:zoho\.crm\.coql\s*\(|["']select_query["']\s*[,:]|\bparameters\s*:)\s*\Z""", re.I
)
_ASSIGNED = re.compile(r"(?:^|[^\w.])([A-Za-z_]\w*)\s*=\s*\Z")
# The words a missing blank at a '+' glues to their neighbour (Emailfrom, Leadswhere).
_KEYWORDS = frozenset(
    "select from where and or order group by limit offset like not in is null between asc desc".split()
)


def is_deluge_file(name: str) -> bool:
    """Whether ``name`` is a Deluge script by its extension (``.dg``, ``.deluge``)."""
    return name.lower().endswith(DELUGE_SUFFIXES)


@dataclass(frozen=True)
class _StandIn:
    """A ``:name`` put where Deluge joins an expression into the query (query offsets);
    ``quoted`` when the expression sits in a COQL string (``'" + x + "'``)."""

    start: int
    end: int
    expression: str
    quoted: bool = False


@dataclass(frozen=True)
class _Glue:
    """Two words a ``+`` joins with no blank between (``Email`` and ``from``), query offsets."""

    start: int
    end: int
    left: str
    right: str


@dataclass(frozen=True)
class _Embedded:
    """A query found in a Deluge script: the COQL checked, and where each character came from."""

    text: str
    sources: tuple[tuple[int, int], ...]  # the file span of each character of ``text``
    stand_ins: tuple[_StandIn, ...]
    glues: tuple[_Glue, ...] = ()
    # the variable it is put in goes on being changed where that is not followed: its end
    # (a WHERE, a LIMIT) may come later
    open_end: bool = False
    quoted_names: frozenset[str] = frozenset()  # variables assigned a value in quotes


# One character of a concatenation: (char, file start, file end), or an expression's index.
_Piece = tuple[str, int, int] | int


def lint_deluge(text: str, catalog: Catalog | None = None) -> list[StatementReport]:
    r"""Check each COQL query written as a string literal of the Deluge script ``text``.

    A query is a ``"..."`` literal whose text starts with ``select``, with the literals and
    expressions ``+`` joins to it, and what the script joins on to the variable it is put
    in before giving it to Zoho (``q = q + " where ..."``, ``q += ...``,
    ``zoho.crm.coql(q + ...)``). It is a query when it is given to Zoho (to
    ``zoho.crm.coql``, as a ``select_query`` or as invokeurl's ``parameters``, itself or by
    its variable), when a ``+`` glues a COQL word to its neighbour, or when it reads as
    COQL: a select list of field-like names separated by commas with no English word
    (``Select a lead``, ``the``, ``your``, ``one``...), then a FROM as COQL writes one
    (``from Leads where ...``, not ``from the list``; with a catalog, ``from`` one of its
    modules). Each expression joined in is checked as a ``:name`` parameter (a whole quoted
    value around it, too); positions are those of ``text``.

    Deluge sends the text as written: what coqlkit would rewrite for the queries it runs
    (no WHERE, COUNT(*), a comment...) and Zoho's limits of one call (2,000 rows, 100,000
    with OFFSET, 50 values in IN, 50 fields) are errors here. A name on coqlkit's long
    list of reserved words that Zoho is not known to refuse is a warning; an expression
    joined unquoted where COQL wants quotes is a warning (its value may hold them) unless
    Deluge is known to write it without. When the variable goes on being changed where that
    is not followed (in a block, by a method, or as the start of another variable), what the
    rest may add (a WHERE, a LIMIT, the end of a condition) is not reported missing.

    >>> script = 'r = zoho.crm.coql("select Emial from Leads where id = " + leadId + " limit 1"); // select x'
    >>> for report in lint_deluge(script, Catalog.demo()):
    ...     print(*(f"{d.line}:{d.column} {d.message}" for d in report.diagnostics), sep="\n")
    1:27 Leads has no field Emial
    1:59 Deluge joins leadId into the query here: its value is not checked
    """
    starts = _line_starts(text)
    return [_lint_embedded(found, starts, catalog) for found in _deluge_queries(text, catalog)]


def _deluge_queries(text: str, catalog: Catalog | None = None) -> Iterable[_Embedded]:
    quoted = _quoted_variables(text)
    variables = _variables(text)
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
                joins: list[int] = []
                end = _concatenation(text, end, pieces, expressions, joins)
                assigned = _ASSIGNED.search(text[max(0, at - 200) : at])
                open_end = False
                if assigned is not None:
                    open_end = _extended(text, end, assigned.group(1), variables, pieces, expressions, joins)
                found = _assemble(text, pieces, expressions, joins, open_end=open_end)
                found = replace(found, quoted_names=quoted)
                if _passed_as_query(text, at, variables) or _is_query(found, catalog):
                    yield found
            at = end
        else:
            at += 1


def _is_query(found: _Embedded, catalog: Catalog | None) -> bool:
    """Whether text that starts with ``select``, and is not given to Zoho as a query, reads
    unmistakably as COQL rather than as a message: a ``+`` glues a COQL word (after no
    English word), or its select list is field-like names separated by commas (no English
    word: ``Select a lead``) and its FROM is as COQL writes one (not ``from the list``; with
    a catalog, ``from`` a module)."""
    if found.glues:
        glue = found.glues[0]
        words = [*re.findall(r"\w+", found.text[: glue.start]), glue.left, glue.right]
        return not any(word.lower() in _ENGLISH for word in words)
    selected = _SELECT_LIST.match(found.text)
    if selected is None:
        return False
    items = _items(selected.group(1))
    if not all(_ITEM.fullmatch(item) for item in items) or any(
        word.lower() in _ENGLISH
        for item in items
        for word in re.findall(r"\w+", re.sub(r"'[^']*'", "", item))
    ):
        return False
    at = selected.end() - 4  # the FROM
    clause = _FROM_CLAUSE.match(found.text, at)
    if clause is not None and clause.group(1).lower() not in _ENGLISH:
        return True
    word = _FROM_WORD.match(found.text, at)
    return catalog is not None and word is not None and catalog.module_folded(word.group(1)) is not None


def _items(selected: str) -> list[str]:
    """The items of a select list: split at its commas outside brackets and quotes."""
    items: list[str] = []
    depth, quote, start = 0, "", 0
    for i, char in enumerate(selected):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(selected[start:i].strip())
            start = i + 1
    items.append(selected[start:].strip())
    return items


def _passed_as_query(text: str, at: int, variables: _Variables) -> bool:
    """Whether the literal at ``at`` is given to ``zoho.crm.coql``, as a ``select_query`` or
    as invokeurl's parameters, itself or by the variable it is assigned to (``q = "...";
    zoho.crm.coql(q)``)."""
    before = text[max(0, at - 200) : at]
    if _QUERY_ARGUMENT.search(before):
        return True
    assigned = _ASSIGNED.search(before)
    return assigned is not None and assigned.group(1).lower() in variables.used


_USED = r"""(?:zoho\.crm\.coql\s*\(|["']select_query["']\s*[,:]|\bparameters\s*:)\s*({name})\b"""
_ANY_USED = re.compile(_USED.format(name=r"[A-Za-z_]\w*"), re.I)
# A statement that joins on to a variable, or changes it by a method: q += ..., q = q ...
_JOINED_ON = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\s*(?:\+=|=\s*\1\b)", re.I)
_PLUS = re.compile(r"\s*\+")
# The variable as the start of another value: r = q + " where ..."
_PREFIX = re.compile(r"=\s*([A-Za-z_]\w*)\s*\+(?!=)", re.I)


@dataclass(frozen=True)
class _Variables:
    """Where a script gives each variable to Zoho as the query, and where it joins something
    on to it (the offsets, by the name folded): found once a script."""

    used: dict[str, list[int]]
    joined: dict[str, list[int]]


def _variables(text: str) -> _Variables:
    used: dict[str, list[int]] = {}
    joined: dict[str, list[int]] = {}
    for found in _ANY_USED.finditer(text):
        name = found.group(1).lower()
        used.setdefault(name, []).append(found.start(1))
        if _PLUS.match(text, found.end()):  # zoho.crm.coql(q + " limit 5")
            joined.setdefault(name, []).append(found.start(1))
    for pattern in (_JOINED_ON, _PREFIX):
        for found in pattern.finditer(text):
            joined.setdefault(found.group(1).lower(), []).append(found.start())
    return _Variables(used, joined)


def _extended(
    text: str,
    at: int,
    name: str,
    variables: _Variables,
    pieces: list[_Piece],
    expressions: list[tuple[int, int]],
    joins: list[int],
) -> bool:
    """Follow what the script joins on to the variable ``name`` after offset ``at`` (where
    the query is assigned to it): each ``name = name + ...`` and ``name += ...`` until the
    variable is given as the query (``zoho.crm.coql(name + ...)`` joins its part too) or
    another value. Whether it goes on being changed where that cannot be followed: inside
    a block that may not run (a brace between), by a method (``name = name.trim()``), or
    as the start of another variable's value (``r = name + " where ..."``)."""
    if not any(offset >= at for offset in variables.joined.get(name.lower(), ())):
        return False  # nothing joined on: no need to walk the script
    word = re.escape(name)
    used = re.compile(_USED.format(name=word), re.I)
    statement = re.compile(rf"{word}\s*(?:(\+=)|=(?!=)\s*(?:({word})\b\s*(\+)?)?)")
    prefix = re.compile(rf"=\s*{word}\s*\+(?!=)", re.I)
    crossed = False  # a block opened or closed since the assignment
    fresh = False  # at the start of a statement
    i = at
    while i < len(text):
        char = text[i]
        if char in "zZ\"'pP":
            passed = used.match(text, i)
            if passed is not None:
                _concatenation(text, passed.end(), pieces, expressions, joins)
                return False
        if text.startswith(("//", "/*"), i) or char == "'":
            i = _skip_other(text, i)
            continue
        if char == '"':
            i, fresh = _string(text, i)[1], False
            continue
        if fresh and (char.isalpha() or char == "_") and (found := statement.match(text, i)):
            if found.group(1) is None and found.group(2) is None:
                return False  # another value
            if crossed or (found.group(1) is None and found.group(3) is None):
                return True
            if found.group(1) is not None:
                i = _concatenation(text, found.end(), pieces, expressions, joins, plus_first=False)
            else:
                i = _concatenation(text, found.start(3), pieces, expressions, joins)
            fresh = False
            continue
        if char == "=" and prefix.match(text, i):
            return True  # the start of another value (r = q + "..."), which is not followed
        if char in "{}":
            crossed = True
        if char in ";{}":
            fresh = True
        elif not char.isspace():
            fresh = False
        i += 1
    return False


def _quoted_variables(text: str) -> frozenset[str]:
    """The variables the script assigns a value in COQL's quotes (``d = "'" + date + "'"``)."""
    return frozenset(re.findall(r"""(?:^|[;{}])\s*([A-Za-z_]\w*)\s*=\s*"'""", text, re.M))


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


def _concatenation(
    text: str,
    at: int,
    pieces: list[_Piece],
    expressions: list[tuple[int, int]],
    joins: list[int],
    *,
    plus_first: bool = True,
) -> int:
    """Add what ``+`` joins after offset ``at`` to ``pieces``; the offset past the last operand.
    ``joins`` gets the index in ``pieces`` where each literal joined on starts. Without
    ``plus_first``, an operand comes first (``q += "..."``)."""
    first = not plus_first
    while True:
        if first:
            operand, first = _skip_blank(text, at), False
        else:
            plus = _skip_blank(text, at)
            if not text.startswith("+", plus):
                return at
            operand = _skip_blank(text, plus + 1)
        if text.startswith('"', operand):
            more, at = _string(text, operand)
            joins.append(len(pieces))
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


def _assemble(
    text: str,
    pieces: list[_Piece],
    expressions: list[tuple[int, int]],
    joins: Iterable[int] = (),
    *,
    open_end: bool = False,
) -> _Embedded:
    """The COQL to check: each expression (or the quoted value around it) becomes ``:name``."""
    chars: list[str] = []
    sources: list[tuple[int, int]] = []
    stand_ins: list[_StandIn] = []
    glued: list[int] = []  # where a joined literal's word meets the word before it
    joined_at = set(joins)
    quote: int | None = None  # where the open COQL string starts in ``chars``
    i = 0
    while i < len(pieces):
        piece = pieces[i]
        following = pieces[i + 1] if i + 1 < len(pieces) else None
        if (
            i in joined_at
            and quote is None
            and isinstance(piece, tuple)
            and isinstance(pieces[i - 1], tuple)
            and _WORD.match(piece[0])
            and chars
            and _WORD.match(chars[-1])
        ):
            glued.append(len(chars))
        if isinstance(piece, int):
            joined = [piece]
            span = expressions[piece]
            quoted = quote is not None
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
            stand_ins.append(_StandIn(len(chars), len(chars) + len(name) + 1, source, quoted))
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
    query = "".join(chars)
    return _Embedded(query, tuple(sources), tuple(stand_ins), _glues(query, glued), open_end)


_WORD = re.compile(r"\w")


def _glues(query: str, offsets: list[int]) -> tuple[_Glue, ...]:
    """The joins at ``offsets`` that glue a COQL word to its neighbour (``Email`` + ``from``):
    a word split across two literals on purpose (``Last_`` + ``Name``) is not one."""
    found: list[_Glue] = []
    for offset in offsets:
        left = re.search(r"\w+\Z", query[:offset])
        right = re.match(r"\w+", query[offset:])
        if left is None or right is None:
            continue
        if left.group().lower() in _KEYWORDS or right.group().lower() in _KEYWORDS:
            found.append(_Glue(left.start(), offset + right.end(), left.group(), right.group()))
    return tuple(found)


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
    glued = [_glue_diagnostic(glue) for glue in found.glues]
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
            Span(1, 1, 1, 1, begin, finish),
            hint=exc.hint,
            details={"expected": list(exc.expected)},
        )
        if at is not None:
            diagnostic = _not_checked(
                diagnostic, at, "the query's shape depends on its value, so it is not checked"
            )
        elif found.open_end and begin >= len(found.text.rstrip()):
            diagnostic = replace(
                diagnostic,
                message=f"the query ends here, and the script goes on to change it: {_OPEN_END}",
                severity=Severity.INFO,
                hint=None,
                details={},
            )
        if not (found.glues and begin >= found.glues[0].start):  # else the glue is the cause
            glued.append(diagnostic)
        return StatementReport(statement, tuple(_placed(found, starts, d) for d in glued))
    diagnostics = [*glued, *_zoho_refuses(select, found)]
    typed = _unquoted_stand_ins(select, found, catalog)
    seen: set[_StandIn] = set()
    for d in validate(select, catalog):
        begin, finish = (d.span.start, d.span.end) if d.span is not None else (0, 1)
        at = _stand_in_at(found, begin)
        if at is not None:
            if at in seen:
                continue
            seen.add(at)
            d = typed.get(at) or _not_checked(d, at, "its value is not checked")
        elif _coqlkit_only(d):
            continue  # an extension Zoho refuses: _zoho_refuses says so
        else:
            d = _one_call(d)
        diagnostics.append(replace(d, span=Span(1, 1, 1, 1, begin, finish)))
    diagnostics += [d for at, d in typed.items() if at not in seen]
    if found.open_end:  # a WHERE, a LIMIT may come later
        diagnostics.append(
            Diagnostic(
                "SYNTAX_ERROR",
                f"the script goes on to change this query: {_OPEN_END}",
                _at(*_first_word(found.text)),
                Severity.INFO,
            )
        )
    else:
        diagnostics += _two_hundred(select, found)
    diagnostics.sort(key=lambda d: _RANK[d.severity])
    return StatementReport(statement, tuple(_placed(found, starts, d) for d in diagnostics))


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def _placed(found: _Embedded, starts: list[int], diagnostic: Diagnostic) -> Diagnostic:
    """``diagnostic`` (its span's offsets those of the query) at the script's positions."""
    span = diagnostic.span
    begin, finish = (span.start, span.end) if span is not None else (0, 1)
    return replace(diagnostic, span=_file_span(found, starts, begin, finish))


def _at(start: int, end: int) -> Span:
    """A span of query offsets, placed in the script by :func:`_placed`."""
    return Span(1, 1, 1, 1, start, end)


def _glue_diagnostic(glue: _Glue) -> Diagnostic:
    return Diagnostic(
        "SYNTAX_ERROR",
        f"Deluge joins {glue.left!r} and {glue.right!r} with no blank between: Zoho reads "
        f"{glue.left + glue.right!r}",
        _at(glue.start, glue.end),
        hint="end the first string with a blank, or start the next one with one",
    )


# coqlkit's conveniences that Zoho takes too (coqlkit/sandbox/checks.py ZOHO_TAKES, which the
# sandbox's model of Zoho refuses none of): LIMIT m, n; OFFSET alone; a bare word as a value.
_ZOHO_TAKES = frozenset({"limit_comma", "offset_only", "bare_word"})
_AS_WRITTEN = "a Deluge script sends the query as written"
_OPEN_END = (
    "what it gets (in a block, by a method, or as the start of another variable) is not "
    "followed, so the rest is not checked"
)
# The words Zoho is known to refuse unquoted as a name: COQL's own keywords, and External
# (Kaizen #171). The rest of coqlkit's list of reserved words (coqlkit/language/words.py)
# is a guess that errs on the long side: a warning in a script.
_CERTAINLY_RESERVED = KEYWORDS | {"external"}
_REFUSED = {
    "missing_where": (
        "no WHERE clause: Zoho refuses a query without one",
        "add 'where id is not null' to read every record",
    ),
    "flat_chain": ("more than two conditions at one level: Zoho wants them bracketed in pairs", None),
    "aggregate_case": ("{text}: Zoho takes an aggregate's name in upper case only", "write {upper}"),
    "count_star": ("COUNT(*): Zoho refuses it", "write COUNT(id)"),
    "bare_word": ("an unquoted date: Zoho refuses it", "quote it: '{text}'"),
    "unquoted_name": ("{text} is a reserved word: Zoho refuses it unquoted as a name", "quote it: '{text}'"),
    "comment": (
        "a comment inside the query: Zoho refuses it",
        "move it out of the string, into a Deluge comment",
    ),
    "terminator": ("a ';' ending the query: Zoho refuses it", "drop the ';' inside the string"),
    "star": ("SELECT *: Zoho refuses it", "name the fields, at most 50 a query"),
    "param": (
        "{text} is a coqlkit parameter: Zoho refuses it",
        'join the value in with +, quoted for text: "... = \'" + value + "\'"',
    ),
}


def _zoho_refuses(select: Select, found: _Embedded) -> list[Diagnostic]:
    """Each convenience of coqlkit's dialect that Zoho refuses, as an error: coqlkit rewrites
    them for the queries it runs, but a script sends its text to Zoho as written."""
    out: list[Diagnostic] = []
    for extension in extensions(select):
        span = extension.span or _at(*_first_word(found.text))
        text = found.text[span.start : span.end]
        name = extension.name
        if name in _ZOHO_TAKES and not (name == "bare_word" and re.match(r"\d{4}-\d{2}-\d{2}", text)):
            continue
        if name == "param" and _stand_in_at(found, span.start) is not None:
            continue  # Deluge's expression, joined in: not a parameter
        if name == "missing_where" and extension.span is None and found.open_end:
            continue  # the script may join one on later
        if name == "unquoted_name" and not _CERTAINLY_RESERVED & set(re.findall(r"\w+", text.lower())):
            out.append(
                Diagnostic(
                    "SYNTAX_ERROR",
                    f"{text} may be a reserved word: Zoho may refuse it unquoted as a name",
                    span,
                    Severity.WARNING,
                    hint=f"quote it to be safe: '{text}' (coqlkit's list of reserved words errs on "
                    "the long side: Zoho publishes none)",
                )
            )
            continue
        message, hint = _REFUSED[name]
        if name == "flat_chain":
            hint = _bracketed(select, extension, found)
        upper = re.sub(r"\A\w+", lambda m: m.group().upper(), text)
        out.append(
            Diagnostic(
                "INVALID_DATA" if name == "aggregate_case" else "SYNTAX_ERROR",
                message.format(text=text),
                span,
                hint=f"{hint.format(text=text, upper=upper)} ({_AS_WRITTEN})" if hint else None,
            )
        )
    return out


def _first_word(text: str) -> tuple[int, int]:
    """The offsets of the query's first word (``select``), where a note on the whole query goes."""
    word = re.search(r"\S+", text)
    return (word.start(), word.end()) if word else (0, 1)


def _bracketed(select: Select, extension: Extension, found: _Embedded) -> str:
    """How Zoho takes the chain of conditions ``extension`` found: bracketed in pairs."""
    span = extension.span
    for node in select.walk():
        if not isinstance(node, (And, Or)) or span not in (node.left.span, node.right.span):
            continue
        whole = node.span
        if whole is None or any(whole.start <= s.start < whole.end for s in found.stand_ins):
            break  # its text holds Deluge's expressions: say it in words
        return f"write {render_condition(node)}"
    return "bracket them in pairs: (a and b) and c"


def _coqlkit_only(d: Diagnostic) -> bool:
    """A note on a convenience coqlkit rewrites (SELECT *, a :name bound at run time), which
    :func:`_zoho_refuses` reports as an error in a script instead."""
    return d.severity is Severity.INFO and (
        d.message.startswith("SELECT * is a coqlkit extension") or d.message.startswith("parameter :")
    )


_ONE_CALL_HINTS = {
    "rows": "read in pages of at most 2000: limit 2000 offset 0, then offset 2000, ...",
    "ceiling": "page by id past it: where id > <the last id read> order by id limit 2000",
    "in": "split the list into queries of at most 50 values",
    "columns": "select at most 50 fields a query, and read the others by id in another",
}


def _one_call(d: Diagnostic) -> Diagnostic:
    """A Zoho limit of one call that coqlkit lifts (an info) is an error in a script, which
    makes that one call: the message without what coqlkit does, a hint to do it in Deluge."""
    if d.code != "LIMIT_EXCEEDED" or d.severity is not Severity.INFO:
        return d
    limit = d.details.get("limit")
    if limit == limits.MAX_LIMIT:
        kind = "rows"
    elif limit == limits.MAX_OFFSET_ROWS:
        kind = "ceiling"
    else:
        kind = "in" if " in IN" in d.message else "columns"
    message = re.sub(r"[:;] coqlkit .*\Z", "", d.message, flags=re.S)
    return replace(
        d, message=message, severity=Severity.ERROR, hint=f"{_ONE_CALL_HINTS[kind]} ({_AS_WRITTEN})"
    )


def _two_hundred(select: Select, found: _Embedded) -> list[Diagnostic]:
    """A note that Zoho returns 200 rows of a query without LIMIT (coqlkit reads them all)."""
    limit = select.limit
    if limit is not None and limit.count is not None:
        return []
    if select.aggregates and not select.group_by:
        return []  # one row
    if limit is None:
        message, span = "no LIMIT: Zoho returns the first 200 rows", _at(*_first_word(found.text))
    else:
        message, span = "OFFSET without LIMIT: Zoho returns 200 rows from there", limit.span or _at(0, 1)
    return [
        Diagnostic(
            "LIMIT_EXCEEDED",
            message,
            span,
            Severity.INFO,
            hint="add 'limit 2000' to read up to 2000, and page with OFFSET past them",
            details={"limit": limits.DEFAULT_LIMIT},
        )
    ]


# A date as Deluge writes it, with no quote: today's, or a date formatted by a pattern with
# no '' (the only way a pattern writes a quote; 'T' writes a T).
_BARE_DATE = re.compile(
    r"""zoho\.current(?:date|time)|[\w.]+\.to(?:String|Date|DateTime)\(\s*(?:"(?:[^"']|'[^']+')*"\s*)?\)""",
    re.I,
)
# The types whose values COQL writes in quotes, that an unquoted expression breaks.
_DATES = frozenset({FieldType.DATE, FieldType.DATETIME})
_WORDS = TEXTUAL - {FieldType.TEXTAREA}


def _unquoted_stand_ins(
    select: Select, found: _Embedded, catalog: Catalog | None
) -> dict[_StandIn, Diagnostic]:
    """Each expression joined in without quotes where the field compared holds text (only a
    value of one plain word gets through) or a date (COQL quotes every date), by its
    stand-in: a warning, since the value may hold its own quotes (``d = "'" + date + "'"``),
    but an error for a date Deluge writes with none (``x.toString("yyyy-MM-dd")``,
    ``zoho.currentdate``); nothing for a variable the script assigns a value in quotes."""
    out: dict[_StandIn, Diagnostic] = {}
    if catalog is None:
        return out
    by_start = {s.start: s for s in found.stand_ins if not s.quoted}
    for query in (node for node in select.walk() if isinstance(node, Select)):
        for cond in query.conditions():
            if isinstance(cond, Comparison):
                values: tuple[object, ...] = (cond.right,)
            elif isinstance(cond, Between):
                values = (cond.low, cond.high)
            elif isinstance(cond, Like):
                values = (cond.pattern,)
            else:
                continue
            for value in values:
                if not isinstance(value, Param) or value.span is None or value.span.start not in by_start:
                    continue
                stand_in = by_start[value.span.start]
                if stand_in.expression in found.quoted_names:
                    continue  # its value is in quotes already: d = "'" + date + "'"
                try:
                    field = catalog.resolve(query.module, cond.left).field
                except ResolveError:
                    continue
                kind = field.value_type
                if kind not in _DATES and kind not in _WORDS:
                    continue
                certain = kind in _DATES and _BARE_DATE.fullmatch(stand_in.expression) is not None
                if certain:
                    why = f"COQL writes a {field.data_type} in quotes, so Zoho refuses every value"
                elif kind in _DATES:
                    why = f"COQL writes a {field.data_type} in quotes: unless its value holds them, Zoho refuses it"
                else:
                    why = (
                        "Zoho reads its value as COQL: any value but one plain word is refused "
                        "unless it holds its quotes"
                    )
                hint = f"""quote it: '" + {stand_in.expression} + "'"""
                out[stand_in] = Diagnostic(
                    "SYNTAX_ERROR",
                    f"Deluge joins {stand_in.expression} without quotes into a comparison with "
                    f"{cond.left.name} ({field.data_type}): {why}",
                    _at(stand_in.start, stand_in.end),
                    Severity.ERROR if certain else Severity.WARNING,
                    hint=hint if certain else f"{hint} (if its value has no quotes of its own)",
                    details={"column_name": cond.left.name},
                )
    return out


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
