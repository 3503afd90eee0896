"""The statements and commands in a shell's input: where each starts in it (:class:`Where`,
for positions ``FILE:line:col``), and how a chunk of it splits into them (a command is a
line of its own; a statement ends at ``;``, or is left unfinished)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from coqlkit.errors import CoqlSyntaxError, excerpt
from coqlkit.language import Span, split_statements
from coqlkit.language.split import blank, code_only
from coqlkit.validate import Diagnostic

__all__ = ["Where"]


@dataclasses.dataclass(frozen=True)
class Where:
    """Where a statement starts in the input it came from (1-based). When the input is a
    file (``source``: its name, or ``<stdin>``) a diagnostic gives that file's positions,
    ``FILE:line:col``, and quotes its line, as ``coqlkit lint`` does; when it was typed at
    a prompt (``source`` is ``""``), its positions there, ``line:col``; else (None: a query
    given alone, as ``coqlkit explain QUERY`` takes it) the statement's own positions.

    >>> typed = "select Last_Name from Leads limit 1; select Emial from Leads;"
    >>> print(Where(typed, 1, 38, "").diagnostic(Diagnostic("INVALID_QUERY", "no Emial", Span(1, 8, 1, 13, 7, 12)), ""))
    1:45: error[INVALID_QUERY]: no Emial
      select Last_Name from Leads limit 1; select Emial from Leads;
                                                  ^^^^^
    """

    text: str
    line: int = 1
    column: int = 1
    source: str | None = None

    def at(self, line: int, column: int) -> tuple[int, int]:
        """A position in the statement as a position in the input."""
        if line == 1:
            return self.line, self.column + column - 1
        return self.line + line - 1, column

    def after(self, prefix: str) -> Where:
        """Where the text after ``prefix`` (the start of the statement) begins."""
        breaks = prefix.count("\n")
        if breaks:
            return dataclasses.replace(self, line=self.line + breaks, column=len(prefix) - prefix.rfind("\n"))
        return dataclasses.replace(self, column=self.column + len(prefix))

    def prefix(self) -> str:
        """``FILE:line: `` for a message with no position of its own (only for a file)."""
        return f"{self.source}:{self.line}: " if self.source else ""

    def diagnostic(self, d: Diagnostic, statement: str) -> str:
        """``d`` (positioned in ``statement``) formatted with the input's positions."""
        if self.source is None:
            return d.format(statement)
        if d.span is None:
            span = Span(self.line, self.column, self.line, self.column + 1, 0, 1)
        else:
            line, column = self.at(d.span.line, d.span.column)
            end_line, end_column = self.at(d.span.end_line, d.span.end_column)
            span = Span(line, column, end_line, end_column, d.span.start, d.span.end)
        return dataclasses.replace(d, span=span).format(self.text, filename=self.source or None)

    def syntax(self, exc: CoqlSyntaxError) -> str:
        """A syntax error as the check's errors read, ``line:col: error[CODE]: ...`` and an
        indented hint, in the input's positions (in a file, ``FILE:line:col``); the
        statement's own when the input is the statement alone."""
        if self.source is None:
            text, line, column, where = exc.text, exc.line, exc.column, ""
        else:
            text, where = self.text, f"{self.source}:" if self.source else ""
            line, column = self.at(exc.line, exc.column)
        end = column + max(1, exc.end_column - exc.column)
        parts = [
            f"{where}{line}:{column}: error[{exc.code}]: {exc.description}",
            excerpt(text, line, column, end),
        ]
        if exc.hint:
            parts.append(f"  hint: {exc.hint}")
        return "\n".join(parts)


def _statements(chunk: str, start: Where) -> Iterator[tuple[str, str, Where]]:
    for statement in split_statements(chunk):
        if blank(statement.text):  # a query pasted in its quotes is not blank: it is told so
            continue
        body = statement.text.strip()
        lead = statement.text[: len(statement.text) - len(statement.text.lstrip())]
        where = dataclasses.replace(
            start,
            line=start.line + statement.line - 1,
            column=statement.column if statement.line > 1 else start.column + statement.column - 1,
        )
        yield "statement", body, where.after(lead)


def _open_tail(text: str, start: Where) -> tuple[str, str, Where]:
    """``text`` (where a statement is left unfinished) as the statements that end before
    it, the unfinished one, and where that one starts."""
    last = split_statements(text)[-1]
    where = dataclasses.replace(
        start,
        line=start.line + last.line - 1,
        column=last.column if last.line > 1 else start.column + last.column - 1,
    )
    return text[: last.start], text[last.start :], where


def _complete(text: str) -> bool:
    """No statement is left half-typed in ``text`` (a command may follow). A string left
    open ends where :func:`split_statements` ends it (at the last ``;`` of its line): the
    command after ``where Last_Name = 'O'Brien';`` is a command, not part of a string."""
    if blank(text) or code_only(text).rstrip().endswith(";"):
        return True
    statements = split_statements(text)
    return not statements or statements[-1].text.rstrip().endswith(";")


def _is_command(line: str) -> bool:
    """A backslash or dot command (no statement starts with either), or a bare ``quit``."""
    if not line:
        return False
    if line.startswith(("\\", ".")):
        return True
    word = line.split(None, 1)[0].rstrip(";").lower()
    return word in ("quit", "exit") and len(line.rstrip(";").split()) == 1
