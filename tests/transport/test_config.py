"""Data centres, profiles, environment variables and the token store."""

from __future__ import annotations

import os
import stat
import warnings
from pathlib import Path

import pytest

from coqlkit.errors import ConfigError, CoqlWarning
from coqlkit.transport import (
    DATA_CENTERS,
    AsyncZohoClient,
    FileTokenStore,
    Secret,
    endpoints,
    load_settings,
    save_profile,
)
from coqlkit.transport.config import edit_profile, load_profiles
from coqlkit.transport.secrets import default_store


@pytest.mark.parametrize(
    ("dc", "api", "accounts"),
    [
        ("us", "https://www.zohoapis.com", "https://accounts.zoho.com"),
        ("eu", "https://www.zohoapis.eu", "https://accounts.zoho.eu"),
        ("in", "https://www.zohoapis.in", "https://accounts.zoho.in"),
        ("au", "https://www.zohoapis.com.au", "https://accounts.zoho.com.au"),
        ("jp", "https://www.zohoapis.jp", "https://accounts.zoho.jp"),
        ("ca", "https://www.zohoapis.ca", "https://accounts.zohocloud.ca"),
        ("cn", "https://www.zohoapis.com.cn", "https://accounts.zoho.com.cn"),
        ("sa", "https://www.zohoapis.sa", "https://accounts.zoho.sa"),
    ],
)
def test_data_centre_table(dc: str, api: str, accounts: str) -> None:
    found = endpoints(dc)
    assert (found.api_base, found.accounts, found.token_url) == (api, accounts, f"{accounts}/oauth/v2/token")
    assert endpoints(dc, "sandbox").api_base == api.replace("://www.", "://sandbox.")
    assert endpoints(dc, "developer").api_base == api.replace("://www.", "://developer.")


