"""The ``coqlkit`` command: the REPL (no command), ``query``, ``explain``, ``export``,
``lint``, ``sandbox serve``, ``auth``, ``metadata``.

Each subcommand lives in its own module with a ``register(commands)`` that adds its
parser and sets ``run``; usage errors exit 2. SIGTERM and SIGHUP take Ctrl-C's way out
(exit 128 + the signal).
"""

from __future__ import annotations

import argparse
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
        if run is None:
            return _query.run_repl(args)
        return int(run(args))


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
