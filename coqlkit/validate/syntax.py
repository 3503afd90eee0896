"""Syntax errors told again with the org's metadata, where it knows what the parser cannot."""

from __future__ import annotations

import re
from typing import NamedTuple

from coqlkit.catalog import Catalog, Module
from coqlkit.errors import CoqlSyntaxError
from coqlkit.language import _build
from coqlkit.language.split import code_only, mask_comments, strings
from coqlkit.validate._context import labelled
from coqlkit.validate.rules_fields import did_you_mean

__all__ = ["explain_syntax_error", "label_modules"]

_NAME = re.compile(r"(?<![\w$.>'\"!])[A-Za-z_$][\w$]*")
_FROM = re.compile(r"\bfrom\s+([A-Za-z_$][\w$]*)", re.IGNORECASE)
# Labels longer than this are not looked for.
_MAX_WORDS = 4


def explain_syntax_error(error: CoqlSyntaxError, catalog: Catalog | None) -> CoqlSyntaxError:
    """``error`` with a hint from ``catalog`` where the org's fields say what was meant: a
    field's label typed where its API name goes (``where Lead Status = 'Contacted'``, ``order
    by Lead Status``, ``select Email Opt Out from Leads``), or a module's name and a clause
    word run together (``from Leadswhere City = 'x'``: also without a catalog, as a hint).
    Any other error comes back as it was.

    The catalog needs the fields of the module the query names after FROM.

    >>> from coqlkit.language import parse
    >>> try:
    ...     parse("select Last_Name from Leads where Lead Owner = '4150868000000225013'")
    ... except CoqlSyntaxError as exc:
    ...     print(explain_syntax_error(exc, Catalog.demo()).hint)
    did you mean Owner? (the field labelled Lead Owner)
    """
    glued = _glued_clause(error, catalog)
    if glued is not None:
        return glued
    if catalog is None or error.description.startswith("COQL has no "):
        return error  # SQL that COQL lacks (`nulls last`), named by the parser: no label to find
    missing = _missing_from(error, catalog)
    if missing is not None:
        return missing
    modules = [m for m in _modules(error.text, catalog) if m.fields is not None]
    run = _words_at(error)
    if not modules or len(run) < 2:
        return error
    for first, last in _phrases(run, error):
        phrase = " ".join(word for _, word in run[first : last + 1])
        for module in modules:
            field = labelled(module, phrase)
            if field is not None:
                start, end = run[first][0], run[last][0] + len(run[last][1])
                hint = f"did you mean {field.api_name}? (the field labelled {field.label or field.api_name})"
                return _with(error, start, end, phrase, hint)
    return _unknown_label(error, run, modules[0], catalog)


# The SELECT list's last column, then the word the parser took as its alias, then where the
# parser stopped: a clause word or the end (one line: ``select Last_Name Invoice where``).
_ALIAS_THEN_CLAUSE = re.compile(r"(?<=[\w$)'\"])[ \t]+(?P<alias>[A-Za-z_$][\w$]*)[ \t]*$")
_CLAUSE_OR_END = re.compile(r"[ \t]*(?:(?:where|group|order|limit|offset)\b|;|$)", re.IGNORECASE)


def _missing_from(error: CoqlSyntaxError, catalog: Catalog) -> CoqlSyntaxError | None:
    """``select Last_Name Invoice where ...``: FROM left out before a module of the org whose
    name the parser cannot tell from an alias (it tells capitalised plurals, ``Leads``,
    itself). The word must be the catalog's module and not follow AS.

    >>> from coqlkit.language import parse
    >>> try:
    ...     parse("select Last_Name leads where Last_Name = 'x'")
    ... except CoqlSyntaxError as exc:
    ...     print(explain_syntax_error(exc, Catalog.demo()).hint)
    write FROM before it: select ... from Leads
    """
    if "FROM" not in error.expected or error.description.startswith("FROM is missing"):
        return None
    line = _blank_strings(error.text).split("\n")[error.line - 1] if error.line >= 1 else ""
    found = _ALIAS_THEN_CLAUSE.search(line[: error.column - 1])
    if found is None or not _CLAUSE_OR_END.match(line, error.column - 1):
        return None
    word = found.group("alias")
    before = line[: found.start()].rstrip().split()
    if word.lower() in _build.CLAUSE_WORDS or not before or before[-1].lower() in ("as", "select"):
        return None
    module = catalog.module(word) or catalog.module_folded(word)
    if module is None:
        return None
    start = found.start("alias")
    return CoqlSyntaxError(
        f"FROM is missing: '{word}' reads as an alias of the field before it",
        text=error.text,
        line=error.line,
        column=start + 1,
        end_column=start + 1 + len(word),
        expected=error.expected,
        hint=f"write FROM before it: select ... from {module.api_name}",
        code=error.code,
    )


