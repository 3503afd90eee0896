"""``coqlkit sandbox serve``: a local Zoho-CRM-compatible server (extra ``coqlkit[sandbox]``)."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Any

__all__ = ["register"]

EXIT_OK, EXIT_USAGE = 0, 2


def register(commands: Any) -> None:
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
    serve.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar="MS",
        help="how long every CRM call takes (the sandbox's own work included)",
    )
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
    serve.add_argument(
        "--token-limit",
        type=int,
        default=10,
        metavar="N",
        help="access tokens a refresh token may get in ten minutes, as Zoho's (10; 0: no limit)",
    )
    serve.add_argument(
        "--active-tokens",
        type=int,
        default=15,
        metavar="N",
        help="access tokens of a refresh token that work at once, as Zoho's (15; 0: no cap)",
    )
    serve.add_argument("--bulk-seconds", type=float, default=2.0, help="time a bulk-read job takes (2)")
    serve.add_argument(
        "--bulk-downloads",
        type=int,
        default=10,
        metavar="N",
        help="bulk-read results the org may download a minute, as Zoho's (10; 0: no limit)",
    )
    serve.add_argument(
        "--bulk-download-seconds",
        type=float,
        default=60.0,
        metavar="S",
        help="the window of --bulk-downloads (Zoho's minute: 60)",
    )
    serve.add_argument(
        "--bulk-outcomes",
        default="",
        metavar="LIST",
        help="how bulk-read jobs end, in creation order, the last for the rest: complete, stall "
        "(IN PROGRESS for good), fail (FAILURE); e.g. complete,stall (all complete)",
    )
    serve.add_argument("--log", action="store_true", help="log every request (secrets redacted) to stderr")
    serve.set_defaults(run=run_sandbox)
    sandbox.set_defaults(run=lambda args: _usage(sandbox))


def _usage(parser: argparse.ArgumentParser) -> int:
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
            token_limit=args.token_limit,
            bulk_seconds=args.bulk_seconds,
            active_tokens=args.active_tokens,
            bulk_downloads=args.bulk_downloads,
            bulk_download_seconds=args.bulk_download_seconds,
            bulk_outcomes=tuple(o.strip() for o in args.bulk_outcomes.split(",") if o.strip()),
            log_requests=args.log,
        )
    except ValueError as exc:
        print(f"coqlkit sandbox serve: {exc}", file=sys.stderr)
        return EXIT_USAGE
    with contextlib.suppress(KeyboardInterrupt):
        serve(config)
    return EXIT_OK
