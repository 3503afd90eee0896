"""Split a file of COQL into statements at each ``;`` outside strings and comments."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["Statement", "split_statements", "strings"]

# A string, a comment, a ';', or a run of anything else.
_PIECES = re.compile(
    r"""'(?:[^'\\]|\\.|'')*'?|"(?:[^"\\]|\\.|"")*"?|--[^\n]*|/\*(?:.|\n)*?(?:\*/|\Z)|;|[^'";/-]+|[/-]""",
    re.S,
)
_LEAD = re.compile(r"(?:\s|--[^\n]*|/\*.*?\*/)*", re.S)


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement of a file: its text (with its ``;``) and where it starts (1-based)."""

    text: str
    start: int
    line: int
    column: int

    def position(self, line: int, column: int) -> tuple[int, int]:
        """A line and column inside ``text`` as a line and column of the whole file."""
        if line == 1:
            return self.line, self.column + column - 1
        return self.line + line - 1, column


def mask_comments(text: str) -> str:
    r"""``text`` with each comment blanked out (newlines kept, so positions stay put).

    >>> mask_comments("a -- b\n'--' /* c\n */")
    "a     \n'--'     \n   "
    """
    return "".join(
        re.sub(r"[^\n]", " ", piece) if piece.startswith(("--", "/*")) else piece
        for piece in _PIECES.findall(text)
    )


def code_only(text: str) -> str:
    """``text`` without its strings and comments (for counting brackets, say)."""
    return "".join(piece for piece in _PIECES.findall(text) if not piece.startswith(("'", '"', "--", "/*")))


def strings(text: str) -> Iterator[tuple[int, str]]:
    """Where each string literal of ``text`` starts, and its text with its quotes (a string
    not closed runs to the end of ``text``), as :func:`split_statements` reads them.

    >>> list(strings("a = 'x' -- 'y'\\nand b = 'it''s"))
    [(4, "'x'"), (23, "'it''s")]
    """
    for m in _PIECES.finditer(text):
        if m.group(0)[:1] in ("'", '"'):
            yield m.start(), m.group(0)


def split_statements(text: str) -> list[Statement]:
    """The non-blank statements of ``text``.

    >>> [s.text for s in split_statements("select a from B; -- c\\nselect ';' from D")]
    ['select a from B;', "select ';' from D"]
    """
    statements: list[Statement] = []
    begin = 0
    for m in _PIECES.finditer(text):
        if m.group(0) == ";":
            _add(statements, text, begin, m.end())
            begin = m.end()
    _add(statements, text, begin, len(text))
    return statements


def _add(statements: list[Statement], text: str, begin: int, end: int) -> None:
    chunk = text[begin:end]
    # Start after blanks and comments, so positions point at the query itself.
    lead = _LEAD.match(chunk).end()  # type: ignore[union-attr]  # the pattern matches the empty string
    if not chunk[lead:].rstrip(";").strip():
        return
    start = begin + lead
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    statements.append(Statement(chunk[lead:], start, line, column))
