"""The REPL's engine, without a terminal: statements and commands in, text out.

:class:`Shell` runs what the prompt (or a file, or stdin) gives it: queries end with
``;``, commands start with ``\\`` or ``.`` and take their line. It writes results to
``out`` and messages to ``err``, and returns a status that is also the exit code of
``coqlkit query``:

====  ==============================================================
0     ok
1     the query is wrong (syntax, validation, a plan or Zoho refused it)
2     usage or configuration
3     connection or authentication
4     timeout
5     stopped by the credit budget
6     a read came back short: records were deleted or changed meanwhile
7     the file could not be written (a full disk, an I/O error)
8     the org is busy: Zoho refused even one call at a time (429) for a minute
130   interrupted (Ctrl-C)
143   terminated (SIGTERM; 129: SIGHUP)
====  ==============================================================

Errors are printed as their caret diagnostics, never as tracebacks; positions are those of
the input (``FILE:line:col`` when it is a file). What the check finds that runs but is
probably not meant (a value not in its picklist...) is printed the same way before the
query runs, as ``warning[CODE]``; ``strict`` refuses such a query. Ctrl-C stops the
statement running and whatever was to follow it in the same input (a pasted script, a
file run with ``\\i``); the shell itself carries on. A termination signal
(:class:`Terminated`) stops it all.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import difflib
import fnmatch
import itertools
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Generator, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO, cast

import pyarrow as pa

from coqlkit import export
from coqlkit.api import Connection, Result, connect
from coqlkit.errors import (
    ApiError,
    AuthError,
    ConfigError,
    ConsistencyWarning,
    CoqlError,
    CoqlSyntaxError,
    CreditBudgetExceeded,
    OrgBusy,
    ParameterError,
    RateLimited,
    TransportError,
    ValidationError,
    excerpt,
)
from coqlkit.language import Span, literal, render_value, split_statements
from coqlkit.language.split import code_only
from coqlkit.plan import Plan
from coqlkit.plan.steps import ColumnSplit, InUnion
from coqlkit.repl import output
from coqlkit.repl.commands import find, help_text, interrupts
from coqlkit.repl.config import ReplConfig
from coqlkit.repl.encoding import NotUtf8, check, decode, read_file
from coqlkit.validate import Diagnostic, Severity

__all__ = ["EXIT_CODES", "KEEP_ROWS", "Shell", "ShortRead", "Terminated", "exit_code", "parse_value"]

EXIT_CODES = {
    "ok": 0,
    "query": 1,
    "usage": 2,
    "connection": 3,
    "timeout": 4,
    "budget": 5,
    "short": 6,
    "io": 7,
    "interrupted": 130,
    "terminated": 143,
}

#: The rows of a result kept for ``\\export`` (beyond them, or beyond :data:`KEEP_BYTES`,
#: ``\\export`` runs the query again).
KEEP_ROWS = 100_000
KEEP_BYTES = 256 * 1024 * 1024


class Terminated(KeyboardInterrupt):
    """A termination signal (SIGTERM, SIGHUP) raised where the program is, so that it
    cleans up as Ctrl-C does; but it ends the shell, not only the statement."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def status(self) -> int:
        return 128 + self.signum


class ShortRead(CoqlError):
    """An export read fewer rows than the COUNT probe found: records were deleted or
    changed during the read (offset pages shift). The target is left as it was."""

    code = "SHORT_READ"


def exit_code(exc: BaseException) -> int:
    """The exit status for an error (see the module's table)."""
    if isinstance(exc, Terminated):
        return exc.status
    if isinstance(exc, KeyboardInterrupt):
        return 130
    if isinstance(exc, ShortRead):
        return 6
    if isinstance(exc, export.ExportError):
        return 7
    if isinstance(exc, OSError):
        return 2
    if isinstance(exc, CreditBudgetExceeded) or (
        isinstance(exc, RateLimited) and exc.code == "LIMIT_REACHED"
    ):
        return 5
    if isinstance(exc, TransportError) and exc.code == "TIMEOUT":
        return 4
    if isinstance(exc, OrgBusy):
        return 8
    if isinstance(exc, (TransportError, AuthError, RateLimited)):
        return 3
    if isinstance(exc, ConfigError):
        return 2
    if isinstance(exc, (CoqlError, ApiError)):
        return 1
    raise exc  # not ours: a bug, let it show


#: The formats ``\\x`` turns on (``\\x off`` leaves them).
_EXPANDED = ("vertical", "auto")

#: What to do about a byte that is not UTF-8 typed at the prompt.
_NOT_UTF8_PROMPT = "type it as UTF-8 (is the terminal set to UTF-8?)"

#: How deep ``\\i`` may nest (a file that runs itself stops here instead of recursing forever).
MAX_INCLUDE_DEPTH = 16

_EXPLAIN = re.compile(r"^\s*explain(\s+analyze)?\b", re.I)
#: A bare ``\\set`` / ``--param`` value that is a number: written as numbers are written
#: (``42``, ``-7``, ``0.25``, ``2.50``, ``1e6``, ``-2.5E3``), not ``02158``, ``+1``, ``.5``, ``1.``.
_NUMBER = re.compile(r"-?(?P<whole>0|[1-9][0-9]*)(?P<fraction>\.[0-9]+)?(?P<exponent>[eE][+-]?[0-9]+)?")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)$")


