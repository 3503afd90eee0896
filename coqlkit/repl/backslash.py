"""The shell's backslash (and dot) commands: ``\\dt``, ``\\d``, ``\\x``, ``\\set``,
``\\o``, ``\\i``, ``\\e``, ``\\export``... one ``cmd_*`` method each, named by the
handler in :data:`~coqlkit.repl.commands.REGISTRY`; with the editor ``\\e`` opens.

:class:`_Commands` is the part of :class:`~coqlkit.repl.shell.Shell` that runs them.
"""

from __future__ import annotations

import dataclasses
import difflib
import errno
import fnmatch
import os
import shlex
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

import pyarrow as pa

from coqlkit import export
from coqlkit.api import Connection, Result
from coqlkit.errors import ConfigError, CoqlError
from coqlkit.language.split import blank
from coqlkit.repl import output
from coqlkit.repl.commands import REGISTRY, find, help_text
from coqlkit.repl.config import zone_named
from coqlkit.repl.encoding import NotUtf8, decode, read_file
from coqlkit.repl.params import _as_coql, parse_value
from coqlkit.repl.results import _Results
from coqlkit.repl.statements import Where, _complete
from coqlkit.repl.status import exit_code

__all__ = ["MAX_INCLUDE_DEPTH", "EditAborted", "Tally", "in_zone"]

#: The formats ``\\x`` turns on (``\\x off`` leaves them).
_EXPANDED = ("vertical", "auto")

#: How deep ``\\i`` may nest (a file that runs itself stops here instead of recursing forever).
MAX_INCLUDE_DEPTH = 16


@dataclasses.dataclass(frozen=True)
class Tally:
    """What the connections to one profile that ``\\profile`` closed had spent
    (``credits``), and the fewest credits Zoho last said were left for the org's day
    (``left``; None: it had not said) when this profile had spent ``at`` in the session."""

    credits: int = 0
    left: int | None = None
    at: int = 0


