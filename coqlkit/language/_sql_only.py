"""SQL that COQL lacks, named as such where the parser stops on it, with what to do instead.

An analyst writes UNION, FETCH FIRST, CASE, COALESCE, window functions, arithmetic,
positions in GROUP BY and ORDER BY, NULLS LAST, ``Leads.*`` and ``"Leads"`` from habit.
Read with COQL's grammar they fail somewhere that says nothing of why (``union`` reads as a
module's alias, ``case when`` as a field and its alias), so each is recognised from the
parser's stack and the text around the token it stopped at, as :mod:`parser` does for JOIN
and DISTINCT.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import cast

from lark import Token

from coqlkit.errors import CoqlSyntaxError
from coqlkit.language import _build
from coqlkit.language.ast import Column, FieldRef, Span
from coqlkit.language.split import mask_comments

__all__ = ["after_operand", "arithmetic", "deluge_comment", "deluge_string", "not_in_coql"]

_SET_OPERATIONS = {
    "union": "run the queries apart and put their rows together",
    "intersect": "run the queries apart and keep the rows both return",
    "except": "run the queries apart and drop the second one's rows from the first one's",
    "minus": "run the queries apart and drop the second one's rows from the first one's",
}
_WINDOW_FUNCTIONS = frozenset(
    {"row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead"}
)
_FILL_FUNCTIONS = frozenset({"coalesce", "ifnull", "isnull", "nvl", "nullif"})
_COMPUTE = "select the fields and compute it from the rows"


def not_in_coql(tok: Token, text: str, stack: Sequence[object], expected: list[str]) -> _build.Problem | None:
    """The SQL feature COQL lacks that the parser stopped at ``tok`` on, or None.

    >>> from coqlkit.language import parse
    >>> parse("select Last_Name from Leads union all select Last_Name from Contacts")
    Traceback (most recent call last):
    ...
    coqlkit.errors.CoqlSyntaxError: 1:29: error[SYNTAX_ERROR]: COQL has no UNION
      select Last_Name from Leads union all select Last_Name from Contacts
                                  ^^^^^
      hint: run the queries apart and put their rows together
    """
    last = stack[-1] if stack else None
    checks = (
        _deluge_concatenation,
        _set_operation,
        _fetch_first,
        _top,
        _position,
        _nulls_order,
        _quoted_module,
    )
    for check in checks:
        problem = check(tok, text, stack)
        if problem is not None:
            return problem
    if tok.type == "COMMA" and _ends_with(stack, "NAME", "LPAR", None):  # `coalesce(a, 'x')`
        return _function(cast(Token, stack[-3]), text)
    if isinstance(last, Token):
        return _after_token(tok, text, stack, last, expected)
    return None


def _after_token(
    tok: Token, text: str, stack: Sequence[object], last: Token, expected: list[str]
) -> _build.Problem | None:
    """What the token the parser took last tells: a function, CASE, ``x.*``, a path quoted
    name by name, arithmetic."""
    if last.type == "DOT" or (last.type == "STRING" and tok.type == "DOT"):
        return _dotted(tok, text, stack)
    if tok.type == "RPAR" and _ends_with(stack, "NAME", "LPAR"):  # `now()`, `row_number()`
        return _function(cast(Token, stack[-2]), text)
    if last.type == "NAME" and last.lower() == "when" and len(stack) > 1:
        case = stack[-2]
        if isinstance(case, FieldRef) and case.path == ("case",) and case.span is not None:
            return _build.Problem("COQL has no CASE", case.span, _COMPUTE)
    if last.type == "NAME" and (tok.type == "STAR" or (tok.type == "NUMBER" and str(tok)[:1] in "+-")):
        return arithmetic(text, tok.start_pos or 0)  # `Annual_Revenue * 2`, `a +1`
    if last.type in ("NUMBER", "INT") and tok.type == "STAR":  # `= 2 * 3`, `offset 2 * 200`
        return arithmetic(text, tok.start_pos or 0)
    return None


def _ends_with(stack: Sequence[object], *types: str | None) -> bool:
    """Whether ``stack`` ends with tokens of ``types`` (None: any item)."""
    tail = stack[-len(types) :] if len(stack) >= len(types) else ()
    return len(tail) == len(types) and all(
        kind is None or (isinstance(item, Token) and item.type == kind)
        for item, kind in zip(tail, types, strict=True)
    )


def _next_words(tok: Token, text: str, count: int = 3) -> list[str]:
    """The words after ``tok`` (comments aside), in lower case; a bracket is a word."""
    return re.findall(r"[\w$]+|\(", mask_comments(text[tok.end_pos :]).lower())[:count]


def _set_operation(tok: Token, text: str, stack: Sequence[object]) -> _build.Problem | None:
    """``... from Leads union all select ...``: ``union`` read as the module's alias."""
    word = str(tok).lower()
    if word not in _SET_OPERATIONS:
        return None
    following = [w for w in _next_words(tok, text) if w not in ("all", "distinct", "(")]
    if following[:1] != ["select"]:
        return None
    return _build.Problem(f"COQL has no {word.upper()}", _build.token_span(tok), _SET_OPERATIONS[word])


