"""The token store: a cache that cannot be written does not stop the work, a token file that
cannot be read is never written over, writers at once lose nothing, memory keeps nothing on
disk, and settings can be copied (not pickled)."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
import subprocess
import sys
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from coqlkit.errors import ConfigError, CoqlWarning
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import FileTokenStore, Secret, Settings, ZohoClient, default_store, load_settings
from coqlkit.transport.secrets import KeyringTokenStore, MemoryTokenStore
from tests.transport.conftest import settings_for
from tests.transport.test_tracebacks import everything_reachable


def test_a_cache_that_cannot_be_written_is_one_warning_and_the_work_goes_on(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """A read-only data folder, a secret mounted read-only in a container: the ZOHO_*
    variables hold all the credentials, and only the access token's cache is lost."""
    (tmp_path / "data").write_text("a file where the folder should be")
    store = FileTokenStore(tmp_path / "data" / "coqlkit" / "tokens.json")
    settings = settings_for(sandbox, store)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # a second warning would show
        for _ in range(2):
            with ZohoClient(settings) as zoho:
                assert (zoho.org() or {})["zgid"]
                assert zoho.aio.tokens.refreshes == 1  # nothing cached: each asks anew
    assert [w.category for w in caught] == [CoqlWarning]
    message = str(caught[0].message)
    assert f"cannot write the token file {store.path}" in message and "not cached" in message
    assert "COQLKIT_TOKEN_STORE=memory" in message
    assert sandbox.client_secret not in message and sandbox.refresh_token not in message


def test_the_memory_store_keeps_nothing_on_disk(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COQLKIT_TOKEN_STORE", "memory")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    store = default_store()
    assert isinstance(store, MemoryTokenStore) and default_store() is store  # one per process
    env = dict(sandbox.environment())
    with ZohoClient(load_settings(env=env, path=tmp_path / "none.toml")) as zoho:
        zoho.org()
        assert zoho.aio.tokens.refreshes == 1
    with ZohoClient(load_settings(env=env, path=tmp_path / "none.toml")) as again:
        again.org()
        assert again.aio.tokens.refreshes == 0  # the process's own cache
    assert not (tmp_path / "data").exists()
    monkeypatch.setenv("COQLKIT_TOKEN_STORE", "disk")
    with pytest.raises(ConfigError, match="COQLKIT_TOKEN_STORE is 'disk': use file, memory or keyring"):
        default_store()


HAND_EDITED = '{"work": {"client_secret": "s3cret-of-work-0123456789abcdef", "refresh_token": "1000.rt-work"}}\n// oops\n'


def test_a_token_file_that_cannot_be_parsed_is_an_error_and_is_never_written_over(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text(HAND_EDITED)
    store = FileTokenStore(path)
    for action in (
        lambda: store.get("work"),
        lambda: store.put("other", {"refresh_token": "1000.new"}),
        lambda: store.delete("work"),
    ):
        with pytest.raises(ConfigError) as info:
            action()
        message = str(info.value)
        assert f"the token file {path} cannot be used: it is not valid JSON (line 2, column 1)" in message
        assert "coqlkit leaves it as it is" in message and "move it away" in message
        assert path.read_text() == HAND_EDITED  # the other profiles' secrets are still there
        # A JSONDecodeError holds the whole document: nothing chains to it.
        shown = everything_reachable(info.value)
        assert "s3cret-of-work" not in shown and "1000.rt-work" not in shown
    config = tmp_path / "config.toml"
    config.write_text('[profiles.work]\nclient_id = "1000.W"\ndc = "eu"\n')
    with pytest.raises(ConfigError, match="cannot be used"):
        load_settings("work", env={}, path=config, store=store)
    path.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="it does not hold a JSON object"):
        store.get("work")


def test_environment_credentials_run_beside_a_broken_token_file(sandbox: Sandbox, tmp_path: Path) -> None:
    """The file is only the access token's cache for them: a warning, the file kept as it is."""
    path = tmp_path / "tokens.json"
    path.write_text(HAND_EDITED)
    with (
        pytest.warns(CoqlWarning, match="not valid JSON"),
        ZohoClient(settings_for(sandbox, FileTokenStore(path))) as zoho,
    ):
        assert (zoho.org() or {})["zgid"]
    assert path.read_text() == HAND_EDITED


WRITER = """
import sys
from coqlkit.transport import FileTokenStore
store = FileTokenStore(sys.argv[1])
for i in range(int(sys.argv[3])):
    store.put(f"{sys.argv[2]}-{i}", {"refresh_token": f"1000.{sys.argv[2]}-{i}"})
"""


def test_writers_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), f"w{n}", "60"]) for n in range(4)]
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0, 0]
    kept = json.loads(path.read_text())
    assert len(kept) == 240
    assert kept["w3-59"] == {"refresh_token": "1000.w3-59"}
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


class RacingStore(FileTokenStore):
    """A token file that ``auth login`` writes (a new refresh token) to just before the
    client writes its new access token: after whatever the client read of it."""

    armed = False

    def _login_first(self, key: str) -> None:
        if self.armed:
            self.armed = False
            FileTokenStore(self.path).put(key, {"client_secret": "s", "refresh_token": "1000.from-login"})

    def put(self, key: str, record: dict[str, Any]) -> None:
        self._login_first(key)
        super().put(key, record)

    def update(self, key: str, fields: dict[str, Any]) -> None:
        self._login_first(key)
        super().update(key, fields)


def test_a_refresh_never_writes_back_an_older_login(sandbox: Sandbox, tmp_path: Path) -> None:
    store = RacingStore(tmp_path / "tokens.json")
    settings = replace(settings_for(sandbox, store), profile="work")
    store.put("work", {"client_secret": sandbox.client_secret, "refresh_token": sandbox.refresh_token})
    with ZohoClient(settings) as zoho:
        store.armed = True
        zoho.org()  # refreshes: its access token goes in the record, and only that
    record = FileTokenStore(store.path).get("work") or {}
    assert record["refresh_token"] == "1000.from-login" and record["access_token"]


def test_settings_can_be_copied_not_pickled(tmp_path: Path) -> None:
    settings = load_settings(
        env={
            "ZOHO_CLIENT_ID": "1000.ID",
            "ZOHO_CLIENT_SECRET": "sekret-value",
            "ZOHO_REFRESH_TOKEN": "1000.rt",
        },
        store=FileTokenStore(tmp_path / "t.json"),
        path=tmp_path / "none.toml",
    )
    copied = copy.deepcopy(settings)
    assert copied == settings and copied.client_secret is not None
    assert copied.client_secret.reveal() == "sekret-value"
    assert copy.copy(settings.refresh_token) == Secret("1000.rt")
    assert dataclasses.asdict(settings)["client_secret"] == Secret("sekret-value")

    @dataclasses.dataclass
    class Job:  # a user's own object that holds settings
        settings: Settings
        name: str

    assert copy.deepcopy(Job(settings, "nightly")).settings == settings
    for store in (MemoryTokenStore(), KeyringTokenStore(keyring=sys)):  # a module cannot be copied
        assert copy.deepcopy(replace(settings, store=store)).store is store
    with pytest.raises(TypeError, match="a pickle would write its value out"):
        pickle.dumps(settings)
