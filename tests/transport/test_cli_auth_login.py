"""``coqlkit auth login`` and ``logout`` with what a user already has: a profile with its own
keys and comments, ZOHO_* variables, a broken file; the token cache where nothing can be
written; revocation at Zoho."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx

from coqlkit.sandbox.server import Sandbox
from tests._refused_port import refused_port
from tests.transport.test_cli_auth import coqlkit, grant_code


def login(env: dict[str, str], sandbox: Sandbox, *args: str, code: str | None = None) -> list[str]:
    """The arguments of a login to ``sandbox`` (its client secret comes from ``env``)."""
    return ["auth", "login", *args, "--client-id", sandbox.client_id, "--code", code or grant_code(sandbox)]


def paths(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "config" / "coqlkit" / "config.toml", tmp_path / "data" / "coqlkit" / "tokens.json"


COMMENTED = """\
# my org settings -- DO NOT CHANGE without asking finance
default_profile = "local"

[profiles.local]
base_url = "{base_url}"
client_id = "1000.COQLKITSANDBOXCLIENT"
credit_budget = 20000   # finance approved
concurrency = 4
timeout = 30
busy_patience = 300
"""


def test_logging_in_again_keeps_the_profiles_keys_and_comments(
    sandbox: Sandbox, home: dict[str, str], tmp_path: Path
) -> None:
    config, _ = paths(tmp_path)
    config.parent.mkdir(parents=True)
    config.write_text(COMMENTED.format(base_url=sandbox.base_url))
    env = {**home, "ZOHO_CLIENT_SECRET": sandbox.client_secret}
    # No --base-url: the profile's own server is where the code goes.
    done = coqlkit(env, *login(env, sandbox, "--profile", "local"))
    assert done.returncode == 0, done.stderr
    assert "without its comments" not in done.stdout
    assert config.read_text() == COMMENTED.format(base_url=sandbox.base_url)  # nothing changed
    status = coqlkit(home, "auth", "status", "--profile", "local")
    assert status.returncode == 0 and "org:           Zylker Demo" in status.stdout


def test_a_profile_written_some_other_way_says_its_comments_are_dropped(
    sandbox: Sandbox, home: dict[str, str], tmp_path: Path
) -> None:
    config, _ = paths(tmp_path)
    config.parent.mkdir(parents=True)
    config.write_text(
        f'# mine\nprofiles = {{ local = {{ base_url = "{sandbox.base_url}", credit_budget = 7 }} }}\n'
    )
    env = {**home, "ZOHO_CLIENT_SECRET": sandbox.client_secret}
    done = coqlkit(env, *login(env, sandbox, "--profile", "local"))
    assert done.returncode == 0, done.stderr
    assert (
        f"note: {config} was written anew, without its comments (its keys and values are kept)" in done.stdout
    )
    assert "credit_budget = 7" in config.read_text()


def test_login_says_where_the_secret_came_from(sandbox: Sandbox, home: dict[str, str]) -> None:
    env = {**home, "ZOHO_CLIENT_SECRET": sandbox.client_secret}
    done = coqlkit(env, *login(env, sandbox, "--base-url", sandbox.base_url))
    assert done.returncode == 0, done.stderr
    assert "using the client secret from ZOHO_CLIENT_SECRET" in done.stdout


def test_login_refuses_plain_http_to_another_machine(home: dict[str, str], tmp_path: Path) -> None:
    env = {**home, "ZOHO_CLIENT_SECRET": "a-secret-that-must-not-travel"}
    for args in (
        ["--base-url", "http://crm.example.com"],
        ["--dc", "eu", "--accounts-url", "http://acc.example"],
    ):
        done = coqlkit(env, "auth", "login", *args, "--client-id", "1000.X", "--code", "1000.c")
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert "is plain http:// to " in done.stderr and "use https://" in done.stderr
        assert "nothing was stored" in done.stderr
    assert not (tmp_path / "config").exists() and not (tmp_path / "data").exists()


def test_a_profiles_secrets_do_not_follow_zoho_base_url_elsewhere(
    sandbox: Sandbox, home: dict[str, str]
) -> None:
    env = {**home, "ZOHO_CLIENT_SECRET": sandbox.client_secret}
    assert (
        coqlkit(env, *login(env, sandbox, "--profile", "local", "--base-url", sandbox.base_url)).returncode
        == 0
    )
    with socket.socket() as catcher:  # where ZOHO_BASE_URL, left over, now points
        catcher.bind(("127.0.0.1", 0))
        catcher.listen()
        catcher.setblocking(False)
        elsewhere = f"http://127.0.0.1:{catcher.getsockname()[1]}"
        done = coqlkit(
            {**home, "ZOHO_BASE_URL": elsewhere},
            "--profile", "local", "query", "-c", "select Last_Name from Leads where id is not null limit 1",
        )  # fmt: skip
        assert done.returncode == 2, done.stderr
        assert (
            f"ZOHO_BASE_URL is set: the stored client secret and refresh token of profile 'local' would be "
            f"used at {elsewhere}, not at the profile's own {sandbox.base_url}"
        ) in done.stderr
        assert "Unset ZOHO_BASE_URL" in done.stderr
        try:
            catcher.accept()
        except BlockingIOError:
            pass  # no one called
        else:
            raise AssertionError("the profile's secrets were sent to ZOHO_BASE_URL")


def test_login_honours_the_zoho_variables_and_the_flags_win(
    sandbox: Sandbox, home: dict[str, str], tmp_path: Path
) -> None:
    config, _ = paths(tmp_path)
    # ZOHO_DC: the EU console (stops at the first prompt: no input; nothing sent to Zoho).
    eu = coqlkit({**home, "ZOHO_DC": "eu", "ZOHO_ENVIRONMENT": "sandbox"}, "auth", "login")
    assert "https://api-console.zoho.eu" in eu.stdout and eu.returncode == 2
    # ZOHO_BASE_URL and ZOHO_CLIENT_ID, as the sandbox's export lines set them.
    env = {**home, **sandbox.environment()}
    done = coqlkit(env, "auth", "login", "--profile", "fromenv", "--code", grant_code(sandbox))
    assert done.returncode == 0, done.stderr
    assert "using the client id from ZOHO_CLIENT_ID" in done.stdout
    assert f'base_url = "{sandbox.base_url}"' in config.read_text()
    # A flag over the variable: --base-url wins over a ZOHO_BASE_URL where nothing listens.
    with refused_port() as port:
        env = {**env, "ZOHO_BASE_URL": f"http://127.0.0.1:{port}", "ZOHO_CLIENT_ID": "1000.WRONG"}
        done = coqlkit(env, *login(env, sandbox, "--profile", "flags", "--base-url", sandbox.base_url))
    assert done.returncode == 0, done.stderr  # and its check reached the org, as the profile says
    assert "org:           Zylker Demo" in done.stdout
    assert "note: ZOHO_CLIENT_ID, ZOHO_BASE_URL, ZOHO_REFRESH_TOKEN are set: commands run" in done.stdout
    text = config.read_text()
    assert f'[profiles.flags]\nbase_url = "{sandbox.base_url}"\nclient_id = "{sandbox.client_id}"' in text


def test_login_checks_everything_before_it_spends_the_grant_code(
    sandbox: Sandbox, home: dict[str, str], tmp_path: Path
) -> None:
    config, tokens = paths(tmp_path)
    config.parent.mkdir(parents=True)
    env = {**home, "ZOHO_CLIENT_SECRET": sandbox.client_secret}
    code = grant_code(sandbox)  # one code for all: none of the failed logins may spend it
    for broken, message in (
        ('[profiles.local]\nclient_id = "x"\noops = [\n', f"cannot read {config}"),
        (
            '[profiles.local]\nclient_id = "x"\nclient_secret = "y"\n',
            "secrets do not belong in the config file",
        ),
        ("[profiles.local]\nconcurrency = 0\n", "profile 'local': concurrency must be a whole number"),
    ):
        config.write_text(broken)
        done = coqlkit(
            env, *login(env, sandbox, "--profile", "local", "--base-url", sandbox.base_url, code=code)
        )
        assert done.returncode == 2 and message in done.stderr, done.stderr
        assert "Traceback" not in done.stderr and "nothing was stored" in done.stderr
        assert config.read_text() == broken and not tokens.exists()
    config.unlink()
    tokens.parent.mkdir(parents=True)
    tokens.write_text("{not json")
    done = coqlkit(env, *login(env, sandbox, "--profile", "local", "--base-url", sandbox.base_url, code=code))
    assert done.returncode == 2 and f"the token file {tokens} cannot be used" in done.stderr
    assert tokens.read_text() == "{not json" and not config.exists()
    memory = coqlkit(
        {**env, "COQLKIT_TOKEN_STORE": "memory"},
        *login(env, sandbox, "--profile", "local", "--base-url", sandbox.base_url, code=code),
    )
    assert memory.returncode == 2 and "COQLKIT_TOKEN_STORE=memory keeps nothing" in memory.stderr
    tokens.unlink()
    done = coqlkit(env, *login(env, sandbox, "--profile", "local", "--base-url", sandbox.base_url, code=code))
    assert done.returncode == 0, done.stderr  # the code was still good


def refresh_token_of(tmp_path: Path, profile: str) -> str:
    return str(json.loads(paths(tmp_path)[1].read_text())[profile]["refresh_token"])


def works(sandbox: Sandbox, refresh: str) -> bool:
    answer = httpx.post(
        f"{sandbox.base_url}/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
            "refresh_token": refresh,
        },
    )
    return "access_token" in answer.json()


def test_logout_revokes_the_refresh_token_at_zoho(
    sandbox: Sandbox, home: dict[str, str], tmp_path: Path
) -> None:
    env = {**home, "ZOHO_CLIENT_SECRET": sandbox.client_secret}
    for profile in ("a", "b"):
        assert (
            coqlkit(
                env, *login(env, sandbox, "--profile", profile, "--base-url", sandbox.base_url)
            ).returncode
            == 0
        )
    a, b = refresh_token_of(tmp_path, "a"), refresh_token_of(tmp_path, "b")
    done = coqlkit(home, "auth", "logout", "--profile", "a")
    assert done.returncode == 0, done.stderr
    assert f"revoked the refresh token at {sandbox.base_url}" in done.stdout and "forgot" in done.stdout
    assert not works(sandbox, a)  # a copy of it (a backup, a synced dotfile) is no good now
    assert sandbox.state is not None
    revoke = [e for e in sandbox.state.requests if e["path"] == "/oauth/v2/token/revoke"]
    assert len(revoke) == 1 and a not in json.dumps(revoke)  # in the body, not in the URL
    kept = coqlkit(home, "auth", "logout", "--profile", "b", "--keep-remote")
    assert kept.returncode == 0 and "not revoked (--keep-remote)" in kept.stdout
    assert works(sandbox, b)
    assert "b" not in json.loads(paths(tmp_path)[1].read_text())


def test_logout_forgets_even_when_zoho_cannot_be_reached(
    org_db: str, home: dict[str, str], tmp_path: Path
) -> None:
    with Sandbox(records=400, db=org_db) as sandbox:
        env = {**home, "ZOHO_CLIENT_SECRET": sandbox.client_secret}
        done = coqlkit(env, *login(env, sandbox, "--profile", "gone", "--base-url", sandbox.base_url))
        assert done.returncode == 0, done.stderr
        refresh = refresh_token_of(tmp_path, "gone")
    done = coqlkit(home, "auth", "logout", "--profile", "gone")  # the sandbox has stopped
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"could not revoke the refresh token at {sandbox.base_url}" in done.stderr
    assert "it may still be valid at Zoho" in done.stderr and "forgot" in done.stdout
    assert "gone" not in json.loads(paths(tmp_path)[1].read_text())
    assert refresh not in done.stdout + done.stderr


def test_a_token_cache_that_cannot_be_written_does_not_stop_a_query(
    sandbox: Sandbox, home: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "readonly").write_text("a file where the data folder should be")
    env = {**home, **sandbox.environment(), "XDG_DATA_HOME": str(tmp_path / "readonly")}
    query = ("query", "-c", "select Last_Name from Leads where id is not null limit 2")
    done = coqlkit(env, *query)
    assert done.returncode == 0, done.stderr
    warned = [line for line in done.stderr.splitlines() if line.startswith("coqlkit: warning:")]
    assert len(warned) == 1 and "the access token is not cached" in warned[0], done.stderr
    memory = coqlkit({**home, **sandbox.environment(), "COQLKIT_TOKEN_STORE": "memory"}, *query)
    assert memory.returncode == 0 and "warning" not in memory.stderr
    assert not (tmp_path / "data").exists()  # nothing on disk