def _fetch_first(tok: Token, text: str, stack: Sequence[object]) -> _build.Problem | None:
    """``fetch first 5 rows only`` (standard SQL's LIMIT)."""
    following = _next_words(tok, text)
    if str(tok).lower() != "fetch" or following[:1] not in (["first"], ["next"]):
        return None
    rows = following[1] if len(following) > 1 and following[1].isdigit() else "<rows>"
    return _build.Problem("COQL has no FETCH FIRST", _build.token_span(tok), f"use LIMIT: limit {rows}")


def _top(tok: Token, text: str, stack: Sequence[object]) -> _build.Problem | None:
    """``select top 5 Last_Name`` (SQL Server's LIMIT): ``top`` read as a field."""
    if tok.type != "NUMBER" or len(stack) != 2 or not isinstance(stack[-1], Token):
        return None
    top = stack[-1]
    if top.type != "NAME" or top.lower() != "top":
        return None
    return _build.Problem("COQL has no TOP", _build.token_span(top), f"use LIMIT at the end: ... limit {tok}")


def _clause(stack: Sequence[object]) -> str | None:
    """The clause the parser is in: the last of SELECT, WHERE, GROUP and ORDER it took."""
    for item in reversed(stack):
        if isinstance(item, Token) and item.type in ("SELECT", "WHERE", "GROUP", "ORDER"):
            return str(item.type)
    return None


def _position(tok: Token, text: str, stack: Sequence[object]) -> _build.Problem | None:
    """``group by 1``, ``order by 2``: a column's position where COQL takes its name."""
    last = stack[-1] if stack else None
    clause = _clause(stack)
    if tok.type not in ("NUMBER", "INT") or clause not in ("GROUP", "ORDER"):
        return None
    if not isinstance(last, Token) or last.type not in ("BY", "COMMA"):
        return None
    columns = next((item for item in stack if isinstance(item, tuple)), ())
    place = int(str(tok)) if str(tok).isdigit() else 0
    named = "<field>"
    if 0 < place <= len(columns) and isinstance(columns[place - 1], Column):
        span = columns[place - 1].expr.span
        named = text[span.start : span.end] if span is not None else named
    return _build.Problem(
        f"{clause} BY takes field names, not positions",
        _build.token_span(tok),
        f"name the field: {clause.lower()} by {named}",
    )


def _nulls_order(tok: Token, text: str, stack: Sequence[object]) -> _build.Problem | None:
    """``order by Last_Name nulls last``."""
    following = _next_words(tok, text, 1)
    if str(tok).lower() != "nulls" or following not in (["first"], ["last"]) or _clause(stack) != "ORDER":
        return None
    end = re.search(r"\s*(?:first|last)", text[tok.end_pos :], re.IGNORECASE)
    span = _build.token_span(tok)
    if end is not None and "\n" not in end.group():
        span = Span(
            span.line, span.column, span.line, span.end_column + end.end(), span.start, span.end + end.end()
        )
    return _build.Problem(
        "COQL has no NULLS FIRST or NULLS LAST",
        span,
        "leave it out; to put the empty values first or last, sort the rows locally",
    )


