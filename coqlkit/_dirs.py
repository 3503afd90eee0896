"""Where coqlkit keeps its files: the one place that reads ``XDG_*_HOME`` and the home.

Three base directories, as the XDG spec names them: ``config`` (profiles, ``repl.toml``),
``data`` (the token file, the REPL's history) and ``cache`` (metadata, the analysed
grammar, the sandbox's seeded org). Each is ``$XDG_<KIND>_HOME`` when that is an absolute
path (a relative one is ignored, as the spec says: a quoted ``"~/.cache"`` the shell never
expanded would otherwise become a folder named ``~`` in the working directory), else under
the home (``~/.config``, ``~/.local/share``, ``~/.cache``; macOS and Windows have their own).

A process may have no home: a container run with an arbitrary user id (Kubernetes'
``runAsUser``, ``docker run --user 12345``) has no ``HOME`` and no passwd entry.
:func:`base_dir` then says None, and :func:`base_dir_or_run` gives a private temporary
folder of this process (mode 0700, removed when it exits): what would have been kept
between runs lasts this run only, as it does in a read-only home, and one
:class:`~coqlkit.errors.CoqlWarning` says so, once per process.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import threading
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from coqlkit.errors import CoqlWarning

__all__ = ["Kind", "base_dir", "base_dir_or_run", "home", "homeless_warning", "in_run_dir"]

Kind = Literal["config", "data", "cache"]

_XDG = {"config": "XDG_CONFIG_HOME", "data": "XDG_DATA_HOME", "cache": "XDG_CACHE_HOME"}
_UNDER_HOME = {"config": (".config",), "data": (".local", "share"), "cache": (".cache",)}
_DARWIN = {"config": (".config",), "data": ("Library", "Application Support"), "cache": (".cache",)}
_WINDOWS = {"config": "APPDATA", "data": "LOCALAPPDATA", "cache": "LOCALAPPDATA"}

_guard = threading.Lock()
_run: list[Path] = []  # this process's temporary folder, once made
_warned: list[bool] = []


def home(env: Mapping[str, str] | None = None) -> Path | None:
    """The user's home as an absolute path, or None when there is none.

    ``HOME`` (of ``env``, default ``os.environ``) when set and not empty, else the passwd
    entry of this user id. An empty or relative ``HOME``, or a user id with no passwd entry,
    is no home: never ``~`` itself (``os.path.expanduser("~")`` returns it unchanged when it
    finds nothing, and a folder named ``~`` appears in the working directory).

    >>> str(home({"HOME": "/home/ada"})), home({"HOME": "relative/home"})
    ('/home/ada', None)
    """
    found = (os.environ if env is None else env).get("HOME") or ""
    if not found and sys.platform != "win32":
        try:
            import pwd

            found = pwd.getpwuid(os.getuid()).pw_dir
        except (KeyError, ImportError, OSError):  # KeyError: this uid has no passwd entry
            found = ""
    elif not found:  # pragma: no cover - Windows: USERPROFILE, HOMEDRIVE...
        found = os.path.expanduser("~")
    return Path(found) if found and os.path.isabs(found) else None


def base_dir(kind: Kind, env: Mapping[str, str] | None = None) -> Path | None:
    """The ``kind`` base directory (not coqlkit's folder in it), or None without a home.

    >>> str(base_dir("cache", {"XDG_CACHE_HOME": "/srv/cache", "HOME": "/home/ada"}))
    '/srv/cache'
    >>> str(base_dir("cache", {"XDG_CACHE_HOME": "~/.cache", "HOME": "/home/ada"}))  # relative: ignored
    '/home/ada/.cache'
    """
    env = os.environ if env is None else env
    if sys.platform == "win32":  # pragma: no cover
        given = env.get(_WINDOWS[kind]) or ""
        if os.path.isabs(given):
            return Path(given)
        where = home(env)
        return where / "AppData" / ("Roaming" if kind == "config" else "Local") if where else None
    given = env.get(_XDG[kind]) or ""
    if os.path.isabs(given):
        return Path(given)
    where = home(env)
    if where is None:
        return None
    return where.joinpath(*(_DARWIN if sys.platform == "darwin" else _UNDER_HOME)[kind])


def base_dir_or_run(kind: Kind) -> Path:
    """:func:`base_dir`, or without a home this process's own temporary folder for ``kind``
    (nothing in it outlives the process; see the module's docstring)."""
    return base_dir(kind) or _run_dir() / kind


def in_run_dir(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is in this process's temporary folder: kept for this run only."""
    with _guard:
        run = _run[0] if _run else None
    return run is not None and Path(os.path.abspath(path)).is_relative_to(run)


#: What a run without a folder of the kind keeps for itself alone, and the variable that
#: gives it one (no config folder loses nothing: there is no config file to read then).
_KEPT: dict[Kind, tuple[str, str]] = {
    "data": ("the access token", "XDG_DATA_HOME"),
    "cache": ("the metadata cache", "XDG_CACHE_HOME"),
}


def homeless_warning() -> None:
    """Warn, once per process, that there is no home: what lasts this run only (the token
    without a data folder, the metadata without a cache folder: an ``XDG_*_HOME`` set keeps
    its kind), and nothing when only the config folder is missing."""
    with _guard:
        if _warned:
            return
        _warned.append(True)
    lacking = [kind for kind in _KEPT if base_dir(kind) is None]
    if not lacking:
        return
    what = " and ".join(_KEPT[kind][0] for kind in lacking)
    keep = " and ".join(_KEPT[kind][1] for kind in lacking)
    warnings.warn(
        f"no home directory (HOME is not set and user id {_uid()} has no passwd entry): coqlkit "
        f"keeps {what} for this run only, so the next run fetches {'them' if len(lacking) > 1 else 'it'} "
        f"again; set HOME, or {keep}, to a writable folder to keep {'them' if len(lacking) > 1 else 'it'}",
        CoqlWarning,
        stacklevel=3,
    )


def _uid() -> str:
    return str(os.getuid()) if hasattr(os, "getuid") else "?"


def _run_dir() -> Path:
    """This process's temporary folder, made (0700) on first use and removed at exit."""
    homeless_warning()
    with _guard:
        if not _run:
            _run.append(_make_run_dir())
        return _run[0]


def _make_run_dir() -> Path:
    try:
        made = Path(tempfile.mkdtemp(prefix=f"coqlkit-{os.getpid()}-"))
    except OSError:  # no writable temporary folder either: a path its users fail to write,
        # and then keep what they would have written in memory, as in a read-only home
        made = Path("/tmp") / f"coqlkit-{os.getpid()}-unwritable"
    owner = os.getpid()

    def remove() -> None:
        if os.getpid() == owner:  # not a forked child's exit
            shutil.rmtree(made, ignore_errors=True)

    atexit.register(remove)
    return made
