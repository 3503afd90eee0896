"""The ``coqlkit`` command: the REPL (no command), ``query``, ``explain``, ``export``,
``lint``, ``sandbox serve``, ``auth``, ``metadata``.

Each subcommand lives in its own module with a ``register(commands)`` that adds its
parser and sets ``run``; usage errors exit 2. SIGTERM and SIGHUP take Ctrl-C's way out
(exit 128 + the signal).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from coqlkit import __version__
from coqlkit.cli import _auth, _lint, _metadata, _query, _sandbox

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coqlkit",
        description="Zoho CRM's COQL as if it were a database. With no command: the interactive shell.",
        epilog="try the demo org: coqlkit --sandbox",
    )
    parser.add_argument("--version", action="version", version=f"coqlkit {__version__}")
    _query.add_connection_options(parser, top=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (_query, _lint, _sandbox, _auth, _metadata):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
