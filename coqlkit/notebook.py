"""Jupyter magics: ``%load_ext coqlkit``, then ``%coql_connect``, ``%coql`` and ``%%coql``.

::

    %coql_connect --sandbox                 # or --profile prod; or ZOHO_* variables
    %coql select Last_Name, Email from Leads limit 5

    %%coql leads <<
    select Last_Name, Lead_Source, Annual_Revenue from Leads where Lead_Status = :status

    %%coql --explain
    select Last_Name from Leads order by Annual_Revenue desc

A result shows as a table (the first rows, with the row count, the credits and the time);
``NAME <<`` assigns it to ``NAME`` as a pandas DataFrame (an Arrow table with ``--arrow``,
or without pandas; ``--floats``: currency and decimal columns as floats, not ``Decimal``).
``:name`` binds the notebook variable ``name`` as a typed literal (never pasted as text;
numpy scalars and arrays, pandas Series count as their Python values). A read of several
pages shows a progress bar (rows fetched of the expected total, and credits) that updates
in place. A wrong query shows its caret diagnostic, not a traceback, and the cell fails (a
:class:`MagicError`), so "Run All" stops there.
"""

from __future__ import annotations

import argparse
import html
import re
import shlex
import time
from typing import Any, NoReturn

import IPython.display
import pyarrow as pa
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class, no_var_expand

from coqlkit.api import Connection, Result, connect, pandas_frame
from coqlkit.errors import CoqlError, ParameterError, excerpt
from coqlkit.language import parse
from coqlkit.language.ast import Param

__all__ = ["CoqlMagics", "ResultView", "load_ipython_extension"]

# IPython's display function is untyped.
display: Any = IPython.display.display

#: Rows a result shows in the notebook (the whole result is in the variable).
SHOW_ROWS = 10

CELL_USAGE = "%%coql [--explain | --analyze] [--no-progress] [--arrow | --floats] [NAME <<]"
CONNECT_USAGE = "%coql_connect [--profile NAME | --sandbox [--records N]]"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


class ResultView:
    """A result as the notebook shows it: a table of its first rows and what it cost."""

    def __init__(self, table: pa.Table, result: Result, seconds: float) -> None:
        self.table = table
        self.result = result
        self.seconds = seconds

    @property
    def summary(self) -> str:
        stats = self.result.stats
        return (
            f"{_plural(self.table.num_rows, 'row')} · {_plural(stats.calls, 'call')} · "
            f"{_plural(stats.credits, 'credit')} · {self.seconds:.2f} s"
        )

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        names = self.table.column_names
        shown = self.table.slice(0, SHOW_ROWS).to_pylist()
        return names, [[_cell(row[n]) for n in names] for row in shown]

    def _shown_note(self, shown: int) -> str:
        return f" (first {shown:,} shown)" if self.table.num_rows > shown else ""

    def _repr_html_(self) -> str:
        names, rows = self._cells()
        right = [_is_number(t) for t in self.table.schema.types]
        align = ["" if not r else ' style="text-align:right"' for r in right]
        head = "".join(f"<th{a}>{html.escape(n)}</th>" for n, a in zip(names, align, strict=True))
        body = "".join(
            "<tr>" + "".join(f"<td{a}>{html.escape(c)}</td>" for c, a in zip(r, align, strict=True)) + "</tr>"
            for r in rows
        )
        return (
            f'<table class="coqlkit-result"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
            f'<p class="coqlkit-summary">{html.escape(self.summary)}{self._shown_note(len(rows))}</p>'
        )

    def __repr__(self) -> str:
        from tabulate import tabulate

        names, rows = self._cells()
        return f"{tabulate(rows, headers=names)}\n{self.summary}{self._shown_note(len(rows))}"


def _is_number(kind: pa.DataType) -> bool:
    return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict) and "name" in value:
        return str(value.get("name") or value.get("id") or "")
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


class MagicError(Exception):
    """A magic's error: IPython shows its text alone (the caret diagnostic, no traceback) and
    the cell fails, so "Run All", nbclient and papermill stop there instead of running on
    into cells whose variable was never assigned."""

    def _render_traceback_(self) -> list[str]:
        return str(self).splitlines()


class _Progress:
    """Rows fetched of the expected total, and credits, updated in place (at most 10 times a
    second). HTML only: a terminal, which cannot update an output in place, shows nothing."""

    def __init__(self, expected: int | None, conn: Connection, credits: int) -> None:
        self.expected = expected
        self.conn = conn
        self.credits = credits
        self.handle: Any = None
        self.shown = 0.0

    def update(self, rows: int, *, final: bool = False) -> None:
        now = time.monotonic()
        if not final and self.handle is not None and now - self.shown < 0.1:
            return
        self.shown = now
        spent = self.conn.credits_used - self.credits
        if self.expected:
            share = min(1.0, rows / self.expected)
            text = f"{rows:,} of {self.expected:,} rows · {_plural(spent, 'credit')}"
        else:
            share = 1.0 if final else 0.0
            text = f"{rows:,} rows · {_plural(spent, 'credit')}"
        bar = {
            "text/html": f'<div class="coqlkit-progress"><progress value="{share:.3f}" max="1"></progress> '
            f"{html.escape(text)}</div>"
        }
        if self.handle is None:
            self.handle = display(bar, raw=True, display_id=True)
        else:
            self.handle.update(bar, raw=True)