def _quoted_module(tok: Token, text: str, stack: Sequence[object]) -> _build.Problem | None:
    """``from "Leads"``, as SQLAlchemy, sqlglot and JupySQL write a table. Zoho documents
    quotes around fields only; whether it reads a quoted module is not known, so coqlkit
    refuses one, before a credit is spent, and says to write the name bare."""
    last = stack[-1] if stack else None
    if tok.type != "STRING" or not isinstance(last, Token) or last.type != "FROM":
        return None
    name = _build.unquote(str(tok))
    bare = name if re.fullmatch(r"[A-Za-z_$][\w$]*", name) else "<Module>"
    return _build.Problem(
        "a module is named without quotes in COQL", _build.token_span(tok), f"write it bare: from {bare}"
    )


def _dotted(tok: Token, text: str, stack: Sequence[object]) -> _build.Problem | None:
    """``Leads.*`` or ``Owner.*``; ``"Owner"."first_name"``, a path quoted name by name."""
    start = next((item for item in reversed(stack) if isinstance(item, Token) and item.type != "DOT"), None)
    if start is None or start.type not in ("NAME", "STRING") or start.start_pos is None:
        return None
    if tok.type == "STAR" and start.type == "NAME":
        span = _build.cover(_build.token_span(start), _build.token_span(tok))
        source = re.search(r"\bfrom\s+([A-Za-z_$][\w$]*)", mask_comments(text), re.IGNORECASE)
        if source is not None and source.group(1).lower() == start.lower():
            hint = f"select * from {source.group(1)} takes every field; or name the fields"
        else:
            hint = f"name the fields one by one: {start}.<field>"
        return _build.Problem(f"COQL has no {start}.*: select fields by name", span, hint)
    written = re.match(
        r"""(?:"[^"]*"|'[^']*'|[\w$]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[\w$]+))+""", text[start.start_pos :]
    )
    if written is None or not any(q in written.group() for q in "'\""):
        return None
    path = ".".join(
        _build.unquote(p) if p[:1] in "'\"" else p for p in re.split(r"\s*\.\s*", written.group())
    )
    end = start.start_pos + written.end()
    first = _build.token_span(start)
    span = Span(first.line, first.column, first.line, first.column + written.end(), start.start_pos, end)
    return _build.Problem(
        "a path is quoted whole in COQL, not name by name",
        span if "\n" not in written.group() else first,
        f"write {path}, or quote it as one: '{path}'",
    )


def _function(name: Token, text: str) -> _build.Problem:
    """``coalesce(a, 'x')``, ``row_number() over (...)``, ``now()``: a function in SELECT
    with no field or more than one; COQL has only the five aggregates, of one field."""
    span, word = _build.token_span(name), name.lower()
    rest = mask_comments(text[name.end_pos :])
    if word in _WINDOW_FUNCTIONS or re.match(r"\s*\([^()]*\)\s*over\b", rest, re.IGNORECASE):
        return _build.Problem("COQL has no window functions (OVER)", span, _COMPUTE)
    if word in _FILL_FUNCTIONS:
        return _build.Problem(
            f"COQL has no {word.upper()}", span, "select the field and fill its empty values from the rows"
        )
    if name.upper() in _build.AGGREGATES:
        return _build.Problem(
            f"{name.upper()} takes one field", span, f"for example: {name.upper()}(Annual_Revenue)"
        )
    return _build.Problem(
        f"'{name}' is not a COQL function: SELECT takes fields, and COUNT, SUM, AVG, MIN or MAX of one",
        span,
        _COMPUTE,
    )


_CLAUSES = re.compile(r"\b(select|where|group\s+by|order\s+by|limit|offset)\b", re.IGNORECASE)


