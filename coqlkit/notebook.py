"""Jupyter magics: ``%load_ext coqlkit``, then ``%coql_connect``, ``%coql`` and ``%%coql``.

::

    %coql_connect --sandbox                 # or --profile prod; or ZOHO_* variables
    %coql select Last_Name, Email from Leads limit 5

    %%coql leads <<
    select Last_Name, Lead_Source, Annual_Revenue from Leads where Lead_Status = :status

    %%coql --explain
    select Last_Name from Leads order by Annual_Revenue desc

A result shows as a table (the first rows, with the row count, the calls, the credits and
the time; credits of lost answers apart, as maybe charged). To show it, the magic reads
only the rows shown when reading more would cost more: the COUNT probe gives the total
("10 of 25,000 rows"; a count remembered from an earlier cell, which nothing read since
has checked, is said as such: "10 of about 25,000 rows (count remembered from 2 min
ago)"), and a first page that comes back short is the whole result. The groups of a GROUP BY,
which nothing counts, are read one page at most (one credit): all of them when it comes
back short, else the summary says what reading them all would cost, from one more page to
where Zoho pages groups no further. ``NAME <<`` (in a cell, or before the query on a
line) reads the whole result and assigns it to ``NAME`` as a pandas DataFrame (an Arrow
table with ``--arrow``, or without pandas; currency and decimal
columns are floats, ready for charts, unless ``--decimals decimal`` or ``--decimals arrow``
keeps them exact; ``--lookups``: lookups as names, flattened columns or dicts).
``:name`` binds the notebook variable ``name`` as a typed literal (never pasted as text;
numpy scalars and arrays, pandas Series count as their Python values); a line magic in a
function binds the function's own variable first (its argument), as Python would (a
nested function sees its enclosing function's variables only if its code names them),
then the notebook's. ``NAME <<`` always assigns the notebook's variable: in a function
that has its own ``NAME`` it is refused (the function would go on reading its own). A query that runs
but probably not as meant (a value that is not in its picklist) shows its caret
diagnostic above the result. A read of several pages shows a progress bar (rows fetched
of the expected total, and credits) that updates in place and becomes the summary line
when the read ends. A wrong query shows its caret diagnostic, not a traceback, and the
cell fails (a :class:`MagicError`), so "Run All" stops there; a read that fails midway
adds what it had spent and read, and that ``NAME`` was not assigned; Ctrl-C (interrupting the
kernel) says what the query had spent, in one line (an :class:`Interrupted`). On a line,
options come before the query (``%coql --explain select ...``), and a leading ``EXPLAIN``
or ``EXPLAIN ANALYZE`` is ``--explain`` or ``--analyze``, as in the shell.
"""

from __future__ import annotations

import argparse
import dataclasses
import html
import re
import shlex
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal, NoReturn

import IPython.display
import pyarrow as pa
from IPython.core.magic import (
    Magics,
    line_cell_magic,
    line_magic,
    magics_class,
    needs_local_scope,
    no_var_expand,
)

from coqlkit._options import _zone_option
from coqlkit.api import (
    DECIMALS,
    Connection,
    Result,
    ambiguous_lookups,
    connect,
    pandas_frame,
    picklists_of,
    polars_frame,
)
from coqlkit.catalog.limits import DEFAULT_LIMIT, coql_credits
from coqlkit.catalog.suggest import closest
from coqlkit.errors import (
    AmbiguousLookupWarning,
    ConsistencyWarning,
    CoqlError,
    CreditBudgetExceeded,
    ParameterError,
    PartialResultWarning,
)
from coqlkit.export import one_line, value_text
from coqlkit.language import parse
from coqlkit.language.ast import In, Limit, Param, Select
from coqlkit.plan import Plan
from coqlkit.plan.explain import ago
from coqlkit.plan.planner import plan as replan
from coqlkit.plan.planner import total
from coqlkit.plan.steps import LocalProject, OffsetPages, SingleCall

__all__ = ["CoqlMagics", "ResultView", "load_ipython_extension"]

# IPython's display function is untyped.
display: Any = IPython.display.display

#: Rows a result shows in the notebook (the whole result is in the variable).
SHOW_ROWS = 10
#: What a null shows as, as in the shell: an empty text shows as nothing.
NULL = "∅"

CELL_USAGE = (
    "%%coql [--explain | --analyze] [--no-progress] [--arrow | --decimals float|decimal|arrow] "
    "[--lookups name|flatten|struct] [--tz ZONE] [NAME <<]"
)
LINE_USAGE = "%coql [OPTIONS] [NAME <<] QUERY"
CONNECT_USAGE = "%coql_connect [--profile NAME | --sandbox [--records N]] [--max-credits N] [--tz ZONE] [--count-ttl SECONDS]"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


#: How exact a view's ``total`` is: the plan's bounds, or ``"about"``, a count remembered
#: from an earlier cell (``counted_ago`` seconds before) that nothing read since has checked.
ViewBound = Literal["exact", "at most", "at least", "about"]


def _extra_credits(metadata: int, lost: int, lost_calls: int) -> str:
    """What a cell spent besides its query's credits, as the shell says it: `` (+3 for
    metadata; +6 maybe charged for 2 lost answers)`` (calls whose answers were lost and that
    were sent again, which Zoho may or may not have charged), or "".

    >>> _extra_credits(3, 6, 2), _extra_credits(0, 0, 0)
    (' (+3 for metadata; +6 maybe charged for 2 lost answers)', '')
    """
    extra = [f"+{metadata:,} for metadata"] if metadata > 0 else []
    if lost > 0:
        extra.append(f"+{lost:,} maybe charged for {_plural(lost_calls, 'lost answer')}")
    return f" ({'; '.join(extra)})" if extra else ""


#: How a magic reads a whole result into a variable, as the cell and the line write it.
ASSIGN_CELL = "%%coql NAME <<"
ASSIGN_LINE = "%coql NAME << select ..."


