"""The REPL's engine, without a terminal: statements and commands in, text out.

:class:`Shell` runs what the prompt (or a file, or stdin) gives it: queries end with
``;``, commands start with ``\\`` or ``.`` and take their line. It writes results to
``out`` and messages to ``err``, and returns a status that is also the exit code of
``coqlkit query`` (the table of them is in :mod:`coqlkit.repl.status`).

Errors are printed as their caret diagnostics, never as tracebacks; positions are those of
the input (``FILE:line:col`` when it is a file). What the check finds that runs but is
probably not meant (a value not in its picklist...) is printed the same way before the
query runs, as ``warning[CODE]``; ``strict`` refuses such a query. Ctrl-C stops the
statement running and whatever was to follow it in the same input (a pasted script, a
file run with ``\\i``); the shell itself carries on. A termination signal
(:class:`Terminated`) stops it all.

The shell is made of parts kept in modules of their own: :mod:`~coqlkit.repl.statements`
splits its input into statements and commands (and says where each starts),
:mod:`~coqlkit.repl.params` reads the values given to ``\\set``, :mod:`~coqlkit.repl.results`
writes results (the screen, the ``\\o`` file, exports), :mod:`~coqlkit.repl.backslash` runs
the commands, and :mod:`~coqlkit.repl.status` gives the exit codes.
"""

from __future__ import annotations

import contextlib
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from coqlkit import export
from coqlkit.api import Connection, Result, connect
from coqlkit.errors import (
    ApiError,
    CoqlError,
    CoqlSyntaxError,
    ParameterError,
    ValidationError,
)
from coqlkit.execute.executor import analyzed
from coqlkit.execute.scan import Lazy
from coqlkit.language import parse
from coqlkit.language.ast import Param
from coqlkit.language.split import mask_comments
from coqlkit.repl.backslash import _EXPANDED, Tally, _Commands, _edit, _edit_file, _edit_through, _to_spend
from coqlkit.repl.backslash import MAX_INCLUDE_DEPTH as MAX_INCLUDE_DEPTH
from coqlkit.repl.commands import interrupts
from coqlkit.repl.config import ReplConfig
from coqlkit.repl.encoding import NotUtf8, check
from coqlkit.repl.params import parse_value
from coqlkit.repl.results import KEEP_ROWS, _Kept, _own_warnings
from coqlkit.repl.results import _strategy as _strategy
from coqlkit.repl.statements import Where as Where
from coqlkit.repl.statements import _complete, _is_command, _open_tail, _statements
from coqlkit.repl.status import EXIT_CODES, ShortRead, Terminated, exit_code
from coqlkit.validate import Diagnostic, Severity

__all__ = [
    "EXIT_CODES",
    "KEEP_ROWS",
    "Shell",
    "ShortRead",
    "Terminated",
    "exit_code",
    "explain_at",
    "parse_value",
]

#: What to do about a byte that is not UTF-8 typed at the prompt.
_NOT_UTF8_PROMPT = "type it as UTF-8 (is the terminal set to UTF-8?)"

_EXPLAIN = re.compile(r"^\s*(explain(?:\s+analyze)?)\b", re.I)


def explain_at(text: str) -> re.Match[str] | None:
    r"""The ``EXPLAIN`` or ``EXPLAIN ANALYZE`` that starts ``text``, read past comments
    (the run reads a statement after its comments: ``-- why?\nexplain select ...`` is an
    EXPLAIN), matched in ``text`` with its comments blanked, so its offsets are ``text``'s.

    >>> explain_at("/* slow? */ explain analyze select a from B").span()
    (0, 27)
    >>> explain_at("-- explain\nselect a from B") is None
    True
    """
    return _EXPLAIN.match(mask_comments(text))