def arithmetic(text: str, pos: int) -> _build.Problem:
    """``Annual_Revenue * 2``, ``a + b``: the operator at ``pos``, said for the clause it is in.

    >>> print(arithmetic("select a from B where c * 2 > 1", 24))
    COQL has no arithmetic in conditions
    >>> print(arithmetic("select a from B limit 5 + 1", 24))
    COQL has no arithmetic in LIMIT
    """
    found = [m.group(1).split()[0].lower() for m in _CLAUSES.finditer(mask_comments(text[:pos]))]
    clause = found[-1] if found else "select"
    line_start = text.rfind("\n", 0, pos) + 1
    line, column = text.count("\n", 0, pos) + 1, pos - line_start + 1
    span = Span(line, column, line, column + 1, pos, pos + 1)
    if clause == "where":
        return _build.Problem(
            "COQL has no arithmetic in conditions",
            span,
            "compare the field itself with a value worked out beforehand",
        )
    if clause in ("limit", "offset"):
        return _build.Problem(
            f"COQL has no arithmetic in {clause.upper()}",
            span,
            "LIMIT and OFFSET take whole numbers, worked out beforehand: limit 200 offset 400",
        )
    where = {"select": "SELECT", "group": "GROUP BY", "order": "ORDER BY"}[clause]
    return _build.Problem(f"COQL has no arithmetic in {where}", span, _COMPUTE)


def deluge_comment(text: str, pos: int) -> _build.Problem | None:
    """``// ...`` at ``pos`` (outside a string: the lexer stopped on it), a Deluge comment
    copied with the query, or None.

    >>> print(deluge_comment("select a from B limit 1 // first", 24).hint)
    COQL's comments are -- and /* */: -- first
    """
    if not text.startswith("//", pos):
        return None
    line_start = text.rfind("\n", 0, pos) + 1
    line, column = text.count("\n", 0, pos) + 1, pos - line_start + 1
    said = text[pos + 2 :].split("\n", 1)[0].strip()
    example = f"-- {said}" if said and len(said) <= 40 and "*/" not in said else "-- ... or /* ... */"
    return _build.Problem(
        "'//' starts a comment in Deluge, not in COQL",
        Span(line, column, line, column + 2, pos, pos + 2),
        f"COQL's comments are -- and /* */: {example}",
    )


def deluge_string(value: str) -> str | None:
    """The hint for a whole query given as a Deluge string (``"select ... limit 2";``,
    copied from ``zoho.crm.invokeConnector`` or a ``query = "...";`` line): the query is
    the text between the quotes; None when ``value`` (the string, quotes and all) holds
    no query.

    >>> deluge_string('"select Last_Name from Leads limit 2"')
    'drop the quotes around the query (a Deluge string): select Last_Name from Leads limit 2'
    """
    inner = value[1:-1] if len(value) > 1 and value[-1] == value[0] else value[1:]
    if not re.match(r"\s*(?:select|explain)\b", inner, re.IGNORECASE):
        return None
    query = " ".join(inner.split())
    shown = query if len(query) <= 60 else query[:57] + "..."
    return f"drop the quotes around the query (a Deluge string): {shown}"


# The escapes Deluge reads in a string; a backslash before anything else stays as written.
_DELUGE_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}
_SETTERS = re.compile(r"(?:\.\w+\(\s*\))+\Z")  # `.toString()`, `.trim()`


