"""``coqlkit auth login | status | logout``: connect coqlkit to a Zoho org, and see where it goes.

Secrets are read from a hidden prompt or ``ZOHO_CLIENT_SECRET`` (never from a flag: flags
end up in shell history), stored in the keyring or the 0600 token file, and printed only
masked.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from typing import Any, TextIO
from urllib.parse import urlencode

from coqlkit.errors import ApiError, CoqlError
from coqlkit.transport import DATA_CENTERS, DEFAULT_SCOPES, Secret, ZohoClient, default_store, load_settings
from coqlkit.transport.auth import credentials_mark, exchange_code
from coqlkit.transport.config import config_path, save_profile
from coqlkit.transport.datacenters import ENVIRONMENTS, Endpoints, endpoints
from coqlkit.transport.secrets import FileTokenStore

__all__ = ["register"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(commands: Any) -> None:
    auth = commands.add_parser("auth", help="connect coqlkit to a Zoho org: login, status, logout")
    actions = auth.add_subparsers(dest="action", metavar="ACTION")
    login = actions.add_parser(
        "login",
        help="add a profile: exchange a Self Client's grant code for a refresh token",
        description=(
            "Walk through connecting a Zoho org: coqlkit prints where to make a grant code and "
            "with which scopes, asks for the client id, the client secret (hidden) and the code, "
            "stores the secrets in the keyring or a 0600 token file and the rest in the profile."
        ),
    )
    login.add_argument("--profile", help="the profile's name (default: COQLKIT_PROFILE or 'default')")
    login.add_argument("--dc", choices=sorted(DATA_CENTERS), help="the data centre (default us)")
    login.add_argument(
        "--environment", choices=ENVIRONMENTS, help="production (default), developer or sandbox"
    )
    login.add_argument("--base-url", help="a custom API base, such as coqlkit's local sandbox")
    login.add_argument("--accounts-url", help="the accounts server, when not the base URL's host")
    login.add_argument("--client-id", help="the Self Client's client id (asked for when missing)")
    login.add_argument("--code", help="the grant code (asked for when missing)")
    login.add_argument("--redirect-uri", help="for a server-based client: its redirect URI")
    login.add_argument("--default", action="store_true", help="make this the default profile")
    login.set_defaults(run=lambda args: run_login(args, sys.stdout))
    status = actions.add_parser("status", help="show the profile, the user and the org it reaches")
    status.add_argument(
        "--profile", help="the profile (default: COQLKIT_PROFILE, the default profile or ZOHO_*)"
    )
    status.set_defaults(run=lambda args: run_status(args, sys.stdout))
    logout = actions.add_parser("logout", help="forget a profile's stored secrets")
    logout.add_argument("--profile", help="the profile (default: COQLKIT_PROFILE or the default profile)")
    logout.set_defaults(run=lambda args: run_logout(args, sys.stdout))
    auth.set_defaults(run=lambda args: (auth.print_help(sys.stderr), EXIT_USAGE)[1])


def run_login(args: argparse.Namespace, out: TextIO) -> int:
    profile = args.profile or os.environ.get("COQLKIT_PROFILE") or "default"
    try:
        where = endpoints(args.dc, args.environment, base_url=args.base_url, accounts_url=args.accounts_url)
    except CoqlError as exc:
        print(f"coqlkit auth login: {exc}", file=sys.stderr)
        return EXIT_USAGE
    _instructions(where, args, out)
    try:
        client_id = args.client_id or input("Client ID: ").strip()
        secret = os.environ.get("ZOHO_CLIENT_SECRET") or getpass.getpass("Client secret (hidden): ").strip()
        code = args.code or input("Grant code: ").strip()
    except (EOFError, KeyboardInterrupt):
        print("\ncoqlkit auth login: cancelled; nothing was stored", file=sys.stderr)
        return EXIT_USAGE
    if not (client_id and secret and code):
        print(
            "coqlkit auth login: a client id, a client secret and a grant code are all needed",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        tokens = exchange_code(where.accounts, client_id, Secret(secret), code, args.redirect_uri)
    except CoqlError as exc:
        print(f"coqlkit auth login: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if "refresh_token" not in tokens:
        print(
            "coqlkit auth login: Zoho gave no refresh token (was the code made for offline access?)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    store = default_store()
    refresh = Secret(str(tokens["refresh_token"]))
    store.put(  # the whole record: a token cached for the profile's previous login goes with it
        profile,
        {
            "client_secret": secret,
            "refresh_token": refresh.reveal(),
            "access_token": tokens["access_token"],
            "expires_at": time.time() + float(tokens.get("expires_in", 3600)),
            "api_domain": tokens.get("api_domain"),
            "accounts": where.accounts,
            "credentials": credentials_mark(client_id, Secret(secret), refresh),
        },
    )
    values = {
        "dc": args.dc,
        "environment": args.environment,
        "base_url": args.base_url,
        "accounts_url": args.accounts_url,
        "client_id": client_id,
    }
    path = save_profile(profile, values, default=args.default)
    print(f"saved profile {profile!r} in {path}; secrets in {_store_name(store)}", file=out)
    return _show_reach(profile, out)


def _instructions(where: Endpoints, args: argparse.Namespace, out: TextIO) -> None:
    if where.data_center is None and not args.dc:  # a custom server, such as coqlkit's sandbox
        client = args.client_id or "<client id>"
        print(
            f"1. This server hands out grant codes at {where.accounts}/oauth/v2/auth?client_id={client}",
            file=out,
        )
        print(f"   (scopes, for a real org: {DEFAULT_SCOPES})", file=out)
        print("2. Paste the client id, the client secret and the code below.", file=out)
        return
    console = where.accounts.replace("://accounts.", "://api-console.")
    print(f"1. In Zoho's API console ({console}), add a Self Client (or open yours).", file=out)
    print("2. Under 'Generate Code', give these scopes, pick a duration and your org:", file=out)
    print(f"   {DEFAULT_SCOPES}", file=out)
    if args.redirect_uri:
        query = urlencode(
            {
                "scope": DEFAULT_SCOPES,
                "client_id": args.client_id or "<client id>",
                "response_type": "code",
                "access_type": "offline",
                "prompt": "consent",
                "redirect_uri": args.redirect_uri,
            }
        )
        print(f"   (a server-based client: open {where.accounts}/oauth/v2/auth?{query})", file=out)
    print("3. Paste the client id, the client secret and the code below.", file=out)


def run_status(args: argparse.Namespace, out: TextIO) -> int:
    try:
        settings = load_settings(args.profile)
    except CoqlError as exc:
        print(f"coqlkit auth status: {exc}", file=sys.stderr)
        return EXIT_USAGE
    ep = settings.endpoints
    rows = [
        ("profile", settings.profile or "(environment variables)"),
        ("data centre", f"{ep.data_center or 'custom'} ({ep.environment})"),
        ("API", ep.api_base),
        ("accounts", ep.accounts),
        ("client id", settings.client_id or "missing"),
        ("client secret", "set" if settings.client_secret else "missing"),
        ("refresh token", str(settings.refresh_token) if settings.refresh_token else "missing"),
        ("token store", _store_name(settings.store)),
        ("config file", str(config_path())),
    ]
    for label, value in rows:
        print(f"{label + ':':15}{value}", file=out)
    return _show_reach(settings.profile, out, settings=settings)


def _show_reach(profile: str | None, out: TextIO, *, settings: Any = None) -> int:
    """Call Zoho as the profile: who is this, in which org."""
    try:
        settings = settings or load_settings(profile)
        with ZohoClient(settings) as zoho:
            user, org = zoho.current_user(), zoho.org()
            remaining = zoho.credits_remaining
    except (ApiError, CoqlError) as exc:
        print(f"cannot reach Zoho as {profile or 'the environment'}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if user:
        print(f"{'user:':15}{user.get('full_name') or user.get('last_name')} <{user.get('email')}>", file=out)
    if org:
        print(f"{'org:':15}{org.get('company_name')} (zgid {org.get('zgid')})", file=out)
    if remaining is not None:
        print(f"{'credits left:':15}{remaining:,}", file=out)
    return EXIT_OK


def run_logout(args: argparse.Namespace, out: TextIO) -> int:
    try:
        settings = load_settings(args.profile)
    except CoqlError as exc:
        print(f"coqlkit auth logout: {exc}", file=sys.stderr)
        return EXIT_USAGE
    store = settings.store or default_store()
    store.delete(settings.store_key)
    who = settings.profile or "the environment's client"
    print(f"forgot the stored secrets of {who} ({_store_name(store)})", file=out)
    return EXIT_OK


def _store_name(store: Any) -> str:
    return f"the token file {store.path}" if isinstance(store, FileTokenStore) else "the OS keyring"