class _Commands(_Results):
    """The commands of :class:`~coqlkit.repl.shell.Shell` (which sets what is declared here,
    and runs statements: ``\\i`` and ``\\e`` run theirs through it)."""

    label: str
    connect_profile: Callable[[str], Connection]
    editor: Callable[[str], str]
    edit_file: Callable[[Path], None]
    _unexpanded: str
    options: dict[str, Any]
    tz_from: str
    strict: bool
    last: str | None
    last_params: dict[str, Any]
    last_label: str
    tallies: dict[str, Tally]
    failed_since: bool
    metadata_changed: bool
    prefill: str
    accept_prefill: bool
    _depth: int
    buffer: str
    buffer_taken: bool
    _word: str

    if TYPE_CHECKING:  # the shell's own

        def execute(self, text: str, *, source: str | None = None) -> int: ...

        def _explain(self, query: str, *, analyze: bool, where: Where | None = None) -> int: ...

        def _plan(self, text: str, params: dict[str, Any], where: Where | None) -> Result | None: ...

        def _confirmed(self, result: Result) -> bool: ...

        def _clock_after_asking(self, result: Result, started: float) -> float | None: ...

    def _command(self, line: str) -> int:
        word, _, arg = line.partition(" ")
        command = find(word)
        if command is None and word.rstrip(";").lower() in ("quit", "exit"):
            command = find("\\q")
        if command is None:
            close = _close_command(word)
            hint = f"did you mean {close}? (\\? lists the commands)" if close else "\\? lists the commands"
            self._message(f"unknown command {word}: {hint}")
            return 2
        if not command.args and arg.strip():  # as psql does: said, and the command runs
            self._message(f"{word} takes no argument: {arg.strip()!r} ignored")
        self._word = word
        handler: Callable[[str], int | None] = getattr(self, f"cmd_{command.handler}")
        return handler(arg.strip()) or 0

    def cmd_help(self, arg: str) -> int:
        self._emit(help_text())
        return 0

    def cmd_tables(self, arg: str) -> int:
        """``\\dt [PATTERN]``: the modules whose name or label matches (the CRM's tabs
        show labels: ``\\dt meet`` finds Events, labelled Meetings)."""
        modules = self.conn.modules()
        rows = [
            {
                "module": m.api_name,
                "label": m.label or m.singular_label,
                "custom": m.generated_type == "custom",
            }
            for m in modules
            if any(_matches(name, arg) for name in (m.api_name, m.label, m.singular_label) if name)
        ]
        self._table(rows, ["module", "label", "custom"])
        return 0

    def cmd_describe(self, arg: str, *, values: bool = False) -> int:
        """``\\d MODULE``; a name that differs from one module's only in case is that
        module, as psql folds an unquoted name (said: a query spells it with its case); so
        is a module's label (``\\d Meetings``: Events), as the query check reads one."""
        if not arg:
            return self.cmd_tables("")
        try:
            fields = self.conn.fields(arg)
        except CoqlError as exc:
            if exc.code != "INVALID_MODULE":
                raise
            modules = self.conn.modules()
            names = [m.api_name for m in modules]
            same = [n for n in names if n.lower() == arg.lower()]
            labelled = [m.api_name for m in modules if (m.label or "").lower() == arg.lower()]
            if len(same) == 1:
                self._message(f"{same[0]} (a query spells it so: a module's name keeps its case)")
                fields = self.conn.fields(same[0])
            elif not same and len(labelled) == 1:
                self._message(f"{labelled[0]}, labelled {arg} (a query names it {labelled[0]})")
                fields = self.conn.fields(labelled[0])
            else:
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
        if self.fmt != "vertical":  # \\T auto then \\x: \\x off goes back to auto
            self._unexpanded = self.fmt
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
        """``\\credits``: what the session spent on this profile's org, every connection to
        it counted (``\\profile`` away and back forgets nothing; the other profiles' are
        named), and what Zoho says is left of the org's day."""
        said = self.conn.credits_remaining  # Zoho's last figure
        # Its last figure less what was asked for since, or less than a call Zoho refused
        # for the day's credits cost: what the client goes by.
        bound = self.conn.aio.client.org_credits_left
        used = self.session_credits
        earlier = self.tallies.get(self.label)
        if bound is not None and (said is None or bound < said):
            tail = f"; at most {bound:,} left today"
        elif said is not None:
            tail = f"; {said:,} left today"
        elif earlier is not None and earlier.left is not None:  # said to a connection closed since
            since = used - earlier.at
            tail = (
                f"; about {max(0, earlier.left - since):,} left today (Zoho said {earlier.left:,} before "
                f"\\profile, less the {self._credits(since)} spent here since)"
            )
        else:
            tail = "; Zoho has not said how many are left today"
        others = [
            f"{t.credits:,} on {name or 'the org'}" for name, t in self.tallies.items() if name != self.label
        ]
        where = f" on {self.label or 'the org'} ({', '.join(others)})" if others else ""
        self._message(f"{used:,} credit{'' if used == 1 else 's'} used this session{where}{tail}")
        return 0

    @property
    def session_credits(self) -> int:
        """The credits this session spent on the current profile's org: the connection's,
        and those of the connections to the same profile that ``\\profile`` closed."""
        earlier = self.tallies.get(self.label)
        return (earlier.credits if earlier is not None else 0) + self.conn.credits_used

    def _tally(self) -> None:
        """Keep what the connection about to close spent, and the fewest credits Zoho said
        were left (a figure said before is kept when this one was told none)."""
        conn, earlier = self.conn, self.tallies.get(self.label, Tally())
        figures = [n for n in (conn.credits_remaining, conn.aio.client.org_credits_left) if n is not None]
        spent = earlier.credits + conn.credits_used
        if figures:
            self.tallies[self.label] = Tally(spent, min(figures), spent)
        else:
            self.tallies[self.label] = dataclasses.replace(earlier, credits=spent)

    def cmd_tz(self, arg: str) -> int:
        """``\\tz``: the time zone datetimes are shown and exported in, and where it comes
        from; ``\\tz ZONE`` sets it for the next queries and ``\\export`` (rows kept from
        the last query included: an instant's zone is a label in Arrow, changed for free);
        ``\\tz org`` goes back to the org's. A zone is checked as ``--tz`` and ``tz=``
        check it (``utc`` is ``UTC``: a zone's case is put right)."""
        zone = arg.strip("'\"")
        org = self.conn.aio.org_tz or self.conn.aio.tz  # (the connection's, when the org's is unknown)
        if zone.lower() == "org":
            self.options.pop("tz", None)
            if org != self.conn.aio.tz:  # connected with another zone (coqlkit --tz X, piped)
                self.options["tz"], self.tz_from = org, "\\tz org"
        elif zone:
            try:
                self.options["tz"], self.tz_from = zone_named(zone), "\\tz"
            except ConfigError as exc:
                self._message(f"\\tz {arg}: {exc.message}; the time zone stays {self._zone()}")
                return 2
        if "tz" not in self.options or self.tz_from == "\\tz org":
            self._message(f"time zone: {org} (the org's); \\tz ZONE sets another (UTC, Europe/Paris...)")
        else:
            where = "set by \\tz" if self.tz_from == "\\tz" else f"from {self.tz_from}"
            self._message(
                f"time zone: {self._zone()}, {where} (the org's is {org}: \\tz org goes back to it)"
            )
        return 0

    def _zone(self) -> str:
        """The time zone the next query's datetimes are in: the one set, else the org's."""
        return str(self.options.get("tz") or self.conn.aio.tz)

    def cmd_refresh(self, arg: str) -> int:
        catalog = self.conn.refresh_metadata()
        self.metadata_changed = True
        counts = len(self.conn.aio.counts)
        self.conn.aio.counts.forget()  # the next query of each WHERE counts its records again
        forgot = f"; {counts} remembered count{'' if counts == 1 else 's'} forgotten" if counts else ""
        self._message(
            f"metadata refreshed: {len(catalog)} modules (each module's fields are fetched again "
            f"when next used, 1 credit){forgot}"
        )
        return 0

    def cmd_profile(self, arg: str) -> int:
        """``\\profile NAME``: the session goes on on another profile's org. The last query
        stays the one that ran (on the profile it ran on: ``\\export`` writes its rows kept,
        saying whose, and does not run it again on this org); ``\\credits`` keeps counting
        each profile's credits for the shell's life."""
        if not arg:
            self._message(f"connected to {self.label or 'the org'}; \\profile NAME switches")
            return 0
        new = self.connect_profile(arg)
        self._tally()
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
        target = self._file(arg)
        if target is None:
            return 2
        kind = self._export_kind(target)
        if kind is None:
            return 2
        export.check_target(target, mkdir=self.mkdir)
        started = time.perf_counter()
        kept = self.kept
        # After \\profile, the last query ran on another org: its rows kept are written
        # (they are the rows shown, and cost nothing), said to be that profile's; it is not
        # run again here, on an org it was not run on, unasked.
        elsewhere = self.last_label != self.label
        there = f"profile {self.last_label}" if self.last_label else "the org connected first"
        if kept is not None and (kept.text, kept.params) == (self.last, self.last_params):
            # In the zone set since (\\tz), else the zone of the org they were read from.
            table = in_zone(kept.table, str(self.options.get("tz") or kept.zone or self._zone()))
            batches = table.to_batches() or [export.empty_batch(table.schema)]
            rows = self._write(batches, table.schema, target, kind)
            how = (
                "the rows of the last query that ran, kept"
                if self.failed_since
                else "the rows of the last query, kept"
            )
            if elsewhere:
                how += f", read on {there}"
            # No call, so no credit: not even for metadata (a summary that counts what was
            # spent since the last query planned said its metadata again on every export).
            self._wrote(rows, target, how, 0, 0, started, spent="0 credits")
            return 0
        if elsewhere:
            here = f"profile {self.label}" if self.label else "this org"
            self._message(
                f"the last query ran on {there}, and {self.unkept}: \\export does not run it again "
                f"on {here} (run it here first)"
            )
            return 2
        # Not kept (too many rows, not read to the end, or only explained): run it again,
        # with the parameters it had then, and say what that costs.
        result = self._plan(self.last, self.last_params, None)
        if result is None:
            return 1
        calls, credits, planned = _to_spend(result)
        self._message(
            f"\\export runs the last query{' that did not fail' if self.failed_since else ''} again "
            f"({self.unkept}): about {calls:,} call{'s' if calls != 1 else ''}, "
            f"{self._credits(credits)}{planned}"
        )
        clock = self._clock_after_asking(result, started)
        if clock is None:
            return 0
        return self._export_result(result, target, kind, clock)

    def cmd_output(self, arg: str) -> int:
        """``\\o FILE``: results go to FILE (created or emptied at once, as psql does), each
        statement's output added when it ends well: FILE holds whole statements' output
        only, whatever stops the shell; a failed write (a full disk) cuts it back to them."""
        status = self._end_output()
        if not arg:
            self._message("results go to the screen")
            return status
        path = self._file(arg)
        if path is None:  # in a script, the rest was meant for FILE, as below: it does not run
            self.done = self.done or not self.interactive
            return max(status, 2)
        if path.exists() and not path.is_file() and not path.is_dir():  # /dev/null, a FIFO: as it is
            self.sink, self.sink_path = open(path, "w", encoding="utf-8"), path  # noqa: SIM115 - till \o
            self._message(f"results go to {path}")
            return status
        try:
            file = export.PiecewiseText(path)
        except export.TargetError as exc:  # a directory, a missing one...: in a script, the
            # rest was meant for FILE: it does not run (to the screen, or anywhere)
            self._message(f"{exc.filename}: {exc.strerror}" + ("" if self.interactive else "; stopping"))
            self.done = self.done or not self.interactive
            return exit_code(exc)
        self.sink, self.sink_path, self._output = cast(TextIO, file), path, file
        self._message(f"results go to {path}")
        return status

    def cmd_include(self, arg: str) -> int:
        if not arg:
            self._message("\\i FILE")
            return 2
        path = self._file(arg)
        if path is None:
            return 2
        name = _file_argument(arg)  # as typed (unquoted): the file's positions are FILE:line:col
        try:
            text = decode(path.read_bytes(), name)
        except OSError as exc:
            self._message(f"cannot read {path}: {exc.strerror}")
            return 2
        except NotUtf8 as exc:
            self._message(f"{exc}\nnothing of {name} was run")
            return 2
        if self._depth >= MAX_INCLUDE_DEPTH:
            self._message(f"\\i {path}: files run inside each other {MAX_INCLUDE_DEPTH} deep; stopping")
            return 2
        self._depth += 1
        buffer, self.buffer = self.buffer, ""  # the file's own statements, not one it interrupted
        try:
            return self.execute(text, source=name)
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
            elif verb in ("init", "load", "save") or not rest.strip():  # sqlite3's others; a typo
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
        if name and not name.isidentifier():
            why = "letters, digits and _, not starting with a digit"
            self._message(f"\\set NAME VALUE: {name} cannot be a NAME ({why})")
            return 2
        if not name or not value.strip():
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
        """``\\e [FILE]``: what is saved runs. An edit given up (the editor could not
        start, exited with an error as vim's ``:cq`` does, or saved nothing) runs nothing,
        as in psql: it would run the last query again, and spend its credits again."""
        created: Path | None = None
        try:
            if arg:  # the file itself, in place (created if missing), then what it holds runs
                path = self._file(arg)
                if path is None:
                    return 2
                if path.is_dir():  # not opened in the editor: there is no file to edit
                    self._message(f"{path}: {os.strerror(errno.EISDIR)}")
                    return 2
                if not path.exists():
                    path.touch()
                    created = path
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
        except EditAborted as exc:  # a file made for the edit goes: nothing was saved in it
            if created is not None and not (created.exists() and created.read_bytes().strip()):
                created.unlink(missing_ok=True)
            self._message(f"\\e: {exc}; nothing run")
            return exc.status
        if self.interactive:  # back to the prompt: run at once if it is a whole statement
            self.prefill = edited
            self.accept_prefill = not blank(edited) and _complete(edited)
            return 0
        return self.execute(edited, source=_file_argument(arg) if arg else None) if edited else 0

    def _file(self, arg: str) -> Path | None:
        """The FILE of ``\\export``, ``\\o``, ``\\i`` or ``\\e`` (see :func:`_file_argument`),
        ``~`` its owner's home; None when it cannot be read so (said)."""
        try:
            return Path(os.path.expanduser(_file_argument(arg)))
        except ValueError as exc:
            self._message(f"{self._word} {exc}")
            return None

    def cmd_quit(self, arg: str) -> int:
        self.done = True
        return 0

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


