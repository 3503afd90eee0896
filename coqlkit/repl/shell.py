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
130   interrupted (Ctrl-C)
====  ==============================================================

Errors are printed as their caret diagnostics, never as tracebacks. Ctrl-C stops the
statement running and whatever was to follow it in the same input (a pasted script, a
file run with ``\\i``); the shell itself carries on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
import itertools
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO

import pyarrow as pa

from coqlkit import export
from coqlkit.api import Connection, Result, connect
from coqlkit.errors import (
    ApiError,
    AuthError,
    ConfigError,
    CoqlError,
    CreditBudgetExceeded,
    RateLimited,
    TransportError,
)
from coqlkit.language import split_statements
from coqlkit.language.split import code_only
from coqlkit.repl import output
from coqlkit.repl.commands import find, help_text
from coqlkit.repl.config import ReplConfig

__all__ = ["EXIT_CODES", "Shell", "exit_code", "parse_value"]

EXIT_CODES = {
    "ok": 0,
    "query": 1,
    "usage": 2,
    "connection": 3,
    "timeout": 4,
    "budget": 5,
    "interrupted": 130,
}


def exit_code(exc: BaseException) -> int:
    """The exit status for an error (see the module's table)."""
    if isinstance(exc, KeyboardInterrupt):
        return 130
    if isinstance(exc, CreditBudgetExceeded) or (
        isinstance(exc, RateLimited) and exc.code == "LIMIT_REACHED"
    ):
        return 5
    if isinstance(exc, TransportError) and exc.code == "TIMEOUT":
        return 4
    if isinstance(exc, (TransportError, AuthError, RateLimited)):
        return 3
    if isinstance(exc, ConfigError):
        return 2
    if isinstance(exc, (CoqlError, ApiError)):
        return 1
    raise exc  # not ours: a bug, let it show


#: How deep ``\\i`` may nest (a file that runs itself stops here instead of recursing forever).
MAX_INCLUDE_DEPTH = 16

_EXPLAIN = re.compile(r"^\s*explain(\s+analyze)?\b", re.I)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)$")


