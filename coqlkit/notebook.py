"""Jupyter magics: ``%load_ext coqlkit``, then ``%coql_connect``, ``%coql`` and ``%%coql``.

::

    %coql_connect --sandbox                 # or --profile prod; or ZOHO_* variables
    %coql select Last_Name, Email from Leads limit 5

    %%coql leads <<
    select Last_Name, Lead_Source, Annual_Revenue from Leads where Lead_Status = :status

    %%coql --explain
    select Last_Name from Leads order by Annual_Revenue desc

A result shows as a table (the first rows, with the row count, the credits and the time);
``NAME <<`` assigns it to ``NAME`` as a pandas DataFrame (an Arrow table without pandas).
``:name`` binds the notebook variable ``name`` as a typed literal (never pasted as text).
A read of several pages shows a progress bar (rows fetched of the expected total, and
credits) that updates in place. A wrong query shows its caret diagnostic, not a traceback.
"""

from __future__ import annotations

import argparse
import html
import shlex
import time
from typing import Any

import IPython.display
import pyarrow as pa
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class

from coqlkit.api import Connection, Result, connect
from coqlkit.errors import CoqlError
from coqlkit.language import parse
from coqlkit.language.params import parameters

__all__ = ["CoqlMagics", "ResultView", "load_ipython_extension"]

# IPython's display functions are untyped.
HTML: Any = IPython.display.HTML
display: Any = IPython.display.display

#: Rows a result shows in the notebook (the whole result is in the variable).
SHOW_ROWS = 10


class ResultView:
    """A result as the notebook shows it: a table of its first rows and what it cost."""

    def __init__(self, table: pa.Table, result: Result, seconds: float) -> None:
        self.table = table
        self.result = result
        self.seconds = seconds

    @property
    def summary(self) -> str:
        stats = self.result.stats
        rows = self.table.num_rows
        return (
            f"{rows:,} row{'s' if rows != 1 else ''} · {stats.calls:,} call{'s' if stats.calls != 1 else ''} · "
            f"{stats.credits:,} credit{'s' if stats.credits != 1 else ''} · {self.seconds:.2f} s"
        )

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        names = self.table.column_names
        shown = self.table.slice(0, SHOW_ROWS).to_pylist()
        return names, [[_cell(row[n]) for n in names] for row in shown]

    def _repr_html_(self) -> str:
        names, rows = self._cells()
        head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
        more = self.table.num_rows - len(rows)
        note = f" (first {len(rows):,} shown)" if more > 0 else ""
        return (
            f'<table class="coqlkit-result"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
            f'<p class="coqlkit-summary">{html.escape(self.summary)}{note}</p>'
        )

    def __repr__(self) -> str:
        from tabulate import tabulate

        names, rows = self._cells()
        return f"{tabulate(rows, headers=names)}\n{self.summary}"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict) and "name" in value:
        return str(value.get("name") or value.get("id") or "")
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


