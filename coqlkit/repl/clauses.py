"""Where the cursor is in a statement, read without the parser (the text being completed
rarely parses): a forgiving scanner (strings and comments kept whole, unterminated ones
included), the statement under the cursor (:func:`statement_at`), and the clause state
machine (``_Walker``) that follows each SELECT, subqueries too, up to the cursor."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from copy import deepcopy
from typing import Any, NamedTuple, TypeVar

from coqlkit.language import Statement, split_statements

__all__ = ["statement_at"]

S = TypeVar("S")

# ---------------------------------------------------------------------------------------------- scan


class _Tok(NamedTuple):
    kind: str  # ws comment string datetime number param cvid name path op punct other
    text: str
    start: int
    end: int


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
  | (?P<string>'(?:[^'\\]|\\(?:.|\Z)|'')*(?:'|\Z)|"(?:[^"\\]|\\(?:.|\Z)|"")*(?:"|\Z))
  | (?P<datetime>\d{4}-\d{2}-\d{2}(?:[Tt]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?)?)
  | (?P<number>[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<param>:[A-Za-z_][A-Za-z0-9_]*|:)
  | (?P<cvid>\#\d*)
  | (?P<path>(?:![A-Za-z_$][A-Za-z0-9_$]*\.)?[A-Za-z_$][A-Za-z0-9_$]*
              (?:(?:\.|->)[A-Za-z_$][A-Za-z0-9_$]*)*(?:\.|->)?)
  | (?P<op><>|!=|>=|<=|=|>|<|!)
  | (?P<punct>[(),;*.])
  | (?P<other>.)
    """,
    re.X | re.S,
)
_SEPARATORS = re.compile(r"(\.|->)")


def _scan(text: str) -> list[_Tok]:
    """The tokens of ``text``. The prompt scans the statement under the cursor several times
    at each key (completion, the toolbar, the live check), and a key changes the text only
    from where it was typed: the last texts scanned are kept, and a text starting as one of
    them does is scanned again only from a little before the first difference
    (:func:`_kept_tokens`). Treat the list as read-only: it may be shared."""
    memo = _MEMO
    best: tuple[int, list[_Tok]] = (0, [])
    for old, tokens in memo:
        if old == text:
            return tokens
        same = _common_prefix(old, text)
        if same > best[0]:
            best = (same, tokens)
    kept = _kept_tokens(best[1], best[0])
    tokens = _tokens_from(text, kept[-1].end if kept else 0, list(kept))
    _remember(text, tokens)
    return tokens


def _tokens_from(text: str, pos: int, tokens: list[_Tok]) -> list[_Tok]:
    """``tokens`` (those of ``text`` before ``pos``), then those from ``pos`` on."""
    for m in _TOKEN.finditer(text, pos):
        kind: str = m.lastgroup  # type: ignore[assignment]  # every alternative is a named group
        value = m.group()
        if kind == "path" and not (value.startswith("!") or "." in value or "->" in value):
            kind = "name"
        tokens.append(_Tok(kind, value, m.start(), m.end()))
    return tokens


#: The last texts :func:`_scan` read, and their tokens (newest last; replaced whole, never
#: changed in place: the live check scans in a thread of its own).
_MEMO: tuple[tuple[str, list[_Tok]], ...] = ()
_MEMO_SIZE = 4
#: How far past a token's start :data:`_TOKEN` may read to decide it (a datetime's longest
#: form, ``2024-01-15T10:30:00.123456+05:30``, with room to spare).
_READ_AHEAD = 40


def _remember(text: str, tokens: list[_Tok]) -> None:
    global _MEMO
    if len(text) >= 256:  # (a short text is scanned in no time)
        _MEMO = (*tuple(e for e in _MEMO if e[0] != text)[-(_MEMO_SIZE - 1) :], (text, tokens))


