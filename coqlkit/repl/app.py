"""The interactive REPL: a prompt_toolkit session around :class:`~coqlkit.repl.shell.Shell`.

The prompt is ``coql:<profile>>`` (``coql:sandbox*>`` on a sandbox), a statement may span
lines (``->``) and runs at ``;``; commands run at Enter. History persists in the data
directory (Ctrl-R searches it; suggestions from it show greyed, fish-style); emacs or vi
keys; Ctrl-X Ctrl-E or ``\\e`` edits the buffer in ``$EDITOR``. Completion comes from the
metadata cache, which loads in the background: the prompt is usable at once and fields
complete as soon as their module's metadata is in. As you type, the statement under the
cursor is checked against the catalog as it would run (past its EXPLAIN, without the
commands typed inside it, with the session's ``:parameters``): a problem is underlined and
its diagnostic shows in the bottom toolbar; the word being typed is not one until the
cursor leaves it or ``;`` ends the statement. A long statement (a pasted IN list of
hundreds of values) is checked in the background once the keys pause, and a key lexes and
scans again only what it may have changed: typing at the end of 30 KB stays instant.
Leaving (``\\q``, Ctrl-D) exits 0, whatever the last query did.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import Any, NamedTuple

from prompt_toolkit import PromptSession, search
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.filters import is_searching
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.lexers import Lexer
from prompt_toolkit.shortcuts import confirm as ask
from prompt_toolkit.styles import Style, merge_styles

from coqlkit.api import Connection
from coqlkit.catalog import Catalog
from coqlkit.errors import CoqlError, CoqlSyntaxError, ParameterError
from coqlkit.language import parse
from coqlkit.language.ast import Span
from coqlkit.language.split import blank, code_only, strings
from coqlkit.repl.clauses import _closed
from coqlkit.repl.commands import interrupts
from coqlkit.repl.complete import CoqlCompleter, awaits_from, modules_wanted, statement_at
from coqlkit.repl.config import ReplConfig, profile_names, zone_named
from coqlkit.repl.lexer import prompt_lexer, prompt_style
from coqlkit.repl.shell import Shell, Terminated, explain_at
from coqlkit.repl.statements import _is_command
from coqlkit.validate import Severity, explain_syntax_error, validate

__all__ = ["Metadata", "Problem", "Repl", "continuation", "ends_statement", "enter_runs"]

#: The termination signals the prompt hands to coqlkit's handler (see ``coqlkit.cli``).
_TERMINATING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def ends_statement(text: str) -> bool:
    """Whether Enter runs the buffer: a command, ``quit``, or a statement ending at ``;``;
    or a command on the last line of a statement being typed, which runs at once as psql
    runs it, the statement coming back to the prompt to be finished."""
    stripped = text.strip()
    if not stripped:
        return True
    if stripped.startswith(("\\", ".")):  # no statement starts with either: a command
        return True
    if stripped.rstrip(";").lower() in ("quit", "exit"):
        return True
    before, _, last = stripped.rpartition("\n")
    if before and interrupts(before, last):
        return True
    return code_only(text).rstrip().endswith(";")  # a ; in a comment or a string ends nothing


def enter_runs(text: str, cursor: int) -> bool:
    """Whether Enter, with the cursor at offset ``cursor`` of ``text``, runs it: a finished
    statement (the buffer ends one with ``;``) or a command runs wherever the cursor is,
    as pgcli runs it (a typo fixed in a recalled query runs at once); a command under a
    statement being typed runs from its own line. Anywhere else Enter starts a new line.

    >>> enter_runs("select Emial from Leads;", 10), enter_runs("select Emial from Leads", 10)
    (True, False)
    >>> enter_runs("select Last_Name\\n\\\\dt", 3), enter_runs("select Last_Name\\n\\\\dt", 20)
    (False, True)
    """
    if not ends_statement(text):
        return False
    stripped = text.strip()
    if "\n" not in stripped or code_only(text).rstrip().endswith(";"):
        return True
    return "\n" not in text[cursor:].rstrip()  # a command under a statement: from its line


def continuation(width: int, line: int, wrap: int) -> str:
    """What shows before a line of the buffer after the first (``line`` counts from 0): a
    line of the statement is marked ``->``; a row that only wraps a line too wide for the
    terminal (``wrap`` > 0) is blank, so that it does not look like a line of its own
    (a ``line:col`` counts lines, not rows).

    >>> continuation(12, 1, 0), continuation(12, 0, 1), continuation(2, 3, 0)
    ('         -> ', '            ', '-> ')
    """
    return " " * width if wrap else "-> ".rjust(width)


class Metadata:
    """The catalog as the prompt knows it, loading in a background thread.

    ``catalog`` is None until the module list is in; a module whose fields are wanted
    (by completion or the live check) is fetched in the background, once. ``loaded()`` is
    called (from the loading thread) when something arrived: the prompt redraws, so that
    completions and the live check use it without waiting for the next key.

    ``catalog`` is the connection's newest: a load takes it once its module is in (two
    loads ending in either order leave the later catalog), and :meth:`sync` after each
    statement takes what the statement's own run fetched (its modules, its lookups').
    """

    def __init__(self, conn: Connection, loaded: Callable[[], None] | None = None) -> None:
        self.conn = conn
        self.loaded = loaded
        self.catalog: Catalog | None = None
        self._asked: set[str] = set()
        self.loading: set[str] = set()  # modules asked for and not in yet
        self._lock = threading.Lock()
        self.error: str | None = None
        threading.Thread(target=self._load, args=(None,), daemon=True, name="coqlkit-metadata").start()

    def _load(self, module: str | None) -> None:
        try:
            self.conn.catalog([module] if module else None)
            self.sync()
        except CoqlError as exc:
            self.error = str(exc)
        except Exception as exc:  # a closed connection at exit, say: never disturb the prompt
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.loading.discard(module or "")
        if self.loaded is not None:
            self.loaded()

    def sync(self) -> None:
        """Take the connection's catalog as it is now (no call, but once a day in a session
        left open longer: the module list past the cache's life is fetched again, 1 credit)."""
        with self._lock:  # read and kept in one step: a load ending first cannot undo a later one
            self.catalog = self.conn.catalog()

    def want(self, modules: Iterable[str]) -> bool:
        """Fetch these modules' fields in the background (once each); whether any of them
        is still on its way (or the module list itself, which names them)."""
        catalog = self.catalog
        if catalog is None:
            return self.error is None
        coming = False
        for name in modules:
            found = catalog.module(name)
            if found is None or found.fields is not None:
                continue
            with self._lock:
                coming = coming or name in self.loading
                if name in self._asked:
                    continue
                self._asked.add(name)
                self.loading.add(name)
            coming = True
            threading.Thread(target=self._load, args=(name,), daemon=True).start()
        return coming

    def __call__(self) -> Catalog | None:
        return self.catalog