def parse_value(text: str) -> Any:
    """A ``\\set`` value as a typed parameter: ``'text'``, ``42``, ``12.5``, ``1e6``, ``true``,
    ``2024-05-01``, ``2024-05-01T09:30:00+05:30``, ``(a, b, c)`` (a list for IN); anything
    else is text.

    A bare value is a number only when it is written as a number is written canonically
    (:data:`_NUMBER`: an optional ``-``, no leading zero, no ``+``, not ``-0``): anything
    else stays text as it was typed, since a zip code, a phone number or an SKU read as a
    number would lose what makes it match (``02158`` is not ``2158``). Quotes make any
    value text.

    >>> [parse_value(v) for v in ("'O''Brien'", "42", "true", "2024-05-01", "(1, 'a')", "Contacted")]
    ["O'Brien", 42, True, datetime.date(2024, 5, 1), [1, 'a'], 'Contacted']
    >>> [parse_value(v) for v in ("02158", "+14155550100", "-0", "1.", ".5", "1e6")]
    ['02158', '+14155550100', '-0', '1.', '.5', 1000000]
    """
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1].replace(text[0] * 2, text[0])
    if text.startswith("(") and text.endswith(")"):
        inner = text[1:-1]
        parts = [p for p in _split_list(inner) if p.strip()]
        return [parse_value(p) for p in parts]
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    match = _NUMBER.fullmatch(text)
    if match and not (text.startswith("-") and Decimal(text) == 0):  # -0 is text: a number drops the sign
        if match.group("exponent"):  # 1e6: written out, as COQL takes numbers (1000000)
            number = Decimal(text)
            return int(number) if number == number.to_integral_value() else Decimal(format(number, "f"))
        return Decimal(text) if match.group("fraction") else int(text)
    if _DATE.match(text):
        return dt.date.fromisoformat(text)
    if _DATETIME.match(text):
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return text


def _split_list(text: str) -> list[str]:
    """``a, 'b, c', d`` → the three items (commas inside quotes kept)."""
    items, current, quote = [], [], ""
    for ch in text:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            current.append(ch)
        elif ch == ",":
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    return items


@dataclasses.dataclass(frozen=True)
class Where:
    """Where a statement starts in the input it came from (1-based). When the input is a
    file (``source``: its name, or ``<stdin>``) a diagnostic gives that file's positions,
    ``FILE:line:col``, and quotes its line, as ``coqlkit lint`` does; else the statement's
    own positions, as it was typed."""

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
        return dataclasses.replace(d, span=span).format(self.text, filename=self.source)

    def syntax(self, exc: CoqlSyntaxError) -> str:
        """A syntax error as the check's errors read, ``line:col: error[CODE]: ...`` and an
        indented hint (in a file, ``FILE:line:col`` in the file); the statement's own
        positions when it is not a file's."""
        if self.source is None:
            text, line, column, where = exc.text, exc.line, exc.column, ""
        else:
            text, where = self.text, f"{self.source}:"
            line, column = self.at(exc.line, exc.column)
        end = column + max(1, exc.end_column - exc.column)
        parts = [
            f"{where}{line}:{column}: error[{exc.code}]: {exc.description}",
            excerpt(text, line, column, end),
        ]
        if exc.hint:
            parts.append(f"  hint: {exc.hint}")
        return "\n".join(parts)


@dataclasses.dataclass
class _Kept:
    """The rows of the last query, read whole, for ``\\export`` to write again."""

    text: str
    params: dict[str, Any]
    table: pa.Table
    plan: Plan