class _UsageError(Exception):
    """A magic's line that its options do not describe."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing to stderr and exiting (``exit_on_error=False``
    still exits on an unknown option)."""

    def __init__(self, usage: str) -> None:
        super().__init__(prog=usage.split()[0], usage=usage, add_help=False, exit_on_error=False)

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.prog}: {message}\nusage: {self.usage}")


def _cell_parser() -> _Parser:
    parser = _Parser(CELL_USAGE)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--analyze", action="store_true")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--arrow", action="store_true", help="assign an Arrow table, not a DataFrame")
    parser.add_argument("--floats", action="store_true", help="currency and decimals as floats, not Decimal")
    return parser


def _connect_parser() -> _Parser:
    parser = _Parser(CONNECT_USAGE)
    parser.add_argument("--profile")
    parser.add_argument("--sandbox", action="store_true")
    parser.add_argument("--records", type=int)
    return parser


def _parse_args(parser: _Parser, words: list[str]) -> argparse.Namespace:
    try:
        return parser.parse_args(words)
    except argparse.ArgumentError as exc:  # a bad value (--records abc)
        raise _UsageError(f"{parser.prog}: {exc}\nusage: {parser.usage}") from None


@magics_class
class CoqlMagics(Magics):
    """The magics; one connection per notebook."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.conn: Connection | None = None

    @property
    def namespace(self) -> dict[str, Any]:
        """The notebook's variables."""
        shell: Any = self.shell
        return shell.user_ns  # type: ignore[no-any-return]

    @line_magic
    def coql_connect(self, line: str) -> None:
        """``%coql_connect [--profile NAME | --sandbox [--records N]]``"""
        try:
            args = _parse_args(_connect_parser(), shlex.split(line))
            if args.records is not None and not args.sandbox:
                raise _UsageError(f"%coql_connect: --records needs --sandbox\nusage: {CONNECT_USAGE}")
            if args.sandbox and args.profile:
                raise _UsageError(f"%coql_connect: --profile or --sandbox, not both\nusage: {CONNECT_USAGE}")
        except (_UsageError, ValueError) as exc:  # ValueError: shlex on an open quote
            raise MagicError(str(exc) if isinstance(exc, _UsageError) else f"%coql_connect: {exc}") from None
        sandbox: bool | dict[str, Any] = False
        if args.sandbox:
            sandbox = {"records": args.records} if args.records is not None else True
        try:
            conn = connect(args.profile, sandbox=sandbox)
        except CoqlError as exc:
            raise MagicError(str(exc)) from None
        except ValueError as exc:  # a sandbox option out of range
            raise MagicError(f"%coql_connect: {exc}\nusage: {CONNECT_USAGE}") from None
        # The connection before stays usable until the new one is made.
        if self.conn is not None:
            self.conn.close()
        self.conn = conn
        print(f"coqlkit: connected to {_where(conn, args.profile)}")

    # IPython would paste {var} and $var into the line before the magic sees it: text into
    # a query, against the point of parameters (``:name`` binds typed values).
    @no_var_expand
    @line_cell_magic
    def coql(self, line: str, cell: str | None = None) -> Any:
        """``%coql QUERY`` or ``%%coql [--explain|--analyze] [--no-progress] [--arrow|--floats] [NAME <<]``."""
        flags: list[str] = []
        target, query = None, line
        try:
            if cell is not None:
                flags, target = _split_line(line)
                query = cell
            args = _parse_args(_cell_parser(), flags)
            if target is not None and (args.explain or args.analyze):
                raise _UsageError(f"%%coql: --explain and --analyze print a plan: no `{target} <<`")
            if args.arrow and args.floats:
                raise _UsageError(f"%%coql: --floats is for a DataFrame, not --arrow\nusage: {CELL_USAGE}")
        except (_UsageError, ValueError) as exc:  # ValueError: shlex on an open quote
            raise MagicError(str(exc) if isinstance(exc, _UsageError) else f"%%coql: {exc}") from None
        if not query.strip():
            raise MagicError("%coql: no query\nusage: %coql QUERY, or a cell: " + CELL_USAGE)
        conn = self._connection()
        try:
            return self._run(conn, query, args, target)
        except CoqlError as exc:
            raise MagicError(str(exc)) from None

    def _run(self, conn: Connection, query: str, args: argparse.Namespace, target: str | None) -> Any:
        params = self._params(query)
        try:
            if args.explain or args.analyze:
                print(conn.explain(query, params, analyze=args.analyze))
                return None
            started, credits = time.perf_counter(), conn.credits_used
            result = conn.query(query, params)
        except ParameterError as exc:
            raise _at_parameter(exc, query) from None
        table = self._read(result, conn, credits, progress=not args.no_progress)
        view = ResultView(table, result, time.perf_counter() - started)
        if target is None:
            return view
        self.namespace[target] = table if args.arrow else _frame(table, "float" if args.floats else "decimal")
        print(f"{target} = {view.summary}")
        return None

    def _connection(self) -> Connection:
        if self.conn is not None and not self.conn.closed:
            return self.conn
        try:
            self.conn = connect()
        except CoqlError as exc:
            raise MagicError(
                f"{exc}\nhint: %coql_connect --sandbox, or %coql_connect --profile NAME"
            ) from None
        return self.conn

    def _params(self, query: str) -> dict[str, Any]:
        """The notebook variables the query's ``:name`` parameters name (as plain Python)."""
        params = _params_of(query)
        missing = [p for p in params if p.name not in self.namespace]
        if missing:
            first = missing[0]
            message = f"no notebook variable for the parameter{'s' if len(missing) > 1 else ''} " + ", ".join(
                f":{p.name}" for p in missing
            )
            raise ParameterError(
                _diagnostic(query, first, message, f"set it in a cell first: {first.name} = ...")
            )
        return {p.name: self.namespace[p.name] for p in params}

    def _read(self, result: Result, conn: Connection, credits: int, *, progress: bool) -> pa.Table:
        expected = result.estimated_rows
        pages = result.plan.estimate.calls
        if not progress or pages <= 2:
            return result.to_arrow()
        bar = _Progress(expected, conn, credits)
        batches = []
        rows = 0
        for batch in result.record_batches():
            batches.append(batch)
            rows += batch.num_rows
            bar.update(rows)
        bar.update(rows, final=True)
        return pa.Table.from_batches(batches, schema=result.schema)