def _common_prefix(a: str, b: str) -> int:
    """How many characters ``a`` and ``b`` start with alike (by halves: a C comparison each).

    >>> _common_prefix("select a from B", "select ab from B"), _common_prefix("x", "y")
    (8, 0)
    """
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _kept_tokens(tokens: list[_Tok], same: int) -> list[_Tok]:
    """The first of ``tokens`` (a text's) that a text alike in its first ``same`` characters
    has too: those :data:`_TOKEN` decided reading only those characters. A token is decided
    by at most its next character or three (``1e+``: a number, then ``e``), by the
    :data:`_READ_AHEAD` characters from its start (a date), and ``!`` by the name after it
    (a path ``!Leads.Owner``, or an operator).

    >>> tokens = _scan("select Last_Name, Email from Leads where Email in ('a@x.com', 'b@x.com')")
    >>> [t.text for t in _kept_tokens(tokens, 60)][-3:]
    ['Last_Name', ',', ' ']
    """
    keep = bisect.bisect_left(tokens, same - _READ_AHEAD, key=lambda t: t.end)
    while keep > 0:
        last = tokens[keep - 1]
        following = tokens[keep].end if keep < len(tokens) else same  # (the last may grow)
        if last.end + 4 < same and last.start + _READ_AHEAD < same and following + 2 < same:
            break
        keep -= 1
    return tokens[:keep]


def statement_at(text: str, cursor: int) -> tuple[int, str]:
    """Where the statement under the cursor begins, and its text up to its ``;`` (or the end).

    A cursor right after a ``;`` is at the start of the next statement.
    """
    begin, stop = 0, len(text)
    for statement in _statements(text):
        end = statement.start + len(statement.text)
        if not statement.text.endswith(";"):
            break
        if end <= cursor:
            begin = end
        else:
            stop = end
            break
    return begin, text[begin:stop]


_SPLIT: tuple[str, list[Statement]] = ("", [])


def _statements(text: str) -> list[Statement]:
    """:func:`split_statements` of ``text``, the last text's kept (the prompt asks for the
    statement under the cursor several times at each key)."""
    global _SPLIT
    last = _SPLIT
    if last[0] == text:
        return last[1]
    statements = split_statements(text)
    _SPLIT = (text, statements)
    return statements


#: The walks :func:`_walked` kept, by what walks: the tokens walked, and a copy of the
#: state every :data:`_EVERY` tokens (replaced whole, never changed in place).
_WALKS: dict[str, tuple[list[_Tok], list[tuple[int, Any]]]] = {}
_EVERY = 256


def _walked(
    kind: str, tokens: list[_Tok], upto: int, fresh: Callable[[], S], feed: Callable[[S, _Tok], None]
) -> S:
    """``fresh()`` fed the first ``upto`` of ``tokens`` by ``feed``, from the copy kept of
    the state after the most of them (by ``kind``): the tokens :func:`_scan` kept are
    the very ones of the last text, so a key fed only those after the last copy before
    what it changed (a 30 KB IN list was walked whole several times a key). The state
    returned is the caller's own."""
    old, copies = _WALKS.get(kind, ([], []))
    alike = _same_prefix(old, tokens)
    done, state = 0, None
    for index, copy in reversed(copies):
        if index <= min(alike, upto):
            done, state = index, copy
            break
    kept = [c for c in copies if c[0] <= done]
    state = fresh() if state is None else deepcopy(state)
    for index in range(done, upto):
        feed(state, tokens[index])
        if (index + 1) % _EVERY == 0:
            kept.append((index + 1, deepcopy(state)))
    if upto >= _EVERY:  # (a short walk costs nothing)
        _WALKS[kind] = (tokens, kept)
    return state


def _same_prefix(old: list[_Tok], new: list[_Tok]) -> int:
    """How many tokens ``old`` and ``new`` start with that are the very same objects (those
    :func:`_scan` kept from one text to the next)."""
    low, high = 0, min(len(old), len(new))
    while low < high:
        middle = (low + high + 1) // 2
        if old[middle - 1] is new[middle - 1]:
            low = middle
        else:
            high = middle - 1
    return low


# ------------------------------------------------------------------------------------ the clauses

