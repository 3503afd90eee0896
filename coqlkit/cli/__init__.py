"""The ``coqlkit`` command: the REPL (no command), ``query``, ``explain``, ``export``,
``lint``, ``sandbox serve``, ``auth``, ``metadata``.

Each subcommand lives in its own module with a ``register(commands)`` that adds its
parser and sets ``run``; usage errors exit 2. SIGTERM and SIGHUP take Ctrl-C's way out
(exit 128 + the signal).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

# Arrow's allocator (mimalloc) keeps memory Arrow has freed for a while before giving it
# back to the system. An export frees nearly all it allocates, batch after batch, so what
# is kept grows with the size of a bulk-read page (200,000 records): giving it back at once
# lowers the peak of a 500,000-row export by tens of MB, at no cost measured. Set before
# pyarrow loads (mimalloc reads it then); a value already set wins. The command owns its
# process; the library leaves its caller's allocator alone (the README says how to set it).
os.environ.setdefault("MIMALLOC_PURGE_DELAY", "0")

from coqlkit import __version__
from coqlkit.cli import _auth, _lint, _metadata, _query, _sandbox

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coqlkit",
        description="Zoho CRM's COQL as if it were a database. With no command: the interactive shell.",
        epilog="try the demo org: coqlkit --sandbox\n\n"
        + _query.EXIT_STATUSES.replace(
            "exit status:", "exit status (the shell reading a script, query, explain, export):"
        ),
        formatter_class=_query.HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"coqlkit {__version__}")
    _query.add_connection_options(parser, top=True)
    _query.add_stop_on_error(parser, top=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (_query, _lint, _sandbox, _auth, _metadata):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _log_to_stderr(os.environ.get("COQLKIT_LOG", ""))
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras:
        _intermix(parser, args, extras)
    run = getattr(args, "run", None)
    if run is None and args.command is not None:
        parser.print_help(sys.stderr)
        return 2
    # SIGTERM and SIGHUP end a command as Ctrl-C does (no temporary file left behind);
    # coqlkit's warnings print as one line, not as Python shows a warning.
    with _query.handle_signals(), _query.show_warnings():
        try:
            if run is None:
                return _query.run_repl(args)
            return int(run(args))
        except OSError as exc:  # a file a command wrote (metadata dump DIR, sandbox --db FILE)
            return _file_error(exc)
        except Exception as exc:  # not foreseen (the foreseen ones have their statuses)
            return _internal_error(exc)


def _file_error(exc: OSError) -> int:
    """A file or folder a command could not use, as the other file errors are said
    (``coqlkit: error: PATH: reason``), exit 7: a wrong path is the user's to mend, not a
    bug to report."""
    where = exc.filename if exc.filename is not None else "file"
    why = exc.strerror or str(exc)
    print(f"coqlkit: error: {where}: {why}", file=sys.stderr)
    return _query.EXIT_FILE


def _internal_error(exc: Exception) -> int:
    """A failure coqlkit did not foresee (a bug): one ``coqlkit: error:`` line that a job's
    log can grep, and exit 70 (not 1, which says the query is wrong); with ``COQLKIT_LOG``
    set, its traceback too (on the ``coqlkit`` log, at ERROR), for a bug report. (Without
    it, nothing is logged: Python's last-resort handler would print the traceback.)"""
    logging_on = _logging_to_stderr()
    if logging_on:
        logging.getLogger("coqlkit.cli").error("coqlkit's own failure", exc_info=exc)
    shown = "" if logging_on else "; COQLKIT_LOG=debug shows its traceback"
    print(
        f"coqlkit: error: internal error: {type(exc).__name__}: {exc} (a bug in coqlkit: "
        f"please report it{shown})",
        file=sys.stderr,
    )
    return _query.EXIT_INTERNAL


def _logging_to_stderr() -> bool:
    return any(h.get_name() == "coqlkit-cli" for h in logging.getLogger("coqlkit").handlers)


def _intermix(parser: argparse.ArgumentParser, args: argparse.Namespace, extras: list[str]) -> None:
    """The words argparse left over: a command's positionals after an option that came
    between them (``export QUERY --tz UTC TARGET``: argparse takes a positional's words
    up to the first option, and leaves TARGET over), given to the command's ``nargs="+"``
    positional (its ``intermixed`` default names it) in the order they came, as
    ``parse_intermixed_args`` would (which refuses subcommands). Anything else, an unknown
    option above all, is the usage error ``parse_args`` gives, with the command's usage."""
    dest = getattr(args, "intermixed", None)
    if dest is None or any(word.startswith("-") and word != "-" for word in extras):
        usage: argparse.ArgumentParser = getattr(args, "usage_parser", None) or parser
        usage.error(f"unrecognized arguments: {' '.join(extras)}")
    getattr(args, dest).extend(extras)


#: ``COQLKIT_LOG``'s values: the level of the ``coqlkit.*`` log sent to standard error.
LOG_LEVELS = {"info": logging.INFO, "debug": logging.DEBUG}


def _log_to_stderr(level: str) -> None:
    """``COQLKIT_LOG=info`` (or ``debug``): the ``coqlkit.*`` log (calls sent again, 429
    back-offs, token refreshes, each query's plan; at ``debug`` every call) on standard
    error, one ``coqlkit: info: TIME LOGGER: ...`` line a record, for a job's log, where no
    application configures logging. Unset or empty: nothing, as before.

    >>> _log_to_stderr("")  # (unset: the log stays silent)
    """
    if not level:
        return
    found = LOG_LEVELS.get(level.strip().lower())
    if found is None:
        print(f"coqlkit: warning: COQLKIT_LOG={level}: give info or debug; no log", file=sys.stderr)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name("coqlkit-cli")
    handler.setFormatter(_LineFormatter("coqlkit: %(level)s: %(asctime)s %(name)s: %(message)s"))
    logger = logging.getLogger("coqlkit")
    for old in [h for h in logger.handlers if h.get_name() == handler.get_name()]:
        logger.removeHandler(old)  # (main() run again in one process: one handler, today's stderr)
    logger.addHandler(handler)
    logger.setLevel(found)


class _LineFormatter(logging.Formatter):
    """A record as coqlkit's other lines read (``coqlkit: info: ...``): the level in lower
    case, the time to the millisecond in ISO 8601."""

    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03d"

    def format(self, record: logging.LogRecord) -> str:
        record.level = record.levelname.lower()
        return super().format(record)
