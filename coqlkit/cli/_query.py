"""The REPL (``coqlkit`` with no command) and ``coqlkit query`` / ``explain`` / ``export``.

Data goes to standard output, messages to standard error. Exit codes: 0 ok, 1 the query
is wrong, 2 usage or configuration, 3 connection or authentication, 4 timeout, 5 stopped
by the credit budget, 6 a short read (records deleted or changed during it), 7 the file
could not be written, 130 interrupted, 143 terminated (SIGTERM; 129: SIGHUP).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import signal
import stat
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO, cast

from coqlkit.errors import (
    ConfigError,
    CoqlError,
    CoqlSyntaxError,
    CoqlWarning,
    ParameterError,
    ValidationError,
)

if TYPE_CHECKING:
    from coqlkit.cli._stats import Record
    from coqlkit.repl.shell import Where

__all__ = [
    "add_connection_options",
    "add_stop_on_error",
    "error_line",
    "handle_signals",
    "register",
    "run_repl",
    "show_warnings",
]

NO_PROFILE = (
    "coqlkit: no Zoho org configured.\n"
    "Add one with `coqlkit auth login`, or try the demo org with `coqlkit --sandbox`."
)

#: ``query -o FILE``: the text format of each extension it knows.
OUTPUT_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".md": "markdown",
    ".txt": "table",
}
#: Extensions of files ``-o`` cannot write (they are not text): ``coqlkit export`` can.
BINARY_FORMATS = (".parquet", ".arrow", ".feather")

#: What to do about a command-line word that is not UTF-8 (the shell, or the script that
#: ran coqlkit, gave it in another encoding).
ARGV_NOT_UTF8 = "give {} as UTF-8 (the shell or the script gave it in another encoding)"

#: The exit status of a short read (``coqlkit.repl.status``): fewer rows than counted.
EXIT_SHORT = 6

#: The exit statuses of ``query``, ``explain``, ``export`` and ``coqlkit < script.sql``, at
#: the end of their ``--help`` (the README's table, short): a systemd unit or a CI step is
#: often written from ``--help`` alone.
EXIT_STATUSES = """\
exit status:
  0    ok
  1    a query is wrong (syntax, validation, no plan, Zoho refused it),
       or --strict refused its warnings
  2    usage or configuration: nothing ran
  3    connection or authentication, or Zoho failed (5xx): run again later
  4    timeout
  5    stopped by the credit budget, or the org's credits left today
  6    a short read (records changed during it): the file left as it was
  7    a file, or standard output, could not be written (a full disk)
  8    the org is busy (Zoho refused even one call at a time): try later
  70   coqlkit's own failure (a bug): please report it
  130  interrupted (Ctrl-C); 143: SIGTERM, 129: SIGHUP"""

#: A failure coqlkit did not foresee (a bug), as BSD's sysexits calls it (EX_SOFTWARE): not 1,
#: which says the query is wrong.
EXIT_INTERNAL = 70
#: A file could not be written (a full disk, a wrong path): the README's 7.
EXIT_FILE = 7


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help, but a text laid out in lines (an epilog's table) is kept as it is
    written; a text of one line (a description) is wrapped to the terminal as before."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" not in text:
            return super()._fill_text(text, width, indent)
        return "".join(indent + line for line in text.splitlines(keepends=True))


#: The REPL's words for a query ``strict`` refused, and the command line's (where strict
#: mode is the ``--strict`` option, not a setting to turn off).
REPL_STRICT_REFUSAL = "not run: strict mode refuses a query with warnings (turn it off to run it)"
STRICT_REFUSAL = "coqlkit: not run: --strict refuses a query with warnings (run without --strict to run it)"
#: ... and a script's, where ``\\strict`` turned it on (no --strict was given to name).
SCRIPT_STRICT_REFUSAL = "coqlkit: not run: \\strict refuses a query with warnings (\\strict off runs it)"


def add_connection_options(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    suppress: dict[str, Any] = {} if top else {"default": argparse.SUPPRESS}
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--profile", metavar="NAME", help="the profile of the org to query", **suppress)
    where.add_argument(
        "--sandbox",
        action="store_true",
        help="start the demo org's sandbox in the background and query it",
        **suppress,
    )
    parser.add_argument(
        "--records",
        type=int,
        metavar="N",
        help="with --sandbox: the size of the demo org (default 25,000 leads)",
        **suppress,
    )
    if top:  # a command's own --tz is suppressed when not given: it would put None over this one
        parser.add_argument(
            "--tz",
            metavar="ZONE",
            help="the time zone of datetimes (default: repl.toml's tz in the shell, else the org's), e.g. UTC",
        )


def add_stop_on_error(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    """``--stop-on-error``: ``query``'s, and ``coqlkit``'s own for a script on standard input
    (``coqlkit --stop-on-error < nightly.sql``), which a command's leaves as it is."""
    suppress: dict[str, Any] = {} if top else {"default": argparse.SUPPRESS}
    parser.add_argument(
        "--stop-on-error",
        action="store_true",
        help="stop a script at its first failed statement or command (psql's ON_ERROR_STOP); "
        "by default the rest runs and the exit status is the worst",
        **suppress,
    )


