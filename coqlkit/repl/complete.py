"""What may come at the cursor: keywords, modules, fields, paths, values and operators.

:func:`suggest` is a pure function of the text, the cursor, the catalog and the names of
the known parameters; :class:`CoqlCompleter` only turns its answers into prompt_toolkit
completions. The text being completed rarely parses, so :func:`suggest` does not use the
parser: a forgiving scanner reads the statement under the cursor (strings and comments
kept whole, unterminated ones included) and a small state machine follows the clauses up
to the cursor. ``SELECT | FROM Leads`` looks ahead for the module; subqueries
(``IN (select id from Contacts where |)``) get their own module.

>>> from coqlkit.catalog import Catalog
>>> [s.text for s in suggest("select Last_Name from Leads where Lead_Status = 'Con", 52, Catalog.demo())]
["'Contact in Future'", "'Contacted'", "'Attempted to Contact'", "'Not Contacted'"]
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal, NamedTuple

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from coqlkit.catalog import Catalog, Field, FieldType, Module
from coqlkit.catalog._catalog import MODULE_OBJECT, USER_OBJECTS
from coqlkit.catalog.limits import MAX_PATH_HOPS
from coqlkit.catalog.suggest import distance
from coqlkit.language import split_statements
from coqlkit.repl.commands import REGISTRY, find, interrupts
from coqlkit.validate import allowed_operators
from coqlkit.validate.rules_criteria import NOT_IN_CRITERIA
from coqlkit.validate.rules_fields import SELECT_ONLY, UNSELECTABLE

__all__ = [
    "CoqlCompleter",
    "Kind",
    "Suggestion",
    "awaits_from",
    "command_suggestions",
    "statement_at",
    "suggest",
]

Kind = Literal["keyword", "module", "field", "path", "value", "operator", "function", "parameter"]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One candidate: ``text`` replaces the input from offset ``start`` to the cursor.

    ``kind`` says what it is; ``meta`` is a short description for the menu (a field's type
    and label, ``lookup → Accounts``, ``picklist value``...).
    """

    text: str
    start: int
    kind: Kind
    meta: str = ""


def suggest(
    text: str,
    cursor: int,
    catalog: Catalog | None = None,
    params: Iterable[str] | Mapping[str, object] = (),
    profiles: Iterable[str] = (),
    default_module: str | None = None,
) -> list[Suggestion]:
    """The suggestions at offset ``cursor`` of ``text``, best first.

    Only the statement under the cursor counts (statements end at ``;``). Without a
    catalog only keywords, operators and parameters come back. ``params`` names the known
    ``:name`` parameters (a mapping also shows their values). On a command's line, the
    command's names and then its argument (:func:`command_suggestions`; ``profiles``
    names the profiles ``\\profile`` takes). ``default_module`` (the last query's, say)
    gives the fields of a SELECT typed before its FROM (:func:`awaits_from`), each marked so.

    >>> [s.text for s in suggest("sel", 3)]
    ['select']
    >>> [s.text for s in suggest("select Owner. from Leads", 13, Catalog.demo())][:4]
    ['profile', 'role', 'alias', 'city']
    """
    cursor = max(0, min(cursor, len(text)))
    line = text.rfind("\n", 0, cursor) + 1
    if _on_a_command(text, line, cursor):
        return command_suggestions(text[line:cursor], line, catalog, profiles)
    begin, chunk = statement_at(text, cursor)
    tokens = _scan(chunk)
    context = _Context(tokens, cursor - begin, begin, catalog, params)
    context.default_module = default_module
    return context.suggestions()


def awaits_from(text: str, cursor: int) -> bool:
    """Whether the cursor is where a field of the statement's module goes, but no FROM names
    the module yet, before the cursor or after it: fields cannot complete
    (``select La|``).

    >>> awaits_from("select La", 9), awaits_from("select La from Leads", 9), awaits_from("sel", 3)
    (True, False, False)
    """
    cursor = max(0, min(cursor, len(text)))
    line = text.rfind("\n", 0, cursor) + 1
    if _on_a_command(text, line, cursor):
        return False
    begin, chunk = statement_at(text, cursor)
    context = _Context(_scan(chunk), cursor - begin, begin, None, ())
    frame = context.frame
    if frame.state not in _FIELD_STATES or frame.nested or frame.module is not None:
        return False
    return not context._from_ahead()[0]


# ------------------------------------------------------------------------------------------ commands

