"""A process with no home (a container's arbitrary user id) works, and makes no folder named
``~`` (ops review 8, finding 1).

``docker run --user 12345`` or Kubernetes' ``runAsUser`` gives a process no ``HOME`` and no
passwd entry. It used to crash with ``RuntimeError: Could not determine home directory``
(exit 1) from ``Path.home()``, or, with some ``XDG_*`` variables set, to put its caches in
``./~/.cache``. The subprocess tests run coqlkit as such a user (``setpriv --reuid``, as
root); the others take the home away in this process.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from coqlkit import _dirs
from coqlkit.errors import ConfigError, CoqlWarning
from coqlkit.sandbox.server import Sandbox
from coqlkit.transport.config import config_path, save_profile
from coqlkit.transport.secrets import MemoryTokenStore, check_store, data_dir, default_store

NOBODY = 12345  # a user id with no passwd entry
SETPRIV = shutil.which("setpriv")


def _nobody_can_import() -> bool:
    """Whether user 12345 can run this interpreter and import coqlkit from it (a virtual
    environment in a private folder, mode 0700, it cannot: .ci/run makes its own readable)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or SETPRIV is None:
        return False
    user = [f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    done = subprocess.run(
        [SETPRIV, *user, sys.executable, "-c", "import coqlkit"],
        cwd="/",
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        timeout=60,
    )
    return done.returncode == 0


as_nobody = pytest.mark.skipif(
    not _nobody_can_import(),
    reason="runs coqlkit as a user id with no passwd entry: needs root, setpriv, and an environment that user can read",
)


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A folder that user 12345 can write (pytest's tmp_path is its owner's only)."""
    path = Path(tempfile.mkdtemp(prefix="coqlkit-nohome-test-"))
    path.chmod(0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def run_as_nobody(cwd: Path, sandbox: Sandbox, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``coqlkit ARGS`` as user 12345 with only PATH, TMPDIR, the sandbox's ZOHO_* and ``env``."""
    tmp = cwd / "tmp"
    tmp.mkdir(mode=0o777)
    tmp.chmod(0o777)
    assert SETPRIV is not None
    user = [f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    return subprocess.run(
        [SETPRIV, *user, sys.executable, "-m", "coqlkit", *args],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp), **sandbox.environment(), **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


@as_nobody
def test_an_export_as_a_user_with_no_home_works_and_says_so_once(open_dir: Path, sandbox: Sandbox) -> None:
    done = run_as_nobody(open_dir, sandbox, "export", "select Last_Name from Leads limit 5", "out.csv")

    assert "Traceback" not in done.stderr
    assert done.returncode == 0, done.stderr
    assert len((open_dir / "out.csv").read_text().splitlines()) == 6  # a header and 5 rows
    warned = [line for line in done.stderr.splitlines() if "no home directory" in line]
    assert len(warned) == 1 and warned[0].startswith("coqlkit: warning: "), done.stderr
    assert sorted(p.name for p in open_dir.iterdir()) == ["out.csv", "tmp"]  # no "~"
    assert list((open_dir / "tmp").iterdir()) == []  # its temporary folder went with it


@as_nobody
def test_some_xdg_variables_and_no_home_make_no_folder_named_tilde(open_dir: Path, sandbox: Sandbox) -> None:
    kept = open_dir / "kept"
    kept.mkdir(mode=0o777)
    kept.chmod(0o777)
    done = run_as_nobody(
        open_dir,
        sandbox,
        "export",
        "select Last_Name from Leads limit 5",
        "out.csv",
        XDG_CONFIG_HOME=str(kept / "config"),
        XDG_DATA_HOME=str(kept / "data"),
    )

    assert done.returncode == 0, done.stderr
    assert not (open_dir / "~").exists()
    assert sorted(p.name for p in open_dir.iterdir()) == ["kept", "out.csv", "tmp"]
    assert (kept / "data" / "coqlkit" / "tokens.json").is_file()  # the token is kept where it can be


@as_nobody
def test_lint_as_a_user_with_no_home_works(open_dir: Path, sandbox: Sandbox) -> None:
    (open_dir / "q.coql").write_text("select Last_Name from Leads where Last_Name = 'x'\n")
    done = run_as_nobody(open_dir, sandbox, "lint", "q.coql")

    assert "Traceback" not in done.stderr
    assert done.returncode == 0, done.stderr
    assert not (open_dir / "~").exists()


@pytest.fixture
def no_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """This process as one with no HOME, no passwd entry and no XDG_* variables (in
    ``tmp_path``: a folder named ``~`` made by mistake lands there)."""
    import pwd

    monkeypatch.chdir(tmp_path)

    def no_entry(uid: int) -> pwd.struct_passwd:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    monkeypatch.setattr(_dirs, "_run", [])
    monkeypatch.setattr(_dirs, "_warned", [])
    yield
    for made in _dirs._run:
        shutil.rmtree(made, ignore_errors=True)


def test_no_home_is_none_never_a_tilde(no_home: None) -> None:
    assert _dirs.home() is None
    assert _dirs.base_dir("cache") is None
    assert _dirs.base_dir("cache", {"XDG_CACHE_HOME": "/srv/c"}) == Path("/srv/c")
    assert _dirs.base_dir("cache", {"XDG_CACHE_HOME": "~/.cache"}) is None  # relative: ignored
    assert _dirs.home({"HOME": ""}) is None  # an empty HOME is none either


def test_without_a_home_the_files_go_to_a_private_folder_and_one_warning_says_so(no_home: None) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        config, data, store = config_path(), data_dir(), default_store()

    assert [str(w.message)[:20] for w in caught if issubclass(w.category, CoqlWarning)] == [
        "no home directory (H"
    ]
    run = _dirs._run[0]
    assert config.is_relative_to(run) and data.is_relative_to(run)
    assert stat.S_IMODE(run.stat().st_mode) == 0o700
    assert isinstance(store, MemoryTokenStore)  # the tokens are in memory, not in /tmp


def test_without_a_home_a_login_or_a_profile_is_refused_before_anything_is_spent(no_home: None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CoqlWarning)
        store = default_store()
        with pytest.raises(ConfigError, match="no home directory to keep it in"):
            check_store(store, "default")
        with pytest.raises(ConfigError, match="no home directory to keep it in"):
            save_profile("work", {"dc": "eu"})


def test_without_a_home_the_grammar_is_not_cached_and_the_sandbox_org_is_made_for_this_run(
    no_home: None,
) -> None:
    from coqlkit.language._loader import _cache_path
    from coqlkit.sandbox.config import SandboxConfig
    from coqlkit.sandbox.state import SandboxState

    assert _cache_path() is False  # before: os.path.expanduser("~") gave "~/.cache", in the cwd
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CoqlWarning)
        state = SandboxState.open(SandboxConfig(records=20, seed=7))
    try:
        made = list((_dirs._run[0] / "cache" / "coqlkit" / "sandbox").glob("org-*.sqlite3"))
        assert len(made) == 1
    finally:
        state.store.close()


def test_the_warning_names_only_what_lasts_this_run(
    no_home: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With XDG_DATA_HOME set, the token is kept: the warning names the metadata cache alone
    (it said the token lasted this run only); with both set, no warning at all, though the
    config folder is missing (there is no config file to lose) (own-diff review A #7)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _dirs.homeless_warning()
    [said] = [str(w.message) for w in caught if issubclass(w.category, CoqlWarning)]
    assert "keeps the metadata cache for this run only" in said and "token" not in said
    assert said.endswith("set HOME, or XDG_CACHE_HOME, to a writable folder to keep it")

    monkeypatch.setattr(_dirs, "_warned", [])
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        config_path()
    assert [w for w in caught if issubclass(w.category, CoqlWarning)] == []