def add_stats_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stats-json",
        metavar="FILE",
        help="write what the run did and spent to FILE as one JSON object (rows, calls, credits, "
        "metadata credits, retries, 429s, seconds, exit status...), even when it fails",
    )


def _query_options(parser: argparse.ArgumentParser, *, quiet: bool = True) -> None:
    """What every query command takes: parameters, the planner's choices, the check's
    strictness, and where to send the query."""
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="bind :NAME (repeatable); VALUE is a number only as numbers are written (02158, +1 stay text)",
    )
    plan = parser.add_argument_group("how to read the rows")
    plan.add_argument(
        "--max-credits", type=int, metavar="N", help="refuse a plan that would spend more than N credits"
    )
    plan.add_argument(
        "--strategy",
        choices=("auto", "coql", "bulk"),
        help="read with COQL pages, a bulk-read job, or let the planner choose (auto, the default)",
    )
    plan.add_argument(
        "--prefer",
        choices=("time", "credits"),
        help="what the planner saves first when it chooses (default: time)",
    )
    plan.add_argument(
        "--tz",
        metavar="ZONE",
        default=argparse.SUPPRESS,  # not given: coqlkit --tz ZONE's, if any
        help="the time zone of datetimes (default: the org's), e.g. UTC",
    )
    plan.add_argument(
        "--bulk-job-seconds",
        type=float,
        metavar="SECONDS",
        help="how long a bulk-read job is expected to take (default 60): its status polls are "
        "spread over it, and a job still running 10 times that long is given up (exit 4)",
    )
    plan.add_argument(
        "--count-ttl",
        type=float,
        metavar="SECONDS",
        help="in the shell, plan a query run again from the count its WHERE had within SECONDS "
        "(default 600; 0: count every time)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="refuse a query the check has warnings about (exit 1)"
    )
    if quiet:
        parser.add_argument(
            "-q", "--quiet", action="store_true", help="print errors only: no warnings, progress or summary"
        )
    add_connection_options(parser)