class Problem(NamedTuple):
    """What the live check found in the statement being typed: where (offsets in it), what,
    and how bad (``error``: Zoho refuses it; ``warning``: it runs, probably not as meant)."""

    start: int
    end: int
    message: str
    severity: str = "error"
    reach: int = 0  # where its whole span ends (``end`` is on its first line)


#: A statement up to so many characters is checked at each key, as it is typed; a longer
#: one (a pasted IN list of hundreds of values) is checked in a thread of its own, once
#: the keys pause for :data:`_SETTLE` seconds: parsing 30 KB at every key made typing lag.
_CHECK_AT_ONCE = 4_000
_SETTLE = 0.15


class _Checked:
    """The diagnostics of the statement being typed (cached by its text, the catalog and
    the session's ``:parameters``), errors first: :meth:`check` gives the first one worth
    showing with the cursor where it is.

    A long statement (more than :data:`_CHECK_AT_ONCE` characters) is checked in a
    background thread when ``ready`` is given: :meth:`check` says nothing of it until its
    problems are in, then ``ready()`` is called (from that thread) to draw the prompt
    again. What is shown is always the problems of the very text asked about, never those
    of an earlier text; :attr:`generation` counts the results, for the lexer's cache.
    """

    def __init__(
        self,
        metadata: Metadata,
        params: Callable[[], Mapping[str, Any]] | None = None,
        ready: Callable[[], None] | None = None,
    ) -> None:
        self.metadata = metadata
        self.params = params or dict
        self.ready = ready
        self._key: tuple[str, Catalog | None, dict[str, Any]] | None = None
        self.problems: list[Problem] = []
        self.generation = 0
        self._lock = threading.Condition()
        self._wanted: tuple[str, Catalog | None, dict[str, Any]] | None = None  # (the thread's next)
        self._asked_at = 0.0
        self._thread: threading.Thread | None = None

    def check(self, text: str, cursor: int | None = None) -> Problem | None:
        """The first problem of ``text``, the cursor at offset ``cursor`` of it (None: at
        its end). Until a ``;`` ends the statement, a problem under the cursor is the word
        still being typed (``from Lea``, ``order by La``): not an error yet, as completion
        is offering the rest of it. It shows once the cursor leaves the word or ``;`` is typed.
        None too while a long statement is being checked in the background.
        """
        problems = self.problems_of(text)
        if problems is None:
            return None
        return _worth_showing(problems, text, len(text) if cursor is None else cursor)

    def problems_of(self, text: str) -> list[Problem] | None:
        """Every problem of ``text`` (see :meth:`_check`), or None while a long one is
        still being checked in the background."""
        catalog, params = self.metadata(), dict(self.params())
        with self._lock:
            key = self._key
            if key is not None and text == key[0] and catalog is key[1] and params == key[2]:
                return self.problems
            if len(text) > _CHECK_AT_ONCE and self.ready is not None:
                self._ask(text, catalog, params)
                return None
        problems = self._check(text, catalog, params)
        with self._lock:
            self._key, self.problems = (text, catalog, params), problems
            self.generation += 1
        return problems

    def _ask(self, text: str, catalog: Catalog | None, params: dict[str, Any]) -> None:
        """Have the thread check ``text`` once the keys pause (the lock held)."""
        wanted = self._wanted
        if wanted is not None and text == wanted[0] and catalog is wanted[1] and params == wanted[2]:
            return  # (asked already: the pause is counted from its last change)
        self._wanted = (text, catalog, params)
        self._asked_at = time.monotonic()
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, daemon=True, name="coqlkit-live-check")
            self._thread.start()
        self._lock.notify()

    def _work(self) -> None:
        """The thread: the latest text asked about, once no other was asked for
        :data:`_SETTLE` seconds, checked, its problems kept and the prompt told."""
        while True:
            with self._lock:
                while self._wanted is None:
                    self._lock.wait()
                while (left := self._asked_at + _SETTLE - time.monotonic()) > 0:
                    self._lock.wait(left)
                text, catalog, params = wanted = self._wanted
                self._wanted = None
            try:
                problems = self._check(text, catalog, params)
            except Exception:  # never let the thread die: the statement shows no problem
                problems = []
            with self._lock:
                self._key, self.problems = wanted, problems
                self.generation += 1
            if self.ready is not None:
                self.ready()

    def _check(self, text: str, catalog: Catalog | None, params: Mapping[str, Any]) -> list[Problem]:
        """Every problem of ``text``, errors first: checked as it runs, with the commands
        on lines of their own taken out, past its ``EXPLAIN [ANALYZE]``, with ``params``."""
        text = _as_run(text)
        if not text.strip():
            return []
        if catalog is not None:  # parsed or not: its modules, its subqueries', its lookups' targets
            self.metadata.want(modules_wanted(text, 0, catalog))
        starts = _line_starts(text)
        try:
            select = parse(text, params)  # bound as the run binds: an unset :name is said now
        except CoqlSyntaxError as error:
            if not _finished(text):
                return []  # still being typed: an unfinished query is not an error yet
            exc = explain_syntax_error(error, catalog)  # a field's label where its name goes
            start = starts[exc.line - 1] + exc.column - 1 if exc.line - 1 < len(starts) else 0
            hint = f" — {exc.hint}" if exc.hint else ""  # as the check's errors read
            width = max(1, exc.end_column - exc.column)
            return [Problem(start, start + width, f"{exc.code}: {exc.description}{hint}")]
        except ParameterError as error:
            return [_parameter_problem(error, starts)] if error.span is not None else []
        except CoqlError:
            return []
        if catalog is None:
            return []
        found = [d for d in validate(select, catalog) if d.span is not None and d.line - 1 < len(starts)]
        problems = []
        for severity in (Severity.ERROR, Severity.WARNING):
            for d in found:
                if d.severity is severity and d.span is not None:
                    start = starts[d.line - 1] + d.column - 1
                    end = start + max(1, _width(d.span))
                    hint = f" — {d.hint}" if d.hint else ""
                    label = f"{d.code}: " if severity is Severity.ERROR else f"warning[{d.code}]: "
                    reach = _offset(starts, d.span.end_line, d.span.end_column)
                    problems.append(Problem(start, end, f"{label}{d.message}{hint}", severity.value, reach))
        return problems


