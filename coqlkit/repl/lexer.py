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

import re
from collections.abc import Iterator
from typing import Any

from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.styles import Style
from pygments.lexer import RegexLexer, bygroups, include, words  # type: ignore[import-untyped, unused-ignore]
from pygments.token import (  # type: ignore[import-untyped, unused-ignore]
    Comment,
    Keyword,
    Literal,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

from coqlkit.repl.commands import REGISTRY

__all__ = ["STYLE", "CoqlLexer", "prompt_lexer", "prompt_style"]

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


def prompt_lexer() -> PygmentsLexer:
    """The lexer for a prompt_toolkit buffer."""
    return PygmentsLexer(CoqlLexer)


def prompt_style() -> Style:
    """:data:`STYLE` as a prompt_toolkit style."""
    return Style.from_dict(STYLE)
