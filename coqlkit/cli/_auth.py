"""``coqlkit auth login | status | logout``: connect coqlkit to a Zoho org, and see where it goes.

Secrets are read from a hidden prompt or ``ZOHO_CLIENT_SECRET`` (never from a flag: flags
end up in shell history), stored in the keyring or the 0600 token file, and printed only
masked. Login checks everything it can (the config file, the token store, the URLs) before
it spends the one-time grant code; logout revokes the refresh token at Zoho before it
forgets it here.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from dataclasses import dataclass
from typing import Any, TextIO
from urllib.parse import urlencode

from coqlkit.errors import ApiError, ConfigError, CoqlError
from coqlkit.transport import DATA_CENTERS, DEFAULT_SCOPES, Secret, ZohoClient, default_store, load_settings
from coqlkit.transport.auth import credentials_mark, exchange_code, revoke_token
from coqlkit.transport.config import (
    ENV_KEYS,
    PLACE_KEYS,
    config_path,
    edit_profile,
    environment_values,
    load_profiles,
    over,
    place,
)
from coqlkit.transport.datacenters import ENVIRONMENTS, Endpoints
from coqlkit.transport.secrets import FileTokenStore, MemoryTokenStore, TokenStore, check_store, unwritable

__all__ = ["register"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(commands: Any) -> None:
    auth = commands.add_parser("auth", help="connect coqlkit to a Zoho org: login, status, logout")
    actions = auth.add_subparsers(dest="action", metavar="ACTION")
    login = actions.add_parser(
        "login",
        help="add or update a profile: exchange a Self Client's grant code for a refresh token",
        description=(
            "Walk through connecting a Zoho org: coqlkit prints where to make a grant code and "
            "with which scopes, asks for the client id, the client secret (hidden) and the code, "
            "stores the secrets in the keyring or a 0600 token file and the rest in the profile. "
            "On an existing profile, only what is given changes (the data centre or URLs, the "
            "client id); its other keys are kept. ZOHO_DC, ZOHO_ENVIRONMENT, ZOHO_BASE_URL, "
            "ZOHO_ACCOUNTS_URL and ZOHO_CLIENT_ID are used when set; the flags win over them."
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
    login.add_argument("--code", type=Secret, help="the grant code (asked for when missing)")
    login.add_argument("--redirect-uri", help="for a server-based client: its redirect URI")
    login.add_argument("--default", action="store_true", help="make this the default profile")
    login.set_defaults(run=lambda args: run_login(args, sys.stdout))
    status = actions.add_parser("status", help="show the profile, the user and the org it reaches")
    status.add_argument(
        "--profile", help="the profile (default: COQLKIT_PROFILE, the default profile or ZOHO_*)"
    )
    status.set_defaults(run=lambda args: run_status(args, sys.stdout))
    logout = actions.add_parser(
        "logout",
        help="revoke a profile's refresh token at Zoho and forget its stored secrets",
        description=(
            "Revoke the stored refresh token at Zoho (it and the access tokens it got stop "
            "working, wherever a copy of them is), then forget the stored secrets. If Zoho cannot "
            "be reached or refuses, the secrets are forgotten all the same, and the exit status is 1."
        ),
    )
    logout.add_argument("--profile", help="the profile (default: COQLKIT_PROFILE or the default profile)")
    logout.add_argument(
        "--keep-remote",
        action="store_true",
        help="only forget the secrets here: the refresh token stays valid at Zoho",
    )
    logout.set_defaults(run=lambda args: run_logout(args, sys.stdout))
    auth.set_defaults(run=lambda args: (auth.print_help(sys.stderr), EXIT_USAGE)[1])


@dataclass
class _Login:
    """What a login will do, checked before the grant code is asked for."""

    profile: str
    store: TokenStore
    existing: dict[str, Any]  # the profile as it is (empty: a new one)
    values: dict[str, Any]  # as it will be: flags over ZOHO_* over the profile
    gone: list[str]  # the profile's keys of where it went, replaced by others
    where: Endpoints


def _plan_login(args: argparse.Namespace) -> _Login:
    """Everything a login can check before it spends the one-time grant code: the token
    store, the config file and the profile as it will be, the URLs. Raises CoqlError."""
    profile = args.profile or os.environ.get("COQLKIT_PROFILE") or "default"
    store = default_store()
    check_store(store, profile)
    existing = (load_profiles().get("profiles") or {}).get(profile) or {}
    flags = {
        "dc": args.dc,
        "environment": args.environment,
        "base_url": args.base_url,
        "accounts_url": args.accounts_url,
        "client_id": args.client_id,
    }
    values = over(over(existing, environment_values(os.environ)), flags)  # only what is given changes
    gone = [key for key in PLACE_KEYS if key in existing and key not in values]
    edit_profile(profile, values, remove=gone, default=args.default)  # checked, not written
    problem = unwritable(config_path())
    if problem is not None:
        raise ConfigError(f"cannot write {config_path()}: {problem}")
    return _Login(profile, store, existing, values, gone, place(values))


def run_login(args: argparse.Namespace, out: TextIO) -> int:
    try:
        plan = _plan_login(args)
    except CoqlError as exc:
        print(f"coqlkit auth login: {exc}; nothing was stored", file=sys.stderr)
        return EXIT_USAGE
    _instructions(plan.where, args, out)
    if not args.client_id and os.environ.get("ZOHO_CLIENT_ID"):
        print("using the client id from ZOHO_CLIENT_ID", file=out)
    if os.environ.get("ZOHO_CLIENT_SECRET"):
        print("using the client secret from ZOHO_CLIENT_SECRET", file=out)
    try:
        client_id = args.client_id or os.environ.get("ZOHO_CLIENT_ID")
        if not client_id:  # asked for; Enter keeps the profile's
            known = plan.existing.get("client_id")
            answer = input(f"Client ID [{known}]: " if known else "Client ID: ").strip()
            client_id = answer or known
        secret = Secret(
            os.environ.get("ZOHO_CLIENT_SECRET") or getpass.getpass("Client secret (hidden): ").strip()
        )
        code = args.code or Secret(input("Grant code: ").strip())
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
        tokens = exchange_code(plan.where.accounts, client_id, secret, code, args.redirect_uri)
    except CoqlError as exc:
        print(f"coqlkit auth login: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return _keep_login(plan, args, out, client_id, secret, tokens)


def _keep_login(
    plan: _Login,
    args: argparse.Namespace,
    out: TextIO,
    client_id: str,
    secret: Secret,
    tokens: dict[str, Any],
) -> int:
    """Store what the grant code got, save the profile, and show where it reaches."""
    refresh = tokens.get("refresh_token")
    if not isinstance(refresh, Secret):
        print(
            "coqlkit auth login: Zoho gave no refresh token (was the code made for offline access?)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    try:
        plan.store.put(  # the whole record: a token cached for the profile's previous login goes with it
            plan.profile,
            {
                "client_secret": secret.reveal(),
                "refresh_token": refresh.reveal(),
                "access_token": tokens["access_token"].reveal(),
                "expires_at": time.time() + float(tokens.get("expires_in", 3600)),
                "api_domain": tokens.get("api_domain"),
                "accounts": plan.where.accounts,
                "credentials": credentials_mark(client_id, secret, refresh),
            },
        )
    except CoqlError as exc:
        print(f"coqlkit auth login: {exc}; the grant code is spent: make a new one", file=sys.stderr)
        return EXIT_FAILED
    try:  # the file as it is now (another process may have changed it meanwhile)
        values = {**plan.values, "client_id": client_id}
        edit = edit_profile(plan.profile, values, remove=plan.gone, default=args.default)
        path = edit.write()
    except CoqlError as exc:
        print(
            f"coqlkit auth login: {exc}; the secrets are stored under {plan.profile!r}: once the file "
            f"is fixed, add [profiles.{plan.profile}] to it (or log in again)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    print(f"saved profile {plan.profile!r} in {path}; secrets in {_store_name(plan.store)}", file=out)
    if edit.comments_dropped:
        print(f"note: {path} was written anew, without its comments (its keys and values are kept)", file=out)
    overriding = [
        var
        for key, var in ENV_KEYS.items()
        if os.environ.get(var) and os.environ[var] != edit.profile.get(key)
    ] + (["ZOHO_REFRESH_TOKEN"] if os.environ.get("ZOHO_REFRESH_TOKEN") else [])
    if overriding:
        print(
            f"note: {', '.join(overriding)} {'is' if len(overriding) == 1 else 'are'} set: commands "
            "run with this environment use it over the profile's",
            file=out,
        )
    try:  # the check: the profile as saved, without the ZOHO_* variables over it
        own = load_settings(
            plan.profile, env={k: v for k, v in os.environ.items() if not k.startswith("ZOHO_")}
        )
    except CoqlError as exc:
        print(f"cannot load profile {plan.profile!r}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return _show_reach(plan.profile, out, settings=own)


def _instructions(where: Endpoints, args: argparse.Namespace, out: TextIO) -> None:
    if where.data_center is None:  # a custom server, such as coqlkit's sandbox
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
            went = zoho.aio.api_base  # the token's api_domain, once it named one
    except (ApiError, CoqlError) as exc:
        print(f"cannot reach Zoho as {profile or 'the environment'}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if went != settings.endpoints.api_base:  # the API line above is the configured one
        print(f"{'calls went to:':15}{went} (the api_domain of Zoho's token answer)", file=out)
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
        store = settings.store or default_store()
        refresh = _stored_refresh_token(store, settings.store_key)
    except CoqlError as exc:
        print(f"coqlkit auth logout: {exc}", file=sys.stderr)
        return EXIT_USAGE
    who = settings.profile or "the environment's client"
    status = EXIT_OK
    accounts = settings.endpoints.accounts
    if refresh is None:
        if settings.refresh_token is not None:  # ZOHO_REFRESH_TOKEN: not coqlkit's to revoke
            print("the refresh token of ZOHO_REFRESH_TOKEN was not stored, and is not revoked", file=out)
    elif args.keep_remote:
        print(f"the refresh token was not revoked (--keep-remote): it stays valid at {accounts}", file=out)
    else:
        try:
            revoke_token(accounts, refresh)
        except CoqlError as exc:
            print(
                f"coqlkit auth logout: could not revoke the refresh token at {accounts} ({exc}): it may "
                "still be valid at Zoho; revoke it in Zoho Accounts (Sessions > Connected Apps)",
                file=sys.stderr,
            )
            status = EXIT_FAILED
        else:
            print(f"revoked the refresh token at {accounts}", file=out)
    try:
        store.delete(settings.store_key)
    except CoqlError as exc:
        print(f"coqlkit auth logout: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"forgot the stored secrets of {who} ({_store_name(store)})", file=out)
    return status


def _stored_refresh_token(store: TokenStore, key: str) -> Secret | None:
    record = store.get(key) or {}
    return Secret(str(record["refresh_token"])) if record.get("refresh_token") else None


def _store_name(store: Any) -> str:
    if isinstance(store, FileTokenStore):
        return f"the token file {store.path}"
    if isinstance(store, MemoryTokenStore):
        return "memory only (COQLKIT_TOKEN_STORE=memory: nothing on disk)"
    return "the OS keyring"