def register(commands: Any) -> None:
    query = commands.add_parser(
        "query",
        help="run COQL queries and print their rows",
        description=(
            "Run the ;-separated queries (and REPL commands) of -c TEXT, -f FILE or standard input. "
            "Rows go to standard output (-o FILE: to a file, replaced only when every query ran), "
            "messages to standard error."
        ),
        epilog='example: coqlkit --sandbox query -c "select Last_Name from Leads limit 5" --format csv\n\n'
        + EXIT_STATUSES,
        formatter_class=HelpFormatter,
    )
    source = query.add_mutually_exclusive_group()
    source.add_argument("-c", "--command", metavar="TEXT", help="the queries to run")
    source.add_argument("-f", "--file", metavar="FILE", help="a file of queries ('-': standard input)")
    query.add_argument(
        "--format",
        metavar="FORMAT",
        help="table, vertical, csv, tsv, json, jsonl, markdown, or a tabulate style",
    )
    query.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the rows to FILE instead of standard output (format from .csv, .tsv, .json, "
        ".jsonl, .md, .txt unless --format)",
    )
    query.add_argument(
        "--allow-short",
        action="store_true",
        help="a read that brings fewer rows than counted (records deleted meanwhile) is a warning, "
        "not exit 6 (-o FILE: written)",
    )
    add_stop_on_error(query)
    add_stats_json(query)
    _query_options(query)
    query.set_defaults(run=run_query)

    explain = commands.add_parser(
        "explain",
        help="show a query's plan: strategy, COQL sent, calls and credits",
        description="Print the plan of QUERY (the COUNT probe it may need costs one credit).",
        epilog=EXIT_STATUSES,
        formatter_class=HelpFormatter,
    )
    explain.add_argument("query", metavar="QUERY")
    explain.add_argument(
        "--analyze", action="store_true", help="run the query too and show what each step did"
    )
    _query_options(explain, quiet=False)
    explain.set_defaults(run=run_explain)

    exporter = commands.add_parser(
        "export",
        help="stream a query's rows into a file (parquet, csv, json, jsonl, arrow), atomically",
        usage="coqlkit export (QUERY | -f FILE) TARGET [options]",
        description=(
            "Run QUERY (or the one query in -f FILE) and write all its rows to TARGET; the format "
            "follows TARGET's extension (.parquet, .csv, .json, .jsonl, .arrow, .feather). TARGET is "
            "replaced only when every row is written; one summary line on standard error at the end."
        ),
        epilog='example: coqlkit export "select Last_Name, Email from Leads" leads.parquet --max-credits 200\n\n'
        + EXIT_STATUSES,
        formatter_class=HelpFormatter,
    )
    exporter.add_argument("words", nargs="+", metavar="QUERY TARGET", help=argparse.SUPPRESS)
    exporter.add_argument(
        "-f", "--file", metavar="FILE", help="read the query from FILE ('-': standard input)"
    )
    exporter.add_argument(
        "--allow-short",
        action="store_true",
        help="write the file even when fewer rows came than were counted (records deleted meanwhile)",
    )
    exporter.add_argument("--mkdir", action="store_true", help="create TARGET's directory if it is missing")
    add_stats_json(exporter)
    _query_options(exporter)
    # QUERY and TARGET may have options between them (`export QUERY --tz UTC TARGET`): argparse
    # leaves TARGET over, and main() gives it to ``words`` (``intermixed``).
    exporter.set_defaults(run=run_export, intermixed="words", usage_parser=exporter)


@contextlib.contextmanager
def _connection(args: argparse.Namespace, err: TextIO, *, zone: bool = True) -> Iterator[Any]:
    """A connection to the org ``args`` name; ``--tz`` is its time zone too, unless not
    ``zone`` (the interactive shell: its ``\\tz org`` goes back to the org's own zone)."""
    from coqlkit.api import connect

    if getattr(args, "records", None) is not None and not getattr(args, "sandbox", False):
        raise ConfigError("--records sizes the sandbox: use it with --sandbox")
    sandbox: bool | dict[str, Any] = False
    if getattr(args, "sandbox", False):
        sandbox = {"records": args.records} if getattr(args, "records", None) else True
        print("coqlkit: starting the sandbox (the demo org)...", file=err, flush=True)
    # --tz is the connection's zone too: the org's, unknown to Arrow ("PST"), is not warned of then.
    tz = _plan_options(args).get("tz") if zone else None
    conn = connect(getattr(args, "profile", None), sandbox=sandbox, **({"tz": tz} if tz else {}))
    try:
        yield conn
    finally:
        conn.close()


def _label(args: argparse.Namespace, conn: Any) -> str:
    if getattr(args, "sandbox", False):
        return "sandbox"
    return str(getattr(args, "profile", None) or conn.aio.client.settings.profile or "env")


def _params(args: argparse.Namespace) -> dict[str, Any]:
    """``--param NAME=VALUE`` options, typed as ``\\set`` types them (checked before connecting)."""
    from coqlkit.repl.encoding import check
    from coqlkit.repl.shell import parse_value

    params = {}
    for item in getattr(args, "param", []) or []:
        check(item, fix=ARGV_NOT_UTF8.format("--param"))
        name, sep, value = item.partition("=")
        if not sep or not name.strip().lstrip(":").isidentifier():
            raise ConfigError(f"--param {item!r}: write NAME=VALUE")
        params[name.strip().lstrip(":")] = parse_value(value)
    return params


