"""Where a shell's results and messages go: the screen (through the pager), an ``\\o``
file, an exported file; with the progress line of a long read, the summary after it, the
rows of the last query kept for ``\\export``, and the count check that says a read came
back short.

:class:`_Results` is the part of :class:`~coqlkit.repl.shell.Shell` that writes them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import time
import warnings
from collections.abc import Callable, Generator, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

import pyarrow as pa

from coqlkit import export
from coqlkit.api import Connection, Result
from coqlkit.errors import ConsistencyWarning
from coqlkit.execute import short_read
from coqlkit.execute.scan import Lazy
from coqlkit.plan import Plan
from coqlkit.plan.steps import ColumnSplit, InUnion
from coqlkit.repl import output
from coqlkit.repl.config import ReplConfig
from coqlkit.repl.status import ShortRead, exit_code

__all__ = ["KEEP_BYTES", "KEEP_ROWS"]

#: The rows of a result kept for ``\\export`` (beyond them, or beyond :data:`KEEP_BYTES`,
#: ``\\export`` runs the query again).
KEEP_ROWS = 100_000
KEEP_BYTES = 256 * 1024 * 1024


@dataclasses.dataclass
class _Kept:
    """The rows of the last query, read whole, for ``\\export`` to write again."""

    text: str
    params: dict[str, Any]
    table: pa.Table
    plan: Plan
    #: The time zone of the org they were read from (an ``\\export`` after ``\\profile``
    #: writes them there, not in the new org's; ``\\tz`` since sets another).
    zone: str = ""


class _Results:
    """The output half of :class:`~coqlkit.repl.shell.Shell` (which sets what is declared here)."""

    conn: Connection
    config: ReplConfig
    out: TextIO
    err: TextIO
    progress: bool
    terminal_size: Callable[[], tuple[int, int]] | None
    params: dict[str, Any]
    timing: bool
    fmt: str
    quiet: bool
    allow_short: bool
    lazy: Lazy
    mkdir: bool
    keep_rows: int
    kept: _Kept | None
    unkept: str
    sink: TextIO | None
    sink_path: Path | None
    _output: export.PiecewiseText | None
    done: bool
    interactive: bool
    display: bool

    # ---- messages and the screen ------------------------------------------------------------------

    def _message(self, text: str) -> None:
        print(text, file=self.err, flush=True)

    def _warn(self, text: str) -> None:
        if not self.quiet:
            self._message(f"coqlkit: warning: {text}")

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

    def _show(self, result: Result, source: Iterator[pa.RecordBatch], started: float) -> int:
        """The rows: on a screen, as much as fits, with ``(N rows)`` under them; to a file
        (``\\o FILE``, ``-o FILE``) or a pipe, every row. A file gets no ``(N rows)``: it
        would be part of the data (a stray row under a markdown table, a line in a text
        file read back); nor does markdown anywhere but on a screen (a line right after a
        GFM table is one more row of it); the data formats (csv, json...) never have one.
        A table or vertical view to a pipe keeps it, as psql writes it."""
        if self.sink is None and self.display:
            width = self.terminal_size()[0] if self.terminal_size else None
            rendered = output.render(
                source, config=self.config, fmt=self.fmt, width=width, schema=result.schema
            )
            took = time.perf_counter() - started  # the read is done: the time in the pager is the reader's
            self._emit(rendered.screen)
            self._summary(result, rendered.total, time.perf_counter() - took)
            return 0
        target = self.sink if self.sink is not None else self.out
        name = output.resolve_format(self.fmt)
        if name in output.MACHINE_FORMATS:  # streamed, nothing but data
            # The first page is in before the header goes out: a query that fails at once
            # leaves no output that looks like an empty result.
            first = next(source, None)
            rest: Iterator[pa.RecordBatch] = itertools.chain([] if first is None else [first], source)
            if self.sink is None:  # a pipe's reader may have left (| head): found before a page more
                rest = _flushed_between(rest, target)
            rows = output.write(rest, target, config=self.config, fmt=self.fmt, schema=result.schema)
        elif self.sink is None and name != "markdown":  # a view for people to a pipe: (N rows) under it
            whole = output.render(
                source, config=self.config, fmt=self.fmt, capped=False, schema=result.schema
            )
            target.write(whole.screen + "\n")
            rows = whole.total
        else:  # a view for people, whole, with no footer
            rows = output.write(source, target, config=self.config, fmt=self.fmt, schema=result.schema)
        target.flush()
        self._summary(result, rows, started)
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
            self.kept = _Kept(text, dict(self.params), table, result.plan, str(self.conn.aio.tz))

    def _with_progress(
        self, result: Result, *, lazy: Lazy | None = None
    ) -> Generator[pa.RecordBatch, None, None]:
        """The result's batches, with the progress line of a read of several calls (the
        COUNT probe made before it apart); ``lazy`` (by default the shell's): a scan's first
        page alone until more is wanted."""
        expected = result.estimated_rows
        pages = result.plan.estimate.calls - result.plan.spent[0]
        reader = result.record_batches(lazy=self.lazy if lazy is None else lazy)
        try:
            if not self.progress or pages < 2:
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
        """Say when the rows read disagree with the COUNT probe (records changed meanwhile);
        a bulk read of one job whose rows are not the count's (a snapshot, none missing) is
        said as a note, with or without ``\\timing``."""
        found = _count_mismatch(result)
        if found is not None:
            self._warn(_count_message(*found))
        elif result.stats.snapshot_changed is not None:
            self._snapshot_note(result)

    def _snapshot_note(self, result: Result) -> None:
        """The note of a one-job bulk read whose rows are not the count's (records changed
        between the count and the job's snapshot: none missing)."""
        for note in result.stats.notes:
            if "snapshot" in note and "COUNT probe" in note:
                self._message(f"note: {note}")

    def _summary(self, result: Result, rows: int, started: float) -> None:
        """With ``\\timing``: rows, calls, credits and the time the query took since
        ``started`` (a clock moved on by the waits that were not the query's: the credits
        question, the pager), so that runs compare; then the notes of its read."""
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

    def _credits(self, credits: int) -> str:
        """A query's credits in its summary line (``coqlkit export`` adds the metadata's)."""
        return f"{credits:,} credit{'s' if credits != 1 else ''}"

    # ---- exports -------------------------------------------------------------------------------

    def _export_kind(self, target: Path) -> str | None:
        """The format ``target``'s extension names (None: said why there is none)."""
        problem = export.no_format(target, "rows.csv")
        if problem is not None:
            self._message(problem)
            return None
        return export.format_of(target)

    def _export_result(self, result: Result, target: Path, kind: str, started: float) -> int:
        def verify() -> None:
            found = _count_mismatch(result)
            if found is not None and found[0] < found[1] and not self.allow_short:
                how = "run \\export again" if self.interactive else "--allow-short writes what was read"
                kept = "was left as it was" if target.exists() else "was not written"
                raise ShortRead(f"coqlkit: {_count_message(*found, short=True)}; {target} {kept} ({how})")

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

    def _wrote(
        self,
        rows: int,
        target: Path,
        how: str,
        calls: int,
        credits: int,
        started: float,
        *,
        spent: str | None = None,
    ) -> None:
        """The summary of an export; ``spent`` says its credits when they are known without
        :meth:`_credits` (rows kept from an earlier run: nothing)."""
        if self.quiet:
            return
        seconds = time.perf_counter() - started
        self._message(
            f"wrote {rows:,} row{'s' if rows != 1 else ''} to {target} · {how} · "
            f"{calls:,} call{'s' if calls != 1 else ''} · {spent or self._credits(credits)} · {seconds:.2f} s"
        )

    # ---- the \o file ----------------------------------------------------------------------------

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


def _flushed_between(batches: Iterator[pa.RecordBatch], target: Any) -> Iterator[pa.RecordBatch]:
    """``batches``, ``target`` flushed before each one after the first is asked for: a
    reader of standard output that has gone (``| head -1``) raises BrokenPipeError there,
    before the read sends a call for rows no one will read (the rows written so far may
    still sit in the stream's buffer until then)."""
    for batch in batches:
        yield batch
        target.flush()


def _count_mismatch(result: Result) -> tuple[int, int] | None:
    """(rows read, rows counted) when a read's rows disagree with a count made around it
    (records changed during the read), as the executor found and warned of; a count
    remembered from an earlier run that moved since is not one."""
    return result.stats.mismatch


def _count_message(rows: int, expected: int, *, short: bool = False) -> str:
    if rows < expected:
        return f"{short_read(rows, expected, figures=not short)}; run it again"
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
