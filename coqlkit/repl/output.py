"""Results for people and for files: tables, records, CSV, TSV, JSON, and the pager.

Formats (:func:`format_names` lists them all):

- ``table`` (the default, tabulate's ``psql`` style), ``vertical`` (one block per record,
  like psql's ``\\x``), ``auto`` (``table``, or ``vertical`` when the table is wider than
  the terminal), ``markdown`` (a GitHub pipe table), and every tabulate style by name
  (``fancy_grid``, ``rounded_outline``...): these are for people;
- ``csv``, ``tsv``, ``json`` (an array of objects, one per line) and ``jsonl``: these are
  exact and parseable, whatever the values hold.

What a value looks like for people: a lookup shows its name (and its id in ``vertical``),
a multi-select its values joined with ``"; "``, a datetime ISO 8601 with the offset of the
result's time zone, a decimal every digit of its scale, a boolean ``true``/``false``, a null
the configured null string (``∅``), so that it differs from an empty text. Tables cut text
to the configured column width with ``…``, and show a newline as ``↵`` and other control
characters as escapes (``\\x1b``): a value cannot move the cursor, colour the terminal or
reorder the line. CSV and TSV are written as ``\\export`` writes CSV
(:func:`coqlkit.export.csv_lines`): a lookup becomes two columns (``Owner.name``,
``Owner.id``), a multi-select its values joined with ``;``, a null an empty cell and an
empty text ``""``, a value quoted only when it holds the delimiter, a quote or a line
break; shown on a terminal (:func:`render`), their control characters but tab and newline
are escapes too, while :func:`write` keeps every character. JSON keeps each value's shape:
lookups are objects, multi-selects arrays, decimals numbers with all their digits, Long
Integers strings as Zoho sends them (:func:`long_integers`), nulls ``null``; it escapes
DEL, C1 controls and bidi overrides as ``\\uXXXX``, which JSON reads back unchanged. NaN
and infinities, which JSON cannot spell, are ``null``.

A display shows at most ``row_cap`` rows and says so; rows past the cap are counted, never
kept, and :func:`write` (files, pipes) never caps.

>>> import pyarrow as pa
>>> from coqlkit.repl.config import ReplConfig
>>> table = pa.table({"Name": ["Acme", None], "Employees": [120, 8]})
>>> print(render(table, config=ReplConfig()).screen)
+--------+-------------+
| Name   |   Employees |
|--------+-------------|
| Acme   |         120 |
| ∅      |           8 |
+--------+-------------+
(2 rows)
"""

from __future__ import annotations

import contextlib
import difflib
import inspect
import io
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import pyarrow as pa
from prompt_toolkit.utils import get_cwidth
from tabulate import tabulate, tabulate_formats

from coqlkit.errors import ConfigError
from coqlkit.export import csv_header, csv_lines, csv_table, one_line, value_text

if TYPE_CHECKING:  # pragma: no cover
    from coqlkit.repl.config import ReplConfig

__all__ = [
    "DEFAULT_PAGER",
    "MACHINE_FORMATS",
    "TABLE_STYLE",
    "Capped",
    "Rendered",
    "TextFile",
    "format_names",
    "long_integers",
    "needs_pager",
    "page",
    "pager_command",
    "render",
    "resolve_format",
    "run_pager",
    "take",
    "text_width",
    "wrap_list",
    "write",
]

#: The tabulate style of the ``table`` format: pgcli's, plain ASCII, one rule under the header.
TABLE_STYLE = "psql"
#: The pager when neither the config nor ``$PAGER`` names one.
DEFAULT_PAGER = "less -SRXF"
#: Formats that are exact and parseable: never cut, nulls empty (CSV, TSV) or ``null`` (JSON).
MACHINE_FORMATS = ("csv", "tsv", "json", "jsonl")
_OWN_FORMATS = ("table", "vertical", "auto", "markdown", *MACHINE_FORMATS)
_ALIASES = {
    "aligned": "table",
    "expanded": "vertical",
    "x": "vertical",
    "md": "markdown",
    "ndjson": "jsonl",
}
_STYLES = {"table": TABLE_STYLE, "auto": TABLE_STYLE, "markdown": "pipe"}
#: Styles whose cells must escape ``|`` (a markdown table).
_PIPE_STYLES = frozenset({"pipe", "github"})
# tabulate 0.10 strips cells unless asked not to (0.9 reads a module flag instead).
_KEEP_SPACE: dict[str, Any] = (
    {"preserve_whitespace": True} if "preserve_whitespace" in inspect.signature(tabulate).parameters else {}
)