def _plan_options(args: argparse.Namespace) -> dict[str, Any]:
    """``--max-credits``, ``--strategy``, ``--prefer``, ``--tz``, ``--count-ttl``,
    ``--bulk-job-seconds``: what was given."""
    options: dict[str, Any] = {}
    if getattr(args, "max_credits", None) is not None:
        if args.max_credits < 0:
            raise ConfigError("--max-credits takes a number of credits, 0 or more")
        options["max_credits"] = args.max_credits
    seconds = getattr(args, "bulk_job_seconds", None)
    if seconds is not None:
        if not 0 <= seconds < math.inf:
            raise ConfigError(
                "--bulk-job-seconds takes a number of seconds, 0 or more (Zoho's jobs: about 60)"
            )
        options["bulk_job_seconds"] = seconds
    if getattr(args, "count_ttl", None) is not None:
        if not args.count_ttl >= 0:
            raise ConfigError("--count-ttl takes a number of seconds, 0 or more")
        options["count_ttl"] = args.count_ttl
    for name in ("strategy", "prefer", "tz"):
        value = getattr(args, name, None)
        if value is not None:
            options[name] = value
    if "tz" in options:  # checked as \tz and repl.toml's tz are: any case, the zone probably meant
        from coqlkit.repl.config import zone_named

        options["tz"] = zone_named(options["tz"], "--tz")
    return options


def _shell(
    conn: Any, args: argparse.Namespace, out: TextIO, err: TextIO, params: dict[str, Any], **options: Any
) -> Any:
    from coqlkit.repl.config import load

    config, warnings_ = load(create=False)
    for warning in warnings_:
        print(f"coqlkit: {warning}", file=err)
    quiet = bool(getattr(args, "quiet", False))
    from coqlkit.cli._shell import _cli_shell  # (the shell loads pyarrow: when first needed)

    shell = _cli_shell()(
        conn,
        config=config,
        out=out,
        err=err,
        label=_label(args, conn),
        options=_plan_options(args),
        strict=bool(getattr(args, "strict", False)),
        quiet=quiet,
        **options,
    )
    shell.params.update(params)
    shell.allow_short = bool(getattr(args, "allow_short", False))
    return shell


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _guard(
    body: Any,
    err: TextIO,
    spent: Callable[[], Spent | None] | None = None,
    *,
    only_stopped: bool = False,
    lost: Callable[[], bool] = lambda: False,
    quiet: bool = False,
    record: Record | None = None,
) -> int:
    """Run ``body()``, turning errors into messages and exit codes. ``spent``: the credits
    and calls spent so far (None: not connected), said after the error when it failed
    (``-q`` or not: it goes with the error), and when the output was closed before the end
    (``| head``: the pages read ahead were spent too; not with ``quiet``, -q, when it ended
    well); ``only_stopped``: only when a signal stopped it (``coqlkit query``: a query's
    failure is said where it happened, and the rest runs), or when ``lost()``: the output
    failed (standard output could not be written: the rest did not run). ``record``: the
    run's figures, written last (``--stats-json``); a file that cannot be written fails a run
    that went well, exit 7."""
    closed: list[bool] = []
    status = _guarded(body, err, closed)
    stopped = status > 128
    how = "before it was stopped" if stopped else "before failing"
    # The output closed early (| head) is no error: -q keeps it quiet then; an error is said.
    wanted = (status and (stopped or not only_stopped or lost())) or (closed and not (quiet and not status))
    if closed:
        how = "before the output was closed"
    found = spent() if wanted and spent is not None else None
    if found is not None and any(found):
        with contextlib.suppress(OSError, ValueError):  # standard error may be closed too
            print(f"coqlkit: spent {found} {how}", file=err)
            err.flush()
    problem = record.finish(status) if record is not None else None
    if record is not None and problem is not None:
        with contextlib.suppress(OSError, ValueError):
            print(error_line(f"{record.path}: {problem.strerror or problem} (--stats-json)"), file=err)
        return status or 7
    return status