def test_every_data_centre_is_in_the_table() -> None:
    assert set(DATA_CENTERS) == {"us", "eu", "in", "au", "jp", "ca", "cn", "sa"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dc": "mars"}, "unknown data centre"),
        ({"environment": "staging"}, "unknown environment"),
        ({"base_url": "ftp://x"}, "must start with http"),
    ],
)
def test_bad_endpoints(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        endpoints(**kwargs)


def test_custom_base_url_and_its_accounts_server() -> None:
    assert endpoints(base_url="http://127.0.0.1:9/").accounts == "http://127.0.0.1:9"
    assert (
        endpoints(base_url="https://h:1", accounts_url="https://a:2").token_url
        == "https://a:2/oauth/v2/token"
    )


def test_environment_variables_alone(tmp_path: Path) -> None:
    env = {
        "ZOHO_CLIENT_ID": "1000.ID",
        "ZOHO_CLIENT_SECRET": "sekret-value",
        "ZOHO_REFRESH_TOKEN": "1000.refresh-abcd",
        "ZOHO_DC": "eu",
    }
    settings = load_settings(env=env, path=tmp_path / "none.toml", store=FileTokenStore(tmp_path / "t.json"))
    assert settings.endpoints.api_base == "https://www.zohoapis.eu" and settings.profile is None
    assert settings.client_secret == Secret("sekret-value")
    assert "sekret-value" not in repr(settings) and "1000.refresh-abcd" not in repr(settings)
    assert settings.store_key.startswith("env-")


def test_profiles_and_precedence(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    save_profile(
        "work", {"dc": "eu", "client_id": "1000.WORK", "concurrency": 4, "credit_budget": 900}, path=config
    )
    save_profile("local", {"base_url": "http://127.0.0.1:8765", "client_id": "1000.LOCAL"}, path=config)
    store = FileTokenStore(tmp_path / "t.json")
    store.put("work", {"client_secret": "s1", "refresh_token": "1000.r1"})
    work = load_settings(path=config, env={}, store=store)  # the first saved profile is the default
    assert (work.profile, work.concurrency, work.credit_budget) == ("work", 4, 900)
    assert work.refresh_token == Secret("1000.r1") and work.endpoints.api_base == "https://www.zohoapis.eu"
    local = load_settings("local", path=config, env={}, store=store)
    assert local.endpoints.api_base == "http://127.0.0.1:8765" and local.refresh_token is None
    by_env = load_settings(path=config, env={"COQLKIT_PROFILE": "local"}, store=store)
    assert by_env.profile == "local"
    overridden = load_settings(
        "work", path=config, env={"ZOHO_DC": "in", "ZOHO_REFRESH_TOKEN": "1000.r2"}, store=store
    )
    assert overridden.endpoints.api_base == "https://www.zohoapis.in" and overridden.refresh_token == Secret(
        "1000.r2"
    )
    text = config.read_text()
    assert "s1" not in text and "1000.r1" not in text and 'default_profile = "work"' in text


def test_how_to_call_from_the_environment(tmp_path: Path) -> None:
    # CI with only ZOHO_* variables has no profile to hold a budget or a concurrency.
    env = {
        "ZOHO_CLIENT_ID": "1000.ID",
        "ZOHO_DC": "eu",
        "COQLKIT_CREDIT_BUDGET": "500",
        "COQLKIT_CONCURRENCY": "3",
        "COQLKIT_TIMEOUT": "30.5",
        "COQLKIT_RETRIES": "2",
        "COQLKIT_BUSY_PATIENCE": "600",
    }
    store = FileTokenStore(tmp_path / "t.json")
    settings = load_settings(env=env, path=tmp_path / "none.toml", store=store)
    assert (settings.credit_budget, settings.concurrency, settings.timeout, settings.retries) == (
        500,
        3,
        30.5,
        2,
    )
    assert settings.busy_patience == 600.0  # a nightly job may wait out other integrations longer
    assert AsyncZohoClient(settings).retry.busy_patience == 600.0
    config = tmp_path / "config.toml"
    save_profile("work", {"dc": "eu", "client_id": "1000.WORK", "credit_budget": 900}, path=config)
    over = load_settings("work", env={"COQLKIT_CREDIT_BUDGET": "50"}, path=config, store=store)
    assert over.credit_budget == 50 and over.concurrency == 10  # over the profile's, like ZOHO_*
    with pytest.raises(ConfigError, match="COQLKIT_CREDIT_BUDGET must be a number, not 'lots'"):
        load_settings(env={**env, "COQLKIT_CREDIT_BUDGET": "lots"}, path=tmp_path / "none.toml", store=store)
    with pytest.raises(ConfigError, match="concurrency must be a whole number of at least 1"):
        load_settings(env={**env, "COQLKIT_CONCURRENCY": "0"}, path=tmp_path / "none.toml", store=store)
    with pytest.raises(ConfigError, match="busy_patience must be a number of seconds above 0, not -1"):
        load_settings(env={**env, "COQLKIT_BUSY_PATIENCE": "-1"}, path=tmp_path / "none.toml", store=store)
    save_profile("patient", {"dc": "eu", "client_id": "1000.P", "busy_patience": 300}, path=config)
    assert load_settings("patient", env={}, path=config, store=store).busy_patience == 300.0


def test_missing_and_unknown_profiles(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "t.json")
    with pytest.raises(ConfigError, match="no Zoho org configured"):
        load_settings(env={}, path=tmp_path / "none.toml", store=store)
    save_profile("work", {"dc": "eu", "client_id": "x"}, path=tmp_path / "c.toml")
    with pytest.raises(ConfigError, match=r"no profile 'play'.*profiles: work"):
        load_settings("play", env={}, path=tmp_path / "c.toml", store=store)


def test_secrets_in_the_config_file_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[profiles.work]\nclient_id = "x"\nclient_secret = "oops"\n')
    with pytest.raises(ConfigError, match="secrets do not belong in the config file") as info:
        load_settings("work", env={}, path=config, store=FileTokenStore(tmp_path / "t.json"))
    assert "oops" not in str(info.value)
    with pytest.raises(ConfigError):
        save_profile("x", {"refresh_token": "nope"}, path=config)


def test_bad_values_in_a_profile(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[profiles.w]\nclient_id = "x"\nconcurrency = 0\n')
    with pytest.raises(ConfigError, match="concurrency"):
        load_settings("w", env={}, path=config, store=FileTokenStore(tmp_path / "t.json"))
    config.write_text('[profiles.w]\nclient_id = "x"\ncolour = "blue"\n')
    with pytest.raises(ConfigError, match="unknown keys: colour"):
        load_settings("w", env={}, path=config, store=FileTokenStore(tmp_path / "t.json"))
    config.write_text("[profiles.w\n")
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings("w", env={}, path=config, store=FileTokenStore(tmp_path / "t.json"))


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_token_file_is_private(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "sub" / "tokens.json")
    store.put("work", {"refresh_token": "1000.x"})
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    assert store.get("work") == {"refresh_token": "1000.x"}
    store.delete("work")
    assert store.get("work") is None


def test_default_store_is_the_file_without_a_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COQLKIT_TOKEN_STORE", "file")
    assert isinstance(default_store(), FileTokenStore)


def test_secret_never_shows_itself() -> None:
    secret = Secret("1000.abcdefghijklmnop")
    shown = [str(secret), repr(secret), f"{secret}", f"{secret!r}", f"{secret}"]
    assert all("abcdefghijkl" not in s for s in shown)
    assert secret.reveal() == "1000.abcdefghijklmnop"
    with pytest.raises(TypeError):
        __import__("pickle").dumps(secret)


def test_keyring_store_round_trip() -> None:
    from coqlkit.transport.secrets import KeyringTokenStore

    class FakeKeyring:
        def __init__(self) -> None:
            self.saved: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, user: str) -> str | None:
            return self.saved.get((service, user))

        def set_password(self, service: str, user: str, value: str) -> None:
            self.saved[(service, user)] = value

        def delete_password(self, service: str, user: str) -> None:
            del self.saved[(service, user)]

    ring = FakeKeyring()
    store = KeyringTokenStore(ring)
    store.put("work", {"refresh_token": "1000.k"})
    assert store.get("work") == {"refresh_token": "1000.k"} and ("coqlkit", "work") in ring.saved
    store.delete("work")
    store.delete("work")  # forgetting twice is fine
    assert store.get("work") is None
    ring.saved[("coqlkit", "bad")] = "not json"
    assert store.get("bad") is None


def test_a_short_secret_shows_nothing_of_itself() -> None:
    for value in ("abcdefghi", "1000.abcdefghijkl", "s3cr3t-passw0rd-x"):
        shown = [str(Secret(value)), repr(Secret(value)), f"{Secret(value)}"]
        assert all(value[-4:] not in s and value[1:3] not in s for s in shown), shown
    assert str(Secret("1000." + "a1" * 32)) == "1000.****a1a1"  # a Zoho token: its ends tell it apart


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8765", "http://127.9.9.9:1/", "http://[::1]:8765", "http://localhost:8765"]
)
def test_plain_http_is_for_this_machine(url: str) -> None:
    assert endpoints(base_url=url).api_base == url.rstrip("/")
    assert endpoints(base_url="https://crm.example.com", accounts_url=url).accounts == url.rstrip("/")


@pytest.mark.parametrize(
    ("kwargs", "what", "host"),
    [
        ({"base_url": "http://crm.example.com"}, "base URL", "crm.example.com"),
        ({"base_url": "http://10.0.0.5:8765"}, "base URL", "10.0.0.5"),
        ({"base_url": "http://localhost.example.com"}, "base URL", "localhost.example.com"),
        ({"dc": "eu", "accounts_url": "http://accounts.zoho.eu"}, "accounts URL", "accounts.zoho.eu"),
        ({"base_url": "https://h", "accounts_url": "http://[fe80::1]:1"}, "accounts URL", "fe80::1"),
    ],
)
def test_plain_http_to_another_machine_is_refused(kwargs: dict[str, str], what: str, host: str) -> None:
    with pytest.raises(ConfigError) as info:
        endpoints(**kwargs)
    assert str(info.value).startswith(f"the {what} is plain http:// to {host}, another machine")
    assert "use https://" in str(info.value)


def test_the_environment_cannot_send_a_profiles_secrets_elsewhere(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    save_profile("local", {"base_url": "http://127.0.0.1:8765", "client_id": "1000.LOCAL"}, path=config)
    save_profile("work", {"dc": "eu", "client_id": "1000.WORK"}, path=config)
    store = FileTokenStore(tmp_path / "t.json")
    for name in ("local", "work"):
        store.put(name, {"client_secret": "stored-secret", "refresh_token": "1000.stored"})
    for env, name, variable, there in (
        ({"ZOHO_BASE_URL": "http://127.0.0.1:9999"}, "local", "ZOHO_BASE_URL is", "http://127.0.0.1:9999"),
        (
            {"ZOHO_ACCOUNTS_URL": "https://evil.example"},
            "work",
            "ZOHO_ACCOUNTS_URL is",
            "https://evil.example",
        ),
        (
            {"ZOHO_BASE_URL": "https://x.example", "ZOHO_ACCOUNTS_URL": "https://x.example"},
            "work",
            "ZOHO_BASE_URL and ZOHO_ACCOUNTS_URL are",
            "https://x.example",
        ),
        (
            {"ZOHO_BASE_URL": "http://127.0.0.1:9999", "COQLKIT_PROFILE": "local"},
            None,
            "ZOHO_BASE_URL is",
            None,
        ),
    ):
        with pytest.raises(ConfigError) as info:
            load_settings(name, env=env, path=config, store=store)
        message = str(info.value)
        assert message.startswith(
            f"{variable} set: the stored client secret and refresh token of profile '{name or 'local'}' "
        )
        assert there is None or f"would be used at {there}, not at the profile's own" in message
        assert "Unset" in message and "stored-secret" not in message
    # The profile's own server named again, or the environment's own secrets: nothing is refused.
    same = load_settings("local", env={"ZOHO_BASE_URL": "http://127.0.0.1:8765/"}, path=config, store=store)
    assert same.refresh_token == Secret("1000.stored")
    own = {
        "ZOHO_BASE_URL": "http://127.0.0.1:9999",
        "ZOHO_CLIENT_SECRET": "e",
        "ZOHO_REFRESH_TOKEN": "1000.e",
    }
    assert load_settings("local", env=own, path=config, store=store).refresh_token == Secret("1000.e")
    # Environment credentials alone (no profile) go where ZOHO_BASE_URL says.
    env_only = {"ZOHO_BASE_URL": "http://127.0.0.1:9999", "ZOHO_CLIENT_ID": "1000.E"}
    assert load_settings(env=env_only, path=config, store=store).endpoints.accounts == "http://127.0.0.1:9999"


def test_a_data_centre_in_the_environment_replaces_a_profiles_base_url(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    save_profile("local", {"base_url": "http://127.0.0.1:8765", "client_id": "1000.L"}, path=config)
    store = FileTokenStore(tmp_path / "t.json")
    moved = load_settings("local", env={"ZOHO_DC": "in"}, path=config, store=store)
    assert moved.endpoints.api_base == "https://www.zohoapis.in"  # not the base URL, unseen


COMMENTED = """\
# my org settings -- DO NOT CHANGE without asking finance
default_profile = "local"

# the sandbox
[profiles.local]
base_url = "http://127.0.0.1:8874"   # port of the day
client_id = "1000.COQLKITSANDBOXCLIENT"
credit_budget = 20000   # finance approved
concurrency = 4

[profiles.work]
dc = "eu"
client_id = "1000.W#1"  # a '#' in a value
"""


def test_saving_a_profile_keeps_its_other_keys_and_the_comments(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(COMMENTED)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing is dropped: no warning
        save_profile(
            "local",
            {"base_url": "http://127.0.0.1:9000", "client_id": "1000.NEW", "timeout": 30},
            path=config,
        )
        save_profile("work", {"dc": None, "client_id": "1000.W#2"}, path=config)
        save_profile("extra", {"dc": "in", "client_id": "1000.X"}, path=config, default=True)
    text = config.read_text()
    assert text.startswith("# my org settings -- DO NOT CHANGE without asking finance\n")
    assert 'default_profile = "extra"\n\n# the sandbox\n[profiles.local]\n' in text
    assert 'base_url = "http://127.0.0.1:9000"   # port of the day\n' in text
    assert "credit_budget = 20000   # finance approved\nconcurrency = 4\ntimeout = 30\n" in text
    assert "client_id = \"1000.W#2\"  # a '#' in a value\n" in text
    assert text.endswith('\n[profiles.extra]\ndc = "in"\nclient_id = "1000.X"\n')
    profiles = load_profiles(config)["profiles"]
    assert profiles["local"] == {
        "base_url": "http://127.0.0.1:9000",
        "client_id": "1000.NEW",
        "credit_budget": 20000,
        "concurrency": 4,
        "timeout": 30,
    }
    assert profiles["work"] == {"dc": "eu", "client_id": "1000.W#2"}  # None: not given, kept
    save_profile("local", {"dc": "eu"}, path=config, remove=["base_url"])
    local = load_profiles(config)["profiles"]["local"]
    assert local["dc"] == "eu" and "base_url" not in local and local["credit_budget"] == 20000
    assert "# port of the day" not in config.read_text() and "# finance approved" in config.read_text()


def test_a_file_that_cannot_be_edited_line_by_line_is_rewritten_and_says_so(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '# mine\nprofiles = { work = { dc = "eu", client_id = "1000.W", credit_budget = 5 } }\n'
    )
    with pytest.warns(CoqlWarning, match=r"config.toml was written anew, without its comments"):
        save_profile("work", {"client_id": "1000.V"}, path=config)
    assert load_profiles(config)["profiles"]["work"] == {
        "dc": "eu",
        "client_id": "1000.V",
        "credit_budget": 5,
    }
    edit = edit_profile("work", {"concurrency": 3}, path=config)  # no comment left: nothing to say
    assert not edit.comments_dropped


def test_a_profile_is_checked_before_it_is_written(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(COMMENTED)
    for values, message in (
        ({"concurrency": 0}, "profile 'local': concurrency must be a whole number of at least 1"),
        ({"base_url": "http://crm.example.com"}, "profile 'local': the base URL is plain http://"),
        ({"colour": "blue"}, "profile 'local' would have unknown keys: colour"),
        ({"client_secret": "x"}, "secrets are not written to the config file"),
        ({"timeout": "slow"}, "timeout must be a number of seconds"),
    ):
        with pytest.raises(ConfigError, match=message):
            save_profile("local", values, path=config)
    assert config.read_text() == COMMENTED