# ---- formats ------------------------------------------------------------------------------------


def format_names() -> list[str]:
    """Every format :func:`render` knows: coqlkit's own first, then tabulate's styles.

    >>> format_names()[:8]
    ['table', 'vertical', 'auto', 'markdown', 'csv', 'tsv', 'json', 'jsonl']
    >>> "fancy_grid" in format_names()
    True
    """
    styles = sorted(s for s in tabulate_formats if s not in _OWN_FORMATS)
    return [*_OWN_FORMATS, *styles]


def resolve_format(name: str) -> str:
    """``name`` as a format of :func:`format_names` (any case; ``md``, ``x``, ``ndjson``
    are aliases); :class:`~coqlkit.errors.ConfigError` otherwise, naming the closest one
    (``jsonn``: ``json``), else all of them."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key in _OWN_FORMATS or key in tabulate_formats:
        return key
    close = difflib.get_close_matches(key, format_names(), n=1, cutoff=0.6)
    if close:  # the one probably meant, rather than all 44
        raise ConfigError(f"unknown format {name!r}: did you mean {close[0]}?")
    raise ConfigError(f"unknown format {name!r}; choose one of: {', '.join(format_names())}")


# ---- rows: at most the cap kept, all counted ----------------------------------------------------


@dataclass(frozen=True)
class Capped:
    """The first rows of a result (``table``) and how many rows it had (``total``)."""

    table: pa.Table
    total: int

    @property
    def shown(self) -> int:
        return int(self.table.num_rows)

    @property
    def truncated(self) -> bool:
        return self.total > self.shown


def _stream(source: Any, schema: pa.Schema | None) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """The schema and the batches of a table, a batch, a reader or an iterable of batches."""
    if isinstance(source, pa.Table):
        return source.schema, iter(source.to_batches())
    if isinstance(source, pa.RecordBatch):
        return source.schema, iter([source])
    if isinstance(source, pa.RecordBatchReader):
        return source.schema, iter(source)
    batches = iter(source)
    if schema is not None:
        return schema, batches
    first = next(batches, None)
    if first is None:
        return pa.schema([]), iter(())
    return first.schema, _chain(first, batches)


def _chain(first: pa.RecordBatch, rest: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    yield first
    yield from rest


def take(source: Any, cap: int | None, *, schema: pa.Schema | None = None) -> Capped:
    """The first ``cap`` rows of ``source`` (all when ``cap`` is None) and its row count.

    ``source`` is a :class:`pyarrow.Table`, a batch, a :class:`pyarrow.RecordBatchReader`
    or any iterable of batches (give ``schema`` for an iterable that may be empty). Batches
    past the cap are counted and dropped, so memory holds the cap (and one batch) however
    long the stream is.

    >>> import pyarrow as pa
    >>> batches = (pa.record_batch({"n": list(range(i, i + 10))}) for i in range(0, 100, 10))
    >>> part = take(batches, 25)
    >>> part.shown, part.total, part.table.column("n")[-1].as_py()
    (25, 100, 24)
    """
    schema, batches = _stream(source, schema)
    kept: list[pa.RecordBatch] = []
    held = total = 0
    for batch in batches:
        rows = batch.num_rows
        total += rows
        if cap is None or held + rows <= cap:
            kept.append(batch)
            held += rows
        elif held < cap:
            kept.append(batch.slice(0, cap - held))
            held = cap
    return Capped(pa.Table.from_batches(kept, schema=schema), total)


# ---- values as text -----------------------------------------------------------------------------

# What a terminal would act on in text that keeps its lines: controls but tab and newline.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# What JSON may hold raw but a terminal would act on: written as \\u escapes, still exact.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _hex(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _terminal_safe(text: str) -> str:
    """``text`` with every control but tab and newline shown as an escape (``\\x1b``)."""
    return text if _UNSAFE.search(text) is None else _UNSAFE.sub(_hex, text)


def _json(value: Any) -> str:
    """``value`` as JSON, with the characters of ``_JSON_UNSAFE`` as ``\\uXXXX`` escapes."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    if _JSON_UNSAFE.search(text) is None:
        return text
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def text_width(text: str) -> int:
    """The cells ``text`` takes in a terminal (wide CJK characters take two).

    >>> text_width("Zoho"), text_width("東京"), text_width("e\u0301")
    (4, 4, 1)
    """
    if text.isascii():
        return len(text)
    return sum(get_cwidth(c) for c in text)