class _Progress:
    """Rows fetched of the expected total, and credits, updated in place (at most 10 times a second)."""

    def __init__(self, expected: int | None, conn: Connection) -> None:
        self.expected = expected
        self.conn = conn
        self.credits = conn.credits_used
        self.handle: Any = None
        self.shown = 0.0

    def update(self, rows: int, *, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.shown < 0.1:
            return
        self.shown = now
        spent = self.conn.credits_used - self.credits
        if self.expected:
            share = min(1.0, rows / self.expected)
            text = f"{rows:,} of {self.expected:,} rows · {spent:,} credits"
        else:
            share = 0.0 if not final else 1.0
            text = f"{rows:,} rows · {spent:,} credits"
        bar = (
            f'<div class="coqlkit-progress"><progress value="{share:.3f}" max="1"></progress> '
            f"{html.escape(text)}</div>"
        )
        if self.handle is None:
            self.handle = display(HTML(bar), display_id=True)
        else:
            self.handle.update(HTML(bar))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="%%coql", add_help=False, exit_on_error=False)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--analyze", action="store_true")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--arrow", action="store_true", help="assign an Arrow table, not a DataFrame")
    return parser


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
        parser = argparse.ArgumentParser(prog="%coql_connect", add_help=False, exit_on_error=False)
        parser.add_argument("--profile")
        parser.add_argument("--sandbox", action="store_true")
        parser.add_argument("--records", type=int)
        try:
            args = parser.parse_args(shlex.split(line))
        except (argparse.ArgumentError, SystemExit) as exc:
            _show_error(f"%coql_connect: {exc}")
            return
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        sandbox: bool | dict[str, Any] = False
        if args.sandbox:
            sandbox = {"records": args.records} if args.records else True
        try:
            self.conn = connect(args.profile, sandbox=sandbox)
        except CoqlError as exc:
            _show_error(str(exc))
            return
        where = "the sandbox" if args.sandbox else (args.profile or "the org in ZOHO_* / the default profile")
        print(f"coqlkit: connected to {where}")

    @line_cell_magic
    def coql(self, line: str, cell: str | None = None) -> Any:
        """``%coql QUERY`` or ``%%coql [--explain|--analyze] [--no-progress] [--arrow] [NAME <<]``."""
        flags: list[str] = []
        target, query = None, line
        try:
            if cell is not None:
                flags, target = _split_line(line)
                query = cell
            args = _parser().parse_args(flags)
        except (argparse.ArgumentError, SystemExit, CoqlError, ValueError) as exc:
            _show_error(f"%%coql: {exc}")
            return None
        conn = self._connection()
        if conn is None:
            return None
        try:
            params = self._params(query)
            if args.explain or args.analyze:
                print(conn.explain(query, params, analyze=args.analyze))
                return None
            started = time.perf_counter()
            result = conn.query(query, params)
            table = self._read(result, conn, progress=not args.no_progress)
        except CoqlError as exc:
            _show_error(str(exc))
            return None
        view = ResultView(table, result, time.perf_counter() - started)
        if target is not None:
            self.namespace[target] = table if args.arrow else _frame(table)
            print(f"{target} = {view.summary}")
            return None
        return view

    def _connection(self) -> Connection | None:
        if self.conn is not None and not self.conn.closed:
            return self.conn
        try:
            self.conn = connect()
        except CoqlError as exc:
            _show_error(f"{exc}\nhint: %coql_connect --sandbox, or %coql_connect --profile NAME")
            return None
        return self.conn

    def _params(self, query: str) -> dict[str, Any]:
        """The notebook variables the query's ``:name`` parameters name."""
        names = parameters(parse(query))
        missing = [n for n in names if n not in self.namespace]
        if missing:
            raise CoqlError(
                f"no notebook variable for the parameter{'s' if len(missing) > 1 else ''} "
                + ", ".join(f":{n}" for n in missing),
                code="INVALID_PARAMETER",
            )
        return {n: self.namespace[n] for n in names}

    def _read(self, result: Result, conn: Connection, *, progress: bool) -> pa.Table:
        expected = result.estimated_rows
        pages = result.plan.estimate.calls
        if not progress or pages <= 2:
            return result.to_arrow()
        bar = _Progress(expected, conn)
        batches = []
        rows = 0
        reader = result.record_batches()
        for batch in reader:
            batches.append(batch)
            rows += batch.num_rows
            bar.update(rows)
        bar.update(rows, final=True)
        return pa.Table.from_batches(batches, schema=result.schema)


def _split_line(line: str) -> tuple[list[str], str | None]:
    """``--flags NAME <<`` → (flags, NAME)."""
    words = shlex.split(line)
    target = None
    if len(words) >= 2 and words[-1] == "<<":
        target = words[-2]
        words = words[:-2]
        if not target.isidentifier():
            raise CoqlError(f"{target!r} is not a variable name", code="INVALID_MAGIC")
    return words, target


def _frame(table: pa.Table) -> Any:
    try:
        import pandas  # noqa: F401
    except ImportError:
        return table
    return table.to_pandas()


def _show_error(text: str) -> None:
    """An error as the notebook shows it: the caret diagnostic, no traceback."""
    display(HTML(f'<pre class="coqlkit-error" style="color:#b00">{html.escape(text)}</pre>'))


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magics(CoqlMagics)