_ON_OFF = (("on", ""), ("off", ""))
#: What a command's argument names, by its handler (:data:`~coqlkit.repl.commands.REGISTRY`).
_ARGUMENTS: dict[str, str | tuple[tuple[str, str], ...]] = {
    "describe": "module",
    "describe_plus": "module",
    "tables": "module",
    "mode": "format",
    "profile": "profile",
    "expanded": (*_ON_OFF, ("auto", "vertical when rows are too wide")),
    "timing": _ON_OFF,
    "strict": _ON_OFF,
}


def _on_a_command(text: str, line: int, cursor: int) -> bool:
    """Whether the cursor is on a command's line: the first line of the text, starting
    with ``\\`` or ``.`` (no statement starts with either), or a command typed under a
    statement (:func:`~coqlkit.repl.commands.interrupts`)."""
    typed = text[line:cursor].lstrip()
    if line == 0 or not text[:line].strip():
        return typed.startswith(("\\", "."))
    return interrupts(text[: line - 1], text[line:cursor])


def command_suggestions(
    typed: str, offset: int = 0, catalog: Catalog | None = None, profiles: Iterable[str] = ()
) -> list[Suggestion]:
    r"""On a command's line (``typed``: up to the cursor, starting at ``offset``): the
    commands' names, then the argument the command takes: a module (``\d``, ``\d+``,
    ``\dt``), a format (``\T``), on or off (``\x``, ``\timing``, ``\strict``), a
    profile (``\profile``).

    >>> [s.text for s in command_suggestions("\\ti")]
    ['\\timing']
    >>> [s.text for s in command_suggestions("\\d+ Dea", catalog=Catalog.demo())]
    ['Deals', 'Deals_X_Products']
    >>> [s.text for s in command_suggestions("\\x o")]
    ['on', 'off']
    """
    lead = len(typed) - len(typed.lstrip())
    word, space, arg = typed.lstrip().partition(" ")
    if not space:  # the command itself
        ranked = _Ranked(word, offset + lead)
        names = [(n, c.summary) for c in REGISTRY for n in c.names if n.startswith(("\\", "."))]
        ranked.words(0, names, "keyword")
        return ranked.result()
    command = find(word)
    prefix = arg.lstrip()
    if command is None or " " in prefix:
        return []  # an unknown command, or past its first argument
    takes = _ARGUMENTS.get(command.handler)
    ranked = _Ranked(prefix, offset + len(typed) - len(prefix))
    if takes == "module" and catalog is not None:
        ranked.entries(0, _views(catalog).modules, "module")
    elif takes == "format":
        from coqlkit.repl.output import format_names  # (tabulate's styles: only when asked)

        ranked.words(0, ((f, "") for f in format_names()), "keyword")
    elif takes == "profile":
        ranked.words(0, ((p, "profile") for p in profiles), "keyword")
    elif isinstance(takes, tuple):
        ranked.words(0, takes, "keyword")
    return ranked.result()


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
    tokens = []
    for m in _TOKEN.finditer(text):
        kind: str = m.lastgroup  # type: ignore[assignment]  # every alternative is a named group
        value = m.group()
        if kind == "path" and not (value.startswith("!") or "." in value or "->" in value):
            kind = "name"
        tokens.append(_Tok(kind, value, m.start(), m.end()))
    return tokens


def statement_at(text: str, cursor: int) -> tuple[int, str]:
    """Where the statement under the cursor begins, and its text up to its ``;`` (or the end).

    A cursor right after a ``;`` is at the start of the next statement.
    """
    begin, stop = 0, len(text)
    for statement in split_statements(text):
        end = statement.start + len(statement.text)
        if not statement.text.endswith(";"):
            break
        if end <= cursor:
            begin = end
        else:
            stop = end
            break
    return begin, text[begin:stop]


# ------------------------------------------------------------------------------------- catalog views


@dataclass(frozen=True, slots=True)
class _Entry:
    """A name prepared for matching: folded once per catalog, asked on every key press."""

    name: str
    lower: str
    words: tuple[str, ...]  # lower-case word starts of the name and of its label
    label: str  # lower-case label
    meta: str
    field: Field | None = None


_CAMEL = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def _entry(name: str, label: str, meta: str, field: Field | None = None) -> _Entry:
    words = {w.lower() for w in _CAMEL.findall(name)} | set(label.lower().split())
    return _Entry(name, name.lower(), tuple(sorted(words)), label.lower(), meta, field)