def _worth_showing(problems: list[Problem], text: str, cursor: int) -> Problem | None:
    """The first of ``problems`` to show, the cursor at ``cursor`` of ``text``: any, once a
    ``;`` ends it; before that, not one whose span the cursor touches (the word being typed).

    >>> problems = [Problem(18, 21, "no module Lea"), Problem(7, 12, "no field Emial")]
    >>> _worth_showing(problems, "select Emial from Lea", 21).message
    'no field Emial'
    >>> _worth_showing(problems, "select Emial from Lea;", 22).message
    'no module Lea'
    """
    finished = _finished(text)
    for problem in problems:
        if finished or not problem.start <= cursor <= max(problem.end, problem.reach):
            return problem
    return None


def _finished(text: str) -> bool:
    """Whether a ``;`` ends ``text`` (not one in a comment or a string)."""
    return code_only(text).rstrip().endswith(";")


def _as_run(text: str) -> str:
    r"""``text`` as the run reads it, at the same offsets: a command on a line of its own
    blanked (the run takes it out: ``\x on`` under ``from Leads``), and the ``EXPLAIN`` or
    ``EXPLAIN ANALYZE`` before the query blanked too (the query is what is checked).

    >>> _as_run("select Last_Name\nfrom Leads\n\\x on\nlimit 1;")
    'select Last_Name\nfrom Leads\n     \nlimit 1;'
    >>> _as_run("explain analyze select Emial from Leads;")
    '                select Emial from Leads;'
    >>> _as_run("-- slow?\nexplain select a from B;")
    '        \n        select a from B;'
    """
    if "\\" in text or "." in text:
        lines = text.split("\n")
        for index, line in enumerate(lines):
            stripped = line.strip()
            if not stripped.startswith(("\\", ".")):
                continue
            before = "\n".join(lines[:index])
            if (_is_command(stripped) and not code_only(before).strip()) or interrupts(before, line):
                lines[index] = " " * len(line)
        text = "\n".join(lines)
    explain = explain_at(text)  # after a comment too, as the run reads it
    if explain is not None:
        prefix = re.sub(r"[^\n]", " ", text[: explain.end()])  # its line breaks kept: lines too
        text = prefix + text[explain.end() :]
    return text