def _deluge_concatenation(tok: Token, text: str, stack: Sequence[object]) -> _build.Problem | None:
    """``"select ... = '" + accountId + "' limit 2";``: a query built with ``+`` in a Deluge
    script, pasted whole. The hint writes it as coqlkit takes it, each expression joined in a
    ``:name`` parameter (in place of the quoted value around it), the way to give its value.

    >>> from coqlkit.language import parse
    >>> parse('''"select Deal_Name from Deals where Account_Name = '" + accountId + "' limit 2";''')
    Traceback (most recent call last):
    ...
    coqlkit.errors.CoqlSyntaxError: 1:56: error[SYNTAX_ERROR]: the query is a Deluge string built with '+'
      "select Deal_Name from Deals where Account_Name = '" + accountId + "' limit 2";
                                                             ^^^^^^^^^
      hint: write it with a parameter: select Deal_Name from Deals where Account_Name = :accountId limit 2, and --param accountId=... (\\set in the shell, params= in Python)
    """
    if stack or tok.type != "STRING" or not str(tok).startswith('"') or tok.start_pos is None:
        return None
    parts = _joined(text, tok.start_pos)
    first = parts[0] if parts else None
    if first is None or first[0] != "text" or not re.match(r"\s*(?:select|explain)\b", first[1], re.I):
        return None
    plus = _skip_blanks(text, first[3])
    if not text.startswith("+", plus):
        return None  # a string alone: deluge_string's hint
    if len(parts) < 2:  # `"select ..." +` and then nothing Deluge could join
        return _build.Problem(
            "the query is a Deluge string built with '+'", _offsets_span(text, plus, plus + 1), _WHOLE
        )
    expressions = [part for part in parts if part[0] == "expression"]
    built = _as_parameters(parts)
    query = re.sub(r"\s*\n\s*", " ", built[0]).strip().rstrip(";").rstrip() if built is not None else None
    if query is not None and not _parses(query):
        query = None
    if not expressions:
        return _build.Problem(
            "the query is Deluge strings joined with '+'",
            _offsets_span(text, plus, plus + 1),
            f"write it as one query: {_shortened(query, None)}" if query else _WHOLE,
        )
    where = expressions[0]
    span = _offsets_span(text, where[2], where[3])
    if built is None or query is None:
        return _build.Problem("the query is a Deluge string built with '+'", span, _WHOLE)
    params = built[1]
    given = " ".join(f"--param {name}={example}" for name, example in params.items())
    one = "a parameter" if len(params) == 1 else "parameters"
    return _build.Problem(
        "the query is a Deluge string built with '+'",
        span,
        f"write it with {one}: {_shortened(query, next(iter(params)))}, and {given} "
        "(\\set in the shell, params= in Python)",
    )


_WHOLE = (
    "write the query itself, without Deluge's quotes and '+': a value joined in becomes a :name parameter"
)


def _joined(text: str, at: int) -> list[tuple[str, str, int, int]]:
    """The operands of the Deluge ``+`` chain starting with the string at ``at``: each a
    ``("text", value, start, end)`` literal (escapes read) or an ``("expression", source,
    start, end)``."""
    parts: list[tuple[str, str, int, int]] = []
    while True:
        at = _skip_blanks(text, at)
        if text.startswith('"', at):
            value, end = _literal(text, at)
            parts.append(("text", value, at, end))
        else:
            end = _expression_end(text, at)
            if end == at:
                return parts
            parts.append(("expression", text[at:end], at, end))
        at = _skip_blanks(text, end)
        if not text.startswith("+", at):
            return parts
        at += 1