# A word after FROM that ends with a clause word (`from Leadswhere City = 'x'`, two strings
# joined with no blank between them), and what must follow for the clause word to be one.
_GLUED = re.compile(
    r"\bfrom\s+(?P<word>(?P<module>[A-Za-z_$][\w$]*?)(?P<clause>where|order|group|limit|offset))\b",
    re.IGNORECASE,
)
_OTHER = r"(?!(?:where|and|or|not|order|group|limit|offset)\b)[A-Za-z_$][\w$]*"
_COMPARING = r"\s*(?:[=<>!]|(?:not\s+)?(?:like|in|between)\b|is\b)"
_CLAUSE_GOES_ON = {
    # a condition: a field (or a label of up to four words, a path) and how it compares
    "where": re.compile(rf"\s*(?:\(|not\b|[A-Za-z_$][\w$.]*(?:[ \t]+{_OTHER}){{0,3}}{_COMPARING})", re.I),
    "order": re.compile(r"\s+by\b", re.I),
    "group": re.compile(r"\s+by\b", re.I),
    "limit": re.compile(r"\s+(?:\d|:[A-Za-z_])", re.I),
    "offset": re.compile(r"\s+(?:\d|:[A-Za-z_])", re.I),
}


class _Glued(NamedTuple):
    """A module's name and a clause word run together after FROM: ``Leadswhere``."""

    word: str  # as written: Leadswhere
    module: str  # the name before the clause word, as written: Leads
    clause: str  # as written: where
    start: int  # the word's offset in the query
    rest: str  # what follows it on its line, to show: " City = 'x'"


def _glued(error: CoqlSyntaxError) -> _Glued | None:
    """The word after FROM that ends with a clause word, where the parser stopped on it or
    just after it, and what follows fits the clause word (a condition after WHERE, BY after
    ORDER, a number after LIMIT), or None."""
    masked = _blank_strings(error.text)
    lines = error.text.split("\n")
    if not 0 < error.line <= len(lines):
        return None
    stop = sum(len(line) + 1 for line in lines[: error.line - 1]) + error.column - 1
    found = None  # the last such word at or before where the parser stopped
    for m in _GLUED.finditer(masked):
        if m.start("word") > stop:
            break
        found = m
    if found is None:
        return None
    end = found.end("word")
    following = end + len(masked[end:]) - len(masked[end:].lstrip())
    clause = found.group("clause")
    if stop not in (found.start("word"), following) or not _CLAUSE_GOES_ON[clause.lower()].match(masked, end):
        return None
    rest = error.text[end:].split("\n", 1)[0].rstrip().rstrip(";").rstrip()
    rest = rest if len(rest) <= 40 else rest[:37] + "..."
    return _Glued(found.group("word"), found.group("module"), clause, found.start("word"), rest)


def _glued_module(glued: _Glued, catalog: Catalog) -> Module | None:
    """The org's module ``glued`` starts with (or the one closest to it: ``Leadz`` for
    Leads), or None: none, or the whole word is the org's module (``Workorder``)."""
    if catalog.module(glued.word) or catalog.module_folded(glued.word):
        return None
    module = catalog.module(glued.module) or catalog.module_folded(glued.module)
    close = catalog.suggest_module(glued.module) if module is None else []
    return module or (catalog.module(close[0]) if close else None)


def _glued_clause(error: CoqlSyntaxError, catalog: Catalog | None) -> CoqlSyntaxError | None:
    """``from Leadswhere City = 'x'``: a module's name and a clause word with no blank between
    them (``"... from Leads" + "where ..."`` in a script). With a catalog: said as the module
    the org lacks, when the org has the module before the clause word (or one close to it)
    and not the word itself; without one, or when the org has neither: the parser's message,
    and a hint says what the word may be. None when it is no such word, or the org's module.

    >>> from coqlkit.language import parse
    >>> try:
    ...     parse("select Last_Name from Leadswhere City = 'x'")
    ... except CoqlSyntaxError as exc:
    ...     print(explain_syntax_error(exc, Catalog.demo()).description)
    the org has no module Leadswhere: did you mean 'Leads where'?
    """
    glued = _glued(error)
    if glued is None:
        return None
    word, clause, rest = glued.word, glued.clause, glued.rest
    if catalog is not None:
        if catalog.module(word) or catalog.module_folded(word):
            return None  # the org's module: the parser's message stands
        module = _glued_module(glued, catalog)
        if module is not None:
            line_start = error.text.rfind("\n", 0, glued.start) + 1
            column = glued.start - line_start + 1
            return CoqlSyntaxError(
                f"the org has no module {word}: did you mean '{module.api_name} {clause}'?",
                text=error.text,
                line=error.text.count("\n", 0, glued.start) + 1,
                column=column,
                end_column=column + len(word),
                expected=error.expected,
                hint=f"put a blank between them: from {module.api_name} {clause}{rest}",
                code=error.code,
            )
    return CoqlSyntaxError(
        error.description,
        text=error.text,
        line=error.line,
        column=error.column,
        end_column=error.end_column,
        expected=error.expected,
        hint=f"if '{word}' is {glued.module} and {clause.upper()} run together, put a blank between "
        f"them: from {glued.module} {clause}{rest}",
        code=error.code,
    )