def _describe(field: Field) -> str:
    """``picklist · Lead Status``, ``lookup → Accounts · Account Name``..."""
    kind = field.type
    if field.lookup_module and field.is_lookup:
        head = f"{field.data_type} → {field.lookup_module}"
    elif kind is FieldType.MULTI_MODULE_LOOKUP:
        shown = ", ".join(field.modules[:3]) + (", …" if len(field.modules) > 3 else "")
        head = f"lookup → {shown}"
    elif kind in (FieldType.FORMULA, FieldType.ROLLUP_SUMMARY) and field.return_type:
        head = f"{field.data_type} ({field.return_type})"
    else:
        head = field.data_type
    if field.encrypted:
        head += ", encrypted"
    label = field.label if field.label and field.label != field.api_name else ""
    return f"{head} · {label}" if label else head


# Module kinds that hold no records to query: web tabs and widget pages (``generated_type``).
_NOT_RECORDS = frozenset({"web", "functions"})


class _Views:
    """What one catalog offers, sorted and folded once (the catalog is read-only)."""

    def __init__(self, catalog: Catalog) -> None:
        # No reference back to the catalog: it is the key of the weak cache that holds this.
        self.modules = sorted(
            (
                _entry(m.api_name, m.label, _module_meta(m))
                for m in catalog
                if m.api_supported and m.generated_type not in _NOT_RECORDS
            ),
            key=lambda e: (e.lower, e.name),
        )
        self._fields: dict[str, tuple[Module, list[_Entry]]] = {}

    def fields(self, module: Module) -> list[_Entry]:
        cached = self._fields.get(module.api_name)
        if cached is not None and cached[0] is module:
            return cached[1]
        entries = sorted(
            (_entry(f.api_name, f.label, _describe(f), f) for f in (module.fields or {}).values()),
            key=lambda e: (e.lower, e.name),
        )
        self._fields[module.api_name] = (module, entries)
        return entries


def _module_meta(module: Module) -> str:
    label = module.label if module.label and module.label != module.api_name else ""
    if module.fields is None:
        return label or "module"
    count = f"{len(module.fields)} fields"
    return f"{label} · {count}" if label else count


_VIEWS: weakref.WeakKeyDictionary[Catalog, _Views] = weakref.WeakKeyDictionary()


def _views(catalog: Catalog) -> _Views:
    views = _VIEWS.get(catalog)
    if views is None:
        views = _VIEWS[catalog] = _Views(catalog)
    return views


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


_QUOTED_PATH = re.compile(
    r"(?:![A-Za-z_$][A-Za-z0-9_$]*\.)?(?:[A-Za-z_$][A-Za-z0-9_$]*(?:\.|->))*[A-Za-z0-9_$]*\Z"
)


class _Reach(NamedTuple):
    """Where a path leads: ``module``'s fields, after ``hops`` lookups (``user``: through a user lookup)."""

    module: Module
    hops: int
    user: bool


class _Choice(NamedTuple):
    """After ``What_Id->``: the modules the lookup may point to."""

    modules: tuple[str, ...]


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


# ------------------------------------------------------------------------------------- suggestions

# Clause words must be quoted to be read as a field (README, "The input dialect").
_MUST_QUOTE = frozenset(
    {"select", "from", "where", "and", "or", "not", "group", "order", "by", "limit", "offset", "as"}
)
_KEYWORDS: dict[str, tuple[str, ...]] = {
    "start": ("SELECT", "EXPLAIN"),
    "sel_name": ("AS", "FROM"),
    "sel_after_item": ("AS", "FROM"),
    "sel_after_alias": ("FROM",),
    "sel_star": ("EXCEPT", "FROM"),
    "after_source": ("WHERE", "GROUP BY", "ORDER BY", "LIMIT", "OFFSET"),
    "after_pred": ("AND", "OR", "GROUP BY", "ORDER BY", "LIMIT", "OFFSET"),
    "between_and": ("AND",),
    "group_by": ("BY",),
    "group_after": ("ORDER BY", "LIMIT", "OFFSET"),
    "order_by": ("BY",),
    "order_name": ("ASC", "DESC", "LIMIT", "OFFSET"),
    "order_after": ("ASC", "DESC", "LIMIT", "OFFSET"),
    "order_dir": ("LIMIT", "OFFSET"),
    "limit_after": ("OFFSET",),
}
_KEYWORD_META = {
    "*": "every field (coqlkit expands it)",
    "EXPLAIN": "show the plan",
    "ANALYZE": "run and time it",
}
# The comparators, in the order they are offered, and what each means.
_OPERATORS = {
    "=": "equal to",
    "!=": "not equal to",
    ">": "greater than",
    ">=": "greater or equal",
    "<": "less than",
    "<=": "less or equal",
    "like": "pattern: % matches any text",
    "not like": "does not match the pattern",
    "in": "one of a list",
    "not in": "none of a list",
    "between": "from a to b, both included",
    "not between": "outside a to b",
    "is null": "empty",
    "is not null": "not empty",
}
_AGGREGATES = {
    "COUNT": "aggregate: how many records",
    "SUM": "aggregate: total of a number field",
    "AVG": "aggregate: average of a number field",
    "MIN": "aggregate: smallest number or date",
    "MAX": "aggregate: largest number or date",
}
_ORDERED = frozenset({FieldType.DATE, FieldType.DATETIME})
_COUNTABLE = frozenset({FieldType.PICKLIST, FieldType.LOOKUP, FieldType.OWNERLOOKUP, FieldType.USERLOOKUP})