def _skip_blanks(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def _literal(text: str, at: int) -> tuple[str, int]:
    """The value of the Deluge string at ``at`` (``\\"``, ``\\n``... read), and the offset past it."""
    chars: list[str] = []
    i = at + 1
    while i < len(text) and text[i] != '"':
        if text[i] == "\\" and i + 1 < len(text):
            chars.append(_DELUGE_ESCAPES.get(text[i + 1], text[i : i + 2]))
            i += 2
        else:
            chars.append(text[i])
            i += 1
    return "".join(chars), min(i + 1, len(text))


def _expression_end(text: str, at: int) -> int:
    """The end of the Deluge expression at ``at`` (its strings and brackets skipped)."""
    depth, i = 0, at
    while i < len(text):
        char = text[i]
        if char == '"':
            i = _literal(text, i)[1]
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and char in "+;,\n":
            break
        i += 1
    return at + len(text[at:i].rstrip())


def _as_parameters(parts: list[tuple[str, str, int, int]]) -> tuple[str, dict[str, str]] | None:
    """The COQL the parts build, each expression a ``:name`` (in place of the quoted value
    around it, if it is in one), and each name's value as ``--param`` would give it (``...``
    for the expression: ``%...%`` in ``like '%" + name + "%'``); None when a quoted value
    is not closed."""
    out = ""
    params: dict[str, str] = {}
    names: dict[str, str] = {}
    pending: tuple[str, list[str]] | None = None  # a quoted value holding an expression
    for kind, value, _, _ in parts:
        if kind == "expression":
            name = names.get(value) or _param_name(value, set(names.values()))
            names[value] = name
            if pending is not None:
                pending[1].append("...")
                continue
            quote = _open_quote(out)
            if quote is None:
                out += f":{name}"
                params.setdefault(name, "...")
            else:
                pending, out = (name, [out[quote + 1 :], "..."]), out[:quote]
            continue
        if pending is None:
            out += value
            continue
        close = _closing_quote(value)
        if close is None:
            pending[1].append(value)
            continue
        name, pieces = pending
        written = "".join(pieces) + value[:close]  # as COQL quotes it: `it''s`
        params.setdefault(name, re.sub(r"''|\\'", "'", written))
        out += f":{name}" + value[close + 1 :]
        pending = None
    return None if pending is not None else (out, params)


def _param_name(source: str, taken: set[str]) -> str:
    """A ``:name`` for the Deluge expression ``source``: its variable (``accountId``), its
    last field (``input.Account_Name``), the key it gets (``map.get("id")``), or ``value``."""
    bare = _SETTERS.sub("", source.strip())
    got = re.search(r"\.get\(\s*\"([A-Za-z_][A-Za-z0-9_]*)\"\s*\)\Z", bare)
    path = re.fullmatch(r"(?:[A-Za-z_$][\w$]*\.)*([A-Za-z_][A-Za-z0-9_]*)", bare)
    name = got.group(1) if got else path.group(1) if path else "value"
    unique, n = name, 1
    while unique in taken:
        n += 1
        unique = f"{name}{n}"
    return unique


def _open_quote(coql: str) -> int | None:
    """Where the COQL string left open at the end of ``coql`` starts, or None."""
    start: int | None = None
    i = 0
    while i < len(coql):
        char = coql[i]
        if start is not None and char == "\\":
            i += 2
            continue
        if char == "'":
            if start is None:
                start = i
            elif coql.startswith("''", i):  # doubled: `'O''" + rest`
                i += 2
                continue
            else:
                start = None
        i += 1
    return start


def _closing_quote(value: str) -> int | None:
    """Where the quote closing a COQL string open before ``value`` is in it, or None."""
    i = 0
    while i < len(value):
        if value[i] == "\\":
            i += 2
            continue
        if value[i] == "'":
            if value.startswith("''", i):
                i += 2
                continue
            return i
        i += 1
    return None


def _parses(query: str) -> bool:
    """Whether ``query`` is COQL the parser takes (a hint never shows a query it would refuse)."""
    from coqlkit.language.parser import parse  # the parser reports its errors with this module

    try:
        parse(query)
    except CoqlSyntaxError:
        return False
    return True


def _shortened(query: str, param: str | None) -> str:
    """``query`` as a hint shows it: whole up to 100 characters, else from a little before
    its first parameter (``... Account_Name = :accountId limit 2``)."""
    if len(query) <= 100:
        return query
    at = query.find(f":{param}") if param else -1
    if at < 0:
        return query[:97] + "..."
    start = query.rfind(" ", 0, max(at - 30, 0)) + 1
    shown = ("... " if start > 0 else "") + query[start:]
    return shown if len(shown) <= 100 else shown[:97] + "..."


def _offsets_span(text: str, start: int, end: int) -> Span:
    """The span from offset ``start`` to ``end`` (on ``start``'s line)."""
    line_start = text.rfind("\n", 0, start) + 1
    line, column = text.count("\n", 0, start) + 1, start - line_start + 1
    return Span(line, column, line, column + (end - start), start, end)


def after_operand(text: str, pos: int) -> bool:
    """Whether the character at ``pos`` follows a field, a bracket or a value (``a + 1``, not
    ``= - 1``): an arithmetic operator there, not a sign."""
    before = mask_comments(text[:pos]).rstrip()
    return bool(before) and (before[-1].isalnum() or before[-1] in "_$)'\"")
