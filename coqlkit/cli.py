"""The ``coqlkit`` command.

``coqlkit lint`` checks COQL files like a compiler: exit 0 when clean, 1 when any
query has an error, 2 for a usage error (a missing file, an unreadable snapshot).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from coqlkit import __version__
from coqlkit.catalog import Catalog
from coqlkit.errors import CoqlError
from coqlkit.lint import StatementReport, lint_text, summary
from coqlkit.validate import Severity

__all__ = ["main"]

EXIT_OK, EXIT_FOUND, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coqlkit", description="Zoho CRM's COQL as if it were a database.")
    parser.add_argument("--version", action="version", version=f"coqlkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    lint = commands.add_parser(
        "lint",
        help="check COQL queries against field metadata, like a compiler",
        description=(
            "Check each ;-terminated query of FILE (or standard input) for syntax errors and, "
            "with metadata, for unknown modules and fields, wrong comparators and values, and "
            "Zoho's limits. Exit 0 when clean, 1 when any query has an error, 2 for usage errors."
        ),
        epilog='example: echo "select Emial from Leads" | coqlkit lint --demo -',
    )
    lint.add_argument(
        "files", nargs="*", metavar="FILE", help="files of COQL; '-' or none reads standard input"
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
    lint.add_argument("-q", "--quiet", action="store_true", help="print only errors and warnings, no summary")
    _sandbox_parser(commands)
    return parser


def _sandbox_parser(commands: Any) -> None:
    sandbox = commands.add_parser(
        "sandbox",
        help="a local Zoho-CRM-compatible server with a demo org",
        description="A local server that speaks Zoho CRM's v8 API over SQLite (needs coqlkit[sandbox]).",
    )
    actions = sandbox.add_subparsers(dest="action", metavar="ACTION")
    serve = actions.add_parser(
        "serve",
        help="serve the demo org (or a metadata snapshot's) until interrupted",
        description=(
            "Serve a Zoho-CRM-compatible API on HOST:PORT and print the environment variables "
            "coqlkit reads (ZOHO_BASE_URL, ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN)."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    serve.add_argument("--db", metavar="PATH", help="the SQLite file to keep the org's records in")
    serve.add_argument("--metadata", metavar="DIR", help="serve the org this metadata snapshot describes")
    serve.add_argument(
        "--records", type=int, default=25_000, help="number of Leads; other modules scale (25000)"
    )
    serve.add_argument("--seed", type=int, default=42, help="seed of the generated records (42)")
    serve.add_argument("--latency", type=float, default=0.0, metavar="MS", help="delay every CRM response")
    serve.add_argument("--jitter", type=float, default=0.0, metavar="MS", help="vary the delay by up to this")
    serve.add_argument(
        "--fail-rate", type=float, default=0.0, metavar="P", help="share of calls failing (0-1)"
    )
    serve.add_argument(
        "--concurrency", type=int, default=10, metavar="N", help="calls in flight before 429 (10)"
    )
    serve.add_argument("--daily-credits", type=int, default=None, metavar="N", help="the org's credit budget")
    serve.add_argument(
        "--token-ttl", type=int, default=3600, metavar="SECONDS", help="access token life (3600)"
    )
    serve.add_argument("--bulk-seconds", type=float, default=2.0, help="time a bulk-read job takes (2)")
    serve.add_argument("--log", action="store_true", help="log every request (secrets redacted) to stderr")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "lint":
        return run_lint(args, sys.stdout, sys.stderr)
    if args.command == "sandbox" and args.action == "serve":
        return run_sandbox(args)
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def run_sandbox(args: argparse.Namespace) -> int:
    try:
        from coqlkit.sandbox.config import SandboxConfig
        from coqlkit.sandbox.server import serve
    except ImportError as exc:
        print(
            f"coqlkit sandbox needs its extra: pip install 'coqlkit[sandbox]' ({exc.name} is missing)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        config = SandboxConfig(
            host=args.host,
            port=args.port,
            db=args.db,
            metadata=args.metadata,
            records=args.records,
            seed=args.seed,
            latency_ms=args.latency,
            jitter_ms=args.jitter,
            fail_rate=args.fail_rate,
            concurrency=args.concurrency,
            daily_credits=args.daily_credits,
            token_ttl=args.token_ttl,
            bulk_seconds=args.bulk_seconds,
            log_requests=args.log,
        )
    except ValueError as exc:
        print(f"coqlkit sandbox serve: {exc}", file=sys.stderr)
        return EXIT_USAGE
    with contextlib.suppress(KeyboardInterrupt):
        serve(config)
    return EXIT_OK


def run_lint(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        catalog = _catalog(args)
        sources = [(name, _read(name)) for name in (args.files or ["-"])]
    except (CoqlError, OSError) as exc:
        print(f"coqlkit lint: {exc}", file=err)
        return EXIT_USAGE
    if catalog is None and args.format == "text" and not args.quiet:
        print("note: no metadata given: checking syntax and limits only (--metadata DIR or --demo)", file=err)
    everything: list[StatementReport] = []
    for name, text in sources:
        shown = "<stdin>" if name == "-" else name
        reports = lint_text(text, catalog)
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
    if name == "-":
        return sys.stdin.read()
    with open(name, encoding="utf-8") as fh:
        return fh.read()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