class Spent(NamedTuple):
    """What a connection spent: the credits Zoho charged for the calls it answered, the
    calls sent (metadata and retries included), and apart, the credits of calls whose
    answers were lost (Zoho may or may not have charged them) and how many those were."""

    credits: int
    calls: int
    maybe_credits: int = 0
    lost: int = 0

    def __str__(self) -> str:
        """``3 credits (3 calls)``, ``76 credits (56 calls; +42 maybe charged for 14 lost answers)``."""
        maybe = f"; {_maybe_charged(self.maybe_credits, self.lost)}" if self.maybe_credits else ""
        return f"{_plural(self.credits, 'credit')} ({_plural(self.calls, 'call')}{maybe})"


def _maybe_charged(credits: int, lost: int) -> str:
    """``+6 maybe charged for 2 lost answers``: credits of calls whose answers were lost."""
    return f"+{credits:,} maybe charged for {_plural(lost, 'lost answer')}"


def _spent(opened: list[Any]) -> Spent | None:
    """What the connection in ``opened`` (if one was made) spent, as the org's log counts
    it, the credits of lost answers apart (see :class:`Spent`)."""
    if not opened:
        return None
    client = opened[0].aio.client
    maybe = int(client.unanswered_credits)
    return Spent(int(client.credits_used) - maybe, int(client.sends), maybe, int(client.unanswered_calls))


def _guarded(body: Any, err: TextIO, closed: list[bool] | None = None) -> int:
    """``body()``'s status, or its error's; ``closed`` gets True when the output was closed
    before the end (the reader of a pipe left)."""
    from coqlkit.export import ExportError
    from coqlkit.repl.encoding import NotUtf8
    from coqlkit.repl.shell import Terminated, exit_code

    try:
        return int(body())
    except Terminated as exc:
        print(f"coqlkit: terminated ({signal.Signals(exc.signum).name})", file=err)
        return exc.status
    except KeyboardInterrupt:
        print("coqlkit: interrupted", file=err)
        return 130
    except BrokenPipeError:  # the reader of our output left (| head): stop (what was spent is said)
        with contextlib.suppress(OSError, ValueError):
            _to_devnull(sys.stdout.fileno())  # no error at exit
        if closed is not None:
            closed.append(True)
        return 0
    except ExportError as exc:  # writing the file failed midway: a full disk...
        print(error_line(f"{exc.filename}: {exc.strerror}"), file=err)
        return 7
    except OSError as exc:  # -f FILE that cannot be read, an export target that cannot be written
        print(error_line(f"{exc.filename or 'file'}: {exc.strerror or exc}"), file=err)
        return 2
    except NotUtf8 as exc:  # read before anything ran: all of it is refused
        print(f"{exc}\ncoqlkit: nothing was run", file=err)
        return 2
    except ConfigError as exc:
        text = str(exc)
        print(NO_PROFILE if text.startswith("no Zoho org configured") else f"coqlkit: {text}", file=err)
        return 2
    except CoqlError as exc:
        print(error_line(str(exc)), file=err)
        return exit_code(exc)


def error_line(text: str, where: Where | None = None) -> str:
    """An error as the command line says it: ``coqlkit: error: `` (as its warnings are
    ``coqlkit: warning: ``, so that ``grep coqlkit:`` in a log finds it), then where in a
    script it happened (``s3.sql:2: ``), then ``text``.

    >>> error_line("the org's API credits for the day are spent")
    "coqlkit: error: the org's API credits for the day are spent"
    >>> error_line("coqlkit: 3 fewer rows than counted")  # (said by the shell with its prefix)
    'coqlkit: error: 3 fewer rows than counted'
    """
    place = where.prefix() if where is not None else ""
    return f"coqlkit: error: {place}{text.removeprefix('coqlkit: ')}"


#: Standard output, as messages name it where they would name a file.
STDOUT = "standard output"


#: The first line of an error diagnostic: ``FILE:line:col: error[CODE]: message``.
_ERROR_HEADER = re.compile(r"(?P<at>(?:\S.*:)?\d+:\d+): error\[[A-Z_]+\]: (?P<message>.*)")


