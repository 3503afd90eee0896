"""The REPL's shell as ``coqlkit query``, ``explain`` and ``export`` run it: in the command
line's words (``--strict``, a script's ``\\strict``), its summary counting the org's
metadata apart, error lines for a log (``coqlkit: error: FILE:LINE:``), a short read and a
standard output that cannot be written said as the command line says them.

Apart from :mod:`coqlkit.cli._query` (the commands, their options and exit statuses)
because it is the shell's side, made when first needed: the shell loads pyarrow.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coqlkit.cli._query import (
    REPL_STRICT_REFUSAL,
    SCRIPT_STRICT_REFUSAL,
    STDOUT,
    STRICT_REFUSAL,
    _Counted,
    _maybe_charged,
    _plural,
    _terminal,
    _written,
    error_line,
    error_lines,
)
from coqlkit.errors import CoqlSyntaxError, ParameterError, ValidationError

if TYPE_CHECKING:
    from coqlkit.cli._stats import Record
    from coqlkit.repl.shell import Shell, Where

__all__ = ["_cli_shell"]


@functools.cache
def _cli_shell() -> type[Shell]:
    """The REPL's :class:`~coqlkit.repl.shell.Shell` as ``coqlkit query`` and ``export`` run
    it (made when first needed: the shell loads pyarrow)."""

    from coqlkit.api import Result
    from coqlkit.execute import short_read
    from coqlkit.plan.explain import choice_text
    from coqlkit.repl.shell import Shell, ShortRead

    class CliShell(Shell):
        """The shell in the command line's words (``--strict``, or a script's ``\\strict``,
        refused a query: not the REPL's "strict mode" to turn off); its summary counts the credits spent on the
        org's metadata apart from the query's, as the notebook magics do, so that it adds
        up to what the org charged; ``coqlkit export``'s hint for a missing ``--param``
        has no ``\\set`` (its query is one statement)."""

        # conn.credits_used when the query being run was planned; for the first query, 0:
        # what was spent since connecting (the org's details, fetched then) is metadata too.
        planned_at: int | None = None
        lost_at = (0, 0)  # the client's unanswered calls and their credits then
        exporting = False  # coqlkit export: one query, no \set before it
        record: Record | None = None  # the run's figures (--stats-json)
        # --stop-on-error: a statement or command that fails ends the script (psql's
        # ON_ERROR_STOP); failed_to_stop: one has, said_stop: where the rest starts was said.
        stop_on_error = failed_to_stop = said_stop = False
        written_before = 0  # what standard output had taken when the statement started

        def _plan(self, text: str, params: dict[str, Any], where: Where | None) -> Result | None:
            first = self.planned_at is None
            self.planned_at = 0 if first else self.conn.credits_used
            client = self.conn.aio.client
            self.lost_at = (0, 0) if first else (client.unanswered_calls, client.unanswered_credits)
            result = super()._plan(text, params, where)
            if result is not None and self.record is not None:
                self.record.planned(result)
            return result

        # What turned strict mode on, for its refusals to name: the option, or the script.
        strict_by = "--strict"

        at: Where | None = None  # where the statement or command being run starts
        erring = False  # the messages said now are errors (_erring)
        # A command's last message, held till it is known whether the command failed (None:
        # no command is being run, or one is running a script: \i, \e).
        held: list[str] | None = None

        def _message(self, text: str) -> None:
            """Said on standard error; an error as the command line's error lines are,
            ``coqlkit: error: FILE:LINE: ...`` (:func:`error_line`): what is said meanwhile
            when it is one (:meth:`_erring`), a command's last message when the command
            fails (:meth:`_command`), and strict mode's refusal, which fails its statement."""
            if text == REPL_STRICT_REFUSAL:
                strict = STRICT_REFUSAL if self.strict_by == "--strict" else SCRIPT_STRICT_REFUSAL
                text = error_line(strict, self.at)
            elif self.erring:
                text = error_line(text, self.at)
            elif self.held is not None:  # the one held before is no error: another came after it
                for said in self.held:
                    super()._message(said)
                self.held[:] = [text]
                return
            super()._message(text)

        def cmd_strict(self, arg: str) -> int:
            """``\\strict`` as the shell takes it; a refusal then names it, not ``--strict``."""
            was = self.strict
            status = super().cmd_strict(arg)
            if self.strict and not was:
                self.strict_by = "\\strict"
            return status

        def _check_count(self, result: Result) -> None:
            """A query's read that came back short (records deleted or changed during it:
            live records may be missing) fails it, exit 6, as ``export``'s does: ``-o FILE``
            is then left as it was; rows already written to standard output cannot be taken
            back, and the error says so. ``--allow-short`` makes it a warning. A bulk read of
            one job whose rows are not the count's is one snapshot, none missing: a note."""
            stats = result.stats
            found = stats.mismatch
            if found is None or found[0] >= found[1] or self.allow_short:
                super()._check_count(result)
                return
            rows, counted = found
            missing = short_read(rows, counted)
            if self.sink is not None:
                raise ShortRead(f"{missing}; run it again (--allow-short writes what was read)")
            raise ShortRead(
                f"{missing}; the {rows:,} rows written to standard output are not all of them: run it "
                "again (--allow-short makes this a warning)"
            )

        def _snapshot_note(self, result: Result) -> None:
            """One bulk-read job: its rows are one snapshot, none missing (said, not exit 6)."""
            if self.quiet:
                return
            for note in result.stats.notes:
                if "snapshot" in note and "COUNT probe" in note:
                    self._message(f"coqlkit: note: {note}")

        def _summary(self, result: Result, rows: int, started: float) -> None:
            if self.record is not None:
                self.record.wrote(rows)
            super()._summary(result, rows, started)
            if self.timing:
                self._chosen(result)

        def _wrote(self, rows: int, *args: Any, **kwargs: Any) -> None:
            if self.exporting and self.record is not None:  # (not a script's \export of kept rows)
                self.record.wrote(rows)
            super()._wrote(rows, *args, **kwargs)

        def _export_result(self, result: Result, target: Path, kind: str, started: float) -> int:
            status = super()._export_result(result, target, kind, started)
            if not self.quiet:
                self._chosen(result)
            return status

        def _chosen(self, result: Result) -> None:
            """After the summary: why the plan is slower than the fastest, when the budget
            or the org's credits left today passed that one over (a nightly job that takes
            25 times as long says why)."""
            found = result.plan
            if found.choice is not None and found.choice.reason == "budget":
                leaves = dict.fromkeys(step.name for step in found.steps() if not step.children)
                self._message(f"note: {' + '.join(leaves)} {choice_text(found)}")

        def _cancelled(self, before: tuple[int, int]) -> None:
            """Ctrl-C ends the command (exit 130), said as ``coqlkit export`` says it:
            ``coqlkit: interrupted`` and what was spent (:func:`_guard`)."""
            raise KeyboardInterrupt

        def _credits(self, credits: int) -> str:
            """``N credits`` (the query's), and ``(+M for metadata)``: what else was spent
            since the query was planned (the org, its modules, the fields of the modules it
            reads); calls sent whose answers were lost (and sent again) apart, as maybe charged."""
            client = self.conn.aio.client
            lost_calls = client.unanswered_calls - self.lost_at[0]
            lost = client.unanswered_credits - self.lost_at[1]
            metadata = self.conn.credits_used - (self.planned_at or 0) - credits - lost
            extra = [f"+{metadata:,} for metadata"] if metadata > 0 else []
            if lost > 0:
                extra.append(_maybe_charged(lost, lost_calls))
            return _plural(credits, "credit") + (f" ({'; '.join(extra)})" if extra else "")

        def _items(self, text: str, source: str | None = None) -> Iterator[tuple[str, str, Where]]:
            """The statements and commands, with where each starts; none after one that
            failed when ``--stop-on-error`` was given (said once, where the rest starts)."""
            for kind, item, where in super()._items(text, source):
                if self.failed_to_stop:
                    if not self.said_stop:  # (an \i FILE's rest, then the rest after the \i)
                        self.said_stop = True
                        place = f"{where.source}:" if where.source else ""
                        self._message(
                            f"coqlkit: stopped at the error (--stop-on-error): nothing from "
                            f"{place}{where.line}:{where.column} on was run"
                        )
                    return
                self.at = where  # where the statement or command being run starts
                yield kind, item, where

        def _statement(self, *args: Any, **kwargs: Any) -> int:
            self.written_before = _written(self.out)
            return super()._statement(*args, **kwargs)

        def _command(self, *args: Any, **kwargs: Any) -> int:
            """The command run; when it fails (a status not 0), its last message is the
            reason, said as an error (``\\x bogus``, ``\\d Nope``, ``\\o`` a file that
            cannot be written...): one rule for every command. One that raises says its
            error as every error is said (:meth:`describe`, :meth:`_file_failed`)."""
            self.written_before = _written(self.out)  # (a \d that fails wrote no rows)
            at, outer, self.held = self.at, self.held, []
            status = None
            try:
                status = super()._command(*args, **kwargs)
                return status
            finally:  # (an exception raised: it says its own error; what was held is none)
                held, self.held = self.held or [], outer
                for text in held:
                    super()._message(error_line(text, at) if status else text)

        def execute(self, text: str, *, source: str | None = None) -> int:
            """A script run by a command (``\\i FILE``, ``\\e``): its statements and
            commands say their own errors, where they are in it; what the command said
            before goes first."""
            held, self.held = self.held, None
            for said in held or []:
                super()._message(said)
            try:
                return super().execute(text, source=source)
            finally:
                self.held = None if held is None else []

        def _file_failed(self, exc: OSError) -> None:  # (a file that failed fails its command)
            lost = self._stdout_lost(exc)
            with self._erring():
                if lost is not None:
                    self._message(lost)
                    return
                super()._file_failed(exc)

        def _stdout_lost(self, exc: BaseException) -> str | None:
            """When ``exc`` is standard output's write failing (a full disk under ``>
            out.csv``), what to say; the rest is not run: it was meant for standard output too."""
            if not isinstance(self.out, _Counted) or exc is not self.out.failed:
                return None
            self.done = True
            return f"{STDOUT}: {self.out.failed.strerror}; stopping (what it holds is incomplete)"

        def _piece_done(self, ok: bool) -> int:  # (says only that the \o file failed)
            with self._erring():
                status = super()._piece_done(ok)
            if self.stop_on_error and (status or not ok):
                self.failed_to_stop = True  # (the rest is not run: see _items)
            return status

        def close(self, *, keep: bool = True) -> int:  # (says only that the \o file failed)
            with self._erring():
                return super().close(keep=keep)

        @contextlib.contextmanager
        def _erring(self) -> Iterator[None]:
            """Messages said meanwhile are errors: ``coqlkit: error: `` and where in the
            script (:func:`error_line`)."""
            self.erring = True
            try:
                yield
            finally:
                self.erring = False

        def describe(self, exc: BaseException, where: Where | None, statement: str = "") -> str:
            lost = self._stdout_lost(exc)  # (a CoqlError too, as an export's ExportError may be)
            if lost is not None:
                return error_line(lost, where or self.at)
            if isinstance(exc, (CoqlSyntaxError, ValidationError, ParameterError)):
                # Diagnostics as lint writes them: FILE:line:col: error[CODE]: ..., with a caret;
                # in a log (not a terminal), then one error line each, for grep to find.
                text = super().describe(exc, where, statement)
                if not _terminal(self.err):
                    text += "".join(f"\n{line}" for line in error_lines(text))
            elif isinstance(exc, OSError):  # an export's file: its name, then why (as _file_failed)
                text = error_line(f"{exc.filename or 'file'}: {exc.strerror or exc}", where or self.at)
            else:
                text = error_line(str(exc), where or self.at)
            short = isinstance(exc, ShortRead)  # (its message says what was written)
            if self.sink is None and _written(self.out) > self.written_before and not short:
                # Rows went out before the error: what was written looks whole, and is not.
                text += (
                    "\ncoqlkit: standard output is incomplete: this query's first rows were written "
                    "before it failed (-o FILE writes all of a query's rows or nothing)"
                )
            if self.exporting and isinstance(exc, ParameterError):  # one statement: no \set before it
                text = re.sub(r" \(or \\set \w+ VALUE before the query\)", "", text)
            return text

    return CliShell
