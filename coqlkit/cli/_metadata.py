"""``coqlkit metadata dump DIR``: an org's metadata as a snapshot, through the on-disk cache."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any, TextIO

from coqlkit.errors import CoqlError
from coqlkit.metadata import OrgMetadata
from coqlkit.transport import AsyncZohoClient, Settings, load_settings

__all__ = ["register"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(commands: Any) -> None:
    metadata = commands.add_parser("metadata", help="an org's modules and fields: cache and snapshots")
    actions = metadata.add_subparsers(dest="action", metavar="ACTION")
    dump = actions.add_parser(
        "dump",
        help="write the org's metadata as a snapshot directory (modules.json, fields/<Module>.json)",
        description=(
            "Fetch (or take from the cache, when fresh) the org's modules and fields and write them "
            "as a metadata snapshot, the format `coqlkit lint --metadata` and the sandbox read."
        ),
    )
    dump.add_argument("directory", metavar="DIR", help="where to write the snapshot")
    dump.add_argument(
        "--profile", help="the profile (default: COQLKIT_PROFILE, the default profile or ZOHO_*)"
    )
    dump.add_argument(
        "--refresh", action="store_true", help="fetch everything again, whatever the cache holds"
    )
    dump.set_defaults(run=lambda args: run_dump(args, sys.stdout))
    metadata.set_defaults(run=lambda args: (metadata.print_help(sys.stderr), EXIT_USAGE)[1])


async def dump(settings: Settings, directory: Path, *, refresh: bool = False) -> tuple[int, int]:
    """Fill the cache from the org and write it as a snapshot; (modules, fields) written."""
    async with AsyncZohoClient(settings) as zoho:
        org = await OrgMetadata.open(zoho)
        catalog = await org.catalog(refresh=refresh)
    org.cache.write_snapshot(directory)
    return len(catalog), sum(len(m.fields or ()) for m in catalog)


def run_dump(args: argparse.Namespace, out: TextIO) -> int:
    try:
        settings = load_settings(args.profile)
    except CoqlError as exc:
        print(f"coqlkit metadata dump: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        modules, fields = asyncio.run(dump(settings, Path(args.directory), refresh=args.refresh))
    except CoqlError as exc:
        print(f"coqlkit metadata dump: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"wrote {modules} modules and {fields} fields to {args.directory}", file=out)
    return EXIT_OK