class ResultView:
    """A result as the notebook shows it: a table of its first rows and what it cost.

    ``table`` holds the rows read: all of them, or, when the magic only displayed the
    result and reading it whole would have cost more, only the rows read to show it
    (``complete`` is False, ``total`` the count of the whole result, when known: ``bound``
    says whether it is exact, at most, or ``"about"``: a count remembered from a cell run
    ``counted_ago`` seconds before, which the records may have outgrown or fallen short of
    since). A first page that came back short holds the whole result: it is complete.
    ``credits`` are the query's own; ``metadata_credits`` the field metadata fetched for
    it, ``lost_credits`` those of the ``lost_calls`` calls whose answers were lost (sent
    again: Zoho may have charged them). ``to_pandas()``, ``to_polars()`` and
    ``to_arrow()`` convert the rows held, and warn when they are not the whole result (a
    :class:`~coqlkit.errors.PartialResultWarning`). ``result`` is the query's
    :class:`~coqlkit.Result`: when the view holds only the rows shown, it has not been
    read, and ``view.result.to_pandas()`` reads every row (``whole_credits``, about, or
    from ``whole_credits`` to ``whole_most`` when the groups of a GROUP BY are of no known
    number, more should they pass Zoho's 100,000-group ceiling when ``whole_past`` is set:
    the records are then read and grouped here; outside ``%coql_connect --max-credits``),
    as ``assign`` (``%%coql NAME <<``, or
    the line's ``%coql NAME << select ...``) does within ``max_credits``; that plans the
    query again, and spends ``again_credits`` more before its read (the COUNT probe, when no
    remembered count stands in for it, and a subquery read first).
    """

    def __init__(
        self,
        table: pa.Table,
        result: Result,
        seconds: float,
        *,
        complete: bool = True,
        total: int | None = None,
        bound: ViewBound = "exact",
        counted_ago: float | None = None,
        calls: int | None = None,
        credits: int | None = None,
        metadata_credits: int = 0,
        lost_credits: int = 0,
        lost_calls: int = 0,
        whole_credits: int | None = None,
        again_credits: int = 0,
        whole_most: int | None = None,
        whole_past: int | None = None,
        assign: str = ASSIGN_CELL,
        max_credits: int | None = None,
    ) -> None:
        self.table = table
        self.result = result
        self.seconds = seconds
        self.complete = complete
        self.total = total
        self.bound = bound
        self.counted_ago = counted_ago
        self.calls = result.stats.calls if calls is None else calls
        self.credits = result.stats.credits if credits is None else credits
        self.metadata_credits = metadata_credits
        self.lost_credits = lost_credits
        self.lost_calls = lost_calls
        self.whole_credits = whole_credits
        self.again_credits = again_credits
        self.whole_most = whole_most
        self.whole_past = whole_past
        self.assign = assign
        self.max_credits = max_credits

    @property
    def summary(self) -> str:
        rows = self.table.num_rows
        if self.complete:
            counted = _plural(rows, "row")
        elif self.total is None:
            counted = f"the first {_plural(rows, 'row')}"
        else:
            counted = f"{rows:,} of {self._of()}{_plural(self.total, 'row')}"
            if self.counted_ago is not None:
                counted += f" (count remembered from {ago(self.counted_ago)})"
        credits = _plural(self.credits, "credit") + _extra_credits(
            self.metadata_credits, self.lost_credits, self.lost_calls
        )
        return f"{counted} · {_plural(self.calls, 'call')} · {credits} · {self.seconds:.2f} s"

    def _of(self) -> str:
        """What comes before ``total``: ``up to `` (a bound), ``about `` (a remembered count)."""
        return {"exact": "", "about": "about "}.get(self.bound, "up to ")

    def to_arrow(self) -> pa.Table:
        """The rows the view holds, as a ``pyarrow.Table``."""
        self._warn_partial()
        return self.table

    def to_pandas(self, *, decimals: str = "float", lookups: str = "name", **kwargs: Any) -> Any:
        """The rows the view holds as a pandas DataFrame (see :func:`coqlkit.api.pandas_frame`)."""
        self._warn_partial()
        plan = getattr(self.result, "plan", None)
        picklists = picklists_of(plan) if plan is not None else None
        return pandas_frame(
            self.table, decimals=decimals, lookups=lookups, picklists=picklists, stacklevel=2, **kwargs
        )

    def to_polars(self, *, decimals: str = "decimal") -> Any:
        """The rows the view holds as a Polars DataFrame."""
        self._warn_partial()
        return polars_frame(self.table, decimals=decimals)

    def _warn_partial(self) -> None:
        """A PartialResultWarning at the caller of ``to_*`` when the view holds only the rows
        read to show it."""
        if self.complete:
            return
        rows = self.table.num_rows
        held = (
            f"the {_plural(rows, 'row')} it shows"
            if rows <= SHOW_ROWS
            else f"its first {_plural(rows, 'row')}"
        )
        of = f" of {self._of()}{self.total:,}" if self.total is not None else ""
        cost = self._cost()
        if self._over_budget():
            read = (
                f"view.result.to_pandas() reads every row ({cost}; the budget of "
                f"`%coql_connect --max-credits {self.max_credits}` is for the magics alone)"
            )
        else:
            again = self._cost(self.again_credits)
            assigned = f", {again}" if again and self.again_credits else ""
            read = (
                f"`{self.assign}` reads every row into NAME{assigned} "
                f"(or view.result.to_pandas(){', ' + cost if cost else ''})"
            )
        warnings.warn(
            PartialResultWarning(f"this view read only {held}{of}, and converts those alone: {read}"),
            stacklevel=3,
        )

    def _cost(self, again: int = 0) -> str:
        """What reading the whole result would cost, as far as known: ``about 38 credits``,
        or ``4 to 151 credits`` for groups of no known number (``..., more past 100,000
        groups`` when the records are read and grouped here past Zoho's ceiling; "" when not
        known); ``again`` credits more (what ``NAME <<`` spends before its read)."""
        least, most = self.whole_credits, self.whole_most
        if least is None:
            return ""
        least, most = least + again, None if most is None else most + again
        if most is not None and most > least:
            past = "" if self.whole_past is None else f", more past {self.whole_past:,} groups"
            return f"{least:,} to {_plural(most, 'credit')}{past}"
        return f"about {_plural(least, 'credit')}"

    def _over_budget(self) -> bool:
        """Whether ``%coql_connect --max-credits`` would refuse to read the whole result
        (with ``NAME <<``, which plans it again: its probe and subqueries count)."""
        least = self.whole_credits
        return (
            self.max_credits is not None
            and least is not None
            and least + self.again_credits > self.max_credits
        )

    def _advice(self) -> str:
        """How to read every row, and what it costs; or that the budget does not allow it
        (code in backticks, which the HTML shows as code)."""
        cost = self._cost(self.again_credits)
        if self._over_budget():
            return (
                f"reading them all, {cost}, is over the budget of {_plural(self.max_credits or 0, 'credit')} "
                "(`%coql_connect --max-credits`)"
            )
        advice = f"`{self.assign}` reads them all{', ' + cost if cost else ''}"
        if cost and self.again_credits:  # the query planned again: its probe, its subqueries
            advice += f" (`view.result.to_pandas()`: {self._cost()})"
        if (
            self.max_credits is not None
            and self.whole_most is not None
            and self.whole_most + self.again_credits > self.max_credits
        ):
            advice += f"; the budget of {_plural(self.max_credits, 'credit')} stops it if they cost more"
        return advice

    def _cells(self) -> tuple[list[str], list[list[str | None]]]:
        """The column names and the rows shown, each value as the shell shows it (None: a
        null), on one line."""
        shown = self.table.slice(0, SHOW_ROWS)
        columns = [[None if v is None else one_line(v) for v in value_text(c)] for c in shown.columns]
        return [one_line(n) for n in shown.column_names], [list(r) for r in zip(*columns, strict=True)]

    def _shown_note(self, shown: int) -> str:
        """What the summary adds: how many rows are shown, and when the rest was not read,
        how to read it (code in backticks)."""
        more = self.table.num_rows > shown
        if not self.complete:
            read = f"first {shown:,} shown; no more were read" if more else "only the rows shown were read"
            return f" ({read}: {self._advice()})"
        return f" (first {shown:,} shown)" if more else ""

    def _repr_html_(self) -> str:
        names, rows = self._cells()
        right = [_is_number(t) for t in self.table.schema.types]
        align = ["" if not r else ' style="text-align:right"' for r in right]
        head = "".join(f"<th{a}>{html.escape(n)}</th>" for n, a in zip(names, align, strict=True))
        body = "".join(
            "<tr>" + "".join(_html_cell(c, r) for c, r in zip(row, right, strict=True)) + "</tr>"
            for row in rows
        )
        note = _code_spans(html.escape(self._shown_note(len(rows))))
        return (
            f'<table class="coqlkit-result"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
            f'<p class="coqlkit-summary">{html.escape(self.summary)}{note}</p>'
        )

    def __repr__(self) -> str:
        from tabulate import tabulate

        names, cells = self._cells()
        rows = [[NULL if c is None else c for c in r] for r in cells]
        # The values as the HTML shows them (54700.00 stays 54700.00), numbers to the right.
        align = ["right" if _is_number(t) else "left" for t in self.table.schema.types]
        text = tabulate(rows, headers=names, disable_numparse=True, colalign=align) if names else ""
        return f"{text}\n{self.summary}{self._shown_note(len(rows))}"


