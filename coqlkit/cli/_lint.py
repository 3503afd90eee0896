"""``coqlkit lint``: check COQL files, or the COQL in Deluge scripts, like a compiler (exit 0 clean, 1 errors, 2 usage)."""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from coqlkit.catalog import Catalog
from coqlkit.errors import CoqlError
from coqlkit.lint import StatementReport, is_deluge_file, lint_deluge, lint_text, summary
from coqlkit.repl.encoding import NotUtf8, read_file, read_stdin
from coqlkit.validate import Severity

__all__ = ["register"]

EXIT_OK, EXIT_FOUND, EXIT_USAGE = 0, 1, 2


def register(commands: Any) -> None:
    lint = commands.add_parser(
        "lint",
        help="check COQL queries against field metadata, like a compiler",
        description=(
            "Check each ;-terminated query of FILE (or standard input) for syntax errors and, "
            "with metadata, for unknown modules and fields, wrong comparators and values, and "
            "Zoho's limits. In a Deluge script (.dg, .deluge, or --deluge), check each string "
            "literal that is a COQL query instead, as Zoho reads it: coqlkit's conveniences and "
            "Zoho's limits of one call are errors there. "
            "Exit 0 when clean, 1 when any query has an error, 2 for usage errors."
        ),
        epilog='example: echo "select Emial from Leads" | coqlkit lint --demo -',
    )
    lint.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="files of COQL, or Deluge scripts (.dg, .deluge); '-' or none reads standard input",
    )
    where = lint.add_mutually_exclusive_group()
    where.add_argument(
        "--metadata", metavar="DIR", help="a metadata snapshot: DIR/modules.json and DIR/fields/<Module>.json"
    )
    where.add_argument(
        "--demo", action="store_true", help="check against the demo org that the sandbox serves"
    )
    lint.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (default) or JSON lines"
    )
    lint.add_argument(
        "--fail-on",
        choices=("error", "warning"),
        default="error",
        help="exit 1 on errors (default) or on warnings too",
    )
    lint.add_argument(
        "--deluge",
        action="store_true",
        help="read every FILE (and standard input) as a Deluge script: check the COQL in its strings",
    )
    lint.add_argument("-q", "--quiet", action="store_true", help="print only errors and warnings, no summary")
    lint.set_defaults(run=lambda args: run_lint(args, sys.stdout, sys.stderr))


def run_lint(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        catalog = _catalog(args)
        sources = [(name, _read(name)) for name in (args.files or ["-"])]
    except NotUtf8 as exc:  # a compiler's message, where the first byte that is not UTF-8 is
        print(f"{exc}\ncoqlkit lint: nothing was checked", file=err)
        return EXIT_USAGE
    except (CoqlError, OSError) as exc:
        print(f"coqlkit lint: {exc}", file=err)
        return EXIT_USAGE
    if catalog is None and args.format == "text" and not args.quiet:
        print("note: no metadata given: checking syntax and limits only (--metadata DIR or --demo)", file=err)
    everything: list[StatementReport] = []
    for name, text in sources:
        shown = "<stdin>" if name == "-" else name
        deluge = args.deluge or is_deluge_file(name)
        reports = lint_deluge(text, catalog) if deluge else lint_text(text, catalog)
        everything += reports
        for report in reports:
            if args.format == "json":
                print(report.to_json(shown), file=out)
            else:
                _print_text(report, text, shown, out, quiet=args.quiet)
    if args.format == "text" and not args.quiet:
        print(summary(everything), file=out)
    failing = {Severity.ERROR} if args.fail_on == "error" else {Severity.ERROR, Severity.WARNING}
    return EXIT_FOUND if any(r.worst() in failing for r in everything) else EXIT_OK


def _print_text(report: StatementReport, text: str, filename: str, out: TextIO, *, quiet: bool) -> None:
    for d in report.diagnostics:
        if quiet and d.severity is Severity.INFO:
            continue
        print(d.format(text, filename=filename), file=out)


def _catalog(args: argparse.Namespace) -> Catalog | None:
    if args.demo:
        return Catalog.demo()
    if args.metadata:
        return Catalog.from_snapshot(args.metadata)
    return None


def _read(name: str) -> str:
    """The text of FILE (``-``: standard input): UTF-8, or :class:`NotUtf8` saying where it is not."""
    return read_stdin() if name == "-" else read_file(name)