class Shell(_Commands):
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
    ``tz_from`` says where a ``tz`` among them comes from (``\\tz`` names it; ``\\tz ZONE``
    replaces it, ``\\tz org`` drops it); ``strict`` refuses a query the check has warnings
    about; ``quiet`` leaves out warnings, progress and the summary of an export (errors
    are always said);
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
        tz_from: str = "--tz",
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
        self.tz_from = tz_from
        self.strict = strict
        self.quiet = quiet
        self.allow_short = False
        # Reads ask for their first page alone until a second batch is wanted: set when
        # the rows go to a reader that may stop early (`coqlkit query ... | head`).
        self.lazy: Lazy = False
        self.mkdir = False
        self.keep_rows = KEEP_ROWS
        self.last: str | None = None
        self.last_params: dict[str, Any] = {}
        self.last_label = label  # the profile the last query ran on (\\profile since: another)
        # What the connections closed by \\profile spent and were told, by profile: \\credits
        # and the toolbar count the whole session's, whatever switches came in between.
        self.tallies: dict[str, Tally] = {}
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
        # What was typed at a prompt has positions too: the error in the second statement
        # of a line, or after a comment line, is where it was typed (with no file name).
        named = "" if source is None and self.interactive else source
        for kind, item, where in self._items(text, named):
            if self.done:
                break
            if kind == "unfinished":
                self.prefill = item
                continue
            before = self._usage()
            try:
                if kind == "command":
                    result = self._command(item)
                else:  # an error is then said in the query's terms (after its EXPLAIN)
                    item, where, explain = _explained(item, where)
                    result = self._statement(item, where, explain)
            except Terminated:
                raise
            except KeyboardInterrupt:
                self._piece_done(False)
                self._cancelled(before)
                return 130
            except BrokenPipeError:  # whoever read our output has gone: so is the point of going on
                raise
            except OSError as exc:  # a file that cannot be read or written (\o, \export, \e);
                self._file_failed(exc)  # before CoqlError: an export's TargetError/ExportError is both
                result = exit_code(exc)
            except (CoqlError, ApiError) as exc:
                self._message(self.describe(exc, where if kind == "statement" else None, item))
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
                yield from _statements(joined, start)
                pending = []
                yield "command", stripped, Where(text, number, 1, source)
                continue
            if pending and interrupts(joined, line):
                interrupted = True
                done, rest, rest_start = _open_tail(joined, start)
                yield from _statements(done, start)
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
        yield from _statements(tail, start)

    def _usage(self) -> tuple[int, int]:
        """The credits spent and the calls sent so far on the connection (metadata's too)."""
        return self.conn.credits_used, self.conn.aio.client.sends

    def _cancelled(self, before: tuple[int, int]) -> None:
        """Ctrl-C stopped a statement (its usage was ``before`` it began): said, with what
        it spent, and the shell carries on."""
        credits, calls = (now - then for now, then in zip(self._usage(), before, strict=True))
        spent = f" · {calls:,} call{'s' if calls != 1 else ''} · {self._credits(credits)}" if calls else ""
        self._message(f"cancelled (Ctrl-C){spent}")

    def describe(self, exc: BaseException, where: Where | None, statement: str = "") -> str:
        """An error as the person should read it: with the input's positions, and a hint."""
        if isinstance(exc, CoqlSyntaxError):  # as the check's diagnostics read: error[CODE]
            return (where or Where(exc.text)).syntax(exc)
        if where is not None and where.source is not None and isinstance(exc, ValidationError):
            errors = [d for d in exc.diagnostics if d.is_error] or list(exc.diagnostics)
            return "\n".join(where.diagnostic(d, statement) for d in errors)
        if isinstance(exc, ParameterError):
            return self._parameter_error(exc, where, statement)
        return (where.prefix() if where is not None else "") + str(exc)

    def _parameter_error(self, exc: ParameterError, where: Where | None, statement: str) -> str:
        """A parameter's error where the parameter stands, in the input's positions (a
        value missing: the first place its name stands), with what to do."""
        hint = None
        missing = re.match(r"no value given for :(\w+)", exc.description)
        if missing:
            name = missing.group(1)
            command = f"\\set {name} VALUE"
            how = command if self.interactive else f"--param {name}=VALUE (or {command} before the query)"
            hint = f"give it a value: {how}"
        span = exc.span if exc.text == statement else None
        if span is None and missing and statement:
            try:
                found = [n.span for n in parse(statement).walk() if isinstance(n, Param) and n.name == name]
            except CoqlError:
                found = []
            span = min((s for s in found if s is not None), key=lambda s: s.start, default=None)
        if where is None or span is None:
            text = exc.description + (f"\n  hint: {hint}" if hint else "")
            return (where.prefix() if where is not None else "") + text
        return where.diagnostic(Diagnostic(ParameterError.code, exc.description, span, hint=hint), statement)

    # ---- statements ----------------------------------------------------------------------------

    def _file_failed(self, exc: OSError) -> None:
        """Say that a file could not be read or written (the ``\\o`` file's failure also
        says where the output goes now)."""
        if not self._output_failed(exc):
            self._message(f"{exc.filename or 'file'}: {exc.strerror or exc}")

    def _statement(self, text: str, where: Where | None = None, explain: str = "") -> int:
        """The query ``text`` run, or with ``explain`` (``EXPLAIN``, ``EXPLAIN ANALYZE``)
        explained; see :func:`_explained`."""
        if not text and not explain:
            return 0
        if explain:
            return self._explain(text, analyze=explain.upper() != "EXPLAIN", where=where)
        return self._query(text, where)

    def _plan(self, text: str, params: dict[str, Any], where: Where | None) -> Result | None:
        """``text`` checked and planned, its warnings shown; None when strict mode refuses it
        (before anything is spent: the check alone, then the plan's COUNT probe)."""
        if self.strict:
            found = [d for d in self.conn.check(text, params) if d.severity is Severity.WARNING]
        else:
            result = self.conn._query(text, params, _called="", **self.options)  # its warnings: shown here
            found = result.warnings
        if found and not self.quiet:
            for d in found:
                self._message(where.diagnostic(d, text) if where is not None else d.format(text))
        if found and self.strict:
            self._message("not run: strict mode refuses a query with warnings (turn it off to run it)")
            return None
        return self.conn._query(text, params, _called="", **self.options) if self.strict else result

    def _explain(self, query: str, *, analyze: bool, where: Where | None = None) -> int:
        if analyze:
            return self._analyze(query, where)
        with self._failing(), _own_warnings():
            text, result = self.conn._explain(query, self.params, **self.options)
        self._remember(query)
        if not self.quiet:
            for d in result.warnings:
                self._message(where.diagnostic(d, query) if where is not None else d.format(query))
        self._emit(text + "\n")
        return 0

    def _analyze(self, query: str, where: Where | None) -> int:
        """EXPLAIN ANALYZE: the query runs as a query does (its check's warnings, strict
        mode, the credits question, the progress line, Ctrl-C), and what it read is
        measured, not shown: the plan comes with what each step really did."""
        with self._failing():
            result = self._plan(query, self.params, where)
        if result is None:  # strict mode refused it: it did not run
            self.failed_since = self.last is not None
            return 1
        self._remember(query, "EXPLAIN ANALYZE does not keep its rows")
        if not self._confirmed(result):
            return 0
        # As fast as a query reads (not lazily, as for `| head`): it is the read measured.
        with _own_warnings(), contextlib.closing(self._with_progress(result, lazy=False)) as source:
            for _ in source:
                pass
        self._emit(_analyzed(result) + "\n")
        return 0

    def _remember(self, text: str, unkept: str = "its rows were not read") -> None:
        """``text`` (with the parameters it ran with) is the last query, for ``\\export``;
        ``unkept`` says why its rows are not kept, unless they are (an earlier run's)."""
        if self.kept is not None and (self.kept.text, self.kept.params) != (text, self.params):
            self.kept = None
        if self.kept is None:
            self.unkept = unkept
        self.last, self.last_params = text, dict(self.params)
        self.last_label = self.label
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
        """Whether to run ``result``: yes, unless what it is still to spend passes the
        configured threshold and the person at the prompt says no. The COUNT probe that
        planned it is spent already, whatever the answer: it is said, not asked about."""
        calls, credits, planned = _to_spend(result)
        threshold = self.config.confirm_above_credits
        if self.confirm is None or not threshold or credits <= threshold:
            return True
        question = (
            f"This query would spend about {credits:,} credit{'s' if credits != 1 else ''} "
            f"({calls:,} call{'s' if calls != 1 else ''}){planned}. Run it?"
        )
        try:
            if self.confirm(question):
                return True
        except EOFError:  # Ctrl-D at the question: no, as n is
            pass
        self._message("not run")
        return False

    def _clock_after_asking(self, result: Result, started: float) -> float | None:
        """``started`` moved on by the time the credits question waited for an answer (that
        wait is not the run's time); None when the answer was no."""
        asked = time.perf_counter()
        if not self._confirmed(result):
            return None
        return started + time.perf_counter() - asked

    def _query(self, text: str, where: Where | None = None) -> int:
        started = time.perf_counter()
        with self._failing():
            result = self._plan(text, self.params, where)
        if result is None:  # strict mode refused it: it did not run
            self.failed_since = self.last is not None
            return 1
        self._remember(text)
        clock = self._clock_after_asking(result, started)
        if clock is None:
            return 0
        self.kept = None  # its rows, read now, take the place of any kept of an earlier run
        with _own_warnings(), contextlib.closing(self._keeping(result, text)) as source:
            status = self._show(result, source, clock)
        self._check_count(result)
        return status

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
        clock = self._clock_after_asking(result, started)
        if clock is None:
            return 0
        return self._export_result(result, target, kind, clock)


def _analyzed(result: Result) -> str:
    """The EXPLAIN ANALYZE text of ``result``, read to the end, as the Python API writes it
    (not the check's warnings among its notes: those were said before it ran)."""
    return analyzed(result.plan, result.stats, said={d.format(result.text) for d in result.warnings})


def _explained(statement: str, where: Where) -> tuple[str, Where, str]:
    """A statement as the query it runs, where that query starts, and the EXPLAIN before
    it (``""``: none): the query's errors are positioned in it, and placed in the input
    after the EXPLAIN.

    >>> query, where, explain = _explained("explain analyze select Emial from Leads;", Where("x", 2, 3))
    >>> query, where.line, where.column, explain
    ('select Emial from Leads', 2, 19, 'explain analyze')
    """
    text = statement.rstrip().rstrip(";").rstrip()
    match = explain_at(text)
    if match is None:
        return text, where, ""
    rest = text[match.end() :]
    query = rest.strip()
    return query, where.after(text[: len(text) - len(rest.lstrip())]), " ".join(match.group(1).split())
