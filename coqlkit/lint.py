"""Lint files of COQL: parse and validate each ``;``-terminated statement.

Positions are those of the whole file, so an editor or CI log can jump to them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace

from coqlkit.catalog import Catalog
from coqlkit.errors import CoqlSyntaxError
from coqlkit.language import Span, Statement, parse, split_statements
from coqlkit.validate import Diagnostic, Severity, validate

__all__ = ["StatementReport", "lint_text"]


@dataclass(frozen=True)
class StatementReport:
    """The verdict on one statement: its text, where it starts, and what was found."""

    statement: Statement
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    def worst(self) -> Severity | None:
        for level in (Severity.ERROR, Severity.WARNING, Severity.INFO):
            if any(d.severity is level for d in self.diagnostics):
                return level
        return None

    def to_json(self, filename: str | None = None) -> str:
        body: dict[str, object] = {
            "query": self.statement.text.rstrip().rstrip(";").rstrip(),
            "ok": self.ok,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }
        if filename is not None:
            body = {"file": filename, **body}
        return json.dumps(body, ensure_ascii=False)


def lint_text(text: str, catalog: Catalog | None = None) -> list[StatementReport]:
    """Check every statement of ``text``; diagnostics carry positions in ``text``.

    >>> [r.ok for r in lint_text("select Last_Name from Leads; select Emial from Leads;", Catalog.demo())]
    [True, False]
    """
    return [_lint(statement, catalog) for statement in split_statements(text)]


def _lint(statement: Statement, catalog: Catalog | None) -> StatementReport:
    try:
        select = parse(statement.text)
    except CoqlSyntaxError as exc:
        line, column = statement.position(exc.line, exc.column)
        end = column + (exc.end_column - exc.column)
        span = Span(line, column, line, end, statement.start, statement.start)
        found = Diagnostic(
            exc.code, exc.description, span, hint=exc.hint, details={"expected": list(exc.expected)}
        )
        return StatementReport(statement, (found,))
    diagnostics = validate(select, catalog)
    return StatementReport(statement, tuple(_shift(d, statement) for d in diagnostics))


def _shift(diagnostic: Diagnostic, statement: Statement) -> Diagnostic:
    span = diagnostic.span
    if span is None:
        line, column = statement.line, statement.column
        return replace(
            diagnostic, span=Span(line, column, line, column + 1, statement.start, statement.start + 1)
        )
    line, column = statement.position(span.line, span.column)
    end_line, end_column = statement.position(span.end_line, span.end_column)
    moved = Span(line, column, end_line, end_column, statement.start + span.start, statement.start + span.end)
    return replace(diagnostic, span=moved)


def summary(reports: Iterable[StatementReport]) -> str:
    """``3 queries: 2 ok, 1 with errors; 2 errors, 1 warning``."""
    reports = list(reports)
    counts = dict.fromkeys(Severity, 0)
    for report in reports:
        for d in report.diagnostics:
            counts[d.severity] += 1
    bad = sum(not r.ok for r in reports)
    head = f"{_n(len(reports), 'query', 'queries')}: {len(reports) - bad} ok, {bad} with errors"
    tail = ", ".join(
        _n(counts[level], level.value, level.value + "s")
        for level in (Severity.ERROR, Severity.WARNING)
        if counts[level]
    )
    return f"{head}; {tail}" if tail else head


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"