def _parameter_problem(error: ParameterError, starts: list[int]) -> Problem:
    """A ``:name`` without a value, or with one that has no COQL form, where it stands, as
    the run says it (with what to do about a missing one)."""
    span = error.span
    assert span is not None
    start = starts[span.line - 1] + span.column - 1 if span.line - 1 < len(starts) else 0
    reach = _offset(starts, span.end_line, span.end_column)
    missing = re.match(r"no value given for :(\w+)", error.description)
    hint = f" — give it a value: \\set {missing.group(1)} VALUE" if missing else ""
    return Problem(
        start, start + max(1, _width(span)), f"{error.code}: {error.description}{hint}", "error", reach
    )


def _offset(starts: list[int], line: int, column: int) -> int:
    """The offset of ``line``:``column`` (1-based) in the text whose lines start at ``starts``."""
    return starts[min(line, len(starts)) - 1] + column - 1


def checked_statement(text: str, cursor: int) -> tuple[int, str]:
    """The statement the live check reads with the cursor at ``cursor``: the one under it,
    or, when that is still empty (the cursor just after a ``;``, or on a blank line after
    it), the one the ``;`` ended: typing the ``;`` or recalling a query must not hide what
    is wrong with it.

    >>> checked_statement("select Emial from Leads;", 24)
    (0, 'select Emial from Leads;')
    >>> checked_statement("select a from B; select", 23)
    (16, ' select')
    """
    begin, statement = statement_at(text, cursor)
    if begin and blank(statement):
        return statement_at(text, begin - 1)
    return begin, statement