# Words that end whatever came before: a clause word is a keyword wherever it stands
# (a field so named is written quoted: 'Order').
_CLAUSES = {
    "from": "from_module",
    "where": "cond",
    "group": "group_by",
    "order": "order_by",
    "limit": "limit",
    "offset": "offset",
}
_VALUE_TOKENS = frozenset({"string", "number", "datetime", "name", "param"})
_FIELD_STATES = frozenset({"sel_item", "agg_arg", "except_item", "cond", "group_item", "order_item"})
_VALUE_STATES = frozenset({"value", "in_value", "between_low", "between_high"})
# Where a closing bracket leads, by what the bracket opened.
_AFTER_CLOSE = {"group": "after_pred", "in": "after_pred", "open": "after_pred", "except": "sel_after_alias"}


class _Path(NamedTuple):
    """A field reference as typed: its names and the separator after each (``.`` or ``->``)."""

    names: tuple[str, ...]
    seps: tuple[str, ...]
    qualifier: str | None = None


def _split_path(text: str) -> _Path:
    qualifier = None
    if text.startswith("!"):
        head, _, text = text[1:].partition(".")
        qualifier = head
    parts = _SEPARATORS.split(text)
    return _Path(tuple(parts[0::2]), tuple(parts[1::2]), qualifier)


class _Frame:
    """One SELECT (the statement's, or a subquery's) as read so far."""

    __slots__ = (
        "agg",
        "agg_arg",
        "agg_return",
        "agg_text",
        "aggregates",
        "aliases",
        "field",
        "grouped",
        "listed",
        "module",
        "nested",
        "op",
        "parens",
        "state",
    )

    def __init__(self, nested: bool) -> None:
        self.state = "start"
        self.nested = nested  # opened by "(select": its ")" closes it
        self.module: str | None = None
        self.parens: list[str] = []
        self.field: _Path | None = None  # the field of the condition being written
        self.op = ""
        self.listed: list[str] = []  # values already in the IN list
        self.agg = ""
        self.agg_text = ""  # the aggregate's function as typed
        self.agg_arg = ""  # ... and its argument
        self.agg_return = "sel_after_item"
        self.aliases: list[str] = []
        self.aggregates: list[tuple[str, str, str]] = []  # selected: (FUNC, as written, argument)
        self.grouped: list[str] = []  # the GROUP BY items, as typed

    @property
    def is_grouped(self) -> bool:
        """GROUP BY or a selected aggregate: ORDER BY takes only what is grouped or selected."""
        return bool(self.grouped or self.aggregates)