def parse_value(text: str) -> Any:
    """A ``\\set`` value as a typed parameter: ``'text'``, ``42``, ``12.5``, ``true``,
    ``2024-05-01``, ``2024-05-01T09:30:00+05:30``, ``(a, b, c)`` (a list for IN); anything
    else is text.

    >>> [parse_value(v) for v in ("'O''Brien'", "42", "true", "2024-05-01", "(1, 'a')", "Contacted")]
    ["O'Brien", 42, True, datetime.date(2024, 5, 1), [1, 'a'], 'Contacted']
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
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if re.fullmatch(r"[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?", text):
        try:
            return Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern is a decimal
            return text
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


class Shell:
    """Runs statements and commands against a connection; see the module's docstring.

    ``confirm(question)`` asks the person at the prompt (None: never ask — scripts);
    ``progress`` shows a progress line on ``err`` during multi-page reads;
    ``terminal_size()`` gives (columns, lines) for formatting and the pager (None: no pager);
    ``connect_profile(name)`` opens another profile's connection (``\\profile``);
    ``editor(text)`` returns ``text`` as edited by the user (``\\e``).

    ``display``: ``out`` is read by a person, so a result shows at most the configured
    row cap (and says so). When false (``coqlkit query`` writing to a pipe or a file), every
    row is written: CSV, TSV and JSON streamed with nothing but the data, a table whole.

    ``interactive``: there is a prompt to hand text back to. ``\\e`` then leaves what was
    saved in :attr:`prefill` for the next prompt (with :attr:`accept_prefill` when it is a
    whole statement, to run as it is); without a prompt, ``\\e`` runs what was saved.
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
    ) -> None:
        self.conn = conn
        self.config = config
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.label = label
        self.confirm = confirm
        self.progress = progress
        self.terminal_size = terminal_size
        self.connect_profile = connect_profile or (lambda name: connect(name))
        self.editor = editor or _edit
        self.params: dict[str, Any] = {}
        self.timing = config.timing
        self.fmt = config.format
        self.last: str | None = None
        self.sink: TextIO | None = None
        self.sink_path: Path | None = None
        self.done = False
        self.interactive = interactive
        self.display = display
        self.prefill = ""  # text for the next prompt (after \e)
        self.accept_prefill = False  # ... and whether to run it at once (a whole statement)
        self.metadata_changed = False  # \refresh or \profile: the prompt's catalog is stale
        self._depth = 0  # \i nesting

    # ---- input -------------------------------------------------------------------------------

    def execute(self, text: str) -> int:
        """Run every command and statement in ``text``; the worst status. Ctrl-C stops the
        one running and skips the rest (status 130)."""
        status = 0
        for kind, item in self._items(text):
            if self.done:
                break
            try:
                result = self._command(item) if kind == "command" else self._statement(item)
            except KeyboardInterrupt:
                self._message("cancelled (Ctrl-C)")
                return 130
            except (CoqlError, ApiError) as exc:
                self._message(str(exc))
                result = exit_code(exc)
            except BrokenPipeError:  # whoever read our output has gone: so is the point of going on
                raise
            except OSError as exc:  # a file that cannot be read or written (\o, \export, \e)
                self._message(f"{exc.filename or 'file'}: {exc.strerror or exc}")
                result = 2
            if result == 130:  # interrupted inside \i: the rest of this input stops too
                return 130
            status = max(status, result)
        return status

    def _items(self, text: str) -> Iterator[tuple[str, str]]:
        """Commands (a line of their own, between statements) and statements (ending at ;),
        in the order they come."""
        pending: list[str] = []
        for line in text.splitlines():
            stripped = line.strip()
            if _is_command(stripped) and _complete("\n".join(pending)):
                yield from self._statements("\n".join(pending))
                pending = []
                yield "command", stripped
                continue
            pending.append(line)
        yield from self._statements("\n".join(pending))

    @staticmethod
    def _statements(text: str) -> Iterator[tuple[str, str]]:
        for statement in split_statements(text):
            if code_only(statement.text).strip():
                yield "statement", statement.text.strip()

    def _message(self, text: str) -> None:
        print(text, file=self.err, flush=True)

    # ---- statements ----------------------------------------------------------------------------

    def _statement(self, text: str) -> int:
        text = text.rstrip().rstrip(";").rstrip()
        if not text:
            return 0
        match = _EXPLAIN.match(text)
        if match:
            query = text[match.end() :].strip()
            return self._explain(query, analyze=bool(match.group(1)))
        return self._query(text)

    def _explain(self, query: str, *, analyze: bool) -> int:
        text = self.conn.explain(query, self.params, analyze=analyze)
        self._emit(text + "\n")
        self.last = query
        return 0

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

    def _query(self, text: str) -> int:
        started = time.perf_counter()
        result = self.conn.query(text, self.params)
        self.last = text
        if not self._confirmed(result):
            return 0
        source = self._with_progress(result)
        if self.sink is not None or not self.display:  # a file or a pipe: every row
            target = self.sink if self.sink is not None else self.out
            if output.resolve_format(self.fmt) in output.MACHINE_FORMATS:  # streamed, nothing but data
                # The first page is in before the header goes out: a query that fails at once
                # leaves no output that looks like an empty result.
                first = next(source, None)
                source = itertools.chain([] if first is None else [first], source)
                rows = output.write(source, target, config=self.config, fmt=self.fmt, schema=result.schema)
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

    def _with_progress(self, result: Result) -> Iterator[pa.RecordBatch]:
        expected = result.estimated_rows
        pages = result.plan.estimate.calls
        reader = result.record_batches()
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
                    line = (
                        f"\r{rows:,}{total} rows · {spent:,} credits · {now - started:.1f} s  (Ctrl-C stops)"
                    )
                    self.err.write(line)
                    self.err.flush()
                yield batch
        finally:
            self.err.write("\r\x1b[K")
            self.err.flush()

    def _summary(self, result: Result, rows: int, started: float) -> None:
        if not self.timing:
            return
        stats = result.stats
        seconds = time.perf_counter() - started
        self._message(
            f"{rows:,} row{'s' if rows != 1 else ''} · {stats.calls:,} call{'s' if stats.calls != 1 else ''} · "
            f"{stats.credits:,} credit{'s' if stats.credits != 1 else ''} · {seconds:.2f} s"
        )
        for note in stats.notes:
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

    # ---- commands --------------------------------------------------------------------------------

    def _command(self, line: str) -> int:
        word, _, arg = line.partition(" ")
        command = find(word)
        if command is None and word.rstrip(";").lower() in ("quit", "exit"):
            command = find("\\q")
        if command is None:
            self._message(f"unknown command {word}: \\? lists the commands")
            return 2
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
        fields = self.conn.fields(arg)
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
        choice = arg.lower()
        if choice in ("", "toggle"):
            self.fmt = "table" if self.fmt == "vertical" else "vertical"
        elif choice in ("on", "off", "auto"):
            self.fmt = {"on": "vertical", "off": "table", "auto": "auto"}[choice]
        else:
            self._message("\\x takes on, off or auto")
            return 2
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

    def cmd_credits(self, arg: str) -> int:
        left = self.conn.credits_remaining
        tail = f"; {left:,} left today" if left is not None else "; Zoho has not said how many are left today"
        self._message(f"{self.conn.credits_used:,} credits used this session{tail}")
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
        kind = target.suffix.lower().lstrip(".")
        if kind not in ("parquet", "csv", "json", "jsonl", "arrow", "feather"):
            self._message(
                f"cannot tell the format of {target.name}: use .parquet, .csv, .json, .jsonl or .arrow"
            )
            return 2
        started = time.perf_counter()
        result = self.conn.query(self.last, self.params)
        if not self._confirmed(result):
            return 0
        if kind == "parquet":
            result.to_parquet(target)
        elif kind == "csv":
            result.to_csv(target)
        else:
            with export.atomic_path(target) as temp:
                source = self._with_progress(result)
                if kind in ("arrow", "feather"):
                    with pa.OSFile(str(temp), "wb") as sink, pa.ipc.new_file(sink, result.schema) as writer:
                        for batch in source:
                            writer.write_batch(batch)
                else:
                    with open(temp, "w", encoding="utf-8") as fh:
                        output.write(source, fh, config=self.config, fmt=kind, schema=result.schema)
        rows = result.stats.rows
        self._message(f"wrote {rows:,} rows to {target} ({time.perf_counter() - started:.2f} s)")
        return 0

    def cmd_output(self, arg: str) -> int:
        if self.sink is not None:
            self.sink.close()
            self.sink = self.sink_path = None
        if not arg:
            self._message("results go to the screen")
            return 0
        self.sink_path = Path(os.path.expanduser(arg))
        self.sink = open(self.sink_path, "w", encoding="utf-8")  # noqa: SIM115 - kept open until \o
        self._message(f"results go to {self.sink_path}")
        return 0

    def cmd_include(self, arg: str) -> int:
        if not arg:
            self._message("\\i FILE")
            return 2
        path = Path(os.path.expanduser(arg))
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            self._message(f"cannot read {path}: {exc.strerror}")
            return 2
        if self._depth >= MAX_INCLUDE_DEPTH:
            self._message(f"\\i {path}: files run inside each other {MAX_INCLUDE_DEPTH} deep; stopping")
            return 2
        self._depth += 1
        try:
            return self.execute(text)
        finally:
            self._depth -= 1

    def cmd_set(self, arg: str) -> int:
        if not arg:
            if not self.params:
                self._message("no parameters set: \\set NAME VALUE")
            for name, value in sorted(self.params.items()):
                self._message(f":{name} = {value!r}")
            return 0
        name, _, value = arg.partition(" ")
        name = name.lstrip(":")
        if not name.isidentifier() or not value.strip():
            self._message("\\set NAME VALUE (NAME is what :NAME stands for in queries)")
            return 2
        self.params[name] = parse_value(value)
        self._message(f":{name} = {self.params[name]!r}")
        return 0

    def cmd_unset(self, arg: str) -> int:
        if self.params.pop(arg.lstrip(":"), None) is None:
            self._message(f"no parameter :{arg.lstrip(':')}")
            return 2
        return 0

    def cmd_edit(self, arg: str) -> int:
        if arg:
            path = Path(os.path.expanduser(arg))
            text = path.read_text(encoding="utf-8") if path.exists() else ""
        else:
            text = (self.last + ";") if self.last else ""
        edited = self.editor(text).strip()
        if self.interactive:  # back to the prompt: run at once if it is a whole statement
            self.prefill = edited
            self.accept_prefill = bool(code_only(edited).strip()) and _complete(edited)
            return 0
        return self.execute(edited) if edited else 0

    def cmd_quit(self, arg: str) -> int:
        self.done = True
        return 0

    # ---- helpers ---------------------------------------------------------------------------------

    def _table(self, rows: list[dict[str, Any]], names: list[str]) -> None:
        """The org's metadata (``\\dt``, ``\\d``) in the current format, never cut: ``\\d+``
        is asked for to see every picklist value."""
        table = pa.Table.from_pylist(
            rows, schema=pa.schema([(n, pa.string() if n != "custom" else pa.bool_()) for n in names])
        )
        config = dataclasses.replace(self.config, max_column_width=0)
        rendered = output.render(table, config=config, fmt=self.fmt, capped=False)
        self._emit(rendered.screen)

    def close(self) -> None:
        if self.sink is not None:
            self.sink.close()
            self.sink = None


def _complete(text: str) -> bool:
    """No statement is left half-typed in ``text`` (a command may follow)."""
    code = code_only(text).strip()
    return not code or code.endswith(";")


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
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.NamedTemporaryFile("w", suffix=".coql", delete=False, encoding="utf-8") as fh:
        fh.write(text)
        name = fh.name
    try:
        subprocess.run([*shlex.split(editor), name], check=False)
        return Path(name).read_text(encoding="utf-8")
    finally:
        Path(name).unlink(missing_ok=True)