def open_string(text: str) -> str | None:
    """What to tell about a string left open where Enter cannot end the statement (a
    ``;`` or a line break inside it: ``'O'Brien';``), else None. A string being typed
    (``= 'Smi``) is not worth a word.

    >>> print(open_string("select Last_Name from Leads where Last_Name = 'O'Brien';"))
    string opened at 1:55 still open: Enter adds lines to it · a quote in text is doubled: 'O''Brien' · Alt-Enter runs
    >>> open_string("select Last_Name from Leads where Last_Name = 'Smi") is None
    True
    """
    last = None
    for start, literal in strings(text):
        last = (start, literal)
    if last is None:
        return None
    start, literal = last
    body = literal[1:]
    if start + len(literal) != len(text) or _closed(literal) or not ("\n" in body or ";" in body):
        return None
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    return (
        f"string opened at {line}:{column} still open: Enter adds lines to it"
        " · a quote in text is doubled: 'O''Brien' · Alt-Enter runs"
    )


def _width(span: Span) -> int:
    """A span's width on its first line."""
    if span.end_line == span.line:
        return span.end_column - span.column
    return 1


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for index, ch in enumerate(text):
        if ch == "\n":
            starts.append(index + 1)
    return starts


class _UnderlinedLexer(Lexer):
    """The COQL highlighting, with the current problem underlined.

    prompt_toolkit keeps the line function :meth:`lex_document` returns for as long as the
    text is the same (``PromptSession`` asks no lexer whether it changed, and a cursor
    that moves does not lex again), so the problem is looked up as lines are drawn, not
    when the text is lexed: a long statement's, found in the background after the last
    key, is underlined at the redraw that follows, and the word the cursor comes back to
    is the word being typed again. ``document()`` is the buffer's as it is now (its cursor
    is read when its text is the one lexed).
    """

    def __init__(self, checked: _Checked, document: Callable[[], Document] | None = None) -> None:
        self.inner = prompt_lexer()
        self.checked = checked
        self.document = document

    def lex_document(self, document: Document) -> Callable[[int], StyleAndTextTuples]:
        lines = self.inner.lex_document(document)
        text = document.text
        starts = _line_starts(text)
        known: list[Any] = [None, None, 0]  # the state checked, its problem, the statement's offset

        def problem() -> tuple[Problem | None, int]:
            cursor = document.cursor_position
            if self.document is not None and (now := self.document()).text == text:
                cursor = now.cursor_position
            state = (self.checked.generation, self.checked.metadata(), cursor)
            if known[0] is None or any(a is not b for a, b in zip(state, known[0], strict=True)):
                offset, statement = checked_statement(text, cursor)
                known[:] = [state, self.checked.check(statement, cursor - offset), offset]
            return known[1], known[2]

        def line(number: int) -> StyleAndTextTuples:
            fragments = lines(number)
            found, offset = problem()
            if found is None or not 0 <= number < len(document.lines):
                return fragments  # (past the last line: nothing, as every lexer gives)
            start, end = offset + found.start, offset + found.end
            position = starts[number] if number < len(starts) else len(text)
            if not (position <= end and start <= position + len(document.lines[number])):
                return fragments  # (a line the problem is not on: as it is)
            mark = " class:problem" if found.severity == "error" else " class:problem.warning"
            return _underlined(fragments, position, start, end, mark)

        problem()  # (asked now: a long statement's check starts with the key)
        return line