class Shell:
    """Runs statements and commands against a connection; see the module's docstring.

    ``confirm(question)`` asks the person at the prompt (None: never ask — scripts);
    ``progress`` shows a progress line on ``err`` during multi-page reads;
    ``terminal_size()`` gives (columns, lines) for formatting and the pager (None: no pager);
    ``connect_profile(name)`` opens another profile's connection (``\\profile``);
    ``editor(text)`` returns ``text`` as edited by the user (``\\e``); ``\\e FILE`` edits
    FILE in place (through ``editor`` when one is given, else ``$EDITOR`` opens FILE).

    ``display``: ``out`` is read by a person, so a result shows at most the configured
    row cap (and says so). When false (``coqlkit query`` writing to a pipe or a file), every
    row is written: CSV, TSV and JSON streamed with nothing but the data, a table whole.

    ``interactive``: there is a prompt to hand text back to. ``\\e`` then leaves what was
    saved in :attr:`prefill` for the next prompt (with :attr:`accept_prefill` when it is a
    whole statement, to run as it is); without a prompt, ``\\e`` runs what was saved.

    ``options`` go to every query (``max_credits``, ``strategy``, ``prefer``, ``tz``);
    ``strict`` refuses a query the check has warnings about; ``quiet`` leaves out
    warnings, progress and the summary of an export (errors are always said);
    ``allow_short`` writes an export whose read came back short (see :class:`ShortRead`);
    ``mkdir`` lets an export create its file's missing directory.
    """

    def __init__(
        self,
        conn: Connection,
        *,
        config: ReplConfig,
        out: TextIO | None = None,
        err: TextIO | None = None,
        label: str = "",
        confirm: Callable[[str], bool] | None = None,
        progress: bool = False,
        terminal_size: Callable[[], tuple[int, int]] | None = None,
        connect_profile: Callable[[str], Connection] | None = None,
        editor: Callable[[str], str] | None = None,
        interactive: bool = False,
        display: bool = True,
        options: dict[str, Any] | None = None,
        strict: bool = False,
        quiet: bool = False,
    ) -> None:
        self.conn = conn
        self.config = config
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.label = label
        self.confirm = confirm
        self.progress = progress and not quiet
        self.terminal_size = terminal_size
        self.connect_profile = connect_profile or (lambda name: connect(name))
        self.editor = editor or _edit
        self.edit_file: Callable[[Path], None] = (
            _edit_file if editor is None else lambda path: _edit_through(self.editor, path)
        )
        self.params: dict[str, Any] = {}
        self.timing = config.timing
        self.fmt = config.format
        # The format \x off goes back to (the one before \x on or \x auto).
        self._unexpanded = config.format if config.format not in _EXPANDED else "table"
        self.options: dict[str, Any] = dict(options or {})
        self.strict = strict
        self.quiet = quiet
        self.allow_short = False
        self.mkdir = False
        self.keep_rows = KEEP_ROWS
        self.last: str | None = None
        self.last_params: dict[str, Any] = {}
        self.kept: _Kept | None = None
        self.unkept = "no query ran"  # why the last query's rows are not kept
        self.failed_since = False  # a statement after the last query failed before it ran
        self.sink: TextIO | None = None
        self.sink_path: Path | None = None
        self._output: export.PiecewiseText | None = None  # the \o file (the sink), till it ends
        self.done = False
        self.interactive = interactive
        self.display = display
        self.prefill = ""  # text for the next prompt (after \e)
        self.accept_prefill = False  # ... and whether to run it at once (a whole statement)
        self.metadata_changed = False  # \refresh or \profile: the prompt's catalog is stale
        self._depth = 0  # \i nesting
        # A command typed in the middle of a statement runs at once (psql's way); meanwhile
        # ``buffer`` holds the statement so far (``\e`` edits it: ``buffer_taken``).
        self.buffer = ""
        self.buffer_taken = False
        self._word = ""  # the name the running command was typed with

    # ---- input -------------------------------------------------------------------------------

    def execute(self, text: str, *, source: str | None = None) -> int:
        """Run every command and statement in ``text``; the worst status. Ctrl-C stops the
        one running and skips the rest (status 130); :class:`Terminated` goes through.
        ``source`` names the file ``text`` comes from, for positions ``FILE:line:col``.

        A command on a line of its own in the middle of a statement runs at once and the
        statement carries on after it, as in psql; at a prompt, a statement left unfinished
        after such a command goes back to the prompt (:attr:`prefill`) to be finished."""
        try:  # a byte that was not UTF-8 (a terminal in another encoding): nothing of it runs
            check(
                text,
                source,
                fix=_NOT_UTF8_PROMPT if self.interactive and source is None else "give it as UTF-8",
            )
        except NotUtf8 as exc:
            self._message(f"{exc}\nnothing of it was run")
            return exit_code(exc)
        status = 0
        for kind, item, where in self._items(text, source):
            if self.done:
                break
            if kind == "unfinished":
                self.prefill = item
                continue
            before = self._usage()
            try:
                result = self._command(item) if kind == "command" else self._statement(item, where)
            except Terminated:
                raise
            except KeyboardInterrupt:
                self._piece_done(False)
                self._cancelled(before)
                return 130
            except (CoqlError, ApiError) as exc:
                self._message(self.describe(exc, where if kind == "statement" else None, item))
                result = exit_code(exc)
            except BrokenPipeError:  # whoever read our output has gone: so is the point of going on
                raise
            except OSError as exc:  # a file that cannot be read or written (\o, \export, \e)
                if not self._output_failed(exc):
                    self._message(f"{exc.filename or 'file'}: {exc.strerror or exc}")
                result = exit_code(exc)
            result = max(result, self._piece_done(result == 0))
            if result == 130:  # interrupted inside \i: the rest of this input stops too
                return 130
            status = max(status, result)
        return status

    def _piece_done(self, ok: bool) -> int:
        """After a statement or command: its output goes into the ``\\o`` file if it ended
        well (a failed one adds nothing); a write that fails is said (see _output_failed)."""
        output = self._output
        if output is None or output.closed:
            return 0
        if not ok:
            output.drop()
            return 0
        try:
            output.keep()
        except OSError as exc:
            self._output_failed(exc)
            return exit_code(exc)
        return 0

    def _items(self, text: str, source: str | None = None) -> Iterator[tuple[str, str, Where]]:
        """Commands (a line of their own) and statements (ending at ;), in the order they
        come, with where each starts. A command in the middle of a statement comes after
        the statements ended before it; the statement being typed carries on after it
        (``unfinished`` at the end of the input at a prompt, to be finished there)."""
        pending: list[str] = []
        start = Where(text, 1, 1, source)  # where pending starts
        interrupted = False
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            joined = "\n".join(pending)
            if _is_command(stripped) and _complete(joined):
                yield from self._statements(joined, start)
                pending = []
                yield "command", stripped, Where(text, number, 1, source)
                continue
            if pending and interrupts(joined, line):
                interrupted = True
                done, rest, rest_start = _open_tail(joined, start)
                yield from self._statements(done, start)
                self.buffer, self.buffer_taken = rest, False
                try:
                    yield "command", stripped, Where(text, number, 1, source)
                    taken = self.buffer_taken
                finally:
                    self.buffer, self.buffer_taken = "", False
                # (the command's line left blank: what follows keeps the input's line numbers)
                pending, start = ([], start) if taken else ([*rest.split("\n"), ""], rest_start)
                continue
            if not pending:
                start = Where(text, number, 1, source)
            pending.append(line)
        tail = "\n".join(pending)
        if interrupted and self.interactive and not _complete(tail):
            # Back with its line break: the cursor waits on a fresh line, as psql's does,
            # so that what is typed next is not glued to the last word (``from Leadswhere``).
            yield "unfinished", tail.strip() + "\n", start
            return
        yield from self._statements(tail, start)

    @staticmethod
    def _statements(chunk: str, start: Where) -> Iterator[tuple[str, str, Where]]:
        for statement in split_statements(chunk):
            if not code_only(statement.text).strip():
                continue
            body = statement.text.strip()
            lead = statement.text[: len(statement.text) - len(statement.text.lstrip())]
            where = dataclasses.replace(
                start,
                line=start.line + statement.line - 1,
                column=statement.column if statement.line > 1 else start.column + statement.column - 1,
            )
            yield "statement", body, where.after(lead)

    def _message(self, text: str) -> None:
        print(text, file=self.err, flush=True)

    def _usage(self) -> tuple[int, int]:
        """The credits spent and the calls sent so far on the connection (metadata's too)."""
        return self.conn.credits_used, self.conn.aio.client.sends

    def _cancelled(self, before: tuple[int, int]) -> None:
        """Ctrl-C stopped a statement (its usage was ``before`` it began): said, with what
        it spent, and the shell carries on."""
        credits, calls = (now - then for now, then in zip(self._usage(), before, strict=True))
        spent = f" · {calls:,} call{'s' if calls != 1 else ''} · {self._credits(credits)}" if calls else ""
        self._message(f"cancelled (Ctrl-C){spent}")

    def _warn(self, text: str) -> None:
        if not self.quiet:
            self._message(f"coqlkit: warning: {text}")

    def describe(self, exc: BaseException, where: Where | None, statement: str = "") -> str:
        """An error as the person should read it: with the input's positions, and a hint."""
        if isinstance(exc, CoqlSyntaxError):  # as the check's diagnostics read: error[CODE]
            return (where or Where(exc.text)).syntax(exc)
        if where is not None and where.source is not None and isinstance(exc, ValidationError):
            errors = [d for d in exc.diagnostics if d.is_error] or list(exc.diagnostics)
            return "\n".join(where.diagnostic(d, statement) for d in errors)
        text = str(exc)
        if isinstance(exc, ParameterError):
            missing = re.match(r"no value given for (:\w+)", text)
            if missing:
                name = missing.group(1)[1:]
                how = (
                    f"\\set {name} VALUE"
                    if self.interactive
                    else f"--param {name}=VALUE (or \\set {name} VALUE before the query)"
                )
                text += f"\n  hint: give it a value: {how}"
        return (where.prefix() if where is not None else "") + text

    # ---- statements ----------------------------------------------------------------------------

    def _statement(self, text: str, where: Where | None = None) -> int:
        text = text.rstrip().rstrip(";").rstrip()
        if not text:
            return 0
        match = _EXPLAIN.match(text)
        if match:
            rest = text[match.end() :]
            query = rest.strip()
            inner = (
                where.after(text[: match.end()] + rest[: len(rest) - len(rest.lstrip())]) if where else None
            )
            return self._explain(query, analyze=bool(match.group(1)), where=inner)
        return self._query(text, where)

    def _plan(self, text: str, params: dict[str, Any], where: Where | None) -> Result | None:
        """``text`` checked and planned, its warnings shown; None when strict mode refuses it
        (before anything is spent: the check alone, then the plan's COUNT probe)."""
        if self.strict:
            found = [d for d in self.conn.check(text, params) if d.severity is Severity.WARNING]
        else:
            result = self.conn._query(text, params, **self.options)  # its warnings: shown here
            found = result.warnings
        if found and not self.quiet:
            for d in found:
                self._message(where.diagnostic(d, text) if where is not None else d.format(text))
        if found and self.strict:
            self._message("not run: strict mode refuses a query with warnings (turn it off to run it)")
            return None
        return self.conn._query(text, params, **self.options) if self.strict else result

    def _explain(self, query: str, *, analyze: bool, where: Where | None = None) -> int:
        with self._failing():
            if analyze and self.strict and self._plan(query, self.params, where) is None:
                self.failed_since = self.last is not None
                return 1  # EXPLAIN ANALYZE runs the query: strict mode checks it first
            with _own_warnings():
                text, result = self.conn._explain(query, self.params, analyze=analyze, **self.options)
        self._remember(
            query, "EXPLAIN ANALYZE does not keep its rows" if analyze else "its rows were not read"
        )
        if not self.quiet and not (analyze and self.strict):  # (strict: shown by _plan)
            for d in result.warnings:
                self._message(where.diagnostic(d, query) if where is not None else d.format(query))
        self._emit(text + "\n")
        return 0

    def _remember(self, text: str, unkept: str = "its rows were not read") -> None:
        """``text`` (with the parameters it ran with) is the last query, for ``\\export``;
        ``unkept`` says why its rows are not kept, unless they are (an earlier run's)."""
        if self.kept is not None and (self.kept.text, self.kept.params) != (text, self.params):
            self.kept = None
        if self.kept is None:
            self.unkept = unkept
        self.last, self.last_params = text, dict(self.params)
        self.failed_since = False

    @contextlib.contextmanager
    def _failing(self) -> Iterator[None]:
        """A statement that fails before it runs (the check, its plan, strict mode) leaves
        the last query, and the rows kept of it, as they were: ``\\export`` writes those,
        and says they are the last query's that ran (not the one that failed)."""
        try:
            yield
        except (CoqlError, ApiError):
            self.failed_since = self.last is not None
            raise

    def _confirmed(self, result: Result) -> bool:
        """Whether to run ``result``: yes, unless its estimate passes the configured threshold
        and the person at the prompt says no."""
        credits = result.plan.estimate.credits
        threshold = self.config.confirm_above_credits
        if self.confirm is None or not threshold or credits <= threshold:
            return True
        calls = result.plan.estimate.calls
        if self.confirm(f"This query would spend about {credits:,} credits ({calls:,} calls). Run it?"):
            return True
        self._message("not run")
        return False

    def _query(self, text: str, where: Where | None = None) -> int:
        started = time.perf_counter()
        with self._failing():
            result = self._plan(text, self.params, where)
        if result is None:  # strict mode refused it: it did not run
            self.failed_since = self.last is not None
            return 1
        self._remember(text)
        if not self._confirmed(result):
            return 0
        self.kept = None  # its rows, read now, take the place of any kept of an earlier run
        with _own_warnings(), contextlib.closing(self._keeping(result, text)) as source:
            status = self._show(result, source, started)
        self._check_count(result)
        return status

    def _show(self, result: Result, source: Iterator[pa.RecordBatch], started: float) -> int:
        if self.sink is not None or not self.display:  # a file or a pipe: every row
            target = self.sink if self.sink is not None else self.out
            if output.resolve_format(self.fmt) in output.MACHINE_FORMATS:  # streamed, nothing but data
                # The first page is in before the header goes out: a query that fails at once
                # leaves no output that looks like an empty result.
                first = next(source, None)
                rest = itertools.chain([] if first is None else [first], source)
                rows = output.write(rest, target, config=self.config, fmt=self.fmt, schema=result.schema)
            else:  # a view for people, whole, with its (N rows) as psql writes it
                whole = output.render(
                    source, config=self.config, fmt=self.fmt, capped=False, schema=result.schema
                )
                target.write(whole.screen + "\n")
                rows = whole.total
            target.flush()
            self._summary(result, rows, started)
            return 0
        width = self.terminal_size()[0] if self.terminal_size else None
        rendered = output.render(source, config=self.config, fmt=self.fmt, width=width, schema=result.schema)
        self._emit(rendered.screen)
        self._summary(result, rendered.total, started)
        return 0

    def _keeping(self, result: Result, text: str) -> Generator[pa.RecordBatch, None, None]:
        """The result's batches, kept (up to :data:`KEEP_ROWS`) for ``\\export``: when
        every row came, and as many as were counted, they are the last query's rows."""
        kept: list[pa.RecordBatch] | None = []
        rows = size = 0
        self.unkept = "its rows were not read to the end"
        with contextlib.closing(self._with_progress(result)) as source:
            for batch in source:
                if kept is not None:
                    rows += batch.num_rows
                    size += batch.nbytes
                    kept = kept if rows <= self.keep_rows and size <= KEEP_BYTES else None
                    if kept is not None:
                        kept.append(batch)
                yield batch
        if kept is None:
            self.unkept = f"more than {self.keep_rows:,} rows are not kept"
        elif _count_mismatch(result) is not None:
            self.unkept = "its read disagreed with its count"
        else:
            table = pa.Table.from_batches(kept, schema=result.schema)
            self.kept = _Kept(text, dict(self.params), table, result.plan)

    def _with_progress(self, result: Result) -> Generator[pa.RecordBatch, None, None]:
        expected = result.estimated_rows
        pages = result.plan.estimate.calls
        reader = result.record_batches()
        try:
            if not self.progress or pages <= 2:
                yield from reader
                return
            credits = self.conn.credits_used
            started = time.perf_counter()
            rows = 0
            shown = 0.0
            try:
                for batch in reader:
                    rows += batch.num_rows
                    now = time.perf_counter()
                    if now - shown > 0.1:
                        shown = now
                        total = f" of {expected:,}" if expected else ""
                        spent = self.conn.credits_used - credits
                        line = f"\r{rows:,}{total} rows · {spent:,} credits · {now - started:.1f} s  (Ctrl-C stops)"
                        self.err.write(line)
                        self.err.flush()
                    yield batch
            finally:
                self.err.write("\r\x1b[K")
                self.err.flush()
        finally:
            # The stream ends here, not when the reader is collected: its calls in flight
            # are cancelled, a bulk read's downloads removed.
            reader.close()
            del reader

    def _check_count(self, result: Result) -> None:
        """Say when the rows read disagree with the COUNT probe (records changed meanwhile)."""
        found = _count_mismatch(result)
        if found is not None:
            self._warn(_count_message(*found))

    def _summary(self, result: Result, rows: int, started: float) -> None:
        if not self.timing:
            return
        stats = result.stats
        seconds = time.perf_counter() - started
        self._message(
            f"{rows:,} row{'s' if rows != 1 else ''} · {stats.calls:,} call{'s' if stats.calls != 1 else ''} · "
            f"{self._credits(stats.credits)} · {seconds:.2f} s"
        )
        shown = {d.format(result.text) for d in result.warnings}  # shown before it ran
        for note in stats.notes:
            if note not in shown and "than the COUNT probe found" not in note:
                self._message(f"note: {note}")

    def _emit(self, text: str) -> None:
        """Text for the screen (through the pager when it is taller than the terminal)."""
        if self.sink is not None:
            self.sink.write(text if text.endswith("\n") else text + "\n")
            return
        if self.terminal_size is not None and self.config.pager:
            output.page(text, config=self.config, terminal_size=self.terminal_size(), out=self.out)
        else:
            self.out.write(text if text.endswith("\n") else text + "\n")
            self.out.flush()

    # ---- exports -------------------------------------------------------------------------------

    def export(self, text: str, target: Path, where: Where | None = None) -> int:
        """Run ``text`` and write every row to ``target`` (``coqlkit export``): its format
        from the extension, atomically; one summary line at the end."""
        kind = self._export_kind(target)
        if kind is None:
            return 2
        export.check_target(target, mkdir=self.mkdir)  # before a credit is spent
        started = time.perf_counter()
        result = self._plan(text, self.params, where)
        self._remember(text)
        if result is None:
            return 1
        if not self._confirmed(result):
            return 0
        return self._export_result(result, target, kind, started)

    def _export_kind(self, target: Path) -> str | None:
        kind = export.format_of(target)
        if kind is None:
            self._message(
                f"cannot tell the format of {target.name}: use .parquet, .csv, .json, .jsonl, .arrow or .feather"
            )
        return kind

    def _export_result(self, result: Result, target: Path, kind: str, started: float) -> int:
        def verify() -> None:
            found = _count_mismatch(result)
            if found is not None and found[0] < found[1] and not self.allow_short:
                how = "run \\export again" if self.interactive else "--allow-short writes what was read"
                raise ShortRead(
                    f"coqlkit: {_count_message(*found, short=True)}; {target} was left as it was ({how})"
                )

        with _own_warnings(), contextlib.closing(self._with_progress(result)) as batches:
            rows = self._write(batches, result.schema, target, kind, verify)
        self._check_count(result)
        stats = result.stats
        self._wrote(rows, target, _strategy(result.plan), stats.calls, stats.credits, started)
        return 0

    def _write(
        self,
        batches: Iterable[pa.RecordBatch],
        schema: pa.Schema,
        target: Path,
        kind: str,
        verify: Callable[[], None] | None = None,
    ) -> int:
        if kind in ("json", "jsonl"):

            def opener(temp: Path) -> Any:
                return output.TextFile(temp, kind, schema)

            return export.write_batches(
                batches, schema, target, opener=opener, verify=verify, mkdir=self.mkdir
            )
        return export.write_batches(batches, schema, target, kind=kind, verify=verify, mkdir=self.mkdir)

    def _wrote(self, rows: int, target: Path, how: str, calls: int, credits: int, started: float) -> None:
        if self.quiet:
            return
        seconds = time.perf_counter() - started
        self._message(
            f"wrote {rows:,} row{'s' if rows != 1 else ''} to {target} · {how} · "
            f"{calls:,} call{'s' if calls != 1 else ''} · {self._credits(credits)} · {seconds:.2f} s"
        )

    def _credits(self, credits: int) -> str:
        """A query's credits in its summary line (``coqlkit export`` adds the metadata's)."""
        return f"{credits:,} credit{'s' if credits != 1 else ''}"

    # ---- commands --------------------------------------------------------------------------------

    def _command(self, line: str) -> int:
        word, _, arg = line.partition(" ")
        command = find(word)
        if command is None and word.rstrip(";").lower() in ("quit", "exit"):
            command = find("\\q")
        if command is None:
            self._message(f"unknown command {word}: \\? lists the commands")
            return 2
        self._word = word
        handler: Callable[[str], int | None] = getattr(self, f"cmd_{command.handler}")
        return handler(arg.strip()) or 0

    def cmd_help(self, arg: str) -> int:
        self._emit(help_text())
        return 0

    def cmd_tables(self, arg: str) -> int:
        modules = self.conn.modules()
        rows = [
            {
                "module": m.api_name,
                "label": m.label or m.singular_label,
                "custom": m.generated_type == "custom",
            }
            for m in modules
            if _matches(m.api_name, arg)
        ]
        self._table(rows, ["module", "label", "custom"])
        return 0

    def cmd_describe(self, arg: str, *, values: bool = False) -> int:
        if not arg:
            return self.cmd_tables("")
        try:
            fields = self.conn.fields(arg)
        except CoqlError as exc:
            if exc.code != "INVALID_MODULE":
                raise
            names = [m.api_name for m in self.conn.modules()]
            same = [n for n in names if n.lower() == arg.lower()]
            close = same or difflib.get_close_matches(arg, names, n=1, cutoff=0.6)
            hint = f"\n  hint: did you mean {close[0]}?" if close else "\n  hint: \\dt lists the modules"
            self._message(f"{exc}{hint}")
            return 1
        rows = []
        for f in fields:
            row: dict[str, Any] = {
                "field": f.api_name,
                "label": f.label or "",
                "type": f.data_type,
                "lookup": f.lookup_module or "",
                "filterable": "yes" if f.filterable else "no",
            }
            if values:
                row["values"] = ", ".join(f.picklist_values) if f.picklist_values else ""
            rows.append(row)
        names = ["field", "label", "type", "lookup", "filterable"] + (["values"] if values else [])
        self._table(rows, names)
        return 0

    def cmd_describe_plus(self, arg: str) -> int:
        return self.cmd_describe(arg, values=True)

    def cmd_explain(self, arg: str) -> int:
        return self._explain(arg.rstrip(";"), analyze=False)

    def cmd_explain_analyze(self, arg: str) -> int:
        return self._explain(arg.rstrip(";"), analyze=True)

    def cmd_mode(self, arg: str) -> int:
        if not arg:
            self._message(
                f"format: {self.fmt} (one of: {', '.join(output.format_names()[:8])}, or a tabulate style)"
            )
            return 0
        self.fmt = output.resolve_format(arg)
        self._message(f"format: {self.fmt}")
        return 0

    def cmd_expanded(self, arg: str) -> int:
        """``\\x on`` (or ``auto``) from any format; ``\\x off`` back to the format it came
        from (``csv`` after ``\\T csv``), not always ``table``."""
        choice = arg.lower()
        if choice in ("", "toggle"):
            choice = "off" if self.fmt == "vertical" else "on"
        if choice not in ("on", "off", "auto"):
            self._message("\\x takes on, off or auto")
            return 2
        expanded = self.fmt in _EXPANDED
        if choice == "off":
            self.fmt = self._unexpanded if expanded else self.fmt
        else:
            self._unexpanded = self._unexpanded if expanded else self.fmt
            self.fmt = "vertical" if choice == "on" else "auto"
        self._message(f"format: {self.fmt}")
        return 0

    def cmd_timing(self, arg: str) -> int:
        choice = arg.lower()
        if choice not in ("", "on", "off"):
            self._message("\\timing takes on or off")
            return 2
        self.timing = (not self.timing) if not choice else choice == "on"
        self._message(f"timing {'on' if self.timing else 'off'}")
        return 0

    def cmd_strict(self, arg: str) -> int:
        choice = arg.lower()
        if choice not in ("", "on", "off"):
            self._message("\\strict takes on or off")
            return 2
        self.strict = (not self.strict) if not choice else choice == "on"
        what = "queries with warnings are refused" if self.strict else "queries with warnings run"
        self._message(f"strict {'on' if self.strict else 'off'}: {what}")
        return 0

    def cmd_credits(self, arg: str) -> int:
        left = self.conn.credits_remaining
        tail = f"; {left:,} left today" if left is not None else "; Zoho has not said how many are left today"
        used = self.conn.credits_used
        self._message(f"{used:,} credit{'' if used == 1 else 's'} used this session{tail}")
        return 0

    def cmd_refresh(self, arg: str) -> int:
        catalog = self.conn.refresh_metadata()
        self.metadata_changed = True
        self._message(f"metadata refreshed: {len(catalog)} modules")
        return 0

    def cmd_profile(self, arg: str) -> int:
        if not arg:
            self._message(f"connected to {self.label or 'the org'}; \\profile NAME switches")
            return 0
        new = self.connect_profile(arg)
        old, self.conn = self.conn, new
        old.close()
        self.label = arg
        self.metadata_changed = True
        self._message(f"connected to profile {arg}")
        return 0

    def cmd_export(self, arg: str) -> int:
        if not arg:
            self._message(
                "\\export FILE: the format follows the extension (.parquet, .csv, .json, .jsonl, .arrow)"
            )
            return 2
        if self.last is None:
            self._message("no query to export yet: run one first")
            return 2
        target = Path(os.path.expanduser(arg))
        kind = self._export_kind(target)
        if kind is None:
            return 2
        export.check_target(target, mkdir=self.mkdir)
        started = time.perf_counter()
        kept = self.kept
        if kept is not None and (kept.text, kept.params) == (self.last, self.last_params):
            batches = kept.table.to_batches() or [export.empty_batch(kept.table.schema)]
            rows = self._write(batches, kept.table.schema, target, kind)
            how = (
                "the rows of the last query that ran, kept"
                if self.failed_since
                else "the rows of the last query, kept"
            )
            self._wrote(rows, target, how, 0, 0, started)
            return 0
        # Not kept (too many rows, not read to the end, or only explained): run it again,
        # with the parameters it had then, and say what that costs.
        result = self._plan(self.last, self.last_params, None)
        if result is None:
            return 1
        estimate = result.plan.estimate
        self._message(
            f"\\export runs the last query{' that did not fail' if self.failed_since else ''} again "
            f"({self.unkept}): about {estimate.calls:,} "
            f"call{'s' if estimate.calls != 1 else ''}, {estimate.credits:,} credit{'s' if estimate.credits != 1 else ''}"
        )
        if not self._confirmed(result):
            return 0
        return self._export_result(result, target, kind, started)

    def cmd_output(self, arg: str) -> int:
        """``\\o FILE``: results go to FILE (created or emptied at once, as psql does), each
        statement's output added when it ends well: FILE holds whole statements' output
        only, whatever stops the shell; a failed write (a full disk) cuts it back to them."""
        status = self._end_output()
        if not arg:
            self._message("results go to the screen")
            return status
        path = Path(os.path.expanduser(arg))
        if path.exists() and not path.is_file() and not path.is_dir():  # /dev/null, a FIFO: as it is
            self.sink, self.sink_path = open(path, "w", encoding="utf-8"), path  # noqa: SIM115 - till \o
            self._message(f"results go to {path}")
            return status
        file = export.PiecewiseText(path)  # TargetError (a directory...): said by execute, naming FILE
        self.sink, self.sink_path, self._output = cast(TextIO, file), path, file
        self._message(f"results go to {path}")
        return status

    def _end_output(self, *, keep: bool = True) -> int:
        """Close an ``\\o`` file, with what was written since the last statement ended
        (``keep``) or without it (a signal stopped the shell midway)."""
        sink, path = self._output, self.sink_path
        if sink is None:
            if self.sink is not None and path is not None:  # a device or FIFO \o opened as it is
                self.sink.close()
                self.sink = self.sink_path = None
            return 0
        self.sink = self.sink_path = self._output = None
        try:
            if keep and not sink.closed:
                sink.keep()
        except export.ExportError as exc:
            self._message(f"{path}: {exc.strerror}")
            return exit_code(exc)
        finally:
            sink.close()
        return 0

    def _output_failed(self, exc: OSError) -> bool:
        """Whether ``exc`` is the ``\\o`` file's write failing; if so, output goes back to
        the screen (or, in a script, the rest is not run: it would have gone to the file)."""
        sink: object = self.sink  # an \o file, or the file of ``coqlkit query -o``
        if not isinstance(sink, (export.AtomicText, export.PiecewiseText)) or not sink.failed:
            return False
        self.sink = self.sink_path = self._output = None
        if self.interactive:
            self._message(f"{exc.filename}: {exc.strerror}; results go to the screen")
        else:
            self._message(f"{exc.filename}: {exc.strerror}; stopping")
            self.done = True
        return True

    def cmd_include(self, arg: str) -> int:
        if not arg:
            self._message("\\i FILE")
            return 2
        path = Path(os.path.expanduser(arg))
        try:
            text = decode(path.read_bytes(), arg)
        except OSError as exc:
            self._message(f"cannot read {path}: {exc.strerror}")
            return 2
        except NotUtf8 as exc:
            self._message(f"{exc}\nnothing of {arg} was run")
            return 2
        if self._depth >= MAX_INCLUDE_DEPTH:
            self._message(f"\\i {path}: files run inside each other {MAX_INCLUDE_DEPTH} deep; stopping")
            return 2
        self._depth += 1
        buffer, self.buffer = self.buffer, ""  # the file's own statements, not one it interrupted
        try:
            return self.execute(text, source=arg)
        finally:
            self._depth -= 1
            self.buffer = buffer

    def cmd_set(self, arg: str) -> int:
        if self._word.lower() == ".parameter":  # sqlite3's: .parameter set :NAME VALUE, unset, list, clear
            verb, _, rest = arg.partition(" ")
            verb = verb.lower()
            if verb == "set":
                arg = rest.strip()
                if not arg:
                    self._message(".parameter set :NAME VALUE")
                    return 2
            elif verb == "unset":
                return self.cmd_unset(rest.strip())
            elif verb in ("list", ""):
                arg = ""
            elif verb == "clear":
                self.params.clear()
                self._message("no parameters set")
                return 0
            elif verb in ("init", "load", "save"):
                self._message(f".parameter {verb}: coqlkit's .parameter takes set, unset, list and clear")
                return 2
        if not arg:
            if not self.params:
                self._message("no parameters set: \\set NAME VALUE")
            for name, value in sorted(self.params.items()):
                self._message(f":{name} = {_as_coql(value)}")
            return 0
        name, _, value = arg.partition(" ")
        name = name.lstrip(":")
        if not name.isidentifier() or not value.strip():
            self._message("\\set NAME VALUE (NAME is what :NAME stands for in queries)")
            return 2
        self.params[name] = parse_value(value)
        self._message(f":{name} = {_as_coql(self.params[name])}")
        return 0

    def cmd_unset(self, arg: str) -> int:
        if self.params.pop(arg.lstrip(":"), None) is None:
            self._message(f"no parameter :{arg.lstrip(':')}")
            return 2
        return 0

    def cmd_edit(self, arg: str) -> int:
        if arg:  # the file itself, in place (created if missing), then what it holds runs
            path = Path(os.path.expanduser(arg))
            created = not path.exists()
            if created:
                path.touch()
            self.edit_file(path)
            edited = read_file(path).strip() if path.exists() else ""
            if created and not edited:
                path.unlink(missing_ok=True)
                self._message(f"{path}: nothing saved")
                return 0
        elif self.buffer:  # in the middle of a statement: that statement, as psql's \e edits its buffer
            edited = self.editor(self.buffer).strip()
            self.buffer_taken = True
        else:
            edited = self.editor((self.last + ";") if self.last else "").strip()
        if self.interactive:  # back to the prompt: run at once if it is a whole statement
            self.prefill = edited
            self.accept_prefill = bool(code_only(edited).strip()) and _complete(edited)
            return 0
        return self.execute(edited, source=arg or None) if edited else 0

    def cmd_quit(self, arg: str) -> int:
        self.done = True
        return 0

    # ---- helpers ---------------------------------------------------------------------------------

    def _table(self, rows: list[dict[str, Any]], names: list[str]) -> None:
        """The org's metadata (``\\dt``, ``\\d``) in the current format, never cut: ``\\d+``
        is asked for to see every picklist value. In a table its values wrap, on rows of
        their own, at ``max_column_width`` (a picklist's whole list made it hundreds of
        characters wide); CSV, JSON and ``vertical`` keep each list whole."""
        fmt = output.resolve_format(self.fmt)
        if "values" in names and fmt not in output.MACHINE_FORMATS and fmt != "vertical":
            width = self.config.max_column_width
            rows = [
                {**(row if not index else dict.fromkeys(row, "")), "values": line}
                for row in rows
                for index, line in enumerate(output.wrap_list(row["values"], width))
            ]
        table = pa.Table.from_pylist(
            rows, schema=pa.schema([(n, pa.string() if n != "custom" else pa.bool_()) for n in names])
        )
        config = dataclasses.replace(self.config, max_column_width=0)
        rendered = output.render(table, config=config, fmt=self.fmt, capped=False)
        self._emit(rendered.screen)

    def close(self, *, keep: bool = True) -> int:
        """The end of the session: an ``\\o`` file takes its name (``keep=False``, on the
        way out of an error or a signal: it is forgotten, any file there left as it was)."""
        return self._end_output(keep=keep)