class _Walker:
    """The clause state machine: fed the tokens before the cursor, one at a time."""

    def __init__(self) -> None:
        self.frames = [_Frame(nested=False)]
        self.prev = ""  # the previous token's text
        self.case = ""  # the last keyword as typed, for the case of new ones

    def feed(self, tok: _Tok) -> None:
        frame = self.frames[-1]
        word = tok.text.lower() if tok.kind == "name" else ""
        prev, self.prev = self.prev, tok.text
        if word == "select":
            self.case = tok.text
            if prev == "(":
                frame.parens[-1:] = ["sub"]
                self.frames.append(_Frame(nested=True))
                self.frames[-1].state = "sel_item"
            else:
                self.frames[-1] = _Frame(nested=frame.nested)
                self.frames[-1].state = "sel_item"
            return
        if word in _CLAUSES and frame.state != "alias":
            self.case = tok.text
            frame.state = _CLAUSES[word]
            frame.parens.clear()
            return
        if tok.text == ")" and tok.kind == "punct":
            self._close()
            return
        depth = len(frame.parens)
        step: Callable[[_Frame, _Tok, str], None] | None = getattr(self, "_" + frame.state, None)
        if step is not None:
            step(frame, tok, word)
        if tok.text == "(" and tok.kind == "punct" and len(frame.parens) == depth:
            frame.parens.append("other")  # a bracket the state did not expect: matched all the same

    def _close(self) -> None:
        frame = self.frames[-1]
        if frame.parens:
            kind = frame.parens.pop()
            if kind == "agg":
                if frame.agg_return == "sel_after_item" and frame.agg_arg:
                    written = f"{frame.agg_text}({frame.agg_arg})"
                    frame.aggregates.append((frame.agg, written, frame.agg_arg))
                frame.state = frame.agg_return
            elif kind in _AFTER_CLOSE:
                frame.state = _AFTER_CLOSE[kind]
        elif frame.nested:
            self.frames.pop()
            parent = self.frames[-1]
            if parent.parens:
                parent.parens.pop()
            parent.state = "after_pred"

    # ---- one method per state: what the next token does ----

    def _start(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if word in ("explain", "analyze"):
            self.case = tok.text

    def _sel_item(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.text == "*" and tok.kind == "punct":
            frame.state = "sel_star"
        elif tok.kind == "name":
            frame.state, frame.agg, frame.agg_text = "sel_name", tok.text.upper(), tok.text
        elif tok.kind in ("path", "string"):
            frame.state = "sel_after_item"

    def _sel_name(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.text == "(":
            self._open_aggregate(frame, "sel_after_item")
        else:
            self._sel_after_item(frame, tok, word)

    def _open_aggregate(self, frame: _Frame, back: str) -> None:
        frame.state, frame.agg_return, frame.agg_arg = "agg_arg", back, ""
        frame.parens.append("agg")

    def _sel_after_item(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.text == ",":
            frame.state = "sel_item"
        elif word == "as":
            self.case = tok.text
            frame.state = "alias"
        elif tok.kind in ("name", "string"):
            frame.aliases.append(tok.text)
            frame.state = "sel_after_alias"

    def _sel_after_alias(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.text == ",":
            frame.state = "sel_item"

    def _alias(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.kind in ("name", "string"):
            frame.aliases.append(tok.text)
            frame.state = "sel_after_alias"

    def _agg_arg(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.kind in ("name", "path", "string") or tok.text == "*":
            frame.state, frame.agg_arg = "agg_after", tok.text

    def _sel_star(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if word == "except":
            self.case = tok.text
            frame.state = "except_open"
        elif tok.text == ",":
            frame.state = "sel_item"

    def _except_open(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.text == "(":
            frame.state = "except_item"
            frame.parens.append("except")

    def _except_item(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.kind in ("name", "path", "string"):
            frame.state = "except_after"

    def _except_after(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.text == ",":
            frame.state = "except_item"

    def _from_module(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.kind == "name":
            frame.module = tok.text
            frame.state = "after_source"

    def _cond(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.text == "(":
            frame.parens.append("group")
        elif tok.kind in ("name", "path"):
            frame.field, frame.state = _split_path(tok.text), "op"
        elif tok.kind == "string":
            frame.field, frame.state = _split_path(_unquote(tok.text)), "op"

    def _op(self, frame: _Frame, tok: _Tok, word: str) -> None:
        frame.listed = []
        if tok.kind == "op" and tok.text != "!":
            frame.op, frame.state = tok.text, "value"
        elif word in ("not", "like", "in", "between", "is"):
            self.case = tok.text
            frame.op = word
            frame.state = {"not": "not_op", "like": "value", "in": "in_open", "between": "between_low"}.get(
                word, "is"
            )

    def _not_op(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if word in ("like", "in", "between"):
            self.case = tok.text
            frame.op = "not " + word
            frame.state = {"like": "value", "in": "in_open", "between": "between_low"}[word]

    def _is(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if word == "not":
            self.case = tok.text
            frame.state = "is_not"
        elif word == "null":
            self.case = tok.text
            frame.state = "after_pred"

    def _is_not(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if word == "null":
            self.case = tok.text
            frame.state = "after_pred"

    def _value(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.text == "(":
            frame.parens.append("open")
        elif tok.kind in _VALUE_TOKENS:
            frame.state = "after_pred"

    def _in_open(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.text == "(":
            frame.state = "in_value"
            frame.parens.append("in")
        elif tok.kind == "param":
            frame.state = "after_pred"

    def _in_value(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.kind in _VALUE_TOKENS:
            frame.listed.append(_unquote(tok.text) if tok.kind == "string" else tok.text)
            frame.state = "in_after_value"

    def _in_after_value(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.text == ",":
            frame.state = "in_value"

    def _between_low(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.kind in _VALUE_TOKENS:
            frame.state = "between_and"

    def _between_and(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if word == "and":
            self.case = tok.text
            frame.state = "between_high"

    def _between_high(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.kind in _VALUE_TOKENS:
            frame.state = "after_pred"

    def _after_pred(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if word in ("and", "or"):
            self.case = tok.text
            frame.state = "cond"

    def _group_by(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if word == "by":
            self.case = tok.text
            frame.state = "group_item"

    def _group_item(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.kind in ("name", "path", "string"):
            frame.grouped.append(tok.text)
            frame.state = "group_after"

    def _group_after(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.text == ",":
            frame.state = "group_item"

    def _order_by(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if word == "by":
            self.case = tok.text
            frame.state = "order_item"

    def _order_item(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.kind == "name":
            frame.state, frame.agg, frame.agg_text = "order_name", tok.text.upper(), tok.text
        elif tok.kind in ("path", "string"):
            frame.state = "order_after"

    def _order_name(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.text == "(":
            self._open_aggregate(frame, "order_after")
        else:
            self._order_after(frame, tok, word)

    def _order_after(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.text == ",":
            frame.state = "order_item"
        elif word in ("asc", "desc"):
            self.case = tok.text
            frame.state = "order_dir"

    def _order_dir(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.text == ",":
            frame.state = "order_item"

    def _limit(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.kind in ("number", "name", "param"):
            frame.state = "limit_after"

    def _limit_after(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.text == ",":
            frame.state = "limit_count"

    def _limit_count(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.kind in ("number", "name", "param"):
            frame.state = "end"

    def _offset(self, frame: _Frame, tok: _Tok, word: str) -> None:
        if tok.kind in ("number", "name", "param"):
            frame.state = "end"


def _unquote(text: str) -> str:
    """The value of a string token (closed or not): quotes off, ``''`` and ``\\'`` undone."""
    quote = text[0]
    body = text[1:-1] if _closed(text) else text[1:]
    return re.sub(r"\\(.)|" + quote * 2, lambda m: m.group(1) or quote, body, flags=re.S)


_CLOSED = {
    "'": re.compile(r"'(?:[^'\\]|\\.|'')*'\Z", re.S),
    '"': re.compile(r'"(?:[^"\\]|\\.|"")*"\Z', re.S),
}


def _closed(text: str) -> bool:
    return bool(_CLOSED[text[0]].match(text))


# The rest of a quoted path after the cursor, with its closing quote if it has one.
_QUOTED_REST = re.compile(r"[A-Za-z0-9_$]*(?:(?:\.|->)[A-Za-z0-9_$]*)*'?")


def _after_quoted_path(tokens: list[_Tok], cursor: int) -> list[_Tok]:
    """The tokens after a quoted path being typed (``select 'What_Id->Leads.| from Tasks``):
    left open, its quote runs to the end of the statement and hides the FROM that names
    the module its fields come from, so the text after the path is read again.

    >>> [t.text for t in _after_quoted_path(_scan("select 'What_Id->Le from Tasks"), 18) if t.kind != "ws"]
    ['from', 'Tasks']
    """
    text = "".join(t.text for t in tokens)
    rest = _QUOTED_REST.match(text, cursor).end()  # type: ignore[union-attr]  # it matches the empty text
    return [_Tok(t.kind, t.text, t.start + rest, t.end + rest) for t in _scan(text[rest:])]


def _grows(tok: _Tok) -> bool:
    """Whether typing on at the end of ``tok`` extends it (the cursor is still in it)."""
    if tok.kind in ("name", "path", "param", "op", "number", "datetime", "cvid"):
        return True
    if tok.kind == "string":
        return not _closed(tok.text)
    if tok.kind == "comment":
        return tok.text.startswith("--") or not tok.text.endswith("*/")
    return False