def _code_spans(text: str) -> str:
    """The backticked spans of ``text`` (already escaped) as HTML code.

    >>> _code_spans("`%%coql NAME &lt;&lt;` reads them all")
    '<code>%%coql NAME &lt;&lt;</code> reads them all'
    """
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", text)


def _is_number(kind: pa.DataType) -> bool:
    return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind))


def _html_cell(text: str | None, right: bool) -> str:
    """A ``<td>``: the text escaped, or a null's ``∅`` (class ``coqlkit-null``, in grey).

    >>> _html_cell("<b>Acme & Co</b>", False), _html_cell(None, True)
    ('<td>&lt;b&gt;Acme &amp; Co&lt;/b&gt;</td>', '<td class="coqlkit-null" style="text-align:right;color:gray">∅</td>')
    """
    styles = ["text-align:right"] if right else []
    if text is None:
        return f'<td class="coqlkit-null" style="{";".join([*styles, "color:gray"])}">{NULL}</td>'
    return f'<td style="{styles[0]}">{html.escape(text)}</td>' if styles else f"<td>{html.escape(text)}</td>"


class MagicError(Exception):
    """A magic's error: IPython shows its text alone (the caret diagnostic, no traceback) and
    the cell fails, so "Run All", nbclient and papermill stop there instead of running on
    into cells whose variable was never assigned."""

    def _render_traceback_(self) -> list[str]:
        return str(self).splitlines()


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (the kernel interrupted) during a magic: IPython shows one line, what the
    query had spent (``interrupted: spent 9 credits (4 calls)``), not a traceback. Still a
    ``KeyboardInterrupt``; the magic's ``NAME <<`` variable is left as it was."""

    def _render_traceback_(self) -> list[str]:
        return str(self).splitlines()


class _Progress:
    """Rows fetched of the expected total, and credits, updated in place (at most 10 times a
    second) and cleared when the read ends. HTML only: a terminal, which cannot update an
    output in place, shows nothing."""

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
        spent = _charged(self.conn) - self.credits
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

    def clear(self) -> None:
        """The bar's output emptied: the table that follows takes its place (or the error)."""
        if self.handle is not None:
            self.handle.update({"text/html": ""}, raw=True)

    def finish(self, text: str) -> None:
        """The bar becomes ``text`` (the summary line): no empty output is left in the
        notebook, and a terminal, which showed no bar, prints the text."""
        assert self.handle is not None
        self.handle.update(
            {"text/plain": text, "text/html": f'<pre class="coqlkit-summary">{html.escape(text)}</pre>'},
            raw=True,
        )


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
    parser.add_argument(
        "--decimals", choices=DECIMALS, help="currency and decimals: float (the default), decimal or arrow"
    )
    # The default now; accepted for the notebooks written when it was not.
    parser.add_argument("--floats", action="store_true", help="the same as --decimals float")
    parser.add_argument("--lookups", choices=("name", "flatten", "struct"), help="lookups in the DataFrame")
    parser.add_argument("--tz", help="the time zone of datetime columns")
    return parser