def _where(conn: Connection, profile: str | None) -> str:
    if conn.sandbox is not None:
        config = conn.sandbox.config
        return f"the sandbox at {conn.sandbox.base_url} ({config.records:,} leads, seed {config.seed})"
    return f"profile {profile}" if profile else "the org of ZOHO_* / the default profile"


def _split_line(line: str) -> tuple[list[str], str | None]:
    """``--flags NAME <<`` → (flags, NAME)."""
    words = shlex.split(line)
    target = None
    if words and words[-1] == "<<":
        if len(words) < 2 or words[-2].startswith("-"):
            raise _UsageError(f"%%coql: `<<` needs a variable name before it\nusage: {CELL_USAGE}")
        target, words = words[-2], words[:-2]
        if not target.isidentifier():
            raise _UsageError(f"%%coql: {target!r} is not a variable name\nusage: {CELL_USAGE}")
    stray = [w for w in words if not w.startswith("-")]
    if stray:
        hint = f"\nhint: to assign the result, write `{stray[0]} <<`" if stray[0].isidentifier() else ""
        raise _UsageError(f"%%coql: unexpected {stray[0]!r}\nusage: {CELL_USAGE}{hint}")
    return words, target


def _params_of(query: str) -> list[Param]:
    """The first ``:name`` node of each parameter in ``query``, in order."""
    seen: dict[str, Param] = {}
    for node in parse(query).walk():
        if isinstance(node, Param):
            seen.setdefault(node.name, node)
    return list(seen.values())


def _diagnostic(query: str, param: Param, message: str, hint: str | None = None) -> str:
    """``message`` with the query quoted and a caret under ``param``."""
    if param.span is None:  # pragma: no cover - parsed nodes carry spans
        return message
    span = param.span
    end = span.end_column if span.end_line == span.line else None
    parts = [f"{span}: INVALID_PARAMETER: {message}", excerpt(query, span.line, span.column, end)]
    if hint:
        parts.append(f"hint: {hint}")
    return "\n".join(parts)


def _at_parameter(exc: ParameterError, query: str) -> ParameterError:
    """``exc`` (a value that has no COQL literal) with a caret under the parameter it names."""
    named = re.search(r":(\w+)", str(exc))
    param = next((p for p in _params_of(query) if named and p.name == named.group(1)), None)
    if param is None:
        return exc
    return ParameterError(_diagnostic(query, param, str(exc)))


def _frame(table: pa.Table, decimals: str) -> Any:
    try:
        import pandas  # noqa: F401
    except ImportError:
        return table
    return pandas_frame(table, decimals=decimals)


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magics(CoqlMagics)