def _keys(keys: Mapping[str, str]) -> list[_Entry]:
    """The keys of a lookup's sub-object (``Owner.role.id``) as entries."""
    return [_entry(k, "", t, Field(k, t, subkey=True)) for k, t in keys.items()]


_USER_OBJECT_ENTRIES = [_entry(name, "", f"{name} → id, name, …") for name in USER_OBJECTS]
_USER_KEYS = {name: _keys(keys) for name, keys in USER_OBJECTS.items()}
_MODULE_KEYS = _keys(MODULE_OBJECT)
_MULTI_MODULE_ENTRIES = [
    _entry("id", "", "bigint · the record id", Field("id", "bigint", subkey=True)),
    _entry("module", "", "module → api_name, id"),
]


def _case(word: str, like: str) -> str:
    """``word`` in the case of ``like``: lower, UPPER or Title (upper when there is nothing to follow)."""
    letters = [c for c in like if c.isalpha()]
    if not letters or all(c.isupper() for c in letters):
        return word.upper()
    if all(c.islower() for c in letters):
        return word.lower()
    return word.title()


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


def _quote(value: str, quote: str = "'") -> str:
    """``value`` as a COQL string: the quote inside doubled (``'O''Brien'``)."""
    return quote + value.replace(quote, quote * 2) + quote


def _tier(entry: _Entry, p: str) -> int:
    """How well ``entry`` fits the lower-case prefix ``p``: 0 best, -1 not at all.

    0: the name starts with it; 1: a word of the name or label does; 2: the name or label
    contains it; 3: its letters come in order in the name (``lstat`` → Lead_Status);
    4: it is the whole name but for a typo or two (``emial`` → Email).
    """
    if entry.lower.startswith(p):
        return 0
    for word in entry.words:
        if word.startswith(p):
            return 1
    if p in entry.lower or p in entry.label:
        return 2
    if len(p) > 1:
        rest = iter(entry.lower)
        if all(c in rest for c in p):
            return 3
    if len(p) > 2:  # a misspelt whole name, as did-you-mean reads it
        limit = 1 if len(p) < 6 else 2
        name = entry.lower
        # One edit changes at most two letters of the set used: cheap bounds first.
        if (
            abs(len(name) - len(p)) <= limit
            and len(set(p) ^ set(name)) <= 2 * limit
            and distance(p, name, limit) <= limit
        ):
            return 4
    return -1


class _Ranked:
    """Candidates gathered by group, then sorted: by how well they fit, by group, stably."""

    def __init__(self, prefix: str, start: int) -> None:
        self.prefix = prefix.lower()
        self.start = start
        self.items: list[tuple[int, int, int, Suggestion]] = []

    def entries(
        self,
        group: int,
        entries: Iterable[_Entry],
        kind: Kind,
        text: Callable[[_Entry], str] | None = None,
    ) -> None:
        p, start, items = self.prefix, self.start, self.items
        for index, entry in enumerate(entries):
            tier = _tier(entry, p) if p else 0
            if tier >= 0:
                shown = entry.name if text is None else text(entry)
                items.append((tier, group, index, Suggestion(shown, start, kind, entry.meta)))

    def words(self, group: int, words: Iterable[tuple[str, str]], kind: Kind) -> None:
        """Keywords and operators: offered only when they start with what was typed."""
        for index, (word, meta) in enumerate(words):
            if word.lower().startswith(self.prefix):
                self.items.append((0, group, index, Suggestion(word, self.start, kind, meta)))

    def result(self) -> list[Suggestion]:
        self.items.sort(key=lambda item: item[:3])
        seen: set[str] = set()
        out = []
        for *_, s in self.items:
            if s.text not in seen:
                seen.add(s.text)
                out.append(s)
        return out