def _connect_parser() -> _Parser:
    parser = _Parser(CONNECT_USAGE)
    parser.add_argument("--profile")
    parser.add_argument("--sandbox", action="store_true")
    parser.add_argument("--records", type=int)
    parser.add_argument("--max-credits", type=int)
    parser.add_argument("--tz")
    parser.add_argument("--count-ttl", type=float)
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
        #: Credits one magic may spend (``%coql_connect --max-credits N``); None: no limit.
        self.max_credits: int | None = None

    @property
    def namespace(self) -> dict[str, Any]:
        """The notebook's variables."""
        shell: Any = self.shell
        return shell.user_ns  # type: ignore[no-any-return]

    @line_magic
    def coql_connect(self, line: str) -> None:
        """``%coql_connect [--profile NAME | --sandbox [--records N]] [--max-credits N] [--tz ZONE]
        [--count-ttl SECONDS]``"""
        try:
            args = _parse_args(_connect_parser(), shlex.split(line))
            if args.records is not None and not args.sandbox:
                raise _UsageError(f"%coql_connect: --records needs --sandbox\nusage: {CONNECT_USAGE}")
            if args.sandbox and args.profile:
                raise _UsageError(f"%coql_connect: --profile or --sandbox, not both\nusage: {CONNECT_USAGE}")
            if args.max_credits is not None and args.max_credits < 1:
                raise _UsageError(f"%coql_connect: --max-credits must be at least 1\nusage: {CONNECT_USAGE}")
            if args.count_ttl is not None and not args.count_ttl >= 0:
                raise _UsageError(f"%coql_connect: --count-ttl must be 0 or more\nusage: {CONNECT_USAGE}")
            if args.tz:
                args.tz = _zone(args.tz, "%coql_connect")
        except (_UsageError, ValueError) as exc:  # ValueError: shlex on an open quote
            raise MagicError(str(exc) if isinstance(exc, _UsageError) else f"%coql_connect: {exc}") from None
        sandbox: bool | dict[str, Any] = False
        if args.sandbox:
            sandbox = {"records": args.records} if args.records is not None else True
        try:
            ttl = {} if args.count_ttl is None else {"count_ttl": args.count_ttl}
            conn = connect(args.profile, sandbox=sandbox, tz=args.tz, **ttl)
        except CoqlError as exc:
            raise MagicError(str(exc)) from None
        except ValueError as exc:  # a sandbox option out of range
            raise MagicError(f"%coql_connect: {exc}\nusage: {CONNECT_USAGE}") from None
        # The connection before stays usable until the new one is made.
        if self.conn is not None:
            self.conn.close()
        self.conn = conn
        self.max_credits = args.max_credits
        budget = f" (at most {_plural(args.max_credits, 'credit')} a query)" if args.max_credits else ""
        print(f"coqlkit: connected to {_where(conn, args.profile)}{budget}")

    # IPython would paste {var} and $var into the line before the magic sees it: text into
    # a query, against the point of parameters (``:name`` binds typed values).
    # A line magic in a function sees its locals (``def won_in(start): v = %coql ... :start``
    # binds the argument, not a notebook variable of the same name); a cell magic is a
    # cell's alone, and IPython gives it the notebook's variables.
    @no_var_expand
    @needs_local_scope
    @line_cell_magic
    def coql(self, line: str, cell: str | None = None, local_ns: Mapping[str, Any] | None = None) -> Any:
        """Run a COQL query: ``%coql [OPTIONS] [NAME <<] QUERY``, or a cell:
        ``%%coql [OPTIONS] [NAME <<]`` with the query below. ``:name`` binds the notebook
        variable ``name`` (in a function, its local variable or argument ``name`` first).

        Without ``NAME <<`` the result is shown (its first rows); ``NAME <<`` reads every
        row into ``NAME``, a pandas DataFrame. Options:

        - ``--explain``: print the plan, run nothing; ``--analyze``: run it and print the
          plan with what each step did
        - ``--no-progress``: no progress bar
        - ``--arrow``: ``NAME`` is a ``pyarrow.Table``, not a DataFrame
        - ``--decimals float|decimal|arrow``: currency and decimal columns as ``float64``
          (the default, for charts and arithmetic), exact ``Decimal`` objects, or exact
          Arrow decimals (``--floats``: the same as ``--decimals float``)
        - ``--lookups name|flatten|struct``: lookups as their names (the default),
          ``Owner.name`` and ``Owner.id`` columns, or dicts
        - ``--tz ZONE``: datetimes in that time zone (the org's by default)

        On a line the options come first: ``%coql --explain select ...``. A query that
        starts with ``EXPLAIN`` or ``EXPLAIN ANALYZE``, as in the shell, is the same as
        ``--explain`` or ``--analyze``.
        """
        flags: list[str] = []
        target, query = None, line
        try:
            if cell is not None:
                flags, target = _split_line(line)
                query = cell
            else:
                flags, target, query = _split_line_query(line)
            query, explain = _explain_prefix(query)
            args = _parse_args(_cell_parser(), [*flags, *explain])
            if args.tz:
                args.tz = _zone(args.tz, "%coql" if cell is None else "%%coql")
            if target is not None and (args.explain or args.analyze):
                raise _UsageError(f"%%coql: --explain and --analyze print a plan: no `{target} <<`")
            if args.floats and args.decimals not in (None, "float"):
                raise _UsageError(
                    f"%%coql: --floats is --decimals float, not --decimals {args.decimals}\nusage: {CELL_USAGE}"
                )
            if args.arrow and (args.floats or args.decimals or args.lookups):
                option = "--floats" if args.floats else "--decimals" if args.decimals else "--lookups"
                raise _UsageError(f"%%coql: {option} is for a DataFrame, not --arrow\nusage: {CELL_USAGE}")
        except (_UsageError, ValueError) as exc:  # ValueError: shlex on an open quote
            raise MagicError(str(exc) if isinstance(exc, _UsageError) else f"%%coql: {exc}") from None
        if not query.strip():
            raise MagicError(f"%coql: no query\nusage: {LINE_USAGE}, or a cell: {CELL_USAGE}")
        # In a function (a line magic), its locals; at a cell's top level they are the
        # notebook's variables themselves.
        local = None if local_ns is None or local_ns is self.namespace else local_ns
        if target is not None and local is not None and target in local:
            raise MagicError(
                f"%coql: `{target} <<` assigns the notebook variable {target}, but this function "
                f"has a local {target} (an argument, or set before), which it would go on reading "
                "unchanged\nhint: assign to a name the function does not set, and read that name "
                "after the magic"
            )
        conn = self._connection()
        charged, calls, lost = _charged(conn), conn.aio.client.sends, _lost(conn)
        try:
            return self._run(
                conn, query, args, target, ASSIGN_CELL if cell is not None else ASSIGN_LINE, local
            )
        except CoqlError as exc:
            # A read that failed midway: what it spent and read (the Result's note), and that
            # NAME keeps its value.
            notes = [str(n) for n in getattr(exc, "__notes__", ())]
            if notes and target is not None:
                notes[-1] += f"; {target} was not assigned"
            raise MagicError("\n".join([str(exc), *notes])) from None
        except KeyboardInterrupt:  # the kernel interrupted: what was spent, as the CLI says it
            spent = _plural(_charged(conn) - charged, "credit")
            sent = _plural(conn.aio.client.sends - calls, "call")
            lost_calls, lost_credits = (now - then for now, then in zip(_lost(conn), lost, strict=True))
            maybe = (
                f"; +{lost_credits:,} maybe charged for {_plural(lost_calls, 'lost answer')}"
                if lost_credits
                else ""
            )
            unassigned = f"; {target} was not assigned" if target is not None else ""
            raise Interrupted(f"interrupted: spent {spent} ({sent}{maybe}){unassigned}") from None

    def _run(
        self,
        conn: Connection,
        query: str,
        args: argparse.Namespace,
        target: str | None,
        assign: str,
        local: Mapping[str, Any] | None = None,
    ) -> Any:
        params = self._params(query, local)
        options: dict[str, Any] = {"tz": args.tz} if args.tz else {}
        budget: dict[str, Any] = {} if self.max_credits is None else {"max_credits": self.max_credits}
        started, spent = time.perf_counter(), _Spent(conn)
        try:
            if args.explain or args.analyze:
                # A plan is shown whatever it would cost; --analyze runs it, within the budget.
                limits = budget if args.analyze else {}
                explained, planned = conn._explain(query, params, analyze=args.analyze, **options, **limits)
                _print_warnings(planned, query)
                print(explained)
                return None
            if target is None and _may_peek(query, params):
                # Planned whole (nothing but the COUNT probe spent) for its count and cost;
                # what runs is decided below. A subquery of more than 100 records is read to
                # plan it: then the budget counts the read and the query whole.
                whole = budget if _has_subquery(query, params) else {"max_credits": None}
                result = conn._query(query, params, **options, **whole)
            else:
                result = conn._query(query, params, **options, **budget)
        except ParameterError as exc:
            raise _at_parameter(exc, query) from None
        _print_warnings(result, query)
        if target is None:
            return self._show(conn, result, options, spent, started, assign, progress=not args.no_progress)
        checked: list[str] = []
        with _count_checks(checked):
            table, bar = self._read(result, conn, progress=not args.no_progress)
        try:
            own_calls, own_credits = result.stats.calls, result.stats.credits
            metadata, lost, lost_calls = spent.besides(own_credits)
            view = ResultView(
                table,
                result,
                time.perf_counter() - started,
                calls=own_calls,
                credits=own_credits,
                metadata_credits=metadata,
                lost_credits=lost,
                lost_calls=lost_calls,
            )
            notes: list[str] = []
            if args.arrow:
                value: Any = table
            else:
                value, notes = _frame(table, args.decimals or "float", args.lookups or "name", result.plan)
            self.namespace[target] = value
        except BaseException:  # Ctrl-C after the last page: no full bar above "not assigned"
            if bar is not None:
                bar.clear()
            raise
        closing = "\n".join([*checked, *notes, f"{target} = {view.summary}"])
        if bar is not None:
            bar.finish(closing)
        else:
            print(closing)
        return None

    def _show(
        self,
        conn: Connection,
        result: Result,
        options: dict[str, Any],
        spent: _Spent,
        started: float,
        assign: str,
        *,
        progress: bool,
    ) -> ResultView:
        """The view of ``result`` for display: its first rows alone when reading it whole
        would cost more than one call of one credit, or when nothing tells what it would
        cost (the groups of a GROUP BY, of no known number)."""
        plan = result.plan
        spent_calls, spent_credits = _spent_before(plan)
        peek = _peek(plan)
        est = plan.estimate
        total_rows, bound = est.rows, est.rows_bound
        # A count remembered from an earlier cell: a display reads no further than it shows,
        # so nothing checks it; said as such, not as the result's exact size.
        ago_ = plan.probe.age if plan.probe is not None else None
        whole, most, past = est.credits - spent_credits, None, None
        if peek is None:
            if self.max_credits is not None and est.credits > self.max_credits:
                raise CreditBudgetExceeded(
                    f"this query would cost {_plural(est.credits, 'credit')} "
                    f"({_plural(est.calls, 'call')}); the budget is {self.max_credits:,} "
                    "(%coql_connect --max-credits): narrow the query, add a LIMIT or raise the budget",
                    needed=est.credits,
                    left=self.max_credits,
                )
            checked: list[str] = []
            with _count_checks(checked):
                table, bar = self._read(result, conn, progress=progress)
            if bar is not None:
                bar.clear()  # the table takes its place
            for note in checked:
                print(note)
            own_calls, own_credits = result.stats.calls, result.stats.credits
            complete = True
        else:
            budget: dict[str, Any] = (
                {} if self.max_credits is None else {"max_credits": self.max_credits - spent_credits}
            )
            shown = conn._query(peek.select, check=False, **options, **budget)
            table = shown.to_arrow()
            if peek.keep is not None:
                table = table.select([fetched for fetched, _ in peek.keep])
                table = table.rename_columns([key for _, key in peek.keep])
            own_calls = spent_calls + shown.stats.calls
            own_credits = spent_credits + shown.stats.credits
            # A first page that came back short holds the whole result: the groups, or the
            # records from the query's OFFSET on (its LIMIT, of more rows, cuts none of them).
            complete = table.num_rows < peek.rows
            if peek.open_ended is not None:
                (whole, most), total_rows, past = peek.open_ended, None, peek.past
        # The view's result is the query's, read or not: not the peek's (which would give
        # the rows shown again, as if they were the result).
        remembered = not complete and ago_ is not None and total_rows is not None
        metadata, lost, lost_calls = spent.besides(own_credits)
        return ResultView(
            table,
            result,
            time.perf_counter() - started,
            complete=complete,
            total=None if complete else total_rows,
            bound="about" if remembered else bound,
            counted_ago=ago_ if remembered else None,
            calls=own_calls,
            credits=own_credits,
            metadata_credits=metadata,
            lost_credits=lost,
            lost_calls=lost_calls,
            whole_credits=None if complete else whole,
            again_credits=0 if complete else self._again(conn, plan),
            whole_most=None if complete else most,
            whole_past=None if complete else past,
            assign=assign,
            max_credits=self.max_credits,
        )

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

    def _params(self, query: str, local: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The variables the query's ``:name`` parameters name (as plain Python): in a
        function (``local``, its variables), its own first, then the notebook's."""
        scopes = [self.namespace] if local is None else [local, self.namespace]
        params = _params_of(query)
        missing = [p for p in params if not any(p.name in scope for scope in scopes)]
        if missing:
            first = missing[0]
            where = "notebook variable" if local is None else "variable in the function or the notebook"
            message = f"no {where} for the parameter{'s' if len(missing) > 1 else ''} " + ", ".join(
                f":{p.name}" for p in missing
            )
            hint = f"set it in a cell first: {first.name} = ..."
            if local is not None:
                hint = f"pass it to the function, or set it in a cell: {first.name} = ..."
            names = [n for scope in scopes for n in scope if not n.startswith("_")]
            close = closest(first.name, names, n=1)
            if close:
                hint = f"did you mean :{close[0]}? (or {hint})"
            raise ParameterError(message, span=first.span, text=query, hint=hint)
        return {p.name: next(scope[p.name] for scope in scopes if p.name in scope) for p in params}

    def _again(self, conn: Connection, plan: Plan) -> int:
        """The credits ``NAME <<`` would spend again before its read, planning the query
        anew: its subqueries read first, and its COUNT probe unless a remembered count
        stands in (only for a plan that checks it as it reads, with no budget: see
        :func:`coqlkit.execute.executor.prepare`)."""
        subqueries = sum(s.credits for s in plan.subqueries)
        probe = plan.probe
        if probe is None or probe.rows is None:
            return subqueries
        remembers = (
            not plan.subqueries
            and self.max_credits is None
            and conn.aio.client.org_credits_left is None
            and plan.options.count_ttl > 0
            and _verifies_a_count(plan)
        )
        return subqueries + (0 if remembers else 1)

    def _read(self, result: Result, conn: Connection, *, progress: bool) -> tuple[pa.Table, _Progress | None]:
        """Every row of ``result``, and the progress bar shown while they were read (None:
        a read of one call, or ``--no-progress``), for the caller to finish or clear."""
        expected = result.estimated_rows
        pages = result.plan.estimate.calls - result.plan.spent[0]  # the read's, not the probe's
        if not progress or pages < 2:
            return result.to_arrow(), None
        # The bar counts the query's own credits (the probe's too), as the summary does.
        bar = _Progress(expected, conn, _charged(conn) - _spent_before(result.plan)[1])
        batches = []
        rows = 0
        try:
            for batch in result.record_batches():
                batches.append(batch)
                rows += batch.num_rows
                bar.update(rows)
            bar.update(rows, final=True)
        except BaseException:  # an error, Ctrl-C: no bar left behind, stopped midway
            bar.clear()
            raise
        return pa.Table.from_batches(batches, schema=result.schema), bar


def _charged(conn: Connection) -> int:
    """The credits ``conn`` surely spent: those of calls whose answers were lost (and were
    sent again) apart, which Zoho may or may not have charged."""
    return conn.credits_used - conn.unanswered_credits


def _lost(conn: Connection) -> tuple[int, int]:
    """The calls whose answers ``conn`` lost, and their credits (maybe charged)."""
    client = conn.aio.client
    return client.unanswered_calls, client.unanswered_credits


def _spent_before(plan: Plan) -> tuple[int, int]:
    """The calls and credits ``plan`` spent before its first page (the COUNT probe...)."""
    est, own = plan.estimate, total(plan.root)
    return est.calls - own.calls, est.credits - own.credits


class _Spent:
    """What a connection had spent when a magic began, to tell its query's credits from the
    rest: field metadata, and calls whose answers were lost (maybe charged)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.charged = _charged(conn)
        self.lost = _lost(conn)

    def besides(self, own_credits: int) -> tuple[int, int, int]:
        """The view's ``metadata_credits``, ``lost_credits`` and ``lost_calls``."""
        calls, credits = (now - then for now, then in zip(_lost(self.conn), self.lost, strict=True))
        return max(0, _charged(self.conn) - self.charged - own_credits), credits, calls


@contextmanager
def _count_checks(notes: list[str]) -> Iterator[None]:
    """The read's :class:`~coqlkit.errors.ConsistencyWarning` (its rows against a count)
    added to ``notes``, for the magic to print above its summary as its other warnings,
    rather than shown as a Python warning pointing into coqlkit (once per session). Other
    warnings go on as they were issued."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConsistencyWarning)
        yield
    for found in caught:
        if issubclass(found.category, ConsistencyWarning):
            notes.append(f"warning: {found.message}")
        else:
            warnings.warn_explicit(
                found.message, found.category, found.filename, found.lineno, source=found.source
            )


def _verifies_a_count(plan: Plan) -> bool:
    """Whether ``plan`` made from a remembered count of its WHERE would check it as it
    reads (then ``NAME <<`` run again sends no probe)."""
    probe = plan.probe
    if probe is None or probe.age is not None or plan.catalog is None:
        return plan.verifies_count
    try:
        again = replan(plan.select, plan.catalog, plan.options, probe=dataclasses.replace(probe, age=0.0))
    except CoqlError:
        return False
    return again.verifies_count


def _may_peek(query: str, params: dict[str, Any]) -> bool:
    """Whether a display of ``query`` might read fewer rows than the query asks for: a
    query of records without a LIMIT of at most the rows shown, or one of groups."""
    try:
        select = parse(query, params)
    except CoqlError:
        return False  # the query itself says what is wrong, in conn.query
    return bool(select.aggregates or select.group_by) or _limited(select) is not None


def _has_subquery(query: str, params: dict[str, Any]) -> bool:
    """Whether ``query`` has an ``in (select ...)``."""
    try:
        select = parse(query, params)
    except CoqlError:
        return False
    return any(isinstance(c, In) and isinstance(c.values, Select) for c in select.conditions())


def _limited(select: Select) -> Select | None:
    """``select`` (of records) with a LIMIT of the rows shown (its OFFSET kept), or None when
    it asks for no more rows than that anyway."""
    count, offset = select.limit.rows() if select.limit is not None else (None, None)
    if count is not None and count <= SHOW_ROWS:
        return None
    return dataclasses.replace(select, limit=Limit(SHOW_ROWS, offset))


@dataclasses.dataclass(frozen=True)
class _Peek:
    """What a display reads of a result that would cost more to read whole: ``select``, of
    at most ``rows`` rows. ``groups``: the rows are groups, and fewer than ``rows`` are all
    of them. ``open_ended``: the groups are of no known number; reading them all costs
    from the first (credits) to the second (where Zoho pages no further); ``past``: Zoho's
    ceiling, when the records are read and grouped here past it (which costs more)."""

    select: Select
    rows: int
    groups: bool = False
    open_ended: tuple[int, int] | None = None
    past: int | None = None
    # The query's own columns, when ``select`` also reads grouped fields it does not show
    # (a GROUP BY of a field not selected): the rows read are projected to these.
    # (the key read, the query's key): a column read under another key is given back its own.
    keep: tuple[tuple[str, str], ...] | None = None


def _peek(plan: Plan) -> _Peek | None:
    """What to read for a display of ``plan``'s rows: the rows shown alone, when reading the
    whole result would cost more than one call of one credit or nothing says what it would
    cost; None: read it whole."""
    est = total(plan.root)
    if est.calls_bound != "at least" and est.calls <= 1 and est.credits <= 1:
        return None
    if est.rows is not None and est.rows <= SHOW_ROWS and est.rows_bound == "exact":
        return None
    if plan.select.aggregates or plan.select.group_by:
        return _first_groups(plan)
    limited = _limited(plan.select)
    return None if limited is None else _Peek(limited, SHOW_ROWS)


def _first_groups(plan: Plan) -> _Peek | None:
    """The first page of groups the whole read would read (its query, its order), of no
    more rows than one credit buys: as many credits as the rows shown, and when it comes
    back short, the whole result (None: a plan of another shape, read whole)."""
    root, keep = plan.root, None
    if isinstance(root, LocalProject) and isinstance(root.child, (OffsetPages, SingleCall)):
        # Pages of groups that read grouped fields the query does not select: the same page,
        # projected to the query's columns.
        sources = dict(root.sources)  # a column fetched under another key (its alias names a grouped field)
        root, keep = root.child, tuple((sources.get(c.key, c.key), c.key) for c in root.columns)
    if isinstance(root, OffsetPages) and root.pages:
        count, offset = root.pages[0].limit, root.pages[0].offset
    elif isinstance(root, SingleCall) and root.query.limit is not None:
        limit, skipped = root.query.limit.rows()
        count, offset = limit or DEFAULT_LIMIT, skipped or 0
    else:
        return None
    rows = min(count, DEFAULT_LIMIT)
    select = dataclasses.replace(root.query, limit=Limit(rows, offset or None))
    open_ended, past = None, None
    if isinstance(root, OffsetPages) and root.open_ended and root.ceiling_cost is not None:
        # Read whole: the first page again, then at least one more, of full pages.
        least = root.pages[0].credits + coql_credits(root.page_size)
        open_ended = (least, max(least, root.ceiling_cost[1]))
        past = root.ceiling if root.at_ceiling is not None else None
    return _Peek(select, rows, groups=True, open_ended=open_ended, past=past, keep=keep)


def _print_warnings(result: Result, query: str) -> None:
    """The check's warnings about ``query`` (a value not in its picklist...), as text above
    the result: the query still runs."""
    for diagnostic in result.warnings:
        print(diagnostic.format(query))


def _where(conn: Connection, profile: str | None) -> str:
    if conn.sandbox is not None:
        config = conn.sandbox.config
        return f"the sandbox at {conn.sandbox.base_url} ({config.records:,} leads, seed {config.seed})"
    return f"profile {profile}" if profile else "the org of ZOHO_* / the default profile"


#: The cell options that take a value (``--tz UTC``).
_VALUED = frozenset({"--tz", "--lookups", "--decimals"})


def _stray(words: list[str]) -> list[str]:
    """The words that are neither options nor the value of the option before them."""
    return [
        w for i, w in enumerate(words) if not w.startswith("-") and (i == 0 or words[i - 1] not in _VALUED)
    ]


def _split_line(line: str) -> tuple[list[str], str | None]:
    """``--flags NAME <<`` → (flags, NAME)."""
    words = shlex.split(line.replace("<<", " << "))
    target = None
    if "<<" in words[:-1]:
        at = words.index("<<")
        before, after = words[:at], words[at + 1 :]
        if not _stray(after):
            fixed = " ".join([*after, *before, "<<"])
            raise _UsageError(
                f"%%coql: options go before `NAME <<`: write `%%coql {fixed}`\nusage: {CELL_USAGE}"
            )
        raise _UsageError(
            f"%%coql: `<<` ends the magic's line; the query goes in the cell below it\nusage: {CELL_USAGE}"
        )
    if words and words[-1] == "<<":
        if len(words) < 2 or words[-2].startswith("-"):
            raise _UsageError(f"%%coql: `<<` needs a variable name before it\nusage: {CELL_USAGE}")
        target, words = words[-2], words[:-2]
        if not target.isidentifier():
            raise _UsageError(f"%%coql: {target!r} is not a variable name\nusage: {CELL_USAGE}")
    stray = _stray(words)
    if stray:
        hint = f"\nhint: to assign the result, write `{stray[0]} <<`" if stray[0].isidentifier() else ""
        raise _UsageError(f"%%coql: unexpected {stray[0]!r}\nusage: {CELL_USAGE}{hint}")
    return words, target


_ASSIGNED = re.compile(r"^(?P<head>[^']*?)<<(?P<query>.*)$", re.DOTALL)
#: A word of a magic's line: quoted, or up to a space.
_WORD = re.compile(r"""\s*('[^']*'|"[^"]*"|\S+)""")


def _split_line_query(line: str) -> tuple[list[str], str | None, str]:
    """``%coql [OPTIONS] [NAME <<] QUERY`` → (options, NAME, QUERY).

    >>> _split_line_query("--tz UTC select Created_Time from Leads")
    (['--tz', 'UTC'], None, ' select Created_Time from Leads')
    >>> _split_line_query("--arrow leads << select Last_Name from Leads")
    (['--arrow'], 'leads', ' select Last_Name from Leads')
    """
    options, rest = _leading_options(line)
    match = _ASSIGNED.match(rest)
    if match is None or not match["head"].strip() or _is_query(match["head"]):
        return shlex.split(options), None, rest
    flags, target = _split_line(f"{options} {match['head']} <<")
    late, query = _leading_options(match["query"])
    if late.strip():
        fixed = " ".join([*flags, *shlex.split(late), target or "NAME", "<<"])
        raise _UsageError(
            f"%coql: options go before `NAME <<`: write `%coql {fixed} ...`\nusage: {LINE_USAGE}"
        )
    return flags, target, query


def _leading_options(text: str) -> tuple[str, str]:
    """``text`` cut after the options it starts with (``--tz UTC``), and the rest.

    >>> _leading_options("--explain --tz 'Asia/Kolkata' select id from Leads")
    ("--explain --tz 'Asia/Kolkata'", ' select id from Leads')
    """
    at = 0
    while (word := _WORD.match(text, at)) is not None and re.fullmatch(r"--[A-Za-z][\w-]*(=\S*)?", word[1]):
        at = word.end()
        if word[1] in _VALUED and (value := _WORD.match(text, at)) is not None:
            at = value.end()
    return text[:at], text[at:]


#: ``EXPLAIN`` or ``EXPLAIN ANALYZE`` before a query, as the shell takes them.
_EXPLAIN = re.compile(r"^(\s*)(explain)(\s+analy[sz]e)?(?=\s|$)", re.IGNORECASE)


def _explain_prefix(query: str) -> tuple[str, list[str]]:
    """``query`` without a leading ``EXPLAIN [ANALYZE]`` (blanked, so that a diagnostic's
    line and column are the cell's), and the option it stands for.

    >>> _explain_prefix("EXPLAIN ANALYZE select id from Leads")
    ('                select id from Leads', ['--analyze'])
    """
    match = _EXPLAIN.match(query)
    if match is None:
        return query, []
    blank = re.sub(r"[^\n]", " ", match[0])
    return blank + query[match.end() :], ["--analyze" if match[3] else "--explain"]


def _is_query(text: str) -> bool:
    return text.strip().lower().startswith("select")


def _zone(text: str, magic: str) -> str:
    """The time zone ``--tz`` names, checked as the Python API checks it; otherwise an
    error that names the magic's option (not the ``connect()`` the magic calls)."""
    try:
        return _zone_option(text, "")
    except CoqlError as exc:
        raise _UsageError(f"{magic}: --tz {text}: {exc.message}") from None


def _params_of(query: str) -> list[Param]:
    """The first ``:name`` node of each parameter in ``query``, in order."""
    seen: dict[str, Param] = {}
    for node in parse(query).walk():
        if isinstance(node, Param):
            seen.setdefault(node.name, node)
    return list(seen.values())


def _at_parameter(exc: ParameterError, query: str) -> ParameterError:
    """``exc`` (a value that has no COQL literal) with a caret under the parameter it names,
    as every diagnostic shows it (``1:50: error[INVALID_PARAMETER]: ...``)."""
    if exc.span is not None and exc.text is not None:
        return exc  # quoted already
    named = re.search(r":(\w+)", exc.description)
    param = next((p for p in _params_of(query) if named and p.name == named.group(1)), None)
    if param is None:
        return exc
    return exc.at(param.span, query)


def _frame(table: pa.Table, decimals: str, lookups: str, plan: Plan) -> tuple[Any, list[str]]:
    """The value ``NAME <<`` assigns (a DataFrame; ``table`` itself without pandas), and the
    warnings to print above its summary: lookup columns whose names stand for several
    records (pandas_frame's AmbiguousLookupWarning, worded for the magic)."""
    try:
        import pandas  # noqa: F401
    except ImportError:
        return table, []
    notes = []
    if lookups == "name":
        notes = [
            "warning: "
            + str(
                AmbiguousLookupWarning(
                    w.column, names=w.names, example=w.example, records=w.records, fix="--lookups flatten"
                )
            )
            for w in ambiguous_lookups(table)
        ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AmbiguousLookupWarning)  # printed instead
        frame = pandas_frame(table, decimals=decimals, lookups=lookups, picklists=picklists_of(plan))
    return frame, notes


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics. On ``%reload_ext coqlkit`` (after an upgrade, or with autoreload)
    the new magics take over the connection of those they replace: its org or sandbox stays
    connected, rather than forgotten (the next cell would fail) and left open (a sandbox
    serving on, unreachable)."""
    before = ipython.magics_manager.registry.get(CoqlMagics.__name__)
    magics = CoqlMagics(ipython)
    magics.conn = getattr(before, "conn", None)
    magics.max_credits = getattr(before, "max_credits", None)
    ipython.register_magics(magics)