def error_lines(diagnostics: str) -> list[str]:
    r"""An error line (:func:`error_line`) for each error among ``diagnostics``, where it
    is: after the caret display, in a log, ``grep 'coqlkit: error'`` finds a wrong query as
    it finds every other failure.

    >>> error_lines("s.sql:4:8: error[INVALID_QUERY]: Leads has no field Emial\n  select Emial\n  hint: ...")
    ['coqlkit: error: s.sql:4:8: Leads has no field Emial']
    """
    found = (_ERROR_HEADER.fullmatch(line) for line in diagnostics.splitlines())
    return [error_line(f"{m['at']}: {m['message']}") for m in found if m is not None]


def _terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (ValueError, AttributeError):  # closed, or no such method
        return False


class _Counted:
    """Standard output, with what is written to it counted: a query that fails after its
    first rows went out is told apart from one that failed before writing anything.

    A write that fails (``> out.csv`` on a full disk) raises an
    :class:`~coqlkit.export.ExportError` of standard output, kept in :attr:`failed`: exit 7,
    as for a file, not 2 (usage: a scheduler would not page anyone). What standard output
    took of the rows cannot be taken back; what is still buffered goes nowhere, rather than
    failing again when the process exits."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.written = 0
        self.failed: OSError | None = None

    def write(self, text: str) -> int:
        self.written += len(text)
        try:
            return self._stream.write(text)
        except BrokenPipeError:  # the reader left (| head): no failure (see _guarded)
            raise
        except OSError as exc:
            raise self._failure(exc) from exc

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise self._failure(exc) from exc

    def _failure(self, exc: OSError) -> OSError:
        """The error to raise for ``exc``: an ExportError of standard output (kept in
        :attr:`failed`); what is still buffered is sent to /dev/null."""
        from coqlkit.export import ExportError

        self.failed = ExportError(exc.errno, exc.strerror or str(exc), STDOUT)
        with contextlib.suppress(OSError, ValueError, AttributeError):  # (no descriptor: a StringIO)
            _to_devnull(self._stream.fileno())
        return self.failed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _to_devnull(fd: int) -> None:
    """``fd`` writes to /dev/null from now on: what is left in its buffer cannot fail again
    when the process exits (Python would say so, and exit 120)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _written(stream: TextIO) -> int:
    return stream.written if isinstance(stream, _Counted) else 0


def _regular_file(stream: TextIO) -> bool:
    """Whether ``stream`` writes to a file on disk (``> out.csv``), which reads every row."""
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError, AttributeError):  # no descriptor (a StringIO): as a file
        return True


def _read_source(args: argparse.Namespace) -> tuple[str, str | None]:
    """The text of ``-c``, ``-f FILE`` or standard input, and the name positions quote
    (``""`` for ``-c``: none); all of it UTF-8, or nothing of it runs
    (:class:`~coqlkit.repl.encoding.NotUtf8`)."""
    from coqlkit.repl.encoding import check, read_file, read_stdin

    if getattr(args, "command", None) is not None:
        check(args.command, fix=ARGV_NOT_UTF8.format("-c TEXT"))
        return args.command, ""  # positions in what was typed, with no file name to quote
    if args.file not in (None, "-"):
        return read_file(args.file), args.file
    return read_stdin(), "<stdin>"


def _output_format(path: str, given: str | None) -> str | None:
    """The format ``-o FILE`` writes: ``--format``, else the extension's (None: no
    extension, the default); a file that is not text, or an unknown extension, refused."""
    suffix = Path(path).suffix.lower()
    if suffix in BINARY_FORMATS:
        raise ConfigError(
            f"-o writes text, not {suffix[1:]}: use coqlkit export QUERY {path} "
            "(or --format with a text extension)"
        )
    if given is not None or not suffix:
        return given
    if suffix not in OUTPUT_FORMATS:
        raise ConfigError(
            f"cannot tell the format of {Path(path).name}: use .csv, .tsv, .json, .jsonl, .md or .txt, "
            "or give --format"
        )
    return OUTPUT_FORMATS[suffix]