def _underlined(
    fragments: StyleAndTextTuples, position: int, start: int, end: int, mark: str
) -> StyleAndTextTuples:
    """A line's ``fragments`` (the first at offset ``position``) with ``mark`` added to the
    style of the characters at offsets ``start`` to ``end``, one fragment per character
    there (the others kept whole).

    >>> _underlined([("k", "select"), ("", " "), ("n", "Emial")], 0, 7, 12, "!")
    [('k', 'select'), ('', ' '), ('n!', 'E'), ('n!', 'm'), ('n!', 'i'), ('n!', 'a'), ('n!', 'l')]
    """
    out: StyleAndTextTuples = []
    for style, text, *_rest in fragments:
        after = position + len(text)
        if after <= start or position >= end:
            out.append((style, text))
        else:
            for ch in text:
                out.append((style + mark if start <= position < end else style, ch))
                position += 1
        position = after
    return out


def is_sandbox(conn: Connection) -> bool:
    """Whether ``conn`` reaches a sandbox: one it started, or a server on this machine."""
    return conn.sandbox is not None or conn.aio.client.settings.is_sandbox


class Repl:
    """The interactive loop: ``Repl(conn, config, label=..., sandbox=...).run()``.

    The prompt is marked ``*`` when ``sandbox`` is true or the org is a sandbox on this
    machine (``coqlkit sandbox serve`` reached through a profile or ``ZOHO_*`` variables).
    Datetimes are in the time zone ``tz`` (the shell's ``--tz``), else ``repl.toml``'s
    ``tz``, else the org's; ``\\tz`` changes it. A ``tz`` that is not a time zone raises
    :class:`~coqlkit.errors.ConfigError` (before the prompt shows).
    """

    def __init__(
        self,
        conn: Connection,
        config: ReplConfig,
        *,
        label: str,
        sandbox: bool = False,
        tz: str | None = None,
    ) -> None:
        zone = zone_named(tz, "--tz") if tz else config.tz  # (checked before anything starts)
        self.config = config
        self.label = label
        self.sandbox = sandbox or is_sandbox(conn)
        self.metadata = Metadata(conn, self._redraw)
        self.checked = _Checked(self.metadata, lambda: self.shell.params, self._redraw)
        self._last: tuple[str | None, str | None] = (None, None)  # the last query, its module
        self.shell = Shell(
            conn,
            config=config,
            label=label,
            confirm=_confirm,
            progress=sys.stderr.isatty(),
            terminal_size=lambda: tuple(shutil.get_terminal_size()),  # type: ignore[arg-type,return-value]
            interactive=True,
            options={"tz": zone} if zone else None,
            tz_from="--tz" if tz else "repl.toml's tz",
        )
        self.completer = CoqlCompleter(
            self._catalog, lambda: self.shell.params, profile_names, self._last_module, self._want
        )
        self.session: PromptSession[str] = PromptSession(
            message=self._prompt,
            multiline=True,
            prompt_continuation=continuation,
            key_bindings=self._keys(),
            history=_history(config),
            auto_suggest=AutoSuggestFromHistory(),
            completer=self.completer,
            complete_while_typing=True,
            lexer=_UnderlinedLexer(self.checked, lambda: self.session.default_buffer.document),
            bottom_toolbar=self._toolbar,
            vi_mode=config.key_mode == "vi",
            enable_open_in_editor=True,
            style=merge_styles([prompt_style(), Style.from_dict(_STYLE)]),
            enable_history_search=False,
            search_ignore_case=True,
        )

    def _last_module(self) -> str | None:
        """The module of the last query run: a SELECT typed before its FROM completes its
        fields (marked so) rather than none. Read once per query."""
        last = self.shell.last
        if last != self._last[0]:
            try:
                module: str | None = parse(last).module if last else None
            except CoqlError:
                module = None
            self._last = (last, module)
        if self._last[1] is not None:
            self.metadata.want([self._last[1]])  # its fields, if not in yet (once)
        return self._last[1]

    def _catalog(self) -> Catalog | None:
        catalog = self.metadata()
        return catalog

    def _want(self, modules: Iterable[str]) -> bool:
        return self.metadata.want(modules)

    def _prompt(self) -> str:
        mark = "*" if self.sandbox else ""
        return f"coql:{self.shell.label or self.label}{mark}> "

    def _toolbar(self) -> Any:
        buffer = self.session.default_buffer
        return self._toolbar_at(buffer.text, buffer.cursor_position)

    def _toolbar_at(self, text: str, cursor: int) -> Any:
        """The bottom toolbar, the cursor at ``cursor`` of ``text``: the problem of the
        statement there (the one a ``;`` just ended, when the cursor follows it), a string
        left open that keeps Enter from running it, what fields complete before FROM, else
        the session's state."""
        if not text.lstrip().startswith(("\\", ".")) and (unclosed := open_string(text)) is not None:
            return [("class:toolbar.warning", f" {unclosed} ")]
        begin, statement = checked_statement(text, cursor)
        problem = self.checked.check(statement, cursor - begin)
        if problem is not None:
            style = "class:toolbar.problem" if problem.severity == "error" else "class:toolbar.warning"
            return [(style, f" {problem.message} ")]
        if awaits_from(text, cursor):  # select La|: what completes, and why
            last = self._last_module()
            known = f"{last}'s fields (the last query's) until then" if last else "no fields until then"
            return [("class:toolbar", f" fields complete once FROM names the module: {known} ")]
        loading = " · loading metadata…" if self.metadata() is None and self.metadata.error is None else ""
        if self.metadata.loading and not loading:
            loading = f" · loading the fields of {', '.join(sorted(self.metadata.loading))}…"
        failed = f" · metadata: {self.metadata.error}" if self.metadata.error else ""
        used = self.shell.session_credits  # (every connection to this profile's org)
        return [
            (
                "class:toolbar",
                f" {self.shell.fmt} · {used:,} credit{'' if used == 1 else 's'} used{loading}{failed}"
                " · \\? help · ; runs · Ctrl-D quits ",
            )
        ]

    def _keys(self) -> KeyBindings:
        keys = KeyBindings()

        @keys.add("enter", filter=~_completing() & ~is_searching)
        def _(event: KeyPressEvent) -> None:
            buffer = event.current_buffer
            if enter_runs(buffer.text, buffer.cursor_position):
                buffer.validate_and_handle()
            else:
                buffer.insert_text("\n")

        @keys.add("enter", filter=_completing() & ~is_searching)
        def _(event: KeyPressEvent) -> None:  # in the menu: take the completion, as pgcli does
            event.current_buffer.complete_state = None  # (it went on a new line)

        @keys.add("enter", filter=is_searching)
        def _(event: KeyPressEvent) -> None:  # Ctrl-R's match: taken, and run as Enter runs it
            search.accept_search()  # (as psql and bash run it; an unfinished one is left to edit)
            buffer = event.app.current_buffer
            if enter_runs(buffer.text, buffer.cursor_position):
                buffer.validate_and_handle()

        @keys.add("left", filter=is_searching)
        @keys.add("right", filter=is_searching)
        def _(event: KeyPressEvent) -> None:  # Ctrl-R's match taken to edit, as in bash
            search.accept_search()

        @keys.add("escape", "enter")
        def _(event: KeyPressEvent) -> None:  # Alt-Enter: run whatever is there
            event.current_buffer.validate_and_handle()

        return keys

    def run(self) -> int:
        """Prompt and run until ``\\q`` or Ctrl-D; 0 (a session's errors were shown as they came)."""
        print("coqlkit: type a query ending with ;, \\? for help, Ctrl-D to quit", file=sys.stderr)
        try:
            while not self.shell.done:
                prefill, self.shell.prefill = self.shell.prefill, ""
                accept, self.shell.accept_prefill = self.shell.accept_prefill, False
                try:
                    with self._signals_leave_the_prompt():
                        text = self.session.prompt(default=prefill, accept_default=accept and bool(prefill))
                except Terminated:
                    raise
                except KeyboardInterrupt:
                    continue  # Ctrl-C at the prompt clears the line
                except EOFError:
                    break
                self.shell.execute(text)
                if self.shell.metadata_changed:
                    self._reload()
                else:
                    self._sync()
        except BaseException:  # a signal: an \o file is forgotten, any file there left as it was
            self.shell.close(keep=False)
            raise
        self.shell.close()
        return 0

    @contextlib.contextmanager
    def _signals_leave_the_prompt(self) -> Iterator[None]:
        """While the prompt waits, a termination signal that coqlkit handles (it raises
        :class:`Terminated`) first ends the prompt, so that the terminal is put back as it
        was, then raises from there; while a query runs, it raises where the query is."""
        app = self.session.app
        previous: dict[int, Any] = {}

        def leave(signum: int, frame: FrameType | None) -> None:
            loop = app.loop
            if loop is None or not app.is_running:
                raise Terminated(signum)
            loop.call_soon_threadsafe(functools.partial(app.exit, exception=Terminated(signum)))

        if threading.current_thread() is threading.main_thread():
            for sig in _TERMINATING:
                handler = signal.getsignal(sig)
                if callable(handler):  # coqlkit's (ignored or default ones stay as they are)
                    previous[sig] = signal.signal(sig, leave)
        try:
            yield
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)

    def _reload(self) -> None:
        """After ``\\refresh`` or ``\\profile``: completion and checks follow the new metadata."""
        self.shell.metadata_changed = False
        if self.metadata.conn is not self.shell.conn:
            self.sandbox = is_sandbox(self.shell.conn)
        self.metadata = Metadata(self.shell.conn, self._redraw)
        self.checked.metadata = self.metadata

    def _sync(self) -> None:
        """After a statement: completion and checks see the modules its run fetched."""
        if self.metadata() is None:
            return  # (still loading: the load takes the newest catalog itself)
        with contextlib.suppress(Exception):  # a closed connection: the next load says so
            self.metadata.sync()

    def _redraw(self) -> None:
        """Draw the prompt again (from any thread): metadata arrived. A completion that
        waited for it runs again."""
        session = getattr(self, "session", None)  # the first load may beat the session
        if session is None:
            return
        app = session.app
        app.invalidate()
        loop = app.loop
        if loop is not None and app.is_running:
            with contextlib.suppress(RuntimeError):  # the loop closed as the prompt ended
                loop.call_soon_threadsafe(self._complete_again)

    def _complete_again(self) -> None:
        """Complete the text again if its completion was waiting for the metadata just in
        (and the text has not moved on, nor an entry of a menu been chosen)."""
        buffer = self.session.default_buffer
        waiting = self.completer.waiting
        if waiting is None or buffer.document != waiting:
            return
        state = buffer.complete_state
        if state is not None and state.complete_index is not None:
            return
        self.completer.waiting = None
        buffer.complete_state = None
        buffer.start_completion(complete_event=CompleteEvent(text_inserted=True))