class _Context:
    """The statement under the cursor, read: the clause state and the word being typed."""

    def __init__(
        self,
        tokens: list[_Tok],
        cursor: int,
        offset: int,
        catalog: Catalog | None,
        params: Iterable[str] | Mapping[str, object],
    ) -> None:
        self.cursor, self.offset, self.catalog = cursor, offset, catalog
        self.default_module: str | None = None  # a SELECT's before its FROM is typed
        self.guessed = False  # the fields are the default module's
        self.params = params
        self.at: _Tok | None = None
        walker = _Walker()
        split = len(tokens)
        for index, tok in enumerate(tokens):
            if tok.start >= cursor:
                split = index
                break
            if tok.end > cursor or (tok.end == cursor and _grows(tok)):
                if tok.kind != "ws":
                    self.at = tok
                split = index + 1
                break
            if tok.kind not in ("ws", "comment"):
                walker.feed(tok)
        self.walker = walker
        self.frame = walker.frames[-1]
        self.after = tokens[split:]
        if self.at is not None and self.at.kind == "string" and self.frame.state in _FIELD_STATES:
            self.after = _after_quoted_path(tokens, cursor)
        self.first = next((t for t in tokens if t.kind not in ("ws", "comment")), None)

    # ---- what the cursor is in ----

    def suggestions(self) -> list[Suggestion]:
        at, cursor = self.at, self.cursor
        if self.first is not None and self.first.text.startswith("\\"):
            return []  # a backslash command: the shell completes those
        if at is None:
            return self._at_state("", cursor, _Path(("",), ()))
        typed = at.text[: cursor - at.start]
        if at.kind in ("name", "path"):
            path = _split_path(typed)
            return self._at_state(path.names[-1], cursor - len(path.names[-1]), path)
        if at.kind == "param":
            ranked = _Ranked(typed, at.start)
            ranked.words(0, self._params(), "parameter")
            return ranked.result()
        if at.kind == "op" and self.frame.state == "op":
            ranked = _Ranked(typed, at.start)
            ranked.words(0, self._operators(symbols=True), "operator")
            return ranked.result()
        if at.kind == "string":
            return self._in_string(at, typed)
        return []  # in a comment, a number, a date, a custom view id

    def _at_state(self, prefix: str, start: int, path: _Path) -> list[Suggestion]:
        state, frame = self.frame.state, self.frame
        ranked = _Ranked(prefix, self._abs(start))
        if frame.is_grouped and (
            state == "order_item" or (state == "agg_arg" and frame.agg_return == "order_after")
        ):
            self._grouped_order(ranked, state, path)
            return ranked.result()
        if state in _FIELD_STATES:
            self._fields(ranked, state, path, quoted=False)
            if len(path.names) == 1 and path.qualifier is None:
                if state == "sel_item" or state == "order_item":
                    ranked.words(1, ((f + "(", m) for f, m in _AGGREGATES.items()), "function")
                if state == "order_item":
                    ranked.words(2, ((a, "alias") for a in frame.aliases), "field")
                if state == "sel_item" and self.walker.prev.lower() == "select" and not prefix:
                    ranked.words(3, [("*", _KEYWORD_META["*"])], "keyword")
                if state == "agg_arg" and frame.agg == "COUNT" and not prefix:
                    ranked.words(3, [("*", "every record")], "keyword")
            return ranked.result()
        if len(path.names) > 1:
            return []  # a path where no field goes
        if state == "from_module":
            if self.catalog is not None:
                ranked.entries(0, _views(self.catalog).modules, "module")
            return ranked.result()
        if state == "op":
            ranked.words(0, self._operators(symbols=not prefix), "operator")
        elif state == "not_op":
            allowed = self._allowed()
            words = [(w, _OPERATORS["not " + w]) for w in ("like", "in", "between") if "not " + w in allowed]
            ranked.words(0, ((self._cased(w), m) for w, m in words), "operator")
        elif state in ("is", "is_not"):
            allowed = self._allowed()
            words = [("null", "is null"), ("not null", "is not null")][: 2 if state == "is" else 1]
            shown = [(self._cased(w), _OPERATORS[op]) for w, op in words if op in allowed]
            ranked.words(0, shown, "operator")
        elif state in _VALUE_STATES:
            self._values(ranked, quote="'", closing=True)
            ranked.words(2, self._params(), "parameter")
            if state == "in_value" and not frame.listed and self._takes_subquery():
                ranked.words(3, [(self._cased("select"), "a subquery")], "keyword")
        keywords = self._keywords(state)
        ranked.words(5, ((self._cased(k), _KEYWORD_META.get(k, "")) for k in keywords), "keyword")
        return ranked.result()

    def _in_string(self, at: _Tok, typed: str) -> list[Suggestion]:
        state = self.frame.state
        content = typed[1:]
        if state in _FIELD_STATES:  # a quoted field: 'What_Id->Leads.Last_Name'
            if not _QUOTED_PATH.match(content):
                return []
            path = _split_path(content)
            ranked = _Ranked(path.names[-1], self._abs(self.cursor - len(path.names[-1])))
            self._fields(ranked, state, path, quoted=True)
            return ranked.result()
        if state in _VALUE_STATES:
            prefix = _unquote(typed)
            ranked = _Ranked(prefix, self._abs(at.start))
            self._values(ranked, quote=typed[0], closing=not _closed(at.text))
            return ranked.result()
        return []

    def _grouped_order(self, ranked: _Ranked, state: str, path: _Path) -> None:
        """ORDER BY in a grouped query takes only the grouped fields, the selected
        aggregates (as written: ``COUNT(id)``) and the aliases, as the check wants."""
        frame = self.frame
        if state == "agg_arg":  # order by COUNT(|: the arguments it has in SELECT
            args = [
                (arg, f"selected: {written}") for func, written, arg in frame.aggregates if func == frame.agg
            ]
            ranked.words(0, args, "field")
            return
        if len(path.names) > 1 or path.qualifier is not None:  # order by Owner.|: the rest of a grouped path
            head = "".join(n + sep for n, sep in zip(path.names[:-1], path.seps, strict=True))
            if path.qualifier is not None:
                head = f"!{path.qualifier}.{head}"
            rests = [
                g[len(head) :]
                for g in frame.grouped
                if g.lower().startswith(head.lower()) and len(g) > len(head)
            ]
            ranked.words(0, ((r, "grouped field") for r in rests), "path")
            return
        ranked.words(0, ((g, "grouped field") for g in frame.grouped), "field")
        ranked.words(1, ((written, "selected aggregate") for _, written, _ in frame.aggregates), "field")
        ranked.words(2, ((a, "alias") for a in frame.aliases), "field")

    # ---- fields and paths ----

    def _module(self) -> Module | None:
        if self.catalog is None:
            return None
        name = self.frame.module or self._module_ahead()
        if name is None and not self.frame.nested and self.default_module and not self._from_ahead()[0]:
            name, self.guessed = self.default_module, True
        if name is None:
            return None
        return self.catalog.module(name) or self.catalog.module_folded(name)

    def _module_ahead(self) -> str | None:
        return self._from_ahead()[1]

    def _from_ahead(self) -> tuple[bool, str | None]:
        """Whether the cursor's own SELECT has a FROM after the cursor, and its module.

        Not in a bracket opened after the cursor (a subquery's), nor past the bracket that
        closes the cursor's SELECT; brackets left open before the cursor do not hide it
        (``select * except (Desc| from Leads``).
        """
        top = depth = len(self.frame.parens)
        tokens = [t for t in self.after if t.kind not in ("ws", "comment")]
        for index, tok in enumerate(tokens):
            if tok.kind == "punct" and tok.text in "();":
                if tok.text == ";":
                    break
                depth += 1 if tok.text == "(" else -1
                if depth < 0:
                    break
            elif depth <= top and tok.kind == "name" and tok.text.lower() in ("from", "select"):
                if tok.text.lower() == "select":
                    break
                following = tokens[index + 1] if index + 1 < len(tokens) else None
                return True, following.text if following is not None and following.kind == "name" else None
        return False, None

    def _fields(self, ranked: _Ranked, state: str, path: _Path, *, quoted: bool) -> None:
        base = self._module()
        if base is None or self.catalog is None:
            return
        if path.qualifier is not None:
            base = self.catalog.module_folded(path.qualifier) or base
        if len(path.names) == 1:
            keep = self._keep(state)
            entries = [e for e in _views(self.catalog).fields(base) if keep(e.field, 0)]
            if self.guessed:  # no FROM yet: the default module's, and said so
                mark = f" · {base.api_name}'s (no FROM yet)"
                entries = [_Entry(e.name, e.lower, e.words, e.label, e.meta + mark, e.field) for e in entries]
            quote = not quoted and path.qualifier is None
            ranked.entries(0, entries, "field", _quoted_name if quote else None)
            return
        target = self._follow(base, path.names[:-1], path.seps)
        if target is None:
            return
        if isinstance(target, _Choice):
            views = _views(self.catalog)
            ranked.entries(0, [m for m in views.modules if m.name in target.modules], "module")
            return
        if isinstance(target, list):  # keys of a sub-object
            ranked.entries(0, target, "path")
            return
        module, hops, user = target
        keep = self._keep(state)
        entries = [e for e in _views(self.catalog).fields(module) if keep(e.field, hops)]
        if user:  # Owner.profile.name, Owner.role.id: sub-objects, not the Users text fields
            entries = [e for e in entries if e.name not in USER_OBJECTS]
            if hops < MAX_PATH_HOPS:
                entries = [*_USER_OBJECT_ENTRIES, *entries]
        ranked.entries(0, entries, "path")

    def _follow(
        self, base: Module, names: tuple[str, ...], seps: tuple[str, ...]
    ) -> _Reach | _Choice | list[_Entry] | None:
        """Where ``names`` (each followed by its separator) lead: a module's fields (with the
        hops taken and whether through a user lookup), a sub-object's keys, or after ``->``
        the modules to choose from. None: nowhere (not a lookup, past two hops, unknown)."""
        catalog = self.catalog
        assert catalog is not None
        current, hops, user, index = base, 0, False, 0
        while index < len(names):
            found = _find(current, names[index])
            if found is None:
                return None
            last = index == len(names) - 1
            hops += 1
            if hops > MAX_PATH_HOPS:
                return None
            if seps[index] == "->":
                if found.type is not FieldType.MULTI_MODULE_LOOKUP:
                    return None
                if last:
                    return _Choice(found.modules)
                if seps[index + 1] != "." or names[index + 1] not in found.modules:
                    return None
                target = catalog.module(names[index + 1])
                index += 2
            elif found.type is FieldType.MULTI_MODULE_LOOKUP:
                if last:
                    return _MULTI_MODULE_ENTRIES
                if names[index + 1] == "module" and index + 2 == len(names):
                    return _MODULE_KEYS
                return None
            elif found.is_user_lookup and not last and names[index + 1] in USER_OBJECTS:
                if index + 2 != len(names):
                    return None
                return _USER_KEYS[names[index + 1]]
            elif found.is_lookup:
                target = catalog.module(found.lookup_module or "")
                index += 1
            else:
                return None
            if target is None or target.fields is None:
                return None
            current, user = target, found.is_user_lookup
        return _Reach(current, hops, user)

    def _resolve(self, path: _Path) -> Field | None:
        """The field a typed path names (tolerant of case), or None."""
        base = self._module()
        if base is None or not path.names or not path.names[-1]:
            return None
        if len(path.names) == 1:
            return _find(base, path.names[0])
        target = self._follow(base, path.names[:-1], path.seps)
        name = path.names[-1]
        if isinstance(target, list):
            return next((e.field for e in target if e.name == name), None)
        if not isinstance(target, _Reach):
            return None
        return _find(target.module, name)

    def _keep(self, state: str) -> Callable[[Field | None, int], bool]:
        """Which fields a clause takes (a lookup stays: it leads to more fields)."""
        agg = self.frame.agg

        def keep(field: Field | None, hops: int) -> bool:
            if field is None:
                return True
            kind = field.type
            if state == "agg_arg":
                return _aggregable(agg, field)
            if field.is_lookup and hops < MAX_PATH_HOPS:
                return True
            if state in ("sel_item", "except_item"):
                return kind not in UNSELECTABLE
            if state == "cond":
                return field.filterable and kind not in NOT_IN_CRITERIA and bool(allowed_operators(field))
            if state == "group_item":
                return kind not in SELECT_ONLY
            if state == "order_item":
                return kind not in SELECT_ONLY and field.sortable
            return True

        return keep

    # ---- operators, values, parameters, keywords ----

    def _allowed(self) -> frozenset[str]:
        """The comparators the condition's field takes (all of them for an unknown field)."""
        field = self._resolve(self.frame.field) if self.frame.field is not None else None
        if field is None or field.type is FieldType.UNKNOWN:
            return frozenset(_OPERATORS)
        return allowed_operators(field)

    def _operators(self, *, symbols: bool) -> list[tuple[str, str]]:
        allowed = self._allowed()
        return [
            (op if not op[0].isalpha() else self._cased(op), meta)
            for op, meta in _OPERATORS.items()
            if op in allowed and (symbols or op[0].isalpha())
        ]

    def _values(self, ranked: _Ranked, *, quote: str, closing: bool) -> None:
        """Picklist values (and true/false) for the condition's field, quoted."""
        frame = self.frame
        if frame.field is None or frame.op in ("like", "not like") or frame.state.startswith("between"):
            return
        field = self._resolve(frame.field)
        if field is None:
            return
        if field.picklist:
            values = [
                (v.actual, "picklist value" if v.display == v.actual else f"picklist value: {v.display}")
                for v in field.picklist
                if v.actual != "-None-"
            ]
        elif field.value_type is FieldType.BOOLEAN:
            values = [("true", "boolean"), ("false", "boolean")]
        else:
            return
        entries = [_entry(v, "", meta) for v, meta in values if v not in frame.listed]

        def text(entry: _Entry) -> str:
            quoted = _quote(entry.name, quote)
            return quoted if closing else quoted[:-1]

        ranked.entries(0, entries, "value", text)

    def _takes_subquery(self) -> bool:
        field = self._resolve(self.frame.field) if self.frame.field is not None else None
        return field is None or field.api_name == "id" or field.is_lookup

    def _params(self) -> list[tuple[str, str]]:
        if isinstance(self.params, Mapping):
            return [(f":{name}", f"= {value!r}"[:40]) for name, value in self.params.items()]
        return [(f":{name}", "parameter") for name in self.params]

    def _keywords(self, state: str) -> tuple[str, ...]:
        frame = self.frame
        if state == "start" and self.walker.prev.lower() in ("explain", "analyze"):
            return ("SELECT", "ANALYZE") if self.walker.prev.lower() == "explain" else ("SELECT",)
        words = _KEYWORDS.get(state, ())
        if state == "after_pred" and frame.parens:
            words = ("AND", "OR")  # inside brackets: the clauses come after the ')'
        if "FROM" in words and (frame.module is not None or self._from_ahead()[0]):
            words = tuple(w for w in words if w != "FROM")
        return words

    def _cased(self, word: str) -> str:
        typed = self.at.text if self.at is not None and self.at.kind == "name" else ""
        return _case(word, typed or self.walker.case)

    def _abs(self, position: int) -> int:
        return self.offset + position


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