def wrap_list(text: str, width: int) -> list[str]:
    """A ``, `` list (``\\d+``'s picklist values) as lines of at most ``width`` cells,
    broken between its items (an item wider than ``width`` between its words): every item
    shown, where :data:`max_column_width <coqlkit.repl.config.ReplConfig>` would cut.

    >>> wrap_list("Contacted, Not Contacted, Attempted to Contact", 20)
    ['Contacted,', 'Not Contacted,', 'Attempted to Contact']
    >>> wrap_list("short", 20), wrap_list("no limit at all", 0)
    (['short'], ['no limit at all'])
    """
    if width <= 0 or text_width(text) <= width:
        return [text]
    lines: list[str] = []
    items = text.split(", ")
    for index, item in enumerate(items):
        piece = item if index == len(items) - 1 else item + ","
        if lines and text_width(lines[-1]) + 1 + text_width(piece) <= width:
            lines[-1] += " " + piece
        elif text_width(piece) <= width:
            lines.append(piece)
        else:
            lines += textwrap.wrap(piece, width, break_on_hyphens=False) or [piece]
    return lines


def _cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` cells, ending with ``…`` when it was longer."""
    if text_width(text) <= limit:
        return text
    used = 0
    for index, char in enumerate(text):
        used += get_cwidth(char)
        if used > limit - 1:
            return text[:index] + "…"
    raise AssertionError("unreachable: the text is wider than the limit")  # pragma: no cover


def _is_numeric(kind: pa.DataType) -> bool:
    return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind))


# ---- views for people ---------------------------------------------------------------------------


def _table_cells(column: Any, config: ReplConfig, *, pipe: bool) -> list[str]:
    null, limit = config.null_string, config.max_column_width
    cells = []
    for value in value_text(column):
        if value is None:
            cells.append(null)
            continue
        value = one_line(value)
        if limit:
            value = _cut(value, limit)
        cells.append(value.replace("|", "\\|") if pipe else value)
    return cells


def _tabulated(table: pa.Table, style: str, config: ReplConfig) -> str:
    pipe = style in _PIPE_STYLES
    headers = [one_line(n).replace("|", "\\|") if pipe else one_line(n) for n in table.column_names]
    columns = [_table_cells(c, config, pipe=pipe) for c in table.columns]
    rows = [list(r) for r in zip(*columns, strict=True)] if columns else []
    align = ["right" if _is_numeric(f.type) else "left" for f in table.schema]
    text: str = tabulate(
        rows, headers=headers, tablefmt=style, disable_numparse=True, colalign=align, **_KEEP_SPACE
    )
    return text


def _vertical(table: pa.Table, config: ReplConfig) -> str:
    """One block per record, as psql's ``\\x``: a ``-[ RECORD n ]`` rule, then ``name | value``."""
    names = [one_line(n) for n in table.column_names]
    if not names or not table.num_rows:
        return ""
    label = max(map(text_width, names))
    columns = [value_text(c, with_id=True) for c in table.columns]
    lines_of = [
        [[config.null_string] if v is None else [one_line(p) for p in v.splitlines() or [""]] for v in col]
        for col in columns
    ]
    value_width = max(text_width(line) for col in lines_of for cell in col for line in cell)
    blocks = []
    for row in range(table.num_rows):
        head = f"-[ RECORD {row + 1} ]".ljust(label + 1, "-")
        out = [f"{head}+{'-' * (value_width + 1)}"]
        for name, cells in zip(names, lines_of, strict=True):
            pad = " " * (label - text_width(name))
            first, *more = cells[row]
            out.append(f"{name}{pad} | {first}".rstrip())
            out.extend(f"{' ' * label} | {line}".rstrip() for line in more)
        blocks.append("\n".join(out))
    return "\n".join(blocks)


def _widest(text: str) -> int:
    return max(map(text_width, text.splitlines()), default=0)


# ---- exact formats ------------------------------------------------------------------------------


def long_integers(field: pa.Field) -> bool:
    """Whether JSON writes the column's values as strings: it holds Long Integers (a bigint
    field, its MIN, MAX or SUM), which pass 2**53, past which JavaScript, jq and most JSON
    tools round a number (999999999999999999 becomes 1e+18). Zoho sends them as strings for
    that reason, and ids are strings already. An integer field (9 digits at most), a SUM of
    one (it passes 2**53 only past 9 million records at the field's largest value) and a
    COUNT are numbers, as is an integer column without Zoho metadata.

    >>> import pyarrow as pa
    >>> bigint = {"zoho.data_type": "bigint"}
    >>> long_integers(pa.field("Customer_Number", pa.int64(), metadata=bigint))
    True
    >>> long_integers(pa.field("COUNT(id)", pa.int64(), metadata={**bigint, "zoho.aggregate": "COUNT"}))
    False
    >>> long_integers(pa.field("No_of_Employees", pa.int64(), metadata={"zoho.data_type": "integer"}))
    False
    """
    if not pa.types.is_integer(field.type):
        return False
    meta = field.metadata or {}
    if meta.get(b"zoho.aggregate") == b"COUNT":
        return False
    return (meta.get(b"zoho.return_type") or meta.get(b"zoho.data_type")) == b"bigint"


def _json_fragments(column: Any, *, as_strings: bool = False) -> list[str]:
    """Each value of a column as a JSON value's text (``as_strings``: integers as strings)."""
    kind = column.type
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_struct(kind):
        return ["null" if v is None else _json(v) for v in column.to_pylist()]
    text = value_text(column)
    if as_strings:
        return ["null" if v is None else f'"{v}"' for v in text]
    if pa.types.is_integer(kind) or pa.types.is_decimal(kind) or pa.types.is_boolean(kind):
        return ["null" if v is None else v for v in text]
    if pa.types.is_floating(kind):  # NaN and infinities have no JSON spelling
        return ["null" if v is None or not math.isfinite(float(v)) else v for v in text]
    return ["null" if v is None else _json(v) for v in text]


def _json_lines(table: pa.Table, as_strings: Sequence[bool]) -> list[str]:
    keys = [_json(n) + ": " for n in table.column_names]
    columns = [_json_fragments(c, as_strings=s) for c, s in zip(table.columns, as_strings, strict=True)]
    rows = zip(*columns, strict=True) if columns else ([] for _ in range(table.num_rows))
    return ["{" + ", ".join(k + v for k, v in zip(keys, row, strict=True)) + "}" for row in rows]


class _Writer:
    """Writes batches in one exact format to a text stream, as they come."""

    def __init__(self, fmt: str, out: TextIO, schema: pa.Schema) -> None:
        self.fmt = fmt
        self.out = out
        self.started = False
        self.delimiter: str | None = None
        if fmt in ("csv", "tsv"):  # the dialect of coqlkit's CSV files (lists and lookups flat)
            self.delimiter = "," if fmt == "csv" else "\t"
            out.write(csv_header(csv_table(schema.empty_table()).column_names, self.delimiter).decode())
        self.as_strings = [long_integers(f) for f in schema]  # decided once, for every batch

    def write(self, table: pa.Table) -> None:
        if self.delimiter is not None:
            self.out.write(csv_lines(table, delimiter=self.delimiter).decode())
            return
        for line in _json_lines(table, self.as_strings):
            if self.fmt == "jsonl":
                self.out.write(line + "\n")
            else:
                self.out.write((",\n" if self.started else "[\n") + line)
                self.started = True

    def close(self) -> None:
        if self.fmt == "json":
            self.out.write("\n]\n" if self.started else "[]\n")


class TextFile:
    """A file of ``fmt`` (csv, tsv, json, jsonl) at ``path``, written table by table:
    ``write_table()``, then ``close()`` (what :func:`coqlkit.export.write_batches` takes)."""

    def __init__(self, path: Path, fmt: str, schema: pa.Schema) -> None:
        self.fh = open(path, "w", encoding="utf-8", newline="" if fmt in ("csv", "tsv") else None)  # noqa: SIM115
        self.writer = _Writer(fmt, self.fh, schema)

    def write_table(self, table: pa.Table) -> None:
        self.writer.write(table)

    def close(self) -> None:
        try:
            self.writer.close()
        finally:
            self.fh.close()


def _exact(table: pa.Table, fmt: str) -> str:
    buffer = io.StringIO()
    writer = _Writer(fmt, buffer, table.schema)
    writer.write(table)
    writer.close()
    return buffer.getvalue().removesuffix("\n")


# ---- render and write ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    """A result as text: ``text`` (the rows in the format), ``footer`` (``(3 rows)``, or what
    the cap left out; for exact formats only the latter, else None), the rows ``shown`` of
    ``total``, and the format used (``auto`` becomes ``table`` or ``vertical``)."""

    text: str
    footer: str | None
    shown: int
    total: int
    format: str

    @property
    def screen(self) -> str:
        """The text and the footer, as the REPL shows them."""
        return "\n".join(part for part in (self.text, self.footer) if part)


def _footer(shown: int, total: int, *, exact: bool) -> str | None:
    if shown < total:
        return f"(showing {shown:,} of {total:,} rows; \\export writes them all)"
    if exact:
        return None
    return f"({total:,} row{'' if total == 1 else 's'})"


def _text(table: pa.Table, fmt: str, config: ReplConfig, width: int | None) -> tuple[str, str]:
    """The rows of ``table`` as ``fmt``, and the format used."""
    if fmt in MACHINE_FORMATS:  # exact, but for controls in CSV: a terminal would act on them
        return _terminal_safe(_exact(table, fmt)), fmt
    if fmt == "vertical":
        return _vertical(table, config), fmt
    text = _tabulated(table, _STYLES.get(fmt, fmt), config)
    auto = fmt == "auto" or (fmt == "table" and config.auto_vertical)
    if auto and width is not None and table.num_rows and _widest(text) > width:
        return _vertical(table, config), "vertical"
    return text, "table" if fmt == "auto" else fmt


def render(
    source: Any,
    *,
    config: ReplConfig,
    fmt: str | None = None,
    width: int | None = None,
    capped: bool = True,
    schema: pa.Schema | None = None,
) -> Rendered:
    """A result as text in ``fmt`` (the config's format when None), for the terminal.

    ``source`` is what :func:`take` takes. At most ``config.row_cap`` rows are kept (all when
    ``capped`` is false or the cap is 0); the rest are counted. ``width`` is the terminal's
    width, which ``auto`` (and ``table`` with ``auto_vertical``) compares the table with.
    """
    name = resolve_format(fmt or config.format)
    cap = config.row_cap if capped and config.row_cap > 0 else None
    part = take(source, cap, schema=schema)
    text, used = _text(part.table, name, config, width)
    footer = _footer(part.shown, part.total, exact=name in MACHINE_FORMATS)
    return Rendered(text, footer, part.shown, part.total, used)


def write(
    source: Any,
    out: TextIO,
    *,
    config: ReplConfig,
    fmt: str | None = None,
    schema: pa.Schema | None = None,
) -> int:
    """Write every row of ``source`` to ``out`` in ``fmt`` (never capped); the rows written.

    The exact formats stream batch by batch in bounded memory; a view for people (a table
    needs every width first) is built whole. Open a file with ``newline=""`` for CSV.
    """
    name = resolve_format(fmt or config.format)
    if name not in MACHINE_FORMATS:
        rendered = render(source, config=config, fmt=name, capped=False, schema=schema)
        if rendered.text:
            out.write(rendered.text + "\n")
        return rendered.total
    schema, batches = _stream(source, schema)
    writer = _Writer(name, out, schema)
    total = 0
    for batch in batches:
        writer.write(pa.Table.from_batches([batch]))
        total += batch.num_rows
    writer.close()
    return total


# ---- the pager ----------------------------------------------------------------------------------


def pager_command(config: ReplConfig, environ: Mapping[str, str] | None = None) -> list[str]:
    """The pager's argv: the config's ``pager_command``, else ``$PAGER``, else ``less -SRXF``.

    >>> from coqlkit.repl.config import ReplConfig
    >>> pager_command(ReplConfig(), {})
    ['less', '-SRXF']
    >>> pager_command(ReplConfig(), {"PAGER": "more"})
    ['more']
    """
    env = os.environ if environ is None else environ
    return shlex.split(config.pager_command or env.get("PAGER") or DEFAULT_PAGER)


def _chops(argv: Sequence[str], environ: Mapping[str, str]) -> bool:
    """Whether the pager cuts long lines (``less -S``) instead of wrapping them."""
    if not argv or os.path.basename(argv[0]) not in ("less", "less.exe"):
        return False
    flags = [*argv[1:], *environ.get("LESS", "").split()]
    short = (f for f in flags if f.startswith("-") and not f.startswith("--"))
    return "--chop-long-lines" in flags or any("S" in f for f in short)


def needs_pager(text: str, terminal_size: tuple[int, int], *, chop: bool) -> bool:
    """Whether ``text`` needs a pager on a terminal of (columns, lines): it leaves no line
    for the prompt, or (when the pager cuts long lines) a line is wider than the terminal.

    >>> needs_pager("a\\nb\\n", (80, 24), chop=True)
    False
    >>> needs_pager("x" * 100, (80, 24), chop=True), needs_pager("x" * 100, (80, 24), chop=False)
    (True, False)
    """
    columns, lines = max(terminal_size[0], 1), terminal_size[1]
    widths = [text_width(line) for line in text.splitlines()]
    if chop:
        return len(widths) >= lines or any(w > columns for w in widths)
    return sum(max(1, -(-w // columns)) for w in widths) >= lines


def run_pager(argv: Sequence[str], text: str) -> None:
    """Pipe ``text`` into the pager and wait for it to quit. Ctrl-C belongs to the pager
    (less ignores it), and quitting before the end is no error."""
    env = dict(os.environ)
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    if encoding.lower().replace("-", "") == "utf8":
        env.setdefault("LESSCHARSET", "utf-8")
    proc = subprocess.Popen(list(argv), stdin=subprocess.PIPE, env=env)
    assert proc.stdin is not None
    try:
        proc.stdin.write(text.encode(encoding, "replace"))
    except (BrokenPipeError, KeyboardInterrupt):  # the pager quit first
        pass
    finally:
        with contextlib.suppress(BrokenPipeError):  # closed all the same
            proc.stdin.close()
    while True:
        try:
            proc.wait()
            return
        except KeyboardInterrupt:
            continue


def page(
    text: str,
    *,
    config: ReplConfig,
    terminal_size: tuple[int, int] | None = None,
    isatty: bool | None = None,
    spawn: Callable[[Sequence[str], str], object] | None = None,
    out: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> bool:
    """Show ``text``: through the pager when it is on, ``out`` is a terminal and the text does
    not fit (:func:`needs_pager`); else written to ``out`` (stdout). True when paged.

    ``terminal_size`` (columns, lines), ``isatty``, ``spawn(argv, text)`` (default
    :func:`run_pager`) and ``environ`` are for tests. A pager that cannot start is reported
    on stderr and the text written directly.
    """
    out = sys.stdout if out is None else out
    env = os.environ if environ is None else environ
    if not text.endswith("\n"):
        text += "\n"
    tty = out.isatty() if isatty is None else isatty
    if config.pager and tty:
        size = shutil.get_terminal_size() if terminal_size is None else terminal_size
        try:
            argv = pager_command(config, env)
        except ValueError as exc:  # $PAGER with an unclosed quote
            argv = []
            print(f"coqlkit: cannot read the pager command: {exc}", file=sys.stderr)
        if argv and needs_pager(text, size, chop=_chops(argv, env)):
            try:
                (spawn or run_pager)(argv, text)
                return True
            except OSError as exc:
                print(f"coqlkit: the pager {argv[0]!r} did not start ({exc})", file=sys.stderr)
    out.write(text)
    out.flush()
    return False