def run_query(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    opened: list[Any] = []  # the connection, once made: what it spent is said if a query fails
    counted = _Counted(out)  # standard output: a write to it that fails stops the run (exit 7)
    record = _record("query", args)

    def body() -> int:
        from coqlkit import export
        from coqlkit.repl.output import resolve_format

        record.check(args.output)  # before anything runs: a --stats-json FILE that cannot be written
        text, source = _read_source(args)
        fmt = resolve_format(args.format) if args.format else None  # usage errors before connecting
        target: Path | None = None
        existed = False
        if args.output:
            fmt = _output_format(args.output, fmt)
            target = export.check_target(args.output)
            existed = target.exists()
        params = _params(args)
        with _connection(args, err) as conn:
            opened.append(conn)
            record.conn = conn

            def run(sink: export.AtomicText | None) -> int:
                shell = _shell(
                    conn,
                    args,
                    cast(TextIO, counted if sink is None else sink),
                    err,
                    params,
                    progress=err.isatty(),
                    display=out.isatty() and sink is None,
                )
                shell.timing = shell.timing and err.isatty() and not shell.quiet
                shell.stop_on_error = bool(getattr(args, "stop_on_error", False))
                shell.record = record
                if fmt is not None:
                    shell.fmt = fmt
                elif not out.isatty() or sink is not None:
                    shell.fmt = "csv" if shell.fmt in ("table", "auto", "vertical") else shell.fmt
                if sink is not None:
                    shell.sink = cast(TextIO, sink)
                else:  # a pipe's reader may stop after a few rows (| head): a page, not 20
                    shell.lazy = False if _regular_file(out) else "ramp"
                try:
                    status = int(shell.execute(text, source=source))
                except BaseException:
                    shell.close(keep=False)  # an \o FILE of the script: left as it was
                    raise
                status = max(status, int(shell.close()))
                if sink is None and counted.failed is None:
                    counted.flush()  # (a failure here is said as any write's: exit 7)
                return status

            if target is None:
                return run(None)
            # The rows go to a temporary that becomes FILE only when every query ran.
            sink = export.AtomicText(target)
            try:
                status = run(sink)
            except BaseException:
                sink.discard()
                raise
            if sink.failed:  # the shell said why, and stopped
                return status
            if status:
                sink.discard()
                what = "was left as it was" if existed else "was not written"
                why = "a read came back short" if status == EXIT_SHORT else "a query failed"
                print(f"coqlkit: {target} {what} ({why})", file=err)
                return status
            sink.commit()
            return status

    # With -o FILE, a failure loses every row: what was spent for them is said, as by export;
    # so it is when standard output could not be written (the rest was not run).
    return _guard(
        body,
        err,
        spent=lambda: _spent(opened),
        only_stopped=not args.output,
        lost=lambda: counted.failed is not None,
        quiet=bool(getattr(args, "quiet", False)),
        record=record,
    )


def run_explain(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    opened: list[Any] = []
    counted = _Counted(out)  # a write that fails: exit 7, and what was spent is said

    def body() -> int:
        from coqlkit.repl.encoding import check

        check(args.query, fix=ARGV_NOT_UTF8.format("QUERY"))
        params = _params(args)
        with _connection(args, err) as conn:
            opened.append(conn)
            shell = _shell(conn, args, cast(TextIO, counted), err, params)
            prefix = "explain analyze " if args.analyze else "explain "
            return int(shell.execute(prefix + args.query.rstrip().rstrip(";") + ";"))

    return _guard(
        body, err, spent=lambda: _spent(opened), only_stopped=True, lost=lambda: counted.failed is not None
    )


def _export_query(args: argparse.Namespace) -> tuple[str, str, Any]:
    """The query, the target and where the query came from (for positions)."""
    from coqlkit.language import split_statements
    from coqlkit.language.split import blank
    from coqlkit.repl.encoding import check, read_file, read_stdin
    from coqlkit.repl.shell import Where

    words = args.words
    if args.file is not None:
        if len(words) != 1:
            raise ConfigError("export -f FILE TARGET: give the query in FILE and one TARGET")
        source = "<stdin>" if args.file == "-" else args.file
        text = read_stdin() if args.file == "-" else read_file(args.file)
        target = words[0]
        statements = [s for s in split_statements(text) if not blank(s.text)]
        if len(statements) != 1:
            raise ConfigError(f"{source} holds {len(statements)} queries: export takes one")
        statement = statements[0]
        body = statement.text.strip()
        lead = statement.text[: len(statement.text) - len(statement.text.lstrip())]
        where = Where(text, statement.line, statement.column, source).after(lead)
        return body.rstrip().rstrip(";"), target, where
    if len(words) != 2:
        raise ConfigError("export QUERY TARGET: give the query and the file to write (or -f FILE TARGET)")
    query, target = words
    check(query, fix=ARGV_NOT_UTF8.format("QUERY"))
    return query.rstrip().rstrip(";"), target, Where(query)


def run_export(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    opened: list[Any] = []  # the connection, once made: what it spent is said if the export fails
    record = _record("export", args)

    def body() -> int:
        from coqlkit import export
        from coqlkit.repl.shell import exit_code

        query, target, where = _export_query(args)
        record.check(target)  # before anything runs: a --stats-json FILE that cannot be written
        problem = export.no_format(target, "rows.parquet")
        if problem is not None:
            print(error_line(problem), file=err)
            return 2
        try:  # before connecting: a target that cannot be written costs nothing
            export.check_target(target, mkdir=args.mkdir)
        except export.TargetError as exc:
            text = str(exc.strerror)
            if exc.missing is not None:
                text = text.removesuffix(")") + "; --mkdir creates it)"
            print(error_line(f"{target}: {text}"), file=err)
            return 2
        params = _params(args)
        with _connection(args, err) as conn:
            opened.append(conn)
            record.conn = conn
            shell = _shell(conn, args, out, err, params, progress=err.isatty())
            shell.record = record
            shell.allow_short = args.allow_short
            shell.mkdir = args.mkdir
            shell.exporting = True
            try:
                return int(shell.export(query, Path(target), where))
            except (CoqlSyntaxError, ValidationError, ParameterError) as exc:  # with -f FILE's positions
                print(shell.describe(exc, where, query), file=err)
                return exit_code(exc)

    return _guard(body, err, spent=lambda: _spent(opened), record=record)


def _record(command: str, args: argparse.Namespace) -> Record:
    """The figures of the run, for ``--stats-json FILE`` (None: none asked for)."""
    from coqlkit.cli._stats import Record

    return Record(command, getattr(args, "stats_json", None))


def run_repl(args: argparse.Namespace) -> int:
    """``coqlkit`` with no command: the REPL on a terminal, else the queries on stdin."""
    err = sys.stderr
    if not sys.stdin.isatty():
        args.command, args.file, args.output, args.format, args.param = None, "-", None, None, []
        return run_query(args)

    def body() -> int:
        from coqlkit.repl.app import Repl
        from coqlkit.repl.config import load

        tz = _plan_options(args).get("tz")  # --tz checked before connecting
        config, warnings_ = load()
        for warning in warnings_:
            print(f"coqlkit: {warning}", file=err)
        with _connection(args, err, zone=False) as conn:
            return Repl(conn, config, label=_label(args, conn), sandbox=bool(args.sandbox), tz=tz).run()

    return _guard(body, err)


# ---- the process: signals and warnings ------------------------------------------------------------

#: The signals that end coqlkit as Ctrl-C stops it: cleanly (no temporary file left).
TERMINATING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextlib.contextmanager
def handle_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`~coqlkit.repl.shell.Terminated` (a KeyboardInterrupt)
    where the program is, so that they take Ctrl-C's way out: the read cancelled, the
    temporary file removed; the exit status is 128 + the signal. A signal that is ignored
    (``nohup``) stays ignored; a second one while cleaning up is ignored too."""
    from coqlkit.repl.shell import Terminated

    if sys.platform == "win32" or not _main_thread():  # pragma: no cover - POSIX main thread only
        yield
        return
    fired: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if fired:  # already on the way out
            return
        fired.append(signum)
        raise Terminated(signum)

    previous = {}
    for sig in TERMINATING:
        if signal.getsignal(sig) is signal.SIG_DFL:
            previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def show_warnings(err: TextIO | None = None) -> Iterator[None]:
    """coqlkit's own warnings as one line each, ``coqlkit: warning: ...``, without the
    Python source line a warning is otherwise shown with; other warnings as Python shows them."""
    original = warnings.showwarning

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        if issubclass(category, CoqlWarning):
            print(f"coqlkit: warning: {message}", file=err or sys.stderr, flush=True)
        else:
            original(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = original