def label_modules(error: CoqlSyntaxError, catalog: Catalog | None) -> list[str]:
    """The modules whose fields :func:`explain_syntax_error` would look in for ``error`` (a
    catalog of the org's modules is enough to tell; None: the names after FROM as written):
    none when no label could explain it, so a caller fetches fields only for an error they
    may explain. A module's name run together with a clause word (``from Leadswhere``) names
    the module meant, whose fields the query will need once the blank is put back.

    >>> from coqlkit.language import parse
    >>> try:
    ...     parse("select Last_Name from Leads where Lead Owner = '1'")
    ... except CoqlSyntaxError as exc:
    ...     print(label_modules(exc, Catalog.demo()))
    ['Leads']
    """
    glued = _glued(error)
    if glued is not None:  # `from Leadswhere City`: the module meant, to tell it was
        if catalog is None:
            return [glued.module]
        module = _glued_module(glued, catalog)
        if module is not None:
            return [module.api_name]
    if len(_words_at(error)) < 2:
        return []
    if catalog is None:
        return list(dict.fromkeys(_FROM.findall(code_only(error.text))))
    return [m.api_name for m in _modules(error.text, catalog)]


def _modules(text: str, catalog: Catalog) -> list[Module]:
    """The modules the query names after FROM (its own first), as the catalog spells them."""
    found: list[Module] = []
    for name in _FROM.findall(code_only(text)):
        module = catalog.module(name) or catalog.module_folded(name)
        if module is not None and module not in found:
            found.append(module)
    return found


def _words_at(error: CoqlSyntaxError) -> list[tuple[int, str]]:
    """The run of bare words, one blank apart, that holds a word under the error, with their
    columns (0-based): ``Lead Status`` in ``where Lead Status =``. Clause words, strings and
    anything else between two words end a run."""
    lines = _blank_strings(error.text).split("\n")
    if not 0 < error.line <= len(lines):
        return []
    line = lines[error.line - 1]
    runs: list[list[tuple[int, str]]] = []
    joined_from: int | None = None  # where the last word of the current run ends
    for m in _NAME.finditer(line):
        if m.group(0).lower() in _build.CLAUSE_WORDS:
            joined_from = None
            continue
        if joined_from is not None and not line[joined_from : m.start()].strip(" \t"):
            runs[-1].append((m.start(), m.group(0)))
        else:
            runs.append([(m.start(), m.group(0))])
        joined_from = m.end()
    return next((run for run in runs if _under(run, error)), [])


def _blank_strings(text: str) -> str:
    """``text`` with its strings and comments blanked out (newlines kept)."""
    chars = list(mask_comments(text))
    for start, literal in strings(text):
        for i in range(start, start + len(literal)):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


def _under(run: list[tuple[int, str]], error: CoqlSyntaxError) -> list[int]:
    """The indexes of the words of ``run`` under the error's caret."""
    begin, end = error.column - 1, max(error.column, error.end_column - 1)
    return [i for i, (col, word) in enumerate(run) if col < end and col + len(word) > begin]


def _phrases(run: list[tuple[int, str]], error: CoqlSyntaxError) -> list[tuple[int, int]]:
    """First and last index of each stretch of two to four words of ``run`` that holds a
    word under the error past its first (the parser stopped inside it: the first word alone
    read as a name), longest first."""
    under = _under(run, error)
    spans = [
        (first, last)
        for first in range(len(run))
        for last in range(first + 1, min(len(run), first + _MAX_WORDS))
        if any(first < i <= last for i in under)
    ]
    return sorted(spans, key=lambda s: (s[0] - s[1], s[0]))


def _unknown_label(
    error: CoqlSyntaxError, run: list[tuple[int, str]], module: Module, catalog: Catalog
) -> CoqlSyntaxError:
    """A label-like error of the parser (``where Foo Bar = 1``, the error covering the words)
    that names no field: its guess (``Foo_Bar``) is replaced by the fields it is close to."""
    covered = [(col, word) for col, word in run if error.column - 1 <= col < error.end_column - 1]
    if len(covered) < 2:
        return error
    phrase = " ".join(word for _, word in covered)
    hint = did_you_mean(catalog.suggest_field(module, "_".join(word for _, word in covered))) or (
        f"no field of {module.api_name} is named or labelled '{phrase}'"
    )
    start, end = covered[0][0], covered[-1][0] + len(covered[-1][1])
    return _with(error, start, end, phrase, hint + f" (\\d {module.api_name} lists them)")


def _with(error: CoqlSyntaxError, start: int, end: int, phrase: str, hint: str) -> CoqlSyntaxError:
    return CoqlSyntaxError(
        f"'{phrase}' is not a field name: a name has no spaces",
        text=error.text,
        line=error.line,
        column=start + 1,
        end_column=end + 1,
        expected=error.expected,
        hint=hint,
        code=error.code,
    )
