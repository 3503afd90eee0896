"""The REPL (``coqlkit`` with no command) and ``coqlkit query`` / ``explain`` / ``export``.

Data goes to standard output, messages to standard error. Exit codes: 0 ok, 1 the query
is wrong, 2 usage or configuration, 3 connection or authentication, 4 timeout, 5 stopped
by the credit budget, 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from coqlkit.errors import ConfigError, CoqlError

__all__ = ["add_connection_options", "register", "run_repl"]

NO_PROFILE = (
    "coqlkit: no Zoho org configured.\n"
    "Add one with `coqlkit auth login`, or try the demo org with `coqlkit --sandbox`."
)


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


def _query_options(parser: argparse.ArgumentParser) -> None:
    """What every query command takes: parameters, and where to send the query."""
    parser.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="bind :NAME (repeatable)"
    )
    add_connection_options(parser)


def register(commands: Any) -> None:
    query = commands.add_parser(
        "query",
        help="run COQL queries and print their rows",
        description=(
            "Run the ;-separated queries (and REPL commands) of -c TEXT, -f FILE or standard input. "
            "Rows go to standard output (-o FILE: to a file), messages to standard error."
        ),
        epilog='example: coqlkit --sandbox query -c "select Last_Name from Leads limit 5" --format csv',
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
        "-o", "--output", metavar="FILE", help="write the rows to FILE instead of standard output"
    )
    _query_options(query)
    query.set_defaults(run=run_query)

    explain = commands.add_parser(
        "explain",
        help="show a query's plan: strategy, COQL sent, calls and credits",
        description="Print the plan of QUERY (the COUNT probe it may need costs one credit).",
    )
    explain.add_argument("query", metavar="QUERY")
    explain.add_argument(
        "--analyze", action="store_true", help="run the query too and show what each step did"
    )
    _query_options(explain)
    explain.set_defaults(run=run_explain)

    exporter = commands.add_parser(
        "export",
        help="stream a query's rows into a file (parquet, csv, json, jsonl, arrow), atomically",
        description="Run QUERY and write all its rows to FILE; the format follows FILE's extension.",
    )
    exporter.add_argument("query", metavar="QUERY")
    exporter.add_argument("file", metavar="FILE")
    _query_options(exporter)
    exporter.set_defaults(run=run_export)


@contextlib.contextmanager
def _connection(args: argparse.Namespace, err: TextIO) -> Iterator[Any]:
    from coqlkit.api import connect

    if getattr(args, "records", None) is not None and not getattr(args, "sandbox", False):
        raise ConfigError("--records sizes the sandbox: use it with --sandbox")
    sandbox: bool | dict[str, Any] = False
    if getattr(args, "sandbox", False):
        sandbox = {"records": args.records} if getattr(args, "records", None) else True
        print("coqlkit: starting the sandbox (the demo org)...", file=err, flush=True)
    conn = connect(getattr(args, "profile", None), sandbox=sandbox)
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
    from coqlkit.repl.shell import parse_value

    params = {}
    for item in getattr(args, "param", []) or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip().lstrip(":").isidentifier():
            raise ConfigError(f"--param {item!r}: write NAME=VALUE")
        params[name.strip().lstrip(":")] = parse_value(value)
    return params


def _shell(
    conn: Any, args: argparse.Namespace, out: TextIO, err: TextIO, params: dict[str, Any], **options: Any
) -> Any:
    from coqlkit.repl.config import load
    from coqlkit.repl.shell import Shell

    config, warnings = load(create=False)
    for warning in warnings:
        print(f"coqlkit: {warning}", file=err)
    shell = Shell(conn, config=config, out=out, err=err, label=_label(args, conn), **options)
    shell.params.update(params)
    return shell


def _guard(body: Any, err: TextIO) -> int:
    """Run ``body()``, turning errors into messages and exit codes."""
    from coqlkit.repl.shell import exit_code

    try:
        return int(body())
    except KeyboardInterrupt:
        print("coqlkit: interrupted", file=err)
        return 130
    except BrokenPipeError:  # the reader of our output left (| head): stop quietly
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return 0
    except OSError as exc:  # -f FILE that cannot be read, -o FILE that cannot be written
        print(f"coqlkit: {exc.filename or 'file'}: {exc.strerror or exc}", file=err)
        return 2
    except ConfigError as exc:
        text = str(exc)
        print(NO_PROFILE if text.startswith("no Zoho org configured") else f"coqlkit: {text}", file=err)
        return 2
    except CoqlError as exc:
        print(str(exc), file=err)
        return exit_code(exc)


def run_query(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr

    def body() -> int:
        from coqlkit.repl.output import resolve_format

        if args.command is not None:
            text = args.command
        elif args.file not in (None, "-"):
            text = Path(args.file).read_text(encoding="utf-8")
        else:
            text = sys.stdin.read()
        fmt = resolve_format(args.format) if args.format else None  # usage errors before connecting
        params = _params(args)
        with _connection(args, err) as conn:
            sink = open(args.output, "w", encoding="utf-8") if args.output else None  # noqa: SIM115
            try:
                shell = _shell(
                    conn,
                    args,
                    sink or out,
                    err,
                    params,
                    progress=err.isatty(),
                    display=out.isatty() and sink is None,
                )
                shell.timing = shell.timing and err.isatty()
                if fmt is not None:
                    shell.fmt = fmt
                elif not out.isatty() or sink is not None:
                    shell.fmt = "csv" if shell.fmt in ("table", "auto", "vertical") else shell.fmt
                if sink is not None:
                    shell.sink = sink
                status = shell.execute(text)
            finally:
                if sink is not None:
                    sink.close()
            return int(status)

    return _guard(body, err)


def run_explain(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr

    def body() -> int:
        params = _params(args)
        with _connection(args, err) as conn:
            shell = _shell(conn, args, out, err, params)
            prefix = "explain analyze " if args.analyze else "explain "
            return int(shell.execute(prefix + args.query.rstrip().rstrip(";") + ";"))

    return _guard(body, err)


def run_export(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr

    def body() -> int:
        params = _params(args)
        with _connection(args, err) as conn:
            shell = _shell(conn, args, out, err, params, progress=err.isatty())
            shell.last = args.query.rstrip().rstrip(";")
            return int(shell.execute(f"\\export {args.file}"))

    return _guard(body, err)


def run_repl(args: argparse.Namespace) -> int:
    """``coqlkit`` with no command: the REPL on a terminal, else the queries on stdin."""
    err = sys.stderr
    if not sys.stdin.isatty():
        args.command, args.file, args.output, args.format, args.param = None, "-", None, None, []
        return run_query(args)

    def body() -> int:
        from coqlkit.repl.app import Repl
        from coqlkit.repl.config import load

        config, warnings = load()
        for warning in warnings:
            print(f"coqlkit: {warning}", file=err)
        with _connection(args, err) as conn:
            return Repl(conn, config, label=_label(args, conn), sandbox=bool(args.sandbox)).run()

    return _guard(body, err)