def _to_spend(result: Result) -> tuple[int, int, str]:
    """The calls and credits ``result`` is still to spend (its plan's estimate less what
    planning it spent: the COUNT probe, subqueries read first), and a note of those spent
    (``""``: none), for the credits question and ``\\export``'s word before it runs again."""
    estimate, (spent_calls, spent_credits) = result.plan.estimate, result.plan.spent
    calls, credits = max(0, estimate.calls - spent_calls), max(0, estimate.credits - spent_credits)
    if not spent_credits:
        return calls, credits, ""
    how = "counting its records" if not result.plan.subqueries else "planning it"
    return (
        calls,
        credits,
        f", besides the {spent_credits:,} credit{'s' if spent_credits != 1 else ''} spent {how}",
    )


def in_zone(table: pa.Table, zone: str) -> pa.Table:
    """``table`` with its datetimes in ``zone``: the same instants (Arrow keeps them in UTC
    and the zone as a label on the column), shown and written there. No copy is made.

    >>> table = pa.table({"at": pa.array([0], pa.timestamp("s", "UTC"))})
    >>> in_zone(table, "Asia/Kolkata").column("at")[0].as_py().isoformat()
    '1970-01-01T05:30:00+05:30'
    """
    schema = pa.schema(
        [
            field.with_type(pa.timestamp(field.type.unit, zone))
            if pa.types.is_timestamp(field.type) and field.type.tz not in (None, zone)
            else field
            for field in table.schema
        ],
        metadata=table.schema.metadata,
    )
    return table if schema.equals(table.schema) else table.cast(schema)


