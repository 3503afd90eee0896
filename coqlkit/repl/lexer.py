"""Highlighting for COQL: a Pygments lexer, and what the prompt needs to use it.

:class:`CoqlLexer` is an ordinary Pygments lexer (alias ``coql``, files ``*.coql``), so
the same colours show in the shell, in Sphinx and in anything else that uses Pygments.
It is forgiving, as a lexer under the cursor must be: an unterminated string or comment
runs to the end, and every character comes back in exactly one token.

A command's line (``\\d+ Leads``, ``.tables``, also under a statement being typed) is a
command: its name ``Keyword.Pseudo``, its argument plain text.

A string is a value (``'Contacted'``, with ``''`` and ``\\'`` as escapes) except where
COQL reads it as a field name (``select 'Account_Name' from ...``,
``where 'External' = 'x'``): those are ``Name.Quoted``.

>>> [(str(t), v) for t, v in CoqlLexer().get_tokens("select COUNT(id) from Leads")][:4]
[('Token.Keyword', 'select'), ('Token.Text.Whitespace', ' '), ('Token.Name.Builtin', 'COUNT'), ('Token.Punctuation', '(')]
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.formatted_text.utils import split_lines
from prompt_toolkit.lexers import Lexer
from prompt_toolkit.styles import Style
from prompt_toolkit.styles.pygments import pygments_token_to_classname
from pygments.lexer import RegexLexer, bygroups, include, words  # type: ignore[import-untyped, unused-ignore]
from pygments.token import (  # type: ignore[import-untyped, unused-ignore]
    Comment,
    Error,
    Keyword,
    Literal,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
    _TokenType,
)

from coqlkit.repl.clauses import _common_prefix
from coqlkit.repl.commands import REGISTRY

__all__ = ["STYLE", "CoqlLexer", "IncrementalLexer", "prompt_lexer", "prompt_style"]

_NAME = r"[A-Za-z_$][A-Za-z0-9_$]*"
_QUOTED = r"'(?:[^'\\]|\\[\s\S]|'')*'|\"(?:[^\"\\]|\\[\s\S]|\"\")*\""
# What follows a field in a condition: a string before one of these is a quoted field name.
_COMPARES = r"(?=\s*(?:<>|!=|>=|<=|=|>|<|(?:not|like|in|between|is)\b))"
_PATH = rf"(?:!{_NAME}\.)?{_NAME}(?:(?:\.|->){_NAME})+"
_DATETIME = r"\d{4}-\d{2}-\d{2}(?:[Tt]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?)?(?![\w:])"
_AGGREGATES = ("COUNT", "SUM", "AVG", "MIN", "MAX")
# A command's line: a backslash word, or a dot command coqlkit knows (``.5`` goes on a
# query), first on its line (at the start of the text, or after a line break: the blanks
# before it come with it).
_DOTS = "|".join(re.escape(n[1:]) for c in REGISTRY for n in c.names if n.startswith("."))
_COMMAND = rf"((?:\A|(?<=\n))[ \t]*|\s*\n[ \t]*)(\\[^\s]*|\.(?:{_DOTS})(?![^\s]))([^\n]*)"

Quoted = Name.Quoted  # a field name in quotes: 'Account_Name', 'What_Id->Leads.Last_Name'


def _path(lexer: Any, match: re.Match[str]) -> Iterator[tuple[int, Any, str]]:
    """``Account_Name.Parent_Account.Account_Name``, ``!Leads.Owner.role.id``,
    ``What_Id->Leads.Last_Name``: names, dots and arrows (the module after ``->`` or ``!``
    as a module name)."""
    text, pos = match.group(), match.start()
    if text.startswith("!"):
        head = text.index(".")
        yield pos, Name.Namespace, text[: head + 1]
        pos, text = pos + head + 1, text[head + 1 :]
    after_arrow = False
    for piece in re.split(r"(\.|->)", text):
        if piece == ".":
            yield pos, Punctuation, piece
        elif piece == "->":
            yield pos, Operator, piece
            after_arrow = True
            pos += len(piece)
            continue
        elif piece:
            yield pos, Name.Class if after_arrow else Name, piece
        after_arrow = False
        pos += len(piece)


class CoqlLexer(RegexLexer):  # type: ignore[misc, unused-ignore]  # Pygments is untyped
    """Zoho CRM's COQL, in coqlkit's liberal input dialect (comments, ``:name`` parameters,
    ``SELECT *``, bare dates)."""

    name = "COQL"
    aliases = ["coql"]  # noqa: RUF012  # Pygments' own class attributes are plain lists
    filenames = ["*.coql"]  # noqa: RUF012
    mimetypes = ["text/x-coql"]  # noqa: RUF012
    url = "https://www.zoho.com/crm/developer/docs/api/v8/COQL-Overview.html"
    flags = re.IGNORECASE

    tokens = {  # noqa: RUF012
        "root": [
            include("blank"),
            (r"(select)\b", Keyword, "select_list"),
            include("from"),
            (r"(group|order)(\s+)(by)\b", bygroups(Keyword, Whitespace, Keyword), "by_list"),
            (words(("where", "limit", "offset", "explain", "analyze"), suffix=r"\b"), Keyword),
            (rf"(?:{_QUOTED}){_COMPARES}", Quoted),
            # After a comparator a bare word is a value: Lead_Source = Advertisement.
            (
                rf"(<>|!=|>=|<=|=|>|<)(\s*)({_NAME})(?![A-Za-z0-9_$.(]|->)",
                bygroups(Operator, Whitespace, String),
            ),
            include("expression"),
        ],
        "select_list": [
            include("blank"),
            (rf"(from)(\s+)({_NAME})", bygroups(Keyword, Whitespace, Name.Class), "#pop"),
            (r"from\b", Keyword, "#pop"),
            (rf"(as)(\s+)({_NAME}|{_QUOTED})", bygroups(Keyword, Whitespace, Name.Label)),
            (words(("as", "except"), suffix=r"\b"), Keyword),
            (_QUOTED, Quoted),
            include("expression"),
        ],
        "by_list": [
            include("blank"),
            (words(("limit", "offset"), suffix=r"\b"), Keyword, "#pop"),
            (r"[;)]", Punctuation, "#pop"),
            (r"(group|order)(\s+)(by)\b", bygroups(Keyword, Whitespace, Keyword)),
            (words(("asc", "desc"), suffix=r"\b"), Keyword),
            (_QUOTED, Quoted),
            include("expression"),
        ],
        "from": [
            (rf"(from)(\s+)({_NAME})", bygroups(Keyword, Whitespace, Name.Class)),
            (r"from\b", Keyword),
            (r"#\d*", Name.Label),  # a custom view: Leads#4150868000000087
        ],
        "blank": [
            (_COMMAND, bygroups(Whitespace, Keyword.Pseudo, Text)),
            (r"[\s\u200b\u200c\u200d\u2060\ufeff]+", Whitespace),
            (r"--[^\n]*", Comment.Single),
            (r"/\*", Comment.Multiline, "comment"),
        ],
        "comment": [
            (r"[^*]+", Comment.Multiline),
            (r"\*/", Comment.Multiline, "#pop"),
            (r"\*", Comment.Multiline),
        ],
        "expression": [
            (words(_AGGREGATES, suffix=r"(?=\s*\()"), Name.Builtin),
            (words(("and", "or", "not", "like", "in", "between", "is"), suffix=r"\b"), Operator.Word),
            (r"null\b", Keyword.Constant),
            (_PATH, _path),
            (_NAME, Name),
            (r"'", String.Single, "single"),
            (r'"', String.Double, "double"),
            (_DATETIME, Literal.Date),
            (r"(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+", Number.Float),
            (r"\d+", Number.Integer),
            (r":[A-Za-z_][A-Za-z0-9_]*|:", Name.Variable),
            # A lone '!', '-' or '/' is a '!=', a sign or a comment being typed.
            (r"<>|!=|>=|<=|->|[=<>!*+/-]", Operator),
            (r"[(),;.]", Punctuation),
        ],
        "single": [
            (r"''|\\[\s\S]", String.Escape),
            (r"[^'\\]+", String.Single),
            (r"\\", String.Single),  # a backslash at the very end, still being typed
            (r"'", String.Single, "#pop"),
        ],
        "double": [
            (r'""|\\[\s\S]', String.Escape),
            (r'[^"\\]+', String.Double),
            (r"\\", String.Double),
            (r'"', String.Double, "#pop"),
        ],
    }


#: prompt_toolkit style rules for the lexer's tokens (``class:pygments.*``: prompt_toolkit names
#: a token ``pygments.`` + its dotted type, so strings are ``pygments.literal.string``), and the
#: completion menu's kinds (``class:completion.*``, set by :class:`~coqlkit.repl.complete.CoqlCompleter`).
STYLE: dict[str, str] = {
    "pygments.keyword": "bold #5f87d7",
    "pygments.keyword.constant": "#af5fd7",
    "pygments.keyword.pseudo": "bold #00afaf",
    "pygments.operator": "#d75f5f",
    "pygments.operator.word": "bold #d75f5f",
    "pygments.name.builtin": "#00afaf",
    "pygments.name.class": "bold #5faf5f",
    "pygments.name.namespace": "#5faf5f",
    "pygments.name.quoted": "italic",
    "pygments.name.label": "#af875f",
    "pygments.name.variable": "bold #d787d7",
    "pygments.literal.string": "#d7af5f",
    "pygments.literal.string.escape": "bold #d7875f",
    "pygments.literal.date": "#d7af5f",
    "pygments.literal.number": "#af87ff",
    "pygments.comment": "italic #808080",
    "pygments.error": "bg:#870000 #ffffff",
    "completion.keyword": "",
    "completion.module": "bold",
    "completion.value": "italic",
}


def prompt_lexer() -> Lexer:
    """The lexer for a prompt_toolkit buffer (:class:`IncrementalLexer`)."""
    return IncrementalLexer()


class _Match(NamedTuple):
    """One match of :class:`CoqlLexer`'s loop (where it ends is kept apart, as the matches
    after an edit move): the states after it, whether it was made outside a string or a
    comment and is not blank, and the (style, text) fragments it gave."""

    stack: tuple[str, ...]
    outside: bool
    fragments: list[tuple[str, str]]


#: The states inside a string or a comment: a match there decides nothing about what
#: comes before the string (see :func:`_reach`).
_INSIDE = frozenset(("single", "double", "comment"))
#: How far past a match's start :class:`CoqlLexer`'s rules may read to decide it (a
#: datetime's longest form, with room to spare), and past the end of the second match
#: outside a string that follows it (a comparator after a quoted name and blanks, a
#: command's name after a line break, the ``(`` after ``COUNT``).
_READ_AHEAD = 40
_READ_PAST = 16


class IncrementalLexer(Lexer):
    """:class:`CoqlLexer` for a prompt_toolkit buffer, lexing again at each key only what
    the key may have changed: the same fragments as ``PygmentsLexer(CoqlLexer)`` (the whole
    text lexed from its start), at a cost that does not grow with the text (a 30 KB IN
    list took 10-17 ms a key).

    The last text's matches are kept, with the states after each. A new text that starts
    as the last one did keeps the matches decided before the first change (a match is
    decided by the characters up to :func:`_reach`), lexes on from there, and takes the
    old matches again (moved) once a match ends where an old one ended in the part after
    the change that both texts end with, in the same states. The lines are kept likewise:
    those before the first match lexed again, and those after the last.
    """

    def __init__(self) -> None:
        self.lexer = CoqlLexer(stripnl=False, stripall=False, ensurenl=False)
        self._text = ""
        self._matches: list[_Match] = []
        self._ends: list[int] = []  # where each match ends
        self._lines: list[StyleAndTextTuples] = [[]]

    def lex_document(self, document: Document) -> Callable[[int], StyleAndTextTuples]:
        lines = self.lines(document.text)

        def line(number: int) -> StyleAndTextTuples:
            return lines[number] if 0 <= number < len(lines) else []

        return line

    def lines(self, text: str) -> list[StyleAndTextTuples]:
        """The (style, text) fragments of each line of ``text``, styled as prompt_toolkit
        styles Pygments' tokens."""
        if text == self._text:
            return self._lines
        old_lines = self._lines
        relexed, resumed = self._relex(text)
        matches, ends = self._matches, self._ends
        first = text.count("\n", 0, relexed)  # the line of the first match lexed again
        begin = text.rfind("\n", 0, relexed) + 1
        index = bisect.bisect_left(ends, begin)  # the match over its start (or ending there)
        start = ends[index - 1] if index else 0
        skip = text.count("\n", start, begin)
        stop, newline = len(matches), -1
        if resumed is not None:  # the lines after the one the old matches resumed on: the old ones
            newline = text.find("\n", resumed)
            if newline >= 0:
                stop = bisect.bisect_left(ends, newline + 1) + 1  # (through the one holding it)
        made = list(split_lines([f for m in matches[index:stop] for f in m.fragments]))[skip:]
        if newline >= 0:
            reused = text.count("\n", newline)
            made = made[: text.count("\n", begin, newline) + 1] + old_lines[len(old_lines) - reused :]
        lines = old_lines[:first] + made
        self._lines = lines
        return lines

    def _relex(self, text: str) -> tuple[int, int | None]:
        """Take ``text``'s matches from the last text's where they hold, lexing the rest:
        where the matches lexed again start, and where the old ones were taken again from
        (None: lexed to the end)."""
        old, matches, ends = self._text, self._matches, self._ends
        same = _common_prefix(old, text)
        keep = _kept(old, ends, matches, same)  # the matches decided by what is alike
        start, stack = (ends[keep - 1], matches[keep - 1].stack) if keep else (0, ("root",))
        suffix = _common_suffix(old, text, same)
        shift = len(text) - len(old)
        after = len(old) - suffix  # old matches ending past here may be taken again (moved)
        new, new_ends = matches[:keep], ends[:keep]
        resumed = None
        for match, end in self._lex(text, start, stack):
            new.append(match)
            new_ends.append(end)
            if end - shift <= after:
                continue
            again = bisect.bisect_left(ends, end - shift, lo=keep)
            if again < len(ends) and ends[again] == end - shift and matches[again].stack == match.stack:
                new.extend(matches[again + 1 :])
                new_ends.extend(e + shift for e in ends[again + 1 :])
                resumed = end
                break
        self._text, self._matches, self._ends = text, new, new_ends
        return start, resumed

    def _lex(self, text: str, pos: int, stack: tuple[str, ...]) -> Iterator[tuple[_Match, int]]:
        """The matches of ``text`` from ``pos`` on, and where each ends, ``stack`` the
        states there: Pygments' ``RegexLexer.get_tokens_unprocessed`` loop, match by match."""
        lexer = self.lexer
        tokendefs = lexer._tokens
        states = list(stack)
        rules = tokendefs[states[-1]]
        end = len(text)
        while pos < end:
            outside = states[-1] not in _INSIDE
            for rexmatch, action, new_state in rules:
                m = rexmatch(text, pos)
                if m:
                    if action is None:
                        tokens: list[tuple[Any, str]] = []
                    elif type(action) is _TokenType:
                        tokens = [(action, m.group())]
                    else:
                        tokens = [(t, v) for _, t, v in action(lexer, m)]
                    if new_state is not None:
                        _transition(states, new_state)
                        rules = tokendefs[states[-1]]
                    found = outside and not m.group().isspace()
                    yield _Match(tuple(states), found, _styled(tokens)), m.end()
                    pos = m.end()
                    break
            else:  # no rule matches: a line break starts over, anything else is an error
                if text[pos] == "\n":
                    states = ["root"]
                    rules = tokendefs["root"]
                    yield _Match(("root",), False, _styled([(Whitespace, "\n")])), pos + 1
                else:
                    yield _Match(tuple(states), outside, _styled([(Error, text[pos])])), pos + 1
                pos += 1