def _confirm(question: str) -> bool:
    """Ask ``question`` (y/n): Ctrl-D means no, as n does (Ctrl-C cancels the statement)."""
    try:
        return bool(ask(question))
    except EOFError:
        return False


def _completing() -> Any:
    from prompt_toolkit.filters import completion_is_selected, has_completions

    return has_completions & completion_is_selected


def _history(config: ReplConfig) -> History:
    """The history file, trimmed to ``history_size`` entries (0: none kept, none written).

    Only its owner may read it (0600, as psql's): queries quote names and emails."""
    if config.history_size <= 0:
        return InMemoryHistory()
    path = config.history_path
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
    _trim(path, config.history_size)
    return FileHistory(str(path))


def _trim(path: Path, keep: int) -> None:
    """Keep the last ``keep`` (at least 1) entries of a prompt_toolkit history file (each
    starts with a ``# <time>`` line, its text on ``+`` lines)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    except OSError:
        return
    marks = [i for i, line in enumerate(lines) if line.startswith("# ")]
    if len(marks) <= keep:
        return
    start = marks[-keep]
    if start and not lines[start - 1].strip():
        start -= 1
    path.write_text("".join(lines[start:]), encoding="utf-8")


_STYLE = {
    "problem": "underline #ff5f5f",
    "problem.warning": "underline #d7af00",
    "toolbar": "bg:#303030 #d0d0d0",
    "toolbar.problem": "bg:#5f0000 #ffffff",
    "toolbar.warning": "bg:#5f5f00 #ffffff",
    "bottom-toolbar": "noreverse",
}