@contextlib.contextmanager
def _own_warnings() -> Iterator[None]:
    """The read's count check is said by the shell (:meth:`Shell._check_count`), not as a
    Python warning with a source line."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConsistencyWarning)
        yield


def _count_mismatch(result: Result) -> tuple[int, int] | None:
    """(rows read, rows counted) when a read's rows disagree with its COUNT probe."""
    plan = result.plan
    expected = plan.estimate.rows
    if plan.probe is None or expected is None or result.stats.rows == expected:
        return None
    return result.stats.rows, expected


def _count_message(rows: int, expected: int, *, short: bool = False) -> str:
    if rows < expected:
        counts = "" if short else f" ({rows:,} of {expected:,})"
        return (
            f"{expected - rows:,} fewer rows than counted{counts}: records were deleted or changed "
            "during the read; run it again"
        )
    return f"{rows - expected:,} more rows than counted ({rows:,}, not {expected:,}): records were created during the read"


def _strategy(plan: Plan) -> str:
    """How the rows were read, as EXPLAIN names its steps: ``offset pages``, ``bulk read``,
    ``IN split (2 × single call)``, ``column split (offset pages)``..."""
    names: list[str] = []
    for step in plan.steps():
        if not step.children and step.name not in names:
            names.append(step.name)
    leaves = " + ".join(names) or "no call"
    split = next((s for s in plan.steps() if isinstance(s, (InUnion, ColumnSplit))), None)
    if split is None:
        return leaves
    parts = len(split.children)
    return f"{split.name} ({parts} × {leaves})" if len(names) == 1 else f"{split.name} ({leaves})"


