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
# Blanks (pasted zero-width ones too: they are blanks outside strings), comments.
_LEAD = re.compile(r"(?:[\s\ufeff\u200b\u200c\u200d\u2060]|--[^\n]*|/\*.*?\*/)*", re.S)
# Blanks that web pages, chat apps and word processors paste into text: no-break spaces
# (U+00A0, U+2007, U+202F), the byte order mark U+FEFF and the zero-width characters.
PASTED_BLANKS = "\u00a0\u2007\u202f\ufeff\u200b\u200c\u200d\u2060"
_ZERO_WIDTH = "[\ufeff\u200b\u200c\u200d\u2060]"
# A zero-width character inside a word (Last_\u200bName) is not a blank the user can see:
# it is left for the parser to report, rather than split one name into a field and an alias.
_PASTED = re.compile(rf"[\u00a0\u2007\u202f]|(?<![\w$]){_ZERO_WIDTH}|{_ZERO_WIDTH}(?![\w$])")


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


def blank_pasted(text: str) -> str:
    r"""``text`` with each of :data:`PASTED_BLANKS` outside strings and comments made a space,
    one character for one, so every position stays where it was. In a string it is part of
    the value and stays; so does a zero-width character between two letters of a name.

    >>> blank_pasted("select\u00a0a from B where c = '\u00a0x'\u200b")
    "select a from B where c = '\xa0x' "
    >>> blank_pasted("select a\u200bb from C")
    'select a\u200bb from C'
    """
    if text.isascii() or _PASTED.search(text) is None:
        return text
    return "".join(
        piece if piece.startswith(("'", '"', "--", "/*")) else _PASTED.sub(" ", piece)
        for piece in _PIECES.findall(text)
    )


def code_only(text: str) -> str:
    """``text`` without its strings and comments (for counting brackets, say)."""
    return "".join(piece for piece in _PIECES.findall(text) if not piece.startswith(("'", '"', "--", "/*")))


def blank(text: str) -> bool:
    r"""Whether ``text`` holds no statement: only blanks, comments and ``;``. A string is
    never blank: a query pasted in its quotes (``"select ..."``) is a statement, to be told
    what is wrong with it, not skipped.

    >>> blank(" -- a comment\n/* another */ ;"), blank('"select Last_Name from Leads"'), blank("''")
    (True, False, False)
    """
    code = "".join(piece for piece in _PIECES.findall(text) if not piece.startswith(("--", "/*")))
    return not code.strip(" \t\r\n\f\v;" + PASTED_BLANKS)


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

    A string left open by mistake (``'O'Brien';``, ``'Boyle;``) would run on to the next quote
    of the file and swallow the statements in between. When a statement that does not parse
    holds a string running past the end of a line, the statement ends where the string
    obviously should: at the last ``;`` of that line, else before a line inside it that
    starts with ``select``; the next statement starts after it. A statement that parses is
    never cut.

    >>> [s.text for s in split_statements("select a from B where c = 'O'Brien';\\nselect d from E;")]
    ["select a from B where c = 'O'Brien';", 'select d from E;']
    """
    statements: list[Statement] = []
    begin: int | None = 0
    while begin is not None:
        begin = _split_from(text, begin, statements)
    return statements


def _split_from(text: str, begin: int, statements: list[Statement]) -> int | None:
    """Add the statements of ``text`` from ``begin``; where to go on when a runaway string
    was cut short (None: the end of ``text`` was reached)."""
    for m in _PIECES.finditer(text, begin):
        if m.group(0) != ";":
            continue
        resume = _add_or_cut(statements, text, begin, m.end())
        if resume is not None:
            return resume
        begin = m.end()
    return _add_or_cut(statements, text, begin, len(text))


def _add_or_cut(statements: list[Statement], text: str, begin: int, end: int) -> int | None:
    """Add ``text[begin:end]``, or its head up to where a runaway string in it should have
    ended; then the offset after that head, to split the rest again."""
    cut = _runaway_end(text[begin:end])
    if cut is None:
        _add(statements, text, begin, end)
        return None
    _add(statements, text, begin, begin + cut)
    return begin + cut


# A line that starts a query: inside a string, the sign that the string ran on.
_QUERY_LINE = re.compile(r"\n[ \t]*select\b", re.IGNORECASE)


def _runaway_end(chunk: str) -> int | None:
    """Where a statement holding a string left open should end (None: it holds none, or it
    parses as it is)."""
    if "\n" not in chunk:
        return None
    for start, literal in strings(chunk):
        first, newline, _ = literal.partition("\n")
        if not newline:
            continue
        if ";" in first:
            cut = start + first.rindex(";") + 1
        else:
            query = _QUERY_LINE.search(literal)
            if query is None:
                continue
            cut = start + query.start()
        return None if _parses(chunk) else cut
    return None


def _parses(chunk: str) -> bool:
    from coqlkit.errors import CoqlError
    from coqlkit.language.parser import parse  # the parser reads strings with this module

    try:
        parse(chunk)
    except CoqlError:
        return False
    return True


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
