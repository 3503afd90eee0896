"""``parse(text) -> Select``: COQL text to AST, with compiler-quality syntax errors."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from coqlkit.errors import CoqlSyntaxError, ParameterError
from coqlkit.language import _build
from coqlkit.language._loader import fast_parser
from coqlkit.language._sql_only import after_operand, arithmetic, deluge_comment, deluge_string, not_in_coql
from coqlkit.language.ast import FieldRef, Select, Span
from coqlkit.language.split import blank_pasted, code_only, mask_comments, strings

__all__ = ["parse"]

_NOT_QUERIES = frozenset(
    {
        "update",
        "delete",
        "insert",
        "create",
        "drop",
        "alter",
        "upsert",
        "merge",
        "truncate",
        "replace",
        "with",
    }
)


def parse(text: str, params: Mapping[str, Any] | None = None) -> Select:
    """Parse one COQL query into a :class:`~coqlkit.language.ast.Select`.

    ``params`` binds ``:name`` placeholders to typed literals (see :func:`bind`).

    >>> q = parse("select Last_Name from Leads where Email like '%zylker%' limit 10")
    >>> q.module, [c.key for c in q.columns], q.limit.count
    ('Leads', ['Last_Name'], 10)
    >>> parse("select Last_Name Leads")
    Traceback (most recent call last):
    ...
    coqlkit.errors.CoqlSyntaxError: 1:18: error[SYNTAX_ERROR]: FROM is missing: 'Leads' reads as an alias of the field before it
      select Last_Name Leads
                       ^^^^^
      hint: write FROM before it: select ... from Leads
    """
    if not isinstance(text, str):
        raise TypeError(f"parse() takes COQL text, not {type(text).__name__}")
    # A no-break or zero-width space pasted from a web page is a blank (never in a string).
    lexed = blank_pasted(text)
    token = _build.comments.set([])
    text_token = _build.source_text.set(lexed)
    try:
        select: Select = fast_parser().parse(lexed)
    except UnexpectedInput as exc:
        error = _runaway_string(lexed, _error_position(exc, lexed)) or _syntax_error(exc, lexed)
        raise _as_written(error, text) from None
    except _build.Problem as exc:
        at = exc.span.start if exc.span else len(lexed)
        raise _as_written(_runaway_string(lexed, at) or _from_problem(exc, lexed), text) from None
    finally:
        _build.comments.reset(token)
        _build.source_text.reset(text_token)
    object.__setattr__(select, "text", text)  # as typed: the spans point into it (a frozen node, new)
    if params is not None:
        from coqlkit.language.params import bind

        try:
            select = bind(select, params)
        except ParameterError as exc:  # with the query quoted, a caret under the parameter
            raise exc.at(exc.span, text) from None
    return select


# ---- syntax errors ------------------------------------------------------------------


def _error_position(exc: UnexpectedInput, text: str) -> int:
    """The offset in ``text`` where the parser stopped."""
    if isinstance(exc, UnexpectedCharacters):
        return exc.pos_in_stream or 0
    token = getattr(exc, "token", None)
    start = getattr(token, "start_pos", None)
    return start if isinstance(start, int) and getattr(token, "type", "") != "$END" else len(text)


def _as_written(error: CoqlSyntaxError, text: str) -> CoqlSyntaxError:
    """``error``, found in the text as lexed, quoting ``text`` as the user wrote it (the same
    length: only pasted blanks differ)."""
    if error.text == text:
        return error
    return CoqlSyntaxError(
        error.description,
        text=text,
        line=error.line,
        column=error.column,
        end_column=error.end_column,
        expected=error.expected,
        hint=error.hint,
        code=error.code,
    )


def _runaway_string(text: str, stop: int) -> CoqlSyntaxError | None:
    """A string opened before the error that runs on past the end of its line, and past a
    ``;`` (``= 'Contacted;`` then the next query) or up to a word where the parser stopped
    (``= 'x`` then ``and City = 'y'`` on the next line: the string ends at the quote before
    ``y``): its missing quote is the error, not what the parser met later (where doubling a
    quote would hide it). Reported where the string opened."""
    for start, literal in strings(text):
        if start > stop:
            return None
        end = start + len(literal)
        swallowed = end == stop and text[stop : stop + 1].isalnum()  # `'x ... = 'y`: y touches the quote
        if "\n" not in literal or (";" not in literal and not swallowed):
            continue
        curly = _curly_close(text, start, end)
        if curly is not None:
            return curly
        quote, first = literal[0], literal.split("\n", 1)[0]
        value = first[1:].split(";", 1)[0].rstrip()
        line = text.count("\n", 0, start) + 1
        column = start - (text.rfind("\n", 0, start) + 1) + 1
        past = "a ';' and the end of its line" if ";" in literal else "the end of its line"
        return CoqlSyntaxError(
            f"this string runs on past {past}: is a closing {quote} missing?",
            text=text,
            line=line,
            column=column,
            end_column=column + len(first.rstrip()),
            hint=f"close it where it ends: {quote}{value}{quote}"
            if value
            else f"close the string with {quote}",
        )
    return None


def _syntax_error(exc: UnexpectedInput, text: str) -> CoqlSyntaxError:
    if not text.strip() or _only_comments(text):
        return CoqlSyntaxError(
            "the query is empty", text=text, line=1, column=1, hint="a query starts with SELECT"
        )
    if isinstance(exc, UnexpectedCharacters):
        return _bad_character(exc, text)
    assert isinstance(exc, UnexpectedToken)  # LALR reports the end of input as a $END token
    curly = _curly_before(exc.token, text)
    if curly is not None:
        return curly
    stack = exc.interactive_parser.parser_state.value_stack if exc.interactive_parser else []
    last = stack[-1] if stack else None
    if isinstance(last, Token) and last.type == "NAME" and last.lower() in _build.CLAUSE_WORDS:
        # A keyword the contextual lexer had to read as a field: `where not a = 1`.
        if last.lower() == "select" and text[: last.start_pos].rstrip().endswith("("):
            return _from_problem(_subquery_misplaced(last), text)
        return _from_problem(_missing_before(last, text) or _build.keyword_as_field(last), text)
    tok = exc.token
    if tok.type == "LPAR" and isinstance(last, Token) and last.type == "NAME":
        # `where LOWER(Last_Name) = 'x'`, `group by month(Created_Time)`: a function where
        # only a field can stand.
        return _from_problem(_function(last, tok, text, _clause(stack)), text)
    expected = _accepted(exc)
    problem = not_in_coql(tok, text, stack, expected) or _not_coql(tok, text, last, expected)
    if problem is not None:
        return _from_problem(problem, text)
    label = _label_as_field(tok, text, expected) or _missing_from(tok, text, stack, expected)
    if label is not None:
        return label
    if tok.type == "$END":
        line, column = _end_position(text)
        return CoqlSyntaxError(
            f"unexpected end of query; expected {_or_list(expected)}",
            text=text,
            line=line,
            column=column,
            expected=expected,
            hint=_hint_at_end(expected, last),
        )
    hint = _hint_at_token(tok, expected, text, at_start=not stack, last=last, stack=stack)
    if hint is None and tok.type == "NAME":
        hint = _unquoted_words(text, tok)
    if isinstance(hint, _AboutLast) and isinstance(last, Token):
        tok = last  # `select a form Leads`: the hint is about `form`, so the caret goes under it
    line, column = tok.line or 1, tok.column or 1
    end = tok.end_column if tok.end_line == tok.line and tok.end_column else column + len(tok)
    return CoqlSyntaxError(
        f"expected {_or_list(expected)}, found {_shown(tok)}",
        text=text,
        line=line,
        column=column,
        end_column=end,
        expected=expected,
        hint=hint,
    )


_VALUE_BEFORE = re.compile(r"(?:!=|<=|>=|[=<>]|\blike)\s*([^\s'\"(),;]+)\s+\Z", re.IGNORECASE)
_VALUE_END = re.compile(r"\s+(?:and|or|order\s+by|group\s+by|limit|offset)\b|[;)]|\s*\Z", re.IGNORECASE)


def _unquoted_words(text: str, tok: Token) -> str | None:
    """``Lead_Source = Web Download``: a value of several words written without quotes (as
    a script joins one in); the hint quotes it.

    >>> from coqlkit.language import parse
    >>> try:
    ...     parse("select id from Leads where Lead_Source = Web Download and City = 'x'")
    ... except Exception as exc:
    ...     print(exc.hint)
    quote the value: 'Web Download'
    """
    found = _VALUE_BEFORE.search(text, 0, tok.start_pos or 0)
    if found is None:
        return None
    end = _VALUE_END.search(text, tok.end_pos or 0)
    value = text[found.start(1) : end.start() if end else len(text)]
    if re.search(r"[=<>!]", value):
        return None  # `= Contacted City = 'x'`: a condition follows, AND is missing
    return "quote the value: '" + value.replace("'", "''") + "'"


# What stands before a keyword the parser had to read as a name, when something is missing
# there: a comparator, FROM, WHERE, BY, AND, OR (``where City = order by id``).
_LACKING = re.compile(
    r"""(?:(?P<between>\bbetween\s+(?:'(?:[^']|'')*'|"(?:[^"]|"")*"|[^\s()]+)\s+and)
    |(?P<op><>|!=|>=|<=|=|>|<|\b(?:not\s+)?like\b|\bbetween\b)
    |\b(?P<word>from|where|by|and|or))\s*\Z""",
    re.IGNORECASE | re.X,
)
# The words that carry a query on, which the user wrote after leaving something out.
_GOES_ON = frozenset({"from", "where", "group", "order", "limit", "offset", "and", "or"})
_FIELD_BEFORE = re.compile(r"('(?:[^']|'')*'|[\w$.>!-]+)\s*\Z")


def _missing_before(keyword: Token, text: str) -> _build.Problem | None:
    """``where City = order by id``, ``from limit 5``: a clause word the parser had to read as
    a name (a value, a module, a field) because what goes before it is missing. Said as what
    is missing, after the word that wants it; None when nothing is known to be missing."""
    if keyword.lower() not in _GOES_ON:
        return None
    before = mask_comments(text[: keyword.start_pos])
    found = _LACKING.search(before)
    if found is None:
        return None
    kind = found.lastgroup or ""
    start, end = found.span(kind)
    if kind == "between":  # `between 1 and order by`: the second value is missing, after AND
        start = end - len("and")
    said = " ".join(text[start:end].lower().split())
    span = _offset_span(text, start, end)
    if kind == "between" or said == "between":
        return _build.Problem(
            f"a value is missing after '{said}'", span, "between takes two values: between 1 and 10"
        )
    if kind == "op":
        field = _FIELD_BEFORE.search(before, 0, start)
        example = f"{field.group(1) if field else '<field>'} {said} <value>"
        return _build.Problem(
            f"a value is missing after '{said}'", span, f"a condition is field, comparator, value: {example}"
        )
    if said == "by":
        clause = re.search(r"(group|order)\s*\Z", before[:start], re.IGNORECASE)
        named = f"{clause.group(1).upper()} BY" if clause else "BY"
        return _build.Problem(f"a field is missing after {named}", span, "name a field after BY")
    if said in _MISSING_AFTER:
        return _build.Problem(_MISSING_AFTER[said][0], span, _MISSING_AFTER[said][1])
    if keyword.lower() in ("and", "or"):
        return None  # `a = 1 and and b = 2`: told as a condition missing before the second
    return _build.Problem(
        f"a condition is missing after '{said}'", span, "a condition is field, comparator, value"
    )


_MISSING_AFTER = {
    "from": ("a module is missing after FROM", "a query names its module: select ... from <Module>"),
    "where": (
        "a condition is missing after WHERE",
        "a condition is field, comparator, value; with none, leave WHERE out",
    ),
}


def _offset_span(text: str, start: int, end: int) -> Span:
    """The span of ``text[start:end]``, on one line."""
    line_start = text.rfind("\n", 0, start) + 1
    line, column = text.count("\n", 0, start) + 1, start - line_start + 1
    return Span(line, column, line, column + end - start, start, end)


def _clause(stack: list[Any]) -> str | None:
    """The clause the parser was in: the last of SELECT, WHERE, GROUP and ORDER it took."""
    for item in reversed(stack):
        if isinstance(item, Token) and item.type in ("SELECT", "WHERE", "GROUP", "ORDER"):
            return str(item.type)
    return None


def _function(name: Token, lpar: Token, text: str, clause: str | None) -> _build.Problem:
    span = _build.token_span(name)
    if name.lower() == "over":  # `count(id) over (...)`, read as an alias and a bracket
        return _build.Problem(
            "COQL has no window functions (OVER)", span, "select the fields and compute it from the rows"
        )
    if clause == "GROUP":
        arg = text[lpar.end_pos :].split(")")[0].strip() or "<field>"
        return _build.Problem(
            f"'{name}' is not a COQL function: GROUP BY takes fields only",
            span,
            f"group by {arg} itself, then compute {name}({arg}) from the rows locally",
        )
    return _build.Problem(
        f"'{name}' is not a COQL function: a condition compares a field with a value",
        span,
        "COQL has no functions in conditions; the five aggregates belong in SELECT",
    )


# SQL's join words: `inner join`, `left outer join`...
_JOIN_WORDS = frozenset({"join", "inner", "left", "right", "full", "outer", "cross", "natural"})
_NAME = r"[A-Za-z_$][\w$]*"


def _subquery_misplaced(tok: Token) -> _build.Problem:
    return _build.Problem(
        "a subquery is allowed only in WHERE: in IN (...), or after = for one record",
        _build.token_span(tok),
        "filter with it: where <lookup> in (select id from <Module> where ...), or "
        "<lookup> = (select id from <Module> where ... limit 1); "
        "COQL has no subquery in SELECT, GROUP BY or ORDER BY",
    )


def _not_coql(tok: Token, text: str, last: object, expected: list[str]) -> _build.Problem | None:
    """SQL that COQL does not have, said as such with COQL's way: JOIN, a module alias,
    two modules, DISTINCT, a subquery outside IN."""
    value, span = str(tok).lower(), _build.token_span(tok)
    if tok.type == "LPAR" and "'('" not in expected and re.match(r"\s*select\b", text[tok.end_pos :], re.I):
        return _subquery_misplaced(tok)
    before = code_only(text[: tok.start_pos]).rstrip()
    after = code_only(text[tok.end_pos :]).split()
    source = re.search(rf"\bfrom\s+({_NAME})\s*(?:#\d+)?$", before, re.IGNORECASE)
    if source is not None and "WHERE" in expected:
        module = source.group(1)
        dotted = f"select <lookup>.<field> from {module} (as in select Account_Name.Industry from Contacts)"
        following = [w.lower() for w in after[:2]]
        if value in _JOIN_WORDS or (tok.type == "NAME" and "join" in following):
            aliased = value not in _JOIN_WORDS
            return _build.Problem(
                "COQL has no JOIN" + (", and a module takes no alias" if aliased else ""),
                span,
                f"COQL joins through lookup fields: {dotted}",
            )
        if tok.type == "AS" or (tok.type == "NAME" and _misspelt(value, expected) is None):
            return _build.Problem(
                "a module takes no alias in COQL",
                span,
                f"name fields without a prefix; reach another module through a lookup field: {dotted}",
            )
        if tok.type == "COMMA":
            return _build.Problem(
                "a query reads one module",
                span,
                f"COQL joins through lookup fields: {dotted}",
            )
    if isinstance(last, Token) and last.type == "NAME" and last.lower() == "distinct" and tok.type == "NAME":
        field = str(tok)
        found = re.search(rf"\bfrom\s+({_NAME})", text[tok.end_pos :], re.IGNORECASE)
        module = found.group(1) if found else "<Module>"
        example = (
            f"select {field}, COUNT(id) from {module} group by {field}"
            if "')'" in expected  # COUNT(distinct x)
            else f"select {field} from {module} group by {field}"
        )
        return _build.Problem(
            "COQL has no DISTINCT",
            _build.token_span(last),
            f"GROUP BY the field to get each value once: {example}",
        )
    return None


# Words that go on a condition after its field: not part of a label typed as a name.
_COMPARING_WORDS = frozenset({"like", "in", "between", "is", "not"})


def _label_as_field(tok: Token, text: str, expected: list[str]) -> CoqlSyntaxError | None:
    """``where Lead Status = 'Contacted'``: a field's label, as Zoho's UI shows it, typed where
    its API name goes. Told as such, with the API name it usually has (``Lead_Status``)."""
    at, end = tok.start_pos, tok.end_pos
    if tok.type != "NAME" or _build.DISPLAY["COMPARATOR"] not in expected or at is None or end is None:
        return None
    line_start = text.rfind("\n", 0, at) + 1
    previous = re.search(rf"(?<![\w$.>'\"!])({_NAME})[ \t]+$", text[line_start:at])
    if previous is None or previous.group(1).lower() in _build.CLAUSE_WORDS or "_" in previous.group(1):
        return None  # an API name (Last_Name) before the word: it is a comparator misspelt
    if _misspelt(str(tok), expected) is not None:
        return None  # `where Last_Name nto in (...)`: a keyword misspelt
    words = [previous.group(1), str(tok)]
    while True:  # `Email Opt Out =`: the words up to the comparator
        more = re.match(rf"[ \t]+({_NAME})", text[end:])
        if more is None or more.group(1).lower() in _COMPARING_WORDS:
            break
        words.append(more.group(1))
        end += more.end()
    if not _CONDITION.match(text[end:]):
        return None
    start = line_start + previous.start(1)
    column = start - line_start + 1
    phrase = " ".join(words)
    module = re.search(rf"\bfrom\s+({_NAME})", code_only(text), re.IGNORECASE)
    listed = f"\\d {module.group(1)} lists them" if module else "\\d <Module> lists them"
    return CoqlSyntaxError(
        f"'{phrase}' is not a field name: a name has no spaces",
        text=text,
        line=tok.line or 1,
        column=column,
        end_column=column + (end - start),
        expected=expected,
        hint=f"did you mean {'_'.join(words)}? COQL names a field by its API name, usually its label "
        f"with _ for each space ({listed})",
    )


# What follows the SELECT list when FROM was left out: the next clause, or the end.
_AFTER_SOURCE = frozenset({"WHERE", "GROUP", "ORDER", "LIMIT", "OFFSET", "SEMICOLON", "$END"})
# A module's API name as Zoho spells the standard ones: capitalised, plural (Leads, Sales_Orders).
_MODULE_LIKE = re.compile(r"[A-Z][A-Za-z0-9_]*[a-z0-9_]s")


def _missing_from(
    tok: Token, text: str, stack: Sequence[object], expected: list[str]
) -> CoqlSyntaxError | None:
    """``select Last_Name Leads where ...``: FROM left out, so the module was read as the
    alias of the last field. Said only when the word looks like a module's name and was not
    written as an alias (after AS), and the query goes on with a clause or ends."""
    alias = stack[-1] if stack else None
    if (
        tok.type not in _AFTER_SOURCE
        or "FROM" not in expected
        or not isinstance(alias, Token)
        or alias.type != "NAME"
        or not _MODULE_LIKE.fullmatch(str(alias))
        or (len(stack) > 1 and isinstance(stack[-2], Token) and stack[-2].type == "AS")
    ):
        return None
    span = _build.token_span(alias)
    return CoqlSyntaxError(
        f"FROM is missing: '{alias}' reads as an alias of the field before it",
        text=text,
        line=span.line,
        column=span.column,
        end_column=span.end_column if span.end_line == span.line else None,
        expected=expected,
        hint=f"write FROM before it: select ... from {alias}",
    )


# Keywords spelt out in full, as some SQL dialects and spreadsheets take them.
_SPELT_OUT = {"descending": "DESC", "ascending": "ASC"}


def _misspelt(word: str, expected: list[str]) -> str | None:
    """The clause keyword the parser expected that ``word`` looks like (``wher``: WHERE)."""
    spelt = _SPELT_OUT.get(word.lower())
    if spelt in expected:
        return spelt
    keywords = {e.split()[0].lower(): e for e in expected if e.replace(" ", "").isalpha() and e.isupper()}
    found = difflib.get_close_matches(word.lower(), keywords, n=1, cutoff=0.7)
    return keywords[found[0]] if found else None


def _from_problem(problem: _build.Problem, text: str) -> CoqlSyntaxError:
    span = problem.span
    return CoqlSyntaxError(
        str(problem),
        text=text,
        line=span.line if span else 1,
        column=span.column if span else 1,
        end_column=span.end_column if span and span.end_line == span.line else None,
        hint=problem.hint,
        code=problem.code,
    )


def _bad_character(exc: UnexpectedCharacters, text: str) -> CoqlSyntaxError:
    pos = exc.pos_in_stream or 0
    ch = text[pos]
    rest = text[pos:]
    line, column = exc.line, exc.column
    expected = _build.expected_names(sorted(exc.allowed or ()))
    hint: str | None
    width = 1
    curly = _curly_close(text, pos) if ch in "'\"" else None
    if curly is not None:
        return curly
    if ch in "'\"":
        description, hint = "unterminated string", f"close the string with {ch}"
        before_end = rest.split("\n", 1)[0].rstrip()
        if before_end.endswith(";") and len(before_end) > 2:  # `= 'Boyle;`: it ends at the ';'
            hint += f": {ch}{before_end[1:-1].rstrip()}{ch}"
    elif ch in _TYPOGRAPHIC_QUOTES:
        description, hint = _typographic(rest)
    elif _NUMBER_START.match(rest):
        description, hint, width = _bad_number(rest)
    elif not ch.isascii() and unicodedata.category(ch)[0] in "LMN":
        description, hint = _non_ascii(text, pos)
    elif rest.startswith("/*"):
        description, hint = "unterminated comment", "close the comment with */"
    elif ch == "`":
        description, hint = "backticks are not COQL", _backticked(text, pos)
    elif ch in "&|":
        doubled = ch * 2 if rest.startswith(ch * 2) else ch
        word = "AND" if ch == "&" else "OR"
        description, hint, width = f"'{doubled}' is not COQL", f"write {word}", len(doubled)
    elif (deluge := deluge_comment(text, pos)) is not None:  # `... limit 1 // first lead`
        description, hint, width = str(deluge), deluge.hint, 2
    elif ch in "+-/%" and after_operand(text, pos):
        problem = arithmetic(text, pos)
        description, hint = str(problem), problem.hint
    elif ch == ";":
        description, hint = "only one query at a time", "remove what follows the ';'"
    elif ch == "=" and text[pos - 1 : pos] == "=":
        description, hint = "'==' is not a COQL comparator", "compare with a single ="
    elif ch == "!" and text[pos + 1 : pos + 2] != "=":
        description, hint = "'!' here is not COQL", "use != to compare, or !Module. as a path prefix"
    elif ch == "#":
        description, hint = (
            "a custom view is written Module#<digits>",
            "for example: from Leads#4150868000000087501",
        )
    elif (pasted := _pasted(text, pos)) is not None:
        description, hint = pasted
    else:
        description, hint = _stray(ch, expected)
    return CoqlSyntaxError(
        description,
        text=text,
        line=line,
        column=column,
        end_column=column + width,
        expected=expected,
        hint=hint,
    )


# A number starts here (digits of any script: \d is Unicode), or a date.
_NUMBER_START = re.compile(r"[+-]?\.?\d")
_DATE_START = re.compile(r"[0-9]{4}-[0-9]{1,2}(?![0-9])")
_DATES = "a date is written 2024-01-31, a datetime 2024-01-31T10:00:00+05:30"


def _bad_number(rest: str) -> tuple[str, str, int]:
    """What is wrong with a number (or a date) the lexer could not read, from its first
    character: the description, the hint and the width of the whole run, so the caret is
    not under a valid ``1`` of ``1.2.3``.

    >>> _bad_number("1.2.3 and")[:2]
    ("'1.2.3' is not a number: it has more than one decimal point", "quote it if it is text: '1.2.3'")
    >>> _bad_number("١٢)")[:2]
    ("'١٢' is written with digits other than ASCII", 'write it with ASCII digits: 12')
    """
    start = _NUMBER_START.match(rest)
    if _DATE_START.match(rest) or (start is not None and not start.group().isascii()):
        run = _run(r"[\w:.+-]+", rest)  # 2024-01-01T, ٢٠٢٤-٠١-٠١
    else:
        run = _run(r"[+-]?[\w.]+(?:(?<=[eE])[+-])?", rest)  # 1.2.3, 1e, -1e+
    if any(c.isdigit() and not c.isascii() for c in run):
        ascii_ = "".join(str(unicodedata.decimal(c, c)) if c.isdigit() else c for c in run)
        return (
            f"'{run}' is written with digits other than ASCII",
            f"write it with ASCII digits: {ascii_}",
            len(run),
        )
    if _DATE_START.match(run):
        return f"'{run}' is not a date or a datetime COQL reads", _DATES, len(run)
    quoted = "quote it if it is text: '" + run + "'"
    if re.fullmatch(r"[+-]?[0-9.]+", run) and run.count(".") > 1:
        return f"'{run}' is not a number: it has more than one decimal point", quoted, len(run)
    if re.fullmatch(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?", run):
        return (
            f"'{run}' is not a number: its exponent has no digits",
            f"write 1e3 for 1000, or {quoted}",
            len(run),
        )
    return f"'{run}' is not a number, and a name starts with a letter", quoted, len(run)


def _run(pattern: str, rest: str) -> str:
    """The characters at the start of ``rest`` that ``pattern`` takes (at least the first)."""
    found = re.match(pattern, rest)
    return found.group() if found else rest[:1]


# Characters that stand for an ASCII one in text pasted from a word processor.
_LOOKALIKES = {"–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-", "≠": "!=", "≤": "<=", "≥": ">="}


_JSON_BODY = re.compile(r'\{\s*"select_query"\s*:\s*"((?:[^"\\]|\\.)*)"')
_ESCAPED_QUOTES = re.compile(r'\\(["\'])((?:(?!\\\1).)*)\\\1')
_UNQUOTED_VALUE = re.compile(r"(?:[=<>]|\blike|\bin\s*\(|,)\s*\Z", re.IGNORECASE)


def _pasted(text: str, pos: int) -> tuple[str, str] | None:
    r"""A character of text pasted from elsewhere: a JSON body (Postman's), quotes escaped for
    JSON or Deluge (``\"Acme\"``), a value with an ``@`` written without quotes.

    >>> print(*_pasted('{"select_query": "select Last_Name from Leads where Company = \\"Acme\\""}', 0), sep="\n")
    a JSON body, not a query
    send only the query: select Last_Name from Leads where Company = "Acme"
    >>> print(*_pasted(r"select id from Leads where Company = \"Acme\"", 37), sep="\n")
    unexpected character '\'
    drop the backslashes (quotes escaped for JSON or Deluge): Company = 'Acme'
    >>> print(*_pasted("select id from Leads where Email = pat@zylker.com", 38), sep="\n")
    unexpected character '@'
    quote the value: 'pat@zylker.com'
    """
    ch = text[pos]
    if ch == "{" and (body := _JSON_BODY.match(text, pos)) is not None:
        query = re.sub(r"\\(.)", r"\1", body.group(1))
        return "a JSON body, not a query", f"send only the query: {query}"
    if ch == "\\" and (escaped := _ESCAPED_QUOTES.match(text, pos)) is not None:
        value = escaped.group(2).replace("'", "''")
        before = re.search(r"(\w+\s*(?:!=|<=|>=|[=<>]|\blike)\s*)\Z", text[:pos], re.IGNORECASE)
        written = f"{before.group(1) if before else ''}'{value}'"
        return (
            "unexpected character '\\'",
            f"drop the backslashes (quotes escaped for JSON or Deluge): {written}",
        )
    if ch == "@":
        start = pos
        while start > 0 and not text[start - 1].isspace() and text[start - 1] not in "=<>(,'":
            start -= 1
        end = pos
        while end < len(text) and not text[end].isspace() and text[end] not in "),;'":
            end += 1
        if _UNQUOTED_VALUE.search(text[:start]):
            value = text[start:end].replace("'", "''")
            return "unexpected character '@'", f"quote the value: '{value}'"
    return None


def _stray(ch: str, expected: list[str]) -> tuple[str, str | None]:
    r"""Any other character the lexer cannot read, named so a person can tell what it is
    (``'–' (U+2013 EN DASH)``); what to write instead where that is clear.

    >>> print(*_stray("–", []), sep="\n")
    unexpected character '–' (U+2013 EN DASH)
    write - (a plain hyphen-minus), as in a negative number: -5
    >>> print(*_stray("-", []), sep="\n")
    unexpected character '-'
    a negative number has its minus against it: -5 (COQL has no arithmetic)
    >>> print(*_stray("\u200e", []), sep="\n")
    unexpected invisible character U+200E LEFT-TO-RIGHT MARK
    delete it: it is not COQL (it often comes with pasted text)
    """
    code = f"U+{ord(ch):04X}"
    name = unicodedata.name(ch, "")
    named = f"{code} {name}" if name else code
    if unicodedata.category(ch)[0] in "CZ":  # a control, format or space character: not visible
        return (
            f"unexpected invisible character {named}",
            "delete it: it is not COQL (it often comes with pasted text)",
        )
    description = f"unexpected character '{ch}'" + (f" ({named})" if not ch.isascii() else "")
    ascii_ = _LOOKALIKES.get(ch) or unicodedata.normalize("NFKC", ch)
    if ch == "-":  # the right character, in a wrong place (- 5, or arithmetic)
        return description, "a negative number has its minus against it: -5 (COQL has no arithmetic)"
    if ascii_ == "-":
        return description, "write - (a plain hyphen-minus), as in a negative number: -5"
    if ascii_ != ch and ascii_.isascii() and ascii_.isprintable():
        return description, f"write {ascii_} instead"
    return description, f"expected {_or_list(expected)}" if expected else None


def _backticked(text: str, pos: int) -> str:
    """The hint for a name in backticks (MySQL's quotes): the name in COQL's quotes."""
    m = re.match(r"`([^`\n]*)`?", text[pos:])
    name = (m.group(1) if m else "").strip()
    if re.search(r"\bfrom\s*$", text[:pos], re.IGNORECASE):
        return f"a module is named without quotes: from {name or '<Module>'}"
    if not name:
        return "quote a field name with single quotes: 'Last_Name'"
    return "quote a field name with single quotes: " + "'" + name.replace("'", "''") + "'"


# Quotes that word processors and chat apps put in place of ' and ".
_TYPOGRAPHIC_QUOTES = "‘’‚‛“”„‟«»‹›′″"


def _typographic(rest: str) -> tuple[str, str]:
    """``‘Contacted’`` (or ``‘Contacted'``): the description, and the user's text between
    straight quotes."""
    m = re.match(rf"[{_TYPOGRAPHIC_QUOTES}]([^'\"\n]*?)[{_TYPOGRAPHIC_QUOTES}'\"](?=[\s),;]|$)", rest)
    fixed = "'" + m.group(1).replace("'", "''") + "'" if m else "'...'"
    return f"{rest[0]} is a typographic quote: write ' instead", f"quote with straight quotes: {fixed}"


def _curly_close(text: str, start: int, end: int | None = None) -> CoqlSyntaxError | None:
    """``'Smith’``: a string opened at ``start`` with a straight quote that the user closed
    with a typographic one, on the same line, where a value ends (before ``end``, where the
    lexer's string stops). The error points at the typographic quote; its hint holds the
    text between straight quotes (the typographic quote would be searched for otherwise)."""
    quote = text[start]
    line_end = text.find("\n", start)
    stop = min(end - 1 if end is not None else len(text), line_end if line_end >= 0 else len(text))
    line = text[start:stop]
    for m in _CURLY.finditer(line, 1):
        if _AFTER_VALUE.match(line, m.end()):
            at = start + m.start()
            value = line[1 : m.start()]
            line_no = text.count("\n", 0, at) + 1
            line_start = text.rfind("\n", 0, at) + 1
            opened = start - line_start + 1
            return CoqlSyntaxError(
                f"{m.group()} is a typographic quote: write {quote} to close the string opened at "
                f"column {opened}",
                text=text,
                line=line_no,
                column=at - line_start + 1,
                hint=f"quote with straight quotes: {quote}{value}{quote}",
            )
    return None


def _curly_before(tok: Token, text: str) -> CoqlSyntaxError | None:
    """``= 'Smith’ and Lead_Source = 'Web'``: the string closed with a typographic quote ran
    on to the next straight one, and the parser stopped right after it (at ``Web``)."""
    at = tok.start_pos
    if at is None or tok.type == "$END":
        return None
    for start, literal in strings(text[:at]):
        end = start + len(literal)
        if end <= at and not text[end:at].strip() and len(literal) > 1 and literal[-1] == literal[0]:
            return _curly_close(text, start, end)
    return None


_CURLY = re.compile(f"[{_TYPOGRAPHIC_QUOTES}]")


def _non_ascii(text: str, pos: int) -> tuple[str, str]:
    """A letter outside ASCII in a name (``Lëad_Source``) or in an unquoted value (``München``)."""
    start, end = pos, pos
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_$"):
        start -= 1
    while end < len(text) and (text[end].isalnum() or text[end] in "_$"):
        end += 1
    word = text[start:end]
    description = f"unexpected character {text[pos]!r}: names in COQL are ASCII letters, digits and _"
    if re.search(r"(?:[=<>]|\blike)\s*$", text[:start], re.IGNORECASE):
        return description, f"quote text values: '{word}'"
    folded = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    if re.fullmatch(_NAME, folded) and folded != word:
        return (
            description,
            f"did you mean {folded}? API names have no accents; a value goes in quotes: '{word}'",
        )
    return (
        description,
        f"use the field's API name (\\d <Module> lists them); a value goes in quotes: '{word}'",
    )


def _accepted(exc: UnexpectedToken) -> list[str]:
    """Terminals the parser could take at the error, in a person's words."""
    try:
        names = set(exc.interactive_parser.accepts())  # type: ignore[no-untyped-call]
    except Exception:  # accepts() replays the parser; the table's own set is the fallback
        names = set(exc.expected)
    return _build.expected_names(sorted(names))


def _hint_at_end(expected: list[str], last: object = None) -> str | None:
    if isinstance(last, Token) and last.type == "BY":
        return "name a field after BY"
    if "FROM" in expected:
        return "a query names its module: select ... from <Module>"
    if "')'" in expected:
        return "a '(' is not closed"
    if expected == ["AND"]:
        return "between takes two values: between 1 and 10"
    if "a name" in expected and "a quoted string" in expected:
        return "the condition is incomplete: write field, comparator and value"
    if "a whole number" in expected:
        return "LIMIT and OFFSET take whole numbers: limit 200 offset 400"
    return None


class _AboutLast(str):
    """A hint about the word before the one the parser stopped at: the error points there."""


# What starts a condition after a field: a comparator or a comparing word.
_CONDITION = re.compile(r"\s*(?:[=<>!]|(?:not\s+)?(?:like|in|between)\b|is\b)", re.IGNORECASE)
_VALUES = ("STRING", "NUMBER", "NAME", "DATETIME", "PARAM")


def _hint_at_token(
    tok: Token, expected: list[str], text: str, *, at_start: bool, last: object, stack: Sequence[object] = ()
) -> str | None:
    kind, value = tok.type, str(tok).lower()
    if at_start:
        if value in _NOT_QUERIES:
            return f"COQL only reads records: a query starts with SELECT, not {value.upper()}"
        if kind == "STRING" and (unquoted := deluge_string(str(tok))) is not None:
            return unquoted
        return "a query starts with SELECT"
    if value == "select" and text[: tok.start_pos].rstrip().endswith(";"):
        return "give one query at a time (coqlkit lint takes many, one per ';')"
    doubled = _inner_quote(tok, text)
    if doubled is not None:
        return f"a quote inside text is doubled: {doubled}"
    if kind == "SEMICOLON":
        return _hint_at_end(expected, last)
    if kind == "RPAR" and "')'" not in expected:
        before = _before(text, tok)
        if _unbalanced(before) <= 0:
            return "this ')' has no matching '('"
        if before.endswith(","):
            return "a value is missing after the last ','"
        if before.endswith("("):
            return "the brackets are empty"
        return None
    if value == "having":
        return _build.no_having(text[tok.end_pos :])
    if value == "join":
        return "COQL joins through lookup fields: select Account_Name.Account_Name from Contacts"
    if "a whole number" in expected:
        return "LIMIT and OFFSET take whole numbers: limit 200 offset 400"
    hint = _hint_for_sql_habit(tok, expected, text, last, stack)
    if hint is not None:
        return hint
    keyword = _misspelt(value, expected) if kind == "NAME" else None
    if keyword is not None:
        return f"did you mean {keyword}?"
    if isinstance(last, Token) and last.type == "NAME" and "FROM" in expected:
        keyword = _misspelt(str(last), ["FROM"])
        if keyword is not None:  # `select a frm Leads`: frm was read as an alias
            return _AboutLast(f"did you mean {keyword} for '{last}'?")
    if kind == "NAME" and "FROM" in expected:
        return "separate fields with commas; an alias follows AS"
    if kind in _AFTER_SOURCE and "FROM" in expected:
        return "a query names its module: select ... from <Module>"
    if kind == "COMPARATOR" and text[: tok.start_pos].rstrip()[-1:] in "=<>!":
        return "compare with a single operator: = != > >= < <="
    if kind in ("AND", "OR") and "a name" in expected:
        return "a condition is missing before this operator"
    return None


# Where a string the user meant probably ends: before the end of the line, a ';', a bracket,
# a comma or a word that carries the query on.
_AFTER_VALUE = re.compile(r"\s*(?:$|[;),]|--|/\*|(?:and|or|limit|offset|order|group)\b)", re.IGNORECASE)


def _inner_quote(tok: Token, text: str) -> str | None:
    """``'O'Brien'``: a string that stops right before a word, with another quote further on
    the line. The string the user meant, its inner quotes doubled (``'O''Brien'``)."""
    at = tok.start_pos
    if at is None or not text[at : at + 1].isalnum():
        return None
    literal = next((lit for start, lit in strings(text) if start + len(lit) == at), None)
    if literal is None or len(literal) < 2 or literal[-1] != literal[0]:
        return None
    quote = literal[0]
    line = text[at:].split("\n", 1)[0]
    ends = [i for i, ch in enumerate(line) if ch == quote]
    if not ends:
        return None
    end = next((i for i in ends if _AFTER_VALUE.match(line, i + 1)), ends[-1])
    meant = literal[1:-1].replace(quote * 2, quote) + quote + line[:end]
    return quote + meant.replace(quote, quote * 2) + quote


def _hint_for_sql_habit(
    tok: Token, expected: list[str], text: str, last: object, stack: Sequence[object]
) -> str | None:
    """Habits from SQL and spreadsheets: ``a = 1 b = 2`` (no AND), ``x is 'y'``, ``offset 5
    limit 10``, ``1,000,000``."""
    kind, before, after = tok.type, _before(text, tok), text[tok.end_pos :]
    condition = kind == "LPAR" or (kind in ("NAME", "STRING", "BANG_MODULE") and _CONDITION.match(after))
    if condition and "AND" in expected and "OR" in expected:
        return "put AND or OR between two conditions"
    if isinstance(last, Token) and kind in _VALUES:
        negated = last.type == "NOT"
        is_token = stack[-2] if negated and len(stack) > 1 else last
        if isinstance(is_token, Token) and is_token.type == "IS":
            field = stack[-3] if negated and len(stack) > 2 else stack[-2] if len(stack) > 1 else None
            name = str(field) if isinstance(field, FieldRef) else "<field>"
            op = "!=" if negated else "="
            return f"IS takes only NULL or NOT NULL; compare with a value using {op}: {name} {op} {tok}"
    if kind == "LIMIT":
        offset = re.search(r"\boffset\s+(\S+)$", before, re.IGNORECASE)
        count = re.match(r"\s*([^\s;]+)", after)
        if offset is not None:
            shown = count.group(1) if count else "<rows>"
            return f"LIMIT comes first: limit {shown} offset {offset.group(1)}"
    if kind == "COMMA":
        whole = re.search(r"(?<![\w.])([+-]?\d+)$", before)
        groups = re.match(r"((?:,\d{3})+)(\.\d+)?(?![\w,.])", text[tok.start_pos :])
        if whole is not None and groups is not None:
            number = whole.group(1) + groups.group(1).replace(",", "") + (groups.group(2) or "")
            return f"write numbers without thousands separators: {number}"
    return None


def _before(text: str, tok: Any) -> str:
    return text[: tok.start_pos].rstrip()


def _unbalanced(text: str) -> int:
    """How many '(' of ``text`` are not closed, strings and comments aside."""
    code = code_only(text)
    return code.count("(") - code.count(")")


def _shown(tok: Any) -> str:
    value = str(tok)
    if len(value) > 30:
        value = value[:27] + "..."
    return repr(value) if value else _build.DISPLAY.get(tok.type, tok.type)


def _or_list(items: list[str], limit: int = 8) -> str:
    if not items:
        return "nothing more"
    if len(items) > limit:
        items = [*items[:limit], "..."]
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " or " + items[-1]


def _only_comments(text: str) -> bool:
    return not mask_comments(text).strip(" \t\r\n\f;")


def _end_position(text: str) -> tuple[int, int]:
    """Line and column just after the last character that is not blank or a comment."""
    lines = mask_comments(text).rstrip().split("\n")
    return len(lines), len(lines[-1]) + 1