def _transition(states: list[str], new_state: Any) -> None:
    """Pygments' state change (``#pop``, ``#push``, a state, a tuple of them, -N)."""
    if isinstance(new_state, tuple):
        for state in new_state:
            if state == "#pop":
                if len(states) > 1:
                    states.pop()
            elif state == "#push":
                states.append(states[-1])
            else:
                states.append(state)
    elif isinstance(new_state, int):
        if abs(new_state) >= len(states):
            del states[1:]
        else:
            del states[new_state:]
    elif new_state == "#push":
        states.append(states[-1])
    else:  # pragma: no cover - Pygments' own lexers only
        raise AssertionError(f"wrong state def: {new_state!r}")


def _styled(tokens: list[tuple[Any, str]]) -> list[tuple[str, str]]:
    """Pygments' tokens as prompt_toolkit's ``PygmentsLexer`` styles them
    (``Token.Name.Class``: ``class:pygments.name.class``)."""
    return [(_style(t), v) for t, v in tokens]


_STYLES: dict[Any, str] = {}


def _style(token: Any) -> str:
    style = _STYLES.get(token)
    if style is None:
        style = _STYLES[token] = "class:" + pygments_token_to_classname(token)
    return style


def _kept(text: str, ends: list[int], matches: list[_Match], same: int) -> int:
    """How many of the first ``matches`` (of ``text``, ending at ``ends``) were decided by
    its first ``same`` characters: those whose :func:`_reach` is within them (it rises
    from match to match)."""
    low, high = 0, len(matches)
    while low < high:  # the first match that reads past them
        middle = (low + high) // 2
        if _reach(text, ends, matches, middle, same) >= same:
            high = middle
        else:
            low = middle + 1
    return low