def _close_command(word: str) -> str | None:
    r"""The command ``word`` was probably meant to be: one whose name differs only in case
    (``\D``), else the closest name (``\tming``: ``\timing``); None when none is close.

    >>> _close_command("\\tming"), _close_command(".tabels"), _close_command("\\D"), _close_command("\\zz")
    ('\\timing', '.tables', '\\d', None)
    """
    names = [name for command in REGISTRY for name in command.names if name.startswith(("\\", "."))]
    same = [name for name in names if name.lower() == word.lower()]
    close = same or difflib.get_close_matches(word, names, n=1, cutoff=0.75)
    return close[0] if close else None


def _matches(name: str, pattern: str) -> bool:
    """``\\dt PATTERN``: a glob as psql takes (``Lead*``), else a part of the name; any case.

    >>> _matches("Sales_Orders", "orders"), _matches("Sales_Orders", "*_orders"), _matches("Leads", "L?ad")
    (True, True, False)
    """
    name, pattern = name.lower(), pattern.lower()
    if any(ch in pattern for ch in "*?["):
        return fnmatch.fnmatchcase(name, pattern)
    return pattern in name


def _file_argument(arg: str) -> str:
    """The FILE a command is given, read as a shell reads a word: quotes keep blanks in it
    (a backslash escapes, except on Windows, where it separates folders). ValueError when
    there is not one word, or a quote is not closed.

    >>> _file_argument("'my file.csv'"), _file_argument('"a b"/c.csv'), _file_argument("x.csv")
    ('my file.csv', 'a b/c.csv', 'x.csv')
    >>> _file_argument("my file.csv")
    Traceback (most recent call last):
    ...
    ValueError: takes one FILE: quote a name with blanks ('my file.csv')
    """
    lexer = shlex.shlex(arg, posix=True)
    lexer.whitespace_split, lexer.commenters = True, ""
    if os.name == "nt":
        lexer.escape = ""
    try:
        words = list(lexer)
    except ValueError:
        raise ValueError("takes one FILE: a quote is not closed") from None
    if len(words) != 1:
        raise ValueError(f"takes one FILE: quote a name with blanks ({shlex.quote(arg)})")
    return words[0]