def _as_coql(value: Any) -> str:
    """A parameter's value as the COQL literal it binds to (``'2024-05-01'``, ``'true'``)."""
    try:
        if isinstance(value, (list, tuple)):
            return "(" + ", ".join(render_value(literal(v)) for v in value) + ")"
        return render_value(literal(value))
    except CoqlError:
        return repr(value)


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
    code = code_only(text).strip()
    if not code or code.endswith(";"):
        return True
    statements = split_statements(text)
    return not statements or statements[-1].text.rstrip().endswith(";")


def _matches(name: str, pattern: str) -> bool:
    """``\\dt PATTERN``: a glob as psql takes (``Lead*``), else a part of the name; any case.

    >>> _matches("Sales_Orders", "orders"), _matches("Sales_Orders", "*_orders"), _matches("Leads", "L?ad")
    (True, True, False)
    """
    name, pattern = name.lower(), pattern.lower()
    if any(ch in pattern for ch in "*?["):
        return fnmatch.fnmatchcase(name, pattern)
    return pattern in name


def _is_command(line: str) -> bool:
    """A backslash or dot command (no statement starts with either), or a bare ``quit``."""
    if not line:
        return False
    if line.startswith(("\\", ".")):
        return True
    word = line.split(None, 1)[0].rstrip(";").lower()
    return word in ("quit", "exit") and len(line.rstrip(";").split()) == 1


def _edit(text: str) -> str:
    """``text`` edited in ``$VISUAL`` / ``$EDITOR`` (vi when neither is set)."""
    with tempfile.NamedTemporaryFile("w", suffix=".coql", delete=False, encoding="utf-8") as fh:
        fh.write(text)
        name = fh.name
    try:
        _edit_file(Path(name))
        return read_file(name)
    finally:
        Path(name).unlink(missing_ok=True)


def _edit_file(path: Path) -> None:
    """The file at ``path`` edited in place in ``$VISUAL`` / ``$EDITOR`` (vi when neither is set)."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    subprocess.run([*shlex.split(editor), str(path)], check=False)


def _edit_through(editor: Callable[[str], str], path: Path) -> None:
    """The file at ``path`` edited in place by a text-to-text ``editor``."""
    path.write_text(editor(path.read_text(encoding="utf-8")), encoding="utf-8")