#: What a number or a date may run on with: a date's ``(?![\w:])`` reads to the end of it
#: (``2024-01-15T10:30:00.1234...x`` is a number, ``-``, ..., not a date).
_DATE_RUN = re.compile(r"[\w:.+-]*")


def _reach(text: str, ends: list[int], matches: list[_Match], index: int, limit: int) -> int:
    """How far the characters of ``text`` may have been read to decide ``matches[index]``
    (anything from ``limit`` on: ``limit``): :data:`_READ_AHEAD` from its start (past the
    run of a number or a date starting there), and :data:`_READ_PAST` past the end of the
    second match after it made outside a string or a comment and not blank (a quoted
    name's comparator, after blanks; a string left open is read to the end of the text)."""
    start = ends[index - 1] if index else 0
    reach = max(start + _READ_AHEAD, ends[index] + _READ_PAST)
    if text[start : start + 1].isdigit():
        run = _DATE_RUN.match(text, start)
        reach = max(reach, (run.end() if run else start) + _READ_PAST)
    seen = 0
    for later in range(index + 1, len(matches)):
        if ends[later] + _READ_PAST >= limit:
            return max(reach, limit)
        if matches[later].outside:
            seen += 1
            if seen == 2:
                return max(reach, ends[later] + _READ_PAST)
    return max(reach, len(text) + 1)


def _common_suffix(a: str, b: str, prefix: int) -> int:
    """How many characters ``a`` and ``b`` end with alike, not counting their first ``prefix``."""
    low, high = 0, min(len(a), len(b)) - prefix
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle : len(a) - low] == b[len(b) - middle : len(b) - low]:
            low = middle
        else:
            high = middle - 1
    return low


def prompt_style() -> Style:
    """:data:`STYLE` as a prompt_toolkit style."""
    return Style.from_dict(STYLE)