class EditAborted(Exception):
    """The editor saved nothing: it could not start (``status`` 2, as a setting that is
    wrong), it exited with an error (vim's ``:cq``) or it left the file as it was (``:q``),
    which is how an edit is given up (0). The message says which."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


def _edit(text: str) -> str:
    """``text`` edited in ``$VISUAL`` / ``$EDITOR`` (vi when neither is set); raises
    :class:`EditAborted` when nothing was saved."""
    with tempfile.NamedTemporaryFile("w", suffix=".coql", delete=False, encoding="utf-8") as fh:
        fh.write(text)
        name = fh.name
    try:
        _edit_file(Path(name))
        return read_file(name)
    finally:
        Path(name).unlink(missing_ok=True)


def _edit_file(path: Path) -> None:
    """The file at ``path`` edited in place in ``$VISUAL`` / ``$EDITOR`` (vi when neither is
    set); raises :class:`EditAborted` when the editor could not start, exited with an error,
    or did not write the file (its time and its text as they were: psql's test)."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    before = _saved(path)
    try:
        done = subprocess.run([*shlex.split(editor), str(path)], check=False)
    except (OSError, ValueError) as exc:  # not found, not executable; a quote not closed
        why = getattr(exc, "strerror", None) or exc
        raise EditAborted(f"the editor {editor!r} could not start: {why}", status=2) from None
    if done.returncode != 0:
        raise EditAborted(f"the editor exited with status {done.returncode}")
    if _saved(path) == before:
        raise EditAborted("nothing saved")


def _saved(path: Path) -> tuple[int, bytes] | None:
    """What tells whether ``path`` was written: its modification time and its bytes."""
    try:
        return path.stat().st_mtime_ns, path.read_bytes()
    except OSError:
        return None


def _edit_through(editor: Callable[[str], str], path: Path) -> None:
    """The file at ``path`` edited in place by a text-to-text ``editor``."""
    path.write_text(editor(path.read_text(encoding="utf-8")), encoding="utf-8")
