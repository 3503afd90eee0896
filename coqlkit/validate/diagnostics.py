"""Diagnostics: what is wrong with a query, where, and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from coqlkit.errors import excerpt
from coqlkit.language.ast import Span

__all__ = ["Diagnostic", "ErrorLevel", "Severity"]


class Severity(Enum):
    """``ERROR``: Zoho would reject the query. ``WARNING``: it runs but probably not as meant.
    ``INFO``: a Zoho limit coqlkit lifts, or what coqlkit will send instead."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class ErrorLevel(Enum):
    """What :func:`coqlkit.validate` does with errors: return them, log them, or raise."""

    IGNORE = "ignore"
    WARN = "warn"
    RAISE = "raise"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding: Zoho's error ``code``, a ``message``, where (``span``), and a ``hint``.

    ``details`` mirrors the ``details`` object Zoho would send with the error.
    """

    code: str
    message: str
    span: Span | None = None
    severity: Severity = Severity.ERROR
    hint: str | None = None
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def line(self) -> int:
        return self.span.line if self.span else 1

    @property
    def column(self) -> int:
        return self.span.column if self.span else 1

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def format(self, text: str | None = None, *, filename: str | None = None) -> str:
        """Compiler style: ``file:line:col: severity[CODE]: message``, the line with a caret, the hint.

        >>> from coqlkit.language.ast import Span
        >>> span = Span(1, 8, 1, 13, 7, 12)
        >>> d = Diagnostic("INVALID_QUERY", "Leads has no field Emial", span, hint="did you mean Email?")
        >>> print(d.format("select Emial from Leads", filename="q.coql"))
        q.coql:1:8: error[INVALID_QUERY]: Leads has no field Emial
          select Emial from Leads
                 ^^^^^
          hint: did you mean Email?
        """
        where = f"{self.line}:{self.column}"
        if filename:
            where = f"{filename}:{where}"
        out = [f"{where}: {self.severity.value}[{self.code}]: {self.message}"]
        if text is not None and self.span is not None:
            end = self.span.end_column if self.span.end_line == self.span.line else None
            out.append(excerpt(text, self.span.line, self.span.column, end))
        if self.hint:
            out.append(f"  hint: {self.hint}")
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape ``coqlkit lint --format json`` prints."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "hint": self.hint,
        }