def _find(module: Module, name: str) -> Field | None:
    return module.field(name) or module.field_folded(name)


def _quoted_name(entry: _Entry) -> str:
    return _quote(entry.name) if entry.lower in _MUST_QUOTE else entry.name


def _aggregable(func: str, field: Field) -> bool:
    """Whether ``func`` takes ``field`` (numbers for SUM and AVG, dates too for MIN and MAX,
    lookups and picklists too for COUNT)."""
    if func in ("SUM", "AVG"):
        return field.is_numeric and field.api_name != "id"
    if func in ("MIN", "MAX"):
        return (field.is_numeric and field.api_name != "id") or field.value_type in _ORDERED
    if func == "COUNT":
        return field.is_numeric or field.value_type in _COUNTABLE
    return True


# ----------------------------------------------------------------------------------- prompt_toolkit


class CoqlCompleter(Completer):
    """prompt_toolkit completions from :func:`suggest`.

    ``catalog_getter`` returns the catalog, or None while the metadata is still loading
    (keywords complete meanwhile); ``params_getter`` the parameters set so far.
    """

    def __init__(
        self,
        catalog_getter: Callable[[], Catalog | None],
        params_getter: Callable[[], Iterable[str] | Mapping[str, object]] | None = None,
        profiles_getter: Callable[[], Iterable[str]] | None = None,
        module_getter: Callable[[], str | None] | None = None,
    ) -> None:
        self.catalog_getter = catalog_getter
        self.params_getter = params_getter
        self.profiles_getter = profiles_getter
        self.module_getter = module_getter  # the module of fields before FROM is typed

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterator[Completion]:
        cursor = document.cursor_position
        params = self.params_getter() if self.params_getter is not None else ()
        profiles = _Lazy(self.profiles_getter)  # (read only when \profile's argument is completed)
        module = self.module_getter() if self.module_getter is not None else None
        for s in suggest(document.text, cursor, self.catalog_getter(), params, profiles, module):
            yield Completion(
                s.text,
                start_position=s.start - cursor,
                display_meta=s.meta,
                style=f"class:completion.{s.kind}",
            )


class _Lazy(Iterable[str]):
    """The names a getter gives, asked for only when iterated."""

    def __init__(self, getter: Callable[[], Iterable[str]] | None) -> None:
        self.getter = getter

    def __iter__(self) -> Iterator[str]:
        return iter(self.getter() if self.getter is not None else ())
