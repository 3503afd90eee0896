"""``coqlkit auth login | status | logout`` and ``coqlkit metadata dump``, run as a user would."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import httpx

from coqlkit.catalog import Catalog
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import Secret
from coqlkit.transport.auth import exchange_code


def coqlkit(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coqlkit", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def grant_code(sandbox: Sandbox) -> str:
    return str(
        httpx.get(f"{sandbox.base_url}/oauth/v2/auth", params={"client_id": sandbox.client_id}).json()["code"]
    )


def test_login_status_logout(sandbox: Sandbox, home: dict[str, str], tmp_path: Path) -> None:
    env = {**home, "ZOHO_CLIENT_SECRET": sandbox.client_secret}  # the secret: never a flag
    login = coqlkit(
        env,
        "auth", "login", "--profile", "local", "--base-url", sandbox.base_url,
        "--client-id", sandbox.client_id, "--code", grant_code(sandbox),
    )  # fmt: skip
    assert login.returncode == 0, login.stderr
    assert "ZohoCRM.coql.READ" in login.stdout and f"{sandbox.base_url}/oauth/v2/auth" in login.stdout
    assert "user:" in login.stdout and "Zylker Demo" in login.stdout
    config = (tmp_path / "config" / "coqlkit" / "config.toml").read_text()
    assert "[profiles.local]" in config and sandbox.base_url in config
    assert sandbox.client_secret not in config
    tokens = tmp_path / "data" / "coqlkit" / "tokens.json"
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o600
    refresh = json.loads(tokens.read_text())["local"]["refresh_token"]
    assert refresh not in login.stdout + login.stderr

    status = coqlkit(home, "auth", "status", "--profile", "local")
    assert status.returncode == 0, status.stderr
    assert "profile:       local" in status.stdout and "data centre:   custom (production)" in status.stdout
    assert f"refresh token: {refresh[:5]}****{refresh[-4:]}" in status.stdout
    assert "org:           Zylker Demo (coqlkit sandbox)" in status.stdout
    assert refresh not in status.stdout and sandbox.client_secret not in status.stdout

    default = coqlkit(home, "auth", "status")  # the only profile is the default one
    assert default.returncode == 0 and "profile:       local" in default.stdout

    logout = coqlkit(home, "auth", "logout", "--profile", "local")
    assert logout.returncode == 0 and "forgot" in logout.stdout
    after = coqlkit(home, "auth", "status", "--profile", "local")
    assert after.returncode == 1 and "cannot reach Zoho" in after.stderr
    assert "refresh token: missing" in after.stdout


def test_login_with_a_spent_code_fails_cleanly(sandbox: Sandbox, home: dict[str, str]) -> None:
    env = {**home, "ZOHO_CLIENT_SECRET": sandbox.client_secret}
    code = grant_code(sandbox)
    args = ("auth", "login", "--base-url", sandbox.base_url, "--client-id", sandbox.client_id, "--code", code)
    assert coqlkit(env, *args).returncode == 0
    again = coqlkit(env, *args)
    assert again.returncode == 1 and "invalid_code" in again.stderr and "Traceback" not in again.stderr


def test_status_without_any_profile_explains(home: dict[str, str]) -> None:
    result = coqlkit(home, "auth", "status")
    assert result.returncode == 2 and "coqlkit auth login" in result.stderr


def test_metadata_dump_writes_a_snapshot_through_the_cache(
    sandbox: Sandbox, home: dict[str, str], tmp_path: Path
) -> None:
    env = {**home, **sandbox.environment()}
    out = tmp_path / "snapshot"
    result = coqlkit(env, "metadata", "dump", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("wrote ")
    dumped = Catalog.from_snapshot(out)
    assert dumped.module_names == Catalog.demo().module_names
    leads = dumped.module("Leads")
    assert leads is not None and leads.field("Lead_Status") is not None
    cached = list((tmp_path / "cache" / "coqlkit" / "metadata").iterdir())
    assert len(cached) == 1 and (cached[0] / "modules.json").exists()
    # Served from the cache the second time: no metadata calls reach the sandbox.
    assert sandbox.state is not None
    before = sum(1 for e in sandbox.state.requests if e["path"].startswith("/crm/v8/settings"))
    assert coqlkit(env, "metadata", "dump", str(tmp_path / "again")).returncode == 0
    after = sum(1 for e in sandbox.state.requests if e["path"].startswith("/crm/v8/settings"))
    assert after == before


def test_login_for_a_real_data_centre_points_at_its_console(home: dict[str, str]) -> None:
    # Stops at the first prompt (no input): the instructions are printed first.
    result = coqlkit(home, "auth", "login", "--dc", "eu")
    assert "https://api-console.zoho.eu" in result.stdout and "ZohoCRM.bulk.READ" in result.stdout
    assert result.returncode != 0 and "Traceback" not in result.stderr


def test_a_revoked_refresh_token_fails_even_with_a_token_cached(
    sandbox: Sandbox, home: dict[str, str]
) -> None:
    """Environment credentials: another refresh token (of a revoked login) must not quietly
    run on the access token the previous one left in the token file."""
    env = {**home, **sandbox.environment()}
    query = ("query", "-c", "select Last_Name from Leads where id is not null limit 1")
    assert coqlkit(env, *query).returncode == 0  # caches an access token
    tokens = exchange_code(
        sandbox.base_url, sandbox.client_id, Secret(sandbox.client_secret), grant_code(sandbox)
    )
    revoked = tokens["refresh_token"].reveal()
    httpx.post(f"{sandbox.base_url}/oauth/v2/token/revoke", params={"token": revoked})
    result = coqlkit({**env, "ZOHO_REFRESH_TOKEN": revoked}, *query)
    assert result.returncode == 3, result.stderr  # connection or authentication (README)
    assert "invalid_code" in result.stderr and "Traceback" not in result.stderr
    assert revoked not in result.stdout + result.stderr


def test_the_next_command_uses_the_token_login_got(sandbox: Sandbox, home: dict[str, str]) -> None:
    env = {**home, "ZOHO_CLIENT_SECRET": sandbox.client_secret}
    login = coqlkit(
        env,
        "auth", "login", "--profile", "local", "--base-url", sandbox.base_url,
        "--client-id", sandbox.client_id, "--code", grant_code(sandbox),
    )  # fmt: skip
    assert login.returncode == 0, login.stderr
    assert sandbox.state is not None
    posts = sum(1 for e in sandbox.state.requests if e["path"] == "/oauth/v2/token")
    assert posts == 1  # the code's exchange: its access token served login's own check
    assert coqlkit(home, "auth", "status", "--profile", "local").returncode == 0
    assert sum(1 for e in sandbox.state.requests if e["path"] == "/oauth/v2/token") == posts


def test_status_says_where_calls_went_when_the_token_names_another_api_domain(
    sandbox: Sandbox, home: dict[str, str]
) -> None:
    # The sandbox names, as api_domain, the host its accounts endpoint was reached at:
    # configured at localhost, the token comes from 127.0.0.1 and the calls follow it there.
    configured = sandbox.base_url.replace("127.0.0.1", "localhost")
    env = {
        **home,
        **sandbox.environment(),
        "ZOHO_BASE_URL": configured,
        "ZOHO_ACCOUNTS_URL": sandbox.base_url,
    }
    result = coqlkit(env, "auth", "status")
    assert result.returncode == 0, result.stderr
    assert f"API:           {configured}\n" in result.stdout
    assert f"calls went to: {sandbox.base_url} (the api_domain of Zoho's token answer)" in result.stdout
    same = coqlkit({**home, **sandbox.environment()}, "auth", "status")
    assert same.returncode == 0 and "calls went to" not in same.stdout
